r"""Imprinting: map a network trained on one task to another task's classes (thesis eq. 3.2.1).

With penultimate-layer features :math:`\varphi(x; w_1)`, the classifier row of class c of the new
task is set to the normalised class sum of the features (eq. 3.2.1)

.. math:: (w_2)'_c = h_c/\|h_c\|_2, \qquad h_c = \sum_{x:\,y^*_x = c}\varphi(x; w_1),

and the model predicts :math:`p(c\mid x) = \mathrm{softmax}_c\big((w_2)'_c\cdot\varphi(x)\big)`.
:math:`(w_2)'_c` maximises :math:`w\cdot h_c` over unit vectors (§3.5.4: the linear term of the
class log-likelihood). The probabilities are invariant under any orthogonal map of the features,
:math:`\varphi\mapsto U\varphi` (§3.5.5: norms and angles are preserved), so Bhattacharyya
distances between imprinted models see through rotations of the representation.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> phi, y = rng.standard_normal((60, 5)), np.arange(60) % 3
>>> P = imprint(phi, y, 3)
>>> U = np.linalg.qr(rng.standard_normal((5, 5)))[0]
>>> bool(np.allclose(P, imprint(phi @ U.T, y, 3), atol=1e-12))       # eq. 3.5.5 invariance
True
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.special

from hyperribbon.theory.errors import InvalidArgument

from hyperribbon.theory.prediction_space.arrays import as_array

from .probabilities import as_labels

__all__ = ["imprint_weights", "imprinted_probabilities", "imprint", "imprint_trajectory"]


def _features(phi, argument, owner, ndim=(2,)):
    arr = np.asarray(as_array(phi, argument, owner), dtype=np.float64)
    if arr.ndim not in ndim or min(arr.shape) == 0:
        raise InvalidArgument(argument, owner, "be a non-empty array of shape "
                              + " or ".join({2: "(n, d)", 3: "(T, n, d)"}[k] for k in ndim), arr)
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(argument, owner, "be finite", arr)
    return arr


def imprint_weights(features, labels, n_classes: int) -> np.ndarray:
    r"""Imprinted classifier rows :math:`h_c/\|h_c\|` (eq. 3.2.1).

    Parameters
    ----------
    features : (n, d) array_like or torch.Tensor
        :math:`\varphi(x_i)` of the new task's samples.
    labels : (n,) array_like of int
        Their ground-truth classes in the new task.
    n_classes : int
        :math:`C^2`, the number of classes of the new task.

    Returns
    -------
    (C2, d) ndarray
        Unit rows.
    """
    owner = "imprint_weights"
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral) or n_classes < 2:
        raise InvalidArgument("n_classes", owner, "be an integer ≥ 2", n_classes)
    phi = _features(features, "features", owner)
    y = as_labels(labels, n_classes, "labels", owner)
    if y.size != phi.shape[0]:
        raise InvalidArgument("labels", owner, f"have one label per feature row ({phi.shape[0]})",
                              y)
    H = np.zeros((n_classes, phi.shape[1]))
    np.add.at(H, y, phi)
    norms = np.linalg.norm(H, axis=1)
    missing = np.flatnonzero(norms == 0)
    if missing.size:
        raise InvalidArgument("labels", owner, "give every class a non-zero feature sum "
                              f"(class {int(missing[0])} has none)", y)
    return H / norms[:, None]


def imprinted_probabilities(features, weights, *, log: bool = False) -> np.ndarray:
    r""":math:`p(c\mid x) = \mathrm{softmax}_c(w_c\cdot\varphi(x))` for (N, d) or (T, N, d)
    features and (C2, d) weights: (N, C2) or (T, N, C2); the log-softmax with ``log=True``
    (exact where the softmax underflows)."""
    owner = "imprinted_probabilities"
    if not isinstance(log, (bool, np.bool_)):
        raise InvalidArgument("log", owner, "be True or False", log)
    phi = _features(features, "features", owner, ndim=(2, 3))
    W = _features(weights, "weights", owner)
    if W.shape[1] != phi.shape[-1]:
        raise InvalidArgument("weights", owner, f"have d = {phi.shape[-1]} columns", W)
    if log:
        return scipy.special.log_softmax(phi @ W.T, axis=-1)
    return scipy.special.softmax(phi @ W.T, axis=-1)


def imprint(features, labels, n_classes: int, eval_features=None, *,
            log: bool = False) -> np.ndarray:
    """Imprint on (features, labels) and predict on ``eval_features`` (default: ``features``).

    Returns
    -------
    (N, C2) ndarray
        Probabilities, or log-probabilities with ``log=True``.
    """
    W = imprint_weights(features, labels, n_classes)
    return imprinted_probabilities(features if eval_features is None else eval_features, W,
                                   log=log)


def imprint_trajectory(features, labels, n_classes: int, eval_features=None, *,
                       log: bool = False) -> np.ndarray:
    r"""Map every checkpoint of a trajectory to the new task, :math:`\tau^{1\to2}` (§3.2).

    Parameters
    ----------
    features : (T, n, d) array_like
        Features of the new task's (labelled) samples at each checkpoint.
    labels : (n,) array_like of int
    eval_features : (T, N, d) array_like, optional
        Features of the samples defining the product model (default: ``features``).

    Returns
    -------
    (T, N, C2) ndarray
    """
    owner = "imprint_trajectory"
    F = _features(features, "features", owner, ndim=(3,))
    E = F if eval_features is None else _features(eval_features, "eval_features", owner,
                                                   ndim=(3,))
    if E.shape[0] != F.shape[0]:
        raise InvalidArgument("eval_features", owner, f"have T = {F.shape[0]} checkpoints", E)
    return np.stack([imprint(F[t], labels, n_classes, E[t], log=log) for t in range(F.shape[0])])
