r"""PAC-Bayes formulas of thesis §4.2.1, §4.3.3, §4.4 and §4.7.2 (numpy/scipy only).

Every formula carries its equation number. Conventions: n training samples, prior
:math:`P = N(w_0, \epsilon^{-1}I)` (prior *precision* ε), posterior :math:`Q = N(w, \Sigma_q)`,
Hessian eigenvalues :math:`\lambda_i` of the training loss ĕ at w (in bits, §4.2 (c)), and the
quadratic model :math:`\breve e(h_{w'}) = \breve e(h_w) + \tfrac12\langle w'-w, H_w(w'-w)\rangle`
of §4.7.2.2.

* KL of Gaussians (4.7.1): :func:`gaussian_kl`; binary kl and its inverse (Theorem 4.7.1):
  :func:`binary_kl`, :func:`kl_inverse` (bisection, the upper end of the final bracket, so the
  returned value is never below the true inverse);
* the bounds: :func:`kl_bound` (Theorem 4.7.1 / eq. 4.2.1), :func:`pinsker_bound` (its
  square-root relaxation, §4.7.2.1), :func:`linearised_bound` (a valid linear relaxation, AM–GM);
* the optimal Gaussian posterior (4.3.3)–(4.3.4) :func:`optimal_posterior`, the objective
  :math:`L(\Sigma_q)` of §4.3.3 :func:`loose_objective` and its minimum :func:`loose_optimum`;
* effective dimensionality (4.4.1), strength (4.4.2), sloppy factor (4.4.3), the threshold decay
  rate of §4.7.2.3 and the bound (4.4.4): :func:`effective_dimension`, :func:`strength`,
  :func:`sloppy_factor`, :func:`threshold_decay`, :func:`bound_4_4_4`;
* the union bound over the prior scale (§4.7.2.1, §4.7.3.1): :func:`prior_grid`,
  :func:`union_bound_penalty`, :func:`union_bound_penalty_multi`.

Examples
--------
>>> lam = np.exp(-0.5 * np.arange(20))
>>> lam_bar, var = optimal_posterior(lam, n=1000, eps=1.0)
>>> bool(np.allclose(var, 1 / (2 * 999 * lam + 1.0)))
True
>>> q = kl_inverse(0.1, 0.05)
>>> bool(abs(binary_kl(0.1, q) - 0.05) < 1e-12 and q <= pinsker_inverse(0.1, 0.05))
True
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .._validate import as_int, as_real_matrix, as_real_vector
from ..errors import InvalidArgument

__all__ = ["gaussian_kl", "binary_kl", "binary_kl_error", "kl_inverse", "kl_inverse_bracket",
           "pinsker_inverse", "budget", "kl_bound",
           "pinsker_bound", "linearised_bound", "optimal_posterior", "optimal_posterior_covariance",
           "loose_objective", "loose_optimum", "effective_dimension", "strength", "sloppy_factor",
           "threshold_decay", "bound_4_4_4", "prior_grid", "union_bound_penalty",
           "union_bound_penalty_multi", "interpolation_failure_probability"]


# ------------------------------------------------------------------ validation helpers
def _real(x, name, owner, *, low=None, high=None, low_closed=True, high_closed=True) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)):
        raise InvalidArgument(name, owner, "be a finite real number", x)
    x = float(x)
    if low is not None and (x < low or (x == low and not low_closed)):
        raise InvalidArgument(name, owner, f"be {'≥' if low_closed else '>'} {low:g}", x)
    if high is not None and (x > high or (x == high and not high_closed)):
        raise InvalidArgument(name, owner, f"be {'≤' if high_closed else '<'} {high:g}", x)
    return x


def _n(n, owner) -> int:
    return as_int(n, "n", owner, minimum=2)


def _eigs(lam, owner, *, psd=True) -> np.ndarray:
    lam = as_real_vector(lam, "eigenvalues", owner)
    if psd and np.any(lam < 0):
        raise InvalidArgument("eigenvalues", owner, "be ≥ 0 (a PSD Hessian: w is a local minimum, "
                              "§4.3.3)", float(np.min(lam)))
    return np.sort(lam)[::-1]


# ------------------------------------------------------------------ divergences
def gaussian_kl(mu_q, cov_q, mu_p, cov_p) -> float:
    r"""KL(N(μ_q, Σ_q) ‖ N(μ_p, Σ_p)), eq. (4.7.1):

    .. math:: \tfrac12\big(\mathrm{tr}(\Sigma_p^{-1}\Sigma_q) - p
              + (\mu_p-\mu_q)^\top\Sigma_p^{-1}(\mu_p-\mu_q) + \log\det\Sigma_p - \log\det\Sigma_q\big)

    Parameters
    ----------
    mu_q, mu_p : (p,) array_like
    cov_q, cov_p : (p, p) array_like
        Symmetric positive definite (Cholesky factorisations are used; a failure is an error).
    """
    owner = "gaussian_kl"
    mu_q = as_real_vector(mu_q, "mu_q", owner)
    mu_p = as_real_vector(mu_p, "mu_p", owner, length=mu_q.size)
    p = mu_q.size
    cq = as_real_matrix(cov_q, "cov_q", owner, shape=(p, p))
    cp = as_real_matrix(cov_p, "cov_p", owner, shape=(p, p))
    try:
        Lq = np.linalg.cholesky(0.5 * (cq + cq.T))
    except np.linalg.LinAlgError:
        raise InvalidArgument("cov_q", owner, "be symmetric positive definite", cq) from None
    try:
        Lp = np.linalg.cholesky(0.5 * (cp + cp.T))
    except np.linalg.LinAlgError:
        raise InvalidArgument("cov_p", owner, "be symmetric positive definite", cp) from None
    A = np.linalg.solve(Lp, Lq)                     # Lp⁻¹Lq: tr(Σp⁻¹Σq) = ‖A‖_F²
    d = np.linalg.solve(Lp, mu_p - mu_q)
    logdet = 2 * (np.sum(np.log(np.diag(Lp))) - np.sum(np.log(np.diag(Lq))))
    return 0.5 * (float(np.sum(A * A)) - p + float(d @ d) + float(logdet))


def binary_kl(q: float, p: float) -> float:
    r"""kl(q, p) = q log(q/p) + (1 − q) log((1 − q)/(1 − p)) (§4.2.1), with 0 log 0 = 0;
    +∞ when p ∈ {0, 1} and q ≠ p."""
    owner = "binary_kl"
    q = _real(q, "q", owner, low=0.0, high=1.0)
    p = _real(p, "p", owner, low=0.0, high=1.0)

    def term(a, b):
        if a == 0:
            return 0.0
        return math.inf if b == 0 else a * (math.log(a) - math.log(b))
    return term(q, p) + term(1 - q, 1 - p)


def kl_inverse(q: float, c: float, *, tol: float = 1e-15) -> float:
    r""":math:`\mathrm{kl}^{-1}(q, c) = \sup\{p\in[q,1] : \mathrm{kl}(q,p)\le c\}` by bisection
    (kl(q, ·) is increasing on [q, 1]). Returns the upper end of :func:`kl_inverse_bracket`, which
    is never below the exact inverse (conservative for a bound)."""
    return kl_inverse_bracket(q, c, tol=tol)[1]


def binary_kl_error(q: float, p: float) -> float:
    """A bound on the float64 rounding error of :func:`binary_kl` (q, p in [0, 1], p ∉ {0, 1})."""
    def mag(a, b):
        return 0.0 if a == 0 else a * (abs(math.log(a)) + abs(math.log(b)) + 1.0)
    return 16 * _EPS * (mag(q, p) + mag(1 - q, 1 - p)) + 1e-300


_EPS = float(np.finfo(float).eps)


def kl_inverse_bracket(q: float, c: float, *, tol: float = 1e-15) -> tuple[float, float]:
    """An enclosure ``(lo, hi)`` of kl⁻¹(q, c) that accounts for the rounding of kl itself: the
    upper end only moves down past points where kl(q, p) > c *surely* (beyond its rounding error),
    the lower end only moves up past points where kl(q, p) ≤ c surely. The width is ≤ ``tol``
    when kl is well conditioned; near c = 0 (kl is quadratic at p = q) it is ≈ √ε."""
    owner = "kl_inverse"
    q = _real(q, "q", owner, low=0.0, high=1.0)
    c = _real(c, "c", owner, low=0.0)
    _real(tol, "tol", owner, low=0.0, low_closed=False)
    if q == 1.0:
        return 1.0, 1.0

    def bisect(accept):
        lo, hi = q, 1.0
        while hi - lo > tol:
            mid = 0.5 * (lo + hi)
            if mid == lo or mid == hi:
                break
            if accept(mid):
                lo = mid
            else:
                hi = mid
        return lo, hi

    def value(p):
        return binary_kl(q, p)

    # upper end: move down only where kl(q, p) > c for sure
    _, hi = bisect(lambda p: value(p) - binary_kl_error(q, p) <= c)
    # lower end: move up only where kl(q, p) ≤ c for sure
    lo, _ = bisect(lambda p: value(p) + binary_kl_error(q, p) <= c)
    if hi >= 1.0 and binary_kl(q, 1.0) <= c:           # only when q = 1 (kl(q, 1) = ∞ otherwise)
        return 1.0, 1.0
    return lo, hi


def pinsker_inverse(q: float, c: float) -> float:
    """q + sqrt(c/2): the bound on kl⁻¹(q, c) from Pinsker's 2(q − p)² ≤ kl(q, p) (§4.7.2.1)."""
    q = _real(q, "q", "pinsker_inverse", low=0.0, high=1.0)
    c = _real(c, "c", "pinsker_inverse", low=0.0)
    return q + math.sqrt(c / 2)


