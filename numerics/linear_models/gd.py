r"""Monte-Carlo simulators of gradient-descent ensembles and the empirical PCA matrix P(N, T).

These run the actual dynamics (in weight space or in residual space) for N random
initialisations, vectorised over the ensemble, so that the exact engine of
:mod:`hyperribbon.numerics.linear_models.pca` can be checked against real trajectories.

Examples
--------
>>> from hyperribbon.theory.linear_models.problems import LinearGDProblem
>>> p = LinearGDProblem.sloppy(n=5, c=0.5, T=10, sigma_w2=0.5, seed=0)
>>> traj = simulate_residuals(p, N=4, seed=1)
>>> traj.shape
(4, 10, 5)
>>> bool(np.allclose(traj[:, 1], traj[:, 0] * (1 - p.s)))   # r_1 = (I - αK) r_0
True
"""
from __future__ import annotations

import numpy as np

from hyperribbon.theory._validate import (as_float64_array, as_int, as_real_matrix, as_real_vector,
                                          as_weights)
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem

from ._sizes import check_residuals, steps_bar

__all__ = ["simulate_residuals", "simulate_weight_gd", "empirical_pca_matrix",
           "expected_empirical_pca_correction", "synthetic_data"]


def simulate_residuals(problem: LinearGDProblem, N: int, seed: int = 0) -> np.ndarray:
    r"""(N, T, n) residual trajectories in K's eigenbasis from N random initialisations
    (closed form :math:`\hat r_t = (1 - \alpha\lambda)^t \odot \hat r_0`, no loop over t; the
    (N, T, n) array is checked against the allocation limit first, a named error on ``T``).

    :math:`\hat r_0 = \sigma_w\sqrt{\lambda}\odot z - \hat y` with :math:`z \sim N(0, I)`, so that
    :math:`E[r_0] = -y` and :math:`E[r_0r_0^\top] = \sigma_w^2K + yy^\top` (§5.2.1); then
    :math:`\hat r_{t+1} = (1 - \alpha\lambda)\odot\hat r_t`.
    """
    owner = "simulate_residuals"
    if not isinstance(problem, LinearGDProblem):
        raise InvalidArgument("problem", owner, "be a LinearGDProblem", type(problem).__name__)
    N = as_int(N, "N", owner, minimum=1)
    check_residuals(N, problem.T, problem.n, owner)
    rng = np.random.default_rng(as_int(seed, "seed", owner, minimum=0))
    r = np.sqrt(problem.sigma_w2 * problem.lam) * rng.standard_normal((N, problem.n)) \
        - problem.yhat
    a = 1.0 - problem.s
    # the closed form r_t = a^t ⊙ r_0 (no T-step loop); each power to ~1 ulp
    powers = a[None, :] ** np.arange(problem.T, dtype=float)[:, None]      # (T, n)
    return r[:, None, :] * powers[None, :, :]


def simulate_weight_gd(X, y, alpha: float, T: int, w0) -> np.ndarray:
    r"""Run :math:`w_{t+1} = w_t - \alpha\nabla C(w_t)`, :math:`C = \frac{1}{2n}\|Xw-y\|^2`
    (eq. 5.2.1), from each row of ``w0``; return residuals :math:`Xw_t - y`, shape (N, T, n)."""
    owner = "simulate_weight_gd"
    X = as_real_matrix(X, "X", owner)
    n, d = X.shape
    y = as_real_vector(y, "y", owner, length=n)
    w = as_weights(w0, d, owner)
    T = as_int(T, "T", owner, minimum=1)
    check_residuals(w.shape[0], T, n, owner)
    out = np.empty((w.shape[0], T, n))
    bar = steps_bar(T, float(T) * w.shape[0] * n * d * 2, "weight-space GD")
    for t in range(T):
        r = w @ X.T - y
        out[:, t] = r
        w = w - alpha * (r @ X) / n
        bar.update(1)
    bar.close()
    return out


def empirical_pca_matrix(trajectories) -> np.ndarray:
    r"""P(N, T) of eq. (5.2.3): the covariance (1/(NT) normalisation) of all points of all
    trajectories; ``trajectories`` has shape (N, T, n)."""
    R = as_float64_array(trajectories, "trajectories", "empirical_pca_matrix")
    if R.ndim != 3:
        raise InvalidArgument("trajectories", "empirical_pca_matrix",
                              "have shape (N, T, n)", R)
    pts = R.reshape(-1, R.shape[-1])
    centred = pts - pts.mean(axis=0)
    return centred.T @ centred / pts.shape[0]


def expected_empirical_pca_correction(problem: LinearGDProblem, N: int) -> np.ndarray:
    r"""Diagonal of :math:`E[P(N,T)] - P(T) = -\frac{\sigma_w^2}{N}K_TKK_T` (eigenbasis).

    The empirical mean :math:`\bar r` of N trajectories carries the variance of the mean of the
    initialisations, so :math:`E[P(N,T)]` falls short of its limit by this term.
    """
    from hyperribbon.theory.linear_models.gd_closed_forms import k_T_diagonal
    kT = k_T_diagonal(problem.s, problem.T)
    return -(problem.sigma_w2 / N) * kT * problem.lam * kT


def synthetic_data(problem: LinearGDProblem, d: int | None = None, seed: int = 0):
    r"""Data :math:`X` (n × d, d ≥ n) and :math:`w^*` with :math:`XX^\top/n = U\Lambda U^\top`
    equal to the problem's K (U = its basis or a random rotation) and :math:`Xw^* = y`.

    Returns ``(X, w_star, U)``.
    """
    n = problem.n
    d = n if d is None else as_int(d, "d", "synthetic_data", minimum=n)
    rng = np.random.default_rng(as_int(seed, "seed", "synthetic_data", minimum=0))
    U = problem.basis if problem.basis is not None else \
        np.linalg.qr(rng.standard_normal((n, n)))[0]
    V = np.linalg.qr(rng.standard_normal((d, d)))[0][:, :n]
    S = np.sqrt(n * problem.lam)
    X = (U * S) @ V.T
    y = U @ problem.yhat
    w_star = V @ ((U.T @ y) / S)
    return X, w_star, U
