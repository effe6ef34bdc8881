r"""Larger vs smaller networks trained here, for sweeps without two sizes of one architecture
(thesis Fig. 2.8; analysis 7 in the quick run).

Trains one architecture at two widths with the same optimizer, batch size and learning-rate
schedule (hence the same recorded steps), from several seeds, on the digits, and compares their
progress per step with :func:`~.progress.larger_vs_smaller`.
"""
from __future__ import annotations

import itertools

from .predictions import Predictions
from .progress import larger_vs_smaller
from .result import AnalysisResult

__all__ = ["width_comparison", "WIDTHS_DEFAULTS", "WIDTHS_QUICK"]

WIDTHS_DEFAULTS = dict(arch="fc", widths=(16, 256), optimizers=("sgd", "adam"), seeds=3,
                       epochs=15.0, batch_size=64, checkpoints=20, lr_per_batch=None)
WIDTHS_QUICK = dict(arch="fc", widths=(16, 128), optimizers=("sgd",), seeds=2, epochs=8.0,
                    batch_size=64, checkpoints=12, lr_per_batch=None)


def width_comparison(*, quick: bool = False, seed: int = 0, show_progress: bool = True,
                     number: int = 7, **settings) -> AnalysisResult:
    """Train ``arch`` at each of ``widths`` and compare progress per step (Fig. 2.8).

    ``settings`` override :data:`WIDTHS_QUICK` (``quick``) or :data:`WIDTHS_DEFAULTS`:
    ``arch``, ``widths``, ``optimizers``, ``seeds``, ``epochs``, ``batch_size``,
    ``checkpoints``, ``lr_per_batch`` (None: the training loop's thesis default per optimizer).
    """
    from hyperribbon.experiments.networks import TrainConfig, digits
    from hyperribbon.theory import InvalidArgument

    from ._training import train_runs

    base = dict(WIDTHS_QUICK if quick else WIDTHS_DEFAULTS)
    unknown = set(settings) - set(base)
    if unknown:
        raise InvalidArgument("settings", "width_comparison", "use keys of WIDTHS_DEFAULTS "
                              f"({', '.join(base)})", sorted(unknown))
    S = {**base, **settings}
    data = digits(seed=seed)
    lr = S["lr_per_batch"]
    jobs = [(TrainConfig(arch=S["arch"], width=int(w), optimizer=o,
                         lr=None if lr is None else lr * S["batch_size"],
                         batch_size=S["batch_size"], epochs=S["epochs"],
                         checkpoints=S["checkpoints"], seed=1000 + s),
             {"arch": S["arch"], "width": int(w), "optimizer": o})
            for w, o, s in itertools.product(S["widths"], S["optimizers"], range(S["seeds"]))]
    runs = train_runs(jobs, data, desc="width pairs", show_progress=show_progress)
    pr = Predictions(runs["train"], runs["meta"], data.y_train, split="train")
    r = larger_vs_smaller(pr, number=number)
    r.numbers["trained_here"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in S.items()}
    if not r.skipped:
        r.markdown = (f"The sweep has no architecture at two sizes, so {len(jobs)} runs of "
                      f"`{S['arch']}` at widths {', '.join(map(str, S['widths']))} were trained "
                      f"here on the digits ({S['epochs']:g} epochs, batch {S['batch_size']}, "
                      f"{', '.join(S['optimizers'])}, {S['seeds']} seeds). " + r.markdown)
    r.data["predictions"] = pr
    return r
