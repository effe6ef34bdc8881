"""The Chapter-4 hypothesis strategies: registered with the framework, drawing valid problems
over the declared domains, and a falsifier pass over every Chapter-4 lemma that finds the known
counterexamples and none for the statements that hold."""
import numpy as np
import pytest
from hypothesis import given, settings

import hyperribbon.theory.networks as networks
from hyperribbon.theory import registry
from hyperribbon.theory.networks import (InnerProductKernelProblem, NetworkProblem,
                                         PacBayesProblem, network_problems)
from hyperribbon.theory.errors import AssumptionViolated
from hyperribbon.theory.strategy_registry import registered_problem_types, strategy_for

CH4 = [lem for lem in registry.all_lemmas() if lem.problem_type in
       (NetworkProblem, PacBayesProblem, InnerProductKernelProblem)]
FALSE_AS_WRITTEN = {"thesis-remark-4.7.5", "thesis-corollary-4.7.7-proof-step",
                    "thesis-remark-4.3.3"}
TRUE = {"thesis-theorem-4.3.1", "thesis-eq-4.7.6", "thesis-lemma-4.7.2", "thesis-lemma-4.7.3",
        "thesis-lemma-4.3.2", "thesis-corollary-4.7.7-gauss-newton",
        "thesis-remark-4.7.5-corrected", "thesis-remark-4.3.3-corrected", "thesis-eq-4.3.4",
        "thesis-eq-4.4.4-threshold", "thesis-theorem-4.7.1"}


def test_strategies_are_registered_for_every_chapter_4_problem_type():
    types = registered_problem_types()
    for t in (NetworkProblem, PacBayesProblem, InnerProductKernelProblem):
        assert t in types
        assert strategy_for(t, small=True) is not None
    assert {lem.id for lem in CH4} >= FALSE_AS_WRITTEN | TRUE


@settings(max_examples=60, deadline=None)
@given(network_problems())
def test_drawn_networks_respect_the_declared_domains(p):
    D = networks.NETWORK_DOMAINS
    assert D["depth"].contains(p.depth) and p.depth <= 2
    assert all(1 <= w <= 8 for w in p.widths[:-1]) and 2 <= p.m <= 4 and 1 <= p.n <= 8
    assert p.loss in networks.LOSSES
    if all(a.known for a in p.activations):
        assert np.all(np.isfinite(p.forward.z))
    else:
        with pytest.raises(AssumptionViolated):
            p.forward
    if p.activation_assumption:
        assert p.activation_bound >= 1.0


@settings(max_examples=40, deadline=None)
@given(strategy_for(PacBayesProblem))
def test_drawn_spectra_respect_the_declared_domains(p):
    D = networks.PAC_BAYES_DOMAINS
    assert D["eps"].contains(p.eps) and D["n"].contains(p.n) and D["delta"].contains(p.delta)
    assert np.all(np.diff(p.eigenvalues) <= 0) and p.eigenvalues[-1] >= 0


def test_falsifier_finds_the_known_counterexamples_and_only_those():
    from hyperribbon.experiments.falsify import falsify_lemma
    for lem in CH4:
        if lem.id not in FALSE_AS_WRITTEN | TRUE:
            continue
        row = falsify_lemma(lem, examples=25, seed=0, database=None, small=True)
        if lem.id in FALSE_AS_WRITTEN:
            assert row["status"] == "counterexample", row
        else:
            assert row["status"] == "no counterexample", row
            assert row["applicable"] > 0, row
