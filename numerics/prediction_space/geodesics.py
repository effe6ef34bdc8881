r"""Geodesics on the product of spheres and progress towards the truth (thesis eqs. 2.2.3–2.2.4).

With :math:`\sqrt{p^n}` a point of the unit sphere in :math:`\mathbb R^C`, the geodesic of the
Fisher metric between :math:`P_u` and :math:`P_v` is the product of great circles (eq. 2.2.3)

.. math:: \sqrt{p_{u,v}^{n,\alpha}} = \frac{\sin((1-\alpha)d_G^n)}{\sin d_G^n}\sqrt{p_u^n}
          + \frac{\sin(\alpha d_G^n)}{\sin d_G^n}\sqrt{p_v^n},
          \qquad d_G^n = \cos^{-1}\sum_c\sqrt{p_u^n(c)p_v^n(c)},

and the *progress* of a model is its projection onto the geodesic from ignorance to truth
(eq. 2.2.4), :math:`s_w = \operatorname{argmin}_{\alpha\in[0,1]} d_G(P_w, P^\alpha_{0,*})`.

Numerics. Each great circle lies in the plane spanned by :math:`e_1 = \sqrt{p_u^n}` and the unit
vector :math:`e_2` towards :math:`\sqrt{p_v^n}`; writing a model as
:math:`\sqrt{p_w^n} = a_n e_1 + b_n e_2 + r_n` with :math:`\rho_n = \|r_n\|` (computed directly,
without cancellation), the distance to the geodesic point at angle
:math:`\varphi_n = \alpha d_G^n` is

.. math:: \operatorname{atan2}\Big(\sqrt{\rho_n^2 + (a_n\sin\varphi_n - b_n\cos\varphi_n)^2},\;
          a_n\cos\varphi_n + b_n\sin\varphi_n\Big),

accurate even at zero distance (``arccos`` near 1 loses half the digits), and its α-derivative is
:math:`d_G^n\,T_n/S_n` with T, S the two atan2 arguments' building blocks. Progress is found by a
grid over [0, 1] (to pick the basin) followed by Brent's root finder (``scipy.optimize.brentq``) on
the derivative, which also pins down the kink when the model lies on the geodesic.

Progress is undefined on a geodesic of zero length (``start`` = ``end`` on every sample): every
α is a minimiser, and :func:`progress` raises a named error instead of returning 0.

*Log domain.* With ``log=True`` (or ``"logits"``) every model argument is given as
log-probabilities; the planes are built from :math:`\sqrt p = e^{a/2}` in float64 (it underflows
only below :math:`a = -1490`) and :math:`\sqrt q-\sqrt p` without cancellation, and the points
of the geodesic are returned as log-probabilities.

Examples
--------
>>> from hyperribbon.numerics.prediction_space.probabilities import ignorance, truth
>>> P0, Ps = ignorance(50, 4), truth(np.arange(50) % 4, 4)
>>> mid = geodesic(P0, Ps, [0.25, 0.7])                 # two points on the geodesic
>>> np.round(progress(mid, Ps), 12).tolist()
[0.25, 0.7]
>>> logmid = geodesic(np.log(P0), truth(np.arange(50) % 4, 4, log=True), [0.25, 0.7], log=True)
>>> bool(np.allclose(np.exp(logmid), mid, atol=1e-14))
True
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.optimize

from hyperribbon.theory.errors import InvalidArgument

from hyperribbon.theory.prediction_space.arrays import as_array

from . import _exact
from .distances import check_metric, distance
from .probabilities import as_models, check_log, ignorance

__all__ = ["geodesic", "geodesic_reference", "geodesic_objective", "progress",
           "progress_reference", "distance_to_geodesic", "GeodesicFrame"]


def _model(p, argument, owner, log=False):
    return as_models(p, argument, owner, log, ndim=2).astype(np.float64, copy=False)


def _models(p, argument, owner, log=False):
    arr = as_array(p, argument, owner)
    single = arr.ndim == 2
    out = as_models(arr, argument, owner, log, ndim=2 if single else 3).astype(np.float64,
                                                                               copy=False)
    return (out[None] if single else out), single


def _sqrt(x, log):
    r""":math:`\sqrt p` of probabilities or of log-probabilities (float64)."""
    return np.exp(0.5 * x) if log else np.sqrt(x)


class GeodesicFrame:
    r"""The per-sample planes of the geodesic from ``start`` to ``end`` (eq. 2.2.3).

    Parameters
    ----------
    start, end : (N, C) array_like
    owner : str
        Name used in error messages.
    log : {False, True, "logits"}
        Whether the models (arguments and :meth:`point`'s output) are log-probabilities.

    Attributes
    ----------
    e1, e2 : (N, C) ndarray
        Orthonormal basis of each sample's plane (:math:`e_1 = \sqrt{p_{start}}`).
    theta : (N,) ndarray
        :math:`d_G^n`, the angle from start to end on each sample (0 where they coincide).
    """

    def __init__(self, start, end, owner: str = "GeodesicFrame", log=False):
        self.log = check_log(log, owner)
        p = _model(start, "start", owner, self.log)
        q = _model(end, "end", owner, self.log)
        if p.shape != q.shape:
            raise InvalidArgument("end", owner, f"have the shape of `start` {p.shape}", q)
        e1 = _sqrt(p, self.log)
        d = _exact.sqrt_diff(q, p, bool(self.log))                         # √q − √p, accurate
        chord2 = np.sum(d * d, axis=-1, keepdims=True)
        self.theta = 2.0 * np.arcsin(np.minimum(np.sqrt(chord2[:, 0]) / 2.0, np.sqrt(0.5)))
        # √q minus its projection on √p: √q − cos θ √p = d + (1 − cos θ)√p, cos θ = 1 − |d|²/2
        w = d + 0.5 * chord2 * e1
        norm = np.sqrt(np.sum(w * w, axis=-1, keepdims=True))
        self.e1 = e1
        self.e2 = np.divide(w, norm, out=np.zeros_like(w), where=norm > 0)
        self.theta = np.where(norm[:, 0] > 0, self.theta, 0.0)

    @property
    def length(self) -> float:
        r"""The geodesic distance from start to end, :math:`\frac1N\sum_n d_G^n`."""
        return float(np.mean(self.theta))

    def point(self, alpha) -> np.ndarray:
        """The geodesic at ``alpha``: (N, C) for a scalar, (K, N, C) otherwise (probabilities, or
        log-probabilities for a frame built with ``log``)."""
        a = _alphas(alpha, "GeodesicFrame.point")
        phi = a[..., None, None] * self.theta[:, None]
        s = np.cos(phi) * self.e1 + np.sin(phi) * self.e2
        p = s * s
        if self.log:
            with np.errstate(divide="ignore"):
                return 2.0 * np.log(np.abs(s)) - np.log(p.sum(axis=-1, keepdims=True))
        return p / p.sum(axis=-1, keepdims=True)

    def coordinates(self, models: np.ndarray):
        """``(a, b, rho2)``, each (m, N): components of ``sqrt(models)`` in the planes (models
        validated in the frame's domain)."""
        s = _sqrt(models, bool(self.log))
        a = np.einsum("mnc,nc->mn", s, self.e1)
        b = np.einsum("mnc,nc->mn", s, self.e2)
        r = s - a[..., None] * self.e1 - b[..., None] * self.e2
        return a, b, np.einsum("mnc,mnc->mn", r, r)

    def angles(self, coords, alpha) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample distances to the geodesic point at ``alpha`` and their α-derivatives."""
        a, b, rho2 = coords
        phi = np.asarray(alpha, dtype=np.float64)[..., None] * self.theta
        c, s = np.cos(phi), np.sin(phi)
        T = a * s - b * c
        S = np.sqrt(rho2 + T * T)
        ang = np.arctan2(S, a * c + b * s)
        ratio = np.divide(T, S, out=np.sign(T), where=S > 0)
        return ang, self.theta * ratio


def _alphas(alpha, owner):
    a = np.asarray(as_array(alpha, "alpha", owner), dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise InvalidArgument("alpha", owner, "be finite", alpha)
    return a


def geodesic(p, q, alpha, *, log=False) -> np.ndarray:
    r"""Points of the geodesic from ``p`` to ``q`` (eq. 2.2.3).

    Parameters
    ----------
    p, q : (N, C) array_like
        End points (α = 0 gives p, α = 1 gives q).
    alpha : float or (K,) array_like
        Interpolation parameters (values outside [0, 1] extrapolate along the great circles).
    log : {False, True, "logits"}
        ``p`` and ``q`` (and the result) are log-probabilities.

    Returns
    -------
    (N, C) or (K, N, C) ndarray
        Probabilities (rows sum to 1), or log-probabilities.
    """
    a = _alphas(alpha, "geodesic")
    return GeodesicFrame(p, q, "geodesic", log).point(a)


def geodesic_reference(p, q, alpha) -> np.ndarray:
    r"""Slow obvious reference: eq. (2.2.3) literally, with ``arccos`` and the sine ratios (the
    coefficient as :math:`\sum_c\sqrt{p(c)}\sqrt{q(c)}`, which never underflows)."""
    p = _model(p, "p", "geodesic_reference")
    q = _model(q, "q", "geodesic_reference")
    out = []
    for al in np.atleast_1d(_alphas(alpha, "geodesic_reference")):
        rows = []
        for n in range(p.shape[0]):
            d = np.arccos(np.clip(np.sum(np.sqrt(p[n]) * np.sqrt(q[n])), -1.0, 1.0))
            if d == 0:
                rows.append(p[n])
                continue
            s = (np.sin((1 - al) * d) * np.sqrt(p[n]) + np.sin(al * d) * np.sqrt(q[n])) / np.sin(d)
            rows.append(s * s)
        out.append(np.array(rows))
    out = np.array(out)
    return out[0] if np.ndim(alpha) == 0 else out


def _ends(end, start, owner, log=False):
    end = _model(end, "end", owner, log)
    start = ignorance(*end.shape, log=bool(log)) if start is None \
        else _model(start, "start", owner, log)
    return start, end


def geodesic_objective(models, end, start=None, alpha=0.0, *, log=False) -> np.ndarray:
    r""":math:`d_G(P_w, P^\alpha_{start,end})` for every model and every α (accurate form).

    Returns
    -------
    (m, K) ndarray
    """
    owner = "geodesic_objective"
    log = check_log(log, owner)
    start, end = _ends(end, start, owner, log)
    X, _ = _models(models, "models", owner, log)
    frame = GeodesicFrame(start, end, owner, bool(log))
    coords = frame.coordinates(X)
    a = np.atleast_1d(_alphas(alpha, owner))
    return np.stack([frame.angles(coords, al)[0].mean(axis=-1) for al in a], axis=-1)


#: Largest initial grid of :func:`progress` (each grid point is one pass over all models).
MAX_PROGRESS_GRID = 10 ** 6


def _int(x, argument, owner, minimum):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < minimum:
        raise InvalidArgument(argument, owner, f"be an integer ≥ {minimum}", x)
    return int(x)


def progress(models, end, start=None, *, grid: int = 32, return_distance: bool = False,
             log=False):
    r"""Progress (eq. 2.2.4): :math:`s_w = \operatorname{argmin}_{\alpha\in[0,1]}
    d_G(P_w, P^\alpha_{start,end})`.

    Parameters
    ----------
    models : (m, N, C) or (N, C) array_like
    end : (N, C) array_like
        The truth :math:`P_*` (see :func:`~.probabilities.truth`).
    start : (N, C) array_like, optional
        Default: ignorance :math:`P_0`.
    grid : int
        Intervals of the initial grid over [0, 1] that selects the basin of the minimum
        (2 ≤ grid ≤ :data:`MAX_PROGRESS_GRID` = 10^6: Brent's method then refines the minimum
        to full precision, and every grid point costs one pass over the models).
    return_distance : bool
        Also return :math:`\min_\alpha d_G(P_w, P^\alpha)` (distance to the geodesic).
    log : {False, True, "logits"}
        ``models``, ``end`` and ``start`` are log-probabilities (or logits); e.g.
        ``truth(labels, C, log=True)`` for the end.

    Returns
    -------
    (m,) ndarray or float
        Progress in [0, 1] (and the distances, if asked).

    Raises
    ------
    InvalidArgument
        ``end`` equals ``start`` on every sample: the geodesic has zero length and every α is a
        minimiser (as :func:`~hyperribbon.theory.prediction_space.infogeo.confident_progress`
        refuses its degenerate case).
    """
    owner = "progress"
    grid = _int(grid, "grid", owner, 2)
    if grid > MAX_PROGRESS_GRID:
        raise InvalidArgument("grid", owner, f"be at most {MAX_PROGRESS_GRID} (the grid only "
                              "selects the basin; Brent's method refines the minimum to full "
                              "precision)", grid)
    if not isinstance(return_distance, (bool, np.bool_)):
        raise InvalidArgument("return_distance", owner, "be True or False", return_distance)
    log = check_log(log, owner)
    start, end = _ends(end, start, owner, log)
    X, single = _models(models, "models", owner, log)
    if X.shape[1:] != end.shape:
        raise InvalidArgument("models", owner, f"have (N, C) = {end.shape} like `end`", X)
    frame = GeodesicFrame(start, end, owner, bool(log))
    if not np.any(frame.theta > 0):
        raise InvalidArgument("end", owner, "differ from `start` on some sample (the geodesic "
                              "from start to end has zero length, so every α minimises the "
                              "distance and progress is undefined)", end)
    a, b, rho2 = frame.coordinates(X)
    alphas = np.linspace(0.0, 1.0, grid + 1)
    values = np.stack([frame.angles((a, b, rho2), al)[0].mean(axis=-1) for al in alphas], axis=1)
    best = np.argmin(values, axis=1)
    out = np.empty(len(X))
    dist = np.empty(len(X))
    for w in range(len(X)):
        cw = (a[w], b[w], rho2[w])

        def f(al, cw=cw):
            return frame.angles(cw, al)[0].mean()

        def df(al, cw=cw):
            return frame.angles(cw, al)[1].mean()

        k = best[w]
        lo, hi = alphas[max(k - 1, 0)], alphas[min(k + 1, grid)]
        candidates = [alphas[k]]
        for left, right in ((lo, alphas[k]), (alphas[k], hi)):
            if right > left:
                dl, dr = df(left), df(right)
                if dl < 0 < dr or (dl < 0 and dr == 0) or (dl == 0 and dr > 0):
                    candidates.append(scipy.optimize.brentq(df, left, right, xtol=1e-17,
                                                            rtol=4 * np.finfo(float).eps,
                                                            maxiter=500))
        vals = [f(c) for c in candidates]
        j = int(np.argmin(vals))
        out[w], dist[w] = candidates[j], vals[j]
    res = (float(out[0]), float(dist[0])) if single else (out, dist)
    return res if return_distance else res[0]


def progress_reference(model, end, start=None, *, n_grid: int = 2001) -> float:
    """Slow obvious reference: literal d_G of eq. (2.5.4) on geodesic points from
    :func:`geodesic_reference` over a dense grid, refined by bounded Brent minimisation."""
    owner = "progress_reference"
    start, end = _ends(end, start, owner)
    p = _model(model, "model", owner)

    def f(al):
        g = geodesic_reference(start, end, float(al))
        return np.mean(np.arccos(np.clip(np.sum(np.sqrt(p) * np.sqrt(g), axis=-1), 0.0, 1.0)))

    grid = np.linspace(0.0, 1.0, n_grid)
    k = int(np.argmin([f(al) for al in grid]))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, n_grid - 1)]
    r = scipy.optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-12})
    return float(r.x) if r.fun <= f(grid[k]) else float(grid[k])


def distance_to_geodesic(models, end, start=None, *, metric: str = "bhattacharyya",
                         log=False):
    r"""Distance of each model to its projection on the geodesic (thesis Fig. 2.17).

    The projection is :math:`P^{s_w}_{start,end}` with :math:`s_w` the progress (eq. 2.2.4);
    the distance is measured with ``metric`` (the thesis uses d_B).

    Returns
    -------
    distances : (m,) ndarray
    progress : (m,) ndarray
    """
    owner = "distance_to_geodesic"
    check_metric(metric, owner)
    log = check_log(log, owner)
    start, end = _ends(end, start, owner, log)
    X, single = _models(models, "models", owner, log)
    s = np.atleast_1d(progress(X, end, start, log=bool(log)))
    proj = GeodesicFrame(start, end, owner, bool(log)).point(s)
    d = np.atleast_1d(distance(X, proj, metric, log=bool(log)))
    return (float(d[0]), float(s[0])) if single else (d, s)


def _install():
    from hyperribbon.theory.prediction_space import infogeo
    infogeo.install_measure("progress", progress)


_install()
