"""Static submodular maximisation: the oracle against the definitions, every algorithm against naive
greedy and brute force, counters, tie-breaking, edge cases, and the similarity formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import naive_submodular as naive
from optsuite.solvers.errors import ParameterError
from optsuite.solvers.submodular import (ALGORITHMS, coverage, facility_location, feature_based, knn_similarity,
                                         maximize, sample_size, similarity_matrix, singleton_values)
from optsuite.solvers.submodular.similarity import dense_facility_location
from optsuite.solvers.submodular import _kernels as K


def _random_fl(n, m, seed, sparse=False, density=0.5):
    rng = np.random.default_rng(seed)
    S = rng.random((n, m)) * (rng.random((n, m)) < density)
    return (sp.csr_matrix(S) if sparse else S), S


def _objectives(seed=0, n=9):
    """(name, Objective, reference f) for every objective and storage."""
    rng = np.random.default_rng(seed)
    S = rng.random((n, n + 3)) * (rng.random((n, n + 3)) < 0.6)
    X = rng.random((n, 4)) * (rng.random((n, 4)) < 0.7)
    sets = [rng.choice(12, size=rng.integers(0, 5), replace=False).tolist() for _ in range(n)]
    w = rng.random(12) * 3
    return [
        ("fl-dense", facility_location(S), lambda s: naive.facility_location(S, s)),
        ("fl-sparse", facility_location(sp.csr_matrix(S)), lambda s: naive.facility_location(S, s)),
        ("fb-sqrt", feature_based(X, "sqrt"), lambda s: naive.feature_based(X, s, "sqrt")),
        ("fb-log1p-sparse", feature_based(sp.csr_matrix(X), "log1p"), lambda s: naive.feature_based(X, s, "log1p")),
        ("coverage", coverage(sets, 12, w), lambda s: naive.coverage(sets, s, w)),
        ("coverage-unit", coverage(sets, 12), lambda s: naive.coverage(sets, s)),
    ]


@pytest.mark.parametrize("case", range(6))
def test_oracle_matches_the_definitions(case):
    name, f, ref = _objectives(seed=case)[case]
    ora = f.oracle()
    rng = np.random.default_rng(case)
    for _ in range(20):
        S = rng.choice(f.n, size=rng.integers(0, 5), replace=False).tolist()
        state = np.zeros(f.m)
        for e in S:
            K.add(ora, e, state)
        assert K.value(ora, state) == pytest.approx(ref(S), rel=1e-12, abs=1e-12), name
        for e in range(f.n):
            assert K.gain(ora, e, state) == pytest.approx(ref(S + [e]) - ref(S), rel=1e-9, abs=1e-12), name
    assert np.allclose(singleton_values(f), [ref([e]) for e in range(f.n)], rtol=1e-12, atol=0)


@pytest.mark.parametrize("case", range(6))
@pytest.mark.parametrize("k", [1, 3, 9])
def test_greedy_and_lazy_equal_naive_greedy(case, k):
    name, f, ref = _objectives(seed=10 + case)[case]
    picks, gains = naive.greedy(ref, f.n, k)
    for algorithm in ("greedy", "lazy"):
        r = maximize(f, k, algorithm=algorithm)
        assert r.selected.tolist() == picks, (name, algorithm)
        assert np.allclose(r.gains, gains, rtol=1e-9, atol=1e-12)
        assert r.objective == pytest.approx(ref(picks), rel=1e-12)
        assert r.status == "converged" and r.iterations == len(picks)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 14), m=st.integers(1, 9), k=st.integers(1, 14), seed=st.integers(0, 10**6),
       sparse=st.booleans(), density=st.sampled_from([0.2, 0.6, 1.0]))
def test_lazy_is_greedy_and_gains_never_increase(n, m, k, seed, sparse, density):
    S, _ = _random_fl(n, m, seed, sparse, density)
    f = facility_location(S)
    k = min(k, n)
    g = maximize(f, k, algorithm="greedy")
    z = maximize(f, k, algorithm="lazy")
    assert g.selected.tolist() == z.selected.tolist()
    assert np.array_equal(g.gains, z.gains)
    assert len(set(z.selected.tolist())) == len(z.selected) == k
    assert np.all(np.diff(z.gains) <= 0)
    assert z.counters["oracle_calls"] <= g.counters["oracle_calls"]


def test_greedy_call_count_and_singletons_are_counted_apart():
    f = facility_location(np.random.default_rng(0).random((30, 30)))
    r = maximize(f, 5, algorithm="greedy")
    assert r.counters["oracle_calls"] == sum(30 - i for i in range(1, 5))
    assert r.counters["singleton_calls"] == 30
    r = maximize(f, 5, algorithm="greedy", singletons=singleton_values(f))
    assert r.counters["singleton_calls"] == 0


def test_ties_go_to_the_smaller_index():
    S = np.ones((5, 3))  # every element has the same gains
    for algorithm in ("greedy", "lazy"):
        assert maximize(facility_location(S), 2, algorithm=algorithm).selected.tolist() == [0, 1]
    # threshold only takes gains above its last threshold: the zero gain of element 1 never qualifies
    assert maximize(facility_location(S), 2, algorithm="threshold").selected.tolist() == [0]
    dup = np.array([[1.0, 0, 0], [0, 1.0, 0], [1.0, 0, 0], [0, 1.0, 0]])
    assert maximize(facility_location(dup), 2).selected.tolist() == [0, 1]


def test_zero_gains_still_fill_k_and_sizes_one_and_n():
    f = facility_location(np.zeros((4, 3)))
    for algorithm in ("greedy", "lazy", "stochastic"):
        r = maximize(f, 3, algorithm=algorithm)
        assert len(r.selected) == 3 and r.objective == 0.0
    g = maximize(facility_location(np.array([[2.0]])), 1)
    assert g.selected.tolist() == [0] and g.objective == 2.0
    f = facility_location(np.random.default_rng(1).random((6, 4)))
    for algorithm in ALGORITHMS:
        r = maximize(f, 6, algorithm=algorithm)
        assert len(set(r.selected.tolist())) == len(r.selected) <= 6
    assert sorted(maximize(f, 6).selected.tolist()) == list(range(6))


@pytest.mark.parametrize("seed", range(8))
def test_guarantees_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, k = 11, int(rng.integers(2, 5))
    S = rng.random((n, 8)) ** 3
    f = facility_location(S)
    opt, _ = naive.brute_force(lambda s: naive.facility_location(S, s), n, k)
    assert maximize(f, k, algorithm="greedy").objective >= (1 - 1 / math.e) * opt - 1e-9
    eps = 0.1
    assert maximize(f, k, algorithm="threshold", eps=eps).objective >= (1 - 1 / math.e - eps) * opt - 1e-9
    assert maximize(f, k, algorithm="sieve", eps=eps).objective >= (0.5 - eps) * opt - 1e-9
    runs = [maximize(f, k, algorithm="stochastic", eps=eps, seed=s).objective for s in range(20)]
    assert np.mean(runs) >= (1 - 1 / math.e - eps) * opt - 1e-9  # the guarantee is in expectation


def test_stochastic_is_seeded_and_samples_the_documented_size():
    f = facility_location(np.random.default_rng(2).random((200, 50)))
    a = maximize(f, 10, algorithm="stochastic", seed=5)
    b = maximize(f, 10, algorithm="stochastic", seed=5)
    assert a.selected.tolist() == b.selected.tolist() and a.counters == b.counters
    assert a.counters["sample_size"] == math.ceil(200 / 10 * math.log(10)) == sample_size(200, 10, 0.1)
    assert sample_size(10, 10, 0.1) == 3 and sample_size(5, 1, 0.001) == 5
    # each round's pick is the best of its sample: never worse than picking at random
    assert a.objective > 0.9 * maximize(f, 10).objective


def test_threshold_and_sieve_picks_pass_their_thresholds():
    rng = np.random.default_rng(3)
    S = rng.random((40, 20)) ** 2
    f = facility_location(S)
    ref = lambda s: naive.facility_location(S, s)  # noqa: E731
    r = maximize(f, 5, algorithm="threshold", eps=0.2)
    d = max(ref([e]) for e in range(40))
    for i, e in enumerate(r.selected.tolist()):
        assert r.gains[i] == pytest.approx(ref(r.selected[:i + 1].tolist()) - ref(r.selected[:i].tolist()))
        assert r.gains[i] >= 0.2 * d / 40 - 1e-12
    s = maximize(f, 5, algorithm="sieve", eps=0.2)
    assert s.counters["guesses"] >= 1 and len(s.selected) <= 5
    assert s.objective == pytest.approx(ref(s.selected.tolist()))


def test_invalid_parameters():
    f = facility_location(np.ones((3, 3)))
    with pytest.raises(ParameterError, match="--k"):
        maximize(f, 4)
    with pytest.raises(ParameterError, match="--k"):
        maximize(f, 0)
    with pytest.raises(ParameterError, match="--algorithm"):
        maximize(f, 1, algorithm="fast")
    with pytest.raises(ParameterError, match="--eps"):
        maximize(f, 1, algorithm="sieve", eps=1.5)
    with pytest.raises(ParameterError, match="--objective"):
        maximize(np.ones((3, 3)), 1)
    with pytest.raises(ParameterError, match=r"entry \[1, 2\] is -1"):
        facility_location(np.array([[1.0, 0, 0], [0, 0, -1.0]]))
    with pytest.raises(ParameterError, match=r"entry \[0, 1\] is nan"):
        facility_location(sp.csr_matrix(np.array([[0.0, np.nan]])))
    with pytest.raises(ParameterError, match="--concave"):
        feature_based(np.ones((2, 2)), "cube")
    with pytest.raises(ParameterError, match="outside"):
        coverage([[0, 5]], 3)


# ------------------------------------------------------------------------------------ similarity

@pytest.mark.parametrize("metric", ["euclidean", "cosine", "rbf"])
def test_dense_similarity_formulas(metric):
    X = np.random.default_rng(4).normal(size=(12, 3))
    X[3] = 0.0  # a zero vector: cosine similarity 0
    X[5] = X[4]  # a duplicate
    S = similarity_matrix(X, metric)
    ref = naive.similarity(X, metric)
    assert S.shape == (12, 12) and S.flags.c_contiguous and (S >= 0).all()
    assert np.allclose(S, ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())
    assert np.allclose(similarity_matrix(X, "rbf", gamma=0.3), naive.similarity(X, "rbf", 0.3), rtol=1e-9)


def _check_fused_objective(X, metric, ks, dtype="float64"):
    """dense_facility_location: the same matrix as similarity_matrix (its columns in fd.columns' order),
    singletons and first-round gains as the oracle computes them, and lazy greedy from its first round
    = greedy on the plain matrix."""
    fd = dense_facility_location(X, metric, dtype=dtype)
    S = similarity_matrix(X, metric, dtype=dtype)
    assert fd.dense.dtype == S.dtype == np.dtype(dtype) and fd.dtype == dtype
    columns = np.arange(S.shape[0]) if fd.columns is None else fd.columns
    assert sorted(columns.tolist()) == list(range(S.shape[0]))
    # equal up to the rounding of the Gram products, which BLAS may take in another order for
    # permuted columns
    assert np.allclose(fd.dense, S[:, columns], rtol=0, atol=1e-13 * np.abs(S).max())
    plain = facility_location(S, dtype=dtype)
    n = S.shape[0]
    assert np.allclose(fd.singletons, singleton_values(plain), rtol=1e-12, atol=0)
    if fd.round1 is not None:
        first, gains1 = fd.round1
        assert first == int(np.argmax(fd.singletons))  # ties: the smaller index
        state = K.new_state(plain.oracle(), n)
        K.add(plain.oracle(), first, state)
        ref = [K.gain(plain.oracle(), e, state) for e in range(n)]
        assert np.allclose(gains1, ref, rtol=1e-12, atol=1e-12 * max(ref))
    for k in ks:
        k = min(k, n)
        g = maximize(plain, k, algorithm="greedy")
        z = maximize(fd, k, algorithm="lazy")
        assert z.selected.tolist() == g.selected.tolist()
        assert np.allclose(z.gains, g.gains, rtol=1e-12, atol=0)
        assert z.objective == pytest.approx(g.objective, rel=1e-12)
        assert z.counters["singleton_calls"] == n
        if fd.round1 is not None:
            assert z.counters["oracle_calls"] >= n - 1  # round 1's gains are queries, taken in the build
    return fd


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("metric", ["euclidean", "cosine", "rbf"])
def test_dense_facility_location_carries_singletons_and_the_first_round(metric, dtype):
    X = np.random.default_rng(7).normal(size=(40, 3))
    X[3] = 0.0
    X[5] = X[4]
    fd = _check_fused_objective(X, metric, (1, 2, 5, 40), dtype)
    assert (fd.round1 is not None) == (metric == "euclidean")


def test_dense_facility_location_ties_go_to_the_smaller_index():
    X = np.tile([[1.0, 2.0]], (6, 1))
    X[4] = [3.0, 2.0]
    X[5] = [-1.0, 2.0]  # 4 and 5 mirror each other around the others: equal singletons and gains
    for dtype in ("float64", "float32"):
        fd = _check_fused_objective(X, "euclidean", (1, 2, 3, 6), dtype)
        assert fd.round1 is None or fd.round1[0] == 0


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 30), d=st.integers(1, 4), seed=st.integers(0, 10**6), grid=st.booleans(),
       dtype=st.sampled_from(["float64", "float32"]))
def test_fused_first_round_is_greedy(n, d, seed, grid, dtype):
    X = np.random.default_rng(seed).normal(size=(n, d))
    if grid:
        X = np.round(X)  # many exact ties
    _check_fused_objective(X, "euclidean", (1, 3, n), dtype)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 90), width=st.integers(1, 9), centres=st.integers(1, 6), seed=st.integers(0, 10**6),
       grid=st.booleans(), dtype=st.sampled_from(["float64", "float32"]))
def test_blocked_lazy_is_greedy(n, width, centres, seed, grid, dtype):
    """Lazy greedy re-reading only the changed blocks of each row: greedy's picks and gains, with the
    columns cut into many small blocks (clustered points, so picks change few of them), exact ties
    included."""
    import optsuite.solvers.submodular.similarity as similarity

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(centres, 3))[rng.integers(0, centres, n)] * 5 + rng.normal(size=(n, 3))
    if grid:
        X = np.round(X)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(similarity, "BLOCK_WIDTH", width)
        fd = _check_fused_objective(X, "euclidean", (2, 7, n), dtype)
    if fd.round1 is not None:
        assert fd.blocks[0] == width and fd.blocks[1].shape == (n, -(-n // width))
        z = maximize(fd, n, algorithm="lazy")
        assert 0 <= z.counters["blocks_read"] <= z.counters["oracle_calls"] * fd.blocks[1].shape[1]


def test_blocked_lazy_reads_few_blocks_on_clustered_points():
    """The point of the clustered column order: on well separated blobs most re-evaluations skip most
    blocks (here about a third of the blocks of the rows re-evaluated are read; in input order, which
    mixes the blobs, nearly all would be)."""
    from optsuite.problems.submodular import generate_points

    X = generate_points(2000, 10, centers=10, seed=3, spread=1.0)
    fd = dense_facility_location(X, "euclidean")
    z = maximize(fd, 50, algorithm="lazy")
    re_evaluations = z.counters["oracle_calls"] - (fd.n - 1)
    assert z.counters["blocks_read"] < re_evaluations * fd.blocks[1].shape[1] / 2
    assert z.selected.tolist() == maximize(facility_location(similarity_matrix(X)), 50).selected.tolist()


# ------------------------------------------------------------------------------ float32 storage

@pytest.mark.parametrize("metric", ["euclidean", "cosine", "rbf"])
def test_float32_similarity_is_the_float64_one_rounded(metric):
    """Entries are computed in float64 and rounded once: within float32's eps of the matrix maximum."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(300, 7)) * rng.random(7) * 10 + 3
    X[3] = 0.0
    S64 = similarity_matrix(X, metric)
    S32 = similarity_matrix(X, metric, dtype="float32")
    assert S32.dtype == np.float32 and S32.flags.c_contiguous and (S32 >= 0).all()
    err = np.abs(S32.astype(np.float64) - S64).max()
    assert err <= np.finfo(np.float32).eps * S64.max()
    assert np.array_equal(S32, similarity_matrix(X, metric, dtype=np.float32))
    fd = dense_facility_location(X, metric, dtype="float32")
    # singletons are the float64 row sums of the stored float32 entries (what the oracle computes)
    assert np.allclose(fd.singletons, S32.astype(np.float64).sum(axis=1), rtol=1e-12, atol=0)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 14), m=st.integers(1, 9), k=st.integers(1, 14), seed=st.integers(0, 10**6),
       density=st.sampled_from([0.2, 0.6, 1.0]))
