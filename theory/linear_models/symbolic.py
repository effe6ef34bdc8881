r"""Symbolic proofs (sympy) of the identities the §5.2 lemmas use.

Each function returns ``True`` when sympy proves the statement; the lemma objects list them in
their :class:`~hyperribbon.theory.lemma.SymbolicStatus` and the tests re-run every one.

Examples
--------
>>> k_T_identity()
True
"""
from __future__ import annotations

import sympy as sp

__all__ = ["geometric_sum", "k_T_identity", "sigma_w_closed_form", "bernoulli_inequality",
           "one_minus_power_le_one", "cayley_eigenvalue", "cayley_ratio_bound",
           "residual_dynamics", "target_norm_moments"]

_alpha, _lam, _sw, _x, _s = sp.symbols("alpha lambda sigma_w x s", positive=True)
_T = sp.Symbol("T", positive=True, integer=True)
_t = sp.Symbol("t", nonnegative=True, integer=True)


def _is_zero(expr) -> bool:
    return sp.simplify(sp.piecewise_fold(expr)) == 0


def geometric_sum(q) -> sp.Expr:
    """Σ_{t<T} q^t as sympy evaluates it (a Piecewise for symbolic q)."""
    return sp.summation(q**_t, (_t, 0, _T - 1))


def _sum_q_ne_1(q):
    s = geometric_sum(q)
    if isinstance(s, sp.Piecewise):   # pick the branch q != 1 (q = 1 − αλ ≠ 1 for αλ > 0)
        for expr, cond in s.args:
            if cond is not sp.true and not cond.has(sp.Eq(q, 1)):
                return expr
        return s.args[-1][0]
    return s


def k_T_identity() -> bool:
    """(1/T)Σ_{t<T}(1−αλ)^t = (1 − (1−αλ)^T)/(αTλ)."""
    q = 1 - _alpha * _lam
    lhs = _sum_q_ne_1(q) / _T
    rhs = (1 - q**_T) / (_alpha * _T * _lam)
    return _is_zero(lhs - rhs)


def sigma_w_closed_form() -> bool:
    """σ_w² λ Σ_{t<T}(1−αλ)^{2t} = (σ_w²/α)(1 − (1−αλ)^{2T})/(2 − αλ)."""
    q = (1 - _alpha * _lam) ** 2
    lhs = _sw**2 * _lam * _sum_q_ne_1(q)
    rhs = _sw**2 / _alpha * (1 - (1 - _alpha * _lam) ** (2 * _T)) / (2 - _alpha * _lam)
    return _is_zero(sp.expand_power_base(lhs - rhs, force=True))


def bernoulli_inequality() -> bool:
    r"""g(x) = ax − 1 + (1−x)^a ≥ 0 on 0 ≤ x < 1 for a ≥ 1, i.e. :math:`1 - (1-x)^a \le ax`.

    sympy checks (i) g(0) = 0, (ii) g'(x) = a(1 − (1−x)^{a−1}), and (iii) the sign of g': with
    a = 1 + b (b ≥ 0) and 1 − x = 1/(1+v) (v ≥ 0, covering 0 ≤ x < 1),
    :math:`(1-x)^{a-1} = \exp(-b\log(1+v))` and sympy proves :math:`b\log(1+v) \ge 0`, so
    :math:`(1-x)^{a-1} \le 1` and g' ≥ 0; with (i), g ≥ 0. The step "exp is increasing" is
    the one fact taken as known.
    """
    a = sp.Symbol("a", positive=True)
    g = a * _x - 1 + (1 - _x) ** a
    ok0 = sp.simplify(g.subs(_x, 0)) == 0
    ok1 = sp.simplify(sp.diff(g, _x) - a * (1 - (1 - _x) ** (a - 1))) == 0
    b = sp.Symbol("b", nonnegative=True)
    v = sp.Symbol("v", nonnegative=True)
    base = 1 / (1 + v)                                  # = 1 − x
    rewritten = sp.expand_log(sp.log(base ** b), force=True)   # = −b·log(1+v)
    ok2 = sp.simplify(rewritten + b * sp.log(1 + v)) == 0
    ok3 = (b * sp.log(1 + v)).is_nonnegative is True    # proved, not merely "not disproved"
    return bool(ok0 and ok1 and ok2 and ok3)


def one_minus_power_le_one() -> bool:
    """1 − (1−x)^a ≤ 1 ⇔ (1−x)^a ≥ 0: sympy proves u^a ≥ 0 for u = 1 − x ≥ 0, a > 0."""
    u = sp.Symbol("u", nonnegative=True)
    a = sp.Symbol("a", positive=True)
    return (u**a).is_nonnegative is True


def cayley_eigenvalue() -> bool:
    """(a−1)/(a+1) with a = 1 − s equals −s/(2 − s)."""
    a = 1 - _s
    return _is_zero((a - 1) / (a + 1) + _s / (2 - _s))


def cayley_ratio_bound() -> bool:
    r"""(2κ − 1) − κ(2 − s/κ)/(2 − s) = 2(κ−1)(1−s)/(2−s) (≥ 0 for κ ≥ 1, s ≤ 1), where
    :math:`b/a = \kappa(2-\alpha\lambda_n)/(2-\alpha\lambda_1)`, :math:`s = \alpha\lambda_1`."""
    kappa = sp.Symbol("kappa", positive=True)
    ratio = kappa * (2 - _s / kappa) / (2 - _s)
    diff = sp.factor(sp.simplify((2 * kappa - 1) - ratio))
    return _is_zero(diff - 2 * (kappa - 1) * (1 - _s) / (2 - _s))


def residual_dynamics() -> bool:
    """With C(w) = ‖Xw−y‖²/(2n): r(w − α∇C) = (I − αXXᵀ/n) r(w), on a generic 2×3 example."""
    X = sp.Matrix(2, 3, sp.symbols("x0:6"))
    w = sp.Matrix(3, 1, sp.symbols("w0:3"))
    y = sp.Matrix(2, 1, sp.symbols("y0:2"))
    nn = 2
    r = X * w - y
    grad = X.T * r / nn
    r_next = X * (w - _alpha * grad) - y
    K = X * X.T / nn
    return sp.simplify(r_next - (sp.eye(2) - _alpha * K) * r) == sp.zeros(2, 1)


def target_norm_moments() -> bool:
    """y = Σ_i σ* √λ_i z_i e_i with z ~ N(0, I): E‖y‖² = σ*² Σλ and Var‖y‖² = 2σ*⁴ Σλ²
    (checked with sympy.stats on three coordinates)."""
    from sympy.stats import E, Normal, variance
    sig = sp.Symbol("sigma_star", positive=True)
    lams = sp.symbols("l1:4", positive=True)
    zs = [Normal(f"z{j}", 0, 1) for j in range(3)]
    norm2 = sum(sig**2 * L * z**2 for L, z in zip(lams, zs))
    ok_mean = sp.simplify(E(norm2) - sig**2 * sum(lams)) == 0
    ok_var = sp.simplify(variance(norm2) - 2 * sig**4 * sum(L**2 for L in lams)) == 0
    return bool(ok_mean and ok_var)
