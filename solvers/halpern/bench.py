"""halpern cases of `optsuite bench`: validation against scipy's HiGHS (game values) and cvxpy (quadratic
saddle), convergence tables of every variant (residual at 100 and 1000 epochs, epochs to 1e-4 and 1e-6,
with and without adaptive restart), and the speed of the Numba kernels against the NUMPY BASELINE
(`numpy_baseline.py`: the same methods, iteration for iteration, in vectorised numpy with a Python loop).

Instances (generator + seed): game100 and game500 (Gaussian finite-sum games, 100 components of size
100 x 100 and 500 x 500), quad100 (quadratic saddle on [-1, 1]^200, 100 components), pb500 (the paper's
policeman-and-burglar game, 500 x 500 split by rows), lsq200 (box-constrained least squares, 200 rows
of dimension 100: cocoercive, the home ground of vr-halpern).
"""

from __future__ import annotations

import numpy as np

from optsuite.problems import halpern as problem_io

from ..bench import Case, Runner
from . import api, numpy_baseline
from .certificate import project
from .problem import least_squares, matrix_game, quadratic

#: every variant the convergence tables show: (label, variant, restart, force, step); EAG also with
#: its proven step 1/8 (EAG-C), against which the default 0.9 is measured
TABLE = [("eg", "eg", "none", False, None), ("vr-eg", "vr-eg", "none", False, None),
         ("eag", "eag", "none", False, None), ("eag+restart", "eag", "adaptive", False, None),
         ("eag step 1/8 (EAG-C)", "eag", "none", False, 0.125),
         ("halpern", "halpern", "none", False, None), ("halpern+restart", "halpern", "adaptive", False, None),
         ("vr-halpern", "vr-halpern", "none", True, None),
         ("vr-halpern+restart", "vr-halpern", "adaptive", True, None),
         ("vr-inexact", "vr-inexact", "none", False, None),
         ("vr-inexact+restart", "vr-inexact", "adaptive", False, None)]


