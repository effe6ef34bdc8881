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
>>> z = np.array([[[800.0, 0.0, -5.0]]])                   # softmax underflows even in float64
>>> a = as_log_probabilities(z, logits=True)
>>> bool(np.exp(a[0, 0, 1]) == 0.0), float(a[0, 0, 1])
(True, -800.0)
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.special

from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.prediction_space.arrays import as_array

__all__ = ["as_probabilities", "as_model", "default_atol", "ignorance", "truth", "from_logits",
           "as_labels", "to_numpy", "as_log_probabilities", "check_log", "as_models",
           "LOG_KINDS"]

LOG_KINDS = (False, True, "logits")


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
    """``x`` as a numpy array: the one conversion helper of prediction space
    (:func:`hyperribbon.theory.prediction_space.arrays.as_array`; torch tensors, paths,
    stacks, lazy arrays, lists)."""
    return as_array(x, argument, owner)


def _float_array(x, argument: str, owner: str) -> np.ndarray:
    arr = as_array(x, argument, owner)
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
    _check_shape(arr, argument, owner, ndim)
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype), copy=False)
    if not np.isfinite(arr).all():
        raise InvalidArgument(argument, owner, "be finite (no NaN or ±inf)", arr)
    if (arr < 0).any():
        where = np.unravel_index(int(np.argmin(arr)), arr.shape)
        raise InvalidArgument(argument, owner,
                              f"be non-negative (entry {tuple(int(i) for i in where)} is "
                              f"{float(arr[where]):.3g}; log-probabilities need log=True)", arr)
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


def _check_shape(arr, argument, owner, ndim):
    if arr.ndim != ndim:
        shape = ("(m, N, C): models × samples × classes" if ndim == 3
                 else "(N, C): samples × classes")
        raise InvalidArgument(argument, owner, f"be a {ndim}-D array of shape {shape}", arr)
    if any(s == 0 for s in arr.shape):
        raise InvalidArgument(argument, owner, "have no empty axis", arr)
    if arr.shape[-1] < 2:
        raise InvalidArgument(argument, owner, "have at least 2 classes (last axis)", arr)


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


def ignorance(n_samples: int, n_classes: int, dtype=np.float64, *, log: bool = False) -> np.ndarray:
    r"""Ignorance :math:`P_0`: :math:`p_0^n(c) = 1/C` for every sample (§2.2).

    Returns
    -------
    (N, C) ndarray
        Probabilities, or their logarithms :math:`-\log C` with ``log=True``.
    """
    N = _n(n_samples, "n_samples", "ignorance", 1)
    C = _n(n_classes, "n_classes", "ignorance", 2)
    if _flag(log, "log", "ignorance"):
        return np.full((N, C), -np.log(C), dtype=dtype)
    return np.full((N, C), 1.0 / C, dtype=dtype)


def truth(labels, n_classes: int, smoothing: float = 0.0, dtype=np.float64, *,
          log: bool = False) -> np.ndarray:
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
    log : bool
        Return log-probabilities (:math:`-\infty` for the excluded classes when unsmoothed).

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
    if _flag(log, "log", "truth"):
        out = np.full((y.size, C), np.log(eps / (C - 1)) if eps > 0 else -np.inf, dtype=dtype)
        out[np.arange(y.size), y] = np.log1p(-eps)
        return out
    out = np.full((y.size, C), eps / (C - 1), dtype=dtype)
    out[np.arange(y.size), y] = 1.0 - eps
    return out


def from_logits(logits, axis: int = -1, *, log: bool = False) -> np.ndarray:
    r"""Softmax probabilities :math:`p(c) = e^{z_c}/\sum_j e^{z_j}`, computed stably.

    Parameters
    ----------
    logits : (..., C) array_like or torch.Tensor
        Finite logits.
    log : bool
        Return the log-softmax :math:`z_c - \log\sum_j e^{z_j}` instead (exact where the
        probabilities underflow).

    Returns
    -------
    (..., C) ndarray
        float64 unless the input is float32.
    """
    arr = _float_array(logits, "logits", "from_logits")
    if arr.ndim == 0 or not np.isfinite(arr).all():
        raise InvalidArgument("logits", "from_logits", "be a finite array with a class axis", arr)
    if _flag(log, "log", "from_logits"):
        return scipy.special.log_softmax(arr, axis=axis)
    return scipy.special.softmax(arr, axis=axis)


