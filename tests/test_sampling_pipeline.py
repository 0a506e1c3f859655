"""Sampling schemes (exact probabilities, unbiasedness, merged duplicates), weighted l_p regression
against cvxpy, the generator, and the whole pipeline (ratios, distortion, statuses, parameter errors)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import naive_sampling as naive
from optsuite.problems.sampling import generate
from optsuite.solvers.errors import ParameterError
from optsuite.solvers.sampling import api, lp_regression, row_sample
from optsuite.solvers.sampling.draw import iid_sample, poisson_probabilities, poisson_sample


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def heavy(n, d, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) * (rng.pareto(1.5, (n, 1)) + 1)


@pytest.fixture(scope="module")
def design():
    g = generate(5000, 5, heavy_tail=True, outliers=0.01, seed=3)
    return g["A"], g["b"]


# ----------------------------------------------------------------------------------------- kernels

@pytest.mark.parametrize("p", [1.0, 1.2, 1.5, 2.0, 2.7, 3.0, 4.0])
def test_power_sum_kernels_match_numpy(p):
    from optsuite.solvers.sampling import _kernels

    rng = np.random.default_rng(int(p * 10))
    Y = rng.standard_normal((37, 150)) * 3
    Y[0, :5] = 0.0
    c = rng.random(37)
    out = np.ones(150)
    _kernels.pow_col_sums(Y, c, p, out)
    np.testing.assert_allclose(out, 1 + (c[:, None] * np.abs(Y) ** p).sum(axis=0), rtol=1e-12)
    r, w = Y[:, 0].copy(), c.copy()
    assert _kernels.lp_loss(r, w, p) == pytest.approx(np.sum(w * np.abs(r) ** p), rel=1e-12)
    assert _kernels.lp_loss(r, None, p) == pytest.approx(np.sum(np.abs(r) ** p), rel=1e-12)
    g, h = np.empty(37), np.empty(37)
    delta = 1e-3
    f = _kernels.newton_terms(r, w, p, delta, g, h)
    assert f == pytest.approx(np.sum(w * np.abs(r) ** p), rel=1e-12)
    np.testing.assert_allclose(g, w * p * np.abs(r) ** (p - 1) * np.sign(r), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(h, w * p * (p - 1) * np.maximum(np.abs(r), delta) ** (p - 2), rtol=1e-12)


# ------------------------------------------------------------------------------------------- draws

@settings(deadline=None, max_examples=60)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), zeros=st.integers(0, 5),
       size=st.floats(1.0, 80.0))
def test_poisson_probabilities_are_min_1_cq_with_the_right_sum(seed, n, zeros, size):
    q = np.random.default_rng(seed).pareto(1.0, n) + 1e-3
    q[: min(zeros, n)] = 0.0
    pi = poisson_probabilities(q, size)
    count = int((q > 0).sum())
    assert (pi[q == 0] == 0).all() and (pi <= 1).all() and (pi >= 0).all()
    if count == 0:
        return
    if size >= count:
        assert (pi[q > 0] == 1).all()
    else:
        assert pi.sum() == pytest.approx(size, rel=1e-12)
        c = naive.poisson_constant(q, size)
        np.testing.assert_allclose(pi, np.minimum(1.0, c * q), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("p", [1.0, 1.5, 3.0])
def test_poisson_sampling_is_unbiased_for_the_lp_norm(p):
    """mean over 400 seeds of sum_S w_i |a_i x|^p is within 4 standard errors of ||Ax||_p^p, with the
    standard error from the exact variance sum (1/pi - 1) f_i^2 of the estimator."""
    A = heavy(300, 3, 1)
    x = np.array([1.0, -2.0, 0.5])
    f = np.abs(A @ x) ** p
    q = np.abs(A).sum(axis=1)
    pi = poisson_probabilities(q, 40)
    estimates = []
    for seed in range(400):
        idx, w, _ = poisson_sample(q, 40, np.random.default_rng(seed))
        estimates.append(np.sum(w * f[idx]))
    se = np.sqrt(np.sum((1 / pi - 1) * f**2) / 400)
    assert abs(np.mean(estimates) - f.sum()) <= 4 * se
    assert np.std(estimates) == pytest.approx(se * 20, rel=0.2)  # the variance formula itself


def test_iid_sampling_is_unbiased_and_merges_duplicates():
    A = heavy(200, 2, 2)
    f = np.abs(A @ np.array([1.0, 1.0]))
    q = np.linalg.norm(A, axis=1)
    prob = q / q.sum()
    estimates = []
    for seed in range(400):
        idx, w, counts = iid_sample(q, 30, np.random.default_rng(seed))
        assert (np.diff(idx) > 0).all() and counts.sum() == 30
        np.testing.assert_allclose(w, counts / (30 * prob[idx]))
        estimates.append(np.sum(w * f[idx]))
    se = np.sqrt((np.sum(f**2 / prob) - f.sum() ** 2) / 30 / 400)
    assert abs(np.mean(estimates) - f.sum()) <= 4 * se


def test_same_seed_same_sample(design):
    A, b = design
    r1 = row_sample(A, 1.0, 100, target=b, seed=5)
    r2 = row_sample(A, 1.0, 100, target=b, seed=5)
    r3 = row_sample(A, 1.0, 100, target=b, seed=6)
    assert r1.indices.tolist() == r2.indices.tolist() and r1.weights.tolist() == r2.weights.tolist()
    assert r1.indices.tolist() != r3.indices.tolist()


# -------------------------------------------------------------------------------------- regression

@pytest.mark.parametrize("p", [1.0, 1.25, 1.5, 2.0, 3.0, 5.0])
def test_weighted_lp_regression_matches_cvxpy(p):
    rng = np.random.default_rng(int(p * 10))
    A = heavy(80, 4, int(p * 3))
    b = A @ rng.standard_normal(4) + rng.laplace(size=80)
    w = rng.random(80) * 3 + 0.1
    res = lp_regression(A, b, p, w)
    _, reference = naive.lp_regression(A, b, p, w)
    assert res.status == "converged" and res.rank == 4
    assert res.objective == pytest.approx(reference, rel=1e-6)
    assert res.objective <= reference * (1 + 1e-9)  # never worse than the reference solver
    assert res.norm == pytest.approx(res.objective ** (1 / p))


@pytest.mark.parametrize("p", [1.0, 1.5, 3.0])
def test_regression_edge_cases(p):
    rng = np.random.default_rng(0)
    A = heavy(30, 3, 4)
    x = np.array([1.0, -1.0, 2.0])
    exact = lp_regression(A, A @ x, p)  # b in the column space: zero loss, x recovered
    assert exact.objective <= 1e-12 * np.abs(A @ x).sum() ** p
    np.testing.assert_allclose(exact.x, x, rtol=1e-6)
    A0 = np.column_stack([A, np.zeros(30)])  # a column no row touches: one coefficient undetermined
    b = rng.standard_normal(30)
    res = lp_regression(A0, b, p)
    assert res.rank == 3 and res.objective == pytest.approx(naive.lp_regression(A, b, p)[1], rel=1e-6)
    wide = lp_regression(A[:2], b[:2], p)  # fewer rows than columns: an exact fit
    assert wide.objective <= 1e-9


# --------------------------------------------------------------------------------------- generator

def test_generator_plants_rare_columns_on_few_heavy_rows():
    g = generate(2000, 20, heavy_tail=True, outliers=0.05, seed=1)
    A, b = g["A"], g["b"]
    assert A.shape == (2000, 20) and b.shape == (2000,) and g["rare_columns"] == [18, 19]
    touched = np.flatnonzero(A[:, 18:].any(axis=1))
    assert touched.tolist() == g["planted"].tolist() and len(touched) == 20
    assert np.abs(A[touched, 18:]).max() == 2000 / 10
    np.testing.assert_allclose(lp_regression(A, b, 1.0).x, g["x_true"], atol=0.2)
    assert generate(50, 1, seed=0)["rare_columns"] == []
    assert generate(2000, 20, seed=1)["A"].tolist() != A.tolist()  # --heavy-tail changes the design


# ---------------------------------------------------------------------------------------- pipeline

@pytest.mark.parametrize("method", api.METHODS)
def test_keeping_every_row_gives_ratio_one_and_no_distortion(method, design):
    A, b = design[0][:400], design[1][:400]
    r = row_sample(A, 1.5, 10_000, target=b, method=method, solve=True, evaluate=True)
    assert r.realised_size == 400 - int((~np.column_stack([A, b]).any(axis=1)).sum()) or method == "uniform"
    assert (r.weights == 1).all() and r.n_deterministic == r.realised_size
    assert r.evaluation["ratio"] == pytest.approx(1.0, abs=1e-9)
    assert r.evaluation["distortion"]["max"] < 1e-9


def test_importance_sampling_beats_uniform_on_the_generator(design):
    A, b = design
    for p in (1.0, 1.5, 3.0):
        ratios = {m: row_sample(A, p, 200, target=b, method=m, solve=True, evaluate=True, seed=1).evaluation
                  for m in ("lewis", "sensitivity", "uniform")}
        for m in ("lewis", "sensitivity"):
            assert 1 - 1e-9 <= ratios[m]["ratio"] < 1.05, (p, m)
        assert ratios["uniform"]["ratio"] > 1.5, p
        assert ratios["uniform"]["distortion"]["max"] > ratios["lewis"]["distortion"]["max"]


def test_result_fields_and_realised_size(design):
    A, b = design
    r = row_sample(A, 1.0, 300, target=b, method="sensitivity", solve=True)
    assert r.status == "converged" and r.augmented and r.rank == 6 and r.iterations == r.lewis["iterations"]
    assert abs(r.realised_size - 300) < 4 * np.sqrt(300) and r.indices.size == r.weights.size == r.realised_size
    assert (r.weights >= 1).all() and r.n_deterministic == int((r.weights == 1).sum())
    lo, hi = r.total_sensitivity_bounds
    assert lo <= r.total_sensitivity <= hi and r.total_sensitivity == pytest.approx(r.scores_total)
    assert r.lewis["sum"] == pytest.approx(6, rel=1e-3)
    reg = r.regression
    assert reg["objective_sample"] == pytest.approx(
        naive.lp_objective(A[r.indices] @ reg["x"] - b[r.indices], 1.0, r.weights), rel=1e-9)
    assert r.objective == pytest.approx(naive.lp_objective(A @ reg["x"] - b, 1.0))
    iid = row_sample(A, 1.0, 300, target=b, sampling="iid")
    assert iid.draws == 300 and iid.merged_duplicates == 300 - iid.realised_size
    no_target = row_sample(A, 3.0, 100, evaluate=True)
    assert not no_target.augmented and no_target.rank == 5 and "ratio" not in no_target.evaluation


def test_lewis_iteration_cap_gives_status_max_iter(design):
    A, b = design
    r = row_sample(A, 1.0, 100, target=b, max_iter=1, tol=1e-12)
    assert r.status == "max_iter" and "Lewis weights" in r.message and r.realised_size > 0


@pytest.mark.parametrize("kwargs,message", [
    ({"p": 0.5}, "--p: must be a finite number >= 1"),
    ({"size": 0}, "--size: must be a number >= 1"),
    ({"sampling": "iid", "size": 10.5}, "--size: iid sampling takes a whole number"),
    ({"method": "lewis", "exact": True}, "--exact: computes exact sensitivities"),
    ({"method": "cheap"}, "--method: must be one of"),
    ({"sampling": "bernoulli"}, "--sampling: must be one of"),
    ({"solve": True}, "--solve: needs a target"),
    ({"target": np.ones(3)}, "--target: need one target value per row of A: 20, got 3"),
    ({"tol": 0.0}, "--tol: must be positive"),
    ({"max_iter": 0}, "--max-iter: must be at least 1"),
])
def test_invalid_parameters(kwargs, message):
    args = {"A": heavy(20, 2), "p": 1.0, "size": 5, **kwargs}
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        row_sample(args.pop("A"), args.pop("p"), args.pop("size"), **args)


def test_invalid_matrices():
    with pytest.raises(ParameterError, match="every entry is zero"):
        row_sample(np.zeros((5, 2)), 1.0, 2)
    with pytest.raises(ParameterError, match=r"entry \[1, 0\] is nan"):
        row_sample(np.array([[1.0], [np.nan]]), 1.0, 2)
    with pytest.raises(ParameterError, match="hours of work"):
        row_sample(np.ones((api.EXACT_MAX_N + 1, 1)), 1.0, 2, method="sensitivity", exact=True)


@pytest.mark.parametrize("p", [1.2, 1.5, 1.8, 3.0])
def test_newton_converges_to_the_minimiser_on_small_heavy_tailed_problems(p):
    """Small problems whose optimum puts a residual near zero (where |r|^p, p < 2, has unbounded
    curvature): every solve converges and matches a generic minimiser."""
    from scipy.optimize import minimize

    from optsuite.solvers.sampling.regression import lp_regression

    for seed in [*range(20), 50, 144, 147, 275, 296]:  # 50-296: undamped Newton oscillated at p = 1.5
        g = np.random.default_rng(seed)
        n, d = int(g.integers(3, 12)), int(g.integers(1, 3))
        A, b = g.standard_t(2, size=(n, d)), g.standard_t(2, size=n)
        res = lp_regression(A, b, p)
        assert res.status == "converged", (seed, res.iterations)
        ref = minimize(lambda x: np.sum(np.abs(A @ x - b) ** p), res.x, method="Nelder-Mead",
                       options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000})
        assert res.objective <= ref.fun * (1 + 1e-8) + 1e-12, seed


def test_lp_regression_edge_cases_from_the_sweep():
    """An empty sample (p = 1 crashed in linprog), an exact fit for p > 2 (Newton's decrement shrinks
    only linearly there: 'max_iter' at loss 0), data at 1e25 for p = 1 (HiGHS 'model error'), and
    p-th powers that overflow (an internal error): converged, converged, the scaled answer, exit-2
    error."""
    r = lp_regression(np.empty((0, 2)), np.empty(0), 1.0)
    assert r.status == "converged" and r["x"].tolist() == [0.0, 0.0]
    A = np.array([[1.0, 1.0], [2.0, 2.0]])
    r = lp_regression(A, np.array([1.0, 2.0]), 3.0)
    assert r.status == "converged" and r["objective"] <= 1e-30
    rng = np.random.default_rng(0)
    A, b = rng.normal(size=(12, 2)), rng.normal(size=12)
    small = lp_regression(A, b, 1.0)
    big = lp_regression(A * 1e25, b * 1e25, 1.0)
    assert big.status == "converged" and np.allclose(big["x"], small["x"], rtol=1e-8)
    with pytest.raises(ParameterError, match="raised to p = 10 overflow"):
        lp_regression(A * 1e40, b * 1e40, 10.0)
