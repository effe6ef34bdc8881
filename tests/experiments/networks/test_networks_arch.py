"""Architectures: every family on 8×8×1 and 32×32×3 inputs, seeded PyTorch-default
initialisation, batch norm after each hidden layer, no dropout, BN statistics by forward pass,
corners of the simplex."""
import math

import pytest
import torch
from torch import nn

from hyperribbon.experiments.networks.architectures import (ARCHITECTURES, build_model,
                                                            corner_init, init_batchnorm)
from hyperribbon.theory import InvalidArgument

IMAGE_ARCHS = ["fc", "allcnn", "wrn-small", "convmixer", "vit"]


@pytest.mark.parametrize("arch", IMAGE_ARCHS)
@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 32, 32)])
def test_shapes_and_no_dropout(arch, shape):
    m = build_model(arch, shape, 7, seed=0)
    out = m(torch.randn(3, *shape, generator=torch.Generator().manual_seed(0)))
    assert out.shape == (3, 7) and out.dtype == torch.float32
    assert not any(isinstance(x, nn.Dropout) for x in m.modules())
    norms = [x for x in m.modules() if isinstance(x, (nn.BatchNorm1d, nn.BatchNorm2d))]
    lns = [x for x in m.modules() if isinstance(x, nn.LayerNorm)]
    assert (len(lns) > 0 and not norms) if arch == "vit" else (len(norms) > 0 and not lns)


def test_batch_norm_after_every_hidden_fc_layer_and_default_init():
    m = build_model("fc", (64,), 10, width=32, seed=0)
    mods = list(m.features)[1:]
    linears = [i for i, x in enumerate(mods) if isinstance(x, nn.Linear)]
    assert [type(mods[i + 1]) for i in linears] == [nn.BatchNorm1d] * 4
    assert [mods[i].out_features for i in linears] == [32, 16, 8, 4]
    for lin in [mods[i] for i in linears] + [m.classifier]:
        bound = 1 / math.sqrt(lin.in_features)          # PyTorch default U[-1/√d, 1/√d]
        assert lin.weight.abs().max() <= bound and lin.bias.abs().max() <= bound
        # a uniform sample on [-b, b] reaches beyond b/2 almost surely for these sizes
        assert lin.weight.abs().max() > bound / 2


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_seed_determines_initialisation_and_leaves_global_rng_alone(arch):
    shape = (16,) if arch.startswith("fc") else (1, 8, 8)
    state = torch.random.get_rng_state()
    a, b = build_model(arch, shape, 3, seed=5), build_model(arch, shape, 3, seed=5)
    c = build_model(arch, shape, 3, seed=6)
    assert torch.equal(state, torch.random.get_rng_state())
    pa, pb, pc = (torch.cat([p.flatten() for p in m.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_init_batchnorm_sets_running_statistics_to_batch_statistics():
    m = build_model("allcnn", (1, 8, 8), 10, width=4, seed=0)
    x = 3 + 2 * torch.randn(40, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    init_batchnorm(m, x, batch_size=20, batches=2)
    bn = m.features[1]
    with torch.no_grad():
        h = m.features[0](x)                       # first conv output for all 40 inputs
    # cumulative average of the two batch means = the mean over all 40 inputs
    assert torch.allclose(bn.running_mean, h.mean(dim=(0, 2, 3)), atol=1e-5)
    assert bn.momentum == 0.1 and m.training


def test_bn_init_makes_eval_predictions_equal_batch_statistics_predictions():
    """§2.5.2: after the forward-pass initialisation on one batch, eval mode (running
    statistics) predicts what train mode (batch statistics) predicts on that batch, up to the
    unbiased/biased variance factor n/(n-1) with n = B·H·W; before it, eval mode differs."""
    x = 2 + 3 * torch.randn(128, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    m = build_model("allcnn", (1, 8, 8), 10, width=4, seed=0)
    def logits(mode):
        m.train(mode == "train")
        with torch.no_grad():
            return m(x)
    batch = logits("train")
    before = logits("eval")
    init_batchnorm(m, x, batch_size=128, batches=1)
    after = logits("eval")
    scale = batch.abs().max()
    assert (after - batch).abs().max() < 0.02 * scale
    assert (before - batch).abs().max() > 10 * (after - batch).abs().max()


def test_corner_init_makes_confident_distinct_corners_with_nearby_seeds():
    x = torch.randn(200, 20, generator=torch.Generator().manual_seed(0))
    def probs(seed, corner):
        m = corner_init(build_model("fc1", (20,), 5, width=64, seed=seed), corner).eval()
        with torch.no_grad():
            return torch.softmax(m(x), 1)
    p00, p10, p01 = probs(0, 0), probs(1, 0), probs(0, 1)
    assert float(p00.max(1).values.mean()) > 0.8             # near a corner of the simplex
    agree_same = float((p00.argmax(1) == p10.argmax(1)).float().mean())
    agree_other = float((p00.argmax(1) == p01.argmax(1)).float().mean())
    assert agree_same > 0.7 and agree_other < 0.5


INVALID = [
    pytest.param(lambda: build_model("resnet", (1, 8, 8), 10), "arch", id="arch"),
    pytest.param(lambda: build_model("allcnn", (64,), 10), "in_shape", id="conv-on-vector"),
    pytest.param(lambda: build_model("vit", (1, 7, 7), 10), "in_shape", id="vit-patch"),
    pytest.param(lambda: build_model("fc", (1, 8, 8), 1), "num_classes", id="classes"),
    pytest.param(lambda: build_model("fc", (1, 8, 8), 10, width=0), "width", id="width"),
    pytest.param(lambda: build_model("fc", (1, 8, 8), 10, seed=-1), "seed", id="seed"),
    pytest.param(lambda: corner_init(build_model("fc", (4,), 2), -1), "corner", id="corner"),
]


@pytest.mark.parametrize("call, argument", INVALID)
def test_invalid_arguments_name_the_argument(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument
