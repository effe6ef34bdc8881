r"""Closed forms of thesis §5.2 in the eigenbasis of K, evaluated without cancellation.

With :math:`s_i = \alpha\lambda_i` and :math:`a_i = 1 - s_i` (eigenvalues of :math:`K_d`):

* :math:`K_T` (eq. 5.2.4) is diagonal with entries :math:`(1 - a_i^T)/(T s_i)`;
* :math:`\lambda_i^{\sigma_w}` (eq. 5.2.10, *summed* normalisation) is
  :math:`\frac{\sigma_w^2}{\alpha}\,\frac{1 - a_i^{2T}}{2 - s_i}`;
* :math:`\tilde\lambda_i = \sum_{t<T} a_i^{2t} = \frac{1 - a_i^{2T}}{s_i(2 - s_i)}` (Lemma 5.2.2);
* the target Gramian :math:`T P_1^y(T)` has entries
  :math:`\hat y_i\hat y_j\,\frac{1 - (a_ia_j)^T}{1 - a_ia_j}` (eq. 5.2.9);
* the rank-one :math:`P_2(T) = K_T yy^\top K_T` has its one eigenvalue :math:`\|K_T y\|^2`.

Every :math:`1 - a^m` is computed as ``-expm1(m·log1p(-s))`` and every :math:`1 - a_ia_j` as
:math:`s_i + s_j - s_is_j`, so tiny :math:`s_i` keep full relative accuracy.
"""
from __future__ import annotations

import math

import numpy as np

from .._validate import as_real_vector

__all__ = ["one_minus_power", "bernoulli_gap", "k_T_diagonal", "sigma_w_eigenvalues", "lambda_tilde",
           "target_gramian", "p2_eigenvalue", "rho_thesis", "rho_from_log_kappa", "k_star_thesis",
           "cayley_interval"]


def one_minus_power(s, m) -> np.ndarray:
    r""":math:`1 - (1 - s)^m` for s in (0, 2) and integer m ≥ 0, to full relative accuracy.

    Examples
    --------
    >>> float(one_minus_power(1e-20, 10))  # naive 1 - (1 - 1e-20)**10 gives 0.0
    1e-19
    """
    s = np.asarray(s, dtype=float)
    out = np.empty(np.broadcast(s, np.asarray(m)).shape)
    m = np.broadcast_to(np.asarray(m, dtype=float), out.shape)
    s = np.broadcast_to(s, out.shape)
    small = s < 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out[small] = -np.expm1(m[small] * np.log1p(-s[small]))
        big = ~small
        # 1 - a with a = 1 - s <= 0: a^m = (±)|a|^m with |a| = s - 1 (exact in floating point)
        a_abs = s[big] - 1.0
        sign = np.where(np.mod(m[big], 2) == 0, 1.0, -1.0)
        out[big] = 1.0 - sign * np.power(a_abs, m[big])
    return out


def bernoulli_gap(s, m: int) -> np.ndarray:
    r""":math:`ms - 1 + (1-s)^m = ms - (1 - (1-s)^m) \ge 0` (Bernoulli), without cancellation.

    For :math:`ms < 1/2` the series :math:`\sum_{k\ge2}\binom{m}{k}(-s)^k` is summed
    (alternating with decreasing terms); otherwise the direct difference is accurate.

    Examples
    --------
    >>> float(bernoulli_gap(1e-9, 2))   # (2e-9) - 1 + (1 - 1e-9)**2 = 1e-18 exactly
    1e-18
    """
    s = np.asarray(s, dtype=float)
    m = int(m)
    out = np.asarray(m * s - one_minus_power(s, m), dtype=float)
    small = (m * s < 0.5) & (s < 1.0)
    if np.any(small):
        ss = s[small] if out.ndim else s
        term = m * (m - 1) / 2.0 * ss**2
        acc = np.zeros_like(ss)
        kk = 2
        while kk <= m:
            acc = acc + term
            if np.all(np.abs(term) <= 1e-18 * np.abs(acc)):
                break
            term = term * (-(m - kk) * ss / (kk + 1))
            kk += 1
        if out.ndim:
            out[small] = acc
        else:
            out = np.asarray(acc)
    return out


def k_T_diagonal(s, T: int) -> np.ndarray:
    r"""Eigenvalues of :math:`K_T = \frac{1}{\alpha T}K^{-1}(I - K_d^T)` (eq. 5.2.4)."""
    s = np.asarray(s, dtype=float)
    return one_minus_power(s, T) / (T * s)


def sigma_w_eigenvalues(s, alpha: float, sigma_w2: float, T: int) -> np.ndarray:
    r""":math:`\lambda_i^{\sigma_w} = \frac{\sigma_w^2}{\alpha}\frac{1-(1-\alpha\lambda_i)^{2T}}
    {2-\alpha\lambda_i}`, eigenvalues of :math:`\sigma_w^2\sum_{t<T}K_d^{2t}K` (eq. 5.2.10)."""
    s = np.asarray(s, dtype=float)
    return (sigma_w2 / alpha) * one_minus_power(s, 2 * T) / (2.0 - s)


