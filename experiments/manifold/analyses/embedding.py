r"""InPCA embeddings of the train and test manifolds (thesis §2.3, Figs 2.1, 2.4, 2.5, 2.13, 2.14,
§2.5.4.3; analyses 1, 2, 3 and 11).

All models are embedded together with ignorance :math:`P_0` and truth :math:`P_*` by InPCA of
the pairwise distance matrix (eqs. 2.2.6–2.2.8; :class:`hyperribbon.numerics.InPCA`), the
distances computed exactly from log-probabilities. Reported: explained stress (eq. 2.2.8) in
1, 3, 10, 25, 50 dimensions, the signature (space-like/time-like counts), the eigenvalue
spectrum with its noise floor :math:`\varepsilon M|\Lambda_1|` (dense float64 eigensolver on
M points; eigenvalues below it are *unresolved*), and the geodesic from :math:`P_0` to
:math:`P_*` (eq. 2.2.3) added out-of-sample (eq. 2.2.9 with the sign correction of erratum E9).

* :func:`inpca_manifold` — analysis 1 on train predictions (and the test manifold of analysis 2);
* :func:`joint_embedding` — analysis 2: test models placed in the train coordinates (eq. 2.3.1),
  with explained pairwise distances (eq. 2.4.2) against the test's own embedding;
* :func:`subset_embeddings` — analysis 3: embeddings from N' ≪ N samples, all models projected
  with the full distances (eq. 2.3.1, Figs 2.13–2.14);
* :func:`other_distances` — analysis 11: the same with the geodesic distance (eq. 2.5.4) and the
  symmetrised KL divergence (IsKL, eq. 2.5.3).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hyperribbon.numerics import InPCA, explained_pairwise_distances, geodesic
from hyperribbon.theory import InvalidArgument

from ._io import fmt, pct
from ._logdomain import LOG_METRICS, pairwise_log_distances
from .predictions import as_predictions
from .result import AnalysisResult, skipped

__all__ = ["DIMS", "fit_inpca", "inpca_manifold", "joint_embedding", "subset_embeddings",
           "other_distances", "default_colour", "METRIC_NAMES"]

DIMS = (1, 3, 10, 25, 50)
EPS = np.finfo(np.float64).eps
METRIC_NAMES = {"bhattacharyya": "Bhattacharyya (InPCA)", "geodesic": "geodesic",
                "symmetric_kl": "symmetrised KL (IsKL)"}
_DENSE_MAX = 2500


def default_colour(pr, colour_by=None, owner="analysis"):
    """The metadata column to colour by: ``colour_by``, else ``arch``, else the first varying
    factor, else None."""
    if colour_by is not None:
        pr.column(colour_by, owner)
        return colour_by
    if "arch" in pr.meta.columns:
        return "arch"
    v = pr.varying_factors
    return v[0] if v else None


def _dims(dims, owner):
    try:
        d = sorted({int(x) for x in dims})
    except (TypeError, ValueError):
        raise InvalidArgument("dims", owner, "be a sequence of positive integers", dims) from None
    if not d or d[0] < 1:
        raise InvalidArgument("dims", owner, "be a sequence of positive integers", dims)
    return tuple(d)


def fit_inpca(pr, metric: str = "bhattacharyya", *, n_components: int | None = None):
    """InPCA of the models with :math:`P_0` (and :math:`P_*`) appended, cached on ``pr``.

    Dense (all eigenvalues) up to 2500 points, else the top ``max(50, n_components)`` by Lanczos.
    """
    key = ("inpca", metric)
    if key not in pr._cache:
        D = pr.distances(metric)
        if not np.all(np.isfinite(D)):
            raise InvalidArgument("logp", "fit_inpca", f"give finite {metric} distances (some "
                                  "model assigns probability 0 where another does not)", D)
        M = D.shape[0]
        k = None if M <= _DENSE_MAX else min(M, max(50, n_components or 0))
        pr._cache[key] = InPCA(n_components=k, solver="dense" if k is None else "auto").fit(D)
    return pr._cache[key]


def _stress_at(est, dims):
    ex = est.explained_stress_
    return {int(d): (float(ex[d - 1]) if d <= ex.size else None) for d in dims}


def _floor(est):
    return float(EPS * est.n_models_ * np.max(np.abs(est.eigenvalues_)))


def _signature(lam):
    return [int(np.sum(lam > 0)), int(np.sum(lam < 0))]


def _geodesic_curve(pr, est, metric, n_points):
    """The geodesic P0 → P* (eq. 2.2.3) embedded out of sample (eq. 2.2.9, corrected)."""
    if metric == "symmetric_kl" or n_points < 2:
        return None
    alphas = np.linspace(0.0, 1.0, n_points)
    logG = geodesic(pr.log_ignorance(), pr.log_truth(), alphas, log=True)
    fitted = np.concatenate([pr.logp, pr.log_ignorance()[None], pr.log_truth()[None]])
    return est.transform(pairwise_log_distances(logG, fitted, metric=metric))


def inpca_manifold(logp, meta=None, labels=None, *, metric: str = "bhattacharyya",
                   dims=DIMS, colour_by: str | None = None, geodesic_points: int = 41,
                   split: str = "train", number: int = 1, reference: dict | None = None
                   ) -> AnalysisResult:
    r"""InPCA of all models with :math:`P_0` and :math:`P_*` (analysis 1, Figs 2.1, 2.4).

    Parameters
    ----------
    logp : (m, N, C) array_like or Predictions
        Log-probabilities (or probabilities) of the models on one split.
    meta : pandas.DataFrame, optional
        One row per model; ``colour_by`` names one of its columns.
    labels : (N,) array_like of int
    metric : {"bhattacharyya", "geodesic", "symmetric_kl"}
        ``symmetric_kl`` embeds :math:`P_0` only (:math:`P_*` is infinitely far).
    dims : sequence of int
        Dimensions at which the explained stress (eq. 2.2.8) is reported.
    colour_by : str, optional
        Metadata column for the 3-D figure (default ``arch``).
    geodesic_points : int
        Points of the geodesic :math:`P_0\to P_*` drawn (0: none).
    reference : dict, optional
        ``{label: (dims, values)}`` drawn on the explained-stress figure (e.g. the thesis's).

    Returns
    -------
    AnalysisResult
        ``numbers["explained_stress"][d]`` for d in ``dims`` (None beyond the number of points),
        ``numbers["signature_top3"]``, ``numbers["n_resolved"]``; ``data["inpca"]`` is the fitted
        :class:`~hyperribbon.numerics.InPCA`, ``data["X"]`` the (m, k) model coordinates.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> logp = np.log(rng.dirichlet(np.ones(3), size=(12, 40)))
    >>> r = inpca_manifold(logp, labels=rng.integers(0, 3, 40), geodesic_points=0)
    >>> ex = list(r.numbers["explained_stress"].values())
    >>> all(0 <= a <= b <= 1 for a, b in zip(ex, ex[1:]) if b is not None)
    True
    """
    owner = "inpca_manifold"
    if metric not in LOG_METRICS:
        raise InvalidArgument("metric", owner, "be one of " + ", ".join(LOG_METRICS), metric)
    dims = _dims(dims, owner)
    pr = as_predictions(logp, meta, labels, split=split, owner=owner)
    colour = default_colour(pr, colour_by, owner)
    try:
        est = fit_inpca(pr, metric)
    except InvalidArgument as exc:
        if metric == "bhattacharyya":
            raise
        return skipped(f"a{number:02d}_inpca_{pr.split}_{metric}", number,
                       f"InPCA of the {pr.split} models ({metric})", str(exc))
    m, e = pr.m, pr.n_ends(metric)
    lam = est.eigenvalues_
    floor = _floor(est)
    resolved = np.abs(lam) > floor
    X = est.embedding_
    ends = {"$P_0$": X[m]} if e == 1 else {"$P_0$": X[m], "$P_*$": X[m + 1]}
    curve = _geodesic_curve(pr, est, metric, int(geodesic_points))
    stress = _stress_at(est, dims)
    numbers = {
        "split": pr.split, "metric": metric, "m_models": m, "n_samples": pr.n_samples,
        "n_classes": pr.n_classes, "points_embedded": m + e,
        "explained_stress": stress,
        "signature_top3": _signature(lam[:3]),
        "signature_resolved": _signature(lam[resolved]),
        "n_eigenvalues": int(lam.size), "n_resolved": int(resolved.sum()),
        "noise_floor": floor, "top_eigenvalues": lam[:10].tolist(),
        "total_stress": float(est.total_stress_),
        "d_ignorance_truth": None if e == 1 else float(pr.distances(metric)[m, m + 1]),
    }
    k = min(10, X.shape[1])
    emb = pr.meta.copy()
    for i in range(k):
        emb[f"x{i + 1}"] = X[:m, i]
    tables = {
        "explained": pd.DataFrame({"dims": np.arange(1, lam.size + 1),
                                   "explained_stress": est.explained_stress_}),
        "eigenvalues": pd.DataFrame({"rank": np.arange(1, lam.size + 1), "eigenvalue": lam,
                                     "space_like": lam > 0, "resolved": resolved}),
        "embedding": emb,
    }
    name = METRIC_NAMES[metric]
    colvals = None if colour is None else pr.meta[colour].to_numpy()
    from .. import plots

    def fig3d():
        return plots.plot_embedding_3d(
            X[:m], colvals, colour_name=colour, signs=est.signs_,
            explained=float(est.explained_stress_[min(3, lam.size) - 1]), marks=ends,
            curve=curve, title=f"{name} embedding of {m} {pr.split} models")

    def figpairs():
        return plots.plot_embedding_pairs(X[:m], colvals, colour_name=colour, signs=est.signs_,
                                          marks=ends, title=f"{name}, {pr.split}: coordinates "
                                          "pairwise")

    def figeig():
        return plots.plot_eigenvalues(lam, noise_floor=floor, explained=est.explained_stress_,
                                      dims=dims, title=f"{name} eigenvalues, {pr.split} "
                                      f"({m + e} points)")

    def figstress():
        d = np.arange(1, lam.size + 1)
        return plots.plot_explained_stress({f"{pr.split}, measured": (d, est.explained_stress_)},
                                           marks=dims, reference=reference,
                                           title=f"Explained stress, {name}, {pr.split}")

    figures = {"embedding3d": fig3d, "pairs": figpairs, "eigenvalues": figeig,
               "explained_stress": figstress}
    md = _markdown(numbers, dims, name)
    return AnalysisResult(key=f"a{number:02d}_inpca_{pr.split}" + ("" if metric == "bhattacharyya"
                                                                  else f"_{metric}"),
                          number=number, title=f"InPCA of the {pr.split} models ({name})",
                          numbers=numbers, tables=tables, figures=figures, markdown=md,
                          data={"inpca": est, "X": X[:m], "ends": ends, "geodesic": curve,
                                "predictions": pr})


def _markdown(n, dims, name):
    ends = "ignorance $P_0$" + ("" if n["d_ignorance_truth"] is None else " and truth $P_*$")
    parts = [f"{n['m_models']} {n['split']} models (N = {n['n_samples']} samples, "
             f"C = {n['n_classes']} classes) were embedded together with {ends} by InPCA of the "
             f"{name} distances, computed exactly from log-probabilities."]
    got = [(d, v) for d, v in n["explained_stress"].items() if v is not None]
    if got:
        parts.append("Explained stress (eq. 2.2.8) in the top "
                     + ", ".join(f"{d}: {pct(v)}" for d, v in got) + " dimensions.")
    miss = [d for d, v in n["explained_stress"].items() if v is None]
    if miss:
        parts.append(f"{', '.join(map(str, miss))} dimensions exceed the {n['n_eigenvalues']} "
                     "eigenvalues available.")
    p, q = n["signature_top3"]
    parts.append(f"The top three coordinates are {p} space-like and {q} time-like.")
    pr, qr = n["signature_resolved"]
    parts.append(f"{n['n_resolved']} of {n['n_eigenvalues']} eigenvalues lie above the noise floor "
                 f"ε·M·|Λ1| = {fmt(n['noise_floor'])} (signature of the resolved ones: "
                 f"({pr}, {qr})); the rest are unresolved.")
    if n["d_ignorance_truth"] is not None:
        parts.append(f"The distance from $P_0$ to $P_*$ is {fmt(n['d_ignorance_truth'], 4)}.")
    return " ".join(parts)


# ---------------------------------------------------------------------------- analysis 2 (joint)
def joint_embedding(train, test, *, meta=None, labels_train=None, labels_test=None,
                    dims=(3, 10), colour_by: str | None = None, number: int = 2
                    ) -> AnalysisResult:
    r"""Test models in the train InPCA coordinates (eq. 2.3.1, Fig. 2.5a; analysis 2).

    The test model of each network is paired with its train model (same row of ``meta``; the
    appended :math:`P_0`, :math:`P_*` with the test set's). Reported: explained pairwise
    distances (eq. 2.4.2) of the test distances by the joint coordinates and by the test's own
    InPCA, in ``dims`` dimensions (thesis: 0.52 vs 0.56 in 10 dimensions on CIFAR-10).

    Parameters
    ----------
    train, test : (m, N, C) array_like or Predictions
        The same m models on the train and on the test samples (N may differ).
    """
    owner = "joint_embedding"
    dims = _dims(dims, owner)
    tr = as_predictions(train, meta, labels_train, split="train", owner=owner)
    te = as_predictions(test, meta, labels_test, split="test", owner=owner)
    if tr.m != te.m:
        raise InvalidArgument("test", owner, f"hold the same m = {tr.m} models as `train`",
                              f"{te.m} models")
    colour = default_colour(tr, colour_by, owner)
    est_tr, est_te = fit_inpca(tr), fit_inpca(te)
    D_te = te.distances()
    Xj = est_tr.transform_joint(D_te)
    m = tr.m
    rows = []
    for d in dims:
        k = min(d, Xj.shape[1], est_te.embedding_.shape[1])
        rows.append({"dims": d,
                     "joint": explained_pairwise_distances(D_te, Xj[:, :k], est_tr.signs_[:k]),
                     "own": explained_pairwise_distances(D_te, est_te.embedding_[:, :k],
                                                         est_te.signs_[:k])})
    table = pd.DataFrame(rows)
    numbers = {"m_models": m, "explained_pairwise": {int(r["dims"]): {"joint": r["joint"],
                                                                      "own": r["own"]}
                                                     for r in rows}}
    X = est_tr.embedding_
    colvals = None if colour is None else tr.meta[colour].to_numpy()
    from .. import plots

    def fig():
        f = plots.plot_embedding_3d(
            X[:m], colvals, colour_name=colour, signs=est_tr.signs_,
            explained=float(est_tr.explained_stress_[min(3, X.shape[1]) - 1]),
            marks={"$P_0$": X[m], "$P_*$": X[m + 1]},
            extra={"test models (eq. 2.3.1)": Xj[:m], "test $P_0$, $P_*$": Xj[m:]},
            title="Train models and test models in the train coordinates")
        return f

    parts = [f"The {m} test models were placed in the coordinates of the train InPCA by eq. "
             "(2.3.1) (test distances, train centring, sign-corrected projection)."]
    for r in rows:
        better = "higher" if r["joint"] > r["own"] else ("lower" if r["joint"] < r["own"]
                                                         else "equal")
        parts.append(f"In {int(r['dims'])} dimensions the explained pairwise test distances "
                     f"(eq. 2.4.2) are {fmt(r['joint'])} in the train coordinates and "
                     f"{fmt(r['own'])} in the test's own embedding ({better} in the train "
                     "coordinates).")
    return AnalysisResult(key=f"a{number:02d}_joint", number=number,
                          title="Joint train/test embedding", numbers=numbers,
                          tables={"explained_pairwise": table}, figures={"joint3d": fig},
                          markdown=" ".join(parts), data={"X_test_joint": Xj})


# ---------------------------------------------------------------------------- analysis 3
def _subset_sizes(N, sizes):
    if sizes is None:
        sizes = [max(10, int(round(N * f))) for f in (0.1, 0.01, 0.001)]
    out = sorted({int(s) for s in sizes if 2 <= int(s) < N}, reverse=True)
    return out


def subset_embeddings(logp, meta=None, labels=None, *, sizes=None, dims=(1, 2, 3, 5, 10),
                      seed: int = 0, colour_by: str | None = None, split: str = "train",
                      number: int = 3) -> AnalysisResult:
    r"""Embeddings computed from N' of the N samples, all models projected with the full
    distances (eq. 2.3.1; Figs 2.5b, 2.13, 2.14; analysis 3).

    For each N' in ``sizes`` (default: 10%, 1%, 0.1% of N, at least 10), N' samples are drawn
    without replacement, InPCA is fitted on their distance matrix, and every model (with
    :math:`P_0`, :math:`P_*`) is placed by eq. (2.3.1) using the distances on all N samples.
    Reported: explained pairwise distances (eq. 2.4.2) of the full matrix in ``dims``
    dimensions, next to those of the full InPCA.
    """
    owner = "subset_embeddings"
    dims = _dims(dims, owner)
    pr = as_predictions(logp, meta, labels, split=split, owner=owner)
    N = pr.n_samples
    sz = _subset_sizes(N, sizes)
    if not sz:
        return skipped(f"a{number:02d}_subsets_{pr.split}", number,
                       f"Embeddings from sample subsets ({pr.split})",
                       f"no subset size in [2, N) with N = {N}")
    colour = default_colour(pr, colour_by, owner)
    D = pr.distances()
    full = fit_inpca(pr)
    rng = np.random.default_rng(seed)
    rows, coords = [], {}
    for d in dims:
        k = min(d, full.embedding_.shape[1])
        rows.append({"n_samples": N, "dims": d,
                     "explained_pairwise": explained_pairwise_distances(
                         D, full.embedding_[:, :k], full.signs_[:k])})
    for n in sz:
        idx = np.sort(rng.choice(N, size=n, replace=False))
        sub = pr.samples(idx)
        est = InPCA(solver="dense" if D.shape[0] <= _DENSE_MAX else "auto",
                    n_components=None if D.shape[0] <= _DENSE_MAX else 50).fit(sub.distances())
        Xs = est.transform_joint(D)
        coords[n] = (Xs, est.signs_)
        for d in dims:
            k = min(d, Xs.shape[1])
            rows.append({"n_samples": n, "dims": d,
                         "explained_pairwise": explained_pairwise_distances(D, Xs[:, :k],
                                                                            est.signs_[:k])})
    table = pd.DataFrame(rows)
    m = pr.m
    colvals = None if colour is None else pr.meta[colour].to_numpy()
    from .. import plots

    def curves():
        c = {}
        for n, grp in table.groupby("n_samples", sort=False):
            lab = f"N' = {n}" + (" (all samples)" if n == N else "")
            c[lab] = (grp["dims"].to_numpy(), grp["explained_pairwise"].to_numpy())
        return plots.plot_curves(None, c, xlabel="number of InPCA dimensions d",
                                 ylabel="explained pairwise distances (eq. 2.4.2)",
                                 title=f"Full {pr.split} distances in coordinates from N' samples",
                                 styles={lab: "-o" for lab in c})

    figures = {"explained_pairwise": curves}
    for n, (Xs, signs) in coords.items():
        def f(Xs=Xs, signs=signs, n=n):
            ep = table[(table.n_samples == n) & (table.dims == 3)]["explained_pairwise"]
            t = f"{pr.split} models in coordinates from N' = {n} of {N} samples"
            if len(ep):
                t += f"\nexplained pairwise distances in 3 dims: {float(ep.iloc[0]):.2f}"
            return plots.plot_embedding_3d(Xs[:m], colvals, colour_name=colour, signs=signs,
                                           marks={"$P_0$": Xs[m], "$P_*$": Xs[m + 1]}, title=t)
        figures[f"embedding_n{n}"] = f
    at3 = {int(n): float(g[g.dims == 3]["explained_pairwise"].iloc[0])
           for n, g in table.groupby("n_samples") if (g.dims == 3).any()}
    numbers = {"split": pr.split, "n_samples": N, "sizes": sz, "seed": seed,
               "explained_pairwise_3d": at3}
    parts = [f"InPCA was fitted on the distances over N' random {pr.split} samples and all "
             f"{m} models (with $P_0$, $P_*$) were placed by eq. (2.3.1) using the distances "
             f"over all N = {N} samples."]
    if N in at3:
        parts.append(f"The full embedding explains {fmt(at3[N])} of the pairwise distances "
                     "(eq. 2.4.2) in 3 dimensions;")
        parts.append("from subsets: " + ", ".join(f"N' = {n}: {fmt(at3[n])}" for n in sz
                                                   if n in at3) + ".")
    return AnalysisResult(key=f"a{number:02d}_subsets_{pr.split}", number=number,
                          title=f"Embeddings from sample subsets ({pr.split})", numbers=numbers,
                          tables={"explained_pairwise": table}, figures=figures,
                          markdown=" ".join(parts))


# ---------------------------------------------------------------------------- analysis 11
def other_distances(logp, meta=None, labels=None, *, metrics=LOG_METRICS, dims=DIMS,
                    colour_by: str | None = None, split: str = "train", number: int = 11
                    ) -> AnalysisResult:
    r"""The embedding with other intensive distances (§2.5.4.3; analysis 11).

    InPCA of the Bhattacharyya distance, of the product-sphere geodesic distance (eq. 2.5.4) and
    IsKL (InPCA of the symmetrised KL divergence, eq. 2.5.3, with :math:`P_*` left out: it is
    infinitely far). Reported: explained stress of each in ``dims`` dimensions.
    """
    owner = "other_distances"
    dims = _dims(dims, owner)
    for mt in metrics:
        if mt not in LOG_METRICS:
            raise InvalidArgument("metrics", owner, "contain only " + ", ".join(LOG_METRICS), mt)
    pr = as_predictions(logp, meta, labels, split=split, owner=owner)
    subs = {mt: inpca_manifold(pr, metric=mt, dims=dims, colour_by=colour_by, number=number,
                               geodesic_points=0 if mt == "symmetric_kl" else 41)
            for mt in metrics}
    rows, curves = [], {}
    for mt, r in subs.items():
        if r.skipped:
            continue
        est = r.data["inpca"]
        curves[METRIC_NAMES[mt]] = (np.arange(1, est.eigenvalues_.size + 1),
                                    est.explained_stress_)
        for d, v in r.numbers["explained_stress"].items():
            rows.append({"metric": mt, "dims": d, "explained_stress": v})
    table = pd.DataFrame(rows)
    from .. import plots
    figures = {"explained_stress": lambda: plots.plot_explained_stress(
        curves, marks=dims, title=f"Explained stress by distance ({pr.split})")}
    for mt, r in subs.items():
        if not r.skipped and mt != "bhattacharyya":
            figures[f"embedding3d_{mt}"] = r.figures["embedding3d"]
    at3 = {mt: r.numbers["explained_stress"].get(3) for mt, r in subs.items() if not r.skipped}
    numbers = {"split": pr.split, "explained_stress": {mt: r.numbers.get("explained_stress")
                                                       for mt, r in subs.items()},
               "signature_top3": {mt: r.numbers.get("signature_top3") for mt, r in subs.items()},
               "skipped": {mt: r.skipped for mt, r in subs.items() if r.skipped}}
    parts = [f"InPCA of the {pr.split} models with three distances."]
    if at3:
        parts.append("Explained stress in 3 dimensions: " + ", ".join(
            f"{METRIC_NAMES[mt]} {pct(v)}" for mt, v in at3.items()) + ".")
        best = max(at3, key=lambda k: -1 if at3[k] is None else at3[k])
        parts.append(f"The highest is {METRIC_NAMES[best]}.")
    for mt, why in numbers["skipped"].items():
        parts.append(f"{METRIC_NAMES[mt]} was not computed: {why}")
    return AnalysisResult(key=f"a{number:02d}_distances_{pr.split}", number=number,
                          title=f"Other intensive distances ({pr.split})", numbers=numbers,
                          tables={"explained_stress": table}, figures=figures,
                          markdown=" ".join(parts), data={"results": subs})
