"""What every command shares: error handling and exit codes, result output, progress, threads.

Only the standard library and typer are imported at module level, so `optsuite --help` stays fast;
numpy, numba and the solvers are imported inside the functions that need them.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import typer

#: exit codes (also documented in README and `optsuite --help`)
EXIT_OK, EXIT_BUG, EXIT_USAGE, EXIT_NOT_CONVERGED, EXIT_REGRESSION = 0, 1, 2, 3, 4

_debug = {"on": os.environ.get("OPTSUITE_DEBUG") == "1"}


def set_debug(on: bool) -> None:
    _debug["on"] = _debug["on"] or on


def help_text(text: str) -> str:
    """Command help as typer's rich formatter wants it: each paragraph on one line (rich keeps our line
    breaks inside paragraphs, so the terminal would wrap them raggedly) and square brackets escaped
    (rich reads them as markup)."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n")).replace("[", "\\[")


def error(message: str) -> None:
    """One line on stderr, prefixed so it stands out in a pipeline's log."""
    sys.stderr.write(f"optsuite: error: {message}\n")


def warn(message: str, quiet: bool = False) -> None:
    if not quiet:
        sys.stderr.write(f"optsuite: warning: {message}\n")


def info(message: str, quiet: bool = False) -> None:
    if not quiet:
        sys.stderr.write(message + "\n")


def run_app(app, argv=None) -> int:
    """Run the Typer app; map errors to exit codes: OptsuiteError -> 2 with one line on stderr,
    MemoryError -> 2, Ctrl-C -> 130, anything else -> 1 (a bug; --debug shows the traceback)."""
    from optsuite.solvers.errors import OptsuiteError

    try:
        app(args=argv, prog_name="optsuite", standalone_mode=True)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except OptsuiteError as e:
        if _debug["on"]:
            raise
        error(str(e))
        return EXIT_USAGE
    except MemoryError:
        if _debug["on"]:
            raise
        error("out of memory; try --dtype float32, or --method clara for k-medoids on many points")
        return EXIT_USAGE
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except BrokenPipeError:
        # the reader of our stdout went away (e.g. `| head`); not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:  # noqa: BLE001 - the last line of defence: one line, exit 1
        if _debug["on"]:
            raise
        error(f"internal error ({type(e).__name__}: {e}); this is a bug - rerun with --debug for the "
              "traceback and report it")
        return EXIT_BUG
    return EXIT_OK


def same_file(a, b) -> bool:
    try:
        return str(a) != "-" and str(b) != "-" and Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def refuse_overwriting_input(out, *inputs) -> None:
    from optsuite.solvers.errors import InputError

    for path in inputs:
        if out is not None and path is not None and same_file(out, path):
            raise InputError(out, "--out would overwrite an input file; choose another output path")


def check_out(out, suffixes: tuple[str, ...]) -> None:
    """Reject an --out extension we cannot write before doing any work."""
    from optsuite.solvers.errors import InputError

    if out is None or str(out) == "-":
        return
    suffix = Path(out).suffix.lower()
    if suffix not in suffixes:
        raise InputError(out, f"unknown output type '{suffix or '(none)'}'; --out takes "
                         f"{', '.join(suffixes)}, or - for stdout")


def configure_threads(threads: int | None) -> None:
    """Set the thread count of Numba's parallel kernels and of BLAS (None: leave the defaults)."""
    if threads is None:
        return
    from optsuite.solvers import _jit  # noqa: F401  (chooses the cache dir before numba loads)

    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    threadpool_limits(threads)


