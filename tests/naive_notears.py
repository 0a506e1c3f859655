"""Slow, obviously correct references for the notears family, written for clarity from the definitions:
per-node regressions on the raw data (numpy lstsq, scipy, cvxpy), TOPO's outer loop as the paper and
the authors' code describe it, and the structure metrics pair by pair. No Numba, no Gram-matrix tricks.
"""

from __future__ import annotations

import itertools

import numpy as np


def centred(X):
    return X - X.mean(axis=0)


def ls_node(X, v, parents, lambda2=0.0):
    """Least squares (ridge with lambda2) of column v on `parents`, data centred:
    min 1/(2n) ||x_v - X_P w||^2 + lambda2/2 ||w||^2. Returns (w, objective)."""
    Xc = centred(X)
    n = X.shape[0]
    y = Xc[:, v]
    parents = list(parents)
    if not parents:
        return np.zeros(0), 0.5 * y @ y / n
    A = Xc[:, parents]
    if lambda2 > 0:  # augmented rows turn ridge into ordinary least squares
        A_aug = np.vstack([A, np.sqrt(n * lambda2) * np.eye(len(parents))])
        y_aug = np.concatenate([y, np.zeros(len(parents))])
        w = np.linalg.lstsq(A_aug, y_aug, rcond=None)[0]
    else:
        w = np.linalg.lstsq(A, y, rcond=None)[0]
    r = y - A @ w
    return w, 0.5 * r @ r / n + 0.5 * lambda2 * w @ w


def lasso_node(X, v, parents, lambda1, lambda2=0.0, unpenalised=()):
    """min 1/(2n) ||x_v - X_P w||^2 + lambda1 ||w||_1 + lambda2/2 ||w||^2 by cvxpy (centred data)."""
    import cvxpy as cp

    Xc = centred(X)
    n = X.shape[0]
    y = Xc[:, v]
    parents = list(parents)
    if not parents:
        return np.zeros(0), 0.5 * y @ y / n
    A = Xc[:, parents]
    w = cp.Variable(len(parents))
    pen = np.array([0.0 if p in unpenalised else 1.0 for p in parents])
    obj = cp.sum_squares(y - A @ w) / (2 * n) + lambda1 * cp.sum(cp.multiply(pen, cp.abs(w))) + lambda2 / 2 * cp.sum_squares(w)
    prob = cp.Problem(cp.Minimize(obj))
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    wv = np.asarray(w.value)
    r = y - A @ wv
    return wv, 0.5 * r @ r / n + lambda1 * np.sum(pen * np.abs(wv)) + 0.5 * lambda2 * wv @ wv


def logistic_node(X, v, parents, lambda1=0.0, lambda2=0.0):
    """min 1/n sum (log(1 + e^m) - x_v m) + lambda1 ||w||_1 + lambda2/2 ||w||^2, m = X_P w (no intercept), by cvxpy."""
    import cvxpy as cp

    n = X.shape[0]
    y = X[:, v]
    parents = list(parents)
    if not parents:
        return np.zeros(0), np.log(2.0)
    A = X[:, parents]
    w = cp.Variable(len(parents))
    m = A @ w
    obj = (cp.sum(cp.logistic(m)) - y @ m) / n + lambda1 * cp.norm1(w) + lambda2 / 2 * cp.sum_squares(w)
    cp.Problem(cp.Minimize(obj)).solve(solver=cp.CLARABEL)
    wv = np.asarray(w.value)
    mv = A @ wv
    return wv, np.sum(np.logaddexp(0, mv) - y * mv) / n + lambda1 * np.abs(wv).sum() + 0.5 * lambda2 * wv @ wv


def best_dag_on_order(X, order, lambda2=0.0, forbidden=None):
    """W and total least-squares objective of the DAG on `order`: each node on its allowed predecessors."""
    d = X.shape[1]
    W = np.zeros((d, d))
    total = 0.0
    for k, v in enumerate(order):
        parents = [u for u in order[:k] if forbidden is None or not forbidden[u, v]]
        w, value = ls_node(X, v, parents, lambda2)
        W[parents, v] = w
        total += value
    return W, total


