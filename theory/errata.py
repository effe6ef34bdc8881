r"""Errata: statements of the thesis that fail as written, each with a minimal counterexample that
is *recomputed* (never stored as numbers) every time the table is generated.

Every record keeps the as-written lemma (or normalisation claim) and names the corrected variant
that holds. :func:`regenerate` re-checks every counterexample and returns the table;
``hyperribbon errata`` prints it and the tests assert its content, so a regression that silently
"fixes" or breaks a lemma is caught.

Examples
--------
>>> rows = regenerate()
>>> [(r["id"], r["as_written"], r["corrected"]) for r in rows][:1]
[('E1', 'fails', 'holds')]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Erratum", "ERRATA", "regenerate", "to_markdown"]


@dataclass(frozen=True)
class Erratum:
    id: str
    where: str
    as_written: str
    corrected: str
    counterexample: str
    check: Callable[[], tuple]   # -> (as_written_status, corrected_status, detail)


def _e1():
    from .linear_gd import LEMMA_5_2_2, LEMMA_5_2_2_MEAN
    from .problems import LinearGDProblem
    p = LinearGDProblem.from_spectrum([1.0, 0.5], yhat=[1.0, 0.0], alpha=0.5, T=2)
    bad, good = LEMMA_5_2_2_MEAN.check(p), LEMMA_5_2_2.check(p)
    lhs = bad.comparisons[0].lhs[0]
    return bad.status.value, good.status.value, \
        f"λ1 of P1^y(2) = {lhs:.6g} < ‖y‖² = {p.y_norm2:.6g}"


def _e2():
    # E[r0 r0ᵀ] for w0 ~ N(0, σ² I_d): exactly σ² XXᵀ = nσ² K, not σ² K (K = XXᵀ/n).
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    n, sigma2 = X.shape[0], 1.0
    K = X @ X.T / n
    exact = sigma2 * X @ X.T                          # E[X w0 w0ᵀ Xᵀ] with E[w0w0ᵀ] = σ²I
    as_written = sigma2 * K
    fails = not np.allclose(exact, as_written)
    corrected = np.allclose(exact, (n * sigma2) * K)  # convention: σ_w² := n·(per-weight var.)
    return ("fails" if fails else "holds"), ("holds" if corrected else "fails"), \
        f"X = I₂: E[Xw0w0ᵀXᵀ] = {exact[0, 0]:g}·I but σ_w²K = {as_written[0, 0]:g}·I"


def _e3():
    from .gd_closed_forms import rho_thesis
    kappas = np.array([1.0, 1.0 + 1e-9, 2.0, 1e30])
    rhos = np.array([rho_thesis(k, 1.0) for k in kappas])
    vacuous = bool(np.all(rhos > 1.0))   # ρ > 1 for every κ ≥ 1, with or without cn > ln 4
    return ("fails" if vacuous else "holds"), ("holds" if vacuous else "fails"), \
        f"n = 1 (cn = 0 < ln 4): ρ = {rhos[0]:.6g} > 1 all the same"


ERRATA = (
    Erratum("E1", "Lemma 5.2.2 with §5.2.2's definition of λ_i^y",
            "λ_i^y are the eigenvalues of P1^y(T) of eq. (5.2.5), which carries a factor 1/T; "
            "then ‖y‖² ≤ λ1^y fails for every T ≥ 2.",
            "λ_i^y are eigenvalues of the summed T·P1^y(T) (as in (5.2.9) and the proof): "
            "lemma thesis-lemma-5.2.2 (the mean reading is thesis-lemma-5.2.2-mean).",
            "n = 2, λ = (1, 0.5), α = 0.5, T = 2, ŷ = (1, 0) (n = 1 makes the upper bound an equality)", _e1),
    Erratum("E2", "§5.2.1, E[r0 r0ᵀ] = σw²K + yyᵀ from E[w0 w0ᵀ] = σw²I",
            "With K = XXᵀ/n and E[w0w0ᵀ] = σw²I one gets E[Xw0w0ᵀXᵀ] = nσw²K (likewise "
            "E‖y‖² = nσ*² tr K for w* ~ N(0, σ*²I)).",
            "hyperribbon reads σw² (and σ*²) as prediction-space variances: Cov(Xw0) = σw²K, "
            "i.e. per-weight variance σw²/n; LinearGDProblem.from_data converts explicitly.",
            "n = d = 2, X = I, per-weight variance 1", _e2),
    Erratum("E3", "Remark after Lemma 5.2.1",
            "'non-vacuous when cn > ln 4, which ensures that ρ > 1': ρ > 1 holds for every "
            "spectrum since 8λ1/λn − 4 ≥ 4 > 1, so the condition ensures nothing about ρ.",
            "ρ > 1 always; the bound 4ρ^{-2i} is below 1 once i > ln 4/(2 ln ρ).",
            "n = 1 (λ1/λn = 1): ρ = exp(π²/(2 ln 4)) ≈ 35.1", _e3),
)


def regenerate() -> list[dict]:
    """Re-check every erratum's counterexample; returns one row per erratum."""
    rows = []
    for e in ERRATA:
        aw, corr, detail = e.check()
        rows.append({"id": e.id, "where": e.where, "as_written": aw, "corrected": corr,
                     "counterexample": e.counterexample, "measured": detail,
                     "statement_as_written": e.as_written, "correction": e.corrected})
    return rows


def to_markdown(rows: list[dict] | None = None) -> str:
    rows = regenerate() if rows is None else rows
    out = ["| id | where | as written | corrected | minimal counterexample | measured |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['id']} | {r['where']} | {r['as_written']} | {r['corrected']} | "
                   f"{r['counterexample']} | {r['measured']} |")
    out.append("")
    for r in rows:
        out.append(f"- **{r['id']}** {r['statement_as_written']} *Correction:* {r['correction']}")
    return "\n".join(out)
