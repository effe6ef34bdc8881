r"""Errata of thesis Chapter 4, in the record format of :mod:`hyperribbon.theory.errata`: each
record keeps the statement as written, names the corrected variant, and carries a minimal
counterexample that is *recomputed* by ``check()`` every time the table is generated.

The ids are local (``N1``…); the catalogue may renumber them when it merges this tuple.

Examples
--------
>>> rows = regenerate()
>>> [(r["id"], r["as_written"], r["corrected"]) for r in rows][:2]
[('N1', 'fails', 'holds'), ('N2', 'fails', 'holds')]
"""
from __future__ import annotations

import math

import numpy as np

from ..errata import Erratum

__all__ = ["ERRATA", "regenerate", "softmax_regression_at_zero", "tanh_small_readout"]


# ------------------------------------------------------------------ minimal problems
def softmax_regression_at_zero():
    """L = 0, d = 1, m = 2, one input x = 1, w = 0 (so p = (1/2, 1/2)), label 0."""
    from .problem import NetworkProblem
    return NetworkProblem((np.zeros((2, 1)),), np.array([[1.0]]), np.array([0]), (),
                          source="erratum: softmax regression at w = 0")


def tanh_small_readout(x: float = 1.0, u: float = 0.66, readout: float = 0.05):
    """One tanh unit: d = 1, width 1, m = 2, w⁰ = u/x, w¹ = (r, −r)ᵀ, input x, label 0."""
    from .problem import NetworkProblem
    return NetworkProblem((np.array([[u / x]]), np.array([[readout], [-readout]])),
                          np.array([[x]]), np.array([0]), "tanh",
                          source=f"erratum: tanh unit, x = {x:g}, readout ±{readout:g}")


def _pair(bad_lemma, good_lemma, problem):
    bad, good = bad_lemma.check(problem), good_lemma.check(problem)
    return bad, good, bad.worst()


# ------------------------------------------------------------------ checks
def _n1():
    from .trace_bounds import REMARK_4_7_5, REMARK_4_7_5_CORRECTED
    bad, good, w = _pair(REMARK_4_7_5, REMARK_4_7_5_CORRECTED, softmax_regression_at_zero())
    return bad.status.value, good.status.value, \
        f"tr H = {w[2]:.6g} > tr E[∂z(diag p − ppᵀ)∂zᵀ] = {w[3]:.6g} (ratio {w[2] / w[3]:.6g} " \
        f"= 1/ln 2)"


def _n2():
    from .spectral_bounds import COROLLARY_4_7_7, COROLLARY_4_7_7_GGN
    bad, good, w = _pair(COROLLARY_4_7_7, COROLLARY_4_7_7_GGN, tanh_small_readout())
    return bad.status.value, good.status.value, \
        f"λ_{w[1]:g}(H(w_0)) = {w[2]:.6g} > 2m·‖w¹‖²·λ(E[xxᵀ]) = {w[3]:.6g}"


def _n3():
    from .trace_bounds import THEOREM_4_3_1, THEOREM_4_3_1_TRUE_HESSIAN
    bad, good, w = _pair(THEOREM_4_3_1_TRUE_HESSIAN, THEOREM_4_3_1, tanh_small_readout(x=10.0))
    return bad.status.value, good.status.value, \
        f"tr H_w = {w[2]:.6g} > bound (4.3.1) = {w[3]:.6g}"


def _n4():
    from .spectral_bounds import COROLLARY_4_7_7_GGN, COROLLARY_4_7_7_PROOF_STEP
    bad, good, w = _pair(COROLLARY_4_7_7_PROOF_STEP, COROLLARY_4_7_7_GGN,
                         softmax_regression_at_zero())
    return bad.status.value, good.status.value, \
        f"λ_max(F(w_0) − 2E[∇s∇sᵀ]) = {w[2]:.6g} > 0 (F = [[¼, −¼], [−¼, ¼]], " \
        f"E[∇s∇sᵀ] = [[1, 1], [1, 1]])"


def _n5():
    from .kernel import REMARK_4_3_3, REMARK_4_3_3_CORRECTED, InnerProductKernelProblem
    p = InnerProductKernelProblem(np.array([[1.0]]), np.array([1.0]), (0.0, 1.0))
    bad, good, w = _pair(REMARK_4_3_3, REMARK_4_3_3_CORRECTED, p)
    return bad.status.value, good.status.value, \
        f"M = f(x²/d) = {w[2]:.6g} but the printed K = {w[3]:.6g} (f(t) = t: f(0) = 0)"


def _n6():
    from .generalization import EQ_4_4_4, EQ_4_4_4_THRESHOLD, PacBayesProblem
    p = PacBayesProblem(np.array([1000.0, 0.9, 0.9, 0.9, 0.9]), n=2, eps=2.0)
    bad, good, w = _pair(EQ_4_4_4, EQ_4_4_4_THRESHOLD, p)
    return bad.status.value, good.status.value, \
        f"objective {w[2]:.6g} > (s + 2/c + ε‖w − w0‖²)/(4(n−1)) = {w[3]:.6g} with " \
        f"c(H, 1) = ln(1000/0.9)/4 = {math.log(1000 / 0.9) / 4:.6g}"


