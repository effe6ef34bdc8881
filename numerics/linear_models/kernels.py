r"""Kernel machines trained by functional gradient descent, and ensembles of several kernels
(thesis §5.3, "Kernel machines").

GD in the RKHS of a kernel k on :math:`C = \frac1{2n}\sum_i (f(x_i) - y_i)^2` (Yao et al., 2007)

.. math:: f_{t+1}(x) = f_t(x) - \frac{\alpha}{n}\sum_{i=1}^n (f_t(x_i) - y_i)\,k(x_i, x)

moves the training residuals by :math:`r_{t+1} = (I - \alpha K)r_t` with the Gram matrix
:math:`K_{ij} = k(x_i, x_j)/n` (eq. 5.2.2 with K replaced), so §5.2 applies verbatim. For the
linear kernel :math:`k(x, x') = x^\top x'` the Gram matrix is the project's :math:`K = XX^\top/n`.

Initial functions are Gaussian processes :math:`f_0 \sim GP(0, (\sigma_f^2/n)\,k)`, so that
:math:`\operatorname{Cov}(f_0(X)) = \sigma_f^2K`: ``sigma_f2`` is a prediction-space variance like
the project's :math:`\sigma_w^2` (for the linear kernel, :math:`f_0 = x^\top w_0` with
:math:`w_0 \sim N(0, (\sigma_f^2/n)I)`).

For M kernels pooled into one ensemble (thesis, before eq. 5.3.2),

.. math:: P(M, T) = \frac1M\sum_{m=1}^M P_1^{(m)}(T) - K_{T,M}yy^\top K_{T,M}, \qquad
   K_{T,M} = \frac1{MT}\sum_m\sum_{t<T}K_d^{(m)t},

with :math:`P_1^{(m)}(T) = \frac1T\sum_{t<T}K_d^{(m)t}(\sigma_f^2K^{(m)} + yy^\top)K_d^{(m)t}`
(mean normalisation); :func:`kernel_ensemble_pca_matrix` evaluates it in each kernel's
eigenbasis from the closed forms of §5.2, :func:`brute_force_kernel_ensemble_pca` by summing.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X, y = rng.standard_normal((8, 3)), rng.standard_normal(8)
>>> Ks = [gram_matrix(linear_kernel, X), gram_matrix(lambda A, B: rbf_kernel(A, B, 1.0), X)]
>>> P = kernel_ensemble_pca_matrix(Ks, y, 0.5, 20, 0.3)
>>> bool(np.allclose(P, brute_force_kernel_ensemble_pca(Ks, y, 0.5, 20, 0.3), atol=1e-13))
True
"""
from __future__ import annotations

import math

import numpy as np

from hyperribbon.theory.linear_models import gd_closed_forms as cf
from hyperribbon.theory._validate import (as_int, as_nonnegative, as_positive, as_real_matrix,
                                          as_real_vector, psd_factor)
from hyperribbon.theory.errors import InvalidArgument

from ._sizes import check_trajectories

EPS = float(np.finfo(np.float64).eps)


__all__ = ["linear_kernel", "rbf_kernel", "polynomial_kernel", "gram_matrix",
           "cross_gram_matrix", "simulate_kernel_gd", "simulate_kernel_ensemble",
           "kernel_ensemble_pca_matrix", "brute_force_kernel_ensemble_pca"]


# ---------------------------------------------------------------- kernels
def _pair(A, B, owner):
    A = as_real_matrix(A, "A", owner)
    B = as_real_matrix(B, "B", owner)
    if A.shape[1] != B.shape[1]:
        raise InvalidArgument("B", owner, f"have {A.shape[1]} columns (as many as `A`)", B)
    return A, B


def linear_kernel(A, B) -> np.ndarray:
    r"""Linear kernel :math:`k(a, b) = a^\top b`; (m, d) and (p, d) inputs give an (m, p) array.

    Examples
    --------
    >>> A = np.array([[1.0, 2.0], [0.0, 1.0]])
    >>> linear_kernel(A, A).tolist()
    [[5.0, 2.0], [2.0, 1.0]]
    """
    A, B = _pair(A, B, "linear_kernel")
    return A @ B.T


def rbf_kernel(A, B, lengthscale: float) -> np.ndarray:
    r"""Gaussian (RBF) kernel :math:`k(a, b) = \exp(-\|a-b\|^2/(2\ell^2))`, shape (m, p).

    The thesis's example :math:`\exp(-\|x-x'\|^2/d)` is :math:`\ell^2 = d/2`.

    Examples
    --------
    >>> A, B = np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 0.0]])
    >>> K = rbf_kernel(A, B, lengthscale=5.0)
    >>> bool(np.allclose(K, [[np.exp(-25 / 50), 1.0]]))
    True
    """
    owner = "rbf_kernel"
    A, B = _pair(A, B, owner)
    ell = as_positive(lengthscale, "lengthscale", owner)
    sq = (np.sum(A * A, axis=1)[:, None] + np.sum(B * B, axis=1)[None, :] - 2.0 * (A @ B.T))
    return np.exp(-np.clip(sq, 0.0, None) / (2.0 * ell * ell))


def polynomial_kernel(A, B, degree: int, c0: float = 1.0) -> np.ndarray:
    r"""Polynomial kernel :math:`k(a, b) = (a^\top b + c_0)^p`, p ≥ 1 an integer, :math:`c_0 \ge
    0` (a positive-definite kernel for these parameters), shape (m, p).

    Examples
    --------
    >>> A = np.array([[1.0, 1.0]])
    >>> polynomial_kernel(A, A, degree=3, c0=1.0).tolist()
    [[27.0]]
    """
    owner = "polynomial_kernel"
    A, B = _pair(A, B, owner)
    degree = as_int(degree, "degree", owner, minimum=1)
    c0 = as_nonnegative(c0, "c0", owner)
    return (A @ B.T + c0) ** degree


def gram_matrix(kernel_fn, X) -> np.ndarray:
    r"""The Gram matrix :math:`K_{ij} = k(x_i, x_j)/n` (thesis §5.3), checked to be PSD.

    Parameters
    ----------
    kernel_fn : callable
        ``kernel_fn(A, B)`` returns the (len(A), len(B)) array :math:`k(a_i, b_j)`; e.g.
        :func:`linear_kernel` or ``lambda A, B: rbf_kernel(A, B, 2.0)``.
    X : (n, d) array_like
        Inputs, one per row.

    Returns
    -------
    (n, n) ndarray
        Symmetric (exactly symmetrised). Eigenvalues down to
        :math:`-(32 + 2d)n\varepsilon\|K\|_2` are accepted as the rounding of the kernel's
        evaluation over d features (sloppy Gram matrices of smooth kernels have many); the
        matrix returned is then the PSD rounding :math:`FF^\top` (eigenvalues clipped at 0), so
        that every function taking a Gram matrix accepts it. A more negative eigenvalue means
        ``kernel_fn`` is not a positive-semi-definite kernel and raises
        :class:`~hyperribbon.theory.errors.InvalidArgument`.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((5, 3))
    >>> bool(np.allclose(gram_matrix(linear_kernel, X), X @ X.T / 5))
    True
    >>> gram_matrix(lambda A, B: -linear_kernel(A, B), X)     # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hyperribbon.theory.errors.InvalidArgument: Argument `kernel_fn` of `gram_matrix` must give ...
    """
    owner = "gram_matrix"
    if not callable(kernel_fn):
        raise InvalidArgument("kernel_fn", owner, "be callable as kernel_fn(A, B)", kernel_fn)
    X = as_real_matrix(X, "X", owner)
    n = X.shape[0]
    K = np.asarray(kernel_fn(X, X), dtype=float)
    if K.shape != (n, n) or not np.all(np.isfinite(K)):
        raise InvalidArgument("kernel_fn", owner, f"return a finite ({n}, {n}) array for X",
                              K)
    K = K / n
    # a kernel evaluated over d features (inner products, squared distances) is accurate to about
    # 2d ulps per entry: accept the rounding of that construction ...
    F = psd_factor(K, "kernel_fn", owner, what="give a symmetric Gram matrix that is",
                   entry_ulps=16 + 2 * X.shape[1])
    K = 0.5 * (K + K.T)
    mu_min = float(np.linalg.eigvalsh(K)[0]) if n else 0.0
    if mu_min < -16 * n * EPS * float(np.linalg.norm(F, 2) ** 2):
        # ... and return its PSD rounding, which every Gram-matrix argument (default tolerance
        # 32·n·ε·‖K‖) accepts: nothing this function builds fails the simulators' validation
        K = F @ F.T
        K = 0.5 * (K + K.T)
    return K


def cross_gram_matrix(kernel_fn, X_test, X) -> np.ndarray:
    r"""The cross Gram matrix :math:`k(x^*_a, x_i)/n`, shape (m, n), for test predictions
    (same 1/n as :func:`gram_matrix`, n = len(X)).

    Examples
    --------
    >>> X = np.eye(3)
    >>> cross_gram_matrix(linear_kernel, np.ones((1, 3)), X).tolist() == [[1 / 3] * 3]
    True
    """
    owner = "cross_gram_matrix"
    if not callable(kernel_fn):
        raise InvalidArgument("kernel_fn", owner, "be callable as kernel_fn(A, B)", kernel_fn)
    X_test = as_real_matrix(X_test, "X_test", owner)
    X = as_real_matrix(X, "X", owner)
    G = np.asarray(kernel_fn(X_test, X), dtype=float)
    if G.shape != (X_test.shape[0], X.shape[0]) or not np.all(np.isfinite(G)):
        raise InvalidArgument("kernel_fn", owner, "return a finite (m, n) array", G)
    return G / X.shape[0]


# ---------------------------------------------------------------- simulators
def _gram(K, argument, owner, n=None):
    K = as_real_matrix(K, argument, owner, square=True)
    if n is not None and K.shape[0] != n:
        raise InvalidArgument(argument, owner, f"have shape ({n}, {n}) like the others", K)
    F = psd_factor(K, argument, owner)
    return 0.5 * (K + K.T), F


def _kernel_gd(K, F, y, alpha, T, N, sigma_f2, rng, K_test=None, F_joint=None):
    n = y.size
    if F_joint is None:
        f0 = math.sqrt(sigma_f2) * rng.standard_normal((N, n)) @ F.T
        g = None
    else:
        joint = math.sqrt(sigma_f2) * rng.standard_normal((N, F_joint.shape[0])) @ F_joint.T
        f0, g = joint[:, :n], joint[:, n:]
    r = f0 - y
    check_trajectories((N, T, n + (0 if K_test is None else K_test.shape[0])), "kernel GD",
                       value=T, what="trajectories (N, T, n [+ m test points])")
    out = np.empty((N, T, n))
    test = None if K_test is None else np.empty((N, T, K_test.shape[0]))
    for t in range(T):
        out[:, t] = r
        if test is not None:
            test[:, t] = g
        if t == T - 1:
            break
        if test is not None:
            g = g - alpha * (r @ K_test.T)
        r = r - alpha * (r @ K)
    return out, test


