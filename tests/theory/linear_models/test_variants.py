"""§5.3 lemmas: Monte-Carlo agreement of their closed forms with simulated dynamics, symbolic
proofs, assumption and invalid-argument tables. (Random-problem property tests of every lemma run
through the falsifier, tests/experiments/test_falsify.py.)"""
import numpy as np
import pytest

import hyperribbon.numerics  # noqa: F401
from hyperribbon.numerics import empirical_pca_matrix, synthetic_data
from hyperribbon.theory.linear_models import deep_linear as dln
from hyperribbon.theory.linear_models import kernels as kern
from hyperribbon.theory.linear_models import sgd, weight_decay as wdm
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem
from hyperribbon.theory.verdict import Status

N_MC = 4000


def test_sgd_second_moments_match_langevin_monte_carlo():
    """N = 4000 residual-space Langevin runs, noise (α²/b)K²: Σ_t E[r_t r_tᵀ] within 4 s.e."""
    base = LinearGDProblem.sloppy(n=8, c=0.4, alpha=0.8, T=30, sigma_w2=0.2, sigma_star2=1.0)
    p = sgd.SGDProblem(base, batch_size=2)
    rng = np.random.default_rng(0)
    a = 1.0 - base.s
    r = np.sqrt(base.sigma_w2 * base.lam) * rng.standard_normal((N_MC, base.n)) - base.yhat
    noise_sd = np.sqrt(base.alpha**2 / p.b) * base.lam
    S = np.zeros((base.n, base.n))
    per_run = np.zeros((N_MC, base.n))
    for _ in range(base.T):
        S += r.T @ r / N_MC
        per_run += r * r
        r = a * r + noise_sd * rng.standard_normal(r.shape)
    from hyperribbon.theory.linear_models import gd_closed_forms as cf
    closed = cf.target_gramian(base.s, base.yhat, base.T) + np.diag(
        cf.sigma_w_eigenvalues(base.s, base.alpha, base.sigma_w2, base.T)
        + sgd.sgd_extra_diagonal(p))
    se = per_run.std(axis=0) / np.sqrt(N_MC)
    np.testing.assert_array_less(np.abs(np.diag(S) - np.diag(closed)),
                                 4 * se + 64 * base.T * np.finfo(float).eps * np.abs(closed).max())


def test_weight_decay_corrected_pca_matches_monte_carlo():
    base = LinearGDProblem.sloppy(n=6, c=0.5, alpha=0.6, T=25, sigma_w2=0.3, sigma_star2=1.0)
    p = wdm.WeightDecayProblem(base, 0.2)
    X, w_star, U = synthetic_data(base, d=9, seed=1)
    y = X @ w_star
    rng = np.random.default_rng(2)
    w = rng.standard_normal((N_MC, 9)) * np.sqrt(base.sigma_w2 / base.n)
    R = np.empty((N_MC, base.T, base.n))
    for t in range(base.T):
        r = w @ X.T - y
        R[:, t] = r
        w = w - base.alpha * (r @ X / base.n + 0.2 * w)
    emp = U.T @ empirical_pca_matrix(R) @ U
    corrected = wdm.weight_decay_pca(p, "corrected")
    literal = wdm.weight_decay_pca(p, "as written")
    err_c = np.linalg.norm(emp - corrected) / np.linalg.norm(corrected)
    err_l = np.linalg.norm(emp - literal) / np.linalg.norm(literal)
    assert err_c < 0.05 and err_l > 5 * err_c, (err_c, err_l)


def test_multi_kernel_pooled_pca_matches_monte_carlo():
    p = kern.MultiKernelProblem.sloppy(n=6, slopes=(0.3, 0.8), alpha=0.9, T=20, sigma_w2=0.5,
                                       seed=3)
    rng = np.random.default_rng(4)
    pts = []
    for K in p.grams:
        L = np.linalg.cholesky(p.sigma_w2 * K + 1e-300 * np.eye(p.n))
        r = rng.standard_normal((N_MC, p.n)) @ L.T - p.y
        Kd = np.eye(p.n) - p.alpha * K
        for _ in range(p.T):
            pts.append(r.copy())
            r = r @ Kd.T
    pts = np.concatenate(pts)
    c = pts - pts.mean(axis=0)
    emp = c.T @ c / pts.shape[0]
    rel = np.linalg.norm(emp - p.P()) / np.linalg.norm(p.P())
    assert rel < 0.05, rel


def test_deep_linear_discrete_drift_scales_like_alpha_squared():
    drifts = []
    for alpha in (0.02, 0.01):
        p = dln.DeepLinearProblem.synthetic(n=5, d=6, p=3, alpha=alpha, T=int(2 / alpha),
                                            balanced=True, seed=1)
        tr = dln.train_two_layer(p)
        drifts.append(np.linalg.norm(tr["imbalance"][-1] - tr["imbalance"][0]))
    ratio = drifts[0] / drifts[1]
    assert 1.6 < ratio < 2.5, ratio       # O(α²) per step × 1/α steps = O(α) at fixed time


def test_kernel_invariance_fails_and_conservation_holds_on_the_same_run():
    p = dln.DeepLinearProblem.synthetic(n=4, d=5, p=2, alpha=0.05, T=60, balanced=True)
    assert dln.LEMMA_DLN_KERNEL_INVARIANCE.check(p).status is Status.FAILS
    assert dln.LEMMA_DLN_CONSERVATION.check(p).status is Status.HOLDS
    assert dln.LEMMA_DLN_FIRST_ORDER.check(p).status is Status.HOLDS


@pytest.mark.parametrize("lemma", [sgd.LEMMA_SGD_PXI, sgd.LEMMA_SGD_NOISE_SUM,
                                   sgd.LEMMA_SGD_RULE_OF_THUMB], ids=lambda lem: lem.id)
def test_sgd_symbolic_proofs(lemma):
    assert all(lemma.symbolic.verify().values())


def test_sgd_bound_counterexample_and_correction():
    p = sgd.SGDProblem(LinearGDProblem.sloppy(n=30, c=0.1, alpha=0.5, T=2000, sigma_w2=0.0), 1)
    assert sgd.LEMMA_SGD_5_2_3.check(p).status is Status.FAILS
    assert sgd.LEMMA_SGD_5_2_3_CORRECTED.check(p).status is Status.HOLDS


def test_pxi_top_needs_lambda1_one():
    p = sgd.SGDProblem(LinearGDProblem.sloppy(n=5, lambda1=1.5, alpha=0.5), 1)
    v = sgd.LEMMA_SGD_PXI_TOP.check(p)
    assert v.status is Status.NOT_APPLICABLE and "λ1(K) = 1" in v.failed_assumptions[0]


BAD = [
    pytest.param(lambda: sgd.SGDProblem(LinearGDProblem.sloppy(n=4), 5), "batch_size",
                 id="sgd-b-gt-n"),
    pytest.param(lambda: sgd.SGDProblem(LinearGDProblem.sloppy(n=4), 0), "batch_size",
                 id="sgd-b-zero"),
    pytest.param(lambda: sgd.SGDProblem("x", 1), "base", id="sgd-base"),
    pytest.param(lambda: kern.MultiKernelProblem(np.array([[[1.0, 2.0], [2.0, 1.0]]]),
                                                 [1.0, 1.0], 0.1, 3), "grams", id="non-psd"),
    pytest.param(lambda: kern.MultiKernelProblem(np.eye(2)[None], [1.0, 1.0, 1.0], 0.1, 3), "y",
                 id="kernel-y-shape"),
    pytest.param(lambda: kern.MultiKernelProblem(np.eye(2)[None], [1.0, 1.0], 2.5, 3), "alpha",
                 id="kernel-alpha"),
    pytest.param(lambda: kern.MultiKernelProblem(np.ones((2, 3)), [1.0, 1.0], 0.1, 3), "grams",
                 id="kernel-2d"),
    pytest.param(lambda: wdm.WeightDecayProblem(LinearGDProblem.sloppy(n=3), -0.1),
                 "weight_decay", id="negative-decay"),
    pytest.param(lambda: wdm.WeightDecayProblem(LinearGDProblem.sloppy(n=3, alpha=1.9), 0.5),
                 "alpha", id="decay-unstable"),
    pytest.param(lambda: dln.DeepLinearProblem(np.eye(2), [1.0, 1.0], 0, 0.1, 3), "width",
                 id="dln-width"),
    pytest.param(lambda: dln.DeepLinearProblem(np.eye(2), [1.0], 1, 0.1, 3), "y",
                 id="dln-y-shape"),
    pytest.param(lambda: dln.DeepLinearProblem(np.eye(2), [1.0, 1.0], 1, -0.1, 3), "alpha",
                 id="dln-alpha"),
]


@pytest.mark.parametrize("make,argument", BAD)
def test_invalid_arguments(make, argument):
    with pytest.raises(InvalidArgument) as info:
        make()
    assert info.value.argument == argument
