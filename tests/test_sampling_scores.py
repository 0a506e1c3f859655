"""Row scores against their definitions on tiny matrices: leverage by SVD, Lewis weights by their
fixed-point equation, exact sensitivities by cvxpy and by random directions, the proven bounds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import naive_sampling as naive
from optsuite.solvers.sampling import api, scores


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """BLAS threads only slow these tiny matrices down (spin-waiting on a shared machine)."""
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def heavy(n, d, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) * (rng.pareto(1.5, (n, 1)) + 1)


MATRICES = {
    "gaussian": lambda: np.random.default_rng(1).standard_normal((30, 4)),
    "heavy rows": lambda: heavy(40, 3, 2),
    "duplicate column": lambda: np.column_stack([heavy(25, 3, 3), heavy(25, 3, 3)[:, 0]]),
    "zero column and rows": lambda: np.column_stack([heavy(20, 2, 4), np.zeros(20)]) * (np.arange(20) % 5 != 0)[:, None],
    "wild column scales": lambda: heavy(30, 3, 5) * np.array([1e-6, 1.0, 1e6]),
    "one column": lambda: heavy(12, 1, 6),
    "square": lambda: np.random.default_rng(7).standard_normal((4, 4)),
    "one row": lambda: np.array([[1.0, -2.0, 0.5]]),
}


@pytest.mark.parametrize("name", MATRICES)
def test_basis_is_orthonormal_and_spans_the_columns(name):
    A = MATRICES[name]()
    U = scores.orthonormal_basis(A)
    assert U.shape == (A.shape[0], np.linalg.matrix_rank(A))
    np.testing.assert_allclose(U.T @ U, np.eye(U.shape[1]), atol=1e-12)
    np.testing.assert_allclose(U @ (U.T @ A), A, atol=1e-9 * np.abs(A).max())


@pytest.mark.parametrize("name", MATRICES)
def test_leverage_matches_the_svd(name):
    A = MATRICES[name]()
    tau = scores.leverage(scores.orthonormal_basis(A))
    np.testing.assert_allclose(tau, naive.leverage_svd(A), atol=1e-10)
    assert tau.sum() == pytest.approx(np.linalg.matrix_rank(A), abs=1e-10)


@pytest.mark.parametrize("p", [1.0, 1.5, 3.0, 4.0, 6.0])
@pytest.mark.parametrize("name", ["heavy rows", "duplicate column", "zero column and rows", "wild column scales"])
def test_lewis_weights_satisfy_their_fixed_point_and_sum_to_the_rank(p, name):
    A = MATRICES[name]()
    lw = scores.lewis_weights(scores.orthonormal_basis(A), p, tol=1e-11, max_iter=2000)
    w = lw["w"]
    assert lw["converged"] and lw["damping"] == (1.0 if p < 4 else 2.0 / p)
    np.testing.assert_allclose(naive.lewis_map(A, w, p), w, rtol=1e-8, atol=1e-14)
    assert w.sum() == pytest.approx(np.linalg.matrix_rank(A), rel=1e-9)
    assert (w >= 0).all() and (w[~A.any(axis=1)] == 0).all()


def test_lewis_weights_for_p2_are_the_leverage_scores():
    U = scores.orthonormal_basis(MATRICES["heavy rows"]())
    lw = scores.lewis_weights(U, 2.0)
    np.testing.assert_array_equal(lw["w"], scores.leverage(U))
    assert lw["iterations"] == 0


def test_scores_depend_only_on_the_column_space():
    A = MATRICES["heavy rows"]()
    R = np.random.default_rng(9).standard_normal((3, 3))
    for method in ("lewis", "sensitivity", "leverage", "root-leverage", "sens+lev"):
        q1 = api.row_scores(scores.orthonormal_basis(A), 1.5, method, tol=1e-12, seed=0)["q"]
        q2 = api.row_scores(scores.orthonormal_basis(A @ R), 1.5, method, tol=1e-12, seed=0)["q"]
        np.testing.assert_allclose(q1, q2, rtol=1e-6, err_msg=method)


def test_lewis_iteration_cap_is_reported():
    lw = scores.lewis_weights(scores.orthonormal_basis(MATRICES["heavy rows"]()), 1.0, tol=1e-14, max_iter=2)
    assert lw["iterations"] == 2 and not lw["converged"] and lw["residual"] > 1e-14


@pytest.mark.parametrize("p", [1.0, 1.5, 3.0])
def test_exact_sensitivities_match_cvxpy(p):
    A = heavy(14, 3, 11)
    s = scores.exact_sensitivities(scores.orthonormal_basis(A), p)
    reference = np.array([naive.exact_sensitivity(A, p, i) for i in range(A.shape[0])])
    np.testing.assert_allclose(s, reference, rtol=2e-5)


def test_exact_sensitivities_edge_cases():
    one_col = MATRICES["one column"]()
    s = scores.exact_sensitivities(scores.orthonormal_basis(one_col), 1.0)
    np.testing.assert_allclose(s, np.abs(one_col[:, 0]) / np.abs(one_col[:, 0]).sum())
    A = MATRICES["zero column and rows"]()
    s = scores.exact_sensitivities(scores.orthonormal_basis(A), 1.0)
    assert (s[~A.any(axis=1)] == 0).all() and (s <= 1 + 1e-12).all()
    square = MATRICES["square"]()  # n = d: every row is the only one reaching some direction
    np.testing.assert_allclose(scores.exact_sensitivities(scores.orthonormal_basis(square), 1.5), 1.0, rtol=1e-6)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 14), d=st.integers(1, 3),
       p=st.sampled_from([1.0, 1.25, 1.5, 2.0, 3.0, 4.5]))
@example(seed=68, n=4, d=2, p=1.5)  # a residual near zero made undamped Newton oscillate (found by hypothesis)
def test_sensitivities_lie_in_the_proven_bounds_and_the_estimate_below_them(seed, n, d, p):
    """For p <= 2: r^(p/2-1) w <= s <= min(w, tau^(p/2)); for p >= 2: w <= s <= r^(p/2-1) w; the total
    between r^(p/2) and r (in some order); every s at least what random directions reach; and with all
    rows in the denominator sample, the raw Lewis-direction estimate is at most s (one feasible x)."""
    A = heavy(n, d, seed)
    U = scores.orthonormal_basis(A)
    r = U.shape[1]
    lw = scores.lewis_weights(U, p, tol=1e-12, max_iter=3000)
    tau = scores.leverage(U)
    s = scores.exact_sensitivities(U, p)
    lower, upper = scores.sensitivity_bounds(lw["w"], tau, p, r)
    slack = 1e-6
    assert (s >= lower * (1 - slack) - 1e-12).all() and (s <= upper * (1 + slack) + 1e-12).all()
    lo, hi = api.total_sensitivity_bounds(p, r)
    assert lo * (1 - slack) <= s.sum() <= hi * (1 + slack)
    assert (s >= naive.random_sensitivity_lower_bound(A, p, 300, seed) * (1 - slack)).all()
    est = scores.estimated_sensitivities(U, p, lw, tau, np.random.default_rng(seed))
    assert (est["raw"] <= s * (1 + slack) + 1e-12).all()
    assert (est["s"] >= lower - 1e-15).all() and (est["s"] <= upper + 1e-15).all()


def test_estimate_tracks_exact_sensitivities_with_a_sampled_denominator():
    """n above the denominator sample: the estimate is no longer a proven lower bound, but stays within
    a small factor of the truth on a heavy-tailed design."""
    A = heavy(600, 3, 21)
    U = scores.orthonormal_basis(A)
    lw = scores.lewis_weights(U, 1.0, tol=1e-10)
    est = scores.estimated_sensitivities(U, 1.0, lw, scores.leverage(U), np.random.default_rng(0))
    rows = np.argsort(lw["w"])[::-40]  # heavy to light
    exact = np.array([naive.exact_sensitivity(A, 1.0, i) for i in rows])
    ratio = est["s"][rows] / exact
    assert 0.5 < ratio.min() and ratio.max() < 2.0


def test_method_definitions():
    U = scores.orthonormal_basis(MATRICES["heavy rows"]())
    tau = scores.leverage(U)
    assert (api.row_scores(U, 1.0, "uniform")["q"] == 1).all()
    np.testing.assert_array_equal(api.row_scores(U, 1.0, "leverage")["q"], tau)
    np.testing.assert_allclose(api.row_scores(U, 1.0, "root-leverage")["q"], np.sqrt(tau))
    sens = api.row_scores(U, 1.0, "sensitivity", seed=3)
    mixed = api.row_scores(U, 1.0, "sens+lev", seed=3)
    np.testing.assert_allclose(mixed["q"], sens["s"] / sens["s"].sum() + tau / U.shape[1])
    assert mixed["q"].sum() == pytest.approx(2.0)
    exact = api.row_scores(U, 1.0, "sensitivity", exact=True)
    np.testing.assert_allclose(exact["q"], scores.exact_sensitivities(U, 1.0))
