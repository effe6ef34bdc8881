"""Resume: a sweep killed at any point (kill -9 of a real subprocess, or an exception in the
middle of a write) and restarted finishes with exactly the store of an uninterrupted sweep."""
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from hyperribbon.experiments.manifold import store as store_mod
from hyperribbon.experiments.manifold.store import open_sweep
from hyperribbon.experiments.manifold.sweep import run_sweep

ARRAYS = ["train/logp", "test/logp", "metrics/step", "metrics/epoch", "metrics/train_error",
          "metrics/test_error", "metrics/train_loss", "metrics/test_loss", "metrics/done",
          "runs/status", "labels/train", "labels/test"]


def _config(batched=True, epochs=6, method="auto", arch="fc"):
    return {"name": "resume-test",
            "data": {"name": "digits", "classes": [0, 1, 2]},
            "training": {"epochs": epochs, "checkpoints": 12, "batch_sizes": [32], "seeds": 2},
            "architectures": {arch: 16 if arch == "fc" else 4},
            "optimizers": {"sgd": {"lr_per_batch": 2e-3, "weight_decay": [0.0, 1e-3]}},
            "execution": {"batched": batched, "group_size": 2, "method": method}}


def _toml(cfg):
    lines = [f'name = "{cfg["name"]}"']
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return repr(v)
    def table(prefix, d):
        simple = {k: v for k, v in d.items() if not isinstance(v, dict)}
        if simple:
            lines.append(f"[{prefix}]")
            lines.extend(f"{k} = {val(v)}" for k, v in simple.items())
        for k, v in d.items():
            if isinstance(v, dict):
                table(f"{prefix}.{k}", v)
    for k, v in cfg.items():
        if isinstance(v, dict):
            table(k, v)
    return "\n".join(lines) + "\n"


def _assert_same_store(a, b):
    sa, sb = open_sweep(a), open_sweep(b)
    for name in ARRAYS:
        x, y = sa.root[name][:], sb.root[name][:]
        assert np.array_equal(x, y, equal_nan=True), name
    assert sa.is_complete and sb.is_complete
    assert not os.listdir(os.path.join(a, "_state")) if os.path.isdir(os.path.join(a, "_state")) \
        else True
    ck = sa.checkpoints
    assert ck["done"].all() and not ck.duplicated(["run_id", "checkpoint"]).any()
    assert (ck.groupby("run_id")["step"].apply(lambda s: np.all(np.diff(s) > 0))).all()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ref") / "sweep")
    t0 = time.perf_counter()
    run_sweep(_config(), out, scheduler="sync", progress=False)
    return out, time.perf_counter() - t0


def _start(cmd):
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_kill_minus_nine_at_random_moments_then_resume(tmp_path, reference):
    ref, seconds = reference
    cfg_path = tmp_path / "c.toml"
    cfg_path.write_text(_toml(_config()))
    out = str(tmp_path / "sweep")
    cmd = [sys.executable, "-m", "hyperribbon.experiments.manifold.cli", "run", str(cfg_path),
           "--out", out, "--scheduler", "sync", "--no-progress"]
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    total = len(open_sweep(ref).checkpoints)
    partials, max_delay = [], seconds
    while not any(0 < p < total for p in partials) and len(partials) < 12:
        proc = _start(cmd)
        deadline = time.time() + 120
        while not os.path.exists(os.path.join(out, "zarr.json")) and proc.poll() is None \
                and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, max_delay))           # a random moment of the training
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        done = int(open_sweep(out).runs["n_done"].sum())
        partials.append(done)
        if done == total:                                  # finished before the kill: again
            shutil.rmtree(out)
            max_delay /= 2
        elif done == 0:                  # killed before the first write (start-up, imports):
            max_delay *= 2               # the in-process reference time underestimates these
    assert any(0 < p < total for p in partials), (seed, partials)
    run_sweep(_config(), out, scheduler="sync", progress=False)           # the restart
    _assert_same_store(out, ref)


class _Crash(Exception):
    pass


@pytest.mark.parametrize("batched, arch", [(True, "fc"), (False, "fc"), (True, "allcnn")])
def test_crash_between_logp_and_done_then_resume(tmp_path, monkeypatch, batched, arch):
    """An exception after a slot's logp is written but before `done` (the worst moment):
    the resumed sweep rewrites that slot and the store equals an uninterrupted one."""
    cfg = _config(batched=batched, epochs=2, arch=arch)
    ref = str(tmp_path / "ref")
    run_sweep(cfg, ref, scheduler="sync", progress=False)
    out = str(tmp_path / "out")
    original = store_mod.write_checkpoints
    calls = {"n": 0, "committed": 0}

    def crashing(arrays, runs, slot, **kw):
        calls["n"] += 1
        if calls["n"] == 5:
            arrays["train/logp"][np.asarray(runs), slot] = np.asarray(kw["logp_train"],
                                                                      np.float32)
            raise _Crash()
        calls["committed"] += len(runs)
        return original(arrays, runs, slot, **kw)

    monkeypatch.setattr(store_mod, "write_checkpoints", crashing)
    with pytest.raises(_Crash):
        run_sweep(cfg, out, scheduler="sync", progress=False)
    monkeypatch.setattr(store_mod, "write_checkpoints", original)
    half = open_sweep(out)
    assert not half.is_complete and half.runs["n_done"].sum() == calls["committed"] > 0
    run_sweep(cfg, out, scheduler="sync", progress=False)
    _assert_same_store(out, ref)


def test_resume_refuses_another_configuration(tmp_path, reference):
    reference = reference[0]
    from hyperribbon.theory import InvalidArgument
    other = _config()
    other["training"]["epochs"] = 3
    with pytest.raises(InvalidArgument) as info:
        run_sweep(other, reference, scheduler="sync", progress=False)
    assert info.value.argument == "--out"
