r"""Centroids of sets of product models (thesis Table 2.3, §2.2 "Computing averages", §3.5.6).

Every centroid here minimises a weighted sum of a divergence between product models, which
decouples over samples, so each is computed per sample n (for the geometric and harmonic means
of Table 2.3, whose printed divergences are garbled, the divergences below are the ones these
means actually minimise over the simplex):

=====================  ===========================================================  =============================
``kind``               minimises :math:`\sum_k w_k\,d(p_k, c)` with d =             centroid
=====================  ===========================================================  =============================
``arithmetic``         :math:`\sum_c (p_k-c)^2`                                      :math:`\sum_k w_kp_k`
``sqrt_arithmetic``    :math:`\sum_c (\sqrt{p_k}-\sqrt c)^2` (Hellinger)             :math:`\propto(\sum_k w_k\sqrt{p_k})^2`
``geometric``          :math:`\mathrm{KL}(c\,\|\,p_k)`                               :math:`\propto\prod_k p_k^{w_k}`
``harmonic``           :math:`\sum_c (c-p_k)^2/p_k` (Neyman χ²)                      :math:`\propto(\sum_k w_k/p_k)^{-1}`
``bhattacharyya``      :math:`-\log\sum_c\sqrt{p_kc}` (eq. 2.2.2)                    iterative (Nielsen & Boltz 2011)
``jeffreys``           :math:`\sum_c (p_k-c)\log(p_k/c)` (eq. 2.5.3)                 Lambert W (Nielsen 2013)
=====================  ===========================================================  =============================

*Bhattacharyya centroid.* The concave–convex procedure of Nielsen & Boltz for categorical
distributions (natural parameters :math:`\log(p_i/p_C)`, midpoint = normalised geometric mean) is
the fixed-point iteration

.. math:: c_i \leftarrow \sum_k w_k\,\frac{\sqrt{p_{k,i}c_i}}{\sum_j\sqrt{p_{k,j}c_j}},

whose fixed points are exactly the stationary points of the objective on the simplex.

*Jeffreys centroid.* For positive measures Nielsen's closed form is
:math:`c_i = a_i/W(e\,a_i/g_i)` (a, g the weighted arithmetic and geometric means; Table 2.3's
"AM/W(eAM/GM)"). For probability vectors the constraint :math:`\sum_i c_i = 1` adds a Lagrange
multiplier λ: :math:`c_i = a_i/W(e^{1+\lambda}a_i/g_i)`, with λ the root of a monotone scalar
equation (Newton with bisection safeguard). ``normalized=False`` returns the positive-measure
closed form. :math:`W(e^x)` is evaluated as the Wright omega function
(``scipy.special.wrightomega``), which does not overflow for large x (models that disagree
strongly).

*Zeros, per support.* Where every model puts probability 0 on a class, so does every centroid,
and :math:`0\log 0 = 0` in every divergence: the Jeffreys centroid and every objective are then
computed on the common support. Where the models' supports differ, every candidate has infinite
Jeffreys divergence (:func:`jeffreys_centroid` raises a named error) and the objectives are
:math:`+\infty`, never NaN.

*Log domain.* With ``log=True`` (or ``"logits"``) the models are log-probabilities and centroids
are returned as log-probabilities, computed without leaving the log domain
(:math:`\log\sum_k w_kp_k = \operatorname{logsumexp}_k(\log w_k + a_k)`, ...), so that classes
whose probabilities underflow keep exact logs.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> P = rng.dirichlet(np.ones(3), size=(5, 4))               # 5 models, 4 samples, 3 classes
>>> c = centroid(P, "jeffreys")
>>> bool(np.allclose(c.sum(-1), 1.0))
True
>>> f0 = centroid_objective(P, c, "jeffreys")
>>> all(f0 <= centroid_objective(P, centroid(P, k), "jeffreys") for k in CENTROIDS)
True
>>> bool(np.allclose(np.exp(centroid(np.log(P), "jeffreys", log=True)), c))
True
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.special

from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.prediction_space.arrays import as_array

from . import _exact
from .probabilities import as_models, check_log

__all__ = ["CENTROIDS", "centroid", "centroid_objective", "arithmetic_mean", "sqrt_arithmetic_mean",
           "geometric_mean", "harmonic_mean", "bhattacharyya_centroid", "jeffreys_centroid"]

CENTROIDS = ("arithmetic", "sqrt_arithmetic", "geometric", "harmonic", "bhattacharyya", "jeffreys")


def _prepare(models, weights, owner, log):
    kind = check_log(log, owner)
    P = as_models(models, "models", owner, kind).astype(np.float64, copy=False)
    K = P.shape[0]
    if weights is None:
        w = np.full(K, 1.0 / K)
    else:
        w = np.asarray(as_array(weights, "weights", owner), dtype=np.float64)
        if w.shape != (K,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.max() > 0:
            raise InvalidArgument("weights", owner, f"be {K} finite non-negative weights with a "
                                  "positive sum", weights)
        w = w / w.max()                  # first: the sum of weights near 1e308 would overflow
        w = w / w.sum()
    keep = w > 0
    return P[keep], w[keep], bool(kind)


def _logs(P, log):
    if log:
        return P
    with np.errstate(divide="ignore"):
        return np.log(P)


def _finish(logc, owner, log):
    """Normalise log-weights per sample; probabilities unless ``log``."""
    lse = _exact.logsumexp(logc, -1)
    if np.any(np.isneginf(lse)):
        n = int(np.flatnonzero(np.isneginf(lse))[0])
        raise InvalidArgument("models", owner, "share some class with positive probability on "
                              f"every sample (the centroid of sample {n} is undefined)",
                              f"sample {n} with no common class")
    out = logc - lse[..., None]
    return out if log else np.exp(out)


def arithmetic_mean(models, weights=None, *, log=False) -> np.ndarray:
    r"""Arithmetic mean :math:`\sum_k w_k p_k` (the ensembling average; §2.2, §3.5.6).

    Parameters
    ----------
    models : (K, N, C) array_like
    weights : (K,) array_like, optional
        Non-negative (normalised to sum 1); default uniform.
    log : {False, True, "logits"}
        Models (and the result) as log-probabilities.

    Returns
    -------
    (N, C) ndarray
    """
    P, w, log = _prepare(models, weights, "arithmetic_mean", log)
    if not log:
        return np.einsum("k,knc->nc", w, P)
    return _finish(_exact.logsumexp(np.log(w)[:, None, None] + P, 0), "arithmetic_mean", True)


def sqrt_arithmetic_mean(models, weights=None, *, log=False) -> np.ndarray:
    r"""Hellinger centroid :math:`\propto(\sum_k w_k\sqrt{p_k})^2` per sample."""
    P, w, log = _prepare(models, weights, "sqrt_arithmetic_mean", log)
    if not log:
        c = np.einsum("k,knc->nc", w, np.sqrt(P)) ** 2
        return _finish(_logs(c, False), "sqrt_arithmetic_mean", False)
    return _finish(2 * _exact.logsumexp(np.log(w)[:, None, None] + P / 2, 0),
                   "sqrt_arithmetic_mean", True)


def geometric_mean(models, weights=None, *, log=False) -> np.ndarray:
    r"""Normalised geometric mean :math:`\propto\prod_k p_k^{w_k}` (0 where any model has 0)."""
    P, w, log = _prepare(models, weights, "geometric_mean", log)
    A = _logs(P, log)
    zero = np.any(np.isneginf(A), axis=0)
    logc = np.einsum("k,knc->nc", w, np.where(np.isneginf(A), 0.0, A))
    return _finish(np.where(zero, -np.inf, logc), "geometric_mean", log)


def harmonic_mean(models, weights=None, *, log=False) -> np.ndarray:
    r"""Normalised harmonic mean :math:`\propto(\sum_k w_k/p_k)^{-1}` (0 where any model has 0)."""
    P, w, log = _prepare(models, weights, "harmonic_mean", log)
    A = _logs(P, log)
    zero = np.any(np.isneginf(A), axis=0)
    with np.errstate(over="ignore"):
        inv = _exact.logsumexp(np.log(w)[:, None, None] - np.where(np.isneginf(A), 0.0, A), 0)
    return _finish(np.where(zero, -np.inf, -inv), "harmonic_mean", log)


def bhattacharyya_centroid(models, weights=None, *, tol: float = 1e-14, max_iter: int = 100000,
                           return_iterations: bool = False, log=False):
    r"""Bhattacharyya centroid :math:`\operatorname{argmin}_c\sum_k w_k\,d_B(P_k, c)` (§2.2;
    Nielsen & Boltz 2011), by the fixed-point iteration of the module docstring (run on
    logarithms, :math:`\log c_i \leftarrow \operatorname{logsumexp}_k(\log w_k + \frac12(a_{k,i} +
    \log c_i) - \log\mathrm{BC}_k)`), started from the Hellinger centroid and stopped when no
    probability moves by more than ``tol``.

    Returns
    -------
    (N, C) ndarray, and the number of iterations if ``return_iterations``.
    """
    owner = "bhattacharyya_centroid"
    P, w, log = _prepare(models, weights, owner, log)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0:
        raise InvalidArgument("tol", owner, "be a positive number", tol)
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise InvalidArgument("max_iter", owner, "be a positive integer", max_iter)
    A = _logs(P, log)
    lw = np.log(w)[:, None, None]
    lc = _finish(2 * _exact.logsumexp(lw + A / 2, 0), owner, True)
    for it in range(1, int(max_iter) + 1):
        root = (A + lc[None]) / 2                              # (K, N, C)
        lbc = _exact.logsumexp(root, -1)[..., None]
        new = _exact.logsumexp(lw + root - lbc, 0)
        new = new - _exact.logsumexp(new, -1)[..., None]
        delta = float(np.max(np.abs(np.exp(new) - np.exp(lc))))
        lc = new
        if delta <= tol:
            break
    out = lc if log else np.exp(lc)
    return (out, it) if return_iterations else out


def jeffreys_centroid(models, weights=None, *, normalized: bool = True, log=False) -> np.ndarray:
    r"""Jeffreys (symmetrised-KL) centroid, closed form with Lambert W (Nielsen 2013).

    ``normalized=True``: the minimiser over probability vectors,
    :math:`c_i = a_i/W(e^{1+\lambda_n}a_i/g_i)` with :math:`\lambda_n` making each row sum to 1;
    ``normalized=False``: the minimiser over positive measures, :math:`c_i = a_i/W(e\,a_i/g_i)`.
    Computed on the common support of the models (0 on classes every model excludes).

    Raises
    ------
    InvalidArgument
        If on some sample one model gives a class probability 0 and another does not (every
        candidate then has infinite divergence).
    """
    owner = "jeffreys_centroid"
    if not isinstance(normalized, (bool, np.bool_)):
        raise InvalidArgument("normalized", owner, "be True or False", normalized)
    P, w, log = _prepare(models, weights, owner, log)
    A = _logs(P, log)
    zero = np.isneginf(A)
    mixed = zero.any(axis=0) & ~zero.all(axis=0)
    if np.any(mixed):
        n, c = (int(i) for i in np.argwhere(mixed)[0])
        raise InvalidArgument("models", owner, "have the same support on every sample (on "
                              f"sample {n} some model gives class {c} probability 0 and another "
                              "does not, so every candidate has infinite symmetrised KL "
                              "divergence)", f"mixed support at sample {n}, class {c}")
    support = ~zero[0]
    lw = np.log(w)[:, None, None]
    log_a = _exact.logsumexp(lw + A, 0)
    log_g = np.einsum("k,knc->nc", w, np.where(zero, 0.0, A))
    log_ratio = np.where(support, log_a - log_g, 0.0)                 # log(a/g) ≥ 0
    log_a = np.where(support, log_a, 0.0)

    def logc(t):
        Wv = scipy.special.wrightomega(t[:, None] + log_ratio)       # W(e^t a/g)
        return np.where(support, log_a - np.log(Wv), -np.inf), Wv

    if not normalized:
        lc = logc(np.ones(A.shape[1]))[0]
        return lc if log else np.exp(lc)

    def rows(t):
        lc, Wv = logc(t)
        c = np.exp(lc)
        return lc, c.sum(-1) - 1.0, -np.sum(c / (1.0 + Wv), axis=-1)

    # F(t) = Σ_i a_i / W(e^t a_i/g_i) − 1 decreases in t (t = 1 + λ); bracket, then Newton.
    lo, hi = np.full(A.shape[1], -1.0), np.full(A.shape[1], 3.0)
    while True:
        _, flo, _ = rows(lo)
        if np.all(flo > 0):
            break
        lo = np.where(flo > 0, lo, lo - 2 * (hi - lo))
    while True:
        _, fhi, _ = rows(hi)
        if np.all(fhi < 0):
            break
        hi = np.where(fhi < 0, hi, hi + 2 * (hi - lo))
    t = np.full(A.shape[1], 1.0)
    for _ in range(200):
        _, F, dF = rows(t)
        lo = np.where(F > 0, t, lo)
        hi = np.where(F <= 0, t, hi)
        step = t - F / dF
        t_new = np.where((step > lo) & (step < hi), step, 0.5 * (lo + hi))
        if np.all(np.abs(F) <= 4 * np.finfo(float).eps * A.shape[2]) or np.all(t_new == t):
            break
        t = t_new
    lc = rows(t)[0]
    return _finish(lc, owner, log)


_FUNCS = {"arithmetic": arithmetic_mean, "sqrt_arithmetic": sqrt_arithmetic_mean,
          "geometric": geometric_mean, "harmonic": harmonic_mean,
          "bhattacharyya": bhattacharyya_centroid, "jeffreys": jeffreys_centroid}


def centroid(models, kind: str = "arithmetic", weights=None, *, log=False, **kwargs) -> np.ndarray:
    """The centroid of ``kind`` (one of :data:`CENTROIDS`) of (K, N, C) models: (N, C)
    (log-probabilities with ``log``)."""
    if not isinstance(kind, str) or kind not in _FUNCS:
        raise InvalidArgument("kind", "centroid", "be one of " + ", ".join(CENTROIDS), kind)
    import inspect
    allowed = [k for k, v in inspect.signature(_FUNCS[kind]).parameters.items()
               if v.kind is v.KEYWORD_ONLY and k != "log"]
    for key in kwargs:
        if key not in allowed:
            raise InvalidArgument(key, "centroid", f"be a keyword of the {kind!r} centroid ("
                                  + (", ".join(allowed) if allowed else "it takes none") + ")",
                                  kwargs[key])
    return _FUNCS[kind](models, weights, log=log, **kwargs)


def centroid_objective(models, c, kind: str, weights=None, *, log=False) -> float:
    r"""The objective :math:`\sum_k w_k\,\frac1N\sum_n d(p_k^n, c^n)` that centroid ``kind``
    minimises (see the module table); used to verify minimality.

    Zeros per support: a class that a model and c both exclude contributes 0 (never NaN); one
    that exactly one of them excludes makes the KL-type divergences :math:`+\infty`.
    ``c`` is a probability (or, with ``log``, log-probability) array of shape (N, C).
    """
    owner = "centroid_objective"
    if not isinstance(kind, str) or kind not in _FUNCS:
        raise InvalidArgument("kind", owner, "be one of " + ", ".join(CENTROIDS), kind)
    P, w, log = _prepare(models, weights, owner, log)
    c = as_models(c, "c", owner, check_log(log, owner), ndim=2).astype(np.float64, copy=False)
    if c.shape != P.shape[1:]:
        raise InvalidArgument("c", owner, f"have shape {P.shape[1:]}", c)
    c = np.broadcast_to(c, P.shape)
    if kind == "arithmetic":
        d = _exact.terms(P, c, "euclidean", log)
    elif kind == "sqrt_arithmetic":
        d = 2.0 * _exact.half_chord2(P, c, log)
    elif kind == "bhattacharyya":
        d = _exact.terms(P, c, "bhattacharyya", log)
    elif kind == "jeffreys":
        d = _exact.terms(P, c, "symmetric_kl", log)
    else:
        A, L = _logs(P, log), _logs(c, log)
        pa, pc = (np.exp(A), np.exp(L)) if log else (P, c)
        za, zc = np.isneginf(A), np.isneginf(L)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if kind == "geometric":                          # KL(c || p)
                t = np.where(zc, 0.0, pc * (np.where(zc, 0.0, L) - np.where(za, 0.0, A)))
                t = np.where(~zc & za, np.inf, t)
            else:                                            # Σ (c − p)² / p
                t = np.where(za, 0.0, _exact.diff(c, P, log) ** 2 / np.where(za, 1.0, pa))
                t = np.where(za & ~zc, np.inf, t)
        d = np.sum(t, axis=-1)
    return float(np.einsum("k,k->", w, np.mean(d, axis=-1)))
