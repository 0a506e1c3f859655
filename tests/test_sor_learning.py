"""Policies, sequences, the oracle and the instance generators: reproducibility by seed, the bandits'
probability rules against direct computations, the oracle's comparators against brute force over a
hand-made table, warm starts, and the paper's two instance families."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spl
from hypothesis import given, settings
from hypothesis import strategies as st

from optsuite.problems.sor import SHIFT_CONTEXT_RANGE, diffusion, heat, laplacian_2d, shifted_laplacian
from optsuite.solvers.errors import ParameterError
from optsuite.solvers.sor import SystemSequence, api
from optsuite.solvers.sor import oracle as oracle_mod
from optsuite.solvers.sor import policies


def sequence(arrays):
    n = arrays["indptr"].shape[0] - 1
    return SystemSequence.shared(n, arrays["indptr"], arrays["indices"], arrays["data"], arrays["b"],
                                 context=arrays["context"], context_range=tuple(arrays["context_range"]))


@pytest.fixture(scope="module")
def short():
    """A short synthetic sequence: 120 shifted 5 x 5 Laplacians (high variance)."""
    return sequence(shifted_laplacian(120, 5, "high", seed=3))


GRID = (1.0, 1.9, 10)


# ------------------------------------------------------------------------------- reproducibility

@pytest.mark.parametrize("policy", ["tsallis", "tsallis-cb", "chebcb"])
def test_bandit_costs_are_reproducible_by_seed(short, policy):
    runs = [api.solve_sequence(short, policy=policy, grid=GRID, seed=s) for s in (7, 7, 8)]
    first, again, other = (r["instances"] for r in runs)
    np.testing.assert_array_equal(first["cost"], again["cost"])
    np.testing.assert_array_equal(first["omega"], again["omega"])
    assert runs[0].objective == runs[1].objective == int(first["cost"].sum())
    assert not np.array_equal(first["omega"], other["omega"])
    assert set(first["omega"]) <= set(api.omega_grid(*GRID))


@pytest.mark.parametrize("policy", ["tsallis", "chebcb"])
def test_policy_costs_equal_the_oracle_table_and_replay(short, policy):
    """From x0 = 0 an instance's cost depends only on omega: the policy's costs are entries of the
    oracle's table, and replaying the policy on the table gives the same costs."""
    res = api.solve_sequence(short, policy=policy, grid=GRID, seed=2, oracle=True)
    cols, table = res["instances"], res["oracle"]["table"]["costs"]
    np.testing.assert_array_equal(cols["cost"], table[np.arange(short.T), cols["arm"]])
    chooser = api.make_policy(policy, short, omega=1.0, grid=api.omega_grid(*GRID), bins=5, degree=5,
                              context_range=SHIFT_CONTEXT_RANGE, seed=2, estimate=None)
    np.testing.assert_array_equal(oracle_mod.replay(chooser, table, short.context), cols["cost"])
    assert res["oracle"]["policy"]["total"] == res.objective


def test_fixed_and_asymptotic_policies(short):
    fixed = api.solve_sequence(short, policy="fixed", omega=1.4)
    assert (fixed["instances"]["omega"] == 1.4).all() and fixed.status == "converged"
    for t in (0, 50):
        indptr, indices, data, diag, b, _ = short.system(t)
        A = sp.csr_matrix((data, indices, indptr), shape=(25, 25))
        assert fixed["instances"]["iterations"][t] == api.sor(A, b, omega=1.4).iterations
    asym = api.solve_sequence(short, policy="asymptotic")
    c = short.context
    mu = 4 * math.cos(math.pi / 6) / (4 + c)  # the shifted 5 x 5 Laplacian's rho(J), exactly
    np.testing.assert_allclose(asym["instances"]["omega"], 2 / (1 + np.sqrt(1 - mu ** 2)), rtol=1e-9)
    assert asym.objective < fixed.objective


def test_one_matrix_is_estimated_once():
    A = laplacian_2d(6)
    rng = np.random.default_rng(0)
    seq = SystemSequence.from_matrices([(A, rng.standard_normal(36)) for _ in range(4)])
    res = api.solve_sequence(seq, policy="asymptotic")
    single = api.solve_sequence(SystemSequence.from_matrices([(A, np.ones(36))]), policy="asymptotic")
    assert res["counters"]["lanczos_matvecs"] == single["counters"]["lanczos_matvecs"] > 0
    assert len(set(res["instances"]["omega"])) == 1


