"""Data sets for the network experiments (thesis §2.5.2, §2.5.5, Ch. 3): no download at run time.

A :class:`Dataset` holds a fixed train/test split as numpy arrays — images as ``(N, C, H, W)``
float32, vectors as ``(N, d)`` float32, labels as ``(N,)`` int64 in ``0..classes-1`` — normalised
(for images) by the *training* set's per-channel mean and standard deviation, as the thesis does
for CIFAR-10 (§2.5.2, "Training procedure"):

.. math:: x \\mapsto (x - \\mu_c) / \\sigma_c,\\qquad
          \\mu_c, \\sigma_c = \\text{mean, std of channel } c \\text{ over the training images.}

Sources:

* :func:`digits` — scikit-learn's bundled handwritten digits (1797 images, 8×8×1, 10 classes),
  split by a seeded stratified split; the default of every experiment.
* :func:`hyperribbon.experiments.networks.files.load_mnist` /
  :func:`~hyperribbon.experiments.networks.files.load_cifar10` — a user's own files.
* :func:`hyperribbon.experiments.networks.synthetic.sloppy_gaussian` — the synthetic teacher task
  of §2.5.5.
* :func:`subtask` (groups of classes, Ch. 3) and :func:`random_labels` (random tasks
  :math:`P_0^{(k)}`, §2.5.4.1) derive new tasks from any of these.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from hyperribbon.theory import InvalidArgument

__all__ = ["Dataset", "digits", "normalise", "subtask", "random_labels", "load_dataset",
           "DATASETS"]


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A fixed classification task: train and test inputs and labels.

    Attributes
    ----------
    name : str
        Human-readable name, e.g. ``"digits"`` or ``"digits[0,1,7]"``.
    x_train, x_test : (N, *in_shape) float32 ndarray
        Inputs (already normalised).
    y_train, y_test : (N,) int64 ndarray
        Labels in ``0 .. classes-1``.
    classes : int
        Number of classes C (the width of the network's output).
    flips_allowed : bool
        Whether horizontal flips are a valid augmentation (natural images: yes; digits: no).
    class_ids : tuple of int
        Original class of each label (``label c`` ↔ original class ``class_ids[c]``); identity for
        a full data set, the chosen groups for a :func:`subtask`.
    info : dict
        Provenance (source, seed, normalisation statistics, ...), JSON-serialisable.
    """
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int
    flips_allowed: bool = False
    class_ids: tuple = ()
    info: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        owner = "Dataset"
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if not isinstance(x, np.ndarray) or x.dtype != np.float32 or x.ndim < 2:
                raise InvalidArgument(f"x_{split}", owner, "be a float32 ndarray (N, ...)", x)
            if not isinstance(y, np.ndarray) or y.dtype != np.int64 or y.shape != (x.shape[0],):
                raise InvalidArgument(f"y_{split}", owner,
                                      f"be an int64 ndarray of shape ({x.shape[0]},)", y)
            if y.size and (y.min() < 0 or y.max() >= self.classes):
                raise InvalidArgument(f"y_{split}", owner,
                                      f"hold labels in 0..{self.classes - 1}",
                                      (int(y.min()), int(y.max())))
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise InvalidArgument("x_test", owner, f"have sample shape {self.x_train.shape[1:]}",
                                  self.x_test.shape[1:])
        if not self.class_ids:
            object.__setattr__(self, "class_ids", tuple(range(self.classes)))
        if len(self.class_ids) != self.classes:
            raise InvalidArgument("class_ids", owner, f"have {self.classes} entries",
                                  self.class_ids)

    @property
    def in_shape(self) -> tuple:
        """Shape of one input, ``(C, H, W)`` for images or ``(d,)`` for vectors."""
        return tuple(self.x_train.shape[1:])

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.x_test.shape[0])

    def replace(self, **changes) -> "Dataset":
        """A copy with some fields replaced (validated again)."""
        return dataclasses.replace(self, **changes)


