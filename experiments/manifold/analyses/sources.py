"""Load predictions for the analyses: a sweep store, or a user's own stack with metadata.

* A sweep directory (``hyperribbon-sweep/1``, :func:`hyperribbon.experiments.manifold.open_sweep`):
  train and test stacks of every finished checkpoint of every run that did not diverge, with the
  run factors and checkpoint columns as metadata and the stored labels.
* A user's stack: an (m, N, C) ``.npy`` file or zarr array of probabilities or
  log-probabilities (models × samples × classes), optional metadata CSV with one row per model
  (``run``, ``checkpoint`` or ``step``, any factor columns), and the labels as ``.npy`` or a text
  file with one integer per line (or comma-separated). A test stack of the same models can be
  given with its own labels.

Errors name the command-line flag (``--meta``, ``--labels``, ...) they come from.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from hyperribbon.theory import InvalidArgument

from .predictions import Predictions

__all__ = ["is_sweep", "load_stack", "load_labels", "load_meta", "load_predictions"]


def is_sweep(path) -> bool:
    """Whether ``path`` is a directory holding a ``hyperribbon-sweep/1`` zarr group."""
    p = Path(path)
    if not p.is_dir() or not (p / "zarr.json").exists():
        return False
    try:
        import json
        attrs = json.loads((p / "zarr.json").read_text()).get("attributes", {})
    except (OSError, ValueError):
        return False
    return str(attrs.get("format", "")).startswith("hyperribbon-sweep/")


def load_stack(path, argument: str = "STACK", owner: str = "load_stack") -> np.ndarray:
    """An (m, N, C) array from ``.npy`` (memory-mapped) or a zarr array directory."""
    p = Path(path)
    if not p.exists():
        raise InvalidArgument(argument, owner, "name an existing .npy file or zarr array", path)
    if p.suffix == ".npy":
        try:
            arr = np.load(p, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise InvalidArgument(argument, owner, "be a readable .npy file", f"{path} ({exc})")
    else:
        try:
            import zarr
            arr = zarr.open_array(str(p), mode="r")
        except Exception as exc:                        # zarr raises several kinds
            raise InvalidArgument(argument, owner, "be a .npy file or a zarr array",
                                  f"{path} ({type(exc).__name__})")
        arr = arr[...]
    if arr.ndim != 3:
        raise InvalidArgument(argument, owner, "hold an (m, N, C) array (models, samples, "
                              "classes)", arr)
    return np.asarray(arr)


def load_labels(path, n: int | None = None, argument: str = "--labels",
                owner: str = "load_labels") -> np.ndarray:
    """Integer labels from ``.npy`` or text (one per line, or comma/space separated)."""
    p = Path(path)
    if not p.is_file():
        raise InvalidArgument(argument, owner, "name an existing file of labels", path)
    if p.suffix == ".npy":
        y = np.load(p, allow_pickle=False)
    else:
        text = p.read_text().replace(",", " ").split()
        try:
            y = np.array([int(float(t)) for t in text if t.strip()], dtype=np.int64)
        except ValueError:
            raise InvalidArgument(argument, owner, "contain integers only", path) from None
    y = np.asarray(y).ravel()
    if n is not None and y.size != n:
        raise InvalidArgument(argument, owner, f"hold one label per sample (N = {n})",
                              f"{y.size} labels in {path}")
    return y


def load_meta(path, m: int, argument: str = "--meta", owner: str = "load_meta") -> pd.DataFrame:
    """A metadata CSV with exactly ``m`` rows (one per model, in stack order)."""
    p = Path(path)
    if not p.is_file():
        raise InvalidArgument(argument, owner, "name an existing CSV file", path)
    try:
        meta = pd.read_csv(p)
    except (ValueError, pd.errors.ParserError) as exc:
        raise InvalidArgument(argument, owner, "be a readable CSV file", f"{path} ({exc})")
    if len(meta) != m:
        raise InvalidArgument(argument, owner, f"have one row per model (m = {m} rows)",
                              f"{len(meta)} rows in {path}")
    return meta


def load_predictions(source, *, meta=None, labels=None, test=None, labels_test=None,
                     checkpoint_stride: int = 1) -> tuple:
    """``(train, test_or_None, info)`` Predictions from a sweep or a user's stack.

    Parameters
    ----------
    source : path
        A sweep directory or an (m, N, C) ``.npy``/zarr stack.
    meta : path, optional
        Metadata CSV for a user's stack (one row per model).
    labels : path, optional
        Labels of the stack's samples (required for a user's stack).
    test, labels_test : path, optional
        A test stack of the same models and its labels.
    checkpoint_stride : int
        Sweeps only: keep every ``checkpoint_stride``-th checkpoint slot of each run and its
        last (:meth:`Sweep.stack <hyperribbon.experiments.manifold.store.Sweep.stack>`);
        recorded in ``info``.

    ``info`` records the source, the stride and, for a sweep, whether it is complete (an
    incomplete sweep is analysed as far as it got and says so: ``complete`` False and
    ``runs finished`` of ``runs total``).
    """
    owner = "load_predictions"
    if is_sweep(source):
        for flag, v in (("--meta", meta), ("--labels", labels), ("--test", test),
                        ("--labels-test", labels_test)):
            if v is not None:
                raise InvalidArgument(flag, owner, "not be given with a sweep (it stores its own "
                                      "metadata, labels and test predictions)", v)
        from hyperribbon.experiments.manifold.store import open_sweep
        sw = open_sweep(str(source))
        complete = bool(sw.is_complete)             # before the snapshot: never over-claimed
        lp_tr, m_tr = _stack(sw, "train", checkpoint_stride)
        lp_te, m_te = sw.stack("test", like=m_tr)          # the same models, even mid-sweep
        if len(m_tr) == 0:
            raise InvalidArgument("SWEEP", owner, "hold at least one finished checkpoint",
                                  str(source))
        meta_df = m_tr.drop(columns=[c for c in ("done",) if c in m_tr.columns])
        tr = Predictions(lp_tr, meta_df, sw.labels("train"), split="train", kind="log")
        te = Predictions(lp_te, meta_df, sw.labels("test"), split="test", kind="log")
        info = {"source": os.fspath(source), "kind": "sweep", "dataset": sw.attrs.get("dataset"),
                "diverged_excluded": int(m_tr.attrs.get("diverged_excluded", 0)),
                "runs": int(meta_df["run_id"].nunique()),
                "runs total": int(len(sw.runs)), "complete": complete,
                "checkpoint_stride": int(checkpoint_stride)}
        return tr, te, info
    if checkpoint_stride != 1:
        raise InvalidArgument("--checkpoint-stride", owner, "be 1 for a stack of predictions "
                              "(it selects checkpoint slots of a sweep)", checkpoint_stride)
    arr = load_stack(source, "SOURCE", owner)
    m, N, _ = arr.shape
    if labels is None:
        raise InvalidArgument("--labels", owner, "be given with a stack of predictions", labels)
    y = load_labels(labels, N, "--labels", owner)
    meta_df = None if meta is None else load_meta(meta, m, "--meta", owner)
    tr = _predictions(arr, meta_df, y, "train", "SOURCE", owner)
    te = None
    if test is not None:
        arr_te = load_stack(test, "--test", owner)
        if arr_te.shape[0] != m or arr_te.shape[2] != arr.shape[2]:
            raise InvalidArgument("--test", owner, f"hold the same m = {m} models and C = "
                                  f"{arr.shape[2]} classes", arr_te)
        if labels_test is None:
            raise InvalidArgument("--labels-test", owner, "be given with --test", labels_test)
        te = _predictions(arr_te, meta_df, load_labels(labels_test, arr_te.shape[1],
                                                       "--labels-test", owner),
                          "test", "--test", owner)
    info = {"source": os.fspath(source), "kind": "stack", "meta": None if meta is None
            else os.fspath(meta), "labels": os.fspath(labels)}
    return tr, te, info


def _stack(sw, split, stride):
    """``Sweep.stack`` whose stride error names the command-line flag."""
    try:
        return sw.stack(split, checkpoint_stride=stride)
    except InvalidArgument as exc:
        if exc.argument != "checkpoint_stride":
            raise
        raise InvalidArgument("--checkpoint-stride", "load_predictions", exc.rule,
                              exc.value) from None


def _predictions(arr, meta, y, split, argument, owner):
    """Predictions whose validation errors name the command-line argument of the stack."""
    try:
        return Predictions(arr, meta, y, split=split)
    except InvalidArgument as exc:
        if exc.argument != "logp":
            raise
        raise InvalidArgument(argument, owner, exc.rule, exc.value) from None
