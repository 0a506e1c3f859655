"""Variance-reduced Halpern iteration for finite-sum monotone inclusions 0 in F(z) + N_C(z).

Paper: Cai, Alacaoglu, Diakonikolas, "Variance Reduced Halpern Iteration for Finite-Sum Monotone
Inclusions" (ICLR 2024), with the baselines Halpern, EG, EAG and VR-EG. Build a problem with one of
`matrix_game`, `quadratic`, `least_squares`, `affine`, then call `solve`.
"""

from .api import ANCHORED, RESTARTS, VARIANTS, resolve_variant, solve, warm_up  # noqa: F401
from .certificate import certificate  # noqa: F401
from .constants import cocoercivity, lipschitz  # noqa: F401
from .problem import SPLITS, MonotoneProblem, affine, least_squares, matrix_game, quadratic  # noqa: F401
