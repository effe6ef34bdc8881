r"""Accurate per-sample distance terms in the probability and the log domain (private).

Every formula here avoids cancellation where it matters:

* :math:`\sqrt p - \sqrt q = (p - q)/(\sqrt p + \sqrt q)` (probabilities; :math:`p - q` is exact
  when p and q are within a factor 2) or :math:`e^{M/2}\,(-\mathrm{expm1}((m - M)/2))` with
  :math:`M, m` the larger and smaller log (log domain);
* :math:`h = 1 - \mathrm{BC} = \tfrac12\|\sqrt p - \sqrt q\|^2` from those differences, never as
  :math:`1 - \sum_c\sqrt{pq}`;
* :math:`-\log\mathrm{BC} = -\mathrm{log1p}(-h)` while :math:`h < \tfrac12`, else
  :math:`-\operatorname{logsumexp}_c\tfrac12(\log p + \log q)` (exact down to the smallest
  positive double and beyond: no product of probabilities is formed);
* :math:`\cos^{-1}\mathrm{BC} = 2\arcsin\sqrt{h/2}` (``arccos`` near 1 loses half the digits);
* :math:`\log(p/q) = \mathrm{log1p}((p-q)/q)` for :math:`\tfrac12\le p/q\le 2`, else
  :math:`\log p - \log q`; in the log domain :math:`a - b` directly.

Zeros are handled per support: :math:`0\log 0 = 0` where both models exclude a class, and
:math:`+\infty` where exactly one does (symmetrised KL) or the supports are disjoint
(Bhattacharyya). All functions take float64 arrays of shape (..., C) that broadcast against each
other and return (...) arrays.
"""
from __future__ import annotations

import numpy as np

#: The metrics every distance path computes (kept here, torch-free, so that importing the
#: distances does not import the torch tile kernels of :mod:`._tiles`).
METRICS = ("bhattacharyya", "geodesic", "symmetric_kl", "euclidean")

__all__ = ["sqrt_diff", "diff", "half_chord2", "log_bc", "terms", "logsumexp"]


def logsumexp(x, axis=-1) -> np.ndarray:
    """``log(sum(exp(x), axis))`` stably; -inf (without a warning) where every term is -inf."""
    x = np.asarray(x, dtype=np.float64)
    top = np.max(x, axis=axis, keepdims=True)
    safe = np.where(np.isneginf(top), 0.0, top)
    with np.errstate(divide="ignore", under="ignore"):
        out = np.log(np.sum(np.exp(x - safe), axis=axis, keepdims=True)) + safe
    return np.squeeze(np.where(np.isneginf(top), -np.inf, out), axis=axis)


def _logs(x, log):
    if log:
        return x
    with np.errstate(divide="ignore"):
        return np.log(x)


def sqrt_diff(x, y, log: bool) -> np.ndarray:
    r""":math:`\sqrt p - \sqrt q` entry by entry, to a few rounding units of its own size."""
    if not log:
        x, y = np.broadcast_arrays(x, y)
        den = np.sqrt(x) + np.sqrt(y)
        return np.divide(x - y, den, out=np.zeros(den.shape), where=den > 0)
    return diff(0.5 * np.asarray(x), 0.5 * np.asarray(y), True)


def diff(x, y, log: bool) -> np.ndarray:
    r""":math:`p - q` entry by entry (log domain: :math:`e^a - e^b` without cancellation)."""
    if not log:
        return np.asarray(x) - np.asarray(y)
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    hi, lo = np.maximum(x, y), np.minimum(x, y)
    both = np.isneginf(hi)
    with np.errstate(invalid="ignore", over="ignore"):
        mag = np.exp(hi) * -np.expm1(np.where(both, 0.0, lo - hi))
    mag = np.where(both, 0.0, mag)
    return np.where(x >= y, mag, -mag)


def half_chord2(x, y, log: bool) -> np.ndarray:
    r""":math:`h = 1 - \mathrm{BC} = \tfrac12\sum_c(\sqrt{p(c)} - \sqrt{q(c)})^2`."""
    d = sqrt_diff(x, y, log)
    return 0.5 * np.einsum("...c,...c->...", d, d)


def log_bc(x, y, log: bool) -> np.ndarray:
    r""":math:`\log\mathrm{BC} = \operatorname{logsumexp}_c \tfrac12(\log p(c) + \log q(c))`
    (:math:`-\infty` for disjoint supports)."""
    return logsumexp(0.5 * (_logs(np.asarray(x, dtype=np.float64), log)
                            + _logs(np.asarray(y, dtype=np.float64), log)), -1)


def _bhattacharyya(x, y, log):
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    h = half_chord2(x, y, log)
    far = h >= 0.5
    out = -np.log1p(-np.minimum(h, 0.5))
    if np.any(far):
        out[far] = -log_bc(x[far], y[far], log)
    return np.maximum(out, 0.0)


def _symmetric_kl(x, y, log):
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    if log:
        zx, zy = np.isneginf(x), np.isneginf(y)
        with np.errstate(invalid="ignore"):
            lr = np.where(zx | zy, 0.0, x - y)
    else:
        zx, zy = x == 0, y == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.divide(x, y, out=np.zeros(x.shape), where=~zy)
            near = (ratio >= 0.5) & (ratio <= 2.0)
            rel = np.divide(x - y, y, out=np.zeros(x.shape), where=~zy)
            lr = np.where(near, np.log1p(np.where(near, rel, 0.0)),
                          np.where(zx | zy, 0.0, np.log(np.where(zx, 1.0, x))
                                   - np.log(np.where(zy, 1.0, y))))
    t = diff(x, y, log) * lr
    t = np.where(zx ^ zy, np.inf, t)
    return np.sum(t, axis=-1)


def terms(x, y, metric: str, log: bool) -> np.ndarray:
    r"""Per-sample distance terms: :math:`-\log\mathrm{BC}`, :math:`\cos^{-1}\mathrm{BC}`,
    :math:`\sum_c (p-q)\log(p/q)` or :math:`\sum_c (p-q)^2`, for (..., C) inputs."""
    if metric == "bhattacharyya":
        return _bhattacharyya(x, y, log)
    if metric == "geodesic":
        h = half_chord2(x, y, log)
        return 2.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0) / 2.0))
    if metric == "symmetric_kl":
        return _symmetric_kl(x, y, log)
    d = diff(x, y, log)
    return np.einsum("...c,...c->...", d, d)
