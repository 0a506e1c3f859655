"""What a point is worth, computed from the problem alone (no solver state): the natural residual, the
operator-norm residual at the forward-backward point, the duality gap and value bounds of a game, the
objective, and feasibility. `optsuite check halpern` and every solve report these.

- residual r(z) = ||z - P(z - F z)|| (unit step): zero exactly at solutions; the quantity the methods
  test (where F is exact) and the paper plots.
- opnorm: with zbar = P(z - F z), dist(0, F(zbar) + N_C(zbar)), a certificate in the operator norm of
  the inclusion; it is at most (1 + L_F) r(z).
- games: gap = max_j (Abar^T x)_j - min_i (Abar y)_i >= 0, and min_i (Abar y)_i <= value <= max_j (Abar^T x)_j.
"""

from __future__ import annotations

import math

import numpy as np

from . import _kernels as _k


def F(problem, z) -> np.ndarray:
    out = np.empty(problem.d)
    _k.full_F(problem.op, np.ascontiguousarray(z, dtype=np.float64), out)
    return out


def project(problem, v) -> np.ndarray:
    v = np.ascontiguousarray(v, dtype=np.float64)
    out = np.empty_like(v)
    _k.project(problem.sets, v, out)
    return out


def _simplex_normal_distance(g, support) -> float:
    """min over t and s >= 0 (s = 0 on the support) of ||g + t 1 - s||. With s chosen optimally this is
    h(t) = sum over the support of (g + t)^2 + sum off it of min(g + t, 0)^2, convex and piecewise
    quadratic; Newton's method on h' (increasing, concave, piecewise linear) from a point where h' <= 0
    climbs monotonically and stops, exactly, once the set of active off-support entries repeats."""
    on, off = g[support], g[~support]
    t = -on.mean()
    active = off + t < 0
    while True:
        t = -(on.sum() + off[active].sum()) / (on.size + int(active.sum()))
        now = off + t < 0
        if (now == active).all():
            break
        active = now
    w = np.concatenate([on + t, np.minimum(off + t, 0.0)])
    return float(np.linalg.norm(w))


def normal_cone_distance(problem, z, g) -> float:
    """dist(0, g + N_C(z)) for a feasible z."""
    total, start = 0.0, 0
    for b in problem.blocks:
        zb, gb = z[start:start + b.size], g[start:start + b.size]
        if b.kind == "free":
            part = float(gb @ gb)
        elif b.kind == "box":
            at_lo, at_hi = zb <= b.lo, zb >= b.hi
            r = np.where(at_lo & at_hi, 0.0, np.where(at_lo, np.maximum(-gb, 0.0),
                                                       np.where(at_hi, np.maximum(gb, 0.0), gb)))
            part = float(r @ r)
        elif b.kind == "simplex":
            part = _simplex_normal_distance(gb, zb > 0) ** 2
        else:
            nz = float(zb @ zb)
            if nz < b.radius ** 2 * (1 - 1e-12):
                part = float(gb @ gb)
            else:
                lam = max(0.0, -float(gb @ zb) / nz)
                r = gb + lam * zb
                part = float(r @ r)
        total += part
        start += b.size
    return math.sqrt(total)


def feasibility(problem, z) -> float:
    """Distance from z to the constraint set."""
    return float(np.linalg.norm(z - project(problem, z)))


def game_bounds(problem, z) -> tuple[float, float]:
    """(lower, upper) bounds on the value of a matrix game from the strategies z = (x, y)."""
    m = problem.m
    x, y = z[:m], z[m:]
    A = problem.mean
    return float((A @ y).min()), float((A.T @ x).max())


def objective(problem, z) -> float | None:
    """The family's objective at z: x^T Abar y (games), the mean saddle function (quadratic), the mean
    squared error / 2 (least squares); None for affine problems, which have none."""
    m, J = problem.m, problem.mean
    if problem.family == "matrix-game":
        return float(z[:m] @ J @ z[m:])
    if problem.family == "quadratic":
        # Jbar = [[Q, B], [-B^T, R]] (means), const = (cx, cy)
        x, y = z[:m], z[m:]
        value = 0.5 * x @ J[:m, :m] @ x + x @ J[:m, m:] @ y - 0.5 * y @ J[m:, m:] @ y
        return float(value + problem.const[:m] @ x - problem.const[m:] @ y)
    if problem.family == "least-squares":
        r = problem.mat @ z - problem.rhs
        return float(0.5 * (r @ r) / problem.n)
    return None


def certificate(problem, z) -> dict:
    """Everything a solution reports about itself: residual, opnorm at zbar, objective, feasibility,
    and for games the duality gap and value bounds. Costs two full evaluations of F."""
    z = np.ascontiguousarray(z, dtype=np.float64)
    Fz = F(problem, z)
    zbar = project(problem, z - Fz)
    out = {"residual": float(np.linalg.norm(z - zbar)),
           "opnorm_at_zbar": normal_cone_distance(problem, zbar, F(problem, zbar)),
           "objective": objective(problem, z),
           "infeasibility": feasibility(problem, z)}
    if problem.family == "matrix-game":
        lo, hi = game_bounds(problem, z)
        out["gap"] = hi - lo
        out["value_bounds"] = [lo, hi]
    return out
