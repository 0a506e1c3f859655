"""The `optsuite bench` harness: deterministic cases timed against peers in the same run.

A `Case` builds its input once (untimed), then runs our solver and each peer once as a warm-up and
`repeats` times interleaved (ours, peer, ours, peer, ...) so drift on a shared machine hits both alike.
CPU seconds (process_time) are the measure; wall seconds are reported too. A single-threaded
calibration kernel timed before and after the cases makes reports from different machines comparable.
BLAS and Numba are pinned to one thread unless a case says otherwise (set by the CLI before numpy loads).
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import pkgutil
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable


SCHEMA = "optsuite.bench/1"


@dataclass
class Runner:
    """One timed contender: `run(ctx)` returns a dict with at least `objective` (and `status`)."""

    label: str
    run: Callable[[Any], dict]


@dataclass
class Case:
    name: str
    params: dict
    setup: Callable[[], Any]
    ours: Runner
    peers: list[Runner] = field(default_factory=list)
    #: label of the peer the headline ratio (ours / peer, CPU median) is computed against
    ratio_vs: str | None = None
    #: answers of ours and the peers must agree to this relative tolerance (None: not comparable)
    same_answer_rtol: float | None = 1e-9
    repeats: int | None = None
    #: untimed runs per contender before timing (None: the --warmup of the run); 0 for long runs whose
    #: answer, not their time, is the point (e.g. convergence tables)
    warmup: int | None = None
    note: str = ""


def case_modules() -> list[str]:
    """`optsuite.solvers.<family>.bench` for every solver family that has one; each defines
    `cases(quick: bool) -> list[Case]`."""
    import optsuite.solvers

    return [f"optsuite.solvers.{m.name}.bench" for m in sorted(pkgutil.iter_modules(optsuite.solvers.__path__),
                                                                key=lambda m: m.name)
            if m.ispkg and importlib.util.find_spec(f"optsuite.solvers.{m.name}.bench") is not None]


def load_cases(quick: bool, only: list[str] | None) -> list[Case]:
    cases = []
    for module in case_modules():
        cases.extend(importlib.import_module(module).cases(quick))
    if only:
        cases = [c for c in cases if any(fnmatch.fnmatch(c.name, p) or p in c.name for p in only)]
    return cases


def _stats(values: list[float]) -> dict:
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


def _timed(runner: Runner, ctx) -> tuple[float, float, dict]:
    """(CPU s, wall s, answer) of one run. A runner that times work done elsewhere (a child process)
    returns its own `cpu_s` and `wall_s`, which replace this process's."""
    c0, w0 = time.process_time(), time.perf_counter()
    out = dict(runner.run(ctx))
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return out.pop("cpu_s", cpu), out.pop("wall_s", wall), out


def run_case(case: Case, repeats: int, warmup: int, peers: bool, log=None) -> dict:
    """Time one case; returns its report entry."""
    ctx = case.setup()
    runners = [case.ours] + (case.peers if peers else [])
    repeats = case.repeats or repeats
    warmup = case.warmup if case.warmup is not None else warmup
    for _ in range(warmup):
        for r in runners:
            r.run(ctx)
    cpu = {r.label: [] for r in runners}
    wall = {r.label: [] for r in runners}
    answers = {}
    for i in range(repeats):
        for r in runners:
            c, w, out = _timed(r, ctx)
            cpu[r.label].append(c)
            wall[r.label].append(w)
            answers[r.label] = out
        if log:
            log(f"{case.name}: repeat {i + 1}/{repeats}")
    entry = {"name": case.name, "params": case.params, "note": case.note, "repeats": repeats, "runs": []}
    ours_obj = answers[case.ours.label].get("objective")
    for r in runners:
        out = answers[r.label]
        run = {"label": r.label, "cpu_s": _stats(cpu[r.label]), "wall_s": _stats(wall[r.label]), **out}
        if r is not case.ours and case.same_answer_rtol is not None and ours_obj is not None:
            obj = out.get("objective")
            run["same_answer"] = obj is not None and abs(obj - ours_obj) <= case.same_answer_rtol * max(abs(ours_obj), 1e-300)
        entry["runs"].append(run)
    if peers and case.ratio_vs in cpu:
        base = cpu[case.ratio_vs]
        mine = cpu[case.ours.label]
        entry["ratio"] = {
            "vs": case.ratio_vs,
            "cpu_median": statistics.median(mine) / statistics.median(base),
            "cpu_min": min(mine) / min(base),
            "paired_median": statistics.median(a / b for a, b in zip(mine, base)),
        }
    return entry


def calibrate(repeats: int = 9) -> dict:
    """CPU seconds of a fixed single-threaded Numba loop: min and median of `repeats` runs."""
    from ._calibration import calibration_loop

    calibration_loop(1000)  # compile or load
    times = []
    for _ in range(repeats):
        c0 = time.process_time()
        calibration_loop(10_000_000)
        times.append(time.process_time() - c0)
    return {"kernel": "calib.v1", "cpu_s": {"min": min(times), "median": statistics.median(times)}}


def compare(report: dict, baseline: dict, max_ratio: float) -> list[dict]:
    """Cases that got slower than `max_ratio` times the baseline on both min and median CPU time of our
    run (after dividing by the calibration kernel of each report), or whose answer changed."""
    def calib(r):
        c = r.get("calibration", {}).get("cpu_s", {}).get("min")
        return c if c else 1.0

    scale = calib(report) / calib(baseline)
    base_cases = {c["name"]: c for c in baseline.get("cases", [])}
    findings = []
    for case in report.get("cases", []):
        base = base_cases.get(case["name"])
        if base is None:
            continue
        mine, old = case["runs"][0], base["runs"][0]
        r_min = mine["cpu_s"]["min"] / (old["cpu_s"]["min"] * scale)
        r_med = mine["cpu_s"]["median"] / (old["cpu_s"]["median"] * scale)
        item = {"name": case["name"], "ratio_min": r_min, "ratio_median": r_med, "slower": r_min > max_ratio and r_med > max_ratio}
        o_new, o_old = mine.get("objective"), old.get("objective")
        item["answer_changed"] = (o_new is not None and o_old is not None
                                  and abs(o_new - o_old) > 1e-6 * max(abs(o_old), 1e-300))
        findings.append(item)
    return findings


def report_header(argv: list[str], settings: dict) -> dict:
    from .environment import environment

    return {"schema": SCHEMA, "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "argv": argv, "settings": settings, "environment": environment()}
