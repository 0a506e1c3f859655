"""`optsuite bench`: report schema, peer ratio, and --compare exit codes (never assertions on time)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def report(tmp_path_factory, optsuite):
    path = tmp_path_factory.mktemp("bench") / "report.json"
    r = optsuite("bench", "--quick", "--only", "kmedoids/fasterpam", "--repeats", "2", "--warmup", "1",
                 "--out", path)
    assert r.returncode == 0, r
    return path


def test_report_schema(report):
    rep = json.loads(report.read_text())
    assert rep["schema"] == "optsuite.bench/1"
    assert rep["settings"]["threads"] == 1 and rep["calibration"]["cpu_s"]["min"] > 0
    (case,) = rep["cases"]
    assert case["name"].startswith("kmedoids/fasterpam/")
    ours = case["runs"][0]
    assert ours["label"] == "optsuite fasterpam" and ours["status"] == "converged"
    assert set(ours["cpu_s"]) == {"min", "median", "max", "n"} and ours["cpu_s"]["n"] == 2
    peers = case["runs"][1:]
    pytest.importorskip("kmedoids")
    assert {p["label"] for p in peers} == {"kmedoids.fasterpam F-order", "kmedoids.fasterpam C-order"}
    assert all(p["same_answer"] for p in peers)
    assert case["ratio"]["vs"] == "kmedoids.fasterpam F-order" and case["ratio"]["cpu_median"] > 0


def test_compare_with_itself_passes_and_with_a_faster_baseline_fails(report, tmp_path, optsuite):
    r = optsuite("bench", "--quick", "--only", "kmedoids/fasterpam", "--repeats", "1", "--no-peers",
                 "--compare", report, "--max-ratio", "50", "-q")
    assert r.returncode == 0, r
    rep = json.loads(report.read_text())
    for case in rep["cases"]:
        for run in case["runs"]:
            run["cpu_s"] = {k: (v / 1000 if k != "n" else v) for k, v in run["cpu_s"].items()}
    faster = tmp_path / "faster.json"
    faster.write_text(json.dumps(rep))
    r = optsuite("bench", "--quick", "--only", "kmedoids/fasterpam", "--repeats", "1", "--no-peers",
                 "--compare", faster, "--max-ratio", "1.5")
    assert r.returncode == 4, r
    assert "SLOWER" in r.stderr and "regressed" in r.stderr
    assert r.json()["comparison"]["cases"][0]["slower"]


def test_compare_flags_a_changed_answer(report, tmp_path, optsuite):
    rep = json.loads(report.read_text())
    rep["cases"][0]["runs"][0]["objective"] *= 1.01
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(rep))
    r = optsuite("bench", "--quick", "--only", "kmedoids/fasterpam", "--repeats", "1", "--no-peers",
                 "--compare", changed, "--max-ratio", "1000", "-q")
    assert r.returncode == 4
    assert r.json()["comparison"]["cases"][0]["answer_changed"]


def test_unknown_case_is_a_usage_error(optsuite):
    r = optsuite("bench", "--only", "no-such-case")
    assert r.returncode == 2 and "--only: no case matches" in r.stderr
