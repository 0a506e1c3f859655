"""k-medoids cases of `optsuite bench`: FasterPAM against kmedoids.fasterpam (Rust, by the papers'
author) from the same initial medoids on the same matrix, in the layout it reads fastest (a
Fortran-ordered view of the symmetric matrix) and in the C order a typical user passes; plus the
distance matrix against scikit-learn, BUILD + FasterPAM from the points against BanditPAM (when the
`banditpam` package is installed; it is not in the `peers` extra), the speed-up of FastPAM1 and
FasterPAM over PAM SWAP, BUILD against LAB, cold against cached start, and peak memory.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from optsuite.problems.kmedoids import generate

from ..bench import Case, Runner
from . import api


def _peer_module(name):
    """The peer library's module, or None when the `peers` extra is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _blobs(n, d=10, centers=10, seed=0):
    return generate(n, d, centers, seed)[0]


def _medoid_setup(n, k, dtype):
    def setup():
        X = _blobs(n)
        D = api.dissimilarity_matrix(X, "euclidean", dtype)
        med = np.random.default_rng(1).choice(n, size=k, replace=False)
        return {"D": D, "med": med}
    return setup


def _ours(method="fasterpam", init=None):
    def run(ctx):
        kw = {"medoids": ctx["med"]} if init is None else {"init": init}
        r = api.kmedoids(ctx["D"], len(ctx["med"]), method=method, check=False, max_iter=10_000, **kw)
        return {"objective": r.objective, "status": r.status, "iterations": r.iterations,
                "swaps": r.counters["swaps"]}
    return run


def _peer_fasterpam(layout):
    kmedoids = _peer_module("kmedoids")

    def run(ctx):
        D = ctx["D"].T if layout == "F" else ctx["D"]  # D is symmetric: D.T is the same matrix, F-ordered
        r = kmedoids.fasterpam(D, ctx["med"].astype(np.uintp), max_iter=10_000, n_cpu=1)
        return {"objective": float(r.loss), "iterations": int(r.n_iter), "swaps": int(r.n_swap)}
    return run


def _fasterpam_case(n, k, dtype):
    peers = []
    if _peer_module("kmedoids") is not None:
        peers = [Runner("kmedoids.fasterpam F-order", _peer_fasterpam("F")),
                 Runner("kmedoids.fasterpam C-order", _peer_fasterpam("C"))]
    return Case(
        name=f"kmedoids/fasterpam/n{n}-k{k}-{dtype}",
        params={"n": n, "d": 10, "centers": 10, "k": k, "dtype": dtype, "init": "random seed 1", "seed": 0},
        setup=_medoid_setup(n, k, dtype), ours=Runner("optsuite fasterpam", _ours()), peers=peers,
        ratio_vs="kmedoids.fasterpam F-order" if peers else None,
        note="same initial medoids, plain visiting order, 1 thread each; F-order = the peer's fast layout")


def _distance_case(n):
    sklearn_metrics = _peer_module("sklearn.metrics")

    def setup():
        return {"X": _blobs(n)}

    def ours(ctx):
        return {"objective": float(api.dissimilarity_matrix(ctx["X"], "euclidean", "float64").sum())}

    def peer(ctx):
        return {"objective": float(sklearn_metrics.pairwise_distances(ctx["X"], metric="euclidean").sum())}

    peers = [Runner("sklearn pairwise_distances", peer)] if sklearn_metrics else []
    return Case(name=f"kmedoids/distances/n{n}-d10-euclidean", params={"n": n, "d": 10},
                setup=setup, ours=Runner("optsuite dissimilarity_matrix", ours), peers=peers,
                ratio_vs=peers[0].label if peers else None, same_answer_rtol=1e-9,
                note="objective = sum of all entries; BLAS and Numba pinned to 1 thread")


def _banditpam_case(n, k):
    """PAM-quality clustering from the points: our distances + BUILD + FasterPAM against BanditPAM
    (Tiwari et al. 2020), which samples distances to reach PAM's BUILD + SWAP result without the n x n
    matrix. Both are scored by the TD of their medoids on the same exact euclidean matrix."""
    banditpam = _peer_module("banditpam")

    def setup():
        X = _blobs(n)
        return {"X": X, "D": api.dissimilarity_matrix(X, "euclidean", "float64")}

    def ours(ctx):
        D = api.dissimilarity_matrix(ctx["X"], "euclidean", "float64")
        r = api.kmedoids(D, k, method="fasterpam", init="build", check=False, max_iter=10_000)
        return {"objective": r.objective, "medoids": sorted(int(m) for m in r.medoids)}

    def peer(ctx):
        km = banditpam.KMedoids(n_medoids=k, algorithm="BanditPAM")
        km.fit(ctx["X"], "L2")
        med = np.asarray(km.medoids, dtype=np.int64)
        return {"objective": float(api.assign_matrix(ctx["D"], med)[2]), "medoids": sorted(int(m) for m in med)}

    peers = [Runner("banditpam BanditPAM", peer)] if banditpam is not None else []
    return Case(name=f"kmedoids/banditpam/n{n}-k{k}", params={"n": n, "d": 10, "k": k, "metric": "euclidean"},
                setup=setup, ours=Runner("optsuite distances+build+fasterpam", ours), peers=peers,
                ratio_vs=peers[0].label if peers else None, same_answer_rtol=1e-9, repeats=3,
                note="from the points, 1 thread each (OMP_NUM_THREADS=1 for BanditPAM's OpenMP); objective = "
                     "TD of the returned medoids on the exact matrix")


