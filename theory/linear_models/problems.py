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

from .._validate import as_float, as_real_matrix, as_real_vector
from ..domains import MAX_EXACT_INT, Domain, check_allocation, size_domain
from ..errors import InvalidArgument

__all__ = ["LinearGDProblem", "Normalization", "LINEAR_GD_DOMAINS", "MAX_N", "sloppy_spectrum",
           "check_sloppy_representable"]


class Normalization(str, enum.Enum):
    """Which time normalisation a PCA-matrix quantity uses."""

    MEAN = "mean"  #: P1(T) = (1/T) Σ_{t<T} ... as in eq. (5.2.5)
    SUM = "sum"    #: T·P1(T) = Σ_{t<T} ... as in eq. (5.2.9) and the proofs of §5.4


#: Largest n of a :class:`LinearGDProblem` (a length-n float64 spectrum is 8n bytes = 128 MiB at
#: the bound; engines that build n×n matrices check their own 8n² bytes against
#: :data:`~hyperribbon.theory.domains.MAX_ALLOCATION_BYTES` before allocating).
MAX_N = 2**24
#: Smallest positive normal float64: spectra, step fractions s = αλ and targets are kept normal so
#: that every quantity keeps its relative accuracy (a subnormal has lost bits to underflow).
TINY = float(np.finfo(np.float64).tiny)
_LOG_TINY = math.log(TINY)

#: Declared domains of the parameters of :class:`LinearGDProblem`. The context of a domain is the
#: mapping ``{"lambda1": λ1(K), "lambdan": λn(K), "n": n}``.
LINEAR_GD_DOMAINS: dict[str, Domain] = {
    "n": size_domain(MAX_N, "MAX_N of hyperribbon.theory.linear_models.problems", typical=(2, 80),
                     unit_bytes=8),
    "c": Domain(low=0.0, typical=(0.02, 2.0), log=True,
                note="slope of the sloppy spectrum λ_i = λ1·e^{-c(i-1)} (assumption (i))"),
    "alpha": Domain(low=0.0, high=lambda ctx: 2.0 / ctx["lambda1"], high_text="2/λ1(K)",
                    typical=(0.05, 1.0),
                    note="GD converges for α in (0, 2/λ1); the thesis assumes α < 1/λ1 (iii)"),
    "T": size_domain(MAX_EXACT_INT, "2^53: T enters float64 formulas exactly", typical=(1, 10_000),
                     log=True),
    "sigma_w2": Domain(low=0.0, low_closed=True, typical=(1e-3, 10.0), log=True),
    "sigma_star2": Domain(low=0.0, low_closed=True, typical=(1e-2, 10.0), log=True),
    "lambda1": Domain(low=0.0, typical=(0.1, 10.0), log=True),
    "seed": Domain(low=0, low_closed=True, integer=True, typical=(0, 2**31 - 1)),
}


def _finite_domain(name: str, value, owner: str, argument: Optional[str] = None, ctx=None):
    """Validate ``value`` against ``LINEAR_GD_DOMAINS[name]`` and require it finite."""
    argument = argument or name
    value = LINEAR_GD_DOMAINS[name].coerce(value, argument, owner, ctx)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidArgument(argument, owner, "be finite", value)
    return value


def sloppy_spectrum(n: int, c: float, lambda1: float = 1.0) -> np.ndarray:
    r"""The thesis's sloppy spectrum :math:`\lambda_i = \lambda_1 e^{-c(i-1)}`, i = 1..n.

    Every eigenvalue must be a normal float64: :math:`c(n-1) \le \ln(\lambda_1/2^{-1022})`
    (708.4 for λ1 = 1); beyond it :math:`\lambda_n` would underflow and the problem could not
    be represented (an :class:`~hyperribbon.theory.errors.InvalidArgument` names ``c`` and ``n``).

    Examples
    --------
    >>> lam = sloppy_spectrum(4, 0.5)
    >>> bool(np.allclose(lam, [1, np.exp(-0.5), np.exp(-1.0), np.exp(-1.5)]))
    True
    >>> sloppy_spectrum(50, 20.0)                         # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hyperribbon.theory.errors.InvalidArgument: Argument `c` of `sloppy_spectrum` must satisfy c·(n − 1) ≤ ln(λ1/2^-1022) = 708.4 with n = 50, ...
    """
    return _sloppy(n, c, lambda1, "sloppy_spectrum")


def _sloppy(n, c, lambda1, owner: str, c_name: str = "c") -> np.ndarray:
    n = _finite_domain("n", n, owner)
    c = _finite_domain("c", c, owner, c_name)
    lambda1 = _finite_domain("lambda1", lambda1, owner)
    check_sloppy_representable(n, c, lambda1, owner, c_name)
    lam = lambda1 * np.exp(-c * np.arange(n))
    if lam[-1] < TINY:                              # the rule's boundary, within rounding
        check_sloppy_representable(n, c * (1 + 1e-9), lambda1, owner, c_name)
    return lam


def check_sloppy_representable(n: int, c: float, lambda1: float, owner: str,
                               c_name: str = "c") -> None:
    r"""Raise :class:`InvalidArgument` on ``c`` (naming n and the rule) when
    :math:`\lambda_n = \lambda_1e^{-c(n-1)}` is not a normal float64."""
    budget = math.log(lambda1) - _LOG_TINY
    if budget <= 0:                     # no c ≥ 0 helps: λ1 itself is below the normal range
        raise InvalidArgument("lambda1", owner, "be a normal float64 (≥ 2^-1022 ≈ 2.2e-308), "
                              "so that the spectrum λ1·e^{-c i} is representable", lambda1)
    if n > 1 and c * (n - 1) >= budget:
        raise InvalidArgument(
            c_name, owner, f"satisfy c·(n − 1) ≤ ln(λ1/2^-1022) = {budget:.1f} with n = {n}, so "
            "that λ_n = λ1·e^{-c(n−1)} is a normal float64 (largest c for this n: "
            f"{budget / (n - 1):.6g})", c)


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
        LINEAR_GD_DOMAINS["n"].validate(lam.size, "lam", owner + " (its length n)")
        if np.any(lam <= 0):
            raise InvalidArgument("lam", owner,
                                  "have strictly positive entries (K positive definite, "
                                  "assumption (ii))", float(lam.min()))
        if np.any(lam < TINY):
            raise InvalidArgument("lam", owner,
                                  f"have entries ≥ {TINY:.4g} (positive normal float64 numbers: "
                                  "a subnormal eigenvalue has lost its relative accuracy to "
                                  "underflow)", float(lam.min()))
        yhat = as_real_vector(self.yhat, "yhat", owner, length=lam.size)
        order = np.argsort(-lam, kind="stable")
        lam, yhat = lam[order], yhat[order]
        ctx = {"lambda1": float(lam[0]), "lambdan": float(lam[-1]), "n": lam.size}
        alpha = as_float(self.alpha, "alpha", owner)
        alpha = _finite_domain("alpha", alpha, owner, ctx=ctx)
        if alpha * float(lam[-1]) < TINY:
            raise InvalidArgument("alpha", owner,
                                  f"be ≥ 2^-1022/λn(K) = {TINY / float(lam[-1]):.4g} so that "
                                  "s_n = αλn is a normal float64", alpha)
        T = _finite_domain("T", self.T, owner)
        sigma_w2 = _finite_domain("sigma_w2", as_float(self.sigma_w2, "sigma_w2", owner), owner)
        sigma_star2 = self.sigma_star2
        if sigma_star2 is not None:
            sigma_star2 = _finite_domain("sigma_star2",
                                         as_float(sigma_star2, "sigma_star2", owner), owner)
        c = self.c
        if c is not None:
            c = _finite_domain("c", as_float(c, "c", owner), owner)
            expected = lam[0] * np.exp(-c * np.arange(lam.size))
            if not np.allclose(lam, expected, rtol=1e-12, atol=0):
                raise InvalidArgument("c", owner, "match the spectrum: λ_i = λ1·e^{-c(i-1)}", c)
        basis = self.basis
        if basis is not None:
            check_allocation(float(lam.size) ** 2, "basis", owner, lam.size,
                             what="the n×n Gram matrix UᵀU of the basis")
            basis = as_real_matrix(basis, "basis", owner, shape=(lam.size, lam.size))[:, order]
            gram = basis.T @ basis
            # a float64 orthogonal matrix from an eigensolver is orthogonal to ~n·ε; this only
            # rejects bases that are not orthogonal at all (e.g. float32 or unnormalised columns)
            if not np.allclose(gram, np.eye(lam.size), atol=1e-10 * lam.size):
                raise InvalidArgument("basis", owner, "be orthogonal (UᵀU = I to 1e-10·n)",
                                      basis)
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
        lam = _sloppy(n, c, lambda1, owner)
        sigma_star2 = _finite_domain("sigma_star2", sigma_star2, owner)
        seed = _finite_domain("seed", seed, owner)
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
            sigma_star2 = _finite_domain("sigma_star2", sigma_star2, owner)
            rng = np.random.default_rng(_finite_domain("seed", seed, owner))
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
        LINEAR_GD_DOMAINS["n"].validate(n, "X", owner + " (its number of rows n)")
        check_allocation(float(n) ** 2, "X", owner, X, what="K = XXᵀ/n (n×n float64, n = rows)")
        if (y is None) == (w_star is None):
            raise InvalidArgument("y", owner, "be given, or else `w_star` (exactly one of them)",
                                  None)
        init_variance = _finite_domain("sigma_w2", init_variance, owner, "init_variance")
        # K is homogeneous of degree 2 in X: diagonalise the exactly rescaled X·2^-k (entries of
        # modulus < 1), so that neither XXᵀ overflows nor tiny X underflows, then scale back.
        big = float(np.max(np.abs(X))) if X.size else 0.0
        if big == 0.0:
            raise InvalidArgument("X", owner, "have rank n (K = XXᵀ/n positive definite, "
                                  "assumption (ii)); X is zero", X)
        k = math.frexp(big)[1]
        Xs = np.ldexp(X, -k)
        if y is None:
            w_star = as_real_vector(w_star, "w_star", owner, length=X.shape[1])
            ys = Xs @ w_star
            with np.errstate(over="ignore"):
                y = np.ldexp(ys, k)
            if not np.all(np.isfinite(y)):
                raise InvalidArgument("w_star", owner, "give finite targets y = X·w* (X·w* "
                                      "overflows float64)", w_star)
        y = as_real_vector(y, "y", owner, length=n)
        Ks = Xs @ Xs.T / n
        lam_s, U = np.linalg.eigh(Ks)
        lam_s, U = lam_s[::-1].copy(), U[:, ::-1].copy()
        floor = n * np.finfo(float).eps * lam_s[0]
        if lam_s[-1] <= floor:
            raise InvalidArgument(
                "X", owner, "have rank n (K = XXᵀ/n positive definite, assumption (ii)); "
                f"λn(K)/λ1(K) = {lam_s[-1] / lam_s[0]:.3g} is at or below the float64 rank "
                f"threshold n·ε = {n * np.finfo(float).eps:.3g}", X)
        log_l1 = math.log(lam_s[0]) + 2 * k * math.log(2.0)
        log_ln = math.log(lam_s[-1]) + 2 * k * math.log(2.0)
        if log_l1 >= math.log(np.finfo(float).max):
            raise InvalidArgument(
                "X", owner, "have entries small enough that λ1(K) of K = XXᵀ/n is a finite "
                f"float64 (λ1(K) ≈ 10^{log_l1 / math.log(10):.1f} overflows; rescale X)", X)
        if log_ln < _LOG_TINY:
            raise InvalidArgument(
                "X", owner, "have entries large enough that λn(K) of K = XXᵀ/n is a normal "
                f"float64 (λn(K) ≈ 10^{log_ln / math.log(10):.1f} underflows; rescale X)", X)
        lam = np.ldexp(lam_s, 2 * k)
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
        """Condition number :math:`\\lambda_1/\\lambda_n` of K (``inf`` if it overflows; see
        :attr:`log_kappa`)."""
        with np.errstate(over="ignore"):
            return float(self.lam[0] / self.lam[-1])

    @property
    def log_kappa(self) -> float:
        """:math:`\\ln(\\lambda_1/\\lambda_n)`, finite for every representable spectrum."""
        return math.log(self.lam[0]) - math.log(self.lam[-1])

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
