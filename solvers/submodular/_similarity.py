"""Numba kernels that turn Gram rows into a dense similarity: one pass over each block of rows while
the block is still in cache, then (euclidean) one pass that subtracts from the global maximum and sums
each row. No fastmath where entries are formed: they are computed in scikit-learn's order
((-2 g + |x|^2) + |y|^2, clipped at 0) so they round the same way.

The matrix may be float64 or float32 (one compiled specialisation each): entries are computed in
float64 and rounded once when stored, and every sum (row sums, gains) is taken in float64 over the
stored values, so they are exactly what the oracle computes from the matrix."""

import math

import numpy as np

from .._jit import exact_kernel, kernel


@exact_kernel
def squared_distance_rows(G, xx, yy, i0, diag, out):
    """From Gram rows G[r, j] = x_{i0+r} . y_j (a block in cache, float64; the y_j are the points in
    column order), writes the squared distances out[r, j] = |x_{i0+r} - y_j|^2 (>= 0; 0 in column
    diag[i0+r], the point itself; rounded to out's dtype) and returns, as the int64 bits of a float64,
    the largest one before rounding."""
    rows, n = G.shape
    bits = G.view(np.int64)
    top = 0
    for r in range(rows):
        g = G[r]
        a = xx[i0 + r]
        for j in range(n):
            v = -2.0 * g[j] + a + yy[j]
            g[j] = v if v > 0.0 else 0.0
        g[diag[i0 + r]] = 0.0
        # maximum on the bit patterns: they order non-negative doubles as the values do, and integer
        # maxima vectorize (float maxima do not without fastmath)
        b = bits[r]
        o = out[r]
        for j in range(n):
            o[j] = g[j]
            top = max(top, b[j])
    return top


@kernel
def gap_row_sums(D, top, sums, first, width, partial, gains):
    """D becomes top - D (apricot's 'euclidean' similarity max(D2) - D2, rounded to D's dtype) and
    sums[i] = the sum of row i (f({i}) of facility location). When first >= 0, also the gains once
    `first` is chosen, per block of `width` columns: partial[i, b] = sum over block b of
    max(s_ij - s_first,j, 0), and gains[i] = the sum of row i's partials in block order (what
    `lazy_after_first_blocked` adds up). All taken while the row is in cache, in float64 over the
    stored entries; row `first` is converted before the others."""
    n, m = D.shape
    cur = np.empty(m if first >= 0 else 0, D.dtype)  # stored entries: exact in D's dtype
    if first >= 0:
        sums[first] = _gap_row(D[first], top)
        for j in range(m):
            cur[j] = D[first, j]
    for i in range(n):
        row = D[i]
        if i != first:
            sums[i] = _gap_row(row, top)
        if first >= 0:
            gains[i] = _block_gains(row, cur, width, partial[i])


@kernel
def _block_gains(row, cur, width, partial):
    """Per block of `width` columns, the gain of `row` over the state `cur` (float64); returns their
    sum in block order. Loops run over views from 0 (an offset index keeps numba's wraparound check in
    every load and stops vectorisation)."""
    m = row.shape[0]
    total = 0.0
    for b in range(partial.shape[0]):
        lo = b * width
        hi = min(m, lo + width)
        rb = row[lo:hi]
        cb = cur[lo:hi]
        g = 0.0
        for j in range(hi - lo):
            g += max(np.float64(rb[j]) - cb[j], 0.0)
        partial[b] = g
        total += g
    return total


@kernel
def _gap_row(row, top):
    """row becomes top - row, at least 0; returns the sum of the stored entries (float64). The clamp
    only acts on a float32 row, where a distance within float32's rounding of `top` may be stored
    above it."""
    s = 0.0
    for j in range(row.shape[0]):
        v = top - row[j]
        row[j] = v if v > 0.0 else 0.0
        s += row[j]
    return s


@kernel
def row_sums(D, sums):
    n, m = D.shape
    for i in range(n):
        row = D[i]
        s = 0.0
        for j in range(m):
            s += row[j]
        sums[i] = s


@exact_kernel
def rbf(D, gamma):
    """D becomes exp(-gamma D)."""
    n, m = D.shape
    for i in range(n):
        row = D[i]
        for j in range(m):
            row[j] = math.exp(-gamma * row[j])
