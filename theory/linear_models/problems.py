r"""Problems: frozen, validated descriptions of one training setting.

Conventions (the thesis is not always consistent; the toolkit is)
-----------------------------------------------------------------
Everything is stated in *prediction (residual) space* :math:`\mathbb{R}^n`.

* **Input correlation** :math:`K = XX^\top/n` (thesis eq. 5.2.2), eigenvalues
  :math:`\lambda_1 \ge \dots \ge \lambda_n > 0`. A problem stores them, together with the targets in
  K's eigenbasis :math:`\hat y = U^\top y`; every quantity of Chapter 5 is invariant under the
  rotation :math:`U`, so the eigenbasis is where the engine works.
* **Step size** :math:`s_i = \alpha\lambda_i`, :math:`a_i = 1 - s_i` (eigenvalues of
  :math:`K_d = I - \alpha K`).
* **Initialisation variance** ``sigma_w2`` is :math:`\sigma_w^2` in the thesis's sense
  :math:`E[r_0 r_0^\top] = \sigma_w^2 K + yy^\top` (§5.2.1). For raw weights
  :math:`w_0 \sim N(0, v I_d)` one has :math:`E[Xw_0 w_0^\top X^\top] = v\,XX^\top = nv\,K`, so
  ``sigma_w2 = n * v``; :meth:`LinearGDProblem.from_data` takes ``v`` and converts explicitly.
* **Target variance** ``sigma_star2`` is :math:`\sigma_*^2` with :math:`E\|y\|^2 = \sigma_*^2
  \operatorname{tr} K` (eq. 5.2.11), i.e. :math:`\operatorname{Cov}(y) = \sigma_*^2 K`; the
  sloppy constructor draws :math:`\hat y_i \sim N(0, \sigma_*^2\lambda_i)`.
* **Time normalisation**: :math:`P_1(T) = \frac1T\sum_{t<T}\dots` as in eq. (5.2.5) ("mean"), and
  :math:`S_1(T) = T P_1(T)` as in eq. (5.2.9) ("sum"). From (5.2.9) on, the thesis's
  :math:`\lambda_i^{\sigma_w}` and :math:`\lambda_i^y` are eigenvalues of the *summed* matrices
  (e.g. its closed form for :math:`P_1^{\sigma_w}` has no :math:`1/T`); every lemma here says which
  normalisation it uses (see :class:`Normalization`).
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from .._validate import as_float, as_int, as_real_matrix, as_real_vector
from ..domains import Domain
from ..errors import InvalidArgument

__all__ = ["LinearGDProblem", "Normalization", "LINEAR_GD_DOMAINS", "sloppy_spectrum"]


class Normalization(str, enum.Enum):
    """Which time normalisation a PCA-matrix quantity uses."""

    MEAN = "mean"  #: P1(T) = (1/T) Σ_{t<T} ... as in eq. (5.2.5)
    SUM = "sum"    #: T·P1(T) = Σ_{t<T} ... as in eq. (5.2.9) and the proofs of §5.4


#: Declared domains of the parameters of :class:`LinearGDProblem`. The context of a domain is the
#: mapping ``{"lambda1": λ1(K), "lambdan": λn(K), "n": n}``.
LINEAR_GD_DOMAINS: dict[str, Domain] = {
    "n": Domain(low=1, low_closed=True, integer=True, typical=(2, 80)),
    "c": Domain(low=0.0, typical=(0.02, 2.0), log=True,
                note="slope of the sloppy spectrum λ_i = λ1·e^{-c(i-1)} (assumption (i))"),
    "alpha": Domain(low=0.0, high=lambda ctx: 2.0 / ctx["lambda1"], high_text="2/λ1(K)",
                    typical=(0.05, 1.0),
                    note="GD converges for α in (0, 2/λ1); the thesis assumes α < 1/λ1 (iii)"),
    "T": Domain(low=1, low_closed=True, integer=True, typical=(1, 10_000), log=True),
    "sigma_w2": Domain(low=0.0, low_closed=True, typical=(1e-3, 10.0), log=True),
    "sigma_star2": Domain(low=0.0, low_closed=True, typical=(1e-2, 10.0), log=True),
    "lambda1": Domain(low=0.0, typical=(0.1, 10.0), log=True),
}


def sloppy_spectrum(n: int, c: float, lambda1: float = 1.0) -> np.ndarray:
    r"""The thesis's sloppy spectrum :math:`\lambda_i = \lambda_1 e^{-c(i-1)}`, i = 1..n.

    Examples
    --------
    >>> lam = sloppy_spectrum(4, 0.5)
    >>> bool(np.allclose(lam, [1, np.exp(-0.5), np.exp(-1.0), np.exp(-1.5)]))
    True
    """
    owner = "sloppy_spectrum"
    n = as_int(n, "n", owner, minimum=1)
    LINEAR_GD_DOMAINS["c"].validate(c, "c", owner)
    LINEAR_GD_DOMAINS["lambda1"].validate(lambda1, "lambda1", owner)
    return float(lambda1) * np.exp(-float(c) * np.arange(n))


@dataclass(frozen=True)
class LinearGDProblem:
    r"""Linear regression trained by full-batch gradient descent (thesis §5.2).

    The residuals obey :math:`r_{t+1} = (I - \alpha K) r_t` (eq. 5.2.2) and the PCA matrix of an
    ensemble of trajectories is eq. (5.2.3); see the module docstring for every normalisation.

    Parameters
    ----------
    lam : (n,) array_like
        Eigenvalues of :math:`K = XX^\top/n`, strictly positive (assumption (ii): rank K = n);
        stored in descending order (``yhat`` is permuted along).
    yhat : (n,) array_like
        Targets in K's eigenbasis, :math:`\hat y = U^\top y`.
    alpha : float
        Step size, in :math:`(0, 2/\lambda_1)` (convergence). Lemmas that assume the thesis's
        :math:`\alpha < 1/\lambda_1` say so and report ``not_applicable`` otherwise.
    T : int
        Number of GD iterates in the trajectory, :math:`t = 0, \dots, T-1`.
    sigma_w2 : float
        :math:`\sigma_w^2 \ge 0`, prediction-space initialisation variance (see conventions).
    sigma_star2 : float, optional
        :math:`\sigma_*^2`, the variance the targets were drawn with, if known (eq. 5.2.11).
    c : float, optional
        Slope of the sloppy spectrum, set when ``lam`` is exactly :math:`\lambda_1 e^{-c(i-1)}`.
    basis : (n, n) array_like, optional
        Eigenvectors :math:`U` of K (columns), to map results back to data space.
    seed : int, optional
        The seed that drew the targets, if they were drawn (provenance only).

    Examples
    --------
    >>> p = LinearGDProblem.sloppy(n=50, c=0.2, alpha=0.9, T=50, sigma_w2=0.1, sigma_star2=2.0,
    ...                            seed=0)
    >>> p.n, p.lambda1, round(p.kappa, 3) == round(float(np.exp(0.2 * 49)), 3)
    (50, 1.0, True)
    """

    lam: np.ndarray
    yhat: np.ndarray
    alpha: float
    T: int
    sigma_w2: float = 0.0
    sigma_star2: Optional[float] = None
    c: Optional[float] = None
    basis: Optional[np.ndarray] = field(default=None, repr=False)
    seed: Optional[int] = None

    def __post_init__(self):
        owner = "LinearGDProblem"
        lam = as_real_vector(self.lam, "lam", owner)
        if np.any(lam <= 0):
            raise InvalidArgument("lam", owner,
                                  "have strictly positive entries (K positive definite, "
                                  "assumption (ii))", float(lam.min()))
        yhat = as_real_vector(self.yhat, "yhat", owner, length=lam.size)
        order = np.argsort(-lam, kind="stable")
        lam, yhat = lam[order], yhat[order]
        ctx = {"lambda1": float(lam[0]), "lambdan": float(lam[-1]), "n": lam.size}
        alpha = as_float(self.alpha, "alpha", owner)
        LINEAR_GD_DOMAINS["alpha"].validate(alpha, "alpha", owner, ctx)
        T = as_int(self.T, "T", owner, minimum=1)
        sigma_w2 = as_float(self.sigma_w2, "sigma_w2", owner)
        LINEAR_GD_DOMAINS["sigma_w2"].validate(sigma_w2, "sigma_w2", owner)
        sigma_star2 = self.sigma_star2
        if sigma_star2 is not None:
            sigma_star2 = as_float(sigma_star2, "sigma_star2", owner)
            LINEAR_GD_DOMAINS["sigma_star2"].validate(sigma_star2, "sigma_star2", owner)
        c = self.c
        if c is not None:
            c = as_float(c, "c", owner)
            LINEAR_GD_DOMAINS["c"].validate(c, "c", owner)
            expected = lam[0] * np.exp(-c * np.arange(lam.size))
            if not np.allclose(lam, expected, rtol=1e-12, atol=0):
                raise InvalidArgument("c", owner, "match the spectrum: λ_i = λ1·e^{-c(i-1)}", c)
        basis = self.basis
        if basis is not None:
            basis = as_real_matrix(basis, "basis", owner, shape=(lam.size, lam.size))[:, order]
            gram = basis.T @ basis
            if not np.allclose(gram, np.eye(lam.size), atol=1e-10 * lam.size):
                raise InvalidArgument("basis", owner, "be orthogonal (UᵀU = I)", basis)
            basis.setflags(write=False)
        lam.setflags(write=False)
        yhat.setflags(write=False)
        for name, value in (("lam", lam), ("yhat", yhat), ("alpha", alpha), ("T", T),
                            ("sigma_w2", sigma_w2), ("sigma_star2", sigma_star2), ("c", c),
                            ("basis", basis)):
            object.__setattr__(self, name, value)

    # ---------------------------------------------------------------- constructors
    @classmethod
    def sloppy(cls, n: int = 50, c: float = 0.2, alpha: float = 0.9, T: int = 50,
               sigma_w2: float = 0.1, sigma_star2: float = 2.0, seed: int = 0,
               lambda1: float = 1.0) -> "LinearGDProblem":
        r"""The thesis's setting: :math:`\lambda_i = \lambda_1 e^{-c(i-1)}`, :math:`\hat y_i \sim
        N(0, \sigma_*^2\lambda_i)` drawn with ``seed``.

        The defaults are the setting of thesis Fig 5.2 (n = 50, c = 0.2, T = 50,
        :math:`\sigma_w^2 = 0.1`, :math:`\sigma_*^2 = 2`); Fig 5.2 does not state α, the default
        0.9 (< 1/λ1, assumption (iii)) is this toolkit's choice.
        """
        owner = "LinearGDProblem.sloppy"
        lam = sloppy_spectrum(n, c, lambda1)
        LINEAR_GD_DOMAINS["sigma_star2"].validate(sigma_star2, "sigma_star2", owner)
        seed = as_int(seed, "seed", owner, minimum=0)
        rng = np.random.default_rng(seed)
        yhat = rng.standard_normal(lam.size) * np.sqrt(sigma_star2 * lam)
        return cls(lam=lam, yhat=yhat, alpha=alpha, T=T, sigma_w2=sigma_w2,
                   sigma_star2=sigma_star2, c=float(c), seed=seed)

    @classmethod
    def from_spectrum(cls, lam, *, alpha: float, T: int, sigma_w2: float = 0.0, yhat=None,
                      sigma_star2: Optional[float] = None, seed: int = 0) -> "LinearGDProblem":
        """A problem from any positive spectrum; targets given or drawn as in :meth:`sloppy`."""
        owner = "LinearGDProblem.from_spectrum"
        lam = as_real_vector(lam, "lam", owner)
        if yhat is None:
            if sigma_star2 is None:
                raise InvalidArgument("yhat", owner,
                                      "be given, or `sigma_star2` be given to draw it", None)
            rng = np.random.default_rng(as_int(seed, "seed", owner, minimum=0))
            yhat = rng.standard_normal(lam.size) * np.sqrt(sigma_star2 * np.abs(lam))
        c = _detect_slope(np.sort(lam)[::-1])
        return cls(lam=lam, yhat=yhat, alpha=alpha, T=T, sigma_w2=sigma_w2,
                   sigma_star2=sigma_star2, c=c, seed=seed)

    @classmethod
    def from_data(cls, X, y=None, *, alpha: float, T: int, init_variance: float = 0.0,
                  w_star=None) -> "LinearGDProblem":
        r"""A problem from data :math:`X \in \mathbb{R}^{n\times d}` (rows are inputs).

        :math:`K = XX^\top/n` is diagonalised with ``numpy.linalg.eigh`` (its spectrum is then
        known to float64 accuracy only, relative to :math:`\lambda_1`). ``y`` is given, or
        :math:`y = Xw^*`. ``init_variance`` is the per-weight variance *v* of
        :math:`w_0 \sim N(0, vI_d)`; the problem's ``sigma_w2`` is :math:`n v` (see conventions).
        """
        owner = "LinearGDProblem.from_data"
        X = as_real_matrix(X, "X", owner)
        n = X.shape[0]
        if (y is None) == (w_star is None):
            raise InvalidArgument("y", owner, "be given, or else `w_star` (exactly one of them)",
                                  None)
        if y is None:
            w_star = as_real_vector(w_star, "w_star", owner, length=X.shape[1])
            y = X @ w_star
        y = as_real_vector(y, "y", owner, length=n)
        LINEAR_GD_DOMAINS["sigma_w2"].validate(init_variance, "init_variance", owner)
        K = X @ X.T / n
        lam, U = np.linalg.eigh(K)
        lam, U = lam[::-1].copy(), U[:, ::-1].copy()
        floor = n * np.finfo(float).eps * max(lam[0], 0.0)
        if lam[-1] <= floor:
            raise InvalidArgument("X", owner,
                                  "have rank n (K = XXᵀ/n positive definite, assumption (ii)); "
                                  f"λn(K) = {lam[-1]:.3g} is below the float64 floor {floor:.3g}",
                                  X)
        return cls(lam=lam, yhat=U.T @ y, alpha=alpha, T=T, sigma_w2=n * float(init_variance),
                   basis=U)

    def replace(self, **changes) -> "LinearGDProblem":
        """A copy with some parameters changed (validated again)."""
        return replace(self, **changes)

    # ---------------------------------------------------------------- derived quantities
    @property
    def n(self) -> int:
        return int(self.lam.size)

    @property
    def lambda1(self) -> float:
        return float(self.lam[0])

    @property
    def lambdan(self) -> float:
        return float(self.lam[-1])

    @property
    def kappa(self) -> float:
        """Condition number :math:`\\lambda_1/\\lambda_n` of K."""
        return float(self.lam[0] / self.lam[-1])

    @property
    def s(self) -> np.ndarray:
        """:math:`s_i = \\alpha\\lambda_i`."""
        return self.alpha * self.lam

    @property
    def y_norm2(self) -> float:
        """:math:`\\|y\\|^2`."""
        return float(math.fsum(self.yhat**2))

    @property
    def context(self) -> dict:
        """The mapping the parameter domains are evaluated in."""
        return {"lambda1": self.lambda1, "lambdan": self.lambdan, "n": self.n}

    def parameters(self) -> dict:
        """JSON-ready description (spectrum summarised when it is sloppy)."""
        out = {"n": self.n, "alpha": self.alpha, "T": self.T, "sigma_w2": self.sigma_w2,
               "sigma_star2": self.sigma_star2, "c": self.c, "lambda1": self.lambda1,
               "lambdan": self.lambdan, "y_norm2": self.y_norm2, "seed": self.seed}
        return out


def _detect_slope(lam: np.ndarray) -> Optional[float]:
    if lam.size < 2 or np.any(lam <= 0):
        return None
    c = float(np.log(lam[0] / lam[1]))
    if c <= 0:
        return None
    expected = lam[0] * np.exp(-c * np.arange(lam.size))
    return c if np.allclose(lam, expected, rtol=1e-12, atol=0) else None
