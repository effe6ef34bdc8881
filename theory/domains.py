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
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Union

from .errors import InvalidArgument

__all__ = ["Domain", "Bound", "POSITIVE", "NONNEGATIVE", "POSITIVE_INT", "UNIT_OPEN",
           "MAX_ALLOCATION_BYTES", "MAX_EXACT_INT", "size_domain", "check_allocation",
           "format_bytes"]

#: The largest single array (in bytes) any hyperribbon function allocates; a request beyond it is
#: refused *before* allocating, with an :class:`InvalidArgument` naming the size argument and the
#: memory it would need. Default 8 GiB; set the environment variable ``HYPERRIBBON_MAX_BYTES``
#: (read at import) to change it.
MAX_ALLOCATION_BYTES: int = int(os.environ.get("HYPERRIBBON_MAX_BYTES", str(8 * 2**30)))
#: 2^53: the largest integer up to which every integer is a float64 (used as the upper end of
#: counts such as T that enter floating-point formulas).
MAX_EXACT_INT: int = 2**53

Bound = Union[None, float, Callable[[Mapping[str, Any]], float]]


def _fmt(x: float) -> str:
    if x == math.inf:
        return "∞"
    if x == -math.inf:
        return "-∞"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x)) if abs(x) < 1e6 else f"{x:.6g}"
    return f"{x:.6g}"


def _as_float(x) -> float:
    """``float(x)``, or ``inf`` for an int beyond the float range."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _exact(x):
    """An end of an interval: a Python int stays an int (2^63 − 1 is not rounded to the float
    2^63, so integer ends beyond 2^53 are compared and printed exactly), anything else a float."""
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        return int(x)
    return float(x)


def _fmt_int(x: float) -> str:
    if math.isfinite(x) and float(x).is_integer() and abs(x) <= 2**63:
        return str(int(x))
    return _fmt(x)


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
    unit_bytes : float, optional
        For sizes: bytes per unit of the parameter, so that a value above ``high`` is reported
        with the memory it would need.
    hint : str
        Added to validation errors in parentheses (e.g. where an upper end comes from).
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
    unit_bytes: Optional[float] = field(default=None, compare=False)
    hint: str = field(default="", compare=False)

    # -- evaluation ------------------------------------------------------------------------
    def bounds(self, context: Optional[Mapping[str, Any]] = None) -> tuple[float, float]:
        ctx = context or {}
        lo = self.low(ctx) if callable(self.low) else self.low
        hi = self.high(ctx) if callable(self.high) else self.high
        return (-math.inf if lo is None else _exact(lo), math.inf if hi is None else _exact(hi))

    def contains(self, value: Any, context: Optional[Mapping[str, Any]] = None) -> bool:
        """Whether ``value`` lies in the domain (``False`` for NaN and wrong types)."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if isinstance(value, numbers.Integral):          # exact, even beyond the float range
            lo, hi = self.bounds(context)
            v_int = int(value)
            above = v_int >= lo if self.low_closed else v_int > lo
            below = v_int <= hi if self.high_closed else v_int < hi
            return above and below
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
        fmt = _fmt_int if self.integer else _fmt
        symbolic = f"{left}{self.low_text or fmt(lo)}, {self.high_text or fmt(hi)}{right}"
        numeric = f"{left}{fmt(lo)}, {fmt(hi)}{right}"
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
            rule = rule if rule.startswith("be ") else "be " + rule
            if self.hint:
                rule += f" ({self.hint})"
            if self.unit_bytes is not None and isinstance(value, numbers.Real) \
                    and not isinstance(value, bool) and value == value \
                    and value > self.bounds(context)[1]:
                rule += f" (this value would need {format_bytes(_as_float(value) * self.unit_bytes)})"
            raise InvalidArgument(argument, owner, rule, value)
        return value

    def coerce(self, value: Any, argument: str, owner: str,
               context: Optional[Mapping[str, Any]] = None):
        """:meth:`validate`, then return ``int(value)`` for integer domains (``1e3`` → 1000) and
        ``float(value)`` otherwise."""
        self.validate(value, argument, owner, context)
        if self.integer:
            return int(value) if isinstance(value, numbers.Integral) else int(float(value))
        return float(value)


def size_domain(high: int, note: str, *, low: int = 1, typical: Optional[tuple] = None,
                log: bool = False, unit_bytes: Optional[float] = None) -> Domain:
    """An integer size in ``[low, high]``; ``note`` says where the upper end comes from (shown in
    the error message), ``unit_bytes`` the memory per unit (a value above ``high`` is reported
    with the memory it would need).

    Examples
    --------
    >>> d = size_domain(2**20, "the limit", unit_bytes=8)
    >>> d.validate(10**10, "n", "f")
    Traceback (most recent call last):
    ...
    hyperribbon.theory.errors.InvalidArgument: Argument `n` of `f` must be an integer in [1, 1048576] (upper end: the limit) (this value would need 74.5 GiB), got 10000000000.
    """
    return Domain(low=low, high=high, low_closed=True, high_closed=True, integer=True,
                  typical=typical, log=log, note=note, hint=f"upper end: {note}",
                  unit_bytes=unit_bytes)


def format_bytes(nbytes: float) -> str:
    """``1536`` → ``'1.5 KiB'``."""
    x = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if x < 1024 or unit == "EiB":
            return f"{x:.3g} {unit}" if unit != "B" else f"{int(x)} B"
        x /= 1024
    return f"{x:.3g} EiB"                                # pragma: no cover


def check_allocation(entries: float, argument: str, owner: str, value: Any, *,
                     what: str, itemsize: int = 8) -> None:
    """Refuse an allocation of ``entries`` items of ``itemsize`` bytes beyond
    :data:`MAX_ALLOCATION_BYTES`, *before* allocating: an :class:`InvalidArgument` naming the
    size ``argument`` (with its ``value``), ``what`` would be allocated and the memory needed.

    ``entries`` may be a float or an arbitrarily large int (computed without overflow).

    Examples
    --------
    >>> check_allocation(10**12, "n", "f", 10**6, what="an n×n float64 matrix")
    Traceback (most recent call last):
    ...
    hyperribbon.theory.errors.InvalidArgument: Argument `n` of `f` must be small enough for an n×n float64 matrix to fit in the allocation limit of 8 GiB (it would need 7.28 TiB), got 1000000.
    """
    need = _as_float(entries) * itemsize
    if not need <= MAX_ALLOCATION_BYTES:
        raise InvalidArgument(argument, owner,
                              f"be small enough for {what} to fit in the allocation limit of "
                              f"{format_bytes(MAX_ALLOCATION_BYTES)} (it would need "
                              f"{format_bytes(need)})", value)


POSITIVE = Domain(low=0.0, typical=(1e-2, 1e2), log=True)
NONNEGATIVE = Domain(low=0.0, low_closed=True, typical=(0.0, 10.0))
POSITIVE_INT = Domain(low=1, low_closed=True, integer=True, typical=(1, 100))
UNIT_OPEN = Domain(low=0.0, high=1.0, typical=(0.05, 0.95))
