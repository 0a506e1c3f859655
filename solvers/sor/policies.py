"""Policies that choose omega for each instance of a sequence from the iteration counts seen so far.

Each policy has `choose(t, context) -> (omega, arm, probability)` (arm -1 when omega is not a grid
point) and `update(cost)` with the cost of the instance just solved (iterations; a capped or diverged
solve is charged --max-iter). The bandits see nothing but these costs, normalised as in Khodak et al.
(ICLR 2024): the loss is (cost - 1) divided by a running scale, because every solve costs at least one
iteration.

- `Fixed`: one omega throughout (omega = 1 is Gauss-Seidel).
- `Asymptotic`: omega* = 2 / (1 + sqrt(1 - rho(J)^2)) of each instance, rho(J) estimated by Lanczos.
- `TsallisINF`: Zimmert & Seldin's Tsallis-INF (alpha = 1/2) over the grid, eta_t = 2 / sqrt(t),
  importance-weighted loss estimates divided by the running mean loss.
- `BinnedTsallisINF`: Tsallis-INF-CB: the context interval split into equal bins, an independent
  Tsallis-INF in the bin whose centre is nearest to the context.
- `ChebCB`: per-arm regression of the normalised loss on Chebyshev polynomials of the context, with
  inverse-gap-weighted sampling (SquareCB) whose rate grows about linearly in t.
"""

from __future__ import annotations

import math

import numpy as np


def _sample(rng, probs) -> int:
    """An arm drawn with these probabilities (one uniform draw: reproducible by seed)."""
    cum = np.cumsum(probs)
    return min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")), len(probs) - 1)


class Fixed:
    name = "fixed"

    def __init__(self, omega: float):
        self.omega = float(omega)

    def choose(self, t, context):
        return self.omega, -1, 1.0

    def update(self, cost):
        pass

    def state(self) -> dict:
        return {"omega": self.omega}


class Asymptotic:
    """omega*_t from `estimate(t)`, a JacobiEstimate of instance t; omega = 1 when rho(J) >= 1."""

    name = "asymptotic"

    def __init__(self, estimate):
        self.estimate = estimate
        self.mu: list[float] = []
        self.unsettled = 0
        self.no_optimum = 0
        self.matvecs = 0

    def choose(self, t, context):
        est = self.estimate(t)
        self.mu.append(est.mu)
        self.matvecs += est.steps
        self.unsettled += not est.settled
        omega = est.omega
        if omega is None:
            self.no_optimum += 1
            omega = 1.0
        return omega, -1, 1.0

    def update(self, cost):
        pass

    def state(self) -> dict:
        return {"rho_jacobi_estimate": {"min": min(self.mu), "max": max(self.mu)} if self.mu else None,
                "lanczos_matvecs": self.matvecs, "unsettled_estimates": self.unsettled,
                "instances_without_optimum": self.no_optimum}


class TsallisINF:
    """Tsallis-INF over a grid of omegas (bandit feedback: the chosen omega's cost only)."""

    name = "tsallis"

    def __init__(self, grid, rng):
        self.grid = np.asarray(grid, dtype=np.float64)
        self.rng = rng
        self.estimates = np.zeros(self.grid.shape[0])  # importance-weighted cumulative losses
        self.pulls = np.zeros(self.grid.shape[0], dtype=np.int64)
        self.t = 0
        self.loss_sum = 0.0
        self.arm, self.prob = -1, 1.0

    def probabilities(self) -> np.ndarray:
        """p_i = 4 / (eta (L_i / s - x))^2 with x < min L / s chosen so that the p_i sum to 1 (Newton
        from the point where the smallest-loss arm alone has p = 1: the sum is increasing and convex in
        x left of min L, so Newton moves monotonically to the root instead of overshooting into NaNs)."""
        eta = 2.0 / math.sqrt(self.t + 1)
        scale = self.loss_sum / self.t if self.t else 0.0
        if not scale > 0:  # no loss above the minimum yet (or it underflowed): nothing to normalise by
            scale = 1.0
        L = self.estimates / scale
        L = L - L.min()  # the p_i do not change when L and x shift together; this keeps L - x exact
        x = -2.0 / eta
        for _ in range(100):
            p = 4.0 / (eta * (L - x)) ** 2
            excess = p.sum() - 1.0
            if excess <= 1e-12:
                break
            x -= excess / (eta * (p ** 1.5).sum())
        return p / p.sum()

    def choose(self, t, context):
        p = self.probabilities()
        self.arm = _sample(self.rng, p)
        self.prob = float(p[self.arm])
        return float(self.grid[self.arm]), self.arm, self.prob

    def update(self, cost):
        loss = cost - 1.0
        self.t += 1
        self.loss_sum += loss
        self.estimates[self.arm] += loss / self.prob
        self.pulls[self.arm] += 1

    def state(self) -> dict:
        return {"pulls": self.pulls, "probabilities": self.probabilities()}


