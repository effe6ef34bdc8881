r"""Which configuration factors distinguish trajectories (thesis Fig. 2.6, Fig. 2.19).

* :func:`cluster_trajectories`: hierarchical clustering (``scipy.cluster.hierarchy``) of a matrix
  of distances between trajectories (eq. 2.2.5), with flat clusters and the dendrogram order.
* :func:`factor_importance`: a random forest (scikit-learn) predicts the distance between two
  trajectories from their configurations (categorical factors: architecture, optimiser, ...) and
  real covariates (e.g. distance to the geodesic); the importance of a factor is the mean drop of
  the held-out :math:`R^2` when that factor's pair features are permuted (grouped permutation
  importance; a factor of a *pair* is encoded by the unordered pair of levels, a covariate by the
  sum and the absolute difference of the two values).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> arch = np.repeat([0, 1, 2], 6)                               # 3 planted clusters
>>> D = np.abs(arch[:, None] - arch[None, :]) + 0.01 * rng.random((18, 18))
>>> D = (D + D.T) / 2; np.fill_diagonal(D, 0)
>>> res = cluster_trajectories(D, n_clusters=3)
>>> len(set(res.labels[arch == 0])) == len(set(res.labels[arch == 1])) == 1
True
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.cluster.hierarchy as sch
from scipy.spatial.distance import squareform

from hyperribbon.theory.errors import InvalidArgument

from hyperribbon.theory.prediction_space.arrays import as_array

from .distances import check_distance_matrix, ratio

__all__ = ["Clustering", "cluster_trajectories", "pair_features", "factor_importance"]

_METHODS = ("single", "complete", "average", "weighted", "ward", "centroid", "median")


@dataclass(frozen=True)
class Clustering:
    """Result of :func:`cluster_trajectories`.

    Attributes
    ----------
    linkage : (n-1, 4) ndarray
        scipy linkage matrix (use ``scipy.cluster.hierarchy.dendrogram`` to draw it).
    labels : (n,) ndarray of int or None
        Flat clusters (1-based), when ``n_clusters`` or ``threshold`` was given.
    order : (n,) ndarray of int
        Leaf order of the dendrogram.
    cophenetic_correlation : float
        Correlation between D and the cophenetic distances of the tree.
    """

    linkage: np.ndarray
    labels: np.ndarray | None
    order: np.ndarray
    cophenetic_correlation: float


def cluster_trajectories(D, *, method: str = "average", n_clusters: int | None = None,
                         threshold: float | None = None) -> Clustering:
    """Hierarchical clustering of an (n, n) matrix of distances between trajectories."""
    owner = "cluster_trajectories"
    D = np.asarray(check_distance_matrix(D, "D", owner), dtype=np.float64)
    if not isinstance(method, str) or method not in _METHODS:
        raise InvalidArgument("method", owner, "be one of " + ", ".join(_METHODS), method)
    if D.shape[0] < 2:
        raise InvalidArgument("D", owner, "have at least 2 trajectories", D)
    if n_clusters is not None and threshold is not None:
        raise InvalidArgument("threshold", owner, "not be given together with n_clusters",
                              threshold)
    cond = squareform(D, checks=False)                   # validated: symmetric, ≥ 0
    Z = sch.linkage(cond, method=method)
    labels = None
    if n_clusters is not None:
        if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral) \
                or not 1 <= n_clusters <= D.shape[0]:
            raise InvalidArgument("n_clusters", owner, f"be an integer in [1, {D.shape[0]}]",
                                  n_clusters)
        labels = sch.fcluster(Z, t=int(n_clusters), criterion="maxclust")
    elif threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) \
                or not np.isfinite(threshold) or threshold < 0:
            raise InvalidArgument("threshold", owner, "be a finite number ≥ 0", threshold)
        labels = sch.fcluster(Z, t=float(threshold), criterion="distance")
    coph = float(sch.cophenet(Z, cond)[0]) if D.shape[0] > 2 else float("nan")
    return Clustering(Z, labels, sch.leaves_list(Z), coph)


def _encode(values, argument, owner, n):
    arr = np.asarray(as_array(values, argument, owner))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise InvalidArgument(argument, owner, f"have one row per trajectory ({n})", arr)
    return arr


def pair_features(factors, covariates=None):
    """Pair-level design matrix for the trajectories' unordered pairs ``i < j``.

    Returns
    -------
    X : (n(n-1)/2, F + 2G) ndarray
    groups : list of list of int
        Column indices of each factor, then each covariate.
    pairs : (n(n-1)/2, 2) ndarray
    """
    owner = "pair_features"
    F = as_array(factors, "factors", owner, numeric=False).astype(object)
    if F.ndim == 1:
        F = F[:, None]
    if F.ndim != 2 or F.shape[0] < 2:
        raise InvalidArgument("factors", owner, "be an (n,) or (n, F) array with n ≥ 2 "
                              "trajectories", F)
    n = F.shape[0]
    iu, ju = np.triu_indices(n, 1)
    cols, groups = [], []
    for f in range(F.shape[1]):
        _, codes = np.unique(F[:, f].astype(str), return_inverse=True)
        L = int(codes.max()) + 1
        a, b = np.minimum(codes[iu], codes[ju]), np.maximum(codes[iu], codes[ju])
        groups.append([len(cols)])
        cols.append(a * L + b)
    if covariates is not None:
        G = _encode(covariates, "covariates", owner, n).astype(np.float64)
        if not np.all(np.isfinite(G)):
            raise InvalidArgument("covariates", owner, "be finite", G)
        for g in range(G.shape[1]):
            groups.append([len(cols), len(cols) + 1])
            cols.append(G[iu, g] + G[ju, g])
            cols.append(np.abs(G[iu, g] - G[ju, g]))
    return np.stack(cols, axis=1).astype(np.float64), groups, np.stack([iu, ju], axis=1)


def factor_importance(D, factors, *, factor_names=None, covariates=None, covariate_names=None,
                      n_estimators: int = 200, n_repeats: int = 10, test_size: float = 0.3,
                      seed: int = 0) -> dict:
    r"""Grouped permutation importance of configuration factors for the distances D (Fig. 2.6c).

    Parameters
    ----------
    D : (n, n) array_like
        Distances between trajectories (eq. 2.2.5).
    factors : (n,) or (n, F) array_like
        Categorical configuration of each trajectory.
    covariates : (n,) or (n, G) array_like, optional
        Real covariates (e.g. distance to the geodesic).

    Returns
    -------
    dict
        ``{"importance": {name: (mean, std)}, "r2": held-out R² of the forest}``; importances are
        drops of the held-out :math:`R^2` (larger: more important). :math:`R^2` divides by the
        variance of the held-out distances: when they are all equal it is undefined, and R² and
        every importance are ``nan`` (with an ``UndefinedRatioWarning``).
    """
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split

    owner = "factor_importance"
    D = np.asarray(check_distance_matrix(D, "D", owner), dtype=np.float64)
    n = D.shape[0]
    Fobj = as_array(factors, "factors", owner, numeric=False)
    if Fobj.shape[0] != n:
        raise InvalidArgument("factors", owner, f"have one row per trajectory ({n})", factors)
    X, groups, pairs = pair_features(factors, covariates)
    y = D[pairs[:, 0], pairs[:, 1]]
    nF = 1 if Fobj.ndim == 1 else Fobj.shape[1]
    names = list(factor_names) if factor_names is not None else [f"factor{i}" for i in range(nF)]
    nG = len(groups) - nF
    cnames = list(covariate_names) if covariate_names is not None \
        else [f"covariate{i}" for i in range(nG)]
    if len(names) != nF or len(cnames) != nG:
        raise InvalidArgument("factor_names", owner, "name every factor and covariate",
                              (names, cnames))
    if len(y) < 4:
        raise InvalidArgument("D", owner, "have at least 4 pairs of trajectories", D)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, random_state=seed)
    rf = RandomForestRegressor(n_estimators=n_estimators, random_state=seed, n_jobs=1)
    rf.fit(Xtr, ytr)
    if np.ptp(yte) == 0:
        nan = float(ratio(0.0, 0.0, "R² (the held-out distances are all equal)", owner))
        return {"importance": {name: (nan, nan) for name in names + cnames}, "r2": nan}
    base = r2_score(yte, rf.predict(Xte))
    rng = np.random.default_rng(seed)
    out = {}
    for name, cols in zip(names + cnames, groups):
        drops = []
        for _ in range(n_repeats):
            Xp = Xte.copy()
            perm = rng.permutation(len(Xte))
            Xp[:, cols] = Xte[perm][:, cols]
            drops.append(base - r2_score(yte, rf.predict(Xp)))
        out[name] = (float(np.mean(drops)), float(np.std(drops)))
    return {"importance": out, "r2": float(base)}
