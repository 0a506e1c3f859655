"""Monotone submodular maximisation under a cardinality constraint |S| <= k, static and fully dynamic.

Objectives: facility location (dense or sparse similarities), feature-based (sqrt or log1p of feature
sums) and weighted coverage. Static: greedy, lazy (default), stochastic, threshold, sieve. Dynamic
(insertions and deletions): the level structure of Banihashem, Biabani, Goudarzi, Hajiaghayi,
Jabbarzade and Monemizadeh ("Dynamic Constrained Submodular Optimization with Polylogarithmic Update
Time", ICML 2023) and exact prefix-repair greedy. See `api.maximize`, `api.Dynamic`, `api.run_stream`.
"""

from .api import (  # noqa: F401
    ALGORITHMS,
    DYNAMIC_ALGORITHMS,
    Dynamic,
    greedy_on,
    maximize,
    run_stream,
    sample_size,
    singleton_values,
    warm_up,
)
from .objective import Objective, coverage, facility_location, feature_based  # noqa: F401
from .similarity import knn_similarity, similarity_matrix  # noqa: F401
