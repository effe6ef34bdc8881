"""Log-domain distances of the manifold analyses against the probability-domain numerics (where
nothing underflows), against slow logsumexp / mpmath references (where float32 softmax would
give exact zeros), and their validation."""
import mpmath
import numpy as np
import pytest
import scipy.special

from hyperribbon.experiments.manifold.analyses._logdomain import (
    as_log_probabilities, log_distances_to, log_ignorance, log_truth, pairwise_log_distances)
from hyperribbon.numerics import pairwise_distances
from hyperribbon.theory import InvalidArgument

EPS = np.finfo(float).eps
METRICS = ("bhattacharyya", "geodesic", "symmetric_kl")


def _stack(m=7, N=25, C=5, conc=0.5, seed=0):
    return np.random.default_rng(seed).dirichlet(np.full(C, conc), size=(m, N))


@pytest.mark.parametrize("metric", METRICS)
def test_matches_probability_domain(metric):
    P = _stack()
    Q = _stack(4, seed=1)
    D = pairwise_log_distances(np.log(P), metric=metric)
    ref = pairwise_distances(P, metric=metric)
    scale = max(1.0, ref.max())
    tol = 64 * P.shape[2] * EPS * scale
    np.testing.assert_allclose(D, ref, rtol=0, atol=tol)
    assert np.array_equal(D, D.T) and np.all(np.diag(D) == 0)
    cross = pairwise_log_distances(np.log(P), np.log(Q), metric=metric)
    np.testing.assert_allclose(cross, pairwise_distances(P, Q, metric=metric), rtol=0, atol=tol)


def test_probabilities_and_logs_give_the_same():
    P = _stack()
    for metric in METRICS:
        np.testing.assert_allclose(pairwise_log_distances(P, metric=metric),
                                   pairwise_log_distances(np.log(P), metric=metric),
                                   rtol=0, atol=64 * EPS)


def _slow_reference(A, metric):
    """Pair loop of the literal formulas: scipy logsumexp for d_B; for d_G the angle between
    the square-root vectors at 60 digits (float64 arccos of a coefficient 1 − 1e-20 is 0)."""
    m = len(A)
    D = np.zeros((m, m))
    with mpmath.workdps(60):
        for u in range(m):
            for v in range(u + 1, m):
                if metric == "bhattacharyya":
                    D[u, v] = -np.mean(scipy.special.logsumexp(0.5 * (A[u] + A[v]), axis=-1))
                else:
                    tot = 0
                    for n in range(A.shape[1]):
                        x = [mpmath.e ** (mpmath.mpf(a) / 2) for a in A[u, n]]
                        y = [mpmath.e ** (mpmath.mpf(b) / 2) for b in A[v, n]]
                        nx = mpmath.sqrt(mpmath.fsum(t * t for t in x))
                        ny = mpmath.sqrt(mpmath.fsum(t * t for t in y))
                        chord = mpmath.sqrt(mpmath.fsum((s / nx - t / ny) ** 2
                                                        for s, t in zip(x, y)))
                        tot += 2 * mpmath.asin(chord / 2)
                    D[u, v] = float(tot / A.shape[1])
                D[v, u] = D[u, v]
    return D


def test_confident_models_are_finite_and_exact():
    """Logits of size ~100: float32 softmax gives exact zeros and d_B = +inf; from
    log-probabilities the distances are finite and match a logsumexp reference."""
    rng = np.random.default_rng(3)
    logits = 60.0 * rng.standard_normal((5, 12, 4))
    A = scipy.special.log_softmax(logits, axis=-1)
    P32 = scipy.special.softmax(logits.astype(np.float32), axis=-1).astype(np.float32)
    assert (P32 == 0).any()
    with np.errstate(divide="ignore"):
        assert np.isinf(pairwise_distances(P32)).any()
    for metric in ("bhattacharyya", "geodesic"):
        D = pairwise_log_distances(A, metric=metric)
        assert np.all(np.isfinite(D))
        ref = _slow_reference(A, metric)
        np.testing.assert_allclose(D, ref, rtol=1e-12, atol=64 * EPS * 4)


def test_disjoint_supports_beyond_float64_underflow():
    """BC ~ e^-1000: the matrix product underflows, the logsumexp fallback is exact."""
    A = np.full((2, 3, 2), 0.0)
    A[0, :, 1] = A[1, :, 0] = -2000.0
    A[0, :, 0] = A[1, :, 1] = 0.0
    D = pairwise_log_distances(A)
    expected = 1000.0 - np.log(2.0)
    assert D[0, 1] == pytest.approx(expected, rel=4 * EPS)
    G = pairwise_log_distances(A, metric="geodesic")
    assert G[0, 1] == pytest.approx(np.pi / 2, rel=4 * EPS)


def test_geodesic_of_nearly_identical_models_keeps_relative_accuracy():
    """arccos near 1 loses half the digits; the fallback gives full relative accuracy."""
    P = _stack(1, N=6, C=4, seed=5)[0]
    a = np.log(P)
    b = a + 1e-9 * np.random.default_rng(6).standard_normal(a.shape)
    b -= scipy.special.logsumexp(b, axis=-1, keepdims=True)
    d = pairwise_log_distances(np.stack([a, b]), metric="geodesic")[0, 1]
    mpmath.mp.dps = 50
    ref = 0
    for n in range(a.shape[0]):
        bc = mpmath.fsum(mpmath.e ** ((mpmath.mpf(x) + mpmath.mpf(y)) / 2)
                         for x, y in zip(a[n], b[n]))
        # normalisation of the float64 inputs is exact only to ~eps; use the angle between the
        # normalised square-root vectors, as the kernel does for d_G
        na = mpmath.sqrt(mpmath.fsum(mpmath.e ** mpmath.mpf(x) for x in a[n]))
        nb = mpmath.sqrt(mpmath.fsum(mpmath.e ** mpmath.mpf(y) for y in b[n]))
        ref += mpmath.acos(min(bc / (na * nb), mpmath.mpf(1)))
    ref = float(ref / a.shape[0])
    assert 0 < ref < 1e-7
    assert d == pytest.approx(ref, rel=1e-6)


def test_symmetric_kl_is_infinite_when_a_class_is_excluded():
    with np.errstate(divide="ignore"):
        A = np.log(np.array([[[0.5, 0.5]], [[1.0, 0.0]], [[0.25, 0.75]]]))
    D = pairwise_log_distances(A, metric="symmetric_kl")
    assert np.isinf(D[0, 1]) and np.isinf(D[1, 2])
    expected = (0.5 - 0.25) * np.log(0.5 / 0.25) + (0.5 - 0.75) * np.log(0.5 / 0.75)
    assert D[0, 2] == pytest.approx(expected, rel=1e-13)
    assert np.isfinite(pairwise_log_distances(A)[0, 1])       # d_B stays finite


def test_distances_to_ignorance_and_truth():
    P = _stack(4, N=30, C=3, seed=2)
    y = np.random.default_rng(2).integers(0, 3, 30)
    dT = log_distances_to(np.log(P), log_truth(y, 3))
    np.testing.assert_allclose(dT, -0.5 * np.mean(np.log(P[:, np.arange(30), y]), axis=1),
                               rtol=1e-13)
    d0 = log_distances_to(np.log(P), log_ignorance(30, 3))
    np.testing.assert_allclose(d0, -np.mean(np.log(np.sum(np.sqrt(P / 3), -1)), axis=1),
                               rtol=1e-12)


def test_normalisation_and_auto_detection():
    P = _stack(2, N=3, C=3).astype(np.float32)
    a = as_log_probabilities(P)
    assert a.dtype == np.float64
    np.testing.assert_allclose(scipy.special.logsumexp(a, axis=-1), 0.0, atol=4 * EPS)
    b = as_log_probabilities(np.log(P.astype(np.float64)) + 1e-7)    # within tolerance: renormalised
    np.testing.assert_allclose(scipy.special.logsumexp(b, axis=-1), 0.0, atol=4 * EPS)


def _bad(kind):
    P = _stack(2, N=3, C=3)
    if kind == "nan":
        P = np.log(P)
        P[0, 0, 0] = np.nan
    elif kind == "posinf":
        P = np.log(P)
        P[0, 0, 0] = np.inf
    elif kind == "positive_log":
        P = np.log(P)
        P[0, 0] = [0.5, -1.0, -2.0]
    elif kind == "log_not_normalised":
        P = np.log(P) - 0.1
    elif kind == "prob_not_normalised":
        P = P * 1.1
    elif kind == "2d":
        P = P[0]
    elif kind == "one_class":
        P = np.ones((2, 3, 1))
    elif kind == "all_neg_inf_row":
        P = np.log(P)
        P[0, 0] = -np.inf
    elif kind == "strings":
        P = np.array([[["a", "b"]]])
    return P


@pytest.mark.parametrize("kind,argument", [
    pytest.param("nan", "A", id="nan"),
    pytest.param("posinf", "A", id="plus-inf"),
    pytest.param("positive_log", "A", id="positive-log-probability"),
    pytest.param("log_not_normalised", "A", id="log-rows-not-normalised"),
    pytest.param("prob_not_normalised", "A", id="probability-rows-not-normalised"),
    pytest.param("2d", "A", id="two-axes"),
    pytest.param("one_class", "A", id="one-class"),
    pytest.param("all_neg_inf_row", "A", id="row-of-zero-probabilities"),
    pytest.param("strings", "A", id="not-numbers"),
])
def test_invalid_stacks(kind, argument):
    with pytest.raises(InvalidArgument) as e:
        pairwise_log_distances(_bad(kind))
    assert e.value.argument == argument


@pytest.mark.parametrize("kwargs,argument", [
    pytest.param({"metric": "euclid"}, "metric", id="unknown-metric"),
    pytest.param({"B": np.ones((2, 4, 3)) / 3}, "B", id="B-of-other-shape"),
])
def test_invalid_arguments(kwargs, argument):
    with pytest.raises(InvalidArgument) as e:
        pairwise_log_distances(np.log(_stack(2, N=3, C=3)), **kwargs)
    assert e.value.argument == argument


def test_invalid_kind():
    with pytest.raises(InvalidArgument) as e:
        as_log_probabilities(_stack(), kind="logits")
    assert e.value.argument == "kind"
