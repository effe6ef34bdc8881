"""Exact PCA engine vs brute-force sums and vs Monte-Carlo GD ensembles."""
import numpy as np
import pytest
from hypothesis import given, settings

from hyperribbon.numerics import (brute_force_pca, empirical_pca_matrix,
                                  expected_empirical_pca_correction, pca_matrices,
                                  simulate_residuals, simulate_weight_gd, synthetic_data)
from hyperribbon.numerics.linear_models.observe import ExactOracle
from hyperribbon.numerics.linear_models.pca import centered_target_factor
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem
from hyperribbon.theory.strategies import linear_gd_problems

EPS = float(np.finfo(float).eps)


@settings(max_examples=200, deadline=None)
@given(linear_gd_problems(max_n=12, thesis_alpha=False))
def test_engine_matches_brute_force(problem):
    if problem.T > 3000:
        problem = problem.replace(T=3000)
    m, ref = pca_matrices(problem), brute_force_pca(problem)
    scale = np.max(np.abs(ref["P1"])) + np.max(np.abs(ref["P2"]))
    tol = 64 * (problem.T + problem.n) * np.finfo(float).eps * scale
    np.testing.assert_allclose(m.P1(), ref["P1"], rtol=0, atol=tol)
    np.testing.assert_allclose(m.P2(), ref["P2"], rtol=0, atol=tol)
    np.testing.assert_allclose(m.P(), ref["P"], rtol=0, atol=2 * tol)
    np.testing.assert_allclose(np.diag(m.kT), ref["KT"], rtol=0,
                               atol=16 * problem.T * np.finfo(float).eps)


def test_centred_factor_reproduces_target_part_of_P():
    p = LinearGDProblem.sloppy(n=10, c=0.7, T=40, sigma_w2=0.0)
    F = centered_target_factor(p)
    scale = p.T * np.abs(F).max() ** 2 + np.abs(pca_matrices(p).P()).max()
    np.testing.assert_allclose(F @ F.T, pca_matrices(p).P(), rtol=0,
                               atol=64 * (p.T + p.n) * EPS * scale)


def test_data_basis_matches_data_space_brute_force():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((7, 12)) / 2
    y = rng.standard_normal(7)
    K = X @ X.T / 7
    alpha = 0.9 / np.linalg.eigvalsh(K).max()
    p = LinearGDProblem.from_data(X, y, alpha=alpha, T=25, init_variance=0.3)
    m = pca_matrices(p)
    Kd = np.eye(7) - alpha * K
    S, mean, power = np.zeros((7, 7)), np.zeros(7), np.eye(7)
    for _ in range(25):
        S += power @ (p.sigma_w2 * K + np.outer(y, y)) @ power
        mean -= power @ y
        power = power @ Kd
    P = S / 25 - np.outer(mean / 25, mean / 25)
    scale = np.abs(S).max() / 25 + np.abs(mean).max() ** 2 / 625
    np.testing.assert_allclose(m.in_data_basis(m.P()), P, rtol=0,
                               atol=64 * (25 + 7) * 7 * EPS * scale)


def test_monte_carlo_gd_ensemble_matches_exact_engine():
    """N = 4000 weight-space GD runs on data: empirical P(N,T) vs exact E[P(N,T)]."""
    p = LinearGDProblem.sloppy(n=20, c=0.2, alpha=0.9, T=50, sigma_w2=0.1, sigma_star2=2.0)
    X, w_star, U = synthetic_data(p, d=40, seed=2)
    N = 4000
    rng = np.random.default_rng(5)
    w0 = rng.standard_normal((N, 40)) * np.sqrt(p.sigma_w2 / p.n)   # σw² = n·v (errata E2)
    R = simulate_weight_gd(X, X @ w_star, p.alpha, p.T, w0)
    emp = U.T @ empirical_pca_matrix(R) @ U
    exact = pca_matrices(p).P() + np.diag(expected_empirical_pca_correction(p, N))
    rel = np.linalg.norm(emp - exact) / np.linalg.norm(exact)
    assert rel < 0.03, rel            # statistical error ~ 1/sqrt(N) ≈ 0.016
    ev_e = np.sort(np.linalg.eigvalsh(emp))[::-1][:3]
    ev_x = np.sort(np.linalg.eigvalsh(exact))[::-1][:3]
    np.testing.assert_allclose(ev_e, ev_x, rtol=0.05)


