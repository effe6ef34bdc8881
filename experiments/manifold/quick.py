"""``hyperribbon manifold --quick``: train the quick digits sweep, run every analysis, write a
report with the measured explained stress next to the thesis's numbers.

:func:`run_quick` trains the quick sweep with the sweep machinery of
:mod:`hyperribbon.experiments.manifold` (or reuses an existing sweep store), runs analyses 1–13
with quick settings (12 and 13 train their own small networks), and writes ``report.md``,
figures and numbers into ``out``. The whole run is sized for about 15 minutes on an idle 2-core
machine.
"""
from __future__ import annotations

import time
from pathlib import Path

__all__ = ["run_quick", "train_quick_sweep"]


def train_quick_sweep(path, *, config=None, scheduler: str | None = None, log=print):
    """Train the quick digits sweep (``configs/quick.toml``, or ``config``) into the store
    ``path`` with :func:`hyperribbon.experiments.manifold.sweep.run_sweep` (an interrupted
    store is resumed)."""
    from .sweep import run_sweep
    log(f"training the sweep {config or 'quick'!r} into {path} ...")
    return run_sweep(config if config is not None else "quick", str(path), scheduler=scheduler)


def run_quick(out="out/manifold-quick", seed: int = 0, *, sweep=None, analyses="1-13",
              figures: bool = True, config=None, scheduler: str | None = None,
              training_kwargs: dict | None = None, log=print):
    """Train (or reuse) the quick digits sweep, run the analyses, write ``out/report.md``.

    Parameters
    ----------
    out : path
        Output folder; the sweep store goes to ``out/sweep`` unless ``sweep`` is given.
    seed : int
        Seeds the analyses (sample subsets, forests, the networks of analyses 12 and 13); the
        sweep's own seeds are part of its configuration.
    sweep : path, optional
        An existing sweep store to analyse instead of training one.
    analyses : str or sequence of int
        Default all 13.
    config : optional
        A sweep configuration (TOML path, shipped name or dict) replacing ``"quick"``.
    scheduler : None, "sync" or str
        Dask scheduler of the sweep (see :func:`~hyperribbon.experiments.manifold.sweep.run_sweep`).
    training_kwargs : dict, optional
        ``{"synthetic": {...}, "tasks": {...}}`` overrides for analyses 12 and 13.

    Returns
    -------
    (list of AnalysisResult, pathlib.Path of the report)
    """
    from .analyses import load_predictions, parse_analyses, run_analyses
    from .report import THESIS, write_report

    t0 = time.perf_counter()
    out = Path(out)
    numbers = parse_analyses(analyses, "run_quick")
    if sweep is None:
        sweep = out / "sweep"
        train_quick_sweep(sweep, config=config, scheduler=scheduler, log=log)
    t_train = time.perf_counter() - t0
    train, test, info = load_predictions(sweep)
    results = run_analyses(train, test, analyses=numbers, out=out, figures=figures, seed=seed,
                           quick=True, training_kwargs=training_kwargs, log=log)
    preamble = _preamble(train, test, info, results, THESIS, t_train)
    report = write_report(results, out, title="hyperribbon manifold --quick", info=info,
                          parameters={"seed": seed, "analyses": ", ".join(map(str, numbers)),
                                      "sweep training seconds": f"{t_train:.0f}"},
                          preamble=preamble, seconds=time.perf_counter() - t0)
    return results, report


def _preamble(train, test, info, results, thesis, t_train):
    from .analyses._io import pct
    runs = train.meta["run"].nunique() if "run" in train.meta.columns else train.m
    factors = {c: sorted(map(str, train.meta[c].unique())) for c in train.varying_factors}
    text = [f"The quick sweep has {runs} runs and {train.m} models (checkpoints) on "
            f"{train.n_samples} train" + ("" if test is None else f" and {test.n_samples} test")
            + f" samples with {train.n_classes} classes"
            + (f" ({info.get('dataset')})" if info.get("dataset") else "") + "; factors: "
            + "; ".join(f"{k} ∈ {{{', '.join(v)}}}" for k, v in factors.items()) + "."]
    if info.get("diverged_excluded"):
        text.append(f"{info['diverged_excluded']} diverged runs were excluded.")
    val, _, setting = thesis["explained stress, train, 3 dims"]
    got = {r.numbers["split"]: r.numbers["explained_stress"].get(3) for r in results
           if r.key in ("a01_inpca_train", "a02_inpca_test") and not r.skipped}
    if got:
        text.append("Explained stress in 3 InPCA dimensions: "
                    + ", ".join(f"{k} {pct(v)}" for k, v in got.items())
                    + f" (thesis: train {pct(val)}, test "
                    f"{pct(thesis['explained stress, test, 3 dims'][0])}, {setting}).")
    text.append(f"The thesis's CIFAR-10 data have {151407 / max(train.m, 1):.0f}× more models "
                f"and {50000 / train.n_samples:.0f}× more train samples.")
    return " ".join(text)
