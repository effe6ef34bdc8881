r"""Sloppiness measures of a spectrum, exactly as defined in thesis §4.4 (pure numpy).

Notation (thesis §4.3.3–4.4): :math:`\lambda_1 \ge \dots \ge \lambda_p` are the eigenvalues of the
Hessian :math:`H_w` of the training loss :math:`\breve e(h_w, D_n) = -\frac{1}{n\log 2}\sum_k \log
p_w(y_k|x_k)` (the *mean* loss in bits; use ``normalisation='thesis'`` in
:func:`~hyperribbon.numerics.curvature.curvature_operator`), :math:`n` the number of training
samples and :math:`\epsilon` the precision of the PAC-Bayes prior
:math:`P = N(w_0, \epsilon^{-1}I)`.

* effective dimensionality (4.4.1):
  :math:`p(n,\epsilon) = \#\{i : |\lambda_i| \ge \epsilon/(2(n-1))\}`;
* strength (4.4.2): :math:`s(n,\epsilon) = \sum_{i=1}^{p(n,\epsilon)} \bigl[1 +
  \log(2(n-1)\lambda_i/\epsilon + 1)\bigr]` (natural log, as in the derivation §4.7.2.3);
* sloppy factor (4.4.3): :math:`c(A, r) = \sup\{c' \ge 0 : \lambda_i \le \lambda_r e^{-c'(i-r)}\
  \forall i \ge r\} = \max\bigl(0, \min_{i>r} \frac{\log\lambda_r - \log\lambda_i}{i-r}\bigr)`
  (:math:`+\infty` when no :math:`i > r` constrains it, e.g. :math:`r = p` or a zero tail);
* :func:`decay_rate`: least-squares fit :math:`\log\lambda_i \approx \log b - c\,i` over the
  resolved positive eigenvalues with index in a stated range, with ordinary-least-squares
  standard errors.

Every measure is returned with lower and upper bounds implied by the spectrum's error bars and by
what is known about eigenvalues that were not computed; a measure whose bounds differ is reported
as undecided (an interval), never as a number.  Strength and sloppy factor are defined for
positive semi-definite matrices; a resolved negative eigenvalue raises
:class:`~hyperribbon.theory.AssumptionViolated`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hyperribbon.theory import AssumptionViolated, InvalidArgument

from ._validate import as_bool, as_float, as_int
from .spectrum import Spectrum, spectrum_from_values

__all__ = ["Measure", "DecayFit", "effective_dimensionality", "strength", "sloppy_factor",
           "decay_rate", "sloppiness_summary"]


@dataclass(frozen=True)
class Measure:
    """A sloppiness measure with the interval the spectrum's uncertainty allows.

    Attributes
    ----------
    name : str
        ``'p(n,eps)'``, ``'s(n,eps)'`` or ``'c(A,r)'``.
    value : float
        The measure computed from the listed eigenvalues (NaN when the unlisted eigenvalues
        make it undefined); meaningful as a measurement only when :attr:`decided`.
    lower, upper : float
        Bounds valid for every spectrum within the error bars (``inf`` allowed).
    equation : str
        Thesis equation number.
    parameters : dict
        The inputs (n, eps, threshold, r, ...).
    """

    name: str
    value: float
    lower: float
    upper: float
    equation: str
    parameters: dict = field(default_factory=dict)

    #: relative width of [lower, upper] up to which the value counts as measured (3 digits)
    RTOL = 1e-3

    @property
    def decided(self) -> bool:
        """True when the bounds agree to a relative ``RTOL`` (1e-3, three significant digits):
        the value is a measurement, shown with the uncertainty ``(upper − lower)/2``."""
        if self.lower == self.upper:
            return True
        if not (math.isfinite(self.lower) and math.isfinite(self.upper)):
            return False
        return abs(self.upper - self.lower) <= self.RTOL * max(abs(self.upper), abs(self.lower))

    def __str__(self) -> str:
        if self.decided:
            half = (self.upper - self.lower) / 2
            unc = f" ± {half:.2g}" if half > 0 else ""
            return f"{self.name} = {self.value:.6g}{unc}  (eq. {self.equation})"
        return (f"{self.name} ∈ [{self.lower:.6g}, {self.upper:.6g}]  undecided: the noise floor "
                f"or uncomputed eigenvalues leave it open (eq. {self.equation})")


@dataclass(frozen=True)
class DecayFit:
    r"""Least-squares fit :math:`\log\lambda_i = \log b - c\,i` (natural log, 1-based i).

    Attributes
    ----------
    rate : float
        :math:`c` (positive for a decaying spectrum); ``log10_slope = -c/\ln 10``.
    stderr : float
        OLS standard error of :math:`c` (assumes independent residuals; eigenvalues are not
        independent, so read it as a measure of the fit's scatter).
    intercept, intercept_stderr : float
        :math:`\log b` and its standard error.
    first, last : int
        1-based index range requested; ``indices`` the indices actually used (resolved, > 0).
    residual_std : float
        Root-mean-square residual of the fit (in natural-log units), ``m-2`` degrees of freedom.
    """

    rate: float
    stderr: float
    intercept: float
    intercept_stderr: float
    first: int
    last: int
    indices: np.ndarray
    residual_std: float

    @property
    def n_used(self) -> int:
        return int(self.indices.size)

    @property
    def log10_slope(self) -> float:
        return -self.rate / math.log(10.0)

    def __str__(self) -> str:
        return (f"decay rate c = {self.rate:.6g} ± {self.stderr:.2g} per index "
                f"(λ_i ≈ e^{{{self.intercept:.4g} − c·i}}, {self.n_used} resolved eigenvalues "
                f"in [{self.first}, {self.last}])")


# --------------------------------------------------------------------------- helpers
def _as_spectrum(spectrum, owner: str) -> Spectrum:
    if isinstance(spectrum, Spectrum):
        return spectrum
    try:
        return spectrum_from_values(spectrum)
    except InvalidArgument as err:
        raise InvalidArgument("spectrum", owner, "be a Spectrum or a 1-D array of eigenvalues",
                              spectrum) from err


def _threshold(n, eps, owner):
    n = as_int(n, "n", owner, minimum=2)
    eps = as_float(eps, "eps", owner, positive=True)
    return n, eps, eps / (2.0 * (n - 1))


def _psd_rest(spec: Spectrum, owner: str) -> float:
    """Upper bound on the unlisted eigenvalues of a PSD matrix (they are ≥ 0).

    Known zeros give 0; a stated ``rest_bound`` is used as is; a top-k spectrum (``'LA'`` or
    ``'LM'``, or values given without saying) bounds them by its smallest listed value (+ error);
    otherwise (e.g. the smallest eigenvalues by ``'SA'``) nothing bounds them: ``inf``.
    """
    if spec.complete:
        return 0.0
    if spec.rest_bound is not None:
        return float(spec.rest_bound)
    if spec.values.size and spec.meta.get("which", "LA") in ("LA", "LM"):
        return max(float(spec.values[-1] + spec.errors[-1]), 0.0)
    return math.inf


def _require_psd(spec: Spectrum, owner: str) -> None:
    bad = spec.values < -spec.errors
    if np.any(bad):
        i = int(np.argmax(bad))
        raise AssumptionViolated(
            "positive semi-definite", owner,
            f"eigenvalue λ_{i + 1} = "
            f"{spec.values[i]:.6g} is negative beyond its error bound {spec.errors[i]:.3g} "
            "(Definition 4.4.3 is stated at a local minimum, where H_w ⪰ 0)")


# --------------------------------------------------------------------------- measures
def effective_dimensionality(spectrum, n: int, eps: float, *, psd: bool = False) -> Measure:
    r"""Effective dimensionality :math:`p(n,\epsilon)`, thesis eq. (4.4.1).

    .. math:: p(n,\epsilon) = \sum_{i=1}^{p} \mathbf 1\Bigl\{|\lambda_i(H_w)| \ge
              \frac{\epsilon}{2(n-1)}\Bigr\}

    Parameters
    ----------
    spectrum : Spectrum or (k,) array_like
        Eigenvalues of :math:`H_w` (normalised as the thesis's :math:`\breve e`: mean loss in
        bits).  An array gets the dense noise floor of :func:`spectrum_from_values`.
    n : int
        Number of training samples, ``n ≥ 2``.
    eps : float
        Prior precision :math:`\epsilon > 0`.
    psd : bool
        Take the matrix to be positive semi-definite, so that eigenvalues not computed by a
        top-k Lanczos run lie in :math:`[0, \lambda_k]` (otherwise they are unknown).

    Returns
    -------
    Measure
        ``lower`` counts eigenvalues certainly above the threshold, ``upper`` those possibly above
        it (including uncomputed ones that could be).

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.exp(-0.5 * np.arange(1, 21))          # λ_i = e^{-i/2}
    >>> m = effective_dimensionality(spectrum_from_values(lam, floor=0.0), n=101, eps=2.0)
    >>> # threshold ε/(2(n-1)) = 0.01 and e^{-i/2} ≥ 0.01 ⇔ i ≤ 2 ln 100 = 9.21
    >>> int(m.value), m.decided
    (9, True)
    """
    owner = "effective_dimensionality"
    spec = _as_spectrum(spectrum, owner)
    n, eps, thr = _threshold(n, eps, owner)
    psd = as_bool(psd, "psd", owner)
    mag, err = np.abs(spec.values), spec.errors
    value = float(np.count_nonzero(mag >= thr))
    lower = float(np.count_nonzero(mag - err >= thr))
    upper = float(np.count_nonzero(mag + err >= thr))
    missing = spec.dimension - spec.values.size
    if missing and not spec.complete:
        rest = _psd_rest(spec, owner) if psd else spec.rest_bound
        if rest is None or rest >= thr:
            upper += missing
            value = math.nan if lower != upper else value
    return Measure("p(n,eps)", value, lower, upper, "4.4.1",
                   {"n": n, "eps": eps, "threshold": thr, "dimension": spec.dimension})


def strength(spectrum, n: int, eps: float) -> Measure:
    r"""Strength factor :math:`s(n,\epsilon)`, thesis eq. (4.4.2), for a PSD matrix.

    .. math:: s(n,\epsilon) = \sum_{i=1}^{p(n,\epsilon)} \Bigl[1 + \log\Bigl(
              \frac{2(n-1)\lambda_i(H_w)}{\epsilon} + 1\Bigr)\Bigr]

    with the natural logarithm and :math:`\lambda_i` in descending order.

    Raises
    ------
    AssumptionViolated
        If an eigenvalue is negative beyond its error bound.

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([4.0, 1.0, 0.001])
    >>> m = strength(spectrum_from_values(lam, floor=0.0), n=11, eps=2.0)   # threshold 0.1
    >>> bool(np.isclose(m.value, 2 + np.log(41) + np.log(11)))
    True
    """
    owner = "strength"
    spec = _as_spectrum(spectrum, owner)
    n, eps, thr = _threshold(n, eps, owner)
    _require_psd(spec, owner)
    lam = np.maximum(spec.values, 0.0)
    lo_vals = np.maximum(spec.values - spec.errors, 0.0)
    hi_vals = spec.values + spec.errors

    def term(x):
        return 1.0 + np.log1p(2.0 * (n - 1) * x / eps)

    value = float(np.sum(term(lam[lam >= thr])))
    lower = float(np.sum(term(lo_vals[lo_vals >= thr])))
    upper = float(np.sum(term(hi_vals[hi_vals >= thr])))
    missing = spec.dimension - spec.values.size
    if missing and not spec.complete:
        rest = _psd_rest(spec, owner)
        if rest >= thr:
            upper += missing * float(term(rest))
            value = math.nan
    return Measure("s(n,eps)", value, lower, upper, "4.4.2",
                   {"n": n, "eps": eps, "threshold": thr})


def _c_from(lam_r: float, lam: np.ndarray, gaps: np.ndarray) -> float:
    """max(0, min_i (log λ_r − log λ_i)/(i − r)) with λ_i = 0 terms = +inf."""
    if lam.size == 0:
        return math.inf
    if lam_r <= 0.0:
        return 0.0 if np.any(lam > 0) else math.inf
    with np.errstate(divide="ignore"):
        ratios = (math.log(lam_r) - np.log(lam)) / gaps
    return max(0.0, float(np.min(ratios)))


def sloppy_factor(spectrum, r: int) -> Measure:
    r"""Sloppy factor :math:`c(A, r)`, thesis eq. (4.4.3), for a PSD matrix.

    .. math:: c(A,r) = \sup\{c' \ge 0 : \lambda_i(A) \le \lambda_r(A)\,e^{-c'(i-r)}
              \ \forall i \ge r\}
              = \max\Bigl(0,\ \min_{i > r}\frac{\log\lambda_r - \log\lambda_i}{i-r}\Bigr)

    (``inf`` when nothing constrains :math:`c'`: :math:`r = p` or every :math:`\lambda_i = 0` for
    :math:`i > r`).  The thesis uses :math:`r = p(n,\epsilon)`.

    Parameters
    ----------
    spectrum : Spectrum or (k,) array_like
        Eigenvalues of a PSD matrix.
    r : int
        1-based index, ``1 ≤ r ≤ p``.

    Examples
    --------
    >>> import numpy as np
    >>> lam = 3.0 * np.exp(-0.25 * np.arange(1, 31))          # exactly exponential, c = 0.25
    >>> m = sloppy_factor(spectrum_from_values(lam, floor=0.0), r=5)
    >>> bool(np.isclose(m.value, 0.25)), m.decided
    (True, True)
    """
    owner = "sloppy_factor"
    spec = _as_spectrum(spectrum, owner)
    r = as_int(r, "r", owner, minimum=1, maximum=spec.dimension)
    _require_psd(spec, owner)
    k = spec.values.size
    vals = np.maximum(spec.values, 0.0)
    lo_vals = np.maximum(spec.values - spec.errors, 0.0)
    hi_vals = spec.values + spec.errors
    idx = np.arange(1, k + 1)
    if r <= k:
        after = idx > r
        gaps = (idx[after] - r).astype(float)
        value = _c_from(vals[r - 1], vals[after], gaps)
        lower = _c_from(lo_vals[r - 1], hi_vals[after], gaps)
        upper = _c_from(hi_vals[r - 1], lo_vals[after], gaps)
    else:                               # λ_r was not computed: only ≤ the last listed value
        value, lower, upper = math.nan, 0.0, math.inf
    missing = spec.dimension - k
    if missing and not spec.complete:
        rest = _psd_rest(spec, owner)
        value = math.nan
        if r <= k and rest > 0:
            lam_r_lo = lo_vals[r - 1]
            if lam_r_lo <= 0 or math.isinf(rest):
                lower = 0.0
            else:
                d = math.log(lam_r_lo) - math.log(rest)
                worst_gap = (spec.dimension - r) if d >= 0 else (k + 1 - r)
                lower = max(0.0, min(lower, d / worst_gap))
    return Measure("c(A,r)", value, lower, upper, "4.4.3", {"r": r, "dimension": spec.dimension})


def decay_rate(spectrum, *, first: int = 1, last: int | None = None) -> DecayFit:
    r"""Exponential decay rate of the eigenvalues against their index (log-linear least squares).

    .. math:: \min_{a, c} \sum_{i \in I} (\log\lambda_i - a + c\,i)^2,\qquad
              I = \{i \in [\text{first}, \text{last}] : \lambda_i \text{ resolved and } > 0\}

    Parameters
    ----------
    spectrum : Spectrum or (k,) array_like
        Eigenvalues (descending); unresolved and non-positive ones are excluded.
    first, last : int
        1-based inclusive index range (default: all listed eigenvalues).

    Returns
    -------
    DecayFit

    Raises
    ------
    InvalidArgument
        If the range is invalid or holds fewer than 3 usable eigenvalues.

    Examples
    --------
    >>> import numpy as np
    >>> lam = 2.0 * np.exp(-0.1 * np.arange(1, 51))
    >>> fit = decay_rate(spectrum_from_values(lam, floor=0.0))
    >>> bool(np.isclose(fit.rate, 0.1)), bool(np.isclose(fit.intercept, np.log(2.0)))
    (True, True)
    """
    owner = "decay_rate"
    spec = _as_spectrum(spectrum, owner)
    k = spec.values.size
    first = as_int(first, "first", owner, minimum=1, maximum=k)
    last = k if last is None else as_int(last, "last", owner, minimum=first, maximum=k)
    idx = np.arange(first, last + 1)
    vals = spec.values[first - 1:last]
    ok = spec.resolved[first - 1:last] & (vals > 0)
    i, y = idx[ok].astype(np.float64), np.log(vals[ok])
    m = i.size
    if m < 3:
        raise InvalidArgument("spectrum", owner,
                              f"have at least 3 resolved positive eigenvalues in [{first}, {last}]",
                              m)
    ibar, ybar = i.mean(), y.mean()
    sxx = float(np.sum((i - ibar) ** 2))
    slope = float(np.sum((i - ibar) * (y - ybar)) / sxx)
    intercept = float(ybar - slope * ibar)
    resid = y - (intercept + slope * i)
    s2 = float(np.sum(resid ** 2) / (m - 2))
    se_slope = math.sqrt(s2 / sxx)
    se_int = math.sqrt(s2 * (1.0 / m + ibar ** 2 / sxx))
    return DecayFit(-slope, se_slope, intercept, se_int, first, last, idx[ok], math.sqrt(s2))


def sloppiness_summary(spectrum, n: int, eps: float) -> dict:
    r"""The three §4.4 measures at the thesis's choice :math:`r = p(n,\epsilon)`.

    Returns
    -------
    dict
        ``{'p': Measure, 's': Measure, 'c': Measure}``; ``'c'`` uses ``r = p(n,ε)`` when that is
        decided and ``≥ 1``, and is undecided (``[0, inf]``) otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.exp(-0.3 * np.arange(1, 41))
    >>> out = sloppiness_summary(spectrum_from_values(lam, floor=0.0), n=1001, eps=1.0)
    >>> # threshold ε/(2(n−1)) = 1/2000 and e^{-0.3 i} ≥ 1/2000 ⇔ i ≤ ln(2000)/0.3 = 25.3
    >>> int(out["p"].value), bool(np.isclose(out["c"].value, 0.3))
    (25, True)
    """
    owner = "sloppiness_summary"
    spec = _as_spectrum(spectrum, owner)
    p_m = effective_dimensionality(spec, n, eps, psd=True)
    s_m = strength(spec, n, eps)
    if p_m.decided and p_m.value >= 1:
        c_m = sloppy_factor(spec, int(p_m.value))
    else:
        c_m = Measure("c(A,r)", math.nan, 0.0, math.inf, "4.4.3",
                      {"r": None, "reason": "p(n,eps) undecided or 0"})
    return {"p": p_m, "s": s_m, "c": c_m}
