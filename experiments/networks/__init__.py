"""hyperribbon.experiments.networks: data, architectures and the one-run training loop shared
by the manifold (Ch. 2-3) and curvature (Ch. 4) experiments.

torch is imported only by :mod:`.architectures` and inside the training functions; importing this
package stays cheap.
"""
from .data import DATASETS, Dataset, digits, load_dataset, normalise, random_labels, subtask
from .files import load_cifar10, load_mnist, read_cifar_batch, read_idx, write_idx
from .synthetic import sloppy_gaussian, sloppy_spectrum
from .train import (LR_PER_BATCH, OPTIMIZERS, CheckpointRecord, TrainConfig, TrainResult,
                    checkpoint_steps, evaluate, prepare_model, train)

__all__ = [
    "DATASETS", "Dataset", "digits", "load_dataset", "normalise", "random_labels", "subtask",
    "load_cifar10", "load_mnist", "read_cifar_batch", "read_idx", "write_idx",
    "sloppy_gaussian", "sloppy_spectrum",
    "LR_PER_BATCH", "OPTIMIZERS", "CheckpointRecord", "TrainConfig", "TrainResult",
    "checkpoint_steps", "evaluate", "prepare_model", "train",
    "build_model", "ARCHITECTURES", "init_batchnorm", "corner_init", "count_parameters",
]


def __getattr__(name):          # architectures import torch: load them on first use
    if name in ("build_model", "ARCHITECTURES", "init_batchnorm", "corner_init",
                "count_parameters"):
        from . import architectures
        return getattr(architectures, name)
    raise AttributeError(name)
