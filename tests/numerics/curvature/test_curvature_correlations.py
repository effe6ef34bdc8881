"""Correlation spectra (thesis §4.3, Fig 4.1 top) against explicit per-sample references."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.curvature import (correlation_spectra, gram_spectrum,
                                            input_correlation_spectrum)
from hyperribbon.theory import InvalidArgument

EPS = np.finfo(np.float64).eps


def _net():
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 5),
                               torch.nn.ReLU(), torch.nn.Linear(5, 3)).double()


def _data(n=9):
    g = torch.Generator().manual_seed(0)
    return (torch.randn(n, 4, generator=g, dtype=torch.float64),
            torch.randint(0, 3, (n,), generator=g))


def _eig_desc(M):
    return np.linalg.eigvalsh(M)[::-1]


def _agree(spec, ref):
    """Listed values agree with the reference's top values; the rest of the reference is ~0."""
    k = len(spec)
    scale = max(1.0, abs(ref[0]))
    assert np.all(np.abs(spec.values - ref[:k]) <= spec.errors + 50 * ref.size * EPS * scale)
    assert np.all(np.abs(ref[k:]) <= 50 * ref.size * EPS * scale)


def test_inputs_activations_and_gradients_by_hand():
    net, (X, y) = _net(), _data()
    out = correlation_spectra(net, X, y, loss="cross_entropy",
                              which=("inputs", "activations", "activation_gradients"))
    n = X.shape[0]
    x = X.numpy()
    _agree(out["inputs"], _eig_desc(x.T @ x / n))
    h1 = torch.tanh(net[0](X))
    u2 = net[2](h1)
    h2 = torch.relu(u2)
    z = net[4](h2)
    for name, h in (("0", X), ("2", h1), ("4", h2)):
        a = h.detach().numpy()
        _agree(out[f"activations/{name}"], _eig_desc(a.T @ a / n))
    # per-sample loss gradients with respect to each layer's output, one sample at a time
    for name in ("0", "2", "4"):
        rows = []
        for k in range(n):
            zk_in = X[k:k + 1]
            s0 = net[0](zk_in)
            s1 = net[2](torch.tanh(s0))
            s2 = net[4](torch.relu(s1))
            loss = torch.nn.functional.cross_entropy(s2, y[k:k + 1], reduction="sum")
            target = {"0": s0, "2": s1, "4": s2}[name]
            rows.append(torch.autograd.grad(loss, target)[0][0].detach().numpy())
        G = np.array(rows)
        _agree(out[f"activation_gradients/{name}"], _eig_desc(G.T @ G / n))
    assert z.shape == (n, 3)
    assert all(p.grad is None for p in net.parameters())          # .grad left untouched


@pytest.mark.parametrize("max_bytes", [2 ** 28, 3000], ids=["one-block", "blocked-gram"])
def test_logit_jacobians_by_hand(max_bytes):
    net, (X, _) = _net(), _data()
    n = X.shape[0]
    out = correlation_spectra(net, X, which=("logit_jacobians",), max_bytes=max_bytes)
    params = list(net.parameters())
    p = sum(q.numel() for q in params)
    rows = np.zeros((3, n, p))
    for k in range(n):
        zk = net(X[k:k + 1])[0]
        for c in range(3):
            g = torch.autograd.grad(zk[c], params, retain_graph=True)
            rows[c, k] = torch.cat([gi.reshape(-1) for gi in g]).numpy()
    for c in range(3):
        spec = out[f"logit_jacobian/{c}"]
        assert spec.dimension == p and len(spec) == n and spec.rest_bound == 0.0
        _agree(spec, _eig_desc(rows[c].T @ rows[c] / n))
    S = rows.sum(axis=0)
    _agree(out["logit_jacobian/sum"], _eig_desc(S.T @ S / n))


def test_logit_jacobians_when_p_is_below_n():
    torch.manual_seed(0)
    net = torch.nn.Linear(2, 2).double()                    # p = 6 < n = 12
    X = torch.randn(12, 2, dtype=torch.float64)
    out = correlation_spectra(net, X, which=("logit_jacobians",), logits=[1],
                              sum_of_logits=False)
    assert list(out) == ["logit_jacobian/1"]
    # z_1 = w_1·x + b_1: its Jacobian row is (0, 0, x, 0, 1) → spectrum of E[[x;1][x;1]ᵀ] and 0s
    A = np.hstack([X.numpy(), np.ones((12, 1))])
    ref = np.concatenate([_eig_desc(A.T @ A / 12), np.zeros(3)])
    _agree(out["logit_jacobian/1"], ref)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=12),
       st.integers(min_value=0, max_value=10 ** 6))
def test_gram_identity_and_error_bounds(n, d, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d)) * np.exp(-0.8 * np.arange(d))
    s = gram_spectrum(A)
    assert s.dimension == d and len(s) == min(n, d) and s.rest_bound == 0.0
    big = _eig_desc(A.T @ A / n)                            # d × d
    small = _eig_desc(A @ A.T / n)                          # n × n
    k = min(n, d)
    tol = 10 * max(n, d) * EPS * big[0]
    assert np.all(np.abs(s.values - big[:k]) <= s.errors + tol)
    assert np.all(np.abs(s.values - small[:k]) <= s.errors + tol)


def test_float32_entries_get_float32_floor():
    X = torch.randn(30, 5)
    s = input_correlation_spectrum(X)
    assert s.meta["entry_eps"] == float(np.finfo(np.float32).eps)
    assert s.floor > gram_spectrum(X.double()).floor


_N = _net()
_X, _Y = _data()
INVALID = [
    pytest.param(dict(which=("weights",)), "which", id="which-unknown"),
    pytest.param(dict(which="inputs"), "which", id="which-string"),
    pytest.param(dict(which=()), "which", id="which-empty"),
    pytest.param(dict(which=("activation_gradients",), y=None), "y", id="gradients-no-y"),
    pytest.param(dict(which=("activation_gradients",), loss="hinge"), "loss",
                 id="gradients-loss"),
    pytest.param(dict(layers=["7"]), "layers", id="layers-unknown"),
    pytest.param(dict(layers="0"), "layers", id="layers-string"),
    pytest.param(dict(logits=[3]), "logits", id="logits-range"),
    pytest.param(dict(max_bytes=0), "max_bytes", id="max-bytes"),
    pytest.param(dict(X=_X.float()), "X", id="X-dtype"),
    pytest.param(dict(X=_X.numpy()), "X", id="X-numpy"),
    pytest.param(dict(model=lambda x: x), "model", id="model"),
    pytest.param(dict(sum_of_logits="no"), "sum_of_logits", id="sum-of-logits"),
]


@pytest.mark.parametrize("change,argument", INVALID)
def test_invalid_arguments(change, argument):
    args = dict(model=_N, X=_X, y=_Y, loss="cross_entropy", which=("inputs",))
    args.update(change)
    model, X = args.pop("model"), args.pop("X")
    with pytest.raises(InvalidArgument) as err:
        correlation_spectra(model, X, **args)
    assert err.value.argument == argument


@pytest.mark.parametrize("value", [np.ones(3), np.full((2, 2), np.inf), np.zeros((0, 3))],
                         ids=["1d", "inf", "empty"])
def test_invalid_gram(value):
    with pytest.raises(InvalidArgument) as err:
        gram_spectrum(value)
    assert err.value.argument == "A"
