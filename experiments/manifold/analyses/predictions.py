r"""A validated stack of predictions with its metadata and labels, and cached geometry (§2.2).

Every analysis takes ``(logp, meta, labels)``: an (m, N, C) array of log-probabilities (or
probabilities) of m models on N samples with C classes, a pandas DataFrame with one row per model,
and the N ground-truth labels. :class:`Predictions` validates the three once and caches what
several analyses need — the pairwise distances with ignorance :math:`P_0` and truth :math:`P_*`
appended (computed exactly from log-probabilities), progress (eq. 2.2.4), errors, distances to
:math:`P_0` and :math:`P_*` — so passing one object to many analyses computes each only once.

Metadata columns with a meaning (all optional): ``run`` (alias ``run_id``) groups models into
training trajectories, ordered by ``step`` (else ``epoch``, else ``checkpoint``); ``seed`` is the
weight initialisation. Every other column that is constant within each run is a *configuration
factor* (``arch``, ``width``, ``optimizer``, ``lr``, ``batch_size``, ``weight_decay``, ``augment``
or a user's own); columns that vary within a run (``train_error``, ``train_loss``, ...) are
per-checkpoint measurements.

Examples
--------
>>> import pandas as pd
>>> rng = np.random.default_rng(0)
>>> logp = np.log(rng.dirichlet(np.ones(3), size=(4, 20)))
>>> meta = pd.DataFrame({"run": [0, 0, 1, 1], "step": [0, 5, 0, 5], "arch": ["a", "a", "b", "b"]})
>>> pr = Predictions(logp, meta, rng.integers(0, 3, 20))
>>> pr.factors, sorted(pr.runs)
(['arch'], [0, 1])
>>> D = pr.distances()                       # (m + 2) × (m + 2): models, then P0 and P*
>>> D.shape, bool(np.isclose(D[-2, -1], 0.5 * np.log(3)))     # d_B(P0, P*) = ½ log C
((6, 6), True)
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from hyperribbon.numerics import as_labels, progress as _progress, truth
from hyperribbon.theory import InvalidArgument

from ._logdomain import (LOG_METRICS, as_log_probabilities, log_ignorance, log_truth,
                         pairwise_log_distances, probabilities)

__all__ = ["Predictions", "as_predictions", "STRUCTURAL_COLUMNS", "ORDER_COLUMNS"]

STRUCTURAL_COLUMNS = ("run", "run_id", "checkpoint", "step", "epoch", "seed", "status", "done",
                      "split", "model", "train_error", "test_error", "train_loss", "test_loss",
                      "diverged", "diverged_at", "n_checkpoints", "n_done", "member", "group",
                      "total_steps", "seconds", "checkpoints")
ORDER_COLUMNS = ("step", "epoch", "checkpoint")


def _meta(meta, m, owner):
    if meta is None:
        return pd.DataFrame({"model": np.arange(m)})
    if not isinstance(meta, pd.DataFrame):
        raise InvalidArgument("meta", owner, "be a pandas DataFrame with one row per model", meta)
    if len(meta) != m:
        raise InvalidArgument("meta", owner, f"have one row per model (m = {m} rows)",
                              f"a table with {len(meta)} rows")
    meta = meta.reset_index(drop=True).copy()
    if "run" not in meta.columns and "run_id" in meta.columns:
        meta["run"] = meta["run_id"]
    return meta


class Predictions:
    r"""Predictions of m models on one split, validated, with cached geometry.

    Parameters
    ----------
    logp : (m, N, C) array_like
        Log-probabilities (``log_softmax`` outputs) or probabilities; validated and normalised
        by :func:`~._logdomain.as_log_probabilities` (``kind``).
    meta : pandas.DataFrame, optional
        One row per model (see the module docstring for the columns with a meaning).
    labels : (N,) array_like of int
        Ground-truth labels :math:`y^*_n \in \{0, \dots, C-1\}`.
    split : str
        Name used in titles and file names (``"train"``, ``"test"``).
    kind : {"auto", "log", "probabilities"}

    Attributes
    ----------
    logp : (m, N, C) float64 ndarray
    meta : pandas.DataFrame
    labels : (N,) int64 ndarray
    """

    def __init__(self, logp, meta=None, labels=None, *, split: str = "train", kind: str = "auto"):
        owner = "Predictions"
        self.logp = as_log_probabilities(logp, "logp", owner, kind=kind)
        m, N, C = self.logp.shape
        if labels is None:
            raise InvalidArgument("labels", owner, "be given (N ground-truth labels)", labels)
        y = as_labels(labels, C, "labels", owner)
        if y.size != N:
            raise InvalidArgument("labels", owner, f"have one label per sample (N = {N})", y)
        self.labels = y
        self.meta = _meta(meta, m, owner)
        if not isinstance(split, str) or not split:
            raise InvalidArgument("split", owner, "be a non-empty string", split)
        self.split = split
        self._cache: dict = {}

    # ------------------------------------------------------------------ shape
    @property
    def m(self) -> int:
        return int(self.logp.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.logp.shape[1])

    @property
    def n_classes(self) -> int:
        return int(self.logp.shape[2])

    def __repr__(self) -> str:
        return (f"Predictions(split={self.split!r}, m={self.m}, N={self.n_samples}, "
                f"C={self.n_classes}, factors={self.factors})")

    # ------------------------------------------------------------------ metadata
    @property
    def has_runs(self) -> bool:
        return "run" in self.meta.columns and any(c in self.meta.columns for c in ORDER_COLUMNS)

    @property
    def order_column(self) -> str | None:
        return next((c for c in ORDER_COLUMNS if c in self.meta.columns), None)

    @property
    def runs(self) -> dict:
        """``{run: indices of its models in training order}`` (empty without run metadata)."""
        if "runs" not in self._cache:
            out = {}
            if self.has_runs:
                order = self.order_column
                for run, grp in self.meta.groupby("run", sort=True):
                    out[run] = grp.sort_values(order, kind="stable").index.to_numpy()
            self._cache["runs"] = out
        return self._cache["runs"]

    @property
    def factors(self) -> list:
        """Configuration factors: non-structural columns constant within each run."""
        if "factors" not in self._cache:
            cols = []
            for c in self.meta.columns:
                if c in STRUCTURAL_COLUMNS or self.meta[c].isna().all():
                    continue
                if "run" in self.meta.columns and \
                        (self.meta.groupby("run")[c].nunique(dropna=False) > 1).any():
                    continue
                cols.append(c)
            self._cache["factors"] = cols
        return self._cache["factors"]

    @property
    def varying_factors(self) -> list:
        """Factors that take more than one value (they distinguish configurations)."""
        return [c for c in self.factors if self.meta[c].nunique(dropna=False) > 1]

    def configuration(self) -> pd.Series:
        """A label per model naming its configuration (varying factors, ``seed`` excluded)."""
        cols = self.varying_factors
        if not cols:
            return pd.Series(["all"] * self.m, index=self.meta.index)
        return self.meta[cols].astype(str).agg("/".join, axis=1)

    def column(self, name: str, owner: str) -> pd.Series:
        """A metadata column, or a named error listing the available ones."""
        if name not in self.meta.columns:
            raise InvalidArgument(name, owner, "be a metadata column (one of "
                                  + ", ".join(map(str, self.meta.columns)) + ")", name)
        return self.meta[name]

    # ------------------------------------------------------------------ special points
    def log_ignorance(self) -> np.ndarray:
        return log_ignorance(self.n_samples, self.n_classes)

    def log_truth(self) -> np.ndarray:
        return log_truth(self.labels, self.n_classes)

    def truth(self) -> np.ndarray:
        """:math:`P_*` as (N, C) probabilities."""
        return truth(self.labels, self.n_classes)

    def probabilities(self, idx=None) -> np.ndarray:
        """:math:`e^{\\log p}` in float64 (all models, or ``idx``)."""
        return probabilities(self.logp if idx is None else self.logp[idx])

    # ------------------------------------------------------------------ cached geometry
    def distances(self, metric: str = "bhattacharyya", *, ends: bool = True) -> np.ndarray:
        r"""Pairwise distances of the models, with :math:`P_0` then :math:`P_*` appended.

        ``ends=True`` returns the (m+2, m+2) matrix (for ``symmetric_kl`` only :math:`P_0` is
        appended: :math:`P_*` is infinitely far); ``ends=False`` the (m, m) block of the models.
        """
        if metric not in LOG_METRICS:
            raise InvalidArgument("metric", "Predictions.distances",
                                  "be one of " + ", ".join(LOG_METRICS), metric)
        key = ("D", metric)
        if key not in self._cache:
            extra = [self.log_ignorance()]
            if metric != "symmetric_kl":
                extra.append(self.log_truth())
            stack = np.concatenate([self.logp, np.stack(extra)], axis=0)
            self._cache[key] = pairwise_log_distances(stack, metric=metric)
        D = self._cache[key]
        return D if ends else D[:self.m, :self.m]

    def n_ends(self, metric: str = "bhattacharyya") -> int:
        """How many special points :meth:`distances` appends (2, or 1 for ``symmetric_kl``)."""
        return 1 if metric == "symmetric_kl" else 2

    @property
    def d_truth(self) -> np.ndarray:
        r""":math:`d_B(P, P_*) = -\frac1{2N}\sum_n\log p^n(y^*_n)` (half the cross-entropy)."""
        return self.distances()[:self.m, self.m + 1]

    @property
    def d_ignorance(self) -> np.ndarray:
        r""":math:`d_B(P, P_0)`."""
        return self.distances()[:self.m, self.m]

    @property
    def errors(self) -> np.ndarray:
        """Classification error of each model (argmax of the predictions ≠ label)."""
        if "errors" not in self._cache:
            self._cache["errors"] = np.mean(np.argmax(self.logp, axis=-1) != self.labels[None],
                                            axis=1)
        return self._cache["errors"]

    @property
    def progress(self) -> np.ndarray:
        r"""Progress :math:`s_w` of every model (eq. 2.2.4), from ignorance to truth."""
        if "progress" not in self._cache:
            from tqdm.auto import tqdm
            A, As = self.logp, self.log_truth()
            step = 256
            parts = [_progress(A[i:i + step], As, log=True)
                     for i in tqdm(range(0, self.m, step), desc=f"progress ({self.split})",
                                   leave=False, disable=self.m <= step)]
            self._cache["progress"] = np.concatenate(parts)
        return self._cache["progress"]

    # ------------------------------------------------------------------ subsets
    def subset(self, idx) -> "Predictions":
        """The predictions of the models ``idx`` (metadata rows renumbered)."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        out = Predictions.__new__(Predictions)
        out.logp, out.labels, out.split = self.logp[idx], self.labels, self.split
        out.meta = self.meta.iloc[idx].reset_index(drop=True)
        out._cache = {}
        for key in ("progress", "errors"):
            if key in self._cache:
                out._cache[key] = self._cache[key][idx]
        return out

    def samples(self, idx) -> "Predictions":
        """The same models restricted to the samples ``idx`` (thesis §2.5.3.3)."""
        idx = np.asarray(idx)
        out = Predictions.__new__(Predictions)
        out.logp, out.labels, out.meta = self.logp[:, idx], self.labels[idx], self.meta
        out.split, out._cache = self.split, {}
        return out


def as_predictions(logp, meta=None, labels=None, *, split: str = "train",
                   owner: str = "analysis") -> Predictions:
    """``logp`` itself if it is a :class:`Predictions`, else ``Predictions(logp, meta, labels)``."""
    if isinstance(logp, Predictions):
        return logp
    if logp is None:
        raise InvalidArgument("logp", owner, "be an (m, N, C) array of (log-)probabilities", logp)
    return Predictions(logp, meta, labels, split=split)


def _positive_int(x, argument, owner, minimum=1):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < minimum:
        raise InvalidArgument(argument, owner, f"be an integer ≥ {minimum}", x)
    return int(x)
