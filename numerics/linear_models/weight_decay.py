r"""Gradient descent with weight decay and its exact reduction to §5.2 (thesis §5.3, "Weight
Decay").

GD on :math:`C(w) + \frac\lambda2\|w\|^2`, :math:`C(w) = \|Xw - y\|^2/(2n)`,

.. math:: w_{t+1} = (1 - \alpha\lambda)w_t - \frac\alpha nX^\top r_t,

moves the residuals :math:`r_t = Xw_t - y` by an *affine* map (with :math:`K = XX^\top/n`,
:math:`K_\lambda = K + \lambda I`):

.. math:: r_{t+1} = (I - \alpha K_\lambda)r_t - \alpha\lambda y, \qquad
   r^* = -\lambda K_\lambda^{-1}y, \qquad r_t - r^* = (I - \alpha K_\lambda)^t(r_0 - r^*).

So §5.2 applies to :math:`\rho_t = r_t - r^*` with :math:`K \to K_\lambda` **and**
:math:`y \to \tilde y = y + r^* = KK_\lambda^{-1}y` (:math:`\rho_0 = Xw_0 - \tilde y`); a constant
shift does not change a covariance, so P(T) of :math:`r_t` is that of :math:`\rho_t`. The thesis
states "K replaced by :math:`K_\lambda = XX^\top + \lambda I`" only: it keeps y (wrong unless
λ = 0) and writes :math:`XX^\top` for the project's :math:`XX^\top/n`. Moreover the initial
covariance stays :math:`\operatorname{Cov}(Xw_0) = \sigma_w^2K = \sigma_w^2(K_\lambda - \lambda I)`,
which is not of the §5.2 form :math:`\sigma_w^2K_\lambda`; :func:`weight_decay_pca_matrix` has the
exact P(T) with it.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X, y = rng.standard_normal((4, 6)), rng.standard_normal(4)
>>> R = simulate_gd_weight_decay(X, y, 0.3, 0.5, 200, np.zeros(6))
>>> K = X @ X.T / 4
>>> bool(np.allclose(R[0, -1], -0.5 * np.linalg.solve(K + 0.5 * np.eye(4), y)))   # r*
True
"""
from __future__ import annotations

import numpy as np

from hyperribbon.theory.linear_models import gd_closed_forms as cf
from hyperribbon.theory._validate import (EPS, as_int, as_nonnegative, as_real_matrix,
                                          as_real_vector, as_weights)
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem

from ._sizes import check_residuals, gd_arguments

from .pca import pca_matrices

__all__ = ["simulate_gd_weight_decay", "weight_decay_problem", "weight_decay_pca_matrix",
           "weight_decay_fixed_point"]

READINGS = ("corrected", "as_printed")


def simulate_gd_weight_decay(X, y, alpha: float, weight_decay: float, T: int,
                             w0) -> np.ndarray:
    r"""Run GD on :math:`C(w) + \frac\lambda2\|w\|^2` from each row of ``w0``; residuals
    :math:`Xw_t - y` (the unregularised prediction minus target), shape (N, T, n).

    .. math:: w_{t+1} = w_t - \alpha\Big(\frac1nX^\top(Xw_t - y) + \lambda w_t\Big)

    Parameters
    ----------
    X : (n, d) array_like
    y : (n,) array_like
    alpha : float
        > 0; converges for :math:`\alpha < 2/(\lambda_1(K) + \lambda)`.
    weight_decay : float
        λ ≥ 0 (λ = 0 is :func:`~hyperribbon.numerics.linear_models.gd.simulate_weight_gd`).
    T : int
    w0 : (N, d) or (d,) array_like

    Examples
    --------
    >>> from hyperribbon.numerics.linear_models.gd import simulate_weight_gd
    >>> rng = np.random.default_rng(1)
    >>> X, y, w0 = rng.standard_normal((3, 5)), rng.standard_normal(3), rng.standard_normal((2, 5))
    >>> bool(np.allclose(simulate_gd_weight_decay(X, y, 0.2, 0.0, 6, w0),
    ...                  simulate_weight_gd(X, y, 0.2, 6, w0)))
    True
    """
    owner = "simulate_gd_weight_decay"
    X, y, alpha, T = gd_arguments(X, y, alpha, T, owner)
    n, d = X.shape
    lam = as_nonnegative(weight_decay, "weight_decay", owner)
    w = as_weights(w0, d, owner)
    check_residuals(w.shape[0], T, n, owner)
    out = np.empty((w.shape[0], T, n))
    for t in range(T):
        r = w @ X.T - y
        out[:, t] = r
        w = w - alpha * ((r @ X) / n + lam * w)
    return out


def weight_decay_fixed_point(X, y, weight_decay: float) -> np.ndarray:
    r"""The limit :math:`r^* = -\lambda(K + \lambda I)^{-1}y` of the weight-decay residuals.

    Examples
    --------
    >>> float(weight_decay_fixed_point(np.array([[1.0]]), [2.0], 1.0)[0])   # -1·(1+1)⁻¹·2
    -1.0
    """
    owner = "weight_decay_fixed_point"
    X = as_real_matrix(X, "X", owner)
    n = X.shape[0]
    y = as_real_vector(y, "y", owner, length=n)
    lam = as_nonnegative(weight_decay, "weight_decay", owner)
    if lam == 0:
        return np.zeros(n)
    return -lam * np.linalg.solve(X @ X.T / n + lam * np.eye(n), y)


def _eig(X, y, lam, owner):
    X = as_real_matrix(X, "X", owner)
    n = X.shape[0]
    y = as_real_vector(y, "y", owner, length=n)
    lam = as_nonnegative(lam, "weight_decay", owner)
    ev, U = np.linalg.eigh(X @ X.T / n)
    ev, U = np.clip(ev[::-1], 0.0, None), U[:, ::-1].copy()
    return X, y, lam, ev, U


def weight_decay_problem(X, y, alpha: float, weight_decay: float, T: int, *,
                         init_variance: float = 0.0,
                         reading: str = "corrected") -> LinearGDProblem:
    r"""The §5.2 problem of weight-decay GD: spectrum of :math:`K_\lambda = XX^\top/n + \lambda I`,
    targets :math:`\tilde y = K K_\lambda^{-1}y` (``reading="corrected"``).

    ``reading="as_printed"`` is the thesis's literal statement (K → :math:`K_\lambda`, y kept),
    for errata and comparison; it does not describe weight-decay GD unless λ = 0.

    Parameters
    ----------
    X : (n, d) array_like
    y : (n,) array_like
    alpha : float
        In :math:`(0, 2/(\lambda_1(K) + \lambda))` (validated by :class:`LinearGDProblem`).
    weight_decay : float
        λ ≥ 0; K may be singular (d < n) when λ > 0.
    T : int
    init_variance : float
        Per-weight variance v of :math:`w_0 \sim N(0, vI_d)`; the problem's ``sigma_w2`` is
        :math:`nv`.
    reading : {"corrected", "as_printed"}

    Returns
    -------
    LinearGDProblem
        With its eigenbasis (``basis``), so results map to data space. Its P(T) is *exact* for
        ``init_variance = 0``. For v > 0 its initial covariance reads :math:`\sigma_w^2K_\lambda`
        where weight decay has :math:`\sigma_w^2K`: the problem over-states the PCA matrix by
        the PSD term :math:`\frac{\sigma_w^2\lambda}{T}\sum_t K_{\lambda,d}^{2t}`, so its P1(T)
        eigenvalues are upper bounds (Loewner order); :func:`weight_decay_pca_matrix` is exact.

    Examples
    --------
    Zero initialisation: one trajectory, whose time covariance is the problem's P(T).

    >>> from hyperribbon.numerics.linear_models.gd import empirical_pca_matrix
    >>> rng = np.random.default_rng(2)
    >>> X, y = rng.standard_normal((5, 3)), rng.standard_normal(5)     # d < n: K singular
    >>> p = weight_decay_problem(X, y, 0.3, 0.2, 40)
    >>> m = pca_matrices(p)
    >>> R = simulate_gd_weight_decay(X, y, 0.3, 0.2, 40, np.zeros(3))
    >>> bool(np.allclose(m.in_data_basis(m.P()), empirical_pca_matrix(R), atol=1e-13))
    True
    """
    owner = "weight_decay_problem"
    if reading not in READINGS:
        raise InvalidArgument("reading", owner, f"be one of {READINGS}", reading)
    X, y, lam, ev, U = _eig(X, y, weight_decay, owner)
    v = as_nonnegative(init_variance, "init_variance", owner)
    yhat = U.T @ y
    if reading == "corrected":
        yhat = ev / (ev + lam) * yhat if lam > 0 else yhat
    floor = ev.size * EPS * max(ev[0], 0.0)
    if ev[-1] + lam <= floor:
        raise InvalidArgument("weight_decay", owner,
                              "be > 0 when K = XXᵀ/n is singular (K_λ must be positive "
                              f"definite; λn(K) = {ev[-1]:.3g} is below the float64 floor "
                              f"{floor:.3g})", lam)
    return LinearGDProblem(lam=ev + lam, yhat=yhat, alpha=alpha, T=T,
                           sigma_w2=X.shape[0] * v, basis=U)


