"""`optsuite solve|generate|check notears`: options and wiring for linear DAG learning (TOPO, NOTEARS)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from optsuite.cli import _run

KIND = "notears"
SUMMARY = "linear DAG learning: TOPO swaps over topological orders (default), NOTEARS; least squares, L1, L2, logistic"
METHODS = ("topo", "notears")


class Method(str, Enum):
    topo = "topo"
    notears = "notears"


class Score(str, Enum):
    ls = "ls"
    logistic = "logistic"


class H(str, Enum):
    logdet = "logdet"
    exp = "exp"
    poly = "poly"


class Graph(str, Enum):
    ER = "ER"
    SF = "SF"


class Noise(str, Enum):
    gauss = "gauss"
    exp = "exp"
    gumbel = "gumbel"
    logistic = "logistic"


ALG, SEARCH, INP, OUT, PERF = "Algorithm", "Swap search (topo)", "Input", "Output", "Performance"



SOLVE_HELP = """Learn a linear DAG from DATA (n rows x d variables; a header row names the variables, else
X0..X{d-1}). The result is a weighted adjacency matrix W: W[i, j] != 0 means the edge i -> j.

Methods: topo (default; Deng et al., ICML 2023) searches over topological orders by swapping pairs of
nodes; for each order every node is regressed on its predecessors. Candidate swaps are the
order-violating pairs with the smallest acyclicity gradient (--h); a small set (--s-small) is tried
first and, when it has no improving swap, a large one (--s-large). The sizes default to the authors'
library's. Their code also stops after one successful large-set search (--n-large 1 reproduces its
answers); that budget ends most runs early and leaves scale-free graphs far from the truth (SHD in
the hundreds at d = 100), so here the default is no cap: it costs little because least squares
scores a swap from a Cholesky factor, independent of n. --full-neighbourhood scores every pair
(best quality; seconds up to d ~ 100, minutes at d ~ 300); --init notears starts from NOTEARS.

notears (Zheng et al. 2018) is the continuous augmented-Lagrangian method; its output is thresholded.

Score: least squares 1/(2n)||X - XW||^2 (X centred) + lambda1 ||W||_1 + lambda2/2 ||W||^2, or logistic
for 0/1 data. With equal noise variances the least-squares score identifies the DAG; it depends on the
scale of each variable, so --standardize changes what is learned (and removes the variance ordering
that simulated data often carry).

Output: JSON on stdout (names, order, W raw, edges after --threshold, objective = score of the raw W,
score_refit = score refitted on the thresholded edges, is_dag, iterations, counters, timings);
--out W.csv writes the thresholded adjacency matrix (names as header row and first column).
Exit code 3 if --max-iter stopped the search, or NOTEARS did not reach h(W) <= 1e-8.
"""

SOLVE_EPILOG = """Examples:

  optsuite solve notears examples/notears/diabetes.csv --standardize --full-neighbourhood --out W.csv

  optsuite generate notears --graph SF --degree 4 --d 20 --out sf && optsuite solve notears sf/X.csv --init notears

  optsuite solve notears data.csv --init order:order.txt --s-small 30 --s-large 110 --n-large 1 --threshold 0.2
