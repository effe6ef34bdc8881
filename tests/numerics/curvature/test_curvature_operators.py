"""curvature_operator (curvlinops) against the torch.func dense references, for every kind."""
import math

import numpy as np
import pytest
import torch

from hyperribbon.numerics.curvature import (CurvatureOperator, curvature_operator,
                                            dense_curvature, flat_parameters, parameter_blocks)
from hyperribbon.theory import InvalidArgument

EPS = np.finfo(np.float64).eps
N = 7


def _mlp(act):
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Linear(4, 5), act, torch.nn.Linear(5, 3)).double()


def _conv():
    torch.manual_seed(2)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(2 * 4 * 4, 3)).double()


def _data(net, loss, n=N, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = (torch.randn(n, 1, 6, 6, generator=g, dtype=torch.float64) if net == "conv"
         else torch.randn(n, 4, generator=g, dtype=torch.float64))
    if loss == "cross_entropy":
        y = torch.randint(0, 3, (n,), generator=g)
    elif loss == "mse":
        y = torch.randn(n, 3, generator=g, dtype=torch.float64)
    else:
        y = torch.randint(0, 2, (n, 3), generator=g).double()
    return X, y


NETS = {"relu": lambda: _mlp(torch.nn.ReLU()), "tanh": lambda: _mlp(torch.nn.Tanh()),
        "conv": _conv}
KINDS = [("hessian", "type-2"), ("ggn", "type-2"), ("fisher", "type-2"),
         ("empirical_fisher", "type-2"), ("kfac", "type-2"), ("kfac", "empirical")]


def _close(A, B, scale, p):
    # products of a few hundred float64 terms: error ≤ (a few)·p·ε·scale
    return np.max(np.abs(A - B)) <= 50 * p * EPS * scale


@pytest.mark.parametrize("net", ["relu", "tanh", "conv"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("kind,ftype", KINDS, ids=[f"{k}-{t}" for k, t in KINDS])
def test_operator_matches_dense_reference(net, loss, kind, ftype):
    model = NETS[net]()
    X, y = _data(net, loss)
    op = curvature_operator(model, loss, X, y, kind=kind, batch_size=3, kfac_fisher_type=ftype)
    D = dense_curvature(model, loss, X, y, kind=kind, kfac_fisher_type=ftype)
    V = np.random.default_rng(3).standard_normal((op.shape[0], 5))
    assert _close(op @ V, D @ V, np.abs(D).max() * np.abs(V).max(), op.shape[0])
    assert op.n_products == 5 and op.n_calls == 1


@pytest.mark.parametrize("kind", ["hessian", "ggn", "fisher", "empirical_fisher", "kfac"])
def test_bce_kinds(kind):
    model = NETS["tanh"]()
    X, y = _data("tanh", "bce_logits")
    op = curvature_operator(model, "bce_logits", X, y, kind=kind)
    D = dense_curvature(model, "bce_logits", X, y, kind=kind)
    assert _close(op.to_dense(), D, np.abs(D).max(), op.shape[0])


def test_hessian_against_finite_differences_of_the_gradient():
    model = NETS["tanh"]()
    X, y = _data("tanh", "cross_entropy")
    H = curvature_operator(model, "cross_entropy", X, y, kind="hessian", normalisation="sum")
    _, _, w = flat_parameters(model)
    v = np.random.default_rng(0).standard_normal(w.numel())

    def grad_at(t):
        torch.nn.utils.vector_to_parameters(w + t * torch.as_tensor(v), model.parameters())
        loss = torch.nn.functional.cross_entropy(model(X), y, reduction="sum")
        g = torch.autograd.grad(loss, list(model.parameters()))
        return torch.cat([gi.reshape(-1) for gi in g]).numpy()

    h = 1e-4
    # fourth-order central difference: error O(h⁴·|g'''''|) plus rounding ε|g|/h
    fd = (-grad_at(2 * h) + 8 * grad_at(h) - 8 * grad_at(-h) + grad_at(-2 * h)) / (12 * h)
    torch.nn.utils.vector_to_parameters(w, model.parameters())
    Hv = H @ v
    assert np.max(np.abs(Hv - fd)) <= 1e-7 * max(1.0, np.abs(Hv).max())


def test_true_fisher_equals_ggn_for_canonical_losses_and_mc_converges():
    model = NETS["relu"]()
    X, y = _data("relu", "cross_entropy")
    F = dense_curvature(model, "cross_entropy", X, y, kind="fisher")   # enumerates classes
    G = dense_curvature(model, "cross_entropy", X, y, kind="ggn")      # ∇²_f ℓ
    assert _close(F, G, np.abs(F).max(), F.shape[0])
    errs = []
    for M in (10, 4000):
        mc = curvature_operator(model, "cross_entropy", X, y, kind="fisher_mc", mc_samples=M,
                                seed=5).to_dense()
        errs.append(np.linalg.norm(mc - F) / np.linalg.norm(F))
    # Monte-Carlo error ∝ M^{-1/2} (≈ 0.15 at M = 10 for this net, over seeds): at M = 4000
    # it is ≈ 0.008; a biased estimator (wrong expectation) would stall far above 0.05
    assert errs[1] < errs[0] and errs[1] < 0.05


def test_normalisations():
    model = NETS["tanh"]()
    X, y = _data("tanh", "cross_entropy")
    V = np.random.default_rng(1).standard_normal((43, 2))          # p = 4·5 + 5 + 5·3 + 3
    for kind, thesis_factor in [("hessian", 1 / math.log(2)), ("fisher", 1.0),
                                ("empirical_fisher", 1.0), ("kfac", 1 / math.log(2))]:
        mean = curvature_operator(model, "cross_entropy", X, y, kind=kind) @ V
        total = curvature_operator(model, "cross_entropy", X, y, kind=kind,
                                   normalisation="sum") @ V
        thesis = curvature_operator(model, "cross_entropy", X, y, kind=kind,
                                    normalisation="thesis") @ V
        scale = np.abs(total).max()
        assert np.max(np.abs(total - N * mean)) <= 100 * EPS * scale
        assert np.max(np.abs(thesis - thesis_factor * mean)) <= 100 * EPS * scale


def test_thesis_fisher_definition_with_probabilities():
    """F_ij = (1/n) Σ_k Σ_y p(y|x_k) ∂_i log p ∂_j log p (§4.2), by per-class autograd."""
    model = NETS["relu"]()
    X, y = _data("relu", "cross_entropy", n=4)
    params = list(model.parameters())
    F = 0
    for k in range(4):
        logp = torch.log_softmax(model(X[k:k + 1])[0], dim=0)
        for c in range(3):
            g = torch.autograd.grad(logp[c], params, retain_graph=True)
            g = torch.cat([gi.reshape(-1) for gi in g]).detach().numpy()
            F = F + math.exp(logp[c].item()) * np.outer(g, g)
    F = F / 4
    op = curvature_operator(model, "cross_entropy", X, y, kind="fisher", normalisation="thesis")
    assert _close(op.to_dense(), F, np.abs(F).max(), F.shape[0])


def test_kfac_is_exact_for_one_linear_layer_and_one_sample():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3, bias=False).double()
    X, y = torch.randn(1, 4, dtype=torch.float64), torch.tensor([2])
    K = curvature_operator(model, "cross_entropy", X, y, kind="kfac").to_dense()
    G = dense_curvature(model, "cross_entropy", X, y, kind="ggn")
    assert _close(K, G, np.abs(G).max(), G.shape[0])


def test_blocks_params_batches_and_block_products():
    model = NETS["conv"]()
    X, y = _data("conv", "cross_entropy")
    full = dense_curvature(model, "cross_entropy", X, y, kind="ggn")
    names, shapes, _ = flat_parameters(model)
    sizes = [int(np.prod(s)) for s in shapes]
    off = np.concatenate([[0], np.cumsum(sizes)])
    blocks = parameter_blocks(model)
    assert list(blocks) == ["0", "3"] and blocks["0"] == ["0.weight", "0.bias"]
    op = curvature_operator(model, "cross_entropy", X, y, kind="ggn", blocks="module")
    mask = np.zeros_like(full, dtype=bool)
    mask[:off[2], :off[2]] = True
    mask[off[2]:, off[2]:] = True
    assert _close(op.to_dense(), np.where(mask, full, 0), np.abs(full).max(), full.shape[0])
    sub = curvature_operator(model, "cross_entropy", X, y, kind="ggn", params=["3.weight"])
    sl = slice(off[2], off[3])
    assert sub.shape == (sizes[2], sizes[2])
    assert _close(sub.to_dense(), full[sl, sl], np.abs(full).max(), sizes[2])
    dense_sub = dense_curvature(model, "cross_entropy", X, y, kind="ggn", params=["3.weight"])
    assert _close(dense_sub, full[sl, sl], np.abs(full).max(), sizes[2])
    one = curvature_operator(model, "cross_entropy", X, y, kind="hessian", batch_size=N)
    many = curvature_operator(model, "cross_entropy", X, y, kind="hessian", batch_size=2)
    V = np.random.default_rng(0).standard_normal((one.shape[0], 8))
    block = one @ V
    singles = np.column_stack([one @ V[:, j] for j in range(8)])
    assert one.n_products == 16 and one.n_calls == 9
    scale = np.abs(block).max()
    assert np.max(np.abs(block - singles)) <= 100 * one.shape[0] * EPS * scale
    assert np.max(np.abs(many @ V - block)) <= 100 * one.shape[0] * EPS * scale


def test_float32_model_has_float64_interface():
    model32 = NETS["tanh"]().float()
    model64 = NETS["tanh"]()
    X, y = _data("tanh", "cross_entropy")
    op = curvature_operator(model32, "cross_entropy", X.float(), y, kind="hessian")
    D = dense_curvature(model64, "cross_entropy", X, y, kind="hessian")
    assert isinstance(op, CurvatureOperator) and op.dtype == np.float64
    assert op.info.compute_dtype == "torch.float32"
    assert op.compute_eps == float(np.finfo(np.float32).eps)
    v = np.random.default_rng(0).standard_normal(op.shape[0])
    out = op @ v
    assert out.dtype == np.float64
    assert np.max(np.abs(out - D @ v)) <= 1e3 * op.compute_eps * np.abs(D).max() * np.abs(v).max()


def test_info_states_the_matrix():
    model = NETS["relu"]()
    X, y = _data("relu", "cross_entropy")
    op = curvature_operator(model, "cross_entropy", X, y, kind="hessian", normalisation="thesis")
    assert op.info.n_samples == N and op.info.n_params == op.shape[0] == 4 * 5 + 5 + 5 * 3 + 3
    assert math.isclose(op.info.scale, 1 / (N * math.log(2)))
    assert op.info.param_names == ("0.weight", "0.bias", "2.weight", "2.bias")
    assert list(op.info.offsets) == [0, 20, 25, 40, 43]
    assert "thesis" in op.info.label and "c = " in op.info.definition


class _Odd(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))

    def forward(self, x):
        return x[:, :3] * self.scale


def _drop():
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Dropout(0.5)).double()


