r"""Phase diagrams of hyper-ribbon dimensionality (thesis Fig 5.3) for any setting.

:func:`run_phase_diagram` evaluates :func:`hyperribbon.numerics.linear_models.phase.phase_diagram` over a
(T, c, σ*/σw) grid (optionally several α, n, d, batch sizes) and writes to ``out``:

``{prefix}_heatmaps.png/.pdf``
    dim P(T) over (T, c), one panel per σ*/σw of ``heatmap_ratios`` (Fig 5.3 a-c); solid lines:
    the phase boundaries dim = k for each threshold k; dashed: where Lemma 5.2.3 puts them; the
    legend of each panel names the boundaries drawn and those absent from the panel.
``{prefix}_boundaries_3d.png/.pdf``
    the boundary surfaces in (log T, σ*/σw, c): for each threshold k the slope c above which
    dim P(T) ≤ k, as a 3-D surface (:func:`boundary_surface`; Fig 5.3 d; black, pink, orange for
    the first three thresholds as in the thesis).
``{prefix}_contours.png/.pdf``
    one panel per threshold: the boundary for every σ*/σw, colour-coded with a legend (Fig 5.3
    e-f).
``{prefix}_bound.png/.pdf``
    dim P1(T) next to the dimensionality Lemma 5.2.3 certifies for it.
``{prefix}_grid.npz`` / ``{prefix}_grid.csv`` / ``{prefix}_summary.json``
    the raw grid (axes, means, per-draw values), one CSV row per grid point, parameters and a
    summary; ``report.md`` says what was computed, with which parameters and versions.

A boundary "dim = k" is the level set k + 1/2 of the (draw-averaged) dimensionality: it separates
the phase "k dimensions or fewer hold the variance fraction" from "more than k".

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     res = run_phase_diagram(tmp, quick=True, progress=False)
...     sorted(p.name for p in res.files if p.suffix == ".png")
['phase_bound.png', 'phase_boundaries_3d.png', 'phase_contours.png', 'phase_heatmaps.png']
"""
from __future__ import annotations

import io
import json
import math
import numbers
import platform
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hyperribbon.numerics.linear_models.phase import AXES, PhaseDiagram, log_integer_grid, phase_diagram
from hyperribbon.theory._validate import as_int
from hyperribbon.theory.errors import InvalidArgument

# shared output helpers: temporary file + os.replace, ordinary permissions under the umask
from .._output import atomic_savefig, atomic_savez as _atomic_savez, atomic_write_text
from .._output import json_dumps, output_folder

__all__ = ["PhaseDiagramRun", "run_phase_diagram", "FIG_5_3", "QUICK", "write_grid",
           "draw_all", "summarise", "atomic_write_text", "atomic_savefig", "versions",
           "boundary_surface"]

#: The grid of thesis Fig 5.3. Pinned by the thesis: the axes (T, c, σ*/σw), f = 95 %, thresholds
#: 3/10/30. Our choices (flags): n = 50 and d = 100 (the setting of Figs 5.2 and 5.5), α = 0.9
#: (< 1/λ1, assumption (iii); as the toolkit's Fig 5.2 default), T in [1, 10⁴] (64 log-spaced
#: integers), c in [0.02, 1] (64 values; the thesis requires c ≫ 1/n), panels (a)-(c) at
#: σ*/σw = 4.8, 2.4, 1.2 (the narrative says contour "4.8" of panel (e) is a slice of panel (a), and
#: (b), (c) have larger initialisation variance), the 3D and contour panels over σ*/σw = 1.2, 2.4,
#: ..., 12 (the labels 4.8 and "≳ 9" suggest a step of 1.2), 8 target draws.
FIG_5_3 = dict(T_min=1, T_max=10_000, T_num=64, c_min=0.02, c_max=1.0, c_num=64,
               ratios=tuple(round(1.2 * k, 1) for k in range(1, 11)),
               heatmap_ratios=(4.8, 2.4, 1.2), alpha=0.9, n=50, d=100, batch=None,
               thresholds=(3, 10, 30), fraction=0.95, expectation="draws", draws=8, seed=0,
               sigma_w2=1.0, weight_decay=0.0, lambda1=1.0)
#: ``quick=True`` sizes (what the tests run).
QUICK = dict(T_num=10, c_num=8, ratios=(1.2, 2.4, 4.8), heatmap_ratios=(4.8, 1.2), n=30, d=60,
             draws=2, thresholds=(3, 10))
