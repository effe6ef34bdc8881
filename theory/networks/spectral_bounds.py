r"""Thesis §4.3.1 and §4.7.3, block spectra: Lemma 4.3.2 and Corollary 4.7.7 — eigenvalue by
eigenvalue, one :class:`~hyperribbon.theory.verdict.Comparison` entry per eigenvalue index.

Notation of the thesis: :math:`\mathrm{spec}(A)\preceq c\,\mathrm{spec}(B)` means
:math:`\lambda_i(A)\le c\lambda_i(B)` for every i, eigenvalues in descending order, and
:math:`\mathrm{spec}(I_{d})\otimes\mathrm{spec}(C)` is the spectrum of :math:`I_d\otimes C`:
every eigenvalue of C repeated d times.

* **Lemma 4.3.2**: for every logit :math:`z_i` and layer :math:`k\le L`,
  :math:`\mathrm{spec}\,\mathbb E[\partial_{w^k}z_i\partial_{w^k}z_i^\top]\preceq
  a^{2(L-k)}\prod_{j=k+1}^L\|w^j\|_2^2\,\mathrm{spec}(I_{d_{k+1}})\otimes\mathrm{spec}\,
  \mathbb E[h^kh^{k\top}]` (empty product = 1).
* **Corollary 4.7.7**: the same for the FIM block :math:`F(w_k)` and the Hessian block
  :math:`H(w_k)` with the factor :math:`2m`. As written H is the Hessian of ĕ (§4.2); the proof
  bounds only its Gauss–Newton part, so the corrected variant states the Gauss–Newton block.
  The proof's intermediate step :math:`F(w_k)\preceq 2\mathbb E[\nabla_{w_k}s\nabla_{w_k}s^\top]`
  (:math:`s=\sum_iz_i`) is a separate lemma: it is false (the FIM's range is orthogonal to the
  all-logits direction), while the corollary itself holds because
  :math:`\|\partial z/\partial u^{k+1}\|_F^2\le m\,a^{2(L-k)}\prod_{j>k}\|w^j\|_2^2`.

Eigenvalues are squared singular values of the exact factors (:mod:`._gram`): beyond the rank of
the factor they are exact zeros, so the long zero tails are decided without rounding.

Examples
--------
>>> from hyperribbon.theory.networks import NetworkProblem, spectral_bounds
>>> p = NetworkProblem.random(widths=(4, 5, 3), activation="tanh", n=6, seed=2)
>>> spectral_bounds.LEMMA_4_3_2.check(p).status.value
'holds'
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..lemma import Lemma, Precision, SymbolicStatus
from ..registry import register
from . import symbolic
from ._gram import (activation_factor, fim_factor, logit_factor, loss_ggn_factor,
                    symmetric_eigenvalues)
from ._support import (NETWORK_BASE, SOFTMAX_CE, L, a, comparison, j, m, prod_except,
                       psd_enclosure, rhs_rel_err, w_norm)
from .measure import get
from .problem import NetworkProblem

__all__ = ["kron_bound", "LEMMA_4_3_2", "COROLLARY_4_7_7", "COROLLARY_4_7_7_GGN",
           "COROLLARY_4_7_7_PROOF_STEP"]

_P = NetworkProblem
_FLOAT = (Precision.FLOAT64,)
_kk = sp.Symbol("k", integer=True, nonnegative=True)
_spec_rhs = (a ** (2 * (L - _kk)) * sp.Product(w_norm[j] ** 2, (j, _kk + 1, L))
             * sp.Symbol(r"\mathrm{spec}(I_{d_{k+1}})\otimes"
                         r"\mathrm{spec}\,\mathbb{E}[h^kh^{k\top}]"))


def kron_bound(problem: NetworkProblem, k: int, factor: float = 1.0):
    r"""``factor``·a^{2(L−k)}·Π_{j=k+1}^L‖w^j‖²·spec(I_{d_{k+1}}) ⊗ spec(E[h^k h^kᵀ]), descending,
    as (midpoints, half-widths) of enclosures, length d_{k+1}·d_k."""
    sq = problem.weight_norms ** 2
    const = factor * problem.activation_bound ** (2 * (problem.depth - k)) \
        * prod_except(sq[k + 1:])
    mid, half = activation_factor(problem, k).eigenvalues()
    d_next = problem.widths[k + 1]
    mid, half = np.repeat(mid, d_next), np.repeat(half, d_next)
    rel = rhs_rel_err(problem)
    return psd_enclosure(const * (mid - half) * (1 - rel), const * (mid + half) * (1 + rel))


def _spec_comparison(name, lhs, lhs_e, rhs, rhs_e):
    idx = np.arange(1, lhs.size + 1)
    return comparison(name + "  (index = eigenvalue i, descending)", idx, lhs, rhs, lhs_e, rhs_e,
                      exact_zeros=True)


# =================================================================== Lemma 4.3.2
def _eval_4_3_2(p: NetworkProblem, precision):
    meas = get()
    out = []
    for k, sl in enumerate(p.blocks):
        rhs, rhs_e = kron_bound(p, k)
        if k == p.depth:
            # ∂z_i/∂w^L = e_i ⊗ h^L exactly, so λ_j(lhs) = μ_j (μ = spec E[h^Lh^Lᵀ], then 0) and
            # λ_j(rhs) = μ_⌈j/m⌉: the claim is μ_j ≤ μ_⌈j/m⌉, true by the descending order.
            mu, _ = activation_factor(p, k).eigenvalues()
            jj = np.arange(1, rhs.size + 1)
            lhs = np.concatenate([mu, np.zeros(rhs.size - mu.size)])
            gap = mu[(jj - 1) // p.m] - lhs
            out.append(comparison(
                f"(k = L) λ_j(I_{p.m} ⊗ E[h^Lh^Lᵀ]) − λ_j(E[∂z_i/∂w^L ∂z_i/∂w^Lᵀ]) = "
                "μ_⌈j/m⌉ − μ_j ≥ 0, every i (exact: ∂z_i/∂w^L = e_i ⊗ h^L; true by the order of "
                "μ)  (index j)", jj, gap, np.zeros_like(gap), np.zeros_like(gap),
                np.zeros_like(gap), ">=", exact_zeros=True))
            continue
        for i in range(p.m):
            lhs, lhs_e = logit_factor(p, meas, logit=i, layer=k).eigenvalues()
            out.append(_spec_comparison(
                f"λ_i(E[∂z_{i}/∂w^{k} ∂z_{i}/∂w^{k}ᵀ]) ≤ a^(2(L−k)) Π_(j>k)‖w^j‖² "
                f"λ_i(I_{p.widths[k + 1]} ⊗ E[h^{k}h^{k}ᵀ])", lhs, lhs_e, rhs, rhs_e))
    return out


LEMMA_4_3_2 = register(Lemma(
    id="thesis-lemma-4.3.2", number="4.3.2",
    title="Block spectrum of each logit's Jacobian correlation ⪯ activation spectrum",
    provenance="Thesis §4.3.1, Lemma 4.3.2, eq. (4.3.2); proof §4.7.3 (Weyl's inequality 4.7.7)",
    statement=[sp.Le(sp.Symbol(r"\mathrm{spec}\,\mathbb{E}[\partial_{w^k}z_i"
                               r"\partial_{w^k}z_i^\top]"), _spec_rhs)],
    evaluate=_eval_4_3_2, problem_type=_P, ladder=_FLOAT, assumptions=NETWORK_BASE,
    normalization="E over the n inputs; eigenvalues descending, compared index by index",
    symbolic=SymbolicStatus((("δδᵀ ⪯ ‖δ‖²I, hence (‖δ‖²I − δδᵀ) ⊗ hhᵀ ⪰ 0 (2×2 case, "
                              "eigenvalues of the difference ≥ 0)", symbolic.kronecker_loewner),)),
))


# =================================================================== Corollary 4.7.7
def _make_4_7_7(hessian: str):
    def evaluate(p: NetworkProblem, precision):
        meas = get()
        out = []
        Hm = meas.hessian(p) if hessian == "hessian" and not p.piecewise_linear else None
        from ._gram import _h_rank
        for k, sl in enumerate(p.blocks):
            rhs, rhs_e = kron_bound(p, k, factor=2.0 * p.m)
            lhs, lhs_e = fim_factor(p, meas, layer=k).eigenvalues()
            out.append(_spec_comparison(
                f"λ_i(F(w_{k})) ≤ 2m a^(2(L−k)) Π_(j>k)‖w^j‖² λ_i(I ⊗ E[h^{k}h^{k}ᵀ])",
                lhs, lhs_e, rhs, rhs_e))
            if hessian == "hessian" and not p.piecewise_linear and k < p.depth:
                lhs, lhs_e = symmetric_eigenvalues(Hm.values[sl, sl], Hm.abs_err[sl, sl])
                # ĕ depends on w^k only through u_s = w^k h^k_s, so the block is
                # (1/n)Σ_s ∇²_uℓ_s ⊗ h_s h_sᵀ: rank ≤ r = d_{k+1}·rank(h^k), and its eigenvalues
                # beyond index r (the smallest P − r) are ≤ 0 for certain (P − r of them are 0)
                r = p.widths[k + 1] * _h_rank(p, k)
                lo, hi = lhs - lhs_e, lhs + lhs_e
                hi[r:] = np.minimum(hi[r:], 0.0)
                lhs, lhs_e = 0.5 * (lo + hi), 0.5 * (hi - lo)
                what = "H(w_{k}) (true Hessian block of ĕ)"
            elif hessian == "hessian":
                # σ'' = 0 (or k = L) and z is linear in w^k: the H-term's (k, k) block is exactly
                # zero, so the true block *is* the Gauss–Newton block (exact factor and zeros)
                lhs, lhs_e = loss_ggn_factor(p, meas, layer=k).eigenvalues()
                what = ("H(w_{k}) (true Hessian block of ĕ = its Gauss–Newton block: z is "
                        "linear in w^{k}" + (", σ'' = 0)" if p.piecewise_linear else ")"))
            else:
                lhs, lhs_e = loss_ggn_factor(p, meas, layer=k).eigenvalues()
                what = "H̃(w_{k}) (Gauss–Newton block of ĕ)"
            out.append(_spec_comparison(
                f"λ_i({what.format(k=k)}) ≤ 2m a^(2(L−k)) Π_(j>k)‖w^j‖² λ_i(I ⊗ E[h^{k}h^{k}ᵀ])",
                lhs, lhs_e, rhs, rhs_e))
        return out
    return evaluate


_STATEMENT_4_7_7 = [sp.Le(sp.Symbol(r"\mathrm{spec}\,F(w_k),\ \mathrm{spec}\,H(w_k)"),
                          2 * m * _spec_rhs)]
COROLLARY_4_7_7 = register(Lemma(
    id="thesis-corollary-4.7.7", number="4.7.7",
    title="spec F(w_k), spec H(w_k) ⪯ 2m a^(2(L−k)) Π‖w^j‖² spec(I) ⊗ spec E[h^k h^kᵀ]",
    provenance="Thesis §4.7.3, Corollary 4.7.7 (H(w_k): block of the Hessian of ĕ, §4.2)",
    statement=_STATEMENT_4_7_7, evaluate=_make_4_7_7("hessian"), problem_type=_P, ladder=_FLOAT,
    assumptions=NETWORK_BASE + (SOFTMAX_CE,),
    related=("thesis-corollary-4.7.7-gauss-newton", "thesis-corollary-4.7.7-proof-step"),
    normalization="E over the n inputs; F with 1/n; ĕ in bits",
))
COROLLARY_4_7_7_GGN = register(Lemma(
    id="thesis-corollary-4.7.7-gauss-newton", number="4.7.7", variant="Gauss-Newton",
    title="Corollary 4.7.7 for the FIM and the Gauss–Newton block H̃(w_k) (what the proof bounds)",
    provenance="Thesis §4.7.3, Corollary 4.7.7 and its proof (which keeps only the G-term)",
    statement=_STATEMENT_4_7_7, evaluate=_make_4_7_7("ggn"), problem_type=_P, ladder=_FLOAT,
    assumptions=NETWORK_BASE + (SOFTMAX_CE,), related=("thesis-corollary-4.7.7",),
    normalization="E over the n inputs; F with 1/n; ĕ in bits",
    description="Holds since F(w_k) ⪯ E[J_kᵀJ_k] ⪯ ‖∂z/∂u^{k+1}‖_F²·I ⊗ E[h^kh^kᵀ] and "
                "‖∂z/∂u^{k+1}‖_F² ≤ m a^(2(L−k)) Π_(j>k)‖w^j‖²; H̃ = F/ln 2 and 1/ln 2 < 2.",
))


def _eval_proof_step(p: NetworkProblem, precision):
    meas = get()
    out = []
    for k, sl in enumerate(p.blocks):
        F, Fe = fim_factor(p, meas, layer=k).gram()
        S, Se = logit_factor(p, meas, layer=k, weights=np.ones(p.m)).gram()
        lam, lam_e = symmetric_eigenvalues(F - 2 * S, 2 * Se + Fe)
        out.append(comparison(f"λ_max(F(w_{k}) − 2E[∇_(w_{k})s ∇_(w_{k})sᵀ]) ≤ 0  (s = Σ_i z_i; "
                              "Loewner order; index k)", [k], [lam[0]], [0.0], [lam_e[0]], [0.0]))
    return out


COROLLARY_4_7_7_PROOF_STEP = register(Lemma(
    id="thesis-corollary-4.7.7-proof-step", number="4.7.7", variant="proof step",
    title="The proof's step F(w_k) ⪯ 2E[(ds/dw_k)(ds/dw_k)ᵀ], s = Σ_i z_i",
    provenance="Thesis §4.7.3, proof of Corollary 4.7.7, first display",
    statement=[sp.Le(sp.Symbol("F(w_k)"), 2 * sp.Symbol(
        r"\mathbb{E}[\partial_{w_k}s\,\partial_{w_k}s^\top]"))],
    evaluate=_eval_proof_step, problem_type=_P, ladder=_FLOAT,
    assumptions=NETWORK_BASE + (SOFTMAX_CE,), related=("thesis-corollary-4.7.7",),
    normalization="E over the n inputs; F with 1/n",
    symbolic=SymbolicStatus((("(diag p − ppᵀ)𝟙 = 0: the FIM has no component along ∇s",
                              symbolic.fisher_annihilates_ones),)),
    description="False in general: (diag p − ppᵀ)𝟙 = 0, so for a linear model (L = 0) the FIM "
                "lives exactly in the directions where E[∇s∇sᵀ] vanishes.",
))
