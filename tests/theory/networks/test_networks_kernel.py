"""Remark 4.3.3 (inner-product kernels): the exact affine case, the printed f(0)XXᵀ/d, the
second-order mean it rests on (Monte Carlo), invalid arguments."""
import numpy as np
import pytest
from hypothesis import given, settings

from hyperribbon.theory import registry
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.networks import kernel, kernel_problems
from hyperribbon.theory.networks.kernel import InnerProductKernelProblem
from hyperribbon.theory.verdict import Status


@pytest.mark.parametrize("kwargs, argument", [
    pytest.param(dict(X=np.zeros((0, 2)), sigma=[1, 1], coefficients=(0, 1)), "X", id="no-rows"),
    pytest.param(dict(X=np.ones((2, 2)), sigma=[1, 1, 1], coefficients=(0, 1)), "sigma",
                 id="sigma-length"),
    pytest.param(dict(X=np.ones((2, 2)), sigma=[1, -1], coefficients=(0, 1)), "sigma",
                 id="negative-variance"),
    pytest.param(dict(X=np.ones((2, 2)), sigma=[1, 1], coefficients=()), "coefficients",
                 id="no-coefficients"),
])
def test_invalid_arguments(kwargs, argument):
    with pytest.raises(InvalidArgument) as info:
        InnerProductKernelProblem(**kwargs)
    assert info.value.argument == argument


def test_invalid_linear_choice():
    p = InnerProductKernelProblem.sample(n=2, d=2)
    with pytest.raises(InvalidArgument):
        kernel.el_karoui_approximation(p, linear="f''(0)")


@settings(max_examples=80, deadline=None)
@given(kernel_problems())
def test_corrected_remark_never_fails_and_as_printed_fails_exactly_when_predicted(p):
    good, bad = kernel.REMARK_4_3_3_CORRECTED.check(p), kernel.REMARK_4_3_3.check(p)
    if not p.affine:
        assert good.status is bad.status is Status.NOT_APPLICABLE
        return
    assert good.status is not Status.FAILS, good.table()
    # the printed form misses (f'(0) − f(0))·XXᵀ/d: it fails iff that is visible above rounding
    c0, c1 = p.coefficients[:2]
    miss = abs(c1 - c0) * np.max(np.abs(p.X @ p.X.T)) / p.d
    if miss > 1e-9 * (abs(c0) + abs(c1) + 1) * (1 + np.max(np.abs(p.X)) ** 2):
        assert bad.status is Status.FAILS
    elif c0 == c1:
        assert bad.status is not Status.FAILS


def test_kernel_matrix_against_direct_evaluation():
    p = InnerProductKernelProblem.sample(n=5, d=7, coefficients=(0.3, -1.0, 0.5, 0.25),
                                         decay=0.3, seed=4)
    M, _ = kernel.kernel_matrix(p)
    direct = np.array([[sum(c * (xi @ xj / 7) ** k for k, c in enumerate(p.coefficients))
                        for xj in p.X] for xi in p.X])
    np.testing.assert_allclose(M, direct, rtol=1e-12, atol=1e-14)
    K, _ = kernel.el_karoui_approximation(p)
    tr1, tr2 = np.sum(p.sigma), np.sum(p.sigma ** 2)
    f = lambda t: sum(c * t ** k for k, c in enumerate(p.coefficients))   # noqa: E731
    expect = (0.3 + 2 * 0.5 * tr2 / (2 * 49)) + (-1.0) * p.X @ p.X.T / 7 \
        + (f(tr1 / 7) - 0.3 - (-1.0) * tr1 / 7) * np.eye(5)
    np.testing.assert_allclose(K, expect, rtol=1e-12, atol=1e-14)


def test_second_order_term_has_mean_tr_sigma_squared():
    # the 𝟙𝟙ᵀ coefficient f''(0)tr(Σ²)/(2d²) is the mean of f''(0)/2·(x_iᵀx_j/d)² for i ≠ j:
    # E[(x_iᵀx_j)²] = tr(Σ²) for independent x_i, x_j ~ N(0, Σ)
    rng = np.random.default_rng(0)
    d = 6
    sigma = np.exp(-0.5 * np.arange(d))
    xi = rng.standard_normal((400_000, d)) * np.sqrt(sigma)
    xj = rng.standard_normal((400_000, d)) * np.sqrt(sigma)
    s = np.sum(xi * xj, axis=1) ** 2
    assert abs(s.mean() - np.sum(sigma ** 2)) < 6 * s.std() / np.sqrt(s.size)


def test_registry_and_symbolic():
    assert registry.get("4.3.3") is kernel.REMARK_4_3_3
    assert registry.get("4.3.3-corrected") is kernel.REMARK_4_3_3_CORRECTED
    assert all(kernel.REMARK_4_3_3_CORRECTED.symbolic.verify().values())
