"""The k-medoids coreset: D^1 seeding and sensitivity bounds against brute force, equivalence with full
FasterPAM when the coreset is every point, loss bookkeeping, quality on blobs, errors."""

from __future__ import annotations

import numpy as np
import pytest

import naive
from optsuite.problems.kmedoids import generate
from optsuite.solvers.errors import ParameterError
from optsuite.solvers.kmedoids import api as km
from optsuite.solvers.sampling import coreset


@pytest.fixture(scope="module")
def blobs():
    return generate(3000, 4, 6, seed=2)[0]


def test_d1_seeding_assigns_every_point_to_its_nearest_centre(blobs):
    X = blobs[:500]
    centres, labels, dist = coreset.d1_seeding(X, 12, "euclidean", None, np.random.default_rng(0))
    assert np.unique(centres).size == 12
    D = naive.pairwise(X, "euclidean")[:, centres]
    np.testing.assert_allclose(dist, D.min(axis=1), atol=1e-12)
    assert (D[np.arange(500), labels] <= dist + 1e-12).all() and (labels[centres] == np.arange(12)).all()


def test_d1_seeding_stops_when_every_point_is_a_centre():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 5.0]]), 4, axis=0)
    centres, labels, dist = coreset.d1_seeding(X, 8, "manhattan", None, np.random.default_rng(1))
    assert centres.size == 3 and (dist == 0).all()


def test_sensitivity_bounds_formula():
    dist = np.array([0.0, 1.0, 3.0, 0.0, 2.0])
    labels = np.array([0, 0, 0, 1, 1])
    w = np.array([1.0, 2.0, 1.0, 1.0, 1.0])
    q = coreset.sensitivity_bounds(dist, labels, w)
    cost = 0 + 2 + 3 + 0 + 2
    np.testing.assert_allclose(q, w * dist / cost + w / np.array([4, 4, 4, 2, 2]))
    assert q.sum() == pytest.approx(1 + 2)
    np.testing.assert_allclose(coreset.sensitivity_bounds(np.zeros(3), np.array([0, 0, 1]), None), [0.5, 0.5, 1])


@pytest.mark.parametrize("init", ["random", "lab"])
def test_a_coreset_of_every_point_is_full_fasterpam(blobs, init):
    """With M >= n every point is kept with weight 1: the search is exactly FasterPAM on all points."""
    X = blobs[:400]
    res = coreset.kmedoids_coreset(X, 5, 10_000, init=init, seed=3, refine_rounds=0)
    full = km.kmedoids(km.dissimilarity_matrix(X), 5, init=init, seed=3)
    assert res.coreset["sampled"] == 400 and res.coreset["weight_sum"] == 400
    assert res.medoids.tolist() == full.medoids.tolist() and res.objective == pytest.approx(full.objective, rel=1e-12)
    assert res.labels.tolist() == full.labels.tolist() and res.status == "converged"


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_loss_labels_and_refinement_bookkeeping(blobs, metric):
    w = np.random.default_rng(0).random(3000) + 0.5
    res = coreset.kmedoids_coreset(blobs, 6, 300, metric=metric, seed=1, weights=w)
    D = naive.pairwise(blobs, metric)
    assert np.unique(res.medoids).size == 6 and res.labels.shape == (3000,)
    assert res.objective == pytest.approx(naive.total_deviation(D, res.medoids, w), rel=1e-9)
    own = D[np.arange(3000), res.medoids[res.labels]]
    assert (own <= D[:, res.medoids].min(axis=1) + 1e-9).all()
    assert res.objective <= res.coreset["objective_before_refine"] * (1 + 1e-12)
    c = res.coreset
    assert c["candidates"] >= c["sampled"] and c["bicriteria_centres"] == 12
    assert c["total_sensitivity"] == pytest.approx(1 + 12)
    assert c["weight_sum"] == pytest.approx(w.sum(), rel=0.2)  # an unbiased estimate of the total weight


def test_quality_on_blobs_is_close_to_full_fasterpam(blobs):
    full = km.kmedoids(km.dissimilarity_matrix(blobs, "euclidean", "float32"), 6, seed=0)
    losses = [coreset.kmedoids_coreset(blobs, 6, 300, seed=s).objective for s in range(3)]
    assert np.median(losses) <= 1.03 * full.objective
    plain = [coreset.kmedoids_coreset(blobs, 6, 300, seed=s, refine_rounds=0).objective for s in range(3)]
    assert np.median(losses) <= np.median(plain)


def test_coreset_errors(blobs):
    with pytest.raises(ParameterError, match="--coreset: works on points"):
        coreset.kmedoids_coreset(blobs, 3, 100, metric="precomputed")
    with pytest.raises(ParameterError, match="--coreset: replaces CLARA"):
        coreset.kmedoids_coreset(blobs, 3, 100, method="clara")
    with pytest.raises(ParameterError, match="--coreset: the coreset size must be at least k = 3"):
        coreset.kmedoids_coreset(blobs, 3, 2)
    with pytest.raises(ParameterError, match="--k: must be between 1"):
        coreset.kmedoids_coreset(blobs[:5], 6, 100)
