"""Synthetic teacher tasks with sloppy or isotropic Gaussian inputs (thesis §2.5.5).

Inputs are ``x ~ N(0, diag(λ_1, …, λ_d))`` with

.. math:: \\lambda_i = 50\\,c\\,e^{-c\\,i},\\qquad i = 1, \\dots, d,

("sloppy" for c = 0.5, effectively isotropic for c = 0.001), or ``Λ = I`` for the isotropic
control (``c=None``). Labels are the argmax of the logits of a random teacher: a fully connected
network with one hidden ReLU layer of width 50, initialised like PyTorch's default
(weights and biases ``U[-1/√fan_in, 1/√fan_in]``). The thesis uses N = 5000 train and 1000 test
samples, d = 200, 5 classes. Inputs are *not* re-standardised (that would remove the sloppiness).
"""
from __future__ import annotations

import numpy as np

from hyperribbon.theory import InvalidArgument

from .data import Dataset

__all__ = ["sloppy_spectrum", "teacher_labels", "sloppy_gaussian"]


def sloppy_spectrum(d: int, c: float | None) -> np.ndarray:
    """Covariance eigenvalues ``λ_i = 50 c e^{-c i}`` (i = 1..d), or ones if ``c is None``.

    Examples
    --------
    >>> lam = sloppy_spectrum(4, 0.5)
    >>> bool(np.allclose(lam[1:] / lam[:-1], np.exp(-0.5))), bool(np.isclose(lam[0], 25 * np.exp(-0.5)))
    (True, True)
    """
    if not isinstance(d, (int, np.integer)) or d < 1:
        raise InvalidArgument("d", "sloppy_spectrum", "be a positive integer", d)
    if c is None:
        return np.ones(int(d))
    if not (isinstance(c, (int, float)) and np.isfinite(c) and c > 0):
        raise InvalidArgument("c", "sloppy_spectrum", "be a positive finite number or None", c)
    i = np.arange(1, int(d) + 1, dtype=np.float64)
    return 50.0 * c * np.exp(-c * i)


def teacher_labels(x: np.ndarray, classes: int, width: int, rng: np.random.Generator,
                   return_logits: bool = False):
    """Labels ``argmax_c f(x)_c`` of a random one-hidden-layer ReLU teacher.

    The teacher's weights are drawn from ``rng`` once per call, PyTorch-default style.
    """
    d = x.shape[1]
    b1, b2 = 1 / np.sqrt(d), 1 / np.sqrt(width)
    w1 = rng.uniform(-b1, b1, (d, width))
    c1 = rng.uniform(-b1, b1, width)
    w2 = rng.uniform(-b2, b2, (width, classes))
    c2 = rng.uniform(-b2, b2, classes)
    logits = np.maximum(x @ w1 + c1, 0) @ w2 + c2
    y = logits.argmax(axis=1).astype(np.int64)
    return (y, logits) if return_logits else y


def sloppy_gaussian(n_train: int = 5000, n_test: int = 1000, d: int = 200,
                    c: float | None = 0.5, classes: int = 5, teacher_width: int = 50,
                    seed: int = 0) -> Dataset:
    """The synthetic teacher task of §2.5.5.

    Parameters
    ----------
    n_train, n_test : int
        Sample counts (thesis: 5000 and 1000).
    d : int
        Input dimension (thesis: 200).
    c : float or None
        Sloppiness; ``None`` gives the isotropic control ``Λ = I``.
    classes : int
        Number of teacher classes (thesis: 5).
    teacher_width : int
        Hidden width of the teacher (thesis: 50).
    seed : int
        Seeds the inputs and the teacher.

    Returns
    -------
    Dataset with ``(d,)`` inputs; ``info["spectrum"]`` lists the λ_i.

    Examples
    --------
    >>> s = sloppy_gaussian(n_train=400, n_test=100, d=20, c=0.5, seed=3)
    >>> s.in_shape, s.classes
    ((20,), 5)
    >>> var = s.x_train.var(axis=0); lam = sloppy_spectrum(20, 0.5)
    >>> bool(np.all(np.abs(var / lam - 1) < 0.35))      # sample variances follow λ_i
    True
    """
    owner = "sloppy_gaussian"
    for name, v, lo in (("n_train", n_train, 1), ("n_test", n_test, 1), ("d", d, 1),
                        ("classes", classes, 2), ("teacher_width", teacher_width, 1),
                        ("seed", seed, 0)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
            raise InvalidArgument(name, owner, f"be an integer ≥ {lo}", v)
    lam = sloppy_spectrum(d, c)
    rng = np.random.default_rng([int(seed), 0x51077])
    x = rng.standard_normal((n_train + n_test, d)) * np.sqrt(lam)
    y = teacher_labels(x, classes, teacher_width, rng)
    x = x.astype(np.float32)
    name = "isotropic" if c is None else f"sloppy(c={c:g})"
    return Dataset(name, x[:n_train], y[:n_train], x[n_train:], y[n_train:], int(classes),
                   flips_allowed=False,
                   info={"source": "synthetic teacher (§2.5.5)", "c": c, "d": int(d),
                         "seed": int(seed), "teacher_width": int(teacher_width),
                         "spectrum": lam.tolist()})
