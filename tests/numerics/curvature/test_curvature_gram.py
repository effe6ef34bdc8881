"""gram_curvature_spectrum: all non-zero eigenvalues of GGN / Fisher / empirical Fisher."""
import math

import numpy as np
import pytest
import torch

from hyperribbon.numerics.curvature import dense_curvature, gram_curvature_spectrum
from hyperribbon.theory import InvalidArgument

EPS = np.finfo(np.float64).eps


def _setup(loss, n=6, width=7):
    torch.manual_seed(5)
    net = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.Tanh(),
                              torch.nn.Linear(width, 3)).double()
    g = torch.Generator().manual_seed(1)
    X = torch.randn(n, 3, generator=g, dtype=torch.float64)
    if loss == "cross_entropy":
        y = torch.randint(0, 3, (n,), generator=g)
    elif loss == "mse":
        y = torch.randn(n, 3, generator=g, dtype=torch.float64)
    else:
        y = torch.randint(0, 2, (n, 3), generator=g).double()
    return net, X, y


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "bce_logits"])
@pytest.mark.parametrize("kind", ["fisher", "ggn", "empirical_fisher"])
@pytest.mark.parametrize("max_bytes", [2 ** 28, 2000], ids=["one-block", "blocked"])
def test_matches_dense_eigenvalues(loss, kind, max_bytes):
    net, X, y = _setup(loss)
    s = gram_curvature_spectrum(net, loss, X, y, kind=kind, normalisation="thesis",
                                max_bytes=max_bytes)
    D = dense_curvature(net, loss, X, y, kind=kind, normalisation="thesis")
    ref = np.linalg.eigvalsh(D)[::-1]
    p = D.shape[0]
    rows = 6 * (1 if kind == "empirical_fisher" else 3)
    assert s.dimension == p and len(s) == rows and s.rest_bound == 0.0 and s.complete
    tol = 20 * p * EPS * ref[0]
    assert np.all(np.abs(s.values - ref[:rows]) <= s.errors + tol)
    assert np.all(np.abs(ref[rows:]) <= tol)                 # structural zeros of the rest


def test_cross_product_path_when_p_is_small():
    net, X, y = _setup("cross_entropy", n=30, width=2)      # p = 17 < nC = 90
    s = gram_curvature_spectrum(net, "cross_entropy", X, y, kind="ggn", normalisation="sum")
    ref = np.linalg.eigvalsh(dense_curvature(net, "cross_entropy", X, y, kind="ggn",
                                             normalisation="sum"))[::-1]
    assert s.meta["via"] == "cross" and len(s) == 17
    assert np.all(np.abs(s.values - ref) <= s.errors + 20 * 17 * EPS * ref[0])


def test_thesis_normalisations_differ_by_ln2():
    net, X, y = _setup("cross_entropy")
    f = gram_curvature_spectrum(net, "cross_entropy", X, y, kind="fisher", normalisation="thesis")
    g = gram_curvature_spectrum(net, "cross_entropy", X, y, kind="ggn", normalisation="thesis")
    assert np.allclose(g.values, f.values / math.log(2), rtol=1e-12, atol=1e-300)


_net, _X, _Y = _setup("cross_entropy")
INVALID = [
    pytest.param(dict(kind="hessian"), "kind", id="kind-hessian"),
    pytest.param(dict(kind="kfac"), "kind", id="kind-kfac"),
    pytest.param(dict(normalisation="per-sample"), "normalisation", id="normalisation"),
    pytest.param(dict(max_bytes=0), "max_bytes", id="max-bytes"),
    pytest.param(dict(progress=None), "progress", id="progress"),
    pytest.param(dict(params=["9.weight"]), "params", id="params"),
]


@pytest.mark.parametrize("change,argument", INVALID)
def test_invalid_arguments(change, argument):
    with pytest.raises(InvalidArgument) as err:
        gram_curvature_spectrum(_net, "cross_entropy", _X, _Y, **change)
    assert err.value.argument == argument
