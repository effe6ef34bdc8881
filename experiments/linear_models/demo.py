"""The main demonstration: every Chapter 5 lemma verified on the thesis's Fig 5.2 setting.

Writes into ``out``: ``report.md`` (parameters, versions, verdict tables, Monte-Carlo agreement,
errata), ``verdicts.json``, ``spectra.csv`` and the figure ``fig5_2.png``/``.pdf``:

(a) the eigenvalues of P1(T), P1^σw(T), P1^y(T) (eq. 5.2.9, mean normalisation of 5.2.5) with
    the bound of Lemma 5.2.3 (× λ1 of P1), i.e. thesis Fig 5.2;
(b) the Monte-Carlo check of eq. (5.2.5): the spectrum of P(N, T) from N simulated GD runs
    (circles) against its exact expectation E[P(N, T)] = P(T) − (σw²/N)K_T K K_T (line) and
    the limit P(T) (dashed). P1 is not P: P = P1 − P2 differs from P1 in the top eigenvalue by
    the rank-one P2, which is why (b) compares the simulation with E[P(N, T)], not with P1.

``verdicts.json`` keeps, per comparison of every verdict, the number of entries by status and
the entries with the smallest margins (``hyperribbon verify KEY --json`` prints every entry);
the full tables of the identity checks (thousands of matrix entries) would make it megabytes.
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from hyperribbon.numerics import (empirical_pca_matrix, expected_empirical_pca_correction,
                                  pca_matrices, simulate_residuals)
from hyperribbon.theory import errata
from hyperribbon.theory.linear_models import linear_gd
from hyperribbon.theory.lemma import Precision
from hyperribbon.theory.oracle import get as get_oracle

from .._output import (atomic_savefig, atomic_write_text, index_list, json_dumps, json_safe,
                       output_folder)
from ..verify import DEFAULTS, make_problem

__all__ = ["run_demo", "monte_carlo_agreement", "verdict_summary", "WORST_ENTRIES"]

#: Entries with the smallest margins kept per comparison in ``verdicts.json``.
WORST_ENTRIES = 12


def monte_carlo_agreement(problem, N: int, seed: int = 0, top: int = 5) -> dict:
    """Empirical P(N, T) from N simulated GD runs vs the exact E[P(N,T)] (engine + the exact
    finite-N correction); relative errors of the top eigenvalues and the Frobenius error.
    ``eigenvalues_*`` hold the whole spectra (descending) for the figure."""
    R = simulate_residuals(problem, N=N, seed=seed)
    emp = empirical_pca_matrix(R)
    P = pca_matrices(problem).P()
    exact = P + np.diag(expected_empirical_pca_correction(problem, N))
    ev_emp = np.sort(np.linalg.eigvalsh(emp))[::-1]
    ev_ex = np.sort(np.linalg.eigvalsh(exact))[::-1]
    ev_P = np.sort(np.linalg.eigvalsh(P))[::-1]
    return {"N": N, "top_eigenvalues_empirical": ev_emp[:top].tolist(),
            "top_eigenvalues_exact": ev_ex[:top].tolist(),
            "max_rel_err_top": float(np.max(np.abs(ev_emp[:top] - ev_ex[:top]) / ev_ex[:top])),
            "rel_frobenius_err": float(np.linalg.norm(emp - exact) / np.linalg.norm(exact)),
            "eigenvalues_empirical": ev_emp, "eigenvalues_exact": ev_ex,
            "eigenvalues_P": ev_P}


def verdict_summary(v, worst: int = WORST_ENTRIES) -> dict:
    """A verdict as compact JSON-ready data: per comparison the entry counts by status and the
    ``worst`` entries with the smallest margins (numbers are numbers, non-finite → null)."""
    comps = []
    for c in v.comparisons:
        st = np.asarray(c.statuses)
        order = np.argsort(c.margins, kind="stable")[:worst]
        comps.append({"name": c.name, "relation": c.relation, "entries": int(c.lhs.size),
                      "by_status": {s: int(np.sum(st == s)) for s in sorted(set(st.tolist()))},
                      "smallest_margins": [
                          {"index": index_list([c.index[k]])[0], "lhs": c.lhs[k],
                           "rhs": c.rhs[k],
                           "lhs_err": c.lhs_err[k], "rhs_err": c.rhs_err[k],
                           "margin": c.margins[k], "status": st[k]} for k in order]})
    return json_safe({"lemma": v.lemma_id, "status": v.status.value, "margin": v.margin,
                      "precision": v.precision, "failed_assumptions": list(v.failed_assumptions),
                      "notes": list(v.notes), "problem": v.problem, "comparisons": comps})


def _spectra(problem):
    oracle = get_oracle()
    out = {}
    for name in ("S1", "S1w", "S1y"):
        for level in (Precision.STRUCTURED, Precision.MPMATH, Precision.FLOAT64):
            try:
                m = oracle.eigenvalues(problem, name, level)
                vals = np.where(m.values > 2 * m.abs_err, m.values, np.nan) / problem.T
                out[name] = (vals, m.method)
                break
            except Exception:  # noqa: BLE001 - fall down the ladder
                continue
    return out


def _fig(problem, spectra, bound, mc, out):
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogLocator, MaxNLocator
    idx = np.arange(1, problem.n + 1)
    fig = Figure(figsize=(11.5, 4.6), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    labels = {"S1": r"$P_1(T)$", "S1w": r"$P_1^{\sigma_w}(T)$ (initialisation term)",
              "S1y": r"$P_1^{y}(T)$ (target term)"}
    head = np.concatenate([spectra[k][0][np.isfinite(spectra[k][0])] for k in ("S1", "S1w")])
    ex = np.asarray(mc["eigenvalues_exact"])
    bottom = 10 ** np.floor(np.log10(min(head.min(), ex[ex > 0].min()) / 3))
    top = 10 ** np.ceil(np.log10(max(np.nanmax(bound), head.max(), ex.max()) * 2))
    ax = axes[0]
    for name, style in (("S1", "k-"), ("S1w", "C0--"), ("S1y", "C3-.")):
        ax.semilogy(idx, spectra[name][0], style, label=labels[name])
    ax.semilogy(idx, bound, "C2:", lw=2, label=r"Lemma 5.2.3 bound $\times\,\lambda_1(P_1)$")
    y_min = np.nanmin(spectra["S1y"][0])
    if y_min < bottom:
        ax.text(0.98, 0.02, f"P1^y continues below the axis, down to {y_min:.1e} (spectra.csv)",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7)
    ax.set_title("(a) Fig 5.2: P1(T) and its two terms (eq. 5.2.9)", fontsize=10)
    ax.set_ylabel("eigenvalue (mean normalisation, eq. 5.2.5)")
    ax = axes[1]
    ax.semilogy(idx, mc["eigenvalues_P"], "k--", lw=1, label=r"$P(T)$, exact limit $N\to\infty$")
    ax.semilogy(idx, np.where(ex > 0, ex, np.nan), "C1-",
                label=rf"$E[P(N,T)]$, exact, $N = {mc['N']}$")
    emp = np.asarray(mc["eigenvalues_empirical"])
    ax.semilogy(idx, np.where(emp > 0, emp, np.nan), "o", ms=3.5, mfc="none", color="C1",
                label=f"$P(N,T)$ of {mc['N']} simulated GD runs")
    ax.set_title(f"(b) Monte-Carlo check of eq. (5.2.5): top-5 max rel. error "
                 f"{mc['max_rel_err_top']:.2g}", fontsize=10)
    for ax in axes:
        ax.set_ylim(bottom, top)
        ax.yaxis.set_major_locator(LogLocator(base=10, numticks=12))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("index i (values below their error bound are not drawn)")
        ax.legend(fontsize=8, loc="upper right")
        ax.grid(alpha=0.3, which="major")
    fig.suptitle(f"Fig 5.2 setting: n = {problem.n}, c = {problem.c:g}, T = {problem.T}, "
                 f"σw² = {problem.sigma_w2:g}, σ*² = {problem.sigma_star2:g}, "
                 f"α = {problem.alpha:g}", fontsize=10)
    for ext in ("png", "pdf"):
        atomic_savefig(fig, out / f"fig5_2.{ext}", dpi=150)


def run_demo(out: str | os.PathLike = "out/demo", *, quick: bool = False, seed: int = 0) -> Path:
    """Run the demonstration; returns the path of ``report.md``."""
    from ..verify import problem_for
    t0 = time.time()
    problem = make_problem(seed=seed)                  # validates seed before anything is written
    with output_folder(out) as out:
        from ..verify import select
        lemmas = select("ch5")
        verdicts = [lem.check(problem_for(lem, seed=seed)) for lem in lemmas]
        mc = monte_carlo_agreement(problem, N=500 if quick else 4000, seed=seed + 1)
        spectra = _spectra(problem)
        bound = linear_gd.bound_5_2_3(problem) * spectra["S1"][0][0]
        _fig(problem, spectra, bound, mc, out)
        rows = ["i,P1,P1_sigma_w,P1_y,bound_5_2_3_times_lambda1,P_T,E_P_N_T_exact,"
                "P_N_T_monte_carlo"]
        for k in range(problem.n):
            values = (spectra["S1"][0][k], spectra["S1w"][0][k], spectra["S1y"][0][k], bound[k],
                      mc["eigenvalues_P"][k], mc["eigenvalues_exact"][k],
                      mc["eigenvalues_empirical"][k])
            rows.append(f"{k + 1}," + ",".join(f"{x:.17g}" for x in values))
        atomic_write_text(out / "spectra.csv", "\n".join(rows) + "\n")
        atomic_write_text(out / "verdicts.json",
                          json_dumps([verdict_summary(v) for v in verdicts], indent=1))
        report = out / "report.md"
        atomic_write_text(report, _report(problem, lemmas, verdicts, mc, spectra, quick,
                                          time.time() - t0))
    return report


def _report(problem, lemmas, verdicts, mc, spectra, quick, seconds) -> str:
    import matplotlib as mpl
    import mpmath
    import scipy
    import sympy
    counts = {}
    for v in verdicts:
        counts[v.status.value] = counts.get(v.status.value, 0) + 1
    failing = [v.lemma_id for v in verdicts if v.status.value == "fails"]
    lines = ["# hyperribbon demo: Chapter 5 lemmas on the Fig 5.2 setting", "",
             "## Parameters", "",
             f"- problem: {json.dumps(json_safe(problem.parameters()))}",
             f"- defaults: {json.dumps(DEFAULTS)} (α = 0.9 is this toolkit's choice; Fig 5.2 "
             "does not state α)",
             f"- Monte-Carlo ensemble: N = {mc['N']} GD runs" + (" (--quick)" if quick else ""),
             f"- versions: python {platform.python_version()}, numpy {np.__version__}, "
             f"scipy {scipy.__version__}, sympy {sympy.__version__}, mpmath {mpmath.__version__}, "
             f"matplotlib {mpl.__version__}",
             "- spectra computed by: " + ", ".join(f"{k}: {v[1]}" for k, v in spectra.items()),
             "", "## Verdicts", "",
             f"{len(verdicts)} lemmas: " + ", ".join(f"{n} {s}" for s, n in counts.items())
             + "." + (f" Failing (as written; see the errata): {', '.join(failing)}."
                      if failing else ""), "",
             "| lemma | variant | status | worst margin | precision |", "|---|---|---|---|---|"]
    for lem, v in zip(lemmas, verdicts):
        m = v.margin
        lines.append(f"| {lem.id} | {lem.variant} | {v.status.value} | "
                     f"{'—' if not np.isfinite(m) else f'{m:.4g}'} | {v.precision or '—'} |")
    lines += ["", "Verdicts `not_applicable` name the violated assumption in verdicts.json, "
              f"which keeps per comparison the entry counts by status and the {WORST_ENTRIES} "
              "entries with the smallest margins (`hyperribbon verify KEY --json` prints every "
              "entry).", "",
              "## Monte-Carlo check of eq. (5.2.5)", "",
              f"{mc['N']} simulated GD runs; exact E[P(N,T)] = P(T) − (σw²/N)K_T K K_T. "
              f"Top-5 eigenvalues: max relative error {mc['max_rel_err_top']:.3g}; relative "
              f"Frobenius error {mc['rel_frobenius_err']:.3g} (panel (b) of the figure).", "",
              "## Errata (regenerated)", "", errata.to_markdown(), "",
              "## Figure", "", "![Fig 5.2](fig5_2.png)", "",
              f"Total time {seconds:.1f} s."]
    return "\n".join(lines) + "\n"