def budget(kl: float, n: int, delta: float, penalty: float = 0.0) -> float:
    r"""(KL(Q, P) + log(n/δ) + penalty)/(n − 1): the right-hand side of eq. (4.2.1) / Theorem
    4.7.1 (``penalty``: the extra union-bound term of §4.7.3.1, beyond log(n/δ))."""
    owner = "budget"
    kl = _real(kl, "kl", owner, low=0.0)
    n = _n(n, owner)
    delta = _real(delta, "delta", owner, low=0.0, high=1.0, low_closed=False, high_closed=False)
    penalty = _real(penalty, "penalty", owner, low=0.0)
    return (kl + math.log(n / delta) + penalty) / (n - 1)


def kl_bound(train_error: float, kl: float, n: int, delta: float, penalty: float = 0.0) -> float:
    """e(Q) ≤ kl⁻¹(ê(Q, D_n), budget) with probability ≥ 1 − δ (Theorem 4.7.1)."""
    return kl_inverse(train_error, budget(kl, n, delta, penalty))


def pinsker_bound(train_error: float, kl: float, n: int, delta: float,
                  penalty: float = 0.0) -> float:
    r"""e(Q) ≤ ê(Q) + sqrt((KL + log(n/δ))/(2(n − 1))) (§4.7.2.1, from Pinsker)."""
    return pinsker_inverse(train_error, budget(kl, n, delta, penalty))


