r"""Zolotarev numbers of two real intervals, exactly, and the closed-form bounds the thesis uses.

The Zolotarev number of two disjoint sets :math:`E, F` of the complex plane is

.. math:: Z_k(E, F) = \inf_{r \in \mathcal R_{k,k}}
          \frac{\sup_{z \in E} |r(z)|}{\inf_{z \in F} |r(z)|},

the infimum over rational functions of type :math:`(k, k)` (Zolotarev's third problem). Thesis
Lemma 5.2.1 bounds the eigenvalue decay of a Lyapunov solution with it, through Beckermann and
Townsend's inequality :math:`\sigma_{1+\nu k}(X) \le Z_k(E, F)\,\sigma_1(X)` with
:math:`E = [-b, -a]`, :math:`F = [a, b]` and :math:`\nu = 2`.

Exact value (what :func:`zolotarev_number` computes)
----------------------------------------------------
For :math:`0 < a < b` let :math:`\kappa' = a/b`, :math:`\kappa = \sqrt{1 - \kappa'^2}`, :math:`K`
the complete elliptic integral of the first kind (modulus convention) and

.. math:: q = \exp\!\Big(-\pi \frac{K(\kappa')}{K(\kappa)}\Big), \qquad
          Z_k([-b,-a],[a,b]) = \frac{\vartheta_2^2(0, q^{4k})}{\vartheta_3^2(0, q^{4k})}
          = 4 q^{2k} \prod_{m \ge 1} \Big(\frac{1 + q^{8mk}}{1 + q^{4(2m-1)k}}\Big)^{4},

i.e. :math:`Z_k` is the elliptic modulus whose nome is :math:`q^{4k}` (half-period ratio
:math:`\tau = 4k K(\kappa')/K(\kappa)`).

Derivation. By the symmetry :math:`E = -F` the extremal function may be taken as
:math:`r(z) = \prod_j (z + p_j)/(z - p_j)`, so :math:`Z_k = (\min_p \max_{x\in[a,b]} \prod_j
|x - p_j|/|x + p_j|)^2`: the square of the optimal ADI-shift problem, solved by Zolotarev with
:math:`p_j = b\,\mathrm{dn}((2j-1)K(\kappa)/(2k), \kappa)` (:func:`zolotarev_shifts`). The
degree-:math:`k` modular transformation turns :math:`k` shifts at nome :math:`q` into one shift at
nome :math:`q^k`, whose error :math:`(1-\sqrt{\lambda'})/(1+\sqrt{\lambda'})` equals
:math:`\vartheta_2(q^{4k})/\vartheta_3(q^{4k})`. For :math:`k = 1` two Landen steps give the
elementary :math:`Z_1 = ((\sqrt b - \sqrt a)/(\sqrt b + \sqrt a))^2`.

Sources. E. I. Zolotarev (1877) and N. I. Akhiezer, *Elements of the theory of elliptic
functions*, AMS Transl. Math. Monographs 79 (1990), the chapter on Zolotarev's problems;
E. L. Wachspress, *The ADI model problem* (Springer 2013) for the optimal shifts; B. Beckermann
and A. Townsend, "On the singular values of matrices with displacement structure", SIAM J. Matrix
Anal. Appl. 38 (2017) 1227–1248, § 3, and "Bounds on the singular values of matrices with
displacement structure", SIAM Review 61 (2019) 319–344, § 3, who derive the bound below from this
solution. The product form agrees term by term with a public MATLAB routine
``ZolotarevNumber(a, b, c, d, n)`` (cross-ratio form; its nome is our :math:`q^2`). The tests
confirm the formula independently of the literature: the explicit extremal rational function,
evaluated on fine grids of :math:`E` and :math:`F`, attains the computed value and equioscillates
:math:`k+1` times (:func:`extremal_ratio_on_grid`), random perturbations of it do worse, and the
product and theta forms agree.

Numerics. :math:`K(\kappa')/K(\kappa) = \mathrm{agm}(1,\kappa')/\mathrm{agm}(1,\kappa)` with
:math:`\kappa = \sqrt{(b-a)(b+a)}/b` (no cancellation for :math:`b/a` near 1 or huge). The theta
quotient is evaluated at the smaller of the nomes :math:`e^{-\pi\tau}` and :math:`e^{-\pi/\tau}`
(Jacobi's imaginary transformation: :math:`Z_k = \vartheta_4^2/\vartheta_3^2` at
:math:`e^{-\pi/\tau}`), both at most :math:`e^{-\pi}`. Guard digits grow with
:math:`\log_{10}\tau`, so :math:`b/a` up to :math:`10^{30}` and beyond, :math:`k` in the thousands
and values like :math:`10^{-5000}` are accurate to ``dps`` significant digits (mpmath numbers do
not underflow; use :func:`log_zolotarev_number` before converting to floats).

Closed-form bounds, and what was found about the thesis's refined expression
----------------------------------------------------------------------------
Beckermann–Townsend's bound (2017, § 3), with :math:`\rho = \exp(\pi^2 / (2 \ln(4b/a)))`:

.. math:: Z_k \le 4 \rho^{-2k}.

It follows from the exact formula because :math:`q < 1/\rho` (the classical Grötzsch-modulus
inequality :math:`\mu(r) = \frac{\pi}{2}K(r')/K(r) < \ln(4/r)` at :math:`r = a/b`;
Anderson–Vamanamurthy–Vuorinen, *Conformal invariants, inequalities, and quasiconformal maps*,
1997) and the product is below 1. The thesis states the sharper
:math:`4\rho^{-2k}/(1 + \rho^{-4k})^2` (:func:`thesis_refined_bound`). Findings, checked by the
tests over :math:`b/a \in [1 + 10^{-8}, 10^{30}]`, :math:`k \le 200`, at up to 100 digits:

1. **It is not the exact** :math:`Z_k` **for any** :math:`\rho` **that depends on** :math:`b/a`
   **only.** With the true nome,
   :math:`Z_k = 4q^{2k}(1+q^{4k})^{-4}\prod_{m\ge1}((1+q^{8mk})/(1+q^{(8m+4)k}))^4`: the leading
   correction has exponent 4, not 2, and :math:`4q^{2k}/(1+q^{4k})^2` exceeds :math:`Z_k` by the
   relative amount :math:`\approx 2q^{4k}` (:math:`1.08\cdot10^{-4}` at :math:`k=1, b/a=2`, where
   :math:`q = 0.0858`). With the thesis's :math:`\rho` the excess is dominated by
   :math:`(q\rho)^{-2k}` instead (:math:`+18\%` at :math:`k=1, b/a=2`). Choosing :math:`\rho` so
   that the expression is exact at :math:`k = 1` makes it wrong at :math:`k = 2` (test
   ``test_refined_expression_is_not_exact_for_any_rho``).
2. **It is nevertheless a valid upper bound for every** :math:`k \ge 0` **and**
   :math:`0 < a < b` (equality only at :math:`k = 0`). Proof sketch, with
   :math:`f(t) = 4t/(1+t^2)^2`, :math:`s = q^{2k}`, :math:`t = \rho^{-2k} > s`: (i)
   :math:`Z_k \le f(s)`, because :math:`\ln(Z_k/f(s)) = -2\ln(1+s^2) + 4\sum_{m\ge1}[\ln(1+s^{4m})
   - \ln(1+s^{4m+2})] \le -2s^2 + s^4 + 4s^4/(1-s^4) < 0` for :math:`s^2 < 0.35`, while
   :math:`f \ge 1 > Z_k` on :math:`[0.30, 1]`; (ii) :math:`f` increases on :math:`(0, 1/\sqrt3]`
   and is :math:`\ge 1` on :math:`[1/\sqrt3, 1]`, so :math:`f(t) \ge \min(f(s), 1) \ge Z_k`. The
   same argument covers the thesis's substitution :math:`b/a \le 2\lambda_1/\lambda_n - 1` (a
   smaller :math:`\rho`). No counterexample exists; no erratum is needed for this inequality.
3. **The margin can be tiny.** :math:`\mathrm{refined}/Z_k - 1 \approx 2k\ln(1/(q\rho)) + 4q^{4k}
   - 2\rho^{-4k}` with :math:`1 - q\rho = O((a/b)^2)`: for :math:`k = 200`,
   :math:`b/a \approx 5.6\cdot10^{18}` it is :math:`1.5\cdot10^{-38}` (and :math:`4\cdot10^{-21}`
   at :math:`k = 60`, :math:`b/a = 10^{10}`). Deciding the inequality there needs more than 40
   digits; float64 cannot, and a checker must answer *undecided* below that noise floor.
   :math:`4\rho^{-2k}` itself becomes sharp when :math:`k` and :math:`b/a` grow together.

General intervals
-----------------
:math:`Z_k` is invariant under Möbius maps, and four real points are Möbius-equivalent to
:math:`(-b,-a,a,b)` exactly when their cross-ratios agree. For :math:`E = [e_1, e_2]` left of
:math:`F = [f_1, f_2]`, :math:`c = (f_1-e_2)(f_2-e_1)/((f_1-e_1)(f_2-e_2))` and
:math:`1 - c = (e_2-e_1)(f_2-f_1)/((f_1-e_1)(f_2-e_2))`; the symmetric configuration with the
same :math:`c = 4ab/(a+b)^2` has :math:`a/b = (1-\sqrt{1-c})/(1+\sqrt{1-c})`
(:func:`zolotarev_number_intervals`).
"""
from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import NamedTuple

import mpmath
import numpy as np

from .._validate import as_int
from ..errors import InvalidArgument

__all__ = [
    "zolotarev_number",
    "log_zolotarev_number",
    "zolotarev_nome",
    "zolotarev_rho",
    "zolotarev_bound",
    "thesis_refined_bound",
    "zolotarev_number_intervals",
    "zolotarev_shifts",
    "extremal_ratio_on_grid",
    "GridCheck",
]

_MIN_DPS, _MAX_DPS = 15, 10_000
_GUARD = 20


# ----------------------------------------------------------------------------- validation

def _check_k(k, owner: str, minimum: int = 0) -> int:
    if isinstance(k, bool):
        raise InvalidArgument("k", owner, f"be an integer ≥ {minimum}", k)
    return as_int(k, "k", owner, minimum=minimum)


def _check_dps(dps, owner: str) -> int:
    if isinstance(dps, bool) or not isinstance(dps, numbers.Integral):
        raise InvalidArgument("dps", owner, f"be an integer in [{_MIN_DPS}, {_MAX_DPS}]", dps)
    if not _MIN_DPS <= int(dps) <= _MAX_DPS:
        raise InvalidArgument("dps", owner, f"be an integer in [{_MIN_DPS}, {_MAX_DPS}]", dps)
    return int(dps)


