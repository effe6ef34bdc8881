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

Kernel. With :math:`e_u = e^{a_u/2}` (float64; it underflows only for :math:`a < -1490`),
:math:`\mathrm{BC}_n(u,v) = e_u^n\cdot e_v^n` is one batched matrix product per block of samples.
Entries are then recomputed exactly where the product cannot be trusted:

* :math:`\mathrm{BC} < 2^{-900}` (supports almost disjoint; a factor may have underflowed):
  :math:`\log\mathrm{BC}` by ``scipy.special.logsumexp`` of the (C,) half-sums;
* geodesic distance with :math:`h = 1-\mathrm{BC} < 10^{-8}` (``arccos`` near 1 loses half the
  digits): :math:`h = \tfrac12\sum_c (e_u - e_v)^2` with
  :math:`e_u - e_v = e_v\,\mathrm{expm1}((a_u - a_v)/2)` and :math:`d_G = 2\arcsin\sqrt{h/2}`.
  Elsewhere ``arccos`` has absolute error below :math:`\varepsilon/\sqrt{2\cdot10^{-8}}
  \approx 2\cdot10^{-12}`.

The Bhattacharyya distance keeps an absolute error of a few :math:`C\varepsilon` per sample (as
the probability-domain tiles of :func:`hyperribbon.numerics.pairwise_distances`). The symmetrised
KL divergence is one (m, NC)×(NC, m) product of :math:`p` with :math:`a` (``0·log 0 = 0``;
``+inf`` exactly when one model excludes a class the other does not).

A public ``log=True`` path in :mod:`hyperribbon.numerics` will replace this module.
"""
from __future__ import annotations

import numpy as np
import scipy.special

from hyperribbon.numerics import as_labels, as_probabilities, default_atol, to_numpy
from hyperribbon.theory import InvalidArgument

__all__ = ["LOG_METRICS", "as_log_probabilities", "log_ignorance", "log_truth",
           "pairwise_log_distances", "log_distances_to", "probabilities"]

LOG_METRICS = ("bhattacharyya", "geodesic", "symmetric_kl")
_TINY = 2.0 ** -900
_H_SMALL = 1e-8


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


def _bc_distances(A, B, metric, chunk_elements, bar):
    m1, N, C = A.shape
    m2 = B.shape[0]
    with np.errstate(under="ignore"):
        EA = np.ascontiguousarray(np.exp(0.5 * A).transpose(1, 0, 2))      # (N, m1, C)
        EB = np.ascontiguousarray(np.exp(0.5 * B).transpose(1, 2, 0))      # (N, C, m2)
    total = np.zeros((m1, m2))
    step = max(1, int(chunk_elements) // max(1, m1 * m2))
    for n0 in range(0, N, step):
        n1 = min(N, n0 + step)
        S = np.matmul(EA[n0:n1], EB[n0:n1])                                 # (n, m1, m2)
        np.clip(S, 0.0, 1.0, out=S)
        tiny = S < _TINY
        if metric == "bhattacharyya":
            with np.errstate(divide="ignore"):
                per = -np.log(np.where(tiny, 1.0, S))
        else:
            per = np.arccos(S)
        if tiny.any():
            n, u, v = np.nonzero(tiny)
            half = 0.5 * (A[u, n0 + n] + B[v, n0 + n])                       # (F, C)
            with np.errstate(divide="ignore"):
                lbc = scipy.special.logsumexp(half, axis=-1)
            per[n, u, v] = -lbc if metric == "bhattacharyya" else np.arccos(np.exp(lbc))
        if metric == "geodesic":
            near = (1.0 - S) < _H_SMALL
            if near.any():
                n, u, v = np.nonzero(near)
                for k0 in range(0, n.size, 2 ** 18):
                    sl = slice(k0, k0 + 2 ** 18)
                    au, av = A[u[sl], n0 + n[sl]], B[v[sl], n0 + n[sl]]
                    fin = np.isfinite(au) & np.isfinite(av)
                    with np.errstate(under="ignore", invalid="ignore"):
                        ev = np.exp(0.5 * av)
                        diff = np.where(fin, ev * np.expm1(0.5 * np.where(fin, au - av, 0.0)),
                                        np.exp(0.5 * au) - ev)
                    h = 0.5 * np.sum(diff * diff, axis=-1)
                    per[n[sl], u[sl], v[sl]] = 2.0 * np.arcsin(np.minimum(np.sqrt(h / 2.0),
                                                                          np.sqrt(0.5)))
        total += per.sum(axis=0)
        if bar is not None:
            bar.update(n1 - n0)
    return total / N


def _skl_distances(A, B):
    m1, N, C = A.shape
    m2 = B.shape[0]
    with np.errstate(under="ignore"):
        PA, PB = np.exp(A).reshape(m1, -1), np.exp(B).reshape(m2, -1)
    FA = np.where(np.isfinite(A), A, 0.0).reshape(m1, -1)
    FB = np.where(np.isfinite(B), B, 0.0).reshape(m2, -1)
    sA, sB = np.sum(PA * FA, axis=1), np.sum(PB * FB, axis=1)                # Σ p log p
    D = (sA[:, None] + sB[None, :] - PA @ FB.T - (PB @ FA.T).T) / N
    excl_a = np.isneginf(A).reshape(m1, -1).astype(np.float64)
    excl_b = np.isneginf(B).reshape(m2, -1).astype(np.float64)
    violated = ((PA > 0).astype(np.float64) @ excl_b.T > 0) \
        | ((excl_a @ (PB > 0).astype(np.float64).T) > 0)
    D = np.maximum(D, 0.0)
    D[violated] = np.inf
    return D


def pairwise_log_distances(A, B=None, *, metric: str = "bhattacharyya",
                           chunk_elements: int = 2 ** 22, show_progress: bool = False
                           ) -> np.ndarray:
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
    chunk_elements : int
        Size of the (samples, m1, m2) blocks of inner products held at once.
    show_progress : bool
        A tqdm bar over samples.

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
    >>> float(pairwise_log_distances(big)[0, 1])       # float32 softmax would give +inf
    999.3068528194401
    """
    owner = "pairwise_log_distances"
    _check_metric(metric, owner)
    if isinstance(chunk_elements, bool) or not isinstance(chunk_elements, (int, np.integer)) \
            or chunk_elements < 1:
        raise InvalidArgument("chunk_elements", owner, "be a positive integer", chunk_elements)
    A = as_log_probabilities(A, "A", owner)
    same = B is None
    B = A if same else as_log_probabilities(B, "B", owner)
    if B.shape[1:] != A.shape[1:]:
        raise InvalidArgument("B", owner, f"have the same (N, C) = {A.shape[1:]} as `A`", B)
    if metric == "symmetric_kl":
        D = _skl_distances(A, B)
    else:
        bar = None
        if show_progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=A.shape[1], desc=f"d_{metric[0].upper()} pairs", unit="sample",
                       leave=False)
        try:
            D = _bc_distances(A, B, metric, chunk_elements, bar)
        finally:
            if bar is not None:
                bar.close()
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
