"""Phase-diagram engine: grid time, per-point ratio against the Monte-Carlo route, n-scaling.

Setting (thesis Fig 5.3, toolkit choices): n = 50, d = 100, α = 0.9, T = 64 log-spaced integers in
[1, 10⁴], c = 64 values in [0.02, 1], σ*/σw ∈ {1.2, 2.4, 4.8}, f = 0.95, expectation "draws" with
the default 8 target draws, quantity dim P(T).

Measured, side by side in one run:

1. **grid**: wall time of :func:`hyperribbon.numerics.linear_models.phase.phase_diagram` on the 64×64×3 grid
   (best of ``--repeats``), also with 1/4/16 draws, with P1 and the bound, and in the exact
   ``matrix`` mode. Target: under 10 s.
2. **per grid point vs Monte Carlo**: the Monte-Carlo route computes dim P(N, T) from N = 1000
   simulated GD trajectories per (grid point, target draw) — the cheapest faithful simulator
   (residual space in K's eigenbasis, vectorised over the ensemble, streamed over t, single-
   threaded BLAS like the engine; :func:`~hyperribbon.numerics.linear_models.phase.monte_carlo_dimensionality`).
   Its cost grows with T, so it is timed at sampled T across the grid (middle c, σ*/σw = 2.4),
   fitted as a + b·T, and summed over all grid points; the ratio is (Monte-Carlo time per
   (point, draw)) / (engine time per (point, draw)), reported per sampled T and for the whole
   grid. Weight-space GD on d = 100 dimensional data (the literal experiment) is timed at two T
   for reference. Agreement of the two dimensionalities at the sampled points is recorded.
3. **n-scaling**: engine time per (point, draw) for n = 50, 100, 200, 400 on smaller grids.

Results: a table on stdout and ``benchmarks/results/phase_diagram.json`` (git-ignored).
Run: ``python benchmarks/bench_linear_models_phase_diagram.py`` (``--quick`` for a smoke run).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy

from hyperribbon.numerics import simulate_weight_gd, synthetic_data
from hyperribbon.numerics.linear_models.gd import empirical_pca_matrix
from hyperribbon.numerics.linear_models.phase import (_single_threaded_blas, dimensionality,
                                                      log_integer_grid, monte_carlo_dimensionality,
                                                      phase_diagram)
from hyperribbon.theory.linear_models.problems import LinearGDProblem

RESULTS = Path(__file__).resolve().parent / "results"
RATIOS = (1.2, 2.4, 4.8)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def timed(fn, repeats=1):
    best, out = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def grid_benchmarks(T, c, n, repeats):
    rows = {}
    for label, kw in (("P, 8 draws (default)", dict(draws=8, quantities=("P",))),
                      ("P, 1 draw", dict(draws=1, quantities=("P",))),
                      ("P, 4 draws", dict(draws=4, quantities=("P",))),
                      ("P, 16 draws", dict(draws=16, quantities=("P",))),
                      ("P + P1 + bound, 8 draws", dict(draws=8, quantities=("P", "P1", "bound"))),
                      ("P + P1 + bound, exact E_y[P] ('matrix')",
                       dict(expectation="matrix", quantities=("P", "P1", "bound")))):
        log(f"grid {len(T)}x{len(c)}x{len(RATIOS)} n={n}: {label}")
        sec, pd = timed(lambda: phase_diagram(T, c, RATIOS, n=n, d=100, **kw),
                        repeats if "default" in label else 1)
        points = len(T) * len(c) * len(RATIOS)
        draws = max(1, pd.settings["draws"])
        rows[label] = {"seconds": sec, "points": points, "draws": pd.settings["draws"],
                       "eigensolves": pd.stats["eigensolves"],
                       "us_per_point": 1e6 * sec / points,
                       "us_per_point_draw": 1e6 * sec / (points * draws)}
        if "default" in label:
            default = pd
    return rows, default


def monte_carlo_ratio(T_grid, c_grid, default, n, N, samples, engine_us_per_point_draw):
    c_mid = float(c_grid[len(c_grid) // 2])
    r = 2.4
    i_r = RATIOS.index(r)
    i_c = len(c_grid) // 2
    idx = np.unique(np.round(np.linspace(0, len(T_grid) - 1, samples)).astype(int))
    rows = []
    for i in idx:
        T = int(T_grid[i])
        p = LinearGDProblem.sloppy(n=n, c=c_mid, alpha=0.9, T=T, sigma_w2=1.0,
                                   sigma_star2=r * r, seed=0)           # draw 0 of the grid
        sec, k_mc = timed(lambda: monte_carlo_dimensionality(p, N=N, seed=1),
                          2 if T <= 1000 else 1)
        k_engine = int(default.per_draw["P"][0, 0, 0, 0, i_r, i_c, i, 0])
        rows.append({"T": T, "mc_seconds": sec, "ratio": 1e6 * sec / engine_us_per_point_draw,
                     "dim_mc": k_mc, "dim_engine": k_engine})
        log(f"  MC T={T:6d}: {sec:8.3f} s  ratio {rows[-1]['ratio']:9.0f}  dims MC {k_mc} "
            f"engine {k_engine}")
    Ts = np.array([row["T"] for row in rows], float)
    secs = np.array([row["mc_seconds"] for row in rows])
    A = np.column_stack([np.ones_like(Ts), Ts])
    coef, *_ = np.linalg.lstsq(A, secs, rcond=None)
    coef = np.maximum(coef, 0.0)
    per_T = coef[0] + coef[1] * np.asarray(T_grid, float)
    grid_mc_seconds = float(per_T.sum() * len(c_grid) * len(RATIOS))
    return {"c": c_mid, "ratio_sigma": r, "N": N, "sampled": rows,
            "fit_seconds": {"a": float(coef[0]), "b_per_step": float(coef[1])},
            "grid_mc_seconds_per_draw_estimated": grid_mc_seconds,
            "agreement": {"equal": int(sum(r_["dim_mc"] == r_["dim_engine"] for r_ in rows)),
                          "of": len(rows),
                          "max_abs_diff": int(max(abs(r_["dim_mc"] - r_["dim_engine"])
                                                  for r_ in rows))}}


def weight_space_reference(n, N, engine_us_per_point_draw):
    out = []
    for T in (10, 100):
        p = LinearGDProblem.sloppy(n=n, c=0.2, alpha=0.9, T=T, sigma_w2=1.0, sigma_star2=2.4**2,
                                   seed=0)
        X, w_star, _ = synthetic_data(p, d=100, seed=1)
        w0 = np.random.default_rng(2).standard_normal((N, 100)) / math.sqrt(n)

        def run():
            with _single_threaded_blas():
                P = empirical_pca_matrix(simulate_weight_gd(X, X @ w_star, 0.9, T, w0))
            return int(dimensionality(np.linalg.eigvalsh(P)))
        sec, k = timed(run)
        out.append({"T": T, "seconds": sec, "ratio": 1e6 * sec / engine_us_per_point_draw,
                    "dim": k})
        log(f"  weight-space GD (d=100) T={T}: {sec:.3f} s  ratio {out[-1]['ratio']:.0f}")
    return out


def n_scaling(ns, quick):
    rows = []
    for n in ns:
        m = {50: 16, 100: 16, 200: 8, 400: 4}.get(n, 4) if not quick else 4
        T = log_integer_grid(1, 10_000, m)
        c = np.linspace(0.02, 1.0, m)
        log(f"n-scaling n={n}: grid {m}x{m}x{len(RATIOS)}, 8 draws")
        sec, pd = timed(lambda: phase_diagram(T, c, RATIOS, n=n, draws=8, quantities=("P",)))
        points = m * m * len(RATIOS)
        # one Monte-Carlo point per n, at T = 100 (the middle of the log grid)
        p = LinearGDProblem.sloppy(n=n, c=0.2, alpha=0.9, T=100, sigma_w2=1.0,
                                   sigma_star2=2.4**2, seed=0)
        mc_sec, _ = timed(lambda: monte_carlo_dimensionality(p, N=1000, seed=1))
        per = 1e6 * sec / (points * 8)
        rows.append({"n": n, "grid": [m, m, len(RATIOS)], "seconds": sec,
                     "us_per_point_draw": per, "us_per_eigensolve": 1e6 * sec /
                     pd.stats["eigensolves"], "mc_seconds_T100": mc_sec,
                     "ratio_T100": 1e6 * mc_sec / per})
    base = rows[0]["us_per_point_draw"]
    for row in rows:
        row["relative_to_n50"] = row["us_per_point_draw"] / base
    if len(rows) > 1:
        x, y = np.log([r["n"] for r in rows]), np.log([r["us_per_point_draw"] for r in rows])
        slope = float(np.polyfit(x[1:], y[1:], 1)[0]) if len(rows) > 2 else float("nan")
    else:
        slope = float("nan")
    return rows, slope


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small grid, for a smoke run")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    m = 16 if args.quick else 64
    T = log_integer_grid(1, 10_000, m)
    c = np.linspace(0.02, 1.0, m)
    n = 50
    t_start = time.time()
    load_before = os.getloadavg()
    grid, default = grid_benchmarks(T, c, n, args.repeats)
    eng = grid["P, 8 draws (default)"]
    mc = monte_carlo_ratio(T, c, default, n, 1000, 6 if args.quick else 12,
                           eng["us_per_point_draw"])
    grid_mc = mc["grid_mc_seconds_per_draw_estimated"]
    mc["grid_ratio"] = grid_mc / (eng["seconds"] / max(1, eng["draws"]))
    ws = weight_space_reference(n, 1000, eng["us_per_point_draw"])
    scaling, slope = n_scaling((50, 100) if args.quick else (50, 100, 200, 400), args.quick)
    result = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "scipy": scipy.__version__, "cpus": os.cpu_count(),
                    "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "setting": {"n": n, "d": 100, "alpha": 0.9, "T": [int(T[0]), int(T[-1]), len(T)],
                    "c": [float(c[0]), float(c[-1]), len(c)], "ratios": RATIOS,
                    "fraction": 0.95},
        "grid": grid, "grid_target_seconds": 10.0,
        "grid_under_target": eng["seconds"] < 10.0,
        "monte_carlo": mc, "weight_space_gd": ws,
        "n_scaling": scaling, "n_scaling_exponent_100_to_400": slope,
        "seconds_total": time.time() - t_start}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / ("phase_diagram_quick.json" if args.quick else "phase_diagram.json")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1, default=float))
    os.replace(tmp, path)

    print(f"\nPhase-diagram engine, {len(T)}x{len(c)} (T, c) x {len(RATIOS)} σ*/σw, n = {n}, "
          f"d = 100 (load average {load_before[0]:.1f} → {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)\n")
    print(f"{'configuration':<42} {'seconds':>8} {'µs/point':>9} {'µs/(point·draw)':>16}")
    for label, row in grid.items():
        print(f"{label:<42} {row['seconds']:8.2f} {row['us_per_point']:9.1f} "
              f"{row['us_per_point_draw']:16.1f}")
    met = "MET" if result["grid_under_target"] else "MISSED"
    print(f"\ntarget < 10 s for the default grid: {met} ({eng['seconds']:.2f} s)")
    print("\nMonte-Carlo route (N = 1000 GD trajectories, residual space) per (point, draw):")
    print(f"{'T':>7} {'MC s':>9} {'ratio':>10} {'dim MC':>7} {'dim exact':>9}")
    for row in mc["sampled"]:
        print(f"{row['T']:7d} {row['mc_seconds']:9.4f} {row['ratio']:10.0f} {row['dim_mc']:7d} "
              f"{row['dim_engine']:9d}")
    print(f"whole grid (MC cost fitted as a + b·T, summed over the {len(T)}x{len(c)}x3 points): "
          f"{grid_mc:.0f} s per draw vs engine {eng['seconds'] / eng['draws']:.2f} s per draw "
          f"→ ratio {mc['grid_ratio']:.0f}")
    print(f"agreement at the sampled points: {mc['agreement']}")
    for row in ws:
        print(f"weight-space GD on d = 100 data, T = {row['T']}: {row['seconds']:.3f} s, "
              f"ratio {row['ratio']:.0f}")
    print("\nn-scaling (8 draws, P only):")
    print(f"{'n':>5} {'grid':>10} {'µs/(point·draw)':>16} {'× n=50':>7} {'MC s (T=100)':>13} "
          f"{'ratio':>8}")
    for row in scaling:
        g = "x".join(map(str, row["grid"]))
        print(f"{row['n']:5d} {g:>10} {row['us_per_point_draw']:16.1f} "
              f"{row['relative_to_n50']:7.1f} {row['mc_seconds_T100']:13.3f} "
              f"{row['ratio_T100']:8.0f}")
    print(f"fitted exponent (n = 100 … 400): time ∝ n^{slope:.2f}")
    print(f"\nwrote {path}")
    return result


if __name__ == "__main__":
    main()
