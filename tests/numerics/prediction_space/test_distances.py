"""Pairwise distances: fast tile kernels vs the slow double loop, exact cases, properties."""
import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.prediction_space.distances import (METRICS, bhattacharyya,
                                                             check_distance_matrix, distance,
                                                             euclidean, geodesic_distance,
                                                             pairwise_distances,
                                                             pairwise_reference,
                                                             per_sample_distances, symmetric_kl)
from hyperribbon.numerics.prediction_space.probabilities import ignorance, truth
from hyperribbon.theory.errors import InvalidArgument

EPS = np.finfo(float).eps


@st.composite
def ensembles(draw, max_m=7, max_N=12, max_C=5, zeros=True):
    m = draw(st.integers(1, max_m))
    N = draw(st.integers(1, max_N))
    C = draw(st.integers(2, max_C))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    conc = draw(st.sampled_from([0.05, 0.3, 1.0, 5.0]))
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(C, conc), size=(m, N))
    if zeros and draw(st.booleans()):
        mask = rng.random(P.shape) < 0.3
        mask[..., 0] = False                    # keep class 0 so that no row is all zero
        P = np.where(mask, 0.0, P)
        P /= P.sum(-1, keepdims=True)
    return P


def _tol(metric, D):
    finite = np.isfinite(D)
    scale = np.max(np.abs(D[finite])) if finite.any() else 1.0
    # d_G of near-identical pairs: arccos near 1 loses half the digits in the reference
    return 1e-7 if metric == "geodesic" else 1e-12 * max(scale, 1.0)


@given(ensembles(), st.sampled_from(METRICS))
def test_fast_matches_reference_and_properties(P, metric):
    D = pairwise_distances(P, metric=metric)
    R = pairwise_reference(P, metric=metric)
    off = ~np.eye(len(P), dtype=bool)
    assert np.array_equal(np.isinf(D[off]), np.isinf(R[off]))
    fin = off & np.isfinite(R)
    np.testing.assert_allclose(D[fin], R[fin], rtol=0, atol=_tol(metric, R))
    assert np.array_equal(D, D.T)                            # symmetry (exact)
    assert np.all(np.diag(D) == 0)                           # zero diagonal (exact)
    assert np.all(D >= 0)                                    # non-negativity


@settings(max_examples=25)
@given(ensembles(max_m=9), st.sampled_from(METRICS), st.integers(0, 2 ** 32 - 1))
def test_permutation_invariance(P, metric, seed):
    perm = np.random.default_rng(seed).permutation(len(P))
    D = pairwise_distances(P, metric=metric)
    Dp = pairwise_distances(P[perm], metric=metric)
    fin = np.isfinite(D)
    np.testing.assert_allclose(Dp[np.isfinite(Dp)], D[np.ix_(perm, perm)][np.isfinite(Dp)],
                               rtol=1e-13, atol=1e-15)
    assert np.array_equal(np.isinf(Dp), np.isinf(D[np.ix_(perm, perm)]))
    # samples too: the distances are averages over samples
    sperm = np.random.default_rng(seed + 1).permutation(P.shape[1])
    Ds = pairwise_distances(P[:, sperm], metric=metric)
    np.testing.assert_allclose(Ds[fin], D[fin], rtol=1e-12, atol=1e-14)


@settings(max_examples=25)
@given(ensembles(max_m=9, max_N=40), st.sampled_from(["bhattacharyya", "geodesic"]),
       st.integers(1, 5), st.integers(1, 40), st.integers(1, 3))
def test_block_size_sample_block_and_threads_invariance(P, metric, block, sample_block, threads):
    ref = pairwise_distances(P, metric=metric)
    D = pairwise_distances(P, metric=metric, block_size=block, sample_block=sample_block,
                           n_threads=threads)
    fin = np.isfinite(ref)
    np.testing.assert_allclose(D[fin], ref[fin], rtol=1e-13, atol=1e-14)
    assert np.array_equal(np.isinf(D), np.isinf(ref))


@given(ensembles(max_m=6), ensembles(max_m=6), st.sampled_from(METRICS))
def test_cross_matrix_is_a_block_of_the_joint_matrix(A, B, metric):
    if A.shape[1:] != B.shape[1:]:
        B = np.random.default_rng(0).dirichlet(np.ones(A.shape[2]), size=(len(B), A.shape[1]))
    D = pairwise_distances(A, B, metric=metric, block_size=2)
    J = pairwise_distances(np.concatenate([A, B]), metric=metric)[:len(A), len(A):]
    R = pairwise_reference(A, B, metric=metric)
    fin = np.isfinite(R) & (R > 1e-6)                        # identical pairs: J has exact zeros
    np.testing.assert_allclose(D[fin], J[fin], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(D[fin], R[fin], rtol=0, atol=_tol(metric, R))


def test_exact_values_ignorance_and_truth():
    N, C = 30, 7
    P0, Ps = ignorance(N, C), truth(np.arange(N) % C, C)
    assert bhattacharyya(P0, Ps) == pytest.approx(0.5 * np.log(C), rel=1e-14)
    assert geodesic_distance(P0, Ps) == pytest.approx(np.arccos(1 / np.sqrt(C)), rel=1e-14)
    assert euclidean(P0, Ps) == pytest.approx(1 - 1 / C, rel=1e-14)
    assert symmetric_kl(P0, Ps) == np.inf
    D = pairwise_distances(np.stack([P0, Ps]))
    assert D[0, 1] == pytest.approx(0.5 * np.log(C), rel=1e-13)


def test_bhattacharyya_to_one_hot_truth_is_half_the_cross_entropy():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 5, size=40)
    P = rng.dirichlet(np.ones(5), size=(3, 40))
    ce = -np.mean(np.log(P[:, np.arange(40), y]), axis=1)
    np.testing.assert_allclose(bhattacharyya(P, truth(y, 5)), ce / 2, rtol=1e-13)


def test_disjoint_supports():
    a = np.array([[[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]])
    b = np.array([[[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]])
    D = pairwise_distances(np.concatenate([a, b]))
    assert D[0, 1] == np.inf                                 # BC = 0 on sample 0
    G = pairwise_distances(np.concatenate([a, b]), metric="geodesic")
    assert G[0, 1] == pytest.approx(np.pi / 4, rel=1e-15)    # (π/2 + 0) / 2
    S = pairwise_distances(np.concatenate([a, b]), metric="symmetric_kl")
    assert S[0, 1] == np.inf
    # shared zeros are fine: 0·log 0 = 0
    assert symmetric_kl(a[0, 1:], b[0, 1:]) == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_underflowing_products_fall_back_to_logs(dtype):
    """Confident disagreeing models: per-sample coefficients ~1e-9, products underflow."""
    rng = np.random.default_rng(3)
    N, C = 200, 4
    a = np.full((N, C), 1e-18)
    b = np.full((N, C), 1e-18)
    a[np.arange(N), rng.integers(0, C, N)] = 1.0
    b[np.arange(N), (a.argmax(1) + 1) % C] = 1.0
    P = np.stack([a / a.sum(1, keepdims=True), b / b.sum(1, keepdims=True)])
    D = pairwise_distances(P, dtype=dtype)
    R = pairwise_reference(P)
    assert np.isfinite(D[0, 1]) and D[0, 1] > 15
    np.testing.assert_allclose(D[0, 1], R[0, 1], rtol=1e-6 if dtype == np.float32 else 1e-13)


def test_float32_agrees_with_float64():
    P = np.random.default_rng(4).dirichlet(np.full(10, 0.5), size=(40, 300))
    D64 = pairwise_distances(P)
    D32 = pairwise_distances(P, dtype=np.float32)
    np.testing.assert_allclose(D32, D64, rtol=0, atol=1e-6)
    np.testing.assert_allclose(pairwise_distances(P, metric="geodesic", dtype=np.float32),
                               pairwise_distances(P, metric="geodesic"), rtol=0, atol=1e-3)


def test_torch_input():
    P = np.random.default_rng(5).dirichlet(np.ones(3), size=(4, 6))
    np.testing.assert_array_equal(pairwise_distances(torch.from_numpy(P)), pairwise_distances(P))


def test_two_model_forms_keep_relative_accuracy_for_tiny_distances():
    rng = np.random.default_rng(6)
    p = rng.dirichlet(np.ones(5), size=8)
    q = p * (1 + 1e-7 * rng.standard_normal(p.shape))
    q /= q.sum(1, keepdims=True)
    with mpmath.workdps(50):
        ref_b = -sum(mpmath.log(sum(mpmath.sqrt(mpmath.mpf(x) * mpmath.mpf(y))
                                    for x, y in zip(pr, qr))) for pr, qr in zip(p, q)) / len(p)
        ref_g = sum(2 * mpmath.asin(mpmath.sqrt(sum((mpmath.sqrt(mpmath.mpf(x))
                                                     - mpmath.sqrt(mpmath.mpf(y))) ** 2
                                                    for x, y in zip(pr, qr))) / 2)
                    for pr, qr in zip(p, q)) / len(p)
    assert bhattacharyya(p, q) == pytest.approx(float(ref_b), rel=1e-6)
    assert geodesic_distance(p, q) == pytest.approx(float(ref_g), rel=1e-7)
    assert per_sample_distances(p, q).shape == (8,)
    assert distance(p[None], q[None]).shape == (1,)


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda: pairwise_distances(np.ones((2, 3, 2)) / 2, metric="hellinger"),
                 "metric", id="unknown-metric"),
    pytest.param(lambda: pairwise_distances(np.ones((2, 3, 2)) / 2, np.ones((2, 4, 2)) / 2), "B",
                 id="mismatched-samples"),
    pytest.param(lambda: pairwise_distances(np.ones((2, 3, 2)) / 2, dtype=np.int32), "dtype",
                 id="int-dtype"),
    pytest.param(lambda: pairwise_distances(np.ones((2, 3, 2)) / 2, block_size=0), "block_size",
                 id="zero-block"),
    pytest.param(lambda: pairwise_distances(np.ones((2, 3, 2)) / 2, sample_block=-1),
                 "sample_block", id="negative-sample-block"),
    pytest.param(lambda: pairwise_distances(np.ones((2, 3, 2))), "A", id="unnormalised"),
    pytest.param(lambda: bhattacharyya(np.ones((3, 2)) / 2, np.ones((4, 2)) / 2), "q",
                 id="pair-shapes"),
    pytest.param(lambda: check_distance_matrix(np.ones((2, 3))), "D", id="non-square"),
    pytest.param(lambda: check_distance_matrix([[0, 1], [2, 0]]), "D", id="asymmetric"),
    pytest.param(lambda: check_distance_matrix([[1, 1], [1, 0]]), "D", id="nonzero-diagonal"),
    pytest.param(lambda: check_distance_matrix([[0, np.inf], [np.inf, 0]]), "D", id="infinite"),
])
def test_invalid_arguments(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument
