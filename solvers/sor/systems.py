"""Sequences of linear systems A_t x = b_t in the canonical CSR form the kernels need, validated once.

A sequence either shares one sparsity pattern (the paper's families: the pattern is canonicalised
and its diagonal found once, then each instance is a row of a T x nnz value array) or holds one
pattern per instance (a folder of files). Canonical means: int64 row pointers, int32 column indices
sorted within each row, no duplicates (duplicates are summed, as scipy does), float64 values, and a
stored nonzero diagonal in every row, whose positions are kept. Whether each instance is exactly
symmetric is recorded too: the kernels then fuse the exact residual into the sweep.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import OptsuiteError


class SystemProblem(OptsuiteError):
    """A system that SOR cannot take: non-square, empty, non-finite, a missing or zero diagonal, a
    right-hand side of the wrong length. `instance` and `row` (0-based) locate it; `part` says whether
    the matrix, the right-hand side or the context is at fault."""

    def __init__(self, detail: str, instance: int | None = None, row: int | None = None, part: str = "matrix"):
        self.detail, self.instance, self.row, self.part = detail, instance, row, part
        where = ", ".join(w for w in (f"instance {instance}" if instance is not None else "",
                                      f"row {row}" if row is not None else "") if w)
        super().__init__(f"{where}: {detail}" if where else detail)


@dataclass
class Pattern:
    """A canonical sparsity pattern: `diag[i]` is the position of a_ii in `indices`; `transpose` maps
    values to those of A^T in the same pattern (None when the pattern is not symmetric)."""

    n: int
    indptr: np.ndarray
    indices: np.ndarray
    diag: np.ndarray
    transpose: np.ndarray | None
    #: how to turn raw values into canonical ones: positions sorted by (row, column), group starts
    order: np.ndarray | None = None
    starts: np.ndarray | None = None

    @property
    def nnz(self) -> int:
        return int(self.indices.shape[0])

    def canonical_values(self, data: np.ndarray) -> np.ndarray:
        """Raw values (last axis = the raw pattern's entries) in canonical order, duplicates summed."""
        data = np.asarray(data, dtype=np.float64)
        if self.order is None:
            return np.ascontiguousarray(data)
        return np.ascontiguousarray(np.add.reduceat(data[..., self.order], self.starts, axis=-1))


def pattern(n: int, indptr, indices, instance: int | None = None) -> Pattern:
    """Canonicalise a CSR pattern of an n x n matrix and locate its diagonal."""
    indptr = np.asarray(indptr)
    indices = np.asarray(indices)
    if n == 0:
        raise SystemProblem("the matrix is empty (0 x 0); SOR needs at least one unknown", instance)
    if indptr.ndim != 1 or indptr.shape[0] != n + 1 or indices.ndim != 1:
        raise SystemProblem(f"indptr must have n + 1 = {n + 1} entries, found {indptr.shape}", instance)
    if indptr.dtype.kind not in "iu" or indices.dtype.kind not in "iu":
        raise SystemProblem("indptr and indices must be integer arrays", instance)
    indptr = indptr.astype(np.int64)
    counts = np.diff(indptr)
    if indptr[0] != 0 or (counts < 0).any() or indptr[-1] != indices.shape[0]:
        raise SystemProblem("indptr must start at 0, never decrease, and end at len(indices)", instance)
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise SystemProblem(f"column index out of range 0..{n - 1}", instance)
    rows = np.repeat(np.arange(n, dtype=np.int64), counts)
    key = rows * n + indices.astype(np.int64)
    order = starts = None
    if key.size > 1 and not (np.diff(key) > 0).all():
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        key = key[starts]
        rows = key // n
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    cols = key - rows * n
    on_diag = rows == cols
    diag = np.full(n, -1, dtype=np.int64)
    diag[rows[on_diag]] = np.flatnonzero(on_diag)
    if (diag < 0).any():
        raise SystemProblem("no diagonal entry is stored; SOR divides by a_ii, so every row needs a nonzero "
                            "diagonal", instance, int(np.flatnonzero(diag < 0)[0]))
    key_t = cols * n + rows
    perm = np.argsort(key_t, kind="stable")
    transpose = perm if np.array_equal(key_t[perm], key) else None
    return Pattern(n, indptr, np.ascontiguousarray(cols, dtype=np.int32), diag, transpose, order, starts)


def check_values(pat: Pattern, data: np.ndarray, first_instance: int = 0) -> None:
    """Raise at the first non-finite value or zero diagonal of canonical values (1-D, or T x nnz)."""
    data = np.atleast_2d(data)
    finite = np.isfinite(data)
    if not finite.all():
        t, k = map(int, np.argwhere(~finite)[0])
        row = int(np.searchsorted(pat.indptr, k, side="right") - 1)
        raise SystemProblem(f"matrix value is {data[t, k]}; values must be finite", first_instance + t, row)
    zero = data[:, pat.diag] == 0
    if zero.any():
        t, i = map(int, np.argwhere(zero)[0])
        raise SystemProblem("the diagonal entry is zero; SOR divides by a_ii (reorder the unknowns or "
                            "regularise the matrix)", first_instance + t, i)


def check_rhs(b: np.ndarray, n: int, first_instance: int = 0) -> None:
    b = np.atleast_2d(b)
    if b.shape[1] != n:
        raise SystemProblem(f"the right-hand side has {b.shape[1]} entries but the matrix has n = {n} rows",
                            first_instance, part="rhs")
    finite = np.isfinite(b)
    if not finite.all():
        t, i = map(int, np.argwhere(~finite)[0])
        raise SystemProblem(f"right-hand side entry is {b[t, i]}; it must be finite", first_instance + t, i,
                            part="rhs")


@dataclass
class SystemSequence:
    """T validated systems. `system(t)` gives the kernel arguments of instance t."""

    patterns: list[Pattern]
    pattern_of: np.ndarray
    values: list[np.ndarray]
    rhs: list[np.ndarray]
    context: np.ndarray | None = None
    context_range: tuple[float, float] | None = None
    names: list[str] | None = None
    symmetric: np.ndarray = field(init=False)

    def __post_init__(self):
        self.symmetric = np.array([self._is_symmetric(t) for t in range(self.T)], dtype=bool)

    def _is_symmetric(self, t: int) -> bool:
        perm = self.pattern(t).transpose
        return perm is not None and np.array_equal(self.values[t][perm], self.values[t])

    @property
    def T(self) -> int:
        return len(self.values)

    def pattern(self, t: int) -> Pattern:
        return self.patterns[int(self.pattern_of[t])]

    def n(self, t: int = 0) -> int:
        return self.pattern(t).n

    def system(self, t: int):
        """(indptr, indices, data, diag, b, symmetric) of instance t."""
        p = self.pattern(t)
        return p.indptr, p.indices, self.values[t], p.diag, self.rhs[t], bool(self.symmetric[t])

    def matrix(self, t: int):
        """Instance t as a scipy CSR matrix (for checks and references)."""
        import scipy.sparse as sp

        p = self.pattern(t)
        return sp.csr_matrix((self.values[t], p.indices, p.indptr), shape=(p.n, p.n))

    def label(self, t: int) -> str:
        return self.names[t] if self.names else f"instance {t}"

    @classmethod
    def shared(cls, n: int, indptr, indices, data, b, *, context=None, context_range=None, names=None):
        """T systems on one pattern: `data` is T x nnz (raw pattern order), `b` is T x n."""
        pat = pattern(n, indptr, indices)
        data = np.asarray(data, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        if data.ndim == 1:
            data = data[None, :]
        if b.ndim == 1:
            b = b[None, :]
        if data.ndim != 2 or data.shape[1] != np.asarray(indices).shape[0]:
            raise SystemProblem(f"data must be T x nnz with nnz = {np.asarray(indices).shape[0]} (one row of "
                                f"values per instance), found shape {data.shape}")
        if b.ndim != 2 or b.shape[0] != data.shape[0]:
            raise SystemProblem(f"b must be T x n with T = {data.shape[0]} (as many rows as data), found shape "
                                f"{b.shape}", part="rhs")
        values = pat.canonical_values(data)
        check_values(pat, values)
        check_rhs(b, n)
        T = values.shape[0]
        return cls([pat], np.zeros(T, dtype=np.int64), list(values), list(np.ascontiguousarray(b)),
                   _context(context, T), context_range, names)

    @classmethod
    def from_matrices(cls, systems, *, context=None, context_range=None, names=None):
        """One system per (A, b) pair: A any scipy sparse matrix or dense array, b a vector."""
        import scipy.sparse as sp

        patterns, values, rhs = [], [], []
        for t, (A, b) in enumerate(systems):
            A = sp.csr_matrix(A)
            if A.shape[0] != A.shape[1]:
                raise SystemProblem(f"the matrix is {A.shape[0]} x {A.shape[1]}; SOR needs a square matrix", t)
            if A.dtype.kind not in "biuf":
                raise SystemProblem(f"matrix values have dtype {A.dtype}; expected real numbers", t)
            pat = pattern(A.shape[0], A.indptr, A.indices, t)
            vals = pat.canonical_values(A.data)
            check_values(pat, vals, t)
            b = np.asarray(b, dtype=np.float64).reshape(-1) if np.ndim(b) else np.asarray([b], dtype=np.float64)
            check_rhs(b, pat.n, t)
            patterns.append(pat)
            values.append(vals)
            rhs.append(np.ascontiguousarray(b))
        if not values:
            raise SystemProblem("no systems given")
        return cls(patterns, np.arange(len(values)), values, rhs, _context(context, len(values)), context_range,
                   names)


def _context(context, T):
    if context is None:
        return None
    c = np.asarray(context, dtype=np.float64).reshape(-1)
    if c.shape[0] != T:
        raise SystemProblem(f"{c.shape[0]} context values for {T} instances; give one per instance", part="context")
    if not np.isfinite(c).all():
        i = int(np.flatnonzero(~np.isfinite(c))[0])
        raise SystemProblem(f"context value {c[i]} is not finite", i, part="context")
    return c
