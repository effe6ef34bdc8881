"""``hyperribbon manifold``: run and inspect sweeps of networks (thesis Ch. 2 §2.5.2).

``hyperribbon manifold run CONFIG.toml [--out SWEEP] [--scheduler ADDR|sync]``
    create (or resume) the sweep store and train every run; rerun the same command after a
    crash or kill to finish it.
``hyperribbon manifold status SWEEP``
    runs by status, checkpoints written, completeness.
``hyperribbon manifold --quick [--out DIR]``
    the quick end-to-end demonstration (sweep + analyses), provided by
    :func:`hyperribbon.experiments.manifold.quick.run_quick`.

Commands added by the analysis side (``analyze``) come from
``hyperribbon.experiments.manifold.analysis_cli.register_analysis(group)`` when that module
exists. Only click is imported at module level.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import click

__all__ = ["register", "manifold_group"]


def _usage(exc):
    return click.UsageError(str(exc))


def _call(fn, *args, **kwargs):
    from hyperribbon.theory.errors import HyperribbonError
    try:
        return fn(*args, **kwargs)
    except HyperribbonError as exc:
        raise _usage(exc) from None


def manifold_group() -> click.Group:
    """Build the ``manifold`` click group (a fresh object per call)."""

    @click.group("manifold", invoke_without_command=True)
    @click.option("--quick", is_flag=True,
                  help="Run the quick demonstration (a small digits sweep and its analyses).")
    @click.option("--out", type=click.Path(file_okay=False), default=None,
                  help="Output directory for --quick (default out/manifold-quick).")
    @click.option("--scheduler", default=None,
                  help="For --quick: a Dask scheduler address, or 'sync' (default: a local "
                       "cluster, one single-threaded worker per core).")
    @click.pass_context
    def manifold(ctx, quick, out, scheduler):
        """Sweeps of networks and the geometry of their training manifold (Ch. 2)."""
        if quick:
            if ctx.invoked_subcommand is not None:
                raise click.UsageError("--quick takes no subcommand")
            if importlib.util.find_spec("hyperribbon.experiments.manifold.quick") is None:
                raise click.UsageError("--quick needs hyperribbon.experiments.manifold.quick "
                                       "(not installed in this version)")
            from hyperribbon.experiments.manifold.quick import run_quick
            kwargs = {} if scheduler is None else {"scheduler": scheduler}
            _call(run_quick, out or os.path.join("out", "manifold-quick"), **kwargs)
        elif ctx.invoked_subcommand is None:
            click.echo(ctx.get_help())

    @manifold.command("run")
    @click.argument("config")
    @click.option("--out", type=click.Path(file_okay=False), default=None,
                  help="Sweep store directory (default out/manifold/<config name>); an "
                       "existing store of the same configuration is resumed.")
    @click.option("--scheduler", default=None,
                  help="Dask scheduler address (tcp://host:port) of your cluster, or 'sync' "
                       "to run in this process; default: a local cluster with one "
                       "single-threaded worker per core.")
    @click.option("--workers", type=click.IntRange(1, 4096), default=None,
                  help="Worker processes of the local cluster (default: one per core).")
    @click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
    def run(config, out, scheduler, workers, no_progress):
        """Train every run of CONFIG (a TOML file, or 'quick' / 'digits-full') into a sweep
        store; resumable."""
        from hyperribbon.experiments.manifold.config import load_config
        from hyperribbon.experiments.manifold.sweep import run_sweep
        cfg = _call(load_config, config)
        out = out or os.path.join("out", "manifold", cfg.name)
        sw = _call(run_sweep, cfg, out, scheduler=scheduler, workers=workers,
                   progress=not no_progress)
        click.echo(sw.summary())

    @manifold.command("status")
    @click.argument("sweep", type=click.Path(exists=True, file_okay=False))
    def status(sweep):
        """Runs by status, checkpoints written and completeness of the SWEEP store."""
        from hyperribbon.experiments.manifold.store import open_sweep
        sw = _call(open_sweep, sweep)
        click.echo(sw.summary())
        t = sw.runs
        table = t.groupby(["arch", "status"]).size().unstack(fill_value=0)
        click.echo(table.to_string())
        sec = t["seconds"].dropna() if "seconds" in t else []
        if len(sec):
            click.echo(f"measured time per run: median {sec.median():.2f} s over {len(sec)} "
                       f"finished runs")

    if importlib.util.find_spec("hyperribbon.experiments.manifold.analysis_cli") is not None:
        from hyperribbon.experiments.manifold.analysis_cli import register_analysis
        register_analysis(manifold)
    return manifold


def register(main: click.Group) -> None:
    """Add the ``manifold`` group to the top-level CLI."""
    main.add_command(manifold_group())


if __name__ == "__main__":                 # python -m hyperribbon.experiments.manifold.cli ...
    sys.exit(manifold_group()(standalone_mode=True))
