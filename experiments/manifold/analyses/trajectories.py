r"""Distances between whole training trajectories, their tubes and their distance to the geodesic
(thesis eq. 2.2.5, Figs 2.6, 2.16, 2.17, §3.5.6, Remark 3.3.3; analyses 5 and 8).

Every run is re-indexed by progress (eq. 2.2.4) on a common grid by geodesic interpolation
between its checkpoints (eq. 2.2.3; :func:`hyperribbon.numerics.reindex_by_progress`). The grid
spans the progress range every included run covers: from the largest starting progress to the
smallest final (maximal) progress, so that every run is defined on the whole grid. Runs whose
last checkpoint has an error above ``max_final_error`` are left out, as the thesis keeps "all
networks that trained to zero error" (they are listed in the numbers).

* :func:`trajectory_dendrogram` (analysis 5) — :math:`d_{traj}` between runs (eq. 2.2.5),
  averaged over seeds into a configuration × configuration matrix, clustered (average linkage);
  InPCA of the run matrix (Fig. 2.6b); grouped permutation importance of each configuration
  factor and of the distance to the geodesic for predicting :math:`d_{traj}` (Fig. 2.6c).
* :func:`tube_analysis` (analysis 8) — tube widths (distance of each run to its configuration's
  mean at equal progress, Fig. 2.16), the distance of the runs to the geodesic
  :math:`P_0\to P_*` against progress (Fig. 2.17), tube radii and the normalised distance between
  mean trajectories of architectures, :math:`2d_B(\mu_1(s),\mu_2(s))/(r_1(s)+r_2(s))`
  (Remark 3.3.3; below 1 the tubes intersect).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hyperribbon.numerics import (InPCA, cluster_trajectories, distance, distance_to_geodesic,
                                  factor_importance, mean_trajectory, reindex_by_progress,
                                  trajectory_distance_matrix, tube_widths)
from hyperribbon.theory import InvalidArgument

from ._io import fmt, pct
from .embedding import default_colour
from .predictions import as_predictions
from .result import AnalysisResult, skipped

__all__ = ["reindex_runs", "trajectory_dendrogram", "tube_analysis"]


def _error_of_run(pr, idx):
    """Final *training* error of a run: the ``train_error`` column if the metadata has it (so
    test predictions select the same runs), else the error of these predictions."""
    if "train_error" in pr.meta.columns:
        v = pr.meta.loc[idx[-1], "train_error"]
        if v == v:                                             # not NaN
            return float(v)
    return float(pr.errors[idx[-1]])


def reindex_runs(pr, *, n_grid: int = 21, max_final_error: float | None = 0.1,
                 coverage: float = 0.75) -> dict:
    r"""Re-index every run on a common progress grid (cached on ``pr``).

    Runs are kept if they trained (final train error ≤ ``max_final_error``; None keeps all) and
    reach the grid's end: the grid spans [largest starting progress, ``hi``] where ``hi`` is the
    largest maximal progress reached by at least a fraction ``coverage`` of the trained runs
    (``coverage=1``: every trained run, i.e. the slowest one sets the end). Runs that stop
    short of ``hi`` are excluded and listed.

    Returns
    -------
    dict
        ``grid`` (K,), ``runs`` (n,) run ids, ``trajectories`` (n, K, N, C) probabilities,
        ``config`` (n,) configuration labels, ``excluded`` {run: reason}.

    Raises
    ------
    InvalidArgument
        No run metadata, fewer than two usable runs, or no common progress range.
    """
    owner = "reindex_runs"
    if not (isinstance(coverage, (int, float)) and 0 < coverage <= 1):
        raise InvalidArgument("coverage", owner, "be in (0, 1]", coverage)
    key = ("reindex", int(n_grid), max_final_error, float(coverage))
    if key in pr._cache:
        return pr._cache[key]
    if not pr.has_runs:
        raise InvalidArgument("meta", owner, "have a `run` column and one of step/epoch/"
                              "checkpoint (models must form trajectories)", list(pr.meta.columns))
    s = pr.progress
    runs, excluded = [], {}
    for run, idx in pr.runs.items():
        if len(idx) < 2:
            excluded[run] = "fewer than 2 checkpoints"
        elif max_final_error is not None and _error_of_run(pr, idx) > max_final_error:
            excluded[run] = f"final error {_error_of_run(pr, idx):.3g} > {max_final_error}"
        else:
            runs.append(run)
    if len(runs) < 2:
        raise InvalidArgument("meta", owner, "contain at least 2 runs with ≥ 2 checkpoints that "
                              f"trained (final error ≤ {max_final_error})",
                              f"{len(runs)} usable runs")
    reach = np.array([float(np.max(s[pr.runs[r]])) for r in runs])
    hi = float(np.quantile(reach, 1.0 - coverage, method="lower"))
    for r, v in zip(list(runs), reach):
        if v < hi:
            excluded[r] = f"reaches progress {v:.3g} < {hi:.3g}"
            runs.remove(r)
    if len(runs) < 2:
        raise InvalidArgument("coverage", owner, "leave at least 2 runs", coverage)
    lo = max(float(np.min(s[pr.runs[r]])) for r in runs)
    if not hi > lo:
        raise InvalidArgument("meta", owner, "describe runs whose progress ranges overlap",
                              f"[max start, min end] = [{lo:.3g}, {hi:.3g}]")
    grid = np.linspace(lo, hi, int(n_grid))
    A, As = pr.logp, pr.log_truth()
    from tqdm.auto import tqdm
    T = np.empty((len(runs), grid.size) + A.shape[1:])
    valid = np.empty((len(runs), grid.size), dtype=bool)
    for i, r in enumerate(tqdm(runs, desc=f"reindex runs ({pr.split})", leave=False,
                               disable=len(runs) < 20)):
        idx = pr.runs[r]
        rr = reindex_by_progress(A[idx], grid, As, checkpoint_progress=s[idx], log=True)
        T[i], valid[i] = rr.probabilities, rr.valid
    conf = pr.configuration()
    out = {"grid": grid, "runs": np.array(runs, dtype=object), "trajectories": T,
           "valid": valid, "config": np.array([conf.iloc[pr.runs[r][0]] for r in runs]),
           "excluded": excluded,
           "first_index": np.array([pr.runs[r][0] for r in runs])}
    pr._cache[key] = out
    return out


_REASONS = {"final": "did not train (final train error above the threshold)",
            "reaches": "stop short of the grid's end",
            "fewer": "have a single checkpoint"}


def _config_matrix(D, config):
    labels = list(dict.fromkeys(config.tolist()))
    k = len(labels)
    M = np.zeros((k, k))
    for a, la in enumerate(labels):
        ia = np.flatnonzero(config == la)
        for b, lb in enumerate(labels):
            if b <= a:
                continue
            ib = np.flatnonzero(config == lb)
            M[a, b] = M[b, a] = float(np.mean(D[np.ix_(ia, ib)]))
    return labels, M


def trajectory_dendrogram(logp, meta=None, labels=None, *, n_grid: int = 21,
                          max_final_error: float | None = 0.1, coverage: float = 0.75,
                          colour_by: str | None = None,
                          n_estimators: int = 200, n_repeats: int = 10, seed: int = 0,
                          split: str = "train", number: int = 5) -> AnalysisResult:
    r"""Dendrogram of trajectory distances averaged over seeds; importance of each factor
    (eq. 2.2.5, Fig. 2.6; analysis 5).

    The distance between configurations a and b is the mean of :math:`d_{traj}` over all pairs
    of their runs (different seeds); leaves are configurations (every configuration with a usable
    run appears once). Factor importance: a random forest predicts :math:`d_{traj}` of a pair of
    runs from the pair's levels of each varying factor and their mean distances to the geodesic;
    importance = drop of the held-out :math:`R^2` when that factor is permuted
    (:func:`hyperribbon.numerics.factor_importance`).
    """
    owner = "trajectory_dendrogram"
    pr = as_predictions(logp, meta, labels, split=split, owner=owner)
    title = f"Dendrogram of {pr.split} trajectories and factor importance"
    key = f"a{number:02d}_dendrogram_{pr.split}"
    try:
        R = reindex_runs(pr, n_grid=n_grid, max_final_error=max_final_error, coverage=coverage)
    except InvalidArgument as exc:
        return skipped(key, number, title, str(exc))
    T, grid = R["trajectories"], R["grid"]
    D = trajectory_distance_matrix(T, grid, valid=R["valid"], log=True)
    if not np.all(np.isfinite(D)):
        raise InvalidArgument("logp", owner, "give finite trajectory distances (two re-indexed "
                              "models have disjoint supports on some sample)", D)
    conf = R["config"]
    leaves, M = _config_matrix(D, conf)
    colour = default_colour(pr, colour_by, owner)
    first = R["first_index"]
    colour_of_run = None if colour is None else pr.meta[colour].to_numpy()[first]
    from .. import plots
    lab_colour, legend = {}, {}
    if colour is not None:
        levels = list(dict.fromkeys(sorted(map(str, colour_of_run))))
        pal = {lv: plots.PALETTE[i % 10] for i, lv in enumerate(levels)}
        for c, v in zip(conf, colour_of_run):
            lab_colour[c] = pal[str(v)]
        legend = {f"{colour} = {lv}": pal[lv] for lv in levels}
    numbers = {"split": pr.split, "n_runs": int(len(R["runs"])), "n_configurations": len(leaves),
               "max_final_error": max_final_error, "coverage": coverage,
               "grid": [float(grid[0]), float(grid[-1]), int(grid.size)],
               "excluded_runs": {str(k): v for k, v in R["excluded"].items()},
               "leaves": leaves}
    tables = {"runs": pd.DataFrame(D, index=[str(r) for r in R["runs"]],
                                   columns=[str(r) for r in R["runs"]]).reset_index(names="run"),
              "configurations": pd.DataFrame(M, index=leaves, columns=leaves)
              .reset_index(names="configuration")}
    figures = {}
    parts = [f"{len(R['runs'])} {pr.split} runs were re-indexed by progress on {grid.size} points "
             f"in [{fmt(grid[0])}, {fmt(grid[-1])}] and compared by $d_{{traj}}$ (eq. 2.2.5)."]
    if R["excluded"]:
        why = {}
        for v in R["excluded"].values():
            k = v.split(" ")[0]
            why[k] = why.get(k, 0) + 1
        parts.append(f"{len(R['excluded'])} runs were left out ("
                     + ", ".join(f"{n} {_REASONS.get(k, k)}" for k, n in why.items()) + ").")
    if len(leaves) >= 2:
        cl = cluster_trajectories(M, method="average")
        order = [leaves[i] for i in cl.order]
        numbers["dendrogram_order"] = order
        numbers["cophenetic_correlation"] = cl.cophenetic_correlation
        iu = np.triu_indices(len(leaves), 1)
        numbers["config_distance_range"] = [float(M[iu].min()), float(M[iu].max())]
        figures["dendrogram"] = lambda: plots.plot_dendrogram(
            cl.linkage, leaves, label_colours=lab_colour, legend=legend,
            ylabel="configuration (" + "/".join(pr.varying_factors) + ")",
            title=f"{pr.split} trajectories, averaged over seeds ({len(leaves)} configurations)")
        parts.append(f"{len(leaves)} configurations (seeds averaged) are {fmt(M[iu].min())} to "
                     f"{fmt(M[iu].max())} apart; the dendrogram's cophenetic correlation is "
                     f"{fmt(cl.cophenetic_correlation)}.")
        if colour is not None and len(set(map(str, colour_of_run))) >= 2:
            from sklearn.metrics import adjusted_rand_score
            levels_of_leaf = [str(colour_of_run[list(conf).index(lf)]) for lf in leaves]
            k = len(set(levels_of_leaf))
            if k < len(leaves):
                cut = cluster_trajectories(M, method="average", n_clusters=k).labels
                ari = float(adjusted_rand_score(levels_of_leaf, cut))
                numbers["adjusted_rand_top_split"] = {"factor": colour, "clusters": k,
                                                      "ari": ari}
                parts.append(f"Cutting the tree into {k} clusters and comparing with `{colour}` "
                             f"gives an adjusted Rand index of {fmt(ari)} (1: the clusters are "
                             f"exactly the `{colour}` groups, 0: chance).")
    if len(R["runs"]) >= 3:
        est = InPCA(n_components=min(len(R["runs"]), 10)).fit(D)
        numbers["runs_inpca_explained_stress_2d"] = float(est.explained_stress_[
            min(2, est.explained_stress_.size) - 1])
        X = est.embedding_
        figures["runs_inpca"] = lambda: plots.plot_embedding_pairs(
            X[:, :2] if X.shape[1] >= 2 else np.c_[X, np.zeros(len(X))], colour_of_run,
            colour_name=colour, signs=est.signs_,
            title=f"InPCA of $d_{{traj}}$, one point per {pr.split} run; explained stress in "
                  f"2 dims: {100 * numbers['runs_inpca_explained_stress_2d']:.1f}%")
        parts.append(f"InPCA of the run × run matrix explains "
                     f"{pct(numbers['runs_inpca_explained_stress_2d'])} of the stress in 2 "
                     "dimensions.")
    factors = [c for c in pr.varying_factors]
    n_pairs = len(R["runs"]) * (len(R["runs"]) - 1) // 2
    if factors and n_pairs >= 8:
        As = pr.log_truth()
        dg = np.array([float(np.mean(distance_to_geodesic(T[i], As, log=True)[0]))
                       for i in range(len(R["runs"]))])
        F = pr.meta.loc[first, factors].astype(str).to_numpy()
        imp = factor_importance(D, F, factor_names=factors, covariates=dg,
                                covariate_names=["distance to geodesic"],
                                n_estimators=n_estimators, n_repeats=n_repeats, seed=seed)
        names = list(imp["importance"])
        means = [imp["importance"][k][0] for k in names]
        stds = [imp["importance"][k][1] for k in names]
        numbers["importance"] = {k: {"mean": v[0], "std": v[1]}
                                 for k, v in imp["importance"].items()}
        numbers["importance_r2"] = imp["r2"]
        tables["importance"] = pd.DataFrame({"factor": names, "mean_r2_drop": means,
                                             "std": stds})
        figures["importance"] = lambda: plots.plot_importance(
            names, means, stds, r2=imp["r2"], title=f"What distinguishes {pr.split} trajectories")
        ranked = sorted(names, key=lambda k: -imp["importance"][k][0])
        parts.append(f"A random forest predicts $d_{{traj}}$ of held-out pairs with $R^2$ = "
                     f"{fmt(imp['r2'])}; by permutation importance the factors rank "
                     + ", ".join(f"{k} ({fmt(imp['importance'][k][0])})" for k in ranked) + ".")
    return AnalysisResult(key=key, number=number, title=title, numbers=numbers, tables=tables,
                          figures=figures, markdown=" ".join(parts),
                          data={"D_runs": D, "D_configurations": M, "reindexed": R})


def tube_analysis(logp, meta=None, labels=None, *, n_grid: int = 21,
                  max_final_error: float | None = 0.1, coverage: float = 0.75,
                  group_by: str | None = None,
                  split: str = "train", number: int = 8) -> AnalysisResult:
    r"""Tube widths, distance to the geodesic and mean trajectories (Figs 2.16–2.17, §3.5.6;
    analysis 8).

    Tube width: :math:`d_B(P_{u(s)}, P_{\mu(s)})` of each run to the arithmetic mean of the runs
    of its configuration (different seeds) at equal progress (§3.5.6 uses the arithmetic mean
    for the mean trajectory). Distance to the geodesic: :math:`d_B` of each re-indexed model to
    its projection on the geodesic :math:`P_0\to P_*`. Mean trajectories of each level of
    ``group_by`` (default ``arch``) are compared by :math:`2d_B(\mu_1,\mu_2)/(r_1+r_2)`, with
    :math:`r(s)` the largest distance of a run of the group to its mean at progress s.
    """
    owner = "tube_analysis"
    pr = as_predictions(logp, meta, labels, split=split, owner=owner)
    title = f"Tubes, distance to the geodesic and mean trajectories ({pr.split})"
    key = f"a{number:02d}_tubes_{pr.split}"
    try:
        R = reindex_runs(pr, n_grid=n_grid, max_final_error=max_final_error, coverage=coverage)
    except InvalidArgument as exc:
        return skipped(key, number, title, str(exc))
    T, grid, conf = R["trajectories"], R["grid"], R["config"]
    n, K = T.shape[:2]
    As = pr.log_truth()
    widths = np.full((n, K), np.nan)
    n_tubes = 0
    for c in dict.fromkeys(conf.tolist()):
        sel = np.flatnonzero(conf == c)
        if sel.size >= 2:
            widths[sel] = tube_widths(T[sel], log=True)
            n_tubes += 1
    dgeo = np.stack([distance_to_geodesic(T[i], As, log=True)[0] for i in range(n)])   # (n, K)
    group = default_colour(pr, group_by, owner)
    gvals = (np.array(["all"] * n) if group is None
             else pr.meta[group].astype(str).to_numpy()[R["first_index"]])
    levels = list(dict.fromkeys(sorted(set(gvals.tolist()))))
    means, radii = {}, {}
    for lv in levels:
        sel = np.flatnonzero(gvals == lv)
        means[lv] = mean_trajectory(T[sel], log=True)
        radii[lv] = np.max(np.stack([np.atleast_1d(distance(T[i], means[lv], log=True))
                                     for i in sel]), axis=0)
    normalised = {}
    for a in range(len(levels)):
        for b in range(a + 1, len(levels)):
            la, lb = levels[a], levels[b]
            d = np.atleast_1d(distance(means[la], means[lb], log=True))
            with np.errstate(divide="ignore", invalid="ignore"):
                normalised[f"{la} vs {lb}"] = 2 * d / (radii[la] + radii[lb])
    finite_w = widths[np.isfinite(widths)]
    numbers = {"split": pr.split, "n_runs": n, "grid": grid.tolist(),
               "n_configurations_with_seeds": n_tubes,
               "median_tube_width": float(np.median(finite_w)) if finite_w.size else None,
               "median_tube_width_by_progress": [float(np.median(c[np.isfinite(c)]))
                                                 if np.isfinite(c).any() else None
                                                 for c in widths.T],
               "distance_to_geodesic_median": float(np.median(dgeo)),
               "distance_to_geodesic_by_progress": np.median(dgeo, axis=0).tolist(),
               "group_by": group, "tube_radius_by_progress": {k: v.tolist()
                                                             for k, v in radii.items()},
               "normalised_mean_distance": {k: v.tolist() for k, v in normalised.items()}}
    rows = []
    for i in range(n):
        for k in range(K):
            rows.append({"run": R["runs"][i], "configuration": conf[i], "group": gvals[i],
                         "progress": grid[k], "tube_width": widths[i, k],
                         "distance_to_geodesic": dgeo[i, k]})
    tables = {"runs": pd.DataFrame(rows)}
    from .. import plots
    pal = {lv: plots.PALETTE[i % 10] for i, lv in enumerate(levels)}
    figures = {}
    if finite_w.size:
        figures["tube_widths"] = lambda: plots.plot_tube_widths(
            grid, widths, title=f"Tube widths over seeds ({pr.split}, {n_tubes} configurations)",
            ylabel="$d_B$ to the configuration's mean model")

    def fig_geo():
        curves, colours, seen = {}, {}, set()
        for c in dict.fromkeys(conf.tolist()):
            sel = conf == c
            lv = gvals[sel][0]
            label = f"{group} = {lv}" if lv not in seen else f"_{c}"
            seen.add(lv)
            curves[label] = np.mean(dgeo[sel], axis=0)
            colours[label] = pal[lv]
        return plots.plot_curves(grid, curves, colours=colours, xlabel="progress $s$",
                                 ylabel=r"$d_B$ to the geodesic $P_0\to P_*$",
                                 title=f"Distance to the geodesic ({pr.split}; one line per "
                                       "configuration, seeds averaged)")

    figures["distance_to_geodesic"] = fig_geo
    if normalised:
        figures["normalised_distance"] = lambda: plots.plot_curves(
            grid, normalised, xlabel="progress $s$",
            ylabel=r"$2d_B(\mu_1,\mu_2)/(r_1+r_2)$", hline=1.0, hline_label="tubes touch",
            title=f"Mean trajectories by {group} ({pr.split}), normalised by tube radii")
    parts = [f"{n} {pr.split} runs re-indexed on progress [{fmt(grid[0])}, {fmt(grid[-1])}]."]
    if finite_w.size:
        parts.append(f"{n_tubes} configurations have several seeds; the median tube width (d_B "
                     f"of a run to its configuration's mean at equal progress) is "
                     f"{fmt(numbers['median_tube_width'])}.")
    else:
        parts.append("No configuration has two seeds, so no tube widths.")
    dg = numbers["distance_to_geodesic_by_progress"]
    mid = int(np.argmax(dg))
    parts.append(f"The median distance to the geodesic is {fmt(dg[0])} at the start of the grid, "
                 f"{fmt(dg[mid])} at its largest (progress {fmt(grid[mid])}) and {fmt(dg[-1])} "
                 "at the end.")
    for k, v in normalised.items():
        frac = float(np.mean(v < 1))
        parts.append(f"Mean trajectories {k}: normalised distance between {fmt(np.min(v))} and "
                     f"{fmt(np.max(v))}; the tubes intersect (< 1) on {pct(frac)} of the grid.")
    return AnalysisResult(key=key, number=number, title=title, numbers=numbers, tables=tables,
                          figures=figures, markdown=" ".join(parts),
                          data={"widths": widths, "distance_to_geodesic": dgeo,
                                "means": means, "radii": radii})
