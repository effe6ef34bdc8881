r"""Chapter 5 §5.2 of the thesis as executable lemmas: linear regression under GD.

Every lemma here is registered (see :mod:`hyperribbon.theory.registry`) and checks a
:class:`~hyperribbon.theory.linear_models.problems.LinearGDProblem`. Normalisations are explicit: ``mean`` is
:math:`P_1(T) = \frac1T\sum_{t<T}` (eq. 5.2.5), ``sum`` is :math:`TP_1(T)` (eq. 5.2.9).

Examples
--------
>>> from hyperribbon.theory import linear_gd
>>> from hyperribbon.theory.linear_models.problems import LinearGDProblem
>>> p = LinearGDProblem.sloppy(n=50, c=0.2, alpha=0.9, T=50, sigma_w2=0.1, sigma_star2=2.0)
>>> v = linear_gd.LEMMA_5_2_2.check(p)
>>> v.status.value, v.margin > 1
('holds', True)
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from . import gd_closed_forms as cf
from ._linear_gd_support import (ALPHA_THESIS, EPS, K_STAR_INDEX, LOOP_MAX_T, N_AT_LEAST_2,
                                 SIGMA_STAR_KNOWN, SLOPPY, TARGETS_NONZERO, alpha, c, comparison,
                                 geometric_sums, i, k_star, lam, lam_K, lam_P, lam_P1, lam_w,
                                 lam_y, measure, n, progress, ratios, rel_err, require_memory,
                                 require_work, rho, sigma_w, t, x, y_norm)
from . import symbolic
from ..lemma import Assumption, Lemma, Precision, SymbolicStatus
from .problems import LinearGDProblem
from ..registry import register

T = sp.Symbol("T", positive=True, integer=True)

__all__ = ["LEMMA_5_2_1", "LEMMA_5_2_1_EXACT", "LEMMA_5_2_2", "LEMMA_5_2_2_MEAN", "LEMMA_5_2_3",
           "LEMMA_5_2_3_SMALL_T", "LEMMA_5_2_3_LARGE_T", "EQ_5_2_2", "EQ_5_2_3", "EQ_5_2_4",
           "EQ_5_2_5", "EQ_5_2_7", "EQ_5_2_8", "EQ_5_2_10", "EQ_5_2_11", "bound_5_2_3",
           "rho_of"]

_P = LinearGDProblem
_FLOAT_ONLY = (Precision.FLOAT64,)


def rho_of(problem: LinearGDProblem) -> float:
    """The thesis's ρ of Lemma 5.2.1 for this problem's spectrum."""
    return cf.rho_thesis(problem.lambda1, problem.lambdan)


# =================================================================== (5.2.2) residual dynamics
def _eval_dynamics(p: LinearGDProblem, precision):
    n = p.n
    d = n + 3
    work = float(p.T) * (2.0 * n * d + n * n)
    require_memory(8.0 * (n * n + 2 * n * d + 2 * d * d), "the weight-space data for (5.2.2)")
    require_work(work, f"simulating T = {p.T} steps of weight-space GD (T·(2nd + n²))")
    rng = np.random.default_rng(12345 if p.seed is None else p.seed + 1)
    U = p.basis if p.basis is not None else np.linalg.qr(rng.standard_normal((n, n)))[0]
    V = np.linalg.qr(rng.standard_normal((d, d)))[0][:, :n]
    S = np.sqrt(n * p.lam)
    X = (U * S) @ V.T
    y = U @ p.yhat
    w = rng.standard_normal(d) * math.sqrt(max(p.sigma_w2, 1.0) / n)
    r0 = X @ w - y
    rhat = U.T @ r0
    a = 1.0 - p.s
    worst_gap, worst_tol = np.zeros(p.T), np.zeros(p.T)
    scale = np.linalg.norm(r0) + np.linalg.norm(y)
    bar = progress(p.T, work, "eq. (5.2.2): weight-space GD")
    for step in range(p.T):
        r_gd = X @ w - y
        r_closed = U @ rhat
        worst_gap[step] = np.max(np.abs(r_gd - r_closed))
        worst_tol[step] = 16 * (step + 1) * (d + n) * EPS * scale * (1 + np.max(p.s))
        w = w - p.alpha * X.T @ r_gd / n
        rhat = a * rhat
        bar.update(1)
    bar.close()
    idx = np.arange(p.T)
    return [comparison("max_j |r_t(GD in weight space) − [(I−αK)^t r_0]_j|  vs  rounding bound",
                       idx, worst_gap, np.zeros(p.T), worst_tol, np.zeros(p.T), "==")]


EQ_5_2_2 = register(Lemma(
    id="thesis-eq-5.2.2", number="(5.2.2)", title="Residual dynamics r_{t+1} = (I − αK) r_t",
    provenance="Thesis §5.2, eq. (5.2.2), with K = XXᵀ/n and C(w) = ‖Xw − y‖²/(2n) (5.2.1)",
    statement=sp.Eq(sp.Symbol("r_{t+1}"), (sp.Symbol("I") - alpha * sp.Symbol("K")) * sp.Symbol("r_t")),
    evaluate=_eval_dynamics, problem_type=_P, ladder=_FLOAT_ONLY,
    description="Runs GD in weight space on data with this K and compares the residuals with the "
                "closed-form recursion, to within a rounding-error bound.",
    symbolic=SymbolicStatus(((("∇C(w) = Xᵀ(Xw−y)/n gives r_{t+1} = (I − αXXᵀ/n) r_t",
                               symbolic.residual_dynamics),))),
))


# =================================================================== (5.2.3) PCA matrix identity
def _eval_pca_identity(p: LinearGDProblem, precision):
    N = 16
    require_memory(8.0 * (2 * N * p.T * p.n + 3 * p.n * p.n), f"the ensemble of N = {N} "
                   f"trajectories of T = {p.T} points in R^{p.n} for (5.2.3)")
    require_work(3.0 * N * p.T * p.n * p.n, "forming P(N, T) both ways (3·N·T·n²)")
    rng = np.random.default_rng(777 if p.seed is None else p.seed + 7)
    r0 = np.sqrt(p.sigma_w2 * p.lam) * rng.standard_normal((N, p.n)) - p.yhat
    a = 1.0 - p.s
    R = np.stack([r0 * a**step for step in range(p.T)], axis=1)       # (N, T, n)
    pts = R.reshape(-1, p.n)
    rbar = pts.mean(axis=0)
    form1 = (pts - rbar).T @ (pts - rbar) / pts.shape[0]
    form2 = pts.T @ pts / pts.shape[0] - np.outer(rbar, rbar)
    mean_closed = cf.k_T_diagonal(p.s, p.T) * r0.mean(axis=0)
    scale = float(np.max(np.sum(pts**2, axis=1)))
    tol = 8 * (N * p.T + p.n) * EPS * scale
    return [comparison("P(N,T): (1/NT)Σ(r−r̄)(r−r̄)ᵀ  vs  (1/N)Σ(1/T)Σ r rᵀ − r̄ r̄ᵀ  (entries)",
                       np.arange(p.n * p.n), form1.ravel(), form2.ravel(), tol, tol, "=="),
            comparison("r̄(N,T) = K_T r̄(N,0)  (coordinates)", np.arange(p.n), rbar, mean_closed,
                       tol / max(scale, 1e-300) * np.max(np.abs(pts)) + rel_err(rbar, 4 * p.T),
                       rel_err(mean_closed, 16), "==")]


EQ_5_2_3 = register(Lemma(
    id="thesis-eq-5.2.3", number="(5.2.3)", title="The PCA matrix P(N,T) of trajectory ensembles",
    provenance="Thesis §5.2.1, eq. (5.2.3); the mean residual r̄(N,T) = K_T r̄(N,0)",
    statement=sp.Eq(sp.Symbol("P(N,T)"), sp.Symbol(r"\frac{1}{N}\sum_i \frac{1}{T}\sum_t r_t^{(i)} r_t^{(i)\top} - \bar r\bar r^\top")),
    evaluate=_eval_pca_identity, problem_type=_P, ladder=_FLOAT_ONLY,
    description="Both forms of P(N,T) on a simulated ensemble of N = 16 trajectories agree to "
                "within rounding, and the ensemble mean obeys r̄(N,T) = K_T r̄(N,0).",
))


# =================================================================== (5.2.4) K_T closed form
def _eval_k_T(p: LinearGDProblem, precision):
    closed = cf.k_T_diagonal(p.s, p.T)
    a = 1.0 - p.s
    if p.T <= LOOP_MAX_T:
        acc, acc_abs, power = np.zeros(p.n), np.zeros(p.n), np.ones(p.n)
        for _ in range(p.T):
            acc += power
            acc_abs += np.abs(power)
            power = power * a
        # for a < 0 (αλ > 1) the terms alternate: the rounding is relative to Σ|a|^t
        brute, brute_err, how = acc / p.T, 4 * (p.T + 2) * EPS * acc_abs / p.T, "time sum"
    else:
        S, _, err = geometric_sums(a, p.T)
        brute, brute_err, how = S / p.T, err / p.T, "binary splitting"
    return [comparison(f"(1/T)Σ_t (1−αλ_i)^t ({how})  vs  (1 − (1−αλ_i)^T)/(αTλ_i)",
                       np.arange(1, p.n + 1), brute, closed, brute_err, rel_err(closed, 32),
                       "==")]


EQ_5_2_4 = register(Lemma(
    id="thesis-eq-5.2.4", number="(5.2.4)", title="K_T = (1/T)Σ K_d^t = (αT)^{-1} K^{-1}(I − K_d^T)",
    provenance="Thesis §5.2.1, eq. (5.2.4)",
    statement=sp.Eq(sp.Sum((1 - alpha * lam) ** t, (t, 0, T - 1)) / T,
                    (1 - (1 - alpha * lam) ** T) / (alpha * T * lam)),
    evaluate=_eval_k_T, problem_type=_P, ladder=_FLOAT_ONLY,
    symbolic=SymbolicStatus((("(1/T)Σ_{t<T}(1−αλ)^t = (1−(1−αλ)^T)/(αTλ)", symbolic.k_T_identity),)),
))


# =================================================================== (5.2.5) decomposition
def _eval_decomposition(p: LinearGDProblem, precision):
    if p.T * p.n * p.n > 2e8:
        from ..errors import PrecisionExhausted
        raise PrecisionExhausted("brute-force time sum too large (T·n² > 2e8)")
    a = 1.0 - p.s
    y = p.yhat
    base = p.sigma_w2 * np.diag(p.lam) + np.outer(y, y)
    S, mean = np.zeros((p.n, p.n)), np.zeros(p.n)
    power = np.ones(p.n)
    bound = np.zeros((p.n, p.n))
    for _ in range(p.T):
        term = base * np.outer(power, power)
        S += term
        bound += np.abs(term)
        mean -= power * y
        power = power * a
    P_brute = S / p.T - np.outer(mean / p.T, mean / p.T)
    sw = cf.sigma_w_eigenvalues(p.s, p.alpha, p.sigma_w2, p.T)
    m = cf.k_T_diagonal(p.s, p.T) * y
    P_closed = (cf.target_gramian(p.s, y, p.T) + np.diag(sw)) / p.T - np.outer(m, m)
    tol = 8 * (p.T + p.n) * EPS * (bound / p.T + np.outer(np.abs(m), np.abs(m)) + 1e-300)
    return [comparison("P(T) = (1/T)Σ_t E[r_t r_tᵀ] − E[r̄]E[r̄]ᵀ (time sum)  vs  P1 − P2 closed "
                       "forms (entries)", np.arange(p.n * p.n), P_brute.ravel(),
                       P_closed.ravel(), tol.ravel(), tol.ravel(), "==")]


EQ_5_2_5 = register(Lemma(
    id="thesis-eq-5.2.5", number="(5.2.5)", title="P(T) = lim_N P(N,T) = P1^σw + P1^y − P2",
    provenance="Thesis §5.2.1, eq. (5.2.5) with P1^σw, P1^y closed forms of (5.2.9)–(5.2.10)",
    statement=sp.Eq(sp.Symbol("P(T)"), sp.Symbol(r"\frac1T\sum_t K_d^t(\sigma_w^2K+yy^\top)K_d^t - K_Tyy^\top K_T")),
    evaluate=_eval_decomposition, problem_type=_P, ladder=_FLOAT_ONLY, normalization="mean",
    description="Exact expectation by summing over t versus the O(n²) closed forms. The N → ∞ "
                "limit itself is checked against Monte-Carlo ensembles in the test-suite "
                "(with the exact finite-N correction −(σw²/N) K_T K K_T).",
    symbolic=SymbolicStatus((("σ_w²λΣ_{t<T}(1−αλ)^{2t} = (σ_w²/α)(1−(1−αλ)^{2T})/(2−αλ)",
                              symbolic.sigma_w_closed_form),)),
))


# =================================================================== (5.2.7) Weyl sandwich
def _eval_sandwich(p: LinearGDProblem, precision):
    P = measure(p, "P", precision)
    S1 = measure(p, "S1", precision)
    P1, P1e = S1.values / p.T, S1.abs_err / p.T
    lp2 = cf.p2_eigenvalue(p.s, p.yhat, p.T)
    idx = np.arange(1, p.n + 1)
    out = [comparison("λ_i^P ≤ λ_i^{P1}", idx, P.values, P1, P.abs_err, P1e, "<="),
           comparison("λ_i^P ≥ λ_i^{P1} − λ^{P2}", idx, P.values, P1 - lp2, P.abs_err,
                      P1e + rel_err(lp2, 8 * p.n), ">=")]
    if p.n > 1:
        out.append(comparison("λ_i^P ≥ λ_{i+1}^{P1}", idx[:-1], P.values[:-1], P1[1:],
                              P.abs_err[:-1], P1e[1:], ">="))
    return out


EQ_5_2_7 = register(Lemma(
    id="thesis-eq-5.2.7", number="(5.2.7)",
    title="Weyl sandwich max(λ_{i+1}^{P1}, λ_i^{P1} − λ^{P2}) ≤ λ_i^P ≤ λ_i^{P1}",
    provenance="Thesis §5.2.1, eqs. (5.2.6)–(5.2.7): Weyl's inequality with the rank-one "
               "P2 = K_T yyᵀ K_T, λ^{P2} = ‖K_T y‖²",
    statement=[sp.Le(lam_P[i], lam_P1[i]),
               sp.Ge(lam_P[i], sp.Max(lam_P1[i + 1], lam_P1[i] - sp.Symbol(r"\lambda^{P_2}")))],
    evaluate=_eval_sandwich, problem_type=_P, normalization="mean",
))


# =================================================================== (5.2.8) norm of K_T
TINY = 5e-324  # the smallest positive float64: a valid lower bound for a positive gap


def gap_comparison(name, index, gap, gap_rel_err):
    """``gap ≥ 0`` where ``gap = RHS − LHS`` was computed without cancellation as a product or
    quotient of non-negative factors: its sign is certain even where its magnitude underflows,
    so the family declares ``exact_zeros`` (an underflowed gap still decides ``gap ≥ 0``)."""
    gap = np.asarray(gap, dtype=float)
    return comparison(name + "   [shown as RHS − LHS ≥ 0]", index, gap, np.zeros_like(gap),
                      gap_rel_err * np.abs(gap), np.zeros_like(gap), ">=", exact_zeros=True)


def _eval_k_T_norm(p: LinearGDProblem, precision):
    kT = cf.k_T_diagonal(p.s, p.T)
    norm = float(np.max(kT))
    mid = float(cf.one_minus_power(p.s[0], p.T)) / (p.alpha * p.T * p.lambdan)
    lp2 = cf.p2_eigenvalue(p.s, p.yhat, p.T)
    if precision is Precision.MPMATH:
        import mpmath
        with mpmath.workdps(40):
            g = (1 - mpmath.mpf(p.alpha) * mpmath.mpf(p.lambda1)) ** p.T \
                / (mpmath.mpf(p.alpha) * p.T * mpmath.mpf(p.lambdan))
            gap = max(float(g), TINY) if g > 0 else float(g)
    else:
        gap = (1.0 - p.s[0]) ** p.T / (p.alpha * p.T * p.lambdan)
    return [comparison("‖K_T‖₂ ≤ (1 − (1−αλ1)^T)/(αTλn)", [1], [norm], [mid],
                       rel_err(norm, 32), rel_err(mid, 32)),
            gap_comparison("(1 − (1−αλ1)^T)/(αTλn) ≤ 1/(αTλn)", [1], [gap], 32 * EPS),
            comparison("λ^{P2} = ‖K_T y‖² ≤ ‖K_T‖²‖y‖² (so λ^{P2} = O(1/T))", [1], [lp2],
                       [norm**2 * p.y_norm2], rel_err(lp2, 8 * p.n),
                       rel_err(norm**2 * p.y_norm2, 8 * p.n))]


EQ_5_2_8 = register(Lemma(
    id="thesis-eq-5.2.8", number="(5.2.8)", title="‖K_T‖₂ ≤ (1 − (1−αλ1)^T)/(αTλn) ≤ 1/(αTλn)",
    provenance="Thesis §5.2.1, eq. (5.2.8)",
    statement=sp.Le(sp.Symbol(r"\|K_T\|_2"),
                    (1 - (1 - alpha * lam_K[1]) ** T) / (alpha * T * lam_K[n])),
    evaluate=_eval_k_T_norm, problem_type=_P, assumptions=(ALPHA_THESIS,),
    ladder=(Precision.FLOAT64, Precision.MPMATH),
))


# =================================================================== (5.2.10) λ^σw
def _eval_sigma_w(p: LinearGDProblem, precision):
    closed = cf.sigma_w_eigenvalues(p.s, p.alpha, p.sigma_w2, p.T)
    a2 = (1.0 - p.s) ** 2
    if p.T <= LOOP_MAX_T:
        acc, power = np.zeros(p.n), np.ones(p.n)
        for _ in range(p.T):
            acc += power
            power = power * a2
        acc_err, how = 4 * (p.T + 4) * EPS * acc, "time sum"
    else:
        acc, _, acc_err = geometric_sums(a2, p.T)
        acc_err, how = acc_err + 4 * EPS * acc, "binary splitting"
    brute = p.sigma_w2 * p.lam * acc
    brute_err = p.sigma_w2 * p.lam * acc_err * (1 + 4 * EPS)
    idx = np.arange(1, p.n + 1)
    scale = (p.sigma_w2 / p.alpha) / (2.0 - p.s)
    saturated = 2 * p.T * p.s >= 1.0
    if precision is Precision.MPMATH:
        import mpmath
        with mpmath.workdps(40):
            g = [(1 - mpmath.mpf(p.alpha) * mpmath.mpf(l)) ** (2 * p.T) for l in p.lam]
            pow_ = np.array([max(float(v), TINY) if v > 0 else float(v) for v in g])
    else:
        pow_ = (1.0 - p.s) ** (2 * p.T)
    gap = scale * np.where(saturated, pow_, cf.bernoulli_gap(p.s, 2 * p.T))
    if p.sigma_w2 == 0:
        gap = np.zeros(p.n)        # both sides are exactly 0: 0 ≤ 0 holds exactly (exact_zeros)
    return [comparison(f"eigenvalue of σw²Σ_t K_d^{{2t}}K ({how})  vs  closed form (5.2.10)",
                       idx, brute, closed, brute_err, rel_err(closed, 32), "==",
                       exact_zeros=p.sigma_w2 == 0),
            gap_comparison("λ_i^σw ≤ (σw²/α)·min{1, 2Tαλ_i}/(2 − αλ_i)", idx, gap, 64 * EPS)]


EQ_5_2_10 = register(Lemma(
    id="thesis-eq-5.2.10", number="(5.2.10)",
    title="λ_i^σw closed form and its bound (σw²/α)·min{1, 2Tαλ_i}/(2 − αλ_i)",
    provenance="Thesis §5.2.2, closed form above (5.2.10) and (5.2.10); the inequality "
               "1 − (1−x)^a ≤ min{1, ax} for |x| < 1, a ≥ 1",
    statement=[sp.Eq(lam_w[i], sigma_w**2 / alpha * (1 - (1 - alpha * lam_K[i]) ** (2 * T))
                     / (2 - alpha * lam_K[i])),
               sp.Le(lam_w[i], sigma_w**2 / alpha * sp.Min(1, 2 * T * alpha * lam_K[i])
                     / (2 - alpha * lam_K[i]))],
    evaluate=_eval_sigma_w, problem_type=_P, assumptions=(ALPHA_THESIS,),
    ladder=(Precision.FLOAT64, Precision.MPMATH),
    normalization="sum",
    symbolic=SymbolicStatus((
        ("σ_w²λΣ_{t<T}(1−αλ)^{2t} = (σ_w²/α)(1−(1−αλ)^{2T})/(2−αλ)", symbolic.sigma_w_closed_form),
        ("1 − (1−x)^a ≤ ax on [0,1], a ≥ 1 (g(0)=0, g' ≥ 0)", symbolic.bernoulli_inequality),
        ("1 − (1−x)^a ≤ 1 on [0,1]", symbolic.one_minus_power_le_one),
    )),
    description="The closed form is the summed normalisation, as its display "
                "P1^σw = σw²Σ K_d^{2t}K (no 1/T) says. The bound also holds for "
                "1/λ1 ≤ α < 2/λ1 because the exponent 2T is even; the thesis assumes (iii).",
))


# =================================================================== Lemma 5.2.1
def _eval_5_2_1(p: LinearGDProblem, precision):
    m = measure(p, "S1y", precision)
    r, e = ratios(m)
    j = np.arange(1, (p.n - 1) // 2 + 1)
    rho_ = rho_of(p)
    rhs = 4 * rho_ ** (-2.0 * j) / (1 + rho_ ** (-4.0 * j)) ** 2
    return [comparison("λ^y_{1+2i}/λ^y_1 ≤ 4ρ^{-2i}/(1+ρ^{-4i})²", j, r[2 * j], rhs, e[2 * j],
                       rel_err(rhs, 64 + 8 * j))]


LEMMA_5_2_1 = register(Lemma(
    id="thesis-lemma-5.2.1", number="5.2.1", title="Zolotarev decay of the target Gramian P1^y",
    provenance="Thesis §5.2.2, Lemma 5.2.1; proof §5.4 via Beckermann & Townsend (2017), "
               "Thm 2.1 and Cor. 3.2, with b/a ≤ 2λ1/λn − 1",
    statement=[sp.Le(lam_y[1 + 2 * i] / lam_y[1], 4 * rho ** (-2 * i) / (1 + rho ** (-4 * i)) ** 2),
               sp.Eq(rho, sp.exp(sp.pi**2 / (2 * sp.log(8 * lam_K[1] / lam_K[n] - 4))))],
    evaluate=_eval_5_2_1, problem_type=_P,
    assumptions=(ALPHA_THESIS, TARGETS_NONZERO, N_AT_LEAST_2), normalization="ratio (either)",
    symbolic=SymbolicStatus((
        ("Cayley eigenvalues (a−1)/(a+1) = −αλ/(2−αλ) for a = 1−αλ", symbolic.cayley_eigenvalue),
        ("b/a ≤ 2λ1/λn − 1 when αλ1 ≤ 1 (difference = 2(κ−1)(1−αλ1)/(2−αλ1))",
         symbolic.cayley_ratio_bound),
    )),
))


def _eval_5_2_1_exact(p: LinearGDProblem, precision):
    from .zolotarev import zolotarev_number
    m = measure(p, "S1y", precision)
    r, e = ratios(m)
    j = np.arange(1, (p.n - 1) // 2 + 1)
    a, b = cf.cayley_interval(p.lam, p.alpha)
    rhs = np.array([float(zolotarev_number(int(jj), a, b, dps=30)) for jj in j])
    return [comparison("λ^y_{1+2i}/λ^y_1 ≤ Z_i([−b,−a],[a,b]) (exact Zolotarev number)", j,
                       r[2 * j], rhs, e[2 * j], rel_err(rhs, 64))]


LEMMA_5_2_1_EXACT = register(Lemma(
    id="thesis-lemma-5.2.1-exact-zolotarev", number="5.2.1", variant="exact Zolotarev",
    title="Lemma 5.2.1 with the exact Zolotarev number Z_i of the Cayley interval (sharper)",
    provenance="Proof of Lemma 5.2.1 (§5.4): Beckermann–Townsend Thm 2.1 gives "
               "σ_{1+2i} ≤ Z_i σ_1 before the closed-form bound Z_i ≤ 4ρ^{-2i}; a, b are the exact "
               "ends of the Cayley spectrum, not the bound b/a ≤ 2λ1/λn − 1",
    statement=[sp.Le(lam_y[1 + 2 * i] / lam_y[1], sp.Symbol("Z_i([-b,-a],[a,b])"))],
    evaluate=_eval_5_2_1_exact, problem_type=_P,
    assumptions=(ALPHA_THESIS, TARGETS_NONZERO, N_AT_LEAST_2), normalization="ratio (either)",
    related=("thesis-lemma-5.2.1",),
    description="The thesis's 4ρ^{-2i}/(1+ρ^{-4i})² is not the exact Z_i but is an upper bound of "
                "it (see hyperribbon.theory.linear_models.zolotarev); this variant is the sharper statement.",
))


# =================================================================== Lemma 5.2.2
def _make_5_2_2(normalization: str):
    def evaluate(p: LinearGDProblem, precision):
        m = measure(p, "S1y", precision)
        scale = 1.0 if normalization == "sum" else 1.0 / p.T
        l1, e1 = m.values[0] * scale, m.abs_err[0] * scale
        y2 = p.y_norm2
        upper = float(cf.lambda_tilde(p.s[-1:], p.T)[0]) * y2
        return [comparison("λ1^y ≥ ‖y‖²", [1], [l1], [y2], [e1], rel_err(y2, 4 * p.n), ">="),
                comparison("λ1^y ≤ λ̃_n‖y‖²", [1], [l1], [upper], [e1],
                           rel_err(upper, 32 + 4 * p.n))]
    return evaluate


_STATEMENT_5_2_2 = [sp.Le(y_norm**2, lam_y[1]),
                    sp.Le(lam_y[1], sp.Sum((1 - alpha * lam_K[n]) ** (2 * t), (t, 0, T - 1))
                          * y_norm**2)]
LEMMA_5_2_2 = register(Lemma(
    id="thesis-lemma-5.2.2", number="5.2.2", title="Sandwich ‖y‖² ≤ λ1^y ≤ λ̃_n‖y‖²",
    provenance="Thesis §5.2.2, Lemma 5.2.2 and its proof in §5.4 (λ^y: eigenvalues of the summed "
               "Σ_t K_d^t yyᵀ K_d^t, as the proof uses)",
    statement=_STATEMENT_5_2_2, evaluate=_make_5_2_2("sum"), problem_type=_P, variant="as written",
    assumptions=(TARGETS_NONZERO,), normalization="sum", related=("thesis-lemma-5.2.2-mean",),
))
LEMMA_5_2_2_MEAN = register(Lemma(
    id="thesis-lemma-5.2.2-mean", number="5.2.2", variant="mean normalisation",
    title="Lemma 5.2.2 read with λ^y = eigenvalues of P1^y(T) = (1/T)Σ… of eq. (5.2.5)",
    provenance="Thesis §5.2.1–5.2.2: λ_i^y is introduced as the eigenvalues of P1^y(T) of (5.2.5), "
               "which carries 1/T; the proof uses the sum. See the errata.",
    statement=_STATEMENT_5_2_2, evaluate=_make_5_2_2("mean"), problem_type=_P,
    assumptions=(TARGETS_NONZERO,), normalization="mean", related=("thesis-lemma-5.2.2",),
))


# =================================================================== (5.2.11) concentration
def _eval_5_2_11(p: LinearGDProblem, precision, delta: float = 1e-6):
    mean = p.sigma_star2 * float(math.fsum(p.lam))
    sd = p.sigma_star2 * math.sqrt(2 * math.fsum(p.lam**2))
    dev = abs(p.y_norm2 - mean)
    return [comparison(f"|‖y‖² − σ*² tr K| ≤ σ*²·sqrt(2Σλ_i²/δ)  (Chebyshev, δ = {delta}: holds "
                       f"with probability ≥ {1 - delta})", [1], [dev], [sd / math.sqrt(delta)],
                       [rel_err(mean, 8 * p.n)], [rel_err(sd, 8 * p.n)])]


EQ_5_2_11 = register(Lemma(
    id="thesis-eq-5.2.11", number="(5.2.11)", title="‖y‖² concentrates around σ*² tr K",
    provenance="Thesis §5.2.2, eq. (5.2.11) and the Hanson–Wright remark in the proof of Lemma "
               "5.2.2. E‖y‖² = σ*² tr K exactly and Var‖y‖² = 2σ*⁴Σλ_i² for Gaussian w*; the "
               "check is the Chebyshev event at δ = 0.05 (Hanson–Wright's constant is unstated).",
    statement=sp.Symbol(r"\|y\|^2 \approx \sigma_*^2 \sum_i \lambda_i^K"),
    evaluate=_eval_5_2_11, problem_type=_P, assumptions=(SIGMA_STAR_KNOWN,), ladder=_FLOAT_ONLY,
    symbolic=SymbolicStatus((("E‖y‖² = σ*² tr K and Var‖y‖² = 2σ*⁴Σλ² for y = Σ√λ_i σ* z_i",
                              symbolic.target_norm_moments),)),
))


# =================================================================== Lemma 5.2.3
def bound_5_2_3(p: LinearGDProblem, branch: str = "statement") -> np.ndarray:
    r"""Right-hand side of Lemma 5.2.3 for i = 1..n.

    ``branch``: ``"statement"`` (as printed, k* = min{ln(2Tα)/(2c), n/2}), ``"small-T"`` (the
    proof's small-time branch), ``"large-T"`` (the proof's large-time branch, split at n/2).
    The split index used in indices and exponents is k = ⌊k*⌋; the branch test is i ≤ 2k*.
    """
    rho_ = rho_of(p)
    q = p.sigma_w2 / (p.alpha * p.y_norm2)
    idx = np.arange(1, p.n + 1)
    lam_ = p.lam
    if branch == "large-T":
        h = p.n // 2
        head = np.minimum(1.0, 4 * rho_ ** (-(idx - 1.0)) + q)
        j = np.clip(idx - h + 1, 1, p.n) - 1
        tail = q / (2.0 - p.alpha * lam_[j]) + 4 * rho_ ** (-(h - 1.0))
        return np.where(idx <= p.n / 2, head, np.minimum(head, tail))
    ks = math.log(2 * p.T * p.alpha) / (2 * p.c)
    if branch == "statement":
        ks = min(ks, p.n / 2)
    k = max(int(math.floor(ks)), 1)
    j = np.clip(idx - k + 1, 1, p.n) - 1
    if branch == "statement":
        head = np.minimum(1.0, 4 * rho_ ** (-(idx - 1.0)) + q)
    else:
        head = 4 * rho_ ** (-(idx - 1.0)) + q * min(1.0, 2 * p.T * p.alpha * p.lambda1)
    tail = 4 * rho_ ** (-(k - 1.0)) + q * np.minimum(1.0, 2 * p.alpha * p.T * lam_[j])
    return np.where(idx <= 2 * ks, head, tail)


def _make_5_2_3(branch: str):
    def evaluate(p: LinearGDProblem, precision):
        m = measure(p, "S1", precision)
        r, e = ratios(m)
        rhs = bound_5_2_3(p, branch)
        rhs_err = np.where(rhs == 1.0, 0.0, rel_err(rhs, 64 + 4 * p.n))
        # i = 1 reads 1 ≤ min{1, …} = 1, true by definition; the entries start at i = 2.
        return [comparison(f"λ_i^{{P1}}/λ_1^{{P1}} ≤ bound of Lemma 5.2.3 ({branch})",
                           np.arange(2, p.n + 1), r[1:], rhs[1:], e[1:], rhs_err[1:])]
    return evaluate


_Q = sigma_w**2 / (alpha * y_norm**2)
_STATEMENT_5_2_3 = [
    sp.Le(lam_P1[i] / lam_P1[1], sp.Min(1, 4 * rho ** (-(i - 1)) + _Q)),
    sp.Le(lam_P1[i] / lam_P1[1], 4 * rho ** (-(k_star - 1))
          + _Q * sp.Min(1, 2 * alpha * T * lam_K[i - k_star + 1])),
    sp.Eq(k_star, sp.Min(sp.log(2 * T * alpha) / (2 * c), n / 2)),
]
_A_5_2_3 = (ALPHA_THESIS, SLOPPY, K_STAR_INDEX, TARGETS_NONZERO)
LEMMA_5_2_3 = register(Lemma(
    id="thesis-lemma-5.2.3", number="5.2.3", title="Decay of the eigenvalues of T·P1(T)",
    provenance="Thesis §5.2.2, Lemma 5.2.3 (first line for i ≤ 2k*, second otherwise); proof §5.4",
    statement=_STATEMENT_5_2_3, evaluate=_make_5_2_3("statement"), problem_type=_P,
    assumptions=_A_5_2_3, normalization="ratio (either)",
    related=("thesis-lemma-5.2.3-small-t", "thesis-lemma-5.2.3-large-t"),
    description="k* is read as min{ln(2Tα)/(2c), n/2} (the statement prints ln(2Tα/2c); the proof "
                "and eq. 5.3.2 use ln(2Tα)/(2c)); indices and exponents use k = ⌊k*⌋.",
))
LEMMA_5_2_3_SMALL_T = register(Lemma(
    id="thesis-lemma-5.2.3-small-t", number="5.2.3", variant="small-T branch",
    title="Lemma 5.2.3, small training times T < λ1/(2λn) (proof §5.4)",
    provenance="Thesis §5.4, proof of Lemma 5.2.3, 'Small times'",
    statement=_STATEMENT_5_2_3[:2], evaluate=_make_5_2_3("small-T"), problem_type=_P,
    assumptions=_A_5_2_3 + (
        Assumption(
            "T < λ1/(2λn)", lambda p: p.T < p.lambda1 / (2 * p.lambdan), "proof of Lemma 5.2.3",
            lambda p: f"T = {p.T}, λ1/(2λn) = {p.lambda1 / (2 * p.lambdan):.6g}"),),
    normalization="ratio (either)", related=("thesis-lemma-5.2.3",),
))
LEMMA_5_2_3_LARGE_T = register(Lemma(
    id="thesis-lemma-5.2.3-large-t", number="5.2.3", variant="large-T branch",
    title="Lemma 5.2.3, large training times T ≥ λ1/(2αλn): split at n/2 (proof §5.4)",
    provenance="Thesis §5.4, proof of Lemma 5.2.3, 'Large times'",
    statement=[sp.Le(lam_P1[i] / lam_P1[1],
                     _Q / (2 - alpha * lam_K[i - n / 2 + 1]) + 4 * rho ** (-(n / 2 - 1)))],
    evaluate=_make_5_2_3("large-T"), problem_type=_P,
    assumptions=(ALPHA_THESIS, TARGETS_NONZERO,
                 Assumption(
                     "T ≥ λ1/(2αλn)", lambda p: p.T >= p.lambda1 / (2 * p.alpha * p.lambdan),
                     "proof of Lemma 5.2.3",
                     lambda p: f"T = {p.T}, λ1/(2αλn) = {p.lambda1 / (2 * p.alpha * p.lambdan):.6g}"),),
    normalization="ratio (either)", related=("thesis-lemma-5.2.3",),
))
