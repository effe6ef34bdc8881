"""Hypothesis strategies generated from the declared parameter domains.

The strategies draw from each parameter's *typical* range in
:data:`hyperribbon.theory.problems.LINEAR_GD_DOMAINS`, and evaluate context-dependent ends (such
as α < 2/λ1) on the drawn spectrum, so property tests and lemma assumptions share one source.

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

from .domains import Domain
from .problems import LINEAR_GD_DOMAINS, LinearGDProblem

__all__ = ["from_domain", "linear_gd_problems", "sgd_problems", "multi_kernel_problems",
           "weight_decay_problems", "deep_linear_problems", "confident_ensembles",
           "premetric_spaces", "strategy_for"]


def from_domain(domain: Domain, context=None, *, typical: bool = True) -> st.SearchStrategy:
    """A strategy for one parameter: uniform (or log-uniform) over the typical range clipped to
    the domain; open ends are respected."""
    lo, hi = domain.bounds(context)
    if typical and domain.typical is not None:
        lo, hi = max(lo, domain.typical[0]), min(hi, domain.typical[1])
    if domain.integer:
        lo_i = int(math.ceil(lo)) + (0 if domain.low_closed or lo != math.ceil(lo) else 1)
        hi_i = int(math.floor(hi)) - (0 if domain.high_closed or hi != math.floor(hi) else 1)
        if domain.log and lo_i > 0:
            return st.floats(math.log(lo_i), math.log(hi_i + 1)).map(
                lambda v: min(max(int(math.exp(v)), lo_i), hi_i))
        return st.integers(lo_i, hi_i)
    if domain.log and lo > 0:
        strat = st.floats(math.log(lo), math.log(hi)).map(math.exp)
    else:
        strat = st.floats(lo, hi, exclude_min=not domain.low_closed,
                          exclude_max=not domain.high_closed)
    return strat.filter(lambda v: domain.contains(v, context))


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
    from .sgd import SGDProblem
    base = draw(linear_gd_problems(max_n=max_n))
    b = draw(st.integers(1, base.n))
    return SGDProblem(base, b)


@st.composite
def multi_kernel_problems(draw, *, max_n: int = 12, max_M: int = 4):
    """M sloppy kernels with random (or shared) eigenbases and a common λ1 = 1."""
    from .kernels import MultiKernelProblem
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
    from .weight_decay import WeightDecayProblem
    base = draw(linear_gd_problems(max_n=max_n, thesis_alpha=False))
    wd = draw(st.sampled_from([0.0]) | st.floats(1e-4, 2.0))
    alpha = min(base.alpha, 1.9 / (base.lambda1 + wd))
    return WeightDecayProblem(base.replace(alpha=alpha, T=min(base.T, 3000)), wd)


@st.composite
def deep_linear_problems(draw):
    """Small two-layer linear networks, balanced or not, with stable step sizes."""
    from .deep_linear import DeepLinearProblem
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


@st.composite
def confident_ensembles(draw, *, max_samples: int = 40):
    """Confident (one-hot) models with random error rates (Remark 2.2.1)."""
    from .infogeo import ProbabilityEnsemble
    C = draw(st.integers(2, 10))
    N = draw(st.integers(1, max_samples))
    eps = draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4))
    return ProbabilityEnsemble.confident(N, C, eps, seed=draw(st.integers(0, 2**31 - 1)))


@st.composite
def premetric_spaces(draw, *, max_m: int = 20):
    """Bhattacharyya premetrics of random Dirichlet product models (Theorem 2.5.1, eq. 2.2.9)."""
    from .infogeo import PremetricSpace
    return PremetricSpace.random_bhattacharyya(
        m=draw(st.integers(3, max_m)), n_samples=draw(st.integers(1, 12)),
        n_classes=draw(st.integers(2, 6)), concentration=draw(st.floats(0.05, 2.0)),
        seed=draw(st.integers(0, 2**31 - 1)))


def strategy_for(problem_type: type, *, small: bool = False) -> st.SearchStrategy:
    """The default strategy for a lemma's problem type (``small`` for quick test budgets)."""
    from .deep_linear import DeepLinearProblem
    from .infogeo import PremetricSpace, ProbabilityEnsemble
    from .kernels import MultiKernelProblem
    from .sgd import SGDProblem
    from .weight_decay import WeightDecayProblem
    table = {
        ProbabilityEnsemble: lambda: confident_ensembles(max_samples=20 if small else 40),
        PremetricSpace: lambda: premetric_spaces(max_m=12 if small else 20),
        LinearGDProblem: lambda: linear_gd_problems(max_n=12 if small else 40),
        SGDProblem: lambda: sgd_problems(max_n=12 if small else 30),
        MultiKernelProblem: lambda: multi_kernel_problems(max_n=8 if small else 14),
        WeightDecayProblem: lambda: weight_decay_problems(max_n=10 if small else 20),
        DeepLinearProblem: deep_linear_problems,
    }
    if problem_type not in table:
        from .errors import InvalidArgument
        raise InvalidArgument("problem_type", "strategy_for",
                              f"be one of {[t.__name__ for t in table]}", problem_type.__name__)
    return table[problem_type]()
