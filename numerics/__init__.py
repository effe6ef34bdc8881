"""hyperribbon.numerics: exact engines, accurate spectra, simulators.

Importing this package installs :class:`~hyperribbon.numerics.observe.ExactOracle` as the spectral
oracle the theory layer's lemma checks measure with.
"""
from hyperribbon.theory import oracle as _oracle

from .gd import (empirical_pca_matrix, expected_empirical_pca_correction, simulate_residuals,
                 simulate_weight_gd, synthetic_data)
from .observe import ExactOracle
from .pca import PCAMatrices, pca_matrices
from .reference import brute_force_k_T, brute_force_pca

_oracle.install(ExactOracle())

__all__ = ["ExactOracle", "PCAMatrices", "pca_matrices", "brute_force_pca", "brute_force_k_T",
           "simulate_residuals", "simulate_weight_gd", "empirical_pca_matrix",
           "expected_empirical_pca_correction", "synthetic_data"]
