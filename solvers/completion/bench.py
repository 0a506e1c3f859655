"""Matrix-completion cases of `optsuite bench`.

Problems come from `problems.completion.generate` (incoherent rank-k, unit-RMS entries, |Omega| =
c n k ln n observed uniformly, seeded). Every case reports, for our solver, the full-matrix relative
error (`objective`), the iterations, the CPU time of one *residual pass* (<u_i, v_j> for every observed
entry, timed in the same run) and each iteration's cost as a multiple of it (`passes_per_iteration`).

Baselines written here, clearly labelled (there is no maintained peer on PyPI: fancyimpute 0.7.0 breaks
with scikit-learn >= 1.8):
- "numpy ALS (textbook)": alternating ridge least squares with a Python loop over rows, numpy solves,
  random start, the same stopping rule;
- "dense SoftImpute (fancyimpute's algorithm)": Mazumder, Hastie & Tibshirani's iteration as fancyimpute
  runs it by default: zero-filled dense matrix, full SVD per iteration, singular values shrunk by
  max singular value / 50, stop when the missing entries change by < 1e-3 (relative), 100 iterations.
  Dense m x n copies: never built at m = n = 20000 (3.2 GB each); at 5000 a full SVD takes about a
  minute, so there it is capped at a few iterations and its time is a lower bound.
"""

from __future__ import annotations

import math
import time

import numpy as np

from optsuite.problems.completion import generate

from ..bench import Case, Runner
from . import api
from ._views import Compressed, residual_sq


# ------------------------------------------------------------------------------------------- baselines

def numpy_als(rows, cols, values, shape, rank, *, reg=1e-9, tol=1e-4, max_iter=100, seed=0):
    """Textbook alternating least squares in numpy: per row, gather the opposite factor's rows and solve
    the ridge normal equations with np.linalg.solve. Returns (U, V, iterations)."""
    import scipy.sparse as sp

    m, n = shape
    by_row = sp.csr_matrix((values, (rows, cols)), shape=shape)
    by_col = by_row.tocsc()
    rms = math.sqrt(float(np.mean(values ** 2)))
    lam = reg * rms
    rng = np.random.default_rng((seed, 2))  # not the generator's stream: that would start at the truth
    sigma = math.sqrt(rms / math.sqrt(rank))
    U, V = rng.standard_normal((m, rank)) * sigma, rng.standard_normal((n, rank)) * sigma
    eye = np.eye(rank)

    def solve(indptr, indices, data, F, X):
        """Solve every row of X; return the squared residuals after the update (from the same blocks)."""
        sq = 0.0
        for i in range(X.shape[0]):
            idx = indices[indptr[i]:indptr[i + 1]]
            if idx.size:
                B, y = F[idx], data[indptr[i]:indptr[i + 1]]
                X[i] = np.linalg.solve(B.T @ B + lam * idx.size * eye, B.T @ y)
                r = y - B @ X[i]
                sq += float(r @ r)
        return sq

    prev = None
    for it in range(1, max_iter + 1):
        solve(by_col.indptr, by_col.indices, by_col.data, U, V)
        rmse = math.sqrt(solve(by_row.indptr, by_row.indices, by_row.data, V, U) / values.shape[0])
        if prev is not None and abs(prev - rmse) <= tol * prev:
            break
        prev = rmse
    return U, V, it


def dense_softimpute(rows, cols, values, shape, *, max_iters=100, threshold=1e-3):
    """fancyimpute 0.7's SoftImpute with its defaults (max_rank=None: a full SVD every iteration),
    re-written here. Returns (the completed dense matrix, iterations)."""
    X = np.zeros(shape)
    X[rows, cols] = values
    missing = np.ones(shape, bool)
    missing[rows, cols] = False
    shrinkage = float(np.linalg.norm(X, 2)) / 50.0
    for it in range(1, max_iters + 1):
        U, s, Vt = np.linalg.svd(X, full_matrices=False)
        s = np.maximum(s - shrinkage, 0.0)
        keep = int((s > 0).sum())
        X_new = (U[:, :keep] * s[:keep]) @ Vt[:keep]
        old = X[missing]
        change = X_new[missing] - old
        old_norm = math.sqrt(float(np.dot(old, old)))
        converged = old_norm > 0 and math.sqrt(float(np.dot(change, change))) / old_norm < threshold
        X[missing] = X_new[missing]
        if converged:
            break
    return X, it


# --------------------------------------------------------------------------------------------- helpers

def _problem(n, k, c, noise=0.0, kappa=1.0, seed=0):
    def setup():
        d = generate(n, n, k, c, noise=noise, kappa=kappa, seed=seed)
        d["view"] = Compressed(d["rows"], d["cols"], d["values"], n)
        return d
    return setup


def _pass_seconds(d, U, V, repeats=5) -> float:
    """Median CPU seconds of one residual pass over the observed entries (same run, same factors)."""
    times = []
    for _ in range(repeats):
        c0 = time.process_time()
        residual_sq(d["view"], U, V)
        times.append(time.process_time() - c0)
    return float(np.median(times))


def _ours(**kwargs):
    def run(d):
        r = api.complete(d["rows"], d["cols"], d["values"], d["shape"], d["U"].shape[1], check=False, **kwargs)
        out = {"objective": api.relative_error(r.U, r.V, d["U"], d["V"]), "status": r.status,
               "iterations": r.iterations, "train_rmse": r.train_rmse}
        one = _pass_seconds(d, r.U, r.V)
        out["residual_pass_s"] = one
        out["passes_per_iteration"] = round(r.cpu_timings["iterations"] / r.iterations / one, 2)
        out["init_s"] = r.cpu_timings["init"]
        if "test_rows" in d:
            out["test_rmse"] = api.rmse(r.U, r.V, d["test_rows"], d["test_cols"], d["test_values"])
        return out
    return run


def _numpy_als(d):
    U, V, it = numpy_als(d["rows"], d["cols"], d["values"], d["shape"], d["U"].shape[1])
    return {"objective": api.relative_error(U, V, d["U"], d["V"]), "iterations": it}


def _softimpute(max_iters):
    def run(d):
        X, it = dense_softimpute(d["rows"], d["cols"], d["values"], d["shape"], max_iters=max_iters)
        M = d["U"] @ d["V"].T
        return {"objective": float(np.linalg.norm(X - M) / np.linalg.norm(M)), "iterations": it}
    return run


# ----------------------------------------------------------------------------------------------- cases

def _recovery_case(n, k, numpy=True, softimpute_iters=None, repeats=None):
    """Noiseless recovery at |Omega| = 2 n k ln n. softimpute_iters: None (no dense baseline), 100
    (fancyimpute's default cap) or fewer (a lower bound on its time)."""
    runners = []
    if numpy:
        runners.append(Runner("numpy ALS (textbook)", _numpy_als))
    if softimpute_iters is not None:
        label = "dense SoftImpute (fancyimpute's algorithm)" if softimpute_iters >= 100 else \
            f"dense SoftImpute (fancyimpute's algorithm), capped at {softimpute_iters} iterations: a lower bound"
        runners.append(Runner(label, _softimpute(softimpute_iters)))
    if runners:
        runners.append(Runner("optsuite exact, random start", _ours(init="random")))
    note = ("objective = |U Vᵀ - M|_F / |M|_F on the full matrix (target <= 1e-6); passes_per_iteration = CPU of "
            "an iteration / CPU of one residual pass, same run")
    if softimpute_iters is None:
        note += "; no dense baseline (each dense m x n copy would take 3.2 GB at m = n = 20000)"
    return Case(
        name=f"completion/recovery/n{n}-k{k}",
        params={"m": n, "n": n, "rank": k, "c": 2, "observed": "2 n k ln n", "noise": 0, "seed": 0},
        setup=_problem(n, k, 2.0), ours=Runner("optsuite (defaults: exact, svd start)", _ours()), peers=runners,
        ratio_vs="numpy ALS (textbook)" if numpy else None, same_answer_rtol=None, repeats=repeats, note=note)


def _noisy_case(n, k, sigma=0.1):
    """Held-out RMSE against the noisy test values, ours vs the best rank-k fit of the whole noisy matrix
    (an oracle that sees every entry; dense, so n <= 5000)."""
    def oracle(d):
        rng = np.random.default_rng(99)
        D = d["U"] @ d["V"].T + sigma * rng.standard_normal(d["shape"])
        D[d["rows"], d["cols"]] = d["values"]
        D[d["test_rows"], d["test_cols"]] = d["test_values"]
        if n <= 2000:
            left, s, right = np.linalg.svd(D, full_matrices=False)
        else:
            from scipy.sparse.linalg import svds

            left, s, right = svds(D, k=k, v0=np.ones(n))
        order = np.argsort(s)[::-1][:k]
        fit_u = left[:, order] * s[order]
        fit_v = right[order].T
        return {"objective": api.relative_error(fit_u, fit_v, d["U"], d["V"]),
                "test_rmse": api.rmse(fit_u, fit_v, d["test_rows"], d["test_cols"], d["test_values"])}

    return Case(
        name=f"completion/noisy/n{n}-k{k}-sigma{sigma}",
        params={"m": n, "n": n, "rank": k, "c": 2, "noise": sigma, "seed": 0},
        setup=_problem(n, k, 2.0, noise=sigma), ours=Runner("optsuite (defaults)", _ours()),
        peers=[Runner("best rank-k fit of the noisy matrix (oracle, sees every entry)", oracle)],
        ratio_vs=None, same_answer_rtol=None, repeats=1,
        note="test_rmse = RMSE on held-out noisy entries (target: ours <= 1.2 x the oracle's); objective = "
             f"full-matrix error vs the noise-free truth (oracle sigma sqrt(dof/|Omega|) = "
             f"{sigma * math.sqrt((2 * n - k) * k / (2 * n * k * math.log(n))):.4f})")


def _solvers_case(n, k, kappa=1.0, c=2.0, repeats=None):
    peers = [Runner(f"optsuite {s}", _ours(solver=s)) for s in ("cg", "pcg", "sketch")]
    return Case(
        name=f"completion/solvers/n{n}-k{k}-kappa{kappa:g}" + (f"-c{c:g}" if c != 2.0 else ""),
        params={"m": n, "n": n, "rank": k, "c": c, "kappa": kappa, "cg_steps": 3, "sketch_size": 4 * k},
        setup=_problem(n, k, c, kappa=kappa), ours=Runner("optsuite exact", _ours()), peers=peers,
        ratio_vs="optsuite sketch", same_answer_rtol=None, repeats=repeats,
        note="per-row solvers at equal stopping rule: CPU to convergence, iterations, passes per iteration; "
             "the default is the fastest")


def _split_case(n, k):
    return Case(
        name=f"completion/split/n{n}-k{k}",
        params={"m": n, "n": n, "rank": k, "c": 2, "max_iter": 10},
        setup=_problem(n, k, 2.0), ours=Runner("optsuite, all entries every step", _ours(max_iter=10)),
        peers=[Runner("optsuite --split (JNS13 sample splitting)", _ours(split=True, max_iter=10, tol=0.0))],
        ratio_vs=None, same_answer_rtol=None, repeats=1,
        note="JNS13's 2T + 1 disjoint parts (T = 10): each half-step sees 1/21 of the entries")


def _start_case(n=2000, k=10, c=0.5):
    return Case(
        name=f"completion/start/n{n}-k{k}-c{c:g}",
        params={"m": n, "n": n, "rank": k, "c": c, "observed_per_dof": round(c * n * k * math.log(n) / ((2 * n - k) * k), 2)},
        setup=_problem(n, k, c), ours=Runner("optsuite --init svd", _ours(max_iter=200)),
        peers=[Runner("optsuite --init random", _ours(init="random", max_iter=200))],
        ratio_vs=None, same_answer_rtol=None, repeats=1,
        note="near the information limit (about 2x the degrees of freedom): only the spectral start recovers")


def cases(quick: bool) -> list[Case]:
    if quick:
        return [_recovery_case(500, 5, repeats=3)]
    return [
        _recovery_case(1000, 5, softimpute_iters=100),
        _recovery_case(1000, 20, softimpute_iters=100, repeats=3),
        _recovery_case(5000, 5, softimpute_iters=2, repeats=1),
        _recovery_case(5000, 20, softimpute_iters=2, repeats=1),
        _recovery_case(20000, 5, numpy=False, repeats=1),
        _recovery_case(20000, 20, numpy=False, repeats=1),
        _noisy_case(1000, 5),
        _noisy_case(1000, 20),
        _noisy_case(5000, 20),
        _solvers_case(5000, 5, repeats=3),
        _solvers_case(5000, 20, repeats=3),
        _solvers_case(5000, 20, kappa=10.0, repeats=3),
        _solvers_case(5000, 50, c=1.0, repeats=1),
        _split_case(2000, 5),
        _start_case(),
    ]