class BinnedTsallisINF:
    """Tsallis-INF-CB: an independent Tsallis-INF per context bin (equal bins on [lo, hi])."""

    name = "tsallis-cb"

    def __init__(self, grid, bins, lo, hi, rng):
        self.centres = lo + (hi - lo) * (np.arange(bins) + 0.5) / bins
        self.learners = [TsallisINF(grid, rng) for _ in range(bins)]
        self.current = 0
        self.visits = np.zeros(bins, dtype=np.int64)

    def choose(self, t, context):
        self.current = int(np.argmin(np.abs(self.centres - context)))
        self.visits[self.current] += 1
        return self.learners[self.current].choose(t, context)

    def update(self, cost):
        self.learners[self.current].update(cost)

    def state(self) -> dict:
        return {"bin_centres": self.centres, "bin_visits": self.visits,
                "pulls": sum(learner.pulls for learner in self.learners)}


class ChebCB:
    """ChebCB: SquareCB with per-arm Chebyshev regression of the normalised loss on the context.

    Features T_0..T_degree of z = 2 (c - lo) / (hi - lo) - 1 (z clipped to [-1, 1]). After each
    solve, with K the largest cost seen, Lip = (largest - smallest cost) / (hi - lo),
    N = 2 + 4 (hi - lo) Lip / K (1 + ln m) and scale = K N, the arm's coefficients are the minimum-norm
    least-squares fit of (cost - 1) / scale, refitted under the box |theta_0| <= 1 / N,
    |theta_j| <= 2 (hi - lo) Lip / (scale j) when they leave it (every arm is refitted when the scale
    changes). Sampling: p_i = 1 / (arms + eta (yhat_i - yhat_min)) for the other arms, the greedy arm
    gets the rest, with eta_t = 2 t sqrt(arms t / (R_t - F_t + 2 alpha^2 t)): R_t the squared error of
    the online predictions, F_t that of the current fits (the offline comparator), alpha the Chebyshev
    approximation error bound (pi + 2/pi ln(2m + 1)) / (2 scale (m + 1)) (hi - lo) Lip. Arms never
    pulled predict loss 0, the smallest possible: optimism that makes every arm get tried.
    """

    name = "chebcb"

    def __init__(self, grid, degree, lo, hi, rng, horizon):
        self.grid = np.asarray(grid, dtype=np.float64)
        self.rng = rng
        self.lo, self.width = float(lo), float(hi - lo)
        self.m = degree + 1
        arms = self.grid.shape[0]
        self.theta = np.zeros((arms, self.m))
        self.fit_error = np.zeros(arms)
        self.features = np.zeros((horizon, self.m))
        self.arms = np.zeros(horizon, dtype=np.int64)
        self.costs = np.zeros(horizon)
        self.predicted = np.zeros(horizon)
        self.pulls = np.zeros(arms, dtype=np.int64)
        self.t = 0
        self.eta = 0.0
        self.scale = 0.0
        self.constrained_fits = 0

    def chebyshev(self, context) -> np.ndarray:
        z = min(max(2.0 * (context - self.lo) / self.width - 1.0, -1.0), 1.0)
        out = np.ones(self.m)
        if self.m > 1:
            out[1] = z
        for j in range(2, self.m):
            out[j] = 2.0 * z * out[j - 1] - out[j - 2]
        return out

    def probabilities(self, yhat) -> np.ndarray:
        arms = yhat.shape[0]
        best = int(np.argmin(yhat))
        p = 1.0 / (arms + self.eta * (yhat - yhat[best]))
        p[best] = 0.0
        p[best] = 1.0 - p.sum()
        return p

    def choose(self, t, context):
        f = self.chebyshev(context)
        yhat = self.theta @ f
        p = self.probabilities(yhat)
        arm = _sample(self.rng, p)
        self.features[self.t] = f
        self.arms[self.t] = arm
        self.predicted[self.t] = yhat[arm]
        return float(self.grid[arm]), arm, float(p[arm])

    def update(self, cost):
        t = self.t
        self.costs[t] = cost
        self.pulls[self.arms[t]] += 1
        seen = self.costs[:t + 1]
        top, bottom = seen.max(), seen.min()
        lip = (top - bottom) / self.width
        N = 2.0 + 4.0 * self.width * lip / top * (1.0 + math.log(self.m))
        refit_all = self.scale != top * N
        self.scale = top * N
        bound = np.r_[1.0 / N, 2.0 * self.width * lip / self.scale / np.arange(1, self.m)]
        for arm in (range(self.grid.shape[0]) if refit_all else (self.arms[t],)):
            self._fit(arm, t + 1, bound)
        alpha = (math.pi + 2.0 / math.pi * math.log(2 * self.m + 1)) / (2.0 * self.scale * (self.m + 1)) \
            * self.width * lip
        online = float(((self.predicted[:t + 1] - (seen - 1.0) / self.scale) ** 2).sum())
        denominator = max(online - self.fit_error.sum(), 0.0) + 2.0 * alpha * alpha * (t + 1)
        if denominator > 0:
            self.eta = 2.0 * (t + 1) * math.sqrt(self.grid.shape[0] * (t + 1) / denominator)
        self.t += 1

    def _fit(self, arm, upto, bound):
        mine = self.arms[:upto] == arm
        if not mine.any():
            return
        X = self.features[:upto][mine]
        y = (self.costs[:upto][mine] - 1.0) / self.scale
        theta = np.linalg.lstsq(X, y, rcond=None)[0]
        if (np.abs(theta) > bound).any():
            theta = self._bounded_fit(X, y, bound)
            self.constrained_fits += 1
        self.theta[arm] = theta
        self.fit_error[arm] = float(((X @ theta - y) ** 2).sum())

    @staticmethod
    def _bounded_fit(X, y, bound):
        """Least squares under |theta_j| <= bound_j, solved on the small triangular factor of X."""
        theta = np.zeros(X.shape[1])
        free = bound > 0  # a zero bound pins its coefficient
        if free.any():
            Q, R = np.linalg.qr(X[:, free])
            theta[free] = box_lstsq(R, Q.T @ y, bound[free])
        return theta

    def state(self) -> dict:
        return {"pulls": self.pulls, "theta": self.theta, "eta": self.eta, "scale": self.scale,
                "constrained_fits": self.constrained_fits}


