"""Logistic TOPO kernels for binary data: each node is a logistic regression (no intercept, as the TOPO
code) on its allowed predecessors,
    1/n sum_rows (log(1 + e^m) - x_v m) + lambda1 sum_u penalty[u, v] |w_u| + lambda2/2 ||w||^2,  m = X_P w,
solved by proximal Newton: a Newton model from the weighted Gram matrix, minimised exactly (Cholesky)
when lambda1 = 0 and by coordinate descent otherwise, then a backtracking line search. Unlike least
squares this depends on n: every regression reads the data.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import kernel, parallel_kernel, prange


@kernel
def _softplus(m):
    return max(m, 0.0) + math.log1p(math.exp(-abs(m)))


@kernel
def _objective(X, v, preds, k, w, lam1, lam2, penalty, m):
    """Penalised objective of weights w[:k]; m receives X_P w."""
    n = X.shape[0]
    total = 0.0
    for i in range(n):
        s = 0.0
        for a in range(k):
            s += X[i, preds[a]] * w[a]
        m[i] = s
        total += _softplus(s) - X[i, v] * s
    value = total / n
    for a in range(k):
        value += lam1 * penalty[preds[a], v] * abs(w[a]) + 0.5 * lam2 * w[a] * w[a]
    return value


@kernel
def logistic_column(X, v, preds, k, w, lam1, lam2, penalty, tol, max_newton):
    """Fit node v on preds[:k] from the warm start w[:k] (overwritten by the solution). Returns
    (objective value, Newton steps)."""
    n = X.shape[0]
    m = np.empty(n)
    value = _objective(X, v, preds, k, w, lam1, lam2, penalty, m)
    if k == 0:
        return value, 0
    g = np.empty(k)
    H = np.empty((k, k))
    step = np.empty(k)
    trial = np.empty(k)
    mt = np.empty(n)
    steps = 0
    while steps < max_newton:
        steps += 1
        g[:] = 0.0
        H[:, :] = 0.0
        for i in range(n):
            pr = 1.0 / (1.0 + math.exp(-m[i]))
            r = (pr - X[i, v]) / n
            c = pr * (1.0 - pr) / n
            for a in range(k):
                xa = X[i, preds[a]]
                if xa == 0.0:
                    continue
                g[a] += r * xa
                for b in range(a + 1):
                    H[a, b] += c * xa * X[i, preds[b]]
        for a in range(k):
            g[a] += lam2 * w[a]
            H[a, a] += lam2 + 1e-12
            for b in range(a):
                H[b, a] = H[a, b]
        _newton_step(H, g, w, lam1, penalty, preds, v, k, step)
        decrease = 0.0  # predicted decrease of the model, including the L1 change
        for a in range(k):
            decrease += g[a] * step[a] + lam1 * penalty[preds[a], v] * (abs(w[a] + step[a]) - abs(w[a]))
        if decrease >= -tol * max(1.0, abs(value)):
            break
        t = 1.0
        new = value
        for _ in range(60):
            for a in range(k):
                trial[a] = w[a] + t * step[a]
            new = _objective(X, v, preds, k, trial, lam1, lam2, penalty, mt)
            if new <= value + 0.25 * t * decrease:
                break
            t *= 0.5
        if new > value:
            break
        for a in range(k):
            w[a] = trial[a]
        m[:] = mt
        done = value - new <= tol * max(1.0, abs(value))
        value = new
        if done:
            break
    return value, steps


@kernel
def _newton_step(H, g, w, lam1, penalty, preds, v, k, step):
    """Minimise g.s + s^T H s / 2 + lam1 sum penalty |w + s| over s: by Cholesky without L1, else by
    coordinate descent on the quadratic model."""
    if lam1 == 0.0:
        L = np.zeros((k, k))
        for a in range(k):
            s = H[a, a]
            for c in range(a):
                s -= L[a, c] * L[a, c]
            L[a, a] = math.sqrt(max(s, 1e-300))
            for i in range(a + 1, k):
                t = H[i, a]
                for c in range(a):
                    t -= L[i, c] * L[a, c]
                L[i, a] = t / L[a, a]
        y = np.empty(k)
        for a in range(k):
            s = -g[a]
            for c in range(a):
                s -= L[a, c] * y[c]
            y[a] = s / L[a, a]
        for a in range(k - 1, -1, -1):
            s = y[a]
            for c in range(a + 1, k):
                s -= L[c, a] * step[c]
            step[a] = s / L[a, a]
        return
    z = w[:k].copy()  # the model's minimiser, in absolute weights
    Hs = np.zeros(k)  # H (z - w)
    for _ in range(1000):
        biggest = 0.0
        for a in range(k):
            h = H[a, a]
            others = g[a] + Hs[a] - h * (z[a] - w[a])  # model gradient at z without coordinate a's own term
            u = h * w[a] - others
            thr = lam1 * penalty[preds[a], v]
            new = 0.0
            if u > thr:
                new = (u - thr) / h
            elif u < -thr:
                new = (u + thr) / h
            delta = new - z[a]
            if delta != 0.0:
                z[a] = new
                for b in range(k):
                    Hs[b] += H[b, a] * delta
                if abs(delta) > biggest:
                    biggest = abs(delta)
        if biggest <= 1e-12:
            break
    for a in range(k):
        step[a] = z[a] - w[a]


@kernel
def _fit_position(X, lam1, lam2, penalty, forbidden, order, r, W, tol, max_newton, buf, w):
    v = order[r]
    k = 0
    for a in range(r):
        u = order[a]
        if not forbidden[u, v]:
            buf[k] = u
            w[k] = W[u, v]
            k += 1
    value, steps = logistic_column(X, v, buf, k, w, lam1, lam2, penalty, tol, max_newton)
    return value, k, steps


@kernel
def fit_order_logistic(X, lam1, lam2, penalty, forbidden, order, W, tol, max_newton):
    """Refit every node on its allowed predecessors, warm-starting from W (updated in place). Returns the
    per-position values and the total number of Newton steps."""
    d = order.shape[0]
    vals = np.empty(d)
    buf = np.empty(d, dtype=np.int64)
    w = np.empty(d)
    total = 0
    for r in range(d):
        v = order[r]
        value, k, steps = _fit_position(X, lam1, lam2, penalty, forbidden, order, r, W, tol, max_newton, buf, w)
        for u in range(d):
            W[u, v] = 0.0
        for a in range(k):
            W[buf[a], v] = w[a]
        vals[r] = value
        total += steps
    return vals, total


@parallel_kernel
def score_swaps_logistic(X, lam1, lam2, penalty, forbidden, order, W, vals, tol, max_newton, cand_p, cand_q, out):
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
            value, k, steps = _fit_position(X, lam1, lam2, penalty, forbidden, new_order, r, W, tol, max_newton,
                                            buf, w)
            delta += value - vals[r]
        out[t] = delta
