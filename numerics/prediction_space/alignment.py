r"""The four-point basis of §2.4 and Kabsch–Umeyama alignment of embeddings (thesis eq. 2.4.1).

*Four-point basis.* Ignorance :math:`P_0`, truth :math:`P_*` and two progress-weighted averages
(eq. 2.4.1)

.. math:: P_s = \frac1Z\sum_{P'}\exp\Big(-\frac{(s_{P'}-s)^2}{2\sigma^2}\Big)P', \qquad
          Z = \sum_{P'}\exp\Big(-\frac{(s_{P'}-s)^2}{2\sigma^2}\Big),

stand-ins for the tangents of the trajectories at :math:`P_0` and :math:`P_*` (σ = 0.05 in the
thesis). Embedding these 4 models with InPCA and adding all others with eq. (2.2.9) gives the
"4-point" coordinates of Figs. 2.9–2.10.

*Alignment.* The Kabsch–Umeyama problem :math:`\min_{R,t,c}\sum_i\|cX_iR + t - Y_i\|^2` over
orthogonal R (rotations and sign flips, as in the thesis) is solved with
``scipy.linalg.orthogonal_procrustes`` on centred points; ``reflection=False`` restricts R to
proper rotations (Kabsch's determinant correction) and ``scale=True`` adds Umeyama's scale.
:func:`align_reference` is the textbook SVD formula of Umeyama (1991) the tests compare against.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((20, 3))
>>> Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
>>> a = align(X, X @ Q + [1.0, -2.0, 0.5])
>>> bool(a.rmsd < 1e-12 and np.allclose(a.rotation, Q))
True
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.prediction_space.arrays import as_array

from .centroids import arithmetic_mean
from .probabilities import as_models, check_log, ignorance

__all__ = ["four_point_basis", "progress_weighted_average", "Alignment", "align",
           "align_reference", "rmsd"]


def progress_weighted_average(models, progress, s: float, sigma: float = 0.05, *,
                              log=False) -> np.ndarray:
    r"""Eq. (2.4.1): the Gaussian-in-progress weighted average :math:`P_s` of ``models``.

    Parameters
    ----------
    models : (m, N, C) array_like
    progress : (m,) array_like
        Progress :math:`s_{P'}` of each model (eq. 2.2.4).
    s : float
    sigma : float
        Width (0.05 in the thesis).
    log : {False, True, "logits"}
        Models (and the result) are log-probabilities.

    Returns
    -------
    (N, C) ndarray
    """
    owner = "progress_weighted_average"
    log = check_log(log, owner)
    P = as_models(models, "models", owner, log)
    sp = np.asarray(as_array(progress, "progress", owner), dtype=np.float64)
    if sp.shape != (len(P),) or not np.all(np.isfinite(sp)):
        raise InvalidArgument("progress", owner, f"be {len(P)} finite progress values", progress)
    if isinstance(s, bool) or not isinstance(s, numbers.Real) or not np.isfinite(s):
        raise InvalidArgument("s", owner, "be a finite number", s)
    if isinstance(sigma, bool) or not isinstance(sigma, numbers.Real) \
            or not (np.isfinite(sigma) and sigma > 0):
        raise InvalidArgument("sigma", owner, "be a positive number", sigma)
    logw = -((sp - float(s)) ** 2) / (2.0 * sigma ** 2)
    w = np.exp(logw - logw.max())
    return arithmetic_mean(P, w, log=log)


def four_point_basis(models, progress, end, start=None, *, s1: float = 0.3, s2: float = 0.7,
                     sigma: float = 0.05, log=False) -> np.ndarray:
    r"""The four models :math:`(P_0, P_*, P_{s_1}, P_{s_2})` of §2.4 (eq. 2.4.1).

    Returns
    -------
    (4, N, C) ndarray
        Probabilities, or log-probabilities with ``log``.
    """
    owner = "four_point_basis"
    log = check_log(log, owner)
    end = as_models(end, "end", owner, log, ndim=2)
    start = ignorance(*end.shape, log=bool(log)) if start is None \
        else as_models(start, "start", owner, log, ndim=2)
    if start.shape != end.shape:
        raise InvalidArgument("start", owner, f"have the shape of `end` {end.shape}", start)
    return np.stack([start, end, progress_weighted_average(models, progress, s1, sigma, log=log),
                     progress_weighted_average(models, progress, s2, sigma, log=log)])


@dataclass(frozen=True)
class Alignment:
    """Result of :func:`align`: ``aligned = scale * X @ rotation + translation``.

    Attributes
    ----------
    rotation : (d, d) ndarray
        Orthogonal (det +1 when ``reflection=False``).
    translation : (d,) ndarray
    scale : float
    rmsd : float
        Root-mean-square deviation of the aligned X from Y.
    aligned : (n, d) ndarray
    """

    rotation: np.ndarray
    translation: np.ndarray
    scale: float
    rmsd: float
    aligned: np.ndarray


def _points(X, Y, owner):
    X = np.asarray(as_array(X, "X", owner), dtype=np.float64)
    Y = np.asarray(as_array(Y, "Y", owner), dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise InvalidArgument("X", owner, "be a non-empty (n, d) array of points", X)
    if X.shape != Y.shape:
        raise InvalidArgument("Y", owner, f"be an (n, d) array of the shape of X {X.shape}", Y)
    if not np.all(np.isfinite(X)):
        raise InvalidArgument("X", owner, "be finite", X)
    if not np.all(np.isfinite(Y)):
        raise InvalidArgument("Y", owner, "be finite", Y)
    return X, Y


def _scale_defined(X, owner):
    """Umeyama's scale divides by the spread of X: it is undefined when all points coincide."""
    if not np.any(X != X[0]):
        raise InvalidArgument("X", owner, "have at least two distinct points when scale=True "
                              "(the optimal scale divides by the spread of X, which is 0)", X)