"""


def _parse_init(init: str):
    """'random' | 'notears' | 'order:FILE' | 'weights:FILE' -> (kind, path or None)."""
    from optsuite.solvers.errors import ParameterError

    kind, _, path = init.partition(":")
    if kind in ("random", "notears") and not path:
        return kind, None
    if kind in ("order", "weights") and path:
        return kind, Path(path)
    raise ParameterError("init", f"must be random, notears, order:FILE or weights:FILE; got '{init}'")


def solve(
    data: Annotated[str, typer.Argument(metavar="DATA", show_default=False, help=(
        "Observations: CSV (header row = variable names, else X0..; '-' reads stdin), .npy, or .npz (array X)."))],
    method: Annotated[Method, typer.Option(rich_help_panel=ALG, help="topo or notears (see above).")] = Method.topo,
    score: Annotated[Score, typer.Option(rich_help_panel=ALG, help=(
        "ls (least squares, the NOTEARS score) or logistic (0/1 data; needs --lambda1 or --lambda2 > 0)."))] = Score.ls,
    lambda1: Annotated[Optional[float], typer.Option("--lambda1", min=0, rich_help_panel=ALG,
                                                     show_default="0 for topo, 0.1 for notears",
                                                     help="L1 penalty (lasso per node; required edges are not "
                                                     "penalised).")] = None,
    lambda2: Annotated[float, typer.Option("--lambda2", min=0, rich_help_panel=ALG,
                                           help="L2 (ridge) penalty lambda2/2 ||W||^2; also stabilises collinear "
                                           "data.")] = 0.0,
    init: Annotated[str, typer.Option(rich_help_panel=ALG, metavar="INIT", help=(
        "topo's starting order: random (seeded); notears (run NOTEARS with lambda1 0.1, threshold its W to a "
        "DAG by dropping the weakest edges, take its order); order:FILE (one variable name per line, roots "
        "first); weights:FILE (a d x d matrix, thresholded to a DAG the same way)."))] = "random",
    seed: Annotated[int, typer.Option(min=0, rich_help_panel=ALG,
                                      help="Seed of the random initial order: same seed, same answer.")] = 0,
    h: Annotated[H, typer.Option("--h", rich_help_panel=SEARCH, help=(
        "Acyclicity function whose gradient at |W| ranks the candidates: logdet (-log det(I - |W|), the "
        "authors' default), exp (tr e^|W| - d), poly (tr (I + |W|/d)^d - d)."))] = H.logdet,
    s_small: Annotated[Optional[int], typer.Option("--s-small", min=1, rich_help_panel=SEARCH, show_default="auto",
                                                   help="Size of the small candidate set; auto = min(1.5d, "
                                                   "sqrt(d)(d-1)log10(d), d(d-1)/2).")] = None,
    s_large: Annotated[Optional[int], typer.Option("--s-large", min=1, rich_help_panel=SEARCH, show_default="auto",
                                                   help="Size of the large candidate set; auto = max(1.5d, "
                                                   "min(sqrt(d)(d-1)log10(d), d(d-1)/2)).")] = None,
    n_large: Annotated[Optional[int], typer.Option("--n-large", min=0, rich_help_panel=SEARCH,
                                                   show_default="no cap",
                                                   help="How many times a large-set search may succeed (the "
                                                   "authors' library: min(floor(d/10), 1)).")] = None,
    full_neighbourhood: Annotated[bool, typer.Option("--full-neighbourhood", rich_help_panel=SEARCH, help=(
        "Score all d(d-1)/2 swaps every iteration; stop only when none improves. Best quality; affordable "
        "for least squares up to a few hundred variables."))] = False,
    max_iter: Annotated[Optional[int], typer.Option("--max-iter", min=1, rich_help_panel=SEARCH,
                                                    show_default="max(1000, 10d)",
                                                    help="Cap on topo's outer iterations (rounds of accepted "
                                                    "swaps).")] = None,
    threshold: Annotated[float, typer.Option("--threshold", min=0, rich_help_panel=OUT,
                                             help="Edges with |w| below this are dropped from `edges` and "
                                             "--out W.csv (W keeps the raw weights).")] = 0.3,
    forbid: Annotated[Optional[Path], typer.Option(metavar="FILE", rich_help_panel=INP,
                                                   help="CSV of source,target names: edges that must not appear "
                                                   "(that regressor is dropped).")] = None,
    require: Annotated[Optional[Path], typer.Option(metavar="FILE", rich_help_panel=INP,
                                                    help="CSV of source,target names: edges that must appear "
                                                    "(orders keep source before target; never thresholded "
                                                    "away; topo only).")] = None,
    standardize: Annotated[bool, typer.Option("--standardize", rich_help_panel=INP, help=(
        "Scale every variable to mean 0, variance 1 first. Warning: the equal-variance score then learns a "
        "different graph than on the raw data; use it when units are arbitrary."))] = False,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", show_default="detect",
                                                   rich_help_panel=INP,
                                                   help="Whether the CSV's first line names the variables.")] = None,
    threads: Annotated[Optional[int], typer.Option(min=1, rich_help_panel=PERF, show_default="all cores",
                                                   help="Threads for scoring candidate swaps in parallel.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE", rich_help_panel=OUT,
                                                help="Write here instead of stdout: .json (result), .csv "
                                                "(thresholded adjacency with names), .npz (W, "
                                                "W_thresholded, order + meta).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", rich_help_panel=OUT,
                                        help="No summary, warnings or progress on stderr.")] = False,
):
    from optsuite.problems import notears as problem_io
    from optsuite.solvers.errors import ParameterError
    from optsuite.solvers.notears import api
    from optsuite.solvers.timing import PhaseTimer

    timer = PhaseTimer()
    _run.check_out(out, (".json", ".csv", ".npz"))
    init_kind, init_path = _parse_init(init)
    if method is Method.notears and init != "random":
        raise ParameterError("init", "applies to --method topo only")
    _run.refuse_overwriting_input(out, data, forbid, require, init_path)
    with timer.phase("read"):
        problem = problem_io.load(data, header=header)
        names = problem.names
        if score is Score.logistic:
            problem_io.check_binary(problem)
        forbidden = problem_io.load_edges(forbid, names) if forbid is not None else None
        required = problem_io.load_edges(require, names) if require is not None else None
        start = problem_io.load_order(init_path, names) if init_kind == "order" else None
        W0 = problem_io.load_matrix(init_path, names, "initial weight matrix")[0] if init_kind == "weights" else None
    _run.configure_threads(threads)
    with timer.phase("compile"):
        api.warm_up(score=score.value, lambda1=lambda1 or 0.0,
                    constrained=forbidden is not None or required is not None, method=method.value)
    with _run.progress_reporter(quiet, method.value) as progress, timer.phase("solve"):
        res = api.learn(problem.X, method=method.value, score=score.value, lambda1=lambda1, lambda2=lambda2, h=h.value,
                        init=init_kind, order=start, W_init=W0, seed=seed, s_small=s_small, s_large=s_large,
                        n_large=n_large, full_neighbourhood=full_neighbourhood, forbid=forbidden, require=required,
                        w_threshold=threshold, standardize=standardize, max_iter=max_iter, progress=progress)
    result = _result_document(res, data, names)
    if not result["is_dag"]:
        _run.warn(f"the thresholded graph has a cycle; raise --threshold (it becomes a DAG at "
                  f"{result['dag_threshold']:.4g})", quiet)
    W_thr = res["W_thresholded"]
    _run.finish(result, timer, out, solver_timings=res.pop("timings"),
                csv_text=lambda: problem_io.matrix_csv(W_thr, names),
                npz_arrays={"W": res["W"], "W_thresholded": W_thr,
                            "order": res["order"] if res["order"] is not None else []})
    _run.info(_summary(result), quiet)
    _run.exit_for_status(result["status"])


def _result_document(res, data, names) -> dict:
    """The JSON result: node indices become names; W stays a d x d list of lists (raw weights)."""
    from optsuite.solvers.notears.graphs import dag_threshold

    def named(order):
        return None if order is None else [names[v] for v in order]

    doc = {"problem": "notears", "input": data, "names": names}
    for key in ("method", "score", "lambda1", "lambda2", "h", "init", "standardized", "n", "d", "status", "message",
                "objective", "score_refit", "is_dag", "w_threshold"):
        doc[key] = res[key]
    doc["order"] = named(res["order"])
    if "initial_order" in res:
        doc["initial_order"] = named(res["initial_order"])
    doc["edges"] = [{"source": names[e["source"]], "target": names[e["target"]], "weight": e["weight"]}
                    for e in res["edges"]]
    doc["W"] = res["W"]
    if not res["is_dag"]:
        doc["dag_threshold"] = dag_threshold(res["W"])
    for key in ("iterations", "counters", "sizes", "notears", "history"):
        if key in res:
            doc[key] = res[key]
    doc["seed"] = res["seed"]
    return doc


def _summary(r) -> str:
    t = r["timings"]
    refit = f", refit {r['score_refit']:.10g}" if r["score_refit"] is not None else ""
    return (f"notears {r['method']}: n={r['n']} d={r['d']} objective={r['objective']:.10g}{refit}, "
            f"{len(r['edges'])} edges (|w| >= {r['w_threshold']:g}), {'a DAG' if r['is_dag'] else 'NOT a DAG'}, "
            f"{r['status']} after {r['iterations']} iterations; solve {t['solve']:.3f} s, compile "
            f"{t['compile']:.3f} s, total {t['total']:.3f} s")


GENERATE_HELP = """Write a random linear SEM with a known DAG: DIR/X.csv (n rows, header X0..X{d-1}) and
DIR/W_true.csv (the weighted adjacency, names as header row and first column). ER: degree * d edges
drawn uniformly among node pairs (ER2 = 2d edges); SF: scale-free (Barabasi-Albert, each new node
gets `degree` edges, hubs have many parents). Weights uniform in +-[0.5, 2]; noise of variance-scale 1
for every variable (gauss, exp, gumbel), or binary variables for --noise logistic."""

GENERATE_EPILOG = """Examples:

  optsuite generate notears --graph ER --degree 2 --d 20 --n 1000 --seed 0 --out er2

  optsuite generate notears --graph SF --degree 4 --d 50 --out sf4 && optsuite solve notears sf4/X.csv --full-neighbourhood
