"""Plot helpers of the curvature experiments (private; matplotlib with the Agg canvas).

Spectra are drawn as eigenvalue against index on a logarithmic axis: resolved eigenvalues as
lines/filled markers, and eigenvalues below their error bound (unresolved) are *not drawn as
values*: :func:`plot_spectrum` marks the noise floor instead (a dotted line labelled
"noise floor"), so no unresolved value can be read off the figure as measured.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ._io import atomic_savefig

__all__ = ["new_figure", "save_figure", "plot_spectrum", "fit_log_ylim"]


def new_figure(**kw):
    """A matplotlib Figure on the Agg canvas (no pyplot state)."""
    from matplotlib.figure import Figure
    kw.setdefault("layout", "constrained")
    return Figure(**kw)


def save_figure(fig, out, stem) -> list:
    """``<stem>.png`` (150 dpi) and ``<stem>.pdf`` in ``out``, atomically."""
    out = Path(out)
    return [atomic_savefig(fig, out / f"{stem}.{ext}", dpi=150) for ext in ("png", "pdf")]


def plot_spectrum(ax, spec, *, scale: float = 1.0, label: str = "", color=None, style="-",
                  marker=None, floor_line: bool = True, max_points: int | None = None,
                  lw: float = 1.4):
    """Draw the resolved eigenvalues of ``spec`` (times ``scale``) against their 1-based index.

    Magnitudes are drawn (|λ|, as the thesis's Fig 4.10 does for the Hessian). Unresolved
    eigenvalues are left out; ``floor_line`` draws their largest error bound (times ``scale``) —
    the level below which nothing is resolved — as a dotted horizontal line of the same colour
    over their index range.

    Returns
    -------
    int
        Number of resolved eigenvalues drawn.
    """
    vals = np.abs(np.asarray(spec.values)) * scale
    res = np.asarray(spec.resolved)
    idx = np.arange(1, vals.size + 1)
    if max_points is not None and vals.size > max_points:
        keep = np.unique(np.round(np.geomspace(1, vals.size, max_points)).astype(int)) - 1
        keep = np.union1d(keep, np.arange(min(50, vals.size)))
    else:
        keep = np.arange(vals.size)
    sel = keep[res[keep]]
    line = ax.semilogy(idx[sel], vals[sel], linestyle=style, color=color, marker=marker, ms=3,
                       lw=lw, label=label)[0]
    if floor_line and np.any(~res):
        bad = idx[~res]
        level = float(np.max(np.asarray(spec.errors)[~res])) * scale
        if level > 0:
            ax.hlines(level, bad.min(), bad.max(), colors=line.get_color(), linestyles=":",
                      lw=1.0)
    return int(sel.size)


def fit_log_ylim(ax, pad: float = 3.0) -> None:
    """Set the y-range of a log axis to the drawn *lines* (the measured values), padded by
    ``pad``; noise-floor segments far below the measured values then fall outside the axes
    (they mark values that are not shown anyway)."""
    ys = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
    ys = np.concatenate([y[np.isfinite(y) & (y > 0)] for y in ys if y.size] or [np.ones(1)])
    if ys.size:
        ax.set_ylim(float(ys.min()) / pad, float(ys.max()) * pad)
