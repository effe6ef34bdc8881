r"""Information geometry of prediction space (thesis Ch. 2) as executable lemmas.

* **Remark 2.2.1** (progress of a confident model). A model with :math:`p^n(c)\in\{0,1\}` and error
  rate ε lies, on each sample, either at the truth's vertex or at a wrong vertex; with
  :math:`\theta = \cos^{-1}(1/\sqrt C)` the half great-circle distance from ignorance to a vertex
  and :math:`\beta = (1-\alpha)\theta`,

  .. math:: d_G(P, P^\alpha_{0,*}) = (1-\varepsilon)\,\beta
            + \varepsilon\cos^{-1}\!\big(\cot\theta\,\sin\beta\big)

  (the thesis prints this objective with "α* =" in front of it; α* is its argmin). The objective is
  convex in β (its second term has :math:`h'' = k\sin\beta(1-k^2)(1-k^2\sin^2\beta)^{-3/2}\ge 0`,
  :math:`k = \cot\theta = 1/\sqrt{C-1}`), so

  .. math:: \alpha^* = \begin{cases} 1 & \varepsilon \le \varepsilon_1 = \frac{\sqrt{C-1}}{1+\sqrt{C-1}}\\
            1 - \frac1\theta\arcsin\sqrt{\frac{1-r^2}{1-r^2k^2}},\ r = \frac{1-\varepsilon}{\varepsilon k}
            & \varepsilon_1 < \varepsilon < \frac{C-1}{C}\\ 0 & \varepsilon \ge \frac{C-1}{C}.\end{cases}

  The thesis's condition :math:`\varepsilon < 1-1/\sqrt C \Rightarrow \alpha^* = 1` is sufficient
  (:math:`1 - 1/\sqrt C \le \varepsilon_1` since :math:`\sqrt{C} \le 1+\sqrt{C-1}`) but not sharp:
  for C = 10 it reads ε < 0.684 while α* = 1 for every ε ≤ 0.75. Both are lemmas here, checked
  against the numerical progress of :mod:`hyperribbon.numerics.prediction_space.geodesics`.
* **Theorem 2.5.1** (InPCA is isometric). For a symmetric premetric D (zero diagonal), the
  eigen-embedding of :math:`W = -LDL/2` satisfies
  :math:`\sum_k \mathrm{sign}(\Lambda_k)(X_{ik}-X_{jk})^2 = D_{ij}`, checked on the dense embedding
  of :mod:`hyperribbon.numerics.prediction_space.inpca`.
* **Eq. (2.2.9)** (adding a model to an embedding). As printed,
  :math:`X_w = \sum_u W_{wu}U_u|\Lambda_{uu}|^{-1/2}` flips the time-like coordinates (negative
  eigenvalues); the corrected :math:`X_w = \sum_u W_{wu}U_u\,\mathrm{sign}(\Lambda_{uu})
  |\Lambda_{uu}|^{-1/2}` reproduces the coordinates of a model already embedded.

Left-hand sides are measured by numerics that install themselves with :func:`install_measure`
(the same dependency inversion as :mod:`hyperribbon.theory.oracle`).

Examples
--------
>>> from hyperribbon.theory import infogeo
>>> p = infogeo.ProbabilityEnsemble.confident(n_samples=40, n_classes=10,
...                                           error_rates=[0.0, 0.5, 0.8, 0.875], seed=0)
>>> v = infogeo.REMARK_2_2_1_CLOSED_FORM.check(p)
>>> v.status.value
'holds'
>>> round(infogeo.confident_progress(0.8, 10), 6)      # thesis threshold 0.684, sharp 0.75
0.397908
"""
from __future__ import annotations

import importlib
import math
import numbers
from dataclasses import dataclass, field
from typing import Optional

import mpmath
import numpy as np
import sympy as sp

