"""Sensitivity-sampling coresets for k-medoids: cluster millions of points without the n x n matrix.

1. Bicriteria solution: D^1 seeding (k-means++ with distances instead of squared distances) of 2k
   centres, O(n k d); it also gives every point's nearest centre b(x) and distance d(x, B).
2. Sensitivity upper bounds (Feldman & Langberg): q(x) = w_x d(x, B) / cost(X, B) + w_x / W(b(x)), where
   W(b) is the weight of centre b's cluster: far points and points of small clusters get sampled more.
3. A Poisson sample of about M points, kept with probability pi = min(1, c q), weight w / pi: for any
   fixed medoids its weighted total deviation is an unbiased estimate of the full one. The seeding
   centres join as zero-weight candidates (good medoids, no effect on the estimate).
4. Weighted FasterPAM (or the chosen method) on the M x M matrix of the coreset.
5. Every point is assigned to the nearest of the chosen medoids.
6. Refinement (`refine_medoids`): each medoid may move to a nearby point of its cluster, scored on a
   sample of the cluster; a round is kept only when the full-data loss drops.

Memory O(n d + M^2); time O(n k d + M^2 per pass) instead of O(n^2).
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import ParameterError
from ..kmedoids import api as km
from ..result import Result
from .draw import poisson_sample

#: refinement rounds after the coreset solve (0: the plain pipeline)
REFINE_ROUNDS = 3
#: candidate medoids per cluster in a refinement round: the points nearest to the current medoid
REFINE_CANDIDATES = 1000
#: cluster members a candidate's cost is estimated on (its mean dissimilarity to them)
REFINE_SAMPLE = 256


def d1_seeding(X, centres: int, metric: str, weights, rng, progress=None):
    """D^1 seeding: the first centre drawn with probability proportional to weight, each next one
    proportional to weight x distance to the nearest centre so far (stops early when every point
    coincides with a centre). X as `kmedoids.api.points_for` returns it (not checked again: one scan of
    X per centre cost more than the distances). Returns (centre indices, nearest-centre slot of each
    point, distance)."""
    n = X.shape[0]
    w = np.ones(n) if weights is None else weights
    everyone = np.arange(n)
    target = np.empty(n, np.int64)
    first = int(rng.choice(n, p=w / w.sum()))
    target[:] = first
    dist = km.distances_between(X, everyone, target, metric, check=False)
    labels = np.zeros(n, np.int64)
    chosen = [first]
    for t in range(1, centres):
        mass = w * dist
        total = mass.sum()
        if not total > 0:
            break
        c = int(np.searchsorted(np.cumsum(mass), rng.random() * total, side="right"))
        c = min(c, n - 1)
        target[:] = c
        d = km.distances_between(X, everyone, target, metric, check=False)
        closer = d < dist
        labels[closer] = t
        np.minimum(dist, d, out=dist)
        dist[c] = 0.0
        labels[c] = t
        chosen.append(c)
        if progress is not None and t % 10 == 0:
            progress(t, centres, f"coreset: seeding centre {t} of {centres}")
    return np.array(chosen, np.int64), labels, dist


def sensitivity_bounds(dist, labels, weights) -> np.ndarray:
    """q(x) = w_x d(x, B) / cost(X, B) + w_x / W(b(x)): the sensitivity upper bound (up to constant
    factors) from a bicriteria solution B with assignment `labels` and distances `dist`."""
    w = np.ones(dist.shape[0]) if weights is None else weights
    cluster_weight = np.bincount(labels, weights=w)
    q = w / cluster_weight[labels]
    cost = float(np.sum(w * dist))
    if cost > 0:
        q += w * dist / cost
    return q


def refine_medoids(X, medoids, labels, dist, loss, metric, weights, rounds: int, rng, progress=None):
    """Alternating refinement with full-data candidates: each medoid may move to one of the
    REFINE_CANDIDATES points of its cluster nearest to it, the one with the least mean dissimilarity to
    a uniform sample of REFINE_SAMPLE other members of the cluster (all of them in small clusters).

    Why: medoids found on the coreset are coreset points, and the weighted search favours heavy ones
    (a medoid's own weight costs nothing), while the best of all the cluster's points lies closer to its
    centre; in 10-d blobs this cost 3-8 %. Candidates are scored leaving themselves out, so no candidate
    gains from being in the sample; a move is made only if it lowers the exact cost of the whole cluster,
    so the full-data loss never increases.
    Returns (medoids, labels, dist, loss, rounds kept)."""
    w = np.ones(X.shape[0]) if weights is None else weights
    kept = 0
    for r in range(rounds):
        trial = medoids.copy()
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(medoids.size + 1))
        for j in range(medoids.size):
            members = order[bounds[j]:bounds[j + 1]]
            if members.size <= 1:
                continue
            cand = members[np.argsort(dist[members], kind="stable")[:REFINE_CANDIDATES]]
            pts = members if members.size <= REFINE_SAMPLE else rng.choice(members, REFINE_SAMPLE, replace=False)
            local = X[np.concatenate([cand, pts])]  # small copies: the distance API takes per-point norms of all X
            D = km.distances_between(local, np.repeat(np.arange(cand.size), pts.size),
                                     np.tile(np.arange(cand.size, cand.size + pts.size), cand.size), metric,
                                     check=False)
            D = D.reshape(cand.size, pts.size)
            pw = np.broadcast_to(w[pts], D.shape).copy()
            pw[cand[:, None] == pts[None, :]] = 0.0  # leave each candidate itself out
            cost = (D * pw).sum(axis=1) / np.maximum(pw.sum(axis=1), 1e-300)
            best = cand[int(np.argmin(cost))]
            if best == medoids[j]:
                continue
            # accept only if it serves the whole cluster better (exact, O(cluster size))
            local = X[np.append(members, best)]
            new_cost = np.sum(w[members] * km.distances_between(local, np.arange(members.size),
                                                                np.full(members.size, members.size), metric,
                                                                check=False))
            if new_cost < np.sum(w[members] * dist[members]):
                trial[j] = best
        if (trial == medoids).all():
            break
        labels, dist, loss = km.assign_points(X, trial, metric, weights, check=False)
        medoids = trial
        kept += 1
        if progress is not None:
            progress(r + 1, rounds, f"coreset: refinement round {r + 1}, loss {loss:.6g}")
    return medoids, labels, dist, loss, kept


def check_options(*, metric: str, method: str) -> None:
    """Refuse option combinations a coreset cannot serve (before any file is read)."""
    if metric == "precomputed":
        raise ParameterError("coreset", "works on points; with --metric precomputed the n x n matrix "
                             "exists already, so drop --coreset")
    if method == "clara":
        raise ParameterError("coreset", "replaces CLARA's uniform samples by one importance sample; "
                             "choose --method clara or --coreset, not both")


def kmedoids_coreset(X, k: int, size: float, *, metric: str = "euclidean", dtype: str = "float64",
                     method: str = "fasterpam", init: str = "random", max_iter=None, seed: int = 0,
                     shuffle: bool = False, weights=None, clarans_local: int = 2, clarans_neighbors=None,
                     clarans_variant: str = "fast", refine_rounds: int = REFINE_ROUNDS,
                     progress=None) -> Result:
    """k-medoids of points X (n x d) through a sensitivity-sampling coreset of about `size` points (see
    the module docstring). Returns the k-medoids Result (medoids, labels, objective = the full-data
    total deviation, ...) plus a `coreset` block; `initial_objective` is the coreset's weighted total
    deviation of the starting medoids (an unbiased estimate of the full one)."""
    check_options(metric=metric, method=method)
    X = km.points_for(X, metric)
    n = X.shape[0]
    if not 1 <= k <= n:
        raise ParameterError("k", f"must be between 1 and the number of points n = {n}; got {k}")
    if not size >= k:
        raise ParameterError("coreset", f"the coreset size must be at least k = {k}; got {size}")
    w = km.as_weights(weights, n)
    rng_seed, rng_sample, rng_refine = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    timings = {}

    t0 = time.perf_counter()
    centres, labels, dist = d1_seeding(X, min(n, 2 * k), metric, w, rng_seed, progress)
    q = sensitivity_bounds(dist, labels, w)
    bicriteria_cost = float(np.sum(dist if w is None else w * dist))
    timings["bicriteria"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    idx, inv_pi, _ = poisson_sample(q, float(size), rng_sample)
    u = inv_pi if w is None else w[idx] * inv_pi
    sampled = idx.size
    extra = np.setdiff1d(centres, idx)
    idx = np.concatenate([idx, extra])
    u = np.concatenate([u, np.zeros(extra.size)])
    order = np.argsort(idx)
    idx, u = idx[order], u[order]
    timings["sample"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if progress is not None:
        progress(0, None, f"coreset: {idx.size} x {idx.size} {dtype} matrix")
    Dc = km.dissimilarity_matrix(X[idx], metric, dtype)
    timings["distances"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sub = km.kmedoids(Dc, k, method=method, init=init, max_iter=max_iter, seed=seed, shuffle=shuffle, weights=u,
                      clarans_local=clarans_local, clarans_neighbors=clarans_neighbors,
                      clarans_variant=clarans_variant, progress=progress, check=False)
    del Dc
    timings["search"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    medoids = idx[sub.medoids]
    full_labels, dist, loss = km.assign_points(X, medoids, metric, w, check=False)
    timings["assign"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    loss_before = loss
    medoids, full_labels, dist, loss, kept = refine_medoids(X, medoids, full_labels, dist, loss, metric, w,
                                                            refine_rounds, rng_refine, progress)
    timings["refine"] = time.perf_counter() - t0

    res = Result(problem="kmedoids", method=method, init=sub.init, k=k, n=n, dtype=np.dtype(dtype).name)
    res["initial_objective"] = sub.initial_objective
    res["objective"] = loss
    res.set_status(sub.status)
    res["medoids"] = medoids
    res["labels"] = full_labels
    res["iterations"] = sub.iterations
    res["counters"] = dict(sub.counters)
    res["coreset"] = {"size": float(size), "sampled": int(sampled), "candidates": int(idx.size),
                      "bicriteria_centres": int(centres.size), "bicriteria_cost": bicriteria_cost,
                      "total_sensitivity": float(q.sum()), "objective": sub.objective,
                      "weight_sum": float(u.sum()), "objective_before_refine": loss_before,
                      "refine_rounds": kept}
    res["timings"] = {k_: round(v, 6) for k_, v in timings.items()}
    res["seed"] = seed
    if "warnings" in sub:
        res["warnings"] = sub["warnings"]
    return res


def warm_up(*, method: str = "fasterpam", init: str = "random", dtype: str = "float64",
            metric: str = "euclidean", k: int = 2) -> None:
    """Compile (or load) every kernel a coreset run with these options calls, on a tiny problem."""
    rng = np.random.default_rng(0)
    X = (rng.random((12, 3)) < 0.5).astype(np.float64) if metric == "jaccard" else rng.random((12, 3))
    kk = 1 if k == 1 else 2
    kmedoids_coreset(X, kk, 6, metric=metric, dtype=dtype, method=method, init=init, clarans_local=1)
