"""`optsuite solve|generate|check submodular`: options and wiring for monotone submodular
maximisation under a cardinality constraint, static and under a stream of insertions and deletions."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from optsuite.cli import _run

KIND = "submodular"
SUMMARY = ("monotone submodular maximisation, |S| <= k: lazy greedy (default), greedy, stochastic, threshold, "
           "sieve; dynamic streams: dynamic (Banihashem et al. 2023), dynamic-greedy")
METHODS = ("lazy", "greedy", "stochastic", "threshold", "sieve", "dynamic", "dynamic-greedy")


class Objective(str, Enum):
    facility_location = "facility-location"
    feature_based = "feature-based"
    coverage = "coverage"


class Metric(str, Enum):
    euclidean = "euclidean"
    cosine = "cosine"
    rbf = "rbf"
    precomputed = "precomputed"


class Dtype(str, Enum):
    float64 = "float64"
    float32 = "float32"


class Concave(str, Enum):
    sqrt = "sqrt"
    log1p = "log1p"


class Algorithm(str, Enum):
    lazy = "lazy"
    greedy = "greedy"
    stochastic = "stochastic"
    threshold = "threshold"
    sieve = "sieve"
    dynamic = "dynamic"
    dynamic_greedy = "dynamic-greedy"


class StreamKind(str, Enum):
    random = "random"
    largest_first = "largest-first"
    window = "window"


OBJ, ALG, STREAM, OUT, PERF = "Objective", "Algorithm", "Stream of updates", "Output", "Performance"



SOLVE_HELP = """Choose at most k elements of INPUT maximising a monotone submodular function f.

Objectives (--objective): facility-location (default), f(S) = sum over items i of max_{j in S} s_ij,
with s from the features by --metric: euclidean s_ij = max_ab D2_ab - D2_ij (D2 = squared euclidean
distance; apricot's 'euclidean'), cosine s_ij = cos(x_i, x_j)^2 (apricot's 'cosine'), rbf s_ij =
exp(-gamma D2_ij) (gamma = 1/d unless --gamma); --knn K keeps the K nearest neighbours of each point
(sparse); --metric precomputed reads s itself (row j = candidate j; .npy/CSV dense, .npz/.mtx
sparse; entries >= 0). feature-based, f(S) = sum_u phi(sum_{j in S} x_ju) with phi = sqrt or log1p
(--concave) of non-negative features. coverage, f(S) = total weight of the items covered: JSON lines
{"id": 3, "items": [1, 5, 8]}, weights from --item-weights (CSV item,weight; default 1).

Algorithms: lazy (default; Minoux's lazy greedy, the same set as greedy with far fewer oracle
calls, the whole loop compiled; from points with the euclidean similarity it re-reads only the
blocks of a row where the solution changed since), greedy (Nemhauser-Wolsey-Fisher; 1 - 1/e), stochastic (best of a
random sample of n/k ln(1/eps) per round; 1 - 1/e - eps in expectation, seeded), threshold
(Badanidiyuru-Vondrak decreasing thresholds; 1 - 1/e - eps), sieve (sieve-streaming, one pass in
input order; 1/2 - eps).

Streams (--stream OPS.txt, lines '+ ID' / '- ID' naming rows of INPUT, or the "id"s of coverage
sets): dynamic (default with --stream; Banihashem, Biabani, Goudarzi, Hajiaghayi, Jabbarzade,
Monemizadeh, ICML 2023: guesses of OPT on a fixed (1 + eps) grid, levels with one uniformly random
pick among the filtered candidates, a rebuild from the level a deletion hits; f >= OPT / (2 (1 + eps))
after every update, expected oracle calls per update independent of n) or dynamic-greedy (exact greedy kept by prefix
repair). dynamic is the default because its cost does not depend on which elements a stream deletes:
dynamic-greedy is exact and cheaper on random streams (n = 10000: 15 / 65 calls per update at k = 10 /
50 against 52 / 298), but each deletion of an early pick re-runs greedy (largest-first stream, n =
2000: 1340 / 1920 calls per update against 50 / 326); see optsuite bench --only submodular/dynamic.

Output: JSON on stdout (selected ids in pick order, gains, objective = f(selected), counters with
oracle_calls = marginal-gain queries and singleton_calls = f({e}) evaluations, timings); for a
stream also the per-update summary (calls mean/p50/p99/max, value / from-scratch greedy every
--baseline-every updates). --out FILE.json|.csv (.csv: rank,id,gain).

Memory: a dense similarity takes 8 n^2 bytes (n = 10000: 800 MB); --dtype float32 stores it in 4 n^2
(gains and f(S) still summed in float64); --knn K stores n K entries.
"""

SOLVE_EPILOG = """Examples:

  optsuite solve submodular examples/submodular/wine.csv --k 5

  optsuite solve submodular examples/submodular/zen.jsonl --objective coverage --k 3

  optsuite solve submodular examples/submodular/wine.csv --k 5 --stream examples/submodular/wine_ops.txt --trace trace.jsonl
"""


def solve(
    input: Annotated[str, typer.Argument(metavar="INPUT", show_default=False, help=(
        "Features (CSV with or without header, '-' for stdin, .npy, .npz array X; sparse .npz/.mtx for "
        "feature-based), a similarity with --metric precomputed, or coverage sets as JSON lines."))],
    k: Annotated[int, typer.Option("--k", min=1, show_default=False, rich_help_panel=ALG,
                                   help="Largest number of elements to choose; at most the number of elements.")],
    objective: Annotated[Objective, typer.Option(rich_help_panel=OBJ, help="The function f (see above).")]
    = Objective.facility_location,
    metric: Annotated[Metric, typer.Option(rich_help_panel=OBJ, help=(
        "facility-location: similarity of two points (formulas above), or precomputed: INPUT is the "
        "similarity matrix."))] = Metric.euclidean,
    gamma: Annotated[Optional[float], typer.Option(min=0, rich_help_panel=OBJ, show_default="1/d",
                                                   help="rbf: s = exp(-gamma D2).")] = None,
    knn: Annotated[Optional[int], typer.Option("--knn", min=1, rich_help_panel=OBJ, show_default="dense",
                                               help="Keep only the K nearest neighbours of each point (a sparse "
                                               "similarity: memory O(n K) instead of n^2).")] = None,
    dtype: Annotated[Dtype, typer.Option(rich_help_panel=PERF, help=(
        "Storage of the dense facility-location similarity (from features, or a dense precomputed one). "
        "float32 halves its memory and the bytes each pass over it reads (n = 10000, k = 100, 1 thread: "
        "peak 563 instead of 945 MiB, 0.37 instead of 0.45 CPU s from features to selection). Entries "
        "are rounded to float32 (within 1.2e-7 of the largest); gains and f(S) are still summed in "
        "float64, so values agree with float64 to about 1e-6 relative, but picks may differ where gains "
        "nearly tie. Not for --knn, feature-based or coverage, which are stored as float64."))] = Dtype.float64,
    concave: Annotated[Concave, typer.Option(rich_help_panel=OBJ, help="feature-based: phi = sqrt or log1p "
                                             "(log(1 + t)).")] = Concave.sqrt,
    item_weights: Annotated[Optional[Path], typer.Option("--item-weights", metavar="FILE", rich_help_panel=OBJ,
                                                         help="coverage: CSV lines item,weight (weights >= 0) for "
                                                         "every item of the sets.")] = None,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", show_default="detect",
                                                   rich_help_panel=OBJ,
                                                   help="Whether the CSV's first line names the columns.")] = None,
    algorithm: Annotated[Optional[Algorithm], typer.Option(rich_help_panel=ALG, show_default="lazy; dynamic with "
                                                           "--stream", help="Algorithm (see above).")] = None,
    eps: Annotated[Optional[float], typer.Option(rich_help_panel=ALG, show_default="0.1; 0.2 for dynamic",
                                                 help="Accuracy of stochastic, threshold, sieve and dynamic, in "
                                                 "[1e-6, 1) "
                                                 "(dynamic: guesses of OPT every factor 1 + eps; its oracle calls "
                                                 "grow like 1/eps).")] = None,
    seed: Annotated[int, typer.Option(min=0, rich_help_panel=ALG,
                                      help="Seed of stochastic and dynamic: same seed, same answer.")] = 0,
    stream: Annotated[Optional[Path], typer.Option("--stream", metavar="OPS.txt", rich_help_panel=STREAM,
                                                   help="Apply these updates ('+ ID' inserts, '- ID' deletes; '#' "
                                                   "comments) starting from no live element.")] = None,
    trace: Annotated[Optional[Path], typer.Option("--trace", metavar="FILE", rich_help_panel=STREAM,
                                                  help="Write one JSON line per update: t, op, id, value, size, "
                                                  "calls (+ greedy_value, ratio, recompute_calls at "
                                                  "checkpoints).")] = None,
    baseline_every: Annotated[int, typer.Option("--baseline-every", min=0, rich_help_panel=STREAM,
                                                help="Every N updates (and after the last), run lazy greedy from "
                                                "scratch on the live elements and record value / greedy; 0 = "
                                                "never.")] = 100,
    threads: Annotated[Optional[int], typer.Option(min=1, rich_help_panel=PERF, show_default="all cores",
                                                   help="Threads for BLAS (building the similarity).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE", rich_help_panel=OUT,
                                                help="Write here instead of stdout: .json (the result) or .csv "
                                                "(rank,id,gain).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", rich_help_panel=OUT,
                                        help="No summary, warnings or progress on stderr.")] = False,
):
    from optsuite.problems import submodular as problem_io
    from optsuite.solvers.errors import ParameterError
    from optsuite.solvers.timing import PhaseTimer

    timer = PhaseTimer()
    _run.check_out(out, (".json", ".csv"))
    _run.check_out(trace, (".jsonl", ".json", ".txt"))
    _run.refuse_overwriting_input(out, input, stream, item_weights)
    _run.refuse_overwriting_input(trace, input, stream, item_weights, out)
    alg = (algorithm.value if algorithm is not None else ("dynamic" if stream is not None else "lazy"))
    dynamic = alg in ("dynamic", "dynamic-greedy")
    if dynamic and stream is None:
        raise ParameterError("stream", f"--algorithm {alg} maintains a solution under updates: give them with "
                             "--stream OPS.txt (lines '+ ID' / '- ID')")
    if stream is not None and not dynamic:
        raise ParameterError("algorithm", f"{alg} is static; a --stream needs dynamic or dynamic-greedy")
    if trace is not None and stream is None:
        raise ParameterError("trace", "a trace records the updates of a --stream; give one")
    _check_objective_options(objective, metric, gamma, knn, dtype)
    with timer.phase("read"):
        problem = problem_io.load(input, objective=objective.value, precomputed=metric is Metric.precomputed,
                                  header=header, item_weights=item_weights)
        if k > problem.n:
            raise ParameterError("k", f"must be at most the number of elements n = {problem.n}; got {k}")
        ops = problem_io.load_stream(stream, problem) if stream is not None else None
    _run.configure_threads(threads)
    sparse = knn is not None or _is_sparse(problem)
    with timer.phase("compile"):
        from optsuite.solvers.submodular import api

        api.warm_up(objective.value, sparse=sparse, concave=concave.value, algorithm=alg,
                    metric=None if metric is Metric.precomputed or objective is not Objective.facility_location
                    else metric.value, knn=knn is not None, dtype="float64" if sparse else dtype.value)
    with _run.progress_reporter(quiet, alg) as progress, timer.phase("solve"):
        f, build = _build_objective(problem, objective, metric, gamma, knn, concave, progress, dtype)
        if ops is None:
            if progress is not None:
                progress(0, None, f"{alg}: choosing {k} of {problem.n}")
            res = api.maximize(f, k, algorithm=alg, eps=eps, seed=seed)
        else:
            res = api.run_stream(f, k, ops[0], ops[1], algorithm=alg, eps=eps, seed=seed,
                                 baseline_every=baseline_every, progress=progress)
    solver_timings = {**build, **res.pop("timings")}
    result = _result(input, problem, f, res, objective, metric, gamma, knn, concave, stream)
    if item_weights is not None:
        result["function"]["item_weights"] = str(item_weights)  # so `check` recomputes f with them
    if ops is not None:
        run = res.pop("trace")
        if trace is not None:
            with timer.phase("write"):
                from optsuite.problems import io

                io.write_text(problem_io.trace_lines(ops[0], problem.ids[ops[1]], run["calls"], run["value"],
                                                     run["size"], result["checkpoints"]), trace)
    _emit(result, solver_timings, timer, out)
    _run.info(_summary(result), quiet)
    _run.exit_for_status(result["status"])


def _check_objective_options(objective, metric, gamma, knn, dtype=Dtype.float64):
    from optsuite.solvers.errors import ParameterError

    fl = objective is Objective.facility_location
    if dtype is Dtype.float32 and (not fl or knn is not None):
        raise ParameterError("dtype", "float32 stores a dense facility-location similarity; "
                             + (f"{objective.value} is stored as float64" if not fl else
                                "a --knn similarity is sparse and stored as float64"))
    if not fl and metric is not Metric.euclidean:
        raise ParameterError("metric", f"applies to facility-location only, not {objective.value}")
    if knn is not None and (not fl or metric is Metric.precomputed):
        raise ParameterError("knn", "builds a sparse similarity from features: facility-location with "
                             "--metric euclidean, cosine or rbf only")
    if gamma is not None and metric is not Metric.rbf:
        raise ParameterError("gamma", "is the width of --metric rbf only")


def _is_sparse(problem) -> bool:
    M = problem.similarity if problem.similarity is not None else problem.features
    return problem.sets is not None or hasattr(M, "tocsr")


def _build_objective(problem, objective, metric, gamma, knn, concave, progress, dtype=Dtype.float64):
    """The Objective the solvers read, and the seconds spent building a similarity (if any)."""
    import time

    from optsuite.solvers.submodular import objective as obj
    from optsuite.solvers.submodular import similarity

    if objective is Objective.coverage:
        return obj.coverage(problem.sets, problem.n_items, problem.item_weights), {}
    if objective is Objective.feature_based:
        return obj.feature_based(problem.features, concave.value), {}
    if metric is Metric.precomputed:
        # finite and non-negative: checked by the loader, with the file's line and column
        return obj.facility_location(problem.similarity, "s_ij read from the input (precomputed)",
                                     check=False, dtype=dtype.value), {}
    n, d = problem.features.shape
    if progress is not None:
        progress(0, None, f"similarity: {n} x {n}" + (f", {knn} nearest neighbours" if knn else " dense"))
    t0 = time.perf_counter()
    text = similarity.formula(metric.value, knn, gamma, d)
    if knn is not None:
        S = similarity.knn_similarity(problem.features, knn, metric.value, gamma)
        f = obj.facility_location(S, text, check=False)
    else:
        f = similarity.dense_facility_location(problem.features, metric.value, gamma, text, dtype.value)
    return f, {"similarity": round(time.perf_counter() - t0, 6)}


def _result(input, problem, f, res, objective, metric, gamma, knn, concave, stream) -> dict:
    function = {**f.describe()}
    if objective is Objective.facility_location:
        function.update(metric=metric.value, knn=knn, gamma=gamma)
    elif objective is Objective.feature_based:
        function["concave"] = concave.value
    ids = problem.ids
    result = {"problem": "submodular", "input": input, "function": function, **res}
    result["selected"] = ids[res["selected"]]
    if stream is not None:
        result["stream_file"] = str(stream)
    return result


def _emit(result, solver_timings, timer, out):
    """Attach timings (wall seconds per phase; CPU seconds under cpu_timings) and the environment,
    then write the result."""
    import time

    from optsuite.problems import io
    from optsuite.problems.submodular import selection_csv
    from optsuite.solvers.environment import environment, peak_rss_mib
    from optsuite.solvers.result import jsonable

    wall, cpu = timer.report()
    result["timings"] = {**{p: wall[p] for p in ("read", "compile") if p in wall}, **solver_timings,
                         "solve": wall["solve"]}
    result["environment"] = environment()
    w0 = time.perf_counter()
    suffix = Path(out).suffix.lower() if out is not None else ".json"
    if suffix == ".csv":
        selection_csv(result["selected"], result["gains"])
    else:
        io.dumps_json(jsonable(result))
    result["timings"]["write"] = round(time.perf_counter() - w0 + wall.get("write", 0.0), 6)
    wall, cpu = timer.report()
    result["timings"]["total"] = wall["total"]
    result["cpu_timings"] = {p: cpu[p] for p in ("read", "compile", "solve", "write", "total") if p in cpu}
    result["peak_rss_mib"] = peak_rss_mib()
    _run.emit(result, out, csv_text=lambda: selection_csv(result["selected"], result["gains"]))


def _summary(r) -> str:
    t = r["timings"]
    c = r["counters"]
    head = (f"submodular {r['algorithm']}: n={r['n']} k={r['k']} f(S)={r['objective']:.10g} with "
            f"{len(r['selected'])} elements")
    if "stream" in r:
        s = r["stream"]
        cpu = s["calls_per_update"]
        text = (f"{head}; {s['updates']} updates, oracle calls per update mean {cpu['mean']:.1f}, p99 "
                f"{cpu['p99']:.0f}, max {cpu['max']}")
        if "baseline" in s:
            b = s["baseline"]
            text += (f"; value / greedy mean {b['ratio_mean']:.4f}, min {b['ratio_min']:.4f}; recomputing greedy: "
                     f"{b['recompute_calls_mean']:.0f} calls per update")
        return text + f"; solve {t['solve']:.3f} s, total {t['total']:.3f} s"
    return (f"{head} ({c['oracle_calls']} oracle calls + {c['singleton_calls']} singletons); solve "
            f"{t['solve']:.3f} s, compile {t['compile']:.3f} s, total {t['total']:.3f} s")


# ------------------------------------------------------------------------------------- generate

GENERATE_EPILOG = """Examples:

  optsuite generate submodular --n 2000 --d 10 --seed 1 --out points.csv

  optsuite generate submodular --n 2000 --out points.csv --stream largest-first --stream-out ops.txt

  optsuite generate submodular --n 178 --stream window --stream-out ops.txt
