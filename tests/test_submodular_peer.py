"""Equivalence with apricot-select (the `peers` extra): the same precomputed similarity or features give
the same selection values (1e-9 relative), and our similarity formulas are apricot's."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from optsuite.solvers.submodular import facility_location, feature_based, maximize, similarity_matrix

apricot = pytest.importorskip("apricot", reason="apricot-select (the peers extra) is not installed")


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 10, size=(6, 4))
    return np.abs(centres[rng.integers(0, 6, size=300)] + rng.normal(size=(300, 4)))


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_similarity_formulas_are_apricots(points, metric):
    from apricot.utils import _calculate_pairwise_distances

    ours = similarity_matrix(points, metric)
    theirs = _calculate_pairwise_distances(points, metric=metric)
    assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-9 * np.abs(theirs).max())


def test_facility_location_lazy_equals_apricot_on_the_same_similarity(points, k=100):
    S = similarity_matrix(points, "euclidean")
    f = facility_location(S)
    ours = maximize(f, k)
    sel = apricot.FacilityLocationSelection(k, metric="precomputed", optimizer="lazy").fit(S)
    theirs = f.value(np.asarray(sel.ranking))
    assert ours.objective == pytest.approx(theirs, rel=1e-9)
    assert np.allclose(ours.gains, sel.gains, rtol=1e-6, atol=1e-9 * ours.objective)
    assert maximize(f, k, algorithm="greedy").objective == ours.objective


def test_sparse_facility_location_equals_apricot(points):
    S = similarity_matrix(points, "cosine")
    S[S < 0.9] = 0.0
    csr = sp.csr_matrix(S)
    ours = maximize(facility_location(csr), 20)
    sel = apricot.FacilityLocationSelection(20, metric="precomputed", optimizer="lazy").fit(csr)
    assert ours.objective == pytest.approx(facility_location(S).value(np.asarray(sel.ranking)), rel=1e-9)


def test_feature_based_lazy_equals_apricot(points, concave="log1p", theirs="log"):
    f = feature_based(points, concave)
    ours = maximize(f, 25)
    sel = apricot.FeatureBasedSelection(25, concave_func=theirs, optimizer="lazy").fit(points)
    assert ours.objective == pytest.approx(f.value(np.asarray(sel.ranking)), rel=1e-9)
