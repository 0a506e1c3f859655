"""Numba kernels for finite-sum monotone inclusions 0 in F(z) + N_C(z): operators, projections,
residuals and one driver loop per method. Private: no validation here (see `api.py`).

An operator is the tuple `op = (kind, n, m, stack, mat, mean, const)` with F = (1/n) sum_i F_i and
F_i(z) = J_i z + c_i. Only differences F_i(u) - F_i(v) = J_i (u - v) and the full F(z) = Jbar z + const
are ever needed, so the c_i are never stored. `kind` says how J_i is stored (z = (x, y), x = z[:m]):

- BILINEAR: J_i = [[0, A_i], [-A_i^T, 0]], A_i = stack[i] (m x q); mean = Abar.
- ROWS:     one matrix A = mat (m x q) split by rows, n = m: F_i = n (e_i a_i.y, -a_i x_i); mean = A.
- COLS:     split by columns, n = q, mat = A^T (so column j is the row mat[j]); mean = A.
- AFFINE:   J_i = stack[i] (d x d); mean = Jbar.
- LSQ:      J_i = a_i a_i^T with a_i = mat[i] (n x d); F = A^T (A z) / n + const.

Constraint sets are a product of blocks, `sets = (btype, bstart, bend, radius, lo, hi)`: FREE, BOX
(coordinate bounds lo/hi), SIMPLEX ({z >= 0, sum z = radius}) or BALL (||z|| <= radius).

Oracle accounting (the paper's): one full F is n component calls; one component difference
F_i(u) - F_i(v) is 2 calls. Residuals are tested only where F is known exactly (free checks).

Run state lives in arrays the caller allocates: `counts` (int64: calls, full evaluations, component
differences, iterations, inner iterations, restarts, checks, status), `hist` (calls and residual at
every check), `best` (the checked point with the smallest residual), `fstate` (best, last, anchor
residual) and `monitor` (calls, last and best residual for a progress display; monitor[3] != 0 asks
the run to stop at its next check). Kernels and their helpers live in this one module because Numba's
cache only notices changes to the kernel's own file.
"""

import math

import numpy as np

from .._jit import kernel

BILINEAR, ROWS, COLS, AFFINE, LSQ = 0, 1, 2, 3, 4
FREE, BOX, SIMPLEX, BALL = 0, 1, 2, 3

# counts[...] slots and status codes
CALLS, FULL, DIFFS, ITERS, INNER, RESTARTS, CHECKS, STATUS = 0, 1, 2, 3, 4, 5, 6, 7
RUNNING, CONVERGED, BUDGET, STOPPED, DIVERGED = 0, 1, 2, 3, 4

#: adaptive restart re-anchors once the residual is at most this fraction of the anchor's: one half,
#: with a margin far above rounding. Once an anchored run has converged, its residual is the anchor
#: term lambda_k ||anchor - z*|| and halves exactly at k = 2 k_anchor + 2: at exactly 0.5 the last bit
#: of a sum (which differs between CPUs and vector widths) decided whether the run restarted.
HALVED = 0.5005


# ------------------------------------------------------------------------------------ operators

@kernel
def full_F(op, z, out):
    """out = F(z) = Jbar z + const (exact; the caller charges n calls)."""
    kind, n, m, stack, mat, mean, const = op
    d = z.shape[0]
    if kind == AFFINE:
        for r in range(d):
            s = 0.0
            row = mean[r]
            for c in range(d):
                s += row[c] * z[c]
            out[r] = s + const[r]
    elif kind == LSQ:
        for r in range(d):
            out[r] = const[r]
        for i in range(n):
            a = mat[i]
            t = 0.0
            for c in range(d):
                t += a[c] * z[c]
            t /= n
            for c in range(d):
                out[c] += t * a[c]
    else:
        zy = z[m:]
        oy = out[m:]
        cy = const[m:]
        for c in range(d - m):
            oy[c] = cy[c]
        for r in range(m):
            row = mean[r]
            s = 0.0
            zr = z[r]
            for c in range(d - m):
                s += row[c] * zy[c]
                oy[c] -= row[c] * zr
            out[r] = s + const[r]


