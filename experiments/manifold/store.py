"""The sweep store: one zarr (v3) group per sweep, written atomically and resumably.

Layout (format ``hyperribbon-sweep/1``; R runs, K checkpoint slots, C classes)::

    SWEEP/                      zarr group; attrs {"format", "dataset", "classes", "n_train",
                                "n_test", "config", "checkpoints"}
      train/logp  float32 (R, K, N_train, C)   log-probabilities, NaN where not written
      test/logp   float32 (R, K, N_test, C)
      metrics/step int64 (R, K)  (-1 where not written)   metrics/epoch float64 (R, K)
      metrics/train_error, test_error, train_loss, test_loss  float64 (R, K)
      metrics/done bool (R, K)   a slot is True only after all of its data was written
      labels/train int64 (N_train,)   labels/test int64 (N_test,)
      runs/status int8 (R,)      0 pending, 1 running, 2 done, 3 diverged (authoritative)
      runs/seconds float64 (R,)  wall time of the run's task (per run of a batched group)
      runs.csv                   the run factors (one row per run; its status column is a
                                 snapshot refreshed by the driver; open_sweep reads runs/status)
      _state/                    per-task resume states (torch files; deleted when done)

Atomicity: the store is built under a temporary name and renamed into place, so it exists
complete or not at all. Zarr's local store writes every chunk to a temporary file and renames it into place;
logp chunks are ``(1, 1, N, C)`` and metric chunks ``(1, K)`` (one run per chunk), so a run's
task is the only writer of its chunks. The order of writes for a checkpoint is logp (train,
test) → metrics → ``done``: a killed process leaves at most a slot whose ``done`` is False, which
the resumed task rewrites. A stale ``*.partial`` file of an interrupted chunk write is removed on
resume.
"""
from __future__ import annotations

import glob
import json
import os
import shutil

import numpy as np

from hyperribbon.theory import InvalidArgument

__all__ = ["FORMAT", "STATUS", "RUN_COLUMNS", "create_sweep", "open_sweep", "Sweep",
           "write_checkpoint", "write_checkpoints", "checkpoint_arrays", "set_status",
           "clean_partial_writes"]

FORMAT = "hyperribbon-sweep/1"
STATUS = ("pending", "running", "done", "diverged")
RUN_COLUMNS = ("run_id", "arch", "width", "optimizer", "lr", "batch_size", "weight_decay",
               "augment", "seed", "data", "status", "n_checkpoints")
METRICS = ("train_error", "test_error", "train_loss", "test_loss")


def create_sweep(path, runs, *, dataset: str, classes: int, y_train, y_test, checkpoints: int,
                 config: dict | None = None, overwrite: bool = False):
    """Create an empty sweep store (all slots not done, all runs pending).

    Parameters
    ----------
    path : str
        Directory of the zarr group to create.
    runs : pandas.DataFrame
        One row per run with at least the factor columns of :data:`RUN_COLUMNS` except
        ``run_id`` and ``status`` (``run_id`` is set to ``0..R-1``); extra columns are kept.
    dataset : str
    classes : int
    y_train, y_test : (N,) int arrays
        Labels stored under ``labels/``.
    checkpoints : int
        K, the number of checkpoint slots per run (≥ every run's ``n_checkpoints``).
    config : dict, optional
        The sweep's configuration (JSON-serialisable), stored in the group's attributes.
    overwrite : bool
        Replace an existing store at ``path``.

    Returns
    -------
    Sweep
    """
    import pandas as pd
    import zarr
    owner = "create_sweep"
    if os.path.exists(path) and not overwrite:
        raise InvalidArgument("path", owner, "not exist yet (or pass overwrite=True)", path)
    runs = pd.DataFrame(runs).reset_index(drop=True).copy()
    missing = [c for c in RUN_COLUMNS if c not in ("run_id", "status") and c not in runs]
    if missing:
        raise InvalidArgument("runs", owner, f"have the columns {missing}", list(runs.columns))
    if len(runs) == 0:
        raise InvalidArgument("runs", owner, "have at least one row", 0)
    if int(runs["n_checkpoints"].max()) > checkpoints:
        raise InvalidArgument("checkpoints", owner,
                              f"be ≥ every run's n_checkpoints ({runs['n_checkpoints'].max()})",
                              checkpoints)
    y_train, y_test = np.asarray(y_train, np.int64), np.asarray(y_test, np.int64)
    r, k = len(runs), int(checkpoints)
    final, path = str(path), f"{str(path).rstrip(os.sep)}.creating-{os.getpid()}"
    for stale in glob.glob(f"{glob.escape(final.rstrip(os.sep))}.creating-*"):
        shutil.rmtree(stale, ignore_errors=True)     # left by a creation that was killed
    root = zarr.open_group(path, mode="w")
    root.attrs.update({"format": FORMAT, "dataset": dataset, "classes": int(classes),
                       "n_train": int(y_train.size), "n_test": int(y_test.size),
                       "checkpoints": k, "config": json.loads(json.dumps(config or {}))})
    for split, y in (("train", y_train), ("test", y_test)):
        root.create_array(f"{split}/logp", shape=(r, k, y.size, int(classes)),
                          chunks=(1, 1, y.size, int(classes)), dtype="float32",
                          fill_value=np.nan)
        lab = root.create_array(f"labels/{split}", shape=y.shape, chunks=y.shape, dtype="int64",
                                fill_value=-1)
        lab[:] = y
    root.create_array("metrics/step", shape=(r, k), chunks=(1, k), dtype="int64", fill_value=-1)
    for name in ("epoch",) + METRICS:
        root.create_array(f"metrics/{name}", shape=(r, k), chunks=(1, k), dtype="float64",
                          fill_value=np.nan)
    root.create_array("metrics/done", shape=(r, k), chunks=(1, k), dtype="bool",
                      fill_value=False)
    root.create_array("runs/status", shape=(r,), chunks=(1,), dtype="int8", fill_value=0)
    root.create_array("runs/seconds", shape=(r,), chunks=(1,), dtype="float64",
                      fill_value=np.nan)
    runs.insert(0, "run_id", np.arange(r))
    runs["status"] = "pending"
    cols = list(RUN_COLUMNS) + [c for c in runs.columns if c not in RUN_COLUMNS]
    _write_csv(runs[cols], os.path.join(path, "runs.csv"))
    if overwrite and os.path.exists(final):
        shutil.rmtree(final)
    os.rename(path, final)                           # the store appears complete or not at all
    return Sweep(final)


