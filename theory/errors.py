"""The one error module of hyperribbon.

Every public function validates its arguments at the top and raises one of these errors with a
message that names the argument, the rule and the value received, e.g.::

    Argument `alpha` of `LinearProblem` must be in (0, 2/λ1(K)) = (0, 2.0), got 2.3.
"""
from __future__ import annotations

__all__ = ["HyperribbonError", "InvalidArgument", "AssumptionViolated", "PrecisionExhausted"]


class HyperribbonError(Exception):
    """Base class of every error raised on purpose by hyperribbon."""


class InvalidArgument(HyperribbonError, ValueError):
    """An argument breaks a rule of its declared domain.

    Parameters
    ----------
    argument : str
        Name of the offending argument.
    owner : str
        The function or class that received it.
    rule : str
        The rule, in words or as an interval, e.g. ``"in (0, 1/λ1(K)] = (0, 1.0]"``.
    value : object
        The value received (summarised if it is an array).
    """

    def __init__(self, argument: str, owner: str, rule: str, value: object):
        self.argument, self.owner, self.rule, self.value = argument, owner, rule, value
        super().__init__(f"Argument `{argument}` of `{owner}` must {rule}, got {_summary(value)}.")


class AssumptionViolated(HyperribbonError, ValueError):
    """A lemma was asked to *assume* something the problem does not satisfy.

    ``Lemma.check`` never raises this (it returns a ``not_applicable`` verdict instead); it is
    raised by functions that cannot compute anything meaningful outside the assumption, such as a
    bound whose formula is undefined there.
    """

    def __init__(self, assumption: str, owner: str, detail: str):
        self.assumption, self.owner, self.detail = assumption, owner, detail
        super().__init__(f"Assumption `{assumption}` of `{owner}` is violated: {detail}.")


class PrecisionExhausted(HyperribbonError, ArithmeticError):
    """The highest precision allowed could not separate a quantity from its noise floor."""


def _summary(value: object) -> str:
    if isinstance(value, type):                       # e.g. numpy.int32 (its .shape is a descriptor)
        return value.__name__
    shape = getattr(value, "shape", None)
    if not isinstance(shape, tuple):
        shape = None
    if shape is not None and len(shape) > 0:
        return f"an array of shape {tuple(shape)} and dtype {getattr(value, 'dtype', '?')}"
    if isinstance(value, float):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