def test_asymptotic_needs_symmetric_matrices():
    A = laplacian_2d(3) + sp.diags([0.5], [1], shape=(9, 9))
    seq = SystemSequence.from_matrices([(A, np.ones(9))])
    with pytest.raises(ParameterError, match="not symmetric"):
        api.solve_sequence(seq, policy="asymptotic")
    res = api.solve_sequence(seq, policy="fixed", oracle=True, grid=GRID)  # the oracle skips omega*_t
    assert res["oracle"]["asymptotic"] is None and "asymptotic_skipped" in res["oracle"]


# ------------------------------------------------------------------------------------------ rules

@settings(deadline=None, max_examples=60)
@given(losses=st.lists(st.floats(0, 1e4), min_size=1, max_size=30), t=st.integers(0, 5000),
       loss_sum=st.integers(0, 10**6))  # a sum of (cost - 1) over integer costs
def test_tsallis_probabilities_solve_the_normalisation(losses, t, loss_sum):
    """p_i = 4 / (eta (L_i - x))^2 for one x below every L_i, summing to 1: so x_i = L_i - 2 / (eta
    sqrt(p_i)) is the same for every arm."""
    learner = policies.TsallisINF(np.linspace(1, 1.9, len(losses)), np.random.default_rng(0))
    learner.estimates = np.array(losses)
    learner.t, learner.loss_sum = t, loss_sum
    p = learner.probabilities()
    assert p.sum() == pytest.approx(1.0, abs=1e-12) and (p >= 0).all()
    eta = 2 / math.sqrt(t + 1)
    scale = loss_sum / t if t else 0.0
    L = np.array(losses) / (scale if scale > 0 else 1.0)
    L = L - L.min()
    live = p > 0  # an arm whose loss estimate is ~1e300 times the others' underflows to 0
    x = L[live] - 2 / (eta * np.sqrt(p[live]))
    assert x.max() - x.min() <= 1e-6 * max(1.0, L[live].max(), 2 / eta)
    assert (x < L[live]).all() and p[np.argmin(L)] > 0


def test_tsallis_update_is_importance_weighted():
    learner = policies.TsallisINF([1.0, 1.5], np.random.default_rng(1))
    _, arm, prob = learner.choose(0, None)
    learner.update(11)
    expected = np.zeros(2)
    expected[arm] = 10 / prob
    np.testing.assert_allclose(learner.estimates, expected)
    assert learner.pulls[arm] == 1 and learner.loss_sum == 10


def test_chebyshev_features_and_inverse_gap_weights():
    learner = policies.ChebCB([1.0, 1.2, 1.4], 5, -1.0, 3.0, np.random.default_rng(0), horizon=10)
    for c in (-1.0, 0.3, 3.0):
        z = 2 * (c + 1.0) / 4.0 - 1
        np.testing.assert_allclose(learner.chebyshev(c), np.polynomial.chebyshev.chebvander(z, 5)[0], atol=1e-14)
    np.testing.assert_allclose(learner.chebyshev(10.0), learner.chebyshev(3.0))  # clipped to the interval
    learner.eta = 4.0
    p = learner.probabilities(np.array([0.3, 0.1, 0.2]))
    np.testing.assert_allclose(p[[0, 2]], [1 / (3 + 4 * 0.2), 1 / (3 + 4 * 0.1)])
    assert p.sum() == pytest.approx(1.0) and p.argmax() == 1


def test_chebcb_fits_stay_in_their_box():
    seq = sequence(shifted_laplacian(200, 5, "high", seed=1))
    res = api.solve_sequence(seq, policy="chebcb", grid=GRID, seed=0)
    state = res["policy_state"]
    costs = res["instances"]["cost"]
    top, bottom = costs.max(), costs.min()
    width = SHIFT_CONTEXT_RANGE[1] - SHIFT_CONTEXT_RANGE[0]
    lip = (top - bottom) / width
    N = 2 + 4 * width * lip / top * (1 + math.log(6))
    bound = np.r_[1 / N, 2 * width * lip / (top * N) / np.arange(1, 6)]
    assert state["scale"] == pytest.approx(top * N)
    assert (np.abs(state["theta"]) <= bound * (1 + 1e-6) + 1e-12).all()
    assert state["pulls"].sum() == 200


def test_binned_learner_routes_contexts_to_the_nearest_bin():
    learner = policies.BinnedTsallisINF([1.0, 1.5], 4, 0.0, 4.0, np.random.default_rng(0))
    np.testing.assert_allclose(learner.centres, [0.5, 1.5, 2.5, 3.5])
    for c, expected in ((-3.0, 0), (1.9, 1), (2.1, 2), (9.0, 3)):
        learner.choose(0, c)
        learner.update(5)
        assert learner.current == expected
    assert learner.visits.tolist() == [1, 1, 1, 1]


