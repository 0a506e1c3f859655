"""Numba kernels of alternating minimisation for matrix completion: compressed views of the observed
entries, the per-row ridge least-squares solvers (exact, cg/pcg, sketch), residual passes, predictions.

Conventions: a "half-step" updates every row of X (m x k) from the opposite factor F (n x k) and the
compressed view of the observed entries (indptr int64, indices int32, data float64) whose major axis
is X's. Row i minimises sum_p (data[p] - <x_i, F[indices[p]]>)^2 + lam * d_i * |x_i|^2 over its d_i
entries. Rows are split into chunks of about equal work (`bounds`); `prange` runs over chunks, each
with its own buffers, and every row is computed the same way whatever the thread count, so results do
not depend on it. Per-row outputs (`row_sq`, `failed`, `done`) are reduced by the caller, in order.
A row with no entries keeps its value; a row whose system is numerically singular keeps its value and
is flagged in `failed`.

Speed: the row block F_i (d x k, rows of F gathered from all over memory) is copied once into a
transposed buffer Bt (k x d, leading dimension not a power of two), so every later operation reads
contiguous memory and vectorises along the entries: the Gram matrix's lower triangle in 4 x 4 register
blocks, CG's matrix-vector products, the fused residual.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import kernel, parallel_kernel, prange

#: entries per tile of the exact solver's Gram accumulation (a k x TILE block stays in L1/L2)
TILE = 256
#: rows with at most this many entries are gathered whole; longer rows read F directly (cg/pcg/sketch)
#: or gather tile after tile into the same columns (exact)
CAP = 2048
#: padding of the buffers' leading dimension: a power-of-two stride maps the k rows onto the same cache sets
PAD = 8

# ------------------------------------------------------------------------------------ compressed views


@kernel
def compress(major, minor, values, indptr, indices, data):
    """Counting sort of entries by `major` (stable: file order within a row). indptr has n_major + 1
    slots and is filled here; indices (int32) and data get the minor index and value of each entry."""
    indptr[:] = 0
    for p in range(major.shape[0]):
        indptr[major[p] + 1] += 1
    for i in range(indptr.shape[0] - 1):
        indptr[i + 1] += indptr[i]
    pos = indptr[:-1].copy()
    for p in range(major.shape[0]):
        q = pos[major[p]]
        indices[q] = minor[p]
        data[q] = values[p]
        pos[major[p]] = q + 1


# ----------------------------------------------------------------------------------- small dense helpers


@kernel
def _cholesky(G, k):
    """In-place lower Cholesky factor of the k x k SPD matrix in G's lower triangle, its diagonal stored
    as reciprocals (so `_cholesky_solve` multiplies instead of dividing: the divisions, not the FMAs,
    are the latency chain of a small solve); False if not SPD. Left-looking, four rows below the
    diagonal at a time: four independent dot products per pass over row j (one chain of a k <= 30 dot
    product cannot keep the FMA units busy)."""
    for j in range(k):
        gj = G[j]
        s = gj[j]
        for t in range(j):
            s -= gj[t] * gj[t]
        if not s > 0.0:
            return False
        r = 1.0 / math.sqrt(s)
        gj[j] = r
        i = j + 1
        while i + 4 <= k:
            g0 = G[i]
            g1 = G[i + 1]
            g2 = G[i + 2]
            g3 = G[i + 3]
            s0 = g0[j]
            s1 = g1[j]
            s2 = g2[j]
            s3 = g3[j]
            for t in range(j):
                v = gj[t]
                s0 -= g0[t] * v
                s1 -= g1[t] * v
                s2 -= g2[t] * v
                s3 -= g3[t] * v
            g0[j] = s0 * r
            g1[j] = s1 * r
            g2[j] = s2 * r
            g3[j] = s3 * r
            i += 4
        while i < k:
            gi = G[i]
            s = gi[j]
            for t in range(j):
                s -= gi[t] * gj[t]
            gi[j] = s * r
            i += 1
    return True


@kernel
def _cholesky_solve(L, b, k):
    """Solve (L Lᵀ) x = b in place (b becomes x), L as `_cholesky` leaves it (reciprocal diagonal). The
    backward sweep runs along L's rows (contiguous)."""
    for i in range(k):
        li = L[i]
        s = b[i]
        for t in range(i):
            s -= li[t] * b[t]
        b[i] = s * li[i]
    for i in range(k - 1, -1, -1):
        li = L[i]
        bi = b[i] * li[i]
        b[i] = bi
        for t in range(i):
            b[t] -= li[t] * bi


@kernel
def _dot(a, b, k):
    s = 0.0
    for t in range(k):
        s += a[t] * b[t]
    return s


# ----------------------------------------------------------------------------- the gathered row block


@kernel
def _gather(indices, data, F, start, d, Bt, y):
    """Bt[a, t] = F[indices[start + t], a] and y[t] = data[start + t] for t < d. Eight entries at a time,
    so each row of Bt receives 8 contiguous values per store (a third faster than one entry at a time)."""
    k = F.shape[1]
    t = 0
    while t + 8 <= d:
        p = start + t
        f0 = F[indices[p]]
        f1 = F[indices[p + 1]]
        f2 = F[indices[p + 2]]
        f3 = F[indices[p + 3]]
        f4 = F[indices[p + 4]]
        f5 = F[indices[p + 5]]
        f6 = F[indices[p + 6]]
        f7 = F[indices[p + 7]]
        for a in range(k):
            row = Bt[a]
            row[t] = f0[a]
            row[t + 1] = f1[a]
            row[t + 2] = f2[a]
            row[t + 3] = f3[a]
            row[t + 4] = f4[a]
            row[t + 5] = f5[a]
            row[t + 6] = f6[a]
            row[t + 7] = f7[a]
        t += 8
    while t < d:
        f = F[indices[start + t]]
        for a in range(k):
            Bt[a, t] = f[a]
        t += 1
    for t in range(d):
        y[t] = data[start + t]


@kernel
def _gram_tile(Bt, y, t0, t1, k, G, rhs):
    """Add the lower triangle of Bt[:k, t0:t1] Bt[:k, t0:t1]ᵀ to G and Bt[:k, t0:t1] y[t0:t1] to rhs.
    Rows in strips of four: 4 x 4 blocks left of the diagonal (sixteen accumulators), a 10-accumulator
    triangle on it; the last k mod 4 rows one at a time against four rows (so no FMA is spent on
    padding: k = 5 needs 20 products per entry, not 56). Scalar accumulators that LLVM vectorises along
    t (reassociation allowed). The loops run over views from 0: an index that might be negative keeps
    numba's wraparound select in every load and stops vectorisation (6x slower)."""
    n = t1 - t0
    yv = y[t0:t1]
    k4 = k // 4 * 4
    for A in range(0, k4, 4):
        r0 = Bt[A, t0:t1]
        r1 = Bt[A + 1, t0:t1]
        r2 = Bt[A + 2, t0:t1]
        r3 = Bt[A + 3, t0:t1]
        q0 = q1 = q2 = q3 = 0.0
        s00 = s10 = s11 = s20 = s21 = s22 = s30 = s31 = s32 = s33 = 0.0
        for t in range(n):
            a0 = r0[t]
            a1 = r1[t]
            a2 = r2[t]
            a3 = r3[t]
            yt = yv[t]
            q0 += a0 * yt
            q1 += a1 * yt
            q2 += a2 * yt
            q3 += a3 * yt
            s00 += a0 * a0
            s10 += a1 * a0
            s11 += a1 * a1
            s20 += a2 * a0
            s21 += a2 * a1
            s22 += a2 * a2
            s30 += a3 * a0
            s31 += a3 * a1
            s32 += a3 * a2
            s33 += a3 * a3
        rhs[A] += q0
        rhs[A + 1] += q1
        rhs[A + 2] += q2
        rhs[A + 3] += q3
        G[A, A] += s00
        G[A + 1, A] += s10
        G[A + 1, A + 1] += s11
        G[A + 2, A] += s20
        G[A + 2, A + 1] += s21
        G[A + 2, A + 2] += s22
        G[A + 3, A] += s30
        G[A + 3, A + 1] += s31
        G[A + 3, A + 2] += s32
        G[A + 3, A + 3] += s33
        for B in range(0, A, 4):
            c0 = Bt[B, t0:t1]
            c1 = Bt[B + 1, t0:t1]
            c2 = Bt[B + 2, t0:t1]
            c3 = Bt[B + 3, t0:t1]
            s00 = s01 = s02 = s03 = 0.0
            s10 = s11 = s12 = s13 = 0.0
            s20 = s21 = s22 = s23 = 0.0
            s30 = s31 = s32 = s33 = 0.0
            for t in range(n):
                a0 = r0[t]
                a1 = r1[t]
                a2 = r2[t]
                a3 = r3[t]
                b0 = c0[t]
                b1 = c1[t]
                b2 = c2[t]
                b3 = c3[t]
                s00 += a0 * b0
                s01 += a0 * b1
                s02 += a0 * b2
                s03 += a0 * b3
                s10 += a1 * b0
                s11 += a1 * b1
                s12 += a1 * b2
                s13 += a1 * b3
                s20 += a2 * b0
                s21 += a2 * b1
                s22 += a2 * b2
                s23 += a2 * b3
                s30 += a3 * b0
                s31 += a3 * b1
                s32 += a3 * b2
                s33 += a3 * b3
            G[A, B] += s00
            G[A, B + 1] += s01
            G[A, B + 2] += s02
            G[A, B + 3] += s03
            G[A + 1, B] += s10
            G[A + 1, B + 1] += s11
            G[A + 1, B + 2] += s12
            G[A + 1, B + 3] += s13
            G[A + 2, B] += s20
            G[A + 2, B + 1] += s21
            G[A + 2, B + 2] += s22
            G[A + 2, B + 3] += s23
            G[A + 3, B] += s30
            G[A + 3, B + 1] += s31
            G[A + 3, B + 2] += s32
            G[A + 3, B + 3] += s33
    for a in range(k4, k):
        r = Bt[a, t0:t1]
        q = 0.0
        for t in range(n):
            q += r[t] * yv[t]
        rhs[a] += q
        B = 0
        while B + 4 <= a + 1:
            c0 = Bt[B, t0:t1]
            c1 = Bt[B + 1, t0:t1]
            c2 = Bt[B + 2, t0:t1]
            c3 = Bt[B + 3, t0:t1]
            s0 = s1 = s2 = s3 = 0.0
            for t in range(n):
                at = r[t]
                s0 += at * c0[t]
                s1 += at * c1[t]
                s2 += at * c2[t]
                s3 += at * c3[t]
            G[a, B] += s0
            G[a, B + 1] += s1
            G[a, B + 2] += s2
            G[a, B + 3] += s3
            B += 4
        while B <= a:
            c0 = Bt[B, t0:t1]
            s0 = 0.0
            for t in range(n):
                s0 += r[t] * c0[t]
            G[a, B] += s0
            B += 1


@kernel
def _block_residual(Bt, y, d, x, k, w):
    """sum_t (y[t] - <x, Bt[:, t]>)^2 over the gathered block (w: scratch of length >= d). Four rows of
    Bt per sweep over w: a quarter of the loads and stores of w."""
    for t in range(d):
        w[t] = y[t]
    a = 0
    while a + 4 <= k:
        x0 = x[a]
        x1 = x[a + 1]
        x2 = x[a + 2]
        x3 = x[a + 3]
        r0 = Bt[a]
        r1 = Bt[a + 1]
        r2 = Bt[a + 2]
        r3 = Bt[a + 3]
        for t in range(d):
            w[t] -= x0 * r0[t] + x1 * r1[t] + x2 * r2[t] + x3 * r3[t]
        a += 4
    while a < k:
        xa = x[a]
        row = Bt[a]
        for t in range(d):
            w[t] -= xa * row[t]
        a += 1
    ss = 0.0
    for t in range(d):
        ss += w[t] * w[t]
    return ss


@kernel
def _row_residual(indptr, indices, data, x, F, i):
    """sum over row i's entries of (data - <x, F[j]>)^2, reading F directly."""
    k = x.shape[0]
    ss = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        f = F[indices[p]]
        r = data[p]
        for t in range(k):
            r -= x[t] * f[t]
        ss += r * r
    return ss


