"""NOTEARS (Zheng et al. 2018), linear: min F(W) s.t. h(W) = tr(exp(W o W)) - d = 0 by the augmented
Lagrangian F + rho/2 h^2 + alpha h, each sub-problem solved by L-BFGS-B on W = W+ - W- with W+, W- >= 0
(which makes the L1 term smooth). rho grows tenfold until h falls below a quarter of its last value,
then alpha += rho h; stop when h <= h_tol or rho reaches rho_max. Defaults as the authors' code.

The least-squares loss is evaluated from S = X^T X / n as 0.5 tr((I - W)^T S (I - W)), so each step
costs O(d^3) whatever n is; the logistic loss reads X.
"""

from __future__ import annotations

import numpy as np

from .acyclicity import notears_h
from ..blas import one_blas_thread


def _smooth_loss(score, W):
    """(loss without the L1 term, its gradient) for a score object of `scores`."""
    if score.name == "logistic":
        X = score.X
        M = X @ W
        loss = np.sum(np.logaddexp(0.0, M) - X * M) / X.shape[0]
        G = X.T @ (1.0 / (1.0 + np.exp(-M)) - X) / X.shape[0]
    else:
        R = score.S @ (np.eye(score.d) - W)
        loss = 0.5 * np.sum((np.eye(score.d) - W) * R)
        G = -R
    return loss + 0.5 * score.lambda2 * np.sum(W * W), G + score.lambda2 * W


@one_blas_thread
def notears_linear(score, *, max_iter: int = 100, h_tol: float = 1e-8, rho_max: float = 1e16, progress=None):
    """Run NOTEARS on a score object (its lambda1, lambda2, forbidden and penalty are used).
    Returns (W, info) with info = {status, h, rho, dual_iterations, lbfgs_iterations}."""
    import scipy.optimize

    d = score.d
    pen = np.concatenate([score.penalty.ravel(), score.penalty.ravel()])
    fixed = np.eye(d, dtype=bool) | score.forbidden
    bounds = [(0.0, 0.0) if f else (0.0, None) for f in np.concatenate([fixed.ravel(), fixed.ravel()])]
    state = {"rho": 1.0, "alpha": 0.0}

    def weights(w):
        return (w[: d * d] - w[d * d:]).reshape(d, d)

    def func(w):
        W = weights(w)
        loss, G_loss = _smooth_loss(score, W)
        h, G_h = notears_h(W)
        rho, alpha = state["rho"], state["alpha"]
        obj = loss + 0.5 * rho * h * h + alpha * h + score.lambda1 * np.dot(pen, w)
        G = (G_loss + (rho * h + alpha) * G_h).ravel()
        return obj, np.concatenate([G, -G]) + score.lambda1 * pen

    w_est, h = np.zeros(2 * d * d), np.inf
    lbfgs_iterations = 0
    dual = 0
    for dual in range(1, max_iter + 1):
        while state["rho"] < rho_max:
            sol = scipy.optimize.minimize(func, w_est, method="L-BFGS-B", jac=True, bounds=bounds)
            lbfgs_iterations += int(sol.nit)
            h_new = notears_h(weights(sol.x))[0]
            if h_new > 0.25 * h:
                state["rho"] *= 10
            else:
                break
        w_est, h = sol.x, h_new
        state["alpha"] += state["rho"] * h
        if progress is not None:
            progress(dual, None, f"notears: dual step {dual}, h(W) = {h:.3g}, rho = {state['rho']:.3g}")
        if h <= h_tol or state["rho"] >= rho_max:
            break
    status = "converged" if h <= h_tol else "max_iter"
    return weights(w_est), {"status": status, "h": float(h), "rho": state["rho"], "dual_iterations": dual,
                            "lbfgs_iterations": lbfgs_iterations}
