"""hyperribbon.theory: the thesis's statements as executable objects (no torch)."""
from .errors import AssumptionViolated, HyperribbonError, InvalidArgument, PrecisionExhausted
from .domains import Domain

__all__ = ["AssumptionViolated", "HyperribbonError", "InvalidArgument", "PrecisionExhausted",
           "Domain"]
