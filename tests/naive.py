"""Slow, obviously correct reference implementations that the kernels are tested against.

Written for clarity, straight from the papers' definitions; plain Python and numpy, no Numba.
"""

from __future__ import annotations

import itertools

import numpy as np


# ----------------------------------------------------------------------------------------- k-medoids

def total_deviation(D, medoids, weights=None) -> float:
    """TD = sum over objects of (weight times) the dissimilarity to the nearest medoid."""
    d = np.asarray(D, dtype=np.float64)[:, list(medoids)].min(axis=1)
    return float(np.sum(d if weights is None else np.asarray(weights) * d))


def brute_force_kmedoids(D, k, weights=None):
    """The optimal medoid set by trying all k-subsets (tiny n only). Returns (loss, medoids)."""
    n = len(D)
    best = None
    for subset in itertools.combinations(range(n), k):
        loss = total_deviation(D, subset, weights)
        if best is None or loss < best[0] - 1e-12:
            best = (loss, list(subset))
    return best


def pam_swap(D, medoids, max_iter=1000, weights=None):
    """PAM SWAP straight from its definition: each round, try every (slot, non-medoid) swap by recomputing
    the total deviation, and take the best strictly improving one (first on ties: candidate-major).
    Returns (loss, medoids, swaps)."""
    med = list(medoids)
    n = len(D)
    loss = total_deviation(D, med, weights)
    swaps = 0
    for _ in range(max_iter):
        best = (0.0, None, None)
        for j in range(n):
            if j in med:
                continue
            for m in range(len(med)):
                trial = med.copy()
                trial[m] = j
                change = total_deviation(D, trial, weights) - loss
                if change < best[0] - 1e-12 * max(loss, 1.0):
                    best = (change, m, j)
        if best[1] is None:
            break
        med[best[1]] = best[2]
        loss = total_deviation(D, med, weights)
        swaps += 1
    return loss, med, swaps


def is_swap_local_optimum(D, medoids, weights=None, rtol=1e-9) -> bool:
    """True if no single (medoid, non-medoid) exchange lowers the total deviation."""
    med = list(medoids)
    loss = total_deviation(D, med, weights)
    for j in range(len(D)):
        if j in med:
            continue
        for m in range(len(med)):
            trial = med.copy()
            trial[m] = j
            if total_deviation(D, trial, weights) < loss - rtol * max(loss, 1.0):
                return False
    return True


def nearest_labels(D, medoids):
    """Slot of the nearest medoid for every object, a medoid always in its own slot."""
    D = np.asarray(D)
    med = list(medoids)
    labels = np.argmin(D[:, med], axis=1)
    for slot, m in enumerate(med):
        labels[m] = slot
    return labels


def fasterpam(D, medoids, max_iter=100):
    """FasterPAM transcribed from the paper's pseudo-code (eager swaps, cyclic candidate order), with
    the change of each swap computed by brute force. Returns (loss, medoids, passes, swaps)."""
    med = list(medoids)
    n = len(D)
    loss = total_deviation(D, med)
    last = None
    swaps = passes = 0
    for _ in range(max_iter):
        passes += 1
        swaps_before = swaps
        for j in range(n):
            if j == last:
                break
            if j in med:
                continue
            changes = []
            for m in range(len(med)):
                trial = med.copy()
                trial[m] = j
                changes.append(total_deviation(D, trial) - loss)
            b = int(np.argmin(changes))
            if changes[b] < 0:
                med[b] = j
                loss = total_deviation(D, med)
                swaps += 1
                last = j
        if swaps == swaps_before:
            break
    return loss, med, passes, swaps


def build(D, k, weights=None):
    """PAM BUILD by definition: start from the best single medoid, then repeatedly add the object that
    lowers the total deviation most (first index on ties; never an existing medoid)."""
    n = len(D)
    med = []
    for _ in range(k):
        costs = [(total_deviation(D, med + [i], weights), i) for i in range(n) if i not in med]
        med.append(min(costs)[1])
    return med


def alternating(D, medoids, max_iter=100):
    """k-means style k-medoids: assign to nearest, move each medoid to its cluster's best member
    (keeping the current one on ties), until nothing moves. Returns (loss, medoids, rounds)."""
    D = np.asarray(D, dtype=np.float64)
    med = list(medoids)
    rounds = 0
    for _ in range(max_iter):
        rounds += 1
        labels = nearest_labels(D, med)
        moved = False
        for slot in range(len(med)):
            members = np.flatnonzero(labels == slot)
            cost = D[np.ix_(members, members)].sum(axis=1)
            current = cost[list(members).index(med[slot])]
            best = members[int(np.argmin(cost))]
            if cost.min() < current:
                med[slot] = int(best)
                moved = True
        if not moved:
            break
    return total_deviation(D, med), med, rounds


def pairwise(X, metric):
    """Dissimilarity matrices from scipy, with our conventions for zero vectors (cosine, jaccard)."""
    from scipy.spatial.distance import cdist

    X = np.asarray(X, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(X, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            D = np.clip(1.0 - (X @ X.T) / np.outer(norms, norms), 0.0, 2.0)
        zero = norms == 0
        D[zero, :] = 1.0
        D[:, zero] = 1.0
        D[np.ix_(zero, zero)] = 0.0
        np.fill_diagonal(D, 0.0)
        return D
    if metric == "jaccard":
        B = X != 0
        inter = B.astype(int) @ B.T.astype(int)
        union = B.sum(1)[:, None] + B.sum(1)[None, :] - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            D = np.where(union == 0, 0.0, 1.0 - inter / np.maximum(union, 1))
        return D
    name = {"manhattan": "cityblock"}.get(metric, metric)
    return cdist(X, X, metric=name)
