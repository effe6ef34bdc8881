r"""Figures of the manifold analyses, callable on your own numbers (thesis Figs 2.1–2.28, 3.1–3.2).

Every function takes plain arrays (and optionally a column of metadata to colour by), returns a
``matplotlib.figure.Figure`` built without pyplot (no global state; save it with
``fig.savefig``), labels every axis, and puts a legend or colour bar on every coloured plot.
InPCA axes say whether the coordinate is space-like (:math:`\Lambda_k > 0`) or time-like
(:math:`\Lambda_k < 0`): squared Minkowski intervals :math:`\sum_k \mathrm{sign}(\Lambda_k)
(X_{ik} - X_{jk})^2` reproduce the distances (eq. 2.2.7), so a picture's Euclidean look misleads
along time-like axes.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((30, 3))
>>> fig = plot_embedding_3d(X, colour=np.repeat(["mlp", "cnn", "vit"], 10), colour_name="arch",
...                         signs=[1, -1, 1], explained=0.8, title="demo")
>>> fig.axes[0].get_xlabel()
'InPCA 1 (space-like)'
"""
from __future__ import annotations

import numpy as np

__all__ = ["categorical", "plot_embedding_3d", "plot_embedding_pairs", "plot_explained_stress",
           "plot_eigenvalues", "plot_progress_vs_error", "plot_along_training", "plot_counts",
           "plot_dendrogram", "plot_importance", "plot_tube_widths", "plot_curves", "plot_bars",
           "save_figure", "PALETTE"]

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def _figure(width=6.4, height=4.8):
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def _legend(ax, **kw):
    """A legend only when something is labelled (no empty-legend warning)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(**kw)


def categorical(values) -> bool:
    """Whether a column is drawn with discrete colours (non-numeric, or ≤ 10 distinct values)."""
    v = np.asarray(values)
    if v.dtype.kind not in "iuf":
        return True
    return len(np.unique(v[np.isfinite(v)] if v.dtype.kind == "f" else v)) <= 10


def _levels(values):
    v = np.asarray(values).astype(str)
    levels = list(dict.fromkeys(sorted(set(v.tolist()), key=_natural)))
    return v, levels


def _natural(s):
    try:
        return (0, float(s), "")
    except ValueError:
        return (1, 0.0, s)


def _colour_of(levels):
    if len(levels) <= len(PALETTE):
        return {lv: PALETTE[i] for i, lv in enumerate(levels)}
    import matplotlib
    cmap = matplotlib.colormaps["tab20"]
    return {lv: cmap(i % 20) for i, lv in enumerate(levels)}


def _scatter(ax, coords, colour, colour_name, fig, size=14, alpha=0.8, legend=True):
    """Scatter ``coords`` (tuple of arrays) coloured by ``colour``; legend or colour bar."""
    if colour is None:
        ax.scatter(*coords, s=size, alpha=alpha, color=PALETTE[0], label="models",
                   edgecolors="none")
        return
    if categorical(colour):
        v, levels = _levels(colour)
        cmap = _colour_of(levels)
        for lv in levels:
            sel = v == lv
            ax.scatter(*(c[sel] for c in coords), s=size, alpha=alpha, color=cmap[lv],
                       label=f"{colour_name} = {lv}" if colour_name else lv, edgecolors="none")
        return
    sc = ax.scatter(*coords, s=size, alpha=alpha, c=np.asarray(colour, dtype=float),
                    cmap="viridis", edgecolors="none")
    fig.colorbar(sc, ax=ax, shrink=0.7, label=colour_name or "value")


def _axis_names(signs, k, prefix="InPCA"):
    signs = np.ones(k) if signs is None else np.asarray(signs, dtype=float)
    return [f"{prefix} {i + 1} ({'space' if signs[i] > 0 else 'time'}-like)" for i in range(k)]


def plot_embedding_3d(X, colour=None, *, colour_name: str | None = None, signs=None,
                      explained: float | None = None, marks: dict | None = None, curve=None,
                      curve_label: str = r"geodesic $P_0\to P_*$", title: str = "InPCA embedding",
                      extra: dict | None = None, curves: dict | None = None):
    r"""The top three coordinates of an embedding, coloured by a metadata column (Fig. 2.1a).

    Parameters
    ----------
    X : (m, k ≥ 2) array_like
        Coordinates (columns ordered by :math:`|\Lambda|`).
    colour : (m,) array_like, optional
        Values to colour by (categorical → legend, numeric → colour bar).
    colour_name : str, optional
        Legend/colour-bar title (e.g. ``"arch"``).
    signs : (k,) array_like, optional
        :math:`\mathrm{sign}(\Lambda_k)`; labels axes space-/time-like.
    explained : float, optional
        Explained stress of these three dimensions (eq. 2.2.8), shown in the title.
    marks : dict, optional
        ``{name: (k,) coordinates}`` of special points (e.g. ``"$P_0$"``, ``"$P_*$"``).
    curve : (K, k) array_like, optional
        A curve to draw (e.g. the embedded geodesic).
    extra : dict, optional
        ``{label: (n, k) coordinates}`` of additional point sets drawn as black-edged markers.
    curves : dict, optional
        ``{label: (K, k) coordinates}`` of further curves (e.g. mean trajectories), drawn bold
        in the colour of the matching ``colour`` level when ``label`` is one.
    """
    X = np.asarray(X, dtype=float)
    three = X.shape[1] >= 3
    fig = _figure(7.2, 5.6)
    ax = fig.add_subplot(projection="3d" if three else None)
    coords = tuple(X[:, i] for i in range(3 if three else 2))
    _scatter(ax, coords, colour, colour_name, fig)
    if curve is not None:
        c = np.asarray(curve, dtype=float)
        ax.plot(*(c[:, i] for i in range(len(coords))), color="black", lw=1.6, label=curve_label)
    levels = _colour_of(_levels(colour)[1]) if colour is not None and categorical(colour) else {}
    for i, (name, c) in enumerate((curves or {}).items()):
        c = np.asarray(c, dtype=float)
        ax.plot(*(c[:, j] for j in range(len(coords))), lw=2.6,
                color=levels.get(str(name), PALETTE[i % 10]), label=f"mean: {name}")
    for i, (name, pts) in enumerate((extra or {}).items()):
        pts = np.atleast_2d(np.asarray(pts, dtype=float))
        ax.scatter(*(pts[:, j] for j in range(len(coords))), s=46, marker="^D*sPX"[i % 6],
                   color=PALETTE[(i + 3) % 10], edgecolors="black", linewidths=0.6, label=name)
    for i, (name, pt) in enumerate((marks or {}).items()):
        pt = np.asarray(pt, dtype=float)
        ax.scatter(*pt[:len(coords)], s=140, marker="*D"[i % 2], color="black", label=name,
                   zorder=5)
        if three:
            ax.text(*pt[:3], "  " + name, fontsize=11)
        else:
            ax.annotate("  " + name, pt[:2], fontsize=11)
    names = _axis_names(signs, len(coords))
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if three:
        ax.set_zlabel(names[2])
    dims = 3 if three else 2
    ax.set_title(title + ("" if explained is None
                          else f"\nexplained stress in {dims} dims: {100 * explained:.1f}%"))
    _legend(ax, loc="upper left", fontsize=7, markerscale=0.6, framealpha=0.8)
    return fig


def plot_embedding_pairs(X, colour=None, *, colour_name=None, signs=None, marks=None,
                         title: str = "InPCA coordinates, pairwise"):
    """Three panels: coordinates 1–2, 1–3, 2–3 (Figs 2.1c, 2.2)."""
    X = np.asarray(X, dtype=float)
    k = min(3, X.shape[1])
    pairs = [(0, 1), (0, 2), (1, 2)] if k == 3 else [(0, 1)]
    fig = _figure(4.3 * len(pairs), 4.2)
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    names = _axis_names(signs, k)
    for ax, (i, j) in zip(axes, pairs):
        _scatter(ax, (X[:, i], X[:, j]), colour, colour_name, fig, size=10)
        for n, (name, pt) in enumerate((marks or {}).items()):
            ax.scatter(pt[i], pt[j], s=120, marker="*D"[n % 2], color="black", label=name)
        ax.set_xlabel(names[i])
        ax.set_ylabel(names[j])
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        axes[0].legend(handles, labels, fontsize=7, loc="best")
    fig.suptitle(title)
    return fig


def plot_explained_stress(curves: dict, *, marks=(1, 3, 10, 25, 50), reference: dict | None = None,
                          title: str = "Explained stress (eq. 2.2.8)"):
    """Cumulative explained stress against the number of InPCA dimensions (Figs 2.1b, 2.26a).

    Parameters
    ----------
    curves : dict
        ``{label: (dims, stress)}``; stress in [0, 1].
    marks : sequence of int
        Dimensions annotated with their value on the first curve.
    reference : dict, optional
        ``{label: (dims, values)}`` drawn as hollow markers (e.g. the thesis's numbers).
    """
    fig = _figure(6.4, 4.4)
    ax = fig.add_subplot()
    for i, (label, (d, s)) in enumerate(curves.items()):
        d, s = np.asarray(d), np.asarray(s, dtype=float)
        ax.plot(d, 100 * s, "-o", ms=3, color=PALETTE[i % 10], label=label)
        if i == 0:
            for k in marks:
                if k in d:
                    v = s[list(d).index(k)]
                    ax.annotate(f"{100 * v:.1f}%", (k, 100 * v), textcoords="offset points",
                                xytext=(4, -12), fontsize=8)
    for i, (label, (d, v)) in enumerate((reference or {}).items()):
        ax.plot(d, 100 * np.asarray(v, dtype=float), "D", ms=7, mfc="none",
                color=PALETTE[(i + 5) % 10], label=label)
    ax.set_xscale("log")
    ax.set_xlabel("number of InPCA dimensions d")
    ax.set_ylabel("explained stress (%)")
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=8, loc="lower right")
    ax.set_title(title)
    return fig


def plot_eigenvalues(eigenvalues, *, noise_floor: float | None = None, explained=None,
                     dims=(1, 3, 10, 25, 50), title: str = "InPCA eigenvalues"):
    r""":math:`|\Lambda_k|` by rank, space-like (blue) and time-like (red) (Fig. 2.1b).

    ``explained``: the cumulative explained stress (k,), annotated at ``dims``; eigenvalues below
    ``noise_floor`` are drawn hollow (unresolved).
    """
    lam = np.asarray(eigenvalues, dtype=float)
    k = np.arange(1, lam.size + 1)
    fig = _figure(6.4, 4.4)
    ax = fig.add_subplot()
    mag = np.abs(lam)
    floor = 0.0 if noise_floor is None else float(noise_floor)
    for sign, colour, label in ((1, PALETTE[0], r"$\Lambda_k > 0$ (space-like)"),
                                (-1, PALETTE[3], r"$\Lambda_k < 0$ (time-like)")):
        sel = (np.sign(lam) == sign) & (mag > floor)
        ax.scatter(k[sel], mag[sel], s=12, color=colour, label=label)
    low = (mag <= floor) & (mag > 0)
    if low.any():
        ax.scatter(k[low], mag[low], s=12, facecolors="none", edgecolors="grey",
                   label="below noise floor (unresolved)")
    if noise_floor:
        ax.axhline(noise_floor, color="grey", ls="--", lw=1, label=r"noise floor $\varepsilon m|\Lambda_1|$")
    if explained is not None:
        ex = np.asarray(explained, dtype=float)
        for d in dims:
            if d <= ex.size:
                ax.annotate(f"{100 * ex[d - 1]:.1f}%", (d, mag[d - 1]), textcoords="offset points",
                            xytext=(3, 6), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rank k (by $|\\Lambda_k|$)")
    ax.set_ylabel(r"$|\Lambda_k|$")
    _legend(ax, fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(title + ("" if explained is None else "\n(percent: explained stress in top d)"))
    return fig


def plot_progress_vs_error(progress, error, *, colour=None, colour_name=None, fit=None,
                           xlabel="progress $s_w$ (eq. 2.2.4)", ylabel="error",
                           title="Progress vs error"):
    """Scatter of error against progress with the least-squares line (Fig. 2.7).

    ``fit``: ``(slope, intercept, r2)`` of error regressed on progress.
    """
    fig = _figure(5.6, 4.4)
    ax = fig.add_subplot()
    s, e = np.asarray(progress, dtype=float), np.asarray(error, dtype=float)
    _scatter(ax, (s, e), colour, colour_name, fig, size=10, alpha=0.6)
    if fit is not None:
        slope, intercept, r2 = fit
        xs = np.linspace(np.min(s), np.max(s), 50)
        ax.plot(xs, slope * xs + intercept, "k--", lw=1.2,
                label=f"least squares, $R^2$ = {r2:.3f}")
        title = f"{title} ($R^2$ = {r2:.3f})"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _legend(ax, fontsize=7)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    return fig


def plot_along_training(x, y, groups, *, colour=None, colour_name=None, xlabel="step",
                        ylabel="distance", title="Along training", hline=None, hline_label=None,
                        logy=False):
    """One line per group (trajectory) of ``y`` against ``x``, coloured per group (Fig. 2.3)."""
    fig = _figure(6.4, 4.4)
    ax = fig.add_subplot()
    x, y, g = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(groups)
    col = None if colour is None else np.asarray(colour)
    cmap = None
    if col is not None:
        v, levels = _levels(col)
        cmap = _colour_of(levels)
    seen = set()
    for grp in dict.fromkeys(g.tolist()):
        sel = g == grp
        order = np.argsort(x[sel], kind="stable")
        c, label = PALETTE[0], None
        if cmap is not None:
            lv = v[sel][0]
            c = cmap[lv]
            if lv not in seen:
                label = f"{colour_name} = {lv}" if colour_name else lv
                seen.add(lv)
        ax.plot(x[sel][order], y[sel][order], "-", lw=0.9, alpha=0.7, color=c, label=label)
    if hline is not None:
        ax.axhline(hline, color="black", ls="--", lw=1, label=hline_label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=7)
    ax.set_title(title)
    return fig


def plot_counts(table, *, xlabel: str, ylabel: str = "number of models", title: str = "Counts"):
    """Grouped bars of a count table (rows: x categories, columns: stacked groups; Fig. 2.3)."""
    import pandas as pd
    t = pd.DataFrame(table)
    fig = _figure(6.4, 4.2)
    ax = fig.add_subplot()
    x = np.arange(len(t.index))
    width = 0.8 / max(1, len(t.columns))
    for i, col in enumerate(t.columns):
        ax.bar(x + i * width - 0.4 + width / 2, t[col].to_numpy(dtype=float), width,
               color=PALETTE[i % 10], label=str(col))
    ax.set_xticks(x, [str(i) for i in t.index], rotation=30, ha="right")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(t.columns):
        ax.legend(fontsize=8, title=t.columns.name)
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(title)
    return fig


def plot_dendrogram(linkage, labels, *, label_colours=None, legend: dict | None = None,
                    xlabel="mean trajectory distance $d_{traj}$ (eq. 2.2.5)",
                    ylabel="configuration", title="Dendrogram of trajectories"):
    """A horizontal dendrogram with coloured leaf labels (Fig. 2.6a).

    ``label_colours``: ``{label: colour}``; ``legend``: ``{name: colour}`` for the legend.
    """
    from matplotlib.patches import Patch
    from scipy.cluster.hierarchy import dendrogram
    n = len(labels)
    fig = _figure(7.0, max(3.0, 0.26 * n + 1.2))
    ax = fig.add_subplot()
    dendrogram(linkage, labels=list(labels), orientation="left", ax=ax,
               color_threshold=0, above_threshold_color="black")
    if label_colours:
        for t in ax.get_yticklabels():
            t.set_color(label_colours.get(t.get_text(), "black"))
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend(handles=[Patch(color=c, label=k) for k, c in legend.items()], fontsize=7,
                  loc="lower left")
    ax.set_title(title)
    return fig


def plot_importance(names, means, stds, *, r2=None, title="Factor importance"):
    """Bars of permutation importance (drop of held-out R²) with ±1 std (Fig. 2.6c)."""
    fig = _figure(6.0, 3.8)
    ax = fig.add_subplot()
    order = np.argsort(-np.asarray(means, dtype=float))
    names = [names[i] for i in order]
    ax.barh(np.arange(len(names)), np.asarray(means, dtype=float)[order],
            xerr=np.asarray(stds, dtype=float)[order], color=PALETTE[0],
            label="mean ± std over permutations")
    ax.set_yticks(np.arange(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("drop of held-out $R^2$ when permuted")
    ax.set_ylabel("factor")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="x")
    ax.set_title(title + ("" if r2 is None else f" (forest $R^2$ = {r2:.2f})"))
    return fig


def plot_tube_widths(grid, widths, *, title="Tube widths", ylabel="$d_B$ to the mean model"):
    """Box plots of the distances to the configuration mean at each progress (Fig. 2.16).

    ``widths``: (n, K) array, NaN where a trajectory does not reach that progress.
    """
    fig = _figure(7.0, 4.2)
    ax = fig.add_subplot()
    W = np.asarray(widths, dtype=float)
    data = [col[np.isfinite(col)] for col in W.T]
    pos = np.arange(len(grid))
    ax.boxplot(data, positions=pos, widths=0.6, showfliers=True, flierprops={"ms": 2})
    step = max(1, len(grid) // 10)
    ax.set_xticks(pos[::step], [f"{g:.2f}" for g in np.asarray(grid)[::step]])
    ax.set_xlabel("progress $s$")
    ax.set_ylabel(ylabel)
    med = np.array([np.median(d) if d.size else np.nan for d in data])
    ax.plot(pos, med, color=PALETTE[1], lw=1, label="median")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(title)
    return fig


def plot_curves(x, curves: dict, *, xlabel, ylabel, title, colours: dict | None = None,
                styles: dict | None = None, hline=None, hline_label=None, logy=False,
                legend_title=None):
    """Several curves ``{label: y}`` against a common ``x`` or ``{label: (x, y)}``."""
    fig = _figure(6.4, 4.4)
    ax = fig.add_subplot()
    for i, (label, yv) in enumerate(curves.items()):
        xs, ys = (yv if isinstance(yv, tuple) else (x, yv))
        kw = {"color": (colours or {}).get(label, PALETTE[i % 10]), "lw": 1.3}
        ax.plot(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float),
                (styles or {}).get(label, "-"), label=str(label), **kw)
    if hline is not None:
        ax.axhline(hline, color="black", ls="--", lw=1, label=hline_label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    _legend(ax, fontsize=7, title=legend_title)
    ax.set_title(title)
    return fig


def plot_bars(labels, values, *, ylabel, title, highlight: str | None = None, fmt="{:.1%}",
              reference: str | None = None, xlabel: str = "centroid"):
    """Labelled bars (e.g. test error of each ensemble centroid, Fig. 2.24b); ``highlight`` in
    red, a ``reference`` bar (e.g. the members' mean) in grey."""
    fig = _figure(6.4, 4.0)
    ax = fig.add_subplot()
    v = np.asarray(values, dtype=float)
    colours = [PALETTE[3] if lab == highlight else ("#aaaaaa" if lab == reference else PALETTE[0])
               for lab in labels]
    bars = ax.bar(np.arange(len(labels)), v, color=colours)
    for b, val in zip(bars, v):
        if np.isfinite(val):
            ax.annotate(fmt.format(val), (b.get_x() + b.get_width() / 2, val),
                        textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    ax.set_xticks(np.arange(len(labels)), labels, rotation=20, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    from matplotlib.patches import Patch
    handles = ([Patch(color=PALETTE[3], label=f"lowest: {highlight}")] if highlight else []) \
        + [Patch(color=PALETTE[0], label="others" if highlight else xlabel)] \
        + ([Patch(color="#aaaaaa", label=reference)] if reference else [])
    ax.legend(handles=handles, fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(title)
    return fig


def save_figure(fig, out, name, dpi: int = 130) -> list:
    """Save ``fig`` as ``out/name.png`` and ``out/name.pdf`` (atomically); returns the paths."""
    from pathlib import Path

    from .analyses._io import atomic_savefig
    out = Path(out)
    return [atomic_savefig(fig, out / f"{name}.{ext}", dpi=dpi, bbox_inches="tight")
            for ext in ("png", "pdf")]
