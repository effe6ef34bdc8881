"""The strategy framework: hypothesis strategies generated from declared parameter domains, and
the lookup from a lemma's problem type to the strategy that draws its problems.

Each subject registers its strategies with :func:`register_strategy`; :func:`strategy_for`
answers for any registered problem type (used by ``hyperribbon falsify``). The public catalogue
of every subject's strategies is :mod:`hyperribbon.theory.strategies`.

Examples
--------
>>> from hyperribbon.theory import LinearGDProblem
>>> from hyperribbon.theory.strategy_registry import strategy_for
>>> strategy_for(LinearGDProblem, small=True) is not None
True
"""
from __future__ import annotations

import importlib
import math
from typing import Callable

from hypothesis import strategies as st

from .domains import Domain
from .errors import InvalidArgument

__all__ = ["from_domain", "register_strategy", "strategy_for", "registered_problem_types"]

_FACTORIES: dict[type, Callable[[bool], st.SearchStrategy]] = {}


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


def register_strategy(problem_type: type, factory: Callable[[bool], st.SearchStrategy]) -> None:
    """Declare ``factory(small) -> SearchStrategy`` as the default strategy for ``problem_type``.

    ``small`` asks for problems sized for quick test budgets. Registering a different factory for
    an already registered type is an error (two subjects would silently disagree).
    """
    if not isinstance(problem_type, type):
        raise InvalidArgument("problem_type", "register_strategy", "be a class",
                              type(problem_type).__name__)
    if not callable(factory):
        raise InvalidArgument("factory", "register_strategy", "be callable", factory)
    old = _FACTORIES.get(problem_type)
    if old is not None and old is not factory:
        raise InvalidArgument("problem_type", "register_strategy",
                              "be registered once", problem_type.__name__)
    _FACTORIES[problem_type] = factory


def registered_problem_types() -> list[type]:
    """Every problem type with a registered strategy (after loading every subject)."""
    importlib.import_module("hyperribbon.theory.strategies")
    return list(_FACTORIES)


def strategy_for(problem_type: type, *, small: bool = False) -> st.SearchStrategy:
    """The default strategy for a lemma's problem type (``small`` for quick test budgets)."""
    # the catalogue imports every subject's strategies module, which registers its factories
    importlib.import_module("hyperribbon.theory.strategies")
    if problem_type not in _FACTORIES:
        raise InvalidArgument("problem_type", "strategy_for",
                              f"be one of {[t.__name__ for t in _FACTORIES]}",
                              getattr(problem_type, "__name__", problem_type))
    return _FACTORIES[problem_type](bool(small))