_THRESHOLD_COLOURS = ("black", "#e377c2", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd")


@dataclass
class PhaseDiagramRun:
    """What :func:`run_phase_diagram` produced: the grid, the output files and the summary."""

    diagram: PhaseDiagram
    out: Path
    report: Path
    files: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def versions() -> str:
    """One line with the versions of Python and the numerical libraries."""
    import matplotlib
    import scipy
    return (f"python {platform.python_version()}, numpy {np.__version__}, scipy "
            f"{scipy.__version__}, matplotlib {matplotlib.__version__}")


# ------------------------------------------------------------------ grid I/O
def write_grid(diagram: PhaseDiagram, out: Path, prefix: str) -> list:
    """``{prefix}_grid.npz`` (axes, ``mean_<q>``, ``draws_<q>``, settings JSON) and
    ``{prefix}_grid.csv`` (one row per grid point; ``<q>_sd`` is the standard deviation over
    draws)."""
    out = Path(out)
    arrays = {f"axis_{a}": diagram.axes[a] for a in AXES}
    arrays.update({f"mean_{q}": v for q, v in diagram.mean.items()})
    arrays.update({f"draws_{q}": v for q, v in diagram.per_draw.items()})
    arrays["settings_json"] = np.array(json.dumps(diagram.settings))
    npz = _atomic_savez(out / f"{prefix}_grid.npz", **arrays)
    grids = np.meshgrid(*[diagram.axes[a] for a in AXES], indexing="ij")
    cols = {a: g.ravel() for a, g in zip(AXES, grids)}
    header = list(AXES)
    for q in diagram.quantities:
        cols[q] = diagram.mean[q].ravel()
        header.append(q)
        if q in diagram.per_draw and diagram.per_draw[q].shape[-1] > 1:
            cols[q + "_sd"] = diagram.per_draw[q].std(axis=-1).ravel()
            header.append(q + "_sd")
    table = np.column_stack([cols[h] for h in header])
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    np.savetxt(buf, table, delimiter=",", fmt="%.10g")
    csv = atomic_write_text(out / f"{prefix}_grid.csv", buf.getvalue())
    return [npz, csv]


# ------------------------------------------------------------------ the run
def run_phase_diagram(out="out/phase_diagram", *, T=None, T_min=None, T_max=None, T_num=None,
                      c=None, c_min=None, c_max=None, c_num=None, ratios=None,
                      heatmap_ratios=None, alpha=None, n=None, d=None, batch=None,
                      thresholds=None, fraction=None, expectation=None, draws=None, seed=None,
                      sigma_w2=None, weight_decay=None, lambda1=None, spectrum=None,
                      quantities=("P", "P1", "bound"), quick: bool = False,
                      progress: bool = True, prefix: str = "phase", title: str | None = None,
                      resume: bool = True) -> PhaseDiagramRun:
    r"""Compute a phase diagram and write its figures, numbers and report into ``out``.

    Every parameter left ``None`` takes its value from :data:`FIG_5_3` (then :data:`QUICK` when
    ``quick``). ``T``/``c`` may be given as explicit sequences instead of ``*_min/_max/_num``
    (T: :func:`~hyperribbon.numerics.linear_models.phase.log_integer_grid`; c: linear). ``alpha``, ``n``,
    ``d``, ``batch`` may be sequences: figures are then drawn for each combination (file names
    get a suffix), the grid files hold them all. ``thresholds`` are dimensions k with
    1 ≤ k < n. With ``resume`` (default) a long grid checkpoints finished blocks under
    ``out/.checkpoint_{prefix}`` and a rerun resumes; the folder is removed on success.

    Returns
    -------
    PhaseDiagramRun
    """
    owner = "run_phase_diagram"
    t0 = time.time()
    given = dict(T=T, T_min=T_min, T_max=T_max, T_num=T_num, c=c, c_min=c_min, c_max=c_max,
                 c_num=c_num, ratios=ratios, heatmap_ratios=heatmap_ratios, alpha=alpha, n=n,
                 d=d, batch=batch, thresholds=thresholds, fraction=fraction,
                 expectation=expectation, draws=draws, seed=seed, sigma_w2=sigma_w2,
                 weight_decay=weight_decay, lambda1=lambda1)
    given = {k: v for k, v in given.items() if v is not None}
    notes: list = []
    # a value that cannot be honoured is an error, never silently replaced
    for explicit, ranged in (("T", ("T_min", "T_max", "T_num")), ("c", ("c_min", "c_max",
                                                                         "c_num"))):
        clash = [k for k in ranged if k in given]
        if explicit in given and clash:
            raise InvalidArgument(clash[0], owner, f"be left out when `{explicit}` lists the "
                                  f"values explicitly (it would be ignored)", given[clash[0]])
    if spectrum is not None:
        clash = [k for k in ("c", "c_min", "c_max", "c_num") if k in given]
        if clash:
            raise InvalidArgument(clash[0], owner, "be left out when `spectrum` is given (the "
                                  "spectrum replaces the c axis)", given[clash[0]])
    prm = dict(FIG_5_3, T=None, c=None)
    if quick:
        prm.update(QUICK)
    prm.update(given)
    if spectrum is not None and n is None:
        prm["n"] = len(np.ravel(spectrum))
        prm["d"] = None if d is None else d
    if prm["T"] is not None:
        Tgrid = np.asarray(prm["T"], dtype=float)
    else:
        lo = _size(prm["T_min"], "T_min", owner, 1, 2**53)
        hi = _size(prm["T_max"], "T_max", owner, 1, 2**53)
        num = _size(prm["T_num"], "T_num", owner, 1, 4096)
        if hi < lo:
            raise InvalidArgument("T_max", owner, f"be ≥ T_min = {lo}", hi)
        if num > hi - lo + 1:
            raise InvalidArgument("T_num", owner, f"be ≤ T_max − T_min + 1 = {hi - lo + 1} "
                                  "(distinct integer training times)", num)
        Tgrid = log_integer_grid(lo, hi, num).astype(float)
    if spectrum is not None:
        cgrid = None
    elif prm["c"] is not None:
        cgrid = np.asarray(prm["c"], dtype=float)
    else:
        lo_c = _real(prm["c_min"], "c_min", owner, positive=True)
        hi_c = _real(prm["c_max"], "c_max", owner, positive=True)
        num_c = _size(prm["c_num"], "c_num", owner, 1, 4096)
        if num_c > 1 and not hi_c > lo_c:
            raise InvalidArgument("c_max", owner, f"be > c_min = {lo_c:g}", hi_c)
        cgrid = np.linspace(lo_c, hi_c, num_c)
    for name, hi in (("n", 2000), ("draws", 1000)):
        for v in np.atleast_1d(prm[name] if prm[name] is not None else []).tolist():
            _size(v, name, owner, 1, hi)
    ratios_ = np.atleast_1d(np.asarray(prm["ratios"], dtype=float))
    hm = np.atleast_1d(np.asarray(prm["heatmap_ratios"], dtype=float))
    off = [float(r) for r in hm if not np.any(np.isclose(ratios_, r))]
    if off and "heatmap_ratios" in given:
        raise InvalidArgument("heatmap_ratios", owner,
                              f"be values of the σ*/σw grid `ratios` = {ratios_.tolist()} "
                              f"({off} are not)", list(hm))
    if off or hm.size == 0:
        kept = [float(r) for r in hm if np.any(np.isclose(ratios_, r))]
        hm = np.array(kept) if kept else ratios_[-min(3, ratios_.size):][::-1]
        notes.append(f"heat maps drawn at σ*/σw = {hm.tolist()}: the default heat-map ratios "
                     f"{off} are not on the ratios grid {ratios_.tolist()}")
    n_values = np.atleast_1d(prm["n"])
    thresholds_ = [as_int(k, "thresholds", owner, minimum=1) for k in
                   np.atleast_1d(prm["thresholds"]).tolist()]
    if not thresholds_ or any(k >= int(np.min(n_values)) for k in thresholds_) \
            or len(set(thresholds_)) != len(thresholds_):
        raise InvalidArgument("thresholds", owner,
                              f"be distinct dimensions k with 1 ≤ k < n = {int(np.min(n_values))}",
                              thresholds_)
    with output_folder(out) as out:
        ckpt = out / f".checkpoint_{prefix}" if resume and not quick else None
        diagram = phase_diagram(
            Tgrid, cgrid, ratios_, alpha=prm["alpha"], n=prm["n"], d=prm["d"],
            batch=prm["batch"], fraction=prm["fraction"], expectation=prm["expectation"],
            draws=prm["draws"], seed=prm["seed"], sigma_w2=prm["sigma_w2"],
            weight_decay=prm["weight_decay"], lambda1=prm["lambda1"], spectrum=spectrum,
            quantities=quantities, progress=progress, checkpoint=ckpt)
        files = write_grid(diagram, out, prefix)
        files += draw_all(diagram, out, prefix, hm, thresholds_, title)
        summary = summarise(diagram, thresholds_)
        parameters = _used_parameters(prm, given, spectrum, Tgrid, cgrid, ratios_, hm,
                                      thresholds_, quantities)
        meta = {"parameters": parameters, "settings": diagram.settings, "stats": diagram.stats,
                "summary": summary, "notes": notes, "versions": versions()}
        files.append(atomic_write_text(out / f"{prefix}_summary.json",
                                       json_dumps(meta, indent=1)))
        report = out / "report.md"
        atomic_write_text(report, _report(diagram, parameters, summary, files, prefix, title,
                                          time.time() - t0, notes))
        files.append(report)
    if ckpt is not None:                      # every output is written: the run is complete
        shutil.rmtree(ckpt, ignore_errors=True)
    return PhaseDiagramRun(diagram=diagram, out=out, report=report, files=files, summary=summary,
                           parameters=parameters, notes=notes)


def _size(x, name, owner, lo, hi) -> int:
    k = as_int(x, name, owner, minimum=lo)
    if k > hi:
        raise InvalidArgument(name, owner, f"be an integer in [{lo}, {hi}]", x)
    return k


def _real(x, name, owner, positive=False) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)) \
            or (positive and not float(x) > 0):
        raise InvalidArgument(name, owner, "be a finite real number" + (" > 0" if positive
                                                                        else ""), x)
    return float(x)


