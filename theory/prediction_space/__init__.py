"""Chapters 2–3 of the thesis, prediction space: Remark 2.2.1, Theorem 2.5.1 and eq. (2.2.9) as
registered lemmas over probability ensembles and premetric spaces (:mod:`.infogeo`)."""
from . import infogeo
from .infogeo import PremetricSpace, ProbabilityEnsemble

__all__ = ["infogeo", "PremetricSpace", "ProbabilityEnsemble"]
