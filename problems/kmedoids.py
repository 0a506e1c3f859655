"""k-medoids problem files: points or a precomputed dissimilarity matrix, weights, initial medoids,
solutions; and a generator of Gaussian blobs with known labels.

`load` validates completely and raises `InputError` naming the file, the line (CSV) or row, and what
is wrong, so the solver only ever sees clean arrays.
"""

from __future__ import annotations

import numpy as np

from optsuite.problems import io
from optsuite.solvers.errors import InputError


class KMedoidsProblem:
    """Validated input: `points` (n x d float64) or `D` (n x n dissimilarities in the requested dtype)."""

    def __init__(self, path, metric, points=None, D=None, names=None):
        self.path = path
        self.metric = metric
        self.points = points
        self.D = D
        self.names = names

    @property
    def n(self) -> int:
        return (self.points if self.points is not None else self.D).shape[0]

    @property
    def precomputed(self) -> bool:
        return self.D is not None


def load(path, *, metric: str = "euclidean", dtype: str = "float64", header: bool | None = None) -> KMedoidsProblem:
    """Read points (CSV with or without header, '-' for stdin, .npy, .npz key X/points) or, with
    metric='precomputed', a square dissimilarity matrix (CSV, .npy, .npz key D)."""
    from optsuite.solvers.kmedoids import MatrixError, as_dissimilarity

    precomputed = metric == "precomputed"
    what = "dissimilarities" if precomputed else "point coordinates"
    keys = ("D", "diss", "dissimilarity") if precomputed else ("X", "points", "data")
    table = io.read_table(path, header=header, what=what, npz_keys=keys)
    io.check_finite(table, what)
    if not precomputed:
        if metric == "jaccard":
            bad = ~np.isin(table.values, (0.0, 1.0))
            if bad.any():
                r, c = map(int, np.argwhere(bad)[0])
                raise InputError(path, f"value {table.values[r, c]:g} is not 0 or 1; --metric jaccard needs "
                                 "binary data", **_at(table, r, c))
        return KMedoidsProblem(path, metric, points=np.ascontiguousarray(table.values), names=table.names)
    try:
        D = as_dissimilarity(table.values, dtype, check=True)
    except MatrixError as e:
        raise InputError(path, e.detail, **(_at(table, e.row, e.col) if e.row >= 0 else {})) from None
    return KMedoidsProblem(path, metric, D=D, names=table.names)


def _at(table, row, col) -> dict:
    where = table.where(row)
    label = f"column {col + 1}"
    where["field"] = f"{where['field']}, {label}" if "field" in where else label
    return where


def load_weights(path, n: int) -> np.ndarray:
    """One finite, non-negative weight per object (a CSV column or 1-D .npy)."""
    w = io.read_vector(path, what="weights")
    if w.shape[0] != n:
        raise InputError(path, f"{w.shape[0]} weights for {n} objects; give one weight per object (same order)")
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise InputError(path, f"weight {w[i]:g} is negative; weights must be >= 0", field=f"weight {i + 1}")
    if w.sum() <= 0:
        raise InputError(path, "all weights are zero; at least one object must count")
    return w


def load_medoids(path, n: int, k: int) -> np.ndarray:
    """k distinct 0-based object indices (a CSV column or 1-D .npy)."""
    med = io.read_vector(path, dtype=np.int64, what="medoid indices (0-based)")
    if med.shape[0] != k:
        raise InputError(path, f"{med.shape[0]} initial medoids but --k {k}; give exactly k indices")
    bad = (med < 0) | (med >= n)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(path, f"index {med[i]} is out of range; objects are numbered 0 to {n - 1} (0-based)",
                         field=f"entry {i + 1}")
    values, counts = np.unique(med, return_counts=True)
    if (counts > 1).any():
        raise InputError(path, f"index {values[counts > 1][0]} appears twice; medoids must be distinct")
    return med


def load_solution(path) -> dict:
    """A solution JSON as written by `optsuite solve kmedoids` (needs `medoids`; `labels`, `objective`,
    `metric`, `dtype` are checked when present)."""
    sol = io.read_json(path)
    if not isinstance(sol, dict) or "medoids" not in sol:
        raise InputError(path, "not a k-medoids solution: expected a JSON object with 'medoids' "
                         "(as written by `optsuite solve kmedoids --out FILE.json`)")
    try:
        sol["medoids"] = np.asarray(sol["medoids"], dtype=np.int64).reshape(-1)
        if sol.get("labels") is not None:
            sol["labels"] = np.asarray(sol["labels"], dtype=np.int64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(path, "'medoids' and 'labels' must be lists of integers", field="medoids") from None
    return sol


def labels_csv(labels) -> str:
    """One label (the slot of the nearest medoid) per line, in input order."""
    return "\n".join(str(int(v)) for v in labels) + "\n"


def generate(n: int, d: int, centers: int, seed: int = 0, spread: float = 1.0, scale: float = 10.0):
    """Gaussian blobs: `centers` centres uniform in [-scale, scale]^d, n points split as evenly as
    possible, unit-variance noise times `spread`. Returns (X, labels, centres)."""
    rng = np.random.default_rng(seed)
    C = rng.uniform(-scale, scale, size=(centers, d))
    labels = np.arange(n) % centers
    rng.shuffle(labels)
    X = C[labels] + spread * rng.standard_normal((n, d))
    return X, labels, C
