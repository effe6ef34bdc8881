"""Throughput of the batched sweep path against the one-run reference loop (thesis §2.5.2 sweeps).

Measured, on digits, one torch thread:

1. runs×epochs per minute of ``train_batched`` (grouped engine) and of ``train`` run one after the
   other on the *same* configurations, side by side in this process (alternating, best of
   ``--repeats``): one real task group of the full digits sweep (``digits-full``: its width,
   batch size ``--batch``, weight decays, augmentations and seeds, the sweep's checkpoint
   density, shortened to ``--epochs``), for the fully connected and the All-CNN families; the
   ratio is the speed-up; then the same group run as a whole sweep (``run_sweep``, scheduler
   ``sync``, store writes included) with ``execution.batched`` true and false;
2. peak resident memory of each path (each in a fresh child process, ``resource.ru_maxrss``);
3. the quick sweep: wall time, store size on disk (``--quick-sweep``);
4. an estimate of the full digits sweep's run time from measured per-step and per-checkpoint
   times of each architecture × batch size (one real task group each), and of its
   store size from the raw float32 size and the quick store's measured on-disk ratio.

Usage: ``python benchmarks/bench_manifold_throughput.py [--batch 64] [--epochs 3] [--quick-sweep]
[--estimate-full] [--out benchmarks/results]``. Timings on a shared machine are noisy: compare
the ratios, not the absolute numbers.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time


def _group(arch, batch, epochs, optimizer="sgd", config="digits-full", runs=None):
    """The runs of one task group of the full digits sweep (same architecture, width, optimizer
    and batch size; its weight decays, augmentations and seeds), shortened to ``epochs`` with
    the sweep's checkpoint density (``checkpoints`` per ``epochs`` of the configuration), so that
    evaluation weighs what it weighs in the real sweep."""
    from hyperribbon.experiments.manifold.config import expand_runs, load_config
    from hyperribbon.experiments.networks import TrainConfig
    cfg = load_config(config)
    rows = [r for r in expand_runs(cfg, 1347)
            if r["arch"] == arch and r["batch_size"] == batch and r["optimizer"] == optimizer]
    first = [r for r in rows if r["group"] == rows[0]["group"]]
    k = max(2, round(cfg.training["checkpoints"] * epochs / cfg.training["epochs"]))
    cfgs = [TrainConfig(**{**{f: v for f, v in r.items() if f != "group"},
                           "epochs": epochs, "checkpoints": k}) for r in first]
    return cfgs if runs is None else cfgs[:runs]


def _time_pair(arch, batch, epochs, repeats, checkpoints=None, runs=None):
    import torch
    from hyperribbon.experiments.manifold.batched import train_batched
    from hyperribbon.experiments.networks import digits, train
    torch.set_num_threads(1)
    data = digits()
    cfgs = _group(arch, batch, epochs, runs=runs)
    if checkpoints is not None:
        cfgs = [c.replace(checkpoints=checkpoints) for c in cfgs]
    warm = [c.replace(epochs=0.1) for c in cfgs[:2]]       # first-use imports (torch.optim ...)
    train(warm[0], data)
    train_batched(warm, data)
    best = {"loop": math.inf, "batched": math.inf}
    for _ in range(repeats):
        t = time.perf_counter()
        for c in cfgs:
            train(c, data)
        best["loop"] = min(best["loop"], time.perf_counter() - t)
        t = time.perf_counter()
        train_batched(cfgs, data)
        best["batched"] = min(best["batched"], time.perf_counter() - t)
    work = len(cfgs) * epochs
    return {"arch": arch, "width": cfgs[0].width, "batch_size": batch, "runs": len(cfgs),
            "augmented_runs": sum(c.augment for c in cfgs), "epochs": epochs,
            "checkpoints": cfgs[0].checkpoints,
            "loop_runs_epochs_per_min": 60 * work / best["loop"],
            "batched_runs_epochs_per_min": 60 * work / best["batched"],
            "speedup": best["loop"] / best["batched"]}


def _sweep_pair(arch, batch, epochs, repeats, config="digits-full"):
    """Whole-sweep throughput: the same task group run as a sweep (store writes included,
    scheduler "sync", one torch thread) with ``execution.batched`` true (one task trains and
    writes the group) and false (one task per run: the reference loop and single-run writes)."""
    import tempfile
    import torch
    from hyperribbon.experiments.manifold.config import load_config
    from hyperribbon.experiments.manifold.sweep import run_sweep
    torch.set_num_threads(1)
    full = load_config(config).to_dict()
    k = max(2, round(full["training"]["checkpoints"] * epochs / full["training"]["epochs"]))
    cfg = {**full, "name": f"bench-{arch}",
           "training": {**full["training"], "epochs": epochs, "checkpoints": k,
                        "batch_sizes": [batch]},
           "architectures": {arch: full["architectures"][arch]},
           "optimizers": {"sgd": full["optimizers"]["sgd"]}}
    best = {}
    runs = None
    for _ in range(repeats):
        for batched in (False, True):
            tmp = tempfile.mkdtemp()
            c = {**cfg, "execution": {**cfg["execution"], "batched": batched}}
            t = time.perf_counter()
            sw = run_sweep(c, os.path.join(tmp, "s"), scheduler="sync", progress=False)
            dt = time.perf_counter() - t
            runs = len(sw.runs)
            assert sw.is_complete
            shutil.rmtree(tmp)
            best[batched] = min(best.get(batched, math.inf), dt)
    work = runs * epochs
    return {"arch": arch, "batch_size": batch, "runs": runs, "epochs": epochs, "checkpoints": k,
            "sweep": True,
            "loop_runs_epochs_per_min": 60 * work / best[False],
            "batched_runs_epochs_per_min": 60 * work / best[True],
            "speedup": best[False] / best[True]}


def _peak_child(kind, arch, batch, epochs, q):
    import torch
    from hyperribbon.experiments.manifold.batched import train_batched
    from hyperribbon.experiments.networks import digits, train
    torch.set_num_threads(1)
    data = digits()
    cfgs = _group(arch, batch, epochs)
    train(cfgs[0].replace(epochs=0.01), data)               # imports and first-use allocations
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if kind == "loop":
        for c in cfgs:
            train(c, data)
    else:
        train_batched(cfgs, data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    q.put({"kind": kind, "peak_rss_mib": peak / 1024, "increase_mib": (peak - base) / 1024})


def _peak(kind, arch, batch, epochs):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_peak_child, args=(kind, arch, batch, epochs, q))
    p.start()
    out = q.get()
    p.join()
    return out


def _du(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def _quick_sweep(workers):
    from hyperribbon.experiments.manifold.sweep import run_sweep
    tmp = tempfile.mkdtemp()
    out = os.path.join(tmp, "quick")
    t = time.perf_counter()
    sw = run_sweep("quick", out, workers=workers, progress=False)
    wall = time.perf_counter() - t
    t = sw.runs
    lp = sw.logp("train").shape
    raw = 4 * lp[0] * lp[1] * (sw.attrs["n_train"] + sw.attrs["n_test"]) * lp[3]
    res = {"runs": len(t), "wall_seconds": wall, "store_bytes": _du(out), "raw_logp_bytes": raw,
           "median_task_seconds_per_run": float(t["seconds"].median()),
           "train_error_final_median": float(sw.checkpoints.groupby("run_id")["train_error"]
                                             .last().median()),
           "statuses": t["status"].value_counts().to_dict()}
    shutil.rmtree(tmp)
    return res


def _estimate_full(group_steps=30, workers=None, ratio=None, config="digits-full"):
    """Per-step and per-checkpoint time of one real task group of each architecture × batch
    size (its actual size, optimizer SGD), then the sum over every group of the sweep."""
    import torch
    from hyperribbon.experiments.manifold.batched import train_batched
    from hyperribbon.experiments.manifold.config import expand_runs, load_config
    from hyperribbon.experiments.networks import digits
    torch.set_num_threads(1)
    data = digits()
    cfg = load_config(config)
    rows = expand_runs(cfg, data.n_train)
    per = {}
    for arch in cfg.architectures:
        for b in cfg.training["batch_sizes"]:
            base = [c.replace(epochs=group_steps * b / data.n_train, checkpoints=2)
                    for c in _group(arch, b, 1.0, config=config)]
            t = time.perf_counter()
            train_batched(base, data)                       # group_steps steps + 2 evaluations
            both = time.perf_counter() - t
            t = time.perf_counter()
            train_batched([c.replace(epochs=b / data.n_train) for c in base], data)  # 1 step
            small = time.perf_counter() - t
            step = max((both - small) / (group_steps - 1), 1e-9)
            evals = max(small - step, 0.0) / 2
            per[(arch, b)] = (step / len(base), evals / len(base), len(base))
            print(f"  {arch}/b{b}: {len(base)} runs, {1e3 * step:.1f} ms/step, "
                  f"{1e3 * evals:.0f} ms/checkpoint per group", flush=True)
    total = 0.0
    for r in rows:                                  # per-run shares of its group's time
        step, ev, _ = per[(r["arch"], r["batch_size"])]
        steps = math.ceil(r["epochs"] * data.n_train / r["batch_size"])
        total += steps * step + r["checkpoints"] * ev
    w = workers or os.cpu_count() or 1
    groups = len({r["group"] for r in rows})
    raw = 4 * len(rows) * cfg.training["checkpoints"] * 1797 * 10
    return {"config": config, "runs": len(rows), "groups": groups,
            "seconds_per_step_per_run": {f"{a}/b{b}": v[0] for (a, b), v in per.items()},
            "seconds_per_checkpoint_per_run": {f"{a}/b{b}": v[1] for (a, b), v in per.items()},
            "group_runs_timed": {f"{a}/b{b}": v[2] for (a, b), v in per.items()},
            "cpu_hours_total": total / 3600, "workers": w, "wall_hours_estimate": total / 3600 / w,
            "raw_logp_bytes": raw,
            "store_bytes_estimate": None if ratio is None else ratio * raw}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=None,
                    help="at most this many runs of the group (default: the whole group)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=float, default=3)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--quick-sweep", action="store_true")
    ap.add_argument("--estimate-full", action="store_true")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--out", default=os.path.join("benchmarks", "results"))
    a = ap.parse_args(argv)
    res = {"load_average_start": os.getloadavg(), "cpus": os.cpu_count(), "throughput": [],
           "memory": []}
    for arch in ("fc", "allcnn"):
        r = _time_pair(arch, a.batch, a.epochs, a.repeats, runs=a.runs)
        res["throughput"].append(r)
        print(f"{arch:7s} (width {r['width']}, batch {a.batch}, {r['runs']} runs of one sweep "
              f"group) runs×epochs/min: loop {r['loop_runs_epochs_per_min']:8.1f}  batched "
              f"{r['batched_runs_epochs_per_min']:8.1f}  speed-up {r['speedup']:.2f}× "
              f"({r['checkpoints']} checkpoints)", flush=True)
        r2 = _time_pair(arch, a.batch, a.epochs, a.repeats, checkpoints=2, runs=a.runs)
        r2["training_only"] = True
        res["throughput"].append(r2)
        print(f"{arch:7s} training only (2 checkpoints): loop "
              f"{r2['loop_runs_epochs_per_min']:8.1f}  batched "
              f"{r2['batched_runs_epochs_per_min']:8.1f}  speed-up {r2['speedup']:.2f}×",
              flush=True)
        # the evaluation both paths must do (every checkpoint on all train and test samples):
        # its share of the loop's time bounds any speed-up of the training steps
        t_full = 60 / r["loop_runs_epochs_per_min"]
        t_train = 60 / r2["loop_runs_epochs_per_min"]
        per_ck = max(t_full - t_train, 0.0) * a.epochs / (r["checkpoints"] - 2)
        share = min(per_ck * r["checkpoints"] / a.epochs / t_full, 1.0)
        r["loop_evaluation_share"] = share
        r["speedup_bound_if_batched_training_were_free"] = 1 / share if share > 0 else None
        print(f"{arch:7s} evaluation is {100 * share:.0f}% of the loop's time: with the same "
              f"evaluation, a batched path whose training cost nothing would be at most "
              f"{1 / share if share > 0 else float('inf'):.2f}× faster", flush=True)
        r3 = _sweep_pair(arch, a.batch, a.epochs, a.repeats)
        res["throughput"].append(r3)
        print(f"{arch:7s} whole sweep (store writes included): unbatched "
              f"{r3['loop_runs_epochs_per_min']:8.1f}  batched "
              f"{r3['batched_runs_epochs_per_min']:8.1f}  speed-up {r3['speedup']:.2f}×",
              flush=True)
        for kind in ("loop", "batched"):
            m = _peak(kind, arch, a.batch, min(a.epochs, 1))
            m["arch"] = arch
            res["memory"].append(m)
            print(f"{arch:7s} {kind:8s} peak RSS {m['peak_rss_mib']:.0f} MiB "
                  f"(+{m['increase_mib']:.0f} MiB while training)", flush=True)
    ratio = None
    if a.quick_sweep:
        q = _quick_sweep(a.workers)
        res["quick_sweep"] = q
        ratio = q["store_bytes"] / q["raw_logp_bytes"]
        print(f"quick sweep: {q['runs']} runs in {q['wall_seconds']:.0f} s, store "
              f"{q['store_bytes'] / 2**20:.1f} MiB ({ratio:.2f} of raw float32), median final "
              f"train error {q['train_error_final_median']:.3f}", flush=True)
    if a.estimate_full:
        e = _estimate_full(workers=a.workers, ratio=ratio)
        res["full_estimate"] = e
        print(f"full digits sweep: {e['runs']} runs in {e['groups']} groups ≈ "
              f"{e['cpu_hours_total']:.1f} CPU-hours, ≈ {e['wall_hours_estimate']:.1f} h on "
              f"{e['workers']} workers; raw logp {e['raw_logp_bytes'] / 2**30:.2f} GiB"
              + ("" if e["store_bytes_estimate"] is None else
                 f", store ≈ {e['store_bytes_estimate'] / 2**30:.2f} GiB"), flush=True)
    res["load_average_end"] = os.getloadavg()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "manifold_throughput.json"), "w") as f:
        json.dump(res, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
