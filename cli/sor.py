"""`optsuite solve|generate|check sor`: options and wiring for SOR with a learned relaxation parameter."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from optsuite.cli import _run

KIND = "sor"
SUMMARY = "SOR / SSOR on sparse linear systems, omega per instance: fixed, asymptotic, or learned by a bandit"
METHODS = ("fixed", "asymptotic", "tsallis", "tsallis-cb", "chebcb")


class Policy(str, Enum):
    fixed = "fixed"
    asymptotic = "asymptotic"
    tsallis = "tsallis"
    tsallis_cb = "tsallis-cb"
    chebcb = "chebcb"


class Sweep(str, Enum):
    forward = "forward"
    symmetric = "symmetric"


class TolRef(str, Enum):
    r0 = "r0"
    b = "b"


class Start(str, Enum):
    zero = "zero"
    previous = "previous"


class Family(str, Enum):
    shifted_laplacian = "shifted-laplacian"
    heat = "heat"


class Variance(str, Enum):
    high = "high"
    low = "low"


ALG, LEARN, STOP, INP, OUT = "Policy", "Learning", "Stopping", "Input", "Output"

SOLVE_HELP = """Solve A x = b by SOR, or a sequence A_t x = b_t with omega chosen per instance.

INPUT is one matrix (.mtx, or a scipy.sparse.save_npz .npz) with --rhs; or a sequence: an .npz with
indptr, indices, data[T, nnz], b[T, n] and optionally context[T], context_range[2] (as `optsuite
generate sor` writes); or a folder of A_*.mtx|.npz and b_*.npy|.mtx|.csv files, taken in natural name
order (A_2 before A_10), with an optional context.csv or context.npy.

Policies: fixed (--omega; 1 is Gauss-Seidel); asymptotic (omega* = 2/(1+sqrt(1-rho(J)^2)) per
instance, rho(J) an ESTIMATE by Lanczos; for symmetric matrices with a positive diagonal; exact theory
for consistently ordered matrices such as 5-point stencils); tsallis (Tsallis-INF bandit over --grid:
approaches the best fixed omega in hindsight from iteration counts alone); tsallis-cb (Tsallis-INF per
context bin); chebcb (Chebyshev regression of the cost on the context: approaches the
instance-optimal omega; the best learner when the instances differ). The context of each instance is
the file's context, else its mean diagonal entry (affine in the paper's shift and diffusion
coefficient). Learners need many instances (T >> number of grid points) to pay off.

The cost of an instance is its SOR iterations until ||b - A x|| < --tol x ||ref||; a solve stopped by
--max-iter or diverged is charged --max-iter. The residual is exact (computed with the sweep, not
estimated). --oracle also solves every instance at every grid omega, at omega = 1 and at omega*_t,
and reports the best fixed omega in hindsight, the instance-optimal total, the policy's ratio to each
and the regret curve at t = T/10, T/4, T/2, T.

Output: JSON on stdout: settings, status (converged, max_iter or diverged), objective (total cost),
totals, per-instance columns (omega, arm, iterations, cost, residual, status, context), policy_state,
oracle, timings, environment, seed; for one system also x. Exit code 3 if any instance did not
converge (the result is still written).
"""

SOLVE_EPILOG = """Examples:

  optsuite solve sor examples/sor/poisson_20x20.mtx --rhs examples/sor/poisson_20x20_b.npy --policy asymptotic --out x.npy

  optsuite generate sor --family shifted-laplacian --instances 1000 --out seq.npz && optsuite solve sor seq.npz --policy chebcb --oracle

  optsuite solve sor examples/sor/heat_folder --policy tsallis --x0 previous --tol-ref b --out solutions.npz
"""


def _parse_grid(text: str):
    from optsuite.solvers.errors import ParameterError

    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        return float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ParameterError("grid", f"expected LO:HI:N such as 1:1.95:20, got {text!r}") from None


def _parse_range(text: Optional[str]):
    from optsuite.solvers.errors import ParameterError

    if text is None:
        return None
    parts = text.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise ParameterError("context_range", f"expected A:B such as -0.15:0.65, got {text!r}") from None


def solve(
    input: Annotated[str, typer.Argument(metavar="INPUT", show_default=False, help=(
        "A matrix (.mtx or scipy .npz; needs --rhs), a sequence .npz, or a folder of A_*/b_* files."))],
    rhs: Annotated[Optional[Path], typer.Option("--rhs", metavar="FILE", rich_help_panel=INP, help=(
        "Right-hand side of a single matrix: .npy, .mtx, or one number per line."))] = None,
    context: Annotated[Optional[Path], typer.Option("--context", metavar="FILE", rich_help_panel=INP, help=(
        "One context value per instance (CSV column or .npy); overrides the sequence's own."))] = None,
    policy: Annotated[Policy, typer.Option(rich_help_panel=ALG, help="How omega is chosen per instance "
                                           "(see above).")] = Policy.fixed,
    omega: Annotated[float, typer.Option(rich_help_panel=ALG, help="fixed: the relaxation parameter, in (0, 2); "
                                         "1 is Gauss-Seidel.")] = 1.0,
    sweep: Annotated[Sweep, typer.Option(rich_help_panel=ALG, help=(
        "forward (SOR, as the paper) or symmetric (SSOR: a forward and a backward sweep per iteration; it "
        "needs more sweeps than SOR as a solver and pays off only as a preconditioner)."))] = Sweep.forward,
    grid: Annotated[str, typer.Option(metavar="LO:HI:N", rich_help_panel=LEARN, help=(
        "tsallis, tsallis-cb, chebcb and --oracle: N omegas evenly spaced from LO to HI (the paper's "
        "default; fine grids need HI near 2: a warning says when omega* lies outside)."))] = "1:1.95:20",
    bins: Annotated[int, typer.Option(min=1, rich_help_panel=LEARN, help="tsallis-cb: number of equal context "
                                      "bins.")] = 5,
    cheb_degree: Annotated[int, typer.Option("--cheb-degree", min=0, rich_help_panel=LEARN, help=(
        "chebcb: highest Chebyshev polynomial degree of the cost model (5 = the paper's 6 features)."))] = 5,
    context_range: Annotated[Optional[str], typer.Option("--context-range", metavar="A:B", rich_help_panel=LEARN,
                                                         show_default="the sequence's, else the observed range",
                                                         help="tsallis-cb, chebcb: the interval of contexts.")] = None,
    seed: Annotated[int, typer.Option(min=0, rich_help_panel=LEARN, help="Seed of the learners' random draws: "
                                      "same seed, same omegas.")] = 0,
    oracle: Annotated[bool, typer.Option("--oracle", rich_help_panel=LEARN, help=(
        "Also solve every instance at every grid omega, omega = 1 and omega*_t (about N + 2 times the work) "
        "and report the comparators and the regret curve."))] = False,
    tol: Annotated[float, typer.Option(rich_help_panel=STOP,
                                       help="Stop when ||b - A x|| < tol x ||ref||.")] = 1e-8,
    tol_ref: Annotated[Optional[TolRef], typer.Option("--tol-ref", rich_help_panel=STOP, show_default="r0", help=(
        "ref: r0 (the initial residual, as the paper) or b (as scipy's and MATLAB's cg; the usual choice "
        "with --x0 previous).")) ] = None,
    max_iter: Annotated[int, typer.Option("--max-iter", min=1, rich_help_panel=STOP, help=(
        "Iteration cap per instance; a capped or diverged solve is charged this cost."))] = 10000,
    x0: Annotated[Start, typer.Option("--x0", rich_help_panel=STOP, help=(
        "Start of each solve: zero, or previous (the solution of the previous instance: a warm start for "
        "time-stepping sequences)."))] = Start.zero,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE", rich_help_panel=OUT, help=(
        "Write here instead of stdout: .json (the result); .npz (x or x[T, n], per-instance columns, "
        "oracle table, meta); .npy (x, or x[T, n]; the JSON result then still goes to stdout, without x)."))] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", rich_help_panel=OUT,
                                        help="No summary, warnings or progress on stderr.")] = False,
):
    from optsuite.problems import sor as problem_io
    from optsuite.solvers.sor import api
    from optsuite.solvers.timing import PhaseTimer

    timer = PhaseTimer()
    _run.check_out(out, (".json", ".npz", ".npy"))
    _run.refuse_overwriting_input(out, input, rhs, context)
    grid_spec = _parse_grid(grid)
    crange = _parse_range(context_range)
    api.check_omega(omega)
    with timer.phase("read"):
        problem = problem_io.load(input, rhs=rhs, context=context)
    seq = problem.seq
    if x0 is Start.previous and tol_ref is None:
        _run.warn("--x0 previous with --tol-ref r0 asks each solve for the same relative reduction from a "
                  "better start, so warm starts save little; add --tol-ref b to stop at tol x ||b||", quiet)
    if policy.value in api.GRID_POLICIES and seq.T < 5 * grid_spec[2]:
        _run.warn(f"{seq.T} instance(s) for {grid_spec[2]} grid omegas: a bandit spends most of a short sequence "
                  "exploring; --policy asymptotic or a fixed --omega is better here", quiet)
    with timer.phase("compile"):
        api.warm_up()
    keep = problem.single or (out is not None and Path(out).suffix.lower() in (".npz", ".npy"))
    with _run.progress_reporter(quiet, policy.value) as progress, timer.phase("solve"):
        res = api.solve_sequence(seq, policy=policy.value, omega=omega, grid=grid_spec, bins=bins,
                                 cheb_degree=cheb_degree, context_range=crange, sweep=sweep.value, tol=tol,
                                 tol_ref=(tol_ref or TolRef.r0).value, max_iter=max_iter, x0=x0.value,
                                 oracle=oracle, seed=seed, keep_solutions=keep, progress=progress)
    for message in res.pop("warnings", []):
        _run.warn(message, quiet)
    solutions = res.pop("solutions", None)
    table = res["oracle"].pop("table") if "oracle" in res else None  # T x K: for --out .npz, not the JSON
    result = _result(problem, input, rhs, res, solutions)
    _write(result, res.pop("timings"), timer, out, solutions, table)
    _run.info(_summary(result), quiet)
    _run.exit_for_status(result["status"])


def _result(problem, input, rhs, res, solutions) -> dict:
    """The user-facing result: settings first, then the outcome; one system gets its x and its omega,
    iterations and residual at the top level instead of per-instance columns."""
    result = {"problem": "sor", "input": str(input), **({"rhs": str(rhs)} if rhs is not None else {}), **res}
    if problem.seq.context is not None or res["policy"] in ("tsallis-cb", "chebcb"):
        result["instances"]["context"] = problem.seq.context
    result["totals"] = {"cost": res["objective"], "iterations": res["iterations"],
                        "sweeps": res["counters"]["sweeps"]}
    if problem.single:
        cols = result.pop("instances")
        result.pop("T")
        result["omega"] = float(cols["omega"][0])
        result["residual"] = float(cols["residual"][0])
        result["x"] = solutions[0]
    return result


def _write(result, solver_timings, timer, out, solutions, table):
    """Attach timings and the environment, then write the result where --out says."""
    import time

    from optsuite.problems import io
    from optsuite.problems import sor as problem_io
    from optsuite.solvers.environment import environment, peak_rss_mib
    from optsuite.solvers.result import jsonable

    wall, _ = timer.report()
    result["timings"] = {"read": wall["read"], "compile": wall["compile"], "solve": wall["solve"],
                         **solver_timings}
    result["environment"] = environment()
    suffix = Path(out).suffix.lower() if out is not None else ".json"
    w0 = time.perf_counter()
    if suffix == ".npy":
        io.write_npy(out, problem_io.solution_matrix(solutions, out))
        result.pop("x", None)
        result["solutions_file"] = str(out)
        out = None
    else:
        io.dumps_json(jsonable(result))
    result["timings"]["write"] = round(time.perf_counter() - w0, 6)
    wall, cpu = timer.report()
    result["timings"]["total"] = wall["total"]
    result["cpu_timings"] = {p: cpu[p] for p in ("read", "compile", "solve", "total") if p in cpu}
    result["peak_rss_mib"] = peak_rss_mib()
    _run.emit(result, out, npz_arrays=problem_io.solution_arrays(result, solutions, table) if solutions else None)


def _summary(r) -> str:
    head = (f"sor {r['policy']}" + (f" omega={r['omega']:g}" if r.get("omega") is not None else "")
            + f" ({r['sweep']}): ")
    if "T" in r:
        head += f"T={r['T']} "
    head += (f"n={r['n']} total {r['objective']} iterations, {r['status']}"
             + (f" (residual {r['residual']:.3g})" if "residual" in r else ""))
    o = r.get("oracle")
    if o:
        ratios = o["ratios"]
        head += (f"; oracle: best fixed omega {o['best_fixed']['omega']:.4g} ({o['best_fixed']['total']}), "
                 f"ratio {ratios['to_best_fixed']:.3f}, instance-optimal {o['instance_optimal']['total']}, "
                 f"ratio {ratios['to_instance_optimal']:.3f}")
    t = r["timings"]
    return head + f"; solve {t['solve']:.3f} s, compile {t['compile']:.3f} s, total {t['total']:.3f} s"


GENERATE_EPILOG = """Examples:

  optsuite generate sor --family shifted-laplacian --variance high --out shift_high.npz

  optsuite generate sor --family heat --n 10000 --instances 100 --dt 0.01 --out heat.npz

  optsuite generate sor --family shifted-laplacian --instances 20 --out folder_of_systems
