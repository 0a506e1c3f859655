"""BLAS on one thread for the family's entry points: every matrix here is d x d (or n x d once), where
BLAS threads cost more than they give (measured: a 200 x 200 inverse takes 1.3 ms CPU on one thread and
38 ms with two threads on a busy 2-core machine), and spin-waiting BLAS threads take CPU from Numba's
parallel candidate scoring."""

from __future__ import annotations

import functools

_controller = []


def _blas_controller():
    """One threadpoolctl controller, made after scipy's own BLAS has loaded (so the limit reaches it);
    inspecting the loaded libraries costs milliseconds, so it is done once."""
    if not _controller:
        import scipy.linalg  # noqa: F401
        import scipy.optimize  # noqa: F401
        from threadpoolctl import ThreadpoolController

        _controller.append(ThreadpoolController())
    return _controller[0]


def one_blas_thread(func):
    """Run `func` with every loaded BLAS limited to one thread."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _blas_controller().limit(limits=1, user_api="blas"):
            return func(*args, **kwargs)
    return wrapper
