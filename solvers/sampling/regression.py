"""Weighted l_p regression, min_x sum_i w_i |a_i x - b_i|^p, for a row sample or the full data.

- p = 1: the dual linear program max -b^T u subject to A^T u = 0, |u_i| <= w_i (n bounded variables,
  only d equality rows), solved by scipy's HiGHS; x is the vector of equality-row marginals. The dual
  is about 10x faster than the primal with its 2n inequality rows.
- p = 2: least squares (scipy's lstsq, minimum-norm when the rows do not determine every coefficient).
- other p > 1: Newton's method from the least-squares solution with an Armijo line search on the exact
  loss (sufficient decrease: a quarter of the Newton decrement); for p < 2 the curvature |r|^(p-2) is capped at tiny residuals (the loss is not changed, so the
  iterates still converge to the true minimiser). Stops when the Newton decrement is below `tol` times
  the loss.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from ..result import Result
from . import _kernels as _k
from ..blas import one_blas_thread
from .scores import BLOCK

#: above this many rows the p = 1 LP uses HiGHS's interior-point method (with crossover): 1.8x faster
#: than dual simplex at n = 10^5, d = 11; below it dual simplex is faster
IPM_ROWS = 20000


def lp_loss(A, b, x, p: float, weights=None) -> float:
    """sum_i w_i |a_i x - b_i|^p, computed in row blocks."""
    total = 0.0
    for start in range(0, A.shape[0], BLOCK):
        s = slice(start, min(A.shape[0], start + BLOCK))
        r = A[s] @ x - b[s]
        total += _k.lp_loss(r, None if weights is None else weights[s], float(p))
    return total


@one_blas_thread
def lp_regression(A, b, p: float, weights=None, *, tol: float = 1e-10, max_iter: int = 100) -> Result:
    """Minimise sum_i w_i |a_i x - b_i|^p over x (w = 1 when `weights` is None). Returns a Result with
    x, objective (the weighted loss), norm (objective^(1/p)), rank (of the weighted rows), status,
    iterations and solver."""
    return solve_lp_regression(A, b, p, weights, tol=tol, max_iter=max_iter)


def solve_lp_regression(A, b, p: float, weights=None, *, tol: float = 1e-10, max_iter: int = 100) -> Result:
    """`lp_regression` without pinning BLAS threads (for callers that already did, in a loop)."""
    A = np.require(A, np.float64, ["C"])
    b = np.require(b, np.float64, ["C"]).reshape(-1)
    w = None if weights is None else np.require(weights, np.float64, ["C"]).reshape(-1)
    res = Result(problem="lp_regression", p=float(p), n=A.shape[0], d=A.shape[1])
    _check_power_range(A, b, p)
    if A.shape[0] == 0:  # an empty sample: every x fits it; the smallest is 0
        res["x"], res["iterations"], res["solver"] = np.zeros(A.shape[1]), 0, "empty"
        res.set_status("converged", "no rows: every x has loss 0")
    elif p == 1.0:
        _l1_dual_lp(res, A, b, w)
    elif p == 2.0:
        res["x"] = _least_squares(A, b, w)
        res["iterations"] = 1
        res["solver"] = "lstsq"
        res.set_status("converged")
    else:
        _newton(res, A, b, float(p), w, tol, max_iter)
    res["objective"] = lp_loss(A, b, res["x"], p, w)
    res["norm"] = res["objective"] ** (1.0 / p)
    res["rank"] = _rank(A, w)
    return res


def _check_power_range(A, b, p) -> None:
    """Refuse data whose p-th powers overflow float64 (|r|^p of residuals as large as the data): the
    loss, its gradient and Hessian would be inf."""
    from ..errors import ParameterError

    largest = max(float(np.abs(A).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))
    if largest > 0.0 and p * math.log10(largest) > 300.0:
        raise ParameterError("p", f"values up to {largest:g} raised to p = {p:g} overflow float64 (above 1e300); "
                             "rescale the data or lower p")


def _rank(A, w) -> int:
    """Rank of the rows as weighted (from the Gram matrix's eigenvalues, scaled per column)."""
    G = _weighted_gram(A, w)
    scale = np.sqrt(np.diag(G))
    live = scale > 0
    if not live.any():
        return 0
    Gs = G[np.ix_(live, live)] / np.outer(scale[live], scale[live])
    lam = np.linalg.eigvalsh(Gs)
    return int((lam > 1e-13 * lam[-1]).sum())


def _weighted_gram(A, h) -> np.ndarray:
    d = A.shape[1]
    G = np.zeros((d, d))
    for start in range(0, A.shape[0], BLOCK):
        s = slice(start, min(A.shape[0], start + BLOCK))
        Ab = A[s]
        G += Ab.T @ Ab if h is None else (Ab * h[s, None]).T @ Ab
    return (G + G.T) / 2


def _least_squares(A, b, w) -> np.ndarray:
    if w is None:
        return np.linalg.lstsq(A, b, rcond=None)[0]
    sw = np.sqrt(w)
    return np.linalg.lstsq(A * sw[:, None], b * sw, rcond=None)[0]


def _l1_dual_lp(res, A, b, w) -> None:
    from scipy.optimize import linprog

    n, d = A.shape
    bound = np.ones(n) if w is None else w
    method = "highs-ipm" if n > IPM_ROWS else "highs-ds"
    # HiGHS refuses coefficients far from 1 (a "model error" at 1e25): solve with A and b scaled to a
    # largest entry of 1; the equality rows A^T y = 0 do not change, and x scales by sb / sA
    sA = float(np.abs(A).max(initial=0.0)) or 1.0
    sb = float(np.abs(b).max(initial=0.0)) or 1.0
    out = linprog(b / sb, A_eq=A.T / sA, b_eq=np.zeros(d), bounds=np.column_stack([-bound, bound]), method=method)
    res["solver"] = f"dual LP ({method})"
    res["iterations"] = int(getattr(out, "nit", 0) or 0)
    if out.status == 0:
        res["x"] = np.asarray(out.eqlin.marginals, dtype=np.float64) * (sb / sA)
        res.set_status("converged")
    elif out.status == 1:
        res["x"] = np.zeros(d) if out.eqlin is None else np.asarray(out.eqlin.marginals, dtype=np.float64) * (sb / sA)
        res.set_status("max_iter", out.message)
    else:
        res["x"] = np.zeros(d)
        res.set_status("stopped", f"HiGHS: {out.message}")


def _newton(res, A, b, p, w, tol, max_iter) -> None:
    n, d = A.shape
    x = _least_squares(A, b, w)
    g = np.empty(n)
    h = np.empty(n)
    r = A @ x - b
    loss = _k.newton_terms(r, w, p, 0.0, g, h)
    # an exact fit: for p > 2 the curvature vanishes with the residuals, so Newton's decrement only
    # shrinks linearly and the relative test below never fires; stop once the loss is at rounding level
    exact = (1e-14 * float(np.abs(b).max(initial=0.0))) ** p
    it, converged, line_steps = 0, False, 0
    while it < max_iter:
        if loss <= exact:
            converged = True
            break
        it += 1
        delta = 1e-10 * (np.abs(r).mean() + 1e-300)
        loss = _k.newton_terms(r, w, p, delta, g, h)
        grad = A.T @ g
        H = _weighted_gram(A, h)
        step = _solve_psd(H, -grad)
        decrement = -float(grad @ step)
        if decrement <= tol * max(loss, 1e-300):
            converged = True
            break
        As = A @ step
        t = 1.0
        while True:  # Armijo backtracking on the exact loss
            r_try = r + t * As
            trial = _k.lp_loss(r_try, w, p)
            # a sufficient decrease of a quarter of the decrement (not the usual 1e-4): a full step on an
            # exact quadratic still passes (it gains half), but a step that overshoots a residual across
            # zero, where |r|^p (p < 2) has unbounded curvature, is halved instead of oscillating
            if trial <= loss - 0.25 * t * decrement or t < 1e-12:
                break
            t *= 0.5
            line_steps += 1
        if trial >= loss:  # no progress possible in floating point: at the minimiser
            converged = True
            break
        x = x + t * step
        r = r_try
        loss = trial
    res["x"] = x
    res["iterations"] = it
    res["solver"] = "newton"
    res["counters"] = {"line_search_halvings": line_steps}
    res.set_status("converged" if converged else "max_iter")


def _solve_psd(H, rhs) -> np.ndarray:
    """H^-1 rhs for a symmetric positive semi-definite H; minimum-norm least squares if H is singular."""
    try:
        L = np.linalg.cholesky(H)
        return scipy.linalg.cho_solve((L, True), rhs)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(H, rhs, rcond=None)[0]