from .._validate import as_real_matrix
from ..errors import InvalidArgument, PrecisionExhausted
from ..lemma import Assumption, Lemma, Precision, SymbolicStatus
from ..registry import register
from ..verdict import Comparison
from .arrays import as_array

__all__ = ["ProbabilityEnsemble", "PremetricSpace", "confident_progress", "confident_objective",
           "thesis_threshold", "sharp_threshold", "install_measure", "measure",
           "REMARK_2_2_1", "REMARK_2_2_1_CLOSED_FORM", "THEOREM_2_5_1", "EQ_2_2_9",
           "EQ_2_2_9_CORRECTED"]

EPS = float(np.finfo(float).eps)

# ------------------------------------------------------------------ measurement plugins
_MEASURES: dict = {}
_PROVIDERS = {"progress": "hyperribbon.numerics.prediction_space.geodesics",
              "embedding": "hyperribbon.numerics.prediction_space.inpca"}


def install_measure(name: str, fn) -> None:
    """Install the numerics implementation of a measurement (``"progress"``, ``"embedding"``)."""
    _MEASURES[name] = fn


def measure(name: str):
    """The installed measurement ``name``; imports its numerics provider by name if needed."""
    if name not in _MEASURES and name in _PROVIDERS:
        importlib.import_module(_PROVIDERS[name])
    if name not in _MEASURES:
        raise InvalidArgument("name", "infogeo.measure", "name an installed measurement "
                              f"({', '.join(sorted(_PROVIDERS))})", name)
    return _MEASURES[name]


