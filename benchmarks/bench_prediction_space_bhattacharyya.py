"""Pairwise Bhattacharyya matrix of m digits models (N = 1797 samples, C = 10 classes).

Sizes (``--size`` or the environment variable ``HYPERRIBBON_BENCH_SIZE``): ``small`` m = 300,
``default`` m = 1000 (a few minutes and < 2 GB on a loaded 2-core machine), ``large`` m = 2000
(the size of the original measurement; the reference's (chunk, m, m) float64 batches need
~4 GB). ``--m`` overrides.

Data: softmax-regression trajectories on scikit-learn's bundled handwritten digits (no download):
``--runs`` runs (different seeds and learning rates) of mini-batch SGD, each recorded at
``m / runs`` checkpoints, give m models P[w, n, c] on the 1797 digits.

Compared side by side in one process, each timed ``--repeats`` times (the minimum is reported):

* ``reference``: the algorithm of the public research code (``utils/distance.py::dbhat``): chunk
  over samples; batched matrix product of the square-root probabilities, one (nb, m, m) batch per
  chunk; element-wise −log; sum over samples (torch, default threads; the best chunk size of
  ``--chunks`` is used);
* ``reference, no log``: the same batched matrix products and sum, without the logarithm;
* ``fast``: :func:`hyperribbon.numerics.pairwise_distances` (cache-sized tiles, one logarithm
  per 16/32 samples via products, sub-tiles spread over the cores);
* ablations of ``fast``: the same tiles with one logarithm per (pair, sample), and without
  any logarithm ("the same batched products without the logarithm" in our layout);
* ``fast`` without its exact recomputation of near-zero pairs (every pair with d_B below 2^-20,
  resp. 2^-10 in float32, is recomputed term by term without cancellation): the price of
  exactly-zero distances between identical models and relatively accurate tiny distances.

Accuracy: max |error| over 400 random pairs against a long-double (80-bit) evaluation of
eq. (2.2.2) summed with math.fsum.

Run: ``python benchmarks/bench_prediction_space_bhattacharyya.py [--size small|default|large]``
(``--quick`` is ``--size small`` with fewer repeats). Results: a table on stdout and
``benchmarks/results/bhattacharyya.json``. Timings on a shared machine are noisy: compare the
ratios, measured side by side in one process.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

from hyperribbon.numerics.prediction_space import _tiles
from hyperribbon.numerics.prediction_space.distances import pairwise_distances

RESULTS = Path(__file__).resolve().parent / "results"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def digits_runs(runs: int, per: int, seed: int = 0):
    """Yield ``runs`` arrays (per, 1797, 10): softmax outputs along SGD trajectories of softmax
    regression on the digits (seeded; learning rates 0.02–0.1; later checkpoints further
    apart)."""
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(0)) / (X.std(0) + 1e-8)
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
    g = torch.Generator().manual_seed(seed)
    for r in range(runs):
        W = torch.randn(64, 10, generator=g, dtype=torch.float64) * 0.01
        b = torch.zeros(10, dtype=torch.float64)
        lr = 0.02 * (1 + r % 5)
        out = np.empty((per, X.shape[0], 10))
        for t in range(per):
            out[t] = torch.softmax(Xt @ W + b, dim=1).numpy()
            for _ in range(1 + t // 10):
                idx = torch.randint(0, X.shape[0], (64,), generator=g)
                p = torch.softmax(Xt[idx] @ W + b, dim=1)
                p[torch.arange(64), yt[idx]] -= 1
                W -= lr * Xt[idx].T @ p / 64
                b -= lr * p.mean(0)
        yield out / out.sum(-1, keepdims=True)


def digits_trajectories(m: int, runs: int = 20, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """(m, 1797, 10) models from :func:`digits_runs` (in memory)."""
    per = -(-m // runs)
    return np.concatenate(list(digits_runs(runs, per, seed)))[:m].astype(dtype)


def normalized(P: np.ndarray, dtype) -> np.ndarray:
    """P in ``dtype`` with rows summing to 1 to the precision of ``dtype`` (so that no method
    renormalises and all see the same numbers)."""
    Q = P.astype(dtype)
    return Q / Q.sum(-1, keepdims=True)


def reference(P: np.ndarray, dtype, chunk: int, with_log: bool = True) -> np.ndarray:
    """The research code's dbhat (cross_terms=True, reduction='mean'), on the CPU."""
    x = torch.from_numpy(P).to(torch.float32 if dtype == np.float32 else torch.float64)
    x = x.transpose(0, 1)                               # (N, m, C)
    m, N = P.shape[0], P.shape[1]
    w = torch.zeros(m, m, dtype=torch.float64)
    for aa in torch.split(torch.arange(N), chunk):
        s = torch.sqrt(x[aa])
        w_ = torch.bmm(s, s.transpose(1, 2))
        if with_log:
            w_ = -torch.log(w_)
        w += w_.sum(0)
    return (w / N).numpy()


def _bhat_variant(kind):
    def kernel(S, St, N, nb, exact=None):         # no near-zero or underflow handling
        ba, bb, dt = S.shape[1], St.shape[2], S.dtype
        acc = torch.zeros(ba, bb, dtype=torch.float64)
        G = torch.empty(nb, ba, bb, dtype=dt)
        for s0 in range(0, N, nb):
            k = min(nb, N - s0)
            g = G[:k]
            torch.bmm(S[s0:s0 + k], St[s0:s0 + k], out=g)
            acc.add_(g.log_().sum(0) if kind == "log" else g.sum(0))
        return acc.neg_()
    return kernel


def ablation(P, dtype, kind):
    """``fast`` without its exact recomputation of near-zero pairs (``kind="no-near"``), or with
    the kernel replaced by a variant (``"log"``, ``"nolog"``; those never recompute either)."""
    saved, real = dict(_tiles.NEAR_PAIR_B), _tiles._bhattacharyya
    _tiles.NEAR_PAIR_B.update({k: -np.inf for k in saved})
    if kind != "no-near":
        _tiles._bhattacharyya = _bhat_variant(kind)
    try:
        return pairwise_distances(P, dtype=dtype)
    finally:
        _tiles.NEAR_PAIR_B.update(saved)
        _tiles._bhattacharyya = real


SIZES = ("small", "default", "large")


def size_argument(ap, sizes: dict):
    """``--size`` (default: $HYPERRIBBON_BENCH_SIZE, else "default") choosing among ``sizes``."""
    env = os.environ.get("HYPERRIBBON_BENCH_SIZE", "default")
    ap.add_argument("--size", choices=SIZES, default=env if env in SIZES else "default",
                    help="problem size: " + ", ".join(f"{k}: {v}" for k, v in sizes.items()))


def accurate(P: np.ndarray, pairs) -> np.ndarray:
    S = np.sqrt(P.astype(np.longdouble))
    out = []
    for u, v in pairs:
        bc = np.sum(S[u] * S[v], axis=-1)
        out.append(-math.fsum(np.log(bc)) / P.shape[1])
    return np.array(out, dtype=np.float64)


