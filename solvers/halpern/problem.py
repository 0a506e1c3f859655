"""Finite-sum monotone inclusions 0 in F(z) + N_C(z) as the solvers see them: validated arrays in the
layout the kernels compile for, the constraint set, and the family they came from.

Four families, each a constructor: `matrix_game` (min over x in a simplex, max over y in a simplex of
x^T A y, with A the mean of n component matrices or one matrix split by rows or columns),
`quadratic` (finite-sum convex-concave quadratic saddle), `least_squares` (a cocoercive finite sum)
and `affine` (F_i(z) = M_i z + q_i, monotone on average).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from . import _kernels as _k

#: magnitudes a problem's entries and radii must stay within (or be 0): the Lipschitz and cocoercivity
#: constants come from squared norms of products of entries (fourth powers), which overflow above ~1e77
#: and underflow below ~1e-77 (an edge-case sweep: 1e80 entries gave L = 1 and a false 'diverged', 1e200
#: an internal LinAlgError, a radius of 1e-200 a ZeroDivisionError)
SCALE = 1e75

SPLITS = ("components", "rows", "columns")
SET_TYPES = {"free": _k.FREE, "box": _k.BOX, "simplex": _k.SIMPLEX, "ball": _k.BALL}


@dataclass
class Block:
    """One factor of the constraint set: `kind` (free, box, simplex, ball) on `size` coordinates."""

    name: str
    kind: str
    size: int
    radius: float = 1.0
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None


@dataclass
class MonotoneProblem:
    """F = (1/n) sum_i F_i on z = (x, y) (or z = x), constrained to the product of `blocks`."""

    family: str
    n: int
    kind: int
    m: int
    stack: np.ndarray
    mat: np.ndarray
    mean: np.ndarray
    const: np.ndarray
    blocks: list[Block]
    split: str | None = None
    #: least squares: the right-hand side b (for the objective)
    rhs: np.ndarray | None = None
    name: str = ""
    #: cached constants (Lipschitz, cocoercivity), filled on first use
    cache: dict = field(default_factory=dict)

    @property
    def d(self) -> int:
        return self.const.shape[0]

    @property
    def op(self) -> tuple:
        return (self.kind, self.n, self.m, self.stack, self.mat, self.mean, self.const)

    @property
    def sets(self) -> tuple:
        types = np.array([SET_TYPES[b.kind] for b in self.blocks], dtype=np.int64)
        ends = np.cumsum([b.size for b in self.blocks]).astype(np.int64)
        starts = ends - np.array([b.size for b in self.blocks], dtype=np.int64)
        radius = np.array([b.radius for b in self.blocks], dtype=np.float64)
        lo = np.concatenate([b.lo if b.lo is not None else np.full(b.size, -np.inf) for b in self.blocks])
        hi = np.concatenate([b.hi if b.hi is not None else np.full(b.size, np.inf) for b in self.blocks])
        return (types, starts, ends, radius, lo, hi)

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.blocks]

    def split_point(self, z) -> dict:
        """z as {block name: array}."""
        out, start = {}, 0
        for b in self.blocks:
            out[b.name] = z[start:start + b.size]
            start += b.size
        return out

    @property
    def dims(self) -> dict:
        return {b.name: b.size for b in self.blocks}


# ---------------------------------------------------------------------------------- validation

def _real_array(a, name, ndim) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise ParameterError(name, f"must hold real numbers, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise ParameterError(name, f"must be a {ndim}-D array, got shape {a.shape}")
    if 0 in a.shape:
        raise ParameterError(name, f"is empty (shape {a.shape})")
    a = np.ascontiguousarray(a, dtype=np.float64)
    if not np.isfinite(a).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ParameterError(name, f"must be finite; entry {list(where)} is {a[where]}")
    return a


def _shape(a, name, shape):
    if a.shape != shape:
        raise ParameterError(name, f"has shape {a.shape}, expected {shape}")


def as_block(spec, size: int, name: str) -> Block:
    """A set spec ('free', 'simplex', {'type': 'box', 'lo': -1, 'hi': 1}, {'type': 'ball', 'radius': 2},
    ...) as a validated Block of `size` coordinates."""
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, dict) or "type" not in spec:
        raise ParameterError(f"{name}_set", f"must name a set type ({', '.join(SET_TYPES)}), got {spec!r}")
    kind = spec["type"]
    if kind not in SET_TYPES:
        raise ParameterError(f"{name}_set", f"unknown set type {kind!r}; use one of {', '.join(SET_TYPES)}")
    unknown = set(spec) - {"type", "lo", "hi", "radius"}
    if unknown:
        raise ParameterError(f"{name}_set", f"unknown key(s) {', '.join(sorted(unknown))} for a {kind} set")
    block = Block(name, kind, size)
    if kind in ("simplex", "ball"):
        r = spec.get("radius", 1.0)
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not 1 / SCALE <= r <= SCALE:
            raise ParameterError(f"{name}_set", f"radius must be a number between {1 / SCALE:g} and {SCALE:g} "
                                 f"(the certificate squares it), got {r!r}")
        block.radius = float(r)
    if kind == "box":
        bounds = []
        for key, default in (("lo", -np.inf), ("hi", np.inf)):
            v = spec.get(key, default)
            try:
                arr = np.broadcast_to(np.asarray(v, dtype=np.float64), (size,)).copy()
            except (TypeError, ValueError):
                raise ParameterError(f"{name}_set", f"{key} must be a number or a list of {size} numbers, "
                                     f"got {v!r}") from None
            if np.isnan(arr).any():
                raise ParameterError(f"{name}_set", f"{key} contains NaN")
            bounds.append(arr)
        block.lo, block.hi = bounds
        bad = block.lo > block.hi
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"{name}_set", f"empty box: lo[{j}] = {block.lo[j]} > hi[{j}] = {block.hi[j]}")
    return block


def _empty3():
    return np.zeros((0, 0, 0))


def _empty2():
    return np.zeros((0, 0))


# -------------------------------------------------------------------------------- constructors

def matrix_game(A, split: str = "components") -> MonotoneProblem:
    """min over x in the simplex, max over y in the simplex, of x^T Abar y.

    split='components': A has shape (n, m, q) and Abar is the mean of the n matrices; component i is
    F_i(x, y) = (A_i y, -A_i^T x). split='rows' (or 'columns'): A is one m x q matrix and component i is
    row i (column i), scaled by n = m (n = q) so that the components average to F: a component costs
    O(q) (O(m)) instead of O(mq), the setting of the paper's experiments."""
    if split not in SPLITS:
        raise ParameterError("split", f"must be one of {', '.join(SPLITS)}; got {split!r}")
    if split == "components":
        A = _real_array(A, "A", 3)
        n, m, q = A.shape
        stack, mat, mean = A, _empty2(), np.ascontiguousarray(A.mean(axis=0))
        kind = _k.BILINEAR
    else:
        A = _real_array(A, "A", 2)
        m, q = A.shape
        stack, mean = _empty3(), A
        if split == "rows":
            n, mat, kind = m, A, _k.ROWS
        else:
            n, mat, kind = q, np.ascontiguousarray(A.T), _k.COLS
    blocks = [as_block("simplex", m, "x"), as_block("simplex", q, "y")]
    return MonotoneProblem("matrix-game", n, kind, m, stack, mat, mean, np.zeros(m + q), blocks, split)


