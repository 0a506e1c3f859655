"""k-medoids clustering: PAM, FastPAM1, FasterPAM, alternating, CLARA, CLARANS; BUILD and LAB inits.

Papers: Schubert & Rousseeuw, "Faster k-Medoids Clustering" (SISAP 2019) and "Fast and Eager k-Medoids
Clustering" (Information Systems 2021). See `api.kmedoids` and `api.clara`.
"""

from .api import (  # noqa: F401
    DTYPES,
    INITS,
    METHODS,
    METRICS,
    as_dissimilarity,
    assign_matrix,
    assign_points,
    clara,
    dissimilarity_matrix,
    MatrixError,
    distances_between,
    initial_medoids,
    kmedoids,
    warm_up,
)
