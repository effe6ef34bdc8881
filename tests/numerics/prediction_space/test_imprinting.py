"""Imprinting (eq. 3.2.1): invariance under orthogonal maps (§3.5.5), optimality (§3.5.4)."""
import numpy as np
import pytest
import scipy.optimize
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.prediction_space.distances import pairwise_distances
from hyperribbon.numerics.prediction_space.imprinting import (imprint, imprint_trajectory,
                                                              imprint_weights,
                                                              imprinted_probabilities)


@settings(max_examples=30)
@given(st.integers(2, 6), st.integers(1, 12), st.integers(0, 2 ** 32 - 1))
def test_invariance_under_orthogonal_maps(C, d, seed):
    rng = np.random.default_rng(seed)
    n = 5 * C
    phi = rng.standard_normal((n, d)) + 0.5
    y = np.arange(n) % C
    U = np.linalg.qr(rng.standard_normal((d, d)))[0]
    P = imprint(phi, y, C)
    PU = imprint(phi @ U.T, y, C)
    np.testing.assert_allclose(PU, P, atol=1e-12)
    D = pairwise_distances(np.stack([P, PU]))
    assert D[0, 1] < 1e-12                                    # zero Bhattacharyya distance


def test_imprinted_rows_maximise_the_class_term_on_the_unit_sphere():
    rng = np.random.default_rng(1)
    phi, y = rng.standard_normal((40, 4)), np.arange(40) % 3
    W = imprint_weights(phi, y, 3)
    np.testing.assert_allclose(np.linalg.norm(W, axis=1), 1, atol=1e-15)
    for c in range(3):
        h = phi[y == c].sum(0)
        r = scipy.optimize.minimize(lambda v: -(v / np.linalg.norm(v)) @ h, rng.standard_normal(4))
        v = r.x / np.linalg.norm(r.x)
        np.testing.assert_allclose(W[c], v, atol=1e-5)
        assert W[c] @ h >= v @ h - 1e-12


def test_probabilities_trajectories_and_torch():
    rng = np.random.default_rng(2)
    F = rng.standard_normal((3, 30, 5))                      # 3 checkpoints
    y = np.arange(30) % 4
    E = rng.standard_normal((3, 12, 5))
    T = imprint_trajectory(F, y, 4, E)
    assert T.shape == (3, 12, 4)
    np.testing.assert_allclose(T.sum(-1), 1, atol=1e-14)
    np.testing.assert_allclose(T[1], imprinted_probabilities(E[1], imprint_weights(F[1], y, 4)))
    np.testing.assert_allclose(imprint(torch.from_numpy(F[0]), torch.from_numpy(y), 4),
                               imprint(F[0], y, 4))


def test_log_domain_predictions_are_exact_where_the_softmax_underflows():
    rng = np.random.default_rng(3)
    phi, y = rng.standard_normal((30, 4)) * 500, np.arange(30) % 3
    P = imprint(phi, y, 3)
    L = imprint(phi, y, 3, log=True)
    assert np.any(P == 0) and np.all(np.isfinite(L))
    np.testing.assert_allclose(np.exp(L), P, rtol=1e-12, atol=0)
    T = imprint_trajectory(phi[None].repeat(2, 0), y, 3, log=True)
    np.testing.assert_array_equal(T[1], L)


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: imprint_weights(np.ones((4, 2)), [0, 1, 0, 1], 3), "labels",
                 "(4,)", id="missing-class"),
    pytest.param(lambda: imprint_weights(np.ones((4, 2)), [0, 1, 0], 2), "labels", "(3,)",
                 id="label-count"),
    pytest.param(lambda: imprint_weights(np.full((2, 2), np.nan), [0, 1], 2), "features",
                 "(2, 2)", id="nan"),
    pytest.param(lambda: imprint_weights(np.ones((2, 2)), [0, 1], 1), "n_classes", "1",
                 id="classes"),
    pytest.param(lambda: imprinted_probabilities(np.ones((2, 3)), np.ones((2, 2))), "weights",
                 "(2, 2)", id="dims"),
    pytest.param(lambda: imprinted_probabilities(np.ones((2, 2)), np.ones((2, 2)), log="y"),
                 "log", "'y'", id="log"),
    pytest.param(lambda: imprint_trajectory(np.ones((4, 2)), [0, 1, 0, 1], 2), "features",
                 "(4, 2)", id="2d-trajectory"),
    pytest.param(lambda: imprint_trajectory(np.ones((2, 4, 2)), [0, 1, 0, 1], 2,
                                            np.ones((3, 4, 2))), "eval_features", "(3, 4, 2)",
                 id="T"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)
