"""The public catalogue of hypothesis strategies for every problem type of every subject, for
property tests in your own suite (see the README):

>>> from hypothesis import given, settings
>>> from hyperribbon.theory.strategies import linear_gd_problems
>>> @settings(max_examples=3, deadline=None)
... @given(linear_gd_problems(max_n=5))
... def prop(p):
...     assert p.n <= 5
>>> prop()

The framework (:func:`from_domain`, :func:`register_strategy`, :func:`strategy_for`) lives in
:mod:`hyperribbon.theory.strategy_registry`; each subject's strategies in its own package.
"""
from .strategy_registry import from_domain, register_strategy, registered_problem_types, strategy_for
from .linear_models.strategies import (deep_linear_problems, linear_gd_problems,
                                       multi_kernel_problems, sgd_problems, weight_decay_problems)
from .prediction_space.strategies import confident_ensembles, premetric_spaces
from .networks.strategies import kernel_problems, network_problems, pac_bayes_problems

__all__ = ["from_domain", "register_strategy", "registered_problem_types", "strategy_for",
           "linear_gd_problems", "sgd_problems", "multi_kernel_problems", "weight_decay_problems",
           "deep_linear_problems", "confident_ensembles", "premetric_spaces", "network_problems",
           "pac_bayes_problems", "kernel_problems"]
