"""k-medoids: public functions that validate their arguments, canonicalise arrays to the dtypes the
kernels compile for, run the kernels and return a `Result`.

The objective is the (weighted) total deviation, TD = sum over objects of w_o * d(o, nearest medoid).
Methods: FasterPAM (default), FastPAM1, PAM SWAP, alternating, CLARA (FasterCLARA) and CLARANS
(FastCLARANS or the classic pair-sampling search); inits BUILD, LAB, random, first, or given medoids.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..environment import available_memory
from ..errors import ParameterError, ResourceError
from ..result import Result
from . import _distances as _dist
from . import _kernels as _k

METRICS = {
    "euclidean": _dist.EUCLIDEAN,
    "sqeuclidean": _dist.SQEUCLIDEAN,
    "manhattan": _dist.MANHATTAN,
    "cosine": _dist.COSINE,
    "jaccard": _dist.JACCARD,
}
METHODS = ("fasterpam", "fastpam1", "pam", "alternate", "clara", "clarans")
INITS = ("random", "lab", "build", "first")
DTYPES = {"float32": np.float32, "float64": np.float64}


# ------------------------------------------------------------------------------------ validation

def _as_points(X) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ParameterError("X", f"points must be real numbers, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ParameterError("X", f"points must be a 2-D array (n points x d features), got shape {X.shape}")
    if X.shape[0] == 0:
        raise ParameterError("X", "no points: the array has 0 rows")
    X = np.require(X, np.float64, ["C", "W"])
    if not np.isfinite(X).all():
        r, c = np.argwhere(~np.isfinite(X))[0]
        raise ParameterError("X", f"points must be finite; entry [{r}, {c}] is {X[r, c]}")
    return X


class MatrixError(ParameterError):
    """An invalid dissimilarity matrix; `row` and `col` locate the offending entry (-1 when not one entry)."""

    def __init__(self, message: str, row: int = -1, col: int = -1):
        super().__init__("D", message)
        self.row, self.col = row, col


def _diagnose(D) -> tuple[MatrixError | None, float]:
    """(what is wrong with D as a dissimilarity matrix or None, largest |D - D.T|). Checks: square, finite,
    non-negative, zero diagonal, symmetric to 1e-9 relative to the largest entry (which tolerates the
    rounding of BLAS-computed matrices)."""
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        return MatrixError(f"a dissimilarity matrix must be square, got shape {D.shape}"), 0.0
    if D.dtype.kind == "f" and not np.isfinite(D).all():
        r, c = map(int, np.argwhere(~np.isfinite(D))[0])
        return MatrixError(f"entry is {D[r, c]}; dissimilarities must be finite", r, c), 0.0
    if (D < 0).any():
        r, c = map(int, np.argwhere(D < 0)[0])
        return MatrixError(f"entry is {D[r, c]}; dissimilarities must be non-negative", r, c), 0.0
    diag = np.diagonal(D)
    if (diag != 0).any():
        r = int(np.flatnonzero(diag != 0)[0])
        return MatrixError(f"diagonal entry is {D[r, r]}; the dissimilarity of an object to itself must be 0",
                           r, r), 0.0
    worst, i, j = _dist.max_asymmetry(D)
    if worst > 1e-9 * (float(D.max()) if D.size else 0.0):
        return MatrixError(f"the matrix is not symmetric: D[{i},{j}] = {D[i, j]} but D[{j},{i}] = {D[j, i]}; "
                           "k-medoids needs d(a,b) = d(b,a) (symmetrise it, e.g. (D + D.T) / 2)", int(i), int(j)), worst
    return None, worst


def as_dissimilarity(D, dtype="float64", *, check: bool = True) -> np.ndarray:
    """D as a C-ordered matrix of `dtype` (float32 or float64). With `check`, validate it (raising
    MatrixError) and make it exactly symmetric by copying the upper triangle down. The caller's array is
    never modified."""
    given = np.asarray(D)
    if given.dtype.kind not in "biuf":
        raise ParameterError("D", f"dissimilarities must be real numbers, got dtype {given.dtype}")
    D = np.require(given, _dtype(dtype), ["C", "W"])
    if check:
        problem, asymmetry = _diagnose(D)
        if problem is not None:
            raise problem
        if asymmetry > 0:
            if np.may_share_memory(D, given):
                D = D.copy()
            _dist.mirror_upper(D)
    return D


def _storage_dtype(D):
    """Keep a float32 or float64 matrix as it is; anything else is computed in float64."""
    dtype = np.asarray(D).dtype
    return dtype if dtype in (np.float32, np.float64) else np.float64


def _dtype(dtype):
    if isinstance(dtype, str):
        if dtype not in DTYPES:
            raise ParameterError("dtype", f"must be one of {', '.join(DTYPES)}, got {dtype!r}")
        return DTYPES[dtype]
    dtype = np.dtype(dtype).type
    if dtype not in DTYPES.values():
        raise ParameterError("dtype", f"must be float32 or float64, got {np.dtype(dtype).name}")
    return dtype


def _choice(name, value, choices):
    if value not in choices:
        raise ParameterError(name, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def _check_k(k, n) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ParameterError("k", f"must be an integer, got {k!r}")
    if not 1 <= k <= n:
        raise ParameterError("k", f"must be between 1 and the number of objects n = {n}; got {k}")
    return int(k)


def as_weights(weights, n) -> np.ndarray | None:
    """None, or a float64 vector of n finite non-negative weights with a positive sum."""
    if weights is None:
        return None
    w = np.require(np.asarray(weights, dtype=np.float64).reshape(-1), np.float64, ["C", "W"])
    if w.shape[0] != n:
        raise ParameterError("weights", f"need one weight per object: {n}, got {w.shape[0]}")
    if not np.isfinite(w).all() or (w < 0).any():
        i = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
        raise ParameterError("weights", f"weights must be finite and non-negative; weight {i} is {w[i]}")
    if w.sum() <= 0:
        raise ParameterError("weights", "all weights are zero; at least one object must count")
    return w


def as_medoids(medoids, n, k=None) -> np.ndarray:
    """Initial medoids as distinct int64 object indices in [0, n)."""
    med = np.asarray(medoids)
    if med.ndim != 1 or med.dtype.kind not in "iu":
        raise ParameterError("medoids", f"must be a 1-D array of integer indices, got {med.dtype} {med.shape}")
    if k is not None and med.shape[0] != k:
        raise ParameterError("medoids", f"{med.shape[0]} initial medoids given but k = {k}")
    if med.shape[0] == 0:
        raise ParameterError("medoids", "no initial medoids given")
    if (med < 0).any() or (med >= n).any():
        bad = int(med[(med < 0) | (med >= n)][0])
        raise ParameterError("medoids", f"index {bad} is out of range: objects are numbered 0 to {n - 1}")
    if np.unique(med).shape[0] != med.shape[0]:
        values, counts = np.unique(med, return_counts=True)
        raise ParameterError("medoids", f"index {int(values[counts > 1][0])} appears twice; medoids must differ")
    return np.require(med, np.int64, ["C", "W"]).copy()


# ---------------------------------------------------------------------------------- dissimilarities

def dissimilarity_matrix(X, metric: str = "euclidean", dtype="float64") -> np.ndarray:
    """The n x n dissimilarity matrix of points X (n x d) in `dtype`, exactly symmetric, zero diagonal.
    Metrics: euclidean, sqeuclidean, manhattan, cosine (1 - cos; a zero vector is at distance 1 from
    others, 0 from zero vectors), jaccard (0/1 data; two all-zero rows are at distance 0)."""
    X = _as_points(X)
    code = _metric_code(metric, X)
    check_matrix_memory(X.shape[0], dtype)
    out = np.empty((X.shape[0], X.shape[0]), dtype=_dtype(dtype))
    _dist.fill_matrix(X, code, _norms(X, code), out)
    return out


def check_matrix_memory(n: int, dtype="float64", available: int | None = None) -> None:
    """Refuse an n x n matrix that would take more than 90 % of the available memory."""
    itemsize = np.dtype(_dtype(dtype)).itemsize
    need = n * n * itemsize
    available = available_memory() if available is None else available
    if available is not None and need > 0.9 * available:
        gib = 2**30
        hint = " or --dtype float32 to halve it" if itemsize == 8 and need / 2 <= 0.9 * available else ""
        raise ResourceError(f"n = {n} points need a {n} x {n} {np.dtype(_dtype(dtype)).name} dissimilarity "
                            f"matrix of {need / gib:.1f} GiB, but only {available / gib:.1f} GiB of memory is "
                            f"available; use --method clara, which works on samples, or --coreset M{hint}")


def _metric_code(metric, X) -> int:
    _choice("metric", metric, tuple(METRICS))
    if metric == "jaccard" and not np.isin(X, (0.0, 1.0)).all():
        r, c = np.argwhere(~np.isin(X, (0.0, 1.0)))[0]
        raise ParameterError("metric", f"jaccard needs 0/1 data, but entry [{r}, {c}] is {X[r, c]}")
    return METRICS[metric]


def points_for(X, metric: str) -> np.ndarray:
    """X checked once for `metric` (C-ordered float64, finite, n >= 1; 0/1 entries for jaccard), for
    callers that then pass it to `assign_points` and `distances_between` many times with check=False."""
    X = _as_points(X)
    _metric_code(metric, X)
    return X


def _norms(X, code) -> np.ndarray:
    return _dist.row_norms(X) if code == _dist.COSINE else np.zeros(X.shape[0])


def assign_points(X, medoids, metric: str = "euclidean", weights=None, *, check: bool = True):
    """(labels, distances, loss): every point's nearest medoid slot, computed from the points in float64
    (independent of any dissimilarity matrix; used by CLARA and to check solutions). `check=False`
    skips the scan of X (finite, 0/1 for jaccard) for callers that passed it through `points_for`
    once: a repeated scan of 10^7 entries costs more than the assignment's own work."""
    X = _as_points(X) if check else X
    med = as_medoids(medoids, X.shape[0])
    code = _metric_code(metric, X) if check else METRICS[metric]
    labels = np.empty(X.shape[0], np.int64)
    dist = np.empty(X.shape[0])
    _dist.nearest_of(X, med, code, _norms(X, code), labels, dist)
    w = as_weights(weights, X.shape[0])
    loss = float(np.sum(dist if w is None else w * dist))
    return labels, dist, loss


def distances_between(X, a, b, metric: str = "euclidean", *, check: bool = True) -> np.ndarray:
    """d(X[a[t]], X[b[t]]) for index arrays a and b, in float64; `check=False` as in `assign_points`."""
    X = _as_points(X) if check else X
    code = _metric_code(metric, X) if check else METRICS[metric]
    a = np.require(a, np.int64, ["C"])
    b = np.require(b, np.int64, ["C"])
    out = np.empty(a.shape[0])
    _dist.pair_distances(X, a, b, code, _norms(X, code), out)
    return out


def assign_matrix(D, medoids, weights=None):
    """(labels, distances, loss) of given medoids on a dissimilarity matrix."""
    D = as_dissimilarity(D, _storage_dtype(D), check=False)
    med = as_medoids(medoids, D.shape[0])
    labels = np.empty(D.shape[0], np.int64)
    w = as_weights(weights, D.shape[0])
    loss = _k.assign_nearest(D, med, labels, w)
    dist = D[np.arange(D.shape[0]), med[labels]].astype(np.float64)
    return labels, dist, float(loss)


# --------------------------------------------------------------------------------------------- init

def initial_medoids(D, k, init="random", seed=0, weights=None) -> tuple[np.ndarray, dict]:
    """k distinct starting medoids by `init`: random (uniform, seeded), first (objects 0..k-1),
    build (PAM BUILD, O(n^2 k)) or lab (linear approximative BUILD, O(n k)). Returns (medoids, info)."""
    n = D.shape[0]
    info = {}
    if init == "random":
        med = np.random.default_rng(seed).choice(n, size=k, replace=False).astype(np.int64)
    elif init == "first":
        med = np.arange(k, dtype=np.int64)
    elif init == "build":
        med = np.empty(k, np.int64)
        near_d = np.empty(n, D.dtype)
        info["medoids_without_gain"] = int(_k.build(D, k, med, near_d, weights))
    elif init == "lab":
        med = np.empty(k, np.int64)
        _k.lab(D, k, med, np.random.default_rng(seed), weights)
    else:
        _choice("init", init, INITS)
    return med, info


