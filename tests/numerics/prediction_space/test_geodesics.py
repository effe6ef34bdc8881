"""Geodesics on the product of spheres (eq. 2.2.3) and progress (eq. 2.2.4)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.prediction_space.distances import geodesic_distance, per_sample_distances
from hyperribbon.numerics.prediction_space.geodesics import (GeodesicFrame, distance_to_geodesic,
                                                             geodesic, geodesic_objective,
                                                             geodesic_reference, progress,
                                                             progress_reference)
from hyperribbon.numerics.prediction_space.probabilities import ignorance, truth
from hyperribbon.theory.errors import InvalidArgument


@st.composite
def pairs(draw, max_N=10, max_C=6):
    N, C = draw(st.integers(1, max_N)), draw(st.integers(2, max_C))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    conc = draw(st.sampled_from([0.1, 1.0, 10.0]))
    p = rng.dirichlet(np.full(C, conc), size=N)
    q = rng.dirichlet(np.full(C, conc), size=N)
    if draw(st.booleans()):
        q[0] = p[0]                                   # a sample where the end points coincide
    return p, q


@given(pairs(), st.lists(st.floats(0, 1), min_size=1, max_size=4))
def test_geodesic_matches_the_literal_formula(pq, alphas):
    p, q = pq
    np.testing.assert_allclose(geodesic(p, q, alphas), geodesic_reference(p, q, alphas),
                               rtol=0, atol=1e-12)


@given(pairs(), st.floats(0, 1))
def test_geodesic_is_traversed_at_constant_speed(pq, alpha):
    p, q = pq
    g = geodesic(p, q, alpha)
    np.testing.assert_allclose(g.sum(-1), 1, atol=1e-14)
    whole = per_sample_distances(p, q, "geodesic")
    np.testing.assert_allclose(per_sample_distances(p, g, "geodesic"), alpha * whole,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(per_sample_distances(g, q, "geodesic"), (1 - alpha) * whole,
                               rtol=1e-9, atol=1e-12)


def test_geodesic_end_points():
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(4), size=(2, 6))
    np.testing.assert_allclose(geodesic(p, q, 0.0), p, atol=1e-15)
    np.testing.assert_allclose(geodesic(p, q, 1.0), q, atol=1e-15)
    assert geodesic(p, q, [0.1, 0.2, 0.3]).shape == (3, 6, 4)


@given(st.integers(1, 40), st.integers(2, 12), st.sampled_from([0.0, 0.1, 0.5]),
       st.lists(st.floats(0, 1), min_size=1, max_size=5), st.integers(0, 2 ** 32 - 1))
def test_progress_of_points_on_the_geodesic_is_their_alpha(N, C, smoothing, alphas, seed):
    y = np.random.default_rng(seed).integers(0, C, N)
    Ps = truth(y, C, smoothing=min(smoothing, (C - 1) / C - 1e-3))
    P0 = ignorance(N, C)
    G = geodesic(P0, Ps, alphas)
    theta = np.mean(GeodesicFrame(P0, Ps).theta)             # α is resolved to ~ε/θ
    np.testing.assert_allclose(progress(G, Ps), alphas, rtol=0, atol=1e-12 + 1e-14 / theta)
    s, d = progress(G, Ps, return_distance=True)
    np.testing.assert_allclose(d, 0, atol=1e-12)


@settings(max_examples=20)
@given(st.integers(2, 12), st.integers(2, 6), st.integers(0, 2 ** 32 - 1))
def test_progress_matches_brute_force_minimisation(N, C, seed):
    rng = np.random.default_rng(seed)
    Ps = truth(rng.integers(0, C, N), C)
    M = rng.dirichlet(np.full(C, 0.5), size=(2, N))
    M[1] = 0.5 * M[1] + 0.5 * Ps                     # pulled towards the truth
    s = progress(M, Ps)
    for i in range(2):
        ref = progress_reference(M[i], Ps, n_grid=401)
        obj = geodesic_objective(M[i], Ps, alpha=[s[i], ref])[0]
        assert obj[0] <= obj[1] + 1e-13                   # never worse than the reference
        assert abs(s[i] - ref) < 1e-6 or abs(obj[0] - obj[1]) < 1e-12
    assert np.all((0 <= s) & (s <= 1))


def test_progress_is_equivariant_under_sample_permutation():
    rng = np.random.default_rng(1)
    N, C = 30, 5
    y = rng.integers(0, C, N)
    M = rng.dirichlet(np.ones(C), size=(4, N))
    perm = rng.permutation(N)
    np.testing.assert_allclose(progress(M[:, perm], truth(y[perm], C)), progress(M, truth(y, C)),
                               atol=1e-13)


def test_progress_with_another_start_and_single_model():
    rng = np.random.default_rng(2)
    a, b = rng.dirichlet(np.ones(3), size=(2, 8))
    g = geodesic(a, b, 0.37)
    assert progress(g, b, start=a) == pytest.approx(0.37, abs=1e-12)
    d, s = distance_to_geodesic(g, b, start=a)
    assert d == pytest.approx(0.0, abs=1e-12) and s == pytest.approx(0.37, abs=1e-12)


def test_distance_to_geodesic_is_the_distance_to_the_projection():
    rng = np.random.default_rng(3)
    N, C = 20, 4
    Ps = truth(rng.integers(0, C, N), C)
    M = rng.dirichlet(np.ones(C), size=(3, N))
    d, s = distance_to_geodesic(M, Ps, metric="geodesic")
    np.testing.assert_allclose(d, progress(M, Ps, return_distance=True)[1], atol=1e-12)
    dB, _ = distance_to_geodesic(M, Ps)
    proj = geodesic(ignorance(N, C), Ps, s)
    from hyperribbon.numerics.prediction_space.distances import bhattacharyya
    np.testing.assert_allclose(dB, bhattacharyya(M, proj), atol=1e-14)


def test_frame_coordinates_are_exact_for_points_on_the_circle():
    rng = np.random.default_rng(4)
    p, q = rng.dirichlet(np.ones(5), size=(2, 7))
    f = GeodesicFrame(p, q)
    np.testing.assert_allclose(f.theta, per_sample_distances(p, q, "geodesic"), atol=1e-15)
    a, b, rho2 = f.coordinates(geodesic(p, q, [0.6]))
    np.testing.assert_allclose(rho2, 0, atol=1e-15)
    np.testing.assert_allclose(np.arctan2(b, a)[0], 0.6 * f.theta, atol=1e-14)
    assert geodesic_distance(p, q) == pytest.approx(float(np.mean(f.theta)), rel=1e-14)


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda: geodesic(np.ones((3, 2)) / 2, np.ones((4, 2)) / 2, 0.5), "end",
                 id="shapes"),
    pytest.param(lambda: geodesic(np.ones((3, 2)) / 2, np.ones((3, 2)) / 2, np.nan), "alpha",
                 id="nan-alpha"),
    pytest.param(lambda: progress(np.ones((2, 3, 2)) / 2, np.ones((4, 2)) / 2), "models",
                 id="model-shape"),
    pytest.param(lambda: progress(np.ones((2, 3, 2)) / 2, np.ones((3, 2)) / 2, grid=1), "grid",
                 id="grid"),
    pytest.param(lambda: progress(np.ones((2, 3, 2)), np.ones((3, 2)) / 2), "models",
                 id="unnormalised"),
    pytest.param(lambda: distance_to_geodesic(np.ones((3, 2)) / 2, np.ones((3, 2)) / 2,
                                              metric="l2"), "metric", id="metric"),
])
def test_invalid_arguments(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument
