"""Lemmas (4.3.4), (4.4.4) (as written and with the threshold decay) and Theorem 4.7.1's Pinsker
relaxation over Hessian spectra: closed forms, property tests, the (4.4.4) counterexample family,
spectra measured from networks, invalid arguments."""
import math

import numpy as np
import pytest
from hypothesis import given, settings

from hyperribbon.theory import registry
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.networks import NetworkProblem, PacBayesProblem, pac_bayes_problems
from hyperribbon.theory.networks import generalization as g
from hyperribbon.theory.networks import pac_bayes as pb
from hyperribbon.theory.verdict import Status


@pytest.mark.parametrize("kwargs, argument", [
    pytest.param(dict(eigenvalues=[], n=10, eps=1.0), "eigenvalues", id="empty-spectrum"),
    pytest.param(dict(eigenvalues=[1.0, np.inf], n=10, eps=1.0), "eigenvalues", id="inf"),
    pytest.param(dict(eigenvalues=[1.0], n=1, eps=1.0), "n", id="n-one"),
    pytest.param(dict(eigenvalues=[1.0], n=10, eps=0.0), "eps", id="eps-zero"),
    pytest.param(dict(eigenvalues=[1.0], n=10, eps=1.0, dist2=-1.0), "dist2", id="dist2"),
    pytest.param(dict(eigenvalues=[1.0], n=10, eps=1.0, train_error=1.5), "train_error",
                 id="train-error"),
    pytest.param(dict(eigenvalues=[1.0], n=10, eps=1.0, delta=1.0), "delta", id="delta"),
    pytest.param(dict(eigenvalues=[1.0], n=10, eps=1.0, floor=-1.0), "floor", id="floor"),
])
def test_invalid_arguments(kwargs, argument):
    with pytest.raises(InvalidArgument) as info:
        PacBayesProblem(**kwargs)
    assert info.value.argument == argument


def test_invalid_sloppy_arguments():
    with pytest.raises(InvalidArgument) as info:
        PacBayesProblem.sloppy(p=0)
    assert info.value.argument == "p"
    with pytest.raises(InvalidArgument) as info:
        PacBayesProblem.sloppy(c=-1.0)
    assert info.value.argument == "c"


@pytest.mark.parametrize("lemma", [g.EQ_4_3_4, g.EQ_4_4_4_THRESHOLD, g.THEOREM_4_7_1],
                         ids=lambda lem: lem.id)
def test_true_statements_never_fail(lemma):
    @settings(max_examples=120, deadline=None)
    @given(pac_bayes_problems())
    def prop(p):
        v = lemma.check(p)
        assert v.status is not Status.FAILS, (p.parameters(), v.table())
    prop()


def test_objective_at_the_optimum_is_the_closed_form():
    p = PacBayesProblem.sloppy(p=25, c=0.4, b=3.0, n=300, eps=0.5, dist2=2.0)
    v = g.EQ_4_3_4.check(p)
    assert v.status is Status.HOLDS
    closed = (np.sum(np.log1p(2 * 299 * p.eigenvalues / 0.5)) + 0.5 * 2.0) / (4 * 299)
    assert v.comparisons[0].rhs[0] == pytest.approx(closed, rel=1e-12)
    # random Σ are worse than Σ*, by exactly the KL to Σ* over 2(n − 1)
    assert np.all(v.comparisons[1].lhs > 0)


def test_4_4_4_counterexample_family_and_the_exact_tail_condition():
    # one stiff eigenvalue Y·thr and K − 1 eigenvalues just below the threshold: (4.4.4) with
    # c(H, 1) = ln(Y/t)/(K−1) fails exactly when Σ_{i>1} log(1+y_i) > 1 + 2/c (the objective is
    # (Σ log(1+y_i) + ε‖w−w0‖²)/(4(n−1)) and s = 1 + log(1+Y))
    for Y, t, K in [(1000.0, 0.9, 5), (50.0, 0.9, 6), (3000.0, 0.99, 4), (10.0, 0.5, 3)]:
        p = PacBayesProblem(np.array([Y] + [t] * (K - 1)), n=2, eps=2.0)   # threshold 1
        c = math.log(Y / t) / (K - 1)
        predicted_fail = (K - 1) * math.log1p(t) > 1 + 2 / c
        v = g.EQ_4_4_4.check(p)
        assert (v.status is Status.FAILS) == predicted_fail, (Y, t, K, v.table())
        assert g.EQ_4_4_4_THRESHOLD.check(p).status is Status.HOLDS


def test_4_4_4_not_applicable_without_stiff_eigenvalues():
    p = PacBayesProblem(np.array([0.1, 0.01]), n=2, eps=2.0)
    v = g.EQ_4_4_4.check(p)
    assert v.status is Status.NOT_APPLICABLE and "p(n, ε) ≥ 1" in v.failed_assumptions[0]
    assert g.EQ_4_4_4_THRESHOLD.check(p).status is Status.HOLDS


def test_not_psd_is_not_applicable():
    p = PacBayesProblem(np.array([1.0, -0.5]), n=10, eps=1.0)
    for lemma in (g.EQ_4_3_4, g.EQ_4_4_4, g.EQ_4_4_4_THRESHOLD, g.THEOREM_4_7_1):
        v = lemma.check(p)
        assert v.status is Status.NOT_APPLICABLE and "semi-definite" in v.failed_assumptions[0]


def test_effective_dimension_undetermined_at_the_threshold_is_undecided():
    p = PacBayesProblem(np.array([5.0, 1.0 + 1e-12, 0.1]), n=2, eps=2.0, floor=1e-9)
    assert g.EQ_4_4_4_THRESHOLD.check(p).status is Status.UNDECIDED


def test_theorem_4_7_1_sides():
    p = PacBayesProblem.sloppy(p=10, c=0.5, n=1000, eps=1.0, dist2=1.0, train_error=0.05)
    v = g.THEOREM_4_7_1.check(p)
    assert v.status is Status.HOLDS
    lam_bar, var = pb.optimal_posterior(p.eigenvalues, 1000, 1.0)
    kl = pb.gaussian_kl(np.zeros(10), np.diag(var), np.r_[1.0, np.zeros(9)], np.eye(10))
    B = pb.budget(kl, 1000, 0.05)
    assert v.comparisons[0].rhs[0] == pytest.approx(0.05 + math.sqrt(B / 2), rel=1e-12)
    assert v.comparisons[0].lhs[0] == pytest.approx(pb.kl_inverse(0.05, B), abs=1e-12)


def test_from_network_measures_a_psd_spectrum_for_a_linear_model():
    net = NetworkProblem.random((3, 4), n=8, seed=2)          # softmax regression: convex loss
    p = PacBayesProblem.from_network(net, eps=1.0)
    assert p.p == net.n_params and p.n == 8 and p.floor > 0 and p.psd
    assert p.dist2 == pytest.approx(float(np.sum(net.weights[0] ** 2)))
    for lemma in (g.EQ_4_3_4, g.EQ_4_4_4_THRESHOLD, g.THEOREM_4_7_1):
        assert lemma.check(p).status is not Status.FAILS
    with pytest.raises(InvalidArgument):
        PacBayesProblem.from_network(net, w0=np.zeros(3))


def test_registry():
    assert registry.get("(4.3.4)") is g.EQ_4_3_4
    assert registry.get("(4.4.4)") is g.EQ_4_4_4
    assert registry.get("4.4.4-threshold") is g.EQ_4_4_4_THRESHOLD
    assert registry.get("4.7.1") is g.THEOREM_4_7_1
    for lem in (g.EQ_4_3_4, g.EQ_4_4_4_THRESHOLD, g.THEOREM_4_7_1):
        assert all(lem.symbolic.verify().values())
