"""The one JIT decorator policy for every optsuite kernel. Import numba only through this module.

- `cache=True` where a cache directory is writable (chosen by `_cache.configure()` before numba loads),
  else compile in memory rather than crash at import;
- `nogil=True`, so kernels can run in threads;
- fastmath with a named flag set that leaves out `nnan` and `ninf`: `fastmath=True` lets LLVM assume
  no inf or NaN, which silently breaks inf sentinels and NaN checks;
- no eager signatures: the first call compiles (or loads from the cache), and the CLI times that call
  separately as the `compile` phase.
`parallel_kernel` is for top-level drivers that give each thread its own slice and reduce afterwards.
"""

from __future__ import annotations

from . import _cache

CACHE_DIR = _cache.configure()
CACHE_OK = CACHE_DIR is not None

import numba  # noqa: E402  (must come after the cache directory is chosen)
from numba import prange  # noqa: E402,F401  (re-exported: kernels import it from here)

FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def kernel(func):
    """Decorate a serial kernel with the project's policy."""
    return numba.njit(cache=CACHE_OK, nogil=True, fastmath=set(FASTMATH_FLAGS))(func)


def exact_kernel(func):
    """Like `kernel` but without fastmath: for kernels whose floating-point results must match a peer
    bit for bit (reassociation would change the order of sums)."""
    return numba.njit(cache=CACHE_OK, nogil=True)(func)


def parallel_kernel(func):
    """Decorate a top-level driver that uses prange over independent slices (deterministic results)."""
    return numba.njit(cache=CACHE_OK, nogil=True, parallel=True, fastmath=set(FASTMATH_FLAGS))(func)
