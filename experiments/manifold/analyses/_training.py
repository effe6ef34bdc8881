"""Training many small runs for analyses 12 and 13 (private).

Uses the one-run training loop of :mod:`hyperribbon.experiments.networks` (``TrainConfig``,
``train``, ``prepare_model``); torch is imported only here, lazily. Runs execute one after the
other with one torch thread (small networks on a shared CPU run several times faster than with
intra-op threads competing for the cores); the previous thread count is restored afterwards.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

__all__ = ["torch_threads", "train_runs", "last_linear"]


@contextlib.contextmanager
def torch_threads(n: int = 1):
    """Run torch with ``n`` intra-op threads inside the block."""
    import torch
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def train_runs(jobs, data, *, desc: str = "training", on_record=None, show_progress=True) -> dict:
    """Train ``jobs`` = [(TrainConfig, {meta columns}), ...] on ``data``.

    Parameters
    ----------
    on_record : callable, optional
        ``on_record(model, run_index, record)`` at every checkpoint (e.g. to extract features);
        the model is in the state of that checkpoint.

    Returns
    -------
    dict
        ``train``, ``test``: (m, N, C) float32 log-probabilities of every recorded checkpoint of
        every run; ``meta``: one row per checkpoint (``run``, the job's columns, ``checkpoint``,
        ``step``, ``epoch``, errors, losses, ``diverged``).
    """
    from tqdm.auto import tqdm

    from hyperribbon.experiments.networks import prepare_model, train

    rows, tr, te = [], [], []
    with torch_threads(1):
        for r, (cfg, cols) in enumerate(tqdm(jobs, desc=desc, leave=False,
                                             disable=not show_progress)):
            model = prepare_model(cfg, data)
            callback = None if on_record is None else \
                (lambda rec, model=model, r=r: on_record(model, r, rec))
            res = train(cfg, data, model=model, on_checkpoint=callback)
            for rec in res.records:
                tr.append(rec.logp_train)
                te.append(rec.logp_test)
                rows.append({"run": r, **cols, "seed": cfg.seed, "checkpoint": rec.index,
                             "step": rec.step, "epoch": rec.epoch,
                             "train_error": rec.train_error, "test_error": rec.test_error,
                             "train_loss": rec.train_loss, "test_loss": rec.test_loss,
                             "diverged": res.diverged})
    return {"train": np.stack(tr), "test": np.stack(te), "meta": pd.DataFrame(rows)}


def last_linear(model):
    """The last ``torch.nn.Linear`` module of ``model`` (the classifier whose input is the
    penultimate-layer feature φ(x) of eq. 3.2.1)."""
    import torch
    layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if not layers:
        from hyperribbon.theory import InvalidArgument
        raise InvalidArgument("model", "last_linear", "end in a torch.nn.Linear classifier",
                              type(model).__name__)
    return layers[-1]
