"""`optsuite solve|generate|check completion`: options and wiring for low-rank matrix completion."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from optsuite.cli import _run

KIND = "completion"
SUMMARY = "low-rank matrix completion: alternating least squares (exact, cg, pcg, sketch per-row solvers)"
METHODS = ("exact", "cg", "pcg", "sketch")


class Solver(str, Enum):
    exact = "exact"
    cg = "cg"
    pcg = "pcg"
    sketch = "sketch"


class Init(str, Enum):
    svd = "svd"
    random = "random"


class Duplicates(str, Enum):
    error = "error"
    mean = "mean"
    last = "last"


class Format(str, Enum):
    csv = "csv"
    mtx = "mtx"
    npz = "npz"


ALG, INP, OUT, STOP, PERF = "Algorithm", "Input", "Output", "Stopping", "Performance"

SOLVE_HELP = """Fill in a partially observed matrix with a rank-k product U Vᵀ, by alternating
minimisation: every iteration solves each column's and then each row's ridge least-squares problem
on its observed entries (Jain, Netrapalli & Sanghavi, STOC 2013), minimising

  sum over observed (i,j) of (M_ij - <u_i, v_j>)^2 + lam (sum_i d_i |u_i|^2 + sum_j d_j |v_j|^2)

with d_i, d_j the observation counts and lam = --reg x RMS of the observed values.

DATA lists the observed entries only: triplet CSV (header row,col,value or i,j,v or user,item,rating;
0-based unless --one-based; '-' reads stdin), Matrix Market coordinate (.mtx), or .npz (row, col,
value, shape). A 0 is an observed value and a NaN is an error: leave missing entries out.

Per-row solvers (--solver): exact (default: the row's Gram matrix and a k x k Cholesky solve; measured
the fastest to convergence at k = 5 and 20, also at condition number 10: at 5000 x 5000, k = 20, it
takes 16 iterations and 1.8 s of CPU where pcg takes 2.2 s and sketch 2.9 s; cg and pcg overtake it
between k = 20 and 50: at k = 50, cg 7.6 s, pcg 9.5 s, exact 11.6 s), cg (warm-started conjugate gradients, --cg-steps iterations; needs 2.5x the
iterations on ill-conditioned matrices), pcg (cg preconditioned by one shared k x k matrix per
half-step: keeps exact's iteration count), sketch (Gu, Song, Yin & Zhang, ICLR 2024: CountSketch of
4k rows, its R factor as preconditioner, --cg-steps preconditioned iterations from the
sketch-and-solve start; the paper's nearly-linear-time step, slower here because a row holds only a
log factor more entries than k, so sketching saves little).

Output: the JSON result on stdout (train and held-out RMSE, objective, status, stop reason,
iterations, history, counters, timings, environment, seed); --out F.npz also saves the factors U, V
(and the result as JSON in `meta`). Exit code 3 if --max-iter stopped the run or it diverged.
"""

SOLVE_EPILOG = """Examples:

  optsuite solve completion examples/completion/digits_observed.csv --rank 10 --out factors.npz

  optsuite solve completion ratings.csv --one-based --rank 20 --reg 0.05 --holdout 0.1 --early-stop

  optsuite solve completion data.mtx --rank 5 --out f.npz --predict query.csv --predictions pred.csv
