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

EPS_ = float(np.finfo(float).eps)

__all__ = ["Erratum", "ERRATA", "SUBJECT_ERRATA", "all_errata", "regenerate", "to_markdown"]


@dataclass(frozen=True)
class Erratum:
    id: str
    where: str
    as_written: str
    corrected: str
    counterexample: str
    check: Callable[[], tuple]   # -> (as_written_status, corrected_status, detail)


def _e1():
    from .linear_models.linear_gd import LEMMA_5_2_2, LEMMA_5_2_2_MEAN
    from .linear_models.problems import LinearGDProblem
    p = LinearGDProblem.from_spectrum([1.0, 0.5], yhat=[1.0, 0.0], alpha=0.5, T=2)
    bad, good = LEMMA_5_2_2_MEAN.check(p), LEMMA_5_2_2.check(p)
    lhs = bad.comparisons[0].lhs[0]
    return bad.status.value, good.status.value, \
        f"λ1 of P1^y(2) = {lhs:.6g} < ‖y‖² = {p.y_norm2:.6g}"


def _e2():
    # Both halves of E2 for X = I₂ (n = d = 2), K = XXᵀ/n:
    # (a) E[r0 r0ᵀ] for w0 ~ N(0, σ² I_d): exactly σ² XXᵀ = nσ² K, not σ² K;
    # (b) E‖y‖² for y = Xw*, w* ~ N(0, σ*² I_d): exactly σ*² tr(XXᵀ) = nσ*² tr K, not σ*² tr K,
    #     recomputed exactly and by Monte-Carlo (N draws, seeded).
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    n, sigma2, sigma_star2 = X.shape[0], 1.0, 1.0
    K = X @ X.T / n
    exact = sigma2 * X @ X.T                          # E[X w0 w0ᵀ Xᵀ] with E[w0w0ᵀ] = σ²I
    as_written = sigma2 * K
    fails_a = not np.allclose(exact, as_written)
    holds_a = np.allclose(exact, (n * sigma2) * K)    # convention: σ_w² := n·(per-weight var.)
    y2_exact = sigma_star2 * float(np.trace(X @ X.T))           # E‖Xw*‖² = σ*² tr(XXᵀ)
    y2_written, y2_corrected = sigma_star2 * float(np.trace(K)), n * sigma_star2 * float(np.trace(K))
    N = 100_000
    w = np.sqrt(sigma_star2) * np.random.default_rng(0).standard_normal((N, X.shape[1]))
    y2 = np.sum((w @ X.T) ** 2, axis=1)
    mc, se = float(y2.mean()), float(y2.std(ddof=1) / np.sqrt(N))
    fails_b = abs(y2_exact - y2_written) > 0 and abs(mc - y2_written) > 10 * se
    holds_b = y2_exact == y2_corrected and abs(mc - y2_corrected) <= 5 * se
    return ("fails" if fails_a and fails_b else "holds"), \
        ("holds" if holds_a and holds_b else "fails"), \
        (f"X = I₂: E[Xw0w0ᵀXᵀ] = {exact[0, 0]:g}·I but σ_w²K = {as_written[0, 0]:g}·I; "
         f"E‖y‖² = {y2_exact:g} exactly (Monte-Carlo {mc:.4f} ± {se:.4f}, N = {N}) but "
         f"σ*² tr K = {y2_written:g}; nσ*² tr K = {y2_corrected:g}")


def _e3():
    from .linear_models.gd_closed_forms import rho_thesis
    kappas = np.array([1.0, 1.0 + 1e-9, 2.0, 1e30])
    rhos = np.array([rho_thesis(k, 1.0) for k in kappas])
    vacuous = bool(np.all(rhos > 1.0))   # ρ > 1 for every κ ≥ 1, with or without cn > ln 4
    return ("fails" if vacuous else "holds"), ("holds" if vacuous else "fails"), \
        f"n = 1 (cn = 0 < ln 4): ρ = {rhos[0]:.6g} > 1 all the same"