def simulate_kernel_gd(K, y, alpha: float, T: int, N: int, sigma_f2: float, *, seed: int = 0,
                       K_test=None, K_test_test=None):
    r"""N kernel machines trained by functional GD; (N, T, n) training residual trajectories.

    .. math:: f_{t+1}(x) = f_t(x) - \frac{\alpha}{n}\sum_i (f_t(x_i) - y_i)k(x_i, x), \qquad
       r_{t+1} = (I - \alpha K)r_t,

    from :math:`f_0 \sim GP(0, (\sigma_f^2/n)k)`, i.e. :math:`f_0(X) \sim N(0, \sigma_f^2K)`.

    Parameters
    ----------
    K : (n, n) array_like
        Gram matrix :math:`k(x_i, x_j)/n` (:func:`gram_matrix`), symmetric PSD.
    y : (n,) array_like
    alpha : float
        > 0 (GD on the training set converges for α < 2/λ1(K)).
    T : int
        Iterates recorded, t = 0..T-1.
    N : int
        Ensemble size.
    sigma_f2 : float
        :math:`\sigma_f^2 \ge 0`.
    seed : int
    K_test : (m, n) array_like, optional
        Cross Gram :math:`k(x^*_a, x_i)/n` (:func:`cross_gram_matrix`). When given, the test
        predictions :math:`f_t(x^*)` are returned too.
    K_test_test : (m, m) array_like, optional
        :math:`k(x^*_a, x^*_b)/n`, needed (with ``sigma_f2 > 0``) to draw :math:`f_0` jointly on
        training and test points; the joint (n+m) Gram matrix must be PSD. With test points the
        draw is joint, so the training trajectories differ from a call without them.

    Returns
    -------
    (N, T, n) ndarray, or a pair ((N, T, n), (N, T, m)) when ``K_test`` is given
        Training residuals :math:`f_t(x_i) - y_i`; test predictions :math:`f_t(x^*_a)`.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X, y = rng.standard_normal((6, 2)), rng.standard_normal(6)
    >>> K = gram_matrix(lambda A, B: rbf_kernel(A, B, 1.0), X)
    >>> R = simulate_kernel_gd(K, y, 1.0, 5, N=3, sigma_f2=0.5, seed=2)
    >>> bool(np.allclose(R[:, 4], R[:, 0] @ np.linalg.matrix_power(np.eye(6) - K, 4)))
    True
    """
    owner = "simulate_kernel_gd"
    K, F = _gram(K, "K", owner)
    n = K.shape[0]
    y = as_real_vector(y, "y", owner, length=n)
    alpha = as_positive(alpha, "alpha", owner)
    T = as_int(T, "T", owner, minimum=1)
    N = as_int(N, "N", owner, minimum=1)
    sigma_f2 = as_nonnegative(sigma_f2, "sigma_f2", owner)
    rng = np.random.default_rng(as_int(seed, "seed", owner, minimum=0))
    F_joint = None
    if K_test is None:
        if K_test_test is not None:
            raise InvalidArgument("K_test", owner, "be given when `K_test_test` is", None)
    else:
        K_test = as_real_matrix(K_test, "K_test", owner)
        if K_test.shape[1] != n:
            raise InvalidArgument("K_test", owner, f"have shape (m, {n})", K_test)
        m = K_test.shape[0]
        if K_test_test is None:
            if sigma_f2 > 0:
                raise InvalidArgument("K_test_test", owner,
                                      "be given when `K_test` is and sigma_f2 > 0 (to draw f0 "
                                      "jointly on training and test points)", None)
            F_joint = np.zeros((n + m, n + m))          # f0 ≡ 0: nothing to draw jointly
        else:
            K_tt = as_real_matrix(K_test_test, "K_test_test", owner, shape=(m, m))
            joint = np.block([[K, K_test.T], [K_test, K_tt]])
            F_joint = psd_factor(joint, "K_test_test", owner,
                                  what="complete a joint Gram matrix [[K, K_testᵀ], [K_test, "
                                       "K_test_test]] that is symmetric and")
    R, test = _kernel_gd(K, F, y, alpha, T, N, sigma_f2, rng, K_test, F_joint)
    return R if K_test is None else (R, test)


def _grams(Ks, owner):
    try:
        items = list(Ks)
    except TypeError:
        raise InvalidArgument("Ks", owner, "be a sequence of (n, n) Gram matrices", Ks) from None
    if len(items) == 0:
        raise InvalidArgument("Ks", owner, "contain at least one Gram matrix", Ks)
    out = []
    for K in items:
        K, F = _gram(K, "Ks", owner, out[0][0].shape[0] if out else None)
        out.append((K, F))
    return out


def _alphas(alpha, M, owner):
    a = np.atleast_1d(np.asarray(alpha, dtype=float)) if not isinstance(alpha, bool) else None
    if a is None or a.ndim != 1 or a.size not in (1, M) or not np.all(np.isfinite(a)) \
            or np.any(a <= 0):
        raise InvalidArgument("alpha", owner, f"be a number > 0 or {M} numbers > 0 (one per "
                                              "kernel)", alpha)
    return np.broadcast_to(a, (M,)).astype(float)


