"""Lemma 4.3.2 and Corollary 4.7.7, eigenvalue by eigenvalue: closed-form block spectra, property
tests over random networks, the true-Hessian reading (fails for tanh, holds for piecewise-linear
σ), the false proof step, and the exact handling of structural zeros and ties."""
import numpy as np
import pytest
from hypothesis import assume, given, settings

from hyperribbon.theory import registry
from hyperribbon.theory.networks import NetworkProblem, network_problems
from hyperribbon.theory.networks import spectral_bounds as sb
from hyperribbon.theory.networks.errata import softmax_regression_at_zero, tanh_small_readout
from hyperribbon.theory.verdict import Status

PL = ("relu", "leaky_relu", "identity")


def test_lemma_4_3_2_closed_form_for_an_active_relu_layer():
    rng = np.random.default_rng(7)
    X = np.abs(rng.standard_normal((5, 3))) + 0.1
    W0 = np.abs(rng.standard_normal((4, 3))) + 0.1
    W1 = rng.standard_normal((2, 4))
    p = NetworkProblem((W0, W1), X, [0, 1, 0, 1, 1], "relu")
    v = sb.LEMMA_4_3_2.check(p)
    assert v.status is Status.HOLDS
    mu = np.sort(np.linalg.eigvalsh(X.T @ X / 5))[::-1]
    s1 = np.linalg.norm(W1, 2) ** 2
    for i in range(2):
        fam = v.comparisons[i]                 # layer 0, logit i: (w¹_i w¹_iᵀ) ⊗ E[xxᵀ]
        expect = np.concatenate([np.sum(W1[i] ** 2) * mu, np.zeros(12 - 3)])
        np.testing.assert_allclose(fam.lhs, expect, atol=1e-12 * expect[0])
        np.testing.assert_allclose(fam.rhs, s1 * np.repeat(mu, 4), rtol=1e-10)
    last = v.comparisons[-1]                   # k = L: μ_⌈j/m⌉ − μ_j ≥ 0 exactly
    assert last.relation == ">=" and np.all(last.lhs >= 0)


def test_lemma_4_3_2_linear_model_is_decided_exactly():
    # L = 0: both sides are spec E[xxᵀ] (the lhs padded by zeros, the rhs repeated m times):
    # ties at every j ≤ m… decided by the order of the eigenvalues, never left undecided
    p = NetworkProblem.random((3, 4), n=6, seed=0)
    v = sb.LEMMA_4_3_2.check(p)
    assert v.status is Status.HOLDS and len(v.comparisons) == 1


def test_corollary_4_7_7_true_hessian_fails_for_tanh_and_gauss_newton_holds():
    p = tanh_small_readout()
    bad, good = sb.COROLLARY_4_7_7.check(p), sb.COROLLARY_4_7_7_GGN.check(p)
    assert bad.status is Status.FAILS and good.status is Status.HOLDS
    name, idx, lhs, rhs, _ = bad.worst()
    assert "true Hessian" in name and lhs > rhs
    # the FIM family of the as-written corollary holds on the same problem
    assert all(c.status() is Status.HOLDS for c in bad.comparisons if "F(w_" in c.name)


def test_proof_step_fails_on_softmax_regression_with_the_predicted_value():
    # F = (diag p − ppᵀ) ⊗ xxᵀ = [[¼, −¼], [−¼, ¼]], E[∇s∇sᵀ] = 𝟙𝟙ᵀ ⊗ xxᵀ = [[1, 1], [1, 1]]:
    # λ_max(F − 2E[∇s∇sᵀ]) is attained on (1, −1)/√2 with value ½
    v = sb.COROLLARY_4_7_7_PROOF_STEP.check(softmax_regression_at_zero())
    assert v.status is Status.FAILS
    assert v.comparisons[0].lhs[0] == pytest.approx(0.5, rel=1e-14)
    assert sb.COROLLARY_4_7_7_GGN.check(softmax_regression_at_zero()).status is Status.HOLDS


@pytest.mark.parametrize("lemma", [sb.LEMMA_4_3_2, sb.COROLLARY_4_7_7_GGN],
                         ids=lambda lem: lem.id)
def test_true_statements_never_fail_on_random_networks(lemma):
    @settings(max_examples=60, deadline=None)
    @given(network_problems(max_width=6, max_n=6))
    def prop(p):
        v = lemma.check(p)
        assert v.status is not Status.FAILS, (p.parameters(), v.table())
    prop()


@settings(max_examples=50, deadline=None)
@given(network_problems(max_width=6, max_n=6, activations=PL))
def test_as_written_corollary_holds_for_piecewise_linear_networks(p):
    v = sb.COROLLARY_4_7_7.check(p)
    assert v.status is not Status.FAILS, v.table()


@settings(max_examples=40, deadline=None)
@given(network_problems(max_width=5, max_n=5, activations=("relu", "tanh", "identity"),
                        losses=("cross_entropy",), biases=False))
def test_spectral_verdicts_are_undecided_only_at_rounding_level_entries(p):
    # structural zeros (beyond a factor's rank) are exact, so the true corollary holds, and an
    # entry is left undecided only where both sides are rounding-level values of a hidden rank
    # deficiency (a width-1 layer, or a ReLU layer whose units are dead on every sample — e.g.
    # 3 samples, widths 3-2-2-2, all labels 0: 1.1e-27 against 1.8e-28), never at a real value
    v = sb.COROLLARY_4_7_7_GGN.check(p)
    assert v.status is not Status.FAILS, v.table()
    for c in v.comparisons:
        st = c.statuses
        scale = max(float(np.max(np.abs(c.lhs))), float(np.max(np.abs(c.rhs))), 1e-300)
        for i in np.flatnonzero(st == Status.UNDECIDED.value):
            assert max(abs(c.lhs[i]), abs(c.rhs[i])) <= 1e-8 * scale, v.table()


@settings(max_examples=40, deadline=None)
@given(network_problems(max_width=5, max_n=5, activations=("tanh", "identity"),
                        losses=("cross_entropy",), biases=False))
def test_spectral_verdicts_hold_for_smooth_networks_without_width_one_layers(p):
    # no dead units without ReLU: with every hidden width > 1 the corollary is decided
    assume(min(p.widths[:-1]) > 1)
    v = sb.COROLLARY_4_7_7_GGN.check(p)
    assert v.status is Status.HOLDS, v.table()


def test_kron_bound_repeats_each_activation_eigenvalue():
    p = NetworkProblem.random((3, 4, 2), "tanh", n=5, seed=9)
    mid, half = sb.kron_bound(p, 0)
    mu = np.sort(np.linalg.eigvalsh(p.input_correlation()))[::-1]
    const = float(np.linalg.norm(p.weights[1], 2) ** 2)
    np.testing.assert_allclose(mid, const * np.repeat(mu, 4), rtol=1e-10)
    assert np.all(half >= 0) and mid.size == 12


def test_registry_and_links():
    assert registry.get("4.3.2") is sb.LEMMA_4_3_2
    assert registry.get("4.7.7") is sb.COROLLARY_4_7_7
    assert registry.get("4.7.7-gauss-newton") is sb.COROLLARY_4_7_7_GGN
    assert registry.get("4.7.7-proof-step") is sb.COROLLARY_4_7_7_PROOF_STEP
    for lem in (sb.LEMMA_4_3_2, sb.COROLLARY_4_7_7_PROOF_STEP):
        assert all(lem.symbolic.verify().values())
