"""Slow, obviously correct references for the halpern family, written from the papers' pseudo-code.

Operators are lists of component functions F_i(z) built from the raw arrays of each family (no shared
code with the kernels); projections are by bisection; every method evaluates F_i at points (never the
kernels' J_i (u - v) shortcut), charges calls as the paper does (n per full F, 2 per component
difference) and draws its random numbers in the same order as the kernels, so from one seed both
produce the same iterates.
"""

from __future__ import annotations

import math

import numpy as np


# ------------------------------------------------------------------------------------ operators

def game_components(A, split):
    """Components of min_x max_y x^T Abar y: dense stack (split 'components'), rows or columns."""
    if split == "components":
        m = A.shape[1]
        return [lambda z, Ai=Ai: np.concatenate([Ai @ z[m:], -Ai.T @ z[:m]]) for Ai in A], m
    m, q = A.shape
    comps = []
    if split == "rows":
        for i in range(m):
            def Fi(z, i=i):
                out = np.zeros(m + q)
                out[i] = m * A[i] @ z[m:]
                out[m:] = -m * A[i] * z[i]
                return out
            comps.append(Fi)
    else:
        for j in range(q):
            def Fj(z, j=j):
                out = np.zeros(m + q)
                out[:m] = q * A[:, j] * z[m + j]
                out[m + j] = -q * A[:, j] @ z[:m]
                return out
            comps.append(Fj)
    return comps, m


def quadratic_components(Q, B, R, cx, cy):
    return [lambda z, i=i: np.concatenate([Q[i] @ z[:Q.shape[1]] + B[i] @ z[Q.shape[1]:] + cx[i],
                                           -B[i].T @ z[:Q.shape[1]] + R[i] @ z[Q.shape[1]:] + cy[i]])
            for i in range(B.shape[0])]


def lsq_components(A, b):
    return [lambda z, i=i: A[i] * (A[i] @ z - b[i]) for i in range(A.shape[0])]


def affine_components(M, q):
    return [lambda z, i=i: M[i] @ z + q[i] for i in range(M.shape[0])]


def full(comps, z):
    return sum(Fi(z) for Fi in comps) / len(comps)


# ---------------------------------------------------------------------------------- projections

def project_simplex(v, radius=1.0):
    """Bisection on tau for sum(max(v - tau, 0)) = radius, then one exact solve on the support."""
    lo, hi = v.min() - radius, v.max()
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.maximum(v - mid, 0).sum() > radius:
            lo = mid
        else:
            hi = mid
    support = v > lo
    tau = (v[support].sum() - radius) / support.sum()
    return np.maximum(v - tau, 0)


def projector(blocks):
    """blocks: list of (size, kind, params) with kind free, box (lo, hi), simplex (radius), ball (radius)."""
    def proj(v):
        out, start = [], 0
        for size, kind, par in blocks:
            vb = v[start:start + size]
            if kind == "free":
                out.append(vb.copy())
            elif kind == "box":
                out.append(np.clip(vb, par[0], par[1]))
            elif kind == "simplex":
                out.append(project_simplex(vb, par))
            else:
                nrm = np.linalg.norm(vb)
                out.append(vb * (par / nrm) if nrm > par else vb.copy())
            start += size
        return np.concatenate(out)
    return proj


def residual(comps, proj, z):
    return float(np.linalg.norm(z - proj(z - full(comps, z))))


def game_gap(Abar, x, y):
    return float((Abar.T @ x).max() - (Abar @ y).min())


# ------------------------------------------------------------------------------------ bookkeeping

class Run:
    """Calls, checks (history), best point, the stop rule and the adaptive-restart test."""

    def __init__(self, comps, proj, tol, budget):
        self.comps, self.proj, self.tol, self.budget = comps, proj, tol, budget
        self.n = len(comps)
        self.calls, self.history, self.best, self.best_r = 0, [], None, math.inf
        self.status, self.restarts, self.anchor_r, self.last_r = None, 0, None, None

    def afford(self, cost):
        if self.calls + cost > self.budget:
            self.status = "max_oracle"
            return False
        self.calls += cost
        return True

    def F(self, z):
        """A full evaluation (n calls) or None when the budget is spent."""
        return full(self.comps, z) if self.afford(self.n) else None

    def check(self, z, Fz):
        r = float(np.linalg.norm(z - self.proj(z - Fz)))
        self.history.append((self.calls, r))
        self.last_r = r
        if r < self.best_r:
            self.best, self.best_r = z.copy(), r
        if r <= self.tol:
            self.status = "converged"
        return self.status is not None

    def restart_due(self, restart, k):
        return restart and k > 0 and self.last_r <= 0.5005 * self.anchor_r  # halved, with the kernels' margin above rounding


