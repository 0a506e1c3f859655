"""`optsuite solve|generate|check notears` through the real console script on real files."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import naive_notears as naive
from conftest import EXAMPLES


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sf(tmp_path_factory, optsuite):
    folder = tmp_path_factory.mktemp("sf")
    r = optsuite("generate", "notears", "--graph", "SF", "--degree", "2", "--d", "8", "--n", "400", "--seed", "3",
                 "--out", folder)
    assert r.returncode == 0, r
    return folder


def test_generate_writes_data_and_truth(sf):
    header = (sf / "X.csv").read_text().splitlines()[0]
    assert header == ",".join(f"X{j}" for j in range(8))
    X = np.loadtxt(sf / "X.csv", delimiter=",", skiprows=1)
    assert X.shape == (400, 8)
    from optsuite.problems.notears import generate, load_matrix

    W, names = load_matrix(sf / "W_true.csv", None)
    np.testing.assert_allclose(W, generate("SF", 2, 8, 400, "gauss", 3)[1])
    assert naive.is_acyclic(W) and names[0] == "X0"
    nonzero = np.abs(W[W != 0])
    assert ((nonzero >= 0.5) & (nonzero <= 2)).all()


def test_solve_then_check_against_the_truth(optsuite, sf, tmp_path):
    before = sha(sf / "X.csv")
    r = optsuite("solve", "notears", sf / "X.csv", "--full-neighbourhood")
    assert r.returncode == 0, r
    res = r.json()
    for key in ("names", "order", "W", "edges", "objective", "score_refit", "is_dag", "iterations", "counters",
                "timings", "environment", "seed", "status", "message", "initial_order"):
        assert key in res, key
    assert res["is_dag"] and res["status"] == "converged" and sorted(res["order"]) == sorted(res["names"])
    for phase in ("read", "compile", "solve", "write", "total"):
        assert res["timings"][phase] >= 0
    assert {"candidates", "swaps"} <= set(res["counters"])
    X = np.loadtxt(sf / "X.csv", delimiter=",", skiprows=1)
    W = np.asarray(res["W"])
    assert res["objective"] == pytest.approx(naive.ls_objective(X, W), rel=1e-9)
    assert "notears topo: n=400 d=8" in r.stderr
    assert sha(sf / "X.csv") == before
    out = tmp_path / "W.csv"
    r = optsuite("solve", "notears", sf / "X.csv", "--full-neighbourhood", "--out", out, "-q")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    lines = out.read_text().splitlines()
    assert lines[0] == "," + ",".join(res["names"]) and lines[1].startswith("X0,")
    r = optsuite("check", "notears", sf / "X.csv", out, "--truth", sf / "W_true.csv")
    assert r.returncode == 0, r
    report = r.json()
    assert report["valid"] and report["accuracy"]["shd"] == 0 and "SHD 0" in r.stderr
    assert report["score_refit"] == pytest.approx(res["score_refit"], rel=1e-9)
    sol = tmp_path / "sol.json"
    sol.write_text(json.dumps(res))
    r = optsuite("check", "notears", sf / "X.csv", sol, "-q")
    assert r.returncode == 0 and r.json()["valid"], r
    assert any(c["check"] == "reported objective (raw W)" and c["ok"] for c in r.json()["checks"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["W.csv", "sol.json"]  # no temp files left


def test_stdin_npz_and_options(optsuite, sf, tmp_path):
    text = (sf / "X.csv").read_text()
    r = optsuite("solve", "notears", "-", "--init", "notears", "--h", "exp", "--lambda2", "0.01", "-q", input=text)
    assert r.returncode == 0, r
    assert r.json()["init"] == "notears" and r.json()["h"] == "exp"
    order = tmp_path / "order.txt"
    order.write_text("\n".join(reversed([f"X{j}" for j in range(8)])) + "\n")
    r = optsuite("solve", "notears", sf / "X.csv", "--init", f"order:{order}", "--s-small", "4", "--s-large", "10",
                 "--n-large", "2", "--out", tmp_path / "r.npz", "-q")
    assert r.returncode == 0, r
    with np.load(tmp_path / "r.npz") as z:
        meta = json.loads(str(z["meta"]))
        assert z["W"].shape == (8, 8) and meta["sizes"] == {"s_small": 4, "s_large": 10, "n_large": 2,
                                                              "full_neighbourhood": False}
    r = optsuite("solve", "notears", sf / "X.csv", "--method", "notears", "--threshold", "0.3", "-q")
    assert r.returncode in (0, 3), r
    assert r.json()["method"] == "notears" and r.json()["lambda1"] == 0.1


def test_example_data_with_prior_knowledge(optsuite, tmp_path):
    data = EXAMPLES / "notears" / "diabetes.csv"
    r = optsuite("solve", "notears", data, "--standardize", "--forbid", EXAMPLES / "notears" / "forbid_into_age_sex.csv",
                 "--require", _write(tmp_path / "req.csv", "source,target\nbmi,progression\n"), "-q")
    assert r.returncode == 0, r
    res = r.json()
    assert not any(e["target"] in ("age", "sex") for e in res["edges"])
    assert any(e["source"] == "bmi" and e["target"] == "progression" for e in res["edges"])
    assert res["standardized"] and res["order"].index("bmi") < res["order"].index("progression")


def test_max_iter_writes_the_result_and_exits_3(optsuite, sf):
    r = optsuite("solve", "notears", sf / "X.csv", "--max-iter", "1", "-q")
    assert r.returncode == 3, r
    assert r.json()["status"] == "max_iter"


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("content,args,message", [
    ("a,b,c\n1,2,3\n4,nan,6\n7,8,10\n", [], "line 3, column 2 ('b'): value is NaN"),
    ("a,b,c\n1,2,3\n4,2,6\n7,2,10\n", [], "variable 'b' is constant"),
    ("a,a,c\n1,2,3\n4,5,6\n7,8,10\n", [], "'a' appears twice"),
    ("a,b\n1,2\n", [], "found 1 observation"),
    ("a,b,c\n1,0,1\n0,1,1\n1,1,2\n", ["--score", "logistic", "--lambda2", "0.1"], "is not 0 or 1"),
    ("a,b,c\n1,0,1\n0,1,1\n1,1,0\n", ["--score", "logistic"], "--lambda2: the logistic score needs"),
    ("a,b,c\n1,2,3\n4,5,6\n7,8,10\n", ["--s-small", "5"], "--s-small: must be between 1 and d(d-1)/2 = 3"),
    ("a,b,c\n1,2,3\n4,5,6\n7,8,10\n", ["--init", "pc"], "--init: must be random, notears, order:FILE"),
    ("a,b,c\n1,2,3\n4,5,6\n7,8,10\n", ["--method", "notears", "--init", "notears"], "--init: applies to"),
])
def test_bad_data_and_parameters(optsuite, tmp_path, content, args, message):
    data = _write(tmp_path / "data.csv", content)
    r = optsuite("solve", "notears", data, *args)
    assert r.returncode == 2, r
    assert message in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("option,content,message", [
    ("--forbid", "source,target\na,z\n", "line 2: 'z' is not a variable of the data"),
    ("--forbid", "a,b,c\n", "line 1: 3 fields; expected two: source,target"),
    ("--require", "a,a\n", "line 1: edge a -> a is a self-loop"),
    ("--require", "a,b\nb,c\nc,a\n", "--require: the required edges contain a cycle"),
    ("order", "a\nb\n", "the order lists 2 of 3 variables; missing: c"),
    ("order", "a\nb\na\n", "line 3: 'a' appears twice"),
    ("weights", "1,2\n3,4\n", "a 2 x 2 matrix for 3 variables"),
    ("weights", ",a,b,c\na,0,1,0\nb,0,0,x\nc,0,0,0\n", "line 3: 'x' is not a number"),
])
def test_bad_side_files(optsuite, tmp_path, option, content, message):
    data = _write(tmp_path / "data.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,10\n2,1,0\n")
    side = _write(tmp_path / "side.csv", content)
    args = [option, side] if option.startswith("--") else ["--init", f"{option}:{side}"]
    r = optsuite("solve", "notears", data, *args)
    assert r.returncode == 2, r
    assert message in r.stderr and "Traceback" not in r.stderr


def test_check_reports_a_cycle_with_exit_3(optsuite, tmp_path):
    data = _write(tmp_path / "data.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,10\n2,1,0\n")
    cyclic = _write(tmp_path / "W.csv", ",a,b,c\na,0,1,0\nb,0,0,1\nc,1,0,0\n")
    r = optsuite("check", "notears", data, cyclic, "-q")
    assert r.returncode == 3 and not r.json()["valid"] and r.json()["score_refit"] is None


def test_generate_refuses_a_file_as_folder(optsuite, tmp_path):
    target = _write(tmp_path / "file.txt", "x")
    r = optsuite("generate", "notears", "--out", target)
    assert r.returncode == 2 and "is not a folder" in r.stderr


def test_help_teaches_and_ends_with_examples(optsuite):
    for cmd in ("solve", "generate", "check"):
        r = optsuite(cmd, "notears", "--help")
        assert r.returncode == 0 and "Example" in r.stdout
        assert "optsuite " in r.stdout.split("Example")[-1]
    assert "W[i, j] != 0 means the edge i -> j" in " ".join(optsuite("solve", "notears", "--help").stdout.split())
