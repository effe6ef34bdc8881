"""Flat parameter vectors for torch models: one vector θ ∈ R^p per network, and batched forward
passes of K weight vectors at once (``torch.func.functional_call`` under ``torch.vmap``).

The order of θ is the order of ``model.named_parameters()`` (the order of
``torch.nn.utils.parameters_to_vector``), so that θ matches the parameter order of curvature
operators built on ``list(model.parameters())``.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FlatSpec", "flat_spec", "flat_params", "unflatten", "batched_logits", "logits_at"]


@dataclass(frozen=True)
class FlatSpec:
    """Names, shapes and sizes of a model's parameters in vector order."""

    names: tuple
    shapes: tuple
    sizes: tuple

    @property
    def p(self) -> int:
        return int(sum(self.sizes))


def flat_spec(model) -> FlatSpec:
    """The :class:`FlatSpec` of ``model``'s trainable parameters."""
    names, shapes, sizes = [], [], []
    for name, prm in model.named_parameters():
        if prm.requires_grad:
            names.append(name)
            shapes.append(tuple(prm.shape))
            sizes.append(int(prm.numel()))
    return FlatSpec(tuple(names), tuple(shapes), tuple(sizes))


def flat_params(model, dtype=None):
    """θ as one detached 1-D tensor (a copy), optionally cast to ``dtype``."""
    import torch
    vec = torch.cat([p.detach().reshape(-1) for p in model.parameters() if p.requires_grad])
    return vec.clone() if dtype is None else vec.to(dtype).clone()


def unflatten(theta, spec: FlatSpec) -> dict:
    """``{name: tensor}`` views of the 1-D tensor ``theta`` (shape (p,))."""
    out, start = {}, 0
    for name, shape, size in zip(spec.names, spec.shapes, spec.sizes):
        out[name] = theta[start:start + size].reshape(shape)
        start += size
    return out


def logits_at(model, theta, X, spec: FlatSpec | None = None):
    """Outputs of ``model`` with its parameters replaced by ``theta`` (differentiable in θ)."""
    from torch.func import functional_call
    spec = spec or flat_spec(model)
    buffers = dict(model.named_buffers())
    return functional_call(model, {**unflatten(theta, spec), **buffers}, (X,))


def batched_logits(model, thetas, X, spec: FlatSpec | None = None, chunk: int = 32):
    """Outputs for K weight vectors at once.

    Parameters
    ----------
    model : torch.nn.Module
        In eval mode (no dropout / batch statistics).
    thetas : (K, p) tensor
    X : (N, ...) tensor
    chunk : int
        Weight vectors per vmapped call (memory ∝ chunk · N · width).

    Returns
    -------
    (K, N, C) tensor
    """
    import torch
    spec = spec or flat_spec(model)

    def one(theta):
        return logits_at(model, theta, X, spec)

    outs = [torch.vmap(one)(thetas[i:i + chunk]) for i in range(0, thetas.shape[0], chunk)]
    return torch.cat(outs, dim=0)
