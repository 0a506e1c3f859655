"""l_p row-sampling problem files: a matrix A (CSV, .npy, .npz), an optional target column b, sample
solutions; and a generator of regression designs with heavy-tailed row norms and planted
high-leverage rows, where uniform sampling fails.

`load` validates completely and raises `InputError` naming the file, the line (CSV) or row, and what
is wrong, so the solver only ever sees clean arrays.
"""

from __future__ import annotations

import numpy as np

from optsuite.problems import io
from optsuite.solvers.errors import InputError

MATRIX_KEYS = ("A", "X", "data")
TARGET_KEYS = ("b", "y", "target")


class SamplingProblem:
    """Validated input: `A` (n x d float64), `b` (n float64, or None), the column names of A if any."""

    def __init__(self, path, A, b=None, target_path=None, names=None):
        self.path = path
        self.A = A
        self.b = b
        self.target_path = target_path
        self.names = names

    @property
    def n(self) -> int:
        return self.A.shape[0]


def load(path, target=None, *, header: bool | None = None) -> SamplingProblem:
    """Read A (CSV with or without header, '-' for stdin, .npy, .npz array A/X) and, if given, the
    target b (one column: CSV, .npy, or .npz array b/y/target), one value per row of A."""
    table = io.read_table(path, header=header, what="matrix entries", npz_keys=MATRIX_KEYS)
    io.check_finite(table, "matrix entries")
    A = np.ascontiguousarray(table.values, dtype=np.float64)
    b = load_target(target, A.shape[0]) if target is not None else None
    return SamplingProblem(path, A, b, target, table.names)


def load_target(path, n: int) -> np.ndarray:
    """One finite target value per row of A (a CSV column, 1-D .npy, or .npz array b/y/target)."""
    if io.suffix_of(path) == ".npz":
        arr = io.numeric_array(io.pick_npz(io.read_npz(path), path, TARGET_KEYS), path)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise InputError(path, f"expected one column of target values, found shape {arr.shape}")
        if not np.isfinite(arr).all():
            i = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise InputError(path, f"value is {arr[i]}; target values must be finite", field=f"row {i}")
        b = arr.astype(np.float64)
    else:
        b = io.read_vector(path, what="target values")
    if b.shape[0] != n:
        raise InputError(path, f"{b.shape[0]} target values for {n} rows of A; give one per row, same order")
    return np.ascontiguousarray(b)


def load_solution(path) -> dict:
    """A sample as written by `optsuite solve sampling --out FILE.json` (needs `indices`, `weights`)."""
    sol = io.read_json(path)
    if not isinstance(sol, dict) or "indices" not in sol or "weights" not in sol:
        raise InputError(path, "not a sampling solution: expected a JSON object with 'indices' and 'weights' "
                         "(as written by `optsuite solve sampling --out FILE.json`)")
    try:
        sol["indices"] = np.asarray(sol["indices"], dtype=np.int64).reshape(-1)
        sol["weights"] = np.asarray(sol["weights"], dtype=np.float64).reshape(-1)
        reg = sol.get("regression")
        if isinstance(reg, dict) and reg.get("x") is not None:
            reg["x"] = np.asarray(reg["x"], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(path, "'indices' must be integers and 'weights' and 'regression.x' numbers",
                         field="indices") from None
    return sol


def sample_csv(indices, weights) -> str:
    """`index,weight` header, then one kept row per line (0-based row index, its weight on |r_i|^p)."""
    return io.csv_text({"index": np.asarray(indices, dtype=np.int64), "weight": np.asarray(weights, dtype=np.float64)})


def generate(n: int, d: int, *, heavy_tail: bool = False, outliers: float = 0.01, seed: int = 0) -> dict:
    """A regression design where uniform row sampling fails, with its true coefficients.

    - bulk rows: standard Gaussian, times a Lomax(1.5) + 1 row scale with `heavy_tail` (a few rows
      with norms thousands of times the median, which pin x for p > 1);
    - rare columns: the last max(1, d // 10) columns (none when d = 1) are zero except on a handful of
      planted rows (10 per column when n allows) of amplitude n / 10: leverage ~0.1 each, and with the
      l_1 mass of the whole bulk, so a sample that misses them leaves those coefficients undetermined;
    - b = A x_true + Laplace noise, a fraction `outliers` of it scaled by 50 (gross outliers);
    - x_true entries uniform in +-[1, 2]; rows in random order.
    Returns {A, b, x_true, planted (row indices), rare_columns}."""
    rng = np.random.default_rng(seed)
    rare = 0 if d == 1 else max(1, d // 10)
    per_column = 0 if rare == 0 else min(10, max(1, n // (20 * rare)))
    planted = min(n - 1, rare * per_column) if rare else 0
    x_true = rng.uniform(1.0, 2.0, d) * rng.choice([-1.0, 1.0], d)
    A = np.zeros((n, d))
    bulk = n - planted
    scale = (rng.pareto(1.5, bulk) + 1.0) if heavy_tail else np.ones(bulk)
    A[:bulk, : d - rare] = rng.standard_normal((bulk, d - rare)) * scale[:, None]
    for t in range(planted):
        A[bulk + t, d - rare + t % rare] = n / 10
    noise = rng.laplace(size=n)
    bad = rng.random(n) < outliers
    noise[bad] *= 50.0
    b = A @ x_true + noise
    order = rng.permutation(n)
    inverse = np.empty(n, np.int64)
    inverse[order] = np.arange(n)
    return {"A": A[order], "b": b[order], "x_true": x_true, "planted": np.sort(inverse[bulk:]),
            "rare_columns": list(range(d - rare, d))}
