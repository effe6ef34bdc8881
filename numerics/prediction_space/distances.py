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

Zeros are handled exactly: :math:`\sqrt{0} = 0`; a sample on which two models have disjoint
supports gives :math:`\mathrm d_B = +\infty` (the research code replaced such values by 100 and
:math:`\log 0` by +100, which is garbage); :math:`0\log 0 = 0` in the KL terms and a class that one
model excludes and the other does not gives :math:`\mathrm d_{sKL} = +\infty`.

:func:`pairwise_distances` computes (m, m) matrices for one set, or (m₁, m₂) matrices between two
sets, with the tile kernels of :mod:`hyperribbon.numerics.prediction_space._tiles` (a product of per-sample
coefficients replaces most logarithms for d_B); :func:`pairwise_reference` is the slow obvious
double loop over pairs that the tests compare against. The two-model functions
(:func:`bhattacharyya`, ...) use cancellation-free forms (:math:`1-\mathrm{BC}_n =
\frac12\|\sqrt{p}-\sqrt{q}\|^2`), so that tiny distances keep their relative accuracy.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> P = rng.dirichlet(np.ones(5), size=(6, 40))            # 6 models, 40 samples, 5 classes
>>> D = pairwise_distances(P)
>>> bool(np.allclose(D, pairwise_reference(P), rtol=0, atol=1e-12))
True
>>> bool(np.allclose(D[1, 4], bhattacharyya(P[1], P[4]), rtol=1e-12))
True
"""
from __future__ import annotations

import numbers

import numpy as np

from hyperribbon.theory.errors import InvalidArgument

from . import _tiles
from .probabilities import as_probabilities

__all__ = ["METRICS", "bhattacharyya", "geodesic_distance", "symmetric_kl", "euclidean",
           "distance", "per_sample_distances", "pairwise_distances", "pairwise_reference",
           "check_distance_matrix"]

METRICS = _tiles.METRICS
EPS = np.finfo(np.float64).eps


def check_metric(metric, owner: str) -> str:
    if metric not in METRICS:
        raise InvalidArgument("metric", owner, "be one of " + ", ".join(map(repr, METRICS)), metric)
    return metric


def _as_models(p, argument, owner):
    arr = np.asarray(p) if not type(p).__module__.startswith("torch") else p
    nd = getattr(arr, "ndim", 0)
    return as_probabilities(p, argument, owner, ndim=nd if nd in (2, 3) else 3)


def _pair(p, q, owner):
    p = _as_models(p, "p", owner)
    q = _as_models(q, "q", owner)
    if p.shape[-2:] != q.shape[-2:]:
        raise InvalidArgument("q", owner, f"have the same (N, C) = {p.shape[-2:]} as `p`", q)
    return p.astype(np.float64, copy=False), q.astype(np.float64, copy=False)


def per_sample_distances(p, q, metric: str = "bhattacharyya") -> np.ndarray:
    r"""The per-sample terms whose average over n is the distance (accurate forms).

    Parameters
    ----------
    p, q : (N, C) or (m, N, C) array_like
        Broadcast against each other over the leading axis.
    metric : str
        One of :data:`METRICS`.

    Returns
    -------
    (N,) or (m, N) ndarray
        :math:`-\log\mathrm{BC}_n`, :math:`\cos^{-1}\mathrm{BC}_n`,
        :math:`\sum_c (p-q)\log(p/q)` or :math:`\sum_c (p-q)^2`.
    """
    check_metric(metric, "per_sample_distances")
    p, q = _pair(p, q, "per_sample_distances")
    if metric in ("bhattacharyya", "geodesic"):
        sp, sq = np.sqrt(p), np.sqrt(q)
        h = 0.5 * np.sum((sp - sq) ** 2, axis=-1)               # 1 − BC_n, no cancellation
        if metric == "geodesic":
            return 2.0 * np.arcsin(np.minimum(np.sqrt(h / 2.0), np.sqrt(0.5)))
        bc = np.sum(sp * sq, axis=-1)
        with np.errstate(divide="ignore"):
            out = np.where(h < 0.5, -np.log1p(-np.minimum(h, 0.5)), -np.log(bc))
        return np.maximum(out, 0.0)
    if metric == "euclidean":
        return np.sum((p - q) ** 2, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (p - q) * (np.log(p) - np.log(q))
    both_zero = (p == 0) & (q == 0)
    terms = np.where(both_zero, 0.0, terms)
    return np.sum(terms, axis=-1)


def distance(p, q, metric: str = "bhattacharyya") -> np.ndarray | float:
    """The distance between models ``p`` and ``q`` (mean of :func:`per_sample_distances`).

    Returns a float for two (N, C) models, an (m,) array when either has a leading model axis.
    """
    out = np.mean(per_sample_distances(p, q, metric), axis=-1)
    return float(out) if np.ndim(out) == 0 else out


def bhattacharyya(p, q):
    r"""Bhattacharyya distance (eq. 2.2.2), :math:`-\frac1N\sum_n\log\sum_c\sqrt{p^n(c)q^n(c)}`.

    Parameters
    ----------
    p, q : (N, C) or (m, N, C) array_like

    Returns
    -------
    float or (m,) ndarray
    """
    return distance(p, q, "bhattacharyya")


def geodesic_distance(p, q):
    r"""Geodesic distance on the product of spheres (eq. 2.5.4),
    :math:`\frac1N\sum_n\cos^{-1}\sum_c\sqrt{p^n(c)q^n(c)}` (computed as
    :math:`2\arcsin(\|\sqrt{p^n}-\sqrt{q^n}\|/2)`)."""
    return distance(p, q, "geodesic")


def symmetric_kl(p, q):
    r"""Symmetrised KL divergence (eq. 2.5.3),
    :math:`\frac1N\sum_{n,c}(p^n(c)-q^n(c))\log(p^n(c)/q^n(c))`."""
    return distance(p, q, "symmetric_kl")


def euclidean(p, q):
    r"""Euclidean baseline of §2.5.4.3, :math:`\frac1N\sum_{n,c}(p^n(c)-q^n(c))^2`."""
    return distance(p, q, "euclidean")


def check_distance_matrix(D, argument: str = "D", owner: str = "check_distance_matrix", *,
                          square: bool = True):
    """A finite (symmetric, zero-diagonal when ``square``) float64 distance matrix.

    In-memory arrays are returned as float64 ndarrays; ``numpy.memmap`` and other array-likes
    with a ``shape`` (zarr) are checked block by block and returned unchanged.
    """
    lazy = isinstance(D, np.memmap) or (not isinstance(D, np.ndarray) and hasattr(D, "shape")
                                        and not type(D).__module__.startswith("torch"))
    if not lazy:
        try:
            D = np.asarray(D.detach().cpu().numpy() if hasattr(D, "detach") else D,
                           dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidArgument(argument, owner, "be a real matrix", D) from None
    if len(D.shape) != 2 or min(D.shape) == 0:
        raise InvalidArgument(argument, owner, "be a non-empty 2-D matrix", D)
    if square and D.shape[0] != D.shape[1]:
        raise InvalidArgument(argument, owner, "be square (m × m)", D)
    m = D.shape[0]
    step = max(1, 2 ** 24 // max(D.shape[1], 1))
    scale = 0.0
    for i in range(0, m, step):
        blk = np.asarray(D[i:i + step], dtype=np.float64)
        if not np.all(np.isfinite(blk)):
            raise InvalidArgument(argument, owner, "be finite (an infinite distance means disjoint "
                                  "supports on some sample; smooth the probabilities or drop "
                                  "those models)", D)
        scale = max(scale, float(np.max(np.abs(blk))))
    if square:
        tol = 64 * m * EPS * max(scale, 1e-300)
        for i in range(0, m, step):
            rows = np.asarray(D[i:i + step], dtype=np.float64)
            cols = np.asarray(D[:, i:i + step], dtype=np.float64).T
            if np.max(np.abs(rows - cols)) > tol:
                raise InvalidArgument(argument, owner, "be symmetric", D)
            if np.max(np.abs(np.diagonal(rows, offset=i))) > tol:
                raise InvalidArgument(argument, owner, "have a zero diagonal (distances of models "
                                      "to themselves)", D)
    return D


def _working_dtype(dtype, metric, owner):
    if dtype is None:
        return np.float64
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise InvalidArgument("dtype", owner, "be float32 or float64", str(dtype))
    return dt.type


def _positive_int(x, argument, owner, allow_none=True):
    if x is None and allow_none:
        return None
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 1:
        raise InvalidArgument(argument, owner, "be a positive integer", x)
    return int(x)


def pairwise_distances(A, B=None, *, metric: str = "bhattacharyya", dtype=None,
                       block_size: int = 1024, sample_block: int | None = None,
                       n_threads: int | None = None, atol: float | None = None) -> np.ndarray:
    r"""Matrix of distances between the models of ``A`` (and ``B``).

    .. math:: D_{uv} = \mathrm d(P_u, P_v), \qquad \mathrm d_B(P_u,P_v) =
       -\frac1N\sum_n\log\sum_c\sqrt{p_u^n(c)p_v^n(c)} \quad\text{(eq. 2.2.2)}

    Parameters
    ----------
    A : (m1, N, C) array_like or torch.Tensor
        Predicted probabilities of m1 models.
    B : (m2, N, C) array_like, optional
        A second set; default ``A`` (then D is symmetric with an exactly zero diagonal).
    metric : {"bhattacharyya", "geodesic", "symmetric_kl", "euclidean"}
    dtype : {None, numpy.float32, numpy.float64}
        Working precision of the per-sample inner products for the Bhattacharyya and geodesic
        distances (default float64; accumulation is always float64). float32 is about 2× faster;
        its absolute error per sample is ~C·ε₃₂ for d_B and ~√(2Cε₃₂) for d_G of
        near-identical pairs.
    block_size : int
        Models per packed block (memory ≈ 2 × the stack in ``dtype`` is held packed).
    sample_block : int, optional
        Samples multiplied together before one logarithm (d_B); default 16 (float32), 32 (float64).
    n_threads : int, optional
        Worker threads over sub-tiles (default: the CPUs available).
    atol : float, optional
        Tolerance on row sums (see :func:`~.probabilities.as_probabilities`).

    Returns
    -------
    (m1, m2) ndarray
        float64, non-negative (values below rounding clamped to 0), ``+inf`` where two models
        have disjoint supports on some sample (d_B, d_sKL).
    """
    owner = "pairwise_distances"
    check_metric(metric, owner)
    block_size = _positive_int(block_size, "block_size", owner, allow_none=False)
    sample_block = _positive_int(sample_block, "sample_block", owner)
    n_threads = _positive_int(n_threads, "n_threads", owner)
    dt = _working_dtype(dtype, metric, owner)
    A = as_probabilities(A, "A", owner, atol=atol)
    same = B is None
    if not same:
        B = as_probabilities(B, "B", owner, atol=atol)
        if B.shape[1:] != A.shape[1:]:
            raise InvalidArgument("B", owner, f"have the same (N, C) = {A.shape[1:]} as `A`", B)
    else:
        B = A
    N = A.shape[1]
    packs_a = [_tiles.pack(A[i:i + block_size], metric, dt) for i in range(0, len(A), block_size)]
    packs_b = packs_a if same else [_tiles.pack(B[j:j + block_size], metric, dt)
                                    for j in range(0, len(B), block_size)]
    D = np.empty((len(A), len(B)))
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


def pairwise_reference(A, B=None, *, metric: str = "bhattacharyya") -> np.ndarray:
    """Slow obvious reference: a double loop over pairs of the literal formulas.

    d_B: ``-mean(log(sum(sqrt(p*q), -1)))``; d_G: ``mean(arccos(clip(sum(sqrt(p*q), -1), 0, 1)))``;
    d_sKL: ``mean(sum((p-q)*log(p/q), -1))`` with 0·log 0 = 0; Euclidean:
    ``mean(sum((p-q)**2, -1))``. Diagonal of a one-set matrix is whatever the formula gives.
    """
    owner = "pairwise_reference"
    check_metric(metric, owner)
    A = as_probabilities(A, "A", owner).astype(np.float64)
    B = A if B is None else as_probabilities(B, "B", owner).astype(np.float64)
    D = np.empty((len(A), len(B)))
    for u in range(len(A)):
        for v in range(len(B)):
            p, q = A[u], B[v]
            with np.errstate(divide="ignore", invalid="ignore"):
                if metric == "bhattacharyya":
                    D[u, v] = -np.mean(np.log(np.sum(np.sqrt(p * q), axis=-1)))
                elif metric == "geodesic":
                    D[u, v] = np.mean(np.arccos(np.clip(np.sum(np.sqrt(p * q), axis=-1), 0, 1)))
                elif metric == "euclidean":
                    D[u, v] = np.mean(np.sum((p - q) ** 2, axis=-1))
                else:
                    t = (p - q) * np.log(p / q)
                    t[(p == 0) & (q == 0)] = 0.0
                    D[u, v] = np.mean(np.sum(t, axis=-1))
    return D
