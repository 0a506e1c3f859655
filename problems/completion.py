"""Matrix-completion problem files: observed entries as triplet CSV, Matrix Market coordinate or .npz;
query files for predictions; factor files (U, V, meta); and a generator of incoherent low-rank
matrices with known truth.

Files list the *observed* entries only. A 0 or a NaN is never read as "missing": 0 is an observed
value and NaN is an error. `load` validates completely (indices integral and in range, values
finite, duplicates by policy) and raises `InputError` naming the file, the line (CSV, Matrix Market)
or array element (.npz), so the solver only ever sees clean arrays.
"""

from __future__ import annotations

import json
import math
import re
import sys
import warnings
from io import StringIO
from pathlib import Path

import numpy as np

from optsuite.problems import io
from optsuite.solvers.errors import InputError, ParameterError

FORMATS = ("csv", "mtx", "npz")
DUPLICATES = ("error", "mean", "last")

#: accepted header names of the three triplet columns (case-insensitive)
ROW_NAMES = ("row", "i", "user")
COL_NAMES = ("col", "j", "item")
VALUE_NAMES = ("value", "v", "rating")

_SHAPE_COMMENT = re.compile(r"^#\s*shape\s*[:=]?\s*(\d+)\s*[,x ]\s*(\d+)\s*$", re.I)


class CompletionProblem:
    """Validated observed entries: `rows`, `cols` (int64, 0-based), `values` (float64), `shape` (m, n);
    `merged` = how many duplicate entries the --duplicates policy folded away."""

    def __init__(self, path, rows, cols, values, shape, file_format, merged=0, notes=()):
        self.path = path
        self.rows = rows
        self.cols = cols
        self.values = values
        self.shape = shape
        self.format = file_format
        self.merged = merged
        self.notes = list(notes)

    @property
    def nnz(self) -> int:
        return int(self.values.shape[0])


def format_of(path) -> str:
    suffix = io.suffix_of(path)
    if suffix in io.CSV_SUFFIXES:
        return "csv"
    if suffix == ".mtx":
        return "mtx"
    if suffix == ".npz":
        return "npz"
    raise InputError(path, f"unknown file type '{suffix or '(none)'}'; expected triplet CSV (.csv, .tsv, .txt; "
                     "- for stdin), Matrix Market coordinate (.mtx) or .npz with row, col, value, shape")


# ------------------------------------------------------------------------------------------ reading

def load(path, *, shape=None, one_based: bool = False, duplicates: str = "error") -> CompletionProblem:
    """Read and validate observed entries from triplet CSV ('-' = stdin), .mtx or .npz.

    shape: (m, n) overriding the file's (CSV `# shape: M N` comment, .mtx size line, .npz `shape`),
    else the largest index + 1. one_based: CSV indices start at 1 (Matrix Market always does, .npz never).
    duplicates: error (default), mean (average repeated entries) or last (keep the last in file order).
    """
    if duplicates not in DUPLICATES:
        raise ParameterError("duplicates", f"must be one of {', '.join(DUPLICATES)}; got {duplicates!r}")
    fmt = format_of(path)
    if fmt == "csv":
        t = _read_csv(path, need_value=True)
        base = 1 if one_based else 0
    elif fmt == "mtx":
        t = _read_mtx(path)
        base = 1
    else:
        t = _read_npz(path)
        base = 0
    rows, cols = _indices(t, base)
    _check_finite_values(t)
    m, n = _shape(t, rows, cols, shape, base)
    rows, cols, values, merged = _deduplicate(t, rows, cols, t.values, n, duplicates)
    notes = []
    if merged:
        notes.append(f"{merged} repeated entries folded into their first listing (--duplicates {duplicates})")
    if fmt == "csv" and base == 0 and rows.min() > 0 and cols.min() > 0:
        notes.append("no row or column index is 0, so row 0 and column 0 are unobserved; if the file is 1-based, "
                     "pass --one-based")
    return CompletionProblem(path, rows, cols, values, (m, n), fmt, merged, notes)


