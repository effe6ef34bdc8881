r"""Thesis §5.3, two-layer linear networks :math:`\hat y_i = u^\top v x_i` trained by GD.

With :math:`C(u,v) = \frac12\sum_i r_i^2` (the thesis's normalisation in this paragraph),
:math:`g_u = \sum_i r_i v x_i`, :math:`g_v = \sum_i r_i u x_i^\top`, and one GD step gives exactly

.. math:: r' = r - \alpha K(u,v)r + \alpha^2 X g_v^\top g_u,\qquad
          K(u,v)_{ij} = x_i^\top(v^\top v + \|u\|^2 I)x_j,

.. math:: \Delta(vv^\top - uu^\top) = \alpha^2(g_vg_v^\top - g_ug_u^\top),

so eq. (5.3.3) holds to first order and :math:`vv^\top - uu^\top` is conserved by gradient flow,
drifting by :math:`O(\alpha^2)` per discrete step. The thesis's further claim that the kernel
:math:`K(u,v)` is invariant under balanced initialisation does not follow (erratum E8).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ._linear_gd_support import EPS, comparison
from .._validate import as_float, as_int, as_real_matrix, as_real_vector
from ..domains import Domain
from ..errors import InvalidArgument
from ..lemma import Assumption, Lemma, Precision
from ..registry import register

__all__ = ["DeepLinearProblem", "train_two_layer", "LEMMA_DLN_FIRST_ORDER",
           "LEMMA_DLN_CONSERVATION", "LEMMA_DLN_KERNEL_INVARIANCE"]


@dataclass(frozen=True)
class DeepLinearProblem:
    """Two-layer linear network on data (X, y) with width p, step α, T steps.

    ``balanced=True`` draws :math:`u_0` and sets :math:`v_0 = u_0 z^\\top` with a unit
    :math:`z`, so :math:`v_0v_0^\\top = u_0u_0^\\top`; otherwise :math:`u_0, v_0` are i.i.d.
    Gaussian with standard deviation ``init_scale``.

    Examples
    --------
    >>> p = DeepLinearProblem.synthetic(n=4, d=6, p=3, seed=0)
    >>> p.X.shape, p.width
    ((4, 6), 3)
    """

    X: np.ndarray
    y: np.ndarray
    width: int
    alpha: float
    T: int
    init_scale: float = 0.1
    balanced: bool = True
    seed: int = 0

    def __post_init__(self):
        owner = "DeepLinearProblem"
        X = as_real_matrix(self.X, "X", owner)
        y = as_real_vector(self.y, "y", owner, length=X.shape[0])
        width = as_int(self.width, "width", owner, minimum=1)
        Domain(low=0.0).validate(as_float(self.alpha, "alpha", owner), "alpha", owner)
        T = as_int(self.T, "T", owner, minimum=1)
        Domain(low=0.0).validate(as_float(self.init_scale, "init_scale", owner), "init_scale",
                                 owner)
        for name, value in (("X", X), ("y", y), ("width", width), ("T", T)):
            object.__setattr__(self, name, value)

    @classmethod
    def synthetic(cls, n: int = 8, d: int = 12, p: int = 4, alpha: float = 0.01, T: int = 200,
                  init_scale: float = 0.1, balanced: bool = True, seed: int = 0):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, d)) / np.sqrt(d)
        y = X @ rng.standard_normal(d)
        return cls(X, y, p, alpha, T, init_scale, balanced, seed)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    def init(self):
        rng = np.random.default_rng(self.seed)
        d = self.X.shape[1]
        u = rng.standard_normal(self.width) * self.init_scale
        if self.balanced:
            z = rng.standard_normal(d)
            v = np.outer(u, z / np.linalg.norm(z))
        else:
            v = rng.standard_normal((self.width, d)) * self.init_scale
        return u, v

    def parameters(self) -> dict:
        return {"n": self.n, "d": int(self.X.shape[1]), "width": self.width, "alpha": self.alpha,
                "T": self.T, "init_scale": self.init_scale, "balanced": self.balanced,
                "seed": self.seed}


def kernel(X: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """:math:`K(u,v)_{ij} = x_i^\\top(v^\\top v + \\|u\\|^2 I)x_j`."""
    Vx = X @ v.T
    return Vx @ Vx.T + float(u @ u) * (X @ X.T)


def train_two_layer(p: DeepLinearProblem) -> dict:
    """Run GD; returns per-step residuals, the first-order and exact second-order predictions of
    the next residual, the imbalance vvᵀ − uuᵀ, its exact predicted increment, and kernels."""
    X, y, a = p.X, p.y, p.alpha
    u, v = p.init()
    out = {k: [] for k in ("r", "first_order", "second", "imbalance", "increment", "kernel",
                           "scale", "wscale")}
    for _ in range(p.T):
        r = X @ v.T @ u - y
        K = kernel(X, u, v)
        gu = v @ (X.T @ r)
        gv = np.outer(u, X.T @ r)
        out["r"].append(r)
        out["first_order"].append(r - a * K @ r)
        out["second"].append(a**2 * X @ gv.T @ gu)
        out["imbalance"].append(v @ v.T - np.outer(u, u))
        out["increment"].append(a**2 * (gv @ gv.T - np.outer(gu, gu)))
        out["kernel"].append(K)
        out["wscale"].append(np.max(np.abs(v @ v.T)) + float(u @ u)
                             + a**2 * (np.max(np.abs(gv @ gv.T)) + float(gu @ gu)))
        # r = prediction − y is computed with an absolute error ~ ε(|prediction| + |y|)
        pred = np.abs(X @ v.T @ u)
        out["scale"].append((np.abs(K) @ (pred + np.abs(y))).max() * a + (pred + np.abs(y)).max()
                            + a**2 * (np.abs(X) @ (np.abs(gv.T) @ np.abs(gu))).max())
        u, v = u - a * gu, v - a * gv
    out["r"].append(X @ v.T @ u - y)
    out["imbalance"].append(v @ v.T - np.outer(u, u))
    out["kernel"].append(kernel(X, u, v))
    return {k: np.array(val) for k, val in out.items()}


def _eval_first_order(p: DeepLinearProblem, precision):
    tr = train_two_layer(p)
    exact_next = tr["first_order"] + tr["second"]
    gap = np.max(np.abs(tr["r"][1:] - exact_next), axis=1)
    tol = 64 * (p.n + p.X.shape[1] + p.width) * EPS * tr["scale"]
    return [comparison("r_{t+1} − [r_t − αK(u,v)r_t + α²X g_vᵀ g_u]  (exact second-order form)",
                       np.arange(p.T), gap, np.zeros(p.T), tol, np.zeros(p.T), "==")]


def _eval_conservation(p: DeepLinearProblem, precision):
    tr = train_two_layer(p)
    actual = tr["imbalance"][1:] - tr["imbalance"][:-1]
    gap = np.max(np.abs(actual - tr["increment"]), axis=(1, 2))
    tol = 64 * (p.width + p.X.shape[1]) * EPS * (tr["wscale"] + 1e-300)
    return [comparison("Δ(vvᵀ − uuᵀ) per step  vs  α²(g_v g_vᵀ − g_u g_uᵀ)  (so gradient flow "
                       "conserves vvᵀ − uuᵀ)", np.arange(p.T), gap, np.zeros(p.T), tol,
                       np.zeros(p.T), "==")]


def _eval_kernel_invariance(p: DeepLinearProblem, precision):
    tr = train_two_layer(p)
    K0 = tr["kernel"][0]
    drift = np.array([np.max(np.abs(K - K0)) for K in tr["kernel"]])
    tol = 64 * (p.n + p.X.shape[1]) * EPS * np.array([np.max(np.abs(K)) for K in tr["kernel"]]) \
        * (1 + np.arange(p.T + 1))
    return [comparison("max |K(u_t, v_t) − K(u_0, v_0)|  (claimed invariant for balanced init)",
                       np.arange(p.T + 1), drift, np.zeros(p.T + 1), tol, np.zeros(p.T + 1),
                       "==")]


def _stable(p: DeepLinearProblem) -> bool:
    X, y, a = p.X, p.y, p.alpha
    u, v = p.init()
    r0 = np.max(np.abs(X @ v.T @ u - y)) + 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(p.T):
            r = X @ v.T @ u - y
            if not np.all(np.isfinite(r)) or np.max(np.abs(r)) > 1e3 * r0:
                return False
            u, v = u - a * (v @ (X.T @ r)), v - a * np.outer(u, X.T @ r)
    return True


_STABLE = Assumption("GD stays bounded: max|r_t| ≤ 10³(1 + max|r_0|) for t < T", _stable,
                     "implicit (step size small enough for the data and the initialisation)")
_BALANCED = Assumption("balanced initialisation v0v0ᵀ = u0u0ᵀ", lambda p: bool(p.balanced),
                       "§5.3 'Deep linear networks'")

LEMMA_DLN_FIRST_ORDER = register(Lemma(
    id="thesis-eq-5.3.3", number="(5.3.3)",
    title="Two-layer linear net: r_{t+1} = r_t − αK(u,v)r_t up to O(α²)",
    provenance="Thesis §5.3 'Deep linear networks', eq. (5.3.3); checked in the exact form "
               "r' = r − αKr + α²X g_vᵀ g_u",
    statement=sp.Eq(sp.Symbol("r_{t+1}"), sp.Symbol(r"r_t - \alpha K(u,v)r_t + O(\alpha^2)")),
    evaluate=_eval_first_order, problem_type=DeepLinearProblem, ladder=(Precision.FLOAT64,),
    assumptions=(_STABLE,),
))
LEMMA_DLN_CONSERVATION = register(Lemma(
    id="thesis-dln-conservation", number="5.3-dln-conservation",
    title="d/dt(vvᵀ) = d/dt(uuᵀ): discrete drift of vvᵀ − uuᵀ is exactly α²(g_v g_vᵀ − g_u g_uᵀ)",
    provenance="Thesis §5.3 'Deep linear networks' (balanced initialisation paragraph)",
    statement=sp.Eq(sp.Symbol(r"\frac{d}{dt}(v_tv_t^\top)"), sp.Symbol(r"\frac{d}{dt}(u_tu_t^\top)")),
    evaluate=_eval_conservation, problem_type=DeepLinearProblem, ladder=(Precision.FLOAT64,),
    assumptions=(_STABLE,),
))
LEMMA_DLN_KERNEL_INVARIANCE = register(Lemma(
    id="thesis-dln-kernel-invariance", number="5.3-dln-kernel",
    title="For balanced initialisation the kernel K(u,v) is invariant",
    provenance="Thesis §5.3 'Deep linear networks': 'In other words, the kernel K(u,v) ≡ K is "
               "invariant for balanced initializations'",
    statement=sp.Eq(sp.Symbol(r"K(u_t,v_t)"), sp.Symbol(r"K(u_0,v_0)")),
    evaluate=_eval_kernel_invariance, problem_type=DeepLinearProblem,
    assumptions=(_BALANCED, _STABLE), ladder=(Precision.FLOAT64,),
    description="Fails whenever training moves the weights: vvᵀ − uuᵀ is conserved, but K "
                "depends on vᵀv and ‖u‖², which grow as the net fits (erratum E8).",
))
