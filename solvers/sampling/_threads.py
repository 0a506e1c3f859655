"""BLAS on one thread for this family's dense work.

Every dense product here is (rows x d) by (d x d) or a d x d factorisation with d in the tens: BLAS
threads add little, and on a shared 2-core machine their spin-waiting made a 25 x 3 Lewis iteration
80x slower (24 ms instead of 0.3 ms per step) and d = 51 Newton solves 15x slower. Numba's parallel
kernels keep their threads.
"""

from __future__ import annotations

import functools


def one_blas_thread(func):
    """Run `func` with every BLAS library limited to one thread."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import scipy.linalg  # noqa: F401  (load scipy's own BLAS first, so the limit reaches it too)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper
