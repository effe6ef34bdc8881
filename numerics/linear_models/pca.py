r"""Exact engine for the PCA matrix of GD trajectory ensembles (thesis eqs. 5.2.3–5.2.9).

In K's eigenbasis every piece of

.. math:: P(T) = \underbrace{P_1^{\sigma_w}(T) + P_1^y(T)}_{P_1(T)} - P_2(T)

has a closed form (see :mod:`hyperribbon.theory.linear_models.gd_closed_forms`), so the matrices are assembled
in :math:`O(n^2)` with no sum over t; mapping to data space costs one :math:`O(n^3)` rotation.
The slow obvious references (sums over t with dense matrix powers) are in
:mod:`hyperribbon.numerics.linear_models.reference`.

Examples
--------
>>> from hyperribbon.theory.linear_models.problems import LinearGDProblem
>>> from hyperribbon.numerics.linear_models.reference import brute_force_pca
>>> p = LinearGDProblem.sloppy(n=8, c=0.5, alpha=0.9, T=20, sigma_w2=0.3, sigma_star2=2.0, seed=1)
>>> m = pca_matrices(p)
>>> bool(np.allclose(m.P(), brute_force_pca(p)["P"], rtol=0, atol=1e-13))
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hyperribbon.theory.linear_models import gd_closed_forms as cf
from hyperribbon.theory.domains import check_allocation
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem, Normalization

__all__ = ["PCAMatrices", "pca_matrices", "one_minus_k_T", "centered_target_factor"]


@dataclass(frozen=True)
class PCAMatrices:
    r"""The pieces of P(T) for one problem, in K's eigenbasis.

    Attributes
    ----------
    T : int
    sw : (n,) ndarray
        :math:`\lambda_i^{\sigma_w}`, eigenvalues of :math:`T P_1^{\sigma_w}(T)` (summed).
    S1y : (n, n) ndarray
        :math:`T P_1^y(T)` (summed).
    kT : (n,) ndarray
        Diagonal of :math:`K_T`.
    mean : (n,) ndarray
        :math:`K_T \hat y`, so that :math:`P_2 = (K_T\hat y)(K_T\hat y)^\top` (the mean residual
        of the ensemble is :math:`-K_T y`).
    basis : (n, n) ndarray or None
        Eigenvectors of K, when known, for :meth:`in_data_basis`.
    """

    T: int
    sw: np.ndarray
    S1y: np.ndarray
    kT: np.ndarray
    mean: np.ndarray
    basis: np.ndarray | None = None

    def P1(self, normalization: Normalization = Normalization.MEAN) -> np.ndarray:
        S1 = self.S1y + np.diag(self.sw)
        return S1 / self.T if Normalization(normalization) is Normalization.MEAN else S1

    def P1_sigma_w(self, normalization: Normalization = Normalization.MEAN) -> np.ndarray:
        d = self.sw / self.T if Normalization(normalization) is Normalization.MEAN else self.sw
        return np.diag(d)

    def P1_y(self, normalization: Normalization = Normalization.MEAN) -> np.ndarray:
        return self.S1y / self.T if Normalization(normalization) is Normalization.MEAN \
            else self.S1y

    def P2(self) -> np.ndarray:
        return np.outer(self.mean, self.mean)

    def P(self) -> np.ndarray:
        """The PCA matrix P(T) of eq. (5.2.5) (mean normalisation)."""
        return self.P1() - self.P2()

    def p2_eigenvalue(self) -> float:
        return float(math.fsum(self.mean**2))

    def in_data_basis(self, matrix: np.ndarray) -> np.ndarray:
        """Rotate an eigenbasis matrix to data space, :math:`U M U^\\top`."""
        if self.basis is None:
            raise InvalidArgument("basis", "PCAMatrices.in_data_basis",
                                  "be known (build the problem with LinearGDProblem.from_data or "
                                  "pass `basis`)", None)
        return self.basis @ matrix @ self.basis.T


def pca_matrices(problem: LinearGDProblem) -> PCAMatrices:
    """Assemble every piece of P(T) for ``problem`` from the closed forms (O(n²))."""
    if not isinstance(problem, LinearGDProblem):
        raise InvalidArgument("problem", "pca_matrices", "be a LinearGDProblem",
                              type(problem).__name__)
    check_allocation(2.0 * float(problem.n) ** 2, "problem", "pca_matrices", problem.n,
                     what="the n×n matrices T·P1^y(T) (and a rotation) for this n")
    s, T = problem.s, problem.T
    sw = cf.sigma_w_eigenvalues(s, problem.alpha, problem.sigma_w2, T)
    S1y = cf.target_gramian(s, problem.yhat, T)
    kT = cf.k_T_diagonal(s, T)
    return PCAMatrices(T=T, sw=sw, S1y=S1y, kT=kT, mean=kT * problem.yhat, basis=problem.basis)


def one_minus_k_T(s, T: int) -> np.ndarray:
    r""":math:`1 - (K_T)_{ii} = \frac{Ts - 1 + (1-s)^T}{Ts}` without cancellation
    (:func:`~hyperribbon.theory.linear_models.gd_closed_forms.bernoulli_gap`)."""
    s = np.asarray(s, dtype=float)
    return cf.bernoulli_gap(s, T) / (T * s)


def centered_target_factor(problem: LinearGDProblem) -> np.ndarray:
    r"""(n, T) factor :math:`F` with :math:`FF^\top = \frac1T\sum_t (v_t - \bar v)(v_t-\bar v)^\top`,
    :math:`v_t = K_d^t\hat y` (the target part of P(T) = P1 − P2), rows accurate to their norm."""
    s, T = problem.s, problem.T
    t = np.arange(T)
    one_minus_at = cf.one_minus_power(s[:, None], t[None, :])     # 1 - a^t
    centred = one_minus_k_T(s, T)[:, None] - one_minus_at          # a^t - mean_t a^t
    return problem.yhat[:, None] * centred / math.sqrt(T)
