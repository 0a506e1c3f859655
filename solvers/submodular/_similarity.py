"""Numba kernels that turn Gram rows into a dense similarity: one pass over each block of rows while
the block is still in cache, then (euclidean) one pass that subtracts from the global maximum and sums
each row. No fastmath where entries are formed: they are computed in scikit-learn's order
((-2 g + |x|^2) + |y|^2, clipped at 0) so they round the same way."""

import math

import numpy as np

from .._jit import exact_kernel, kernel


@exact_kernel
def squared_distance_rows(G, xx, i0, out, out_bits):
    """From Gram rows G[r, j] = x_{i0+r} . x_j (a block in cache), writes the squared distances
    out[r, j] = |x_{i0+r} - x_j|^2 (>= 0, 0 on the diagonal; `out_bits` is `out` viewed as int64)
    and returns, as int64 bits, the largest one."""
    rows, n = G.shape
    bits = G.view(np.int64)
    top = 0
    for r in range(rows):
        g = G[r]
        a = xx[i0 + r]
        for j in range(n):
            v = -2.0 * g[j] + a + xx[j]
            g[j] = v if v > 0.0 else 0.0
        g[i0 + r] = 0.0
        # copy and maximum on the bit patterns: they order non-negative doubles as the values do,
        # and integer maxima vectorize (float maxima do not without fastmath)
        b = bits[r]
        o = out_bits[r]
        for j in range(n):
            o[j] = b[j]
            top = max(top, b[j])
    return top


@kernel
def gap_row_sums(D, top, sums, first, gains):
    """D becomes top - D (apricot's 'euclidean' similarity max(D2) - D2); sums[i] = sum of row i
    (f({i}) of facility location), and, when first >= 0, gains[i] = sum_j max(s_ij - s_first,j, 0)
    (the gain of i once `first` is chosen): all taken while the row is in cache."""
    n, m = D.shape
    cur = np.empty(m if first >= 0 else 0)
    for j in range(cur.shape[0]):
        cur[j] = top - D[first, j]
    for i in range(n):
        row = D[i]
        s = 0.0
        for j in range(m):
            v = top - row[j]
            row[j] = v
            s += v
        sums[i] = s
        if first >= 0:
            g = 0.0
            for j in range(m):
                g += max(row[j] - cur[j], 0.0)
            gains[i] = g


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
