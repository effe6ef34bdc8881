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
rounding error of a few :math:`C\varepsilon_w` (working precision), so :math:`h_n = 1 -
\mathrm{BC}_n` loses its relative accuracy. Two remedies, by metric:

* Bhattacharyya: that absolute error of :math:`C\varepsilon_w` per term is harmless unless the
  whole distance is small, so every *pair* whose tile result is below :math:`\tau_B`
  (:math:`2^{-20}` in float64, :math:`2^{-10}` in float32) is recomputed exactly, term by term,
  with the cancellation-free forms of :mod:`._exact`. Elsewhere the relative error is at most
  about :math:`C\varepsilon_w/\tau_B` (:math:`2\cdot10^{-10}C` in float64, :math:`10^{-4}C` in
  float32, as documented for the float32 working precision).
* Geodesic: ``arccos`` near 1 turns that error into :math:`C\varepsilon_w/\sqrt{2h}`, so every
  (pair, sample) with :math:`h_n < \tau` (:math:`2^{-20}` in float64, :math:`2^{-10}` in float32)
  is recomputed in float64, in two tiers:

  1. *centred product*: with a per-sample reference :math:`\rho^n` (the mean of the sub-tile's
     models, or the vertex at its largest class when that class has more than half the mass)
     and :math:`\delta_u = \sqrt{p_u} - \sqrt{\rho} = (p_u - \rho)/(\sqrt{p_u} + \sqrt{\rho})`
     (no cancellation), :math:`h = \tfrac12(\|\delta_u\|^2 + \|\delta_v\|^2) - \delta_u\cdot
     \delta_v` is one more batched product whose rounding error is :math:`\approx C\varepsilon
     (\|\delta_u\|^2 + \|\delta_v\|^2)`: accepted where :math:`h \ge 2^{-20}(\|\delta_u\|^2 +
     \|\delta_v\|^2)`. Models that agree on a sample are all close to its reference, so this tier
     takes almost every such entry;
  2. *exact*: the rest (identical or nearly identical models) with :mod:`._exact`;

  the terms are then :math:`2\arcsin\sqrt{h/2}`.

Identical models therefore give exactly 0 and tiny distances keep their relative accuracy on
every metric. The symmetrised KL and Euclidean tiles are matrix products (:math:`h_u + h_v -
P_uL_v^\top - L_uP_v^\top`, :math:`\|p_u\|^2 + \|p_v\|^2 - 2p_u\cdot p_v`); a pair whose result is
below :math:`2^{-20}` times the size of those terms is recomputed exactly, term by term.

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

METRICS = _exact.METRICS
DEFAULT_SAMPLE_BLOCK = {torch.float32: 16, torch.float64: 32}
_TINY = {torch.float32: 2.0 ** -100, torch.float64: 2.0 ** -1000}
_TINY_ENTRY = {torch.float32: 2.0 ** -60, torch.float64: 2.0 ** -500}
NEAR = {torch.float32: 2.0 ** -10, torch.float64: 2.0 ** -20}       # geodesic, per entry
NEAR_PAIR_B = {torch.float32: 2.0 ** -10, torch.float64: 2.0 ** -20}  # Bhattacharyya, per pair
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
    base = {"metric": metric, "n": X.shape[0], "X": X, "Xt": torch.from_numpy(X),
            "log": bool(log), "tdt": tdt}
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


