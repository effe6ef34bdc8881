"""Real minibatch SGD and the Langevin model (thesis §5.3) vs their exact second moments.

Monte-Carlo tolerances: every comparison is a z-score, |empirical − exact| / SE, with the SE
estimated from the same ensemble of N = 4000 runs (per-entry sample standard deviation / √N for
the per-t moments, the delta method of `empirical_pca_standard_error` for P(N, T)). The threshold
is Bonferroni for the number m of distinct entries compared, at a family-wise error of 1e-4:
z_crit = Φ⁻¹(1 − 1e-4/(2m)) (m = 21 for P(T), n = 6: 4.6; m = 630 for the per-t second moments,
T = 30: 5.2). Each test also checks that a *wrong* model (GD without noise, the thesis's printed
noise term) is rejected by the same data with |z| > 10, so that the test has power.
"""
import itertools

import numpy as np
import pytest
from scipy.linalg import solve_discrete_lyapunov
from scipy.stats import norm

from hyperribbon.numerics import empirical_pca_matrix, pca_matrices, simulate_weight_gd
from hyperribbon.numerics.linear_models.sgd import (ResidualMoments, draw_initial_weights,
                                                    empirical_pca_standard_error, langevin_moments,
                                                    sgd_moments, sgd_second_moment_radius,
                                                    simulate_langevin, simulate_sgd,
                                                    thesis_noise_covariance)
from hyperribbon.theory.errors import InvalidArgument

EPS = float(np.finfo(float).eps)


def _amax(*arrays) -> float:
    return float(sum(np.max(np.abs(a)) for a in arrays))
from hyperribbon.theory.linear_models.problems import LinearGDProblem

N_MC = 4000
FWER = 1e-4


def _z_crit(m):
    """Bonferroni threshold for m compared entries at family-wise error FWER."""
    return float(norm.isf(FWER / (2 * m)))


def _data(n=6, d=10, seed=0):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    lam1 = np.linalg.eigvalsh(X @ X.T / n).max()
    return X, y, lam1


