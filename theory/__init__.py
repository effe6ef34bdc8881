"""hyperribbon.theory: the thesis's statements as executable objects (no torch).

>>> from hyperribbon.theory import linear_gd, registry
>>> registry.get("5.2.3") is linear_gd.LEMMA_5_2_3
True
"""
from .errors import AssumptionViolated, HyperribbonError, InvalidArgument, PrecisionExhausted
from .domains import Domain
from .verdict import Comparison, Status, Verdict
from .lemma import Assumption, Lemma, Precision, SymbolicStatus
from . import registry
from . import catalogue  # noqa: F401  (imports every subject, which registers its lemmas)
from . import linear_models, networks, prediction_space
from .linear_models import (LINEAR_GD_DOMAINS, LinearGDProblem, Normalization, gd_closed_forms,
                            linear_gd, sloppy_spectrum, symbolic)
from .prediction_space import infogeo

__all__ = ["AssumptionViolated", "HyperribbonError", "InvalidArgument", "PrecisionExhausted",
           "Domain", "Comparison", "Status", "Verdict", "Assumption", "Lemma", "Precision",
           "SymbolicStatus", "LINEAR_GD_DOMAINS", "LinearGDProblem", "Normalization",
           "sloppy_spectrum", "gd_closed_forms", "infogeo", "linear_gd", "registry", "symbolic",
           "linear_models", "prediction_space", "networks"]
