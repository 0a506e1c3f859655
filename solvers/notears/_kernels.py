"""Least-squares TOPO kernels: every score from the Gram matrix S = X^T X / n (+ lambda2 I), never from X.

Given an order pi, the Cholesky factor L of S[pi, pi] holds every node's residual variance on all its
predecessors as a squared pivot L_kk^2, so the least-squares score of the best DAG on pi is
0.5 * sum_k L_kk^2 and one O(d^3/3) factorisation replaces d regressions. Swapping the nodes at
positions p < q changes only the pivots of positions p..q: the node moved to p is conditioned on the
prefix only (its pivot is a partial row norm of L), the middle block loses one conditioning node and
gains another (a rank-1 update and a rank-1 downdate of its factor) and the node moved to q takes one
triangular solve: O((q - p)^2) per candidate, independent of n.

Semidefinite data (collinear columns, n < d) make a pivot vanish: a pivot below its node's floor counts
as zero residual and the node then explains nothing further (its column of L is zero). A candidate whose
update would divide by such a pivot is scored directly from the conditional covariance of its interval.
Nodes with forbidden parents are regressed on their allowed predecessors separately.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import kernel, parallel_kernel, prange


@kernel
def _semidefinite_cholesky(C, floor_of, L, piv):
    """Factor the m x m matrix C in place into L (lower); piv[k] = the k-th pivot (a residual variance),
    a pivot <= floor_of[k] counts as degenerate (zero column). Returns the number of degenerate pivots."""
    m = C.shape[0]
    bad = 0
    for k in range(m):
        s = C[k, k]
        for c in range(k):
            s -= L[k, c] * L[k, c]
        if s <= floor_of[k]:
            piv[k] = max(s, 0.0)
            bad += 1
            for i in range(k, m):
                L[i, k] = 0.0
            continue
        piv[k] = s
        lkk = math.sqrt(s)
        L[k, k] = lkk
        for i in range(k + 1, m):
            t = C[i, k]
            for c in range(k):
                t -= L[i, c] * L[k, c]
            L[i, k] = t / lkk
    return bad


@kernel
def factor(Se, order, floor):
    """(L, pivots) of Se[order, order]; floor[v] is node v's degeneracy floor."""
    d = order.shape[0]
    C = np.empty((d, d))
    fl = np.empty(d)
    for a in range(d):
        fl[a] = floor[order[a]]
        for b in range(d):
            C[a, b] = Se[order[a], order[b]]
    L = np.zeros((d, d))
    piv = np.zeros(d)
    _semidefinite_cholesky(C, fl, L, piv)
    return L, piv


@kernel
def _residual(Se, preds, k, v, floor):
    """Residual variance of node v regressed on the nodes preds[:k] (semidefinite-safe)."""
    C = np.empty((k + 1, k + 1))
    fl = np.empty(k + 1)
    for a in range(k + 1):
        na = preds[a] if a < k else v
        fl[a] = floor[na]
        for b in range(k + 1):
            nb = preds[b] if b < k else v
            C[a, b] = Se[na, nb]
    L = np.zeros((k + 1, k + 1))
    piv = np.zeros(k + 1)
    _semidefinite_cholesky(C, fl, L, piv)
    return piv[k]


@kernel
def _allowed_preds(order, r, v, forbidden, buf):
    """Write the predecessors of position r (in `order`) that may be parents of v into buf; return count."""
    k = 0
    for a in range(r):
        u = order[a]
        if not forbidden[u, v]:
            buf[k] = u
            k += 1
    return k


@kernel
def node_values(Se, order, piv, floor, forbidden, constrained):
    """Per-position residual variance: the pivot, or for a node with forbidden parents its residual on
    the allowed predecessors."""
    d = order.shape[0]
    vals = piv.copy()
    buf = np.empty(d, dtype=np.int64)
    for r in range(d):
        v = order[r]
        if constrained[v]:
            k = _allowed_preds(order, r, v, forbidden, buf)
            vals[r] = _residual(Se, buf, k, v, floor)
    return vals