"""


def generate(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder for X.csv and W_true.csv "
                                      "(created if missing).")],
    graph: Annotated[Graph, typer.Option(help="Random graph model.")] = Graph.ER,
    degree: Annotated[float, typer.Option(min=0, help="Edges per node (ER: degree * d edges; SF: edges per new "
                                          "node).")] = 2.0,
    d: Annotated[int, typer.Option("--d", min=2, help="Number of variables.")] = 10,
    n: Annotated[int, typer.Option("--n", min=2, help="Number of samples.")] = 1000,
    noise: Annotated[Noise, typer.Option(help="Noise distribution (logistic: binary data).")] = Noise.gauss,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
):
    from optsuite.problems import io
    from optsuite.problems import notears as problem_io
    from optsuite.solvers.errors import InputError

    if out.exists() and not out.is_dir():
        raise InputError(out, "exists and is not a folder; --out names the folder for X.csv and W_true.csv")
    out.mkdir(parents=True, exist_ok=True)
    X, W = problem_io.generate(graph.value, degree, d, n, noise.value, seed)
    names = problem_io.default_names(d)
    io.write_text(problem_io.data_csv(X, names), out / "X.csv")
    io.write_text(problem_io.matrix_csv(W, names), out / "W_true.csv")
    typer.echo(f"{out / 'X.csv'}\n{out / 'W_true.csv'}")


CHECK_HELP = """Check a learned graph against DATA: verify acyclicity, recompute the score of W and the score
after refitting on its edges, and with --truth report SHD, FDR, TPR, FPR and nnz (the NOTEARS
definitions: a reversed edge counts once in SHD). SOLUTION is a W.csv written by --out (or any d x d
matrix, CSV or .npy), or the result JSON (its thresholded edges are checked and its reported scores
recomputed). Prints a JSON report; exit code 3 if a check fails."""

CHECK_EPILOG = """Examples:

  optsuite solve notears X.csv --out W.csv && optsuite check notears X.csv W.csv --truth W_true.csv

  optsuite solve notears X.csv --out sol.json && optsuite check notears X.csv sol.json