def linearised_bound(train_loss: float, kl: float, n: int, delta: float,
                     penalty: float = 0.0) -> float:
    r"""A *valid* linear relaxation of the Pinsker bound with the KL weight 1/(2(n − 1)) of §4.3.3:
    by AM–GM, :math:`\sqrt{B/2}\le B/2 + 1/4`, so

    .. math:: e(Q) \le \breve e(Q) + \frac{\mathrm{KL}(Q,P) + \log(n/\delta)}{2(n-1)} + \frac14.

    (The thesis's "loose version" :math:`\breve e(Q) + \mathrm{KL}/(2(n-1))` drops the last two
    terms and is not a bound; see the errata.) ``train_loss`` ≥ ``train_error`` (§4.7.2.1)."""
    _real(train_loss, "train_loss", "linearised_bound", low=0.0)
    return train_loss + budget(kl, n, delta, penalty) / 2 + 0.25


# ------------------------------------------------------------------ optimal posterior
def optimal_posterior(eigenvalues, n: int, eps: float):
    r"""Eigenvalues of the optimal inverse posterior covariance and of Σ_q, eqs. (4.3.3)–(4.3.4):

    .. math:: \bar\lambda_i = 2(n-1)\lambda_i + \epsilon,\qquad \Sigma_q = U\bar\Lambda^{-1}U^\top.

    Returns ``(lam_bar, 1/lam_bar)``, both in the order of the (descending) eigenvalues.
    """
    owner = "optimal_posterior"
    lam = _eigs(eigenvalues, owner)
    n = _n(n, owner)
    eps = _real(eps, "eps", owner, low=0.0, low_closed=False)
    lam_bar = 2 * (n - 1) * lam + eps
    return lam_bar, 1.0 / lam_bar


