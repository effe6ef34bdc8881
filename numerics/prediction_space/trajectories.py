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

from .centroids import centroid
from .distances import check_metric, distance, pairwise_distances
from .geodesics import GeodesicFrame, progress
from .probabilities import as_probabilities

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
    """

    progress: np.ndarray
    probabilities: np.ndarray
    valid: np.ndarray
    segment: np.ndarray
    alpha: np.ndarray
    checkpoint_progress: np.ndarray


def _grid(s, owner):
    s = np.atleast_1d(np.asarray(s, dtype=np.float64))
    if s.ndim != 1 or not np.all(np.isfinite(s)):
        raise InvalidArgument("grid", owner, "be a finite 1-D array of progress values", s)
    return s


def reindex_by_progress(checkpoints, grid, end, start=None, *, checkpoint_progress=None,
                        rule: str = "first") -> Reindexed:
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

    Returns
    -------
    Reindexed
    """
    owner = "reindex_by_progress"
    X = as_probabilities(checkpoints, "checkpoints", owner).astype(np.float64, copy=False)
    if len(X) < 2:
        raise InvalidArgument("checkpoints", owner, "hold at least 2 checkpoints", X)
    if rule not in ("first", "last"):
        raise InvalidArgument("rule", owner, "be 'first' or 'last'", rule)
    s = _grid(grid, owner)
    sk = progress(X, end, start) if checkpoint_progress is None \
        else np.asarray(checkpoint_progress, dtype=np.float64)
    if sk.shape != (len(X),):
        raise InvalidArgument("checkpoint_progress", owner, f"have {len(X)} entries", sk)
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
        out[i] = GeodesicFrame(X[k], X[k + 1], owner).point(alpha[i])
    return Reindexed(s, out, valid, seg, alpha, sk)


def sample_at_progress(checkpoints, s: float, end, start=None, **kwargs) -> np.ndarray:
    """The model of a trajectory at progress ``s`` (N, C); named error if it never gets there."""
    r = reindex_by_progress(checkpoints, [s], end, start, **kwargs)
    if not r.valid[0]:
        raise InvalidArgument("s", "sample_at_progress", "be reached by the trajectory (its "
                              f"checkpoints span progress [{r.checkpoint_progress.min():.6g}, "
                              f"{r.checkpoint_progress.max():.6g}])", s)
    return r.probabilities[0]


def _unpack(tau, owner, name):
    if isinstance(tau, Reindexed):
        return tau.probabilities, tau.valid, tau.progress
    X = as_probabilities(tau, name, owner)
    return X, np.ones(len(X), bool), None


def _trapezoid_weights(s, valid_pairs):
    """Trapezoid weights: Δs/2 per interval with both ends valid, summed onto the K nodes."""
    ds = np.diff(s)
    ok = valid_pairs[:-1] & valid_pairs[1:]
    w = np.zeros(s.size)
    w[:-1] += np.where(ok, ds / 2, 0.0)
    w[1:] += np.where(ok, ds / 2, 0.0)
    return w


def trajectory_distance(tau_u, tau_v, grid=None, *, metric: str = "bhattacharyya") -> float:
    r"""Distance between trajectories (eq. 2.2.5), :math:`\int d(P_{u(s)}, P_{v(s)})\,ds`,
    by the trapezoidal rule on the common progress grid.

    Parameters
    ----------
    tau_u, tau_v : Reindexed or (K, N, C) array_like
        Trajectories sampled at the same progress values.
    grid : (K,) array_like, optional
        The progress values (taken from a :class:`Reindexed` when omitted).
    """
    owner = "trajectory_distance"
    check_metric(metric, owner)
    U, vu, su = _unpack(tau_u, owner, "tau_u")
    V, vv, sv = _unpack(tau_v, owner, "tau_v")
    s = _grid(grid if grid is not None else (su if su is not None else sv), owner)
    if not (len(U) == len(V) == s.size):
        raise InvalidArgument("tau_v", owner, f"be sampled at the same {s.size} progress values",
                              V)
    w = _trapezoid_weights(s, vu & vv)
    d = np.atleast_1d(distance(U, V, metric))
    return float(np.sum(w * np.where(w > 0, d, 0.0)))


def trajectory_distance_matrix(trajectories, grid, *, valid=None,
                               metric: str = "bhattacharyya", **kwargs) -> np.ndarray:
    r"""Pairwise :math:`d_{traj}` (eq. 2.2.5) of n trajectories sampled on a common grid.

    Parameters
    ----------
    trajectories : (n, K, N, C) array_like
    grid : (K,) array_like
    valid : (n, K) array_like of bool, optional
        Which samples are reached (from :class:`Reindexed`); default all.
    **kwargs
        Passed to :func:`~hyperribbon.numerics.prediction_space.distances.pairwise_distances`.

    Returns
    -------
    (n, n) ndarray
    """
    owner = "trajectory_distance_matrix"
    check_metric(metric, owner)
    T = np.asarray(trajectories)
    if T.ndim != 4:
        raise InvalidArgument("trajectories", owner, "be an (n, K, N, C) array", T)
    s = _grid(grid, owner)
    n, K = T.shape[:2]
    if K != s.size:
        raise InvalidArgument("grid", owner, f"have K = {K} entries", s)
    ok = np.ones((n, K), bool) if valid is None else np.asarray(valid, dtype=bool)
    if ok.shape != (n, K):
        raise InvalidArgument("valid", owner, f"have shape {(n, K)}", ok)
    ds = np.diff(s)
    out = np.zeros((n, n))
    prev = None
    for k in range(K):
        Dk = pairwise_distances(T[:, k], metric=metric, **kwargs)
        if prev is not None:
            both = ok[:, k - 1] & ok[:, k]
            mask = np.outer(both, both)
            out += np.where(mask, ds[k - 1] / 2 * (prev + Dk), 0.0)
        prev = Dk
    return out


