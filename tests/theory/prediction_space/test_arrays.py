"""The one conversion helper of prediction space (theory/prediction_space/arrays.py)."""
import dask.array as da
import numpy as np
import pytest
import torch
import zarr

from hyperribbon.theory.prediction_space.arrays import as_array, is_lazy, open_path


def test_conversions(tmp_path):
    X = np.arange(12.0).reshape(3, 4)
    np.save(tmp_path / "X.npy", X)
    zarr.create_array(store=str(tmp_path / "X.zarr"), data=X)
    t = torch.tensor(X, requires_grad=True)
    cases = {"ndarray": X, "list": X.tolist(), "torch grad": t, "torch view": t.T.T,
             "torch bf16": torch.tensor(X).to(torch.bfloat16), "npy": tmp_path / "X.npy",
             "str": str(tmp_path / "X.npy"), "zarr": tmp_path / "X.zarr",
             "dask": da.from_array(X, chunks=2), "non-contiguous": np.asfortranarray(X),
             "bool": X > 5, "int": X.astype(int)}
    for name, x in cases.items():
        out = as_array(x, "x", "t")
        assert isinstance(out, np.ndarray), name
        np.testing.assert_array_equal(out, X if name != "bool" else X > 5, err_msg=name)
    assert as_array(t, "x", "t").dtype == np.float64
    assert as_array(cases["torch bf16"], "x", "t").dtype == np.float32
    mm = as_array(tmp_path / "X.npy", "x", "t", lazy=True)
    assert isinstance(mm, np.memmap) and is_lazy(mm)
    z = as_array(tmp_path / "X.zarr", "x", "t", lazy=True)
    assert is_lazy(z) and not isinstance(z, np.ndarray)
    assert as_array(X, "x", "t") is X                             # no copy
    assert as_array(["a", "b"], "x", "t", numeric=False).dtype == object
    assert not is_lazy(X) and not is_lazy(t)


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda t: as_array(t / "missing.npy", "x", "f"), "x", "missing.npy",
                 id="missing"),
    pytest.param(lambda t: as_array([["a", "b"]], "x", "f"), "x", "'a'", id="strings"),
    pytest.param(lambda t: as_array(np.ones(2) * 1j, "x", "f"), "x", "complex128",
                 id="complex"),
    pytest.param(lambda t: as_array(torch.ones(2, dtype=torch.complex64), "y", "f"), "y",
                 "torch.complex64", id="complex-tensor"),
    pytest.param(lambda t: as_array([[1, 2], [3]], "x", "f"), "x", "[[1, 2], [3]]",
                 id="ragged"),
    pytest.param(lambda t: open_path(t, "p", "f"), "p", "pytest", id="dir-not-zarr"),
    pytest.param(lambda t: (t / "bad.npy").write_text("x") and open_path(t / "bad.npy", "p",
                                                                           "f"),
                 "p", "bad.npy", id="not-npy"),
])
def test_invalid_arguments(tmp_path, check_invalid, call, argument, value):
    check_invalid(lambda: call(tmp_path), argument, value)
