r"""Eigenvalues of the target Gramian (and of graded Gram matrices) to high *relative* accuracy.

Gradient descent on linear regression (thesis Chapter 5) moves the residual by
:math:`r_{t+1} = (I - \alpha K) r_t`. In the eigenbasis of :math:`K` (eigenvalues
:math:`\lambda_i`), with :math:`s_i = \alpha\lambda_i \in (0, 2)`, :math:`a_i = 1 - s_i` and target coordinates
:math:`\hat y = U^\top y`, the *target Gramian* is

.. math::

    G(T) = \sum_{t=0}^{T-1} A^t \hat y \hat y^\top A^t, \qquad
    G_{ij} = \hat y_i \hat y_j \frac{1 - (a_i a_j)^T}{1 - a_i a_j}, \qquad
    A = \operatorname{diag}(a),

and :math:`G(\infty)` solves :math:`A G A - G + \hat y\hat y^\top = 0`. Its eigenvalues are those of
:math:`T P_1^y(T)` (thesis eq. (5.2.5), summed normalisation). For sloppy spectra they fall to
:math:`10^{-25}` of the largest at :math:`T = \infty` and, for finite :math:`T`, decay roughly like
:math:`e^{-c k^2/2}`, past the float64 exponent range for :math:`n \gtrsim 60`: far below the
:math:`\sim 10^{-16}\lambda_{\max}` noise of a dense eigensolver.

Method (Demmel 1999; Demmel et al. 1999):

* :math:`T = \infty`: :math:`C_{ij} = 1/(1 - a_i a_j)` is a Pick matrix; after eliminating pivot
  :math:`k` its Schur complement is
  :math:`C'_{ij} = C_{ij}\,\frac{(a_i - a_k)(a_j - a_k)}{(1 - a_i a_k)(1 - a_j a_k)}`, so symmetric
  elimination with diagonal pivoting computes :math:`G = P L D L^\top P^\top` with every entry
  accurate (:math:`a_i - a_k = s_k - s_i`, :math:`1 - a_i a_k` without cancellation), then a
  one-sided Jacobi SVD of the column-graded factor :math:`P L D^{1/2}`. Cost :math:`O(n^3)`.
* finite :math:`T`: :math:`G = M M^\top`, :math:`M = \operatorname{diag}(\hat y) V`,
  :math:`V_{it} = a_i^t`. With the unitary DFT :math:`F_{tj} = \omega^{tj}/\sqrt T`,
  :math:`\omega = e^{2\pi i/T}`,

  .. math::

      V F = \tfrac{1}{\sqrt T}\operatorname{diag}(1 - a_i^T)\, C\, \operatorname{diag}(\omega^{-j}),
      \qquad C_{ij} = \frac{1}{\omega^{-j} - a_i},

  a complex Cauchy matrix whose Schur complements have the closed form
  :math:`C'_{ij} = C_{ij}\frac{(x_i - x_k)(y_j - y_l)}{(x_i + y_l)(x_k + y_j)}`
  (:math:`x_i = -a_i`, :math:`y_j = \omega^{-j}`; :math:`\omega^{-j} - \omega^{-l}` from sines of
  angles, :math:`\omega^{-j} - a_i = (s_i - 2\sin^2(\theta_j/2)) - i\sin\theta_j`). Gaussian
  elimination with complete pivoting (rook pivoting when :math:`nT > 2^{20}`) gives an accurate
  rank-revealing :math:`X D Y^H`; then Algorithm 3.1 of Demmel et al. (QR of the factors, one-sided
  Jacobi on a column-graded triangular matrix). Cost :math:`O(n T \min(n, T))` with complete
  pivoting, :math:`O((n + T)\min(n, T)^2)` with rook pivoting; memory :math:`O(T\min(n, T))`.
  (No method with better asymptotics keeps relative accuracy that we know of: the finite-T Pick
  matrix has displacement rank 2, whose Schur complements are not products of accurate factors,
  and the DFT trick needs exactly ``T`` nodes.)

Every intermediate keeps its binary exponent apart (generators as mantissa and integer exponent,
factors with unit-scale columns and integer column exponents, and a one-sided Jacobi written in
scaled variables when the column scales span more than 600 bits), so eigenvalues far below the
float64 range are still computed to high relative accuracy; they are returned exactly as
``mantissa * 2**exponent`` and, in ``values``, rounded to float64 (where they underflow).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from types import MappingProxyType

import mpmath
import numpy as np

from hyperribbon.theory._validate import as_real_matrix, as_real_vector
from hyperribbon.theory.errors import InvalidArgument

from . import _jacobi as _J

__all__ = ["AccurateSpectrum", "gramian_eigvalsh", "graded_gram_eigvalsh",
           "mp_gramian_eigvalsh", "mp_eigvalsh"]

EPS = _J.EPS
#: largest ``T * min(n, T)`` for the finite-T path (a complex (T, min(n, T)) factor is stored:
#: 2**23 entries = 128 MiB) and largest ``T`` (about ten float arrays of length T).
MAX_DFT_ENTRIES = 2 ** 23
MAX_T = 2 ** 22
#: above this ``n * T`` the Cauchy elimination uses rook instead of complete pivoting.
COMPLETE_PIVOTING_MAX_ENTRIES = 2 ** 20


@dataclass(frozen=True, eq=False)
class AccurateSpectrum:
    """Eigenvalues computed to high relative accuracy, with an error estimate.

    Array-like: ``np.asarray(spec)`` is ``spec.values``; ``len``, indexing and iteration follow
    ``values``. Immutable (the arrays are read-only); compared by identity.

    Attributes
    ----------
    values : (n,) ndarray of float64
        Eigenvalues in descending order, rounded to float64. Exact zeros (beyond the rank, from
        zero weights or merged repeated nodes) are ``0.0``. Eigenvalues below the float64 range
        underflow here (to subnormals or ``0.0``); ``mantissa`` and ``exponent`` keep them.
    rel_error_bound : float
        A conservative estimate ``η`` with ``|λ̂_i - λ_i| <= η λ_i`` for every eigenvalue, where
        ``λ̂_i = mantissa_i * 2**exponent_i`` (equivalently ``values[i]`` wherever that is a normal
        float64). Structural zeros are exact. Built as ``c(n) ε κ`` from the measured condition
        numbers of the column-normalised factors (see the producing function); ``inf`` when no
        relative accuracy can be promised.
    method : str
        What computed the values.
    rank : int
        Number of eigenvalues that are not structurally zero.
    mantissa : (n,) ndarray of float64
        In [0.5, 1) (or 0 for exact zeros).
    exponent : (n,) ndarray of int64
        ``λ̂_i = mantissa_i * 2**exponent_i`` exactly, at any exponent.
    details : mapping
        Condition numbers and the Jacobi variant that entered ``rel_error_bound`` (read-only).
    """

    values: np.ndarray
    rel_error_bound: float
    method: str
    rank: int
    mantissa: np.ndarray
    exponent: np.ndarray
    details: MappingProxyType = field(default_factory=lambda: MappingProxyType({}),
                                      compare=False)

    @property
    def log_values(self) -> np.ndarray:
        """Natural logarithms of the eigenvalues (``-inf`` for exact zeros), valid beyond the
        float64 range; absolute error ``rel_error_bound + |log λ| ε``."""
        with np.errstate(divide="ignore"):
            return np.log(self.mantissa) + self.exponent * math.log(2.0)

    @property
    def underflowed(self) -> np.ndarray:
        """(n,) bool: eigenvalues that are not structurally zero but below the normal float64 range,
        so that ``values`` misrepresents them (use ``mantissa``/``exponent`` or ``log_values``)."""
        return (self.mantissa != 0) & (np.abs(self.values) < np.finfo(np.float64).tiny)

    def __array__(self, dtype=None, copy=None):
        return np.array(self.values, dtype=dtype, copy=True)

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, item):
        return self.values[item]

    def __iter__(self):
        return iter(self.values)


# --------------------------------------------------------------------------------------------
# validation and cleaning
# --------------------------------------------------------------------------------------------
def _as_horizon(T, owner: str):
    rule = "be a positive integer or numpy.inf"
    if isinstance(T, bool) or not isinstance(T, numbers.Real):
        raise InvalidArgument("T", owner, rule, T)
    if math.isinf(float(T)) and float(T) > 0:
        return math.inf
    if isinstance(T, numbers.Integral):
        T = int(T)
    elif math.isfinite(float(T)) and float(T).is_integer():
        T = int(float(T))
    else:
        raise InvalidArgument("T", owner, rule, T)
    if T < 1:
        raise InvalidArgument("T", owner, rule, T)
    return T


def _validate(s, yhat, T, owner: str):
    s = as_real_vector(s, "s", owner)
    if not np.all((s > 0.0) & (s < 2.0)):
        raise InvalidArgument("s", owner, "have every entry in (0, 2) (s_i = α λ_i; gradient "
                              "descent diverges for α λ_i >= 2)", s)
    y = as_real_vector(yhat, "yhat", owner, length=s.size)
    return s, y, _as_horizon(T, owner)


def _merge(s: np.ndarray, y: np.ndarray):
    """Drop zero weights; merge equal ``s`` into one node with weight ``sqrt(sum y^2)`` (an exact
    rotation within the eigenspace: the block is rank one). Returns sorted distinct ``s`` and
    positive weights."""
    keep = y != 0.0
    s, y = s[keep], np.abs(y[keep])
    order = np.argsort(s, kind="stable")
    s, y = s[order], y[order]
    if s.size == 0:
        return s, y
    uniq, start = np.unique(s, return_index=True)
    stop = np.append(start[1:], s.size)
    w = np.array([y[a] if b - a == 1 else math.hypot(*y[a:b]) for a, b in zip(start, stop)])
    return uniq, w


def _assemble(n: int, mant: np.ndarray, expo: np.ndarray, bound: float, method: str,
              details: dict) -> AccurateSpectrum:
    """Eigenvalues λ = σ² from singular values ``mant * 2**expo`` (descending), zero-padded."""
    k = mant.size
    m2, e2 = np.frexp(mant * mant)
    mantissa = np.zeros(n)
    exponent = np.zeros(n, dtype=np.int64)
    mantissa[:k] = m2
    exponent[:k] = np.where(m2 != 0, e2.astype(np.int64) + 2 * np.asarray(expo, np.int64), 0)
    values = _to_float(mantissa, exponent)
    for arr in (values, mantissa, exponent):
        arr.setflags(write=False)
    return AccurateSpectrum(values, float(bound), method, int(np.count_nonzero(mantissa)),
                            mantissa, exponent, MappingProxyType(dict(details)))


def _to_float(mantissa: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    e = np.clip(exponent, -1200, 1100)
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(mantissa, e)


# --------------------------------------------------------------------------------------------
# the target Gramian
# --------------------------------------------------------------------------------------------
def gramian_eigvalsh(s, yhat, T, *, pivoting: str | None = None,
                     _force_scaled_jacobi: bool = False) -> AccurateSpectrum:
    r"""Eigenvalues of the target Gramian :math:`G(T)` to high relative accuracy.

    .. math::

        G_{ij}(T) = \hat y_i \hat y_j \,\frac{1 - (a_i a_j)^T}{1 - a_i a_j}, \qquad a_i = 1 - s_i,

    i.e. :math:`\sum_{t<T} A^t \hat y\hat y^\top A^t` (the eigenvalues of :math:`T P_1^y(T)`,
    thesis eq. (5.2.5)), and for ``T = inf`` the solution of
    :math:`AGA - G + \hat y\hat y^\top = 0`.

    Parameters
    ----------
    s : (n,) array_like
        Step fractions :math:`s_i = \alpha\lambda_i`, every entry in (0, 2).
    yhat : (n,) array_like
        Target coordinates :math:`\hat y = U^\top y` (any signs, zeros allowed).
    T : int or numpy.inf
        Number of steps, ``T >= 1``, or ``numpy.inf`` / ``math.inf``.
    pivoting : {None, "complete", "rook"}, optional
        Pivoting of the finite-T Cauchy elimination; ``None`` picks complete pivoting when
        ``n T <= 2**20`` and rook pivoting otherwise.

    Returns
    -------
    AccurateSpectrum
        ``values`` (n,) descending; ``np.asarray(result)`` is that array. Eigenvalues beyond the
        rank :math:`\min(n_{\text{distinct}}, T)` are exact ``0.0``.

    Raises
    ------
    InvalidArgument
        For ``s`` outside (0, 2), non-finite entries, mismatched lengths, ``T`` not a positive
        integer or ``inf``, or a finite ``T`` beyond the memory limits ``T <= 2**22`` and
        ``T min(n_distinct, T) <= 2**23``.

    Notes
    -----
    *Cleaning.* Zero weights contribute exact zero eigenvalues; equal ``s_i`` are merged exactly
    (rotating within the eigenspace leaves one node of weight :math:`\sqrt{\sum \hat y_i^2}`), which
    also keeps the Cauchy structure non-degenerate.

    *Accuracy.* Every difference is formed without cancellation for all ``s`` in (0, 2):
    :math:`a_i - a_k = s_k - s_i`; :math:`1 - a_i a_k = s_i + s_k a_i` (both ``s <= 1``),
    :math:`= \delta_i + \delta_k |a_i|` with :math:`\delta = 2 - s` (both ``s > 1``; ``2 - s`` and
    ``s - 1`` are exact there) or :math:`= 1 + |a_i a_k|` (mixed signs);
    :math:`1 - a_i^T = -\mathrm{expm1}(T\,\mathrm{log1p}(-s_i))` (and the analogue with
    ``log1p(-(2 - s))`` for ``s > 1``); :math:`\omega^{-j} - a_i` with real part
    :math:`s_i - 2\sin^2(\theta_j/2)` or :math:`2\cos^2(\theta_j/2) - (2 - s_i)`, whose cancellation
    is always dominated by the imaginary part. So the guarantee is the same on (1, 2) as on
    (0, 1]: no subtraction of computed quantities enters the factors, and ``s_i = 1``
    (:math:`a_i = 0`, the thesis's :math:`\alpha = 1/\lambda_1`) needs no special case.

    ``rel_error_bound`` is, with ``r`` the number of distinct nodes, ``k`` the rank, ``m`` the
    longer factor dimension and :math:`\kappa_X, \kappa_Y, \kappa_J` the 2-norm condition numbers of
    the column-normalised elimination factors and of the column-normalised Jacobi input,

    .. math::

        \eta_\sigma = \varepsilon\,[(12 r + 24)\sqrt{k}\,(\kappa_X + \kappa_Y)
                      + 8 m (\kappa_X + \kappa_Y) + 16 k \kappa_J],\qquad
        \eta = 2\eta_\sigma + \eta_\sigma^2 + 6\varepsilon

    (entrywise :math:`O(r\varepsilon)` accuracy of the elimination factors, the perturbation
    theory of rank-revealing decompositions, columnwise backward stability of Householder QR and
    the Demmel–Veselić bound for one-sided Jacobi). It is pessimistic by several orders of
    magnitude in practice (observed errors are ~1e-14).

    References
    ----------
    J. Demmel, "Accurate singular value decompositions of structured matrices", SIAM J. Matrix
    Anal. Appl. 21 (1999) 562–580. J. Demmel, M. Gu, S. Eisenstat, I. Slapničar, K. Veselić,
    Z. Drmač, "Computing the singular value decomposition with high relative accuracy", Linear
    Algebra Appl. 299 (1999) 21–80 (Algorithm 3.1). Z. Drmač, K. Veselić, "New fast and accurate
    Jacobi SVD algorithm I/II", SIAM J. Matrix Anal. Appl. 29 (2008).

    Examples
    --------
    A sloppy spectrum with the thesis step :math:`\alpha = 1/\lambda_1` (so :math:`s_1 = 1`):

    >>> import numpy as np
    >>> from hyperribbon.numerics.linear_models.accurate_eig import gramian_eigvalsh, mp_gramian_eigvalsh
    >>> lam = np.exp(-0.7 * np.arange(14))
    >>> s = lam / lam[0]
    >>> yhat = np.random.default_rng(0).normal(size=14) * np.sqrt(2 * lam)
    >>> spec = gramian_eigvalsh(s, yhat, 30)
    >>> bool(spec.values[-1] / spec.values[0] < 1e-45)        # far below float64 noise
    True
    >>> ref = mp_gramian_eigvalsh(s, yhat, 30, dps=120)
    >>> bool(all(abs(v / float(r) - 1) <= spec.rel_error_bound for v, r in zip(spec.values, ref)))
    True
    >>> bool(spec.rel_error_bound < 1e-10)
    True

    Finite ``T``: rank ``min(n, T)``, exact zeros beyond it.

    >>> spec = gramian_eigvalsh(s, yhat, 5)
    >>> spec.rank, bool(np.all(spec.values[5:] == 0.0))
    (5, True)
    """
    owner = "gramian_eigvalsh"
    s, y, T = _validate(s, yhat, T, owner)
    if pivoting not in (None, "complete", "rook"):
        raise InvalidArgument("pivoting", owner, "be None, 'complete' or 'rook'", pivoting)
    n = s.size
    s, w = _merge(s, y)
    r = s.size
    if r == 0:
        z = np.zeros(n)
        return _assemble(n, z[:0], np.zeros(0, np.int64), 0.0, "exact zero (yhat = 0)", {})
    if T != math.inf and (T * min(r, T) > MAX_DFT_ENTRIES or T > MAX_T):
        raise InvalidArgument("T", owner, f"satisfy T <= {MAX_T} and T·min(n_distinct, T) <= "
                              f"{MAX_DFT_ENTRIES} (memory of the finite-T factor; n_distinct = "
                              f"{r}); use T = inf if G(T) has converged", T)
    if T == 1 or r == 1:
        return _closed_form(n, s, w, T)
    if T == math.inf:
        mant, expo, info = _J.pick_singular_values(s, w, force_scaled=_force_scaled_jacobi)
        method = f"Pick elimination + {info['jacobi']} one-sided Jacobi (T = inf)"
        m_dim = r
        kappa_xy = info["kappa_x"]
    else:
        piv = pivoting or ("complete" if r * T <= COMPLETE_PIVOTING_MAX_ENTRIES else "rook")
        mant, expo, info = _J.dft_singular_values(s, w, T, pivoting=piv,
                                                  force_scaled=_force_scaled_jacobi)
        method = (f"DFT-Cauchy elimination ({piv} pivoting) + Algorithm 3.1 with "
                  f"{info['jacobi']} one-sided Jacobi (T = {T})")
        m_dim = max(r, T)
        kappa_xy = info["kappa_x"] + info["kappa_y"]
    k = mant.size
    eta_s = EPS * ((12 * r + 24) * math.sqrt(k) * kappa_xy + 8 * m_dim * kappa_xy
                   + 16 * k * info["kappa_j"])
    bound = _relative_bound(eta_s, 6 * EPS)
    return _assemble(n, mant, expo, bound, method, dict(info))


def _relative_bound(eta_s: float, extra: float) -> float:
    r""":math:`2\eta + \eta^2 + \text{extra}` (eigenvalues from singular values with relative error
    η), evaluated without raising: a huge η (an ill-conditioned factor) gives a huge or infinite
    bound, never an ``OverflowError``; NaN (a singular factor) gives ``inf``."""
    eta_s = float(eta_s)
    if not eta_s == eta_s:
        return math.inf
    with np.errstate(over="ignore"):
        return float(np.float64(2.0) * eta_s + np.float64(eta_s) * eta_s + extra)


def _closed_form(n: int, s: np.ndarray, w: np.ndarray, T) -> AccurateSpectrum:
    """Rank one: ``T = 1`` (``G = y y^T``, eigenvalue ``|y|^2``) or one distinct node
    (``w^2 (1 - a^{2T}) / (1 - a^2)``)."""
    if T == 1:
        wm, we = math.frexp(math.hypot(*w))
        q = 1.0
        method = "closed form |yhat|^2 (T = 1)"
    else:
        wm, we = math.frexp(float(w[0]))
        s0 = s[:1]
        num = 1.0 if T == math.inf else float(_J.one_minus_powers(s0, 2 * T)[0])
        q = num / float(s0[0] * (2.0 - s0[0]))
        method = "closed form (one distinct node)"
    sm, se = math.frexp(math.sqrt(q) * wm)
    return _assemble(n, np.array([sm]), np.array([se + we], dtype=np.int64), 8 * EPS, method,
                     {})


# --------------------------------------------------------------------------------------------
# graded Gram matrices F F^T
# --------------------------------------------------------------------------------------------
def graded_gram_eigvalsh(F) -> AccurateSpectrum:
    r"""Eigenvalues of :math:`F F^\top` (descending) for a factor with row-wise accurate rows.

    .. math::

        F F^\top = D_r B B^\top D_r, \qquad D_r = \operatorname{diag}(\|F_{i,:}\|),

    computed by one-sided Jacobi on :math:`F^\top` (column-graded: Demmel–Veselić), i.e. QR of the
    column-normalised :math:`F^\top`, then the Jacobi SVD of the graded triangular factor
    (LAPACK ``dgejsv``, or the scaled Jacobi of the structured module when the row norms span more
    than 600 bits). Intended for :math:`P_1 = P_1^{\sigma_w} + P_1^y` with
    :math:`F = [\operatorname{diag}(\sqrt d) \mid \operatorname{diag}(\hat y) V]`.

    Parameters
    ----------
    F : (n, m) array_like
        Real factor; each row known to high relative accuracy (normwise, per row).

    Returns
    -------
    AccurateSpectrum
        ``values`` (n,) descending. Zero rows give exact zero eigenvalues. ``rel_error_bound`` is
        :math:`2\eta_\sigma + \eta_\sigma^2 + 4\varepsilon` with
        :math:`\eta_\sigma = \varepsilon\,(8 m \kappa_B + 16 n \kappa_J)`, :math:`\kappa_B` the
        condition number of the row-normalised factor :math:`B` (over its nonzero rows) and
        :math:`\kappa_J` that of the Jacobi input. When ``m`` is smaller than the number of
        nonzero rows, :math:`BB^\top` is singular, row-wise relative perturbations can move the
        small eigenvalues by more than any multiple of ε (e.g. two parallel rows of norm 1 and a
        row of norm δ ≪ ε), and ``rel_error_bound`` is ``inf``.

    References
    ----------
    J. Demmel, K. Veselić, "Jacobi's method is more accurate than QR", SIAM J. Matrix Anal. Appl.
    13 (1992) 1204–1245. Z. Drmač, K. Veselić (2008), LAPACK ``dgejsv``.

    Examples
    --------
    Rows of wildly different scale; the small eigenvalue is far below ``eps * λ_max``:

    >>> import numpy as np
    >>> from hyperribbon.numerics.linear_models.accurate_eig import graded_gram_eigvalsh, mp_eigvalsh
    >>> B = np.array([[1.0, 0.3, 0.1], [0.2, 1.0, 0.4], [0.1, 0.5, 1.0]])
    >>> F = np.diag([1.0, 1e-9, 1e-18]) @ B
    >>> spec = graded_gram_eigvalsh(F)
    >>> bool(spec.rel_error_bound < 1e-12)
    True
    >>> import mpmath
    >>> with mpmath.workdps(80):                 # F F^T of the float64 F, formed exactly
    ...     Fm = mpmath.matrix(F.tolist())
    ...     ref = mp_eigvalsh(Fm * Fm.T, dps=80)
    >>> bool(spec.values[-1] / spec.values[0] < 1e-30)
    True
    >>> bool(all(abs(v / float(r) - 1) <= spec.rel_error_bound for v, r in zip(spec.values, ref)))
    True
    """
    owner = "graded_gram_eigvalsh"
    F = as_real_matrix(F, "F", owner)
    n, m = F.shape
    nz = np.any(F != 0.0, axis=1)
    Fz = F[nz]
    nr = Fz.shape[0]
    if nr == 0:
        return _assemble(n, np.zeros(0), np.zeros(0, np.int64), 0.0, "exact zero (F = 0)", {})
    _, rexp = _J.column_norm_exponents(Fz.T)             # row norms = 2^rexp * [0.5, 1)
    A = (Fz * np.ldexp(1.0, -rexp)[:, None]).T            # (m, nr), unit-scale columns
    if m >= nr:
        mant, expo, kj, jac = _J.graded_singular_values(A, rexp.astype(np.int64))
        kb = _J.column_normalised_cond(A)
        eta_s = EPS * (8 * m * kb + 16 * nr * kj)
        bound = _relative_bound(eta_s, 4 * EPS)
        method = f"one-sided Jacobi ({jac}) on the column-graded F^T"
        details = {"kappa_b": kb, "kappa_j": kj, "jacobi": jac}
    else:
        # rank <= m < nr: no relative-accuracy guarantee (see Notes); dgejsv with full pivoting.
        Fs = Fz * np.ldexp(1.0, -int(rexp.max()))
        sig, _ = _J.jacobi_singular_values(Fs, row_graded=True)
        mant, e = np.frexp(sig)
        expo = e.astype(np.int64) + int(rexp.max())
        bound = math.inf
        method = "dgejsv with row and column pivoting on F (m < n: no relative guarantee)"
        details = {"jacobi": "dgejsv"}
    return _assemble(n, mant, expo, bound, method, details)


# --------------------------------------------------------------------------------------------
# mpmath references
# --------------------------------------------------------------------------------------------
def _as_dps(dps, owner: str) -> int:
    if isinstance(dps, bool) or not isinstance(dps, numbers.Integral) or dps < 15:
        raise InvalidArgument("dps", owner, "be an integer >= 15", dps)
    return int(dps)


def mp_gramian_eigvalsh(s, yhat, T, dps: int = 50, *, form: str = "closed") -> list:
    r"""Slow reference: :math:`G(T)` formed in mpmath, eigenvalues by ``mpmath.eigsy``.

    .. math::

        G_{ij} = \hat y_i \hat y_j \frac{1 - (a_i a_j)^T}{1 - a_i a_j}
        \;\;(\texttt{form="closed"}) \quad\text{or}\quad
        \sum_{t<T} a_i^t a_j^t \hat y_i \hat y_j \;\;(\texttt{form="sum"}),

    with ``a_i = 1 - s_i`` exact in mpmath (the float64 inputs are exact binary numbers).
    The matrix is formed with enough extra digits that ``a_i = 1 - s_i`` is exact (tiny ``s_i``
    would otherwise round ``a_i`` to 1 and destroy ``1 - a_i a_j``), then rounded to ``dps`` digits
    for ``eigsy``. Dense eigensolvers have absolute error about ``n 10^{-dps} λ_max``: choose
    ``dps > log10(λ_max/λ_min) + 15``, and check by running at two precisions. Eigenvalues beyond
    the rank come out as ``O(10^{-dps} λ_max)`` noise, not zeros.

    Parameters
    ----------
    s, yhat : (n,) array_like
        As in :func:`gramian_eigvalsh`.
    T : int or numpy.inf
        ``form="sum"`` needs finite ``T``.
    dps : int
        Decimal digits, ``>= 15``.
    form : {"closed", "sum"}

    Returns
    -------
    list of mpmath.mpf
        The ``n`` eigenvalues, descending (values at precision ``dps``).

    Examples
    --------
    >>> from hyperribbon.numerics.linear_models.accurate_eig import mp_gramian_eigvalsh
    >>> a = mp_gramian_eigvalsh([0.5, 0.25], [1.0, -1.0], 3, dps=30)
    >>> b = mp_gramian_eigvalsh([0.5, 0.25], [1.0, -1.0], 3, dps=30, form="sum")
    >>> bool(max(abs(x - y) for x, y in zip(a, b)) < 1e-28)
    True
    """
    owner = "mp_gramian_eigvalsh"
    s, y, T = _validate(s, yhat, T, owner)
    dps = _as_dps(dps, owner)
    if form not in ("closed", "sum"):
        raise InvalidArgument("form", owner, "be 'closed' or 'sum'", form)
    if form == "sum" and T == math.inf:
        raise InvalidArgument("T", owner, "be finite for form='sum'", T)
    n = s.size
    lowest = int(np.frexp(s.min())[1]) - 53                # s_i are multiples of 2^lowest
    form_dps = dps + max(0, int(math.ceil(-lowest * math.log10(2)))) + 5
    with mpmath.workdps(form_dps):
        a = [1 - mpmath.mpf(float(x)) for x in s]
        yy = [mpmath.mpf(float(x)) for x in y]
        G = mpmath.matrix(n, n)
        for i in range(n):
            for j in range(i, n):
                p = a[i] * a[j]
                if form == "sum":
                    core = mpmath.fsum(p ** t for t in range(T))
                elif T == math.inf:
                    core = 1 / (1 - p)
                else:
                    core = (1 - p ** T) / (1 - p)
                G[i, j] = G[j, i] = yy[i] * yy[j] * core
    with mpmath.workdps(dps):
        return _mp_eigs(G * 1)


def mp_eigvalsh(A, dps: int = 50) -> list:
    """Slow reference: eigenvalues (descending) of a real symmetric matrix by ``mpmath.eigsy``.

    Parameters
    ----------
    A : (n, n) mpmath.matrix or nested sequence of numbers (mpf, float, int, str)
        Converted at precision ``dps``; must be symmetric (exactly, after conversion).
    dps : int
        Decimal digits, ``>= 15``.

    Returns
    -------
    list of mpmath.mpf
        Descending.

    Examples
    --------
    >>> from hyperribbon.numerics.linear_models.accurate_eig import mp_eigvalsh
    >>> [float(x) for x in mp_eigvalsh([[2, 1], [1, 2]], dps=20)]
    [3.0, 1.0]
    """
    owner = "mp_eigvalsh"
    dps = _as_dps(dps, owner)
    with mpmath.workdps(dps):
        try:
            M = mpmath.matrix(A)
        except (TypeError, ValueError):
            raise InvalidArgument("A", owner, "be a square matrix of real numbers", A) from None
        if M.rows != M.cols or M.rows == 0:
            raise InvalidArgument("A", owner, "be a non-empty square matrix", A)
        for i in range(M.rows):
            for j in range(M.cols):
                if not isinstance(M[i, j], mpmath.mpf):
                    raise InvalidArgument("A", owner, "have real entries", A)
                if j > i and M[i, j] != M[j, i]:
                    raise InvalidArgument("A", owner, "be symmetric", A)
        return _mp_eigs(M)


def _mp_eigs(M) -> list:
    ev = mpmath.eigsy(M, eigvals_only=True)
    return sorted((ev[i] for i in range(M.rows)), reverse=True)
