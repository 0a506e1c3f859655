"""SOR sweeps against pyamg's (`relaxation.sor`, C++; forward SOR is correct from pyamg 5.3 on, and its
symmetric sweep ignores omega, so only forward and backward sweeps are compared)."""

from __future__ import annotations

import numpy as np
import pytest

from optsuite.problems.sor import laplacian_2d
from optsuite.solvers.sor import SystemSequence
from optsuite.solvers.sor import _kernels as K

pyamg = pytest.importorskip("pyamg")
if tuple(int(p) for p in pyamg.__version__.split(".")[:2]) < (5, 3):
    pytest.skip("pyamg < 5.3 applies omega after a whole Gauss-Seidel sweep (pyamg issue 410)",
                allow_module_level=True)

from pyamg.relaxation.relaxation import sor as pyamg_sor  # noqa: E402


def matrices():
    rng = np.random.default_rng(0)
    dense = rng.uniform(-1, 1, (40, 40)) * (rng.random((40, 40)) < 0.2)
    dense += np.diag(np.abs(dense).sum(axis=1) + 1.0)
    from scipy.sparse import csr_matrix

    return {"poisson": laplacian_2d(15), "nonsymmetric": csr_matrix(dense)}


@pytest.mark.parametrize("name", ["poisson", "nonsymmetric"])
@pytest.mark.parametrize("sweep", ["forward", "backward"])
@pytest.mark.parametrize("omega", [0.6, 1.0, 1.5, 1.9])
def test_sweeps_match_pyamg(name, sweep, omega):
    A = matrices()[name]
    n = A.shape[0]
    rng = np.random.default_rng(1)
    b, x0 = rng.standard_normal(n), rng.standard_normal(n)
    seq = SystemSequence.from_matrices([(A, b)])
    indptr, indices, data, diag, _, _ = seq.system(0)
    ours, theirs = x0.copy(), x0.copy()
    kernel = K.forward_sweep if sweep == "forward" else K.backward_sweep
    for _ in range(4):
        kernel(indptr, indices, data, diag, b, ours, omega)
    pyamg_sor(A, theirs, b, omega, iterations=4, sweep=sweep)
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-13)
