"""Batched training (grouped and vmap engines) against the one-run reference loop."""
import numpy as np
import pytest
import torch

from hyperribbon.experiments.manifold.batched import group_key, stack_grouped, train_batched
from hyperribbon.experiments.networks import (TrainConfig, build_model, digits, sloppy_gaussian,
                                              subtask, train)
from hyperribbon.theory import InvalidArgument

# Tolerance: both paths compute the same float32 updates with kernels that sum in different
# orders; over the few steps below the log-probabilities agree to ~1e-6–1e-4 (Adam and deep
# residual nets amplify rounding). Any real discrepancy — another mini-batch, a wrong learning
# rate, a run's batch-norm statistics mixed with another's — moves them by > 1e-2.
TOL = 2e-3


@pytest.mark.parametrize("arch, optimizer, method", [
    ("fc", "sgd", "grouped"), ("allcnn", "nesterov", "grouped"), ("wrn-small", "adam", "grouped"),
    ("convmixer", "sgd", "grouped"), ("vit", "adam", "vmap"), ("fc", "nesterov", "vmap")])
def test_batched_equals_reference_loop(arch, optimizer, method):
    data = subtask(digits(), [0, 1, 2, 3])                 # 4 classes keep the test fast
    cfgs = [TrainConfig(arch=arch, width=4 if arch != "fc" else 32, optimizer=optimizer,
                        epochs=0.5, batch_size=32, checkpoints=3, seed=s,
                        augment=(s == 1 and arch != "vit"),
                        weight_decay=[0.0, 1e-3, 1e-5][s],
                        lr=(0.05 if optimizer != "adam" else 3e-3) * [1.0, 0.7, 0.5][s])
            for s in range(3)]
    batched = train_batched(cfgs, data, method=method)
    for cfg, b in zip(cfgs, batched):
        ref = train(cfg, data)
        assert [r.step for r in b.records] == [r.step for r in ref.records] == ref.steps.tolist()
        for split in ("train", "test"):
            diff = np.abs(b.logp(split) - ref.logp(split)).max()
            assert diff < TOL, (cfg.seed, split, diff)
        moved = np.abs(ref.logp("train")[-1] - ref.logp("train")[0]).max()
        assert moved > 10 * TOL                              # the comparison has teeth
        assert np.allclose(b.metrics()["train_loss"], ref.metrics()["train_loss"], atol=TOL)


def test_grouped_network_is_the_stack_of_its_members():
    ms = [build_model("wrn-small", (1, 8, 8), 10, seed=s).eval() for s in range(3)]
    g = stack_grouped(ms).eval()
    x = torch.randn(7, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    out = g(x.repeat(1, 3, 1, 1)).reshape(7, 3, 10)
    for i, m in enumerate(ms):
        assert torch.allclose(out[:, i], m(x), atol=1e-5)


def test_one_run_diverging_leaves_the_others_unchanged():
    data = sloppy_gaussian(n_train=200, n_test=50, d=10, seed=0)
    good = TrainConfig(arch="fc1", width=16, lr=0.05, batch_size=50, epochs=3, checkpoints=5,
                       seed=0, schedule="constant")
    bad = good.replace(lr=1e6, seed=1)
    res = train_batched([good, bad], data)
    ref_good, ref_bad = train(good, data), train(bad, data)
    assert res[1].diverged and ref_bad.diverged and not res[0].diverged
    assert len(res[1].records) == len(ref_bad.records)
    assert np.abs(res[0].logp("test") - ref_good.logp("test")).max() < TOL


def test_group_key_separates_incompatible_runs():
    a = TrainConfig(arch="fc", batch_size=32)
    assert group_key(a, 100) == group_key(a.replace(seed=3, lr=0.1, augment=True), 100)
    assert group_key(a, 100) != group_key(a.replace(batch_size=64), 100)


INVALID = [
    pytest.param(lambda d: train_batched([], d), "configs", id="empty"),
    pytest.param(lambda d: train_batched([TrainConfig(arch="fc"),
                                          TrainConfig(arch="fc", optimizer="adam")], d),
                 "configs", id="mixed-groups"),
    pytest.param(lambda d: train_batched([TrainConfig(arch="vit")], d, method="grouped"),
                 "method", id="vit-grouped"),
    pytest.param(lambda d: train_batched([TrainConfig(arch="fc")], d, method="jit"), "method",
                 id="method"),
]


@pytest.mark.parametrize("call, argument", INVALID)
def test_invalid_arguments_name_the_argument(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call(digits())
    assert info.value.argument == argument