def quadratic(Q, B, R, cx=None, cy=None, x_set="free", y_set="free") -> MonotoneProblem:
    """min over x, max over y, of the mean over components i of
    1/2 x^T Q_i x + x^T B_i y - 1/2 y^T R_i y + cx_i^T x - cy_i^T y, with mean Q and mean R positive
    semidefinite (convex-concave). F_i = (Q_i x + B_i y + cx_i, -B_i^T x + R_i y + cy_i)."""
    Q, B, R = _real_array(Q, "Q", 3), _real_array(B, "B", 3), _real_array(R, "R", 3)
    n, dx, dy = B.shape
    _shape(Q, "Q", (n, dx, dx))
    _shape(R, "R", (n, dy, dy))
    cx = np.zeros((n, dx)) if cx is None else _real_array(cx, "cx", 2)
    cy = np.zeros((n, dy)) if cy is None else _real_array(cy, "cy", 2)
    _shape(cx, "cx", (n, dx))
    _shape(cy, "cy", (n, dy))
    for name, S in (("Q", Q.mean(axis=0)), ("R", R.mean(axis=0))):
        lam = np.linalg.eigvalsh((S + S.T) / 2)
        if lam[0] < -1e-10 * max(abs(lam[-1]), 1.0):
            raise ParameterError(name, f"the mean of {name} must be positive semidefinite (convex-concave "
                                 f"saddle); its smallest eigenvalue is {lam[0]:.3g}")
    d = dx + dy
    M = np.empty((n, d, d))
    M[:, :dx, :dx] = Q
    M[:, :dx, dx:] = B
    M[:, dx:, :dx] = -B.transpose(0, 2, 1)
    M[:, dx:, dx:] = R
    const = np.concatenate([cx.mean(axis=0), cy.mean(axis=0)])
    blocks = [as_block(x_set, dx, "x"), as_block(y_set, dy, "y")]
    return MonotoneProblem("quadratic", n, _k.AFFINE, dx, M, _empty2(), np.ascontiguousarray(M.mean(axis=0)),
                           const, blocks)


def least_squares(A, b, x_set="free") -> MonotoneProblem:
    """min over x in the set of (1/2n) ||A x - b||^2 as the inclusion 0 in F(x) + N_C(x) with the
    cocoercive components F_i(x) = a_i (a_i^T x - b_i), a_i the rows of A."""
    A = _real_array(A, "A", 2)
    n, d = A.shape
    b = _real_array(np.asarray(b).reshape(-1) if np.ndim(b) else b, "b", 1)
    _shape(b, "b", (n,))
    const = -(A.T @ b) / n
    return MonotoneProblem("least-squares", n, _k.LSQ, d, _empty3(), A, _empty2(), const,
                           [as_block(x_set, d, "x")], rhs=b)


def affine(M, q=None, z_set="free") -> MonotoneProblem:
    """F_i(z) = M_i z + q_i with the mean of the M_i monotone (its symmetric part positive
    semidefinite on the set's tangent space)."""
    M = _real_array(M, "M", 3)
    n, d, d2 = M.shape
    if d != d2:
        raise ParameterError("M", f"components must be square, got shape {M.shape}")
    q = np.zeros((n, d)) if q is None else _real_array(q, "q", 2)
    _shape(q, "q", (n, d))
    problem = MonotoneProblem("affine", n, _k.AFFINE, d, M, _empty2(), np.ascontiguousarray(M.mean(axis=0)),
                              q.mean(axis=0), [as_block(z_set, d, "z")])
    from .constants import monotonicity

    lam = monotonicity(problem)
    if lam < 0:
        raise ParameterError("M", f"F is not monotone: the symmetric part of the mean of M has eigenvalue "
                             f"{lam:.3g} < 0 on the set's tangent space")
    return problem
