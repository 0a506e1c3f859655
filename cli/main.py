"""The `optsuite` command: the root Typer app, its sub-apps, and the registry of problem kinds.

Each problem kind has one module in this folder that adds its `solve`, `generate` and `check`
commands (see `KINDS`); the suite-wide commands (`list`, `info`, `cache`, `bench`) live in `admin.py`
and `bench.py`.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from optsuite.cli._run import run_app, set_debug
from optsuite.cli._version import __version__

#: problem kind -> module under optsuite.cli that registers its commands. One line per kind.
KINDS = {
    "kmedoids": "optsuite.cli.kmedoids",
}

HELP = """Classical optimisation solvers: Numba kernels behind one command line.

Results go to stdout as JSON (or to --out); summaries, warnings and progress go to stderr.

Exit codes: 0 success; 2 bad usage or bad input (one line on stderr); 3 the solver stopped before
converging (the result is still written); 4 `bench --compare` found a regression; 1 a bug.
"""

EPILOG = """Examples:

  optsuite solve kmedoids examples/kmedoids/digits.csv --k 10

  optsuite generate kmedoids --n 500 --centers 4 | optsuite solve kmedoids - --k 4 --out labels.csv

  optsuite list
"""

app = typer.Typer(name="optsuite", help=HELP, epilog=EPILOG, no_args_is_help=True,
                  pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]})
solve_app = typer.Typer(help="Solve a problem file and print the result as JSON.", no_args_is_help=True)
generate_app = typer.Typer(help="Write a synthetic problem instance with known ground truth.", no_args_is_help=True)
check_app = typer.Typer(help="Recompute a solution's objective and feasibility without the solver.",
                        no_args_is_help=True)
app.add_typer(solve_app, name="solve")
app.add_typer(generate_app, name="generate")
app.add_typer(check_app, name="check")


def _version(value: bool):
    if value:
        typer.echo(f"optsuite {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", envvar="OPTSUITE_DEBUG",
                                        help="Show full tracebacks instead of one-line errors.")] = False,
):
    set_debug(debug)


for _module in KINDS.values():
    importlib.import_module(_module).register(solve_app, generate_app, check_app)

from optsuite.cli import admin, bench  # noqa: E402

admin.register(app)
bench.register(app)


def main(argv=None) -> int:
    """Run the command line on `argv` (default: sys.argv) and return the exit code."""
    return run_app(app, argv)


def console() -> None:
    """Console-script entry point."""
    raise SystemExit(main())


if __name__ == "__main__":
    raise SystemExit(main())
