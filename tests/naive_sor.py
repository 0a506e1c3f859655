"""Slow, obviously correct references for the SOR tests: dense numpy, the textbook formulas."""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular


def sor_dense(A, b, omega, *, tol=1e-8, max_iter=10000, x0=None, sweep="forward", tol_ref="r0"):
    """SOR as the paper's MATLAB code writes it: x <- x + M^-1 (b - A x) with M = D/omega + L (forward);
    SSOR adds a backward step with M = D/omega + U. The true residual after every iteration; stop at
    ||r|| < tol ||ref||. Returns (x, iterations, status)."""
    A = np.asarray(A, dtype=np.float64)
    D = np.diag(np.diag(A))
    forward = D / omega + np.tril(A, -1)
    backward = D / omega + np.triu(A, 1)
    x = np.zeros(len(b)) if x0 is None else np.array(x0, dtype=np.float64)
    r = b - A @ x
    ref = np.linalg.norm(b) if tol_ref == "b" else np.linalg.norm(r)
    if np.linalg.norm(r) == 0 or np.linalg.norm(r) < tol * ref:
        return x, 0, "converged"
    for k in range(1, max_iter + 1):
        x = x + solve_triangular(forward, r, lower=True)
        if sweep == "symmetric":
            x = x + solve_triangular(backward, b - A @ x, lower=False)
        r = b - A @ x
        if np.linalg.norm(r) < tol * ref:
            return x, k, "converged"
    return x, max_iter, "max_iter"


def sor_sweeps(A, b, x, omega, sweeps, backward=False):
    """`sweeps` SOR sweeps, row by row, in place order (the definition, not the matrix form)."""
    A = np.asarray(A, dtype=np.float64)
    x = np.array(x, dtype=np.float64)
    rows = range(len(b) - 1, -1, -1) if backward else range(len(b))
    for _ in range(sweeps):
        for i in rows:
            s = b[i] - A[i] @ x + A[i, i] * x[i]
            x[i] = (1 - omega) * x[i] + omega * s / A[i, i]
    return x


def iteration_matrix(A, omega):
    """C_omega = I - (D/omega + L)^-1 A."""
    A = np.asarray(A, dtype=np.float64)
    M = np.diag(np.diag(A)) / omega + np.tril(A, -1)
    return np.eye(len(A)) - np.linalg.solve(M, A)


def spectral_radius(M) -> float:
    return float(np.abs(np.linalg.eigvals(M)).max())


def jacobi_radius(A) -> float:
    """rho(I - D^-1 A) by a dense eigendecomposition (the paper's rho_jacobi.m)."""
    A = np.asarray(A, dtype=np.float64)
    return spectral_radius(np.eye(len(A)) - A / np.diag(A)[:, None])
