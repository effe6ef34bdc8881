r"""Element-wise activations of Chapter 4 (private): values, first and second derivatives, and the
thesis's assumption :math:`|\sigma'| \le a`, :math:`\sigma(0) = 0` (§4.3.1).

Only activations whose derivative bound and value at 0 are known *exactly* are listed; anything
else is ``"other"``, for which the assumption is reported as failing (never guessed).

==============  ===============================  ==================  ============
name            σ(u)                             a = sup|σ'|         σ(0) = 0
==============  ===============================  ==================  ============
``relu``        max(u, 0)                        1                   yes
``leaky_relu``  u if u ≥ 0 else s·u              max(1, |s|)         yes
``tanh``        tanh(u)                          1                   yes
``identity``    u                                1                   yes
``sigmoid``     1/(1 + e^{-u})                   1/4                 no (σ(0) = 1/2)
==============  ===============================  ==================  ============

At the kink of the ReLU family the derivative is taken as PyTorch does (σ'(0) = 0 for ReLU,
s for leaky ReLU); both are within the bound a.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KNOWN = ("relu", "leaky_relu", "tanh", "identity", "sigmoid")


@dataclass(frozen=True)
class Activation:
    """An activation by name, with its parameter (the leaky slope) where it has one."""

    name: str
    slope: float = 0.01

    @property
    def known(self) -> bool:
        return self.name in KNOWN

    @property
    def bound(self) -> float:
        """sup |σ'| (``nan`` for unknown activations)."""
        return {"relu": 1.0, "leaky_relu": max(1.0, abs(self.slope)), "tanh": 1.0,
                "identity": 1.0, "sigmoid": 0.25}.get(self.name, math.nan)

    @property
    def zero_at_zero(self) -> bool:
        return self.name in ("relu", "leaky_relu", "tanh", "identity")

    @property
    def piecewise_linear(self) -> bool:
        """σ'' = 0 almost everywhere (the true Hessian's H-term has a zero diagonal block)."""
        return self.name in ("relu", "leaky_relu", "identity")

    def local_lipschitz(self, u: np.ndarray, radius: np.ndarray) -> np.ndarray:
        """sup |σ'| over [u − radius, u + radius] (a bound that is exact 0 for a ReLU unit that is
        off on the whole interval, so a robustly dead unit carries no rounding error)."""
        if self.name == "relu":
            return np.where(u + radius < 0, 0.0, 1.0)
        if self.name == "leaky_relu":
            hi = max(1.0, abs(self.slope))
            return np.where(u + radius < 0, abs(self.slope), np.where(u - radius > 0, 1.0, hi))
        return np.full_like(np.asarray(u, dtype=float), self.bound)

    def describe(self) -> str:
        return f"leaky_relu(slope={self.slope:g})" if self.name == "leaky_relu" else self.name

    # -- values -------------------------------------------------------------------------------
    def __call__(self, u: np.ndarray) -> np.ndarray:
        if self.name == "relu":
            return np.maximum(u, 0.0)
        if self.name == "leaky_relu":
            return np.where(u >= 0, u, self.slope * u)
        if self.name == "tanh":
            return np.tanh(u)
        if self.name == "identity":
            return np.array(u, dtype=float, copy=True)
        if self.name == "sigmoid":
            return 0.5 * (1.0 + np.tanh(0.5 * u))
        raise ValueError(f"unknown activation {self.name!r}")

    def d1(self, u: np.ndarray) -> np.ndarray:
        if self.name == "relu":
            return (u > 0).astype(float)
        if self.name == "leaky_relu":
            return np.where(u > 0, 1.0, self.slope)
        if self.name == "tanh":
            t = np.tanh(u)
            return 1.0 - t * t
        if self.name == "identity":
            return np.ones_like(u, dtype=float)
        if self.name == "sigmoid":
            s = 0.5 * (1.0 + np.tanh(0.5 * u))
            return s * (1.0 - s)
        raise ValueError(f"unknown activation {self.name!r}")

    def d2(self, u: np.ndarray) -> np.ndarray:
        if self.name in ("relu", "leaky_relu", "identity"):
            return np.zeros_like(u, dtype=float)
        if self.name == "tanh":
            t = np.tanh(u)
            return -2.0 * t * (1.0 - t * t)
        if self.name == "sigmoid":
            s = 0.5 * (1.0 + np.tanh(0.5 * u))
            return s * (1.0 - s) * (1.0 - 2.0 * s)
        raise ValueError(f"unknown activation {self.name!r}")


def from_torch_module(module) -> Activation | None:
    """The :class:`Activation` of a torch activation module, or ``None`` if it is not one we know
    exactly (the caller then records ``"other"``)."""
    kind = type(module).__name__
    if kind == "ReLU":
        return Activation("relu")
    if kind == "LeakyReLU":
        return Activation("leaky_relu", float(module.negative_slope))
    if kind == "Tanh":
        return Activation("tanh")
    if kind == "Identity":
        return Activation("identity")
    if kind == "Sigmoid":
        return Activation("sigmoid")
    return None
