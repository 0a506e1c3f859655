"""Submodular maximisation problem files: features, similarity matrices, coverage sets (JSON lines),
item weights, update streams (`+ ID` / `- ID` lines), solutions and traces; generators of points and
of update streams.

`load` validates completely and raises `InputError` naming the file, the line (CSV, JSON lines,
streams) or the entry, and what is wrong, so the solvers only ever see clean arrays.
"""

from __future__ import annotations

import json
import math
import zipfile

import numpy as np

from optsuite.problems import io
from optsuite.solvers.errors import InputError

OBJECTIVES = ("facility-location", "feature-based", "coverage")
STREAM_KINDS = ("random", "largest-first", "window")


class SubmodularProblem:
    """Validated input. Exactly one of `features` (n x d float64), `similarity` (n x m non-negative,
    dense array or scipy CSR; row j = candidate j) or `sets` (one int64 array of item indices per
    candidate, with `n_items` and optional `item_weights`). `ids` are the external element ids (row
    numbers, or the coverage sets' "id" fields)."""

    def __init__(self, path, objective, *, features=None, similarity=None, sets=None, n_items=0,
                 item_weights=None, ids=None, item_names=None):
        self.path = path
        self.objective = objective
        self.features = features
        self.similarity = similarity
        self.sets = sets
        self.n_items = n_items
        self.item_weights = item_weights
        self.item_names = item_names
        self.n = (features if features is not None else similarity).shape[0] if sets is None else len(sets)
        self.ids = np.arange(self.n, dtype=np.int64) if ids is None else ids

    def index_of(self) -> dict:
        """External id -> 0-based element index."""
        return {int(v): i for i, v in enumerate(self.ids.tolist())}


def load(path, *, objective: str = "facility-location", precomputed: bool = False, header: bool | None = None,
         item_weights=None) -> SubmodularProblem:
    """Read INPUT for `objective`: facility location takes features (CSV, .npy, .npz array X) or, with
    `precomputed`, a similarity (CSV or .npy dense; .npz dense array S or a scipy sparse matrix; .mtx);
    feature-based takes non-negative features (dense, or sparse .npz/.mtx); coverage takes JSON lines
    {"id": 3, "items": [...]} and optional item weights."""
    if objective == "coverage":
        return _load_sets(path, item_weights)
    if item_weights is not None:
        raise InputError(item_weights, "--item-weights is only for --objective coverage")
    if objective == "facility-location" and precomputed:
        S, where = _load_matrix(path, header, "similarities", ("S", "similarity", "sim"))
        _check_entries(path, S, where, "similarities must be >= 0 for a monotone facility location (shift "
                       "them, e.g. s - min(s), or use a kernel such as rbf)")
        return SubmodularProblem(path, objective, similarity=S)
    values, where = _load_matrix(path, header, "features", ("X", "features", "data"))
    if objective == "feature-based":
        _check_entries(path, values, where, "feature-based needs non-negative features (shift or clip them, "
                       "e.g. x - min(x))")
        return SubmodularProblem(path, objective, features=values)
    if hasattr(values, "toarray"):
        values = values.toarray()
    return SubmodularProblem(path, objective, features=values)


def _load_matrix(path, header, what, keys):
    """(matrix, where): a dense float64 array or a scipy CSR matrix (sparse .npz or .mtx), finite, and a
    function giving the InputError location of entry (row, column): CSV line and column, else the entry."""
    suffix = io.suffix_of(path)
    if suffix == ".mtx":
        M = io.read_matrix_market(path)
        M = M.tocsr() if hasattr(M, "tocsr") else np.asarray(M, dtype=np.float64)
    elif suffix == ".npz" and _is_sparse_npz(path):
        import scipy.sparse as sp

        try:
            M = sp.load_npz(path).tocsr()
        except (ValueError, OSError, zipfile.BadZipFile) as e:
            raise InputError(path, f"not a readable sparse .npz matrix ({e})") from None
    else:
        table = io.read_table(path, header=header, what=what, npz_keys=keys)
        io.check_finite(table, what)

        def line_and_column(r, c):
            return {"line": table.where(r)["line"], "field": f"column {c + 1}"}
        return np.ascontiguousarray(table.values), line_and_column if suffix in io.CSV_SUFFIXES else _entry
    sparse = hasattr(M, "tocsr")
    if sparse:
        M = M.astype(np.float64)
    bad = ~np.isfinite(M.data if sparse else M)
    if bad.any():
        r, c = _csr_entry(M, int(np.flatnonzero(bad)[0])) if sparse else map(int, np.argwhere(bad)[0])
        raise InputError(path, f"value is {M[r, c]}; {what} must be finite", **_entry(r, c))
    if M.shape[0] == 0 or M.shape[1] == 0:
        raise InputError(path, f"no data: the matrix has shape {M.shape}")
    return M, _entry


def _is_sparse_npz(path) -> bool:
    arrays = io.read_npz(path)
    return {"indptr", "indices", "data", "shape"} <= set(arrays)


