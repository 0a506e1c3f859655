"""Matrix-completion kernels and driver against the plain references in naive_completion.py: compressed
views, per-row solves (exact, cg, pcg, sketch) against numpy least squares, the sketch solver's forward
error on tall systems, residual passes, recovery, stopping rules, determinism, parameter errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import naive_completion as naive
from optsuite.problems.completion import generate
from optsuite.solvers.completion import _kernels as K
from optsuite.solvers.completion import api
from optsuite.solvers.completion._views import Compressed, chunk_bounds, residual_sq
from optsuite.solvers.errors import ParameterError


def random_entries(m, n, count, seed=0):
    rng = np.random.default_rng(seed)
    pos = rng.choice(m * n, size=count, replace=False)
    return pos // n, pos % n, rng.standard_normal(count)


def one_row(A, b):
    """A compressed view with one row whose block is A (d x k) and values b."""
    d = A.shape[0]
    return Compressed(np.zeros(d, np.int64), np.arange(d), b, 1)


def solve_one(A, b, solver, ridge, steps=3, sketch_rows=None, x0=None, seed=7):
    """Solve min |A x - b|^2 + ridge |x|^2 with one row kernel; returns x."""
    view = one_row(A, b)
    lam = ridge / A.shape[0]
    X = np.zeros((1, A.shape[1])) if x0 is None else x0.reshape(1, -1).copy()
    step = api.HalfStep(solver, lam, steps, sketch_rows or 4 * A.shape[1], seed)
    step(view, X, np.ascontiguousarray(A), True)
    return X[0], step


# ------------------------------------------------------------------------------------ compressed views

@pytest.mark.parametrize("m,n,count", [(1, 1, 1), (7, 5, 20), (50, 40, 600), (30, 1, 10)])
def test_compressed_views_match_scipy(m, n, count):
    import scipy.sparse as sp

    rows, cols, values = random_entries(m, n, count, seed=m)
    for major, minor, size, other in ((rows, cols, m, n), (cols, rows, n, m)):
        view = Compressed(major, minor, values, size)
        ref = sp.csr_matrix((values, (major, minor)), shape=(size, other))
        ref.sort_indices()
        assert view.indptr.dtype == np.int64 and view.indices.dtype == np.int32
        np.testing.assert_array_equal(view.indptr, ref.indptr)
        for i in range(size):
            got = sorted(zip(view.indices[view.indptr[i]:view.indptr[i + 1]], view.data[view.indptr[i]:view.indptr[i + 1]]))
            want = sorted(zip(ref.indices[ref.indptr[i]:ref.indptr[i + 1]], ref.data[ref.indptr[i]:ref.indptr[i + 1]]))
            assert got == want
        assert view.bounds[0] == 0 and view.bounds[-1] == size and (np.diff(view.bounds) > 0).all()


def test_chunk_bounds_balance_work():
    counts = np.array([1000] + [1] * 999)
    b = chunk_bounds(counts)
    assert b[0] == 0 and b[-1] == 1000 and b[1] == 1  # the heavy row is a chunk of its own
    assert chunk_bounds(np.zeros(3, np.int64)).tolist() == [0, 1, 2, 3]


# --------------------------------------------------------------------------------- per-row solves

def row_problem(m, n, k, count, seed, lam):
    rows, cols, values = random_entries(m, n, count, seed)
    rng = np.random.default_rng(seed + 1)
    return rows, cols, values, rng.standard_normal((m, k)), rng.standard_normal((n, k)), lam


@pytest.mark.parametrize("k", [1, 3, 4, 5, 8])
def test_exact_half_step_matches_numpy_least_squares(k):
    """Rows with no entries, fewer than k entries, and more than one gathering tile (TILE)."""
    m, n = 9, K.TILE + 300
    rows, cols, values, U, V, lam = row_problem(m, n, k, 1500, k, 0.05)
    keep = rows != 3  # row 3: no entries
    keep[np.flatnonzero(rows == 4)[max(k - 1, 1):]] = False  # row 4: fewer than k entries (1 if k = 1)
    rows, cols, values = rows[keep], cols[keep], values[keep]
    extra = np.setdiff1d(np.arange(n), cols[rows == 0])
    rows = np.concatenate([rows, np.zeros(extra.shape[0], np.int64)])  # row 0: every column (> TILE)
    cols = np.concatenate([cols, extra])
    values = np.concatenate([values, np.random.default_rng(0).standard_normal(extra.shape[0])])
    view = Compressed(rows, cols, values, m)
    assert view.counts[0] > K.TILE and view.counts[3] == 0 and view.counts[4] == max(k - 1, 1)
    want = naive.half_step(rows, cols, values, U, V, lam)
    got = U.copy()
    sq = api.HalfStep("exact", lam, 3, 4 * k, 0)(view, got, V, True)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)
    assert sq == pytest.approx(naive.residual_sq(rows, cols, values, got, V), rel=1e-10)
    assert (got[3] == U[3]).all()  # an empty row keeps its value


@pytest.mark.parametrize("k", [3, 8])
@pytest.mark.parametrize("d", [K.TILE - 1, 3 * K.TILE + 5, K.CAP + 100])  # one tile, gathered whole, re-tiled
def test_exact_long_rows_match_numpy_least_squares(k, d):
    """A row gathered in one tile, in several tiles kept whole (the residual reads the buffer), and one
    longer than CAP (tiles reuse the buffer and the residual reads F again)."""
    rng = np.random.default_rng(d + k)
    A = rng.standard_normal((d, k)) * np.geomspace(1, 30, k)
    b = rng.standard_normal(d)
    got, step = solve_one(A, b, "exact", 0.1)
    np.testing.assert_allclose(got, naive.ridge_row(A, b, 0.1), rtol=1e-9)
    view = one_row(A, b)
    X = np.zeros((1, k))
    sq = api.HalfStep("exact", 0.1 / d, 3, 4 * k, 0)(view, X, np.ascontiguousarray(A), True)
    assert sq == pytest.approx(float(np.sum((b - A @ X[0]) ** 2)), rel=1e-10)
    assert step.counters["failed_solves"] == 0


@pytest.mark.parametrize("solver", ["cg", "pcg"])
@pytest.mark.parametrize("d", [40, K.CAP + 100])  # gathered, and read from F directly
def test_cg_with_enough_steps_is_exact(solver, d):
    """CG on a k x k SPD system terminates in k steps (up to rounding): from any start it reaches the
    least-squares solution, with the block gathered and for rows too long to gather."""
    k = 6
    rng = np.random.default_rng(d)
    A = rng.standard_normal((d, k)) * np.array([1, 2, 5, 10, 20, 50.0])
    b = rng.standard_normal(d)
    want = naive.ridge_row(A, b, 0.1)
    got, step = solve_one(A, b, solver, 0.1, steps=3 * k, x0=rng.standard_normal(k))
    np.testing.assert_allclose(got, want, rtol=1e-8)
    assert 0 < step.counters["inner_steps"] <= 3 * k


def test_cg_steps_are_warm_started_and_capped():
    """One CG step from the exact answer stays there; from zero it only partly solves the system."""
    k = 5
    rng = np.random.default_rng(3)
    A = rng.standard_normal((60, k)) * np.array([1, 3, 9, 27, 81.0])
    b = rng.standard_normal(60)
    exact = naive.ridge_row(A, b, 1e-3)
    warm, _ = solve_one(A, b, "cg", 1e-3, steps=1, x0=exact)
    np.testing.assert_allclose(warm, exact, rtol=1e-9)
    cold, step = solve_one(A, b, "cg", 1e-3, steps=1)
    assert step.counters["inner_steps"] == 1
    assert np.linalg.norm(cold - exact) > 1e-3 * np.linalg.norm(exact)


def test_sketch_forward_error_on_tall_systems():
    """GSYZ's solver on tall least-squares problems (d = 4000 >> s = 4k = 80, condition number 1e3):
    the sketch-and-solve start is a rough answer, and the preconditioned CG steps shrink the forward
    error geometrically (the sketch makes the preconditioned system well conditioned): every 3 steps by
    more than 5x, to 1e-6 in 15 steps (fewer than k = 20, so not CG's finite termination). Plain CG,
    without the preconditioner, is still far off after the same 15 steps."""
    k, d = 20, 4000
    for seed in (11, 12):
        rng = np.random.default_rng(seed)
        Q = np.linalg.qr(rng.standard_normal((d, k)))[0]
        A = Q * np.geomspace(1, 1e3, k)
        b = A @ rng.standard_normal(k) + 0.1 * rng.standard_normal(d)
        want = naive.ridge_row(A, b, 0.0)

        def forward_error(x):
            return np.linalg.norm(x - want) / np.linalg.norm(want)

        errors = [forward_error(solve_one(A, b, "sketch", 0.0, steps=t, seed=seed)[0]) for t in range(0, 16, 3)]
        assert 1e-3 < errors[0] < 0.5
        assert all(after < 0.2 * before for before, after in zip(errors, errors[1:]))
        assert errors[-1] < 1e-6
        assert forward_error(solve_one(A, b, "cg", 0.0, steps=15)[0]) > 0.1


def test_sketch_with_few_entries_is_exact_and_reseeds():
    """A row with d <= s entries is not sketched: the start is already the least-squares answer. Different
    half-steps draw different sketches: the approximate answers differ."""
    rng = np.random.default_rng(5)
    A, b = rng.standard_normal((15, 4)), rng.standard_normal(15)
    got, _ = solve_one(A, b, "sketch", 0.2, steps=0, sketch_rows=16)
    np.testing.assert_allclose(got, naive.ridge_row(A, b, 0.2), rtol=1e-10)
    A, b = rng.standard_normal((500, 4)), rng.standard_normal(500)
    view = one_row(A, b)
    step = api.HalfStep("sketch", 0.0, 0, 16, 1)
    X1, X2 = np.zeros((1, 4)), np.zeros((1, 4))
    step(view, X1, A, False)
    step(view, X2, A, False)
    assert not np.array_equal(X1, X2)


def test_singular_rows_keep_their_value_and_are_counted():
    """reg = 0 and a row with fewer than k entries: its Gram matrix is singular; the row keeps its value."""
    k = 4
    rows = np.array([0, 0, 1, 1, 1, 1, 1, 1])
    cols = np.array([0, 1, 0, 1, 2, 3, 4, 5])
    values = np.arange(8.0)
    V = np.random.default_rng(0).standard_normal((6, k))
    U = np.ones((2, k))
    step = api.HalfStep("exact", 0.0, 3, 16, 0)
    step(Compressed(rows, cols, values, 2), U, V, False)
    assert step.counters["failed_solves"] == 1 and (U[0] == 1).all()
    np.testing.assert_allclose(U[1], naive.ridge_row(V[cols[2:]], values[2:], 0.0), rtol=1e-8)


# ------------------------------------------------------------------------------- residuals, predictions

def test_residual_pass_and_predictions_match_numpy():
    m, n, k = 30, 20, 3
    rows, cols, values = random_entries(m, n, 200, 1)
    rng = np.random.default_rng(2)
    U, V = rng.standard_normal((m, k)), rng.standard_normal((n, k))
    assert residual_sq(Compressed(rows, cols, values, m), U, V) == pytest.approx(
        naive.residual_sq(rows, cols, values, U, V), rel=1e-12)
    np.testing.assert_allclose(api.predict(U, V, rows, cols), (U @ V.T)[rows, cols], rtol=1e-12)
    assert api.rmse(U, V, rows, cols, values) == pytest.approx(
        np.sqrt(naive.residual_sq(rows, cols, values, U, V) / 200), rel=1e-12)


def test_relative_error_without_the_dense_product():
    rng = np.random.default_rng(0)
    Ut, Vt = rng.standard_normal((40, 3)), rng.standard_normal((30, 3))
    U, V = Ut + 1e-3 * rng.standard_normal(Ut.shape), Vt.copy()
    assert api.relative_error(U, V, Ut, Vt) == pytest.approx(naive.relative_error(U, V, Ut, Vt), rel=1e-9)
    tiny = Ut * (1 + 1e-12)
    assert api.relative_error(tiny, Vt, Ut, Vt) == pytest.approx(1e-12, rel=1e-3)  # no cancellation floor


# ---------------------------------------------------------------------------------------- the driver

def test_driver_matches_textbook_als():
    """From the same random start, the driver's exact ALS and the textbook numpy ALS agree."""
    m, n, k = 25, 18, 3
    rows, cols, values = random_entries(m, n, 200, 4)
    res = api.complete(rows, cols, values, (m, n), k, init="random", reg=0.01, max_iter=4, tol=0.0, seed=3)
    rms = np.sqrt(np.mean(values ** 2))
    from optsuite.solvers.completion import _init

    U0, V0 = _init.random_start((m, n), k, rms, 3)
    U0[np.bincount(rows, minlength=m) == 0] = 0
    U, V = naive.als(rows, cols, values, (m, n), U0, 0.01 * rms, 4)
    np.testing.assert_allclose(res.U, U, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.V, V, rtol=1e-8, atol=1e-10)
    assert res.objective == pytest.approx(naive.objective(rows, cols, values, U, V, 0.01 * rms), rel=1e-9)
    assert res.iterations == 4 and res.status == "max_iter"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4), reg=st.sampled_from([1e-6, 1e-3, 0.1]))