def rmsd(X, Y) -> float:
    r"""Root-mean-square deviation :math:`\sqrt{\frac1n\sum_i\|X_i-Y_i\|^2}`."""
    X, Y = _points(X, Y, "rmsd")
    return float(np.sqrt(np.mean(np.sum((X - Y) ** 2, axis=1))))


def align(X, Y, *, reflection: bool = True, scale: bool = False) -> Alignment:
    r"""Kabsch–Umeyama: the translation, orthogonal map (and scale) best mapping X onto Y.

    .. math:: \min_{R^\top R = I,\ t,\ c}\ \sum_i \|c\,X_iR + t - Y_i\|^2

    Parameters
    ----------
    X, Y : (n, d) array_like
        Corresponding points (e.g. two embeddings of the same models).
    reflection : bool
        Allow sign flips (improper R), as the thesis does.
    scale : bool
        Fit the scale c (Umeyama); otherwise c = 1.
    """
    X, Y = _points(X, Y, "align")
    for name, v in (("reflection", reflection), ("scale", scale)):
        if not isinstance(v, (bool, np.bool_)):
            raise InvalidArgument(name, "align", "be True or False", v)
    if scale:
        _scale_defined(X, "align")
    mx, my = X.mean(axis=0), Y.mean(axis=0)
    Xc, Yc = X - mx, Y - my
    if reflection:
        R, sv_sum = scipy.linalg.orthogonal_procrustes(Xc, Yc)
    else:
        U, sv, Vt = np.linalg.svd(Xc.T @ Yc)
        d = np.sign(np.linalg.det(U @ Vt)) or 1.0
        sv = sv.copy()
        sv[-1] *= d
        U[:, -1] *= d
        R, sv_sum = U @ Vt, float(np.sum(sv))
    c = float(sv_sum / np.sum(Xc * Xc)) if scale else 1.0
    t = my - c * mx @ R
    aligned = c * X @ R + t
    return Alignment(R, t, float(c), rmsd(aligned, Y), aligned)


def align_reference(X, Y, *, reflection: bool = True, scale: bool = False) -> Alignment:
    """Slow obvious reference: Umeyama's (1991) closed form from the SVD of the covariance."""
    X, Y = _points(X, Y, "align_reference")
    if scale:
        _scale_defined(X, "align_reference")
    n, dim = X.shape
    mx, my = X.mean(0), Y.mean(0)
    cov = (Y - my).T @ (X - mx) / n                     # Σ_xy of Umeyama
    U, D, Vt = np.linalg.svd(cov)
    S = np.eye(dim)
    if not reflection and np.linalg.det(U) * np.linalg.det(Vt) < 0:
        S[-1, -1] = -1
    Rm = U @ S @ Vt                                     # maps x ↦ Rm x (column convention)
    var_x = np.mean(np.sum((X - mx) ** 2, axis=1))
    c = float(np.trace(np.diag(D) @ S) / var_x) if scale else 1.0
    t = my - c * Rm @ mx
    aligned = (c * Rm @ X.T).T + t
    return Alignment(Rm.T, t, c, rmsd(aligned, Y), aligned)