def ls_objective(X, W, lambda2=0.0):
    """1/(2n) ||Xc - Xc W||_F^2 + lambda2/2 ||W||_F^2 straight from the definition."""
    Xc = centred(X)
    R = Xc - Xc @ W
    return 0.5 * np.sum(R * R) / X.shape[0] + 0.5 * lambda2 * np.sum(W * W)


def swapped(order, p, q):
    new = list(order)
    new[p], new[q] = new[q], new[p]
    return new


def topo(X, order, s_small, s_large, n_large, full=False, max_iter=10_000):
    """TOPO's outer loop (least squares) straight from the paper and the authors' code: candidates are pairs
    (i, j) with i after j whose [(I - |W|)^-1]^T value is among the s smallest (ties included, row-major
    node order); each is scored by refitting every node; improving swaps are applied best-first when their
    position intervals do not overlap. Returns (order, objective, iterations)."""
    order = list(order)
    d = len(order)
    W, f = best_dag_on_order(X, order)
    large_used = 0
    iterations = 0
    while iterations < max_iter:
        pos = {v: k for k, v in enumerate(order)}
        G = np.linalg.inv(np.eye(d) - np.abs(W)).T
        pairs = [(i, j) for i in range(d) for j in range(d) if pos[i] > pos[j]]
        if full:
            sets = [pairs]
        else:
            values = sorted(G[i, j] for i, j in pairs)
            small = [(i, j) for i, j in pairs if G[i, j] <= values[s_small - 1]]
            large = [(i, j) for i, j in pairs if G[i, j] <= values[s_large - 1] and (i, j) not in small]
            sets = [small] + ([large] if large_used < n_large else [])
        accepted = None
        for k, candidates in enumerate(sets):
            scored = []
            for i, j in candidates:
                p, q = pos[j], pos[i]
                scored.append((best_dag_on_order(X, swapped(order, p, q))[1], p, q))
            better = sorted((s for s in scored if s[0] < f), key=lambda s: s[0])
            if better:
                accepted = better
                large_used += k
                break
        if accepted is None:
            break
        taken = set()
        for _, p, q in accepted:
            if taken.isdisjoint(range(p, q + 1)):
                taken.update(range(p, q + 1))
                order = swapped(order, p, q)
        W, f = best_dag_on_order(X, order)
        iterations += 1
    return order, f, iterations


def is_acyclic(A):
    """No directed cycle: repeatedly remove nodes without incoming edges."""
    A = np.asarray(A) != 0
    alive = list(range(A.shape[0]))
    while alive:
        sources = [v for v in alive if not any(A[u, v] for u in alive)]
        if not sources:
            return False
        alive = [v for v in alive if v not in sources]
    return True


def structure_metrics(W_true, W_est):
    """SHD, FDR, TPR, FPR, nnz counted pair by pair (NOTEARS definitions)."""
    T = np.asarray(W_true) != 0
    E = np.asarray(W_est) != 0
    d = T.shape[0]
    true_pos = reverse = false_pos = 0
    shd = 0
    for i, j in itertools.permutations(range(d), 2):
        if E[i, j]:
            if T[i, j]:
                true_pos += 1
            elif T[j, i]:
                reverse += 1
            else:
                false_pos += 1
    for i, j in itertools.combinations(range(d), 2):
        est_adj, true_adj = E[i, j] or E[j, i], T[i, j] or T[j, i]
        if est_adj != true_adj:
            shd += 1
    shd += reverse
    pred, n_true = int(E.sum()), int(T.sum())
    return {"shd": shd, "fdr": (reverse + false_pos) / max(pred, 1), "tpr": true_pos / max(n_true, 1),
            "fpr": (reverse + false_pos) / max(d * (d - 1) / 2 - n_true, 1), "nnz": pred}
