r"""Thesis §4.3.1 and §4.7.3, trace bounds: Theorem 4.3.1, eq. (4.7.6), Lemmas 4.7.2 and 4.7.3,
Remark 4.7.5 — as registered lemmas over a :class:`~.problem.NetworkProblem`.

Normalisations (every one explicit, as in §4.2 and §4.7.3):

* :math:`\mathbb E` is the empirical mean over the n inputs,
  :math:`\mathbb E[xx^\top] = X^\top X/n`;
* the FIM is :math:`F_w = \frac1n\sum_s\sum_y p_y\nabla\log p_y\nabla\log p_y^\top
  = \mathbb E[J^\top(\mathrm{diag}\,p - pp^\top)J]`, :math:`J = \partial z/\partial w`;
* the loss is ĕ of §4.2 (c), in bits, so its Gauss–Newton matrix is
  :math:`\tilde H_w = \mathbb E[J^\top(\mathrm{diag}\,p - pp^\top)J]/\ln 2 = F_w/\ln 2` and the true
  Hessian is :math:`H_w = \tilde H_w + \frac1{n\ln2}\sum_s\sum_i(p_i - y_i)\nabla^2 z_i`;
* the bound of (4.3.1) is
  :math:`B = 2ma^{2L}\,\mathrm{tr}\,\mathbb E[xx^\top]\prod_j\|w^j\|_2^2\sum_j\|w^j\|_2^{-2}`
  (evaluated as :math:`\sum_j\prod_{i\ne j}\|w^i\|_2^2`, equal when every :math:`w^j\ne0`).

The proof (eq. 4.7.6) gives the sharper :math:`\mathrm{tr}\,F_w,\ (\ln 2)\,\mathrm{tr}\,\tilde H_w
\le \mathrm{tr}\,\mathbb E[J^\top J] \le B/2`; the factor 2 of (4.3.1) absorbs the 1/ln 2 of ĕ.

Examples
--------
>>> from hyperribbon.theory.networks import NetworkProblem, trace_bounds
>>> p = NetworkProblem.random(widths=(4, 6, 3), activation="relu", n=8, seed=1)
>>> v = trace_bounds.THEOREM_4_3_1.check(p)
>>> v.status.value, v.margin > 1
('holds', True)
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..lemma import Lemma, Precision, SymbolicStatus
from ..registry import register
from . import _mlp, symbolic
from ._gram import activation_factor, fim_factor, logit_factor, loss_ggn_factor
from ._support import (B_4_3_1, EPS, HIDDEN_LAYER, NETWORK_BASE, SOFTMAX_CE, L, a, comparison,
                       j, prod_except, rhs_rel_err, sum_of_products, trF, trH, trXX, w_norm)
from .measure import get
from .problem import NetworkProblem

__all__ = ["trace_bound", "THEOREM_4_3_1", "EQ_4_7_6", "THEOREM_4_3_1_TRUE_HESSIAN",
           "LEMMA_4_7_2", "LEMMA_4_7_3", "REMARK_4_7_5", "REMARK_4_7_5_CORRECTED"]

_P = NetworkProblem
_FLOAT = (Precision.FLOAT64,)


def trace_bound(problem: NetworkProblem, factor: float = 2.0) -> tuple[float, float]:
    r"""``factor``·m·a^{2L}·tr E[xxᵀ]·Σ_j Π_{i≠j}‖w^i‖₂² (eq. 4.3.1 with ``factor`` = 2, the
    proof's eq. 4.7.6 with 1) and its absolute rounding bound."""
    a_ = problem.activation_bound
    sq = problem.weight_norms ** 2
    trxx = float(np.sum(problem.X ** 2)) / problem.n
    val = factor * problem.m * a_ ** (2 * problem.depth) * trxx * sum_of_products(sq)
    return val, rhs_rel_err(problem) * abs(val)


def _trace(problem, kind: str):
    meas = get()
    if kind == "fim":
        return fim_factor(problem, meas).trace()
    if kind == "ggn":
        return loss_ggn_factor(problem, meas).trace()
    if kind == "logits":
        return logit_factor(problem, meas).trace()
    H = meas.hessian(problem)
    return float(np.trace(H.values)), float(np.sum(np.diag(H.abs_err)))


# =================================================================== Theorem 4.3.1
def _make_4_3_1(hessian: str, factor: float, log2: bool = False):
    def evaluate(p: NetworkProblem, precision):
        rhs, rhs_err = trace_bound(p, factor)
        tf, ef = _trace(p, "fim")
        th, eh = _trace(p, hessian)
        scale = _mlp.LN2 if log2 else 1.0
        hname = {"ggn": "tr H̃_w (Gauss–Newton of ĕ)", "hessian": "tr H_w (true Hessian of ĕ)"}[
            hessian]
        hname = ("(ln 2)·" if log2 else "") + hname
        rname = f"{factor:g}m a^(2L) tr E[xxᵀ] Π‖w^j‖² Σ‖w^j‖⁻²"
        return [comparison(f"tr F_w ≤ {rname}", [1], [tf], [rhs], [ef], [rhs_err],
                           exact_zeros=True),
                comparison(f"{hname} ≤ {rname}", [1], [th * scale], [rhs],
                           [eh * scale * (1 + 4 * EPS)], [rhs_err], exact_zeros=True)]
    return evaluate


THEOREM_4_3_1 = register(Lemma(
    id="thesis-theorem-4.3.1", number="4.3.1",
    title="Trace of the FIM and of the Gauss–Newton matrix ≤ bound (4.3.1)",
    provenance="Thesis §4.3.1, Theorem 4.3.1 and eq. (4.3.1); proof §4.7.3 (eq. 4.7.6)",
    statement=[sp.Le(trF, B_4_3_1), sp.Le(trH, B_4_3_1)],
    evaluate=_make_4_3_1("ggn", 2.0), problem_type=_P, ladder=_FLOAT,
    assumptions=NETWORK_BASE + (SOFTMAX_CE,),
    related=("thesis-eq-4.7.6", "thesis-theorem-4.3.1-true-hessian"),
    normalization="E over the n inputs; F with 1/n (§4.2); H̃ of ĕ in bits",
    symbolic=SymbolicStatus((
        ("Σ_y p_y(e_y − p)(e_y − p)ᵀ = diag(p) − ppᵀ", symbolic.fisher_outer_identity),
        ("Σ_y p_y‖e_y − p‖² = 1 − ‖p‖² (the FIM's per-sample weight)", symbolic.fisher_weight),
        ("1/ln 2 ≤ 2 (the factor 2 of (4.3.1) covers ĕ's 1/log 2)", symbolic.inverse_log2_le_2),
    )),
    description="Both traces are measured exactly (dense float64, no Hutchinson sampling) with "
                "first-order rounding bounds.",
))

EQ_4_7_6 = register(Lemma(
    id="thesis-eq-4.7.6", number="(4.7.6)",
    title="tr F_w, (ln 2) tr H̃_w ≤ m a^(2L) tr E[xxᵀ] Π‖w^j‖² Σ‖w^j‖⁻² (the proof's sharper form)",
    provenance="Thesis §4.7.3, proof of Theorem 4.3.1, eq. (4.7.6)",
    statement=[sp.Le(trF, B_4_3_1 / 2), sp.Le(sp.log(2) * trH, B_4_3_1 / 2)],
    evaluate=_make_4_3_1("ggn", 1.0, log2=True), problem_type=_P, ladder=_FLOAT,
    assumptions=NETWORK_BASE + (SOFTMAX_CE,), variant="as written",
    related=("thesis-theorem-4.3.1",),
    normalization="E over the n inputs; F with 1/n (§4.2); H̃ of ĕ in bits",
))

THEOREM_4_3_1_TRUE_HESSIAN = register(Lemma(
    id="thesis-theorem-4.3.1-true-hessian", number="4.3.1", variant="true Hessian (title)",
    title="Theorem 4.3.1 read with the true Hessian H_w of ĕ, as its title says",
    provenance="Thesis §4.3.1, title of Theorem 4.3.1 ('Trace of the FIM and Hessian are "
               "bounded…'); the statement and proof use the Gauss–Newton part only",
    statement=[sp.Le(sp.Symbol(r"\mathrm{tr}\,H_w"), B_4_3_1)],
    evaluate=_make_4_3_1("hessian", 2.0), problem_type=_P, ladder=_FLOAT,
    assumptions=NETWORK_BASE + (SOFTMAX_CE,), related=("thesis-theorem-4.3.1",),
    normalization="E over the n inputs; H of ĕ in bits",
    description="For piecewise-linear activations tr H_w = tr H̃_w (z is linear in each single "
                "weight, so the H-term has a zero diagonal) and this holds; for tanh the H-term "
                "(p − y)·∇²z is not controlled by the bound (see the errata).",
))


# =================================================================== Lemma 4.7.2
def _eval_4_7_2(p: NetworkProblem, precision):
    a_ = p.activation_bound
    rel = rhs_rel_err(p)
    norms = p.weight_norms
    traces = [activation_factor(p, k).trace() for k in range(p.depth + 1)]
    ks = np.arange(1, p.depth + 1)
    lhs = np.array([traces[k][0] for k in ks])
    lhs_e = np.array([traces[k][1] for k in ks])
    rhs = np.array([a_ ** 2 * norms[k - 1] ** 2 * traces[k - 1][0] for k in ks])
    rhs_e = np.array([a_ ** 2 * norms[k - 1] ** 2 * traces[k - 1][1] for k in ks]) + rel * rhs
    out = [comparison("(4.7.3) tr E[h^k h^kᵀ] ≤ a²‖w^{k−1}‖² tr E[h^{k−1}h^{k−1}ᵀ]  (index k)",
                      ks, lhs, rhs, lhs_e, rhs_e, exact_zeros=True)]
    # (4.7.4): ‖∂z_i/∂h^k‖ ≤ a‖∂z_i/∂h^{k+1}‖‖w^k‖, k = 0..L−1, per logit and sample
    D, MD = _mlp.logit_deltas(p.weights, p.activations, p.forward)
    gam = p.forward.gamma

    def grad_h(k):        # ∂z/∂h^k = δ^{k+1} w^k, (n, m, d_k), with error
        g = D[k] @ p.weights[k]
        e = gam * (MD[k] + np.abs(D[k])) @ np.abs(p.weights[k])
        nrm = np.linalg.norm(g, axis=2)
        return nrm, np.sqrt(np.sum(e ** 2, axis=2)) + 4 * EPS * nrm

    for k in range(p.depth):
        l_, le = grad_h(k)
        r_, re = grad_h(k + 1)
        rhs = a_ * r_ * norms[k]
        idx = np.arange(1, l_.size + 1)
        out.append(comparison(
            f"(4.7.4) ‖∂z_i/∂h^{k}‖ ≤ a‖∂z_i/∂h^{k + 1}‖‖w^{k}‖  (index = sample·m + logit + 1)",
            idx, l_.ravel(), rhs.ravel(), le.ravel(), (a_ * norms[k] * re + rel * rhs).ravel(),
            exact_zeros=True))
    return out


LEMMA_4_7_2 = register(Lemma(
    id="thesis-lemma-4.7.2", number="4.7.2",
    title="Traces of activation correlations and norms of activation gradients, layer to layer",
    provenance="Thesis §4.7.3, Lemma 4.7.2, eqs. (4.7.3)–(4.7.4)",
    statement=[sp.Le(sp.Symbol(r"\mathrm{tr}\,\mathbb{E}[h^kh^{k\top}]"),
                     a ** 2 * w_norm[sp.Symbol("k") - 1] ** 2
                     * sp.Symbol(r"\mathrm{tr}\,\mathbb{E}[h^{k-1}h^{k-1\top}]")),
               sp.Le(sp.Symbol(r"\|dz_i/dh^k\|_2"),
                     a * sp.Symbol(r"\|dz_i/dh^{k+1}\|_2") * w_norm[sp.Symbol("k")])],
    evaluate=_eval_4_7_2, problem_type=_P, ladder=_FLOAT,
    assumptions=NETWORK_BASE + (HIDDEN_LAYER,),
    normalization="E over the n inputs; (4.7.4) per input, k = 0..L−1",
    symbolic=SymbolicStatus((("|σ(u)| ≤ a|u| from |σ'| ≤ a, σ(0) = 0 (mean value theorem)",
                              symbolic.lipschitz_from_derivative),)),
))


# =================================================================== Lemma 4.7.3
_IDENTITY = "  [L = 0: an identity, checked as '=']"
def _eval_4_7_3(p: NetworkProblem, precision):
    meas = get()
    a_ = p.activation_bound
    rel = rhs_rel_err(p)
    sq = p.weight_norms ** 2
    trxx, trxx_e = activation_factor(p, 0).trace()
    base = a_ ** (2 * p.depth)
    # L = 0: ∂z_i/∂w⁰ = e_i ⊗ x exactly, both sides are tr E[xxᵀ] and the inequality is an
    # identity — checked as one ("==" within rounding), an exact tie is never decided by "≤"
    rel_ = "==" if p.depth == 0 else "<="
    out = []
    L1 = p.depth + 1
    totals = np.zeros(p.m)
    totals_e = np.zeros(p.m)
    for i_ in range(p.m):
        lhs, le = np.zeros(L1), np.zeros(L1)
        for k_, sl in enumerate(p.blocks):
            lhs[k_], le[k_] = logit_factor(p, meas, logit=i_, layer=k_).trace()
        rhs = np.array([base * trxx * prod_except(sq, k_) for k_ in range(L1)])
        rhs_e = rhs * rel + np.array([base * trxx_e * prod_except(sq, k_) for k_ in range(L1)])
        out.append(comparison(f"(4.7.5) tr E[∂z_{i_}/∂w^k ∂z_{i_}/∂w^kᵀ] ≤ a^(2L) tr E[xxᵀ] "
                              "Π_(j≠k)‖w^j‖²  (index k)" + _IDENTITY * (p.depth == 0),
                              np.arange(L1), lhs, rhs, le, rhs_e, rel_, exact_zeros=True))
        totals[i_], totals_e[i_] = logit_factor(p, meas, logit=i_).trace()
    tot_rhs = base * trxx * sum_of_products(sq)
    out.append(comparison("tr E[∂z_i/∂w ∂z_i/∂wᵀ] ≤ a^(2L) tr E[xxᵀ] Π‖w^j‖² Σ‖w^j‖⁻²  (index i)"
                          + _IDENTITY * (p.depth == 0),
                          np.arange(p.m), totals, np.full(p.m, tot_rhs), totals_e,
                          np.full(p.m, tot_rhs * rel + base * trxx_e * sum_of_products(sq)),
                          rel_, exact_zeros=True))
    return out


LEMMA_4_7_3 = register(Lemma(
    id="thesis-lemma-4.7.3", number="4.7.3",
    title="Trace of the correlation of each logit's Jacobian, per layer and in total",
    provenance="Thesis §4.7.3, Lemma 4.7.3, eq. (4.7.5) and the display after it",
    statement=[sp.Le(sp.Symbol(r"\mathrm{tr}\,\mathbb{E}[\partial_{w^k}z_i\partial_{w^k}z_i^\top]"),
                     a ** (2 * L) * trXX * sp.Product(w_norm[j] ** 2, (j, 0, L))
                     / w_norm[sp.Symbol("k")] ** 2)],
    evaluate=_eval_4_7_3, problem_type=_P, ladder=_FLOAT, assumptions=NETWORK_BASE,
    normalization="E over the n inputs",
    symbolic=SymbolicStatus((("tr(ggᵀ ⊗ hhᵀ) = ‖g‖²‖h‖² (trace of a Kronecker product)",
                              symbolic.kronecker_trace),)),
))


# =================================================================== Remark 4.7.5
def _per_sample_fim_bound(p: NetworkProblem):
    """(1/n)Σ_s (1 − ‖p_s‖²)‖J_s‖_F² with a rounding bound."""
    Jm = get().jacobians(p)
    J, EJ = Jm.values, Jm.abs_err
    pr = _mlp.softmax(p.forward.z)
    # 1 − ‖p‖² = Σ_y p_y Σ_(c≠y) p_c: a sum of non-negative products, accurate even when p is
    # nearly one-hot (1 − p_y by subtraction would lose it); each p_c has relative error
    # ≤ r = 2(e^(2Δz) − 1) (softmax under logit errors Δz), so w has relative error ≤ (1+r)² − 1
    m = pr.shape[1]
    others = pr @ (np.ones((m, m)) - np.eye(m))
    w = np.sum(pr * others, axis=1)
    jn = np.sum(J * J, axis=(1, 2))
    jn_e = np.sum(2 * np.abs(J) * EJ + EJ * EJ, axis=(1, 2)) + (J[0].size + 4) * EPS * jn
    dz = p.forward.gamma * np.max(p.forward.mag_z, axis=1)
    r = 2 * np.expm1(2 * dz) + 4 * EPS
    w_e = w * ((1 + r) ** 2 - 1 + (m + 4) * EPS) + m * _mlp.TINY
    val = float(np.mean(w * jn))
    err = float(np.mean(w * jn_e + w_e * jn)) + (p.n + 4) * EPS * val
    return val, err


def _g_trace(p: NetworkProblem):
    """tr E[Jᵀ(diag p − ppᵀ)J] = tr F_w (the G-term without ĕ's 1/ln 2)."""
    return fim_factor(p, get()).trace()


def _eval_4_7_5(p: NetworkProblem, precision):
    tf, ef = _trace(p, "fim")
    b, be = _per_sample_fim_bound(p)
    tH, eH = _trace(p, "hessian")
    tg, eg = _g_trace(p)
    return [comparison("tr F_w ≤ E[(1 − ‖p‖²)·Σ_i‖∂z_i/∂w‖²]  (per-input p)", [1], [tf], [b],
                       [ef], [be], exact_zeros=True),
            comparison("tr H_w ≤ tr E[∂_wz (diag p − ppᵀ) ∂_wzᵀ]  (H_w: Hessian of ĕ, §4.2)", [1],
                       [tH], [tg], [eH], [eg], exact_zeros=True)]


def _eval_4_7_5_corrected(p: NetworkProblem, precision):
    tf, ef = _trace(p, "fim")
    b, be = _per_sample_fim_bound(p)
    tg, eg = _g_trace(p)
    th, eh = _trace(p, "ggn")
    out = [comparison("tr F_w ≤ E[(1 − ‖p‖²)·Σ_i‖∂z_i/∂w‖²]  (per-input p)", [1], [tf], [b],
                      [ef], [be], exact_zeros=True),
           comparison("(ln 2)·tr H̃_w = tr E[∂_wz (diag p − ppᵀ) ∂_wzᵀ]  (Gauss–Newton)", [1],
                      [_mlp.LN2 * th], [tg], [_mlp.LN2 * eh + 4 * EPS * th], [eg], "==",
                      exact_zeros=True)]
    if p.piecewise_linear:
        tH, eH = _trace(p, "hessian")
        out.append(comparison("(ln 2)·tr H_w = tr E[∂_wz (diag p − ppᵀ) ∂_wzᵀ]  (true Hessian, "
                              "piecewise-linear σ)", [1], [_mlp.LN2 * tH], [tg],
                              [_mlp.LN2 * eH + 4 * EPS * abs(tH)], [eg], "==", exact_zeros=True))
    return out


_G_TERM = sp.Symbol(r"\mathrm{tr}\,\mathbb{E}[\partial_wz(\mathrm{diag}(p)-pp^\top)"
                    r"\partial_wz^\top]")
_STATEMENT_4_7_5 = [sp.Le(trF, (1 - sp.Symbol(r"\|p\|_2") ** 2) * sp.Symbol(
                        r"\mathrm{tr}\sum_i\mathbb{E}[\partial_wz_i\partial_wz_i^\top]")),
                    sp.Le(sp.Symbol(r"\mathrm{tr}\,H"), _G_TERM)]
REMARK_4_7_5 = register(Lemma(
    id="thesis-remark-4.7.5", number="4.7.5",
    title="tr F ≤ (1 − ‖p‖²)·tr ΣE[∇z_i∇z_iᵀ] and tr H ≤ tr E[∂z(diag p − ppᵀ)∂zᵀ]",
    provenance="Thesis §4.7.3, Remark 4.7.5 (H is the Hessian of ĕ of §4.2, which carries "
               "1/log 2; the proof above it writes (log 2)H ≈ E[…])",
    statement=_STATEMENT_4_7_5, evaluate=_eval_4_7_5, problem_type=_P, ladder=_FLOAT,
    assumptions=NETWORK_BASE + (SOFTMAX_CE,), related=("thesis-remark-4.7.5-corrected",),
    normalization="p per input inside E (the only reading the calculation supports)",
    symbolic=SymbolicStatus((("Σ_y p_y‖e_y − p‖² = 1 − ‖p‖²", symbolic.fisher_weight),)),
))
REMARK_4_7_5_CORRECTED = register(Lemma(
    id="thesis-remark-4.7.5-corrected", number="4.7.5", variant="corrected",
    title="Remark 4.7.5 with the log 2 of (4.7.6): (ln 2) tr H̃ = tr E[∂z(diag p − ppᵀ)∂zᵀ]",
    provenance="Thesis §4.7.3, Remark 4.7.5 and eq. (4.7.6)",
    statement=[_STATEMENT_4_7_5[0], sp.Eq(sp.log(2) * trH, _G_TERM)],
    evaluate=_eval_4_7_5_corrected, problem_type=_P, ladder=_FLOAT,
    assumptions=NETWORK_BASE + (SOFTMAX_CE,), related=("thesis-remark-4.7.5",),
    normalization="p per input inside E; ĕ in bits",
    description="For piecewise-linear activations the true Hessian's trace obeys the same "
                "identity (the H-term ∑(p_i − y_i)∇²z_i has a zero diagonal), so it is checked "
                "too.",
))
