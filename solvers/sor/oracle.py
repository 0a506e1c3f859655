"""The comparators of `--oracle`: what the policy's total cost is measured against, and its regret curve.

From the cost of every instance at every grid omega (T x K), plus Gauss-Seidel and the asymptotic
omega*_t of each instance: the best fixed omega in hindsight (the grid column with the smallest
total: the bandits' comparator), the instance-optimal total (the cheapest of the grid and omega*_t
for every instance: the contextual bandits' comparator), and the policy's ratio to each, at the end and
at t = T/10, T/4, T/2 (the regret curve; sublinear regret shows as a falling ratio).
"""

from __future__ import annotations

import math

import numpy as np


def checkpoints(T: int) -> list[int]:
    """1-based instance counts T/10, T/4, T/2 and T (rounded up, duplicates dropped)."""
    return sorted({max(1, math.ceil(T * f)) for f in (0.1, 0.25, 0.5)} | {T})


def _ratio(a, b):
    return float(a) / float(b) if b else None


def summarise(grid, costs, policy_costs, gauss_seidel, asymptotic=None, asymptotic_omegas=None) -> dict:
    """The oracle block of a result. `costs` is T x K (grid columns), the others length T; `asymptotic`
    is None when omega*_t could not be estimated (a matrix that is not symmetric with a positive
    diagonal)."""
    grid = np.asarray(grid, dtype=np.float64)
    costs = np.asarray(costs, dtype=np.float64)
    policy = np.asarray(policy_costs, dtype=np.float64)
    T = costs.shape[0]
    totals = costs.sum(axis=0)
    best = int(np.argmin(totals))
    per_instance = costs.min(axis=1)
    if asymptotic is not None:
        per_instance = np.minimum(per_instance, asymptotic)
    instance_opt = per_instance.sum()
    block = {
        "grid": grid,
        "totals_by_omega": totals.astype(np.int64),
        "best_fixed": {"omega": float(grid[best]), "total": int(totals[best])},
        "instance_optimal": {"total": int(instance_opt),
                             "over": "the grid" + (" and omega*_t" if asymptotic is not None else "")},
        "gauss_seidel": {"total": int(np.sum(gauss_seidel))},
        "asymptotic": None,
        "policy": {"total": int(policy.sum())},
    }
    if asymptotic is not None:
        block["asymptotic"] = {"total": int(np.sum(asymptotic)),
                               "omega": {"min": float(np.min(asymptotic_omegas)),
                                         "max": float(np.max(asymptotic_omegas))},
                               "note": "omega*_t = 2 / (1 + sqrt(1 - rho(J)^2)) with rho(J) estimated by Lanczos"}
    block["ratios"] = {
        "to_best_fixed": _ratio(policy.sum(), totals[best]),
        "to_instance_optimal": _ratio(policy.sum(), instance_opt),
        "to_gauss_seidel": _ratio(policy.sum(), np.sum(gauss_seidel)),
        "to_asymptotic": _ratio(policy.sum(), np.sum(asymptotic)) if asymptotic is not None else None,
    }
    block["regret_curve"] = regret_curve(grid, costs, policy, per_instance)
    return block


def regret_curve(grid, costs, policy, per_instance) -> list[dict]:
    cum_costs = np.cumsum(costs, axis=0)
    cum_policy = np.cumsum(policy)
    cum_opt = np.cumsum(per_instance)
    curve = []
    for t in checkpoints(costs.shape[0]):
        col = int(np.argmin(cum_costs[t - 1]))
        fixed = cum_costs[t - 1, col]
        curve.append({"t": t, "policy": int(cum_policy[t - 1]), "best_fixed_so_far": int(fixed),
                      "best_fixed_omega": float(grid[col]), "instance_optimal": int(cum_opt[t - 1]),
                      "regret": int(cum_policy[t - 1] - fixed),
                      "ratio_to_best_fixed": _ratio(cum_policy[t - 1], fixed),
                      "ratio_to_instance_optimal": _ratio(cum_policy[t - 1], cum_opt[t - 1])})
    return curve


def replay(policy, costs, context) -> np.ndarray:
    """Run a grid policy on a table of costs instead of solving (exact when every instance starts from
    the same x0, so that a cost does not depend on earlier choices): the cost of each instance."""
    out = np.empty(costs.shape[0], dtype=np.int64)
    for t in range(costs.shape[0]):
        _, arm, _ = policy.choose(t, context[t])
        out[t] = costs[t, arm]
        policy.update(max(int(out[t]), 1))
    return out
