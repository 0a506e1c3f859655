"""halpern solutions against independent solvers: game values against scipy's HiGHS LP (to 1e-6),
quadratic saddles and least squares against cvxpy, generated instances against their known solutions."""

from __future__ import annotations

import numpy as np
import pytest

import naive_halpern as N
from optsuite.problems.halpern import generate
from optsuite.solvers import halpern as H


@pytest.mark.parametrize("split,variant", [("components", "auto"), ("rows", "vr-inexact"), ("columns", "eag"),
                                           ("components", "vr-eg"), ("rows", "eg"), ("components", "halpern")])
def test_gaussian_game_value_matches_highs(split, variant):
    arrays, meta, _ = generate("matrix-game", components=8, dim=12, seed=5, split=split)
    problem = H.matrix_game(arrays["A"], split)
    res = H.solve(problem, variant, tol=1e-9, max_oracle=30000)
    value = N.game_value_highs(problem.mean)
    lo, hi = res.value_bounds
    assert res.status == "converged"
    assert abs(lo - value) <= 1e-6 and abs(hi - value) <= 1e-6 and abs(res.objective - value) <= 1e-6
    assert 0 <= res.gap <= 1e-6 and lo <= value + 1e-12 and value <= hi + 1e-12


def test_policeman_game_value_matches_highs():
    """The policeman game drains its last support coordinates slowly (every method plateaus; see the
    bench): 20000 epochs bring the value within 1e-6 of HiGHS's."""
    arrays, meta, _ = generate("matrix-game", game="policeman", components=100, dim=100, seed=1)
    problem = H.matrix_game(arrays["A"], meta["split"])
    res = H.solve(problem, "auto", tol=1e-9, max_oracle=20000)
    value = N.game_value_highs(problem.mean)
    assert max(abs(b - value) for b in res.value_bounds) <= 1e-6


@pytest.mark.parametrize("variant", ["auto", "vr-eg", "eag"])
def test_quadratic_saddle_matches_cvxpy(variant):
    arrays, meta, truth = generate("quadratic", components=12, dim=6, seed=2)
    problem = H.quadratic(arrays["Q"], arrays["B"], arrays["R"], arrays["cx"], arrays["cy"], meta["x_set"],
                          meta["y_set"])
    res = H.solve(problem, variant, tol=1e-10, max_oracle=100000)
    x, y = N.quadratic_saddle_cvxpy(arrays["Q"], arrays["B"], arrays["R"], arrays["cx"], arrays["cy"], -1.0, 1.0)
    np.testing.assert_allclose(res.solution["x"], x, atol=1e-6)
    np.testing.assert_allclose(res.solution["y"], y, atol=1e-6)
    np.testing.assert_allclose(res.solution["x"], truth["x"], atol=1e-6)


@pytest.mark.parametrize("constraint", ["box", "ball", "free"])
def test_least_squares_matches_cvxpy(constraint):
    rng = np.random.default_rng(8)
    A, b = rng.standard_normal((30, 6)), 3 * rng.standard_normal(30)
    spec = {"box": {"type": "box", "lo": -1, "hi": 1}, "ball": {"type": "ball", "radius": 0.5}, "free": "free"}
    res = H.solve(H.least_squares(A, b, spec[constraint]), "auto", tol=1e-10, max_oracle=20000)
    assert res.method == "vr-halpern" and res.status == "converged"
    np.testing.assert_allclose(res.solution["x"], N.least_squares_cvxpy(A, b, constraint), atol=1e-6)


@pytest.mark.parametrize("family", ["quadratic", "least-squares", "affine"])
@pytest.mark.parametrize("constraint", ["box", "free"])
def test_generated_instances_have_their_known_solution(family, constraint):
    arrays, meta, truth = generate(family, components=15, dim=6, seed=4, constraint=constraint)
    if family == "quadratic":
        problem = H.quadratic(arrays["Q"], arrays["B"], arrays["R"], arrays["cx"], arrays["cy"], meta["x_set"],
                              meta["y_set"])
    elif family == "least-squares":
        problem = H.least_squares(arrays["A"], arrays["b"], meta["x_set"])
    else:
        problem = H.affine(arrays["M"], arrays["q"], meta["z_set"])
    z = np.concatenate([truth[name] for name in problem.names])
    cert = H.certificate(problem, z)
    assert cert["residual"] < 1e-12 and cert["opnorm_at_zbar"] < 1e-12 and cert["infeasibility"] == 0
    res = H.solve(problem, "auto", tol=1e-9, max_oracle=100000)
    assert res.status == "converged"
    np.testing.assert_allclose(np.concatenate(list(res.solution.values())), z, atol=1e-5)
