"""SOR problem files: one system (A as Matrix Market or scipy .npz, b as .npy/.mtx/CSV), a sequence
in one .npz (shared pattern), or a folder of A_*/b_* files; solutions; and the generators of the
paper's two instance families (a shifted 2D Laplacian, and Crank-Nicolson heat with time-varying
diffusion).

`load` validates everything up front and raises `InputError` naming the file and the instance/row,
so the solver only ever sees clean canonical arrays.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optsuite.problems import io
from optsuite.solvers.errors import InputError
from optsuite.solvers.sor.systems import SystemProblem, SystemSequence

MATRIX_SUFFIXES = (".mtx", ".npz")
RHS_SUFFIXES = (".npy", ".mtx") + tuple(sorted(io.CSV_SUFFIXES))
SEQUENCE_KEYS = ("indptr", "indices", "data", "b")


@dataclass
class SorInput:
    """Validated systems, whether they came as a single system (so the result carries x), and the
    files read."""

    seq: SystemSequence
    single: bool
    files: list


def load(path, *, rhs=None, context=None) -> SorInput:
    """Read INPUT: a folder of A_*/b_* files (natural name order; optional context.csv or context.npy),
    a sequence .npz (indptr, indices, data[T, nnz], b[T, n], optional context[T], context_range[2]), or
    one matrix (.mtx, scipy .npz) with `rhs`. `context` (a file) overrides the contexts found."""
    p = Path(path)
    if str(path) == "-":
        raise InputError(path, "SOR reads matrices from files (.mtx, .npz or a folder), not from stdin")
    if not p.exists():
        raise InputError(path, "no such file or folder")
    if p.is_dir():
        if rhs is not None:
            raise InputError(rhs, "--rhs is for a single matrix; a folder holds its own b_* files")
        result = _load_folder(p)
    else:
        arrays = io.read_npz(path) if p.suffix.lower() == ".npz" else None
        if arrays is not None and "format" not in arrays:
            if rhs is not None:
                raise InputError(rhs, "--rhs is for a single matrix; a sequence .npz holds its own b")
            result = _load_sequence(p, arrays)
        else:
            if rhs is None:
                raise InputError(path, "a single matrix needs its right-hand side: add --rhs FILE (.npy, .mtx "
                                 "or one value per line)")
            A = _read_matrix(p, arrays)
            b = read_rhs(rhs)
            seq = _validated(lambda: SystemSequence.from_matrices([(A, b)], names=[p.name]), p, rhs_path=rhs)
            result = SorInput(seq, True, [p, Path(rhs)])
    if context is not None:
        values = io.read_vector(context, what="context values (one per instance)")
        if values.shape[0] != result.seq.T:
            raise InputError(context, f"{values.shape[0]} context values for {result.seq.T} instances; give "
                             "one per instance, in order")
        result.seq.context = values
        result.files.append(Path(context))
    return result


def _validated(build, path, *, rhs_path=None, files=None):
    """Run a SystemSequence constructor and turn its complaint into an InputError at the right file:
    the right-hand side file, the instance's own files (a folder), or the one .npz (naming the
    instance)."""
    try:
        return build()
    except SystemProblem as e:
        where, parts = path, []
        if files is not None and e.instance is not None:
            where = files[e.instance][1 if e.part == "rhs" else 0]
        elif rhs_path is not None:
            where = rhs_path if e.part == "rhs" else path
        else:
            if e.instance is not None:
                parts.append(f"instance {e.instance}")
            if e.part != "matrix":
                parts.append({"rhs": "b", "context": "context"}[e.part])
        if e.row is not None:
            parts.append(f"{'entry' if e.part == 'rhs' else 'row'} {e.row}")
        raise InputError(where, e.detail, field=", ".join(parts) or None) from None


def _read_matrix(path: Path, arrays=None):
    """A square sparse matrix from Matrix Market or a scipy.sparse.save_npz file."""
    import scipy.sparse as sp

    suffix = path.suffix.lower()
    if suffix == ".mtx":
        A = io.read_matrix_market(path)
    elif suffix == ".npz":
        try:
            A = sp.load_npz(path)
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as e:
            raise InputError(path, f"not a scipy sparse .npz (scipy.sparse.save_npz) file ({e})") from None
    else:
        raise InputError(path, f"unknown matrix file type '{suffix or '(none)'}'; expected .mtx (Matrix Market), "
                         ".npz (scipy.sparse.save_npz, or a sequence), or a folder of A_*/b_* files")
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise InputError(path, f"the matrix is {' x '.join(map(str, A.shape))}; SOR needs a square matrix")
    if np.iscomplexobj(A):
        raise InputError(path, "complex matrices are not supported; expected real values")
    return sp.csr_matrix(A)


def read_rhs(path) -> np.ndarray:
    """A right-hand side vector: .npy (1-D or n x 1), Matrix Market (n x 1), or one number per line."""
    p = Path(path)
    if io.suffix_of(path) == ".mtx":
        b = io.read_matrix_market(path)
        b = np.asarray(b.toarray() if hasattr(b, "toarray") else b)
        if b.ndim != 2 or 1 not in b.shape:
            raise InputError(path, f"expected a vector (n x 1), found a {b.shape[0]} x {b.shape[1]} matrix")
        b = b.reshape(-1)
        if not np.isfinite(b).all():
            i = int(np.flatnonzero(~np.isfinite(b))[0])
            raise InputError(path, f"entry is {b[i]}; the right-hand side must be finite", field=f"row {i}")
        io.check_scale(b, path, "right-hand side values")
        return b.astype(np.float64)
    if p.suffix.lower() not in RHS_SUFFIXES:
        raise InputError(path, f"unknown right-hand side file type '{p.suffix or '(none)'}'; expected "
                         ".npy, .mtx, or CSV with one value per line")
    return io.read_vector(path, what="right-hand side values")


def _load_sequence(path: Path, arrays: dict) -> SorInput:
    missing = [k for k in SEQUENCE_KEYS if k not in arrays]
    if missing:
        raise InputError(path, f"a sequence .npz needs arrays {', '.join(SEQUENCE_KEYS)} (and optionally context, "
                         f"context_range); missing {', '.join(missing)}; found {', '.join(sorted(arrays)) or 'none'}. "
                         "A single matrix saved by scipy.sparse.save_npz also works, with --rhs")
    for key in ("data", "b", "context", "context_range"):
        if key in arrays and arrays[key].dtype.kind not in "biuf":
            raise InputError(path, f"array has dtype {arrays[key].dtype}; expected real numbers", field=key)
    indptr = arrays["indptr"]
    n = int(indptr.shape[0]) - 1 if indptr.ndim == 1 else -1
    crange = None
    if "context_range" in arrays:
        crange = np.asarray(arrays["context_range"], dtype=np.float64).reshape(-1)
        if crange.shape[0] != 2 or not crange[1] > crange[0]:
            raise InputError(path, f"context_range must be two numbers a < b, found {crange.tolist()}",
                             field="context_range")
        crange = (float(crange[0]), float(crange[1]))
    seq = _validated(lambda: SystemSequence.shared(max(n, 0), indptr, arrays["indices"], arrays["data"],
                                                   arrays["b"], context=arrays.get("context"),
                                                   context_range=crange), path)
    return SorInput(seq, False, [path])


def _natural_key(text: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _load_folder(folder: Path) -> SorInput:
    matrices, rhs = {}, {}
    for f in folder.iterdir():
        if f.name.startswith("A_") and f.suffix.lower() in MATRIX_SUFFIXES:
            matrices[f.name[2:-len(f.suffix)]] = f
        elif f.name.startswith("b_") and f.suffix.lower() in RHS_SUFFIXES:
            rhs[f.name[2:-len(f.suffix)]] = f
    if not matrices:
        raise InputError(folder, "no A_* matrix files (.mtx or .npz) in this folder; name them A_0001.mtx, "
                         "A_0002.mtx, ... with right-hand sides b_0001.npy, b_0002.npy, ...")
    for key, f in sorted(matrices.items()):
        if key not in rhs:
            raise InputError(f, f"no matching right-hand side b_{key}.* (.npy, .mtx or CSV) in the folder")
    for key, f in sorted(rhs.items()):
        if key not in matrices:
            raise InputError(f, f"no matching matrix A_{key}.mtx or A_{key}.npz in the folder")
    keys = sorted(matrices, key=_natural_key)
    systems = [(_read_matrix(matrices[k]), read_rhs(rhs[k])) for k in keys]
    names = [matrices[k].name for k in keys]
    files = [(matrices[k], rhs[k]) for k in keys]
    seq = _validated(lambda: SystemSequence.from_matrices(systems, names=names), folder, files=files)
    for name in ("context.csv", "context.npy"):
        if (folder / name).exists():
            values = io.read_vector(folder / name, what="context values (one per instance)")
            if values.shape[0] != seq.T:
                raise InputError(folder / name, f"{values.shape[0]} context values for {seq.T} instances; give "
                                 "one per A_* file, in name order")
            seq.context = values
            break
    return SorInput(seq, False, [folder])


# ------------------------------------------------------------------------------------------ solutions

def solution_arrays(result: dict, solutions, table=None) -> dict:
    """The arrays of an --out .npz: x (n, or T x n), the per-instance columns and the oracle's table
    (costs[T, K] at the grid omegas, gauss_seidel[T], omega_star[T], omega_star_costs[T])."""
    arrays = {}
    sizes = {x.shape[0] for x in solutions}
    if len(solutions) == 1:
        arrays["x"] = solutions[0]
    elif len(sizes) == 1:
        arrays["x"] = np.vstack(solutions)
    else:
        for t, x in enumerate(solutions):
            arrays[f"x_{t:06d}"] = x
    cols = result.get("instances") or {}
    for key in ("omega", "iterations", "cost", "residual"):
        if key in cols:
            arrays[key] = np.asarray(cols[key])
    if "status" in cols:
        arrays["status"] = np.asarray(cols["status"], dtype="U9")
    for key, value in (table or {}).items():
        if value is not None:
            arrays[f"oracle_{key}"] = np.asarray(value)
    return arrays


def solution_matrix(solutions, path):
    """The solutions as one .npy array: x for one system, T x n for a sequence of equal sizes."""
    if len(solutions) == 1:
        return solutions[0]
    if len({x.shape[0] for x in solutions}) != 1:
        raise InputError(path, "the systems have different sizes, so their solutions do not fit one .npy "
                         "array; use --out solutions.npz")
    return np.vstack(solutions)


def load_solution(path, T: int, sizes: list[int]):
    """Solutions written by `optsuite solve sor --out` (.npy, .npz, or the .json result of one system):
    (list of T vectors, metadata dict or {})."""
    p = Path(path)
    suffix = p.suffix.lower()
    meta = {}
    if suffix == ".json":
        res = io.read_json(path)
        if not isinstance(res, dict) or res.get("x") is None:
            raise InputError(path, "expected the JSON result of `optsuite solve sor` on one system (with 'x'); "
                             "for a sequence, check the --out .npz or .npy file")
        meta = res
        X = [np.asarray(res["x"], dtype=np.float64)]
    elif suffix == ".npy":
        X = io.read_npy(path)
        X = [X] if X.ndim == 1 else list(X) if X.ndim == 2 else None
        if X is None:
            raise InputError(path, "expected a vector x or a T x n array of solutions")
    elif suffix == ".npz":
        arrays = io.read_npz(path)
        if "meta" in arrays:
            try:
                meta = json.loads(str(arrays["meta"]))
            except json.JSONDecodeError:
                raise InputError(path, "the 'meta' array is not valid JSON", field="meta") from None
        if "x" in arrays:
            X = arrays["x"]
            X = [X] if X.ndim == 1 else list(X)
        else:
            keys = sorted(k for k in arrays if k.startswith("x_"))
            if not keys:
                raise InputError(path, f"no solutions: expected an array 'x' (or x_000000, ...); found "
                                 f"{', '.join(sorted(arrays))}")
            X = [arrays[k] for k in keys]
    else:
        raise InputError(path, f"unknown solution file type '{suffix or '(none)'}'; expected .npy, .npz or .json")
    if len(X) != T:
        raise InputError(path, f"{len(X)} solutions for {T} systems; give one per system, in order")
    for t, (x, n) in enumerate(zip(X, sizes)):
        if x.dtype.kind not in "biuf" or x.shape != (n,):
            raise InputError(path, f"solution {t} has shape {x.shape} and dtype {x.dtype}; expected {n} real numbers",
                             field=f"instance {t}")
    return [np.asarray(x, dtype=np.float64) for x in X], meta


# ----------------------------------------------------------------------------------------- generators

def laplacian_2d(m: int):
    """The 5-point Laplacian of an m x m interior grid (diagonal 4, neighbours -1; MATLAB's
    delsq(numgrid('S', m + 2))), natural ordering, CSR with sorted indices."""
    import scipy.sparse as sp

    T1 = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m), dtype=np.float64)
    I = sp.identity(m, dtype=np.float64)
    A = (sp.kron(I, T1) + sp.kron(T1, I)).tocsr()
    A.eliminate_zeros()  # kron of banded matrices stores explicit zeros
    A.sort_indices()
    return A


#: the paper's shift distributions: c = -0.15 + 0.6 Beta(a, b); ChebCB's context interval
SHIFT_BETA = {"high": (0.5, 1.5), "low": (2.0, 6.0)}
SHIFT_CONTEXT_RANGE = (-0.15, 0.65)


def truncated_normal(rng, n: int) -> np.ndarray:
    """A standard normal vector conditioned on ||b|| <= sqrt(n) (rejection sampling, as the paper)."""
    while True:
        b = rng.standard_normal(n)
        if b @ b <= n:
            return b


def shifted_laplacian(T: int = 5000, m: int = 10, variance: str = "high", seed: int = 0) -> dict:
    """The paper's i.i.d. sequence: A_t = Laplacian(m x m) + c_t I, c_t = -0.15 + 0.6 Beta(a, b) with
    (a, b) = (0.5, 1.5) ('high' variance) or (2, 6) ('low'), b_t radially truncated Gaussian; context
    c_t. Returns the arrays of a sequence .npz."""
    a, b_ = SHIFT_BETA[variance]
    rng = np.random.default_rng(seed)
    A = laplacian_2d(m)
    n = A.shape[0]
    shifts = -0.15 + 0.6 * rng.beta(a, b_, size=T)
    diag = A.indices == np.repeat(np.arange(n), np.diff(A.indptr))
    data = np.repeat(A.data[None, :], T, axis=0)
    data[:, diag] += shifts[:, None]
    rhs = np.vstack([truncated_normal(rng, n) for _ in range(T)])
    return {"indptr": A.indptr.astype(np.int64), "indices": A.indices.astype(np.int32), "data": data, "b": rhs,
            "context": shifts, "context_range": np.array(SHIFT_CONTEXT_RANGE)}


def diffusion(t):
    """The paper's time-varying diffusion coefficient: max(0.1 sin 2 pi t, -10 sin 2 pi t), in [0, 10]."""
    s = np.sin(2.0 * np.pi * np.asarray(t, dtype=np.float64))
    return np.maximum(0.1 * s, -10.0 * s)


def bump(points, centre, radius):
    """exp(1 - 1 / (1 - min(1, |x - c|^2 / r^2))): 1 at the centre, 0 from distance r on."""
    q = np.minimum(1.0, ((points - np.asarray(centre)) ** 2).sum(axis=1) / radius ** 2)
    with np.errstate(divide="ignore"):
        return np.exp(1.0 - 1.0 / (1.0 - q))


def heat(n: int = 1024, steps: int = 1000, dt: float = 1e-3) -> dict:
    """Crank-Nicolson steps of u_t = kappa(t) Lap u + f on the unit square with zero boundary values,
    as in the paper: an (nx-1) x (nx-1) interior grid (n = (nx-1)^2 unknowns, h = 1/nx),
    A_k = I - (dt/2) kappa(t_k + dt/2) Lap_h, b_k = (I + (dt/2) kappa Lap_h) u_k + dt f(t_k + dt/2), f a bump
    of radius 1/8 (height 32) circling the centre, u_0 a bump of radius 1/4 at the centre. Each u_k is
    the exact solution of the previous system (a fast sine-transform solve), so the sequence does not
    depend on any iterative solver. Context: kappa(t_k + dt/2). n must be a perfect square."""
    from scipy.fft import dstn

    m = int(round(np.sqrt(n)))
    if m * m != n or m < 1:
        raise ValueError(f"n = {n} is not a perfect square")
    h = 1.0 / (m + 1)
    L = laplacian_2d(m)  # -h^2 Lap_h
    grid = (np.arange(1, m + 1) * h)
    points = np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1).reshape(-1, 2)
    s = np.sin(np.pi * np.arange(1, m + 1) / (2 * (m + 1))) ** 2
    eig = 4.0 * (s[:, None] + s[None, :]) / h ** 2  # eigenvalues of -Lap_h
    u = bump(points, (0.5, 0.5), 0.25)
    data = np.empty((steps, L.nnz))
    rhs = np.empty((steps, n))
    kappas = np.empty(steps)
    identity = (L.indices == np.repeat(np.arange(n), np.diff(L.indptr))).astype(np.float64)
    for k in range(steps):
        half = (k + 0.5) * dt
        beta = 0.5 * dt * float(diffusion(half)) / h ** 2
        kappas[k] = diffusion(half)
        centre = (0.5 + np.cos(16 * np.pi * half) / 4, 0.5 + np.sin(16 * np.pi * half) / 4)
        data[k] = identity + beta * L.data
        rhs[k] = u - beta * (L @ u) + dt * 32.0 * bump(points, centre, 0.125)
        spectrum = 1.0 + 0.5 * dt * kappas[k] * eig
        u = dstn(dstn(rhs[k].reshape(m, m), type=1, norm="ortho") / spectrum, type=1, norm="ortho").reshape(-1)
    lo, hi = float(kappas.min()), float(kappas.max())
    return {"indptr": L.indptr.astype(np.int64), "indices": L.indices.astype(np.int32), "data": data, "b": rhs,
            "context": kappas, "context_range": np.array([lo, hi] if hi > lo else [lo - 0.5, hi + 0.5])}


def check_generate_memory(T: int, n: int) -> None:
    """Refuse a sequence whose arrays (about T x 6n float64 for a 5-point stencil) would take more than
    half the available memory."""
    from optsuite.solvers.errors import ResourceError
    from optsuite.solvers.environment import available_memory

    need = T * 6 * n * 8
    available = available_memory()
    if available is not None and need > 0.5 * available:
        raise ResourceError(f"{T} systems with n = {n} take about {need / 2**30:.1f} GiB but only "
                            f"{available / 2**30:.1f} GiB of memory is available; use fewer --instances (heat: a "
                            "larger --dt covers the same time)")


def write_sequence(path, arrays: dict) -> None:
    """A sequence as one .npz, or as a folder (a path without .npz) of A_00001.mtx, b_00001.npy, ...
    plus context.csv; every file is written atomically."""
    import scipy.io
    import scipy.sparse as sp

    p = Path(path)
    if p.suffix.lower() == ".npz":
        io.write_npz(p, **arrays)
        return
    if p.suffix:
        raise InputError(path, f"unknown output type '{p.suffix}'; --out takes a .npz file or a folder path")
    if p.exists() and not p.is_dir():
        raise InputError(path, "exists and is not a folder")
    if p.is_dir() and any(p.glob("A_*")):
        raise InputError(path, "already holds A_* files; choose an empty or new folder")
    p.mkdir(parents=True, exist_ok=True)
    n = arrays["indptr"].shape[0] - 1
    width = max(5, len(str(arrays["data"].shape[0])))
    for t, (values, b) in enumerate(zip(arrays["data"], arrays["b"])):
        A = sp.csr_matrix((values, arrays["indices"], arrays["indptr"]), shape=(n, n))
        with io.atomic_write(p / f"A_{t + 1:0{width}d}.mtx", "wb") as f:
            scipy.io.mmwrite(f, A, precision=17)
        io.write_npy(p / f"b_{t + 1:0{width}d}.npy", b)
    io.write_text(io.csv_text({"context": arrays["context"]}), p / "context.csv")