@kernel
def comp_add(op, i, u, s, out):
    """out += s * J_i u: the difference F_i(v + u) - F_i(v) of component i, scaled by s."""
    kind, n, m, stack, mat, mean, const = op
    d = u.shape[0]
    if kind == BILINEAR:
        A = stack[i]
        uy = u[m:]
        oy = out[m:]
        for r in range(m):
            row = A[r]
            acc = 0.0
            ur = s * u[r]
            for c in range(d - m):
                acc += row[c] * uy[c]
                oy[c] -= row[c] * ur
            out[r] += s * acc
    elif kind == ROWS:
        # loops over views from 0: an offset index (u[m + c]) keeps numba's wraparound check in every
        # load and stops vectorisation
        a = mat[i]
        uy = u[m:]
        oy = out[m:]
        acc = 0.0
        xi = s * n * u[i]
        for c in range(d - m):
            acc += a[c] * uy[c]
            oy[c] -= xi * a[c]
        out[i] += s * n * acc
    elif kind == COLS:
        a = mat[i]
        acc = 0.0
        yj = s * n * u[m + i]
        for r in range(m):
            acc += a[r] * u[r]
            out[r] += yj * a[r]
        out[m + i] -= s * n * acc
    elif kind == AFFINE:
        M = stack[i]
        for r in range(d):
            row = M[r]
            acc = 0.0
            for c in range(d):
                acc += row[c] * u[c]
            out[r] += s * acc
    else:
        a = mat[i]
        acc = 0.0
        for c in range(d):
            acc += a[c] * u[c]
        acc *= s
        for c in range(d):
            out[c] += acc * a[c]


@kernel
def comp_add_t(op, i, u, s, out):
    """out += s * J_i^T u (for Lipschitz estimates): bilinear components are skew, LSQ symmetric."""
    kind = op[0]
    if kind == AFFINE:
        M = op[3][i]
        d = u.shape[0]
        for r in range(d):
            ur = s * u[r]
            row = M[r]
            for c in range(d):
                out[c] += row[c] * ur
    elif kind == LSQ:
        comp_add(op, i, u, s, out)
    else:
        comp_add(op, i, u, -s, out)


@kernel
def mean_apply(op, u, transpose, out):
    """out = Jbar u (or Jbar^T u): F without its constant."""
    kind = op[0]
    const = op[6]
    full_F(op, u, out)
    for r in range(out.shape[0]):
        out[r] -= const[r]
    if transpose and kind != LSQ:
        if kind == AFFINE:
            mean = op[5]
            d = u.shape[0]
            for r in range(d):
                out[r] = 0.0
            for r in range(d):
                row = mean[r]
                ur = u[r]
                for c in range(d):
                    out[c] += row[c] * ur
        else:
            for r in range(out.shape[0]):
                out[r] = -out[r]


@kernel
def tangent(sets, u):
    """Project u onto the tangent space in place: remove the mean of every simplex block (a
    projection onto a simplex ignores shifts along the all-ones vector)."""
    btype, bstart, bend = sets[0], sets[1], sets[2]
    for b in range(btype.shape[0]):
        if btype[b] == SIMPLEX:
            ub = u[bstart[b]:bend[b]]
            mu = 0.0
            for j in range(ub.shape[0]):
                mu += ub[j]
            mu /= ub.shape[0]
            for j in range(ub.shape[0]):
                ub[j] -= mu


@kernel
def gram_apply(op, sets, u, average, out, t1, t2):
    """out = T Jbar^T T Jbar T u (average False) or (1/n) sum_i T J_i^T T J_i T u (average True), T
    the tangent projection: the squares of the Lipschitz and the Lipschitz-on-average constants are
    the largest eigenvalues of these symmetric operators."""
    n = op[1]
    d = u.shape[0]
    for j in range(d):
        t1[j] = u[j]
    tangent(sets, t1)
    if not average:
        mean_apply(op, t1, False, t2)
        tangent(sets, t2)
        mean_apply(op, t2, True, out)
    else:
        for j in range(d):
            out[j] = 0.0
        for i in range(n):
            for j in range(d):
                t2[j] = 0.0
            comp_add(op, i, t1, 1.0, t2)
            tangent(sets, t2)
            comp_add_t(op, i, t2, 1.0 / n, out)
    tangent(sets, out)


# ---------------------------------------------------------------------------------- projections

@kernel
def _simplex_threshold(y, a):
    """tau with sum(max(y - tau, 0)) = a: Michelot's algorithm, i.e. Newton's method on the
    convex, decreasing, piecewise-linear f(tau) = sum(max(y - tau, 0)) - a. It starts from the larger of
    two points where f >= 0, (sum(y) - a) / N (exact if every entry is active) and max(y) - a (exact if
    one is), rises monotonically, and its step is exact once the number of active entries repeats.
    Passes are branch-free and vectorise (on a slice: with index offsets Numba's loops did not), 5-10x
    faster here than sorting or Condat's serial scan."""
    n = y.shape[0]
    s = 0.0
    top = y[0]
    for i in range(n):
        s += y[i]
        top = max(top, y[i])
    tau = (s - a) / n
    c_prev = float(n)
    if top - a > tau:
        tau = top - a
        c_prev = 1.0
    while True:
        s = 0.0
        c = 0.0
        for i in range(n):
            v = y[i] - tau
            s += max(v, 0.0)
            c += 1.0 if v > 0.0 else 0.0
        if c == 0.0:
            return tau
        step = (s - a) / c
        if c == c_prev or not step > 0.0:
            return tau + step
        tau += step
        c_prev = c


@kernel
def project(sets, v, out):
    """out = projection of v onto the product set."""
    btype, bstart, bend, radius, lo, hi = sets
    for b in range(btype.shape[0]):
        s, e, t = bstart[b], bend[b], btype[b]
        # loops over views from 0 (an offset index stops vectorisation)
        vb = v[s:e]
        ob = out[s:e]
        nb = e - s
        if t == FREE:
            for j in range(nb):
                ob[j] = vb[j]
        elif t == BOX:
            lb = lo[s:e]
            hb = hi[s:e]
            for j in range(nb):
                ob[j] = min(max(vb[j], lb[j]), hb[j])
        elif t == SIMPLEX:
            tau = _simplex_threshold(vb, radius[b])
            for j in range(nb):
                ob[j] = max(vb[j] - tau, 0.0)
        else:
            nrm = 0.0
            for j in range(nb):
                nrm += vb[j] * vb[j]
            nrm = math.sqrt(nrm)
            f = radius[b] / nrm if nrm > radius[b] else 1.0
            for j in range(nb):
                ob[j] = f * vb[j]


@kernel
def natural_residual(sets, z, Fz, tmp, out):
    """||z - P(z - F z)||: the fixed-point residual of the unit-step forward-backward map (zero exactly
    at solutions; the paper's 'operator norm' axis)."""
    d = z.shape[0]
    for j in range(d):
        tmp[j] = z[j] - Fz[j]
    project(sets, tmp, out)
    r = 0.0
    for j in range(d):
        r += (z[j] - out[j]) ** 2
    return math.sqrt(r)


# ------------------------------------------------------------------------------ run bookkeeping

@kernel
def _spend(counts, cost, budget, full):
    """Charge `cost` component calls if the budget allows (else mark the run as out of budget)."""
    if counts[CALLS] + cost > budget:
        counts[STATUS] = BUDGET
        return False
    counts[CALLS] += cost
    if full:
        counts[FULL] += 1
    else:
        counts[DIFFS] += cost // 2
    return True


@kernel
def _check(sets, z, Fz, tol, counts, hist, best, fstate, monitor, tmp, out):
    """Residual at a point where F is exact: record it, keep the best point, and say whether to stop
    (converged, diverged, or asked to stop)."""
    r = natural_residual(sets, z, Fz, tmp, out)
    h = counts[CHECKS]
    if h < hist.shape[0]:
        hist[h, 0] = counts[CALLS]
        hist[h, 1] = r
    counts[CHECKS] = h + 1
    fstate[1] = r
    monitor[0] = counts[CALLS]
    monitor[1] = r
    if not math.isfinite(r):
        counts[STATUS] = DIVERGED
        return True
    if not r >= fstate[0]:  # also true while fstate[0] is NaN (no point yet)
        fstate[0] = r
        for j in range(z.shape[0]):
            best[j] = z[j]
    monitor[2] = fstate[0]
    if r <= tol:
        counts[STATUS] = CONVERGED
        return True
    if monitor[3] != 0.0:
        counts[STATUS] = STOPPED
        return True
    return False


@kernel
def _restart_due(restart, k, fstate):
    """Adaptive restart: re-anchor once the residual at an exact point has halved since the anchor."""
    return restart and k > 0 and fstate[1] <= HALVED * fstate[2]


@kernel
def _fb_step(sets, a, eta, g, out, tmp):
    """out = P(a - eta g)."""
    for j in range(a.shape[0]):
        tmp[j] = a[j] - eta * g[j]
    project(sets, tmp, out)


@kernel
def _uniform_index(rng, k):
    """An index in [0, k) from one uniform draw (the same stream as numpy's Generator.random)."""
    return min(int(rng.random() * k), k - 1)


