"""Shared assumptions, symbols and comparison helpers of the Chapter-4 lemmas (private)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..lemma import Assumption
from ..verdict import Comparison
from . import _mlp

EPS = _mlp.EPS

# ------------------------------------------------------------------ symbols
a, m, L, eps, n = sp.symbols("a m L epsilon n", positive=True)
j, k, i = sp.symbols("j k i", integer=True, nonnegative=True)
w_norm = sp.IndexedBase(r"\|w\|_2")
trF = sp.Symbol(r"\mathrm{tr}\,F_w")
trH = sp.Symbol(r"\mathrm{tr}\,\tilde H_w")
trXX = sp.Symbol(r"\mathrm{tr}\,\mathbb{E}[xx^\top]")
B_4_3_1 = (2 * m * a ** (2 * L) * trXX * sp.Product(w_norm[j] ** 2, (j, 0, L))
           * sp.Sum(w_norm[j] ** -2, (j, 0, L)))

# ------------------------------------------------------------------ assumptions
ACTIVATION = Assumption(
    "|σ'| ≤ a and σ(0) = 0 (ReLU, leaky ReLU, tanh, identity)",
    lambda p: p.activation_assumption, "§4.3.1", lambda p: p.activation_detail())
ZERO_BIASES = Assumption(
    "all bias terms zero", lambda p: p.biases_zero, "§4.3.1 ('we set all the bias terms to zero')",
    lambda p: "biases " + ("absent" if p.biases is None else
                           "max |b| = %.3g" % max(float(np.max(np.abs(b), initial=0.0))
                                                 for b in p.biases)))
SOFTMAX_CE = Assumption(
    "softmax outputs with the cross-entropy loss ĕ", lambda p: p.softmax_cross_entropy,
    "§4.2 (FIM of p_w(y|x) = softmax(z)_y; Hessian of ĕ)", lambda p: f"loss = {p.loss}")
HIDDEN_LAYER = Assumption("at least one hidden layer (L ≥ 1)", lambda p: p.depth >= 1,
                          "Lemma 4.7.2 compares consecutive layers", lambda p: f"L = {p.depth}")
NETWORK_BASE = (ACTIVATION, ZERO_BIASES)


# ------------------------------------------------------------------ comparisons
def comparison(name, index, lhs, rhs, lhs_err, rhs_err, relation="<=", exact_zeros=False):
    """A :class:`Comparison`; ``exact_zeros`` declares that zeros in it are structural (exact
    zero eigenvalues beyond a factor's rank, dead ReLU units), not values lost to underflow."""
    return Comparison(name, np.asarray(index, float), np.asarray(lhs, float),
                      np.asarray(rhs, float), np.asarray(lhs_err, float),
                      np.asarray(rhs_err, float), relation, exact_zeros=exact_zeros)


def rhs_rel_err(problem) -> float:
    """Relative rounding bound of products of spectral norms, traces and constants: LAPACK's
    largest singular value has relative error ≤ c·d·ε; each of ≤ 2(L+1) factors contributes."""
    dims = max(problem.widths) + problem.n + 4
    return 16.0 * (problem.depth + 2) * dims * EPS


def prod_except(values: np.ndarray, skip: int | None = None) -> float:
    out = 1.0
    for q, v in enumerate(values):
        if q != skip:
            out *= float(v)
    return out


def sum_of_products(sq_norms: np.ndarray) -> float:
    r""":math:`\prod_j\|w^j\|^2\sum_j\|w^j\|^{-2} = \sum_j\prod_{i\ne j}\|w^i\|^2` (the right-hand
    form is also defined when some :math:`w^j = 0`)."""
    return float(sum(prod_except(sq_norms, q) for q in range(sq_norms.size)))


def psd_enclosure(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(midpoint, half-width) of [max(lo, 0), hi] for a quantity known to be ≥ 0; when the lower
    end is 0 the pair is (hi/2, hi/2), so that midpoint − half-width is exactly 0."""
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    zero = lo <= 0
    mid = np.where(zero, 0.5 * hi, 0.5 * (lo + hi))
    half = np.where(zero, 0.5 * hi, 0.5 * (hi - lo))
    return mid, half
