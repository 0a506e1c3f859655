"""Numba kernels for l_p row sampling: fused sums of |y|^p and the per-row terms of the l_p Newton step.
Private: no validation here (see the modules that call them).

Every kernel takes float64 arrays and a float64 exponent p. The power |y|^p is special-cased for
p = 1, 2, 3 and 1.5 (a * sqrt(a)): the general exp/log power was the bottleneck of sensitivity
estimates at n = 10^6 (400 powers per row). Sums are accumulated serially in a fixed order per output
entry, so results do not depend on the number of threads.
"""

import math

import numpy as np

from .._jit import kernel, parallel_kernel, prange

#: columns per parallel chunk of `pow_col_sums` (each thread owns whole columns: no races, fixed order)
_CHUNK = 64


@kernel
def _abs_pow(a, p):
    """|a|^p for a real a and p >= 1."""
    a = abs(a)
    if p == 1.0:
        return a
    if p == 2.0:
        return a * a
    if p == 3.0:
        return a * a * a
    if p == 1.5:
        return a * math.sqrt(a)
    if a == 0.0:
        return 0.0
    return math.exp(p * math.log(a))


@parallel_kernel
def pow_col_sums(Y, c, p, out):
    """out[j] += sum_i c[i] * |Y[i, j]|^p for a C-ordered Y (rows x columns).

    Used for the denominators of the sensitivity estimate (Y = sample rows x all rows) and for the
    distortion check (Y = rows x directions)."""
    m, ncol = Y.shape
    nchunks = (ncol + _CHUNK - 1) // _CHUNK
    for ch in prange(nchunks):
        j0 = ch * _CHUNK
        j1 = min(ncol, j0 + _CHUNK)
        acc = np.zeros(j1 - j0)
        for i in range(m):
            ci = c[i]
            for j in range(j0, j1):
                acc[j - j0] += ci * _abs_pow(Y[i, j], p)
        for j in range(j0, j1):
            out[j] += acc[j - j0]


@kernel
def lp_loss(r, w, p):
    """sum_i w[i] * |r[i]|^p (w may be None: every row counts once)."""
    total = 0.0
    for i in range(r.shape[0]):
        t = _abs_pow(r[i], p)
        total += t if w is None else w[i] * t
    return total


@kernel
def newton_terms(r, w, p, delta, g, h):
    """Per-row terms of the weighted l_p loss f = sum w |r|^p at residuals r: writes the derivative
    g = w p |r|^(p-1) sign(r) and the curvature h = w p (p-1) max(|r|, delta)^(p-2), returns f.

    For p < 2 the curvature is unbounded at r = 0; `delta` caps it (the loss itself is exact, so a line
    search on it still converges to the true minimiser)."""
    total = 0.0
    for i in range(r.shape[0]):
        a = abs(r[i])
        wi = 1.0 if w is None else w[i]
        total += wi * _abs_pow(a, p)
        d1 = _abs_pow(a, p - 1.0)
        g[i] = wi * p * (d1 if r[i] >= 0.0 else -d1)
        h[i] = wi * p * (p - 1.0) * _abs_pow(max(a, delta), p - 2.0) if p != 2.0 else wi * 2.0
    return total
