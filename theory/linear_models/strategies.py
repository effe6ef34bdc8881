"""Hypothesis strategies for the Chapter-5 problem types, generated from the declared parameter
domains (:data:`~hyperribbon.theory.linear_models.problems.LINEAR_GD_DOMAINS`); context-dependent
ends (such as α < 2/λ1) are evaluated on the drawn spectrum, so property tests and lemma
assumptions share one source.

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=5, deadline=None)
... @given(linear_gd_problems(max_n=6))
... def prop(p):
...     assert 0 < p.alpha * p.lambda1 < 2
>>> prop()
"""
from __future__ import annotations

import math

from hypothesis import strategies as st

from ..strategy_registry import from_domain, register_strategy
from .deep_linear import DeepLinearProblem
from .kernels import MultiKernelProblem
from .problems import LINEAR_GD_DOMAINS, LinearGDProblem
from .sgd import SGDProblem
from .weight_decay import WeightDecayProblem

__all__ = ["linear_gd_problems", "sgd_problems", "multi_kernel_problems",
           "weight_decay_problems", "deep_linear_problems"]


@st.composite
def linear_gd_problems(draw, *, max_n: int = 40, thesis_alpha: bool = True,
                       allow_zero_sigma_w: bool = True) -> LinearGDProblem:
    """Random sloppy problems λ_i = e^{-c(i-1)} with targets drawn as in the thesis.

    ``thesis_alpha`` restricts α to (0, 1/λ1) (assumption (iii)); otherwise (0, 2/λ1).
    """
    D = LINEAR_GD_DOMAINS
    n = draw(st.integers(2, max_n))
    c = draw(from_domain(D["c"]))
    ctx = {"lambda1": 1.0, "lambdan": math.exp(-c * (n - 1)), "n": n}
    alpha = draw(from_domain(D["alpha"], ctx))
    if thesis_alpha:
        alpha = min(alpha, 0.999)
    T = draw(from_domain(D["T"]))
    sigma_w2 = draw(from_domain(D["sigma_w2"]))
    if allow_zero_sigma_w and draw(st.booleans()):
        sigma_w2 = 0.0
    sigma_star2 = draw(from_domain(D["sigma_star2"]))
    seed = draw(st.integers(0, 2**31 - 1))
    return LinearGDProblem.sloppy(n=n, c=c, alpha=alpha, T=T, sigma_w2=sigma_w2,
                                  sigma_star2=sigma_star2, seed=seed)


# ---------------------------------------------------------------------------------------------
# §5.3 problem types
@st.composite
def sgd_problems(draw, *, max_n: int = 30):
    """SGD problems: a thesis-setting base problem and a batch size 1 ≤ b ≤ n."""
    base = draw(linear_gd_problems(max_n=max_n))
    b = draw(st.integers(1, base.n))
    return SGDProblem(base, b)


@st.composite
def multi_kernel_problems(draw, *, max_n: int = 12, max_M: int = 4):
    """M sloppy kernels with random (or shared) eigenbases and a common λ1 = 1."""
    D = LINEAR_GD_DOMAINS
    n = draw(st.integers(2, max_n))
    M = draw(st.integers(1, max_M))
    slopes = tuple(draw(st.lists(from_domain(D["c"]), min_size=M, max_size=M)))
    alpha = min(draw(from_domain(D["alpha"], {"lambda1": 1.0})), 0.999)
    T = draw(from_domain(D["T"]).map(lambda t: min(t, 2000)))
    sigma_w2 = draw(st.sampled_from([0.0]) | from_domain(D["sigma_w2"]))
    return MultiKernelProblem.sloppy(n=n, slopes=slopes, alpha=alpha, T=T, sigma_w2=sigma_w2,
                                     sigma_star2=draw(from_domain(D["sigma_star2"])),
                                     seed=draw(st.integers(0, 2**31 - 1)),
                                     shared_basis=draw(st.booleans()))


@st.composite
def weight_decay_problems(draw, *, max_n: int = 20):
    """Weight-decay problems with α(λ1 + λ) < 2."""
    base = draw(linear_gd_problems(max_n=max_n, thesis_alpha=False))
    wd = draw(st.sampled_from([0.0]) | st.floats(1e-4, 2.0))
    alpha = min(base.alpha, 1.9 / (base.lambda1 + wd))
    return WeightDecayProblem(base.replace(alpha=alpha, T=min(base.T, 3000)), wd)


@st.composite
def deep_linear_problems(draw):
    """Small two-layer linear networks, balanced or not, with stable step sizes."""
    n, d, p = draw(st.integers(1, 6)), draw(st.integers(1, 8)), draw(st.integers(1, 4))
    scale = draw(st.floats(1e-2, 1.0))
    prob = DeepLinearProblem.synthetic(n=n, d=d, p=p, alpha=1.0, T=draw(st.integers(1, 80)),
                                       init_scale=scale, balanced=draw(st.booleans()),
                                       seed=draw(st.integers(0, 2**31 - 1)))
    # step size relative to the curvature the net will reach: ‖X‖²(‖w*‖-ish + p·scale²)
    import numpy as np
    curv = np.linalg.norm(prob.X, 2) ** 2 * (1.0 + np.linalg.norm(prob.y) + p * scale**2)
    alpha = draw(st.floats(1e-3, 0.5)) / curv
    return DeepLinearProblem(prob.X, prob.y, p, alpha, prob.T, scale, prob.balanced, prob.seed)




register_strategy(LinearGDProblem, lambda small: linear_gd_problems(max_n=12 if small else 40))
register_strategy(SGDProblem, lambda small: sgd_problems(max_n=12 if small else 30))
register_strategy(MultiKernelProblem, lambda small: multi_kernel_problems(max_n=8 if small else 14))
register_strategy(WeightDecayProblem,
                  lambda small: weight_decay_problems(max_n=10 if small else 20))
register_strategy(DeepLinearProblem, lambda small: deep_linear_problems())
