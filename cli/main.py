"""The `optsuite` command: the root Typer app, its sub-apps, and the registry of problem kinds.

Each problem kind has one module in this folder that sets `KIND` and adds its `solve`, `generate`
and `check` commands (found by `kind_modules`); the suite-wide commands (`list`, `info`, `cache`, `bench`) live in `admin.py`
and `bench.py`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated

import typer

from optsuite.cli._run import help_text, run_app, set_debug
from optsuite.cli._version import __version__

#: modules of this folder that are not problem kinds
_NOT_KINDS = {"main", "admin", "bench"}


def kind_modules() -> dict:
    """Problem kind -> its CLI module: every public module of optsuite.cli that sets KIND. A new solver
    family adds cli/<kind>.py and is picked up here, with no shared registry to edit."""
    import optsuite.cli

    found = {}
    for info in sorted(pkgutil.iter_modules(optsuite.cli.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _NOT_KINDS:
            continue
        module = importlib.import_module(f"optsuite.cli.{info.name}")
        if hasattr(module, "KIND"):
            found[module.KIND] = module
    return found


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

app = typer.Typer(name="optsuite", help=help_text(HELP), epilog=EPILOG, no_args_is_help=True,
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


for _module in kind_modules().values():
    _module.register(solve_app, generate_app, check_app)

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