def _pam_speedup_case(n, k, repeats):
    return Case(
        name=f"kmedoids/speedup-over-pam/n{n}-k{k}",
        params={"n": n, "k": k, "dtype": "float64", "init": "random seed 1"},
        setup=_medoid_setup(n, k, "float64"), ours=Runner("optsuite fasterpam", _ours()),
        peers=[Runner("optsuite fastpam1", _ours("fastpam1")), Runner("optsuite pam", _ours("pam"))],
        ratio_vs="optsuite pam", same_answer_rtol=None, repeats=repeats,
        note="the papers' claim: FastPAM1 takes PAM's swaps O(k) faster, FasterPAM is faster still "
             "(SISAP 2019: ~200x at k=100; Information Systems 2021: 458x at k=100)")


def _init_case(n, k):
    kmedoids = _peer_module("kmedoids")

    def lab(ctx):
        med, _ = api.initial_medoids(ctx["D"], k, "lab", seed=0)
        return {"objective": api.assign_matrix(ctx["D"], med)[2]}

    def build(ctx):
        med, _ = api.initial_medoids(ctx["D"], k, "build")
        return {"objective": api.assign_matrix(ctx["D"], med)[2]}

    def rust_build(ctx):
        return {"objective": float(kmedoids.pam_build(ctx["D"].T, k).loss)}

    peers = [Runner("optsuite build", build)]
    if kmedoids is not None:
        peers.append(Runner("kmedoids.pam_build F-order", rust_build))
    return Case(name=f"kmedoids/init/lab-vs-build-n{n}-k{k}", params={"n": n, "k": k, "dtype": "float64"},
                setup=_medoid_setup(n, k, "float64"), ours=Runner("optsuite lab", lab), peers=peers,
                ratio_vs="optsuite build", same_answer_rtol=None, repeats=3,
                note="objective = TD of the initial medoids (before any swap)")


def _cli(args, env=None):
    """Run the optsuite CLI in a child process: (CPU seconds of the child, wall seconds, its JSON result)."""
    import time

    w0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "optsuite.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        raise RuntimeError(f"optsuite {' '.join(args)} exited with {code}")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - w0, json.loads(out)


def _startup_case():
    path = os.path.join(tempfile.gettempdir(), "optsuite-bench-blobs-2000.csv")

    def setup():
        np.savetxt(path, _blobs(2000), delimiter=",", fmt="%.6f")
        return {"path": path}

    def run(cold):
        def go(ctx):
            env = dict(os.environ)
            if cold:
                env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="optsuite-cold-")
            cpu, wall, res = _cli(["solve", "kmedoids", ctx["path"], "--k", "10", "-q"], env)
            return {"objective": res["objective"], "compile_s": res["timings"]["compile"], "cpu_s": cpu,
                    "wall_s": wall}
        return go

    return Case(name="kmedoids/startup/cached-vs-cold", params={"n": 2000, "k": 10, "via": "optsuite solve (a child process)"},
                setup=setup, ours=Runner("cached JIT", run(False)), peers=[Runner("cold JIT (empty cache)", run(True))],
                ratio_vs="cold JIT (empty cache)", repeats=3,
                note="CPU seconds of the whole child process (start-up, read, compile, solve); compile_s = its "
                     "compile phase")


def _memory_case(n, k):
    path = os.path.join(tempfile.gettempdir(), f"optsuite-bench-blobs-{n}.npy")

    def setup():
        np.save(path, _blobs(n))
        return {"path": path}

    def run(dtype):
        def go(ctx):
            cpu, wall, res = _cli(["solve", "kmedoids", ctx["path"], "--k", str(k), "--dtype", dtype, "-q",
                                   "--threads", "1"])
            return {"objective": res["objective"], "peak_rss_mib": res["peak_rss_mib"], "cpu_s": cpu,
                    "wall_s": wall}
        return go

    return Case(name=f"kmedoids/memory/n{n}-k{k}", params={"n": n, "k": k, "matrix_mib_f64": n * n * 8 / 2**20},
                setup=setup, ours=Runner("optsuite float64", run("float64")),
                peers=[Runner("optsuite float32", run("float32"))], ratio_vs=None, same_answer_rtol=1e-5,
                repeats=1, note="peak resident memory (VmHWM) and CPU seconds of the whole `optsuite solve` "
                               "process; the float64 matrix alone is 763 MiB")


def cases(quick: bool) -> list[Case]:
    if quick:
        return [_distance_case(1000), _fasterpam_case(1000, 10, "float64"), _pam_speedup_case(300, 10, 1)]
    return [
        _distance_case(10000),
        _fasterpam_case(5000, 10, "float64"),
        _fasterpam_case(5000, 100, "float64"),
        _fasterpam_case(10000, 10, "float64"),
        _fasterpam_case(10000, 100, "float64"),
        _fasterpam_case(10000, 10, "float32"),
        _fasterpam_case(10000, 100, "float32"),
        _banditpam_case(5000, 10),
        _pam_speedup_case(1000, 100, 1),
        _init_case(5000, 100),
        _startup_case(),
        _memory_case(10000, 10),
    ]
