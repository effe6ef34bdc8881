r"""Reproductions of the thesis's Chapter 5 figures (Figs 5.1–5.5), one function call each.

Each figure has the parameters its caption pins (source ``caption``) and the ones this toolkit
had to choose (source ``choice``, with the reason); every parameter can be overridden (source
``flag``). :func:`reproduce` writes into ``out``: the figure as PNG and PDF, the numbers as
CSV (and NPZ/JSON), and ``report.md`` with the parameter table, what was measured, the checks
and the versions.

=========  ===============================================================================
fig5.1     eigenvalues λ_i^{σw}(T) of σw²Σ_t K_d^t K K_d^t (eq. 5.2.9) and their bound (5.2.10)
fig5.2     spectra of P1(T), P1^{σw}(T), P1^y(T) on the thesis's n = 50, c = 0.2, T = 50 setting
fig5.3     the phase diagram of hyper-ribbon dimensionality (:mod:`.phase_diagram`)
fig5.4     λ_i/λ_1 of T·P1(T) against the bound of Lemma 5.2.3 for several slopes c
fig5.5     spectra of P(N, T) from N simulated GD runs on d = 100 dimensional data, with the
           exact E[P(N, T)]
=========  ===============================================================================

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     rep = reproduce("fig5.1", tmp, quick=True)
...     bool(np.all(rep.numbers["bound"] >= rep.numbers["exact"] * (1 - 1e-12)))
True
"""
from __future__ import annotations

import io
import math
import time
from pathlib import Path

import numpy as np

from hyperribbon.numerics.linear_models.gd import expected_empirical_pca_correction, synthetic_data
from hyperribbon.numerics.linear_models.observe import ExactOracle
from hyperribbon.numerics.linear_models.pca import pca_matrices
from hyperribbon.numerics.linear_models.phase import _single_threaded_blas, dimensionality
from hyperribbon.theory.linear_models import gd_closed_forms as cf
from hyperribbon.theory.linear_models import linear_gd
from hyperribbon.theory.errors import HyperribbonError, InvalidArgument
from hyperribbon.theory.lemma import Precision
from hyperribbon.theory.linear_models.problems import LinearGDProblem, sloppy_spectrum

from .._figures import (Reproduction, no_overrides_for_all, parameter, report_text,
                        resolve_parameters)
from .._output import atomic_savefig, atomic_write_text, json_dumps, output_folder
from .phase_diagram import FIG_5_3, run_phase_diagram, versions

__all__ = ["FIGURES", "LIMITS", "Reproduction", "reproduce", "figure_parameters"]


_P = parameter   # one row of a parameter table (hyperribbon.experiments._figures)


_FIG52_NOTE = "not in the caption; the toolkit's Fig 5.2 default (α < 1/λ1, assumption (iii))"
#: Per figure: title, caption summary, parameters (value, source, reason) and quick overrides.
FIGURES: dict = {
    "fig5.1": dict(
        title="Fig 5.1: eigenvalues of the initialisation term P1^σw and the bound (5.2.10)",
        caption="σw² = 1, α = 1, c = 0.5; bound (5.2.10) dotted, numerical computation of the "
                "term of (5.2.9) bold",
        params=dict(
            sigma_w2=_P(1.0, "caption"), alpha=_P(1.0, "caption"), c=_P(0.5, "caption"),
            lambda1=_P(1.0, "caption", "assumption (i): λ_i = e^{-(i-1)c}"),
            n=_P(50, "choice", "n is not stated; 50 as in Figs 5.2 and 5.5"),
            T=_P((1, 10, 100, 1000, 10**4, 10**6, 10**9, 10**12), "choice",
                 "the caption discusses T → 0 (T = 1 here) up to T ≫ λ1/λn = e^{24.5} ≈ 4e10")),
        quick=dict(n=20, T=(1, 10, 100, 10**4))),
    "fig5.2": dict(
        title="Fig 5.2: the head of P1(T) follows P1^y, the tail follows P1^σw",
        caption="d = 100, c = 0.2, n = 50, T = 50, σw² = 0.1, σ*² = 2",
        params=dict(
            d=_P(100, "caption", "enters only through rank K = min(n, d) = n"),
            c=_P(0.2, "caption"), n=_P(50, "caption"), T=_P(50, "caption"),
            sigma_w2=_P(0.1, "caption"), sigma_star2=_P(2.0, "caption"),
            lambda1=_P(1.0, "caption", "assumption (i)"),
            alpha=_P(0.9, "choice", _FIG52_NOTE),
            seed=_P(0, "choice", "the targets ŷ_i ~ N(0, σ*²λ_i) are one random draw")),
        quick=dict()),
    "fig5.3": dict(
        title="Fig 5.3: phase diagram of hyper-ribbon dimensionality",
        caption="95% of the variance; axes T, c, σ*/σw; thresholds 3 (black), 10 (pink), 30 "
                "(orange)",
        params=dict(
            fraction=_P(0.95, "caption"), thresholds=_P((3, 10, 30), "caption"),
            n=_P(50, "choice", "not stated; as Figs 5.2/5.5 (and n > 30 for the 30 threshold)"),
            d=_P(100, "choice", "as Figs 5.2/5.5; only rank K = min(n, d) matters"),
            alpha=_P(0.9, "choice", _FIG52_NOTE),
            T_max=_P(10_000, "choice", "T range not stated: 64 log-spaced integers in [1, 10⁴]"),
            T_num=_P(64, "choice", "grid size"),
            c_min=_P(0.02, "choice", "c range not stated; c ≫ 1/n = 0.02 (assumption (i))"),
            c_max=_P(1.0, "choice", "c range not stated"),
            c_num=_P(64, "choice", "grid size"),
            ratios=_P(FIG_5_3["ratios"], "choice",
                      "σ*/σw grid not stated; step 1.2 so that the contour '4.8' of the "
                      "narrative and the region 'σ*/σw ≳ 9' exist"),
            heatmap_ratios=_P((4.8, 2.4, 1.2), "choice",
                              "the narrative makes contour 4.8 of (e) a slice of (a); (b), (c) "
                              "have larger initialisation variance"),
            expectation=_P("draws", "choice",
                           "E_y[dim P] over target draws; dim E_y[P] hardly depends on σ*/σw "
                           "(see hyperribbon.numerics.linear_models.phase)"),
            draws=_P(8, "choice", "number of target draws averaged"),
            seed=_P(0, "choice", "draw k uses seed + k")),
        quick=dict(n=30, d=60, T_num=10, c_num=8, ratios=(1.2, 2.4, 4.8),
                   heatmap_ratios=(4.8, 1.2), thresholds=(3, 10), draws=2)),
    "fig5.4": dict(
        title="Fig 5.4: Lemma 5.2.3 against the eigenvalues of T·P1(T)",
        caption="different values of the slope c; no other parameter stated",
        params=dict(
            n=_P(50, "choice", "as Fig 5.2"), alpha=_P(0.9, "choice", _FIG52_NOTE),
            sigma_w2=_P(0.1, "choice", "as Fig 5.2"), sigma_star2=_P(2.0, "choice", "as Fig 5.2"),
            c=_P((0.1, 0.2, 0.5, 1.0), "choice", "'different values of c'"),
            T=_P((50, 5000), "choice", "the caption discusses small and large T"),
            lambda1=_P(1.0, "caption", "assumption (i)"), seed=_P(0, "choice", "targets")),
        quick=dict(n=20, c=(0.2, 1.0), T=(50,))),
    "fig5.5": dict(
        title="Fig 5.5: spectra of P(N, T) from simulated GD for several training times",
        caption="d = 100, n = 50, c = 0.1, σw² = 1, α = 1/λ1",
        params=dict(
            d=_P(100, "caption"), n=_P(50, "caption"), c=_P(0.1, "caption"),
            sigma_w2=_P(1.0, "caption", "read as the prediction-space variance, Cov(Xw0) = σw²K "
                        "(per-weight σw²/n; erratum E2)"),
            alpha=_P(1.0, "caption", "α = 1/λ1 with λ1 = 1"),
            lambda1=_P(1.0, "caption", "assumption (i)"),
            sigma_star2=_P(2.0, "choice", "not stated; σ*² = 2 as in Fig 5.2"),
            N=_P(1000, "choice", "number of GD runs not stated"),
            T=_P((1, 10, 100, 1000), "choice", "training times not stated; 1 ≤ T ≤ 1000 spans "
                 "T ≪ and ≫ λ1/λn = e^{4.9} ≈ 134"),
            normalization=_P("sum", "choice",
                             "the caption's trends (tail and head grow with T) hold for "
                             "T·P(N,T), not for P(N,T) = (1/NT)Σ… of eq. 5.2.3 (both are in "
                             "the CSV)"),
            seed=_P(0, "choice", "targets, data and initialisations")),
        quick=dict(N=200, T=(1, 10, 100))),
}


#: Upper limits of the size parameters of the reproductions (checked before any allocation).
LIMITS = dict(n=2000, d=10_000, T=2**53, T_sim=100_000, N=10**6, draws=1000, T_num=4096,
              c_num=4096, seed=2**63 - 1, sim_flops=5e13)


def _domains():
    from hyperribbon.theory import Domain, LINEAR_GD_DOMAINS as L
    from hyperribbon.theory.domains import size_domain
    here = "LIMITS of hyperribbon.experiments.linear_models.reproduce"
    return {
        "n": size_domain(LIMITS["n"], here), "d": size_domain(LIMITS["d"], here),
        "T": size_domain(LIMITS["T"], "2^53, T enters float64 formulas exactly"),
        "N": size_domain(LIMITS["N"], here), "draws": size_domain(LIMITS["draws"], here),
        "T_max": size_domain(LIMITS["T"], "2^53"), "T_num": size_domain(LIMITS["T_num"], here),
        "c_num": size_domain(LIMITS["c_num"], here),
        "seed": size_domain(LIMITS["seed"], "2^63 − 1", low=0),
        "thresholds": size_domain(LIMITS["n"], here),
        "c": L["c"], "c_min": L["c"], "c_max": L["c"], "alpha": L["alpha"],
        "sigma_w2": L["sigma_w2"], "sigma_star2": L["sigma_star2"], "lambda1": L["lambda1"],
        "ratios": Domain(low=0.0, low_closed=True), "heatmap_ratios": Domain(low=0.0),
        "fraction": Domain(low=0.0, high=1.0),
    }


_CHOICES = {"normalization": ("sum", "mean"), "expectation": ("draws", "matrix", "pooled")}


def _validate_parameters(figure: str, values: dict) -> None:
    """Every value (each entry of a tuple) in its declared domain, before anything runs."""
    import numbers
    owner = f"reproduce({figure!r})"
    dom = _domains()
    lam1 = values.get("lambda1", 1.0)
    if not (isinstance(lam1, numbers.Real) and dom["lambda1"].contains(lam1)):
        dom["lambda1"].validate(lam1, "lambda1", owner)
    for name, value in values.items():
        if name in _CHOICES:
            if value not in _CHOICES[name]:
                raise InvalidArgument(name, owner, f"be one of {_CHOICES[name]}", value)
            continue
        d = dom.get(name)
        if d is None:                                    # pragma: no cover - every name has one
            continue
        entries = value if isinstance(value, (tuple, list)) else (value,)
        if isinstance(value, (tuple, list)) and not value:
            raise InvalidArgument(name, owner, "hold at least one value", value)
        for x in entries:
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise InvalidArgument(name, owner, "be " + ("an integer" if d.integer
                                                           else "a real number"), value)
            if not d.contains(x, {"lambda1": float(lam1)}):
                d.validate(x, name, owner, {"lambda1": float(lam1)})
    if figure == "fig5.5":
        n, d, N = int(values["n"]), int(values["d"]), int(values["N"])
        Ts = _tuple(values["T"])
        if max(Ts) > LIMITS["T_sim"]:
            raise InvalidArgument("T", owner, f"be ≤ {LIMITS['T_sim']} for fig5.5 (it simulates "
                                  "max T steps of N GD runs)", values["T"])
        if d < n:
            raise InvalidArgument("d", owner, f"be ≥ n = {n} (rank K = n)", d)
        from hyperribbon.theory.domains import check_allocation
        check_allocation(float(N) * d, "N", owner, N, what="the N×d weights of the simulated runs")
        flops = 4.0 * max(Ts) * N * n * d
        if flops > LIMITS["sim_flops"]:
            raise InvalidArgument("N", owner,
                                  f"be small enough for the simulation to finish: max T × N × n "
                                  f"× d = {flops / 4:.3g} multiply-adds (≈ {flops / 1e9 / 3600:.2g}"
                                  f" h at 1 GFLOP/s) exceeds the limit {LIMITS['sim_flops'] / 4:.3g}",
                                  N)
    if figure == "fig5.1" and not float(values["sigma_w2"]) > 0:
        raise InvalidArgument("sigma_w2", owner, "be > 0 for fig5.1 (it draws the σw² term, "
                              "which is 0 for σw² = 0)", values["sigma_w2"])
    if figure == "fig5.2" and int(values["d"]) < int(values["n"]):
        raise InvalidArgument("d", owner, f"be ≥ n = {values['n']} (rank K = n)", values["d"])


def figure_parameters(figure: str, *, quick: bool = False, **overrides) -> dict:
    """The parameter table of ``figure``: ``{name: {"value", "source", "why"}}`` after
    ``quick`` sizes and user ``overrides`` (which become source ``flag``). Every value is
    validated against its declared domain (:data:`LIMITS` for sizes)."""
    owner = "figure_parameters"
    if figure not in FIGURES:
        raise InvalidArgument("figure", owner, f"be one of {tuple(FIGURES)}", figure)
    prm = resolve_parameters(figure, FIGURES[figure], quick, overrides,
                             quick_why="reduced size for --quick (full run: {full})",
                             lists_as_tuples=True)
    _validate_parameters(figure, {k: v["value"] for k, v in prm.items()})
    return prm


def reproduce(figure: str, out=None, *, quick: bool = False, progress: bool = True,
              **overrides):
    """Reproduce ``figure`` ("fig5.1" … "fig5.5", or "all") into ``out`` (default
    ``out/<figure>``; for "all", one sub-folder per figure under ``out``).

    Every parameter is validated before anything is computed or written; an invalid one raises
    :class:`~hyperribbon.theory.errors.InvalidArgument` naming it, and leaves no output folder.

    Returns
    -------
    Reproduction, or a list of them for "all".
    """
    if figure == "all":
        no_overrides_for_all(overrides)
        root = Path(out or "out")
        return [reproduce(f, root / f.replace(".", "_"), quick=quick, progress=progress)
                for f in FIGURES]
    prm = figure_parameters(figure, quick=quick, **overrides)
    out = Path(out or Path("out") / figure.replace(".", "_"))
    t0 = time.time()
    values = {k: v["value"] for k, v in prm.items()}
    with output_folder(out):
        files, numbers, checks, lines = _RUNNERS[figure](out, values, quick, progress)
        stem = figure.replace(".", "_")
        meta = {"figure": figure, "parameters": prm, "checks": checks, "versions": versions(),
                "seconds": time.time() - t0}
        files.append(atomic_write_text(out / f"{stem}.json", json_dumps(meta, indent=1)))
        report = out / "report.md"
        atomic_write_text(report, _report(figure, prm, checks, lines, files, time.time() - t0))
        files.append(report)
    return Reproduction(figure=figure, out=out, report=report, files=files, parameters=prm,
                        numbers=numbers, checks=checks, seconds=time.time() - t0)


# ------------------------------------------------------------------ helpers
def _figure(**kw):
    from matplotlib.figure import Figure
    return Figure(**kw)


def _index_axis(ax):
    """An index axis: integer ticks only."""
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _style_handles(*entries):
    """Legend proxies for line styles: (style, label) pairs, drawn in grey."""
    from matplotlib.lines import Line2D
    return [Line2D([], [], color="0.3", ls=ls, lw=lw, marker=m, mfc="none", label=label)
            for ls, lw, m, label in entries]


def _save(fig, out, stem) -> list:
    return [atomic_savefig(fig, Path(out) / f"{stem}.{ext}", dpi=150) for ext in ("png", "pdf")]


def _csv(path, header, columns) -> Path:
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    np.savetxt(buf, np.column_stack([np.asarray(c, dtype=float) for c in columns]),
               delimiter=",", fmt="%.17g")
    return atomic_write_text(path, buf.getvalue())


def _tuple(v):
    return tuple(np.atleast_1d(v).tolist())


def _spectrum(problem, matrix):
    """Eigenvalues (descending) with absolute error bounds, down the precision ladder."""
    oracle = ExactOracle()
    for level in (Precision.STRUCTURED, Precision.MPMATH, Precision.FLOAT64):
        try:
            m = oracle.eigenvalues(problem, matrix, level)
            return m.values, m.abs_err, m.method
        except HyperribbonError:
            continue
    raise RuntimeError("no precision level could measure the spectrum")  # pragma: no cover


def _report(figure, prm, checks, lines, files, seconds) -> str:
    spec = FIGURES[figure]
    sources = ("Sources: *caption* = stated by the thesis; *choice* = chosen here (not stated), "
               "change it with the flag of the same name; *quick* = reduced for `--quick`; "
               "*flag* = set by the user.")
    return report_text(figure, spec["title"], f"Thesis caption pins: {spec['caption']}.", prm,
                       sources, lines, checks,
                       f"Versions: {versions()}. Time {seconds:.1f} s.", files)


# ------------------------------------------------------------------ Fig 5.1
def _fig5_1(out, v, quick, progress):
    n, c, alpha, sw2 = int(v["n"]), float(v["c"]), float(v["alpha"]), float(v["sigma_w2"])
    lam = sloppy_spectrum(n, c, v["lambda1"])
    s = alpha * lam
    Ts = _tuple(v["T"])
    exact = np.stack([cf.sigma_w_eigenvalues(s, alpha, sw2, int(T)) for T in Ts])
    bound = np.stack([(sw2 / alpha) * np.minimum(1.0, 2.0 * T * alpha * lam) / (2.0 - s)
                      for T in Ts])
    idx = np.arange(1, n + 1)
    fig = _figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.subplots()
    import matplotlib
    cmap = matplotlib.colormaps["viridis"]
    for j, T in enumerate(Ts):
        col = cmap(j / max(1, len(Ts) - 1))
        ax.semilogy(idx, exact[j], "-", color=col, lw=2, label=f"T = {T:g}")
        ax.semilogy(idx, bound[j], ":", color=col, lw=1.5)
    ax.set_xlabel("index i")
    _index_axis(ax)
    ax.set_ylabel(r"$\lambda_i^{\sigma_w}$  (summed, eq. 5.2.9)")
    ax.set_title(f"Fig 5.1: σw² = {sw2:g}, α = {alpha:g}, c = {c:g}, n = {n}", fontsize=9)
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=handles + _style_handles(("-", 2, None, "exact (bold)"),
                                               (":", 1.5, None, "bound (5.2.10), dotted")),
              fontsize=7, ncol=2)
    files = _save(fig, out, "fig5_1")
    TT, II = np.meshgrid(np.asarray(Ts, dtype=float), idx, indexing="ij")
    files.append(_csv(out / "fig5_1.csv", ["T", "i", "lambda_sigma_w", "bound_5_2_10"],
                      [TT.ravel(), II.ravel(), exact.ravel(), bound.ravel()]))
    comparable = np.isfinite(exact) & np.isfinite(bound) & (bound > 0)
    ratio = np.where(comparable, exact / np.where(comparable, bound, 1.0), np.nan)
    n_bad = int(np.sum(~comparable))
    holds = bool(np.all(bound[comparable] >= exact[comparable] * (1 - 1e-13)))
    checks = {
        "bound (5.2.10) ≥ exact everywhere": (holds if n_bad == 0 else
                                              f"{holds} on the {int(comparable.sum())} "
                                              f"comparable entries; {n_bad} entries not "
                                              "comparable (non-finite or zero bound)"),
        "tightest ratio exact/bound": float(np.nanmax(ratio)) if comparable.any() else None,
        "loosest ratio exact/bound": float(np.nanmin(ratio)) if comparable.any() else None,
        "T = 1 equals σw²λ_i (the 'T → 0' limit of the caption)":
            bool(np.allclose(exact[0], sw2 * lam, rtol=1e-12)) if Ts[0] == 1 else "T = 1 not run",
        "largest T: max_i |λ_i^σw / (σw²/(α(2 − αλ_i))) − 1|":
            (float(np.max(np.abs(exact[-1] * alpha * (2 - s) / sw2 - 1))) if sw2 > 0
             else "σw² = 0: every λ_i^σw is 0"),
        "index where min{1, 2Tαλ_i} switches, per T (caption: i < ln(2Tα)/c)":
            {f"{T:g}": int(np.sum(2 * T * alpha * lam >= 1)) for T in Ts},
    }
    lines = ["- λ_i^{σw}(T) = σw²/α·(1 − (1 − αλ_i)^{2T})/(2 − αλ_i), the eigenvalues of "
             "σw²Σ_{t<T}K_d^t K K_d^t (summed normalisation of eq. 5.2.9), evaluated without "
             "cancellation (the matrix is diagonal in K's eigenbasis).",
             "- the bound (5.2.10): σw²/α·min{1, 2Tαλ_i}/(2 − αλ_i).",
             "- Note: min{1, 2Tαλ_i} = 1 exactly for i − 1 ≤ ln(2Tα)/c, one index more than the "
             "caption's i < ln(2Tα)/c; the caption's lower envelope ∼ 1/(2/λ_n − α) = "
             "λ_n/(2 − αλ_n) is the bound at T = 1/2: here σw²λ_n/(2 − αλ_n) = "
             f"{sw2 * lam[-1] / (2 - alpha * lam[-1]):.4g}, against the T = 1 value σw²λ_n = "
             f"{sw2 * lam[-1]:.4g}."]
    return files, {"T": np.asarray(Ts, float), "exact": exact, "bound": bound, "lam": lam}, \
        checks, lines


