"""Theorem 4.3.1, eq. (4.7.6), Lemmas 4.7.2–4.7.3 and Remark 4.7.5: both sides on hand-built
networks where they are known in closed form, property tests over random small networks (a true
statement never "fails"), assumption violations, the true-Hessian readings, symbolic proofs."""
import math

import numpy as np
import pytest
from hypothesis import given, settings

from hyperribbon.theory import registry
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.networks import NetworkProblem, network_problems, trace_bounds as tb
from hyperribbon.theory.networks._mlp import softmax
from hyperribbon.theory.verdict import Status

LN2 = math.log(2.0)
PL = ("relu", "leaky_relu", "identity")
TRUE_LEMMAS = [tb.THEOREM_4_3_1, tb.EQ_4_7_6, tb.LEMMA_4_7_2, tb.LEMMA_4_7_3,
               tb.REMARK_4_7_5_CORRECTED]


def _family(verdict, prefix):
    return [c for c in verdict.comparisons if c.name.startswith(prefix)]


def test_softmax_regression_closed_forms():
    # L = 0: J_s = I_m ⊗ x_sᵀ, so tr F = (1/n)Σ_s (1 − ‖p_s‖²)‖x_s‖² and the bound is 2m tr E[xxᵀ]
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5, 3))
    W = rng.standard_normal((4, 3))
    p = NetworkProblem((W,), X, [0, 1, 2, 3, 0], ())
    pr = softmax(X @ W.T)
    trF = float(np.mean((1 - np.sum(pr ** 2, axis=1)) * np.sum(X ** 2, axis=1)))
    bound = 2 * 4 * float(np.sum(X ** 2)) / 5
    v = tb.THEOREM_4_3_1.check(p)
    assert v.status is Status.HOLDS
    F, Hn = v.comparisons
    assert F.lhs[0] == pytest.approx(trF, rel=1e-12) and F.rhs[0] == pytest.approx(bound, rel=1e-12)
    assert Hn.lhs[0] == pytest.approx(trF / LN2, rel=1e-12)
    v6 = tb.EQ_4_7_6.check(p)
    assert v6.comparisons[0].rhs[0] == pytest.approx(bound / 2, rel=1e-12)
    assert v6.comparisons[1].lhs[0] == pytest.approx(trF, rel=1e-12)   # (ln 2)·tr H̃ = tr F


def _active_relu_net():
    """One hidden ReLU layer, every unit on for every input (so the net is linear there)."""
    rng = np.random.default_rng(2)
    X = np.abs(rng.standard_normal((3, 2))) + 0.1
    W0 = np.abs(rng.standard_normal((4, 2))) + 0.1
    W1 = rng.standard_normal((3, 4))
    return NetworkProblem((W0, W1), X, [0, 2, 1], "relu"), X, W0, W1


def test_one_hidden_layer_closed_forms():
    p, X, W0, W1 = _active_relu_net()
    H = X @ W0.T                                               # all positive: h = u
    # per logit i: tr E[∂z_i/∂w⁰…] = ‖w¹_i‖² E‖x‖², tr E[∂z_i/∂w¹…] = E‖h‖²
    ex2, eh2 = float(np.mean(np.sum(X ** 2, 1))), float(np.mean(np.sum(H ** 2, 1)))
    v = tb.LEMMA_4_7_3.check(p)
    assert v.status is Status.HOLDS
    for i in range(3):
        fam = v.comparisons[i]
        np.testing.assert_allclose(fam.lhs, [np.sum(W1[i] ** 2) * ex2, eh2], rtol=1e-12)
        s0, s1 = np.linalg.norm(W0, 2) ** 2, np.linalg.norm(W1, 2) ** 2
        np.testing.assert_allclose(fam.rhs, [ex2 * s1, ex2 * s0], rtol=1e-12)
    # tr F = E[‖x‖² tr((diag p − ppᵀ)w¹w¹ᵀ) + ‖h‖²(1 − ‖p‖²)] (JJᵀ = ‖x‖²w¹w¹ᵀ + ‖h‖²I)
    pr = softmax(H @ W1.T)
    trF = np.mean([np.sum(X[s] ** 2) * np.trace((np.diag(pr[s]) - np.outer(pr[s], pr[s]))
                                                 @ W1 @ W1.T)
                   + np.sum(H[s] ** 2) * (1 - np.sum(pr[s] ** 2)) for s in range(3)])
    assert tb.THEOREM_4_3_1.check(p).comparisons[0].lhs[0] == pytest.approx(trF, rel=1e-12)
    # Lemma 4.7.2 (4.7.3): tr E[h¹h¹ᵀ] = E‖h‖² against ‖w⁰‖² E‖x‖²
    c = tb.LEMMA_4_7_2.check(p).comparisons[0]
    assert c.lhs[0] == pytest.approx(eh2, rel=1e-12)
    assert c.rhs[0] == pytest.approx(np.linalg.norm(W0, 2) ** 2 * ex2, rel=1e-12)