@kernel
def _normal_residual(gathered, Bt, y, indptr, indices, data, F, i, x, ridge, w, r, g):
    """r = F_iᵀ(y - F_i x) - ridge x and g = F_iᵀ y: from the gathered block, or reading F directly."""
    k = x.shape[0]
    if gathered:
        d = indptr[i + 1] - indptr[i]
        for t in range(d):
            w[t] = y[t]
        for a in range(k):
            xa = x[a]
            row = Bt[a]
            for t in range(d):
                w[t] -= xa * row[t]
        for a in range(k):
            row = Bt[a]
            sr = 0.0
            sg = 0.0
            for t in range(d):
                sr += row[t] * w[t]
                sg += row[t] * y[t]
            r[a] = sr - ridge * x[a]
            g[a] = sg
        return
    r[:] = 0.0
    g[:] = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        f = F[indices[p]]
        yp = data[p]
        t = yp
        for a in range(k):
            t -= f[a] * x[a]
        for a in range(k):
            r[a] += t * f[a]
            g[a] += yp * f[a]
    for a in range(k):
        r[a] -= ridge * x[a]


@kernel
def _normal_matvec(gathered, Bt, indptr, indices, F, i, v, ridge, w, out):
    """out = (F_iᵀ F_i + ridge I) v: from the gathered block, or reading F directly."""
    k = v.shape[0]
    if gathered:
        d = indptr[i + 1] - indptr[i]
        for t in range(d):
            w[t] = 0.0
        for a in range(k):
            va = v[a]
            row = Bt[a]
            for t in range(d):
                w[t] += va * row[t]
        for a in range(k):
            row = Bt[a]
            s = 0.0
            for t in range(d):
                s += row[t] * w[t]
            out[a] = s + ridge * v[a]
        return
    out[:] = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        f = F[indices[p]]
        t = 0.0
        for a in range(k):
            t += f[a] * v[a]
        for a in range(k):
            out[a] += t * f[a]
    for a in range(k):
        out[a] += ridge * v[a]


# -------------------------------------------------------------------------------------------- exact


@parallel_kernel
def solve_rows_exact(indptr, indices, data, F, X, lam, bounds, want_residual, row_sq, failed):
    """Exact ridge least squares per row: the Gram matrix F_iᵀF_i and F_iᵀy accumulated tile by tile
    (TILE entries gathered, then the lower triangle of their Gram matrix added), then a
    k x k Cholesky solve (O(d k^2 + k^3) per row). A row of up to CAP entries is gathered whole, tile
    after tile, so the residual after the solve (want_residual: row_sq[i] = the row's squared
    residuals) reads the buffer instead of F; a longer row reuses the first tile and reads F again."""
    k = F.shape[1]
    for c in prange(bounds.shape[0] - 1):
        Bt = np.empty((k, CAP + PAD))
        y = np.empty(CAP)
        w = np.empty(CAP)
        G = np.empty((k, k))
        rhs = np.empty(k)
        for i in range(bounds[c], bounds[c + 1]):
            failed[i] = 0
            start = indptr[i]
            d = indptr[i + 1] - start
            if d == 0:
                row_sq[i] = 0.0
                continue
            whole = d <= CAP
            G[:, :] = 0.0
            rhs[:] = 0.0
            for t0 in range(0, d, TILE):
                n_t = min(TILE, d - t0)
                off = t0 if whole else 0
                _gather(indices, data, F, start + t0, n_t, Bt[:, off:], y[off:])
                _gram_tile(Bt, y, off, off + n_t, k, G, rhs)
            ridge = lam * d
            for a in range(k):
                G[a, a] += ridge
            if _cholesky(G, k):
                _cholesky_solve(G, rhs, k)
                for a in range(k):
                    X[i, a] = rhs[a]
            else:
                failed[i] = 1
            if want_residual:
                if whole:
                    row_sq[i] = _block_residual(Bt, y, d, X[i], k, w)
                else:
                    row_sq[i] = _row_residual(indptr, indices, data, X[i], F, i)


# ------------------------------------------------------------------------------------------- cg, pcg


@parallel_kernel
def solve_rows_cg(indptr, indices, data, F, X, lam, steps, L, bounds, want_residual, row_sq, failed, done):
    """Warm-started conjugate gradients on each row's normal equations (F_iᵀ F_i + lam d I) x = F_iᵀ y,
    from the current x, at most `steps` iterations (one matrix-vector product each, on the gathered
    block). With a Cholesky factor L of C (k x k, shared by all rows) the iterations are preconditioned
    by d C, a good guess of every row's normal matrix when entries are spread evenly
    (E F_iᵀF_i = d FᵀF / n); an empty L (0 x 0) means no preconditioner. done[i] = iterations taken."""
    k = F.shape[1]
    k4 = (k + 3) // 4 * 4
    precondition = L.shape[0] == k
    for c in prange(bounds.shape[0] - 1):
        Bt = np.zeros((k4, CAP + PAD))
        y = np.empty(CAP)
        w = np.empty(CAP)
        x = np.empty(k)
        r = np.empty(k)
        g = np.empty(k)
        z = np.empty(k)
        p = np.empty(k)
        q = np.empty(k)
        for i in range(bounds[c], bounds[c + 1]):
            failed[i] = 0
            done[i] = 0
            d = indptr[i + 1] - indptr[i]
            if d == 0:
                row_sq[i] = 0.0
                continue
            gathered = d <= CAP
            if gathered:
                _gather(indices, data, F, indptr[i], d, Bt, y)
            ridge = lam * d
            x[:] = X[i]
            _normal_residual(gathered, Bt, y, indptr, indices, data, F, i, x, ridge, w, r, g)
            stop = 1e-30 * _dot(g, g, k)
            z[:] = r
            if precondition:
                _cholesky_solve(L, z, k)
                for a in range(k):
                    z[a] /= d
            rz = _dot(r, z, k)
            p[:] = z
            for it in range(steps):
                if _dot(r, r, k) <= stop:
                    break
                _normal_matvec(gathered, Bt, indptr, indices, F, i, p, ridge, w, q)
                pq = _dot(p, q, k)
                if not pq > 0.0:
                    failed[i] = 1
                    break
                alpha = rz / pq
                for a in range(k):
                    x[a] += alpha * p[a]
                    r[a] -= alpha * q[a]
                z[:] = r
                if precondition:
                    _cholesky_solve(L, z, k)
                    for a in range(k):
                        z[a] /= d
                rz_new = _dot(r, z, k)
                beta = rz_new / rz if rz > 0.0 else 0.0
                rz = rz_new
                for a in range(k):
                    p[a] = z[a] + beta * p[a]
                done[i] = it + 1
            if failed[i] == 0:
                X[i, :] = x
            if want_residual:
                if gathered:
                    row_sq[i] = _block_residual(Bt, y, d, X[i], k, w)
                else:
                    row_sq[i] = _row_residual(indptr, indices, data, X[i], F, i)


# --------------------------------------------------------------------------------------------- sketch


@kernel
def _mix(z):
    """splitmix64: a well-mixed 64-bit hash (CountSketch buckets and signs from (seed, row, entry))."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@kernel
def _sketch_row(indptr, indices, data, F, i, sketch_rows, seed, SA, SAt, sb):
    """Sketch row i's block: SAt[:k, :s] = (S F_i)ᵀ and sb[:s] = S y, S a CountSketch with
    s = min(d, sketch_rows) buckets (each entry added with a hashed sign to a hashed bucket; S = I when
    d <= sketch_rows). Buckets are accumulated row-major in SA (contiguous adds), then transposed into
    the layout `_gram_tile` reads. Returns s."""
    k = F.shape[1]
    start = indptr[i]
    d = indptr[i + 1] - start
    s = d if d <= sketch_rows else sketch_rows
    if d <= sketch_rows:
        for t in range(d):
            f = F[indices[start + t]]
            dest = SA[t]
            for a in range(k):
                dest[a] = f[a]
            sb[t] = data[start + t]
    else:
        SA[:s, :] = 0.0
        sb[:s] = 0.0
        row_key = _mix(np.uint64(seed) ^ _mix(np.uint64(i)))
        for t in range(d):
            h = _mix(row_key + np.uint64(t))
            bucket = ((h & np.uint64(0xFFFFFFFF)) * np.uint64(s)) >> np.uint64(32)  # uniform in [0, s)
            sign = -1.0 if h >> np.uint64(63) else 1.0
            f = F[indices[start + t]]
            dest = SA[bucket]
            for a in range(k):
                dest[a] += sign * f[a]
            sb[bucket] += sign * data[start + t]
    for a in range(k):
        row = SAt[a]
        for t in range(s):
            row[t] = SA[t, a]
    return s


@parallel_kernel
def solve_rows_sketch(indptr, indices, data, F, X, lam, steps, sketch_rows, seed, bounds, want_residual, row_sq,
                      failed, done):
    """The robust step of Gu, Song, Yin & Zhang (ICLR 2024), per row: a CountSketch S (s = sketch_rows
    buckets, a hashed bucket and sign per entry) of the row block [F_i | y]; the R factor of the sketched
    ridge problem [S F_i; sqrt(lam d) I] = Q R, computed as the Cholesky factor of its Gram matrix
    (CholeskyQR: the same R as Householder QR in exact arithmetic, several times faster on these small
    blocks, and the preconditioner only has to be approximate); the sketch-and-solve start
    x0 = argmin |S (F_i x - y)|^2 + lam d |x|^2; then `steps` conjugate-gradient iterations on the exact
    normal equations preconditioned by RᵀR (a subspace embedding makes the preconditioned matrix well
    conditioned). A row with d <= s entries is not sketched (S = I: x0 is already exact). The sketch is
    fresh for every half-step (`seed`)."""
    k = F.shape[1]
    k4 = (k + 3) // 4 * 4
    for c in prange(bounds.shape[0] - 1):
        Bt = np.zeros((k4, CAP + PAD))
        y = np.empty(CAP)
        w = np.empty(CAP)
        SA = np.empty((sketch_rows, k))
        SAt = np.zeros((k4, sketch_rows + PAD))
        sb = np.empty(sketch_rows)
        R = np.zeros((k4, k4))
        rb = np.zeros(k4)
        x = np.empty(k)
        r = np.empty(k)
        g = np.empty(k)
        z = np.empty(k)
        p = np.empty(k)
        q = np.empty(k)
        for i in range(bounds[c], bounds[c + 1]):
            failed[i] = 0
            done[i] = 0
            d = indptr[i + 1] - indptr[i]
            if d == 0:
                row_sq[i] = 0.0
                continue
            ridge = lam * d
            s = _sketch_row(indptr, indices, data, F, i, sketch_rows, seed, SA, SAt, sb)
            R[:, :] = 0.0
            rb[:] = 0.0
            _gram_tile(SAt, sb, 0, s, k, R, rb)
            for a in range(k):
                R[a, a] += ridge
            if not _cholesky(R, k):
                failed[i] = 1
                if want_residual:
                    row_sq[i] = _row_residual(indptr, indices, data, X[i], F, i)
                continue
            _cholesky_solve(R, rb, k)
            for a in range(k):
                x[a] = rb[a]
            gathered = d <= CAP
            if gathered:
                _gather(indices, data, F, indptr[i], d, Bt, y)
            _normal_residual(gathered, Bt, y, indptr, indices, data, F, i, x, ridge, w, r, g)
            stop = 1e-30 * _dot(g, g, k)
            z[:] = r
            _cholesky_solve(R, z, k)
            rz = _dot(r, z, k)
            p[:] = z
            for it in range(steps):
                if _dot(r, r, k) <= stop:
                    break
                _normal_matvec(gathered, Bt, indptr, indices, F, i, p, ridge, w, q)
                pq = _dot(p, q, k)
                if not pq > 0.0:
                    break
                alpha = rz / pq
                for a in range(k):
                    x[a] += alpha * p[a]
                    r[a] -= alpha * q[a]
                z[:] = r
                _cholesky_solve(R, z, k)
                rz_new = _dot(r, z, k)
                beta = rz_new / rz if rz > 0.0 else 0.0
                rz = rz_new
                for a in range(k):
                    p[a] = z[a] + beta * p[a]
                done[i] = it + 1
            X[i, :] = x
            if want_residual:
                if gathered:
                    row_sq[i] = _block_residual(Bt, y, d, X[i], k, w)
                else:
                    row_sq[i] = _row_residual(indptr, indices, data, X[i], F, i)


# ----------------------------------------------------------------------------- residuals, predictions


@parallel_kernel
def row_residuals(indptr, indices, data, X, F, bounds, row_sq):
    """The residual pass: row_sq[i] = sum over row i's entries of (data - <X[i], F[j]>)^2."""
    for c in prange(bounds.shape[0] - 1):
        for i in range(bounds[c], bounds[c + 1]):
            row_sq[i] = _row_residual(indptr, indices, data, X[i], F, i)


@parallel_kernel
def predict_entries(U, V, rows, cols, out):
    """out[e] = <U[rows[e]], V[cols[e]]>."""
    k = U.shape[1]
    for e in prange(rows.shape[0]):
        u = U[rows[e]]
        v = V[cols[e]]
        s = 0.0
        for t in range(k):
            s += u[t] * v[t]
        out[e] = s
