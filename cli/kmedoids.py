"""`optsuite solve|generate|check kmedoids`: options and wiring for k-medoids clustering."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from optsuite.cli import _run

KIND = "kmedoids"
SUMMARY = "k-medoids clustering: FasterPAM (default), FastPAM1, PAM, alternating, CLARA, CLARANS"
METHODS = ("fasterpam", "fastpam1", "pam", "alternate", "clara", "clarans")


class Method(str, Enum):
    fasterpam = "fasterpam"
    fastpam1 = "fastpam1"
    pam = "pam"
    alternate = "alternate"
    clara = "clara"
    clarans = "clarans"


class Init(str, Enum):
    random = "random"
    lab = "lab"
    build = "build"
    first = "first"


class Metric(str, Enum):
    euclidean = "euclidean"
    sqeuclidean = "sqeuclidean"
    manhattan = "manhattan"
    cosine = "cosine"
    jaccard = "jaccard"
    precomputed = "precomputed"


class Dtype(str, Enum):
    float64 = "float64"
    float32 = "float32"


class ClaransVariant(str, Enum):
    fast = "fast"
    classic = "classic"


ALG, INP, OUT, PERF = "Algorithm", "Input", "Output", "Performance"

SOLVE_HELP = """Cluster INPUT around k medoids, minimising the total deviation (TD): the sum over points
of the dissimilarity to the nearest medoid (weighted with --weights).

Methods: fasterpam (default; eager swaps with the O(k) trick of Schubert & Rousseeuw 2021, the fastest
at the same quality), fastpam1 (exactly PAM's swaps, O(k) faster), pam (the original SWAP, O(k n^2)
per swap, as a reference), alternate (k-means style; fast, but clearly worse optima), clara
(FasterCLARA on samples: no n x n matrix, for large n), clarans (randomised search).
--coreset M runs the method on a weighted sensitivity-sampling coreset of about M points instead of all
of them (no n x n matrix either; better medoids than CLARA in the same time).

Output: JSON on stdout (problem, method, k, n, status, objective, medoids, labels, iterations,
counters, timings, environment, seed); --out FILE.json|.csv|.npz writes a file instead
(.csv: one label per line). Exit code 3 if --max-iter stopped the search before convergence.
"""

SOLVE_EPILOG = """Examples:

  optsuite solve kmedoids examples/kmedoids/digits.csv --k 10

  optsuite solve kmedoids data.csv --k 100 --init lab --out result.json

  optsuite solve kmedoids dist.npy --metric precomputed --k 5 --method pam --init build
