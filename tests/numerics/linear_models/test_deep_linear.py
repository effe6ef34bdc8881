"""Deep linear networks (thesis §5.3): exact residual update vs eq. (5.3.3), the O(α²) per step
(O(α) per unit time) drift of vvᵀ − uuᵀ, the effective kernel, and the kernel's drift along
training (not invariant, even for balanced initialisations)."""
import numpy as np
import pytest

from hyperribbon.numerics.linear_models.deep_linear import (DeepLinearRun, balanced_deep_init,
                                                            balanced_init, effective_kernel,
                                                            gaussian_init, simulate_deep_linear,
                                                            simulate_two_layer, two_layer_kernel)
from hyperribbon.theory.errors import InvalidArgument

EPS = float(np.finfo(float).eps)


def _amax(*arrays) -> float:
    return float(sum(np.max(np.abs(a)) for a in arrays))


def _data(n=6, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


# ---------------------------------------------------------------- the residual update
@pytest.mark.parametrize("loss,c", [pytest.param("mean", 1 / 6, id="mean"),
                                    pytest.param("sum", 1.0, id="sum")])
def test_residual_update_is_5_3_3_plus_an_exact_second_order_term(loss, c):
    """r' = r − αK(u,v)r + α²c²(ŷᵀr)XXᵀr exactly; so r' − (r − αKr) falls ×4 when α halves."""
    X, y = _data()
    u0, v0 = gaussian_init(3, 4, 0.7, 0.7, N=5, seed=1)
    K = two_layer_kernel(X, u0, v0, loss=loss)
    errors = []
    for alpha in (0.02, 0.01, 0.005):
        run = simulate_two_layer(X, y, alpha, 2, u0, v0, loss=loss)
        r0, r1 = run.residuals[:, 0], run.residuals[:, 1]
        first_order = r0 - alpha * np.einsum("Nij,Nj->Ni", K, r0)
        yhat = r0 + y
        second = alpha**2 * c**2 * np.einsum("Ni,Ni->N", yhat, r0)[:, None] * (r0 @ (X @ X.T))
        # rounding of a few products over n, d, p terms, relative to the sides' magnitudes
        np.testing.assert_allclose(r1, first_order + second, rtol=0,
                                   atol=64 * (6 + 4 + 3) * EPS * _amax(r0, y, first_order))
        errors.append(np.linalg.norm(r1 - first_order))
    np.testing.assert_allclose(errors[0] / errors[1], 4.0, rtol=1e-6)
    np.testing.assert_allclose(errors[1] / errors[2], 4.0, rtol=1e-6)


def test_sum_loss_is_mean_loss_with_n_times_the_step():
    X, y = _data()
    u0, v0 = balanced_init(3, 4, 0.5, N=2, seed=2)
    a = simulate_two_layer(X, y, 0.01, 20, u0, v0, loss="sum")
    b = simulate_two_layer(X, y, 0.06, 20, u0, v0, loss="mean")
    # 0.06/6 and 0.01 may differ in the last bit: the runs agree to T steps of rounding
    np.testing.assert_allclose(a.residuals, b.residuals, rtol=0,
                               atol=64 * 20 * (6 + 4 + 3) * EPS * _amax(a.residuals, y))
    np.testing.assert_allclose(a.kernel0, 6 * b.kernel0, rtol=0,
                               atol=16 * (4 + 3) * EPS * _amax(a.kernel0))


# ---------------------------------------------------------------- balancedness
def test_one_step_change_of_the_imbalance_is_exactly_second_order():
    """Δ(vvᵀ − uuᵀ) = α²c²(‖Xᵀr‖² uuᵀ − vXᵀr rᵀXvᵀ)."""
    X, y = _data()
    u0, v0 = gaussian_init(3, 4, 0.6, 0.4, N=3, seed=3)
    alpha, c = 0.05, 1 / 6
    run = simulate_two_layer(X, y, alpha, 2, u0, v0)
    u1, v1 = run.u, run.v
    B = lambda u, v: np.einsum("Npd,Nqd->Npq", v, v) - np.einsum("Np,Nq->Npq", u, u)
    r = run.residuals[:, 0]
    g = r @ X                                                    # Xᵀr, (N, d)
    vg = np.einsum("Npd,Nd->Np", v0, g)
    expected = alpha**2 * c**2 * (np.einsum("Nd,Nd->N", g, g)[:, None, None]
                                  * np.einsum("Np,Nq->Npq", u0, u0)
                                  - np.einsum("Np,Nq->Npq", vg, vg))
    # the difference of two O(1) matrices: absolute rounding relative to them, not to the
    # (α²-small) difference itself
    tol_b = 32 * (3 + 4) * EPS * _amax(B(u0, v0), B(u1, v1))
    np.testing.assert_allclose(B(u1, v1) - B(u0, v0), expected, rtol=0, atol=tol_b)
    np.testing.assert_allclose(run.balance_drift[:, 1], np.linalg.norm(expected, axis=(1, 2)),
                               rtol=0, atol=3 * tol_b)


@pytest.mark.parametrize("init", [
    pytest.param(lambda: balanced_init(5, 4, 0.5, N=3, seed=1), id="balanced"),
    pytest.param(lambda: gaussian_init(5, 4, 0.5, 0.5, N=3, seed=1), id="unbalanced"),
])
def test_imbalance_drift_is_order_alpha_per_unit_time(init):
    """Halving α at fixed training time τ = αt (τ = 4) halves the drift of vvᵀ − uuᵀ (×2 per
    unit time, measured 2.03, 2.01, 2.00 for the balanced case); per step it falls ×4."""
    X, y = _data()
    u0, v0 = init()
    drifts, first = [], []
    for alpha in (0.05, 0.025, 0.0125):
        run = simulate_two_layer(X, y, alpha, int(round(4.0 / alpha)) + 1, u0, v0)
        drifts.append(run.balance_drift[:, -1])
        first.append(run.balance_drift[:, 1])
    for a, b in zip(drifts, drifts[1:]):
        assert np.all(np.abs(a / b - 2.0) < 0.1), a / b
    for a, b in zip(first, first[1:]):
        assert np.all(np.abs(a / b - 4.0) < 0.01), a / b


def test_balanced_kernel_is_not_invariant_even_as_alpha_goes_to_zero():
    """The thesis: 'the kernel K(u, v) ≡ K is invariant for balanced initializations'. Balance is
    (nearly) kept, but ‖K_t − K_0‖/‖K_0‖ at fixed τ converges to a nonzero limit as α → 0:
    the drift is a property of the gradient flow, not of the discretisation."""
    X, y = _data()
    u0, v0 = balanced_init(5, 4, 0.5, N=3, seed=1)
    k = []
    for alpha in (0.025, 0.0125):
        run = simulate_two_layer(X, y, alpha, int(round(4.0 / alpha)) + 1, u0, v0)
        assert run.balance_drift_rel[:, -1].max() < 1e-2
        k.append(run.kernel_drift[:, -1])
    np.testing.assert_allclose(k[0], k[1], rtol=0.01)
    assert k[1].min() > 0.3, k[1]


# ---------------------------------------------------------------- effective kernel, L layers
def _jacobian(X, Ws):
    """Brute-force parameter Jacobian of ŷ(x_i) for one net, by central differences."""
    flat = np.concatenate([W.ravel() for W in Ws])
    shapes = [W.shape for W in Ws]

    def predict(theta):
        mats, k = [], 0
        for s in shapes:
            size = int(np.prod(s))
            mats.append(theta[k:k + size].reshape(s))
            k += size
        h = X.T
        for W in mats:
            h = W @ h
        return h[0]

    J = np.empty((X.shape[0], flat.size))
    for j in range(flat.size):
        e = np.zeros_like(flat)
        e[j] = 1e-6
        J[:, j] = (predict(flat + e) - predict(flat - e)) / 2e-6
    return J


def test_effective_kernel_is_the_gram_of_the_parameter_jacobian():
    X, _ = _data(n=4, d=3, seed=4)
    rng = np.random.default_rng(5)
    Ws = [rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 2, 3)),
          rng.standard_normal((2, 1, 2))]
    K = effective_kernel(X, Ws, loss="sum")
    for i in range(2):
        J = _jacobian(X, [W[i] for W in Ws])
        np.testing.assert_allclose(K[i], J @ J.T, rtol=1e-7, atol=1e-7)
    u, v = Ws[2][:, 0, :], Ws[1]
    K2 = two_layer_kernel(X, u, v, loss="sum")
    np.testing.assert_allclose(effective_kernel(X, [v, u[:, None, :]], loss="sum"), K2, rtol=0,
                               atol=64 * (3 + 3) * EPS * _amax(K2))


