r"""Random stochastic projection of the class dimension (thesis §3.5.2), with measured distortion.

When C is large, each sample's prediction :math:`p^n\in\Delta^{C-1}` can be mapped to
:math:`q^n = Mp^n\in\Delta^{k-1}` by a random column-stochastic matrix
:math:`M\in\mathbb R^{k\times C}`
("a random stochastic matrix whose columns sum up to 1"): the model is treated as predicting a
random mixture of the classes. M is a Markov kernel, so by the data-processing inequality every
Bhattacharyya coefficient can only grow,

.. math:: \sum_j\sqrt{(Mp)_j(Mq)_j} \ \ge\ \sum_c\sqrt{p(c)q(c)}
          \quad\Longrightarrow\quad d_B(MP_u, MP_v) \le d_B(P_u, P_v),

(Cauchy–Schwarz on each row of M), i.e. the projection contracts every distance.
:func:`projection_distortion` measures how much, on the pairwise matrix and on the InPCA spectrum.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> P = rng.dirichlet(np.ones(50), size=(8, 20))                # 8 models, C = 50
>>> M = random_stochastic_matrix(50, 10, seed=1)
>>> Q = project_classes(P, M)
>>> Q.shape
(8, 20, 10)
>>> d = projection_distortion(P, M)
>>> bool(d.max_ratio <= 1 + 1e-12)                             # a contraction
True
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from hyperribbon.theory.errors import InvalidArgument

from hyperribbon.theory.prediction_space.arrays import as_array

from . import _exact
from .distances import check_metric, pairwise_distances, ratio
from .probabilities import as_models, check_log

__all__ = ["random_stochastic_matrix", "project_classes", "projection_distortion", "Distortion"]


def random_stochastic_matrix(n_classes: int, n_components: int, *, seed=None,
                             concentration: float = 1.0) -> np.ndarray:
    r"""A random (k, C) column-stochastic matrix: column c is drawn from Dirichlet(concentration).

    Returns
    -------
    (k, C) ndarray
        Non-negative, every column sums to 1.
    """
    owner = "random_stochastic_matrix"
    for name, v, lo in (("n_classes", n_classes, 2), ("n_components", n_components, 2)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < lo:
            raise InvalidArgument(name, owner, f"be an integer ≥ {lo}", v)
    if not (isinstance(concentration, numbers.Real) and concentration > 0):
        raise InvalidArgument("concentration", owner, "be a positive number", concentration)
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(int(n_components), float(concentration)), size=int(n_classes)).T


def _check_matrix(M, C, owner):
    M = np.asarray(as_array(M, "M", owner), dtype=np.float64)
    if M.ndim != 2 or M.shape[1] != C or not np.all(np.isfinite(M)) or np.any(M < 0):
        raise InvalidArgument("M", owner, f"be a non-negative (k, C = {C}) matrix", M)
    if np.max(np.abs(M.sum(axis=0) - 1.0)) > 1e-10:
        raise InvalidArgument("M", owner, "have columns summing to 1 (column-stochastic)", M)
    return M


def project_classes(probabilities, M, *, log=False) -> np.ndarray:
    r"""Project the class axis: :math:`q^n_w = M p^n_w` for every model and sample (§3.5.2).

    Parameters
    ----------
    probabilities : (m, N, C) array_like
    M : (k, C) array_like
        Column-stochastic.
    log : {False, True, "logits"}
        ``probabilities`` (and the result) are log-probabilities:
        :math:`\log q_j = \operatorname{logsumexp}_c(\log M_{jc} + a_c)`.

    Returns
    -------
    (m, N, k) ndarray
    """
    owner = "project_classes"
    log = check_log(log, owner)
    P = as_models(probabilities, "probabilities", owner, log)
    M = _check_matrix(M, P.shape[-1], owner)
    if log:
        with np.errstate(divide="ignore"):
            lM = np.log(M)
        return _exact.logsumexp(P[..., None, :] + lM, axis=-1)
    Q = np.einsum("mnc,kc->mnk", P, M.astype(P.dtype))
    return np.maximum(Q, 0.0)


@dataclass(frozen=True)
class Distortion:
    """How a class projection changes the pairwise distances.

    Attributes
    ----------
    min_ratio, median_ratio, max_ratio : float
        Of :math:`d(MP_u, MP_v)/d(P_u, P_v)` over pairs with :math:`d > 0` (``nan`` when there
        is none).
    relative_frobenius : float
        :math:`\\|D_M - D\\|_F / \\|D\\|_F` over the finite entries (``nan``, with an
        ``UndefinedRatioWarning``, when every distance is 0).
    rank_correlation : float
        Spearman correlation of the off-diagonal entries (``nan`` with an
        ``UndefinedRatioWarning`` when fewer than 3 pairs have a positive distance or either
        side is constant).
    D, D_projected : (m, m) ndarray
    """

    min_ratio: float
    median_ratio: float
    max_ratio: float
    relative_frobenius: float
    rank_correlation: float
    D: np.ndarray
    D_projected: np.ndarray


def projection_distortion(probabilities, M, *, metric: str = "bhattacharyya",
                          log=False) -> Distortion:
    """Measure the distortion of the pairwise distance matrix under :func:`project_classes`."""
    owner = "projection_distortion"
    check_metric(metric, owner)
    log = check_log(log, owner)
    P = as_models(probabilities, "probabilities", owner, log)
    D = pairwise_distances(P, metric=metric, log=log)
    DM = pairwise_distances(project_classes(P, M, log=log), metric=metric, log=log)
    iu = np.triu_indices(len(P), 1)
    a, b = D[iu], DM[iu]
    ok = np.isfinite(a) & np.isfinite(b) & (a > 0)
    ratios = b[ok] / a[ok]
    from scipy.stats import spearmanr
    if ok.sum() > 2 and np.ptp(a[ok]) > 0 and np.ptp(b[ok]) > 0:
        rho = float(spearmanr(a[ok], b[ok]).statistic)
    else:                       # a correlation divides by the spread of both: undefined here
        rho = float(ratio(0.0, 0.0, "the rank correlation (fewer than 3 distinct positive "
                                    "distances)", owner))
    fin = np.isfinite(D) & np.isfinite(DM)
    fro = float(ratio(np.linalg.norm((DM - D)[fin]), np.linalg.norm(D[fin]),
                      "the relative Frobenius distortion (every distance is 0)", owner))
    return Distortion(float(ratios.min()) if ratios.size else float("nan"),
                      float(np.median(ratios)) if ratios.size else float("nan"),
                      float(ratios.max()) if ratios.size else float("nan"), fro, rho, D, DM)
