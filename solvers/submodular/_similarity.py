"""Numba kernels that turn a Gram matrix into a similarity in place (one or two passes over n x n
instead of numpy's six). No fastmath: the entries are computed in scikit-learn's order
((-2 g + |x|^2) + |y|^2, clipped at 0) so they round the same way."""

import math

from .._jit import exact_kernel


@exact_kernel
def squared_distances(G, xx):
    """G[i, j] = x_i . x_j becomes the squared distance |x_i - x_j|^2 (>= 0, 0 on the diagonal);
    returns the largest entry."""
    n = G.shape[0]
    top = 0.0
    for i in range(n):
        row = G[i]
        a = xx[i]
        for j in range(n):
            v = -2.0 * row[j] + a + xx[j]
            row[j] = v if v > 0.0 else 0.0
        row[i] = 0.0
        for j in range(n):
            if row[j] > top:
                top = row[j]
    return top


@exact_kernel
def gap(D, top):
    """D becomes top - D (apricot's 'euclidean' similarity max(D2) - D2)."""
    n, m = D.shape
    for i in range(n):
        row = D[i]
        for j in range(m):
            row[j] = top - row[j]


@exact_kernel
def rbf(D, gamma):
    """D becomes exp(-gamma D)."""
    n, m = D.shape
    for i in range(n):
        row = D[i]
        for j in range(m):
            row[j] = math.exp(-gamma * row[j])