def _csr_entry(M, p):
    row = int(np.searchsorted(M.indptr, p, side="right") - 1)
    return row, int(M.indices[p])


def _entry(r, c) -> dict:
    return {"field": f"entry (row {r}, column {c}), 0-based"}


def _check_entries(path, M, where, hint):
    values = M.data if hasattr(M, "tocsr") else M
    neg = values < 0
    if neg.any():
        if hasattr(M, "tocsr"):
            r, c = _csr_entry(M, int(np.flatnonzero(neg)[0]))
        else:
            r, c = map(int, np.argwhere(neg)[0])
        raise InputError(path, f"value {float(M[r, c]):g} is negative; {hint}", **where(r, c))


# ------------------------------------------------------------------------------------- coverage

def _load_sets(path, weights_path) -> SubmodularProblem:
    text = io.read_text(path)
    ids, sets, first_line = [], [], {}
    items = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(path, f"invalid JSON: {e.msg}", line=number, field=f"column {e.colno}") from None
        if not isinstance(obj, dict) or "id" not in obj or "items" not in obj:
            raise InputError(path, 'expected an object like {"id": 3, "items": [1, 5, 8]}', line=number)
        sid = obj["id"]
        if isinstance(sid, bool) or not isinstance(sid, int) or sid < 0:
            raise InputError(path, f"id {json.dumps(sid)} is not a non-negative integer", line=number, field="id")
        if sid in first_line:
            raise InputError(path, f"duplicate id {sid} (first on line {first_line[sid]}); ids must be unique",
                             line=number, field="id")
        first_line[sid] = number
        if not isinstance(obj["items"], list):
            raise InputError(path, "items must be a list of item names or numbers", line=number, field="items")
        row = []
        for item in obj["items"]:
            if isinstance(item, bool) or not isinstance(item, (int, str)):
                raise InputError(path, f"item {json.dumps(item)} is not a number or a string", line=number,
                                 field="items")
            row.append(items.setdefault(str(item), len(items)))
        ids.append(sid)
        sets.append(np.unique(np.asarray(row, dtype=np.int64)))
    if not sets:
        raise InputError(path, 'no sets: expected JSON lines like {"id": 3, "items": [1, 5, 8]}')
    names = list(items)
    w = _load_item_weights(weights_path, items) if weights_path is not None else None
    return SubmodularProblem(path, "coverage", sets=sets, n_items=len(items), item_weights=w,
                             ids=np.asarray(ids, dtype=np.int64), item_names=names)


def _load_item_weights(path, items: dict) -> np.ndarray:
    """CSV lines `item,weight` (an optional header line); every item of the sets needs a weight."""
    w = np.full(len(items), np.nan)
    seen = {}
    for position, (number, line) in enumerate(_lines(io.read_text(path))):
        fields = [f.strip().strip('"') for f in line.split(",")]
        if len(fields) != 2:
            raise InputError(path, f"{len(fields)} fields; expected 'item,weight'", line=number)
        try:
            value = float(fields[1])
        except ValueError:
            if position == 0:
                continue  # a header line
            raise InputError(path, f"'{fields[1]}' is not a number; expected 'item,weight'", line=number,
                             field="weight") from None
        if not math.isfinite(value) or value < 0:
            raise InputError(path, f"weight {fields[1]} must be finite and >= 0", line=number, field="weight")
        if fields[0] in seen:
            raise InputError(path, f"item '{fields[0]}' has a weight already (line {seen[fields[0]]})", line=number)
        seen[fields[0]] = number
        if fields[0] in items:
            w[items[fields[0]]] = value
    missing = [name for name, i in items.items() if np.isnan(w[i])]
    if missing:
        raise InputError(path, f"item '{missing[0]}' appears in the sets but has no weight here "
                         f"({len(missing)} items missing)")
    return w


# --------------------------------------------------------------------------------------- streams

def _lines(text):
    """(line number, text without its '#' comment) for every line that is not blank or a comment."""
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].strip()
        if body:
            yield number, body


def load_stream(path, problem: SubmodularProblem):
    """Read `+ ID` / `- ID` lines ('#' comments, blank lines skipped) naming elements of `problem`;
    returns (sign int64 +1/-1, element index int64, line numbers). Rejects unknown ids, inserting a
    live element and deleting one that is not live, naming the line."""
    index = problem.index_of()
    live = np.zeros(problem.n, dtype=np.bool_)
    sign, idx, lines = [], [], []
    for number, line in _lines(io.read_text(path)):
        parts = line.split()
        if len(parts) != 2 or parts[0] not in ("+", "-"):
            raise InputError(path, f"expected '+ ID' or '- ID', found '{line.strip()}'", line=number)
        try:
            ext = int(parts[1])
        except ValueError:
            raise InputError(path, f"'{parts[1]}' is not an integer id", line=number) from None
        if ext not in index:
            raise InputError(path, f"unknown id {ext}: {_id_range(problem)}", line=number)
        x = index[ext]
        insert = parts[0] == "+"
        if insert and live[x]:
            raise InputError(path, f"cannot insert id {ext}: it is already live", line=number)
        if not insert and not live[x]:
            raise InputError(path, f"cannot delete id {ext}: it is not live", line=number)
        live[x] = insert
        sign.append(1 if insert else -1)
        idx.append(x)
        lines.append(number)
    if not sign:
        raise InputError(path, "no updates: expected lines '+ ID' or '- ID'")
    return np.asarray(sign, dtype=np.int64), np.asarray(idx, dtype=np.int64), np.asarray(lines, dtype=np.int64)


def _id_range(problem) -> str:
    if problem.sets is None:
        return f"ids are the 0-based rows 0..{problem.n - 1} of {io.display(problem.path)}"
    return f"ids are the \"id\" fields of {io.display(problem.path)}"


def stream_text(sign, ids, comment: str = "") -> str:
    head = f"# {comment}\n" if comment else ""
    return head + "".join(f"{'+' if s > 0 else '-'} {int(x)}\n" for s, x in zip(sign, ids))


def generate_stream(kind: str, n: int, seed: int = 0, delete_frac: float = 0.3, singletons=None):
    """Updates over elements 0..n-1: (sign, ids). random / largest-first: insert half the elements in a
    random order, then the other half interleaved (at random positions) with delete_frac * n deletions
    of a uniformly random live element (random) or of the live element with the largest singleton
    value (largest-first; needs `singletons`). window: insert all in a random order; once
    (1 - delete_frac) * n are live, every insert is followed by the deletion of the oldest live one."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    deletes = int(round(delete_frac * n))
    sign, ids = [], []
    if kind == "window":
        size = n - deletes
        for t, x in enumerate(order):
            sign.append(1)
            ids.append(int(x))
            if t >= size:
                sign.append(-1)
                ids.append(int(order[t - size]))
        return np.asarray(sign, dtype=np.int64), np.asarray(ids, dtype=np.int64)
    half = n // 2
    live = [int(x) for x in order[:half]]
    sign += [1] * half
    ids += live.copy()
    later = [int(x) for x in order[half:]]
    steps = np.array([1] * len(later) + [-1] * deletes)
    rng.shuffle(steps)
    if kind == "largest-first":
        import heapq

        alive = np.zeros(n, dtype=np.bool_)
        alive[live] = True
        heap = [(-float(singletons[x]), x) for x in live]
        heapq.heapify(heap)
    for s in steps:
        if s > 0:
            x = later.pop(0)
            live.append(x)
            if kind == "largest-first":
                alive[x] = True
                heapq.heappush(heap, (-float(singletons[x]), x))
        elif kind == "random":
            x = live.pop(int(rng.integers(len(live))))
        else:
            while True:
                _, x = heapq.heappop(heap)
                if alive[x]:
                    break
            alive[x] = False
        sign.append(int(s))
        ids.append(x)
    return np.asarray(sign, dtype=np.int64), np.asarray(ids, dtype=np.int64)


def generate_points(n: int, d: int, centers: int = 10, seed: int = 0, spread: float = 1.0) -> np.ndarray:
    """Gaussian blobs (centres uniform in [0, 20]^d) folded to non-negative coordinates by absolute
    value, so the same file serves facility location and feature-based objectives."""
    rng = np.random.default_rng(seed)
    C = rng.uniform(0.0, 20.0, size=(centers, d))
    labels = rng.integers(0, centers, size=n)
    return np.abs(C[labels] + spread * rng.standard_normal((n, d)))


# ------------------------------------------------------------------------------ solutions, traces

def load_solution(path) -> dict:
    """A solution JSON written by `optsuite solve submodular` (needs `selected`)."""
    sol = io.read_json(path)
    if not isinstance(sol, dict) or "selected" not in sol:
        raise InputError(path, "not a submodular solution: expected a JSON object with 'selected' (as written "
                         "by `optsuite solve submodular --out FILE.json`)")
    sel = sol["selected"]
    if not isinstance(sel, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in sel):
        raise InputError(path, "'selected' must be a list of integer ids", field="selected")
    return sol


def selection_csv(ids, gains) -> str:
    """`rank,id,gain` per selected element, in pick order."""
    return io.csv_text({"rank": np.arange(1, len(ids) + 1), "id": np.asarray(ids, dtype=np.int64),
                        "gain": np.asarray(gains, dtype=np.float64)})


def trace_lines(sign, ext_ids, calls, values, sizes, checkpoints) -> str:
    """One JSON object per update: t (1-based), op, id, value, size, calls; plus greedy_value, ratio
    and recompute_calls at the baseline checkpoints."""
    at = {c["update"]: c for c in checkpoints}
    out = []
    for t in range(len(sign)):
        rec = {"t": t + 1, "op": "+" if sign[t] > 0 else "-", "id": int(ext_ids[t]), "value": float(values[t]),
               "size": int(sizes[t]), "calls": int(calls[t])}
        c = at.get(t + 1)
        if c is not None:
            rec.update(greedy_value=c["greedy_value"], ratio=c["ratio"], recompute_calls=c["recompute_calls"])
        out.append(json.dumps(rec))
    return "\n".join(out) + "\n"
