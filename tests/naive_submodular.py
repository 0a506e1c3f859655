"""Slow, obviously correct references for submodular maximisation, straight from the definitions:
objective values, greedy, brute-force optimum, similarity formulas, and the invariants the dynamic
level structure must keep. Plain Python and numpy, no Numba."""

from __future__ import annotations

import itertools
import math

import numpy as np


# ------------------------------------------------------------------------------------- objectives

def facility_location(S, selected) -> float:
    """sum over items u of max_{j in selected} S[j, u] (0 for the empty set)."""
    S = np.asarray(S.toarray() if hasattr(S, "toarray") else S, dtype=np.float64)
    if len(selected) == 0:
        return 0.0
    return float(S[list(selected)].max(axis=0).sum())


def feature_based(X, selected, concave="sqrt") -> float:
    """sum over features u of phi(sum_{j in selected} X[j, u])."""
    X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)
    phi = np.sqrt if concave == "sqrt" else np.log1p
    return float(phi(X[list(selected)].sum(axis=0)).sum()) if len(selected) else 0.0


def coverage(sets, selected, weights=None) -> float:
    """Total weight of the items in the union of the chosen sets."""
    covered = set()
    for j in selected:
        covered.update(int(u) for u in sets[j])
    return float(sum(1.0 if weights is None else weights[u] for u in covered))


# ------------------------------------------------------------------------------------- algorithms

def greedy(f, n, k, candidates=None):
    """k rounds; each adds the candidate with the largest marginal gain f(S + e) - f(S) (ties: the
    smaller index). Returns (picks, gains)."""
    cands = sorted(range(n) if candidates is None else candidates)
    picks, gains = [], []
    for _ in range(min(k, len(cands))):
        base = f(picks)
        best, best_gain = None, -math.inf
        for e in cands:
            if e in picks:
                continue
            g = f(picks + [e]) - base
            if g > best_gain:
                best, best_gain = e, g
        picks.append(best)
        gains.append(best_gain)
    return picks, gains


def brute_force(f, n, k, candidates=None):
    """max over all subsets of size <= k (monotone f: size exactly min(k, n) suffices)."""
    cands = sorted(range(n) if candidates is None else candidates)
    size = min(k, len(cands))
    if size == 0:
        return 0.0, []
    best = max(itertools.combinations(cands, size), key=lambda s: f(list(s)))
    return f(list(best)), list(best)


# ------------------------------------------------------------------------------------- similarity

def similarity(X, metric, gamma=None):
    """The documented formulas, entry by entry."""
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    D2 = np.array([[float(np.sum((X[i] - X[j]) ** 2)) for j in range(n)] for i in range(n)])
    if metric == "euclidean":
        return D2.max() - D2
    if metric == "rbf":
        g = 1.0 / X.shape[1] if gamma is None else gamma
        return np.exp(-g * D2)
    norms = np.linalg.norm(X, axis=1)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if norms[i] > 0 and norms[j] > 0:
                out[i, j] = (X[i] @ X[j] / (norms[i] * norms[j])) ** 2
    return out


# --------------------------------------------------------------------- the dynamic level structure

def check_levels(dyn, gain_of, live):
    """Assert every invariant of the level structure of `Dynamic(algorithm='dynamic')`, from scratch:
    per guess g with threshold theta, the picks u_1..u_T are live and distinct; each was pickable at
    its level (gain w.r.t. the earlier picks >= theta) and its recorded gain matches; every live
    element routed to g sits at depth d with pickable(d - 1) and not pickable(d), where
    pickable(j) = j < k and gain(x | u_1..u_j) >= theta; the set counts equal the depths; and when
    T < k no live routed element is pickable at level T (the end certificate)."""
    levels = dyn._levels
    depth, cnt, picks, T, vals = levels.dy[0], levels.dy[1], levels.dy[2], levels.dy[3], levels.dy[4]
    theta, lo, hi = levels.dy[10], levels.dy[11], levels.dy[12]
    k = dyn.k
    for g in range(depth.shape[0]):
        G = [int(picks[g, i]) for i in range(1, T[g] + 1)]
        assert len(set(G)) == len(G)
        for i, u in enumerate(G, start=1):
            assert live[u] and depth[g, u] == i
            gain = gain_of(u, G[:i - 1])
            assert gain >= theta[g]
            assert abs(gain - (vals[g, i] - vals[g, i - 1])) <= 1e-9 * max(1.0, gain)
        for x in range(depth.shape[1]):
            if not (live[x] and lo[x] <= g <= hi[x]):
                assert depth[g, x] == 0
                continue
            d = int(depth[g, x])

            def pickable(j):
                return j < k and gain_of(x, G[:j]) >= theta[g]

            assert 1 <= d <= T[g] + 1 and pickable(d - 1) and not pickable(d), (g, x, d, T[g])
        for i in range(1, k + 1):
            assert cnt[g, i] == int((depth[g] >= i).sum())
