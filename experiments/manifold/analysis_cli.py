"""``hyperribbon manifold analyze``: the analyses of issue 11 on a sweep or on your own stack.

``register_analysis(group)`` adds the ``analyze`` command to the ``manifold`` click group (called
by :mod:`.cli`). Heavy modules are imported inside the command body, so ``hyperribbon --help``
stays fast. Every option maps to a keyword of
:func:`hyperribbon.experiments.manifold.analyses.run_analyses` /
:func:`~hyperribbon.experiments.manifold.analyses.load_predictions`.

Examples
--------
::

    hyperribbon manifold analyze out/sweep --analyses 1,2,6 --out out/analysis
    hyperribbon manifold analyze my_logp.npy --meta my_meta.csv --labels y.npy \\
        --test my_logp_test.npy --labels-test y_test.npy --out out/mine
"""
from __future__ import annotations

import time

import click

__all__ = ["register_analysis", "analyze_command"]

_ANALYSES_HELP = ("Analyses to run: numbers 1-13 separated by commas, ranges like 5-7, or 'all' "
                  "(= 1-11; 12 and 13 train their own small networks). 1 InPCA train, 2 test "
                  "and joint, 3 sample subsets, 4 distances to P0/P*, 5 dendrogram, 6 progress "
                  "vs error, 7 larger vs smaller, 8 tubes, 9 four-point basis, 10 ensembles, "
                  "11 other distances, 12 synthetic inputs, 13 sub-tasks (Ch. 3).")


def analyze(source, *, analyses="all", out="out/manifold-analysis", meta=None, labels=None,
            test=None, labels_test=None, colour_by=None, seed=0, figures=True, quick=False,
            checkpoint_stride=1, log=print):
    """What the command does, callable from Python: load, run, write ``report.md``.

    Returns
    -------
    (list of AnalysisResult, pathlib.Path of the report)
    """
    from .analyses import load_predictions, parse_analyses, run_analyses
    from .analyses.run import ANALYSES
    from .report import write_report

    numbers = parse_analyses(analyses, "analyze")
    t0 = time.perf_counter()
    train, test_pr, info = load_predictions(source, meta=meta, labels=labels, test=test,
                                            labels_test=labels_test,
                                            checkpoint_stride=checkpoint_stride)
    if colour_by is not None and colour_by not in train.meta.columns:
        from hyperribbon.theory import InvalidArgument
        raise InvalidArgument("--colour-by", "analyze", "be a metadata column ("
                              + ", ".join(map(str, train.meta.columns)) + ")", colour_by)
    log(f"loaded {train.m} models × {train.n_samples} samples × {train.n_classes} classes"
        + ("" if test_pr is None else f" (+ test, {test_pr.n_samples} samples)")
        + ("" if checkpoint_stride == 1 else f", every {checkpoint_stride}th checkpoint slot "
           "and each run's last")
        + ("" if info.get("complete", True) else
           f"; INCOMPLETE sweep: {info['runs']} of {info['runs total']} runs have checkpoints"))
    results = run_analyses(train, test_pr, analyses=numbers, out=out, figures=figures,
                           colour_by=colour_by, seed=seed, quick=quick, log=log)
    params = {"analyses": ", ".join(f"{n} ({ANALYSES[n]})" for n in numbers), "seed": seed,
              "colour by": colour_by or "arch (default)", "models": train.m,
              "train samples": train.n_samples, "classes": train.n_classes,
              "test samples": None if test_pr is None else test_pr.n_samples,
              "checkpoint stride": checkpoint_stride,
              "factors": ", ".join(train.varying_factors) or "none"}
    preamble = ("" if info.get("complete", True) else
                f"**Incomplete sweep**: only {info['runs']} of its {info['runs total']} runs "
                "have finished checkpoints; every number below describes those models only "
                "(resume the sweep with `hyperribbon manifold run` and analyse again).")
    report = write_report(results, out, title="Training manifold analyses", info=info,
                          parameters=params, preamble=preamble,
                          seconds=time.perf_counter() - t0)
    return results, report


def register_analysis(group: click.Group) -> None:
    """Add ``analyze`` to the ``manifold`` group."""
    group.add_command(analyze_command)


@click.command("analyze")
@click.argument("source", type=click.Path(exists=True))
@click.option("--analyses", default="all", show_default=True, help=_ANALYSES_HELP)
@click.option("--out", default="out/manifold-analysis", show_default=True, type=click.Path(),
              help="Output folder (figures, CSV/JSON, report.md).")
@click.option("--meta", type=click.Path(), default=None,
              help="For a stack: metadata CSV, one row per model (run, checkpoint or step, "
                   "factors such as arch, optimizer, width, seed).")
@click.option("--labels", type=click.Path(), default=None,
              help="For a stack: labels of its samples (.npy or text, one integer per line).")
@click.option("--test", "test", type=click.Path(), default=None,
              help="For a stack: the same models' predictions on test samples (.npy or zarr).")
@click.option("--labels-test", type=click.Path(), default=None, help="Labels of --test.")
@click.option("--colour-by", default=None, help="Metadata column to colour embeddings by "
                                                "(default: arch).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of sample subsets, forests, trained networks.")
@click.option("--no-figures", is_flag=True, help="Write numbers and report only.")
@click.option("--quick", is_flag=True, help="Small settings for analyses 12 and 13.")
@click.option("--checkpoint-stride", type=int, default=1, show_default=True,
              help="Sweeps: keep checkpoint slots 0, K, 2K, ... and each run's last (for sweeps "
                   "whose all-pairs distance matrix would not fit in memory).")
def analyze_command(source, analyses, out, meta, labels, test, labels_test, colour_by, seed,
                    no_figures, quick, checkpoint_stride):
    """Analyse SOURCE: a sweep directory, or an (m, N, C) .npy/zarr stack of probabilities or
    log-probabilities of m models on N samples with C classes (with --labels and --meta)."""
    from hyperribbon.theory import InvalidArgument
    try:
        results, report = analyze(source, analyses=analyses, out=out, meta=meta, labels=labels,
                                  test=test, labels_test=labels_test, colour_by=colour_by,
                                  seed=seed, figures=not no_figures, quick=quick,
                                  checkpoint_stride=checkpoint_stride,
                                  log=lambda s: click.echo(s, err=True))
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    for r in results:
        state = f"skipped: {r.skipped}" if r.skipped else f"{len(r.files)} files"
        click.echo(f"{r.number:>2} {r.key}: {state}")
    click.echo(f"report: {report}")
