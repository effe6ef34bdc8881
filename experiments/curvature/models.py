"""Networks for the Chapter 4 experiments: built-in architectures trained on a named data set
(cached), or a user's saved ``state_dict``.

Architectures are those of :mod:`hyperribbon.experiments.networks.architectures` (``fc``,
``fc1``, ``fc2``, ``allcnn``, ``wrn``, ``wrn-small``, ``wrn-large``, ``convmixer``, ``vit``) and
two plain multilayer perceptrons that Chapter 4 needs:

``mlp1`` / ``mlp2`` / ``mlp``
    ``Flatten → (Linear → ReLU) × L → Linear`` without batch norm: one or two hidden layers of
    width ``width`` — the thesis's FC-600-1 / FC-600-2 (§4.7.1) at width ``width`` — or the four
    hidden layers ``[w, w/2, w/4, w/8]`` of the ``fc`` family.  ``bias=False`` drops every bias
    (the networks of §4.3.1, "we set all the bias terms to zero").  The PAC-Bayes experiment uses them because a batch-norm
    network evaluated with running statistics is a function of the *training data* as well as
    of the weights, so an isotropic Gaussian over the weights would not be a data-independent
    prior over hypotheses.

Data sets (``data=``): ``digits`` (scikit-learn's 8×8 digits, 10 classes, split 75/25 by a seeded
stratified split, normalised by the training set), ``digits-binary`` (the same images, labels
0–4 → 0 and 5–9 → 1, as the thesis's binary MNIST of §4.7.1), ``sloppy`` (synthetic Gaussian
inputs with λ_i = 50c·e^{−ci} labelled by a random teacher, §4.7.1) and ``isotropic`` (its control
with identity covariance).

Training (a :class:`~hyperribbon.experiments.networks.TrainConfig` run of the shared loop):
Adam, cosine-annealed learning rate from 1e-3, mini-batches of 64 — the thesis's optimiser and
peak rate (§4.7.1); its batch size 500 would leave a few steps per epoch on 1347 digits.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hyperribbon.theory import InvalidArgument

from ._cache import cache_key, cache_load, cache_store, default_cache_dir

__all__ = ["PLAIN_ARCHITECTURES", "PLAIN_OF", "plain_hidden", "DATA_NAMES", "architecture_names", "build_network",
           "load_data", "with_random_labels", "TrainedNetwork", "trained_network",
           "load_state_dict_file", "TRAIN_DEFAULTS"]

PLAIN_ARCHITECTURES = ("mlp", "mlp1", "mlp2")
#: The plain (batch-norm-free) counterpart of each fully connected family.
PLAIN_OF = {"fc": "mlp", "fc1": "mlp1", "fc2": "mlp2", "mlp": "mlp", "mlp1": "mlp1", "mlp2": "mlp2"}
DATA_NAMES = ("digits", "digits-binary", "sloppy", "isotropic")
#: Optimiser settings of every training run here (thesis §4.7.1: Adam, lr 1e-3, cosine).
TRAIN_DEFAULTS = dict(optimizer="adam", lr=1e-3, batch_size=64, weight_decay=0.0)


def architecture_names() -> tuple:
    """Every name :func:`build_network` accepts."""
    from hyperribbon.experiments.networks import ARCHITECTURES
    return tuple(sorted(ARCHITECTURES)) + PLAIN_ARCHITECTURES


def _check_arch(arch, owner, flag="arch"):
    names = architecture_names()
    if arch not in names:
        raise InvalidArgument(flag, owner, f"be one of {names}", arch)
    return arch


def plain_hidden(arch: str, width: int | None) -> tuple:
    """Hidden widths of a plain family: ``mlp1`` (w,), ``mlp2`` (w, w), ``mlp`` (w, w/2, w/4,
    w/8) with the ``fc`` family's rounding; default w = 64.

    Examples
    --------
    >>> plain_hidden("mlp", 64), plain_hidden("mlp2", 10)
    ((64, 32, 16, 8), (10, 10))
    """
    w = int(width or 64)
    if arch == "mlp1":
        return (w,)
    if arch == "mlp2":
        return (w, w)
    return tuple(max(w // 2 ** k, 1) for k in range(4))


def build_network(arch: str, in_shape, classes: int, width: int | None = None, seed: int = 0,
                  bias: bool = True):
    """A freshly initialised network (PyTorch's default initialisation, seeded).

    ``bias`` applies to the plain families only (the others keep their biases).

    Examples
    --------
    >>> import torch
    >>> m = build_network("mlp1", (1, 8, 8), 2, width=5, seed=0, bias=False)
    >>> [type(l).__name__ for l in m], m(torch.zeros(3, 1, 8, 8)).shape, m[1].bias
    (['Flatten', 'Linear', 'ReLU', 'Linear'], torch.Size([3, 2]), None)
    """
    owner = "build_network"
    _check_arch(arch, owner)
    if arch in PLAIN_ARCHITECTURES:
        import torch
        from torch import nn
        if width is not None and (not isinstance(width, (int, np.integer)) or width < 1):
            raise InvalidArgument("width", owner, "be a positive integer or None", width)
        d = int(math.prod(in_shape))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            layers = [nn.Flatten()]
            for w in plain_hidden(arch, width):
                layers += [nn.Linear(d, w, bias=bool(bias)), nn.ReLU()]
                d = w
            model = nn.Sequential(*layers, nn.Linear(d, int(classes), bias=bool(bias)))
        return model.float().train()
    from hyperribbon.experiments.networks import build_model
    return build_model(arch, tuple(in_shape), int(classes), width=width, seed=int(seed))


def load_data(name: str = "digits", seed: int = 0, *, c: float = 0.1, n_train: int = 2000,
              n_test: int = 1000, d: int = 200, classes: int = 10, teacher_width: int = 20):
    """A :class:`~hyperribbon.experiments.networks.Dataset` by name (see the module docstring).

    ``c``, ``n_train``, ``n_test``, ``d``, ``classes`` and ``teacher_width`` apply to the
    synthetic sets only (thesis §4.7.1: d = 200, 10 classes, one-hidden-layer teacher).

    Examples
    --------
    >>> b = load_data("digits-binary")
    >>> b.classes, sorted(set(b.y_train.tolist())), b.n_train
    (2, [0, 1], 1347)
    """
    owner = "load_data"
    if name not in DATA_NAMES:
        raise InvalidArgument("data", owner, f"be one of {DATA_NAMES}", name)
    from hyperribbon.experiments.networks import digits, sloppy_gaussian
    if name in ("digits", "digits-binary"):
        data = digits(seed=int(seed))
        if name == "digits-binary":
            data = data.replace(name="digits-binary", classes=2, class_ids=(0, 1),
                                y_train=(data.y_train >= 5).astype(np.int64),
                                y_test=(data.y_test >= 5).astype(np.int64),
                                info={**data.info, "labels": "0-4 -> 0, 5-9 -> 1"})
        return data
    return sloppy_gaussian(n_train=n_train, n_test=n_test, d=d,
                           c=None if name == "isotropic" else c, classes=classes,
                           teacher_width=teacher_width, seed=int(seed))


def with_random_labels(data, fraction: float, seed: int = 0):
    """A copy of ``data`` whose training labels are, for a random ``fraction`` of the samples
    (chosen without replacement), replaced by uniformly random classes (thesis Fig 4.11's
    "random label of fraction a"); the test labels are kept.

    Examples
    --------
    >>> d = load_data("digits")
    >>> r = with_random_labels(d, 0.5, seed=1)
    >>> r.info["random_label_fraction"], int((r.y_train != d.y_train).sum()) <= d.n_train // 2
    (0.5, True)
    """
    if not (isinstance(fraction, (int, float)) and 0.0 <= fraction <= 1.0):
        raise InvalidArgument("fraction", "with_random_labels", "be in [0, 1]", fraction)
    rng = np.random.default_rng([int(seed), 0xF411])
    y = data.y_train.copy()
    k = int(round(fraction * y.size))
    idx = rng.choice(y.size, size=k, replace=False)
    y[idx] = rng.integers(0, data.classes, size=k)
    return data.replace(name=f"{data.name}~random{fraction:g}", y_train=y.astype(np.int64),
                        info={**data.info, "random_label_fraction": float(fraction),
                              "random_label_seed": int(seed)})


@dataclass
class TrainedNetwork:
    """A trained network with what is needed to analyse it.

    Attributes
    ----------
    model : torch.nn.Module
        In eval mode, float32.
    init_state : dict
        The state dict at initialisation (w0 of the PAC-Bayes prior, FIM at initialisation).
    snapshots : dict
        ``{step: state_dict}`` at the requested intermediate steps.
    data : Dataset
    params : dict
        Everything that defines the run (arch, width, data, epochs, seed, optimiser...).
    metrics : dict
        Final train/test error and loss (nats), steps.
    cache_path : Path or None
    from_cache : bool
    """

    model: object
    init_state: dict
    data: object
    params: dict
    metrics: dict
    snapshots: dict = field(default_factory=dict)
    cache_path: Path | None = None
    from_cache: bool = False

    def model_at(self, state: dict):
        """A copy of the model with another state dict loaded (eval mode)."""
        m = copy.deepcopy(self.model)
        m.load_state_dict(state)
        return m.eval()


def _int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def trained_network(arch: str = "fc", width: int | None = 64, data="digits", epochs: float = 20,
                    seed: int = 0, *, bias: bool = True, cache=None, label_noise: float = 0.0,
                    snapshot_fractions=(), data_options: dict | None = None,
                    progress: bool = False, **train_options) -> TrainedNetwork:
    """Train (or load from the cache) ``arch`` on ``data`` for ``epochs`` epochs.

    Parameters
    ----------
    arch : str
        See :func:`architecture_names`.
    width : int or None
        The family's width parameter, at most 4096 (``LIMITS['width']`` of
        :mod:`hyperribbon.experiments.verify`).
    data : str or Dataset
        A name of :data:`DATA_NAMES` (built with ``seed`` as split seed and
        ``data_options``) or a Dataset (then not cached: its content is not hashed).
    epochs : float in [0, 100000]
        0 returns the initialised network (upper end: ``LIMITS['epochs']``).
    seed : int
        Initialisation and batch order.
    bias : bool
        Plain families only: keep the bias vectors.
    cache : path, False or None
        Cache folder; ``None`` the default (:func:`~._cache.default_cache_dir`), ``False`` none.
    label_noise : float in [0, 1]
        Fraction of random training labels (:func:`with_random_labels`).
    snapshot_fractions : sequence of floats in (0, 1)
        Keep the state dict at the recorded step nearest to each fraction of training.
    train_options
        ``optimizer``, ``lr``, ``batch_size``, ``weight_decay`` (:data:`TRAIN_DEFAULTS`).
    """
    from hyperribbon.experiments.networks import TrainConfig, checkpoint_steps, evaluate, train
    owner = "trained_network"
    _check_arch(arch, owner)
    # the upper ends are those of `hyperribbon verify` (LIMITS), checked before building anything
    from hyperribbon.experiments.verify import LIMITS
    if width is not None and (not _int(width) or not 1 <= width <= LIMITS["width"]):
        raise InvalidArgument("width", owner, f"be an integer in [1, {LIMITS['width']}] (upper "
                              "end: LIMITS['width'] of hyperribbon.experiments.verify) or None",
                              width)
    if not (isinstance(epochs, (int, float)) and not isinstance(epochs, bool)
            and math.isfinite(epochs) and 0 <= epochs <= LIMITS["epochs"]):
        raise InvalidArgument("epochs", owner, f"be a number in [0, {LIMITS['epochs']}] (upper "
                              "end: LIMITS['epochs'] of hyperribbon.experiments.verify)", epochs)
    if not _int(seed) or seed < 0:
        raise InvalidArgument("seed", owner, "be a non-negative integer", seed)
    for f in snapshot_fractions:
        if not (isinstance(f, (int, float)) and 0 < f < 1):
            raise InvalidArgument("snapshot_fractions", owner, "hold numbers in (0, 1)", f)
    unknown = set(train_options) - set(TRAIN_DEFAULTS)
    if unknown:
        raise InvalidArgument(sorted(unknown)[0], owner,
                              f"be one of the training options {sorted(TRAIN_DEFAULTS)}",
                              train_options[sorted(unknown)[0]])
    opts = {**TRAIN_DEFAULTS, **train_options}
    data_options = dict(data_options or {})
    if isinstance(data, str):
        dataset = load_data(data, seed=0, **data_options)
        data_name = data
    else:
        from hyperribbon.experiments.networks import Dataset
        if not isinstance(data, Dataset):
            raise InvalidArgument("data", owner, f"be one of {DATA_NAMES} or a Dataset", data)
        dataset, data_name, cache = data, None, False
    if label_noise:
        dataset = with_random_labels(dataset, float(label_noise), seed=int(seed))
    if arch not in PLAIN_ARCHITECTURES:
        bias = True
    params = dict(arch=arch, width=width, bias=bool(bias), data=data_name, data_options=data_options,
                  epochs=float(epochs), seed=int(seed), label_noise=float(label_noise),
                  snapshot_fractions=[float(f) for f in snapshot_fractions], **opts)
    model = build_network(arch, dataset.in_shape, dataset.classes, width, seed, bias=bias)
    init_state = copy.deepcopy(model.state_dict())
    cache_dir = None if cache is False else Path(cache) if cache is not None \
        else default_cache_dir()
    key = cache_key(params)
    if cache_dir is not None:
        hit = cache_load(cache_dir, key)
        if hit is not None:
            model.load_state_dict(hit["final"])
            snaps = {int(k): v for k, v in hit.get("snapshots", {}).items()} \
                if "snapshots" in hit else {}
            return TrainedNetwork(model.eval(), hit["init"], dataset, params,
                                  hit["meta"]["metrics"], snaps, cache_dir / f"{key}.pt", True)
    cfg_arch = arch if arch not in PLAIN_ARCHITECTURES else "fc1"
    snapshots = {}
    if epochs > 0:
        cfg = TrainConfig(arch=cfg_arch, width=width, optimizer=opts["optimizer"],
                          lr=float(opts["lr"]), batch_size=int(opts["batch_size"]),
                          weight_decay=float(opts["weight_decay"]), epochs=float(epochs),
                          seed=int(seed), checkpoints=2)
        total = cfg.total_steps(dataset.n_train)
        want = set()
        K = 2
        if snapshot_fractions:
            K = 12
            steps = checkpoint_steps(total, K)
            for f in snapshot_fractions:
                want.add(int(steps[np.argmin(np.abs(steps - f * total))]))
            cfg = cfg.replace(checkpoints=K)

        def keep(rec):
            if rec.step in want:
                snapshots[int(rec.step)] = copy.deepcopy(model.state_dict())

        res = train(cfg, dataset, model=model, on_checkpoint=keep, progress=progress)
        if res.diverged:
            raise InvalidArgument("lr", owner, "let training converge (the loss diverged at step "
                                  f"{res.diverged_at})", opts["lr"])
        last = res.records[-1]
        metrics = dict(train_error=last.train_error, test_error=last.test_error,
                       train_loss=last.train_loss, test_loss=last.test_loss,
                       steps=int(total))
    else:
        _, e_tr, l_tr = evaluate(model, dataset.x_train, dataset.y_train)
        _, e_te, l_te = evaluate(model, dataset.x_test, dataset.y_test)
        metrics = dict(train_error=e_tr, test_error=e_te, train_loss=l_tr, test_loss=l_te,
                       steps=0)
    model.eval()
    path = None
    if cache_dir is not None:
        path = cache_store(cache_dir, key, model.state_dict(), init_state,
                           {"params": params, "metrics": metrics}, snapshots=snapshots)
    return TrainedNetwork(model, init_state, dataset, params, metrics, snapshots, path, False)


def load_state_dict_file(model, path, flag: str = "--state-dict"):
    """Load a user's saved ``state_dict`` into ``model`` with ``torch.load(weights_only=True)``.

    Raises
    ------
    InvalidArgument
        Naming ``flag`` when the file does not exist, is not a state dict, or its keys or shapes
        do not match the architecture.
    """
    import torch
    owner = "load_state_dict_file"
    p = Path(path)
    if not p.is_file():
        raise InvalidArgument(flag, owner, "name an existing file", str(path))
    try:
        state = torch.load(p, weights_only=True, map_location="cpu")
    except Exception as exc:          # noqa: BLE001 — any unreadable file is a user error
        raise InvalidArgument(flag, owner, "be a file written by torch.save(model.state_dict())"
                              f" (torch.load failed: {type(exc).__name__})", str(path)) from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"],
                                                                          dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise InvalidArgument(flag, owner, "hold a state dict (a mapping of names to tensors)",
                              type(state).__name__)
    want = model.state_dict()
    missing = sorted(set(want) - set(state))
    extra = sorted(set(state) - set(want))
    if missing or extra:
        raise InvalidArgument(flag, owner, f"have the keys of the architecture (missing "
                              f"{missing[:3]}, unexpected {extra[:3]})", str(path))
    for k, v in want.items():
        if tuple(state[k].shape) != tuple(v.shape):
            raise InvalidArgument(flag, owner, f"match the architecture: `{k}` has shape "
                                  f"{tuple(v.shape)} in the model", tuple(state[k].shape))
    model.load_state_dict({k: v.to(want[k].dtype) for k, v in state.items()})
    return model.eval()
