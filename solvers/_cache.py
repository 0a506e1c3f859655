"""Where compiled Numba kernels are cached; standard library only, so the CLI can ask cheaply.

Numba picks its cache locator when a kernel is decorated and fails at import when nothing is writable
(a read-only install with an unwritable HOME). So before numba is imported we export NUMBA_CACHE_DIR:
the user's own NUMBA_CACHE_DIR if set, else the first writable of $OPTSUITE_CACHE_DIR,
$XDG_CACHE_HOME/optsuite/numba/<version>, ~/.cache/optsuite/numba/<version>, a per-user temp dir.
The version in the path keeps an upgrade from loading kernels compiled from older code.
If none is writable, or OPTSUITE_NO_JIT_CACHE=1, kernels compile without caching.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _version() -> str:
    from optsuite.cli._version import __version__

    return __version__


def candidate_dirs() -> list[Path]:
    """The cache directories we would try, in order of preference."""
    version = _version()
    out = []
    if os.environ.get("OPTSUITE_CACHE_DIR"):
        out.append(Path(os.environ["OPTSUITE_CACHE_DIR"]))
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        out.append(Path(xdg) / "optsuite" / "numba" / version)
    out.append(Path.home() / ".cache" / "optsuite" / "numba" / version)
    out.append(Path(tempfile.gettempdir()) / f"optsuite-numba-{os.getuid() if hasattr(os, 'getuid') else 'user'}" / version)
    return out


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
        return True
    except OSError:
        return False


def configure() -> Path | None:
    """Export NUMBA_CACHE_DIR (once, before numba is imported) and return it; None means: do not cache."""
    if os.environ.get("OPTSUITE_NO_JIT_CACHE") == "1":
        return None
    if os.environ.get("NUMBA_CACHE_DIR"):
        path = Path(os.environ["NUMBA_CACHE_DIR"])
        return path if _writable(path) else None
    for path in candidate_dirs():
        if _writable(path):
            os.environ["NUMBA_CACHE_DIR"] = str(path)
            return path
    return None


def cache_files(path: Path) -> list[Path]:
    """The Numba index and data files under `path`."""
    if not path.is_dir():
        return []
    return sorted(p for p in path.rglob("*") if p.suffix in (".nbi", ".nbc"))
