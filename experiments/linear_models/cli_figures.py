"""Click commands ``hyperribbon phase-diagram`` and ``hyperribbon reproduce`` (thin shells over
:func:`hyperribbon.experiments.linear_models.phase_diagram.run_phase_diagram` and
:func:`hyperribbon.experiments.linear_models.reproduce.reproduce`).

They are standalone :class:`click.Command` objects; ``hyperribbon.experiments.cli`` registers
them with ``main.add_command``. Lists are comma-separated (``--T 1,10,100``, ``--batch 8,inf``).
Importing this module imports only click (numpy, matplotlib and the engines load inside the
commands). Errors of the Python layer name the flag (``--T-max``, not ``T_max``).

Examples
--------
>>> from click.testing import CliRunner
>>> res = CliRunner().invoke(reproduce, ["fig5.9"])
>>> res.exit_code, "fig5.1" in res.output
(2, True)
"""
from __future__ import annotations

import math

import click

__all__ = ["phase_diagram", "reproduce", "NumberList", "CH4_FIGURES", "CH5_FIGURES"]

CH5_FIGURES = ("fig5.1", "fig5.2", "fig5.3", "fig5.4", "fig5.5")
#: Chapter 4 figures (``hyperribbon.experiments.curvature.reproduce``, when installed).
CH4_FIGURES = ("fig4.1", "fig4.2", "fig4.3", "fig4.11")


class NumberList(click.ParamType):
    """A comma-separated list of finite numbers (``inf`` allowed when ``allow_inf``)."""

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
            if math.isnan(x):
                self.fail(f"{part!r}: nan is not a number here", param, ctx)
            if math.isinf(x) and not (self.allow_inf and x > 0):
                self.fail(f"{part!r}: inf is not allowed here", param, ctx)
            if self.kind is int and not math.isinf(x):
                if x != round(x):
                    self.fail(f"{part!r} is not an integer", param, ctx)
                x = int(part) if part.lstrip("+-").isdigit() else int(round(x))
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
    import numpy as np
    if path is None:
        return None
    if str(path).endswith(".npy"):
        return np.load(path)
    return np.loadtxt(path, delimiter="," if str(path).endswith(".csv") else None).ravel()


def _usage(exc, ctx):
    from hyperribbon.experiments.cli import usage_error
    return usage_error(exc, ctx, table={"ratio": "--ratios", "spectrum": "--spectrum",
                                        "quantities": "--quantities", "batch": "--batch"})


@click.command("phase-diagram", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--out", type=click.Path(file_okay=False), default="out/phase_diagram",
              show_default=True, help="Output folder.")
@click.option("--quick", is_flag=True, help="Small grid (what the tests run).")
@click.option("--T", "T", type=INTS,
              help="Training times, 1 ≤ T ≤ 2^53 (instead of --T-min/--T-max/--T-num).")
@click.option("--T-min", "T_min", type=click.IntRange(1, 2**53), help="Smallest T [1].")
@click.option("--T-max", "T_max", type=click.IntRange(1, 2**53), help="Largest T [10000].")
@click.option("--T-num", "T_num", type=click.IntRange(1, 4096),
              help="Number of log-spaced integer T, ≤ 4096 [64].")
@click.option("--c", "c", type=FLOATS, help="Slopes c (instead of --c-min/--c-max/--c-num).")
@click.option("--c-min", type=float, help="Smallest slope [0.02].")
@click.option("--c-max", type=float, help="Largest slope [1.0].")
@click.option("--c-num", type=click.IntRange(1, 4096), help="Number of slopes, ≤ 4096 [64].")
@click.option("--ratios", type=FLOATS, help="σ*/σw values [1.2,2.4,...,12].")
@click.option("--heatmap-ratios", type=FLOATS,
              help="σ*/σw of the heat maps, each one of --ratios [4.8,2.4,1.2].")
@click.option("--alpha", type=FLOATS, help="Step size(s) α [0.9].")
@click.option("--n", "n", type=INTS, help="Sample size(s) n ≤ 2000 [50].")
@click.option("--d", "d", type=INTS, help="Data dimension(s) d [100]; only min(n, d) matters.")
@click.option("--batch", type=BATCHES, help="SGD batch size(s) (thesis eq. 5.3.1), inf = GD.")
@click.option("--thresholds", type=INTS, help="Phase thresholds (dimensions) [3,10,30].")
@click.option("--fraction", type=float, help="Variance fraction f in (0, 1) [0.95].")
@click.option("--expectation", type=click.Choice(["draws", "matrix", "pooled"]),
              help="Expectation over the targets [draws].")
@click.option("--draws", type=click.IntRange(1, 1000), help="Target draws averaged "
              "(expectation=draws), ≤ 1000 [8].")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), help="Seed of target draw 0 [0].")
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
@click.pass_context
def phase_diagram(ctx, out, quick, T, T_min, T_max, T_num, c, c_min, c_max, c_num, ratios,
                  heatmap_ratios, alpha, n, d, batch, thresholds, fraction, expectation, draws,
                  seed, sigma_w2, weight_decay, lambda1, spectrum, quantities, prefix,
                  no_progress, no_resume, as_json):
    """Phase diagram of hyper-ribbon dimensionality over (T, c, σ*/σw) (thesis Fig 5.3):
    heat maps, 3D boundary surfaces, contour slices (PNG+PDF), the grid (NPZ+CSV) and
    report.md. A value that cannot be honoured (a heat-map ratio off the --ratios grid, --T
    together with --T-min, ...) is an error; report.md and the summary record what was used."""
    from hyperribbon.theory.errors import HyperribbonError

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
        raise _usage(exc, ctx) from None
    if as_json:
        from .._output import json_dumps
        click.echo(json_dumps({"report": str(run.report), "stats": run.diagram.stats,
                               "summary": run.summary, "notes": run.notes}, indent=1))
    else:
        st = run.diagram.stats
        for note in run.notes:
            click.echo(f"note: {note}", err=True)
        click.echo(f"grid {run.diagram.shape} ({st['eigensolves']} eigenvalue problems, "
                   f"{st['seconds']:.2f} s)")
        click.echo(f"wrote {run.report}")


def _ch4_available() -> bool:
    from hyperribbon.experiments.cli import _subject_module
    return _subject_module("curvature", "reproduce") is not None


