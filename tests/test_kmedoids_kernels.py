"""k-medoids kernels against the plain references in naive.py, on small random instances and edge
cases: ties, duplicates, k = 1, k = n, degenerate data, weights, float32."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import naive
from optsuite.solvers.errors import ParameterError
from optsuite.solvers.kmedoids import api

METRICS = ["euclidean", "sqeuclidean", "manhattan", "cosine", "jaccard"]


def points(n, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def matrix(n, seed=0, dtype="float64"):
    return api.dissimilarity_matrix(points(n, seed=seed), "euclidean", dtype)


def integer_matrix(n, seed=0, high=20):
    """A symmetric matrix of small integers: exact sums, many ties."""
    rng = np.random.default_rng(seed)
    A = rng.integers(1, high, size=(n, n)).astype(np.float64)
    D = np.triu(A, 1) + np.triu(A, 1).T
    return D


# ------------------------------------------------------------------------------------------ distances

@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("n", [1, 2, 7, 300])
def test_distances_match_scipy(metric, n):
    rng = np.random.default_rng(n)
    X = (rng.random((n, 5)) < 0.4).astype(float) if metric == "jaccard" else rng.normal(size=(n, 5))
    if metric in ("cosine", "jaccard") and n > 2:
        X[1] = 0.0  # a zero vector
    D = api.dissimilarity_matrix(X, metric)
    np.testing.assert_allclose(D, naive.pairwise(X, metric), rtol=1e-12, atol=1e-12)
    assert (D == D.T).all() and (np.diagonal(D) == 0).all()
    D32 = api.dissimilarity_matrix(X, metric, "float32")
    assert D32.dtype == np.float32 and (D32 == D32.T).all()
    np.testing.assert_allclose(D32, D, rtol=1e-6, atol=1e-6)


def test_duplicate_points_are_at_distance_zero():
    X = np.repeat(points(5), 2, axis=0) * 1e6
    D = api.dissimilarity_matrix(X)
    assert all(D[2 * i, 2 * i + 1] == 0.0 for i in range(5))


def test_jaccard_needs_binary_data():
    with pytest.raises(ParameterError, match="jaccard needs 0/1 data"):
        api.dissimilarity_matrix(np.array([[0.0, 2.0], [1.0, 0.0]]), "jaccard")


def test_point_assignment_matches_matrix():
    X = points(60)
    med = [3, 17, 40]
    labels, dist, loss = api.assign_points(X, med)
    D = naive.pairwise(X, "euclidean")
    np.testing.assert_array_equal(labels, naive.nearest_labels(D, med))
    assert loss == pytest.approx(naive.total_deviation(D, med), rel=1e-12)
    np.testing.assert_allclose(api.distances_between(X, np.arange(60), np.array(med)[labels]), dist)


# ------------------------------------------------------------------------------------ PAM family

@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [2, 3, 5])
def test_fastpam1_takes_exactly_the_swaps_of_pam(seed, k):
    D = matrix(25, seed)
    start = np.random.default_rng(seed).choice(25, k, replace=False)
    fast = api.kmedoids(D, k, method="fastpam1", medoids=start)
    pam = api.kmedoids(D, k, method="pam", medoids=start)
    ref_loss, ref_med, ref_swaps = naive.pam_swap(D, start)
    assert fast.medoids.tolist() == pam.medoids.tolist() == ref_med
    assert fast.counters["swaps"] == pam.counters["swaps"] == ref_swaps
    assert fast.objective == pam.objective
    assert fast.objective == pytest.approx(ref_loss, rel=1e-12)
    assert fast.status == "converged"


@pytest.mark.parametrize("seed", range(4))
def test_fastpam1_equals_pam_on_integer_matrices_with_ties(seed):
    D = integer_matrix(18, seed)
    start = np.arange(4)
    fast = api.kmedoids(D, 4, method="fastpam1", medoids=start)
    pam = api.kmedoids(D, 4, method="pam", medoids=start)
    assert fast.medoids.tolist() == pam.medoids.tolist()
    assert fast.objective == pam.objective and fast.counters["swaps"] == pam.counters["swaps"]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_results_against_brute_force(seed, k):
    """Every method ends at or above the optimum over all k-subsets, in a swap-local optimum (the
    exact optimum for k = 1), and reports its loss correctly."""
    D = matrix(11, seed)
    best, _ = naive.brute_force_kmedoids(D, k)
    for method in ("fasterpam", "fastpam1", "pam"):
        r = api.kmedoids(D, k, method=method, init="build")
        assert r.objective == pytest.approx(naive.total_deviation(D, r.medoids), rel=1e-12)
        assert r.objective >= best - 1e-9
        assert naive.is_swap_local_optimum(D, r.medoids)
        if k == 1:
            assert r.objective == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_fasterpam_matches_its_definition(seed):
    """The kernel's eager swaps equal a transcription of the paper's loop with brute-force deltas."""
    n, k = 30, 4
    D = matrix(n, seed)
    start = np.random.default_rng(seed).choice(n, k, replace=False)
    r = api.kmedoids(D, k, method="fasterpam", medoids=start)
    loss, med, passes, swaps = naive.fasterpam(D, start)
    assert r.medoids.tolist() == med
    assert (r.iterations, r.counters["swaps"]) == (passes, swaps)
    assert r.objective == pytest.approx(loss, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 30), k=st.integers(1, 6), seed=st.integers(0, 10_000),
       method=st.sampled_from(["fasterpam", "fastpam1", "pam", "alternate", "clarans"]),
       duplicates=st.booleans(), dtype=st.sampled_from(["float64", "float32"]))
def test_invariants(n, k, seed, method, duplicates, dtype):
    """The loss never increases, the result is consistent, every medoid is in its own cluster, labels
    point at a nearest medoid; with duplicate points too."""
    k = min(k, n)
    X = points(n, seed=seed)
    if duplicates:
        X[n // 2:] = X[: n - n // 2]
    D = api.dissimilarity_matrix(X, "euclidean", dtype)
    r = api.kmedoids(D, k, method=method, seed=seed)
    med = r.medoids
    assert len(set(med.tolist())) == k
    assert r.objective <= r.initial_objective + 1e-9 * max(1.0, r.initial_objective)
    assert r.objective == pytest.approx(naive.total_deviation(D, med), rel=1e-9, abs=1e-12)
    assert all(r.labels[m] == slot for slot, m in enumerate(med))
    D64 = D.astype(np.float64)
    np.testing.assert_allclose(D64[np.arange(n), med[r.labels]], D64[:, med].min(axis=1))


def test_fasterpam_ends_in_a_local_optimum_with_float32():
    D = matrix(40, 3, "float32")
    r = api.kmedoids(D, 4, method="fasterpam", seed=3)
    assert naive.is_swap_local_optimum(D.astype(np.float64), r.medoids, rtol=1e-6)


def test_k_equals_n_and_k_one():
    D = matrix(9)
    r = api.kmedoids(D, 9)
    assert r.objective == 0.0 and sorted(r.medoids.tolist()) == list(range(9))
    assert r.labels.tolist() == [int(np.flatnonzero(r.medoids == i)[0]) for i in range(9)]
    for method in ("fasterpam", "fastpam1", "pam", "alternate"):
        r = api.kmedoids(D, 1, method=method, medoids=[4])
        assert r.medoids.tolist() == [int(np.argmin(D.sum(axis=1)))]
        assert r.labels.tolist() == [0] * 9


def test_all_ties_resolve_deterministically():
    D = np.ones((8, 8)) - np.eye(8)  # every pair at distance 1
    a = api.kmedoids(D, 3, method="fasterpam", init="first")
    b = api.kmedoids(D, 3, method="fasterpam", init="first")
    assert a.medoids.tolist() == b.medoids.tolist() == [0, 1, 2]  # no swap improves strictly
    assert a.counters["swaps"] == 0 and a.objective == 5.0


def test_medoid_is_assigned_to_itself_when_duplicated():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [5.0, 5.0]])
    D = api.dissimilarity_matrix(X)
    r = api.kmedoids(D, 3, medoids=[0, 1, 2], method="fasterpam")
    counts = np.bincount(r.labels, minlength=3)
    assert (counts >= 1).all()
    assert all(r.labels[m] == slot for slot, m in enumerate(r.medoids))


# --------------------------------------------------------------------------------------------- inits

@pytest.mark.parametrize("seed", range(4))
def test_build_matches_its_definition(seed):
    D = matrix(20, seed)
    med, info = api.initial_medoids(D, 5, "build")
    assert med.tolist() == naive.build(D, 5)
    assert info["medoids_without_gain"] == 0


def test_build_with_fewer_distinct_points_than_k_still_returns_k_medoids():
    X = np.array([[0.0], [0.0], [1.0], [1.0], [1.0]])
    D = api.dissimilarity_matrix(X)
    med, info = api.initial_medoids(D, 4, "build")
    assert len(set(med.tolist())) == 4 and info["medoids_without_gain"] == 2
    r = api.kmedoids(D, 4, init="build", method="pam")
    assert len(set(r.medoids.tolist())) == 4 and r.objective == 0.0
    assert any("fewer than k" in w for w in r.get("warnings", []))


@pytest.mark.parametrize("init", ["random", "lab", "first", "build"])
def test_inits_give_k_distinct_medoids_reproducibly(init):
    D = matrix(200, 1)
    a, _ = api.initial_medoids(D, 12, init, seed=5)
    b, _ = api.initial_medoids(D, 12, init, seed=5)
    assert a.tolist() == b.tolist() and len(set(a.tolist())) == 12
    assert a.min() >= 0 and a.max() < 200


def test_lab_starts_better_than_random():
    D = matrix(400, 2)
    lab = np.mean([naive.total_deviation(D, api.initial_medoids(D, 10, "lab", seed=s)[0]) for s in range(5)])
    rnd = np.mean([naive.total_deviation(D, api.initial_medoids(D, 10, "random", seed=s)[0]) for s in range(5)])
    assert lab < rnd


# ------------------------------------------------------------------------------- other methods

@pytest.mark.parametrize("seed", range(4))
def test_alternate_matches_its_definition(seed):
    D = matrix(40, seed)
    start = np.random.default_rng(seed).choice(40, 4, replace=False)
    r = api.kmedoids(D, 4, method="alternate", medoids=start)
    loss, med, rounds = naive.alternating(D, start)
    assert r.medoids.tolist() == med and r.iterations == rounds
    assert r.objective == pytest.approx(loss, rel=1e-12)


@pytest.mark.parametrize("variant", ["fast", "classic"])
def test_clarans_improves_and_is_reproducible(variant):
    D = matrix(150, 4)
    a = api.kmedoids(D, 5, method="clarans", clarans_variant=variant, seed=2)
    b = api.kmedoids(D, 5, method="clarans", clarans_variant=variant, seed=2)
    assert a.medoids.tolist() == b.medoids.tolist()
    assert a.objective < a.initial_objective
    assert a.objective == pytest.approx(naive.total_deviation(D, a.medoids), rel=1e-12)
    assert a.counters["candidates"] >= a.counters["max_neighbors"]


def test_clara_uses_full_data_loss_and_is_reproducible():
    X = points(500, seed=9)
    a = api.clara(X, 4, samples=3, seed=1)
    b = api.clara(X, 4, samples=3, seed=1)
    assert a.medoids.tolist() == b.medoids.tolist()
    D = naive.pairwise(X, "euclidean")
    assert a.objective == pytest.approx(naive.total_deviation(D, a.medoids), rel=1e-9)
    np.testing.assert_array_equal(a.labels, naive.nearest_labels(D, a.medoids))
    full = api.kmedoids(api.dissimilarity_matrix(X), 4, init="build")
    assert a.objective <= 1.1 * full.objective
    pre = api.clara(D, 4, metric="precomputed", samples=3, seed=1)
    assert pre.objective == pytest.approx(naive.total_deviation(D, pre.medoids), rel=1e-9)
    with pytest.raises(ParameterError, match="--clara-size"):
        api.clara(X, 4, sample_size=3)


# ------------------------------------------------------------------------------------------ weights

def test_integer_weights_equal_duplicated_points():
    X = points(12, seed=5)
    w = np.random.default_rng(5).integers(1, 4, size=12).astype(float)
    D = api.dissimilarity_matrix(X)
    best_w, _ = naive.brute_force_kmedoids(D, 2, weights=w)
    Xd = np.repeat(X, w.astype(int), axis=0)
    best_d, _ = naive.brute_force_kmedoids(api.dissimilarity_matrix(Xd), 2)
    assert best_w == pytest.approx(best_d, rel=1e-12)
    for method in ("fasterpam", "fastpam1", "pam", "alternate"):
        r = api.kmedoids(D, 2, method=method, weights=w, init="build")
        assert r.objective == pytest.approx(naive.total_deviation(D, r.medoids, w), rel=1e-12)
        if method != "alternate":
            assert naive.is_swap_local_optimum(D, r.medoids, w)
    fast = api.kmedoids(D, 3, method="fastpam1", weights=w, medoids=[0, 1, 2])
    loss, med, swaps = naive.pam_swap(D, [0, 1, 2], weights=w)
    assert fast.medoids.tolist() == med and fast.objective == pytest.approx(loss, rel=1e-12)


def test_zero_weights_and_bad_weights():
    D = matrix(10)
    w = np.zeros(10)
    w[:3] = 1.0
    r = api.kmedoids(D, 2, weights=w)
    assert r.objective == pytest.approx(naive.total_deviation(D, r.medoids, w))
    for bad, msg in ((np.zeros(10), "all weights are zero"), (-np.ones(10), "non-negative"),
                     (np.ones(3), "one weight per object")):
        with pytest.raises(ParameterError, match=msg):
            api.kmedoids(D, 2, weights=bad)


# --------------------------------------------------------------------------------------- validation

@pytest.mark.parametrize("kwargs,msg", [
    ({"k": 0}, "--k: must be between 1"),
    ({"k": 11}, "--k: must be between 1"),
    ({"k": 2, "method": "kmeans"}, "--method: must be one of"),
    ({"k": 2, "init": "plusplus"}, "--init: must be one of"),
    ({"k": 2, "medoids": [1, 1]}, "appears twice"),
    ({"k": 2, "medoids": [1, 10]}, "out of range"),
    ({"k": 2, "medoids": [1, 2, 3]}, "3 initial medoids given but k = 2"),
    ({"k": 2, "max_iter": 0}, "--max-iter: must be at least 1"),
])
def test_invalid_parameters(kwargs, msg):
    with pytest.raises(ParameterError, match=msg):
        api.kmedoids(matrix(10), **kwargs)


@pytest.mark.parametrize("D,msg", [
    (np.ones((2, 3)), "must be square"),
    (np.array([[0.0, 1.0], [2.0, 0.0]]), "not symmetric"),
    (np.array([[0.0, -1.0], [-1.0, 0.0]]), "non-negative"),
    (np.array([[1.0, 1.0], [1.0, 0.0]]), "diagonal"),
    (np.array([[0.0, np.nan], [np.nan, 0.0]]), "finite"),
])
def test_invalid_matrices(D, msg):
    with pytest.raises(ParameterError, match=msg):
        api.kmedoids(D, 1)


def test_nearly_symmetric_matrix_is_made_exactly_symmetric_without_touching_the_input():
    D = matrix(20)
    noisy = D.copy()
    noisy[3, 4] += 1e-13
    before = noisy.copy()
    r = api.kmedoids(noisy, 3, init="build")
    assert (noisy == before).all()
    assert r.objective == pytest.approx(api.kmedoids(D, 3, init="build").objective, rel=1e-12)


def test_progress_callback_reports_rounds():
    calls = []
    api.kmedoids(matrix(100), 5, progress=lambda done, total, text: calls.append((done, total, text)))
    assert calls[0] == (0, None, "random init of 5 medoids")
    rounds = calls[1:]
    assert rounds and [d for d, _, _ in rounds] == list(range(1, len(rounds) + 1))
    assert all(t == 100 and "fasterpam: loss" in text for _, t, text in rounds)


def test_max_iter_reports_not_converged():
    D = matrix(300, 7)
    r = api.kmedoids(D, 20, method="pam", max_iter=1, seed=7)
    assert r.status == "max_iter" and not r.success and r.iterations == 1


def test_matrix_too_large_for_memory_is_refused():
    from optsuite.solvers.errors import ResourceError

    api.check_matrix_memory(1000, "float64", available=10**8)
    with pytest.raises(ResourceError, match=r"n = 100000 points need a 100000 x 100000 float64 .* 74.5 GiB.*"
                                            r"--method clara"):
        api.check_matrix_memory(100_000, "float64", available=8 * 2**30)
    with pytest.raises(ResourceError, match="or --dtype float32 to halve it"):
        api.check_matrix_memory(30_000, "float64", available=5 * 2**30)



@pytest.mark.parametrize("method", ["fasterpam", "fastpam1", "pam", "clarans"])
def test_distances_beyond_float64_resolution_never_make_the_loss_worse(method):
    """One point 1e17 away: a swap's estimated change (a sum of differences of distances) is rounding
    noise of the size of the small distances, so it can look negative for a swap that raises the loss.
    Every search keeps a swap only if the recomputed loss drops: it never ends worse than it started,
    and CLARANS, whose neighbour count restarts at every kept swap, ends (it looped forever)."""
    X = np.array([[1.0, 0.0], [2.0, 0.0], [-1.0, 1.0], [1e17, -1e17], [0.0, 0.0]])
    D = api.dissimilarity_matrix(X, "euclidean")
    for start in ([0, 3], [1, 3], [2, 4], [0, 1]):
        r = api.kmedoids(D, 2, method=method, medoids=np.array(start), seed=1)
        assert r.objective <= r.initial_objective
        assert r.objective == naive.total_deviation(D, r.medoids)
    # from the optimum ({0 or 4, the far point}), nothing moves
    assert api.kmedoids(D, 2, method=method, medoids=np.array([0, 3])).medoids.tolist() == [0, 3]
