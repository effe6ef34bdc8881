"""Pairwise distances: fast tile kernels vs the mpmath double loop, exact cases, properties,
near-zero accuracy on every path (issue 8 D1), the reference itself (D12), the log domain (E)."""
import mpmath
import numpy as np
import pytest
import scipy.special
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.prediction_space.blocked import pairwise_dask, pairwise_to_disk
from hyperribbon.numerics.prediction_space.distances import (METRICS, bhattacharyya,
                                                             check_distance_matrix, distance,
                                                             euclidean, geodesic_distance,
                                                             pairwise_distances,
                                                             pairwise_reference,
                                                             per_sample_distances, symmetric_kl)
from hyperribbon.numerics.prediction_space.probabilities import ignorance, truth

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


def _rtol(metric, shape):
    """The stated accuracy of the tiles (see _tiles): relative error of every term at most about
    C·ε·2^20 (d_B, d_G); matrix-product metrics: N·C·ε·2^20 (pairs closer are recomputed)."""
    N, C = shape[-2:]
    return 2.0 ** 20 * EPS * (C if metric in ("bhattacharyya", "geodesic") else N * C)


@settings(max_examples=30)
@given(ensembles(), st.sampled_from(METRICS))
def test_fast_matches_reference_and_properties(P, metric):
    D = pairwise_distances(P, metric=metric)
    R = pairwise_reference(P, metric=metric)
    off = ~np.eye(len(P), dtype=bool)
    assert np.array_equal(np.isinf(D[off]), np.isinf(R[off]))
    fin = off & np.isfinite(R)
    np.testing.assert_allclose(D[fin], R[fin], rtol=_rtol(metric, P.shape), atol=0)
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


@settings(max_examples=15)
@given(ensembles(max_m=5), ensembles(max_m=5), st.sampled_from(METRICS))
def test_cross_matrix_is_a_block_of_the_joint_matrix(A, B, metric):
    if A.shape[1:] != B.shape[1:]:
        B = np.random.default_rng(0).dirichlet(np.ones(A.shape[2]), size=(len(B), A.shape[1]))
    D = pairwise_distances(A, B, metric=metric, block_size=2)
    J = pairwise_distances(np.concatenate([A, B]), metric=metric)[:len(A), len(A):]
    R = pairwise_reference(A, B, metric=metric)
    fin = np.isfinite(R)
    np.testing.assert_allclose(D[fin], J[fin], rtol=2 * _rtol(metric, A.shape), atol=0)
    np.testing.assert_allclose(D[fin], R[fin], rtol=_rtol(metric, A.shape), atol=0)


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
    np.testing.assert_allclose(D[0, 1], R[0, 1], rtol=64 * C * np.finfo(dtype).eps)


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


# ---------------------------------------------------------------- near zero distance (D1)
def _near_pair(seed=0, noise=1e-14, N=50, C=10):
    """The issue's input: q = p·(1 + 1e-14 noise), renormalised (50 samples, 10 classes)."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(C), size=N)
    q = p * (1 + noise * rng.standard_normal(p.shape))
    return p, q / q.sum(1, keepdims=True)


def _every_path(S, metric, dtype, tmp_path, log):
    """(name, D[0, 1] or D[0, 2] getter) for every way a distance matrix can be computed."""
    kw = dict(metric=metric, log=log)
    A, B = S[:1], S[1:]
    yield "pairwise", pairwise_distances(S, dtype=dtype, **kw)[0, 1:]
    yield "pairwise blocks of 1", pairwise_distances(S, dtype=dtype, block_size=1, **kw)[0, 1:]
    yield "cross", pairwise_distances(A, B, dtype=dtype, **kw)[0]
    yield "dask", pairwise_dask(S, block_size=1, dtype=dtype, **kw).compute(scheduler="sync")[0, 1:]
    yield "dask cross", pairwise_dask(A, B, dtype=dtype, **kw).compute(scheduler="sync")[0]
    D = pairwise_to_disk(S, tmp_path / f"D{metric}{np.dtype(dtype).name}{bool(log)}.npy",
                         block_size=1, dtype=dtype, progress=False, scheduler="sync", **kw)
    yield "to disk", np.asarray(D[0, 1:])
    yield "two-model", np.array([distance(S[0], S[k], metric, log=log) for k in (1, 2)])
    yield "per-sample", np.mean(per_sample_distances(S[0], S[1:], metric, log=log), axis=-1)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("log", [False, True])
def test_identical_models_are_exactly_zero_and_tiny_distances_accurate_on_every_path(
        metric, log, tmp_path):
    p, q = _near_pair()
    S = np.stack([p, p, q])
    if log:
        S = np.log(S)
    exact = pairwise_reference(S[:1], S[2:], metric=metric, log=log)[0, 0]    # mpmath
    assert 0 < exact < 1e-13                                      # a genuinely tiny distance
    for dtype in (np.float64, np.float32):
        for name, d in _every_path(S, metric, dtype, tmp_path, log):
            assert d[0] == 0.0, (name, dtype, d[0])                # identical models
            assert d[1] == pytest.approx(exact, rel=16 * 10 * EPS), (name, dtype)


def test_the_issue_numbers_before_and_after():
    """Issue 8 D1: identical models gave 5.2e-9 (float64) / 8.6e-5 (float32) instead of 0, and a
    true 4.6e-15 came back as 3.5e-9 (geodesic)."""
    p, q = _near_pair()
    exact = pairwise_reference(np.stack([p, q]), metric="geodesic")[0, 1]
    for dtype in (np.float64, np.float32):
        D = pairwise_distances(np.stack([p, p, q]), metric="geodesic", dtype=dtype)
        assert D[0, 1] == 0.0
        assert D[0, 2] == pytest.approx(exact, rel=160 * EPS)


@settings(max_examples=12)
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from([1e-3, 1e-6, 1e-9, 1e-12, 1e-15]),
       st.sampled_from(METRICS))
def test_small_distances_keep_relative_accuracy(seed, noise, metric):
    """Perturbations from 1e-3 to 1e-15: every entry within the stated relative accuracy."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(6, 0.5), size=(3, 8))
    Q = P * np.exp(noise * rng.standard_normal(P.shape))
    S = np.concatenate([P, Q / Q.sum(-1, keepdims=True)])
    D = pairwise_distances(S, metric=metric)
    R = pairwise_reference(S, metric=metric)
    np.testing.assert_allclose(D, R, rtol=_rtol(metric, S.shape), atol=0)