"""


def generate(
    n: Annotated[int, typer.Option("--n", min=1, help="Number of points.")] = 1000,
    d: Annotated[int, typer.Option("--d", min=1, help="Dimensions.")] = 10,
    centers: Annotated[int, typer.Option("--centers", min=1, help="Number of Gaussian blobs.")] = 10,
    spread: Annotated[float, typer.Option("--spread", min=0, help="Standard deviation within a blob (centres "
                                          "uniform in [0, 20]^d; coordinates folded to >= 0).")] = 2.0,
    seed: Annotated[int, typer.Option(min=0, help="Random seed (points and stream).")] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE",
                                                help="Points as .csv (header x0,x1,...) or .npy; default CSV on "
                                                "stdout, or none when only a --stream-out is asked for.")] = None,
    stream: Annotated[Optional[StreamKind], typer.Option(help=(
        "Also write a stream of updates over ids 0..n-1: random and largest-first insert half of them, then the "
        "other half interleaved with --delete-frac * n deletions of a random live id (random) or of the live "
        "point with the largest f({e}) (largest-first: facility location of the points with --metric; needs "
        "--out); window keeps the (1 - delete-frac) n latest insertions."))] = None,
    stream_out: Annotated[Optional[Path], typer.Option("--stream-out", metavar="OPS.txt",
                                                       help="Where to write the stream.")] = None,
    delete_frac: Annotated[float, typer.Option("--delete-frac", min=0.0, max=0.5,
                                               help="Deletions as a fraction of n.")] = 0.3,
    metric: Annotated[Metric, typer.Option(help="largest-first: the facility-location similarity that ranks "
                                           "f({e}) (not precomputed).")] = Metric.euclidean,
):
    """Write Gaussian blobs as points for submodular summarisation, and optionally a stream of
    insertions and deletions over ids 0..n-1 (with --stream-out and no --out, only the stream: use it
    for any input with n rows)."""
    from optsuite.problems import io
    from optsuite.problems import submodular as problem_io
    from optsuite.solvers.errors import ParameterError

    _run.check_out(out, (".csv", ".npy"))
    if stream is not None and stream_out is None:
        raise ParameterError("stream_out", "--stream needs a file to write the updates to (--stream-out OPS.txt)")
    if stream_out is not None and stream is None:
        raise ParameterError("stream", "--stream-out needs --stream random|largest-first|window")
    if metric is Metric.precomputed:
        raise ParameterError("metric", "largest-first ranks points by f({e}) from the generated features; choose "
                             "euclidean, cosine or rbf")
    if stream is StreamKind.largest_first and out is None:
        raise ParameterError("out", "a largest-first stream ranks the generated points: write them with --out")
    _run.refuse_overwriting_input(stream_out, out)
    X = problem_io.generate_points(n, d, centers, seed, spread)
    suffix = ".csv" if out is None or str(out) == "-" else Path(out).suffix.lower()
    if out is not None or stream is None:
        if suffix == ".csv":
            io.write_text(io.csv_text({f"x{j}": X[:, j] for j in range(d)}), "-" if out is None else out)
        else:
            io.write_npy(out, X)
    if stream is not None:
        single = None
        if stream is StreamKind.largest_first:
            from optsuite.solvers.submodular import api, objective as obj, similarity

            single = api.singleton_values(obj.facility_location(similarity.similarity_matrix(X, metric.value),
                                                                check=False))
        sign, ids = problem_io.generate_stream(stream.value, n, seed, delete_frac, single)
        comment = (f"optsuite generate submodular --n {n}" + (f" --d {d}" if out is not None else "")
                   + f" --seed {seed} --stream {stream.value} --delete-frac {delete_frac:g}"
                   + (f" --metric {metric.value}" if single is not None else ""))
        io.write_text(problem_io.stream_text(sign, ids, comment), stream_out)


# ---------------------------------------------------------------------------------------- check

CHECK_EPILOG = """Examples:

  optsuite solve submodular examples/submodular/wine.csv --k 5 --out sol.json && optsuite check submodular examples/submodular/wine.csv sol.json

  optsuite solve submodular examples/submodular/wine.csv --k 5 --stream examples/submodular/wine_ops.txt --out dyn.json && optsuite check submodular examples/submodular/wine.csv dyn.json --stream examples/submodular/wine_ops.txt
