"""The array conversion of the linear-model and network layers (theory/_validate.py:
as_float64_array, as_real_matrix, as_real_vector, as_weights): what users pass — torch tensors
that require grad, float32 and integer tensors, non-contiguous views, integer numpy arrays —
arrives as the same float64 numbers, and every public function that takes such an array agrees
with its result for the plain float64 numpy array of the same values."""
import numpy as np
import pytest
import torch

import hyperribbon.numerics as hn
from hyperribbon.theory._validate import (as_float64_array, as_real_matrix, as_real_vector,
                                          as_weights)
from hyperribbon.theory.linear_models import LinearGDProblem, MultiKernelProblem

X = np.arange(12.0).reshape(3, 4) - 5.0        # exact small integers: every dtype holds them


def _inputs(a: np.ndarray) -> dict:
    """``a`` in the forms users pass, each holding exactly the values of ``a``."""
    t = torch.tensor(a, requires_grad=True)
    wide = np.zeros((a.shape[0], 2 * a.shape[1]))
    wide[:, ::2] = a
    return {"torch requires_grad": t,
            "torch requires_grad, non-contiguous": torch.tensor(a.T.copy(),
                                                                 requires_grad=True).T,
            "torch float32": t.detach().float(),
            "torch int64": torch.tensor(a.astype(np.int64)),
            "torch negated view": -(-t),
            "numpy int32": a.astype(np.int32),
            "numpy float32 Fortran": np.asfortranarray(a, dtype=np.float32),
            "numpy strided view": wide[:, ::2],
            "list": a.tolist()}


@pytest.mark.parametrize("kind", list(_inputs(X)))
def test_matrix_and_vector_conversion(kind):
    m = as_real_matrix(_inputs(X)[kind], "X", "test")
    assert m.dtype == np.float64 and isinstance(m, np.ndarray)
    np.testing.assert_array_equal(m, X)
    v = as_real_vector(_inputs(X)[kind][0], "X", "test")          # a row: a view of a view
    np.testing.assert_array_equal(v, X[0])
    w = as_weights(_inputs(X)[kind], 4, "test")
    np.testing.assert_array_equal(w, X)


def test_half_precision_tensors_widen_exactly():
    t = torch.tensor(X, requires_grad=True)
    for dtype in (torch.float16, torch.bfloat16):       # small integers are exact in both
        np.testing.assert_array_equal(as_float64_array(t.to(dtype), "X", "test"), X)


# ------------------------------------------------------------ public functions, tensor vs numpy
rng = np.random.default_rng(0)
_Xd = rng.standard_normal((3, 5))                      # n = 3 samples, d = 5 (rank 3)
_y = rng.standard_normal(3)
_K = _Xd @ _Xd.T / 5
_w0 = rng.standard_normal((2, 5))
_traj = rng.standard_normal((4, 3, 2))
_u, _v = rng.standard_normal((2, 3)), rng.standard_normal((2, 3, 5))


def _t(a):
    return torch.tensor(a, requires_grad=True)


PUBLIC = [
    pytest.param(lambda c: LinearGDProblem.from_data(c(_Xd), c(_y), alpha=0.5, T=7).lam,
                 id="LinearGDProblem.from_data"),
    pytest.param(lambda c: MultiKernelProblem(c(np.stack([_K, 2 * _K])), c(_y), 0.5, 7).grams,
                 id="MultiKernelProblem(grams)"),
    pytest.param(lambda c: MultiKernelProblem.from_spectra(
        [(c(np.array([2.0, 1.0, 0.5])), c(np.eye(3)))], c(_y), 0.5, 7).grams,
        id="MultiKernelProblem.from_spectra"),
    pytest.param(lambda c: hn.simulate_sgd(c(_Xd), c(_y), 0.1, 4, c(_w0), 2, seed=3),
                 id="simulate_sgd(w0)"),
    pytest.param(lambda c: hn.simulate_gd_weight_decay(c(_Xd), c(_y), 0.1, 0.01, 4, c(_w0)),
                 id="simulate_gd_weight_decay(w0)"),
    pytest.param(lambda c: hn.empirical_pca_matrix(c(_traj)), id="empirical_pca_matrix"),
    pytest.param(lambda c: hn.empirical_pca_standard_error(c(_traj)),
                 id="empirical_pca_standard_error"),
    pytest.param(lambda c: hn.two_layer_kernel(c(_Xd), c(_u), c(_v)), id="two_layer_kernel"),
    pytest.param(lambda c: hn.effective_kernel(c(_Xd), [c(_v), c(_u[:, None, :])]),
                 id="effective_kernel(weights)"),
]


@pytest.mark.parametrize("call", PUBLIC)
def test_public_functions_take_tensors_that_require_grad(call):
    expected = np.asarray(call(lambda a: np.asarray(a, dtype=np.float64)))
    got = np.asarray(call(_t))
    np.testing.assert_array_equal(got, expected)          # the same float64 input, bit for bit


# ------------------------------------------------------------ invalid-argument table
INVALID = [
    pytest.param(lambda: as_real_matrix(np.ones((2, 2)) * 1j, "X", "f"), "X", "complex128",
                 id="complex numpy (a cast would drop the imaginary part)"),
    pytest.param(lambda: as_real_matrix(torch.ones(2, 2, dtype=torch.complex64), "X", "f"), "X",
                 "complex64", id="complex torch"),
    pytest.param(lambda: as_real_vector([[1.0, 2.0], [3.0]], "y", "f"), "y", "[[1.0, 2.0], [3.0]]",
                 id="ragged list"),
    pytest.param(lambda: as_weights(torch.ones(2, 3, requires_grad=True), 4, "f"), "w0",
                 "shape (2, 3)", id="tensor of the wrong shape"),
    pytest.param(lambda: MultiKernelProblem(torch.ones(2, 3, 3, dtype=torch.complex128),
                                            np.ones(3), 0.5, 3), "grams", "complex128",
                 id="complex grams"),
    pytest.param(lambda: hn.effective_kernel(_Xd, 5), "weights", "5", id="weights not a list"),
]


@pytest.mark.parametrize("call,argument,value", INVALID)
def test_invalid(check_invalid, call, argument, value):
    check_invalid(call, argument, value)