def box_lstsq(R, c, bound, rounds=50):
    """argmin ||R theta - c|| subject to |theta_j| <= bound_j (all bound_j > 0), for a few columns.

    Active set: solve on the free coefficients with the others held at their bounds; pin the ones that
    leave the box; free again a pinned one whose gradient points into the box. It stops when the KKT
    conditions hold, which makes the answer optimal (the problem is convex); should it cycle, scipy's
    bounded least squares answers instead. About 20 times faster than calling scipy every time."""
    theta = np.clip(np.linalg.lstsq(R, c, rcond=None)[0], -bound, bound)
    pinned = np.abs(theta) >= bound
    slack = 1e-12 * (np.abs(R.T @ c).max() + 1.0)
    for _ in range(rounds):
        free = ~pinned
        if free.any():
            held = np.where(pinned, theta, 0.0)
            theta = held.copy()
            theta[free] = np.linalg.lstsq(R[:, free], c - R @ held, rcond=None)[0]
        outside = np.abs(theta) > bound
        if outside.any():
            theta = np.clip(theta, -bound, bound)
            pinned |= outside
            continue
        grad = R.T @ (R @ theta - c)
        wrong = pinned & (((theta > 0) & (grad > slack)) | ((theta < 0) & (grad < -slack)))
        if not wrong.any():
            return theta
        pinned[int(np.argmax(np.where(wrong, np.abs(grad), -1.0)))] = False
    from scipy.optimize import lsq_linear

    return lsq_linear(R, c, bounds=(-bound, bound), method="bvls").x