def trajectory_distance_reference(tau_u, tau_v, grid, *, metric: str = "bhattacharyya") -> float:
    """Slow obvious reference: explicit loop over intervals, literal distance formula."""
    U = np.asarray(tau_u, dtype=np.float64)
    V = np.asarray(tau_v, dtype=np.float64)
    s = np.asarray(grid, dtype=np.float64)

    def d(p, q):
        with np.errstate(divide="ignore", invalid="ignore"):
            if metric == "bhattacharyya":
                return -np.mean(np.log(np.sum(np.sqrt(p * q), -1)))
            if metric == "geodesic":
                return np.mean(np.arccos(np.clip(np.sum(np.sqrt(p * q), -1), 0, 1)))
            if metric == "euclidean":
                return np.mean(np.sum((p - q) ** 2, -1))
            t = (p - q) * np.log(p / q)
            t[(p == 0) & (q == 0)] = 0
            return np.mean(np.sum(t, -1))

    total = 0.0
    for k in range(len(s) - 1):
        total += (s[k + 1] - s[k]) * (d(U[k], V[k]) + d(U[k + 1], V[k + 1])) / 2
    return float(total)


def mean_trajectory(trajectories, kind: str = "arithmetic", weights=None, **kwargs) -> np.ndarray:
    r"""Mean of trajectories sampled on a common grid (§3.5.6): the centroid at each progress.

    The thesis uses the arithmetic mean :math:`P_{\mu(s)} = \frac1K\sum_k P_{u_k(s)}` in place of
    the Bhattacharyya centroid; any ``kind`` of :mod:`~hyperribbon.numerics.prediction_space.centroids` works.

    Parameters
    ----------
    trajectories : (n, K, N, C) array_like

    Returns
    -------
    (K, N, C) ndarray
    """
    T = np.asarray(trajectories, dtype=np.float64)
    if T.ndim != 4:
        raise InvalidArgument("trajectories", "mean_trajectory", "be an (n, K, N, C) array", T)
    return np.stack([centroid(T[:, k], kind, weights, **kwargs) for k in range(T.shape[1])])


def tube_widths(trajectories, mean=None, *, metric: str = "bhattacharyya") -> np.ndarray:
    r"""Distance of each member to the mean at the same progress (Fig. 2.16): (n, K)."""
    owner = "tube_widths"
    check_metric(metric, owner)
    T = np.asarray(trajectories, dtype=np.float64)
    if T.ndim != 4:
        raise InvalidArgument("trajectories", owner, "be an (n, K, N, C) array", T)
    M = mean_trajectory(T) if mean is None else as_probabilities(mean, "mean", owner)
    if M.shape != T.shape[1:]:
        raise InvalidArgument("mean", owner, f"have shape {T.shape[1:]}", M)
    return np.stack([np.atleast_1d(distance(T[i], M, metric)) for i in range(T.shape[0])])


def tube_radius(trajectories, grid, mean=None, *, per_progress: bool = False,
                metric: str = "bhattacharyya"):
    r"""Radius of the tube of trajectories around their mean (§3.5.6).

    ``per_progress=False``: :math:`r = \max_k d_{traj}(\tau_{u_k}, \tau_\mu)`;
    ``per_progress=True``: the (K,) radius :math:`r(s) = \max_k d(P_{u_k(s)}, P_{\mu(s)})`
    ("this radius depends upon time").
    """
    T = np.asarray(trajectories, dtype=np.float64)
    M = mean_trajectory(T) if mean is None else np.asarray(mean, dtype=np.float64)
    widths = tube_widths(T, M, metric=metric)
    if per_progress:
        return widths.max(axis=0)
    s = _grid(grid, "tube_radius")
    w = _trapezoid_weights(s, np.ones(s.size, bool))
    return float(np.max(widths @ w))


def riemann_length(checkpoints, *, metric: str = "bhattacharyya") -> float:
    r"""Length of the polyline of checkpoints.

    ``"bhattacharyya"``: :math:`\sum_k\sqrt{d_B(P_k, P_{k+1})}` — the length in the metric
    :math:`ds^2 = d_B` for nearby models, i.e. :math:`\frac1{2N}\sum_n\|d\sqrt{p^n}\|^2`
    (= Fisher metric/8N); along the geodesic from P to Q it converges to
    :math:`\sqrt{\sum_n (d_G^n)^2/2N}` as the checkpoints refine.
    ``"geodesic"``: :math:`\sum_k d_G(P_k, P_{k+1})`, which equals :math:`d_G(P, Q)` exactly along
    the product geodesic.
    """
    owner = "riemann_length"
    if metric not in ("bhattacharyya", "geodesic"):
        raise InvalidArgument("metric", owner, "be 'bhattacharyya' or 'geodesic'", metric)
    X = as_probabilities(checkpoints, "checkpoints", owner)
    if len(X) < 2:
        return 0.0
    d = np.atleast_1d(distance(X[:-1], X[1:], metric))
    return float(np.sum(np.sqrt(d)) if metric == "bhattacharyya" else np.sum(d))
