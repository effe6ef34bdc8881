"""Run a sweep: independent tasks (one group of runs each) on Dask, resumable after any kill.

Execution modes (``scheduler``):

* ``None`` — a ``distributed.LocalCluster`` with one single-threaded worker process per core;
* an address ``"tcp://host:8786"`` — the user's Dask cluster (workers must see ``out`` and,
  for mnist/cifar10, the data directory);
* ``"sync"`` — every task in this process, one after another (tests, debugging).

A task trains one group (:func:`~.batched.group_key`; a single run when not batched), writes
each checkpoint slot to the store as soon as it is computed (logp → metrics → ``done``), and
saves its training state after every checkpoint to ``SWEEP/_state/group-G.pt`` (atomically:
temporary file, then rename). Restarting the same command after a crash or ``kill -9``
reopens the store, removes half-written temporary files, skips finished groups, and continues
each unfinished group from its last saved state; slots already marked done are not rewritten.
Mini-batches and augmentations are pure functions of (seed, step) and every task runs with one
torch thread, so the resumed sweep writes exactly what an uninterrupted sweep writes.
"""
from __future__ import annotations

import json
import os
import time

import numpy as np

from hyperribbon.theory import InvalidArgument

from . import store as _store
from .config import SweepConfig, expand_runs, load_config, parse_config

__all__ = ["run_sweep", "prepare_sweep", "run_group", "dataset_from_config"]

_DATA_CACHE: dict = {}


def dataset_from_config(data: dict):
    """The Dataset of a (normalised) ``[data]`` table; cached per process."""
    from hyperribbon.experiments.networks.data import load_dataset
    key = json.dumps(data, sort_keys=True)
    if key not in _DATA_CACHE:
        kwargs = {}
        if data["name"] in ("mnist", "cifar10") and "limit" in data:
            kwargs["limit"] = data["limit"]
        if data["name"] in ("sloppy", "isotropic"):
            syn = dict(data.get("synthetic", {}))
            if "n_classes" in syn:
                syn["classes"] = syn.pop("n_classes")
            kwargs.update(syn)
        _DATA_CACHE[key] = load_dataset(data["name"], path=data.get("path"), seed=data["seed"],
                                        classes=data.get("classes"),
                                        random_label_seed=data.get("random_labels"), **kwargs)
    return _DATA_CACHE[key]


def prepare_sweep(config, out) -> "_store.Sweep":
    """Create the store for ``config`` at ``out``, or reopen it to resume.

    Raises
    ------
    InvalidArgument
        ``--out`` holds a sweep of a different configuration.
    """
    from hyperribbon.experiments.networks.train import TrainConfig, checkpoint_steps
    cfg = config if isinstance(config, SweepConfig) else (
        parse_config(config) if isinstance(config, dict) else load_config(config))
    conf = cfg.to_dict()
    if os.path.exists(os.path.join(str(out), "zarr.json")):
        sw = _store.open_sweep(out)
        if json.dumps(sw.attrs.get("config"), sort_keys=True) != json.dumps(conf, sort_keys=True):
            raise InvalidArgument("--out", "manifold run",
                                  "hold no sweep or a sweep of this configuration", str(out))
        _store.clean_partial_writes(str(out))
        return sw
    data = dataset_from_config(cfg.data)
    too_big = [b for b in cfg.training["batch_sizes"] if b > data.n_train]
    if too_big:                                   # before anything is written
        raise InvalidArgument("training.batch_sizes", "sweep config",
                              f"hold batch sizes ≤ the {data.n_train} training samples of "
                              f"{data.name!r}", too_big)
    rows = expand_runs(cfg, data.n_train, image=len(data.in_shape) == 3)
    for row in rows:
        tc = TrainConfig(**{k: v for k, v in row.items() if k != "group"})
        row["total_steps"] = tc.total_steps(data.n_train)
        row["n_checkpoints"] = len(checkpoint_steps(row["total_steps"], tc.checkpoints))
        row["data"] = data.name
    import pandas as pd
    runs = pd.DataFrame(rows)
    return _store.create_sweep(str(out), runs, dataset=data.name, classes=data.classes,
                               y_train=data.y_train, y_test=data.y_test,
                               checkpoints=cfg.training["checkpoints"], config=conf)


def _train_config(row):
    from hyperribbon.experiments.networks.train import TrainConfig
    import dataclasses

    def clean(k, v):
        if k in ("width", "corner"):
            return None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)
        if k in ("batch_size", "seed", "checkpoints"):
            return int(v)
        if k in ("augment", "bn_init"):
            return bool(v) if not isinstance(v, str) else v == "True"
        if k in ("lr", "weight_decay", "epochs"):
            return float(v)
        return v
    return TrainConfig(**{f.name: clean(f.name, row[f.name]) for f in dataclasses.fields(TrainConfig)})