def _used_parameters(prm, given, spectrum, Tgrid, cgrid, ratios_, hm, thresholds_, quantities):
    """The parameters actually used: the grid a run computed, never settings it overrode."""
    drop = set()
    if "T" in given:
        drop |= {"T_min", "T_max", "T_num"}
    if "c" in given or spectrum is not None:
        drop |= {"c_min", "c_max", "c_num"}
    out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in prm.items() if k not in drop}
    out.update(T=[int(t) for t in Tgrid], c=None if cgrid is None else cgrid.tolist(),
               ratios=ratios_.tolist(), heatmap_ratios=hm.tolist(), thresholds=thresholds_,
               quantities=list(quantities),
               spectrum=None if spectrum is None else np.ravel(spectrum).tolist())
    out["T_source"] = "--T (explicit)" if "T" in given else "log-spaced from T_min/T_max/T_num"
    out["c_source"] = ("the user spectrum" if spectrum is not None else
                       "--c (explicit)" if "c" in given else "linear from c_min/c_max/c_num")
    return out


def summarise(diagram: PhaseDiagram, thresholds) -> dict:
    """Per (extra-axis combination, ratio): area fractions of the (T, c) plane in each phase,
    for P, P1 and the bound, and how often the bound's phase agrees with P1's."""
    rows = []
    extra = [a for a in ("n", "d", "alpha", "batch")]
    shape = [len(diagram.axes[a]) for a in extra]
    for combo in np.ndindex(*shape):
        fixed = {a: diagram.axes[a][i] for a, i in zip(extra, combo)}
        for r in diagram.axes["ratio"]:
            row = {**{a: float(v) for a, v in fixed.items()}, "ratio": float(r)}
            sel = {q: diagram.mean[q][combo + (int(np.flatnonzero(diagram.axes["ratio"] == r)[0]),)]
                   for q in diagram.quantities}
            for q, arr in sel.items():
                row[f"{q}_min"] = float(np.nanmin(arr)) if np.any(np.isfinite(arr)) else None
                row[f"{q}_max"] = float(np.nanmax(arr)) if np.any(np.isfinite(arr)) else None
                for k in thresholds:
                    ok = np.isfinite(arr)
                    row[f"{q}_le_{k}"] = float(np.mean(arr[ok] <= k)) if ok.any() else None
            if "bound" in sel:
                b = sel["bound"]
                ok = np.isfinite(b)
                row["bound_applicable"] = float(ok.mean())
                if "P1" in sel and ok.any():
                    p1 = sel["P1"]
                    for k in thresholds:
                        row[f"bound_agrees_P1_le_{k}"] = float(np.mean((b[ok] <= k)
                                                                       == (p1[ok] <= k)))
                    if diagram.per_draw.get("bound") is not None and "P1" in diagram.per_draw:
                        idx = combo + (int(np.flatnonzero(diagram.axes["ratio"] == r)[0]),)
                        bd, pd1 = diagram.per_draw["bound"][idx], diagram.per_draw["P1"][idx]
                        okd = np.isfinite(bd)
                        row["bound_violations"] = int(np.sum(bd[okd] < pd1[okd]))
                    else:
                        row["bound_violations"] = int(np.sum(b[ok] < p1[ok]))
            rows.append(row)
    return {"thresholds": list(thresholds), "rows": rows}


def _fmt(x, pct=False):
    if x is None:
        return "–"
    return f"{100 * x:.0f}%" if pct else f"{x:.3g}"


def _report(diagram, parameters, summary, files, prefix, title, seconds, notes=()) -> str:
    s = diagram.settings
    exp = s["expectation"]
    how = {"draws": f"mean over {s['draws']} target draws (draw k: seed {s['seed']} + k; "
                    "common to every grid point)",
           "matrix": "dimensionality of E_y[P(T)] (exact, diagonal in K's eigenbasis)",
           "pooled": "dimensionality of E_y[P1(T)], the covariance of trajectories pooled over "
                     "datasets (exact)"}[exp]
    ks = summary["thresholds"]
    lines = [f"# {title or 'Phase diagram of hyper-ribbon dimensionality'}", "",
             "## What was computed", "",
             f"- dimensionality: the number of principal components holding a fraction "
             f"f = {s['fraction']} of the variance of the training manifold, "
             "dim_f(M) = min{k : Σ_{i≤k} λ_i(M) ≥ f Σ_i λ_i(M)}, for M = P(T) (eq. 5.2.5, the "
             "PCA matrix of infinitely many GD runs), M = P1(T) (eq. 5.2.9), and the smallest k "
             "that the bound of Lemma 5.2.3 certifies for P1 (Σ_{i>k} u_i ≤ 1 − f; NaN where "
             "the lemma's assumptions fail).",
             f"- expectation over the targets y = Xw*: {how}.",
             "- method: exact closed forms of §5.2 in K's eigenbasis (no trajectory "
             "simulation), batched LAPACK eigensolves; see `hyperribbon.numerics.linear_models.phase`.",
             "- d enters only through rank K = min(n, d) (y ~ N(0, σ*²K) for any d ≥ n).",
             "- a phase boundary 'dim = k' is the level set k + 1/2 of the dimensionality "
             "field.", "",
             "## Parameters", "", "| parameter | value |", "|---|---|"]
    for k in ("n", "d", "alpha", "batch", "fraction", "expectation", "draws", "seed",
              "sigma_w2", "weight_decay", "lambda1", "thresholds", "heatmap_ratios"):
        lines.append(f"| {k} | {parameters.get(k)} |")
    T, c, r = parameters["T"], parameters["c"], parameters["ratios"]
    lines += [f"| T | {len(T)} values in [{T[0]:g}, {T[-1]:g}] ({parameters.get('T_source')}) |",
              f"| c | {len(c)} values in [{c[0]:g}, {c[-1]:g}] ({parameters.get('c_source')}) |"
              if parameters["spectrum"] is None
              else f"| spectrum | user-supplied, n = {len(parameters['spectrum'])} |",
              f"| σ*/σw | {r} |", "",
              f"Versions: {versions()}.", "",
              f"Engine: {diagram.stats['eigensolves']} eigenvalue problems in "
              f"{diagram.stats['seconds']:.2f} s ({diagram.stats['blocks']} blocks, "
              f"{diagram.stats['blocks_from_checkpoint']} from a checkpoint). Total run "
              f"{seconds:.1f} s.", "",
              "## Phases: fraction of the (T, c) plane with dim ≤ k", ""]
    head = "| combination | σ*/σw | " + " | ".join(
        f"{q} ≤ {k}" for q in ("P", "P1", "bound") if q in diagram.quantities for k in ks) + " |"
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for row in summary["rows"]:
        combo = ", ".join(f"{a}={row[a]:g}" for a in ("n", "d", "alpha", "batch")
                          if len(diagram.axes[a]) > 1) or "–"
        cells = [_fmt(row.get(f"{q}_le_{k}"), True) for q in ("P", "P1", "bound")
                 if q in diagram.quantities for k in ks]
        lines.append(f"| {combo} | {row['ratio']:g} | " + " | ".join(cells) + " |")
    if "bound" in diagram.quantities:
        lines += ["", "## Where Lemma 5.2.3 predicts the boundary", "",
                  "| σ*/σw | bound applicable | " + " | ".join(
                      f"agrees with P1 on 'dim ≤ {k}'" for k in ks) + " | violations |",
                  "|---|---|" + "---|" * len(ks) + "---|"]
        for row in summary["rows"]:
            lines.append(f"| {row['ratio']:g} | {_fmt(row.get('bound_applicable'), True)} | "
                         + " | ".join(_fmt(row.get(f"bound_agrees_P1_le_{k}"), True)
                                      for k in ks)
                         + f" | {row.get('bound_violations', '–')} |")
        total = sum(int(row.get("bound_violations") or 0) for row in summary["rows"])
        applicable = [row.get("bound_applicable") for row in summary["rows"]
                      if row.get("bound_applicable") is not None]
        lines += ["", "'violations' counts (grid point, draw) pairs where the certified "
                  "dimensionality is below the true dim P1 (a counterexample to Lemma 5.2.3 as "
                  "stated)."]
        if not applicable or max(applicable) == 0:
            lines.append("The lemma's assumptions hold nowhere on this grid: it was not tested.")
        elif total == 0:
            lines.append("No violation: the certified dimensionality was ≥ dim P1 at every "
                         "grid point and draw where the lemma applies.")
        else:
            lines.append(f"{total} violations in all: Lemma 5.2.3 as stated fails on this "
                         "grid (see the grid files for where).")
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    lines += ["", "## Files", ""]
    lines += [f"- `{Path(f).name}`" for f in files]
    lines += ["", f"![heat maps]({prefix}_heatmaps.png)", ""]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ figures
