r"""Training trajectories in prediction space: reindexing by progress and distances between
trajectories (thesis §2.2 eq. 2.2.5, §2.5.4.1, §3.5.6).

A trajectory is a sequence of checkpoints :math:`(P_{u(k)})_{k=0..T}`, stored (T+1, N, C).
:func:`reindex_by_progress` turns it into a curve :math:`\tau_u = (P_{u(s)})` sampled at any
progress values s: with :math:`s_k` the progress of checkpoint k (eq. 2.2.4), a value
:math:`s\in[s_k, s_{k+1}]` is reached at :math:`\alpha = (s - s_k)/(s_{k+1} - s_k)` on the
geodesic (eq. 2.2.3) between checkpoints k and k+1. Progress need not be monotone along a
trajectory; the first segment that contains s is used (``rule="first"``) or the last
(``rule="last"``); values no segment reaches are flagged invalid (and filled with the nearest
end checkpoint so that every array stays a valid probability array).

Distances between trajectories compare points at equal progress (eq. 2.2.5),

.. math:: d_{traj}(\tau_u, \tau_v) = \int_0^1 d_B(P_{u(s)}, P_{v(s)})\,ds,

by the trapezoidal rule on the common grid (over the intervals where both are valid). Mean
trajectories, tube radii :math:`r = \max_k d_{traj}(\tau_{u_k}, \tau_\mu)` and per-progress radii
(§3.5.6), tube widths (Fig. 2.16) and the Riemann length of a polyline of checkpoints complete
the module.

Every function takes ``log`` (False, True or ``"logits"``): with it the checkpoints, truth,
ignorance and means are log-probabilities, and so are the models returned.

Examples
--------
>>> from hyperribbon.numerics.prediction_space.probabilities import ignorance, truth
>>> from hyperribbon.numerics.prediction_space.geodesics import geodesic
>>> P0, Ps = ignorance(30, 3), truth(np.arange(30) % 3, 3, smoothing=0.05)
>>> path = geodesic(P0, Ps, [0.0, 0.3, 0.9])               # three checkpoints on the geodesic
>>> r = reindex_by_progress(path, [0.1, 0.5, 0.95], Ps)
>>> r.valid.tolist()
[True, True, False]
>>> bool(np.allclose(r.probabilities[:2], geodesic(P0, Ps, [0.1, 0.5]), atol=1e-12))
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hyperribbon.theory.errors import InvalidArgument

from hyperribbon.theory.prediction_space.arrays import as_array

from .centroids import centroid
from .distances import check_metric, distance, pairwise_distances, pairwise_reference
from .geodesics import GeodesicFrame, progress
from .probabilities import as_models, check_log

__all__ = ["Reindexed", "reindex_by_progress", "sample_at_progress", "trajectory_distance",
           "trajectory_distance_matrix", "trajectory_distance_reference", "mean_trajectory",
           "tube_radius", "tube_widths", "riemann_length"]


@dataclass(frozen=True)
class Reindexed:
    """A trajectory sampled at given progress values.

    Attributes
    ----------
    progress : (K,) ndarray
        The requested progress values s.
    probabilities : (K, N, C) ndarray
        :math:`P_{u(s)}` (nearest end checkpoint where invalid).
    valid : (K,) ndarray of bool
        Whether some segment of the trajectory reaches s.
    segment : (K,) ndarray of int
        k such that s lies between the progress of checkpoints k and k+1 (−1 if invalid).
    alpha : (K,) ndarray
        Geodesic interpolation parameter on that segment.
    checkpoint_progress : (T+1,) ndarray
    log : bool
        Whether ``probabilities`` holds log-probabilities.
    """

    progress: np.ndarray
    probabilities: np.ndarray
    valid: np.ndarray
    segment: np.ndarray
    alpha: np.ndarray
    checkpoint_progress: np.ndarray
    log: bool = False


def _grid(s, owner):
    s = np.atleast_1d(np.asarray(as_array(s, "grid", owner), dtype=np.float64))
    if s.ndim != 1 or not np.all(np.isfinite(s)):
        raise InvalidArgument("grid", owner, "be a finite 1-D array of progress values", s)
    return s


def reindex_by_progress(checkpoints, grid, end, start=None, *, checkpoint_progress=None,
                        rule: str = "first", log=False) -> Reindexed:
    r"""Sample a trajectory at progress values ``grid`` by geodesic interpolation (§2.2).

    Parameters
    ----------
    checkpoints : (T+1, N, C) array_like
        :math:`P_{u(0)}, \dots, P_{u(T)}`.
    grid : (K,) array_like
        Progress values s to sample at.
    end, start : (N, C) array_like
        Truth and (default) ignorance defining progress (eq. 2.2.4).
    checkpoint_progress : (T+1,) array_like, optional
        Precomputed progress of the checkpoints.
    rule : {"first", "last"}
        Which segment to use when several contain s.
    log : {False, True, "logits"}
        Checkpoints, ``end`` and ``start`` (and the result) are log-probabilities.

    Returns
    -------
    Reindexed
    """
    owner = "reindex_by_progress"
    log = check_log(log, owner)
    X = as_models(checkpoints, "checkpoints", owner, log).astype(np.float64, copy=False)
    if len(X) < 2:
        raise InvalidArgument("checkpoints", owner, "hold at least 2 checkpoints", X)
    if not isinstance(rule, str) or rule not in ("first", "last"):
        raise InvalidArgument("rule", owner, "be 'first' or 'last'", rule)
    s = _grid(grid, owner)
    sk = progress(X, end, start, log=bool(log)) if checkpoint_progress is None \
        else np.asarray(as_array(checkpoint_progress, "checkpoint_progress", owner),
                        dtype=np.float64)
    if sk.shape != (len(X),) or not np.all(np.isfinite(sk)):
        raise InvalidArgument("checkpoint_progress", owner, f"have {len(X)} finite entries", sk)
    lo, hi = np.minimum(sk[:-1], sk[1:]), np.maximum(sk[:-1], sk[1:])
    tol = 1e-12                          # progress is found to ~1e-15; do not lose the ends
    inside = (s[:, None] >= lo[None] - tol) & (s[:, None] <= hi[None] + tol)   # (K, T)
    valid = inside.any(axis=1)
    if rule == "first":
        seg = np.where(valid, np.argmax(inside, axis=1), -1)
    else:
        seg = np.where(valid, inside.shape[1] - 1 - np.argmax(inside[:, ::-1], axis=1), -1)
    alpha = np.zeros(s.size)
    out = np.empty((s.size,) + X.shape[1:])
    for i, (si, k) in enumerate(zip(s, seg)):
        if k < 0:
            out[i] = X[0] if abs(si - sk[0]) <= abs(si - sk[-1]) else X[-1]
            continue
        ds = sk[k + 1] - sk[k]
        alpha[i] = 0.0 if ds == 0 else min(max((si - sk[k]) / ds, 0.0), 1.0)
        out[i] = GeodesicFrame(X[k], X[k + 1], owner, bool(log)).point(alpha[i])
    return Reindexed(s, out, valid, seg, alpha, sk, bool(log))


def sample_at_progress(checkpoints, s: float, end, start=None, **kwargs) -> np.ndarray:
    """The model of a trajectory at progress ``s`` (N, C); named error if it never gets there."""
    r = reindex_by_progress(checkpoints, [s], end, start, **kwargs)
    if not r.valid[0]:
        raise InvalidArgument("s", "sample_at_progress", "be reached by the trajectory (its "
                              f"checkpoints span progress [{r.checkpoint_progress.min():.6g}, "
                              f"{r.checkpoint_progress.max():.6g}])", s)
    return r.probabilities[0]


def _unpack(tau, owner, name, log):
    if isinstance(tau, Reindexed):
        if tau.log != bool(log):
            raise InvalidArgument("log", owner, f"match the domain of `{name}` (a Reindexed "
                                  f"built with log={tau.log})", log)
        return tau.probabilities, tau.valid, tau.progress
    X = as_models(tau, name, owner, log)
    return X, np.ones(len(X), bool), None


def _trapezoid_weights(s, valid_pairs):
    """Trapezoid weights: Δs/2 per interval with both ends valid, summed onto the K nodes."""
    ds = np.diff(s)
    ok = valid_pairs[:-1] & valid_pairs[1:]
    w = np.zeros(s.size)
    w[:-1] += np.where(ok, ds / 2, 0.0)
    w[1:] += np.where(ok, ds / 2, 0.0)
    return w


def trajectory_distance(tau_u, tau_v, grid=None, *, metric: str = "bhattacharyya",
                        log=None) -> float:
    r"""Distance between trajectories (eq. 2.2.5), :math:`\int d(P_{u(s)}, P_{v(s)})\,ds`,
    by the trapezoidal rule on the common progress grid.

    Parameters
    ----------
    tau_u, tau_v : Reindexed or (K, N, C) array_like
        Trajectories sampled at the same progress values.
    grid : (K,) array_like, optional
        The progress values (taken from a :class:`Reindexed` when omitted).
    log : {None, False, True, "logits"}
        Domain of the trajectories (None: that of a :class:`Reindexed` argument, else False).
    """
    owner = "trajectory_distance"
    check_metric(metric, owner)
    default = next((t.log for t in (tau_u, tau_v) if isinstance(t, Reindexed)), False)
    log = check_log(log, owner, default=default)
    U, vu, su = _unpack(tau_u, owner, "tau_u", log)
    V, vv, sv = _unpack(tau_v, owner, "tau_v", log)
    s = _grid(grid if grid is not None else (su if su is not None else sv), owner)
    if not (len(U) == len(V) == s.size):
        raise InvalidArgument("tau_v", owner, f"be sampled at the same {s.size} progress values",
                              V)
    w = _trapezoid_weights(s, vu & vv)
    d = np.atleast_1d(distance(U, V, metric, log=bool(log)))
    return float(np.sum(w * np.where(w > 0, d, 0.0)))


def _stack4(trajectories, owner):
    T = as_array(trajectories, "trajectories", owner)
    if T.ndim != 4:
        raise InvalidArgument("trajectories", owner, "be an (n, K, N, C) array", T)
    return T


def trajectory_distance_matrix(trajectories, grid, *, valid=None,
                               metric: str = "bhattacharyya", log=False,
                               **kwargs) -> np.ndarray:
    r"""Pairwise :math:`d_{traj}` (eq. 2.2.5) of n trajectories sampled on a common grid.

    Parameters
    ----------
    trajectories : (n, K, N, C) array_like
    grid : (K,) array_like
    valid : (n, K) array_like of bool, optional
        Which samples are reached (from :class:`Reindexed`); default all.
    log : {False, True, "logits"}
        The trajectories are log-probabilities.
    **kwargs
        Passed to :func:`~hyperribbon.numerics.prediction_space.distances.pairwise_distances`.

    Returns
    -------
    (n, n) ndarray
    """
    owner = "trajectory_distance_matrix"
    check_metric(metric, owner)
    log = check_log(log, owner)
    T = _stack4(trajectories, owner)
    s = _grid(grid, owner)
    n, K = T.shape[:2]
    if K != s.size:
        raise InvalidArgument("grid", owner, f"have K = {K} entries", s)
    ok = np.ones((n, K), bool) if valid is None \
        else np.asarray(as_array(valid, "valid", owner), dtype=bool)
    if ok.shape != (n, K):
        raise InvalidArgument("valid", owner, f"have shape {(n, K)}", ok)
    ds = np.diff(s)
    out = np.zeros((n, n))
    prev = None
    for k in range(K):
        Dk = pairwise_distances(T[:, k], metric=metric, log=log, **kwargs)
        if prev is not None:
            both = ok[:, k - 1] & ok[:, k]
            mask = np.outer(both, both)
            out += np.where(mask, ds[k - 1] / 2 * (prev + Dk), 0.0)
        prev = Dk
    return out


def trajectory_distance_reference(tau_u, tau_v, grid, *, metric: str = "bhattacharyya",
                                  log=False) -> float:
    """Slow obvious reference: explicit loop over intervals, each distance from
    :func:`~.distances.pairwise_reference` (mpmath at 40 digits)."""
    owner = "trajectory_distance_reference"
    check_metric(metric, owner)
    log = check_log(log, owner)
    U = as_models(tau_u, "tau_u", owner, log)
    V = as_models(tau_v, "tau_v", owner, log)
    s = _grid(grid, owner)

    def d(p, q):
        return pairwise_reference(p[None], q[None], metric=metric, log=log)[0, 0]

    total = 0.0
    for k in range(len(s) - 1):
        total += (s[k + 1] - s[k]) * (d(U[k], V[k]) + d(U[k + 1], V[k + 1])) / 2
    return float(total)


def mean_trajectory(trajectories, kind: str = "arithmetic", weights=None, *, log=False,
                    **kwargs) -> np.ndarray:
    r"""Mean of trajectories sampled on a common grid (§3.5.6): the centroid at each progress.

    The thesis uses the arithmetic mean :math:`P_{\mu(s)} = \frac1K\sum_k P_{u_k(s)}` in place of
    the Bhattacharyya centroid; any ``kind`` of
    :mod:`~hyperribbon.numerics.prediction_space.centroids` works.

    Parameters
    ----------
    trajectories : (n, K, N, C) array_like

    Returns
    -------
    (K, N, C) ndarray
    """
    T = _stack4(trajectories, "mean_trajectory")
    return np.stack([centroid(T[:, k], kind, weights, log=log, **kwargs)
                     for k in range(T.shape[1])])


def tube_widths(trajectories, mean=None, *, metric: str = "bhattacharyya",
                log=False) -> np.ndarray:
    r"""Distance of each member to the mean at the same progress (Fig. 2.16): (n, K)."""
    owner = "tube_widths"
    check_metric(metric, owner)
    log = check_log(log, owner)
    T = _stack4(trajectories, owner)
    M = mean_trajectory(T, log=log) if mean is None else as_models(mean, "mean", owner, log)
    if M.shape != T.shape[1:]:
        raise InvalidArgument("mean", owner, f"have shape {T.shape[1:]}", M)
    return np.stack([np.atleast_1d(distance(T[i], M, metric, log=log))
                     for i in range(T.shape[0])])


def tube_radius(trajectories, grid, mean=None, *, per_progress: bool = False,
                metric: str = "bhattacharyya", log=False):
    r"""Radius of the tube of trajectories around their mean (§3.5.6).

    ``per_progress=False``: :math:`r = \max_k d_{traj}(\tau_{u_k}, \tau_\mu)`;
    ``per_progress=True``: the (K,) radius :math:`r(s) = \max_k d(P_{u_k(s)}, P_{\mu(s)})`
    ("this radius depends upon time").
    """
    widths = tube_widths(trajectories, mean, metric=metric, log=log)
    if per_progress:
        return widths.max(axis=0)
    s = _grid(grid, "tube_radius")
    w = _trapezoid_weights(s, np.ones(s.size, bool))
    return float(np.max(widths @ w))


def riemann_length(checkpoints, *, metric: str = "bhattacharyya", log=False) -> float:
    r"""Length of the polyline of checkpoints.

    ``"bhattacharyya"``: :math:`\sum_k\sqrt{d_B(P_k, P_{k+1})}` — the length in the metric
    :math:`ds^2 = d_B` for nearby models, i.e. :math:`\frac1{2N}\sum_n\|d\sqrt{p^n}\|^2`
    (= Fisher metric/8N); along the geodesic from P to Q it converges to
    :math:`\sqrt{\sum_n (d_G^n)^2/2N}` as the checkpoints refine.
    ``"geodesic"``: :math:`\sum_k d_G(P_k, P_{k+1})`, which equals :math:`d_G(P, Q)` exactly along
    the product geodesic.
    """
    owner = "riemann_length"
    if not isinstance(metric, str) or metric not in ("bhattacharyya", "geodesic"):
        raise InvalidArgument("metric", owner, "be 'bhattacharyya' or 'geodesic'", metric)
    log = check_log(log, owner)
    X = as_models(checkpoints, "checkpoints", owner, log)
    if len(X) < 2:
        return 0.0
    d = np.atleast_1d(distance(X[:-1], X[1:], metric, log=log))
    return float(np.sum(np.sqrt(d)) if metric == "bhattacharyya" else np.sum(d))