def uniform_index(rng, k):
    return min(int(rng.random() * k), k - 1)


# --------------------------------------------------------------------------------------- methods

def eg(comps, proj, z0, eta, tol, budget, rng=None, restart=False):
    run, z = Run(comps, proj, tol, budget), z0.copy()
    while True:
        Fz = run.F(z)
        if Fz is None or run.check(z, Fz):
            return run
        w = proj(z - eta * Fz)
        Fw = run.F(w)
        if Fw is None:
            return run
        z = proj(z - eta * Fw)


def eag(comps, proj, z0, eta, tol, budget, rng=None, restart=False):
    run, z, anchor, k = Run(comps, proj, tol, budget), z0.copy(), z0.copy(), 0
    while True:
        Fz = run.F(z)
        if Fz is None or run.check(z, Fz):
            return run
        if k == 0:
            run.anchor_r = run.last_r
        elif run.restart_due(restart, k):
            anchor, run.anchor_r, k = z.copy(), run.last_r, 0
            run.restarts += 1
        beta = 1 / (k + 2)
        a = beta * anchor + (1 - beta) * z
        w = proj(a - eta * Fz)
        Fw = run.F(w)
        if Fw is None:
            return run
        z = proj(a - eta * Fw)
        k += 1


def halpern_fb(comps, proj, z0, eta, tol, budget, rng=None, restart=False):
    run, z, anchor, k = Run(comps, proj, tol, budget), z0.copy(), z0.copy(), 0
    while True:
        Fz = run.F(z)
        if Fz is None or run.check(z, Fz):
            return run
        if k == 0:
            run.anchor_r = run.last_r
        elif run.restart_due(restart, k):
            anchor, run.anchor_r, k = z.copy(), run.last_r, 0
            run.restarts += 1
        beta = 1 / (k + 2)
        z = beta * anchor + (1 - beta) * proj(z - eta * Fz)
        k += 1


def halpern_ppa(comps, proj, z0, eta, contraction, tol, budget, rng=None, restart=False):
    run = Run(comps, proj, tol, budget)
    u, anchor, v, k, first = z0.copy(), z0.copy(), z0.copy(), 0, True
    while True:
        inner = None
        j = 0
        while inner is None or j < inner:
            Fv = run.F(v)
            if Fv is None or run.check(v, Fv):
                return run
            if j == 0:
                if first:
                    run.anchor_r, first = run.last_r, False
                elif run.restart_due(restart, k):
                    anchor, u, run.anchor_r, k = v.copy(), v.copy(), run.last_r, 0
                    run.restarts += 1
                inner = math.ceil(2 * math.log(k + 2) / math.log(1 / contraction)) + 1
            v = proj(u - eta * Fv)
            j += 1
        beta = 1 / (k + 2)
        u = beta * anchor + (1 - beta) * v
        k += 1


def vr_eg(comps, proj, z0, tau, p, tol, budget, rng, restart=False):
    run, n = Run(comps, proj, tol, budget), len(comps)
    z, w = z0.copy(), z0.copy()
    Fw = run.F(w)
    if Fw is None or run.check(w, Fw):
        return run
    while True:
        zbar = (1 - p) * z + p * w
        zh = proj(zbar - tau * Fw)
        i = uniform_index(rng, n)
        if not run.afford(2):
            return run
        z = proj(zbar - tau * (Fw + comps[i](zh) - comps[i](w)))
        if rng.random() < p:
            w = z.copy()
            Fw = run.F(w)
            if Fw is None or run.check(w, Fw):
                return run


def vr_halpern(comps, proj, z0, eta, batch, tol, budget, rng, restart=False):
    """Algorithm 1: PAGE-type estimator with refresh probabilities 1 (k <= 1), 4/(k+4) (k - 1 <= sqrt n),
    4/(sqrt n + 5); batches drawn without replacement by a partial Fisher-Yates shuffle."""
    run, n = Run(comps, proj, tol, budget), len(comps)
    z, zprev, anchor, g, k = z0.copy(), z0.copy(), z0.copy(), None, 0
    perm = list(range(n))
    while True:
        if k <= 1:
            refresh = True
        else:
            prob = 4 / (k + 4) if k - 1 <= math.sqrt(n) else 4 / (math.sqrt(n) + 5)
            refresh = rng.random() < prob
        if refresh:
            g = run.F(z)
            if g is None or run.check(z, g):
                return run
            if k == 0:
                run.anchor_r = run.last_r
            elif run.restart_due(restart, k):
                anchor, run.anchor_r, k = z.copy(), run.last_r, 0
                run.restarts += 1
        else:
            if not run.afford(2 * batch):
                return run
            picked = []
            for s in range(batch):
                t = s + uniform_index(rng, n - s)
                perm[s], perm[t] = perm[t], perm[s]
                picked.append(perm[s])
            g = g + sum(comps[i](z) - comps[i](zprev) for i in picked) / batch
        lam = 2 / (k + 4)
        zprev = z
        z = proj(lam * anchor + (1 - lam) * z - eta * g)
        k += 1


