"""How well a weighted row sample preserves l_p norms: an estimate of its subspace-embedding distortion.

distortion = max over directions z of | sum_S w_i |u_i z|^p / sum_all |u_i z|^p - 1 |, over Gaussian
directions, the singular directions (the axes of the orthonormal basis) and the directions of the
heaviest rows (u_i itself, the maximiser for p = 2), plus any given residual vectors (the regression
solutions). It is a lower bound on the true sup over all z, which no finite set can certify.
"""

from __future__ import annotations

import numpy as np

from . import _kernels as _k
from .scores import BLOCK, leverage

GAUSSIAN_DIRECTIONS = 48
HEAVY_ROW_DIRECTIONS = 16


def directions(U, rng) -> tuple[np.ndarray, list[str]]:
    """Direction matrix Z (r x K) in the coordinates of U and the kind of each column."""
    n, r = U.shape
    G = rng.standard_normal((r, GAUSSIAN_DIRECTIONS))
    heavy = np.argsort(leverage(U))[::-1][:min(n, HEAVY_ROW_DIRECTIONS)]
    Z = np.hstack([G / np.linalg.norm(G, axis=0), np.eye(r), U[heavy].T])
    kinds = ["gaussian"] * GAUSSIAN_DIRECTIONS + ["singular"] * r + ["heavy row"] * heavy.size
    return Z, kinds


def distortion(U, indices, weights, p: float, rng, residuals=()) -> dict:
    """The distortion estimate of the sample (indices, weights) of the rows of U; `residuals` are extra
    (name, full-length vector) directions, e.g. A x - b at the regression solutions.
    Returns {max, worst (its kind), by_kind {kind: max}, directions (count)}."""
    Z, kinds = directions(U, rng)
    full = np.zeros(Z.shape[1])
    ones = np.ones(min(BLOCK, U.shape[0]))
    for start in range(0, U.shape[0], BLOCK):
        s = slice(start, min(U.shape[0], start + BLOCK))
        _k.pow_col_sums(np.ascontiguousarray(U[s] @ Z), ones[: s.stop - s.start], float(p), full)
    sampled = np.zeros(Z.shape[1])
    _k.pow_col_sums(np.ascontiguousarray(U[indices] @ Z), np.ascontiguousarray(weights, np.float64),
                    float(p), sampled)
    errors = list(zip(kinds, _relative_errors(sampled, full)))
    for name, y in residuals:
        y = np.ascontiguousarray(y, np.float64)
        f = _k.lp_loss(y, None, float(p))
        sm = _k.lp_loss(np.ascontiguousarray(y[indices]), np.ascontiguousarray(weights, np.float64), float(p))
        errors.extend(zip([name], _relative_errors(np.array([sm]), np.array([f]))))
    errors = [(kind, e) for kind, e in errors if np.isfinite(e)]
    by_kind = {}
    for kind, e in errors:
        by_kind[kind] = max(by_kind.get(kind, 0.0), e)
    worst = max(errors, key=lambda t: t[1]) if errors else ("none", 0.0)
    return {"max": worst[1], "worst": worst[0], "by_kind": by_kind, "directions": len(errors)}


def _relative_errors(sampled, full) -> np.ndarray:
    out = np.full(full.shape, np.nan)
    pos = full > 0
    out[pos] = np.abs(sampled[pos] / full[pos] - 1.0)
    return out