# ------------------------------------------------------------------------------------- drivers
# Common arguments: op, sets, z0 (feasible start), prm (float64 parameters), iprm (int64: budget in
# calls, restart flag, ...), tol, rng, and the run-state arrays described at the top.

@kernel
def run_eg(op, sets, z0, prm, iprm, tol, rng, counts, hist, best, fstate, monitor):
    """Extragradient (Korpelevich): w = P(z - eta F z), z+ = P(z - eta F w). Checks at z."""
    n = op[1]
    d = z0.shape[0]
    eta, budget = prm[0], iprm[0]
    z, w, Fz, Fw = z0.copy(), np.empty(d), np.empty(d), np.empty(d)
    tmp, out = np.empty(d), np.empty(d)
    while True:
        if not _spend(counts, n, budget, True):
            return
        full_F(op, z, Fz)
        if _check(sets, z, Fz, tol, counts, hist, best, fstate, monitor, tmp, out):
            return
        _fb_step(sets, z, eta, Fz, w, tmp)
        if not _spend(counts, n, budget, True):
            return
        full_F(op, w, Fw)
        _fb_step(sets, z, eta, Fw, z, tmp)
        counts[ITERS] += 1


@kernel
def run_eag(op, sets, z0, prm, iprm, tol, rng, counts, hist, best, fstate, monitor):
    """Extra-anchored gradient (Yoon & Ryu 2021), projected form: a = b z0 + (1-b) z, w = P(a - eta F z),
    z+ = P(a - eta F w), b = 1/(k+2). Checks at z; optional adaptive restart of the anchor."""
    n = op[1]
    d = z0.shape[0]
    eta, budget, restart = prm[0], iprm[0], iprm[1] != 0
    z, anchor, a, w = z0.copy(), z0.copy(), np.empty(d), np.empty(d)
    Fz, Fw = np.empty(d), np.empty(d)
    tmp, out = np.empty(d), np.empty(d)
    k = 0
    while True:
        if not _spend(counts, n, budget, True):
            return
        full_F(op, z, Fz)
        if _check(sets, z, Fz, tol, counts, hist, best, fstate, monitor, tmp, out):
            return
        if k == 0:
            fstate[2] = fstate[1]
        elif _restart_due(restart, k, fstate):
            anchor[:] = z
            fstate[2] = fstate[1]
            counts[RESTARTS] += 1
            k = 0
        beta = 1.0 / (k + 2)
        for j in range(d):
            a[j] = beta * anchor[j] + (1.0 - beta) * z[j]
        _fb_step(sets, a, eta, Fz, w, tmp)
        if not _spend(counts, n, budget, True):
            return
        full_F(op, w, Fw)
        _fb_step(sets, a, eta, Fw, z, tmp)
        k += 1
        counts[ITERS] += 1


@kernel
def run_halpern_fb(op, sets, z0, prm, iprm, tol, rng, counts, hist, best, fstate, monitor):
    """Deterministic Halpern on the forward-backward map T = P(I - eta F) (nonexpansive when F is
    cocoercive and eta <= 2/L): z+ = b z0 + (1-b) T z, b = 1/(k+2). Checks at z."""
    n = op[1]
    d = z0.shape[0]
    eta, budget, restart = prm[0], iprm[0], iprm[1] != 0
    z, anchor, Tz, Fz = z0.copy(), z0.copy(), np.empty(d), np.empty(d)
    tmp, out = np.empty(d), np.empty(d)
    k = 0
    while True:
        if not _spend(counts, n, budget, True):
            return
        full_F(op, z, Fz)
        if _check(sets, z, Fz, tol, counts, hist, best, fstate, monitor, tmp, out):
            return
        if k == 0:
            fstate[2] = fstate[1]
        elif _restart_due(restart, k, fstate):
            anchor[:] = z
            fstate[2] = fstate[1]
            counts[RESTARTS] += 1
            k = 0
        beta = 1.0 / (k + 2)
        _fb_step(sets, z, eta, Fz, Tz, tmp)
        for j in range(d):
            z[j] = beta * anchor[j] + (1.0 - beta) * Tz[j]
        k += 1
        counts[ITERS] += 1


