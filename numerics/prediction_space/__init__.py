"""Prediction-space geometry of Chapters 2–3 (thesis §2.2–2.5, §3): validated probability
stacks (or log-probabilities, ``log=True``), distances (Bhattacharyya, geodesic, symmetrised KL,
Euclidean), blocked and Dask pairwise matrices, geodesics and progress, trajectories, InPCA,
centroids, alignment, class projection, imprinting and configuration importance."""
from .probabilities import (as_probabilities, as_model, default_atol, ignorance, truth,
                            from_logits, as_labels, to_numpy, as_log_probabilities, as_models,
                            check_log, LOG_KINDS)
from .stacks import ProbabilityStack, open_stack
from .distances import (METRICS, bhattacharyya, geodesic_distance, symmetric_kl, euclidean,
                        distance, per_sample_distances, pairwise_distances, pairwise_reference,
                        check_distance_matrix, UndefinedRatioWarning)
from .blocked import pairwise_to_disk, pairwise_dask, tile_status, open_matrix
from .geodesics import (geodesic, geodesic_reference, geodesic_objective, progress,
                        progress_reference, distance_to_geodesic, GeodesicFrame)
from .trajectories import (Reindexed, reindex_by_progress, sample_at_progress, trajectory_distance,
                           trajectory_distance_matrix, trajectory_distance_reference,
                           mean_trajectory, tube_radius, tube_widths, riemann_length)
from .inpca import (InPCA, centered_matrix, explained_stress, explained_pairwise_distances,
                    minkowski_distances, inpca_reference, rank_tolerance)
from .centroids import (CENTROIDS, centroid, centroid_objective, arithmetic_mean,
                        sqrt_arithmetic_mean, geometric_mean, harmonic_mean,
                        bhattacharyya_centroid, jeffreys_centroid)
from .alignment import (four_point_basis, progress_weighted_average, Alignment, align,
                        align_reference, rmsd)
from .projection import (random_stochastic_matrix, project_classes, projection_distortion,
                         Distortion)
from .imprinting import (imprint_weights, imprinted_probabilities, imprint, imprint_trajectory)
from .configuration import (Clustering, cluster_trajectories, pair_features, factor_importance)

__all__ = ["as_probabilities", "as_model", "default_atol", "ignorance", "truth", "from_logits",
           "as_labels", "to_numpy", "as_log_probabilities", "as_models", "check_log", "LOG_KINDS",
           "UndefinedRatioWarning", "METRICS", "bhattacharyya", "geodesic_distance",
           "symmetric_kl", "euclidean", "distance", "per_sample_distances", "pairwise_distances",
           "pairwise_reference", "check_distance_matrix", "ProbabilityStack", "open_stack",
           "pairwise_to_disk", "pairwise_dask", "tile_status", "open_matrix", "geodesic",
           "geodesic_reference", "geodesic_objective", "progress", "progress_reference",
           "distance_to_geodesic", "GeodesicFrame", "Reindexed", "reindex_by_progress",
           "sample_at_progress", "trajectory_distance", "trajectory_distance_matrix",
           "trajectory_distance_reference", "mean_trajectory", "tube_radius", "tube_widths",
           "riemann_length", "InPCA", "centered_matrix", "explained_stress",
           "explained_pairwise_distances", "minkowski_distances", "inpca_reference",
           "rank_tolerance", "CENTROIDS",
           "centroid", "centroid_objective", "arithmetic_mean", "sqrt_arithmetic_mean",
           "geometric_mean", "harmonic_mean", "bhattacharyya_centroid", "jeffreys_centroid",
           "four_point_basis", "progress_weighted_average", "Alignment", "align",
           "align_reference", "rmsd", "random_stochastic_matrix", "project_classes",
           "projection_distortion", "Distortion", "imprint_weights", "imprinted_probabilities",
           "imprint", "imprint_trajectory", "Clustering", "cluster_trajectories", "pair_features",
           "factor_importance"]
