"""Equivalence with the `kmedoids` package (Rust FasterPAM by the papers' author): same matrix, same
initial medoids, same answer. README's test command installs the peers, so these run in CI; they skip
only for a user who installed optsuite without the `peers` extra."""

from __future__ import annotations

import numpy as np
import pytest

from optsuite.solvers.kmedoids import api

kmedoids = pytest.importorskip("kmedoids")


def blobs(n, seed):
    from optsuite.problems.kmedoids import generate

    return generate(n, 5, 6, seed)[0]


CASES = [(300, 5, 0, "float64"), (300, 12, 1, "float32"), (800, 30, 2, "float64"), (120, 2, 3, "float32")]


@pytest.mark.parametrize("n,k,seed,dtype", CASES)
def test_fasterpam_no_shuffle_equals_kmedoids_fasterpam(n, k, seed, dtype):
    D = api.dissimilarity_matrix(blobs(n, seed), "euclidean", dtype)
    start = np.random.default_rng(seed).choice(n, k, replace=False)
    ours = api.kmedoids(D, k, method="fasterpam", medoids=start, shuffle=False)
    peer = kmedoids.fasterpam(D, start.astype(np.uintp), max_iter=100, n_cpu=1)
    assert ours.medoids.tolist() == peer.medoids.tolist()
    assert ours.labels.tolist() == peer.labels.tolist()
    assert ours.objective == pytest.approx(float(peer.loss), rel=1e-9)
    assert (ours.iterations, ours.counters["swaps"]) == (peer.n_iter, peer.n_swap)


@pytest.mark.parametrize("n,k,seed,dtype", CASES)
def test_fastpam1_equals_kmedoids_fastpam1(n, k, seed, dtype):
    D = api.dissimilarity_matrix(blobs(n, seed), "euclidean", dtype)
    start = np.random.default_rng(seed).choice(n, k, replace=False)
    ours = api.kmedoids(D, k, method="fastpam1", medoids=start)
    peer = kmedoids.fastpam1(D, start.astype(np.uintp), max_iter=10_000)
    assert ours.medoids.tolist() == peer.medoids.tolist()
    assert ours.objective == pytest.approx(float(peer.loss), rel=1e-9)
    assert (ours.iterations, ours.counters["swaps"]) == (peer.n_iter, peer.n_swap)


@pytest.mark.parametrize("n,k,seed,dtype", CASES[:3])
def test_pam_with_build_equals_kmedoids_pam(n, k, seed, dtype):
    D = api.dissimilarity_matrix(blobs(n, seed), "euclidean", dtype)
    ours = api.kmedoids(D, k, method="pam", init="build")
    peer = kmedoids.pam(D, k, max_iter=10_000)
    assert ours.medoids.tolist() == peer.medoids.tolist()
    assert ours.objective == pytest.approx(float(peer.loss), rel=1e-9)
    assert (ours.iterations, ours.counters["swaps"]) == (peer.n_iter, peer.n_swap)


def test_alternate_equals_kmedoids_alternating():
    D = api.dissimilarity_matrix(blobs(400, 4))
    start = np.random.default_rng(4).choice(400, 6, replace=False)
    ours = api.kmedoids(D, 6, method="alternate", medoids=start)
    peer = kmedoids.alternating(D, start.astype(np.uintp), max_iter=100)
    assert ours.medoids.tolist() == peer.medoids.tolist()
    assert ours.objective == pytest.approx(float(peer.loss), rel=1e-9)


def test_k1_equals_kmedoids():
    D = api.dissimilarity_matrix(blobs(200, 5))
    ours = api.kmedoids(D, 1, medoids=[17])
    peer = kmedoids.fasterpam(D, np.array([17], dtype=np.uintp), n_cpu=1)
    assert ours.medoids.tolist() == peer.medoids.tolist() and ours.objective == pytest.approx(float(peer.loss))


def test_cli_matches_peer_on_a_precomputed_matrix(tmp_path, optsuite):
    """The same check through the real command line: precomputed .npy and --init-medoids file."""
    n, k = 250, 7
    D = api.dissimilarity_matrix(blobs(n, 6))
    np.save(tmp_path / "D.npy", D)
    start = np.random.default_rng(6).choice(n, k, replace=False)
    (tmp_path / "init.csv").write_text("\n".join(map(str, start)) + "\n")
    for method, peer in (("fasterpam", kmedoids.fasterpam(D, start.astype(np.uintp), n_cpu=1)),
                         ("fastpam1", kmedoids.fastpam1(D, start.astype(np.uintp), max_iter=10_000))):
        r = optsuite("solve", "kmedoids", tmp_path / "D.npy", "--metric", "precomputed", "--k", k,
                     "--method", method, "--no-shuffle", "--init-medoids", tmp_path / "init.csv", "-q")
        assert r.returncode == 0, r
        res = r.json()
        assert res["medoids"] == peer.medoids.tolist()
        assert res["objective"] == pytest.approx(float(peer.loss), rel=1e-9)
    r = optsuite("solve", "kmedoids", tmp_path / "D.npy", "--metric", "precomputed", "--k", k,
                 "--method", "pam", "--init", "build", "-q")
    peer = kmedoids.pam(D, k, max_iter=10_000)
    assert r.json()["medoids"] == peer.medoids.tolist()
