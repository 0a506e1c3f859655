"""The Result type, the error type, and the shared readers and writers."""

from __future__ import annotations

import io as stdio
import json
import os

import numpy as np
import pytest

from optsuite.problems import io
from optsuite.solvers.errors import InputError, ParameterError
from optsuite.solvers.result import STATUS, Result
from files import write as _write


def test_result_is_a_dict_with_attributes_and_json():
    r = Result(objective=np.float64(1.5), labels=np.array([0, 1]), x=float("nan"))
    r.set_status("max_iter", "after 3 passes")
    assert r.objective == r["objective"] == 1.5
    assert not r.success and "after 3 passes" in r.message
    assert r.to_json() == {"objective": 1.5, "labels": [0, 1], "x": None, "status": "max_iter",
                           "message": STATUS["max_iter"][1] + " (after 3 passes)"}
    with pytest.raises(AttributeError):
        r.missing  # noqa: B018
    with pytest.raises(ValueError):
        r.set_status("no-such-status")


def test_error_messages_name_file_line_and_field():
    e = InputError("data.csv", "'x' is not a number", line=3, field="column 2")
    assert str(e) == "data.csv, line 3, column 2: 'x' is not a number"
    assert str(InputError("-", "empty")) == "<stdin>: empty"
    assert str(ParameterError("clara_size", "too small")) == "--clara-size: too small"


@pytest.mark.parametrize("text,names", [
    ("x,y\n1,2\n3,4\n", ["x", "y"]),
    ("1,2\n3,4\n", None),
    ("# comment\n\n1\t2\n3\t4\n", None),
    ("1 2\n3   4\n", None),
    ('"a";"b"\n1;2\n3;4\n', ["a", "b"]),
])
def test_csv_with_and_without_header(tmp_path, text, names):
    t = io.read_table(_write(tmp_path, "t.csv", text))
    assert t.names == names
    np.testing.assert_array_equal(t.values, [[1, 2], [3, 4]])


def test_csv_header_can_be_forced(tmp_path):
    t = io.read_table(_write(tmp_path, "t.csv", "1,2\n3,4\n"), header=True)
    assert t.names == ["1", "2"] and t.values.shape == (1, 2)


def test_csv_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", stdio.StringIO("a,b\n5,6\n"))
    t = io.read_table("-")
    assert t.names == ["a", "b"] and t.values.tolist() == [[5.0, 6.0]]


@pytest.mark.parametrize("text,expected", [
    ("a,b\n1,2\n3,x\n", "t.csv, line 3, column 2 ('b'): 'x' is not a number"),
    ("1,2\n3\n", "t.csv, line 2: 1 fields, expected 2 as on line 1"),
    ("1,2\n3,\n", "t.csv, line 2, column 2: '(empty)' is not a number"),
    ("", "t.csv: no data: the file is empty"),
    ("a,b\n", "t.csv: no data rows after the header"),
    ("1,zz,3\n", "t.csv, line 1: 'zz' is not a number"),
])
def test_csv_errors_point_at_the_line(tmp_path, text, expected):
    with pytest.raises(InputError) as e:
        io.read_table(_write(tmp_path, "t.csv", text))
    assert expected.replace("t.csv", str(tmp_path / "t.csv")) in str(e.value)


def test_nonfinite_values_are_located(tmp_path):
    t = io.read_table(_write(tmp_path, "t.csv", "# c\na,b\n1,2\n\n3,inf\n"))
    with pytest.raises(InputError, match=r"line 5, column 2 \('b'\): value is infinite"):
        io.check_finite(t)
    t = io.read_table(_write(tmp_path, "u.csv", "1,2\n3,-2e150\n"))
    with pytest.raises(InputError, match=r"line 2, column 2: value -2e\+150 is too large: values must be at most 1e\+150"):
        io.check_finite(t)
    io.check_finite(io.read_table(_write(tmp_path, "v.csv", "1,2\n3,-1e150\n")))


def test_binary_formats(tmp_path):
    a = np.arange(6.0).reshape(3, 2)
    np.save(tmp_path / "a.npy", a)
    np.savez(tmp_path / "a.npz", X=a, other=np.ones(2))
    import scipy.io
    import scipy.sparse

    scipy.io.mmwrite(tmp_path / "a.mtx", scipy.sparse.coo_matrix(a))
    for name in ("a.npy", "a.npz", "a.mtx"):
        np.testing.assert_array_equal(io.read_table(tmp_path / name, npz_keys=("X",)).values, a)
    with pytest.raises(InputError, match="expected an array named 'D'; the file holds"):
        io.read_table(tmp_path / "a.npz", npz_keys=("D",))
    np.save(tmp_path / "c.npy", np.array([1 + 2j]))
    with pytest.raises(InputError, match="expected real numbers"):
        io.read_table(tmp_path / "c.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(InputError, match="not a .npy array file: its first bytes"):
        io.read_table(tmp_path / "junk.npy")
    (tmp_path / "cut.npy").write_bytes(b"\x93NUMPY\x01\x00")
    with pytest.raises(InputError, match="not a readable .npy"):
        io.read_table(tmp_path / "cut.npy")
    (tmp_path / "csv.npz").write_text("1,2\n3,4\n")
    with pytest.raises(InputError, match="not an .npz archive of numpy arrays"):
        io.read_table(tmp_path / "csv.npz")
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04broken")
    with pytest.raises(InputError, match="not a readable .npz"):
        io.read_table(tmp_path / "cut.npz")
    with pytest.raises(InputError, match="unknown file type '.xlsx'"):
        io.read_table(tmp_path / "a.xlsx")
    with pytest.raises(InputError, match="no such file"):
        io.read_table(tmp_path / "missing.csv")


def test_read_vector(tmp_path):
    np.testing.assert_array_equal(io.read_vector(_write(tmp_path, "v.csv", "w\n1\n2.5\n")), [1, 2.5])
    with pytest.raises(InputError, match="'2.5' is not an integer"):
        io.read_vector(_write(tmp_path, "v.csv", "1\n2.5\n"), dtype=np.int64)
    with pytest.raises(InputError, match="expected one column"):
        io.read_vector(_write(tmp_path, "v.csv", "1,2\n"))


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with io.atomic_write(target) as f:
            f.write("partial")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.json"]  # no temporary file left behind
    io.write_json({"a": [1, 2], "b": {"c": None}}, target)
    assert json.loads(target.read_text()) == {"a": [1, 2], "b": {"c": None}}
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)


def test_json_keeps_number_lists_on_one_line():
    text = io.dumps_json({"labels": [0, 1, 2], "nested": {"x": 1}})
    assert '"labels": [0, 1, 2]' in text
    with pytest.raises(ValueError):
        io.dumps_json({"x": float("nan")})


def test_data_entirely_below_the_underflow_scale_is_refused(tmp_path):
    """Squares of values below ~1e-154 underflow to 0: distances, variances and norms would silently be
    0. A file whose largest magnitude is below io.MIN_SCALE (not all zero) is an input error; a tiny
    value among ordinary ones is fine, and all zeros stay each solver's business."""
    with pytest.raises(InputError, match="largest of the points is 3e-170"):
        io.check_finite(io.read_table(_write(tmp_path, "tiny.csv", "1e-200,2e-200\n3e-170,0\n")), "points")
    io.check_finite(io.read_table(_write(tmp_path, "mixed.csv", "1e-200,2\n3,0\n")), "points")
    io.check_finite(io.read_table(_write(tmp_path, "zeros.csv", "0,0\n0,0\n")), "points")
