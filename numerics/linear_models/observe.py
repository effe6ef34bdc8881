r"""Measured spectra with error bounds: the numerics side of the lemma checks.

Implements :class:`hyperribbon.theory.oracle.SpectralOracle` along the precision ladder:

``float64``
    dense ``eigvalsh`` of the closed-form matrix; absolute error bound
    :math:`8n\varepsilon\lambda_{\max}` (backward stability and Weyl).
``structured``
    high *relative* accuracy: the target Gramian by the Demmel-type structured algorithm of
    :mod:`hyperribbon.numerics.linear_models.accurate_eig`; :math:`TP_1` and :math:`P` by one-sided Jacobi on
    row-accurate factors (error bound from the factor's condition number).
``mpmath``
    the closed-form matrix at 60 significant digits and ``mpmath.eigsy`` (n ≤ 120).
"""
from __future__ import annotations

import math

import mpmath
import numpy as np

from hyperribbon.theory.linear_models import gd_closed_forms as cf
from hyperribbon.theory.errors import InvalidArgument, PrecisionExhausted
from hyperribbon.theory.lemma import Precision
from hyperribbon.theory.oracle import Measured
from hyperribbon.theory.linear_models.problems import LinearGDProblem

from .pca import centered_target_factor, pca_matrices

__all__ = ["ExactOracle", "MATRICES", "mp_matrix"]

EPS = np.finfo(float).eps
_TINY = np.finfo(float).tiny
MATRICES = ("S1y", "S1w", "S1", "P")
MP_DPS = 60
MP_MAX_N = 120
STRUCTURED_MAX_WIDTH = 20_000
#: The dense float64 rung forms n×n matrices and calls eigvalsh (O(n³)): refused (precision
#: exhausted, i.e. an ``undecided`` rung) beyond this n, before allocating.
FLOAT64_MAX_N = 8192


def _desc(v):
    return np.sort(np.asarray(v, dtype=float))[::-1]


def _vandermonde(s: np.ndarray, T: int) -> np.ndarray:
    t = np.arange(T, dtype=float)
    return 1.0 - cf.one_minus_power(s[:, None], t[None, :])


def mp_matrix(problem: LinearGDProblem, matrix: str, dps: int = MP_DPS,
              diagonal=None) -> "mpmath.matrix":
    """The closed-form ``matrix`` (see :data:`MATRICES`) in mpmath at ``dps`` digits; for ``S1``
    a given ``diagonal`` replaces the closed form of λ^σw (e.g. SGD's extra noise terms)."""
    smallest = float(np.min(problem.s))
    dps = dps + max(0, int(math.ceil(-math.log10(smallest))) + 5)   # 1 − s must keep s
    with mpmath.workdps(dps):
        lam = [mpmath.mpf(float(x)) for x in problem.lam]
        y = [mpmath.mpf(float(x)) for x in problem.yhat]
        alpha, T = mpmath.mpf(problem.alpha), problem.T
        s = [alpha * x for x in lam]
        a = [1 - x for x in s]
        n = len(lam)
        sw = [mpmath.mpf(problem.sigma_w2) / alpha * (1 - ai ** (2 * T)) / (2 - si)
              for ai, si in zip(a, s)] if diagonal is None else \
            [mpmath.mpf(float(v)) for v in diagonal]
        M = mpmath.matrix(n, n)
        if matrix in ("S1y", "S1", "P"):
            for i in range(n):
                for j in range(i, n):
                    x = a[i] * a[j]
                    M[i, j] = M[j, i] = y[i] * y[j] * (1 - x**T) / (1 - x)
        if matrix in ("S1w", "S1", "P"):
            for i in range(n):
                M[i, i] += sw[i]
        if matrix == "P":
            m = [(1 - a[i] ** T) / (T * s[i]) * y[i] for i in range(n)]
            for i in range(n):
                for j in range(n):
                    M[i, j] = M[i, j] / T - m[i] * m[j]
        return M


