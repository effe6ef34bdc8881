r"""Thesis §4.3.2, Remark 4.3.3: the inner-product kernel matrix
:math:`M_{ij} = f(x_i^\top x_j/d)` is approximated (El Karoui 2010, Theorem 2.1) by

.. math:: K = \Big(f(0) + f''(0)\frac{\mathrm{tr}(\Sigma_d^2)}{2d^2}\Big)\mathbf 1\mathbf 1^\top
          + f'(0)\frac{XX^\top}{d} + v_d I_n,\qquad
          v_d = f\Big(\frac{\mathrm{tr}\,\Sigma_d}{d}\Big) - f(0) - f'(0)\frac{\mathrm{tr}\,\Sigma_d}{d},

with :math:`\|M - K\|_2 \to 0` in probability as n, d → ∞ at a fixed ratio. The thesis prints
the linear term as :math:`f(0)XX^\top/d`; the coefficient of :math:`x_i^\top x_j/d` in the Taylor
expansion of f is :math:`f'(0)` (sympy: :func:`.symbolic.el_karoui_linear_coefficient`).

The limit itself cannot be decided at a finite size; what is decidable is its exact finite
case: for an **affine** f (f'' ≡ 0) the approximation is an identity, M = K at every n, d — and
with the printed :math:`f(0)XX^\top/d` it is not (unless f(0) = f'(0) or X = 0). For non-affine
f the lemmas answer ``not_applicable``, naming the assumption. (For affine f the printed form
misses :math:`(f'(0) - f(0))XX^\top/d`, whose norm tends to
:math:`|f'(0) - f(0)|(1 + \sqrt{n/d})^2` for :math:`\Sigma = I` — it does not vanish in the limit
either.)

Examples
--------
>>> from hyperribbon.theory.networks import kernel
>>> p = kernel.InnerProductKernelProblem.sample(n=4, d=6, coefficients=(0.5, 2.0), seed=0)
>>> kernel.REMARK_4_3_3_CORRECTED.check(p).status.value, kernel.REMARK_4_3_3.check(p).status.value
('holds', 'fails')
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np
import sympy as sp

from .._validate import as_int, as_real_matrix, as_real_vector
from ..domains import Domain
from ..errors import InvalidArgument
from ..lemma import Assumption, Lemma, Precision, SymbolicStatus
from ..registry import register
from . import symbolic
from ._support import EPS, comparison

__all__ = ["InnerProductKernelProblem", "kernel_matrix", "el_karoui_approximation",
           "REMARK_4_3_3", "REMARK_4_3_3_CORRECTED"]


@dataclass(frozen=True, eq=False)
class InnerProductKernelProblem:
    r"""Inputs :math:`x_i\sim N(0,\Sigma_d)` (rows of X) and a polynomial kernel function.

    Parameters
    ----------
    X : (n, d) array_like
    sigma : (d,) array_like
        Eigenvalues of the population covariance :math:`\Sigma_d` (only tr Σ and tr Σ² enter).
    coefficients : sequence of float
        Taylor coefficients :math:`f(t) = \sum_k c_kt^k`: f(0) = c_0, f'(0) = c_1, f''(0) = 2c_2.
    seed : int, optional
    """

    X: np.ndarray
    sigma: np.ndarray
    coefficients: tuple
    seed: Optional[int] = None

    def __post_init__(self):
        owner = "InnerProductKernelProblem"
        X = as_real_matrix(self.X, "X", owner)
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise InvalidArgument("X", owner, "have at least one row and one column", X)
        sigma = as_real_vector(self.sigma, "sigma", owner, length=X.shape[1])
        if np.any(sigma < 0):
            raise InvalidArgument("sigma", owner, "hold non-negative variances", sigma)
        coef = as_real_vector(self.coefficients, "coefficients", owner)
        for name, v in (("X", X), ("sigma", sigma)):
            v = v.copy()
            v.setflags(write=False)
            object.__setattr__(self, name, v)
        object.__setattr__(self, "coefficients", tuple(float(c) for c in coef))

    @classmethod
    def sample(cls, n: int = 8, d: int = 8, coefficients=(0.0, 1.0), decay: float = 0.0,
               seed: int = 0) -> "InnerProductKernelProblem":
        r"""n draws of :math:`N(0, \mathrm{diag}(e^{-c(i-1)}))` in dimension d."""
        owner = "InnerProductKernelProblem.sample"
        n = as_int(n, "n", owner, minimum=1)
        d = as_int(d, "d", owner, minimum=1)
        Domain(low=0.0, low_closed=True).validate(decay, "decay", owner)
        sigma = np.exp(-decay * np.arange(d))
        X = np.random.default_rng(seed).standard_normal((n, d)) * np.sqrt(sigma)
        return cls(X, sigma, tuple(coefficients), seed)

    def replace(self, **changes) -> "InnerProductKernelProblem":
        return replace(self, **changes)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    @property
    def affine(self) -> bool:
        return all(c == 0 for c in self.coefficients[2:])

    def f(self, t):
        return np.polynomial.polynomial.polyval(t, np.asarray(self.coefficients))

    def derivative(self, order: int, t: float = 0.0) -> float:
        c = np.polynomial.polynomial.polyder(np.asarray(self.coefficients), order) \
            if order else np.asarray(self.coefficients)
        return float(np.polynomial.polynomial.polyval(t, c)) if c.size else 0.0

    def parameters(self) -> dict:
        return {"n": self.n, "d": self.d, "coefficients": list(self.coefficients),
                "trace_sigma": float(np.sum(self.sigma)), "seed": self.seed}


def kernel_matrix(problem: InnerProductKernelProblem) -> tuple[np.ndarray, np.ndarray]:
    """M_ij = f(x_iᵀx_j/d) and an entry-wise rounding bound."""
    X, d = problem.X, problem.d
    G = X @ X.T / d
    Gabs = np.abs(X) @ np.abs(X).T / d
    coef = np.abs(np.asarray(problem.coefficients))
    M = problem.f(G)
    deg = len(problem.coefficients)
    # Horner on t with |t − t̂| ≤ γ_d|X||X|ᵀ/d: error ≤ Σ_k |c_k|(k·γ·|t|^{k−1}·Gabs + 2k ε|t|^k)
    gam = (d + 4) * EPS
    err = np.zeros_like(M)
    for k_ in range(1, deg):
        err += coef[k_] * (k_ * gam * Gabs * np.abs(G) ** (k_ - 1) + 2 * (k_ + 1) * EPS
                           * np.abs(G) ** k_)
    return M, err + 2 * deg * EPS * np.abs(M)


def el_karoui_approximation(problem: InnerProductKernelProblem, linear: str = "f'(0)"):
    """K of Remark 4.3.3 with linear coefficient ``"f'(0)"`` (El Karoui) or ``"f(0)"`` (as
    printed), and an entry-wise rounding bound."""
    if linear not in ("f'(0)", "f(0)"):
        raise InvalidArgument("linear", "el_karoui_approximation", "be \"f'(0)\" or \"f(0)\"",
                              linear)
    X, d, n = problem.X, problem.d, problem.n
    f0, f1, f2 = (problem.derivative(k) for k in range(3))
    tr1 = float(np.sum(problem.sigma))
    tr2 = float(np.sum(problem.sigma ** 2))
    const = f0 + f2 * tr2 / (2 * d * d)
    v_d = problem.derivative(0, tr1 / d) - f0 - f1 * tr1 / d
    lin = f1 if linear == "f'(0)" else f0
    G = X @ X.T / d
    K = const + lin * G + v_d * np.eye(n)
    gam = (d + 4) * EPS
    err = (abs(lin) * gam * (np.abs(X) @ np.abs(X).T) / d + 8 * EPS * (abs(const) + abs(v_d))
           + 4 * EPS * np.abs(K))
    scale_v = sum(abs(c) * (tr1 / d) ** k for k, c in enumerate(problem.coefficients))
    err += 8 * (len(problem.coefficients) + d) * EPS * (scale_v + abs(f1) * tr1 / d) * np.eye(n)
    return K, err


AFFINE = Assumption(
    "f affine (f'' ≡ 0): only then is the approximation exact at finite n, d (otherwise the "
    "statement is an n, d → ∞ limit, which no finite check decides)",
    lambda p: p.affine, "Remark 4.3.3 (El Karoui 2010, Thm 2.1)",
    lambda p: f"coefficients = {list(p.coefficients)}")


def _make(linear: str):
    def evaluate(p: InnerProductKernelProblem, precision):
        M, Me = kernel_matrix(p)
        K, Ke = el_karoui_approximation(p, linear)
        idx = np.arange(1, M.size + 1)
        # f ≡ 0 makes both sides exactly 0 (structural, not underflow)
        return [comparison(f"M_ij = f(x_iᵀx_j/d)  vs  K_ij with linear term {linear}·XXᵀ/d  "
                           "(entries, row-major)", idx, M.ravel(), K.ravel(), Me.ravel(),
                           Ke.ravel(), "==",
                           exact_zeros=not any(p.coefficients))]
    return evaluate


def _statement(lin):
    f0, f1, f2 = sp.symbols("f(0) f'(0) f''(0)")
    d = sp.Symbol("d", positive=True)
    return [sp.Eq(sp.Symbol("K"), (f0 + f2 * sp.Symbol(r"\mathrm{tr}\Sigma_d^2") / (2 * d ** 2))
                  * sp.Symbol(r"\mathbf{1}\mathbf{1}^\top") + lin * sp.Symbol("XX^T") / d
                  + sp.Symbol("v_d") * sp.Symbol("I_n"))]


REMARK_4_3_3 = register(Lemma(
    id="thesis-remark-4.3.3", number="4.3.3",
    title="Inner-product kernel ≈ (f(0) + f''(0)trΣ²/(2d²))𝟙𝟙ᵀ + f(0)XXᵀ/d + v_d I (as printed)",
    provenance="Thesis §4.3.2, Remark 4.3.3, citing El Karoui (2010a), Theorem 2.1",
    statement=_statement(sp.Symbol("f(0)")), evaluate=_make("f(0)"),
    problem_type=InnerProductKernelProblem, ladder=(Precision.FLOAT64,), assumptions=(AFFINE,),
    related=("thesis-remark-4.3.3-corrected",),
    normalization="M_ij = f(x_iᵀx_j/d), x_i ~ N(0, Σ_d)",
))
REMARK_4_3_3_CORRECTED = register(Lemma(
    id="thesis-remark-4.3.3-corrected", number="4.3.3", variant="corrected",
    title="Remark 4.3.3 with El Karoui's linear term f'(0)XXᵀ/d",
    provenance="El Karoui (2010), 'The spectrum of kernel random matrices', Theorem 2.1",
    statement=_statement(sp.Symbol("f'(0)")), evaluate=_make("f'(0)"),
    problem_type=InnerProductKernelProblem, ladder=(Precision.FLOAT64,), assumptions=(AFFINE,),
    related=("thesis-remark-4.3.3",), normalization="M_ij = f(x_iᵀx_j/d), x_i ~ N(0, Σ_d)",
    symbolic=SymbolicStatus((("the Taylor coefficient of t = x_iᵀx_j/d is f'(0), not f(0)",
                              symbolic.el_karoui_linear_coefficient),)),
))
