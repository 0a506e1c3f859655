"""`optsuite solve|generate|check halpern`: options and wiring for finite-sum monotone inclusions."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from optsuite.cli import _run

KIND = "halpern"
SUMMARY = ("finite-sum monotone inclusions (games, saddles, least squares): variance-reduced Halpern "
           "(Cai-Alacaoglu-Diakonikolas 2024), Halpern, EG, EAG, VR-EG")
METHODS = ("auto", "vr-halpern", "vr-inexact", "halpern", "eag", "eg", "vr-eg")


class Variant(str, Enum):
    auto = "auto"
    vr_halpern = "vr-halpern"
    vr_inexact = "vr-inexact"
    halpern = "halpern"
    eag = "eag"
    eg = "eg"
    vr_eg = "vr-eg"


class Restart(str, Enum):
    adaptive = "adaptive"
    none = "none"


class Family(str, Enum):
    matrix_game = "matrix-game"
    quadratic = "quadratic"
    least_squares = "least-squares"
    affine = "affine"


class Game(str, Enum):
    gaussian = "gaussian"
    policeman = "policeman"


class Split(str, Enum):
    components = "components"
    rows = "rows"
    columns = "columns"


class Constraint(str, Enum):
    box = "box"
    free = "free"


ALG, STOP, OUT = "Algorithm", "Stopping", "Output"

SOLVE_HELP = """Find z with 0 in F(z) + N_C(z), F = (1/n) sum_i F_i monotone, C a product of simplices, boxes,
balls or free blocks: the equilibrium of a matrix game, the saddle point of a convex-concave quadratic,
a constrained least-squares solution, or the zero of a monotone affine operator.

PROBLEM is an .npz with a JSON 'meta' header naming the family and the sets (see README, or write one
with `optsuite generate halpern`).