"""


def solve(
    input: Annotated[str, typer.Argument(metavar="INPUT", show_default=False, help=(
        "Points: CSV (with or without header; '-' reads stdin), .npy, or .npz (array X). With --metric "
        "precomputed: a square, symmetric dissimilarity matrix (CSV, .npy, .npz array D)."))],
    k: Annotated[int, typer.Option("--k", min=1, show_default=False, rich_help_panel=ALG,
                                   help="Number of clusters (medoids); at most the number of points.")],
    method: Annotated[Method, typer.Option(rich_help_panel=ALG, help="Search method (see above).")] = Method.fasterpam,
    init: Annotated[Init, typer.Option(rich_help_panel=ALG, help=(
        "Starting medoids: random (seeded); lab (linear approximate BUILD, O(nk), a better start at "
        "little cost); build (PAM BUILD, O(n^2 k): slow for large n); first (points 0..k-1)."))] = Init.random,
    init_medoids: Annotated[Optional[Path], typer.Option("--init-medoids", metavar="FILE", rich_help_panel=ALG,
                                                         help="Start from these k 0-based point indices "
                                                         "(one per line); overrides --init.")] = None,
    max_iter: Annotated[Optional[int], typer.Option("--max-iter", min=1, rich_help_panel=ALG, show_default=False,
                                                    help="Cap: passes for fasterpam/alternate (default 100), "
                                                    "swaps for pam/fastpam1 (default 100 + 10k).")] = None,
    seed: Annotated[int, typer.Option(min=0, rich_help_panel=ALG,
                                      help="Seed for every random choice: same seed, same answer.")] = 0,
    shuffle: Annotated[bool, typer.Option("--shuffle/--no-shuffle", rich_help_panel=ALG,
                                          help="fasterpam: visit candidates in a seeded random order "
                                          "instead of input order.")] = False,
    weights: Annotated[Optional[Path], typer.Option(metavar="FILE", rich_help_panel=INP,
                                                    help="One non-negative weight per point (one per line); "
                                                    "TD becomes the weighted sum.")] = None,
    metric: Annotated[Metric, typer.Option(rich_help_panel=INP, help=(
        "Dissimilarity between points: euclidean, sqeuclidean (changes the objective), manhattan, cosine "
        "(1 - cos), jaccard (0/1 data); or precomputed: INPUT is the matrix."))] = Metric.euclidean,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", show_default="detect",
                                                   rich_help_panel=INP,
                                                   help="Whether the CSV's first line names the columns.")] = None,
    coreset: Annotated[Optional[int], typer.Option("--coreset", metavar="M", min=1, rich_help_panel=ALG,
                                                   show_default=False, help=(
        "Solve on a sensitivity-sampling coreset of about M weighted points (D^1 seeding of 2k centres, "
        "sensitivities from distances to them), refine, then assign all points and report the full-data "
        "TD: no n x n matrix, for millions of points. M of 50-100 k is typical; --method applies to the "
        "coreset."))] = None,
    clara_samples: Annotated[int, typer.Option("--clara-samples", min=1, rich_help_panel=ALG,
                                               help="clara: number of samples.")] = 5,
    clara_size: Annotated[Optional[int], typer.Option("--clara-size", min=1, rich_help_panel=ALG,
                                                      show_default="80 + 4k",
                                                      help="clara: points per sample.")] = None,
    clarans_local: Annotated[int, typer.Option("--clarans-local", min=1, rich_help_panel=ALG,
                                               help="clarans: number of restarts (best kept).")] = 2,
    clarans_neighbors: Annotated[Optional[float], typer.Option(
        "--clarans-neighbors", min=0, rich_help_panel=ALG, show_default="2.5% fast, 1.25% classic",
        help="clarans: stop after this many non-improving neighbours in a row; a value below 1 is a "
        "fraction of the neighbourhood.")] = None,
    clarans_variant: Annotated[ClaransVariant, typer.Option(
        "--clarans-variant", rich_help_panel=ALG,
        help="clarans: fast (FastCLARANS: a random point tried in every slot at once) or classic "
        "(Ng & Han: a random (medoid, point) pair).")] = ClaransVariant.fast,
    dtype: Annotated[Dtype, typer.Option(rich_help_panel=PERF, help=(
        "Storage of the n x n matrix: float32 halves memory and is faster; sums stay float64."))] = Dtype.float64,
    threads: Annotated[Optional[int], typer.Option(min=1, rich_help_panel=PERF, show_default="all cores",
                                                   help="Threads for the parallel kernels.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE", rich_help_panel=OUT,
                                                help="Write here instead of stdout: .json (result), .csv "
                                                "(labels), .npz (arrays + meta).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", rich_help_panel=OUT,
                                        help="No summary, warnings or progress on stderr.")] = False,
):
    from optsuite.problems import kmedoids as problem_io
    from optsuite.solvers.kmedoids import api
    from optsuite.solvers.timing import PhaseTimer

    timer = PhaseTimer()
    _run.check_out(out, (".json", ".csv", ".npz"))
    _run.refuse_overwriting_input(out, input, weights, init_medoids)
    if coreset is not None:
        from optsuite.solvers.sampling import coreset as coreset_api

        coreset_api.check_options(metric=metric.value, method=method.value)
    with timer.phase("read"):
        problem = problem_io.load(input, metric=metric.value, dtype=dtype.value, header=header)
        n = problem.n
        if k > n:
            from optsuite.solvers.errors import ParameterError

            raise ParameterError("k", f"must be at most the number of points n = {n}; got {k}")
        w = problem_io.load_weights(weights, n) if weights is not None else None
        med0 = problem_io.load_medoids(init_medoids, n, k) if init_medoids is not None else None
    if method is Method.clara and med0 is not None:
        _run.warn("--init-medoids is ignored by --method clara (each sample starts from --init)", quiet)
    if coreset is not None and med0 is not None:
        _run.warn("--init-medoids is ignored with --coreset (the search starts from --init on the coreset)", quiet)
    _run.configure_threads(threads)
    with timer.phase("compile"):
        if coreset is not None:
            coreset_api.warm_up(method=method.value, init=init.value, dtype=dtype.value, metric=metric.value, k=k)
        else:
            api.warm_up(method=method.value, init=init.value, dtype=dtype.value, metric=metric.value,
                        weighted=w is not None, k=k, given_medoids=med0 is not None, shuffle=shuffle)
    with _run.progress_reporter(quiet, method.value) as progress, timer.phase("solve"):
        if coreset is not None:
            res = coreset_api.kmedoids_coreset(problem.points, k, coreset, metric=metric.value, dtype=dtype.value,
                                               method=method.value, init=init.value, max_iter=max_iter, seed=seed,
                                               shuffle=shuffle, weights=w, clarans_local=clarans_local,
                                               clarans_neighbors=clarans_neighbors,
                                               clarans_variant=clarans_variant.value, progress=progress)
        elif method is Method.clara:
            data = problem.D if problem.precomputed else problem.points
            res = api.clara(data, k, metric=metric.value, dtype=dtype.value, samples=clara_samples,
                            sample_size=clara_size, init=init.value, max_iter=max_iter, seed=seed,
                            shuffle=shuffle, weights=w, progress=progress)
        else:
            if progress is not None:
                progress(0, None, f"distances: {n} x {n} {dtype.value} matrix")
            with timer.phase("distances"):
                D = problem.D if problem.precomputed else api.dissimilarity_matrix(problem.points, metric.value,
                                                                                  dtype.value)
            res = api.kmedoids(D, k, method=method.value, init=init.value, medoids=med0, max_iter=max_iter,
                               seed=seed, shuffle=shuffle, weights=w, clarans_local=clarans_local,
                               clarans_neighbors=clarans_neighbors, clarans_variant=clarans_variant.value,
                               progress=progress, check=False)
            del D
    for message in res.pop("warnings", []):
        _run.warn(message, quiet)
    solver_timings = res.pop("timings")
    result = {"problem": "kmedoids", "input": input, "metric": metric.value, **res}
    _run.finish(result, timer, out, solver_timings=solver_timings,
                csv_text=lambda: problem_io.labels_csv(result["labels"]),
                npz_arrays={"medoids": result["medoids"], "labels": result["labels"]})
    _run.info(_summary(result), quiet)
    _run.exit_for_status(result["status"])


def _summary(r) -> str:
    t = r["timings"]
    return (f"kmedoids {r['method']}: n={r['n']} k={r['k']} TD={r['objective']:.10g} {r['status']} "
            f"({r['iterations']} iterations, {r['counters'].get('swaps', r['counters'].get('medoid_moves', 0))} "
            f"swaps); solve {t['solve']:.3f} s, compile {t['compile']:.3f} s, total {t['total']:.3f} s")


GENERATE_EPILOG = """Examples:

  optsuite generate kmedoids --n 1000 --d 2 --centers 5 --out blobs.csv --truth truth.csv

  optsuite generate kmedoids --n 300 --centers 3 | optsuite solve kmedoids - --k 3
