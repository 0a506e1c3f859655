"""SOR with a relaxation parameter chosen per instance across a sequence of linear systems.

Paper: Khodak, Chow, Balcan, Talwalkar, "Learning to Relax: Setting Solver Parameters Across a Sequence
of Linear System Instances" (ICLR 2024). See `api.sor` (one system) and `api.solve_sequence`.
"""

from .api import (  # noqa: F401
    DEFAULT_GRID,
    POLICIES,
    STARTS,
    SWEEPS,
    TOL_REFS,
    Settings,
    check_omega,
    omega_grid,
    relative_residuals,
    solve_sequence,
    solve_system,
    sor,
    warm_up,
)
from .spectrum import asymptotic_omega, jacobi_radius  # noqa: F401
from .systems import SystemProblem, SystemSequence  # noqa: F401