# ------------------------------------------------------------------ Fig 5.2
def _fig5_2(out, v, quick, progress):
    p = LinearGDProblem.sloppy(n=int(v["n"]), c=float(v["c"]), alpha=float(v["alpha"]),
                               T=int(v["T"]), sigma_w2=float(v["sigma_w2"]),
                               sigma_star2=float(v["sigma_star2"]), seed=int(v["seed"]),
                               lambda1=float(v["lambda1"]))
    if int(v["d"]) < p.n:
        raise InvalidArgument("d", "reproduce('fig5.2')", f"be ≥ n = {p.n} (rank K = n)", v["d"])
    spectra, errs, methods = {}, {}, {}
    for name, key in (("S1", "P1"), ("S1w", "P1_sigma_w"), ("S1y", "P1_y")):
        vals, err, method = _spectrum(p, name)
        spectra[key] = vals / p.T                                        # mean normalisation
        errs[key] = err / p.T
        methods[key] = method
    idx = np.arange(1, p.n + 1)
    shown = {k: np.where(spectra[k] > 2 * errs[k], spectra[k], np.nan) for k in spectra}
    fig = _figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.subplots()
    for key, style, label in (("P1", "k-", r"$P_1(T)$"), ("P1_sigma_w", "C0--",
                                                          r"$P_1^{\sigma_w}(T)$"),
                              ("P1_y", "C3-.", r"$P_1^{y}(T)$")):
        ax.semilogy(idx, shown[key], style, label=label)
    floor = float(np.nanmin(shown["P1"])) * 1e-6            # the head/tail comparison range
    if np.nanmin(shown["P1_y"]) < floor:
        ax.set_ylim(floor, 10 * float(np.nanmax([np.nanmax(v) for v in shown.values()])))
        ax.text(0.98, 0.02, f"P1^y continues down to {np.nanmin(shown['P1_y']):.1e} (CSV)",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7)
    ax.set_xlabel("index i  (values below their error bound are not drawn)")
    _index_axis(ax)
    ax.set_ylabel("eigenvalue (mean normalisation, eq. 5.2.5)")
    ax.set_title(f"Fig 5.2: n={p.n}, d={v['d']}, c={p.c:g}, T={p.T}, σw²={p.sigma_w2:g}, "
                 f"σ*²={p.sigma_star2:g}, α={p.alpha:g}, seed={v['seed']}", fontsize=9)
    ax.legend(fontsize=8)
    files = _save(fig, out, "fig5_2")
    files.append(_csv(out / "fig5_2.csv",
                      ["i", "P1", "P1_sigma_w", "P1_y", "P1_err", "P1_sigma_w_err", "P1_y_err"],
                      [idx, spectra["P1"], spectra["P1_sigma_w"], spectra["P1_y"],
                       errs["P1"], errs["P1_sigma_w"], errs["P1_y"]]))
    P1, Pw, Py = spectra["P1"], spectra["P1_sigma_w"], spectra["P1_y"]
    k_head, k_tail = 3, 10
    checks = {
        "head: max_{i≤3} |λ_i(P1) − λ_i(P1^y)| / λ_i(P1)":
            float(np.max(np.abs(P1[:k_head] - Py[:k_head]) / P1[:k_head])),
        "tail: max over the last 10 i of |λ_i(P1) − λ_i(P1^σw)| / λ_i(P1)":
            float(np.max(np.abs(P1[-k_tail:] - Pw[-k_tail:]) / P1[-k_tail:])),
        "Weyl: λ_i(P1) ≥ max(λ_i(P1^y), λ_n(P1^σw)) for every i":
            bool(np.all(P1 + errs["P1"] >= np.maximum(Py - errs["P1_y"], Pw[-1]) * (1 - 1e-12))),
        "index where P1^σw overtakes P1^y": int(np.argmax(Pw > Py) + 1) if np.any(Pw > Py)
        else None,
        "dim_0.95 of P1(T)": int(dimensionality(P1, 0.95)),
        "methods": methods,
    }
    lines = ["- eigenvalues of P1(T) = P1^σw(T) + P1^y(T) (eq. 5.2.9, divided by T as in 5.2.5) "
             "and of its two terms, with absolute error bounds, by the precision ladder of "
             "`hyperribbon.numerics.linear_models.observe` (structured relative-accuracy algorithms first).",
             f"- d = {v['d']} does not enter: the figure is a function of K's spectrum and of y "
             "in K's eigenbasis."]
    return files, {**spectra, **{k + "_err": e for k, e in errs.items()}}, checks, lines


