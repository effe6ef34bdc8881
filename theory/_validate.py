"""Validation helpers run at the top of public functions (private)."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import InvalidArgument

EPS = np.finfo(np.float64).eps


def is_torch(x) -> bool:
    """Whether ``x`` is a torch tensor (recognised by its module: torch is never imported here)."""
    return type(x).__module__.split(".")[0] == "torch"


def from_torch(x, argument: str, owner: str) -> np.ndarray:
    """A torch tensor as a numpy array: detached (``requires_grad`` is fine), moved to the CPU,
    conjugate/negative views resolved, sparse made dense, float16/bfloat16 widened to float32
    (numpy has no bfloat16). Complex tensors are a named error."""
    t = x.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if t.is_complex():
        raise InvalidArgument(argument, owner, "be a real array", x)
    if str(t.dtype) in ("torch.bfloat16", "torch.float16"):
        t = t.float()
    if getattr(t, "is_sparse", False):
        t = t.to_dense()
    return t.resolve_conj().resolve_neg().numpy()


def as_float64_array(x, argument: str, owner: str, rule: str = "be an array of real numbers"
                     ) -> np.ndarray:
    """``x`` as a float64 numpy array, or a named error.

    Accepts what users pass: nested lists, numpy arrays of any real dtype (integers and booleans
    such as one-hot arrays, float16/32), non-contiguous views, and torch tensors on any device,
    also ones that require grad (:func:`from_torch`). A complex array is an error (a cast would
    silently drop the imaginary part), as is anything numpy cannot convert (``rule`` says what
    was expected). No check of shape or finiteness here.

    >>> as_float64_array(np.arange(6, dtype=np.int32).reshape(2, 3)[:, ::2], "a", "f")
    array([[0., 2.],
           [3., 5.]])
    """
    if is_torch(x):
        x = from_torch(x, argument, owner)
    try:
        complex_ = np.iscomplexobj(x)
        arr = None if complex_ else np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError, RuntimeError):
        raise InvalidArgument(argument, owner, rule, x) from None
    if complex_:
        raise InvalidArgument(argument, owner, "be real (not complex)", x)
    return arr


def as_real_vector(x, argument: str, owner: str, *, length: int | None = None,
                   min_length: int = 1) -> np.ndarray:
    """A finite 1-D float64 array, or a named error (``x`` as :func:`as_float64_array` takes)."""
    arr = as_float64_array(x, argument, owner, "be a 1-D array of real numbers")
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
    """A finite 2-D float64 array, or a named error (``x`` as :func:`as_float64_array` takes)."""
    arr = as_float64_array(x, argument, owner, "be a 2-D array of real numbers")
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
    r"""Symmetric to rounding: :math:`\max_{ij}|A_{ij} - A_{ji}| \le 64\,m\,\varepsilon\,
    \|A\|_F` (m the size). Relative to the matrix's own scale, so that a product such as
    :math:`U\Lambda U^\top` formed in float64 passes at any magnitude, and a tiny matrix is not
    waved through by an absolute tolerance."""
    m = a.shape[0]
    big = float(np.max(np.abs(a))) if a.size else 0.0
    # ‖A‖_F of the rescaled matrix: the squares of tiny (huge) entries would underflow (overflow)
    scale = big * float(np.linalg.norm(a / big)) if big > 0 and math.isfinite(big) else big
    tol = 64 * m * EPS * scale
    if a.size and np.max(np.abs(a - a.T)) > tol:
        raise InvalidArgument(argument, owner,
                              f"be symmetric (|A − Aᵀ| ≤ 64·m·ε·‖A‖_F = {tol:.3g})", a)


# ------------------------------------------------------------ shared by the simulators
def psd_factor(a: np.ndarray, argument: str, owner: str, *, what: str = "be",
               entry_ulps: float = 16.0) -> np.ndarray:
    r"""F with :math:`FF^\top = A` for a symmetric PSD ``a``, or a named error.

    A PSD matrix whose entries carry a rounding error of ``entry_ulps`` units in the last place
    (relative to :math:`\|A\|`) has eigenvalues down to about :math:`-k\,m\,\varepsilon\|A\|_2`
    (Weyl), and the symmetric eigensolver adds :math:`16m\varepsilon\|A\|_2`; so eigenvalues down
    to :math:`-(16 + k)\,m\,\varepsilon\,\|A\|_2` (m the size, k = ``entry_ulps``) count as
    round-off and are clipped to 0, and anything more negative is rejected. The default
    ``k = 16`` covers matrices formed by a few floating-point operations per entry; callers that
    *know* how ``a`` was formed pass more (a Gram matrix of inner products over d features:
    ``k ≈ 2d``), so that no matrix the toolkit builds fails this check.
    """
    check_symmetric(a, argument, owner)
    a = 0.5 * (a + a.T)
    mu, V = np.linalg.eigh(a)
    scale = float(np.max(np.abs(mu))) if mu.size else 0.0
    k = 16.0 + float(entry_ulps)
    tol = k * a.shape[0] * EPS * scale
    if mu.size and mu[0] < -tol:
        raise InvalidArgument(argument, owner,
                              f"{what} positive semi-definite (smallest eigenvalue ≥ "
                              f"-{tol:.3g} = -{k:g}·m·ε·‖·‖₂, the rounding of its construction)",
                              float(mu[0]))
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
    w = as_float64_array(w0, "w0", owner)
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