# ------------------------------------------------------------------ problems
def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ProbabilityEnsemble:
    r"""m product models on N samples with C classes (eq. 2.2.1), with ground-truth labels.

    Parameters
    ----------
    probabilities : (m, N, C) array_like, torch.Tensor or path
        Finite, non-negative, rows summing to 1 within 1e-9 (converted by
        :func:`~hyperribbon.theory.prediction_space.arrays.as_array`).
    labels : (N,) array_like of int, optional
        Ground truth :math:`y^*_n \in \{0,\dots,C-1\}`.
    seed : int, optional
        Recorded for reproducibility.
    """

    probabilities: np.ndarray
    labels: Optional[np.ndarray] = None
    seed: Optional[int] = None

    def __post_init__(self):
        owner = "ProbabilityEnsemble"
        P = np.asarray(as_array(self.probabilities, "probabilities", owner), dtype=np.float64)
        if P.ndim != 3 or min(P.shape) == 0 or P.shape[2] < 2:
            raise InvalidArgument("probabilities", owner, "be a non-empty (m, N, C) array with "
                                  "C ≥ 2", P)
        if not np.all(np.isfinite(P)) or np.any(P < 0):
            raise InvalidArgument("probabilities", owner, "be finite and non-negative", P)
        if np.max(np.abs(P.sum(-1) - 1.0)) > 1e-9:
            raise InvalidArgument("probabilities", owner, "have rows summing to 1 within 1e-9", P)
        object.__setattr__(self, "probabilities", _frozen(P))
        if self.labels is not None:
            y = as_array(self.labels, "labels", owner)
            if y.ndim != 1 or y.size != P.shape[1] or y.dtype.kind not in "iu" \
                    or y.min() < 0 or y.max() >= P.shape[2]:
                raise InvalidArgument("labels", owner, f"be {P.shape[1]} integer labels in "
                                      f"[0, {P.shape[2]})", self.labels)
            y = np.array(y, dtype=np.int64)
            y.setflags(write=False)
            object.__setattr__(self, "labels", y)

    @classmethod
    def confident(cls, n_samples: int, n_classes: int, error_rates, seed: int = 0):
        """Confident (one-hot) models, model k wrong on exactly ``round(ε_k N)`` samples."""
        owner = "ProbabilityEnsemble.confident"
        for name, v, lo in (("n_samples", n_samples, 1), ("n_classes", n_classes, 2)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < lo:
                raise InvalidArgument(name, owner, f"be an integer ≥ {lo}", v)
        eps = np.atleast_1d(np.asarray(error_rates, dtype=float))
        if eps.ndim != 1 or not np.all((eps >= 0) & (eps <= 1)):
            raise InvalidArgument("error_rates", owner, "be fractions in [0, 1]", error_rates)
        rng = np.random.default_rng(seed)
        y = rng.integers(0, n_classes, size=n_samples)
        P = np.zeros((eps.size, n_samples, n_classes))
        for k, e in enumerate(eps):
            pred = y.copy()
            wrong = rng.choice(n_samples, size=int(round(e * n_samples)), replace=False)
            pred[wrong] = (y[wrong] + rng.integers(1, n_classes, size=wrong.size)) % n_classes
            P[k, np.arange(n_samples), pred] = 1.0
        return cls(P, y, seed)

    @property
    def m(self) -> int:
        return self.probabilities.shape[0]

    @property
    def N(self) -> int:
        return self.probabilities.shape[1]

    @property
    def C(self) -> int:
        return self.probabilities.shape[2]

    @property
    def is_confident(self) -> bool:
        P = self.probabilities
        return bool(np.all((P == 0) | (P == 1)))

    def error_rates(self) -> np.ndarray:
        """Fraction of samples whose argmax differs from the label, per model."""
        if self.labels is None:
            raise InvalidArgument("labels", "ProbabilityEnsemble.error_rates", "be given", None)
        return np.mean(np.argmax(self.probabilities, axis=-1) != self.labels[None], axis=1)

    def truth(self) -> np.ndarray:
        t = np.zeros((self.N, self.C))
        t[np.arange(self.N), self.labels] = 1.0
        return t

    def parameters(self) -> dict:
        return {"m": self.m, "N": self.N, "C": self.C, "seed": self.seed,
                "labels": self.labels is not None}


@dataclass(frozen=True, eq=False)
class PremetricSpace:
    """A finite premetric space (M, D): an (m, m) matrix of pairwise distances (§2.5.3.1).

    ``D`` may be any array :func:`~hyperribbon.theory.prediction_space.arrays.as_array` accepts.
    It is not required to be symmetric, zero on the diagonal or non-negative: those are the
    assumptions of Theorem 2.5.1, whose verdict is ``not_applicable`` when they fail.
    """

    D: np.ndarray
    name: str = field(default="", compare=False)

    def __post_init__(self):
        D = as_real_matrix(as_array(self.D, "D", "PremetricSpace"), "D", "PremetricSpace",
                           square=True)
        if D.shape[0] < 2:
            raise InvalidArgument("D", "PremetricSpace", "have at least 2 points", D)
        object.__setattr__(self, "D", _frozen(D))

    @classmethod
    def random_bhattacharyya(cls, m: int = 16, n_samples: int = 10, n_classes: int = 4,
                             concentration: float = 0.2, seed: int = 0):
        """Bhattacharyya distances (eq. 2.2.2) of m random Dirichlet product models."""
        rng = np.random.default_rng(seed)
        P = rng.dirichlet(np.full(n_classes, concentration), size=(m, n_samples))
        S = np.sqrt(P)
        den = S[:, None] + S[None]
        dif = np.divide(P[:, None] - P[None], den, out=np.zeros(den.shape), where=den > 0)
        h = 0.5 * np.sum(dif * dif, axis=-1)       # 1 − BC via √p − √q = (p − q)/(√p + √q)
        BC = np.einsum("unc,vnc->uvn", S, S)
        with np.errstate(divide="ignore"):
            D = np.mean(np.where(h < 0.5, -np.log1p(-np.minimum(h, 0.5)), -np.log(BC)), axis=-1)
        D = (D + D.T) / 2
        np.fill_diagonal(D, 0.0)
        return cls(D, f"bhattacharyya(m={m}, N={n_samples}, C={n_classes}, seed={seed})")

    @property
    def m(self) -> int:
        return self.D.shape[0]

    def parameters(self) -> dict:
        return {"m": self.m, "name": self.name, "max_D": float(np.max(self.D))}


# ------------------------------------------------------------------ Remark 2.2.1 closed forms
def _check_eps_C(error_rate, n_classes, owner):
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral) or n_classes < 2:
        raise InvalidArgument("n_classes", owner, "be an integer ≥ 2", n_classes)
    if isinstance(error_rate, bool) or not isinstance(error_rate, numbers.Real) \
            or not 0.0 <= float(error_rate) <= 1.0:
        raise InvalidArgument("error_rate", owner, "be in [0, 1]", error_rate)
    return float(error_rate), int(n_classes)


