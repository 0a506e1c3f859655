"""`optsuite solve|generate|check sampling`: options and wiring for l_p row sampling (coresets for l_p
regression and subspace embeddings)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from optsuite.cli import _run

KIND = "sampling"
SUMMARY = ("l_p row sampling: sensitivities, Lewis weights, leverage; weighted samples and l_p regression "
           "coresets (Woodruff & Yasuda 2023)")
METHODS = ("sensitivity", "lewis", "leverage", "root-leverage", "sens+lev", "uniform")


class Method(str, Enum):
    sensitivity = "sensitivity"
    lewis = "lewis"
    leverage = "leverage"
    root_leverage = "root-leverage"
    sens_lev = "sens+lev"
    uniform = "uniform"


class Sampling(str, Enum):
    poisson = "poisson"
    iid = "iid"


class Format(str, Enum):
    csv = "csv"
    npy = "npy"


ALG, INP, OUT, PERF = "Algorithm", "Input", "Output", "Performance"

SOLVE_HELP = (
    'Pick a weighted sample of about --size rows of the matrix A (of [A, b] with --target) on which '
    '||Ax||_p (||Ax - b||_p) is preserved for every x: a coreset for l_p regression. Rows are kept with '
    'probability proportional to an importance score and weighted by 1 / probability (the weight '
    'multiplies |a_i x - b_i|^p).\n\n'
    'Scores (--method): sensitivity (the l_p sensitivities of Woodruff & Yasuda 2023, estimated from the '
    'Lewis directions and clipped into their proven bounds; --exact solves one convex program per row), '
    'lewis (l_p Lewis weights, the default: as reliable as sensitivities on every test design, one pass '
    'cheaper), leverage (l_2; can fail for p = 1), root-leverage (tau^(p/2)), sens+lev (s/S + tau/d, the '
    'worst-case guarantee of Munteanu & Omlor for p <= 2), uniform (a baseline: fails on heavy-tailed '
    'rows). A size of about 20-100 times the number of columns is typical.\n\n'
    '--solve solves min ||Ax - b||_p on the weighted sample (dual LP with HiGHS for p = 1, Newton '
    "otherwise); --evaluate also solves it on all rows and reports the ratio of the two solutions' "
    "residual norms on the full data, and an estimate of the sample's subspace-embedding distortion.\n\n"
    'Output: JSON on stdout (indices, weights, realised_size, n_deterministic, total_sensitivity, lewis, '
    'regression, evaluation, timings, ...); --out FILE.json|.csv|.npz writes a file instead (.csv: '
    'index,weight). Exit code 3 if the Lewis iteration or a solver stopped before converging (the result '
    'is still written).'
)

SOLVE_EPILOG = """Examples:

  optsuite solve sampling examples/sampling/diabetes_A.csv --target examples/sampling/diabetes_b.csv --p 1 --size 100 --solve --evaluate

  optsuite solve sampling A.npy --p 1.5 --size 1000 --method sensitivity --out sample.csv

  optsuite solve sampling A.csv --target b.csv --p 3 --size 500 --sampling iid --seed 7 --solve
