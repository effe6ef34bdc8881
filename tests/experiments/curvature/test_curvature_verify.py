"""network_problem / verify_network: the NetworkProblem holds the trained weights, and the
Theorem 4.3.1 verdict's left-hand side equals tr F computed independently with torch.func."""
import numpy as np
import pytest
import torch

from hyperribbon.experiments.curvature.models import trained_network
from hyperribbon.experiments.curvature.verify import (chapter4_lemmas, network_problem,
                                                      verify_network)
from hyperribbon.theory import InvalidArgument

OPTS = dict(arch="fc1", width=4, data="digits-binary", epochs=1, seed=0, samples=40)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def test_problem_holds_the_trained_bias_free_weights(cache):
    p = network_problem(**OPTS, cache=cache)
    net = trained_network("mlp1", 4, "digits-binary", 1, 0, bias=False, cache=cache)
    assert net.from_cache
    linears = [m for m in net.model if isinstance(m, torch.nn.Linear)]
    assert len(p.weights) == len(linears) == 2
    for W, lin in zip(p.weights, linears):
        assert np.array_equal(W, lin.weight.detach().double().numpy())
    assert p.biases_zero and p.widths == (64, 4, 2) and p.n == 40
    X = net.data.x_train[:40].reshape(40, -1).astype(np.float64)
    assert np.array_equal(p.X, X)
    assert p.__dict__["run"]["samples"] == 40


def test_theorem_4_3_1_lhs_is_the_fim_trace(cache):
    (v,) = verify_network("4.3.1", **OPTS, cache=cache)
    assert v.lemma_id == "thesis-theorem-4.3.1"
    assert v.status.value in ("holds", "fails", "undecided")
    net = trained_network("mlp1", 4, "digits-binary", 1, 0, bias=False, cache=cache)
    m = net.model.double().eval()
    X = torch.from_numpy(net.data.x_train[:40]).double()
    W = [lin.weight.detach() for lin in m if isinstance(lin, torch.nn.Linear)]

    def logits(w0, w1, x):
        return torch.relu(x.reshape(-1) @ w0.T) @ w1.T

    J0, J1 = torch.func.vmap(torch.func.jacrev(logits, argnums=(0, 1)),
                             in_dims=(None, None, 0))(W[0].detach(), W[1].detach(), X)
    J = torch.cat([J0.reshape(40, 2, -1), J1.reshape(40, 2, -1)], dim=2)
    p = torch.softmax(torch.func.vmap(logits, in_dims=(None, None, 0))(W[0], W[1], X), 1)
    M = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
    trF = float(torch.einsum("kcp,kcd,kdp->", J, M, J)) / 40       # tr F, eq. of §4.2
    assert v.comparisons[0].lhs[0] == pytest.approx(trF, rel=1e-9)


def test_all_checks_every_chapter4_lemma(cache):
    verdicts = verify_network("all", **OPTS, cache=cache)
    assert [v.lemma_id for v in verdicts] == [lem.id for lem in chapter4_lemmas()]
    assert len(verdicts) >= 3


def test_biases_make_the_lemma_not_applicable(cache):
    (v,) = verify_network("4.3.1", **{**OPTS, "bias": True}, cache=cache)
    assert v.status.value == "not_applicable"


INVALID = [
    pytest.param("4.3.1", dict(arch="wrn"), "arch", id="conv-arch"),
    pytest.param("4.3.1", dict(data="mnist"), "data", id="bad-data"),
    pytest.param("4.3.1", dict(samples=0), "samples", id="zero-samples"),
    pytest.param("4.3.1", dict(samples=10 ** 6), "samples", id="too-many-samples"),
    pytest.param("4.3.1", dict(depth=3), "depth", id="unknown-option"),
    pytest.param("5.2.3", dict(), "key", id="not-a-network-lemma"),
    pytest.param("4.3.1", dict(epochs=-1), "epochs", id="negative-epochs"),
    # every numeric option through the declared domains of `hyperribbon verify` (zero, negative,
    # non-finite, boolean, fractional, beyond the documented upper end): a named error, no run
    pytest.param("4.3.1", dict(epochs=0), "epochs", id="zero-epochs"),
    pytest.param("4.3.1", dict(epochs=float("nan")), "epochs", id="nan-epochs"),
    pytest.param("4.3.1", dict(epochs=float("inf")), "epochs", id="inf-epochs"),
    pytest.param("4.3.1", dict(epochs=True), "epochs", id="bool-epochs"),
    pytest.param("4.3.1", dict(epochs=2.5), "epochs", id="fractional-epochs"),
    pytest.param("4.3.1", dict(epochs=10 ** 9), "epochs", id="epochs-above-limit"),
    pytest.param("4.3.1", dict(width=0), "width", id="zero-width"),
    pytest.param("4.3.1", dict(width=-4), "width", id="negative-width"),
    pytest.param("4.3.1", dict(width=True), "width", id="bool-width"),
    pytest.param("4.3.1", dict(width=10 ** 7), "width", id="width-above-limit"),
    pytest.param("4.3.1", dict(seed=-1), "seed", id="negative-seed"),
    pytest.param("4.3.1", dict(seed=float("nan")), "seed", id="nan-seed"),
    pytest.param("4.3.1", dict(seed=False), "seed", id="bool-seed"),
    pytest.param("4.3.1", dict(samples=True), "samples", id="bool-samples"),
    pytest.param("4.3.1", dict(samples=-3), "samples", id="negative-samples"),
    pytest.param("4.3.1", dict(bias="yes"), "bias", id="non-bool-bias"),
    pytest.param("4.3.1", dict(arch=""), "arch", id="empty-arch"),
]


@pytest.mark.parametrize("key, kwargs, argument", INVALID)
def test_invalid_arguments(key, kwargs, argument, cache):
    with pytest.raises(InvalidArgument) as err:
        verify_network(key, **{**OPTS, **kwargs}, cache=cache)
    assert err.value.argument == argument
    assert f"`{argument}`" in str(err.value) and err.value.rule      # names it and the rule


def test_zero_epochs_names_the_rule(cache):
    with pytest.raises(InvalidArgument) as err:
        verify_network("4.3.1", **{**OPTS, "epochs": 0}, cache=cache)
    assert err.value.argument == "epochs" and "[1, 100000]" in err.value.rule