# ------------------------------------------------------------------ Fig 5.3
def _fig5_3(out, v, quick, progress):
    keys = ("fraction", "thresholds", "n", "d", "alpha", "T_max", "T_num", "c_min", "c_max",
            "c_num", "ratios", "heatmap_ratios", "expectation", "draws", "seed")
    run = run_phase_diagram(out, quick=False, progress=progress, prefix="fig5_3", resume=not quick,
                            title="Fig 5.3", **{k: v[k] for k in keys})
    dg = run.diagram
    files = [f for f in run.files if f.name != "report.md"]
    checks = {}
    for k in v["thresholds"]:
        frac = {f"{r:g}": row.get(f"P_le_{k}") for r in dg.axes["ratio"] for row in
                run.summary["rows"] if row["ratio"] == r}
        checks[f"fraction of the (T, c) plane with dim P ≤ {k}, per σ*/σw"] = frac
    big = dg.axes["ratio"] >= 9 - 1e-9
    if np.any(big):
        sub = dg.mean["P"][..., big, :, :]
        checks["σ*/σw ≥ 9: fraction of (T, c) with dim P ≤ 3 (narrative: a contiguous region)"] \
            = float(np.mean(sub <= 3))
    viol = [row.get("bound_violations", 0) for row in run.summary["rows"]]
    checks["Lemma 5.2.3 violations (certified dim < dim P1)"] = int(sum(v_ or 0 for v_ in viol))
    checks["engine"] = (f"{dg.stats['eigensolves']} eigenvalue problems, "
                        f"{dg.stats['seconds']:.1f} s")
    lines = ["- the phase diagram of `hyperribbon.experiments.linear_models.phase_diagram` with the "
             "parameters above; its summary is in `fig5_3_summary.json`, the grid in "
             "`fig5_3_grid.npz` / `.csv`.",
             f"- dimensionality: number of principal components holding {100 * v['fraction']:g}% "
             "of the variance of P(T) (eq. 5.2.5), "
             + {"draws": f"averaged over {v['draws']} target draws (E_y[dim P]).",
                "matrix": "of the expected matrix E_y[P(T)].",
                "pooled": "of the pooled covariance E_y[P1(T)]."}[v["expectation"]],
             "- σw² itself does not enter (the dimensionality is scale invariant, so for GD only "
             "σ*/σw matters), and d enters only through rank K = min(n, d).",
             "- panels: `fig5_3_heatmaps` (a-c), `fig5_3_boundaries_3d` (d), `fig5_3_contours` "
             "(e-f, plus g for the 30-dimensional boundary), `fig5_3_bound` (Lemma 5.2.3)."]
    text = run.report.read_text()            # the phase tables, before report.md is replaced
    body = text[text.find("## Phases"):text.find("## Files")].strip()
    lines += [""] + [("#" + ln if ln.startswith("## ") else ln) for ln in body.splitlines()]
    numbers = {"axes": dg.axes, **{f"mean_{q}": a for q, a in dg.mean.items()}}
    return files, numbers, checks, lines


