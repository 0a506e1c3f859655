"""Numba kernels for dissimilarities between points: the full n x n matrix k-medoids reads, and
point-to-medoid assignment for CLARA and for checking solutions. Private: no validation here.

The matrix is written straight into its final dtype and C layout: rows of the upper triangle in
parallel (each entry computed once, by one thread, so results do not depend on the thread count),
then a blocked mirror into the lower triangle, so it is exactly symmetric with a zero diagonal and no
second n x n temporary exists. Euclidean distances are summed per pair rather than through the
|x|^2 + |y|^2 - 2 x.y expansion, which loses accuracy for nearby points and breaks exact duplicates.
"""

import numpy as np
from .._jit import kernel, parallel_kernel, prange

EUCLIDEAN, SQEUCLIDEAN, MANHATTAN, COSINE, JACCARD = 0, 1, 2, 3, 4


BLOCK = 256


@kernel
def _cosine_from_dot(dot, ni, nj):
    """1 - cos(angle), clipped to [0, 2]; a zero vector is at 1 from others and at 0 from zero vectors."""
    if ni == 0.0 or nj == 0.0:
        return 0.0 if ni == nj else 1.0
    return min(max(1.0 - dot / (ni * nj), 0.0), 2.0)


@kernel
def _pair(X, i, j, metric, norms):
    """Dissimilarity between rows i and j of X (float64)."""
    d = X.shape[1]
    if metric == EUCLIDEAN or metric == SQEUCLIDEAN:
        s = 0.0
        for t in range(d):
            diff = X[i, t] - X[j, t]
            s += diff * diff
        return np.sqrt(s) if metric == EUCLIDEAN else s
    if metric == MANHATTAN:
        s = 0.0
        for t in range(d):
            s += abs(X[i, t] - X[j, t])
        return s
    if metric == COSINE:
        s = 0.0
        for t in range(d):
            s += X[i, t] * X[j, t]
        return _cosine_from_dot(s, norms[i], norms[j])
    # JACCARD on 0/1 data
    inter = 0
    union = 0
    for t in range(d):
        a = X[i, t] != 0.0
        b = X[j, t] != 0.0
        if a and b:
            inter += 1
        if a or b:
            union += 1
    return 0.0 if union == 0 else 1.0 - inter / union


@kernel
def row_norms(X):
    n = X.shape[0]
    out = np.empty(n)
    for i in range(n):
        s = 0.0
        for t in range(X.shape[1]):
            s += X[i, t] * X[i, t]
        out[i] = np.sqrt(s)
    return out


@kernel
def _fill_row(X, XT, i, metric, norms, out):
    """Row i of the upper triangle: out[i, j] for j > i, in blocks of BLOCK columns. Within a block the
    loop runs over features outside and over j inside, reading the transposed points XT contiguously,
    so the compiler vectorises it while the accumulators stay in L1; each entry is still summed feature
    by feature in order, exactly like the per-pair loop."""
    n, d = X.shape
    row = out[i]
    row[i] = 0
    acc = np.empty(BLOCK)
    for j0 in range(i + 1, n, BLOCK):
        j1 = min(n, j0 + BLOCK)
        m = j1 - j0
        if metric == EUCLIDEAN or metric == SQEUCLIDEAN or metric == MANHATTAN or metric == COSINE:
            acc[:m] = 0.0
            for t in range(d):
                xt = X[i, t]
                col = XT[t, j0:j1]
                if metric == MANHATTAN:
                    for j in range(m):
                        acc[j] += abs(xt - col[j])
                elif metric == COSINE:
                    for j in range(m):
                        acc[j] += xt * col[j]
                else:
                    for j in range(m):
                        diff = xt - col[j]
                        acc[j] += diff * diff
            if metric == EUCLIDEAN:
                for j in range(m):
                    acc[j] = np.sqrt(acc[j])
            elif metric == COSINE:
                for j in range(m):
                    acc[j] = _cosine_from_dot(acc[j], norms[i], norms[j0 + j])
        else:
            for j in range(m):
                acc[j] = _pair(X, i, j0 + j, metric, norms)
        for j in range(m):
            row[j0 + j] = acc[j]


@parallel_kernel
def fill_matrix(X, metric, norms, out):
    """out[i, j] = dissimilarity(X[i], X[j]) for all pairs; out has the caller's dtype."""
    n = X.shape[0]
    XT = np.ascontiguousarray(X.T)
    # row t is paired with row n-1-t, so every task computes about n entries of the upper triangle
    for t in prange((n + 1) // 2):
        _fill_row(X, XT, t, metric, norms, out)
        if n - 1 - t != t:
            _fill_row(X, XT, n - 1 - t, metric, norms, out)
    mirror_upper(out)


@parallel_kernel
def mirror_upper(out):
    """Copy the upper triangle into the lower one, in cache-sized blocks."""
    n = out.shape[0]
    B = 64
    nb = (n + B - 1) // B
    for bi in prange(nb):
        i0 = bi * B
        i1 = min(n, i0 + B)
        for bj in range(bi + 1):
            j0 = bj * B
            j1 = min(n, j0 + B)
            for i in range(i0, i1):
                for j in range(j0, min(j1, i)):
                    out[i, j] = out[j, i]


@parallel_kernel
def nearest_of(X, med, metric, norms, labels, dist):
    """For every point, the slot of its nearest medoid (points X[med]) and the dissimilarity; a medoid
    is assigned to itself. Ties go to the lower slot."""
    n = X.shape[0]
    k = med.shape[0]
    for o in prange(n):
        best = 0
        bd = _pair(X, o, med[0], metric, norms)
        for m in range(1, k):
            d = _pair(X, o, med[m], metric, norms)
            if d < bd or o == med[m]:
                best = m
                bd = d
        labels[o] = best
        dist[o] = bd


@parallel_kernel
def pair_distances(X, a, b, metric, norms, out):
    """out[t] = dissimilarity(X[a[t]], X[b[t]])."""
    for t in prange(a.shape[0]):
        out[t] = _pair(X, a[t], b[t], metric, norms)


@kernel
def max_asymmetry(D):
    """(largest |D[i,j] - D[j,i]|, i, j) over the matrix, read in blocks to stay in cache."""
    n = D.shape[0]
    worst = 0.0
    wi = 0
    wj = 0
    B = 64
    for i0 in range(0, n, B):
        for j0 in range(i0, n, B):
            for i in range(i0, min(n, i0 + B)):
                for j in range(max(j0, i + 1), min(n, j0 + B)):
                    diff = abs(np.float64(D[i, j]) - np.float64(D[j, i]))
                    if diff > worst:
                        worst = diff
                        wi = i
                        wj = j
    return worst, wi, wj
