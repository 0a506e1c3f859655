"""Slow, obviously correct references for matrix completion, straight from the definitions: plain numpy,
one row at a time, dense matrices for tiny sizes. No Numba."""

from __future__ import annotations

import numpy as np


def ridge_row(block, y, ridge):
    """argmin_x |block x - y|^2 + ridge |x|^2 by numpy least squares on the stacked system
    [block; sqrt(ridge) I] x = [y; 0] (no normal equations)."""
    k = block.shape[1]
    A = np.vstack([block, np.sqrt(ridge) * np.eye(k)])
    b = np.concatenate([y, np.zeros(k)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def half_step(major, minor, values, X, F, lam):
    """A new X: row i solves its ridge problem against F on the entries with major index i, ridge lam * d_i.
    Rows without entries keep their value."""
    X = X.copy()
    for i in range(X.shape[0]):
        mask = major == i
        if mask.any():
            X[i] = ridge_row(F[minor[mask]], values[mask], lam * mask.sum())
    return X


def residual_sq(rows, cols, values, U, V) -> float:
    """Sum over entries of (value - <u_i, v_j>)^2 from the dense product."""
    M = U @ V.T
    return float(np.sum((values - M[rows, cols]) ** 2))


def objective(rows, cols, values, U, V, lam) -> float:
    """f(U, V) = squared residuals + lam (sum_i d_i |u_i|^2 + sum_j d_j |v_j|^2)."""
    d_row = np.bincount(rows, minlength=U.shape[0])
    d_col = np.bincount(cols, minlength=V.shape[0])
    return residual_sq(rows, cols, values, U, V) + lam * (float(d_row @ (U * U).sum(1)) + float(d_col @ (V * V).sum(1)))


def relative_error(U, V, U_true, V_true) -> float:
    """|U Vᵀ - U* V*ᵀ|_F / |U* V*ᵀ|_F from the dense matrices."""
    M = U_true @ V_true.T
    return float(np.linalg.norm(U @ V.T - M) / np.linalg.norm(M))


def als(rows, cols, values, shape, U0, lam, iterations):
    """Textbook alternating least squares: V from U, then U from V, `iterations` times."""
    U = U0.copy()
    V = np.zeros((shape[1], U0.shape[1]))
    for _ in range(iterations):
        V = half_step(cols, rows, values, V, U, lam)
        U = half_step(rows, cols, values, U, V, lam)
    return U, V
