"""NUMPY BASELINE for the speed comparison in `optsuite bench --only halpern`: the same methods as the
Numba kernels, iteration for iteration (same random stream, same oracle accounting), written in plain
vectorised numpy with a Python loop, as one would without a compiler. Not used by `solve`.

Each operation is a whole-array numpy call (matrix-vector products, a sort-based simplex projection),
so the comparison measures what compiling the loop buys, not a strawman.
"""

from __future__ import annotations

import math

import numpy as np

from . import _kernels as _k


class NumpyOperator:
    """F, component differences and the projection of a `MonotoneProblem`, in numpy."""

    def __init__(self, problem):
        self.p = problem
        self.n, self.m, self.kind = problem.n, problem.m, problem.kind

    def full(self, z):
        p, m = self.p, self.m
        if self.kind == _k.AFFINE:
            return p.mean @ z + p.const
        if self.kind == _k.LSQ:
            return p.mat.T @ (p.mat @ z) / self.n + p.const
        return np.concatenate([p.mean @ z[m:], -(p.mean.T @ z[:m])]) + p.const

    def diff(self, i, u):
        """J_i u = F_i(v + u) - F_i(v)."""
        p, m, n = self.p, self.m, self.n
        if self.kind == _k.BILINEAR:
            A = p.stack[i]
            return np.concatenate([A @ u[m:], -(A.T @ u[:m])])
        if self.kind == _k.ROWS:
            out = np.zeros_like(u)
            out[i] = n * (p.mat[i] @ u[m:])
            out[m:] = -n * u[i] * p.mat[i]
            return out
        if self.kind == _k.COLS:
            out = np.empty_like(u)
            out[:m] = n * u[m + i] * p.mat[i]
            out[m:] = 0.0
            out[m + i] = -n * (p.mat[i] @ u[:m])
            return out
        if self.kind == _k.AFFINE:
            return p.stack[i] @ u
        a = p.mat[i]
        return (a @ u) * a

    def project(self, v):
        parts, start = [], 0
        for b in self.p.blocks:
            vb = v[start:start + b.size]
            if b.kind == "free":
                parts.append(vb.copy())
            elif b.kind == "box":
                parts.append(np.clip(vb, b.lo, b.hi))
            elif b.kind == "simplex":
                u = np.sort(vb)[::-1]
                css = np.cumsum(u) - b.radius
                k = np.arange(1, vb.size + 1)
                rho = np.flatnonzero(u - css / k > 0)[-1]
                parts.append(np.maximum(vb - css[rho] / (rho + 1), 0.0))
            else:
                nrm = np.linalg.norm(vb)
                parts.append(vb * (b.radius / nrm) if nrm > b.radius else vb.copy())
            start += b.size
        return np.concatenate(parts)


class _Run:
    def __init__(self, op, tol, budget):
        self.op, self.tol, self.budget = op, tol, budget
        self.calls, self.history, self.best, self.best_r, self.last_r, self.anchor_r = 0, [], None, math.inf, 0.0, 0.0
        self.restarts = 0

    def afford(self, cost):
        if self.calls + cost > self.budget:
            return False
        self.calls += cost
        return True

    def full(self, z):
        return self.op.full(z) if self.afford(self.op.n) else None

    def check(self, z, Fz):
        r = float(np.linalg.norm(z - self.op.project(z - Fz)))
        self.history.append((self.calls / self.op.n, r))
        self.last_r = r
        if r < self.best_r:
            self.best, self.best_r = z.copy(), r
        return r <= self.tol

    def restart_due(self, restart, k):
        return restart and k > 0 and self.last_r <= _k.HALVED * self.anchor_r


def _index(rng, k):
    return min(int(rng.random() * k), k - 1)


def run(problem, method, params, *, z0, tol, max_oracle, restart=False, seed=0):
    """Run `method` (eg, eag, halpern-fb, halpern-ppa, vr-eg, vr-halpern, vr-inexact) with the parameters
    `solve` reports in `params`; returns (best point, best residual, history of [epochs, residual])."""
    op = NumpyOperator(problem)
    r = _Run(op, tol, int(math.floor(max_oracle * problem.n + 1e-9)))
    rng = np.random.default_rng(seed)
    _METHODS[method](op, r, np.array(z0, dtype=np.float64), params, restart, rng)
    return r.best, r.best_r, r.history


def _eg(op, r, z, prm, restart, rng):
    eta, P = prm["eta"], op.project
    while True:
        Fz = r.full(z)
        if Fz is None or r.check(z, Fz):
            return
        w = P(z - eta * Fz)
        Fw = r.full(w)
        if Fw is None:
            return
        z = P(z - eta * Fw)