@kernel
def coefficients(Se, order, L, floor, forbidden, constrained):
    """W (node coordinates) of the least-squares DAG on `order`: each node regressed on its allowed
    predecessors. Unconstrained nodes read their coefficients off L (one triangular solve each);
    coefficients of degenerate predecessors are 0."""
    d = order.shape[0]
    W = np.zeros((d, d))
    beta = np.zeros(d)
    buf = np.empty(d, dtype=np.int64)
    for k in range(1, d):
        v = order[k]
        if constrained[v]:
            m = _allowed_preds(order, k, v, forbidden, buf)
            _restricted_coefficients(Se, buf, m, v, floor, W)
            continue
        for a in range(k - 1, -1, -1):  # solve L[:k, :k]^T beta = L[k, :k]
            if L[a, a] == 0.0:
                beta[a] = 0.0
                continue
            s = L[k, a]
            for c in range(a + 1, k):
                s -= L[c, a] * beta[c]
            beta[a] = s / L[a, a]
        for a in range(k):
            W[order[a], v] = beta[a]
    return W


@kernel
def _restricted_coefficients(Se, preds, m, v, floor, W):
    if m == 0:
        return
    C = np.empty((m, m))
    fl = np.empty(m)
    rhs = np.empty(m)
    for a in range(m):
        fl[a] = floor[preds[a]]
        rhs[a] = Se[preds[a], v]
        for b in range(m):
            C[a, b] = Se[preds[a], preds[b]]
    L = np.zeros((m, m))
    piv = np.zeros(m)
    _semidefinite_cholesky(C, fl, L, piv)
    y = np.zeros(m)
    for a in range(m):
        if L[a, a] == 0.0:
            continue
        s = rhs[a]
        for c in range(a):
            s -= L[a, c] * y[c]
        y[a] = s / L[a, a]
    beta = np.zeros(m)
    for a in range(m - 1, -1, -1):
        if L[a, a] == 0.0:
            continue
        s = y[a]
        for c in range(a + 1, m):
            s -= L[c, a] * beta[c]
        beta[a] = s / L[a, a]
    for a in range(m):
        W[preds[a], v] = beta[a]


@kernel
def violates_required(order, cand_p, cand_q, required):
    """For each candidate: would exchanging the nodes at positions p < q put a required parent after its
    child? The node moving up to p passes every node of p..q-1; the node moving down passes p+1..q."""
    out = np.zeros(cand_p.shape[0], dtype=np.bool_)
    for t in range(cand_p.shape[0]):
        p = cand_p[t]
        q = cand_q[t]
        i = order[q]
        j = order[p]
        for r in range(p, q):
            if required[order[r], i] or required[j, order[r + 1]]:
                out[t] = True
                break
    return out


@kernel
def _interval_pivots_by_update(L, p, q, floor_i, floor_j, floor_mid, out):
    """New pivots of positions p..q after exchanging the nodes at p and q, from the old factor L.
    Writes them to out[0..q-p]; returns False when a division by a degenerate pivot would be needed."""
    m = q - p - 1
    a = L[p, p]
    if a == 0.0:
        return False
    cii = 0.0
    for c in range(p, q + 1):
        cii += L[q, c] * L[q, c]
    if cii <= floor_i:
        return False
    g = a * L[q, p]
    R = np.empty((m, m))
    x = np.empty(m)
    u = np.empty(m)
    w = np.empty(m)
    for t in range(m):
        r = p + 1 + t
        if L[r, r] == 0.0:
            return False
        for s in range(t + 1):
            R[t, s] = L[r, p + 1 + s]
        x[t] = L[r, p]
        v = 0.0
        for c in range(p, r + 1):
            v += L[r, c] * L[q, c]
        u[t] = v / math.sqrt(cii)
        w[t] = L[r, p] * a - v * g / cii
    # rank-1 update: cov(M | prefix) = R R^T + x x^T
    for k in range(m):
        rkk = R[k, k]
        r = math.sqrt(rkk * rkk + x[k] * x[k])
        c = r / rkk
        s = x[k] / rkk
        R[k, k] = r
        for i in range(k + 1, m):
            R[i, k] = (R[i, k] + s * x[i]) / c
            x[i] = c * x[i] - s * R[i, k]
    # rank-1 downdate: cov(M | prefix, i) = cov(M | prefix) - u u^T
    for k in range(m):
        rkk = R[k, k]
        r2 = rkk * rkk - u[k] * u[k]
        if r2 <= floor_mid[k]:
            return False
        r = math.sqrt(r2)
        c = r / rkk
        s = u[k] / rkk
        R[k, k] = r
        out[1 + k] = r2
        for i in range(k + 1, m):
            R[i, k] = (R[i, k] - s * u[i]) / c
            u[i] = c * u[i] - s * R[i, k]
    # node j at q: var(j | prefix, i) - ||R^-1 w||^2
    pj = a * a - g * g / cii
    for k in range(m):
        s = w[k]
        for c in range(k):
            s -= R[k, c] * w[c]
        w[k] = s / R[k, k]
        pj -= w[k] * w[k]
    out[0] = cii
    out[m + 1] = max(pj, 0.0) if pj <= floor_j else pj
    return True


@kernel
def _interval_pivots_direct(Se, order, L, p, q, floor, out):
    """New pivots of positions p..q after exchanging the nodes at p and q, from the conditional
    covariance of the interval given the prefix: O((q-p)^2 p + (q-p)^3)."""
    n_int = q - p + 1
    old_pos = np.empty(n_int, dtype=np.int64)
    for t in range(n_int):
        old_pos[t] = p + t
    old_pos[0] = q
    old_pos[n_int - 1] = p
    C = np.empty((n_int, n_int))
    fl = np.empty(n_int)
    for a in range(n_int):
        ra = old_pos[a]
        fl[a] = floor[order[ra]]
        for b in range(a + 1):
            rb = old_pos[b]
            s = Se[order[ra], order[rb]]
            for c in range(p):
                s -= L[ra, c] * L[rb, c]
            C[a, b] = s
            C[b, a] = s
    R = np.zeros((n_int, n_int))
    _semidefinite_cholesky(C, fl, R, out)


@parallel_kernel
def score_swaps(Se, order, L, vals, floor, forbidden, constrained, any_constrained, cand_p, cand_q, out):
    """out[t] = change of the summed residual variances when the nodes at positions cand_p[t] < cand_q[t]
    are exchanged. Candidates run in parallel; each writes only its own slot, so the result does not
    depend on the number of threads."""
    d = order.shape[0]
    for t in prange(cand_p.shape[0]):
        p = cand_p[t]
        q = cand_q[t]
        n_int = q - p + 1
        new = np.empty(n_int)
        fmid = np.empty(max(n_int - 2, 0))
        for k in range(n_int - 2):
            fmid[k] = floor[order[p + 1 + k]]
        if not _interval_pivots_by_update(L, p, q, floor[order[q]], floor[order[p]], fmid, new):
            _interval_pivots_direct(Se, order, L, p, q, floor, new)
        if any_constrained:
            new_order = order.copy()
            new_order[p] = order[q]
            new_order[q] = order[p]
            buf = np.empty(d, dtype=np.int64)
            for r in range(p, q + 1):
                v = new_order[r]
                if constrained[v]:
                    k = _allowed_preds(new_order, r, v, forbidden, buf)
                    new[r - p] = _residual(Se, buf, k, v, floor)
        delta = 0.0
        for r in range(n_int):
            delta += new[r] - vals[p + r]
        out[t] = delta


