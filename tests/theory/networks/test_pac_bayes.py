"""PAC-Bayes formulas of §4.2.1, §4.3.3, §4.4 and §4.7.2 against independent computations:
Monte-Carlo KL, dense-grid kl inversion, numerical minimisation of the bound objective, brute
force definitions of p(n, ε), s(n, ε), c(A, r), enumerated union bounds, exact binomial sums."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import optimize, special, stats

from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.networks import pac_bayes as pb


@pytest.mark.parametrize("call, argument", [
    pytest.param(lambda: pb.gaussian_kl([0, 0], np.eye(2), [0], np.eye(2)), "mu_p", id="kl-mu"),
    pytest.param(lambda: pb.gaussian_kl([0, 0], -np.eye(2), [0, 0], np.eye(2)), "cov_q",
                 id="kl-cov-not-pd"),
    pytest.param(lambda: pb.gaussian_kl([0, 0], np.eye(2), [0, 0], np.eye(3)), "cov_p",
                 id="kl-cov-shape"),
    pytest.param(lambda: pb.binary_kl(1.2, 0.5), "q", id="binary-q"),
    pytest.param(lambda: pb.binary_kl(0.5, float("nan")), "p", id="binary-p-nan"),
    pytest.param(lambda: pb.kl_inverse(0.1, -1.0), "c", id="inverse-negative-budget"),
    pytest.param(lambda: pb.kl_inverse(0.1, 0.1, tol=0.0), "tol", id="inverse-tol"),
    pytest.param(lambda: pb.budget(1.0, 1, 0.05), "n", id="budget-n"),
    pytest.param(lambda: pb.budget(1.0, 10, 1.0), "delta", id="budget-delta"),
    pytest.param(lambda: pb.budget(-1.0, 10, 0.05), "kl", id="budget-kl"),
    pytest.param(lambda: pb.optimal_posterior([1.0, -0.5], 10, 1.0), "eigenvalues",
                 id="posterior-not-psd"),
    pytest.param(lambda: pb.optimal_posterior([1.0], 10, 0.0), "eps", id="posterior-eps"),
    pytest.param(lambda: pb.optimal_posterior_covariance(-np.eye(2), 10, 1.0), "hessian",
                 id="posterior-hessian-not-psd"),
    pytest.param(lambda: pb.sloppy_factor([1.0, 0.5], 3), "r", id="sloppy-r-range"),
    pytest.param(lambda: pb.sloppy_factor([1.0, 0.5], 0), "r", id="sloppy-r-zero"),
    pytest.param(lambda: pb.bound_4_4_4([1.0], 10, 1.0, 0.0, -1.0), "c", id="bound-c"),
    pytest.param(lambda: pb.union_bound_penalty(1.3, 2.0, 0.5, 100, 0.05), "eps",
                 id="penalty-off-grid"),
    pytest.param(lambda: pb.union_bound_penalty(0.5, 2.0, 0.5, 100, 0.05), "eps",
                 id="penalty-j-zero"),
    pytest.param(lambda: pb.union_bound_penalty_multi([1.0], 1.0, 1.0, 100, 0.05), "values",
                 id="multi-unsigned-j-zero"),
    pytest.param(lambda: pb.union_bound_penalty_multi([-1.0], 1.0, 1.0, 100, 0.05), "values",
                 id="multi-negative"),
    pytest.param(lambda: pb.prior_grid(0, 1.0, 1.0), "j", id="grid-j"),
    pytest.param(lambda: pb.interpolation_failure_probability(10, 0.3, 0.5), "wrong_loss",
                 id="failure-loss-below-one-bit"),
    pytest.param(lambda: pb.loose_objective(np.eye(3), np.eye(2), 10, 1.0, 0.0), "cov_q",
                 id="objective-shapes"),
])
def test_invalid_arguments(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument


# ------------------------------------------------------------------ divergences
def test_gaussian_kl_against_monte_carlo():
    rng = np.random.default_rng(0)
    p = 3
    A, B = rng.standard_normal((p, p)), rng.standard_normal((p, p))
    Sq, Sp = A @ A.T + 0.5 * np.eye(p), B @ B.T + 0.5 * np.eye(p)
    mq, mp = rng.standard_normal(p), rng.standard_normal(p)
    exact = pb.gaussian_kl(mq, Sq, mp, Sp)
    w = rng.multivariate_normal(mq, Sq, size=200_000)
    ratio = stats.multivariate_normal(mq, Sq).logpdf(w) - stats.multivariate_normal(mp, Sp).logpdf(w)
    se = ratio.std() / math.sqrt(w.shape[0])
    assert abs(ratio.mean() - exact) < 6 * se


def test_gaussian_kl_closed_forms():
    # univariate: log(σp/σq) + (σq² + (μq − μp)²)/(2σp²) − ½
    for sq, sp_, mq, mp in [(0.3, 2.0, 0.1, -1.0), (1.0, 1.0, 0.0, 0.0), (5.0, 0.2, 3.0, 3.0)]:
        expect = math.log(sp_ / sq) + (sq ** 2 + (mq - mp) ** 2) / (2 * sp_ ** 2) - 0.5
        got = pb.gaussian_kl([mq], [[sq ** 2]], [mp], [[sp_ ** 2]])
        assert got == pytest.approx(expect, rel=1e-12, abs=1e-15)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1))
def test_binary_kl_against_scipy(q, p):
    expect = float(special.rel_entr(q, p) + special.rel_entr(1 - q, 1 - p))
    got = pb.binary_kl(q, p)
    if math.isinf(expect):
        assert math.isinf(got)
    else:
        # both evaluations cancel alike: compare within two of our stated rounding bounds
        assert abs(got - expect) <= 2 * pb.binary_kl_error(q, p)


@pytest.mark.parametrize("q, c", [(0.0, 0.01), (0.05, 0.1), (0.3, 0.02), (0.5, 1.0),
                                  (0.9, 0.001), (0.2, 5.0)])
def test_kl_inverse_against_a_dense_grid(q, c):
    grid = np.linspace(q, 1.0, 2_000_001)
    kl = special.rel_entr(q, grid) + special.rel_entr(1 - q, 1 - grid)
    best = float(grid[kl <= c].max())
    inv = pb.kl_inverse(q, c)
    assert best - 1e-12 <= inv <= best + (grid[1] - grid[0]) + 1e-12
    if inv < 1:
        assert pb.binary_kl(q, inv) >= c * (1 - 1e-9)       # the upper end: never optimistic


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1), st.floats(0, 10))
def test_kl_inverse_is_below_the_pinsker_bound(q, c):
    lo, hi = pb.kl_inverse_bracket(q, c)
    assert q <= lo <= hi <= 1.0
    # width ≈ 2·(rounding of kl)/(dkl/dp), dkl/dp = (p − q)/(p(1 − p)); ≈ √ε as c → 0
    if hi < 1 and lo > q:
        slope = (lo - q) / (lo * (1 - lo))
        assert hi - lo <= 4 * pb.binary_kl_error(q, hi) / slope + 4e-15
    assert lo <= pb.pinsker_inverse(q, c) + 4e-16      # the enclosure's lower end is ≤ truth
    assert 2 * (lo - q) ** 2 <= pb.binary_kl(q, lo) + pb.binary_kl_error(q, lo)   # Pinsker


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 1), st.floats(0, 100), st.integers(2, 10**6), st.floats(1e-6, 0.5))
def test_bound_ordering(err, kl, n, delta):
    # kl-inverted ≤ Pinsker ≤ linearised (with ĕ ≥ ê), each a function of the same budget
    assert pb.kl_bound(err, kl, n, delta) <= pb.pinsker_bound(err, kl, n, delta) + 1e-15 \
        or pb.kl_bound(err, kl, n, delta) == 1.0
    assert pb.pinsker_bound(err, kl, n, delta) <= pb.linearised_bound(err, kl, n, delta) + 1e-15


# ------------------------------------------------------------------ optimal posterior
def test_optimal_posterior_against_numerical_minimisation_diagonal():
    lam = np.array([3.0, 0.5, 1e-2, 1e-4, 0.0])
    n, eps, dist2 = 50, 0.7, 2.0
    H = np.diag(lam)

    def objective(logv):
        return pb.loose_objective(np.diag(np.exp(logv)), H, n, eps, dist2)

    res = optimize.minimize(objective, np.zeros(5), method="BFGS", options={"gtol": 1e-12})
    _, var = pb.optimal_posterior(lam, n, eps)
    np.testing.assert_allclose(np.exp(res.x), var, rtol=1e-4)
    assert res.fun == pytest.approx(pb.loose_optimum(lam, n, eps, dist2), rel=1e-9)


def test_optimal_posterior_against_numerical_minimisation_full_covariance():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((3, 3))
    H = A @ A.T
    n, eps = 20, 1.5
    tri = np.tril_indices(3)

    def objective(theta):
        Lc = np.zeros((3, 3))
        Lc[tri] = theta
        return pb.loose_objective(Lc @ Lc.T + 1e-12 * np.eye(3), H, n, eps, 0.0)

    res = optimize.minimize(objective, np.eye(3)[tri] * 0.3, method="BFGS",
                            options={"gtol": 1e-12})
    Lc = np.zeros((3, 3))
    Lc[tri] = res.x
    np.testing.assert_allclose(Lc @ Lc.T, pb.optimal_posterior_covariance(H, n, eps),
                               rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(np.linalg.inv(pb.optimal_posterior_covariance(H, n, eps)),
                               2 * (n - 1) * H + eps * np.eye(3), rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 50), min_size=1, max_size=8), st.integers(2, 10**5),
       st.floats(1e-3, 1e3), st.floats(0, 10))
def test_loose_optimum_closed_form_equals_the_objective_at_the_optimum(lam, n, eps, dist2):
    lam = np.sort(np.array(lam))[::-1]
    _, var = pb.optimal_posterior(lam, n, eps)
    dense = pb.loose_objective(np.diag(var), np.diag(lam), n, eps, dist2)
    closed = pb.loose_optimum(lam, n, eps, dist2)
    assert dense == pytest.approx(closed, rel=1e-9, abs=1e-12)


# ------------------------------------------------------------------ §4.4 quantities
def _brute_sup(pred, hi=60.0):
    """sup{c ≥ 0 : pred(c)} for a predicate monotone decreasing in c (bisection)."""
    if pred(hi):
        return math.inf
    if not pred(0.0):
        return math.nan
    lo = 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if pred(mid) else (lo, mid)
    return lo


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0, 10).map(lambda v: v if v > 1e-100 else 0.0), min_size=1,
                max_size=10), st.integers(2, 1000), st.floats(1e-2, 1e2))
def test_effective_dimension_strength_and_decays_against_definitions(lam, n, eps):
    # (subnormal eigenvalues are mapped to 0: the brute-force reference's e^{−c} products
    # round in the subnormal range)
    lam = np.sort(np.array(lam))[::-1]
    thr = eps / (2 * (n - 1))
    pe = sum(1 for v in lam if abs(v) >= thr)
    assert pb.effective_dimension(lam, n, eps) == pe
    s = sum(1 + math.log(2 * (n - 1) * v / eps + 1) for v in lam if abs(v) >= thr)
    assert pb.strength(lam, n, eps) == pytest.approx(s, rel=1e-12, abs=1e-300)
    for r in range(1, lam.size + 1):
        def pred(c, r=r):
            return all(lam[i] <= lam[r - 1] * math.exp(-c * (i - r + 1)) * (1 + 1e-12)
                       for i in range(r - 1, lam.size))
        brute = _brute_sup(pred)
        got = pb.sloppy_factor(lam, r)
        assert (math.isinf(brute) and (math.isinf(got) or got > 50)) or \
            got == pytest.approx(brute, rel=1e-6, abs=1e-9)
    brute_t = _brute_sup(lambda c: all(lam[i] <= thr * math.exp(-c * (i - pe + 1)) * (1 + 1e-12)
                                       for i in range(pe, lam.size)))
    got_t = pb.threshold_decay(lam, n, eps)
    assert (math.isinf(brute_t) and (math.isinf(got_t) or got_t > 50)) or \
        got_t == pytest.approx(brute_t, rel=1e-6, abs=1e-9)


def test_bound_4_4_4_formula_and_its_proof_with_the_threshold_decay():
    lam = 2.0 * np.exp(-0.4 * np.arange(30))
    n, eps, dist2 = 500, 3.0, 1.5
    c = pb.threshold_decay(lam, n, eps)
    s = pb.strength(lam, n, eps)
    assert pb.bound_4_4_4(lam, n, eps, dist2, c) == pytest.approx(
        (s + 2 / c + eps * dist2) / (4 * (n - 1)), rel=1e-14)
    assert pb.loose_optimum(lam, n, eps, dist2) <= pb.bound_4_4_4(lam, n, eps, dist2, c)
    assert pb.bound_4_4_4(lam, n, eps, dist2, math.inf) == pytest.approx(
        (s + eps * dist2) / (4 * (n - 1)))


# ------------------------------------------------------------------ union bounds
def test_single_parameter_penalty_is_log_n_over_delta_j():
    for j in (1, 2, 7, 40):
        eps = pb.prior_grid(j, 3.0, 0.2)
        got = pb.union_bound_penalty(eps, 3.0, 0.2, 1000, 0.01)
        assert got == pytest.approx(math.log(1000 / (6 * 0.01 / (math.pi ** 2 * j ** 2))),
                                    rel=1e-12)


@pytest.mark.parametrize("mprime, signed", [(1, False), (2, False), (3, False), (1, True),
                                            (2, True)])
def test_multi_parameter_union_bound_failure_probabilities_sum_below_delta(mprime, signed):
    delta, n, b, c = 0.05, 100, 1.5, 2.0
    R = 30 if mprime < 3 else 12
    js = range(-R, R + 1) if signed else range(1, R + 1)
    total = 0.0
    for tup in itertools.product(js, repeat=mprime):
        vals = [math.exp(j / b) / c for j in tup]
        pen = pb.union_bound_penalty_multi(vals, b, c, n, delta, signed=signed)
        k = ((1 + sum(2 * abs(j) for j in tup)) if signed else sum(tup)) ** mprime
        assert pen == pytest.approx(2 * math.log(k) + math.log(math.pi ** 2 * n / (6 * delta)),
                                    rel=1e-12, abs=1e-12)
        total += n / math.exp(pen)                       # δ' = n·exp(−penalty)
    assert total <= delta                                 # partial sums of the union bound


def test_interpolation_failure_probability_exact_and_simulated():
    n, e, ell = 60, 0.25, 1.3
    kmax = math.ceil(e * n / ell) - 1
    exact = sum(math.comb(n, k) * e ** k * (1 - e) ** (n - k) for k in range(kmax + 1))
    assert pb.interpolation_failure_probability(n, e, ell) == pytest.approx(exact, rel=1e-10)
    rng = np.random.default_rng(0)
    sims = rng.binomial(n, e, size=200_000) * ell / n < e
    se = math.sqrt(exact * (1 - exact) / sims.size)
    assert abs(sims.mean() - exact) < 6 * se
