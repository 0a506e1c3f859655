"""Importance scores of the rows of a tall matrix B for l_p sampling: leverage, l_p Lewis weights, l_p
sensitivities (Lewis-direction estimate clipped into the proven bounds, or exact by one convex program
per row), root leverage, sensitivity + leverage, uniform.

All scores depend only on the column space of B, so everything runs on an orthonormal basis U of it
(`orthonormal_basis`): leverage scores are then squared row norms and every Gram matrix is well
conditioned, whatever the scaling or rank of B. Passes over U go in row blocks, so the memory beyond
U itself is O(block * d).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from . import _kernels as _k
from .draw import poisson_sample

#: rows per block in passes over the data (16384 x 50 float64 = 6.5 MB temporaries)
BLOCK = 16384
#: eigenvalues of the scaled Gram matrix below this fraction of the largest are taken as rank deficiency
#: (singular values below ~3e-7 of the largest); the Gram matrix squares the condition number
RANK_RTOL = 1e-13
#: rows of the Lewis-weight sample that estimates the denominators ||U x_i||_p^p of the sensitivity
#: estimate (all rows when n is at most this, which makes the estimate a proven lower bound)
DENOMINATOR_SAMPLE = 400


def _blocks(n, block=BLOCK):
    for start in range(0, n, block):
        yield slice(start, min(n, start + block))


def orthonormal_basis(B) -> np.ndarray:
    """U (n x r, float64) with orthonormal columns spanning the column space of B; r = rank(B).

    Two Cholesky-QR passes: the first from an eigendecomposition of the column-scaled Gram matrix, which
    also drops rank deficiency (duplicate or zero columns); the second restores orthogonality to
    machine precision (CholeskyQR2). Columns of U are left singular vectors of B up to that second pass."""
    B = np.asarray(B, dtype=np.float64)
    n, d = B.shape
    scale = np.sqrt(np.einsum("ij,ij->j", B, B))
    live = scale > 0
    if not live.any():
        return np.zeros((n, 0))
    inv = np.zeros(d)
    inv[live] = 1.0 / scale[live]
    G = _gram(B) * np.outer(inv, inv)
    lam, V = np.linalg.eigh(G)
    keep = lam > RANK_RTOL * lam[-1]
    T = (inv[:, None] * V[:, keep]) / np.sqrt(lam[keep])
    U = np.empty((n, int(keep.sum())))
    for s in _blocks(n):
        np.matmul(B[s], T, out=U[s])
    L = np.linalg.cholesky(_gram(U))
    T2 = scipy.linalg.solve_triangular(L, np.eye(L.shape[0]), lower=True).T
    for s in _blocks(n):
        U[s] = U[s] @ T2
    return U


def _gram(U, weights=None) -> np.ndarray:
    """U^T diag(weights) U, accumulated over row blocks."""
    d = U.shape[1]
    G = np.zeros((d, d))
    for s in _blocks(U.shape[0]):
        Ub = U[s]
        G += Ub.T @ Ub if weights is None else (Ub * weights[s, None]).T @ Ub
    return (G + G.T) / 2


def leverage(U) -> np.ndarray:
    """Leverage scores tau_i = a_i^T (A^T A)^+ a_i: the squared row norms of the orthonormal basis."""
    return np.einsum("ij,ij->i", U, U)


def _power(w, e):
    """w^e elementwise, with 0 for w = 0 (zero rows carry no weight in any Gram matrix)."""
    out = np.zeros_like(w)
    pos = w > 0
    out[pos] = w[pos] ** e
    return out


def lewis_weights(U, p: float, *, tol: float = 1e-4, max_iter: int = 100, progress=None) -> dict:
    """l_p Lewis weights of the rows of U: the unique w > 0 with w_i = (u_i^T (U^T W^(1-2/p) U)^-1 u_i)^(p/2)
    (Cohen & Peng 2015); they sum to the rank. For p < 4 the fixed-point iteration w <- f(w) contracts
    by |1 - p/2| per step in the max-log metric; for p >= 4 it diverges, and the damped step
    log w <- (1 - 2/p) log w + (2/p) log f(w) is used (its linearisation contracts by 1 - 2/p).

    Each iteration is one pass over U (fused: the quadratic forms with the current Gram matrix and the
    next Gram matrix), plus a d x d Cholesky. Stops when max_i |log f(w)_i - log w_i| < tol.
    Returns {w, M (the final Gram matrix U^T W^(1-2/p) U), iterations, residual, converged, damping}."""
    n, r = U.shape
    w = leverage(U)  # a good start: the answer for p = 2
    if p == 2.0:
        return {"w": w, "M": np.eye(r), "iterations": 0, "residual": 0.0, "converged": True, "damping": 1.0}
    alpha = 1.0 if p < 4 else 2.0 / p
    expo = 1.0 - 2.0 / p
    M = _gram(U, _power(w, expo))
    it, residual, converged = 0, math.inf, False
    while it < max_iter:
        it += 1
        Linv = scipy.linalg.solve_triangular(np.linalg.cholesky(M), np.eye(r), lower=True)
        M = np.zeros((r, r))
        residual = 0.0
        for s in _blocks(n):
            Y = U[s] @ Linv.T
            f = np.einsum("ij,ij->i", Y, Y) ** (p / 2)
            old = w[s]
            pos = old > 0
            if pos.any():
                residual = max(residual, float(np.max(np.abs(np.log(f[pos]) - np.log(old[pos])))))
            new = f if alpha == 1.0 else _power(old, 1.0 - alpha) * _power(f, alpha)
            w[s] = new
            Ub = U[s]
            M += (Ub * _power(new, expo)[:, None]).T @ Ub
        M = (M + M.T) / 2
        if progress is not None:
            progress(it, max_iter, f"Lewis weights: iteration {it}, change {residual:.2e}")
        if residual < tol:
            converged = True
            break
    return {"w": w, "M": M, "iterations": it, "residual": residual, "converged": converged, "damping": alpha}


def sensitivity_bounds(w, tau, p: float, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """Proven bounds on the l_p sensitivities from Lewis weights w and leverage tau (rank r):
    p <= 2: r^(p/2-1) w_i <= s_i <= min(w_i, tau_i^(p/2)); p >= 2: w_i <= s_i <= r^(p/2-1) w_i."""
    factor = float(rank) ** (p / 2 - 1)
    if p <= 2:
        return factor * w, np.minimum(w, tau ** (p / 2))
    return w.copy(), factor * w


def estimated_sensitivities(U, p: float, lewis: dict, tau, rng) -> dict:
    """Lewis-direction estimate of the l_p sensitivities s_i = sup_x |u_i x|^p / ||U x||_p^p, clipped into
    the proven bounds.

    Direction x_i = M^-1 u_i (M the Lewis Gram matrix) maximises the Lewis-ellipsoid proxy; the
    numerator |u_i x_i|^p = (u_i^T M^-1 u_i)^p is exact, the denominator ||U x_i||_p^p is the row's own
    term plus the other rows' terms estimated on a Lewis-weight sample S of DENOMINATOR_SAMPLE rows
    (weights 1/pi): one (|S| x r) by (r x n) product for all rows at once. When n <= DENOMINATOR_SAMPLE,
    S is every row and the raw estimate is a lower bound on s_i (it is the ratio at one feasible x).
    Returns {s (clipped), raw, lower, upper, clipped_low, clipped_high}."""
    n, r = U.shape
    Minv = np.linalg.inv(lewis["M"])
    Minv = (Minv + Minv.T) / 2
    S, wS, _ = poisson_sample(lewis["w"], DENOMINATOR_SAMPLE, rng)
    C = U[S] @ Minv
    own = np.empty(n)
    den = np.zeros(n)
    for s in _blocks(n):
        own[s] = np.einsum("ij,ij->i", U[s] @ Minv, U[s])
        G = np.ascontiguousarray(C @ U[s].T)
        _k.pow_col_sums(G, wS, float(p), den[s])
    own_p = np.abs(own) ** p
    den += own_p
    den[S] -= wS * own_p[S]  # a sampled row's own term counts once, exactly (not 1/pi times)
    raw = np.zeros(n)
    pos = den > 0
    raw[pos] = own_p[pos] / den[pos]
    lower, upper = sensitivity_bounds(lewis["w"], tau, p, r)
    s = np.clip(raw, lower, upper)
    return {"s": s, "raw": raw, "lower": lower, "upper": upper,
            "clipped_low": int((raw < lower).sum()), "clipped_high": int((raw > upper).sum())}


def exact_sensitivities(U, p: float, progress=None) -> np.ndarray:
    """s_i = sup_x |u_i x|^p / ||U x||_p^p for every row, each from one convex program:
    1/s_i = min ||U x||_p^p subject to u_i x = 1. Eliminating the coordinate j where |u_ij| is largest
    turns it into an unconstrained l_p regression min_z ||C z - y||_p^p with C = U_-j - U_j u_i,-j / u_ij
    and y = -U_j / u_ij, solved like any other (dual LP for p = 1, Newton otherwise). n programs of
    size n x r: for small n only."""
    from .regression import solve_lp_regression

    n, r = U.shape
    s = np.zeros(n)
    for i in range(n):
        u = U[i]
        if not u.any():
            continue
        if r == 1:
            s[i] = abs(u[0]) ** p / float(np.sum(np.abs(U[:, 0]) ** p))
            continue
        j = int(np.argmax(np.abs(u)))
        rest = np.arange(r) != j
        C = U[:, rest] - np.outer(U[:, j], u[rest] / u[j])
        y = -U[:, j] / u[j]
        s[i] = 1.0 / solve_lp_regression(C, y, p).objective
        if progress is not None and (i + 1) % 25 == 0:
            progress(i + 1, n, f"exact sensitivities: {i + 1} of {n} rows")
    return s