Variants (one oracle call = one component F_i; one epoch = n calls):
vr-halpern: the paper's Algorithm 1, for cocoercive F (least squares, strongly monotone problems):
Halpern anchoring with a recursive variance-reduced estimator, batches of about sqrt(n).
vr-inexact: the paper's Algorithm 2, for monotone Lipschitz F (games, saddles): inexact Halpern on the
resolvent of eta (F + N_C), each resolvent by loopless variance-reduced forward-reflected-backward.
halpern: deterministic Halpern (forward-backward map if F is cocoercive, else an inexact resolvent).
eg: extragradient. eag: extra-anchored gradient. vr-eg: variance-reduced EG (Alacaoglu-Malitsky).
auto (default): vr-halpern if F is cocoercive, else vr-inexact (deterministic halpern with fewer than 8
components: with so few, vr-inexact's inner steps are too long and it stalls).

Restart: the paper has none; --restart adaptive (the default for the anchored variants halpern, eag,
vr-halpern, vr-inexact) re-anchors once the residual has halved, tested only where F is computed
exactly, so it costs no oracle call. Measured (optsuite bench --only halpern/convergence/game100): on a
100x100 Gaussian game vr-inexact ends 1000 epochs at a residual of 1.0e-7 with it and 7.2e-5 without;
--restart none runs the paper's methods exactly as stated.

Step sizes come from Lipschitz constants computed on the space the iterates move in (for simplex
constraints the tangent space, where the paper's policeman matrix has norm 4.6 instead of 454):
eg, eag: eta = step / L_F; halpern: eta = step / L (the cocoercivity constant, or L_F); vr-eg:
tau = step sqrt(1/n) / L_Q; vr-halpern: eta = step / L_Q (at most 1.8 / L, the forward-backward
limit); vr-inexact: eta = step sqrt(n) / L_Q.
L_F is the Lipschitz constant of F, L_Q its on-average version. Defaults come from measurements: with
EAG's proven step (1/8, EAG-C) the residual after 1000 epochs was 4-8x larger than with 0.9 on every
bench problem; vr-inexact's inner step uses 4 where the authors' 5 stalled on a quadratic saddle.

Stops when the residual ||z - P(z - F z)|| at a point where F is exact is at most --tol, or at
--max-oracle epochs (exit 3, result still written). Output: JSON on stdout (or --out .json/.npz):
solution, residual, opnorm_at_zbar (dist(0, F + N_C) at zbar = P(z - F z)), for games the duality gap
and value bounds, objective, counters (oracle calls exactly, epochs, iterations, restarts), params,
history ([epochs, residual] at every exact check), timings, environment.
"""

SOLVE_EPILOG = """Examples:

  optsuite solve halpern examples/halpern/game100.npz

  optsuite solve halpern game.npz --variant eag --restart none --max-oracle 500 --out sol.json

  optsuite solve halpern lsq.npz --variant vr-halpern --tol 1e-8 --step 2
"""


def solve(
    problem_path: Annotated[Path, typer.Argument(metavar="PROBLEM", show_default=False,
                                                 help="Problem file (.npz with a JSON 'meta' header).")],
    variant: Annotated[Variant, typer.Option(rich_help_panel=ALG, help="Method (see above).")] = Variant.auto,
    restart: Annotated[Optional[Restart], typer.Option(
        rich_help_panel=ALG, show_default="adaptive for halpern, eag, vr-halpern, vr-inexact; none for eg, vr-eg",
        help="Re-anchor the anchored methods when the residual has halved (no extra oracle calls); "
        "none runs them as published.")] = None,
    step: Annotated[Optional[float], typer.Option(
        rich_help_panel=ALG, show_default="eg, eag 0.9; halpern 1.8 (cocoercive F) or 0.5; vr-eg 1; vr-halpern 2; vr-inexact 1",
        help="Step-size multiplier: eta = step / L for the variant's constant L (see above).")] = None,
    batch: Annotated[Optional[int], typer.Option(min=1, rich_help_panel=ALG, show_default="ceil(sqrt(n))",
                                                 help="vr-halpern: components per variance-reduced update.")] = None,
    inner_step: Annotated[Optional[float], typer.Option(
        "--inner-step", rich_help_panel=ALG, show_default="4",
        help="vr-inexact: the inner step is this times sqrt(p(1-p)) / (1 + eta L_Q), p = 1/n.")] = None,
    inner_iters: Annotated[Optional[float], typer.Option(
        "--inner-iters", rich_help_panel=ALG, show_default="0.05 (the authors')",
        help="vr-inexact: inner iterations per resolvent, ceil(this * n * ln(k+2)).")] = None,
    force: Annotated[bool, typer.Option("--force", rich_help_panel=ALG,
                                        help="Run vr-halpern on a problem that is not cocoercive (no "
                                        "convergence guarantee; the paper's own game experiments do this).")] = False,
    seed: Annotated[int, typer.Option(min=0, rich_help_panel=ALG,
                                      help="Seed of the component sampling: same seed, same answer.")] = 0,
    tol: Annotated[float, typer.Option(min=0, rich_help_panel=STOP,
                                       help="Stop when the residual ||z - P(z - F z)|| is at most this.")] = 1e-6,
    max_oracle: Annotated[float, typer.Option("--max-oracle", min=1, rich_help_panel=STOP, metavar="EPOCHS",
                                              help="Budget in epochs (one epoch = n component calls, "
                                              "counted exactly).")] = 1000.0,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE", rich_help_panel=OUT,
                                                help="Write here instead of stdout: .json (the result) or .npz "
                                                "(solution blocks and history as arrays, the rest in meta).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", rich_help_panel=OUT,
                                        help="No summary, warnings or progress on stderr.")] = False,
):
    import numpy as np

    from optsuite.problems import halpern as problem_io
    from optsuite.solvers.halpern import api
    from optsuite.solvers.timing import PhaseTimer

    timer = PhaseTimer()
    _run.check_out(out, (".json", ".npz"))
    _run.refuse_overwriting_input(out, problem_path)
    with timer.phase("read"):
        problem = problem_io.load(problem_path)
    restart_value = restart.value if restart is not None else None
    with timer.phase("compile"):
        method, _ = api.resolve_variant(problem, variant.value, force)
        api.warm_up([method])
    with _run.progress_reporter(quiet, variant.value) as progress, timer.phase("solve"):
        res = api.solve(problem, variant.value, restart=restart_value, tol=tol, max_oracle=max_oracle, step=step,
                        batch=batch, inner_step=inner_step, inner_iters=inner_iters, seed=seed, force=force,
                        progress=progress)
    solver_timings = res.pop("timings")
    result = {"problem": "halpern", "input": str(problem_path), "name": problem.name, **res}
    arrays = {**{k: np.asarray(v) for k, v in res["solution"].items()},
              "history": np.asarray(res["history"], dtype=np.float64).reshape(-1, 2)}
    _run.finish(result, timer, out, solver_timings=solver_timings, npz_arrays=arrays)
    _run.info(_summary(result), quiet)
    _run.exit_for_status(result["status"])


def _summary(r) -> str:
    gap = f", gap {r['gap']:.2e}" if "gap" in r else ""
    restart = f" (restart {r['restart']})" if r["variant"] in ("halpern", "eag", "vr-halpern", "vr-inexact") else ""
    c, t = r["counters"], r["timings"]
    return (f"halpern {r['method']}{restart}: {r['family']} n={r['n']} d={sum(r['dims'].values())}: "
            f"{r['status']}, residual {r['residual']:.3e}{gap} after {c['epochs']:.1f} epochs "
            f"({c['oracle_calls']} calls, {c['restarts']} restarts); solve {t['solve']:.3f} s, "
            f"compile {t['compile']:.3f} s, total {t['total']:.3f} s")


GENERATE_EPILOG = """Examples:

  optsuite generate halpern --family matrix-game --game gaussian --components 100 --dim 100 --out game100.npz

  optsuite generate halpern --family matrix-game --game policeman --dim 500 --seed 1 --out pb500.npz

  optsuite generate halpern --family quadratic --dim 50 --out quad.npz --truth truth.json
"""


def generate(
    family: Annotated[Family, typer.Option(help="Problem family.")] = Family.matrix_game,
    game: Annotated[Game, typer.Option(help="matrix-game: gaussian (n Gaussian matrices around a common mean, "
                                       "||mean|| = 1) or policeman (the paper's policeman-and-burglar matrix).")
                    ] = Game.gaussian,
    split: Annotated[Optional[Split], typer.Option(
        show_default="components for gaussian, rows for policeman",
        help="matrix-game: n component matrices, or one matrix split by rows or columns.")] = None,
    constraint: Annotated[Constraint, typer.Option(help="quadratic, least-squares, affine: the box [-1, 1]^d "
                                                   "or no constraint.")] = Constraint.box,
    components: Annotated[Optional[int], typer.Option(min=1, show_default="100; the rows or columns for a split "
                                                      "matrix", help="Number of components n.")] = None,
    dim: Annotated[int, typer.Option(min=1, help="Size: the game matrix is dim x dim; quadratic blocks x, y "
                                     "have dim coordinates each; least squares and affine: z has dim.")] = 100,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE.npz", show_default=False,
                                      help="The problem file to write.")] = ...,
    truth: Annotated[Optional[Path], typer.Option(metavar="FILE.json",
                                                  help="Also write the exact solution, as a solution JSON that "
                                                  "`optsuite check halpern` accepts (quadratic, least-squares, "
                                                  "affine: solutions are known by construction).")] = None,
):
    """Write a synthetic finite-sum monotone inclusion: the paper's policeman-and-burglar game, a Gaussian
    finite-sum game, a convex-concave quadratic saddle, least squares, or an affine operator."""
    from optsuite.problems import halpern as problem_io
    from optsuite.problems import io
    from optsuite.solvers.errors import ParameterError

    _run.check_out(out, (".npz",))
    if truth is not None:
        _run.check_out(truth, (".json",))
    if family is Family.matrix_game and game is Game.policeman and split is Split.components:
        raise ParameterError("split", "the policeman game is one matrix: split it by rows or columns")
    single = family is Family.matrix_game and (game is Game.policeman or split in (Split.rows, Split.columns))
    if single and components is not None and components != dim:
        raise ParameterError("components", f"a matrix split by rows or columns has one component per row or "
                             f"column: omit --components or set it to --dim {dim}")
    if family is Family.matrix_game and truth is not None:
        raise ParameterError("truth", "a game's solution is not known by construction; solve it (the "
                             "certificate includes the duality gap)")
    arrays, meta, known = problem_io.generate(family.value, components=components or (dim if single else 100),
                                              dim=dim, seed=seed, game=game.value,
                                              split=split.value if split is not None else None,
                                              constraint=constraint.value)
    problem_io.write(out, family.value, arrays, **meta)
    if truth is not None:
        io.write_json({"problem": "halpern", "name": meta["name"], "truth": True,
                       "solution": {k: v.tolist() for k, v in known.items()}}, truth)


CHECK_EPILOG = """Examples:

  optsuite solve halpern game.npz --out sol.json && optsuite check halpern game.npz sol.json

  optsuite check halpern quad.npz truth.json --tol 1e-10
"""


def check(
    problem_path: Annotated[Path, typer.Argument(metavar="PROBLEM", show_default=False,
                                                 help="The problem file the solution was computed for.")],
    solution: Annotated[Path, typer.Argument(metavar="SOLUTION", show_default=False,
                                             help="Solution written by `optsuite solve halpern` (.json or .npz).")],
    tol: Annotated[Optional[float], typer.Option(min=0, show_default="the solution's --tol, else 1e-6",
                                                 help="Largest acceptable residual.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
):
    """Check a solution without the solver: recompute its residual, the operator-norm residual at the
    forward-backward point, feasibility, for games the duality gap and value bounds, and compare them with
    what the solution reports. Prints a JSON report; exit code 3 if any check fails."""
    from optsuite.problems import halpern as problem_io
    from optsuite.solvers.halpern import certificate

    problem = problem_io.load(problem_path)
    z, sol = problem_io.load_solution(solution, problem)
    cert = certificate(problem, z)
    limit = tol if tol is not None else (sol.get("params") or {}).get("tol", 1e-6)
    checks = []

    def record(name, ok, detail=""):
        checks.append({"check": name, "ok": bool(ok), "detail": detail})

    scale = 1.0 + float(abs(z).max())
    record("feasible", cert["infeasibility"] <= 1e-9 * scale,
           f"distance to the constraint set {cert['infeasibility']:.3g}")
    record("residual", cert["residual"] <= limit, f"residual {cert['residual']:.6g} (tolerance {limit:g})")
    for key in ("residual", "gap", "objective"):
        reported, recomputed = sol.get(key), cert.get(key)
        if reported is not None and recomputed is not None:
            diff = abs(reported - recomputed)
            ok = diff <= 1e-9 * max(abs(recomputed), 1.0) + 1e-12
            record(f"reported {key}", ok, f"reported {reported!r}, recomputed {recomputed!r}")
    report = {"problem": "halpern", "input": str(problem_path), "solution": str(solution),
              "family": problem.family, **cert, "tol": limit}
    _run.report_checks(report, checks, quiet)


def register(solve_app, generate_app, check_app) -> None:
    solve_app.command("halpern", help=_run.help_text(SOLVE_HELP), epilog=SOLVE_EPILOG)(solve)
    generate_app.command("halpern", help=_run.help_text(generate.__doc__), epilog=GENERATE_EPILOG)(generate)
    check_app.command("halpern", help=_run.help_text(check.__doc__), epilog=CHECK_EPILOG)(check)


def warm_cache():
    """Compile every halpern kernel; yields a label per step."""
    from optsuite.solvers.halpern import api

    for method in ("eg", "eag", "halpern-fb", "halpern-ppa", "vr-eg", "vr-halpern", "vr-inexact"):
        api.warm_up([method])
        yield method
