"""Submodular cases of `optsuite bench`: lazy greedy against apricot-select end to end (features to
selection) and on the selection alone (its compile excluded), each also with our similarity stored
as float32; feature-based against apricot, the static algorithms side by side, and the dynamic
algorithms on streams of insertions and deletions (oracle calls per update, value against greedy
from scratch, and recomputation's calls).

Points: Gaussian blobs (20 centres, spread 2, d = 20) from `problems.submodular.generate_points`.
"""

from __future__ import annotations

import importlib
import time

import numpy as np

from optsuite.problems.submodular import generate_points, generate_stream

from ..bench import Case, Runner
from . import api
from .objective import facility_location, feature_based
from .similarity import dense_facility_location, similarity_matrix


def _apricot():
    """apricot-select, or None when the `peers` extra is not installed."""
    try:
        return importlib.import_module("apricot")
    except ImportError:
        return None


def _points(n, seed=0):
    return generate_points(n, 20, centers=20, seed=seed, spread=2.0)


def _scorer(X):
    """f(S) of apricot's euclidean facility location, computed from the points for any S without the
    n x n matrix: sum_i max_{j in S} (max D2 - D2_ij). Both contenders are scored by it."""
    xx = np.einsum("ij,ij->i", X, X)
    top = 0.0
    for a in range(0, X.shape[0], 1000):
        D = -2.0 * (X[a:a + 1000] @ X.T) + xx[a:a + 1000, None] + xx[None, :]
        top = max(top, float(D.max()))

    def score(selected):
        sel = np.asarray(selected, dtype=np.int64)
        D = np.maximum(-2.0 * (X @ X[sel].T) + xx[:, None] + xx[None, sel], 0.0)
        return float((top - D).max(axis=1).sum())
    return score


def _end_to_end_case(n, k, dtype="float64"):
    """Features to selection against apricot. With dtype float32 our similarity is stored as float32
    (scored, like apricot's answer, by f64 = f on the float64 similarity), our float64 run is a second
    contender of the same case, and the answer may differ from apricot's where gains nearly tie."""
    apricot = _apricot()
    f32 = dtype == "float32"

    def setup():
        X = _points(n)
        ctx = {"X": X, "score": _scorer(X)}
        if f32:
            ctx["float64_picks"] = api.maximize(dense_facility_location(X, "euclidean"), k).selected
        return ctx

    def run(dt):
        def go(ctx):
            f = dense_facility_location(ctx["X"], "euclidean", dtype=dt)
            r = api.maximize(f, k)
            del f
            out = {"objective": ctx["score"](r.selected), "oracle_calls": r.counters["oracle_calls"]}
            if dt == "float32":
                ref = ctx["score"](ctx["float64_picks"])
                out.update(objective_on_float32=r.objective,
                           same_picks_as_float64=r.selected.tolist() == ctx["float64_picks"].tolist(),
                           rel_diff_vs_float64=abs(out["objective"] - ref) / ref)
            return out
        return go

    def peer(ctx):
        sel = apricot.FacilityLocationSelection(k, metric="euclidean", optimizer="lazy").fit(ctx["X"])
        return {"objective": ctx["score"](sel.ranking)}

    peers = [Runner("apricot FacilityLocationSelection lazy", peer)] if apricot else []
    if f32:
        peers.append(Runner("optsuite similarity float64 + lazy", run("float64")))
    return Case(name=f"submodular/lazy-vs-apricot/end-to-end-n{n}-k{k}" + ("-float32" if f32 else ""),
                params={"n": n, "d": 20, "k": k, "similarity": "euclidean max(D2) - D2", "dtype": dtype},
                setup=setup, ours=Runner(f"optsuite similarity{' float32' if f32 else ''} + lazy", run(dtype)),
                peers=peers, ratio_vs=peers[0].label if apricot else None, same_answer_rtol=1e-5 if f32 else 1e-9,
                note="features to selection in one process, 1 thread: both build the dense similarity; apricot "
                     "also recompiles its Numba kernels on every fit (part of its end-to-end cost)"
                     + ("; ours stores it as float32 (objectives: f on the float64 similarity of each answer)"
                        if f32 else ""))


def _selection_case(n, k, repeats=None, dtype="float64"):
    apricot = _apricot()
    f32 = dtype == "float32"

    def setup():
        X = _points(n)
        S = similarity_matrix(X, "euclidean")
        f = facility_location(S, check=False)
        mine = facility_location(similarity_matrix(X, "euclidean", dtype=dtype), check=False, dtype=dtype) if f32 else f
        return {"S": S, "f": f, "mine": mine}

    def ours(ctx):
        r = api.maximize(ctx["mine"], k)
        return {"objective": ctx["f"].value(r.selected), "oracle_calls": r.counters["oracle_calls"]}

    def peer(ctx):
        from apricot.optimizers import OPTIMIZERS

        sel = apricot.FacilityLocationSelection(k, metric="precomputed", optimizer="lazy")
        optimizer = OPTIMIZERS["lazy"](function=sel, verbose=False, random_state=None)
        sel._X = ctx["S"]
        sel._initialize(ctx["S"])  # compiles apricot's kernels: not timed
        c0, w0 = time.process_time(), time.perf_counter()
        optimizer.select(ctx["S"], k)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        return {"objective": ctx["f"].value(np.asarray(sel.ranking)), "cpu_s": cpu, "wall_s": wall}

    peers = [Runner("apricot lazy selection only", peer)] if apricot else []
    return Case(name=f"submodular/lazy-vs-apricot/selection-n{n}-k{k}" + ("-float32" if f32 else ""),
                params={"n": n, "d": 20, "k": k, "dtype": dtype,
                        "similarity": "precomputed, the same matrix for both" + (" (ours rounded to float32)"
                                                                                 if f32 else "")},
                setup=setup, ours=Runner(f"optsuite lazy{' float32' if f32 else ''} (with singletons)", ours),
                peers=peers, ratio_vs=peers[0].label if peers else None, same_answer_rtol=1e-5 if f32 else 1e-9,
                repeats=repeats,
                note="the same precomputed similarity; apricot timed from after its kernel compilation"
                     + ("; objectives: f on the float64 similarity of each answer" if f32 else ""))