def thesis_threshold(n_classes: int) -> float:
    r"""The thesis's sufficient condition for :math:`\alpha^* = 1`: ε < 1 − 1/√C."""
    return 1.0 - 1.0 / math.sqrt(_check_eps_C(0.0, n_classes, "thesis_threshold")[1])


def sharp_threshold(n_classes: int) -> float:
    r""":math:`\varepsilon_1 = \sqrt{C-1}/(1+\sqrt{C-1})`: α* = 1 iff ε ≤ ε₁."""
    C = _check_eps_C(0.0, n_classes, "sharp_threshold")[1]
    return math.sqrt(C - 1) / (1.0 + math.sqrt(C - 1))


def confident_objective(alpha, error_rate: float, n_classes: int, *, mp: bool = False):
    r""":math:`d_G(P, P^\alpha_{0,*})` of a confident model with error rate ε (Remark 2.2.1)."""
    eps, C = _check_eps_C(error_rate, n_classes, "confident_objective")
    if mp:
        th = mpmath.acos(1 / mpmath.sqrt(C))
        k = 1 / mpmath.sqrt(C - 1)
        beta = (1 - mpmath.mpf(alpha)) * th
        return (1 - eps) * beta + eps * mpmath.acos(k * mpmath.sin(beta))
    th = math.acos(1 / math.sqrt(C))
    beta = (1 - np.asarray(alpha, dtype=float)) * th
    return (1 - eps) * beta + eps * np.arccos(np.sin(beta) / math.sqrt(C - 1))


def confident_progress(error_rate: float, n_classes: int, *, dps: int = 0):
    r"""Closed-form progress α* of a confident model with error rate ε (Remark 2.2.1, derived).

    ``dps > 0`` evaluates with mpmath at that many digits (returns an ``mpf``).
    """
    eps, C = _check_eps_C(error_rate, n_classes, "confident_progress")
    if C == 2 and eps == 0.5:
        raise InvalidArgument("error_rate", "confident_progress",
                              "not be 1/2 when C = 2 (every α ∈ [0, 1] is a minimiser)", eps)
    if dps:
        with mpmath.workdps(dps):
            return _closed_form(mpmath.mpf(eps), C, mpmath)
    return float(_closed_form(eps, C, math))


def _closed_form(eps, C, lib):
    k = 1 / lib.sqrt(C - 1)
    if eps * (1 + lib.sqrt(C - 1)) <= lib.sqrt(C - 1):
        return 1 + 0 * eps
    if eps * C >= C - 1:
        return 0 * eps
    r = (1 - eps) / (eps * k)
    s2 = (1 - r * r) / (1 - r * r * k * k)
    th = lib.acos(1 / lib.sqrt(C))
    return 1 - lib.asin(lib.sqrt(s2)) / th


def _objective_derivatives(alpha: float, eps: float, C: int):
    """(f'(α), f''(α)) of the confident objective, in α."""
    th = math.acos(1 / math.sqrt(C))
    k = 1 / math.sqrt(C - 1)
    beta = (1 - alpha) * th
    sb, cb = math.sin(beta), math.cos(beta)
    q = 1 - k * k * sb * sb
    d1 = (1 - eps) - eps * k * cb / math.sqrt(q)                # d/dβ
    d2 = eps * k * sb * (1 - k * k) / q ** 1.5                  # d²/dβ²
    return -th * d1, th * th * d2


# ------------------------------------------------------------------ assumptions
HAS_LABELS = Assumption("ground-truth labels given", lambda p: p.labels is not None,
                        "Remark 2.2.1 (the truth P* = δ_{y*})")
CONFIDENT = Assumption("confident models: p^n(c) ∈ {0, 1}", lambda p: p.is_confident,
                       "Remark 2.2.1", lambda p: "some entries are strictly between 0 and 1"
                       if not p.is_confident else "all entries 0 or 1")


def _premise(p) -> np.ndarray:
    return p.error_rates() < thesis_threshold(p.C)


PREMISE = Assumption("some model has ε < 1 − 1/√C", lambda p: p.labels is not None
                     and p.is_confident and bool(np.any(_premise(p))), "Remark 2.2.1 (premise)",
                     lambda p: f"1 − 1/√C = {thesis_threshold(p.C):.6g}")
UNIQUE_MIN = Assumption("unique minimiser (not C = 2 with ε = 1/2)",
                        lambda p: p.labels is None or not (p.C == 2 and bool(np.any(
                            np.isclose(p.error_rates(), 0.5, rtol=0, atol=0)))),
                        "Remark 2.2.1 (the objective is constant in α when C = 2, ε = 1/2)")


def _measured_progress(p: ProbabilityEnsemble):
    ignorance = np.full((p.N, p.C), 1.0 / p.C)
    return np.asarray(measure("progress")(p.probabilities, p.truth(), ignorance), dtype=float)


def _progress_error(alpha_hat: float, eps: float, C: int) -> float:
    """Error bound of a measured progress from the noise of the mean derivative."""
    theta = math.acos(1 / math.sqrt(C))
    delta = 64 * EPS * theta
    alpha_star = float(confident_progress(eps, C))
    d1, d2 = _objective_derivatives(alpha_star, eps, C)
    at_boundary = alpha_star in (0.0, 1.0)
    if at_boundary and abs(d1) > 4 * delta:
        return 64 * EPS
    if d2 <= 0:
        return math.inf
    return 64 * EPS + 4 * delta / d2 + (math.sqrt(8 * delta / d2) if at_boundary else 0.0)


def _eval_remark_as_written(p: ProbabilityEnsemble, precision):
    eps = p.error_rates()
    sel = np.flatnonzero(_premise(p))
    s = _measured_progress(p)[sel]
    err = np.array([_progress_error(float(s[i]), float(eps[j]), p.C) for i, j in enumerate(sel)])
    return [Comparison("progress α* of confident models with ε < 1 − 1/√C  vs  1",
                       sel, s, np.ones(sel.size), err, np.zeros(sel.size), "==")]


def _eval_remark_closed_form(p: ProbabilityEnsemble, precision):
    eps = p.error_rates()
    s = _measured_progress(p)
    closed = np.array([float(confident_progress(float(e), p.C, dps=40)) for e in eps])
    err = np.array([_progress_error(float(a), float(e), p.C) for a, e in zip(s, eps)])
    return [Comparison("measured progress (eq. 2.2.4)  vs  closed form α*(ε, C)",
                       np.arange(p.m), s, closed, err, np.full(p.m, 1e-30), "==")]


_eps, _C, _a, _beta, _th = sp.symbols(r"varepsilon C alpha beta theta", positive=True)
_x = sp.Symbol("x", nonnegative=True)


def _proof_vertex_distance():
    expr = (sp.sin((1 - _a) * _th) * sp.cos(_th) + sp.sin(_a * _th)
            - sp.sin(_th) * sp.cos((1 - _a) * _th))
    return sp.simplify(sp.expand_trig(sp.expand(expr))) == 0


