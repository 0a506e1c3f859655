"""`optsuite solve|generate|check kmedoids` through the real console script on real files."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import naive


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def blobs(tmp_path_factory):
    from optsuite.problems.kmedoids import generate

    folder = tmp_path_factory.mktemp("blobs")
    X, labels, _ = generate(200, 3, 4, seed=1)
    path = folder / "blobs.csv"
    path.write_text("a,b,c\n" + "\n".join(",".join(f"{v:.6f}" for v in row) for row in X) + "\n")
    return path


def test_solve_digits_example(optsuite, digits_csv):
    before = sha(digits_csv)
    r = optsuite("solve", "kmedoids", digits_csv, "--k", "10")
    assert r.returncode == 0, r
    res = r.json()
    for key in ("problem", "method", "init", "k", "n", "status", "objective", "medoids", "labels", "iterations",
                "counters", "timings", "environment", "seed"):
        assert key in res, key
    assert res["problem"] == "kmedoids" and res["n"] == 1797 and res["k"] == 10 and res["status"] == "converged"
    assert len(res["medoids"]) == 10 and len(res["labels"]) == 1797 and "swaps" in res["counters"]
    for phase in ("read", "compile", "solve", "write", "total"):
        assert res["timings"][phase] >= 0
    assert res["environment"]["numba"] and res["environment"]["cpu"]
    assert "kmedoids fasterpam: n=1797 k=10" in r.stderr
    X = np.loadtxt(digits_csv, delimiter=",", skiprows=1)
    D = naive.pairwise(X, "euclidean")
    assert res["objective"] == pytest.approx(naive.total_deviation(D, res["medoids"]), rel=1e-9)
    assert sha(digits_csv) == before  # inputs are never modified


def test_stdin_and_output_formats(optsuite, blobs, tmp_path):
    r = optsuite("solve", "kmedoids", "-", "--k", "4", "-q", input=blobs.read_text())
    assert r.returncode == 0 and r.stderr == ""
    from_stdin = r.json()
    r = optsuite("solve", "kmedoids", blobs, "--k", "4", "--out", tmp_path / "labels.csv", "-q")
    assert r.returncode == 0 and r.stdout == ""
    labels = [int(v) for v in (tmp_path / "labels.csv").read_text().split()]
    assert labels == from_stdin["labels"]
    r = optsuite("solve", "kmedoids", blobs, "--k", "4", "--out", tmp_path / "res.json", "-q")
    assert json.loads((tmp_path / "res.json").read_text())["medoids"] == from_stdin["medoids"]
    r = optsuite("solve", "kmedoids", blobs, "--k", "4", "--out", tmp_path / "res.npz", "-q")
    with np.load(tmp_path / "res.npz") as z:
        assert z["medoids"].tolist() == from_stdin["medoids"]
        assert json.loads(str(z["meta"]))["objective"] == from_stdin["objective"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv", "res.json", "res.npz"]  # no temp files


@pytest.mark.parametrize("args", [
    ["--method", "fastpam1", "--init", "build"],
    ["--method", "pam", "--init", "lab"],
    ["--method", "alternate"],
    ["--method", "clara", "--clara-samples", "3", "--clara-size", "60"],
    ["--method", "clarans", "--clarans-variant", "classic", "--clarans-local", "1"],
    ["--metric", "manhattan", "--dtype", "float32", "--shuffle", "--seed", "3"],
    ["--metric", "cosine", "--threads", "1"],
])
def test_methods_and_options_run_and_check(optsuite, blobs, tmp_path, args):
    out = tmp_path / "sol.json"
    r = optsuite("solve", "kmedoids", blobs, "--k", "4", "--out", out, "-q", *args)
    assert r.returncode == 0, r
    metric = args[args.index("--metric") + 1] if "--metric" in args else "euclidean"
    r = optsuite("check", "kmedoids", blobs, out, "-q")
    assert r.returncode == 0, r
    report = r.json()
    assert report["valid"] and report["metric"] == metric and all(c["ok"] for c in report["checks"])


def test_weights_and_init_medoids(optsuite, blobs, tmp_path):
    w = tmp_path / "w.csv"
    w.write_text("\n".join(["1"] * 100 + ["3"] * 100) + "\n")
    init = tmp_path / "init.csv"
    init.write_text("0\n50\n100\n150\n")
    r = optsuite("solve", "kmedoids", blobs, "--k", "4", "--weights", w, "--init-medoids", init,
                 "--out", tmp_path / "sol.json", "-q")
    assert r.returncode == 0, r
    res = json.loads((tmp_path / "sol.json").read_text())
    assert res["init"] == "given"
    X = np.loadtxt(blobs, delimiter=",", skiprows=1)
    weights = np.array([1.0] * 100 + [3.0] * 100)
    assert res["objective"] == pytest.approx(naive.total_deviation(naive.pairwise(X, "euclidean"), res["medoids"],
                                                                   weights), rel=1e-9)
    assert optsuite("check", "kmedoids", blobs, tmp_path / "sol.json", "--weights", w).returncode == 0
    assert optsuite("check", "kmedoids", blobs, tmp_path / "sol.json").returncode == 3  # objective mismatch


def test_check_catches_a_tampered_solution(optsuite, blobs, tmp_path):
    out = tmp_path / "sol.json"
    assert optsuite("solve", "kmedoids", blobs, "--k", "4", "--out", out, "-q").returncode == 0
    sol = json.loads(out.read_text())
    sol["labels"] = [(v + 1) % 4 for v in sol["labels"]]
    out.write_text(json.dumps(sol))
    r = optsuite("check", "kmedoids", blobs, out)
    assert r.returncode == 3
    failed = {c["check"] for c in r.json()["checks"] if not c["ok"]}
    assert failed == {"labels are nearest medoids", "medoids in their own clusters"}
    assert "solution fails" in r.stderr


def test_not_converged_writes_the_result_and_exits_3(optsuite, blobs, tmp_path):
    out = tmp_path / "sol.json"
    r = optsuite("solve", "kmedoids", blobs, "--k", "8", "--method", "pam", "--max-iter", "1", "--out", out)
    assert r.returncode == 3, r
    assert json.loads(out.read_text())["status"] == "max_iter"


def test_precomputed_matrix(optsuite, tmp_path):
    D = naive.pairwise(np.random.default_rng(0).normal(size=(30, 2)), "euclidean")
    np.savetxt(tmp_path / "D.csv", D, delimiter=",")
    r = optsuite("solve", "kmedoids", tmp_path / "D.csv", "--metric", "precomputed", "--k", "3", "-q")
    assert r.returncode == 0, r
    assert r.json()["objective"] == pytest.approx(naive.total_deviation(D, r.json()["medoids"]), rel=1e-9)


def test_generate_pipeline_and_truth(optsuite, tmp_path):
    r = optsuite("generate", "kmedoids", "--n", "120", "--d", "2", "--centers", "3", "--seed", "4",
                 "--truth", tmp_path / "truth.csv")
    assert r.returncode == 0 and r.stdout.startswith("x0,x1\n")
    assert len((tmp_path / "truth.csv").read_text().split()) == 120
    r2 = optsuite("solve", "kmedoids", "-", "--k", "3", "-q", input=r.stdout)
    assert r2.returncode == 0 and r2.json()["n"] == 120
    assert optsuite("generate", "kmedoids", "--n", "50", "--out", tmp_path / "b.npz").returncode == 0
    with np.load(tmp_path / "b.npz") as z:
        assert z["X"].shape == (50, 2) and z["labels"].shape == (50,)
    r3 = optsuite("solve", "kmedoids", tmp_path / "b.npz", "--k", "2", "-q")
    assert r3.returncode == 0 and r3.json()["n"] == 50


# One test per malformed file or invalid parameter: exit code 2, one line naming the problem, no traceback.
MALFORMED = [
    ("bad.csv", "a,b\n1,2\n3,x\n", [], "bad.csv, line 3, column 2 ('b'): 'x' is not a number"),
    ("ragged.csv", "1,2\n3,4,5\n", [], "ragged.csv, line 2: 3 fields, expected 2 as on line 1"),
    ("nan.csv", "1,2\nnan,4\n", [], "nan.csv, line 2, column 1: value is NaN"),
    ("huge.csv", "1,2\n3,-1e200\n", [], "huge.csv, line 2, column 2: value -1e+200 is too large"),
    ("tiny.csv", "1e-200,0\n2e-200,0\n", [], "tiny.csv: the largest of the point coordinates is 2e-200"),
    ("empty.csv", "", [], "empty.csv: no data: the file is empty"),
    ("asym.csv", "0,1\n2,0\n", ["--metric", "precomputed"], "asym.csv, line 1, column 2: the matrix is not symmetric"),
    ("neg.csv", "0,-1\n-1,0\n", ["--metric", "precomputed"], "neg.csv, line 1, column 2: entry is -1.0; dissimilarities must be non-negative"),
    ("diag.csv", "1,1\n1,0\n", ["--metric", "precomputed"], "diag.csv, line 1, column 1: diagonal entry is 1.0"),
    ("rect.csv", "0,1,2\n1,0,3\n", ["--metric", "precomputed"], "must be square, got shape (2, 3)"),
    ("nonbin.csv", "0,1\n1,2\n", ["--metric", "jaccard"], "nonbin.csv, line 2, column 2: value 2 is not 0 or 1"),
]


@pytest.mark.parametrize("name,text,extra,message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_input_files(optsuite, tmp_path, name, text, extra, message):
    path = tmp_path / name
    path.write_text(text)
    r = optsuite("solve", "kmedoids", path, "--k", "1", *extra)
    assert r.returncode == 2, r
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsuite: error: ") and message in lines[0], r
    assert "Traceback" not in r.stderr


def _files(tmp_path):
    (tmp_path / "p.csv").write_text("1,2\n3,4\n5,6\n")
    (tmp_path / "w_short.csv").write_text("1\n2\n")
    (tmp_path / "w_neg.csv").write_text("1\n-2\n1\n")
    (tmp_path / "m_dup.csv").write_text("1\n1\n")
    (tmp_path / "m_range.csv").write_text("0\n7\n")
    (tmp_path / "m_count.csv").write_text("0\n")
    return tmp_path / "p.csv"


BAD_PARAMS = [
    (["--k", "4"], "--k: must be at most the number of points n = 3; got 4"),
    (["--k", "2", "--weights", "{t}/w_short.csv"], "w_short.csv: 2 weights for 3 objects"),
    (["--k", "2", "--weights", "{t}/w_neg.csv"], "w_neg.csv, weight 2: weight -2 is negative"),
    (["--k", "2", "--init-medoids", "{t}/m_dup.csv"], "m_dup.csv: index 1 appears twice"),
    (["--k", "2", "--init-medoids", "{t}/m_range.csv"], "m_range.csv, entry 2: index 7 is out of range"),
    (["--k", "2", "--init-medoids", "{t}/m_count.csv"], "m_count.csv: 1 initial medoids but --k 2"),
    (["--k", "2", "--weights", "{t}/missing.csv"], "missing.csv: no such file"),
    (["--k", "2", "--out", "{t}/out.txt"], "out.txt: unknown output type '.txt'"),
    (["--k", "2", "--out", "{t}/nofolder/out.json"], "cannot write: folder"),
    (["--k", "2", "--out", "{t}/p.csv"], "--out would overwrite an input file"),
    (["--k", "2", "--method", "clara", "--clara-size", "1"], "--clara-size: the sample size must be between k = 2"),
]


@pytest.mark.parametrize("args,message", BAD_PARAMS, ids=[b[1].split(":")[0] for b in BAD_PARAMS])
def test_invalid_parameters_and_side_files(optsuite, tmp_path, args, message):
    data = _files(tmp_path)
    r = optsuite("solve", "kmedoids", data, *[a.replace("{t}", str(tmp_path)) for a in args])
    assert r.returncode == 2, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r
    assert (tmp_path / "p.csv").read_text() == "1,2\n3,4\n5,6\n"


@pytest.mark.parametrize("args", [
    ["--k", "0"], ["--k", "2", "--method", "kmeans"], ["--k", "2", "--metric", "hamming"],
    ["--k", "2", "--dtype", "float16"], ["--k", "2", "--max-iter", "0"], [],
])
def test_usage_errors_exit_2(optsuite, tmp_path, args):
    r = optsuite("solve", "kmedoids", _files(tmp_path), *args)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_check_rejects_a_non_solution(optsuite, blobs, tmp_path):
    (tmp_path / "x.json").write_text('{"foo": 1}')
    r = optsuite("check", "kmedoids", blobs, tmp_path / "x.json")
    assert r.returncode == 2 and "not a k-medoids solution" in r.stderr
    (tmp_path / "y.json").write_text('{"medoids": [1, 2')
    r = optsuite("check", "kmedoids", blobs, tmp_path / "y.json")
    assert r.returncode == 2 and "y.json, line 1, column 18: invalid JSON" in r.stderr


def test_list_info_cache(optsuite):
    r = optsuite("list", "--json")
    kinds = {row["kind"]: row for row in r.json()}
    assert r.returncode == 0 and "fasterpam" in kinds["kmedoids"]["methods"]
    r = optsuite("info", "--json")
    assert r.returncode == 0 and r.json()["optsuite"] and "jit_cache_dir" in r.json()
    r = optsuite("cache", "info")
    assert r.returncode == 0 and "jit cache" in r.stdout


def test_cache_clear_and_warm_in_a_private_dir(optsuite, tmp_path):
    env = {"OPTSUITE_CACHE_DIR": str(tmp_path / "cache"), "NUMBA_CACHE_DIR": None}
    r = optsuite("solve", "kmedoids", "-", "--k", "2", "-q", input="1,2\n3,4\n5,7\n", env=env)
    assert r.returncode == 0
    assert list((tmp_path / "cache").rglob("*.nbi"))
    r = optsuite("cache", "clear", env=env)
    assert r.returncode == 0 and "removed" in r.stdout
    assert not list((tmp_path / "cache").rglob("*.nbi"))


def test_unwritable_cache_falls_back_without_crashing(optsuite, tmp_path):
    env = {"NUMBA_CACHE_DIR": "/proc/nonexistent/cache", "OPTSUITE_NO_JIT_CACHE": "1"}
    r = optsuite("solve", "kmedoids", "-", "--k", "1", "-q", input="1,2\n3,4\n", env=env)
    assert r.returncode == 0, r


def test_too_many_points_for_a_matrix_is_refused(optsuite, tmp_path):
    """400 000 points would need a 1.2 TB matrix: refused up front (exit 2) with CLARA suggested, and
    CLARA itself runs on them."""
    np.save(tmp_path / "X.npy", np.random.default_rng(0).normal(size=(400_000, 2)))
    r = optsuite("solve", "kmedoids", tmp_path / "X.npy", "--k", "2")
    assert r.returncode == 2 and "use --method clara" in r.stderr and "GiB" in r.stderr, r
    r = optsuite("solve", "kmedoids", tmp_path / "X.npy", "--k", "2", "--method", "clara", "--clara-samples", "2", "-q")
    assert r.returncode == 0 and r.json()["n"] == 400_000


def test_a_total_deviation_that_overflows_is_an_error(optsuite, tmp_path):
    """float32 dissimilarities stop at 3.4e38: 1e100-scaled points made TD = inf, reported as converged
    with a null objective. Now exit 2, naming --dtype (and --weights when weights overflow float64)."""
    (tmp_path / "big.csv").write_text("\n".join(str(v * 1e100) for v in (0, 1, 2, 10, 11, 12)) + "\n")
    r = optsuite("solve", "kmedoids", tmp_path / "big.csv", "--k", "2", "--dtype", "float32")
    assert r.returncode == 2 and "--dtype: the total deviation overflows" in r.stderr, r
    ok = optsuite("solve", "kmedoids", tmp_path / "big.csv", "--k", "2", "-q")
    assert ok.returncode == 0 and ok.json()["medoids"] == [4, 1]
    (tmp_path / "w.csv").write_text("1e150\n" * 6)
    r = optsuite("solve", "kmedoids", tmp_path / "big.csv", "--k", "2", "--metric", "sqeuclidean",
                 "--weights", tmp_path / "w.csv")
    assert r.returncode == 2 and "--weights: the total deviation overflows float64" in r.stderr, r
