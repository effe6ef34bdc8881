"""Shared argument handling for the torch-facing curvature modules (private; imports torch).

Resolves a loss specification, the parameter subset, parameter blocks, the data tensors and the
normalisation constant, with named errors.  Used by operators.py, dense.py, correlations.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from hyperribbon.theory import InvalidArgument

from ._validate import as_choice, as_int

__all__ = ["KINDS", "LOSSES", "NORMALISATIONS", "LossSpec", "resolve_loss", "resolve_params",
           "resolve_blocks", "check_data", "normalisation_scale", "check_model",
           "parameter_blocks"]

KINDS = ("hessian", "ggn", "fisher", "fisher_mc", "empirical_fisher", "kfac")
LOSSES = ("cross_entropy", "mse", "bce_logits")
NORMALISATIONS = ("mean", "sum", "thesis")
# Kinds whose 'thesis' normalisation is the Hessian of the loss in bits, ĕ = −(1/(n ln 2)) Σ log p
# (§4.2: H_ij = ∂i∂j ĕ; the Gauss–Newton H̃ and its KFAC approximation approximate it); the
# others are Fisher matrices, F = (1/n) Σ_k Σ_y p ∂log p ∂log pᵀ in nats (§4.2).
_BITS_KINDS = ("hessian", "ggn", "kfac")
_CLASSES = {"cross_entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss,
            "bce_logits": nn.BCEWithLogitsLoss}


@dataclass(frozen=True)
class LossSpec:
    """A per-sample loss ℓ(f, y) summed over output entries; ``module()`` gives the summed loss."""

    name: str

    def module(self) -> nn.Module:
        """The curvlinops-compatible torch criterion with ``reduction='sum'``."""
        return _CLASSES[self.name](reduction="sum")

    def total(self, F: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Σ_k ℓ(f_k, y_k) for a batch F of shape (n, C)."""
        return self.module()(F, y)

    def per_sample(self, f: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """ℓ(f, y) for ONE sample (f of shape (C,)), summed over output entries."""
        if self.name == "cross_entropy":
            return -torch.log_softmax(f, dim=-1).gather(0, y.reshape(1)).squeeze(0)
        if self.name == "mse":
            return torch.sum((f - y) ** 2)
        return torch.nn.functional.binary_cross_entropy_with_logits(f, y, reduction="sum")


def resolve_loss(loss, owner: str) -> LossSpec:
    if isinstance(loss, str):
        return LossSpec(as_choice(loss, "loss", owner, LOSSES))
    for name, cls in _CLASSES.items():
        if isinstance(loss, cls):
            if getattr(loss, "reduction", "sum") not in ("sum", "mean"):
                raise InvalidArgument("loss", owner, "have reduction 'sum' or 'mean' (the "
                                      "`normalisation` argument sets the sample average)",
                                      loss.reduction)
            if getattr(loss, "weight", None) is not None or getattr(loss, "pos_weight",
                                                                    None) is not None:
                raise InvalidArgument("loss", owner, "have no class weights", loss)
            if getattr(loss, "label_smoothing", 0.0) != 0.0:
                raise InvalidArgument("loss", owner, "have label_smoothing=0", loss)
            return LossSpec(name)
    raise InvalidArgument("loss", owner, "be one of 'cross_entropy', 'mse', 'bce_logits' or an "
                          "nn.CrossEntropyLoss / nn.MSELoss / nn.BCEWithLogitsLoss", loss)


def check_model(model, owner: str) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise InvalidArgument("model", owner, "be a torch.nn.Module", model)
    stochastic = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout,
                  nn.modules.batchnorm._BatchNorm)
    if model.training and any(isinstance(m, stochastic) for m in model.modules()):
        raise InvalidArgument("model", owner, "be in eval mode (call model.eval()) since it has "
                              "dropout or batch-norm layers, whose training-mode forward pass "
                              "is not a fixed function of the parameters", type(model).__name__)
    return model


def resolve_params(model: nn.Module, params, owner: str):
    """(names, tensors) of the selected parameters, in the model's order."""
    named = [(n, p) for n, p in model.named_parameters()]
    if params is None:
        chosen = [(n, p) for n, p in named if p.requires_grad]
    else:
        if isinstance(params, (str, torch.Tensor)) or not hasattr(params, "__iter__"):
            raise InvalidArgument("params", owner, "be a list of parameter names or tensors",
                                  params)
        wanted = list(params)
        if not wanted:
            raise InvalidArgument("params", owner, "be a non-empty list", params)
        by_name = dict(named)
        ids = {}
        for item in wanted:
            if isinstance(item, str):
                if item not in by_name:
                    raise InvalidArgument("params", owner, "name parameters of the model "
                                          f"(one of {sorted(by_name)[:6]}...)", item)
                ids[id(by_name[item])] = item
            elif isinstance(item, torch.Tensor):
                match = [n for n, p in named if p is item]
                if not match:
                    raise InvalidArgument("params", owner, "hold parameters of the model", item)
                ids[id(item)] = match[0]
            else:
                raise InvalidArgument("params", owner, "hold parameter names or tensors", item)
        if len(ids) != len(wanted):
            raise InvalidArgument("params", owner, "not repeat a parameter", params)
        chosen = [(n, p) for n, p in named if id(p) in ids]
    if not chosen:
        raise InvalidArgument("params", owner, "select at least one parameter with "
                              "requires_grad=True", params)
    for n, p in chosen:
        if not p.requires_grad:
            raise InvalidArgument("params", owner, "select parameters with requires_grad=True", n)
    return [n for n, _ in chosen], [p for _, p in chosen]


def parameter_blocks(model: nn.Module) -> dict:
    """Parameter names grouped by the module that owns them (one block per layer).

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    dict
        ``{module_name: [parameter names]}`` in the model's order, for modules with direct
        parameters (``requires_grad``), e.g. ``{'0': ['0.weight', '0.bias'], '2': [...]}``.
    """
    if not isinstance(model, nn.Module):
        raise InvalidArgument("model", "parameter_blocks", "be a torch.nn.Module", model)
    out = {}
    for mod_name, mod in model.named_modules():
        names = [f"{mod_name}.{n}" if mod_name else n
                 for n, p in mod.named_parameters(recurse=False) if p.requires_grad]
        if names:
            out[mod_name] = names
    return out


def resolve_blocks(model, names, blocks, owner: str):
    """None (full matrix) or a list of lists of parameter names partitioning ``names``."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        as_choice(blocks, "blocks", owner, ("module", "parameter"))
        if blocks == "parameter":
            return [[n] for n in names]
        groups = []
        chosen = set(names)
        for members in parameter_blocks(model).values():
            g = [n for n in members if n in chosen]
            if g:
                groups.append(g)
        return groups
    try:
        groups = [list(g) for g in blocks]
    except TypeError:
        raise InvalidArgument("blocks", owner, "be None, 'module', 'parameter' or a list of lists "
                              "of parameter names", blocks) from None
    flat = [n for g in groups for n in g]
    if (any(not g for g in groups) or sorted(flat) != sorted(names)
            or len(set(flat)) != len(flat)):
        raise InvalidArgument("blocks", owner, "partition the selected parameters "
                              f"{names[:4]}{'...' if len(names) > 4 else ''} into non-empty "
                              "groups", blocks)
    return groups


def check_data(model, loss: LossSpec, X, y, owner: str, dtype: torch.dtype):
    """Validate X, y against the model's output; returns (n, C)."""
    if not isinstance(X, torch.Tensor):
        raise InvalidArgument("X", owner, "be a torch.Tensor of inputs (n, ...)", X)
    if not isinstance(y, torch.Tensor):
        raise InvalidArgument("y", owner, "be a torch.Tensor of targets", y)
    if X.ndim < 1 or X.shape[0] < 1:
        raise InvalidArgument("X", owner, "have a leading sample axis with n ≥ 1", X)
    if X.is_floating_point() and X.dtype != dtype:
        raise InvalidArgument("X", owner, f"have the parameters' dtype {dtype} (cast it "
                              "explicitly; curvature is computed in the model's precision)", X)
    if X.is_floating_point() and not torch.isfinite(X).all():
        raise InvalidArgument("X", owner, "be finite", X)
    n = int(X.shape[0])
    if y.ndim < 1 or int(y.shape[0]) != n:
        raise InvalidArgument("y", owner, f"have n = {n} rows like X", y)
    device = next((p.device for p in model.parameters()), X.device)
    with torch.no_grad():
        out = model(X[:1].to(device))
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        raise InvalidArgument("model", owner, "return a 2-D tensor (n, C) of outputs/logits",
                              getattr(out, "shape", out))
    C = int(out.shape[1])
    if loss.name == "cross_entropy":
        if y.ndim != 1 or y.is_floating_point() or y.dtype == torch.bool:
            raise InvalidArgument("y", owner, "be a 1-D integer tensor of class labels for "
                                  "cross-entropy", y)
        if int(y.min()) < 0 or int(y.max()) >= C:
            raise InvalidArgument("y", owner, f"hold class labels in [0, {C})",
                                  (int(y.min()), int(y.max())))
    else:
        if y.ndim != 2 or int(y.shape[1]) != C or not y.is_floating_point():
            raise InvalidArgument("y", owner, f"be a float tensor of shape (n, {C}) for "
                                  f"{loss.name}", y)
        if y.dtype != dtype:
            raise InvalidArgument("y", owner, f"have the parameters' dtype {dtype}", y)
        if not torch.isfinite(y).all():
            raise InvalidArgument("y", owner, "be finite", y)
        if loss.name == "bce_logits" and not ((y == 0) | (y == 1)).all():
            raise InvalidArgument("y", owner, "hold binary targets 0/1 for bce_logits", y)
    return n, C


def normalisation_scale(kind: str, normalisation: str, n: int) -> float:
    """The constant c multiplying the sum over samples of the per-sample curvature."""
    if normalisation == "sum":
        return 1.0
    if normalisation == "mean":
        return 1.0 / n
    return 1.0 / (n * math.log(2.0)) if kind in _BITS_KINDS else 1.0 / n


def dtype_of(params, owner: str) -> torch.dtype:
    dtypes = {p.dtype for p in params}
    if len(dtypes) != 1 or not next(iter(dtypes)).is_floating_point:
        raise InvalidArgument("model", owner, "have parameters of one floating dtype", dtypes)
    return dtypes.pop()


def as_batch_size(batch_size, n: int, owner: str) -> int:
    return n if batch_size is None else as_int(batch_size, "batch_size", owner, minimum=1)