def _flag(x, argument, owner) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    raise InvalidArgument(argument, owner, "be True or False", x)


def check_log(log, owner: str, default=False):
    """The validated ``log`` keyword: ``False`` (probabilities), ``True`` (log-probabilities)
    or ``"logits"``; ``None`` means ``default``."""
    if log is None:
        return default
    if isinstance(log, (bool, np.bool_)):
        return bool(log)
    if isinstance(log, str) and log == "logits":
        return "logits"
    raise InvalidArgument("log", owner, "be False (probabilities), True (log-probabilities) or "
                          "'logits'", log)


def as_log_probabilities(x, argument: str = "log_probabilities",
                         owner: str = "as_log_probabilities", *, logits: bool = False,
                         atol: float | None = None, ndim: int = 3) -> np.ndarray:
    r"""Validate log-probabilities (or logits) and normalise them exactly: (m, N, C) or (N, C).

    .. math:: a^n(c) \mapsto a^n(c) - \log\textstyle\sum_{c'} e^{a^n(c')}

    Parameters
    ----------
    x : array_like, torch.Tensor, path or stack
        Log-probabilities :math:`\log p^n(c)` (``-inf`` means probability 0), or logits.
    logits : bool
        Accept any real scores (unnormalised); otherwise every entry must be ≤ ``atol`` and
        every row's :math:`\operatorname{logsumexp}` within ``atol`` of 0.
    atol : float, optional
        Default :func:`default_atol` of the input dtype (1e-5 for float32 and float64).
    ndim : {3, 2}

    Returns
    -------
    ndarray, float64
        Normalised log-probabilities (exact in float64 where ``exp`` would underflow).

    Raises
    ------
    InvalidArgument
        Wrong shape, NaN, :math:`+\infty`, a row that is all :math:`-\infty`, a positive entry or
        an unnormalised row (unless ``logits``); the message names the worst row.
    """
    source_dtype = getattr(x, "dtype", None)
    arr = _float_array(x, argument, owner)
    _check_shape(arr, argument, owner, ndim)
    arr = arr.astype(np.float64, copy=False)
    if np.isnan(arr).any():
        raise InvalidArgument(argument, owner, "be free of NaN", arr)
    if np.isposinf(arr).any():
        where = tuple(int(i) for i in np.argwhere(np.isposinf(arr))[0])
        raise InvalidArgument(argument, owner, f"have no +inf entry (entry {where})", arr)
    top = arr.max(axis=-1)
    if np.isneginf(top).any():
        where = tuple(int(i) for i in np.argwhere(np.isneginf(top))[0])
        raise InvalidArgument(argument, owner, f"have a finite entry in every row (row {where} "
                              "is all -inf: no probability anywhere)", arr)
    lse = scipy.special.logsumexp(arr, axis=-1)
    if not logits:
        try:
            tol = float(atol) if atol is not None else max(default_atol(np.float64),
                                                           default_atol(source_dtype))
        except (TypeError, ValueError):
            tol = default_atol(np.float64)
        if top.max() > tol:
            where = tuple(int(i) for i in np.unravel_index(int(np.argmax(arr)), arr.shape))
            raise InvalidArgument(argument, owner, f"be ≤ 0 as log-probabilities (entry {where} "
                                  f"is {float(arr[where]):.6g}; pass log='logits' for "
                                  "unnormalised scores)", arr)
        dev = np.abs(lse)
        worst = int(np.argmax(dev))
        if dev.flat[worst] > tol:
            where = tuple(int(i) for i in np.unravel_index(worst, lse.shape))
            raise InvalidArgument(argument, owner, f"have rows whose logsumexp is 0 within "
                                  f"{tol:.3g} (row {where} has {float(lse.flat[worst]):.6g}; "
                                  "pass log='logits' for unnormalised scores)", arr)
    return arr - lse[..., None]


def as_models(x, argument: str, owner: str, log=False, *, ndim: int = 3,
              atol: float | None = None, dtype=None) -> np.ndarray:
    """Models in the domain ``log`` (see :func:`check_log`): validated probabilities
    (:func:`as_probabilities`) or exactly normalised float64 log-probabilities
    (:func:`as_log_probabilities`)."""
    if log:
        return as_log_probabilities(x, argument, owner, logits=log == "logits", atol=atol,
                                    ndim=ndim)
    return as_probabilities(x, argument, owner, atol=atol, ndim=ndim, dtype=dtype)
