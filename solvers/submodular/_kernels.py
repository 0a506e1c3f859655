"""Numba kernels for monotone submodular maximisation under |S| <= k: the oracle (marginal gains of
facility-location and feature-based objectives, dense or CSR rows), the static algorithms (greedy,
lazy, stochastic, threshold, sieve) and the two dynamic ones (the level structure of Banihashem et
al. and prefix-repair greedy). Private: no validation here (see `api.py`).

The objective travels as one tuple `ora = (code, concave, dense, indptr, indices, data, weights)`:
row `e` of the candidate matrix (dense row, or CSR row of `indptr/indices/data`) is what candidate `e`
contributes; the *state* of a set S is one vector of length m:
- facility location (and weighted coverage, which is facility location with s_eu = w_u [u in C_e]):
  state_u = max_{j in S} s_ju, f(S) = sum_u state_u, gain(e) = sum_u max(s_eu - state_u, 0);
- feature-based: state_u = sum_{j in S} x_ju, f(S) = sum_u w_u phi(state_u), phi = sqrt or log1p.
The dense matrix is float64, or float32 for a dense facility location (one compiled specialisation
each). The state has the dense matrix's dtype (`new_state`): a facility-location state is a maximum
of stored entries, so float32 holds it exactly, and a float32 state halves what every gain reads
besides the row. Differences and every sum (gains, f) are taken in float64 whatever the storage.
One oracle call is one marginal-gain query `gain(ora, e, state)`. Singletons f({e}) are computed once
(`singletons`) and passed in: every algorithm uses them as the round-0 gains, and they are counted
apart from oracle calls. Updating a state with a chosen element is not a query.

Ties between equal gains go to the smaller element id (candidate lists are sorted), so greedy, lazy,
and prefix-repair greedy pick exactly the same sets.

All kernels and the helpers they call live in this one module: Numba's cache only notices changes to
the file of the kernel itself.
"""

import math

import numpy as np

from .._jit import kernel

FL_DENSE, FL_SPARSE, FB_DENSE, FB_SPARSE = 0, 1, 2, 3
SQRT, LOG1P = 0, 1

# status codes of the dynamic kernels
DONE, NEED_ROWS = 0, 1


# ------------------------------------------------------------------------------------------- oracle

@kernel
def _phi(concave, x):
    if concave == SQRT:
        return math.sqrt(x)
    return math.log1p(x)


@kernel
def gain(ora, e, st):
    """Marginal gain of element e with respect to the set whose state is `st` (one oracle call)."""
    code = ora[0]
    s = 0.0
    if code == FL_DENSE:
        row = ora[2][e]
        for u in range(row.shape[0]):
            s += max(np.float64(row[u]) - st[u], 0.0)
    elif code == FL_SPARSE:
        indptr, indices, data = ora[3], ora[4], ora[5]
        for p in range(indptr[e], indptr[e + 1]):
            s += max(data[p] - st[indices[p]], 0.0)
    elif code == FB_DENSE:
        row, w, concave = ora[2][e], ora[6], ora[1]
        for u in range(row.shape[0]):
            x = row[u]
            if x != 0.0:
                s += w[u] * (_phi(concave, st[u] + x) - _phi(concave, st[u]))
    else:
        indptr, indices, data, w, concave = ora[3], ora[4], ora[5], ora[6], ora[1]
        for p in range(indptr[e], indptr[e + 1]):
            u = indices[p]
            s += w[u] * (_phi(concave, st[u] + data[p]) - _phi(concave, st[u]))
    return s


@kernel
def add(ora, e, st):
    """Update the state `st` in place to include element e (not a query)."""
    code = ora[0]
    if code == FL_DENSE:
        row = ora[2][e]
        for u in range(row.shape[0]):
            if row[u] > st[u]:
                st[u] = row[u]
    elif code == FL_SPARSE:
        indptr, indices, data = ora[3], ora[4], ora[5]
        for p in range(indptr[e], indptr[e + 1]):
            u = indices[p]
            if data[p] > st[u]:
                st[u] = data[p]
    elif code == FB_DENSE:
        row = ora[2][e]
        for u in range(row.shape[0]):
            st[u] += row[u]
    else:
        indptr, indices, data = ora[3], ora[4], ora[5]
        for p in range(indptr[e], indptr[e + 1]):
            st[indices[p]] += data[p]


@kernel
def value(ora, st):
    """f of the set whose state is `st`."""
    code = ora[0]
    s = 0.0
    if code == FL_DENSE or code == FL_SPARSE:
        for u in range(st.shape[0]):
            s += st[u]
    else:
        w, concave = ora[6], ora[1]
        for u in range(st.shape[0]):
            if st[u] != 0.0:
                s += w[u] * _phi(concave, st[u])
    return s


@kernel
def new_state(ora, m):
    """The state of the empty set: zeros in the dense matrix's dtype (float64 for sparse rows and
    feature-based, whose states are sums)."""
    return np.zeros(m, ora[2].dtype)


@kernel
def singletons(ora, n, m):
    """f({e}) for every element e < n: gains with respect to the empty set."""
    st = new_state(ora, m)
    out = np.empty(n)
    for e in range(n):
        out[e] = gain(ora, e, st)
    return out


@kernel
def set_value(ora, selected, m):
    """f(S) for the elements in `selected`."""
    st = new_state(ora, m)
    for j in range(selected.shape[0]):
        add(ora, selected[j], st)
    return value(ora, st)


# ------------------------------------------------------------------------------- greedy and lazy

@kernel
def greedy(ora, cands, k, m, single):
    """Nemhauser-Wolsey-Fisher greedy over `cands` (sorted ids): k rounds, each evaluating every
    remaining candidate. Round 0 uses the cached singletons. Returns (picks, gains, calls)."""
    n = cands.shape[0]
    r_max = min(k, n)
    st = new_state(ora, m)
    taken = np.zeros(n, dtype=np.bool_)
    picks = np.empty(r_max, dtype=np.int64)
    gains = np.empty(r_max)
    calls = 0
    for r in range(r_max):
        best = -1
        best_gain = -np.inf
        for c in range(n):
            if taken[c]:
                continue
            if r == 0:
                g = single[cands[c]]
            else:
                g = gain(ora, cands[c], st)
                calls += 1
            if g > best_gain:
                best_gain = g
                best = c
        taken[best] = True
        picks[r] = cands[best]
        gains[r] = best_gain
        add(ora, cands[best], st)
    return picks, gains, calls


@kernel
def _above(hb, hid, i, j):
    """Heap order: larger bound first; equal bounds, smaller id first."""
    return hb[i] > hb[j] or (hb[i] == hb[j] and hid[i] < hid[j])


@kernel
def _swap(hb, hid, hr, i, j):
    hb[i], hb[j] = hb[j], hb[i]
    hid[i], hid[j] = hid[j], hid[i]
    hr[i], hr[j] = hr[j], hr[i]


@kernel
def _sift_down(hb, hid, hr, i, size):
    while True:
        left = 2 * i + 1
        if left >= size:
            return
        top = left
        right = left + 1
        if right < size and _above(hb, hid, right, left):
            top = right
        if not _above(hb, hid, top, i):
            return
        _swap(hb, hid, hr, i, top)
        i = top


@kernel
def _heapify(hb, hid, hr, size):
    for i in range(size // 2 - 1, -1, -1):
        _sift_down(hb, hid, hr, i, size)


@kernel
def _lazy_rounds(ora, st, hb, hid, hr, size, r0, k, picks, gains, states):
    """Minoux's lazy greedy from round r0 on a heap of (bound, id, round the bound is exact for):
    pop the top; if its bound is exact for the current round, take it, else re-evaluate it (one call)
    and sift it down. Fills picks/gains from r0 and, when `states` has rows, states[r + 1] with the
    state after each pick. The heap keeps the elements not picked. Returns (rounds done, heap size,
    calls)."""
    r = r0
    calls = 0
    while r < k and size > 0:
        if hr[0] == r:
            picks[r] = hid[0]
            gains[r] = hb[0]
            add(ora, hid[0], st)
            if states.shape[0] > 0:
                states[r + 1, :] = st
            r += 1
            size -= 1
            _swap(hb, hid, hr, 0, size)
            _sift_down(hb, hid, hr, 0, size)
        else:
            hb[0] = gain(ora, hid[0], st)
            hr[0] = r
            calls += 1
            _sift_down(hb, hid, hr, 0, size)
    return r, size, calls


@kernel
def lazy(ora, cands, k, m, single):
    """Lazy greedy over `cands`; the same picks as `greedy` (ties to the smaller id), usually far
    fewer calls. Returns (picks, gains, calls)."""
    n = cands.shape[0]
    hb = np.empty(n)
    hid = np.empty(n, dtype=np.int64)
    hr = np.zeros(n, dtype=np.int64)
    for c in range(n):
        hb[c] = single[cands[c]]
        hid[c] = cands[c]
    _heapify(hb, hid, hr, n)
    r_max = min(k, n)
    picks = np.empty(r_max, dtype=np.int64)
    gains = np.empty(r_max)
    st = new_state(ora, m)
    r, _, calls = _lazy_rounds(ora, st, hb, hid, hr, n, 0, r_max, picks, gains, np.empty((0, m), ora[2].dtype))
    return picks[:r], gains[:r], calls


@kernel
def lazy_after_first(ora, k, m, first, first_gain, gains1):
    """Lazy greedy over all elements when round 0's pick `first` (the largest singleton, ties to the
    smaller id) and every element's exact gain once it is chosen (`gains1`) are already known: the
    heap starts at round 1 with exact bounds. Returns (picks, gains, calls), calls from round 2 on."""
    hb, hid, hr, size, picks, gains = _round1_start(gains1, first, first_gain, k)
    r_max = picks.shape[0]
    st = new_state(ora, m)
    add(ora, first, st)
    r, _, calls = _lazy_rounds(ora, st, hb, hid, hr, size, 1, r_max, picks, gains, np.empty((0, m), ora[2].dtype))
    return picks[:r], gains[:r], calls


@kernel
def _round1_start(gains1, first, first_gain, k):
    """Lazy greedy at round 1: the heap of every element but `first`, bounded by its exact gain once
    `first` is chosen (exact for round 1), and the pick/gain arrays (min(k, n) long) holding round 0.
    Returns (bounds, ids, rounds, size, picks, gains)."""
    n = gains1.shape[0]
    size = n - 1
    hb = np.empty(size)
    hid = np.empty(size, dtype=np.int64)
    hr = np.ones(size, dtype=np.int64)
    c = 0
    for e in range(n):
        if e != first:
            hb[c] = gains1[e]
            hid[c] = e
            c += 1
    _heapify(hb, hid, hr, size)
    picks = np.empty(min(k, n), dtype=np.int64)
    gains = np.empty(min(k, n))
    picks[0] = first
    gains[0] = first_gain
    return hb, hid, hr, size, picks, gains


@kernel
def lazy_after_first_blocked(ora, k, m, first, first_gain, gains1, partial, width):
    """`lazy_after_first` for a dense facility location whose columns are cut into blocks of `width`,
    with partial[e, b] = e's gain on block b after the first pick (updated here) and gains1[e] = the sum
    of e's partials in block order: a gain is always that sum. When an element is re-evaluated, only
    the blocks whose state changed since its last evaluation are recomputed, and of those only the ones
    where its gain was not 0 already (the state only grows, so a block's gain only falls). With the
    columns in a clustered order a pick changes the state in few blocks, so most re-evaluations read a
    small part of the row. Same picks as `lazy_after_first` (gains equal up to the order of summation).
    Returns (picks, gains, calls, blocks read); calls count re-evaluations from round 2 on, as there."""
    S = ora[2]
    nb = partial.shape[1]
    hb, hid, hr, size, picks, gains = _round1_start(gains1, first, first_gain, k)
    r_max = picks.shape[0]
    st = new_state(ora, m)
    changed = np.zeros(nb, dtype=np.int64)  # changed[b] = r: the state last grew in block b for round r
    _add_blocked(S[first], st, width, changed, 1)
    r = 1
    calls = 0
    reads = 0
    while r < r_max and size > 0:
        e = hid[0]
        if hr[0] == r:
            picks[r] = e
            gains[r] = hb[0]
            r += 1
            _add_blocked(S[e], st, width, changed, r)
            size -= 1
            _swap(hb, hid, hr, 0, size)
            _sift_down(hb, hid, hr, 0, size)
        else:
            row = S[e]
            pe = partial[e]
            last = hr[0]
            t = 0.0
            for b in range(nb):
                if changed[b] > last and pe[b] > 0.0:
                    pe[b] = _block_gain(row, st, b * width, min(m, b * width + width))
                    reads += 1
                t += pe[b]
            hb[0] = t
            hr[0] = r
            calls += 1
            _sift_down(hb, hid, hr, 0, size)
    return picks[:r], gains[:r], calls, reads


@kernel
def _block_gain(row, st, lo, hi):
    """sum_u max(row[u] - st[u], 0) over columns lo..hi-1 (over views from 0, so it vectorises)."""
    rb = row[lo:hi]
    sb = st[lo:hi]
    g = 0.0
    for u in range(hi - lo):
        g += max(np.float64(rb[u]) - sb[u], 0.0)
    return g


@kernel
def _add_blocked(row, st, width, changed, r):
    """Add the element whose row is `row` to the state (st = max(st, row)) and mark every block where
    the state grows as changed for round r."""
    m = st.shape[0]
    for b in range(changed.shape[0]):
        lo = b * width
        hi = min(m, lo + width)
        rb = row[lo:hi]
        sb = st[lo:hi]
        grew = False
        for u in range(hi - lo):
            if rb[u] > sb[u]:
                sb[u] = rb[u]
                grew = True
        if grew:
            changed[b] = r


# --------------------------------------------------------------------------- stochastic greedy

@kernel
def stochastic(ora, cands, k, m, single, sample_size, rng):
    """Stochastic greedy (Mirzasoleiman et al. 2015): each round, the best of `sample_size` remaining
    candidates drawn uniformly without replacement. Inside a sample, candidates are evaluated in order
    of their known upper bound and the scan stops once no bound can beat the best gain found, which
    gives the same pick as evaluating the whole sample. Returns (picks, gains, calls)."""
    n = cands.shape[0]
    r_max = min(k, n)
    pool = np.arange(n)
    pos = np.arange(n)
    size = n
    ub = np.empty(n)
    for c in range(n):
        ub[c] = single[cands[c]]
    exact_at = np.zeros(n, dtype=np.int64)
    st = new_state(ora, m)
    picks = np.empty(r_max, dtype=np.int64)
    gains = np.empty(r_max)
    calls = 0
    sample = np.empty(n, dtype=np.int64)
    for r in range(r_max):
        s = min(sample_size, size)
        for t in range(s):
            j = rng.integers(t, size)
            a, b = pool[t], pool[j]
            pool[t], pool[j] = b, a
            pos[b], pos[a] = t, j
        for t in range(s):
            sample[t] = pool[t]
        ids = np.sort(sample[:s])
        order = np.argsort(-ub[ids], kind="mergesort")
        best = -1
        best_gain = -np.inf
        for q in range(s):
            c = ids[order[q]]
            if best >= 0 and (ub[c] < best_gain or (ub[c] == best_gain and c > best)):
                break
            if exact_at[c] == r:
                g = ub[c]
            else:
                g = gain(ora, cands[c], st)
                calls += 1
                ub[c] = g
                exact_at[c] = r
            if g > best_gain or (g == best_gain and c < best):
                best_gain = g
                best = c
        picks[r] = cands[best]
        gains[r] = best_gain
        add(ora, cands[best], st)
        p = pos[best]
        last = pool[size - 1]
        pool[p], pool[size - 1] = last, best
        pos[last], pos[best] = p, size - 1
        size -= 1
    return picks, gains, calls


# ---------------------------------------------------------------------------- threshold greedy

@kernel
def threshold(ora, cands, k, m, single, eps):
    """Decreasing-threshold greedy (Badanidiyuru & Vondrak 2014): for tau = d, (1-eps) d, ... down to
    eps d / n (d = the largest singleton), add every candidate, in id order, whose gain is >= tau.
    A candidate whose last computed gain is already below tau is skipped without a call (gains only
    shrink), which changes the call count but not the picks. Returns (picks, gains, calls)."""
    n = cands.shape[0]
    r_max = min(k, n)
    ub = np.empty(n)
    d = 0.0
    for c in range(n):
        ub[c] = single[cands[c]]
        d = max(d, ub[c])
    exact_at = np.zeros(n, dtype=np.int64)
    taken = np.zeros(n, dtype=np.bool_)
    st = new_state(ora, m)
    picks = np.empty(r_max, dtype=np.int64)
    gains = np.empty(r_max)
    r = 0
    calls = 0
    tau = d
    floor = eps * d / n
    while r < r_max:
        for c in range(n):
            if r == r_max:
                break
            if taken[c] or ub[c] < tau:
                continue
            if exact_at[c] == r:
                g = ub[c]
            else:
                g = gain(ora, cands[c], st)
                calls += 1
                ub[c] = g
                exact_at[c] = r
            if g >= tau:
                taken[c] = True
                picks[r] = cands[c]
                gains[r] = g
                add(ora, cands[c], st)
                r += 1
        tau *= 1.0 - eps
        if tau < floor or d <= 0.0:
            break
    return picks[:r], gains[:r], calls


# -------------------------------------------------------------------------------- sieve-streaming

@kernel
def sieve(ora, cands, k, m, single, eps):
    """Sieve-streaming (Badanidiyuru et al. 2014), one pass over `cands` in order. Guesses v of OPT on
    the grid (1+eps)^i with max_so_far <= v <= 2 k max_so_far, created and dropped as the running
    maximum singleton grows; element e joins S_v if |S_v| < k and gain >= (v/2 - f(S_v)) / (k - |S_v|).
    A singleton below that threshold skips the call (gain <= singleton). Returns the best S_v as
    (picks, gains, calls, guesses used)."""
    n = cands.shape[0]
    lg = math.log1p(eps)
    width = int(math.floor(math.log(2.0 * k) / lg)) + 3
    cnt = np.zeros(width, dtype=np.int64)
    val = np.zeros(width)
    spicks = np.empty((width, k), dtype=np.int64)
    sgains = np.empty((width, k))
    states = np.zeros((width, m), ora[2].dtype)
    lo = 0
    hi = -1
    top = 0.0
    calls = 0
    created = 0
    for c in range(n):
        e = cands[c]
        s = single[e]
        if s > top:
            top = s
            new_lo = int(math.ceil(math.log(top) / lg))
            new_hi = int(math.floor(math.log(2.0 * k * top) / lg))
            for i in range(max(new_lo, hi + 1), new_hi + 1):
                slot = i % width
                cnt[slot] = 0
                val[slot] = 0.0
                states[slot, :] = 0.0
                created += 1
            lo, hi = new_lo, new_hi
        for i in range(lo, hi + 1):
            slot = i % width
            if cnt[slot] >= k:
                continue
            v = math.exp(i * lg)
            thr = (v / 2.0 - val[slot]) / (k - cnt[slot])
            if s < thr:
                continue
            g = gain(ora, e, states[slot])
            calls += 1
            if g >= thr:
                spicks[slot, cnt[slot]] = e
                sgains[slot, cnt[slot]] = g
                cnt[slot] += 1
                val[slot] += g
                add(ora, e, states[slot])
    best = -1
    for i in range(lo, hi + 1):
        slot = i % width
        if best < 0 or val[slot] > val[best]:
            best = slot
    if best < 0:
        return np.empty(0, dtype=np.int64), np.empty(0), calls, created
    return spicks[best, :cnt[best]].copy(), sgains[best, :cnt[best]].copy(), calls, created


# ------------------------------------------------------------- dynamic: the level structure (dynamic)
#
# One structure per guess g of OPT on the fixed grid gamma_g = (1+eps)^(g0+g), threshold
# theta_g = gamma_g / (2k). An element is routed only to the guesses with
# f({e}) / (1+eps) <= gamma_g <= 2k f({e}), so it is pickable at level 0 of each of them.
# Per guess: picks u_1..u_T (G_j = {u_1..u_j}, state row srow[g, j], value vals[g, j]) and nested
# candidate sets R_1 >= R_2 >= ..., R_i = {alive routed x : pickable(x, i-1)}, where
# pickable(x, j) = j < k and gain(x | G_j) >= theta_g. R_i is stored as depth[g, x] = the largest i
# with x in R_i (0: not in R_1), and cnt[g, i] = |R_i|. The invariant that makes deletions cheap:
# u_i is uniformly random in R_i given the levels above, so an oblivious deletion hits a pick rarely.
#
# `dy` = (depth, cnt, picks, T, vals, srow, pool, free, meta, buf, theta, route_lo, route_hi):
# pool rows hold the states G_j (row 0: the empty set), `free` is a stack of unused rows,
# meta = [free rows, oracle calls, level constructions, unused], buf is scratch of length n.

@kernel
def _take_row(dy):
    meta = dy[8]
    meta[0] -= 1
    return dy[7][meta[0]]


@kernel
def _give_row(dy, row):
    meta = dy[8]
    dy[7][meta[0]] = row
    meta[0] += 1


@kernel
def _level_gain(ora, dy, single, g, x, j):
    """gain(x | G_j) of guess g; the singleton for j = 0 (no call)."""
    if j == 0:
        return single[x]
    dy[8][1] += 1
    return gain(ora, x, dy[6][dy[5][g, j]])


@kernel
def _deepest(ora, dy, single, k, g, x, lo, hi):
    """(j, gain(x | G_j)): the largest j in [lo, hi] with pickable(x, j), by bisection, given
    pickable(x, lo). The gain is NaN when j = lo was not queried (its gain is not needed then)."""
    good = lo
    good_gain = np.nan
    bad = hi + 1
    while bad - good > 1:
        mid = (good + bad) // 2
        gm = _level_gain(ora, dy, single, g, x, mid) if mid < k else -np.inf
        if gm >= dy[10][g]:
            good = mid
            good_gain = gm
        else:
            bad = mid
    return good, good_gain


@kernel
def _construct(ora, dy, single, k, g, i, forced, n, rng):
    """Rebuild guess g from level i: R_i is complete; drop the picks u_i.. and the sets R_{i+1}..,
    then scan R_i in a uniformly random order (`forced` first when >= 0). Each element's depth is
    found by bisection over the levels built so far (O(log k) calls); one that reaches the current
    level becomes its pick. This is a threshold sieve run on R_i in random order, so each new pick is
    uniform over its level's candidates."""
    depth, cnt, picks, T, vals, srow, pool = dy[0][g], dy[1][g], dy[2][g], dy[3], dy[4][g], dy[5][g], dy[6]
    buf = dy[9]
    dy[8][2] += 1
    for j in range(i, T[g] + 1):
        _give_row(dy, srow[j])
    T[g] = i - 1
    nb = 0
    for x in range(n):
        if depth[x] >= i:
            buf[nb] = x
            nb += 1
            depth[x] = i
    cnt[i] = nb
    for j in range(i + 1, k + 2):
        cnt[j] = 0
    for t in range(nb - 1):
        j = rng.integers(t, nb)
        buf[t], buf[j] = buf[j], buf[t]
    if forced >= 0:
        for t in range(nb):
            if buf[t] == forced:
                buf[t], buf[0] = buf[0], buf[t]
                break
    lvl = i
    for t in range(nb):
        x = buf[t]
        z, gx = _deepest(ora, dy, single, k, g, x, i - 1, min(lvl - 1, k - 1))
        if z == lvl - 1:  # pickable at the current level: x is its pick
            if np.isnan(gx):
                gx = _level_gain(ora, dy, single, g, x, z)
            row = _take_row(dy)
            pool[row, :] = pool[srow[lvl - 1]]
            add(ora, x, pool[row])
            srow[lvl] = row
            picks[lvl] = x
            vals[lvl] = vals[lvl - 1] + gx
            lvl += 1
        depth[x] = z + 1
        for j in range(i + 1, z + 2):
            cnt[j] += 1
    T[g] = lvl - 1


@kernel
def _insert(ora, dy, single, k, g, x, n, rng):
    """Insert x into guess g. Reservoir step: x replaces the pick of level i with probability
    1/|R_i + x| for each level it reaches, the first success wins, and the structure is rebuilt from
    there with x as the pick. Coins are drawn top-down before x's depth is known (a coin at a level x
    does not reach is ignored, which keeps the distribution), so one bisection up to the winning
    level decides both x's depth and whether it wins: O(log k) calls."""
    depth, cnt, T = dy[0][g], dy[1][g], dy[3][g]
    top = min(T, k - 1) + 1
    win = -1
    for i in range(1, top + 1):
        if i == T + 1 or rng.random() * (cnt[i] + 1) < 1.0:
            win = i
            break
    z, _ = _deepest(ora, dy, single, k, g, x, 0, top - 1 if win < 0 else win - 1)
    if win > 0 and z == win - 1:
        for j in range(1, win):
            cnt[j] += 1
        depth[x] = win
        _construct(ora, dy, single, k, g, win, x, n, rng)
        return
    depth[x] = z + 1
    for j in range(1, z + 2):
        cnt[j] += 1


@kernel
def _delete(ora, dy, single, k, g, x, n, rng):
    """Delete x from guess g: leave every R_i; if x was the pick of its deepest level, rebuild from
    that level."""
    depth, cnt, picks, T = dy[0][g], dy[1][g], dy[2][g], dy[3][g]
    d = depth[x]
    if d == 0:
        return
    depth[x] = 0
    for j in range(1, d + 1):
        cnt[j] -= 1
    if d <= T and picks[d] == x:
        _construct(ora, dy, single, k, g, d, -1, n, rng)


@kernel
def dynamic_apply(ora, dy, single, k, sign, ids, start, stop, resume, calls_out, value_out, size_out, rng):
    """Apply updates start..stop-1 (sign +1 insert, -1 delete of element ids[t]) to every guess the
    element is routed to; record per update the oracle calls, the value and size of the best guess.
    Before each guess, at least k + 1 free state rows must be left; otherwise return
    (t, position of the guess within the element's route, NEED_ROWS) so the caller grows the pool
    and resumes exactly there. Returns (next update, 0, DONE) when finished."""
    depth = dy[0]
    T, vals, meta = dy[3], dy[4], dy[8]
    lo_of, hi_of = dy[11], dy[12]
    n = depth.shape[1]
    n_guess = depth.shape[0]
    for t in range(start, stop):
        x = ids[t]
        first = lo_of[x] + (resume if t == start else 0)
        before = meta[1]
        for g in range(first, hi_of[x] + 1):
            if meta[0] < k + 1:
                calls_out[t] += meta[1] - before
                return t, g - lo_of[x], NEED_ROWS
            if sign[t] > 0:
                _insert(ora, dy, single, k, g, x, n, rng)
            else:
                _delete(ora, dy, single, k, g, x, n, rng)
        calls_out[t] += meta[1] - before
        best = -1
        for g in range(n_guess):
            if T[g] > 0 and (best < 0 or vals[g, T[g]] > vals[best, T[best]]):
                best = g
        value_out[t] = vals[best, T[best]] if best >= 0 else 0.0
        size_out[t] = T[best] if best >= 0 else 0
    return stop, 0, DONE


@kernel
def dynamic_best(dy):
    """The guess with the largest value (-1 if every guess is empty)."""
    T, vals = dy[3], dy[4]
    best = -1
    for g in range(T.shape[0]):
        if T[g] > 0 and (best < 0 or vals[g, T[g]] > vals[best, T[best]]):
            best = g
    return best


# ---------------------------------------------------------- dynamic-greedy: exact prefix repair
#
# Keeps greedy's solution on the alive elements: picks p_0..p_{T-1} with gains g_r = gain(p_r | S_r),
# the states S_0..S_T, and per element an upper bound b[y] >= gain(y | S_lv[y]) (exact if ex[y]).
# Greedy's own certificate, gain(y | S_r) <= g_r for every other alive y, bounds every element after
# a truncation at round r. An update re-runs lazy greedy from the first round it changes.
#
# `pr` = (live, picks, gains, states, meta, b, lv, ex, pickpos, hb, hid, hr): meta = [T, oracle calls];
# pickpos[y] = 1 + the round y was picked in (0: not picked).

@kernel
def _repair(ora, pr, k, r0, n):
    """Truncate to S_{r0} and finish greedy with lazy rounds over the alive elements not in S_{r0}."""
    live, picks, gains, states, meta = pr[0], pr[1], pr[2], pr[3], pr[4]
    b, lv, ex, pickpos, hb, hid, hr = pr[5], pr[6], pr[7], pr[8], pr[9], pr[10], pr[11]
    t_old = meta[0]
    cap = gains[r0] if r0 < t_old else np.inf
    for r in range(r0, t_old):
        pickpos[picks[r]] = 0
    size = 0
    for y in range(n):
        if not live[y] or pickpos[y] > 0:
            continue
        exact = ex[y] and lv[y] == r0
        bound = b[y] if lv[y] <= r0 else np.inf
        if not exact and bound > cap:  # the certificate bounds every element but a new one (exact)
            bound = cap
        hb[size] = bound
        hid[size] = y
        hr[size] = r0 if exact else -1
        size += 1
    _heapify(hb, hid, hr, size)
    st = states[r0].copy()
    r, size, calls = _lazy_rounds(ora, st, hb, hid, hr, size, r0, k, picks, gains, states)
    meta[0] = r
    meta[1] += calls
    for q in range(r0, r):
        y = picks[q]
        pickpos[y] = q + 1
        b[y] = gains[q]
        lv[y] = q
        ex[y] = True
    for q in range(size):
        y = hid[q]
        b[y] = hb[q]
        if hr[q] >= 0:
            lv[y] = hr[q]
            ex[y] = True
        else:
            lv[y] = r0
            ex[y] = False


@kernel
def _prefix_insert(ora, pr, single, k, x, n):
    """x joins greedy's solution at the first round it would win (larger gain, or equal gain and a
    smaller id); rounds where its best known upper bound already loses cost no call."""
    live, picks, gains, states, meta = pr[0], pr[1], pr[2], pr[3], pr[4]
    b, lv, ex = pr[5], pr[6], pr[7]
    live[x] = True
    b[x] = single[x]
    lv[x] = 0
    ex[x] = True
    t = meta[0]
    for r in range(t):
        if b[x] < gains[r] or (b[x] == gains[r] and x > picks[r]):
            continue
        if lv[x] != r:
            b[x] = gain(ora, x, states[r])
            lv[x] = r
            meta[1] += 1
        if b[x] > gains[r] or (b[x] == gains[r] and x < picks[r]):
            _repair(ora, pr, k, r, n)
            return
    if t < k:
        _repair(ora, pr, k, t, n)


@kernel
def _prefix_delete(ora, pr, k, x, n):
    live, pickpos = pr[0], pr[8]
    live[x] = False
    r = pickpos[x] - 1
    if r >= 0:
        pickpos[x] = 0
        _repair(ora, pr, k, r, n)


@kernel
def prefix_apply(ora, pr, single, k, sign, ids, start, stop, calls_out, value_out, size_out):
    """Apply updates start..stop-1 to prefix-repair greedy; record calls, value and size per update."""
    gains, meta = pr[2], pr[4]
    n = pr[0].shape[0]
    for t in range(start, stop):
        before = meta[1]
        if sign[t] > 0:
            _prefix_insert(ora, pr, single, k, ids[t], n)
        else:
            _prefix_delete(ora, pr, k, ids[t], n)
        calls_out[t] = meta[1] - before
        s = 0.0
        for r in range(meta[0]):
            s += gains[r]
        value_out[t] = s
        size_out[t] = meta[0]
