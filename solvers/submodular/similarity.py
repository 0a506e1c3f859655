"""Similarity matrices for facility location, from feature vectors: dense n x n, or sparse with the
K nearest neighbours of each point. Every kernel's exact formula is in `FORMULAS` (printed by the CLI
and stored in results), so results can be compared with other libraries:

- euclidean: s_ij = max_ab D2_ab - D2_ij, D2 = squared euclidean distance (apricot's 'euclidean');
- cosine:    s_ij = cos^2(x_i, x_j) (apricot's 'cosine'; a zero vector has similarity 0);
- rbf:       s_ij = exp(-gamma D2_ij), gamma = 1 / d unless given.

With K nearest neighbours, row i keeps s_ij for the K points nearest to i (itself included) and 0
elsewhere; the euclidean maximum is then taken over the stored pairs. Row i is what candidate i
represents (apricot's orientation).

A dense matrix is float64 by default, or float32 (`dtype="float32"`): half the memory and half the
bytes every pass over it reads. Its entries are computed in float64 and rounded once when stored, so
they are within float32's eps (relative to the matrix maximum) of the float64 matrix; sums over them
stay float64.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError, ResourceError
from . import _similarity as _ks

METRICS = ("euclidean", "cosine", "rbf")
DTYPES = ("float64", "float32")
FORMULAS = {
    "euclidean": "s_ij = max_ab D2_ab - D2_ij, D2 = squared euclidean distance (apricot 'euclidean')",
    "cosine": "s_ij = cos(x_i, x_j)^2 (apricot 'cosine')",
    "rbf": "s_ij = exp(-gamma * D2_ij), D2 = squared euclidean distance",
}
KNN_FORMULAS = {
    "euclidean": "s_ij = max_stored D2 - D2_ij for the K nearest j of each i (itself included), else 0",
    "cosine": "s_ij = cos(x_i, x_j)^2 for the K nearest j of each i (itself included), else 0",
    "rbf": "s_ij = exp(-gamma * D2_ij) for the K nearest j of each i (itself included), else 0",
}

_BLOCK_BYTES = 128 * 2**20
#: rows of the Gram matrix computed at once: a few MiB, to stay in cache
_GRAM_BLOCK_BYTES = 4 * 2**20


def formula(metric: str, knn: int | None = None, gamma: float | None = None, d: int | None = None) -> str:
    text = (KNN_FORMULAS if knn else FORMULAS)[metric]
    if knn:
        text = text.replace("K nearest", f"{knn} nearest")
    if metric == "rbf":
        g = gamma if gamma is not None else (1.0 / d if d else None)
        text += f", gamma = {g:.10g}" if g is not None else ""
    return text


def _points(X) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ParameterError("X", f"features must be real numbers, got dtype {X.dtype}")
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ParameterError("X", f"features must be a non-empty 2-D array (n points x d features), got {X.shape}")
    X = np.require(X, np.float64, ["C"])
    if not np.isfinite(X).all():
        r, c = np.argwhere(~np.isfinite(X))[0]
        raise ParameterError("X", f"features must be finite; entry [{r}, {c}] is {X[r, c]}")
    return X


def _gamma(gamma, d):
    if gamma is None:
        return 1.0 / d
    if not np.isfinite(gamma) or gamma <= 0:
        raise ParameterError("gamma", f"must be a positive number, got {gamma}")
    return float(gamma)


def dense_dtype(dtype) -> np.dtype:
    """The storage type of a dense similarity: float64 or float32 (a name or a numpy type)."""
    try:
        dt = None if dtype is None else np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in DTYPES:
        raise ParameterError("dtype", f"must be one of {', '.join(DTYPES)}; got {dtype!r}")
    return dt


def dense_bytes(n: int, m: int | None = None, dtype="float64") -> int:
    return n * (n if m is None else m) * np.dtype(dtype).itemsize


def check_dense_memory(n: int, available: int | None = None, dtype="float64") -> None:
    """Refuse an n x n similarity that would take more than 90 % of the available memory."""
    from optsuite.solvers.environment import available_memory

    need = dense_bytes(n, dtype=dtype)
    available = available_memory() if available is None else available
    if available is not None and need > 0.9 * available:
        gib = 2**30
        hint = "" if np.dtype(dtype) == np.float32 else "--dtype float32 halves it, or "
        raise ResourceError(f"n = {n} points need a dense {n} x {n} {np.dtype(dtype)} similarity of "
                            f"{need / gib:.1f} GiB, but only {available / gib:.1f} GiB of memory is available; "
                            f"{hint}use --knn K for a sparse K-nearest-neighbour similarity (e.g. --knn 50)")


def _sq_distances(X, Y, xx, yy, out):
    """out = squared euclidean distances, computed as scikit-learn does (-2 X Y' + |x|^2 + |y|^2, >= 0)."""
    np.matmul(X, Y.T, out=out)
    out *= -2.0
    out += xx[:, None]
    out += yy[None, :]
    np.maximum(out, 0.0, out=out)
    return out


def _unit_rows(X):
    norms = np.sqrt(np.einsum("ij,ij->i", X, X))
    safe = np.where(norms > 0, norms, 1.0)
    return X / safe[:, None]


def similarity_matrix(X, metric: str = "euclidean", gamma: float | None = None,
                      dtype: str = "float64") -> np.ndarray:
    """The dense n x n similarity of the rows of X (float64 or float32, non-negative, C order)."""
    return _dense_similarity(X, metric, gamma, False, dtype)[0]


def dense_facility_location(X, metric: str = "euclidean", gamma: float | None = None, formula: str | None = None,
                            dtype: str = "float64"):
    """Facility location on `similarity_matrix(X, metric, gamma, dtype)`, carrying its singleton
    values f({i}) (row sums) and, for euclidean, greedy's first pick and every gain after it: both are
    taken in the last pass that writes the matrix, which saves the solvers two passes over it.

    For euclidean the columns (the points each candidate represents) are stored in a clustered order
    (`column_order`), cut into blocks of BLOCK_WIDTH, with each row's gain per block after the first
    pick (`Objective.blocks`): lazy greedy then re-reads only the blocks of a row where its gain can
    have changed (the same picks and values; f is a sum over the columns, so their order does not
    change it beyond rounding)."""
    from .objective import facility_location

    S, sums, round1, blocks, columns = _dense_similarity(X, metric, gamma, True, dtype)
    return facility_location(S, formula or FORMULAS[metric], check=False, singletons=sums, round1=round1,
                             blocks=blocks, columns=columns, dtype=S.dtype)


#: squared-distance maxima a float32 euclidean similarity can hold: above, entries overflow to inf;
#: below, they are subnormal or 0 (float32's smallest normal is 1.2e-38; 1e-30 keeps 8 digits of room)
FLOAT32_RANGE = (1e-30, 3e38)
#: columns per block of a blocked dense facility location (64 float64 = eight cache lines)
BLOCK_WIDTH = 64
#: pivots of the clustered column order
ORDER_PIVOTS = 64


def column_order(X, pivots: int = ORDER_PIVOTS) -> np.ndarray:
    """A permutation of the points that puts near points next to each other: farthest-point pivots
    (the first point, then each time the point farthest from those chosen), each point assigned to its
    nearest pivot (ties to the earlier pivot), stable-sorted by pivot. O(n d pivots). Lazy greedy
    gains from it because the state of facility location changes near the points picked: with the
    columns in this order those changes fall in a few blocks."""
    n = X.shape[0]
    xx = np.einsum("ij,ij->i", X, X)
    chosen = [0]
    nearest = np.full(n, np.inf)
    for _ in range(min(pivots, n) - 1):
        p = chosen[-1]
        nearest = np.minimum(nearest, xx - 2.0 * (X @ X[p]) + xx[p])
        chosen.append(int(np.argmax(nearest)))
    P = X[chosen]
    D = xx[:, None] - 2.0 * (X @ P.T) + np.einsum("ij,ij->i", P, P)[None, :]
    return np.argsort(np.argmin(D, axis=1), kind="stable").astype(np.int64)


def _dense_similarity(X, metric, gamma, extras, dtype="float64"):
    """(S, row sums or None, (first pick, gains after it) or None, (block width, gains per block after
    the first pick) or None, column order or None). With extras and euclidean, S's columns are in
    `column_order`."""
    if metric not in METRICS:
        raise ParameterError("metric", f"must be one of {', '.join(METRICS)}; got {metric!r}")
    dt = dense_dtype(dtype)
    X = _points(X)
    n = X.shape[0]
    check_dense_memory(n, dtype=dt)
    S = np.empty((n, n), dtype=dt)
    if metric == "cosine":
        U = _unit_rows(X)
        if dt == np.float64:
            np.matmul(U, U.T, out=S)
            np.clip(S, -1.0, 1.0, out=S)
            np.square(S, out=S)
        else:
            _cosine_blocks(U, S)
    else:
        d2_sums = np.empty(n)
        order = column_order(X) if extras and metric == "euclidean" else None
        top = _squared_distances(X, S, d2_sums, order)
        lo, hi = FLOAT32_RANGE
        if dt == np.float32 and metric == "euclidean" and top != 0.0 and not lo <= top <= hi:
            raise ParameterError("dtype", f"the largest squared distance is {top:g}, outside what float32 stores "
                                 f"({lo:g} to {hi:g}): use float64 or rescale the data")
        if metric == "euclidean":
            sums = np.empty(n)
            # greedy's first pick is the largest row sum of top - D2, i.e. (up to rounding, checked
            # below) the smallest row sum of D2; its gains are then taken in the same pass
            first = int(np.argmin(d2_sums)) if extras else -1
            gains = np.empty(n if extras else 0)
            partial = np.empty((n if extras else 0, -(-n // BLOCK_WIDTH)))
            _ks.gap_row_sums(S, top, sums, first, BLOCK_WIDTH, partial, gains)
            if not extras:
                return S, None, None, None, None
            if int(np.argmax(sums)) != first:
                return S, sums, None, None, order
            return S, sums, (first, gains), (BLOCK_WIDTH, partial), order
        _ks.rbf(S, _gamma(gamma, X.shape[1]))
    if not extras:
        return S, None, None, None, None
    sums = np.empty(n)
    _ks.row_sums(S, sums)
    return S, sums, None, None, None


def _squared_distances(X, out, row_sums, order=None):
    """out = squared euclidean distances of the rows of X, as scikit-learn rounds them (then rounded
    to out's dtype), column j holding point order[j] (j itself without an order); row_sums = their
    float64 row sums; returns the largest (float64). Each block of Gram rows is computed in a float64
    buffer that stays in cache and turned into distances there, so the n x n matrix is only written,
    once."""
    n = X.shape[0]
    xx = np.einsum("ij,ij->i", X, X)
    if order is None:
        Y, yy, diag = X, xx, np.arange(n, dtype=np.int64)
    else:
        Y, yy = np.ascontiguousarray(X[order]), xx[order]
        diag = np.empty(n, dtype=np.int64)
        diag[order] = np.arange(n, dtype=np.int64)
    block = max(1, min(n, _GRAM_BLOCK_BYTES // (8 * n)))
    gram = np.empty((block, n))
    top = 0
    for a in range(0, n, block):
        b = min(n, a + block)
        np.matmul(X[a:b], Y.T, out=gram[:b - a])
        top = max(top, _ks.squared_distance_rows(gram[:b - a], xx, yy, a, diag, out[a:b]))
        _ks.row_sums(gram[:b - a], row_sums[a:b])
    return float(np.array([top], dtype=np.int64).view(np.float64)[0])


def _cosine_blocks(U, out):
    """out = squared cosines of the unit rows U, from float64 Gram blocks rounded once when stored
    (a float32 `out` never needs an n x n float64 temporary)."""
    n = U.shape[0]
    block = max(1, min(n, _GRAM_BLOCK_BYTES // (8 * n)))
    gram = np.empty((block, n))
    for a in range(0, n, block):
        b = min(n, a + block)
        g = gram[:b - a]
        np.matmul(U[a:b], U.T, out=g)
        np.clip(g, -1.0, 1.0, out=g)
        np.square(g, out=g)
        out[a:b] = g


def knn_similarity(X, knn: int, metric: str = "euclidean", gamma: float | None = None):
    """Sparse (CSR) similarity keeping, in row i, the `knn` points nearest to i (itself included);
    computed block by block, so memory stays O(n knn)."""
    import scipy.sparse as sp

    if metric not in METRICS:
        raise ParameterError("metric", f"must be one of {', '.join(METRICS)}; got {metric!r}")
    X = _points(X)
    n = X.shape[0]
    if isinstance(knn, bool) or not isinstance(knn, (int, np.integer)) or not 1 <= knn <= n:
        raise ParameterError("knn", f"must be an integer between 1 and the number of points n = {n}; got {knn!r}")
    K = int(knn)
    Y = _unit_rows(X) if metric == "cosine" else X
    yy = np.einsum("ij,ij->i", Y, Y)
    cols = np.empty((n, K), dtype=np.int64)
    dist = np.empty((n, K))
    block = max(1, min(n, _BLOCK_BYTES // (8 * n)))
    buf = np.empty((block, n))
    for a in range(0, n, block):
        b = min(n, a + block)
        D = buf[: b - a]
        if metric == "cosine":
            np.matmul(Y[a:b], Y.T, out=D)
            np.subtract(1.0, D, out=D)  # cosine distance orders neighbours
        else:
            _sq_distances(Y[a:b], Y, yy[a:b], yy, D)
        D[np.arange(b - a), np.arange(a, b)] = -1.0  # each point is its own first neighbour
        part = np.argpartition(D, K - 1, axis=1)[:, :K] if K < n else np.tile(np.arange(n), (b - a, 1))
        d = np.take_along_axis(D, part, axis=1)
        order = np.lexsort((part, d), axis=1)
        cols[a:b] = np.take_along_axis(part, order, axis=1)
        dist[a:b] = np.take_along_axis(d, order, axis=1)
    dist[:, 0] = 1.0 - yy if metric == "cosine" else 0.0  # 0 for a point itself (1 for a zero vector)
    if metric == "cosine":
        vals = np.square(np.clip(1.0 - dist, -1.0, 1.0))
    elif metric == "euclidean":
        vals = dist.max() - dist
    else:
        vals = np.exp(-_gamma(gamma, X.shape[1]) * dist)
    indptr = np.arange(0, n * K + 1, K, dtype=np.int64)
    S = sp.csr_matrix((vals.reshape(-1), cols.reshape(-1), indptr), shape=(n, n))
    S.sort_indices()
    return S