_M = NETS["relu"]
_X, _Y = _data("relu", "cross_entropy")
_Xm, _Ym = _data("relu", "mse")
_Xb, _Yb = _data("relu", "bce_logits")

INVALID = [
    pytest.param(dict(kind="laplacian"), "kind", id="kind"),
    pytest.param(dict(normalisation="avg"), "normalisation", id="normalisation"),
    pytest.param(dict(loss="hinge"), "loss", id="loss-name"),
    pytest.param(dict(loss=torch.nn.NLLLoss()), "loss", id="loss-module"),
    pytest.param(dict(loss=torch.nn.CrossEntropyLoss(reduction="none")), "loss",
                 id="loss-reduction-none"),
    pytest.param(dict(loss=torch.nn.CrossEntropyLoss(label_smoothing=0.1)), "loss",
                 id="loss-label-smoothing"),
    pytest.param(dict(model="net"), "model", id="model-not-module"),
    pytest.param(dict(model=_drop()), "model", id="model-dropout-training"),
    pytest.param(dict(X=_X.numpy()), "X", id="X-numpy"),
    pytest.param(dict(X=_X.float()), "X", id="X-dtype"),
    pytest.param(dict(X=_X * float("nan")), "X", id="X-nan"),
    pytest.param(dict(y=_Y[:3]), "y", id="y-rows"),
    pytest.param(dict(y=_Y + 5), "y", id="y-label-range"),
    pytest.param(dict(y=_Y.double()), "y", id="y-float-labels"),
    pytest.param(dict(loss="mse", y=_Ym[:, :2]), "y", id="y-mse-shape"),
    pytest.param(dict(loss="bce_logits", y=_Yb * 0.5), "y", id="y-bce-nonbinary"),
    pytest.param(dict(params=["0.weight", "nope"]), "params", id="params-unknown"),
    pytest.param(dict(params=[]), "params", id="params-empty"),
    pytest.param(dict(params="0.weight"), "params", id="params-string"),
    pytest.param(dict(params=["0.weight", "0.weight"]), "params", id="params-repeat"),
    pytest.param(dict(blocks="layer"), "blocks", id="blocks-word"),
    pytest.param(dict(blocks=[["0.weight"], ["2.weight"]]), "blocks", id="blocks-partial"),
    pytest.param(dict(batch_size=0), "batch_size", id="batch-size"),
    pytest.param(dict(mc_samples=0), "mc_samples", id="mc-samples"),
    pytest.param(dict(seed=-1), "seed", id="seed"),
    pytest.param(dict(kfac_fisher_type="forward-only"), "kfac_fisher_type", id="kfac-type"),
    pytest.param(dict(kind="kfac", model=_Odd().double()), "params", id="kfac-layer"),
    pytest.param(dict(progress="yes"), "progress", id="progress"),
]


@pytest.mark.parametrize("change,argument", INVALID)
def test_invalid_arguments(change, argument):
    args = dict(model=_M(), loss="cross_entropy", X=_X, y=_Y)
    if change.get("model") is not None and isinstance(change["model"], _Odd):
        args.update(loss="mse", y=_Ym)
    args.update(change)
    model, loss, X, y = args.pop("model"), args.pop("loss"), args.pop("X"), args.pop("y")
    with pytest.raises(InvalidArgument) as err:
        curvature_operator(model, loss, X, y, **args)
    assert err.value.argument == argument


@pytest.mark.parametrize("change,argument", [
    pytest.param(dict(kind="fisher_mc"), "kind", id="dense-mc"),
    pytest.param(dict(kfac_fisher_type="mc"), "kfac_fisher_type", id="dense-kfac-mc"),
    pytest.param(dict(blocks=[["0.weight"]]), "blocks", id="dense-blocks"),
])
def test_invalid_dense_arguments(change, argument):
    with pytest.raises(InvalidArgument) as err:
        dense_curvature(_M(), "cross_entropy", _X, _Y, **change)
    assert err.value.argument == argument
