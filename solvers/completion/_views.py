"""Compressed views of the observed entries (by row and by column), built once, and the residual sums
that monitoring, checking and predicting need."""

from __future__ import annotations

import numpy as np

from . import _kernels as _k

#: rows are processed in at most this many chunks of about equal work (more chunks than threads keeps
#: two or more threads busy; the chunking never changes a result)
CHUNKS = 128


class Compressed:
    """One axis-major view: indptr (int64, size+1), indices (int32), data (float64), and chunk bounds."""

    def __init__(self, major, minor, values, size: int):
        self.indptr = np.empty(size + 1, np.int64)
        self.indices = np.empty(values.shape[0], np.int32)
        self.data = np.empty(values.shape[0], np.float64)
        _k.compress(np.ascontiguousarray(major, np.int64), np.ascontiguousarray(minor, np.int64),
                    np.ascontiguousarray(values, np.float64), self.indptr, self.indices, self.data)
        self.counts = np.diff(self.indptr)
        self.bounds = chunk_bounds(self.counts)

    @property
    def size(self) -> int:
        return self.indptr.shape[0] - 1

    @property
    def nnz(self) -> int:
        return int(self.data.shape[0])


def chunk_bounds(counts) -> np.ndarray:
    """Row boundaries (int64) splitting rows into up to CHUNKS contiguous chunks of about equal work,
    counting each row as its entries plus a fixed cost (the k x k solve)."""
    size = counts.shape[0]
    chunks = max(1, min(CHUNKS, size))
    work = np.cumsum(counts + 8.0)
    targets = work[-1] * np.arange(1, chunks) / chunks if size else np.empty(0)
    inner = np.searchsorted(work, targets, side="left") + 1
    bounds = np.unique(np.concatenate([[0], np.clip(inner, 0, size), [size]]))
    return bounds.astype(np.int64)


def residual_sq(view: Compressed, X, F) -> float:
    """Sum of squared residuals (data - <X[i], F[j]>)^2 over the view's entries: one residual pass."""
    row_sq = np.empty(view.size)
    _k.row_residuals(view.indptr, view.indices, view.data, X, F, view.bounds, row_sq)
    return float(row_sq.sum())
