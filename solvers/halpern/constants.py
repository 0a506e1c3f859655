"""Lipschitz and cocoercivity constants of a finite-sum operator, on the space the iterates move in.

Every method's step size is a multiple of one of these. Differences of points of a simplex sum to zero
and a projection onto a simplex ignores shifts along the all-ones vector, so the operator the methods
actually see is T J T, with T the projection that removes each simplex block's mean; constants are
computed for it (for the paper's policeman game, ||A|| = 454 but ||T A T|| = 4.6).

- L_F: Lipschitz constant of F, ||T Jbar T||.
- L_Q: Lipschitz constant on average (the paper's Assumption 3 with uniform sampling),
  L_Q^2 = largest eigenvalue of (1/n) sum_i (T J_i T)^T (T J_i T).
- cocoercivity: the smallest L with <F u - F v, u - v> >= ||F u - F v||^2 / L; infinite when F is not
  cocoercive (bilinear couplings).
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
    """T Jbar T as a dense matrix (affine and quadratic problems store Jbar)."""
    T = _tangent_matrix(problem)
    return T @ problem.mean @ T


def monotonicity(problem) -> float:
    """Smallest eigenvalue of the symmetric part of T Jbar T; 0 when it is negative only by rounding
    (above -1e-10 times the largest magnitude)."""
    M = _dense_mean(problem)
    eig = np.linalg.eigvalsh((M + M.T) / 2)
    lam, scale = float(eig[0]), float(np.abs(eig).max())
    return 0.0 if lam >= -1e-10 * max(scale, 1e-300) else lam


def cocoercivity(problem) -> tuple[float, str]:
    """(L, reason): the cocoercivity constant of F on the tangent space, or (inf, why not). Cached."""
    if "coco" not in problem.cache:
        problem.cache["coco"] = _cocoercivity(problem)
    return problem.cache["coco"]


def _cocoercivity(problem):
    if problem.family == "matrix-game":
        return math.inf, ("a bilinear game is monotone but not cocoercive: <F u - F v, u - v> = 0 for every "
                          "pair of points")
    if problem.family == "least-squares":
        return lipschitz(problem), ""  # the gradient of a convex L-smooth function (Baillon-Haddad)
    if problem.d > DENSE_LIMIT:
        return math.inf, f"the cocoercivity test needs a dense {problem.d} x {problem.d} eigendecomposition " \
                         f"(limit {DENSE_LIMIT})"
    M = _dense_mean(problem)
    lam, U = np.linalg.eigh((M + M.T) / 2)
    scale = max(float(np.abs(M).max()), 1e-300)
    keep = lam > 1e-9 * max(float(lam[-1]), 1e-300)
    null = U[:, ~keep]
    if null.shape[1] and np.abs(M @ null).max() > 1e-8 * scale * math.sqrt(problem.d):
        return math.inf, ("F is monotone but not cocoercive: its symmetric part is singular in a direction "
                          "where F still changes (a skew, bilinear-like coupling)")
    if not keep.any():
        return 0.0, ""
    # L = max ||M u||^2 / <M u, u> over the range of the symmetric part S = U diag(lam) U^T: whiten it
    MW = M @ (U[:, keep] / np.sqrt(lam[keep]))
    return float(np.linalg.eigvalsh(MW.T @ MW)[-1]), ""