_EXTRA = ("n", "d", "alpha", "batch")


def _combinations(diagram):
    shape = [len(diagram.axes[a]) for a in _EXTRA]
    multi = [a for a in _EXTRA if len(diagram.axes[a]) > 1]
    for combo in np.ndindex(*shape):
        fixed = {a: float(diagram.axes[a][i]) for a, i in zip(_EXTRA, combo)}
        suffix = "".join(f"_{a}{fixed[a]:g}" for a in multi)
        yield fixed, suffix


def _figure(**kw):
    from matplotlib.figure import Figure
    return Figure(**kw)


def _save(fig, out, name) -> list:
    return [atomic_savefig(fig, Path(out) / f"{name}.{ext}", dpi=150) for ext in ("png", "pdf")]


def _label(fixed) -> str:
    b, d = fixed["batch"], fixed["d"]
    d_text = "≥n" if np.isinf(d) else f"{d:g}"
    return (f"n={fixed['n']:g}, d={d_text}, α={fixed['alpha']:g}"
            + ("" if np.isinf(b) else f", batch={b:g}"))


def _dim_norm(n):
    from matplotlib.colors import LogNorm
    return LogNorm(vmin=1, vmax=max(2, n))


def _ticks(n):
    return [t for t in (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 400) if t <= n]


