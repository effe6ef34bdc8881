"""Chapter 5 §5.2 lemmas: verdicts on the thesis's setting, property tests over random sloppy
problems, assumption violations, symbolic proofs, errata and the decision rule."""
import math

import numpy as np
import pytest
from hypothesis import given, settings

import hyperribbon.numerics  # noqa: F401
from hyperribbon.theory import errata, registry
from hyperribbon.theory.linear_models import linear_gd, symbolic
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.lemma import Precision
from hyperribbon.theory.linear_models.problems import LinearGDProblem
from hyperribbon.theory.strategies import linear_gd_problems
from hyperribbon.theory.verdict import Comparison, Status

FIG52 = LinearGDProblem.sloppy(n=50, c=0.2, alpha=0.9, T=50, sigma_w2=0.1, sigma_star2=2.0)
LINEAR_LEMMAS = [lem for lem in registry.all_lemmas() if lem.problem_type is LinearGDProblem]
AS_WRITTEN_EXPECTED_TO_HOLD = [lem for lem in LINEAR_LEMMAS
                               if lem.id != "thesis-lemma-5.2.2-mean"]


@pytest.mark.parametrize("lemma", LINEAR_LEMMAS, ids=lambda lem: lem.id)
def test_verdicts_on_fig52_setting(lemma):
    v = lemma.check(FIG52)
    expected = {"thesis-lemma-5.2.2-mean": "fails",
                "thesis-lemma-5.2.3-large-t": "not_applicable"}.get(lemma.id, "holds")
    assert v.status.value == expected, v.table()
    if expected == "holds":
        assert v.margin >= 1.0
        assert v.precision


@settings(max_examples=220, deadline=None)
@given(linear_gd_problems(max_n=30))
def test_no_as_written_lemma_fails_on_random_sloppy_problems(problem):
    for lemma in AS_WRITTEN_EXPECTED_TO_HOLD:
        v = lemma.check(problem)
        assert v.status is not Status.FAILS, (lemma.id, problem.parameters(), v.table())


@settings(max_examples=60, deadline=None)
@given(linear_gd_problems(max_n=20))
def test_mean_normalisation_of_lemma_5_2_2_fails_exactly_when_predicted(problem):
    v = linear_gd.LEMMA_5_2_2_MEAN.check(problem)
    # λ1(P1^y) = λ1(S1y)/T ≥ ‖y‖² needs λ1(S1y) ≥ T‖y‖², impossible for T ≥ 2 since
    # λ1(S1y) ≤ Σ_t ‖K_d^t y‖² < T‖y‖².
    if problem.T >= 2:
        assert v.status is Status.FAILS
    else:
        assert v.status is not Status.FAILS


def test_concentration_event_frequency():
    from hyperribbon.theory.linear_models.linear_gd import _eval_5_2_11
    from hyperribbon.theory.verdict import decide
    fails = 0
    for seed in range(400):
        p = LinearGDProblem.sloppy(n=30, c=0.3, T=5, seed=seed)
        fails += decide(_eval_5_2_11(p, Precision.FLOAT64, delta=0.05)) is Status.FAILS
    assert fails / 400 <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 400)
    assert linear_gd.EQ_5_2_11.check(LinearGDProblem.sloppy(seed=3)).holds


@pytest.mark.parametrize("lemma,alpha", [
    pytest.param(linear_gd.LEMMA_5_2_1, 1.0, id="5.2.1-alpha-eq-1/lambda1"),
    pytest.param(linear_gd.LEMMA_5_2_3, 1.2, id="5.2.3-alpha-gt-1/lambda1"),
    pytest.param(linear_gd.EQ_5_2_8, 1.5, id="5.2.8-alpha-gt-1/lambda1"),
    pytest.param(linear_gd.EQ_5_2_10, 1.99, id="5.2.10-alpha-near-2/lambda1"),
])
def test_assumption_violation_is_not_applicable_and_named(lemma, alpha):
    v = lemma.check(FIG52.replace(alpha=alpha))
    assert v.status is Status.NOT_APPLICABLE
    assert any("1/λ1" in a for a in v.failed_assumptions)
    assert not v.comparisons


def test_k_star_assumption():
    p = LinearGDProblem.sloppy(n=20, c=2.0, alpha=0.5, T=2)   # 2Tα = 2 < e^4
    v = linear_gd.LEMMA_5_2_3.check(p)
    assert v.status is Status.NOT_APPLICABLE and "k*" in v.failed_assumptions[0]


def test_eq_5_2_8_fails_outside_its_assumption_when_forced():
    # (5.2.8) needs αλ1 ≤ 1: with αλ1 = 1.99 and T = 2 the first inequality is false.
    p = LinearGDProblem.from_spectrum([1.0, 0.5], yhat=[1.0, 1.0], alpha=1.99, T=2)
    v = linear_gd.EQ_5_2_8.check(p)
    assert v.status is Status.NOT_APPLICABLE
    kT = np.max((1 - (1 - p.s) ** 2) / (2 * p.s))
    assert kT > (1 - (1 - p.s[0]) ** 2) / (2 * p.alpha * p.lambdan)


def test_escalation_reaches_mpmath_for_tight_tails():
    p = LinearGDProblem.sloppy(n=30, c=1.0, alpha=0.9, T=5000, sigma_w2=0.0)
    v = linear_gd.LEMMA_5_2_1.check(p, ladder=[Precision.FLOAT64, Precision.MPMATH])
    assert v.status is Status.HOLDS
    only_float = linear_gd.LEMMA_5_2_1.check(p, ladder=[Precision.FLOAT64])
    assert only_float.status in (Status.HOLDS, Status.UNDECIDED)


def test_decision_rule_never_decides_inside_error_bars():
    c = Comparison("x", [1, 2, 3], [1.0, 1.0, 2.0], [1.0 + 1e-15, 0.5, 1.0],
                   [1e-14, 1e-14, 1e-14], [0.0, 0.0, 0.0], "<=")
    assert list(c.statuses) == ["undecided", "fails", "fails"]
    c = Comparison("x", [1], [1.0], [1.0 + 1e-10], [1e-12], [1e-12], "<=")
    assert list(c.statuses) == ["holds"]
    eq = Comparison("x", [1, 2], [1.0, 1.0], [1.0 + 1e-15, 1.1], [1e-14, 1e-14], [0, 0], "==")
    assert list(eq.statuses) == ["holds", "fails"]


@pytest.mark.parametrize("lemma", [lem for lem in registry.all_lemmas() if lem.symbolic.proofs],
                         ids=lambda lem: lem.id)
def test_symbolic_proofs_hold(lemma):
    results = lemma.symbolic.verify()
    assert results and all(results.values()), results


def test_symbolic_negative_control():
    import sympy as sp
    a, l = sp.symbols("alpha lambda", positive=True)
    T = symbolic._T
    wrong = (1 - (1 - a * l) ** T) / (a * l)          # missing 1/T
    q = 1 - a * l
    assert symbolic._is_zero(symbolic._sum_q_ne_1(q) / T - (1 - q**T) / (a * T * l))
    assert not symbolic._is_zero(symbolic._sum_q_ne_1(q) / T - wrong)


def test_errata_regenerated_content():
    rows = {r["id"]: r for r in errata.regenerate()}
    # E1–E10 are this subject's and Chapters 2–3's; other subjects append their own (N1, …)
    assert {k for k in rows if k.startswith("E")} == {f"E{k}" for k in range(1, 11)}
    for r in rows.values():
        assert (r["as_written"], r["corrected"]) == ("fails", "holds"), r
    assert "0.625" in rows["E1"]["measured"]


@pytest.mark.parametrize("key,expected", [
    pytest.param("5.2.3", "thesis-lemma-5.2.3", id="lemma-number"),
    pytest.param("(5.2.3)", "thesis-eq-5.2.3", id="equation-parens"),
    pytest.param("eq5.2.3", "thesis-eq-5.2.3", id="equation-prefix"),
    pytest.param("5.2.10", "thesis-eq-5.2.10", id="equation-only-number"),
    pytest.param("5.2.3-small-t", "thesis-lemma-5.2.3-small-t", id="variant"),
    pytest.param("thesis-lemma-5.2.2-mean", "thesis-lemma-5.2.2-mean", id="id"),
])
def test_registry_addressing(key, expected):
    assert registry.get(key).id == expected


@pytest.mark.parametrize("key", [pytest.param("9.9.9", id="unknown"),
                                 pytest.param("5.2.3-nonsense", id="bad-variant")])
def test_registry_unknown_key(key):
    with pytest.raises(InvalidArgument, match="key"):
        registry.get(key)


def test_check_rejects_wrong_problem_type():
    with pytest.raises(InvalidArgument, match="problem"):
        linear_gd.LEMMA_5_2_3.check({"n": 3})


def test_latex_renders_every_statement():
    for lem in registry.all_lemmas():
        assert isinstance(lem.latex(), str) and lem.latex()