def _as_mpf(x, argument: str, owner: str, rule: str):
    """``x`` as an mpf at the current precision (floats and ints exactly), or a named error."""
    if isinstance(x, bool):
        raise InvalidArgument(argument, owner, rule, x)
    if isinstance(x, mpmath.mpf):
        value = +x
    elif isinstance(x, numbers.Integral):
        value = mpmath.mpf(int(x))
    elif isinstance(x, Fraction):
        value = mpmath.mpf(x.numerator) / x.denominator
    elif isinstance(x, numbers.Real):
        value = mpmath.mpf(float(x))
    else:
        raise InvalidArgument(argument, owner, rule, x)
    if not mpmath.isfinite(value):
        raise InvalidArgument(argument, owner, rule, x)
    return value


def _check_ab(a, b, owner: str):
    """Validated ``(a, b)`` as mpf at the current precision, with ``0 < a < b``."""
    rule_a = "be a finite real number > 0"
    a_ = _as_mpf(a, "a", owner, rule_a)
    if not a_ > 0:
        raise InvalidArgument("a", owner, rule_a, a)
    rule_b = f"be a finite real number > a = {a!r}"
    b_ = _as_mpf(b, "b", owner, rule_b)
    if not b_ > a_:
        raise InvalidArgument("b", owner, rule_b, b)
    return a_, b_


def _check_interval(iv, argument: str, owner: str):
    rule = "be a pair (lo, hi) of finite real numbers with lo < hi"
    try:
        lo, hi = iv
    except (TypeError, ValueError):
        raise InvalidArgument(argument, owner, rule, iv) from None
    lo_ = _as_mpf(lo, argument, owner, rule)
    hi_ = _as_mpf(hi, argument, owner, rule)
    if not lo_ < hi_:
        raise InvalidArgument(argument, owner, rule, iv)
    return lo_, hi_


# ----------------------------------------------------------------------------- core formulas

def _moduli_symmetric(a, b):
    r""":math:`(\kappa', \kappa) = (a/b, \sqrt{1 - a^2/b^2})` at the current precision."""
    return a / b, mpmath.sqrt((b - a) * (b + a)) / b


def _kprime_over_k(a, b):
    r""":math:`K(\kappa')/K(\kappa)` with :math:`\kappa' = a/b`, at the current precision."""
    return _ratio_from_moduli(*_moduli_symmetric(a, b))


def _ratio_from_moduli(kappa_p, kappa):
    # K(k) = pi / (2 agm(1, k')), so K(kappa')/K(kappa) = agm(1, kappa')/agm(1, kappa).
    return mpmath.agm(1, kappa_p) / mpmath.agm(1, kappa)


def _log_modulus(tau):
    r"""Natural log of the elliptic modulus :math:`\vartheta_2^2/\vartheta_3^2` at nome
    :math:`e^{-\pi\tau}`, :math:`\tau > 0`, at the current precision."""
    eps = mpmath.mpf(2) ** (-mpmath.mp.prec - 8)
    if tau >= 1:
        nome = mpmath.exp(-mpmath.pi * tau)
        return 2 * (mpmath.log(mpmath.jtheta(2, 0, nome)) - mpmath.log(mpmath.jtheta(3, 0, nome)))
    # Jacobi's imaginary transformation: modulus(tau) = complementary modulus(1/tau)
    # = theta4^2/theta3^2 at nome exp(-pi/tau) <= exp(-pi). Summed with log1p so that values of
    # Z within 10^-dps of 1 keep their logarithm accurate.
    log_nome = -mpmath.pi / tau
    u3 = u4 = mpmath.mpf(0)
    m = 1
    while True:
        term = 2 * mpmath.exp(log_nome * m * m)
        u3 += term
        u4 += -term if m % 2 else term
        if term < eps:
            break
        m += 1
    return 2 * (mpmath.log1p(u4) - mpmath.log1p(u3))


def _log_z(k: int, moduli, dps: int):
    """log Z_k rounded to ``dps`` digits; ``moduli()`` returns (kappa', kappa) at the current
    precision (it re-reads the caller's arguments, so that guard digits reach the inputs)."""
    with mpmath.workdps(dps + _GUARD):
        ratio = _ratio_from_moduli(*moduli())
        extra = max(0, int(mpmath.ceil(mpmath.log10(4 * k * ratio + 1))))
    with mpmath.workdps(dps + _GUARD + extra):
        value = _log_modulus(4 * k * _ratio_from_moduli(*moduli()))
    with mpmath.workdps(dps):
        return +value


def _log_z_symmetric(k: int, a, b, dps: int, owner: str):
    """log Z_k([-b,-a],[a,b]) rounded to ``dps`` digits."""
    return _log_z(k, lambda: _moduli_symmetric(*_check_ab(a, b, owner)), dps)


# ----------------------------------------------------------------------------- public API

def log_zolotarev_number(k, a, b, *, dps: int = 50):
    r"""Natural logarithm of the Zolotarev number :math:`Z_k([-b,-a],[a,b])`.

    Parameters
    ----------
    k : int
        Type :math:`(k, k)` of the rational functions, :math:`k \ge 0`.
    a, b : float, int, Fraction or mpmath.mpf
        Ends of the intervals, :math:`0 < a < b < \infty`.
    dps : int, optional
        Significant decimal digits of the logarithm (error about
        :math:`10^{-\mathrm{dps}}\max(1, |\ln Z_k|)`), in [15, 10000].

    Returns
    -------
    mpmath.mpf
        :math:`\ln Z_k \le 0`; it stays representable where :math:`Z_k` underflows a float.

    Notes
    -----
    .. math:: \ln Z_k = 2\ln\vartheta_2(0, q^{4k}) - 2\ln\vartheta_3(0, q^{4k}),\quad
              q = e^{-\pi K(a/b)/K(\sqrt{1-a^2/b^2})}

    See the module docstring for the derivation and sources (Zolotarev 1877; Akhiezer 1990;
    Beckermann–Townsend 2017, § 3).

    Examples
    --------
    >>> import mpmath
    >>> from hyperribbon.theory.linear_models.zolotarev import log_zolotarev_number
    >>> from hyperribbon.theory.linear_models.zolotarev import zolotarev_number
    >>> lz = log_zolotarev_number(200, 1, 1.5)        # Z_200 = 9.0397e-519: no float holds it
    >>> float(zolotarev_number(200, 1, 1.5))
    0.0
    >>> round(float(lz), 6)
    -1192.840038
    >>> bool(mpmath.almosteq(mpmath.exp(lz), zolotarev_number(200, 1, 1.5), rel_eps=1e-14))
    True
    """
    owner = "log_zolotarev_number"
    k = _check_k(k, owner)
    dps = _check_dps(dps, owner)
    with mpmath.workdps(dps + _GUARD):
        _check_ab(a, b, owner)
    if k == 0:
        with mpmath.workdps(dps):
            return mpmath.mpf(0)
    return _log_z_symmetric(k, a, b, dps, owner)