def test_finite_N_correction_is_real():
    """Averaging P(2, T) over many ensembles recovers P(T) − (σw²/2)K_T K K_T, not P(T)."""
    p = LinearGDProblem.sloppy(n=4, c=0.5, alpha=0.9, T=6, sigma_w2=1.0, sigma_star2=0.5)
    acc = np.zeros((4, 4))
    reps = 20000
    R = simulate_residuals(p, N=2 * reps, seed=9).reshape(reps, 2, p.T, p.n)
    for r in R:
        acc += empirical_pca_matrix(r)
    acc /= reps
    P = pca_matrices(p).P()
    corrected = P + np.diag(expected_empirical_pca_correction(p, 2))
    err_corr = np.linalg.norm(acc - corrected)
    err_plain = np.linalg.norm(acc - P)
    assert err_corr < 0.25 * err_plain, (err_corr, err_plain)


def test_simulators_are_reproducible_and_consistent():
    p = LinearGDProblem.sloppy(n=6, c=0.4, T=8, sigma_w2=0.2)
    a = simulate_residuals(p, N=5, seed=3)
    np.testing.assert_array_equal(a, simulate_residuals(p, N=5, seed=3))
    assert not np.array_equal(a, simulate_residuals(p, N=5, seed=4))
    X, w_star, U = synthetic_data(p, seed=1)
    scale = np.abs(X).max() ** 2 * X.shape[1] / p.n + p.lambda1
    np.testing.assert_allclose(X @ X.T / p.n, U @ np.diag(p.lam) @ U.T, rtol=0,
                               atol=16 * (X.shape[1] + p.n) * EPS * scale)
    R = simulate_weight_gd(X, X @ w_star, p.alpha, p.T, np.zeros((1, X.shape[1])))
    expected = U @ (-(p.yhat[None, :] * (1 - p.s)[None, :] ** np.arange(p.T)[:, None])).T
    scale = np.abs(p.yhat).sum() * (1 + np.abs(X).max() ** 2 * X.shape[1])
    np.testing.assert_allclose(R[0], expected.T, rtol=0,
                               atol=16 * (p.T + 1) * (X.shape[1] + p.n) * EPS * scale)


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda: simulate_residuals(LinearGDProblem.sloppy(n=3), N=0), "N", id="N-zero"),
    pytest.param(lambda: empirical_pca_matrix(np.zeros((3, 4))), "trajectories", id="2d-traj"),
    pytest.param(lambda: simulate_weight_gd(np.eye(3), np.ones(3), 0.1, 2, np.zeros((2, 4))),
                 "w0", id="w0-shape"),
    pytest.param(lambda: simulate_weight_gd(np.eye(3), np.ones(2), 0.1, 2, np.zeros((2, 3))),
                 "y", id="y-length"),
    pytest.param(lambda: pca_matrices("not a problem"), "problem", id="wrong-type"),
    pytest.param(lambda: ExactOracle().eigenvalues(LinearGDProblem.sloppy(n=3), "Q", "float64"),
                 "matrix", id="unknown-matrix"),
])
def test_invalid_arguments(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument


@pytest.mark.parametrize("matrix", ["S1y", "S1", "P"])
def test_oracle_rungs_agree_within_their_error_bounds(matrix):
    p = LinearGDProblem.sloppy(n=25, c=0.5, alpha=0.9, T=40, sigma_w2=0.05)
    o = ExactOracle()
    ref = o.eigenvalues(p, matrix, "mpmath")
    from hyperribbon.theory.errors import PrecisionExhausted
    checked = 0
    for level in ("float64", "structured"):
        try:
            m = o.eigenvalues(p, matrix, level)
        except PrecisionExhausted:
            continue
        checked += 1
        assert np.all(np.abs(m.values - ref.values) <= m.abs_err + ref.abs_err), level
    assert checked >= 1
