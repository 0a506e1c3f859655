"""`optsuite solve|generate|check completion` through the real console script on real files: happy paths,
outputs, exit codes, and one test per error class."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from conftest import EXAMPLES

DIGITS = EXAMPLES / "completion" / "digits_observed.csv"
HIDDEN = EXAMPLES / "completion" / "digits_hidden.csv"


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A generated noiseless 300 x 200 rank-3 problem: (folder, prefix)."""
    from optsuite.problems import completion as mc

    folder = tmp_path_factory.mktemp("toy")
    d = mc.generate(300, 200, 3, 2.5, seed=1)
    mc.write_generated(folder / "toy", d, "csv", seed=1)
    return folder


def test_generate_solve_check_pipeline(optsuite, tmp_path):
    r = optsuite("generate", "completion", "--m", "300", "--n", "200", "--rank", "3", "--c", "2.5", "--seed", "4",
                 "--out", tmp_path / "g", "--format", "npz")
    assert r.returncode == 0, r
    summary = r.json()
    assert summary["observed"] == round(2.5 * 300 * 3 * np.log(300)) and summary["mu_u"] > 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.npz", "g.test.npz", "g.truth.npz"]
    r = optsuite("solve", "completion", tmp_path / "g.npz", "--rank", "3", "--out", tmp_path / "f.npz")
    assert r.returncode == 0, r
    res = r.json()  # the result is on stdout even with --out F.npz
    for key in ("problem", "m", "n", "rank", "observed", "solver", "init", "reg", "lambda", "status", "message",
                "stop_reason", "objective", "train_rmse", "iterations", "history", "counters", "timings",
                "cpu_timings", "environment", "seed", "input_sha256"):
        assert key in res, key
    assert res["status"] == "converged" and res["solver"] == "exact" and res["init"] == "svd"
    for phase in ("read", "compile", "build", "init", "iterations", "solve", "write", "total"):
        assert res["timings"][phase] >= 0, phase
    assert "completion exact: 300 x 200, rank 3" in r.stderr
    with np.load(tmp_path / "f.npz") as z:
        assert z["U"].shape == (300, 3) and z["V"].shape == (200, 3)
        assert json.loads(str(z["meta"]))["train_rmse"] == res["train_rmse"]
    r = optsuite("check", "completion", tmp_path / "g.test.npz", tmp_path / "f.npz", "--truth", tmp_path / "g.truth.npz")
    assert r.returncode == 0, r
    report = r.json()
    assert report["valid"] and report["rmse"] < 1e-6 and report["relative_error_full"] < 1e-6
    r = optsuite("check", "completion", tmp_path / "g.npz", tmp_path / "f.npz")
    assert r.returncode == 0 and {c["check"] for c in r.json()["checks"]} >= {"reported RMSE"}


def test_holdout_predict_and_one_based_round_trip(optsuite, tmp_path):
    """1-based ratings with a timestamp column, from stdin; predictions come back 1-based."""
    seen = np.random.default_rng(0).random((40, 30)) < 0.7
    seen[0, 0] = False
    text = "user,item,rating,timestamp\n" + "".join(
        f"{i + 1},{j + 1},{(i % 3) * (j % 4) + 1},0\n" for i in range(40) for j in range(30) if seen[i, j])
    (tmp_path / "q.csv").write_text("user,item\n1,1\n40,30\n")
    r = optsuite("solve", "completion", "-", "--one-based", "--rank", "2", "--holdout", "0.1", "--early-stop",
                 "--predict", tmp_path / "q.csv", "--predictions", tmp_path / "p.csv", "-q", input=text)
    assert r.returncode == 0, r
    res = r.json()
    assert res["one_based"] and res["holdout"] == round(0.1 * seen.sum()) and "holdout_rmse" in res
    assert res["predictions"]["count"] == 2 and r.stderr == ""
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "row,col,prediction" and lines[1].startswith("1,1,") and lines[2].startswith("40,30,")
    assert float(lines[1].split(",")[2]) == pytest.approx(1.0, abs=1e-3)  # unobserved (0 % 3) * (0 % 4) + 1


@pytest.mark.parametrize("solver", ["sketch"])
def test_other_solvers_and_json_out(optsuite, toy, tmp_path, solver):
    out = tmp_path / "r.json"
    r = optsuite("solve", "completion", toy / "toy.csv", "--rank", "3", "--solver", solver, "--init", "random",
                 "--threads", "1", "--out", out, "-q")
    assert r.returncode == 0 and r.stdout == "", r
    res = json.loads(out.read_text())
    assert res["solver"] == solver and res["status"] == "converged" and res["train_rmse"] < 1e-6
    assert res["counters"]["inner_steps"] > 0


def test_not_converged_writes_the_result_and_exits_3(optsuite, toy, tmp_path):
    r = optsuite("solve", "completion", toy / "toy.csv", "--rank", "3", "--max-iter", "2", "--out", tmp_path / "f.npz")
    assert r.returncode == 3, r
    assert r.json()["status"] == "max_iter" and (tmp_path / "f.npz").exists()


def test_check_catches_wrong_factors(optsuite, toy, tmp_path):
    r = optsuite("solve", "completion", toy / "toy.csv", "--rank", "3", "--out", tmp_path / "f.npz", "-q")
    assert r.returncode == 0
    with np.load(tmp_path / "f.npz") as z:
        U, V, meta = z["U"], z["V"], str(z["meta"])
    np.savez(tmp_path / "bad.npz", U=U * 1.01, V=V, meta=meta)
    r = optsuite("check", "completion", toy / "toy.csv", tmp_path / "bad.npz")
    assert r.returncode == 3 and "factors fail: reported RMSE" in r.stderr
    np.savez(tmp_path / "small.npz", U=U[:10], V=V, meta=meta)
    r = optsuite("check", "completion", toy / "toy.csv", tmp_path / "small.npz")
    assert r.returncode == 3 and "entries within the factors' shape" in r.stderr


def test_digits_example_beats_column_means(optsuite, tmp_path):
    """Real data: 70 % of the pixels of 500 handwritten digits; the rank-10 fit predicts the hidden 30 %
    better than each pixel's mean."""
    before = hashlib.sha256(DIGITS.read_bytes()).hexdigest()
    r = optsuite("solve", "completion", DIGITS, "--rank", "10", "--reg", "0.01", "--out", tmp_path / "f.npz", "-q")
    assert r.returncode == 0, r
    r = optsuite("check", "completion", HIDDEN, tmp_path / "f.npz", "-q")
    hidden_rmse = r.json()["rmse"]
    obs = np.loadtxt(DIGITS, delimiter=",", skiprows=2)
    hid = np.loadtxt(HIDDEN, delimiter=",", skiprows=2)
    means = np.array([obs[obs[:, 1] == j, 2].mean() for j in range(64)])
    baseline = np.sqrt(np.mean((hid[:, 2] - means[hid[:, 1].astype(int)]) ** 2))
    assert hidden_rmse < 0.8 * baseline
    assert hashlib.sha256(DIGITS.read_bytes()).hexdigest() == before  # inputs are never modified


# One test per error class: exit code 2, one line naming the problem, no traceback. These run the command
# in-process (the malformed-file messages themselves are tested one by one in test_completion_io.py).

@pytest.fixture
def cli(capsys):
    from optsuite.cli.main import main

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


MALFORMED = [
    ("nan.csv", "row,col,value\n0,0,1\n1,1,nan\n", [], "nan.csv, line 3, column 3 ('value'): value is NaN"),
    ("dup.csv", "row,col,value\n0,0,1\n0,0,2\n", [], "dup.csv, line 3: entry (0, 0) (0-based) is listed again"),
    ("pat.mtx", "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1\n", [], "pat.mtx, line 1: a 'pattern'"),
    ("range.csv", "row,col,value\n0,0,1\n5,0,1\n", ["--shape", "3", "3"],
     "range.csv, line 3, column 1 ('row'): row index 5 is out of range: --shape says 3 rows"),
]


@pytest.mark.parametrize("name,text,extra,message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_input_files(cli, tmp_path, name, text, extra, message):
    path = tmp_path / name
    path.write_text(text)
    code, out, err = cli("solve", "completion", path, "--rank", "1", *extra)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsuite: error: ") and message in lines[0], err


BAD_PARAMS = [
    (["--rank", "5"], "--rank: must be at most min(m, n) = 3"),
    (["--rank", "1", "--early-stop"], "--early-stop: needs held-out entries to watch"),
    (["--rank", "1", "--predict", "{t}/d.csv"], "--predictions: --predict QUERY and --predictions OUT.csv go together"),
    (["--rank", "1", "--out", "{t}/f.txt"], "f.txt: unknown output type '.txt'"),
    (["--rank", "1", "--predict", "{t}/d.csv", "--predictions", "{t}/d.csv"], "--predictions would overwrite an input"),
    (["--rank", "1", "--out", "{t}/nofolder/f.npz"], "cannot write: folder"),
]


@pytest.mark.parametrize("args,message", BAD_PARAMS, ids=[b[1].split(":")[0] for b in BAD_PARAMS])
def test_invalid_parameters(cli, tmp_path, args, message):
    (tmp_path / "d.csv").write_text("row,col,value\n0,0,1\n1,1,2\n2,2,3\n0,2,1\n")
    code, out, err = cli("solve", "completion", tmp_path / "d.csv", *[a.replace("{t}", str(tmp_path)) for a in args])
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]  # nothing written


@pytest.mark.parametrize("args", [["--rank", "0"], ["--rank", "1", "--solver", "lsqr"], ["--rank", "1", "--holdout", "1.5"],
                                  ["--rank", "1", "--duplicates", "first"], []])
def test_usage_errors_exit_2(cli, tmp_path, args):
    (tmp_path / "d.csv").write_text("row,col,value\n0,0,1\n")
    code, _, err = cli("solve", "completion", tmp_path / "d.csv", *args)
    assert code == 2 and "Traceback" not in err


def test_check_errors(cli, tmp_path):
    (tmp_path / "d.csv").write_text("row,col,value\n0,0,1\n")
    np.savez(tmp_path / "x.npz", A=np.ones(2))
    code, _, err = cli("check", "completion", tmp_path / "d.csv", tmp_path / "x.npz")
    assert code == 2 and "x.npz: not a factors file: expected arrays U and V" in err
    code, _, err = cli("check", "completion", tmp_path / "d.csv", tmp_path / "d.csv")
    assert code == 2 and "expected a factors .npz" in err


def test_generate_errors(cli, tmp_path):
    code, _, err = cli("generate", "completion", "--m", "10", "--n", "10", "--rank", "2", "--c", "40", "--out", tmp_path / "g")
    assert code == 2 and "--c: asks for" in err


def test_observed_values_below_the_underflow_scale_are_refused(optsuite, tmp_path):
    """Completion of 1e-200-scaled entries fitted all-zero factors and reported an exact fit."""
    path = tmp_path / "tiny.csv"
    path.write_text("0,0,1e-200\n0,1,2e-200\n1,0,3e-200\n1,1,6e-200\n")
    r = optsuite("solve", "completion", path, "--rank", "1")
    assert r.returncode == 2 and "the largest of the observed values is 6e-200" in r.stderr, r


def test_pattern_matrix_market_is_a_query_not_data_and_stdin_once(optsuite, tmp_path):
    """A pattern .mtx (positions, no values) was refused as a --predict query; as DATA it still is.
    '-' for both DATA and --predict failed only after the solve."""
    query = tmp_path / "q.mtx"
    query.write_text("%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 2\n2 1\n")
    data = tmp_path / "d.csv"
    data.write_text("0,0,1\n0,1,2\n1,0,2\n1,1,4\n")
    out = tmp_path / "p.csv"
    r = optsuite("solve", "completion", data, "--rank", "1", "--predict", query, "--predictions", out, "-q")
    assert r.returncode == 0 and out.read_text().splitlines()[0] == "row,col,prediction", r
    assert len(out.read_text().splitlines()) == 3
    r = optsuite("solve", "completion", query, "--rank", "1")
    assert r.returncode == 2 and "'pattern' Matrix Market file has positions but no values" in r.stderr, r
    r = optsuite("solve", "completion", "-", "--rank", "1", "--predict", "-", "--predictions", out)
    assert r.returncode == 2 and "--predict: DATA is already read from stdin" in r.stderr, r
