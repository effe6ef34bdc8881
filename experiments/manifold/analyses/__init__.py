"""The analyses of the training manifold (thesis Ch. 2 §2.2–2.5 and Ch. 3; issue 11).

Each analysis is a function of ``(logp, meta, labels)`` — an (m, N, C) array of
log-probabilities (or probabilities) of m models, a pandas DataFrame with one row per model, and
the N labels — or of a :class:`Predictions` object that caches the shared geometry (pairwise
distances computed exactly from log-probabilities, progress, InPCA fits). Every analysis returns
an :class:`AnalysisResult` with numbers, tables, figure builders and a Markdown section;
:func:`run_analyses` runs a numbered selection and writes everything into a folder.

====  =====================================================================================
 1    :func:`inpca_manifold` — InPCA of train models with P0, P* (Fig. 2.1)
 2    :func:`inpca_manifold` on test, :func:`joint_embedding` (Figs 2.4–2.5)
 3    :func:`subset_embeddings` (Figs 2.13–2.14)
 4    :func:`away_from_manifold` (Figs 2.2–2.3)
 5    :func:`trajectory_dendrogram` (Fig. 2.6)
 6    :func:`progress_vs_error` (Fig. 2.7)
 7    :func:`larger_vs_smaller` (Fig. 2.8)
 8    :func:`tube_analysis` (Figs 2.16–2.17, §3.5.6)
 9    :func:`four_point_interpretation` (Figs 2.9–2.10)
10    :func:`ensemble_centroids` (§2.5.4.4, Fig. 2.24)
11    :func:`other_distances` (§2.5.4.3)
12    :func:`synthetic_manifolds` (Figs 2.26–2.28; trains networks)
13    :func:`task_manifold` (Ch. 3 Result 1–2, Fig. 3.2; trains networks)
====  =====================================================================================
"""
from .away import away_from_manifold
from .basis import four_point_interpretation
from .embedding import (fit_inpca, inpca_manifold, joint_embedding, other_distances,
                        subset_embeddings)
from .ensembles import ensemble_centroids
from .predictions import Predictions, as_predictions
from .progress import fit_line, larger_vs_smaller, progress_vs_error
from .result import AnalysisResult
from .run import ANALYSES, parse_analyses, run_analyses
from .sources import load_predictions
from .toy import toy_sweep
from .trajectories import reindex_runs, trajectory_dendrogram, tube_analysis


def synthetic_manifolds(*args, **kwargs):
    """Analysis 12 (imports torch): see :func:`.synthetic.synthetic_manifolds`."""
    from .synthetic import synthetic_manifolds as f
    return f(*args, **kwargs)


def task_manifold(*args, **kwargs):
    """Analysis 13 (imports torch): see :func:`.tasks.task_manifold`."""
    from .tasks import task_manifold as f
    return f(*args, **kwargs)


__all__ = ["ANALYSES", "AnalysisResult", "Predictions", "as_predictions", "away_from_manifold",
           "ensemble_centroids", "fit_inpca", "fit_line", "four_point_interpretation",
           "inpca_manifold", "joint_embedding", "larger_vs_smaller", "load_predictions",
           "other_distances", "parse_analyses", "progress_vs_error", "reindex_runs",
           "run_analyses", "subset_embeddings", "synthetic_manifolds", "task_manifold",
           "toy_sweep", "trajectory_dendrogram", "tube_analysis"]