# ------------------------------------------------------------------------------------------ solving

def _default_max_iter(method, k):
    """Rounds for FasterPAM/alternating (a pass each); swaps for PAM/FastPAM1, which from a random start
    need about k + 10 and more (a cap of 100, as in python-kmedoids, silently stops them early)."""
    return 100 + 10 * k if method in ("pam", "fastpam1") else 100


class _Search:
    """Caches and counters shared by the swap-based searches."""

    def __init__(self, D, med, w):
        n, k = D.shape[0], med.shape[0]
        self.D, self.med, self.w = D, med, w
        self.near_i = np.empty(n, np.int32)
        self.sec_i = np.empty(n, np.int32)
        self.near_d = np.empty(n, D.dtype)
        self.sec_d = np.empty(n, D.dtype)
        self.R = np.zeros(k)
        self.P = np.zeros(k)
        self.buf = np.empty(n, np.int32)
        self.state = np.zeros(5, np.int64)
        self.state[3] = n
        self.loss = np.zeros(1)
        self.loss[0] = _k.initial_assign(D, med, self.near_i, self.near_d, self.sec_i, self.sec_d, w)
        self.initial_loss = float(self.loss[0])
        if k > 1:
            _k.removal_loss(self.near_i, self.near_d, self.sec_d, self.R, w)

    def caches(self):
        return self.D, self.med, self.near_i, self.near_d, self.sec_i, self.sec_d


def kmedoids(D, k, *, method="fasterpam", init="random", medoids=None, max_iter=None, seed=0,
             shuffle=False, weights=None, clarans_local=2, clarans_neighbors=None, clarans_variant="fast",
             progress=None, check=True) -> Result:
    """Cluster the objects of dissimilarity matrix D around k medoids.

    method: fasterpam (default), fastpam1, pam, alternate, clarans (clara needs points: see `clara`).
    init: random, first, build, lab; or pass `medoids` (k distinct indices). max_iter: rounds (passes)
    for fasterpam/alternate, swaps for pam/fastpam1 (default 100, or 100 + 10k for pam/fastpam1).
    shuffle: fasterpam visits candidates in a seeded random order instead of 0..n-1.
    weights: non-negative per-object weights; the loss becomes sum_o w_o d(o, medoid).
    progress: optional callable(done, total, text) called between rounds.
    """
    D = as_dissimilarity(D, _storage_dtype(D), check=check)
    n = D.shape[0]
    k = _check_k(k, n)
    _choice("method", method, tuple(m for m in METHODS if m != "clara"))
    _choice("init", init, INITS)
    _choice("clarans_variant", clarans_variant, ("fast", "classic"))
    w = as_weights(weights, n)
    if max_iter is None:
        max_iter = _default_max_iter(method, k)
    if max_iter < 1:
        raise ParameterError("max_iter", f"must be at least 1, got {max_iter}")
    t0 = time.perf_counter()
    if medoids is not None:
        med, init_info = as_medoids(medoids, n, k), {}
        init = "given"
    else:
        if progress is not None:
            progress(0, None, f"{init} init of {k} medoids")
        med, init_info = initial_medoids(D, k, init, seed, w)
    t_init = time.perf_counter() - t0

    res = Result(problem="kmedoids", method=method, init=init, k=k, n=n, dtype=D.dtype.name)
    t1 = time.perf_counter()
    if method == "clarans":
        _run_clarans(res, D, med, w, seed, clarans_local, clarans_neighbors, clarans_variant, progress)
    else:
        _run_local_search(res, D, med, w, method, max_iter, shuffle, seed, progress)
    res["timings"] = {"init": round(t_init, 6), "search": round(time.perf_counter() - t1, 6)}
    if init_info.get("medoids_without_gain"):
        res["warnings"] = [f"BUILD found fewer than k = {k} distinct objects; "
                           f"{init_info['medoids_without_gain']} medoids duplicate others (zero gain)"]
    res["seed"] = seed
    return res


def _run_local_search(res, D, med, w, method, max_iter, shuffle, seed, progress):
    n, k = D.shape[0], med.shape[0]
    s = _Search(D, med, w)
    res["initial_objective"] = s.initial_loss
    if k == 1:  # the exact 1-medoid; every method agrees
        s.state[1] = int(_k.single_medoid(D, med, np.zeros(n, np.int64), w))
        s.state[0] = 1
        s.state[2] = 1
        s.loss[0] = _k.initial_assign(D, med, s.near_i, s.near_d, s.sec_i, s.sec_d, w)
    else:
        step = 1 if progress is not None else max_iter
        order = (np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)).astype(np.int64)
        labels = np.empty(n, np.int64)
        if method == "alternate":
            s.loss[0] = _k.assign_nearest(D, med, labels, w)
        while s.state[0] < max_iter and not s.state[2]:
            rounds = min(step, max_iter - s.state[0])
            if method == "fasterpam":
                _k.fasterpam_rounds(*s.caches(), s.R, s.P, s.buf, order, s.state, s.loss, rounds, w)
            elif method == "fastpam1":
                _k.fastpam1_rounds(*s.caches(), s.R, s.P, s.buf, s.state, s.loss, rounds, w)
            elif method == "pam":
                _k.pam_rounds(*s.caches(), s.state, s.loss, rounds, w)
            else:
                _k.alternate_rounds(D, med, labels, s.state, s.loss, rounds, w)
            if progress is not None:
                progress(int(s.state[0]), max_iter, f"{method}: loss {s.loss[0]:.6g}, {s.state[1]} swaps")
        if method == "alternate":
            s.loss[0] = _k.initial_assign(D, med, s.near_i, s.near_d, s.sec_i, s.sec_d, w)
    _finish(res, s, "converged" if s.state[2] else "max_iter")
    if method == "alternate":
        res["counters"] = {"medoid_moves": int(s.state[1])}


def _run_clarans(res, D, med, w, seed, num_local, neighbors, variant, progress):
    n, k = D.shape[0], med.shape[0]
    fast = variant == "fast"
    size = (n - k) if fast else k * (n - k)
    max_neighbors = clarans_max_neighbors(neighbors, size, fast)
    if num_local < 1:
        raise ParameterError("clarans_local", f"must be at least 1, got {num_local}")
    rng = np.random.default_rng(seed)
    best = None
    evaluated = swaps = 0
    for r in range(num_local):
        start = med if r == 0 else rng.choice(n, size=k, replace=False).astype(np.int64)
        s = _Search(D, start.copy(), w)
        if r == 0:
            res["initial_objective"] = s.initial_loss
        if k == n:
            s.state[2] = 1
        else:
            _k.clarans_local(*s.caches(), s.R, s.P, s.buf, max_neighbors, fast, rng, s.state, s.loss, w)
        evaluated += int(s.state[4])
        swaps += int(s.state[1])
        if best is None or s.loss[0] < best.loss[0]:
            best = s
        if progress is not None:
            progress(r + 1, num_local, f"clarans: restart {r + 1}, best loss {best.loss[0]:.6g}")
    _finish(res, best, "converged")
    res["iterations"] = num_local
    res["counters"] = {"swaps": swaps, "candidates": evaluated, "max_neighbors": max_neighbors,
                       "variant": variant}


def clarans_max_neighbors(neighbors, size, fast) -> int:
    """--clarans-neighbors: a fraction (< 1) of the neighbourhood or an absolute count (>= 1). Defaults
    as in ELKI: 2.5 % of the n - k candidates for FastCLARANS; for classic CLARANS 1.25 % of the
    k (n - k) pairs, at least 250 (Ng & Han 2002)."""
    if neighbors is None:
        return max(1, math.ceil(0.025 * size)) if fast else max(250, math.ceil(0.0125 * size))
    if neighbors <= 0:
        raise ParameterError("clarans_neighbors", f"must be positive, got {neighbors}")
    return max(1, math.ceil(neighbors * size)) if neighbors < 1 else int(neighbors)


def _finish(res, s, status):
    _check_overflow(float(s.loss[0]), s.D.dtype, s.w)
    res["objective"] = float(s.loss[0])
    res.set_status(status, "no improving swap is left" if status == "converged" else None)
    res["medoids"] = s.med.copy()
    res["labels"] = s.near_i.astype(np.int64)
    res["iterations"] = int(s.state[0])
    res["counters"] = {"swaps": int(s.state[1]), "candidates": int(s.state[4])}


def _check_overflow(loss, dtype, w):
    """The total deviation is a sum of (weighted) dissimilarities: infinite when one of them overflows
    (float32 stops at 3.4e38) or their sum does. That is an input the search cannot rank medoids on, so
    it is an error, not a 'converged' result with a null objective."""
    if math.isfinite(loss):
        return
    if np.dtype(dtype) == np.float32:
        raise ParameterError("dtype", "the total deviation overflows: float32 dissimilarities stop at 3.4e38; use "
                             "float64 or rescale the data")
    what = "dissimilarities times weights" if w.shape[0] else "dissimilarities"
    raise ParameterError("weights" if w.shape[0] else "metric",
                         f"the total deviation overflows float64 (a sum of {what}); rescale the data")


# -------------------------------------------------------------------------------------------- CLARA

