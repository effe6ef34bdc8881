r"""Distances between product models on a fixed set of samples (thesis §2.2, §2.5.4.3).

For models :math:`P_u, P_v` with per-sample predictions :math:`p_u^n, p_v^n` (eq. 2.2.1):

* Bhattacharyya (eq. 2.2.2), the per-sample average
  :math:`\mathrm d_B = -\frac1N\sum_n \log\sum_c\sqrt{p_u^n(c)\,p_v^n(c)}`;
* geodesic distance on the product of spheres (eq. 2.5.4),
  :math:`\mathrm d_G = \frac1N\sum_n \cos^{-1}\sum_c\sqrt{p_u^n(c)\,p_v^n(c)}`;
* symmetrised Kullback–Leibler (eq. 2.5.3, IsKL),
  :math:`\mathrm d_{sKL} = \frac1N\sum_n\sum_c (p_u^n(c)-p_v^n(c))\log\frac{p_u^n(c)}{p_v^n(c)}`
  (= KL(u‖v) + KL(v‖u); no factor ½, as in the thesis);
* the Euclidean baseline of the PCA comparison (§2.5.4.3),
  :math:`\frac1N\sum_n\sum_c (p_u^n(c)-p_v^n(c))^2`.

Zeros are handled per support: :math:`\sqrt{0} = 0`; a sample on which two models have disjoint
supports gives :math:`\mathrm d_B = +\infty` (the research code replaced such values by 100 and
:math:`\log 0` by +100, which is garbage); :math:`0\log 0 = 0` in the KL terms where both models
exclude a class, and a class that one model excludes and the other does not gives
:math:`\mathrm d_{sKL} = +\infty`. These infinities are true values, and they remain in the log
domain: only disjoint supports (d_B) or a class excluded by exactly one model (d_sKL) give
:math:`+\infty`; the geodesic and Euclidean distances are always finite.

*Log domain* (``log=True``: log-probabilities, ``log="logits"``: logits; see
:mod:`~.probabilities`). Float32 networks output exact zeros in their softmax where the true
probability is merely below :math:`10^{-45}`; the distances computed from those zeros are
:math:`+\infty`. From the log-probabilities :math:`a = \log p` every distance is computed
exactly: :math:`\mathrm d_B = -\frac1N\sum_n\operatorname{logsumexp}_c\frac12(a_u^n(c) +
a_v^n(c))` (or :math:`-\mathrm{log1p}(-h)` near zero distance, with
:math:`\sqrt{p_u}-\sqrt{p_v} = e^{a_u/2}(-\mathrm{expm1}((a_v-a_u)/2))` for :math:`a_u\ge a_v`),
:math:`\mathrm d_G = \frac1N\sum_n 2\arcsin\sqrt{h_n/2}`, :math:`\mathrm d_{sKL} =
\frac1N\sum_{n,c}(p_u-p_v)(a_u-a_v)`.

*Accuracy.* Identical models are at distance exactly 0 on every path, and tiny distances keep
their relative accuracy: the two-model functions use the cancellation-free forms of
:mod:`._exact` everywhere (:math:`1-\mathrm{BC}_n = \frac12\|\sqrt{p}-\sqrt{q}\|^2` with
:math:`\sqrt p - \sqrt q = (p-q)/(\sqrt p + \sqrt q)`, :math:`\cos^{-1}` as
:math:`2\arcsin`, :math:`-\log\mathrm{BC}` by ``log1p``), and the tiles recompute with those
forms every pair whose d_B, d_sKL or Euclidean distance is below :math:`2^{-20}` of its scale
(:math:`2^{-10}` for d_B in float32), and every geodesic term whose inner product is within
:math:`2^{-20}` of 1 (see :mod:`._tiles`). Elsewhere the relative error of the float64 tiles is at
most about :math:`2^{20}C\varepsilon \approx 2\cdot10^{-10}C` (d_B, d_G) and
:math:`2^{20}NC\varepsilon` (d_sKL, Euclidean; in practice :math:`\sqrt{NC}` rather than NC).

:func:`pairwise_distances` computes (m, m) matrices for one set, or (m₁, m₂) matrices between two
sets, with the tile kernels of :mod:`hyperribbon.numerics.prediction_space._tiles` (a product of
per-sample coefficients replaces most logarithms for d_B), from arrays, tensors, paths or stacks
(read block by block); :func:`pairwise_reference` is the slow obvious double loop over pairs,
evaluated in mpmath at 40 digits, that the tests compare against. :func:`check_distance_matrix`
is the one validator of distance matrices used by every function that takes one.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> P = rng.dirichlet(np.ones(5), size=(6, 40))            # 6 models, 40 samples, 5 classes
>>> D = pairwise_distances(P)
>>> bool(np.allclose(D, pairwise_reference(P), rtol=0, atol=1e-12))
True
>>> bool(np.allclose(D[1, 4], bhattacharyya(P[1], P[4]), rtol=1e-12))
True
>>> bool(np.allclose(pairwise_distances(np.log(P), log=True), D, rtol=1e-12))
True
>>> float(pairwise_distances(np.stack([P[0], P[0]]), metric="geodesic")[0, 1])    # exactly 0
0.0
"""
from __future__ import annotations

import numbers
import warnings

import mpmath
import numpy as np

from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.prediction_space.arrays import as_array, is_lazy

from . import _exact
from .probabilities import as_models, check_log
from .stacks import open_stack, stack_kind

__all__ = ["METRICS", "bhattacharyya", "geodesic_distance", "symmetric_kl", "euclidean",
           "distance", "per_sample_distances", "pairwise_distances", "pairwise_reference",
           "check_distance_matrix", "UndefinedRatioWarning", "ratio"]

class _LazyTiles:
    """The torch tile kernels of :mod:`._tiles`, imported on first use: importing the distances
    (and so ``hyperribbon.numerics``) does not import torch."""

    def __getattr__(self, name):
        import importlib
        module = importlib.import_module(f"{__package__}._tiles")
        return getattr(module, name)


_tiles = _LazyTiles()


METRICS = _exact.METRICS
EPS = np.finfo(np.float64).eps


class UndefinedRatioWarning(UserWarning):
    """A fraction (explained stress, explained distances, relative error) whose denominator is
    0 was asked for; its value is ``nan``."""


def ratio(numerator, denominator, what: str, owner: str):
    """``numerator / denominator``, or ``nan`` with an :class:`UndefinedRatioWarning` naming
    ``what`` when the denominator is 0."""
    den = np.asarray(denominator, dtype=np.float64)
    if np.any(den == 0):
        warnings.warn(f"{owner}: {what} is undefined (its denominator is 0); returning nan",
                      UndefinedRatioWarning, stacklevel=3)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den == 0, np.nan, np.asarray(numerator, dtype=np.float64)
                        / np.where(den == 0, 1.0, den))


def check_metric(metric, owner: str) -> str:
    if not isinstance(metric, str) or metric not in METRICS:
        raise InvalidArgument("metric", owner, "be one of " + ", ".join(map(repr, METRICS)), metric)
    return metric


def _as_models(p, argument, owner, log):
    arr = as_array(p, argument, owner)
    nd = arr.ndim if arr.ndim in (2, 3) else 3
    return as_models(arr, argument, owner, log, ndim=nd).astype(np.float64, copy=False)


def _pair(p, q, owner, log):
    log = check_log(log, owner)
    p = _as_models(p, "p", owner, log)
    q = _as_models(q, "q", owner, log)
    if p.shape[-2:] != q.shape[-2:]:
        raise InvalidArgument("q", owner, f"have the same (N, C) = {p.shape[-2:]} as `p`", q)
    return p, q, bool(log)


