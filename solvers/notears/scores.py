"""The scores TOPO minimises over orders, each behind one small interface:

- `fit(order)`: the best DAG on an order (every node regressed on its allowed predecessors):
  a `Fit` with W (node coordinates), per-position node values and the total objective;
- `swap_changes(fit, cand_p, cand_q)`: the objective change of exchanging the nodes at positions
  p < q, for many candidates at once (Numba, parallel over candidates);
- `objective(W)`: the score of any W (used for W read from a file and for `check`);
- `refit(support)`: the best W whose edges lie in a given support (the thresholded graph).

`LeastSquares` (lambda1 = 0) is exact and works from the Cholesky factor of S = X^T X / n; `Lasso`
(lambda1 > 0) runs coordinate descent on S; `Logistic` (binary data) runs proximal Newton on X.
All include the penalties: F(W) = loss + lambda1 ||W||_1 + lambda2/2 ||W||_F^2, where a required edge
is not penalised by lambda1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernels as _k
from . import _logistic as _lg

#: residual variance below this fraction of a variable's variance counts as zero (collinear data)
DEGENERATE = 1e-10


@dataclass
class Fit:
    order: np.ndarray
    W: np.ndarray
    vals: np.ndarray  # per position: the node's own objective (in the score's internal units)
    objective: float
    aux: object = None


class _Base:
    def __init__(self, d, lambda1, lambda2, forbidden, required):
        self.d = d
        self.lambda1 = float(lambda1)
        self.lambda2 = float(lambda2)
        self.forbidden = np.zeros((d, d), dtype=np.bool_) if forbidden is None else np.ascontiguousarray(forbidden, dtype=np.bool_)
        self.required = np.zeros((d, d), dtype=np.bool_) if required is None else np.ascontiguousarray(required, dtype=np.bool_)
        self.penalty = np.where(self.required, 0.0, 1.0)
        self.work = 0  # inner iterations (sweeps / Newton steps) spent so far

    def restricted(self, support) -> np.ndarray:
        """The forbidden matrix that allows only the edges of `support` (plus the required ones)."""
        return np.ascontiguousarray(~(np.asarray(support, dtype=bool) | self.required))


class LeastSquares(_Base):
    """F(W) = 1/(2n) ||X - X W||_F^2 + lambda2/2 ||W||_F^2 = 0.5 tr((I-W)^T S (I-W)) + lambda2/2 ||W||^2."""

    name = "ls"

    def __init__(self, S, lambda2=0.0, forbidden=None, required=None):
        super().__init__(S.shape[0], 0.0, lambda2, forbidden, required)
        self.S = np.ascontiguousarray(S, dtype=np.float64)
        self.Se = self.S + self.lambda2 * np.eye(self.d)
        self.floor = DEGENERATE * np.diag(self.Se).copy()
        self.constrained = self.forbidden.any(axis=0)

    def _total(self, vals) -> float:
        return 0.5 * float(vals.sum()) - 0.5 * self.d * self.lambda2

    def fit(self, order, forbidden=None, W0=None) -> Fit:
        """Exact: W0 (a warm start for the iterative scores) is not needed."""
        order = np.ascontiguousarray(order, dtype=np.int64)
        forb = self.forbidden if forbidden is None else forbidden
        constrained = forb.any(axis=0)
        L, piv = _k.factor(self.Se, order, self.floor)
        vals = _k.node_values(self.Se, order, piv, self.floor, forb, constrained) if constrained.any() else piv
        W = _k.coefficients(self.Se, order, L, self.floor, forb, constrained)
        return Fit(order, W, vals, self._total(vals), L)

    def swap_changes(self, fit, cand_p, cand_q) -> np.ndarray:
        out = np.empty(cand_p.shape[0])
        _k.score_swaps(self.Se, fit.order, fit.aux, fit.vals, self.floor, self.forbidden, self.constrained,
                       bool(self.constrained.any()), cand_p, cand_q, out)
        return 0.5 * out

    def objective(self, W) -> float:
        I_W = np.eye(self.d) - W
        return float(0.5 * np.sum(I_W * (self.S @ I_W)) + 0.5 * self.lambda2 * np.sum(W * W))

    def refit(self, support, order) -> Fit:
        return self.fit(order, self.restricted(support))


class Lasso(_Base):
    """F(W) = 1/(2n) ||X - X W||_F^2 + lambda1 ||W||_1 + lambda2/2 ||W||_F^2, by coordinate descent on S."""

    name = "ls"
    tol = 1e-10
    max_sweeps = 100_000

    def __init__(self, S, lambda1, lambda2=0.0, forbidden=None, required=None):
        super().__init__(S.shape[0], lambda1, lambda2, forbidden, required)
        self.S = np.ascontiguousarray(S, dtype=np.float64)
        self.Se = self.S + self.lambda2 * np.eye(self.d)

    def fit(self, order, forbidden=None, W0=None) -> Fit:
        order = np.ascontiguousarray(order, dtype=np.int64)
        W = np.zeros((self.d, self.d)) if W0 is None else np.array(W0, dtype=np.float64)
        vals, sweeps = _k.fit_order_lasso(self.Se, self.lambda1, self.lambda2, self.penalty,
                                          self.forbidden if forbidden is None else forbidden, order, W,
                                          self.tol, self.max_sweeps)
        self.work += int(sweeps)
        return Fit(order, W, vals, float(vals.sum()))

    def swap_changes(self, fit, cand_p, cand_q) -> np.ndarray:
        out = np.empty(cand_p.shape[0])
        _k.score_swaps_lasso(self.Se, self.lambda1, self.lambda2, self.penalty, self.forbidden, fit.order, fit.W,
                             fit.vals, self.tol, self.max_sweeps, cand_p, cand_q, out)
        return out

    def objective(self, W) -> float:
        I_W = np.eye(self.d) - W
        return float(0.5 * np.sum(I_W * (self.S @ I_W)) + self.lambda1 * np.sum(self.penalty * np.abs(W))
                     + 0.5 * self.lambda2 * np.sum(W * W))

    def refit(self, support, order) -> Fit:
        return self.fit(order, self.restricted(support))


class Logistic(_Base):
    """F(W) = 1/n sum (log(1 + e^{XW}) - X o XW) + lambda1 ||W||_1 + lambda2/2 ||W||_F^2 (binary X)."""

    name = "logistic"
    tol = 1e-12
    max_newton = 100

    def __init__(self, X, lambda1=0.0, lambda2=0.0, forbidden=None, required=None):
        super().__init__(X.shape[1], lambda1, lambda2, forbidden, required)
        self.X = np.ascontiguousarray(X, dtype=np.float64)

    def fit(self, order, forbidden=None, W0=None) -> Fit:
        order = np.ascontiguousarray(order, dtype=np.int64)
        W = np.zeros((self.d, self.d)) if W0 is None else np.array(W0, dtype=np.float64)
        vals, steps = _lg.fit_order_logistic(self.X, self.lambda1, self.lambda2, self.penalty,
                                             self.forbidden if forbidden is None else forbidden, order, W,
                                             self.tol, self.max_newton)
        self.work += int(steps)
        return Fit(order, W, vals, float(vals.sum()))

    def swap_changes(self, fit, cand_p, cand_q) -> np.ndarray:
        out = np.empty(cand_p.shape[0])
        _lg.score_swaps_logistic(self.X, self.lambda1, self.lambda2, self.penalty, self.forbidden, fit.order,
                                 fit.W, fit.vals, self.tol, self.max_newton, cand_p, cand_q, out)
        return out

    def objective(self, W) -> float:
        M = self.X @ W
        loss = np.sum(np.logaddexp(0.0, M) - self.X * M) / self.X.shape[0]
        return float(loss + self.lambda1 * np.sum(self.penalty * np.abs(W)) + 0.5 * self.lambda2 * np.sum(W * W))

    def refit(self, support, order) -> Fit:
        return self.fit(order, self.restricted(support))


def make_score(X, kind: str = "ls", lambda1: float = 0.0, lambda2: float = 0.0, forbidden=None, required=None,
               center: bool = True):
    """The score object for data X (n x d). Least squares centres X (the model has no intercept)."""
    X = np.asarray(X, dtype=np.float64)
    if kind == "logistic":
        return Logistic(X, lambda1, lambda2, forbidden, required)
    Xc = X - X.mean(axis=0) if center else X
    S = Xc.T @ Xc / X.shape[0]
    if lambda1 > 0:
        return Lasso(S, lambda1, lambda2, forbidden, required)
    return LeastSquares(S, lambda2, forbidden, required)