def optimal_posterior_covariance(hessian, n: int, eps: float) -> np.ndarray:
    """Σ_q = (2(n − 1)H + εI)⁻¹ (eq. 4.7.2 and below) for a symmetric PSD ``hessian`` (p, p)."""
    owner = "optimal_posterior_covariance"
    H = as_real_matrix(hessian, "hessian", owner, square=True)
    lam, U = np.linalg.eigh(0.5 * (H + H.T))
    tol = 8 * lam.size * np.finfo(float).eps * float(np.max(np.abs(lam), initial=0.0))
    if lam.size and lam[0] < -tol:
        raise InvalidArgument("hessian", owner, "be positive semi-definite (a local minimum)",
                              float(lam[0]))
    _, var = optimal_posterior(np.clip(lam, 0, None), n, eps)
    var = var[::-1]                                    # back to eigh's ascending order
    return (U * var) @ U.T


def loose_objective(cov_q, hessian, n: int, eps: float, dist2: float,
                    train_loss: float = 0.0) -> float:
    r"""L(Σ_q) = ĕ(Q, D_n) + KL(Q, P)/(2(n − 1)) of §4.3.3 under the quadratic model:
    :math:`\breve e(Q) = \breve e(h_w) + \tfrac12\mathrm{tr}(H\Sigma_q)`, :math:`P = N(w_0,
    \epsilon^{-1}I)`, ``dist2`` = ‖w − w_0‖² (only the norm enters, the prior is isotropic)."""
    owner = "loose_objective"
    H = as_real_matrix(hessian, "hessian", owner, square=True)
    p = H.shape[0]
    S = as_real_matrix(cov_q, "cov_q", owner, shape=(p, p))
    n = _n(n, owner)
    eps = _real(eps, "eps", owner, low=0.0, low_closed=False)
    dist2 = _real(dist2, "dist2", owner, low=0.0)
    train_loss = _real(train_loss, "train_loss", owner, low=0.0)
    shift = np.zeros(p)
    shift[0] = math.sqrt(dist2)
    kl = gaussian_kl(np.zeros(p), S, shift, np.eye(p) / eps)
    return train_loss + 0.5 * float(np.sum(H * S)) + kl / (2 * (n - 1))


def loose_optimum(eigenvalues, n: int, eps: float, dist2: float,
                  train_loss: float = 0.0) -> float:
    r"""min L(Σ_q), attained at (4.3.3)–(4.3.4): each eigen-direction contributes exactly
    :math:`\frac{\log(1+y_i)}{4(n-1)}`, :math:`y_i = 2(n-1)\lambda_i/\epsilon` (§4.7.2.3), so

    .. math:: \min L = \breve e(h_w) + \frac{\sum_i\log(1 + 2(n-1)\lambda_i/\epsilon)
              + \epsilon\|w - w_0\|^2}{4(n-1)}.
    """
    owner = "loose_optimum"
    lam = _eigs(eigenvalues, owner)
    n = _n(n, owner)
    eps = _real(eps, "eps", owner, low=0.0, low_closed=False)
    dist2 = _real(dist2, "dist2", owner, low=0.0)
    train_loss = _real(train_loss, "train_loss", owner, low=0.0)
    return train_loss + (float(np.sum(np.log1p(2 * (n - 1) * lam / eps))) + eps * dist2) \
        / (4 * (n - 1))


# ------------------------------------------------------------------ §4.4
def _threshold(n, eps):
    return eps / (2 * (n - 1))


def effective_dimension(eigenvalues, n: int, eps: float) -> int:
    r"""p(n, ε) = #{i : |λ_i| ≥ ε/(2(n − 1))}, eq. (4.4.1)."""
    owner = "effective_dimension"
    lam = _eigs(eigenvalues, owner, psd=False)
    n = _n(n, owner)
    eps = _real(eps, "eps", owner, low=0.0, low_closed=False)
    return int(np.sum(np.abs(lam) >= _threshold(n, eps)))


def strength(eigenvalues, n: int, eps: float) -> float:
    r"""s(n, ε) = Σ_{i ≤ p(n,ε)} [1 + log(2(n − 1)λ_i/ε + 1)], eq. (4.4.2) (PSD spectrum)."""
    owner = "strength"
    lam = _eigs(eigenvalues, owner)
    n = _n(n, owner)
    eps = _real(eps, "eps", owner, low=0.0, low_closed=False)
    head = lam[lam >= _threshold(n, eps)]
    return float(np.sum(1.0 + np.log1p(2 * (n - 1) * head / eps)))