def _e4():
    # (α²/b) X E[ξξᵀ] Xᵀ with D = XᵀX/n − x̄ᵀx̄ versus the thesis's (α²/b)XXᵀXXᵀ and (α²/b)K².
    X = np.eye(2)
    n = X.shape[0]
    xbar = X.mean(axis=0, keepdims=True)
    D = X.T @ X / n - xbar.T @ xbar
    K = X @ X.T / n
    forms = {"XDXᵀ": X @ D @ X.T, "XXᵀXXᵀ": X @ X.T @ X @ X.T, "K²": K @ K}
    distinct = not (np.allclose(forms["XDXᵀ"], forms["K²"])
                    or np.allclose(forms["XXᵀXXᵀ"], forms["K²"]))
    # the corrected variant states the residual-space noise covariance (α²/b)·N directly and the
    # closed forms use N = K²; check the recursion with N = K² reproduces Pξ (lemma sgd-pxi)
    from .linear_models.problems import LinearGDProblem
    from .linear_models.sgd import LEMMA_SGD_PXI, SGDProblem
    ok = LEMMA_SGD_PXI.check(SGDProblem(LinearGDProblem.from_spectrum(
        [1.0, 0.5], yhat=[1.0, 1.0], alpha=0.5, T=3), 1)).status.value
    return ("fails" if distinct else "holds"), ok, \
        ("X = I₂: XDXᵀ = " + str(forms["XDXᵀ"].round(3).tolist()) +
         ", XXᵀXXᵀ = " + str(forms["XXᵀXXᵀ"].tolist()) +
         ", K² = " + str(forms["K²"].tolist()))


def _e5():
    from .linear_models import gd_closed_forms as cf
    alpha, lam, T, b = 0.5, 1e-6, 10, 1
    s = alpha * lam
    exact = float(cf.one_minus_power(s, 2 * T)) / (b * (2 - s) ** 2)
    thesis, corrected = T * lam / (2 * b), T * alpha * lam / (2 * b)
    aw = "fails" if abs(exact / thesis - 1) > 0.1 else "holds"
    co = "holds" if abs(exact / corrected - 1) < 1e-4 else "fails"
    return aw, co, f"exact {exact:.6g}, Tλ/(2b) = {thesis:.6g}, Tαλ/(2b) = {corrected:.6g}"


def _e6():
    from .linear_models.problems import LinearGDProblem
    from .linear_models.sgd import LEMMA_SGD_5_2_3, LEMMA_SGD_5_2_3_CORRECTED, SGDProblem
    p = SGDProblem(LinearGDProblem.sloppy(n=7, c=0.049787068367863944, alpha=0.5, T=7,
                                          sigma_w2=0.1353352832366127, sigma_star2=1.0, seed=0), 1)
    bad, good = LEMMA_SGD_5_2_3.check(p), LEMMA_SGD_5_2_3_CORRECTED.check(p)
    w = bad.worst()
    return bad.status.value, good.status.value, \
        f"i = {w[1]:g}: λ_i/λ_1 = {w[2]:.6g} > bound {w[3]:.6g}"


def _e7():
    from .linear_models.problems import LinearGDProblem
    from .linear_models.weight_decay import (LEMMA_WD_DYNAMICS, LEMMA_WD_DYNAMICS_CORRECTED,
                                             LEMMA_WD_PCA, LEMMA_WD_PCA_CORRECTED,
                                             WeightDecayProblem)
    p = WeightDecayProblem(LinearGDProblem.from_spectrum([1.0], yhat=[1.0], alpha=0.5, T=2), 1.0)
    aw = [LEMMA_WD_DYNAMICS.check(p).status.value, LEMMA_WD_PCA.check(p).status.value]
    co = [LEMMA_WD_DYNAMICS_CORRECTED.check(p).status.value,
          LEMMA_WD_PCA_CORRECTED.check(p).status.value]
    v = LEMMA_WD_DYNAMICS.check(p).worst()
    return ("fails" if "fails" in aw and "holds" not in aw else "holds"), \
        ("holds" if all(c == "holds" for c in co) else "fails"), \
        f"|r_1 − (1−α(λ+λ_wd)) r_0| = {v[2]:.6g} (should be 0 as written)"


def _e8():
    from .linear_models.deep_linear import DeepLinearProblem, LEMMA_DLN_CONSERVATION, LEMMA_DLN_KERNEL_INVARIANCE
    p = DeepLinearProblem(np.array([[1.0]]), np.array([1.0]), 1, 0.1, 5, init_scale=0.5,
                          balanced=True, seed=0)
    bad, good = LEMMA_DLN_KERNEL_INVARIANCE.check(p), LEMMA_DLN_CONSERVATION.check(p)
    w = bad.worst()
    return bad.status.value, good.status.value, \
        f"after {w[1]:g} steps |ΔK| = {w[2]:.4g} while vvᵀ − uuᵀ moves only by O(α²) per step"


def _e9():
    from .prediction_space.infogeo import EQ_2_2_9, EQ_2_2_9_CORRECTED, PremetricSpace
    p = PremetricSpace.random_bhattacharyya(m=3, n_samples=1, n_classes=2, seed=0)
    bad, good = EQ_2_2_9.check(p), EQ_2_2_9_CORRECTED.check(p)
    w = bad.worst()
    return bad.status.value, good.status.value, \
        f"time-like coordinate of an embedded model: {w[2]:.6g} by (2.2.9) vs {w[3]:.6g}"


def _e10():
    # §2.5.3.2: a weighted centring must give W with D_ij = W_ii + W_jj − 2W_ij (what makes the
    # eigen-embedding isometric); the printed L_uv = δ_uv − μ̂_u with W = −LDL/2 does not.
    from .prediction_space.infogeo import PremetricSpace
    D = PremetricSpace.random_bhattacharyya(m=2, seed=0).D
    mu = np.array([1.0, 2.0])
    muh = mu / mu.sum()
    recon = lambda W: np.diag(W)[:, None] + np.diag(W)[None, :] - 2 * W   # noqa: E731
    L = np.eye(2) - muh[:, None]                        # as printed
    Wp = -L @ D @ L / 2
    Lc = np.eye(2) - np.ones((2, 1)) * muh[None, :]     # corrected, with Lᵀ on the right
    Wc = -Lc @ D @ Lc.T / 2
    tol = 64 * EPS_ * float(np.max(np.abs(D)))
    bad = float(np.max(np.abs(recon(Wp) - D)))
    good = float(np.max(np.abs(recon(Wc) - D)))
    return ("fails" if bad > 1e6 * tol else "holds"), ("holds" if good <= tol else "fails"), \
        f"max|W_ii + W_jj − 2W_ij − D_ij| = {bad:.4g} printed vs {good:.2g} corrected; " \
        f"printed W asymmetric by {float(np.max(np.abs(Wp - Wp.T))):.4g}"


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
            "n = d = 2, X = I, per-weight variances σw² = σ*² = 1 (‖y‖² also by Monte-Carlo, "
            "100 000 draws, seed 0)", _e2),
    Erratum("E3", "Remark after Lemma 5.2.1",
            "'non-vacuous when cn > ln 4, which ensures that ρ > 1': ρ > 1 holds for every "
            "spectrum since 8λ1/λn − 4 ≥ 4 > 1, so the condition ensures nothing about ρ.",
            "ρ > 1 always; the bound 4ρ^{-2i} is below 1 once i > ln 4/(2 ln ρ).",
            "n = 1 (λ1/λn = 1): ρ = exp(π²/(2 ln 4)) ≈ 35.1", _e3),
    Erratum("E4", "§5.3 SGD, the Langevin noise term of E[r_{t+1}r_{t+1}ᵀ]",
            "(α²/b)X E[ξξᵀ] Xᵀ = (α²/b)XXᵀXXᵀ = (α²/b)K²: with D = XᵀX/n − x̄ᵀx̄ none of the "
            "three expressions equal each other (factors of n, and the centring x̄).",
            "hyperribbon's SGD lemmas take the residual-space noise covariance (α²/b)K² that the "
            "thesis's closed forms (Pξ) use, and say so; real minibatch SGD is compared "
            "separately in numerics.sgd.", "n = d = 2, X = I", _e4),
    Erratum("E5", "§5.3 SGD, 'the i-th eigenvalue … is ≃ Tλ_i/(2b)'",
            "For αλ_i ≪ 1 the eigenvalue (1/b)(1 − (1−αλ_i)^{2T})/(2 − αλ_i)² is ≃ Tαλ_i/(2b); "
            "the factor α is missing.", "≃ Tαλ_i/(2b) when 2Tαλ_i ≪ 1.",
            "α = 0.5, λ = 1e−6, T = 10, b = 1", _e5),
    Erratum("E6", "§5.3 SGD, the modified head bound of Lemma 5.2.3",
            "λ_i/λ_1 ≤ min{1, 4ρ^{-(i-1)} + (σw²/α + α/b)/‖y‖²}: the extra terms of "
            "Σ_t E[r_t r_tᵀ] grow like T·λ1(Pξ), not λ1(Pξ).",
            "thesis-sgd-5.2.3-corrected: (σw²/α + Tα/b)/‖y‖² (λ1 = 1).",
            "n = 7, c = e^{-3}, α = 0.5, T = 7, σw² = e^{-2}, σ*² = 1, seed 0, b = 1 "
            "(shrunk by hyperribbon falsify)", _e6),
    Erratum("E7", "§5.3 Weight decay",
            "'r_{t+1} = (I − αK_λ)r_t … all calculations of §5.2 hold with K replaced by K_λ': "
            "the recursion is affine, r_{t+1} = (I − αK_λ)r_t − αλy.",
            "r_t − r* = (I − αK_λ)^t(r_0 − r*), r* = −λK_λ^{-1}y; §5.2 holds with K → K_λ, "
            "y → KK_λ^{-1}y and initial covariance σw²K (thesis-wd-*-corrected).",
            "n = 1, λ = 1, y = 1, α = 0.5, T = 2, weight decay 1", _e7),
    Erratum("E8", "§5.3 Deep linear networks",
            "'the kernel K(u,v) ≡ K is invariant for balanced initializations': only vvᵀ − uuᵀ is "
            "conserved (by gradient flow); K(u,v) = Xᵀ(vᵀv + ‖u‖²I)X grows as the net fits.",
            "thesis-dln-conservation: Δ(vvᵀ − uuᵀ) = α²(g_v g_vᵀ − g_u g_uᵀ) per step.",
            "n = d = p = 1, x = 1, y = 1, α = 0.1, balanced init scale 0.5, T = 5", _e8),
    Erratum("E9", "Eq. (2.2.9), out-of-sample InPCA embedding",
            "X_w = Σ_u W_wu U_u |Λ_uu|^{-1/2} flips the sign of every time-like coordinate "
            "(negative eigenvalue) of a model that is already embedded.",
            "X_w = Σ_u W_wu U_u sign(Λ_uu)|Λ_uu|^{-1/2} (thesis-eq-2.2.9-corrected).",
            "m = 3 Dirichlet product models, N = 1, C = 2, seed 0 (shrunk by hyperribbon falsify)",
            _e9),
    Erratum("E10", "§2.5.3.2, weighted InPCA centring",
            "L_uv = δ_uv − μ̂_u with W = −LDL/2 is not a centring: W is not symmetric and "
            "W_ii + W_jj − 2W_ij ≠ D_ij, so the weighted embedding is not isometric.",
            "L = I − 𝟙μ̂ᵀ and W = −LDLᵀ/2, embedding from diag(√μ̂) W diag(√μ̂) "
            "(numerics.inpca.InPCA.fit(sample_weight=…)); equals InPCA with model u repeated μ_u "
            "times.", "m = 2 Dirichlet product models (seed 0), weights μ = (1, 2)", _e10),
)


#: Subjects whose errata live in their own package (module path, attribute), merged after E1–E10:
#: Chapter 4 (networks) records are numbered N1, N2, … in their module.
SUBJECT_ERRATA = (("hyperribbon.theory.networks.errata", "ERRATA"),)


def all_errata() -> tuple:
    """E1–E10 (Chapters 2–3 and 5) followed by every subject's own errata records."""
    import importlib
    records = list(ERRATA)
    for module, attr in SUBJECT_ERRATA:
        records.extend(getattr(importlib.import_module(module), attr))
    return tuple(records)


def regenerate() -> list[dict]:
    """Re-check every erratum's counterexample; returns one row per erratum."""
    rows = []
    for e in all_errata():
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
