"""Shared assumptions, symbols and comparison helpers for the §5.2 lemmas (private)."""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .. import oracle
from ..errors import PrecisionExhausted
from ..lemma import Assumption, Precision
from ..verdict import Comparison

EPS = np.finfo(float).eps

#: Brute-force sides that *simulate* dynamics step by step (weight-space GD, ensembles, deep linear
#: nets) are refused beyond this many multiply-adds (about a minute of work), before starting:
#: the check then answers ``undecided`` with a note naming the work, never runs for hours.
SIM_WORK_LIMIT = 2 * 10**9
#: ... and beyond this many bytes of working memory.
SIM_MEMORY_LIMIT = 2 * 2**30
#: Above this many multiply-adds a tqdm progress bar is shown (on a terminal).
WORK_PROGRESS = 5 * 10**7
#: Scalar geometric time sums Σ_{t<T} q^t are summed term by term up to this T, and beyond it by
#: binary splitting (an independent O(log T) route; see :func:`geometric_sums`).
LOOP_MAX_T = 10**5


def require_work(work: float, what: str) -> None:
    """PrecisionExhausted (→ an ``undecided`` verdict with this note) when ``work`` multiply-adds
    exceed :data:`SIM_WORK_LIMIT`; raised before any of the work starts."""
    if not work <= SIM_WORK_LIMIT:
        raise PrecisionExhausted(f"{what} would take {work:.3g} multiply-adds > "
                                 f"{SIM_WORK_LIMIT:.3g} (SIM_WORK_LIMIT): not run")


def require_memory(nbytes: float, what: str) -> None:
    """PrecisionExhausted when ``nbytes`` of working memory exceed :data:`SIM_MEMORY_LIMIT`."""
    if not nbytes <= SIM_MEMORY_LIMIT:
        raise PrecisionExhausted(f"{what} would need {nbytes / 2**30:.3g} GiB > "
                                 f"{SIM_MEMORY_LIMIT / 2**30:.3g} GiB (SIM_MEMORY_LIMIT): not run")


def progress(total: int, work: float, desc: str):
    """A tqdm bar over ``total`` steps, shown only when ``work`` exceeds :data:`WORK_PROGRESS`."""
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="step", leave=False, mininterval=1.0,
                disable=work < WORK_PROGRESS)


def geometric_sums(q, T: int):
    r""":math:`S = \sum_{t<T} q^t` and :math:`A = \sum_{t<T} |q|^t` for every entry of ``q``,
    with an absolute error bound of S, by binary splitting (O(log T) operations):
    :math:`S(2m) = S(m)(1 + q^m)`, :math:`S(m+1) = S(m) + q^m`, powers by squaring.

    An independent route to the time sums of §5.2 (it shares nothing with the
    ``expm1``/``log1p`` closed forms). Error: every step adds at most
    :math:`(2m + 1)\varepsilon` relative to the running absolute sum, so
    :math:`|\hat S - S| \le (6T + 2\log_2 T + 8)\,\varepsilon\,A` (including the rounding of
    q itself, which the powers amplify m-fold).

    Examples
    --------
    >>> S, A, err = geometric_sums(np.array([0.5, -0.5]), 10)
    >>> exact = np.array([(1 - 0.5**10) / 0.5, (1 - 0.5**10) / 1.5])   # (1 − q^T)/(1 − q)
    >>> bool(np.all(np.abs(S - exact) <= err)), bool(A[1] == S[0])
    (True, True)
    """
    q = np.asarray(q, dtype=float)
    S, P = np.zeros_like(q), np.ones_like(q)
    A, PA = np.zeros_like(q), np.ones_like(q)
    qa = np.abs(q)
    for bit in bin(int(T))[2:]:
        S, P = S * (1.0 + P), P * P
        A, PA = A * (1.0 + PA), PA * PA
        if bit == "1":
            S, P = S + P, P * q
            A, PA = A + PA, PA * qa
    k = (6.0 * T + 2.0 * math.log2(max(T, 1)) + 8.0) * EPS
    return S, A, k * A * (1.0 + 2 * k)

# ------------------------------------------------------------------ symbols
i, k, n, T, t = sp.symbols("i k n T t", positive=True, integer=True)
alpha, c, sigma_w, rho, lam, x, a_ = sp.symbols(r"alpha c sigma_w rho lambda x a", positive=True)
lam_K = sp.IndexedBase(r"\lambda^{K}")
lam_y = sp.IndexedBase(r"\lambda^{y}")
lam_w = sp.IndexedBase(r"\lambda^{\sigma_w}")
lam_P1 = sp.IndexedBase(r"\lambda^{P_1}")
lam_P = sp.IndexedBase(r"\lambda^{P}")
y_norm = sp.Symbol(r"\|y\|", positive=True)
k_star = sp.Symbol("k^*", positive=True)

# ------------------------------------------------------------------ assumptions
ALPHA_THESIS = Assumption(
    "0 < α < 1/λ1(K)", lambda p: p.alpha * p.lambda1 < 1.0, "§5.2 assumption (iii)",
    lambda p: f"α·λ1 = {p.alpha * p.lambda1:.6g}")
SLOPPY = Assumption(
    "λ_i = λ1·e^{-c(i-1)} with known slope c", lambda p: p.c is not None,
    "§5.2 assumption (i)", lambda p: f"c = {p.c}")
def _k_star_at_least_one(p) -> bool:
    """k* = min{ln(2Tα)/(2c), n/2} ≥ 1, i.e. ln(2Tα) ≥ 2c *and* n ≥ 2 (both parts of the min;
    compared in logarithms, so a large c cannot overflow e^{2c})."""
    return p.c is not None and p.n >= 2 and math.log(2 * p.T * p.alpha) >= 2 * p.c


def _k_star_explain(p) -> str:
    if p.c is None:
        return "c unknown"
    ks = min(math.log(2 * p.T * p.alpha) / (2 * p.c), p.n / 2)
    return (f"k* = min{{ln(2Tα)/(2c), n/2}} = min{{{math.log(2 * p.T * p.alpha) / (2 * p.c):.6g}, "
            f"{p.n / 2:g}}} = {ks:.6g}")


K_STAR_INDEX = Assumption(
    "k* = min{ln(2Tα)/(2c), n/2} ≥ 1 (the Weyl split index is an index: 2Tα ≥ e^{2c} and n ≥ 2)",
    _k_star_at_least_one, "Lemma 5.2.3 (implicit)", _k_star_explain)
TARGETS_NONZERO = Assumption("y ≠ 0", lambda p: p.y_norm2 > 0, "ratios λ_i/λ_1 need λ_1 > 0",
                             lambda p: f"‖y‖² = {p.y_norm2:.3g}")
SIGMA_STAR_KNOWN = Assumption("σ*² known (targets drawn as y = Xw*, w* ~ N(0, σ*²/n I))",
                              lambda p: p.sigma_star2 is not None, "§5.2 assumption (i)")
N_AT_LEAST_2 = Assumption("n ≥ 2", lambda p: p.n >= 2, "ratios of distinct eigenvalues",
                          lambda p: f"n = {p.n}")


# ------------------------------------------------------------------ measuring helpers
def measure(problem, matrix: str, precision: Precision, diagonal=None):
    if diagonal is None:
        return oracle.get().eigenvalues(problem, matrix, precision)
    return oracle.get().eigenvalues(problem, matrix, precision, diagonal=diagonal)


def ratios(m) -> tuple[np.ndarray, np.ndarray]:
    """λ_i/λ_1 with first-order error bounds; the i = 1 entry is exactly 1."""
    v, e = m.values, m.abs_err
    r = v / v[0]
    err = (e + np.abs(r) * e[0]) / v[0] * (1 + 1e-12)
    r[0], err[0] = 1.0, 0.0
    return r, err


def rel_err(x, k_ulps: float = 16.0) -> np.ndarray:
    return k_ulps * EPS * np.abs(np.asarray(x, dtype=float))


def comparison(name, index, lhs, rhs, lhs_err, rhs_err, relation="<=", *, exact_zeros=False):
    return Comparison(name, np.asarray(index, float), np.asarray(lhs, float),
                      np.asarray(rhs, float), np.asarray(lhs_err, float),
                      np.asarray(rhs_err, float), relation, exact_zeros=exact_zeros)
