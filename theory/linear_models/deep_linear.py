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

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ._linear_gd_support import EPS, SIM_WORK_LIMIT, comparison, require_work
from .._validate import as_float, as_real_matrix, as_real_vector
from ..domains import Domain, check_allocation, size_domain
from ..errors import InvalidArgument
from ..lemma import Assumption, Lemma, Precision
from ..registry import register

__all__ = ["DeepLinearProblem", "DEEP_LINEAR_DOMAINS", "DLN_MAX_T", "train_two_layer",
           "LEMMA_DLN_FIRST_ORDER", "LEMMA_DLN_CONSERVATION", "LEMMA_DLN_KERNEL_INVARIANCE"]


#: Largest T of a :class:`DeepLinearProblem`: the dynamics is nonlinear (no closed form), so every
#: check runs T steps; 10^7 steps take minutes (a progress bar is shown past WORK_PROGRESS).
DLN_MAX_T = 10**7
#: Per-step work (≈ n·d·p) times T above which the evaluations show a tqdm progress bar.
WORK_PROGRESS = 5 * 10**7


def _work(p) -> float:
    """Multiply-adds of one simulated trajectory with the kernels formed every step."""
    n, d, w = p.n, p.X.shape[1], p.width
    return float(p.T) * (4.0 * n * d * w + 2.0 * n * n * d + 2.0 * w * w * d)

#: Declared domains of :class:`DeepLinearProblem` (sizes, step, horizon, initial scale).
DEEP_LINEAR_DOMAINS = {
    "n": size_domain(4096, "the n×n kernels K(u, v) are formed every step", typical=(1, 6)),
    "d": size_domain(2**20, "X is n×d", typical=(1, 8)),
    "width": size_domain(2**16, "v is width×d", typical=(1, 4)),
    "alpha": Domain(low=0.0, typical=(1e-3, 0.5), log=True),
    "T": size_domain(DLN_MAX_T, "DLN_MAX_T: the nonlinear dynamics is simulated step by step",
                     typical=(1, 80)),
    "init_scale": Domain(low=1e-300, high=1e150, low_closed=True, high_closed=True,
                         typical=(1e-2, 1.0), log=True,
                         note="keeps the initial weights normal float64 numbers (≥ 2^-1022 for "
                              "Gaussian draws down to 1e-8) and their products finite"),
    "seed": Domain(low=0, low_closed=True, integer=True, typical=(0, 2**31 - 1)),
}


@dataclass(frozen=True)
class DeepLinearProblem:
    """Two-layer linear network on data (X, y) with width p, step α, T steps.

    ``balanced=True`` draws :math:`u_0` and sets :math:`v_0 = u_0 z^\\top` with a unit
    :math:`z`, so :math:`v_0v_0^\\top = u_0u_0^\\top`; otherwise :math:`u_0, v_0` are i.i.d.
    Gaussian with standard deviation ``init_scale``. Sizes, step, horizon and ``init_scale`` are
    validated against :data:`DEEP_LINEAR_DOMAINS` (named errors before anything is allocated).

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
        D = DEEP_LINEAR_DOMAINS
        X = as_real_matrix(self.X, "X", owner)
        D["n"].validate(X.shape[0], "X", owner + " (its rows n)")
        D["d"].validate(X.shape[1], "X", owner + " (its columns d)")
        y = as_real_vector(self.y, "y", owner, length=X.shape[0])
        width = D["width"].coerce(self.width, "width", owner)
        alpha = D["alpha"].coerce(as_float(self.alpha, "alpha", owner), "alpha", owner)
        T = D["T"].coerce(self.T, "T", owner)
        init_scale = D["init_scale"].coerce(as_float(self.init_scale, "init_scale", owner),
                                            "init_scale", owner)
        if not math.isfinite(alpha):
            raise InvalidArgument("alpha", owner, "be finite", alpha)
        seed = D["seed"].coerce(self.seed, "seed", owner)
        for name, value in (("X", X), ("y", y), ("width", width), ("T", T), ("alpha", alpha),
                            ("init_scale", init_scale), ("seed", seed),
                            ("balanced", bool(self.balanced))):
            object.__setattr__(self, name, value)

    @classmethod
    def synthetic(cls, n: int = 8, d: int = 12, p: int = 4, alpha: float = 0.01, T: int = 200,
                  init_scale: float = 0.1, balanced: bool = True, seed: int = 0):
        """Gaussian X (n×d, entries of variance 1/d) and y = Xw*, w* standard normal."""
        owner = "DeepLinearProblem.synthetic"
        D = DEEP_LINEAR_DOMAINS
        n = D["n"].coerce(n, "n", owner)
        d = D["d"].coerce(d, "d", owner)
        D["width"].coerce(p, "p", owner)
        check_allocation(float(n) * d, "d", owner, d, what="X (n×d float64)")
        rng = np.random.default_rng(D["seed"].coerce(seed, "seed", owner))
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
    """:math:`K(u,v)_{ij} = x_i^\\top(v^\\top v + \\|u\\|^2 I)x_j` (homogeneous of degree 2 in
    (u, v): ``kernel(X, u/c, v/c) = kernel(X, u, v)/c²`` exactly for c a power of two)."""
    Vx = X @ v.T
    return Vx @ Vx.T + float(u @ u) * (X @ X.T)


def _pow2_scale(*arrays) -> float:
    """A power of two c with max|entries|/c in [0.5, 1) (1.0 for all-zero input)."""
    big = max(float(np.max(np.abs(a))) if np.size(a) else 0.0 for a in arrays)
    return math.ldexp(1.0, math.frexp(big)[1]) if big > 0 and math.isfinite(big) else 1.0


def _progress(p: DeepLinearProblem, desc: str):
    work = _work(p)
    from tqdm.auto import tqdm
    return tqdm(total=p.T, desc=desc, unit="step", leave=False, mininterval=1.0,
                disable=work < WORK_PROGRESS)


def _trajectory(p: DeepLinearProblem, desc: str):
    """Yield (t, u_t, v_t, r_t, g_u, g_v, u_{t+1}, v_{t+1}) for t < T (O(1) memory); refused
    (PrecisionExhausted → undecided) beyond SIM_WORK_LIMIT before the first step."""
    require_work(_work(p), f"simulating T = {p.T} steps of the two-layer net ({desc})")
    X, y, a = p.X, p.y, p.alpha
    u, v = p.init()
    bar = _progress(p, desc)
    try:
        for t in range(p.T):
            r = X @ v.T @ u - y
            gu = v @ (X.T @ r)
            gv = np.outer(u, X.T @ r)
            u1, v1 = u - a * gu, v - a * gv
            yield t, u, v, r, gu, gv, u1, v1
            u, v = u1, v1
            bar.update(1)
    finally:
        bar.close()


def train_two_layer(p: DeepLinearProblem) -> dict:
    """Run GD; returns per-step residuals, the first-order and exact second-order predictions of
    the next residual, the imbalance vvᵀ − uuᵀ, its exact predicted increment, and kernels.

    Stores T + 1 kernels (n×n) and imbalances (p×p): the memory is checked first (named error on
    ``problem.T``); the lemma checks stream the trajectory instead."""
    check_allocation(float(p.T + 1) * (p.n * p.n + p.width * p.width + 3 * p.n), "T",
                     "train_two_layer", p.T, what="the stored per-step kernels and imbalances")
    X, y, a = p.X, p.y, p.alpha
    out = {k: [] for k in ("r", "first_order", "second", "imbalance", "increment", "kernel",
                           "scale", "wscale")}
    u = v = None
    for _, u, v, r, gu, gv, u1, v1 in _trajectory(p, "two-layer GD"):
        K = kernel(X, u, v)
        out["r"].append(r)
        out["first_order"].append(r - a * K @ r)
        out["second"].append(a**2 * X @ gv.T @ gu)
        out["imbalance"].append(v @ v.T - np.outer(u, u))
        out["increment"].append(a**2 * (gv @ gv.T - np.outer(gu, gu)))
        out["kernel"].append(K)
        out["wscale"].append(np.max(np.abs(v @ v.T)) + float(u @ u)
                             + a**2 * (np.max(np.abs(gv @ gv.T)) + float(gu @ gu)))
        pred = np.abs(X @ v.T @ u)
        out["scale"].append((np.abs(K) @ (pred + np.abs(y))).max() * a + (pred + np.abs(y)).max()
                            + a**2 * (np.abs(X) @ (np.abs(gv.T) @ np.abs(gu))).max())
        u, v = u1, v1
    out["r"].append(X @ v.T @ u - y)
    out["imbalance"].append(v @ v.T - np.outer(u, u))
    out["kernel"].append(kernel(X, u, v))
    return {k: np.array(val) for k, val in out.items()}


_TINY = float(np.finfo(np.float64).tiny)


def _eval_first_order(p: DeepLinearProblem, precision):
    X, y, a = p.X, p.y, p.alpha
    gap, tol = np.zeros(p.T), np.zeros(p.T)
    c_err = 64 * (p.n + p.X.shape[1] + p.width) * EPS
    for t, u, v, r, gu, gv, u1, v1 in _trajectory(p, "eq. (5.3.3)"):
        K = kernel(X, u, v)
        exact_next = (r - a * K @ r) + a**2 * X @ gv.T @ gu
        r1 = X @ v1.T @ u1 - y
        gap[t] = np.max(np.abs(r1 - exact_next))
        # r = prediction − y is computed with an absolute error ~ ε(|prediction| + |y|); terms
        # that underflow (tiny weights: K ~ scale²) are lost below 2^-1022 each
        pred = np.abs(X @ v.T @ u)
        scale = ((np.abs(K) @ (pred + np.abs(y))).max() * a + (pred + np.abs(y)).max()
                 + a**2 * (np.abs(X) @ (np.abs(gv.T) @ np.abs(gu))).max())
        tol[t] = c_err * scale + 8 * (p.n + p.X.shape[1] + p.width) * _TINY
    return [comparison("r_{t+1} − [r_t − αK(u,v)r_t + α²X g_vᵀ g_u]  (exact second-order form)",
                       np.arange(p.T), gap, np.zeros(p.T), tol, np.zeros(p.T), "==")]


def _eval_conservation(p: DeepLinearProblem, precision):
    # vvᵀ − uuᵀ and α²(g_v g_vᵀ − g_u g_uᵀ) are homogeneous of degree 2 in the weights: both are
    # evaluated in units of c_t² (c_t a power of two at the weights' scale), so tiny weights
    # (init_scale ≪ 1) cannot underflow them into a decided 0 = 0
    a = p.alpha
    gap, tol = np.zeros(p.T), np.zeros(p.T)
    c_err = 64 * (p.width + p.X.shape[1]) * EPS
    for t, u, v, r, gu, gv, u1, v1 in _trajectory(p, "vvᵀ − uuᵀ drift"):
        c = _pow2_scale(u, v, u1, v1)
        us, vs, u1s, v1s, gus, gvs = u / c, v / c, u1 / c, v1 / c, gu / c, gv / c
        actual = (v1s @ v1s.T - np.outer(u1s, u1s)) - (vs @ vs.T - np.outer(us, us))
        predicted = a**2 * (gvs @ gvs.T - np.outer(gus, gus))
        gap[t] = np.max(np.abs(actual - predicted))
        wscale = (np.max(np.abs(vs @ vs.T)) + float(us @ us)
                  + a**2 * (np.max(np.abs(gvs @ gvs.T)) + float(gus @ gus)))
        tol[t] = c_err * wscale + 8 * (p.width + p.X.shape[1]) * _TINY
    return [comparison("Δ(vvᵀ − uuᵀ) per step  vs  α²(g_v g_vᵀ − g_u g_uᵀ)  (so gradient flow "
                       "conserves vvᵀ − uuᵀ; in units of c_t², c_t the weights' scale)",
                       np.arange(p.T), gap, np.zeros(p.T), tol, np.zeros(p.T), "==")]


def _eval_kernel_invariance(p: DeepLinearProblem, precision):
    # relative drift max|K_t − K_0| / max(max|K_t|, max|K_0|): scale free, and both kernels are
    # formed from weights divided by a common power of two (K is homogeneous of degree 2), so a
    # tiny init_scale (K ~ init_scale² below the float64 range) is measured, not underflowed
    X = p.X
    u0, v0 = p.init()
    drift, tol = np.zeros(p.T + 1), np.zeros(p.T + 1)
    c_err = 64 * (p.n + p.X.shape[1]) * EPS

    def relative(t, u, v):
        c = _pow2_scale(u0, v0, u, v)
        Kt, K0 = kernel(X, u / c, v / c), kernel(X, u0 / c, v0 / c)
        norm = max(float(np.max(np.abs(Kt))), float(np.max(np.abs(K0))))
        if not norm > 0:                       # K ≡ 0 exactly (zero weights): no drift at all
            return 0.0, c_err
        return float(np.max(np.abs(Kt - K0))) / norm,             c_err * (1 + t) + 8 * (p.n + X.shape[1]) * _TINY / norm

    u = v = None
    for t, u, v, r, gu, gv, u1, v1 in _trajectory(p, "K(u, v) drift"):
        drift[t], tol[t] = relative(t, u, v)
        u, v = u1, v1
    if u is not None:
        drift[p.T], tol[p.T] = relative(p.T, u, v)
    return [comparison("max |K(u_t, v_t) − K(u_0, v_0)| / max(|K(u_t,v_t)|, |K(u_0,v_0)|)  "
                       "(claimed invariant for balanced init)", np.arange(p.T + 1), drift,
                       np.zeros(p.T + 1), tol, np.zeros(p.T + 1), "==")]


def _stable(p: DeepLinearProblem) -> bool:
    if _work(p) > SIM_WORK_LIMIT:      # the evaluation will refuse (undecided, with a note):
        return True                    # do not spend the same work deciding the assumption
    X, y, a = p.X, p.y, p.alpha
    u, v = p.init()
    with np.errstate(over="ignore", invalid="ignore"):
        r0 = np.max(np.abs(X @ v.T @ u - y)) + 1.0
        if not np.isfinite(r0):
            return False
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