# ----------------------------------------------------------------------------------------- oracle

def test_oracle_summary_against_a_hand_made_table():
    grid = np.array([1.0, 1.5, 1.9])
    costs = np.array([[10, 4, 6], [10, 7, 3], [10, 6, 6], [10, 5, 9]])
    policy = np.array([6, 7, 6, 5])
    asym = np.array([5, 2, 6, 6])
    block = oracle_mod.summarise(grid, costs, policy, costs[:, 0], asym, np.full(4, 1.6))
    assert block["best_fixed"] == {"omega": 1.5, "total": 22}
    assert block["instance_optimal"]["total"] == 4 + 2 + 6 + 5
    assert block["gauss_seidel"]["total"] == 40 and block["asymptotic"]["total"] == 19
    assert block["ratios"]["to_best_fixed"] == pytest.approx(24 / 22)
    assert block["ratios"]["to_instance_optimal"] == pytest.approx(24 / 17)
    assert [c["t"] for c in block["regret_curve"]] == [1, 2, 4]
    first = block["regret_curve"][0]
    assert (first["best_fixed_so_far"], first["best_fixed_omega"], first["regret"]) == (4, 1.5, 2)
    assert oracle_mod.checkpoints(5000) == [500, 1250, 2500, 5000]
    assert oracle_mod.checkpoints(1) == [1]


def test_oracle_totals_match_separate_fixed_runs(short):
    res = api.solve_sequence(short, policy="tsallis", grid=GRID, oracle=True)
    o = res["oracle"]
    for j, w in enumerate(api.omega_grid(*GRID)[::3]):
        assert o["totals_by_omega"][3 * j] == api.solve_sequence(short, policy="fixed", omega=w).objective
    assert o["gauss_seidel"]["total"] == api.solve_sequence(short, policy="fixed", omega=1.0).objective
    assert o["asymptotic"]["total"] == api.solve_sequence(short, policy="asymptotic").objective
    assert o["instance_optimal"]["total"] <= min(o["totals_by_omega"].min(), o["asymptotic"]["total"])
    assert res["counters"]["oracle_solves"] == short.T * (10 + 1)  # grid (holding omega = 1) + omega*_t


def test_grid_warning_when_omega_star_is_off_grid():
    seq = SystemSequence.from_matrices([(laplacian_2d(30), np.ones(900))])
    res = api.solve_sequence(seq, policy="tsallis", grid=(1.0, 1.5, 6))
    assert any("outside the grid" in w and "--grid 1:" in w for w in res["warnings"])
    res = api.solve_sequence(seq, policy="tsallis", grid=(1.0, 1.95, 6))
    assert not res["warnings"]


# ------------------------------------------------------------------------------------ warm starts

def test_warm_starts_use_the_previous_solution():
    seq = sequence(heat(64, 12, 0.01))
    cold = api.solve_sequence(seq, omega=1.3, tol_ref="b", keep_solutions=True)
    warm = api.solve_sequence(seq, omega=1.3, tol_ref="b", x0="previous", keep_solutions=True)
    assert warm["instances"]["iterations"][0] == cold["instances"]["iterations"][0]
    assert warm.objective < cold.objective
    x = warm["solutions"]
    t = 5
    indptr, indices, data, diag, b, _ = seq.system(t)
    A = sp.csr_matrix((data, indices, indptr), shape=(64, 64))
    ref = api.sor(A, b, omega=1.3, tol_ref="b", x0=x[t - 1])
    assert ref.iterations == warm["instances"]["iterations"][t]
    np.testing.assert_array_equal(ref.x, x[t])
    rel = api.relative_residuals(seq, x, "b", "previous")
    np.testing.assert_allclose(rel, warm["instances"]["residual"], rtol=1e-6)
    assert (rel < 1e-8).all()


def test_a_diverged_instance_does_not_seed_the_next():
    good = laplacian_2d(2)
    bad = sp.csr_matrix([[2.0, 3.0, 0, 0], [3.0, 2.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]])
    seq = SystemSequence.from_matrices([(bad, np.ones(4)), (good, np.ones(4))])
    res = api.solve_sequence(seq, omega=1.5, x0="previous")
    assert res["instances"]["status"] == ["diverged", "converged"]
    assert res.status == "diverged" and res.objective == 10_000 + res["instances"]["iterations"][1]


# ------------------------------------------------------------------------------------- generators