def test_three_layer_balanced_run_keeps_balance_to_order_alpha_and_follows_its_kernel():
    X, y = _data()
    Ws = balanced_deep_init([4, 3, 3], 0.4, N=2, seed=6)
    drifts = []
    for alpha in (0.01, 0.005):
        run = simulate_deep_linear(X, y, alpha, int(round(2.0 / alpha)) + 1, Ws)
        drifts.append(run.balance_drift[:, -1])
    assert np.all(np.abs(drifts[0] / drifts[1] - 2.0) < 0.15), drifts[0] / drifts[1]
    errors = []
    for alpha in (1e-3, 5e-4):                          # eq. (5.3.3) for L = 3: error O(α²)
        run = simulate_deep_linear(X, y, alpha, 2, Ws, keep_kernels=True)
        r0, r1 = run.residuals[:, 0], run.residuals[:, 1]
        errors.append(np.linalg.norm(r1 - r0 + alpha * np.einsum("Nij,Nj->Ni",
                                                                 run.kernels[:, 0], r0)))
    assert abs(errors[0] / errors[1] - 4.0) < 0.05, errors[0] / errors[1]


# ---------------------------------------------------------------- reproducibility, shapes
def test_inits_are_reproducible_and_balanced_deep_extends_balanced():
    u, v = balanced_init(3, 4, 0.5, N=2, seed=9)
    u2, v2 = balanced_init(3, 4, 0.5, N=2, seed=9)
    np.testing.assert_array_equal(u, u2)
    np.testing.assert_array_equal(v, v2)
    assert not np.array_equal(u, balanced_init(3, 4, 0.5, N=2, seed=10)[0])
    Ws = balanced_deep_init([4, 3], 0.5, N=2, seed=9)
    np.testing.assert_allclose(Ws[0], v, rtol=4 * EPS)
    np.testing.assert_array_equal(Ws[1][:, 0], u)
    g1, g2 = gaussian_init(3, 4, 1.0, 0.5, N=2, seed=1), gaussian_init(3, 4, 1.0, 0.5, N=2, seed=1)
    np.testing.assert_array_equal(g1[1], g2[1])
    X, y = _data()
    a = simulate_two_layer(X, y, 0.05, 5, u, v)
    assert isinstance(a, DeepLinearRun) and a.residuals.shape == (2, 5, 6)
    assert a.kernel_drift.shape == a.balance_drift.shape == (2, 5) and a.kernels is None
    np.testing.assert_array_equal(a.residuals, simulate_two_layer(X, y, 0.05, 5, u, v).residuals)


