"""Solve a finite-sum monotone inclusion with the paper's variance-reduced Halpern methods or a baseline,
and return a `Result`.

Paper: Cai, Alacaoglu, Diakonikolas, "Variance Reduced Halpern Iteration for Finite-Sum Monotone
Inclusions" (ICLR 2024). Variants:

- vr-halpern: Algorithm 1, for cocoercive F (Halpern anchoring with a recursive, PAGE-style estimator).
- vr-inexact: Algorithm 2, for monotone Lipschitz F (inexact Halpern on the resolvent of eta (F + G),
  each resolvent computed by loopless VR-FoRB).
- halpern: deterministic Halpern, on the forward-backward map when F is cocoercive, else on an inexact
  resolvent (Diakonikolas 2020).
- eg, eag: extragradient and extra-anchored gradient (Yoon & Ryu 2021).
- vr-eg: loopless variance-reduced extragradient (Alacaoglu & Malitsky 2022).
- auto: vr-halpern on cocoercive problems, else vr-inexact (deterministic halpern when n < 8).

Anchored variants (halpern, eag, vr-halpern, vr-inexact) accept restart='adaptive': re-anchor at the
current point once its residual has halved since the anchor, tested only where F is exact, so it costs
no oracle call. The paper has no restarts; they are measured in `optsuite bench --only halpern`.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np

from ..errors import ParameterError
from ..result import Result
from . import _kernels as _k
from .certificate import certificate, project
from .constants import cocoercivity, lipschitz

VARIANTS = ("auto", "vr-halpern", "vr-inexact", "halpern", "eag", "eg", "vr-eg")
ANCHORED = ("halpern", "eag", "vr-halpern", "vr-inexact")
RESTARTS = ("adaptive", "none")

#: default step multipliers (see `_steps` for the constant each one divides)
#: default step multipliers (see `_steps` for the constant each one divides), chosen by the measurements
#: in solvers/halpern/bench.py: EG needs eta < 1/L_F (0.9); with EAG's proven constant 1/8 (EAG-C) the
#: residual after 1000 epochs was 4-8x larger than with 0.9 on every bench instance; the forward-backward map is nonexpansive up to 2/L
#: (1.8); vr-halpern was fastest at 5/L_Q (the authors' scale) on the least-squares instance but
#: stalled at 3 on least squares with orthogonal rows (the worst case L_Q = sqrt(n) L_F), 2 did not;
#: with vr-inexact's inner scale 5 (the authors') the quadratic
#: saddle stalled at a residual of 6e-2, with 4 it reached 7e-6 (README has the commands).
DEFAULT_STEP = {"eg": 0.9, "eag": 0.9, "halpern-fb": 1.8, "halpern-ppa": 0.5, "vr-eg": 1.0,
                "vr-halpern": 2.0, "vr-inexact": 1.0}
DEFAULT_INNER_STEP = 4.0
#: auto picks vr-inexact from this many components on, deterministic halpern below. Measured on
#: 3 x 3 matrix games split into n components (`optsuite generate halpern --family matrix-game --dim 3
#: --components n --seed 0`, default budget): vr-inexact ends at a residual of 9e-2, 9e-2, 1e-2, 7e-3 for
#: n = 2, 3, 4, 6 where halpern reaches 4.7e-6; at n = 8 vr-inexact converges (9e-7) and halpern does not
AUTO_VR_MIN_N = 8
DEFAULT_INNER_ITERS = 0.05

_DRIVERS = {"eg": _k.run_eg, "eag": _k.run_eag, "halpern-fb": _k.run_halpern_fb,
            "halpern-ppa": _k.run_halpern_ppa, "vr-eg": _k.run_vr_eg, "vr-halpern": _k.run_vr_halpern,
            "vr-inexact": _k.run_vr_inexact}
#: the history keeps the first this many checks (one per epoch at most): 16 MB
HISTORY_LIMIT = 1_000_000
#: F counts as cocoercive (for choosing a method) when L_coco <= this x L_F
COCOERCIVE_RATIO = 2.0
_STATUS = {_k.CONVERGED: "converged", _k.BUDGET: "max_oracle", _k.STOPPED: "stopped",
           _k.DIVERGED: "diverged", _k.RUNNING: "max_oracle"}


def _positive(name, value, upper=None):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise ParameterError(name, f"must be a positive number, got {value!r}")
    if upper is not None and value > upper:
        raise ParameterError(name, f"must be at most {upper:g}, got {value!r}")
    return float(value)


def resolve_variant(problem, variant: str, force: bool = False) -> tuple[str, dict]:
    """The method that runs and the facts behind the choice. F counts as cocoercive for the methods
    built on the forward-backward map (vr-halpern, halpern's first form) when its cocoercivity constant
    is at most 2 L_F, as for least squares and symmetric affine operators: their steps scale with
    1/L_coco, which for strongly-but-barely monotone saddles (L_coco ~ L_F^2 / mu) is hopelessly small.
    auto: vr-halpern if so, else vr-inexact, or deterministic halpern-ppa with fewer than AUTO_VR_MIN_N
    components; halpern: on the forward-backward map if so, else on an inexact resolvent. vr-halpern on
    a problem that is not cocoercive is refused unless `force`."""
    if variant not in VARIANTS:
        raise ParameterError("variant", f"must be one of {', '.join(VARIANTS)}; got {variant!r}")
    if variant not in ("auto", "halpern", "vr-halpern"):
        return variant, {}
    L, reason = cocoercivity(problem)
    coco = L <= COCOERCIVE_RATIO * lipschitz(problem)
    if math.isfinite(L) and not coco:
        reason = (f"its cocoercivity constant {L:.3g} is more than {COCOERCIVE_RATIO:g} x its Lipschitz constant "
                  f"{lipschitz(problem):.3g}, so forward-backward steps (<= 2 / {L:.3g}) would crawl")
    facts = {"cocoercive": coco}
    if variant == "auto":
        # vr-inexact's inner loop samples among the components: with one there is nothing to sample, and
        # with few its inner steps (scaled by sqrt(p (1 - p)), p = 1/n) are too long and it stalls
        return ("vr-halpern" if coco else "vr-inexact" if problem.n >= AUTO_VR_MIN_N else "halpern-ppa"), facts
    if variant == "halpern":
        return ("halpern-fb" if coco else "halpern-ppa"), facts
    if not coco and not force:
        raise ParameterError("variant", f"vr-halpern needs a cocoercive operator and this {problem.family} "
                             f"problem's is not ({reason}); use vr-inexact (the paper's method for monotone "
                             "problems), or --force to run it without a guarantee")
    return variant, facts


def _steps(problem, method, step, batch, inner_step, inner_iters):
    """Step sizes and method parameters, from the Lipschitz/cocoercivity constants of the problem."""
    n = problem.n
    c = _positive("step", step) if step is not None else DEFAULT_STEP[method]
    prm = {"step": c}
    if method in ("eg", "eag", "halpern-ppa"):
        L = _nonzero(lipschitz(problem))
        if method == "halpern-ppa" and c >= 1:
            raise ParameterError("step", "deterministic halpern on a monotone problem computes each resolvent "
                                 "by the contraction v <- P(u - eta F v), which needs --step < 1 "
                                 f"(eta = step / L_F); got {c:g}")
        prm.update(eta=c / L, L_F=L)
        if method == "halpern-ppa":
            prm["contraction"] = c
    elif method == "halpern-fb":
        L = _nonzero(cocoercivity(problem)[0])
        if c > 2:
            raise ParameterError("step", "the forward-backward map is nonexpansive only for eta <= 2/L "
                                 f"(--step <= 2); got {c:g}")
        prm.update(eta=c / L, L_coco=L)
    elif method == "vr-eg":
        LQ = _nonzero(lipschitz(problem, average=True))
        p = 1.0 / n
        prm.update(tau=c * math.sqrt(p) / LQ, p=p, L_Q=LQ)
    elif method == "vr-halpern":
        # step / L_Q, but never past the forward-backward map's stability limit (1.8 / L_coco, as
        # halpern), which binds when the components are alike (L_Q close to L_coco), e.g. n = 1
        LQ = _nonzero(lipschitz(problem, average=True))
        L = cocoercivity(problem)[0]
        eta = c / LQ
        if L <= COCOERCIVE_RATIO * lipschitz(problem):  # not when --force runs it on a monotone problem
            eta = min(eta, DEFAULT_STEP["halpern-fb"] / _nonzero(L))
        prm.update(eta=eta, L_Q=LQ, L_coco=L)
        b = batch if batch is not None else math.ceil(math.sqrt(n))
        if isinstance(b, bool) or not isinstance(b, (int, np.integer)) or not 1 <= b <= n:
            raise ParameterError("batch", f"must be an integer between 1 and the number of components n = {n}; "
                                 f"got {b!r}")
        prm["batch"] = int(b)
    else:
        if n < 2:
            raise ParameterError("variant", "vr-inexact needs at least 2 components (its inner VR-FoRB "
                                 "refreshes with probability 1/n < 1); use halpern or eag for n = 1")
        LQ = _nonzero(lipschitz(problem, average=True))
        gamma = _positive("inner_step", inner_step) if inner_step is not None else DEFAULT_INNER_STEP
        cin = _positive("inner_iters", inner_iters) if inner_iters is not None else DEFAULT_INNER_ITERS
        p = 1.0 / n
        eta = c * math.sqrt(n) / LQ
        prm.update(eta=eta, tau=gamma * math.sqrt(p * (1 - p)) / (1 + eta * LQ), p=p, inner_step=gamma,
                   inner_iters=cin, L_Q=LQ)
    return prm


def _nonzero(L):
    """A constant of 0 means F is constant on the set: any step works; use 1."""
    return L if L > 0 else 1.0


def _kernel_params(method, prm, budget, restart):
    f = {"eg": [prm.get("eta")], "eag": [prm.get("eta")], "halpern-fb": [prm.get("eta")],
         "halpern-ppa": [prm.get("eta"), prm.get("contraction")], "vr-eg": [prm.get("tau"), prm.get("p")],
         "vr-halpern": [prm.get("eta")],
         "vr-inexact": [prm.get("eta"), prm.get("tau"), prm.get("p"), prm.get("inner_iters")]}[method]
    i = [budget, int(restart), prm.get("batch", 0)]
    return np.array(f, dtype=np.float64), np.array(i, dtype=np.int64)


def solve(problem, variant: str = "auto", *, restart: str | None = None, tol: float = 1e-6,
          max_oracle: float = 1000.0, step: float | None = None, batch: int | None = None,
          inner_step: float | None = None, inner_iters: float | None = None, seed: int = 0, z0=None,
          force: bool = False, progress=None) -> Result:
    """Find z with 0 in F(z) + N_C(z) for a `MonotoneProblem` (see `problem.py`).

    variant: one of VARIANTS. restart: 'adaptive' (default for the anchored variants) or 'none'.
    tol: stop when the residual ||z - P(z - F z)|| at a point where F is exact is <= tol.
    max_oracle: budget in epochs (one epoch = n component calls), counted exactly.
    step: multiplier of the variant's step size (eta = step / L for its constant L; see README).
    batch (vr-halpern, default ceil(sqrt n)); inner_step, inner_iters (vr-inexact: tau and the inner
    iteration count are these multiples of the paper's); seed: sampling; z0: start (default P(0));
    force: run vr-halpern on a problem that is not cocoercive; progress: callable(done, total, text).
    """
    timings = {}
    t0 = time.perf_counter()
    method, facts = resolve_variant(problem, variant, force)
    base = method.split("-")[0] if method.startswith("halpern") else method
    if restart is None:
        restart = "adaptive" if base in ANCHORED else "none"
    if restart not in RESTARTS:
        raise ParameterError("restart", f"must be one of {', '.join(RESTARTS)}; got {restart!r}")
    if restart == "adaptive" and base not in ANCHORED:
        raise ParameterError("restart", f"adaptive restart re-anchors the anchored methods "
                             f"({', '.join(ANCHORED)}); {base} has no anchor")
    tol = float(tol)
    if not tol >= 0:
        raise ParameterError("tol", f"must be >= 0, got {tol!r}")
    max_oracle = _positive("max_oracle", max_oracle)
    if max_oracle < 1:
        raise ParameterError("max_oracle", f"must be at least 1 epoch (one full evaluation of F); got {max_oracle:g}")
    if max_oracle * problem.n > 2.0 ** 62:
        raise ParameterError("max_oracle", f"{max_oracle:g} epochs of {problem.n} calls overflow the call counter")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError("seed", f"must be a non-negative integer, got {seed!r}")
    prm = _steps(problem, method, step, batch, inner_step, inner_iters)
    timings["constants"] = round(time.perf_counter() - t0, 6)

    n, d = problem.n, problem.d
    z0 = project(problem, np.zeros(d)) if z0 is None else _start(problem, z0)
    budget = int(math.floor(max_oracle * n + 1e-9))
    fprm, iprm = _kernel_params(method, prm, budget, restart == "adaptive")
    counts = np.zeros(8, dtype=np.int64)
    hist = np.zeros((min(budget // n + 2, HISTORY_LIMIT), 2))
    best = z0.copy()
    fstate = np.full(3, np.nan)
    monitor = np.zeros(4)
    rng = np.random.default_rng(seed)
    args = (problem.op, problem.sets, z0, fprm, iprm, tol, rng, counts, hist, best, fstate, monitor)
    t1 = time.perf_counter()
    _run(_DRIVERS[method], args, monitor, progress, max_oracle, n, method)
    timings["iterations"] = round(time.perf_counter() - t1, 6)

    res = Result(variant=base, method=method, requested_variant=variant, restart=restart,
                 family=problem.family, n=n, dims=problem.dims, seed=seed)
    status = int(counts[_k.STATUS])
    res.set_status(_STATUS[status], None if status == _k.CONVERGED else _detail(status, max_oracle))
    if status == _k.CONVERGED:  # the shared table's wording is about local search
        res["message"] = f"converged: residual <= --tol {tol:g}"
    t2 = time.perf_counter()
    cert = certificate(problem, best)
    timings["certificate"] = round(time.perf_counter() - t2, 6)
    calls = int(counts[_k.CALLS])
    checks = min(int(counts[_k.CHECKS]), hist.shape[0])
    res.update(objective=cert.pop("objective"), **cert,
               solution={k: v.copy() for k, v in problem.split_point(best).items()},
               iterations=int(counts[_k.ITERS]),
               counters={"oracle_calls": calls, "epochs": calls / n, "full_evaluations": int(counts[_k.FULL]),
                         "component_differences": int(counts[_k.DIFFS]), "iterations": int(counts[_k.ITERS]),
                         "inner_iterations": int(counts[_k.INNER]), "restarts": int(counts[_k.RESTARTS]),
                         "checks": int(counts[_k.CHECKS])},
               params={**facts, **prm, "tol": tol, "max_oracle_epochs": max_oracle},
               history=[[float(c) / n, float(r)] for c, r in hist[:checks]],
               timings=timings)
    return res


def _detail(status, max_oracle):
    return f"{max_oracle:g} epochs" if status in (_k.BUDGET, _k.RUNNING) else None


def _start(problem, z0) -> np.ndarray:
    z0 = np.asarray(z0, dtype=np.float64).reshape(-1)
    if z0.shape[0] != problem.d or not np.isfinite(z0).all():
        raise ParameterError("z0", f"must be {problem.d} finite numbers")
    return project(problem, z0)


def _run(driver, args, monitor, progress, max_oracle, n, method):
    """Run the kernel in a worker thread (it releases the GIL) so that the main thread can show progress
    and turn Ctrl-C into a clean stop at the kernel's next check (status 'stopped')."""
    box = {}

    def target():
        try:
            driver(*args)
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = e

    worker = threading.Thread(target=target, name="optsuite-halpern", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
            if progress is not None and worker.is_alive() and monitor[0] > 0:
                progress(int(monitor[0] / n), int(max_oracle),
                         f"{method}: epoch {monitor[0] / n:.0f}, residual {monitor[1]:.3e} (best {monitor[2]:.3e})")
    except KeyboardInterrupt:
        monitor[3] = 1.0
        worker.join()
    if "error" in box:
        raise box["error"]


def warm_up(methods=tuple(_DRIVERS)) -> None:
    """Compile (or load from the cache) the kernels that these methods (see `resolve_variant`: eg, eag,
    halpern-fb, halpern-ppa, vr-eg, vr-halpern, vr-inexact) call, plus the constants and certificate
    kernels, on tiny problems with the same dtypes: the CLI times this as the `compile` phase."""
    from .problem import least_squares, matrix_game

    rng = np.random.default_rng(0)
    game = matrix_game(rng.standard_normal((2, 3, 3)))
    lsq = least_squares(rng.standard_normal((3, 2)), rng.standard_normal(3), "simplex")
    for method in methods:
        if method not in _DRIVERS:
            raise ValueError(f"unknown method {method!r}")
        problem = lsq if method in ("halpern-fb", "vr-halpern") else game
        variant = method.split("-")[0] if method.startswith("halpern") else method
        solve(problem, variant, max_oracle=4, tol=0.0)