"""


def generate(
    n: Annotated[int, typer.Option("--n", min=1, help="Number of points.")] = 1000,
    d: Annotated[int, typer.Option("--d", min=1, help="Dimensions.")] = 2,
    centers: Annotated[int, typer.Option("--centers", min=1, help="Number of Gaussian blobs.")] = 5,
    spread: Annotated[float, typer.Option("--spread", min=0, help="Standard deviation within a blob "
                                          "(centres are uniform in [-10, 10]^d).")] = 1.0,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE",
                                                help="Points as .csv (header x0,x1,...), .npy, or .npz "
                                                "(arrays X and labels); default CSV on stdout.")] = None,
    truth: Annotated[Optional[Path], typer.Option("--truth", metavar="FILE",
                                                  help="Also write the true blob of each point, one per "
                                                  "line (CSV).")] = None,
):
    """Write Gaussian blobs for k-medoids, with their true labels."""
    from optsuite.problems import io
    from optsuite.problems import kmedoids as problem_io

    _run.check_out(out, (".csv", ".npy", ".npz"))
    X, labels, _ = problem_io.generate(n, d, centers, seed, spread)
    suffix = ".csv" if out is None or str(out) == "-" else Path(out).suffix.lower()
    if suffix == ".csv":
        io.write_text(io.csv_text({f"x{j}": X[:, j] for j in range(d)}), "-" if out is None else out)
    elif suffix == ".npy":
        io.write_npy(out, X)
    else:
        io.write_npz(out, X=X, labels=labels)
    if truth is not None:
        io.write_text(problem_io.labels_csv(labels), truth)


CHECK_EPILOG = """Examples:

  optsuite solve kmedoids data.csv --k 5 --out sol.json && optsuite check kmedoids data.csv sol.json

  optsuite check kmedoids dist.npy sol.json --metric precomputed
