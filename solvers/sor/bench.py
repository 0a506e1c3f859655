"""SOR cases of `optsuite bench`.

Learning (the paper's claims, Khodak et al. ICLR 2024): on a sequence, each policy's total iteration
count against the oracle's comparators, computed in the case's setup by solving every instance at
every grid omega: Tsallis-INF <= 1.2 x the best fixed omega in hindsight; ChebCB <= 0.7 x the best fixed
omega and <= 1.25 x the instance-optimal total (targets set on the high-variance shifted Laplacian,
T = 5000; the low-variance and heat sequences are reported against the same numbers). Each policy
runs once for real (seed 0); its mean over seeds 0-4 replayed on the oracle's cost table (exact, since
every solve starts from x = 0) is reported beside it. CPU time is reported but is not the point here.

Speed: CPU time per forward SOR sweep against pyamg's `relaxation.sor` (C++, one call doing the same
number of sweeps) on the 2D Poisson 5-point matrix with 10^4, 10^5 and 10^6 unknowns (target <= 0.8x),
with the memory-bandwidth floor of one sweep: its bytes (values, column indices, row pointers,
diagonal positions, x read and written, b) over this machine's single-thread copy bandwidth.
"""

from __future__ import annotations

import importlib
import time

import numpy as np

from optsuite.problems.sor import heat, laplacian_2d, shifted_laplacian

from ..bench import Case, Runner
from . import _kernels as _k
from . import api
from .oracle import replay
from .systems import SystemSequence