def _feature_based_case(n, k):
    apricot = _apricot()

    def setup():
        X = _points(n)
        return {"X": X, "f": feature_based(X, "sqrt")}

    def ours(ctx):
        r = api.maximize(feature_based(ctx["X"], "sqrt"), k)
        return {"objective": r.objective, "oracle_calls": r.counters["oracle_calls"]}

    def peer(ctx):
        sel = apricot.FeatureBasedSelection(k, concave_func="sqrt", optimizer="lazy").fit(ctx["X"])
        return {"objective": ctx["f"].value(np.asarray(sel.ranking))}

    peers = [Runner("apricot FeatureBasedSelection lazy", peer)] if apricot else []
    return Case(name=f"submodular/feature-based-vs-apricot/n{n}-k{k}", params={"n": n, "d": 20, "k": k,
                                                                              "concave": "sqrt"},
                setup=setup, ours=Runner("optsuite lazy", ours), peers=peers,
                ratio_vs=peers[0].label if peers else None, same_answer_rtol=1e-9,
                note="end to end from the features (apricot compiles on every fit)")


def _static_case(n, k):
    def setup():
        f = facility_location(similarity_matrix(_points(n), "euclidean"), check=False)
        return {"f": f, "single": api.singleton_values(f)}

    def run(algorithm):
        def go(ctx):
            r = api.maximize(ctx["f"], k, algorithm=algorithm, singletons=ctx["single"])
            return {"objective": r.objective, "oracle_calls": r.counters["oracle_calls"]}
        return go

    others = [Runner(f"optsuite {a}", run(a)) for a in ("greedy", "stochastic", "threshold", "sieve")]
    return Case(name=f"submodular/static-algorithms/n{n}-k{k}", params={"n": n, "d": 20, "k": k, "eps": 0.1},
                setup=setup, ours=Runner("optsuite lazy", run("lazy")), peers=others, ratio_vs="optsuite greedy",
                same_answer_rtol=None, repeats=1,
                note="singletons precomputed (not timed); objective = f(S): lazy = greedy, the others approximate")


def _dynamic_case(n, k, kind, repeats=1):
    """`dynamic` against `dynamic-greedy` on one stream; the report carries calls per update, the value
    ratio to greedy from scratch every 100 updates, and recomputation's calls per update."""

    def setup():
        f = facility_location(similarity_matrix(_points(n), "euclidean"), check=False)
        single = api.singleton_values(f)
        sign, ids = generate_stream(kind, n, 1, 0.3, single)
        return {"f": f, "sign": sign, "ids": ids}

    def run(algorithm):
        def go(ctx):
            r = api.run_stream(ctx["f"], k, ctx["sign"], ctx["ids"], algorithm=algorithm, baseline_every=100)
            s, b = r.stream, r.stream["baseline"]
            return {"objective": r.objective, "calls_per_update": s["calls_per_update"],
                    "ratio_mean": b["ratio_mean"], "ratio_min": b["ratio_min"],
                    "recompute_calls_per_update": b["recompute_calls_mean"],
                    "calls_vs_recompute": b["calls_vs_recompute"], "updates_wall_s": r.timings["updates"],
                    **({"eps": r.eps, "guesses": r.counters["guesses"]} if algorithm == "dynamic" else {})}
        return go

    return Case(name=f"submodular/dynamic/{kind}-n{n}-k{k}",
                params={"n": n, "d": 20, "k": k, "stream": kind, "delete_frac": 0.3, "updates": int(1.3 * n),
                        "baseline_every": 100},
                setup=setup, ours=Runner("optsuite dynamic", run("dynamic")),
                peers=[Runner("optsuite dynamic-greedy", run("dynamic-greedy"))], ratio_vs="optsuite dynamic-greedy",
                same_answer_rtol=None, repeats=repeats,
                note="targets: dynamic's calls per update <= 1/20 of recomputing lazy greedy "
                     "(calls_vs_recompute <= 0.05) at ratio_mean >= 0.85 and ratio_min >= 1/2 - eps; "
                     "CPU times include the from-scratch greedy every 100 updates (updates_wall_s, wall "
                     "seconds, excludes it)")


def cases(quick: bool) -> list[Case]:
    if quick:
        return [_end_to_end_case(2000, 50), _selection_case(2000, 50), _dynamic_case(1000, 10, "random", 3)]
    return [
        _end_to_end_case(10000, 100),
        _end_to_end_case(10000, 100, "float32"),
        _selection_case(10000, 100),
        _selection_case(10000, 100, dtype="float32"),
        _feature_based_case(10000, 100),
        _static_case(5000, 100),
        _dynamic_case(10000, 10, "random"),
        _dynamic_case(10000, 50, "random"),
        _dynamic_case(2000, 10, "largest-first"),
        _dynamic_case(2000, 50, "largest-first"),
    ]
