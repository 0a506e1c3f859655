"""Matrix-completion files: triplet CSV, Matrix Market and .npz readers with complete validation (each
malformed input names its file, line or field), duplicates policies, format round trips, query and
factor files, the generator."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optsuite.problems import completion as mc
from optsuite.solvers.errors import InputError, ParameterError
from files import write


# ----------------------------------------------------------------------------------------------- CSV

@pytest.mark.parametrize("header", ["row,col,value", "i,j,v", "user,item,rating", "USER,Item,Rating",
                                    "value,col,row"])
def test_csv_headers_and_column_order(tmp_path, header):
    names = header.lower().split(",")
    rows = {"row": [0, 2, 1], "i": [0, 2, 1], "user": [0, 2, 1], "col": [1, 0, 3], "j": [1, 0, 3],
            "item": [1, 0, 3], "value": [0.5, 0.0, -2.0], "v": [0.5, 0.0, -2.0], "rating": [0.5, 0.0, -2.0]}
    lines = [header] + [",".join(str(rows[c][e]) for c in names) for e in range(3)]
    p = mc.load(write(tmp_path, "a.csv", "\n".join(lines) + "\n"))
    assert p.shape == (3, 4) and p.nnz == 3
    assert p.rows.tolist() == [0, 1, 2] and p.cols.tolist() == [1, 3, 0]
    assert p.values.tolist() == [0.5, -2.0, 0.0]  # a 0 is an observed value


def test_csv_without_header_extra_columns_shape_comment_and_one_based(tmp_path):
    p = mc.load(write(tmp_path, "a.csv", "# shape: 5 6\n0\t1\t2.5\n4\t5\t1\n"))
    assert p.shape == (5, 6) and p.values.tolist() == [2.5, 1.0]
    p = mc.load(write(tmp_path, "b.csv", "user,item,rating,timestamp\n1,1,4,881250949\n2,3,5,891717742\n"),
                one_based=True)
    assert p.shape == (2, 3) and p.rows.tolist() == [0, 1] and p.cols.tolist() == [0, 2]
    p = mc.load(write(tmp_path, "c.csv", "row,col,value\n0,0,1\n"), shape=(10, 20))
    assert p.shape == (10, 20)


def test_csv_from_stdin(monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("# shape: 3 3\nrow,col,value\n2,2,7\n0,1,1\n"))
    p = mc.load("-")
    assert p.shape == (3, 3) and p.rows.tolist() == [0, 2] and p.values.tolist() == [1.0, 7.0]


def test_zero_based_file_read_as_one_based_hints(tmp_path):
    with pytest.raises(InputError, match="line 3, column 1 \\('row'\\): index 0 is negative or below the first "
                       "index 1 \\(the file looks 0-based: drop --one-based\\)"):
        mc.load(write(tmp_path, "a.csv", "row,col,value\n1,1,1\n0,1,2\n"), one_based=True)
    p = mc.load(write(tmp_path, "b.csv", "row,col,value\n1,1,1\n2,2,2\n"))
    assert any("--one-based" in note for note in p.notes)


MALFORMED_CSV = [
    ("nan.csv", "row,col,value\n0,0,1\n1,1,nan\n", "nan.csv, line 3, column 3 ('value'): value is NaN"),
    ("inf.csv", "row,col,value\n0,0,inf\n", "inf.csv, line 2, column 3 ('value'): value is infinite"),
    ("huge.csv", "row,col,value\n0,0,1e200\n", "huge.csv, line 2, column 3 ('value'): value 1e+200 is too large"),
    ("frac.csv", "row,col,value\n0,1.5,1\n", "frac.csv, line 2, column 2 ('col'): index '1.5' is not an integer"),
    ("neg.csv", "row,col,value\n0,0,1\n-1,0,1\n", "neg.csv, line 3, column 1 ('row'): index -1 is negative"),
    ("range.csv", "# shape: 2 2\nrow,col,value\n1,1,1\n0,2,1\n",
     "range.csv, line 4, column 2 ('col'): col index 2 is out of range: the '# shape' comment says 2 columns"),
    ("word.csv", "row,col,value\n0,0,1\n1,x,2\n", "word.csv, line 3, column 2 ('col'): 'x' is not a number"),
    ("ragged.csv", "row,col,value\n0,0,1\n1,1\n", "ragged.csv, line 3: 2 fields, expected 3"),
    ("ragged2.csv", "0,1,2\n1,2\n", "ragged2.csv, line 2: 2 fields, expected 3 as on line 1"),
    ("empty.csv", "", "empty.csv: no data: the file is empty"),
    ("onlyheader.csv", "row,col,value\n", "onlyheader.csv: no data rows"),
    ("badheader.csv", "a,b,c\n0,0,1\n", "badheader.csv, line 1: the header 'a,b,c' has no 'row' column"),
    ("two.csv", "0,1\n1,0\n", "two.csv, line 1: 2 column(s); expected row,col,value"),
    ("mixed.csv", "0,x,1\n", "mixed.csv, line 1: 'x' is not a number (the rest of the line is numeric"),
    ("dup.csv", "row,col,value\n0,0,1\n1,1,2\n0,0,3\n",
     "dup.csv, line 4: entry (0, 0) (0-based) is listed again (first on line 2); choose --duplicates mean"),
]


@pytest.mark.parametrize("name,text,message", MALFORMED_CSV, ids=[m[0] for m in MALFORMED_CSV])
def test_malformed_csv(tmp_path, name, text, message):
    with pytest.raises(InputError) as e:
        mc.load(write(tmp_path, name, text))
    assert message in str(e.value)


def test_errors_after_blank_lines_and_comments_point_at_the_right_line(tmp_path):
    text = "row,col,value\n0,0,1\n\n# a comment\n1,1,nan\n"
    with pytest.raises(InputError, match="line 5, column 3"):
        mc.load(write(tmp_path, "a.csv", text))


def test_out_of_range_suggests_one_based(tmp_path):
    with pytest.raises(InputError, match="no index is 0, so the file may be 1-based: add --one-based"):
        mc.load(write(tmp_path, "a.csv", "row,col,value\n1,1,1\n2,2,1\n"), shape=(2, 2))


def test_duplicates_policies(tmp_path):
    path = write(tmp_path, "d.csv", "row,col,value\n0,0,1\n1,1,2\n0,0,3\n0,0,8\n")
    mean = mc.load(path, duplicates="mean")
    assert mean.rows.tolist() == [0, 1] and mean.values.tolist() == [4.0, 2.0] and mean.merged == 2
    last = mc.load(path, duplicates="last")
    assert last.values.tolist() == [8.0, 2.0]
    assert any("2 repeated entries" in n for n in last.notes)
    with pytest.raises(ParameterError, match="--duplicates: must be one of error, mean, last"):
        mc.load(path, duplicates="first")


# ---------------------------------------------------------------------------------------- Matrix Market

MTX_HEAD = "%%MatrixMarket matrix coordinate {field} {symmetry}\n% a comment\n"


def test_matrix_market_general_symmetric_skew(tmp_path):
    p = mc.load(write(tmp_path, "g.mtx", MTX_HEAD.format(field="real", symmetry="general")
                      + "3 4 3\n1 1 0\n3 4 2.5\n2 1 -1\n"))
    assert p.shape == (3, 4) and p.rows.tolist() == [0, 1, 2] and p.values.tolist() == [0.0, -1.0, 2.5]
    p = mc.load(write(tmp_path, "s.mtx", MTX_HEAD.format(field="integer", symmetry="symmetric")
                      + "3 3 3\n1 1 4\n3 1 2\n3 2 5\n"))
    assert p.nnz == 5 and dict(zip(zip(p.rows.tolist(), p.cols.tolist()), p.values.tolist())) == {
        (0, 0): 4.0, (0, 2): 2.0, (2, 0): 2.0, (1, 2): 5.0, (2, 1): 5.0}
    p = mc.load(write(tmp_path, "k.mtx", MTX_HEAD.format(field="real", symmetry="skew-symmetric")
                      + "2 2 1\n2 1 3\n"))
    assert dict(zip(zip(p.rows.tolist(), p.cols.tolist()), p.values.tolist())) == {(1, 0): 3.0, (0, 1): -3.0}


MALFORMED_MTX = [
    ("pattern.mtx", MTX_HEAD.format(field="pattern", symmetry="general") + "2 2 1\n1 1\n",
     "pattern.mtx, line 1: a 'pattern' Matrix Market file has positions but no values"),
    ("complex.mtx", MTX_HEAD.format(field="complex", symmetry="general") + "2 2 1\n1 1 1 0\n",
     "complex.mtx, line 1: Matrix Market field 'complex' is not supported"),
    ("array.mtx", "%%MatrixMarket matrix array real general\n2 1\n1\n2\n",
     "array.mtx, line 1: Matrix Market 'array' format lists every entry"),
    ("nan.mtx", MTX_HEAD.format(field="real", symmetry="general") + "2 2 2\n1 1 1\n2 2 nan\n",
     "nan.mtx, line 5, value: value is NaN"),
    ("dup.mtx", MTX_HEAD.format(field="real", symmetry="general") + "2 2 2\n1 1 1\n1 1 2\n",
     "dup.mtx, line 5: entry (0, 0) (0-based) is listed again (first on line 4)"),
    ("mirror.mtx", MTX_HEAD.format(field="real", symmetry="symmetric") + "2 2 2\n2 1 1\n1 2 nan\n",
     "mirror.mtx, line 5, value: value is NaN"),
    ("range.mtx", MTX_HEAD.format(field="real", symmetry="general") + "2 2 1\n3 1 1\n",
     "range.mtx: not a valid Matrix Market file"),
    ("notmm.mtx", "hello\n1 2 3\n", "notmm.mtx, line 1: not a Matrix Market file"),
]


@pytest.mark.parametrize("name,text,message", MALFORMED_MTX, ids=[m[0] for m in MALFORMED_MTX])
def test_malformed_matrix_market(tmp_path, name, text, message):
    with pytest.raises(InputError) as e:
        mc.load(write(tmp_path, name, text))
    assert message in str(e.value)


# ----------------------------------------------------------------------------------------------- .npz

def test_npz_and_its_errors(tmp_path):
    np.savez(tmp_path / "a.npz", row=np.array([0, 2]), col=np.array([1, 1]), value=np.array([1.0, 0.0]),
             shape=np.array([4, 3]))
    p = mc.load(tmp_path / "a.npz")
    assert p.shape == (4, 3) and p.values.tolist() == [1.0, 0.0]
    cases = [
        (dict(row=[0], col=[1]), "missing array(s) 'value'"),
        (dict(row=[0.0, 1.5], col=[1, 1], value=[1.0, 2.0]), "row[1]: index '1.5' is not an integer"),
        (dict(row=[0, 1], col=[1], value=[1.0, 2.0]), "must have the same length"),
        (dict(row=[[0]], col=[1], value=[1.0]), "row: must be 1-D"),
        (dict(row=[0], col=[1], value=[np.inf]), "value[0]: value is infinite"),
        (dict(row=[0], col=[1], value=["a"]), "value: has dtype <U1; expected real numbers"),
        (dict(row=[0], col=[5], value=[1.0], shape=[2, 2]), "col[0]: col index 5 is out of range: the 'shape' array says 2"),
        (dict(row=[0], col=[1], value=[1.0], shape=[2]), "shape: must hold two positive integers"),
    ]
    for i, (arrays, message) in enumerate(cases):
        path = tmp_path / f"bad{i}.npz"
        np.savez(path, **{k: np.asarray(v) for k, v in arrays.items()})
        with pytest.raises(InputError) as e:
            mc.load(path)
        assert message in str(e.value), (arrays, str(e.value))


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="unknown file type '.parquet'"):
        mc.load(tmp_path / "a.parquet")
    with pytest.raises(InputError, match="no such file"):
        mc.load(tmp_path / "missing.csv")


# ------------------------------------------------------------------------------------------ round trips

@pytest.mark.parametrize("fmt", mc.FORMATS)
def test_format_round_trip(tmp_path, fmt):
    d = mc.generate(40, 30, 2, 3.0, seed=1)
    path = tmp_path / f"g.{fmt}"
    mc.write_triplets(path, d["rows"], d["cols"], d["values"], d["shape"])
    p = mc.load(path)
    assert p.shape == (40, 30)
    np.testing.assert_array_equal(p.rows, d["rows"])
    np.testing.assert_array_equal(p.cols, d["cols"])
    np.testing.assert_array_equal(p.values, d["values"])  # round-trip precision in the text formats


def test_query_predictions_and_factors(tmp_path):
    rows, cols = mc.load_query(write(tmp_path, "q.csv", "row,col\n1,2\n0,0\n"), (3, 3))
    assert rows.tolist() == [1, 0] and cols.tolist() == [2, 0]
    with pytest.raises(InputError, match="q2.csv, line 2, column 1 \\('row'\\): row index 3 is out of range: the "
                       "factors have 3 rows"):
        mc.load_query(write(tmp_path, "q2.csv", "row,col\n3,0\n"), (3, 3))
    mc.write_predictions(tmp_path / "p.csv", np.array([1, 0]), np.array([2, 0]), np.array([0.1, 2.0]), True)
    assert (tmp_path / "p.csv").read_text() == "row,col,prediction\n2,3,0.1\n1,1,2.0\n"
    U, V = np.ones((3, 2)), np.zeros((4, 2))
    mc.write_factors(tmp_path / "f.npz", U, V, {"rank": 2, "x": np.float64(1.5)})
    U2, V2, meta = mc.load_factors(tmp_path / "f.npz")
    assert (U2 == U).all() and V2.shape == (4, 2) and meta == {"rank": 2, "x": 1.5}
    np.savez(tmp_path / "g.npz", U=U, W=V)
    with pytest.raises(InputError, match="not a factors file: expected arrays U and V"):
        mc.load_factors(tmp_path / "g.npz")
    np.savez(tmp_path / "h.npz", U=U, V=np.zeros((4, 3)))
    with pytest.raises(InputError, match="U has 2 columns but V has 3"):
        mc.load_factors(tmp_path / "h.npz")


# -------------------------------------------------------------------------------------------- generator

def test_generator():
    d = mc.generate(200, 150, 4, 2.0, noise=0.0, kappa=10.0, seed=3)
    count = mc.observation_count(200, 150, 4, 2.0)
    assert count == round(2 * 200 * 4 * np.log(200)) and d["values"].shape[0] == count
    pos = d["rows"] * 150 + d["cols"]
    test = d["test_rows"] * 150 + d["test_cols"]
    assert np.unique(pos).shape[0] == count and np.intersect1d(pos, test).size == 0
    assert d["test_values"].shape[0] == count // 10
    M = d["U"] @ d["V"].T
    assert np.sqrt(np.mean(M ** 2)) == pytest.approx(1.0, rel=1e-12)  # unit-RMS entries
    s = np.linalg.svd(M, compute_uv=False)[:4]
    assert s[0] / s[3] == pytest.approx(10.0, rel=1e-9)
    np.testing.assert_allclose(d["values"], M[d["rows"], d["cols"]], rtol=1e-12)
    assert 1 <= d["mu_u"] <= np.sqrt(200 / 4)
    again = mc.generate(200, 150, 4, 2.0, kappa=10.0, seed=3)
    assert np.array_equal(again["values"], d["values"])
    with pytest.raises(ParameterError, match="--c: asks for"):
        mc.generate(10, 10, 2, 50.0)
    with pytest.raises(ParameterError, match="--rank: must be between 1 and min"):
        mc.generate(10, 10, 11, 1.0)


def test_write_generated(tmp_path):
    d = mc.generate(30, 20, 2, 2.0, seed=1)
    paths = mc.write_generated(tmp_path / "toy", d, "npz", seed=1, params={"c": 2.0})
    assert [p.split("/")[-1] for p in paths] == ["toy.npz", "toy.test.npz", "toy.truth.npz"]
    U, V = mc.load_truth(paths[2])
    assert np.array_equal(U, d["U"])
    with np.load(paths[2]) as z:
        assert json.loads(str(z["meta"]))["rank"] == 2
    assert mc.load(paths[1]).nnz == d["test_values"].shape[0]


def test_generate_small_matrices_get_a_test_entry_and_1x1_a_clear_error():
    """count // 10 test entries was 0 for a 2 x 2 matrix (an empty test file that check and solve then
    refuse); a 1 x 1 matrix asked to raise --c although C N k ln N = 0 for any C."""
    d = mc.generate(2, 2, 1, 1.0, seed=0)
    assert d["test_values"].shape[0] >= 1 and d["values"].shape[0] + d["test_values"].shape[0] <= 4
    with pytest.raises(ParameterError, match="a 1 x 1 matrix observes"):
        mc.generate(1, 1, 1, 1000.0, seed=0)
