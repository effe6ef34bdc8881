"""The measurement interface between the theory and numerics layers (dependency inversion).

A lemma's *bound* is theory; the left-hand sides it is compared with (eigenvalues of the PCA
matrices, measured with error bounds at a requested precision) are computed by engines in
:mod:`hyperribbon.numerics`. The theory layer declares the protocol below; the numerics layer
installs its implementation when it is imported. ``get()`` imports ``hyperribbon.numerics`` by name
if no oracle is installed yet, which is a plugin lookup at call time, never a static import: the
import graph stays ``experiments → numerics → theory``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["Measured", "SpectralOracle", "install", "get"]


@dataclass(frozen=True)
class Measured:
    """Values with absolute error bounds and the method that produced them."""

    values: np.ndarray
    abs_err: np.ndarray
    method: str


class SpectralOracle(Protocol):
    def eigenvalues(self, problem, matrix: str, precision, diagonal=None) -> Measured:
        """Descending eigenvalues of ``matrix`` in {"S1y", "S1w", "S1", "P"} for ``problem``.

        ``S1y``, ``S1w``, ``S1`` are the *summed* matrices T·P1^y(T), T·P1^σw(T), T·P1(T) of
        eq. (5.2.9); ``P`` is the PCA matrix P(T) of eq. (5.2.5) (mean normalisation).
        For ``S1``, a non-negative ``diagonal`` (in K's eigenbasis) may replace λ^σw.
        Raises :class:`~.errors.PrecisionExhausted` when the precision is not available.
        """


_ORACLE: list = []


def install(oracle: SpectralOracle) -> None:
    _ORACLE[:] = [oracle]


def get() -> SpectralOracle:
    if not _ORACLE:
        importlib.import_module("hyperribbon.numerics")
    return _ORACLE[0]