# ------------------------------------------------------------------ Fig 5.4
def _fig5_4(out, v, quick, progress):
    n, alpha = int(v["n"]), float(v["alpha"])
    cs, Ts = _tuple(v["c"]), _tuple(v["T"])
    rows, numbers, verdicts = [], {}, {}
    fig = _figure(figsize=(5.0 * len(Ts), 4.4), layout="constrained")
    axs = np.atleast_1d(fig.subplots(1, len(Ts), sharey=True))
    idx = np.arange(1, n + 1)
    violations = 0
    for ax, T in zip(axs, Ts):
        for j, c in enumerate(cs):
            p = LinearGDProblem.sloppy(n=n, c=float(c), alpha=alpha, T=int(T),
                                       sigma_w2=float(v["sigma_w2"]),
                                       sigma_star2=float(v["sigma_star2"]), seed=int(v["seed"]),
                                       lambda1=float(v["lambda1"]))
            vals, err, _ = _spectrum(p, "S1")
            ratio = vals / vals[0]
            rerr = (err + np.abs(ratio) * err[0]) / vals[0]
            bound = linear_gd.bound_5_2_3(p)
            verdict = linear_gd.LEMMA_5_2_3.check(p)
            verdicts[f"T={T:g}, c={c:g}"] = f"{verdict.status.value} (margin {verdict.margin:.3g})"
            measured = ratio > 2 * rerr
            violations += int(np.sum(measured & (ratio - rerr > bound * (1 + 1e-12))))
            numbers[f"T{T:g}_c{c:g}"] = {"ratio": ratio, "ratio_err": rerr, "bound": bound}
            rows.append(np.column_stack([np.full(n, T), np.full(n, c), idx, ratio, rerr, bound]))
            col = f"C{j}"
            ax.semilogy(idx, np.where(measured, ratio, np.nan), "-", color=col,
                        label=f"c = {c:g}")
            ax.semilogy(idx, bound, "--", color=col, lw=1)
        ax.set_xlabel("index i")
        _index_axis(ax)
        ax.set_title(f"T = {T:g}", fontsize=10)
    axs[0].set_ylabel(r"$\lambda_i/\lambda_1$ of $T P_1(T)$")
    handles, _ = axs[0].get_legend_handles_labels()
    axs[0].legend(handles=handles + _style_handles(("-", 1.5, None, "measured ratio"),
                                                   ("--", 1, None, "Lemma 5.2.3 bound")),
                  fontsize=8)
    fig.suptitle(f"Fig 5.4: n = {n}, α = {alpha:g}, σw² = {v['sigma_w2']:g}, "
                 f"σ*² = {v['sigma_star2']:g}, seed = {v['seed']}", fontsize=9)
    files = _save(fig, out, "fig5_4")
    table = np.vstack(rows)
    files.append(_csv(out / "fig5_4.csv", ["T", "c", "i", "ratio", "ratio_err", "bound_5_2_3"],
                      table.T))
    checks = {"verdicts of thesis-lemma-5.2.3": verdicts,
              "measured ratios above the bound (beyond their error)": violations,
              "first index where the bound is below 1 (non-vacuous), per (T, c)": {
                  k: int(np.argmax(d["bound"] < 1) + 1) if np.any(d["bound"] < 1) else None
                  for k, d in numbers.items()},
              "indices where the bound is below 1, per (T, c)": {
                  k: int(np.sum(d["bound"] < 1)) for k, d in numbers.items()}}
    lines = ["- λ_i/λ_1 of T·P1(T) (eq. 5.2.9) with error bounds (structured algorithm), and "
             "the right-hand side of Lemma 5.2.3 as stated (k* = min{ln(2Tα)/(2c), n/2}, "
             "indices ⌊k*⌋), from `hyperribbon.theory.linear_models.linear_gd.bound_5_2_3`.",
             "- ratios below their error bound are not drawn."]
    return files, numbers, checks, lines


# ------------------------------------------------------------------ Fig 5.5
def _simulate_pca_spectra(X, y, alpha, Ts, N, sigma_w2, seed, chunk_rows=None, progress=False):
    """P(N, T) of N weight-space GD runs for every T in ``Ts`` (one run of max(Ts) steps;
    shorter T are prefixes). w0 ~ N(0, σw²/n I_d) (prediction-space σw², erratum E2).
    ``progress``: a progress bar over the steps (on a terminal)."""
    n, d = X.shape
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((N, d)) * math.sqrt(sigma_w2 / n)
    S, m = np.zeros((n, n)), np.zeros(n)
    out = {}
    want = set(int(T) for T in Ts)
    steps = range(max(want))
    if progress:
        from tqdm.auto import tqdm
        steps = tqdm(steps, desc=f"fig5.5: {N} GD runs", unit="step", leave=False,
                     disable=None)
    for t in steps:
        R = W @ X.T - y
        S += R.T @ R
        m += R.sum(axis=0)
        if t + 1 in want:
            cnt = N * (t + 1)
            mean = m / cnt
            out[t + 1] = S / cnt - np.outer(mean, mean)
        W -= alpha * (R @ X) / n
    return out