def test_lemma_4_7_2_activation_gradients_closed_form():
    p, X, W0, W1 = _active_relu_net()
    v = tb.LEMMA_4_7_2.check(p)
    (grad,) = _family(v, "(4.7.4)")
    # ∂z_i/∂h⁰ = w¹_i w⁰ (all units on), ∂z_i/∂h¹ = w¹_i
    expect_l = [np.linalg.norm(W1[i] @ W0) for s in range(3) for i in range(3)]
    expect_r = [np.linalg.norm(W1[i]) * np.linalg.norm(W0, 2) for s in range(3) for i in range(3)]
    np.testing.assert_allclose(grad.lhs, expect_l, rtol=1e-12)
    np.testing.assert_allclose(grad.rhs, expect_r, rtol=1e-12)
    assert v.status is Status.HOLDS


@pytest.mark.parametrize("lemma", TRUE_LEMMAS, ids=lambda lem: lem.id)
def test_true_statements_never_fail_on_random_networks(lemma):
    @settings(max_examples=60, deadline=None)
    @given(network_problems(max_width=6, max_n=6))
    def prop(p):
        v = lemma.check(p)
        assert v.status is not Status.FAILS, (p.parameters(), v.table())
    prop()


@settings(max_examples=60, deadline=None)
@given(network_problems(max_width=6, max_n=6, activations=PL))
def test_true_hessian_readings_hold_for_piecewise_linear_networks(p):
    # σ'' = 0: tr H = tr H̃ exactly, so the title reading of 4.3.1 holds as the statement does
    for lemma in (tb.THEOREM_4_3_1_TRUE_HESSIAN,):
        v = lemma.check(p)
        assert v.status is not Status.FAILS, v.table()
    if p.activation_assumption and p.biases_zero and p.softmax_cross_entropy:
        v = tb.REMARK_4_7_5_CORRECTED.check(p)
        assert any("true Hessian" in c.name for c in v.comparisons)


def test_remark_4_7_5_as_written_fails_by_exactly_one_over_ln2_for_relu():
    p = NetworkProblem.random((4, 6, 3), "relu", n=5, scale=1.5, labels="random", seed=4)
    v = tb.REMARK_4_7_5.check(p)
    c = v.comparisons[1]
    assert v.status is Status.FAILS
    assert c.lhs[0] / c.rhs[0] == pytest.approx(1 / LN2, rel=1e-10)
    assert tb.REMARK_4_7_5_CORRECTED.check(p).status is Status.HOLDS


def test_true_hessian_variant_fails_for_a_tanh_unit_with_large_input():
    from hyperribbon.theory.networks.errata import tanh_small_readout
    p = tanh_small_readout(x=10.0)
    bad = tb.THEOREM_4_3_1_TRUE_HESSIAN.check(p)
    assert bad.status is Status.FAILS and tb.THEOREM_4_3_1.check(p).status is Status.HOLDS
    # the excess is the H-term: tr H − tr H̃ = (1/ln 2)·Σ_a c_a σ''(u_a) x², c = Σ_i(p_i − y_i)w¹_ia
    u = 0.66
    pr = softmax(np.array([[0.05, -0.05]]) * np.tanh(u))[0]
    c_a = (pr[0] - 1) * 0.05 + pr[1] * (-0.05)
    t = np.tanh(u)
    hterm = c_a * (-2 * t * (1 - t * t)) * 100.0 / LN2
    trH, trG = bad.comparisons[1].lhs[0], tb.THEOREM_4_3_1.check(p).comparisons[1].lhs[0]
    assert trH - trG == pytest.approx(hterm, rel=1e-9)


@pytest.mark.parametrize("problem, needle", [
    pytest.param(lambda: NetworkProblem.random((3, 4, 2), "sigmoid", n=3, seed=0),
                 "σ(0) = 0", id="sigmoid"),
    pytest.param(lambda: NetworkProblem.random((3, 4, 2), "other:GELU", n=3, labels="random",
                                               seed=0), "GELU", id="unknown-activation"),
    pytest.param(lambda: NetworkProblem.random((3, 4, 2), "relu", n=3, bias_scale=0.3, seed=0),
                 "bias", id="nonzero-biases"),
    pytest.param(lambda: NetworkProblem.random((3, 4, 2), "relu", n=3, loss="mse", seed=0),
                 "softmax", id="mse-loss"),
])
def test_outside_the_assumptions_is_not_applicable_and_named(problem, needle):
    p = problem()
    v = tb.THEOREM_4_3_1.check(p)
    assert v.status is Status.NOT_APPLICABLE and v.comparisons == ()
    assert any(needle in a for a in v.failed_assumptions), v.failed_assumptions


def test_loss_independent_lemmas_apply_to_mse():
    p = NetworkProblem.random((3, 4, 2), "tanh", n=4, loss="mse", seed=1)
    assert tb.LEMMA_4_7_3.check(p).status is Status.HOLDS
    assert tb.LEMMA_4_7_2.check(p).status is Status.HOLDS


def test_lemma_4_7_2_needs_a_hidden_layer():
    v = tb.LEMMA_4_7_2.check(NetworkProblem.random((3, 2), n=3, seed=0))
    assert v.status is Status.NOT_APPLICABLE and "L ≥ 1" in v.failed_assumptions[0]


def test_linear_model_lemma_4_7_3_is_an_identity_checked_as_one():
    v = tb.LEMMA_4_7_3.check(NetworkProblem.random((3, 2), n=3, seed=0))
    assert v.status is Status.HOLDS
    assert all(c.relation == "==" for c in v.comparisons)


def test_trace_bound_matches_the_printed_product_times_sum():
    p = NetworkProblem.random((3, 5, 4, 2), "leaky_relu", n=4, slope=-2.0, seed=3)
    s = p.weight_norms ** 2
    printed = 2 * p.m * 2.0 ** (2 * p.depth) * np.trace(p.input_correlation()) \
        * np.prod(s) * np.sum(1 / s)
    assert tb.trace_bound(p)[0] == pytest.approx(printed, rel=1e-12)
    assert tb.trace_bound(p, factor=1.0)[0] == pytest.approx(printed / 2, rel=1e-12)


def test_registry_addresses_and_symbolic_proofs():
    assert registry.get("4.3.1") is tb.THEOREM_4_3_1
    assert registry.get("(4.7.6)") is tb.EQ_4_7_6
    assert registry.get("4.7.5-corrected") is tb.REMARK_4_7_5_CORRECTED
    for lem in TRUE_LEMMAS + [tb.REMARK_4_7_5, tb.THEOREM_4_3_1_TRUE_HESSIAN]:
        results = lem.symbolic.verify()
        assert all(results.values()), (lem.id, results)
        for rel in lem.related:
            assert registry.get(rel).id == rel


def test_check_rejects_the_wrong_problem_type():
    with pytest.raises(InvalidArgument):
        tb.THEOREM_4_3_1.check("not a problem")