def test_exact_als_never_increases_the_objective(seed, k, reg):
    m, n = 12, 9
    rows, cols, values = random_entries(m, n, 60, seed)
    res = api.complete(rows, cols, values, (m, n), k, init="random", reg=reg, max_iter=8, tol=0.0, seed=seed)
    obj = [h["objective"] for h in res.history]
    assert all(b <= a * (1 + 1e-10) + 1e-12 for a, b in zip(obj, obj[1:]))


@pytest.mark.parametrize("solver", api.SOLVERS)
@pytest.mark.parametrize("init", api.INITS)
def test_noiseless_recovery(solver, init):
    d = generate(150, 120, 3, 3.0, seed=2)
    res = api.complete(d["rows"], d["cols"], d["values"], d["shape"], 3, solver=solver, init=init)
    assert res.status == "converged" and res.stop_reason == "tol"
    assert api.relative_error(res.U, res.V, d["U"], d["V"]) < 1e-6


def test_noisy_recovery_is_near_the_oracle_error():
    """With noise sigma, the full-matrix error should be near the oracle sigma sqrt(dof / |Omega|)
    (relative to the unit entry RMS)."""
    sigma = 0.1
    d = generate(300, 250, 4, 3.0, noise=sigma, seed=5)
    res = api.complete(d["rows"], d["cols"], d["values"], d["shape"], 4)
    dof = (300 + 250 - 4) * 4
    oracle = sigma * np.sqrt(dof / d["values"].shape[0])
    assert api.relative_error(res.U, res.V, d["U"], d["V"]) < 1.3 * oracle


def test_results_do_not_depend_on_the_thread_count():
    import numba

    d = generate(200, 150, 4, 2.0, seed=8)
    out = []
    for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
        numba.set_num_threads(threads)
        try:
            for solver in ("exact", "sketch"):
                out.append(api.complete(d["rows"], d["cols"], d["values"], d["shape"], 4, solver=solver, max_iter=5))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    for a, b in zip(out[:2], out[2:]):
        assert np.array_equal(a.U, b.U) and np.array_equal(a.V, b.V)


def test_holdout_and_early_stop():
    d = generate(200, 180, 3, 2.0, noise=0.3, seed=3)
    res = api.complete(d["rows"], d["cols"], d["values"], d["shape"], 8, holdout=0.2, early_stop=True, seed=1,
                       init="random", reg=1e-9)
    n_obs = d["values"].shape[0]
    assert res.holdout == round(0.2 * n_obs) and res.observed == n_obs - res.holdout
    held = [h["holdout_rmse"] for h in res.history]
    assert res.stop_reason == "holdout" and res.status == "converged"
    assert held[-1] > held[-2] and res.returned_iteration == len(held) - 1
    assert res.holdout_rmse == min(held)
    again = api.complete(d["rows"], d["cols"], d["values"], d["shape"], 8, holdout=0.2, seed=1, init="random",
                         max_iter=res.returned_iteration, tol=0.0)
    np.testing.assert_array_equal(again.U, res.U)  # the returned factors are those of the best iteration


def test_split_runs_on_disjoint_parts_and_warns():
    d = generate(100, 90, 2, 6.0, seed=1)
    res = api.complete(d["rows"], d["cols"], d["values"], d["shape"], 2, split=True, max_iter=3, tol=0.0)
    assert res.split and res.iterations == 3 and res.counters["half_steps"] == 6
    assert any("--split" in w for w in res["warnings"])
    assert res.counters["residual_passes"] == 1 + 3  # the start, then one full pass per iteration


def test_random_start_is_not_the_generators_truth():
    """Same seed for the generator and the solver: the random start must still be random (a shared
    stream once handed the solver the true factors, converging in one iteration)."""
    d = generate(100, 80, 3, 3.0, seed=0)
    res = api.complete(d["rows"], d["cols"], d["values"], d["shape"], 3, init="random", seed=0, max_iter=1)
    assert res.initial_train_rmse > 0.5


def test_svd_start_and_clipping():
    d = generate(120, 100, 3, 3.0, seed=4)
    plain = api.complete(d["rows"], d["cols"], d["values"], d["shape"], 3, max_iter=1, tol=0.0)
    clipped = api.complete(d["rows"], d["cols"], d["values"], d["shape"], 3, max_iter=1, tol=0.0, mu=0.3)
    assert len(plain.initial_singular_values) == 3 and "clipped_entries" not in plain
    assert clipped.clipped_entries > 0 and clipped.mu == 0.3
    assert plain.initial_train_rmse < 0.9  # the spectral start already explains most of the data


def test_observation_warnings():
    row_counts = np.array([0, 1, 5, 5])
    col_counts = np.array([5, 5, 1])
    w = api.observation_warnings(row_counts, col_counts, 2, 1e-9)
    assert any("2 rows have fewer than rank k = 2 observations (row 0 has 0); 1 have none" in x for x in w)
    assert any("1 columns have fewer" in x and "raise --reg" in x for x in w)
    assert any("degrees of freedom" in x for x in w)
    assert api.observation_warnings(np.full(50, 20), np.full(50, 20), 2, 1e-9) == []


def test_diverged_is_reported():
    """reg = 0 with rows far below rank k from a huge random start: report, do not crash."""
    rows, cols, values = random_entries(30, 30, 40, 0)
    res = api.complete(rows, cols, values, (30, 30), 10, reg=0.0, init="random", max_iter=5)
    assert res.status in ("max_iter", "converged", "diverged")
    assert res.counters["failed_solves"] > 0


BAD = [
    (dict(rank=0), "rank", "between 1 and min(m, n)"),
    (dict(rank=11), "rank", "between 1 and min(m, n) = 10"),
    (dict(solver="lsqr"), "solver", "must be one of exact, cg, pcg, sketch"),
    (dict(init="zeros"), "init", "must be one of svd, random"),
    (dict(cg_steps=0), "cg_steps", "at least 1"),
    (dict(reg=-1.0), "reg", ">= 0"),
    (dict(max_iter=0), "max_iter", "at least 1"),
    (dict(holdout=1.0), "holdout", "fraction in [0, 1)"),
    (dict(early_stop=True), "early_stop", "add --holdout"),
    (dict(mu=0.0), "mu", "positive"),
]


