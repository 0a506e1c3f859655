"""SOR kernels and the single-system API against the references in naive_sor.py and scipy's spsolve:
sweeps, the fused exact residual, iteration counts, stopping rules, divergence, canonical CSR,
validation, and the asymptotic omega* (Young) on consistently ordered matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spl
from hypothesis import given, settings
from hypothesis import strategies as st

import naive_sor
from optsuite.problems.sor import laplacian_2d
from optsuite.solvers.errors import ParameterError
from optsuite.solvers.sor import SystemProblem, SystemSequence, api, asymptotic_omega, jacobi_radius
from optsuite.solvers.sor import _kernels as K


def spd(n, seed=0, density=0.3, dominance=1.1):
    """A random sparse symmetric, strictly diagonally dominant matrix with a positive diagonal (SPD)."""
    rng = np.random.default_rng(seed)
    B = sp.random(n, n, density=density, random_state=rng, format="csr")
    B.data -= 0.5
    S = B + B.T
    S.setdiag(0)
    S.eliminate_zeros()
    row_sums = np.asarray(abs(S).sum(axis=1)).ravel()
    return (S + sp.diags(dominance * row_sums + rng.uniform(0.5, 1.5, n))).tocsr()


def nonsymmetric(n, seed=0, density=0.3):
    rng = np.random.default_rng(seed)
    B = sp.random(n, n, density=density, random_state=rng, format="csr")
    B.data -= 0.5
    B.setdiag(0)
    B.eliminate_zeros()
    row_sums = np.asarray(abs(B).sum(axis=1)).ravel()
    return (B + sp.diags(2.0 * row_sums + 1.0)).tocsr()


def kernel_args(A):
    seq = SystemSequence.from_matrices([(A, np.zeros(A.shape[0]))])
    indptr, indices, data, diag, _, symmetric = seq.system(0)
    return indptr, indices, data, diag, symmetric


MATRICES = {
    "spd": lambda: spd(30, 1),
    "nonsymmetric": lambda: nonsymmetric(25, 2),
    "poisson": lambda: laplacian_2d(6),
    "diagonal": lambda: sp.diags(np.arange(1.0, 8.0)).tocsr(),
    "one": lambda: sp.csr_matrix([[3.0]]),
    "upper-only": lambda: sp.csr_matrix(np.triu(np.random.default_rng(3).uniform(-1, 1, (6, 6))) + 4 * np.eye(6)),
    "lower-only": lambda: sp.csr_matrix(np.tril(np.random.default_rng(4).uniform(-1, 1, (6, 6))) + 4 * np.eye(6)),
}


# ------------------------------------------------------------------------------------------ sweeps

@pytest.mark.parametrize("name", MATRICES)
@pytest.mark.parametrize("backward", [False, True])
@pytest.mark.parametrize("omega", [0.7, 1.0, 1.6])
def test_sweeps_follow_the_definition(name, backward, omega):
    A = MATRICES[name]()
    n = A.shape[0]
    rng = np.random.default_rng(0)
    b, x0 = rng.standard_normal(n), rng.standard_normal(n)
    indptr, indices, data, diag, _ = kernel_args(A)
    x = x0.copy()
    sweep = K.backward_sweep if backward else K.forward_sweep
    for _ in range(3):
        sweep(indptr, indices, data, diag, b, x, omega)
    expected = naive_sor.sor_sweeps(A.toarray(), b, x0, omega, 3, backward=backward)
    np.testing.assert_allclose(x, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", MATRICES)
@pytest.mark.parametrize("backward", [False, True])
def test_fused_residual_is_the_true_residual(name, backward):
    A = MATRICES[name]()
    n = A.shape[0]
    rng = np.random.default_rng(5)
    b = rng.standard_normal(n)
    indptr, indices, data, diag, symmetric = kernel_args(A)
    x, r, dx = rng.standard_normal(n), np.empty(n), np.empty(n)
    variants = [(K.backward_sweep_general if backward else K.forward_sweep_general, (r, dx))]
    if symmetric:
        variants.append((K.backward_sweep_sym if backward else K.forward_sweep_sym, (r,)))
    for sweep, extra in variants:
        for _ in range(2):
            norm = sweep(indptr, indices, data, diag, b, x, 1.3, *extra)
            true = b - A @ x
            np.testing.assert_allclose(r, true, rtol=1e-10, atol=1e-12 * np.abs(b).max())
            assert norm == pytest.approx(np.linalg.norm(true), rel=1e-10, abs=1e-13)


# -------------------------------------------------------------------------------------- solve loop

@pytest.mark.parametrize("name", ["spd", "nonsymmetric", "poisson", "diagonal", "one", "upper-only", "lower-only"])
@pytest.mark.parametrize("omega", [1.0, 0.8, 1.4])
@pytest.mark.parametrize("sweep", ["forward", "symmetric"])
def test_iteration_counts_match_the_dense_reference(name, omega, sweep):
    A = MATRICES[name]()
    b = np.random.default_rng(7).standard_normal(A.shape[0])
    res = api.sor(A, b, omega=omega, sweep=sweep)
    x, iterations, status = naive_sor.sor_dense(A.toarray(), b, omega, sweep=sweep)
    assert (res.status, res.iterations) == (status, iterations)
    np.testing.assert_allclose(res.x, x, rtol=1e-9, atol=1e-12)
    assert res.counters["sweeps"] == iterations * (2 if sweep == "symmetric" else 1)


def test_gauss_seidel_counts_on_the_poisson_matrix():
    A = laplacian_2d(12)
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    for tol in (1e-4, 1e-8):
        res = api.sor(A, b, omega=1.0, tol=tol)
        assert res.iterations == naive_sor.sor_dense(A.toarray(), b, 1.0, tol=tol)[1]
        assert res.residual < tol


@settings(deadline=None, max_examples=40)
@given(n=st.integers(1, 25), seed=st.integers(0, 10_000), omega=st.floats(0.2, 1.9),
       sweep=st.sampled_from(["forward", "symmetric"]), symmetric=st.booleans())
def test_solutions_match_spsolve(n, seed, omega, sweep, symmetric):
    A = spd(n, seed) if symmetric else nonsymmetric(n, seed)
    if not symmetric:
        omega = min(omega, 1.0)  # diagonal dominance guarantees convergence only for omega <= 1
    b = np.random.default_rng(seed).standard_normal(n)
    res = api.sor(A, b, omega=omega, sweep=sweep, tol=1e-12)
    assert res.status == "converged"
    exact = np.atleast_1d(spl.spsolve(A.tocsc(), b))
    np.testing.assert_allclose(res.x, exact, rtol=1e-8, atol=1e-9 * max(1.0, np.abs(exact).max()))
    assert np.linalg.norm(b - A @ res.x) <= 1.01e-12 * np.linalg.norm(b) + 1e-14


def test_tolerance_reference_and_start():
    A = spd(20, 3)
    b = np.random.default_rng(0).standard_normal(20)
    x0 = np.random.default_rng(1).standard_normal(20)
    for tol_ref in ("r0", "b"):
        res = api.sor(A, b, omega=1.2, tol=1e-6, tol_ref=tol_ref, x0=x0)
        x, iterations, _ = naive_sor.sor_dense(A.toarray(), b, 1.2, tol=1e-6, tol_ref=tol_ref, x0=x0)
        assert res.iterations == iterations
        ref = np.linalg.norm(b) if tol_ref == "b" else np.linalg.norm(b - A @ x0)
        assert res.residual == pytest.approx(np.linalg.norm(b - A @ res.x) / ref, rel=1e-6)


def test_zero_right_hand_side_and_exact_start_take_no_iteration():
    A = spd(10, 0)
    res = api.sor(A, np.zeros(10))
    assert (res.status, res.iterations, res.residual) == ("converged", 0, 0.0)
    assert (res.x == 0).all()
    b = np.ones(10)
    exact = spl.spsolve(A.tocsc(), b)
    res = api.sor(A, b, x0=exact, tol_ref="b", tol=1e-8)
    assert res.iterations == 0 and res.status == "converged"


def test_one_unknown():
    res = api.sor(sp.csr_matrix([[4.0]]), [8.0], omega=1.0)
    assert res.x.tolist() == [2.0] and res.iterations == 1
    res = api.sor(sp.csr_matrix([[4.0]]), [8.0], omega=1.5)  # error shrinks by |1 - omega| = 0.5 per sweep
    assert res.iterations == math.ceil(math.log(1e-8) / math.log(0.5)) + (0 if 0.5 ** 27 < 1e-8 else 1)


def test_iteration_cap_is_charged():
    A = laplacian_2d(10)
    res = api.sor(A, np.ones(100), omega=1.0, max_iter=3)
    assert (res.status, res.iterations, res.objective) == ("max_iter", 3, 3)
    assert not res.success and res.residual > 1e-8


@pytest.mark.parametrize("matrix,omega", [([[1.0, 2.0], [2.0, 1.0]], 1.0),   # Gauss-Seidel rho = 4
                                          ([[2.0, 3.0], [3.0, 2.0]], 1.5)])   # rho(C) = 4
def test_divergence_is_detected(matrix, omega):
    res = api.sor(sp.csr_matrix(matrix), [1.0, 1.0], omega=omega, max_iter=10_000)
    assert res.status == "diverged" and res.iterations < 10_000
    assert res.objective == 10_000  # charged the cap


def test_divergence_on_nan_growth():
    A = sp.csr_matrix([[1e-300, 1e300], [1e300, 1e-300]])
    res = api.sor(A, [1.0, 1.0], omega=1.0)
    assert res.status == "diverged" and res.iterations <= 3


# ------------------------------------------------------------------------------------ canonical CSR

def test_unsorted_indices_and_duplicates_are_canonicalised():
    # row 0: (0, 2.0), (0, 2.0) duplicates -> 4; row 1 stored in reverse order
    A = sp.csr_matrix((np.array([2.0, -1.0, 2.0, 4.0, -1.0]), np.array([0, 1, 0, 1, 0]), np.array([0, 3, 5])),
                      shape=(2, 2))
    dense = np.array([[4.0, -1.0], [-1.0, 4.0]])
    b = np.array([1.0, 2.0])
    res = api.sor(A, b, omega=1.1)
    ref = api.sor(sp.csr_matrix(dense), b, omega=1.1)
    assert res.iterations == ref.iterations
    np.testing.assert_array_equal(res.x, ref.x)
    seq = SystemSequence.from_matrices([(A, b)])
    assert seq.symmetric[0]


def test_shared_pattern_equals_separate_matrices():
    A = laplacian_2d(4)
    rng = np.random.default_rng(0)
    shifts = rng.uniform(0, 1, 5)
    data = np.vstack([A.data + np.where(A.indices == np.repeat(np.arange(16), np.diff(A.indptr)), c, 0) for c in shifts])
    rhs = rng.standard_normal((5, 16))
    shared = SystemSequence.shared(16, A.indptr, A.indices, data, rhs)
    separate = SystemSequence.from_matrices([(A + c * sp.identity(16), b) for c, b in zip(shifts, rhs)])
    for t in range(5):
        a = api.solve_system(shared.system(t), np.zeros(16), 1.3, api.Settings())
        b = api.solve_system(separate.system(t), np.zeros(16), 1.3, api.Settings())
        assert a == b


def test_symmetry_is_detected_exactly():
    A = spd(12, 4)
    B = A.tolil()
    B[0, 1] = B[0, 1] + 1e-3 if B[0, 1] != 0 else 1e-3
    seq = SystemSequence.from_matrices([(A, np.ones(12)), (B.tocsr(), np.ones(12))])
    assert seq.symmetric.tolist() == [True, False]


# -------------------------------------------------------------------------------------- validation

@pytest.mark.parametrize("matrix,message", [
    (sp.csr_matrix(np.ones((2, 3))), "square"),
    (sp.csr_matrix([[0.0, 1.0], [1.0, 2.0]]), "diagonal"),                    # no stored diagonal in row 0
    (sp.csr_matrix((np.array([0.0, 1.0, 1.0, 2.0]), np.array([0, 1, 0, 1]), np.array([0, 2, 4]))), "zero"),
    (sp.csr_matrix([[1.0, np.nan], [0.0, 1.0]]), "finite"),
    (sp.csr_matrix((0, 0)), "empty"),
])
def test_bad_matrices_are_rejected(matrix, message):
    with pytest.raises(SystemProblem, match=message):
        api.sor(matrix, np.ones(matrix.shape[0]))


def test_bad_right_hand_sides_are_rejected():
    A = spd(4)
    with pytest.raises(SystemProblem, match="4 rows"):
        api.sor(A, np.ones(3))
    with pytest.raises(SystemProblem, match="finite"):
        api.sor(A, [1.0, np.inf, 0.0, 0.0])


@pytest.mark.parametrize("kwargs,name", [
    ({"omega": 0.0}, "omega"), ({"omega": 2.0}, "omega"), ({"omega": -0.5}, "omega"), ({"omega": 2.5}, "omega"),
    ({"omega": float("nan")}, "omega"), ({"omega": "fast"}, "omega"),
    ({"tol": 0.0}, "tol"), ({"tol": -1e-8}, "tol"), ({"max_iter": 0}, "max_iter"), ({"max_iter": 2.5}, "max_iter"),
    ({"sweep": "backward"}, "sweep"), ({"tol_ref": "x0"}, "tol_ref"), ({"x0": np.ones(3)}, "x0"),
])
def test_bad_parameters_are_rejected(kwargs, name):
    with pytest.raises(ParameterError) as info:
        api.sor(spd(4), np.ones(4), **kwargs)
    assert info.value.name == name


@pytest.mark.parametrize("grid", [(1.5, 1.2, 5), (1.0, 2.0, 5), (0.0, 1.5, 5), (1.0, 1.5, 0), (1.0, 1.5, 1),
                                  (1.2, 1.2, 3)])
def test_bad_grids_are_rejected(grid):
    with pytest.raises(ParameterError, match="grid"):
        api.omega_grid(*grid)


def test_grid_points_are_clean():
    assert api.omega_grid(1.0, 1.95, 20)[16] == 1.8
    assert api.omega_grid(1.3, 1.3, 1).tolist() == [1.3]


# ----------------------------------------------------------------------------------------- omega*

def test_lanczos_estimate_matches_dense_jacobi_radius():
    for A in (laplacian_2d(12), spd(60, 2), laplacian_2d(5) + 0.3 * sp.identity(25)):
        indptr, indices, data, diag, _ = kernel_args(sp.csr_matrix(A))
        est = jacobi_radius(indptr, indices, data, diag)
        assert est.settled
        assert est.mu == pytest.approx(naive_sor.jacobi_radius(A.toarray()), rel=1e-8)
    m = 10
    assert asymptotic_omega(math.cos(math.pi / (m + 1))) == pytest.approx(2 / (1 + math.sin(math.pi / (m + 1))))
    assert asymptotic_omega(1.0) is None and asymptotic_omega(0.0) == 1.0


CONSISTENTLY_ORDERED = {
    "tridiagonal": lambda: sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(30, 30)).tocsr(),
    "poisson": lambda: laplacian_2d(8),
    "shifted-poisson": lambda: (laplacian_2d(8) + 0.2 * sp.identity(64)).tocsr(),
}


@pytest.mark.parametrize("name", CONSISTENTLY_ORDERED)
def test_asymptotic_omega_minimises_the_spectral_radius(name):
    """Young: on a consistently ordered matrix, omega* = 2 / (1 + sqrt(1 - rho(J)^2)) minimises
    rho(C_omega), and rho(C_omega*) = omega* - 1. Brute force over a grid of dense eigenvalues."""
    A = CONSISTENTLY_ORDERED[name]()
    indptr, indices, data, diag, _ = kernel_args(A)
    star = jacobi_radius(indptr, indices, data, diag).omega
    grid = np.arange(1.0, 1.995, 0.005)
    radii = np.array([naive_sor.spectral_radius(naive_sor.iteration_matrix(A.toarray(), w)) for w in grid])
    assert abs(grid[np.argmin(radii)] - star) <= 0.005
    assert naive_sor.spectral_radius(naive_sor.iteration_matrix(A.toarray(), star)) == pytest.approx(star - 1, abs=2e-3)
    assert (radii >= star - 1 - 2e-3).all()


@pytest.mark.parametrize("name", CONSISTENTLY_ORDERED)
def test_asymptotic_omega_is_near_the_cheapest_on_a_grid(name):
    A = CONSISTENTLY_ORDERED[name]()
    b = np.random.default_rng(0).standard_normal(A.shape[0])
    indptr, indices, data, diag, _ = kernel_args(A)
    star = jacobi_radius(indptr, indices, data, diag).omega
    grid = np.arange(1.0, 1.99, 0.01)
    counts = np.array([api.sor(A, b, omega=w).iterations for w in grid])
    at_star = api.sor(A, b, omega=star).iterations
    assert abs(grid[np.argmin(counts)] - star) <= 0.06
    assert at_star <= 1.15 * counts.min()
