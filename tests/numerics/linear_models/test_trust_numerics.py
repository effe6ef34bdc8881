"""Issue 8 on the numerics side of Chapter 5: simulators refuse infeasible sizes before
allocating (named errors with the memory they would need), the toolkit's own PSD constructions
pass its own checks, the phase diagram survives spectra below the float64 range, and scale-free
drifts of deep linear nets are measured at any initial scale."""
import math
import tracemalloc

import numpy as np
import pytest

from hyperribbon.numerics.linear_models import (gaussian_init, gram_matrix, linear_kernel,
                                                kernel_ensemble_pca_matrix, langevin_moments,
                                                pca_matrices, sgd_moments,
                                                sgd_second_moment_radius, simulate_deep_linear,
                                                simulate_gd_weight_decay, simulate_kernel_ensemble,
                                                simulate_kernel_gd, simulate_langevin,
                                                simulate_residuals, simulate_sgd,
                                                simulate_two_layer, simulate_weight_gd,
                                                thesis_noise_covariance)
from hyperribbon.numerics.linear_models.phase import (grid_point_matrices, phase_diagram,
                                                      point_dimensionality, resolved_count)
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem

EPS = float(np.finfo(float).eps)
RNG = np.random.default_rng(0)
X6, Y6 = RNG.standard_normal((6, 4)), RNG.standard_normal(6)


# ================================================================== sizes (J3, C)
def _sizes():
    big_T = LinearGDProblem.sloppy(n=50, T=10**9)
    K = np.eye(6) * 0.5
    return [
        pytest.param(lambda: simulate_residuals(big_T, N=100), "T", id="residuals"),
        pytest.param(lambda: simulate_weight_gd(X6, Y6, 0.1, 10**12, np.zeros(4)), "T",
                     id="weight-gd"),
        pytest.param(lambda: simulate_sgd(X6, Y6, 0.1, 10**12, np.zeros(4), 2), "T", id="sgd"),
        pytest.param(lambda: simulate_langevin(X6, Y6, 0.1, 10**12, np.zeros(4), 2,
                                               np.eye(4)), "T", id="langevin"),
        pytest.param(lambda: sgd_moments(X6, Y6, 0.1, 10**9, 2), "T", id="sgd-moments"),
        pytest.param(lambda: langevin_moments(X6, Y6, 0.1, 10**9, 2, np.eye(4)), "T",
                     id="langevin-moments"),
        pytest.param(lambda: sgd_second_moment_radius(np.ones((2000, 1)), 0.1, 1), "X",
                     id="radius-n"),
        pytest.param(lambda: simulate_kernel_gd(K, np.ones(6), 0.5, 10**12, 1, 0.0), "T",
                     id="kernel-gd"),
        pytest.param(lambda: simulate_kernel_ensemble([K, K], np.ones(6), 0.5, 10**12, 1, 0.0),
                     "T", id="kernel-ensemble"),
        pytest.param(lambda: simulate_gd_weight_decay(X6, Y6, 0.1, 0.1, 10**12, np.zeros(4)),
                     "T", id="weight-decay"),
        pytest.param(lambda: simulate_two_layer(X6, Y6, 0.1, 10**12, *gaussian_init(
            2, 4, 0.1, 0.1, N=1)), "T", id="two-layer"),
        pytest.param(lambda: simulate_two_layer(X6, Y6, 0.1, 10**8, *gaussian_init(
            2, 4, 0.1, 0.1, N=1), keep_kernels=True), "T", id="two-layer-kernels"),
        pytest.param(lambda: simulate_deep_linear(X6, Y6, 0.1, 10**12, [
            np.ones((1, 2, 4)), np.ones((1, 1, 2))]), "T", id="deep-linear"),
        pytest.param(lambda: pca_matrices(LinearGDProblem.sloppy(n=2**17, c=1e-3)), "problem",
                     id="pca-matrices-n"),
        pytest.param(lambda: phase_diagram([10**20], [0.1], [1.0]), "T", id="phase-T"),
        pytest.param(lambda: phase_diagram([5], [0.1], [1.0], n=[10**5]), "n", id="phase-n"),
    ]


@pytest.mark.parametrize("call,argument", _sizes())
def test_infeasible_sizes_are_named_before_allocating(call, argument):
    tracemalloc.start()
    try:
        with pytest.raises(InvalidArgument) as info:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.argument == argument, str(info.value)
    assert "would need" in str(info.value) or "upper end" in str(info.value)
    assert peak < 64 << 20


def test_residual_trajectories_are_the_closed_form_of_the_loop():
    p = LinearGDProblem.sloppy(n=7, c=0.4, alpha=1.5, T=40, sigma_w2=0.3, seed=1)
    R = simulate_residuals(p, N=5, seed=2)
    r = R[:, 0].copy()
    a = 1.0 - p.s
    for t in range(p.T):                          # the obvious loop, r_{t+1} = (1 − αλ) r_t
        np.testing.assert_allclose(R[:, t], r, rtol=4 * (t + 2) * EPS, atol=0)
        r = r * a


