r"""Identities the Chapter-4 statements use, proved by sympy (each returns ``True`` only when sympy
proves it; the tests call every one).

Examples
--------
>>> fisher_weight() and union_bound_total() and optimal_posterior_stationary()
True
"""
from __future__ import annotations

import sympy as sp

__all__ = ["fisher_outer_identity", "fisher_weight", "inverse_log2_le_2",
           "lipschitz_from_derivative", "kronecker_trace", "kronecker_loewner",
           "fisher_annihilates_ones", "optimal_posterior_stationary", "optimal_posterior_value",
           "gaussian_kl_shift", "union_bound_total", "el_karoui_linear_coefficient",
           "pinsker_inverse"]


def _simplex(m: int):
    ps = sp.symbols(f"p1:{m}", positive=True)
    return list(ps) + [1 - sum(ps)]


def fisher_outer_identity(ms=(2, 3, 4)) -> bool:
    """Σ_y p_y(e_y − p)(e_y − p)ᵀ = diag(p) − ppᵀ on the simplex (m = 2, 3, 4)."""
    for m in ms:
        p = sp.Matrix(_simplex(m))
        acc = sp.zeros(m, m)
        for y in range(m):
            e = sp.zeros(m, 1)
            e[y] = 1
            acc += p[y] * (e - p) * (e - p).T
        if not all(sp.expand(v) == 0 for v in (acc - (sp.diag(*p) - p * p.T))):
            return False
    return True


def fisher_weight(ms=(2, 3, 4)) -> bool:
    """Σ_y p_y‖e_y − p‖² = 1 − ‖p‖² on the simplex."""
    for m in ms:
        p = sp.Matrix(_simplex(m))
        lhs = sum(p[y] * sum(((1 if c == y else 0) - p[c]) ** 2 for c in range(m))
                  for y in range(m))
        if sp.expand(lhs - (1 - (p.T * p)[0])) != 0:
            return False
    return True


def fisher_annihilates_ones(ms=(2, 3, 4)) -> bool:
    """(diag p − ppᵀ)𝟙 = 0 on the simplex."""
    for m in ms:
        p = sp.Matrix(_simplex(m))
        v = (sp.diag(*p) - p * p.T) * sp.ones(m, 1)
        if not all(sp.expand(x) == 0 for x in v):
            return False
    return True


def inverse_log2_le_2() -> bool:
    """1/ln 2 ≤ 2 ⟺ 4 ≥ e."""
    return bool(sp.Le(1 / sp.log(2), 2)) and bool(sp.Ge(sp.Integer(4), sp.E))


def lipschitz_from_derivative() -> bool:
    """For tanh (a = 1): g(u) = u − tanh(u) has g(0) = 0 and g' = tanh² ≥ 0, so
    |tanh u| ≤ |u| (odd symmetry); the ReLU family is piecewise linear with slopes ≤ a."""
    u = sp.Symbol("u", real=True)
    g = u - sp.tanh(u)
    return g.subs(u, 0) == 0 and sp.simplify(sp.diff(g, u) - sp.tanh(u) ** 2) == 0


def kronecker_trace() -> bool:
    """tr((ggᵀ) ⊗ (hhᵀ)) = ‖g‖²‖h‖² (2-vectors, symbolic)."""
    g = sp.Matrix(sp.symbols("g1:3", real=True))
    h = sp.Matrix(sp.symbols("h1:3", real=True))
    K = sp.kronecker_product(g * g.T, h * h.T)
    return sp.expand(K.trace() - (g.T * g)[0] * (h.T * h)[0]) == 0


def kronecker_loewner() -> bool:
    """‖δ‖²I − δδᵀ is PSD (its eigenvalues are 0 and ‖δ‖², 2-vectors), so
    (‖δ‖²I − δδᵀ) ⊗ hhᵀ ⪰ 0."""
    d = sp.Matrix(sp.symbols("d1:3", real=True))
    M = (d.T * d)[0] * sp.eye(2) - d * d.T
    ev = M.eigenvals()
    return set(sp.simplify(e) for e in ev) == {0, sp.expand((d.T * d)[0])}