"""


def generate(
    family: Annotated[Family, typer.Option(help=(
        "shifted-laplacian: the paper's i.i.d. sequence, a 5-point Laplacian plus c_t I with c_t = -0.15 + "
        "0.6 Beta(a, b), b_t a radially truncated Gaussian, context c_t. heat: Crank-Nicolson steps of "
        "u_t = kappa(t) Lap u + f with kappa(t) = max(0.1 sin 2 pi t, -10 sin 2 pi t), a forcing bump "
        "circling the centre, context kappa; each b_t comes from the exact previous state."))],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="PATH", show_default=False, help=(
        "A sequence .npz (indptr, indices, data[T, nnz], b[T, n], context, context_range), or a folder "
        "(any path without .npz) of A_00001.mtx, b_00001.npy, ... and context.csv."))],
    instances: Annotated[Optional[int], typer.Option("--instances", min=1, show_default="5000 shifted, 1000 heat",
                                                     help="T: systems (heat: time steps).")] = None,
    n: Annotated[Optional[int], typer.Option("--n", min=1, show_default="100 shifted, 1024 heat", help=(
        "Unknowns: a perfect square m^2 (an m x m interior grid; the paper: 100, and 576 to 159201 for "
        "heat)."))] = None,
    variance: Annotated[Variance, typer.Option(help="shifted-laplacian: Beta(0.5, 1.5) (high) or Beta(2, 6) "
                                               "(low).")] = Variance.high,
    dt: Annotated[float, typer.Option(help="heat: time step (the period of kappa "
                                      "is 1).")] = 1e-3,
    seed: Annotated[int, typer.Option(min=0, help="shifted-laplacian: random seed (heat is deterministic).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
):
    """Write one of the paper's sequences of linear systems."""
    from optsuite.problems import sor as problem_io
    from optsuite.solvers.errors import ParameterError

    if not dt > 0:
        raise ParameterError("dt", f"must be a positive time step, got {dt:g}")
    T = instances or (5000 if family is Family.shifted_laplacian else 1000)
    size = n or (100 if family is Family.shifted_laplacian else 1024)
    m = int(round(size ** 0.5))
    if m * m != size:
        raise ParameterError("n", f"must be a perfect square m^2 (an m x m grid); {size} is not: try {m * m} "
                             f"or {(m + 1) ** 2}")
    problem_io.check_generate_memory(T, size)
    if family is Family.shifted_laplacian:
        arrays = problem_io.shifted_laplacian(T, m, variance.value, seed)
    else:
        arrays = problem_io.heat(size, T, dt)
    problem_io.write_sequence(out, arrays)
    _run.info(f"wrote {T} systems with n = {size} ({family.value}) to {out}", quiet)


