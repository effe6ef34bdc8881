"""Random stochastic projection of the class axis (§3.5.2): contraction and measured distortion."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.prediction_space.distances import (METRICS, UndefinedRatioWarning,
                                                             pairwise_distances)
from hyperribbon.numerics.prediction_space.probabilities import truth
from hyperribbon.numerics.prediction_space.projection import (project_classes,
                                                              projection_distortion,
                                                              random_stochastic_matrix)


def test_random_matrix_is_column_stochastic_and_seeded():
    M = random_stochastic_matrix(30, 7, seed=3)
    assert M.shape == (7, 30) and np.all(M >= 0)
    np.testing.assert_allclose(M.sum(axis=0), 1, atol=1e-14)
    np.testing.assert_array_equal(M, random_stochastic_matrix(30, 7, seed=3))


@settings(max_examples=30)
@given(st.integers(2, 8), st.integers(1, 10), st.integers(2, 20), st.integers(2, 6),
       st.integers(0, 2 ** 32 - 1))
def test_projection_contracts_bhattacharyya_and_geodesic_distances(m, N, C, k, seed):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(C, 0.3), size=(m, N))
    M = random_stochastic_matrix(C, k, seed=seed)
    Q = project_classes(P, M)
    np.testing.assert_allclose(Q.sum(-1), 1, atol=1e-13)
    for metric in ("bhattacharyya", "geodesic", "symmetric_kl"):   # data-processing inequality
        D, DM = pairwise_distances(P, metric=metric), pairwise_distances(Q, metric=metric)
        fin = np.isfinite(D)
        tol = 1e-7 if metric == "geodesic" else 1e-12
        assert np.all(DM[fin] <= D[fin] + tol)


@pytest.mark.parametrize("metric", METRICS)
def test_permutation_is_distortion_free(metric):
    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.ones(6), size=(7, 15))
    M = np.eye(6)[rng.permutation(6)]
    d = projection_distortion(P, M, metric=metric)
    assert d.relative_frobenius < 1e-7 and d.rank_correlation == pytest.approx(1.0)
    assert d.min_ratio == pytest.approx(1.0, abs=1e-6)


def test_distortion_report_on_many_classes():
    """Models along a trajectory (C = 100): the projection shrinks distances but keeps their
    order (the structure InPCA sees); unstructured random models would not keep it."""
    from hyperribbon.numerics.prediction_space.geodesics import geodesic
    from hyperribbon.numerics.prediction_space.probabilities import ignorance, truth
    rng = np.random.default_rng(2)
    N, C = 30, 100
    path = geodesic(ignorance(N, C), truth(rng.integers(0, C, N), C, smoothing=0.1),
                    np.linspace(0, 1, 12))
    P = 0.9 * path + 0.1 * rng.dirichlet(np.full(C, 0.1), size=(12, N))
    d = projection_distortion(P, random_stochastic_matrix(C, 20, seed=0))
    assert 0 < d.min_ratio <= d.median_ratio <= d.max_ratio <= 1 + 1e-12
    assert d.rank_correlation > 0.9
    assert d.D.shape == d.D_projected.shape == (12, 12)
    np.testing.assert_allclose(d.relative_frobenius,
                               np.linalg.norm(d.D_projected - d.D) / np.linalg.norm(d.D))


def test_distortion_of_an_all_zero_matrix_is_nan_with_a_named_warning():
    """Issue 8 D7: ‖D_M − D‖/‖D‖ with every distance 0 (identical models)."""
    P = np.broadcast_to(np.random.default_rng(0).dirichlet(np.ones(6), size=5), (3, 5, 6))
    M = random_stochastic_matrix(6, 3, seed=0)
    with pytest.warns(UndefinedRatioWarning) as record:
        d = projection_distortion(np.array(P), M)
    messages = " ".join(str(w.message) for w in record)
    assert "relative Frobenius" in messages and "rank correlation" in messages
    assert np.isnan(d.relative_frobenius) and np.isnan(d.rank_correlation)


def test_log_domain_projection():
    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.ones(12), size=(4, 9))
    M = random_stochastic_matrix(12, 4, seed=2)
    np.testing.assert_allclose(np.exp(project_classes(np.log(P), M, log=True)),
                               project_classes(P, M), rtol=1e-12)
    d, dl = projection_distortion(P, M), projection_distortion(np.log(P), M, log=True)
    np.testing.assert_allclose(dl.D_projected, d.D_projected, rtol=1e-10)


_P3 = np.ones((1, 2, 3)) / 3


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: random_stochastic_matrix(1, 3), "n_classes", "1", id="classes"),
    pytest.param(lambda: random_stochastic_matrix(5, 1), "n_components", "1", id="components"),
    pytest.param(lambda: random_stochastic_matrix(5, 2, concentration=0), "concentration", "0",
                 id="concentration"),
    pytest.param(lambda: project_classes(_P3, np.ones((2, 4)) / 2), "M", "(2, 4)",
                 id="M-shape"),
    pytest.param(lambda: project_classes(_P3, np.ones((2, 3))), "M", "(2, 3)",
                 id="M-not-stochastic"),
    pytest.param(lambda: project_classes(_P3, np.ones((2, 3)) / 2, log=[1]), "log", "[1]",
                 id="log"),
    pytest.param(lambda: project_classes(-_P3, np.ones((2, 3)) / 2), "probabilities",
                 "(1, 2, 3)", id="negative"),
    pytest.param(lambda: projection_distortion(np.ones((2, 2, 3)) / 3, np.ones((2, 3)) / 2,
                                               metric="l1"), "metric", "'l1'", id="metric"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)


def test_rank_correlation_of_constant_distances_is_nan_with_a_named_warning():
    """Issue 8 D7: a correlation divides by the spread of both sides."""
    P = np.stack([truth([0, 1], 3), truth([1, 2], 3), truth([2, 0], 3)]) * 0.7 + 0.1
    M = np.full((2, 3), 0.5)                            # maps every model to the same point
    with pytest.warns(UndefinedRatioWarning, match="rank correlation"):
        d = projection_distortion(P, M, metric="euclidean")
    assert np.isnan(d.rank_correlation) and d.max_ratio < 1e-30
