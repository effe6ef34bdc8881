"""PAC-Bayes experiment (hyperribbon.experiments.curvature.pac_bayes, .dziugaite_roy): every
reported number is recomputed independently (dense matrices, torch.func, theory formulas)."""
import math

import numpy as np
import pytest
import torch

from hyperribbon.experiments.curvature import dziugaite_roy as dr
from hyperribbon.experiments.curvature import pac_bayes as pbx
from hyperribbon.theory import InvalidArgument
from hyperribbon.theory.networks import pac_bayes as pb

EPS = np.finfo(np.float64).eps


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    res = pbx.pac_bayes(quick=True, cache=cache, dr_iterations=150)
    return res, cache


def test_ggn_eigenvalues_match_dense_torch_func_ggn(quick):
    """The exact factor spectrum equals eigvalsh of the dense GGN of ĕ built by torch.func."""
    res, cache = quick
    from hyperribbon.experiments.curvature.models import trained_network
    P = res.params
    net = trained_network(P["arch"], P["width"], P["data"], P["epochs"], P["seed"], cache=cache)
    assert net.from_cache
    m = net.model.double().eval()
    X = torch.from_numpy(net.data.x_train).double()
    names = [k for k, _ in m.named_parameters()]
    shapes = [p.shape for p in m.parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in m.parameters()])

    def f(th):
        parts, i = {}, 0
        for nm, sh in zip(names, shapes):
            k = int(np.prod(sh))
            parts[nm] = th[i:i + k].reshape(sh)
            i += k
        return torch.func.functional_call(m, parts, (X,))

    J = torch.func.jacrev(f)(theta)                               # (n, C, p)
    p = torch.softmax(f(theta), 1)
    M = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
    G = torch.einsum("kcp,kcd,kdq->pq", J, M, J) / (X.shape[0] * math.log(2))
    ref = np.sort(np.linalg.eigvalsh(G.detach().numpy()))[::-1]
    lam = np.asarray(res.eigenvalues)
    tol = 50 * ref.size * EPS * ref[0]
    assert np.allclose(lam, ref[:lam.size], rtol=0, atol=tol)
    assert np.all(np.abs(ref[lam.size:]) <= tol)                  # the dropped ones are zeros


def test_analytic_bound_recomputed_from_the_formulas(quick):
    res, _ = quick
    a, P, n = res.analytic, res.params, res.n
    lam, eps = np.asarray(res.eigenvalues), a["eps"]
    assert eps == pytest.approx(math.exp(a["j"] / P["b"]) / P["c"], rel=1e-14)
    lb = 2 * (n - 1) * lam + eps
    kl = 0.5 * (np.sum(eps / lb - 1 + np.log(lb / eps)) + eps * res.dist2)       # (4.7.1)
    assert a["kl"] == pytest.approx(kl, rel=1e-10)
    assert a["gap"] == pytest.approx(0.5 * np.sum(lam / lb), rel=1e-12)
    m = a["mc_samples"]
    assert a["train_error_upper"] == pb.kl_inverse(a["train_error_mc"],
                                                   math.log(2 / P["delta_prime"]) / m)
    budget = (kl + 2 * math.log(a["j"]) + math.log(math.pi ** 2 * n / (6 * P["delta"]))) / (n - 1)
    lo, hi = pb.kl_inverse_bracket(a["train_error_upper"], budget)
    assert lo - 1e-12 <= a["bound"] <= hi + 1e-12
    assert a["bound"] >= a["train_error_upper"] >= a["train_error_mc"]
    assert a["bound_pinsker"] >= a["bound"] - 1e-12
    assert a["loose_objective"] == pytest.approx(
        res.train_loss_bits + (np.sum(np.log1p(2 * (n - 1) * lam / eps)) + eps * res.dist2)
        / (4 * (n - 1)), rel=1e-12)
    # measures of §4.4 from their definitions
    thr = eps / (2 * (n - 1))
    assert a["p_eff"] == int(np.sum(lam >= thr))
    assert a["s"] == pytest.approx(np.sum(1 + np.log(2 * (n - 1) * lam[lam >= thr] / eps + 1)))
    assert a["eps_dist2"] == pytest.approx(eps * res.dist2)


def test_optimised_bound_is_consistent(quick):
    res, _ = quick
    o, P, n = res.optimised, res.params, res.n
    assert o["bound"] >= o["train_error_upper"] >= o["train_error_mc"] >= 0
    lam_j = P["c"] * math.exp(-o["j"] / P["b"])
    assert o["prior_var"] == pytest.approx(lam_j, rel=1e-12)
    assert o["complexity"] == pytest.approx(
        (o["kl"] + 2 * math.log(o["j"]) + math.log(math.pi ** 2 * n / (6 * P["delta"])))
        / (n - 1), rel=1e-12)
    assert o["confidence"] == pytest.approx(1 - P["delta"] - P["delta_prime"])


def test_table_prints_the_thesis_quantities(quick):
    res, _ = quick
    text = res.table()
    for key in ("p(n,ε) =", "s(n,ε) =", "1/c(n,ε) =", "ε‖w − w0‖² =", "optimised", "test error"):
        assert key in text
    assert f"{res.analytic['p_eff']}" in text


def test_kl_diagonal_equals_dense_gaussian_kl():
    rng = np.random.default_rng(0)
    mu, w0 = rng.standard_normal(6), rng.standard_normal(6)
    ls = rng.normal(-1, 0.3, 6)
    got = dr.kl_diagonal(mu, ls, w0, 0.3)
    ref = pb.gaussian_kl(mu, np.diag(np.exp(2 * ls)), w0, 0.3 * np.eye(6))
    assert got == pytest.approx(ref, rel=1e-12)


def test_analytic_terms_equal_dense_kl_of_the_closed_form_posterior():
    rng = np.random.default_rng(1)
    p, n, eps, d2 = 7, 50, 2.5, 0.8
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    lam = np.array([3.0, 1.0, 0.2, 0.0, 0.0, 0.0, 0.0])
    cov = pb.optimal_posterior_covariance((Q * lam) @ Q.T, n, eps)
    shift = np.zeros(p)
    shift[0] = math.sqrt(d2)
    ref = pb.gaussian_kl(np.zeros(p), cov, shift, np.eye(p) / eps)
    kl, gap = pbx.analytic_terms(lam[:3], n, eps, d2)
    assert kl == pytest.approx(ref, rel=1e-10)
    H = (Q * lam) @ Q.T
    assert gap == pytest.approx(0.5 * np.trace(H @ cov), rel=1e-10)


def test_closed_form_draws_have_the_posterior_covariance():
    rng = np.random.default_rng(2)
    p, n, eps = 5, 11, 4.0
    V, _ = np.linalg.qr(rng.standard_normal((p, 2)))
    lam = np.array([2.0, 0.5])
    w = rng.standard_normal(p)
    k = 40000
    draws = pbx.closed_form_draws(w, lam, V, eps, n, k, torch.Generator().manual_seed(0))
    D = draws.numpy() - w
    cov = (V * (1 / (2 * (n - 1) * lam + eps))) @ V.T + (np.eye(p) - V @ V.T) / eps
    emp = D.T @ D / k
    # entrywise standard error of a sample covariance: sqrt((Σ_ii Σ_jj + Σ_ij²)/k)
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / k)
    assert np.all(np.abs(emp - cov) < 6 * se)


def test_samples_needed_is_the_threshold():
    n = pbx.samples_needed(0.2, 800.0, 5, 0.025)
    pen = 2 * math.log(5) + math.log(math.pi ** 2 / 6)
    assert pb.kl_bound(0.2, 800.0, n, 0.025, pen) < 1 <= pb.kl_bound(0.2, 800.0, n - 1, 0.025,
                                                                     pen)
    assert pbx.samples_needed(1.0, 10.0, 1, 0.025) is None


def test_choose_prior_picks_the_grid_minimum():
    lam = np.exp(-0.05 * np.arange(300))
    ch = pbx.choose_prior(lam, 1000, 5.0, 0.01, b=100, c=0.1, delta=0.025, j_max=800)
    vals = []
    for j in range(1, 801):
        eps = math.exp(j / 100) / 0.1
        kl, gap = pbx.analytic_terms(lam, 1000, eps, 5.0)
        pen = 2 * math.log(j) + math.log(math.pi ** 2 / 6)
        vals.append(pb.kl_bound(min(1.0, 0.01 + gap), kl, 1000, 0.025, pen))
    assert ch["j"] == int(np.argmin(vals)) + 1
    assert ch["proxy_bound"] == pytest.approx(min(vals), rel=1e-9)


INVALID = [
    pytest.param(dict(arch="fc"), "arch", id="batch-norm-arch"),
    pytest.param(dict(arch="wrn"), "arch", id="conv-arch"),
    pytest.param(dict(curvature="fisher"), "curvature", id="bad-curvature"),
    pytest.param(dict(delta=0.0), "delta", id="delta-zero"),
    pytest.param(dict(delta=0.5, delta_prime=0.6), "delta_prime", id="deltas-sum"),
    pytest.param(dict(mc_samples=0), "mc_samples", id="mc-zero"),
    pytest.param(dict(c=-1.0), "c", id="negative-c"),
    pytest.param(dict(frobnicate=1), "frobnicate", id="unknown-option"),
    pytest.param(dict(data="cifar"), "data", id="bad-data"),
]


@pytest.mark.parametrize("kwargs, argument", INVALID)
def test_invalid_arguments(kwargs, argument, tmp_path):
    with pytest.raises(InvalidArgument) as err:
        pbx.pac_bayes(quick=True, cache=tmp_path, optimise=False, **kwargs)
    assert err.value.argument == argument


@pytest.mark.parametrize("settings, argument", [
    pytest.param(dict(delta=1.5), "delta", id="dr-delta"),
    pytest.param(dict(iterations=0), "iterations", id="dr-iterations"),
    pytest.param(dict(lr=-1.0), "lr", id="dr-lr"),
])
def test_dr_settings_invalid(settings, argument):
    with pytest.raises(InvalidArgument) as err:
        dr.DRSettings(**settings)
    assert err.value.argument == argument