def file_sha256(path) -> str | None:
    """SHA-256 of a file's bytes (None for stdin): ties a factors file to the data it was fitted on."""
    if str(path) == "-":
        return None
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_query(path, shape, *, one_based: bool = False):
    """(rows, cols) of the entries to predict: CSV with columns row,col (aliases i,j and user,item; a
    value column is ignored), .mtx or .npz (row, col); indices checked against the factors' shape."""
    fmt = format_of(path)
    if fmt == "csv":
        t = _read_csv(path, need_value=False)
        base = 1 if one_based else 0
    elif fmt == "mtx":
        t = _read_mtx(path, need_value=False)
        base = 1
    else:
        t = _read_npz(path, need_value=False)
        base = 0
    rows, cols = _indices(t, base)
    for name, idx, size, dim in (("row", rows, shape[0], "rows"), ("col", cols, shape[1], "columns")):
        bad = np.flatnonzero(idx >= size)
        if bad.size:
            e = int(bad[0])
            raise InputError(path, f"{name} index {idx[e] + base} is out of range: the factors have {size} {dim} "
                             f"(indices {base} to {size - 1 + base})", **t.where(e, name))
    return rows, cols


class _Triplets:
    """Raw columns of a triplet file before validation, and how to point at entry e of them."""

    def __init__(self, path, row, col, values, file_shape=None, locate=None, fields=("row", "col", "value")):
        self.path = path
        self.row = row
        self.col = col
        self.values = values
        self.file_shape = file_shape
        self._locate = locate
        self.fields = dict(zip(("row", "col", "value"), fields))

    def where(self, e: int, column: str | None = None) -> dict:
        """InputError keywords for entry e (0-based, file order) and, optionally, its column."""
        where = dict(self._locate(e))
        if column is not None:
            label = self.fields[column].replace("{e}", str(e))
            where["field"] = f"{where['field']}, {label}" if "field" in where else label
        elif not where:
            where["field"] = f"entry {e}"
        return where


def _read_csv(path, need_value: bool) -> _Triplets:
    """Triplet CSV: optional leading '# shape: M N' comment, optional header naming the columns,
    comma/tab/semicolon/whitespace separated. Parsed straight from the file (no copy of its text);
    the shared reader's slow path locates a malformed line."""
    what = "triplets row,col,value" if need_value else "row,col pairs"
    stdin_text = io.read_text(path) if str(path) == "-" else None
    if stdin_text is None:
        _check_readable(path)
    with (StringIO(stdin_text) if stdin_text is not None else open(path, encoding="utf-8-sig")) as f:
        file_shape, header, first_line, delim, line_no = _csv_preamble(f, path, what)
        names = [h.lower() for h in header] if header is not None else None
        usecols = _csv_columns(path, names, first_line, delim, need_value, line_no)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "input contained no data": reported below
                data = np.loadtxt(f, delimiter=delim, comments="#", ndmin=2, dtype=np.float64, quotechar='"')
        except ValueError:
            data = None
    if data is not None and first_line is not None:  # no header: the first data line was read to sniff the layout
        first = np.loadtxt([first_line], delimiter=delim, ndmin=2, dtype=np.float64, quotechar='"')
        if data.size and data.shape[1] != first.shape[1]:
            data = None
        else:
            data = np.vstack([first, data]) if data.size else first
    if data is None:  # the shared reader's slow path finds the bad line and field and raises
        text = stdin_text if stdin_text is not None else io.read_text(path)
        io._raise_csv_problem(path, text, delim, header is not None, header, what)
    if data.size == 0:
        raise InputError(path, f"no data rows; expected {what}")
    width = len(header) if header is not None else len(_fields(first_line, delim))
    if data.shape[1] != width:
        raise InputError(path, f"the header has {width} fields but the rows have {data.shape[1]}", line=line_no)
    body_line = line_no + (1 if header is not None else 0)

    def locate(e):
        # lines are only counted again on this error path (blank lines and comments may sit in between)
        text = stdin_text if stdin_text is not None else io.read_text(path)
        count = -1
        for number, line in enumerate(text.splitlines(), start=1):
            if number < body_line:
                continue
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                count += 1
                if count == e:
                    return {"line": number}
        return {"field": f"entry {e}"}

    labels = [f"column {c + 1}" + (f" ('{header[c]}')" if header is not None else "") for c in usecols]
    values = data[:, usecols[2]] if need_value else None
    return _Triplets(path, data[:, usecols[0]], data[:, usecols[1]], values, file_shape, locate,
                     tuple(labels) + (() if need_value else ("",)))


def _check_readable(path):
    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    if p.is_dir():
        raise InputError(path, "is a folder, expected a file")


def _fields(line, delim):
    return [f.strip().strip('"') for f in (line.split(delim) if delim else line.split())]


def _csv_preamble(f, path, what):
    """Read up to the first data line: (shape from a '# shape' comment, header fields or None, the first
    data line if there is no header (else None), delimiter, line number of the header/first data line)."""
    file_shape = None
    number = 0
    while True:
        try:
            line = f.readline()
        except UnicodeDecodeError as e:
            raise InputError(path, f"not a text file (byte {e.start} is not UTF-8); expected CSV {what}") from None
        if not line:
            raise InputError(path, f"no data: the file is empty; expected {what}")
        number += 1
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            match = _SHAPE_COMMENT.match(stripped)
            if match:
                file_shape = (int(match.group(1)), int(match.group(2)), number)
            continue
        delim = io._sniff_delimiter(stripped)
        fields = _fields(stripped, delim)
        numeric = [io._is_number(x) for x in fields]
        if all(numeric):
            return file_shape, None, stripped, delim, number
        if any(numeric):
            bad = fields[numeric.index(False)]
            raise InputError(path, f"'{bad}' is not a number (the rest of the line is numeric, so this is not a "
                             "header)", line=number)
        return file_shape, fields, None, delim, number


def _csv_columns(path, names, first_line, delim, need_value, line_no):
    """Positions of the row, col (and value) columns: by header name, else the first two or three."""
    wanted = [ROW_NAMES, COL_NAMES] + ([VALUE_NAMES] if need_value else [])
    if names is None:
        width = len(_fields(first_line, delim))
        if width < len(wanted):
            raise InputError(path, f"{width} column(s); expected {'row,col,value' if need_value else 'row,col'} "
                             "(0-based indices, then the value)", line=line_no)
        return list(range(len(wanted)))
    found = []
    for aliases in wanted:
        hits = [c for c, name in enumerate(names) if name in aliases]
        if not hits:
            accepted = " / ".join(",".join(s) for s in zip(ROW_NAMES, COL_NAMES, VALUE_NAMES)) if need_value \
                else " / ".join(",".join(s) for s in zip(ROW_NAMES, COL_NAMES))
            raise InputError(path, f"the header '{','.join(names)}' has no '{aliases[0]}' column; expected the "
                             f"columns {accepted} (any order, extra columns ignored)", line=line_no)
        found.append(hits[0])
    return found


def _read_mtx(path, need_value: bool = True) -> _Triplets:
    """Matrix Market coordinate, real or integer; symmetric and skew-symmetric are expanded; complex and
    dense array files are refused, and pattern files (positions, no values) unless need_value is False
    (a --predict query)."""
    if str(path) == "-":
        raise InputError(path, "stdin is read as CSV; save Matrix Market input to a file")
    _check_readable(path)
    header, size_line = _mtx_header(path)
    tokens = header.lower().split()
    if len(tokens) < 5 or tokens[0] != "%%matrixmarket" or tokens[1] != "matrix":
        raise InputError(path, "not a Matrix Market file: the first line must be '%%MatrixMarket matrix "
                         "coordinate real general'", line=1)
    layout, field, symmetry = tokens[2], tokens[3], tokens[4]
    if layout != "coordinate":
        raise InputError(path, f"Matrix Market '{layout}' format lists every entry; completion needs the "
                         "'coordinate' format listing the observed entries", line=1)
    if field == "pattern" and need_value:
        raise InputError(path, "a 'pattern' Matrix Market file has positions but no values; completion needs "
                         "observed values ('real' or 'integer')", line=1)
    if field not in ("real", "integer", "double", "pattern"):
        raise InputError(path, f"Matrix Market field '{field}' is not supported; expected 'real' or 'integer'",
                         line=1)
    if symmetry not in ("general", "symmetric", "skew-symmetric"):
        raise InputError(path, f"Matrix Market symmetry '{symmetry}' is not supported; expected general, "
                         "symmetric or skew-symmetric", line=1)
    A = io.read_matrix_market(path)
    row = A.row.astype(np.float64)
    col = A.col.astype(np.float64)
    values = np.asarray(A.data, dtype=np.float64)
    listed = int(A.nnz) if symmetry == "general" else _mtx_listed(row, col)
    data_line = size_line + 1
    mirrored = np.flatnonzero(row[:listed] != col[:listed])

    def locate(e):
        # mmread appends the mirror images of off-diagonal entries after the listed ones
        source = e if e < listed else int(mirrored[e - listed])
        return {"line": data_line + source}

    # mmread returns 0-based indices; shift back so the shared index checks see the file's 1-based ones
    return _Triplets(path, row + 1, col + 1, values, tuple(int(v) for v in A.shape) + (size_line,), locate,
                     ("row index", "column index", "value"))