def weight_decay_pca_matrix(X, y, alpha: float, weight_decay: float, T: int, *,
                            init_variance: float = 0.0, N: int | None = None) -> np.ndarray:
    r"""Exact PCA matrix P(T) (eq. 5.2.5, mean normalisation) of weight-decay GD from
    :math:`w_0 \sim N(0, vI_d)`, in data space, shape (n, n).

    .. math:: P(T) = \frac1T\sum_{t<T}K_{\lambda,d}^t\big(\sigma_w^2K + \tilde y\tilde
       y^\top\big)K_{\lambda,d}^t - K_T\tilde y\tilde y^\top K_T,

    :math:`\sigma_w^2 = nv`, :math:`K_{\lambda,d} = I - \alpha K_\lambda`, :math:`K_T` that of
    :math:`K_\lambda` (eq. 5.2.4): the target part is :func:`weight_decay_problem`'s, the
    initialisation part has eigenvalues :math:`\sigma_w^2\lambda_i\sum_t a_i^{2t}/T` with
    :math:`\lambda_i` of K and :math:`a_i = 1 - \alpha(\lambda_i + \lambda)`. With ``N`` the
    expectation of the empirical P(N, T) of N runs,
    :math:`P(T) - \frac{\sigma_w^2}{N}K_TKK_T`, is returned instead.

    Examples
    --------
    >>> X = np.array([[1.0]])
    >>> P = weight_decay_pca_matrix(X, [1.0], 0.5, 1.0, 2)     # r = -1, -1/2
    >>> float(P[0, 0])
    0.0625
    """
    owner = "weight_decay_pca_matrix"
    X, y, lam, ev, U = _eig(X, y, weight_decay, owner)
    v = as_nonnegative(init_variance, "init_variance", owner)
    p = weight_decay_problem(X, y, alpha, lam, T, init_variance=0.0)
    m = pca_matrices(p)
    sigma_w2 = X.shape[0] * v
    s = p.alpha * p.lam                                    # α(λ_i + λ), descending like ev
    init = cf.sigma_w_eigenvalues(s, p.alpha, sigma_w2, p.T) * ev / p.lam / p.T
    P = m.P() + np.diag(init)
    if N is not None:
        N = as_int(N, "N", owner, minimum=1)
        P = P - np.diag(sigma_w2 * m.kT * ev * m.kT / N)
    P = m.in_data_basis(P)
    return 0.5 * (P + P.T)
