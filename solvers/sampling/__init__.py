"""l_p row sampling: l_p sensitivities (estimated or exact), l_p Lewis weights, leverage and root
leverage scores; Poisson and i.i.d. weighted samples; l_p regression on a sample; sensitivity-sampling
coresets for k-medoids.

Paper: Woodruff & Yasuda, "Sharper Bounds for l_p Sensitivity Sampling" (ICML 2023). See
`api.row_sample` (the pipeline), `scores` (the scores), `regression.lp_regression` and
`coreset.kmedoids_coreset`.
"""

from .api import METHODS, SAMPLINGS, row_sample, row_scores, warm_up  # noqa: F401
from .regression import lp_regression  # noqa: F401
