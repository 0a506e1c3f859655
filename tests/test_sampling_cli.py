"""`optsuite solve|generate|check sampling` and `solve kmedoids --coreset` through the real console
script on real files: outputs, exit codes, one test per malformed file and invalid parameter."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def data(tmp_path_factory, optsuite):
    folder = tmp_path_factory.mktemp("sampling")
    r = optsuite("generate", "sampling", "--n", "3000", "--d", "4", "--heavy-tail", "--seed", "2", "--out", folder)
    assert r.returncode == 0, r
    return folder


def test_solve_evaluate_and_check(optsuite, data, tmp_path):
    before = sha(data / "A.csv")
    out = tmp_path / "s.json"
    r = optsuite("solve", "sampling", data / "A.csv", "--target", data / "b.csv", "--p", "1", "--size", "150",
                 "--method", "sensitivity", "--solve", "--evaluate", "--out", out)
    assert r.returncode == 0 and r.stdout == "", r
    res = json.loads(out.read_text())
    for key in ("problem", "method", "p", "n", "d", "rank", "size", "realised_size", "n_deterministic", "indices",
                "weights", "scores_total", "total_sensitivity", "total_sensitivity_bounds", "lewis", "regression",
                "evaluation", "status", "objective", "iterations", "counters", "timings", "cpu_timings",
                "environment", "seed"):
        assert key in res, key
    assert res["n"] == 3000 and res["d"] == 4 and res["rank"] == 5 and res["status"] == "converged"
    assert len(res["indices"]) == len(res["weights"]) == res["realised_size"]
    assert 1.0 <= res["evaluation"]["ratio"] < 1.05
    for phase in ("read", "compile", "basis", "scores", "sample", "solve", "evaluate", "write", "total"):
        assert res["timings"][phase] >= 0, phase
    assert "sampling sensitivity p=1: " in r.stderr and "ratio to the full optimum" in r.stderr
    assert sha(data / "A.csv") == before
    r = optsuite("check", "sampling", data / "A.csv", out, "--target", data / "b.csv", "-q")
    assert r.returncode == 0 and r.json()["valid"], r
    sol = json.loads(out.read_text())
    sol["weights"][0] *= 2  # the recomputed sample objective no longer matches
    sol["indices"][-1] = 3000
    out.write_text(json.dumps(sol))
    r = optsuite("check", "sampling", data / "A.csv", out, "--target", data / "b.csv")
    assert r.returncode == 3 and "sample fails: indices in range" in r.stderr, r


def test_output_formats_and_npz_input(optsuite, data, tmp_path):
    r = optsuite("generate", "sampling", "--n", "500", "--d", "3", "--out", tmp_path / "g.npz")
    assert r.returncode == 0 and r.json()["files"]["A"].endswith("g.npz")
    args = ["solve", "sampling", tmp_path / "g.npz", "--target", tmp_path / "g.npz", "--p", "3", "--size", "60",
            "--sampling", "iid", "--seed", "4", "--solve", "-q"]
    r = optsuite(*args)
    assert r.returncode == 0 and r.stderr == "", r
    res = r.json()
    assert res["sampling"] == "iid" and res["draws"] == 60
    assert optsuite(*args, "--out", tmp_path / "s.csv").returncode == 0
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert lines[0] == "index,weight" and [int(v.split(",")[0]) for v in lines[1:]] == res["indices"]
    assert optsuite(*args, "--out", tmp_path / "s.npz").returncode == 0
    with np.load(tmp_path / "s.npz") as z:
        assert z["indices"].tolist() == res["indices"] and z["x"].shape == (3,)
    r = optsuite("generate", "sampling", "--n", "100", "--d", "2", "--format", "npy", "--out", tmp_path / "npy")
    assert r.returncode == 0 and sorted(p.name for p in (tmp_path / "npy").iterdir()) == ["A.npy", "b.npy", "x_true.npy"]
    r = optsuite("solve", "sampling", "-", "--p", "1.5", "--size", "20", "-q", input=(data / "A.csv").read_text())
    assert r.returncode == 0 and r.json()["n"] == 3000


def test_not_converged_writes_the_result_and_exits_3(optsuite, data, tmp_path):
    out = tmp_path / "s.json"
    r = optsuite("solve", "sampling", data / "A.csv", "--p", "1", "--size", "50", "--max-iter", "1", "--tol",
                 "1e-12", "--out", out)
    assert r.returncode == 3, r
    assert json.loads(out.read_text())["status"] == "max_iter"


MALFORMED = [
    ("bad.csv", "1,2\n3,x\n", None, "bad.csv, line 2, column 2: 'x' is not a number"),
    ("ragged.csv", "1,2\n3,4,5\n", None, "ragged.csv, line 2: 3 fields, expected 2 as on line 1"),
    ("nan.csv", "1,2\nnan,4\n", None, "nan.csv, line 2, column 1: value is NaN"),
    ("empty.csv", "", None, "empty.csv: no data: the file is empty"),
    ("A.csv", "1,2\n3,4\n5,6\n", ("short.csv", "1\n2\n"), "short.csv: 2 target values for 3 rows of A"),
    ("A.csv", "1,2\n3,4\n5,6\n", ("wide.csv", "1,2\n2,3\n3,4\n"), "wide.csv: expected one column of target values"),
    ("A.csv", "1,2\n3,4\n5,6\n", ("tnan.csv", "1\ninf\n2\n"), "tnan.csv, line 2, column 1: value is infinite"),
]


@pytest.mark.parametrize("name,text,target,message", MALFORMED, ids=[m[3].split(":")[0] for m in MALFORMED])
def test_malformed_input_files(optsuite, tmp_path, name, text, target, message):
    (tmp_path / name).write_text(text)
    extra = []
    if target is not None:
        (tmp_path / target[0]).write_text(target[1])
        extra = ["--target", tmp_path / target[0]]
    r = optsuite("solve", "sampling", tmp_path / name, "--p", "1", "--size", "2", *extra)
    assert r.returncode == 2 and r.stdout == "", r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsuite: error: ") and message in lines[0], r


BAD_PARAMS = [
    (["--p", "1", "--size", "2", "--method", "lewis", "--exact"], "--exact: computes exact sensitivities"),
    (["--p", "1", "--size", "2", "--solve"], "--solve: needs a target"),
    (["--p", "1", "--size", "2", "--tol", "0"], "--tol: must be positive"),
    (["--p", "1", "--size", "2.5", "--sampling", "iid"], "--size: iid sampling takes a whole number"),
    (["--p", "1", "--size", "2", "--out", "{t}/s.txt"], "s.txt: unknown output type '.txt'"),
    (["--p", "1", "--size", "2", "--out", "{t}/A.csv"], "--out would overwrite an input file"),
    (["--p", "0.5", "--size", "2"], "Invalid value for '--p'"),
    (["--p", "1", "--size", "0"], "Invalid value for '--size'"),
    (["--p", "1", "--size", "2", "--method", "fast"], "Invalid value for '--method'"),
    (["--size", "2"], "Missing option '--p'"),
]


@pytest.mark.parametrize("args,message", BAD_PARAMS, ids=[b[1][:30] for b in BAD_PARAMS])
def test_invalid_parameters(optsuite, tmp_path, args, message):
    (tmp_path / "A.csv").write_text("1,2\n3,4\n5,7\n")
    r = optsuite("solve", "sampling", tmp_path / "A.csv", *[str(a).replace("{t}", str(tmp_path)) for a in args])
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r
    assert (tmp_path / "A.csv").read_text() == "1,2\n3,4\n5,7\n"


@pytest.mark.parametrize("command", ["solve", "generate", "check"])
def test_help_teaches_and_ends_with_examples(optsuite, command):
    r = optsuite(command, "sampling", "--help")
    assert r.returncode == 0 and "Example" in r.stdout and "optsuite " in r.stdout.split("Example")[-1]


def test_kmedoids_coreset_on_points_whose_matrix_cannot_exist(optsuite, tmp_path):
    """400 000 points: the n x n matrix (1.2 TB) is refused, --coreset clusters them, and `check`
    confirms the reported full-data loss and labels."""
    from optsuite.problems.kmedoids import generate

    np.save(tmp_path / "X.npy", generate(400_000, 2, 4, seed=0)[0])
    r = optsuite("solve", "kmedoids", tmp_path / "X.npy", "--k", "4")
    assert r.returncode == 2 and "--coreset M" in r.stderr and "use --method clara" in r.stderr, r
    out = tmp_path / "sol.json"
    r = optsuite("solve", "kmedoids", tmp_path / "X.npy", "--k", "4", "--coreset", "1000", "--out", out)
    assert r.returncode == 0, r
    res = json.loads(out.read_text())
    assert res["n"] == 400_000 and len(res["labels"]) == 400_000 and res["coreset"]["sampled"] < 1200
    for key in ("problem", "method", "init", "k", "status", "objective", "medoids", "iterations", "counters", "seed"):
        assert key in res, key
    r = optsuite("check", "kmedoids", tmp_path / "X.npy", out, "-q")
    assert r.returncode == 0 and r.json()["valid"], r


@pytest.mark.parametrize("args,message", [
    (["--metric", "precomputed"], "--coreset: works on points"),
    (["--method", "clara"], "--coreset: replaces CLARA"),
])
def test_kmedoids_coreset_option_errors(optsuite, tmp_path, args, message):
    (tmp_path / "D.csv").write_text("0,1\n1,0\n")
    r = optsuite("solve", "kmedoids", tmp_path / "D.csv", "--k", "1", "--coreset", "5", *args)
    assert r.returncode == 2 and message in r.stderr, r
