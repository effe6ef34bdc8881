"""Sweep configuration: shipped configs parse, expansion is the full factorial, and a table of
invalid configurations whose errors name the offending key."""
import copy
import math

import pytest

from hyperribbon.experiments.manifold.batched import group_key
from hyperribbon.experiments.manifold.config import (expand_runs, load_config, parse_config)
from hyperribbon.experiments.networks import TrainConfig
from hyperribbon.theory import InvalidArgument

BASE = {"name": "t", "data": {"name": "digits"},
        "training": {"epochs": 2, "checkpoints": 5, "batch_sizes": [32, 64],
                     "augment": [False, True], "seeds": 3},
        "architectures": {"fc": 16, "allcnn": 0},
        "optimizers": {"sgd": {"lr_per_batch": 1e-3, "weight_decay": [0.0, 1e-3]},
                       "adam": {"weight_decay": [0.0]}},
        "execution": {"group_size": 4}}


def test_expansion_is_the_full_product_with_lr_proportional_to_batch():
    cfg = parse_config(BASE)
    runs = expand_runs(cfg, n_train=1347)
    # 2 archs × (2 sgd wd + 1 adam wd) × 2 batch sizes × 2 augment × 3 seeds
    assert len(runs) == 2 * 3 * 2 * 2 * 3
    keys = {(r["arch"], r["optimizer"], r["weight_decay"], r["batch_size"], r["augment"],
             r["seed"]) for r in runs}
    assert len(keys) == len(runs)
    for r in runs:
        ratio = 1e-3 if r["optimizer"] == "sgd" else 5e-6     # adam: the thesis default
        assert math.isclose(r["lr"], ratio * r["batch_size"])
        assert r["width"] == (16 if r["arch"] == "fc" else None)
    # groups: at most group_size runs, all sharing the batching key
    groups = {}
    for r in runs:
        groups.setdefault(r["group"], []).append(r)
    for members in groups.values():
        assert len(members) <= 4
        ks = {group_key(TrainConfig(**{k: v for k, v in m.items() if k != "group"}), 1347)
              for m in members}
        assert len(ks) == 1
    unbatched = parse_config({**BASE, "execution": {"batched": False}})
    assert len({r["group"] for r in expand_runs(unbatched, 1347)}) == len(runs)


@pytest.mark.parametrize("name", ["quick", "digits-full"])
def test_shipped_configs_parse(name):
    cfg = load_config(name)
    runs = expand_runs(cfg, n_train=1347)
    t = cfg.training
    seeds = t["seeds"] if isinstance(t["seeds"], int) else len(t["seeds"])
    expected = (len(cfg.architectures)
                * sum(len(o["weight_decay"]) for o in cfg.optimizers.values())
                * len(t["batch_sizes"]) * len(t["augment"]) * seeds)   # the documented product
    assert len(runs) == expected
    assert cfg.data["name"] == "digits"


def _with(path, value):
    cfg = copy.deepcopy(BASE)
    node = cfg
    keys = path.split(".")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return cfg


_DELETE = object()

INVALID = [
    pytest.param("colour", "red", "colour", id="unknown-top-key"),
    pytest.param("data.name", "imagenet", "data.name", id="data-name"),
    pytest.param("data.path", "/x", "data.path", id="path-for-digits"),
    pytest.param("data.classes", [3], "data.classes", id="one-class"),
    pytest.param("data.limit", 10, "data.limit", id="limit-for-digits"),
    pytest.param("training.epoch", 3, "training.epoch", id="unknown-training-key"),
    pytest.param("training.epochs", -1, "training.epochs", id="epochs"),
    pytest.param("training.epochs", True, "training.epochs", id="epochs-bool"),
    pytest.param("training.checkpoints", 1, "training.checkpoints", id="checkpoints"),
    pytest.param("training.batch_sizes", [], "training.batch_sizes", id="batch-empty"),
    pytest.param("training.batch_sizes", [32, 32], "training.batch_sizes", id="batch-dup"),
    pytest.param("training.augment", ["yes"], "training.augment", id="augment"),
    pytest.param("training.seeds", 0, "training.seeds", id="seeds"),
    pytest.param("training.schedule", "step", "training.schedule", id="schedule"),
    pytest.param("training.corners", [-1], "training.corners", id="corners"),
    pytest.param("architectures", {}, "architectures", id="no-architectures"),
    pytest.param("architectures.resnet", 3, "architectures.resnet", id="arch-name"),
    pytest.param("architectures.fc", -2, "architectures.fc", id="arch-width"),
    pytest.param("optimizers.rmsprop", {}, "optimizers.rmsprop", id="optimizer-name"),
    pytest.param("optimizers.sgd.lr_per_batch", 0, "optimizers.sgd.lr_per_batch", id="lr"),
    pytest.param("optimizers.sgd.momentum", 0.9, "optimizers.sgd.momentum", id="opt-key"),
    pytest.param("optimizers.sgd.weight_decay", [-1.0], "optimizers.sgd.weight_decay",
                 id="weight-decay"),
    pytest.param("execution.group_size", 0, "execution.group_size", id="group-size"),
    pytest.param("execution.method", "jit", "execution.method", id="method"),
    # upper ends (a new-user trial got raw numpy/zarr/torch errors and half-written stores)
    pytest.param("training.epochs", 1e20, "training.epochs", id="epochs-1e20"),
    pytest.param("training.checkpoints", 2**63 - 1, "training.checkpoints",
                 id="checkpoints-2^63"),
    pytest.param("architectures.fc", 10**9, "architectures.fc", id="arch-width-1e9"),
    pytest.param("training.batch_sizes", [2**40], "training.batch_sizes", id="batch-2^40"),
]


@pytest.mark.parametrize("path, value, key", INVALID)
def test_invalid_configuration_names_the_key(path, value, key):
    with pytest.raises(InvalidArgument) as info:
        parse_config(_with(path, value))
    assert info.value.argument == key and key in str(info.value)


def test_vector_data_rules():
    syn = {**BASE, "data": {"name": "sloppy", "synthetic": {"n_train": 100, "c": 0.5}},
           "training": {"augment": [True]}, "architectures": {"fc1": 8}}
    with pytest.raises(InvalidArgument) as info:
        parse_config(syn)
    assert info.value.argument == "training.augment"
    syn["training"] = {}
    syn["architectures"] = {"allcnn": 8}
    with pytest.raises(InvalidArgument) as info:
        parse_config(syn)
    assert info.value.argument == "architectures.allcnn"
    syn["architectures"] = {"fc1": 8}
    assert parse_config(syn).data["synthetic"] == {"n_train": 100, "c": 0.5}
    iso = {**syn, "data": {"name": "isotropic", "synthetic": {"c": 0.5}}}
    with pytest.raises(InvalidArgument) as info:
        parse_config(iso)
    assert info.value.argument == "data.synthetic.c"


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(InvalidArgument) as info:
        load_config(str(tmp_path / "none.toml"))
    assert info.value.argument == "CONFIG"
    bad = tmp_path / "bad.toml"
    bad.write_text("[training\nepochs = 3")
    with pytest.raises(InvalidArgument, match="valid TOML"):
        load_config(str(bad))


def test_a_batch_larger_than_the_training_set_is_refused_before_anything_is_written(tmp_path):
    from hyperribbon.experiments.manifold.sweep import prepare_sweep
    cfg = {**BASE, "training": {**BASE.get("training", {}), "batch_sizes": [100000]}}
    out = tmp_path / "sw"
    with pytest.raises(InvalidArgument) as info:
        prepare_sweep(cfg, str(out))
    assert info.value.argument == "training.batch_sizes" and "1347" in str(info.value)
    assert not out.exists()
