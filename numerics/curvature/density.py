r"""Spectral density by stochastic Lanczos quadrature (SLQ).

Ubaru, Chen & Saad (2017), *Fast estimation of tr(f(A)) via stochastic Lanczos quadrature*;
Ghorbani, Krishnan & Xiao (2019), *An investigation into neural net optimization via Hessian
eigenvalue density*.  For each of :math:`n_v` Rademacher probes :math:`v_l` (normalised), ``m``
Lanczos steps give a tridiagonal :math:`T_l = U\Theta U^\top`; the Gauss quadrature nodes
:math:`\theta_{lk}` and weights :math:`\tau_{lk}^2 = U_{1k}^2` satisfy

.. math:: v_l^\top f(A) v_l / \|v_l\|^2 \approx \sum_k \tau_{lk}^2 f(\theta_{lk}),

exactly for polynomials of degree :math:`\le 2m-1`, so
:math:`\phi(t) = \frac1{n_v}\sum_{l,k}\tau_{lk}^2\,\delta(t-\theta_{lk})` estimates the
normalised spectral density :math:`\frac1p\sum_i\delta(t-\lambda_i)` and
:math:`\operatorname{tr}f(A) \approx \frac{p}{n_v}\sum_{l,k}\tau_{lk}^2 f(\theta_{lk})`.
The density is shown broadened by a Gaussian of width :math:`\sigma`.

All probes advance together: one block product (one pass over the data) per Lanczos step, with
full re-orthogonalisation (twice, classical Gram–Schmidt) against the stored basis.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._linop import as_counted, operator_eps, square_dimension
from ._validate import as_bool, as_choice, as_float, as_int, as_seed

__all__ = ["SpectralDensity", "spectral_density"]


@dataclass(frozen=True, eq=False)
class SpectralDensity:
    """Gauss-quadrature nodes and weights of an SLQ run.

    Attributes
    ----------
    nodes, weights : list of (m_l,) ndarray
        Per probe: Ritz values and squared first components (each weight vector sums to 1).
    dimension : int
        :math:`p`.
    probes : (p, n_v) ndarray
        The normalised start vectors.
    n_products : int
    floor : float
        Nodes with magnitude below it are indistinguishable from zero
        (:math:`\\sqrt p\\,\\varepsilon_{op}\\max|\\theta|`).
    seed : int
    """

    nodes: list
    weights: list
    dimension: int
    probes: np.ndarray
    n_products: int
    floor: float
    seed: int

    def integrate(self, f) -> float:
        r"""Estimate :math:`\operatorname{tr} f(A) = p\cdot\frac1{n_v}\sum_{l,k}\tau_{lk}^2
        f(\theta_{lk})` for a vectorised function ``f``."""
        vals = [float(np.sum(w * np.asarray(f(t), dtype=np.float64)))
                for t, w in zip(self.nodes, self.weights)]
        return self.dimension * float(np.mean(vals))

    def integrate_stderr(self, f) -> float:
        """Standard error of :meth:`integrate` across probes (std/√n_v, times p)."""
        vals = [float(np.sum(w * np.asarray(f(t), dtype=np.float64)))
                for t, w in zip(self.nodes, self.weights)]
        if len(vals) < 2:
            return math.inf
        return self.dimension * float(np.std(vals, ddof=1) / math.sqrt(len(vals)))

    def density(self, grid, sigma: float, *, scale: str = "linear", counts: bool = False):
        r"""Gaussian-broadened density on ``grid``.

        Parameters
        ----------
        grid : (g,) array_like
            Points :math:`t` (eigenvalues for ``scale='linear'``, :math:`\log_{10}|\lambda|`
            for ``scale='log10'``).
        sigma : float
            Kernel width in the grid's units.
        scale : {'linear', 'log10'}
            ``'log10'`` gives the density of :math:`\log_{10}|\lambda|` (sloppy spectra span
            decades); nodes below the noise floor are left out and their weight is the missing
            mass.
        counts : bool
            Multiply by :math:`p` (eigenvalues per unit) instead of a probability density.

        Returns
        -------
        (g,) ndarray
        """
        owner = "SpectralDensity.density"
        t = np.asarray(grid, dtype=np.float64).reshape(-1)
        sigma = as_float(sigma, "sigma", owner, positive=True)
        scale = as_choice(scale, "scale", owner, ("linear", "log10"))
        counts = as_bool(counts, "counts", owner)
        total = np.zeros_like(t)
        for theta, w in zip(self.nodes, self.weights):
            if scale == "log10":
                keep = np.abs(theta) > self.floor
                theta, w = np.log10(np.abs(theta[keep])), w[keep]
            z = (t[:, None] - theta[None, :]) / sigma
            total += (np.exp(-0.5 * z * z) * w[None, :]).sum(axis=1)
        total /= len(self.nodes) * sigma * math.sqrt(2 * math.pi)
        return total * self.dimension if counts else total


def spectral_density(A, *, n_vectors: int = 8, n_steps: int = 40, seed: int = 0,
                     breakdown_tol: float = 1e-12) -> SpectralDensity:
    r"""Stochastic Lanczos quadrature of a symmetric operator.

    Parameters
    ----------
    A : (p, p) LinearOperator or array_like
    n_vectors : int
        Rademacher probes :math:`n_v \ge 1`.
    n_steps : int
        Lanczos steps :math:`m`, ``1 ≤ m ≤ p`` (exact polynomial degree :math:`2m-1`).
    seed : int
    breakdown_tol : float
        A probe stops when :math:`\beta_j \le` ``breakdown_tol`` :math:`\cdot\|T\|` (its Krylov
        space is invariant: its quadrature is then exact).

    Returns
    -------
    SpectralDensity

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.exp(-0.3 * np.arange(60))
    >>> sd = spectral_density(np.diag(lam), n_vectors=4, n_steps=12, seed=0)
    >>> # Gauss quadrature is exact for degree ≤ 2m − 1: tr A² per probe
    >>> v = sd.probes[:, 0]
    >>> bool(np.isclose(np.sum(sd.weights[0] * sd.nodes[0] ** 2), v @ (lam ** 2 * v)))
    True
    """
    owner = "spectral_density"
    p = square_dimension(A, "A", owner)
    nv = as_int(n_vectors, "n_vectors", owner, minimum=1)
    m = as_int(n_steps, "n_steps", owner, minimum=1, maximum=p)
    seed = as_seed(seed, "seed", owner)
    tol = as_float(breakdown_tol, "breakdown_tol", owner, positive=True)
    Ac = as_counted(A, "A", owner)
    before = Ac.n_products
    rng = np.random.default_rng(seed)
    V = rng.integers(0, 2, size=(p, nv)).astype(np.float64) * 2.0 - 1.0
    V /= np.linalg.norm(V, axis=0)
    probes = V.copy()
    basis = np.empty((m, p, nv))
    alphas = np.zeros((m, nv))
    betas = np.zeros((m, nv))
    length = np.full(nv, m)
    active = np.ones(nv, dtype=bool)
    prev = np.zeros_like(V)
    beta_prev = np.zeros(nv)
    for j in range(m):
        basis[j] = V
        W = Ac.matmat(V)
        a = np.einsum("pl,pl->l", V, W)
        alphas[j] = a
        W = W - V * a - prev * beta_prev
        for _ in range(2):                         # full re-orthogonalisation, twice
            coeff = np.einsum("jpl,pl->jl", basis[:j + 1], W)
            W -= np.einsum("jpl,jl->pl", basis[:j + 1], coeff)
        b = np.linalg.norm(W, axis=0)
        scale = np.maximum(np.abs(alphas[:j + 1]).max(axis=0), betas[:j + 1].max(axis=0))
        stop = active & (b <= tol * np.maximum(scale, np.finfo(float).tiny))
        length[stop] = j + 1
        active &= ~stop
        betas[j] = np.where(active, b, 0.0)
        if j == m - 1 or not active.any():
            break
        prev, beta_prev = V, betas[j]
        V = np.where(active, W / np.where(b > 0, b, 1.0), 0.0)
    nodes, weights = [], []
    for l in range(nv):
        k = int(length[l])
        T = np.diag(alphas[:k, l]) + np.diag(betas[:k - 1, l], 1) + np.diag(betas[:k - 1, l], -1)
        theta, U = np.linalg.eigh(T)
        nodes.append(theta)
        weights.append(U[0, :] ** 2)
    lam_max = max(float(np.max(np.abs(t))) for t in nodes)
    floor = math.sqrt(p) * operator_eps(A) * lam_max
    return SpectralDensity(nodes, weights, p, probes, Ac.n_products - before, floor, seed)
