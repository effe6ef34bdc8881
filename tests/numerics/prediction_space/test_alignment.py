"""Kabsch–Umeyama alignment (scipy's orthogonal Procrustes) vs Umeyama's closed form; RMSD;
the four-point basis of eq. (2.4.1); the scale of coincident points (issue 8 D7); the log
domain."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.prediction_space.alignment import (align, align_reference,
                                                             four_point_basis,
                                                             progress_weighted_average, rmsd)
from hyperribbon.numerics.prediction_space.probabilities import ignorance, truth


@settings(max_examples=30)
@given(st.integers(3, 30), st.integers(1, 5), st.booleans(), st.booleans(),
       st.integers(0, 2 ** 32 - 1))
def test_recovers_a_known_similarity_transform(n, d, reflection, with_scale, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    if not reflection and np.linalg.det(Q) < 0:
        Q[:, 0] *= -1
    c = 2.5 if with_scale else 1.0
    t = rng.standard_normal(d)
    a = align(X, c * X @ Q + t, reflection=reflection, scale=with_scale)
    if n > d:                                     # otherwise R is not unique
        np.testing.assert_allclose(a.rotation, Q, atol=1e-9)
    assert a.rmsd < 1e-10
    assert a.scale == pytest.approx(c, rel=1e-10)


@settings(max_examples=30)
@given(st.integers(4, 25), st.integers(2, 4), st.booleans(), st.booleans(),
       st.integers(0, 2 ** 32 - 1))
def test_matches_umeyamas_closed_form_on_noisy_data(n, d, reflection, with_scale, seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((2, n, d))
    a = align(X, Y, reflection=reflection, scale=with_scale)
    r = align_reference(X, Y, reflection=reflection, scale=with_scale)
    assert a.rmsd == pytest.approx(r.rmsd, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(a.aligned, r.aligned, atol=1e-8)
    if not reflection:
        assert np.linalg.det(a.rotation) == pytest.approx(1.0)
    # optimality against random orthogonal maps (with the optimal translation)
    for _ in range(5):
        Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
        if not reflection and np.linalg.det(Q) < 0:
            Q[:, 0] *= -1
        Z = X @ Q
        assert a.rmsd <= rmsd(Z - Z.mean(0) + Y.mean(0), Y) + 1e-12 or with_scale


def test_reflections_help_only_when_allowed():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 3))
    mirror = X * [1, 1, -1]
    assert align(X, mirror).rmsd < 1e-12
    assert align(X, mirror, reflection=False).rmsd > 0.1


def test_progress_weighted_average_and_four_point_basis():
    rng = np.random.default_rng(2)
    N, C = 10, 3
    M = rng.dirichlet(np.ones(C), size=(6, N))
    s = np.linspace(0, 1, 6)
    w = np.exp(-(s - 0.3) ** 2 / (2 * 0.05 ** 2))
    expected = np.einsum("k,knc->nc", w / w.sum(), M)
    np.testing.assert_allclose(progress_weighted_average(M, s, 0.3), expected, atol=1e-15)
    # far from every model: the underflow-safe weights pick the nearest one
    np.testing.assert_allclose(progress_weighted_average(M, s, 5.0, sigma=0.01), M[-1],
                               atol=1e-15)
    B = four_point_basis(M, s, truth(np.arange(N) % C, C))
    assert B.shape == (4, N, C)
    np.testing.assert_allclose(B[0], ignorance(N, C))
    np.testing.assert_allclose(B[2], expected, atol=1e-15)


def test_the_scale_of_coincident_points_is_a_named_error(check_invalid):
    """Issue 8 D7: Umeyama's scale divides by the spread of X; with all points equal it used to
    be 1.0 silently."""
    X = np.ones((4, 2))
    Y = np.random.default_rng(0).standard_normal((4, 2))
    for fn in (align, align_reference):
        err = check_invalid(lambda: fn(X, Y, scale=True), "X", "(4, 2)")
        assert "distinct points" in err.rule
    a = align(X, Y)                                     # without scale it is defined
    np.testing.assert_allclose(a.aligned, np.broadcast_to(Y.mean(0), Y.shape), atol=1e-15)


def test_log_domain_four_point_basis():
    rng = np.random.default_rng(2)
    N, C = 20, 4
    Ps = truth(np.arange(N) % C, C, smoothing=0.1)
    models = rng.dirichlet(np.ones(C), size=(6, N))
    s = np.linspace(0.1, 0.9, 6)
    B = four_point_basis(models, s, Ps)
    BL = four_point_basis(np.log(models), s, np.log(Ps), log=True)
    np.testing.assert_allclose(np.exp(BL), B, rtol=1e-12)


_M = np.ones((2, 3, 2)) / 2


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: align(np.ones((3, 2)), np.ones((3, 3))), "Y", "(3, 3)", id="shapes"),
    pytest.param(lambda: align(np.full((3, 2), np.nan), np.ones((3, 2))), "X", "(3, 2)",
                 id="nan"),
    pytest.param(lambda: align(np.ones((3, 2)), np.full((3, 2), np.inf)), "Y", "(3, 2)",
                 id="inf-Y"),
    pytest.param(lambda: rmsd(np.ones(3), np.ones(3)), "X", "(3,)", id="1d"),
    pytest.param(lambda: align(np.ones((3, 2)), np.ones((3, 2)), scale=1), "scale", "1",
                 id="scale-flag"),
    pytest.param(lambda: align(np.ones((3, 2)), np.zeros((3, 2)), scale=True), "X", "(3, 2)",
                 id="coincident"),
    pytest.param(lambda: progress_weighted_average(_M, [0.1], 0.5), "progress", "[0.1]",
                 id="progress-length"),
    pytest.param(lambda: progress_weighted_average(_M, [0.1, 0.2], 0.5, sigma=0), "sigma", "0",
                 id="sigma"),
    pytest.param(lambda: progress_weighted_average(_M, [0.1, 0.2], np.nan), "s", "nan",
                 id="s"),
    pytest.param(lambda: four_point_basis(_M, [0.1, 0.2], _M[0], np.ones((2, 2)) / 2), "start",
                 "(2, 2)", id="start-shape"),
    pytest.param(lambda: four_point_basis(_M, [0.1, 0.2], _M[0], log="x"), "log", "'x'",
                 id="log"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)
