"""Shared readers and writers: CSV (with or without header, `-` for stdin), .npy, .npz, Matrix Market,
JSON and JSON lines; atomic output writes.

Readers raise `InputError` naming the file, the line (CSV) or the row/column (binary formats) and what is
wrong. Writers write to a temporary file in the target folder and rename it into place, so a reader
never sees half a file and an interrupted run leaves the old file intact.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from optsuite.solvers.errors import InputError

CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".dat"}


def display(path) -> str:
    return "<stdin>" if str(path) == "-" else str(path)


def suffix_of(path) -> str:
    """Lower-case extension ('.csv' for stdin, which is always read as CSV)."""
    return ".csv" if str(path) == "-" else Path(path).suffix.lower()


# ----------------------------------------------------------------------------------------- text input

def read_text(path) -> str:
    """The whole text of a file, or of stdin for '-'."""
    if str(path) == "-":
        return sys.stdin.read()
    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    if p.is_dir():
        raise InputError(path, "is a folder, expected a file")
    try:
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(path, f"not a text file (byte {e.start} is not UTF-8); expected CSV text") from None
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror}") from None


def _is_number(field: str) -> bool:
    try:
        float(field.strip().strip('"'))
        return True
    except ValueError:
        return False


def _sniff_delimiter(line: str) -> str | None:
    for delim in (",", "\t", ";"):
        if delim in line:
            return delim
    return None  # whitespace


def _split(line: str, delim: str | None) -> list[str]:
    return [f.strip().strip('"') for f in (line.split(delim) if delim else line.split())]


def _data_lines(text: str):
    """Yield (line_number, line) for lines that are neither blank nor '#' comments, lazily (a large file
    is not split into a list of lines)."""
    for number, line in enumerate(io.StringIO(text), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, line.rstrip("\r\n")


class Table:
    """A numeric table read from a file: `values` (2-D float array), column `names` (or None), and the
    line number of each data row (CSV only) so later checks can point at the right line."""

    def __init__(self, values, names, path, row_lines=None):
        self.values = values
        self.names = names
        self.path = path
        self._row_lines = row_lines

    def where(self, row: int) -> dict:
        """Keyword arguments for InputError locating data row `row` (0-based)."""
        if self._row_lines is not None:
            return {"line": self._row_lines(row)}
        return {"field": f"row {row}"}


def read_csv_table(path, *, header: bool | None = None, dtype=np.float64, what: str = "values") -> Table:
    """Read a numeric CSV (comma, tab, semicolon or whitespace separated; '#' comments; blank lines
    skipped). `header=None` detects a header: a first line with a non-numeric field."""
    text = read_text(path)
    lines = _data_lines(text)
    first = next(lines, None)
    if first is None:
        raise InputError(path, f"no data: the file is empty; expected rows of {what}")
    delim = _sniff_delimiter(first[1])
    first_fields = _split(first[1], delim)
    has_header = header if header is not None else not all(_is_number(f) for f in first_fields)
    names = first_fields if has_header else None
    if has_header and header is None and any(_is_number(f) for f in first_fields) and len(first_fields) > 1:
        # A mix of numbers and words in the first line is more likely bad data than a header.
        bad = next(f for f in first_fields if not _is_number(f))
        raise InputError(path, f"'{bad}' is not a number (the rest of the line is numeric, so this is "
                         "not a header)", line=first[0])
    body_start = first[0] if has_header else first[0] - 1
    offset = 0
    for _ in range(body_start):  # skip the header and the comments before it, without a line list
        offset = text.index("\n", offset) + 1
    body = text[offset:]
    if has_header and next(lines, None) is None:
        raise InputError(path, f"no data rows after the header; expected rows of {what}")
    try:
        values = np.loadtxt(io.StringIO(body), delimiter=delim, comments="#", ndmin=2,
                            dtype=np.float64, quotechar='"')
    except ValueError:
        _raise_csv_problem(path, text, delim, has_header, names, what)
        raise  # _raise_csv_problem always raises; this keeps linters quiet
    if values.size == 0 or values.shape[0] == 0:
        raise InputError(path, f"no data rows after the header; expected rows of {what}")
    if names is not None and len(names) != values.shape[1]:
        raise InputError(path, f"the header has {len(names)} fields but the rows have {values.shape[1]}",
                         line=first[0])

    def row_lines(row: int) -> int:
        numbers = [n for n, _ in _data_lines(text)]
        return numbers[row + (1 if has_header else 0)]

    return Table(values.astype(dtype, copy=False), names, path, row_lines)


def _raise_csv_problem(path, text, delim, has_header, names, what):
    """Slow path after the fast parser failed: find the first bad line and field and raise."""
    expected = len(names) if names else None
    expected_line = None
    lines = _data_lines(text)
    if has_header:
        next(lines)
    for number, line in lines:
        fields = _split(line, delim)
        if expected is None:
            expected, expected_line = len(fields), number
        elif len(fields) != expected:
            source = f"line {expected_line}" if expected_line else "the header"
            raise InputError(path, f"{len(fields)} fields, expected {expected} as on {source}", line=number)
        for col, field in enumerate(fields):
            if not _is_number(field):
                label = f"column {col + 1}" + (f" ('{names[col]}')" if names and col < len(names) else "")
                shown = field if field else "(empty)"
                raise InputError(path, f"'{shown}' is not a number; expected numeric {what}", line=number,
                                 field=label)
    raise InputError(path, f"could not be parsed as numeric CSV {what}")


def read_table(path, *, header: bool | None = None, dtype=np.float64, what: str = "values",
               npz_keys: tuple[str, ...] = ()) -> Table:
    """Read a 2-D numeric table from CSV ('-' = stdin), .npy, .npz (first of `npz_keys` present, or the only
    array) or Matrix Market. Rejects non-numeric dtypes; a 1-D array becomes one column."""
    suffix = suffix_of(path)
    if suffix in CSV_SUFFIXES:
        return read_csv_table(path, header=header, dtype=dtype, what=what)
    if suffix == ".npy":
        arr = read_npy(path)
    elif suffix == ".npz":
        arr = pick_npz(read_npz(path), path, npz_keys)
    elif suffix == ".mtx":
        arr = read_matrix_market(path)
        if hasattr(arr, "toarray"):
            arr = arr.toarray()
    else:
        raise InputError(path, f"unknown file type '{suffix or '(none)'}'; expected .csv, .tsv, .txt, .npy, "
                         ".npz or .mtx (or - for CSV on stdin)")
    arr = numeric_array(arr, path)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InputError(path, f"expected a 2-D array of {what}, found {arr.ndim} dimensions {arr.shape}")
    if arr.shape[0] == 0:
        raise InputError(path, f"no data: the array has 0 rows; expected rows of {what}")
    return Table(arr.astype(dtype, copy=False), None, path)


def numeric_array(arr, path) -> np.ndarray:
    if arr.dtype.kind == "b":
        return arr.astype(np.uint8)
    if arr.dtype.kind not in "iuf":
        raise InputError(path, f"array has dtype {arr.dtype}; expected real numbers (integer or float)")
    return arr


#: the largest magnitude an input value may have: every solver squares or multiplies values (distances,
#: Gram matrices, residual norms), and beyond this their squares summed over rows overflow float64 to
#: inf, which would come out as a null objective with status 'converged'
MAX_MAGNITUDE = 1e150


def within_range(values: np.ndarray) -> np.ndarray:
    """True where a value is finite and at most MAX_MAGNITUDE in magnitude."""
    with np.errstate(invalid="ignore"):
        return np.abs(values) <= MAX_MAGNITUDE


def out_of_range(value: float, what: str, missing: str = "remove or impute missing values") -> str:
    """Why `within_range` refused `value`: NaN or infinite (with the hint `missing`), or too large."""
    if math.isfinite(value):
        return (f"value {value:g} is too large: {what} must be at most {MAX_MAGNITUDE:g} in magnitude, or their "
                "squares overflow (rescale the data)")
    return f"value is {'NaN' if math.isnan(value) else 'infinite'}; {what} must be finite ({missing})"


#: data whose largest magnitude is below this are refused: squares and products of such values underflow
#: (a distance of 1e-200 squared is 0), so results would be silently wrong
MIN_SCALE = 1e-150


def check_scale(values: np.ndarray, path, what: str = "values") -> None:
    """Raise an InputError when values are not all zero but every one is below MIN_SCALE in magnitude."""
    if values.size == 0:
        return
    largest = float(np.max(np.abs(values)))
    if 0.0 < largest < MIN_SCALE:
        raise InputError(path, f"the largest of the {what} is {largest:g}: when every nonzero value is below "
                         f"{MIN_SCALE:g} in magnitude, their squares and products underflow to 0 (rescale the data)")


def check_finite(table: Table, what: str = "values") -> None:
    """Raise an InputError at the first entry of a table outside `within_range`, or when the whole table
    is below MIN_SCALE (`check_scale`)."""
    values = table.values
    if values.dtype.kind != "f":
        return
    ok = within_range(values)
    if ok.all():
        check_scale(values, table.path, what)
        return
    row, col = map(int, np.argwhere(~ok)[0])
    label = f"column {col + 1}" + (f" ('{table.names[col]}')" if table.names else "")
    where = table.where(row)
    where["field"] = f"{where['field']}, {label}" if "field" in where else label
    raise InputError(table.path, out_of_range(values[row, col], what), **where)


def read_vector(path, *, dtype=np.float64, what: str = "values", header: bool | None = None) -> np.ndarray:
    """Read one column of numbers: CSV with one value per line (optional header), or a 1-D .npy
    (or n x 1). Raises on several columns."""
    table = read_table(path, header=header, dtype=np.float64, what=what)
    if table.values.shape[1] != 1:
        raise InputError(path, f"expected one column of {what}, found {table.values.shape[1]} columns")
    check_finite(table, what)
    col = table.values[:, 0]
    if np.dtype(dtype).kind in "iu":
        if not np.all(col == np.round(col)):
            row = int(np.flatnonzero(col != np.round(col))[0])
            raise InputError(path, f"'{col[row]}' is not an integer; expected integer {what}", **table.where(row))
    return col.astype(dtype)


# -------------------------------------------------------------------------------------- binary input

def _check_magic(path, magic: bytes, what: str) -> None:
    """A file that does not start as `what` does gets that said, not numpy's guess (a CSV handed to
    np.load is taken for a pickle)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(magic))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}") from None
    if head != magic:
        raise InputError(path, f"not {what}: its first bytes are not that format's signature")


def read_npy(path) -> np.ndarray:
    if str(path) == "-":
        raise InputError(path, "stdin is read as CSV; save .npy input to a file")
    _check_magic(path, b"\x93NUMPY", "a .npy array file")
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (ValueError, OSError, EOFError) as e:
        raise InputError(path, f"not a readable .npy file ({e})") from None


def read_npz(path) -> dict:
    """All arrays of an .npz file, loaded eagerly."""
    _check_magic(path, b"PK", "an .npz archive of numpy arrays")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise InputError(path, f"not a readable .npz file ({e})") from None


def pick_npz(arrays: dict, path, keys: tuple[str, ...]) -> np.ndarray:
    for key in keys:
        if key in arrays:
            return arrays[key]
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    wanted = " or ".join(f"'{k}'" for k in keys) if keys else "a single array"
    raise InputError(path, f"expected an array named {wanted}; the file holds {sorted(arrays)}")


def read_matrix_market(path):
    """A Matrix Market file as a scipy sparse matrix (coordinate) or numpy array (array format)."""
    if not Path(path).exists():
        raise InputError(path, "no such file")
    import scipy.io

    try:
        return scipy.io.mmread(path)
    except (ValueError, OSError, IndexError, TypeError) as e:
        raise InputError(path, f"not a valid Matrix Market file ({e})") from None


def read_json(path) -> dict:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(path, f"invalid JSON: {e.msg}", line=e.lineno, field=f"column {e.colno}") from None


def read_jsonl(path) -> list[dict]:
    """JSON lines: one object per non-blank line."""
    out = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise InputError(path, f"invalid JSON: {e.msg}", line=number, field=f"column {e.colno}") from None
    return out


# --------------------------------------------------------------------------------------------- output

@contextmanager
def atomic_write(path, mode: str = "w"):
    """Open a temporary file next to `path` for writing; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(path, f"cannot write: folder '{folder}' does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise InputError(path, f"cannot write: {e.strerror}") from None
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": ""} if "b" not in mode else {})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def dumps_json(obj, indent: int = 2) -> str:
    """JSON with nested objects indented but lists of numbers kept on one line (labels stay compact)."""

    def scalar_list(x):
        return isinstance(x, list) and all(not isinstance(v, (list, dict)) for v in x)

    def enc(x, level):
        pad, inner = " " * (indent * level), " " * (indent * (level + 1))
        if isinstance(x, dict):
            if not x:
                return "{}"
            items = [f"{inner}{json.dumps(str(k))}: {enc(v, level + 1)}" for k, v in x.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(x, list) and x and not scalar_list(x):
            return "[\n" + ",\n".join(inner + enc(v, level + 1) for v in x) + "\n" + pad + "]"
        return json.dumps(x, allow_nan=False, separators=(", ", ": "))

    return enc(obj, 0) + "\n"


def write_text(text: str, path) -> None:
    """Write text to `path` atomically, or to stdout for '-'."""
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with atomic_write(path) as f:
        f.write(text)


def write_json(obj, path) -> None:
    write_text(dumps_json(obj), path)


def csv_text(columns: dict) -> str:
    """CSV text from named 1-D columns of equal length (header = the names)."""
    names = list(columns)
    cols = [np.asarray(columns[n]) for n in names]
    lines = [",".join(names)]
    for row in zip(*[c.tolist() for c in cols]):
        lines.append(",".join(repr(v) if isinstance(v, float) else str(v) for v in row))
    return "\n".join(lines) + "\n"


def write_npz(path, **arrays) -> None:
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


def write_npy(path, array) -> None:
    with atomic_write(path, "wb") as f:
        np.save(f, array)
