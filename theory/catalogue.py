"""The catalogue of subjects: importing it imports every subject package, whose modules register
their lemmas in :mod:`hyperribbon.theory.registry` (a plain container that imports no subject).

``hyperribbon.theory`` imports this module, so the registry is complete whenever any part of the
theory layer is imported. The registry's order does not depend on the order below (it sorts by
thesis number). A new subject is one more line here.

>>> from hyperribbon.theory import registry
>>> chapters = {lem.number.split(".")[0].strip("(") for lem in registry.all_lemmas()}
>>> {"2", "4", "5"} <= chapters
True
"""
from . import linear_models, networks, prediction_space  # noqa: F401  (registration side effects)

SUBJECTS = ("linear_models", "prediction_space", "networks")

__all__ = ["SUBJECTS"]
