"""Centroids of Table 2.3 against numerical minimisation of their divergences; zeros per support
(issue 8 D4); the log domain (E)."""
import mpmath
import numpy as np
import pytest
import scipy.optimize
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.prediction_space.centroids import (CENTROIDS, bhattacharyya_centroid,
                                                             centroid, centroid_objective,
                                                             geometric_mean, jeffreys_centroid)
from hyperribbon.theory.errors import InvalidArgument

EPS = np.finfo(float).eps


def _models(K=5, N=3, C=4, seed=0, conc=1.0):
    return np.random.default_rng(seed).dirichlet(np.full(C, conc), size=(K, N))


def _numerical_minimum(P, kind, weights=None, start=None):
    N, C = P.shape[1:]

    def to_simplex(z):
        z = z.reshape(N, C)
        q = np.exp(z - z.max(-1, keepdims=True))
        return q / q.sum(-1, keepdims=True)

    z0 = np.log(np.mean(P, axis=0) if start is None else start).ravel()
    r = scipy.optimize.minimize(lambda z: centroid_objective(P, to_simplex(z), kind, weights),
                                z0, method="BFGS", options={"gtol": 1e-12, "maxiter": 5000})
    return to_simplex(r.x), r.fun


@settings(max_examples=12)
@given(st.sampled_from(CENTROIDS), st.integers(0, 2 ** 32 - 1), st.integers(2, 6),
       st.integers(2, 5), st.booleans())
def test_each_centroid_minimises_its_divergence(kind, seed, K, C, weighted):
    P = _models(K=K, N=2, C=C, seed=seed)
    w = np.random.default_rng(seed).random(K) + 0.1 if weighted else None
    c = centroid(P, kind, w)
    np.testing.assert_allclose(c.sum(-1), 1, atol=1e-14)
    f = centroid_objective(P, c, kind, w)
    q, fq = _numerical_minimum(P, kind, w)
    assert f <= fq + 1e-12 * max(1, abs(fq))
    np.testing.assert_allclose(c, q, atol=2e-6)


def test_jeffreys_closed_form_for_positive_measures_minimises_over_the_orthant():
    P = _models(K=4, N=3, C=5, seed=7)
    c = jeffreys_centroid(P, normalized=False)

    def obj(logc):
        cc = np.exp(logc.reshape(c.shape))
        return np.sum(np.mean([(p - cc) * (np.log(p) - np.log(cc)) for p in P], axis=0))

    r = scipy.optimize.minimize(obj, np.zeros(c.size), method="BFGS", options={"gtol": 1e-12})
    np.testing.assert_allclose(c, np.exp(r.x.reshape(c.shape)), rtol=1e-6)
    assert not np.allclose(c.sum(-1), 1)                       # unnormalised in general
    cn = jeffreys_centroid(P)
    np.testing.assert_allclose(cn.sum(-1), 1, atol=1e-14)
    assert centroid_objective(P, cn, "jeffreys") <= \
        centroid_objective(P, c / c.sum(-1, keepdims=True), "jeffreys") + 1e-15


def test_bhattacharyya_centroid_is_a_fixed_point_and_stationary():
    P = _models(K=6, N=4, C=3, seed=3, conc=0.5)
    c, it = bhattacharyya_centroid(P, return_iterations=True)
    assert it < 10000
    root = np.sqrt(P * c[None])
    new = np.mean(root / root.sum(-1, keepdims=True), axis=0)
    np.testing.assert_allclose(new, c, atol=1e-13)
    # Lagrange stationarity: Σ_k sqrt(p_k/c)/(2 BC_k) is constant (= K/2) over classes
    grad = np.sum(np.sqrt(P / c[None]) / (2 * root.sum(-1, keepdims=True)), axis=0)
    np.testing.assert_allclose(grad, 6 / 2, rtol=1e-10)


@pytest.mark.parametrize("kind", CENTROIDS)
def test_identical_models_and_integer_weights(kind):
    P = _models(K=1, N=3, C=4, seed=1)
    np.testing.assert_allclose(centroid(np.repeat(P, 3, 0), kind), P[0], atol=1e-12)
    Q = _models(K=3, N=3, C=4, seed=2)
    rep = np.concatenate([Q[:1], Q[1:2], Q[1:2], Q[2:3], Q[2:3], Q[2:3]])
    np.testing.assert_allclose(centroid(Q, kind, [1, 2, 3]), centroid(rep, kind), atol=1e-12)
    perm = [2, 0, 1]
    np.testing.assert_allclose(centroid(Q[perm], kind), centroid(Q, kind), atol=1e-12)


def test_zeros():
    P = np.array([[[0.5, 0.5, 0.0]], [[0.2, 0.3, 0.5]]])
    np.testing.assert_allclose(centroid(P, "geometric")[0, 2], 0.0)
    np.testing.assert_allclose(centroid(P, "harmonic")[0, 2], 0.0)
    c = centroid(P, "bhattacharyya")                # may keep mass where one model has none
    assert centroid_objective(P, c, "bhattacharyya") <= \
        _numerical_minimum(P, "bhattacharyya")[1] + 1e-12
    with pytest.raises(InvalidArgument) as info:
        jeffreys_centroid(P)
    assert info.value.argument == "models"
    disjoint = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    with pytest.raises(InvalidArgument, match="undefined"):
        centroid(disjoint, "geometric")


# ---------------------------------------------------------------- zeros per support (D4)
def _jeffreys_two_class_exact():
    """Issue 8 D4: models [.5, .5, 0] and [.25, .75, 0]; on the common support {0, 1} the
    Jeffreys objective of c = (x, 1 − x) is minimised where its derivative vanishes (mpmath)."""
    P = [(mpmath.mpf("0.5"), mpmath.mpf("0.5")), (mpmath.mpf("0.25"), mpmath.mpf("0.75"))]

    def f(x):
        c = (x, 1 - x)
        return sum((p[i] - c[i]) * (mpmath.log(p[i]) - mpmath.log(c[i]))
                   for p in P for i in range(2)) / 2

    with mpmath.workdps(40):
        x = mpmath.findroot(lambda t: mpmath.diff(f, t), mpmath.mpf("0.37"))
        return float(x), float(f(x))


def test_shared_zeros_are_handled_per_support():
    P = np.array([[[0.5, 0.5, 0.0]], [[0.25, 0.75, 0.0]]])
    x, fmin = _jeffreys_two_class_exact()
    assert fmin == pytest.approx(0.0685767160, abs=1e-10)          # the value
    c = jeffreys_centroid(P)
    np.testing.assert_allclose(c[0], [x, 1 - x, 0.0], rtol=0, atol=16 * EPS)
    assert c[0, 2] == 0.0
    assert centroid_objective(P, c, "jeffreys") == pytest.approx(fmin, rel=16 * EPS)
    given = np.array([[0.3705070, 0.6294930, 0.0]])               # the centroid
    assert np.isfinite(centroid_objective(P, given, "jeffreys"))
    for kind in CENTROIDS:                                         # every centroid, objective
        ck = centroid(P, kind)
        assert ck[0, 2] == 0.0 and np.all(np.isfinite(ck))
        for k2 in CENTROIDS:
            assert np.isfinite(centroid_objective(P, ck, k2)), (kind, k2)
        with np.errstate(divide="ignore"):
            logP = np.log(P)
        np.testing.assert_allclose(np.exp(centroid(logP, kind, log=True)), ck,
                                   rtol=1e-12, atol=0)


def test_mixed_supports_are_infinite_never_nan(check_invalid):
    P = np.array([[[0.5, 0.5, 0.0]], [[0.25, 0.5, 0.25]]])
    err = check_invalid(lambda: jeffreys_centroid(P), "models", "sample 0, class 2")
    assert "infinite" in err.rule
    c = centroid(P, "arithmetic")                     # positive where either model is
    g = centroid(P, "geometric")                      # 0 on class 2
    assert centroid_objective(P, c, "jeffreys") == np.inf       # model 0 excludes class 2
    assert centroid_objective(P, g, "jeffreys") == np.inf       # g excludes what model 1 has
    assert centroid_objective(P, c, "harmonic") == np.inf       # (c − p)²/p with p = 0 < c
    assert centroid_objective(P, g, "geometric") < np.inf       # KL(g‖p): g ⊂ every support
    for kind in CENTROIDS:
        assert not np.isnan(centroid_objective(P, c, kind))


# ---------------------------------------------------------------- log domain (E)
@pytest.mark.parametrize("kind", CENTROIDS)
def test_log_domain_centroids_agree_and_stay_exact_under_underflow(kind):
    P = _models(K=4, N=3, C=5, seed=3)
    c = centroid(P, kind)
    lc = centroid(np.log(P), kind, log=True)
    np.testing.assert_allclose(np.exp(lc), c, rtol=1e-11, atol=0)
    assert centroid_objective(np.log(P), lc, kind, log=True) == pytest.approx(
        centroid_objective(P, c, kind), rel=1e-11)
    # confident models whose probabilities underflow even in float64
    z = np.random.default_rng(5).standard_normal((3, 4, 6)) * 900
    logp = z - scipy.special.logsumexp(z, axis=-1, keepdims=True)
    assert np.any(np.exp(logp) == 0)
    out = centroid(logp, kind, log=True)
    assert np.all(np.isfinite(out)) and np.allclose(scipy.special.logsumexp(out, -1), 0)


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: centroid(_models(), "median"), "kind", "'median'", id="kind"),
    pytest.param(lambda: centroid(_models(), "arithmetic", [1, 2]), "weights", "[1, 2]",
                 id="weights-len"),
    pytest.param(lambda: centroid(_models(), "arithmetic", -np.ones(5)), "weights", "(5,)",
                 id="weights-negative"),
    pytest.param(lambda: centroid(np.ones((2, 3, 2)), "arithmetic"), "models", "(2, 3, 2)",
                 id="unnormalised"),
    pytest.param(lambda: centroid(_models(), "geometric", log="x"), "log", "'x'", id="log"),
    pytest.param(lambda: bhattacharyya_centroid(_models(), tol=0), "tol", "0", id="tol"),
    pytest.param(lambda: bhattacharyya_centroid(_models(), max_iter=0), "max_iter", "0",
                 id="max-iter"),
    pytest.param(lambda: jeffreys_centroid(_models(), normalized="yes"), "normalized", "'yes'",
                 id="normalized"),
    pytest.param(lambda: centroid_objective(_models(), np.ones((2, 2)) / 2, "jeffreys"), "c",
                 "(2, 2)", id="objective-shape"),
    pytest.param(lambda: centroid_objective(_models(), np.ones((3, 4)), "jeffreys"), "c",
                 "(3, 4)", id="objective-unnormalised"),
    pytest.param(lambda: centroid_objective(_models(), np.ones((3, 4)) / 4, "mode"), "kind",
                 "'mode'", id="objective-kind"),
    pytest.param(lambda: geometric_mean(np.array([[[1.0, 0]], [[0, 1.0]]])), "models",
                 "sample 0", id="no-common-class"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)
