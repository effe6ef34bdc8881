"""The one-run training loop: checkpoint schedule, mini-batches without replacement,
augmentation against a slow per-pixel reference, an SGD/Nesterov/Adam step against hand-written
updates, determinism, divergence."""
import math

import numpy as np
import pytest
import torch

from hyperribbon.experiments.networks import (TrainConfig, checkpoint_steps, digits,
                                              prepare_model, sloppy_gaussian, train)
from hyperribbon.experiments.networks import _stream
from hyperribbon.theory import InvalidArgument


@pytest.mark.parametrize("total, k", [(1000, 70), (70, 70), (69, 70), (5, 3), (10 ** 6, 70),
                                      (100, 2)])
def test_checkpoint_steps_distinct_log_spaced_with_ends(total, k):
    s = checkpoint_steps(total, k)
    assert len(s) == min(k, total + 1)
    assert s[0] == 0 and s[-1] == total and np.all(np.diff(s) > 0)
    if total > 10 * k and k > 3:                         # denser early: ratios nearly constant
        r = np.log(s[2:]) - np.log(s[1:-1])
        assert r[-1] < 2 * np.log(total) / (k - 2)
        assert np.sum(s <= total / 10) > k / 3


def test_batches_are_without_replacement_within_each_epoch():
    n, b, seed = 37, 8, 4
    stream = np.concatenate([_stream.batch_indices(seed, t, b, n) for t in range(3 * n)])
    for e in range(3 * b):                               # each block of n draws: a permutation
        assert sorted(stream[e * n:(e + 1) * n].tolist()) == list(range(n))
    assert not np.array_equal(stream[:n], stream[n:2 * n])


def test_augmentation_matches_per_pixel_reference():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 2, 5, 5)).astype(np.float32)
    for flips in (False, True):
        got = _stream.augment_batch(x, seed=3, step=11, pad=2, flips=flips)
        r = np.random.default_rng([3, 2, 11])
        dy, dx, fl = r.integers(0, 5, 6), r.integers(0, 5, 6), r.random(6) < 0.5
        ref = np.zeros_like(x)
        for i in range(6):
            for c in range(2):
                for h in range(5):
                    for w in range(5):
                        ww = 4 - w if (flips and fl[i]) else w
                        sy, sx = h + dy[i] - 2, ww + dx[i] - 2
                        ref[i, c, h, w] = x[i, c, sy, sx] if 0 <= sy < 5 and 0 <= sx < 5 else 0
        assert np.array_equal(got, ref)


def _manual_run(cfg, data, steps):
    """Independent reimplementation of `steps` optimizer steps with hand-written updates."""
    model = prepare_model(cfg, data)
    params = [p for p in model.parameters()]
    state = [dict(m=torch.zeros_like(p), v=torch.zeros_like(p), buf=None) for p in params]
    total = cfg.total_steps(data.n_train)
    for t in range(steps):
        idx = _stream.batch_indices(cfg.seed, t, cfg.batch_size, data.n_train)
        out = model(torch.from_numpy(data.x_train[idx]))
        loss = -torch.log_softmax(out, 1)[torch.arange(len(idx)),
                                           torch.from_numpy(data.y_train[idx])].mean()
        grads = torch.autograd.grad(loss, params)
        lr = cfg.peak_lr * 0.5 * (1 + math.cos(math.pi * t / total))
        with torch.no_grad():
            for p, g, s in zip(params, grads, state):
                g = g + cfg.weight_decay * p
                if cfg.optimizer == "sgd":
                    p -= lr * g
                elif cfg.optimizer == "nesterov":
                    s["buf"] = g.clone() if s["buf"] is None else 0.9 * s["buf"] + g
                    p -= lr * (g + 0.9 * s["buf"])
                else:
                    s["m"] = 0.9 * s["m"] + 0.1 * g
                    s["v"] = 0.999 * s["v"] + 0.001 * g * g
                    mh, vh = s["m"] / (1 - 0.9 ** (t + 1)), s["v"] / (1 - 0.999 ** (t + 1))
                    p -= lr * mh / (vh.sqrt() + 1e-8)
    model.eval()
    with torch.no_grad():
        return torch.log_softmax(model(torch.from_numpy(data.x_test)), 1).numpy()


