"""Monotone submodular maximisation under |S| <= k: public functions that validate their arguments,
run the kernels and return a `Result`.

Static (`maximize`): greedy, lazy (default), stochastic, threshold, sieve. Dynamic (`Dynamic`,
`run_stream`): `dynamic`, the level structure of Banihashem et al. with one uniformly random pick per
level (1/2 - eps in expectation, oracle calls per update independent of n), and `dynamic-greedy`,
exact greedy kept up to date by prefix repair. Counting: `oracle_calls` are marginal-gain queries;
the singletons f({e}) are evaluated once per element and reported as `singleton_calls`.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..errors import ParameterError, ResourceError
from ..result import Result
from . import _kernels as _k
from .objective import Objective

ALGORITHMS = ("lazy", "greedy", "stochastic", "threshold", "sieve")
DYNAMIC_ALGORITHMS = ("dynamic", "dynamic-greedy")
DEFAULT_EPS = {"stochastic": 0.1, "threshold": 0.1, "sieve": 0.1, "dynamic": 0.2}

#: depth arrays of the dynamic structure above this many bytes are refused (raise --eps instead)
MAX_GUESS_BYTES = 2 * 2**30
#: a stream is applied in chunks of at most this many updates, with a progress report after each
_PROGRESS_EVERY = 1000


# ------------------------------------------------------------------------------------ validation

def _objective(objective) -> Objective:
    if not isinstance(objective, Objective):
        raise ParameterError("objective", "must be an Objective (see facility_location, feature_based, coverage)")
    return objective


def _check_k(k, n) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ParameterError("k", f"must be an integer, got {k!r}")
    if not 1 <= k <= n:
        raise ParameterError("k", f"must be between 1 and the number of elements n = {n}; got {k}")
    return int(k)


#: the smallest eps accepted: threshold and sieve keep O(log(n)/eps) thresholds or guesses, so an eps near
#: the rounding level means ~1e17 of them (a hang, or an n-dimensional allocation that fails)
MIN_EPS = 1e-6


def _check_eps(eps, algorithm) -> float:
    if eps is None:
        return DEFAULT_EPS.get(algorithm, 0.1)
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not MIN_EPS <= eps < 1:
        raise ParameterError("eps", f"must be a number in [{MIN_EPS:g}, 1); got {eps!r}")
    return float(eps)


def _choice(name, value, choices):
    if value not in choices:
        raise ParameterError(name, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def singleton_values(objective: Objective) -> np.ndarray:
    """f({e}) for every element (n evaluations, reported as singleton_calls); the values the
    objective carries when they were computed with its matrix."""
    if objective.singletons is not None:
        return objective.singletons
    return _k.singletons(objective.oracle(), objective.n, objective.m)


# --------------------------------------------------------------------------------------- static

def maximize(objective: Objective, k: int, *, algorithm: str = "lazy", eps: float | None = None, seed: int = 0,
             singletons: np.ndarray | None = None) -> Result:
    """Choose at most k elements maximising f. Returns a Result with `selected` (0-based element
    indices in pick order), `gains` (marginal gain of each pick when it was added), `objective`
    (f(selected), recomputed), `counters` (`oracle_calls`, `singleton_calls`) and `timings`.

    greedy and lazy return the same set (ties to the smaller index); stochastic uses samples of
    ceil(n/k ln(1/eps)) elements per round (seeded); threshold lowers a threshold by (1 - eps) per
    pass; sieve makes one pass in index order with guesses of OPT on a (1 + eps) grid."""
    objective = _objective(objective)
    _choice("algorithm", algorithm, ALGORITHMS)
    n = objective.n
    k = _check_k(k, n)
    eps = _check_eps(eps, algorithm)
    ora = objective.oracle()
    t0 = time.perf_counter()
    single_calls = 0
    if singletons is None:
        singletons = singleton_values(objective)
        single_calls = n
    t1 = time.perf_counter()
    cands = np.arange(n, dtype=np.int64)
    extra = {}
    if algorithm == "greedy":
        picks, gains, calls = _k.greedy(ora, cands, k, objective.m, singletons)
    elif algorithm == "lazy" and objective.round1 is not None and singletons is objective.singletons:
        first, gains1 = objective.round1
        if objective.blocks is not None:
            width, partial = objective.blocks
            picks, gains, calls, reads = _k.lazy_after_first_blocked(ora, k, objective.m, first, singletons[first],
                                                                     gains1, partial.copy(), width)
            extra["blocks_read"] = int(reads)
        else:
            picks, gains, calls = _k.lazy_after_first(ora, k, objective.m, first, singletons[first], gains1)
        calls += n - 1  # round 1's gains, taken while the matrix was built
    elif algorithm == "lazy":
        picks, gains, calls = _k.lazy(ora, cands, k, objective.m, singletons)
    elif algorithm == "stochastic":
        size = sample_size(n, k, eps)
        extra["sample_size"] = size
        picks, gains, calls = _k.stochastic(ora, cands, k, objective.m, singletons, size,
                                            np.random.default_rng(seed))
    elif algorithm == "threshold":
        picks, gains, calls = _k.threshold(ora, cands, k, objective.m, singletons, eps)
    else:
        picks, gains, calls, guesses = _k.sieve(ora, cands, k, objective.m, singletons, eps)
        extra["guesses"] = int(guesses)
    t2 = time.perf_counter()
    res = Result(algorithm=algorithm, k=k, n=n, objective=objective.value(picks), selected=picks, gains=gains,
                 iterations=int(picks.shape[0]),
                 counters={"oracle_calls": int(calls), "singleton_calls": single_calls, **extra},
                 timings={"singletons": round(t1 - t0, 6), "select": round(t2 - t1, 6)})
    if algorithm in DEFAULT_EPS:
        res["eps"] = eps
    if algorithm == "stochastic":
        res["seed"] = seed
    res.set_status("converged", f"{picks.shape[0]} of k = {k} elements chosen")
    return res


def sample_size(n: int, k: int, eps: float) -> int:
    """Stochastic greedy's sample per round: ceil(n / k * ln(1 / eps)), at most n."""
    return int(min(n, max(1, math.ceil(n / k * math.log(1.0 / eps)))))


# -------------------------------------------------------------------------------------- dynamic

class Dynamic:
    """A solution kept up to date under insertions and deletions of elements (0-based rows of the
    objective). `insert(x)`, `delete(x)` and `apply(sign, ids)` return the oracle calls they made;
    `value`, `selected`, `gains` describe the current solution; `live` is the current element set.

    algorithm='dynamic': one structure per guess of OPT on the fixed grid (1 + eps)^i (routed
    elements only), each a stack of levels with one uniformly random pick per level; the answer is
    the best guess. algorithm='dynamic-greedy': greedy's solution, repaired from the first round an
    update changes."""

    def __init__(self, objective: Objective, k: int, *, algorithm: str = "dynamic", eps: float | None = None,
                 seed: int = 0, singletons: np.ndarray | None = None):
        self.objective = _objective(objective)
        self.algorithm = _choice("algorithm", algorithm, DYNAMIC_ALGORITHMS)
        self.k = _check_k(k, objective.n)
        self.eps = _check_eps(eps, algorithm) if algorithm == "dynamic" else None
        self.seed = seed
        self.singleton_calls = 0
        if singletons is None:
            singletons = singleton_values(objective)
            self.singleton_calls = objective.n
        self.singletons = singletons
        self.live = np.zeros(objective.n, dtype=np.bool_)
        self.oracle_calls = 0
        self._ora = objective.oracle()
        self._rng = np.random.default_rng(seed)
        if algorithm == "dynamic":
            self._levels = _Levels(objective, self.k, self.eps, singletons)
        else:
            self._prefix = _Prefix(objective, self.k)

    # ---- updates

    def insert(self, x: int) -> int:
        return int(self.apply(np.array([1]), np.array([x]))[0][0])

    def delete(self, x: int) -> int:
        return int(self.apply(np.array([-1]), np.array([x]))[0][0])

    def apply(self, sign, ids):
        """Apply updates in order (sign +1 inserts ids[t], -1 deletes it). Returns per update
        (oracle calls, value after it, size after it). Raises ParameterError, before changing
        anything, if an update inserts a live element, deletes a dead one or names an unknown one."""
        sign = np.require(np.asarray(sign), np.int64, ["C"]).reshape(-1)
        ids = np.require(np.asarray(ids), np.int64, ["C"]).reshape(-1)
        self._validate(sign, ids)
        m = sign.shape[0]
        calls = np.zeros(m, dtype=np.int64)
        values = np.zeros(m)
        sizes = np.zeros(m, dtype=np.int64)
        if self.algorithm == "dynamic":
            self._levels.apply(self._ora, self.singletons, sign, ids, calls, values, sizes, self._rng)
        else:
            self._prefix.apply(self._ora, self.singletons, sign, ids, calls, values, sizes)
        self.oracle_calls += int(calls.sum())
        return calls, values, sizes

    def _validate(self, sign, ids):
        n = self.objective.n
        if sign.shape != ids.shape:
            raise ParameterError("ids", f"{ids.shape[0]} ids for {sign.shape[0]} signs")
        if ((sign != 1) & (sign != -1)).any():
            t = int(np.flatnonzero((sign != 1) & (sign != -1))[0])
            raise ParameterError("sign", f"update {t}: sign must be +1 (insert) or -1 (delete), got {sign[t]}")
        bad = (ids < 0) | (ids >= n)
        if bad.any():
            t = int(np.flatnonzero(bad)[0])
            raise ParameterError("ids", f"update {t}: element {ids[t]} is out of range 0..{n - 1}")
        live = self.live.copy()
        for t, (s, x) in enumerate(zip(sign.tolist(), ids.tolist())):
            if (s > 0) == live[x]:
                state = "already live" if live[x] else "not live"
                raise ParameterError("ids", f"update {t}: cannot {'insert' if s > 0 else 'delete'} element {x}: "
                                     f"it is {state}")
            live[x] = s > 0
        self.live = live

    # ---- the current solution

    @property
    def selected(self) -> np.ndarray:
        if self.algorithm == "dynamic":
            return self._levels.selected()
        return self._prefix.selected()

    @property
    def gains(self) -> np.ndarray:
        if self.algorithm == "dynamic":
            return self._levels.gains()
        return self._prefix.gains()

    @property
    def value(self) -> float:
        return float(self.gains.sum())

    def counters(self) -> dict:
        out = {"oracle_calls": self.oracle_calls, "singleton_calls": self.singleton_calls}
        if self.algorithm == "dynamic":
            out.update(self._levels.counters())
        return out


class _Levels:
    """Arrays of the level structure (see `_kernels`), with guesses of OPT on the fixed grid."""

    def __init__(self, objective, k, eps, single):
        n, m = objective.n, objective.m
        lg = math.log1p(eps)
        pos = single > 0
        lo = np.zeros(n, dtype=np.int64)
        hi = np.full(n, -1, dtype=np.int64)
        if pos.any():
            s = single[pos]
            lo_i = np.ceil(np.log(s / (1 + eps)) / lg).astype(np.int64)
            hi_i = np.floor(np.log(2 * k * s) / lg).astype(np.int64)
            g0 = int(lo_i.min())
            n_guess = int(hi_i.max()) - g0 + 1
            theta = np.exp((g0 + np.arange(n_guess)) * lg) / (2 * k)
            lo_s, hi_s = lo_i - g0, hi_i - g0
            # an element must pass its guesses' level-0 test exactly: theta <= f({e})
            hi_s = np.searchsorted(theta, s, side="right") - 1
            lo_s = np.minimum(lo_s, hi_s)
            lo[pos], hi[pos] = lo_s, hi_s
        else:
            g0, n_guess, theta = 0, 1, np.ones(1)
        need = n_guess * n * 4
        if need > MAX_GUESS_BYTES:
            raise ResourceError(f"the singleton values span {n_guess} guesses of OPT at eps = {eps:g}, whose level "
                                f"arrays need {need / 2**30:.1f} GiB; use a larger --eps")
        self.k, self.m, self.eps, self.g0 = k, m, eps, g0
        self.theta = theta
        rows = 1 + 2 * (k + 1) + 4 * n_guess
        self.state_dtype = objective.dense.dtype  # the kernels' state type (see _kernels.new_state)
        pool = np.zeros((rows, m), self.state_dtype)
        free = np.arange(rows, dtype=np.int64)[::-1].copy()
        meta = np.array([rows - 1, 0, 0, 0], dtype=np.int64)
        self.dy = (np.zeros((n_guess, n), dtype=np.int32), np.zeros((n_guess, k + 2), dtype=np.int64),
                   np.full((n_guess, k + 1), -1, dtype=np.int64), np.zeros(n_guess, dtype=np.int64),
                   np.zeros((n_guess, k + 1)), np.zeros((n_guess, k + 1), dtype=np.int64), pool, free, meta,
                   np.zeros(n, dtype=np.int64), theta, lo, hi)
        self.routes = int((hi - lo + 1).clip(0).sum())

    def _grow(self):
        """Double the pool of state rows (row numbers stay valid)."""
        dy = self.dy
        pool, free, meta = dy[6], dy[7], dy[8]
        rows = pool.shape[0]
        new_pool = np.zeros((2 * rows, self.m), self.state_dtype)
        new_pool[:rows] = pool
        new_free = np.empty(2 * rows, dtype=np.int64)
        n_free = int(meta[0])
        new_free[:n_free] = free[:n_free]
        new_free[n_free:n_free + rows] = np.arange(2 * rows - 1, rows - 1, -1)
        meta[0] = n_free + rows
        self.dy = dy[:6] + (new_pool, new_free) + dy[8:]

    def apply(self, ora, single, sign, ids, calls, values, sizes, rng):
        t, resume = 0, 0
        while t < sign.shape[0]:
            t, resume, status = _k.dynamic_apply(ora, self.dy, single, self.k, sign, ids, t, sign.shape[0], resume,
                                                 calls, values, sizes, rng)
            if status == _k.NEED_ROWS:
                self._grow()

    def selected(self):
        g = _k.dynamic_best(self.dy)
        if g < 0:
            return np.empty(0, dtype=np.int64)
        return self.dy[2][g, 1:self.dy[3][g] + 1].copy()

    def gains(self):
        g = _k.dynamic_best(self.dy)
        if g < 0:
            return np.empty(0)
        return np.diff(self.dy[4][g, :self.dy[3][g] + 1])

    def counters(self):
        dy = self.dy
        T = dy[3]
        g = _k.dynamic_best(dy)
        return {"guesses": int(T.shape[0]), "guesses_in_use": int((T > 0).sum()),
                "routes_per_element": round(self.routes / max(1, dy[0].shape[1]), 3),
                "level_builds": int(dy[8][2]), "state_rows": int(dy[6].shape[0] - dy[8][0]),
                "best_guess": None if g < 0 else float(math.exp((self.g0 + g) * math.log1p(self.eps)))}


class _Prefix:
    """Arrays of prefix-repair greedy (see `_kernels`)."""

    def __init__(self, objective, k):
        n, m = objective.n, objective.m
        self.k = k
        self.pr = (np.zeros(n, dtype=np.bool_), np.zeros(k, dtype=np.int64), np.zeros(k),
                   np.zeros((k + 1, m), objective.dense.dtype),
                   np.zeros(2, dtype=np.int64), np.zeros(n), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.bool_),
                   np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64))

    def apply(self, ora, single, sign, ids, calls, values, sizes):
        _k.prefix_apply(ora, self.pr, single, self.k, sign, ids, 0, sign.shape[0], calls, values, sizes)

    def selected(self):
        return self.pr[1][:self.pr[4][0]].copy()

    def gains(self):
        return self.pr[2][:self.pr[4][0]].copy()


def greedy_on(objective: Objective, k: int, live, singletons) -> tuple[np.ndarray, float, int]:
    """From-scratch lazy greedy on the live elements: (picks, value, oracle calls)."""
    cands = np.flatnonzero(live).astype(np.int64)
    if cands.size == 0:
        return cands, 0.0, 0
    picks, _, calls = _k.lazy(objective.oracle(), cands, k, objective.m, singletons)
    return picks, objective.value(picks), int(calls)


def _percentile(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else 0.0


def run_stream(objective: Objective, k: int, sign, ids, *, algorithm: str = "dynamic", eps: float | None = None,
               seed: int = 0, baseline_every: int = 100, progress=None) -> Result:
    """Apply a stream of updates and keep a solution after each. Every `baseline_every` updates (and
    after the last) a from-scratch lazy greedy on the live elements gives the reference value.

    Returns a Result with the final `selected`/`gains`/`objective`, a `trace` dict of per-update arrays
    (`calls`, `value`, `size`), `checkpoints` (update, greedy value, ratio, recompute calls) and a
    `stream` summary: calls per update (mean, p50, p99, max), value/greedy (min, mean) and the
    mean calls of recomputing lazy greedy."""
    if isinstance(baseline_every, bool) or not isinstance(baseline_every, (int, np.integer)) or baseline_every < 0:
        raise ParameterError("baseline_every", f"must be a non-negative integer, got {baseline_every!r}")
    t0 = time.perf_counter()
    dyn = Dynamic(objective, k, algorithm=algorithm, eps=eps, seed=seed)
    t1 = time.perf_counter()
    sign = np.require(np.asarray(sign), np.int64, ["C"]).reshape(-1)
    ids = np.require(np.asarray(ids), np.int64, ["C"]).reshape(-1)
    total = sign.shape[0]
    calls = np.zeros(total, dtype=np.int64)
    values = np.zeros(total)
    sizes = np.zeros(total, dtype=np.int64)
    checkpoints = []
    base_time = 0.0
    start = 0
    while start < total:
        stop = min(total, (start // _PROGRESS_EVERY + 1) * _PROGRESS_EVERY)
        if baseline_every > 0:
            stop = min(stop, (start // baseline_every + 1) * baseline_every)
        c, v, s = dyn.apply(sign[start:stop], ids[start:stop])
        calls[start:stop], values[start:stop], sizes[start:stop] = c, v, s
        if baseline_every > 0 and (stop % baseline_every == 0 or stop == total):
            b0 = time.perf_counter()
            _, gval, gcalls = greedy_on(objective, dyn.k, dyn.live, dyn.singletons)
            base_time += time.perf_counter() - b0
            ratio = values[stop - 1] / gval if gval > 0 else 1.0
            checkpoints.append({"update": stop, "value": float(values[stop - 1]), "greedy_value": gval,
                                "ratio": ratio, "recompute_calls": gcalls, "live": int(dyn.live.sum())})
        if progress is not None:
            progress(stop, total, f"{algorithm}: {stop}/{total} updates")
        start = stop
    t2 = time.perf_counter()
    sel = dyn.selected
    res = Result(algorithm=algorithm, k=dyn.k, n=objective.n, objective=objective.value(sel), selected=sel,
                 gains=dyn.gains, iterations=total, counters=dyn.counters(), seed=seed,
                 trace={"calls": calls, "value": values, "size": sizes}, checkpoints=checkpoints,
                 stream=_summary(calls, checkpoints, sign, dyn),
                 timings={"singletons": round(t1 - t0, 6), "updates": round(t2 - t1 - base_time, 6),
                          "baseline": round(base_time, 6)})
    if dyn.eps is not None:
        res["eps"] = dyn.eps
    res.set_status("converged", f"{total} updates applied; {int(dyn.live.sum())} elements live")
    return res


def _summary(calls, checkpoints, sign, dyn) -> dict:
    out = {"updates": int(sign.shape[0]), "inserts": int((sign > 0).sum()), "deletes": int((sign < 0).sum()),
           "live": int(dyn.live.sum()),
           "calls_per_update": {"mean": float(calls.mean()) if calls.size else 0.0, "p50": _percentile(calls, 50),
                                "p99": _percentile(calls, 99), "max": int(calls.max()) if calls.size else 0},
           "calls_total": int(calls.sum())}
    if checkpoints:
        ratios = [c["ratio"] for c in checkpoints]
        recompute = float(np.mean([c["recompute_calls"] for c in checkpoints]))
        out["baseline"] = {"checkpoints": len(checkpoints), "ratio_min": float(min(ratios)),
                           "ratio_mean": float(np.mean(ratios)), "recompute_calls_mean": recompute,
                           "calls_vs_recompute": out["calls_per_update"]["mean"] / recompute if recompute else None}
    return out


# ------------------------------------------------------------------------------------ warm-up

def warm_up(kind: str = "facility-location", sparse: bool = False, concave: str = "sqrt", algorithm: str = "lazy",
            metric: str | None = None, knn: bool = False, dtype: str = "float64") -> None:
    """Compile (or load from the cache) the kernels `algorithm` needs, on a tiny instance; with `metric`,
    also those that build the similarity from features. Every float64 objective passes the kernels the
    same tuple of array types, so one compilation serves all of them; a float32 dense facility
    location (`dtype`) is a second one."""
    from . import objective as obj
    from . import similarity

    X = np.random.default_rng(0).random((6, 3))
    if metric is not None and not knn and kind == "facility-location":
        f = similarity.dense_facility_location(X, metric, dtype=dtype)
        if algorithm in DYNAMIC_ALGORITHMS:
            run_stream(f, 2, [1, 1, 1, -1, 1], [0, 1, 2, 0, 0], algorithm=algorithm, baseline_every=2)
        else:
            maximize(f, 2, algorithm=algorithm)
        return
    if metric is not None:
        S = similarity.knn_similarity(X, 3, metric) if knn else similarity.similarity_matrix(X, metric)
    else:
        S = X @ X.T
        if sparse:
            import scipy.sparse as sp

            S = sp.csr_matrix(S)
    if kind == "feature-based":
        f = obj.feature_based(S, concave)
    elif kind == "coverage":
        f = obj.coverage([[0, 1], [1, 2], [2]], 3)
    else:
        f = obj.facility_location(S, dtype="float64" if sparse else dtype)
    if algorithm in DYNAMIC_ALGORITHMS:
        run_stream(f, 2, [1, 1, 1, -1, 1], [0, 1, 2, 0, 0], algorithm=algorithm, baseline_every=2)
    else:
        maximize(f, 2, algorithm=algorithm)