def vr_inexact(comps, proj, z0, eta, tau, p, inner_iters, tol, budget, rng, restart=False):
    """Algorithm 2 with the loopless VR-FoRB inner solver on Phi(v) = eta F(v) + v - u."""
    run, n = Run(comps, proj, tol, budget), len(comps)
    u, anchor, k = z0.copy(), z0.copy(), 0
    while True:
        Fu = run.F(u)
        if Fu is None or run.check(u, Fu):
            return run
        if k == 0:
            run.anchor_r = run.last_r
        elif run.restart_due(restart, k):
            anchor, run.anchor_r, k = u.copy(), run.last_r, 0
            run.restarts += 1
        v, w, wprev = u.copy(), u.copy(), u.copy()
        phi_w = eta * Fu
        for _ in range(max(1, math.ceil(inner_iters * n * math.log(k + 2)))):
            vbar = (1 - p) * v + p * w
            i = uniform_index(rng, n)
            if not run.afford(2):
                return run
            ghat = phi_w + eta * (comps[i](v) - comps[i](wprev)) + (v - wprev)
            v_new = proj(vbar - tau * ghat)
            wprev = w
            if rng.random() < p:
                w = v_new.copy()
                Fw = run.F(w)
                if Fw is None or run.check(w, Fw):
                    return run
                phi_w = eta * Fw + w - u
            v = v_new
        lam = 1 / (k + 2)
        u = lam * anchor + (1 - lam) * v
        k += 1


# ------------------------------------------------------------------------- reference solutions

def game_value_highs(A):
    """Value of min_x max_y x^T A y over simplices by an LP (scipy's HiGHS): min v, A^T x <= v, x in simplex."""
    from scipy.optimize import linprog

    m, q = A.shape
    res = linprog(np.r_[np.zeros(m), 1.0], A_ub=np.hstack([A.T, -np.ones((q, 1))]), b_ub=np.zeros(q),
                  A_eq=np.r_[np.ones(m), 0.0][None], b_eq=[1.0], bounds=[(0, None)] * m + [(None, None)],
                  method="highs")
    assert res.status == 0
    return res.x[-1]


def quadratic_saddle_cvxpy(Q, B, R, cx, cy, lo, hi):
    """min over x in [lo, hi], max over y in [lo, hi] of the mean quadratic, by the KKT conditions of the
    variational inequality written as one convex program: the inner max is dualised with multipliers."""
    import cvxpy as cp

    Qb, Bb, Rb, cxb, cyb = Q.mean(0), B.mean(0), R.mean(0), cx.mean(0), cy.mean(0)
    dy = Rb.shape[0]
    Rinv = np.linalg.inv(Rb)
    Rinv = (Rinv + Rinv.T) / 2
    x = cp.Variable(Qb.shape[0])
    lam, mu = cp.Variable(dy, nonneg=True), cp.Variable(dy, nonneg=True)
    v = Bb.T @ x - cyb - lam + mu
    obj = 0.5 * cp.quad_form(x, (Qb + Qb.T) / 2) + cxb @ x + hi * cp.sum(lam) - lo * cp.sum(mu) \
        + 0.5 * cp.quad_form(v, cp.psd_wrap(Rinv))
    cp.Problem(cp.Minimize(obj), [x >= lo, x <= hi]).solve(solver=cp.CLARABEL, tol_gap_abs=1e-11,
                                                            tol_gap_rel=1e-11, tol_feas=1e-11)
    y = Rinv @ (Bb.T @ x.value - cyb - lam.value + mu.value)
    return x.value, y


def least_squares_cvxpy(A, b, constraint):
    import cvxpy as cp

    x = cp.Variable(A.shape[1])
    cons = {"box": lambda: [x >= -1, x <= 1], "ball": lambda: [cp.norm(x) <= 0.5], "free": lambda: []}[constraint]()
    cp.Problem(cp.Minimize(cp.sum_squares(A @ x - b) / (2 * A.shape[0])), cons).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return x.value
