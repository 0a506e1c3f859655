"""`optsuite bench` cases for linear DAG learning (TOPO).

Against the authors' code: set OPTSUITE_TOPO_REFERENCE to a checkout of github Duntrain/TOPO (it is not on
PyPI; it needs scikit-learn and torch importable); the cases then run its `TOPO_linear` beside ours from the
same centred data, initial order and candidate sizes, least squares with scikit-learn's LinearRegression
as the authors' demo, and compare final loss (1e-8 relative) and order. Without the variable they are skipped.
The reference is loaded as it is: its misspelt module import is aliased and the data is set as the module
global its `_init_W` reads. Other cases time our search alone: the default sizes at d = 100, the full
neighbourhood, and the structural accuracy of each search mode.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys

import numpy as np

from optsuite.problems.notears import generate

from ..bench import Case, Runner
from .api import candidate_sizes, topo_search
from .graphs import count_accuracy, threshold
from .scores import make_score

REFERENCE_ENV = "OPTSUITE_TOPO_REFERENCE"


def reference():
    """The reference's TOPO_linear module, or None when OPTSUITE_TOPO_REFERENCE is unset or unusable."""
    path = os.environ.get(REFERENCE_ENV)
    if not path:
        return None
    try:
        spec = importlib.util.spec_from_file_location("topo_utils", os.path.join(path, "Topo_utils.py"))
        utils = importlib.util.module_from_spec(spec)
        sys.modules["topo_utils"] = utils  # Topo_linear.py imports `topo_utils`; the file is Topo_utils.py
        spec.loader.exec_module(utils)
        spec = importlib.util.spec_from_file_location("optsuite_topo_reference", os.path.join(path, "Topo_linear.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    except (ImportError, OSError):
        return None


def _instance(graph, degree, d, seed, n=1000):
    X, W_true = generate(graph, degree, d, n, "gauss", seed)
    return X - X.mean(axis=0), W_true


def _setup(graph, degree, d, seed):
    def setup():
        X, W_true = _instance(graph, degree, d, seed)
        return {"X": X, "W_true": W_true, "order": np.random.default_rng(1000 + seed).permutation(d),
                "sizes": candidate_sizes(d)}
    return setup


def _ours(full=False, n_large="authors"):
    """Our search from the case's order and sizes; n_large "authors" = their library's budget."""
    def run(ctx):
        s_small, s_large, authors_n_large = ctx["sizes"]
        fit, status, info = topo_search(make_score(ctx["X"]), ctx["order"], s_small=s_small, s_large=s_large,
                                        n_large=authors_n_large if n_large == "authors" else n_large,
                                        full_neighbourhood=full)
        return {"objective": fit.objective, "status": status, "order": [int(v) for v in fit.order],
                "iterations": info["iterations"], "candidates": info["counters"]["candidates"],
                "shd": count_accuracy(ctx["W_true"], threshold(fit.W, 0.3))["shd"]}
    return run


def _regress(X, y):
    from sklearn.linear_model import LinearRegression

    return LinearRegression(fit_intercept=False).fit(X, y).coef_


def _ls_score(X, W):
    R = X - X @ W
    return 0.5 / X.shape[0] * np.sum(R * R), -X.T @ R / X.shape[0]


def _reference_run(module):
    def run(ctx):
        s_small, s_large, n_large = ctx["sizes"]
        module.X = ctx["X"]  # its _init_W reads a module global X
        model = module.TOPO_linear(score=_ls_score, regress=_regress)
        with contextlib.redirect_stdout(io.StringIO()):  # it prints why it stopped
            W, order, _, loss = model.fit(ctx["X"], topo=[int(v) for v in ctx["order"]], no_large_search=n_large,
                                          size_small=s_small, size_large=s_large)
        return {"objective": float(loss), "order": [int(v) for v in order],
                "shd": count_accuracy(ctx["W_true"], threshold(W, 0.3))["shd"]}
    return run


def _reference_case(graph, degree, d, seed, module, repeats):
    return Case(
        name=f"notears/topo-vs-reference/{graph}{degree}-d{d}-seed{seed}",
        params={"graph": graph, "degree": degree, "d": d, "n": 1000, "noise": "gauss", "seed": seed,
                "sizes": list(candidate_sizes(d)), "init": f"default_rng({1000 + seed}).permutation(d)"},
        setup=_setup(graph, degree, d, seed), ours=Runner("optsuite topo", _ours()),
        peers=[Runner("reference TOPO_linear", _reference_run(module))], ratio_vs="reference TOPO_linear",
        same_answer_rtol=1e-8, repeats=repeats,
        note="same centred data, initial order and candidate sizes; the answers must agree in loss (and order)")


def _modes_case(graph, degree, d, seed, repeats):
    return Case(
        name=f"notears/topo-search-modes/{graph}{degree}-d{d}-seed{seed}",
        params={"graph": graph, "degree": degree, "d": d, "n": 1000, "seed": seed, "sizes": list(candidate_sizes(d))},
        setup=_setup(graph, degree, d, seed), ours=Runner("optsuite topo (default: no cap)", _ours(n_large=None)),
        peers=[Runner("optsuite topo --full-neighbourhood", _ours(full=True)),
               Runner("optsuite topo --n-large 1 (authors' budget)", _ours())],
        ratio_vs="optsuite topo --n-large 1 (authors' budget)", same_answer_rtol=None, repeats=repeats,
        note="shd = structural Hamming distance to the true graph after thresholding at 0.3; the authors' budget "
             "(one successful large-set search) stops early, worst on SF graphs")


def cases(quick: bool) -> list[Case]:
    module = reference()
    if quick:
        out = [_modes_case("SF", 4, 20, 0, 3)]
        if module is not None:
            out.append(_reference_case("ER", 2, 20, 0, module, 1))
        return out
    out = [_modes_case("ER", 2, 100, 0, 3), _modes_case("SF", 4, 100, 0, 3), _modes_case("SF", 4, 50, 0, 5)]
    if module is not None:
        for graph, degree in (("ER", 2), ("SF", 4)):
            for d in (10, 20, 50):
                for seed in range(3):
                    out.append(_reference_case(graph, degree, d, seed, module, 3 if d < 50 else 1))
            out.append(_reference_case(graph, degree, 100, 0, module, 1))
    return out