"""


def check(
    input: Annotated[str, typer.Argument(metavar="INPUT", show_default=False,
                                         help="The problem file the solution was computed for.")],
    solution: Annotated[Path, typer.Argument(metavar="SOLUTION", show_default=False,
                                             help="Solution JSON written by `optsuite solve kmedoids`.")],
    metric: Annotated[Optional[Metric], typer.Option(show_default="the solution's",
                                                     help="Dissimilarity (default: the one the solution "
                                                     "records, else euclidean).")] = None,
    weights: Annotated[Optional[Path], typer.Option(metavar="FILE", help="The weights used to solve.")] = None,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", show_default="detect",
                                                   help="Whether the CSV's first line names the columns.")] = None,
    rtol: Annotated[Optional[float], typer.Option(min=0, show_default="1e-9, or 1e-5 for float32 solutions",
                                        help="Relative tolerance for the objective.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
):
    """Check a k-medoids solution: recompute its total deviation from the points in float64 and verify
    the medoids (distinct, in range), the labels (each point's nearest medoid, a medoid in its own
    cluster) and the reported objective. Prints a JSON report; exit code 3 if any check fails."""
    import numpy as np

    from optsuite.problems import kmedoids as problem_io
    from optsuite.solvers.kmedoids import api

    sol = problem_io.load_solution(solution)
    metric_name = metric.value if metric is not None else sol.get("metric", "euclidean")
    problem = problem_io.load(input, metric=metric_name, dtype="float64", header=header)
    n = problem.n
    w = problem_io.load_weights(weights, n) if weights is not None else None
    med = sol["medoids"]
    checks = []

    def record(name, ok, detail=""):
        checks.append({"check": name, "ok": bool(ok), "detail": detail})

    in_range = bool(((med >= 0) & (med < n)).all()) and med.size > 0
    record("medoids in range", in_range, f"{med.size} medoids, objects 0..{n - 1}")
    distinct = np.unique(med).size == med.size
    record("medoids distinct", distinct)
    if "k" in sol:
        record("k medoids", med.size == sol["k"], f"k = {sol['k']}, {med.size} medoids")
    report = {"problem": "kmedoids", "input": input, "solution": str(solution), "metric": metric_name}
    if in_range and distinct:
        if problem.precomputed:
            labels, dist, loss = api.assign_matrix(problem.D, med, w)
        else:
            labels, dist, loss = api.assign_points(problem.points, med, metric_name, w)
        report["objective"] = loss
        if sol.get("objective") is not None:
            tol = rtol if rtol is not None else (1e-5 if sol.get("dtype") == "float32" else 1e-9)
            diff = abs(sol["objective"] - loss) / max(abs(loss), 1e-300)
            record("objective", diff <= tol, f"reported {sol['objective']!r}, recomputed {loss!r}, "
                   f"relative difference {diff:.3g} (tolerance {tol:g})")
        if sol.get("labels") is not None:
            lab = sol["labels"]
            if lab.shape[0] != n or (lab < 0).any() or (lab >= med.size).any():
                record("labels", False, f"need {n} labels in 0..{med.size - 1}")
            else:
                if problem.precomputed:
                    own = problem.D[np.arange(n), med[lab]].astype(np.float64)
                else:
                    own = api.distances_between(problem.points, np.arange(n), med[lab], metric_name)
                worse = own > dist + 1e-9 * np.maximum(dist, 1.0)
                record("labels are nearest medoids", not worse.any(),
                       f"{int(worse.sum())} points labelled with a farther medoid" if worse.any() else "")
                selfok = all(lab[m] == slot for slot, m in enumerate(med))
                record("medoids in their own clusters", selfok)
    _run.report_checks(report, checks, quiet)


def register(solve_app, generate_app, check_app) -> None:
    solve_app.command("kmedoids", help=_run.help_text(SOLVE_HELP), epilog=SOLVE_EPILOG)(solve)
    generate_app.command("kmedoids", help=_run.help_text(generate.__doc__), epilog=GENERATE_EPILOG)(generate)
    check_app.command("kmedoids", help=_run.help_text(check.__doc__), epilog=CHECK_EPILOG)(check)


def warm_cache():
    """Compile every k-medoids kernel for float64 and float32, weighted and not; yields a label per step."""
    from optsuite.solvers.kmedoids import api

    inits = {"fasterpam": "lab", "fastpam1": "build", "pam": "first", "alternate": "random",
             "clara": "random", "clarans": "random"}
    for dtype in ("float64", "float32"):
        for weighted in (False, True):
            for method, init in inits.items():
                api.warm_up(method=method, init=init, dtype=dtype, weighted=weighted)
            api.warm_up(k=1, dtype=dtype, weighted=weighted)
            yield f"{dtype}{' weighted' if weighted else ''}"