"""


def check(
    data: Annotated[str, typer.Argument(metavar="DATA", show_default=False, help="The data the graph was learned from.")],
    solution: Annotated[Path, typer.Argument(metavar="SOLUTION", show_default=False,
                                             help="W.csv / .npy matrix, or the solution JSON.")],
    truth: Annotated[Optional[Path], typer.Option(metavar="FILE", help="The true weighted adjacency (e.g. "
                                                  "W_true.csv from `generate`).")] = None,
    score: Annotated[Optional[Score], typer.Option(show_default="the solution's, else ls",
                                                   help="Score to recompute.")] = None,
    lambda1: Annotated[Optional[float], typer.Option("--lambda1", min=0, show_default="the solution's, else 0",
                                                     help="L1 penalty of the score.")] = None,
    lambda2: Annotated[Optional[float], typer.Option("--lambda2", min=0, show_default="the solution's, else 0",
                                                     help="L2 penalty of the score.")] = None,
    standardize: Annotated[Optional[bool], typer.Option("--standardize/--no-standardize",
                                                        show_default="the solution's, else no",
                                                        help="Standardise the data as the solve did.")] = None,
    header: Annotated[Optional[bool], typer.Option("--header/--no-header", show_default="detect",
                                                   help="Whether the CSV's first line names the variables.")] = None,
    rtol: Annotated[float, typer.Option(min=0, help="Relative tolerance for reported scores.")] = 1e-8,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
):
    import numpy as np

    from optsuite.problems import notears as problem_io
    from optsuite.solvers.notears import count_accuracy, make_score, topological_order

    problem = problem_io.load(data, header=header)
    names = problem.names
    d = problem.d
    sol = {}
    if solution.suffix.lower() == ".json":
        sol = problem_io.load_solution(solution)
        W = _edges_matrix(sol, names, solution)
    else:
        W = problem_io.load_matrix(solution, names)[0]
    kind = score.value if score is not None else sol.get("score", "ls")
    lam1 = lambda1 if lambda1 is not None else float(sol.get("lambda1") or 0.0)
    lam2 = lambda2 if lambda2 is not None else float(sol.get("lambda2") or 0.0)
    std = standardize if standardize is not None else bool(sol.get("standardized", False))
    X = problem.X
    if std:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    if kind == "logistic":
        problem_io.check_binary(problem)
    sc = make_score(X, kind, lam1, lam2)
    checks = []

    def record(name, ok, detail=""):
        checks.append({"check": name, "ok": bool(ok), "detail": detail})

    order = topological_order(W)
    record("is a DAG", order is not None, "" if order is not None else "the graph has a directed cycle")
    record("no self-loops", not np.diagonal(W).any())
    report = {"problem": "notears", "input": data, "solution": str(solution), "names": names, "score": kind,
              "lambda1": lam1, "lambda2": lam2, "standardized": std, "d": d, "nnz": int(np.count_nonzero(W)),
              "objective": sc.objective(W)}
    report["score_refit"] = sc.refit(W != 0, order).objective if order is not None else None
    if "score_refit" in sol and sol["score_refit"] is not None and report["score_refit"] is not None:
        _compare(record, "reported score_refit", sol["score_refit"], report["score_refit"], rtol)
    if "W" in sol and "objective" in sol:
        raw = np.asarray(sol["W"], dtype=np.float64)
        if raw.shape == (d, d):
            _compare(record, "reported objective (raw W)", sol["objective"], sc.objective(raw), rtol)
    if truth is not None:
        W_true = problem_io.load_matrix(truth, names, "true weighted adjacency matrix")[0]
        report["truth"] = str(truth)
        report["accuracy"] = count_accuracy(W_true, W)
        report["objective_truth"] = sc.objective(W_true)
    acc = report.get("accuracy")
    extra = f"; SHD {acc['shd']}, TPR {acc['tpr']:.3f}, FDR {acc['fdr']:.3f}" if acc else ""
    _run.report_checks(report, checks, quiet, subject="graph", extra=extra)


def _compare(record, name, reported, recomputed, rtol):
    diff = abs(reported - recomputed) / max(abs(recomputed), 1e-300)
    record(name, diff <= rtol, f"reported {reported!r}, recomputed {recomputed!r}, relative difference {diff:.3g}")


def _edges_matrix(sol, names, path):
    """The thresholded W of a solution JSON, from its `edges` (names) or else its raw `W`."""
    import numpy as np

    from optsuite.solvers.errors import InputError

    d = len(names)
    if sol.get("names") is not None and list(sol["names"]) != list(names):
        raise InputError(path, "the solution's variable names differ from the data's")
    if "edges" not in sol:
        W = np.asarray(sol["W"], dtype=np.float64)
        if W.shape != (d, d):
            raise InputError(path, f"'W' is {W.shape}, expected {d} x {d}", field="W")
        return W
    index = {name: j for j, name in enumerate(names)}
    W = np.zeros((d, d))
    for k, e in enumerate(sol["edges"]):
        try:
            W[index[e["source"]], index[e["target"]]] = float(e["weight"])
        except (KeyError, TypeError, ValueError):
            raise InputError(path, f"edge {k + 1} is not {{source, target, weight}} with names of the data",
                             field="edges") from None
    return W


def register(solve_app, generate_app, check_app) -> None:
    solve_app.command("notears", help=_run.help_text(SOLVE_HELP), epilog=SOLVE_EPILOG)(solve)
    generate_app.command("notears", help=_run.help_text(GENERATE_HELP), epilog=GENERATE_EPILOG)(generate)
    check_app.command("notears", help=_run.help_text(CHECK_HELP), epilog=CHECK_EPILOG)(check)


def warm_cache():
    """Compile every notears kernel: least squares, lasso and logistic, with and without constraints."""
    from optsuite.solvers.notears import api

    for score, lambda1 in (("ls", 0.0), ("ls", 0.1), ("logistic", 0.0), ("logistic", 0.1)):
        for constrained in (False, True):
            api.warm_up(score=score, lambda1=lambda1, constrained=constrained)
        yield f"{score}{' l1' if lambda1 else ''}"
