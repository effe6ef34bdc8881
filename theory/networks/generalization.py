r"""Thesis §4.3.3, §4.4 and §4.7.2 as registered lemmas over a Hessian spectrum: the optimal
Gaussian posterior (4.3.3)–(4.3.4), the bound (4.4.4) in terms of s(n, ε), c and ε‖w − w0‖², and
the Pinsker relaxation of Theorem 4.7.1.

A :class:`PacBayesProblem` holds what these statements need: the eigenvalues :math:`\lambda_i`
of the loss Hessian :math:`H_w` at a (local) minimum w, the number of samples n, the prior
precision ε of :math:`P = N(w_0,\epsilon^{-1}I)`, :math:`\|w - w_0\|^2`, a training error and δ.
Build it from a closed-form sloppy spectrum (:meth:`PacBayesProblem.sloppy`), any spectrum, or a
:class:`~.problem.NetworkProblem` (:meth:`PacBayesProblem.from_network`, whose Hessian
eigenvalues carry their measured error as the problem's noise ``floor``).

Examples
--------
>>> from hyperribbon.theory.networks import generalization as g
>>> p = g.PacBayesProblem.sloppy(p=40, c=0.3, n=1000, eps=1.0, dist2=5.0)
>>> g.EQ_4_4_4_THRESHOLD.check(p).status.value
'holds'
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np
import sympy as sp

from .._validate import as_int, as_real_vector
from ..domains import Domain
from ..errors import PrecisionExhausted
from ..lemma import Assumption, Lemma, Precision, SymbolicStatus
from ..registry import register
from . import pac_bayes as pb
from . import symbolic
from ._support import EPS, comparison

__all__ = ["PacBayesProblem", "PAC_BAYES_DOMAINS", "EQ_4_3_4", "EQ_4_4_4", "EQ_4_4_4_THRESHOLD",
           "THEOREM_4_7_1"]

PAC_BAYES_DOMAINS = {
    "p": Domain(low=1, low_closed=True, integer=True, typical=(1, 40)),
    "n": Domain(low=2, low_closed=True, integer=True, typical=(2, 10**5), log=True),
    "eps": Domain(low=0.0, typical=(1e-3, 1e3), log=True, note="prior precision ε"),
    "dist2": Domain(low=0.0, low_closed=True, typical=(0.0, 100.0), note="‖w − w0‖²"),
    "train_error": Domain(low=0.0, high=1.0, low_closed=True, high_closed=True,
                          typical=(0.0, 0.5)),
    "delta": Domain(low=0.0, high=1.0, typical=(1e-4, 0.5), log=True),
    "c": Domain(low=0.0, low_closed=True, typical=(0.01, 3.0), log=True,
                note="decay rate of λ_i = b e^{-c(i-1)}"),
    "b": Domain(low=0.0, typical=(1e-4, 1e2), log=True, note="top eigenvalue"),
}


@dataclass(frozen=True, eq=False)
class PacBayesProblem:
    r"""A Hessian spectrum at w with the PAC-Bayes setting of §4.3.3.

    Parameters
    ----------
    eigenvalues : (p,) array_like
        Eigenvalues of :math:`H_w` (sorted descending on construction).
    n : int ≥ 2
        Number of training samples.
    eps : float > 0
        Prior precision: :math:`P = N(w_0, \epsilon^{-1}I)`.
    dist2 : float ≥ 0
        :math:`\|w - w_0\|^2`.
    train_error : float in [0, 1]
        ê(Q, D_n) for Theorem 4.7.1 (default 0).
    delta : float in (0, 1)
    floor : float ≥ 0
        Absolute error of every eigenvalue (0 for exact spectra).
    seed : int
        Seeds the random covariances the optimality identity is tested on.
    """

    eigenvalues: np.ndarray
    n: int
    eps: float
    dist2: float = 0.0
    train_error: float = 0.0
    delta: float = 0.05
    floor: float = 0.0
    seed: int = 0
    source: str = "spectrum"

    def __post_init__(self):
        owner = "PacBayesProblem"
        D = PAC_BAYES_DOMAINS
        lam = np.sort(as_real_vector(self.eigenvalues, "eigenvalues", owner))[::-1].copy()
        lam.setflags(write=False)
        n = as_int(self.n, "n", owner, minimum=2)
        for name in ("eps", "dist2", "train_error", "delta"):
            D[name].validate(getattr(self, name), name, owner)
        Domain(low=0.0, low_closed=True).validate(self.floor, "floor", owner)
        object.__setattr__(self, "eigenvalues", lam)
        object.__setattr__(self, "n", n)
        for name in ("eps", "dist2", "train_error", "delta", "floor"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @classmethod
    def sloppy(cls, p: int = 40, c: float = 0.3, b: float = 1.0, n: int = 1000,
               eps: float = 1.0, dist2: float = 0.0, **kw) -> "PacBayesProblem":
        r""":math:`\lambda_i = b\,e^{-c(i-1)}`, i = 1..p."""
        p = as_int(p, "p", "PacBayesProblem.sloppy", minimum=1)
        PAC_BAYES_DOMAINS["c"].validate(c, "c", "PacBayesProblem.sloppy")
        PAC_BAYES_DOMAINS["b"].validate(b, "b", "PacBayesProblem.sloppy")
        return cls(b * np.exp(-c * np.arange(p)), n, eps, dist2, source=f"sloppy(c={c:g})",
                   **kw)

    @classmethod
    def from_network(cls, problem, n: Optional[int] = None, eps: float = 1.0, w0=None,
                     **kw) -> "PacBayesProblem":
        """The Hessian spectrum of a :class:`NetworkProblem`'s loss at its weights, measured
        exactly with its error as ``floor``; ``w0`` (flat, or a sequence of matrices) defaults to
        zero; ``n`` defaults to the problem's number of samples."""
        from .measure import get
        H = get().hessian(problem)
        lam = np.linalg.eigvalsh(0.5 * (H.values + H.values.T))
        floor = float(np.linalg.norm(H.abs_err)) + 8 * lam.size * EPS * float(
            np.max(np.abs(lam), initial=0.0))
        w = np.concatenate([w_.ravel() for w_ in problem.weights])
        if w0 is None:
            w0 = np.zeros_like(w)
        elif not isinstance(w0, np.ndarray) or w0.ndim != 1:
            w0 = np.concatenate([np.asarray(a, dtype=float).ravel() for a in w0])
        w0 = as_real_vector(w0, "w0", "PacBayesProblem.from_network", length=w.size)
        errors = float(np.mean(np.argmax(problem.forward.z, axis=1) != problem.y))
        return cls(lam, problem.n if n is None else n, eps, float(np.sum((w - w0) ** 2)),
                   kw.pop("train_error", errors), floor=floor, source="from_network", **kw)

    def replace(self, **changes) -> "PacBayesProblem":
        return replace(self, **changes)

    @property
    def p(self) -> int:
        return int(self.eigenvalues.size)

    @property
    def threshold(self) -> float:
        """ε/(2(n − 1)), the elbow of §4.4.1."""
        return self.eps / (2 * (self.n - 1))

    @property
    def psd(self) -> bool:
        return bool(self.eigenvalues[-1] >= -self.floor)

    @property
    def clipped(self) -> np.ndarray:
        """Eigenvalues with |λ| ≤ floor (unresolved) and negative ones set to 0 (PSD case)."""
        lam = np.where(np.abs(self.eigenvalues) <= self.floor, 0.0, self.eigenvalues)
        return np.clip(lam, 0.0, None)

    def effective_dimension(self) -> int:
        """p(n, ε) of (4.4.1); raises PrecisionExhausted when an eigenvalue is within its error
        of the threshold (the count is then not determined)."""
        if self.floor > 0 and np.any(np.abs(np.abs(self.eigenvalues) - self.threshold)
                                     <= self.floor):
            raise PrecisionExhausted("p(n, ε) is not determined: an eigenvalue lies within its "
                                     "error of the threshold ε/(2(n − 1))")
        return pb.effective_dimension(self.clipped, self.n, self.eps)

    def parameters(self) -> dict:
        lam = self.eigenvalues
        return {"p": self.p, "n": self.n, "eps": self.eps, "dist2": self.dist2,
                "train_error": self.train_error, "delta": self.delta, "floor": self.floor,
                "lambda_max": float(lam[0]), "lambda_min": float(lam[-1]),
                "eigenvalues": [float(v) for v in lam] if lam.size <= 12 else "…",
                "seed": self.seed, "source": self.source}


PSD = Assumption("H_w positive semi-definite (w a local minimum)", lambda p: p.psd, "§4.3.3",
                 lambda p: f"λ_min = {p.eigenvalues[-1]:.4g}, noise floor {p.floor:.3g}")
P_EPS_POSITIVE = Assumption(
    "p(n, ε) ≥ 1 (c(H_w, p(n, ε)) of (4.4.3) needs an index r ≥ 1)",
    lambda p: bool(np.sum(np.abs(p.eigenvalues) >= p.threshold - p.floor) >= 1), "Def. 4.4.3",
    lambda p: f"λ_1 = {p.eigenvalues[0]:.4g}, ε/(2(n−1)) = {p.threshold:.4g}")
_FLOAT = (Precision.FLOAT64,)


def _rel(p: PacBayesProblem) -> float:
    return 64.0 * (p.p + 8) * EPS


# =================================================================== (4.3.3)–(4.3.4)
def _eval_4_3_4(p: PacBayesProblem, precision):
    lam = p.clipped
    P = p.p
    rng = np.random.default_rng(p.seed)
    H = np.diag(lam)
    lam_bar, var = pb.optimal_posterior(lam, p.n, p.eps)
    S_star = np.diag(var)
    L_star = pb.loose_objective(S_star, H, p.n, p.eps, p.dist2)
    closed = pb.loose_optimum(lam, p.n, p.eps, p.dist2)
    # Both sides are functions of the same eigenvalues, so only rounding matters: every term of
    # the KL (traces, log-determinants, the mean term) and ½tr(HΣ) carries relative error
    # ≤ c·P·ε, amplified by the condition number of the Cholesky factors.
    terms = (float(np.sum(np.abs(np.log(lam_bar / p.eps)))) + 2 * P + p.eps * p.dist2) \
        / (4 * (p.n - 1)) + 0.5 * float(np.sum(lam * var))
    kappa = float(np.max(lam_bar) / np.min(lam_bar))
    out = [comparison("L(Σ_q*) (dense Gaussian KL, eq. 4.7.1) = (Σ log(1 + 2(n−1)λ_i/ε) + "
                      "ε‖w − w0‖²)/(4(n − 1))  (closed form)", [0], [L_star], [closed],
                      [_rel(p) * terms], [_rel(p) * terms], "==")]
    idx, gaps, ident, errs = [], [], [], []
    for t in range(3):
        Q, _ = np.linalg.qr(rng.standard_normal((P, P)))
        d = np.exp(rng.uniform(-1.5, 1.5, P)) * var
        S = (Q * d) @ Q.T
        S = 0.5 * (S + S.T)
        L_S = pb.loose_objective(S, H, p.n, p.eps, p.dist2)
        kl = pb.gaussian_kl(np.zeros(P), S, np.zeros(P), S_star)
        idx.append(t + 1)
        gaps.append(L_S - L_star)
        ident.append(kl / (2 * (p.n - 1)))
        mag = abs(L_S) + abs(L_star) + math.exp(1.5) * terms + (2 * P + abs(kl)) / (p.n - 1)
        errs.append(_rel(p) * mag * kappa * math.exp(3.0))
    gaps, ident, errs = map(np.asarray, (gaps, ident, errs))
    out.append(comparison("L(Σ) − L(Σ_q*) = KL(N(w, Σ) ‖ N(w, Σ_q*))/(2(n − 1)) for random Σ "
                          "(so Σ_q* is the unique minimiser)", idx, gaps, ident, errs, errs, "=="))
    return out


EQ_4_3_4 = register(Lemma(
    id="thesis-eq-4.3.4", number="(4.3.4)",
    title="The optimal Gaussian posterior Σ_q = U(2(n−1)Λ + εI)⁻¹Uᵀ minimises L(Σ_q)",
    provenance="Thesis §4.3.3, eqs. (4.3.3)–(4.3.4); derivation §4.7.2.2 (Q = B ∝ "
               "exp(−2(n−1)ĕ)P_w, eq. 4.7.2) under the quadratic model of ĕ",
    statement=[sp.Eq(sp.Symbol(r"\bar\lambda_i"),
                     2 * (sp.Symbol("n") - 1) * sp.Symbol(r"\lambda_i") + sp.Symbol(r"\epsilon"))],
    evaluate=_eval_4_3_4, problem_type=PacBayesProblem, ladder=_FLOAT, assumptions=(PSD,),
    normalization="L(Σ_q) = ĕ(Q) + KL(Q, P)/(2(n − 1)), P = N(w0, ε⁻¹I)",
    symbolic=SymbolicStatus((
        ("ℓ(v) = λv/2 + (εv − log v)/(4(n−1)) is stationary at v = 1/(2(n−1)λ + ε), ℓ'' > 0",
         symbolic.optimal_posterior_stationary),
        ("per direction y/(1+y) + 1/(1+y) − 1 + log(1+y) = log(1+y)",
         symbolic.optimal_posterior_value),
        ("KL(Q, N(w0, ε⁻¹I)) = KL(Q, N(w, ε⁻¹I)) + (ε/2)‖w − w0‖²", symbolic.gaussian_kl_shift),
    )),
))


