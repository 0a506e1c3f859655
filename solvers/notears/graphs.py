"""Directed graphs as d x d matrices (A[i, j] != 0: edge i -> j): topological orders, acyclicity,
thresholding to a DAG, and the structure metrics of the NOTEARS papers (SHD, FDR, TPR, FPR, nnz)."""

from __future__ import annotations

import heapq

import numpy as np


def topological_order(A, priority=None) -> np.ndarray | None:
    """A topological order of the graph (Kahn's algorithm; among available nodes the smallest
    `priority`, default the node index, goes first), or None when the graph has a cycle."""
    A = np.asarray(A) != 0
    d = A.shape[0]
    priority = np.arange(d) if priority is None else np.asarray(priority)
    indegree = A.sum(axis=0)
    ready = [(priority[v], v) for v in range(d) if indegree[v] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, v = heapq.heappop(ready)
        order.append(v)
        for w in np.flatnonzero(A[v]):
            indegree[w] -= 1
            if indegree[w] == 0:
                heapq.heappush(ready, (priority[w], w))
    return np.asarray(order, dtype=np.int64) if len(order) == d else None


def is_dag(A) -> bool:
    return topological_order(A) is not None


def threshold(W, value: float, keep=None) -> np.ndarray:
    """W with the entries |w| < value set to 0 (entries marked in `keep` are never removed)."""
    out = np.array(W, dtype=np.float64)
    small = np.abs(out) < value
    if keep is not None:
        small &= ~keep
    out[small] = 0.0
    return out


def dag_threshold(W, keep=None) -> float:
    """The smallest threshold t such that the entries |w| >= t (plus those in `keep`) form a DAG: dropping
    the weakest edges first, as the authors' library does to start TOPO from another method's output."""
    W = np.asarray(W, dtype=np.float64)
    keep = np.zeros(W.shape, dtype=bool) if keep is None else keep
    values = np.unique(np.abs(W[(W != 0) & ~keep]))
    candidates = np.concatenate(([0.0], values, [np.inf]))
    lo, hi = 0, len(candidates) - 1  # a DAG at hi (only `keep` left); find the first index that is one
    if is_dag(threshold(W, candidates[lo], keep)):
        return 0.0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if is_dag(threshold(W, candidates[mid], keep)):
            hi = mid
        else:
            lo = mid
    return float(candidates[hi])


def order_from_weights(W, keep=None) -> np.ndarray | None:
    """A topological order of W after dropping its weakest edges until it is a DAG (None if the edges in
    `keep` alone have a cycle); ties between available nodes go to the smaller index."""
    keep = np.zeros(np.shape(W), dtype=bool) if keep is None else keep
    if not is_dag(keep):
        return None
    A = threshold(W, dag_threshold(W, keep), keep)
    return topological_order((A != 0) | keep)


def edge_list(W, names) -> list[dict]:
    """The nonzero entries of W as {source, target, weight}, sorted by source then target index."""
    rows, cols = np.nonzero(W)
    return [{"source": names[i], "target": names[j], "weight": float(W[i, j])} for i, j in zip(rows, cols)]


def count_accuracy(W_true, W_est) -> dict:
    """Structure metrics with the NOTEARS definitions. An estimated edge is true if it has the true
    direction, reversed if only the opposite edge is true, false otherwise.
    fdr = (reversed + false) / predicted; tpr = true / true edges; fpr = (reversed + false) / (d(d-1)/2 -
    true edges); shd = extra + missing edges of the skeleton + reversed; nnz = predicted edges."""
    B_true = np.asarray(W_true) != 0
    B = np.asarray(W_est) != 0
    d = B.shape[0]
    pred = set(zip(*np.nonzero(B)))
    true = set(zip(*np.nonzero(B_true)))
    reversed_true = {(j, i) for i, j in true}
    true_pos = pred & true
    reverse = (pred - true) & reversed_true
    false_pos = pred - true - reversed_true
    skeleton = {frozenset(e) for e in true}
    pred_skeleton = {frozenset(e) for e in pred}
    extra = pred_skeleton - skeleton
    missing = skeleton - pred_skeleton
    negatives = d * (d - 1) / 2 - len(true)
    return {
        "shd": len(extra) + len(missing) + len(reverse),
        "fdr": (len(reverse) + len(false_pos)) / max(len(pred), 1),
        "tpr": len(true_pos) / max(len(true), 1),
        "fpr": (len(reverse) + len(false_pos)) / max(negatives, 1),
        "nnz": len(pred),
        "true_positives": len(true_pos), "reversed": len(reverse), "false_positives": len(false_pos),
        "missing": len(missing),
    }
