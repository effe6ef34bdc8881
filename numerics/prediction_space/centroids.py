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
closed form.

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
"""
from __future__ import annotations

import numpy as np
import scipy.special

from hyperribbon.theory.errors import InvalidArgument

from .probabilities import as_probabilities

__all__ = ["CENTROIDS", "centroid", "centroid_objective", "arithmetic_mean", "sqrt_arithmetic_mean",
           "geometric_mean", "harmonic_mean", "bhattacharyya_centroid", "jeffreys_centroid"]

CENTROIDS = ("arithmetic", "sqrt_arithmetic", "geometric", "harmonic", "bhattacharyya", "jeffreys")


def _prepare(models, weights, owner):
    P = as_probabilities(models, "models", owner).astype(np.float64, copy=False)
    K = P.shape[0]
    if weights is None:
        w = np.full(K, 1.0 / K)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (K,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise InvalidArgument("weights", owner, f"be {K} finite non-negative weights with a "
                                  "positive sum", weights)
        w = w / w.sum()
    return P, w


def _normalize(c, owner):
    s = c.sum(axis=-1, keepdims=True)
    if np.any(s <= 0):
        n = int(np.flatnonzero(s[..., 0] <= 0)[0])
        raise InvalidArgument("models", owner, "share some class with positive probability on "
                              f"every sample (the centroid of sample {n} is undefined)", s)
    return c / s


def arithmetic_mean(models, weights=None) -> np.ndarray:
    r"""Arithmetic mean :math:`\sum_k w_k p_k` (the ensembling average; §2.2, §3.5.6).

    Parameters
    ----------
    models : (K, N, C) array_like
    weights : (K,) array_like, optional
        Non-negative (normalised to sum 1); default uniform.

    Returns
    -------
    (N, C) ndarray
    """
    P, w = _prepare(models, weights, "arithmetic_mean")
    return np.einsum("k,knc->nc", w, P)


def sqrt_arithmetic_mean(models, weights=None) -> np.ndarray:
    r"""Hellinger centroid :math:`\propto(\sum_k w_k\sqrt{p_k})^2` per sample."""
    P, w = _prepare(models, weights, "sqrt_arithmetic_mean")
    return _normalize(np.einsum("k,knc->nc", w, np.sqrt(P)) ** 2, "sqrt_arithmetic_mean")


def geometric_mean(models, weights=None) -> np.ndarray:
    r"""Normalised geometric mean :math:`\propto\prod_k p_k^{w_k}` (0 where any model has 0)."""
    P, w = _prepare(models, weights, "geometric_mean")
    with np.errstate(divide="ignore"):
        logs = np.einsum("k,knc->nc", w, np.log(P), optimize=False)
    logs = np.where(np.any(P[w > 0] == 0, axis=0), -np.inf, logs)
    top = np.max(logs, axis=-1, keepdims=True)
    return _normalize(np.exp(logs - np.where(np.isfinite(top), top, 0.0)), "geometric_mean")


def harmonic_mean(models, weights=None) -> np.ndarray:
    r"""Normalised harmonic mean :math:`\propto(\sum_k w_k/p_k)^{-1}` (0 where any model has 0)."""
    P, w = _prepare(models, weights, "harmonic_mean")
    zero = np.any(P[w > 0] == 0, axis=0)
    with np.errstate(divide="ignore"):
        inv = np.einsum("k,knc->nc", w, 1.0 / np.where(P > 0, P, 1.0))
    h = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, inv))
    return _normalize(h, "harmonic_mean")


def bhattacharyya_centroid(models, weights=None, *, tol: float = 1e-14, max_iter: int = 100000,
                           return_iterations: bool = False):
    r"""Bhattacharyya centroid :math:`\operatorname{argmin}_c\sum_k w_k\,d_B(P_k, c)` (§2.2;
    Nielsen & Boltz 2011), by the fixed-point iteration of the module docstring, started from
    the Hellinger centroid and stopped when no entry moves by more than ``tol``.

    Returns
    -------
    (N, C) ndarray, and the number of iterations if ``return_iterations``.
    """
    owner = "bhattacharyya_centroid"
    P, w = _prepare(models, weights, owner)
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise InvalidArgument("tol", owner, "be a positive number", tol)
    S = np.sqrt(P)
    c = _normalize(np.einsum("k,knc->nc", w, S) ** 2, owner)
    for it in range(1, max_iter + 1):
        root = S * np.sqrt(c)[None]                          # (K, N, C)
        bc = root.sum(axis=-1, keepdims=True)
        new = np.einsum("k,knc->nc", w, root / bc)
        new /= new.sum(axis=-1, keepdims=True)
        delta = float(np.max(np.abs(new - c)))
        c = new
        if delta <= tol:
            break
    return (c, it) if return_iterations else c


def _lambert_w(z):
    return np.real(scipy.special.lambertw(z))


def jeffreys_centroid(models, weights=None, *, normalized: bool = True) -> np.ndarray:
    r"""Jeffreys (symmetrised-KL) centroid, closed form with Lambert W (Nielsen 2013).

    ``normalized=True``: the minimiser over probability vectors,
    :math:`c_i = a_i/W(e^{1+\lambda_n}a_i/g_i)` with :math:`\lambda_n` making each row sum to 1;
    ``normalized=False``: the minimiser over positive measures, :math:`c_i = a_i/W(e\,a_i/g_i)`.

    Raises
    ------
    InvalidArgument
        If some model assigns probability 0 to a class (every candidate then has infinite
        divergence).
    """
    owner = "jeffreys_centroid"
    P, w = _prepare(models, weights, owner)
    if np.any(P[w > 0] <= 0):
        raise InvalidArgument("models", owner, "be strictly positive (the symmetrised KL "
                              "divergence to a model with a zero is infinite)", P)
    a = np.einsum("k,knc->nc", w, P)
    log_ratio = np.log(a) - np.einsum("k,knc->nc", w, np.log(P))      # log(a/g) ≥ 0
    if not normalized:
        return a / _lambert_w(np.exp(1.0 + log_ratio))

    def rows(t):
        Wv = _lambert_w(np.exp(t[:, None] + log_ratio))
        c = a / Wv
        return c, c.sum(-1) - 1.0, -np.sum(c / (1.0 + Wv), axis=-1)

    # F(t) = Σ_i a_i / W(e^t a_i/g_i) − 1 decreases in t (t = 1 + λ); bracket, then Newton.
    lo, hi = np.full(a.shape[0], -1.0), np.full(a.shape[0], 3.0)
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
    t = np.full(a.shape[0], 1.0)
    for _ in range(200):
        c, F, dF = rows(t)
        lo = np.where(F > 0, t, lo)
        hi = np.where(F <= 0, t, hi)
        step = t - F / dF
        t_new = np.where((step > lo) & (step < hi), step, 0.5 * (lo + hi))
        if np.all(np.abs(F) <= 4 * np.finfo(float).eps * a.shape[1]) or np.all(t_new == t):
            break
        t = t_new
    c, _, _ = rows(t)
    return c / c.sum(-1, keepdims=True)


_FUNCS = {"arithmetic": arithmetic_mean, "sqrt_arithmetic": sqrt_arithmetic_mean,
          "geometric": geometric_mean, "harmonic": harmonic_mean,
          "bhattacharyya": bhattacharyya_centroid, "jeffreys": jeffreys_centroid}


def centroid(models, kind: str = "arithmetic", weights=None, **kwargs) -> np.ndarray:
    """The centroid of ``kind`` (one of :data:`CENTROIDS`) of (K, N, C) models: (N, C)."""
    if kind not in _FUNCS:
        raise InvalidArgument("kind", "centroid", "be one of " + ", ".join(CENTROIDS), kind)
    return _FUNCS[kind](models, weights, **kwargs)


def centroid_objective(models, c, kind: str, weights=None) -> float:
    r"""The objective :math:`\sum_k w_k\,\frac1N\sum_n d(p_k^n, c^n)` that centroid ``kind``
    minimises (see the module table); used to verify minimality."""
    owner = "centroid_objective"
    if kind not in _FUNCS:
        raise InvalidArgument("kind", owner, "be one of " + ", ".join(CENTROIDS), kind)
    P, w = _prepare(models, weights, owner)
    c = np.asarray(c, dtype=np.float64)
    if c.shape != P.shape[1:]:
        raise InvalidArgument("c", owner, f"have shape {P.shape[1:]}", c)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "arithmetic":
            d = np.sum((P - c) ** 2, -1)
        elif kind == "sqrt_arithmetic":
            d = np.sum((np.sqrt(P) - np.sqrt(c)) ** 2, -1)
        elif kind == "geometric":
            d = np.sum(np.where(c > 0, c * (np.log(c) - np.log(P)), 0.0), -1)
        elif kind == "harmonic":
            d = np.sum(np.where(P > 0, (c - P) ** 2 / P, np.where(c > 0, np.inf, 0.0)), -1)
        elif kind == "bhattacharyya":
            d = -np.log(np.sum(np.sqrt(P * c), -1))
        else:
            d = np.sum((P - c) * (np.log(P) - np.log(c)), -1)
    return float(np.einsum("k,k->", w, np.mean(d, axis=-1)))
