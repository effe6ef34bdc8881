"""The sweep store format (hyperribbon-sweep/1): layout, commit order, tables, stacking."""
import json
import os

import numpy as np
import pandas as pd
import pytest
import zarr

from hyperribbon.experiments.manifold.store import (FORMAT, checkpoint_arrays,
                                                    clean_partial_writes, create_sweep,
                                                    open_sweep, set_status, write_checkpoint,
                                                    write_checkpoints)
from hyperribbon.theory import InvalidArgument


def _runs(n=3, n_ck=(3, 3, 2)):
    return pd.DataFrame([dict(arch="fc", width=8, optimizer=o, lr=0.1, batch_size=10,
                              weight_decay=0.0, augment=False, seed=s, data="digits",
                              n_checkpoints=n_ck[s], epochs=2.0)
                         for s, o in zip(range(n), ["sgd", "adam", "nesterov"])])


def _fill(sw, run, slot, n_tr=5, n_te=4, c=3):
    rng = np.random.default_rng(100 * run + slot)
    lt = np.log(rng.dirichlet(np.ones(c), n_tr)).astype(np.float32)
    le = np.log(rng.dirichlet(np.ones(c), n_te)).astype(np.float32)
    write_checkpoint(sw.root, run, slot, step=10 * slot, epoch=slot / 2, logp_train=lt,
                     logp_test=le, train_error=0.1 * slot, test_error=0.2, train_loss=1.0 + slot,
                     test_loss=2.0)
    return lt, le


@pytest.fixture
def sweep(tmp_path):
    return create_sweep(str(tmp_path / "sw"), _runs(), dataset="digits", classes=3,
                        y_train=np.arange(5) % 3, y_test=np.arange(4) % 3, checkpoints=3,
                        config={"name": "t", "epochs": 2})


def test_layout_matches_the_specification(sweep):
    g = zarr.open_group(sweep.path, mode="r")
    assert dict(g.attrs) == {"format": FORMAT, "dataset": "digits", "classes": 3, "n_train": 5,
                             "n_test": 4, "checkpoints": 3, "config": {"name": "t", "epochs": 2}}
    assert g["train/logp"].shape == (3, 3, 5, 3) and g["train/logp"].dtype == np.float32
    assert g["test/logp"].shape == (3, 3, 4, 3)
    assert g["metrics/step"].dtype == np.int64 and g["metrics/done"].dtype == bool
    for m in ("epoch", "train_error", "test_error", "train_loss", "test_loss"):
        assert g[f"metrics/{m}"].shape == (3, 3) and g[f"metrics/{m}"].dtype == np.float64
    assert g["labels/train"][:].tolist() == [0, 1, 2, 0, 1]
    csv = pd.read_csv(os.path.join(sweep.path, "runs.csv"))
    assert list(csv.columns[:12]) == ["run_id", "arch", "width", "optimizer", "lr",
                                      "batch_size", "weight_decay", "augment", "seed", "data",
                                      "status", "n_checkpoints"]
    assert not g["metrics/done"][:].any() and np.isnan(g["train/logp"][0, 0]).all()


def test_written_slots_read_back_and_stack_excludes_diverged(sweep):
    written = {(r, k): _fill(sweep, r, k) for r in range(3) for k in range(2)}
    set_status(sweep.root, 1, "diverged")
    set_status(sweep.root, 0, "done")
    sw = open_sweep(sweep.path)
    assert sw.runs["status"].tolist() == ["done", "diverged", "pending"]
    assert sw.runs["n_done"].tolist() == [2, 2, 2]
    ck = sw.checkpoints
    assert len(ck) == 3 + 3 + 2                                   # slots below n_checkpoints
    row = ck[(ck.run_id == 2) & (ck.checkpoint == 1)].iloc[0]
    assert row.step == 10 and row.epoch == 0.5 and row.done and row.train_loss == 2.0
    logp, meta = sw.stack("test")
    assert meta.attrs["diverged_excluded"] == 1
    assert list(zip(meta.run_id, meta.checkpoint)) == [(0, 0), (0, 1), (2, 0), (2, 1)]
    for i, (r, k) in enumerate(zip(meta.run_id, meta.checkpoint)):
        assert np.array_equal(logp[i], written[(r, k)][1])
    assert {"optimizer", "seed", "step", "test_error"} <= set(meta.columns)
    logp2, meta2 = sw.stack("train", runs=[2], only_done=False)
    assert len(meta2) == 2 and meta2.attrs["diverged_excluded"] == 0
    assert np.array_equal(sw.labels("test"), np.arange(4) % 3)
    assert sw.logp("train").shape == (3, 3, 5, 3)


def test_checkpoint_stride_keeps_every_kth_slot_and_each_runs_last(tmp_path):
    runs = _runs(n_ck=(7, 5, 6))
    sw = create_sweep(str(tmp_path / "s7"), runs, dataset="digits", classes=3,
                      y_train=np.arange(5) % 3, y_test=np.arange(4) % 3, checkpoints=7)
    written = {(r, k): _fill(sw, r, k) for r in range(3) for k in range(int(runs.n_checkpoints[r]))}
    logp, meta = open_sweep(sw.path).stack("train", checkpoint_stride=3)
    expected = [(r, k) for r, n in enumerate((7, 5, 6)) for k in range(n)
                if k % 3 == 0 or k == n - 1]                      # the rule, written out
    assert list(zip(meta.run_id, meta.checkpoint)) == expected
    assert meta.attrs["checkpoint_stride"] == 3
    for i, rk in enumerate(expected):
        assert np.array_equal(logp[i], written[rk][0])
    full, _ = open_sweep(sw.path).stack("train", checkpoint_stride=1)
    assert full.shape[0] == 7 + 5 + 6


def test_several_runs_written_in_one_call_read_back_run_by_run(sweep):
    rng = np.random.default_rng(3)
    lt = np.log(rng.dirichlet(np.ones(3), (2, 5))).astype(np.float32)
    le = np.log(rng.dirichlet(np.ones(3), (2, 4))).astype(np.float32)
    write_checkpoints(checkpoint_arrays(sweep.root), [0, 2], 1, step=[7, 8], epoch=0.5,
                      logp_train=lt, logp_test=le, train_error=[0.1, 0.2],
                      test_error=[0.3, 0.4], train_loss=[1.0, 2.0], test_loss=[3.0, 4.0])
    sw = open_sweep(sweep.path)
    ck = sw.checkpoints.set_index(["run_id", "checkpoint"])
    for j, r in enumerate((0, 2)):
        assert np.array_equal(sw.logp("train")[r, 1], lt[j])
        assert np.array_equal(sw.logp("test")[r, 1], le[j])
        row = ck.loc[(r, 1)]
        assert (row.step, row.epoch, row.train_error, row.test_loss) == (7 + j, 0.5,
                                                                         0.1 * (j + 1), 3.0 + j)
        assert row.done
    assert not ck["done"].drop(index=[(0, 1), (2, 1)]).any()       # nothing else touched
    assert np.isnan(sw.logp("train")[1, 1]).all()
    with pytest.raises(InvalidArgument) as e:
        write_checkpoints(sweep.root, [2, 0], 0, step=1, epoch=0.0, logp_train=lt,
                          logp_test=le, train_error=[0, 0], test_error=[0, 0],
                          train_loss=[0, 0], test_loss=[0, 0])
    assert e.value.argument == "runs"


def test_stack_like_gathers_the_same_models_while_a_sweep_is_written(sweep):
    written = {(r, 0): _fill(sweep, r, 0) for r in range(3)}
    lp_tr, m_tr = open_sweep(sweep.path).stack("train")
    written[(1, 1)] = _fill(sweep, 1, 1)                  # a slot finished in between
    lp_te, m_te = open_sweep(sweep.path).stack("test", like=m_tr)
    assert list(zip(m_te.run_id, m_te.checkpoint)) == [(0, 0), (1, 0), (2, 0)]
    assert m_te.attrs["split"] == "test"
    for i, rk in enumerate(zip(m_te.run_id, m_te.checkpoint)):
        assert np.array_equal(lp_te[i], written[rk][1])
    assert len(open_sweep(sweep.path).stack("test")[1]) == 4  # without `like`: the new slot too


def test_completeness_requires_every_slot_of_done_runs(sweep):
    for r in range(3):
        for k in range(int(_runs().n_checkpoints[r])):
            _fill(sweep, r, k)
        set_status(sweep.root, r, "done")
    assert open_sweep(sweep.path).is_complete
    sweep.root["metrics/done"][2, 1] = False
    sw = open_sweep(sweep.path)
    assert not sw.is_complete and "INCOMPLETE" in sw.summary()


def test_partial_files_are_cleaned(sweep):
    stale = os.path.join(sweep.path, "train", "logp", "c", "x.abc.partial")
    os.makedirs(os.path.dirname(stale), exist_ok=True)
    open(stale, "w").close()
    assert clean_partial_writes(sweep.path) == 1 and not os.path.exists(stale)


INVALID = [
    pytest.param(lambda p: open_sweep(str(p / "nothing")), "path", id="open-missing"),
    pytest.param(lambda p: (zarr.open_group(str(p / "g"), mode="w"), open_sweep(str(p / "g"))),
                 "path", id="open-not-a-sweep"),
    pytest.param(lambda p: create_sweep(str(p / "a"), _runs().drop(columns=["seed"]),
                                        dataset="d", classes=3, y_train=[0], y_test=[0],
                                        checkpoints=3), "runs", id="create-missing-column"),
    pytest.param(lambda p: create_sweep(str(p / "a"), _runs(), dataset="d", classes=3,
                                        y_train=[0], y_test=[0], checkpoints=2),
                 "checkpoints", id="create-too-few-slots"),
    pytest.param(lambda p: open_sweep(str(p / "sw")).stack("valid"), "split", id="stack-split"),
    pytest.param(lambda p: open_sweep(str(p / "sw")).stack(runs=[7]), "runs", id="stack-runs"),
    pytest.param(lambda p: open_sweep(str(p / "sw")).stack(checkpoint_stride=0),
                 "checkpoint_stride", id="stack-stride-zero"),
    pytest.param(lambda p: open_sweep(str(p / "sw")).stack(checkpoint_stride=2.5),
                 "checkpoint_stride", id="stack-stride-float"),
    pytest.param(lambda p: open_sweep(str(p / "sw")).stack(checkpoint_stride=True),
                 "checkpoint_stride", id="stack-stride-bool"),
]


@pytest.mark.parametrize("call, argument", INVALID)
def test_invalid_arguments_name_the_argument(sweep, tmp_path, call, argument):
    with pytest.raises(InvalidArgument) as info:
        call(tmp_path)
    assert info.value.argument == argument


def test_create_refuses_to_overwrite(sweep):
    with pytest.raises(InvalidArgument):
        create_sweep(sweep.path, _runs(), dataset="d", classes=3, y_train=[0], y_test=[0],
                     checkpoints=3)
    json.dumps(open_sweep(sweep.path).attrs)                          # attrs stay JSON
