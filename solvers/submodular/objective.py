"""Monotone submodular objectives as the kernels read them: facility location, feature-based and
weighted coverage, each from a dense matrix or CSR rows (row e = what candidate e contributes).

Weighted coverage, sum of w_u over the items covered by S, is facility location with s_eu = w_u when
set e holds item u: the largest similarity an item can get is its weight once any set covers it. So
there are two oracles (a max and a concave sum), each over dense or sparse rows.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import _kernels as _k
from .similarity import dense_dtype

CONCAVE = {"sqrt": _k.SQRT, "log1p": _k.LOG1P}
CONCAVE_FORMULA = {"sqrt": "sqrt({})", "log1p": "log(1 + {})"}

_EMPTY2 = np.empty((0, 0))
_EMPTY_I64 = np.empty(0, dtype=np.int64)
_EMPTY_I32 = np.empty(0, dtype=np.int32)
_EMPTY_F = np.empty(0)


class Objective:
    """A validated objective: `kind`, candidate rows (`dense` n x m, or CSR `indptr/indices/data`),
    feature `weights` and `concave` for feature-based, and the `formula` in words. Values computed
    along with the matrix may travel with it: `singletons` (f({e}) for every e) and `round1`
    (greedy's first pick, which must be the largest singleton with ties to the smaller id, and the
    gain of every element once it is chosen), and with them, for a dense facility location, `blocks`
    = (width, partial): columns cut into blocks of `width`, partial[e, b] = e's gain on block b after
    the first pick (see `_kernels.lazy_after_first_blocked`). `columns`: the item each column stands
    for (None: column j is item j); f is a sum over the columns, so their order only changes rounding."""

    def __init__(self, kind, code, *, dense=None, csr=None, weights=None, concave="sqrt", formula="",
                 singletons=None, round1=None, blocks=None, columns=None):
        self.kind = kind
        self.columns = columns
        self.singletons = singletons
        self.round1 = round1
        self.blocks = blocks if round1 is not None and dense is not None else None
        self.code = code
        self.concave = concave
        self.formula = formula
        if dense is not None:
            self.dense = dense
            self.indptr, self.indices, self.data = _EMPTY_I64, _EMPTY_I32, _EMPTY_F
            self.n, self.m = dense.shape
        else:
            self.dense = _EMPTY2
            self.indptr, self.indices, self.data = csr[0], csr[1], csr[2]
            self.n, self.m = csr[3]
        self.weights = weights if weights is not None else _EMPTY_F

    @property
    def sparse(self) -> bool:
        return self.code in (_k.FL_SPARSE, _k.FB_SPARSE)

    @property
    def nbytes(self) -> int:
        return int(self.dense.nbytes + self.indptr.nbytes + self.indices.nbytes + self.data.nbytes)

    def oracle(self) -> tuple:
        """The tuple every kernel takes (one Numba signature for all objectives)."""
        return (np.int64(self.code), np.int64(CONCAVE[self.concave]), self.dense, self.indptr, self.indices,
                self.data, self.weights)

    def value(self, selected) -> float:
        """f(S) for a list of element indices (0-based rows)."""
        sel = np.asarray(selected, dtype=np.int64).reshape(-1)
        return float(_k.set_value(self.oracle(), sel, self.m))

    @property
    def dtype(self) -> str:
        """Storage type of the candidate rows (float32 only for a dense facility location)."""
        return str((self.data if self.sparse else self.dense).dtype)

    def describe(self) -> dict:
        out = {"kind": self.kind, "formula": self.formula, "n": self.n, "m": self.m,
               "storage": "sparse" if self.sparse else "dense", "dtype": self.dtype}
        if self.sparse:
            out["nnz"] = int(self.data.shape[0])
        return out


def _csr_parts(M, name, check=True):
    """(indptr int64, indices int32, data float64, shape) of a scipy sparse matrix, canonical CSR."""
    csr = M.tocsr(copy=True)
    csr.sum_duplicates()
    csr.sort_indices()
    data = np.require(csr.data, np.float64, ["C"])
    if check:
        _check_entries(data, name, lambda p: _csr_position(csr, p))
    return (np.require(csr.indptr, np.int64, ["C"]), np.require(csr.indices, np.int32, ["C"]), data, csr.shape)


def _csr_position(csr, p):
    row = int(np.searchsorted(csr.indptr, p, side="right") - 1)
    return row, int(csr.indices[p])


def _check_entries(values, name, position):
    """Finite and non-negative, else a ParameterError naming the first bad entry."""
    bad = ~np.isfinite(values)
    if bad.any():
        p = int(np.flatnonzero(bad.reshape(-1))[0])
        r, c = position(p)
        raise ParameterError(name, f"entry [{r}, {c}] is {values.reshape(-1)[p]}; values must be finite")
    neg = values < 0
    if neg.any():
        p = int(np.flatnonzero(neg.reshape(-1))[0])
        r, c = position(p)
        raise ParameterError(name, f"entry [{r}, {c}] is {values.reshape(-1)[p]:g}; values must be non-negative "
                             "(a monotone objective needs s >= 0)")


def _is_sparse(M) -> bool:
    return hasattr(M, "tocsr") and hasattr(M, "nnz")


def _dense(M, name, check=True, dtype=np.float64) -> np.ndarray:
    A = np.asarray(M)
    if A.dtype.kind not in "biuf":
        raise ParameterError(name, f"must hold real numbers, got dtype {A.dtype}")
    if A.ndim != 2 or A.shape[0] == 0 or A.shape[1] == 0:
        raise ParameterError(name, f"must be a non-empty 2-D array, got shape {A.shape}")
    if np.dtype(dtype) == np.float32 and A.dtype != np.float32:
        with np.errstate(invalid="ignore"):
            big = np.abs(A) > np.finfo(np.float32).max
        if big.any():
            r, c = divmod(int(np.flatnonzero(big.reshape(-1))[0]), A.shape[1])
            raise ParameterError("dtype", f"{name} entry [{r}, {c}] is {A[r, c]:g}, beyond float32's range "
                                 f"({np.finfo(np.float32).max:.3g}); use float64")
    A = np.require(A, dtype, ["C"])
    if check:
        _check_entries(A, name, lambda p: divmod(p, A.shape[1]))
    return A


def facility_location(S, formula: str = "s_ij given", *, check: bool = True, singletons=None,
                      round1=None, blocks=None, columns=None, dtype="float64") -> Objective:
    """f(S) = sum over items u of max_{j in S} s_ju. `S`: n x m non-negative similarities (dense array
    or scipy sparse; row j = candidate j, columns = the items it represents). `check=False` skips the
    finite/non-negative scan, for matrices built by `similarity` (non-negative by construction), which
    also passes the `singletons`, `round1`, `blocks` and `columns` it computed on the way (see
    `Objective`).

    `dtype`: storage of a dense S, float64 or float32 (half the memory and memory traffic; entries
    rounded to float32, gains and f still summed in float64). A sparse S is always float64."""
    dt = dense_dtype(dtype)
    if _is_sparse(S):
        if dt != np.float64:
            raise ParameterError("dtype", "float32 storage is for a dense similarity only; a sparse one "
                                 "(--knn, .npz/.mtx) is stored as float64")
        parts = _csr_parts(S, "similarity", check)
        return Objective("facility-location", _k.FL_SPARSE, csr=parts, formula=formula, singletons=singletons,
                         round1=round1)
    return Objective("facility-location", _k.FL_DENSE, dense=_dense(S, "similarity", check, dt), formula=formula,
                     singletons=singletons, round1=round1, blocks=blocks, columns=columns)


def feature_based(X, concave: str = "sqrt") -> Objective:
    """f(S) = sum over features u of phi(sum_{j in S} x_ju), phi = sqrt or log1p; X >= 0 (n x d)."""
    if concave not in CONCAVE:
        raise ParameterError("concave", f"must be one of {', '.join(CONCAVE)}; got {concave!r}")
    formula = "f(S) = sum_u " + CONCAVE_FORMULA[concave].format("sum_{j in S} x_ju")
    if _is_sparse(X):
        parts = _csr_parts(X, "features")
        return Objective("feature-based", _k.FB_SPARSE, csr=parts, weights=np.ones(parts[3][1]),
                         concave=concave, formula=formula)
    A = _dense(X, "features")
    return Objective("feature-based", _k.FB_DENSE, dense=A, weights=np.ones(A.shape[1]), concave=concave,
                     formula=formula)


def coverage(sets, n_items: int, weights=None) -> Objective:
    """f(S) = sum of w_u over the items u covered by the sets in S. `sets`: one sequence of 0-based
    item indices per candidate; `weights`: one non-negative weight per item (default 1)."""
    w = np.ones(n_items) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape[0] != n_items:
        raise ParameterError("weights", f"need one weight per item: {n_items}, got {w.shape[0]}")
    _check_entries(w, "weights", lambda p: (p, 0))
    indptr = np.zeros(len(sets) + 1, dtype=np.int64)
    rows = []
    for j, items in enumerate(sets):
        idx = np.unique(np.asarray(items, dtype=np.int64))
        if idx.size and (idx[0] < 0 or idx[-1] >= n_items):
            raise ParameterError("sets", f"set {j} names item {idx[0] if idx[0] < 0 else idx[-1]}, outside "
                                 f"0..{n_items - 1}")
        rows.append(idx)
        indptr[j + 1] = indptr[j] + idx.size
    indices = np.concatenate(rows).astype(np.int32) if rows else _EMPTY_I32
    data = w[indices] if indices.size else _EMPTY_F.copy()
    formula = "f(S) = sum of w_u over items u in the union of the sets in S" + (" (w_u = 1)" if weights is None else "")
    return Objective("coverage", _k.FL_SPARSE, csr=(indptr, indices, np.ascontiguousarray(data),
                                                   (len(sets), n_items)), formula=formula)
