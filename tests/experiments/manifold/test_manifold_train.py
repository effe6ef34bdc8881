"""Batched training (grouped and vmap engines) against the one-run reference loop."""
import numpy as np
import pytest
import torch

from hyperribbon.experiments.manifold.batched import group_key, stack_grouped, train_batched
from hyperribbon.experiments.networks import (TrainConfig, build_model, digits, sloppy_gaussian,
                                              subtask, train)
from hyperribbon.theory import InvalidArgument

# Tolerance: both paths compute the same float32 updates with kernels that sum in different
# orders. How far that moves the log-probabilities depends on the run: with SGD ~1e-7, with Adam
# ~1e-3 (for a weight whose gradient is at rounding level Adam's step m/√v is still of size lr,
# so rounding differences become lr-sized weight differences — the reference loop run with 1 or
# 2 threads differs as much). So each comparison is scaled by the reference's own sensitivity:
# the change of its log-probabilities when the learning rate moves by one float32 ulp. The
# batched path must agree within 8× that (and within FLOOR at least). Any real discrepancy — a
# different mini-batch, learning rate or update rule, one run's batch-norm statistics mixed with
# another's — moves them by > 1e-2; the optimizer update rules are also checked exactly below.
FLOOR = 2e-4
TOL = 2e-3            # for the divergence test (SGD, constant learning rate)


@pytest.mark.parametrize("arch, optimizer, method", [
    ("fc", "sgd", "grouped"), ("allcnn", "nesterov", "grouped"), ("fc", "adam", "grouped"),
    ("vit", "adam", "vmap"), ("fc", "nesterov", "vmap"),
    pytest.param("wrn-small", "sgd", "grouped", marks=pytest.mark.slow),
    pytest.param("convmixer", "sgd", "grouped", marks=pytest.mark.slow)])
def test_batched_equals_reference_loop(arch, optimizer, method):
    data = subtask(digits(), [0, 1, 2])                    # 3 classes keep the test fast
    cfgs = [TrainConfig(arch=arch, width=4 if arch != "fc" else 32, optimizer=optimizer,
                        epochs=0.5, batch_size=32, checkpoints=3, seed=s,
                        augment=(s == 1 and arch != "vit"),
                        weight_decay=[0.0, 1e-3, 1e-5][s],
                        lr=(0.05 if optimizer != "adam" else 3e-3) * [1.0, 0.7, 0.5][s])
            for s in range(3)]
    batched = train_batched(cfgs, data, method=method)
    for cfg, b in zip(cfgs, batched):
        ref = train(cfg, data)
        ulp = train(cfg.replace(lr=cfg.peak_lr * (1 + 2.0 ** -23)), data)
        assert [r.step for r in b.records] == [r.step for r in ref.records] == ref.steps.tolist()
        for split in ("train", "test"):
            sens = np.abs(ulp.logp(split) - ref.logp(split)).max()
            tol = max(FLOOR, 8 * sens)
            diff = np.abs(b.logp(split) - ref.logp(split)).max()
            assert diff < tol, (cfg.seed, split, diff, sens)
        moved = np.abs(ref.logp("train")[-1] - ref.logp("train")[0]).max()
        assert moved > 3 * max(FLOOR, 8 * sens)              # the comparison has teeth


@pytest.mark.parametrize("kind", ["sgd", "nesterov", "adam"])
def test_stacked_updates_equal_torch_optim_per_run(kind):
    """The batched optimizer on stacked tensors, with per-run learning rates and weight decays,
    against torch.optim on each run separately, on a fixed sequence of gradients."""
    from hyperribbon.experiments.manifold.batched import _Optim
    g = torch.Generator().manual_seed(0)
    r, shape = 3, (4, 5)
    lr = torch.tensor([0.1, 0.03, 0.01])
    wd = torch.tensor([0.0, 1e-3, 1e-2])
    stacked = torch.randn(r * shape[0], shape[1], generator=g)
    grads = [torch.randn(r * shape[0], shape[1], generator=g) * 10.0 ** -k for k in range(6)]
    refs = [stacked.view(r, *shape)[i].clone().requires_grad_() for i in range(r)]
    opts = [(torch.optim.Adam([p], lr=float(lr[i]), weight_decay=float(wd[i])) if kind == "adam"
             else torch.optim.SGD([p], lr=float(lr[i]), weight_decay=float(wd[i]),
                                  momentum=0.9 if kind == "nesterov" else 0.0,
                                  nesterov=kind == "nesterov")) for i, p in enumerate(refs)]
    opt = _Optim(kind, [stacked], wd, r)
    for gr in grads:
        opt.step([stacked], [gr], lr)
        for i, (p, o) in enumerate(zip(refs, opts)):
            p.grad = gr.view(r, *shape)[i].clone()
            o.step()
    for i, p in enumerate(refs):
        assert torch.allclose(stacked.view(r, *shape)[i], p.detach(), rtol=1e-5, atol=1e-6)


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
