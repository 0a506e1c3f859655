"""Numba kernels of alternating minimisation for matrix completion: compressed views of the observed
entries, the per-row ridge least-squares solvers (exact, cg/pcg, sketch), residual passes, predictions.

Conventions: a "half-step" updates every row of X (m x k) from the opposite factor F (n x k) and the
compressed view of the observed entries (indptr int64, indices int32, data float64) whose major axis
is X's. Row i minimises sum_p (data[p] - <x_i, F[indices[p]]>)^2 + lam * d_i * |x_i|^2 over its d_i
entries. Rows are split into chunks of about equal work (`bounds`); `prange` runs over chunks, each
with its own buffers, and every row is computed the same way whatever the thread count, so results do
not depend on it. Per-row outputs (`row_sq`, `failed`, `steps`) are reduced by the caller, in order.
A row with no entries keeps its value; a row whose system is numerically singular keeps its value and
is flagged in `failed`.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import kernel, parallel_kernel, prange

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
def _upper_solve(R, b, k):
    """Solve R x = b in place, R upper triangular (the leading k x k block of R)."""
    for i in range(k - 1, -1, -1):
        s = b[i]
        for t in range(i + 1, k):
            s -= R[i, t] * b[t]
        b[i] = s / R[i, i]


@kernel
def _upper_transpose_solve(R, b, k):
    """Solve Rᵀ x = b in place, R upper triangular."""
    for i in range(k):
        s = b[i]
        for t in range(i):
            s -= R[t, i] * b[t]
        b[i] = s / R[i, i]


@kernel
def _dot(a, b, k):
    s = 0.0
    for t in range(k):
        s += a[t] * b[t]
    return s


@kernel
def _row_residual(indptr, indices, data, x, F, i):
    """sum over row i's entries of (data - <x, F[j]>)^2."""
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
def _normal_residual(indptr, indices, data, F, i, x, ridge, r, g):
    """r = Fᵀ(y - F x) - ridge x and g = Fᵀ y over row i's entries (one read of the row block)."""
    k = x.shape[0]
    r[:] = 0.0
    g[:] = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        f = F[indices[p]]
        y = data[p]
        t = y
        for a in range(k):
            t -= f[a] * x[a]
        for a in range(k):
            r[a] += t * f[a]
            g[a] += y * f[a]
    for a in range(k):
        r[a] -= ridge * x[a]


@kernel
def _normal_matvec(indptr, indices, F, i, v, ridge, out):
    """out = (Fᵀ F + ridge I) v over row i's entries (one read of the row block)."""
    k = v.shape[0]
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
    """Exact ridge least squares per row: the lower triangle of the Gram FᵀF and Fᵀy in one read of
    the row block, then a k x k Cholesky solve (O(d k^2 + k^3) per row)."""
    k = F.shape[1]
    for c in prange(bounds.shape[0] - 1):
        G = np.empty((k, k))
        rhs = np.empty(k)
        for i in range(bounds[c], bounds[c + 1]):
            failed[i] = 0
            d = indptr[i + 1] - indptr[i]
            if d == 0:
                row_sq[i] = 0.0
                continue
            G[:, :] = 0.0
            rhs[:] = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                f = F[indices[p]]
                y = data[p]
                for a in range(k):
                    fa = f[a]
                    rhs[a] += y * fa
                    for b in range(a + 1):
                        G[a, b] += fa * f[b]
            ridge = lam * d
            for a in range(k):
                G[a, a] += ridge
            if _cholesky(G, k):
                _cholesky_solve(G, rhs, k)
                X[i, :] = rhs
            else:
                failed[i] = 1
            if want_residual:
                row_sq[i] = _row_residual(indptr, indices, data, X[i], F, i)


# ------------------------------------------------------------------------------------------- cg, pcg


