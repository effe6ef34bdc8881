"""Weight decay (thesis §5.3): affine residual dynamics, the corrected reduction to §5.2
(K → K_λ and y → ỹ = K K_λ⁻¹ y), Monte-Carlo of real weight-decay GD, and a minimal counterexample
to the thesis's literal statement (K → K_λ, y unchanged).

Monte-Carlo tolerance: N = 4000 runs, n = 6; |P(N,T) − E[P(N,T)]| ≤ 5 SE entrywise with the
delta-method SE of `empirical_pca_standard_error` (21 distinct entries: the largest |z| of a
correct formula is ≈ 3). The thesis's literal reading is rejected by the same data with |z| > 10.
"""
import numpy as np
import pytest

from hyperribbon.numerics import empirical_pca_matrix, pca_matrices, simulate_weight_gd
from hyperribbon.numerics.linear_models.sgd import draw_initial_weights, empirical_pca_standard_error
from hyperribbon.numerics.linear_models.weight_decay import (simulate_gd_weight_decay,
                                                             weight_decay_fixed_point,
                                                             weight_decay_pca_matrix,
                                                             weight_decay_problem)
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem

N_MC = 4000
Z_MAX = 5.0
EPS = float(np.finfo(float).eps)


def _amax(*arrays) -> float:
    return float(sum(np.max(np.abs(a)) for a in arrays))


def _data(n=6, d=9, seed=0):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    return X, y, np.linalg.eigvalsh(X @ X.T / n).max()


def _problem_P(p):
    m = pca_matrices(p)
    return m.in_data_basis(m.P())


def _top(P, k=2):
    return np.sort(np.linalg.eigvalsh(P))[::-1][:k]


# ---------------------------------------------------------------- the residual dynamics
@pytest.mark.parametrize("n,d", [pytest.param(6, 9, id="d>n"), pytest.param(6, 3, id="d<n")])
def test_residuals_are_affine_with_the_shifted_fixed_point(n, d):
    X, y, lam1 = _data(n, d)
    lam, alpha = 0.3, 0.8 / (lam1 + 0.3)
    w0 = np.random.default_rng(1).standard_normal((3, d))
    R = simulate_gd_weight_decay(X, y, alpha, lam, 25, w0)
    K = X @ X.T / n
    Kld = np.eye(n) - alpha * (K + lam * np.eye(n))
    step = 64 * (n + d) * EPS * _amax(R, y, w0) * (1 + np.abs(X).max() ** 2)
    np.testing.assert_allclose(R[:, 1:], R[:, :-1] @ Kld - alpha * lam * y, rtol=0, atol=step)
    r_star = weight_decay_fixed_point(X, y, lam)
    cond = np.linalg.cond(K + lam * np.eye(n))
    np.testing.assert_allclose(r_star, -lam * np.linalg.solve(K + lam * np.eye(n), y), rtol=0,
                               atol=64 * n * EPS * cond * _amax(y))
    rho0 = R[:, 0] - r_star
    for t in (0, 7, 24):
        np.testing.assert_allclose(R[:, t] - r_star, rho0 @ np.linalg.matrix_power(Kld, t),
                                   rtol=0, atol=(t + 1) * step + 64 * n * EPS * cond * _amax(y))
    # ρ_0 = Xw_0 − ỹ with ỹ = K K_λ⁻¹ y
    y_tilde = K @ np.linalg.solve(K + lam * np.eye(n), y)
    np.testing.assert_allclose(rho0, w0 @ X.T - y_tilde, rtol=0,
                               atol=step + 64 * n * EPS * cond * _amax(y))


def test_zero_weight_decay_is_plain_gd_and_the_plain_engine():
    X, y, lam1 = _data()
    alpha = 0.9 / lam1
    w0 = np.random.default_rng(2).standard_normal((2, 9))
    R = simulate_weight_gd(X, y, alpha, 10, w0)
    np.testing.assert_allclose(simulate_gd_weight_decay(X, y, alpha, 0.0, 10, w0), R, rtol=0,
                               atol=64 * 10 * (6 + 9) * EPS * _amax(R, y))
    p0 = LinearGDProblem.from_data(X, y, alpha=alpha, T=30, init_variance=0.05)
    P0 = _problem_P(p0)
    np.testing.assert_allclose(weight_decay_pca_matrix(X, y, alpha, 0.0, 30, init_variance=0.05),
                               P0, rtol=0, atol=64 * (30 + 6) * 6 * EPS * _amax(P0))


@pytest.mark.parametrize("n,d", [pytest.param(6, 9, id="d>n"), pytest.param(6, 3, id="d<n")])
def test_problem_is_exact_for_a_deterministic_initialisation(n, d):
    """From w0 = 0 the ensemble is one trajectory: its time covariance is the problem's P(T)."""
    X, y, lam1 = _data(n, d, seed=3)
    lam, alpha, T = 0.2, 1.5 / (lam1 + 0.2), 60
    R = simulate_gd_weight_decay(X, y, alpha, lam, T, np.zeros(d))
    tol = 64 * (T + n + d) * n * EPS * _amax(R) ** 2
    np.testing.assert_allclose(_problem_P(weight_decay_problem(X, y, alpha, lam, T)),
                               empirical_pca_matrix(R), rtol=0, atol=tol)
    np.testing.assert_allclose(weight_decay_pca_matrix(X, y, alpha, lam, T),
                               empirical_pca_matrix(R), rtol=0, atol=tol)


# ---------------------------------------------------------------- Monte-Carlo
def test_monte_carlo_matches_exact_and_rejects_the_thesis_reading():
    X, y, lam1 = _data(seed=4)
    n, lam, T, v = 6, 0.5, 30, 0.1
    alpha = 0.9 / (lam1 + lam)
    w0 = draw_initial_weights(N_MC, X, n * v, seed=5)     # per-weight variance v
    R = simulate_gd_weight_decay(X, y, alpha, lam, T, w0)
    emp, se = empirical_pca_matrix(R), empirical_pca_standard_error(R)
    exact = weight_decay_pca_matrix(X, y, alpha, lam, T, init_variance=v, N=N_MC)
    assert np.max(np.abs(emp - exact) / se) < Z_MAX
    printed = _problem_P(weight_decay_problem(X, y, alpha, lam, T, init_variance=v,
                                              reading="as_printed"))
    assert np.max(np.abs(emp - printed) / se) > 2 * Z_MAX
    # the corrected problem with σw² = n v over-states only the initialisation part, by a PSD
    # term: every eigenvalue is an upper bound of the exact one
    upper = _problem_P(weight_decay_problem(X, y, alpha, lam, T, init_variance=v))
    exact_inf = weight_decay_pca_matrix(X, y, alpha, lam, T, init_variance=v)
    noise = 64 * n * EPS * _amax(upper, exact_inf)     # dense eigensolver's absolute error
    assert np.linalg.eigvalsh(upper - exact_inf).min() > -noise
    assert np.all(np.linalg.eigvalsh(upper) >= np.linalg.eigvalsh(exact_inf) - noise)
    assert np.max(np.abs(emp - upper) / se) > 2 * Z_MAX


# ---------------------------------------------------------------- the counterexample
def test_minimal_counterexample_to_the_literal_statement():
    """n = d = 1, x = 1 (K = 1), λ = 1, α = 1/2, T = 2, y = 1, w0 = 0: the residuals are −1 and
    −1/2, P(T) = 1/16; the literal reading (K_λ = 2, y = 1) has residuals −1, 0 and P = 1/4."""
    X, y = np.array([[1.0]]), np.array([1.0])
    R = simulate_gd_weight_decay(X, y, 0.5, 1.0, 2, np.zeros(1))
    np.testing.assert_array_equal(R[0, :, 0], [-1.0, -0.5])
    assert empirical_pca_matrix(R)[0, 0] == pytest.approx(1 / 16, abs=1e-16)
    assert _problem_P(weight_decay_problem(X, y, 0.5, 1.0, 2))[0, 0] == pytest.approx(1 / 16)
    printed = _problem_P(weight_decay_problem(X, y, 0.5, 1.0, 2, reading="as_printed"))
    assert printed[0, 0] == pytest.approx(1 / 4)


