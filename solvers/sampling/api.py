"""l_p row sampling: public functions that validate their arguments, compute importance scores, draw a
weighted sample, optionally solve l_p regression on it and evaluate it against the full data.

Paper: Woodruff & Yasuda, "Sharper Bounds for l_p Sensitivity Sampling" (ICML 2023). Sampling rows with
probability proportional to (upper bounds on) their l_p sensitivities and reweighting gives a small
weighted subset on which ||Ax||_p is preserved for all x; with a target b the scores are for [A, b], so
the sample is a coreset for l_p regression min ||Ax - b||_p.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..errors import ParameterError
from ..result import Result
from . import scores as _scores
from .draw import iid_sample, poisson_sample
from .quality import distortion
from ..blas import one_blas_thread
from .regression import lp_loss, lp_regression

METHODS = ("sensitivity", "lewis", "leverage", "root-leverage", "sens+lev", "uniform")
SAMPLINGS = ("poisson", "iid")
#: --exact solves n convex programs of size n x d; above this it would take hours
EXACT_MAX_N = 5000
#: an inclusion probability this close to 1 counts as "kept with probability 1"
_CERTAIN = 1.0 - 1e-12


# ------------------------------------------------------------------------------------ validation

def _as_matrix(A) -> np.ndarray:
    A = np.asarray(A)
    if A.dtype.kind not in "biuf":
        raise ParameterError("A", f"the matrix must be real numbers, got dtype {A.dtype}")
    if A.ndim != 2 or A.shape[0] == 0 or A.shape[1] == 0:
        raise ParameterError("A", f"need a 2-D matrix with at least one row and column, got shape {A.shape}")
    A = np.require(A, np.float64, ["C"])
    if not np.isfinite(A).all():
        r, c = np.argwhere(~np.isfinite(A))[0]
        raise ParameterError("A", f"entries must be finite; entry [{r}, {c}] is {A[r, c]}")
    return A


def _as_target(b, n) -> np.ndarray:
    b = np.require(np.asarray(b, dtype=np.float64).reshape(-1), np.float64, ["C"])
    if b.shape[0] != n:
        raise ParameterError("target", f"need one target value per row of A: {n}, got {b.shape[0]}")
    if not np.isfinite(b).all():
        i = int(np.flatnonzero(~np.isfinite(b))[0])
        raise ParameterError("target", f"target values must be finite; value {i} is {b[i]}")
    return b


def _check_p(p) -> float:
    if not (isinstance(p, (int, float, np.integer, np.floating)) and math.isfinite(p) and p >= 1):
        raise ParameterError("p", f"must be a finite number >= 1 (l_p is not a norm below 1); got {p!r}")
    return float(p)


def _choice(name, value, choices):
    if value not in choices:
        raise ParameterError(name, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def check_parameters(*, p, size, method="lewis", exact=False, sampling="poisson", tol=1e-4, max_iter=100,
                     solve=False, has_target=False, n=None) -> float:
    """Validate the options of `row_sample` (those needing the data only when `n` is given); returns p
    as a float. The CLI calls this before reading any file."""
    p = _check_p(p)
    _choice("method", method, METHODS)
    _choice("sampling", sampling, SAMPLINGS)
    if not (isinstance(size, (int, float, np.integer, np.floating)) and math.isfinite(size) and size >= 1):
        raise ParameterError("size", f"must be a number >= 1 (the expected sample size); got {size!r}")
    if sampling == "iid" and float(size) != int(size):
        raise ParameterError("size", f"iid sampling takes a whole number of draws; got {size}")
    if exact and method not in ("sensitivity", "sens+lev"):
        raise ParameterError("exact", f"computes exact sensitivities, which --method {method} does not use; "
                             "use --method sensitivity or sens+lev")
    if exact and n is not None and n > EXACT_MAX_N:
        raise ParameterError("exact", f"solves one convex program of size n x d per row; n = {n} is above "
                             f"{EXACT_MAX_N} (hours of work). Drop --exact to use the estimate")
    if not (tol > 0):
        raise ParameterError("tol", f"must be positive, got {tol}")
    if max_iter < 1:
        raise ParameterError("max_iter", f"must be at least 1, got {max_iter}")
    if solve and not has_target:
        raise ParameterError("solve", "needs a target: the regression is min ||Ax - b||_p; give --target b.csv")
    return p


def total_sensitivity_bounds(p: float, rank: int) -> list[float]:
    """The range any matrix of this rank can have: r^(p/2) <= S <= r for p <= 2, r <= S <= r^(p/2) above."""
    a, b = float(rank) ** (p / 2), float(rank)
    return [min(a, b), max(a, b)]


# ------------------------------------------------------------------------------------------ scores

@one_blas_thread
def row_scores(U, p: float, method: str = "lewis", *, exact: bool = False, tol: float = 1e-4,
               max_iter: int = 100, seed=0, progress=None) -> dict:
    """Importance scores of the rows of an orthonormal basis U (see `scores.orthonormal_basis`).
    Returns {q (the scores), tau, lewis (iteration info or None), s (sensitivities or None), estimate}."""
    p = _check_p(p)
    _choice("method", method, METHODS)
    n, r = U.shape
    tau = _scores.leverage(U)
    out = {"q": None, "tau": tau, "lewis": None, "s": None, "estimate": None}
    if method == "uniform":
        out["q"] = np.ones(n)
    elif method == "leverage":
        out["q"] = tau
    elif method == "root-leverage":
        out["q"] = tau ** (p / 2)
    else:
        lewis = _scores.lewis_weights(U, p, tol=tol, max_iter=max_iter, progress=progress)
        out["lewis"] = lewis
        if method == "lewis":
            out["q"] = lewis["w"]
        else:
            if exact:
                s = _scores.exact_sensitivities(U, p, progress=progress)
            else:
                if progress is not None:
                    progress(0, None, f"sensitivity estimate: {n} rows against a {_scores.DENOMINATOR_SAMPLE}-row sample")
                est = _scores.estimated_sensitivities(U, p, lewis, tau, np.random.default_rng(seed))
                s = est["s"]
                out["estimate"] = {k: est[k] for k in ("clipped_low", "clipped_high")}
            out["s"] = s
            out["q"] = s if method == "sensitivity" else s / s.sum() + tau / r
    return out


# ------------------------------------------------------------------------------------------ pipeline

@one_blas_thread
def row_sample(A, p: float, size: float, *, target=None, method: str = "lewis", exact: bool = False,
               sampling: str = "poisson", seed: int = 0, tol: float = 1e-4, max_iter: int = 100,
               solve: bool = False, evaluate: bool = False, progress=None) -> Result:
    """A weighted sample of about `size` rows of A (of [A, target] when a target is given) that preserves
    ||Ax||_p (||Ax - target||_p) for all x.

    method: sensitivity (estimated l_p sensitivities; exact=True: one convex program per row, n <= 5000),
    lewis (l_p Lewis weights, default), leverage, root-leverage (tau^(p/2)), sens+lev (s/S + tau/d),
    uniform. sampling: poisson (keep row i with probability min(1, c q_i), expected size `size`, weight
    1/pi_i) or iid (`size` draws with replacement, duplicates merged). tol, max_iter: the Lewis iteration.
    solve: l_p regression on the weighted sample (needs a target). evaluate: also solve on the full data
    (the ratio of full-data residual norms) and estimate the subspace-embedding distortion.
    progress: optional callable(done, total, text)."""
    A = _as_matrix(A)
    n, d = A.shape
    p = check_parameters(p=p, size=size, method=method, exact=exact, sampling=sampling, tol=tol,
                         max_iter=max_iter, solve=solve, has_target=target is not None, n=n)
    b = None if target is None else _as_target(target, n)
    rng_scores, rng_sample, rng_eval = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))

    res = Result(problem="sampling", method=method, exact=bool(exact), sampling=sampling, p=p, n=n, d=d,
                 augmented=b is not None, size=float(size))
    timings = {}
    t0 = time.perf_counter()
    U = _scores.orthonormal_basis(A if b is None else np.column_stack([A, b]))
    rank = U.shape[1]
    res["rank"] = rank
    if rank == 0:
        raise ParameterError("A", "every entry is zero: there is nothing to sample" +
                             ("" if b is None else " (A and the target are all zeros)"))
    timings["basis"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sc = row_scores(U, p, method, exact=exact, tol=tol, max_iter=max_iter, seed=rng_scores, progress=progress)
    timings["scores"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    q = sc["q"]
    if sampling == "poisson":
        idx, weights, pi = poisson_sample(q, float(size), rng_sample)
        res["n_deterministic"] = int((pi >= _CERTAIN).sum())
    else:
        idx, weights, counts = iid_sample(q, int(size), rng_sample)
        prob = q[idx] / q.sum()
        res["n_deterministic"] = int((-np.expm1(int(size) * np.log1p(-np.minimum(prob, 1.0))) >= _CERTAIN).sum())
        res["draws"] = int(size)
        res["merged_duplicates"] = int(size) - int(idx.size)
    timings["sample"] = time.perf_counter() - t0

    res["realised_size"] = int(idx.size)
    res["scores_total"] = float(q.sum())
    res["total_sensitivity"] = None if sc["s"] is None else float(sc["s"].sum())
    res["total_sensitivity_bounds"] = total_sensitivity_bounds(p, rank)
    statuses = []
    if sc["lewis"] is not None:
        lw = sc["lewis"]
        res["lewis"] = {"iterations": lw["iterations"], "residual": lw["residual"], "converged": lw["converged"],
                        "damping": lw["damping"], "sum": float(lw["w"].sum())}
        if not lw["converged"]:
            statuses.append(("max_iter", f"Lewis weights changed by {lw['residual']:.3g} in the last of "
                             f"{lw['iterations']} iterations; raise --max-iter or --tol"))
    if sc["estimate"] is not None:
        res["sensitivity_estimate"] = sc["estimate"]
    res["indices"] = idx
    res["weights"] = weights
    res["objective"] = None

    x_hat = None
    if solve or (evaluate and b is not None):
        t0 = time.perf_counter()
        if progress is not None:
            progress(0, None, f"l_{p:g} regression on {idx.size} sampled rows")
        reg = lp_regression(A[idx], b[idx], p, weights)
        x_hat = reg.x
        loss_full = lp_loss(A, b, x_hat, p)
        res["regression"] = {"x": x_hat, "objective_sample": reg.objective, "loss_full": loss_full,
                             "norm_full": loss_full ** (1 / p), "rank_sample": reg.rank,
                             "undetermined": d - reg.rank, "status": reg.status, "iterations": reg.iterations,
                             "solver": reg.solver}
        res["objective"] = loss_full ** (1 / p)
        if not reg.success:
            statuses.append((reg.status, f"the sample regression: {reg.message}"))
        timings["solve"] = time.perf_counter() - t0

    if evaluate:
        t0 = time.perf_counter()
        ev = {}
        residuals = []
        if b is not None:
            if progress is not None:
                progress(0, None, f"l_{p:g} regression on all {n} rows (for the ratio)")
            full = lp_regression(A, b, p)
            ev.update({"x_full": full.x, "norm_full_opt": full.norm, "ratio": res["objective"] / full.norm
                       if full.norm > 0 else (1.0 if res["objective"] == 0 else math.inf),
                       "full_status": full.status, "full_solver": full.solver})
            if not full.success:
                statuses.append((full.status, f"the full-data regression: {full.message}"))
            residuals = [("regression (sample solution)", A @ x_hat - b), ("regression (full solution)", A @ full.x - b)]
        ev["distortion"] = distortion(U, idx, weights, p, rng_eval, residuals)
        res["evaluation"] = ev
        timings["evaluate"] = time.perf_counter() - t0

    if statuses:
        res.set_status(statuses[0][0], "; ".join(m for _, m in statuses))
    else:
        res.set_status("converged")
    res["iterations"] = 0 if sc["lewis"] is None else sc["lewis"]["iterations"]
    res["counters"] = {"lewis_iterations": res["iterations"], "exact_programs": n if exact else 0,
                       "regression_iterations": res.get("regression", {}).get("iterations", 0)}
    res["timings"] = {k: round(v, 6) for k, v in timings.items()}
    res["seed"] = seed
    return res


def warm_up() -> None:
    """Compile (or load from the cache) every kernel of this family by running the whole pipeline,
    with evaluation, on a tiny problem: the CLI times this as the `compile` phase."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((12, 2))
    b = rng.standard_normal(12)
    row_sample(A, 1.5, 6, target=b, method="sensitivity", solve=True, evaluate=True)
