"""Validation and conversion of probability arrays and log-probabilities (issue 8 E); ignorance,
truth, softmax."""
import numpy as np
import pytest
import scipy.special
import torch

from hyperribbon.numerics.prediction_space.probabilities import (LOG_KINDS, as_labels,
                                                                 as_log_probabilities, as_model,
                                                                 as_models, as_probabilities,
                                                                 check_log, default_atol,
                                                                 from_logits, ignorance,
                                                                 to_numpy, truth)
from hyperribbon.theory.errors import InvalidArgument


def _dirichlet(m=3, N=5, C=4, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(C), size=(m, N))


def _off_sum():
    P = _dirichlet()
    P[1, 2] *= 1.01
    return P


def _negative():
    P = _dirichlet()
    P[0, 0, 0] = -1e-3
    P[0, 0, 1] += 1e-3
    return P


def _nan():
    P = _dirichlet()
    P[2, 1, 0] = np.nan
    return P


# ---------------------------------------------------------------- log domain (E)
def test_log_probabilities_are_validated_and_normalised_exactly():
    z = np.random.default_rng(2).normal(size=(2, 5, 4)) * 300
    a = as_log_probabilities(z, logits=True)
    np.testing.assert_allclose(scipy.special.logsumexp(a, -1), 0, atol=1e-13)
    np.testing.assert_array_equal(a, scipy.special.log_softmax(z, -1))
    assert np.any(np.exp(a) == 0)                              # underflows as probabilities
    b = as_log_probabilities(a.astype(np.float32))             # float32 log-softmax accepted
    assert b.dtype == np.float64
    np.testing.assert_allclose(scipy.special.logsumexp(b, -1), 0, atol=1e-15)
    with np.errstate(divide="ignore"):
        onehot = np.log(np.eye(3)[None])
    np.testing.assert_array_equal(as_log_probabilities(onehot), onehot)   # -inf is probability 0
    np.testing.assert_array_equal(as_models(onehot, "x", "t", True), onehot)
    np.testing.assert_array_equal(as_models(np.exp(a), "x", "t", False), np.exp(a))


def test_log_truth_ignorance_and_log_softmax():
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(truth([1, 0], 3, log=True), np.log(truth([1, 0], 3)))
    np.testing.assert_allclose(truth([1, 0], 3, smoothing=0.3, log=True),
                               np.log(truth([1, 0], 3, smoothing=0.3)), rtol=1e-15)
    np.testing.assert_allclose(ignorance(2, 5, log=True), np.log(ignorance(2, 5)), rtol=1e-15)
    z = np.array([[900.0, 0.0, -3.0]])
    np.testing.assert_array_equal(from_logits(z, log=True), scipy.special.log_softmax(z, -1))
    assert check_log(None, "t") is False and check_log(None, "t", default="logits") == "logits"
    assert check_log(np.True_, "t") is True and set(LOG_KINDS) == {False, True, "logits"}


def test_to_numpy_is_the_conversion_helper(tmp_path):
    P = _dirichlet()
    np.save(tmp_path / "P.npy", P)
    np.testing.assert_array_equal(to_numpy(tmp_path / "P.npy", "x", "t"), P)
    np.testing.assert_array_equal(as_probabilities(str(tmp_path / "P.npy")), P)
    np.testing.assert_array_equal(as_probabilities(torch.tensor(P, requires_grad=True)), P)


_LOGS = np.log(np.ones((1, 2, 2)) / 2)


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: as_probabilities(np.ones((4, 3)) / 3), "probabilities", "(4, 3)",
                 id="2d-for-3d"),
    pytest.param(lambda: as_probabilities(np.ones((0, 3, 2)) / 2), "probabilities", "(0, 3, 2)",
                 id="empty"),
    pytest.param(lambda: as_probabilities(np.ones((2, 3, 1))), "probabilities", "(2, 3, 1)",
                 id="one-class"),
    pytest.param(lambda: as_probabilities(_nan()), "probabilities", "float64", id="nan"),
    pytest.param(lambda: as_probabilities(np.full((1, 2, 2), np.inf)), "probabilities",
                 "(1, 2, 2)", id="inf"),
    pytest.param(lambda: as_probabilities(_negative()), "probabilities", "float64",
                 id="negative"),
    pytest.param(lambda: as_probabilities(_off_sum()), "probabilities", "float64",
                 id="rows-not-summing"),
    pytest.param(lambda: as_probabilities(np.random.default_rng(0).normal(size=(2, 3, 4))),
                 "probabilities", "(2, 3, 4)", id="logits"),
    pytest.param(lambda: as_probabilities([["a", "b"]]), "probabilities", "'a'", id="strings"),
    pytest.param(lambda: as_probabilities(np.ones((1, 2, 2)) * (0.5 + 0j)), "probabilities",
                 "complex128", id="complex"),
    pytest.param(lambda: as_probabilities("no/such/file.npy"), "probabilities", "file.npy",
                 id="missing-path"),
    pytest.param(lambda: as_model(_dirichlet()), "p", "(3, 5, 4)", id="3d-for-model"),
    pytest.param(lambda: as_log_probabilities(_LOGS + 1), "log_probabilities", "(1, 2, 2)",
                 id="positive-logs"),
    pytest.param(lambda: as_log_probabilities(_LOGS - 1), "log_probabilities", "(1, 2, 2)",
                 id="unnormalised-logs"),
    pytest.param(lambda: as_log_probabilities(np.full((1, 2, 2), -np.inf)), "log_probabilities",
                 "(1, 2, 2)", id="all-minus-inf"),
    pytest.param(lambda: as_log_probabilities(np.full((1, 2, 2), np.inf), logits=True),
                 "log_probabilities", "(1, 2, 2)", id="plus-inf"),
    pytest.param(lambda: as_log_probabilities(np.full((1, 2, 2), np.nan), logits=True),
                 "log_probabilities", "(1, 2, 2)", id="nan-logs"),
    pytest.param(lambda: check_log("log", "t"), "log", "'log'", id="log-kind"),
    pytest.param(lambda: truth([0, 3], 3), "labels", "labels in [0, 3]",
                 id="label-out-of-range"),
    pytest.param(lambda: truth([0.5, 1], 3), "labels", "(2,)", id="fractional-label"),
    pytest.param(lambda: truth([0, 1], 3, smoothing=0.9), "smoothing", "0.9",
                 id="smoothing-too-big"),
    pytest.param(lambda: truth([0, 1], 3, smoothing=-0.1), "smoothing", "-0.1",
                 id="smoothing-negative"),
    pytest.param(lambda: truth([0, 1], 3, log="yes"), "log", "'yes'", id="truth-log"),
    pytest.param(lambda: truth([0, 1], 1), "n_classes", "1", id="one-class-truth"),
    pytest.param(lambda: ignorance(0, 3), "n_samples", "0", id="no-samples"),
    pytest.param(lambda: ignorance(3, True), "n_classes", "True", id="bool-classes"),
    pytest.param(lambda: from_logits(np.array([1.0, np.nan])), "logits", "(2,)",
                 id="nan-logits"),
    pytest.param(lambda: as_labels(np.zeros((2, 2), int), 3), "labels", "(2, 2)",
                 id="2d-labels"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)


def test_error_message_names_worst_row():
    with pytest.raises(InvalidArgument, match=r"row \(1, 2\) sums to 1\.01"):
        as_probabilities(_off_sum())


def test_numpy_and_torch_inputs_are_not_copied():
    P = _dirichlet(C=3)
    assert as_probabilities(P) is P
    t = torch.from_numpy(P)
    out = as_probabilities(t)
    assert np.shares_memory(out, P)
    t32 = torch.from_numpy(P.astype(np.float32))
    assert as_probabilities(t32).dtype == np.float32
    assert as_probabilities(t.requires_grad_(True)).shape == P.shape


def test_dtypes():
    P = _dirichlet()
    assert as_probabilities(P.astype(np.float16)).dtype == np.float32
    assert as_probabilities(P, dtype=np.float32).dtype == np.float32
    onehot = np.eye(3, dtype=int)[None]
    assert as_probabilities(onehot).dtype == np.float64
    assert as_probabilities(torch.from_numpy(P).to(torch.bfloat16)).dtype == np.float32


def test_rows_off_by_float32_rounding_are_accepted_and_renormalised():
    P = _dirichlet(m=2, N=50, C=10).astype(np.float32).astype(np.float64)
    P *= 1 + 3e-7
    out = as_probabilities(P)
    assert np.max(np.abs(out.sum(-1) - 1)) < 1e-15
    assert default_atol(np.float64) == 1e-5


def test_truth_and_ignorance():
    t = truth([2, 0, 1, 2], 3)
    np.testing.assert_array_equal(t.argmax(1), [2, 0, 1, 2])
    assert np.all(t.max(1) == 1)
    s = truth([2, 0], 4, smoothing=0.3)
    np.testing.assert_allclose(s[0], [0.1, 0.1, 0.7, 0.1])
    np.testing.assert_allclose(truth([1, 2], 4, smoothing=0.75), ignorance(2, 4))
    np.testing.assert_allclose(ignorance(3, 5).sum(1), 1)
    # PyTorch's label smoothing ε' is the thesis's ε = ε'(C−1)/C
    eps_torch, C = 0.1, 10
    t_torch = torch.nn.functional.one_hot(torch.tensor([3]), C).double() * (1 - eps_torch) \
        + eps_torch / C
    np.testing.assert_allclose(truth([3], C, smoothing=eps_torch * (C - 1) / C),
                               t_torch.numpy(), atol=1e-15)


def test_from_logits_matches_softmax_and_is_stable():
    z = np.random.default_rng(1).normal(size=(4, 7)) * 5
    np.testing.assert_allclose(from_logits(z), scipy.special.softmax(z, axis=-1), atol=1e-15)
    big = np.array([[1000.0, 0.0, -1000.0]])
    p = from_logits(big)
    assert np.all(np.isfinite(p)) and p[0, 0] == 1.0
    np.testing.assert_allclose(from_logits(torch.tensor(z)), from_logits(z), atol=1e-15)