@kernel
def run_halpern_ppa(op, sets, z0, prm, iprm, tol, rng, counts, hist, best, fstate, monitor):
    """Deterministic inexact Halpern on the resolvent of eta(F + N_C) (Diakonikolas 2020):
    u+ = b u0 + (1-b) v with v ~ J(u) from M_k = ceil(2 ln(k+2) / ln(1/q)) + 1 contractions
    v <- P(u - eta F v), q = eta L_F < 1, warm-started. Checks at the inner points v."""
    n = op[1]
    d = z0.shape[0]
    eta, q, budget, restart = prm[0], prm[1], iprm[0], iprm[1] != 0
    u, anchor, v, Fv = z0.copy(), z0.copy(), z0.copy(), np.empty(d)
    tmp, out = np.empty(d), np.empty(d)
    k = 0
    while True:
        if not _spend(counts, n, budget, True):
            return
        full_F(op, v, Fv)
        if _check(sets, v, Fv, tol, counts, hist, best, fstate, monitor, tmp, out):
            return
        if k == 0 and counts[ITERS] == 0:
            fstate[2] = fstate[1]
        elif _restart_due(restart, k, fstate):
            anchor[:] = v
            u[:] = v
            fstate[2] = fstate[1]
            counts[RESTARTS] += 1
            k = 0
        inner = int(math.ceil(2.0 * math.log(k + 2.0) / math.log(1.0 / q))) + 1
        for j in range(inner):
            if j > 0:
                if not _spend(counts, n, budget, True):
                    return
                full_F(op, v, Fv)
                if _check(sets, v, Fv, tol, counts, hist, best, fstate, monitor, tmp, out):
                    return
            _fb_step(sets, u, eta, Fv, v, tmp)
            counts[INNER] += 1
        beta = 1.0 / (k + 2)
        for j in range(d):
            u[j] = beta * anchor[j] + (1.0 - beta) * v[j]
        k += 1
        counts[ITERS] += 1


@kernel
def run_vr_eg(op, sets, z0, prm, iprm, tol, rng, counts, hist, best, fstate, monitor):
    """Loopless variance-reduced extragradient (Alacaoglu & Malitsky 2022, Alg. 1):
    zbar = a z + (1-a) w, zh = P(zbar - tau F w), z+ = P(zbar - tau (F w + F_i(zh) - F_i(w))),
    w <- z+ with probability p (then F w is recomputed exactly and checked)."""
    n = op[1]
    d = z0.shape[0]
    tau, p, budget = prm[0], prm[1], iprm[0]
    alpha = 1.0 - p
    z, w, zbar, zh = z0.copy(), z0.copy(), np.empty(d), np.empty(d)
    Fw, g, du = np.empty(d), np.empty(d), np.empty(d)
    tmp, out = np.empty(d), np.empty(d)
    if not _spend(counts, n, budget, True):
        return
    full_F(op, w, Fw)
    if _check(sets, w, Fw, tol, counts, hist, best, fstate, monitor, tmp, out):
        return
    while True:
        for j in range(d):
            zbar[j] = alpha * z[j] + (1.0 - alpha) * w[j]
        _fb_step(sets, zbar, tau, Fw, zh, tmp)
        i = _uniform_index(rng, n)
        if not _spend(counts, 2, budget, False):
            return
        for j in range(d):
            g[j] = Fw[j]
            du[j] = zh[j] - w[j]
        comp_add(op, i, du, 1.0, g)
        _fb_step(sets, zbar, tau, g, z, tmp)
        counts[ITERS] += 1
        if rng.random() < p:
            w[:] = z
            if not _spend(counts, n, budget, True):
                return
            full_F(op, w, Fw)
            if _check(sets, w, Fw, tol, counts, hist, best, fstate, monitor, tmp, out):
                return


