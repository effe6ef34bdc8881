"""Kernels, Gram matrices, functional GD and the pooled M-kernel PCA matrix (thesis §5.3).

Monte-Carlo tolerance: |P(N, M, T) − E[P(N, M, T)]| ≤ 5 SE entrywise, SE from the delta method of
`empirical_pca_standard_error` on the (M, N, T, n) ensemble, N = 4000 per kernel, M = 3, n = 8
(36 distinct entries: the largest |z| of a correct formula is ≈ 3). The same data reject the
average of the per-kernel P(T)'s (which drops the between-kernel spread of the means) with
|z| ≫ 10.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics import empirical_pca_matrix, simulate_weight_gd
from hyperribbon.numerics.linear_models.kernels import (brute_force_kernel_ensemble_pca,
                                                        cross_gram_matrix, gram_matrix,
                                                        kernel_ensemble_pca_matrix, linear_kernel,
                                                        polynomial_kernel, rbf_kernel,
                                                        simulate_kernel_ensemble,
                                                        simulate_kernel_gd)
from hyperribbon.numerics.linear_models.sgd import empirical_pca_standard_error
from hyperribbon.theory.errors import InvalidArgument

EPS = float(np.finfo(float).eps)

N_MC = 4000
Z_MAX = 5.0


def _rbf(ell):
    return lambda A, B: rbf_kernel(A, B, ell)


def _poly(p, c0):
    return lambda A, B: polynomial_kernel(A, B, p, c0)


def _setting(n=8, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    Ks = [gram_matrix(linear_kernel, X), gram_matrix(_rbf(1.0), X), gram_matrix(_poly(2, 1.0), X)]
    return X, y, Ks


# ---------------------------------------------------------------- kernels and Gram matrices
def test_kernels_match_their_definitions_entry_by_entry():
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    rbf, poly, lin = rbf_kernel(A, B, 0.7), polynomial_kernel(A, B, 3, 0.5), linear_kernel(A, B)
    for i in range(4):
        for j in range(5):
            # rounding of the 3-term inner products, relative to the sums of |terms|
            ab = np.abs(A[i]) @ np.abs(B[j])
            sq = (A[i] @ A[i] + B[j] @ B[j]) / (2 * 0.49)       # exponent's cancellation scale
            assert rbf[i, j] == pytest.approx(np.exp(-np.sum((A[i] - B[j]) ** 2) / (2 * 0.49)),
                                              rel=32 * EPS * (1 + 3 * sq))
            assert poly[i, j] == pytest.approx((A[i] @ B[j] + 0.5) ** 3, rel=0,
                                               abs=64 * EPS * (ab + 0.5) ** 3)
            assert lin[i, j] == pytest.approx(A[i] @ B[j], rel=0, abs=8 * EPS * ab)


def test_linear_gram_is_the_project_K_and_kernel_gd_is_weight_gd():
    """For k(x, x') = xᵀx' functional GD is weight-space GD: f_t(x) = xᵀw_t (from w0 = 0)."""
    rng = np.random.default_rng(2)
    X, y, Xs = rng.standard_normal((6, 9)), rng.standard_normal(6), rng.standard_normal((4, 9))
    K = gram_matrix(linear_kernel, X)
    gram_scale = np.abs(X).max() ** 2 * X.shape[1] / 6
    np.testing.assert_allclose(K, X @ X.T / 6, rtol=0, atol=8 * X.shape[1] * EPS * gram_scale)
    alpha, T = 0.7 / np.linalg.eigvalsh(K).max(), 15
    R, F = simulate_kernel_gd(K, y, alpha, T, 1, 0.0, K_test=cross_gram_matrix(linear_kernel,
                                                                                 Xs, X))
    # two routes to the same iterates: rounding grows like t·(n + d)·ε·(|r| + |y|)
    step_tol = 16 * (T + 1) * (6 + 9) * EPS * (np.abs(y).sum() + gram_scale * np.abs(y).sum())
    np.testing.assert_allclose(R[0], simulate_weight_gd(X, y, alpha, T, np.zeros((1, 9)))[0],
                               rtol=0, atol=step_tol)
    # test predictions: replay the weights
    w = np.zeros(9)
    for t in range(T):
        np.testing.assert_allclose(F[0, t], Xs @ w, rtol=0,
                                   atol=step_tol * (1 + np.abs(Xs).max() ** 2 * 9))
        w = w - alpha * X.T @ (X @ w - y) / 6


def test_test_points_equal_to_training_points_track_the_training_predictions():
    """The joint draw of f0 on train and test points: duplicated points get the same f0 and the
    same updates, so f_t(x*) = f_t(x_i) = r_t + y exactly."""
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((5, 2)), rng.standard_normal(5)
    kern = _rbf(0.8)
    K = gram_matrix(kern, X)
    Xs = X[[3, 0]]
    Kt, Ktt = cross_gram_matrix(kern, Xs, X), kern(Xs, Xs) / 5
    R, F = simulate_kernel_gd(K, y, 1.5, 12, 50, 0.7, seed=4, K_test=Kt, K_test_test=Ktt)
    # the joint factor F̂ of the singular joint Gram A (duplicate rows) has
    # ‖F̂_i − F̂_j‖² ≤ 4‖F̂F̂ᵀ − A‖ ≤ 4·48·m·ε·‖A‖ (eigensolver + clipping), so the duplicated f0
    # differ by at most σ_f‖z‖ times that; the later updates agree to rounding
    A = np.block([[K, Kt.T], [Kt, Ktt]])
    m = A.shape[0]
    draw = np.sqrt(0.7) * (2 * np.sqrt(m) + 6) * np.sqrt(192 * m * EPS * np.linalg.norm(A, 2))
    steps = 16 * 12 * 5 * EPS * (1 + 1.5 * np.abs(K).max()) * (np.abs(R).max() + np.abs(y).max())
    np.testing.assert_allclose(F, R[:, :, [3, 0]] + y[[3, 0]], rtol=0, atol=draw + steps)


def test_gram_psd_check_accepts_round_off_and_rejects_non_psd_kernels():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((40, 1))
    K = gram_matrix(_rbf(3.0), X)                 # very sloppy: eigenvalues down to ~1e-17
    ev = np.sort(np.linalg.eigvalsh(K))[::-1]
    assert ev[20] < 1e-10 * ev[0]                 # the true spectrum: far below any noise
    assert ev[-1] >= -32 * 40 * EPS * ev[0]       # what gram_matrix promises (PSD rounding)
    with pytest.raises(InvalidArgument) as info:  # sigmoid "kernel" is not PSD
        gram_matrix(lambda A, B: np.tanh(A @ B.T - 1.0), X)
    assert info.value.argument == "kernel_fn"
    with pytest.raises(InvalidArgument):          # neither is a distance
        gram_matrix(lambda A, B: np.abs(A - B.T), X)


def test_rbf_gram_of_gaussian_data_is_sloppy():
    """The thesis: for Gaussian inputs and a local RBF kernel the Gram spectrum decays
    exponentially (Zhu et al., 1998). Check: log-eigenvalues fall roughly linearly."""
    X = np.random.default_rng(5).standard_normal((60, 1))
    ev = np.sort(np.linalg.eigvalsh(gram_matrix(_rbf(1.0), X)))[::-1][:12]
    slopes = np.diff(np.log(ev))
    assert np.all(slopes < -0.3), slopes


# ---------------------------------------------------------------- exact pooled P(M, T)
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 7), d=st.integers(1, 5), M=st.integers(1, 3), T=st.integers(1, 60),
       frac=st.floats(0.05, 1.95), sf=st.floats(0.0, 3.0), seed=st.integers(0, 2**16))
def test_pooled_pca_closed_form_matches_brute_force(n, d, M, T, frac, sf, seed):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    kernels = [linear_kernel, _rbf(1.0 + rng.random()), _poly(2, 1.0)][:M]
    Ks = [gram_matrix(k, X) for k in kernels]
    alpha = frac / max(np.linalg.eigvalsh(K).max() for K in Ks)
    fast = kernel_ensemble_pca_matrix(Ks, y, alpha, T, sf)
    slow = brute_force_kernel_ensemble_pca(Ks, y, alpha, T, sf)
    scale = np.abs(slow).max() + np.abs(y).max() ** 2 + sf
    np.testing.assert_allclose(fast, slow, rtol=0, atol=64 * (T + n) * 2.2e-16 * scale)


def test_pooled_monte_carlo_matches_exact_and_rejects_averaged_per_kernel_P():
    X, y, Ks = _setting()
    n, T, sf = 8, 30, 0.5
    alpha = [0.9 / np.linalg.eigvalsh(K).max() for K in Ks]
    R = simulate_kernel_ensemble(Ks, y, alpha, T, N_MC, sf, seed=1)
    assert R.shape == (3, N_MC, T, n)
    emp = empirical_pca_matrix(R.reshape(-1, T, n))
    se = empirical_pca_standard_error(R)
    exact = kernel_ensemble_pca_matrix(Ks, y, alpha, T, sf, N=N_MC)
    assert np.max(np.abs(emp - exact) / se) < Z_MAX
    averaged = sum(kernel_ensemble_pca_matrix([K], y, a, T, sf, N=N_MC)
                   for K, a in zip(Ks, alpha)) / 3
    assert np.max(np.abs(emp - averaged) / se) > 2 * Z_MAX


def test_single_kernel_monte_carlo_and_finite_N_term():
    """One RBF kernel, N = 4000: the finite-N term σ²K_T K K_T/N is included in the expectation."""
    X, y, Ks = _setting(seed=6)
    K = Ks[1]
    alpha, T, sf = 1.2 / np.linalg.eigvalsh(K).max(), 25, 1.0
    R = simulate_kernel_gd(K, y, alpha, T, N_MC, sf, seed=2)
    z = np.abs(empirical_pca_matrix(R) - kernel_ensemble_pca_matrix([K], y, alpha, T, sf,
                                                                   N=N_MC))
    assert np.max(z / empirical_pca_standard_error(R)) < Z_MAX
    # the correction itself equals σ² K_T K K_T / N computed densely
    Kd = np.eye(8) - alpha * K
    KT = sum(np.linalg.matrix_power(Kd, t) for t in range(T)) / T
    diff = kernel_ensemble_pca_matrix([K], y, alpha, T, sf) \
        - kernel_ensemble_pca_matrix([K], y, alpha, T, sf, N=7)
    np.testing.assert_allclose(diff, sf * KT @ K @ KT / 7, rtol=0,
                               atol=64 * (T + 8) * 8 * EPS * np.abs(kernel_ensemble_pca_matrix(
                                   [K], y, alpha, T, sf)).max())


# ---------------------------------------------------------------- reproducibility
def test_reproducible_from_seed():
    X, y, Ks = _setting()
    a = simulate_kernel_ensemble(Ks, y, 0.1, 5, 4, 0.3, seed=3)
    np.testing.assert_array_equal(a, simulate_kernel_ensemble(Ks, y, 0.1, 5, 4, 0.3, seed=3))
    assert not np.array_equal(a, simulate_kernel_ensemble(Ks, y, 0.1, 5, 4, 0.3, seed=4))
    b = simulate_kernel_gd(Ks[1], y, 0.1, 5, 4, 0.3, seed=3)
    np.testing.assert_array_equal(b, simulate_kernel_gd(Ks[1], y, 0.1, 5, 4, 0.3, seed=3))
    assert not np.array_equal(b, simulate_kernel_gd(Ks[1], y, 0.1, 5, 4, 0.3, seed=5))


# ---------------------------------------------------------------- invalid arguments
_X = np.random.default_rng(0).standard_normal((4, 2))
_K = _X @ _X.T / 4
_y = np.ones(4)


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda: rbf_kernel(_X, _X, 0.0), "lengthscale", id="rbf-ell"),
    pytest.param(lambda: rbf_kernel(_X, np.ones((2, 3)), 1.0), "B", id="rbf-columns"),
    pytest.param(lambda: polynomial_kernel(_X, _X, 0, 1.0), "degree", id="poly-degree"),
    pytest.param(lambda: polynomial_kernel(_X, _X, 2, -1.0), "c0", id="poly-c0"),
    pytest.param(lambda: gram_matrix("rbf", _X), "kernel_fn", id="gram-not-callable"),
    pytest.param(lambda: gram_matrix(lambda A, B: np.ones((2, 2)), _X), "kernel_fn",
                 id="gram-shape"),
    pytest.param(lambda: gram_matrix(lambda A, B: -A @ B.T, _X), "kernel_fn", id="gram-non-psd"),
    pytest.param(lambda: simulate_kernel_gd(-_K, _y, 0.1, 3, 2, 1.0), "K", id="K-non-psd"),
    pytest.param(lambda: simulate_kernel_gd(np.triu(_K), _y, 0.1, 3, 2, 1.0), "K",
                 id="K-asymmetric"),
    pytest.param(lambda: simulate_kernel_gd(_K, np.ones(3), 0.1, 3, 2, 1.0), "y", id="y-length"),
    pytest.param(lambda: simulate_kernel_gd(_K, _y, -0.1, 3, 2, 1.0), "alpha", id="alpha<0"),
    pytest.param(lambda: simulate_kernel_gd(_K, _y, 0.1, 3, 0, 1.0), "N", id="N-zero"),
    pytest.param(lambda: simulate_kernel_gd(_K, _y, 0.1, 3, 2, -1.0), "sigma_f2", id="sigma<0"),
    pytest.param(lambda: simulate_kernel_gd(_K, _y, 0.1, 3, 2, 1.0, K_test=np.ones((2, 4))),
                 "K_test_test", id="test-without-test-test"),
    pytest.param(lambda: simulate_kernel_gd(_K, _y, 0.1, 3, 2, 1.0, K_test=np.ones((2, 3)),
                                            K_test_test=np.eye(2)), "K_test", id="test-shape"),
    pytest.param(lambda: simulate_kernel_gd(_K, _y, 0.1, 3, 2, 1.0, K_test=np.ones((1, 4)),
                                            K_test_test=np.zeros((1, 1))), "K_test_test",
                 id="joint-non-psd"),
    pytest.param(lambda: simulate_kernel_ensemble([], _y, 0.1, 3, 2, 1.0), "Ks", id="Ks-empty"),
    pytest.param(lambda: simulate_kernel_ensemble([_K, np.eye(3)], _y, 0.1, 3, 2, 1.0), "Ks",
                 id="Ks-mismatch"),
    pytest.param(lambda: simulate_kernel_ensemble([_K, _K], _y, [0.1, 0.1, 0.1], 3, 2, 1.0),
                 "alpha", id="alphas-length"),
    pytest.param(lambda: kernel_ensemble_pca_matrix([_K], _y, 2.5 / np.linalg.eigvalsh(_K).max(),
                                                    3, 1.0), "alpha", id="exact-divergent"),
    pytest.param(lambda: kernel_ensemble_pca_matrix([_K], _y, 0.1, 3, 1.0, N=0), "N",
                 id="exact-N"),
])
def test_invalid_arguments(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument
