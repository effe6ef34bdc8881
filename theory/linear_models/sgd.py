r"""Thesis §5.3, stochastic gradient descent, modelled as GD with Langevin noise (eq. 5.3.1).

Residual-space model used by the thesis's final expressions: :math:`r_{t+1} = K_d r_t + \eta_t`
with :math:`E[\eta_t\eta_t^\top] = (\alpha^2/b)K^2`, so that

.. math:: \sum_{t<T} E[r_tr_t^\top] = \sum_{t<T}K_d^t(\sigma_w^2K + yy^\top)K_d^t + TP_\xi
          - \sum_{t<T}K_d^tP_\xi K_d^t,\qquad P_\xi = \frac{\alpha}{b}(2I-\alpha K)^{-1}K.

(The thesis's derivation of that noise term from (5.3.1) loses factors of n; see erratum E4.)
Every matrix here commutes with K, so the noise adds a diagonal (in K's eigenbasis) to the
summed :math:`TP_1(T)`: :math:`e_j = T p_j - \frac1b\frac{1-a_j^{2T}}{(2-s_j)^2}` with
:math:`p_j = \frac{\alpha}{b}\frac{\lambda_j}{2-s_j}`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from . import gd_closed_forms as cf
from ._linear_gd_support import (ALPHA_THESIS, EPS, LOOP_MAX_T, SLOPPY, K_STAR_INDEX,
                                 TARGETS_NONZERO, comparison, geometric_sums, measure, ratios,
                                 rel_err)
from ..domains import Domain
from ..errors import InvalidArgument
from ..lemma import Assumption, Lemma, Precision, SymbolicStatus
from .problems import LinearGDProblem
from ..registry import register

__all__ = ["SGDProblem", "SGD_DOMAINS", "p_xi_eigenvalues", "sgd_extra_diagonal", "LEMMA_SGD_PXI",
           "LEMMA_SGD_SECOND_MOMENT", "LEMMA_SGD_NOISE_SUM", "LEMMA_SGD_PXI_TOP",
           "LEMMA_SGD_5_2_3", "LEMMA_SGD_5_2_3_CORRECTED", "LEMMA_SGD_RULE_OF_THUMB"]


#: Declared domains of :class:`SGDProblem` (context: ``{"n": n}``).
SGD_DOMAINS = {
    "batch_size": Domain(low=1, high=lambda ctx: ctx["n"], low_closed=True, high_closed=True,
                         integer=True, high_text="n", typical=(1, 30)),
}


@dataclass(frozen=True)
class SGDProblem:
    """A :class:`LinearGDProblem` trained by SGD with batch size ``batch_size`` (Langevin model).

    Examples
    --------
    >>> p = SGDProblem(LinearGDProblem.sloppy(n=10, c=0.3), batch_size=4)
    >>> p.n, p.b
    (10, 4)
    """

    base: LinearGDProblem
    batch_size: int

    def __post_init__(self):
        owner = "SGDProblem"
        if not isinstance(self.base, LinearGDProblem):
            raise InvalidArgument("base", owner, "be a LinearGDProblem", type(self.base).__name__)
        b = SGD_DOMAINS["batch_size"].coerce(self.batch_size, "batch_size", owner,
                                              {"n": self.base.n})
        object.__setattr__(self, "batch_size", b)

    @property
    def b(self) -> int:
        return self.batch_size

    @property
    def n(self) -> int:
        return self.base.n

    def parameters(self) -> dict:
        return {**self.base.parameters(), "batch_size": self.b}


def p_xi_eigenvalues(p: SGDProblem) -> np.ndarray:
    r""":math:`\lambda_j(P_\xi) = \frac{\alpha}{b}\frac{\lambda_j}{2-\alpha\lambda_j}`."""
    s = p.base.s
    return (p.base.alpha / p.b) * p.base.lam / (2.0 - s)


def sgd_extra_diagonal(p: SGDProblem) -> np.ndarray:
    r"""The noise's addition to :math:`\sum_t E[r_tr_t^\top]`, diagonal in K's eigenbasis:
    :math:`TP_\xi - \sum_{t<T}K_d^tP_\xi K_d^t = P_\xi\sum_{t<T}(I - K_d^{2t})`, evaluated
    without cancellation (it vanishes exactly at T = 1)."""
    s, T = p.base.s, p.base.T
    u = s * (2.0 - s)                       # 1 − a², so that Σ_{t<T}(1 − a^{2t}) = gap/u ≥ 0
    return p_xi_eigenvalues(p) * cf.bernoulli_gap(u, T) / u


def _brute_noise(p: SGDProblem):
    """(α²/b)Σ_{t≥0} K_d^t K² K_d^t by repeated squaring, Σ_{t<2^K} q^t = Π_{k<K}(1 + q^{2^k}),
    continued until q^{2^K} is below ε (an independent route to the geometric series).

    Returns the sum and its relative error bound, which grows like ε/(1 − q) because q = a²
    itself carries a rounding error (the series is ill-conditioned in q for tiny s)."""
    base = p.base
    q = (1.0 - base.s) ** 2
    acc, power, K = np.ones(base.n), q.copy(), 0
    while np.any(power > EPS) and K < 200:
        acc *= 1.0 + power
        power = power * power
        K += 1
    err = (4 * K + 16) * EPS + 4 * EPS / (base.s * (2.0 - base.s))
    return (base.alpha**2 / p.b) * base.lam**2 * acc, err


def _eval_pxi(p: SGDProblem, precision):
    closed = p_xi_eigenvalues(p)
    brute, err = _brute_noise(p)
    idx = np.arange(1, p.n + 1)
    return [comparison("(α²/b)Σ_t K_d^t K² K_d^t (repeated squaring)  vs  (α/b)(2I − αK)^{-1}K",
                       idx, brute, closed, err * np.abs(brute), rel_err(closed, 16), "==")]


def _eval_second_moment(p: SGDProblem, precision):
    base = p.base
    a = 1.0 - base.s
    if base.T * base.n * base.n > 2e8:
        from ..errors import PrecisionExhausted
        raise PrecisionExhausted("brute-force recursion too large (T·n² > 2e8)")
    noise = np.diag((base.alpha**2 / p.b) * base.lam**2)
    M = base.sigma_w2 * np.diag(base.lam) + np.outer(base.yhat, base.yhat)
    S, bound = np.zeros_like(M), np.zeros_like(M)
    for _ in range(base.T):
        S += M
        bound += np.abs(M)
        M = a[:, None] * M * a[None, :] + noise
    closed = cf.target_gramian(base.s, base.yhat, base.T) + np.diag(
        cf.sigma_w_eigenvalues(base.s, base.alpha, base.sigma_w2, base.T) + sgd_extra_diagonal(p))
    tol = 16 * (base.T + base.n) * EPS * (bound + np.abs(closed))
    return [comparison("Σ_t E[r_t r_tᵀ] by the moment recursion  vs  Σ K_d^t(σw²K+yyᵀ)K_d^t + TPξ "
                       "− Σ K_d^t Pξ K_d^t  (entries)", np.arange(p.n * p.n), S.ravel(),
                       closed.ravel(), tol.ravel(), tol.ravel(), "==")]


def _eval_noise_sum(p: SGDProblem, precision):
    base = p.base
    a2 = (1.0 - base.s) ** 2
    pxi = p_xi_eigenvalues(p)
    if base.T <= LOOP_MAX_T:
        acc, power = np.zeros(p.n), np.ones(p.n)
        for _ in range(base.T):
            acc += power * pxi
            power = power * a2
        err, how = 4 * (base.T + 4) * EPS * np.abs(acc), "time sum"
    else:
        S, _, S_err = geometric_sums(a2, base.T)
        acc, err, how = pxi * S, (pxi * S_err + 4 * EPS * pxi * S) * (1 + 4 * EPS), \
            "binary splitting"
    closed = cf.one_minus_power(base.s, 2 * base.T) / (p.b * (2.0 - base.s) ** 2)
    idx = np.arange(1, p.n + 1)
    return [comparison(f"Σ_{{t<T}} K_d^t Pξ K_d^t ({how})  vs  (1/b)(2I − αK)^{{-2}}"
                       "(I − K_d^{2T})", idx, acc, closed, err, rel_err(closed, 32), "==")]


LAMBDA1_IS_ONE = Assumption("λ1(K) = 1", lambda p: abs(p.base.lambda1 - 1.0) <= 4 * EPS,
                            "§5.3 ('for our setting where λ1 = 1')",
                            lambda p: f"λ1 = {p.base.lambda1:.6g}")


def _lift(assumption: Assumption) -> Assumption:
    """An assumption on the base LinearGDProblem, restated for SGDProblem."""
    return Assumption(assumption.name, lambda p: assumption.predicate(p.base), assumption.source,
                      None if assumption.explain is None else
                      (lambda p: assumption.explain(p.base)))


def _eval_pxi_top(p: SGDProblem, precision):
    top = float(np.max(p_xi_eigenvalues(p)))
    formula = (p.base.alpha / p.b) * p.base.lambda1 / (2 - p.base.alpha * p.base.lambda1)
    return [comparison("λ1(Pξ) = (α/b)λ1/(2 − αλ1)", [1], [top], [formula], rel_err(top, 8),
                       rel_err(formula, 8), "=="),
            comparison("λ1(Pξ) ≤ α/b", [1], [top], [p.base.alpha / p.b], rel_err(top, 8),
                       rel_err(p.base.alpha / p.b, 4))]


def _sgd_bound(p: SGDProblem, corrected: bool) -> np.ndarray:
    base = p.base
    rho = cf.rho_thesis(base.lambda1, base.lambdan)
    i = np.arange(1, p.n + 1)
    noise = (base.T if corrected else 1.0) * base.alpha / p.b
    return np.minimum(1.0, 4 * rho ** (-(i - 1.0)) + (base.sigma_w2 / base.alpha + noise)
                      / base.y_norm2)


def _make_sgd_bound(corrected: bool):
    def evaluate(p: SGDProblem, precision):
        base = p.base
        d = cf.sigma_w_eigenvalues(base.s, base.alpha, base.sigma_w2, base.T) \
            + sgd_extra_diagonal(p)
        m = measure(base, "S1", precision, diagonal=d)
        r, e = ratios(m)
        rhs = _sgd_bound(p, corrected)
        ks = min(math.log(2 * base.T * base.alpha) / (2 * base.c), base.n / 2)
        sel = (np.arange(1, p.n + 1) <= 2 * ks) & (np.arange(1, p.n + 1) >= 2)
        idx = np.arange(1, p.n + 1)[sel]
        rhs_err = np.where(rhs[sel] == 1.0, 0.0, rel_err(rhs[sel], 64))
        label = "(σw²/α + Tα/b)" if corrected else "(σw²/α + α/b)"
        return [comparison(f"SGD: λ_i/λ_1 ≤ min{{1, 4ρ^{{-(i-1)}} + {label}/‖y‖²}}, 2 ≤ i ≤ 2k*",
                           idx, r[sel], rhs[sel], e[sel], rhs_err)]
    return evaluate


def _eval_rule_of_thumb(p: SGDProblem, precision):
    base = p.base
    f = base.sigma_w2 / base.alpha + base.alpha / p.b
    g = (2 * base.sigma_w2) / (2 * base.alpha) + (2 * base.alpha) / (2 * p.b)
    return [comparison("σw²/α + α/b is unchanged by (σw², α, b) → (2σw², 2α, 2b)", [1], [f], [g],
                       rel_err(f, 8), rel_err(g, 8), "==")]


_SGD_ASSUMPTIONS = (_lift(ALPHA_THESIS),)
_s, _a, _b, _lam, _sw = sp.symbols("s alpha b lambda sigma_w", positive=True)
_T = sp.Symbol("T", positive=True, integer=True)


def _proof_pxi() -> bool:
    q = (1 - _a * _lam) ** 2
    lhs = (_a**2 / _b) * _lam**2 / (1 - q)                  # Σ_t q^t = 1/(1−q), |q| < 1
    return sp.simplify(lhs - (_a / _b) * _lam / (2 - _a * _lam)) == 0


def _proof_noise_sum() -> bool:
    q = (1 - _a * _lam) ** 2
    lhs = (_a / _b) * _lam / (2 - _a * _lam) * (1 - q**_T) / (1 - q)
    rhs = (1 - (1 - _a * _lam) ** (2 * _T)) / (_b * (2 - _a * _lam) ** 2)
    return sp.simplify(sp.expand_power_base(lhs - rhs, force=True)) == 0


def _proof_rule() -> bool:
    return sp.simplify((2 * _sw**2) / (2 * _a) + (2 * _a) / (2 * _b)
                       - (_sw**2 / _a + _a / _b)) == 0


LEMMA_SGD_PXI = register(Lemma(
    id="thesis-sgd-pxi", number="5.3-sgd-pxi", title="Pξ = (α²/b)Σ K_d^t K² K_d^t = (α/b)(2I − αK)^{-1}K",
    provenance="Thesis §5.3 (SGD), definition of Pξ and its explicit expression",
    statement=sp.Eq(sp.Symbol(r"P_\xi"), sp.Symbol(r"\frac{\alpha}{b}(2I-\alpha K)^{-1}K")),
    evaluate=_eval_pxi, problem_type=SGDProblem, assumptions=_SGD_ASSUMPTIONS,
    ladder=(Precision.FLOAT64,),
    symbolic=SymbolicStatus((("(α²/b)λ²/(1 − (1−αλ)²) = (α/b)λ/(2 − αλ)", _proof_pxi),)),
))
LEMMA_SGD_SECOND_MOMENT = register(Lemma(
    id="thesis-sgd-second-moment", number="5.3-sgd-moments",
    title="Σ_t E[r_t r_tᵀ] = Σ K_d^t(σw²K + yyᵀ)K_d^t + TPξ − Σ K_d^t Pξ K_d^t",
    provenance="Thesis §5.3 (SGD), the identity 'checked by induction'",
    statement=sp.Symbol(r"\sum_t E[r_tr_t^\top] = \sum_t K_d^t(\sigma_w^2K+yy^\top)K_d^t + TP_\xi - \sum_t K_d^tP_\xi K_d^t"),
    evaluate=_eval_second_moment, problem_type=SGDProblem, ladder=(Precision.FLOAT64,),
    normalization="sum",
))
LEMMA_SGD_NOISE_SUM = register(Lemma(
    id="thesis-sgd-noise-sum", number="5.3-sgd-noise-sum",
    title="Σ_{t<T} K_d^t Pξ K_d^t = (1/b)(2I − αK)^{-2}(I − K_d^{2T})",
    provenance="Thesis §5.3 (SGD); the following remark '≃ Tλ_i/(2b)' drops a factor α "
               "(erratum E5)",
    statement=sp.Symbol(r"\sum_{t<T}K_d^tP_\xi K_d^t = \frac1b(2I-\alpha K)^{-2}(I-K_d^{2T})"),
    evaluate=_eval_noise_sum, problem_type=SGDProblem, assumptions=_SGD_ASSUMPTIONS,
    ladder=(Precision.FLOAT64,), normalization="sum",
    symbolic=SymbolicStatus((("(α/b)λ/(2−αλ)·Σ_{t<T}(1−αλ)^{2t} = (1−(1−αλ)^{2T})/(b(2−αλ)²)",
                              _proof_noise_sum),)),
))
LEMMA_SGD_PXI_TOP = register(Lemma(
    id="thesis-sgd-pxi-top", number="5.3-sgd-pxi-top", title="λ1(Pξ) = (α/b)λ1/(2 − αλ1) ≤ α/b",
    provenance="Thesis §5.3 (SGD), 'for our setting where λ1 = 1 and α < 1'",
    statement=sp.Le(sp.Symbol(r"\lambda_1(P_\xi)"), _a / _b),
    evaluate=_eval_pxi_top, problem_type=SGDProblem,
    assumptions=_SGD_ASSUMPTIONS + (LAMBDA1_IS_ONE,), ladder=(Precision.FLOAT64,),
))
LEMMA_SGD_5_2_3 = register(Lemma(
    id="thesis-sgd-5.2.3", number="5.3-sgd-bound",
    title="Lemma 5.2.3 under SGD: λ_i/λ_1 ≤ min{1, 4ρ^{-(i-1)} + (σw²/α + α/b)/‖y‖²}, i ≤ 2k*",
    provenance="Thesis §5.3 (SGD), the modified head bound of Lemma 5.2.3",
    statement=sp.Le(sp.Symbol(r"\lambda_i/\lambda_1"),
                    sp.Min(1, 4 * sp.Symbol("rho") ** (1 - sp.Symbol("i"))
                           + (_sw**2 / _a + _a / _b) / sp.Symbol(r"\|y\|^2"))),
    evaluate=_make_sgd_bound(False), problem_type=SGDProblem,
    assumptions=tuple(_lift(a) for a in (ALPHA_THESIS, SLOPPY, K_STAR_INDEX, TARGETS_NONZERO)),
    normalization="ratio (either)", related=("thesis-sgd-5.2.3-corrected",),
))
LEMMA_SGD_5_2_3_CORRECTED = register(Lemma(
    id="thesis-sgd-5.2.3-corrected", number="5.3-sgd-bound", variant="corrected",
    title="SGD head bound with the summed noise: (σw²/α + Tα/b)/‖y‖²",
    provenance="Corrected variant (erratum E6): the extra terms of Σ_t E[r_t r_tᵀ] reach "
               "T·λ1(Pξ) ≤ Tα/b, while λ1 ≥ ‖y‖² only holds for the summed matrix",
    statement=sp.Le(sp.Symbol(r"\lambda_i/\lambda_1"),
                    sp.Min(1, 4 * sp.Symbol("rho") ** (1 - sp.Symbol("i"))
                           + (_sw**2 / _a + _T * _a / _b) / sp.Symbol(r"\|y\|^2"))),
    evaluate=_make_sgd_bound(True), problem_type=SGDProblem,
    assumptions=tuple(_lift(a) for a in (ALPHA_THESIS, SLOPPY, K_STAR_INDEX, TARGETS_NONZERO))
    + (LAMBDA1_IS_ONE,),
    normalization="ratio (either)", related=("thesis-sgd-5.2.3",),
))
LEMMA_SGD_RULE_OF_THUMB = register(Lemma(
    id="thesis-sgd-rule-of-thumb", number="5.3-sgd-rule",
    title="Doubling the batch with α ∝ b: doubling σw² keeps σw²/α + α/b (the bound) unchanged",
    provenance="Thesis §5.3 (SGD), the 'double the batch, double σw²' rule of thumb",
    statement=sp.Eq(2 * _sw**2 / (2 * _a) + 2 * _a / (2 * _b), _sw**2 / _a + _a / _b),
    evaluate=_eval_rule_of_thumb, problem_type=SGDProblem, ladder=(Precision.FLOAT64,),
    symbolic=SymbolicStatus((("σw²/α + α/b invariant under (σw², α, b) → (2σw², 2α, 2b)",
                              _proof_rule),)),
    description="An identity of the bound; what the *true* spectrum does under the rule is "
                "measured by hyperribbon.experiments (SGD comparison), not asserted here.",
))
