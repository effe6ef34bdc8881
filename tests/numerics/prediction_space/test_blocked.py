"""Blocked / out-of-core / Dask distance matrices: equality with the in-memory matrix,
resumability after an interruption, bounded reads, schedulers; partial results never read as
complete (issue 8 D6); log-probability stacks (E)."""
import resource
import time
from concurrent.futures import ThreadPoolExecutor

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperribbon.numerics.prediction_space import blocked
from hyperribbon.numerics.prediction_space.blocked import (ProbabilityStack, open_matrix,
                                                           open_stack, pairwise_dask,
                                                           pairwise_to_disk, tile_status)
from hyperribbon.numerics.prediction_space.configuration import cluster_trajectories
from hyperribbon.numerics.prediction_space.distances import METRICS, pairwise_distances
from hyperribbon.numerics.prediction_space.inpca import InPCA
from hyperribbon.theory.errors import InvalidArgument


def _stack(m=23, N=30, C=4, seed=0):
    return np.random.default_rng(seed).dirichlet(np.full(C, 0.5), size=(m, N))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("suffix", [".npy", ".zarr"])
def test_disk_matrix_equals_in_memory(tmp_path, metric, suffix):
    P = _stack()
    D = pairwise_to_disk(P, tmp_path / f"D{suffix}", metric=metric, block_size=6, progress=False)
    ref = pairwise_distances(P, metric=metric)
    np.testing.assert_allclose(np.asarray(D[:]), ref, rtol=1e-13, atol=1e-15)
    assert np.array_equal(np.asarray(D[:]), np.asarray(D[:]).T)
    assert tile_status(tmp_path / f"D{suffix}") == (10, 10)
    np.testing.assert_array_equal(np.asarray(open_matrix(tmp_path / f"D{suffix}")[:]),
                                  np.asarray(D[:]))


@settings(max_examples=15)
@given(st.integers(1, 12), st.integers(1, 3), st.sampled_from(["threads", "sync"]))
def test_chunk_size_and_worker_invariance(tmp_path_factory, block, workers, scheduler):
    P = _stack(m=13, seed=block)
    path = tmp_path_factory.mktemp("b") / "D.npy"
    D = pairwise_to_disk(P, path, block_size=block, n_workers=workers, scheduler=scheduler,
                         progress=False)
    np.testing.assert_allclose(D, pairwise_distances(P), rtol=1e-13, atol=1e-15)
    assert np.array_equal(D, D.T) and np.all(np.diag(D) == 0)


def test_npy_source_is_read_by_blocks_and_validated(tmp_path):
    P = _stack()
    np.save(tmp_path / "P.npy", P)
    s = open_stack(tmp_path / "P.npy")
    assert s.shape == P.shape and s.path is not None
    np.testing.assert_array_equal(s.block(3, 9), P[3:9])
    np.testing.assert_array_equal(s[5:7], P[5:7])
    bad = P.copy()
    bad[10, 2, 1] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(InvalidArgument, match=r"probabilities\[6:12\]"):
        open_stack(tmp_path / "bad.npy").block(6, 12)
    with pytest.raises(InvalidArgument) as info:
        pairwise_to_disk(tmp_path / "bad.npy", tmp_path / "D.npy", block_size=6, progress=False,
                         scheduler="sync")
    assert info.value.argument.startswith("probabilities[")


def test_resume_after_interruption(tmp_path, monkeypatch):
    P = _stack(m=20)
    np.save(tmp_path / "P.npy", P)
    path = tmp_path / "D.npy"
    real = blocked._compute_tile
    calls = []

    def flaky(*args):
        if len(calls) == 4:
            raise KeyboardInterrupt("simulated interruption")
        calls.append(args[2:4])
        return real(*args)

    monkeypatch.setattr(blocked, "_compute_tile", flaky)
    with pytest.raises(KeyboardInterrupt):
        pairwise_to_disk(tmp_path / "P.npy", path, block_size=5, scheduler="sync",
                         progress=False)
    assert tile_status(path) == (4, 10)
    monkeypatch.setattr(blocked, "_compute_tile", lambda *a: (calls.append(a[2:4]), real(*a))[1])
    D = pairwise_to_disk(tmp_path / "P.npy", path, block_size=5, scheduler="sync",
                         progress=False)
    assert len(calls) == 10 and len(set(calls)) == 10       # the 4 finished tiles not redone
    np.testing.assert_allclose(D, pairwise_distances(P), rtol=1e-13, atol=1e-15)
    calls.clear()
    pairwise_to_disk(tmp_path / "P.npy", path, block_size=5, progress=False)
    assert calls == []                                      # complete: nothing recomputed


def test_parameters_of_an_existing_computation_must_match(tmp_path):
    P = _stack(m=8)
    path = tmp_path / "D.npy"
    pairwise_to_disk(P, path, block_size=4, progress=False)
    with pytest.raises(InvalidArgument) as info:
        pairwise_to_disk(P, path, block_size=3, progress=False)
    assert info.value.argument == "path"
    with pytest.raises(InvalidArgument):
        pairwise_to_disk(_stack(m=8, seed=5), path, block_size=4, progress=False)
    D = pairwise_to_disk(P, path, block_size=3, metric="geodesic", overwrite=True, progress=False)
    np.testing.assert_allclose(D, pairwise_distances(P, metric="geodesic"), atol=1e-14)


def test_dask_lazy_array(tmp_path):
    P = _stack(m=17)
    ref = pairwise_distances(P)
    L = pairwise_dask(P, block_size=5)
    assert isinstance(L, da.Array) and L.chunks[0] == (5, 5, 5, 2)
    np.testing.assert_allclose(L.compute(scheduler="sync"), ref, rtol=1e-13, atol=1e-15)
    X = da.from_array(P, chunks=(4, 30, 4))
    C = pairwise_dask(X, P[:6], block_size=7).compute()
    np.testing.assert_allclose(C, ref[:, :6], rtol=1e-12, atol=1e-14)
    da.to_zarr(L, str(tmp_path / "L.zarr"))
    import zarr
    np.testing.assert_allclose(zarr.open_array(str(tmp_path / "L.zarr"))[:], ref, atol=1e-14)


def test_client_and_executor_schedulers(tmp_path):
    P = _stack(m=11)
    used = []

    class FakeClient:                    # duck-types distributed.Client for dask.compute
        asynchronous = False

        def get(self, dsk, keys, **kwargs):
            used.append(keys)
            return dask.threaded.get(dsk, keys, **kwargs)

    D = pairwise_to_disk(P, tmp_path / "D.npy", block_size=4, client=FakeClient())
    assert used and np.allclose(D, pairwise_distances(P), atol=1e-14)
    with ThreadPoolExecutor(2) as ex:
        E = pairwise_to_disk(P, tmp_path / "E.npy", block_size=4, scheduler=ex, progress=False)
    np.testing.assert_allclose(E, D, atol=0)


def test_small_version_of_the_out_of_core_path(tmp_path):
    """The code path of the m = 50 000 benchmark at m = 600: .npy source read by blocks,
    float32 products, .npy output written tile by tile, resident memory bounded."""
    m, N, C = 600, 64, 10
    rng = np.random.default_rng(1)
    src = np.lib.format.open_memmap(tmp_path / "P.npy", mode="w+", dtype=np.float32,
                                    shape=(m, N, C))
    for i in range(0, m, 100):
        src[i:i + 100] = rng.dirichlet(np.full(C, 0.5), size=(100, N)).astype(np.float32)
    src.flush()
    del src
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    D = pairwise_to_disk(tmp_path / "P.npy", tmp_path / "D.npy", block_size=128,
                         dtype=np.float32, out_dtype=np.float32, progress=False)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    P = np.load(tmp_path / "P.npy")
    np.testing.assert_allclose(D[::7, ::5], pairwise_distances(P)[::7, ::5], atol=2e-6)
    assert grown_mb < 200


def _interrupted(tmp_path, suffix, after=3, m=20, block=5):
    """pairwise_to_disk interrupted after ``after`` of 10 tiles."""
    P = _stack(m=m)
    path = tmp_path / f"D{suffix}"
    real = blocked._compute_tile
    calls = []

    def flaky(*args):
        if len(calls) == after:
            raise KeyboardInterrupt("simulated interruption")
        calls.append(args[2:4])
        return real(*args)

    blocked._compute_tile = flaky
    try:
        with pytest.raises(KeyboardInterrupt):
            pairwise_to_disk(P, path, block_size=block, scheduler="sync", progress=False)
    finally:
        blocked._compute_tile = real
    return P, path, calls


@pytest.mark.parametrize("suffix", [".npy", ".zarr"])
def test_a_partial_result_never_reads_as_complete(tmp_path, suffix, check_invalid):
    """Issue 8 D6: after 3 of 10 tiles, open_matrix returned the .npy with zeros in the
    unfinished tiles, which InPCA and clustering accepted."""
    P, path, done = _interrupted(tmp_path, suffix)
    assert tile_status(path) == (3, 10)
    err = check_invalid(lambda: open_matrix(path), "path", str(path))
    assert "3 of 10 tiles" in err.rule and "allow_partial=True" in err.rule
    D = np.asarray(open_matrix(path, allow_partial=True)[:])
    ref = pairwise_distances(P)
    b = 5
    finished = np.zeros((20, 20), bool)
    for bi, bj in done:
        finished[bi * b:(bi + 1) * b, bj * b:(bj + 1) * b] = True
        finished[bj * b:(bj + 1) * b, bi * b:(bi + 1) * b] = True
    np.testing.assert_allclose(D[finished], ref[finished], rtol=1e-13, atol=0)
    assert np.all(np.isnan(D[~finished]))                       # holes are NaN, never 0
    if suffix == ".npy":                                         # any reader sees the holes
        assert np.isnan(np.load(path)[~finished]).all()
    for call, argument in ((lambda: InPCA().fit(open_matrix(path, allow_partial=True)), "X"),
                           (lambda: cluster_trajectories(D), "D")):
        err = check_invalid(call, argument, "(20, 20)")
        assert "NaN" in err.rule and "unfinished tile" in err.rule
        assert "infinite" not in err.rule                         # its own message
    D2 = pairwise_to_disk(P, path, block_size=5, scheduler="sync", progress=False)
    np.testing.assert_allclose(np.asarray(D2[:]), ref, rtol=1e-13, atol=0)
    assert tile_status(path) == (10, 10)
    np.testing.assert_array_equal(np.asarray(open_matrix(path)[:]), np.asarray(D2[:]))


def test_open_matrix_failures_have_their_own_messages(tmp_path, check_invalid):
    err = check_invalid(lambda: open_matrix(tmp_path / "nothing.npy"), "path", "nothing.npy")
    assert "meta.json" in err.rule
    P = _stack(m=6)
    pairwise_to_disk(P, tmp_path / "D.npy", block_size=3, progress=False)
    (tmp_path / "D.npy").unlink()
    err = check_invalid(lambda: open_matrix(tmp_path / "D.npy"), "path", "D.npy")
    assert "data file" in err.rule


@pytest.mark.parametrize("kind", [True, "logits"])
def test_log_probability_stacks(tmp_path, kind):
    z = np.random.default_rng(4).standard_normal((9, 30, 5)) * 30
    logp = z - scipy.special.logsumexp(z, axis=-1, keepdims=True)
    src = z if kind == "logits" else logp
    np.save(tmp_path / "L.npy", src.astype(np.float32))
    ref = pairwise_distances(src.astype(np.float32), log=kind)
    s = open_stack(tmp_path / "L.npy", log=kind)
    assert s.log == kind
    np.testing.assert_allclose(pairwise_distances(s), ref, rtol=1e-13, atol=0)   # stack's kind
    D = pairwise_to_disk(s, tmp_path / "D.zarr", block_size=4, progress=False)
    np.testing.assert_allclose(np.asarray(D[:]), ref, rtol=1e-13, atol=0)
    L = pairwise_dask(tmp_path / "L.npy", block_size=4, log=kind).compute(scheduler="sync")
    np.testing.assert_allclose(L, ref, rtol=1e-13, atol=0)
    with pytest.raises(InvalidArgument):            # the same source read as probabilities
        pairwise_to_disk(tmp_path / "L.npy", tmp_path / "E.npy", block_size=4, progress=False)
    with pytest.raises(InvalidArgument) as info:    # a resumed run must match the kind
        pairwise_to_disk(open_stack(tmp_path / "L.npy", log=kind), tmp_path / "D.zarr",
                         block_size=4, progress=False, log=False)
    assert info.value.argument in ("path", "probabilities[0:4]")


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda t: pairwise_to_disk(_stack(), t / "D.npy", metric="kl"), "metric",
                 "'kl'", id="metric"),
    pytest.param(lambda t: pairwise_to_disk(_stack(), t / "D.npy", block_size=0), "block_size",
                 "0", id="block"),
    pytest.param(lambda t: pairwise_to_disk(_stack(), t / "D.npy", n_workers=0), "n_workers",
                 "0", id="workers"),
    pytest.param(lambda t: pairwise_to_disk(_stack(), t / "D.npy", dtype=np.float16), "dtype",
                 "float16", id="dtype"),
    pytest.param(lambda t: pairwise_to_disk(_stack(), t / "D.npy", out_dtype=np.int32),
                 "out_dtype", "int32", id="out-dtype"),
    pytest.param(lambda t: pairwise_to_disk(_stack(), 3), "path", "3", id="path-type"),
    pytest.param(lambda t: pairwise_to_disk(_stack(), t / "D.npy", log="maybe"), "log",
                 "'maybe'", id="log"),
    pytest.param(lambda t: open_stack(t / "missing.npy"), "source", "missing.npy",
                 id="missing-file"),
    pytest.param(lambda t: ProbabilityStack(np.ones((3, 2)) / 2), "source", "(3, 2)",
                 id="2d-source"),
    pytest.param(lambda t: open_stack(_stack())[::2], "key", "slice(None, None, 2)",
                 id="strided-key"),
    pytest.param(lambda t: open_matrix(t / "nothing.npy"), "path", "nothing.npy",
                 id="no-matrix"),
    pytest.param(lambda t: open_matrix(t / "nothing.npy", allow_partial=1), "allow_partial",
                 "1", id="allow-partial"),
    pytest.param(lambda t: pairwise_dask(_stack(), _stack(N=5)), "probs_b", "(23, 5, 4)",
                 id="dask-shapes"),
    pytest.param(lambda t: pairwise_dask(_stack(), dtype="int8"), "dtype", "int8",
                 id="dask-dtype"),
])
def test_invalid_arguments(tmp_path, check_invalid, call, argument, value):
    check_invalid(lambda: call(tmp_path), argument, value)


def _run_slow_out_of_core(tmp_path, m=50_000, N=20, C=10, block=4096):
    rng = np.random.default_rng(0)
    src = np.lib.format.open_memmap(tmp_path / "P.npy", mode="w+", dtype=np.float32,
                                    shape=(m, N, C))
    for i in range(0, m, 5000):
        src[i:i + 5000] = rng.dirichlet(np.full(C, 0.5), size=(min(5000, m - i), N))
    src.flush()
    del src
    t0 = time.perf_counter()
    D = pairwise_to_disk(tmp_path / "P.npy", tmp_path / "D.npy", block_size=block,
                         dtype=np.float32, out_dtype=np.float32, progress=False)
    return D, time.perf_counter() - t0


@pytest.mark.slow
def test_fifty_thousand_models_to_disk(tmp_path):
    """m = 50 000 (N = 20 to keep it minutes): only with ``-m slow``; the benchmark
    ``benchmarks/bench_prediction_space_out_of_core.py --size large`` runs N = 1797."""
    D, seconds = _run_slow_out_of_core(tmp_path)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    assert D.shape == (50_000, 50_000)
    P = open_stack(tmp_path / "P.npy")
    rows = P.block(49_990, 50_000)
    cols = P.block(0, 3)
    np.testing.assert_allclose(D[49_990:, :3], pairwise_distances(rows, cols), atol=2e-6)
    assert rss_gb < 4, f"peak RSS {rss_gb:.1f} GB"