def _write_csv(df, path):
    tmp = f"{path}.{os.getpid()}.tmp"
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


def checkpoint_arrays(root) -> dict:
    """The zarr arrays :func:`write_checkpoints` writes, opened once (opening an array reads its
    metadata: a writer that writes thousands of slots keeps these handles)."""
    names = ["train/logp", "test/logp", "metrics/step", "metrics/epoch"]
    names += [f"metrics/{m}" for m in METRICS] + ["metrics/done"]
    return {n: root[n] for n in names}


def write_checkpoints(arrays, runs, slot: int, *, step, epoch, logp_train, logp_test,
                      train_error, test_error, train_loss, test_loss) -> None:
    """Write one checkpoint slot of several runs at once: every run's logp (train, test), then
    every metric, then the ``done`` flags last (the commit; one chunk per run, so a kill
    leaves each run's slot either committed or not).

    Parameters
    ----------
    arrays : dict from :func:`checkpoint_arrays` (or a zarr group: opened here)
    runs : (R,) increasing ints — run ids
    slot : int
    step, epoch : scalars (shared) or (R,) arrays
    logp_train, logp_test : (R, N_train, C), (R, N_test, C) — float32 log-probabilities
    train_error, test_error, train_loss, test_loss : (R,) arrays
    """
    if not isinstance(arrays, dict):
        arrays = checkpoint_arrays(arrays)
    ids = np.asarray(runs, dtype=np.int64).reshape(-1)
    if ids.size == 0:
        return
    if ids.size > 1 and not np.all(np.diff(ids) > 0):
        raise InvalidArgument("runs", "write_checkpoints", "be increasing run ids", runs)
    r = ids.size

    def per_run(v, dtype):
        return np.broadcast_to(np.asarray(v, dtype), (r,))

    sel = (ids, slot)                                  # orthogonal selection: one chunk per run
    arrays["train/logp"][sel] = np.asarray(logp_train, np.float32).reshape(
        (r,) + np.shape(logp_train)[-2:])
    arrays["test/logp"][sel] = np.asarray(logp_test, np.float32).reshape(
        (r,) + np.shape(logp_test)[-2:])
    arrays["metrics/step"][sel] = per_run(step, np.int64)
    for name, value in (("epoch", epoch), ("train_error", train_error),
                        ("test_error", test_error), ("train_loss", train_loss),
                        ("test_loss", test_loss)):
        arrays[f"metrics/{name}"][sel] = per_run(value, np.float64)
    arrays["metrics/done"][sel] = np.ones(r, bool)


def write_checkpoint(root, run: int, slot: int, *, step: int, epoch: float, logp_train,
                     logp_test, train_error: float, test_error: float, train_loss: float,
                     test_loss: float) -> None:
    """Write one checkpoint slot of one run, ``done`` last (the atomic commit)."""
    write_checkpoints(root, [run], slot, step=step, epoch=epoch,
                      logp_train=np.asarray(logp_train)[None],
                      logp_test=np.asarray(logp_test)[None], train_error=[train_error],
                      test_error=[test_error], train_loss=[train_loss], test_loss=[test_loss])


def set_status(root, run: int, status: str) -> None:
    """Set a run's status (one of :data:`STATUS`)."""
    root["runs/status"][run] = STATUS.index(status)


def clean_partial_writes(path) -> int:
    """Remove temporary files left by chunk writes interrupted by a kill; returns how many."""
    stale = glob.glob(os.path.join(path, "**", "*.partial"), recursive=True)
    for f in stale:
        try:
            os.remove(f)
        except FileNotFoundError:
            pass
    return len(stale)


def open_sweep(path) -> "Sweep":
    """Open a sweep store for reading (and for the sweep driver, writing).

    Raises
    ------
    InvalidArgument
        If ``path`` is not a ``hyperribbon-sweep/1`` store.
    """
    return Sweep(path)


class Sweep:
    """A sweep store: run table, checkpoint metrics, labels and log-probabilities.

    Attributes
    ----------
    path : str
    attrs : dict — the group's attributes (format, dataset, classes, n_train, n_test, config)
    root : zarr.Group
    """

    def __init__(self, path):
        import zarr
        owner = "open_sweep"
        if not os.path.isdir(str(path)):
            raise InvalidArgument("path", owner, "be a sweep directory", path)
        try:
            root = zarr.open_group(str(path), mode="r+")
        except Exception as exc:                       # zarr raises several kinds here
            raise InvalidArgument("path", owner, "be a zarr group", f"{path} ({exc})")
        if root.attrs.get("format") != FORMAT:
            raise InvalidArgument("path", owner, f"be a {FORMAT!r} store",
                                  f"{path} with format {root.attrs.get('format')!r}")
        self.path, self.root = str(path), root
        self.attrs = dict(root.attrs)

    # ------------------------------------------------------------------ tables
    @property
    def runs(self):
        """pandas DataFrame, one row per run: the factors of :data:`RUN_COLUMNS` (status read
        from the store), plus extra columns and ``n_done`` (checkpoint slots written)."""
        import pandas as pd
        df = pd.read_csv(os.path.join(self.path, "runs.csv"))
        codes = self.root["runs/status"][:]
        df["status"] = [STATUS[int(c)] for c in codes]
        if "seconds" in self.root["runs"]:
            df["seconds"] = self.root["runs/seconds"][:]
        df["n_done"] = self.root["metrics/done"][:].sum(axis=1)
        return df

    @property
    def checkpoints(self):
        """Long DataFrame: one row per (run, checkpoint slot < n_checkpoints) with ``run_id,
        checkpoint, step, epoch, train_error, test_error, train_loss, test_loss, done``."""
        import pandas as pd
        runs = pd.read_csv(os.path.join(self.path, "runs.csv"))
        r, k = self.root["metrics/done"].shape
        cols = {name: self.root[f"metrics/{name}"][:] for name in ("step", "epoch") + METRICS}
        done = self.root["metrics/done"][:]
        rid, slot = np.meshgrid(np.arange(r), np.arange(k), indexing="ij")
        keep = slot < runs["n_checkpoints"].to_numpy()[:, None]
        out = pd.DataFrame({"run_id": rid[keep], "checkpoint": slot[keep],
                            **{n: v[keep] for n, v in cols.items()}, "done": done[keep]})
        return out

    def labels(self, split: str = "train") -> np.ndarray:
        """``(N,)`` int64 labels of ``split`` ∈ {"train", "test"}."""
        return self.root[f"labels/{self._split(split)}"][:]

    def logp(self, split: str = "train"):
        """The ``(R, K, N, C)`` float32 zarr array of log-probabilities (lazy; NaN where a slot is
        not done)."""
        return self.root[f"{self._split(split)}/logp"]

    def _split(self, split):
        if split not in ("train", "test"):
            raise InvalidArgument("split", "Sweep", "be 'train' or 'test'", split)
        return split

    # ------------------------------------------------------------------ derived
    def stack(self, split: str = "train", runs=None, only_done: bool = True,
              checkpoint_stride: int = 1, like=None):
        """Gather models (run × checkpoint) into one array for the analyses.

        Parameters
        ----------
        split : {"train", "test"}
        runs : iterable of int, or boolean mask over runs, optional
            Run ids to include (default: all). Diverged runs are always excluded; their number
            is in ``meta.attrs["diverged_excluded"]``.
        only_done : bool
            Keep only written slots (``False`` keeps every slot below ``n_checkpoints``, NaN
            where not written).
        checkpoint_stride : int
            Keep checkpoint slots ``0, s, 2s, ...`` and each run's last slot (``s = 1``: all).
            For sweeps whose m² distance matrix would not fit in memory (the full digits
            sweep's 45,360 models need 16 GiB in float64; every 7th slot, 6,480 models,
            0.3 GiB).
        like : pandas.DataFrame, optional
            The ``meta`` of an earlier ``stack`` call: gather exactly its (run, checkpoint)
            rows (the other selection arguments are ignored). Stacking train and test of a
            sweep that is still being written gives the same models on both splits this way.

        Raises
        ------
        InvalidArgument
            ``checkpoint_stride`` not an integer ≥ 1; ``runs`` out of range.

        Returns
        -------
        logp : (m, N, C) float32 ndarray
        meta : pandas.DataFrame, m rows: the run's factors and the checkpoint's columns
            (``run_id, checkpoint, step, epoch, train_error, ..., done``).
        """
        split = self._split(split)
        if like is not None:
            meta = like.copy()
            meta.attrs = dict(like.attrs, split=split)
            return self._gather(split, meta), meta
        table = self.runs
        if runs is None:
            chosen = np.ones(len(table), bool)
        else:
            arr = np.asarray(list(runs) if not hasattr(runs, "dtype") else runs)
            if arr.dtype == bool:
                if arr.shape != (len(table),):
                    raise InvalidArgument("runs", "Sweep.stack",
                                          f"be a boolean mask of length {len(table)}", arr)
                chosen = arr
            else:
                if arr.size and (arr.min() < 0 or arr.max() >= len(table)):
                    raise InvalidArgument("runs", "Sweep.stack",
                                          f"hold run ids in 0..{len(table) - 1}", runs)
                chosen = np.zeros(len(table), bool)
                chosen[arr.astype(int)] = True
        diverged = chosen & (table["status"] == "diverged").to_numpy()
        chosen &= ~diverged
        if (isinstance(checkpoint_stride, bool) or not isinstance(checkpoint_stride,
                                                                  (int, np.integer))
                or checkpoint_stride < 1):
            raise InvalidArgument("checkpoint_stride", "Sweep.stack", "be an integer ≥ 1",
                                  checkpoint_stride)
        ck = self.checkpoints
        ck = ck[chosen[ck["run_id"].to_numpy()]]
        if checkpoint_stride > 1:
            last = table["n_checkpoints"].to_numpy()[ck["run_id"].to_numpy()] - 1
            slot = ck["checkpoint"].to_numpy()
            ck = ck[(slot % int(checkpoint_stride) == 0) | (slot == last)]
        if only_done:
            ck = ck[ck["done"]]
        factors = table.drop(columns=["n_done", "seconds"], errors="ignore")
        meta = ck.merge(factors, on="run_id", how="left").reset_index(drop=True)
        meta.attrs["diverged_excluded"] = int(diverged.sum())
        meta.attrs["split"] = split
        meta.attrs["checkpoint_stride"] = int(checkpoint_stride)
        return self._gather(split, meta), meta

    def _gather(self, split, meta):
        arr = self.logp(split)
        n, c = arr.shape[2], arr.shape[3]
        out = np.empty((len(meta), n, c), np.float32)
        for i, (r, k) in enumerate(zip(meta["run_id"].to_numpy(), meta["checkpoint"].to_numpy())):
            out[i] = arr[int(r), int(k)]
        return out

    @property
    def is_complete(self) -> bool:
        """True when every run is done or diverged and every done run has all its slots."""
        table = self.runs
        if not table["status"].isin(["done", "diverged"]).all():
            return False
        done = table["status"] == "done"
        return bool((table.loc[done, "n_done"] == table.loc[done, "n_checkpoints"]).all())

    def summary(self) -> str:
        """A few lines: data set, runs by status, checkpoints written, completeness."""
        t = self.runs
        counts = t["status"].value_counts().reindex(list(STATUS), fill_value=0)
        written = int(t["n_done"].sum())
        expected = int(t.loc[t["status"] != "diverged", "n_checkpoints"].sum()
                       + t.loc[t["status"] == "diverged", "n_done"].sum())
        lines = [f"sweep {self.path} ({self.attrs['format']})",
                 f"data {self.attrs['dataset']}: {self.attrs['n_train']} train, "
                 f"{self.attrs['n_test']} test, {self.attrs['classes']} classes",
                 f"runs {len(t)}: " + ", ".join(f"{counts[s]} {s}" for s in STATUS),
                 f"checkpoints written {written} of {expected}",
                 "complete" if self.is_complete else "INCOMPLETE (resume with `manifold run`)"]
        return "\n".join(lines)

    def __repr__(self):
        return f"Sweep({self.path!r})"
