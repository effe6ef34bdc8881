"""Chapter 5 of the thesis, linear models: the problems (:class:`LinearGDProblem` and the §5.3
variants), the §5.2 lemmas and equations, closed forms, Zolotarev numbers, SGD, kernel machines,
weight decay and deep linear networks, each statement a registered :class:`~hyperribbon.theory.Lemma`.
"""
from . import (deep_linear, gd_closed_forms, kernels, linear_gd, problems, sgd, symbolic,
               weight_decay, zolotarev)
from .problems import LINEAR_GD_DOMAINS, MAX_N, LinearGDProblem, Normalization, sloppy_spectrum
from .sgd import SGD_DOMAINS, SGDProblem
from .kernels import MULTI_KERNEL_DOMAINS, MultiKernelProblem
from .weight_decay import WEIGHT_DECAY_DOMAINS, WeightDecayProblem
from .deep_linear import DEEP_LINEAR_DOMAINS, DeepLinearProblem

__all__ = ["deep_linear", "gd_closed_forms", "kernels", "linear_gd", "problems", "sgd",
           "symbolic", "weight_decay", "zolotarev", "LINEAR_GD_DOMAINS", "LinearGDProblem",
           "Normalization", "sloppy_spectrum", "SGDProblem", "MultiKernelProblem",
           "WeightDecayProblem", "DeepLinearProblem", "MAX_N", "SGD_DOMAINS",
           "MULTI_KERNEL_DOMAINS", "WEIGHT_DECAY_DOMAINS", "DEEP_LINEAR_DOMAINS"]