def timed(fn, repeats):
    best, result = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sizes = {"small": 300, "default": 1000, "large": 2000}
    size_argument(ap, {k: f"m = {v}" for k, v in sizes.items()})
    ap.add_argument("--m", type=int, default=None, help="number of models (overrides --size)")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--ref-repeats", type=int, default=2)
    ap.add_argument("--chunks", type=int, nargs="+", default=None,
                    help="reference chunk sizes (default 8 32, and 128 at --size large)")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.size, args.repeats, args.ref_repeats, args.chunks = "small", 2, 1, [32]
    if args.m is None:
        args.m = sizes[args.size]
    if args.chunks is None:
        args.chunks = [8, 32, 128] if args.size == "large" else [8, 32]
    log(f"generating {args.m} digits models ...")
    P = digits_trajectories(args.m, args.runs)
    m, N, C = P.shape
    rng = np.random.default_rng(0)
    pairs = [(int(a), int(b)) for a, b in rng.integers(0, m, size=(400, 2)) if a != b]
    iu = tuple(np.array(pairs).T)
    rows = []
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        Pd = normalized(P, dtype)
        truth = accurate(Pd, pairs)
        res = {"dtype": name}
        # the reference: best chunk size
        best = (math.inf, None, None)
        for ch in args.chunks:
            log(f"{name}: reference, chunk {ch} ...")
            t, D = timed(lambda: reference(Pd, dtype, ch), args.ref_repeats)
            log(f"  {t:.2f} s")
            if t < best[0]:
                best = (t, ch, D)
        res["reference_s"], res["reference_chunk"] = best[0], best[1]
        res["reference_max_abs_err"] = float(np.max(np.abs(best[2][iu] - truth)))
        log(f"{name}: reference without log ...")
        res["reference_nolog_s"], _ = timed(lambda: reference(Pd, dtype, best[1], False),
                                            args.ref_repeats)
        log(f"{name}: fast ...")
        res["fast_s"], D = timed(lambda: pairwise_distances(Pd, dtype=dtype), args.repeats)
        res["fast_max_abs_err"] = float(np.max(np.abs(D[iu] - truth)))
        log(f"{name}: tiles with one log per (pair, sample) ...")
        res["tiles_log_each_s"], Dl = timed(lambda: ablation(Pd, dtype, "log"), args.repeats)
        res["tiles_log_each_max_abs_err"] = float(np.max(np.abs(Dl[iu] - truth)))
        log(f"{name}: tiles without log ...")
        res["tiles_nolog_s"], _ = timed(lambda: ablation(Pd, dtype, "nolog"), args.repeats)
        log(f"{name}: fast without exact near-zero terms ...")
        res["fast_no_near_s"], Dn = timed(lambda: ablation(Pd, dtype, "no-near"), args.repeats)
        res["fast_no_near_max_abs_err"] = float(np.max(np.abs(Dn[iu] - truth)))
        res["fast_over_no_near"] = res["fast_s"] / res["fast_no_near_s"]
        res["no_near_self_distance_max"] = float(np.max(np.abs(
            ablation(np.stack([Pd[0], Pd[0]]), dtype, "no-near")[0, 1])))
        res["speedup_vs_reference"] = res["reference_s"] / res["fast_s"]
        res["fast_over_reference_nolog"] = res["fast_s"] / res["reference_nolog_s"]
        res["fast_over_tiles_nolog"] = res["fast_s"] / res["tiles_nolog_s"]
        rows.append(res)
        log(str(res))
    out = {"m": m, "N": N, "C": C, "size": args.size,
           "data": "softmax-regression SGD trajectories on load_digits",
           "cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
           "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
           "numpy": np.__version__, "load_average": os.getloadavg(),
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "results": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bhattacharyya.json").write_text(json.dumps(out, indent=1))
    hdr = ("dtype", "reference", "ref no-log", "fast", "tiles log/elt", "tiles no-log",
           "fast no-near", "speed-up", "fast/ref-nolog", "fast/tiles-nolog", "fast/no-near",
           "err ref", "err fast")
    print(f"m = {m}, N = {N}, C = {C}; seconds (min of repeats); load average "
          f"{os.getloadavg()[0]:.1f}")
    print(" | ".join(hdr))
    for r in rows:
        print(" | ".join([r["dtype"], f"{r['reference_s']:.2f} (chunk {r['reference_chunk']})",
                          f"{r['reference_nolog_s']:.2f}", f"{r['fast_s']:.2f}",
                          f"{r['tiles_log_each_s']:.2f}", f"{r['tiles_nolog_s']:.2f}",
                          f"{r['fast_no_near_s']:.2f}",
                          f"{r['speedup_vs_reference']:.1f}×",
                          f"{r['fast_over_reference_nolog']:.2f}",
                          f"{r['fast_over_tiles_nolog']:.2f}",
                          f"{r['fast_over_no_near']:.2f}",
                          f"{r['reference_max_abs_err']:.1e}", f"{r['fast_max_abs_err']:.1e}"]))
    return out


if __name__ == "__main__":
    main()