#: sweeps per timed run: at least 10, and about 10^6 rows in all, so small cases are not too short to time
def sweeps_per_run(n: int) -> int:
    return max(10, 1_000_000 // n)


REPLAY_SEEDS = range(5)
#: (policy, comparator, bound): the issue's targets
TARGETS = {"tsallis": [("best_fixed", 1.2)], "chebcb": [("best_fixed", 0.7), ("instance_optimal", 1.25)]}


def _peer_module(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


# ----------------------------------------------------------------------------------------- learning

def _sequence(arrays) -> SystemSequence:
    n = arrays["indptr"].shape[0] - 1
    return SystemSequence.shared(n, arrays["indptr"], arrays["indices"], arrays["data"], arrays["b"],
                                 context=arrays["context"], context_range=tuple(arrays["context_range"]))


def _learning_setup(build):
    """The sequence, the oracle (every instance at every grid omega) and, for each grid policy, its
    mean total over REPLAY_SEEDS replayed on the oracle's table: all untimed."""
    def setup():
        seq = _sequence(build())
        oracle = api.solve_sequence(seq, policy="fixed", omega=1.0, oracle=True)["oracle"]
        context = api.instance_context(seq)[0]
        costs = np.asarray(oracle["table"]["costs"])
        replayed = {}
        for policy in api.GRID_POLICIES:
            totals = []
            for seed in REPLAY_SEEDS:
                chooser = api.make_policy(policy, seq, omega=1.0, grid=oracle["grid"], bins=5, degree=5,
                                          context_range=api.context_interval(context, None, seq), seed=seed,
                                          estimate=None)
                totals.append(int(replay(chooser, costs, context).sum()))
            replayed[policy] = float(np.mean(totals))
        return {"seq": seq, "oracle": oracle, "replayed": replayed}
    return setup


def _policy_runner(policy, targets):
    def run(ctx):
        seq, oracle = ctx["seq"], ctx["oracle"]
        res = api.solve_sequence(seq, policy=policy, omega=oracle["best_fixed"]["omega"], seed=0)
        out = {"objective": res.objective, "status": res.status}
        comparators = {"best_fixed": oracle["best_fixed"]["total"],
                       "instance_optimal": oracle["instance_optimal"]["total"]}
        for name, total in comparators.items():
            out[f"ratio_to_{name}"] = round(res.objective / total, 4)
            if policy in ctx["replayed"]:
                out[f"replayed_mean_ratio_to_{name}"] = round(ctx["replayed"][policy] / total, 4)
        for name, bound in (TARGETS.get(policy, []) if targets else []):
            out[f"target_{name}"] = f"<= {bound}"
            out[f"met_{name}"] = out[f"ratio_to_{name}"] <= bound
        return out
    return run


def _learning_case(name, params, build, note, targets=True):
    runners = [Runner(p, _policy_runner(p, targets)) for p in ("tsallis", "chebcb", "tsallis-cb", "asymptotic",
                                                                "fixed")]
    return Case(name=f"sor/learning/{name}", params=params, setup=_learning_setup(build), ours=runners[0],
                peers=runners[1:], ratio_vs=None, same_answer_rtol=None, repeats=1,
                note=note + "; objective = total SOR iterations (cost); 'fixed' runs the best fixed omega in "
                     "hindsight; ratios against the oracle computed in setup (every instance at every grid omega)")


# -------------------------------------------------------------------------------------------- speed

def stream_bandwidth(mib: int = 128, repeats: int = 5) -> float:
    """Bytes per CPU second of a single-threaded copy of a `mib` MiB array (read + write counted)."""
    src = np.ones(mib * 2**20 // 8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    best = np.inf
    for _ in range(repeats):
        c0 = time.process_time()
        np.copyto(dst, src)
        best = min(best, time.process_time() - c0)
    return 2 * src.nbytes / best


def sweep_bytes(n: int, nnz: int) -> int:
    """Memory traffic of one sweep: 8 B values + 4 B column indices per entry, 8 B row pointers and
    diagonal positions per row, x read and written (16 B) and b read (8 B) per row."""
    return 12 * nnz + 16 * (n + 1) + 16 * n + 8 * n


def _sweep_setup(m):
    def setup():
        A = laplacian_2d(m)
        seq = SystemSequence.from_matrices([(A, np.ones(m * m))])
        indptr, indices, data, diag, _, _ = seq.system(0)
        b = np.random.default_rng(0).standard_normal(m * m)
        bandwidth = stream_bandwidth()
        floor = sweep_bytes(m * m, A.nnz) / bandwidth
        return {"A": A, "args": (indptr, indices, data, diag, b), "b": b, "r": np.empty(m * m),
                "sweeps": sweeps_per_run(m * m), "floor_ms": floor * 1e3, "bandwidth_gbs": bandwidth / 1e9}
    return setup


def _ours_sweep(ctx):
    indptr, indices, data, diag, b = ctx["args"]
    x = np.zeros(b.shape[0])
    for _ in range(ctx["sweeps"]):
        _k.forward_sweep(indptr, indices, data, diag, b, x, 1.5)
    return {"objective": float(np.linalg.norm(x)), "sweeps": ctx["sweeps"],
            "floor_ms_per_sweep": round(ctx["floor_ms"], 4), "copy_bandwidth_gb_s": round(ctx["bandwidth_gbs"], 2)}


def _ours_fused(ctx):
    indptr, indices, data, diag, b = ctx["args"]
    x = np.zeros(b.shape[0])
    for _ in range(ctx["sweeps"]):
        _k.forward_sweep_sym(indptr, indices, data, diag, b, x, 1.5, ctx["r"])
    return {"objective": float(np.linalg.norm(x)), "sweeps": ctx["sweeps"]}


def _pyamg_sweep(ctx):
    from pyamg.relaxation.relaxation import sor

    x = np.zeros(ctx["b"].shape[0])
    sor(ctx["A"], x, ctx["b"], 1.5, iterations=ctx["sweeps"], sweep="forward")
    return {"objective": float(np.linalg.norm(x)), "sweeps": ctx["sweeps"]}


def _sweep_case(m):
    n = m * m
    peers = [Runner("optsuite sweep + exact residual", _ours_fused)]
    if _peer_module("pyamg") is not None:
        peers.insert(0, Runner("pyamg relaxation.sor", _pyamg_sweep))
    return Case(name=f"sor/sweep/poisson-n{n}", params={"n": n, "grid": f"{m}x{m}", "omega": 1.5,
                                                         "sweeps_per_run": sweeps_per_run(n)},
                setup=_sweep_setup(m), ours=Runner("optsuite forward sweep", _ours_sweep), peers=peers,
                ratio_vs="pyamg relaxation.sor" if len(peers) > 1 else None, same_answer_rtol=1e-12,
                note=f"CPU seconds for {sweeps_per_run(n)} forward sweeps from x = 0 (per sweep: divide by "
                     f"{sweeps_per_run(n)}); objective = ||x|| after them; floor_ms_per_sweep = bytes of one sweep / "
                     "single-thread copy bandwidth")


# -------------------------------------------------------------------------------------------- cases

def cases(quick: bool) -> list[Case]:
    if quick:
        return [_sweep_case(100),
                _learning_case("shifted-high-T300", {"family": "shifted-laplacian", "variance": "high", "T": 300,
                                                     "n": 100, "seed": 0},
                               lambda: shifted_laplacian(300, 10, "high", 0), "a short run: learners barely start",
                               targets=False)]
    return [
        _sweep_case(100), _sweep_case(316), _sweep_case(1000),
        _learning_case("shifted-high-T5000", {"family": "shifted-laplacian", "variance": "high", "T": 5000,
                                              "n": 100, "seed": 0},
                       lambda: shifted_laplacian(5000, 10, "high", 0), "the paper's high-variance sequence"),
        _learning_case("shifted-low-T5000", {"family": "shifted-laplacian", "variance": "low", "T": 5000,
                                             "n": 100, "seed": 0},
                       lambda: shifted_laplacian(5000, 10, "low", 0), "the paper's low-variance sequence"),
        _learning_case("heat-n1024-T1000", {"family": "heat", "n": 1024, "T": 1000, "dt": 1e-3},
                       lambda: heat(1024, 1000, 1e-3), "Crank-Nicolson heat, one period of kappa, x0 = 0"),
    ]
