"""Suite-wide commands: `optsuite list`, `optsuite info`, `optsuite cache info|warm|clear`."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from optsuite.cli import _run

cache_app = typer.Typer(help="Inspect, fill or empty the cache of compiled Numba kernels.", no_args_is_help=True)


def _kinds() -> dict:
    from optsuite.cli.main import kind_modules

    return kind_modules()


def list_kinds(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
):
    """List the problem kinds and their methods."""
    rows = [{"kind": name, "summary": mod.SUMMARY, "methods": list(mod.METHODS)} for name, mod in _kinds().items()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['kind']:<12} {row['summary']}")
        typer.echo(f"{'':<12} methods: {', '.join(row['methods'])}")


def show_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of key: value lines.")] = False,
):
    """Versions, CPU, thread counts, BLAS libraries, JIT cache directory and installed peers."""
    from optsuite.solvers import _jit  # noqa: F401  (chooses the cache dir before numba loads)
    from optsuite.solvers._cache import cache_files
    from optsuite.solvers.environment import environment

    import numba
    import numpy  # noqa: F401  (so the BLAS libraries are loaded and reported)

    env = environment()
    env["numba_threading_layer"] = numba.config.THREADING_LAYER
    env["jit_cache_dir"] = str(_jit.CACHE_DIR) if _jit.CACHE_DIR else None
    env["jit_cache_files"] = len(cache_files(_jit.CACHE_DIR)) if _jit.CACHE_DIR else 0
    env["peers"] = {name: _installed_version(name) for name in _peer_names()}
    if as_json:
        typer.echo(json.dumps(env, indent=2))
        return
    for key, value in env.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        typer.echo(f"{key}: {value}")


def _peer_names() -> list[str]:
    """The distributions of optsuite's `peers` extra, from the installed metadata."""
    import re
    from importlib import metadata

    try:
        requires = metadata.requires("optsuite") or []
    except metadata.PackageNotFoundError:
        return []
    return sorted({re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] for r in requires if 'extra == "peers"' in r})


def _installed_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def cache_info():
    """Where compiled kernels are cached, how many files and bytes."""
    from optsuite.solvers import _cache

    path = _cache.configure()
    if path is None:
        typer.echo("jit cache: disabled (no writable directory, or OPTSUITE_NO_JIT_CACHE=1)")
        return
    files = _cache.cache_files(path)
    size = sum(f.stat().st_size for f in files)
    typer.echo(f"jit cache: {path}\nfiles: {len(files)}\nbytes: {size}")


def cache_warm(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
):
    """Compile every kernel for the canonical dtypes now (e.g. in a container build or CI setup), so
    later runs only load them (milliseconds instead of seconds)."""
    import time

    from optsuite.solvers import _jit

    if not _jit.CACHE_OK:
        _run.warn("the JIT cache is disabled: nothing will persist", quiet)
    t0 = time.perf_counter()
    for name, mod in _kinds().items():
        for step, label in enumerate(mod.warm_cache(), start=1):
            _run.info(f"{name}: compiled {label}", quiet)
    _run.info(f"done in {time.perf_counter() - t0:.1f} s", quiet)


def cache_clear():
    """Delete the cached kernels (only Numba's .nbi/.nbc files in optsuite's cache directory)."""
    from optsuite.solvers import _cache

    path = _cache.configure()
    removed = 0
    for f in _cache.cache_files(path) if path else []:
        try:
            f.unlink()
            removed += 1
        except OSError as e:
            sys.stderr.write(f"optsuite: warning: could not remove {f}: {e.strerror}\n")
    typer.echo(f"removed {removed} cached kernel files from {path}")


def register(app) -> None:
    for name, func in (("list", list_kinds), ("info", show_info)):
        app.command(name, help=_run.help_text(func.__doc__), epilog=f"Example:\n\n  optsuite {name} --json")(func)
    for name, func in (("info", cache_info), ("warm", cache_warm), ("clear", cache_clear)):
        cache_app.command(name, help=_run.help_text(func.__doc__))(func)
    app.add_typer(cache_app, name="cache")
