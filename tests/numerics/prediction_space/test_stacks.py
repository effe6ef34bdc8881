"""Lazily read stacks of probabilities or log-probabilities (stacks.py): every source kind, block
validation in the stack's domain, conversion to numpy."""
import dask.array as da
import numpy as np
import pytest
import scipy.special
import torch
import zarr

from hyperribbon.numerics.prediction_space.distances import pairwise_distances
from hyperribbon.numerics.prediction_space.stacks import ProbabilityStack, open_stack


def _P(m=7, N=6, C=3, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(C), size=(m, N))


def _sources(tmp_path, X):
    np.save(tmp_path / "X.npy", X)
    zarr.create_array(store=str(tmp_path / "X.zarr"), data=X, chunks=(2, X.shape[1], X.shape[2]))
    return {"npy path": tmp_path / "X.npy", "str path": str(tmp_path / "X.npy"),
            "zarr path": tmp_path / "X.zarr", "zarr array": zarr.open_array(tmp_path / "X.zarr"),
            "memmap": np.load(tmp_path / "X.npy", mmap_mode="r"),
            "dask": da.from_array(X, chunks=(3, -1, -1)), "torch": torch.from_numpy(X),
            "ndarray": X, "list": X.tolist()}


@pytest.mark.parametrize("kind", ["npy path", "str path", "zarr path", "zarr array", "memmap",
                                  "dask", "torch", "ndarray", "list"])
def test_every_source_reads_the_same_blocks(tmp_path, kind):
    P = _P()
    s = open_stack(_sources(tmp_path, P)[kind])
    assert s.shape == P.shape and len(s) == 7 and s.ndim == 3 and s.log is False
    np.testing.assert_array_equal(s.block(2, 5), P[2:5])
    np.testing.assert_array_equal(s[1:3, :2], P[1:3, :2])
    np.testing.assert_array_equal(np.asarray(s), P)
    assert "probabilities" in repr(s)
    assert open_stack(s) is s
    assert s.fingerprint() == open_stack(P).fingerprint()


@pytest.mark.parametrize("kind", [True, "logits"])
def test_log_stacks_validate_in_their_domain(tmp_path, kind, check_invalid):
    z = np.random.default_rng(1).standard_normal((5, 4, 3)) * 50
    logp = scipy.special.log_softmax(z, -1)
    s = open_stack(z if kind == "logits" else logp, log=kind)
    np.testing.assert_allclose(s.block(0, 5), logp, rtol=1e-15, atol=1e-13)
    assert s.log == kind and "log" in repr(s)
    as_probs = open_stack(s, log=False)                        # the same source, reread
    err = check_invalid(lambda: as_probs.block(0, 2), "probabilities[0:2]", "(2, 4, 3)")
    assert "log=True" in err.rule
    np.testing.assert_allclose(pairwise_distances(s), pairwise_distances(logp, log=True),
                               rtol=1e-13, atol=0)


def test_block_errors_name_the_rows(check_invalid):
    P = _P()
    P[4, 1, 0] = np.nan
    s = open_stack(P)
    check_invalid(lambda: s.block(3, 6, argument="A"), "A[3:6]", "(3, 6, 3)")
    np.testing.assert_array_equal(s.block(0, 3), P[:3])          # other blocks are fine


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda t: open_stack(t / "missing.npy"), "source", "missing.npy", id="missing"),
    pytest.param(lambda t: ProbabilityStack(np.ones((3, 2)) / 2), "source", "(3, 2)",
                 id="2d-source"),
    pytest.param(lambda t: ProbabilityStack(np.ones((0, 2, 2))), "source", "(0, 2, 2)",
                 id="empty"),
    pytest.param(lambda t: ProbabilityStack(np.ones((1, 2, 2)) * 1j), "source", "complex128",
                 id="complex"),
    pytest.param(lambda t: ProbabilityStack(object()), "source", "object", id="object"),
    pytest.param(lambda t: open_stack(_P(), log="yes"), "log", "'yes'", id="log"),
    pytest.param(lambda t: open_stack(_P())[::2], "key", "slice(None, None, 2)",
                 id="strided-key"),
    pytest.param(lambda t: open_stack(_P())[3], "key", "(3,)", id="integer-key"),
    pytest.param(lambda t: open_stack(_P()).block(0, 2, log=2), "log", "2", id="block-log"),
])
def test_invalid_arguments(tmp_path, check_invalid, call, argument, value):
    check_invalid(lambda: call(tmp_path), argument, value)
