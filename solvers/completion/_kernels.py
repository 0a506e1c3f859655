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
transposed buffer Bt (k x d, rows padded to a multiple of 4, leading dimension not a power of two), so
every later operation reads contiguous memory and vectorises along the entries: the Gram matrix in
4 x 4 register blocks, CG's matrix-vector products, the fused residual.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import kernel, parallel_kernel, prange

#: entries per tile of the exact solver's Gram accumulation (a k x TILE block stays in L1/L2)
TILE = 256
#: rows with at most this many entries are gathered whole for cg/pcg/sketch; longer rows read F directly
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
    """In-place lower Cholesky factor of the k x k SPD matrix in G's lower triangle; False if not SPD."""
    for j in range(k):
        s = G[j, j]
        for t in range(j):
            s -= G[j, t] * G[j, t]
        if not s > 0.0:
            return False
        ljj = math.sqrt(s)
        G[j, j] = ljj
        for i in range(j + 1, k):
            s = G[i, j]
            for t in range(j):
                s -= G[i, t] * G[j, t]
            G[i, j] = s / ljj
    return True


@kernel
def _cholesky_solve(L, b, k):
    """Solve (L Lᵀ) x = b in place (b becomes x)."""
    for i in range(k):
        s = b[i]
        for t in range(i):
            s -= L[i, t] * b[t]
        b[i] = s / L[i, i]
    for i in range(k - 1, -1, -1):
        s = b[i]
        for t in range(i + 1, k):
            s -= L[t, i] * b[t]
        b[i] = s / L[i, i]


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
def _gram_tile(Bt, y, d, k4, G, rhs):
    """Add Bt[:, :d] Bt[:, :d]ᵀ to the lower 4 x 4 blocks of G (k4 x k4) and Bt[:, :d] y to rhs.
    Sixteen scalar accumulators per block: LLVM vectorises them along t (reassociation allowed)."""
    for A in range(0, k4, 4):
        r0 = Bt[A]
        r1 = Bt[A + 1]
        r2 = Bt[A + 2]
        r3 = Bt[A + 3]
        q0 = 0.0
        q1 = 0.0
        q2 = 0.0
        q3 = 0.0
        for t in range(d):
            yt = y[t]
            q0 += r0[t] * yt
            q1 += r1[t] * yt
            q2 += r2[t] * yt
            q3 += r3[t] * yt
        rhs[A] += q0
        rhs[A + 1] += q1
        rhs[A + 2] += q2
        rhs[A + 3] += q3
        for B in range(0, A + 4, 4):
            c0 = Bt[B]
            c1 = Bt[B + 1]
            c2 = Bt[B + 2]
            c3 = Bt[B + 3]
            s00 = s01 = s02 = s03 = 0.0
            s10 = s11 = s12 = s13 = 0.0
            s20 = s21 = s22 = s23 = 0.0
            s30 = s31 = s32 = s33 = 0.0
            for t in range(d):
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


@kernel
def _block_residual(Bt, y, d, x, k, w):
    """sum_t (y[t] - <x, Bt[:, t]>)^2 over the gathered block (w: scratch of length >= d)."""
    for t in range(d):
        w[t] = y[t]
    for a in range(k):
        xa = x[a]
        row = Bt[a]
        for t in range(d):
            w[t] -= xa * row[t]
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
    (TILE entries gathered at a time, lower 4 x 4 blocks), then a k x k Cholesky solve
    (O(d k^2 + k^3) per row). With want_residual, row_sq[i] = the row's squared residuals afterwards."""
    k = F.shape[1]
    k4 = (k + 3) // 4 * 4
    for c in prange(bounds.shape[0] - 1):
        Bt = np.zeros((k4, TILE + PAD))
        y = np.empty(TILE)
        w = np.empty(TILE)
        G = np.zeros((k4, k4))
        rhs = np.zeros(k4)
        for i in range(bounds[c], bounds[c + 1]):
            failed[i] = 0
            start = indptr[i]
            end = indptr[i + 1]
            d = end - start
            if d == 0:
                row_sq[i] = 0.0
                continue
            G[:, :] = 0.0
            rhs[:] = 0.0
            for t0 in range(start, end, TILE):
                n_t = min(TILE, end - t0)
                _gather(indices, data, F, t0, n_t, Bt, y)
                _gram_tile(Bt, y, n_t, k4, G, rhs)
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
                if d <= TILE:  # the whole row is still in the buffer
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
            _gram_tile(SAt, sb, s, k4, R, rb)
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