def clara(X, k, *, metric="euclidean", dtype="float64", samples=5, sample_size=None, init="random",
          max_iter=None, seed=0, shuffle=False, weights=None, progress=None) -> Result:
    """FasterCLARA (Schubert & Rousseeuw 2021): run FasterPAM on `samples` random subsets of
    `sample_size` points (default 80 + 4k), each holding the best medoids so far, and keep the medoids
    with the least total deviation on all n points. Memory O(sample_size^2 + n) instead of O(n^2).
    X: points (n x d), or a precomputed dissimilarity matrix with metric="precomputed"."""
    precomputed = metric == "precomputed"
    if precomputed:
        D = as_dissimilarity(X, dtype)
        n = D.shape[0]
    else:
        X = _as_points(X)
        n = X.shape[0]
        code = _metric_code(metric, X)
        norms = _norms(X, code)
    k = _check_k(k, n)
    w = as_weights(weights, n)
    ss = min(n, 80 + 4 * k) if sample_size is None else int(sample_size)
    if not k <= ss <= n:
        raise ParameterError("clara_size", f"the sample size must be between k = {k} and n = {n}; got {ss}")
    if samples < 1:
        raise ParameterError("clara_samples", f"must be at least 1, got {samples}")
    rng = np.random.default_rng(seed)
    best = None
    swaps = 0
    t_search = 0.0
    for s in range(samples):
        if best is None:
            idx = np.sort(rng.choice(n, size=ss, replace=False))
        else:  # keep the best medoids so far in every later sample
            rest = np.setdiff1d(np.arange(n), best[0])
            idx = np.sort(np.concatenate([best[0], rng.choice(rest, size=ss - k, replace=False)]))
        t0 = time.perf_counter()
        sub = D[np.ix_(idx, idx)] if precomputed else dissimilarity_matrix(X[idx], metric, dtype)
        r = kmedoids(sub, k, method="fasterpam", init=init, max_iter=max_iter, seed=int(rng.integers(2**63)),
                     shuffle=shuffle, weights=None if w is None else w[idx], check=False)
        med = idx[r.medoids]
        if precomputed:
            labels, dist, loss = assign_matrix(D, med, w)
        else:
            labels = np.empty(n, np.int64)
            dist = np.empty(n)
            _dist.nearest_of(X, med, code, norms, labels, dist)
            loss = float(np.sum(dist if w is None else w * dist))
        t_search += time.perf_counter() - t0
        swaps += r.counters["swaps"]
        if best is None or loss < best[2]:
            best = (med, labels, loss, r.status)
        if progress is not None:
            progress(s + 1, samples, f"clara: sample {s + 1}, best loss {best[2]:.6g}")
    res = Result(problem="kmedoids", method="clara", init=init, k=k, n=n, dtype=np.dtype(_dtype(dtype)).name)
    res["objective"] = best[2]
    res.set_status("converged" if best[3] == "converged" else "max_iter")
    res["medoids"] = best[0]
    res["labels"] = best[1]
    res["iterations"] = samples
    res["counters"] = {"swaps": swaps, "sample_size": ss, "samples": samples}
    res["timings"] = {"search": round(t_search, 6)}
    res["seed"] = seed
    return res


# --------------------------------------------------------------------------------------- compile warm

def warm_up(*, method="fasterpam", init="random", dtype="float64", metric="euclidean", weighted=False,
            k=2, given_medoids=False, shuffle=False) -> None:
    """Compile (or load from the cache) every kernel that a run with these options calls, by running it
    on a tiny problem of the same dtypes. The CLI times this as the `compile` phase."""
    rng = np.random.default_rng(0)
    n = 6
    X = (rng.random((n, 3)) < 0.5).astype(np.float64) if metric == "jaccard" else rng.random((n, 3))
    w = np.ones(n) if weighted else None
    kk = 1 if k == 1 else 2
    if method == "clara":
        clara(X if metric != "precomputed" else dissimilarity_matrix(X, "euclidean", dtype), kk,
              metric=metric, dtype=dtype, samples=2, sample_size=4, init=init, weights=w, shuffle=shuffle)
        return
    D = dissimilarity_matrix(X, "euclidean" if metric == "precomputed" else metric, dtype)
    kmedoids(D, kk, method=method, init=init, medoids=np.arange(kk) if given_medoids else None,
             weights=w, shuffle=shuffle, clarans_local=1)