def zolotarev_number(k, a, b, *, dps: int = 50):
    r"""The exact Zolotarev number :math:`Z_k([-b,-a],[a,b])`.

    Parameters
    ----------
    k : int
        Type :math:`(k, k)` of the rational functions, :math:`k \ge 0` (:math:`Z_0 = 1`).
    a, b : float, int, Fraction or mpmath.mpf
        Ends of the intervals, :math:`0 < a < b < \infty`. Only :math:`b/a` matters.
    dps : int, optional
        Significant decimal digits of the result, in [15, 10000].

    Returns
    -------
    mpmath.mpf
        :math:`Z_k \in (0, 1]`, decreasing in :math:`k`, increasing in :math:`b/a`.

    Notes
    -----
    .. math:: Z_k = \frac{\vartheta_2^2(0, q^{4k})}{\vartheta_3^2(0, q^{4k})}
              = 4 q^{2k} \prod_{m\ge1}\Big(\frac{1+q^{8mk}}{1+q^{4(2m-1)k}}\Big)^4,
              \quad q = e^{-\pi K(\kappa')/K(\kappa)},\ \kappa' = a/b

    Sources: Akhiezer, *Elements of the theory of elliptic functions* (1990), Zolotarev's
    problems; Beckermann and Townsend, SIAM J. Matrix Anal. Appl. 38 (2017), § 3.
    Thesis Lemma 5.2.1 uses
    :math:`\sigma_{1+2k}(P) \le Z_k\,\sigma_1(P)`.

    Examples
    --------
    >>> import mpmath
    >>> from hyperribbon.theory.linear_models.zolotarev import zolotarev_number
    >>> z1 = zolotarev_number(1, 1, 4)                # ((sqrt 4 - 1)/(sqrt 4 + 1))^2 = 1/9
    >>> with mpmath.workdps(50):
    ...     print(abs(9 * z1 - 1) < mpmath.mpf(10) ** -45)
    True
    >>> zolotarev_number(3, 1, 4) < zolotarev_number(2, 1, 4) < z1
    True
    """
    owner = "zolotarev_number"
    k = _check_k(k, owner)
    dps = _check_dps(dps, owner)
    with mpmath.workdps(dps + _GUARD):
        _check_ab(a, b, owner)
    if k == 0:
        with mpmath.workdps(dps):
            return mpmath.mpf(1)
    log_z = _log_z_symmetric(k, a, b, dps + 5, owner)
    with mpmath.workdps(dps + 5):
        value = mpmath.exp(log_z)
    with mpmath.workdps(dps):
        return +value


def zolotarev_nome(a, b, *, dps: int = 50):
    r"""The nome :math:`q = \exp(-\pi K(\kappa')/K(\kappa))`, :math:`\kappa' = a/b`.

    :math:`Z_k([-b,-a],[a,b])` is the elliptic modulus of nome :math:`q^{4k}`, and
    :math:`q < 1/\rho` with :math:`\rho` of :func:`zolotarev_rho`, so that
    :math:`4\rho^{-2k}` is an upper bound of :math:`Z_k \approx 4q^{2k}`.

    Parameters
    ----------
    a, b : float, int, Fraction or mpmath.mpf
        :math:`0 < a < b < \infty`.
    dps : int, optional
        Significant decimal digits, in [15, 10000].

    Returns
    -------
    mpmath.mpf
        :math:`q \in (0, 1)`.

    Notes
    -----
    .. math:: q = \exp\!\Big(-\pi\,
              \frac{\mathrm{agm}(1, a/b)}{\mathrm{agm}(1, \sqrt{1-a^2/b^2})}\Big)

    Examples
    --------
    >>> from hyperribbon.theory.linear_models.zolotarev import zolotarev_nome, zolotarev_rho
    >>> q = zolotarev_nome(1, 10)
    >>> bool(q * zolotarev_rho(1, 10) < 1)
    True
    """
    owner = "zolotarev_nome"
    dps = _check_dps(dps, owner)
    return _rounded(dps, lambda: mpmath.exp(-mpmath.pi * _kprime_over_k(*_check_ab(a, b, owner))))


def zolotarev_rho(a, b, *, dps: int = 50):
    r"""Beckermann–Townsend's :math:`\rho = \exp(\pi^2 / (2\ln(4b/a)))`.

    Parameters
    ----------
    a, b : float, int, Fraction or mpmath.mpf
        :math:`0 < a < b < \infty`.
    dps : int, optional
        Significant decimal digits, in [15, 10000].

    Returns
    -------
    mpmath.mpf
        :math:`\rho > 1`.

    Notes
    -----
    .. math:: \rho = \exp\!\Big(\frac{\pi^2}{2\ln(4b/a)}\Big)

    Beckermann and Townsend, SIAM J. Matrix Anal. Appl. 38 (2017), § 3. The thesis writes
    :math:`\ln(8\lambda_1/\lambda_n - 4)`, i.e. :math:`b/a = 2\lambda_1/\lambda_n - 1`.

    Examples
    --------
    >>> import mpmath
    >>> from hyperribbon.theory.linear_models.zolotarev import zolotarev_rho
    >>> rho = zolotarev_rho(2, 8)                     # ln(4 b/a) = ln 16
    >>> with mpmath.workdps(50):
    ...     print(abs(rho - mpmath.exp(mpmath.pi ** 2 / (8 * mpmath.log(2)))) < 1e-45)
    True
    """
    owner = "zolotarev_rho"
    dps = _check_dps(dps, owner)
    return _rounded(dps, lambda: mpmath.exp(_log_rho(a, b, owner)))


def _log_rho(a, b, owner: str):
    a_, b_ = _check_ab(a, b, owner)
    return mpmath.pi ** 2 / (2 * mpmath.log(4 * b_ / a_))


def _rounded(dps: int, compute):
    """``compute()`` evaluated with :data:`_GUARD` extra digits, rounded to ``dps`` digits
    (the inputs are read inside ``compute``, so the guard digits reach them too)."""
    with mpmath.workdps(dps + _GUARD):
        value = compute()
    with mpmath.workdps(dps):
        return +value