def _heat(ax, x, y, Z, n, cmap="viridis"):
    import matplotlib
    cm = matplotlib.colormaps[cmap].with_extremes(bad="0.85")
    Zm = np.ma.masked_invalid(np.where(Z < 1, 1, Z))
    return ax.pcolormesh(x, y, Zm, shading="nearest", cmap=cm, norm=_dim_norm(n))


def _boundaries(ax, x, y, Z, thresholds, style="-", lw=1.4) -> list:
    """Draw the level sets dim = k + ½; returns the thresholds k actually drawn."""
    drawn = []
    for k, colour in zip(thresholds, _THRESHOLD_COLOURS * 4):
        Zm = np.ma.masked_invalid(Z)
        if Zm.count() < 4 or not (np.nanmin(Z) <= k + 0.5 <= np.nanmax(Z)):
            continue
        ax.contour(x, y, Zm, levels=[k + 0.5], colors=[colour], linestyles=style,
                   linewidths=lw)
        drawn.append(k)
    return drawn


def _threshold_legend(ax, thresholds, solid, dashed, *, dashed_label="Lemma 5.2.3"):
    """A legend for the boundary colours: one solid entry per threshold drawn, one dashed
    entry per threshold the lemma's boundary was drawn for, and a line saying which were not."""
    from matplotlib.lines import Line2D
    colours = dict(zip(thresholds, _THRESHOLD_COLOURS * 4))
    handles = [Line2D([], [], color=colours[k], lw=1.4, label=f"dim P = {k} boundary")
               for k in thresholds if k in solid]
    handles += [Line2D([], [], color=colours[k], lw=1.0, ls="--",
                       label=f"{dashed_label}: dim = {k}") for k in thresholds
                if k in (dashed or ())]
    missing = [k for k in thresholds if k not in solid]
    if missing:
        handles.append(Line2D([], [], color="none",
                              label=f"no dim = {', '.join(map(str, missing))} boundary here"))
    if dashed is not None:
        nd = [k for k in thresholds if k not in dashed]
        if nd:
            handles.append(Line2D([], [], color="none", label=f"{dashed_label}: no dim = "
                                  f"{', '.join(map(str, nd))} boundary here"))
    if handles:                                  # below the panel, never over the data
        ax.legend(handles=handles, fontsize=7, loc="upper center", ncol=2,
                  bbox_to_anchor=(0.5, -0.2), frameon=False)


def _log_ticks(ax):
    from matplotlib.ticker import LogLocator
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=12))


def draw_all(diagram: PhaseDiagram, out, prefix, heatmap_ratios, thresholds, title=None) -> list:
    """Every figure of :func:`run_phase_diagram`; returns the files written."""
    files = []
    for fixed, suffix in _combinations(diagram):
        if len(diagram.axes["c"]) > 1:
            files += _heatmaps(diagram, fixed, out, prefix + "_heatmaps" + suffix,
                               heatmap_ratios, thresholds, title)
            files += _boundaries_3d(diagram, fixed, out, prefix + "_boundaries_3d" + suffix,
                                    thresholds, title)
            files += _contours(diagram, fixed, out, prefix + "_contours" + suffix, thresholds,
                               title)
            if "bound" in diagram.quantities and "P1" in diagram.quantities:
                files += _bound(diagram, fixed, out, prefix + "_bound" + suffix, heatmap_ratios,
                                thresholds, title)
        else:   # a user-supplied spectrum: the plane is (T, σ*/σw)
            files += _ratio_plane(diagram, fixed, out, prefix + "_heatmaps" + suffix,
                                  thresholds, title)
    return files


