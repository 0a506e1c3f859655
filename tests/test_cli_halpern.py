"""`optsuite solve|generate|check halpern`: happy paths through the real console script, every error class
and malformed file in-process (exit codes and one-line messages)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from optsuite.cli.main import main


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("halpern")
    from optsuite.problems import halpern as problem_io

    for name, family, kw in [("game.npz", "matrix-game", {"components": 6, "dim": 10}),
                             ("pb.npz", "matrix-game", {"game": "policeman", "components": 20, "dim": 20}),
                             ("lsq.npz", "least-squares", {"components": 30, "dim": 5}),
                             ("quad.npz", "quadratic", {"components": 8, "dim": 4})]:
        arrays, meta, _ = problem_io.generate(family, seed=3, **kw)
        problem_io.write(folder / name, family, arrays, **meta)
    return folder


def test_generate_solve_check_through_the_console_script(optsuite, tmp_path):
    game = tmp_path / "game.npz"
    r = optsuite("generate", "halpern", "--family", "matrix-game", "--components", "8", "--dim", "12", "--out", game)
    assert r.returncode == 0 and game.exists() and r.stdout == ""
    before = sha(game)
    sol = tmp_path / "sol.json"
    r = optsuite("solve", "halpern", game, "--tol", "1e-8", "--max-oracle", "5000", "--out", sol)
    assert r.returncode == 0, r
    res = json.loads(sol.read_text())
    for key in ("problem", "family", "variant", "method", "restart", "status", "objective", "residual",
                "opnorm_at_zbar", "gap", "value_bounds", "solution", "counters", "params", "history", "timings",
                "environment", "seed", "cpu_timings"):
        assert key in res, key
    assert res["method"] == "vr-inexact" and res["restart"] == "adaptive" and res["status"] == "converged"
    assert res["residual"] <= 1e-8 and len(res["solution"]["x"]) == 12 and len(res["solution"]["y"]) == 12
    for phase in ("read", "compile", "constants", "iterations", "certificate", "solve", "write", "total"):
        assert res["timings"][phase] >= 0, phase
    assert res["counters"]["epochs"] == res["history"][-1][0]
    assert "halpern vr-inexact (restart adaptive): matrix-game n=8 d=24: converged" in r.stderr
    r = optsuite("check", "halpern", game, sol)
    assert r.returncode == 0 and r.json()["valid"] and "solution is valid" in r.stderr
    assert sha(game) == before  # inputs are never modified


def test_not_converged_writes_the_result_and_exits_3(optsuite, files, tmp_path):
    out = tmp_path / "sol.npz"
    r = optsuite("solve", "halpern", files / "pb.npz", "--variant", "eag", "--max-oracle", "20", "--out", out, "-q")
    assert r.returncode == 3 and r.stderr == ""
    with np.load(out) as z:
        meta = json.loads(str(z["meta"]))
        assert meta["status"] == "max_oracle" and meta["counters"]["epochs"] <= 20
        assert z["x"].shape == (20,) and z["history"].shape[1] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sol.npz"]  # no temporary files left
    r = optsuite("check", "halpern", files / "pb.npz", out, "--tol", "1")  # .npz solutions check too
    assert r.returncode == 0 and r.json()["valid"]


def test_json_on_stdout_and_check_exit_codes(capsys, files, tmp_path):
    code, out, err = run(capsys, "solve", "halpern", files / "lsq.npz", "--variant", "vr-halpern", "--seed", "4",
                         "--tol", "1e-9", "--max-oracle", "20000", "-q")
    assert code == 0 and err == ""
    res = json.loads(out)
    assert res["method"] == "vr-halpern" and res["params"]["batch"] == 6 and res["seed"] == 4
    sol = tmp_path / "sol.json"
    sol.write_text(out)
    code, out, _ = run(capsys, "check", "halpern", files / "lsq.npz", sol)
    assert code == 0 and json.loads(out)["valid"]
    res["residual"] = 1e-20  # a solution that misreports its residual fails the check
    res["solution"]["x"][0] += 0.1
    sol.write_text(json.dumps(res))
    code, out, err = run(capsys, "check", "halpern", files / "lsq.npz", sol)
    report = json.loads(out)
    assert code == 3 and not report["valid"] and "solution fails: residual, reported residual" in err


def test_generate_truth_passes_check(capsys, tmp_path):
    problem, truth = tmp_path / "quad.npz", tmp_path / "truth.json"
    code, _, _ = run(capsys, "generate", "halpern", "--family", "quadratic", "--dim", "5", "--components", "7",
                     "--constraint", "free", "--out", problem, "--truth", truth)
    assert code == 0
    code, out, _ = run(capsys, "check", "halpern", problem, truth, "--tol", "1e-12")
    assert code == 0 and json.loads(out)["residual"] < 1e-12


@pytest.mark.parametrize("args,message", [
    (["--variant", "vr-halpern"], "--variant: vr-halpern needs a cocoercive operator"),
    (["--variant", "eg", "--restart", "adaptive"], "--restart: adaptive restart re-anchors"),
    (["--step", "0"], "--step: must be a positive number"),
    (["--variant", "halpern", "--step", "1.2"], "--step: deterministic halpern on a monotone problem"),
    (["--variant", "vr-halpern", "--force", "--batch", "7"], "--batch: must be an integer between 1"),
    (["--variant", "vr-inexact", "--inner-step", "0"], "--inner-step: must be a positive number"),
    (["--variant", "vr-inexact", "--inner-iters", "0"], "--inner-iters: must be a positive number"),
    (["--out", "sol.txt"], "unknown output type '.txt'"),
    (["--tol", "-1"], "Invalid value for '--tol'"),
    (["--max-oracle", "0.5"], "Invalid value for '--max-oracle'"),
    (["--batch", "0"], "Invalid value for '--batch'"),
    (["--seed", "-1"], "Invalid value for '--seed'"),
    (["--variant", "newton"], "Invalid value for '--variant'"),
])
def test_bad_parameters(capsys, files, args, message):
    code, out, err = run(capsys, "solve", "halpern", files / "game.npz", *args)
    assert code == 2 and out == "" and message in err
    assert "Traceback" not in err


def test_refuses_to_overwrite_its_input(capsys, files):
    code, _, err = run(capsys, "solve", "halpern", files / "game.npz", "--out", files / "game.npz")
    assert code == 2 and "--out would overwrite an input file" in err


def _write(path, meta, **arrays):
    np.savez(path, **({"meta": np.array(json.dumps(meta))} if meta is not None else {}), **arrays)
    return path


GAME = {"format": "optsuite-halpern/1", "family": "matrix-game"}
A3 = np.ones((2, 3, 3))


@pytest.mark.parametrize("meta,arrays,message", [
    (None, {"A": A3}, "meta: no 'meta' array"),
    ("not json", {"A": A3}, "'meta' is not valid JSON"),
    ({"family": "poker"}, {"A": A3}, "meta.family: family must be one of"),
    ({**GAME, "format": "optsuite-halpern/9"}, {"A": A3}, "meta.format: unsupported format"),
    (GAME, {}, "A: a matrix-game problem needs the array 'A'"),
    (GAME, {"A": A3, "B": A3}, "B: unexpected array(s) B for a matrix-game problem"),
    ({**GAME, "colour": "red"}, {"A": A3}, "meta: unknown key(s) colour"),
    (GAME, {"A": np.ones((3, 3))}, "A: must be a 3-D array"),
    ({**GAME, "split": "rows"}, {"A": np.array([[1.0, np.nan]])}, "A: must be finite; entry [0, 1] is nan"),
    ({**GAME, "split": "diagonal"}, {"A": np.ones((3, 3))}, "meta.split: must be one of"),
    ({**GAME, "x_set": "free"}, {"A": A3}, "meta.x_set: a matrix game plays mixed strategies"),
    ({"family": "least-squares", "x_set": {"type": "box", "lo": 2, "hi": 1}}, {"A": np.ones((3, 2)), "b": np.ones(3)},
     "meta.x_set: empty box: lo[0] = 2.0 > hi[0] = 1.0"),
    ({"family": "least-squares"}, {"A": np.ones((3, 2)), "b": np.ones(4)}, "b: has shape (4,), expected (3,)"),
    ({"family": "quadratic"}, {"Q": -np.ones((1, 2, 2)), "B": np.ones((1, 2, 1)), "R": np.ones((1, 1, 1))},
     "Q: the mean of Q must be positive semidefinite"),
    ({"family": "affine"}, {"M": -np.eye(3)[None]}, "M: F is not monotone"),
    ({"family": "affine"}, {"M": np.ones((1, 2, 2)), "q": np.ones((2, 2))}, "q: has shape (2, 2), expected (1, 2)"),
])
def test_malformed_problem_files(capsys, tmp_path, meta, arrays, message):
    path = tmp_path / "bad.npz"
    if meta == "not json":
        np.savez(path, meta=np.array("{oops"), **arrays)
    else:
        _write(path, meta, **arrays)
    code, out, err = run(capsys, "solve", "halpern", path)
    assert code == 2 and out == ""
    assert err.startswith(f"optsuite: error: {path}, ") and message in err, err
    assert err.count("\n") == 1


@pytest.mark.parametrize("name,content,message", [
    ("p.npz", None, "no such file"),
    ("p.npz", b"hello", "not an .npz archive of numpy arrays"),
    ("p.npz", b"PK\x03\x04broken", "not a readable .npz file"),
    ("p.csv", b"1,2\n3,4\n", "a halpern problem is an .npz file"),
])
def test_unreadable_problem_files(capsys, tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code, _, err = run(capsys, "solve", "halpern", path)
    assert code == 2 and message in err


@pytest.mark.parametrize("solution,message", [
    ({"status": "converged"}, "solution: not a halpern solution"),
    ({"solution": {"x": [0.5] * 10}}, "solution.y: 'solution' has no 'y'"),
    ({"solution": {"x": [0.5] * 9, "y": [0.1] * 10}}, "solution.x: has 9 entries, the problem needs 10"),
    ({"solution": {"x": ["a"] * 10, "y": [0.1] * 10}}, "solution.x: must be a list of numbers"),
])
def test_malformed_solution_files(capsys, files, tmp_path, solution, message):
    path = tmp_path / "sol.json"
    path.write_text(json.dumps(solution))
    code, _, err = run(capsys, "check", "halpern", files / "game.npz", path)
    assert code == 2 and message in err


@pytest.mark.parametrize("args,message", [
    (["--game", "policeman", "--dim", "20", "--components", "5"], "--components: a matrix split by rows or columns"),
    (["--family", "matrix-game", "--truth", "t.json"], "--truth: a game's solution is not known"),
    (["--game", "policeman", "--split", "components"], "--split: the policeman game is one matrix"),
    (["--game", "policeman", "--split", "components", "--components", "2"], "--split: the policeman game is one"),
    (["--out", "p.csv"], "unknown output type '.csv'"),
    (["--family", "sudoku"], "Invalid value for '--family'"),
])
def test_bad_generate_options(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    out = [] if "--out" in args else ["--out", "p.npz"]
    code, _, err = run(capsys, "generate", "halpern", *args, *out)
    assert code == 2 and message in err


def test_help_teaches_and_ends_with_examples(capsys):
    for command in (["solve", "halpern"], ["generate", "halpern"], ["check", "halpern"]):
        code, out, _ = run(capsys, *command, "--help")
        assert code == 0 and "Examples" in out and "optsuite " in out.split("Examples")[-1]
    code, out, _ = run(capsys, "solve", "halpern", "--help")
    for word in ("vr-halpern", "vr-inexact", "--restart", "--max-oracle", "tangent space", "epoch"):
        assert word in out, word


def test_auto_takes_deterministic_halpern_below_eight_components_and_refuses_extreme_scales(capsys, tmp_path):
    """vr-inexact stalls with few components (a 3 x 3 game in 2 components ended at residual 9e-2): auto
    runs deterministic halpern there. Entries beyond 1e75 (fourth powers overflow in the constants) and
    ball radii beyond [1e-75, 1e75] are input errors, not internal errors or a false 'diverged'."""
    from optsuite.problems.halpern import write

    game = tmp_path / "g2.npz"
    code, _, _ = run(capsys, "generate", "halpern", "--family", "matrix-game", "--dim", "3", "--components", "2",
                     "--seed", "0", "--out", game)
    assert code == 0
    code, out, _ = run(capsys, "solve", "halpern", game, "-q")
    assert json.loads(out)["method"] == "halpern-ppa" and json.loads(out)["residual"] < 1e-4
    write(tmp_path / "big.npz", "least-squares", {"A": np.eye(2) * 1e80, "b": np.ones(2) * 1e80})
    code, out, err = run(capsys, "solve", "halpern", tmp_path / "big.npz")
    assert code == 2 and "the largest |entry| of 'A' is 1e+80" in err
    A, b = np.array([[1.0, 2], [3, 4], [5, 7]]), np.array([1.0, 2, 3])
    write(tmp_path / "ball.npz", "least-squares", {"A": A, "b": b}, x_set={"type": "ball", "radius": 1e-200})
    code, out, err = run(capsys, "solve", "halpern", tmp_path / "ball.npz")
    assert code == 2 and "radius must be a number between 1e-75 and 1e+75" in err
