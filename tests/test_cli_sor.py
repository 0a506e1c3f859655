"""`optsuite solve|generate|check sor`: the real console script on real files for the main paths, and
the in-process command line (same code, no process start) for every invalid parameter and file."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
import scipy.sparse.linalg as spl

from conftest import EXAMPLES
from optsuite.cli.main import main

SOR = EXAMPLES / "sor"
POISSON, POISSON_B = SOR / "poisson_20x20.mtx", SOR / "poisson_20x20_b.npy"
HEAT = SOR / "heat_folder"


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------ console script

def test_single_system_example(optsuite, tmp_path):
    before = sha(POISSON), sha(POISSON_B)
    r = optsuite("solve", "sor", POISSON, "--rhs", POISSON_B, "--policy", "asymptotic", "--out", tmp_path / "r.json")
    assert r.returncode == 0, r
    res = json.loads((tmp_path / "r.json").read_text())
    for key in ("problem", "n", "nnz", "policy", "omega", "sweep", "tol", "tol_ref", "max_iter", "x0", "status",
                "message", "objective", "iterations", "residual", "counters", "totals", "x", "timings",
                "cpu_timings", "environment", "seed"):
        assert key in res, key
    for phase in ("read", "compile", "solve", "write", "total"):
        assert res["timings"][phase] >= 0
    A = scipy.io.mmread(POISSON).tocsc()
    b = np.load(POISSON_B)
    np.testing.assert_allclose(res["x"], spl.spsolve(A, b), rtol=1e-6, atol=1e-9)
    assert res["status"] == "converged" and res["residual"] < 1e-8 and 1.7 < res["omega"] < 1.8
    assert "sor asymptotic" in r.stderr and "n=400" in r.stderr
    assert (sha(POISSON), sha(POISSON_B)) == before  # inputs are never modified
    r = optsuite("check", "sor", POISSON, tmp_path / "r.json", "--rhs", POISSON_B, "-q")
    assert r.returncode == 0 and r.json()["valid"]


def test_generate_learn_with_oracle_and_check(optsuite, tmp_path):
    seq = tmp_path / "seq.npz"
    r = optsuite("generate", "sor", "--family", "shifted-laplacian", "--instances", "60", "--n", "25", "--out", seq)
    assert r.returncode == 0, r
    r = optsuite("solve", "sor", seq, "--policy", "chebcb", "--oracle", "--grid", "1:1.8:5", "--out",
                 tmp_path / "sol.npz", "-q")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    with np.load(tmp_path / "sol.npz") as z:
        assert z["x"].shape == (60, 25) and z["oracle_costs"].shape == (60, 5)
        meta = json.loads(str(z["meta"]))
        np.testing.assert_array_equal(z["cost"], z["oracle_costs"][np.arange(60), np.searchsorted([1, 1.2, 1.4, 1.6, 1.8], z["omega"])])
    o = meta["oracle"]
    assert o["policy"]["total"] == meta["objective"] and len(o["regret_curve"]) == 4
    assert o["best_fixed"]["total"] == min(o["totals_by_omega"]) and "table" not in o
    r = optsuite("check", "sor", seq, tmp_path / "sol.npz")
    assert r.returncode == 0, r
    assert r.json()["valid"] and len(r.json()["residuals"]) == 60


def test_folder_with_warm_starts_and_npy_output(optsuite, tmp_path):
    out = tmp_path / "x.npy"
    r = optsuite("solve", "sor", HEAT, "--policy", "tsallis", "--x0", "previous", "--tol-ref", "b",
                 "--grid", "1:1.5:3", "--out", out)
    assert r.returncode == 0, r
    res = r.json()  # with .npy, the result still goes to stdout, without x
    assert "x" not in res and res["solutions_file"] == str(out) and res["T"] == 20
    assert res["instances"]["name"][:2] == ["A_00001.mtx", "A_00002.mtx"]
    assert len(res["instances"]["context"]) == 20  # context.csv of the folder
    assert np.load(out).shape == (20, 64)
    r = optsuite("check", "sor", HEAT, out, "--tol-ref", "b", "--x0", "previous", "-q")
    assert r.returncode == 0 and r.json()["valid"]
    r = optsuite("check", "sor", HEAT, out, "--tol", "1e-14", "-q")
    assert r.returncode == 3 and not r.json()["valid"]


def test_not_converged_writes_the_result_and_exits_3(optsuite, tmp_path):
    out = tmp_path / "r.json"
    r = optsuite("solve", "sor", POISSON, "--rhs", POISSON_B, "--max-iter", "5", "--out", out)
    assert r.returncode == 3, r
    res = json.loads(out.read_text())
    assert res["status"] == "max_iter" and res["iterations"] == 5 and res["objective"] == 5
    r = optsuite("check", "sor", POISSON, out, "--rhs", POISSON_B, "-q")
    assert r.returncode == 3


def test_help_teaches(optsuite):
    r = optsuite("solve", "sor", "--help")
    assert r.returncode == 0
    for word in ("tsallis", "chebcb", "asymptotic", "ESTIMATE", "--oracle", "--tol-ref", "Examples"):
        assert word in r.stdout, word


# ------------------------------------------------------------------------------- in process

def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sorfiles")
    scipy.io.mmwrite(d / "rect.mtx", sp.csr_matrix(np.ones((2, 3))))
    (d / "zero_diag.mtx").write_text("%%MatrixMarket matrix coordinate real general\n3 3 5\n1 1 2.0\n2 1 1.0\n"
                                     "2 2 0.0\n2 3 1.0\n3 3 2.0\n")
    scipy.io.mmwrite(d / "no_diag.mtx", sp.csr_matrix(np.array([[2.0, 1.0], [1.0, 0.0]])))
    scipy.io.mmwrite(d / "good.mtx", sp.csr_matrix(np.array([[2.0, -1.0], [-1.0, 2.0]])))
    scipy.io.mmwrite(d / "nonsym.mtx", sp.csr_matrix(np.array([[2.0, -1.0], [0.5, 2.0]])))
    np.save(d / "b3.npy", np.ones(3))
    np.save(d / "b2.npy", np.ones(2))
    (d / "b_nan.csv").write_text("1.0\nnan\n")
    (d / "ctx.csv").write_text("0.1\n0.2\n0.3\n")
    A = sp.csr_matrix(np.array([[2.0, -1.0], [-1.0, 2.0]]))
    data = np.tile(A.data, (4, 1))
    data[3, 0] = 0.0
    np.savez(d / "seq_zero.npz", indptr=A.indptr, indices=A.indices, data=data, b=np.ones((4, 2)))
    np.savez(d / "seq_missing.npz", indptr=A.indptr, indices=A.indices, data=np.tile(A.data, (4, 1)))
    np.savez(d / "seq_shape.npz", indptr=A.indptr, indices=A.indices, data=np.ones((4, 3)), b=np.ones((4, 2)))
    np.savez(d / "seq_ok.npz", indptr=A.indptr, indices=A.indices, data=np.tile(A.data, (4, 1)), b=np.ones((4, 2)))
    folder = d / "folder"
    folder.mkdir()
    shutil.copy(d / "good.mtx", folder / "A_1.mtx")
    np.save(folder / "b_1.npy", np.ones(2))
    np.save(folder / "b_2.npy", np.ones(2))
    (d / "empty").mkdir()
    np.save(d / "wrong_count.npy", np.ones((3, 2)))
    return d


@pytest.mark.parametrize("args,message", [
    (["--omega", "2.5"], "--omega: must lie strictly between 0 and 2"),
    (["--omega", "0"], "--omega: must lie strictly between 0 and 2"),
    (["--grid", "1:2:5", "--policy", "tsallis"], "--grid: must lie strictly between 0 and 2"),
    (["--grid", "1:1.9"], "--grid: expected LO:HI:N"),
    (["--grid", "1.5:1.2:4"], "--grid: needs LO < HI"),
    (["--policy", "chebcb", "--context-range", "1:0"], "--context-range: needs A < B"),
    (["--context-range", "x"], "--context-range: expected A:B"),
    (["--tol", "0"], "--tol: must be a positive number"),
    (["--max-iter", "0"], "Invalid value for '--max-iter'"),
    (["--policy", "newton"], "Invalid value for '--policy'"),
    (["--sweep", "backward"], "Invalid value for '--sweep'"),
    (["--out", "x.csv"], "unknown output type '.csv'"),
])
def test_bad_parameters(capsys, args, message):
    code, out, err = run(capsys, "solve", "sor", POISSON, "--rhs", POISSON_B, *args)
    assert code == 2 and message in err and out == ""
    assert "Traceback" not in err


@pytest.mark.parametrize("input,extra,message", [
    ("missing.mtx", ["--rhs", "b2.npy"], "missing.mtx: no such file"),
    ("good.mtx", [], "good.mtx: a single matrix needs its right-hand side: add --rhs"),
    ("rect.mtx", ["--rhs", "b2.npy"], "rect.mtx: the matrix is 2 x 3; SOR needs a square matrix"),
    ("zero_diag.mtx", ["--rhs", "b3.npy"], "zero_diag.mtx, row 1: the diagonal entry is zero"),
    ("no_diag.mtx", ["--rhs", "b2.npy"], "no_diag.mtx, row 1: no diagonal entry is stored"),
    ("good.mtx", ["--rhs", "b3.npy"], "b3.npy: the right-hand side has 3 entries but the matrix has n = 2 rows"),
    ("good.mtx", ["--rhs", "b_nan.csv"], "b_nan.csv, line 2"),
    ("seq_zero.npz", [], "seq_zero.npz, instance 3, row 0: the diagonal entry is zero"),
    ("seq_missing.npz", [], "seq_missing.npz: a sequence .npz needs arrays indptr, indices, data, b"),
    ("seq_shape.npz", [], "seq_shape.npz: data must be T x nnz with nnz = 4"),
    ("seq_ok.npz", ["--rhs", "b2.npy"], "b2.npy: --rhs is for a single matrix"),
    ("seq_ok.npz", ["--context", "ctx.csv"], "ctx.csv: 3 context values for 4 instances"),
    ("folder", [], "b_2.npy: no matching matrix A_2.mtx"),
    ("empty", [], "empty: no A_* matrix files"),
    ("nonsym.mtx", ["--rhs", "b2.npy", "--policy", "asymptotic"], "--policy: asymptotic needs symmetric matrices"),
    ("seq_ok.npz", ["--out", "seq_ok.npz"], "--out would overwrite an input file"),
    ("-", [], "SOR reads matrices from files"),
])
def test_bad_inputs(capsys, files, monkeypatch, input, extra, message):
    monkeypatch.chdir(files)
    code, out, err = run(capsys, "solve", "sor", input, *extra)
    assert code == 2 and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("args,message", [
    (["--family", "heat", "--n", "50"], "--n: must be a perfect square m^2"),
    (["--family", "heat", "--dt", "0"], "--dt: must be a positive time step"),
    (["--family", "heat", "--out", "heat.txt"], "unknown output type '.txt'"),
    (["--family", "fluid"], "Invalid value for '--family'"),
])
def test_bad_generate_options(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    if "--out" not in args:
        args = args + ["--out", "seq.npz"]
    code, _, err = run(capsys, "generate", "sor", *args)
    assert code == 2 and message in err, err


def test_check_rejects_mismatched_solutions(capsys, files, monkeypatch):
    monkeypatch.chdir(files)
    code, _, err = run(capsys, "check", "sor", "seq_ok.npz", "wrong_count.npy")
    assert code == 2 and "wrong_count.npy: 3 solutions for 4 systems" in err
    code, _, err = run(capsys, "check", "sor", "seq_ok.npz", "ctx.csv")
    assert code == 2 and "unknown solution file type '.csv'" in err


def test_generated_folder_round_trips(capsys, tmp_path):
    folder = tmp_path / "systems"
    code, _, _ = run(capsys, "generate", "sor", "--family", "shifted-laplacian", "--instances", "3", "--n", "16",
                     "--out", folder, "-q")
    assert code == 0 and sorted(p.name for p in folder.iterdir())[:2] == ["A_00001.mtx", "A_00002.mtx"]
    code, _, _ = run(capsys, "generate", "sor", "--family", "shifted-laplacian", "--instances", "2", "--n", "16",
                     "--out", tmp_path / "seq.npz", "--seed", "0", "-q")
    code, out, _ = run(capsys, "solve", "sor", folder, "--omega", "1.3", "-q")
    from_folder = json.loads(out)
    code, out, _ = run(capsys, "solve", "sor", tmp_path / "seq.npz", "--omega", "1.3", "-q")
    assert from_folder["instances"]["iterations"][:2] == json.loads(out)["instances"]["iterations"]
    assert from_folder["instances"]["context"] is not None
    code, _, err = run(capsys, "generate", "sor", "--family", "shifted-laplacian", "--instances", "3", "--n", "16",
                       "--out", folder)
    assert code == 2 and "already holds A_* files" in err
