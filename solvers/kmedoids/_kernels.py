"""Numba kernels for k-medoids: assignment caches, BUILD, LAB, PAM SWAP, FastPAM1, FasterPAM,
alternating, CLARANS. Private: no validation here (see `api.py`).

All kernels read a square, exactly symmetric dissimilarity matrix `D` (float32 or float64, C order) by
rows: candidate `j` reads `D[j]`, which equals column `j`. Per-object caches are structure-of-arrays:
`near_i`/`sec_i` (int32 slot of the nearest / second-nearest medoid) and `near_d`/`sec_d` (their
dissimilarities, in D's dtype). Every sum is accumulated in float64. Weights `w` are either None
(every object counts once; Numba compiles that case without the multiplications) or float64 per object.
Ties resolve to the lower slot and the earlier candidate, as in the reference implementation, so from
the same start these kernels take exactly the swaps of kno10/rust-kmedoids.

The kernels and every helper they call live in this one module: Numba's cache only notices changes to
the file of the kernel itself.
"""

import numpy as np

from .._jit import exact_kernel

# Ordering and sums must be exactly those of the reference, so no fastmath (no reassociation) here.
kernel = exact_kernel


@kernel
def _w(w, o):
    if w is None:
        return 1.0
    return w[o]


# ------------------------------------------------------------------------------------------ caches

@kernel
def initial_assign(D, med, near_i, near_d, sec_i, sec_d, w):
    """Nearest and second-nearest medoid of every object; returns the loss (weighted total deviation).
    A medoid is always assigned to itself, even when a duplicate object is another medoid."""
    n = D.shape[0]
    k = med.shape[0]
    loss = 0.0
    for o in range(n):
        row = D[o]
        ni = 0
        nd = row[med[0]]
        si = -1
        sd = np.inf
        for m in range(1, k):
            d = row[med[m]]
            if d < nd or o == med[m]:
                si = ni
                sd = nd
                ni = m
                nd = d
            elif si < 0 or d < sd:
                si = m
                sd = d
        near_i[o] = ni
        near_d[o] = nd
        sec_i[o] = si
        sec_d[o] = sd
        loss += _w(w, o) * nd
    return loss


@kernel
def removal_loss(near_i, near_d, sec_d, R, w):
    """R[i] = loss increase if medoid i were removed and its members fell back to their second nearest."""
    R[:] = 0.0
    for o in range(near_i.shape[0]):
        R[near_i[o]] += _w(w, o) * (np.float64(sec_d[o]) - np.float64(near_d[o]))


@kernel
def best_slot(D, j, near_i, near_d, sec_d, R, P, buf, w):
    """FastPAM1 scan: the loss change of making object j a medoid, for every slot at once, in O(n + k).
    Returns (best change, its slot).

    Only objects with d(o, j) < sec_d[o] change anything (about 2n/k of them). A branch-free first pass
    collects them in `buf` (int32, length n); the second pass updates only those, with selects instead
    of branches. Data-dependent branches mispredict often at small k; this is 1.3-2x faster than the
    plain loop and performs the same additions in the same order, so the sums are bit-identical."""
    k = R.shape[0]
    for i in range(k):
        P[i] = R[i]
    row = D[j]
    hits = 0
    for o in range(row.shape[0]):
        buf[hits] = o
        hits += row[o] < sec_d[o]
    acc = 0.0
    for t in range(hits):
        o = buf[t]
        x = np.float64(row[o])
        nd = np.float64(near_d[o])
        sd = np.float64(sec_d[o])
        closest = x < nd
        # adding +0.0 leaves acc unchanged, so this equals "if closest: acc += ..."
        acc += _w(w, o) * (x - nd) if closest else 0.0
        P[near_i[o]] += _w(w, o) * ((nd - sd) if closest else (x - sd))
    b = 0
    best = P[0]
    for i in range(1, k):
        if P[i] < best:
            best = P[i]
            b = i
    return best + acc, b


@kernel
def pair_delta(D, m, j, near_i, near_d, sec_d, w):
    """Original PAM: loss change of replacing the medoid in slot m by object j, in O(n)."""
    row = D[j]
    acc = -_w(w, j) * np.float64(near_d[j])
    for o in range(row.shape[0]):
        if o == j:
            continue
        x = row[o]
        if near_i[o] == m:
            if x < sec_d[o]:
                acc += _w(w, o) * (np.float64(x) - np.float64(near_d[o]))
            else:
                acc += _w(w, o) * (np.float64(sec_d[o]) - np.float64(near_d[o]))
        elif x < near_d[o]:
            acc += _w(w, o) * (np.float64(x) - np.float64(near_d[o]))
    return acc


@kernel
def _second_nearest(D, med, o, skip, b, x):
    """Rescan the medoids for object o's second nearest, excluding slot `skip`, starting from (b, x)."""
    si = b
    sd = x
    row = D[o]
    for i in range(med.shape[0]):
        if i == skip or i == b:
            continue
        d = row[med[i]]
        if d < sd:
            si = i
            sd = d
    return si, sd


@kernel
def do_swap(D, med, near_i, near_d, sec_i, sec_d, b, j, w):
    """Make object j the medoid of slot b, update the caches and return the new loss (recomputed,
    not updated incrementally, so rounding cannot drift)."""
    med[b] = j
    row = D[j]
    loss = 0.0
    for o in range(row.shape[0]):
        if o == j:
            if near_i[o] != b:
                sec_i[o] = near_i[o]
                sec_d[o] = near_d[o]
            near_i[o] = b
            near_d[o] = 0
            continue
        x = row[o]
        if near_i[o] == b:
            if x < sec_d[o]:
                near_d[o] = x
            else:
                near_i[o] = sec_i[o]
                near_d[o] = sec_d[o]
                si, sd = _second_nearest(D, med, o, near_i[o], b, x)
                sec_i[o] = si
                sec_d[o] = sd
        else:
            if x < near_d[o]:
                sec_i[o] = near_i[o]
                sec_d[o] = near_d[o]
                near_i[o] = b
                near_d[o] = x
            elif x < sec_d[o]:
                sec_i[o] = b
                sec_d[o] = x
            elif sec_i[o] == b:
                si, sd = _second_nearest(D, med, o, near_i[o], b, x)
                sec_i[o] = si
                sec_d[o] = sd
        loss += _w(w, o) * near_d[o]
    return loss


# ----------------------------------------------------------------------------- swap-based searches
# Each search runs at most `max_rounds` rounds per call and keeps its progress in `state`, so the
# Python driver can call it repeatedly to report progress. state (int64): [0] rounds done, [1] swaps,
# [2] finished flag, [3] FasterPAM's last swap position (n = none), [4] candidates evaluated.
# loss (float64, length 1) holds the current loss.

@kernel
def fasterpam_rounds(D, med, near_i, near_d, sec_i, sec_d, R, P, buf, order, state, loss, max_rounds, w):
    """FasterPAM (Schubert & Rousseeuw 2021): eager first-improvement over candidates in `order`; a round
    is one pass. Stops when a whole cycle since the last swap finds no improvement."""
    n = D.shape[0]
    last = state[3]
    for _ in range(max_rounds):
        state[0] += 1
        swaps_before = state[1]
        loss_before = loss[0]
        for t in range(n):
            j = order[t]
            if j == last:
                break
            if med[near_i[j]] == j:
                continue
            state[4] += 1
            change, b = best_slot(D, j, near_i, near_d, sec_d, R, P, buf, w)
            if change >= 0.0:
                continue
            if _swap_if_better(D, med, near_i, near_d, sec_i, sec_d, b, j, loss, w):
                state[1] += 1
                last = j
            removal_loss(near_i, near_d, sec_d, R, w)
        state[3] = last
        if state[1] == swaps_before or loss[0] >= loss_before:
            state[2] = 1
            return


@kernel
def _swap_if_better(D, med, near_i, near_d, sec_i, sec_d, b, j, loss, w):
    """Make j the medoid of slot b if that lowers the loss (recomputed from scratch) below loss[0];
    otherwise swap back and return False. A swap's estimated change is a sum of differences of
    distances: when the distances span more orders of magnitude than float64 resolves (a point 1e16
    times farther than the others), rounding can make it negative for a swap that raises the loss, and
    a search that trusted it would end worse than it started, or (CLARANS) never end."""
    old = med[b]
    new_loss = do_swap(D, med, near_i, near_d, sec_i, sec_d, b, j, w)
    if new_loss < loss[0]:
        loss[0] = new_loss
        return True
    loss[0] = do_swap(D, med, near_i, near_d, sec_i, sec_d, b, old, w)
    return False


@kernel
def _take_best_swap(D, med, near_i, near_d, sec_i, sec_d, best, best_b, best_j, state, loss, w):
    """Perform the best swap of a PAM-style round if it improves; returns True when the search is over
    (no improving swap, or the swap's estimated gain was rounding noise and the loss did not drop: then
    the swap is undone)."""
    if best >= 0.0 or not _swap_if_better(D, med, near_i, near_d, sec_i, sec_d, best_b, best_j, loss, w):
        state[2] = 1
        return True
    state[1] += 1
    return False


