"""Acyclicity functions h(W) (zero exactly on DAGs) and the gradients that rank TOPO's swap candidates.

TOPO differentiates with respect to A = |W|, not W: for a DAG the A-gradient [grad h]_ij is positive
exactly when a directed path j ~> i exists (adding i -> j would close a cycle), and measures how much
"path mass" the edge would close. The W-gradient of NOTEARS carries a factor W and vanishes on every
non-edge, so it cannot rank candidates.

- logdet (default, as the TOPO code): h = -log det(I - A), gradient (I - A)^-T;
- exp: h = tr(exp(A)) - d, gradient exp(A)^T;
- poly (Yu et al. 2019): h = tr((I + A/d)^d) - d, gradient ((I + A/d)^(d-1))^T.
`notears_h` is NOTEARS' own h(W) = tr(exp(W o W)) - d with its W-gradient.
"""

from __future__ import annotations

import numpy as np

KINDS = ("logdet", "exp", "poly")


def h_gradient(W, kind: str = "logdet") -> np.ndarray:
    """The A-gradient of h at A = |W| (d x d)."""
    import scipy.linalg

    A = np.abs(W)
    d = A.shape[0]
    if kind == "logdet":
        return scipy.linalg.inv(np.eye(d) - A).T
    if kind == "exp":
        return scipy.linalg.expm(A).T
    if kind == "poly":
        return np.linalg.matrix_power(np.eye(d) + A / d, d - 1).T
    raise ValueError(f"unknown acyclicity function {kind!r}")


def h_value(W, kind: str = "logdet") -> float:
    import scipy.linalg

    A = np.abs(W)
    d = A.shape[0]
    if kind == "logdet":
        sign, logdet = np.linalg.slogdet(np.eye(d) - A)
        return float(-logdet) if sign > 0 else float("inf")
    if kind == "exp":
        return float(np.trace(scipy.linalg.expm(A)) - d)
    if kind == "poly":
        return float(np.trace(np.linalg.matrix_power(np.eye(d) + A / d, d)) - d)
    raise ValueError(f"unknown acyclicity function {kind!r}")


def notears_h(W) -> tuple[float, np.ndarray]:
    """NOTEARS: h(W) = tr(exp(W o W)) - d and its gradient exp(W o W)^T o 2W."""
    import scipy.linalg

    E = scipy.linalg.expm(W * W)
    return float(np.trace(E) - W.shape[0]), E.T * W * 2.0
