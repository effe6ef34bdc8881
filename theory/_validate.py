"""Validation helpers run at the top of public functions (private)."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import InvalidArgument

EPS = np.finfo(np.float64).eps


def as_real_vector(x, argument: str, owner: str, *, length: int | None = None,
                   min_length: int = 1) -> np.ndarray:
    """A finite 1-D float64 array, or a named error."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidArgument(argument, owner, "be a 1-D array of real numbers", x) from None
    if arr.ndim != 1:
        raise InvalidArgument(argument, owner, "be a 1-D array", arr)
    if arr.size < min_length:
        raise InvalidArgument(argument, owner, f"have at least {min_length} entries", arr)
    if length is not None and arr.size != length:
        raise InvalidArgument(argument, owner, f"have length {length} (to match the other arguments)",
                              arr)
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(argument, owner, "be finite (no NaN or ±inf)", arr)
    return arr


def as_real_matrix(x, argument: str, owner: str, *, shape: tuple | None = None,
                   square: bool = False) -> np.ndarray:
    """A finite 2-D float64 array, or a named error."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidArgument(argument, owner, "be a 2-D array of real numbers", x) from None
    if arr.ndim != 2:
        raise InvalidArgument(argument, owner, "be a 2-D array", arr)
    if square and arr.shape[0] != arr.shape[1]:
        raise InvalidArgument(argument, owner, "be square", arr)
    if shape is not None and arr.shape != tuple(shape):
        raise InvalidArgument(argument, owner, f"have shape {tuple(shape)}", arr)
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(argument, owner, "be finite (no NaN or ±inf)", arr)
    return arr


def as_int(x, argument: str, owner: str, *, minimum: int | None = None) -> int:
    if isinstance(x, bool):
        raise InvalidArgument(argument, owner, "be an integer (not a boolean)", x)
    if not isinstance(x, numbers.Integral):
        if isinstance(x, numbers.Real) and math.isfinite(float(x)) and float(x).is_integer():
            x = int(x)
        else:
            raise InvalidArgument(argument, owner, "be an integer", x)
    if minimum is not None and x < minimum:
        raise InvalidArgument(argument, owner, f"be an integer ≥ {minimum}", x)
    return int(x)


def as_float(x, argument: str, owner: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise InvalidArgument(argument, owner, "be a real number", x)
    return float(x)


def check_symmetric(a: np.ndarray, argument: str, owner: str) -> None:
    tol = 64 * EPS * max(1.0, float(np.max(np.abs(a)))) * a.shape[0]
    if np.max(np.abs(a - a.T)) > tol:
        raise InvalidArgument(argument, owner, "be symmetric", a)
