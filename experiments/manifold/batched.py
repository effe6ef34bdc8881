"""Many small networks of one architecture trained together in one batched pass.

Two engines, both reproducing the one-run reference loop
:func:`hyperribbon.experiments.networks.train` up to float32 rounding (batched kernels sum in a
different order):

* ``"grouped"`` (default where possible: fully connected, All-CNN, wide ResNet, ConvMixer): the R
  networks become *one* network whose channels are R blocks — ``Conv2d(C, O, groups=g)`` becomes
  ``Conv2d(R·C, R·O, groups=R·g)``, ``BatchNorm(C)`` becomes ``BatchNorm(R·C)`` (per-run
  statistics and running buffers, exactly), ``Linear(F, O)`` becomes a batched matrix product
  with weights ``(R, O, F)``; element-wise layers, pooling, flattening and residual sums act per
  block unchanged. The loss is the sum of the R runs' mean cross-entropies, so each run's
  gradient is its own. Ordinary autograd, no per-run Python overhead.
* ``"vmap"`` (any architecture, used for the ViT): parameters and buffers stacked with
  ``torch.func.stack_module_state``; one ``vmap(grad_and_value(loss))`` over
  ``(params, buffers, x, y)``; batch norm updates its stacked running buffers in place through
  vmap.

Each run sees its own mini-batches and augmentations (pure functions of its seed and the step).
SGD, SGD+Nesterov(0.9) and Adam(0.9, 0.999, 1e-8) are applied with per-run learning rates and
weight decays using the update rules of ``torch.optim``. Runs can share a pass when they share
:func:`group_key`; learning rate, weight decay, seed, augmentation and corner may differ.
"""
from __future__ import annotations

import copy
import math
from typing import Callable, Sequence

import numpy as np

from hyperribbon.experiments.networks import _stream
from hyperribbon.experiments.networks.data import Dataset
from hyperribbon.experiments.networks.train import (CheckpointRecord, TrainConfig, TrainResult,
                                                    _scores, prepare_model)
from hyperribbon.theory import InvalidArgument

__all__ = ["group_key", "train_batched", "stack_grouped", "METHODS"]

METHODS = ("auto", "grouped", "vmap")


def group_key(cfg: TrainConfig, n_train: int) -> tuple:
    """Runs with equal keys can be trained in one batched pass."""
    return (cfg.arch, cfg.width, cfg.optimizer, cfg.batch_size, cfg.total_steps(n_train),
            cfg.checkpoints, cfg.schedule, cfg.bn_init)


# ---------------------------------------------------------------------------- grouped engine
def _grouped_linear_cls():
    import torch
    from torch import nn

    class GroupedLinear(nn.Module):
        """R independent ``Linear(F, O)`` on ``(B, R·F)`` → ``(B, R·O)``."""

        def __init__(self, weight, bias):
            super().__init__()
            self.weight = nn.Parameter(weight)          # (R, O, F)
            self.bias = nn.Parameter(bias)              # (R, O)

        def forward(self, x):
            r, o, f = self.weight.shape
            xr = x.reshape(x.shape[0], r, f).transpose(0, 1)          # (R, B, F)
            out = torch.baddbmm(self.bias[:, None, :], xr, self.weight.transpose(1, 2))
            return out.transpose(0, 1).reshape(x.shape[0], r * o)
    return GroupedLinear


_GROUPED_OK = ("Sequential", "Flatten", "ReLU", "GELU", "AdaptiveAvgPool2d", "Identity",
               "FC", "AllCNN", "WideResNet", "_Block", "ConvMixer", "_Residual",
               "Conv2d", "BatchNorm1d", "BatchNorm2d", "Linear")


def _groupable(model) -> bool:
    return all(type(m).__name__ in _GROUPED_OK for m in model.modules())