def _fig5_5(out, v, quick, progress):
    n, d, N = int(v["n"]), int(v["d"]), int(v["N"])
    Ts = sorted(int(T) for T in _tuple(v["T"]))
    norm = v["normalization"]
    if norm not in ("sum", "mean"):
        raise InvalidArgument("normalization", "reproduce('fig5.5')", "be 'sum' or 'mean'", norm)
    base = LinearGDProblem.sloppy(n=n, c=float(v["c"]), alpha=float(v["alpha"]), T=Ts[-1],
                                  sigma_w2=float(v["sigma_w2"]),
                                  sigma_star2=float(v["sigma_star2"]), seed=int(v["seed"]),
                                  lambda1=float(v["lambda1"]))
    X, w_star, _ = synthetic_data(base, d=d, seed=int(v["seed"]) + 1)
    y = X @ w_star
    with _single_threaded_blas():      # small products: BLAS threads only add contention
        sims = _simulate_pca_spectra(X, y, base.alpha, Ts, N, base.sigma_w2, int(v["seed"]) + 2,
                                     progress=progress)
    idx = np.arange(1, n + 1)
    fig = _figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.subplots()
    import matplotlib
    cmap = matplotlib.colormaps["viridis"]
    numbers, cols, checks = {}, [], {}
    for j, T in enumerate(Ts):
        p = base.replace(T=T)
        emp = np.sort(np.linalg.eigvalsh(sims[T]))[::-1]
        exact_N = np.sort(np.linalg.eigvalsh(
            pca_matrices(p).P() + np.diag(expected_empirical_pca_correction(p, N))))[::-1]
        limit = np.sort(np.linalg.eigvalsh(pca_matrices(p).P()))[::-1]
        numbers[T] = {"empirical": emp, "exact_E_P_N_T": exact_N, "P_T": limit}
        cols.append(np.column_stack([np.full(n, T), idx, emp, exact_N, limit]))
        col = cmap(j / max(1, len(Ts) - 1))
        scale = T if norm == "sum" else 1.0
        ax.semilogy(idx, np.clip(scale * emp, 1e-300, None), "o", ms=3, mfc="none", color=col,
                    label=f"T = {T}")
        ax.semilogy(idx, np.clip(scale * exact_N, 1e-300, None), "-", color=col, lw=1)
        top = slice(0, 5)
        checks[f"T={T}: top-5 max relative error simulation vs exact E[P(N,T)]"] = float(
            np.max(np.abs(emp[top] - exact_N[top]) / exact_N[top]))
        checks[f"T={T}: dim_0.95 simulated / exact"] = (int(dimensionality(emp)),
                                                         int(dimensionality(exact_N)))
    for label, sc in (("P(T)", lambda T: 1.0), ("T·P(T)", lambda T: float(T))):
        checks[f"largest eigenvalue of {label} vs T (caption: increases)"] = {
            str(T): sc(T) * float(numbers[T]["P_T"][0]) for T in Ts}
        checks[f"smallest eigenvalue of {label} vs T (caption: the tail increases)"] = {
            str(T): sc(T) * float(numbers[T]["P_T"][-1]) for T in Ts}
    ax.set_xlabel("index i")
    _index_axis(ax)
    ax.set_ylabel("eigenvalue of " + ("T·P(N, T)  (summed)" if norm == "sum"
                                      else "P(N, T)  (eq. 5.2.3)"))
    ax.set_title(f"Fig 5.5: {N} GD runs on d = {d} data, n = {n}, c = {base.c:g}, "
                 f"σw² = {base.sigma_w2:g}, σ*² = {base.sigma_star2:g}, α = {base.alpha:g}\n"
                 "markers: simulated P(N,T); lines: exact E[P(N,T)]", fontsize=8)
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=handles + _style_handles(("none", 1, "o", f"simulated, {N} runs"),
                                               ("-", 1, None, "exact E[P(N,T)]")), fontsize=8)
    files = _save(fig, out, "fig5_5")
    files.append(_csv(out / "fig5_5.csv", ["T", "i", "simulated", "exact_E_P_N_T", "P_T"],
                      np.vstack(cols).T))
    lines = [f"- {N} runs of gradient descent in weight space, w_(t+1) = w_t − α Xᵀ(Xw_t − y)/n, "
             f"on synthetic data X ∈ R^(n×d) (d = {d}) with XXᵀ/n = K, K's spectrum "
             f"λ_i = {base.lambda1:g}·e^{{-{base.c:g}(i-1)}}, y = Xw*; initialisations "
             "w0 ~ N(0, σw²/n I_d).",
             "- P(N, T) (eq. 5.2.3) for every T from one run of max T steps (the shorter "
             "trajectories are prefixes), against the exact E[P(N, T)] = P(T) − "
             "(σw²/N) K_T K K_T of the closed-form engine, and the limit P(T). The CSV holds "
             "the mean normalisation of eq. 5.2.3; the figure shows "
             + ("T·P(N, T) (summed, as the caption's trends require)." if norm == "sum"
                else "P(N, T)."),
             "- E[P(N, T)] is the expectation of the matrix, not of its eigenvalues; "
             + _spreading_sentence(numbers, n, N)]
    return files, numbers, checks, lines


def _spreading_sentence(numbers: dict, n: int, N: int) -> str:
    """How many of the n/2 smallest simulated eigenvalues lie below those of E[P(N, T)], per T
    (computed; finite-N spreading of the spectrum, ratio n/N)."""
    half = max(1, n // 2)
    parts = []
    for T, d in numbers.items():
        below = int(np.sum(d["empirical"][-half:] < d["exact_E_P_N_T"][-half:]))
        parts.append(f"T = {T}: {below} of {half}")
    return (f"of the {half} smallest eigenvalues of the {N}-run ensemble (n/N = {n / N:.2g}), "
            "the number below the corresponding eigenvalue of E[P(N, T)] is "
            + "; ".join(parts) + " (a finite ensemble spreads the spectrum, Marchenko–Pastur).")


_RUNNERS = {"fig5.1": _fig5_1, "fig5.2": _fig5_2, "fig5.3": _fig5_3, "fig5.4": _fig5_4,
            "fig5.5": _fig5_5}
