"""Out-of-core Bhattacharyya matrix of m digits models (N = 1797, C = 10) computed to disk.

Sizes (``--size`` or the environment variable ``HYPERRIBBON_BENCH_SIZE``):

* ``small``: m = 1000, block 256;
* ``default``: m = 3000, block 512 (stack 0.2 GB, matrix 36 MB; minutes on a loaded 2-core
  machine) — the code path of the large run at a size that suits it;
* ``large``: m = 50 000, block 2048 — **only when asked**: the stack is 3.6 GB and the matrix
  10 GB (float32) on disk, and the run takes hours on 2 cores.

``--m``/``--block`` override. The (m, N, C) stack (float32) is generated run by run straight into
a ``.npy`` file; :func:`hyperribbon.numerics.pairwise_to_disk` then fills the (m, m) matrix
(float32) tile by tile — the file is first written with NaN, so that unfinished tiles never read
as distances — reading two blocks of models per tile with positioned reads, on Dask's local
threaded scheduler. The run is interrupted on purpose after ``--interrupt-after`` tiles (the
partial matrix is then checked to be refused by ``open_matrix``) and resumed, to show that
finished tiles are kept.

Reported: generation time, distance time (first part + resumed part), tiles, throughput, peak
resident memory of the process (``ru_maxrss``), file sizes, and the largest difference of 2000
random entries from the in-memory kernel on the same rows.

Run: ``python benchmarks/bench_prediction_space_out_of_core.py [--size small|default|large]``.
Results: ``benchmarks/results/out_of_core.json``; the data live in ``--dir`` (deleted unless
``--keep``).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_prediction_space_bhattacharyya import digits_runs, log, size_argument  # noqa: E402

from hyperribbon.numerics import (open_matrix, open_stack, pairwise_distances,  # noqa: E402
                                  pairwise_to_disk, tile_status)
from hyperribbon.numerics.prediction_space import blocked  # noqa: E402
from hyperribbon.theory import InvalidArgument  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's resident-memory high-water mark (Linux ≥ 4.0), so that the peak of the
    distance phase is not the (file-backed) pages the generator touched writing the stack."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """VmHWM of /proc/self/status (resettable), else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss_mb()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sizes = {"small": (1000, 256), "default": (3000, 512), "large": (50_000, 2048)}
    size_argument(ap, {k: f"m = {m}, block {b}" for k, (m, b) in sizes.items()})
    ap.add_argument("--m", type=int, default=None, help="number of models (overrides --size)")
    ap.add_argument("--per-run", type=int, default=200)
    ap.add_argument("--block", type=int, default=None, help="block size (overrides --size)")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--out-dtype", default="float32")
    ap.add_argument("--interrupt-after", type=int, default=3)
    ap.add_argument("--dir", default=str(RESULTS / "out_of_core_data"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    args.m = sizes[args.size][0] if args.m is None else args.m
    args.block = sizes[args.size][1] if args.block is None else args.block
    work = Path(args.dir)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    src, dst = work / "P.npy", work / "D.npy"
    runs = -(-args.m // args.per_run)
    log(f"writing {args.m} models ({runs} runs) to {src} ...")
    t0 = time.perf_counter()
    stack = np.lib.format.open_memmap(src, mode="w+", dtype=np.float32, shape=(args.m, 1797, 10))
    i = 0
    for block in digits_runs(runs, args.per_run):
        k = min(len(block), args.m - i)
        b32 = block[:k].astype(np.float32)
        stack[i:i + k] = b32 / b32.sum(-1, keepdims=True)
        i += k
    stack.flush()
    del stack
    t_gen = time.perf_counter() - t0
    rss_generation = peak_rss_mb()
    log(f"  {t_gen:.0f} s, peak RSS of the generation {rss_generation:.0f} MB")
    was_reset = reset_peak_rss()

    real = blocked._compute_tile
    done = []

    def interrupting(*a):
        if len(done) >= args.interrupt_after:
            raise KeyboardInterrupt("benchmark: simulated interruption")
        done.append(a[2:4])
        return real(*a)

    log(f"distances, interrupted after {args.interrupt_after} tiles ...")
    blocked._compute_tile = interrupting
    t0 = time.perf_counter()
    try:
        pairwise_to_disk(src, dst, block_size=args.block, dtype=args.dtype,
                         out_dtype=args.out_dtype, scheduler="sync", progress=False)
    except KeyboardInterrupt:
        pass
    finally:
        blocked._compute_tile = real
    t_first = time.perf_counter() - t0
    status_interrupted = tile_status(dst)
    try:
        open_matrix(dst)
        partial_refused = False
    except InvalidArgument:
        partial_refused = True
    log(f"  interrupted at {status_interrupted} after {t_first:.0f} s (open_matrix refuses it: "
        f"{partial_refused}); resuming ...")
    t0 = time.perf_counter()
    D = pairwise_to_disk(src, dst, block_size=args.block, dtype=args.dtype,
                         out_dtype=args.out_dtype, progress=True)
    t_rest = time.perf_counter() - t0
    rss_distances = peak_rss_mb()
    log(f"  done in {t_rest:.0f} s, peak RSS of the distance phase {rss_distances:.0f} MB")

    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(args.m, size=20, replace=False))
    cols = np.sort(rng.choice(args.m, size=100, replace=False))
    s = open_stack(src)
    A = np.concatenate([s.block(r, r + 1) for r in rows])
    B = np.concatenate([s.block(c, c + 1) for c in cols])
    ref = pairwise_distances(A, B, dtype=np.float64)
    got = np.asarray(D[np.ix_(rows, cols)], dtype=np.float64)
    same = rows[:, None] == cols[None, :]
    err = float(np.max(np.abs(np.where(same, 0, got - ref))))
    nb = -(-args.m // args.block)
    total = t_first + t_rest
    out = {"m": args.m, "size": args.size, "N": 1797, "C": 10, "block": args.block,
           "dtype": args.dtype, "partial_matrix_refused": partial_refused,
           "out_dtype": args.out_dtype, "tiles": nb * (nb + 1) // 2,
           "tiles_before_interruption": status_interrupted[0], "generation_s": t_gen,
           "distance_s_first_part": t_first, "distance_s_resumed": t_rest,
           "distance_s_total": total,
           "pair_samples_per_s": args.m * (args.m + 1) / 2 * 1797 / total,
           "stack_gb": os.path.getsize(src) / 1e9, "matrix_gb": os.path.getsize(dst) / 1e9,
           "peak_rss_distance_phase_mb": rss_distances if was_reset else None,
           "peak_rss_generation_mb": rss_generation, "peak_rss_process_mb": rss_mb(),
           "max_abs_err_vs_in_memory_float64": err,
           "load_average": os.getloadavg()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "out_of_core.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))
    del D
    if not args.keep:
        shutil.rmtree(work)
    return out


if __name__ == "__main__":
    main()
