"""SOR on one linear system or a sequence of them: validate the options, choose omega per instance with
a policy, run the Numba solve loop, optionally solve every instance at every grid omega (the oracle),
and return a `Result`.

Cost model (Khodak et al., ICLR 2024): the cost of an instance is its number of SOR iterations to
||b - A x_k|| < tol ||r_ref||; a run stopped at --max-iter or diverged is charged --max-iter.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from ..errors import ParameterError
from ..result import Result
from . import _kernels as _k
from . import oracle as _oracle
from . import policies as _policies
from .spectrum import MAX_STEPS, JacobiEstimate, jacobi_radius
from .systems import SystemSequence

SWEEPS = ("forward", "symmetric")
TOL_REFS = ("r0", "b")
STARTS = ("zero", "previous")
POLICIES = ("fixed", "asymptotic", "tsallis", "tsallis-cb", "chebcb")
GRID_POLICIES = ("tsallis", "tsallis-cb", "chebcb")
CONTEXT_POLICIES = ("tsallis-cb", "chebcb")
#: the paper's grid: 20 arms linspace(1, 1.95)
DEFAULT_GRID = (1.0, 1.95, 20)
_STATUS = {_k.CONVERGED: "converged", _k.MAX_ITER: "max_iter", _k.DIVERGED: "diverged"}


# ------------------------------------------------------------------------------------ validation

def _choice(name, value, choices):
    if value not in choices:
        raise ParameterError(name, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def check_omega(omega, name="omega") -> float:
    """omega must lie in the open interval (0, 2): outside it SOR diverges for every matrix (Kahan)."""
    try:
        omega = float(omega)
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be a number, got {omega!r}") from None
    if not 0.0 < omega < 2.0:
        raise ParameterError(name, f"must lie strictly between 0 and 2 (SOR diverges for every matrix "
                             f"outside (0, 2)); got {omega:g}")
    return omega


def omega_grid(lo, hi, count) -> np.ndarray:
    """`count` evenly spaced omegas from lo to hi, all in (0, 2)."""
    check_omega(lo, "grid")
    check_omega(hi, "grid")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ParameterError("grid", f"the number of grid points must be a positive integer, got {count!r}")
    if hi < lo or (hi > lo and count == 1) or (hi == lo and count > 1):
        raise ParameterError("grid", f"needs LO < HI and N >= 2 (or LO = HI and N = 1); got {lo:g}:{hi:g}:{count}")
    return np.round(np.linspace(float(lo), float(hi), int(count)), 12)  # 1.8, not 1.7999999999999998


def _check_positive(name, value, kind=float):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        raise ParameterError(name, f"must be a positive number, got {value!r}")
    if kind is int and int(value) != value:
        raise ParameterError(name, f"must be an integer, got {value!r}")
    return kind(value)


class Settings:
    """How each instance is solved: sweep, stopping rule, iteration cap."""

    def __init__(self, sweep="forward", tol=1e-8, tol_ref="r0", max_iter=10000):
        self.sweep = _choice("sweep", sweep, SWEEPS)
        self.tol = _check_positive("tol", tol)
        self.tol_ref = _choice("tol_ref", tol_ref, TOL_REFS)
        self.max_iter = _check_positive("max_iter", max_iter, int)

    def as_dict(self) -> dict:
        return {"sweep": self.sweep, "tol": self.tol, "tol_ref": self.tol_ref, "max_iter": self.max_iter}

    @property
    def sweeps_per_iteration(self) -> int:
        return 2 if self.sweep == "symmetric" else 1


# ------------------------------------------------------------------------------------------ solving

class _Work:
    """Scratch vectors reused across instances of the same size."""

    def __init__(self):
        self.n = -1

    def get(self, n):
        if n != self.n:
            self.n, self.r, self.dx = n, np.empty(n), np.empty(n)
        return self.r, self.dx


def solve_system(system, x, omega, settings: Settings, work=None):
    """Run SOR on one system from x (overwritten with the result). `system` is the tuple
    SystemSequence.system(t) returns. Returns (status, iterations, relative residual)."""
    indptr, indices, data, diag, b, symmetric = system
    r, dx = (work or _Work()).get(b.shape[0])
    code, iterations, rnorm, ref = _k.solve(indptr, indices, data, diag, b, x, float(omega),
                                            settings.sweep == "symmetric", symmetric, settings.tol_ref == "b",
                                            settings.tol, settings.max_iter, r, dx)
    relres = rnorm / ref if ref > 0 else 0.0
    return _STATUS[code], int(iterations), float(relres)


def charged(status, iterations, max_iter) -> int:
    """The cost of a solve: its iterations, or the cap when it did not converge (as in the paper)."""
    return iterations if status == "converged" else max_iter


def sor(A, b, *, omega=1.0, sweep="forward", tol=1e-8, tol_ref="r0", max_iter=10000, x0=None) -> Result:
    """Solve A x = b by SOR with a fixed omega (1 = Gauss-Seidel); sweep 'symmetric' is SSOR. Stops
    when ||b - A x|| < tol ||r0|| (tol_ref 'r0') or tol ||b|| ('b'). Returns a Result with x,
    iterations, residual (relative to the reference), status."""
    seq = SystemSequence.from_matrices([(A, b)])
    settings = Settings(sweep, tol, tol_ref, max_iter)
    omega = check_omega(omega)
    n = seq.n(0)
    x = np.zeros(n) if x0 is None else np.array(x0, dtype=np.float64).reshape(-1)
    if x.shape[0] != n or not np.isfinite(x).all():
        raise ParameterError("x0", f"must be {n} finite numbers, got shape {x.shape}")
    status, iterations, relres = solve_system(seq.system(0), x, omega, settings)
    res = Result(problem="sor", n=n, nnz=seq.pattern(0).nnz, omega=omega, **settings.as_dict(),
                 objective=charged(status, iterations, settings.max_iter), iterations=iterations,
                 residual=relres, counters={"sweeps": iterations * settings.sweeps_per_iteration}, x=x)
    res.set_status(status)
    return res


# ----------------------------------------------------------------------------------------- policies

def instance_context(seq: SystemSequence):
    """The context of each instance and where it came from: the given one, else the mean diagonal
    entry (an affine function of the shift c_t and of the diffusion coefficient in the paper's
    families)."""
    if seq.context is not None:
        return seq.context, "given"
    return np.array([float(np.mean(seq.values[t][seq.pattern(t).diag])) for t in range(seq.T)]), "mean diagonal"


def context_interval(context, given, seq):
    if given is not None:
        lo, hi = map(float, given)
        if not hi > lo:
            raise ParameterError("context_range", f"needs A < B, got {lo:g}:{hi:g}")
        return lo, hi
    if seq.context_range is not None:
        return tuple(map(float, seq.context_range))
    lo, hi = float(context.min()), float(context.max())
    if hi == lo:
        pad = max(abs(lo), 1.0) * 0.5
        return lo - pad, hi + pad
    return lo, hi


def _estimate(seq: SystemSequence, t: int) -> JacobiEstimate:
    indptr, indices, data, diag, _, _ = seq.system(t)
    return jacobi_radius(indptr, indices, data, diag)


def _same_matrix(seq: SystemSequence, s: int, t: int) -> bool:
    a, b = seq.pattern(s), seq.pattern(t)
    same_pattern = a is b or (np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices))
    return same_pattern and np.array_equal(seq.values[s], seq.values[t])


def _spectral_ok(seq: SystemSequence):
    """(True, None) when every instance is symmetric with a positive diagonal, else (False, reason)."""
    for t in range(seq.T):
        if not seq.symmetric[t]:
            return False, f"{seq.label(t)} is not symmetric"
        if (seq.values[t][seq.pattern(t).diag] <= 0).any():
            return False, f"{seq.label(t)} has a diagonal entry <= 0"
    return True, None


def make_policy(name, seq, *, omega, grid, bins, degree, context_range, seed, estimate):
    rng = np.random.default_rng(seed)
    if name == "fixed":
        return _policies.Fixed(check_omega(omega))
    if name == "asymptotic":
        return _policies.Asymptotic(estimate)
    if name == "tsallis":
        return _policies.TsallisINF(grid, rng)
    lo, hi = context_range
    if name == "tsallis-cb":
        return _policies.BinnedTsallisINF(grid, _check_positive("bins", bins, int), lo, hi, rng)
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 0:
        raise ParameterError("cheb_degree", f"must be a non-negative integer, got {degree!r}")
    return _policies.ChebCB(grid, int(degree), lo, hi, rng, seq.T)


# ----------------------------------------------------------------------------------------- sequences

def solve_sequence(seq: SystemSequence, *, policy="fixed", omega=1.0, grid=DEFAULT_GRID, bins=5,
                   cheb_degree=5, context_range=None, sweep="forward", tol=1e-8, tol_ref="r0",
                   max_iter=10000, x0="zero", oracle=False, seed=0, keep_solutions=False,
                   progress=None) -> Result:
    """Solve the T systems of `seq` in order, choosing omega_t with `policy`:
    'fixed' (omega), 'asymptotic' (omega*_t from a Lanczos estimate of rho(J)), 'tsallis' (Tsallis-INF
    over grid = (lo, hi, count)), 'tsallis-cb' (Tsallis-INF per context bin, `bins` bins), 'chebcb'
    (Chebyshev regression of degree `cheb_degree` on the context). Contexts come from the sequence
    (else the mean diagonal entry); `context_range` = (a, b) defaults to the sequence's own or the
    observed range. x0 'previous' warm-starts each instance from the previous solution. With
    `oracle`, every instance is also solved at every grid omega, at omega = 1 and at omega*_t, from the
    same start as the policy, and the result gets the oracle block (best fixed omega in hindsight,
    instance-optimal total, ratios, regret curve). `progress(done, total, text)` is called as it goes."""
    settings = Settings(sweep, tol, tol_ref, max_iter)
    _choice("policy", policy, POLICIES)
    _choice("x0", x0, STARTS)
    grid_values = omega_grid(*grid)
    spectral_ok, spectral_reason = _spectral_ok(seq) if (policy == "asymptotic" or oracle or
                                                        policy in GRID_POLICIES) else (False, None)
    if policy == "asymptotic" and not spectral_ok:
        raise ParameterError("policy", f"asymptotic needs symmetric matrices with a positive diagonal (the "
                             f"omega* formula assumes real Jacobi eigenvalues), but {spectral_reason}; use "
                             "--policy tsallis or a fixed --omega")
    context, context_source = instance_context(seq)
    crange = context_interval(context, context_range, seq) if policy in CONTEXT_POLICIES else None
    timings = {"spectrum": 0.0, "oracle": 0.0}
    estimates: dict[int, JacobiEstimate] = {}

    def estimate(t):
        if t not in estimates:
            t0 = time.perf_counter()
            if t > 0 and t - 1 in estimates and _same_matrix(seq, t - 1, t):
                estimates[t] = replace(estimates[t - 1], steps=0)  # e.g. one matrix, many right-hand sides
            else:
                estimates[t] = _estimate(seq, t)
            timings["spectrum"] += time.perf_counter() - t0
        return estimates[t]

    chooser = make_policy(policy, seq, omega=omega, grid=grid_values, bins=bins, degree=cheb_degree,
                          context_range=crange, seed=seed, estimate=estimate)
    warnings = []
    if policy in GRID_POLICIES and spectral_ok and not oracle:
        warnings += _grid_warning(grid_values, [estimate(0).omega], seq.label(0))
    T = seq.T
    table = _Table(T, grid_values) if oracle else None
    cols = {"omega": np.empty(T), "arm": np.empty(T, dtype=np.int64), "iterations": np.empty(T, dtype=np.int64),
            "cost": np.empty(T, dtype=np.int64), "residual": np.empty(T), "status": []}
    solutions = [] if keep_solutions else None
    work = _Work()
    previous = None
    step = max(1, T // 100)
    for t in range(T):
        system = seq.system(t)
        n = system[4].shape[0]
        start = previous if (x0 == "previous" and previous is not None and previous.shape[0] == n) else np.zeros(n)
        w, arm, _ = chooser.choose(t, context[t])
        x = start.copy()
        status, iterations, relres = solve_system(system, x, w, settings, work)
        cost = charged(status, iterations, settings.max_iter)
        chooser.update(max(cost, 1))  # the learners' losses are cost - 1 >= 0
        cols["omega"][t], cols["arm"][t], cols["iterations"][t] = w, arm, iterations
        cols["cost"][t], cols["residual"][t] = cost, relres
        cols["status"].append(status)
        previous = x if status != "diverged" else None
        if solutions is not None:
            solutions.append(x)
        if table is not None:
            t0 = time.perf_counter()
            table.fill(t, system, start, settings, work, estimate(t) if spectral_ok else None)
            timings["oracle"] += time.perf_counter() - t0
        if progress is not None and (t + 1) % step == 0:
            progress(t + 1, T, f"{policy}: instance {t + 1}/{T}")
    res = _sequence_result(seq, settings, policy, omega, grid_values, x0, seed, cols, chooser)
    if policy in CONTEXT_POLICIES:
        res["context"] = {"source": context_source, "range": crange}
    if table is not None:
        res["oracle"] = table.summary(cols["cost"], spectral_ok, spectral_reason)
        res["counters"]["oracle_solves"] = table.solves
        res["counters"]["oracle_iterations"] = table.iterations
        if spectral_ok:
            warnings += _grid_warning(grid_values, table.star_omega, "instances", count=True)
    if estimates:
        res["counters"]["lanczos_matvecs"] = sum(e.steps for e in estimates.values())
        unsettled = sum(not e.settled for e in estimates.values())
        if unsettled:
            warnings.append(f"the Lanczos estimate of rho(J) had not settled after {MAX_STEPS} steps on "
                            f"{unsettled} instance(s): omega* may be underestimated there")
    res["timings"] = {k: round(v, 6) for k, v in timings.items()}
    res["warnings"] = warnings
    if solutions is not None:
        res["solutions"] = solutions
    return res


def _grid_warning(grid, omegas, label, count=False) -> list[str]:
    """A warning when estimated omega* fall outside the grid, with a --grid that covers them."""
    omegas = np.array([w for w in omegas if w is not None and np.isfinite(w)])
    outside = (omegas > grid[-1] + 1e-12) | (omegas < grid[0] - 1e-12)
    if not outside.any():
        return []
    above = bool((omegas > grid[-1]).any())
    worst = float(omegas[outside].max() if above else omegas[outside].min())
    where = (f"{int(outside.sum())} of {omegas.size} {label} ({'up' if above else 'down'} to {worst:.4f})" if count
             else f"{label} ({worst:.4f})")
    points = max(2, grid.shape[0])  # a suggestion the grid parser accepts (it needs LO < HI and N >= 2)
    lo, hi = (grid[0], min(1.99, max(worst + 0.02, grid[-1]))) if above else (max(0.05, worst - 0.05), grid[-1])
    if not lo < hi:
        lo, hi = min(lo, worst) - 0.05, max(hi, worst) + 0.05
    hint = f"--grid {max(0.01, lo):g}:{min(1.99, hi):g}:{points}"
    return [f"the estimated omega* of {where} lies outside the grid [{grid[0]:g}, {grid[-1]:g}], where the "
            f"learners cannot go: widen it, e.g. {hint}"]


class _Table:
    """Costs of every instance at every grid omega, at omega = 1 and at omega*_t (the oracle)."""

    def __init__(self, T, grid):
        self.grid = grid
        self.costs = np.empty((T, grid.shape[0]), dtype=np.int64)
        self.gauss_seidel = np.empty(T, dtype=np.int64)
        self.star_omega = np.full(T, np.nan)
        self.star_cost = np.empty(T, dtype=np.int64)
        self.solves = 0
        self.iterations = 0

    def _cost(self, system, start, omega, settings, work):
        x = start.copy()
        status, iterations, _ = solve_system(system, x, omega, settings, work)
        self.solves += 1
        self.iterations += iterations
        return charged(status, iterations, settings.max_iter)

    def fill(self, t, system, start, settings, work, estimate):
        for j, w in enumerate(self.grid):
            self.costs[t, j] = self._cost(system, start, w, settings, work)
        hit = np.flatnonzero(self.grid == 1.0)
        self.gauss_seidel[t] = self.costs[t, hit[0]] if hit.size else self._cost(system, start, 1.0, settings, work)
        if estimate is not None:
            w = estimate.omega if estimate.omega is not None else 1.0
            self.star_omega[t] = w
            self.star_cost[t] = self._cost(system, start, w, settings, work)

    def summary(self, policy_costs, spectral_ok, reason) -> dict:
        block = _oracle.summarise(self.grid, self.costs, policy_costs, self.gauss_seidel,
                                  self.star_cost if spectral_ok else None, self.star_omega if spectral_ok else None)
        if not spectral_ok:
            block["asymptotic_skipped"] = f"omega*_t needs symmetric matrices with a positive diagonal: {reason}"
        block["table"] = {"costs": self.costs, "gauss_seidel": self.gauss_seidel,
                          "omega_star": self.star_omega if spectral_ok else None,
                          "omega_star_costs": self.star_cost if spectral_ok else None}
        return block


def _sequence_result(seq, settings, policy, omega, grid, x0, seed, cols, chooser) -> Result:
    statuses = cols["status"]
    counts = {s: statuses.count(s) for s in ("converged", "max_iter", "diverged")}
    T = seq.T
    res = Result(problem="sor", T=T, n=seq.n(0) if len({seq.n(t) for t in range(T)}) == 1 else None,
                 nnz=int(sum(seq.pattern(t).nnz for t in range(T)) // T), policy=policy,
                 omega=float(omega) if policy == "fixed" else None,
                 grid=grid if policy in GRID_POLICIES else None, **settings.as_dict(), x0=x0, seed=seed,
                 symmetric=bool(seq.symmetric.all()))
    total_iterations = int(cols["iterations"].sum())
    res["objective"] = int(cols["cost"].sum())
    res["iterations"] = total_iterations
    res["counters"] = {"instances": T, **counts, "sweeps": total_iterations * settings.sweeps_per_iteration}
    if counts["diverged"]:
        res.set_status("diverged", f"{counts['diverged']} of {T} instances diverged; each is charged --max-iter")
    elif counts["max_iter"]:
        res.set_status("max_iter", f"{counts['max_iter']} of {T} instances stopped at --max-iter "
                                   f"{settings.max_iter} before reaching --tol")
    else:  # the table's generic message speaks of improving steps; say what SOR met
        res["status"] = "converged"
        res["message"] = (f"converged: {'the system' if T == 1 else f'all {T} instances'} reached "
                          f"||r|| < {settings.tol:g} ||{settings.tol_ref}||")
    res["instances"] = {"name": seq.names, "omega": cols["omega"], "arm": cols["arm"],
                        "iterations": cols["iterations"], "cost": cols["cost"], "residual": cols["residual"],
                        "status": statuses}
    res["policy_state"] = chooser.state()
    return res


# ------------------------------------------------------------------------------------------ helpers

def relative_residuals(seq: SystemSequence, solutions, tol_ref="r0", x0="zero") -> np.ndarray:
    """||b_t - A_t x_t|| / ||ref_t|| recomputed from scratch (ref: b_t, or the initial residual of the
    start x0 'zero' or 'previous', i.e. the solution of instance t-1)."""
    out = np.empty(seq.T)
    previous = None
    for t in range(seq.T):
        indptr, indices, data, _, b, _ = seq.system(t)
        x = np.ascontiguousarray(solutions[t], dtype=np.float64)
        r = np.empty_like(b)
        rnorm = _k.residual(indptr, indices, data, b, x, r)
        start = previous if (x0 == "previous" and previous is not None and previous.shape[0] == b.shape[0]) \
            else np.zeros_like(b)
        ref = float(np.linalg.norm(b)) if tol_ref == "b" else _k.residual(indptr, indices, data, b, start, r)
        if ref == 0.0:
            ref = _k.residual(indptr, indices, data, b, start, r)
        out[t] = rnorm / ref if ref > 0 else (0.0 if rnorm == 0 else math.inf)
        previous = x
    return out


def warm_up() -> None:
    """Compile (or load from the cache) every SOR kernel by running it on a tiny system with the
    production dtypes; the CLI times this as the `compile` phase."""
    import scipy.sparse as sp

    A = sp.csr_matrix(np.array([[4.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 4.0]]))
    seq = SystemSequence.from_matrices([(A, np.ones(3)), (A + sp.csr_matrix(np.triu(np.ones((3, 3)), 1)),
                                                         np.ones(3))])
    for sweep in SWEEPS:
        for t in range(seq.T):
            solve_system(seq.system(t), np.zeros(3), 1.2, Settings(sweep=sweep))
    _estimate(seq, 0)
    relative_residuals(seq, [np.zeros(3), np.zeros(3)])