def _proof_slope_at_truth():
    k = 1 / sp.sqrt(_C - 1)
    f = (1 - _eps) * _beta + _eps * sp.acos(k * sp.sin(_beta))
    slope = sp.simplify(sp.diff(f, _beta).subs(_beta, 0))
    return sp.simplify(slope - (1 - _eps * (1 + k))) == 0


def _proof_thesis_threshold_sufficient():
    # with x = √(C−1): (1 + x)² − (x² + 1) = 2x ≥ 0, i.e. √C ≤ 1 + √(C−1).
    return sp.expand((1 + _x) ** 2 - (_x ** 2 + 1)) == 2 * _x


REMARK_2_2_1 = register(Lemma(
    id="thesis-remark-2.2.1", number="2.2.1",
    title="Confident models with ε < 1 − 1/√C have progress 1",
    provenance="Thesis §2.2, Remark 2.2.1 (relationship between progress and error)",
    statement=[sp.Lt(_eps, 1 - 1 / sp.sqrt(_C)), sp.Eq(sp.Symbol(r"\alpha^*"), 1)],
    evaluate=_eval_remark_as_written, problem_type=ProbabilityEnsemble,
    assumptions=(HAS_LABELS, CONFIDENT, PREMISE), ladder=(Precision.FLOAT64,),
    related=("thesis-remark-2.2.1-closed-form",),
    description="For each confident model whose error rate satisfies the premise, the measured "
                "progress (eq. 2.2.4) equals 1 within the error bound of the root finder.",
    symbolic=SymbolicStatus((
        ("distance to the truth vertex along the geodesic is (1−α)θ", _proof_vertex_distance),
        ("slope of the objective at α = 1 is 1 − ε(1 + 1/√(C−1))", _proof_slope_at_truth),
        ("√C ≤ 1 + √(C−1), so ε < 1 − 1/√C implies ε ≤ √(C−1)/(1+√(C−1))",
         _proof_thesis_threshold_sufficient))),
))

REMARK_2_2_1_CLOSED_FORM = register(Lemma(
    id="thesis-remark-2.2.1-closed-form", number="2.2.1",
    title="Closed-form progress of a confident model with error rate ε",
    provenance="Thesis §2.2, Remark 2.2.1: its objective minimised in closed form (convex in α); "
               "sharp threshold ε₁ = √(C−1)/(1+√(C−1))",
    statement=sp.Eq(sp.Symbol(r"\alpha^*"), sp.Piecewise(
        (1, _eps <= sp.sqrt(_C - 1) / (1 + sp.sqrt(_C - 1))),
        (0, _eps >= (_C - 1) / _C),
        (1 - sp.asin(sp.Symbol(r"\sqrt{(1-r^2)/(1-r^2k^2)}")) / sp.acos(1 / sp.sqrt(_C)), True))),
    evaluate=_eval_remark_closed_form, problem_type=ProbabilityEnsemble,
    assumptions=(HAS_LABELS, CONFIDENT, UNIQUE_MIN), ladder=(Precision.FLOAT64,),
    variant="closed form", related=("thesis-remark-2.2.1",),
    description="Measured progress of every confident model against the closed form (mpmath, "
                "40 digits), within the error bound of the root finder.",
    symbolic=REMARK_2_2_1.symbolic,
))


# ------------------------------------------------------------------ Theorem 2.5.1
SYMMETRIC = Assumption("D symmetric", lambda p: bool(np.array_equal(p.D, p.D.T)),
                       "Theorem 2.5.1 (symmetric premetric space)",
                       lambda p: f"max|D − Dᵀ| = {float(np.max(np.abs(p.D - p.D.T))):.3g}")
ZERO_DIAGONAL = Assumption("D_ii = 0", lambda p: bool(np.all(np.diag(p.D) == 0)),
                           "Theorem 2.5.1 (premetric)",
                           lambda p: f"max|D_ii| = {float(np.max(np.abs(np.diag(p.D)))):.3g}")