def optimal_posterior_stationary() -> bool:
    r"""Per eigen-direction, :math:`\ell(v) = \tfrac12\lambda v + \frac{1}{4(n-1)}(\epsilon v -
    \log v)` is stationary at :math:`v = 1/(2(n-1)\lambda + \epsilon)` with
    :math:`\ell'' = 1/(4(n-1)v^2) > 0` (eqs. 4.3.3–4.3.4)."""
    lam, eps, v = sp.symbols("lambda epsilon v", positive=True)
    n = sp.Symbol("n", positive=True)
    ell = lam * v / 2 + (eps * v - sp.log(v)) / (4 * (n - 1))
    vstar = 1 / (2 * (n - 1) * lam + eps)
    return sp.simplify(sp.diff(ell, v).subs(v, vstar)) == 0 and \
        sp.simplify(sp.diff(ell, v, 2) - 1 / (4 * (n - 1) * v ** 2)) == 0


def optimal_posterior_value() -> bool:
    r"""At the optimum each eigen-direction contributes exactly
    :math:`\frac{1}{4(n-1)}\log(1 + y)`, :math:`y = 2(n-1)\lambda/\epsilon`:
    :math:`y/(1+y) + 1/(1+y) - 1 + \log(1+y) = \log(1+y)` (§4.7.2.3)."""
    y = sp.Symbol("y", positive=True)
    return sp.simplify(y / (1 + y) + 1 / (1 + y) - 1 + sp.log(1 + y) - sp.log(1 + y)) == 0


def gaussian_kl_shift() -> bool:
    r"""KL(Q, N(w_0, ε^{-1}I)) = KL(Q, N(w, ε^{-1}I)) + (ε/2)‖w − w_0‖² for Q centred at w
    (§4.7.2.2): the mean term of (4.7.1) is ε‖w − w_0‖²; 1-D check of (4.7.1)'s difference."""
    eps, w, w0, s2 = sp.symbols("epsilon w w0 s2", positive=True)

    def kl(mu_q, mu_p):
        return sp.Rational(1, 2) * (eps * s2 - 1 + eps * (mu_p - mu_q) ** 2
                                    + sp.log(1 / (eps * s2)))
    return sp.simplify(kl(w, w0) - kl(w, w) - eps * (w - w0) ** 2 / 2) == 0


def union_bound_total() -> bool:
    """Σ_{k≥1} 6δ/(π²k²) = δ (§4.7.3.1)."""
    k = sp.Symbol("k", integer=True, positive=True)
    delta = sp.Symbol("delta", positive=True)
    return sp.simplify(sp.summation(6 * delta / (sp.pi ** 2 * k ** 2), (k, 1, sp.oo)) - delta) == 0


def el_karoui_linear_coefficient() -> bool:
    r"""The coefficient of :math:`t = x_i^\top x_j/d` in the Taylor expansion of f at 0 is
    :math:`f'(0)`, not :math:`f(0)` (Remark 4.3.3 prints :math:`f(0)XX^\top/d`): checked on
    :math:`f = e^{2t}` (f(0) = 1, f'(0) = 2)."""
    t = sp.Symbol("t")
    f = sp.exp(2 * t)
    c1 = sp.series(f, t, 0, 2).removeO().coeff(t, 1)
    return c1 == sp.diff(f, t).subs(t, 0) and c1 != f.subs(t, 0)


def pinsker_inverse() -> bool:
    r"""2(q − p)² ≤ kl(q, p) at the boundary case q = 0: kl(0, p) = −log(1 − p) ≥ 2p²
    (h(p) = −log(1−p) − 2p² has h(0) = 0 and h'(p) = 1/(1−p) − 4p ≥ 0 on [0, 1))."""
    p = sp.Symbol("p", nonnegative=True)
    h = -sp.log(1 - p) - 2 * p ** 2
    hp = sp.simplify(sp.diff(h, p) * (1 - p))     # = 1 − 4p + 4p² = (1 − 2p)² ≥ 0
    return h.subs(p, 0) == 0 and sp.factor(hp) == (2 * p - 1) ** 2
