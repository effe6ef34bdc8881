r"""Exact distances between product models computed from log-probabilities (private).

Networks return float32 softmax outputs that underflow to exact zeros, after which the
probability-domain Bhattacharyya distance of two confident models is ``+inf``. From the
log-probabilities :math:`a_u^n(c) = \log p_u^n(c)` (``log_softmax``) everything is finite and
exact (thesis eqs. 2.2.2, 2.5.3, 2.5.4):

.. math:: \mathrm d_B(P_u, P_v) = -\frac1N\sum_n \operatorname{logsumexp}_c
          \tfrac12\big(a_u^n(c) + a_v^n(c)\big),

:math:`\mathrm d_G = \frac1N\sum_n\cos^{-1}\mathrm{BC}_n` with
:math:`\mathrm{BC}_n = \sum_c e^{(a_u^n(c) + a_v^n(c))/2}`, and
:math:`\mathrm d_{sKL} = \frac1N\sum_{n,c}(p_u^n(c) - p_v^n(c))(a_u^n(c) - a_v^n(c))`.

Since the public log-domain path landed, the distances are those of
:func:`hyperribbon.numerics.pairwise_distances` with ``log=True`` (exact terms near zero
distance, logsumexp where the supports are nearly disjoint); this module keeps the validation
that accepts either probabilities or log-probabilities (and says which rule a stack breaks),
the log-domain special points :math:`\log P_0`, :math:`\log P_*`, and the bridge
:func:`probabilities` to the probability-domain numerics.
"""
from __future__ import annotations

import numpy as np
import scipy.special

from hyperribbon.numerics import (as_labels, as_probabilities, default_atol, pairwise_distances,
                                  to_numpy)
from hyperribbon.theory import InvalidArgument

__all__ = ["LOG_METRICS", "as_log_probabilities", "log_ignorance", "log_truth",
           "pairwise_log_distances", "log_distances_to", "probabilities"]

LOG_METRICS = ("bhattacharyya", "geodesic", "symmetric_kl")


def as_log_probabilities(x, argument: str = "logp", owner: str = "as_log_probabilities", *,
                         kind: str = "auto", atol: float | None = None,
                         ndim: int = 3) -> np.ndarray:
    r"""Validate a stack of probabilities or log-probabilities; return normalised float64 logs.

    Parameters
    ----------
    x : (m, N, C) array_like or torch.Tensor
        Probabilities (entries in [0, 1], rows summing to 1) or log-probabilities (entries
        ≤ 0, :math:`\operatorname{logsumexp}_c = 0`; ``-inf`` means probability 0).
    kind : {"auto", "log", "probabilities"}
        ``"auto"``: log-probabilities if any entry is negative, probabilities otherwise (the two
        cannot be confused: a row that is both ≥ 0 and ≤ 0 is all zeros, normalised neither way).
    atol : float, optional
        Tolerance on the row normalisation; default
        :func:`hyperribbon.numerics.default_atol` of the input dtype (1e-5 for float32/64).
    ndim : {3, 2}

    Returns
    -------
    (m, N, C) float64 ndarray
        :math:`a - \operatorname{logsumexp}_c a` (exactly normalised in float64).

    Raises
    ------
    InvalidArgument
        Wrong shape, NaN or +inf, positive log-probabilities, or rows not normalised.
    """
    if kind not in ("auto", "log", "probabilities"):
        raise InvalidArgument("kind", owner, "be 'auto', 'log' or 'probabilities'", kind)
    raw = to_numpy(x, argument, owner)
    arr = np.asarray(raw)
    if arr.dtype.kind not in "biuf":
        raise InvalidArgument(argument, owner, "be an array of real numbers", arr)
    if arr.ndim != ndim or any(s == 0 for s in arr.shape) or arr.shape[-1] < 2:
        shape = "(m, N, C)" if ndim == 3 else "(N, C)"
        raise InvalidArgument(argument, owner, f"be a non-empty {ndim}-D array {shape} with at "
                              "least 2 classes", arr)
    if np.isnan(arr).any() or np.isposinf(arr).any():
        raise InvalidArgument(argument, owner, "contain no NaN or +inf", arr)
    tol = default_atol(arr.dtype) if atol is None else float(atol)
    if kind == "auto":
        kind = "log" if (arr < 0).any() else "probabilities"
    if kind == "probabilities":
        p = as_probabilities(arr, argument, owner, atol=tol, ndim=ndim).astype(np.float64)
        with np.errstate(divide="ignore"):
            a = np.log(p)
            a -= scipy.special.logsumexp(a, axis=-1, keepdims=True)
    else:
        a = arr.astype(np.float64)
        if (a > tol).any():
            raise InvalidArgument(argument, owner, f"be ≤ 0 (log-probabilities; largest entry "
                                  f"{float(a.max()):.6g})", arr)
        with np.errstate(divide="ignore"):
            lse = scipy.special.logsumexp(a, axis=-1)
        dev = np.abs(lse)
        worst = int(np.argmax(dev))
        if not np.isfinite(dev.flat[worst]) or dev.flat[worst] > tol:
            where = tuple(int(i) for i in np.unravel_index(worst, lse.shape))
            raise InvalidArgument(argument, owner, f"have rows with logsumexp 0 within {tol:.3g} "
                                  f"(normalised log-probabilities; row {where} has "
                                  f"{float(lse.flat[worst]):.6g})", arr)
        a = a - lse[..., None]
    return a