@kernel
def run_vr_halpern(op, sets, z0, prm, iprm, tol, rng, counts, hist, best, fstate, monitor):
    """The paper's Algorithm 1 (cocoercive F): z+ = P(l z0 + (1-l) z - eta g), l = 2/(k+4), with the
    recursive estimator g = F(z) on a refresh (always at k <= 1, then with probability 4/(k+4) while
    k - 1 <= sqrt(n), 4/(sqrt(n)+5) afterwards) and g += mean over a batch S of F_i(z) - F_i(z_prev)
    otherwise (|S| = b drawn without replacement). Checks at every refresh."""
    n = op[1]
    d = z0.shape[0]
    eta, budget, restart, b = prm[0], iprm[0], iprm[1] != 0, iprm[2]
    sqn = math.sqrt(n)
    z, zprev, anchor, g, du, a = z0.copy(), z0.copy(), z0.copy(), np.empty(d), np.empty(d), np.empty(d)
    tmp, out = np.empty(d), np.empty(d)
    perm = np.arange(n)
    k = 0
    while True:
        if k <= 1:
            refresh = True
        elif k - 1 <= sqn:
            refresh = rng.random() < 4.0 / (k + 4)
        else:
            refresh = rng.random() < 4.0 / (sqn + 5.0)
        if refresh:
            if not _spend(counts, n, budget, True):
                return
            full_F(op, z, g)
            if _check(sets, z, g, tol, counts, hist, best, fstate, monitor, tmp, out):
                return
            if k == 0:
                fstate[2] = fstate[1]
            elif _restart_due(restart, k, fstate):
                anchor[:] = z
                fstate[2] = fstate[1]
                counts[RESTARTS] += 1
                k = 0
        else:
            if not _spend(counts, 2 * b, budget, False):
                return
            for j in range(d):
                du[j] = z[j] - zprev[j]
            for s in range(b):
                t = s + _uniform_index(rng, n - s)
                pick = perm[t]
                perm[t] = perm[s]
                perm[s] = pick
                comp_add(op, pick, du, 1.0 / b, g)
        lam = 2.0 / (k + 4)
        zprev[:] = z
        for j in range(d):
            a[j] = lam * anchor[j] + (1.0 - lam) * z[j]
        _fb_step(sets, a, eta, g, z, tmp)
        k += 1
        counts[ITERS] += 1


@kernel
def run_vr_inexact(op, sets, z0, prm, iprm, tol, rng, counts, hist, best, fstate, monitor):
    """The paper's Algorithm 2 (monotone Lipschitz F): inexact Halpern u+ = l u0 + (1-l) v, l = 1/(k+2),
    where v approximates the resolvent J_{eta(F+G)}(u) by M_k = ceil(C n ln(k+2)) iterations of
    loopless VR-FoRB (Alacaoglu & Malitsky 2022) on Phi(v) = eta F(v) + v - u: vbar = a v + (1-a) w,
    v+ = P(vbar - tau (Phi(w) + eta (F_i(v) - F_i(w_prev)) + v - w_prev)), w <- v+ with probability p.
    Checks at u (Phi(u) needs F(u)) and at every snapshot refresh."""
    n = op[1]
    d = z0.shape[0]
    eta, tau, p, cin = prm[0], prm[1], prm[2], prm[3]
    budget, restart = iprm[0], iprm[1] != 0
    alpha = 1.0 - p
    u, anchor, v, w, wprev = z0.copy(), z0.copy(), np.empty(d), np.empty(d), np.empty(d)
    Fw, phiw, g, du, vbar = np.empty(d), np.empty(d), np.empty(d), np.empty(d), np.empty(d)
    tmp, out = np.empty(d), np.empty(d)
    k = 0
    while True:
        if not _spend(counts, n, budget, True):
            return
        full_F(op, u, Fw)
        if _check(sets, u, Fw, tol, counts, hist, best, fstate, monitor, tmp, out):
            return
        if k == 0:
            fstate[2] = fstate[1]
        elif _restart_due(restart, k, fstate):
            anchor[:] = u
            fstate[2] = fstate[1]
            counts[RESTARTS] += 1
            k = 0
        for j in range(d):
            v[j] = u[j]
            w[j] = u[j]
            wprev[j] = u[j]
            phiw[j] = eta * Fw[j]
        inner = max(1, int(math.ceil(cin * n * math.log(k + 2.0))))
        for it in range(inner):
            for j in range(d):
                vbar[j] = alpha * v[j] + (1.0 - alpha) * w[j]
            i = _uniform_index(rng, n)
            if not _spend(counts, 2, budget, False):
                return
            for j in range(d):
                du[j] = v[j] - wprev[j]
                g[j] = phiw[j] + du[j]
            comp_add(op, i, du, eta, g)
            wprev[:] = w
            _fb_step(sets, vbar, tau, g, v, tmp)
            counts[INNER] += 1
            if rng.random() < p:
                w[:] = v
                if not _spend(counts, n, budget, True):
                    return
                full_F(op, w, Fw)
                if _check(sets, w, Fw, tol, counts, hist, best, fstate, monitor, tmp, out):
                    return
                for j in range(d):
                    phiw[j] = eta * Fw[j] + w[j] - u[j]
        lam = 1.0 / (k + 2)
        for j in range(d):
            u[j] = lam * anchor[j] + (1.0 - lam) * v[j]
        k += 1
        counts[ITERS] += 1