def _recompute_pairs(a: dict, b: dict, d: np.ndarray, limit, symmetric: bool = False):
    """Exact sums over samples, in place, for the pairs whose fast result is at most ``limit``
    (cancellation: tiny distances, identical models); a model paired with itself in a symmetric
    tile is set to 0 directly."""
    close = np.isfinite(d) & (d <= limit)
    if symmetric:                        # only the upper triangle is computed (then mirrored)
        close &= np.triu(np.ones(d.shape, dtype=bool), 1)
        np.fill_diagonal(d, 0.0)
    i, j = np.nonzero(close)
    if i.size == 0:
        return d
    per = a["X"][0].size
    step = max(1, 2 ** 20 // per)
    with single_threaded_torch():
        _recompute(a, b, d, i, j, step)
    return d


def _recompute(a, b, d, i, j, step):
    for k in range(0, i.size, step):
        ii, jj = i[k:k + step], j[k:k + step]
        if a["metric"] == "bhattacharyya":
            t = _bhattacharyya_exact(a["Xt"][ii].double(), b["Xt"][jj].double(), a["log"])
        else:
            t = _exact.terms(_rows(a, ii), _rows(b, jj), a["metric"], a["log"]).sum(axis=-1)
        d[ii, jj] = t


def _bhattacharyya_exact(x: torch.Tensor, y: torch.Tensor, log: bool) -> np.ndarray:
    r""":math:`\sum_n -\log\mathrm{BC}_n` of (K, N, C) pairs, exactly: :math:`-\mathrm{log1p}(-h)`
    with :math:`h = \frac12\|\sqrt p-\sqrt q\|^2` from cancellation-free differences, and
    :math:`-\operatorname{logsumexp}\frac12(\log p + \log q)` where :math:`h \ge \frac12`."""
    d = _sqrt_diff(x, y, log)
    h = 0.5 * (d * d).sum(-1)
    far = h >= 0.5
    t = -torch.log1p(-h.clamp(max=0.5))
    if bool(far.any()):
        lx, ly = (x, y) if log else (torch.log(x), torch.log(y))
        t = torch.where(far, -torch.logsumexp(0.5 * (lx + ly), -1), t)
    return t.clamp_(min=0.0).sum(-1).numpy()


def tile(a: dict, b: dict, *, sample_block: int | None = None, n_threads: int | None = None,
         symmetric: bool = False) -> np.ndarray:
    """Distances summed over samples between the models of packs ``a`` and ``b``: (na, nb).

    ``symmetric=True`` (``a`` is ``b``) computes the upper sub-tiles only and mirrors them.
    """
    metric = a["metric"]
    if metric == "euclidean":
        scale = a["sq"][:, None] + b["sq"][None, :]
        d = (scale - 2.0 * (a["P"] @ b["P"].T)).numpy()
        d = _recompute_pairs(a, b, d, PAIR_NEAR * scale.numpy(), symmetric)
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
        d = _recompute_pairs(a, b, d.numpy(), PAIR_NEAR * scale, symmetric)
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
        exact = _Exact(a, b, i, j, symmetric and i == j)
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
    if metric == "bhattacharyya":
        out = _recompute_pairs(a, b, out, NEAR_PAIR_B[S.dtype] * N, symmetric)
    return _mirror(out) if symmetric else out


def _mirror(out: np.ndarray) -> np.ndarray:
    """The symmetric matrix with the upper triangle of ``out``."""
    return np.triu(out) + np.triu(out, 1).T


def _sqrt_diff(x: torch.Tensor, y: torch.Tensor, log: bool) -> torch.Tensor:
    r""":math:`\sqrt p - \sqrt q` without cancellation (torch twin of :func:`._exact.sqrt_diff`)."""
    if not log:
        den = x.sqrt() + y.sqrt()
        return torch.where(den > 0, (x - y) / den, torch.zeros((), dtype=den.dtype))
    x, y = 0.5 * x, 0.5 * y
    hi, lo = torch.maximum(x, y), torch.minimum(x, y)
    both = torch.isneginf(hi)
    mag = torch.exp(hi) * -torch.expm1(torch.where(both, torch.zeros((), dtype=hi.dtype),
                                                   lo - hi))
    mag = torch.where(both, torch.zeros((), dtype=hi.dtype), mag)
    return torch.where(x >= y, mag, -mag)


class _Exact:
    """Float64 recomputation of the entries of one sub-tile (pairs i0.., j0..)."""

    def __init__(self, a, b, i0, j0, diagonal=False):
        self.a, self.b, self.i0, self.j0 = a, b, i0, j0
        self.diagonal = diagonal            # a sub-tile of a model block with itself

    def _xy(self, s, i, j):
        x = self.a["X"][self.i0 + i, s].astype(np.float64, copy=False)
        y = self.b["X"][self.j0 + j, s].astype(np.float64, copy=False)
        return x, y

    def log_bc(self, s, i, j) -> np.ndarray:
        x, y = self._xy(s, i, j)
        return _exact.log_bc(x, y, self.a["log"])

    def half_chord2(self, s, i, j) -> np.ndarray:
        x, y = self._xy(s, i, j)
        return _exact.half_chord2(x, y, self.a["log"])

    def centred(self, s0: int, k: int, ba: int, bb: int):
        r"""Dense :math:`h = \tfrac12(\|\delta_u\|^2 + \|\delta_v\|^2) - \delta_u\cdot\delta_v` for
        samples ``s0:s0+k`` and all pairs of the sub-tile, and its scale
        :math:`\|\delta_u\|^2 + \|\delta_v\|^2`: two (k, ba, bb) float64 tensors."""
        log = self.a["log"]
        xa = self.a["Xt"][self.i0:self.i0 + ba, s0:s0 + k].transpose(0, 1).double()
        xb = self.b["Xt"][self.j0:self.j0 + bb, s0:s0 + k].transpose(0, 1).double()
        both = torch.cat([xa, xb], 1)                                   # (k, ba + bb, C)
        if log:
            mean = torch.logsumexp(both, 1) - np.log(both.shape[1])
            top, arg = mean.max(-1)
            vertex = torch.full_like(mean, -np.inf).scatter_(-1, arg[:, None], 0.0)
            use_vertex = top > np.log(0.5)
        else:
            mean = both.mean(1)
            top, arg = mean.max(-1)
            vertex = torch.zeros_like(mean).scatter_(-1, arg[:, None], 1.0)
            use_vertex = top > 0.5
        ref = torch.where(use_vertex[:, None], vertex, mean)
        delta = _sqrt_diff(both, ref[:, None, :], log)
        da, db = delta[:, :ba], delta[:, ba:]
        na, nb = (da * da).sum(-1), (db * db).sum(-1)
        size = na[:, :, None] + nb[:, None, :]
        return 0.5 * size - torch.bmm(da, db.transpose(1, 2)), size


def _near_entries(g: torch.Tensor, s0: int, exact: _Exact, acc: torch.Tensor):
    r"""Geodesic: replace entries with 1 − BC < τ by 1 in ``g`` and add their accurate angles
    :math:`2\arcsin\sqrt{h/2}` to ``acc``."""
    near = g > 1.0 - NEAR[g.dtype]
    if not bool(near.any()):
        return
    h, size = exact.centred(s0, g.shape[0], g.shape[1], g.shape[2])
    bad = near & ~(h >= CENTRED * size)
    if exact.diagonal:                       # a model and itself: h = 0 exactly
        idx = torch.arange(min(h.shape[1], h.shape[2]))
        h[:, idx, idx] = 0.0
        bad[:, idx, idx] = False
    if bool(bad.any()):
        s, i, j = bad.nonzero(as_tuple=True)
        h[s, i, j] = torch.from_numpy(exact.half_chord2(s.numpy() + s0, i.numpy(), j.numpy()))
    t = h.clamp_(0.0, 0.5).mul_(0.5).sqrt_().asin_().mul_(2.0)      # 2 arcsin √(h/2)
    acc.add_(t.masked_fill_(~near, 0.0).sum(0))
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
        _near_entries(g, s0, exact, acc)
        g.clamp_(max=1.0).acos_()
        acc.add_(g.sum(0, dtype=torch.float64))
    return acc
