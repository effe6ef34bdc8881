"""Geodesics on the product of spheres (eq. 2.2.3) and progress (eq. 2.2.4); zero-length geodesics
(issue 8 D11); the log domain (E)."""
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.prediction_space.distances import geodesic_distance, per_sample_distances
from hyperribbon.numerics.prediction_space.geodesics import (GeodesicFrame, distance_to_geodesic,
                                                             geodesic, geodesic_objective,
                                                             geodesic_reference, progress,
                                                             progress_reference)
from hyperribbon.numerics.prediction_space.probabilities import ignorance, truth


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


# ---------------------------------------------------------------- zero-length geodesic (D11)
def test_progress_on_a_zero_length_geodesic_is_a_named_error(check_invalid):
    """Issue 8 D11: start = end silently gave progress 0.0 (every α is a minimiser)."""
    P0 = ignorance(5, 3)
    model = truth(np.arange(5) % 3, 3, smoothing=0.3)
    for call in (lambda: progress(model, P0, P0), lambda: progress(model[None], P0, P0),
                 lambda: distance_to_geodesic(model, P0, P0),
                 lambda: progress(np.log(model), np.log(P0), np.log(P0), log=True)):
        err = check_invalid(call, "end", "(5, 3)")
        assert "zero length" in err.rule
    # one sample where the ends differ is enough
    end = P0.copy()
    end[2] = [0.5, 0.25, 0.25]
    assert 0.0 <= progress(model, end, P0) <= 1.0


# ---------------------------------------------------------------- log domain (E)
def test_log_domain_geodesics_and_progress_agree_with_probabilities():
    rng = np.random.default_rng(11)
    N, C = 30, 5
    Ps = truth(np.arange(N) % C, C, smoothing=0.05)
    P0 = ignorance(N, C)
    models = rng.dirichlet(np.ones(C), size=(4, N))
    s, d = progress(models, Ps, return_distance=True)
    sl, dl = progress(np.log(models), np.log(Ps), np.log(P0), log=True, return_distance=True)
    np.testing.assert_allclose(sl, s, rtol=0, atol=1e-9)
    np.testing.assert_allclose(dl, d, rtol=1e-12)
    pts = geodesic(P0, Ps, [0.2, 0.9])
    lpts = geodesic(np.log(P0), np.log(Ps), [0.2, 0.9], log=True)
    np.testing.assert_allclose(np.exp(lpts), pts, rtol=1e-12)
    np.testing.assert_allclose(geodesic_objective(np.log(models), np.log(Ps), alpha=[0.1, 0.5],
                                                  log=True),
                               geodesic_objective(models, Ps, alpha=[0.1, 0.5]), rtol=1e-12)
    dd, ss = distance_to_geodesic(np.log(models), np.log(Ps), log=True)
    d2, s2 = distance_to_geodesic(models, Ps)
    np.testing.assert_allclose(dd, d2, rtol=1e-9)


def test_log_domain_progress_of_a_model_whose_float32_softmax_underflows():
    """A confident model's float32 softmax has exact zeros; its log-softmax does not, and its
    progress from the logs equals the float64 progress from its logits."""
    rng = np.random.default_rng(12)
    N, C = 40, 6
    y = rng.integers(0, C, N)
    z = rng.standard_normal((N, C)) * 3
    z[np.arange(N), y] += 120.0
    import torch
    z32 = torch.from_numpy(z).float()
    assert (torch.softmax(z32, -1) == 0).any()
    logp32 = torch.log_softmax(z32, -1).numpy()
    logp64 = z - scipy.special.logsumexp(z, axis=-1, keepdims=True)
    t = truth(y, C, smoothing=0.1, log=True)
    s32 = progress(logp32, t, log=True)
    s64 = progress(logp64, t, log=True)
    assert 0 < s64 <= 1
    assert s32 == pytest.approx(s64, abs=1e-6)


_H = np.ones((3, 2)) / 2


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: geodesic(_H, np.ones((4, 2)) / 2, 0.5), "end", "(4, 2)", id="shapes"),
    pytest.param(lambda: geodesic(_H, _H, np.nan), "alpha", "nan", id="nan-alpha"),
    pytest.param(lambda: geodesic(_H, _H, 0.5, log=2), "log", "2", id="log"),
    pytest.param(lambda: geodesic(np.log(_H) + 1, _H, 0.5, log=True), "start", "(3, 2)",
                 id="positive-logs"),
    pytest.param(lambda: GeodesicFrame(_H, _H).point("x"), "alpha", "'x'", id="point-alpha"),
    pytest.param(lambda: progress(np.ones((2, 3, 2)) / 2, np.ones((4, 2)) / 2), "models",
                 "(2, 3, 2)", id="model-shape"),
    pytest.param(lambda: progress(np.ones((2, 3, 2)) / 2, _H, grid=1), "grid", "1", id="grid"),
    pytest.param(lambda: progress(np.ones((2, 3, 2)) / 2, _H, return_distance=None),
                 "return_distance", "None", id="return-distance"),
    pytest.param(lambda: progress(np.ones((2, 3, 2)), _H), "models", "(2, 3, 2)",
                 id="unnormalised"),
    pytest.param(lambda: progress(_H, _H, _H), "end", "(3, 2)", id="zero-length"),
    pytest.param(lambda: distance_to_geodesic(_H, _H, metric="l2"), "metric", "'l2'",
                 id="metric"),
    pytest.param(lambda: geodesic_objective(_H, _H, alpha=[np.inf]), "alpha", "[inf]",
                 id="objective-alpha"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)