def _gramian(accurate_eig, problem):
    """The target Gramian's accurate spectrum, or PrecisionExhausted beyond its memory limits."""
    T = problem.T
    if T * min(problem.n, T) > accurate_eig.MAX_DFT_ENTRIES or T > accurate_eig.MAX_T:
        raise PrecisionExhausted(f"the structured Gramian route needs T·min(n, T) ≤ "
                                 f"{accurate_eig.MAX_DFT_ENTRIES} and T ≤ {accurate_eig.MAX_T} "
                                 f"(memory of its factor); T = {T}, n = {problem.n}")
    return accurate_eig.gramian_eigvalsh(problem.s, problem.yhat, T)


def _measured(res, label: str) -> Measured:
    """Values and absolute errors from an AccurateSpectrum; underflowed eigenvalues (positive,
    below the normal range, read as subnormals or 0) carry the error 2^-1022 that covers them."""
    v = np.asarray(res.values, dtype=float)            # descending already
    rel = np.broadcast_to(np.asarray(res.rel_error_bound, dtype=float), v.shape)
    if not np.all(np.isfinite(rel)):
        raise PrecisionExhausted("the structured error bound is not finite for this problem")
    err = np.abs(v) * rel
    underflowed = getattr(res, "underflowed", None)
    if underflowed is not None and np.any(underflowed):
        err = np.where(underflowed, np.maximum(err, _TINY), err)
    return Measured(v, err, f"{label} ({res.method})")


def _structured_s1(accurate_eig, problem, sw) -> Measured:
    r"""Eigenvalues of :math:`TP_1 = G + \mathrm{diag}(d)` (G the target Gramian, d ≥ 0) as the
    intersection of two enclosures, each rigorous:

    * the graded factor :math:`F = [\mathrm{diag}(\sqrt d) \mid \mathrm{diag}(\hat y)V]` by
      one-sided Jacobi (relative error bound from F's conditioning);
    * Weyl's inequality around the accurately computed Gramian:
      :math:`\lambda_i(G) + \min d \le \lambda_i(G + \mathrm{diag}(d)) \le \lambda_i(G) +
      \max d`, which is sharp wherever d is small against :math:`\lambda_i(G)` (small σw²).
    """
    n, T = problem.n, problem.T
    lo, hi, methods = np.zeros(n), np.full(n, np.inf), []
    try:
        g = _measured(_gramian(accurate_eig, problem), "Gramian")
        lo = np.maximum(lo, (g.values - g.abs_err) + float(np.min(sw)))
        hi = np.minimum(hi, (g.values + g.abs_err) + float(np.max(sw)))
        methods.append("Weyl around the " + g.method)
    except PrecisionExhausted:
        pass
    if n + T <= STRUCTURED_MAX_WIDTH:
        F = np.hstack([np.diag(np.sqrt(sw)), problem.yhat[:, None] * _vandermonde(problem.s, T)])
        res = accurate_eig.graded_gram_eigvalsh(F)
        rel = float(res.rel_error_bound)
        if math.isfinite(rel):
            f = _measured(res, "graded")
            lo2, hi2 = f.values - f.abs_err, f.values + f.abs_err
            if np.all(np.maximum(lo, lo2) <= np.minimum(hi, hi2)):
                lo, hi = np.maximum(lo, lo2), np.minimum(hi, hi2)
            else:                                   # cannot happen with valid bounds: stay safe
                lo, hi = np.minimum(lo, lo2), np.maximum(hi, hi2)
            methods.append(f.method)
    if not methods or not np.all(np.isfinite(hi)):
        raise PrecisionExhausted("no structured enclosure of T·P1 is available for this problem")
    return Measured(0.5 * (lo + hi), 0.5 * (hi - lo), "structured: " + "; ".join(methods))


