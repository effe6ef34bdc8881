r"""Slow, obvious references: sums over t with dense matrix powers, in data or eigen space.

These are what the fast engines are tested against; they are deliberately naive (they form
:math:`K_d^t` by repeated multiplication and sum every term).
"""
from __future__ import annotations

import numpy as np

from hyperribbon.theory.linear_models.problems import LinearGDProblem

__all__ = ["brute_force_pca", "brute_force_k_T"]


def brute_force_k_T(K: np.ndarray, alpha: float, T: int) -> np.ndarray:
    r""":math:`K_T = \frac1T\sum_{t=0}^{T-1}(I-\alpha K)^t` by summation (eq. 5.2.4)."""
    n = K.shape[0]
    Kd = np.eye(n) - alpha * K
    acc, power = np.zeros((n, n)), np.eye(n)
    for _ in range(T):
        acc += power
        power = power @ Kd
    return acc / T


def brute_force_pca(problem: LinearGDProblem) -> dict:
    r"""Every piece of eq. (5.2.5) by summing over t, in K's eigenbasis (K = diag(λ)).

    Returns a dict with ``S1w``, ``S1y`` (summed), ``P1`` (mean), ``P2``, ``P``, ``KT``.
    """
    lam, y, alpha, T = problem.lam, problem.yhat, problem.alpha, problem.T
    n = lam.size
    K = np.diag(lam)
    Kd = np.eye(n) - alpha * K
    S1w, S1y = np.zeros((n, n)), np.zeros((n, n))
    power = np.eye(n)
    yy = np.outer(y, y)
    for _ in range(T):
        S1w += power @ (problem.sigma_w2 * K) @ power
        S1y += power @ yy @ power
        power = power @ Kd
    KT = brute_force_k_T(K, alpha, T)
    m = KT @ y
    P1 = (S1w + S1y) / T
    P2 = np.outer(m, m)
    return {"S1w": S1w, "S1y": S1y, "P1": P1, "P2": P2, "P": P1 - P2, "KT": KT}
