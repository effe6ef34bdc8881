r"""A small synthetic sweep of "training trajectories" for trying the analyses without training.

:func:`toy_sweep` returns train and test log-probabilities of runs that move from ignorance
towards the truth: run r at training time :math:`t_k` has logits

.. math:: z_{r,k}^n = \beta_r\big(\sigma_n(\tau)\,\tau^2 e_{y_n} + \tau\,(0.6\,\xi_{a(r)}^n
          + 0.3\,\zeta_r^n)\big), \qquad \tau = \beta_r t_k,

with :math:`e_{y}` the one-hot label (on the test set a random wrong class for 15% of the
samples: generalisation error), :math:`\xi_a` a fixed random direction per architecture
(architectures learn along different paths), :math:`\zeta_r` per-run noise (seeds), and a speed
:math:`\beta_r` that grows with ``width`` and differs by optimiser. For 20% "hard" samples
:math:`\sigma_n` goes from −1 to 1 during training (learned late, like the thesis's "difficult
images"), otherwise :math:`\sigma_n = 1`. Log-probabilities are exact ``log_softmax`` values,
so large logits never underflow.

It is a test bed, not a model of deep networks; its numbers mean nothing about the thesis.

Examples
--------
>>> s = toy_sweep(n_seeds=2, n_checkpoints=5, n_train=40, n_test=20)
>>> s["train"].shape, s["test"].shape, len(s["meta"])      # 2 archs × 2 widths × 2 optimisers
((80, 40, 4), (80, 20, 4), 80)
>>> s["meta"]["run"].nunique(), int(s["meta"]["checkpoint"].max())
(16, 4)
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import scipy.special

__all__ = ["toy_sweep"]


def _logits(y, C, xi, t, beta, noise, hard, t_max):
    tau = beta * t
    onehot = np.eye(C)[y]
    sign = np.where(hard[:, None], -1.0 + 2.0 * min(1.0, 2.0 * t / t_max), 1.0)
    return beta * (sign * tau ** 2 * onehot + tau * (0.6 * xi + 0.3 * noise))


def toy_sweep(*, archs=("mlp", "cnn"), widths=(8, 32), optimizers=("sgd", "adam"),
              n_seeds: int = 2, n_checkpoints: int = 8, n_train: int = 60, n_test: int = 30,
              n_classes: int = 4, t_max: float = 3.0, seed: int = 0) -> dict:
    """A synthetic sweep: ``{"train": (m, N, C), "test": (m, N', C), "meta": DataFrame,
    "labels_train": (N,), "labels_test": (N',)}`` with one row of ``meta`` per checkpoint.

    ``meta`` has ``run, arch, width, optimizer, lr, batch_size, weight_decay, augment, seed,
    checkpoint, step, epoch, train_error, test_error`` (errors of the argmax predictions).
    """
    rng = np.random.default_rng(seed)
    C = int(n_classes)
    y_tr = rng.integers(0, C, n_train)
    y_te = rng.integers(0, C, n_test)
    y_dir_te = np.where(rng.random(n_test) < 0.15, (y_te + rng.integers(1, C, n_test)) % C, y_te)
    hard_tr = rng.random(n_train) < 0.2
    hard_te = rng.random(n_test) < 0.3
    xi = {a: (rng.standard_normal((n_train, C)), rng.standard_normal((n_test, C)))
          for a in archs}
    times = t_max * (np.linspace(0.0, 1.0, n_checkpoints) ** 2)
    rows, tr, te = [], [], []
    run = 0
    for arch, width, opt, s in itertools.product(archs, widths, optimizers, range(n_seeds)):
        beta = (0.6 + 0.4 * np.log2(width) / 5) * (1.25 if opt == "adam" else 1.0)
        noise_tr = rng.standard_normal((n_train, C))
        noise_te = rng.standard_normal((n_test, C)) * 1.5
        for k, t in enumerate(times):
            z_tr = _logits(y_tr, C, xi[arch][0], t, beta, noise_tr, hard_tr, t_max)
            z_te = _logits(y_dir_te, C, xi[arch][1], t, beta, noise_te, hard_te, t_max)
            z_tr += 0.02 * rng.standard_normal(z_tr.shape)
            z_te += 0.02 * rng.standard_normal(z_te.shape)
            a_tr = scipy.special.log_softmax(z_tr, axis=-1)
            a_te = scipy.special.log_softmax(z_te, axis=-1)
            tr.append(a_tr)
            te.append(a_te)
            rows.append({"run": run, "arch": arch, "width": int(width), "optimizer": opt,
                         "lr": 0.1 if opt == "sgd" else 0.001, "batch_size": 32,
                         "weight_decay": 0.0, "augment": False, "seed": s, "checkpoint": k,
                         "step": 100 * k,
                         "epoch": float(t),
                         "train_error": float(np.mean(a_tr.argmax(-1) != y_tr)),
                         "test_error": float(np.mean(a_te.argmax(-1) != y_te))})
        run += 1
    return {"train": np.stack(tr), "test": np.stack(te), "meta": pd.DataFrame(rows),
            "labels_train": y_tr, "labels_test": y_te}
