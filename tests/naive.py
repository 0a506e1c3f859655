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