def zolotarev_bound(k, a, b, *, dps: int = 50):
    r"""Beckermann–Townsend's closed-form bound :math:`Z_k([-b,-a],[a,b]) \le 4\rho^{-2k}`.

    Parameters
    ----------
    k : int
        :math:`k \ge 0`.
    a, b : float, int, Fraction or mpmath.mpf
        :math:`0 < a < b < \infty`.
    dps : int, optional
        Significant decimal digits, in [15, 10000].

    Returns
    -------
    mpmath.mpf
        :math:`4\rho^{-2k} = 4\exp(-k\pi^2/\ln(4b/a))` (it exceeds 1 for small :math:`k`).

    Notes
    -----
    .. math:: Z_k \le 4\rho^{-2k}, \qquad \rho = \exp(\pi^2/(2\ln(4b/a)))

    Beckermann and Townsend, SIAM J. Matrix Anal. Appl. 38 (2017), § 3.

    Examples
    --------
    >>> from hyperribbon.theory.linear_models.zolotarev import zolotarev_bound, zolotarev_number
    >>> bool(zolotarev_number(10, 1, 1e6) <= zolotarev_bound(10, 1, 1e6))
    True
    """
    owner = "zolotarev_bound"
    k = _check_k(k, owner)
    dps = _check_dps(dps, owner)
    return _rounded(dps, lambda: 4 * mpmath.exp(-2 * k * _log_rho(a, b, owner)))


def thesis_refined_bound(k, a, b, *, dps: int = 50):
    r"""The thesis's refined expression :math:`4\rho^{-2k}/(1+\rho^{-4k})^2` (Lemma 5.2.1).

    It is a valid upper bound of :math:`Z_k([-b,-a],[a,b])` for all :math:`k \ge 0`,
    :math:`0 < a < b` (equality only at :math:`k = 0`), but not the exact value for any choice of
    :math:`\rho`; the relative margin can be as small as :math:`10^{-38}` (module docstring).

    Parameters
    ----------
    k : int
        :math:`k \ge 0`.
    a, b : float, int, Fraction or mpmath.mpf
        :math:`0 < a < b < \infty`.
    dps : int, optional
        Significant decimal digits, in [15, 10000].

    Returns
    -------
    mpmath.mpf
        :math:`4\rho^{-2k}/(1+\rho^{-4k})^2`.

    Notes
    -----
    .. math:: \frac{\lambda_{1+2k}}{\lambda_1} \le \frac{4\rho^{-2k}}{(1+\rho^{-4k})^2}
              < 4\rho^{-2k}

    Examples
    --------
    >>> from hyperribbon.theory.linear_models.zolotarev import thesis_refined_bound, zolotarev_number
    >>> z, r = zolotarev_number(1, 1, 2), thesis_refined_bound(1, 1, 2)
    >>> bool(z < r) and bool(r / z - 1 > 0.1)
    True
    """
    owner = "thesis_refined_bound"
    k = _check_k(k, owner)
    dps = _check_dps(dps, owner)
    def refined():
        t = mpmath.exp(-2 * k * _log_rho(a, b, owner))
        return 4 * t / (1 + t * t) ** 2
    return _rounded(dps, refined)


def zolotarev_number_intervals(k, E, F, *, dps: int = 50):
    r"""The exact Zolotarev number :math:`Z_k(E, F)` of two disjoint real intervals.

    Parameters
    ----------
    k : int
        :math:`k \ge 0`.
    E, F : (2,) sequence of real numbers
        ``(lo, hi)`` with ``lo < hi``, finite, and the intervals disjoint (not touching).
        :math:`Z_k(E, F) = Z_k(F, E)`.
    dps : int, optional
        Significant decimal digits, in [15, 10000].

    Returns
    -------
    mpmath.mpf
        :math:`Z_k(E, F) \in (0, 1]`.

    Notes
    -----
    .. math:: Z_k(E, F) = Z_k([-1, -\alpha], [\alpha, 1]),\quad
              \alpha = \frac{1 - \sqrt{1-c}}{1 + \sqrt{1-c}},\quad
              c = \frac{(f_1-e_2)(f_2-e_1)}{(f_1-e_1)(f_2-e_2)}

    by Möbius invariance of Zolotarev numbers (the cross-ratio of
    :math:`(-b,-a,a,b)` is :math:`4ab/(a+b)^2`).

    Examples
    --------
    >>> import mpmath
    >>> from hyperribbon.theory.linear_models.zolotarev import zolotarev_number, zolotarev_number_intervals
    >>> z = zolotarev_number_intervals(3, (-5, -2), (2, 5))
    >>> bool(mpmath.almosteq(z, zolotarev_number(3, 2, 5), rel_eps=1e-45))
    True
    >>> z = zolotarev_number_intervals(3, (0, 1), (4, 10))    # 1 - c = (1*6)/(4*9) = 1/6
    >>> with mpmath.workdps(60):
    ...     w = 1 / mpmath.sqrt(6)
    ...     print(abs(z / zolotarev_number(3, 1 - w, 1 + w) - 1) < 1e-45)
    True
    """
    owner = "zolotarev_number_intervals"
    k = _check_k(k, owner)
    dps = _check_dps(dps, owner)
    with mpmath.workdps(dps + _GUARD):
        e1, e2 = _check_interval(E, "E", owner)
        f1, f2 = _check_interval(F, "F", owner)
        if f1 < e1:
            (e1, e2), (f1, f2) = (f1, f2), (e1, e2)
        if not e2 < f1:
            raise InvalidArgument("F", owner, f"be disjoint from E = {tuple(E)!r} (not touching)",
                                  F)
    if k == 0:
        with mpmath.workdps(dps):
            return mpmath.mpf(1)
    # Differences of the ends lose digits in proportion to the relative gaps: add guard digits.
    with mpmath.workdps(dps + _GUARD):
        span = max(abs(e1), abs(e2), abs(f1), abs(f2))
        gaps = min(e2 - e1, f2 - f1, f1 - e2)
        extra = max(0, int(mpmath.ceil(mpmath.log10(span / gaps))))

    def moduli():
        e1, e2 = _check_interval(E, "E", owner)
        f1, f2 = _check_interval(F, "F", owner)
        if f1 < e1:
            (e1, e2), (f1, f2) = (f1, f2), (e1, e2)
        den = (f1 - e1) * (f2 - e2)
        c = (f1 - e2) * (f2 - e1) / den
        w = mpmath.sqrt((e2 - e1) * (f2 - f1) / den)        # sqrt(1 - c), no cancellation
        # alpha = a/b = (1 - w)/(1 + w) = c/(1 + w)^2 and sqrt(1 - alpha^2) = 2 sqrt(w)/(1 + w),
        # both without cancellation (well-separated intervals have w -> 0, alpha -> 1).
        return c / (1 + w) ** 2, 2 * mpmath.sqrt(w) / (1 + w)

    log_z = _log_z(k, moduli, dps + 5 + extra)
    with mpmath.workdps(dps + 5):
        value = mpmath.exp(log_z)
    with mpmath.workdps(dps):
        return +value


def zolotarev_shifts(k, a, b, *, dps: int = 50):
    r"""Poles :math:`p_1 > \dots > p_k` in :math:`[a, b]` of the extremal rational function.

    :math:`r(z) = \prod_j (z + p_j)/(z - p_j)` attains
    :math:`\sup_{E}|r| / \inf_{F}|r| = Z_k([-b,-a],[a,b])` (zeros in :math:`E`, poles in
    :math:`F`); the :math:`p_j` are also the optimal ADI shifts for spectra in :math:`[a, b]`.

    Parameters
    ----------
    k : int
        :math:`k \ge 1`.
    a, b : float, int, Fraction or mpmath.mpf
        :math:`0 < a < b < \infty`.
    dps : int, optional
        Significant decimal digits, in [15, 10000].

    Returns
    -------
    list of mpmath.mpf
        The ``k`` shifts, decreasing; :math:`p_j p_{k+1-j} = ab`.

    Notes
    -----
    .. math:: p_j = b\,\mathrm{dn}\Big(\frac{(2j-1)K(\kappa)}{2k}, \kappa\Big),\quad
              \kappa = \sqrt{1 - a^2/b^2}

    Wachspress, *The ADI model problem* (2013); Akhiezer (1990), Zolotarev's problems.

    Examples
    --------
    >>> import mpmath
    >>> from hyperribbon.theory.linear_models.zolotarev import zolotarev_shifts
    >>> p = zolotarev_shifts(4, 1, 9)                 # symmetric about the geometric mean 3
    >>> with mpmath.workdps(50):
    ...     print(abs(p[0] * p[3] - 9) < 1e-45, abs(p[1] * p[2] - 9) < 1e-45)
    True True
    """
    owner = "zolotarev_shifts"
    k = _check_k(k, owner, minimum=1)
    dps = _check_dps(dps, owner)
    with mpmath.workdps(dps + _GUARD):
        a_, b_ = _check_ab(a, b, owner)
        # m = 1 - (a/b)^2 must keep (a/b)^2 visible: add digits for tiny a/b.
        extra = max(0, int(mpmath.ceil(-2 * mpmath.log10(a_ / b_))))
    with mpmath.workdps(dps + _GUARD + extra):
        a_, b_ = _check_ab(a, b, owner)
        m = (b_ - a_) * (b_ + a_) / b_ ** 2
        quarter = mpmath.ellipk(m)
        shifts = [b_ * mpmath.ellipfun("dn", (2 * j - 1) * quarter / (2 * k), m=m)
                  for j in range(1, k + 1)]
    with mpmath.workdps(dps):
        return [+p for p in shifts]