def sloppy_factor(eigenvalues, r: int) -> float:
    r"""c(A, r) = sup{c' ≥ 0 : λ_i ≤ λ_r e^{−c'(i − r)} ∀ i ≥ r}, eq. (4.4.3), for 1 ≤ r ≤ p:
    :math:`\min_{i>r}\log(\lambda_r/\lambda_i)/(i-r)` (+∞ when no constraint binds)."""
    owner = "sloppy_factor"
    lam = _eigs(eigenvalues, owner)
    r = as_int(r, "r", owner, minimum=1)
    if r > lam.size:
        raise InvalidArgument("r", owner, f"be an index in [1, p] = [1, {lam.size}]", r)
    return _decay(lam[r - 1], lam[r:], start=1)


def _decay(level: float, tail: np.ndarray, start: int) -> float:
    """sup{c ≥ 0 : tail_j ≤ level·e^{−c(j+start−1)}}; tail_j = 0 imposes nothing."""
    if tail.size == 0:
        return math.inf
    pos = tail > 0
    if not np.any(pos):
        return math.inf
    if level <= 0:
        return 0.0 if np.any(pos) else math.inf
    j = np.arange(start, start + tail.size)[pos]
    rates = (math.log(level) - np.log(tail[pos])) / j
    return float(max(0.0, np.min(rates)))


def threshold_decay(eigenvalues, n: int, eps: float) -> float:
    r"""The decay rate the proof of (4.4.4) assumes (§4.7.2.3): the largest c with
    :math:`\lambda_i \le \frac{\epsilon}{2(n-1)}e^{-c(i-p(n,\epsilon))}` for every
    :math:`i > p(n,\epsilon)` (relative to the threshold, not to :math:`\lambda_{p(n,\epsilon)}`)."""
    owner = "threshold_decay"
    lam = _eigs(eigenvalues, owner)
    n = _n(n, owner)
    eps = _real(eps, "eps", owner, low=0.0, low_closed=False)
    pe = int(np.sum(lam >= _threshold(n, eps)))
    return _decay(_threshold(n, eps), lam[pe:], start=1)


def bound_4_4_4(eigenvalues, n: int, eps: float, dist2: float, c: float) -> float:
    r"""(s(n, ε) + 2/c + ε‖w − w_0‖²)/(4(n − 1)), eq. (4.4.4) (2/c = 0 for c = ∞)."""
    owner = "bound_4_4_4"
    s = strength(eigenvalues, n, eps)
    dist2 = _real(dist2, "dist2", owner, low=0.0)
    if isinstance(c, bool) or not isinstance(c, numbers.Real) or math.isnan(c) or c < 0:
        raise InvalidArgument("c", owner, "be a real number ≥ 0 (∞ allowed)", c)
    inv = 0.0 if c == math.inf else (math.inf if c == 0 else 2.0 / c)
    return (s + inv + eps * dist2) / (4 * (_n(n, owner) - 1))


# ------------------------------------------------------------------ union bound (§4.7.3.1)
def prior_grid(j: int, b: float, c: float) -> float:
    """ε_j = c·exp(j/b), j = 1, 2, … (the grid of prior precisions of §4.7.2.1)."""
    j = as_int(j, "j", "prior_grid", minimum=1)
    b = _real(b, "b", "prior_grid", low=0.0, low_closed=False)
    c = _real(c, "c", "prior_grid", low=0.0, low_closed=False)
    return c * math.exp(j / b)


def _grid_index(value, b, c, owner, *, form: str, min_index, argument: str) -> int:
    """The integer j with value = c·exp(j/b) (``form="single"``, §4.7.2.1) or
    value = (1/c)·exp(j/b) (``form="multi"``, §4.7.3.1), or a named error."""
    j = b * math.log(value / c) if form == "single" else b * math.log(value * c)
    k = round(j)
    if abs(j - k) > 1e-9 * max(1.0, abs(j)) or (min_index is not None and k < min_index):
        grid = "c·exp(j/b)" if form == "single" else "(1/c)·exp(j/b)"
        js = "j = 1, 2, …" if min_index is not None else "j ∈ ℤ"
        raise InvalidArgument(argument, owner, f"lie on the grid {grid}, {js} (b = {b:g}, "
                              f"c = {c:g} give j = {j:.6g})", value)
    return int(k)


