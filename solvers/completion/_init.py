"""Starting factors: JNS13's spectral start (top-k SVD of the rescaled observed matrix, then incoherence
clipping) and a seeded Gaussian start.

Both return balanced factors (U0 = left vectors x sqrt(s), V0 = right vectors x sqrt(s), or Gaussians
of matching scale), so the count-scaled ridge penalises U and V alike from the first step. Rows and
columns without observations start (and stay) at zero.
"""

from __future__ import annotations

import math

import numpy as np

#: tags of the random streams derived from --seed: a generator seeded with the same number (e.g.
#: `optsuite generate --seed 0`) must not hand the solver its own truth as a "random" start
STREAM_SVD, STREAM_RANDOM_START, STREAM_HOLDOUT, STREAM_SKETCH = 1, 2, 3, 4

#: matrices with a side at most this long get a dense SVD (ARPACK needs k < min(m, n) and is slow near it)
DENSE_SVD_SIDE = 64


def svd_start(by_row, shape, rank, mu, seed):
    """(U0, V0, info): top-`rank` singular triplets of P_Omega(M) / p, p = |Omega| / (m n) (ARPACK via
    scipy's svds, seeded start vector; a dense SVD when a side is short or k is near it), then, when `mu` is given, JNS13's
    clipping: zero every entry of U above 2 mu sqrt(k/m) (of V above 2 mu sqrt(k/n)) and re-orthonormalise.
    `by_row` is the row-major view of the entries to use."""
    import scipy.sparse as sp

    m, n = shape
    p = by_row.nnz / (m * n)
    A = sp.csr_matrix((by_row.data / p, by_row.indices, by_row.indptr), shape=shape)
    if min(m, n) <= DENSE_SVD_SIDE or rank >= min(m, n) // 2:
        left, s, right_t = np.linalg.svd(A.toarray(), full_matrices=False)
        left, s, right = left[:, :rank], s[:rank], right_t[:rank].T
    else:
        from scipy.sparse.linalg import svds

        v0 = np.random.default_rng((seed, STREAM_SVD)).standard_normal(min(m, n))
        left, s, right_t = svds(A, k=rank, v0=v0)
        order = np.argsort(s)[::-1]
        left, s, right = left[:, order], s[order], right_t[order].T
    info = {"singular_values": s.copy(), "clipped_entries": 0}
    if mu is not None:
        left, cu = _clip(left, mu, rank)
        right, cv = _clip(right, mu, rank)
        info["clipped_entries"] = cu + cv
    scale = np.sqrt(np.maximum(s, 0.0))
    U0 = np.ascontiguousarray(left * scale)
    V0 = np.ascontiguousarray(right * scale)
    return U0, V0, info


def _clip(Q, mu, rank):
    """Zero the entries of the orthonormal Q above 2 mu sqrt(k / rows), then re-orthonormalise (QR)."""
    rows = Q.shape[0]
    limit = 2.0 * mu * math.sqrt(rank / rows)
    big = np.abs(Q) > limit
    clipped = int(big.sum())
    if clipped:
        Q = np.where(big, 0.0, Q)
        Q = np.linalg.qr(Q)[0]
    return Q, clipped


def random_start(shape, rank, rms, seed):
    """Gaussian U0, V0 whose product has entries of about the data's RMS."""
    m, n = shape
    rng = np.random.default_rng((seed, STREAM_RANDOM_START))
    sigma = math.sqrt(max(rms, 1e-300) / math.sqrt(rank))
    return rng.standard_normal((m, rank)) * sigma, rng.standard_normal((n, rank)) * sigma
