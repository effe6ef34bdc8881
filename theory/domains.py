"""Parameter domains declared as data.

A :class:`Domain` says where a parameter may live (an interval with open or closed ends, integer or
real, possibly depending on other parameters of the same problem) and where it *typically* lives.
Problems validate their arguments against these declarations, lemmas state their assumptions with
them, and :mod:`hyperribbon.theory.strategies` turns the very same declarations into hypothesis
strategies, so the validation, the assumptions and the property tests cannot drift apart.

Examples
--------
>>> from hyperribbon.theory.domains import Domain
>>> step = Domain(low=0.0, high=lambda ctx: 2.0 / ctx["lambda1"], high_text="2/λ1(K)")
>>> step.contains(0.5, {"lambda1": 1.0})
True
>>> step.describe({"lambda1": 1.0})
'in (0, 2/λ1(K)) = (0, 2)'
>>> step.contains(2.0, {"lambda1": 1.0})
False
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Union

from .errors import InvalidArgument

__all__ = ["Domain", "Bound", "POSITIVE", "NONNEGATIVE", "POSITIVE_INT", "UNIT_OPEN"]

Bound = Union[None, float, Callable[[Mapping[str, Any]], float]]


def _fmt(x: float) -> str:
    if x == math.inf:
        return "∞"
    if x == -math.inf:
        return "-∞"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x)) if abs(x) < 1e6 else f"{x:.6g}"
    return f"{x:.6g}"


@dataclass(frozen=True)
class Domain:
    """An interval domain for one scalar parameter.

    Parameters
    ----------
    low, high : float, callable or None
        Ends of the interval. A callable receives a mapping of the other parameters of the problem
        (the *context*) and returns the end, e.g. ``lambda ctx: 2 / ctx["lambda1"]``.
        ``None`` means unbounded.
    low_closed, high_closed : bool
        Whether the ends belong to the domain.
    integer : bool
        Whether the parameter is an integer.
    typical : (float, float), optional
        The range property tests and phase diagrams explore by default.
    log : bool
        Whether the typical range is explored on a log scale.
    low_text, high_text : str
        How the ends read in error messages when they depend on the context ("2/λ1(K)").
    allow_inf : bool
        Whether ``high = ∞`` itself is an admissible value (e.g. ``T = ∞`` for the Gramian limit).
    """

    low: Bound = None
    high: Bound = None
    low_closed: bool = False
    high_closed: bool = False
    integer: bool = False
    typical: Optional[tuple] = None
    log: bool = False
    low_text: str = ""
    high_text: str = ""
    allow_inf: bool = False
    note: str = field(default="", compare=False)

    # -- evaluation ------------------------------------------------------------------------
    def bounds(self, context: Optional[Mapping[str, Any]] = None) -> tuple[float, float]:
        ctx = context or {}
        lo = self.low(ctx) if callable(self.low) else self.low
        hi = self.high(ctx) if callable(self.high) else self.high
        return (-math.inf if lo is None else float(lo), math.inf if hi is None else float(hi))

    def contains(self, value: Any, context: Optional[Mapping[str, Any]] = None) -> bool:
        """Whether ``value`` lies in the domain (``False`` for NaN and wrong types)."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        v = float(value)
        if math.isnan(v):
            return False
        if math.isinf(v):
            return self.allow_inf and v > 0 and self.bounds(context)[1] == math.inf
        if self.integer and not v.is_integer():
            return False
        lo, hi = self.bounds(context)
        above = v >= lo if self.low_closed else v > lo
        below = v <= hi if self.high_closed else v < hi
        return above and below

    def describe(self, context: Optional[Mapping[str, Any]] = None) -> str:
        """The rule in words, with context-dependent ends spelled out and evaluated."""
        lo, hi = self.bounds(context)
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        kind = "an integer " if self.integer else ""
        symbolic = f"{left}{self.low_text or _fmt(lo)}, {self.high_text or _fmt(hi)}{right}"
        numeric = f"{left}{_fmt(lo)}, {_fmt(hi)}{right}"
        text = f"be {kind}in {symbolic}" if kind else f"in {symbolic}"
        if symbolic != numeric:
            text += f" = {numeric}"
        if self.allow_inf:
            text += " (∞ allowed)"
        return text

    def validate(self, value: Any, argument: str, owner: str,
                 context: Optional[Mapping[str, Any]] = None) -> Any:
        """Return ``value`` unchanged, or raise :class:`InvalidArgument` naming the rule."""
        if not self.contains(value, context):
            rule = self.describe(context)
            raise InvalidArgument(argument, owner, rule if rule.startswith("be ") else "be " + rule,
                                  value)
        return value


POSITIVE = Domain(low=0.0, typical=(1e-2, 1e2), log=True)
NONNEGATIVE = Domain(low=0.0, low_closed=True, typical=(0.0, 10.0))
POSITIVE_INT = Domain(low=1, low_closed=True, integer=True, typical=(1, 100))
UNIT_OPEN = Domain(low=0.0, high=1.0, typical=(0.05, 0.95))