# =================================================================== (4.4.4)
def _make_4_4_4(which: str):
    def decay(lam, pe, p):
        if which == "definition":
            return pb.sloppy_factor(lam, pe)
        return pb.threshold_decay(lam, p.n, p.eps)

    def evaluate(p: PacBayesProblem, precision):
        lam = p.clipped
        pe = p.effective_dimension()
        c = decay(lam, pe, p)
        cname = ("c = c(H_w, p(n,ε)) of (4.4.3)" if which == "definition" else
                 "c: λ_i ≤ ε/(2(n−1))·e^{−c(i−p(n,ε))} for i > p(n,ε) (§4.7.2.3)")
        lhs = pb.loose_optimum(lam, p.n, p.eps, p.dist2)
        rhs = pb.bound_4_4_4(lam, p.n, p.eps, p.dist2, c)
        # eigenvalue errors (the floor): the objective increases with every λ_i; s increases with
        # the head, c decreases with the tail (and increases with λ_p(n,ε)) — bound both sides
        # by their worst cases; p(n, ε) itself is determined (effective_dimension checks it).
        lhs_hi = pb.loose_optimum(lam + p.floor, p.n, p.eps, p.dist2)
        rhs_lo = rhs
        if p.floor > 0:
            # the bound is s/(4(n−1)) + (2/c)/(4(n−1)) + …: s is smallest with the head lowered,
            # c largest with λ_p(n,ε) raised and the tail lowered
            head_lo = np.clip(lam[:pe] - p.floor, 0, None)
            s_min = float(np.sum(1.0 + np.log1p(2 * (p.n - 1) * head_lo / p.eps)))
            for_c = np.concatenate([lam[:pe] + p.floor, np.clip(lam[pe:] - p.floor, 0, None)])
            c_max = decay(for_c, pe, p)
            inv = 0.0 if c_max == math.inf else 2.0 / c_max
            rhs_lo = (s_min + inv + p.eps * p.dist2) / (4 * (p.n - 1))
        rel = _rel(p) * (2 + math.log1p(2 * (p.n - 1) * float(np.max(lam)) / p.eps))
        return [comparison(f"ĕ(Q*) − ĕ(h_w) + KL(Q*, P)/(2(n−1)) ≤ (s(n,ε) + 2/c + ε‖w − w0‖²)/"
                           f"(4(n−1)),  {cname} = {c:.6g}, p(n,ε) = {pe}  (index p(n,ε))",
                           [pe], [lhs], [rhs], [rel * abs(lhs_hi) + (lhs_hi - lhs)],
                           [rel * abs(rhs) + (max(rhs - rhs_lo, 0.0) if math.isfinite(rhs)
                                              else 0.0)])]
    return evaluate


_STATEMENT_4_4_4 = [sp.Le(sp.Symbol(r"\breve e(Q,D_n) + \mathrm{KL}(Q,P)/(2(n-1))"),
                          (sp.Symbol(r"s(n,\epsilon)") + 2 / sp.Symbol(r"c(n,\epsilon)")
                           + sp.Symbol(r"\epsilon") * sp.Symbol(r"\|w-w_0\|^2"))
                          / (4 * (sp.Symbol("n") - 1)))]
EQ_4_4_4 = register(Lemma(
    id="thesis-eq-4.4.4", number="(4.4.4)",
    title="Loose PAC-Bayes objective at the optimal posterior ≤ (s + 2/c + ε‖w − w0‖²)/(4(n−1))",
    provenance="Thesis §4.4.2, eq. (4.4.4) with c(n, ε) ≡ c(H_w, p(n, ε)) of Definition 4.4.3; "
               "derivation §4.7.2.3 (interpolation: ĕ(h_w) is subtracted)",
    statement=_STATEMENT_4_4_4, evaluate=_make_4_4_4("definition"), problem_type=PacBayesProblem,
    ladder=_FLOAT, assumptions=(PSD, P_EPS_POSITIVE), related=("thesis-eq-4.4.4-threshold",),
    normalization="ĕ in bits; P = N(w0, ε⁻¹I); Q* of (4.3.3)–(4.3.4)",
))
EQ_4_4_4_THRESHOLD = register(Lemma(
    id="thesis-eq-4.4.4-threshold", number="(4.4.4)", variant="threshold decay",
    title="(4.4.4) with the decay rate of the proof, measured from the threshold ε/(2(n−1))",
    provenance="Thesis §4.7.2.3: 'λ_i ≤ ε/(2(n−1))·exp(−c(n,ε)(i − p(n,ε)))' (and its weaker "
               "form Σ_{i>p(n,ε)} λ_i ≤ ε/(2(n−1)c))",
    statement=_STATEMENT_4_4_4, evaluate=_make_4_4_4("threshold"), problem_type=PacBayesProblem,
    ladder=_FLOAT, assumptions=(PSD,), related=("thesis-eq-4.4.4",),
    normalization="ĕ in bits; P = N(w0, ε⁻¹I); Q* of (4.3.3)–(4.3.4)",
    description="Holds: the objective equals (Σ_i log(1+y_i) + ε‖w−w0‖²)/(4(n−1)) exactly, "
                "y_i = 2(n−1)λ_i/ε, and the tail Σ_{i>p(n,ε)} log(1+y_i) ≤ Σ y_i ≤ 1/(e^c − 1) "
                "≤ 1/c.",
    symbolic=SymbolicStatus((("per direction y/(1+y) + 1/(1+y) − 1 + log(1+y) = log(1+y)",
                              symbolic.optimal_posterior_value),)),
))


# =================================================================== Theorem 4.7.1
def _eval_4_7_1(p: PacBayesProblem, precision):
    lam = p.clipped
    lam_bar, var = pb.optimal_posterior(lam, p.n, p.eps)
    kl = 0.5 * float(np.sum(p.eps * var - 1 + np.log(lam_bar / p.eps))) + 0.5 * p.eps * p.dist2
    B = pb.budget(max(kl, 0.0), p.n, p.delta)
    q = p.train_error
    lo, hi = pb.kl_inverse_bracket(q, B)
    pin = pb.pinsker_inverse(q, B)
    # Both sides are evaluated at the same computed B and each inequality holds for every B, so
    # only the enclosure of the inverse (bisection bracket, widened by the rounding of kl) and
    # the rounding of each side matter. The second family is Pinsker at the lower end lo
    # (kl(ê, lo) ≤ B is finite there).
    kl_at = pb.binary_kl(q, lo)
    return [comparison("kl⁻¹(ê, B) ≤ ê + sqrt(B/2),  B = (KL(Q*, P) + log(n/δ))/(n − 1)  "
                       "(Pinsker, §4.7.2.1)", [1], [0.5 * (lo + hi)], [pin], [0.5 * (hi - lo)],
                       [4 * EPS * pin]),
            comparison("2(p − ê)² ≤ kl(ê, p) at p = kl⁻¹(ê, B)  (Pinsker at the inverse)", [1],
                       [2 * (lo - q) ** 2], [kl_at], [8 * EPS * (lo - q) ** 2],
                       [pb.binary_kl_error(q, lo) if lo < 1 else 0.0])]


THEOREM_4_7_1 = register(Lemma(
    id="thesis-theorem-4.7.1", number="4.7.1", variant="Pinsker relaxation",
    title="kl-inverted PAC-Bayes bound ≤ its square-root (Pinsker) relaxation at the optimal Q",
    provenance="Thesis §4.7.2.1, Theorem 4.7.1 (McAllester 1999; Langford & Seeger 2001) and the "
               "inversion kl⁻¹(q, p) ≤ q + sqrt(p/2) from Pinsker's inequality",
    statement=[sp.Le(sp.Symbol(r"\mathrm{kl}^{-1}(\hat e, B)"),
                     sp.Symbol(r"\hat e") + sp.sqrt(sp.Symbol("B") / 2))],
    evaluate=_eval_4_7_1, problem_type=PacBayesProblem, ladder=_FLOAT, assumptions=(PSD,),
    normalization="B = (KL(Q, P) + log(n/δ))/(n − 1), Q of (4.3.3)–(4.3.4)",
    symbolic=SymbolicStatus((("kl(0, p) = −log(1 − p) ≥ 2p² (Pinsker at q = 0)",
                              symbolic.pinsker_inverse),
                             ("Σ_k 6δ/(π²k²) = δ (union bound over the prior grid)",
                              symbolic.union_bound_total))),
    description="The theorem itself is a probability statement over datasets; what is checked is "
                "the deterministic relaxation the thesis uses, with the kl inverse by bisection.",
))