"""


def check(
    input: Annotated[str, typer.Argument(metavar="INPUT", show_default=False,
                                         help="The problem file the solution was computed for.")],
    solution: Annotated[Path, typer.Argument(metavar="SOLUTION", show_default=False,
                                             help="Solution JSON written by `optsuite solve submodular`.")],
    objective: Annotated[Optional[Objective], typer.Option(show_default="the solution's",
                                                           help="The function f.")] = None,
    metric: Annotated[Optional[Metric], typer.Option(show_default="the solution's", help="facility-location "
                                                     "similarity.")] = None,
    gamma: Annotated[Optional[float], typer.Option(min=0, show_default="the solution's", help="rbf width.")] = None,
    knn: Annotated[Optional[int], typer.Option("--knn", min=1, show_default="the solution's",
                                               help="Nearest neighbours kept.")] = None,
    concave: Annotated[Optional[Concave], typer.Option(show_default="the solution's",
                                                       help="feature-based phi.")] = None,
    dtype: Annotated[Optional[Dtype], typer.Option(show_default="the solution's",
                                                   help="Storage of a dense facility-location similarity.")] = None,
    item_weights: Annotated[Optional[Path], typer.Option("--item-weights", metavar="FILE",
                                                         show_default="the solution's",
                                                         help="coverage: the item weights used to solve.")] = None,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", show_default="detect",
                                                   help="Whether the CSV's first line names the columns.")] = None,
    stream: Annotated[Optional[Path], typer.Option("--stream", metavar="OPS.txt",
                                                   help="The stream the solution was maintained over: its elements "
                                                   "must be live at the end.")] = None,
    rtol: Annotated[float, typer.Option(min=0, help="Relative tolerance for the objective.")] = 1e-9,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
):
    """Check a submodular solution: its ids exist and are distinct, it has at most k elements, f of it
    (recomputed from INPUT) equals the reported objective, and with --stream its elements are live
    after the last update. Prints a JSON report; exit code 3 if any check fails."""
    import numpy as np

    from optsuite.problems import submodular as problem_io

    sol = problem_io.load_solution(solution)
    fn = sol.get("function", {}) if isinstance(sol.get("function"), dict) else {}
    objective = objective or Objective(fn.get("kind", "facility-location"))
    metric = metric or Metric(fn.get("metric") or "euclidean")
    gamma = gamma if gamma is not None else fn.get("gamma")
    knn = knn if knn is not None else fn.get("knn")
    concave = concave or Concave(fn.get("concave") or "sqrt")
    dtype = dtype or Dtype(fn.get("dtype") or "float64")
    if item_weights is None and fn.get("item_weights") and objective is Objective.coverage:
        item_weights = Path(fn["item_weights"])
    _check_objective_options(objective, metric, gamma, knn, dtype)
    problem = problem_io.load(input, objective=objective.value, precomputed=metric is Metric.precomputed,
                              header=header, item_weights=item_weights)
    f, _ = _build_objective(problem, objective, metric, gamma, knn, concave, None, dtype)
    index = problem.index_of()
    sel = sol["selected"]
    checks = []

    def record(name, ok, detail=""):
        checks.append({"check": name, "ok": bool(ok), "detail": detail})

    unknown = [v for v in sel if v not in index]
    record("ids exist", not unknown, f"unknown id {unknown[0]}" if unknown else f"{len(sel)} ids")
    record("ids distinct", len(set(sel)) == len(sel))
    if "k" in sol:
        record("at most k elements", len(sel) <= sol["k"], f"k = {sol['k']}, {len(sel)} elements")
    report = {"problem": "submodular", "input": input, "solution": str(solution), "function": f.describe()}
    if not unknown:
        rows = np.array([index[v] for v in sel], dtype=np.int64)
        value = f.value(rows)
        report["objective"] = value
        if sol.get("objective") is not None:
            diff = abs(sol["objective"] - value) / max(abs(value), 1e-300)
            record("objective", diff <= rtol, f"reported {sol['objective']!r}, recomputed {value!r}, relative "
                   f"difference {diff:.3g} (tolerance {rtol:g})")
        if stream is not None:
            sign, ids, _ = problem_io.load_stream(stream, problem)
            live = np.zeros(problem.n, dtype=np.bool_)
            for s, x in zip(sign.tolist(), ids.tolist()):
                live[x] = s > 0
            dead = [int(problem.ids[x]) for x in rows if not live[x]]
            record("elements live after the stream", not dead, f"id {dead[0]} is not live" if dead else "")
    _run.report_checks(report, checks, quiet)


def register(solve_app, generate_app, check_app) -> None:
    solve_app.command("submodular", help=_run.help_text(SOLVE_HELP), epilog=SOLVE_EPILOG)(solve)
    generate_app.command("submodular", help=_run.help_text(generate.__doc__), epilog=GENERATE_EPILOG)(generate)
    check_app.command("submodular", help=_run.help_text(check.__doc__), epilog=CHECK_EPILOG)(check)


def warm_cache():
    """Compile the submodular kernels for every objective and algorithm; yields a label per step."""
    from optsuite.solvers.submodular import api

    for kind, sparse, metric, dtype in (("facility-location", False, "euclidean", "float64"),
                                        ("facility-location", False, "euclidean", "float32"),
                                        ("facility-location", True, "euclidean", "float64"),
                                        ("facility-location", False, "rbf", "float64"),
                                        ("facility-location", False, "rbf", "float32"),
                                        ("feature-based", False, None, "float64"),
                                        ("feature-based", True, None, "float64"), ("coverage", True, None, "float64")):
        for alg in METHODS:
            api.warm_up(kind, sparse=sparse, algorithm=alg, metric=metric, knn=sparse and metric is not None,
                        dtype=dtype)
        yield (f"{kind} {'sparse' if sparse else 'dense'}" + (f" ({metric})" if metric else "")
               + (f" {dtype}" if dtype != "float64" else ""))