class GridCheck(NamedTuple):
    """Result of :func:`extremal_ratio_on_grid` (natural logarithms; floats)."""

    log_ratio: float
    """:math:`\\ln(\\sup_E |r| / \\inf_F |r|)`, to compare with :func:`log_zolotarev_number`."""
    log_sup_E: float
    log_inf_F: float
    local_max_E: np.ndarray
    """:math:`\\ln|r|` at the local maxima of :math:`|r|` on :math:`E` (ends included)."""
    local_min_F: np.ndarray
    """:math:`\\ln|r|` at the local minima of :math:`|r|` on :math:`F` (ends included)."""


def _refined_maxima(f, y: np.ndarray) -> np.ndarray:
    """Values of the local maxima of ``f`` (vectorised) on ``[y[0], y[-1]]``, ends included.

    Grid maxima are refined by bounded Brent search between the neighbouring grid points
    (scipy is imported lazily: only this slow reference needs it).
    """
    from scipy.optimize import minimize_scalar

    values = f(y)
    padded = np.concatenate(([-np.inf], values, [-np.inf]))
    peaks = np.flatnonzero((values >= padded[:-2]) & (values >= padded[2:]))
    out = []
    for i in peaks:
        lo, hi = y[max(i - 1, 0)], y[min(i + 1, len(y) - 1)]
        res = minimize_scalar(lambda t: -float(f(np.array([t]))[0]), bounds=(lo, hi),
                              method="bounded", options={"xatol": 1e-15 * max(1.0, abs(lo))})
        out.append(max(values[i], -res.fun))
    return np.array(out)


def extremal_ratio_on_grid(k, a, b, *, points: int = 4001) -> GridCheck:
    r"""Slow, independent check: evaluate the extremal rational function on grids of E and F.

    Builds :math:`r(z) = \prod_j (z + p_j)/(z - p_j)` from :func:`zolotarev_shifts`, evaluates
    :math:`\ln|r|` on a geometric grid of :math:`E = [-b,-a]` and of :math:`F = [a, b]` (float64),
    refines every local extremum with Brent's method, and returns
    :math:`\ln(\sup_E|r| / \inf_F|r|)`. Any rational function gives an upper bound of
    :math:`Z_k`; equality with :func:`zolotarev_number` together with :math:`k+1` equal local
    maxima on :math:`E` (equioscillation) confirms the closed form independently.

    Parameters
    ----------
    k : int
        :math:`k \ge 1`.
    a, b : float
        :math:`0 < a < b < \infty`.
    points : int, optional
        Grid points per interval, at least ``16 * k + 1``.

    Returns
    -------
    GridCheck
        Logarithms of the ratio, of :math:`\sup_E |r|` and :math:`\inf_F |r|`, and the values at
        the local extrema.

    Notes
    -----
    .. math:: \frac{\sup_{E}|r|}{\inf_{F}|r|} = Z_k \quad\text{for the extremal } r

    Examples
    --------
    >>> import math
    >>> from hyperribbon.theory.linear_models.zolotarev import extremal_ratio_on_grid, log_zolotarev_number
    >>> check = extremal_ratio_on_grid(3, 1.0, 100.0)
    >>> abs(check.log_ratio - float(log_zolotarev_number(3, 1, 100))) < 1e-10
    True
    >>> len(check.local_max_E)                        # k + 1 = 4 equal maxima
    4
    """
    owner = "extremal_ratio_on_grid"
    k = _check_k(k, owner, minimum=1)
    points = as_int(points, "points", owner, minimum=16 * k + 1)
    with mpmath.workdps(30):
        a_, b_ = _check_ab(a, b, owner)
    shifts = np.array([float(p) for p in zolotarev_shifts(k, a, b, dps=20)])
    lo, hi = math.log(float(a_)), math.log(float(b_))
    y = np.linspace(lo, hi, points)

    def log_abs_r(z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)[:, None]
        with np.errstate(divide="ignore"):
            return np.sum(np.log(np.abs(z + shifts)) - np.log(np.abs(z - shifts)), axis=1)

    def on_E(t):
        return log_abs_r(-np.exp(t))

    def on_F(t):
        return -log_abs_r(np.exp(t))

    max_E = _refined_maxima(on_E, y)
    min_F = -_refined_maxima(on_F, y)
    log_sup_E, log_inf_F = float(np.max(max_E)), float(np.min(min_F))
    return GridCheck(log_sup_E - log_inf_F, log_sup_E, log_inf_F, max_E, min_F)
