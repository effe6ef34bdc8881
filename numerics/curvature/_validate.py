"""Argument validation for the curvature package (private).

Every public function of :mod:`hyperribbon.numerics.curvature` calls these helpers at its top;
each raises :class:`hyperribbon.theory.InvalidArgument` naming the argument, the owner, the rule
and the value received.  No torch import here.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from hyperribbon.theory import InvalidArgument

__all__ = ["as_int", "as_float", "as_choice", "as_bool", "as_spectrum_values", "as_seed",
           "as_symmetric_matrix"]


def as_int(x, argument: str, owner: str, *, minimum: int | None = None,
           maximum: int | None = None) -> int:
    """An integer (not a boolean) in [minimum, maximum], or a named error."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        if (not isinstance(x, bool) and isinstance(x, numbers.Real)
                and math.isfinite(float(x)) and float(x).is_integer()):
            x = int(x)
        else:
            raise InvalidArgument(argument, owner, "be an integer", x)
    x = int(x)
    if minimum is not None and x < minimum:
        raise InvalidArgument(argument, owner, f"be an integer ≥ {minimum}", x)
    if maximum is not None and x > maximum:
        raise InvalidArgument(argument, owner, f"be an integer ≤ {maximum}", x)
    return x


def as_float(x, argument: str, owner: str, *, positive: bool = False,
             nonnegative: bool = False, below: float | None = None) -> float:
    """A finite real number (optionally > 0, ≥ 0, < below), or a named error."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise InvalidArgument(argument, owner, "be a real number", x)
    x = float(x)
    if not math.isfinite(x):
        raise InvalidArgument(argument, owner, "be finite", x)
    if positive and not x > 0:
        raise InvalidArgument(argument, owner, "be > 0", x)
    if nonnegative and not x >= 0:
        raise InvalidArgument(argument, owner, "be ≥ 0", x)
    if below is not None and not x < below:
        raise InvalidArgument(argument, owner, f"be < {below}", x)
    return x


def as_choice(x, argument: str, owner: str, choices) -> str:
    """One of a fixed set of strings, or a named error listing them."""
    choices = tuple(choices)
    if not isinstance(x, str) or x not in choices:
        raise InvalidArgument(argument, owner, "be one of " + ", ".join(repr(c) for c in choices),
                              x)
    return x


def as_bool(x, argument: str, owner: str) -> bool:
    if not isinstance(x, (bool, np.bool_)):
        raise InvalidArgument(argument, owner, "be True or False", x)
    return bool(x)


def as_seed(x, argument: str, owner: str) -> int:
    return as_int(x, argument, owner, minimum=0)


def as_spectrum_values(x, argument: str, owner: str, *, min_length: int = 1) -> np.ndarray:
    """A finite 1-D float64 array of eigenvalues, or a named error."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidArgument(argument, owner, "be a 1-D array of real eigenvalues", x) from None
    if arr.ndim != 1:
        raise InvalidArgument(argument, owner, "be a 1-D array of eigenvalues", arr)
    if arr.size < min_length:
        raise InvalidArgument(argument, owner, f"have at least {min_length} entries", arr)
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(argument, owner, "be finite (no NaN or ±inf)", arr)
    return arr


def as_symmetric_matrix(x, argument: str, owner: str) -> np.ndarray:
    """A finite square float64 matrix equal to its transpose to rounding, or a named error."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidArgument(argument, owner, "be a square array of real numbers", x) from None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise InvalidArgument(argument, owner, "be a non-empty square 2-D array", arr)
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(argument, owner, "be finite (no NaN or ±inf)", arr)
    scale = float(np.max(np.abs(arr))) if arr.size else 0.0
    asym = float(np.max(np.abs(arr - arr.T))) if arr.size else 0.0
    # A symmetric matrix assembled column by column from float32 products is symmetric only to
    # float32 rounding; more than 1e-3 relative asymmetry is a wrong operator, not rounding.
    if asym > 1e-3 * scale:
        raise InvalidArgument(argument, owner,
                              "be symmetric (|A − Aᵀ| ≤ 1e-3·max|A|)", arr)
    return 0.5 * (arr + arr.T)
