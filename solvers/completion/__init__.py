"""Low-rank matrix completion by (robust) alternating minimisation.

Papers: Jain, Netrapalli & Sanghavi, "Low-rank matrix completion using alternating minimization"
(STOC 2013); Gu, Song, Yin & Zhang, "Low Rank Matrix Completion via Robust Alternating Minimization in
Nearly Linear Time" (ICLR 2024). See `api.complete`.
"""

from .api import (  # noqa: F401
    INITS,
    SOLVERS,
    as_entries,
    complete,
    observation_warnings,
    predict,
    relative_error,
    rmse,
    warm_up,
)