CHECK_EPILOG = """Examples:

  optsuite solve sor seq.npz --policy tsallis --out sol.npz -q && optsuite check sor seq.npz sol.npz

  optsuite check sor A.mtx x.npy --rhs b.npy --tol 1e-8
"""


def check(
    input: Annotated[str, typer.Argument(metavar="INPUT", show_default=False,
                                         help="The systems the solutions are for (as given to solve).")],
    solution: Annotated[Path, typer.Argument(metavar="SOLUTION", show_default=False, help=(
        "Solutions written by `optsuite solve sor --out`: .npz, .npy, or the .json result of one system."))],
    rhs: Annotated[Optional[Path], typer.Option("--rhs", metavar="FILE", help="Right-hand side of a single "
                                                "matrix.")] = None,
    tol: Annotated[Optional[float], typer.Option(show_default="the solution's, else 1e-8",
                                                 help="Required relative residual.")] = None,
    tol_ref: Annotated[Optional[TolRef], typer.Option("--tol-ref", show_default="the solution's, else r0",
                                                      help="Reference of the relative residual.")] = None,
    x0: Annotated[Optional[Start], typer.Option("--x0", show_default="the solution's, else zero", help=(
        "The start the solutions were computed from (defines r0; previous = the solution before)."))] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
):
    """Check SOR solutions without the solver: recompute ||b_t - A_t x_t|| / ||ref_t|| for every
    instance from the matrices, compare it with --tol and with the residuals the solver reported.
    Prints a JSON report; exit code 3 if an instance misses the tolerance."""
    import numpy as np

    from optsuite.problems import sor as problem_io
    from optsuite.solvers.sor import api

    problem = problem_io.load(input, rhs=rhs)
    seq = problem.seq
    X, meta = problem_io.load_solution(solution, seq.T, [seq.n(t) for t in range(seq.T)])
    tol_v = tol if tol is not None else float(meta.get("tol", 1e-8))
    ref = tol_ref.value if tol_ref is not None else meta.get("tol_ref", "r0")
    start = x0.value if x0 is not None else meta.get("x0", "zero")
    relres = api.relative_residuals(seq, X, ref, start)
    failing = np.flatnonzero(~(relres < tol_v))
    checks = [{"check": "every solution is finite", "ok": bool(all(np.isfinite(x).all() for x in X))},
              {"check": f"relative residual < {tol_v:g}", "ok": failing.size == 0,
               "detail": (f"{failing.size} of {seq.T} instances fail, first {seq.label(int(failing[0]))} with "
                          f"{relres[failing[0]]:.3g}") if failing.size else ""}]
    reported = meta.get("residual") if problem.single else (meta.get("instances") or {}).get("residual")
    if reported is not None and not isinstance(reported, list):
        reported = [reported]
    if reported is not None and len(reported) == seq.T:
        rep = np.array([np.nan if v is None else v for v in reported], dtype=np.float64)
        off = np.abs(rep - relres) > 1e-2 * np.maximum(rep, relres) + 1e-14
        checks.append({"check": "reported residuals agree", "ok": not off.any(),
                       "detail": f"{int(off.sum())} instances differ by more than 1%" if off.any() else ""})
    report = {"problem": "sor", "input": str(input), "solution": str(solution), "T": seq.T, "tol": tol_v,
              "tol_ref": ref, "x0": start, "max_residual": float(relres.max()), "residuals": relres}
    _run.report_checks(report, checks, quiet, subject="solutions")




def register(solve_app, generate_app, check_app) -> None:
    solve_app.command("sor", help=_run.help_text(SOLVE_HELP), epilog=SOLVE_EPILOG)(solve)
    generate_app.command("sor", help=_run.help_text(generate.__doc__), epilog=GENERATE_EPILOG)(generate)
    check_app.command("sor", help=_run.help_text(check.__doc__), epilog=CHECK_EPILOG)(check)


def warm_cache():
    """Compile every SOR kernel (sweeps, fused residuals, solve loop, Lanczos); yields one label."""
    from optsuite.solvers.sor import api

    api.warm_up()
    yield "sweeps, residuals, Lanczos"
