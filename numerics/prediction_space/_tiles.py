r"""Tile kernels: pairwise distance sums between two blocks of models (private).

A *pack* is a block of models prepared once for a metric (square roots in the sample-major layout
for the Bhattacharyya and geodesic distances, flattened probabilities and logarithms for the
symmetrised KL divergence, ...). :func:`tile` returns, for every pair of models of two packs, the
distance summed over the N samples (float64, not yet divided by N).

The Bhattacharyya kernel avoids one logarithm per (pair, sample): within a group of ``nb`` samples
it multiplies the per-sample coefficients and takes one logarithm of the product,

.. math:: \sum_{n\in g}\log \mathrm{BC}_n = \log\prod_{n\in g}\mathrm{BC}_n ,

falling back to the sum of logarithms for the pairs whose product drops below
:math:`2^{-100}` (float32) or :math:`2^{-1000}` (float64), i.e. before it could lose bits to
underflow; the samples of those pairs whose coefficient is below :math:`2^{-60}` (float32) or
:math:`2^{-500}` (float64) are recomputed exactly, :math:`\log\mathrm{BC}_n =
\operatorname{logsumexp}_c\frac12(\log p + \log q)` (exact zeros give :math:`+\infty`, as they
should). Work is sub-tiled so that the (nb, tile, tile) batch of inner products stays in cache.

*Near zero distance.* An inner product :math:`\mathrm{BC}_n` close to 1 carries an absolute
rounding error of a few :math:`C\varepsilon_w` (working precision), so
:math:`h_n = 1-\mathrm{BC}_n` loses its relative accuracy. Every (pair, sample) with
:math:`h_n < \tau` (:math:`\tau = 2^{-20}` in float64, :math:`2^{-10}` in float32) is recomputed
in float64, in two tiers:

1. *centred product*: with a per-sample reference :math:`\rho^n` (the mean of the sub-tile's
   models) and :math:`\delta_u = \sqrt{p_u} - \sqrt{\rho} = (p_u - \rho)/(\sqrt{p_u} +
   \sqrt\rho)` (no cancellation, relative error ε of its own size),
   :math:`h = \tfrac12(\|\delta_u\|^2 + \|\delta_v\|^2) - \delta_u\cdot\delta_v` is one more
   batched product whose rounding error is :math:`\approx C\varepsilon(\|\delta_u\|^2 +
   \|\delta_v\|^2)` instead of :math:`C\varepsilon`: accepted where
   :math:`h \ge 2^{-20}(\|\delta_u\|^2 + \|\delta_v\|^2)`. Confident networks that agree on a
   sample are all close to its reference, so this tier takes almost every such entry;
2. *exact*: the rest (identical or nearly identical models, models far from the reference) with
   the cancellation-free forms of :mod:`._exact` (:math:`h = \tfrac12\|\sqrt p - \sqrt q\|^2`,
   :math:`\sqrt p-\sqrt q = (p-q)/(\sqrt p+\sqrt q)`).

The terms are then :math:`-\mathrm{log1p}(-h)` and :math:`2\arcsin\sqrt{h/2}`. Identical models
therefore give exactly 0 and tiny distances keep their relative accuracy; elsewhere the relative
error of a term is at most about :math:`C\varepsilon_w/\tau`, i.e. :math:`C\varepsilon\,2^{20}
\approx 2\cdot10^{-10}C` in float64. The symmetrised KL and
Euclidean tiles are matrix products (:math:`h_u + h_v - P_uL_v^\top - L_uP_v^\top`,
:math:`\|p_u\|^2 + \|p_v\|^2 - 2p_u\cdot p_v`); a pair whose result is below
:math:`2^{-20}` times the size of those terms is recomputed exactly, term by term.

*Log domain.* A pack built from log-probabilities (``log=True``) holds
:math:`\sqrt p = e^{a/2}` in float64 (it underflows only for :math:`a < -1490`) and the logs for
the exact recomputations, so that distances stay finite and exact where the probabilities
themselves underflow.
"""
from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from . import _exact

__all__ = ["pack", "tile", "METRICS", "DEFAULT_SAMPLE_BLOCK", "single_threaded_torch",
           "default_threads"]

METRICS = ("bhattacharyya", "geodesic", "symmetric_kl", "euclidean")
DEFAULT_SAMPLE_BLOCK = {torch.float32: 16, torch.float64: 32}
_TINY = {torch.float32: 2.0 ** -100, torch.float64: 2.0 ** -1000}
_TINY_ENTRY = {torch.float32: 2.0 ** -60, torch.float64: 2.0 ** -500}
NEAR = {torch.float32: 2.0 ** -10, torch.float64: 2.0 ** -20}
CENTRED = 2.0 ** -20
PAIR_NEAR = 2.0 ** -20
SUBTILE = 128


_LOCK = threading.Lock()
_DEPTH = [0, 0]     # [active users, saved thread count]


@contextlib.contextmanager
def single_threaded_torch():
    """Run torch ops single-threaded inside (parallelism comes from our own thread pool).

    Small in-cache kernels run several times faster one per core than with intra-op OpenMP
    threads, whose barriers stall when the cores are shared with other processes.
    """
    with _LOCK:
        if _DEPTH[0] == 0:
            _DEPTH[1] = torch.get_num_threads()
            torch.set_num_threads(1)
        _DEPTH[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH[0] -= 1
            if _DEPTH[0] == 0:
                torch.set_num_threads(_DEPTH[1])


def default_threads() -> int:
    """Worker threads for sub-tiles: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:      # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _torch_dtype(dtype) -> torch.dtype:
    return torch.float32 if np.dtype(dtype) == np.float32 else torch.float64


def pack(block: np.ndarray, metric: str, dtype=np.float64, log: bool = False) -> dict:
    """Prepare a validated (b, N, C) block for :func:`tile`: probabilities, or normalised float64
    log-probabilities with ``log=True``."""
    tdt = _torch_dtype(dtype)
    X = np.ascontiguousarray(block)
    if not X.flags.writeable:                      # torch wants writable memory (memmap blocks)
        X = X.copy()
    base = {"metric": metric, "n": X.shape[0], "X": X, "log": bool(log)}
    if metric in ("bhattacharyya", "geodesic"):
        if log:
            s = torch.from_numpy(np.exp(0.5 * X)).to(tdt)
        else:
            s = torch.from_numpy(X).to(tdt).sqrt()
        return {**base, "S": s.transpose(0, 1).contiguous(),       # (N, b, C)
                "St": s.permute(1, 2, 0).contiguous()}             # (N, C, b)
    flat = X.reshape(X.shape[0], -1).astype(np.float64, copy=False)
    P = torch.from_numpy(np.exp(flat) if log else flat)
    if metric == "euclidean":
        return {**base, "P": P, "sq": (P * P).sum(1)}
    zero = torch.from_numpy(np.isneginf(flat)) if log else P == 0
    logs = torch.from_numpy(flat) if log else torch.log(P)
    logs = torch.where(zero, torch.zeros((), dtype=torch.float64), logs)
    out = {**base, "P": P, "L": logs, "h": (P * logs).sum(1), "Z": None}
    if bool(zero.any()):
        out["Z"] = zero.to(torch.float64)
        out["NZ"] = (~zero).to(torch.float64)
    return out


def _rows(p: dict, idx: np.ndarray) -> np.ndarray:
    return p["X"][idx].astype(np.float64, copy=False)


def _recompute_pairs(a: dict, b: dict, d: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Exact sums over samples for the pairs whose matrix-product result is below
    ``PAIR_NEAR * scale`` (cancellation), in place."""
    i, j = np.nonzero(np.isfinite(d) & (d <= PAIR_NEAR * scale))
    if i.size == 0:
        return d
    per = a["X"][0].size
    step = max(1, 2 ** 21 // per)
    for k in range(0, i.size, step):
        ii, jj = i[k:k + step], j[k:k + step]
        t = _exact.terms(_rows(a, ii), _rows(b, jj), a["metric"], a["log"])
        d[ii, jj] = t.sum(axis=-1)
    return d


def tile(a: dict, b: dict, *, sample_block: int | None = None, n_threads: int | None = None,
         symmetric: bool = False) -> np.ndarray:
    """Distances summed over samples between the models of packs ``a`` and ``b``: (na, nb).

    ``symmetric=True`` (``a`` is ``b``) computes the upper sub-tiles only and mirrors them.
    """
    metric = a["metric"]
    if metric == "euclidean":
        scale = a["sq"][:, None] + b["sq"][None, :]
        d = (scale - 2.0 * (a["P"] @ b["P"].T)).numpy()
        d = _recompute_pairs(a, b, d, scale.numpy())
        return _mirror(d) if symmetric else d
    if metric == "symmetric_kl":
        x, y = a["P"] @ b["L"].T, a["L"] @ b["P"].T
        d = a["h"][:, None] + b["h"][None, :] - x - y
        if a["Z"] is not None or b["Z"] is not None:
            za = a["Z"] if a["Z"] is not None else torch.zeros_like(a["P"])
            zb = b["Z"] if b["Z"] is not None else torch.zeros_like(b["P"])
            nza = a.get("NZ", torch.ones_like(a["P"]))
            nzb = b.get("NZ", torch.ones_like(b["P"]))
            bad = (nza @ zb.T + za @ nzb.T) > 0.5
            d = torch.where(bad, torch.full((), np.inf, dtype=torch.float64), d)
        scale = (a["h"].abs()[:, None] + b["h"].abs()[None, :] + x.abs() + y.abs()).numpy()
        d = _recompute_pairs(a, b, d.numpy(), scale)
        return _mirror(d) if symmetric else d
    S, St = a["S"], b["St"]
    N = S.shape[0]
    nb = int(sample_block or DEFAULT_SAMPLE_BLOCK[S.dtype])
    out = np.empty((a["n"], b["n"]))
    kernel = _bhattacharyya if metric == "bhattacharyya" else _geodesic
    jobs = [(i, j) for i in range(0, a["n"], SUBTILE) for j in range(0, b["n"], SUBTILE)
            if not symmetric or j >= i]

    def run(ij):
        i, j = ij
        exact = _Exact(a, b, i, j, metric, symmetric and i == j)
        out[i:i + SUBTILE, j:j + SUBTILE] = kernel(S[:, i:i + SUBTILE],
                                                   St[:, :, j:j + SUBTILE], N, nb, exact).numpy()

    threads = default_threads() if n_threads is None else int(n_threads)
    with single_threaded_torch():
        if threads <= 1 or len(jobs) == 1:
            for ij in jobs:
                run(ij)
        else:
            with ThreadPoolExecutor(max_workers=min(threads, len(jobs))) as pool:
                list(pool.map(run, jobs))
    return _mirror(out) if symmetric else out


def _mirror(out: np.ndarray) -> np.ndarray:
    """The symmetric matrix with the upper triangle of ``out``."""
    return np.triu(out) + np.triu(out, 1).T


class _Exact:
    """Exact float64 recomputation of chosen (sample, pair) entries of a sub-tile."""

    def __init__(self, a, b, i0, j0, metric, diagonal=False):
        self.a, self.b, self.i0, self.j0, self.metric = a, b, i0, j0, metric
        self.diagonal = diagonal            # a sub-tile of a model block with itself

    def _xy(self, s, i, j):
        x = self.a["X"][self.i0 + i, s].astype(np.float64, copy=False)
        y = self.b["X"][self.j0 + j, s].astype(np.float64, copy=False)
        return x, y

    def log_bc(self, s, i, j) -> np.ndarray:
        x, y = self._xy(s, i, j)
        return _exact.log_bc(x, y, self.a["log"])

    def centred(self, ss: np.ndarray, ba: int, bb: int):
        r"""Dense :math:`h = \tfrac12(\|\delta_u\|^2 + \|\delta_v\|^2) - \delta_u\cdot\delta_v`
        for samples ``ss`` and all pairs of the sub-tile, and its scale
        :math:`\|\delta_u\|^2 + \|\delta_v\|^2`: two (ks, ba, bb) float64 tensors."""
        log = self.a["log"]
        xa = self.a["X"][self.i0:self.i0 + ba, ss].astype(np.float64, copy=False)
        xb = self.b["X"][self.j0:self.j0 + bb, ss].astype(np.float64, copy=False)
        delta = _centre(np.concatenate([xa, xb]), log)                # (ba + bb, ks, C)
        da = torch.from_numpy(np.ascontiguousarray(delta[:ba].transpose(1, 0, 2)))
        db = torch.from_numpy(np.ascontiguousarray(delta[ba:].transpose(1, 2, 0)))
        na, nb = (da * da).sum(2), (db * db).sum(1)
        size = na[:, :, None] + nb[:, None, :]
        return 0.5 * size - torch.bmm(da, db), size


def _centre(x: np.ndarray, log: bool) -> np.ndarray:
    r""":math:`\delta = \sqrt p - \sqrt\rho` of (K, ks, C) models, per sample around the mean of
    the models or the vertex at its argmax, whichever leaves the models closer (median
    :math:`\|\delta\|^2`); computed without cancellation (:func:`._exact.sqrt_diff`)."""
    K = x.shape[0]
    mean = _exact.logsumexp(x, 0) - np.log(K) if log else x.mean(axis=0)
    top = mean.argmax(axis=-1)
    hot = np.arange(x.shape[-1]) == top[:, None]
    vertex = np.where(hot, 0.0, -np.inf) if log else hot.astype(np.float64)
    dm = _exact.sqrt_diff(x, mean[None], log)
    dv = _exact.sqrt_diff(x, vertex[None], log)
    use_vertex = np.median(np.einsum("kmc,kmc->km", dv, dv), axis=0) < \
        np.median(np.einsum("kmc,kmc->km", dm, dm), axis=0)
    return np.where(use_vertex[None, :, None], dv, dm)


def _near_entries(g: torch.Tensor, s0: int, exact: _Exact, acc: torch.Tensor, metric: str):
    """Replace entries with 1 − BC < τ by 1 in ``g`` and add their accurate terms to ``acc``
    (d_B: the log-coefficients log1p(−h); d_G: the angles 2 arcsin √(h/2))."""
    near = g > 1.0 - NEAR[g.dtype]
    if not bool(near.any()):
        return
    ss = near.flatten(1).any(1).nonzero().squeeze(1)
    h, size = exact.centred(ss.numpy() + s0, g.shape[1], g.shape[2])
    mask = near[ss]
    bad = mask & ~(h >= CENTRED * size)
    if exact.diagonal:                       # a model and itself: h = 0 exactly
        idx = torch.arange(min(h.shape[1], h.shape[2]))
        h[:, idx, idx] = 0.0
        bad[:, idx, idx] = False
    if bool(bad.any()):
        s, i, j = bad.nonzero(as_tuple=True)
        x, y = exact._xy(ss[s].numpy() + s0, i.numpy(), j.numpy())
        h[s, i, j] = torch.from_numpy(_exact.half_chord2(x, y, exact.a["log"]))
    h.clamp_(0.0, 0.5)
    t = torch.log1p(-h) if metric == "bhattacharyya" else 2.0 * torch.asin(torch.sqrt(h / 2.0))
    acc.add_(torch.where(mask, t, torch.zeros((), dtype=torch.float64)).sum(0))
    g.masked_fill_(near, 1.0)


def _bhattacharyya(S, St, N, nb, exact) -> torch.Tensor:
    ba, bb, dt = S.shape[1], St.shape[2], S.dtype
    tiny, tiny_entry = _TINY[dt], _TINY_ENTRY[dt]
    acc = torch.zeros(ba, bb, dtype=torch.float64)          # Σ log BC_n
    G = torch.empty(nb, ba, bb, dtype=dt)
    P = torch.empty(ba, bb, dtype=dt)
    for s0 in range(0, N, nb):
        k = min(nb, N - s0)
        g = G[:k]
        torch.bmm(S[s0:s0 + k], St[s0:s0 + k], out=g)
        _near_entries(g, s0, exact, acc, "bhattacharyya")    # adds log BC_n = log1p(−h)
        torch.prod(g, 0, out=P)
        bad = P < tiny
        if bool(bad.any()):
            i0, i1 = bad.nonzero(as_tuple=True)
            gb = g[:, i0, i1].to(torch.float64)              # (k, K)
            logs = torch.log(gb)
            small = gb < tiny_entry
            if bool(small.any()):
                s, kk = (t.numpy() for t in small.nonzero(as_tuple=True))
                i, j = i0.numpy()[kk], i1.numpy()[kk]
                logs[small] = torch.from_numpy(exact.log_bc(s + s0, i, j))
            acc.index_put_((i0, i1), logs.sum(0), accumulate=True)
            P[i0, i1] = 1.0
        acc.add_(P.log_())
    return acc.neg_()


def _geodesic(S, St, N, nb, exact) -> torch.Tensor:
    ba, bb, dt = S.shape[1], St.shape[2], S.dtype
    acc = torch.zeros(ba, bb, dtype=torch.float64)
    G = torch.empty(nb, ba, bb, dtype=dt)
    for s0 in range(0, N, nb):
        k = min(nb, N - s0)
        g = G[:k]
        torch.bmm(S[s0:s0 + k], St[s0:s0 + k], out=g)
        _near_entries(g, s0, exact, acc, "geodesic")
        g.clamp_(max=1.0).acos_()
        acc.add_(g.sum(0, dtype=torch.float64))
    return acc
