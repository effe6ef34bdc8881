r"""Thesis §5.3, weight decay: GD on :math:`C(w) + \frac{\lambda}{2}\|w\|^2`.

With K = XXᵀ/n the residuals obey the *affine* recursion

.. math:: r_{t+1} = (I - \alpha K_\lambda)r_t - \alpha\lambda y,\qquad K_\lambda = K + \lambda I,

whose fixed point is :math:`r^* = -\lambda K_\lambda^{-1}y`; hence
:math:`r_t - r^* = (I-\alpha K_\lambda)^t(r_0 - r^*)` and, since PCA is translation invariant,
§5.2 applies with :math:`K \to K_\lambda`, :math:`y \to \tilde y = KK_\lambda^{-1}y` and the
initial covariance :math:`\sigma_w^2K` (not :math:`\sigma_w^2K_\lambda`). The thesis states
"all calculations hold with K replaced by K_λ" (erratum E7).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from . import gd_closed_forms as cf
from ._linear_gd_support import EPS, comparison, progress, rel_err, require_memory, require_work
from ..domains import Domain
from ..errors import InvalidArgument
from ..lemma import Lemma, Precision
from .problems import LINEAR_GD_DOMAINS, LinearGDProblem
from ..registry import register

__all__ = ["WeightDecayProblem", "WEIGHT_DECAY_DOMAINS", "weight_decay_pca", "LEMMA_WD_DYNAMICS",
           "LEMMA_WD_DYNAMICS_CORRECTED", "LEMMA_WD_PCA", "LEMMA_WD_PCA_CORRECTED"]


#: Declared domains of :class:`WeightDecayProblem`.
WEIGHT_DECAY_DOMAINS = {
    "weight_decay": Domain(low=0.0, low_closed=True, typical=(1e-4, 2.0),
                           note="λ of C(w) + (λ/2)‖w‖²"),
}


@dataclass(frozen=True)
class WeightDecayProblem:
    """A :class:`LinearGDProblem` trained with weight decay ``weight_decay`` = λ ≥ 0.

    Examples
    --------
    >>> p = WeightDecayProblem(LinearGDProblem.sloppy(n=5, alpha=0.5), weight_decay=0.1)
    >>> bool(p.alpha * (p.base.lambda1 + p.weight_decay) < 2)
    True
    """

    base: LinearGDProblem
    weight_decay: float

    def __post_init__(self):
        owner = "WeightDecayProblem"
        if not isinstance(self.base, LinearGDProblem):
            raise InvalidArgument("base", owner, "be a LinearGDProblem", type(self.base).__name__)
        wd = WEIGHT_DECAY_DOMAINS["weight_decay"].coerce(self.weight_decay, "weight_decay",
                                                          owner)
        if not math.isfinite(wd):
            raise InvalidArgument("weight_decay", owner, "be finite", wd)
        ctx = {"lambda1": self.base.lambda1 + wd}
        LINEAR_GD_DOMAINS["alpha"].validate(self.base.alpha, "alpha", owner + " (α(λ1+λ) < 2)",
                                            ctx)
        object.__setattr__(self, "weight_decay", wd)

    @property
    def alpha(self) -> float:
        return self.base.alpha

    @property
    def n(self) -> int:
        return self.base.n

    def parameters(self) -> dict:
        return {**self.base.parameters(), "weight_decay": self.weight_decay}


def weight_decay_pca(p: WeightDecayProblem, reading: str = "corrected") -> np.ndarray:
    """P(T) in K's eigenbasis: ``"corrected"`` (the true weight-decay dynamics) or
    ``"as written"`` (§5.2 with K replaced by K_λ and nothing else)."""
    b = p.base
    lam_l = b.lam + p.weight_decay
    s = b.alpha * lam_l
    if reading == "as written":
        y, init = b.yhat, b.sigma_w2 * lam_l
    else:
        y, init = b.lam / lam_l * b.yhat, b.sigma_w2 * b.lam
    sw = init * cf.one_minus_power(s, 2 * b.T) / (s * (2.0 - s))
    m = cf.k_T_diagonal(s, b.T) * y
    return (cf.target_gramian(s, y, b.T) + np.diag(sw)) / b.T - np.outer(m, m)


def _synthetic(p: WeightDecayProblem):
    b = p.base
    rng = np.random.default_rng(4242 if b.seed is None else b.seed + 3)
    d = b.n + 2
    U = np.linalg.qr(rng.standard_normal((b.n, b.n)))[0]
    V = np.linalg.qr(rng.standard_normal((d, d)))[0][:, :b.n]
    X = (U * np.sqrt(b.n * b.lam)) @ V.T
    y = U @ b.yhat
    w0 = rng.standard_normal(d) * math.sqrt(max(b.sigma_w2, 0.5) / b.n)
    return X, y, w0, U


def _make_dynamics(corrected: bool):
    def evaluate(p: WeightDecayProblem, precision):
        b, lam = p.base, p.weight_decay
        n = b.n
        work = float(b.T) * (2.0 * n * (n + 2) + n * n)
        require_memory(8.0 * (n * n + 2 * n * (n + 2) + (n + 2) ** 2),
                       "the weight-space data for the weight-decay dynamics")
        require_work(work, f"simulating T = {b.T} steps of weight-decay GD (T·(2nd + n²))")
        X, y, w, U = _synthetic(p)
        A = 1.0 - b.alpha * (b.lam + lam)
        rstar = -lam / (b.lam + lam) * (U.T @ y) if corrected else np.zeros(n)
        r0hat = U.T @ (X @ w - y)
        gaps, tols = np.zeros(b.T), np.zeros(b.T)
        scale = np.linalg.norm(r0hat) + np.linalg.norm(y)
        bar = progress(b.T, work, "weight-decay GD")
        for t in range(b.T):
            r = X @ w - y
            model = U @ (rstar + A**t * (r0hat - rstar))
            gaps[t] = np.max(np.abs(r - model))
            tols[t] = 16 * (t + 1) * (X.shape[1] + n) * EPS * scale
            w = w - b.alpha * (X.T @ r / n + lam * w)
            bar.update(1)
        bar.close()
        label = "r* + (I−αK_λ)^t(r0 − r*)" if corrected else "(I − αK_λ)^t r0"
        return [comparison(f"max_j |r_t(GD with weight decay) − [{label}]_j|", np.arange(b.T),
                           gaps, np.zeros(b.T), tols, np.zeros(b.T), "==")]
    return evaluate


def _make_pca(reading: str):
    def evaluate(p: WeightDecayProblem, precision):
        b, lam = p.base, p.weight_decay
        if b.T * b.n**2 > 2e8:
            from ..errors import PrecisionExhausted
            raise PrecisionExhausted("brute-force time sum too large (T·n² > 2e8)")
        A = 1.0 - b.alpha * (b.lam + lam)
        rstar = -lam / (b.lam + lam) * b.yhat
        # exact second moments of r_t from r0 ~ (−y, σw²K) and the affine recursion
        M = b.sigma_w2 * np.diag(b.lam) + np.outer(b.yhat, b.yhat)
        mu = -b.yhat.copy()
        S, mean, bound = np.zeros((b.n, b.n)), np.zeros(b.n), np.zeros((b.n, b.n))
        for _ in range(b.T):
            S += M
            bound += np.abs(M)
            mean += mu
            shift = -b.alpha * lam * b.yhat
            M = A[:, None] * M * A[None, :] + np.outer(A * mu, shift) + np.outer(shift, A * mu) \
                + np.outer(shift, shift)
            mu = A * mu + shift
        brute = S / b.T - np.outer(mean / b.T, mean / b.T)
        model = weight_decay_pca(p, reading)
        tol = 32 * (b.T + b.n) * EPS * (bound / b.T + np.abs(model) + np.abs(rstar).max() ** 2)
        ev_b = np.sort(np.linalg.eigvalsh(brute))[::-1]
        ev_m = np.sort(np.linalg.eigvalsh(model))[::-1]
        etol = np.full(b.n, np.linalg.norm(tol))
        return [comparison(f"eigenvalues of P(T): weight-decay dynamics (time sum)  vs  "
                           f"{reading} §5.2 closed form", np.arange(1, b.n + 1), ev_b, ev_m,
                           etol, etol, "==")]
    return evaluate


_STMT = sp.Eq(sp.Symbol("r_{t+1}"), sp.Symbol(r"(I-\alpha K_\lambda)r_t"))
LEMMA_WD_DYNAMICS = register(Lemma(
    id="thesis-wd-dynamics", number="5.3-wd-dynamics",
    title="Weight decay: r_{t+1} = (I − αK_λ) r_t, K_λ = K + λI",
    provenance="Thesis §5.3 'Weight Decay' (K_λ = XXᵀ + λI there; with K = XXᵀ/n the decay "
               "adds λI to K)", statement=_STMT, evaluate=_make_dynamics(False),
    problem_type=WeightDecayProblem, ladder=(Precision.FLOAT64,),
    related=("thesis-wd-dynamics-corrected",),
))
LEMMA_WD_DYNAMICS_CORRECTED = register(Lemma(
    id="thesis-wd-dynamics-corrected", number="5.3-wd-dynamics", variant="corrected",
    title="Weight decay: r_t − r* = (I − αK_λ)^t (r_0 − r*), r* = −λK_λ^{-1}y",
    provenance="Derived (erratum E7): the recursion is affine, r_{t+1} = (I−αK_λ)r_t − αλy",
    statement=sp.Eq(sp.Symbol("r_t - r^*"), sp.Symbol(r"(I-\alpha K_\lambda)^t(r_0-r^*)")),
    evaluate=_make_dynamics(True), problem_type=WeightDecayProblem,
    ladder=(Precision.FLOAT64,), related=("thesis-wd-dynamics",),
))
LEMMA_WD_PCA = register(Lemma(
    id="thesis-wd-pca", number="5.3-wd-pca",
    title="Weight decay: P(T) is §5.2's with K replaced by K_λ",
    provenance="Thesis §5.3 'Weight Decay': 'All our calculations in Section 5.2 hold with K "
               "replaced by K_λ'", statement=sp.Symbol(r"P(T) = P(T)|_{K\to K_\lambda}"),
    evaluate=_make_pca("as written"), problem_type=WeightDecayProblem,
    ladder=(Precision.FLOAT64,), related=("thesis-wd-pca-corrected",), normalization="mean",
))
LEMMA_WD_PCA_CORRECTED = register(Lemma(
    id="thesis-wd-pca-corrected", number="5.3-wd-pca", variant="corrected",
    title="Weight decay: P(T) is §5.2's with K → K_λ, y → KK_λ^{-1}y, initial covariance σw²K",
    provenance="Derived (erratum E7) from the affine recursion and translation invariance of PCA",
    statement=sp.Symbol(r"P(T) = P(T)|_{K\to K_\lambda,\ y\to KK_\lambda^{-1}y,\ "
                        r"\sigma_w^2K_\lambda\to\sigma_w^2K}"),
    evaluate=_make_pca("corrected"), problem_type=WeightDecayProblem,
    ladder=(Precision.FLOAT64,), related=("thesis-wd-pca",), normalization="mean",
))