def test_float32_lazy_is_float32_greedy_and_gains_never_increase(n, m, k, seed, density):
    _, S = _random_fl(n, m, seed, False, density)
    f = facility_location(S, dtype="float32")
    assert f.dense.dtype == np.float32 and f.describe()["dtype"] == "float32"
    k = min(k, n)
    g = maximize(f, k, algorithm="greedy")
    z = maximize(f, k, algorithm="lazy")
    assert g.selected.tolist() == z.selected.tolist()
    assert np.array_equal(g.gains, z.gains)
    assert np.all(np.diff(z.gains) <= 0)
    # f is the float32 entries summed in float64
    S32 = S.astype(np.float32).astype(np.float64)
    assert z.objective == pytest.approx(naive.facility_location(S32, z.selected.tolist()), rel=1e-12)
    assert z.gains.sum() == pytest.approx(z.objective, rel=1e-12)


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "rbf"])
def test_float32_objective_is_close_to_float64_on_the_same_picks(metric):
    X = np.random.default_rng(12).normal(size=(500, 6))
    f32 = dense_facility_location(X, metric, dtype="float32")
    f64 = dense_facility_location(X, metric)
    for algorithm in ALGORITHMS:
        r32 = maximize(f32, 25, algorithm=algorithm)
        assert r32.objective == pytest.approx(f64.value(r32.selected), rel=1e-5), algorithm
        g32 = maximize(facility_location(f32.dense, dtype="float32"), 25, algorithm=algorithm)
        assert g32.selected.tolist() == r32.selected.tolist()  # the fused build changes nothing
    r64 = maximize(f64, 25)
    assert maximize(f32, 25).objective == pytest.approx(r64.objective, rel=1e-5)


def test_float32_precomputed_and_invalid_dtypes():
    S = np.random.default_rng(13).random((20, 30))
    f = facility_location(S, dtype="float32")
    assert f.dense.dtype == np.float32 and np.array_equal(f.dense, S.astype(np.float32))
    assert facility_location(S).dtype == "float64" and facility_location(sp.csr_matrix(S)).dtype == "float64"
    with pytest.raises(ParameterError, match="--dtype: float32 storage is for a dense similarity only"):
        facility_location(sp.csr_matrix(S), dtype="float32")
    with pytest.raises(ParameterError, match="--dtype: must be one of float64, float32"):
        facility_location(S, dtype="float16")
    with pytest.raises(ParameterError, match="--dtype"):
        similarity_matrix(np.ones((3, 2)), dtype="int8")
    with pytest.raises(ParameterError, match=r"--dtype: similarity entry \[1, 0\] is 1e\+300, beyond float32"):
        facility_location(np.array([[1.0], [1e300]]), dtype="float32")


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "rbf"])
def test_knn_similarity_keeps_the_nearest_neighbours(metric):
    X = np.random.default_rng(5).normal(size=(15, 2))
    K_ = 4
    S = knn_similarity(X, K_, metric)
    assert S.shape == (15, 15) and (np.diff(S.indptr) == K_).all()
    D2 = ((X[:, None] - X[None]) ** 2).sum(-1)
    U = X / np.linalg.norm(X, axis=1)[:, None]
    order = D2 if metric != "cosine" else 1 - U @ U.T
    for i in range(15):
        cols = S.indices[S.indptr[i]:S.indptr[i + 1]]
        assert i in cols
        assert set(cols) == set(np.argsort(order[i], kind="stable")[:K_].tolist())
    dense = S.toarray()
    stored = dense > 0
    if metric == "euclidean":
        top = max(D2[i, j] for i in range(15) for j in S.indices[S.indptr[i]:S.indptr[i + 1]])
        assert np.allclose(dense[stored], (top - D2)[stored])
    else:
        ref = naive.similarity(X, metric)
        assert np.allclose(dense[stored], ref[stored])
    # keeping every neighbour gives the dense matrix (the euclidean maximum is then global)
    assert np.allclose(knn_similarity(X, 15, metric).toarray(), similarity_matrix(X, metric), rtol=1e-9)


def test_similarity_refuses_a_matrix_larger_than_memory():
    from optsuite.solvers.errors import ResourceError
    from optsuite.solvers.submodular.similarity import check_dense_memory

    with pytest.raises(ResourceError, match=r"--dtype float32 halves it, or use --knn"):
        check_dense_memory(100_000, available=2**30)
    with pytest.raises(ResourceError, match=r"float32 similarity of 37.3 GiB.*; use --knn"):
        check_dense_memory(100_000, available=2**30, dtype="float32")
    check_dense_memory(100, available=2**30)
    check_dense_memory(20_000, available=2**31, dtype="float32")  # 1.5 GiB: float64 would need 3
    with pytest.raises(ParameterError, match="--knn"):
        knn_similarity(np.ones((3, 2)), 5)
    with pytest.raises(ParameterError, match="--metric"):
        similarity_matrix(np.ones((3, 2)), "manhattan")
