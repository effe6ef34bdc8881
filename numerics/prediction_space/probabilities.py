r"""Arrays of predicted probabilities: validation, conversion, ignorance and truth (thesis §2.2).

A network evaluated on a fixed set of N samples with C classes is the product model (eq. 2.2.1)

.. math:: P_w(\mathbf y) = \prod_{n=1}^N p_w^n(y_n),

stored as an (N, C) array ``p[n, c] = p_w^n(c)``; m models are an (m, N, C) array. Every public
function of the information-geometry modules validates its probability arguments with
:func:`as_probabilities` (or :func:`as_model` for one model): finite, non-negative, each row
summing to 1 within ``atol``. Rows are then renormalised exactly when they are off by more than a
few rounding units, so that the Cauchy–Schwarz bound :math:`\sum_c\sqrt{p(c)q(c)} \le 1` holds up
to rounding. numpy arrays, memmaps and CPU torch tensors are accepted without a copy when no
conversion is needed (float32 and float64 are kept; other dtypes become float64).

Two special points (§2.2): *ignorance* :math:`P_0` with :math:`p_0^n(c) = 1/C`, and the *truth*
:math:`P_* = \delta_{\mathbf y^*}` (optionally label-smoothed).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> P = rng.dirichlet(np.ones(4), size=(3, 5))          # 3 models, 5 samples, 4 classes
>>> as_probabilities(P).shape
(3, 5, 4)
>>> t = truth([0, 2, 1], 3, smoothing=0.1)
>>> t[0].tolist()
[0.9, 0.05, 0.05]
>>> try:
...     as_probabilities(np.full((1, 2, 3), 0.5))
... except InvalidArgument as e:
...     print(e.argument, "|", e.rule[:48])
probabilities | have rows (last axis) that sum to 1 within 1e-05
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.special

from hyperribbon.theory.errors import InvalidArgument

__all__ = ["as_probabilities", "as_model", "default_atol", "ignorance", "truth", "from_logits",
           "as_labels", "to_numpy"]


def default_atol(dtype) -> float:
    r"""Default tolerance on row sums, ``max(1e-5, 80 * eps(dtype))``: float32 softmax outputs
    (also after a cast to float64) pass, and half-precision inputs (numpy float16, torch
    float16/bfloat16) get a tolerance on their own scale."""
    if type(dtype).__module__.startswith("torch"):
        import torch
        eps = float(torch.finfo(dtype).eps) if dtype.is_floating_point else 0.0
    else:
        dt = np.dtype(dtype)
        eps = float(np.finfo(dt).eps) if dt.kind == "f" else 0.0
    return max(1e-5, 80.0 * eps)


def to_numpy(x, argument: str, owner: str) -> np.ndarray:
    """A numpy view of ``x`` (torch tensors without a copy when on the CPU)."""
    mod = type(x).__module__
    if mod.startswith("torch"):
        t = x.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        if t.dtype.is_complex:
            raise InvalidArgument(argument, owner, "be a real array", x)
        if str(t.dtype) in ("torch.bfloat16", "torch.float16"):
            t = t.float()
        return t.numpy()
    if isinstance(x, np.ndarray):
        return x
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        raise InvalidArgument(argument, owner, "be an array of probabilities", x) from None
    return arr


def _float_array(x, argument: str, owner: str) -> np.ndarray:
    arr = to_numpy(x, argument, owner)
    if arr.dtype.kind == "c":
        raise InvalidArgument(argument, owner, "be a real array", arr)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        try:
            arr = np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidArgument(argument, owner, "be an array of real numbers", x) from None
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)
    elif arr.dtype.kind != "f" or arr.dtype.itemsize > 8:
        arr = arr.astype(np.float64)
    return arr


def as_probabilities(p, argument: str = "probabilities", owner: str = "as_probabilities", *,
                     atol: float | None = None, ndim: int = 3, renormalize: bool = True,
                     dtype=None) -> np.ndarray:
    r"""Validate an (m, N, C) array of predicted probabilities (eq. 2.2.1).

    Parameters
    ----------
    p : (m, N, C) array_like or torch.Tensor
        ``p[w, n, c]`` is the probability model w assigns to class c on sample n.
    argument, owner : str
        Names used in error messages.
    atol : float, optional
        Tolerance on :math:`|\sum_c p^n_w(c) - 1|`; default :func:`default_atol`.
    ndim : {3, 2}
        3 for a stack of models, 2 for a single model (N, C).
    renormalize : bool
        Divide rows by their sums when they differ from 1 by more than :math:`4C\varepsilon`.
    dtype : {None, numpy.float32, numpy.float64}
        Convert to this dtype (default: keep float32/float64).

    Returns
    -------
    (m, N, C) ndarray
        float32 or float64; the input itself when no conversion was needed.

    Raises
    ------
    InvalidArgument
        Wrong number of axes, empty axes, fewer than 2 classes, NaN/inf, negative entries, or a
        row whose sum is off by more than ``atol`` (the message names the worst row).
    """
    source_dtype = getattr(p, "dtype", None)
    arr = _float_array(p, argument, owner)
    if arr.ndim != ndim:
        shape = ("(m, N, C): models × samples × classes" if ndim == 3
                 else "(N, C): samples × classes")
        raise InvalidArgument(argument, owner, f"be a {ndim}-D array of shape {shape}", arr)
    if any(s == 0 for s in arr.shape):
        raise InvalidArgument(argument, owner, "have no empty axis", arr)
    if arr.shape[-1] < 2:
        raise InvalidArgument(argument, owner, "have at least 2 classes (last axis)", arr)
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype), copy=False)
    if not np.isfinite(arr).all():
        raise InvalidArgument(argument, owner, "be finite (no NaN or ±inf)", arr)
    if (arr < 0).any():
        where = np.unravel_index(int(np.argmin(arr)), arr.shape)
        raise InvalidArgument(argument, owner,
                              f"be non-negative (entry {tuple(int(i) for i in where)} is "
                              f"{float(arr[where]):.3g})", arr)
    sums = arr.sum(axis=-1, dtype=np.float64)
    dev = np.abs(sums - 1.0)
    if atol is None:
        try:
            tol = max(default_atol(arr.dtype), default_atol(source_dtype))
        except (TypeError, ValueError):
            tol = default_atol(arr.dtype)
    else:
        tol = float(atol)
    worst = int(np.argmax(dev))
    if dev.flat[worst] > tol:
        where = tuple(int(i) for i in np.unravel_index(worst, sums.shape))
        raise InvalidArgument(argument, owner,
                              f"have rows (last axis) that sum to 1 within {tol:.3g} (row {where} "
                              f"sums to {float(sums.flat[worst]):.6g}; pass logits through "
                              "`from_logits`)", arr)
    if renormalize and dev.flat[worst] > 4 * arr.shape[-1] * np.finfo(arr.dtype).eps:
        arr = (arr / sums[..., None]).astype(arr.dtype, copy=False)
    return arr


def as_model(p, argument: str = "p", owner: str = "as_model", **kwargs) -> np.ndarray:
    """Validate one model, an (N, C) array (see :func:`as_probabilities`)."""
    return as_probabilities(p, argument, owner, ndim=2, **kwargs)


def as_labels(labels, n_classes: int | None, argument: str = "labels",
              owner: str = "as_labels") -> np.ndarray:
    """Integer class labels in ``[0, n_classes)`` as an (N,) int64 array."""
    arr = to_numpy(labels, argument, owner)
    arr = np.asarray(arr)
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidArgument(argument, owner, "be a non-empty 1-D array of class labels", arr)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise InvalidArgument(argument, owner, "contain integer class labels", arr)
    elif arr.dtype.kind not in "iu":
        raise InvalidArgument(argument, owner, "contain integer class labels", arr)
    arr = arr.astype(np.int64)
    hi = n_classes if n_classes is not None else int(arr.max()) + 1
    if arr.min() < 0 or arr.max() >= hi:
        raise InvalidArgument(argument, owner, f"lie in [0, {hi})",
                              f"labels in [{int(arr.min())}, {int(arr.max())}]")
    return arr


def _n(x, argument, owner, minimum):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < minimum:
        raise InvalidArgument(argument, owner, f"be an integer ≥ {minimum}", x)
    return int(x)


def ignorance(n_samples: int, n_classes: int, dtype=np.float64) -> np.ndarray:
    r"""Ignorance :math:`P_0`: :math:`p_0^n(c) = 1/C` for every sample (§2.2).

    Returns
    -------
    (N, C) ndarray
    """
    N = _n(n_samples, "n_samples", "ignorance", 1)
    C = _n(n_classes, "n_classes", "ignorance", 2)
    return np.full((N, C), 1.0 / C, dtype=dtype)


def truth(labels, n_classes: int, smoothing: float = 0.0, dtype=np.float64) -> np.ndarray:
    r"""Truth :math:`P_* = \delta_{\mathbf y^*}(\mathbf y)` (§2.2), optionally label-smoothed.

    With smoothing ε the correct class gets :math:`1-\varepsilon` and every other class
    :math:`\varepsilon/(C-1)` (the thesis's convention in §2.5.2: "the correct category has a
    probability of 0.9 and the remainder 0.1 is distributed uniformly across the other 999").
    PyTorch's ``label_smoothing=ε'`` corresponds to :math:`\varepsilon = \varepsilon'(C-1)/C`.

    Parameters
    ----------
    labels : (N,) array_like of int
        Ground-truth labels :math:`y_n^* \in \{0, \dots, C-1\}`.
    n_classes : int
    smoothing : float
        In :math:`[0, (C-1)/C]`; the upper end is ignorance.

    Returns
    -------
    (N, C) ndarray
    """
    C = _n(n_classes, "n_classes", "truth", 2)
    y = as_labels(labels, C, "labels", "truth")
    if isinstance(smoothing, bool) or not isinstance(smoothing, numbers.Real) \
            or not 0.0 <= float(smoothing) <= (C - 1) / C:
        raise InvalidArgument("smoothing", "truth", f"be in [0, (C-1)/C] = [0, {(C - 1) / C:.6g}]",
                              smoothing)
    eps = float(smoothing)
    out = np.full((y.size, C), eps / (C - 1), dtype=dtype)
    out[np.arange(y.size), y] = 1.0 - eps
    return out


def from_logits(logits, axis: int = -1) -> np.ndarray:
    r"""Softmax probabilities :math:`p(c) = e^{z_c}/\sum_j e^{z_j}`, computed stably.

    Parameters
    ----------
    logits : (..., C) array_like or torch.Tensor
        Finite logits.

    Returns
    -------
    (..., C) ndarray
        float64 unless the input is float32.
    """
    arr = _float_array(logits, "logits", "from_logits")
    if arr.ndim == 0 or not np.isfinite(arr).all():
        raise InvalidArgument("logits", "from_logits", "be a finite array with a class axis", arr)
    return scipy.special.softmax(arr, axis=axis)
