r"""The measurement interface between the Chapter-4 lemmas and the curvature numerics
(dependency inversion, as :mod:`hyperribbon.theory.oracle` for Chapter 5).

The lemmas' right-hand sides are theory (weight norms, activation correlations, closed forms);
their left-hand sides — logit Jacobians and the loss Hessian of a :class:`NetworkProblem`, with
absolute error bounds — are *measured*. This module declares the small protocol
:class:`CurvatureMeasure`; an implementation is installed with :func:`install` (the numerics
layer, :mod:`hyperribbon.numerics.curvature`, may install a scalable one when imported).
:func:`get` looks the provider up by name at call time (never a static import) once the
numerics layer is loaded, and otherwise falls back to :class:`DenseMeasure`: exact dense float64
derivatives of the bias-free MLP in numpy
(:mod:`._mlp`: analytic backpropagation for the Jacobians, Pearlmutter's R-operator for the
second-order part of the Hessian), each entry with a first-order rounding bound.

Examples
--------
>>> from hyperribbon.theory.networks import NetworkProblem, measure
>>> p = NetworkProblem.random(widths=(3, 4, 2), n=5, seed=0)
>>> J = measure.get().jacobians(p)
>>> J.values.shape, bool((J.abs_err < 1e-12).all())
((5, 2, 20), True)
"""
from __future__ import annotations

import importlib
import sys
from typing import Protocol

import numpy as np

from ..oracle import Measured
from . import _mlp

__all__ = ["CurvatureMeasure", "DenseMeasure", "install", "get", "installed", "PROVIDER"]

#: Module imported by :func:`get` when no measure is installed (it may call :func:`install`).
PROVIDER = "hyperribbon.numerics.curvature"


class CurvatureMeasure(Protocol):
    def jacobians(self, problem) -> Measured:
        """Logit Jacobians ∂z_i(x_s)/∂w, shape (n, m, p), parameters flattened layer by layer
        (each w^k row-major), with absolute error bounds of the same shape."""

    def hessian(self, problem) -> Measured:
        """The Hessian of the problem's loss (ĕ of §4.2, in bits, for cross-entropy) with respect
        to the flattened weights, shape (p, p), with absolute error bounds."""


class DenseMeasure:
    """Exact dense float64 measurements in numpy (see the module docstring); results are cached
    on the problem object."""

    method = "dense float64 (analytic backpropagation, R-operator)"

    def _cache(self, problem) -> dict:
        return problem.__dict__.setdefault("_measure_cache", {}).setdefault(id(self), {})

    def jacobians(self, problem) -> Measured:
        cache = self._cache(problem)
        if "J" not in cache:
            _check_size(problem)
            J, E = _mlp.jacobian(problem.weights, problem.activations, problem.forward)
            cache["J"] = Measured(J, E, self.method)
        return cache["J"]

    def hessian(self, problem) -> Measured:
        cache = self._cache(problem)
        if "H" not in cache:
            _check_size(problem)
            from ._gram import loss_ggn_factor
            fw = problem.forward
            n = problem.n
            _, g, _ = _mlp.loss_derivatives(problem.loss, fw.z, problem.y)
            G = loss_ggn_factor(problem, self)
            ggn, ggn_err = G.gram()
            ht = _mlp.hterm(problem.weights, problem.activations, fw, g / n)
            mag = _mlp.hterm(problem.weights, problem.activations, fw,
                             np.abs(g) / n + fw.gamma * np.abs(fw.mag_z) / n, magnitude=True)
            err = ggn_err + (problem.depth + 3) * fw.gamma * 0.5 * (mag + mag.T)
            cache["H"] = Measured(ggn + ht, err, self.method)
        return cache["H"]


def _check_size(problem) -> None:
    """Refuse dense measurements that would not fit (Jacobians n·m·p, Hessian p², and the
    R-operator's p·n·max width), before allocating."""
    from ..domains import check_allocation
    p, n, m = problem.n_params, problem.n, problem.m
    check_allocation(max(n * m * p * 2, p * p * 4, p * n * max(problem.widths) * 4),
                     "problem", "DenseMeasure", f"{p} weights, {n} inputs",
                     what="the dense Jacobians, Hessian and R-operator directions")


_INSTALLED: list = []


def install(measure: CurvatureMeasure) -> None:
    """Install ``measure`` as the implementation :func:`get` returns."""
    for name in ("jacobians", "hessian"):
        if not callable(getattr(measure, name, None)):
            from ..errors import InvalidArgument
            raise InvalidArgument("measure", "networks.measure.install",
                                  f"implement CurvatureMeasure.{name}", type(measure).__name__)
    _INSTALLED[:] = [measure]


def installed() -> bool:
    return bool(_INSTALLED)


def get() -> CurvatureMeasure:
    """The installed measure, else :class:`DenseMeasure`.

    When the numerics layer is already loaded (``hyperribbon.numerics`` imported) and nothing is
    installed yet, :data:`PROVIDER` is imported by name first, so that it can install itself;
    a theory-only session never pays for importing numerics (and torch) — the dense default is
    exact for the small networks it accepts."""
    if not _INSTALLED and "hyperribbon.numerics" in sys.modules:
        try:
            importlib.import_module(PROVIDER)
        except ImportError:
            pass
    return _INSTALLED[0] if _INSTALLED else _DEFAULT


_DEFAULT = DenseMeasure()
