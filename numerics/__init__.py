"""hyperribbon.numerics: exact engines, accurate spectra, simulators, prediction-space geometry.

One sub-package per subject (the same names as in :mod:`hyperribbon.theory` and
:mod:`hyperribbon.experiments`):

* :mod:`~hyperribbon.numerics.linear_models` — Chapter 5;
* :mod:`~hyperribbon.numerics.prediction_space` — Chapters 2–3;
* :mod:`~hyperribbon.numerics.curvature` — Chapter 4, curvature of torch models (imports torch;
  loaded on first use of one of its names).

Importing this package installs
:class:`~hyperribbon.numerics.linear_models.observe.ExactOracle` as the spectral oracle the
theory layer's lemma checks measure with.
"""
from hyperribbon.theory import oracle as _oracle
from hyperribbon.theory._lazy import lazy_exports

from . import curvature, linear_models
from .linear_models import (empirical_pca_matrix, expected_empirical_pca_correction,
                            simulate_residuals, simulate_weight_gd, synthetic_data,
                            AccurateSpectrum, gramian_eigvalsh, graded_gram_eigvalsh, mp_eigvalsh,
                            mp_gramian_eigvalsh, ExactOracle, PCAMatrices, pca_matrices,
                            brute_force_k_T, brute_force_pca, ResidualMoments,
                            draw_initial_weights, empirical_pca_standard_error, langevin_moments,
                            sgd_moments, sgd_second_moment_radius, simulate_langevin, simulate_sgd,
                            thesis_noise_covariance, brute_force_kernel_ensemble_pca,
                            cross_gram_matrix, gram_matrix, kernel_ensemble_pca_matrix,
                            linear_kernel, polynomial_kernel, rbf_kernel, simulate_kernel_ensemble,
                            simulate_kernel_gd, simulate_gd_weight_decay, weight_decay_fixed_point,
                            weight_decay_pca_matrix, weight_decay_problem, DeepLinearRun,
                            balanced_deep_init, balanced_init, effective_kernel, gaussian_init,
                            simulate_deep_linear, simulate_two_layer, two_layer_kernel)

# Prediction space loads on first use of one of its names (it imports scipy.optimize and
# scikit-learn, which `hyperribbon verify` of a Chapter 5 lemma never needs).
_PREDICTION_SPACE = ("as_probabilities", "as_model", "default_atol", "ignorance", "truth",
                     "from_logits", "as_labels", "to_numpy", "as_log_probabilities",
                     "as_models", "check_log", "LOG_KINDS", "UndefinedRatioWarning", "METRICS",
                     "bhattacharyya", "geodesic_distance", "symmetric_kl", "euclidean",
                     "distance", "per_sample_distances", "pairwise_distances",
                     "pairwise_reference", "check_distance_matrix", "ProbabilityStack",
                     "open_stack", "pairwise_to_disk", "pairwise_dask", "tile_status",
                     "open_matrix", "geodesic", "geodesic_reference", "geodesic_objective",
                     "progress", "progress_reference", "distance_to_geodesic", "GeodesicFrame",
                     "Reindexed", "reindex_by_progress", "sample_at_progress",
                     "trajectory_distance", "trajectory_distance_matrix",
                     "trajectory_distance_reference", "mean_trajectory", "tube_radius",
                     "tube_widths", "riemann_length", "InPCA", "centered_matrix",
                     "explained_stress", "explained_pairwise_distances", "minkowski_distances",
                     "inpca_reference", "rank_tolerance", "CENTROIDS", "centroid",
                     "centroid_objective", "arithmetic_mean", "sqrt_arithmetic_mean",
                     "geometric_mean", "harmonic_mean", "bhattacharyya_centroid",
                     "jeffreys_centroid", "four_point_basis", "progress_weighted_average",
                     "Alignment", "align", "align_reference", "rmsd",
                     "random_stochastic_matrix", "project_classes", "projection_distortion",
                     "Distortion", "imprint_weights", "imprinted_probabilities", "imprint",
                     "imprint_trajectory", "Clustering", "cluster_trajectories",
                     "pair_features", "factor_importance")

_oracle.install(ExactOracle())

__all__ = ["curvature", "linear_models", "prediction_space", "empirical_pca_matrix",
           "expected_empirical_pca_correction", "simulate_residuals", "simulate_weight_gd",
           "synthetic_data", "AccurateSpectrum", "gramian_eigvalsh", "graded_gram_eigvalsh",
           "mp_eigvalsh", "mp_gramian_eigvalsh", "ExactOracle", "PCAMatrices", "pca_matrices",
           "brute_force_k_T", "brute_force_pca", "ResidualMoments", "draw_initial_weights",
           "empirical_pca_standard_error", "langevin_moments", "sgd_moments",
           "sgd_second_moment_radius", "simulate_langevin", "simulate_sgd",
           "thesis_noise_covariance", "brute_force_kernel_ensemble_pca", "cross_gram_matrix",
           "gram_matrix", "kernel_ensemble_pca_matrix", "linear_kernel", "polynomial_kernel",
           "rbf_kernel", "simulate_kernel_ensemble", "simulate_kernel_gd",
           "simulate_gd_weight_decay", "weight_decay_fixed_point", "weight_decay_pca_matrix",
           "weight_decay_problem", "DeepLinearRun", "balanced_deep_init", "balanced_init",
           "effective_kernel", "gaussian_init", "simulate_deep_linear", "simulate_two_layer",
           "two_layer_kernel", "as_probabilities", "as_model", "default_atol", "ignorance",
           "truth", "from_logits", "as_labels", "to_numpy", "as_log_probabilities", "as_models",
           "check_log", "LOG_KINDS", "UndefinedRatioWarning", "METRICS", "bhattacharyya",
           "geodesic_distance", "symmetric_kl", "euclidean", "distance", "per_sample_distances",
           "pairwise_distances", "pairwise_reference", "check_distance_matrix", "ProbabilityStack",
           "open_stack", "pairwise_to_disk", "pairwise_dask", "tile_status", "open_matrix",
           "geodesic", "geodesic_reference", "geodesic_objective", "progress",
           "progress_reference", "distance_to_geodesic", "GeodesicFrame", "Reindexed",
           "reindex_by_progress", "sample_at_progress", "trajectory_distance",
           "trajectory_distance_matrix", "trajectory_distance_reference", "mean_trajectory",
           "tube_radius", "tube_widths", "riemann_length", "InPCA", "centered_matrix",
           "explained_stress", "explained_pairwise_distances", "minkowski_distances",
           "inpca_reference", "rank_tolerance", "CENTROIDS", "centroid", "centroid_objective",
           "arithmetic_mean", "sqrt_arithmetic_mean", "geometric_mean", "harmonic_mean",
           "bhattacharyya_centroid", "jeffreys_centroid", "four_point_basis",
           "progress_weighted_average", "Alignment", "align", "align_reference", "rmsd",
           "random_stochastic_matrix", "project_classes", "projection_distortion", "Distortion",
           "imprint_weights", "imprinted_probabilities", "imprint", "imprint_trajectory",
           "Clustering", "cluster_trajectories", "pair_features", "factor_importance"]

__getattr__, __dir__ = lazy_exports(
    __name__, {"prediction_space": "prediction_space",
               **{name: "prediction_space" for name in _PREDICTION_SPACE}}, __all__)