# ------------------------------------------------------------------------------------------- lasso
# Node v regressed on the predecessors P minimises
#     0.5 S_vv - w . S_Pv + 0.5 w^T (S_PP + lambda2 I) w + lambda1 sum_u penalty[u, v] |w_u|,
# i.e. 1/(2n) ||x_v - X_P w||^2 + lambda1 ||w||_1 + lambda2/2 ||w||^2 (penalty 0 exempts a required edge),
# by coordinate descent on the Gram matrix: O(sweeps * k^2) per regression whatever n is. Columns start
# from the current weights and stop when no coefficient moves by more than `tol` (in units of the
# node's standard deviation).


@kernel
def lasso_column(Se, lam1, lam2, penalty, v, preds, k, w, tol, max_sweeps):
    """Minimise node v's penalised least squares over weights w[:k] on preds[:k] (w holds the warm start
    and receives the solution). Returns (objective value, sweeps used)."""
    grad = np.zeros(k)  # (Se_PP w)
    for a in range(k):
        if w[a] != 0.0:
            for b in range(k):
                grad[b] += Se[preds[b], preds[a]] * w[a]
    scale_v = math.sqrt(max(Se[v, v], 1e-300))
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        biggest = 0.0
        for a in range(k):
            u = preds[a]
            h = Se[u, u]
            if h <= 0.0:
                continue
            z = Se[u, v] - grad[a] + h * w[a]
            thr = lam1 * penalty[u, v]
            new = 0.0
            if z > thr:
                new = (z - thr) / h
            elif z < -thr:
                new = (z + thr) / h
            step = new - w[a]
            if step != 0.0:
                w[a] = new
                for b in range(k):
                    grad[b] += Se[preds[b], u] * step
                moved = abs(step) * math.sqrt(h) / scale_v
                if moved > biggest:
                    biggest = moved
        if biggest <= tol:
            break
    value = 0.5 * (Se[v, v] - lam2)
    for a in range(k):
        value += w[a] * (0.5 * grad[a] - Se[preds[a], v]) + lam1 * penalty[preds[a], v] * abs(w[a])
    return value, sweeps


@kernel
def _fit_position(Se, lam1, lam2, penalty, forbidden, order, r, W, tol, max_sweeps, buf, w):
    v = order[r]
    k = _allowed_preds(order, r, v, forbidden, buf)
    for a in range(k):
        w[a] = W[buf[a], v]
    value, sweeps = lasso_column(Se, lam1, lam2, penalty, v, buf, k, w, tol, max_sweeps)
    return value, k, sweeps


@kernel
def fit_order_lasso(Se, lam1, lam2, penalty, forbidden, order, W, tol, max_sweeps):
    """Refit every node on its allowed predecessors in `order`, warm-starting from W (updated in place).
    Returns the per-position values and the total number of sweeps."""
    d = order.shape[0]
    vals = np.empty(d)
    buf = np.empty(d, dtype=np.int64)
    w = np.empty(d)
    total = 0
    for r in range(d):
        v = order[r]
        value, k, sweeps = _fit_position(Se, lam1, lam2, penalty, forbidden, order, r, W, tol, max_sweeps, buf, w)
        for u in range(d):
            W[u, v] = 0.0
        for a in range(k):
            W[buf[a], v] = w[a]
        vals[r] = value
        total += sweeps
    return vals, total


@parallel_kernel
def score_swaps_lasso(Se, lam1, lam2, penalty, forbidden, order, W, vals, tol, max_sweeps, cand_p, cand_q, out):
    """out[t] = change of the summed node objectives when the nodes at positions cand_p[t] < cand_q[t] are
    exchanged; the nodes of the interval are refitted, warm-started from W."""
    d = order.shape[0]
    for t in prange(cand_p.shape[0]):
        p = cand_p[t]
        q = cand_q[t]
        new_order = order.copy()
        new_order[p] = order[q]
        new_order[q] = order[p]
        buf = np.empty(d, dtype=np.int64)
        w = np.empty(d)
        delta = 0.0
        for r in range(p, q + 1):
            value, k, sweeps = _fit_position(Se, lam1, lam2, penalty, forbidden, new_order, r, W, tol, max_sweeps,
                                             buf, w)
            delta += value - vals[r]
        out[t] = delta