@pytest.mark.parametrize("kwargs,name,message", BAD, ids=[b[1] for b in BAD])
def test_invalid_parameters(kwargs, name, message):
    rows, cols, values = random_entries(10, 12, 50, 0)
    args = {"rank": 2, **kwargs}
    rank = args.pop("rank")
    with pytest.raises(ParameterError, match=re.escape(message)) as e:
        api.complete(rows, cols, values, (10, 12), rank, **args)
    assert e.value.name == name


def test_invalid_entries():
    with pytest.raises(ParameterError, match="index 5 is out of range 0..4"):
        api.as_entries([0, 5], [0, 1], [1.0, 2.0], (5, 5))
    with pytest.raises(ParameterError, match="entry 1 is nan"):
        api.as_entries([0, 1], [0, 1], [1.0, np.nan], (5, 5))
    with pytest.raises(ParameterError, match=r"entry \(1, 1\) is listed more than once"):
        api.as_entries([1, 1], [1, 1], [1.0, 2.0], (5, 5))
    with pytest.raises(ParameterError, match="same length"):
        api.as_entries([1], [1, 2], [1.0], (5, 5))
    with pytest.raises(ParameterError, match="no observed entries"):
        api.as_entries([], [], [], (5, 5))


# ------------------------------------------------------------------------------------ bench baselines

def test_bench_baselines_and_quick_case():
    """The baselines the bench times are right: textbook numpy ALS from the same random start follows our
    iterates; dense SoftImpute keeps the observed entries and fills the others better than zeros."""
    from optsuite.solvers import bench as harness
    from optsuite.solvers.completion import bench

    d = generate(60, 50, 2, 3.0, seed=6)
    U, V, it = bench.numpy_als(d["rows"], d["cols"], d["values"], d["shape"], 2, max_iter=5, tol=0.0, seed=4)
    ours = api.complete(d["rows"], d["cols"], d["values"], d["shape"], 2, init="random", seed=4, max_iter=5, tol=0.0)
    assert it == 5
    np.testing.assert_allclose(U @ V.T, ours.U @ ours.V.T, rtol=1e-7, atol=1e-9)
    X, _ = bench.dense_softimpute(d["rows"], d["cols"], d["values"], d["shape"], max_iters=20)
    np.testing.assert_array_equal(X[d["rows"], d["cols"]], d["values"])
    M = d["U"] @ d["V"].T
    zero_filled = np.zeros(d["shape"])
    zero_filled[d["rows"], d["cols"]] = d["values"]
    assert np.linalg.norm(X - M) < 0.7 * np.linalg.norm(zero_filled - M)
    (case,) = bench.cases(quick=True)
    entry = harness.run_case(case, repeats=1, warmup=0, peers=True)
    ours_run = entry["runs"][0]
    assert ours_run["objective"] < 1e-6 and "passes_per_iteration" in ours_run and "ratio" in entry


@pytest.mark.parametrize("m,n,k", [(1, 5, 1), (5, 1, 1), (6, 4, 4), (1, 1, 1)])
@pytest.mark.parametrize("init", api.INITS)
def test_extreme_shapes_and_full_rank(m, n, k, init):
    """One row, one column, one entry, and k = min(m, n) on a fully observed matrix: an exact fit."""
    rng = np.random.default_rng(m * 10 + n)
    M = rng.standard_normal((m, n))
    rows, cols = np.divmod(np.arange(m * n), n)
    res = api.complete(rows, cols, M[rows, cols], (m, n), k, init=init, max_iter=200, tol=0.0)
    assert res.train_rmse < 1e-6 * np.sqrt(np.mean(M ** 2))
    assert res.U.shape == (m, k) and res.V.shape == (n, k)