def _n7():
    from . import pac_bayes as pb
    n, e, ell, delta = 100, 0.3, 1.152, 0.05
    prob = pb.interpolation_failure_probability(n, e, ell)
    # corrected: the linearised bound (AM–GM) fails only when ĕ_n + log(n/δ)/(2(n−1)) + ¼ < e
    from scipy.stats import binom
    slack = e - 0.25 - math.log(n / delta) / (2 * (n - 1))
    kmax = math.ceil(slack * n / ell) - 1
    corr = float(binom.cdf(kmax, n, e)) if kmax >= 0 else 0.0
    return ("fails" if prob > delta else "holds"), ("holds" if corr <= delta else "fails"), \
        f"Q = P (KL = 0), n = {n}, e(Q) = {e}, {ell} bits per error: " \
        f"P(e(Q) > L) = {prob:.4g} > δ = {delta}; linearised bound: {corr:.3g}"


def _n8():
    from . import pac_bayes as pb
    b, c, j, n, delta = 2.0, 0.5, 1, 100, 0.05
    eps = pb.prior_grid(j, b, c)
    inner = b * math.log(c / eps)                     # as printed: b·log(c/ε) = −j < 0
    aw = "fails" if inner <= 0 else "holds"
    fixed = pb.union_bound_penalty(eps, b, c, n, delta)
    direct = math.log(n / (6 * delta / (math.pi ** 2 * j ** 2)))
    co = "holds" if abs(fixed - direct) <= 1e-12 * abs(direct) else "fails"
    return aw, co, f"ε = c·e^(j/b) with j = {j}: b·log(c/ε) = {inner:.6g}, log undefined; " \
                   f"2 log(b log(ε/c)) + log(π²n/(6δ)) = {fixed:.6g} = log(n/δ_j)"


def _n9():
    # signed grid: k = (Σ 2|j|)^{m'} is 0 at j = 0; k = (1 + Σ 2|j|)^{m'} keeps Σ δ_k ≤ δ
    delta, mprime = 1.0, 1
    k_printed = (2 * 0) ** mprime
    aw = "fails" if k_printed == 0 else "holds"
    total = 6 / math.pi ** 2 * (1 + 2 * sum(1 / (1 + 2 * t) ** 2 for t in range(1, 200000)))
    tail = 6 / math.pi ** 2 * 2 * (1 / (4 * 199999))     # Σ_{t ≥ T} 1/(2t+1)² ≤ 1/(4(T−1))
    co = "holds" if total + tail <= delta else "fails"
    return aw, co, f"j = 0 gives k = {k_printed} (δ_k = 6δ/(π²k²) undefined); with " \
                   f"k = 1 + 2|j|: Σ_j δ_k ≤ {total + tail:.6g}·δ"


