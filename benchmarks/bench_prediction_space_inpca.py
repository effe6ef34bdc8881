"""InPCA top-10 of m digits models: Lanczos (eigsh) vs a full dense eigendecomposition.

Sizes (``--size`` or ``HYPERRIBBON_BENCH_SIZE``): ``small`` m = 1000, ``default`` m = 3000 (a few
minutes, < 1 GB on a loaded 2-core machine), ``large`` m = 10 000 (the original measurement:
W alone is 800 MB and the dense eigendecomposition takes many minutes). ``--m`` overrides.

Data: m softmax-regression checkpoints on scikit-learn's digits (see ``bench_bhattacharyya``),
their Bhattacharyya matrix D (computed with the fast kernel, float32 products), and the centred
W = −LDL/2 of eq. (2.2.6). Timed side by side in one process:

* ``dense``: ``scipy.linalg.eigh(W)`` (all eigenvalues and eigenvectors; LAPACK ``evr``), then
  the 10 largest by magnitude, i.e. what a user without a top-k solver runs;
* ``dense values only``: ``scipy.linalg.eigh(W, eigvals_only=True)`` (a faster baseline);
* ``lanczos``: :class:`hyperribbon.numerics.InPCA` ``(n_components=10, solver="lanczos")``
  fit on D (including the centring, the Frobenius norm, the residual beyond the top k and the
  embedding).

Reported: times, ratios, and the maximal relative difference of the 10 eigenvalues.

Run: ``python benchmarks/bench_prediction_space_inpca.py [--size small|default|large]``.
Results: ``benchmarks/results/inpca.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_prediction_space_bhattacharyya import (digits_trajectories, log,  # noqa: E402
                                                  normalized, size_argument)

from hyperribbon.numerics import InPCA, centered_matrix, pairwise_distances  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sizes = {"small": 1000, "default": 3000, "large": 10_000}
    size_argument(ap, {k: f"m = {v}" for k, v in sizes.items()})
    ap.add_argument("--m", type=int, default=None, help="number of models (overrides --size)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    if args.m is None:
        args.m = sizes[args.size]
    log(f"generating {args.m} digits models and their Bhattacharyya matrix ...")
    P = normalized(digits_trajectories(args.m, args.runs), np.float32)
    t0 = time.perf_counter()
    D = pairwise_distances(P, dtype=np.float32)
    t_dist = time.perf_counter() - t0
    del P
    log(f"  D in {t_dist:.1f} s")
    k = args.k
    t_lan = np.inf
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        est = InPCA(n_components=k, solver="lanczos").fit(D)
        t_lan = min(t_lan, time.perf_counter() - t0)
    log(f"lanczos: {t_lan:.2f} s, eigenvalues {est.eigenvalues_}")
    W = centered_matrix(D)
    del D
    log("dense eigh (values + vectors) ...")
    t0 = time.perf_counter()
    lam, _ = scipy.linalg.eigh(W, check_finite=False)
    t_dense = time.perf_counter() - t0
    log(f"  {t_dense:.1f} s")
    log("dense eigh (values only) ...")
    t0 = time.perf_counter()
    lam_v = scipy.linalg.eigh(W, eigvals_only=True, check_finite=False)
    t_vals = time.perf_counter() - t0
    log(f"  {t_vals:.1f} s")
    top = lam[np.argsort(-np.abs(lam), kind="stable")[:k]]
    rel = float(np.max(np.abs(est.eigenvalues_ - top) / np.abs(top)))
    rel_v = float(np.max(np.abs(np.sort(np.abs(lam_v))[::-1][:k] - np.abs(top)) / np.abs(top)))
    out = {"m": args.m, "size": args.size, "k": k, "distance_matrix_s": t_dist,
           "lanczos_s": t_lan,
           "dense_eigh_s": t_dense, "dense_eigvalsh_s": t_vals,
           "ratio_dense_over_lanczos": t_dense / t_lan,
           "ratio_dense_values_over_lanczos": t_vals / t_lan,
           "max_rel_eigenvalue_difference": rel, "dense_vs_values_only_rel": rel_v,
           "eigenvalues": est.eigenvalues_.tolist(), "signature_top_k": est.signature_,
           "solver": est.solver_,
           "explained_stress_top_k": est.explained_stress_.tolist(),
           "load_average": os.getloadavg(),
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "inpca.json").write_text(json.dumps(out, indent=1))
    print(f"m = {args.m}, top-{k}: lanczos {t_lan:.2f} s | dense eigh {t_dense:.1f} s "
          f"({t_dense / t_lan:.0f}×) | dense values-only {t_vals:.1f} s ({t_vals / t_lan:.0f}×) "
          f"| max rel. eigenvalue difference {rel:.1e}")
    return out


if __name__ == "__main__":
    main()
