"""Phase-diagram engine vs brute-force sums over t, dense data-space recursions and Monte-Carlo
GD ensembles; the definitions (dimensionality, bound, expectations) against direct loops."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics import brute_force_pca, simulate_weight_gd, synthetic_data
from hyperribbon.numerics.linear_models import phase as ph
from hyperribbon.numerics.linear_models.gd import empirical_pca_matrix
from hyperribbon.numerics.linear_models.phase import (dimensionality, grid_point_matrices,
                                                      log_integer_grid, monte_carlo_dimensionality,
                                                      phase_diagram, point_dimensionality)
from hyperribbon.theory.linear_models import linear_gd
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem

EPS = float(np.finfo(float).eps)


# ------------------------------------------------------------------ slow obvious references
def dim_loop(ev, f):
    """The definition, by a loop: smallest k whose leading eigenvalues hold a fraction f."""
    ev = sorted((max(x, 0.0) for x in ev), reverse=True)
    total = math.fsum(ev)
    if total == 0:
        return 0, math.inf
    acc = 0.0
    for k, x in enumerate(ev, start=1):
        prev = acc
        acc += x
        if acc >= f * total:
            return k, min(abs(acc / total - f), abs(prev / total - f))
    raise AssertionError("unreachable")


def brute_dims(problem, f=0.95):
    """dim_f of P(T) and P1(T) from the sums over t of numerics.reference, with margins."""
    ref = brute_force_pca(problem)
    return {q: dim_loop(np.linalg.eigvalsh(ref[q]), f) for q in ("P", "P1")}


def agree(got, expected, margin, tol=1e-9):
    """Equal where the decision is farther than `tol` from the threshold, else within one."""
    return got == expected if margin > tol else abs(got - expected) <= 1


def certified_from_lemma(problem, f):
    u = linear_gd.bound_5_2_3(problem)
    for k in range(1, problem.n + 1):
        if math.fsum(u[k:]) <= 1 - f:
            return k
    raise AssertionError("unreachable")


def random_basis(n, seed):
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]


# ------------------------------------------------------------------ definitions
@pytest.mark.parametrize("ev,f,expected", [
    pytest.param([1.0], 0.95, 1, id="single"),
    pytest.param([1.0, 1.0], 0.5, 1, id="tie-exactly-at-threshold"),
    pytest.param([1.0, 1.0, 1.0, 1.0], 0.95, 4, id="flat"),
    pytest.param([0.25, 1.0, 0.5, 0.125], 0.9, 3, id="unsorted"),
    pytest.param([1.0, -1e-17, 0.0], 0.95, 1, id="rounding-negatives-clipped"),
    pytest.param([0.0, 0.0], 0.95, 0, id="zero-matrix"),
])
def test_dimensionality_definition(ev, f, expected):
    assert int(dimensionality(ev, f)) == expected == dim_loop(ev, f)[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=30),
       st.floats(0.05, 0.99))
def test_dimensionality_matches_loop(ev, f):
    k, margin = dimensionality(np.array(ev), f, return_margin=True)
    k_ref, m_ref = dim_loop(ev, f)
    assert agree(int(k), k_ref, m_ref, 1e-12)
    if math.isinf(m_ref):
        assert math.isinf(float(margin)) and int(k) == 0
    elif m_ref > 1e-12:
        assert abs(float(margin) - m_ref) < 1e-9


def test_log_integer_grid():
    g = log_integer_grid(1, 10_000, 64)
    assert g[0] == 1 and g[-1] == 10_000 and g.size == 64 and np.all(np.diff(g) > 0)
    assert log_integer_grid(5, 5, 1).tolist() == [5]
    with pytest.raises(InvalidArgument, match="num"):
        log_integer_grid(1, 10, 11)


# ------------------------------------------------------------------ engine vs brute force
def test_draws_mode_matches_brute_force_sums():
    """Every (n, α, ratio, c, T, draw) point against sums over t (numerics.reference)."""
    T, c, ratio = [1, 2, 7, 40], [0.15, 0.6], [0.0, 0.7, 3.0]
    pd = phase_diagram(T, c, ratio, n=[6, 11], alpha=[0.4, 0.95], draws=2, seed=3,
                       quantities=("P", "P1", "bound", "bound_profile"))
    checked = 0
    for i_n, n in enumerate(pd.axes["n"]):
        for i_a, a in enumerate(pd.axes["alpha"]):
            for i_r, r in enumerate(ratio):
                for i_c, cc in enumerate(c):
                    for i_t, t in enumerate(T):
                        for k in range(2):
                            p = LinearGDProblem.sloppy(n=int(n), c=cc, alpha=a, T=t,
                                                       sigma_w2=1.0, sigma_star2=r * r,
                                                       seed=3 + k)
                            ref = brute_dims(p)
                            at = (i_n, 0, i_a, 0, i_r, i_c, i_t, k)
                            for q in ("P", "P1"):
                                assert agree(pd.per_draw[q][at], *ref[q]), (q, at, ref)
                            checked += 1
    assert checked == 2 * 2 * 3 * 2 * 4 * 2
    np.testing.assert_array_equal(pd.mean["P"], pd.per_draw["P"].mean(axis=-1))


@pytest.mark.parametrize("c,T,ratio", [(0.05, 1000, 4.8), (0.2, 50, 1.2), (0.7, 5000, 9.6),
                                       (1.0, 3, 2.4)])
def test_draws_mode_matches_exact_engine_at_thesis_size(c, T, ratio):
    """n = 50 with long T: the dense matrices of numerics.pca (a separate implementation)."""
    pd = phase_diagram([T], [c], [ratio], n=50, draws=3, seed=0)
    for k in range(3):
        p = LinearGDProblem.sloppy(n=50, c=c, alpha=0.9, T=T, sigma_w2=1.0,
                                   sigma_star2=ratio**2, seed=k)
        from hyperribbon.numerics.linear_models.pca import pca_matrices
        m = pca_matrices(p)
        for q, M in (("P", m.P()), ("P1", m.P1())):
            assert agree(pd.per_draw[q][0, 0, 0, 0, 0, 0, 0, k],
                         *dim_loop(np.linalg.eigvalsh(M), 0.95))
        assert pd.per_draw["P"][0, 0, 0, 0, 0, 0, 0, k] == point_dimensionality(p)["P"]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 10), c=st.floats(0.05, 1.5), alpha=st.floats(0.05, 1.9),
       T=st.integers(1, 80), ratio=st.floats(0.0, 20.0), f=st.floats(0.5, 0.99),
       seed=st.integers(0, 50))
def test_engine_property_vs_brute_force(n, c, alpha, T, ratio, f, seed):
    pd = phase_diagram([T], [c], [ratio], n=n, alpha=alpha, draws=1, seed=seed, fraction=f)
    p = LinearGDProblem.sloppy(n=n, c=c, alpha=alpha, T=T, sigma_w2=1.0,
                               sigma_star2=ratio * ratio, seed=seed)
    ref = brute_dims(p, f)
    for q in ("P", "P1"):
        assert agree(pd.per_draw[q].ravel()[0], *ref[q], tol=1e-8)


def test_grid_point_matrices_match_brute_force():
    m = grid_point_matrices(33, 0.4, 2.5, alpha=0.7, n=9, draw=2, seed=1)
    p = LinearGDProblem.sloppy(n=9, c=0.4, alpha=0.7, T=33, sigma_w2=1.0, sigma_star2=6.25,
                               seed=3)
    ref = brute_force_pca(p)
    tol = 64 * (33 + 9) * 9 * EPS * (np.abs(ref["P1"]).max() + np.abs(ref["P2"]).max())
    np.testing.assert_allclose(m["P"], ref["P"], rtol=0, atol=tol)
    np.testing.assert_allclose(m["P1"], ref["P1"], rtol=0, atol=tol)


# ------------------------------------------------------------------ expectations over y
def _data_space_expected(lam, alpha, T, sigma_w2, sigma_star2, U):
    """E_y[P] and E_y[P1] by sums over t in a random data basis, with E[yyᵀ] = σ*²K."""
    K = U @ np.diag(lam) @ U.T
    n = lam.size
    Kd = np.eye(n) - alpha * K
    S, KT, power = np.zeros((n, n)), np.zeros((n, n)), np.eye(n)
    for _ in range(T):
        S += power @ ((sigma_w2 + sigma_star2) * K) @ power
        KT += power
        power = power @ Kd
    KT /= T
    return S / T - sigma_star2 * KT @ K @ KT, S / T


@pytest.mark.parametrize("T,c,ratio", [(1, 0.3, 2.0), (25, 0.1, 4.8), (200, 0.6, 1.2)])
def test_matrix_and_pooled_modes_are_the_expected_matrices(T, c, ratio):
    n = 12
    lam = np.exp(-c * np.arange(n))
    EP, EP1 = _data_space_expected(lam, 0.9, T, 1.0, ratio**2, random_basis(n, 7))
    mat = phase_diagram([T], [c], [ratio], n=n, expectation="matrix", quantities=("P", "P1"))
    pool = phase_diagram([T], [c], [ratio], n=n, expectation="pooled", quantities=("P",))
    assert agree(mat.mean["P"].item(), *dim_loop(np.linalg.eigvalsh(EP), 0.95))
    assert agree(mat.mean["P1"].item(), *dim_loop(np.linalg.eigvalsh(EP1), 0.95))
    assert agree(pool.mean["P"].item(), *dim_loop(np.linalg.eigvalsh(EP1), 0.95))
    assert mat.per_draw == {} and mat.settings["draws"] == 0


def test_pooled_mode_does_not_depend_on_the_ratio_but_draws_do():
    T, c, ratios = [10, 100, 1000], [0.1, 0.3], [0.5, 2.0, 10.0]
    pool = phase_diagram(T, c, ratios, n=30, expectation="pooled", quantities=("P",))
    P = pool.sel("P")
    assert np.all(P == P[:1])                       # E_y[P1] ∝ (σw² + σ*²): ratio-free
    draws = phase_diagram(T, c, ratios, n=30, draws=4, quantities=("P",)).sel("P")
    assert np.any(draws[0] != draws[-1])            # E_y[dim P] depends on σ*/σw


def test_mean_over_draws_is_not_dim_of_mean():
    """The documented distinction: at σ*/σw = 4.8, T = 1000, c = 0.05 they differ a lot."""
    kw = dict(n=50, quantities=("P",))
    e_dim = phase_diagram([1000], [0.05], [4.8], draws=8, **kw).mean["P"].item()
    dim_e = phase_diagram([1000], [0.05], [4.8], expectation="matrix", **kw).mean["P"].item()
    assert e_dim < 5 < 20 < dim_e


# ------------------------------------------------------------------ variants
def test_weight_decay_matches_affine_data_space_recursion():
    """GD on C(w) + (λ/2)‖w‖²: r_{t+1} = (I − αK_λ) r_t − αλy with E r0 = −y, Cov r0 = σw²K."""
    n, T, wd, alpha, ratio = 8, 30, 0.05, 0.8, 2.0
    m = grid_point_matrices(T, 0.5, ratio, alpha=alpha, n=n, weight_decay=wd, draw=0, seed=2)
    lam, y = m["lam"], m["yhat"]
    U = random_basis(n, 11)
    K, yd = U @ np.diag(lam) @ U.T, U @ y
    A = np.eye(n) - alpha * (K + wd * np.eye(n))
    mu, C = -yd, K.copy()                              # σw² = 1
    S, M = np.zeros((n, n)), np.zeros(n)
    for _ in range(T):
        S += C + np.outer(mu, mu)
        M += mu
        mu, C = A @ mu - alpha * wd * yd, A @ C @ A
    P = S / T - np.outer(M / T, M / T)
    np.testing.assert_allclose(U @ m["P"] @ U.T, P, rtol=0,
                               atol=64 * (T + n) * n * EPS * (np.abs(S).max() / T
                                                              + np.abs(M).max() ** 2 / T**2))
    pd = phase_diagram([T], [0.5], [ratio], n=n, alpha=alpha, weight_decay=wd, draws=1, seed=2,
                       quantities=("P", "bound"))
    assert agree(pd.mean["P"].item(), *dim_loop(np.linalg.eigvalsh(P), 0.95))
    assert np.isnan(pd.mean["bound"].item())           # Lemma 5.2.3 is not about weight decay


def test_sgd_langevin_term_matches_second_moment_recursion():
    """Thesis eq. (5.3.1) as printed: M_{t+1} = K_d M_t K_d + (α²/b)K², P = (1/T)ΣM_t − r̄r̄ᵀ."""
    n, T, b, alpha, ratio, sw2 = 7, 25, 4, 0.9, 1.5, 0.3
    m = grid_point_matrices(T, 0.4, ratio, alpha=alpha, n=n, batch=b, sigma_w2=sw2, seed=5)
    lam, y = m["lam"], m["yhat"]
    K, Kd = np.diag(lam), np.diag(1 - alpha * lam)
    M, mu = sw2 * K + np.outer(y, y), -y
    S, mean = np.zeros((n, n)), np.zeros(n)
    for _ in range(T):
        S += M
        mean += mu
        M, mu = Kd @ M @ Kd + alpha**2 / b * K @ K, Kd @ mu
    P = S / T - np.outer(mean / T, mean / T)
    np.testing.assert_allclose(m["P"], P, rtol=0,
                               atol=64 * (T + n) * EPS * (np.abs(S).max() / T
                                                          + np.abs(mean).max() ** 2 / T**2))
    pd = phase_diagram([T], [0.4], [ratio], n=n, batch=[b, math.inf], sigma_w2=sw2, draws=1,
                       seed=5, quantities=("P", "bound"))
    assert agree(pd.sel("P", batch=b).item(), *dim_loop(np.linalg.eigvalsh(P), 0.95))
    assert np.isnan(pd.sel("bound", batch=b).item())
    assert np.isfinite(pd.sel("bound", batch=math.inf).item())


def test_d_enters_only_through_the_rank():
    kw = dict(T=[1, 30, 500], c=[0.2, 0.5], ratio=[1.2, 4.8], draws=2, quantities=("P", "P1"))
    full = phase_diagram(n=20, **kw)
    many = phase_diagram(n=20, d=[5, 20, 100], **kw)
    for q in ("P", "P1"):
        np.testing.assert_array_equal(many.sel(q, d=20), full.sel(q))
        np.testing.assert_array_equal(many.sel(q, d=100), full.sel(q))
        np.testing.assert_array_equal(many.sel(q, d=5), phase_diagram(n=5, **kw).sel(q))
    assert many.stats["blocks_deduplicated"] == 2    # d = 20 and d = 100: computed once


def test_user_spectrum_equals_sloppy_grid_and_disables_the_bound_when_not_sloppy():
    lam = np.exp(-0.3 * np.arange(15))
    kw = dict(T=[2, 40], ratio=[1.0, 5.0], draws=2, quantities=("P", "bound"))
    a = phase_diagram(c=None, spectrum=lam[::-1], **kw)            # order does not matter
    b = phase_diagram(c=[0.3], n=15, **kw)
    np.testing.assert_array_equal(a.mean["P"], b.mean["P"])
    assert np.isnan(a.axes["c"][0]) and np.all(np.isnan(a.mean["bound"]))
    kern = 1.0 / (1.0 + np.arange(15)) ** 2                         # a power-law Gram spectrum
    k = phase_diagram(c=None, spectrum=kern, **kw)
    assert k.sel("P").shape == (2, 2) and np.all(k.sel("P") >= 1)


# ------------------------------------------------------------------ the bound
def test_bound_quantities_equal_the_lemma_function():
    T, c, ratio = [1, 5, 50, 2000], [0.1, 0.4, 1.0], [0.0, 1.0, 6.0]
    pd = phase_diagram(T, c, ratio, n=24, draws=2, seed=1,
                       quantities=("P1", "bound", "bound_profile"))
    for i_r, r in enumerate(ratio):
        for i_c, cc in enumerate(c):
            for i_t, t in enumerate(T):
                for k in range(2):
                    p = LinearGDProblem.sloppy(n=24, c=cc, alpha=0.9, T=t, sigma_w2=1.0,
                                               sigma_star2=r * r, seed=1 + k)
                    got = pd.per_draw["bound"][0, 0, 0, 0, i_r, i_c, i_t, k]
                    prof = pd.per_draw["bound_profile"][0, 0, 0, 0, i_r, i_c, i_t, k]
                    applicable = r > 0 and 2 * t * 0.9 >= math.exp(2 * cc)
                    if not applicable:
                        assert np.isnan(got) and np.isnan(prof)
                        continue
                    assert got == certified_from_lemma(p, 0.95)
                    assert prof == dim_loop(linear_gd.bound_5_2_3(p), 0.95)[0]
                    # where the lemma holds, its certificate is an upper bound on dim P1
                    assert got >= pd.per_draw["P1"][0, 0, 0, 0, i_r, i_c, i_t, k]


# ------------------------------------------------------------------ Monte-Carlo GD ensembles
MC_POINTS = [(1, 0.3, 2.4), (10, 0.05, 4.8), (60, 0.2, 1.2), (300, 0.5, 4.8), (800, 0.1, 9.6),
             (20, 0.8, 1.2)]


def test_engine_agrees_with_monte_carlo_gd_ensembles():
    """N = 1000 simulated trajectories per point (residual space, K's eigenbasis).

    Tolerance: |dim_MC − dim_exact| ≤ 1 at every point; the explained-variance curves
    F_k = Σ_{i≤k}λ_i/Σλ_i of the simulated P(N, T) and of the engine's P(T) differ by at most 0.03
    (statistical, N = 1000; measured ≤ 0.016); and the dimensions are equal at all points but at
    most one.
    """
    n, N = 30, 1000
    equal = 0
    for t, cc, r in MC_POINTS:
        pd = phase_diagram([t], [cc], [r], n=n, draws=1, seed=4, quantities=("P",))
        p = LinearGDProblem.sloppy(n=n, c=cc, alpha=0.9, T=t, sigma_w2=1.0, sigma_star2=r * r,
                                   seed=4)
        ev = np.sort(np.linalg.eigvalsh(grid_point_matrices(t, cc, r, n=n, seed=4)["P"]))[::-1]
        k_exact = dim_loop(ev, 0.95)[0]
        assert pd.mean["P"].item() == k_exact
        k_mc, P_mc = monte_carlo_dimensionality(p, N=N, seed=11, return_matrix=True)
        ev_mc = np.sort(np.linalg.eigvalsh(P_mc))[::-1]
        F, F_mc = np.cumsum(ev) / ev.sum(), np.cumsum(ev_mc) / ev_mc.sum()
        assert np.max(np.abs(F - F_mc)) < 0.03, (t, cc, r)
        assert abs(k_mc - k_exact) <= 1, (t, cc, r, k_mc, k_exact)
        equal += k_mc == k_exact
    assert equal >= len(MC_POINTS) - 1


def test_engine_agrees_with_weight_space_gd():
    """Real GD in weight space on d = 60 dimensional data (N = 1000 runs)."""
    n, d, N, T, cc, r = 20, 60, 1000, 15, 0.25, 3.0
    p = LinearGDProblem.sloppy(n=n, c=cc, alpha=0.9, T=T, sigma_w2=1.0, sigma_star2=r * r,
                               seed=0)
    X, w_star, _ = synthetic_data(p, d=d, seed=1)
    w0 = np.random.default_rng(2).standard_normal((N, d)) / math.sqrt(n)   # σw² = 1
    P = empirical_pca_matrix(simulate_weight_gd(X, X @ w_star, 0.9, T, w0))
    k_mc, _ = dim_loop(np.linalg.eigvalsh(P), 0.95)
    k_exact, margin = dim_loop(np.linalg.eigvalsh(grid_point_matrices(T, cc, r, n=n)["P"]), 0.95)
    pd = phase_diagram([T], [cc], [r], n=n, d=d, draws=1, quantities=("P",))
    assert pd.mean["P"].item() == k_exact
    assert abs(k_mc - k_exact) <= (0 if margin > 0.02 else 1)


def test_monte_carlo_streaming_equals_direct_simulation():
    from hyperribbon.numerics.linear_models.gd import simulate_residuals
    p = LinearGDProblem.sloppy(n=5, c=0.5, T=23, sigma_w2=0.7, seed=2)
    k, P = monte_carlo_dimensionality(p, N=40, seed=9, chunk=4, return_matrix=True)
    R = simulate_residuals(p, 40, seed=9)
    np.testing.assert_allclose(P, empirical_pca_matrix(R), rtol=0,
                               atol=64 * (40 * p.T + p.n) * EPS * np.abs(R).max() ** 2)
    assert k == dim_loop(np.linalg.eigvalsh(P), 0.95)[0]


# ------------------------------------------------------------------ plumbing
def test_checkpoint_resume(tmp_path, monkeypatch):
    kw = dict(T=[1, 10, 100], c=[0.1, 0.5, 0.9], ratio=[2.0], n=12, draws=2,
              checkpoint=tmp_path / "ck")
    first = phase_diagram(**kw)
    assert len(list((tmp_path / "ck").glob("block_*.npz"))) == 3

    def boom(*a, **k):
        raise AssertionError("recomputed a checkpointed block")
    monkeypatch.setattr(ph, "_block", boom)
    again = phase_diagram(**kw)
    assert again.stats["blocks_from_checkpoint"] == 3
    for q in first.mean:
        np.testing.assert_array_equal(first.mean[q], again.mean[q])
        np.testing.assert_array_equal(first.per_draw[q], again.per_draw[q])


def test_progress_bar_and_selection(capsys):
    pd = phase_diagram([1, 10], [0.2, 0.4], [1.0, 2.0], n=8, draws=1, progress=True)
    assert "phase diagram" in capsys.readouterr().err
    assert pd.sel("P", ratio=2.0).shape == (2, 2) and pd.free_axes(ratio=2.0) == ("c", "T")
    assert pd.sel("P", draws=True, ratio=2.0, c=0.2).shape == (2, 1)
    with pytest.raises(InvalidArgument, match="ratio"):
        pd.sel("P", ratio=3.0)
    with pytest.raises(InvalidArgument, match="quantity"):
        pd.sel("bound_profile")


GOOD = dict(T=[1, 10], c=[0.2], ratio=[1.0], n=8)


@pytest.mark.parametrize("changes,argument", [
    pytest.param(dict(T=[1.5, 10]), "T", id="T-not-integer"),
    pytest.param(dict(T=[10, 1]), "T", id="T-not-increasing"),
    pytest.param(dict(T=[0, 1]), "T", id="T-zero"),
    pytest.param(dict(T=[]), "T", id="T-empty"),
    pytest.param(dict(c=[0.0, 0.2]), "c", id="c-zero"),
    pytest.param(dict(c=[0.2, float("nan")]), "c", id="c-nan"),
    pytest.param(dict(ratio=[-1.0]), "ratio", id="ratio-negative"),
    pytest.param(dict(fraction=1.0), "fraction", id="fraction-one"),
    pytest.param(dict(fraction=0.0), "fraction", id="fraction-zero"),
    pytest.param(dict(expectation="mode"), "expectation", id="expectation"),
    pytest.param(dict(draws=0), "draws", id="draws-zero"),
    pytest.param(dict(alpha=2.0), "alpha", id="alpha-diverges"),
    pytest.param(dict(alpha=1.9, weight_decay=0.1), "alpha", id="alpha-with-weight-decay"),
    pytest.param(dict(n=1), "n", id="n-one"),
    pytest.param(dict(d=1), "d", id="rank-one"),
    pytest.param(dict(batch=[0]), "batch", id="batch-zero"),
    pytest.param(dict(sigma_w2=0.0), "sigma_w2", id="sigma_w2-zero"),
    pytest.param(dict(weight_decay=-0.1), "weight_decay", id="weight-decay-negative"),
    pytest.param(dict(quantities=("P", "Q")), "quantities", id="quantity-unknown"),
    pytest.param(dict(quantities=()), "quantities", id="quantity-none"),
    pytest.param(dict(spectrum=[1.0, -0.5]), "spectrum", id="spectrum-negative"),
    pytest.param(dict(spectrum=[1.0, 0.5, 0.2], n=4), "n", id="spectrum-length"),
    pytest.param(dict(lambda1=0.0), "lambda1", id="lambda1"),
])
def test_invalid_arguments_are_named(changes, argument):
    with pytest.raises(InvalidArgument) as info:
        phase_diagram(**{**GOOD, **changes})
    assert info.value.argument == argument
    assert "phase_diagram" in str(info.value)


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda: dimensionality([1.0], 1.5), "fraction", id="dimensionality-fraction"),
    pytest.param(lambda: dimensionality(np.zeros((2, 0))), "eigenvalues", id="no-eigenvalues"),
    pytest.param(lambda: monte_carlo_dimensionality(LinearGDProblem.sloppy(n=4), N=0), "N",
                 id="mc-N"),
    pytest.param(lambda: ph.bound_dimensionality(LinearGDProblem.sloppy(n=4), rule="x"),
                 "rule", id="bound-rule"),
])
def test_invalid_arguments_of_helpers(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument
