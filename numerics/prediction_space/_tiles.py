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
underflow (exact zeros give :math:`+\infty`, as they should). Work is sub-tiled so that the
(nb, tile, tile) batch of inner products stays in cache.
"""
from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

__all__ = ["pack", "tile", "METRICS", "DEFAULT_SAMPLE_BLOCK", "single_threaded_torch",
           "default_threads"]

METRICS = ("bhattacharyya", "geodesic", "symmetric_kl", "euclidean")
DEFAULT_SAMPLE_BLOCK = {torch.float32: 16, torch.float64: 32}
_TINY = {torch.float32: 2.0 ** -100, torch.float64: 2.0 ** -1000}
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


def pack(block: np.ndarray, metric: str, dtype=np.float64) -> dict:
    """Prepare a validated (b, N, C) block of probabilities for :func:`tile`."""
    tdt = _torch_dtype(dtype)
    x = torch.from_numpy(np.ascontiguousarray(block))
    if metric in ("bhattacharyya", "geodesic"):
        s = x.to(tdt).sqrt()
        return {"metric": metric, "S": s.transpose(0, 1).contiguous(),       # (N, b, C)
                "St": s.permute(1, 2, 0).contiguous(), "n": block.shape[0]}  # (N, C, b)
    x = x.to(torch.float64).reshape(block.shape[0], -1)
    if metric == "euclidean":
        return {"metric": metric, "P": x, "sq": (x * x).sum(1), "n": block.shape[0]}
    zero = x == 0
    logs = torch.where(zero, torch.zeros((), dtype=torch.float64), torch.log(x))
    out = {"metric": metric, "P": x, "L": logs, "h": (x * logs).sum(1), "n": block.shape[0],
           "Z": None}
    if bool(zero.any()):
        out["Z"] = zero.to(torch.float64)
        out["NZ"] = (~zero).to(torch.float64)
    return out


def tile(a: dict, b: dict, *, sample_block: int | None = None, n_threads: int | None = None,
         symmetric: bool = False) -> np.ndarray:
    """Distances summed over samples between the models of packs ``a`` and ``b``: (na, nb).

    ``symmetric=True`` (``a`` is ``b``) computes the upper sub-tiles only and mirrors them.
    """
    metric = a["metric"]
    if metric == "euclidean":
        d = a["sq"][:, None] + b["sq"][None, :] - 2.0 * (a["P"] @ b["P"].T)
        return _mirror(d.numpy()) if symmetric else d.numpy()
    if metric == "symmetric_kl":
        d = a["h"][:, None] + b["h"][None, :] - a["P"] @ b["L"].T - a["L"] @ b["P"].T
        if a["Z"] is not None or b["Z"] is not None:
            za = a["Z"] if a["Z"] is not None else torch.zeros_like(a["P"])
            zb = b["Z"] if b["Z"] is not None else torch.zeros_like(b["P"])
            nza = a.get("NZ", torch.ones_like(a["P"]))
            nzb = b.get("NZ", torch.ones_like(b["P"]))
            bad = (nza @ zb.T + za @ nzb.T) > 0.5
            d = torch.where(bad, torch.full((), np.inf, dtype=torch.float64), d)
        return _mirror(d.numpy()) if symmetric else d.numpy()
    S, St = a["S"], b["St"]
    N = S.shape[0]
    nb = int(sample_block or DEFAULT_SAMPLE_BLOCK[S.dtype])
    out = np.empty((a["n"], b["n"]))
    kernel = _bhattacharyya if metric == "bhattacharyya" else _geodesic
    jobs = [(i, j) for i in range(0, a["n"], SUBTILE) for j in range(0, b["n"], SUBTILE)
            if not symmetric or j >= i]

    def run(ij):
        i, j = ij
        out[i:i + SUBTILE, j:j + SUBTILE] = kernel(S[:, i:i + SUBTILE],
                                                   St[:, :, j:j + SUBTILE], N, nb).numpy()

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


def _bhattacharyya(S, St, N, nb) -> torch.Tensor:
    ba, bb, dt = S.shape[1], St.shape[2], S.dtype
    tiny = _TINY[dt]
    acc = torch.zeros(ba, bb, dtype=torch.float64)
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
            acc.index_put_((i0, i1), torch.log(g[:, i0, i1].to(torch.float64)).sum(0),
                           accumulate=True)
            P[i0, i1] = 1.0
        acc.add_(P.log_())
    return acc.neg_()


def _geodesic(S, St, N, nb) -> torch.Tensor:
    ba, bb, dt = S.shape[1], St.shape[2], S.dtype
    acc = torch.zeros(ba, bb, dtype=torch.float64)
    G = torch.empty(nb, ba, bb, dtype=dt)
    for s0 in range(0, N, nb):
        k = min(nb, N - s0)
        g = G[:k]
        torch.bmm(S[s0:s0 + k], St[s0:s0 + k], out=g)
        g.clamp_(max=1.0).acos_()
        acc.add_(g.sum(0, dtype=torch.float64))
    return acc