# ---------------------------------------------------------------- invalid arguments
_X, _y = np.random.default_rng(0).standard_normal((4, 3)), np.ones(4)
_u, _v = balanced_init(2, 3, 0.5, N=2)


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda: simulate_two_layer(_X, _y, -0.1, 3, _u, _v), "alpha", id="alpha<0"),
    pytest.param(lambda: simulate_two_layer(_X, _y, 0.1, 0, _u, _v), "T", id="T<1"),
    pytest.param(lambda: simulate_two_layer(_X, _y, 0.1, 3, _u, _v[:, :, :2]), "v0",
                 id="v0-shape"),
    pytest.param(lambda: simulate_two_layer(_X, _y, 0.1, 3, _u[:1], _v), "v0", id="N-mismatch"),
    pytest.param(lambda: simulate_two_layer(_X, _y, 0.1, 3, np.ones((2, 2, 2)), _v), "u0",
                 id="u0-ndim"),
    pytest.param(lambda: simulate_two_layer(_X, _y[:3], 0.1, 3, _u, _v), "y", id="y-length"),
    pytest.param(lambda: simulate_two_layer(_X, _y, 0.1, 3, _u, _v, loss="max"), "loss",
                 id="loss"),
    pytest.param(lambda: balanced_init(0, 3, 0.5, 2), "p", id="p-zero"),
    pytest.param(lambda: balanced_init(2, 3, 0.0, 2), "scale", id="scale-zero"),
    pytest.param(lambda: gaussian_init(2, 3, -1.0, 0.5, 2), "scale_u", id="scale_u<0"),
    pytest.param(lambda: balanced_deep_init([3], 0.5, 2), "widths", id="widths-short"),
    pytest.param(lambda: simulate_deep_linear(_X, _y, 0.1, 3, [np.ones((2, 2, 3))]), "weights",
                 id="deep-no-scalar-output"),
    pytest.param(lambda: simulate_deep_linear(_X, _y, 0.1, 3,
                                              [np.ones((2, 2, 3)), np.ones((1, 1, 2))]),
                 "weights", id="deep-N-mismatch"),
    pytest.param(lambda: effective_kernel(_X, [np.ones((2, 1, 4))]), "weights",
                 id="kernel-d-mismatch"),
    pytest.param(lambda: DeepLinearRun(*([None] * 5), weights=[1, 2, 3]).u, "u",
                 id="u-of-deep-run"),
])
def test_invalid_arguments(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument
