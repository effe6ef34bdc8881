"""Click commands ``hyperribbon phase-diagram`` and ``hyperribbon reproduce`` (thin shells over
:func:`hyperribbon.experiments.linear_models.phase_diagram.run_phase_diagram` and
:func:`hyperribbon.experiments.linear_models.reproduce.reproduce`).

They are standalone :class:`click.Command` objects; ``hyperribbon.experiments.cli`` registers
them with ``main.add_command``. Lists are comma-separated (``--T 1,10,100``, ``--batch 8,inf``).

Examples
--------
>>> from click.testing import CliRunner
>>> res = CliRunner().invoke(reproduce, ["fig5.9"])
>>> res.exit_code, "fig5.1" in res.output
(2, True)
"""
from __future__ import annotations

import json

import click
import numpy as np

from hyperribbon.theory.errors import HyperribbonError

__all__ = ["phase_diagram", "reproduce", "NumberList"]


class NumberList(click.ParamType):
    """A comma-separated list of numbers (``inf`` allowed when ``allow_inf``)."""

    name = "LIST"

    def __init__(self, kind=float, allow_inf=False):
        self.kind, self.allow_inf = kind, allow_inf

    def convert(self, value, param, ctx):
        if isinstance(value, (list, tuple)):
            return tuple(value)
        out = []
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                x = float(part)
            except ValueError:
                self.fail(f"{part!r} is not a number (in {value!r})", param, ctx)
            if np.isinf(x) and not self.allow_inf:
                self.fail(f"{part!r}: inf is not allowed here", param, ctx)
            if self.kind is int and not np.isinf(x):
                if x != round(x):
                    self.fail(f"{part!r} is not an integer", param, ctx)
                x = int(round(x))
            out.append(x)
        if not out:
            self.fail(f"{value!r} holds no number", param, ctx)
        return tuple(out)


INTS, FLOATS = NumberList(int), NumberList(float)
BATCHES = NumberList(int, allow_inf=True)


def _one_or_many(values):
    if values is None:
        return None
    return values[0] if len(values) == 1 else list(values)


def _load_spectrum(path):
    if path is None:
        return None
    if str(path).endswith(".npy"):
        return np.load(path)
    return np.loadtxt(path, delimiter="," if str(path).endswith(".csv") else None).ravel()


@click.command("phase-diagram", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--out", type=click.Path(file_okay=False), default="out/phase_diagram",
              show_default=True, help="Output folder.")
@click.option("--quick", is_flag=True, help="Small grid (what the tests run).")
@click.option("--T", "T", type=INTS, help="Training times (overrides --T-min/--T-max/--T-num).")
@click.option("--T-min", "T_min", type=int, help="Smallest T [1].")
@click.option("--T-max", "T_max", type=int, help="Largest T [10000].")
@click.option("--T-num", "T_num", type=int, help="Number of log-spaced integer T [64].")
@click.option("--c", "c", type=FLOATS, help="Slopes c (overrides --c-min/--c-max/--c-num).")
@click.option("--c-min", type=float, help="Smallest slope [0.02].")
@click.option("--c-max", type=float, help="Largest slope [1.0].")
@click.option("--c-num", type=int, help="Number of slopes, linearly spaced [64].")
@click.option("--ratios", type=FLOATS, help="σ*/σw values [1.2,2.4,...,12].")
@click.option("--heatmap-ratios", type=FLOATS, help="σ*/σw of the heat maps [4.8,2.4,1.2].")
@click.option("--alpha", type=FLOATS, help="Step size(s) α [0.9].")
@click.option("--n", "n", type=INTS, help="Sample size(s) n [50].")
@click.option("--d", "d", type=INTS, help="Data dimension(s) d [100]; only min(n, d) matters.")
@click.option("--batch", type=BATCHES, help="SGD batch size(s) (thesis eq. 5.3.1), inf = GD.")
@click.option("--thresholds", type=INTS, help="Phase thresholds (dimensions) [3,10,30].")
@click.option("--fraction", type=float, help="Variance fraction f [0.95].")
@click.option("--expectation", type=click.Choice(["draws", "matrix", "pooled"]),
              help="Expectation over the targets [draws].")
@click.option("--draws", type=int, help="Target draws averaged (expectation=draws) [8].")
@click.option("--seed", type=int, help="Seed of target draw 0 [0].")
@click.option("--sigma-w2", type=float, help="σw² (matters only with SGD noise) [1].")
@click.option("--weight-decay", type=float, help="Weight decay λ ≥ 0 [0].")
@click.option("--lambda1", type=float, help="Largest eigenvalue of K [1].")
@click.option("--spectrum", type=click.Path(exists=True, dir_okay=False),
              help="A user spectrum of K (.npy, .csv or whitespace text); replaces the c axis.")
@click.option("--quantities", type=click.STRING, default="P,P1,bound", show_default=True,
              help="Comma-separated subset of P,P1,bound,bound_profile.")