ERRATA = (
    Erratum("N1", "Remark 4.7.5, tr(H) ≤ tr(E[∂_wz(diag p − ppᵀ)∂_wzᵀ])",
            "With H the Hessian of ĕ (§4.2, which carries 1/log 2), the Gauss–Newton part alone "
            "is tr(E[…])/ln 2 > tr(E[…]); for piecewise-linear nets tr H equals it exactly, so the "
            "inequality fails for every such network with a non-zero G-term.",
            "(ln 2)·tr H̃ = tr E[∂_wz(diag p − ppᵀ)∂_wzᵀ], and (ln 2)·tr H = the same for "
            "piecewise-linear σ: thesis-remark-4.7.5-corrected (the log 2 of eq. 4.7.6).",
            "L = 0, d = 1, m = 2, x = 1, w = 0 (p = (½, ½)), label 0", _n1),
    Erratum("N2", "Corollary 4.7.7, spec H(w_k) ⪯ 2m a^(2(L−k)) Π‖w^j‖² spec(I) ⊗ spec E[h^kh^kᵀ]",
            "The proof bounds only the Gauss–Newton part; the true Hessian block also contains "
            "(p − y)ᵀ∇²z/ln 2, which for tanh is linear in the read-out weights while the bound is "
            "quadratic in them.",
            "thesis-corollary-4.7.7-gauss-newton (FIM and Gauss–Newton blocks); for "
            "piecewise-linear σ the true block equals the Gauss–Newton block.",
            "one tanh unit: x = 1, w⁰ = 0.66, w¹ = (0.05, −0.05)ᵀ, label 0", _n2),
    Erratum("N3", "Theorem 4.3.1, title ('Trace of the FIM and Hessian are bounded…')",
            "The statement and proof cover the FIM and the Gauss–Newton matrix; the trace of the "
            "true Hessian is not bounded by (4.3.1) (H-term of tanh networks).",
            "thesis-theorem-4.3.1 as stated (Gauss–Newton); tr H = tr H̃ for piecewise-linear σ.",
            "one tanh unit: x = 10, w⁰ = 0.066, w¹ = (0.05, −0.05)ᵀ, label 0", _n3),
    Erratum("N4", "Proof of Corollary 4.7.7, F(w_k), H(w_k) ⪯ 2E[(ds/dw_k)(ds/dw_k)ᵀ], s = Σz_i",
            "False: (diag p − ppᵀ)𝟙 = 0, so the FIM has no component along ∇s while E[∇s∇sᵀ] "
            "has rank ≤ n (for L = 0 the two are orthogonal). The corollary itself holds.",
            "F(w_k) ⪯ E[J_kᵀJ_k] ⪯ ‖∂z/∂u^{k+1}‖_F² I ⊗ E[h^kh^kᵀ] with ‖∂z/∂u^{k+1}‖_F² ≤ "
            "m a^(2(L−k)) Π_(j>k)‖w^j‖² (thesis-corollary-4.7.7-gauss-newton).",
            "L = 0, d = 1, m = 2, x = 1, w = 0", _n4),
    Erratum("N5", "Remark 4.3.3, K = (…)𝟙𝟙ᵀ + f(0)XXᵀ/d + v_d I",
            "The linear term of El Karoui (2010, Thm 2.1) is f'(0)XXᵀ/d; with f(0) the "
            "approximation is wrong already for affine f, where it should be exact (and "
            "‖M − K‖₂ ↛ 0: for Σ = I it tends to |f'(0) − f(0)|(1 + √(n/d))²).",
            "f'(0)XXᵀ/d (thesis-remark-4.3.3-corrected; sympy: the Taylor coefficient of "
            "x_iᵀx_j/d is f'(0)).", "n = d = 1, x = 1, Σ = 1, f(t) = t", _n5),
    Erratum("N6", "Eq. (4.4.4) with c(n, ε) ≡ c(H_w, p(n, ε)) of Definition 4.4.3",
            "Definition 4.4.3 measures the decay from λ_{p(n,ε)} ≥ ε/(2(n−1)), but the proof "
            "(§4.7.2.3) needs λ_i ≤ ε/(2(n−1))·e^{−c(i−p(n,ε))}: with a large λ_{p(n,ε)} the "
            "definitional c is too large and (4.4.4) fails.",
            "c measured from the threshold ε/(2(n−1)) (thesis-eq-4.4.4-threshold), or defined by "
            "Σ_{i>p(n,ε)} λ_i = ε/(2(n−1)c); the objective is exactly "
            "(Σ log(1 + 2(n−1)λ_i/ε) + ε‖w − w0‖²)/(4(n−1)).",
            "λ = (1000, 0.9, 0.9, 0.9, 0.9), n = 2, ε = 2, w = w0", _n6),
    Erratum("N7", "§4.3.3 and §4.4.2, 'a loose version of the bound e(Q) ≤ L(Σ_q) := ĕ(Q, D_n) + "
            "KL(Q, P)/(2(n−1))'",
            "L is not implied by Theorem 4.7.1 (it drops log(n/δ) and replaces √x by x, which is "
            "smaller for x < 1): for a data-independent Q = P it claims e(Q) ≤ ĕ(Q, D_n), false "
            "with probability far above δ.",
            "e(Q) ≤ ĕ(Q) + (KL(Q, P) + log(n/δ))/(2(n−1)) + ¼ (AM–GM on the Pinsker bound; "
            "pac_bayes.linearised_bound), minimised by the same Σ_q of (4.3.3)–(4.3.4).",
            "n = 100, Q = P, population error 0.3, confident when right, 1.152 bits per error",
            _n7),
    Erratum("N8", "§4.7.2.1, the prior-scale penalty 2 log(b log(c/ε)) for ε = c·exp(j/b)",
            "On its own grid b·log(c/ε) = −j < 0, so the printed logarithm is undefined (the sign "
            "flips again between the two displays of §4.7.3.1).",
            "2 log(b log(ε/c)) + log(π²n/(6δ)) = log(n/δ_j), δ_j = 6δ/(π²j²) "
            "(pac_bayes.union_bound_penalty).", "b = 2, c = 0.5, j = 1", _n8),
    Erratum("N9", "§4.7.3.1, signed grids: k = (Σ_i 2|j^i|)^{m'}",
            "k = 0 when every j^i = 0, where δ' = 6δ/(π²k²) is undefined.",
            "k = (1 + Σ_i 2|j^i|)^{m'}: the failure probabilities still sum to ≤ δ "
            "(pac_bayes.union_bound_penalty_multi(signed=True)).", "m' = 1, j = 0", _n9),
)


def regenerate() -> list[dict]:
    """Re-check every erratum's counterexample; one row per erratum (as
    :func:`hyperribbon.theory.errata.regenerate`)."""
    rows = []
    for e in ERRATA:
        aw, corr, detail = e.check()
        rows.append({"id": e.id, "where": e.where, "as_written": aw, "corrected": corr,
                     "counterexample": e.counterexample, "measured": detail,
                     "statement_as_written": e.as_written, "correction": e.corrected})
    return rows
