r"""The four-point basis: an interpretation of the top three InPCA coordinates
(thesis §2.4, eq. 2.4.1, eq. 2.4.2, Figs 2.9–2.10; analysis 9).

Four models span the interpretation: ignorance :math:`P_0`, truth :math:`P_*` and the
progress-weighted averages :math:`P_{s_1}`, :math:`P_{s_2}` (eq. 2.4.1, σ = 0.05), stand-ins for the
tangents of the trajectories at :math:`P_0` and :math:`P_*`
(:func:`hyperribbon.numerics.four_point_basis`). InPCA of these four points has three non-trivial
dimensions; every model is added by eq. (2.2.9) (sign-corrected). The coordinates are compared
with the original InPCA (of all models with :math:`P_0`, :math:`P_*`) by the explained pairwise
distances (eq. 2.4.2) of the models' distance matrix, and aligned to its top three coordinates
by Kabsch–Umeyama (rotation and sign flips, :func:`hyperribbon.numerics.align`), reporting the
RMSD. As in Fig. 2.10, models with :math:`d_B(P, P_*) \ge 2` can be left out (``max_d_truth``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hyperribbon.numerics import InPCA, align, explained_pairwise_distances, four_point_basis
from hyperribbon.theory import InvalidArgument

from ._io import fmt
from ._logdomain import pairwise_log_distances
from .embedding import default_colour, fit_inpca
from .predictions import as_predictions
from .result import AnalysisResult, skipped

__all__ = ["four_point_interpretation"]


def four_point_interpretation(logp, meta=None, labels=None, *, s1: float = 0.3, s2: float = 0.7,
                              sigma: float = 0.05, max_d_truth: float | None = 2.0,
                              max_dims: int = 10, colour_by: str | None = None,
                              split: str = "train", number: int = 9) -> AnalysisResult:
    r"""Explained pairwise distances of the 4-point coordinates vs the original InPCA
    (Figs 2.9–2.10).

    Parameters
    ----------
    s1, s2 : float
        Progress of the two averaged models (thesis: :math:`s_1 = 1 - s_2 = 0.3` in Fig. 2.9,
        0.2 in Fig. 2.10).
    sigma : float
        Width of the progress weights of eq. (2.4.1) (thesis: 0.05).
    max_d_truth : float or None
        Keep models with :math:`d_B(P, P_*) <` this (thesis Fig. 2.10: 2); None keeps all.
    max_dims : int
        Original-InPCA dimensions the 4-point result is compared with (1 … ``max_dims``).
    """
    owner = "four_point_interpretation"
    for name, v in (("s1", s1), ("s2", s2)):
        if not (isinstance(v, (int, float)) and 0.0 <= v <= 1.0):
            raise InvalidArgument(name, owner, "be in [0, 1]", v)
    pr = as_predictions(logp, meta, labels, split=split, owner=owner)
    title = f"Four-point basis of the top three coordinates ({pr.split})"
    key = f"a{number:02d}_four_point_{pr.split}"
    keep = np.ones(pr.m, bool) if max_d_truth is None else pr.d_truth < max_d_truth
    if keep.sum() < 4:
        return skipped(key, number, title, f"fewer than 4 models with d_B(P, P*) < {max_d_truth}")
    full = fit_inpca(pr)
    idx = np.flatnonzero(keep)
    s = pr.progress[idx]
    log_basis = four_point_basis(pr.logp[idx], s, pr.log_truth(), s1=s1, s2=s2, sigma=sigma,
                                 log=True)
    D4 = pairwise_log_distances(log_basis)
    est4 = InPCA(n_components=3).fit(D4)
    X4 = est4.transform(pairwise_log_distances(pr.logp[idx], log_basis))
    D = pr.distances(ends=False)[np.ix_(idx, idx)]
    ep4 = explained_pairwise_distances(D, X4, est4.signs_)
    Xf = full.embedding_[idx]
    k = min(max_dims, Xf.shape[1])
    ep_orig = [explained_pairwise_distances(D, Xf[:, :d], full.signs_[:d]) for d in range(1, k + 1)]
    al = align(X4, Xf[:, :3])
    spread = float(np.sqrt(np.mean(np.sum((Xf[:, :3] - Xf[:, :3].mean(0)) ** 2, axis=1))))
    same_signs = bool(np.array_equal(est4.signs_, full.signs_[:3]))
    match = int(np.argmin(np.abs(np.asarray(ep_orig) - ep4))) + 1
    numbers = {"split": pr.split, "s1": s1, "s2": s2, "sigma": sigma,
               "max_d_truth": max_d_truth, "n_models": int(idx.size),
               "explained_pairwise_four_point": ep4,
               "explained_pairwise_original": {d + 1: v for d, v in enumerate(ep_orig)},
               "closest_original_dims": match,
               "signs_four_point": est4.signs_.tolist(),
               "signs_original_top3": full.signs_[:3].tolist(), "same_signs": same_signs,
               "rmsd_after_alignment": al.rmsd, "rms_spread_original_top3": spread,
               "basis_eigenvalues": est4.eigenvalues_.tolist()}
    colour = default_colour(pr, colour_by, owner)
    colvals = None if colour is None else pr.meta[colour].to_numpy()[idx]
    from .. import plots
    ends4 = est4.embedding_
    ends4_aligned = al.scale * ends4 @ al.rotation + al.translation

    def fig_compare():
        return plots.plot_curves(
            None, {"original InPCA (all models)": (np.arange(1, k + 1), ep_orig),
                   "4-point coordinates (3 dims)": (np.array([3.0]), np.array([ep4]))},
            styles={"original InPCA (all models)": "-o", "4-point coordinates (3 dims)": "D"},
            xlabel="number of dimensions", ylabel="explained pairwise distances (eq. 2.4.2)",
            title=f"4-point basis ($s_1$={s1}, $s_2$={s2}) vs original InPCA, "
                  f"{idx.size} {pr.split} models")

    def fig_embed():
        return plots.plot_embedding_3d(
            al.aligned, colvals, colour_name=colour, signs=est4.signs_,
            marks={"$P_0$": ends4_aligned[0], "$P_*$": ends4_aligned[1]},
            extra={f"$P_{{s_1}}$, $P_{{s_2}}$": ends4_aligned[2:]},
            title=f"4-point coordinates aligned to the original top 3 (RMSD {al.rmsd:.3g})")

    tables = {"explained_pairwise": pd.DataFrame(
        {"dims": list(range(1, k + 1)) + [3], "embedding": ["original"] * k + ["four_point"],
         "explained_pairwise": ep_orig + [ep4]})}
    sig = "the same" if same_signs else "different"
    text = (f"{idx.size} {pr.split} models" + ("" if max_d_truth is None else
                                               f" with $d_B(P,P_*) < {fmt(max_d_truth)}$")
            + f" were placed in the InPCA coordinates of the four points $P_0$, $P_*$, "
            f"$P_{{{s1}}}$, $P_{{{s2}}}$ (eq. 2.4.1, σ = {sigma}). These three coordinates explain "
            f"{fmt(ep4)} of the pairwise distances (eq. 2.4.2); the original InPCA explains "
            f"{fmt(ep_orig[min(3, k) - 1])} in 3 dimensions and comes closest to the 4-point value "
            f"with {match} dimension{'' if match == 1 else 's'}. The two embeddings give {sig} signs to the top three "
            f"coordinates (4-point: {est4.signs_.astype(int).tolist()}, original: "
            f"{full.signs_[:3].astype(int).tolist()}). After rotation and sign flips "
            f"(Kabsch–Umeyama) the RMSD to the original top three coordinates is {fmt(al.rmsd)}, "
            f"against an RMS spread of {fmt(spread)} of the original points.")
    return AnalysisResult(key=key, number=number, title=title, numbers=numbers, tables=tables,
                          figures={"explained_pairwise": fig_compare, "aligned3d": fig_embed},
                          markdown=text, data={"X_four_point": X4, "alignment": al})