def test_the_reference_is_exact_for_subnormal_probabilities():
    """D12: √(p·q) underflows to subnormal precision (the old reference lost 6e-5); the mpmath
    reference keeps every digit, and so do the tiles."""
    x, y = 1e-160, 3e-160                                         # x·y = 3e-320 is subnormal
    p = np.array([[[1.0, x, 0.0]]])
    q = np.array([[[0.0, y, 1.0]]])
    with mpmath.workdps(50):
        bc = mpmath.sqrt(mpmath.mpf(x)) * mpmath.sqrt(mpmath.mpf(y))
        exact_b, exact_g = float(-mpmath.log(bc)), float(mpmath.acos(bc))
    old_bc = np.sum(np.sqrt(p * q))                               # the former literal form
    assert abs(old_bc / float(bc) - 1) > 1e-6                     # what D12 reported
    R = pairwise_reference(p, q)[0, 0]
    assert R == pytest.approx(exact_b, rel=4 * EPS)
    assert pairwise_reference(p, q, metric="geodesic")[0, 0] == pytest.approx(exact_g, rel=4 * EPS)
    assert pairwise_distances(p, q)[0, 0] == pytest.approx(exact_b, rel=64 * EPS)
    assert bhattacharyya(p[0], q[0]) == pytest.approx(exact_b, rel=64 * EPS)


# ---------------------------------------------------------------- log domain (E)
@pytest.mark.parametrize("metric", METRICS)
def test_log_domain_agrees_with_probabilities_where_nothing_underflows(metric):
    P = np.random.default_rng(7).dirichlet(np.ones(5), size=(6, 30))
    logP = np.log(P)
    D = pairwise_distances(P, metric=metric)
    DL = pairwise_distances(logP, metric=metric, log=True)
    # the logs carry a rounding of ε·|log p| each: agree to that
    rtol = _rtol(metric, P.shape) * max(1.0, float(np.max(np.abs(logP))))
    np.testing.assert_allclose(DL, D, rtol=rtol, atol=0)
    np.testing.assert_allclose(DL, pairwise_reference(logP, metric=metric, log=True),
                               rtol=_rtol(metric, P.shape), atol=0)
    logits = logP + np.random.default_rng(8).standard_normal((6, 30, 1)) * 5   # unnormalised
    np.testing.assert_allclose(pairwise_distances(logits, metric=metric, log="logits"), DL,
                               rtol=rtol, atol=0)
    np.testing.assert_allclose(distance(logP[0], logP[1:], metric, log=True), DL[0, 1:],
                               rtol=rtol, atol=0)


def _confident_logits(m=4, N=40, C=10, scale=60.0, seed=9):
    return np.random.default_rng(seed).standard_normal((m, N, C)) * scale


@pytest.mark.parametrize("metric", ["bhattacharyya", "geodesic", "symmetric_kl"])
def test_log_domain_is_exact_where_float32_softmax_underflows(metric):
    z = _confident_logits()
    z32 = torch.from_numpy(z).float()
    P32 = torch.softmax(z32, -1).numpy()
    assert np.any(P32 == 0)                                       # exact zeros in the softmax
    logp32 = torch.log_softmax(z32, -1).numpy()
    if metric != "geodesic":
        assert np.isinf(pairwise_distances(P32, metric=metric)).any()   # the failure mode
    D = pairwise_distances(logp32, metric=metric, log=True)
    assert np.all(np.isfinite(D))
    # exact for the float32 logs given (mpmath reference of the same inputs)
    R32 = pairwise_reference(logp32.astype(np.float64), metric=metric, log=True)
    np.testing.assert_allclose(D, R32, rtol=_rtol(metric, z.shape), atol=0)
    # and, up to the float32 rounding of the logs, the float64 truth from the logits
    logp64 = z - scipy.special.logsumexp(z, axis=-1, keepdims=True)
    R64 = pairwise_reference(logp64, metric=metric, log=True)
    big = float(np.max(np.abs(logp64)))
    off = ~np.eye(len(z), dtype=bool)
    np.testing.assert_allclose(D[off], R64[off], rtol=64 * np.finfo(np.float32).eps * big)


def test_log_domain_keeps_the_true_infinities_of_disjoint_supports():
    with np.errstate(divide="ignore"):
        a = np.log(np.array([[[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]]))
        b = np.log(np.array([[[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]]))
    S = np.concatenate([a, b])
    assert pairwise_distances(S, log=True)[0, 1] == np.inf
    assert pairwise_distances(S, metric="symmetric_kl", log=True)[0, 1] == np.inf
    assert pairwise_distances(S, metric="geodesic", log=True)[0, 1] == pytest.approx(np.pi / 4,
                                                                                    rel=4 * EPS)
    assert np.isfinite(pairwise_distances(S, metric="euclidean", log=True)[0, 1])
    assert symmetric_kl(a[0, 1:], b[0, 1:], log=True) == 0.0      # shared zero: 0·log 0 = 0


# ---------------------------------------------------------------- distance matrices (D3)
def test_rounding_level_negatives_are_clamped_and_real_ones_rejected(check_invalid):
    D = np.array([[0, -2e-17, 1], [-2e-17, 0, 1], [1, 1, 0]])
    C = check_distance_matrix(D)
    assert C[0, 1] == 0.0 and np.all(C >= 0) and D[0, 1] < 0      # the input is untouched
    check_invalid(lambda: check_distance_matrix(-D), "D", "non-negative")
    Dn = np.array([[0, np.nan], [np.nan, 0]])
    err = check_invalid(lambda: check_distance_matrix(Dn), "D", "shape (2, 2)")
    assert "NaN" in err.rule and "unfinished tile" in err.rule and "infinite" not in err.rule
    err = check_invalid(lambda: check_distance_matrix([[0, np.inf], [np.inf, 0]]), "D", "2, 2")
    assert "disjoint supports" in err.rule and "NaN" not in err.rule


_P = np.ones((2, 3, 2)) / 2


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: pairwise_distances(_P, metric="hellinger"), "metric", "'hellinger'",
                 id="unknown-metric"),
    pytest.param(lambda: pairwise_distances(_P, np.ones((2, 4, 2)) / 2), "B", "(2, 4, 2)",
                 id="mismatched-samples"),
    pytest.param(lambda: pairwise_distances(_P, dtype=np.int32), "dtype", "int32",
                 id="int-dtype"),
    pytest.param(lambda: pairwise_distances(_P, block_size=0), "block_size", "0",
                 id="zero-block"),
    pytest.param(lambda: pairwise_distances(_P, sample_block=-1), "sample_block", "-1",
                 id="negative-sample-block"),
    pytest.param(lambda: pairwise_distances(_P, n_threads=1.5), "n_threads", "1.5",
                 id="fractional-threads"),
    pytest.param(lambda: pairwise_distances(np.ones((2, 3, 2))), "A", "(2, 3, 2)",
                 id="unnormalised"),
    pytest.param(lambda: pairwise_distances(-_P), "A", "log=True", id="logs-without-log"),
    pytest.param(lambda: pairwise_distances(_P, log="yes"), "log", "'yes'", id="log-kind"),
    pytest.param(lambda: pairwise_distances(np.log(_P) + 1, log=True), "A", "(2, 3, 2)",
                 id="positive-logs"),
    pytest.param(lambda: pairwise_distances("missing.npy"), "A", "missing.npy",
                 id="missing-path"),
    pytest.param(lambda: bhattacharyya(np.ones((3, 2)) / 2, np.ones((4, 2)) / 2), "q", "(4, 2)",
                 id="pair-shapes"),
    pytest.param(lambda: distance(_P[0], _P[0], "cosine"), "metric", "'cosine'",
                 id="distance-metric"),
    pytest.param(lambda: per_sample_distances(_P[0], np.ones((3, 2, 2)) / 2), "q", "(3, 2, 2)",
                 id="per-sample-shapes"),
    pytest.param(lambda: pairwise_reference(_P, metric="kl"), "metric", "'kl'",
                 id="reference-metric"),
    pytest.param(lambda: check_distance_matrix(np.ones((2, 3))), "D", "(2, 3)", id="non-square"),
    pytest.param(lambda: check_distance_matrix([[0, 1], [2, 0]]), "D", "(2, 2)",
                 id="asymmetric"),
    pytest.param(lambda: check_distance_matrix([[1, 1], [1, 0]]), "D", "(2, 2)",
                 id="nonzero-diagonal"),
    pytest.param(lambda: check_distance_matrix([[0, -1], [-1, 0]]), "D", "(2, 2)",
                 id="negative"),
    pytest.param(lambda: check_distance_matrix([[0, np.inf], [np.inf, 0]]), "D", "(2, 2)",
                 id="infinite"),
    pytest.param(lambda: check_distance_matrix([["a", "b"]]), "D", "'a'", id="strings"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)