def _exact_top(literal: bool):
    """The 2×2 example in exact rational arithmetic (mpmath at 50 digits): the true weight-decay
    residuals r_{t+1} = (I − α(K + λ))r_t − αλy (or, literally, (I − αK_λ)r_t with K_λ = K + λ,
    i.e. no −αλy), from r_0 = −y; P = (1/T)Σ r_t r_tᵀ − r̄r̄ᵀ; eigenvalues descending."""
    import mpmath
    with mpmath.workdps(50):
        K = [mpmath.mpf(1), mpmath.mpf(1) / 10]
        lam, a, T = mpmath.mpf(1) / 10, mpmath.mpf(1) / 2, 10
        r = [mpmath.mpf(-1), mpmath.mpf(-1)]
        pts = []
        for _ in range(T):
            pts.append(r)
            shift = 0 if literal else -a * lam
            r = [(1 - a * (k + lam)) * ri + shift * 1 for k, ri in zip(K, r)]
        mean = [sum(p[i] for p in pts) / T for i in range(2)]
        P = mpmath.matrix(2, 2)
        for i in range(2):
            for j in range(2):
                P[i, j] = sum(p[i] * p[j] for p in pts) / T - mean[i] * mean[j]
        ev = mpmath.eigsy(P, eigvals_only=True)
        return sorted((float(ev[i]) for i in range(2)), reverse=True)


def test_two_dimensional_counterexample_changes_the_shape_of_the_spectrum():
    """K = diag(1, 0.1), λ = 0.1, y = (1, 1), α = 1/2, T = 10, w0 = 0: the literal reading is
    wrong in shape, not just scale (its λ2/λ1 is 2.26× the true one)."""
    X, y = np.sqrt(2) * np.diag([1.0, np.sqrt(0.1)]), np.array([1.0, 1.0])
    np.testing.assert_allclose(X @ X.T / 2, np.diag([1.0, 0.1]), rtol=0, atol=4 * EPS)
    R = simulate_gd_weight_decay(X, y, 0.5, 0.1, 10, np.zeros(2))
    true = _top(empirical_pca_matrix(R))
    corrected = _top(_problem_P(weight_decay_problem(X, y, 0.5, 0.1, 10)))
    printed = _top(_problem_P(weight_decay_problem(X, y, 0.5, 0.1, 10, reading="as_printed")))
    # relative accuracy of the small eigenvalue of a 2×2 matrix: ε·(λ1/λ2), times the T steps
    rel = 64 * (10 + 2) * EPS * true[0] / true[1]
    np.testing.assert_allclose(corrected, true, rtol=rel)
    np.testing.assert_allclose(true, _exact_top(literal=False), rtol=rel)
    np.testing.assert_allclose(printed, _exact_top(literal=True), rtol=rel)
    assert printed[1] / printed[0] > 2 * true[1] / true[0]


# ---------------------------------------------------------------- invalid arguments
_X, _y = np.random.default_rng(0).standard_normal((4, 3)), np.ones(4)


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda: simulate_gd_weight_decay(_X, _y, 0.1, -0.1, 3, np.zeros(3)),
                 "weight_decay", id="lambda<0"),
    pytest.param(lambda: simulate_gd_weight_decay(_X, _y, 0.0, 0.1, 3, np.zeros(3)), "alpha",
                 id="alpha-zero"),
    pytest.param(lambda: simulate_gd_weight_decay(_X, _y, 0.1, 0.1, 3, np.zeros(4)), "w0",
                 id="w0-shape"),
    pytest.param(lambda: simulate_gd_weight_decay(_X, _y[:3], 0.1, 0.1, 3, np.zeros(3)), "y",
                 id="y-length"),
    pytest.param(lambda: weight_decay_problem(_X, _y, 0.1, 0.1, 3, reading="literal"),
                 "reading", id="reading"),
    pytest.param(lambda: weight_decay_problem(_X, _y, 0.1, 0.0, 3), "weight_decay",
                 id="singular-K-no-decay"),
    pytest.param(lambda: weight_decay_problem(np.eye(2), [1.0, 1.0], 2.5, 0.5, 3), "alpha",
                 id="alpha-divergent"),
    pytest.param(lambda: weight_decay_pca_matrix(_X, _y, 0.1, 0.1, 3, init_variance=-1.0),
                 "init_variance", id="variance<0"),
    pytest.param(lambda: weight_decay_pca_matrix(_X, _y, 0.1, 0.1, 3, N=0), "N", id="N-zero"),
])
def test_invalid_arguments(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument
