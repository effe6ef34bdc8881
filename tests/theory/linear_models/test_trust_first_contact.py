"""Issue 8, "Trust at first contact" (linear models): every input of the report as a test with
the right value or the named error, plus the same fault searched for in every lemma.

B1 constructions fail their own validation · B3 sloppy spectra below the float64 range · D7
verdicts over nothing · D9 the structured T·P1 route and the falsifier's OverflowError · J1
verdicts decided by underflow · J2 raw under/overflow · J3 sizes · C T-step loops · I erratum E2.
"""
import math
import tracemalloc

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import hyperribbon.numerics  # noqa: F401  (installs the oracle)
from hyperribbon.numerics.linear_models import ExactOracle, gramian_eigvalsh
from hyperribbon.numerics.linear_models.accurate_eig import graded_gram_eigvalsh
from hyperribbon.numerics.linear_models.observe import mp_matrix
from hyperribbon.theory import errata, registry
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.lemma import Precision
from hyperribbon.theory.linear_models import deep_linear as dln
from hyperribbon.theory.linear_models import gd_closed_forms as cf
from hyperribbon.theory.linear_models import kernels as kern
from hyperribbon.theory.linear_models import linear_gd, sgd, weight_decay as wdm
from hyperribbon.theory.linear_models._linear_gd_support import geometric_sums
from hyperribbon.theory.linear_models.problems import MAX_N, LinearGDProblem, sloppy_spectrum
from hyperribbon.theory.verdict import Status, entry_count

EPS = float(np.finfo(float).eps)
TINY = float(np.finfo(float).tiny)
DEFAULT_SLOPES = (0.2, 0.3, 0.5)          # the CLI's (hyperribbon verify) default kernel slopes


def _peak_bytes(call):
    """Peak traced allocation while ``call`` raises (the error is returned)."""
    tracemalloc.start()
    try:
        with pytest.raises(InvalidArgument) as info:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value, peak


# ================================================================== B1: own constructions
@pytest.mark.parametrize("n", [70, 100])
def test_sloppy_kernels_pass_their_own_validation_and_keep_exact_spectra(n):
    """`hyperribbon verify all --n 100` built these: λmin = e^{-0.5·99} ≈ 3e-22 (and 1e-15 at
    n = 70) lies far below eigh's resolution; the exact spectra are kept instead."""
    p = kern.MultiKernelProblem.sloppy(n=n, slopes=DEFAULT_SLOPES, seed=0)
    for m, c in enumerate(DEFAULT_SLOPES):
        lam, U = p.spectrum(m)
        np.testing.assert_array_equal(lam, np.exp(-c * np.arange(n)))
        assert np.max(np.abs(U.T @ U - np.eye(n))) <= 64 * n * EPS
        assert np.max(np.abs((U * lam) @ U.T - p.grams[m])) <= 64 * n * EPS
    for lemma in (kern.LEMMA_5_3_2, kern.EQ_PMT):
        assert lemma.check(p).status in (Status.HOLDS, Status.UNDECIDED)


def test_user_gram_matrices_must_be_positive_definite_resolvably():
    """Given as matrices, λmin must exceed eigh's 8nε‖K‖ to be certified positive; below that
    the message points to exact spectra, which are accepted."""
    n = 30
    U = np.linalg.qr(np.random.default_rng(0).standard_normal((n, n)))[0]
    lam = np.exp(-0.5 * np.arange(n))                       # λmin = 5e-7 · e^{-7}: fine
    K = (U * lam) @ U.T
    kern.MultiKernelProblem(K[None], np.ones(n), 0.5, 3)
    tiny = np.exp(-2.0 * np.arange(n))                      # λmin = e^{-58} ≈ 6e-26
    with pytest.raises(InvalidArgument, match="from_spectra") as info:
        kern.MultiKernelProblem(((U * tiny) @ U.T)[None], np.ones(n), 0.5, 3)
    assert info.value.argument == "grams"
    p = kern.MultiKernelProblem.from_spectra([(tiny, U)], np.ones(n), 0.5, 3, slopes=[2.0])
    np.testing.assert_array_equal(p.spectrum(0)[0], tiny)


def test_symmetry_check_is_relative_to_the_matrix_scale():
    from hyperribbon.theory._validate import check_symmetric
    rng = np.random.default_rng(1)
    U = np.linalg.qr(rng.standard_normal((40, 40)))[0]
    for scale in (1e-200, 1.0, 1e200):
        check_symmetric((U * (scale * np.exp(-np.arange(40.0)))) @ U.T, "K", "f")
    A = 1e-20 * np.array([[1.0, 2.0], [0.0, 1.0]])          # tiny but plainly not symmetric
    with pytest.raises(InvalidArgument, match="symmetric"):
        check_symmetric(A, "K", "f")


# ================================================================== B3: sloppy underflow
@pytest.mark.parametrize("n,c", [(5000, 0.2), (50, 20.0), (2, 709.0)])
def test_sloppy_spectrum_below_float64_names_c_and_n(n, c):
    with pytest.raises(InvalidArgument) as info:
        LinearGDProblem.sloppy(n=n, c=c)
    e = info.value
    assert e.argument == "c" and e.owner == "LinearGDProblem.sloppy" and e.value == c
    assert f"n = {n}" in str(e) and "c·(n − 1) ≤ ln(λ1/2^-1022)" in str(e)
    largest = float(str(e).split("largest c for this n: ")[1].split(")")[0])
    assert largest == pytest.approx((math.log(1.0) - math.log(TINY)) / (n - 1), rel=1e-5)


def test_largest_admissible_slope_gives_a_normal_spectrum():
    n = 50
    c = (0 - math.log(TINY)) / (n - 1) * (1 - 1e-9)
    p = LinearGDProblem.sloppy(n=n, c=c, alpha=1.0)
    assert TINY <= p.lambdan and p.log_kappa == pytest.approx(c * (n - 1), rel=1e-12)
    with pytest.raises(InvalidArgument) as info:          # s_n = αλn would be subnormal
        LinearGDProblem.sloppy(n=n, c=c, alpha=0.9)
    assert info.value.argument == "alpha" and "s_n = αλn" in str(info.value)


# ================================================================== D7: verdicts over nothing
def test_lemma_5_2_3_at_n_1_is_not_applicable_naming_k_star():
    p = LinearGDProblem.sloppy(n=1, c=0.2, alpha=0.9, T=1, sigma_w2=0.1, sigma_star2=2, seed=0)
    v = linear_gd.LEMMA_5_2_3.check(p)
    assert v.status is Status.NOT_APPLICABLE
    assert any("k* = min" in a and "0.5" in a for a in v.failed_assumptions)
    assert math.isnan(v.margin)


def _degenerate_problems():
    """Small and degenerate problems of every §5.2–5.3 type (n = 1, 2, T = 1, σw² = 0)."""
    out = []
    for n, T, sw in ((1, 1, 0.1), (1, 50, 0.0), (2, 1, 0.1), (2, 50, 0.0), (3, 2, 0.1)):
        base = LinearGDProblem.sloppy(n=n, c=0.2, alpha=0.9, T=T, sigma_w2=sw, seed=0)
        out += [base, sgd.SGDProblem(base, 1), wdm.WeightDecayProblem(base, 0.05)]
        out.append(kern.MultiKernelProblem.sloppy(n=n, slopes=(0.3,), T=T, sigma_w2=sw, seed=0))
        out.append(dln.DeepLinearProblem.synthetic(n=n, d=2, p=1, T=T, seed=0))
    return out


@pytest.mark.parametrize("lemma", [lem for lem in registry.all_lemmas()
                                   if lem.problem_type.__module__.startswith(
                                       "hyperribbon.theory.linear_models")],
                         ids=lambda lem: lem.id)
def test_no_linear_model_lemma_holds_over_an_empty_index_set(lemma):
    for p in _degenerate_problems():
        if not isinstance(p, lemma.problem_type):
            continue
        v = lemma.check(p)
        if v.status is Status.HOLDS:
            assert entry_count(v.comparisons) > 0, (lemma.id, p.parameters())
        if v.status is Status.NOT_APPLICABLE:
            assert v.failed_assumptions


# ================================================================== D9: the structured route
def test_falsifier_example_decides_without_overflow_error():
    """The nightly falsifier's example (σw² = 0, n = 37, c = 1.0645, α = 0.0625, T = 4):
    eq. (5.2.7) died with OverflowError from graded_gram_eigvalsh."""
    p = LinearGDProblem.sloppy(n=37, c=1.0645, alpha=0.0625, T=4, sigma_w2=0.0, sigma_star2=1.0,
                               seed=0)
    v = linear_gd.EQ_5_2_7.check(p)
    assert v.status in (Status.HOLDS, Status.UNDECIDED)
    s1 = ExactOracle().eigenvalues(p, "S1", Precision.STRUCTURED)
    s1y = ExactOracle().eigenvalues(p, "S1y", Precision.STRUCTURED)
    np.testing.assert_array_equal(s1.values, s1y.values)          # σw² = 0: T·P1 = T·P1^y
    assert "Gramian" in s1.method or "DFT" in s1.method


def test_graded_gram_of_a_hopeless_factor_reports_a_huge_bound_not_an_overflow_error():
    p = LinearGDProblem.sloppy(n=37, c=1.0645, alpha=0.0625, T=4, sigma_w2=0.0, seed=0)
    s, T = p.s, p.T
    V = 1.0 - cf.one_minus_power(s[:, None], np.arange(T)[None, :])
    F = np.hstack([np.zeros((p.n, p.n)), p.yhat[:, None] * V])
    bound = graded_gram_eigvalsh(F).rel_error_bound
    assert bound > 1 or math.isinf(bound)


@pytest.mark.parametrize("n,c,T", [(30, 1.0, 8), (20, 2.0, 60)])
def test_s1_with_sigma_w_zero_matches_an_independent_reference(n, c, T):
    p = LinearGDProblem.sloppy(n=n, c=c, alpha=0.9, T=T, sigma_w2=0.0, seed=3)
    m = ExactOracle().eigenvalues(p, "S1", Precision.STRUCTURED)
    from hyperribbon.numerics.linear_models import mp_gramian_eigvalsh
    k = int(np.count_nonzero(m.values))
    decades = -math.log10(m.values[k - 1] / m.values[0]) if k else 0
    ref = mp_gramian_eigvalsh(p.s, p.yhat, T, dps=int(decades) + 40)
    for v, e, r in zip(m.values[:k], m.abs_err[:k], ref[:k]):
        assert abs(mpmath.mpf(v) - r) <= mpmath.mpf(e) * (1 + 1e-12)
    assert np.all(m.values[k:] == 0.0)


@pytest.mark.parametrize("sigma_w2", [1e-30, 1e-12, 1e-6])
def test_s1_enclosure_with_small_sigma_w_contains_the_exact_eigenvalues(sigma_w2):
    """Weyl around the accurate Gramian ∩ the graded factor: every eigenvalue of the exact
    T·P1 (mpmath, 80 digits) lies within the stated error."""
    p = LinearGDProblem.sloppy(n=12, c=0.8, alpha=0.9, T=6, sigma_w2=sigma_w2, seed=1)
    m = ExactOracle().eigenvalues(p, "S1", Precision.STRUCTURED)
    with mpmath.workdps(120):
        ev = sorted(mpmath.eigsy(mp_matrix(p, "S1", dps=120), eigvals_only=True), reverse=True)
        for v, e, r in zip(m.values, m.abs_err, ev):
            assert abs(mpmath.mpf(v) - r) <= mpmath.mpf(e) * (1 + 1e-9) + mpmath.mpf(10) ** -100


# ================================================================== J1: decided by underflow
def test_kernel_invariance_fails_with_the_same_margin_at_every_init_scale():
    margins = {}
    for scale in (0.1, 1e-150, 1e-300):
        v = dln.LEMMA_DLN_KERNEL_INVARIANCE.check(
            dln.DeepLinearProblem.synthetic(n=4, d=6, p=3, init_scale=scale))
        assert v.status is Status.FAILS, (scale, v.table())
        assert not any(c.underflowed.any() for c in v.comparisons)
        margins[scale] = v.margin
    # the dynamics is homogeneous in the scale once the net is far below y: equal margins
    assert margins[1e-300] == pytest.approx(margins[1e-150], rel=1e-6)
    assert margins[0.1] == pytest.approx(margins[1e-150], rel=0.1)


@pytest.mark.parametrize("lemma", [dln.LEMMA_DLN_CONSERVATION, dln.LEMMA_DLN_FIRST_ORDER],
                         ids=lambda lem: lem.id)
def test_deep_linear_identities_at_tiny_scale_are_measured_not_underflowed(lemma):
    v = lemma.check(dln.DeepLinearProblem.synthetic(n=4, d=6, p=3, init_scale=1e-300))
    assert v.status is Status.HOLDS
    for c in v.comparisons:
        assert not c.underflowed.any()
        assert np.all(c.lhs_err >= TINY)          # every bound reaches the normal range


def test_init_scale_below_its_domain_is_a_named_error():
    with pytest.raises(InvalidArgument) as info:
        dln.DeepLinearProblem.synthetic(init_scale=1e-310)
    assert info.value.argument == "init_scale" and "1e-300" in str(info.value)


# ================================================================== J2: raw numpy errors
@pytest.mark.parametrize("factor,works", [(1e150, True), (1e-150, True), (1e154, False),
                                          (1e-200, False)])
def test_from_data_rescales_and_names_what_cannot_be_represented(factor, works):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 8)), rng.standard_normal(5)
    ref = np.sort(np.linalg.eigvalsh(X @ X.T / 5))[::-1]
    if works:
        p = LinearGDProblem.from_data(X * factor, y, alpha=0.5 / (ref[0] * factor**2), T=3)
        np.testing.assert_allclose(p.lam, ref * factor**2, rtol=64 * 5 * EPS * ref[0] / ref[-1])
    else:
        with pytest.raises(InvalidArgument) as info:
            LinearGDProblem.from_data(X * factor, y, alpha=0.1, T=3)
        msg = str(info.value)
        assert info.value.argument == "X" and ("overflows" in msg or "underflows" in msg)
        assert "floor 0" not in msg


def test_from_data_rank_deficiency_is_relative():
    X = np.ones((3, 5)) * 1e-200
    with pytest.raises(InvalidArgument, match="rank n") as info:
        LinearGDProblem.from_data(X, y=np.ones(3), alpha=0.1, T=2)
    assert "λn(K)/λ1(K)" in str(info.value)


def test_condition_number_beyond_float64_keeps_rho_finite():
    assert cf.rho_thesis(1e300, 1e-300) == pytest.approx(
        cf.rho_from_log_kappa(math.log(1e300) - math.log(1e-300)), rel=1e-15)
    assert cf.rho_thesis(1e300, 1e-300) > 1.0
    with mpmath.workdps(50):
        exact = mpmath.exp(mpmath.pi**2 / (2 * mpmath.log(8 * mpmath.mpf(1e30) - 4)))
    assert cf.rho_thesis(1.0, 1e-30) == pytest.approx(float(exact), rel=8 * EPS)


# ================================================================== J3: sizes
def _sizes():
    return [
        pytest.param(lambda: LinearGDProblem.sloppy(n=2**63), "n", id="n-2^63"),
        pytest.param(lambda: LinearGDProblem.sloppy(n=1e20), "n", id="n-1e20"),
        pytest.param(lambda: LinearGDProblem.sloppy(n=1e10), "n", id="n-1e10"),
        pytest.param(lambda: LinearGDProblem.sloppy(n=5, T=10**20), "T", id="T-1e20"),
        pytest.param(lambda: LinearGDProblem.from_spectrum([1.0] * 3, alpha=0.5, T=2**60,
                                                           yhat=[1.0] * 3), "T",
                     id="from-spectrum-T"),
        pytest.param(lambda: kern.MultiKernelProblem.sloppy(n=1e10), "n", id="kernels-n-1e10"),
        pytest.param(lambda: kern.MultiKernelProblem.sloppy(n=30000), "n",
                     id="kernels-n-memory"),
        pytest.param(lambda: kern.MultiKernelProblem.sloppy(n=5, slopes=[0.2] * 5000),
                     "slopes", id="kernels-M"),
        pytest.param(lambda: kern.MultiKernelProblem.sloppy(n=5, T=1e20), "T", id="kernels-T"),
        pytest.param(lambda: dln.DeepLinearProblem.synthetic(n=2**63), "n", id="dln-n"),
        pytest.param(lambda: dln.DeepLinearProblem.synthetic(d=10**9), "d", id="dln-d"),
        pytest.param(lambda: dln.DeepLinearProblem.synthetic(T=1e10), "T", id="dln-T"),
        pytest.param(lambda: dln.DeepLinearProblem.synthetic(p=1e20), "p", id="dln-width"),
        pytest.param(lambda: sgd.SGDProblem(LinearGDProblem.sloppy(n=5), 1e20), "batch_size",
                     id="sgd-b"),
    ]


@pytest.mark.parametrize("call,argument", _sizes())
def test_sizes_are_named_with_their_bound_before_allocating(call, argument):
    err, peak = _peak_bytes(call)
    assert err.argument == argument, str(err)
    assert "got" in str(err) and ("upper end" in str(err) or "would need" in str(err)
                                  or "allocation limit" in str(err) or "[1, n]" in str(err))
    assert peak < 64 << 20                                  # nothing of that size was touched


def test_n_error_reports_the_memory_it_would_need():
    with pytest.raises(InvalidArgument) as info:
        LinearGDProblem.sloppy(n=10**10)
    assert "74.5 GiB" in str(info.value) and str(MAX_N) in str(info.value)


# ================================================================== C: T-step loops
def test_weight_space_simulation_beyond_the_work_limit_is_refused_before_starting():
    p = LinearGDProblem.sloppy(n=50, T=10**7)
    tracemalloc.start()
    try:
        v = linear_gd.EQ_5_2_2.check(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert v.status is Status.UNDECIDED and "SIM_WORK_LIMIT" in " ".join(v.notes)
    assert peak < 16 << 20
    v = linear_gd.EQ_5_2_3.check(p)
    assert v.status is Status.UNDECIDED and "SIM_MEMORY_LIMIT" in " ".join(v.notes)


@pytest.mark.parametrize("lemma", [linear_gd.EQ_5_2_4, linear_gd.EQ_5_2_10],
                         ids=lambda lem: lem.id)
def test_scalar_time_sums_at_T_1e7_are_decided_by_binary_splitting(lemma):
    v = lemma.check(LinearGDProblem.sloppy(n=50, T=10**7, sigma_w2=0.1))
    assert v.status is Status.HOLDS and "binary splitting" in v.comparisons[0].name


def test_sgd_noise_sum_at_T_1e7():
    v = sgd.LEMMA_SGD_NOISE_SUM.check(sgd.SGDProblem(LinearGDProblem.sloppy(n=20, T=10**7), 2))
    assert v.status is Status.HOLDS and "binary splitting" in v.comparisons[0].name


@settings(max_examples=60, deadline=None)
@given(q=st.one_of(st.floats(-0.999999, 0.999999), st.floats(1 - 1e-6, 1 - 1e-15)),
       T=st.one_of(st.integers(1, 200), st.integers(10**5, 10**9)))
def test_geometric_sums_agree_with_the_exact_sum_within_their_bound(q, T):
    S, A, err = geometric_sums(np.array([q]), T)
    with mpmath.workdps(60):
        qm = mpmath.mpf(q)
        exact = (1 - qm**T) / (1 - qm)
        exact_abs = (1 - abs(qm)**T) / (1 - abs(qm))
        assert abs(mpmath.mpf(S[0]) - exact) <= mpmath.mpf(err[0])
        assert abs(mpmath.mpf(A[0]) - exact_abs) <= mpmath.mpf(err[0])


# ================================================================== I: erratum E2, both halves
def test_erratum_e2_recomputes_the_target_norm_half():
    row = {r["id"]: r for r in errata.regenerate()}["E2"]
    assert (row["as_written"], row["corrected"]) == ("fails", "holds")
    X = np.eye(2)
    n = 2
    exact = float(np.trace(X @ X.T))                     # E‖Xw*‖² for w* ~ N(0, I)
    assert exact == n * float(np.trace(X @ X.T / n)) and exact != float(np.trace(X @ X.T / n))
    assert f"E‖y‖² = {exact:g} exactly" in row["measured"] and "Monte-Carlo" in row["measured"]
    mc = float(row["measured"].split("Monte-Carlo ")[1].split(" ±")[0])
    se = float(row["measured"].split("± ")[1].split(",")[0])
    assert abs(mc - exact) <= 5 * se and abs(mc - exact / n) > 10 * se


# ================================================================== invalid arguments
BAD = [
    pytest.param(lambda: LinearGDProblem.sloppy(c=float("inf")), "c", id="c-inf"),
    pytest.param(lambda: LinearGDProblem.sloppy(lambda1=float("inf")), "lambda1",
                 id="lambda1-inf"),
    pytest.param(lambda: LinearGDProblem.sloppy(sigma_star2=float("inf")), "sigma_star2",
                 id="sigma-star-inf"),
    pytest.param(lambda: LinearGDProblem.sloppy(seed=-1), "seed", id="seed-negative"),
    pytest.param(lambda: LinearGDProblem(lam=[1.0, 1e-310], yhat=[1, 1], alpha=0.5, T=2), "lam",
                 id="subnormal-eigenvalue"),
    pytest.param(lambda: LinearGDProblem(lam=[1.0, 1e-300], yhat=[1, 1], alpha=1e-10, T=2),
                 "alpha", id="subnormal-step-fraction"),
    pytest.param(lambda: LinearGDProblem.from_data(np.zeros((2, 3)), y=[1, 1], alpha=0.1, T=2),
                 "X", id="zero-data"),
    pytest.param(lambda: kern.MultiKernelProblem.sloppy(slopes=[0.2, -0.1]), "slopes",
                 id="kernel-negative-slope"),
    pytest.param(lambda: kern.MultiKernelProblem.sloppy(n=50, slopes=[20.0]), "slopes",
                 id="kernel-slope-underflow"),
    pytest.param(lambda: kern.MultiKernelProblem.from_spectra([([1.0, -1.0], np.eye(2))],
                                                              [1.0, 1.0], 0.5, 2), "spectra",
                 id="spectra-negative"),
    pytest.param(lambda: kern.MultiKernelProblem.from_spectra([([1.0, 0.5], 2 * np.eye(2))],
                                                              [1.0, 1.0], 0.5, 2), "spectra",
                 id="spectra-not-orthogonal"),
    pytest.param(lambda: wdm.WeightDecayProblem(LinearGDProblem.sloppy(n=3), float("inf")),
                 "weight_decay", id="weight-decay-inf"),
    pytest.param(lambda: dln.DeepLinearProblem.synthetic(alpha=float("inf")), "alpha",
                 id="dln-alpha-inf"),
    pytest.param(lambda: dln.DeepLinearProblem.synthetic(init_scale=1e200), "init_scale",
                 id="dln-init-huge"),
    pytest.param(lambda: sloppy_spectrum(3, 0.2, lambda1=0.0), "lambda1", id="lambda1-zero"),
]


@pytest.mark.parametrize("call,argument", BAD)
def test_invalid_arguments_are_named(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument, str(info.value)
    assert f"`{argument}`" in str(info.value) and "got" in str(info.value)