@click.option("--prefix", default="phase", show_default=True, help="Output file prefix.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--no-resume", is_flag=True, help="Do not checkpoint/resume long grids.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def phase_diagram(out, quick, T, T_min, T_max, T_num, c, c_min, c_max, c_num, ratios,
                  heatmap_ratios, alpha, n, d, batch, thresholds, fraction, expectation, draws,
                  seed, sigma_w2, weight_decay, lambda1, spectrum, quantities, prefix,
                  no_progress, no_resume, as_json):
    """Phase diagram of hyper-ribbon dimensionality over (T, c, σ*/σw) (thesis Fig 5.3):
    heat maps, 3D boundaries, contour slices (PNG+PDF), the grid (NPZ+CSV) and report.md."""
    from .phase_diagram import run_phase_diagram
    try:
        run = run_phase_diagram(
            out, T=T, T_min=T_min, T_max=T_max, T_num=T_num, c=c, c_min=c_min, c_max=c_max,
            c_num=c_num, ratios=ratios, heatmap_ratios=heatmap_ratios, alpha=_one_or_many(alpha),
            n=_one_or_many(n), d=_one_or_many(d),
            batch=None if batch is None else _one_or_many(batch), thresholds=thresholds,
            fraction=fraction, expectation=expectation, draws=draws, seed=seed,
            sigma_w2=sigma_w2, weight_decay=weight_decay, lambda1=lambda1,
            spectrum=_load_spectrum(spectrum),
            quantities=tuple(q.strip() for q in quantities.split(",") if q.strip()),
            quick=quick, progress=not no_progress, prefix=prefix, resume=not no_resume)
    except HyperribbonError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"report": str(run.report), "stats": run.diagram.stats,
                               "summary": run.summary}, indent=1, default=str))
    else:
        st = run.diagram.stats
        click.echo(f"grid {run.diagram.shape} ({st['eigensolves']} eigenvalue problems, "
                   f"{st['seconds']:.2f} s)")
        click.echo(f"wrote {run.report}")


@click.command("reproduce", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("figure", type=click.Choice(["fig5.1", "fig5.2", "fig5.3", "fig5.4", "fig5.5",
                                             "all"]))
@click.option("--out", type=click.Path(file_okay=False),
              help="Output folder [out/<figure>; for 'all' the parent folder, default out].")
@click.option("--quick", is_flag=True, help="Reduced sizes (what the tests run).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--n", "n", type=INTS, help="Sample size n.")
@click.option("--d", "d", type=INTS, help="Data dimension d.")
@click.option("--c", "c", type=FLOATS, help="Slope(s) c.")
@click.option("--T", "T", type=INTS, help="Training time(s) T.")
@click.option("--alpha", type=FLOATS, help="Step size α.")
@click.option("--sigma-w2", type=FLOATS, help="Initialisation variance σw².")
@click.option("--sigma-star2", type=FLOATS, help="Target variance σ*².")
@click.option("--N", "N", type=INTS, help="Number of simulated GD runs (fig5.5).")
@click.option("--draws", type=INTS, help="Target draws (fig5.3).")
@click.option("--seed", type=INTS, help="Seed.")
@click.option("--ratios", type=FLOATS, help="σ*/σw grid (fig5.3).")
@click.option("--heatmap-ratios", type=FLOATS, help="σ*/σw of the heat maps (fig5.3).")
@click.option("--thresholds", type=INTS, help="Phase thresholds (fig5.3).")
@click.option("--fraction", type=FLOATS, help="Variance fraction (fig5.3).")
@click.option("--lambda1", type=FLOATS, help="Largest eigenvalue of K.")
@click.option("--normalization", type=click.Choice(["sum", "mean"]),
              help="Normalisation drawn in fig5.5.")
@click.option("--expectation", type=click.Choice(["draws", "matrix", "pooled"]),
              help="Expectation over targets (fig5.3).")
@click.option("--T-max", "T_max", type=INTS, help="Largest T (fig5.3).")
@click.option("--T-num", "T_num", type=INTS, help="Number of T (fig5.3).")
@click.option("--c-min", type=FLOATS, help="Smallest c (fig5.3).")
@click.option("--c-max", type=FLOATS, help="Largest c (fig5.3).")
@click.option("--c-num", type=INTS, help="Number of c (fig5.3).")
def reproduce(figure, out, quick, no_progress, **params):
    """Reproduce thesis figure FIGURE (fig5.1 ... fig5.5, or all) with the caption's
    parameters; unstated parameters are chosen, listed in report.md, and set by these flags."""
    from .reproduce import FIGURES
    from .reproduce import reproduce as run
    overrides = {}
    for name, value in params.items():
        if value is None:
            continue
        if figure == "all":
            raise click.UsageError(f"--{name.replace('_', '-')} cannot be combined with 'all' "
                                   "(the parameters differ per figure)")
        spec = FIGURES[figure]["params"].get(name)
        if spec is None:
            raise click.UsageError(f"{figure} has no parameter `{name}`; its parameters: "
                                   f"{', '.join(sorted(FIGURES[figure]['params']))}")
        default = spec["value"]
        if isinstance(value, tuple) and not isinstance(default, tuple):
            if len(value) != 1:
                raise click.UsageError(f"--{name.replace('_', '-')} takes one value for {figure}")
            value = value[0]
        overrides[name] = value
    try:
        results = run(figure, out, quick=quick, progress=not no_progress, **overrides)
    except HyperribbonError as exc:
        raise click.UsageError(str(exc)) from None
    for rep in results if isinstance(results, list) else [results]:
        click.echo(f"{rep.figure}: wrote {rep.report} ({len(rep.files)} files)")
