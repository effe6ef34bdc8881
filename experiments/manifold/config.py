"""Sweep configurations: a TOML file → validated factors → the list of runs (thesis §2.5.2).

Schema (every key optional unless marked; unknown keys are errors that name the key)::

    name = "quick"                    # free text, recorded in the store

    [data]
    name = "digits"                   # digits | mnist | cifar10 | sloppy | isotropic
    path = "/data/cifar"              # required for mnist and cifar10 (the user's files)
    seed = 0                          # split seed (digits) or sampling seed (synthetic)
    classes = [0, 1, 7]               # a sub-task: keep these classes (Ch. 3)
    random_labels = 1                 # a random task P0^(k) with this seed (§2.5.4.1)
    limit = 5000                      # mnist/cifar10: first `limit` train and test samples
    [data.synthetic]                  # sloppy/isotropic only (§2.5.5)
    n_train = 5000                    # n_test = 1000, d = 200, c = 0.5 (sloppy only),
                                      # n_classes = 5, teacher_width = 50

    [training]
    epochs = 20.0                     # in (0, 100000]; total steps ceil(epochs·N/batch)
    checkpoints = 70                  # 2 ≤ log-spaced checkpoints per run ≤ 10000
    batch_sizes = [32, 64, 128]       # each in [1, N] (N training samples)
    augment = [false, true]           # random crops (+ flips where allowed); images only
    seeds = 10                        # an int n (seeds 0..n-1) or a list of ints
    schedule = "cosine"               # cosine | constant
    bn_init = false                   # batch-norm statistics by forward passes (§2.5.2)
    corners = [0, 1, 2]               # start from these simplex corners (§2.5.5, Fig. 2.27)

    [architectures]                   # REQUIRED: family = width ≤ 4096 (0: the default width)
    fc = 64
    allcnn = 8

    [optimizers.sgd]                  # REQUIRED: at least one of sgd, nesterov, adam
    lr_per_batch = 2e-3               # learning rate = lr_per_batch × batch size (§2.5.2)
    weight_decay = [0.0, 1e-3]        # the two ℓ2 values of this optimizer family

    [execution]
    batched = true                    # train runs of one group together (grouped/vmap)
    group_size = 8                    # at most this many runs per task
    method = "auto"                   # auto | grouped | vmap

Runs are the full product architectures × optimizers × weight decays × batch sizes × augment ×
corners × seeds, in that (deterministic) order.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:                 # Python 3.10: the same parser as a package
    import tomli as tomllib

from hyperribbon.theory import InvalidArgument

__all__ = ["SweepConfig", "load_config", "parse_config", "expand_runs", "CONFIG_DIR"]

OWNER = "sweep config"
CONFIG_DIR = __import__("os").path.join(__import__("os").path.dirname(__file__), "configs")

_TOP = {"name", "data", "training", "architectures", "optimizers", "execution"}
_DATA = {"name", "path", "seed", "classes", "random_labels", "limit", "synthetic"}
_SYNTH = {"n_train", "n_test", "d", "c", "n_classes", "teacher_width"}
_TRAIN = {"epochs", "checkpoints", "batch_sizes", "augment", "seeds", "schedule", "bn_init",
          "corners"}
_OPT = {"lr_per_batch", "weight_decay"}
_EXEC = {"batched", "group_size", "method"}


def _fail(key, rule, value):
    raise InvalidArgument(key, OWNER, rule, value)


def _unknown(table: dict, allowed: set, prefix: str):
    for k in table:
        if k not in allowed:
            _fail(f"{prefix}{k}", f"be one of the known keys {sorted(allowed)}", k)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


#: Upper ends checked before anything is written (the same width and epoch limits as
#: ``hyperribbon verify``; more checkpoints than steps are never recorded anyway).
MAX_EPOCHS, MAX_CHECKPOINTS, MAX_WIDTH, MAX_BATCH = 100_000, 10_000, 4096, 2 ** 20


def _int(table, key, prefix, default, lo, hi=None):
    v = table.get(key, default)
    if v is None:
        return None
    if not _is_int(v) or v < lo or (hi is not None and v > hi):
        _fail(prefix + key, f"be an integer ≥ {lo}" + ("" if hi is None else f" and ≤ {hi}"),
              v)
    return v


def _number(table, key, prefix, default, positive=True):
    v = table.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
            or (v <= 0 if positive else v < 0):
        _fail(prefix + key, "be a positive finite number" if positive
              else "be a finite number ≥ 0", v)
    return float(v)


def _list(table, key, prefix, default, check, rule):
    v = table.get(key, default)
    if not isinstance(v, list) or not v or not all(check(x) for x in v):
        _fail(prefix + key, f"be a non-empty list of {rule}", v)
    if len(set(map(repr, v))) != len(v):
        _fail(prefix + key, "hold distinct values", v)
    return list(v)


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """A validated sweep configuration (the TOML file's content, with defaults filled in)."""
    raw: dict
    name: str
    data: dict
    training: dict
    architectures: dict
    optimizers: dict
    execution: dict

    def to_dict(self) -> dict:
        """The normalised configuration (JSON-serialisable; stored in the sweep's attrs)."""
        return {"name": self.name, "data": self.data, "training": self.training,
                "architectures": self.architectures, "optimizers": self.optimizers,
                "execution": self.execution}


def load_config(path) -> SweepConfig:
    """Read and validate a TOML sweep configuration.

    A bare name (``"quick"``, ``"digits-full"``) loads a shipped configuration from
    :data:`CONFIG_DIR`.
    """
    import os
    p = str(path)
    if not os.path.exists(p) and os.path.exists(os.path.join(CONFIG_DIR, p + ".toml")):
        p = os.path.join(CONFIG_DIR, p + ".toml")
    if not os.path.exists(p):
        raise InvalidArgument("CONFIG", OWNER, "be an existing TOML file or a shipped name "
                              "('quick', 'digits-full')", path)
    with open(p, "rb") as f:
        try:
            raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidArgument("CONFIG", OWNER, "be valid TOML", f"{p}: {exc}")
    return parse_config(raw)


def parse_config(raw: dict) -> SweepConfig:
    """Validate a configuration given as a dict (the parsed TOML).

    Examples
    --------
    >>> cfg = parse_config({"architectures": {"fc": 32},
    ...                     "optimizers": {"sgd": {"weight_decay": [0.0, 1e-3]}},
    ...                     "training": {"seeds": 2, "batch_sizes": [64]}})
    >>> len(expand_runs(cfg, n_train=1347, image=True))
    4
    >>> parse_config({"architectures": {"fc": 32}, "optimizers": {"sgd": {}},
    ...               "training": {"epoch": 3}})
    Traceback (most recent call last):
    ...
    hyperribbon.theory.errors.InvalidArgument: Argument `training.epoch` of `sweep config` must be one of the known keys [...], got 'epoch'.
    """
    from hyperribbon.experiments.networks.data import DATASETS
    from hyperribbon.experiments.networks.architectures import ARCHITECTURES
    from hyperribbon.experiments.networks.train import LR_PER_BATCH, OPTIMIZERS
    from .batched import METHODS

    if not isinstance(raw, dict):
        _fail("CONFIG", "be a table", raw)
    _unknown(raw, _TOP, "")
    name = raw.get("name", "sweep")
    if not isinstance(name, str):
        _fail("name", "be a string", name)
    # data
    d = raw.get("data", {})
    if not isinstance(d, dict):
        _fail("data", "be a table", d)
    _unknown(d, _DATA, "data.")
    data: dict[str, Any] = {"name": d.get("name", "digits")}
    if data["name"] not in DATASETS:
        _fail("data.name", f"be one of {list(DATASETS)}", data["name"])
    if data["name"] in ("mnist", "cifar10"):
        if not isinstance(d.get("path"), str):
            _fail("data.path", f"name the directory with the {data['name']} files",
                  d.get("path"))
        data["path"] = d["path"]
    elif "path" in d:
        _fail("data.path", f"be absent for data.name = {data['name']!r}", d["path"])
    data["seed"] = _int(d, "seed", "data.", 0, 0)
    if "classes" in d:
        data["classes"] = _list(d, "classes", "data.", None,
                                lambda x: _is_int(x) and x >= 0, "class labels (ints ≥ 0)")
        if len(data["classes"]) < 2:
            _fail("data.classes", "hold at least 2 classes", d["classes"])
    if "random_labels" in d:
        data["random_labels"] = _int(d, "random_labels", "data.", None, 0)
    if "limit" in d:
        if data["name"] not in ("mnist", "cifar10"):
            _fail("data.limit", "be used with mnist or cifar10 only", d["limit"])
        data["limit"] = _int(d, "limit", "data.", None, 1)
    if "synthetic" in d:
        if data["name"] not in ("sloppy", "isotropic"):
            _fail("data.synthetic", "be used with sloppy or isotropic data only",
                  d["synthetic"])
        s = d["synthetic"]
        if not isinstance(s, dict):
            _fail("data.synthetic", "be a table", s)
        _unknown(s, _SYNTH, "data.synthetic.")
        syn = {k: _int(s, k, "data.synthetic.", None, 2 if k == "n_classes" else 1)
               for k in ("n_train", "n_test", "d", "n_classes", "teacher_width") if k in s}
        if "c" in s:
            if data["name"] == "isotropic":
                _fail("data.synthetic.c", "be absent for isotropic data", s["c"])
            syn["c"] = _number(s, "c", "data.synthetic.", None)
        data["synthetic"] = syn
    image = data["name"] in ("digits", "mnist", "cifar10")
    # training
    t = raw.get("training", {})
    if not isinstance(t, dict):
        _fail("training", "be a table", t)
    _unknown(t, _TRAIN, "training.")
    training: dict[str, Any] = {
        "epochs": _number(t, "epochs", "training.", 20.0),
        "checkpoints": _int(t, "checkpoints", "training.", 70, 2, MAX_CHECKPOINTS),
        "batch_sizes": _list(t, "batch_sizes", "training.", [64],
                             lambda x: _is_int(x) and 1 <= x <= MAX_BATCH,
                             f"ints in [1, {MAX_BATCH}] (and ≤ the training set's size)"),
        "augment": _list(t, "augment", "training.", [False], lambda x: isinstance(x, bool),
                         "booleans"),
    }
    if training["epochs"] > MAX_EPOCHS:
        _fail("training.epochs", f"be ≤ {MAX_EPOCHS}", t.get("epochs"))
    if True in training["augment"] and not image:
        _fail("training.augment", f"be [false] for non-image data {data['name']!r}",
              t["augment"])
    seeds = t.get("seeds", 1)
    if _is_int(seeds):
        if seeds < 1:
            _fail("training.seeds", "be an integer ≥ 1 or a list of ints ≥ 0", seeds)
        seeds = list(range(seeds))
    training["seeds"] = _list({"seeds": seeds}, "seeds", "training.", None,
                              lambda x: _is_int(x) and x >= 0, "ints ≥ 0")
    training["schedule"] = t.get("schedule", "cosine")
    if training["schedule"] not in ("cosine", "constant"):
        _fail("training.schedule", "be 'cosine' or 'constant'", training["schedule"])
    training["bn_init"] = t.get("bn_init", False)
    if not isinstance(training["bn_init"], bool):
        _fail("training.bn_init", "be a boolean", training["bn_init"])
    if "corners" in t:
        training["corners"] = _list(t, "corners", "training.", None,
                                    lambda x: _is_int(x) and x >= 0, "ints ≥ 0")
    # architectures
    a = raw.get("architectures")
    if not isinstance(a, dict) or not a:
        _fail("architectures", "be a non-empty table family = width", a)
    archs = {}
    for k, w in a.items():
        if k not in ARCHITECTURES:
            _fail(f"architectures.{k}", f"be one of {sorted(ARCHITECTURES)}", k)
        if not image and not k.startswith("fc"):
            _fail(f"architectures.{k}", f"be fully connected for vector data "
                  f"{data['name']!r}", k)
        if not _is_int(w) or w < 0 or w > MAX_WIDTH:
            _fail(f"architectures.{k}", f"be a width in [1, {MAX_WIDTH}] (0 for the family's "
                  "default)", w)
        archs[k] = w or None
    # optimizers
    o = raw.get("optimizers")
    if not isinstance(o, dict) or not o:
        _fail("optimizers", f"be a non-empty table with some of {list(OPTIMIZERS)}", o)
    opts = {}
    for k, spec in o.items():
        if k not in OPTIMIZERS:
            _fail(f"optimizers.{k}", f"be one of {list(OPTIMIZERS)}", k)
        if not isinstance(spec, dict):
            _fail(f"optimizers.{k}", "be a table", spec)
        _unknown(spec, _OPT, f"optimizers.{k}.")
        opts[k] = {"lr_per_batch": _number(spec, "lr_per_batch", f"optimizers.{k}.",
                                           LR_PER_BATCH[k]),
                   "weight_decay": _list(spec, "weight_decay", f"optimizers.{k}.", [0.0],
                                         lambda x: not isinstance(x, bool)
                                         and isinstance(x, (int, float))
                                         and math.isfinite(x) and x >= 0,
                                         "finite numbers ≥ 0")}
    # execution
    e = raw.get("execution", {})
    if not isinstance(e, dict):
        _fail("execution", "be a table", e)
    _unknown(e, _EXEC, "execution.")
    execution = {"batched": e.get("batched", True),
                 "group_size": _int(e, "group_size", "execution.", 8, 1),
                 "method": e.get("method", "auto")}
    if not isinstance(execution["batched"], bool):
        _fail("execution.batched", "be a boolean", execution["batched"])
    if execution["method"] not in METHODS:
        _fail("execution.method", f"be one of {list(METHODS)}", execution["method"])
    return SweepConfig(raw, name, data, training, archs, opts, execution)


def expand_runs(cfg: SweepConfig, n_train: int, image: bool = True):
    """The runs of a configuration as a list of dicts (TrainConfig fields + ``group``).

    Groups: runs sharing :func:`~.batched.group_key`, cut in consecutive chunks of
    ``execution.group_size`` when batched, else one run per group.
    """
    from hyperribbon.experiments.networks.train import TrainConfig
    from .batched import group_key
    t = cfg.training
    rows = []
    for arch, width in cfg.architectures.items():
        for opt, spec in cfg.optimizers.items():
            for wd in spec["weight_decay"]:
                for b in t["batch_sizes"]:
                    for aug in t["augment"]:
                        for corner in t.get("corners", [None]):
                            for seed in t["seeds"]:
                                tc = TrainConfig(arch=arch, width=width, optimizer=opt,
                                                 lr=spec["lr_per_batch"] * b, batch_size=b,
                                                 weight_decay=float(wd), augment=aug,
                                                 epochs=t["epochs"], seed=seed,
                                                 checkpoints=t["checkpoints"],
                                                 schedule=t["schedule"], bn_init=t["bn_init"],
                                                 corner=corner)
                                rows.append(tc)
    out, groups, counts = [], {}, {}
    for tc in rows:
        key = group_key(tc, n_train)
        if not cfg.execution["batched"]:
            g = len(groups)
            groups[("single", len(groups))] = g
        else:
            c = counts.get(key, 0)
            counts[key] = c + 1
            sub = (key, c // cfg.execution["group_size"])
            if sub not in groups:
                groups[sub] = len(groups)
            g = groups[sub]
        out.append({**dataclasses.asdict(tc), "group": g})
    return out
