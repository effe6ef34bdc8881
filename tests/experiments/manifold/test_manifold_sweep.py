"""Sweep execution: the local Dask cluster writes what the in-process mode writes, each stored
checkpoint is what the one-run loop computes for that run, diverged runs are recorded as such,
synthetic tasks and corners run end to end."""
import numpy as np
import pytest

from hyperribbon.experiments.manifold.store import open_sweep
from hyperribbon.experiments.manifold.sweep import _train_config, dataset_from_config, run_sweep
from hyperribbon.experiments.networks import train

TINY = {"name": "tiny", "data": {"name": "digits", "classes": [0, 1, 2]},
        "training": {"epochs": 1, "checkpoints": 4, "batch_sizes": [32], "seeds": 2},
        "architectures": {"fc": 16},
        "optimizers": {"sgd": {"lr_per_batch": 2e-3, "weight_decay": [0.0]},
                       "adam": {"lr_per_batch": 2e-5, "weight_decay": [1e-5]}},
        "execution": {"group_size": 2}}


@pytest.fixture(scope="module")
def sync_sweep(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("sync") / "sw")
    return run_sweep(TINY, out, scheduler="sync", progress=False)


def test_stored_checkpoints_equal_the_one_run_loop(sync_sweep):
    sw = sync_sweep
    assert sw.is_complete and (sw.runs["status"] == "done").all()
    data = dataset_from_config(sw.attrs["config"]["data"])
    for _, row in sw.runs.iterrows():
        ref = train(_train_config(row), data)
        r = int(row.run_id)
        assert row.n_checkpoints == len(ref.steps) == row.n_done
        assert np.array_equal(sw.root["metrics/step"][r, :len(ref.steps)], ref.steps)
        got = sw.logp("test")[r, :len(ref.steps)]
        assert np.abs(got - ref.logp("test")).max() < 2e-3     # batched vs loop (see train test)
    logp, meta = sw.stack("train")
    assert logp.shape == (len(sw.checkpoints), data.n_train, 3)
    assert set(meta.optimizer) == {"sgd", "adam"} and meta.attrs["diverged_excluded"] == 0


@pytest.mark.parametrize("processes", [
    False, pytest.param(True, marks=pytest.mark.slow)], ids=["threads", "processes"])
def test_local_cluster_writes_what_sync_mode_writes(sync_sweep, tmp_path, processes):
    sw = run_sweep(TINY, str(tmp_path / "dist"), scheduler=None, workers=2, progress=False,
                   processes=processes)
    assert sw.is_complete
    for name in ("train/logp", "test/logp", "metrics/step", "metrics/train_loss",
                 "metrics/done", "runs/status"):
        assert np.array_equal(sw.root[name][:], sync_sweep.root[name][:], equal_nan=True), name
    # a second call finds nothing to do and changes nothing
    again = run_sweep(TINY, str(tmp_path / "dist"), scheduler="sync", progress=False)
    assert np.array_equal(again.root["test/logp"][:], sw.root["test/logp"][:], equal_nan=True)


def test_diverged_runs_are_recorded_and_excluded(tmp_path):
    cfg = {**TINY, "optimizers": {"sgd": {"lr_per_batch": 1e35, "weight_decay": [0.0]},
                                  "adam": {"lr_per_batch": 2e-5, "weight_decay": [0.0]}},
           "training": {**TINY["training"], "schedule": "constant"}}
    sw = run_sweep(cfg, str(tmp_path / "div"), scheduler="sync", progress=False)
    st = sw.runs.set_index("optimizer")["status"]
    assert (st["sgd"] == "diverged").all() and (st["adam"] == "done").all()
    assert sw.is_complete
    logp, meta = sw.stack("test")
    assert meta.attrs["diverged_excluded"] == 2 and set(meta.optimizer) == {"adam"}
    assert np.isfinite(logp).all()
    assert "2 diverged" in sw.summary()


def test_synthetic_task_from_corners(tmp_path):
    cfg = {"name": "corners",
           "data": {"name": "sloppy", "seed": 1,
                    "synthetic": {"n_train": 200, "n_test": 50, "d": 20, "c": 0.5}},
           "training": {"epochs": 2, "checkpoints": 4, "batch_sizes": [50], "seeds": 2,
                        "corners": [0, 1]},
           "architectures": {"fc1": 32},
           "optimizers": {"sgd": {"lr_per_batch": 2e-3}},
           "execution": {"group_size": 4}}
    sw = run_sweep(cfg, str(tmp_path / "c"), scheduler="sync", progress=False)
    assert sw.is_complete and sw.attrs["classes"] == 5
    first = sw.logp("train")[:, 0]                      # (R, N, C) at step 0
    conf = np.exp(first.max(axis=-1)).mean(axis=1)      # mean top probability per run
    assert (conf > 0.6).all()                           # near corners of the simplex
    corners = sw.runs["corner"].to_numpy()
    same = (first[0].argmax(-1) == first[corners == corners[0]][1].argmax(-1)).mean()
    other = (first[0].argmax(-1) == first[corners != corners[0]][0].argmax(-1)).mean()
    assert same > other
