"""The asymptotically optimal relaxation parameter from an estimate of the Jacobi spectral radius.

For a consistently ordered matrix whose Jacobi matrix J = I - D^-1 A has real eigenvalues of modulus
below mu = rho(J) < 1 (Young), SOR converges fastest asymptotically at
    omega* = 2 / (1 + sqrt(1 - mu^2)),   with rho(C_omega*) = omega* - 1.
For symmetric A with a positive diagonal, J is similar to I - S with S = D^-1/2 A D^-1/2, so mu is
max(1 - lambda_min(S), lambda_max(S) - 1). Lanczos on S estimates both ends of its spectrum. It is an
estimate: Ritz values approach the extreme eigenvalues from inside, so mu (and omega*) can come out low
on large, badly conditioned matrices; Lanczos continues to twice as many steps until the estimate
settles, at most MAX_STEPS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _kernels as _k

#: Lanczos runs this many steps, then continues to twice as many, ..., until mu settles or MAX_STEPS
FIRST_STEPS, MAX_STEPS = 32, 512
#: mu has settled when doubling the steps changes it by less than this fraction of 1 - mu
SETTLED = 1e-3


@dataclass
class JacobiEstimate:
    mu: float           # the estimate of rho(J)
    steps: int          # Lanczos steps taken (one matrix-vector product each)
    settled: bool       # the estimate stopped changing, the Krylov space was exhausted, or mu >= 1

    @property
    def omega(self) -> float | None:
        """omega* = 2 / (1 + sqrt(1 - mu^2)), or None when mu >= 1 (no optimum: Jacobi diverges)."""
        return asymptotic_omega(self.mu)


def asymptotic_omega(mu: float) -> float | None:
    if not 0.0 <= mu < 1.0:
        return None
    return 2.0 / (1.0 + math.sqrt(1.0 - mu * mu))


def jacobi_radius(indptr, indices, data, diag) -> JacobiEstimate:
    """Estimate rho(I - D^-1 A) for a symmetric matrix with a positive diagonal (canonical CSR)."""
    from scipy.linalg import eigvalsh_tridiagonal

    n = indptr.shape[0] - 1
    scale = 1.0 / np.sqrt(data[diag])
    cur = np.random.default_rng(20231002).standard_normal(n)  # fixed start: the same answer every run
    cur /= np.linalg.norm(cur)
    prev = np.zeros(n)
    limit = min(n, MAX_STEPS)
    alpha, beta = np.empty(limit), np.empty(limit)
    done, stop, mu = 0, min(n, FIRST_STEPS), None
    while True:
        m = _k.lanczos(indptr, indices, data, scale, prev, cur, alpha, beta, done, stop)
        ritz = eigvalsh_tridiagonal(alpha[:m], beta[:m - 1]) if m > 1 else alpha[:1]
        new = max(1.0 - ritz[0], ritz[-1] - 1.0)
        exhausted = m < stop or m >= n
        if exhausted or new >= 1.0 or (mu is not None and abs(new - mu) <= SETTLED * (1.0 - new)):
            return JacobiEstimate(new, m, True)
        if m >= limit:
            return JacobiEstimate(new, m, False)
        mu, done, stop = new, m, min(2 * m, limit)
