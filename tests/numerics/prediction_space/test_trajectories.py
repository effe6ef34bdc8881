"""Reindexing by progress, d_traj (eq. 2.2.5), mean trajectories, tubes, Riemann length; the log
domain (issue 8 E)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.prediction_space.distances import bhattacharyya
from hyperribbon.numerics.prediction_space.geodesics import GeodesicFrame, geodesic, progress
from hyperribbon.numerics.prediction_space.probabilities import ignorance, truth
from hyperribbon.numerics.prediction_space.trajectories import (mean_trajectory,
                                                                reindex_by_progress,
                                                                riemann_length, sample_at_progress,
                                                                trajectory_distance,
                                                                trajectory_distance_matrix,
                                                                trajectory_distance_reference,
                                                                tube_radius, tube_widths)
from hyperribbon.theory.errors import InvalidArgument

N, C = 25, 4
Y = np.arange(N) % C
PS = truth(Y, C, smoothing=0.02)
P0 = ignorance(N, C)


def _trajectory(seed, T=8, wobble=0.3):
    """Checkpoints from ignorance to (near) the truth, off the geodesic in the middle."""
    rng = np.random.default_rng(seed)
    alphas = np.linspace(0, 0.97, T)
    G = geodesic(P0, PS, alphas)
    noise = rng.dirichlet(np.ones(C), size=(T, N))
    w = wobble * np.sin(np.pi * alphas)[:, None, None]
    return (1 - w) * G + w * noise


def test_reindexing_points_on_a_geodesic_path_reproduces_the_geodesic():
    path = geodesic(P0, PS, [0.0, 0.2, 0.5, 0.9])
    r = reindex_by_progress(path, [0.0, 0.1, 0.35, 0.5, 0.8], PS)
    assert r.valid.all()
    np.testing.assert_allclose(r.probabilities, geodesic(P0, PS, r.progress), atol=1e-12)
    np.testing.assert_array_equal(r.segment, [0, 0, 1, 1, 2])


def test_refined_checkpoints_give_the_same_curve():
    """The thesis's motivation for d_traj: a trajectory and the same one recorded twice as often
    (the extra checkpoints lie on the same geodesic segments) are at distance 0."""
    X = _trajectory(1)
    mids = np.stack([GeodesicFrame(X[k], X[k + 1]).point(0.5) for k in range(len(X) - 1)])
    fine = np.empty((2 * len(X) - 1,) + X.shape[1:])
    fine[0::2], fine[1::2] = X, mids
    sk = progress(X, PS)
    assert np.all(np.diff(sk) > 0)
    grid = np.linspace(sk[0], sk[-1], 40)
    a = reindex_by_progress(X, grid, PS)
    b = reindex_by_progress(fine, grid, PS)
    assert a.valid.all() and b.valid.all()
    # progress is not affine along a segment, so the curves agree to the interpolation error
    assert trajectory_distance(a, b) < 1e-3 * trajectory_distance(a, reindex_by_progress(
        _trajectory(2), grid, PS))


def test_non_monotone_progress_rules_and_invalid_values():
    path = geodesic(P0, PS, [0.1, 0.6, 0.3, 0.8])
    first = reindex_by_progress(path, [0.4, 0.05, 0.95], PS)
    last = reindex_by_progress(path, [0.4], PS, rule="last")
    assert first.segment[0] == 0 and last.segment[0] == 2
    np.testing.assert_allclose(first.probabilities[0], last.probabilities[0], atol=1e-12)
    assert first.valid.tolist() == [True, False, False]
    np.testing.assert_allclose(first.probabilities[1], path[0])       # nearest end checkpoint
    with pytest.raises(InvalidArgument) as info:
        sample_at_progress(path, 0.95, PS)
    assert info.value.argument == "s"
    np.testing.assert_allclose(sample_at_progress(path, 0.2, PS), geodesic(P0, PS, 0.2),
                               atol=1e-12)


@settings(max_examples=20)
@given(st.integers(0, 1000), st.integers(0, 1000), st.integers(3, 12))
def test_trajectory_distance_matches_the_reference_and_is_symmetric(s1, s2, K):
    grid = np.linspace(0.05, 0.9, K)
    a = reindex_by_progress(_trajectory(s1), grid, PS)
    b = reindex_by_progress(_trajectory(s2), grid, PS)
    d = trajectory_distance(a, b)
    ok = a.valid & b.valid
    if ok.all():
        ref = trajectory_distance_reference(a.probabilities, b.probabilities, grid)
        assert d == pytest.approx(ref, rel=1e-12, abs=1e-15)
    assert d == pytest.approx(trajectory_distance(b, a), rel=1e-14)
    assert trajectory_distance(a, a) == 0.0
    assert d >= 0


def test_distance_matrix_equals_pairwise_calls():
    grid = np.linspace(0.05, 0.9, 9)
    taus = [reindex_by_progress(_trajectory(s), grid, PS) for s in range(5)]
    T = np.stack([t.probabilities for t in taus])
    valid = np.stack([t.valid for t in taus])
    M = trajectory_distance_matrix(T, grid, valid=valid)
    for i in range(5):
        for j in range(5):
            expected = 0.0 if i == j else trajectory_distance(taus[i], taus[j])
            assert M[i, j] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    M2 = trajectory_distance_matrix(T, grid, valid=valid, block_size=2, n_threads=1)
    np.testing.assert_allclose(M2, M, rtol=1e-13, atol=1e-16)


def test_mean_trajectory_tube_widths_and_radius():
    grid = np.linspace(0.1, 0.85, 6)
    T = np.stack([reindex_by_progress(_trajectory(s), grid, PS).probabilities for s in range(4)])
    mu = mean_trajectory(T)
    np.testing.assert_allclose(mu, T.mean(axis=0), atol=1e-15)
    W = tube_widths(T, mu)
    assert W.shape == (4, 6)
    np.testing.assert_allclose(W[2], bhattacharyya(T[2], mu), atol=1e-15)
    r = tube_radius(T, grid, mu)
    assert r == pytest.approx(max(trajectory_distance(T[i], mu, grid) for i in range(4)),
                              rel=1e-13)
    np.testing.assert_allclose(tube_radius(T, grid, per_progress=True), W.max(axis=0))
    same = np.repeat(T[:1], 3, axis=0)
    assert np.all(tube_widths(same) < 1e-30) and tube_radius(same, grid) < 1e-30
    assert mean_trajectory(T, "harmonic").shape == mu.shape


def test_riemann_length():
    rng = np.random.default_rng(5)
    p, q = rng.dirichlet(np.ones(C), size=(2, N))
    theta = GeodesicFrame(p, q).theta
    coarse = geodesic(p, q, np.linspace(0, 1, 101))
    fine = geodesic(p, q, np.linspace(0, 1, 201))
    from hyperribbon.numerics.prediction_space.distances import geodesic_distance
    assert riemann_length(coarse, metric="geodesic") == pytest.approx(geodesic_distance(p, q),
                                                                      rel=1e-12)
    exact = np.sqrt(np.sum(theta ** 2) / (2 * N))
    e1, e2 = riemann_length(coarse) - exact, riemann_length(fine) - exact
    assert abs(e2) < 1e-5 and abs(e2) < abs(e1) / 3                 # O(h²) convergence
    richardson = (4 * riemann_length(fine) - riemann_length(coarse)) / 3
    assert richardson == pytest.approx(exact, rel=1e-8)
    assert riemann_length(coarse[:1]) == 0.0


# ---------------------------------------------------------------- log domain (E)
def test_log_domain_trajectories_agree_with_probabilities():
    T = np.stack([_trajectory(s) for s in range(3)])
    L = np.log(T)
    grid = np.linspace(0.05, 0.8, 6)
    r = reindex_by_progress(T[0], grid, PS)
    rl = reindex_by_progress(L[0], grid, np.log(PS), np.log(P0), log=True)
    assert rl.log and not r.log
    np.testing.assert_array_equal(rl.valid, r.valid)
    np.testing.assert_allclose(np.exp(rl.probabilities), r.probabilities, rtol=1e-8)
    r1 = reindex_by_progress(T[1], grid, PS)
    rl1 = reindex_by_progress(L[1], grid, np.log(PS), np.log(P0), log=True)
    assert trajectory_distance(rl, rl1) == pytest.approx(trajectory_distance(r, r1), rel=1e-8)
    np.testing.assert_allclose(trajectory_distance_matrix(L, grid=np.linspace(0, 1, 8), log=True),
                               trajectory_distance_matrix(T, grid=np.linspace(0, 1, 8)),
                               rtol=1e-10)
    np.testing.assert_allclose(tube_widths(L, log=True), tube_widths(T), rtol=1e-10)
    np.testing.assert_allclose(np.exp(mean_trajectory(L, log=True)), mean_trajectory(T),
                               rtol=1e-12)
    assert riemann_length(L[0], log=True) == pytest.approx(riemann_length(T[0]), rel=1e-10)
    assert trajectory_distance_reference(L[0], L[1], np.linspace(0, 1, 8), log=True) == \
        pytest.approx(trajectory_distance_reference(T[0], T[1], np.linspace(0, 1, 8)), rel=1e-10)


_TWO = np.stack([P0, PS])


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: reindex_by_progress(P0[None], [0.5], PS), "checkpoints", "(1, 25, 4)",
                 id="one"),
    pytest.param(lambda: reindex_by_progress(_TWO, [np.nan], PS), "grid", "shape (1,)",
                 id="nan-grid"),
    pytest.param(lambda: reindex_by_progress(_TWO, [0.5], PS, rule="mid"), "rule", "'mid'",
                 id="rule"),
    pytest.param(lambda: reindex_by_progress(_TWO, [0.5], PS, checkpoint_progress=[0.1]),
                 "checkpoint_progress", "(1,)", id="progress-length"),
    pytest.param(lambda: reindex_by_progress(_TWO, [0.5], PS, log="no"), "log", "'no'",
                 id="log"),
    pytest.param(lambda: sample_at_progress(geodesic(P0, PS, [0.1, 0.4]), 0.9, PS), "s", "0.9",
                 id="unreached"),
    pytest.param(lambda: trajectory_distance(_TWO, np.stack([P0, PS, P0]), [0, 1]), "tau_v",
                 "(3, 25, 4)", id="lengths"),
    pytest.param(lambda: trajectory_distance(reindex_by_progress(_TWO, [0.1], PS), _TWO[:1],
                                             log=True), "log", "True", id="domain-mismatch"),
    pytest.param(lambda: trajectory_distance_matrix(_TWO, [0, 1]), "trajectories",
                 "(2, 25, 4)", id="3d-trajectories"),
    pytest.param(lambda: trajectory_distance_matrix(_TWO[None], [0, 1, 2]), "grid", "(3,)",
                 id="grid-length"),
    pytest.param(lambda: trajectory_distance_matrix(_TWO[None], [0, 1], valid=[[1]]), "valid",
                 "(1, 1)", id="valid-shape"),
    pytest.param(lambda: riemann_length(_TWO, metric="euclidean"), "metric", "'euclidean'",
                 id="length-metric"),
    pytest.param(lambda: tube_widths(_TWO[None], P0[None]), "mean", "(1, 25, 4)",
                 id="mean-shape"),
    pytest.param(lambda: mean_trajectory(_TWO), "trajectories", "(2, 25, 4)",
                 id="mean-3d"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)