def _heatmaps(diagram, fixed, out, name, ratios, thresholds, title):
    T, c = diagram.axes["T"], diagram.axes["c"]
    n = int(fixed["n"] if np.isinf(fixed["d"]) else min(fixed["n"], fixed["d"]))
    fig = _figure(figsize=(4.4 * len(ratios) + 0.8, 4.2), layout="constrained")
    axs = np.atleast_1d(fig.subplots(1, len(ratios), sharey=True))
    mesh = None
    for j, (ax, r) in enumerate(zip(axs, ratios)):
        Z = diagram.sel("P", ratio=r, **fixed)
        mesh = _heat(ax, T, c, Z, n)
        solid = _boundaries(ax, T, c, Z, thresholds)
        dashed = None
        if "bound" in diagram.quantities:
            dashed = _boundaries(ax, T, c, diagram.sel("bound", ratio=r, **fixed), thresholds,
                                 "--", 1.0)
        ax.set_xscale("log")
        _log_ticks(ax)
        ax.set_xlabel("training time T")
        ax.set_title(f"({chr(97 + j)}) σ*/σw = {r:g}", fontsize=10)
        _threshold_legend(ax, thresholds, solid, dashed)
    axs[0].set_ylabel(r"slope $c$ of the spectrum $\lambda_i = \lambda_1 e^{-c(i-1)}$")
    cb = fig.colorbar(mesh, ax=list(axs), ticks=_ticks(n))
    cb.ax.set_yticklabels([str(t) for t in _ticks(n)])
    cb.set_label(f"dim P(T) ({100 * diagram.settings['fraction']:g}% of variance)")
    fig.suptitle((title or "Hyper-ribbon dimensionality") + f"  [{_label(fixed)}]", fontsize=9)
    return _save(fig, out, name)


def boundary_surface(T, c, Z, level):
    r"""The boundary dim = ``level`` as a surface over (T, σ*/σw): for each T and ratio the slope
    :math:`c^*` from which on (to the largest c of the grid) the dimensionality stays ≤ level,
    linearly interpolated between the two grid slopes around the crossing; NaN where the
    dimensionality is above the level at the largest c or below it everywhere.

    ``Z`` has shape (n_ratios, n_T, n_c). Returns an (n_ratios, n_T) array.
    """
    Z = np.asarray(Z, dtype=float)
    out = np.full(Z.shape[:2], np.nan)
    for a, b in np.ndindex(*Z.shape[:2]):
        z = Z[a, b]
        low = z <= level
        if not np.isfinite(z[-1]) or not low[-1] or np.all(low):
            continue
        j = int(np.flatnonzero(~low)[-1])          # last slope above the level
        z0, z1 = z[j], z[j + 1]
        if not (np.isfinite(z0) and np.isfinite(z1)):
            continue
        t = (z0 - level) / (z0 - z1)
        out[a, b] = c[j] + t * (c[j + 1] - c[j])
    return out


def _boundaries_3d(diagram, fixed, out, name, thresholds, title):
    from matplotlib.patches import Patch
    T, c, ratios = diagram.axes["T"], diagram.axes["c"], diagram.axes["ratio"]
    fig = _figure(figsize=(7.0, 5.8), layout="constrained")
    ax = fig.add_subplot(projection="3d")
    Z = np.stack([diagram.sel("P", ratio=r, **fixed).T for r in ratios])   # (ratio, T, c)
    X, Y = np.meshgrid(np.log10(T), ratios)
    handles = []
    for k, colour in zip(thresholds, _THRESHOLD_COLOURS * 4):
        S = boundary_surface(T, c, Z, k + 0.5)
        if np.isfinite(S).sum() < 1:
            handles.append(Patch(color="none", label=f"dim = {k}: no boundary on this grid"))
            continue
        if len(ratios) > 1 and len(T) > 1:
            ax.plot_surface(X, Y, np.ma.masked_invalid(S), color=colour, alpha=0.55,
                            edgecolor=colour, linewidth=0.3, rstride=1, cstride=1)
        else:
            ax.plot(X.ravel(), Y.ravel(), S.ravel(), "o", color=colour)
        handles.append(Patch(color=colour, alpha=0.7, label=f"boundary dim P = {k}"))
    ax.set_xlabel("log10 T")
    ax.set_ylabel("σ*/σw")
    ax.set_zlabel("slope c")
    ax.set_zlim(float(c[0]), float(c[-1]))
    ax.legend(handles=handles, fontsize=8, loc="upper left")
    ax.set_title((title or "Phase boundaries") + f"\n[{_label(fixed)}; surface: the slope c "
                 "above which dim P(T) ≤ k, over (log T, σ*/σw)]", fontsize=9)
    return _save(fig, out, name)


def _contours(diagram, fixed, out, name, thresholds, title):
    import matplotlib
    from matplotlib.lines import Line2D
    T, c, ratios = diagram.axes["T"], diagram.axes["c"], diagram.axes["ratio"]
    cmap = matplotlib.colormaps["plasma"]
    fig = _figure(figsize=(4.6 * len(thresholds), 4.2), layout="constrained")
    axs = np.atleast_1d(fig.subplots(1, len(thresholds), sharey=True))
    for j, (ax, k) in enumerate(zip(axs, thresholds)):
        handles, missing = [], []
        for i, r in enumerate(ratios):
            Z = np.ma.masked_invalid(diagram.sel("P", ratio=r, **fixed))
            colour = cmap(0.85 * i / max(1, len(ratios) - 1))
            if Z.count() < 4 or not (Z.min() <= k + 0.5 <= Z.max()):
                missing.append(f"{r:g}")
                continue
            ax.contour(T, c, Z, levels=[k + 0.5], colors=[colour], linewidths=1.3)
            handles.append(Line2D([], [], color=colour, lw=1.3, label=f"σ*/σw = {r:g}"))
        if missing:
            handles.append(Line2D([], [], color="none",
                                  label=f"no boundary for σ*/σw = {', '.join(missing)}"))
        ax.legend(handles=handles, fontsize=7, loc="upper center", ncol=3,
                  bbox_to_anchor=(0.5, -0.2), frameon=False)
        ax.set_xscale("log")
        _log_ticks(ax)
        ax.set_xlim(float(T[0]), float(T[-1]))
        ax.set_ylim(float(c[0]), float(c[-1]))
        ax.set_xlabel("training time T")
        ax.set_title(f"({chr(101 + j)}) boundary dim P = {k}, one line per σ*/σw", fontsize=10)
    axs[0].set_ylabel(r"slope $c$ of the spectrum $\lambda_i = \lambda_1 e^{-c(i-1)}$")
    fig.suptitle((title or "Phase boundaries") + f"  [{_label(fixed)}]", fontsize=9)
    return _save(fig, out, name)


def _bound(diagram, fixed, out, name, ratios, thresholds, title):
    T, c = diagram.axes["T"], diagram.axes["c"]
    n = int(fixed["n"] if np.isinf(fixed["d"]) else min(fixed["n"], fixed["d"]))
    fig = _figure(figsize=(4.2 * len(ratios) + 0.8, 7.0), layout="constrained")
    axs = np.atleast_2d(fig.subplots(2, len(ratios), sharex=True, sharey=True))
    if axs.shape[0] != 2:
        axs = axs.T
    mesh = None
    for j, r in enumerate(ratios):
        for i, (q, label) in enumerate((("P1", "dim P1(T)"),
                                        ("bound", "certified by Lemma 5.2.3"))):
            ax = axs[i, j]
            Z = diagram.sel(q, ratio=r, **fixed)
            mesh = _heat(ax, T, c, Z, n)
            drawn = _boundaries(ax, T, c, Z, thresholds)
            ax.set_xscale("log")
            _log_ticks(ax)
            ax.set_title(f"{label}, σ*/σw = {r:g}", fontsize=9)
            _threshold_legend(ax, thresholds, drawn, None)
        axs[1, j].set_xlabel("training time T")
    for i in range(2):
        axs[i, 0].set_ylabel("slope c")
    cb = fig.colorbar(mesh, ax=axs.ravel().tolist(), ticks=_ticks(n))
    cb.ax.set_yticklabels([str(t) for t in _ticks(n)])
    cb.set_label("dimensionality (grey: lemma not applicable)")
    fig.suptitle((title or "Lemma 5.2.3 as a predicted dimensionality") + f"  [{_label(fixed)}]",
                 fontsize=9)
    return _save(fig, out, name)


def _ratio_plane(diagram, fixed, out, name, thresholds, title):
    T, ratios = diagram.axes["T"], diagram.axes["ratio"]
    n = int(fixed["n"] if np.isinf(fixed["d"]) else min(fixed["n"], fixed["d"]))
    fig = _figure(figsize=(5.6, 4.2), layout="constrained")
    ax = fig.subplots()
    Z = np.stack([diagram.sel("P", ratio=r, **fixed).reshape(-1) for r in ratios])
    mesh = _heat(ax, T, ratios, Z, n)
    if len(ratios) > 1:
        _threshold_legend(ax, thresholds, _boundaries(ax, T, ratios, Z, thresholds), None)
    ax.set_xscale("log")
    _log_ticks(ax)
    ax.set_xlabel("training time T")
    ax.set_ylabel("σ*/σw")
    cb = fig.colorbar(mesh, ax=ax, ticks=_ticks(n))
    cb.ax.set_yticklabels([str(t) for t in _ticks(n)])
    cb.set_label("dim P(T)")
    ax.set_title((title or "Hyper-ribbon dimensionality, user spectrum") + f"\n[{_label(fixed)}]",
                 fontsize=9)
    return _save(fig, out, name)
