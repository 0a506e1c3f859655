"""Finite-sum monotone inclusion problem files (.npz with a JSON `meta` header), solution files, and
generators of synthetic instances: the paper's policeman-and-burglar game, Gaussian finite-sum games,
quadratic saddles, least squares and affine operators (the last three with a known solution).

File layout: an .npz whose 0-d string array `meta` holds JSON
    {"format": "optsuite-halpern/1", "family": "matrix-game" | "quadratic" | "least-squares" | "affine",
     "split": "components" | "rows" | "columns"          (matrix-game; default components)
     "x_set": SET, "y_set": SET (quadratic; games: simplex), "x_set" (least-squares), "z_set" (affine),
     "name": "..." (optional)}
with SET one of "free", "simplex", {"type": "box", "lo": -1, "hi": 1}, {"type": "ball", "radius": 1},
{"type": "simplex", "radius": 1}, and the family's arrays beside it:
    matrix-game    A (n, m, q) components, or A (m, q) split by rows or columns
    quadratic      Q (n, dx, dx), B (n, dx, dy), R (n, dy, dy), optional cx (n, dx), cy (n, dy)
    least-squares  A (n, d), b (n,)
    affine         M (n, d, d), optional q (n, d)
"""

from __future__ import annotations

import json
import math

import numpy as np

from optsuite.problems import io
from optsuite.solvers.errors import InputError, ParameterError

FORMAT = "optsuite-halpern/1"
ARRAYS = {"matrix-game": (("A",), ()), "quadratic": (("Q", "B", "R"), ("cx", "cy")),
          "least-squares": (("A", "b"), ()), "affine": (("M",), ("q",))}
SETS = {"matrix-game": ("x_set", "y_set"), "quadratic": ("x_set", "y_set"), "least-squares": ("x_set",),
        "affine": ("z_set",)}
GAMES = ("gaussian", "policeman")
CONSTRAINTS = ("box", "free")


def load(path):
    """Read and validate a problem file; returns a `MonotoneProblem` named after the file's meta."""
    from optsuite.solvers import halpern

    if str(path) == "-":
        raise InputError(path, "problems are .npz files; stdin is not supported")
    if io.suffix_of(path) != ".npz":
        raise InputError(path, f"a halpern problem is an .npz file (written by `optsuite generate halpern` or "
                         f"problems.halpern.write); got '{io.suffix_of(path) or 'no extension'}'")
    arrays = io.read_npz(path)
    meta = _meta(path, arrays.pop("meta", None))
    _check_scale(path, arrays, halpern.problem.SCALE)
    family = meta["family"]
    required, optional = ARRAYS[family]
    for key in required:
        if key not in arrays:
            raise InputError(path, f"a {family} problem needs the array '{key}'; the file holds "
                             f"{sorted(arrays) or 'none'}", field=key)
    unknown = sorted(set(arrays) - set(required) - set(optional))
    if unknown:
        raise InputError(path, f"unexpected array(s) {', '.join(unknown)} for a {family} problem (it takes "
                         f"{', '.join(required + optional)})", field=unknown[0])
    allowed = {"format", "family", "name", *SETS[family]} | ({"split"} if family == "matrix-game" else set())
    extra = sorted(set(meta) - allowed)
    if extra:
        raise InputError(path, f"unknown key(s) {', '.join(extra)} in meta for a {family} problem "
                         f"(allowed: {', '.join(sorted(allowed))})", field="meta")
    try:
        if family == "matrix-game":
            for key in ("x_set", "y_set"):
                spec = meta.get(key, "simplex")
                kind = spec.get("type") if isinstance(spec, dict) else spec
                if kind != "simplex" or (isinstance(spec, dict) and spec.get("radius", 1) != 1):
                    raise ParameterError(key, f"a matrix game plays mixed strategies: {key} must be the "
                                         f"probability simplex, got {spec!r}")
            problem = halpern.matrix_game(arrays["A"], meta.get("split", "components"))
        elif family == "quadratic":
            problem = halpern.quadratic(arrays["Q"], arrays["B"], arrays["R"], arrays.get("cx"), arrays.get("cy"),
                                        meta.get("x_set", "free"), meta.get("y_set", "free"))
        elif family == "least-squares":
            problem = halpern.least_squares(arrays["A"], arrays["b"], meta.get("x_set", "free"))
        else:
            problem = halpern.affine(arrays["M"], arrays.get("q"), meta.get("z_set", "free"))
    except ParameterError as e:
        in_meta = e.name.endswith("_set") or e.name == "split"
        raise InputError(path, e.detail, field=f"meta.{e.name}" if in_meta else e.name) from None
    problem.name = meta.get("name", "")
    return problem


def _check_scale(path, arrays, scale) -> None:
    """Every array's entries are 0 or within [1/scale, scale] in magnitude (see solvers.halpern.problem.SCALE)."""
    for key, arr in arrays.items():
        arr = np.asarray(arr)
        if arr.dtype.kind not in "fiu" or arr.size == 0:
            continue
        with np.errstate(invalid="ignore"):
            largest = float(np.nanmax(np.abs(arr)))
        if not math.isfinite(largest):
            continue  # NaN/inf: refused with its position by the family's own checks
        if largest > scale or 0.0 < largest < 1.0 / scale:
            raise InputError(path, f"the largest |entry| of '{key}' is {largest:g}; entries must be 0 or between "
                             f"{1 / scale:g} and {scale:g} in magnitude (the step sizes use fourth powers of "
                             "them, which overflow or underflow beyond): rescale the problem", field=key)


def _meta(path, raw) -> dict:
    if raw is None:
        raise InputError(path, "no 'meta' array: a problem file needs a JSON header naming its family "
                         "(see `optsuite solve halpern --help`)", field="meta")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as e:
        raise InputError(path, f"'meta' is not valid JSON ({e.msg})", field="meta") from None
    if not isinstance(meta, dict):
        raise InputError(path, "'meta' must be a JSON object", field="meta")
    if meta.get("format", FORMAT) != FORMAT:
        raise InputError(path, f"unsupported format {meta['format']!r}; this version reads {FORMAT}",
                         field="meta.format")
    family = meta.get("family")
    if family not in ARRAYS:
        raise InputError(path, f"family must be one of {', '.join(ARRAYS)}, got {family!r}", field="meta.family")
    return meta


def write(path, family: str, arrays: dict, **meta) -> None:
    """Write a problem file (atomically)."""
    header = {"format": FORMAT, "family": family, **{k: v for k, v in meta.items() if v is not None}}
    io.write_npz(path, meta=np.array(json.dumps(header)), **arrays)


def load_solution(path, problem):
    """(z, the solution's other fields) from a solution written by `optsuite solve halpern`: JSON, whose
    `solution` object holds one array per block (x and y, x, or z), or .npz with those arrays beside
    a JSON `meta`; checked against the problem's dimensions."""
    if io.suffix_of(path) == ".npz":
        arrays = io.read_npz(path)
        try:
            sol = json.loads(str(arrays.pop("meta", "{}")))
        except json.JSONDecodeError as e:
            raise InputError(path, f"'meta' is not valid JSON ({e.msg})", field="meta") from None
        sol["solution"] = {k: v for k, v in arrays.items() if k in problem.names}
    else:
        sol = io.read_json(path)
    if not isinstance(sol, dict) or not isinstance(sol.get("solution"), dict):
        raise InputError(path, "not a halpern solution: expected a JSON object with 'solution' (as written by "
                         "`optsuite solve halpern --out FILE.json`)", field="solution")
    parts = []
    for block in problem.blocks:
        values = sol["solution"].get(block.name)
        if values is None:
            raise InputError(path, f"'solution' has no '{block.name}' (the problem's blocks are "
                             f"{', '.join(problem.names)})", field=f"solution.{block.name}")
        try:
            arr = np.asarray(values, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise InputError(path, "must be a list of numbers", field=f"solution.{block.name}") from None
        if arr.shape[0] != block.size:
            raise InputError(path, f"has {arr.shape[0]} entries, the problem needs {block.size}",
                             field=f"solution.{block.name}")
        if not np.isfinite(arr).all():
            raise InputError(path, "contains a non-finite value", field=f"solution.{block.name}")
        parts.append(arr)
    return np.concatenate(parts), sol


# ---------------------------------------------------------------------------------------- generators

def generate(family: str, *, components: int, dim: int, seed: int = 0, game: str = "gaussian",
             split: str | None = None, constraint: str = "box"):
    """A synthetic instance: (arrays, meta, truth) with truth the exact solution as {block: array} when it is
    known by construction (quadratic, least-squares, affine), else None (games: use an LP).

    matrix-game, game='gaussian': `components` Gaussian matrices of size dim x dim around a common mean,
    scaled so that ||Abar|| = 1 (split components), or one such matrix split by rows or columns.
    game='policeman': the paper's policeman-and-burglar matrix of size dim (A_ij = w_j (1 - exp(-0.8|i-j|)),
    w = |N(0, 1)|, as in the authors' code, transposed to this file's min_x max_y x^T A y), split by rows
    (dim components). quadratic: dim x dim blocks, rank-one PSD Q_i and R_i plus 1e-3 I, Gaussian
    couplings B_i; least-squares: components rows of dimension dim; affine: rank-one PSD plus skew
    Gaussian M_i of size dim. Constraint 'box' is [-1, 1]^d, 'free' none."""
    rng = np.random.default_rng(seed)
    if family == "matrix-game":
        return _game(rng, game, components, dim, split)
    if constraint not in CONSTRAINTS:
        raise ParameterError("constraint", f"must be one of {', '.join(CONSTRAINTS)}; got {constraint!r}")
    set_spec = {"type": "box", "lo": -1.0, "hi": 1.0} if constraint == "box" else "free"
    if family == "quadratic":
        return _quadratic(rng, components, dim, constraint, set_spec)
    if family == "least-squares":
        return _least_squares(rng, components, dim, constraint, set_spec)
    if family == "affine":
        return _affine(rng, components, dim, constraint, set_spec)
    raise ParameterError("family", f"must be one of {', '.join(ARRAYS)}; got {family!r}")


def _game(rng, game, n, dim, split):
    if game == "policeman":
        split = split or "rows"
        if split == "components":
            raise ParameterError("split", "the policeman game is one matrix: split it by rows or columns")
        i = np.arange(dim)
        w = np.abs(rng.standard_normal(dim))
        A = (w * (1 - np.exp(-0.8 * np.abs(i[:, None] - i[None, :])))).T
        name = f"policeman-burglar-{dim}"
    elif game == "gaussian":
        split = split or "components"
        G0 = rng.standard_normal((dim, dim))
        scale = np.linalg.norm(G0, 2)
        if split == "components":
            E = rng.standard_normal((n, dim, dim))
            A = (G0 + E - E.mean(axis=0)) / scale
        else:
            A = G0 / scale
        name = f"gaussian-game-{dim}x{dim}" + (f"-n{n}" if split == "components" else "")
    else:
        raise ParameterError("game", f"must be one of {', '.join(GAMES)}; got {game!r}")
    if split not in ("components", "rows", "columns"):
        raise ParameterError("split", f"must be components, rows or columns; got {split!r}")
    meta = {"split": split, "x_set": "simplex", "y_set": "simplex", "name": name}
    return {"A": A}, meta, None


def _truth(rng, d, constraint):
    """A solution z* (inside [-1, 1], a fifth of it on the bounds under 'box') and a normal vector
    g in N_C(z*), so that choosing the constant term with F(z*) = -g makes z* a solution."""
    z = np.clip(0.5 * rng.standard_normal(d), -0.9, 0.9)
    g = np.zeros(d)
    if constraint == "box":
        on = rng.random(d) < 0.2
        side = np.where(rng.random(d) < 0.5, -1.0, 1.0)
        z[on] = side[on]
        g[on] = side[on] * rng.exponential(0.5, on.sum())
    return z, g


def _quadratic(rng, n, dim, constraint, set_spec):
    U, V = rng.standard_normal((n, dim)), rng.standard_normal((n, dim))
    Q = np.einsum("ni,nj->nij", U, U) / dim + 1e-3 * np.eye(dim)
    R = np.einsum("ni,nj->nij", V, V) / dim + 1e-3 * np.eye(dim)
    G0 = rng.standard_normal((dim, dim))
    E = rng.standard_normal((n, dim, dim))
    B = (G0 + E - E.mean(axis=0)) / np.sqrt(dim)
    J = np.block([[Q.mean(0), B.mean(0)], [-B.mean(0).T, R.mean(0)]])
    s = np.linalg.norm(J, 2)
    Q, B, R, J = Q / s, B / s, R / s, J / s
    z, g = _truth(rng, 2 * dim, constraint)
    c = -(J @ z) - g
    noise = rng.standard_normal((n, 2 * dim)) * 0.1
    c_i = c + noise - noise.mean(axis=0)
    meta = {"x_set": set_spec, "y_set": set_spec, "name": f"quadratic-saddle-{dim}+{dim}-n{n}-{constraint}"}
    return ({"Q": Q, "B": B, "R": R, "cx": c_i[:, :dim], "cy": c_i[:, dim:]}, meta,
            {"x": z[:dim], "y": z[dim:]})


def _least_squares(rng, n, dim, constraint, set_spec):
    A = rng.standard_normal((n, dim))
    A /= np.sqrt(np.linalg.norm(A.T @ A / n, 2))  # L_F = 1
    z, g = _truth(rng, dim, constraint)
    if np.linalg.matrix_rank(A) < dim:  # fewer rows than unknowns: an interior solution, F(z) = 0
        z, g = np.clip(z, -0.9, 0.9), np.zeros(dim)
    # F(z) = A^T (A z - b) / n = -g: b = A z + r with A^T r = n g
    b = A @ z + n * A @ np.linalg.solve(A.T @ A, g) if g.any() else A @ z
    meta = {"x_set": set_spec, "name": f"least-squares-{n}x{dim}-{constraint}"}
    return {"A": A, "b": b}, meta, {"x": z}


def _affine(rng, n, dim, constraint, set_spec):
    U = rng.standard_normal((n, dim))
    K = rng.standard_normal((n, dim, dim))
    M = np.einsum("ni,nj->nij", U, U) / dim + (K - K.transpose(0, 2, 1)) / (2 * np.sqrt(dim)) + 1e-3 * np.eye(dim)
    s = np.linalg.norm(M.mean(0), 2)
    M /= s
    z, g = _truth(rng, dim, constraint)
    q = -(M.mean(0) @ z) - g
    noise = rng.standard_normal((n, dim)) * 0.1
    meta = {"z_set": set_spec, "name": f"affine-{dim}-n{n}-{constraint}"}
    return {"M": M, "q": q + noise - noise.mean(axis=0)}, meta, {"z": z}
