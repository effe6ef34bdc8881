r"""Distances to ignorance and truth along training; models away from the manifold
(thesis Figs 2.2–2.3, §2.3 "Characterizing the details of the train manifold"; analysis 4).

For every model :math:`d_B(P, P_0)` and :math:`d_B(P, P_*)` (the latter is half the
cross-entropy loss) are computed exactly from log-probabilities and drawn against the step (or
epoch) of its run. Models with :math:`d_B(P, P_*) > 2` (the thesis's threshold; for comparison
:math:`d_B(P_0, P_*) = \tfrac12\log C`) lie "away from the main manifold"; they are counted by
optimizer and architecture (Fig. 2.3a) and by training time (Fig. 2.3b). The top two InPCA
coordinates coloured by :math:`d_B(P,P_*)` and by error reproduce Fig. 2.2b–c.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._io import fmt, pct
from .embedding import default_colour, fit_inpca
from .predictions import as_predictions
from .result import AnalysisResult

__all__ = ["away_from_manifold"]


def _time_bins(values, n_bins):
    v = pd.Series(values, dtype=float)
    uniq = np.unique(v)
    if uniq.size <= n_bins:
        return v.map(lambda x: fmt(x)), [fmt(u) for u in uniq]
    edges = np.unique(np.quantile(uniq, np.linspace(0, 1, n_bins + 1)))
    cats = pd.cut(v, edges, include_lowest=True)
    labels = [f"{fmt(iv.left)}–{fmt(iv.right)}" for iv in cats.cat.categories]
    return cats.cat.rename_categories(labels).astype(str), labels


def away_from_manifold(train, test=None, *, meta=None, labels_train=None, labels_test=None,
                       threshold: float = 2.0, stratify_by: str = "optimizer",
                       colour_by: str | None = None, n_time_bins: int = 6,
                       max_final_error: float = 0.1, number: int = 4) -> AnalysisResult:
    r"""Distances to :math:`P_0` and :math:`P_*` along training and the models with
    :math:`d_B(P,P_*) >` ``threshold`` (Figs 2.2–2.3).

    Parameters
    ----------
    train, test : (m, N, C) array_like or Predictions
    threshold : float
        :math:`d_B(P, P_*)` above which a model is "away from the manifold" (thesis: 2).
    stratify_by : str
        Column the away-models are counted by (thesis: optimizer); ignored if absent.
    max_final_error : float
        Runs whose last checkpoint has a larger error are left out of the "end of training"
        distance to the truth (the thesis excludes train error > 10%).
    """
    owner = "away_from_manifold"
    splits = {"train": as_predictions(train, meta, labels_train, split="train", owner=owner)}
    if test is not None:
        splits["test"] = as_predictions(test, meta, labels_test, split="test", owner=owner)
    tr = splits["train"]
    colour = default_colour(tr, colour_by, owner)
    strat = stratify_by if stratify_by in tr.meta.columns else None
    order = tr.order_column
    from .. import plots
    numbers, tables, figures, parts = {"threshold": float(threshold)}, {}, {}, []
    frame = tr.meta.copy()
    for name, pr in splits.items():
        d0, ds, err = pr.d_ignorance, pr.d_truth, pr.errors
        frame[f"d_ignorance_{name}"], frame[f"d_truth_{name}"] = d0, ds
        frame[f"error_{name}"] = err
        away = ds > threshold
        info = {"n_models": pr.m, "n_away": int(away.sum()), "fraction_away": float(away.mean()),
                "d_ignorance_truth": float(0.5 * np.log(pr.n_classes))}
        if pr.has_runs:
            starts = np.array([d0[idx[0]] for idx in pr.runs.values()])
            good = [idx for idx in pr.runs.values() if tr.errors[idx[-1]] <= max_final_error]
            ends = np.array([ds[idx[-1]] for idx in good])
            info.update({"start_d_ignorance_max": float(starts.max()),
                         "start_d_ignorance_median": float(np.median(starts)),
                         "n_runs_trained": len(good),
                         "end_d_truth_max": float(ends.max()) if ends.size else None,
                         "end_d_truth_median": float(np.median(ends)) if ends.size else None,
                         "n_runs_with_away_models": int(len({pr.meta.loc[i, "run"]
                                                             for i in np.flatnonzero(away)}))})
            x = pr.meta[order].to_numpy(dtype=float)
            runs = pr.meta["run"].to_numpy()
            col = None if colour is None else pr.meta[colour].to_numpy()
            figures[f"{name}_to_ignorance"] = (lambda x=x, d=d0, runs=runs, col=col, name=name:
                                               plots.plot_along_training(
                x, d, runs, colour=col, colour_name=colour, xlabel=order,
                ylabel=r"$d_B(P, P_0)$", title=f"Distance to ignorance along training ({name})"))
            figures[f"{name}_to_truth"] = (lambda x=x, d=ds, runs=runs, col=col, name=name:
                                           plots.plot_along_training(
                x, d, runs, colour=col, colour_name=colour, xlabel=order,
                ylabel=r"$d_B(P, P_*)$ (= half the cross-entropy)", hline=threshold,
                hline_label=f"threshold {threshold}", logy=True,
                title=f"Distance to the truth along training ({name})"))
        if away.any():
            sub = pr.meta.loc[away]
            if strat is not None and colour is not None and colour != strat:
                t = pd.crosstab(sub[colour].astype(str), sub[strat].astype(str))
                tables[f"{name}_away_by_{colour}"] = t.reset_index()
                info[f"away_by_{colour}_{strat}"] = {str(i): {str(c): int(t.loc[i, c])
                                                              for c in t.columns} for i in t.index}
                figures[f"{name}_away_by_{colour}"] = (lambda t=t, name=name: plots.plot_counts(
                    t, xlabel=colour, title=f"{name} models with $d_B(P,P_*) > {threshold}$ by "
                    f"{colour} and {strat}"))
            if strat is not None:
                info[f"away_by_{strat}"] = {str(k): int(v) for k, v in
                                            sub[strat].astype(str).value_counts().items()}
            when = "epoch" if "epoch" in pr.meta.columns else order
            if when is not None:
                tb, levels = _time_bins(pr.meta[when].to_numpy(dtype=float)[away], n_time_bins)
                groups = sub[strat].astype(str).to_numpy() if strat else np.array(["all"] * len(sub))
                t = pd.crosstab(pd.Categorical(tb.to_numpy(), categories=levels), groups)
                t.index.name, t.columns.name = when, strat
                tables[f"{name}_away_by_{when}"] = t.reset_index()
                figures[f"{name}_away_by_{when}"] = (lambda t=t, name=name, when=when:
                                                     plots.plot_counts(
                    t, xlabel=f"{when} (bins)", title=f"{name} models with "
                    f"$d_B(P,P_*) > {threshold}$ by {when}" + (f" and {strat}" if strat else "")))
        numbers[name] = info
        parts.append(_sentence(name, info, threshold, strat))
    est = fit_inpca(tr)
    X = est.embedding_
    m = tr.m
    marks = {"$P_0$": X[m], "$P_*$": X[m + 1]}
    figures["inpca_by_truth"] = lambda: plots.plot_embedding_pairs(
        X[:m], tr.d_truth, colour_name=r"$d_B(P,P_*)$", signs=est.signs_, marks=marks,
        title="Train InPCA coloured by distance to the truth (Fig. 2.2b)")
    figures["inpca_by_error"] = lambda: plots.plot_embedding_pairs(
        X[:m], tr.errors, colour_name="train error", signs=est.signs_, marks=marks,
        title="Train InPCA coloured by train error (Fig. 2.2c)")
    tables["models"] = frame
    return AnalysisResult(key=f"a{number:02d}_away", number=number,
                          title="Distances to ignorance and truth; models away from the manifold",
                          numbers=numbers, tables=tables, figures=figures,
                          markdown=" ".join(parts))


def _sentence(name, info, threshold, strat):
    s = [f"{name.capitalize()}: {info['n_away']} of {info['n_models']} models "
         f"({pct(info['fraction_away'])}) have $d_B(P,P_*) > {fmt(threshold)}$ "
         f"($d_B(P_0,P_*) = {fmt(info['d_ignorance_truth'], 4)}$)"]
    if info["n_away"] and "n_runs_with_away_models" in info:
        s[-1] += f", from {info['n_runs_with_away_models']} runs"
    s[-1] += "."
    by = info.get(f"away_by_{strat}") if strat else None
    if by:
        s.append("By " + strat + ": " + ", ".join(f"{k} {v}" for k, v in
                                                  sorted(by.items(), key=lambda kv: -kv[1]))
                 + ".")
    if "start_d_ignorance_max" in info:
        s.append(f"Runs start at $d_B(P,P_0)$ ≤ {fmt(info['start_d_ignorance_max'])} (median "
                 f"{fmt(info['start_d_ignorance_median'])}).")
        if info["end_d_truth_max"] is not None:
            s.append(f"The {info['n_runs_trained']} runs that trained end at $d_B(P,P_*)$ ≤ "
                     f"{fmt(info['end_d_truth_max'])} (median {fmt(info['end_d_truth_median'])}).")
    return " ".join(s)