def normalise(x_train: np.ndarray, x_test: np.ndarray, mode: str = "channel"):
    """Standardise inputs by statistics of the training set only.

    Parameters
    ----------
    x_train, x_test : (N, C, H, W) or (N, d) array_like
    mode : {"channel", "pixel", "none"}
        ``"channel"``: one mean/std per channel (over samples and pixels; §2.5.2);
        ``"pixel"``: one mean/std per input coordinate; a coordinate that is constant on the
        training set keeps scale 1 (it is only shifted); ``"none"``: unchanged.

    Returns
    -------
    x_train, x_test : float32 ndarrays of the same shapes
    stats : dict with ``"mean"`` and ``"std"`` lists (the statistics used)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(3, 2, (50, 2, 4, 4)), rng.normal(3, 2, (10, 2, 4, 4))
    >>> a2, b2, stats = normalise(a, b)
    >>> bool(np.allclose(a2.mean(axis=(0, 2, 3)), 0, atol=1e-6))
    True
    >>> bool(np.allclose(a2.std(axis=(0, 2, 3)), 1, atol=1e-5))
    True
    """
    owner = "normalise"
    if mode not in ("channel", "pixel", "none"):
        raise InvalidArgument("mode", owner, "be one of 'channel', 'pixel', 'none'", mode)
    x_train = np.asarray(x_train, dtype=np.float64)
    x_test = np.asarray(x_test, dtype=np.float64)
    if x_train.shape[1:] != x_test.shape[1:] or x_train.ndim < 2:
        raise InvalidArgument("x_test", owner, f"have sample shape {x_train.shape[1:]}",
                              x_test.shape)
    if mode == "none":
        return x_train.astype(np.float32), x_test.astype(np.float32), {"mode": "none"}
    if mode == "channel" and x_train.ndim == 4:
        axes = (0, 2, 3)
        mean = x_train.mean(axis=axes, keepdims=True)
        std = x_train.std(axis=axes, keepdims=True)
    else:
        mean = x_train.mean(axis=0, keepdims=True)
        std = x_train.std(axis=0, keepdims=True)
    std = np.where(std > 0, std, 1.0)
    stats = {"mode": mode, "mean": mean.ravel().tolist(), "std": std.ravel().tolist()}
    return (((x_train - mean) / std).astype(np.float32),
            ((x_test - mean) / std).astype(np.float32), stats)


def digits(test_fraction: float = 0.25, seed: int = 0, normalisation: str = "channel") -> Dataset:
    """scikit-learn's handwritten digits as a ``(1, 8, 8)`` image task with 10 classes.

    Parameters
    ----------
    test_fraction : float in (0, 1)
        Fraction of the 1797 images held out as the test set (stratified by class).
    seed : int
        Seed of the split (the same seed always gives the same split).
    normalisation : {"channel", "pixel", "none"}
        See :func:`normalise`; statistics of the training split only.

    Examples
    --------
    >>> d = digits()
    >>> d.in_shape, d.classes, d.n_train + d.n_test
    ((1, 8, 8), 10, 1797)
    >>> bool(np.array_equal(digits().y_test, d.y_test))     # the split is fixed by its seed
    True
    """
    owner = "digits"
    if not (isinstance(test_fraction, (int, float)) and 0 < test_fraction < 1):
        raise InvalidArgument("test_fraction", owner, "be in (0, 1)", test_fraction)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InvalidArgument("seed", owner, "be a non-negative integer", seed)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = bunch.images.astype(np.float64)[:, None, :, :]          # (1797, 1, 8, 8), values 0..16
    y = bunch.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction,
                                              random_state=int(seed), stratify=y)
    x_tr, x_te, stats = normalise(x_tr, x_te, normalisation)
    return Dataset("digits", x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64), 10,
                   flips_allowed=False,
                   info={"source": "sklearn.datasets.load_digits", "split_seed": int(seed),
                         "test_fraction": float(test_fraction), "normalisation": stats})


def subtask(data: Dataset, classes: Sequence[int], name: str | None = None) -> Dataset:
    """The sub-task on a group of classes (Ch. 3): keep their samples, relabel them 0..k-1.

    Parameters
    ----------
    data : Dataset
    classes : sequence of distinct ints
        Labels of ``data`` to keep, in the order that defines the new labels.
    name : str, optional
        Defaults to ``"<name>[c1,c2,...]"``.

    Notes
    -----
    The input normalisation of ``data`` is kept (so models on different sub-tasks see identical
    inputs, as needed to map them to a common task by imprinting, §3.2); ``class_ids`` records
    the original classes.

    Examples
    --------
    >>> d = subtask(digits(), [3, 8])
    >>> d.classes, d.class_ids, sorted(set(d.y_train.tolist()))
    (2, (3, 8), [0, 1])
    """
    owner = "subtask"
    cls = [int(c) for c in classes] if not isinstance(classes, (str, bytes)) else None
    if not cls or len(set(cls)) != len(cls) or min(cls) < 0 or max(cls) >= data.classes \
            or len(cls) < 2:
        raise InvalidArgument("classes", owner,
                              f"be at least 2 distinct labels in 0..{data.classes - 1}", classes)
    lut = np.full(data.classes, -1, dtype=np.int64)
    lut[cls] = np.arange(len(cls))
    keep_tr, keep_te = lut[data.y_train] >= 0, lut[data.y_test] >= 0
    return Dataset(name or f"{data.name}[{','.join(map(str, cls))}]",
                   data.x_train[keep_tr], lut[data.y_train[keep_tr]],
                   data.x_test[keep_te], lut[data.y_test[keep_te]], len(cls),
                   flips_allowed=data.flips_allowed,
                   class_ids=tuple(data.class_ids[c] for c in cls),
                   info={**data.info, "subtask_of": data.name, "classes": cls})


def random_labels(data: Dataset, seed: int) -> Dataset:
    """A random task :math:`P_0^{(k)}` (§2.5.4.1): every label, train and test, is replaced
    independently by a uniformly random class.

    Examples
    --------
    >>> r = random_labels(digits(), seed=1)
    >>> agree = float((r.y_train == digits().y_train).mean())
    >>> 0.05 < agree < 0.15          # random labels agree with the truth on about 1/C of samples
    True
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InvalidArgument("seed", "random_labels", "be a non-negative integer", seed)
    rng = np.random.default_rng([int(seed), 0x5EED])
    return data.replace(name=f"{data.name}~random{int(seed)}",
                        y_train=rng.integers(0, data.classes, data.n_train).astype(np.int64),
                        y_test=rng.integers(0, data.classes, data.n_test).astype(np.int64),
                        info={**data.info, "random_labels_seed": int(seed)})


DATASETS = ("digits", "mnist", "cifar10", "sloppy", "isotropic")


def load_dataset(name: str, *, path: str | None = None, seed: int = 0,
                 classes: Sequence[int] | None = None, random_label_seed: int | None = None,
                 **kwargs) -> Dataset:
    """Build a data set by name (used by sweep configurations).

    Parameters
    ----------
    name : {"digits", "mnist", "cifar10", "sloppy", "isotropic"}
        ``mnist``/``cifar10`` read the user's files under ``path``; ``sloppy``/``isotropic`` are
        the synthetic teacher tasks of §2.5.5 (``kwargs`` go to
        :func:`~hyperribbon.experiments.networks.synthetic.sloppy_gaussian`).
    path : str, optional
        Directory with the user's files (required for mnist, cifar10).
    seed : int
        Split seed (digits) or sampling seed (synthetic).
    classes : sequence of int, optional
        Keep only these classes (:func:`subtask`).
    random_label_seed : int, optional
        Replace labels by a random task (:func:`random_labels`).

    Examples
    --------
    >>> load_dataset("digits", classes=[0, 1]).classes
    2
    """
    owner = "load_dataset"
    if name == "digits":
        data = digits(seed=seed, **kwargs)
    elif name in ("mnist", "cifar10"):
        if path is None:
            raise InvalidArgument("path", owner, f"name a directory with the {name} files", path)
        from . import files
        data = (files.load_mnist if name == "mnist" else files.load_cifar10)(path, **kwargs)
    elif name in ("sloppy", "isotropic"):
        from .synthetic import sloppy_gaussian
        if name == "isotropic":
            kwargs = {**kwargs, "c": None}
        data = sloppy_gaussian(seed=seed, **kwargs)
    else:
        raise InvalidArgument("name", owner, f"be one of {DATASETS}", name)
    if classes is not None:
        data = subtask(data, classes)
    if random_label_seed is not None:
        data = random_labels(data, random_label_seed)
    return data