def union_bound_penalty(eps: float, b: float, c: float, n: int, delta: float) -> float:
    r"""The union-bound term for a prior precision chosen from the grid ε = c·exp(j/b):
    the bound for index j is made to hold with probability 1 − δ_j, :math:`\delta_j =
    6\delta/(\pi^2j^2)` (:math:`\sum_j\delta_j = \delta`), so log(n/δ) becomes

    .. math:: \log\frac{n}{\delta_j} = 2\log\big(b\log(\epsilon/c)\big) + \log\frac{\pi^2 n}{6\delta}.

    The thesis prints :math:`2\log(b\log(c/\epsilon))`, the logarithm of a negative number on its
    own grid (see the errata). Returns log(n/δ_j); subtract log(n/δ) for the extra penalty.
    """
    owner = "union_bound_penalty"
    eps = _real(eps, "eps", owner, low=0.0, low_closed=False)
    b = _real(b, "b", owner, low=0.0, low_closed=False)
    c = _real(c, "c", owner, low=0.0, low_closed=False)
    n = _n(n, owner)
    delta = _real(delta, "delta", owner, low=0.0, high=1.0, low_closed=False, high_closed=False)
    j = _grid_index(eps, b, c, owner, form="single", min_index=1, argument="eps")
    return 2 * math.log(j) + math.log(math.pi ** 2 * n / (6 * delta))


def union_bound_penalty_multi(values, b, c, n: int, delta: float, *, signed: bool = False):
    r"""§4.7.3.1 with m' prior parameters :math:`a^i = (1/c^i)\exp(j^i/b^i)`.

    Unsigned (:math:`j^i\ge1`): :math:`k = (\sum_ij^i)^{m'}` and the term
    :math:`2m'\log(\sum_i b^i\log(c^ia^i)) + \log(\pi^2n/(6\delta))` as printed. Signed
    (:math:`j^i\in\mathbb Z`): the thesis's :math:`k = (\sum_i2|j^i|)^{m'}` is 0 at
    :math:`j = 0`; we use :math:`k = (1 + \sum_i2|j^i|)^{m'}`, whose failure probabilities still
    sum to ≤ δ (tested). Returns log(n/δ_k) = 2 log k + log(π²n/(6δ)).
    """
    owner = "union_bound_penalty_multi"
    a = as_real_vector(values, "values", owner)
    bs = as_real_vector(np.broadcast_to(np.asarray(b, dtype=float), a.shape), "b", owner)
    cs = as_real_vector(np.broadcast_to(np.asarray(c, dtype=float), a.shape), "c", owner)
    if np.any(a <= 0) or np.any(bs <= 0) or np.any(cs <= 0):
        raise InvalidArgument("values", owner, "be positive, with b, c > 0", a)
    n = _n(n, owner)
    delta = _real(delta, "delta", owner, low=0.0, high=1.0, low_closed=False, high_closed=False)
    js = [_grid_index(ai, bi, ci, owner, form="multi", min_index=None if signed else 1,
                      argument="values") for ai, bi, ci in zip(a, bs, cs)]
    mprime = a.size
    base = (1 + sum(2 * abs(j) for j in js)) if signed else sum(js)
    return 2 * mprime * math.log(base) + math.log(math.pi ** 2 * n / (6 * delta))


# ------------------------------------------------------------------ the "loose version"
def interpolation_failure_probability(n: int, population_error: float,
                                      wrong_loss: float) -> float:
    r"""P(ĕ(Q, D_n) < e(Q)) for a data-independent Q = P (KL = 0) that is confident on the
    samples it classifies right (log-loss 0) and pays ``wrong_loss`` bits on each error:
    ĕ(Q, D_n) = wrong_loss·Binomial(n, e)/n, computed exactly (scipy.stats.binom).

    If the "loose version" L(Σ_q) = ĕ(Q) + KL(Q, P)/(2(n − 1)) of §4.3.3 were a PAC-Bayes bound
    holding with probability 1 − δ, this probability would be ≤ δ.
    """
    from scipy.stats import binom
    owner = "interpolation_failure_probability"
    n = as_int(n, "n", owner, minimum=1)
    e = _real(population_error, "population_error", owner, low=0.0, high=1.0)
    ell = _real(wrong_loss, "wrong_loss", owner, low=1.0)
    kmax = math.ceil(e * n / ell) - 1                # ĕ < e  ⟺  k < e·n/ℓ
    return float(binom.cdf(kmax, n, e)) if kmax >= 0 else 0.0
