"""Chapter 5 of the thesis, linear models: the problems (:class:`LinearGDProblem` and the §5.3
variants), the §5.2 lemmas and equations, closed forms, Zolotarev numbers, SGD, kernel machines,
weight decay and deep linear networks, each statement a registered :class:`~hyperribbon.theory.Lemma`.
"""
from . import (deep_linear, gd_closed_forms, kernels, linear_gd, problems, sgd, symbolic,
               weight_decay, zolotarev)
from .problems import LINEAR_GD_DOMAINS, LinearGDProblem, Normalization, sloppy_spectrum
from .sgd import SGDProblem
from .kernels import MultiKernelProblem
from .weight_decay import WeightDecayProblem
from .deep_linear import DeepLinearProblem

__all__ = ["deep_linear", "gd_closed_forms", "kernels", "linear_gd", "problems", "sgd",
           "symbolic", "weight_decay", "zolotarev", "LINEAR_GD_DOMAINS", "LinearGDProblem",
           "Normalization", "sloppy_spectrum", "SGDProblem", "MultiKernelProblem",
           "WeightDecayProblem", "DeepLinearProblem"]