def _save_state(path, state):
    import torch
    tmp = f"{path}.{os.getpid()}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def run_group(path: str, group: int) -> dict:
    """The task: train one group of a sweep and write its checkpoints (resumable).

    Returns
    -------
    dict with ``group``, ``runs`` (ids), ``seconds`` (wall time of this call), ``resumed_from``
    (the step it continued from, 0 for a fresh start), ``statuses``.
    """
    import torch
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    sw = _store.open_sweep(path)
    table = sw.runs
    rows = table[table["group"] == group]
    if len(rows) == 0:
        raise InvalidArgument("group", "run_group", f"be a group of the sweep {path}", group)
    ids = rows["run_id"].to_numpy()
    if rows["status"].isin(["done", "diverged"]).all():
        return {"group": int(group), "runs": ids.tolist(), "seconds": 0.0, "resumed_from": None,
                "statuses": rows["status"].tolist()}
    cfgs = [_train_config(row) for _, row in rows.iterrows()]
    data = dataset_from_config(sw.attrs["config"]["data"])
    exe = sw.attrs["config"]["execution"]
    done = sw.root["metrics/done"][:][ids]
    os.makedirs(os.path.join(path, "_state"), exist_ok=True)
    state_path = os.path.join(path, "_state", f"group-{int(group)}.pt")
    state = torch.load(state_path, weights_only=False) if os.path.exists(state_path) else None
    for r in ids:
        _store.set_status(sw.root, int(r), "running")

    arrays = _store.checkpoint_arrays(sw.root)

    def write_all(idx, recs):
        """One store call per checkpoint for the whole group (slots already done are kept)."""
        keep = [(i, r) for i, r in zip(idx, recs) if not done[i, r.index]]
        if not keep:
            return
        idx, recs = [i for i, _ in keep], [r for _, r in keep]
        _store.write_checkpoints(
            arrays, ids[idx], recs[0].index, step=[r.step for r in recs],
            epoch=[r.epoch for r in recs], logp_train=np.stack([r.logp_train for r in recs]),
            logp_test=np.stack([r.logp_test for r in recs]),
            train_error=[r.train_error for r in recs], test_error=[r.test_error for r in recs],
            train_loss=[r.train_loss for r in recs], test_loss=[r.test_loss for r in recs])

    def write(i, rec):
        write_all([i], [rec])

    def on_state(s):
        _save_state(state_path, s)

    if exe["batched"]:
        from .batched import train_batched
        results = train_batched(cfgs, data, on_checkpoints=write_all, state=state,
                                on_state=on_state, method=exe["method"])
    else:
        from hyperribbon.experiments.networks.train import train
        results = [train(cfgs[0], data, on_checkpoint=lambda rec: write(0, rec), state=state,
                         on_state=on_state)]
    statuses = []
    seconds = time.perf_counter() - t0
    for r, res in zip(ids, results):
        st = "diverged" if res.diverged else "done"
        sw.root["runs/seconds"][int(r)] = seconds / len(ids)
        _store.set_status(sw.root, int(r), st)
        statuses.append(st)
    try:
        os.remove(state_path)
    except FileNotFoundError:
        pass
    return {"group": int(group), "runs": ids.tolist(), "seconds": seconds,
            "resumed_from": None if state is None else int(state["step"]),
            "statuses": statuses}


def run_sweep(config, out, *, scheduler: str | None = None, workers: int | None = None,
              progress: bool = True, processes: bool = True) -> "_store.Sweep":
    """Create (or resume) and run a sweep; returns the opened store.

    Parameters
    ----------
    config : str, dict or SweepConfig
        A TOML path, a shipped configuration name (``"quick"``, ``"digits-full"``), a parsed
        dict, or a validated configuration.
    out : str
        The sweep store directory (created, or resumed if it holds this configuration).
    scheduler : None, "sync" or str
        See the module docstring.
    workers : int, optional
        Worker processes of the local cluster (default: one per core).
    progress : bool
        tqdm bar over runs.
    processes : bool
        Local cluster workers are processes (default) or threads of this process (tests).
    """
    from tqdm.auto import tqdm
    sw = prepare_sweep(config, out)
    table = sw.runs
    todo = table[~table["status"].isin(["done", "diverged"])]
    groups = sorted(int(g) for g in todo["group"].unique())
    sizes = todo.groupby("group").size().to_dict()
    bar = tqdm(total=len(table), initial=len(table) - len(todo), desc="runs", unit="run",
               disable=not progress)
    try:
        if scheduler == "sync":
            for g in groups:
                run_group(sw.path, g)
                bar.update(sizes[g])
        else:
            _run_distributed(sw.path, groups, sizes, scheduler, workers, bar, processes)
    finally:
        bar.close()
    sw = _store.open_sweep(sw.path)
    _store._write_csv(sw.runs.drop(columns=["n_done", "seconds"], errors="ignore"),
                      os.path.join(sw.path, "runs.csv"))
    return sw


def _run_distributed(path, groups, sizes, scheduler, workers, bar, processes=True):
    import logging
    from distributed import Client, LocalCluster, as_completed
    if scheduler is None:
        logging.getLogger("distributed.nanny").setLevel(logging.ERROR)   # shutdown chatter
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=processes, dashboard_address=":0")
        client = Client(cluster)
    else:
        cluster, client = None, Client(scheduler)
    try:
        futures = [client.submit(run_group, path, g, pure=False, key=f"hyperribbon-group-{g}-"
                                 f"{os.getpid()}-{time.time_ns()}") for g in groups]
        by_key = {f.key: g for f, g in zip(futures, groups)}
        for fut in as_completed(futures):
            fut.result()                       # re-raises a task's error here
            bar.update(sizes[by_key[fut.key]])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