NONNEGATIVE = Assumption("D_ij ≥ 0", lambda p: bool(np.all(p.D >= 0)), "footnote 4 (premetric)",
                         lambda p: f"min D = {float(np.min(p.D)):.3g}")


def _centered(D):
    m = D.shape[0]
    L = np.eye(m) - 1.0 / m
    return -L @ D @ L / 2


def _eval_isometry(p: PremetricSpace, precision):
    m = p.m
    iu, ju = np.triu_indices(m, 1)
    if precision is Precision.MPMATH:
        if m > 30:
            raise PrecisionExhausted("mpmath eigen-embedding limited to m ≤ 30")
        with mpmath.workdps(50):
            Dm = mpmath.matrix(p.D.tolist())
            Lm = mpmath.eye(m) - mpmath.ones(m, m) / m
            ev, Q = mpmath.eigsy(-(Lm * Dm * Lm) / 2)
            lhs = []
            for i, j in zip(iu, ju):
                lhs.append(float(mpmath.fsum(mpmath.sign(ev[k]) * abs(ev[k]) *
                                             (Q[i, k] - Q[j, k]) ** 2 for k in range(m))))
        lhs, err = np.array(lhs), 1e-40 * (1 + np.abs(p.D[iu, ju]))
    else:
        emb = measure("embedding")(p.D)
        X, signs, lam, U = emb["X"], emb["signs"], emb["eigenvalues"], emb["eigenvectors"]
        # pairs in chunks of ≤ 2^24 entries: (m(m−1)/2) × m at once is 30 GiB at m = 2000
        lhs, spread = np.empty(iu.size), np.empty(iu.size)
        step = max(1, 2 ** 24 // max(X.shape[1], U.shape[1], 1))
        for s in range(0, iu.size, step):
            a, b = iu[s:s + step], ju[s:s + step]
            diff = X[a] - X[b]
            lhs[s:s + step] = np.sum(signs * diff * diff, axis=1)
            spread[s:s + step] = np.sum(np.abs(lam) * (U[a] - U[b]) ** 2, axis=1)
        W = _centered(p.D)
        normW = float(np.max(np.abs(lam))) if lam.size else 0.0
        err = 16 * m * EPS * (normW + spread) + 16 * EPS * float(np.max(np.abs(W)))
    return [Comparison("Σ_k sign(Λ_k)(X_ik − X_jk)²  vs  D_ij  (pairs i < j)",
                       np.arange(iu.size), lhs, p.D[iu, ju], err, np.zeros(iu.size), "==")]


def _proof_isometry_m4():
    m = 4
    d = {(i, j): sp.Symbol(f"d_{i}{j}") for i in range(m) for j in range(i + 1, m)}
    D = sp.Matrix(m, m, lambda i, j: 0 if i == j else d[(min(i, j), max(i, j))])
    L = sp.eye(m) - sp.ones(m, m) / m
    W = -L * D * L / 2
    return all(sp.simplify(W[i, i] + W[j, j] - 2 * W[i, j] - D[i, j]) == 0
               for i in range(m) for j in range(m))


THEOREM_2_5_1 = register(Lemma(
    id="thesis-theorem-2.5.1", number="2.5.1",
    title="The eigen-embedding of W = −LDL/2 is isometric to (M, D)",
    provenance="Thesis §2.5.3.1, Theorem 2.5.1 and eq. (2.2.7)",
    statement=sp.Eq(sp.Symbol(r"\sum_k \mathrm{sign}(\Lambda_k)(X_{ik}-X_{jk})^2"),
                    sp.Symbol("D_{ij}")),
    evaluate=_eval_isometry, problem_type=PremetricSpace,
    assumptions=(SYMMETRIC, ZERO_DIAGONAL, NONNEGATIVE),
    ladder=(Precision.FLOAT64, Precision.MPMATH),
    description="Dense InPCA embedding (all m coordinates, signature kept); every pairwise "
                "Minkowski interval is compared with D_ij within the backward-error bound of the "
                "symmetric eigensolver, 16·m·ε·(‖W‖ + Σ_k|Λ_k|(U_ik − U_jk)²).",
    symbolic=SymbolicStatus((("W_ii + W_jj − 2W_ij = D_ij for symbolic zero-diagonal D (m = 4)",
                              _proof_isometry_m4),)),
))


# ------------------------------------------------------------------ eq. (2.2.9)
def _eval_out_of_sample(p: PremetricSpace, precision, corrected: bool):
    emb = measure("embedding")(p.D)
    lam, U, X = emb["eigenvalues"], emb["eigenvectors"], emb["X"]
    W = _centered(p.D)
    normW = float(np.max(np.abs(lam)))
    keep = np.abs(lam) > 1e-6 * normW
    lam, U, X = lam[keep], U[:, keep], X[:, keep]
    scale = np.sign(lam) / np.sqrt(np.abs(lam)) if corrected else 1.0 / np.sqrt(np.abs(lam))
    Xw = (W @ U) * scale
    err = np.broadcast_to(16 * p.m * EPS * normW / np.sqrt(np.abs(lam)), X.shape)
    name = "X_w by (2.2.9) with sign(Λ)" if corrected else "X_w by (2.2.9) as printed"
    return [Comparison(f"{name}  vs  InPCA coordinates of the same model (entries)",
                       np.arange(X.size), Xw.ravel(), X.ravel(), err.ravel(),
                       np.zeros(X.size), "==")]


EQ_2_2_9 = register(Lemma(
    id="thesis-eq-2.2.9", number="(2.2.9)",
    title="Adding a model to an InPCA embedding (as printed: |Λ|^{-1/2})",
    provenance="Thesis §2.2, eq. (2.2.9) and the formula X_w = Σ_u W_wu U_u |Λ_uu|^{-1/2} "
               "below it",
    statement=sp.Eq(sp.Symbol("X_w"), sp.Symbol(r"\sum_u W_{wu} U_u |\Lambda_{uu}|^{-1/2}")),
    evaluate=lambda p, prec: _eval_out_of_sample(p, prec, False), problem_type=PremetricSpace,
    assumptions=(SYMMETRIC, ZERO_DIAGONAL), ladder=(Precision.FLOAT64,),
    related=("thesis-eq-2.2.9-corrected",),
    description="Embeds each model of the set by the printed formula and compares with its own "
                "InPCA coordinates; fails on every time-like coordinate (negative eigenvalue).",
))

EQ_2_2_9_CORRECTED = register(Lemma(
    id="thesis-eq-2.2.9-corrected", number="(2.2.9)",
    title="Adding a model to an InPCA embedding (corrected: sign(Λ)|Λ|^{-1/2})",
    provenance="Thesis §2.2, eq. (2.2.9); from W U = U Λ: "
               "X = U|Λ|^{1/2} = W U sign(Λ)|Λ|^{-1/2}",
    statement=sp.Eq(sp.Symbol("X_w"),
                    sp.Symbol(r"\sum_u W_{wu} U_u\,\mathrm{sign}(\Lambda_{uu})"
                              r"|\Lambda_{uu}|^{-1/2}")),
    evaluate=lambda p, prec: _eval_out_of_sample(p, prec, True), problem_type=PremetricSpace,
    assumptions=(SYMMETRIC, ZERO_DIAGONAL), ladder=(Precision.FLOAT64,), variant="corrected",
    related=("thesis-eq-2.2.9",),
    description="The corrected formula reproduces the coordinates of every model of the set, "
                "within the eigen-residual bound 16·m·ε·‖W‖/√|Λ_k|.",
))
