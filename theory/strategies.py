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

__all__ = ["from_domain", "linear_gd_problems"]


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