def per_sample_distances(p, q, metric: str = "bhattacharyya", *, log=False) -> np.ndarray:
    r"""The per-sample terms whose average over n is the distance (accurate forms).

    Parameters
    ----------
    p, q : (N, C) or (m, N, C) array_like
        Broadcast against each other over the leading axis.
    metric : str
        One of :data:`METRICS`.
    log : {False, True, "logits"}
        Whether ``p`` and ``q`` are probabilities, log-probabilities or logits.

    Returns
    -------
    (N,) or (m, N) ndarray
        :math:`-\log\mathrm{BC}_n`, :math:`\cos^{-1}\mathrm{BC}_n`,
        :math:`\sum_c (p-q)\log(p/q)` or :math:`\sum_c (p-q)^2`.
    """
    check_metric(metric, "per_sample_distances")
    p, q, log = _pair(p, q, "per_sample_distances", log)
    return _exact.terms(p, q, metric, log)


def distance(p, q, metric: str = "bhattacharyya", *, log=False) -> np.ndarray | float:
    """The distance between models ``p`` and ``q`` (mean of :func:`per_sample_distances`).

    Returns a float for two (N, C) models, an (m,) array when either has a leading model axis.
    """
    check_metric(metric, "distance")
    p, q, log = _pair(p, q, "distance", log)
    out = np.mean(_exact.terms(p, q, metric, log), axis=-1)
    return float(out) if np.ndim(out) == 0 else out


def bhattacharyya(p, q, *, log=False):
    r"""Bhattacharyya distance (eq. 2.2.2), :math:`-\frac1N\sum_n\log\sum_c\sqrt{p^n(c)q^n(c)}`.

    Parameters
    ----------
    p, q : (N, C) or (m, N, C) array_like
    log : {False, True, "logits"}

    Returns
    -------
    float or (m,) ndarray
    """
    return distance(p, q, "bhattacharyya", log=log)


def geodesic_distance(p, q, *, log=False):
    r"""Geodesic distance on the product of spheres (eq. 2.5.4),
    :math:`\frac1N\sum_n\cos^{-1}\sum_c\sqrt{p^n(c)q^n(c)}` (computed as
    :math:`2\arcsin(\|\sqrt{p^n}-\sqrt{q^n}\|/2)`)."""
    return distance(p, q, "geodesic", log=log)


def symmetric_kl(p, q, *, log=False):
    r"""Symmetrised KL divergence (eq. 2.5.3),
    :math:`\frac1N\sum_{n,c}(p^n(c)-q^n(c))\log(p^n(c)/q^n(c))`."""
    return distance(p, q, "symmetric_kl", log=log)


def euclidean(p, q, *, log=False):
    r"""Euclidean baseline of §2.5.4.3, :math:`\frac1N\sum_{n,c}(p^n(c)-q^n(c))^2`."""
    return distance(p, q, "euclidean", log=log)


# ---------------------------------------------------------------- distance matrices
class _Clamped:
    """A lazy matrix read with rounding-level negative entries replaced by 0."""

    def __init__(self, base):
        self.base = base
        self.shape, self.dtype, self.ndim = tuple(base.shape), np.dtype(np.float64), 2

    def __getitem__(self, key):
        return np.maximum(np.asarray(self.base[key], dtype=np.float64), 0.0)

    def __array__(self, dtype=None, copy=None):
        out = self[:]
        return out if dtype is None else out.astype(dtype, copy=False)

    def __len__(self):
        return self.shape[0]


