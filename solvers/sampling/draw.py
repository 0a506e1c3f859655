"""Drawing a weighted row sample from importance scores: Poisson (independent coins) or i.i.d. draws.

Both give an unbiased estimate of any sum over rows: a kept row i carries weight 1/pi_i (Poisson) or
(its draw count) / (M q_i) (i.i.d.), so E[sum over the sample of weight_i * f_i] = sum_i f_i. For
l_p the weight multiplies |a_i x - b_i|^p, i.e. the kept row is scaled by weight^(1/p).
"""

from __future__ import annotations

import numpy as np


def poisson_probabilities(q, size: float) -> np.ndarray:
    """pi_i = min(1, c q_i) with c chosen so that sum(pi) = size (or every row with q_i > 0 kept when
    `size` is at least their number). Exact: sort the scores and find how many rows saturate at 1."""
    q = np.asarray(q, dtype=np.float64)
    positive = q > 0
    count = int(positive.sum())
    if size >= count:
        return positive.astype(np.float64)
    desc = np.sort(q[positive])[::-1]
    tail = np.cumsum(desc[::-1])[::-1]  # tail[t] = sum of desc[t:]
    # With t rows saturated, c = (size - t) / tail[t]; the first t with c * desc[t] < 1 is the answer
    # (it exists for t <= floor(size) < count, where size - t < 1 and desc[t] <= tail[t]).
    t = np.arange(int(np.floor(size)) + 1)
    c = (size - t) / tail[t]
    first = int(np.argmax(c * desc[t] < 1.0))
    return np.minimum(1.0, c[first] * q)


def poisson_sample(q, size: float, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep row i with probability pi_i = min(1, c q_i) (expected size `size`). Returns (indices in
    increasing order, weights 1/pi_i, pi of the kept rows)."""
    pi = poisson_probabilities(q, size)
    keep = np.flatnonzero(rng.random(pi.shape[0]) < pi)
    return keep, 1.0 / pi[keep], pi[keep]


def iid_sample(q, draws: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`draws` rows drawn with replacement with probability q_i / sum(q); a row drawn c times is kept
    once with weight c / (draws * prob_i) (duplicates merged). Returns (indices, weights, counts)."""
    q = np.asarray(q, dtype=np.float64)
    prob = q / q.sum()
    picks = rng.choice(q.shape[0], size=draws, replace=True, p=prob)
    idx, counts = np.unique(picks, return_counts=True)
    return idx, counts / (draws * prob[idx]), counts
