r"""Centroids of ensembles over seeds and their test error (thesis Table 2.3, §2.5.4.4,
Fig. 2.24; analysis 10).

For every configuration trained from several seeds, the six centroids of
:mod:`hyperribbon.numerics.centroids` — arithmetic mean (AM, the usual ensemble), Hellinger
(sqrt-AM), geometric (GM), harmonic (HM), Bhattacharyya and Jeffreys — are computed from the
seeds' predictions at each recorded step (the same number of gradient updates), on the test
samples. Reported per centroid: test error and progress at the last step, averaged over
configurations, next to the mean error of the individual members (thesis, AllCNN on CIFAR-10:
AM 25.0%, GM 20.9%, HM 18.9%, sqrt-AM 22.8%, Bhattacharyya 23.1%, Jeffreys 22.7%).
Centroids are computed in the log domain (:func:`hyperribbon.numerics.centroid` with
``log=True``); Jeffreys' centroid is undefined (reported as NaN) where a member gives a class
probability 0.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hyperribbon.numerics import CENTROIDS, InPCA, centroid, progress as _progress
from hyperribbon.theory import InvalidArgument

from ._io import pct
from ._logdomain import pairwise_log_distances
from .predictions import as_predictions
from .result import AnalysisResult, skipped

__all__ = ["ensemble_centroids", "CENTROID_NAMES"]

CENTROID_NAMES = {"arithmetic": "AM", "sqrt_arithmetic": "sqrt-AM", "geometric": "GM",
                  "harmonic": "HM", "bhattacharyya": "Bhattacharyya", "jeffreys": "Jeffreys"}
THESIS_TEST_ERROR = {"arithmetic": 0.250, "geometric": 0.209, "harmonic": 0.189,
                     "sqrt_arithmetic": 0.228, "bhattacharyya": 0.231, "jeffreys": 0.227}


def _centroid(P, kind):
    kw = {"tol": 1e-12, "max_iter": 5000} if kind == "bhattacharyya" else {}
    try:
        return centroid(P, kind, log=True, **kw)
    except InvalidArgument:
        return None


def ensemble_centroids(train, test, *, meta=None, labels_train=None, labels_test=None,
                       kinds=CENTROIDS, min_seeds: int = 2, number: int = 10) -> AnalysisResult:
    r"""Test error and progress of the six centroids of each seed ensemble (Fig. 2.24).

    Parameters
    ----------
    train, test : (m, N, C) array_like or Predictions
        The same models on train and test samples (``meta`` needs ``run`` and a step column).
    kinds : sequence of str
        Centroids (default all of :data:`hyperribbon.numerics.CENTROIDS`).
    min_seeds : int
        Ensembles need at least this many runs of one configuration.
    """
    owner = "ensemble_centroids"
    for k in kinds:
        if k not in CENTROIDS:
            raise InvalidArgument("kinds", owner, "contain only " + ", ".join(CENTROIDS), k)
    tr = as_predictions(train, meta, labels_train, split="train", owner=owner)
    te = as_predictions(test, meta, labels_test, split="test", owner=owner)
    title = "Centroids of seed ensembles (test error)"
    key = f"a{number:02d}_ensembles"
    if not te.has_runs:
        return skipped(key, number, title, "needs run/step metadata")
    order = te.order_column
    conf = te.configuration()
    groups = {}
    for run, idx in te.runs.items():
        groups.setdefault(conf.iloc[idx[0]], []).append(idx)
    groups = {c: v for c, v in groups.items() if len(v) >= int(min_seeds)}
    if not groups:
        return skipped(key, number, title, f"no configuration has {min_seeds} or more runs")
    As = te.log_truth()
    y = te.labels
    rows = []
    from tqdm.auto import tqdm
    for c, runs in tqdm(groups.items(), desc="ensembles", leave=False, disable=len(groups) < 4):
        steps = set(te.meta.loc[runs[0], order])
        for idx in runs[1:]:
            steps &= set(te.meta.loc[idx, order])
        for st in sorted(steps):
            members = [idx[np.flatnonzero(te.meta.loc[idx, order].to_numpy() == st)[0]]
                       for idx in runs]
            P = te.logp[np.array(members)]
            member_err = float(np.mean(te.errors[members]))
            for kind in kinds:
                cen = _centroid(P, kind)
                if cen is None:
                    rows.append({"configuration": c, "step": st, "centroid": kind,
                                 "n_members": len(members), "test_error": np.nan,
                                 "test_progress": np.nan, "member_error": member_err})
                    continue
                rows.append({"configuration": c, "step": st, "centroid": kind,
                             "n_members": len(members),
                             "test_error": float(np.mean(np.argmax(cen, -1) != y)),
                             "test_progress": float(_progress(cen, As, log=True)),
                             "member_error": member_err})
    df = pd.DataFrame(rows)
    last = df.loc[df.groupby(["configuration", "centroid"])["step"].transform("max") == df["step"]]
    final = last.groupby("centroid", sort=False).agg(test_error=("test_error", "mean"),
                                                     test_progress=("test_progress", "mean"))
    final = final.reindex([k for k in kinds])
    member = float(last.groupby("configuration")["member_error"].first().mean())
    valid = final["test_error"].dropna()
    best = str(valid.idxmin()) if len(valid) else None
    tied = [str(k) for k, v in valid.items() if v == valid.min()] if len(valid) else []
    wide = last.pivot_table(index="configuration", columns="centroid", values="test_error")
    hm_vs_am = None
    if {"harmonic", "arithmetic"} <= set(wide.columns):
        hm_vs_am = float(np.mean(wide["harmonic"] < wide["arithmetic"]))
    numbers = {"n_configurations": len(groups),
               "members_per_configuration": {c: len(v) for c, v in groups.items()},
               "final_test_error": {k: (None if np.isnan(v) else float(v))
                                    for k, v in final["test_error"].items()},
               "final_test_progress": {k: (None if np.isnan(v) else float(v))
                                       for k, v in final["test_progress"].items()},
               "member_mean_test_error": member, "lowest": tied,
               "fraction_configs_harmonic_below_arithmetic": hm_vs_am,
               "thesis_test_error": THESIS_TEST_ERROR}
    from .. import plots
    labels = [CENTROID_NAMES[k] for k in final.index] + ["members (mean)"]
    values = list(final["test_error"].to_numpy()) + [member]
    figures = {"final_test_error": lambda: plots.plot_bars(
        labels, values, ylabel="test error at the last step (mean over configurations)",
        highlight=CENTROID_NAMES.get(best) if len(tied) == 1 else None,
        reference="members (mean)", title=f"Seed-ensemble centroids, "
        f"{len(groups)} configurations")}
    big = max(groups, key=lambda c: len(groups[c]))
    sub = df[df.configuration == big]

    def fig_curves():
        curves = {CENTROID_NAMES[k]: (g["test_progress"].to_numpy(), g["test_error"].to_numpy())
                  for k, g in sub.groupby("centroid", sort=False)}
        return plots.plot_curves(None, curves, xlabel="test progress of the centroid",
                                 ylabel="test error of the centroid",
                                 styles={k: "-o" for k in curves},
                                 title=f"Centroids along training: {big} "
                                       f"({len(groups[big])} seeds)")

    figures["error_vs_progress"] = fig_curves
    figures["inpca_with_centroids"] = lambda: _centroid_embedding(tr, groups[big], order, kinds,
                                                                  big)
    parts = [f"{len(groups)} configurations have {min_seeds} or more seeds. At the last step the "
             "test error of the centroid, averaged over configurations, is "
             + ", ".join(f"{CENTROID_NAMES[k]} {pct(v)}" for k, v in
                         numbers["final_test_error"].items() if v is not None)
             + f"; the members' mean error is {pct(member)}."]
    if len(tied) == 1:
        parts.append(f"The lowest is {CENTROID_NAMES[best]}.")
    elif tied:
        parts.append("Tied lowest: " + ", ".join(CENTROID_NAMES[k] for k in tied) + ".")
    if hm_vs_am is not None:
        parts.append(f"The harmonic mean beats the arithmetic mean in {pct(hm_vs_am)} of the "
                     "configurations.")
    undefined = [CENTROID_NAMES[k] for k, v in numbers["final_test_error"].items() if v is None]
    if undefined:
        parts.append(f"Undefined (a member gives probability 0): {', '.join(undefined)}.")
    return AnalysisResult(key=key, number=number, title=title, numbers=numbers,
                          tables={"centroids": df}, figures=figures, markdown=" ".join(parts))


def _centroid_embedding(tr, runs, order, kinds, name):
    """Top two InPCA coordinates of one configuration's train models with its centroids at the
    members' common steps added out of sample (Fig. 2.24a)."""
    from .. import plots
    idx = np.concatenate(runs)
    steps = set(tr.meta.loc[runs[0], order])
    for r in runs[1:]:
        steps &= set(tr.meta.loc[r, order])
    L = tr.logp[idx]
    est = InPCA().fit(pairwise_log_distances(L))
    extra = {}
    for kind in kinds:
        cents = []
        for st in sorted(steps):
            members = [r[np.flatnonzero(tr.meta.loc[r, order].to_numpy() == st)[0]] for r in runs]
            c = _centroid(tr.logp[np.array(members)], kind)
            if c is not None:
                cents.append(c)
        if cents:
            D = pairwise_log_distances(np.stack(cents), L)
            if np.all(np.isfinite(D)):
                extra[CENTROID_NAMES[kind]] = est.transform(D)[:, :2]
    seeds = tr.meta.loc[idx, "seed"].to_numpy() if "seed" in tr.meta.columns else None
    fig = plots.plot_embedding_3d(
        est.embedding_[:, :2], seeds, colour_name="seed", signs=est.signs_, extra=extra,
        title=f"Train InPCA of {name}: members (by seed) and centroids")
    return fig