def _anchored(step):
    """Shared loop of EAG and Halpern on the forward-backward map: check, restart, then `step`."""
    def method(op, r, z, prm, restart, rng):
        anchor, k = z.copy(), 0
        while True:
            Fz = r.full(z)
            if Fz is None or r.check(z, Fz):
                return
            if k == 0:
                r.anchor_r = r.last_r
            elif r.restart_due(restart, k):
                anchor, r.anchor_r, k = z.copy(), r.last_r, 0
                r.restarts += 1
            z = step(op, r, z, Fz, anchor, 1.0 / (k + 2), prm["eta"])
            if z is None:
                return
            k += 1
    return method


def _eag_step(op, r, z, Fz, anchor, beta, eta):
    a = beta * anchor + (1 - beta) * z
    w = op.project(a - eta * Fz)
    Fw = r.full(w)
    return None if Fw is None else op.project(a - eta * Fw)


def _halpern_fb_step(op, r, z, Fz, anchor, beta, eta):
    return beta * anchor + (1 - beta) * op.project(z - eta * Fz)


def _halpern_ppa(op, r, z, prm, restart, rng):
    eta, q, P = prm["eta"], prm["contraction"], op.project
    u, anchor, v, k, first = z.copy(), z.copy(), z.copy(), 0, True
    while True:
        Fv = r.full(v)
        if Fv is None or r.check(v, Fv):
            return
        if first:
            r.anchor_r, first = r.last_r, False
        elif r.restart_due(restart, k):
            anchor, u, r.anchor_r, k = v.copy(), v.copy(), r.last_r, 0
            r.restarts += 1
        for j in range(math.ceil(2 * math.log(k + 2) / math.log(1 / q)) + 1):
            if j > 0:
                Fv = r.full(v)
                if Fv is None or r.check(v, Fv):
                    return
            v = P(u - eta * Fv)
        beta = 1 / (k + 2)
        u = beta * anchor + (1 - beta) * v
        k += 1


def _vr_eg(op, r, z, prm, restart, rng):
    tau, p, P, n = prm["tau"], prm["p"], op.project, op.n
    w = z.copy()
    Fw = r.full(w)
    if Fw is None or r.check(w, Fw):
        return
    while True:
        zbar = (1 - p) * z + p * w
        zh = P(zbar - tau * Fw)
        i = _index(rng, n)
        if not r.afford(2):
            return
        z = P(zbar - tau * (Fw + op.diff(i, zh - w)))
        if rng.random() < p:
            w = z.copy()
            Fw = r.full(w)
            if Fw is None or r.check(w, Fw):
                return


def _vr_halpern(op, r, z, prm, restart, rng):
    eta, b, P, n = prm["eta"], prm["batch"], op.project, op.n
    sqn = math.sqrt(n)
    zprev, anchor, g, k = z.copy(), z.copy(), None, 0
    perm = np.arange(n)
    while True:
        refresh = k <= 1 or rng.random() < (4 / (k + 4) if k - 1 <= sqn else 4 / (sqn + 5))
        if refresh:
            g = r.full(z)
            if g is None or r.check(z, g):
                return
            if k == 0:
                r.anchor_r = r.last_r
            elif r.restart_due(restart, k):
                anchor, r.anchor_r, k = z.copy(), r.last_r, 0
                r.restarts += 1
        else:
            if not r.afford(2 * b):
                return
            du = z - zprev
            for s in range(b):
                t = s + _index(rng, n - s)
                perm[s], perm[t] = perm[t], perm[s]
                g = g + op.diff(perm[s], du) / b
        lam = 2 / (k + 4)
        zprev = z
        z = P(lam * anchor + (1 - lam) * z - eta * g)
        k += 1


def _vr_inexact(op, r, z, prm, restart, rng):
    eta, tau, p, cin, P, n = prm["eta"], prm["tau"], prm["p"], prm["inner_iters"], op.project, op.n
    u, anchor, k = z.copy(), z.copy(), 0
    while True:
        Fu = r.full(u)
        if Fu is None or r.check(u, Fu):
            return
        if k == 0:
            r.anchor_r = r.last_r
        elif r.restart_due(restart, k):
            anchor, r.anchor_r, k = u.copy(), r.last_r, 0
            r.restarts += 1
        v, w, wprev, phiw = u.copy(), u.copy(), u.copy(), eta * Fu
        for _ in range(max(1, math.ceil(cin * n * math.log(k + 2)))):
            vbar = (1 - p) * v + p * w
            i = _index(rng, n)
            if not r.afford(2):
                return
            du = v - wprev
            wprev = w
            v = P(vbar - tau * (phiw + du + eta * op.diff(i, du)))
            if rng.random() < p:
                w = v.copy()
                Fw = r.full(w)
                if Fw is None or r.check(w, Fw):
                    return
                phiw = eta * Fw + w - u
        lam = 1 / (k + 2)
        u = lam * anchor + (1 - lam) * v
        k += 1


_METHODS = {"eg": _eg, "eag": _anchored(_eag_step), "halpern-fb": _anchored(_halpern_fb_step),
            "halpern-ppa": _halpern_ppa, "vr-eg": _vr_eg, "vr-halpern": _vr_halpern, "vr-inexact": _vr_inexact}