class ExactOracle:
    """Eigenvalues of the §5.2 matrices with error bounds (see module docstring)."""

    def eigenvalues(self, problem: LinearGDProblem, matrix: str, precision,
                    diagonal=None) -> Measured:
        """Descending eigenvalues with error bounds; for ``S1`` a non-negative ``diagonal``
        (length n, in K's eigenbasis) may replace the closed-form λ^σw."""
        if diagonal is not None:
            diagonal = np.asarray(diagonal, dtype=float)
            if matrix != "S1" or diagonal.shape != (problem.n,) or np.any(diagonal < 0) \
                    or not np.all(np.isfinite(diagonal)):
                raise InvalidArgument("diagonal", "ExactOracle.eigenvalues",
                                      "be a finite non-negative vector of length n, with "
                                      "matrix='S1'", diagonal)
        if matrix not in MATRICES:
            raise InvalidArgument("matrix", "ExactOracle.eigenvalues", f"be one of {MATRICES}",
                                  matrix)
        precision = Precision(precision)
        if matrix == "S1w":   # diagonal closed form: relative accuracy at every precision
            v = _desc(cf.sigma_w_eigenvalues(problem.s, problem.alpha, problem.sigma_w2,
                                             problem.T))
            return Measured(v, 16 * EPS * np.abs(v), "closed form (5.2.10)")
        if precision is Precision.FLOAT64:
            return self._float64(problem, matrix, diagonal)
        if precision is Precision.STRUCTURED:
            return self._structured(problem, matrix, diagonal)
        return self._mpmath(problem, matrix, diagonal)

    # ------------------------------------------------------------------ rungs
    @staticmethod
    def _float64(problem, matrix, diagonal=None) -> Measured:
        if problem.n > FLOAT64_MAX_N:
            raise PrecisionExhausted(f"the dense float64 rung is limited to n ≤ {FLOAT64_MAX_N} "
                                     f"(n×n matrices, O(n³) eigvalsh); n = {problem.n}")
        m = pca_matrices(problem)
        if diagonal is not None:
            A = m.S1y + np.diag(diagonal)
        else:
            A = {"S1y": m.S1y, "S1": m.P1("sum"), "P": m.P()}[matrix]
        v = _desc(np.linalg.eigvalsh(A))
        scale = max(float(np.max(np.abs(v))), 0.0)
        return Measured(v, np.full(v.size, 8 * problem.n * EPS * scale), "float64 eigvalsh")

    @staticmethod
    def _structured(problem, matrix, diagonal=None) -> Measured:
        if problem.n > FLOAT64_MAX_N:
            raise PrecisionExhausted(f"the structured rung is limited to n ≤ {FLOAT64_MAX_N} "
                                     f"(O(n³) Jacobi); n = {problem.n}")
        try:
            from . import accurate_eig
        except ImportError as exc:  # pragma: no cover - only while the module is missing
            raise PrecisionExhausted(f"structured eigensolver unavailable: {exc}") from None
        s, T = problem.s, problem.T
        if matrix in ("S1y", "S1"):
            sw = None
            if matrix == "S1":
                sw = cf.sigma_w_eigenvalues(s, problem.alpha, problem.sigma_w2, T) \
                    if diagonal is None else np.asarray(diagonal, dtype=float)
            if matrix == "S1y" or not np.any(sw > 0):
                # T·P1 = T·P1^y exactly when the diagonal vanishes (σw² = 0): the accurate
                # Gramian route, never the graded factor (which is rank-deficient for T < n)
                return _measured(_gramian(accurate_eig, problem), "structured")
            return _structured_s1(accurate_eig, problem, sw)
        if problem.n + T > STRUCTURED_MAX_WIDTH:
            raise PrecisionExhausted(f"the Jacobi factor would have n + T = {problem.n + T} "
                                     f"> {STRUCTURED_MAX_WIDTH} columns")
        sw = cf.sigma_w_eigenvalues(s, problem.alpha, problem.sigma_w2, T)
        F = np.hstack([np.diag(np.sqrt(sw / T)), centered_target_factor(problem)])
        return _measured(accurate_eig.graded_gram_eigvalsh(F), "structured")

    @staticmethod
    def _mpmath(problem, matrix, diagonal=None) -> Measured:
        if problem.n > MP_MAX_N:
            raise PrecisionExhausted(f"mpmath rung limited to n ≤ {MP_MAX_N}, got n = {problem.n}")
        with mpmath.workdps(MP_DPS):
            M = mp_matrix(problem, matrix, diagonal=diagonal)
            ev = mpmath.eigsy(M, eigvals_only=True)
            v = _desc([float(x) for x in ev])
        scale = float(np.max(np.abs(v))) if v.size else 0.0
        err = np.full(v.size, problem.n * 10.0 ** (-(MP_DPS - 8)) * scale) + 2 * EPS * np.abs(v)
        return Measured(v, err, f"mpmath eigsy at {MP_DPS} digits")