def stack_grouped(models):
    """One network computing R networks in channel blocks (the ``"grouped"`` engine).

    Parameters
    ----------
    models : list of torch.nn.Module
        R networks of one architecture (fully connected, All-CNN, wide ResNet or ConvMixer).

    Returns
    -------
    torch.nn.Module mapping ``(B, R·C, H, W)`` (or ``(B, R·d)``) to ``(B, R·classes)``; every
    parameter and buffer has run-major blocks along its first axis (``.view(R, -1)`` splits it).

    Examples
    --------
    >>> import torch
    >>> from hyperribbon.experiments.networks import build_model
    >>> ms = [build_model("allcnn", (1, 8, 8), 10, width=4, seed=s).eval() for s in range(3)]
    >>> g = stack_grouped(ms).eval()
    >>> x = torch.randn(5, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    >>> out = g(x.repeat(1, 3, 1, 1)).reshape(5, 3, 10)
    >>> bool(torch.allclose(out[:, 2], ms[2](x), atol=1e-5))
    True
    """
    import torch
    from torch import nn
    GroupedLinear = _grouped_linear_cls()
    r = len(models)
    out = copy.deepcopy(models[0])
    mods = [dict(m.named_modules()) for m in models]

    def stack(name, attr):
        return torch.cat([getattr(ms[name], attr).detach() for ms in mods], dim=0).clone()

    for name, m in list(out.named_modules()):
        if isinstance(m, nn.Conv2d):
            new = nn.Conv2d(r * m.in_channels, r * m.out_channels, m.kernel_size, m.stride,
                            m.padding, groups=r * m.groups, bias=m.bias is not None)
            with torch.no_grad():
                new.weight.copy_(stack(name, "weight"))
                if m.bias is not None:
                    new.bias.copy_(stack(name, "bias"))
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            new = type(m)(r * m.num_features, eps=m.eps, momentum=m.momentum)
            with torch.no_grad():
                for attr in ("weight", "bias", "running_mean", "running_var"):
                    getattr(new, attr).copy_(stack(name, attr))
                new.num_batches_tracked.copy_(m.num_batches_tracked)
        elif isinstance(m, nn.Linear):
            new = GroupedLinear(torch.stack([ms[name].weight.detach() for ms in mods]).clone(),
                                torch.stack([ms[name].bias.detach() for ms in mods]).clone())
        else:
            continue
        parent, _, leaf = name.rpartition(".")
        setattr(out.get_submodule(parent) if parent else out, leaf, new)
    return out


def _bind_members(members, tensor_of, r):
    """Make each member's parameters and buffers *views* of block ``i`` of the stacked tensors
    (``tensor_of(name)`` gives the stacked tensor of a member's state name), so that evaluating a
    member reads the current stacked weights with no copy."""
    from torch import nn
    for i, m in enumerate(members):
        for name, t in list(m.state_dict(keep_vars=True).items()):
            v = tensor_of(name)
            if v.dim() == 0:                     # num_batches_tracked: unused in eval mode
                continue
            view = v.detach().unflatten(0, (r, -1))[i]
            view = view.view(t.shape) if view.shape != t.shape else view
            parent, _, leaf = name.rpartition(".")
            sub = m.get_submodule(parent) if parent else m
            if leaf in sub._parameters:
                sub._parameters[leaf] = nn.Parameter(view, requires_grad=False)
            else:
                sub._buffers[leaf] = view
    return members


def _has_conv(model) -> bool:
    return any(type(m).__name__ == "Conv2d" for m in model.modules())


class _Grouped:
    def __init__(self, models, classes):
        import torch
        self.r, self.classes = len(models), classes
        self.net = stack_grouped(models).train()
        # grouped convolutions run 2-3x faster in channels-last layout on CPU (oneDNN)
        self.channels_last = _has_conv(self.net)
        if self.channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        self.params = [p for p in self.net.parameters()]
        # evaluation runs each member on its own, on views of the stacked weights: on CPU a
        # grouped convolution over a large evaluation batch is slower than R plain ones
        sd = self.net.state_dict(keep_vars=True)
        self.members = _bind_members([copy.deepcopy(m).eval() for m in models],
                                     lambda k: sd[k], self.r)

    def _inputs(self, x):                         # (R, B, ...) → (B, R·C, ...)
        import torch
        r, b = x.shape[:2]
        x = x.transpose(0, 1).reshape(b, r * x.shape[2], *x.shape[3:])
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def step_grads(self, xb, yb):
        import torch
        for p in self.params:
            p.grad = None
        logits = self.net(self._inputs(xb)).reshape(xb.shape[1], self.r, self.classes)
        per = torch.nn.functional.cross_entropy(logits.permute(0, 2, 1), yb.T,
                                                reduction="none").mean(dim=0)     # (R,)
        per.sum().backward()
        return [p.grad for p in self.params], per.detach()

    def logp(self, x):
        import torch
        with torch.no_grad():
            return torch.stack([torch.log_softmax(m(x), -1) for m in self.members])

    def state(self):
        return {"net": self.net.state_dict()}

    def load(self, s):
        self.net.load_state_dict(s["net"])


# ---------------------------------------------------------------------------- vmap engine
class _Vmap:
    def __init__(self, models, classes):
        import torch
        from torch.func import functional_call, grad_and_value, stack_module_state, vmap
        self.base = copy.deepcopy(models[0]).to("meta")
        p, self.buffers = stack_module_state(models)
        self.pdict = {k: v.detach().clone() for k, v in p.items()}
        self.params = list(self.pdict.values())

        def loss_fn(p, b, x, y):
            return torch.nn.functional.cross_entropy(functional_call(self.base, (p, b), (x,)), y)

        self._step = vmap(grad_and_value(loss_fn), in_dims=(0, 0, 0, 0))
        stacked = {**self.buffers, **self.pdict}                     # members: views, for eval
        self.members = _bind_members([copy.deepcopy(m).eval() for m in models],
                                     lambda k: stacked[k], len(models))

    def step_grads(self, xb, yb):
        grads, losses = self._step(self.pdict, self.buffers, xb, yb)
        return [grads[k] for k in self.pdict], losses.detach()

    def logp(self, x):
        import torch
        with torch.no_grad():
            return torch.stack([torch.log_softmax(m(x), -1) for m in self.members])

    def state(self):
        return {"params": self.pdict, "buffers": self.buffers}

    def load(self, s):
        for k, v in s["params"].items():
            self.pdict[k].copy_(v)
        for k, v in s["buffers"].items():
            self.buffers[k].copy_(v)


# ---------------------------------------------------------------------------- optimizer
class _Optim:
    """SGD / Nesterov(0.9) / Adam(0.9, 0.999, 1e-8) updating tensors in place, each split as
    ``(R, ...)`` along its first axis (run-major blocks; a split of the first axis is a view
    whatever the memory layout), with ℓ2 weight decay added to the gradient as in
    ``torch.optim``."""

    def __init__(self, kind, params, wd, r):
        import torch
        self.kind, self.r, self.t = kind, r, 0
        self.wd = wd
        self.buf = [None] * len(params)
        self.shapes = [self._runs(p).shape for p in params]
        if kind == "adam":
            self.m = [torch.zeros_like(p) for p in params]
            self.v = [torch.zeros_like(p) for p in params]

    def _runs(self, t):
        return t.unflatten(0, (self.r, -1))

    def step(self, params, grads, lr):
        import torch
        self.t += 1
        with torch.no_grad():
            for i, (p, g) in enumerate(zip(params, grads)):
                pv = self._runs(p)
                per_run = (self.r,) + (1,) * (pv.dim() - 1)
                lr_i, wd_i = lr.reshape(per_run), self.wd.reshape(per_run)
                g = self._runs(g) + wd_i * pv
                if self.kind == "sgd":
                    pv.sub_(lr_i * g)
                elif self.kind == "nesterov":
                    self.buf[i] = g.clone() if self.buf[i] is None else self.buf[i] * 0.9 + g
                    pv.sub_(lr_i * (g + 0.9 * self.buf[i]))
                else:
                    m, v = self._runs(self.m[i]), self._runs(self.v[i])
                    m.lerp_(g, 0.1)
                    v.mul_(0.999).addcmul_(g, g, value=0.001)
                    bc1, bc2 = 1 - 0.9 ** self.t, 1 - 0.999 ** self.t
                    pv.sub_((lr_i / bc1) * m / (v.sqrt() / math.sqrt(bc2) + 1e-8))

    def state(self):
        s = {"t": self.t, "buf": self.buf}
        if self.kind == "adam":
            s.update(m=self.m, v=self.v)
        return s

    def load(self, s):
        self.t = s["t"]
        self.buf = [None if b is None else b.reshape(shape).clone()      # any saved layout
                    for b, shape in zip(s["buf"], self.shapes)]
        if self.kind == "adam":
            for dst, src in zip(self.m + self.v, s["m"] + s["v"]):
                dst.copy_(src)


# ---------------------------------------------------------------------------- driver
def train_batched(configs: Sequence[TrainConfig], data: Dataset, *,
                  on_checkpoint: Callable[[int, CheckpointRecord], None] | None = None,
                  on_checkpoints: Callable[[list, list], None] | None = None,
                  state: dict | None = None, on_state: Callable[[dict], None] | None = None,
                  eval_chunk: int = 256, method: str = "auto") -> list:
    """Train several runs of one group together (see :func:`group_key`).

    Parameters
    ----------
    configs : sequence of TrainConfig
        The runs; all must share :func:`group_key`.
    data : Dataset
    on_checkpoint : callable, optional
        ``on_checkpoint(i, record)`` for run ``configs[i]`` as soon as its checkpoint is computed.
    on_checkpoints : callable, optional
        ``on_checkpoints(indices, records)`` once per checkpoint with every run still training
        (after ``on_checkpoint``): the sweep writes a whole group's slot in one store call.
    state, on_state
        Resume state and its callback, as in :func:`~hyperribbon.experiments.networks.train`
        (the state references live tensors: serialise or copy it at once).
    eval_chunk : int
        Samples per evaluation pass (as :func:`~hyperribbon.experiments.networks.evaluate`).
    method : {"auto", "grouped", "vmap"}
        Engine; ``"auto"`` takes ``"grouped"`` when every layer supports it, else ``"vmap"``.

    Returns
    -------
    list of TrainResult (``model`` is None).

    Examples
    --------
    >>> from hyperribbon.experiments.networks import TrainConfig, digits, train
    >>> d = digits()
    >>> cfgs = [TrainConfig(arch="fc", width=16, epochs=1, batch_size=128, checkpoints=3, seed=s)
    ...         for s in (0, 1)]
    >>> batched = train_batched(cfgs, d)
    >>> ref = train(cfgs[1], d)
    >>> bool(np.abs(batched[1].logp("test") - ref.logp("test")).max() < 1e-4)
    True
    """
    import torch

    owner = "train_batched"
    configs = list(configs)
    if not configs or not all(isinstance(c, TrainConfig) for c in configs):
        raise InvalidArgument("configs", owner, "be a non-empty sequence of TrainConfig", configs)
    keys = {group_key(c, data.n_train) for c in configs}
    if len(keys) != 1:
        raise InvalidArgument("configs", owner,
                              "share arch, width, optimizer, batch size, steps, checkpoints, "
                              "schedule and bn_init", sorted(map(str, keys)))
    if any(c.augment for c in configs) and len(data.in_shape) != 3:
        raise InvalidArgument("configs", owner, "not augment non-image inputs", data.in_shape)
    if method not in METHODS:
        raise InvalidArgument("method", owner, f"be one of {METHODS}", method)
    cfg0, r = configs[0], len(configs)
    n, total = data.n_train, cfg0.total_steps(data.n_train)
    steps = _stream.checkpoint_steps(total, cfg0.checkpoints)
    models = [prepare_model(c, data) for c in configs]
    if method == "auto":
        method = "grouped" if _groupable(models[0]) else "vmap"
    if method == "grouped" and not _groupable(models[0]):
        raise InvalidArgument("method", owner, f"be 'vmap' for architecture {cfg0.arch!r}",
                              method)
    engine = (_Grouped if method == "grouped" else _Vmap)(models, data.classes)
    del models
    lr0 = torch.tensor([c.peak_lr for c in configs], dtype=torch.float32)
    wd = torch.tensor([c.weight_decay for c in configs], dtype=torch.float32)
    opt = _Optim(cfg0.optimizer, engine.params, wd, r)
    pad = _stream.default_pad(data.in_shape) if len(data.in_shape) == 3 else 0
    xs = {"train": torch.from_numpy(data.x_train), "test": torch.from_numpy(data.x_test)}
    records = [[] for _ in range(r)]
    alive = np.ones(r, bool)
    diverged_at: list = [None] * r

    def record(k, step):
        outs = {split: torch.cat([engine.logp(x[i:i + eval_chunk])
                                  for i in range(0, x.shape[0], eval_chunk)], dim=1).numpy()
                for split, x in xs.items()}
        idx, recs = [], []
        for i in np.flatnonzero(alive):
            lp_tr, lp_te = outs["train"][i], outs["test"][i]
            if not (np.isfinite(lp_tr).all() and np.isfinite(lp_te).all()):
                alive[i], diverged_at[i] = False, int(step)
                continue
            e_tr, l_tr = _scores(lp_tr, data.y_train)
            e_te, l_te = _scores(lp_te, data.y_test)
            rec = CheckpointRecord(k, int(step), step * cfg0.batch_size / n,
                                   np.ascontiguousarray(lp_tr), np.ascontiguousarray(lp_te),
                                   e_tr, e_te, l_tr, l_te)
            records[i].append(rec)
            idx.append(int(i))
            recs.append(rec)
            if on_checkpoint is not None:
                on_checkpoint(int(i), rec)
        if on_checkpoints is not None and idx:
            on_checkpoints(idx, recs)

    def save(k, step):
        if on_state is not None:
            on_state({"engine": engine.state(), "optimizer": opt.state(), "method": method,
                      "step": int(step), "slot": int(k), "alive": alive.copy(),
                      "diverged_at": list(diverged_at)})

    if state is not None:
        if state.get("method") != method:
            raise InvalidArgument("state", owner, f"come from the {method!r} engine",
                                  state.get("method"))
        engine.load(state["engine"])
        opt.load(state["optimizer"])
        start, k = int(state["step"]), int(state["slot"])
        alive[:] = state["alive"]
        diverged_at[:] = state["diverged_at"]
    else:
        start, k = 0, 0
    if k == 0:
        record(0, 0)
        k = 1
        save(k, 0)
    for step in range(start, total):
        if not alive.any():
            break
        idx = np.stack([_stream.batch_indices(c.seed, step, c.batch_size, n) for c in configs])
        xb = data.x_train[idx]                                           # (R, B, ...)
        for i, c in enumerate(configs):
            if c.augment:
                xb[i] = _stream.augment_batch(xb[i], c.seed, step, pad, data.flips_allowed)
        lr = (lr0 * (0.5 * (1.0 + math.cos(math.pi * step / total)))
              if cfg0.schedule == "cosine" else lr0)
        grads, losses = engine.step_grads(torch.from_numpy(xb), torch.from_numpy(data.y_train[idx]))
        for i in np.flatnonzero(~np.isfinite(losses.numpy()) & alive):
            alive[i], diverged_at[i] = False, step
        opt.step(engine.params, grads, lr * torch.from_numpy(alive.astype(np.float32)))
        if k < len(steps) and step + 1 == steps[k]:
            record(k, step + 1)
            k += 1
            save(k, step + 1)
    return [TrainResult(c, steps, records[i], diverged_at[i] is not None, diverged_at[i], None)
            for i, c in enumerate(configs)]
