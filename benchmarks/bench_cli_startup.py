"""Start-up time of the command line, as ratios to a bare interpreter run side by side.

Measured, each ``--repeat`` times, interleaved so that machine load hits every variant alike:

* ``python -c pass``                          the baseline (interpreter start-up);
* ``python -c "import hyperribbon.experiments.cli"``  the CLI module alone;
* ``hyperribbon --help``                       target: < 1 s on the development machine;
* ``hyperribbon verify 5.2.3``                 target: < 2 s (one closed-form lemma check).

Reported: the median wall time of each and its ratio to the baseline's median, and which heavy
libraries ``import hyperribbon.experiments.cli`` loads. A machine shared with other jobs makes
absolute times noisy; the ratios are the comparable numbers. Results:
``benchmarks/results/cli_startup.json``.

Run: ``python benchmarks/bench_cli_startup.py [--repeat 5]``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
HEAVY = ("torch", "matplotlib", "dask", "hypothesis", "sklearn", "pandas", "zarr", "sympy",
         "scipy", "numpy")


def variants() -> dict:
    py = sys.executable
    script = Path(py).parent / "hyperribbon"            # the installed console script
    cli = [str(script)] if script.exists() else [py, "-m", "hyperribbon.experiments.cli"]
    return {"python -c pass": [py, "-c", "pass"],
            "import hyperribbon.experiments.cli": [py, "-c",
                                                   "import hyperribbon.experiments.cli"],
            "hyperribbon --help": cli + ["--help"],
            "hyperribbon verify 5.2.3": cli + ["verify", "5.2.3"]}


def timed(cmd) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def heavy_imports() -> list:
    code = ("import sys, hyperribbon.experiments.cli; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    return [m for m in out.split(",") if m]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    cmds = variants()
    for cmd in cmds.values():                   # warm the file-system cache once
        timed(cmd)
    times = {k: [] for k in cmds}
    for _ in range(args.repeat):
        for k, cmd in cmds.items():
            times[k].append(timed(cmd))
    base = statistics.median(times["python -c pass"])
    rows = {k: {"median_s": statistics.median(v), "min_s": min(v),
                "ratio_to_python": statistics.median(v) / base} for k, v in times.items()}
    result = {"repeat": args.repeat, "python": sys.version.split()[0], "results": rows,
              "heavy_modules_imported_by_cli": heavy_imports(),
              "targets": {"hyperribbon --help": 1.0, "hyperribbon verify 5.2.3": 2.0}}
    print(f"{'command':<38} {'median':>8} {'min':>8} {'× python':>9}")
    for k, r in rows.items():
        target = result["targets"].get(k)
        mark = "" if target is None else ("  (target < %g s: %s)" % (
            target, "met" if r["median_s"] < target else "missed"))
        print(f"{k:<38} {r['median_s']:>7.3f}s {r['min_s']:>7.3f}s {r['ratio_to_python']:>9.1f}"
              + mark)
    print("heavy modules imported by the CLI module:",
          ", ".join(result["heavy_modules_imported_by_cli"]) or "none")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cli_startup.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