def lambda_tilde(s, T: int) -> np.ndarray:
    r""":math:`\tilde\lambda_i = \sum_{t=0}^{T-1}(1-\alpha\lambda_i)^{2t}` (Lemma 5.2.2)."""
    s = np.asarray(s, dtype=float)
    return one_minus_power(s, 2 * T) / (s * (2.0 - s))


def _one_minus_product(s: np.ndarray) -> np.ndarray:
    """Matrix of 1 - a_i a_j = s_i + s_j - s_i s_j (no cancellation for s <= 1)."""
    return s[:, None] + s[None, :] - s[:, None] * s[None, :]


def target_gramian(s, yhat, T) -> np.ndarray:
    r"""The (n, n) matrix :math:`T P_1^y(T) = \sum_{t<T} K_d^t yy^\top K_d^t` in K's eigenbasis.

    ``T`` may be ``math.inf`` (the Lyapunov solution :math:`\sum_{t\ge0}`). Every entry has
    full relative accuracy (for :math:`s \le 1`).

    Examples
    --------
    >>> s, y = np.array([0.9, 1e-3]), np.array([1.0, 2.0])
    >>> G = target_gramian(s, y, 4)
    >>> A = np.diag(1 - s)
    >>> brute = sum(np.linalg.matrix_power(A, t) @ np.outer(y, y) @ np.linalg.matrix_power(A, t)
    ...             for t in range(4))
    >>> bool(np.allclose(G, brute, rtol=1e-13, atol=0))
    True
    """
    s = as_real_vector(s, "s", "target_gramian")
    y = as_real_vector(yhat, "yhat", "target_gramian", length=s.size)
    u = _one_minus_product(s)                       # 1 - a_i a_j
    if T == math.inf:
        core = 1.0 / u
    else:
        x = 1.0 - u                                 # a_i a_j, in (-1, 1)
        core = np.empty_like(u)
        pos = x >= 0
        with np.errstate(divide="ignore", invalid="ignore"):
            core[pos] = -np.expm1(T * np.log1p(-u[pos])) / u[pos]
            core[~pos] = (1.0 - np.power(x[~pos], T)) / u[~pos]
    return core * np.outer(y, y)


def p2_eigenvalue(s, yhat, T: int) -> float:
    r""":math:`\lambda^{P_2} = \|K_T y\|^2`, the one nonzero eigenvalue of :math:`P_2(T)`."""
    v = k_T_diagonal(s, T) * np.asarray(yhat, dtype=float)
    return float(math.fsum(v * v))


def cayley_interval(lam, alpha: float) -> tuple[float, float]:
    r"""(a, b) with the spectrum of the Cayley transform :math:`\tilde K_d = (K_d+I)^{-1}(K_d-I)`
    in :math:`[-b, -a]`: :math:`a = \alpha\lambda_n/(2-\alpha\lambda_n)`,
    :math:`b = \alpha\lambda_1/(2-\alpha\lambda_1)` (proof of Lemma 5.2.1)."""
    lam = np.asarray(lam, dtype=float)
    s1, sn = alpha * float(lam.max()), alpha * float(lam.min())
    return sn / (2.0 - sn), s1 / (2.0 - s1)


def rho_thesis(lambda1: float, lambdan: float) -> float:
    r""":math:`\rho = \exp\!\big(\pi^2 / (2\ln(8\lambda_1/\lambda_n - 4))\big)` (Lemma 5.2.1).

    Evaluated through :math:`\ln\kappa = \ln\lambda_1 - \ln\lambda_n`
    (:func:`rho_from_log_kappa`), so a condition number beyond the float64 range cannot
    overflow to ρ = 1.

    Examples
    --------
    >>> rho_thesis(1.0, 1e-300) > 1.0 and rho_thesis(1e300, 1e-300) > 1.0
    True
    """
    return rho_from_log_kappa(math.log(lambda1) - math.log(lambdan))


def rho_from_log_kappa(log_kappa: float) -> float:
    r""":math:`\rho` of Lemma 5.2.1 from :math:`\ln\kappa = \ln(\lambda_1/\lambda_n) \ge 0`:
    :math:`\ln(8\kappa - 4) = \ln 8 + \ln\kappa + \operatorname{log1p}(-e^{-\ln\kappa}/2)`.

    Examples
    --------
    >>> abs(rho_from_log_kappa(math.log(3.0)) - math.exp(math.pi**2 / (2 * math.log(20.0)))) < 1e-15
    True
    """
    lk = max(float(log_kappa), 0.0)
    log_8k_4 = math.log(8.0) + lk + math.log1p(-0.5 * math.exp(-lk))
    return math.exp(math.pi**2 / (2.0 * log_8k_4))


def k_star_thesis(T: int, alpha: float, c: float, n: int) -> float:
    r""":math:`k^* = \min\{\ln(2T\alpha)/(2c),\, n/2\}` (Lemma 5.2.3; the statement prints
    ":math:`\ln(2T\alpha/2c)`", the proof and eq. (5.3.2) use :math:`\ln(2T\alpha)/(2c)`)."""
    return min(math.log(2.0 * T * alpha) / (2.0 * c), n / 2.0)