@parallel_kernel
def solve_rows_cg(indptr, indices, data, F, X, lam, steps, L, bounds, want_residual, row_sq, failed, done):
    """Warm-started conjugate gradients on each row's normal equations (Fᵀ F + lam d I) x = Fᵀ y, from
    the current x, `steps` iterations at most (each one read of the row block; one more for the initial
    residual). With a Cholesky factor L of C (k x k, shared by all rows), preconditioned by d C: a good
    guess of every row's normal matrix when entries are spread uniformly (E FᵢᵀFᵢ = d FᵀF / n); an empty
    L (0 x 0) means no preconditioner. done[i] = iterations taken."""
    k = F.shape[1]
    precondition = L.shape[0] == k
    for c in prange(bounds.shape[0] - 1):
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
            x[:] = X[i]
            _normal_residual(indptr, indices, data, F, i, x, ridge, r, g)
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
                _normal_matvec(indptr, indices, F, i, p, ridge, q)
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
def _householder_qr(A, b, rows, k, v):
    """Householder QR of A[:rows, :k] in place (R in the upper triangle of A[:k, :k]), applying Qᵀ to b.
    False if R is singular."""
    for a in range(k):
        norm2 = 0.0
        for t in range(a, rows):
            norm2 += A[t, a] * A[t, a]
        norm = math.sqrt(norm2)
        if norm == 0.0:
            return False
        alpha = -norm if A[a, a] > 0.0 else norm
        for t in range(a, rows):
            v[t] = A[t, a]
        v[a] -= alpha
        vnorm2 = 0.0
        for t in range(a, rows):
            vnorm2 += v[t] * v[t]
        if vnorm2 > 0.0:
            for col in range(a, k):
                s = 0.0
                for t in range(a, rows):
                    s += v[t] * A[t, col]
                s *= 2.0 / vnorm2
                for t in range(a, rows):
                    A[t, col] -= s * v[t]
            s = 0.0
            for t in range(a, rows):
                s += v[t] * b[t]
            s *= 2.0 / vnorm2
            for t in range(a, rows):
                b[t] -= s * v[t]
        A[a, a] = alpha
    return True


@parallel_kernel
def solve_rows_sketch(indptr, indices, data, F, X, lam, steps, sketch_rows, seed, bounds, want_residual, row_sq,
                      failed, done):
    """The robust step of Gu, Song, Yin & Zhang (ICLR 2024) per row: a CountSketch S (s = sketch_rows
    buckets, a hashed bucket and sign per entry) of the row block [F_i | y_i], the ridge rows
    sqrt(lam d) I appended unsketched, Householder QR of S F_i = Q R, the sketch-and-solve start
    x0 = R⁻¹ Qᵀ S y, then `steps` conjugate-gradient iterations on the normal equations preconditioned
    by RᵀR (so the preconditioned matrix has condition number O(1)). A row with d <= s entries is not
    sketched (S = I: x0 is already exact). The sketch is fresh for every half-step (`seed`)."""
    k = F.shape[1]
    for c in prange(bounds.shape[0] - 1):
        A = np.empty((sketch_rows + k, k))
        sb = np.empty(sketch_rows + k)
        v = np.empty(sketch_rows + k)
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
            s = d if d <= sketch_rows else sketch_rows
            A[: s + k, :] = 0.0
            sb[: s + k] = 0.0
            start = indptr[i]
            if d <= sketch_rows:
                for t in range(d):
                    A[t, :] = F[indices[start + t]]
                    sb[t] = data[start + t]
            else:
                row_key = _mix(np.uint64(seed) ^ _mix(np.uint64(i)))
                for t in range(d):
                    h = _mix(row_key + np.uint64(t))
                    bucket = h % np.uint64(s)
                    sign = 1.0 if (h >> np.uint64(63)) == np.uint64(0) else -1.0
                    f = F[indices[start + t]]
                    for a in range(k):
                        A[bucket, a] += sign * f[a]
                    sb[bucket] += sign * data[start + t]
            ridge = lam * d
            root = math.sqrt(ridge)
            for a in range(k):
                A[s + a, a] = root
            if not _householder_qr(A, sb, s + k, k, v):
                failed[i] = 1
                if want_residual:
                    row_sq[i] = _row_residual(indptr, indices, data, X[i], F, i)
                continue
            x[:] = sb[:k]
            _upper_solve(A, x, k)
            _normal_residual(indptr, indices, data, F, i, x, ridge, r, g)
            stop = 1e-30 * _dot(g, g, k)
            z[:] = r
            _upper_transpose_solve(A, z, k)
            _upper_solve(A, z, k)
            rz = _dot(r, z, k)
            p[:] = z
            for it in range(steps):
                if _dot(r, r, k) <= stop:
                    break
                _normal_matvec(indptr, indices, F, i, p, ridge, q)
                pq = _dot(p, q, k)
                if not pq > 0.0:
                    break
                alpha = rz / pq
                for a in range(k):
                    x[a] += alpha * p[a]
                    r[a] -= alpha * q[a]
                z[:] = r
                _upper_transpose_solve(A, z, k)
                _upper_solve(A, z, k)
                rz_new = _dot(r, z, k)
                beta = rz_new / rz if rz > 0.0 else 0.0
                rz = rz_new
                for a in range(k):
                    p[a] = z[a] + beta * p[a]
                done[i] = it + 1
            X[i, :] = x
            if want_residual:
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
