"""Tests of hyperribbon.theory.linear_models.zolotarev: exact Zolotarev numbers and the thesis's bounds."""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.theory.linear_models import zolotarev as zmod
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.zolotarev import (extremal_ratio_on_grid,
                                                        log_zolotarev_number, thesis_refined_bound,
                                                        zolotarev_bound, zolotarev_nome,
                                                        zolotarev_number,
                                                        zolotarev_number_intervals, zolotarev_rho,
                                                        zolotarev_shifts)

MP = mpmath.mpf
EXAMPLES = max(120, settings.default.max_examples)


def rel_err(x, y):
    with mpmath.workdps(300):
        return abs(MP(x) / MP(y) - 1)


def product_formula(k, a, b, dps=60):
    """Independent reference: Z_k = 4 q^{2k} prod_m ((1+q^{8mk})/(1+q^{4(2m-1)k}))^4."""
    with mpmath.workdps(dps + 20):
        q = zolotarev_nome(a, b, dps=dps + 20)
        z = 4 * q ** (2 * k)
        for m in range(1, 400):
            factor = ((1 + q ** (8 * m * k)) / (1 + q ** (4 * (2 * m - 1) * k))) ** 4
            z *= factor
            if abs(factor - 1) < mpmath.mpf(10) ** (-dps - 10):
                break
        return z


# ----------------------------------------------------------------------------- closed forms

@pytest.mark.parametrize("a, b", [(1, 2), (1e-5, 3.0), (2.5, 1e30), (1, 1 + 2**-40), (7, 8)])
def test_k0_is_one(a, b):
    assert zolotarev_number(0, a, b) == 1
    assert log_zolotarev_number(0, a, b) == 0
    assert thesis_refined_bound(0, a, b) == 1          # equality at k = 0
    assert zolotarev_bound(0, a, b) == 4


@pytest.mark.parametrize("a, b", [(1, 2), (1, 4), (3, 1e6), (1, 1e30), (1, 1 + 1e-12),
                                  (1e-300, 1e-299), (Fraction(1, 3), Fraction(1, 2))])
def test_k1_closed_form(a, b):
    z = zolotarev_number(1, a, b, dps=60)
    with mpmath.workdps(100):
        a_ = MP(a.numerator) / a.denominator if isinstance(a, Fraction) else MP(a)
        b_ = MP(b.numerator) / b.denominator if isinstance(b, Fraction) else MP(b)
        closed = ((mpmath.sqrt(b_) - mpmath.sqrt(a_)) / (mpmath.sqrt(b_) + mpmath.sqrt(a_))) ** 2
        assert abs(z / closed - 1) < MP(10) ** -57


@pytest.mark.parametrize("k, a, b", [(1, 1, 2), (2, 1, 10), (5, 1, 1e4), (8, 1, 3),
                                     (40, 1, 1.01), (3, 1, 1e12), (200, 1, 1.5)])
def test_theta_form_matches_product_formula(k, a, b):
    assert rel_err(zolotarev_number(k, a, b, dps=60), product_formula(k, a, b)) < 1e-55


@pytest.mark.parametrize("tau", [0.05, 0.3, 0.999, 1.0, 1.001, 2.5, 40.0])
def test_both_theta_branches_match_mpmath_jtheta(tau):
    with mpmath.workdps(60):
        tau = MP(tau)
        nome = mpmath.exp(-mpmath.pi * tau)
        direct = 2 * mpmath.log(mpmath.jtheta(2, 0, nome) / mpmath.jtheta(3, 0, nome))
        assert abs(zmod._log_modulus(tau) - direct) < MP(10) ** -50


def test_two_routes_to_the_half_period_ratio_agree():
    # symmetric route agm(1, a/b)/agm(1, kappa) vs the cross-ratio route used for intervals
    for a, b in [(1, 2), (1, 1e20), (1, 1.0001)]:
        with mpmath.workdps(60):
            a_, b_ = MP(a), MP(b)
            ratio = zmod._kprime_over_k(a_, b_)
            c = 4 * a_ * b_ / (a_ + b_) ** 2
            ell_p, ell = mpmath.sqrt(c), (b_ - a_) / (b_ + a_)
            # tau = 4k K(kappa')/K(kappa) = 2k K(ell')/K(ell)  (one Landen step)
            assert abs(2 * ratio - mpmath.agm(1, ell_p) / mpmath.agm(1, ell)) < MP(10) ** -50


# ----------------------------------------------------------------------------- structure

@pytest.mark.parametrize("ratio", [1.001, 2.0, 100.0, 1e10, 1e30])
def test_monotone_decreasing_in_k_and_bounded_by_one(ratio):
    values = [zolotarev_number(k, 1, ratio, dps=30) for k in range(0, 61)]
    assert values[0] == 1
    assert all(0 < v <= 1 for v in values)
    assert all(later < earlier for earlier, later in zip(values, values[1:]))


@pytest.mark.parametrize("k", [1, 4, 30])
def test_increasing_in_ratio(k):
    ratios = [1.01, 1.5, 3.0, 1e3, 1e9, 1e25]
    values = [zolotarev_number(k, 1, r) for r in ratios]
    assert all(v2 > v1 for v1, v2 in zip(values, values[1:]))


@pytest.mark.parametrize("k, ratio", [(1, 3.0), (17, 1e8), (200, 1.01), (5, 1e30)])
@pytest.mark.parametrize("t", [2.0**-40, 2.0**50, 1e-100, 3.7, 1e200])
def test_invariant_under_scaling(k, ratio, t):
    base = zolotarev_number(k, 1.0, ratio)
    scaled = zolotarev_number(k, t, t * ratio)
    if math.log2(t).is_integer():                      # exact scaling in binary
        assert scaled == base
    else:                                              # t*ratio rounds: relative 1e-16 in b/a
        assert rel_err(scaled, base) < 1e-12 * max(1.0, -float(log_zolotarev_number(k, 1, ratio)))


@pytest.mark.parametrize("k, a, b", [(200, 1, 1e30), (1, 1, 1e30), (150, 1, 1.01),
                                     (7, 1e-20, 1e10), (3, 1, 1 + 2**-40), (1000, 1, 2)])
def test_precision_is_stable_at_extremes(k, a, b):
    low = zolotarev_number(k, a, b, dps=50)
    high = zolotarev_number(k, a, b, dps=150)
    assert rel_err(low, high) < 1e-48
    log_low = log_zolotarev_number(k, a, b, dps=50)
    log_high = log_zolotarev_number(k, a, b, dps=150)
    with mpmath.workdps(200):
        assert abs(log_low - log_high) < MP(10) ** -47 * max(1, abs(log_high))


@pytest.mark.parametrize("k, a, b", [(1000, 1, 2), (200, 1, 1 + 1e-12), (60, 1, 1.001)])
def test_log_scale_consistency_for_tiny_values(k, a, b):
    z = zolotarev_number(k, a, b)
    log_z = log_zolotarev_number(k, a, b)
    assert z > 0 and float(z) == 0.0                   # below the float range ...
    assert math.isfinite(float(log_z)) and float(log_z) < -700   # ... the log is not
    with mpmath.workdps(60):
        assert abs(mpmath.log(z) - log_z) < MP(10) ** -45 * abs(log_z)


# ----------------------------------------------------------------------------- extremal rational

@pytest.mark.parametrize("k, a, b", [(1, 1.0, 2.0), (2, 1.0, 10.0), (3, 1.0, 100.0),
                                     (6, 1.0, 1e6), (10, 1.0, 1.01), (12, 1e-3, 1e27),
                                     (20, 1.0, 50.0)])
def test_extremal_rational_attains_the_value_and_equioscillates(k, a, b):
    check = extremal_ratio_on_grid(k, a, b)
    log_z = float(log_zolotarev_number(k, a, b))
    assert abs(check.log_ratio - log_z) < 1e-11 * max(1.0, abs(log_z))
    # Chebyshev alternation: k + 1 equal local maxima of |r| on E and minima on F.
    assert len(check.local_max_E) == k + 1
    assert len(check.local_min_F) == k + 1
    assert np.ptp(check.local_max_E) < 1e-10 * max(1.0, abs(log_z))
    assert np.ptp(check.local_min_F) < 1e-10 * max(1.0, abs(log_z))


def test_perturbed_rational_functions_do_worse():
    # Any other type-(k, k) function of the same form gives a ratio >= Z_k.
    k, a, b = 3, 1.0, 100.0
    shifts = np.array([float(p) for p in zolotarev_shifts(k, a, b)])
    x = np.geomspace(a, b, 20001)
    log_z = float(log_zolotarev_number(k, a, b))
    rng = np.random.default_rng(20240531)
    for _ in range(50):
        p = shifts * np.exp(0.05 * rng.standard_normal(k))
        with np.errstate(divide="ignore"):
            on_E = np.sum(np.log(np.abs(-x[:, None] + p)) - np.log(np.abs(-x[:, None] - p)), 1)
            on_F = np.sum(np.log(np.abs(x[:, None] + p)) - np.log(np.abs(x[:, None] - p)), 1)
        # r(z) = prod (z + p)/(z - p): log of sup_E |r| / inf_F |r| is never below log Z_k
        assert on_E.max() - on_F.min() > log_z - 1e-9


def test_shifts_are_symmetric_about_the_geometric_mean():
    p = zolotarev_shifts(7, 2, 1e12, dps=40)
    with mpmath.workdps(60):
        for j in range(7):
            assert abs(p[j] * p[6 - j] / (2 * MP(1e12)) - 1) < MP(10) ** -38
        assert all(2 < pj < 1e12 for pj in p)
        assert all(p1 > p2 for p1, p2 in zip(p, p[1:]))


# ----------------------------------------------------------------------------- general intervals

def _mobius_image(k_pair, coeffs):
    """Image of [lo, hi] under z -> (alpha z + beta)/(gamma z + delta), sorted."""
    al, be, ga, de = coeffs
    ends = [(al * z + be) / (ga * z + de) for z in k_pair]
    return (min(ends), max(ends))


@pytest.mark.parametrize("coeffs", [(1, 0, 0, 1), (3, -7, 0, 1), (1, 2, 0.1, -0.05),
                                    (2, 1, 1, -0.5), (0, 1, 1, 0.1)])
@pytest.mark.parametrize("k, a, b", [(1, 1, 3), (4, 1, 1e6), (25, 2, 3)])
def test_intervals_match_the_symmetric_case_under_moebius_maps(coeffs, k, a, b):
    with mpmath.workdps(80):
        c = [MP(x) for x in coeffs]
        pole = -c[3] / c[2] if c[2] != 0 else None
        assert pole is None or not (a <= abs(pole) <= b)
        E = _mobius_image((MP(-b), MP(-a)), c)
        F = _mobius_image((MP(a), MP(b)), c)
    z = zolotarev_number_intervals(k, E, F, dps=50)
    assert rel_err(z, zolotarev_number(k, a, b, dps=50)) < 1e-45
    assert rel_err(zolotarev_number_intervals(k, F, E, dps=50), z) < 1e-45


@pytest.mark.parametrize("k", [1, 3])
def test_intervals_far_apart_keep_their_digits(k):
    # E = [0, 1], F = [1e30, 1e30 + 1]: 1 - c = w^2 = 1/(1e30)^2, Z_1 ~ (w/2)^2 ~ 2.5e-61.
    with mpmath.workdps(100):
        big = MP(10) ** 30
        E, F = (MP(0), MP(1)), (big, big + 1)
        w = 1 / big
    z = zolotarev_number_intervals(k, E, F, dps=50)
    with mpmath.workdps(150):
        reference = zolotarev_number(k, 1 - w, 1 + w, dps=100)   # a/b = (1 - w)/(1 + w)
        if k == 1:                                                 # elementary closed form
            assert abs(z / ((1 - mpmath.sqrt(1 - w * w)) / w) ** 2 - 1) < MP(10) ** -45
        assert abs(z / reference - 1) < MP(10) ** -45


