"""Hypothesis strategies for the Chapter 2–3 problem types (confident ensembles of Remark 2.2.1,
Bhattacharyya premetrics of Theorem 2.5.1 and eq. 2.2.9)."""
from __future__ import annotations

from hypothesis import strategies as st

from ..strategy_registry import register_strategy
from .infogeo import PremetricSpace, ProbabilityEnsemble

__all__ = ["confident_ensembles", "premetric_spaces"]


@st.composite
def confident_ensembles(draw, *, max_samples: int = 40):
    """Confident (one-hot) models with random error rates (Remark 2.2.1)."""
    C = draw(st.integers(2, 10))
    N = draw(st.integers(1, max_samples))
    eps = draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4))
    return ProbabilityEnsemble.confident(N, C, eps, seed=draw(st.integers(0, 2**31 - 1)))


@st.composite
def premetric_spaces(draw, *, max_m: int = 20):
    """Bhattacharyya premetrics of random Dirichlet product models (Theorem 2.5.1, eq. 2.2.9)."""
    return PremetricSpace.random_bhattacharyya(
        m=draw(st.integers(3, max_m)), n_samples=draw(st.integers(1, 12)),
        n_classes=draw(st.integers(2, 6)), concentration=draw(st.floats(0.05, 2.0)),
        seed=draw(st.integers(0, 2**31 - 1)))


register_strategy(ProbabilityEnsemble,
                  lambda small: confident_ensembles(max_samples=20 if small else 40))
register_strategy(PremetricSpace, lambda small: premetric_spaces(max_m=12 if small else 20))