def check_distance_matrix(D, argument: str = "D", owner: str = "check_distance_matrix", *,
                          square: bool = True):
    r"""The one validator of distance matrices: finite, non-negative, and (when ``square``)
    symmetric with a zero diagonal, up to rounding.

    Rounding is :math:`64\,m\,\varepsilon\max|D|` (m the larger side): entries that are
    negative, asymmetric or on the diagonal by at most that much are set to 0 / symmetrised;
    anything larger is an error.

    Parameters
    ----------
    D : (m, m) or (m1, m2) array_like, torch.Tensor, path, memmap or zarr array
        In-memory inputs become float64 ndarrays (a copy when something was clamped); memmaps,
        zarr arrays and paths are checked block by block and returned lazily (wrapped so that
        rounding-level negatives read as 0).
    square : bool

    Raises
    ------
    InvalidArgument
        Not a non-empty 2-D matrix; NaN (the message says that a NaN marks an unfinished tile
        of an interrupted :func:`~.blocked.pairwise_to_disk`); ±inf (disjoint supports); a
        negative entry beyond rounding; asymmetry or a diagonal beyond rounding.
    """
    D = as_array(D, argument, owner, lazy=True)
    lazy = is_lazy(D)
    if not lazy:
        D = np.asarray(D, dtype=np.float64)
    if len(D.shape) != 2 or min(D.shape) == 0:
        raise InvalidArgument(argument, owner, "be a non-empty 2-D matrix", D)
    if square and D.shape[0] != D.shape[1]:
        raise InvalidArgument(argument, owner, "be square (m × m)", D)
    m = D.shape[0]
    step = max(1, 2 ** 24 // max(D.shape[1], 1))
    scale, low, where = 0.0, 0.0, None
    for i in range(0, m, step):
        blk = np.asarray(D[i:i + step], dtype=np.float64)
        if np.isnan(blk).any():
            r, c = (int(k) for k in np.argwhere(np.isnan(blk))[0])
            raise InvalidArgument(argument, owner, f"be free of NaN (entry ({i + r}, {c}) is "
                                  "NaN: an unfinished tile of an interrupted pairwise_to_disk, "
                                  "opened with allow_partial=True, or a failed computation)", D)
        if not np.isfinite(blk).all():
            r, c = (int(k) for k in np.argwhere(~np.isfinite(blk))[0])
            raise InvalidArgument(argument, owner, f"be finite (entry ({i + r}, {c}) is "
                                  f"{blk[r, c]}: an infinite distance means disjoint supports on "
                                  "some sample; compute from log-probabilities (log=True) if "
                                  "they come from an underflowing softmax, smooth the "
                                  "probabilities, or drop those models)", D)
        scale = max(scale, float(np.max(np.abs(blk))))
        k = int(np.argmin(blk))
        if blk.flat[k] < low:
            low, where = float(blk.flat[k]), (i + k // blk.shape[1], k % blk.shape[1])
    tol = 64 * max(D.shape) * EPS * scale
    if low < -tol:
        raise InvalidArgument(argument, owner, f"be non-negative (entry {where} is {low:.6g}, "
                              f"beyond rounding {tol:.3g}; distances are ≥ 0)", D)
    if square:
        for i in range(0, m, step):
            rows = np.asarray(D[i:i + step], dtype=np.float64)
            cols = np.asarray(D[:, i:i + step], dtype=np.float64).T
            if np.max(np.abs(rows - cols)) > tol:
                raise InvalidArgument(argument, owner, "be symmetric (beyond rounding "
                                      f"{tol:.3g})", D)
            if np.max(np.abs(np.diagonal(rows, offset=i))) > tol:
                raise InvalidArgument(argument, owner, "have a zero diagonal (distances of models "
                                      "to themselves)", D)
    if lazy:
        return _Clamped(D) if low < 0 else D
    if square and (low < 0 or not np.array_equal(D, D.T) or np.any(np.diagonal(D) != 0)):
        D = np.maximum((D + D.T) / 2, 0.0)
        np.fill_diagonal(D, 0.0)
    elif low < 0:
        D = np.maximum(D, 0.0)
    return D


def _working_dtype(dtype, owner):
    if dtype is None:
        return np.float64
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.float32, np.float64):
        raise InvalidArgument("dtype", owner, "be float32 or float64", str(dtype))
    return dt.type


def _positive_int(x, argument, owner, allow_none=True):
    if x is None and allow_none:
        return None
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 1:
        raise InvalidArgument(argument, owner, "be a positive integer", x)
    return int(x)


def model_blocks(X, argument: str, owner: str, kind, atol):
    """``(shape, read)`` for a stack of models: ``read(i, j)`` returns models ``i:j`` validated
    in the domain ``kind`` (in-memory inputs are validated once, lazy ones block by block)."""
    arr = as_array(X, argument, owner, lazy=True)
    if is_lazy(arr):
        st = open_stack(arr, atol=atol, log=kind)

        def read(i, j):
            return st.block(i, j, log=kind, argument=argument)

        return st.shape, read
    M = as_models(arr, argument, owner, kind, atol=atol)
    return M.shape, lambda i, j: M[i:j]


def pairwise_distances(A, B=None, *, metric: str = "bhattacharyya", dtype=None,
                       block_size: int = 1024, sample_block: int | None = None,
                       n_threads: int | None = None, atol: float | None = None,
                       log=None) -> np.ndarray:
    r"""Matrix of distances between the models of ``A`` (and ``B``).

    .. math:: D_{uv} = \mathrm d(P_u, P_v), \qquad \mathrm d_B(P_u,P_v) =
       -\frac1N\sum_n\log\sum_c\sqrt{p_u^n(c)p_v^n(c)} \quad\text{(eq. 2.2.2)}

    Parameters
    ----------
    A : (m1, N, C) array_like, torch.Tensor, path or ProbabilityStack
        Predicted probabilities (or log-probabilities, see ``log``) of m1 models; paths, stacks
        and lazy arrays are read block by block.
    B : (m2, N, C) array_like, optional
        A second set; default ``A`` (then D is symmetric with an exactly zero diagonal).
    metric : {"bhattacharyya", "geodesic", "symmetric_kl", "euclidean"}
    dtype : {None, numpy.float32, numpy.float64}
        Working precision of the per-sample inner products for the Bhattacharyya and geodesic
        distances (default float64; accumulation is always float64, and terms or pairs near zero
        distance are always recomputed in float64). float32 is up to 2× faster; its absolute
        error per sample is ~C·ε₃₂ (d_B pairs below 2^-10 are recomputed exactly).
    block_size : int
        Models per packed block (memory ≈ 2 × the stack in ``dtype`` is held packed).
    sample_block : int, optional
        Samples multiplied together before one logarithm (d_B); default 16 (float32), 32 (float64).
    n_threads : int, optional
        Worker threads over sub-tiles (default: the CPUs available).
    atol : float, optional
        Tolerance on row sums (see :func:`~.probabilities.as_probabilities`).
    log : {None, False, True, "logits"}
        ``A`` and ``B`` hold probabilities (False), log-probabilities (True) or logits; None: the
        kind ``A`` was opened with if it is a stack, else probabilities.

    Returns
    -------
    (m1, m2) ndarray
        float64, non-negative, ``+inf`` where two models have disjoint supports on some sample
        (d_B) or one excludes a class the other does not (d_sKL).
    """
    owner = "pairwise_distances"
    check_metric(metric, owner)
    block_size = _positive_int(block_size, "block_size", owner, allow_none=False)
    sample_block = _positive_int(sample_block, "sample_block", owner)
    n_threads = _positive_int(n_threads, "n_threads", owner)
    dt = _working_dtype(dtype, owner)
    kind = stack_kind(A, log, owner)
    shape_a, read_a = model_blocks(A, "A", owner, kind, atol)
    same = B is None
    if not same:
        shape_b, read_b = model_blocks(B, "B", owner, kind, atol)
        if shape_b[1:] != shape_a[1:]:
            raise InvalidArgument("B", owner, f"have the same (N, C) = {shape_a[1:]} as `A`",
                                  f"shape {shape_b}")
    else:
        shape_b, read_b = shape_a, read_a
    N, lg = shape_a[1], bool(kind)
    packs_a = [_tiles.pack(read_a(i, min(i + block_size, shape_a[0])), metric, dt, lg)
               for i in range(0, shape_a[0], block_size)]
    packs_b = packs_a if same else [_tiles.pack(read_b(j, min(j + block_size, shape_b[0])),
                                                metric, dt, lg)
                                    for j in range(0, shape_b[0], block_size)]
    D = np.empty((shape_a[0], shape_b[0]))
    for bi, pa in enumerate(packs_a):
        i = bi * block_size
        for bj, pb in enumerate(packs_b):
            if same and bj < bi:
                continue
            j = bj * block_size
            t = _tiles.tile(pa, pb, sample_block=sample_block, n_threads=n_threads,
                            symmetric=same and bi == bj)
            D[i:i + t.shape[0], j:j + t.shape[1]] = t
            if same and bj > bi:
                D[j:j + t.shape[1], i:i + t.shape[0]] = t.T
    D /= N
    np.maximum(D, 0.0, out=D)
    if same:
        D = np.triu(D) + np.triu(D, 1).T
        np.fill_diagonal(D, 0.0)
    return D


def _mp_terms(p, q, metric, log):
    """One sample's distance term in mpmath (working precision set by the caller)."""
    if log:
        lp = [mpmath.mpf(x) if np.isfinite(x) else None for x in p]
        lq = [mpmath.mpf(x) if np.isfinite(x) else None for x in q]
        pp = [mpmath.exp(x) if x is not None else mpmath.mpf(0) for x in lp]
        qq = [mpmath.exp(x) if x is not None else mpmath.mpf(0) for x in lq]
    else:
        pp, qq = [mpmath.mpf(float(x)) for x in p], [mpmath.mpf(float(x)) for x in q]
        lp = [mpmath.log(x) if x > 0 else None for x in pp]
        lq = [mpmath.log(x) if x > 0 else None for x in qq]
    if metric == "euclidean":
        return mpmath.fsum((x - y) ** 2 for x, y in zip(pp, qq))
    if metric == "symmetric_kl":
        tot = mpmath.mpf(0)
        for x, y, a, b in zip(pp, qq, lp, lq):
            if a is None and b is None:
                continue
            if a is None or b is None:
                return mpmath.inf
            tot += (x - y) * (a - b)
        return tot
    h = mpmath.fsum((mpmath.sqrt(x) - mpmath.sqrt(y)) ** 2 for x, y in zip(pp, qq)) / 2
    if metric == "geodesic":
        return 2 * mpmath.asin(mpmath.sqrt(min(h, mpmath.mpf(1)) / 2))
    if h < 0.5:
        return -mpmath.log1p(-h)
    bc = mpmath.fsum(mpmath.sqrt(x) * mpmath.sqrt(y) for x, y in zip(pp, qq))
    return -mpmath.log(bc) if bc > 0 else mpmath.inf


def pairwise_reference(A, B=None, *, metric: str = "bhattacharyya", log=False,
                       dps: int = 40) -> np.ndarray:
    r"""Slow obvious reference: a double loop over pairs and samples, in mpmath at ``dps`` digits.

    Per sample: :math:`h = \frac12\sum_c(\sqrt p - \sqrt q)^2`; d_B :math:`= -\log(1-h)` for
    :math:`h < \frac12`, else :math:`-\log\sum_c\sqrt p\sqrt q`; d_G :math:`= 2\arcsin\sqrt{h/2}`
    (:math:`=\cos^{-1}(1-h)`); d_sKL :math:`= \sum_c (p-q)(\log p - \log q)` with
    :math:`0\log 0 = 0`; Euclidean :math:`\sum_c (p-q)^2`. In the log domain p is
    :math:`e^a` computed in mpmath (never underflows). Every float64 input is exact in mpmath, so
    this is accurate to far below float64 rounding (it is the oracle of the tests).
    """
    owner = "pairwise_reference"
    check_metric(metric, owner)
    kind = check_log(log, owner)
    A = as_models(A, "A", owner, kind).astype(np.float64)
    B = A if B is None else as_models(B, "B", owner, kind).astype(np.float64)
    D = np.empty((len(A), len(B)))
    with mpmath.workdps(dps):
        for u in range(len(A)):
            for v in range(len(B)):
                t = [_mp_terms(A[u, n], B[v, n], metric, bool(kind)) for n in range(A.shape[1])]
                D[u, v] = float(mpmath.fsum(t) / len(t))
    return D
