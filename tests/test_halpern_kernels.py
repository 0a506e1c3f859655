"""halpern kernels against the references of naive_halpern.py: projections, operators, residuals,
certificates, constants, every method iterate for iterate, oracle accounting, seeds, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import naive_halpern as N
from optsuite.solvers import halpern as H
from optsuite.solvers.errors import ParameterError
from optsuite.solvers.halpern import _kernels as K
from optsuite.solvers.halpern.certificate import F, normal_cone_distance, project
from optsuite.solvers.halpern.constants import lipschitz

RNG = np.random.default_rng(20240501)


# ------------------------------------------------------------------------------- tiny problems

def _game(split, m=3, q=4, n=5, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, m, q)) if split == "components" else rng.standard_normal((m, q))
    comps, _ = N.game_components(A, split)
    return H.matrix_game(A, split), comps, N.projector([(m, "simplex", 1.0), (q, "simplex", 1.0)])


def _quadratic(seed=0, n=4, dx=3, dy=2, mu=0.1):
    rng = np.random.default_rng(seed)
    U, V = rng.standard_normal((n, dx)), rng.standard_normal((n, dy))
    Q = np.einsum("ni,nj->nij", U, U) / n + mu * np.eye(dx)
    R = np.einsum("ni,nj->nij", V, V) / n + mu * np.eye(dy)
    B = rng.standard_normal((n, dx, dy))
    cx, cy = rng.standard_normal((n, dx)), rng.standard_normal((n, dy))
    box = {"type": "box", "lo": -0.5, "hi": 0.5}
    return (H.quadratic(Q, B, R, cx, cy, box, "free"), N.quadratic_components(Q, B, R, cx, cy),
            N.projector([(dx, "box", (-0.5, 0.5)), (dy, "free", None)]))


def _lsq(seed=0, n=6, d=3, box=True):
    rng = np.random.default_rng(seed)
    A, b = rng.standard_normal((n, d)), rng.standard_normal(n)
    spec = {"type": "box", "lo": -0.2, "hi": 0.3} if box else {"type": "ball", "radius": 0.5}
    blocks = [(d, "box", (-0.2, 0.3))] if box else [(d, "ball", 0.5)]
    return H.least_squares(A, b, spec), N.lsq_components(A, b), N.projector(blocks)


def _affine(seed=0, n=3, d=4):
    rng = np.random.default_rng(seed)
    K_ = rng.standard_normal((n, d, d))
    M = (K_ - K_.transpose(0, 2, 1)) / 2 + 0.2 * np.eye(d)
    q = rng.standard_normal((n, d))
    return H.affine(M, q, {"type": "simplex", "radius": 2.0}), N.affine_components(M, q), \
        N.projector([(d, "simplex", 2.0)])


PROBLEMS = {"game-components": lambda: _game("components"), "game-rows": lambda: _game("rows"),
            "game-columns": lambda: _game("columns"), "quadratic": _quadratic, "lsq-box": _lsq,
            "lsq-ball": lambda: _lsq(box=False), "affine-simplex": _affine}


# ---------------------------------------------------------------------------------- projections

def _simplex_sets(d, radius=1.0):
    return (np.array([K.SIMPLEX]), np.array([0]), np.array([d]), np.array([radius]), np.full(d, -np.inf),
            np.full(d, np.inf))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e3, 1e3)), st.floats(1e-3, 1e3))
def test_simplex_projection_matches_bisection(v, radius):
    out = np.empty_like(v)
    K.project(_simplex_sets(v.size, radius), v, out)
    ref = N.project_simplex(v, radius)
    assert (out >= 0).all()
    # tau carries the rounding of the entries' magnitude: eps * sum|v| on the sum
    assert out.sum() == pytest.approx(radius, abs=1e-14 * (radius + np.abs(v).sum()))
    np.testing.assert_allclose(out, ref, atol=1e-9 * max(1.0, np.abs(v).max(), radius))


@pytest.mark.parametrize("v", [np.ones(7), np.zeros(5), np.array([3.0]), np.array([1.0, 1.0, -50.0, 1.0]),
                               2.0 ** -np.arange(60), np.array([0.2, 0.2, 0.6]), np.full(1000, 1e-3)])
def test_simplex_projection_edge_cases(v):
    """Ties, one entry, a point already on the simplex, geometric decay (many Newton passes)."""
    out = np.empty_like(v)
    K.project(_simplex_sets(v.size), v, out)
    np.testing.assert_allclose(out, N.project_simplex(v), atol=1e-12)
    assert out.sum() == pytest.approx(1.0, abs=1e-12)


def test_simplex_projection_matches_cvxpy():
    import cvxpy as cp

    v = RNG.standard_normal(12)
    x = cp.Variable(12)
    cp.Problem(cp.Minimize(cp.sum_squares(x - v)), [x >= 0, cp.sum(x) == 3.0]).solve(solver=cp.CLARABEL)
    out = np.empty(12)
    K.project(_simplex_sets(12, 3.0), v, out)
    np.testing.assert_allclose(out, x.value, atol=1e-7)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, 9, elements=st.floats(-10, 10)))
def test_product_projection_box_ball_free_simplex(v):
    p = H.affine(np.eye(9)[None], None, "free")
    p.blocks = [H.problem.as_block({"type": "box", "lo": [-1, 0], "hi": 1}, 2, "a"),
                H.problem.as_block({"type": "ball", "radius": 1.5}, 3, "b"),
                H.problem.as_block("free", 1, "c"), H.problem.as_block("simplex", 3, "d")]
    proj = N.projector([(2, "box", (np.array([-1.0, 0.0]), 1.0)), (3, "ball", 1.5), (1, "free", None),
                        (3, "simplex", 1.0)])
    np.testing.assert_allclose(project(p, v), proj(v), atol=1e-10)


# ------------------------------------------------------------------------------------ operators

@pytest.mark.parametrize("name", list(PROBLEMS))
def test_full_operator_and_component_differences(name):
    problem, comps, _ = PROBLEMS[name]()
    u, v = RNG.standard_normal(problem.d), RNG.standard_normal(problem.d)
    np.testing.assert_allclose(F(problem, u), N.full(comps, u), atol=1e-12)
    for i in range(problem.n):
        out = np.zeros(problem.d)
        K.comp_add(problem.op, i, u - v, 1.0, out)
        np.testing.assert_allclose(out, comps[i](u) - comps[i](v), atol=1e-11)
        t_out, e = np.zeros(problem.d), RNG.standard_normal(problem.d)
        K.comp_add_t(problem.op, i, e, 1.0, t_out)  # <J_i u, e> = <u, J_i^T e>
        assert out @ e == pytest.approx((u - v) @ t_out, rel=1e-10, abs=1e-10)


# ------------------------------------------------------------------------------------ constants

def _tangent(problem):
    T = np.eye(problem.d)
    start = 0
    for b in problem.blocks:
        if b.kind == "simplex":
            T[start:start + b.size, start:start + b.size] -= 1.0 / b.size
        start += b.size
    return T


def _jacobians(comps, d):
    return [np.column_stack([Fi(e) - Fi(np.zeros(d)) for e in np.eye(d)]) for Fi in comps]


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_lipschitz_constants_on_the_tangent_space(name):
    problem, comps, _ = PROBLEMS[name]()
    T, J = _tangent(problem), _jacobians(comps, problem.d)
    L_F = np.linalg.norm(T @ (sum(J) / len(J)) @ T, 2)
    L_Q = math.sqrt(np.linalg.eigvalsh(sum((T @ Ji @ T).T @ (T @ Ji @ T) for Ji in J) / len(J))[-1])
    assert lipschitz(problem) == pytest.approx(L_F, rel=1e-9)
    assert lipschitz(problem, average=True) == pytest.approx(L_Q, rel=1e-9)


def test_lipschitz_by_lanczos_matches_dense_on_a_larger_problem():
    problem = H.matrix_game(RNG.standard_normal((3, 50, 40)))
    T = _tangent(problem)
    Abar = problem.mean
    J = np.block([[np.zeros((50, 50)), Abar], [-Abar.T, np.zeros((40, 40))]])
    assert lipschitz(problem) == pytest.approx(np.linalg.norm(T @ J @ T, 2), rel=1e-7)


def test_tangent_space_constant_is_much_smaller_for_the_policeman_game():
    from optsuite.problems.halpern import generate

    A = generate("matrix-game", game="policeman", components=60, dim=60, seed=1)[0]["A"]
    problem = H.matrix_game(A, "rows")
    assert lipschitz(problem) < np.linalg.norm(A, 2) / 10


def test_cocoercivity_of_the_families():
    game, _, _ = _game("rows")
    L, reason = H.cocoercivity(game)
    assert math.isinf(L) and "not cocoercive" in reason
    for problem, comps, _ in (_lsq(), _quadratic(), _affine_symmetric()):
        L, _ = H.cocoercivity(problem)
        # <F u - F v, u - v> >= ||F u - F v||^2 / L, tight to 1e-6 over directions
        ratios = []
        for _ in range(300):
            u, v = RNG.standard_normal(problem.d), RNG.standard_normal(problem.d)
            dF = N.full(comps, u) - N.full(comps, v)
            assert dF @ (u - v) * L >= dF @ dF * (1 - 1e-9)
            ratios.append(dF @ dF / (dF @ (u - v)))
        assert max(ratios) <= L and max(ratios) > 0.3 * L
    skew = H.affine(np.array([[[0.0, 1.0], [-1.0, 0.0]]]), None, "free")
    assert math.isinf(H.cocoercivity(skew)[0])


def _affine_symmetric(seed=1, n=3, d=4):
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((n, d, d))
    M = np.einsum("nij,nkj->nik", G, G) / d
    return H.affine(M, None, "free"), N.affine_components(M, np.zeros((n, d))), N.projector([(d, "free", None)])


def test_auto_picks_by_family():
    """Cocoercive with a constant near L_F (least squares, symmetric affine): vr-halpern; games and
    coupled saddles: vr-inexact from AUTO_VR_MIN_N components on, deterministic halpern below (these
    fixtures have 3 and 4); `halpern` follows suit."""
    picks = {name: H.resolve_variant(build()[0], "auto")[0] for name, build in
             [("lsq", _lsq), ("sym", _affine_symmetric), ("game", lambda: _game("rows")),
              ("quad", lambda: _quadratic(mu=1e-3))]}
    assert picks == {"lsq": "vr-halpern", "sym": "vr-halpern", "game": "halpern-ppa", "quad": "halpern-ppa"}
    many = H.matrix_game(np.random.default_rng(0).normal(size=(H.api.AUTO_VR_MIN_N, 3, 3)))
    assert H.resolve_variant(many, "auto")[0] == "vr-inexact"
    assert H.resolve_variant(_lsq()[0], "halpern")[0] == "halpern-fb"
    assert H.resolve_variant(_quadratic(mu=1e-3)[0], "halpern")[0] == "halpern-ppa"
    # a game of one component: vr-inexact cannot sample, so auto runs deterministic halpern
    assert H.resolve_variant(H.matrix_game(np.array([[[2.0, -1.0], [0.0, 1.0]]])), "auto")[0] == "halpern-ppa"


# ------------------------------------------------------------------------------------ residuals

def test_residual_definitions_on_matching_pennies():
    """A = [[1, -1], [-1, 1]]: value 0 at x = y = (1/2, 1/2); at pure x = (1, 0), y = (1/2, 1/2) the
    residual, gap and value bounds are known in closed form."""
    problem = H.matrix_game(np.array([[1.0, -1.0], [-1.0, 1.0]]), "rows")
    cert = H.certificate(problem, np.array([0.5, 0.5, 0.5, 0.5]))
    assert cert["residual"] == 0 and cert["gap"] == 0 and cert["opnorm_at_zbar"] == 0
    z = np.array([1.0, 0.0, 0.5, 0.5])
    cert = H.certificate(problem, z)
    # F(z) = (A y, -A^T x) = (0, 0, -1, 1); P(z - F z) = (1, 0, 1, 0)
    assert cert["residual"] == pytest.approx(math.sqrt(0.5))
    assert cert["gap"] == pytest.approx(1.0) and cert["value_bounds"] == pytest.approx([0.0, 1.0])
    assert cert["objective"] == pytest.approx(0.0)


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_residual_matches_reference_and_opnorm_bound(name):
    problem, comps, proj = PROBLEMS[name]()
    for _ in range(5):
        z = proj(RNG.standard_normal(problem.d))
        cert = H.certificate(problem, z)
        assert cert["residual"] == pytest.approx(N.residual(comps, proj, z), rel=1e-10, abs=1e-14)
        assert cert["opnorm_at_zbar"] <= (1 + lipschitz(problem)) * cert["residual"] * (1 + 1e-9) + 1e-12


def test_normal_cone_distance_matches_cvxpy():
    """dist(0, g + N_C(z)) for z on a face of the simplex x box: a small QP over the normal cone."""
    import cvxpy as cp

    problem = H.affine(np.eye(7)[None], None, "free")
    problem.blocks = [H.problem.as_block("simplex", 4, "a"),
                      H.problem.as_block({"type": "box", "lo": -1, "hi": 1}, 3, "b")]
    z = np.array([0.0, 0.7, 0.3, 0.0, -1.0, 0.2, 1.0])
    for _ in range(5):
        g = RNG.standard_normal(7)
        t, s = cp.Variable(), cp.Variable(4, nonneg=True)
        nb = cp.Variable(3)
        cons = [s[1] == 0, s[2] == 0, nb[0] <= 0, nb[1] == 0, nb[2] >= 0]
        expr = cp.hstack([g[:4] + t - s, g[4:] + nb])
        cp.Problem(cp.Minimize(cp.sum_squares(expr)), cons).solve(solver=cp.CLARABEL)
        assert normal_cone_distance(problem, z, g) == pytest.approx(math.sqrt(max(expr.value @ expr.value, 0)),
                                                                   abs=1e-6)


def test_gap_bounds_the_value_and_vanishes_at_the_lp_solution():
    from scipy.optimize import linprog

    A = RNG.standard_normal((6, 5))
    problem = H.matrix_game(A, "rows")
    lp_x = linprog(np.r_[np.zeros(6), 1], A_ub=np.hstack([A.T, -np.ones((5, 1))]), b_ub=np.zeros(5),
                   A_eq=np.r_[np.ones(6), 0][None], b_eq=[1], bounds=[(0, None)] * 6 + [(None, None)], method="highs")
    lp_y = linprog(np.r_[np.zeros(5), -1], A_ub=np.hstack([-A, np.ones((6, 1))]), b_ub=np.zeros(6),
                   A_eq=np.r_[np.ones(5), 0][None], b_eq=[1], bounds=[(0, None)] * 5 + [(None, None)], method="highs")
    z = np.concatenate([lp_x.x[:6], lp_y.x[:5]])
    cert = H.certificate(problem, z)
    assert cert["gap"] == pytest.approx(0, abs=1e-8) and cert["residual"] < 1e-7
    for _ in range(5):
        z = np.concatenate([RNG.dirichlet(np.ones(6)), RNG.dirichlet(np.ones(5))])
        lo, hi = H.certificate(problem, z)["value_bounds"]
        assert lo - 1e-9 <= lp_x.x[-1] <= hi + 1e-9


# ------------------------------------------------------------------------- methods, iterate for iterate

def _naive_run(problem, comps, proj, res, budget, seed, restart):
    z0 = proj(np.zeros(problem.d))
    p, rng = res.params, np.random.default_rng(seed)
    common = dict(tol=res.params["tol"], budget=budget, rng=rng, restart=restart)
    if res.method == "eg":
        return N.eg(comps, proj, z0, p["eta"], **common)
    if res.method == "eag":
        return N.eag(comps, proj, z0, p["eta"], **common)
    if res.method == "halpern-fb":
        return N.halpern_fb(comps, proj, z0, p["eta"], **common)
    if res.method == "halpern-ppa":
        return N.halpern_ppa(comps, proj, z0, p["eta"], p["contraction"], **common)
    if res.method == "vr-eg":
        return N.vr_eg(comps, proj, z0, p["tau"], p["p"], **common)
    if res.method == "vr-halpern":
        return N.vr_halpern(comps, proj, z0, p["eta"], p["batch"], **common)
    return N.vr_inexact(comps, proj, z0, p["eta"], p["tau"], p["p"], p["inner_iters"], **common)


CASES = [(name, v, rs) for name in PROBLEMS for v in ("eg", "eag", "halpern", "vr-eg", "vr-halpern", "vr-inexact")
         for rs in (("none", "adaptive") if v in H.ANCHORED else ("none",))]


@pytest.mark.parametrize("name,variant,restart", CASES)
def test_method_matches_the_reference_iterate_for_iterate(name, variant, restart):
    problem, comps, proj = PROBLEMS[name]()
    epochs = 40
    res = H.solve(problem, variant, restart=restart, max_oracle=epochs, tol=1e-13, seed=7, force=True)
    run = _naive_run(problem, comps, proj, res, epochs * problem.n, 7, restart == "adaptive")
    ours = np.array(res.history)
    ref = np.array([(c / problem.n, r) for c, r in run.history])
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours[:, 0], ref[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours[:, 1], ref[:, 1], rtol=1e-7, atol=1e-13)
    # the returned point is the best checked one (ties in the residual may pick another point)
    point = np.concatenate(list(res.solution.values()))
    assert N.residual(comps, proj, point) == pytest.approx(run.best_r, rel=1e-7, abs=1e-13)
    assert res.counters["oracle_calls"] == run.calls and res.counters["restarts"] == run.restarts
    assert res.status == run.status


@pytest.mark.parametrize("name,variant,restart", CASES[::3])
def test_numpy_baseline_takes_the_same_iterates(name, variant, restart):
    from optsuite.solvers.halpern import numpy_baseline

    problem, _, _ = PROBLEMS[name]()
    res = H.solve(problem, variant, restart=restart, max_oracle=30, tol=0, seed=3, force=True)
    best, best_r, hist = numpy_baseline.run(problem, res.method, res.params, z0=project(problem, np.zeros(problem.d)),
                                            tol=0, max_oracle=30, restart=restart == "adaptive", seed=3)
    np.testing.assert_allclose(np.array(hist), np.array(res.history), rtol=1e-7, atol=1e-13)
    assert best_r == pytest.approx(res.residual, rel=1e-7, abs=1e-14)


@pytest.mark.parametrize("variant", ["eg", "vr-eg", "vr-halpern", "vr-inexact", "halpern"])
def test_oracle_calls_are_counted_exactly(variant):
    problem, _, _ = _lsq(n=7)
    res = H.solve(problem, variant, max_oracle=23.5, tol=0, seed=1)
    c = res.counters
    assert c["oracle_calls"] == problem.n * c["full_evaluations"] + 2 * c["component_differences"]
    assert c["oracle_calls"] <= math.floor(23.5 * problem.n)
    assert c["epochs"] == c["oracle_calls"] / problem.n
    assert c["checks"] == len(res.history) and res.status == "max_oracle"
    assert all(e2 >= e1 for (e1, _), (e2, _) in zip(res.history, res.history[1:]))


def test_reproducible_by_seed_and_seed_matters():
    problem, _, _ = _game("components", m=6, q=5, n=8)
    a = H.solve(problem, "vr-inexact", max_oracle=50, tol=0, seed=11)
    b = H.solve(problem, "vr-inexact", max_oracle=50, tol=0, seed=11)
    c = H.solve(problem, "vr-inexact", max_oracle=50, tol=0, seed=12)
    assert a.history == b.history and a.solution["x"].tolist() == b.solution["x"].tolist()
    assert a.history != c.history


def test_halpern_residual_bound_on_a_cocoercive_problem():
    """Deterministic Halpern on the nonexpansive T = P(I - F) (unit step: L = 1) satisfies
    ||z_k - T z_k|| <= 2 ||z0 - z*|| / (k + 1) at every k (Lieder's tight rate); the recorded residual is
    exactly ||z_k - T z_k||."""
    from optsuite.problems.halpern import generate

    arrays, meta, truth = generate("least-squares", components=40, dim=8, seed=3)
    problem = H.least_squares(arrays["A"], arrays["b"], meta["x_set"])
    L = H.cocoercivity(problem)[0]
    assert L == pytest.approx(1.0, rel=1e-9)  # the generator scales to L_F = 1
    res = H.solve(problem, "halpern", restart="none", step=1.0, max_oracle=300, tol=0)
    D = np.linalg.norm(project(problem, np.zeros(problem.d)) - truth["x"])
    for k, (_, r) in enumerate(res.history):
        assert r <= 2 * D / (k + 1) * (1 + 1e-9)


def test_stops_at_tolerance_and_returns_the_checked_point():
    problem, _, _ = _lsq(n=10, d=3)
    res = H.solve(problem, "vr-eg", tol=1e-6, max_oracle=5000)
    assert res.status == "converged" and res.residual <= 1e-6
    assert res.history[-1][1] == pytest.approx(res.residual, rel=1e-12)


def test_interrupt_stops_the_run_at_its_next_check():
    """Ctrl-C (here raised by the progress callback) asks the worker thread to stop: status 'stopped',
    with the best point so far and its certificate."""
    problem, _, _ = _game("rows", m=30, q=30)
    calls = []

    def progress(done, total, text):
        calls.append(text)
        raise KeyboardInterrupt

    res = H.solve(problem, "vr-eg", max_oracle=1e9, tol=0, progress=progress)
    assert res.status == "stopped" and len(calls) == 1 and "vr-eg: epoch" in calls[0]
    assert res.residual == pytest.approx(min(r for _, r in res.history))


# ----------------------------------------------------------------------------------- edge cases

def test_degenerate_problems():
    zero = H.matrix_game(np.zeros((3, 4)), "rows")  # every point is an equilibrium
    res = H.solve(zero, "vr-inexact", tol=1e-12)
    assert res.status == "converged" and res.counters["epochs"] == 1 and res.residual == 0
    one = H.matrix_game(np.array([[[2.0]]]))  # 1 x 1 game, one component: value 2
    res = H.solve(one, "eag")
    assert res.status == "converged" and res.objective == 2.0 and res.gap == 0
    res = H.solve(H.least_squares(np.ones((1, 1)), [3.0], "free"), "auto")
    assert res.method == "vr-halpern" and res.solution["x"][0] == pytest.approx(3.0, abs=1e-6)


def test_divergence_is_reported():
    """A step far past 1/L on an unconstrained problem blows up: status diverged, and the result is the
    best finite point with its certificate."""
    problem = H.least_squares(RNG.standard_normal((20, 4)), RNG.standard_normal(20), "free")
    res = H.solve(problem, "eg", step=50.0, max_oracle=5000, tol=0)
    assert res.status == "diverged" and not res.success and np.isfinite(res.residual)
    assert res.residual == pytest.approx(min(r for _, r in res.history if np.isfinite(r)))


def test_one_epoch_budget_checks_the_start_only():
    problem, _, _ = _game("components")
    res = H.solve(problem, "eg", max_oracle=1, tol=0)
    assert res.counters["oracle_calls"] == problem.n and res.counters["checks"] == 1 and res.iterations == 0


def test_duplicate_components_change_nothing():
    A = RNG.standard_normal((2, 4, 3))
    once = H.solve(H.matrix_game(A), "eg", max_oracle=60, tol=0)
    twice = H.solve(H.matrix_game(np.concatenate([A, A])), "eg", max_oracle=60, tol=0)
    np.testing.assert_allclose(np.array(once.history), np.array(twice.history), rtol=1e-12)


# ----------------------------------------------------------------------------------- validation

@pytest.mark.parametrize("kwargs,message", [
    ({"variant": "bogus"}, "--variant: must be one of"),
    ({"restart": "sometimes"}, "--restart: must be one of"),
    ({"variant": "eg", "restart": "adaptive"}, "--restart: adaptive restart re-anchors"),
    ({"tol": -1.0}, "--tol: must be >= 0"),
    ({"max_oracle": 0.5}, "--max-oracle: must be at least 1 epoch"),
    ({"max_oracle": float("nan")}, "--max-oracle: must be a positive number"),
    ({"max_oracle": 1e300}, "--max-oracle: 1e+300 epochs of 5 calls overflow"),
    ({"step": 0.0}, "--step: must be a positive number"),
    ({"variant": "halpern", "step": 1.5}, "--step: deterministic halpern on a monotone problem"),
    ({"variant": "vr-halpern"}, "--variant: vr-halpern needs a cocoercive operator"),
    ({"variant": "vr-halpern", "force": True, "batch": 0}, "--batch: must be an integer between 1"),
    ({"variant": "vr-halpern", "force": True, "batch": 99}, "--batch: must be an integer between 1"),
    ({"variant": "vr-inexact", "inner_step": -2.0}, "--inner-step: must be a positive number"),
    ({"variant": "vr-inexact", "inner_iters": 0.0}, "--inner-iters: must be a positive number"),
    ({"seed": -3}, "--seed: must be a non-negative integer"),
    ({"z0": [1.0, 2.0]}, "--z0: must be"),
])
def test_invalid_parameters(kwargs, message):
    problem, _, _ = _game("components")
    with pytest.raises(ParameterError) as e:
        H.solve(problem, **kwargs)
    assert message in str(e.value)


def test_halpern_fb_step_limit_and_vr_inexact_needs_two_components():
    problem, _, _ = _lsq()
    with pytest.raises(ParameterError, match="nonexpansive only for eta <= 2/L"):
        H.solve(problem, "halpern", step=2.5)
    single = H.matrix_game(np.ones((1, 2, 2)))
    with pytest.raises(ParameterError, match="vr-inexact needs at least 2 components"):
        H.solve(single, "vr-inexact")


@pytest.mark.parametrize("build,message", [
    (lambda: H.matrix_game(np.ones((2, 3)), "diagonal"), "--split: must be one of"),
    (lambda: H.matrix_game(np.ones((2, 3)), "components"), "--A: must be a 3-D array"),
    (lambda: H.matrix_game(np.full((2, 2), np.nan), "rows"), "--A: must be finite"),
    (lambda: H.matrix_game(np.zeros((0, 3)), "rows"), "--A: is empty"),
    (lambda: H.quadratic(-np.ones((1, 2, 2)), np.ones((1, 2, 1)), np.ones((1, 1, 1))), "--Q: the mean of Q must be"),
    (lambda: H.quadratic(np.ones((1, 2, 2)), np.ones((1, 2, 1)), np.ones((2, 1, 1))), "--R: has shape"),
    (lambda: H.least_squares(np.ones((3, 2)), np.ones(2)), "--b: has shape"),
    (lambda: H.least_squares(np.ones((3, 2)), np.ones(3), {"type": "box", "lo": 1, "hi": 0}), "empty box"),
    (lambda: H.least_squares(np.ones((3, 2)), np.ones(3), {"type": "ball", "radius": -1}), "radius must be"),
    (lambda: H.least_squares(np.ones((3, 2)), np.ones(3), "cube"), "unknown set type"),
    (lambda: H.least_squares(np.ones((3, 2)), np.ones(3), {"type": "box", "low": 0}), "unknown key"),
    (lambda: H.affine(-np.eye(2)[None], None), "F is not monotone"),
    (lambda: H.affine(np.ones((1, 2, 3))), "components must be square"),
])
def test_invalid_problems(build, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        build()
