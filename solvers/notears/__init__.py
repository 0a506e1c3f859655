"""Linear DAG learning: NOTEARS objectives optimised by topological swaps (TOPO, Deng, Bello, Aragam &
Ravikumar, ICML 2023), and NOTEARS itself (Zheng, Aragam, Ravikumar & Xing, NeurIPS 2018).

`api.learn` runs the whole pipeline (init, search, threshold, refit); `api.topo_search` is TOPO's outer
loop on a score object from `scores`; `graphs` has orders, acyclicity and the structure metrics.
"""

from .api import (  # noqa: F401
    INITS,
    METHODS,
    SCORES,
    candidate_sets,
    candidate_sizes,
    initial_order,
    learn,
    random_order,
    topo_search,
    warm_up,
)
from .graphs import count_accuracy, dag_threshold, is_dag, order_from_weights, threshold, topological_order  # noqa: F401
from .scores import Lasso, LeastSquares, Logistic, make_score  # noqa: F401