def probabilities(logp: np.ndarray) -> np.ndarray:
    r""":math:`e^{a}` in float64 (rows sum to 1 within :math:`C\varepsilon`).

    Everything :mod:`hyperribbon.numerics` computes from :math:`\sqrt p` (progress, geodesics,
    centroids) is exact to float64 from these: a probability lost to underflow is below
    :math:`e^{-745}`, its square root below :math:`10^{-161}`.
    """
    with np.errstate(under="ignore"):
        return np.exp(np.asarray(logp, dtype=np.float64))


def log_ignorance(n_samples: int, n_classes: int) -> np.ndarray:
    r""":math:`\log P_0`: every entry :math:`-\log C` (N, C)."""
    return np.full((int(n_samples), int(n_classes)), -np.log(n_classes))


def log_truth(labels, n_classes: int) -> np.ndarray:
    r""":math:`\log P_*`: 0 at the label, ``-inf`` elsewhere (N, C)."""
    y = as_labels(labels, n_classes, "labels", "log_truth")
    out = np.full((y.size, int(n_classes)), -np.inf)
    out[np.arange(y.size), y] = 0.0
    return out


def _check_metric(metric, owner):
    if metric not in LOG_METRICS:
        raise InvalidArgument("metric", owner, "be one of " + ", ".join(LOG_METRICS), metric)


def pairwise_log_distances(A, B=None, *, metric: str = "bhattacharyya") -> np.ndarray:
    r"""Distances between the models of ``A`` (and ``B``) from log-probabilities.

    .. math:: D_{uv} = -\frac1N\sum_n\operatorname{logsumexp}_c\tfrac12(a_u^n(c)+a_v^n(c))
       \quad\text{(eq. 2.2.2; eqs. 2.5.4, 2.5.3 for the other metrics)}

    Parameters
    ----------
    A : (m1, N, C) array_like
        Log-probabilities or probabilities (see :func:`as_log_probabilities`).
    B : (m2, N, C) array_like, optional
        Default ``A``: then D is symmetric with an exactly zero diagonal.
    metric : {"bhattacharyya", "geodesic", "symmetric_kl"}

    Returns
    -------
    (m1, m2) float64 ndarray
        Finite for d_B and d_G whenever every row has a finite log-probability; d_sKL is
        ``+inf`` where one model gives probability 0 to a class the other does not.

    Examples
    --------
    >>> from hyperribbon.numerics import pairwise_distances
    >>> rng = np.random.default_rng(0)
    >>> P = rng.dirichlet(np.ones(4), size=(5, 30))
    >>> D = pairwise_log_distances(np.log(P))
    >>> bool(np.allclose(D, pairwise_distances(P), rtol=0, atol=1e-13))
    True
    >>> big = np.zeros((2, 1, 2)); big[0, 0] = [0, -2000]; big[1, 0] = [-2000, 0]
    >>> round(float(pairwise_log_distances(big)[0, 1]), 9)     # float32 softmax would give +inf
    999.306852819
    """
    owner = "pairwise_log_distances"
    _check_metric(metric, owner)
    A = as_log_probabilities(A, "A", owner)
    same = B is None
    B = A if same else as_log_probabilities(B, "B", owner)
    if B.shape[1:] != A.shape[1:]:
        raise InvalidArgument("B", owner, f"have the same (N, C) = {A.shape[1:]} as `A`", B)
    D = pairwise_distances(A, None if same else B, metric=metric, log=True)
    if same:
        D = 0.5 * (D + D.T)
        np.fill_diagonal(D, 0.0)
    return D


def log_distances_to(A, ref, *, metric: str = "bhattacharyya") -> np.ndarray:
    r"""Distances of every model of ``A`` (m, N, C) to one model ``ref`` (N, C): (m,).

    Examples
    --------
    >>> a = np.log(np.array([[[0.5, 0.5]], [[0.9, 0.1]]]))
    >>> d = log_distances_to(a, log_truth([0], 2))         # d_B(P, P*) = -½ mean log p(y)
    >>> bool(np.allclose(d, -0.5 * np.log([0.5, 0.9])))
    True
    """
    ref = np.asarray(ref, dtype=np.float64)
    return pairwise_log_distances(A, ref[None], metric=metric)[:, 0]