def _mtx_listed(row, col) -> int:
    """How many entries the file itself lists (the rest are mirror images appended by mmread)."""
    offdiag = int(np.count_nonzero(row != col))
    diag = row.shape[0] - offdiag
    return diag + offdiag // 2


def _mtx_header(path):
    """(the %%MatrixMarket line, line number of the size line)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        header = f.readline()
        number = 1
        for line in f:
            number += 1
            if line.strip() and not line.startswith("%"):
                return header, number
    raise InputError(path, "not a Matrix Market file: no size line after the header")


def _read_npz(path, need_value: bool = True) -> _Triplets:
    """.npz with 1-D arrays `row`, `col` (integers), `value` (reals) and optionally `shape` (2 integers)."""
    if str(path) == "-":
        raise InputError(path, "stdin is read as CSV; save .npz input to a file")
    arrays = io.read_npz(path)
    keys = ("row", "col", "value") if need_value else ("row", "col")
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise InputError(path, f"missing array(s) {', '.join(repr(k) for k in missing)}; expected 1-D arrays "
                         f"row, col{', value' if need_value else ''} (and shape); the file holds {sorted(arrays)}")
    cols = {}
    for key in keys:
        a = arrays[key]
        if a.ndim != 1:
            raise InputError(path, f"must be 1-D, found shape {a.shape}", field=key)
        if a.dtype.kind not in ("iuf" if key != "value" else "iufb"):
            raise InputError(path, f"has dtype {a.dtype}; expected {'real numbers' if key == 'value' else 'integers'}",
                             field=key)
        cols[key] = a
    lengths = {cols[k].shape[0] for k in keys}
    if len(lengths) != 1:
        raise InputError(path, "row, col" + (" and value" if need_value else "") + " must have the same length; "
                         f"found {', '.join(f'{k}: {cols[k].shape[0]}' for k in keys)}")
    file_shape = None
    if "shape" in arrays:
        s = np.asarray(arrays["shape"]).reshape(-1)
        if s.shape[0] != 2 or s.dtype.kind not in "iu" or (s < 1).any():
            raise InputError(path, f"must hold two positive integers (m, n), found {s.tolist()}", field="shape")
        file_shape = (int(s[0]), int(s[1]), None)

    def locate(e):
        return {}

    value = cols["value"].astype(np.float64) if need_value else None
    return _Triplets(path, cols["row"], cols["col"], value, file_shape, locate,
                     tuple(f"{k}[{{e}}]" for k in ("row", "col", "value")))


def _indices(t: _Triplets, base: int):
    """Row and column indices as 0-based int64, checked integral and >= base."""
    out = []
    for name in ("row", "col"):
        raw = getattr(t, name)
        if raw.dtype.kind == "f":
            bad = np.flatnonzero(~np.isfinite(raw) | (raw != np.floor(raw)))
            if bad.size:
                e = int(bad[0])
                raise InputError(t.path, f"index '{raw[e]:g}' is not an integer", **_at(t, e, name))
        idx = raw.astype(np.int64) - base
        bad = np.flatnonzero(idx < 0)
        if bad.size:
            e = int(bad[0])
            hint = " (the file looks 0-based: drop --one-based)" if base == 1 and t.path and \
                format_of(t.path) == "csv" and raw[e] == 0 else ""
            raise InputError(t.path, f"index {raw[e]:g} is negative or below the first index {base}{hint}",
                             **_at(t, e, name))
        out.append(idx)
    return out


def _at(t: _Triplets, e: int, column: str) -> dict:
    return t.where(e, column)


def _check_finite_values(t: _Triplets) -> None:
    bad = np.flatnonzero(~io.within_range(t.values))
    if bad.size:
        e = int(bad[0])
        raise InputError(t.path, io.out_of_range(t.values[e], "observed values", "leave a missing entry out of the "
                                                 "file: only listed entries count as observed"), **_at(t, e, "value"))
    io.check_scale(t.values, t.path, "observed values")


def _shape(t: _Triplets, rows, cols, shape, base):
    """(m, n): --shape, else the file's own, else the largest index + 1; every index must fit."""
    source = "--shape"
    if shape is not None:
        m, n = int(shape[0]), int(shape[1])
        if m < 1 or n < 1:
            raise ParameterError("shape", f"must be two positive integers, got {m} {n}")
    elif t.file_shape is not None:
        m, n = t.file_shape[0], t.file_shape[1]
        fmt = format_of(t.path)
        source = {"csv": "the '# shape' comment", "mtx": "the size line", "npz": "the 'shape' array"}[fmt]
    else:
        return int(rows.max()) + 1, int(cols.max()) + 1
    for name, idx, size, dim in (("row", rows, m, "rows"), ("col", cols, n, "columns")):
        bad = np.flatnonzero(idx >= size)
        if bad.size:
            e = int(bad[0])
            hint = ""
            if base == 0 and format_of(t.path) == "csv" and idx[e] == size and not (idx == 0).any():
                hint = "; no index is 0, so the file may be 1-based: add --one-based"
            raise InputError(t.path, f"{name} index {idx[e] + base} is out of range: {source} says {size} {dim} "
                             f"(indices {base} to {size - 1 + base}){hint}", **_at(t, e, name))
    return m, n


def _deduplicate(t: _Triplets, rows, cols, values, n, policy):
    """Entries sorted by (row, col) with repeated positions resolved by `policy`; (rows, cols, values,
    number of entries folded away)."""
    key = rows * n + cols
    if key.shape[0] < 2 or bool(np.all(key[1:] > key[:-1])):
        return rows, cols, values, 0
    order = np.argsort(key, kind="stable")  # stable: file order within a repeated position
    key_sorted = key[order]
    first = np.ones(key.shape[0], bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    if first.all():
        return rows[order], cols[order], values[order], 0
    if policy == "error":
        repeats = order[~first]  # file positions of every later occurrence
        e = int(repeats.min())
        earlier = int(order[np.flatnonzero(key_sorted == key[e])[0]])
        where = t.where(e)
        before = t.where(earlier)
        before_text = f"line {before['line']}" if "line" in before else before.get("field", f"entry {earlier}")
        raise InputError(t.path, f"entry ({rows[e]}, {cols[e]}) (0-based) is listed again (first on "
                         f"{before_text}); choose --duplicates mean or --duplicates last, or remove it", **where)
    starts = np.flatnonzero(first)
    if policy == "mean":
        sums = np.add.reduceat(values[order], starts)
        counts = np.diff(np.append(starts, key.shape[0]))
        merged_values = sums / counts
    else:  # last: the final occurrence in file order of each position
        ends = np.append(starts[1:], key.shape[0]) - 1
        merged_values = values[order[ends]]
    keep = order[starts]
    return rows[keep], cols[keep], merged_values, int(key.shape[0] - starts.shape[0])


# ------------------------------------------------------------------------------------------ factors

def write_factors(path, U, V, meta: dict) -> None:
    """U (m x k), V (n x k) and the result as JSON in `meta`, atomically."""
    from optsuite.solvers.result import jsonable

    io.write_npz(path, U=U, V=V, meta=json.dumps(jsonable(meta)))


def load_factors(path):
    """(U, V, meta dict) from a factors .npz written by `optsuite solve completion --out F.npz`."""
    if io.suffix_of(path) != ".npz":
        raise InputError(path, "expected a factors .npz written by `optsuite solve completion --out F.npz`")
    arrays = io.read_npz(path)
    if "U" not in arrays or "V" not in arrays:
        raise InputError(path, f"not a factors file: expected arrays U and V, found {sorted(arrays)} (write one "
                         "with `optsuite solve completion DATA --rank K --out F.npz`)")
    U, V = arrays["U"], arrays["V"]
    for name, a in (("U", U), ("V", V)):
        if a.ndim != 2 or a.dtype.kind != "f":
            raise InputError(path, f"must be a 2-D float array, found {a.dtype} {a.shape}", field=name)
    if U.shape[1] != V.shape[1]:
        raise InputError(path, f"U has {U.shape[1]} columns but V has {V.shape[1]}; both must have rank k columns")
    meta = {}
    if "meta" in arrays:
        try:
            meta = json.loads(str(arrays["meta"]))
        except json.JSONDecodeError:
            raise InputError(path, "the 'meta' entry is not valid JSON", field="meta") from None
    return np.ascontiguousarray(U, np.float64), np.ascontiguousarray(V, np.float64), meta


def write_predictions(path, rows, cols, predictions, one_based: bool) -> None:
    """CSV `row,col,prediction` (indices in the input's base; values with round-trip precision)."""
    base = 1 if one_based else 0
    write_triplets_csv(path, rows + base, cols + base, predictions, header="row,col,prediction")


def write_triplets_csv(path, rows, cols, values, header="row,col,value", shape=None) -> None:
    """Triplets as CSV, written in chunks (no giant string); '-' = stdout."""
    def chunks():
        if shape is not None:
            yield f"# shape: {shape[0]} {shape[1]}\n"
        yield header + "\n"
        step = 100_000
        for s in range(0, len(values), step):
            r, c, v = rows[s:s + step].tolist(), cols[s:s + step].tolist(), values[s:s + step].tolist()
            yield "".join(f"{a},{b},{x!r}\n" for a, b, x in zip(r, c, v))

    if str(path) == "-":
        for text in chunks():
            sys.stdout.write(text)
        sys.stdout.flush()
        return
    with io.atomic_write(path) as f:
        for text in chunks():
            f.write(text)


def write_triplets(path, rows, cols, values, shape) -> None:
    """Observed entries in the format the extension names: .csv (0-based, with a '# shape' comment),
    .mtx (1-based coordinate real general) or .npz (row, col, value, shape)."""
    fmt = format_of(path)
    if fmt == "csv":
        write_triplets_csv(path, rows, cols, values, shape=shape)
    elif fmt == "npz":
        io.write_npz(path, row=rows.astype(np.int64), col=cols.astype(np.int64), value=values,
                     shape=np.asarray(shape, np.int64))
    else:
        with io.atomic_write(path) as f:
            f.write("%%MatrixMarket matrix coordinate real general\n")
            f.write(f"{shape[0]} {shape[1]} {len(values)}\n")
            step = 100_000
            for s in range(0, len(values), step):
                r, c, v = (rows[s:s + step] + 1).tolist(), (cols[s:s + step] + 1).tolist(), values[s:s + step].tolist()
                f.write("".join(f"{a} {b} {x!r}\n" for a, b, x in zip(r, c, v)))


# ---------------------------------------------------------------------------------------- generator

def observation_count(m: int, n: int, rank: int, c: float) -> int:
    """|Omega| = round(c N k ln N) with N = max(m, n) (JNS13's sample size, up to their constants)."""
    N = max(m, n)
    return int(round(c * N * rank * math.log(N)))


def incoherence(F) -> float:
    """mu of the column span of F (rows x k): max row norm of an orthonormal basis times sqrt(rows / k)."""
    Q = np.linalg.qr(F)[0]
    return float(np.sqrt((Q * Q).sum(axis=1).max() * F.shape[0] / F.shape[1]))


def generate(m: int, n: int, rank: int, c: float, *, noise: float = 0.0, kappa: float = 1.0, seed: int = 0,
             test_size: int | None = None) -> dict:
    """An incoherent rank-k matrix M* = U Vᵀ with entries of unit RMS, |Omega| = c N k ln N distinct
    entries observed uniformly at random (N = max(m, n)), and a held-out test set from the other entries
    (default min(|Omega| / 10, 200 000)). kappa = 1: Gaussian factors; kappa > 1: singular values spaced
    geometrically from 1 to 1/kappa. noise: Gaussian noise of this standard deviation (relative to the
    entry RMS) added to the observed and test values.

    Returns a dict: rows, cols, values, test_rows, test_cols, test_values, U, V, shape, mu_u, mu_v."""
    from optsuite.solvers.completion import predict

    if not (1 <= rank <= min(m, n)):
        raise ParameterError("rank", f"must be between 1 and min(m, n) = {min(m, n)}; got {rank}")
    if kappa < 1:
        raise ParameterError("kappa", f"the condition number must be >= 1; got {kappa}")
    total = m * n
    count = observation_count(m, n, rank, c)
    if count < 1:
        if max(m, n) == 1:
            raise ParameterError("m", "a 1 x 1 matrix observes C N k ln N = 0 entries (N = max(m, n) = 1, ln 1 = 0); "
                                 "use m or n >= 2")
        raise ParameterError("c", f"gives {count} observed entries; raise --c")
    # at least one test entry while unobserved entries remain (count // 10 was 0 for tiny matrices,
    # which wrote an empty test file that check and solve then refuse)
    tests = min(max(1, count // 10), 200_000, max(0, total - count)) if test_size is None else int(test_size)
    if count + tests > total:
        raise ParameterError("c", f"asks for {count} observed + {tests} test entries but the {m} x {n} matrix has "
                             f"only {total}; lower --c")
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((m, rank))
    V = rng.standard_normal((n, rank))
    if kappa > 1:
        s = np.geomspace(1.0, 1.0 / kappa, rank)
        U = np.linalg.qr(U)[0] * np.sqrt(s)
        V = np.linalg.qr(V)[0] * np.sqrt(s)
    rms = math.sqrt(float(np.sum((U.T @ U) * (V.T @ V))) / total)  # ||U Vᵀ||_F / sqrt(mn) without U Vᵀ
    U /= math.sqrt(rms)
    V /= math.sqrt(rms)
    picked = _distinct_positions(rng, total, count + tests)
    observed, test = np.sort(picked[:count]), np.sort(picked[count:])
    out = {"shape": (m, n), "U": U, "V": V, "mu_u": incoherence(U), "mu_v": incoherence(V)}
    for prefix, positions in (("", observed), ("test_", test)):
        rows, cols = positions // n, positions % n
        values = predict(U, V, rows, cols)
        if noise > 0:
            values += noise * rng.standard_normal(values.shape[0])
        out[prefix + "rows"], out[prefix + "cols"], out[prefix + "values"] = rows, cols, values
    return out


def _distinct_positions(rng, total: int, count: int) -> np.ndarray:
    """`count` distinct integers in [0, total), uniformly at random, in random order, in O(count) memory
    when count << total."""
    if count > total // 4:
        return rng.permutation(total)[:count]
    picked = np.unique(rng.integers(0, total, size=int(count * 1.1) + 16))
    while picked.shape[0] < count:
        picked = np.unique(np.concatenate([picked, rng.integers(0, total, size=count)]))
    return rng.permutation(picked)[:count]


def write_generated(prefix, data: dict, fmt: str = "csv", seed: int | None = None, params: dict | None = None):
    """PREFIX.<fmt> (observed), PREFIX.test.<fmt> (held-out), PREFIX.truth.npz (U, V of M* = U Vᵀ, mu,
    params). Returns the three paths."""
    prefix = str(prefix)
    train_path, test_path, truth_path = f"{prefix}.{fmt}", f"{prefix}.test.{fmt}", f"{prefix}.truth.npz"
    write_triplets(train_path, data["rows"], data["cols"], data["values"], data["shape"])
    write_triplets(test_path, data["test_rows"], data["test_cols"], data["test_values"], data["shape"])
    meta = {"shape": list(data["shape"]), "rank": int(data["U"].shape[1]), "mu_u": data["mu_u"],
            "mu_v": data["mu_v"], "observed": int(data["values"].shape[0]), "test": int(data["test_values"].shape[0]),
            "seed": seed, **(params or {})}
    io.write_npz(truth_path, U=data["U"], V=data["V"], meta=json.dumps(meta))
    return train_path, test_path, truth_path


def load_truth(path):
    """(U, V) of a truth file written by `optsuite generate completion` (M* = U Vᵀ)."""
    arrays = io.read_npz(path)
    if "U" not in arrays or "V" not in arrays:
        raise InputError(path, f"not a truth file: expected arrays U and V, found {sorted(arrays)}")
    return np.ascontiguousarray(arrays["U"], np.float64), np.ascontiguousarray(arrays["V"], np.float64)
