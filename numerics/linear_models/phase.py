r"""Phase diagrams of hyper-ribbon dimensionality (thesis Fig 5.3) from the closed forms.

The dimensionality of the hyper-ribbon is the number of principal components needed for a
fraction ``f`` (thesis: 95 %) of the variance of the training manifold,

.. math:: \dim_f(M) = \min\Big\{k \ge 1 : \sum_{i\le k}\lambda_i(M) \ge f \sum_{i=1}^n
   \lambda_i(M)\Big\},

eigenvalues in decreasing order (rounding negatives of a PSD matrix are clipped to 0;
:math:`\dim_f(0) = 0`). It is evaluated for :math:`M = P(T)` (eq. 5.2.5, the PCA matrix of
infinitely many GD runs), for :math:`M = P_1(T)` (eq. 5.2.9) and for the bound of Lemma 5.2.3
read as a predicted dimensionality, over a grid of training times T, slopes c of the sloppy
spectrum :math:`\lambda_i = \lambda_1 e^{-c(i-1)}`, ratios :math:`\sigma_*/\sigma_w` and,
optionally, step sizes α, sample sizes n, data dimensions d and SGD batch sizes b.

What the grid depends on
------------------------
* **Only** :math:`\sigma_*/\sigma_w` **matters** for GD: with :math:`\hat y = \sigma_*\sqrt\lambda
  \odot z`, :math:`P(T) = \sigma_w^2[A(T) + (\sigma_*/\sigma_w)^2 B(T, z)]` and
  :math:`\dim_f` is scale invariant. SGD noise adds a term independent of both variances, so with
  a finite batch size ``sigma_w2`` matters too (it is a parameter; default 1).
* **How d enters.** :math:`y = Xw^*` with :math:`w^* \sim N(0, \sigma_*^2/n\, I_d)` gives
  :math:`y \sim N(0, \sigma_*^2K)` whatever d is; d enters only through
  :math:`\operatorname{rank} K = \min(n, d)`. For :math:`d \ge n` it has no effect (the engine
  computes such grid points once); for :math:`d < n` every trajectory lies in the d-dimensional
  image of K (assumption (ii), "the analysis can be conducted in the image space of K"), whose
  spectrum is taken to be :math:`\lambda_1, \dots, \lambda_d`.
* **Expectation over the targets** (``expectation``):

  ``"draws"`` (default)
      mean of :math:`\dim_f P(T; y_k)` over ``draws`` target vectors. Draw k is exactly the
      targets of ``LinearGDProblem.sloppy(..., seed=seed + k)``
      (:math:`\hat y = \sigma_*\sqrt\lambda\odot z_k`), shared by every grid point (common random
      numbers, so the diagram is smooth in T and c). Per-draw values are kept.
  ``"matrix"``
      :math:`\dim_f E_y[P(T)]`. Since :math:`E[yy^\top] = \sigma_*^2K` is diagonal in K's
      eigenbasis, :math:`E_y[P(T)]` is the diagonal matrix
      :math:`\frac{\sigma_w^2 + \sigma_*^2}{T}\operatorname{diag}\big(\lambda_i\tilde\lambda_i\big)
      - \sigma_*^2\operatorname{diag}\big(\lambda_i (K_T)_{ii}^2\big)`, exact and O(n).
  ``"pooled"``
      :math:`\dim_f` of the covariance of trajectories pooled over datasets, which is
      :math:`E_y[P_1(T)]` (the mean residual averages to zero): the *same* diagonal without the
      :math:`P_2` term, hence independent of :math:`\sigma_*/\sigma_w`.

  :math:`\dim_f E_y[P] \ne E_y[\dim_f P]`: averaging replaces the rank-one :math:`yy^\top` that
  makes :math:`P_1^y` decay fast (Lemma 5.2.1) by the full-rank :math:`\sigma_*^2 K`, so the
  expected matrix has the spectral shape of :math:`P_1^{\sigma_w}` and almost no dependence on
  :math:`\sigma_*/\sigma_w` -- which Fig 5.3 (a)-(c) shows. Fig 5.3 is therefore reproduced with
  ``"draws"``.
* **Variants.** ``spectrum`` replaces the sloppy spectrum by any positive spectrum (a kernel's
  Gram matrix, §5.3 "Kernel machines"; the c axis is then dropped). ``weight_decay`` = λ uses the
  exact weight-decay dynamics: :math:`K \to K + \lambda I` in the recursion, initial covariance
  :math:`\sigma_w^2K`, targets shrunk to :math:`K(K+\lambda I)^{-1}y` (the residuals are affine;
  PCA is translation invariant). ``batch`` = b adds the thesis's Langevin model of SGD
  (eq. 5.3.1) with the residual-noise covariance :math:`(\alpha^2/b)K^2` as printed in §5.3, whose
  contribution to :math:`\frac1T\sum_t E[r_tr_t^\top]` is diagonal,
  :math:`P_\xi(I - \tilde K/T)` with :math:`P_\xi = \frac{\alpha}{b}(2I - \alpha K)^{-1}K`.

Structure exploited
-------------------
Every matrix of the grid is assembled in K's eigenbasis, which is shared by all T, ratios,
draws, batch sizes and step sizes (no eigendecomposition of K, no rotation); the σw, SGD and
expectation parts are diagonal there; the (n, n) kernel :math:`(1 - (a_ia_j)^T)/(1 - a_ia_j)` of
:math:`P_1^y` is computed once per (c, α, T) and shared by all draws and ratios; the target part
:math:`B(T, z)` once per draw and shared by all ratios and batch sizes; ``"matrix"``/``"pooled"``
need no eigensolver at all; the remaining symmetric eigenvalue problems are solved in batches by
LAPACK (single-threaded BLAS, which is fastest for stacks of small matrices).

Examples
--------
>>> pd = phase_diagram(T=[1, 10, 100], c=[0.1, 0.5], ratio=[4.8], n=20, draws=2, seed=0)
>>> pd.shape, pd.sel("P", ratio=4.8).shape
((1, 1, 1, 1, 1, 2, 3), (2, 3))
>>> from hyperribbon.theory.linear_models.problems import LinearGDProblem
>>> p = LinearGDProblem.sloppy(n=20, c=0.5, alpha=0.9, T=100, sigma_w2=1.0,
...                            sigma_star2=4.8**2, seed=1)       # draw 1 of the grid
>>> int(point_dimensionality(p)["P"]) == int(pd.per_draw["P"][0, 0, 0, 0, 0, 1, 2, 1])
True
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hyperribbon.theory.linear_models import gd_closed_forms as cf
from hyperribbon.theory._validate import as_float, as_int
from hyperribbon.theory.domains import check_allocation
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LINEAR_GD_DOMAINS, LinearGDProblem

__all__ = ["AXES", "QUANTITIES", "EXPECTATIONS", "PhaseDiagram", "phase_diagram", "resolved_count",
           "log_integer_grid", "grid_point_matrices", "dimensionality", "point_dimensionality",
           "monte_carlo_dimensionality", "bound_dimensionality", "bound_5_2_3_profiles"]

#: Axis order of every array of a :class:`PhaseDiagram`.
AXES = ("n", "d", "alpha", "batch", "ratio", "c", "T")
#: ``P``: P(T) (eq. 5.2.5); ``P1``: P1(T) (eq. 5.2.9); ``bound``: the smallest k that Lemma 5.2.3
#: certifies for P1 (see :func:`bound_dimensionality`); ``bound_profile``: dim_f of the bound's
#: profile read as a spectrum.
QUANTITIES = ("P", "P1", "bound", "bound_profile")
EXPECTATIONS = ("draws", "matrix", "pooled")
_EIG_BATCH_BYTES = 32 * 2**20
_VERSION = 1


# ================================================================== definitions
def dimensionality(eigenvalues, fraction: float = 0.95, *, return_margin: bool = False):
    r"""Number of leading eigenvalues holding a fraction ``fraction`` of their sum.

    .. math:: \dim_f = \min\{k : \textstyle\sum_{i\le k}\lambda_i \ge f\sum_i\lambda_i\}

    Parameters
    ----------
    eigenvalues : (..., n) array_like
        Eigenvalues of PSD matrices (any order; negatives from rounding are clipped to 0).
    fraction : float
        f in (0, 1).
    return_margin : bool
        Also return, for each matrix, the distance of the decision from the threshold,
        :math:`\min(|F_k - f|, |F_{k-1} - f|)` with :math:`F_k` the explained fraction of the
        first k eigenvalues (a perturbation of the spectrum smaller than this cannot change the
        answer).

    Returns
    -------
    (...) int ndarray, and (...) float ndarray if ``return_margin``
        0 for an all-zero spectrum.

    Examples
    --------
    >>> int(dimensionality([1.0, 0.5, 0.25, 0.125], 0.9))   # 1.5/1.875 = 0.8, 1.75/1.875 = 0.93
    3
    """
    fraction = _fraction(fraction, "dimensionality")
    ev = np.asarray(eigenvalues, dtype=float)
    if ev.ndim == 0 or ev.shape[-1] == 0:
        raise InvalidArgument("eigenvalues", "dimensionality", "have shape (..., n) with n ≥ 1",
                              ev)
    ev = -np.sort(-np.clip(ev, 0.0, None), axis=-1)
    cs = np.cumsum(ev, axis=-1)
    total = cs[..., -1:]
    k = np.sum(cs < fraction * total, axis=-1) + 1
    zero = total[..., 0] <= 0
    k = np.where(zero, 0, np.minimum(k, ev.shape[-1]))
    if not return_margin:
        return k
    with np.errstate(invalid="ignore", divide="ignore"):
        F = np.concatenate([np.zeros_like(total), cs], axis=-1) / total
    kk = np.clip(k, 1, None)[..., None]
    above = np.take_along_axis(F, kk, axis=-1)[..., 0]
    below = np.take_along_axis(F, kk - 1, axis=-1)[..., 0]
    margin = np.minimum(np.abs(above - fraction), np.abs(below - fraction))
    return k, np.where(zero, np.inf, margin)


def bound_5_2_3_profiles(lam, c: float, alpha: float, T, q) -> np.ndarray:
    r"""Right-hand sides :math:`u_i` of Lemma 5.2.3 (statement), vectorised over T and q.

    .. math:: u_i = \begin{cases}\min\{1, 4\rho^{-(i-1)} + q\} & i \le 2k^*\\
       4\rho^{-(k-1)} + q\min\{1, 2\alpha T\lambda_{i-k+1}\} & \text{else}\end{cases},\quad
       q = \frac{\sigma_w^2}{\alpha\|y\|^2},\ k^* = \min\{\tfrac{\ln 2T\alpha}{2c},\tfrac n2\},\
       k = \max(\lfloor k^*\rfloor, 1),

    exactly as :func:`hyperribbon.theory.linear_models.linear_gd.bound_5_2_3` (``branch="statement"``).

    Parameters
    ----------
    lam : (n,) array_like
        The sloppy spectrum, descending.
    T : (m,) array_like of int
    q : (m, ...) array_like
        :math:`\sigma_w^2/(\alpha\|y\|^2)` per T (broadcast against trailing axes).

    Returns
    -------
    (m, ..., n) ndarray
    """
    lam = np.asarray(lam, dtype=float)
    n = lam.size
    T = np.asarray(T, dtype=float)
    q = np.asarray(q, dtype=float)
    q = q.reshape(q.shape + (1,))
    extra = q.ndim - 2
    # ln κ from the slope (exact even where λ_n underflows), else from the spectrum's ends
    log_kappa = (c * (n - 1) if c is not None and math.isfinite(c)
                 else math.log(float(lam[0])) - math.log(float(lam[-1])))
    rho = cf.rho_from_log_kappa(log_kappa)
    idx = np.arange(1, n + 1, dtype=float)
    ks = np.minimum(np.log(2.0 * T * alpha) / (2.0 * c), n / 2.0)
    k = np.maximum(np.floor(ks), 1.0)
    shape_T = (T.size,) + (1,) * extra + (1,)
    ks_, k_, T_ = ks.reshape(shape_T), k.reshape(shape_T), T.reshape(shape_T)
    head = np.minimum(1.0, 4.0 * rho ** (-(idx - 1.0)) + q)
    j = (np.clip(idx - k_ + 1.0, 1, n) - 1).astype(int)
    tail = 4.0 * rho ** (-(k_ - 1.0)) + q * np.minimum(1.0, 2.0 * alpha * T_ * lam[j])
    return np.where(idx <= 2.0 * ks_, head, tail)


def _certified(u: np.ndarray, fraction: float) -> np.ndarray:
    """min{k : Σ_{i>k} u_i ≤ 1 − f} along the last axis (see :func:`bound_dimensionality`)."""
    rc = np.cumsum(u[..., ::-1], axis=-1)[..., ::-1]        # rc[j] = Σ_{i ≥ j} (0-based)
    return 1 + np.sum(rc[..., 1:] > 1.0 - fraction, axis=-1)


def bound_dimensionality(problem: LinearGDProblem, fraction: float = 0.95,
                         rule: str = "certified") -> float:
    r"""The dimensionality of :math:`P_1(T)` predicted by Lemma 5.2.3.

    ``rule="certified"``: with :math:`u_i` the lemma's bounds on :math:`\lambda_i/\lambda_1`,
    the fraction of variance beyond index k is at most
    :math:`\sum_{i>k}\lambda_i / \sum_i \lambda_i \le \sum_{i>k} u_i` (the denominator is at least
    :math:`\lambda_1`), so wherever the lemma holds

    .. math:: \dim_f P_1(T) \le k_{\rm bound} = \min\{k : \textstyle\sum_{i>k}u_i \le 1-f\}.

    ``rule="profile"``: :math:`\dim_f` of the profile :math:`(u_i)` read as a spectrum (no
    guarantee; the shape the lemma predicts).

    Returns NaN where the lemma's assumptions fail (α λ1 < 1, sloppy spectrum with known c,
    k* ≥ 1 i.e. 2Tα ≥ e^{2c}, y ≠ 0).

    Examples
    --------
    >>> p = LinearGDProblem.sloppy(n=50, c=0.1, alpha=0.9, T=50, sigma_w2=0.1, seed=0)
    >>> kb = bound_dimensionality(p)
    >>> point_dimensionality(p)["P1"], kb                       # true, and loose
    (9, 45.0)
    """
    owner = "bound_dimensionality"
    if not isinstance(problem, LinearGDProblem):
        raise InvalidArgument("problem", owner, "be a LinearGDProblem", type(problem).__name__)
    fraction = _fraction(fraction, owner)
    if rule not in ("certified", "profile"):
        raise InvalidArgument("rule", owner, "be 'certified' or 'profile'", rule)
    p = problem
    if (p.c is None or p.alpha * p.lambda1 >= 1.0 or p.y_norm2 <= 0
            or math.log(2 * p.T * p.alpha) < 2 * p.c):
        return float("nan")
    q = p.sigma_w2 / (p.alpha * p.y_norm2)
    u = bound_5_2_3_profiles(p.lam, p.c, p.alpha, [p.T], [q])[0]
    return float(_certified(u, fraction) if rule == "certified" else dimensionality(u, fraction))


def log_integer_grid(low: int, high: int, num: int) -> np.ndarray:
    """``num`` distinct integers from ``low`` to ``high`` (both included), as close to
    log-spaced as distinctness allows (a training-time axis).

    Examples
    --------
    >>> log_integer_grid(1, 10_000, 9).tolist()
    [1, 3, 10, 32, 100, 316, 1000, 3162, 10000]
    >>> log_integer_grid(1, 100, 64).size, bool(np.all(np.diff(log_integer_grid(1, 100, 64)) > 0))
    (64, True)
    """
    owner = "log_integer_grid"
    low = as_int(low, "low", owner, minimum=1)
    high = as_int(high, "high", owner, minimum=low)
    num = as_int(num, "num", owner, minimum=1)
    if num > high - low + 1:
        raise InvalidArgument("num", owner, f"be ≤ high − low + 1 = {high - low + 1}", num)
    if num == 1:
        return np.array([low], dtype=np.int64)
    g = np.round(np.geomspace(low, high, num)).astype(np.int64)
    for i in range(1, num):                       # push duplicates up ...
        g[i] = max(g[i], g[i - 1] + 1)
    g[-1] = min(g[-1], high)
    for i in range(num - 2, -1, -1):              # ... and back below `high`
        g[i] = min(g[i], g[i + 1] - 1)
    return g


# ================================================================== per-point references
def point_dimensionality(problem: LinearGDProblem, fraction: float = 0.95) -> dict:
    r"""``{"P": dim_f P(T), "P1": dim_f P1(T)}`` for one problem, from the (n, n) matrices of
    :func:`hyperribbon.numerics.linear_models.pca.pca_matrices` (dense ``eigvalsh``).

    Examples
    --------
    >>> p = LinearGDProblem.sloppy(n=30, c=0.3, T=1, sigma_w2=1.0, seed=0)
    >>> point_dimensionality(p)["P"] == int(dimensionality(p.lam))   # T = 1: P = σw² K
    True
    """
    from .pca import pca_matrices
    fraction = _fraction(fraction, "point_dimensionality")
    m = pca_matrices(problem)
    return {"P": int(dimensionality(np.linalg.eigvalsh(m.P()), fraction)),
            "P1": int(dimensionality(np.linalg.eigvalsh(m.P1()), fraction))}


def monte_carlo_dimensionality(problem: LinearGDProblem, N: int = 1000, *, seed: int = 0,
                               fraction: float = 0.95, chunk: int = 256,
                               return_matrix: bool = False):
    r""":math:`\dim_f P(N, T)` of N simulated GD trajectories (eq. 5.2.3), streamed over t.

    The runs start at :math:`\hat r_0 = \sigma_w\sqrt\lambda\odot z - \hat y` (as
    :func:`hyperribbon.numerics.linear_models.gd.simulate_residuals`, in K's eigenbasis) and the points
    :math:`r_t^{(i)}` are accumulated in chunks of ``chunk`` time steps, so memory is
    O(N·chunk·n) for any T. Cost: O(N·T·n²) (single-threaded BLAS, like the engine).

    Returns
    -------
    int, or (int, (n, n) ndarray) when ``return_matrix``.

    Examples
    --------
    >>> from hyperribbon.numerics.linear_models.gd import empirical_pca_matrix, simulate_residuals
    >>> p = LinearGDProblem.sloppy(n=6, c=0.4, T=30, sigma_w2=0.5, seed=0)
    >>> k, P = monte_carlo_dimensionality(p, N=50, seed=3, chunk=7, return_matrix=True)
    >>> bool(np.allclose(P, empirical_pca_matrix(simulate_residuals(p, 50, seed=3)),
    ...                  rtol=0, atol=1e-13))
    True
    """
    owner = "monte_carlo_dimensionality"
    N = as_int(N, "N", owner, minimum=1)
    chunk = as_int(chunk, "chunk", owner, minimum=1)
    fraction = _fraction(fraction, owner)
    rng = np.random.default_rng(as_int(seed, "seed", owner, minimum=0))
    p = problem
    r = np.sqrt(p.sigma_w2 * p.lam) * rng.standard_normal((N, p.n)) - p.yhat
    a = 1.0 - p.s
    S, m = np.zeros((p.n, p.n)), np.zeros(p.n)
    floor = 1e-150 * float(np.max(np.abs(r)))       # below it: 0 (subnormals are slow, and
    with _single_threaded_blas():                   # such terms cannot change the result)
        for t0 in range(0, p.T, chunk):
            steps = min(chunk, p.T - t0)
            powers = a[None, :] ** np.arange(steps)[:, None]
            R = r[None, :, :] * powers[:, None, :]
            R[np.abs(R) < floor] = 0.0
            pts = R.reshape(-1, p.n)
            S += pts.T @ pts
            m += pts.sum(axis=0)
            r = R[-1] * a
    count = N * p.T
    mean = m / count
    P = S / count - np.outer(mean, mean)
    k = int(dimensionality(np.linalg.eigvalsh(P), fraction))
    return (k, P) if return_matrix else k


# ================================================================== the result
@dataclass(frozen=True)
class PhaseDiagram:
    r"""Dimensionalities over a grid; every array has the axes :data:`AXES`.

    Attributes
    ----------
    axes : dict of str to ndarray
        Grid values per axis, in :data:`AXES` order (``batch`` is ``inf`` for full-batch GD,
        ``c`` is NaN for a user-supplied spectrum).
    mean : dict of str to ndarray
        Per quantity (see :data:`QUANTITIES`), an array of shape :attr:`shape`: the mean over
        draws (``"draws"``) or the exact value (``"matrix"``, ``"pooled"``). NaN where not
        applicable (the bound outside its assumptions).
    per_draw : dict of str to ndarray
        Per quantity, shape ``shape + (draws,)`` (``"draws"`` only; empty otherwise).
    settings : dict
        Every parameter the grid was computed with.
    stats : dict
        Wall time, number of eigenvalue problems solved, number of blocks (and how many came
        from a checkpoint).
    """

    axes: dict
    mean: dict
    per_draw: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple:
        return tuple(len(self.axes[a]) for a in AXES)

    @property
    def quantities(self) -> tuple:
        return tuple(self.mean)

    def _index(self, fixed: dict, owner: str) -> tuple:
        idx = [slice(None)] * len(AXES)
        for name, value in fixed.items():
            if name not in AXES:
                raise InvalidArgument(name, owner, f"be one of the axes {AXES}", value)
            values = self.axes[name]
            hit = np.flatnonzero(np.isclose(values, float(value), rtol=1e-9, atol=0))
            if hit.size != 1:
                raise InvalidArgument(name, owner, f"be one of the grid values {values.tolist()}",
                                      value)
            idx[AXES.index(name)] = int(hit[0])
        return tuple(idx)

    def sel(self, quantity: str = "P", *, draws: bool = False, **fixed) -> np.ndarray:
        """The array of ``quantity`` with the named axes fixed (by value) and every remaining
        axis of length 1 squeezed; ``draws=True`` returns the per-draw values (last axis)."""
        owner = "PhaseDiagram.sel"
        source = self.per_draw if draws else self.mean
        if quantity not in source:
            raise InvalidArgument("quantity", owner, f"be one of {tuple(source)}", quantity)
        arr = source[quantity][self._index(fixed, owner)]
        keep = [a for a in AXES if a not in fixed]
        squeeze = tuple(i for i, a in enumerate(keep) if len(self.axes[a]) == 1)
        return np.squeeze(arr, axis=squeeze) if squeeze else arr

    def free_axes(self, **fixed) -> tuple:
        """Names of the axes :meth:`sel` leaves, in order."""
        return tuple(a for a in AXES if a not in fixed and len(self.axes[a]) > 1)


# ================================================================== validation
def _fraction(f, owner):
    f = as_float(f, "fraction", owner)
    if not 0.0 < f < 1.0:
        raise InvalidArgument("fraction", owner, "be in (0, 1)", f)
    return f


def _axis(values, name, owner, *, integer=False, low=None, low_closed=False, allow_inf=False):
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise InvalidArgument(name, owner, "be a 1-D sequence of numbers", values) from None
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidArgument(name, owner, "be a non-empty 1-D sequence", values)
    finite = np.isfinite(arr) | (allow_inf & np.isposinf(arr))
    if not np.all(finite):
        raise InvalidArgument(name, owner, "have finite entries" + (" (or inf)" if allow_inf
                                                                    else ""), values)
    if integer and not np.all((arr == np.round(arr)) | np.isinf(arr)):
        raise InvalidArgument(name, owner, "have integer entries", values)
    if low is not None and (np.any(arr < low) or (not low_closed and np.any(arr == low))):
        raise InvalidArgument(name, owner, f"have entries {'≥' if low_closed else '>'} {low}",
                              values)
    if arr.size > 1 and np.any(np.diff(arr) <= 0):
        raise InvalidArgument(name, owner, "be strictly increasing", values)
    return arr


# ================================================================== the engine
def phase_diagram(T, c, ratio, *, alpha=0.9, n=None, d=None, batch=None, fraction: float = 0.95,
                  expectation: str = "draws", draws: int = 8, seed: int = 0,
                  sigma_w2: float = 1.0, weight_decay: float = 0.0, lambda1: float = 1.0,
                  spectrum=None, quantities=("P", "P1", "bound"), progress: bool = False,
                  checkpoint=None) -> PhaseDiagram:
    r"""Dimensionalities of the hyper-ribbon over a grid (thesis Fig 5.3), exactly.

    Parameters
    ----------
    T : (m_T,) array_like of int
        Training times (number of GD iterates :math:`t = 0..T-1`), strictly increasing, ≥ 1.
    c : (m_c,) array_like
        Slopes of :math:`\lambda_i = \lambda_1e^{-c(i-1)}`, strictly increasing, > 0. Ignored
        (the axis becomes ``[nan]``) when ``spectrum`` is given.
    ratio : (m_r,) array_like
        :math:`\sigma_*/\sigma_w \ge 0`, strictly increasing.
    alpha, n, d, batch : scalar or 1-D array_like
        Step sizes (:math:`0 < \alpha(\lambda_1 + \lambda_{wd}) < 2`); sample sizes (n ≥ 2;
        ``None``: 50, or ``len(spectrum)``); data dimensions (``None``: the axis ``[inf]``,
        i.e. d ≥ n; only :math:`\min(n, d) \ge 2` matters); SGD batch sizes (``None`` or
        ``inf``: full-batch GD).
    fraction : float
        Variance fraction f (thesis: 0.95).
    expectation : {"draws", "matrix", "pooled"}
        Expectation over :math:`w^*` (module docstring).
    draws, seed : int
        Number of target draws and the seed of draw 0 (draw k uses ``seed + k``).
    sigma_w2 : float
        :math:`\sigma_w^2 > 0`; only matters with SGD noise.
    weight_decay : float
        λ ≥ 0 of :math:`C(w) + \frac\lambda2\|w\|^2`.
    lambda1 : float
        Largest eigenvalue of the sloppy spectrum.
    spectrum : (n,) array_like, optional
        A user-supplied positive spectrum of K (e.g. a kernel's Gram matrix), sorted here.
    quantities : sequence of str
        Subset of :data:`QUANTITIES` to compute.
    progress : bool
        Show a tqdm bar over blocks (one block per (n, d, α, c)).
    checkpoint : path-like, optional
        Directory where finished blocks are stored atomically; a rerun with the same parameters
        loads them instead of recomputing (resumable long grids).

    Returns
    -------
    PhaseDiagram
        Arrays of shape ``(m_n, m_d, m_alpha, m_batch, m_r, m_c, m_T)``.

    Notes
    -----
    Cost: O(n²) to assemble and one batched O(n³) symmetric eigensolve per (point, draw,
    quantity among P/P1) in ``"draws"`` mode; O(n) per point otherwise.
    """
    owner = "phase_diagram"
    t_start = time.perf_counter()
    T = _axis(T, "T", owner, integer=True, low=1, low_closed=True)
    for t in (T[0], T[-1]):                         # shared rule: T ≤ 2^53 (LINEAR_GD_DOMAINS)
        LINEAR_GD_DOMAINS["T"].validate(float(t), "T", owner)
    T = T.astype(np.int64)
    ratio = _axis(ratio, "ratio", owner, low=0.0, low_closed=True)
    if n is None:
        n = 50 if spectrum is None else np.size(spectrum)
    n = _axis(n, "n", owner, integer=True, low=2, low_closed=True)
    LINEAR_GD_DOMAINS["n"].validate(float(n[-1]), "n", owner)
    n = n.astype(np.int64)
    d = np.array([np.inf]) if d is None else _axis(d, "d", owner, integer=True, low=1,
                                                   low_closed=True)
    alpha = _axis(alpha, "alpha", owner, low=0.0)
    batch = np.array([np.inf]) if batch is None else _axis(batch, "batch", owner, integer=True,
                                                           low=1, low_closed=True,
                                                           allow_inf=True)
    fraction = _fraction(fraction, owner)
    if expectation not in EXPECTATIONS:
        raise InvalidArgument("expectation", owner, f"be one of {EXPECTATIONS}", expectation)
    draws = as_int(draws, "draws", owner, minimum=1) if expectation == "draws" else 0
    if draws:
        # the draws' (D, n, n) matrices of one T chunk, four working copies (G, H, M, eigvalsh)
        check_allocation(4.0 * draws * float(n[-1]) ** 2, "n", owner, int(n[-1]),
                         what=f"the {draws} draws' n×n matrices of one grid point (×4 copies)")
    check_allocation(float(T.size) * ratio.size * max(draws, 1) * n.size * 8, "T", owner,
                     T.size, what="the result arrays (grid points × draws)")
    seed = as_int(seed, "seed", owner, minimum=0)
    sigma_w2 = as_float(sigma_w2, "sigma_w2", owner)
    if not sigma_w2 > 0:
        raise InvalidArgument("sigma_w2", owner, "be > 0 (the grid is in units of σw)", sigma_w2)
    weight_decay = as_float(weight_decay, "weight_decay", owner)
    if weight_decay < 0:
        raise InvalidArgument("weight_decay", owner, "be ≥ 0", weight_decay)
    lambda1 = as_float(lambda1, "lambda1", owner)
    if not lambda1 > 0:
        raise InvalidArgument("lambda1", owner, "be > 0", lambda1)
    quantities = tuple(quantities)
    bad = [q for q in quantities if q not in QUANTITIES]
    if bad or not quantities or len(set(quantities)) != len(quantities):
        raise InvalidArgument("quantities", owner, f"be distinct names from {QUANTITIES}",
                              quantities)
    if spectrum is not None:
        lam_user = np.sort(np.asarray(spectrum, dtype=float).ravel())[::-1]
        if lam_user.size < 2 or not np.all(np.isfinite(lam_user)) or lam_user[-1] < _TINY:
            raise InvalidArgument("spectrum", owner, "be ≥ 2 finite positive eigenvalues, each "
                                  "a normal float64 (≥ 2^-1022)", spectrum)
        if n.size != 1 or int(n[0]) != lam_user.size:
            raise InvalidArgument("n", owner, f"equal len(spectrum) = {lam_user.size} (or be "
                                  "None)", n.tolist())
        c = np.array([np.nan])
        lam_top = float(lam_user[0])
    else:
        lam_user = None
        c = _axis(c, "c", owner, low=0.0)
        lam_top = lambda1
    limit = 2.0 / (lam_top + weight_decay)
    if np.any(alpha >= limit):
        raise InvalidArgument("alpha", owner, f"be in (0, 2/(λ1 + weight_decay)) = (0, "
                              f"{limit:.6g}) for GD to converge", alpha)

    axes = {"n": n.astype(float), "d": d.astype(float), "alpha": alpha, "batch": batch,
            "ratio": ratio, "c": c, "T": T.astype(float)}
    shape = tuple(len(axes[a]) for a in AXES)
    mean = {q: np.full(shape, np.nan) for q in quantities}
    per_draw = {q: np.full(shape + (draws,), np.nan) for q in quantities} if draws else {}
    settings = dict(fraction=fraction, expectation=expectation, draws=draws, seed=seed,
                    sigma_w2=sigma_w2, weight_decay=weight_decay, lambda1=lambda1,
                    spectrum=None if lam_user is None else lam_user.tolist(),
                    quantities=list(quantities), version=_VERSION)
    ckpt = None if checkpoint is None else Path(checkpoint)
    if ckpt is not None:
        ckpt.mkdir(parents=True, exist_ok=True)

    blocks = []
    for i_n, nn in enumerate(n):
        for i_d, dd in enumerate(d):
            for i_a, aa in enumerate(alpha):
                for i_c, cc in enumerate(c):
                    blocks.append((i_n, i_d, i_a, i_c, int(min(nn, dd)), float(aa), float(cc)))
    for i_d, dd in enumerate(d):
        if min(int(n.max()), dd) < 2:
            raise InvalidArgument("d", owner, "give rank K = min(n, d) ≥ 2", float(dd))
    stats = dict(blocks=len(blocks), blocks_from_checkpoint=0, blocks_deduplicated=0,
                 eigensolves=0)
    done: dict = {}
    bar = _progress(len(blocks), progress)
    with _single_threaded_blas():
        for i_n, i_d, i_a, i_c, m, aa, cc in blocks:
            key = (m, aa, cc)
            if key in done:
                res = done[key]
                stats["blocks_deduplicated"] += 1
            else:
                spec = dict(settings, m=m, alpha=aa, c=None if math.isnan(cc) else cc,
                            T=T.tolist(), ratio=ratio.tolist(), batch=[str(b) for b in batch])
                res = _load(ckpt, spec)
                if res is None:
                    lam = (lam_user[:m] if lam_user is not None
                           else lambda1 * np.exp(-cc * np.arange(m)))
                    res, solves = _block(lam, None if lam_user is not None else cc, aa, T, ratio,
                                         batch, fraction, expectation, draws, seed, sigma_w2,
                                         weight_decay, quantities)
                    stats["eigensolves"] += solves
                    _save(ckpt, spec, res)
                else:
                    stats["blocks_from_checkpoint"] += 1
                done[key] = res
            for q in quantities:
                mean[q][i_n, i_d, i_a, :, :, i_c, :] = res["mean_" + q]
                if draws:
                    per_draw[q][i_n, i_d, i_a, :, :, i_c, :, :] = res["draws_" + q]
            bar.update(1)
    bar.close()
    stats["seconds"] = time.perf_counter() - t_start
    return PhaseDiagram(axes=axes, mean=mean, per_draw=per_draw, settings=settings, stats=stats)


def _diagonals(lam, alpha, T, batch, sigma_w2, weight_decay):
    """Diagonal pieces shared by every draw and ratio: s, λ̃/T, diag K_T, the σw + SGD diagonal
    of P1 per batch size, and the weight-decay shrink factor of the targets."""
    lam_dyn = lam + weight_decay
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink = np.where(lam_dyn > 0, lam / lam_dyn, 1.0)         # λ/(λ + 0) → 1 as λ → 0
    s = alpha * lam_dyn
    Tf = T.astype(float)[:, None]
    one_minus_a2 = s * (2.0 - s)                                       # 1 − a², exact
    with np.errstate(invalid="ignore", divide="ignore"):
        lt = cf.one_minus_power(s[None, :], 2 * Tf) / one_minus_a2 / Tf   # λ̃_i/T, (m_T, m)
        kT = cf.one_minus_power(s[None, :], Tf) / (Tf * s)                # (K_T)_ii
    lt = np.where(s[None, :] > 0, lt, 1.0)         # the limits s → 0 (λ_i = 0): a = 1 for all t
    kT = np.where(s[None, :] > 0, kT, 1.0)
    init = sigma_w2 * lam * lt                                         # σw part of P1, mean
    noise = np.zeros((batch.size,) + lt.shape)                         # SGD part (diagonal)
    if np.any(np.isfinite(batch)):
        # 1 − λ̃_i/T = Σ_{t<T}(1 − a^{2t})/T = gap(1 − a², T)/((1 − a²)T), without cancellation
        gap = np.stack([cf.bernoulli_gap(one_minus_a2, int(t)) for t in T]) / one_minus_a2 / Tf
        p_xi = alpha ** 2 * lam ** 2 / one_minus_a2                     # b·P_ξ
        for ib, b in enumerate(batch):
            if np.isfinite(b):
                noise[ib] = p_xi / b * gap
    return s, lt, kT, init[None] + noise, shrink


def grid_point_matrices(T: int, c=None, ratio: float = 1.0, *, alpha: float = 0.9, n: int = 50,
                        batch=None, draw: int = 0, seed: int = 0, sigma_w2: float = 1.0,
                        weight_decay: float = 0.0, lambda1: float = 1.0, spectrum=None) -> dict:
    r"""The matrices behind one grid point of :func:`phase_diagram`, in K's eigenbasis.

    Returns ``{"P": (n, n), "P1": (n, n), "lam": (n,), "yhat": (n,)}`` for target draw
    ``draw`` (:math:`\hat y = \sigma_*\sqrt\lambda\odot z`, z from seed ``seed + draw``), with
    the same closed forms as the engine (mean normalisation; weight decay and the SGD term
    included). ``spectrum`` replaces the sloppy spectrum of slope ``c`` (``n`` is then its
    length).

    Examples
    --------
    >>> from hyperribbon.numerics.linear_models.pca import pca_matrices
    >>> m = grid_point_matrices(40, 0.3, 2.0, n=10, draw=1)
    >>> p = LinearGDProblem.sloppy(n=10, c=0.3, alpha=0.9, T=40, sigma_w2=1.0, sigma_star2=4.0,
    ...                            seed=1)
    >>> bool(np.allclose(m["P"], pca_matrices(p).P(), rtol=0, atol=1e-14))
    True
    """
    owner = "grid_point_matrices"
    T = as_int(T, "T", owner, minimum=1)
    if spectrum is None:
        c = _axis(c, "c", owner, low=0.0)[0]
        lam = float(lambda1) * np.exp(-c * np.arange(as_int(n, "n", owner, minimum=1)))
    else:
        lam = np.sort(np.asarray(spectrum, dtype=float).ravel())[::-1]
    b = np.array([np.inf]) if batch is None else _axis(batch, "batch", owner, low=1,
                                                       low_closed=True, allow_inf=True)
    s, lt, kT, diag1, shrink = _diagonals(lam, float(alpha), np.array([T]), b[:1],
                                          float(sigma_w2), float(weight_decay))
    z = np.random.default_rng(as_int(seed, "seed", owner, minimum=0)
                              + as_int(draw, "draw", owner, minimum=0)).standard_normal(lam.size)
    sigma_star = float(ratio) * math.sqrt(sigma_w2)
    u = sigma_star * z * np.sqrt(lam) * shrink
    core = _core_stack(s, _log_a_products(s), np.array([T]))[0] / T
    P1 = core * np.outer(u, u) + np.diag(diag1[0, 0])
    mvec = kT[0] * u
    return {"P": P1 - np.outer(mvec, mvec), "P1": P1, "lam": lam, "yhat": z * np.sqrt(lam)
            * sigma_star}


def resolved_count(lam, T_max: float, ratio_max: float, sigma_w2: float, alpha: float,
                   batch_min: float, z2_max: float) -> int:
    r"""How many leading eigen-directions of K can matter to :math:`\dim_f`.

    Direction i adds at most :math:`\lambda_i(\sigma_w^2 + \sigma_*^2z_i^2 + \alpha/b)` to the
    trace of P(T) or P1(T) (each time average is ≤ its t = 0 term, the SGD term ≤ αλ_i/b), while
    the trace is at least :math:`P_{11} \ge \sigma_w^2\lambda_1/T`. Directions with

    .. math:: \lambda_i/\lambda_1 < \varepsilon^2 / \big(n\,T\,(1 + (\sigma_*/\sigma_w)^2
       z_{\max}^2 + \alpha/(b\sigma_w^2))\big)

    together hold less than :math:`\varepsilon^2` of the variance — far below the dense
    eigensolver's own :math:`n\varepsilon` — so they are left out of the eigenproblems
    (Ky Fan: the explained fractions move by less than that). This is what lets a very sloppy
    spectrum (λ_i below the float64 range, e.g. c = 20, n = 50) be evaluated at all.
    """
    lam = np.asarray(lam, dtype=float)
    n = lam.size
    eps = float(np.finfo(float).eps)
    with np.errstate(over="ignore"):
        denom = n * float(T_max) * (1.0 + ratio_max ** 2 * z2_max
                                    + (alpha / (batch_min * sigma_w2) if math.isfinite(batch_min)
                                       else 0.0))
    thr = float(lam[0]) * eps * eps / denom if math.isfinite(denom) else 0.0
    k = int(np.count_nonzero(lam >= max(thr, _TINY)))
    return max(k, 1)


_TINY = float(np.finfo(np.float64).tiny)


def _block(lam, c, alpha, T, ratio, batch, fraction, expectation, draws, seed, sigma_w2,
           weight_decay, quantities):
    """All (batch, ratio, T[, draw]) values of one spectrum and step size."""
    lam_full = lam
    m_full = lam.size
    z_full = (np.stack([np.random.default_rng(seed + k).standard_normal(m_full)
                        for k in range(draws)]) if expectation == "draws" else None)
    z2_max = float(np.max(z_full ** 2)) if z_full is not None else 1.0
    m = resolved_count(lam_full, float(T.max()), float(ratio.max()), sigma_w2, alpha,
                       float(np.min(batch)), z2_max)
    lam = lam_full[:m]
    s, lt, kT, diag1, shrink = _diagonals(lam, alpha, T, batch, sigma_w2, weight_decay)
    Tf = T.astype(float)[:, None]
    r2 = (ratio ** 2) * sigma_w2                                       # σ*² per ratio
    out, solves = {}, 0
    want = set(quantities)
    bound_ok = np.isinf(batch) & (c is not None and alpha * lam[0] < 1.0
                                  and weight_decay == 0.0)            # per batch size
    if expectation != "draws":
        ev_y = lam * shrink ** 2                                        # E[ŷŷᵀ]/σ*², diagonal
        p1 = diag1[:, None] + r2[None, :, None, None] * (ev_y * lt)[None, None]
        p = p1 - r2[None, :, None, None] * (ev_y * kT ** 2)[None, None]
        if "P" in want:
            out["mean_P"] = dimensionality(p1 if expectation == "pooled" else p,
                                           fraction).astype(float)
        if "P1" in want:
            out["mean_P1"] = dimensionality(p1, fraction).astype(float)
        y2 = np.broadcast_to((r2 * lam_full.sum())[:, None], (ratio.size, T.size))  # E‖y‖²
        out.update(_bound_block(lam_full, c, alpha, T, y2.T, sigma_w2, fraction, want, bound_ok,
                                batch.size, ""))
        return out, 0
    z = z_full[:, :m]
    u = z * (np.sqrt(lam) * shrink)                                    # ŷ/σ*, (D, m)
    Lg = _log_a_products(s)                                            # shared over T
    need_P, need_P1 = "P" in want, "P1" in want
    res_P = np.zeros((batch.size, ratio.size, T.size, draws), dtype=np.int16)
    res_P1 = np.zeros_like(res_P)
    # T chunks small enough that the stack of matrices fits the batch budget
    per_T = max(1, draws * m * m * 8)
    step = max(1, _EIG_BATCH_BYTES // per_T)
    uu = u[:, :, None] * u[:, None, :]                                 # (D, m, m)
    diag_idx = np.arange(m)
    for t0 in range(0, T.size, step):
        sl = slice(t0, min(T.size, t0 + step))
        core = _core_stack(s, Lg, T[sl]) / Tf[sl, :, None]             # (t, m, m), mean norm.
        G = core[:, None] * uu[None]                                   # (t, D, m, m)
        H = None
        if need_P:
            mm = kT[sl, None, :] * u[None]                             # (t, D, m)
            H = G - mm[..., :, None] * mm[..., None, :]
        for ib in range(batch.size):
            dg = diag1[ib, sl][:, None, :]                             # (t, 1, m)
            for ir, rr in enumerate(r2):
                for name, base, store in (("P", H, res_P), ("P1", G, res_P1)):
                    if base is None or name not in want:
                        continue
                    if rr == 0.0:                                      # σ* = 0: diagonal
                        ev = np.broadcast_to(dg, base.shape[:-1])
                    else:
                        M = rr * base
                        M[..., diag_idx, diag_idx] += dg
                        ev = np.linalg.eigvalsh(M)
                        solves += M.shape[0] * M.shape[1]
                    store[ib, ir, sl] = dimensionality(ev, fraction)
    if need_P:
        out["mean_P"], out["draws_P"] = res_P.mean(axis=-1), res_P.astype(float)
    if need_P1:
        out["mean_P1"], out["draws_P1"] = res_P1.mean(axis=-1), res_P1.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink_full = np.where(lam_full > 0, lam_full / (lam_full + weight_decay), 0.0)
    u_full = z_full * (np.sqrt(lam_full) * shrink_full)                # every direction
    y2 = r2[:, None, None] * np.sum(u_full ** 2, axis=1)[None, None, :]  # ‖y‖², (R, 1, D)
    y2 = np.broadcast_to(y2, (ratio.size, T.size, draws)).transpose(1, 0, 2)   # (T, R, D)
    out.update(_bound_block(lam_full, c, alpha, T, y2, sigma_w2, fraction, want, bound_ok,
                            batch.size, "draws"))
    return out, solves


def _bound_block(lam, c, alpha, T, y2, sigma_w2, fraction, want, ok, n_batch, mode):
    """Bound quantities for y2 of shape (m_T, m_r[, D]) -> arrays (m_b, m_r, m_T[, D]); ``ok``
    (m_b,) says per batch size whether Lemma 5.2.3 applies at all."""
    out = {}
    names = [q for q in ("bound", "bound_profile") if q in want]
    if not names:
        return out
    shape = (n_batch,) + y2.shape[1:2] + y2.shape[:1] + y2.shape[2:]
    for name in names:
        vals = np.full(shape, np.nan)
        if np.any(ok):
            with np.errstate(divide="ignore", over="ignore"):
                q = np.where(y2 > 0, sigma_w2 / (alpha * y2), np.inf)   # inf: no bound
            u = bound_5_2_3_profiles(lam, c, alpha, T, q)              # (T, R[, D], n)
            k = _certified(u, fraction) if name == "bound" else dimensionality(u, fraction)
            k = np.where(np.isfinite(q), k, np.nan).astype(float)
            applicable = np.log(2.0 * T * alpha) >= 2.0 * c            # k* ≥ 1 (in logs)
            k[~applicable] = np.nan
            k = np.moveaxis(k, 0, 1)                                   # (R, T[, D])
            vals[ok] = k[None]
        if mode == "draws":
            out["mean_" + name] = vals.mean(axis=-1)
            out["draws_" + name] = vals
        else:
            out["mean_" + name] = vals
    return out


def _log_a_products(s: np.ndarray) -> np.ndarray:
    """log(a_i a_j) where a_i a_j > 0 (−inf where 0, NaN where negative)."""
    u = s[:, None] + s[None, :] - s[:, None] * s[None, :]              # 1 − a_i a_j
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log1p(-u)


def _core_stack(s: np.ndarray, L: np.ndarray, T: np.ndarray) -> np.ndarray:
    r"""(m_T, n, n) stack of :math:`\sum_{t<T}(a_ia_j)^t = (1-(a_ia_j)^T)/(1-a_ia_j)`,
    cancellation-free as :func:`hyperribbon.theory.linear_models.gd_closed_forms.target_gramian`."""
    u = s[:, None] + s[None, :] - s[:, None] * s[None, :]
    Tf = T.astype(float)[:, None, None]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        out = -np.expm1(Tf * L[None]) / u[None]
    if np.any(u == 0):                              # a_i a_j = 1 (λ_i = λ_j = 0): Σ_t 1 = T
        out = np.where(u[None] == 0, Tf, out)
    neg = (1.0 - u) < 0
    if np.any(neg):
        x = (1.0 - u)[neg]
        out[:, neg] = (1.0 - np.power(x[None, :], Tf[:, :, 0])) / u[neg][None, :]
    return out


# ================================================================== plumbing
def _progress(total: int, enabled: bool):
    if enabled:
        from tqdm.auto import tqdm
        return tqdm(total=total, desc="phase diagram", unit="block", leave=False)
    return _NoBar()


class _NoBar:
    def update(self, _):
        pass

    def close(self):
        pass


@contextlib.contextmanager
def _single_threaded_blas():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                                   # pragma: no cover - optional
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _key(spec: dict) -> str:
    return hashlib.sha1(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _load(ckpt, spec):
    if ckpt is None:
        return None
    path = ckpt / f"block_{_key(spec)}.npz"
    if not path.exists():
        return None
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _save(ckpt, spec, res):
    if ckpt is None:
        return
    path = ckpt / f"block_{_key(spec)}.npz"
    fd, tmp = tempfile.mkstemp(dir=ckpt, prefix=path.name + ".", suffix=".npz")
    os.close(fd)
    np.savez(tmp, **res)
    os.replace(tmp, path)
