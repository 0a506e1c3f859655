"""BLAS on one thread for entry points whose dense work is small (d x d factorisations, n x d products
with d in the tens): there BLAS threads cost more than they give. On a busy 2-core machine a 200 x 200
inverse took 1.3 ms CPU on one thread and 38 ms on two, and spin-waiting BLAS threads take CPU from
Numba's parallel kernels. Numba's own threads are not limited.
"""

from __future__ import annotations

import functools

_controller = []


def _blas_controller():
    """One threadpoolctl controller, made after scipy's own OpenBLAS has loaded (so the limit reaches it);
    inspecting the loaded libraries costs milliseconds, so it is done once per process."""
    if not _controller:
        import scipy.linalg  # noqa: F401
        import scipy.optimize  # noqa: F401
        from threadpoolctl import ThreadpoolController

        _controller.append(ThreadpoolController())
    return _controller[0]


def one_blas_thread(func):
    """Run `func` with every loaded BLAS library limited to one thread."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _blas_controller().limit(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper
