"""Run several analyses on one set of predictions and write their outputs (issue 11).

:data:`ANALYSES` numbers the analyses as in the issue; :func:`run_analyses` runs a selection on
train (and optionally test) predictions, sharing the cached distances, progress and InPCA fits
between them, writes every result's numbers, tables and figures into ``out`` and returns the
:class:`~.result.AnalysisResult` objects. Analyses 12 and 13 train their own small networks
(synthetic inputs; digits sub-tasks) and ignore the given predictions.
"""
from __future__ import annotations

import time

from hyperribbon.theory import InvalidArgument

from .away import away_from_manifold
from .basis import four_point_interpretation
from .embedding import inpca_manifold, joint_embedding, other_distances, subset_embeddings
from .ensembles import ensemble_centroids
from .predictions import Predictions
from .progress import larger_vs_smaller, progress_vs_error
from .result import AnalysisResult, skipped
from .trajectories import trajectory_dendrogram, tube_analysis

__all__ = ["ANALYSES", "STACK_ANALYSES", "parse_analyses", "run_analyses"]

ANALYSES = {
    1: "InPCA of the train models with P0 and P* (Fig. 2.1)",
    2: "test manifold and joint train/test embedding (Figs 2.4–2.5)",
    3: "embeddings from sample subsets (Figs 2.13–2.14)",
    4: "distances to P0 and P*; models away from the manifold (Figs 2.2–2.3)",
    5: "dendrogram of trajectory distances and factor importance (Fig. 2.6)",
    6: "progress vs train and test error (Fig. 2.7)",
    7: "larger vs smaller network: progress per step (Fig. 2.8)",
    8: "tube widths, distance to the geodesic, mean trajectories (Figs 2.16–2.17, §3.5.6)",
    9: "four-point basis of the top three coordinates (Figs 2.9–2.10)",
    10: "centroids of seed ensembles and their test error (§2.5.4.4, Fig. 2.24)",
    11: "other intensive distances: geodesic, IsKL (§2.5.4.3)",
    12: "synthetic sloppy vs isotropic inputs, 1–4 corners (Figs 2.26–2.28; trains networks)",
    13: "Chapter 3: sub-tasks of digits, imprinting, progress across tasks (trains networks)",
}
STACK_ANALYSES = tuple(range(1, 12))
#: The thesis's explained stress on CIFAR-10 (§2.3, Figs 2.1b, 2.4b), drawn on the figures.
THESIS_STRESS = {"train": {"thesis, CIFAR-10": ([3, 50], [0.76, 0.98])},
                 "test": {"thesis, CIFAR-10": ([3, 50], [0.63, 0.95])}}


def parse_analyses(spec, owner: str = "run_analyses") -> tuple:
    """``"1,3,5-7"``, ``"all"``, an int or a sequence of ints → sorted tuple of numbers.

    Examples
    --------
    >>> parse_analyses("1,3,5-7")
    (1, 3, 5, 6, 7)
    """
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "all")):
        return STACK_ANALYSES
    items = []
    try:
        if isinstance(spec, str):
            for part in spec.split(","):
                part = part.strip()
                if "-" in part:
                    a, b = part.split("-", 1)
                    items.extend(range(int(a), int(b) + 1))
                else:
                    items.append(int(part))
        elif isinstance(spec, int) and not isinstance(spec, bool):
            items = [spec]
        else:
            items = [int(x) for x in spec]
    except (TypeError, ValueError):
        raise InvalidArgument("analyses", owner, "be numbers 1–13 separated by commas (ranges "
                              "like 5-7 allowed) or 'all'", spec) from None
    bad = [i for i in items if i not in ANALYSES]
    if not items or bad:
        raise InvalidArgument("analyses", owner, "be numbers in 1–13 (" + "; ".join(
            f"{k}: {v}" for k, v in ANALYSES.items()) + ")", spec)
    return tuple(sorted(set(items)))


def _needs_test(key, number, title):
    return skipped(key, number, title, "needs predictions on test samples")


def run_analyses(train, test=None, *, analyses=None, out=None, figures: bool = True,
                 colour_by: str | None = None, seed: int = 0, quick: bool = False,
                 training_kwargs: dict | None = None, log=print) -> list:
    """Run the selected analyses; write each result into ``out`` (if given).

    Parameters
    ----------
    train : Predictions
        Train predictions (:class:`~.predictions.Predictions`).
    test : Predictions, optional
        The same models on test samples (same metadata rows).
    analyses : str or sequence of int, optional
        See :func:`parse_analyses`; default 1–11.
    out : path, optional
        Output folder; nothing is written when None.
    figures : bool
        Write PNG+PDF figures.
    quick : bool
        Smaller settings for 12 and 13 (and fewer forest trees in 5); analysis 7 trains a width
        pair itself when the stack has no two sizes of one architecture.
    training_kwargs : dict, optional
        ``{"synthetic": {...}, "tasks": {...}, "widths": {...}}``: settings of the analyses that
        train networks (12, 13, and 7 in quick mode).
    log : callable
        Progress messages (default ``print``; pass ``lambda *_: None`` to silence).

    Returns
    -------
    list of AnalysisResult
    """
    owner = "run_analyses"
    numbers = parse_analyses(analyses, owner)
    if not isinstance(train, Predictions):
        raise InvalidArgument("train", owner, "be a Predictions object", train)
    if test is not None:
        if not isinstance(test, Predictions):
            raise InvalidArgument("test", owner, "be a Predictions object or None", test)
        if test.m != train.m:
            raise InvalidArgument("test", owner, f"hold the same m = {train.m} models as `train`",
                                  f"{test.m} models")
    kw = {"colour_by": colour_by}
    trees = 60 if quick else 200
    jobs = {
        1: lambda: [inpca_manifold(train, number=1, reference=THESIS_STRESS["train"], **kw)],
        2: lambda: ([inpca_manifold(test, number=2, reference=THESIS_STRESS["test"], **kw),
                     joint_embedding(train, test, **kw)]
                    if test is not None else [_needs_test("a02_joint", 2, ANALYSES[2])]),
        3: lambda: [subset_embeddings(p, seed=seed, **kw) for p in (train, test) if p is not None],
        4: lambda: [away_from_manifold(train, test, **kw)],
        5: lambda: [trajectory_dendrogram(p, seed=seed, n_estimators=trees, **kw)
                    for p in (train, test) if p is not None],
        6: lambda: [progress_vs_error(train, test, **kw)],
        7: lambda: [_larger_smaller(train, quick, seed, training_kwargs)],
        8: lambda: [tube_analysis(p) for p in (train, test) if p is not None],
        9: lambda: [four_point_interpretation(train, **kw)],
        10: lambda: ([ensemble_centroids(train, test)] if test is not None
                     else [_needs_test("a10_ensembles", 10, ANALYSES[10])]),
        11: lambda: [other_distances(train, **kw)],
        12: lambda: [_synthetic(quick, seed, training_kwargs)],
        13: lambda: [_tasks(quick, seed, training_kwargs)],
    }
    results = []
    for n in numbers:
        t0 = time.perf_counter()
        log(f"[analysis {n}] {ANALYSES[n]} ...")
        batch = jobs[n]()
        elapsed = time.perf_counter() - t0
        for r in batch:
            r.numbers["seconds_all_parts"] = elapsed
            if out is not None:
                r.write(out, figures=figures)
            results.append(r)
        log(f"[analysis {n}] done in {time.perf_counter() - t0:.1f} s")
    return results


def _larger_smaller(train, quick, seed, kwargs) -> AnalysisResult:
    """Analysis 7 on the stack; in quick mode, if the stack has no two sizes of one
    architecture, on a width pair trained here (:func:`.widths.width_comparison`)."""
    r = larger_vs_smaller(train)
    if r.skipped and quick:
        from .widths import width_comparison
        return width_comparison(quick=True, seed=seed, **(kwargs or {}).get("widths", {}))
    return r


def _synthetic(quick, seed, kwargs) -> AnalysisResult:
    from .synthetic import synthetic_manifolds
    return synthetic_manifolds(quick=quick, seed=seed, **(kwargs or {}).get("synthetic", {}))


def _tasks(quick, seed, kwargs) -> AnalysisResult:
    from .tasks import task_manifold
    return task_manifold(quick=quick, seed=seed, **(kwargs or {}).get("tasks", {}))
