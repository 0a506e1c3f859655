"""`optsuite bench`: run the timed cases, print a table on stderr and the JSON report on stdout or
--out; `--compare BASE.json` exits 4 when a case got slower than --max-ratio times the baseline."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from optsuite.cli import _run

EPILOG = """Examples:

  optsuite bench --only kmedoids/fasterpam --out bench.json

  optsuite bench --quick --out base.json && optsuite bench --quick --compare base.json --max-ratio 1.3

  optsuite bench --list
"""


def _pin_threads(threads: int) -> None:
    """Pin BLAS, OpenMP and Numba before numpy or numba are imported (oversubscribed BLAS made small
    solves 15-150x slower on shared 2-core machines)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(threads)


def bench(
    only: Annotated[Optional[list[str]], typer.Option("--only", metavar="PATTERN",
                                                      help="Run only cases whose name contains PATTERN "
                                                      "(or matches it as a glob); repeatable.")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Small cases, seconds in all (a CI smoke run).")] = False,
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs per contender (after the warm-up).")] = 5,
    warmup: Annotated[int, typer.Option(min=0, help="Untimed runs per contender first (JIT, caches).")] = 1,
    peers: Annotated[bool, typer.Option("--peers/--no-peers", help="Also time the peer libraries.")] = True,
    threads: Annotated[int, typer.Option(min=1, help="Threads for BLAS and Numba.")] = 1,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE",
                                                help="Write the JSON report here instead of stdout.")] = None,
    compare: Annotated[Optional[Path], typer.Option("--compare", metavar="BASE.json",
                                                    help="Compare with an earlier report; exit 4 if a case is "
                                                    "slower than --max-ratio on both min and median CPU time "
                                                    "(after calibration), or its answer changed.")] = None,
    max_ratio: Annotated[float, typer.Option("--max-ratio", min=1.0, help="Allowed slow-down factor.")] = 1.25,
    list_only: Annotated[bool, typer.Option("--list", help="List the cases and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table or progress on stderr.")] = False,
):
    """Time deterministic cases (generator + seed) against peer libraries in the same process and
    report our time / peer time. CPU seconds (median of --repeats, after --warmup) are the measure."""
    _pin_threads(threads)
    _run.check_out(out, (".json",))
    from optsuite.problems import io
    from optsuite.solvers import bench as harness

    cases = harness.load_cases(quick, only)
    if list_only:
        for case in cases:
            typer.echo(case.name)
        return
    if not cases:
        from optsuite.solvers.errors import ParameterError

        raise ParameterError("only", f"no case matches {only}; see `optsuite bench --list`")
    baseline = io.read_json(compare) if compare is not None else None
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    report = harness.report_header(sys.argv, {"repeats": repeats, "warmup": warmup, "threads": threads,
                                              "quick": quick, "peers": peers})
    report["calibration"] = harness.calibrate()
    report["cases"] = []
    for case in cases:
        _run.info(f"running {case.name} ...", quiet)
        entry = harness.run_case(case, repeats, warmup, peers)
        report["cases"].append(entry)
        _run.info(_line(entry), quiet)
    report["calibration_after"] = harness.calibrate()
    if baseline is not None:
        report["comparison"] = {"baseline": str(compare), "max_ratio": max_ratio,
                                "cases": harness.compare(report, baseline, max_ratio)}
    from optsuite.solvers.result import jsonable

    io.write_json(jsonable(report), out if out is not None else "-")
    if baseline is not None:
        bad = [c for c in report["comparison"]["cases"] if c["slower"] or c["answer_changed"]]
        for c in report["comparison"]["cases"]:
            _run.info(f"{c['name']}: {c['ratio_median']:.2f}x baseline (median), {c['ratio_min']:.2f}x (min)"
                      + ("  SLOWER" if c["slower"] else "") + ("  ANSWER CHANGED" if c["answer_changed"] else ""),
                      quiet)
        if bad:
            _run.error(f"{len(bad)} case(s) regressed against {compare}")
            raise typer.Exit(_run.EXIT_REGRESSION)


def _line(entry) -> str:
    """One human-readable line per contender: median CPU seconds, objective, and the headline ratio."""
    parts = []
    for run in entry["runs"]:
        extra = "".join(f" {k}={run[k]}" for k in ("peak_rss_mib", "compile_s") if k in run)
        same = "" if "same_answer" not in run else (" same answer" if run["same_answer"] else " DIFFERENT ANSWER")
        parts.append(f"  {run['label']:<30} cpu median {run['cpu_s']['median']:.4f} s  "
                     f"objective {run.get('objective')!r}{same}{extra}")
    ratio = entry.get("ratio")
    head = f"{entry['name']}" + (f"  ratio {ratio['cpu_median']:.3f} vs {ratio['vs']}" if ratio else "")
    return "\n".join([head] + parts)


def register(app) -> None:
    app.command("bench", help=_run.help_text(bench.__doc__), epilog=EPILOG)(bench)
