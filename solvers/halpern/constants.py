"""Lipschitz and cocoercivity constants of a finite-sum operator, on the space the iterates move in.

Every method's step size is a multiple of one of these. Differences of points of a simplex sum to zero
and a projection onto a simplex ignores shifts along the all-ones vector, so the operator the methods
actually see is T J T, with T the projection that removes each simplex block's mean; constants are
computed for it (for the paper's policeman game, ||A|| = 454 but ||T A T|| = 4.6).

- L_F: Lipschitz constant of F, ||T Jbar T||.
- L_Q: Lipschitz constant on average (the paper's Assumption 3 with uniform sampling),
  L_Q^2 = largest eigenvalue of (1/n) sum_i (T J_i T)^T (T J_i T).
- cocoercivity: the smallest L with <F u - F v, u - v> >= ||F u - F v||^2 / L, and its on-average
  version (Assumption 2) with E ||F_i u - F_i v||^2 on the right; infinite when F is not cocoercive.
"""

from __future__ import annotations

import math

import numpy as np

from . import _kernels as _k

#: dense eigen-decompositions above this dimension would take too long (and too much memory)
DENSE_LIMIT = 3000


def _gram_operator(problem, average: bool):
    op, sets, d = problem.op, problem.sets, problem.d
    t1, t2, out = np.empty(d), np.empty(d), np.empty(d)

    def matvec(u):
        _k.gram_apply(op, sets, np.ascontiguousarray(u, dtype=np.float64).reshape(-1), average, out, t1, t2)
        return out.copy()
    return matvec


def _largest_eigenvalue(matvec, dim: int) -> float:
    """Largest eigenvalue of a symmetric positive semidefinite operator given by its matvec: dense for
    small dimensions, else Lanczos (ARPACK) from a fixed start vector, so runs are reproducible."""
    if dim <= 64:
        G = np.column_stack([matvec(e) for e in np.eye(dim)])
        return float(np.linalg.eigvalsh((G + G.T) / 2)[-1])
    from scipy.sparse.linalg import LinearOperator, eigsh

    v0 = np.random.default_rng(12345).standard_normal(dim)
    op = LinearOperator((dim, dim), matvec=matvec, dtype=np.float64)
    return float(eigsh(op, k=1, which="LA", v0=v0, tol=1e-8, return_eigenvectors=False)[0])


def lipschitz(problem, average: bool = False) -> float:
    """L_F (average=False) or L_Q (average=True), cached on the problem."""
    key = "L_Q" if average else "L_F"
    if key not in problem.cache:
        lam = _largest_eigenvalue(_gram_operator(problem, average), problem.d)
        problem.cache[key] = math.sqrt(max(lam, 0.0))
    return problem.cache[key]


def _tangent_matrix(problem) -> np.ndarray:
    """T as a dense d x d matrix."""
    T = np.eye(problem.d)
    start = 0
    for b in problem.blocks:
        if b.kind == "simplex":
            T[start:start + b.size, start:start + b.size] -= 1.0 / b.size
        start += b.size
    return T


def _dense_mean(problem) -> np.ndarray:
    """T Jbar T as a dense matrix (affine and quadratic problems store Jbar; least squares: A^T A / n)."""
    T = _tangent_matrix(problem)
    J = problem.mat.T @ problem.mat / problem.n if problem.family == "least-squares" else problem.mean
    return T @ J @ T


def monotonicity(problem) -> float:
    """Smallest eigenvalue of the symmetric part of T Jbar T; 0 when it is negative only by rounding
    (above -1e-10 times the largest magnitude)."""
    M = _dense_mean(problem)
    eig = np.linalg.eigvalsh((M + M.T) / 2)
    lam, scale = float(eig[0]), float(np.abs(eig).max())
    return 0.0 if lam >= -1e-10 * max(scale, 1e-300) else lam


def cocoercivity(problem) -> tuple[float, float, str]:
    """(L, L_avg, reason): the cocoercivity constant of F and its on-average version (Assumption 2 of the
    paper), or (inf, inf, why not) when F is not cocoercive. Cached on the problem."""
    if "coco" in problem.cache:
        return problem.cache["coco"]
    result = _cocoercivity(problem)
    problem.cache["coco"] = result
    return result


def _cocoercivity(problem):
    if problem.family == "matrix-game":
        return math.inf, math.inf, ("a bilinear game is monotone but not cocoercive: <F u - F v, u - v> = 0 "
                                    "for every pair of points")
    if problem.family == "least-squares" and problem.d > DENSE_LIMIT:
        # F = grad of a convex L-smooth function: 1/L-cocoercive (Baillon-Haddad); a component
        # a_i a_i^T is ||T a_i||^2-cocoercive, so the largest of these bounds the on-average constant.
        A = problem.mat @ _tangent_matrix(problem)
        return lipschitz(problem), float((A * A).sum(axis=1).max()), ""
    if problem.d > DENSE_LIMIT:
        return math.inf, math.inf, f"the cocoercivity test needs a dense {problem.d} x {problem.d} eigen-" \
                                   f"decomposition (limit {DENSE_LIMIT})"
    M = _dense_mean(problem)
    S = (M + M.T) / 2
    lam, U = np.linalg.eigh(S)
    scale = max(float(np.abs(M).max()), 1e-300)
    keep = lam > 1e-9 * max(float(lam[-1]), 1e-300)
    null = U[:, ~keep]
    if null.shape[1] and np.abs(M @ null).max() > 1e-8 * scale * math.sqrt(problem.d):
        return math.inf, math.inf, ("F is monotone but not cocoercive: its symmetric part is singular in a "
                                    "direction where F still changes (a skew, bilinear-like coupling)")
    if not keep.any():
        return 0.0, 0.0, ""
    W = U[:, keep] / np.sqrt(lam[keep])  # S = U diag(lam) U^T: whiten its range
    MW = M @ W
    L = float(np.linalg.eigvalsh(MW.T @ MW)[-1])
    gram = _gram_operator(problem, True)
    L_avg = _largest_eigenvalue(lambda x: W.T @ gram(W @ x), W.shape[1])
    return L, L_avg, ""
