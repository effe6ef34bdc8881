"""Linear models of Chapter 5 (thesis §5.2–5.3): the exact O(n²) PCA-matrix engine, brute-force
references, GD/SGD/Langevin/kernel/weight-decay/deep-linear simulators, high-relative-accuracy
spectra, phase diagrams, and the spectral oracle the Chapter-5 lemmas measure with."""
from .gd import (empirical_pca_matrix, expected_empirical_pca_correction, simulate_residuals,
                 simulate_weight_gd, synthetic_data)
from .accurate_eig import (AccurateSpectrum, gramian_eigvalsh, graded_gram_eigvalsh, mp_eigvalsh,
                           mp_gramian_eigvalsh)
from .observe import (ExactOracle)
from .pca import (PCAMatrices, pca_matrices)
from .reference import (brute_force_k_T, brute_force_pca)
from .sgd import (ResidualMoments, draw_initial_weights, empirical_pca_standard_error,
                  langevin_moments, sgd_moments, sgd_second_moment_radius, simulate_langevin,
                  simulate_sgd, thesis_noise_covariance)
from .kernels import (brute_force_kernel_ensemble_pca, cross_gram_matrix, gram_matrix,
                      kernel_ensemble_pca_matrix, linear_kernel, polynomial_kernel, rbf_kernel,
                      simulate_kernel_ensemble, simulate_kernel_gd)
from .weight_decay import (simulate_gd_weight_decay, weight_decay_fixed_point,
                           weight_decay_pca_matrix, weight_decay_problem)
from .deep_linear import (DeepLinearRun, balanced_deep_init, balanced_init, effective_kernel,
                          gaussian_init, simulate_deep_linear, simulate_two_layer, two_layer_kernel)
from . import phase

__all__ = ["empirical_pca_matrix", "expected_empirical_pca_correction", "simulate_residuals",
           "simulate_weight_gd", "synthetic_data", "AccurateSpectrum", "gramian_eigvalsh",
           "graded_gram_eigvalsh", "mp_eigvalsh", "mp_gramian_eigvalsh", "ExactOracle",
           "PCAMatrices", "pca_matrices", "brute_force_k_T", "brute_force_pca", "ResidualMoments",
           "draw_initial_weights", "empirical_pca_standard_error", "langevin_moments",
           "sgd_moments", "sgd_second_moment_radius", "simulate_langevin", "simulate_sgd",
           "thesis_noise_covariance", "brute_force_kernel_ensemble_pca", "cross_gram_matrix",
           "gram_matrix", "kernel_ensemble_pca_matrix", "linear_kernel", "polynomial_kernel",
           "rbf_kernel", "simulate_kernel_ensemble", "simulate_kernel_gd",
           "simulate_gd_weight_decay", "weight_decay_fixed_point", "weight_decay_pca_matrix",
           "weight_decay_problem", "DeepLinearRun", "balanced_deep_init", "balanced_init",
           "effective_kernel", "gaussian_init", "simulate_deep_linear", "simulate_two_layer",
           "two_layer_kernel", "phase"]
