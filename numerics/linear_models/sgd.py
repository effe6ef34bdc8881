r"""Stochastic gradient descent on linear regression: real minibatch SGD, the thesis's Langevin
model (eq. 5.3.1), and the exact second moments of both (thesis §5.3, "Stochastic Gradient
Descent").

Conventions (those of the project): rows of :math:`X \in \mathbb{R}^{n\times d}` are the inputs,
:math:`K = XX^\top/n`, :math:`C(w) = \|Xw-y\|^2/(2n)`, :math:`\nabla C = X^\top r/n` with the
residual :math:`r = Xw - y`, :math:`K_d = I - \alpha K`. Initialisations are described in
*prediction space*: :math:`w_0 \sim N(\bar w_0, (\sigma_w^2/n) I_d)` has
:math:`\operatorname{Cov}(Xw_0) = \sigma_w^2 K` (see :func:`draw_initial_weights`).

Real minibatch SGD
------------------
:math:`w_{t+1} = w_t - \frac{\alpha}{b}\sum_{i\in B_t} r_i x_i`, which is the thesis's
:math:`w_{t+1} = w_t - \frac{\alpha}{2b}\partial_w\sum_{k=1}^b r_{\omega_k}^2`. With
:math:`\hat g` the minibatch gradient and :math:`g = X^\top r/n`,

.. math:: E[\hat g\mid w] = g, \qquad \operatorname{Cov}(\hat g\mid w) = \frac{c_{fp}}{b}
   \Big[\frac1n\sum_i r_i^2 x_ix_i^\top - gg^\top\Big],

with :math:`c_{fp} = 1` (indices drawn with replacement) or the finite-population factor
:math:`c_{fp} = (n-b)/(n-1)` (a uniformly random subset of size b). Because
:math:`Xx_i = nKe_i` and :math:`Xg = Kr`, the residual obeys :math:`E[r_{t+1}\mid r_t] = K_dr_t` and

.. math:: M_{t+1} = K_d M_t K_d + \frac{\alpha^2 c_{fp}}{b}\Big[n\,K\operatorname{diag}(M_t)K -
   KM_tK\Big], \qquad M_t = E[r_tr_t^\top],

a closed *linear* recursion for the raw second moment (the state dependence of the noise enters
only through :math:`M_t`, so no higher moments are needed), while :math:`E[r_t] = K_d^tE[r_0]`
follows GD.

Langevin model (eq. 5.3.1)
--------------------------
:math:`w_{t+1} = w_t - \alpha\nabla C(w_t) + (\alpha/\sqrt b)\xi_t`, :math:`\xi_t \sim N(0, D)`,
gives :math:`M_{t+1} = K_dM_tK_d + (\alpha^2/b)XDX^\top`. For the thesis's
:math:`D = X^\top X/n - \bar x^\top\bar x` one has :math:`XDX^\top = nK^2 - K\mathbf 1\mathbf
1^\top K`, not the :math:`K^2` printed in the thesis (see :func:`thesis_noise_covariance`).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X, y = rng.standard_normal((6, 4)), rng.standard_normal(6)
>>> w0 = draw_initial_weights(3, X, sigma_w2=0.5, seed=1)
>>> R = simulate_sgd(X, y, 0.1, 5, w0, batch_size=6, replacement=False)
>>> from hyperribbon.numerics.linear_models.gd import simulate_weight_gd
>>> bool(np.array_equal(R, simulate_weight_gd(X, y, 0.1, 5, w0)))   # b = n: full-batch GD
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hyperribbon.theory._validate import (as_float64_array, as_int, as_nonnegative, as_positive,
                                          as_real_matrix, as_real_vector, as_weights, psd_factor)
from hyperribbon.theory.errors import InvalidArgument

from ._sizes import check_residuals, check_trajectories, gd_arguments, steps_bar

__all__ = ["simulate_sgd", "simulate_langevin", "thesis_noise_covariance", "sgd_moments",
           "sgd_second_moment_radius", "langevin_moments", "ResidualMoments",
           "draw_initial_weights", "empirical_pca_standard_error"]


def _batch(batch_size, n: int, owner: str) -> int:
    b = as_int(batch_size, "batch_size", owner, minimum=1)
    if b > n:
        raise InvalidArgument("batch_size", owner, f"be in [1, n] = [1, {n}]", b)
    return b


def _finite_population_factor(n: int, b: int, replacement: bool) -> float:
    if replacement:
        return 1.0
    return 0.0 if b == n else (n - b) / (n - 1)


# ---------------------------------------------------------------- initialisations
def draw_initial_weights(N: int, X, sigma_w2: float, *, mean=None, seed: int = 0) -> np.ndarray:
    r"""N initial weight vectors :math:`w_0 \sim N(\bar w_0, (\sigma_w^2/n)I_d)`, shape (N, d).

    The per-weight variance :math:`\sigma_w^2/n` makes :math:`\operatorname{Cov}(Xw_0) =
    \sigma_w^2K` with :math:`K = XX^\top/n`: ``sigma_w2`` is the project's *prediction-space*
    variance, the one :func:`sgd_moments` and :func:`langevin_moments` take.

    Parameters
    ----------
    N : int
        Ensemble size.
    X : (n, d) array_like
        Inputs (only the shape is used).
    sigma_w2 : float
        :math:`\sigma_w^2 \ge 0`.
    mean : (d,) array_like, optional
        :math:`\bar w_0` (default 0).
    seed : int

    Examples
    --------
    >>> X = np.ones((4, 3))
    >>> w = draw_initial_weights(200_000, X, sigma_w2=2.0, seed=0)
    >>> w.shape, bool(abs(w.var() - 2.0 / 4) < 0.01)
    ((200000, 3), True)
    """
    owner = "draw_initial_weights"
    N = as_int(N, "N", owner, minimum=1)
    X = as_real_matrix(X, "X", owner)
    n, d = X.shape
    sigma_w2 = as_nonnegative(sigma_w2, "sigma_w2", owner)
    mean = np.zeros(d) if mean is None else as_real_vector(mean, "mean", owner, length=d)
    rng = np.random.default_rng(as_int(seed, "seed", owner, minimum=0))
    return mean + math.sqrt(sigma_w2 / n) * rng.standard_normal((N, d))


# ---------------------------------------------------------------- simulators
def simulate_sgd(X, y, alpha: float, T: int, w0, batch_size: int, *, replacement: bool = True,
                 seed: int = 0) -> np.ndarray:
    r"""Real minibatch SGD on :math:`C(w) = \|Xw-y\|^2/(2n)` from each row of ``w0``.

    .. math:: w_{t+1} = w_t - \frac{\alpha}{b}\sum_{i\in B_t} r_i(w_t)\,x_i

    (thesis §5.3, :math:`w - \frac{\alpha}{2b}\partial_w\sum_k r_{\omega_k}^2`). Every ensemble
    member draws its own batches, independently at every step:

    * ``replacement=True``: b indices i.i.d. uniform on {1..n} (the thesis's
      :math:`\omega_k`); an index drawn twice counts twice;
    * ``replacement=False``: a fresh uniformly random subset of size b at every step (no
      epochs: successive batches are independent). ``batch_size = n`` is then full-batch GD,
      bit for bit equal to :func:`~hyperribbon.numerics.linear_models.gd.simulate_weight_gd`.

    Parameters
    ----------
    X : (n, d) array_like
    y : (n,) array_like
    alpha : float
        Step size, > 0.
    T : int
        Number of iterates recorded, t = 0..T-1.
    w0 : (N, d) or (d,) array_like
        Initial weights (see :func:`draw_initial_weights`).
    batch_size : int
        b in [1, n].
    replacement : bool
    seed : int
        Seed of the batch draws (``numpy.random.default_rng``).

    Returns
    -------
    (N, T, n) ndarray
        Residuals :math:`r_t = Xw_t - y`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((5, 3)), rng.standard_normal(5)
    >>> R = simulate_sgd(X, y, 0.2, 4, np.zeros((2, 3)), batch_size=1, seed=3)
    >>> R.shape
    (2, 4, 5)
    >>> # b = 1: one step is r ← r - α n K e_i r_i for the one sampled index i
    >>> K = X @ X.T / 5
    >>> any(np.allclose(R[0, 1], R[0, 0] - 0.2 * 5 * K[:, i] * R[0, 0, i]) for i in range(5))
    True
    """
    owner = "simulate_sgd"
    X, y, alpha, T = gd_arguments(X, y, alpha, T, owner)
    n, d = X.shape
    w = as_weights(w0, d, owner)
    b = _batch(batch_size, n, owner)
    if not isinstance(replacement, (bool, np.bool_)):
        raise InvalidArgument("replacement", owner, "be a boolean", replacement)
    rng = np.random.default_rng(as_int(seed, "seed", owner, minimum=0))
    N = w.shape[0]
    check_residuals(N, T, n, owner)
    pvals = np.full(n, 1.0 / n)
    rows = np.arange(N)[:, None]
    out = np.empty((N, T, n))
    bar = steps_bar(T, float(T) * N * n * d * 2, "minibatch SGD")
    for t in range(T):
        bar.update(1)
        r = w @ X.T - y
        out[:, t] = r
        if t == T - 1:
            break
        if replacement:
            counts = rng.multinomial(b, pvals, size=N).astype(float)
        elif b == n:
            counts = np.ones((N, n))
        else:
            chosen = np.argpartition(rng.random((N, n)), b - 1, axis=1)[:, :b]
            counts = np.zeros((N, n))
            counts[rows, chosen] = 1.0
        w = w - alpha * ((counts * r) @ X) / b
    bar.close()
    return out


def simulate_langevin(X, y, alpha: float, T: int, w0, batch_size: int, noise_cov, *,
                      seed: int = 0) -> np.ndarray:
    r"""The thesis's Langevin model of SGD, eq. (5.3.1), from each row of ``w0``.

    .. math:: w_{t+1} = w_t - \alpha\nabla C(w_t) + \frac{\alpha}{\sqrt b}\,\xi_t, \qquad
       \xi_t \sim N(0, D) \text{ i.i.d.}

    with :math:`\nabla C = X^\top r/n`. The thesis takes
    :math:`D =` :func:`thesis_noise_covariance` (X); any symmetric PSD (d, d) matrix is accepted.

    Parameters
    ----------
    X : (n, d) array_like
    y : (n,) array_like
    alpha : float
        > 0.
    T : int
        Iterates recorded, t = 0..T-1.
    w0 : (N, d) or (d,) array_like
    batch_size : int
        b ≥ 1 (only scales the noise; b ≤ n is required for consistency with SGD).
    noise_cov : (d, d) array_like
        D, symmetric positive semi-definite.
    seed : int

    Returns
    -------
    (N, T, n) ndarray
        Residuals :math:`r_t = Xw_t - y`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((4, 3)), rng.standard_normal(4)
    >>> R = simulate_langevin(X, y, 0.1, 3, np.zeros(3), 2, np.zeros((3, 3)))
    >>> from hyperribbon.numerics.linear_models.gd import simulate_weight_gd
    >>> bool(np.allclose(R, simulate_weight_gd(X, y, 0.1, 3, np.zeros((1, 3)))))  # D = 0: GD
    True
    """
    owner = "simulate_langevin"
    X, y, alpha, T = gd_arguments(X, y, alpha, T, owner)
    n, d = X.shape
    w = as_weights(w0, d, owner)
    b = _batch(batch_size, n, owner)
    D = as_real_matrix(noise_cov, "noise_cov", owner, shape=(d, d))
    F = psd_factor(D, "noise_cov", owner)
    rng = np.random.default_rng(as_int(seed, "seed", owner, minimum=0))
    N = w.shape[0]
    check_residuals(N, T, n, owner)
    scale = alpha / math.sqrt(b)
    out = np.empty((N, T, n))
    bar = steps_bar(T, float(T) * N * (n + d) * d * 2, "Langevin model")
    for t in range(T):
        bar.update(1)
        r = w @ X.T - y
        out[:, t] = r
        if t == T - 1:
            break
        xi = rng.standard_normal((N, d)) @ F.T
        w = w - alpha * (r @ X) / n + scale * xi
    bar.close()
    return out


def thesis_noise_covariance(X) -> np.ndarray:
    r"""The thesis's noise covariance :math:`D = X^\top X/n - \bar x^\top\bar x`, shape (d, d).

    :math:`\bar x = \frac1n\sum_i x_i` is the mean row (Chaudhari and Soatto, 2018; thesis after
    eq. 5.3.1): the covariance of the inputs. In residual space the Langevin noise then has
    covariance :math:`(\alpha^2/b)XDX^\top = (\alpha^2/b)(nK^2 - K\mathbf 1\mathbf 1^\top K)`;
    the thesis prints :math:`(\alpha^2/b)XX^\top XX^\top = (\alpha^2/b)K^2`, which drops both
    the factor n (:math:`XX^\top XX^\top = n^2K^2`, and D carries 1/n) and the centring term.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = rng.standard_normal((5, 3))
    >>> D = thesis_noise_covariance(X)
    >>> bool(np.allclose(D, np.cov(X, rowvar=False, bias=True)))
    True
    >>> K, one = X @ X.T / 5, np.ones(5)
    >>> bool(np.allclose(X @ D @ X.T, 5 * K @ K - np.outer(K @ one, K @ one)))
    True
    """
    X = as_real_matrix(X, "X", "thesis_noise_covariance")
    # formed from the SVD of the centred inputs, D = V (S²/n) Vᵀ: no cancellation between XᵀX/n
    # and x̄ᵀx̄ (inputs with a large mean), and PSD to the d×d reconstruction's rounding only,
    # whatever n is, so the simulators' PSD check (noise_cov) always accepts it
    Xc = X - X.mean(axis=0)
    _, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    D = (Vt.T * (S * S / X.shape[0])) @ Vt
    return 0.5 * (D + D.T)


# ---------------------------------------------------------------- exact moments
@dataclass(frozen=True)
class ResidualMoments:
    r"""Exact first and second moments of an ensemble of residual trajectories, t = 0..T-1.

    Valid for any dynamics :math:`r_{t+1} = K_dr_t + c + \eta_t` with :math:`E[\eta_t\mid
    r_0..r_t] = 0` (GD, SGD, Langevin, weight decay).

    Attributes
    ----------
    mean : (T, n) ndarray
        :math:`m_t = E[r_t]`.
    second : (T, n, n) ndarray
        :math:`M_t = E[r_tr_t^\top]`.
    Kd : (n, n) ndarray
        The mean propagator :math:`K_d`, used for the lagged covariances
        :math:`\operatorname{Cov}(r_t, r_s) = K_d^{t-s}\operatorname{Cov}(r_s)` (t ≥ s).
    """

    mean: np.ndarray
    second: np.ndarray
    Kd: np.ndarray

    @property
    def T(self) -> int:
        return int(self.mean.shape[0])

    def covariance(self) -> np.ndarray:
        r"""(T, n, n) :math:`C_t = M_t - m_tm_t^\top`."""
        return self.second - np.einsum("ti,tj->tij", self.mean, self.mean)

    def pca_matrix(self) -> np.ndarray:
        r"""The exact expected PCA matrix (N → ∞ limit of eq. 5.2.3), mean normalisation.

        .. math:: P(T) = \frac1T\sum_{t<T}E[r_tr_t^\top] - \bar m\bar m^\top, \qquad
           \bar m = \frac1T\sum_{t<T}E[r_t].
        """
        mbar = self.mean.mean(axis=0)
        return self.second.mean(axis=0) - np.outer(mbar, mbar)

    def expected_empirical_pca_matrix(self, N: int) -> np.ndarray:
        r""":math:`E[P(N,T)] = P(T) - \frac1N\operatorname{Cov}(\bar r^{(i)})` for N independent
        trajectories, :math:`\bar r^{(i)} = \frac1T\sum_t r^{(i)}_t` (the empirical mean of
        :func:`~hyperribbon.numerics.linear_models.gd.empirical_pca_matrix` carries this variance), with

        .. math:: T^2\operatorname{Cov}(\bar r^{(i)}) = \sum_s \big(S_sC_s + C_sS_s^\top -
           C_s\big), \qquad S_s = \sum_{j=0}^{T-1-s}K_d^j.
        """
        N = as_int(N, "N", "ResidualMoments.expected_empirical_pca_matrix", minimum=1)
        C = self.covariance()
        n = self.Kd.shape[0]
        S = np.eye(n)
        acc = np.zeros((n, n))
        for s in range(self.T - 1, -1, -1):
            if s < self.T - 1:
                S = np.eye(n) + self.Kd @ S
            acc += S @ C[s] + C[s] @ S.T - C[s]
        return self.pca_matrix() - acc / (self.T**2 * N)


def _initial_moments(X, y, sigma_w2, w0_mean, owner):
    n, d = X.shape
    sigma_w2 = as_nonnegative(sigma_w2, "sigma_w2", owner)
    wbar = np.zeros(d) if w0_mean is None else as_real_vector(w0_mean, "w0_mean", owner, length=d)
    K = X @ X.T / n
    m0 = X @ wbar - y
    return K, m0, sigma_w2 * K + np.outer(m0, m0)


def _propagate(K, alpha, T, m0, M0, noise, owner) -> ResidualMoments:
    n = K.shape[0]
    check_trajectories((T, n, n), owner, value=T, what="second moments (T, n, n)")
    Kd = np.eye(n) - alpha * K
    mean, second = np.empty((T, n)), np.empty((T, n, n))
    m, M = m0, M0
    for t in range(T):
        mean[t], second[t] = m, M
        if t == T - 1:
            break
        m = Kd @ m
        M_next = Kd @ M @ Kd + noise(M)
        M = 0.5 * (M_next + M_next.T)
    return ResidualMoments(mean=mean, second=second, Kd=Kd)


def sgd_moments(X, y, alpha: float, T: int, batch_size: int, *, replacement: bool = True,
                sigma_w2: float = 0.0, w0_mean=None) -> ResidualMoments:
    r"""Exact :math:`E[r_t]` and :math:`E[r_tr_t^\top]` of real minibatch SGD
    (:func:`simulate_sgd`) from :math:`w_0 \sim N(\bar w_0, (\sigma_w^2/n)I_d)`.

    .. math:: m_{t+1} = K_dm_t, \qquad M_{t+1} = K_dM_tK_d + \frac{\alpha^2c_{fp}}{b}\Big[
       n\sum_i (M_t)_{ii}\,Ke_ie_i^\top K - KM_tK\Big],

    :math:`m_0 = X\bar w_0 - y`, :math:`M_0 = \sigma_w^2K + m_0m_0^\top`, :math:`c_{fp} = 1`
    with replacement and :math:`(n-b)/(n-1)` without (derivation in the module docstring).
    The Gaussian initialisation only enters through its first two moments. The mean converges
    for :math:`\alpha < 2/\lambda_1(K)`, the second moment only if the linear map
    :math:`M_t \mapsto M_{t+1}` contracts (:func:`sgd_second_moment_radius` < 1), a stricter
    condition for small batches.

    Parameters
    ----------
    X : (n, d) array_like
    y : (n,) array_like
    alpha : float
    T : int
    batch_size : int
        b in [1, n].
    replacement : bool
    sigma_w2 : float
        Prediction-space initialisation variance (:math:`\operatorname{Cov}(Xw_0) =
        \sigma_w^2K`).
    w0_mean : (d,) array_like, optional
        :math:`\bar w_0` (default 0).

    Returns
    -------
    ResidualMoments

    Examples
    --------
    Brute force for n = 2, b = 1, one step from a fixed :math:`w_0`: average over the two
    equally likely batches.

    >>> X, y = np.array([[1.0, 0.5], [0.2, 1.0]]), np.array([1.0, -1.0])
    >>> mom = sgd_moments(X, y, 0.3, 2, 1)
    >>> r0 = -y
    >>> steps = [r0 - 0.3 * X @ (r0[i] * X[i]) for i in range(2)]
    >>> bool(np.allclose(mom.second[1], sum(np.outer(s, s) for s in steps) / 2))
    True
    """
    owner = "sgd_moments"
    X, y, alpha, T = gd_arguments(X, y, alpha, T, owner)
    n = X.shape[0]
    b = _batch(batch_size, n, owner)
    if not isinstance(replacement, (bool, np.bool_)):
        raise InvalidArgument("replacement", owner, "be a boolean", replacement)
    K, m0, M0 = _initial_moments(X, y, sigma_w2, w0_mean, owner)
    coef = alpha**2 * _finite_population_factor(n, b, bool(replacement)) / b

    def noise(M):
        if coef == 0.0:
            return 0.0
        return coef * (n * (K * np.diag(M)) @ K - K @ M @ K)

    return _propagate(K, alpha, T, m0, M0, noise, owner)


def sgd_second_moment_radius(X, alpha: float, batch_size: int, *,
                             replacement: bool = True) -> float:
    r"""Spectral radius of the SGD second-moment map on symmetric matrices,

    .. math:: \mathcal L(M) = K_dMK_d + \frac{\alpha^2c_{fp}}{b}\big[nK\operatorname{diag}(M)K
       - KMK\big]

    (:func:`sgd_moments`). :math:`E[r_tr_t^\top]` of real SGD stays bounded iff it is ≤ 1 (the
    map preserves the PSD cone, so its spectral radius is its growth rate); for b = n without
    replacement it is :math:`\max_i(1-\alpha\lambda_i)^2`, GD's. Dense: the map is assembled
    on the n(n+1)/2 symmetric basis matrices (fine up to n ≈ 60).

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((5, 8))
    >>> lam = np.linalg.eigvalsh(X @ X.T / 5); alpha = 0.5 / lam.max()
    >>> gd = sgd_second_moment_radius(X, alpha, 5, replacement=False)
    >>> bool(np.isclose(gd, max((1 - alpha * lam) ** 2)))
    True
    >>> bool(sgd_second_moment_radius(X, alpha, 1) > gd)      # b = 1 adds noise
    True
    """
    owner = "sgd_second_moment_radius"
    X = as_real_matrix(X, "X", owner)
    n = X.shape[0]
    alpha = as_positive(alpha, "alpha", owner)
    b = _batch(batch_size, n, owner)
    if not isinstance(replacement, (bool, np.bool_)):
        raise InvalidArgument("replacement", owner, "be a boolean", replacement)
    check_trajectories((n * (n + 1) // 2, n, n), owner, argument="X", value=X,
                       what="images of the n(n+1)/2 symmetric basis matrices (n = rows of X)")
    K = X @ X.T / n
    Kd = np.eye(n) - alpha * K
    coef = alpha**2 * _finite_population_factor(n, b, bool(replacement)) / b
    iu = np.triu_indices(n)
    basis = np.zeros((iu[0].size, n, n))
    idx = np.arange(iu[0].size)
    basis[idx, iu[0], iu[1]] = 1.0
    basis[idx, iu[1], iu[0]] = 1.0
    image = Kd @ basis @ Kd
    if coef:
        diag = np.einsum("kii->ki", basis)
        image += coef * (n * np.einsum("ij,kj,jl->kil", K, diag, K) - K @ basis @ K)
    # coordinates of a symmetric matrix in the basis: its upper-triangular entries
    L = image[:, iu[0], iu[1]].T
    return float(np.max(np.abs(np.linalg.eigvals(L))))


def langevin_moments(X, y, alpha: float, T: int, batch_size: int, noise_cov, *,
                     sigma_w2: float = 0.0, w0_mean=None) -> ResidualMoments:
    r"""Exact :math:`E[r_t]` and :math:`E[r_tr_t^\top]` of the Langevin model
    (:func:`simulate_langevin`, eq. 5.3.1) from :math:`w_0 \sim N(\bar w_0, (\sigma_w^2/n)I_d)`.

    .. math:: m_{t+1} = K_dm_t, \qquad M_{t+1} = K_dM_tK_d + \frac{\alpha^2}{b}XDX^\top

    (the thesis's recursion after eq. 5.3.1, with :math:`XDX^\top` kept as it is; for the
    thesis's D it equals :math:`nK^2 - K\mathbf 1\mathbf 1^\top K`, not :math:`K^2`).

    Parameters
    ----------
    X : (n, d) array_like
    y : (n,) array_like
    alpha : float
    T : int
    batch_size : int
    noise_cov : (d, d) array_like
        D, symmetric PSD.
    sigma_w2 : float
    w0_mean : (d,) array_like, optional

    Returns
    -------
    ResidualMoments

    Examples
    --------
    The thesis's induction identity :math:`\sum_{t<T}M_t = TP_\xi + \sum_{t<T}K_d^t(M_0 -
    P_\xi)K_d^t`, with :math:`P_\xi` solving :math:`K_dPK_d - P + (\alpha^2/b)XDX^\top = 0`:

    >>> from scipy.linalg import solve_discrete_lyapunov
    >>> rng = np.random.default_rng(2)
    >>> X, y = rng.standard_normal((3, 5)), rng.standard_normal(3)
    >>> D, T, b = thesis_noise_covariance(X), 7, 2
    >>> K = X @ X.T / 3; alpha = 0.5 / np.linalg.eigvalsh(K).max(); Kd = np.eye(3) - alpha * K
    >>> P_xi = solve_discrete_lyapunov(Kd, alpha**2 / b * X @ D @ X.T)
    >>> mom = langevin_moments(X, y, alpha, T, b, D, sigma_w2=0.4)
    >>> M0 = 0.4 * K + np.outer(y, y)
    >>> powers = [np.linalg.matrix_power(Kd, t) for t in range(T)]
    >>> rhs = T * P_xi + sum(A @ (M0 - P_xi) @ A for A in powers)
    >>> bool(np.allclose(mom.second.sum(axis=0), rhs, rtol=1e-12, atol=1e-12))
    True
    """
    owner = "langevin_moments"
    X, y, alpha, T = gd_arguments(X, y, alpha, T, owner)
    n, d = X.shape
    b = _batch(batch_size, n, owner)
    D = as_real_matrix(noise_cov, "noise_cov", owner, shape=(d, d))
    psd_factor(D, "noise_cov", owner)
    K, m0, M0 = _initial_moments(X, y, sigma_w2, w0_mean, owner)
    Q = (alpha**2 / b) * (X @ (0.5 * (D + D.T)) @ X.T)
    Q = 0.5 * (Q + Q.T)
    return _propagate(K, alpha, T, m0, M0, lambda M: Q, owner)


# ---------------------------------------------------------------- Monte-Carlo error bars
def empirical_pca_standard_error(trajectories) -> np.ndarray:
    r"""Per-entry standard error of the empirical PCA matrix P(N, T) (delta method).

    With :math:`S_i = \frac1T\sum_t r^{(i)}_tr^{(i)\top}_t` and :math:`\bar r^{(i)}` the time
    mean of trajectory i, :math:`P(N,T) = \overline{S} - \bar r\bar r^\top` is a smooth function
    of sample means of i.i.d. terms; its linearisation has per-trajectory influence
    :math:`\varphi_i = S_i - \bar r^{(i)}\bar r^\top - \bar r\,\bar r^{(i)\top}`, and the
    standard error is :math:`\operatorname{std}(\varphi)/\sqrt N`.

    Parameters
    ----------
    trajectories : (N, T, n) or (M, N, T, n) array_like
        The second form pools M independent groups (e.g. M kernels) of N i.i.d. trajectories
        each, as :func:`~hyperribbon.numerics.linear_models.kernels.simulate_kernel_ensemble` returns; the
        groups may have different distributions.

    Returns
    -------
    (n, n) ndarray

    Examples
    --------
    >>> R = np.random.default_rng(0).standard_normal((4000, 1, 2))   # P = I, Var(P_11) = 2
    >>> se = empirical_pca_standard_error(R)
    >>> bool(abs(se[0, 0] - np.sqrt(2 / 4000)) < 0.1 * np.sqrt(2 / 4000))
    True
    """
    owner = "empirical_pca_standard_error"
    R = as_float64_array(trajectories, "trajectories", owner)
    if R.ndim == 3:
        R = R[None]
    if R.ndim != 4 or R.shape[1] < 2:
        raise InvalidArgument("trajectories", owner,
                              "have shape (N, T, n) or (M, N, T, n) with N ≥ 2", R)
    M, N, T, n = R.shape
    rbar_i = R.mean(axis=2)                                   # (M, N, n)
    rbar = rbar_i.mean(axis=(0, 1))
    var = np.zeros((n, n))
    for m in range(M):
        phi = np.einsum("itj,itk->ijk", R[m], R[m]) / T
        phi -= np.einsum("ij,k->ijk", rbar_i[m], rbar) + np.einsum("j,ik->ijk", rbar, rbar_i[m])
        var += phi.var(axis=0, ddof=1) / N
    return np.sqrt(var) / M