@contextmanager
def progress_reporter(quiet: bool, description: str):
    """Yield a callback(done, total, text) that drives a transient progress bar on stderr, or None when
    stderr is not a terminal or --quiet is set (so CI logs get no box-drawing frames)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True, disable=False) as bar:
        task = bar.add_task(description, total=None)

        def update(done, total, text):
            bar.update(task, completed=done, total=total, description=text)

        yield update


def emit(result: dict, out, *, csv_text=None, npz_arrays=None) -> None:
    """Write the result: JSON on stdout when `out` is None or '-'; else by the extension of `out`:
    .json (the whole result), .csv (the text `csv_text()` returns), .npz (`npz_arrays` plus the result's
    scalars as JSON in `meta`). Files are written atomically."""
    from optsuite.problems import io
    from optsuite.solvers.result import jsonable

    if out is None or str(out) == "-":
        io.write_json(jsonable(result), "-")
        return
    suffix = Path(out).suffix.lower()
    if suffix == ".json":
        io.write_json(jsonable(result), out)
    elif suffix == ".csv" and csv_text is not None:
        io.write_text(csv_text(), out)
    elif suffix == ".npz" and npz_arrays is not None:
        import json

        meta = {k: v for k, v in jsonable(result).items() if not isinstance(v, list) or len(v) <= 64}
        io.write_npz(out, meta=json.dumps(meta), **npz_arrays)
    else:
        check_out(out, (".json",) + ((".csv",) if csv_text else ()) + ((".npz",) if npz_arrays else ()))


def finish(result: dict, timer, out, *, solver_timings: dict | None = None, csv_text=None,
           npz_arrays=None) -> None:
    """Attach `timings` (wall seconds: read, compile, the solver's own parts, solve, write, total),
    `cpu_timings` (CPU seconds of read, compile, solve, total), `environment` and `peak_rss_mib` to
    the result, then write it with `emit`. `write` is the time to serialise the result once in the
    output's format; for JSON output the final write of the document itself is not included."""
    import time

    from optsuite.problems import io
    from optsuite.solvers.environment import environment, peak_rss_mib
    from optsuite.solvers.result import jsonable

    wall, cpu = timer.report()
    timings = {p: wall[p] for p in wall if p not in ("solve", "total", "write")}
    timings.update(solver_timings or {})
    if "solve" in wall:
        timings["solve"] = wall["solve"]
    result["timings"] = timings
    result["environment"] = environment()
    w0 = time.perf_counter()
    suffix = Path(out).suffix.lower() if out is not None and str(out) != "-" else ".json"
    if suffix == ".csv" and csv_text is not None:
        csv_text()
    elif suffix != ".npz":
        io.dumps_json(jsonable(result))
    timings["write"] = round(time.perf_counter() - w0, 6)
    wall, cpu = timer.report()
    timings["total"] = wall["total"]
    result["cpu_timings"] = {p: cpu[p] for p in ("read", "compile", "solve", "total") if p in cpu}
    result["peak_rss_mib"] = peak_rss_mib()
    emit(result, out, csv_text=csv_text, npz_arrays=npz_arrays)


def report_checks(report: dict, checks: list[dict], quiet: bool, *, subject: str = "solution",
                  summary: str | None = None, extra: str = "") -> None:
    """End of every `optsuite check`: add `valid` and the list of checks ({check, ok, detail}) to the
    report, print it as JSON on stdout, one verdict line on stderr ("<subject> is valid", or `summary`
    when given, or "<subject> fails: ..."; then `extra`), and exit 3 if any check failed."""
    from optsuite.problems import io
    from optsuite.solvers.result import jsonable

    report["valid"] = all(c["ok"] for c in checks)
    report["checks"] = checks
    io.write_json(jsonable(report), "-")
    bad = [c["check"] for c in checks if not c["ok"]]
    plural = subject.endswith("s")
    verdict = (f"{subject} {'fail' if plural else 'fails'}: {', '.join(bad)}" if bad
               else summary or f"{subject} {'are' if plural else 'is'} valid")
    info(verdict + extra, quiet)
    if bad:
        raise typer.Exit(EXIT_NOT_CONVERGED)


def exit_for_status(status: str) -> None:
    """Exit 3 when the solver stopped without meeting its tolerance (the result is already written)."""
    from optsuite.solvers.result import STATUS

    if not STATUS[status][0]:
        raise typer.Exit(EXIT_NOT_CONVERGED)