@click.command("reproduce", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("figure", type=click.Choice(list(CH5_FIGURES) + list(CH4_FIGURES) + ["all"]))
@click.option("--out", type=click.Path(file_okay=False),
              help="Output folder [out/<figure>; for 'all' the parent folder, default out].")
@click.option("--quick", is_flag=True, help="Reduced sizes (what the tests run).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--n", "n", type=INTS, help="Sample size n ≤ 2000.")
@click.option("--d", "d", type=INTS, help="Data dimension d ≤ 10000 (fig5.5: d ≥ n).")
@click.option("--c", "c", type=FLOATS, help="Slope(s) c > 0.")
@click.option("--T", "T", type=INTS, help="Training time(s) 1 ≤ T ≤ 2^53 (fig5.5: ≤ 10^5).")
@click.option("--alpha", type=FLOATS, help="Step size α in (0, 2/λ1).")
@click.option("--sigma-w2", type=FLOATS, help="Initialisation variance σw² ≥ 0.")
@click.option("--sigma-star2", type=FLOATS, help="Target variance σ*² ≥ 0.")
@click.option("--N", "N", type=INTS, help="Number of simulated GD runs, 1 ≤ N ≤ 10^6 (fig5.5).")
@click.option("--draws", type=INTS, help="Target draws ≤ 1000 (fig5.3).")
@click.option("--seed", type=INTS, help="Seed ≥ 0.")
@click.option("--ratios", type=FLOATS, help="σ*/σw grid (fig5.3).")
@click.option("--heatmap-ratios", type=FLOATS, help="σ*/σw of the heat maps, on the --ratios "
              "grid (fig5.3).")
@click.option("--thresholds", type=INTS, help="Phase thresholds 1 ≤ k < n (fig5.3).")
@click.option("--fraction", type=FLOATS, help="Variance fraction in (0, 1) (fig5.3).")
@click.option("--lambda1", type=FLOATS, help="Largest eigenvalue of K.")
@click.option("--normalization", type=click.Choice(["sum", "mean"]),
              help="Normalisation drawn in fig5.5.")
@click.option("--expectation", type=click.Choice(["draws", "matrix", "pooled"]),
              help="Expectation over targets (fig5.3).")
@click.option("--T-max", "T_max", type=INTS, help="Largest T (fig5.3).")
@click.option("--T-num", "T_num", type=INTS, help="Number of T ≤ 4096 (fig5.3).")
@click.option("--c-min", type=FLOATS, help="Smallest c (fig5.3).")
@click.option("--c-max", type=FLOATS, help="Largest c (fig5.3).")
@click.option("--c-num", type=INTS, help="Number of c ≤ 4096 (fig5.3).")
@click.pass_context
def reproduce(ctx, figure, out, quick, no_progress, **params):
    """Reproduce thesis figure FIGURE with the caption's parameters; unstated parameters are
    chosen, listed in report.md, and set by these flags.

    Chapter 5: fig5.1 … fig5.5 ('all' runs these five). Chapter 4: fig4.1, fig4.2, fig4.3,
    fig4.11 (by hyperribbon.experiments.curvature; they take --out, --quick and --seed)."""
    from hyperribbon.theory.errors import HyperribbonError
    given = {k: v for k, v in params.items() if v is not None}
    if figure in CH4_FIGURES:
        _reproduce_ch4(ctx, figure, out, quick, given)
        return
    from .reproduce import FIGURES
    from .reproduce import reproduce as run
    overrides = {}
    for name, value in given.items():
        flag = "--" + name.replace("_", "-")
        if figure == "all":
            raise click.UsageError(f"{flag} cannot be combined with 'all' "
                                   "(the parameters differ per figure)", ctx)
        spec = FIGURES[figure]["params"].get(name)
        if spec is None:
            takes = ", ".join("--" + k.replace("_", "-") for k in sorted(FIGURES[figure]["params"]))
            raise click.UsageError(f"{flag} is not a parameter of {figure}; it takes: {takes}",
                                   ctx)
        default = spec["value"]
        if isinstance(value, tuple) and not isinstance(default, tuple):
            if len(value) != 1:
                raise click.BadParameter(f"takes one value for {figure}, got {len(value)}: "
                                         + ",".join(map(str, value)), ctx=ctx,
                                         param_hint=[flag])
            value = value[0]
        overrides[name] = value
    try:
        results = run(figure, out, quick=quick, progress=not no_progress, **overrides)
    except HyperribbonError as exc:
        raise _usage(exc, ctx) from None
    for rep in results if isinstance(results, list) else [results]:
        for note in getattr(rep, "notes", []):
            click.echo(f"note: {note}", err=True)
        click.echo(f"{rep.figure}: wrote {rep.report} ({len(rep.files)} files)")


def _reproduce_ch4(ctx, figure, out, quick, given):
    if not _ch4_available():
        raise click.UsageError(f"{figure} is reproduced by hyperribbon.experiments.curvature, "
                               "which is not installed here", ctx)
    extra = sorted(set(given) - {"seed"})
    if extra:
        raise click.UsageError(f"{figure} takes --out, --quick and --seed; not "
                               + ", ".join("--" + k.replace("_", "-") for k in extra), ctx)
    seed = given.get("seed", (0,))
    if len(seed) != 1:
        raise click.BadParameter("takes one value", ctx=ctx, param_hint=["--seed"])
    if seed[0] < 0:
        raise click.BadParameter(f"must be ≥ 0, got {seed[0]}", ctx=ctx, param_hint=["--seed"])
    from hyperribbon.theory.errors import HyperribbonError
    from hyperribbon.experiments.curvature.reproduce import reproduce as run4
    try:
        res = run4(figure, out=out, quick=quick, seed=int(seed[0]))
    except HyperribbonError as exc:
        raise _usage(exc, ctx) from None
    report = getattr(res, "report", res)
    click.echo(f"{figure}: wrote {report}")