# ================================================================== own constructions (B1)
def test_rank_deficient_linear_gram_over_many_features_passes_every_gram_check():
    """A 60-point, rank-3 linear-kernel Gram matrix formed over 5000 features: its zero
    eigenvalues come out as ±(rounding of 5000-term inner products); gram_matrix accepts it and
    returns a matrix every simulator accepts."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 3)) @ rng.standard_normal((3, 5000))
    K = gram_matrix(linear_kernel, X)
    y = rng.standard_normal(60)
    alpha = 0.5 / np.linalg.eigvalsh(K).max()
    R = simulate_kernel_gd(K, y, alpha, 3, 2, 0.1, seed=0)
    assert R.shape == (2, 3, 60) and np.all(np.isfinite(R))
    kernel_ensemble_pca_matrix([K], y, alpha, 5, 0.1)
    ref = X @ X.T / 60
    scale = np.abs(X).max() ** 2 * X.shape[1] / 60
    assert np.max(np.abs(K - ref)) <= 64 * (X.shape[1] + 60) * EPS * scale


def test_noise_covariance_of_inputs_with_a_large_mean_passes_the_langevin_check():
    rng = np.random.default_rng(4)
    X = 1e4 + rng.standard_normal((200, 3))              # XᵀX/n − x̄ᵀx̄ cancels 8 digits
    D = thesis_noise_covariance(X)
    Xc = X - X.mean(axis=0)                              # two-pass reference
    np.testing.assert_allclose(D, Xc.T @ Xc / 200, rtol=0,
                               atol=64 * 200 * EPS * np.abs(Xc).max() ** 2)
    simulate_langevin(X, rng.standard_normal(200), 1e-9, 3, np.zeros(3), 2, D)


# ================================================================== phase diagrams (J2)
@pytest.mark.parametrize("c", [15.0, 15.5, 20.0, 400.0])
def test_phase_diagram_of_a_spectrum_below_float64_is_one_dimensional(c):
    """λ2/λ1 = e^{-c} < 1e-6: the first direction holds more than 1 − 1e-5 of the variance."""
    pd = phase_diagram([50], [c], [1.0])
    assert pd.mean["P"].item() == 1.0 and pd.mean["P1"].item() == 1.0


def test_one_extreme_slope_does_not_change_the_rest_of_the_grid():
    both = phase_diagram([10, 50], [0.5, 20.0, 400.0], [1.0, 4.8], draws=2)
    alone = phase_diagram([10, 50], [0.5], [1.0, 4.8], draws=2)
    for q in ("P", "P1", "bound"):
        np.testing.assert_array_equal(both.sel(q, c=0.5), alone.sel(q, c=0.5))
    assert np.all(np.isfinite(both.mean["P"]))


@pytest.mark.parametrize("c", [0.5, 5.0, 14.0])
def test_left_out_directions_never_change_the_dimension(c):
    """Against the dense brute force on the full n × n matrices (a representable spectrum)."""
    for k in range(2):
        p = LinearGDProblem.sloppy(n=50, c=c, alpha=0.9, T=50, sigma_w2=1.0, sigma_star2=4.0,
                                   seed=k)
        ref = point_dimensionality(p)
        pd = phase_diagram([50], [c], [2.0], draws=2)
        assert pd.per_draw["P"].ravel()[k] == ref["P"]
        assert pd.per_draw["P1"].ravel()[k] == ref["P1"]


def test_resolved_count_threshold():
    lam = np.exp(-np.arange(100.0))
    k = resolved_count(lam, 50, 1.0, 1.0, 0.9, math.inf, 4.0)
    thr = EPS**2 / (100 * 50 * (1 + 4.0))
    assert k == np.count_nonzero(lam >= thr) and lam[k - 1] >= thr > lam[k]
    assert resolved_count(np.array([1.0, 0.0, 0.0]), 1, 1.0, 1.0, 0.9, math.inf, 1.0) == 1


def test_grid_point_matrices_take_the_s_to_zero_limits():
    m = grid_point_matrices(50, 20.0, 1.0, n=50)
    assert np.all(np.isfinite(m["P"])) and np.all(np.isfinite(m["P1"]))


# ================================================================== deep linear drifts (J1)
def test_deep_linear_relative_drifts_are_scale_free_at_tiny_initialisations():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, 6)) / math.sqrt(6)
    y = X @ rng.standard_normal(6)
    runs = {}
    for s in (1e-150, 1e-300):
        u0, v0 = gaussian_init(3, 6, s, s, N=1, seed=1)
        runs[s] = simulate_two_layer(X, y, 0.05, 60, u0, v0)
    a, b = runs[1e-150], runs[1e-300]
    assert np.all(np.isfinite(b.kernel_drift)) and np.all(np.isfinite(b.balance_drift_rel))
    np.testing.assert_allclose(b.kernel_drift, a.kernel_drift, rtol=1e-9)
    np.testing.assert_allclose(b.balance_drift_rel, a.balance_drift_rel, rtol=1e-6)
    assert b.kernel_drift[0, -1] > 1.0                   # the kernel is not invariant (E8)


# ================================================================== invalid arguments
BAD = [
    pytest.param(lambda: simulate_residuals("problem", 3), "problem", id="residuals-problem"),
    pytest.param(lambda: simulate_residuals(LinearGDProblem.sloppy(n=3), 0), "N",
                 id="residuals-N"),
    pytest.param(lambda: gram_matrix(lambda A, B: -(A @ B.T), X6), "kernel_fn",
                 id="gram-not-psd"),
    pytest.param(lambda: simulate_langevin(X6, Y6, 0.1, 3, np.zeros(4), 2, -np.eye(4)),
                 "noise_cov", id="langevin-negative-cov"),
    pytest.param(lambda: phase_diagram([5], None, [1.0], spectrum=[1.0, 1e-310]), "spectrum",
                 id="phase-subnormal-spectrum"),
    pytest.param(lambda: phase_diagram([5], [0.1], [1.0], n=[1]), "n", id="phase-n-1"),
]


@pytest.mark.parametrize("call,argument", BAD)
def test_invalid_arguments_are_named(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument and "got" in str(info.value)
