"""Remark 2.2.1 (progress of confident models), Theorem 2.5.1 (isometry), eq. (2.2.9)."""
import math

import mpmath
import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.theory.prediction_space import infogeo
from hyperribbon.theory import registry
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.prediction_space.infogeo import (EQ_2_2_9, EQ_2_2_9_CORRECTED,
                                                         REMARK_2_2_1, REMARK_2_2_1_CLOSED_FORM,
                                                         THEOREM_2_5_1, PremetricSpace,
                                                         ProbabilityEnsemble, confident_objective,
                                                         confident_progress, sharp_threshold,
                                                         thesis_threshold)
from hyperribbon.theory.lemma import Precision
from hyperribbon.theory.verdict import Status


# ----------------------------------------------------------------- Remark 2.2.1
@pytest.mark.parametrize("C", [2, 3, 5, 10, 100, 1000])
def test_closed_form_against_numerical_minimisation_of_the_objective(C):
    for eps in np.linspace(0, 1, 41):
        if C == 2 and eps == 0.5:
            continue
        r = scipy.optimize.minimize_scalar(lambda a: confident_objective(a, eps, C),
                                           bounds=(0, 1), method="bounded",
                                           options={"xatol": 1e-12})
        best = min([0.0, 1.0, r.x], key=lambda a: confident_objective(a, eps, C))
        assert confident_progress(eps, C) == pytest.approx(best, abs=2e-6)
        # and no grid point does better than the closed form
        grid = np.linspace(0, 1, 2001)
        assert confident_objective(confident_progress(eps, C), eps, C) <= \
            np.min(confident_objective(grid, eps, C)) + 1e-14


def test_closed_form_in_mpmath_agrees_with_float():
    for eps in (0.3, 0.76, 0.8, 0.89):
        assert float(confident_progress(eps, 10, dps=50)) == pytest.approx(
            confident_progress(eps, 10), abs=1e-14)
    with mpmath.workdps(30):
        f0 = confident_objective(confident_progress(0.8, 10, dps=30), 0.8, 10, mp=True)
        f1 = confident_objective(confident_progress(0.8, 10, dps=30) + mpmath.mpf("1e-10"), 0.8,
                                 10, mp=True)
        assert f0 < f1


def test_thresholds():
    for C in range(2, 2000, 37):
        assert thesis_threshold(C) <= sharp_threshold(C)          # the thesis's is sufficient
        if C > 2:
            assert confident_progress(sharp_threshold(C), C) == 1.0
            assert confident_progress(min(sharp_threshold(C) + 1e-6, 1.0), C) < 1.0
    assert thesis_threshold(10) == pytest.approx(0.683772, abs=1e-6)
    assert sharp_threshold(10) == pytest.approx(0.75)


@settings(max_examples=25)
@given(st.integers(5, 60), st.integers(2, 12),
       st.lists(st.floats(0, 1), min_size=1, max_size=6), st.integers(0, 1000))
def test_closed_form_lemma_holds_on_confident_ensembles(N, C, eps, seed):
    p = ProbabilityEnsemble.confident(N, C, eps, seed=seed)
    v = REMARK_2_2_1_CLOSED_FORM.check(p)
    if C == 2 and np.any(p.error_rates() == 0.5):
        assert v.status is Status.NOT_APPLICABLE
    else:
        assert v.status is Status.HOLDS, v.table()
        np.testing.assert_allclose(p.error_rates(), np.round(np.asarray(eps) * N) / N)


def test_as_written_holds_where_its_premise_does_and_is_not_applicable_otherwise():
    p = ProbabilityEnsemble.confident(50, 10, [0.0, 0.2, 0.6, 0.9], seed=1)
    v = REMARK_2_2_1.check(p)
    assert v.status is Status.HOLDS
    assert v.comparisons[0].index.tolist() == [0, 1, 2]               # ε < 0.684 only
    q = ProbabilityEnsemble.confident(50, 10, [0.8, 0.9], seed=1)
    assert REMARK_2_2_1.check(q).status is Status.NOT_APPLICABLE
    soft = ProbabilityEnsemble(np.full((1, 4, 3), 1 / 3), labels=np.array([0, 1, 2, 0]))
    w = REMARK_2_2_1_CLOSED_FORM.check(soft)
    assert w.status is Status.NOT_APPLICABLE and "confident" in w.failed_assumptions[0]
    nolabels = ProbabilityEnsemble(p.probabilities)
    assert REMARK_2_2_1.check(nolabels).status is Status.NOT_APPLICABLE


def test_progress_can_be_one_with_high_error():
    """The remark's point: ε = 0.74 > 1 − 1/√10 still has progress exactly 1 (sharp form)."""
    p = ProbabilityEnsemble.confident(100, 10, [0.74], seed=3)
    v = REMARK_2_2_1_CLOSED_FORM.check(p)
    assert v.status is Status.HOLDS and v.comparisons[0].lhs[0] == 1.0


def test_symbolic_proofs():
    assert all(REMARK_2_2_1.symbolic.verify().values())
    assert all(THEOREM_2_5_1.symbolic.verify().values())


# ----------------------------------------------------------------- Theorem 2.5.1
@settings(max_examples=25)
@given(st.integers(2, 25), st.integers(3, 20), st.integers(2, 6), st.integers(0, 10 ** 6))
def test_isometry_holds_on_random_premetric_spaces(m, N, C, seed):
    space = PremetricSpace.random_bhattacharyya(m=m, n_samples=N, n_classes=C, seed=seed)
    v = THEOREM_2_5_1.check(space)
    assert v.status is Status.HOLDS, v.table()
    assert v.precision == "float64"


def test_isometry_for_a_generic_premetric_and_at_mpmath_precision():
    rng = np.random.default_rng(0)
    A = rng.random((9, 9)) * 5
    D = A + A.T
    np.fill_diagonal(D, 0)
    space = PremetricSpace(D)
    assert THEOREM_2_5_1.check(space).status is Status.HOLDS
    v = THEOREM_2_5_1.check(space, ladder=(Precision.MPMATH,))
    assert v.status is Status.HOLDS and v.precision == "mpmath"


def test_isometry_assumptions():
    D = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.5], [2.0, 1.5, 0.0]])
    assert THEOREM_2_5_1.check(PremetricSpace(D)).status is Status.HOLDS
    asym = D.copy()
    asym[0, 1] = 1.1
    v = THEOREM_2_5_1.check(PremetricSpace(asym))
    assert v.status is Status.NOT_APPLICABLE and "symmetric" in v.failed_assumptions[0]
    diag = D + np.eye(3)
    assert THEOREM_2_5_1.check(PremetricSpace(diag)).status is Status.NOT_APPLICABLE


# ----------------------------------------------------------------- eq. (2.2.9)
def test_out_of_sample_formula_as_printed_fails_and_corrected_holds():
    space = PremetricSpace.random_bhattacharyya(m=20, seed=0)
    printed, corrected = EQ_2_2_9.check(space), EQ_2_2_9_CORRECTED.check(space)
    assert printed.status is Status.FAILS
    assert corrected.status is Status.HOLDS
    # with a Euclidean (positive semidefinite) W the printed formula is right
    X = np.random.default_rng(1).standard_normal((10, 3))
    E = PremetricSpace(np.sum((X[:, None] - X[None]) ** 2, axis=-1))
    assert EQ_2_2_9.check(E).status is Status.HOLDS


# ----------------------------------------------------------------- registry and problems
def test_registry_addresses():
    assert registry.get("thesis-theorem-2.5.1") is THEOREM_2_5_1
    assert registry.get("2.5.1") is THEOREM_2_5_1
    assert registry.get("2.2.1") is REMARK_2_2_1
    assert registry.get("2.2.1-closed-form") is REMARK_2_2_1_CLOSED_FORM
    assert registry.get("(2.2.9)") is EQ_2_2_9
    assert registry.get("2.2.9-corrected") is EQ_2_2_9_CORRECTED
    assert "Theorem 2.5.1" in THEOREM_2_5_1.summary()["provenance"]
    assert THEOREM_2_5_1.latex()


def test_measurements_are_installed_by_numerics():
    prog = infogeo.measure("progress")
    emb = infogeo.measure("embedding")
    assert prog.__module__ == "hyperribbon.numerics.prediction_space.geodesics"
    assert callable(emb)
    with pytest.raises(InvalidArgument):
        infogeo.measure("curvature")


def test_problems_accept_tensors_and_paths(tmp_path):
    import torch
    P = ProbabilityEnsemble.confident(6, 3, [0.2, 0.5], seed=1)
    np.save(tmp_path / "P.npy", P.probabilities)
    for given in (torch.tensor(P.probabilities, requires_grad=True), tmp_path / "P.npy",
                  P.probabilities.tolist(), P.probabilities.astype(int)):
        Q = ProbabilityEnsemble(given, labels=torch.tensor(P.labels))
        np.testing.assert_array_equal(Q.probabilities, P.probabilities)
        np.testing.assert_array_equal(Q.labels, P.labels)
    D = PremetricSpace.random_bhattacharyya(m=5, seed=2).D
    np.testing.assert_array_equal(PremetricSpace(torch.tensor(D, requires_grad=True)).D, D)


def test_random_bhattacharyya_premetric_is_accurate():
    """Built with 1 − BC = ½‖√p − √q‖² (no cancellation): equal to the mpmath reference."""
    from hyperribbon.numerics import pairwise_reference
    rng = np.random.default_rng(3)
    P = rng.dirichlet(np.full(4, 0.2), size=(6, 10))
    D = PremetricSpace.random_bhattacharyya(m=6, n_samples=10, n_classes=4, concentration=0.2,
                                            seed=3).D
    R = pairwise_reference(P)
    np.fill_diagonal(R, 0.0)
    np.testing.assert_allclose(D, R, rtol=1e-12, atol=0)


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: ProbabilityEnsemble(np.ones((2, 3))), "probabilities", "(2, 3)",
                 id="2d"),
    pytest.param(lambda: ProbabilityEnsemble(np.ones((1, 2, 2))), "probabilities", "(1, 2, 2)",
                 id="sums"),
    pytest.param(lambda: ProbabilityEnsemble([["a"]]), "probabilities", "'a'", id="strings"),
    pytest.param(lambda: ProbabilityEnsemble("missing.npy"), "probabilities", "missing.npy",
                 id="missing-path"),
    pytest.param(lambda: ProbabilityEnsemble(np.full((1, 2, 2), 0.5), labels=[0, 2]), "labels",
                 "[0, 2]", id="labels-range"),
    pytest.param(lambda: ProbabilityEnsemble.confident(10, 1, [0.1]), "n_classes", "1", id="C"),
    pytest.param(lambda: ProbabilityEnsemble.confident(10, 3, [1.5]), "error_rates", "[1.5]",
                 id="eps"),
    pytest.param(lambda: PremetricSpace(np.ones((2, 3))), "D", "(2, 3)", id="non-square"),
    pytest.param(lambda: PremetricSpace(np.zeros((1, 1))), "D", "(1, 1)", id="one-point"),
    pytest.param(lambda: PremetricSpace(1j * np.ones((2, 2))), "D", "complex128", id="complex"),
    pytest.param(lambda: confident_progress(0.5, 2), "error_rate", "0.5", id="degenerate"),
    pytest.param(lambda: confident_progress(1.2, 10), "error_rate", "1.2", id="eps-range"),
    pytest.param(lambda: sharp_threshold(1), "n_classes", "1", id="threshold-C"),
    pytest.param(lambda: ProbabilityEnsemble(np.full((1, 2, 2), 0.5)).error_rates(), "labels",
                 "None", id="no-labels"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)


def test_check_rejects_the_wrong_problem_type():
    with pytest.raises(InvalidArgument):
        THEOREM_2_5_1.check(ProbabilityEnsemble.confident(5, 3, [0.0]))


def test_lemma_objects_are_frozen_problems():
    p = ProbabilityEnsemble.confident(5, 3, [0.2])
    with pytest.raises(ValueError):
        p.probabilities[0, 0, 0] = 0.5
    assert p.parameters() == {"m": 1, "N": 5, "C": 3, "seed": 0, "labels": True}
    assert math.isclose(p.error_rates()[0], 0.2)
