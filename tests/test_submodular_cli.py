"""`optsuite solve|generate|check submodular` through the real console script on real files."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import naive_submodular as naive
from conftest import EXAMPLES
from files import write as _write

WINE = EXAMPLES / "submodular" / "wine.csv"
ZEN = EXAMPLES / "submodular" / "zen.jsonl"
OPS = EXAMPLES / "submodular" / "wine_ops.txt"


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wine():
    return np.loadtxt(WINE, delimiter=",", skiprows=2)


def test_solve_the_wine_example(optsuite):
    before = sha(WINE)
    r = optsuite("solve", "submodular", WINE, "--k", "5")
    assert r.returncode == 0, r
    res = r.json()
    for key in ("problem", "input", "function", "algorithm", "k", "n", "objective", "selected", "gains", "iterations",
                "counters", "status", "message", "timings", "cpu_timings", "environment"):
        assert key in res, key
    assert res["algorithm"] == "lazy" and res["n"] == 178 and res["status"] == "converged"
    assert "max_ab D2_ab - D2_ij" in res["function"]["formula"] and res["function"]["metric"] == "euclidean"
    S = naive.similarity(_wine(), "euclidean")
    assert res["objective"] == pytest.approx(naive.facility_location(S, res["selected"]), rel=1e-9)
    picks, _ = naive.greedy(lambda s: naive.facility_location(S, s), 178, 5)
    assert res["selected"] == picks
    assert res["counters"]["singleton_calls"] == 178 and res["counters"]["oracle_calls"] > 0
    for phase in ("read", "compile", "similarity", "singletons", "select", "solve", "write", "total"):
        assert res["timings"][phase] >= 0, phase
    assert "submodular lazy: n=178 k=5" in r.stderr and "oracle calls" in r.stderr
    assert sha(WINE) == before


@pytest.mark.parametrize("args", [
    ["--algorithm", "stochastic", "--eps", "0.2", "--seed", "3", "--metric", "rbf", "--gamma", "0.5"],
    ["--algorithm", "sieve", "--knn", "10", "--metric", "cosine", "--threads", "1"],
])
def test_algorithms_and_similarities_run_and_check(optsuite, tmp_path, args):
    out = tmp_path / "sol.json"
    r = optsuite("solve", "submodular", WINE, "--k", "4", "--out", out, "-q", *args)
    assert r.returncode == 0 and r.stdout == "", r
    res = json.loads(out.read_text())
    assert len(res["selected"]) <= 4 and res["algorithm"] == args[1]
    r = optsuite("check", "submodular", WINE, out)
    assert r.returncode == 0 and r.json()["valid"], r


def test_csv_output_stdin_precomputed_and_feature_based(optsuite, tmp_path):
    r = optsuite("solve", "submodular", "-", "--k", "3", "-q", "--out", tmp_path / "sel.csv", input=WINE.read_text())
    assert r.returncode == 0, r
    lines = (tmp_path / "sel.csv").read_text().splitlines()
    assert lines[0] == "rank,id,gain" and len(lines) == 4
    S = naive.similarity(_wine(), "euclidean")
    np.save(tmp_path / "S.npy", S)
    r = optsuite("solve", "submodular", tmp_path / "S.npy", "--metric", "precomputed", "--k", "3", "-q")
    assert r.returncode == 0 and r.json()["selected"] == [int(v.split(",")[1]) for v in lines[1:]], r
    X = np.abs(_wine())
    np.save(tmp_path / "X.npy", X)
    r = optsuite("solve", "submodular", tmp_path / "X.npy", "--objective", "feature-based", "--concave", "log1p",
                 "--k", "3", "-q")
    res = r.json()
    assert r.returncode == 0 and res["objective"] == pytest.approx(naive.feature_based(X, res["selected"], "log1p"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S.npy", "X.npy", "sel.csv"]  # no temp files left


def test_coverage_with_item_weights(optsuite, tmp_path):
    r = optsuite("solve", "submodular", ZEN, "--objective", "coverage", "--k", "2", "--item-weights",
                 EXAMPLES / "submodular" / "zen_weights.csv", "-q")
    assert r.returncode == 0, r
    res = r.json()
    sets = {json.loads(l)["id"]: json.loads(l)["items"] for l in ZEN.read_text().splitlines()}
    weights = dict(l.split(",") for l in (EXAMPLES / "submodular" / "zen_weights.csv").read_text().split()[1:])
    covered = set().union(*(sets[i] for i in res["selected"]))
    assert res["objective"] == sum(float(weights[w]) for w in covered)
    assert all(i in sets for i in res["selected"])  # ids are the sets' "id" fields


def test_stream_trace_summary_and_check(optsuite, tmp_path):
    trace, out = tmp_path / "trace.jsonl", tmp_path / "sol.json"
    r = optsuite("solve", "submodular", WINE, "--k", "4", "--stream", OPS, "--trace", trace, "--baseline-every", "50",
                 "--out", out)
    assert r.returncode == 0, r
    res = json.loads(out.read_text())
    assert res["algorithm"] == "dynamic" and res["eps"] == 0.2
    lines = [json.loads(l) for l in trace.read_text().splitlines()]
    ops = [l.split() for l in OPS.read_text().splitlines() if not l.startswith("#")]
    assert len(lines) == len(ops) == res["stream"]["updates"]
    assert [(l["op"], l["id"]) for l in lines] == [(o, int(i)) for o, i in ops]
    assert sum(l["calls"] for l in lines) == res["counters"]["oracle_calls"]
    assert lines[-1]["value"] == pytest.approx(res["objective"]) and lines[-1]["size"] == len(res["selected"])
    assert [l["t"] for l in lines if "ratio" in l] == [50, 100, 150, 200, 231]
    for key in ("mean", "p50", "p99", "max"):
        assert key in res["stream"]["calls_per_update"]
    assert 0 < res["stream"]["baseline"]["ratio_min"] <= res["stream"]["baseline"]["ratio_mean"] <= 1
    assert "calls per update mean" in r.stderr and "value / greedy mean" in r.stderr
    r = optsuite("check", "submodular", WINE, out, "--stream", OPS, "-q")
    assert r.returncode == 0 and r.json()["valid"], r
    r = optsuite("solve", "submodular", WINE, "--k", "4", "--stream", OPS, "--algorithm", "dynamic-greedy",
                 "--baseline-every", "0", "-q")
    assert r.returncode == 0 and "baseline" not in r.json()["stream"], r


def test_float32_similarity_solves_checks_and_records_its_dtype(optsuite, tmp_path):
    out = tmp_path / "sol.json"
    r = optsuite("solve", "submodular", WINE, "--k", "5", "--dtype", "float32", "--out", out, "-q")
    assert r.returncode == 0, r
    res = json.loads(out.read_text())
    assert res["function"]["dtype"] == "float32" and res["function"]["storage"] == "dense"
    S = naive.similarity(_wine(), "euclidean")
    # f of the float32 similarity, summed in float64: within float32 rounding of f on the float64 one
    assert res["objective"] == pytest.approx(naive.facility_location(S, res["selected"]), rel=1e-6)
    r64 = optsuite("solve", "submodular", WINE, "--k", "5", "-q").json()
    assert r64["function"]["dtype"] == "float64"
    assert res["objective"] == pytest.approx(r64["objective"], rel=1e-5)
    r = optsuite("check", "submodular", WINE, out, "-q")  # recomputed with the solution's dtype
    assert r.returncode == 0 and r.json()["valid"] and r.json()["function"]["dtype"] == "float32", r
    np.save(tmp_path / "S.npy", S)
    r = optsuite("solve", "submodular", tmp_path / "S.npy", "--metric", "precomputed", "--dtype", "float32", "--k",
                 "5", "-q")
    assert r.returncode == 0 and r.json()["function"]["dtype"] == "float32", r
    S32 = S.astype(np.float32)
    assert r.json()["objective"] == pytest.approx(naive.facility_location(S32, r.json()["selected"]), rel=1e-12)
    r = optsuite("solve", "submodular", WINE, "--k", "4", "--stream", OPS, "--algorithm", "dynamic-greedy",
                 "--dtype", "float32", "--baseline-every", "50", "-q")
    assert r.returncode == 0 and r.json()["function"]["dtype"] == "float32", r
    assert r.json()["stream"]["baseline"]["ratio_min"] == pytest.approx(1.0, rel=1e-12)  # exact greedy
    r = optsuite("solve", "submodular", "--help")
    assert "--dtype" in r.stdout and "float32" in r.stdout


def test_float32_with_a_sparse_similarity_exits_2(optsuite, tmp_path):
    import scipy.sparse as sp

    sp.save_npz(tmp_path / "S.npz", sp.csr_matrix(np.eye(4)))
    r = optsuite("solve", "submodular", tmp_path / "S.npz", "--metric", "precomputed", "--dtype", "float32",
                 "--k", "1")
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr, r
    assert "--dtype: float32 storage is for a dense similarity only" in r.stderr


def test_check_catches_a_tampered_solution(optsuite, tmp_path):
    out = tmp_path / "sol.json"
    assert optsuite("solve", "submodular", WINE, "--k", "3", "--out", out, "-q").returncode == 0
    sol = json.loads(out.read_text())
    sol["objective"] *= 1.01
    sol["selected"] = sol["selected"] + [sol["selected"][0], 999]
    out.write_text(json.dumps(sol))
    r = optsuite("check", "submodular", WINE, out)
    assert r.returncode == 3, r
    failed = {c["check"] for c in r.json()["checks"] if not c["ok"]}
    assert failed == {"ids exist", "ids distinct", "at most k elements"}
    sol["selected"] = sol["selected"][:3]
    out.write_text(json.dumps(sol))
    r = optsuite("check", "submodular", WINE, out, "--stream", OPS)
    assert r.returncode == 3 and {c["check"] for c in r.json()["checks"] if not c["ok"]} >= {"objective"}, r


def test_generate_points_and_streams(optsuite, tmp_path):
    r = optsuite("generate", "submodular", "--n", "300", "--d", "3", "--seed", "2", "--out", tmp_path / "p.csv",
                 "--stream", "largest-first", "--stream-out", tmp_path / "ops.txt")
    assert r.returncode == 0, r
    X = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1)
    assert X.shape == (300, 3) and (X >= 0).all()
    ops = [l.split() for l in (tmp_path / "ops.txt").read_text().splitlines() if not l.startswith("#")]
    assert sum(o == "+" for o, _ in ops) == 300 and sum(o == "-" for o, _ in ops) == 90
    single = naive.similarity(X, "euclidean").sum(axis=1)
    live = set()
    for o, i in ops:
        i = int(i)
        if o == "-":
            assert single[i] == max(single[j] for j in live)
        live.add(i) if o == "+" else live.discard(i)
    r = optsuite("generate", "submodular", "--n", "40", "--stream", "window", "--stream-out", tmp_path / "w.txt")
    assert r.returncode == 0 and r.stdout == "" and (tmp_path / "w.txt").exists()
    r = optsuite("generate", "submodular", "--n", "40", "--d", "2")
    assert r.returncode == 0 and r.stdout.startswith("x0,x1\n") and len(r.stdout.splitlines()) == 41


# Malformed files are tested one by one at the API level (test_submodular_io.py); here, one per error
# class through the console script: exit code 2, one line naming the file and line, no traceback.
def test_malformed_stream_and_input_exit_2_with_one_line(optsuite, tmp_path):
    data = _write(tmp_path, "p.csv", "1,2\n3,4\n5,6\n7,8\n")
    for args, message in [
        ([data, "--stream", _write(tmp_path, "ops.txt", "+ 1\n+ 2\n+ 1\n")],
         "ops.txt, line 3: cannot insert id 1: it is already live"),
        ([_write(tmp_path, "neg.npy", np.array([[1.0, -0.5], [0.0, 1.0]])), "--metric", "precomputed"],
         "neg.npy, entry (row 0, column 1), 0-based: value -0.5 is negative"),
        ([_write(tmp_path, "s.jsonl", '{"id": 1, "items": [1]}\n{"id": 1, "items": [2]}\n'), "--objective",
          "coverage"], "s.jsonl, line 2, id: duplicate id 1 (first on line 1)"),
    ]:
        r = optsuite("solve", "submodular", *args, "--k", "1")
        assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr, r
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("optsuite: error: ") and message in lines[0], r


BAD_PARAMS = [
    (["--k", "5"], "--k: must be at most the number of elements n = 4; got 5"),
    (["--k", "1", "--algorithm", "dynamic"], "--stream: --algorithm dynamic maintains a solution under updates"),
    (["--k", "1", "--stream", "{t}/ops.txt", "--algorithm", "lazy"], "--algorithm: lazy is static"),
    (["--k", "1", "--trace", "{t}/t.jsonl"], "--trace: a trace records the updates of a --stream"),
    (["--k", "1", "--knn", "9"], "--knn: must be an integer between 1 and the number of points n = 4; got 9"),
    (["--k", "1", "--knn", "2", "--metric", "precomputed"], "--knn: builds a sparse similarity from features"),
    (["--k", "1", "--gamma", "2"], "--gamma: is the width of --metric rbf only"),
    (["--k", "1", "--objective", "feature-based", "--metric", "cosine"], "--metric: applies to facility-location only"),
    (["--k", "1", "--item-weights", "{t}/ops.txt"], "--item-weights is only for --objective coverage"),
    (["--k", "1", "--eps", "1"], "--eps: must be a number in [1e-06, 1); got 1"),
    (["--k", "1", "--eps", "1e-300", "--algorithm", "sieve"], "--eps: must be a number in [1e-06, 1); got 1e-300"),
    (["--k", "1", "--dtype", "float32", "--knn", "2"],
     "--dtype: float32 stores a dense facility-location similarity; a --knn similarity is sparse"),
    (["--k", "1", "--dtype", "float32", "--objective", "feature-based"],
     "--dtype: float32 stores a dense facility-location similarity; feature-based is stored as float64"),
    (["--k", "1", "--dtype", "float32", "--objective", "coverage"],
     "--dtype: float32 stores a dense facility-location similarity; coverage is stored as float64"),
    (["--k", "1", "--out", "{t}/out.txt"], "out.txt: unknown output type '.txt'"),
    (["--k", "1", "--out", "{t}/p.csv"], "--out would overwrite an input file"),
    (["--k", "1", "--stream", "{t}/missing.txt"], "missing.txt: no such file"),
]


@pytest.mark.parametrize("args,message", BAD_PARAMS,
                         ids=[b[1].split(":")[0] + str(i) for i, b in enumerate(BAD_PARAMS)])
def test_invalid_parameters(optsuite, tmp_path, args, message):
    data = _write(tmp_path, "p.csv", "1,2\n3,4\n5,6\n7,8\n")
    _write(tmp_path, "ops.txt", "+ 1\n")
    r = optsuite("solve", "submodular", data, *[a.replace("{t}", str(tmp_path)) for a in args])
    assert r.returncode == 2, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r
    assert data.read_text() == "1,2\n3,4\n5,6\n7,8\n"


@pytest.mark.parametrize("args", [["--k", "0"], ["--k", "1", "--algorithm", "fast"], ["--k", "1", "--eps", "-1"],
                                  ["--k", "1", "--metric", "manhattan"], ["--k", "1", "--baseline-every", "-2"],
                                  ["--k", "1", "--dtype", "float16"], []])
def test_usage_errors_exit_2(optsuite, tmp_path, args):
    r = optsuite("solve", "submodular", _write(tmp_path, "p.csv", "1,2\n3,4\n"), *args)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_generate_and_check_parameter_errors(optsuite, tmp_path):
    r = optsuite("generate", "submodular", "--n", "10", "--stream", "random")
    assert r.returncode == 2 and "--stream-out" in r.stderr
    r = optsuite("generate", "submodular", "--n", "10", "--stream", "largest-first", "--stream-out", tmp_path / "o.txt")
    assert r.returncode == 2 and "--out: a largest-first stream ranks the generated points" in r.stderr
    (tmp_path / "x.json").write_text('{"foo": 1}')
    r = optsuite("check", "submodular", WINE, tmp_path / "x.json")
    assert r.returncode == 2 and "not a submodular solution" in r.stderr


def test_a_dense_similarity_too_large_for_memory_is_refused(optsuite, tmp_path):
    """60 000 points need a 27 GiB dense similarity: refused before any work, with --knn suggested."""
    np.save(tmp_path / "X.npy", np.random.default_rng(0).random((60_000, 2)))
    r = optsuite("solve", "submodular", tmp_path / "X.npy", "--k", "2")
    assert r.returncode == 2 and "use --knn K" in r.stderr and "GiB" in r.stderr, r


def test_float32_similarity_out_of_float32_range_is_refused(optsuite, tmp_path):
    """Points at 1e20 square to 1e40, past float32's 3.4e38: the float32 similarity was all inf and the
    result null, reported as success. At 1e-30 the squares are subnormal. Both: exit 2 naming --dtype."""
    rng = np.random.default_rng(0)
    for scale in (1e20, 1e-30):
        path = tmp_path / f"p{scale:g}.csv"
        np.savetxt(path, rng.random((5, 2)) * scale, delimiter=",")
        r = optsuite("solve", "submodular", path, "--k", "2", "--dtype", "float32")
        assert r.returncode == 2 and "--dtype: the largest squared distance is" in r.stderr, r
        assert optsuite("solve", "submodular", path, "--k", "2", "-q").returncode == 0



def test_check_uses_the_item_weights_the_solution_records(optsuite, tmp_path):
    """solve --item-weights then check (the README's chain) recomputed f with weights 1 and exited 3."""
    sets = tmp_path / "sets.jsonl"
    sets.write_text('{"id": 0, "items": [1, 2]}\n{"id": 1, "items": [3]}\n{"id": 2, "items": [1, 4, 5]}\n')
    weights = tmp_path / "w.csv"
    weights.write_text("item,weight\n1,5\n2,1\n3,10\n4,1\n5,1\n")
    sol = tmp_path / "sol.json"
    r = optsuite("solve", "submodular", sets, "--objective", "coverage", "--item-weights", weights, "--k", "2",
                 "--out", sol, "-q")
    assert r.returncode == 0 and json.loads(sol.read_text())["objective"] == 17.0
    r = optsuite("check", "submodular", sets, sol, "-q")
    assert r.returncode == 0 and r.json()["valid"], r
