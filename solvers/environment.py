"""The environment block of every result and report: versions, CPU model, thread counts, JIT cache."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, else platform.processor()."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_threads() -> list[dict]:
    """BLAS/OpenMP thread pools loaded in this process (threadpoolctl), as small dicts."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    # some pools (scipy's Matrix Market reader) report `version` as a function to call
    return [
        {k: (v() if callable(v) else v) for k, v in ((k, pool.get(k)) for k in
                                                     ("user_api", "internal_api", "num_threads", "version"))}
        for pool in threadpool_info()
    ]


def environment() -> dict:
    """Versions, machine and thread settings that a timing depends on."""
    from optsuite.cli._version import __version__

    env = {
        "optsuite": __version__,
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "numba": _version("numba"),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
    }
    if "numba" in sys.modules:  # report, but never trigger, the numba import
        env["numba_threads"] = sys.modules["numba"].get_num_threads()
        env["jit_cache_dir"] = os.environ.get("NUMBA_CACHE_DIR")
    if "numpy" in sys.modules:
        env["blas"] = blas_threads()
    return env


def peak_rss_mib() -> float | None:
    """Peak resident memory of this process in MiB: VmHWM from /proc (per program, unlike ru_maxrss, which
    keeps the high-water mark of the parent a child was forked from), else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except (ImportError, OSError):
        return None


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
