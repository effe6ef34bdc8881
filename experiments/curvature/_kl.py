r"""Bernoulli KL divergence and its upper inverse (used by the PAC-Bayes bounds).

.. math:: \mathrm{kl}(q\|p) = q\log\frac{q}{p} + (1-q)\log\frac{1-q}{1-p},\qquad
          \mathrm{kl}^{-1}(q, C) = \sup\{p \in [q, 1] : \mathrm{kl}(q\|p) \le C\}.
"""
from __future__ import annotations

import math

from hyperribbon.theory import InvalidArgument

__all__ = ["kl_bernoulli", "kl_inverse_upper"]


def kl_bernoulli(q: float, p: float) -> float:
    """kl(q‖p) in nats, with 0·log 0 = 0 and +inf where p ∈ {0, 1} and q ≠ p."""
    q, p = float(q), float(p)
    out = 0.0
    if q > 0:
        out += q * math.log(q / p) if p > 0 else math.inf
    if q < 1:
        out += (1 - q) * math.log((1 - q) / (1 - p)) if p < 1 else math.inf
    return out


def kl_inverse_upper(q: float, C: float, iterations: int = 200) -> float:
    """The largest p ∈ [q, 1] with kl(q‖p) ≤ C, by bisection; rounded *up* (the returned value
    is an upper bound of the exact inverse, never below it).

    Examples
    --------
    >>> p = kl_inverse_upper(0.1, 0.05)
    >>> abs(kl_bernoulli(0.1, p) - 0.05) < 1e-12 and p > 0.1
    True
    >>> kl_inverse_upper(0.3, 0.0), kl_inverse_upper(0.0, 100.0)
    (0.3, 1.0)
    """
    q, C = float(q), float(C)
    if not (0.0 <= q <= 1.0):
        raise InvalidArgument("q", "kl_inverse_upper", "be in [0, 1]", q)
    if not (C >= 0.0):
        raise InvalidArgument("C", "kl_inverse_upper", "be ≥ 0", C)
    if C == 0.0 or q == 1.0:
        return q
    if kl_bernoulli(q, 1.0) <= C:
        return 1.0
    lo, hi = q, 1.0
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if kl_bernoulli(q, mid) <= C:
            lo = mid
        else:
            hi = mid
    return hi
