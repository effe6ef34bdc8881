import numpy as np
import pytest

from hyperribbon.theory.domains import Domain
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem, sloppy_spectrum
from hyperribbon.theory.linear_models import gd_closed_forms as cf

EPS = float(np.finfo(float).eps)

BAD = [
    pytest.param(dict(alpha=2.5), "alpha", id="alpha-above-2/lambda1"),
    pytest.param(dict(alpha=0.0), "alpha", id="alpha-zero"),
    pytest.param(dict(alpha=float("nan")), "alpha", id="alpha-nan"),
    pytest.param(dict(T=0), "T", id="T-zero"),
    pytest.param(dict(T=2.5), "T", id="T-fractional"),
    pytest.param(dict(sigma_w2=-1.0), "sigma_w2", id="negative-variance"),
    pytest.param(dict(c=0.0), "c", id="slope-zero"),
    pytest.param(dict(n=0), "n", id="n-zero"),
    pytest.param(dict(sigma_star2=-2.0), "sigma_star2", id="negative-target-variance"),
]


@pytest.mark.parametrize("kwargs,argument", BAD)
def test_invalid_arguments_are_named(kwargs, argument):
    with pytest.raises(InvalidArgument) as info:
        LinearGDProblem.sloppy(**kwargs)
    assert info.value.argument == argument
    assert f"`{argument}`" in str(info.value) and "got" in str(info.value)


@pytest.mark.parametrize("kwargs,argument", [
    pytest.param(dict(lam=[1.0, -0.1], yhat=[1, 1]), "lam", id="non-PD"),
    pytest.param(dict(lam=[1.0, 0.5], yhat=[1, 1, 1]), "yhat", id="length-mismatch"),
    pytest.param(dict(lam=[[1.0]], yhat=[1]), "lam", id="not-1d"),
    pytest.param(dict(lam=[1.0, np.inf], yhat=[1, 1]), "lam", id="inf"),
    pytest.param(dict(lam=[1.0, 0.5], yhat=[1, 1], c=0.3), "c", id="slope-mismatch"),
])
def test_invalid_direct_construction(kwargs, argument):
    kwargs = {"alpha": 0.5, "T": 3, **kwargs}
    with pytest.raises(InvalidArgument) as info:
        LinearGDProblem(**kwargs)
    assert info.value.argument == argument


def test_from_data_conventions():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 9))
    w = rng.standard_normal(9)
    p = LinearGDProblem.from_data(X, w_star=w, alpha=0.1, T=4, init_variance=0.5)
    K = X @ X.T / 6
    assert np.allclose(np.sort(p.lam), np.sort(np.linalg.eigvalsh(K)))
    assert p.sigma_w2 == pytest.approx(6 * 0.5)            # σw² = n·v (errata E2)
    assert np.allclose(p.basis @ p.yhat, X @ w)
    with pytest.raises(InvalidArgument, match="rank n"):
        LinearGDProblem.from_data(np.ones((3, 5)), y=np.ones(3), alpha=0.1, T=2)
    with pytest.raises(InvalidArgument, match="exactly one"):
        LinearGDProblem.from_data(X, alpha=0.1, T=2)


def test_domains_describe_and_contain():
    d = Domain(low=0, high=lambda ctx: 1 / ctx["l"], high_closed=True, high_text="1/λ1")
    assert d.contains(0.5, {"l": 1.0}) and d.contains(1.0, {"l": 1.0})
    assert not d.contains(1.01, {"l": 1.0}) and not d.contains(True, {"l": 1.0})
    assert d.describe({"l": 2.0}) == "in (0, 1/λ1] = (0, 0.5]"


def test_closed_forms_against_mpmath():
    import mpmath
    mpmath.mp.dps = 50
    s = np.array([1e-18, 1e-9, 1e-3, 0.5, 0.999, 1.0, 1.3, 1.9])
    for m in (1, 2, 7, 50, 1001):
        got = cf.one_minus_power(s, m)
        ref = np.array([float(1 - (1 - mpmath.mpf(x)) ** m) for x in s])
        # expm1(m·log1p(−s)): a few ulps, amplified by m·log1p's rounding (≤ log2(m) bits)
        np.testing.assert_allclose(got, ref, rtol=180 * EPS * max(1, np.log2(m)), atol=0)
        gap = cf.bernoulli_gap(s[s < 1], m)
        ref_gap = np.array([float(m * mpmath.mpf(x) - 1 + (1 - mpmath.mpf(x)) ** m)
                            for x in s[s < 1]])
        np.testing.assert_allclose(gap, ref_gap, rtol=64 * EPS * max(1, m * s[s < 1].max()),
                                   atol=1e-300)


def test_sloppy_spectrum():
    np.testing.assert_allclose(sloppy_spectrum(3, 1.0, 2.0), 2 * np.exp(-np.arange(3.0)))


def test_error_messages_summarise_types_and_arrays():
    assert "int32" in str(InvalidArgument("dtype", "f", "be a float dtype", np.int32))
    assert "shape (2, 2)" in str(InvalidArgument("x", "f", "be 1-D", np.zeros((2, 2))))
