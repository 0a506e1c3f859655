"""Sampling cases of `optsuite bench`: the issue's targets, measured in one run.

- quality: median regression ratio ||A x_sample - b||_p / ||A x_full - b||_p over 5 seeds on the
  heavy-tailed generator (n = 10^5, d = 10, M = 1000, p = 1, 1.5, 3) for every scoring method; target
  <= 1.01 for sensitivity, lewis, sens+lev and >= 1.5 for uniform;
- Lewis weights at n = 10^6, d = 50 (seconds, iterations), against one Gram + Cholesky leverage pass;
- the whole pipeline (Lewis scores, sample, dual-LP solve) against cvxpy on the full l_1 problem at
  n = 10^5 (target: >= 10x faster), and against our own full dual LP;
- k-medoids coresets: against full FasterPAM at n = 20000 (target: loss within 3 % at >= 10x less
  time), and against CLARA given the same CPU time at n = 10^6, d = 10, k = 100 (target: loss at
  least as good).
A runner's `objective` is the figure the target is about (a ratio, a loss); `target_met` says whether
it was met where a runner alone can tell.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from ..bench import Case, Runner

SEEDS = 5


# ---------------------------------------------------------------------------------------- quality

def _quality_case(n, d, p, size, methods=("sensitivity", "lewis", "sens+lev", "leverage", "root-leverage",
                                          "uniform")):
    def setup():
        from optsuite.problems.sampling import generate

        from .regression import lp_regression

        g = generate(n, d, heavy_tail=True, outliers=0.01, seed=0)
        return {"A": g["A"], "b": g["b"], "opt": lp_regression(g["A"], g["b"], p).norm}

    def runner(method):
        def run(ctx):
            from .api import row_sample

            ratios = [row_sample(ctx["A"], p, size, target=ctx["b"], method=method, solve=True, seed=s).objective
                      / ctx["opt"] for s in range(SEEDS)]
            median = statistics.median(ratios)
            met = median >= 1.5 if method == "uniform" else (median <= 1.01 if method in
                                                             ("sensitivity", "lewis", "sens+lev") else None)
            return {"objective": median, "ratio_max": max(ratios), "ratios": ratios, "target_met": met}
        return Runner(method, run)

    return Case(name=f"sampling/quality/n{n}-d{d}-p{p:g}-m{size}",
                params={"n": n, "d": d, "p": p, "size": size, "seeds": SEEDS, "generator": "heavy-tail, 1% outliers"},
                setup=setup, ours=runner(methods[0]), peers=[runner(m) for m in methods[1:]], ratio_vs=None,
                same_answer_rtol=None, repeats=1,
                note="objective = median over seeds of the full-data residual-norm ratio; CPU = 5 seeds of "
                     "scores + sample + solve; target <= 1.01 (sensitivity, lewis, sens+lev), >= 1.5 (uniform)")


# ------------------------------------------------------------------------------------------ Lewis

def _lewis_case(n, d, p=1.0):
    def setup():
        from optsuite.problems.sampling import generate

        return {"A": generate(n, d, heavy_tail=True, seed=0)["A"]}

    def ours(ctx):
        from . import scores

        t0 = time.process_time()
        U = scores.orthonormal_basis(ctx["A"])
        t1 = time.process_time()
        lw = scores.lewis_weights(U, p)
        t2 = time.process_time()
        return {"objective": float(lw["w"].sum()), "iterations": lw["iterations"], "residual": lw["residual"],
                "basis_cpu_s": t1 - t0, "lewis_cpu_s": t2 - t1, "cpu_s_per_iteration": (t2 - t1) / lw["iterations"],
                "target_met": lw["iterations"] <= 20 and lw["converged"]}

    def one_pass(ctx):
        import scipy.linalg

        A = ctx["A"]
        L = np.linalg.cholesky(A.T @ A)
        Y = scipy.linalg.solve_triangular(L, A.T, lower=True)
        return {"objective": float(np.einsum("ij,ij->j", Y, Y).sum())}

    return Case(name=f"sampling/lewis/n{n}-d{d}-p{p:g}", params={"n": n, "d": d, "p": p, "tol": 1e-4},
                setup=setup, ours=Runner("optsuite lewis_weights (basis + iterations)", ours),
                peers=[Runner("one Gram + Cholesky leverage pass (numpy)", one_pass)],
                ratio_vs="one Gram + Cholesky leverage pass (numpy)", same_answer_rtol=None, repeats=1,
                note="objective = sum of the weights (= rank); target <= ~20 iterations, each about one Gram "
                     "plus Cholesky pass (the ratio is in such passes, basis included)")


# ---------------------------------------------------------------------------------------- pipeline

def _pipeline_case(n, d, size):
    def setup():
        from optsuite.problems.sampling import generate

        g = generate(n, d, heavy_tail=True, outliers=0.01, seed=0)
        return {"A": g["A"], "b": g["b"]}

    def ours(ctx):
        from .api import row_sample

        r = row_sample(ctx["A"], 1.0, size, target=ctx["b"], method="lewis", solve=True, seed=0)
        return {"objective": r.objective, "realised_size": r.realised_size}

    def cvxpy_full(ctx):
        import cvxpy as cp

        x = cp.Variable(ctx["A"].shape[1])
        problem = cp.Problem(cp.Minimize(cp.norm1(ctx["A"] @ x - ctx["b"])))
        problem.solve()
        return {"objective": float(np.abs(ctx["A"] @ x.value - ctx["b"]).sum()), "solver": problem.solver_stats.solver_name}

    def ours_full(ctx):
        from .regression import lp_regression

        r = lp_regression(ctx["A"], ctx["b"], 1.0)
        return {"objective": r.norm, "solver": r.solver}

    return Case(name=f"sampling/pipeline-vs-cvxpy/n{n}-d{d}-p1-m{size}", params={"n": n, "d": d, "p": 1, "size": size},
                setup=setup, ours=Runner("optsuite lewis sample + dual LP", ours),
                peers=[Runner("cvxpy norm1 on all rows", cvxpy_full), Runner("optsuite dual LP on all rows", ours_full)],
                ratio_vs="cvxpy norm1 on all rows", same_answer_rtol=0.01, repeats=1,
                note="objective = ||A x - b||_1 on all rows at each contender's x; same_answer = within 1 % of "
                     "the optimum; target: ratio <= 0.1 (>= 10x faster)")


# ---------------------------------------------------------------------------------------- coresets

def _blobs(n, d, centers):
    from optsuite.problems.kmedoids import generate

    return generate(n, d, centers, 0)[0]


def _coreset_vs_full_case(n, k, size, centers=10):
    def setup():
        return {"X": _blobs(n, 10, centers)}

    def coreset(refine):
        def run(ctx):
            from .coreset import REFINE_ROUNDS, kmedoids_coreset

            r = kmedoids_coreset(ctx["X"], k, size, dtype="float32", seed=0,
                                 refine_rounds=REFINE_ROUNDS if refine else 0)
            return {"objective": r.objective, "sampled": r.coreset["sampled"]}
        return run

    def full(ctx):
        from ..kmedoids import api as km

        r = km.kmedoids(km.dissimilarity_matrix(ctx["X"], "euclidean", "float32"), k, seed=0)
        return {"objective": r.objective, "iterations": r.iterations}

    return Case(name=f"sampling/coreset-vs-fasterpam/n{n}-d10-k{k}-m{size}",
                params={"n": n, "d": 10, "centers": centers, "k": k, "size": size, "dtype": "float32"},
                setup=setup, ours=Runner("optsuite coreset", coreset(True)),
                peers=[Runner("full FasterPAM", full), Runner("coreset without refinement", coreset(False))],
                ratio_vs="full FasterPAM", same_answer_rtol=0.03, repeats=1,
                note="objective = full-data total deviation; target: within 3 % of full FasterPAM (same_answer) "
                     "at a ratio <= 0.1")


def _coreset_vs_clara_case(n, k, size, centers):
    def setup():
        from ..kmedoids import api as km

        X = _blobs(n, 10, centers)
        km.clara(X[:1000], min(k, 10), samples=1, seed=0)  # compile first: time only the work
        t0 = time.process_time()
        km.clara(X, k, samples=1, seed=0)
        return {"X": X, "clara_cpu_per_sample": time.process_time() - t0, "ours_cpu": None}

    def ours(ctx):
        from .coreset import kmedoids_coreset

        t0 = time.process_time()
        r = kmedoids_coreset(ctx["X"], k, size, dtype="float32", seed=0)
        ctx["ours_cpu"] = time.process_time() - t0
        return {"objective": r.objective, "timings": r.timings}

    def clara(ctx):
        from ..kmedoids import api as km

        budget = ctx["ours_cpu"] if ctx["ours_cpu"] is not None else ctx["clara_cpu_per_sample"]
        samples = max(1, round(budget / ctx["clara_cpu_per_sample"]))
        r = km.clara(ctx["X"], k, samples=samples, seed=0)
        return {"objective": r.objective, "samples": samples}

    return Case(name=f"sampling/coreset-vs-clara/n{n}-d10-k{k}-m{size}",
                params={"n": n, "d": 10, "centers": centers, "k": k, "size": size, "dtype": "float32"},
                setup=setup, ours=Runner("optsuite coreset", ours),
                peers=[Runner("CLARA, same CPU time", clara)], ratio_vs="CLARA, same CPU time",
                same_answer_rtol=None, repeats=1,
                note="CLARA (samples of 80 + 4k) gets as many samples as fit in the coreset run's CPU time; "
                     "objective = full-data total deviation; target: ours <= CLARA's")


def cases(quick: bool) -> list[Case]:
    if quick:
        return [_quality_case(5000, 5, 1.5, 200, ("lewis", "uniform")), _lewis_case(20000, 10),
                _pipeline_case(2000, 5, 200), _coreset_vs_full_case(3000, 5, 500, centers=5),
                _coreset_vs_clara_case(20000, 10, 1000, 10)]
    return [
        _quality_case(100_000, 10, 1.0, 1000),
        _quality_case(100_000, 10, 1.5, 1000),
        _quality_case(100_000, 10, 3.0, 1000),
        _lewis_case(1_000_000, 50),
        _pipeline_case(100_000, 10, 1000),
        _coreset_vs_full_case(20000, 10, 2000),
        _coreset_vs_full_case(20000, 50, 5000),
        _coreset_vs_clara_case(1_000_000, 100, 10000, 100),
    ]
