"""Low-rank matrix completion by alternating minimisation: public functions that validate their
arguments, build the compressed views once, run the half-steps and return a `Result`.

Objective, for observed entries Omega of an m x n matrix and rank k:

    f(U, V) = sum_{(i,j) in Omega} (M_ij - <u_i, v_j>)^2 + lam (sum_i d_i |u_i|^2 + sum_j d_j |v_j|^2)

with d_i, d_j the observation counts of row i and column j ("ALS-WR" count scaling) and
lam = reg x RMS of the observed values (so `reg` does not depend on the data's units). Each iteration
solves every column of V, then every row of U, by ridge least squares (Jain, Netrapalli & Sanghavi,
STOC 2013); the per-row solver is exact (Cholesky), warm-started CG, CG with one shared preconditioner,
or the sketch-preconditioned solver of Gu, Song, Yin & Zhang (ICLR 2024).
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..errors import ParameterError
from ..result import Result
from ..timing import PhaseTimer
from . import _init
from . import _kernels as _k
from ._views import Compressed, residual_sq

SOLVERS = ("exact", "cg", "pcg", "sketch")
INITS = ("svd", "random")
#: training RMSE above this multiple of the data's RMS (or not finite) counts as divergence
DIVERGED = 1e6


# ------------------------------------------------------------------------------------ validation

def _choice(name, value, choices):
    if value not in choices:
        raise ParameterError(name, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def as_entries(rows, cols, values, shape, *, check_duplicates: bool = True):
    """(rows int64, cols int64, values float64, (m, n)) validated: same lengths, indices in range,
    finite values, and (optionally) no position listed twice."""
    try:
        m, n = (int(shape[0]), int(shape[1]))
    except (TypeError, ValueError, IndexError):
        raise ParameterError("shape", f"must be two positive integers (m, n), got {shape!r}") from None
    if m < 1 or n < 1:
        raise ParameterError("shape", f"must be two positive integers (m, n), got {shape!r}")
    rows, cols, values = (np.asarray(a).reshape(-1) for a in (rows, cols, values))
    if not (rows.shape == cols.shape == values.shape):
        raise ParameterError("values", f"rows, cols and values must have the same length; got {rows.shape[0]}, "
                             f"{cols.shape[0]}, {values.shape[0]}")
    if rows.shape[0] == 0:
        raise ParameterError("values", "no observed entries")
    for name, idx, size in (("rows", rows, m), ("cols", cols, n)):
        if idx.dtype.kind not in "iu":
            raise ParameterError(name, f"indices must be integers, got dtype {idx.dtype}")
        if idx.min() < 0 or idx.max() >= size:
            bad = int(idx[(idx < 0) | (idx >= size)][0])
            raise ParameterError(name, f"index {bad} is out of range 0..{size - 1}")
    if values.dtype.kind not in "biuf":
        raise ParameterError("values", f"must be real numbers, got dtype {values.dtype}")
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        e = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ParameterError("values", f"must be finite; entry {e} is {values[e]}")
    rows, cols = rows.astype(np.int64), cols.astype(np.int64)
    if check_duplicates:
        key = np.sort(rows * n + cols)
        if (key[1:] == key[:-1]).any():
            dup = int(key[1:][key[1:] == key[:-1]][0])
            raise ParameterError("values", f"entry ({dup // n}, {dup % n}) is listed more than once")
    return rows, cols, values, (m, n)


def _check_params(rank, shape, solver, init, cg_steps, reg, max_iter, tol, holdout, early_stop, mu, sketch_size):
    m, n = shape
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 1 <= rank <= min(m, n):
        raise ParameterError("rank", f"must be an integer between 1 and min(m, n) = {min(m, n)}; got {rank!r}")
    _choice("solver", solver, SOLVERS)
    _choice("init", init, INITS)
    if cg_steps < 1:
        raise ParameterError("cg_steps", f"must be at least 1, got {cg_steps}")
    if not (reg >= 0 and math.isfinite(reg)):
        raise ParameterError("reg", f"must be a finite number >= 0, got {reg}")
    if max_iter < 1:
        raise ParameterError("max_iter", f"must be at least 1, got {max_iter}")
    if not tol >= 0:
        raise ParameterError("tol", f"must be >= 0, got {tol}")
    if not 0 <= holdout < 1:
        raise ParameterError("holdout", f"must be a fraction in [0, 1), got {holdout}")
    if early_stop and holdout == 0:
        raise ParameterError("early_stop", "needs held-out entries to watch: add --holdout FRACTION (e.g. 0.1)")
    if mu is not None and not mu > 0:
        raise ParameterError("mu", f"must be positive, got {mu}")
    if sketch_size is not None and sketch_size < 1:
        raise ParameterError("sketch_size", f"must be at least 1, got {sketch_size}")


# ------------------------------------------------------------------------------------ diagnostics

def observation_warnings(row_counts, col_counts, rank, reg) -> list[str]:
    """Warnings about under-observed rows/columns and too few observations for rank k."""
    m, n = row_counts.shape[0], col_counts.shape[0]
    out = []
    for what, counts in (("row", row_counts), ("column", col_counts)):
        few = np.flatnonzero(counts < rank)
        if few.size:
            empty = int((counts == 0).sum())
            first = int(few[0])
            text = (f"{few.size} {what}s have fewer than rank k = {rank} observations ({what} {first} has "
                    f"{int(counts[first])})")
            if empty:
                text += f"; {empty} have none and are predicted as 0"
            if reg < 1e-3:
                text += "; their factors are underdetermined: raise --reg (e.g. 0.1) or lower --rank"
            out.append(text)
    dof = (m + n - rank) * rank
    total = int(row_counts.sum())
    if total < 2 * dof:
        out.append(f"{total} observed entries are only {total / dof:.2f}x the (m + n - k) k = {dof} degrees of "
                   "freedom of a rank-k matrix; recovery needs about 2x or more (use --init svd, lower --rank)")
    return out


def relative_error(U, V, U_true, V_true) -> float:
    """|U Vᵀ - U* V*ᵀ|_F / |U* V*ᵀ|_F without forming either m x n product: with thin QRs
    [U, -U*] = Qa Ra and [V, V*] = Qb Rb the difference is Qa (Ra Rbᵀ) Qbᵀ, whose norm is |Ra Rbᵀ|_F.
    Accurate to ~1e-15 relative (a trace formula loses everything below ~1e-8 to cancellation)."""
    Ra = np.linalg.qr(np.hstack([U, -U_true]), mode="r")
    Rb = np.linalg.qr(np.hstack([V, V_true]), mode="r")
    Rt = np.linalg.qr(U_true, mode="r") @ np.linalg.qr(V_true, mode="r").T
    truth = float(np.linalg.norm(Rt))
    diff = float(np.linalg.norm(Ra @ Rb.T))
    return diff / truth if truth > 0 else diff


def predict(U, V, rows, cols) -> np.ndarray:
    """<U[rows[e]], V[cols[e]]> for every requested entry."""
    U = np.ascontiguousarray(U, np.float64)
    V = np.ascontiguousarray(V, np.float64)
    rows = np.ascontiguousarray(rows, np.int64)
    cols = np.ascontiguousarray(cols, np.int64)
    out = np.empty(rows.shape[0])
    _k.predict_entries(U, V, rows, cols, out)
    return out


def rmse(U, V, rows, cols, values) -> float:
    """Root mean squared error of U Vᵀ on the given entries."""
    r = np.asarray(values, np.float64) - predict(U, V, rows, cols)
    return math.sqrt(float(np.dot(r, r)) / max(r.shape[0], 1))


# ----------------------------------------------------------------------------------------- half-step

class HalfStep:
    """Solves every row of X against F on one compressed view with the chosen per-row solver."""

    def __init__(self, solver, lam, cg_steps, sketch_rows, seed):
        self.solver = solver
        self.lam = lam
        self.cg_steps = cg_steps
        self.sketch_rows = sketch_rows
        self.seed = seed
        self.counters = {"half_steps": 0, "row_solves": 0, "inner_steps": 0, "failed_solves": 0}

    def __call__(self, view: Compressed, X, F, want_residual: bool) -> float:
        """Update X in place; the sum of squared residuals on the view after the update (or 0.0)."""
        size = view.size
        row_sq = np.zeros(size)
        failed = np.zeros(size, np.int8)
        args = (view.indptr, view.indices, view.data, F, X, self.lam)
        if self.solver == "exact":
            _k.solve_rows_exact(*args, view.bounds, want_residual, row_sq, failed)
        else:
            done = np.zeros(size, np.int64)
            if self.solver == "sketch":
                self.seed = _next_seed(self.seed)
                _k.solve_rows_sketch(*args, self.cg_steps, self.sketch_rows, self.seed, view.bounds, want_residual,
                                     row_sq, failed, done)
            else:
                L = self._shared_preconditioner(F) if self.solver == "pcg" else np.empty((0, 0))
                _k.solve_rows_cg(*args, self.cg_steps, L, view.bounds, want_residual, row_sq, failed, done)
            self.counters["inner_steps"] += int(done.sum())
        self.counters["half_steps"] += 1
        self.counters["row_solves"] += int(np.count_nonzero(view.counts))
        self.counters["failed_solves"] += int(failed.sum())
        return float(row_sq.sum())

    def _shared_preconditioner(self, F):
        """Cholesky factor of FᵀF / rows + lam I (d times it approximates every row's normal matrix), with
        its diagonal as reciprocals: the form the kernels' `_cholesky_solve` reads."""
        C = F.T @ F / F.shape[0] + self.lam * np.eye(F.shape[1])
        C += 1e-12 * max(float(np.trace(C)) / F.shape[1], 1e-300) * np.eye(F.shape[1])
        L = np.ascontiguousarray(np.linalg.cholesky(C))
        np.fill_diagonal(L, 1.0 / np.diag(L))
        return L


def _next_seed(seed) -> int:
    """A fresh 63-bit seed for the next sketch (deterministic chain from --seed)."""
    return int(np.random.default_rng(seed).integers(0, 2**63 - 1))


# -------------------------------------------------------------------------------------------- solve

def complete(rows, cols, values, shape, rank, *, solver="exact", cg_steps=3, reg=1e-9, init="svd", mu=None,
             split=False, max_iter=100, tol=1e-4, holdout=0.0, early_stop=False, seed=0, sketch_size=None,
             progress=None, check=True) -> Result:
    """Fit U (m x rank), V (n x rank) with U Vᵀ matching the observed entries (rows[e], cols[e]) -> values[e].

    solver: exact (k x k Cholesky per row; default), cg (warm-started CG, `cg_steps` iterations), pcg (CG
    preconditioned by one shared k x k matrix per half-step), sketch (CountSketch of s = sketch_size rows,
    default 4k, its R factor as preconditioner, `cg_steps` preconditioned iterations from the
    sketch-and-solve start).
    init: svd (spectral start; with `mu`, JNS13's clipping) or random. split: JNS13's sample splitting,
    2 max_iter + 1 disjoint parts, one per half-step and one for the start.
    Stops when the training RMSE changes by less than `tol` (relative), after `max_iter` iterations, or,
    with `holdout` > 0 (a seeded fraction of the entries kept out of training) and `early_stop`, when
    the held-out RMSE rises (the factors with the lowest held-out RMSE are returned).
    progress: optional callable(done, total, text) called after every iteration.
    """
    t_start = time.perf_counter()
    if check:
        rows, cols, values, shape = as_entries(rows, cols, values, shape)
    else:
        rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
        values, shape = np.asarray(values, np.float64), (int(shape[0]), int(shape[1]))
    m, n = shape
    _check_params(rank, shape, solver, init, cg_steps, reg, max_iter, tol, holdout, early_stop, mu, sketch_size)
    rank = int(rank)
    rng = np.random.default_rng((seed, _init.STREAM_HOLDOUT))
    timer = PhaseTimer()

    with timer.phase("build"):
        test, by_row, by_col, held, parts, rms = _views(rows, cols, values, shape, holdout, split, max_iter, rng)
    lam = reg * rms if rms > 0 else reg
    res = Result(problem="completion", m=m, n=n, rank=rank, observed=by_row.nnz, holdout=int(test.shape[0]),
                 solver=solver, init=init, reg=reg, **{"lambda": lam}, max_iter=max_iter, tol=tol, split=split)
    if solver != "exact":
        res["cg_steps"] = cg_steps
    sketch_rows = int(sketch_size) if sketch_size is not None else 4 * rank
    if solver == "sketch":
        res["sketch_size"] = sketch_rows
    res["warnings"] = observation_warnings(by_row.counts, by_col.counts, rank, reg)
    if split:
        res["warnings"].append(f"--split gives each half-step 1/{2 * max_iter + 1} of the entries "
                               f"(about {by_row.nnz // (2 * max_iter + 1)}); JNS13's sample splitting is for "
                               "the proof and usually starves the steps: compare without it")
    with timer.phase("init"):
        U, V = _start(init, parts[0] if split else by_row, shape, rank, mu, rms, seed, res)
        U[by_row.counts == 0] = 0.0
        V[by_col.counts == 0] = 0.0
        train_sq = residual_sq(by_row, U, V)
    with timer.phase("iterations"):
        step = HalfStep(solver, lam, cg_steps, sketch_rows, _next_seed((seed, _init.STREAM_SKETCH)))
        _iterate(res, step, by_row, by_col, held, parts, U, V, lam, rms, max_iter, tol, early_stop, progress,
                 train_sq, t_start)
    res["counters"] = {**step.counters, "residual_passes": res.pop("_passes") + 1}
    wall, cpu = timer.report()
    res["timings"] = {key: wall[key] for key in ("build", "init", "iterations")}
    res["cpu_timings"] = {key: cpu[key] for key in ("build", "init", "iterations")}
    res["seed"] = seed
    return res


def _views(rows, cols, values, shape, holdout, split, max_iter, rng):
    """Hold-out split and the compressed views, built once: (test, by_row, by_col, held, parts, rms)."""
    m, n = shape
    train, test = _split_holdout(rows.shape[0], holdout, rng)
    if train.shape[0] == 0:
        raise ParameterError("holdout", f"leaves no training entries out of {rows.shape[0]}")
    tr_rows, tr_cols, tr_vals = rows[train], cols[train], values[train]
    by_row = Compressed(tr_rows, tr_cols, tr_vals, m)
    by_col = Compressed(tr_cols, tr_rows, tr_vals, n)
    held = Compressed(rows[test], cols[test], values[test], m) if test.shape[0] else None
    rms = math.sqrt(float(np.dot(tr_vals, tr_vals)) / tr_vals.shape[0])
    parts = _split_parts(tr_rows, tr_cols, tr_vals, shape, max_iter, rng) if split else None
    return test, by_row, by_col, held, parts, rms


def _split_holdout(count, holdout, rng):
    """(train, test) entry positions; test is round(holdout x count) entries chosen by the seeded rng."""
    if holdout <= 0:
        return np.arange(count), np.empty(0, np.int64)
    held = int(round(holdout * count))
    perm = rng.permutation(count)
    return np.sort(perm[held:]), np.sort(perm[:held])


def _split_parts(rows, cols, values, shape, max_iter, rng):
    """JNS13's sample splitting: 2T + 1 disjoint random parts (T = max_iter). Part 0 (by row) seeds the
    start; part t (by column) feeds the V half-step of iteration t, part T + t (by row) its U half-step."""
    m, n = shape
    count = 2 * max_iter + 1
    pieces = np.array_split(rng.permutation(rows.shape[0]), count)
    start = Compressed(rows[pieces[0]], cols[pieces[0]], values[pieces[0]], m)
    v_parts = [Compressed(cols[p], rows[p], values[p], n) for p in pieces[1:max_iter + 1]]
    u_parts = [Compressed(rows[p], cols[p], values[p], m) for p in pieces[max_iter + 1:]]
    return start, v_parts, u_parts


def _start(init, by_row, shape, rank, mu, rms, seed, res):
    if init == "svd":
        U, V, info = _init.svd_start(by_row, shape, rank, mu, seed)
        res["initial_singular_values"] = info["singular_values"]
        if mu is not None:
            res["mu"] = mu
            res["clipped_entries"] = info["clipped_entries"]
        return U, V
    return _init.random_start(shape, rank, rms, seed)


def _objective(sq, lam, U, V, by_row, by_col) -> float:
    """f(U, V): squared residuals plus the count-scaled ridge terms."""
    pen = float(np.dot(by_row.counts, (U * U).sum(axis=1))) + float(np.dot(by_col.counts, (V * V).sum(axis=1)))
    return sq + lam * pen


def _iterate(res, step, by_row, by_col, held, parts, U, V, lam, rms, max_iter, tol, early_stop, progress, train_sq,
             t_start):
    """Alternate V and U half-steps until a stopping rule fires; fill res with the outcome. train_sq: the
    squared residuals of the start."""
    passes = 0
    history = []
    res["initial_train_rmse"] = math.sqrt(train_sq / by_row.nnz)
    prev = res["initial_train_rmse"]
    best = None  # (holdout_rmse, iteration, U, V) for early stopping
    status, reason = "max_iter", "max_iter"
    for t in range(1, max_iter + 1):
        if parts is None:
            step(by_col, V, U, False)
            train_sq = step(by_row, U, V, True)
        else:
            step(parts[1][t - 1], V, U, False)
            step(parts[2][t - 1], U, V, False)
            train_sq = residual_sq(by_row, U, V)
            passes += 1
        train_rmse = math.sqrt(train_sq / by_row.nnz)
        entry = {"iteration": t, "train_rmse": train_rmse,
                 "objective": _objective(train_sq, lam, U, V, by_row, by_col)}
        if held is not None:
            entry["holdout_rmse"] = math.sqrt(residual_sq(held, U, V) / held.nnz)
            passes += 1
        entry["seconds"] = round(time.perf_counter() - t_start, 6)
        history.append(entry)
        if progress is not None:
            text = f"iteration {t}: train RMSE {train_rmse:.6g}"
            if held is not None:
                text += f", held-out RMSE {entry['holdout_rmse']:.6g}"
            progress(t, max_iter, text)
        if not math.isfinite(train_rmse) or train_rmse > DIVERGED * max(rms, 1e-300):
            status, reason = "diverged", "diverged"
            break
        if early_stop:
            if best is not None and entry["holdout_rmse"] > best[0]:
                U[:], V[:] = best[2], best[3]
                status, reason = "converged", "holdout"
                break
            best = (entry["holdout_rmse"], t, U.copy(), V.copy())
        if train_rmse == 0.0 or abs(prev - train_rmse) <= tol * prev:
            status, reason = "converged", "tol"
            break
        prev = train_rmse
    final = history[best[1] - 1] if reason == "holdout" else history[-1]
    res["objective"] = final["objective"]
    res["train_rmse"] = final["train_rmse"]
    if held is not None:
        res["holdout_rmse"] = final["holdout_rmse"]
        held_sq = final["holdout_rmse"] ** 2 * held.nnz
        res["rmse_all"] = math.sqrt((final["train_rmse"] ** 2 * by_row.nnz + held_sq) / (by_row.nnz + held.nnz))
    else:
        res["rmse_all"] = final["train_rmse"]
    detail = {"tol": f"training RMSE changed by less than tol = {res['tol']:g} (relative)",
              "holdout": f"held-out RMSE rose at iteration {len(history)}; returning iteration {final['iteration']}",
              "max_iter": None, "diverged": None}[reason]
    if reason == "tol" and final["train_rmse"] == 0.0:
        detail = "exact fit of the training entries"
    res.set_status(status, detail)
    res["stop_reason"] = reason
    res["iterations"] = len(history)
    if reason == "holdout":
        res["returned_iteration"] = final["iteration"]
    res["history"] = history
    res["U"], res["V"] = U, V
    res["_passes"] = passes


# --------------------------------------------------------------------------------------- compile warm

def warm_up(*, solver="exact", init="svd", split=False, holdout=False, early_stop=False) -> None:
    """Compile (or load from the cache) every kernel a run with these options calls, by running the same
    path on a tiny problem with the same dtypes. The CLI times this as the `compile` phase."""
    rng = np.random.default_rng(0)
    m, n, k = 12, 10, 2
    pos = rng.permutation(m * n)[:90]
    rows, cols = pos // n, pos % n
    U, V = rng.standard_normal((m, k)), rng.standard_normal((n, k))
    values = predict(U, V, rows, cols)
    complete(rows, cols, values, (m, n), k, solver=solver, init=init, split=split, max_iter=2,
             holdout=0.2 if holdout or early_stop else 0.0, early_stop=early_stop)