def test_intervals_translation_and_order():
    z = zolotarev_number_intervals(5, (0, 1), (3, 7))
    assert rel_err(zolotarev_number_intervals(5, (100, 101), (103, 107)), z) < 1e-45
    assert rel_err(zolotarev_number_intervals(5, (-7, -3), (-1, 0)), z) < 1e-45   # z -> -z
    assert zolotarev_number_intervals(0, (0, 1), (3, 7)) == 1


# ----------------------------------------------------------------------------- the bounds

@settings(max_examples=EXAMPLES, deadline=None)
@given(k=st.integers(1, 60), a=st.floats(1e-8, 1e8),
       log10_ratio=st.floats(math.log10(1.01), 20.0))
def test_beckermann_townsend_and_refined_bounds_hold(k, a, log10_ratio):
    b = a * 10.0**log10_ratio
    z = zolotarev_number(k, a, b, dps=40)
    bt = zolotarev_bound(k, a, b, dps=40)
    refined = thesis_refined_bound(k, a, b, dps=40)
    # In this domain refined/z - 1 > 4e-21 (smallest near k = 60, b/a = 1e10), far above the
    # 1e-40 resolution; refined < bt by a factor (1 + rho^{-4k})^2 that may round to 1.
    assert z < refined <= bt
    with mpmath.workdps(60):                 # 1 - q rho = O((a/b)^2): 5e-44 at b/a = 1e20
        assert zolotarev_nome(a, b, dps=60) * zolotarev_rho(a, b, dps=60) < 1


def _wide_grid():
    ratios = [1 + MP(10) ** -e for e in range(1, 9)]
    ratios += [MP(10) ** (e / MP(4)) for e in range(1, 121)]
    ks = [1, 2, 3, 5, 10, 20, 50, 100, 200]
    return ratios, ks


def test_thesis_refined_bound_holds_on_a_wide_grid_but_the_margin_can_be_1e_38():
    """Finding: 4 rho^{-2k}/(1 + rho^{-4k})^2 is a valid bound (no counterexample), barely."""
    ratios, ks = _wide_grid()
    smallest = (math.inf, None)
    with mpmath.workdps(110):
        for r in ratios:
            for k in ks:
                z = zolotarev_number(k, 1, r, dps=100)
                refined = thesis_refined_bound(k, 1, r, dps=100)
                margin = refined / z - 1
                assert margin > MP(10) ** -90, (k, r)          # decided far above the noise
                if margin < smallest[0]:
                    smallest = (margin, (k, r))
    margin, (k, r) = smallest
    assert margin < MP(10) ** -36                              # 1.5e-38 at k=200, b/a=10^18.75
    assert k == 200 and MP(10) ** 18 < r < MP(10) ** 20


def test_refined_bound_margin_matches_its_asymptotics():
    k, r = 200, MP(10) ** MP(18.75)
    with mpmath.workdps(120):
        z = zolotarev_number(k, 1, r, dps=100)
        refined = thesis_refined_bound(k, 1, r, dps=100)
        rho, q = zolotarev_rho(1, r, dps=100), zolotarev_nome(1, r, dps=100)
        predicted = 2 * k * mpmath.log(1 / (q * rho)) + 4 * q ** (4 * k) - 2 * rho ** (-4 * k)
        assert abs((refined / z - 1) / predicted - 1) < 0.01
        # at 30 digits the two sides cannot be told apart: a checker must answer "undecided"
        assert abs(refined / z - 1) < MP(10) ** -30


def test_refined_expression_is_not_the_exact_value_even_with_the_true_nome():
    for k, r in [(1, 2.0), (2, 2.0), (1, 1e3), (5, 10.0)]:
        q = zolotarev_nome(1, r, dps=60)
        with mpmath.workdps(70):
            z = zolotarev_number(k, 1, r, dps=60)
            t = q ** (2 * k)
            exponent_2 = 4 * t / (1 + t * t) ** 2             # the thesis's shape, true nome
            exponent_4 = 4 * t / (1 + t * t) ** 4             # the exact leading correction
            assert exponent_2 > z                              # still an upper bound
            assert abs(exponent_2 / z - 1 - 2 * t * t) < 10 * t ** 4   # off by ~ 2 q^{4k}
            assert abs(exponent_4 / z - 1) < 10 * t ** 4       # exact up to O(q^{8k})
    # k = 1, b/a = 2: the thesis's shape is 1.08e-4 above Z_1 with the true nome, 18 % with rho
    with mpmath.workdps(40):
        q = zolotarev_nome(1, 2)
        z1 = zolotarev_number(1, 1, 2)
        assert 1.07e-4 < 4 * q**2 / (1 + q**4) ** 2 / z1 - 1 < 1.09e-4
        assert 0.17 < thesis_refined_bound(1, 1, 2) / z1 - 1 < 0.19


def test_refined_expression_is_not_exact_for_any_rho():
    # Choose rho* (depending on b/a only) so that the expression is exact at k = 1;
    # then it is wrong at k = 2.
    a, b = 1, 2
    with mpmath.workdps(60):
        z1, z2 = zolotarev_number(1, a, b), zolotarev_number(2, a, b)
        f = lambda t: 4 * t / (1 + t * t) ** 2               # noqa: E731
        t1 = mpmath.findroot(lambda t: f(t) - z1, z1 / 4)     # t = rho*^{-2}, on the rising branch
        assert 0 < t1 < 1 / mpmath.sqrt(3)
        predicted_z2 = f(t1 ** 2)
        assert abs(predicted_z2 / z2 - 1) > 1e-4


def test_proof_step_exact_nome_shape_bounds_z():
    # Z_k <= f(q^{2k}) with f(t) = 4t/(1+t^2)^2, the first step of the module's proof sketch.
    # The relative margin is about 2 t^2, so the precision must resolve t^2.
    ratios, ks = _wide_grid()
    checked = 0
    for r in ratios[::4]:
        q = zolotarev_nome(1, r, dps=60)
        for k in ks:
            with mpmath.workdps(70):
                t = q ** (2 * k)
            digits = 40 - 2 * int(mpmath.floor(mpmath.log10(t)))
            if digits > 400:        # t < 1e-180: covered by the analytic small-t estimate
                continue
            with mpmath.workdps(digits + 20):
                t = zolotarev_nome(1, r, dps=digits) ** (2 * k)
                assert 4 * t / (1 + t * t) ** 2 > zolotarev_number(k, 1, r, dps=digits)
            checked += 1
    assert checked > 200


def test_zolotarev_bound_closed_form():
    with mpmath.workdps(60):
        rho = zolotarev_rho(1, 1e6, dps=60)
        assert abs(zolotarev_bound(7, 1, 1e6, dps=60) / (4 * rho ** -14) - 1) < MP(10) ** -55
        t = rho ** -14
        refined = thesis_refined_bound(7, 1, 1e6, dps=60)
        assert abs(refined / (4 * t / (1 + t * t) ** 2) - 1) < MP(10) ** -55


# ----------------------------------------------------------------------------- invalid arguments

INVALID = [
    pytest.param(zolotarev_number, (-1, 1, 2), {}, "k", id="k-negative"),
    pytest.param(zolotarev_number, (1.5, 1, 2), {}, "k", id="k-fractional"),
    pytest.param(zolotarev_number, (True, 1, 2), {}, "k", id="k-bool"),
    pytest.param(zolotarev_number, ("3", 1, 2), {}, "k", id="k-string"),
    pytest.param(zolotarev_number, (1, 0, 2), {}, "a", id="a-zero"),
    pytest.param(zolotarev_number, (1, -1.0, 2), {}, "a", id="a-negative"),
    pytest.param(zolotarev_number, (1, math.nan, 2), {}, "a", id="a-nan"),
    pytest.param(zolotarev_number, (1, math.inf, 2), {}, "a", id="a-inf"),
    pytest.param(zolotarev_number, (1, 1, 1), {}, "b", id="b-equal-a"),
    pytest.param(zolotarev_number, (1, 2, 1), {}, "b", id="b-below-a"),
    pytest.param(zolotarev_number, (1, 1, math.inf), {}, "b", id="b-inf"),
    pytest.param(zolotarev_number, (1, 1, "2"), {}, "b", id="b-string"),
    pytest.param(zolotarev_number, (1, 1, 2 + 0j), {}, "b", id="b-complex"),
    pytest.param(zolotarev_number, (1, 1, 2), {"dps": 5}, "dps", id="dps-too-small"),
    pytest.param(zolotarev_number, (1, 1, 2), {"dps": 10**6}, "dps", id="dps-too-large"),
    pytest.param(zolotarev_number, (1, 1, 2), {"dps": 30.0}, "dps", id="dps-float"),
    pytest.param(log_zolotarev_number, (-2, 1, 2), {}, "k", id="log-k-negative"),
    pytest.param(log_zolotarev_number, (2, 1, 0.5), {}, "b", id="log-b-below-a"),
    pytest.param(zolotarev_nome, (0, 1), {}, "a", id="nome-a-zero"),
    pytest.param(zolotarev_rho, (2, 2), {}, "b", id="rho-b-equal-a"),
    pytest.param(zolotarev_bound, (-1, 1, 2), {}, "k", id="bound-k-negative"),
    pytest.param(thesis_refined_bound, (1, 3, 2), {}, "b", id="refined-b-below-a"),
    pytest.param(thesis_refined_bound, (1, 1, 2), {"dps": 0}, "dps", id="refined-dps-zero"),
    pytest.param(zolotarev_number_intervals, (1, (1, 0), (2, 3)), {}, "E", id="E-reversed"),
    pytest.param(zolotarev_number_intervals, (1, (0, 1, 2), (2, 3)), {}, "E", id="E-three-ends"),
    pytest.param(zolotarev_number_intervals, (1, (0, math.nan), (2, 3)), {}, "E", id="E-nan"),
    pytest.param(zolotarev_number_intervals, (1, 5, (2, 3)), {}, "E", id="E-scalar"),
    pytest.param(zolotarev_number_intervals, (1, (0, 1), (0.5, 3)), {}, "F", id="F-overlaps"),
    pytest.param(zolotarev_number_intervals, (1, (0, 1), (1, 3)), {}, "F", id="F-touches"),
    pytest.param(zolotarev_number_intervals, (-1, (0, 1), (2, 3)), {}, "k", id="intervals-k"),
    pytest.param(zolotarev_shifts, (0, 1, 2), {}, "k", id="shifts-k-zero"),
    pytest.param(extremal_ratio_on_grid, (2, 1.0, 4.0), {"points": 10}, "points",
                 id="grid-too-few-points"),
    pytest.param(extremal_ratio_on_grid, (2, -1.0, 4.0), {}, "a", id="grid-a-negative"),
]


@pytest.mark.parametrize("func, args, kwargs, argument", INVALID)
def test_invalid_arguments_are_named(func, args, kwargs, argument):
    with pytest.raises(InvalidArgument) as info:
        func(*args, **kwargs)
    assert info.value.argument == argument
    assert f"`{argument}`" in str(info.value)
    assert f"`{func.__name__}`" in str(info.value)