def test_shifted_laplacian_family():
    arrays = shifted_laplacian(400, 10, "high", seed=0)
    c = arrays["context"]
    assert arrays["data"].shape == (400, 460) and arrays["b"].shape == (400, 100)
    assert ((c >= -0.15) & (c <= 0.45)).all()
    assert (np.linalg.norm(arrays["b"], axis=1) <= 10.0).all()
    low = shifted_laplacian(400, 10, "low", seed=0)["context"]
    assert c.std() > low.std()  # Beta(0.5, 1.5) is the high-variance one
    assert c.mean() == pytest.approx(-0.15 + 0.6 * 0.25, abs=0.03) and low.mean() == pytest.approx(0.0, abs=0.02)
    seq = sequence(arrays)
    A = seq.matrix(7)
    np.testing.assert_allclose((A - laplacian_2d(10)).toarray(), c[7] * np.eye(100), atol=1e-15)
    assert seq.symmetric.all()
    again = shifted_laplacian(400, 10, "high", seed=0)
    assert all(np.array_equal(arrays[k], again[k]) for k in arrays)


def test_heat_family_steps_crank_nicolson_exactly():
    steps, dt, m = 6, 0.05, 5
    arrays = heat(m * m, steps, dt)
    seq = sequence(arrays)
    h = 1 / (m + 1)
    lap = -laplacian_2d(m) / h ** 2
    points = np.stack(np.meshgrid(np.arange(1, m + 1) * h, np.arange(1, m + 1) * h, indexing="ij"), -1).reshape(-1, 2)
    q = np.minimum(1, ((points - 0.5) ** 2).sum(1) / 0.25 ** 2)
    with np.errstate(divide="ignore"):
        u = np.exp(1 - 1 / (1 - q))
    for k in range(steps):
        half = (k + 0.5) * dt
        kappa = diffusion(half)
        assert seq.context[k] == pytest.approx(kappa)
        A = sp.identity(m * m) - 0.5 * dt * kappa * lap
        np.testing.assert_allclose(seq.matrix(k).toarray(), A.toarray(), atol=1e-12)
        centre = np.array([0.5 + math.cos(16 * math.pi * half) / 4, 0.5 + math.sin(16 * math.pi * half) / 4])
        q = np.minimum(1, ((points - centre) ** 2).sum(1) / 0.125 ** 2)
        with np.errstate(divide="ignore"):
            forcing = 32 * np.exp(1 - 1 / (1 - q))
        np.testing.assert_allclose(seq.rhs[k], u + 0.5 * dt * kappa * (lap @ u) + dt * forcing, rtol=1e-10,
                                   atol=1e-12)
        u = spl.spsolve(A.tocsc(), seq.rhs[k])
    assert diffusion(0.25) == pytest.approx(0.1) and diffusion(0.75) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="perfect square"):
        heat(10, 2, 0.1)


@settings(deadline=None, max_examples=80)
@given(rows=st.integers(1, 9), cols=st.integers(1, 6), seed=st.integers(0, 10_000),
       scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_box_least_squares_is_optimal(rows, cols, seed, scale):
    from scipy.optimize import lsq_linear

    rng = np.random.default_rng(seed)
    R = rng.standard_normal((rows, cols))
    c = scale * rng.standard_normal(rows)
    bound = rng.uniform(0.01, 1.0, cols) * scale
    theta = policies.box_lstsq(R, c, bound)
    assert (np.abs(theta) <= bound * (1 + 1e-12)).all()
    best = lsq_linear(R, c, bounds=(-bound, bound), method="bvls", tol=1e-14).x
    assert np.sum((R @ theta - c) ** 2) <= np.sum((R @ best - c) ** 2) * (1 + 1e-9) + 1e-20 * scale ** 2


@pytest.mark.parametrize("grid,omega", [([1.5], 1.0736), ([1.5], 1.93), ([1.0, 1.2], 1.6), ([1.6, 1.9], 1.1)])
def test_grid_warning_suggests_a_grid_the_parser_accepts_and_that_covers_omega(grid, omega):
    """A one-point grid got the suggestion 1.02361:1.5:1, which --grid refuses (N = 1 needs LO = HI)."""
    from optsuite.solvers.sor.api import _grid_warning, omega_grid

    (text,) = _grid_warning(np.array(grid), [omega], "instance 0")
    lo, hi, n = text.rsplit("--grid ", 1)[1].split(":")
    suggested = omega_grid(float(lo), float(hi), int(n))
    assert suggested[0] <= omega <= suggested[-1]
