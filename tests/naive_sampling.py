"""Slow, obviously correct references for l_p row sampling, straight from the definitions: plain numpy
(SVD, pseudo-inverses), cvxpy for the convex programs, bisection for the sampling constant."""

from __future__ import annotations

import cvxpy as cp
import numpy as np


def leverage_svd(A, rtol=1e-10):
    """tau_i = ||U_i||^2 for the left singular vectors U of the nonzero singular values. Columns are
    scaled to unit norm first (leverage depends only on the column space), so wildly scaled columns
    do not look rank-deficient."""
    norms = np.linalg.norm(A, axis=0)
    A = A[:, norms > 0] / norms[norms > 0]
    U, sv, _ = np.linalg.svd(A, full_matrices=False)
    keep = sv > rtol * sv[0]
    return np.sum(U[:, keep] ** 2, axis=1)


def lewis_map(A, w, p):
    """One application of the Lewis fixed-point map: (a_i^T (A^T W^(1-2/p) A)^+ a_i)^(p/2), with zero
    weight on rows where w = 0. Columns are scaled to unit norm first (the map is invariant to A -> A R)."""
    norms = np.linalg.norm(A, axis=0)
    A = A[:, norms > 0] / norms[norms > 0]
    r = np.zeros_like(w)
    r[w > 0] = w[w > 0] ** (1 - 2 / p)
    M = A.T @ (r[:, None] * A)
    q = np.einsum("ij,jk,ik->i", A, np.linalg.pinv(M), A)
    return np.maximum(q, 0.0) ** (p / 2)


def lp_objective(y, p, w=None):
    return float(np.sum((np.ones_like(y) if w is None else w) * np.abs(y) ** p))


def exact_sensitivity(A, p, i):
    """s_i = sup_x |a_i x|^p / ||A x||_p^p = 1 / min{ ||A x||_p^p : a_i x = 1 } (cvxpy)."""
    x = cp.Variable(A.shape[1])
    objective = cp.norm1(A @ x) if p == 1 else cp.sum(cp.power(cp.abs(A @ x), p))
    problem = cp.Problem(cp.Minimize(objective), [A[i] @ x == 1])
    problem.solve()
    return 1.0 / problem.value


def random_sensitivity_lower_bound(A, p, trials=2000, seed=0):
    """max over random directions x of |a_i x|^p / ||A x||_p^p, for every row: a lower bound on s_i."""
    X = np.random.default_rng(seed).standard_normal((A.shape[1], trials))
    Y = np.abs(A @ X) ** p
    return (Y / Y.sum(axis=0)).max(axis=1)


def lp_regression(A, b, p, w=None):
    """min_x sum_i w_i |a_i x - b_i|^p by cvxpy; returns (x, objective)."""
    x = cp.Variable(A.shape[1])
    w = np.ones(A.shape[0]) if w is None else w
    r = cp.abs(A @ x - b)
    objective = cp.sum(cp.multiply(w, r)) if p == 1 else cp.sum(cp.multiply(w, cp.power(r, p)))
    problem = cp.Problem(cp.Minimize(objective))
    problem.solve()
    return x.value, lp_objective(A @ x.value - b, p, w)


def poisson_constant(q, size, iters=200):
    """c with sum_i min(1, c q_i) = size, by bisection."""
    lo, hi = 0.0, 1.0
    while np.minimum(1.0, hi * q).sum() < size:
        hi *= 2
    for _ in range(iters):
        mid = (lo + hi) / 2
        if np.minimum(1.0, mid * q).sum() < size:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
