r"""Chapter 4 of the thesis, networks: sloppy FIM/Hessian spectra from sloppy inputs, trace and
block-spectrum bounds, the optimal PAC-Bayes posterior and effective dimensionality — each
statement a registered :class:`~hyperribbon.theory.Lemma` (importing this package registers
them), with its errata and hypothesis strategies.

=========================  =====================================================================
module                     contents
=========================  =====================================================================
:mod:`.problem`            :class:`NetworkProblem` (weights, inputs, labels, loss; checked
                           assumptions), :func:`~.problem.sloppy_inputs`
:mod:`.measure`            the measurement protocol (dependency inversion) and its dense default
:mod:`.trace_bounds`       Theorem 4.3.1, eq. (4.7.6), Lemmas 4.7.2–4.7.3, Remark 4.7.5
:mod:`.spectral_bounds`    Lemma 4.3.2, Corollary 4.7.7 (as written, Gauss–Newton, proof step)
:mod:`.kernel`             Remark 4.3.3 (inner-product kernels, El Karoui 2010)
:mod:`.pac_bayes`          PAC-Bayes formulas (4.2.1), (4.3.3)–(4.3.4), (4.4.1)–(4.4.4), (4.7.1),
                           kl inversion, union bound over the prior scale
:mod:`.generalization`     :class:`PacBayesProblem`; (4.3.4), (4.4.4), Theorem 4.7.1 as lemmas
:mod:`.symbolic`           sympy proofs of the identities the statements use
:mod:`.errata`             Chapter-4 errata with recomputed minimal counterexamples
:mod:`.strategies`         hypothesis strategies (registered with the falsifier; loaded on
                           first use, so that importing the lemmas does not import hypothesis)
=========================  =====================================================================

>>> from hyperribbon.theory import registry
>>> from hyperribbon.theory.networks import trace_bounds
>>> registry.get("4.3.1") is trace_bounds.THEOREM_4_3_1
True
"""
from hyperribbon.theory._lazy import lazy_exports

from . import (errata, generalization, kernel, measure, pac_bayes, problem, spectral_bounds,
               symbolic, trace_bounds)
from .generalization import (EQ_4_3_4, EQ_4_4_4, EQ_4_4_4_THRESHOLD, PAC_BAYES_DOMAINS,
                             THEOREM_4_7_1, PacBayesProblem)
from .kernel import REMARK_4_3_3, REMARK_4_3_3_CORRECTED, InnerProductKernelProblem
from .measure import CurvatureMeasure, DenseMeasure
from .problem import LOSSES, NETWORK_DOMAINS, NetworkProblem, sloppy_inputs
from .spectral_bounds import (COROLLARY_4_7_7, COROLLARY_4_7_7_GGN, COROLLARY_4_7_7_PROOF_STEP,
                              LEMMA_4_3_2)
from .trace_bounds import (EQ_4_7_6, LEMMA_4_7_2, LEMMA_4_7_3, REMARK_4_7_5,
                           REMARK_4_7_5_CORRECTED, THEOREM_4_3_1, THEOREM_4_3_1_TRUE_HESSIAN)

__all__ = ["errata", "generalization", "kernel", "measure", "pac_bayes", "problem",
           "spectral_bounds", "strategies", "symbolic", "trace_bounds",
           "NetworkProblem", "NETWORK_DOMAINS", "LOSSES", "sloppy_inputs", "PacBayesProblem",
           "PAC_BAYES_DOMAINS", "InnerProductKernelProblem", "CurvatureMeasure", "DenseMeasure",
           "network_problems", "pac_bayes_problems", "kernel_problems",
           "THEOREM_4_3_1", "THEOREM_4_3_1_TRUE_HESSIAN", "EQ_4_7_6", "LEMMA_4_7_2",
           "LEMMA_4_7_3", "REMARK_4_7_5", "REMARK_4_7_5_CORRECTED", "LEMMA_4_3_2",
           "COROLLARY_4_7_7", "COROLLARY_4_7_7_GGN", "COROLLARY_4_7_7_PROOF_STEP",
           "REMARK_4_3_3", "REMARK_4_3_3_CORRECTED", "EQ_4_3_4", "EQ_4_4_4", "EQ_4_4_4_THRESHOLD",
           "THEOREM_4_7_1"]

# hypothesis is imported only when a strategy is first asked for (here, or through
# hyperribbon.theory.strategies / strategy_for, which register every subject's strategies)
__getattr__, __dir__ = lazy_exports(
    __name__, {name: "strategies" for name in ("strategies", "network_problems",
                                               "pac_bayes_problems", "kernel_problems")}, __all__)
