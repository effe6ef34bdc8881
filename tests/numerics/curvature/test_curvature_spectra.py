"""Spectra with noise floors (dense, Lanczos), traces (Hutchinson, Hutch++) and SLQ densities."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import aslinearoperator

from hyperribbon.numerics.curvature import (Spectrum, curvature_operator, dense_curvature,
                                            full_spectrum, hutchinson_trace, hutchpp_trace,
                                            kfac_spectrum, spectral_density,
                                            spectrum_from_values, top_eigenvalues)
from hyperribbon.theory import InvalidArgument

EPS = np.finfo(np.float64).eps


def _sym(lam, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((lam.size, lam.size)))
    return (Q * lam) @ Q.T


def test_full_spectrum_values_floor_and_unresolved_tail():
    lam = np.exp(-0.7 * np.arange(60))                     # 1 … e^{-41.3} ≈ 1e-18
    s = full_spectrum(_sym(lam))
    p = lam.size
    assert math.isclose(s.floor, p * 2 * EPS * s.values[0], rel_tol=1e-12)
    # every resolved value is within the floor of the truth; every unresolved one is small
    assert np.all(np.abs(s.values[s.resolved] - lam[s.resolved]) <= s.floor)
    assert np.all(lam[~s.resolved] <= 2 * s.floor)
    assert s.n_resolved < p and s.resolved[0] and not s.resolved[-1]
    rep = s.reported()
    assert np.all(np.isnan(rep[~s.resolved])) and np.all(rep[s.resolved] == s.values[s.resolved])
    frame = s.to_frame()
    assert frame["reported"].isna().sum() == p - s.n_resolved
    assert "(unresolved)" in repr(s) and "unresolved" not in repr(s).splitlines()[1]
    d = s.to_dict()
    assert d["reported"].count(None) == p - s.n_resolved


def test_spectrum_object_operations():
    s = spectrum_from_values([3.0, -5.0, 1e-20, 1.0], floor=1e-12, dimension=10, rest_bound=0.0)
    assert list(s.values) == [3.0, 1.0, 1e-20, -5.0] and s.complete and len(s) == 4
    m = s.magnitudes()
    assert list(m.values) == [5.0, 3.0, 1.0, 1e-20] and list(m.resolved) == [1, 1, 1, 0]
    t = s.scaled(2.0)
    assert list(t.values) == [6.0, 2.0, 2e-20, -10.0] and t.floor == 2e-12
    with pytest.raises(InvalidArgument):
        s.scaled(-1.0)


def test_full_spectrum_of_operator_uses_compute_precision():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    X, y = torch.randn(12, 3), torch.randint(0, 2, (12,))
    op = curvature_operator(net, "cross_entropy", X, y, kind="ggn")
    s = full_spectrum(op)
    eps32 = float(np.finfo(np.float32).eps)
    assert math.isclose(s.floor, 26 * (EPS + eps32) * np.abs(s.values).max(), rel_tol=1e-12)
    ref = np.linalg.eigvalsh(dense_curvature(net.double(), "cross_entropy", X.double(), y,
                                             kind="ggn"))[::-1]
    # float32 products: resolved eigenvalues agree with the float64 reference within the floor
    assert np.all(np.abs(s.values - ref)[s.resolved] <= s.floor)
    assert s.n_products == 26


@pytest.mark.parametrize("which", ["LA", "SA", "BE", "LM"])
def test_lanczos_matches_dense_with_error_bounds(which):
    lam = np.concatenate([np.exp(-0.1 * np.arange(150)), -np.exp(-0.3 * np.arange(50))])
    A = _sym(lam, seed=3)
    k = 6
    s, vecs = top_eigenvalues(A, k, which=which, tol=1e-12, return_vectors=True)
    true = np.sort(lam)[::-1]
    expect = {"LA": true[:k], "SA": true[-k:], "BE": np.concatenate([true[:3], true[-3:]]),
              "LM": np.sort(lam[np.argsort(-np.abs(lam))[:k]])[::-1]}[which]
    assert np.all(np.abs(s.values - expect) <= s.errors + 1e-10)
    assert np.all(s.errors <= 1e-8) and s.method == "lanczos"
    assert np.allclose(np.linalg.norm(vecs, axis=0), 1.0)
    assert s.n_products > k and s.rest_bound == (np.min(np.abs(s.values)) if which == "LM"
                                                  else None)


def test_lanczos_on_a_network_hessian_finds_both_ends():
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 3)).double()
    X, y = torch.randn(30, 5, dtype=torch.float64), torch.randint(0, 3, (30,))
    H = curvature_operator(net, "cross_entropy", X, y, kind="hessian")
    D = dense_curvature(net, "cross_entropy", X, y, kind="hessian")
    ref = np.linalg.eigvalsh(D)
    both = top_eigenvalues(H, 6, which="BE", tol=1e-9, ncv=30)
    assert ref[0] < -1e-8 * ref[-1]                       # indefinite at this point
    expect = np.concatenate([ref[::-1][:3], ref[:3][::-1]])
    assert np.all(np.abs(both.values - expect) <= both.errors + 1e-12)
    assert both.n_products == H.n_products


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=8, max_value=40), st.integers(min_value=0, max_value=10 ** 6),
       st.floats(min_value=0.01, max_value=1.0))
def test_lanczos_residual_bound_property(p, seed, c):
    """Each Ritz value lies within its error bound of a true eigenvalue."""
    rng = np.random.default_rng(seed)
    lam = rng.choice([-1.0, 1.0], size=p) * np.exp(-c * np.arange(p))
    A = _sym(lam, seed=seed)
    s = top_eigenvalues(A, 3, which="LM", tol=1e-9, seed=seed % 97)
    dist = np.min(np.abs(s.values[:, None] - lam[None, :]), axis=1)
    assert np.all(dist <= s.errors * (1 + 1e-8) + 10 * p * EPS)


def test_hutchinson_is_unbiased_and_its_standard_error_is_calibrated():
    rng = np.random.default_rng(0)
    B = rng.standard_normal((80, 80))
    A = B @ B.T / 80
    tr = np.trace(A)
    ests = [hutchinson_trace(A, 20, seed=s) for s in range(200)]
    vals = np.array([e.value for e in ests])
    ses = np.array([e.stderr for e in ests])
    # mean of 200 unbiased estimates: within 4 standard errors of the mean
    assert abs(vals.mean() - tr) <= 4 * vals.std(ddof=1) / math.sqrt(200)
    # the reported SE estimates the sampling std of one estimate (ratio near 1)
    assert 0.7 < np.median(ses) / vals.std(ddof=1) < 1.3
    assert ests[0].n_products == 20 and ests[0].method == "hutchinson"
    assert hutchinson_trace(A, 20, seed=3).value == ests[3].value          # seeded


def test_hutchpp_exact_on_low_rank_and_better_on_fast_decay():
    rng = np.random.default_rng(1)
    U = rng.standard_normal((100, 5))
    A = U @ U.T                                             # rank 5 < m = 10
    est = hutchpp_trace(A, 30, seed=0)
    assert abs(est.value - np.trace(A)) <= 1e3 * EPS * np.trace(A)
    assert est.stderr <= 1e3 * EPS * np.trace(A) and est.n_products == 30
    D = _sym(np.exp(-0.5 * np.arange(150)), seed=2)          # tail beyond m = 10 is tiny
    err_pp = np.mean([abs(hutchpp_trace(D, 30, seed=s).value - np.trace(D)) for s in range(20)])
    err_h = np.mean([abs(hutchinson_trace(D, 30, seed=s).value - np.trace(D))
                     for s in range(20)])
    assert err_pp < err_h / 10


def test_slq_quadrature_is_exact_for_low_degree_and_full_length():
    lam = np.concatenate([np.exp(-0.2 * np.arange(40)), [-0.5, -0.25]])
    A = _sym(lam, seed=4)
    m = 6
    sd = spectral_density(aslinearoperator(A), n_vectors=5, n_steps=m, seed=2)
    assert sd.n_products == 5 * m
    for l in range(5):
        v = sd.probes[:, l]
        for deg in range(2 * m):                            # exact up to degree 2m − 1
            lhs = np.sum(sd.weights[l] * sd.nodes[l] ** deg)
            rhs = v @ np.linalg.matrix_power(A, deg) @ v
            assert abs(lhs - rhs) <= 1e3 * lam.size * EPS * max(1.0, abs(rhs))
        assert math.isclose(np.sum(sd.weights[l]), 1.0, rel_tol=1e-12)
    tr_est = sd.integrate(lambda t: t)
    assert math.isclose(tr_est, lam.size * np.mean([v @ A @ v for v in sd.probes.T]),
                        rel_tol=1e-10)
    full = spectral_density(A, n_vectors=2, n_steps=lam.size, seed=0)
    for nodes, w in zip(full.nodes, full.weights):
        big = nodes[w > 1e-12]                              # nodes carrying weight
        assert np.all(np.min(np.abs(big[:, None] - lam[None, :]), axis=1) <= 1e-10)


def test_slq_density_integrates_to_one_and_log_scale():
    lam = np.exp(-0.3 * np.arange(80))
    sd = spectral_density(np.diag(lam), n_vectors=4, n_steps=20, seed=0)
    grid = np.linspace(-1, 2, 6001)
    dens = sd.density(grid, sigma=0.02)
    assert abs(np.trapezoid(dens, grid) - 1.0) < 1e-6
    lg = np.linspace(-14, 2, 8001)
    logd = sd.density(lg, sigma=0.1, scale="log10", counts=True)
    mass = np.trapezoid(logd, lg) / 80
    assert 0.0 < mass <= 1.0 + 1e-6
    assert sd.integrate_stderr(lambda t: t) >= 0


@pytest.mark.parametrize("opts", [dict(), dict(normalisation="thesis", blocks="parameter"),
                                  dict(kfac_fisher_type="empirical", params=["0.weight"])],
                         ids=["default", "thesis-blocks", "empirical-subset"])
def test_kfac_spectrum_from_factors_equals_dense_kfac_spectrum(opts):
    torch.manual_seed(4)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Tanh(), torch.nn.Flatten(),
                              torch.nn.Linear(2 * 3 * 3, 3)).double()
    X, y = torch.randn(15, 1, 5, 5, dtype=torch.float64), torch.randint(0, 3, (15,))
    K = curvature_operator(net, "cross_entropy", X, y, kind="kfac", **opts)
    s = kfac_spectrum(K)
    D = dense_curvature(net, "cross_entropy", X, y, kind="kfac",
                        **{k: v for k, v in opts.items() if k != "blocks"})
    ref = np.linalg.eigvalsh(D)[::-1]
    assert len(s) == s.dimension == K.shape[0] and s.complete and s.n_products == 0
    assert np.all(np.abs(s.values - ref) <= s.errors + 10 * ref.size * EPS * ref[0])
    if "params" not in opts:
        # the last layer's G = Σ_k (diag p_k − p_k p_kᵀ) annihilates 𝟙: zero eigenvalues, which
        # must come out unresolved
        assert not s.resolved.all()


def test_block_product_shares_one_pass():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(),
                              torch.nn.Linear(6, 3)).double()
    X, y = torch.randn(20, 4, dtype=torch.float64), torch.randint(0, 3, (20,))
    H = curvature_operator(net, "cross_entropy", X, y, kind="hessian")
    hutchinson_trace(H, 16, seed=0, block=8)
    assert H.n_products == 16 and H.n_calls == 2
    spectral_density(H, n_vectors=4, n_steps=5, seed=0)
    assert H.n_calls == 2 + 5


A2 = np.eye(4)
INVALID = [
    pytest.param(full_spectrum, (np.ones((3, 4)),), {}, "A", id="full-nonsquare"),
    pytest.param(full_spectrum, (np.array([[1.0, 2.0], [0.0, 1.0]]),), {}, "A",
                 id="full-asymmetric"),
    pytest.param(full_spectrum, (np.full((2, 2), np.nan),), {}, "A", id="full-nan"),
    pytest.param(full_spectrum, (A2,), {"block": 0}, "block", id="full-block"),
    pytest.param(top_eigenvalues, (A2, 0), {}, "k", id="top-k0"),
    pytest.param(top_eigenvalues, (A2, 4), {}, "k", id="top-k-p"),
    pytest.param(top_eigenvalues, (A2, 2), {"which": "LR"}, "which", id="top-which"),
    pytest.param(top_eigenvalues, (A2, 1), {"which": "BE"}, "k", id="top-be-k1"),
    pytest.param(top_eigenvalues, (A2, 2), {"tol": -1.0}, "tol", id="top-tol"),
    pytest.param(top_eigenvalues, (A2, 2), {"seed": -3}, "seed", id="top-seed"),
    pytest.param(top_eigenvalues, ("matrix", 2), {}, "A", id="top-type"),
    pytest.param(hutchinson_trace, (A2, 1), {}, "n_vectors", id="hutch-m"),
    pytest.param(hutchinson_trace, (A2, 4), {"block": 0}, "block", id="hutch-block"),
    pytest.param(hutchpp_trace, (A2, 10), {}, "n_products", id="hutchpp-mult3"),
    pytest.param(hutchpp_trace, (A2, 3), {}, "n_products", id="hutchpp-small"),
    pytest.param(spectral_density, (A2,), {"n_steps": 5}, "n_steps", id="slq-steps"),
    pytest.param(spectral_density, (A2,), {"n_vectors": 0}, "n_vectors", id="slq-vectors"),
    pytest.param(spectrum_from_values, ([1.0, np.inf],), {}, "values", id="values-inf"),
    pytest.param(spectrum_from_values, ([1.0, 2.0],), {"dimension": 1}, "dimension",
                 id="values-dimension"),
    pytest.param(spectrum_from_values, ([1.0],), {"floor": -1.0}, "floor", id="values-floor"),
    pytest.param(Spectrum, (np.ones(3), np.zeros(3), 0.0, 2), {}, "values", id="spectrum-size"),
    pytest.param(kfac_spectrum, (A2,), {}, "op", id="kfac-not-operator"),
]


@pytest.mark.parametrize("func,args,kwargs,argument", INVALID)
def test_invalid_arguments(func, args, kwargs, argument):
    with pytest.raises(InvalidArgument) as err:
        func(*args, **kwargs)
    assert err.value.argument == argument
