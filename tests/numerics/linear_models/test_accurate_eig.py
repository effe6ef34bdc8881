"""Structured high-relative-accuracy eigenvalues of the target Gramian vs mpmath references.

Every comparison uses the exact extended-range result ``mantissa * 2**exponent`` (eigenvalues of
finite-T Gramians leave the float64 range quickly) and an mpmath reference at
``log10(λ_max/λ_min) + 30`` digits, whose absolute error ``n 10^{-dps} λ_max`` is then negligible.
"""
from __future__ import annotations

import dataclasses
import math

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hyperribbon.numerics.linear_models import _jacobi as J
from hyperribbon.numerics.linear_models.accurate_eig import (AccurateSpectrum,
                                                             graded_gram_eigvalsh,
                                                             gramian_eigvalsh, mp_eigvalsh,
                                                             mp_gramian_eigvalsh)
from hyperribbon.theory.errors import InvalidArgument

EPS = np.finfo(float).eps
INF = np.inf


# ------------------------------------------------------------------------------ helpers
def sloppy(n, c, alpha_frac=1.0, seed=0, zeros=0, sigma2=2.0):
    """s_i = α λ_i with λ_i = e^{-c(i-1)}, α = alpha_frac/λ1; ŷ_i ~ N(0, σ*² λ_i)."""
    lam = np.exp(-c * np.arange(n))
    s = alpha_frac * lam / lam[0]
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n) * np.sqrt(sigma2 * lam)
    if zeros:
        y[rng.choice(n, size=zeros, replace=False)] = 0.0
    return s, y


def as_mpf(spec: AccurateSpectrum):
    return [mpmath.ldexp(mpmath.mpf(float(m)), int(e)) for m, e in
            zip(spec.mantissa, spec.exponent)]


def ref_dps(spec: AccurateSpectrum, extra: int = 30) -> int:
    e = spec.exponent[spec.mantissa != 0]
    span = int(e.max() - e.min()) if e.size else 0
    return int(span * math.log10(2)) + extra


def max_rel_error(spec: AccurateSpectrum, ref, rank: int):
    """Max relative error over the first ``rank`` eigenvalues; exactness of the rest."""
    got = as_mpf(spec)
    err = mpmath.mpf(0)
    for i in range(rank):
        assert ref[i] > 0
        err = max(err, abs(got[i] - ref[i]) / ref[i])
    assert all(v == 0.0 for v in spec.values[rank:])
    assert all(m == 0.0 for m in spec.mantissa[rank:])
    return float(err)


def check_against_mp(s, y, T, tol=1e-8, **kw):
    """Our result vs the mpmath reference: within the *stated* bound, and that bound is
    meaningful (≤ ``tol``; it is computed from the factors' condition numbers, not from the BLAS
    kernel's actual rounding)."""
    spec = gramian_eigvalsh(s, y, T, **kw)
    dps = ref_dps(spec)
    ref = mp_gramian_eigvalsh(s, y, T, dps=dps)
    err = max_rel_error(spec, ref, spec.rank)
    # the reference's eigenvalues beyond the rank are noise at the 10^-dps level
    scale = abs(ref[0])
    assert all(abs(r) <= mpmath.mpf(10) ** (-(dps - 8)) * scale for r in ref[spec.rank:])
    assert err <= spec.rel_error_bound, (err, spec.rel_error_bound)
    assert spec.rel_error_bound <= tol, (spec.rel_error_bound, spec.method)
    return spec, err


def distinct_rank(s, y, T):
    nodes = {float(si) for si, yi in zip(s, y) if yi != 0}
    return len(nodes) if T == INF else min(len(nodes), T)


# ------------------------------------------------------------------------------ identities
@pytest.mark.parametrize("T", [1, 2, 5, 8, 13])
def test_dft_cauchy_identity(T):
    """V F = diag(1 - a^T)/sqrt(T) · C · diag(ω^{-j}), C_ij = 1/(ω^{-j} - a_i), F unitary DFT."""
    s = np.array([1e-3, 0.3, 0.9, 1.0, 1.4, 1.97])
    a = 1.0 - s
    t = np.arange(T)
    V = a[:, None] ** t[None, :]
    omega = np.exp(2j * np.pi / T)
    F = omega ** np.outer(t, t) / np.sqrt(T)
    np.testing.assert_allclose(F.conj().T @ F, np.eye(T), rtol=0, atol=32 * T * EPS)
    C = 1.0 / (omega ** (-t)[None, :] - a[:, None])
    rhs = (J.one_minus_powers(s, T) / np.sqrt(T))[:, None] * C * (omega ** (-t))[None, :]
    # sums of T terms |V||F| ≤ √T; complex powers ω^{-t} carry ~t ulps
    np.testing.assert_allclose(V @ F, rhs, rtol=64 * T * EPS, atol=64 * T * EPS * np.sqrt(T))
    # and the structured denominators are the same numbers
    np.testing.assert_allclose(J.DFTNodes(T).matrix(s), 1.0 / C, rtol=32 * T * EPS,
                               atol=32 * T * EPS)


@pytest.mark.parametrize("T", [3, 64, 1000])
def test_dft_denominators_and_differences_are_accurate(T):
    """ω^{-j} - a_i and ω^{-j} - ω^{-l}: normwise relative error of a few ulps, also where the
    real part cancels (s_i ≈ 2 sin²(θ_j/2), and s_i ≈ 2 - 2 cos²(θ_j/2) for s_i > 1)."""
    nodes = J.DFTNodes(T)
    j = np.arange(T)
    h2 = np.sin(np.pi * j / T) ** 2
    s = np.concatenate([[1e-9, 0.5, 1.0, 1.999999], np.clip(2 * h2[1:4], 1e-12, 1.99),
                        np.clip(2 * h2[-3:] * (1 + 1e-9), 1e-12, 1.999)])
    D = nodes.matrix(s)
    with mpmath.workdps(40):
        for i in range(s.size):
            for jj in list(range(min(T, 6))) + list(range(max(0, T - 6), T)):
                th = 2 * mpmath.pi * jj / T
                exact = mpmath.mpc(mpmath.cos(th), -mpmath.sin(th)) - (1 - mpmath.mpf(s[i]))
                err = abs(mpmath.mpc(D[i, jj].real, D[i, jj].imag) - exact) / abs(exact)
                assert err < 8 * EPS, (i, jj, float(err))
        for l in (0, 1, T // 2, T - 1):
            diff = nodes.differences(l)
            for jj in set([0, 1, l, (l + 1) % T, T // 2, T - 1]):
                exact = (mpmath.expjpi(-2 * mpmath.mpf(jj) / T)
                         - mpmath.expjpi(-2 * mpmath.mpf(l) / T))
                got = mpmath.mpc(diff[jj].real, diff[jj].imag)
                if jj == l:
                    assert got == 0
                else:
                    assert abs(got - exact) / abs(exact) < 8 * EPS


def test_accurate_one_minus_products_and_powers():
    s = np.array([1e-300, 1e-12, 1e-3, 0.3, 0.5, 1.0 - 2 ** -40, 1.0, 1.0 + 2 ** -40, 1.5,
                  2 - 1e-9, 2 - 2 ** -50])
    with mpmath.workdps(700):                  # 1 - 1e-300 must not round to 1
        a = [1 - mpmath.mpf(x) for x in s]
        for k in range(s.size):
            got = J.one_minus_products(s, k)
            for i in range(s.size):
                exact = 1 - a[i] * a[k]
                assert abs(got[i] - exact) / exact < 4 * EPS, (i, k)
        for T in (1, 2, 3, 50, 10 ** 6):
            got = J.one_minus_powers(s, T)
            for i in range(s.size):
                exact = 1 - a[i] ** T
                assert abs(got[i] - exact) / exact < 8 * EPS, (i, T)


def test_pick_schur_complement_closed_form():
    """Eliminating pivot k of C_ij = 1/(1 - a_i a_j) leaves
    C_ij (a_i - a_k)(a_j - a_k) / ((1 - a_i a_k)(1 - a_j a_k))."""
    with mpmath.workdps(50):
        a = [mpmath.mpf(x) for x in (0.0, 0.3, -0.7, 0.9, 0.99, -0.2)]
        n = len(a)
        C = mpmath.matrix(n, n)
        for i in range(n):
            for j in range(n):
                C[i, j] = 1 / (1 - a[i] * a[j])
        for k in range(n):
            for i in range(n):
                for j in range(n):
                    plain = C[i, j] - C[i, k] * C[k, j] / C[k, k]
                    closed = C[i, j] * (a[i] - a[k]) * (a[j] - a[k]) / (
                        (1 - a[i] * a[k]) * (1 - a[j] * a[k]))
                    assert abs(plain - closed) <= mpmath.mpf(10) ** -45 * (1 + abs(plain))


def test_cauchy_schur_complement_closed_form():
    """C_ij = 1/(x_i + y_j), pivot (k, l): C'_ij = C_ij (x_i-x_k)(y_j-y_l)/((x_i+y_l)(x_k+y_j))."""
    with mpmath.workdps(50):
        T = 7
        x = [-(1 - mpmath.mpf(v)) for v in (0.05, 0.4, 1.0, 1.3, 1.8)]
        y = [mpmath.expjpi(-2 * mpmath.mpf(j) / T) for j in range(T)]
        C = [[1 / (xi + yj) for yj in y] for xi in x]
        for k, l in [(0, 0), (2, 3), (4, 6)]:
            for i in range(len(x)):
                for j in range(T):
                    plain = C[i][j] - C[i][l] * C[k][j] / C[k][l]
                    closed = C[i][j] * (x[i] - x[k]) * (y[j] - y[l]) / (
                        (x[i] + y[l]) * (x[k] + y[j]))
                    assert abs(plain - closed) <= mpmath.mpf(10) ** -45 * (1 + abs(plain))


@pytest.mark.parametrize("pivoting", ["complete", "rook"])
def test_cauchy_rrd_reconstructs_the_matrix(pivoting):
    s, y = sloppy(9, 0.6, 1.0, seed=3)
    T = 6
    g0 = y * J.one_minus_powers(s, T)
    X, Y, ph, dm, de = J.cauchy_rrd(s, g0, T, pivoting=pivoting)
    d = ph * dm * np.ldexp(1.0, de)
    S = g0[:, None] / J.DFTNodes(T).matrix(s)
    np.testing.assert_allclose((X * d) @ Y.conj().T, S, rtol=0,
                               atol=64 * (9 + 6) * 6 * EPS * np.abs(S).max())
    assert X.shape == (9, 6) and np.all(np.abs(np.linalg.norm(X, axis=0) - 0.75) <= 0.25)


def test_pick_rrd_reconstructs_the_matrix():
    s, y = sloppy(12, 0.5, 1.0, seed=4)
    X, c = J.pick_rrd(s, y)
    M = X * np.ldexp(1.0, c)
    G = np.outer(y, y) / (s[:, None] + s[None, :] - s[:, None] * s[None, :])
    np.testing.assert_allclose(M @ M.T, G, rtol=0, atol=16 * 12 * 12 * EPS * np.abs(G).max())


def test_scaled_jacobi_beyond_the_float64_range():
    """Column scales spanning 3000 bits: the scaled one-sided Jacobi still gets every singular
    value to high relative accuracy."""
    rng = np.random.default_rng(7)
    B = rng.normal(size=(6, 6)) + 3 * np.eye(6)
    c = np.array([0, -700, -1400, -2100, -2800, -3000])
    mant, expo = J.scaled_jacobi(B, c)
    with mpmath.workdps(1000):
        M = mpmath.matrix(6, 6)
        for i in range(6):
            for j in range(6):
                M[i, j] = mpmath.ldexp(mpmath.mpf(B[i, j]), int(c[j]))
        ref = sorted(mpmath.svd_r(M, compute_uv=False), reverse=True)
        for m, e, r in zip(mant, expo, ref):
            assert abs(mpmath.ldexp(mpmath.mpf(m), int(e)) / r - 1) \
                < 64 * 6 * EPS * np.linalg.cond(B)


# ------------------------------------------------------------------------------ vs mpmath
CASES = [
    # n, c, T, alpha * λ1, zeros in ŷ
    pytest.param(10, 0.1, INF, 1.0, 0, id="n10-c0.1-Tinf-alpha=1/l1"),
    pytest.param(25, 0.5, INF, 1.0, 2, id="n25-c0.5-Tinf-zeros"),
    pytest.param(40, 0.3, INF, 0.6, 0, id="n40-c0.3-Tinf"),
    pytest.param(40, 1.5, INF, 1.0, 0, id="n40-c1.5-Tinf"),
    pytest.param(12, 0.1, 1, 1.0, 0, id="n12-T1"),
    pytest.param(25, 0.5, 2, 1.0, 0, id="n25-T2"),
    pytest.param(30, 0.3, 7, 1.0, 3, id="n30-T7-zeros"),
    pytest.param(40, 0.5, 7, 0.6, 0, id="n40-T7"),
    pytest.param(40, 0.2, 50, 0.9, 0, id="n40-c0.2-T50"),
    pytest.param(20, 1.5, 50, 1.0, 0, id="n20-c1.5-T50"),
    pytest.param(12, 0.1, 400, 0.6, 0, id="n12-c0.1-T400"),
    pytest.param(40, 1.0, 400, 1.0, 2, id="n40-c1.0-T400-beyond-float64"),
]


@pytest.mark.parametrize("n,c,T,af,zeros", CASES)
def test_agrees_with_mpmath_on_sloppy_spectra(n, c, T, af, zeros):
    s, y = sloppy(n, c, af, seed=n + int(10 * c), zeros=zeros)
    spec, err = check_against_mp(s, y, T)
    assert spec.rank == distinct_rank(s, y, T)
    assert np.all(np.diff(spec.values) <= 0)


@pytest.mark.parametrize("force", [False, True], ids=["dgejsv", "scaled-jacobi"])
@pytest.mark.parametrize("pivoting", ["complete", "rook"])
@pytest.mark.parametrize("T", [9, INF])
def test_jacobi_variants_and_pivotings_agree(force, pivoting, T):
    s, y = sloppy(18, 0.4, 1.0, seed=11)
    spec, _ = check_against_mp(s, y, T, pivoting=pivoting, _force_scaled_jacobi=force)
    assert ("scaled-jacobi" in spec.method) == force


@pytest.mark.parametrize("T", [3, 40, INF])
def test_steps_beyond_one(T):
    """s_i in (1, 2) (α λ_i > 1, oscillating modes), mixed with s <= 1."""
    s, y = sloppy(16, 0.4, 1.9, seed=5)
    assert np.any(s > 1.0) and np.any(s < 1.0)
    check_against_mp(s, y, T)
    s2 = 2.0 - np.geomspace(1e-6, 0.9, 10)           # all in (1.1, 2), clustered near 2
    check_against_mp(s2, np.linspace(1, 2, 10), T)


@pytest.mark.parametrize("T", [1, 4, 30, INF])
def test_repeated_eigenvalues_and_zero_weights(T):
    lam = np.repeat(np.exp(-0.6 * np.arange(6)), [3, 1, 2, 1, 2, 1])   # 10 entries, 6 distinct
    s = lam / lam[0]
    y = np.array([1.0, -2.0, 0.5, 0.7, 0.0, 0.3, 0.2, 0.1, 0.0, 0.05]) * np.sqrt(lam)
    spec, _ = check_against_mp(s, y, T)
    expected_rank = distinct_rank(s, y, T)
    assert spec.rank == expected_rank
    assert np.count_nonzero(spec.values) == expected_rank
    # merging is exact: the merged problem has the same spectrum
    uniq = np.unique(s)[::-1]
    w = np.array([math.sqrt(sum(y[s == u] ** 2)) for u in uniq])
    merged = gramian_eigvalsh(uniq, w, T)
    np.testing.assert_allclose(spec.values[:merged.rank], merged.values[:merged.rank],
                               rtol=spec.rel_error_bound + merged.rel_error_bound)


def test_zero_target_and_single_node():
    spec = gramian_eigvalsh([0.5, 0.1, 0.01], [0.0, 0.0, 0.0], 5)
    assert spec.rank == 0 and np.all(spec.values == 0.0)
    spec = gramian_eigvalsh([0.3, 0.3, 0.3], [1.0, 2.0, -2.0], 4)
    exact = 9.0 * (1 - 0.7 ** 8) / (1 - 0.49)
    assert spec.rank == 1 and spec.values[0] == pytest.approx(exact, rel=64 * EPS)
    assert np.all(spec.values[1:] == 0.0)


def test_structured_path_resolves_the_tail_below_the_dense_noise_floor():
    """The tail of this Gramian lies far below ε·λ_max, the absolute error level of any dense
    float64 eigensolver (whose actual error depends on the BLAS kernel, so it is not asserted
    here); the structured path resolves it to within its own stated relative bound."""
    n = 40
    s, y = sloppy(n, 0.25, 1.0, seed=2)
    for T in (INF, 20):
        spec = gramian_eigvalsh(s, y, T)
        dps = ref_dps(spec)
        ref = mp_gramian_eigvalsh(s, y, T, dps=dps)
        k = spec.rank
        # the fact that puts the tail out of reach of dense float64: λ_k / λ_1 ≪ ε
        assert float(ref[k - 1] / ref[0]) < np.finfo(float).eps
        err = max_rel_error(spec, ref, k)
        assert err <= spec.rel_error_bound
        assert spec.rel_error_bound < 1e-8                # a meaningful bound (~1e-14 observed)


def test_underflowing_eigenvalues_are_kept_exactly():
    s, y = sloppy(40, 1.0, 1.0, seed=41)
    spec = gramian_eigvalsh(s, y, 400)
    tiny = (spec.mantissa != 0) & (spec.values < np.finfo(float).tiny)
    assert tiny.any()                           # below the float64 range ...
    np.testing.assert_array_equal(spec.underflowed, tiny)
    assert np.all(np.isfinite(spec.log_values[:spec.rank]))
    assert spec.log_values[spec.rank - 1] < math.log(np.finfo(float).tiny)   # ... but kept
    assert np.all(np.diff(spec.log_values[:spec.rank]) <= 0)


def test_result_is_a_frozen_array_like():
    s, y = sloppy(6, 0.5)
    spec = gramian_eigvalsh(s, y, 3)
    assert isinstance(spec, AccurateSpectrum)
    arr = np.asarray(spec)
    assert arr.shape == (6,) and arr.dtype == np.float64 and len(spec) == 6
    np.testing.assert_array_equal(arr, spec.values)
    assert spec[0] == spec.values[0] and list(spec) == list(spec.values)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.rel_error_bound = 0.0
    with pytest.raises(ValueError):
        spec.values[0] = 1.0
    assert 0 < spec.rel_error_bound < 1e-10 and "DFT" in spec.method


# ------------------------------------------------------------------------------ properties
node = st.one_of(st.floats(1e-8, 1.999), st.floats(-8, math.log(1.999)).map(math.exp))
weight = st.one_of(st.just(0.0), st.floats(1e-3, 10.0), st.floats(-10.0, -1e-3))
horizon = st.one_of(st.integers(1, 60), st.just(INF))


@given(st.lists(st.tuples(node, weight), min_size=1, max_size=8), horizon)
def test_properties_descending_nonnegative_trace(pairs, T):
    s = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    spec = gramian_eigvalsh(s, y, T)
    v = spec.values
    assert v.shape == (len(pairs),)
    assert np.all(v >= 0) and np.all(np.diff(v) <= 0)
    assert spec.rank == distinct_rank(s, y, T)
    assert np.all(v[spec.rank:] == 0.0) and np.all(v[:spec.rank] > 0)
    # trace: sum_i y_i^2 (1 - a_i^{2T}) / (1 - a_i^2), every term accurate and positive
    num = np.ones_like(s) if T == INF else J.one_minus_powers(s, 2 * T)
    trace = math.fsum(y ** 2 * num / (s * (2 - s)))
    assert math.fsum(v) == pytest.approx(trace, rel=spec.rel_error_bound + 8 * len(s) * EPS,
                                         abs=0)
    # permutation invariance and exact scaling
    perm = np.random.default_rng(len(pairs)).permutation(len(pairs))
    np.testing.assert_allclose(gramian_eigvalsh(s[perm], y[perm], T).values, v,
                               rtol=2 * spec.rel_error_bound, atol=0)
    np.testing.assert_allclose(gramian_eigvalsh(s, 4 * y, T).values, 16 * v,
                               rtol=2 * spec.rel_error_bound, atol=0)


@given(st.lists(st.tuples(node, weight), min_size=1, max_size=6), st.integers(1, 30))
def test_property_monotone_in_T(pairs, T):
    """G(T) ⪯ G(T+1) ⪯ G(∞) (Loewner), so each eigenvalue grows with T."""
    s = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    a, b, c = (gramian_eigvalsh(s, y, t) for t in (T, T + 1, INF))
    tol = 1 + 2 * max(a.rel_error_bound, b.rel_error_bound, c.rel_error_bound)
    assert np.all(a.values <= b.values * tol)
    assert np.all(b.values <= c.values * tol)


@given(st.lists(st.tuples(node, weight), min_size=1, max_size=6), horizon)
def test_property_agrees_with_mpmath(pairs, T):
    s = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    assume(np.any(y != 0))
    spec = gramian_eigvalsh(s, y, T)
    dps = ref_dps(spec, extra=35)
    ref = mp_gramian_eigvalsh(s, y, T, dps=dps)
    err = max_rel_error(spec, ref, spec.rank)
    assert err <= spec.rel_error_bound


# ------------------------------------------------------------------------------ graded Gram
def _mp_gram(F, dps):
    with mpmath.workdps(dps):
        Fm = mpmath.matrix(F.tolist())
        return mp_eigvalsh(Fm * Fm.T, dps=dps)


@pytest.mark.parametrize("sigma_w2,tol", [(1e-3, 1e-10), (1e-8, 1e-8), (1e-20, 1e-2)])
@pytest.mark.parametrize("T", [5, 40])
def test_graded_gram_p1_factor(T, sigma_w2, tol):
    """P1 = P1^σw + P1^y through the factor [diag(√d) | diag(ŷ) V] (σ_w > 0). Accuracy follows
    the row-normalised condition number, which grows as σ_w → 0 (Vandermonde rows nearly
    parallel), and the bound says so honestly."""
    s, y = sloppy(15, 0.7, 1.0, seed=9)
    d = sigma_w2 * J.one_minus_powers(s, 2 * T) / (s * (2 - s))
    V = (1.0 - s)[:, None] ** np.arange(T)[None, :]
    F = np.hstack([np.diag(np.sqrt(d)), y[:, None] * V])
    spec = graded_gram_eigvalsh(F)
    ref = _mp_gram(F, 80)
    err = max(abs(mpmath.mpf(v) / r - 1) for v, r in zip(spec.values, ref))
    assert err <= spec.rel_error_bound
    assert spec.rel_error_bound <= tol
    assert spec.details["kappa_b"] > 1


def test_graded_gram_extreme_row_scales_use_scaled_jacobi():
    rng = np.random.default_rng(1)
    B = rng.normal(size=(5, 8))
    scales = np.ldexp(1.0, np.array([0, -300, -600, -900, -1000]))
    F = scales[:, None] * B
    spec = graded_gram_eigvalsh(F)
    assert "scaled-jacobi" in spec.method
    ref = _mp_gram(F, 700)
    got = as_mpf(spec)
    assert max(abs(g / r - 1) for g, r in zip(got, ref)) <= spec.rel_error_bound
    assert spec.rel_error_bound < 1e-8


def test_graded_gram_zero_rows_and_wide_rank():
    rng = np.random.default_rng(2)
    F = rng.normal(size=(4, 6))
    F[2] = 0.0
    spec = graded_gram_eigvalsh(F)
    assert spec.rank == 3 and spec.values[3] == 0.0
    ref = _mp_gram(F, 40)
    np.testing.assert_allclose(spec.values[:3], [float(r) for r in ref[:3]],
                               rtol=spec.rel_error_bound)
    # fewer columns than nonzero rows: computed, but no relative guarantee is claimed
    tall = graded_gram_eigvalsh(rng.normal(size=(5, 2)))
    assert tall.rank == 2 and math.isinf(tall.rel_error_bound)


# ------------------------------------------------------------------------------ references
def test_mp_reference_sum_and_closed_forms_agree():
    s, y = sloppy(5, 0.8, 1.0)
    a = mp_gramian_eigvalsh(s, y, 6, dps=40, form="closed")
    b = mp_gramian_eigvalsh(s, y, 6, dps=40, form="sum")
    assert all(abs(x - z) <= mpmath.mpf(10) ** -35 * abs(a[0]) for x, z in zip(a, b))
    assert all(isinstance(x, mpmath.mpf) for x in a) and a == sorted(a, reverse=True)


# ------------------------------------------------------------------------------ invalid arguments
GOOD_S, GOOD_Y = [0.5, 0.1], [1.0, 2.0]
INVALID = [
    pytest.param(gramian_eigvalsh, ([0.5, 0.0], GOOD_Y, 3), {}, "s", id="s-zero"),
    pytest.param(gramian_eigvalsh, ([0.5, 2.0], GOOD_Y, 3), {}, "s", id="s-two"),
    pytest.param(gramian_eigvalsh, ([0.5, -0.1], GOOD_Y, 3), {}, "s", id="s-negative"),
    pytest.param(gramian_eigvalsh, ([0.5, np.nan], GOOD_Y, 3), {}, "s", id="s-nan"),
    pytest.param(gramian_eigvalsh, ([[0.5, 0.1]], GOOD_Y, 3), {}, "s", id="s-2d"),
    pytest.param(gramian_eigvalsh, ([], [], 3), {}, "s", id="s-empty"),
    pytest.param(gramian_eigvalsh, (GOOD_S, [1.0], 3), {}, "yhat", id="yhat-length"),
    pytest.param(gramian_eigvalsh, (GOOD_S, [1.0, np.inf], 3), {}, "yhat", id="yhat-inf"),
    pytest.param(gramian_eigvalsh, (GOOD_S, GOOD_Y, 0), {}, "T", id="T-zero"),
    pytest.param(gramian_eigvalsh, (GOOD_S, GOOD_Y, -2), {}, "T", id="T-negative"),
    pytest.param(gramian_eigvalsh, (GOOD_S, GOOD_Y, 2.5), {}, "T", id="T-fraction"),
    pytest.param(gramian_eigvalsh, (GOOD_S, GOOD_Y, "10"), {}, "T", id="T-string"),
    pytest.param(gramian_eigvalsh, (GOOD_S, GOOD_Y, True), {}, "T", id="T-bool"),
    pytest.param(gramian_eigvalsh, (GOOD_S, GOOD_Y, np.nan), {}, "T", id="T-nan"),
    pytest.param(gramian_eigvalsh, (GOOD_S, GOOD_Y, -np.inf), {}, "T", id="T-minus-inf"),
    pytest.param(gramian_eigvalsh, (GOOD_S, GOOD_Y, 2 ** 40), {}, "T", id="T-too-large"),
    pytest.param(gramian_eigvalsh, (GOOD_S, GOOD_Y, 3), {"pivoting": "partial"}, "pivoting",
                 id="pivoting-unknown"),
    pytest.param(graded_gram_eigvalsh, ([1.0, 2.0],), {}, "F", id="F-1d"),
    pytest.param(graded_gram_eigvalsh, ([[1.0, np.nan]],), {}, "F", id="F-nan"),
    pytest.param(mp_gramian_eigvalsh, (GOOD_S, GOOD_Y, 3), {"dps": 5}, "dps", id="dps-small"),
    pytest.param(mp_gramian_eigvalsh, (GOOD_S, GOOD_Y, 3), {"dps": 30.0}, "dps", id="dps-float"),
    pytest.param(mp_gramian_eigvalsh, (GOOD_S, GOOD_Y, 3), {"form": "dense"}, "form",
                 id="form-unknown"),
    pytest.param(mp_gramian_eigvalsh, (GOOD_S, GOOD_Y, INF), {"form": "sum"}, "T",
                 id="sum-needs-finite-T"),
    pytest.param(mp_gramian_eigvalsh, ([3.0, 0.1], GOOD_Y, 3), {}, "s", id="mp-s-range"),
    pytest.param(mp_eigvalsh, ([[1, 2], [3, 4]],), {}, "A", id="A-not-symmetric"),
    pytest.param(mp_eigvalsh, ([[1, 2, 3], [2, 3, 4]],), {}, "A", id="A-not-square"),
    pytest.param(mp_eigvalsh, ([[1, 2], [2, 1]],), {"dps": 3}, "dps", id="A-dps"),
]


@pytest.mark.parametrize("func,args,kwargs,argument", INVALID)
def test_invalid_arguments(func, args, kwargs, argument):
    with pytest.raises(InvalidArgument) as info:
        func(*args, **kwargs)
    assert info.value.argument == argument
    assert f"`{argument}`" in str(info.value)
    assert f"`{func.__name__}`" in str(info.value)