def _z_moments(R, mom: ResidualMoments):
    """Largest |z| of the per-t first and second moments, each over its threshold (≤ 1 passes)."""
    N = R.shape[0]
    m_se = R.std(axis=0, ddof=1) / np.sqrt(N)
    z_mean = np.abs(R.mean(axis=0) - mom.mean) / m_se
    prods = np.einsum("itj,itk->itjk", R, R)
    s_se = prods.std(axis=0, ddof=1) / np.sqrt(N)
    z_second = np.abs(prods.mean(axis=0) - mom.second) / s_se
    T, n = mom.mean.shape
    return (float(z_mean.max()) / _z_crit(T * n),
            float(z_second.max()) / _z_crit(T * n * (n + 1) // 2))


def _z_pca(R, mom: ResidualMoments):
    """Largest |z| of P(N, T) against E[P(N, T)]."""
    emp = empirical_pca_matrix(R)
    return float(np.max(np.abs(emp - mom.expected_empirical_pca_matrix(R.shape[0]))
                        / empirical_pca_standard_error(R)))


def _z_pca_crit(n):
    return _z_crit(n * (n + 1) // 2)


# ---------------------------------------------------------------- b = n: zero noise
def test_full_batch_without_replacement_is_gd_exactly():
    X, y, lam1 = _data()
    w0 = draw_initial_weights(7, X, 0.5, seed=1)
    R = simulate_sgd(X, y, 0.9 / lam1, 20, w0, batch_size=6, replacement=False, seed=4)
    np.testing.assert_array_equal(R, simulate_weight_gd(X, y, 0.9 / lam1, 20, w0))


def test_full_batch_moments_are_the_gd_engine():
    """b = n without replacement: c_fp = 0, the moments are GD's and P(T) is the §5.2 engine's."""
    X, y, lam1 = _data()
    alpha, T, sw = 0.9 / lam1, 25, 0.7
    mom = sgd_moments(X, y, alpha, T, 6, replacement=False, sigma_w2=sw)
    p = LinearGDProblem.from_data(X, y, alpha=alpha, T=T, init_variance=sw / 6)
    m = pca_matrices(p)
    scale = _amax(mom.second.mean(axis=0)) + _amax(mom.mean) ** 2
    np.testing.assert_allclose(mom.pca_matrix(), m.in_data_basis(m.P()), rtol=0,
                               atol=64 * (T + 6) * 6 * EPS * scale)
    # and with replacement the same b = n is noisy
    noisy = sgd_moments(X, y, alpha, T, 6, replacement=True, sigma_w2=sw)
    assert np.linalg.norm(noisy.pca_matrix() - mom.pca_matrix()) > 1e-3


# ---------------------------------------------------------------- exact moments vs enumeration
def _enumerated_sgd_moments(X, y, alpha, T, b, replacement, sigma_w2):
    """Slow reference: r_{t+1} = (I - (α n / b) K diag(c_t)) r_t with c_t the batch counts;
    enumerate every sequence of batches (equally likely ordered draws / subsets)."""
    n = X.shape[0]
    K = X @ X.T / n
    if replacement:
        batches = list(itertools.product(range(n), repeat=b))
    else:
        batches = list(itertools.combinations(range(n), b))
    steps = []
    for batch in batches:
        c = np.bincount(batch, minlength=n).astype(float)
        steps.append(np.eye(n) - alpha * n / b * K * c)
    m0 = -y
    M0 = sigma_w2 * K + np.outer(m0, m0)
    means, seconds = [m0], [M0]
    for t in range(1, T):
        m, M = np.zeros(n), np.zeros((n, n))
        for path in itertools.product(steps, repeat=t):
            A = np.eye(n)
            for step in path:
                A = step @ A
            m += A @ m0
            M += A @ M0 @ A.T
        means.append(m / len(steps) ** t)
        seconds.append(M / len(steps) ** t)
    return np.array(means), np.array(seconds)


@pytest.mark.parametrize("b,replacement", [
    pytest.param(1, True, id="b1-with"), pytest.param(2, True, id="b2-with"),
    pytest.param(1, False, id="b1-without"), pytest.param(2, False, id="b2-without"),
])
def test_sgd_moments_match_enumeration_of_all_batch_paths(b, replacement):
    X, y, lam1 = _data(n=3, d=4, seed=5)
    alpha, T, sw = 0.6 / lam1, 4, 0.3
    mean, second = _enumerated_sgd_moments(X, y, alpha, T, b, replacement, sw)
    mom = sgd_moments(X, y, alpha, T, b, replacement=replacement, sigma_w2=sw)
    k = 64 * T * (3 + 4) * EPS
    np.testing.assert_allclose(mom.mean, mean, rtol=0, atol=k * (_amax(mean) + _amax(y)))
    np.testing.assert_allclose(mom.second, second, rtol=0, atol=k * _amax(second))


def test_expected_empirical_pca_matches_dense_covariance():
    """E[P(N,T)] = P(T) − Cov(time-mean)/N, the covariance assembled from a dense (Tn × Tn)
    matrix of lagged covariances Cov(r_t, r_s) = K_d^{t−s} C_s."""
    X, y, lam1 = _data(n=4, d=5, seed=2)
    mom = sgd_moments(X, y, 0.4 / lam1, 9, 2, sigma_w2=0.8)
    C, Kd, T, n = mom.covariance(), mom.Kd, mom.T, 4
    big = np.zeros((T * n, T * n))
    for t in range(T):
        for s in range(t + 1):
            block = np.linalg.matrix_power(Kd, t - s) @ C[s]
            big[t * n:(t + 1) * n, s * n:(s + 1) * n] = block
            big[s * n:(s + 1) * n, t * n:(t + 1) * n] = block.T
    avg = np.kron(np.ones(T), np.eye(n)) / T                  # time-mean operator (n, Tn)
    cov_mean = avg @ big @ avg.T
    np.testing.assert_allclose(mom.expected_empirical_pca_matrix(7),
                               mom.pca_matrix() - cov_mean / 7, rtol=0,
                               atol=64 * T * T * n * EPS * (_amax(mom.second)
                                                            + _amax(mom.mean) ** 2))


@pytest.mark.parametrize("factor,b,replacement", [
    pytest.param(0.3, 1, True, id="stable-b1"), pytest.param(0.5, 1, True, id="unstable-b1"),
    pytest.param(0.5, 3, False, id="b3-without"),
])
def test_second_moment_radius_is_the_growth_rate_of_the_moments(factor, b, replacement):
    """The mean converges for α < 2/λ1, yet E[rrᵀ] of b = 1 SGD grows at α = 0.5/λ1 (n = 6):
    ‖M_{t+1}‖/‖M_t‖ → the spectral radius of the moment map."""
    X, y, lam1 = _data()
    alpha = factor / lam1
    rho = sgd_second_moment_radius(X, alpha, b, replacement=replacement)
    mom = sgd_moments(X, y, alpha, 400, b, replacement=replacement, sigma_w2=0.5)
    norms = np.linalg.norm(mom.second, axis=(1, 2))
    np.testing.assert_allclose(norms[-1] / norms[-2], rho, rtol=1e-6)
    assert (rho > 1) == (factor == 0.5 and b == 1), rho


# ---------------------------------------------------------------- Monte-Carlo
@pytest.mark.parametrize("b,replacement", [
    pytest.param(1, True, id="b1-with"), pytest.param(2, True, id="b2-with"),
    pytest.param(3, False, id="b3-without"),
])
def test_sgd_monte_carlo_matches_exact_moments(b, replacement):
    X, y, lam1 = _data()
    alpha, T, sw = 0.3 / lam1, 30, 0.5
    w0 = draw_initial_weights(N_MC, X, sw, seed=11)
    R = simulate_sgd(X, y, alpha, T, w0, b, replacement=replacement, seed=12)
    mom = sgd_moments(X, y, alpha, T, b, replacement=replacement, sigma_w2=sw)
    z_mean, z_second = _z_moments(R, mom)
    assert z_mean < 1 and z_second < 1, (z_mean, z_second)
    assert _z_pca(R, mom) < _z_pca_crit(6)
    # power: the noise-free (GD) moments are rejected by the same data
    gd = sgd_moments(X, y, alpha, T, 6, replacement=False, sigma_w2=sw)
    assert _z_pca(R, gd) > 10


def test_langevin_monte_carlo_matches_exact_moments_and_rejects_thesis_noise_term():
    X, y, lam1 = _data()
    alpha, T, sw, b = 0.5 / lam1, 30, 0.5, 2
    D = thesis_noise_covariance(X)
    w0 = draw_initial_weights(N_MC, X, sw, seed=21)
    R = simulate_langevin(X, y, alpha, T, w0, b, D, seed=22)
    mom = langevin_moments(X, y, alpha, T, b, D, sigma_w2=sw)
    z_mean, z_second = _z_moments(R, mom)
    assert z_mean < 1 and z_second < 1, (z_mean, z_second)
    assert _z_pca(R, mom) < _z_pca_crit(6)
    # the thesis's printed recursion uses (α²/b)K² for the noise term: D' = XᵀX/n² gives
    # XD'Xᵀ = K², and that model is rejected by the simulation of the thesis's own D
    printed = langevin_moments(X, y, alpha, T, b, X.T @ X / 36, sigma_w2=sw)
    assert _z_pca(R, printed) > 10


def test_langevin_thesis_closed_forms_for_the_K_squared_noise_term():
    """With XDXᵀ = K² (D = XᵀX/n²) the thesis's closed forms hold:
    P_ξ = (α/b)(2I − αK)⁻¹K solves the Lyapunov equation, Σ_t K_d^t P_ξ K_d^t =
    (1/b)(2I − αK)⁻²(I − K_d^{2T}), and Σ_t M_t = Σ K_d^t M_0 K_d^t + T P_ξ − Σ K_d^t P_ξ K_d^t."""
    X, y, lam1 = _data(n=5, d=8, seed=3)
    n, b, T = 5, 2, 12
    alpha = 0.8 / lam1
    K = X @ X.T / n
    I = np.eye(n)
    Kd = I - alpha * K
    P_xi = (alpha / b) * np.linalg.solve(2 * I - alpha * K, K)
    # both solvers are backward stable: forward error ≲ n²ε‖P‖ times the conditioning of
    # X ↦ X − K_dXK_d (the smallest 1 − a_i a_j) and of 2I − αK
    a = np.linalg.eigvalsh(Kd)
    sep = np.min(1 - np.abs(np.outer(a, a)))
    cond = np.linalg.cond(2 * I - alpha * K)
    tol = 64 * n * n * EPS * _amax(P_xi) * (1 / sep + cond)
    np.testing.assert_allclose(P_xi, solve_discrete_lyapunov(Kd, alpha**2 / b * K @ K),
                               rtol=0, atol=tol)
    powers = [np.linalg.matrix_power(Kd, t) for t in range(T)]
    lhs = sum(A @ P_xi @ A for A in powers)
    inv = np.linalg.inv(2 * I - alpha * K)
    rhs = (1 / b) * inv @ inv @ (I - np.linalg.matrix_power(Kd, 2 * T))
    np.testing.assert_allclose(lhs, rhs, rtol=0,
                               atol=64 * (2 * T + n) * n * EPS * cond ** 2 * _amax(lhs, rhs))
    mom = langevin_moments(X, y, alpha, T, b, X.T @ X / n**2, sigma_w2=0.6)
    M0 = 0.6 * K + np.outer(y, y)
    expected = sum(A @ M0 @ A for A in powers) + T * P_xi - lhs
    np.testing.assert_allclose(mom.second.sum(axis=0), expected, rtol=0,
                               atol=64 * (2 * T + n) * n * EPS * cond ** 2
                               * (_amax(mom.second.sum(axis=0)) + T * _amax(P_xi)))
    # for the thesis's own D the noise term is nK² − K11ᵀK, a factor ≈ n larger
    D = thesis_noise_covariance(X)
    one = np.ones(n)
    np.testing.assert_allclose(X @ D @ X.T, n * K @ K - np.outer(K @ one, K @ one), rtol=0,
                               atol=64 * (n + 8) * EPS * (np.linalg.norm(X, 2) ** 2 * _amax(D)
                                                          + n * n * _amax(K) ** 2))


# ---------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("simulate", [
    pytest.param(lambda X, y, w0, seed: simulate_sgd(X, y, 0.1, 6, w0, 2, seed=seed), id="sgd"),
    pytest.param(lambda X, y, w0, seed: simulate_sgd(X, y, 0.1, 6, w0, 2, replacement=False,
                                                     seed=seed), id="sgd-without"),
    pytest.param(lambda X, y, w0, seed: simulate_langevin(X, y, 0.1, 6, w0, 2,
                                                          thesis_noise_covariance(X), seed=seed),
                 id="langevin"),
])
def test_reproducible_from_seed(simulate):
    X, y, _ = _data()
    w0 = draw_initial_weights(5, X, 0.5, seed=0)
    a = simulate(X, y, w0, 3)
    np.testing.assert_array_equal(a, simulate(X, y, w0, 3))
    assert not np.array_equal(a, simulate(X, y, w0, 4))
    np.testing.assert_array_equal(draw_initial_weights(5, X, 0.5, seed=0), w0)


# ---------------------------------------------------------------- invalid arguments
_X, _y = np.random.default_rng(0).standard_normal((4, 3)), np.ones(4)
_D = np.eye(3)


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda: simulate_sgd(_X, _y, 0.1, 3, np.zeros(3), 5), "batch_size", id="b>n"),
    pytest.param(lambda: simulate_sgd(_X, _y, 0.1, 3, np.zeros(3), 0), "batch_size", id="b<1"),
    pytest.param(lambda: simulate_sgd(_X, _y, 0.1, 3, np.zeros(3), 1.5), "batch_size",
                 id="b-float"),
    pytest.param(lambda: simulate_sgd(_X, _y, -0.1, 3, np.zeros(3), 2), "alpha", id="alpha<0"),
    pytest.param(lambda: simulate_sgd(_X, _y, 0.1, 0, np.zeros(3), 2), "T", id="T<1"),
    pytest.param(lambda: simulate_sgd(_X, _y, 0.1, 3, np.zeros((2, 4)), 2), "w0", id="w0-shape"),
    pytest.param(lambda: simulate_sgd(_X, np.ones(3), 0.1, 3, np.zeros(3), 2), "y",
                 id="y-length"),
    pytest.param(lambda: simulate_sgd(_X, _y, 0.1, 3, np.zeros(3), 2, replacement="no"),
                 "replacement", id="replacement-type"),
    pytest.param(lambda: simulate_langevin(_X, _y, 0.1, 3, np.zeros(3), 2, -_D), "noise_cov",
                 id="D-negative"),
    pytest.param(lambda: simulate_langevin(_X, _y, 0.1, 3, np.zeros(3), 2,
                                           np.array([[1.0, 2.0], [0.0, 1.0]])), "noise_cov",
                 id="D-shape"),
    pytest.param(lambda: simulate_langevin(_X, _y, 0.1, 3, np.zeros(3), 2,
                                           np.triu(np.ones((3, 3)))), "noise_cov",
                 id="D-asymmetric"),
    pytest.param(lambda: langevin_moments(_X, _y, 0.1, 3, 2, np.diag([1.0, 1.0, -1e-3])),
                 "noise_cov", id="moments-D-indefinite"),
    pytest.param(lambda: langevin_moments(_X, _y, -1.0, 3, 2, _D), "alpha", id="moments-alpha"),
    pytest.param(lambda: sgd_moments(_X, _y, 0.1, 3, 7), "batch_size", id="moments-b>n"),
    pytest.param(lambda: sgd_moments(_X, _y, 0.1, 3, 2, sigma_w2=-1.0), "sigma_w2",
                 id="moments-sigma"),
    pytest.param(lambda: sgd_moments(_X, _y, 0.1, 3, 2, w0_mean=np.ones(4)), "w0_mean",
                 id="moments-w0-mean"),
    pytest.param(lambda: draw_initial_weights(0, _X, 1.0), "N", id="draw-N"),
    pytest.param(lambda: sgd_second_moment_radius(_X, 0.1, 0), "batch_size", id="radius-b"),
    pytest.param(lambda: empirical_pca_standard_error(np.zeros((1, 3, 2))), "trajectories",
                 id="se-N1"),
])
def test_invalid_arguments(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument
