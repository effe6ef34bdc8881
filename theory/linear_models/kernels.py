r"""Thesis §5.3, kernel machines: trajectories of M kernel machines pooled into one PCA matrix.

Each kernel m has Gram matrix :math:`K^{(m)}_{ij} = k_m(x_i, x_j)/n` and residuals
:math:`r^{(i,m)}_{t+1} = (I-\alpha K^{(m)})r^{(i,m)}_t`. With initial residual covariance
:math:`\sigma_w^2K^{(m)} + yy^\top` for kernel m,

.. math:: P(M,T) = \frac1M\sum_m P_1^{(m)}(T) - K_{T,M}yy^\top K_{T,M},\qquad
          K_{T,M} = \frac{1}{MT}\sum_m\sum_{t<T}(K_d^{(m)})^t,

and eq. (5.3.2) bounds the eigenvalue ratios of :math:`TP_1(M,T) = \frac1M\sum_m TP_1^{(m)}(T)`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import mpmath
import numpy as np
import sympy as sp

from . import gd_closed_forms as cf
from ._linear_gd_support import EPS, comparison, rel_err
from .._validate import as_float64_array, as_real_matrix, as_real_vector, check_symmetric
from ..domains import check_allocation, size_domain
from ..errors import InvalidArgument, PrecisionExhausted
from ..lemma import Assumption, Lemma, Precision
from .problems import LINEAR_GD_DOMAINS, TINY, _sloppy
from ..registry import register

__all__ = ["MultiKernelProblem", "MULTI_KERNEL_DOMAINS", "bound_5_3_2", "LEMMA_5_3_2", "EQ_PMT"]


def _validated_spectra(spectra, owner: str) -> tuple:
    """((λ descending, U), ...) with λ positive normal floats and U orthogonal to 64nε."""
    try:
        items = list(spectra)
    except TypeError:
        raise InvalidArgument("spectra", owner, "be a sequence of (λ, U) pairs", spectra) from None
    if not items:
        raise InvalidArgument("spectra", owner, "contain at least one (λ, U) pair", spectra)
    MULTI_KERNEL_DOMAINS["M"].validate(len(items), "spectra", owner + " (M kernels)")
    out, n = [], None
    for item in items:
        try:
            lam, U = item
        except (TypeError, ValueError):
            raise InvalidArgument("spectra", owner, "be a sequence of (λ, U) pairs", item) \
                from None
        lam = as_real_vector(lam, "spectra", owner, length=n)
        n = lam.size
        MULTI_KERNEL_DOMAINS["n"].validate(n, "spectra", owner + " (n)")
        if not np.all(lam >= TINY):
            raise InvalidArgument("spectra", owner, "have eigenvalues that are positive normal "
                                  f"float64 numbers (≥ {TINY:.4g}; K positive definite)",
                                  float(lam.min()))
        U = as_real_matrix(U, "spectra", owner, shape=(n, n))
        tol = 64 * n * EPS
        if np.max(np.abs(U.T @ U - np.eye(n))) > tol:
            raise InvalidArgument("spectra", owner, f"have orthogonal U (|UᵀU − I| ≤ 64·n·ε = "
                                  f"{tol:.3g})", U)
        order = np.argsort(-lam, kind="stable")
        lam, U = lam[order].copy(), U[:, order].copy()
        lam.setflags(write=False)
        U.setflags(write=False)
        out.append((lam, U))
    return tuple(out)


#: Declared domains of :class:`MultiKernelProblem` beyond those of LINEAR_GD_DOMAINS.
MULTI_KERNEL_DOMAINS = {
    "n": LINEAR_GD_DOMAINS["n"],
    "M": size_domain(4096, "one Gram matrix per kernel is stored", typical=(1, 4)),
}


@dataclass(frozen=True)
class MultiKernelProblem:
    r"""M kernel machines trained by GD on the same targets (thesis §5.3, "Kernel machines").

    Parameters
    ----------
    grams : (M, n, n) array_like
        Gram matrices :math:`K^{(m)}`, symmetric positive definite. Given as matrices, each is
        diagonalised by ``eigh``, which resolves eigenvalues only to
        :math:`8n\varepsilon\|K\|_2` (absolute): the smallest must exceed that to be *certified*
        positive. Matrices with smaller eigenvalues (e.g. sloppy kernels) are passed by their
        spectra instead (:meth:`from_spectra`, which :meth:`sloppy` uses).
    y : (n,) array_like
        Targets.
    alpha : float
        Common step size, in (0, 2/max_m λ1(K^(m))).
    T : int
    sigma_w2 : float
    slopes : (M,) array_like, optional
        :math:`c^{(m)}` when :math:`K^{(m)}` has the sloppy spectrum λ1·e^{-c(i-1)}.
    spectra : tuple of M pairs (λ, U), optional
        Exact eigendecompositions :math:`K^{(m)} = U\,\mathrm{diag}(\lambda)U^\top` (λ
        descending, positive normal floats; U orthogonal to 64nε). When given, they define the
        problem and ``grams`` must agree with them to rounding (:meth:`from_spectra`).

    Examples
    --------
    >>> p = MultiKernelProblem.sloppy(n=6, slopes=[0.3, 0.5], seed=0)
    >>> p.M, p.n
    (2, 6)
    >>> q = MultiKernelProblem.sloppy(n=100, seed=0)   # λmin = e^{-49.5}: far below eigh's noise
    >>> bool(q.spectrum(2)[0][-1] == np.exp(-0.5 * 99))
    True
    """

    grams: np.ndarray
    y: np.ndarray
    alpha: float
    T: int
    sigma_w2: float = 0.0
    slopes: Optional[tuple] = None
    spectra: Optional[tuple] = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        owner = "MultiKernelProblem"
        if self.spectra is not None:
            eig = _validated_spectra(self.spectra, owner)
            n = eig[0][0].size
            G = self.grams
            if G is None:
                G = np.array([(U * lam) @ U.T for lam, U in eig])
            G = as_float64_array(G, "grams", owner)
            if G.shape != (len(eig), n, n):
                raise InvalidArgument("grams", owner, f"have shape ({len(eig)}, {n}, {n}) like "
                                      "`spectra` (or be None)", G)
            for m, (lam, U) in enumerate(eig):
                as_real_matrix(G[m], "grams", owner, square=True)
                tol = 64 * n * EPS * float(lam[0])
                if np.max(np.abs(G[m] - (U * lam) @ U.T)) > tol:
                    raise InvalidArgument("grams", owner, f"agree with `spectra` (kernel {m}: "
                                          f"|K − UΛUᵀ| > 64·n·ε·λ1 = {tol:.3g})", G)
        else:
            G = as_float64_array(self.grams, "grams", owner)
            if G.ndim != 3 or G.shape[1] != G.shape[2]:
                raise InvalidArgument("grams", owner, "have shape (M, n, n)", G)
            MULTI_KERNEL_DOMAINS["M"].validate(G.shape[0], "grams", owner + " (M kernels)")
            eig = []
            for m in range(G.shape[0]):
                as_real_matrix(G[m], "grams", owner, square=True)
                check_symmetric(G[m], "grams", owner)
                lam, U = np.linalg.eigh((G[m] + G[m].T) / 2)
                # eigh's eigenvalues are accurate to ~n·ε·‖K‖ (absolute): only an eigenvalue above
                # 8·n·ε·‖K‖ (the float64 oracle's bound) is certified positive
                tol = 8 * G.shape[1] * EPS * max(abs(float(lam[0])), abs(float(lam[-1])))
                if not lam[0] > tol:
                    raise InvalidArgument(
                        "grams", owner,
                        f"be positive definite resolvably in float64: kernel {m} has λmin = "
                        f"{lam[0]:.3g}, not above eigh's resolution 8·n·ε·‖K‖ = {tol:.3g} (pass "
                        "exact spectra with MultiKernelProblem.from_spectra)", G)
                eig.append((lam[::-1].copy(), U[:, ::-1].copy()))
            eig = tuple(eig)
        n = G.shape[1]
        y = as_real_vector(self.y, "y", owner, length=n)
        lam1 = max(e[0][0] for e in eig)
        alpha = LINEAR_GD_DOMAINS["alpha"].coerce(self.alpha, "alpha", owner, {"lambda1": lam1})
        T = LINEAR_GD_DOMAINS["T"].coerce(self.T, "T", owner)
        sigma_w2 = LINEAR_GD_DOMAINS["sigma_w2"].coerce(self.sigma_w2, "sigma_w2", owner)
        if not math.isfinite(sigma_w2):
            raise InvalidArgument("sigma_w2", owner, "be finite", sigma_w2)
        slopes = None
        if self.slopes is not None:
            try:
                slopes = tuple(self.slopes)
            except TypeError:
                raise InvalidArgument("slopes", owner, "be a sequence of slopes", self.slopes) \
                    from None
            slopes = tuple(LINEAR_GD_DOMAINS["c"].coerce(c, "slopes", owner) for c in slopes)
            if len(slopes) != G.shape[0]:
                raise InvalidArgument("slopes", owner,
                                      f"have one slope per kernel ({G.shape[0]})", slopes)
        G.setflags(write=False)
        y.setflags(write=False)
        for name, value in (("grams", G), ("y", y), ("T", T), ("slopes", slopes),
                            ("alpha", alpha), ("sigma_w2", sigma_w2), ("spectra", eig)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_eig", eig)

    @classmethod
    def from_spectra(cls, spectra, y, alpha: float, T: int, sigma_w2: float = 0.0,
                     slopes=None) -> "MultiKernelProblem":
        """A problem from exact eigendecompositions ``[(λ_m, U_m), ...]`` of the kernels
        (the Gram matrices are formed from them for display and brute-force checks only)."""
        return cls(grams=None, y=y, alpha=alpha, T=T, sigma_w2=sigma_w2, slopes=slopes,
                   spectra=spectra)

    @classmethod
    def sloppy(cls, n: int = 30, slopes=(0.2, 0.3, 0.5), alpha: float = 0.9, T: int = 50,
               sigma_w2: float = 0.1, sigma_star2: float = 2.0, seed: int = 0,
               shared_basis: bool = False) -> "MultiKernelProblem":
        r"""Kernels :math:`U_m\,\mathrm{diag}(e^{-c_m(i-1)})U_m^\top` with random orthogonal
        :math:`U_m` (one shared U if ``shared_basis``); targets :math:`y \sim N(0,
        \sigma_*^2\bar K)`, :math:`\bar K` the mean Gram matrix. The exact spectra are kept
        (:meth:`from_spectra`), so arbitrarily sloppy kernels are represented faithfully."""
        owner = "MultiKernelProblem.sloppy"
        n = MULTI_KERNEL_DOMAINS["n"].coerce(n, "n", owner)
        try:
            slopes = tuple(slopes)
        except TypeError:
            raise InvalidArgument("slopes", owner, "be a sequence of slopes", slopes) from None
        MULTI_KERNEL_DOMAINS["M"].validate(len(slopes), "slopes", owner + " (its length M)")
        check_allocation(float(len(slopes) + 2) * float(n) ** 2, "n", owner, n,
                         what=f"M + 2 = {len(slopes) + 2} n×n float64 matrices")
        lams = [_sloppy(n, c, 1.0, owner, "slopes") for c in slopes]   # every slope, named
        sigma_star2 = LINEAR_GD_DOMAINS["sigma_star2"].coerce(sigma_star2, "sigma_star2", owner)
        rng = np.random.default_rng(LINEAR_GD_DOMAINS["seed"].coerce(seed, "seed", owner))
        U0 = np.linalg.qr(rng.standard_normal((n, n)))[0]
        spectra = []
        for lam in lams:
            U = U0 if shared_basis else np.linalg.qr(rng.standard_normal((n, n)))[0]
            spectra.append((lam, U))
        Kbar = np.mean([(U * lam) @ U.T for lam, U in spectra], axis=0)
        w, V = np.linalg.eigh((Kbar + Kbar.T) / 2)
        y = V @ (np.sqrt(np.clip(w, 0, None) * sigma_star2) * rng.standard_normal(n))
        return cls.from_spectra(spectra, y=y, alpha=alpha, T=T, sigma_w2=sigma_w2,
                                slopes=tuple(float(c) for c in slopes))

    @property
    def M(self) -> int:
        return int(self.grams.shape[0])

    @property
    def n(self) -> int:
        return int(self.grams.shape[1])

    @property
    def y_norm2(self) -> float:
        return float(math.fsum(self.y**2))

    def spectrum(self, m: int):
        """(λ, U) of kernel m, descending."""
        return self._eig[m]

    def parameters(self) -> dict:
        return {"M": self.M, "n": self.n, "alpha": self.alpha, "T": self.T,
                "sigma_w2": self.sigma_w2, "slopes": self.slopes, "y_norm2": self.y_norm2}

    # --------------------------------------------------------------- closed forms
    def summed_P1(self) -> np.ndarray:
        """:math:`TP_1(M,T) = \\frac1M\\sum_m TP_1^{(m)}(T)` in data space (closed forms)."""
        S = np.zeros((self.n, self.n))
        for lam, U in self._eig:
            s = self.alpha * lam
            yhat = U.T @ self.y
            Sm = cf.target_gramian(s, yhat, self.T) + np.diag(
                cf.sigma_w_eigenvalues(s, self.alpha, self.sigma_w2, self.T))
            S += U @ Sm @ U.T
        return S / self.M

    def mean_operator(self) -> np.ndarray:
        """:math:`K_{T,M}` in data space."""
        out = np.zeros((self.n, self.n))
        for lam, U in self._eig:
            out += (U * cf.k_T_diagonal(self.alpha * lam, self.T)) @ U.T
        return out / self.M

    def P(self) -> np.ndarray:
        """P(M, T) (mean normalisation)."""
        m = self.mean_operator() @ self.y
        return self.summed_P1() / self.T - np.outer(m, m)


def bound_5_3_2(p: MultiKernelProblem) -> np.ndarray:
    """Right-hand side of eq. (5.3.2) for i = 1..n (both branches; k = ⌊k*⌋ in indices)."""
    rhos = np.array([cf.rho_thesis(lam[0], lam[-1]) for lam, _ in p._eig])
    q = p.sigma_w2 / (p.alpha * p.y_norm2)
    ks = min(math.log(2 * p.T * p.alpha) / (2 * c) for c in p.slopes)
    k = max(int(math.floor(ks)), 1)
    out = np.empty(p.n)
    for i in range(1, p.n + 1):
        f = (i - 1) // p.M
        if i <= 2 * ks:
            out[i - 1] = min(1.0, 4.0 / p.M * float(np.sum(rhos ** (-float(f)))) + q)
        else:
            j = min(max(f - k + 2, 1), p.n) - 1
            tail = [4 * r ** (-(k - 1.0)) + q * min(1.0, 2 * p.alpha * p.T * lam[j])
                    for r, (lam, _) in zip(rhos, p._eig)]
            out[i - 1] = float(np.mean(tail))
    return out


def _eigs(p: MultiKernelProblem, precision):
    if precision is Precision.FLOAT64:
        S = p.summed_P1()
        v = np.sort(np.linalg.eigvalsh(S))[::-1]
        return v, np.full(p.n, 8 * p.n * p.M * EPS * v[0])
    if p.n > 60:
        raise PrecisionExhausted("the mpmath rung of the kernel lemmas is limited to n ≤ 60")
    with mpmath.workdps(50):
        S = mpmath.matrix(p.n, p.n)
        for lam, U in p._eig:
            a = [1 - mpmath.mpf(p.alpha) * mpmath.mpf(float(x)) for x in lam]
            yh = [mpmath.fsum(mpmath.mpf(float(U[r, i])) * mpmath.mpf(float(p.y[r]))
                              for r in range(p.n)) for i in range(p.n)]
            Sm = mpmath.matrix(p.n, p.n)
            for i in range(p.n):
                for j in range(p.n):
                    x = a[i] * a[j]
                    Sm[i, j] = yh[i] * yh[j] * (1 - x**p.T) / (1 - x)
                Sm[i, i] += mpmath.mpf(p.sigma_w2) * mpmath.mpf(float(lam[i])) \
                    * (1 - a[i] ** (2 * p.T)) / (1 - a[i] ** 2)
            Um = mpmath.matrix(U.tolist())
            S += Um * Sm * Um.T
        ev = mpmath.eigsy(S / p.M, eigvals_only=True)
        v = np.sort(np.array([float(x) for x in ev]))[::-1]
    return v, np.full(p.n, p.n * 1e-40 * abs(v[0])) + 4 * EPS * np.abs(v)


def _eval_5_3_2(p: MultiKernelProblem, precision):
    v, e = _eigs(p, precision)
    r = v / v[0]
    err = (e + np.abs(r) * e[0]) / v[0]
    rhs = bound_5_3_2(p)
    idx = np.arange(2, p.n + 1)
    rhs_err = np.where(rhs[1:] == 1.0, 0.0, rel_err(rhs[1:], 64 + 4 * p.n))
    return [comparison("λ_i/λ_1 of (1/M)Σ_m TP1^(m) ≤ bound (5.3.2)", idx, r[1:], rhs[1:],
                       err[1:], rhs_err)]


def _eval_pmt(p: MultiKernelProblem, precision):
    """Brute force: pool the exact second moments of every kernel, time step and the mean."""
    if p.M * p.T * p.n**3 > 5e8:
        raise PrecisionExhausted("brute-force sum too large (M·T·n³ > 5e8)")
    S, mean = np.zeros((p.n, p.n)), np.zeros(p.n)
    bound = np.zeros((p.n, p.n))
    for K in p.grams:
        Kd = np.eye(p.n) - p.alpha * K
        M0 = p.sigma_w2 * K + np.outer(p.y, p.y)
        power = np.eye(p.n)
        for _ in range(p.T):
            term = power @ M0 @ power
            S += term
            bound += np.abs(term)
            mean -= power @ p.y
            power = power @ Kd
    brute = S / (p.M * p.T) - np.outer(mean, mean) / (p.M * p.T) ** 2
    closed = p.P()
    # the closed form is assembled in each kernel's eigenbasis and rotated back, so its rounding
    # error is absolute, ~ n·ε·max|entry|, in every entry (not relative to each entry)
    scale = np.max(bound) / (p.M * p.T) + np.max(np.abs(closed)) + np.max(p.y**2)
    tol = np.full(bound.shape, 32 * (p.T + p.n) * p.n * EPS * scale)
    return [comparison("pooled Σ_{m,t} brute force  vs  (1/M)Σ P1^(m) − K_{T,M}yyᵀK_{T,M}",
                       np.arange(p.n * p.n), brute.ravel(), closed.ravel(), tol.ravel(),
                       tol.ravel(), "==")]


_ALPHA = Assumption("0 < α < 1/max_m λ1(K^(m))",
                    lambda p: p.alpha * max(lam[0] for lam, _ in p._eig) < 1, "§5.2 (iii)")
_SLOPES = Assumption("every kernel sloppy with known slope c^(m)", lambda p: p.slopes is not None,
                     "§5.3 (kernels)")
_K1 = Assumption("k* = min_m ln(2Tα)/(2c^(m)) ≥ 1 and n ≥ 2 (an index: 2Tα ≥ e^{2c^(m)})",
                 lambda p: p.slopes is not None and p.n >= 2 and all(
                     math.log(2 * p.T * p.alpha) >= 2 * c for c in p.slopes),
                 "eq. (5.3.2) (implicit)")
_SAME_L1 = Assumption("all kernels share λ1 (same step size)", lambda p: np.ptp(
    [lam[0] for lam, _ in p._eig]) <= 1e-12 * max(lam[0] for lam, _ in p._eig), "§5.3 (kernels)")

LEMMA_5_3_2 = register(Lemma(
    id="thesis-eq-5.3.2", number="(5.3.2)",
    title="M-kernel bound on the eigenvalue ratios of (1/M)Σ_m TP1^(m)",
    provenance="Thesis §5.3 'Kernel machines', eq. (5.3.2) and its i > 2k* branch; "
               "k* = min_m ln(2Tα)/(2c^(m))",
    statement=[sp.Symbol(r"\frac{\lambda_i}{\lambda_1} \le \min\{1, \frac4M\sum_m "
                         r"\rho_m^{-\lfloor (i-1)/M\rfloor} + \frac{\sigma_w^2}{\alpha\|y\|^2}\}"),
               sp.Symbol(r"\frac{\lambda_i}{\lambda_1} \le \frac1M\sum_m\{4\rho_m^{-(k^*-1)} + "
                         r"\frac{\sigma_w^2\min\{1, 2\alpha T\lambda^{(m)}_{\lfloor (i-1)/M\rfloor"
                         r"-k^*+2}\}}{\alpha\|y\|^2}\}")],
    evaluate=_eval_5_3_2, problem_type=MultiKernelProblem,
    assumptions=(_ALPHA, _SLOPES, _K1, _SAME_L1), normalization="ratio (either)",
    ladder=(Precision.FLOAT64, Precision.MPMATH),
    description="The second branch is read as (1/M)Σ_m[4ρ_m^{-(k-1)} + σw²min{…}/(α‖y‖²)].",
))
EQ_PMT = register(Lemma(
    id="thesis-eq-5.3-pmt", number="5.3-kernel-pmt",
    title="P(M,T) = (1/M)Σ_m P1^(m)(T) − K_{T,M} y yᵀ K_{T,M}",
    provenance="Thesis §5.3 'Kernel machines', the analog of eq. (5.2.5)",
    statement=sp.Symbol(r"P(M,T) = \frac1M\sum_m P_1^{(m)}(T) - K_{T,M}yy^\top K_{T,M}"),
    evaluate=_eval_pmt, problem_type=MultiKernelProblem, ladder=(Precision.FLOAT64,),
    normalization="mean",
))
