"""Sloppiness measures (thesis eqs. 4.4.1–4.4.3) against hand-computed spectra and brute force."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hyperribbon.numerics.curvature import (Spectrum, decay_rate, effective_dimensionality,
                                            sloppiness_summary, sloppy_factor,
                                            spectrum_from_values, strength)
from hyperribbon.theory import AssumptionViolated, InvalidArgument


def exact(values, **kw):
    return spectrum_from_values(values, floor=0.0, **kw)


def test_exponential_spectrum_by_hand():
    c, b, p = 0.2, 5.0, 100
    lam = b * np.exp(-c * np.arange(1, p + 1))
    n, eps = 501, 3.0
    thr = eps / (2 * (n - 1))                                  # 0.003
    # b e^{-ci} ≥ thr ⇔ i ≤ ln(b/thr)/c = ln(1666.7)/0.2 = 37.09
    p_hand = math.floor(math.log(b / thr) / c)
    m = effective_dimensionality(exact(lam), n, eps)
    assert m.decided and m.value == p_hand == 37
    s_hand = sum(1 + math.log(2 * (n - 1) * b * math.exp(-c * i) / eps + 1)
                 for i in range(1, p_hand + 1))
    s = strength(exact(lam), n, eps)
    assert s.decided and math.isclose(s.value, s_hand, rel_tol=1e-13)
    for r in (1, 10, p_hand, p - 1):
        cf = sloppy_factor(exact(lam), r)
        assert cf.decided and math.isclose(cf.value, c, rel_tol=1e-12)
    assert sloppy_factor(exact(lam), p).value == math.inf          # nothing constrains c'
    fit = decay_rate(exact(lam))
    assert math.isclose(fit.rate, c, rel_tol=1e-12) and fit.stderr < 1e-12
    assert math.isclose(fit.intercept, math.log(b), rel_tol=1e-12)
    assert math.isclose(fit.log10_slope, -c / math.log(10), rel_tol=1e-12)
    summary = sloppiness_summary(exact(lam), n, eps)
    assert summary["p"].value == 37 and math.isclose(summary["c"].value, c, rel_tol=1e-12)


def test_flat_and_two_level_spectra():
    flat = np.full(50, 0.7)
    assert effective_dimensionality(exact(flat), 11, 1.0).value == 50      # 0.7 ≥ 0.05
    assert effective_dimensionality(exact(flat), 11, 100.0).value == 0     # 0.7 < 5
    assert sloppy_factor(exact(flat), 10).value == 0.0                     # no decay at all
    two = np.array([1.0] * 5 + [1e-3] * 5)
    # c(A, 5) = min_{i>5} ln(1/1e-3)/(i−5) = ln(1000)/5 (the farthest index binds)
    assert math.isclose(sloppy_factor(exact(two), 5).value, math.log(1000) / 5, rel_tol=1e-13)
    assert sloppy_factor(exact(two), 6).value == 0.0
    zero_tail = np.array([2.0, 1.0, 0.0, 0.0])
    assert sloppy_factor(exact(zero_tail, dimension=4), 2).value == math.inf


def test_strength_is_p_plus_sum_of_logs():
    lam = np.array([10.0, 2.0, 0.5, 0.01, 0.0])
    n, eps = 21, 4.0                                     # threshold 0.1 → p(n, ε) = 3
    val = strength(exact(lam), n, eps).value
    hand = 3 + sum(math.log(2 * 20 * x / 4 + 1) for x in (10.0, 2.0, 0.5))
    assert math.isclose(val, hand, rel_tol=1e-14)


def test_unresolved_tail_and_partial_spectra_give_intervals():
    lam = np.exp(-0.5 * np.arange(60))
    s = spectrum_from_values(lam, floor=1e-8)            # e^{-0.5 i} < 1e-8 for i ≥ 37
    n = 10 ** 6
    # threshold ε/(2(n−1)) far below the floor: p(n, ε) cannot be decided from these values
    m = effective_dimensionality(s, n, 1e-8)
    assert not m.decided and m.lower < m.upper == 60
    assert "undecided" in str(m)
    # well above the floor: decided, and equal to the exact count
    m2 = effective_dimensionality(s, 101, 2.0)             # threshold 0.01
    assert m2.decided and m2.value == np.count_nonzero(lam >= 0.01)
    c = sloppy_factor(s, 5)
    # the unresolved tail could be as large as the floor, which would slow the decay: the lower
    # bound drops below the true 0.5; the resolved neighbours keep the upper bound near 0.5
    assert not c.decided and 0 < c.lower < 0.5 <= c.upper < 0.5 + 1e-6
    # a top-k Lanczos-like spectrum of a p = 1000 PSD matrix
    top = Spectrum(lam[:10], np.full(10, 1e-14), 1e-14, 1000, None, "lanczos",
                   meta={"which": "LA"})
    e = effective_dimensionality(top, 101, 2.0, psd=True)
    # λ_10 = e^{-4.5} = 0.011 ≥ threshold 0.01: the 990 uncomputed ones might be above it too
    assert not e.decided and e.lower == 10 and e.upper == 1000
    e_low = effective_dimensionality(top, 101, 2.0 * 1e3, psd=True)    # threshold 10 > λ_1
    assert e_low.decided and e_low.value == 0
    e_unknown = effective_dimensionality(top, 101, 2.0)                 # not assumed PSD
    assert not e_unknown.decided and e_unknown.upper == 1000
    st_top = strength(top, 101, 2.0)
    assert not st_top.decided and st_top.upper > st_top.lower
    c_top = sloppy_factor(top, 3)
    # unlisted eigenvalues lie in [0, λ_10]: c(A, 3) ≥ ln(λ_3/λ_10)/(1000 − 3)
    assert c_top.lower == pytest.approx(math.log(lam[2] / (lam[9] + 1e-14)) / 997, rel=1e-9)
    assert c_top.upper == pytest.approx(0.5, rel=1e-9)
    gram = Spectrum(lam[:10], np.zeros(10), 0.0, 1000, 0.0, "svd")      # rest exactly zero
    assert sloppy_factor(gram, 3).decided


def test_measure_decided_means_narrow_bounds():
    from hyperribbon.numerics.curvature import Measure

    narrow = Measure("s(n,eps)", 158.177, 158.177 - 1e-9, 158.177 + 1e-9, "4.4.2")
    edge = Measure("c(A,r)", 1.0, 1.0 - 4e-4, 1.0 + 4e-4, "4.4.3")        # width 8e-4 < 1e-3
    beyond = Measure("c(A,r)", 1.0, 1.0 - 6e-4, 1.0 + 6e-4, "4.4.3")      # width 1.2e-3
    assert edge.decided and not beyond.decided
    wide = Measure("s(n,eps)", 158.0, 150.0, 170.0, "4.4.2")
    open_ = Measure("c(A,r)", math.nan, 0.1, math.inf, "4.4.3")
    assert narrow.decided and "± 1e-09" in str(narrow)
    assert not wide.decided and "[150, 170]" in str(wide) and "undecided" in str(wide)
    assert not open_.decided
    # the values of an error-bar-carrying spectrum: s is decided when the floor is far below
    lam = np.exp(-0.3 * np.arange(1, 41))
    s = strength(spectrum_from_values(lam, floor=1e-14), 301, 1.0)
    assert s.decided and s.lower <= s.value <= s.upper


def test_negative_eigenvalues():
    lam = np.array([3.0, 1.0, -0.5])
    assert effective_dimensionality(exact(lam), 11, 1.0).value == 3          # uses |λ|
    with pytest.raises(AssumptionViolated):
        strength(exact(lam), 11, 1.0)
    with pytest.raises(AssumptionViolated):
        sloppy_factor(exact(lam), 1)
    tiny_negative = spectrum_from_values([3.0, 1.0, -1e-17], floor=1e-15)     # within noise
    c = sloppy_factor(tiny_negative, 1)                  # allowed: −1e-17 is not resolved
    assert c.lower <= math.log(3.0) <= c.upper and c.upper - c.lower < 1e-12


def test_decay_rate_matches_linregress_and_respects_range():
    rng = np.random.default_rng(0)
    i = np.arange(1, 81)
    lam = 2.0 * np.exp(-0.15 * i + 0.3 * rng.standard_normal(80))
    lam = np.sort(lam)[::-1]
    fit = decay_rate(exact(lam), first=11, last=70)
    ref = stats.linregress(i[10:70], np.log(lam[10:70]))
    assert math.isclose(fit.rate, -ref.slope, rel_tol=1e-12)
    assert math.isclose(fit.stderr, ref.stderr, rel_tol=1e-10)
    assert math.isclose(fit.intercept_stderr, ref.intercept_stderr, rel_tol=1e-10)
    assert fit.n_used == 60 and fit.first == 11 and fit.last == 70
    # unresolved eigenvalues are left out of the fit
    s = spectrum_from_values(np.exp(-0.3 * np.arange(1, 201)), floor=1e-12)
    f2 = decay_rate(s)
    assert f2.n_used == np.count_nonzero(np.exp(-0.3 * np.arange(1, 201)) > 1e-12)
    assert math.isclose(f2.rate, 0.3, rel_tol=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=1e-6, max_value=1e3), min_size=2, max_size=30),
       st.integers(min_value=2, max_value=10 ** 5), st.floats(min_value=1e-3, max_value=1e3),
       st.data())
def test_definitions_by_brute_force(values, n, eps, data):
    lam = np.sort(np.array(values))[::-1]
    spec = exact(lam)
    thr = eps / (2 * (n - 1))
    p_bf = sum(1 for x in lam if abs(x) >= thr)
    assert effective_dimensionality(spec, n, eps).value == p_bf
    s_bf = sum(1 + math.log(2 * (n - 1) * x / eps + 1) for x in lam[:p_bf])
    assert math.isclose(strength(spec, n, eps).value, s_bf, rel_tol=1e-12, abs_tol=1e-12)
    r = data.draw(st.integers(min_value=1, max_value=lam.size))
    c = sloppy_factor(spec, r).value
    idx = np.arange(1, lam.size + 1)
    tail = idx >= r
    if math.isfinite(c):
        # c satisfies the constraint (to rounding) and c·(1 + 1e-9) + 1e-12 violates it
        bound = lam[r - 1] * np.exp(-c * (idx[tail] - r))
        assert np.all(lam[tail] <= bound * (1 + 1e-12))
        if c > 0:
            c_up = c * (1 + 1e-9) + 1e-12
            assert np.any(lam[tail] > lam[r - 1] * np.exp(-c_up * (idx[tail] - r)))
    else:
        assert r == lam.size


INVALID = [
    pytest.param(effective_dimensionality, ([1.0, 0.5], 1, 1.0), {}, "n", id="p-n"),
    pytest.param(effective_dimensionality, ([1.0, 0.5], 10, 0.0), {}, "eps", id="p-eps"),
    pytest.param(effective_dimensionality, ([1.0, 0.5], 10, 1.0), {"psd": 1}, "psd",
                 id="p-psd"),
    pytest.param(effective_dimensionality, ("abc", 10, 1.0), {}, "spectrum", id="p-spectrum"),
    pytest.param(strength, ([1.0], 10, -2.0), {}, "eps", id="s-eps"),
    pytest.param(strength, ([1.0, np.nan], 10, 2.0), {}, "spectrum", id="s-nan"),
    pytest.param(sloppy_factor, ([1.0, 0.5], 0), {}, "r", id="c-r0"),
    pytest.param(sloppy_factor, ([1.0, 0.5], 3), {}, "r", id="c-r-large"),
    pytest.param(sloppy_factor, ([1.0, 0.5], 1.5), {}, "r", id="c-r-float"),
    pytest.param(decay_rate, ([1.0, 0.5],), {}, "spectrum", id="fit-too-few"),
    pytest.param(decay_rate, ([1.0, 0.5, 0.2, 0.1],), {"first": 0}, "first", id="fit-first"),
    pytest.param(decay_rate, ([1.0, 0.5, 0.2, 0.1],), {"first": 3, "last": 2}, "last",
                 id="fit-last"),
    pytest.param(sloppiness_summary, ([1.0, 0.5], 10, "x"), {}, "eps", id="summary-eps"),
]


@pytest.mark.parametrize("func,args,kwargs,argument", INVALID)
def test_invalid_arguments(func, args, kwargs, argument):
    with pytest.raises(InvalidArgument) as err:
        func(*args, **kwargs)
    assert err.value.argument == argument