"""


def solve(
    input: Annotated[str, typer.Argument(metavar="INPUT", show_default=False, help=(
        "The matrix A, one row per line: CSV (with or without header; '-' reads stdin), .npy, or .npz "
        "(array A or X)."))],
    p: Annotated[float, typer.Option("--p", min=1.0, show_default=False, rich_help_panel=ALG,
                                     help="The l_p norm to preserve, p >= 1 (1: least absolute deviations, "
                                     "2: least squares).")],
    size: Annotated[float, typer.Option("--size", min=1.0, show_default=False, rich_help_panel=ALG,
                                        help="Expected sample size (poisson), or number of draws (iid).")],
    target: Annotated[Optional[Path], typer.Option("--target", metavar="FILE", rich_help_panel=INP,
                                                   help="The regression target b, one value per row of A "
                                                   "(CSV column, .npy, or .npz array b); scores are then "
                                                   "for [A, b].")] = None,
    method: Annotated[Method, typer.Option(rich_help_panel=ALG, help="Importance scores (see above).")] = Method.lewis,
    exact: Annotated[bool, typer.Option("--exact", rich_help_panel=ALG,
                                        help="sensitivity, sens+lev: exact sensitivities, one convex program "
                                        "per row (n <= 5000; minutes for n in the thousands).")] = False,
    sampling: Annotated[Sampling, typer.Option(rich_help_panel=ALG, help=(
        "poisson: keep row i with probability min(1, c q_i), c set so the expected size is --size, weight "
        "1/probability; iid: --size draws with replacement, duplicates merged."))] = Sampling.poisson,
    solve_: Annotated[bool, typer.Option("--solve", rich_help_panel=ALG,
                                         help="Solve min ||Ax - b||_p on the weighted sample (needs "
                                         "--target).")] = False,
    evaluate: Annotated[bool, typer.Option("--evaluate", rich_help_panel=ALG,
                                           help="Also solve on all rows (ratio of full-data residual norms) "
                                           "and estimate the subspace-embedding distortion.")] = False,
    seed: Annotated[int, typer.Option(min=0, rich_help_panel=ALG,
                                      help="Seed for every random choice: same seed, same sample.")] = 0,
    tol: Annotated[float, typer.Option(min=0.0, rich_help_panel=ALG,
                                       help="Lewis weights: stop when no weight changes by more than this "
                                       "factor (max |log change|).")] = 1e-4,
    max_iter: Annotated[int, typer.Option("--max-iter", min=1, rich_help_panel=ALG,
                                          help="Lewis weights: iteration cap.")] = 100,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", show_default="detect",
                                                   rich_help_panel=INP,
                                                   help="Whether the CSV's first line names the columns.")] = None,
    threads: Annotated[Optional[int], typer.Option(min=1, rich_help_panel=PERF, show_default="all cores",
                                                   help="Threads of the parallel kernels (dense algebra runs on one "
                                                   "BLAS thread: its matrices are thin or d x d).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE", rich_help_panel=OUT,
                                                help="Write here instead of stdout: .json (result), .csv "
                                                "(index,weight per kept row), .npz (indices, weights, x, "
                                                "meta).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", rich_help_panel=OUT,
                                        help="No summary, warnings or progress on stderr.")] = False,
):
    from optsuite.problems import sampling as problem_io
    from optsuite.solvers.sampling import api
    from optsuite.solvers.timing import PhaseTimer

    timer = PhaseTimer()
    _run.check_out(out, (".json", ".csv", ".npz"))
    _run.refuse_overwriting_input(out, input, target)
    api.check_parameters(p=p, size=size, method=method.value, exact=exact, sampling=sampling.value, tol=tol,
                         max_iter=max_iter, solve=solve_, has_target=target is not None)
    with timer.phase("read"):
        problem = problem_io.load(input, target, header=header)
    _run.configure_threads(threads)
    with timer.phase("compile"):
        api.warm_up()
    with _run.progress_reporter(quiet, method.value) as progress, timer.phase("solve"):
        res = api.row_sample(problem.A, p, size, target=problem.b, method=method.value, exact=exact,
                             sampling=sampling.value, seed=seed, tol=tol, max_iter=max_iter, solve=solve_,
                             evaluate=evaluate, progress=progress)
    result = {"problem": "sampling", "input": input, "target": None if target is None else str(target), **res}
    arrays = {"indices": result["indices"], "weights": result["weights"]}
    if "regression" in result:
        arrays["x"] = result["regression"]["x"]
    _run.finish(result, timer, out, solver_timings=result.pop("timings"),
                csv_text=lambda: problem_io.sample_csv(result["indices"], result["weights"]), npz_arrays=arrays)
    _run.info(_summary(result), quiet)
    _run.exit_for_status(result["status"])


def _summary(r) -> str:
    parts = [f"sampling {r['method']} p={r['p']:g}: {r['realised_size']} of {r['n']} rows "
             f"({r['n_deterministic']} certain)"]
    if r.get("total_sensitivity") is not None:
        parts.append(f"total sensitivity ~{r['total_sensitivity']:.4g}")
    if "lewis" in r:
        parts.append(f"Lewis {r['lewis']['iterations']} iterations")
    if "regression" in r:
        parts.append(f"||Ax-b||_p = {r['regression']['norm_full']:.6g}")
    ev = r.get("evaluation", {})
    if "ratio" in ev:
        parts.append(f"ratio to the full optimum {ev['ratio']:.5f}")
    if "distortion" in ev:
        parts.append(f"distortion >= {ev['distortion']['max']:.3f}")
    t = r["timings"]
    parts.append(f"{r['status']}; solve {t['solve']:.3f} s, total {t['total']:.3f} s")
    return ", ".join(parts)


GENERATE_EPILOG = """Examples:

  optsuite generate sampling --n 100000 --d 10 --heavy-tail --out data

  optsuite generate sampling --n 2000 --d 5 --outliers 0.05 --seed 3 --out data.npz
"""


def generate(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR|FILE.npz", show_default=False,
                                      help="A folder (created if needed) for A, b and x_true (one file each, "
                                      "see --format), or one .npz file with arrays A, b, x_true.")],
    n: Annotated[int, typer.Option("--n", min=2, help="Rows.")] = 10000,
    d: Annotated[int, typer.Option("--d", min=1, help="Columns.")] = 10,
    heavy_tail: Annotated[bool, typer.Option("--heavy-tail/--no-heavy-tail",
                                             help="Scale the bulk rows by Lomax(1.5) + 1: heavy-tailed row "
                                             "norms.")] = False,
    outliers: Annotated[float, typer.Option(min=0.0, max=1.0, help="Fraction of rows whose noise is scaled "
                                            "by 50 (gross outliers in b).")] = 0.01,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    format: Annotated[Format, typer.Option("--format", help="File type in a folder --out.")] = Format.csv,
):
    """Write a regression design where uniform row sampling fails: Gaussian bulk rows (heavy-tailed row
    norms with --heavy-tail), rare columns that only a few planted high-leverage rows touch, Laplace
    noise with gross outliers. Prints a JSON summary (files, planted rows, true coefficients)."""
    from optsuite.problems import io
    from optsuite.problems import sampling as problem_io
    from optsuite.solvers.errors import InputError

    g = problem_io.generate(n, d, heavy_tail=heavy_tail, outliers=outliers, seed=seed)
    if Path(out).suffix.lower() == ".npz":
        io.write_npz(out, A=g["A"], b=g["b"], x_true=g["x_true"])
        files = {"A": str(out), "b": str(out), "x_true": str(out)}
    else:
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise InputError(out, "exists and is not a folder; --out takes a folder or a .npz file")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(out, f"cannot create the folder: {e.strerror}") from None
        ext = "." + format.value
        files = {name: str(folder / f"{name}{ext}") for name in ("A", "b", "x_true")}
        for name, path in files.items():
            arr = g[name]
            if ext == ".npy":
                io.write_npy(path, arr)
            elif arr.ndim == 2:
                io.write_text("\n".join(",".join(repr(float(v)) for v in row) for row in arr) + "\n", path)
            else:
                io.write_text("\n".join(repr(float(v)) for v in arr) + "\n", path)
    io.write_json({"problem": "sampling", "n": n, "d": d, "heavy_tail": heavy_tail, "outliers": outliers,
                   "seed": seed, "files": files, "planted_rows": g["planted"].tolist(),
                   "rare_columns": g["rare_columns"], "x_true": g["x_true"].tolist()}, "-")


CHECK_EPILOG = """Examples:

  optsuite solve sampling A.csv --target b.csv --p 1 --size 200 --solve --out s.json && optsuite check sampling A.csv s.json --target b.csv

  optsuite check sampling A.npy sample.json
"""


def check(
    input: Annotated[str, typer.Argument(metavar="INPUT", show_default=False,
                                         help="The matrix A the sample was drawn from.")],
    solution: Annotated[Path, typer.Argument(metavar="SOLUTION", show_default=False,
                                             help="Sample JSON written by `optsuite solve sampling`.")],
    target: Annotated[Optional[Path], typer.Option("--target", metavar="FILE",
                                                   help="The target b, to recheck the regression.")] = None,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", show_default="detect",
                                                   help="Whether the CSV's first line names the columns.")] = None,
    rtol: Annotated[float, typer.Option(min=0, help="Relative tolerance for recomputed objectives.")] = 1e-9,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
):
    """Check a sample: indices distinct, increasing and in range, weights finite and positive (at least 1
    for a poisson sample), sizes as reported; with --target and a regression, recompute the sample and
    full-data objectives of x. Prints a JSON report; exit code 3 if a check fails."""
    import numpy as np

    from optsuite.problems import sampling as problem_io
    from optsuite.solvers.sampling.regression import lp_loss

    sol = problem_io.load_solution(solution)
    problem = problem_io.load(input, target, header=header)
    n = problem.n
    idx, wts = sol["indices"], sol["weights"]
    checks = []

    def record(name, ok, detail=""):
        checks.append({"check": name, "ok": bool(ok), "detail": detail})

    if "n" in sol:
        record("rows match", sol["n"] == n, f"solution for n = {sol['n']}, INPUT has {n} rows")
    in_range = bool(((idx >= 0) & (idx < n)).all())
    record("indices in range", in_range, f"{idx.size} indices, rows 0..{n - 1}")
    record("indices distinct and increasing", bool((np.diff(idx) > 0).all()))
    record("one weight per index", idx.size == wts.size, f"{idx.size} indices, {wts.size} weights")
    floor = 1.0 - 1e-12 if sol.get("sampling") == "poisson" else 0.0
    record("weights finite and positive" + (" (>= 1 for poisson)" if floor else ""),
           bool(np.isfinite(wts).all() and (wts > 0).all() and (wts >= floor).all()))
    if "realised_size" in sol:
        record("realised size", sol["realised_size"] == idx.size, f"reported {sol['realised_size']}, {idx.size} rows")
    report = {"problem": "sampling", "input": input, "solution": str(solution)}
    reg = sol.get("regression")
    if problem.b is not None and isinstance(reg, dict) and reg.get("x") is not None and in_range and idx.size == wts.size:
        x, p = reg["x"], float(sol["p"])
        if x.size != problem.A.shape[1]:
            record("coefficients", False, f"{x.size} coefficients for {problem.A.shape[1]} columns")
        else:
            full = lp_loss(problem.A, problem.b, x, p)
            samp = lp_loss(problem.A[idx], problem.b[idx], x, p, wts)
            report["loss_full"], report["objective_sample"] = full, samp
            for name, mine, theirs in (("full-data loss", full, reg.get("loss_full")),
                                       ("sample objective", samp, reg.get("objective_sample"))):
                if theirs is not None:
                    diff = abs(mine - theirs) / max(abs(mine), 1e-300)
                    record(name, diff <= rtol, f"reported {theirs!r}, recomputed {mine!r}, relative difference "
                           f"{diff:.3g} (tolerance {rtol:g})")
    _run.report_checks(report, checks, quiet, subject="sample")


def register(solve_app, generate_app, check_app) -> None:
    solve_app.command("sampling", help=_run.help_text(SOLVE_HELP), epilog=SOLVE_EPILOG)(solve)
    generate_app.command("sampling", help=_run.help_text(generate.__doc__), epilog=GENERATE_EPILOG)(generate)
    check_app.command("sampling", help=_run.help_text(check.__doc__), epilog=CHECK_EPILOG)(check)


def warm_cache():
    """Compile every sampling kernel (float64); yields a label per step."""
    from optsuite.solvers.sampling import api
    from optsuite.solvers.sampling import coreset

    api.warm_up()
    yield "scores, sampling, regression"
    coreset.warm_up()
    yield "k-medoids coreset"