@pytest.mark.parametrize("optimizer, wd", [("sgd", 1e-3), ("nesterov", 0.0), ("adam", 1e-5)])
def test_training_matches_hand_written_updates(optimizer, wd):
    data = digits()
    cfg = TrainConfig(arch="fc", width=16, optimizer=optimizer, weight_decay=wd, batch_size=100,
                      epochs=1, checkpoints=4, seed=2,
                      lr=0.05 if optimizer != "adam" else 0.01)
    res = train(cfg, data)
    total = cfg.total_steps(data.n_train)
    assert res.steps.tolist() == [0, 1, int(round(math.sqrt(total))), total]
    ref = _manual_run(cfg, data, total)
    scale = np.abs(ref).max()
    # Both paths run in float32 with different reduction orders (BLAS kernel and thread count
    # dependent), and training amplifies rounding (Adam most: its normalisation by √v̂ magnifies
    # tiny gradients). A wrong update rule changes the logits by O(lr) ≫ these tolerances.
    rel = 1e-2 if optimizer == "adam" else 1e-3
    assert np.max(np.abs(res.logp("test")[-1] - ref)) < rel * scale
    assert not np.allclose(res.logp("test")[-1], res.logp("test")[0])


def test_records_are_consistent_and_deterministic():
    data = digits()
    cfg = TrainConfig(arch="allcnn", width=4, optimizer="nesterov", batch_size=128, epochs=1,
                      checkpoints=4, seed=1, augment=True)
    a, b = train(cfg, data), train(cfg, data)
    assert not a.diverged and len(a.records) == 4
    for ra, rb in zip(a.records, b.records):
        assert np.array_equal(ra.logp_train, rb.logp_train)
        assert ra.logp_test.dtype == np.float32 and ra.logp_test.shape == (data.n_test, 10)
        # log-probabilities normalise; error and loss follow from them
        assert np.allclose(np.logaddexp.reduce(ra.logp_train.astype(np.float64), axis=1), 0,
                           atol=1e-5)
        assert ra.train_error == np.mean(ra.logp_train.argmax(1) != data.y_train)
        assert np.isclose(ra.test_loss,
                          -np.mean(ra.logp_test[np.arange(data.n_test), data.y_test]))
        assert ra.epoch == ra.step * 128 / data.n_train
    c = train(cfg.replace(seed=2), data)
    assert not np.array_equal(c.records[-1].logp_train, a.records[-1].logp_train)


def test_divergence_is_recorded():
    data = sloppy_gaussian(n_train=200, n_test=50, d=10, c=0.5, seed=0)
    cfg = TrainConfig(arch="fc1", width=16, optimizer="sgd", lr=1e6, batch_size=50,
                      epochs=20, checkpoints=10, seed=0, schedule="constant")
    res = train(cfg, data)
    assert res.diverged and res.diverged_at is not None
    assert len(res.records) < 10 and all(np.isfinite(r.logp_train).all() for r in res.records)


INVALID = [
    pytest.param(dict(arch="mlp"), "arch", id="arch"),
    pytest.param(dict(optimizer="rmsprop"), "optimizer", id="optimizer"),
    pytest.param(dict(lr=-0.1), "lr", id="lr"),
    pytest.param(dict(batch_size=0), "batch_size", id="batch"),
    pytest.param(dict(weight_decay=-1e-3), "weight_decay", id="wd"),
    pytest.param(dict(epochs=0), "epochs", id="epochs"),
    pytest.param(dict(seed=-3), "seed", id="seed"),
    pytest.param(dict(checkpoints=1), "checkpoints", id="checkpoints"),
    pytest.param(dict(schedule="step"), "schedule", id="schedule"),
    pytest.param(dict(augment="yes"), "augment", id="augment-type"),
]


@pytest.mark.parametrize("kwargs, argument", INVALID)
def test_invalid_config_names_the_argument(kwargs, argument):
    with pytest.raises(InvalidArgument) as info:
        TrainConfig(**kwargs)
    assert info.value.argument == argument


def test_augment_on_vectors_is_rejected():
    data = sloppy_gaussian(n_train=20, n_test=5, d=4)
    with pytest.raises(InvalidArgument) as info:
        train(TrainConfig(arch="fc1", augment=True), data)
    assert info.value.argument == "augment"
