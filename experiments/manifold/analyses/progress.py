r"""Progress towards the truth: against error, and of larger vs smaller networks per step
(thesis eq. 2.2.4, Remark 2.2.1, Figs 2.7–2.8; analyses 6 and 7).

* :func:`progress_vs_error` (analysis 6) — least-squares fit of each model's error on its
  progress, on the train and on the test samples, with :math:`R^2` (``scipy.stats.linregress``;
  thesis: 0.95 train, 0.88 test on CIFAR-10), and train progress against test progress (0.99).
* :func:`larger_vs_smaller` (analysis 7) — for every configuration trained at several sizes
  (``width``), the seed-averaged progress of each size at each recorded step; the larger network
  is "ahead" at a step if its mean progress is higher (Fig. 2.8).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.stats

from hyperribbon.theory import InvalidArgument

from ._io import fmt, pct
from .embedding import default_colour
from .predictions import as_predictions
from .result import AnalysisResult, skipped

__all__ = ["progress_vs_error", "larger_vs_smaller", "fit_line"]


def fit_line(x, y) -> dict | None:
    r"""Least squares :math:`y \approx a x + b` by ``scipy.stats.linregress``:
    ``{"slope", "intercept", "r2", "n", "spearman"}`` (``r2`` = ``rvalue**2``; ``spearman`` the
    rank correlation, which a monotone but curved relation keeps near ±1), None if x or y is
    constant.

    Examples
    --------
    >>> fit_line([0, 1, 2], [1, 3, 5])["r2"]
    1.0
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    r = scipy.stats.linregress(x, y)
    return {"slope": float(r.slope), "intercept": float(r.intercept),
            "r2": float(r.rvalue ** 2), "n": int(x.size),
            "spearman": float(scipy.stats.spearmanr(x, y).statistic)}


def progress_vs_error(train, test=None, *, meta=None, labels_train=None, labels_test=None,
                      colour_by: str | None = None, number: int = 6) -> AnalysisResult:
    r"""Progress (eq. 2.2.4) against train and test error, with :math:`R^2` (Fig. 2.7).

    Parameters
    ----------
    train : (m, N, C) array_like or Predictions
    test : (m, N', C) array_like or Predictions, optional
        The same models on test samples.

    Returns
    -------
    AnalysisResult
        ``numbers["fits"][split]`` = ``{"slope", "intercept", "r2", "n"}`` of error on progress;
        ``numbers["fits"]["train_vs_test_progress"]`` when both splits are given.
    """
    owner = "progress_vs_error"
    splits = {"train": as_predictions(train, meta, labels_train, split="train", owner=owner)}
    if test is not None:
        splits["test"] = as_predictions(test, meta, labels_test, split="test", owner=owner)
        if splits["test"].m != splits["train"].m:
            raise InvalidArgument("test", owner, f"hold the same m = {splits['train'].m} models",
                                  f"{splits['test'].m} models")
    tr = splits["train"]
    colour = default_colour(tr, colour_by, owner)
    colvals = None if colour is None else tr.meta[colour].to_numpy()
    fits, tables, figures, parts = {}, {}, {}, []
    from .. import plots
    frame = tr.meta.copy()
    for name, pr in splits.items():
        s, e = pr.progress, pr.errors
        frame[f"progress_{name}"] = s
        frame[f"error_{name}"] = e
        fit = fit_line(s, e)
        fits[name] = fit
        if fit is None:
            parts.append(f"On the {name} samples progress or error is constant; no fit.")
            continue
        figures[f"{name}"] = (lambda s=s, e=e, fit=fit, name=name: plots.plot_progress_vs_error(
            s, e, colour=colvals, colour_name=colour,
            fit=(fit["slope"], fit["intercept"], fit["r2"]),
            xlabel=f"progress on {name} samples (eq. 2.2.4)", ylabel=f"{name} error",
            title=f"Progress vs {name} error, {pr.m} models"))
        parts.append(f"{name.capitalize()}: error = {fmt(fit['slope'])}·progress + "
                     f"{fmt(fit['intercept'])} with $R^2$ = {fmt(fit['r2'])} over {fit['n']} "
                     f"models (Spearman rank correlation {fmt(fit['spearman'])}).")
    if "test" in splits:
        fit = fit_line(splits["train"].progress, splits["test"].progress)
        fits["train_vs_test_progress"] = fit
        if fit is not None:
            figures["train_vs_test"] = lambda: plots.plot_progress_vs_error(
                splits["train"].progress, splits["test"].progress, colour=colvals,
                colour_name=colour, fit=(fit["slope"], fit["intercept"], fit["r2"]),
                xlabel="progress on train samples", ylabel="progress on test samples",
                title="Train vs test progress")
            parts.append(f"Train and test progress: $R^2$ = {fmt(fit['r2'])}.")
    high = (tr.progress > 0.99) & (tr.errors > 0.1)
    parts.append(f"{int(high.sum())} models have train progress above 0.99 with train error "
                 "above 10% (Remark 2.2.1: progress 1 does not imply zero error).")
    tables["models"] = frame
    return AnalysisResult(key=f"a{number:02d}_progress_error", number=number,
                          title="Progress vs error", numbers={"fits": fits,
                                                             "high_progress_high_error":
                                                             int(high.sum())},
                          tables=tables, figures=figures, markdown=" ".join(parts))


_SUFFIX = {"-small": 1, "-large": 2}


def _sizes(pr, size_column):
    """``(meta, size column, matching columns)``: sizes from ``size_column`` when it varies
    within an architecture, else from ``<family>-small`` / ``<family>-large`` architecture names
    (the thesis's Small and Large ResNet); ``(meta, None, [])`` if neither applies."""
    meta = pr.meta
    varying = pr.varying_factors
    if size_column in meta.columns:
        if "arch" in meta.columns:
            two = (meta.groupby("arch")[size_column].nunique() > 1).any()
        else:
            two = meta[size_column].nunique() > 1
        if two:
            return meta, size_column, [c for c in varying if c != size_column]
    if "arch" in meta.columns:
        arch = meta["arch"].astype(str)
        fam = arch.str.replace(r"-(small|large)$", "", regex=True)
        rank = arch.str.extract(r"(-small|-large)$")[0].map(_SUFFIX)
        ok = rank.notna()
        if ok.any() and (rank[ok].groupby(fam[ok]).nunique() > 1).any():
            m = meta.assign(family=fam, size_rank=rank.fillna(0).astype(int))
            others = ["family"] + [c for c in varying if c not in ("arch", size_column)]
            return m, "size_rank", others
    return meta, None, []


def larger_vs_smaller(logp, meta=None, labels=None, *, size_column: str = "width",
                      split: str = "train", number: int = 7) -> AnalysisResult:
    r"""Progress per step of larger vs smaller networks of the same configuration (Fig. 2.8).

    Configurations are matched on every varying factor except ``size_column`` (and the seed).
    Without two sizes of one architecture, architectures named ``<family>-small`` and
    ``<family>-large`` (e.g. ``wrn-small``, ``wrn-large``) are compared as two sizes of
    ``<family>`` (size rank 1 and 2).
    For each matched configuration with at least two sizes, the progress of each size is
    averaged over seeds at every step all its runs recorded; the largest and the smallest size
    are compared at their common steps after step 0.
    """
    owner = "larger_vs_smaller"
    pr = as_predictions(logp, meta, labels, split=split, owner=owner)
    title = f"Larger vs smaller networks: progress per step ({pr.split})"
    key = f"a{number:02d}_larger_smaller_{pr.split}"
    if not pr.has_runs:
        return skipped(key, number, title, "needs run/step metadata")
    meta2, size_col, others = _sizes(pr, size_column)
    if size_col is None:
        return skipped(key, number, title, f"no architecture was trained at two values of "
                       f"`{size_column}` (nor as a '<family>-small'/'-large' pair)")
    order = pr.order_column
    s = pr.progress
    rows = []
    for run, idx in pr.runs.items():
        row0 = meta2.loc[idx[0]]
        key_conf = "/".join(str(row0[c]) for c in others) if others else "all"
        for i in idx:
            rows.append({"configuration": key_conf, "size": row0[size_col], "run": run,
                         "step": pr.meta.loc[i, order], "progress": s[i]})
    df = pd.DataFrame(rows)
    mean = df.groupby(["configuration", "size", "step"], as_index=False).agg(
        progress=("progress", "mean"), n_runs=("run", "nunique"))
    comps, curves, styles, colours = [], {}, {}, {}
    from .. import plots
    confs = [c for c, g in mean.groupby("configuration") if g["size"].nunique() >= 2]
    for ci, conf in enumerate(confs):
        g = mean[mean.configuration == conf]
        sizes = sorted(g["size"].unique())
        small, large = sizes[0], sizes[-1]
        a = g[g["size"] == small].set_index("step")["progress"]
        b = g[g["size"] == large].set_index("step")["progress"]
        common = sorted(set(a.index) & set(b.index) - {0})
        for st in common:
            comps.append({"configuration": conf, "small": small, "large": large, "step": st,
                          "progress_small": a[st], "progress_large": b[st],
                          "difference": b[st] - a[st]})
        for j, sz in enumerate(sizes):
            gs = g[g["size"] == sz]
            lab = f"{conf}, {size_col}={sz}"
            curves[lab] = (gs["step"].to_numpy(dtype=float), gs["progress"].to_numpy())
            colours[lab] = plots.PALETTE[ci % 10]
            styles[lab] = "-o" if sz == large else ("--s" if sz == small else ":^")
    if not comps:
        return skipped(key, number, title, f"no configuration was trained at two values of "
                       f"`{size_col}` with common steps")
    comp = pd.DataFrame(comps)
    ahead = float(np.mean(comp["difference"] > 0))
    per_conf = comp.groupby("configuration").agg(fraction_ahead=("difference",
                                                                 lambda d: float(np.mean(d > 0))),
                                                 mean_difference=("difference", "mean"))
    numbers = {"split": pr.split, "size_column": size_col, "n_configurations": len(confs),
               "n_comparisons": int(len(comp)), "fraction_larger_ahead": ahead,
               "mean_difference": float(comp["difference"].mean()),
               "per_configuration": per_conf.reset_index().to_dict(orient="records")}

    def fig():
        f = plots.plot_curves(None, curves, styles=styles, colours=colours,
                              xlabel=f"{order} (gradient updates)" if order == "step" else order,
                              ylabel=f"progress on {pr.split} samples (seed mean)",
                              title=f"Progress per {order}: larger ({size_col} max, solid) vs "
                                    f"smaller (dashed)",
                              legend_title="configuration (" + "/".join(others) + ")")
        ax = f.axes[0]
        if (mean["step"] > 0).any():
            ax.set_xscale("symlog", linthresh=max(1.0, float(mean.loc[mean.step > 0,
                                                                       "step"].min())))
        return f

    parts = [f"{len(confs)} configuration{' was' if len(confs) == 1 else 's were'} trained at "
             f"several values of `{size_col}`. "
             f"Over {len(comp)} (configuration, step) pairs after step 0 the largest size has the "
             f"higher seed-mean progress in {pct(ahead)} of cases; the mean progress difference "
             f"(larger − smaller) is {fmt(numbers['mean_difference'])}."]
    return AnalysisResult(key=key, number=number, title=title, numbers=numbers,
                          tables={"comparisons": comp, "mean_progress": mean},
                          figures={"progress_per_step": fig}, markdown=" ".join(parts))
