"""Numba kernels of SOR on a CSR matrix: forward and backward sweeps, the exact residual fused into the
sweep, the whole stationary solve loop, and Lanczos steps for the Jacobi spectral radius.

Every kernel expects canonical CSR (sorted column indices, no duplicates) with a stored, nonzero
diagonal whose positions are given in `diag` (int64); `indptr` int64, `indices` int32, values float64.
No validation happens here: `api.py` guarantees all of that.

Speed: a sweep is bound by the loop-carried dependence on the value just updated, not by memory. So
the row sum adds the most recently updated neighbour (the entry just before the diagonal in a forward
sweep, just after it in a backward sweep) last, and the division by the diagonal is off that chain.

Residual: after a forward sweep x -> x+, b - A x+ = ((1/w - 1) D - U)(x+ - x); after a backward sweep
the same with L for U. For symmetric A, column i of U is row i's lower part, so each row scatters its
update into the residual of earlier rows while it is in cache: the exact residual for about one extra
pass over a vector (the kernels `*_sym`). For other matrices a second pass over the other triangle
computes it (still exact, and cheaper than b - A x).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import exact_kernel

#: solve-loop outcomes (api.py maps them to the Result status table)
CONVERGED, MAX_ITER, DIVERGED = 0, 1, 2

#: the residual may grow this much over its reference before the run counts as diverged
DIVERGENCE_FACTOR = 1e8


@exact_kernel
def residual(indptr, indices, data, b, x, r):
    """r = b - A x; returns ||r||_2."""
    total = 0.0
    for i in range(x.shape[0]):
        s = b[i]
        for k in range(indptr[i], indptr[i + 1]):
            s -= data[k] * x[indices[k]]
        r[i] = s
        total += s * s
    return math.sqrt(total)


@exact_kernel
def forward_sweep(indptr, indices, data, diag, b, x, omega):
    """One forward SOR sweep in place (rows 0..n-1)."""
    keep = 1.0 - omega
    for i in range(x.shape[0]):
        start, d, end = indptr[i], diag[i], indptr[i + 1]
        s = b[i]
        for k in range(start, d - 1):
            s -= data[k] * x[indices[k]]
        for k in range(d + 1, end):
            s -= data[k] * x[indices[k]]
        if d > start:
            s -= data[d - 1] * x[indices[d - 1]]
        x[i] = keep * x[i] + (omega / data[d]) * s


@exact_kernel
def backward_sweep(indptr, indices, data, diag, b, x, omega):
    """One backward SOR sweep in place (rows n-1..0)."""
    keep = 1.0 - omega
    for i in range(x.shape[0] - 1, -1, -1):
        start, d, end = indptr[i], diag[i], indptr[i + 1]
        s = b[i]
        for k in range(start, d):
            s -= data[k] * x[indices[k]]
        for k in range(d + 2, end):
            s -= data[k] * x[indices[k]]
        if d + 1 < end:
            s -= data[d + 1] * x[indices[d + 1]]
        x[i] = keep * x[i] + (omega / data[d]) * s


@exact_kernel
def forward_sweep_sym(indptr, indices, data, diag, b, x, omega, r):
    """Forward sweep of a symmetric matrix that also leaves r = b - A x+ and returns ||r||_2."""
    keep = 1.0 - omega
    coef = 1.0 / omega - 1.0
    for i in range(x.shape[0]):
        start, d, end = indptr[i], diag[i], indptr[i + 1]
        s = b[i]
        for k in range(start, d - 1):
            s -= data[k] * x[indices[k]]
        for k in range(d + 1, end):
            s -= data[k] * x[indices[k]]
        if d > start:
            s -= data[d - 1] * x[indices[d - 1]]
        new = keep * x[i] + (omega / data[d]) * s
        dx = new - x[i]
        x[i] = new
        r[i] = coef * data[d] * dx
        for k in range(start, d):  # a_ji = a_ij: row i's lower entries are column i's upper ones
            r[indices[k]] -= data[k] * dx
    return _norm(r)


@exact_kernel
def backward_sweep_sym(indptr, indices, data, diag, b, x, omega, r):
    """Backward sweep of a symmetric matrix that also leaves r = b - A x+ and returns ||r||_2."""
    keep = 1.0 - omega
    coef = 1.0 / omega - 1.0
    for i in range(x.shape[0] - 1, -1, -1):
        start, d, end = indptr[i], diag[i], indptr[i + 1]
        s = b[i]
        for k in range(start, d):
            s -= data[k] * x[indices[k]]
        for k in range(d + 2, end):
            s -= data[k] * x[indices[k]]
        if d + 1 < end:
            s -= data[d + 1] * x[indices[d + 1]]
        new = keep * x[i] + (omega / data[d]) * s
        dx = new - x[i]
        x[i] = new
        r[i] = coef * data[d] * dx
        for k in range(d + 1, end):
            r[indices[k]] -= data[k] * dx
    return _norm(r)


@exact_kernel
def forward_sweep_general(indptr, indices, data, diag, b, x, omega, r, dx):
    """Forward sweep of any matrix, then r = ((1/w - 1) D - U) dx from the upper triangle; ||r||_2."""
    keep = 1.0 - omega
    n = x.shape[0]
    for i in range(n):
        start, d, end = indptr[i], diag[i], indptr[i + 1]
        s = b[i]
        for k in range(start, d - 1):
            s -= data[k] * x[indices[k]]
        for k in range(d + 1, end):
            s -= data[k] * x[indices[k]]
        if d > start:
            s -= data[d - 1] * x[indices[d - 1]]
        new = keep * x[i] + (omega / data[d]) * s
        dx[i] = new - x[i]
        x[i] = new
    coef = 1.0 / omega - 1.0
    total = 0.0
    for i in range(n):
        d, end = diag[i], indptr[i + 1]
        s = coef * data[d] * dx[i]
        for k in range(d + 1, end):
            s -= data[k] * dx[indices[k]]
        r[i] = s
        total += s * s
    return math.sqrt(total)


@exact_kernel
def backward_sweep_general(indptr, indices, data, diag, b, x, omega, r, dx):
    """Backward sweep of any matrix, then r = ((1/w - 1) D - L) dx from the lower triangle; ||r||_2."""
    keep = 1.0 - omega
    n = x.shape[0]
    for i in range(n - 1, -1, -1):
        start, d, end = indptr[i], diag[i], indptr[i + 1]
        s = b[i]
        for k in range(start, d):
            s -= data[k] * x[indices[k]]
        for k in range(d + 2, end):
            s -= data[k] * x[indices[k]]
        if d + 1 < end:
            s -= data[d + 1] * x[indices[d + 1]]
        new = keep * x[i] + (omega / data[d]) * s
        dx[i] = new - x[i]
        x[i] = new
    coef = 1.0 / omega - 1.0
    total = 0.0
    for i in range(n):
        start, d = indptr[i], diag[i]
        s = coef * data[d] * dx[i]
        for k in range(start, d):
            s -= data[k] * dx[indices[k]]
        r[i] = s
        total += s * s
    return math.sqrt(total)


@exact_kernel
def _norm(r):
    total = 0.0
    for i in range(r.shape[0]):
        total += r[i] * r[i]
    return math.sqrt(total)


@exact_kernel
def _iterate(indptr, indices, data, diag, b, x, omega, symmetric_sweep, symmetric_matrix, r, dx):
    """One SOR iteration (a forward sweep, or a forward and a backward sweep for SSOR) leaving
    r = b - A x; returns ||r||_2."""
    if symmetric_sweep:
        forward_sweep(indptr, indices, data, diag, b, x, omega)
        if symmetric_matrix:
            return backward_sweep_sym(indptr, indices, data, diag, b, x, omega, r)
        return backward_sweep_general(indptr, indices, data, diag, b, x, omega, r, dx)
    if symmetric_matrix:
        return forward_sweep_sym(indptr, indices, data, diag, b, x, omega, r)
    return forward_sweep_general(indptr, indices, data, diag, b, x, omega, r, dx)


@exact_kernel
def solve(indptr, indices, data, diag, b, x, omega, symmetric_sweep, symmetric_matrix, ref_is_b, tol,
          max_iter, r, dx):
    """Iterate SOR from x (in place) until ||b - A x|| < tol * ||ref||, where ref is b (ref_is_b) or
    the initial residual; stop at max_iter, or as diverged when the residual is not finite or grew
    DIVERGENCE_FACTOR times past its reference. If the reference norm is zero, ||r0|| is used, and a
    zero r0 means x is already exact.

    Returns (status, iterations, ||r||, ||ref||)."""
    r0 = residual(indptr, indices, data, b, x, r)
    ref = r0
    if ref_is_b:
        ref = _norm(b)
        if ref == 0.0:
            ref = r0
    if r0 == 0.0 or r0 < tol * ref:
        return CONVERGED, 0, r0, ref
    limit = DIVERGENCE_FACTOR * max(ref, r0)
    rnorm = r0
    for it in range(1, max_iter + 1):
        rnorm = _iterate(indptr, indices, data, diag, b, x, omega, symmetric_sweep, symmetric_matrix, r, dx)
        if not rnorm < limit:  # also catches NaN
            return DIVERGED, it, rnorm, ref
        if rnorm < tol * ref:
            return CONVERGED, it, rnorm, ref
    return MAX_ITER, max_iter, rnorm, ref


@exact_kernel
def lanczos(indptr, indices, data, scale, prev, cur, alpha, beta, start, stop):
    """Lanczos steps start..stop-1 on S = diag(scale) A diag(scale) (scale = 1/sqrt(diagonal)), without
    reorthogonalisation (only the extreme Ritz values are used). `cur` holds the current unit Lanczos
    vector and `prev` the one before (zeros at start 0); both are advanced in place, so a later call
    continues where this one stopped. Fills alpha[j] and beta[j] (beta[j] couples steps j and j+1) and
    returns the last step done + 1: less than `stop` if an invariant subspace was found."""
    n = cur.shape[0]
    w = np.empty(n)
    for j in range(start, stop):
        b_prev = beta[j - 1] if j > 0 else 0.0
        for i in range(n):
            s = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                s += data[k] * scale[indices[k]] * cur[indices[k]]
            w[i] = scale[i] * s - b_prev * prev[i]
        a = 0.0
        for i in range(n):
            a += w[i] * cur[i]
        alpha[j] = a
        nrm = 0.0
        for i in range(n):
            w[i] -= a * cur[i]
            nrm += w[i] * w[i]
        nrm = math.sqrt(nrm)
        beta[j] = nrm
        if nrm <= 1e-13 * (abs(a) + b_prev):
            return j + 1
        for i in range(n):
            prev[i] = cur[i]
            cur[i] = w[i] / nrm
    return stop
