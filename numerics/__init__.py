"""hyperribbon.numerics: exact engines, accurate spectra, simulators.

Importing this package installs :class:`~hyperribbon.numerics.observe.ExactOracle` as the spectral
oracle the theory layer's lemma checks measure with.
"""
from hyperribbon.theory import oracle as _oracle

from .gd import (empirical_pca_matrix, expected_empirical_pca_correction, simulate_residuals,
                 simulate_weight_gd, synthetic_data)
from .accurate_eig import (AccurateSpectrum, gramian_eigvalsh, graded_gram_eigvalsh,
                           mp_eigvalsh, mp_gramian_eigvalsh)
from .observe import ExactOracle
from .pca import PCAMatrices, pca_matrices
from .reference import brute_force_k_T, brute_force_pca
from .sgd import (ResidualMoments, draw_initial_weights, empirical_pca_standard_error,
                  langevin_moments, sgd_moments, sgd_second_moment_radius, simulate_langevin,
                  simulate_sgd, thesis_noise_covariance)
from .kernels import (brute_force_kernel_ensemble_pca, cross_gram_matrix, gram_matrix,
                      kernel_ensemble_pca_matrix, linear_kernel, polynomial_kernel, rbf_kernel,
                      simulate_kernel_ensemble, simulate_kernel_gd)
from .weight_decay import (simulate_gd_weight_decay, weight_decay_fixed_point,
                           weight_decay_pca_matrix, weight_decay_problem)
from .deep_linear import (DeepLinearRun, balanced_deep_init, balanced_init, effective_kernel,
                          gaussian_init, simulate_deep_linear, simulate_two_layer,
                          two_layer_kernel)

from . import (alignment, blocked, centroids, configuration, distances, geodesics, imprinting,
               inpca, probabilities, projection, trajectories)
from .alignment import *  # noqa: F401,F403  (information geometry, Chapters 2–3)
from .blocked import *  # noqa: F401,F403
from .centroids import *  # noqa: F401,F403
from .configuration import *  # noqa: F401,F403
from .distances import *  # noqa: F401,F403
from .geodesics import *  # noqa: F401,F403
from .imprinting import *  # noqa: F401,F403
from .inpca import *  # noqa: F401,F403
from .probabilities import *  # noqa: F401,F403
from .projection import *  # noqa: F401,F403
from .trajectories import *  # noqa: F401,F403

_oracle.install(ExactOracle())

__all__ = ["AccurateSpectrum", "gramian_eigvalsh", "graded_gram_eigvalsh", "mp_eigvalsh",
           "mp_gramian_eigvalsh", "ExactOracle", "PCAMatrices", "pca_matrices", "brute_force_pca", "brute_force_k_T",
           "simulate_residuals", "simulate_weight_gd", "empirical_pca_matrix",
           "expected_empirical_pca_correction", "synthetic_data",
           # §5.3 simulators and exact references
           "ResidualMoments", "draw_initial_weights", "empirical_pca_standard_error",
           "langevin_moments", "sgd_moments", "sgd_second_moment_radius", "simulate_langevin",
           "simulate_sgd", "thesis_noise_covariance", "brute_force_kernel_ensemble_pca",
           "cross_gram_matrix", "gram_matrix", "kernel_ensemble_pca_matrix", "linear_kernel",
           "polynomial_kernel", "rbf_kernel", "simulate_kernel_ensemble", "simulate_kernel_gd",
           "simulate_gd_weight_decay", "weight_decay_fixed_point", "weight_decay_pca_matrix",
           "weight_decay_problem", "DeepLinearRun", "balanced_deep_init", "balanced_init",
           "effective_kernel", "gaussian_init", "simulate_deep_linear", "simulate_two_layer",
           "two_layer_kernel"]
__all__ += [name for module in (alignment, blocked, centroids, configuration, distances, geodesics,
                                imprinting, inpca, probabilities, projection, trajectories)
            for name in module.__all__]
