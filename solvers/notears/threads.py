"""BLAS on one thread for the family's entry points: every matrix here is d x d (or n x d once), where
BLAS threads cost more than they give (measured: a 200 x 200 inverse takes 1.3 ms CPU on one thread and
38 ms with two threads on a busy 2-core machine), and spin-waiting BLAS threads take CPU from Numba's
parallel candidate scoring."""

from __future__ import annotations

import functools


def one_blas_thread(func):
    """Run `func` with every loaded BLAS limited to one thread."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import scipy.linalg  # noqa: F401  (scipy ships its own BLAS: load it first so the limit reaches it)
        import scipy.optimize  # noqa: F401
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)
    return wrapper
