"""The one-run training loop: the reference every faster path is tested against (§2.5.2).

One run = one configuration (architecture, width, optimizer, learning rate, batch size, weight
decay, augmentation, seed) trained with mini-batches drawn *without replacement* (a stream of
per-epoch permutations), cross-entropy loss, and a cosine-annealed learning rate

.. math:: \\eta_t = \\eta\\,\\tfrac12\\bigl(1 + \\cos(\\pi t / T)\\bigr),\\qquad t = 0,\\dots,T-1,

recording at ``K`` log-spaced steps (dense early; always step 0 and step T) the predicted
log-probabilities ``log p_w(c | x_n)`` (float32 ``log_softmax``, eval mode, so batch norm uses its
running statistics) on the *whole* train and test sets, with errors and losses. Optimizers follow
the thesis: SGD, SGD with Nesterov momentum 0.9, Adam; weight decay is the ℓ2 penalty added to the
gradient (``torch.optim``'s ``weight_decay``). A non-finite training loss or non-finite
predictions mark the run *diverged* (thesis Fig. 2.11); its later checkpoints are not recorded.

Determinism: initialisation comes from ``build_model(seed=seed)``; batches and augmentations are
pure functions of ``(seed, step)``. Run with the same arguments twice (same thread count) and the
records are bitwise equal.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np

from hyperribbon.theory import InvalidArgument

from . import _stream
from .data import Dataset

__all__ = ["TrainConfig", "CheckpointRecord", "TrainResult", "train", "evaluate", "prepare_model",
           "checkpoint_steps", "OPTIMIZERS", "LR_PER_BATCH"]

OPTIMIZERS = ("sgd", "nesterov", "adam")
#: Learning rate per unit batch size (thesis §2.5.2: 0.1 at batch 200 for SGD, 1e-3 for Adam).
LR_PER_BATCH = {"sgd": 5e-4, "nesterov": 5e-4, "adam": 5e-6}
checkpoint_steps = _stream.checkpoint_steps


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """One training configuration (all fields are the sweep's factors).

    Parameters
    ----------
    arch : str
        Architecture name for :func:`~.architectures.build_model`.
    width : int or None
        Width parameter of the family (None: its default).
    optimizer : {"sgd", "nesterov", "adam"}
    lr : float or None
        Peak learning rate; None uses ``LR_PER_BATCH[optimizer] · batch_size``.
    batch_size : int
    weight_decay : float ≥ 0
        ℓ2 coefficient (thesis: {0, 1e-3} for SGD, {0, 1e-5} for Adam).
    augment : bool
        Random crops with padding (and flips where the data allows them).
    epochs : float > 0
        Training length; total steps ``T = ceil(epochs · N / batch_size)``.
    seed : int
        Weight initialisation and data order.
    checkpoints : int ≥ 2
        Number K of recorded checkpoints (fewer if T + 1 < K).
    schedule : {"cosine", "constant"}
    bn_init : bool
        Initialise batch-norm statistics by forward passes before training (§2.5.2).
    corner : int or None
        Start from a simplex corner (:func:`~.architectures.corner_init`, §2.5.5).
    """
    arch: str = "fc"
    width: int | None = None
    optimizer: str = "sgd"
    lr: float | None = None
    batch_size: int = 64
    weight_decay: float = 0.0
    augment: bool = False
    epochs: float = 10.0
    seed: int = 0
    checkpoints: int = 70
    schedule: str = "cosine"
    bn_init: bool = False
    corner: int | None = None

    def __post_init__(self):
        owner = "TrainConfig"
        from .architectures import ARCHITECTURES
        if self.arch not in ARCHITECTURES:
            raise InvalidArgument("arch", owner, f"be one of {sorted(ARCHITECTURES)}", self.arch)
        if self.optimizer not in OPTIMIZERS:
            raise InvalidArgument("optimizer", owner, f"be one of {OPTIMIZERS}", self.optimizer)
        if self.lr is not None and not (_real(self.lr) and self.lr > 0 and math.isfinite(self.lr)):
            raise InvalidArgument("lr", owner, "be a positive finite number or None", self.lr)
        for name in ("batch_size", "checkpoints"):
            v = getattr(self, name)
            if not _int(v) or v < (2 if name == "checkpoints" else 1):
                raise InvalidArgument(name, owner,
                                      f"be an integer ≥ {2 if name == 'checkpoints' else 1}", v)
        if self.width is not None and (not _int(self.width) or self.width < 1):
            raise InvalidArgument("width", owner, "be a positive integer or None", self.width)
        if not (_real(self.weight_decay) and self.weight_decay >= 0
                and math.isfinite(self.weight_decay)):
            raise InvalidArgument("weight_decay", owner, "be a finite number ≥ 0",
                                  self.weight_decay)
        if not (_real(self.epochs) and self.epochs > 0 and math.isfinite(self.epochs)):
            raise InvalidArgument("epochs", owner, "be a positive finite number", self.epochs)
        if not _int(self.seed) or self.seed < 0:
            raise InvalidArgument("seed", owner, "be a non-negative integer", self.seed)
        if self.schedule not in ("cosine", "constant"):
            raise InvalidArgument("schedule", owner, "be 'cosine' or 'constant'", self.schedule)
        if self.corner is not None and (not _int(self.corner) or self.corner < 0):
            raise InvalidArgument("corner", owner, "be a non-negative integer or None",
                                  self.corner)
        for name in ("augment", "bn_init"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidArgument(name, owner, "be a bool", getattr(self, name))

    @property
    def peak_lr(self) -> float:
        """The learning rate used (explicit, or ``LR_PER_BATCH[optimizer] · batch_size``)."""
        return float(self.lr) if self.lr is not None else \
            LR_PER_BATCH[self.optimizer] * self.batch_size

    def total_steps(self, n_train: int) -> int:
        """``T = ceil(epochs · N / batch_size)``."""
        return max(1, math.ceil(self.epochs * n_train / self.batch_size - 1e-9))

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)


def _int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _real(v) -> bool:
    return isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)


@dataclasses.dataclass
class CheckpointRecord:
    """What is recorded at one checkpoint of one run."""
    index: int
    step: int
    epoch: float
    logp_train: np.ndarray          # (N_train, C) float32
    logp_test: np.ndarray           # (N_test, C) float32
    train_error: float
    test_error: float
    train_loss: float
    test_loss: float


@dataclasses.dataclass
class TrainResult:
    """All checkpoints of one run.

    Attributes
    ----------
    config : TrainConfig
    steps : (K,) int64 — scheduled checkpoint steps
    records : list of CheckpointRecord — the checkpoints reached (all K unless diverged)
    diverged : bool
    diverged_at : int or None — the step whose loss was not finite
    model : torch.nn.Module — the network at the end (or where it diverged)
    """
    config: TrainConfig
    steps: np.ndarray
    records: list
    diverged: bool
    diverged_at: int | None
    model: object

    def logp(self, split: str = "train") -> np.ndarray:
        """``(K_reached, N, C)`` float32 log-probabilities."""
        return np.stack([getattr(r, f"logp_{split}") for r in self.records])

    def metrics(self):
        """A pandas DataFrame with one row per recorded checkpoint."""
        import pandas as pd
        return pd.DataFrame([{k: v for k, v in dataclasses.asdict(r).items()
                              if not k.startswith("logp")} for r in self.records])


def evaluate(model, x: np.ndarray, y: np.ndarray, chunk: int = 256):
    """Eval-mode log-probabilities, error and mean cross-entropy of ``model`` on ``(x, y)``.

    ``chunk`` samples per forward pass: 256 keeps a small network's activations in cache (on
    this 2-core machine, 2× faster for the All-CNN than one pass of 2048; equal for the fully
    connected family).

    Returns
    -------
    logp : (N, C) float32 ndarray
        ``log_softmax`` of the logits (float32; never exponentiated, see ARCHITECTURE "Data").
    error : float
        Fraction of samples whose argmax differs from the label.
    loss : float
        Mean ``-log p(y_n | x_n)``, accumulated in float64.
    """
    import torch
    was = model.training
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, x.shape[0], chunk):
            out.append(torch.log_softmax(model(torch.from_numpy(x[i:i + chunk])), dim=1))
    model.train(was)
    logp = torch.cat(out).numpy().astype(np.float32, copy=False)
    return logp, *_scores(logp, y)


def _scores(logp: np.ndarray, y: np.ndarray):
    picked = logp[np.arange(y.shape[0]), y].astype(np.float64)
    return float(np.mean(logp.argmax(axis=1) != y)), float(-picked.mean())


def _make_optimizer(params, cfg: TrainConfig):
    import torch
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.peak_lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(params, lr=cfg.peak_lr, weight_decay=cfg.weight_decay,
                           momentum=0.9 if cfg.optimizer == "nesterov" else 0.0,
                           nesterov=cfg.optimizer == "nesterov")


def prepare_model(cfg: TrainConfig, data: Dataset):
    """The initial network of a run: ``build_model``, then optional corner and BN init."""
    import torch
    from .architectures import build_model, corner_init, init_batchnorm
    model = build_model(cfg.arch, data.in_shape, data.classes, width=cfg.width, seed=cfg.seed)
    if cfg.corner is not None:
        corner_init(model, cfg.corner)
    if cfg.bn_init:
        idx = np.concatenate([_stream.batch_indices(cfg.seed, s, cfg.batch_size, data.n_train)
                              for s in range(4)])
        init_batchnorm(model, torch.from_numpy(data.x_train[idx]), batch_size=cfg.batch_size,
                       batches=4)
    return model


def train(config: TrainConfig, data: Dataset, *, model=None,
          on_checkpoint: Callable[[CheckpointRecord], None] | None = None,
          progress: bool = False, state: dict | None = None,
          on_state: Callable[[dict], None] | None = None) -> TrainResult:
    """Train one network and record its checkpoints (the reference loop).

    Parameters
    ----------
    config : TrainConfig
    data : Dataset
    model : torch.nn.Module, optional
        Train this module instead of building ``config.arch`` (corner/BN init are then not
        applied); it is trained in place.
    on_checkpoint : callable, optional
        Called with each :class:`CheckpointRecord` as soon as it is computed (the sweep writes
        it to the store from here).
    progress : bool
        Show a tqdm bar over steps.
    state : dict, optional
        Resume from a state produced by ``on_state`` (keys ``model``, ``optimizer``, ``step``,
        ``slot``): training continues at ``step`` and the next checkpoint recorded is ``slot``.
        Batches and augmentations depend only on ``(seed, step)``, so the resumed run records
        exactly what the uninterrupted run records.
    on_state : callable, optional
        Called after each recorded checkpoint with such a state (the sweep saves it).

    Returns
    -------
    TrainResult

    Raises
    ------
    InvalidArgument
        ``augment`` on non-image inputs.

    Examples
    --------
    >>> from hyperribbon.experiments.networks import digits
    >>> cfg = TrainConfig(arch="fc", width=32, epochs=2, batch_size=128, checkpoints=5, seed=0)
    >>> res = train(cfg, digits())
    >>> res.steps.tolist(), res.logp("test").shape
    ([0, 1, 3, 8, 22], (5, 450, 10))
    >>> again = train(cfg, digits())
    >>> bool(np.array_equal(res.logp("train"), again.logp("train")))   # deterministic
    True
    >>> res.records[-1].train_error < res.records[0].train_error
    True
    """
    import torch
    if not isinstance(config, TrainConfig):
        raise InvalidArgument("config", "train", "be a TrainConfig", config)
    if not isinstance(data, Dataset):
        raise InvalidArgument("data", "train", "be a Dataset", data)
    cfg = config
    if cfg.augment and len(data.in_shape) != 3:
        raise InvalidArgument("augment", "train", "be False for non-image inputs",
                              data.in_shape)
    if model is None:
        model = prepare_model(cfg, data)
    n, total = data.n_train, cfg.total_steps(data.n_train)
    steps = _stream.checkpoint_steps(total, cfg.checkpoints)
    opt = _make_optimizer(model.parameters(), cfg)
    lossf = torch.nn.CrossEntropyLoss()
    pad = _stream.default_pad(data.in_shape) if cfg.augment else 0
    records, diverged_at = [], None
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total, desc=f"{cfg.arch} seed {cfg.seed}", leave=False)

    def record(k, step):
        lp_tr, e_tr, l_tr = evaluate(model, data.x_train, data.y_train)
        lp_te, e_te, l_te = evaluate(model, data.x_test, data.y_test)
        if not (np.isfinite(lp_tr).all() and np.isfinite(lp_te).all()):
            return False
        rec = CheckpointRecord(k, int(step), step * cfg.batch_size / n, lp_tr, lp_te,
                               e_tr, e_te, l_tr, l_te)
        records.append(rec)
        if on_checkpoint is not None:
            on_checkpoint(rec)
        return True

    def save(k, step):
        if on_state is not None:
            on_state({"model": model.state_dict(), "optimizer": opt.state_dict(),
                      "step": int(step), "slot": int(k)})

    model.train()
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start, k = int(state["step"]), int(state["slot"])
    else:
        start, k = 0, 0
    if k == 0 and not record(0, 0):
        diverged_at = 0
    else:
        if k == 0:
            k = 1
            save(k, 0)
        if bar is not None:
            bar.update(start)
        for step in range(start, total):
            idx = _stream.batch_indices(cfg.seed, step, cfg.batch_size, n)
            xb = data.x_train[idx]
            if cfg.augment:
                xb = _stream.augment_batch(xb, cfg.seed, step, pad, data.flips_allowed)
            lr = (_stream.cosine_lr(cfg.peak_lr, step, total) if cfg.schedule == "cosine"
                  else cfg.peak_lr)
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(torch.from_numpy(np.ascontiguousarray(xb))),
                         torch.from_numpy(data.y_train[idx]))
            if not torch.isfinite(loss):
                diverged_at = step
                break
            loss.backward()
            opt.step()
            if bar is not None:
                bar.update(1)
            if k < len(steps) and step + 1 == steps[k]:
                if not record(k, step + 1):
                    diverged_at = step + 1
                    break
                k += 1
                save(k, step + 1)
    if bar is not None:
        bar.close()
    return TrainResult(cfg, steps, records, diverged_at is not None, diverged_at, model)