"""


def solve(
    data: Annotated[str, typer.Argument(metavar="DATA", show_default=False, help=(
        "Observed entries: triplet CSV ('-' = stdin), .mtx (coordinate real/integer) or .npz "
        "(row, col, value, shape)."))],
    rank: Annotated[int, typer.Option("--rank", "--k", min=1, show_default=False, rich_help_panel=ALG,
                                      help="Rank k of the fit U Vᵀ; at most min(m, n).")],
    solver: Annotated[Solver, typer.Option(rich_help_panel=ALG, help="Per-row least-squares solver (see above).")
                      ] = Solver.exact,
    cg_steps: Annotated[int, typer.Option("--cg-steps", min=1, rich_help_panel=ALG, help=(
        "cg, pcg, sketch: iterations per row solve (fewer when the row's residual vanishes)."))] = 3,
    reg: Annotated[float, typer.Option(min=0.0, rich_help_panel=ALG, help=(
        "Ridge weight relative to the RMS of the observed values, times each row's or column's count. "
        "The default is a numerical safeguard that keeps exact recovery exact; noisy data wants more "
        "(pick it by --holdout); rows or columns with fewer than k entries need it."))] = 1e-9,
    init: Annotated[Init, typer.Option(rich_help_panel=ALG, help=(
        "svd: top-k singular vectors of the rescaled observed matrix (JNS13's spectral start; the only "
        "one that recovers near the information limit, about 2x the degrees of freedom); random: seeded "
        "Gaussian factors."))] = Init.svd,
    mu: Annotated[Optional[float], typer.Option(rich_help_panel=ALG, show_default="no clipping", help=(
        "svd start: JNS13's clipping step with this incoherence bound (zero entries of the singular "
        "vectors above 2 mu sqrt(k/m), then re-orthonormalise). mu is rarely known; `generate` prints it."))
                    ] = None,
    split: Annotated[bool, typer.Option("--split", rich_help_panel=ALG, help=(
        "JNS13's sample splitting: a fresh disjoint 1/(2 max_iter + 1) of the entries for every half-step. "
        "It is what the proof needs, and in practice it starves each step of samples: use a small "
        "--max-iter with it."))] = False,
    max_iter: Annotated[int, typer.Option("--max-iter", min=1, rich_help_panel=STOP,
                                          help="Cap on iterations (a V and a U half-step each).")] = 100,
    tol: Annotated[float, typer.Option(min=0.0, rich_help_panel=STOP, help=(
        "Stop when the training RMSE changes by less than this fraction in an iteration."))] = 1e-4,
    holdout: Annotated[float, typer.Option(min=0.0, max=0.99, rich_help_panel=STOP, help=(
        "Keep this fraction of the entries (chosen by --seed) out of training and report their RMSE "
        "every iteration."))] = 0.0,
    early_stop: Annotated[bool, typer.Option("--early-stop", rich_help_panel=STOP, help=(
        "Stop when the held-out RMSE rises, returning the factors with the lowest one (needs --holdout)."))
                          ] = False,
    seed: Annotated[int, typer.Option(min=0, rich_help_panel=ALG,
                                      help="Seed for the start, the hold-out and the sketches.")] = 0,
    shape: Annotated[Optional[tuple[int, int]], typer.Option("--shape", metavar="M N", rich_help_panel=INP,
                                                             show_default="file's, else largest index + 1",
                                                             help="Matrix size.")] = None,
    one_based: Annotated[bool, typer.Option("--one-based", rich_help_panel=INP, help=(
        "CSV indices start at 1 (Matrix Market's always do; .npz's start at 0)."))] = False,
    duplicates: Annotated[Duplicates, typer.Option(rich_help_panel=INP, help=(
        "An entry listed twice: error, mean (average the values) or last (keep the last one)."))
                          ] = Duplicates.error,
    threads: Annotated[Optional[int], typer.Option(min=1, rich_help_panel=PERF, show_default="all cores",
                                                   help="Threads for the parallel kernels.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE", rich_help_panel=OUT, help=(
        "F.npz: the factors U, V and the result as JSON in `meta` (the result still goes to stdout); "
        "F.json: the result instead of stdout."))] = None,
    predict: Annotated[Optional[Path], typer.Option("--predict", metavar="QUERY", rich_help_panel=OUT, help=(
        "Entries to fill in: CSV with row,col columns (same index base as DATA), .mtx or .npz."))] = None,
    predictions: Annotated[Optional[Path], typer.Option("--predictions", metavar="OUT.csv", rich_help_panel=OUT,
                                                        help="Where --predict writes row,col,prediction.")
                           ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", rich_help_panel=OUT,
                                        help="No summary, warnings or progress on stderr.")] = False,
):
    from optsuite.problems import completion as problem_io
    from optsuite.solvers.completion import api
    from optsuite.solvers.errors import ParameterError
    from optsuite.solvers.timing import PhaseTimer

    timer = PhaseTimer()
    _run.check_out(out, (".npz", ".json"))
    if (predict is None) != (predictions is None):
        raise ParameterError("predictions" if predict is not None else "predict",
                             "--predict QUERY and --predictions OUT.csv go together")
    if predictions is not None:
        _run.check_out(predictions, (".csv",))
    if predict is not None and str(predict) == "-" and str(data) == "-":
        raise ParameterError("predict", "DATA is already read from stdin ('-'); give the query as a file")
    _run.refuse_overwriting_input(out, data, predict)
    for path in (out, predictions):
        _check_folder(path)
    if predictions is not None and any(_run.same_file(predictions, p) for p in (data, predict, out) if p is not None):
        from optsuite.solvers.errors import InputError

        raise InputError(predictions, "--predictions would overwrite an input or --out; choose another path")
    with timer.phase("read"):
        problem = problem_io.load(data, shape=shape, one_based=one_based, duplicates=duplicates.value)
        m, n = problem.shape
        if rank > min(m, n):
            raise ParameterError("rank", f"must be at most min(m, n) = {min(m, n)} for this {m} x {n} matrix; "
                                 f"got {rank}")
        query = problem_io.load_query(predict, problem.shape, one_based=one_based) if predict is not None else None
    for message in problem.notes:
        _run.warn(message, quiet)
    _run.configure_threads(threads)
    with timer.phase("compile"):
        api.warm_up(solver=solver.value, init=init.value, split=split, holdout=holdout > 0, early_stop=early_stop)
    with _run.progress_reporter(quiet, "completion") as progress, timer.phase("solve"):
        res = api.complete(problem.rows, problem.cols, problem.values, problem.shape, rank, solver=solver.value,
                           cg_steps=cg_steps, reg=reg, init=init.value, mu=mu, split=split, max_iter=max_iter,
                           tol=tol, holdout=holdout, early_stop=early_stop, seed=seed, progress=progress,
                           check=False)
    for message in res.pop("warnings", []):
        _run.warn(message, quiet)
    U, V = res.pop("U"), res.pop("V")
    result = {"problem": "completion", "input": data, "input_sha256": problem_io.file_sha256(data),
              "format": problem.format, "one_based": one_based, "duplicates": duplicates.value,
              "merged_duplicates": problem.merged, **res}
    if query is not None:
        with timer.phase("predict"):
            values = api.predict(U, V, *query)
            problem_io.write_predictions(predictions, query[0], query[1], values, one_based)
        result["predictions"] = {"path": str(predictions), "count": int(values.shape[0])}
    _emit(result, res.pop("timings"), res.pop("cpu_timings"), timer, out, U, V)
    _run.info(_summary(result), quiet)
    _run.exit_for_status(result["status"])


def _check_folder(path) -> None:
    """Refuse an output path in a missing folder before the solve, not after it."""
    if path is not None and str(path) != "-" and not Path(path).resolve().parent.is_dir():
        from optsuite.solvers.errors import InputError

        raise InputError(path, f"cannot write: folder '{Path(path).parent}' does not exist")


def _emit(result, solver_timings, solver_cpu, timer, out, U, V):
    """Attach timings (wall seconds; CPU seconds under cpu_timings) and the environment, then write the
    factors (.npz) and the result (stdout, or --out F.json)."""
    import time

    from optsuite.problems import completion as problem_io
    from optsuite.problems import io
    from optsuite.solvers.environment import environment, peak_rss_mib
    from optsuite.solvers.result import jsonable

    wall, _ = timer.report()
    result["timings"] = {**{p: wall[p] for p in ("read", "compile") if p in wall}, **solver_timings,
                         "solve": wall["solve"], **({"predict": wall["predict"]} if "predict" in wall else {})}
    result["environment"] = environment()
    w0 = time.perf_counter()
    suffix = Path(out).suffix.lower() if out is not None else ".json"
    if suffix == ".npz":
        problem_io.write_factors(out, U, V, result)
    result["timings"]["write"] = round(time.perf_counter() - w0, 6)  # the factors; the JSON below is not timed
    wall, cpu = timer.report()
    result["timings"]["total"] = wall["total"]
    result["cpu_timings"] = {**{p: cpu[p] for p in ("read", "compile") if p in cpu}, **solver_cpu,
                             **{p: cpu[p] for p in ("solve", "predict", "total") if p in cpu}}
    result["peak_rss_mib"] = peak_rss_mib()
    io.write_json(jsonable(result), out if out is not None and suffix == ".json" else "-")


def _summary(r) -> str:
    t = r["timings"]
    held = f", held-out RMSE {r['holdout_rmse']:.6g}" if "holdout_rmse" in r else ""
    return (f"completion {r['solver']}: {r['m']} x {r['n']}, rank {r['rank']}, {r['observed']} observed; train RMSE "
            f"{r['train_rmse']:.6g}{held}; {r['status']} ({r['stop_reason']}) after {r['iterations']} iterations; "
            f"solve {t['solve']:.3f} s, compile {t['compile']:.3f} s, total {t['total']:.3f} s")


GENERATE_EPILOG = """Examples:

  optsuite generate completion --m 1000 --n 1000 --rank 5 --c 2 --seed 1 --out toy

  optsuite generate completion --m 5000 --n 4000 --rank 20 --c 2 --noise 0.1 --kappa 10 --format npz --out big
"""


def generate(
    m: Annotated[int, typer.Option("--m", min=1, help="Rows.")] = 1000,
    n: Annotated[int, typer.Option("--n", min=1, help="Columns.")] = 1000,
    rank: Annotated[int, typer.Option("--rank", "--k", min=1, help="Rank of the true matrix.")] = 5,
    c: Annotated[float, typer.Option("--c", min=0.0, help=(
        "Sampling constant: |Omega| = c N k ln N observed entries, N = max(m, n) (2 recovers reliably)."))] = 2.0,
    noise: Annotated[float, typer.Option(min=0.0, help=(
        "Gaussian noise standard deviation, relative to the RMS of the entries (1).") )] = 0.0,
    kappa: Annotated[float, typer.Option(min=1.0, help=(
        "Condition number: 1 = Gaussian factors; > 1 = singular values from 1 down to 1/kappa."))] = 1.0,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    out: Annotated[str, typer.Option("--out", "-o", metavar="PREFIX", show_default=False, help=(
        "Writes PREFIX.<format> (observed), PREFIX.test.<format> (held-out entries) and PREFIX.truth.npz "
        "(U, V with M = U Vᵀ)."))] = ...,
    file_format: Annotated[Format, typer.Option("--format", help=(
        "csv (0-based triplets with a '# shape' comment), mtx or npz (fastest to read and write)."))
                           ] = Format.csv,
):
    """Write an incoherent rank-k matrix with unit-RMS entries, |Omega| = c N k ln N of its entries observed
    uniformly at random, a held-out test set (min(|Omega|/10, 200000) other entries, at least 1 while any
    remain) and the truth. Prints a
    JSON summary (files, sizes, incoherence mu of both factors, degrees-of-freedom ratio)."""
    from optsuite.problems import completion as problem_io
    from optsuite.problems import io

    params = {"m": m, "n": n, "rank": rank, "c": c, "noise": noise, "kappa": kappa}
    d = problem_io.generate(m, n, rank, c, noise=noise, kappa=kappa, seed=seed)
    paths = problem_io.write_generated(out, d, file_format.value, seed, params)
    dof = (m + n - rank) * rank
    summary = {"problem": "completion", **params, "seed": seed, "observed": int(d["values"].shape[0]),
               "test": int(d["test_values"].shape[0]), "dof": dof,
               "observed_per_dof": round(d["values"].shape[0] / dof, 4), "mu_u": d["mu_u"], "mu_v": d["mu_v"],
               "files": {"observed": paths[0], "test": paths[1], "truth": paths[2]}}
    io.write_json(summary, "-")


CHECK_EPILOG = """Examples:

  optsuite check completion toy.test.csv factors.npz --truth toy.truth.npz

  optsuite check completion ratings.csv factors.npz --one-based
"""


def check(
    data: Annotated[str, typer.Argument(metavar="DATA", show_default=False,
                                        help="Triplet file (CSV, .mtx, .npz) to evaluate the factors on.")],
    factors: Annotated[Path, typer.Argument(metavar="FACTORS", show_default=False,
                                            help="Factors .npz written by `optsuite solve completion --out`.")],
    truth: Annotated[Optional[Path], typer.Option(metavar="TRUTH.npz", help=(
        "Also report |U Vᵀ - M|_F / |M|_F on the full matrix, M = U Vᵀ of this truth file."))] = None,
    shape: Annotated[Optional[tuple[int, int]], typer.Option("--shape", metavar="M N",
                                                             help="Matrix size of DATA.")] = None,
    one_based: Annotated[Optional[bool], typer.Option("--one-based/--zero-based", show_default="the solve's",
                                                      help="CSV index base.")] = None,
    duplicates: Annotated[Optional[Duplicates], typer.Option(show_default="the solve's", help=(
        "An entry listed twice: error, mean or last."))] = None,
    rtol: Annotated[float, typer.Option(min=0.0, help="Relative tolerance for the reported RMSE.")] = 1e-6,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
):
    """Evaluate factors on a triplet file without the solver: RMSE, MAE, largest error and relative error
    |r| / |values|, recomputed from U and V. Checks that the factors are finite and the entries fit their
    shape; when DATA is the file the factors were fitted on (same SHA-256), that the RMSE the solve reported
    matches. Prints a JSON report; exit code 3 if a check fails."""
    import math

    import numpy as np

    from optsuite.problems import completion as problem_io
    from optsuite.solvers.completion import api

    U, V, meta = problem_io.load_factors(factors)
    base = one_based if one_based is not None else bool(meta.get("one_based", False))
    policy = duplicates.value if duplicates is not None else meta.get("duplicates", "error")
    problem = problem_io.load(data, shape=shape, one_based=base, duplicates=policy)
    checks = []

    def record(name, ok, detail=""):
        checks.append({"check": name, "ok": bool(ok), "detail": detail})

    finite = bool(np.isfinite(U).all() and np.isfinite(V).all())
    record("factors finite", finite)
    fits = bool(problem.rows.max() < U.shape[0] and problem.cols.max() < V.shape[0])
    record("entries within the factors' shape", fits,
           f"factors {U.shape[0]} x {V.shape[0]}, entries up to ({int(problem.rows.max())}, "
           f"{int(problem.cols.max())}) (0-based)")
    report = {"problem": "completion", "input": data, "factors": str(factors), "entries": problem.nnz,
              "rank": int(U.shape[1])}
    if finite and fits:
        r = problem.values - api.predict(U, V, problem.rows, problem.cols)
        report["rmse"] = math.sqrt(float(np.dot(r, r)) / r.shape[0])
        report["mae"] = float(np.abs(r).mean())
        report["max_abs_error"] = float(np.abs(r).max())
        norm = float(np.linalg.norm(problem.values))
        report["relative_error"] = float(np.linalg.norm(r)) / norm if norm > 0 else None
        same_file = meta.get("input_sha256") is not None and meta.get("input_sha256") == problem_io.file_sha256(data)
        if same_file and meta.get("rmse_all") is not None:
            reported = meta["rmse_all"]
            diff = abs(reported - report["rmse"]) / max(report["rmse"], 1e-300)
            record("reported RMSE", diff <= rtol or abs(reported - report["rmse"]) <= 1e-12,
                   f"reported {reported!r}, recomputed {report['rmse']!r}, relative difference {diff:.3g} "
                   f"(tolerance {rtol:g})")
    if truth is not None:
        Ut, Vt = problem_io.load_truth(truth)
        ok = Ut.shape[0] == U.shape[0] and Vt.shape[0] == V.shape[0]
        record("truth has the factors' shape", ok, f"truth {Ut.shape[0]} x {Vt.shape[0]}, factors "
               f"{U.shape[0]} x {V.shape[0]}")
        if ok and finite:
            report["relative_error_full"] = api.relative_error(U, V, Ut, Vt)
    summary = f"RMSE {report.get('rmse', float('nan')):.6g} on {problem.nnz} entries"
    if "relative_error_full" in report:
        summary += f"; full-matrix relative error {report['relative_error_full']:.3g}"
    _run.report_checks(report, checks, quiet, subject="factors", summary=summary)


def register(solve_app, generate_app, check_app) -> None:
    solve_app.command("completion", help=_run.help_text(SOLVE_HELP), epilog=SOLVE_EPILOG)(solve)
    generate_app.command("completion", help=_run.help_text(generate.__doc__), epilog=GENERATE_EPILOG)(generate)
    check_app.command("completion", help=_run.help_text(check.__doc__), epilog=CHECK_EPILOG)(check)


def warm_cache():
    """Compile every completion kernel; yields a label per step."""
    from optsuite.solvers.completion import api

    for solver in METHODS:
        api.warm_up(solver=solver, init="svd", holdout=True)
        yield solver
