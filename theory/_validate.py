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


# ------------------------------------------------------------ shared by the simulators
def psd_factor(a: np.ndarray, argument: str, owner: str, *, what: str = "be") -> np.ndarray:
    r"""F with :math:`FF^\top = A` for a symmetric PSD ``a``, or a named error.

    Eigenvalues down to :math:`-16\,m\,\varepsilon\,\|A\|_2` (m the size) count as round-off and
    are clipped to 0; anything more negative is rejected.
    """
    check_symmetric(a, argument, owner)
    a = 0.5 * (a + a.T)
    mu, V = np.linalg.eigh(a)
    scale = float(np.max(np.abs(mu))) if mu.size else 0.0
    tol = 16 * a.shape[0] * EPS * scale
    if mu.size and mu[0] < -tol:
        raise InvalidArgument(argument, owner,
                              f"{what} positive semi-definite (smallest eigenvalue ≥ "
                              f"-{tol:.3g} = -16·m·ε·‖·‖₂)", float(mu[0]))
    return V * np.sqrt(np.clip(mu, 0.0, None))


def as_positive(x, argument: str, owner: str) -> float:
    x = as_float(x, argument, owner)
    if not (x > 0 and math.isfinite(x)):
        raise InvalidArgument(argument, owner, "be a finite real number > 0", x)
    return x


def as_nonnegative(x, argument: str, owner: str) -> float:
    x = as_float(x, argument, owner)
    if not (x >= 0 and math.isfinite(x)):
        raise InvalidArgument(argument, owner, "be a finite real number ≥ 0", x)
    return x


def as_weights(w0, d: int, owner: str) -> np.ndarray:
    w = np.asarray(w0, dtype=float)
    if w.ndim == 1:
        w = w[None, :]
    if w.ndim != 2 or w.shape[1] != d or w.shape[0] < 1:
        raise InvalidArgument("w0", owner, f"have shape (N, {d}) or ({d},) (d = columns of X)", w)
    if not np.all(np.isfinite(w)):
        raise InvalidArgument("w0", owner, "be finite (no NaN or ±inf)", w)
    return w


def as_data(X, y, owner: str):
    X = as_real_matrix(X, "X", owner)
    y = as_real_vector(y, "y", owner, length=X.shape[0])
    return X, y