@kernel
def fastpam1_rounds(D, med, near_i, near_d, sec_i, sec_d, R, P, buf, state, loss, max_rounds, w):
    """FastPAM1 (Schubert & Rousseeuw 2019/2021): per round, evaluate every candidate against all slots
    in O(n + k) each and perform only the best swap, exactly the swap PAM would take."""
    n = D.shape[0]
    for _ in range(max_rounds):
        state[0] += 1
        removal_loss(near_i, near_d, sec_d, R, w)
        best = 0.0
        best_b = -1
        best_j = -1
        for j in range(n):
            if med[near_i[j]] == j:
                continue
            state[4] += 1
            change, b = best_slot(D, j, near_i, near_d, sec_d, R, P, buf, w)
            if change >= best:
                continue
            best = change
            best_b = b
            best_j = j
        if _take_best_swap(D, med, near_i, near_d, sec_i, sec_d, best, best_b, best_j, state, loss, w):
            return


@kernel
def pam_rounds(D, med, near_i, near_d, sec_i, sec_d, state, loss, max_rounds, w):
    """Original PAM SWAP (Kaufman & Rousseeuw): per round, evaluate every (slot, candidate) pair in O(n)
    each, O(k n^2) in all, and perform the best swap."""
    n = D.shape[0]
    k = med.shape[0]
    for _ in range(max_rounds):
        state[0] += 1
        best = 0.0
        best_b = -1
        best_j = -1
        for j in range(n):
            if med[near_i[j]] == j:
                continue
            state[4] += 1
            for m in range(k):
                change = pair_delta(D, m, j, near_i, near_d, sec_d, w)
                if change < best:
                    best = change
                    best_b = m
                    best_j = j
        if _take_best_swap(D, med, near_i, near_d, sec_i, sec_d, best, best_b, best_j, state, loss, w):
            return


@kernel
def clarans_local(D, med, near_i, near_d, sec_i, sec_d, R, P, buf, max_neighbors, fast, rng, state, loss, w):
    """One CLARANS local search (Ng & Han 2002): try random neighbours until `max_neighbors` in a row do
    not improve. fast=True is FastCLARANS (Schubert & Rousseeuw 2019): a random candidate object is
    tried against every slot at once in O(n + k); fast=False draws a random (slot, object) pair, O(n)."""
    n = D.shape[0]
    k = med.shape[0]
    if k == n:
        state[2] = 1
        return
    fails = 0
    removal_loss(near_i, near_d, sec_d, R, w)
    while fails < max_neighbors:
        j = rng.integers(0, n)
        while med[near_i[j]] == j:
            j = rng.integers(0, n)
        state[4] += 1
        if fast:
            change, b = best_slot(D, j, near_i, near_d, sec_d, R, P, buf, w)
        else:
            b = rng.integers(0, k)
            change = pair_delta(D, b, j, near_i, near_d, sec_d, w)
        # relative tolerance: a rounding-level "gain" must not restart the neighbour count forever
        if change >= -1e-12 * abs(loss[0]):
            fails += 1
            continue
        if _swap_if_better(D, med, near_i, near_d, sec_i, sec_d, b, j, loss, w):
            state[1] += 1
            fails = 0
        else:
            fails += 1
        if fast:
            removal_loss(near_i, near_d, sec_d, R, w)
    state[0] += 1
    state[2] = 1


# ----------------------------------------------------------------------------------- initialisation

@kernel
def single_medoid(D, med, labels, w):
    """k = 1 exactly: move the one medoid to the object with the least total dissimilarity (keeping the
    current one on ties). `labels` must be all zero. Returns True if it moved."""
    return _medoid_within(D, labels, med, 0, w)


@kernel
def medoid_of_all(D, w):
    """The exact 1-medoid: the object with the least (weighted) sum of dissimilarities; first on ties."""
    n = D.shape[0]
    best = 0
    best_sum = np.inf
    for i in range(n):
        row = D[i]
        s = 0.0
        for o in range(n):
            if o != i:
                s += _w(w, o) * row[o]
        if s < best_sum:
            best_sum = s
            best = i
    return best, best_sum


@kernel
def build(D, k, med, near_d, w):
    """PAM BUILD (greedy): the first medoid minimises the total deviation, each next one gives the largest
    decrease. Never stops early: when fewer than k objects are distinct it keeps adding the best
    remaining object (gain 0), so exactly k distinct objects are returned. Returns how many medoids
    were added without a gain."""
    n = D.shape[0]
    first, _ = medoid_of_all(D, w)
    med[0] = first
    is_med = np.zeros(n, np.bool_)
    is_med[first] = True
    row = D[first]
    for j in range(n):
        near_d[j] = row[j]
    no_gain = 0
    for l in range(1, k):
        best = np.inf
        best_i = -1
        for i in range(n):
            if is_med[i]:
                continue
            row = D[i]
            s = -_w(w, i) * np.float64(near_d[i])
            for j in range(n):
                if j != i:
                    d = row[j]
                    if d < near_d[j]:
                        s += _w(w, j) * (np.float64(d) - np.float64(near_d[j]))
            if s < best:
                best = s
                best_i = i
        if best >= 0.0:
            no_gain += 1
        med[l] = best_i
        is_med[best_i] = True
        row = D[best_i]
        for j in range(n):
            if row[j] < near_d[j]:
                near_d[j] = row[j]
        near_d[best_i] = 0
    return no_gain


@kernel
def lab(D, k, med, rng, w):
    """LAB, Linear Approximative BUILD (Schubert & Rousseeuw 2019): BUILD's greedy choice made on a fresh
    random subsample of 10 + ceil(sqrt(n)) non-medoids per step, so it reads O(n k) dissimilarities
    instead of BUILD's O(n^2 k)."""
    n = D.shape[0]
    s = min(n, 10 + int(np.ceil(np.sqrt(n))))
    pool = np.arange(n)
    size = n  # pool[:size] are the objects not yet chosen
    dnear = np.full(n, np.inf)
    sample = np.empty(s, np.int64)
    for l in range(k):
        m = min(s, size)
        for t in range(m):  # partial Fisher-Yates: a uniform sample without replacement
            r = t + rng.integers(0, size - t)
            tmp = pool[t]
            pool[t] = pool[r]
            pool[r] = tmp
            sample[t] = pool[t]
        best = np.inf
        best_t = 0
        for t in range(m):
            i = sample[t]
            row = D[i]
            c = 0.0
            for u in range(m):
                jj = sample[u]
                d = np.float64(row[jj])
                if l == 0:
                    c += _w(w, jj) * d
                elif d < dnear[jj]:
                    c += _w(w, jj) * (d - dnear[jj])
            if c < best:
                best = c
                best_t = t
        chosen = sample[best_t]
        med[l] = chosen
        # remove `chosen` from the pool (it sits at position best_t after the shuffle)
        pool[best_t] = pool[size - 1]
        pool[size - 1] = chosen
        size -= 1
        row = D[chosen]
        for j in range(n):
            d = np.float64(row[j])
            if d < dnear[j]:
                dnear[j] = d


# ------------------------------------------------------------------------------------- alternating

@kernel
def assign_nearest(D, med, labels, w):
    """Label every object with the slot of its nearest medoid (a medoid with itself); returns the loss."""
    n = D.shape[0]
    loss = 0.0
    for o in range(n):
        row = D[o]
        best = 0
        bd = row[med[0]]
        for m in range(1, med.shape[0]):
            d = row[med[m]]
            if d < bd or o == med[m]:
                best = m
                bd = d
        labels[o] = best
        loss += _w(w, o) * bd
    return loss


@kernel
def _medoid_within(D, labels, med, m, w):
    """Move slot m's medoid to the member with the least sum of dissimilarities to the other members.
    Returns True if it moved."""
    n = D.shape[0]
    first = med[m]
    best = first
    row = D[first]
    best_sum = 0.0
    for i in range(n):
        if i != first and labels[i] == m:
            best_sum += _w(w, i) * row[i]
    for j in range(n):
        if j == first or labels[j] != m:
            continue
        row = D[j]
        s = 0.0
        for i in range(n):
            if i != j and labels[i] == m:
                s += _w(w, i) * row[i]
        if s < best_sum:
            best = j
            best_sum = s
    med[m] = best
    return best != first


@kernel
def alternate_rounds(D, med, labels, state, loss, max_rounds, w):
    """Alternating k-medoids (Park & Jun; Maranzana): re-centre every cluster on its best member, then
    reassign; one round = both steps. Cheap, but stops in worse local optima than swap-based methods."""
    k = med.shape[0]
    for _ in range(max_rounds):
        state[0] += 1
        changed = False
        for m in range(k):
            if _medoid_within(D, labels, med, m, w):
                changed = True
                state[1] += 1
        if not changed:
            state[2] = 1
            return
        loss[0] = assign_nearest(D, med, labels, w)