def simulate_kernel_ensemble(Ks, y, alpha, T: int, N: int, sigma_f2: float,
                             seed: int = 0) -> np.ndarray:
    r"""N functional-GD runs for each of M kernels; residual trajectories, shape (M, N, T, n).

    Kernel m uses the independent stream ``numpy.random.SeedSequence(seed).spawn(M)[m]``.
    Pool them with ``R.reshape(-1, T, n)`` for the P(N, M, T) of thesis §5.3.

    Parameters
    ----------
    Ks : sequence of M (n, n) array_like
        Gram matrices.
    y : (n,) array_like
    alpha : float or (M,) array_like
        One step size (the thesis's setting) or one per kernel.
    T, N : int
    sigma_f2 : float
    seed : int

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((5, 2))
    >>> Ks = [gram_matrix(linear_kernel, X), gram_matrix(lambda A, B: rbf_kernel(A, B, 1.), X)]
    >>> R = simulate_kernel_ensemble(Ks, np.ones(5), 0.5, 4, 3, 0.1, seed=7)
    >>> R.shape
    (2, 3, 4, 5)
    >>> bool(np.allclose(R[1, :, 1], R[1, :, 0] @ (np.eye(5) - 0.5 * Ks[1])))
    True
    """
    owner = "simulate_kernel_ensemble"
    grams = _grams(Ks, owner)
    n = grams[0][0].shape[0]
    M = len(grams)
    y = as_real_vector(y, "y", owner, length=n)
    alphas = _alphas(alpha, M, owner)
    T = as_int(T, "T", owner, minimum=1)
    N = as_int(N, "N", owner, minimum=1)
    sigma_f2 = as_nonnegative(sigma_f2, "sigma_f2", owner)
    children = np.random.SeedSequence(as_int(seed, "seed", owner, minimum=0)).spawn(M)
    check_trajectories((M, N, T, n), owner, value=T, what="trajectories (M, N, T, n)")
    out = np.empty((M, N, T, n))
    for m, ((K, F), child) in enumerate(zip(grams, children)):
        out[m] = _kernel_gd(K, F, y, alphas[m], T, N, sigma_f2, np.random.default_rng(child))[0]
    return out


# ---------------------------------------------------------------- exact pooled PCA matrix
def _geometric(x_minus, T):
    r""":math:`\sum_{t<T} x^t` for :math:`x = 1 - u`, u = ``x_minus`` ≥ 0 (T at u = 0)."""
    u = np.asarray(x_minus, dtype=float)
    out = np.full(u.shape, float(T))
    pos = u > 0
    x = 1.0 - u
    small = pos & (x > 0)
    out[small] = -np.expm1(T * np.log1p(-u[small])) / u[small]
    neg = pos & (x <= 0)
    out[neg] = (1.0 - np.power(x[neg], T)) / u[neg]
    return out


def _validated_ensemble(Ks, y, alpha, T, sigma_f2, owner):
    grams = _grams(Ks, owner)
    n = grams[0][0].shape[0]
    y = as_real_vector(y, "y", owner, length=n)
    alphas = _alphas(alpha, len(grams), owner)
    T = as_int(T, "T", owner, minimum=1)
    sigma_f2 = as_nonnegative(sigma_f2, "sigma_f2", owner)
    return [g[0] for g in grams], y, alphas, T, sigma_f2


def kernel_ensemble_pca_matrix(Ks, y, alpha, T: int, sigma_f2: float, *,
                               N: int | None = None) -> np.ndarray:
    r"""Exact PCA matrix of the pooled M-kernel ensemble (thesis §5.3, before eq. 5.3.2).

    .. math:: P(M, T) = \frac1M\sum_m P_1^{(m)}(T) - K_{T,M}yy^\top K_{T,M}

    evaluated in each kernel's eigenbasis from the closed forms of §5.2 (no sum over t); zero
    eigenvalues of a singular Gram matrix are handled (:math:`\sum_t 1 = T`). With ``N`` the
    expectation of the *empirical* pooled matrix of N runs per kernel is returned instead,

    .. math:: E[P(N, M, T)] = P(M, T) - \frac{\sigma_f^2}{M^2N}\sum_m
       K_T^{(m)}K^{(m)}K_T^{(m)}

    (the pooled empirical mean carries the variance of the initialisations).

    Parameters
    ----------
    Ks : sequence of M (n, n) array_like
        Gram matrices, symmetric PSD, each with :math:`\alpha\lambda_1(K^{(m)}) < 2`.
    y : (n,) array_like
    alpha : float or (M,) array_like
    T : int
    sigma_f2 : float
    N : int, optional

    Returns
    -------
    (n, n) ndarray

    Examples
    --------
    M = 1 is §5.2's P(T) (here checked against the engine of
    :mod:`hyperribbon.numerics.linear_models.pca`):

    >>> from hyperribbon.theory.linear_models.problems import LinearGDProblem
    >>> from hyperribbon.numerics.linear_models.pca import pca_matrices
    >>> rng = np.random.default_rng(3)
    >>> X, y = rng.standard_normal((6, 9)), rng.standard_normal(6)
    >>> p = LinearGDProblem.from_data(X, y, alpha=0.2, T=30, init_variance=0.5 / 6)
    >>> m = pca_matrices(p)
    >>> P = kernel_ensemble_pca_matrix([gram_matrix(linear_kernel, X)], y, 0.2, 30, 0.5)
    >>> bool(np.allclose(P, m.in_data_basis(m.P()), atol=1e-12))
    True
    """
    owner = "kernel_ensemble_pca_matrix"
    Ks, y, alphas, T, sigma_f2 = _validated_ensemble(Ks, y, alpha, T, sigma_f2, owner)
    if N is not None:
        N = as_int(N, "N", owner, minimum=1)
    M, n = len(Ks), y.size
    P1 = np.zeros((n, n))
    KTM = np.zeros((n, n))
    corr = np.zeros((n, n))
    for K, a in zip(Ks, alphas):
        lam, U = np.linalg.eigh(K)
        lam = np.clip(lam, 0.0, None)
        s = a * lam
        if s.max() >= 2.0:
            raise InvalidArgument("alpha", owner,
                                  f"be < 2/λ1(K^(m)) = {2.0 / lam.max():.6g} for every kernel "
                                  "(GD converges)", float(a))
        yhat = U.T @ y
        sw = cf.sigma_w_eigenvalues(s, a, sigma_f2, T)               # σ²λ Σ a^{2t}
        gram_y = _geometric(s[:, None] + s[None, :] - s[:, None] * s[None, :], T) \
            * np.outer(yhat, yhat)
        P1 += U @ ((gram_y + np.diag(sw)) / T) @ U.T
        kT = np.ones_like(s)
        nz = s > 0
        kT[nz] = cf.one_minus_power(s[nz], T) / (T * s[nz])
        KTM += (U * kT) @ U.T
        corr += (U * (kT * lam * kT)) @ U.T
    P1 /= M
    KTM /= M
    v = KTM @ y
    P = P1 - np.outer(v, v)
    if N is not None:
        P = P - sigma_f2 * corr / (M * M * N)
    return 0.5 * (P + P.T)


def brute_force_kernel_ensemble_pca(Ks, y, alpha, T: int, sigma_f2: float) -> np.ndarray:
    r"""Slow reference for :func:`kernel_ensemble_pca_matrix`: dense powers
    :math:`K_d^{(m)t}` summed over t and m, exactly as the formula reads.

    Examples
    --------
    >>> K = np.array([[0.5]])
    >>> P = brute_force_kernel_ensemble_pca([K], [1.0], 1.0, 2, 0.0)   # r = -1, -0.5
    >>> float(P[0, 0])
    0.0625
    """
    owner = "brute_force_kernel_ensemble_pca"
    Ks, y, alphas, T, sigma_f2 = _validated_ensemble(Ks, y, alpha, T, sigma_f2, owner)
    M, n = len(Ks), y.size
    S, KTM = np.zeros((n, n)), np.zeros((n, n))
    init = [sigma_f2 * K + np.outer(y, y) for K in Ks]
    for K, a, M0 in zip(Ks, alphas, init):
        Kd = np.eye(n) - a * K
        power = np.eye(n)
        for _ in range(T):
            S += power @ M0 @ power.T
            KTM += power
            power = power @ Kd
    KTM /= M * T
    v = KTM @ y
    return S / (M * T) - np.outer(v, v)