def instance(name: str):
    """A bench instance by name: game<dim>[-n<components>], pb<dim>, quad<dim>, lsq<rows>."""
    if name.startswith("game"):
        dim, _, n = name[4:].partition("-n")
        arrays, meta, _ = problem_io.generate("matrix-game", components=int(n or 100), dim=int(dim), seed=0)
        return matrix_game(arrays["A"], meta["split"])
    if name.startswith("pb"):
        dim = int(name[2:])
        arrays, meta, _ = problem_io.generate("matrix-game", game="policeman", components=dim, dim=dim, seed=1)
        return matrix_game(arrays["A"], meta["split"])
    if name.startswith("quad"):
        arrays, meta, _ = problem_io.generate("quadratic", components=100, dim=int(name[4:]) // 2, seed=0)
        return quadratic(arrays["Q"], arrays["B"], arrays["R"], arrays["cx"], arrays["cy"], meta["x_set"],
                         meta["y_set"])
    if name.startswith("lsq"):
        n = int(name[3:])
        arrays, meta, _ = problem_io.generate("least-squares", components=n, dim=n // 2, seed=0)
        return least_squares(arrays["A"], arrays["b"], meta["x_set"])
    raise ValueError(name)


# -------------------------------------------------------------------------------------- validation

def game_value_lp(A) -> tuple[float, np.ndarray]:
    """Value and min-player strategy of min over x in the simplex, max over y of x^T A y, by HiGHS:
    minimise v subject to A^T x <= v 1, sum x = 1, x >= 0."""
    from scipy.optimize import linprog

    m, q = A.shape
    c = np.zeros(m + 1)
    c[-1] = 1.0
    res = linprog(c, A_ub=np.hstack([A.T, -np.ones((q, 1))]), b_ub=np.zeros(q),
                  A_eq=np.concatenate([np.ones(m), [0.0]])[None, :], b_eq=[1.0],
                  bounds=[(0, None)] * m + [(None, None)], method="highs")
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed: {res.message}")
    return float(res.x[-1]), res.x[:m]


def quadratic_saddle_cvxpy(problem) -> np.ndarray:
    """Saddle point of the box-constrained quadratic min_x max_y by cvxpy: the inner max over the box
    is dualised (max_y v^T y - 1/2 y^T R y over lo <= y <= hi equals the minimum over l, u >= 0 of
    l^T hi - u^T lo + 1/2 (v - l + u)^T R^-1 (v - l + u)), leaving one convex QP in (x, l, u)."""
    import cvxpy as cp

    m, J, c = problem.m, problem.mean, problem.const
    Q, B, R = J[:m, :m], J[:m, m:], J[m:, m:]
    bx, by = problem.blocks
    Rinv = np.linalg.inv((R + R.T) / 2)
    Rinv = (Rinv + Rinv.T) / 2
    x, lam, mu = cp.Variable(m), cp.Variable(by.size, nonneg=True), cp.Variable(by.size, nonneg=True)
    v = B.T @ x - c[m:] - lam + mu
    objective = 0.5 * cp.quad_form(x, (Q + Q.T) / 2) + c[:m] @ x + lam @ by.hi - mu @ by.lo \
        + 0.5 * cp.quad_form(v, cp.psd_wrap(Rinv))
    cp.Problem(cp.Minimize(objective), [x >= bx.lo, x <= bx.hi]).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11, tol_ktratio=1e-9)
    y = Rinv @ (B.T @ x.value - c[m:] - lam.value + mu.value)
    return np.concatenate([x.value, y])


def _game_validation(name, max_oracle):
    def setup():
        problem = instance(name)
        value, _ = game_value_lp(problem.mean)
        return {"problem": problem, "value": value}

    def ours(ctx):
        r = api.solve(ctx["problem"], "auto", tol=1e-9, max_oracle=max_oracle)
        err = max(abs(b - ctx["value"]) for b in r.value_bounds)
        return {"objective": r.objective, "status": r.status, "residual": r.residual, "gap": r.gap,
                "epochs": r.counters["epochs"], "lp_value": ctx["value"], "max_bound_error": err,
                "target_1e-6_met": err <= 1e-6}

    def highs(ctx):
        return {"objective": game_value_lp(ctx["problem"].mean)[0]}

    return Case(name=f"halpern/validate/{name}-vs-highs", params={"instance": name, "tol": 1e-9,
                                                                   "max_oracle": max_oracle},
                setup=setup, ours=Runner("optsuite vr-inexact+restart", ours),
                peers=[Runner("scipy linprog highs", highs)], ratio_vs="scipy linprog highs",
                same_answer_rtol=1e-3, repeats=1, warmup=0,
                note="target: both value bounds (hence the value) within 1e-6 of the LP value")


def _quadratic_validation(name):
    def setup():
        return {"problem": instance(name)}

    def ours(ctx):
        r = api.solve(ctx["problem"], "auto", tol=1e-9, max_oracle=5000)
        ctx["ours"] = np.concatenate([r.solution["x"], r.solution["y"]])
        return {"objective": r.objective, "status": r.status, "residual": r.residual,
                "epochs": r.counters["epochs"]}

    def cvx(ctx):
        z = quadratic_saddle_cvxpy(ctx["problem"])
        out = {"objective": float(api.certificate(ctx["problem"], z)["objective"])}
        if "ours" in ctx:
            out["max_abs_difference_to_ours"] = float(np.abs(z - ctx["ours"]).max())
        return out

    return Case(name=f"halpern/validate/{name}-vs-cvxpy", params={"instance": name, "tol": 1e-9},
                setup=setup, ours=Runner("optsuite vr-inexact+restart", ours),
                peers=[Runner("cvxpy clarabel", cvx)], ratio_vs="cvxpy clarabel", same_answer_rtol=1e-6,
                repeats=1, warmup=0, note="same saddle point: max |z - z_cvxpy| reported by the peer's run")


# ------------------------------------------------------------------------------------- convergence

def _first(history, tol):
    return next((e for e, r in history if r <= tol), None)


def _at(history, epochs):
    seen = [r for e, r in history if e <= epochs]
    return seen[-1] if seen else None


def _convergence_runner(label, variant, restart, force, step, max_oracle):
    def run(ctx):
        r = api.solve(ctx["problem"], variant, restart=restart, force=force, step=step, tol=1e-12,
                      max_oracle=max_oracle)
        h = r.history
        e4 = _first(h, 1e-4)
        return {"objective": r.residual, "status": r.status, "method": r.method,
                "residual_at_100": _at(h, 100), f"residual_at_{max_oracle:g}": _at(h, max_oracle),
                "epochs_to_1e-4": e4, "epochs_to_1e-6": _first(h, 1e-6),
                "oracle_calls_to_1e-4": None if e4 is None else round(e4 * ctx["problem"].n),
                "gap": r.get("gap"), "restarts": r.counters["restarts"],
                "no_guarantee": force and not r.params.get("cocoercive", True)}
    return Runner(label, run)


def _convergence_case(name, max_oracle, ours="vr-inexact+restart"):
    runners = {row[0]: _convergence_runner(*row, max_oracle) for row in TABLE}
    return Case(name=f"halpern/convergence/{name}", params={"instance": name, "max_oracle": max_oracle,
                                                             "tol": 1e-12, "seed": 0},
                setup=lambda: {"problem": instance(name)}, ours=runners.pop(ours),
                peers=list(runners.values()), same_answer_rtol=None, repeats=1, warmup=0,
                note="objective = residual after the budget; vr-halpern runs with --force where F is not "
                     "cocoercive (no guarantee, as in the paper's own game experiments)")


# ------------------------------------------------------------------------------------------- speed

def _speed_case(name, method, epochs):
    def setup():
        problem = instance(name)
        variant = method.split("-")[0] if method.startswith("halpern") else method
        # restart none: the speed per epoch is the same, and no run reaches the rounding floor, where
        # the two implementations' residuals would differ by noise
        dry = api.solve(problem, variant, max_oracle=1, tol=0, restart="none", force=True)
        return {"problem": problem, "variant": variant, "params": dry.params}

    def ours(ctx):
        r = api.solve(ctx["problem"], ctx["variant"], max_oracle=epochs, tol=0, restart="none", force=True)
        return {"objective": r.residual, "epochs": r.counters["epochs"]}

    def numpy_run(ctx):
        p = ctx["problem"]
        _, best, hist = numpy_baseline.run(p, method, ctx["params"], z0=project(p, np.zeros(p.d)), tol=0,
                                           max_oracle=epochs)
        return {"objective": best, "epochs": hist[-1][0] if hist else 0.0}

    return Case(name=f"halpern/speed/{name}-{method}", params={"instance": name, "method": method,
                                                                "epochs": epochs},
                setup=setup, ours=Runner(f"optsuite {method} (numba)", ours),
                peers=[Runner(f"numpy baseline {method}", numpy_run)], ratio_vs=f"numpy baseline {method}",
                same_answer_rtol=1e-6,
                note="same iterates (same random stream); ratio = CPU per epoch, numba / numpy; target <= 0.1")


def cases(quick: bool) -> list[Case]:
    if quick:
        return [_game_validation("game30-n10", 2000), _convergence_case("game30-n10", 200),
                _speed_case("pb100", "vr-eg", 20), _speed_case("pb100", "vr-inexact", 20)]
    out = [_game_validation("game100", 3000), _game_validation("pb100", 20000), _quadratic_validation("quad200")]
    out += [_convergence_case(name, 1000) for name in ("game100", "game500", "quad200", "pb500")]
    out.append(_convergence_case("lsq200", 1000, ours="vr-halpern+restart"))
    # epochs chosen so that our run takes about 0.1 s of CPU (timings of a few ms are noise)
    for method, epochs in (("vr-eg", 200), ("vr-halpern", 1000), ("vr-inexact", 500), ("eg", 1000),
                           ("eag", 1000), ("halpern-ppa", 1000)):
        out.append(_speed_case("pb500", method, epochs))
    for method, epochs in (("vr-eg", 200), ("vr-inexact", 1000)):
        out.append(_speed_case("game100", method, epochs))
    for method in ("vr-halpern", "halpern-fb"):
        out.append(_speed_case("lsq200", method, 2000))
    return out
