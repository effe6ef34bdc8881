"""The ``hyperribbon`` command line: a thin shell over functions callable from Python.

``hyperribbon lemmas``          the registry (ids, thesis numbers, provenance, symbolic status)
``hyperribbon verify KEY ...``  verdict table(s) for a lemma on a sloppy problem (``all`` checks all)
``hyperribbon errata``          the regenerated errata table
``hyperribbon falsify``         property-based counterexample search
``hyperribbon demo --out DIR``  the main demonstration (report + figures)
``hyperribbon reproduce FIG``   thesis figures (Chapter 5; Chapter 4 when installed)

Importing this module imports only :mod:`click` and the standard library (numpy, scipy, sympy,
torch and matplotlib are imported inside the commands), so ``hyperribbon --help`` is fast.
Errors about a value name the command-line flag (:func:`usage_error`); the exit status is
documented in :data:`EXIT_STATUS` (and in ``hyperribbon --help``).
"""
from __future__ import annotations

import importlib.util
import inspect
import math
import re
import sys
import traceback

import click

from . import verify as _verify

DEF = _verify.DEFAULTS
LIM = _verify.LIMITS

#: The exit status of every command (also printed by ``hyperribbon --help``).
EXIT_STATUS = {
    0: "success: every checked statement holds, is undecided or not applicable (verify), no "
       "counterexample was found (falsify), outputs written",
    1: "a checked statement fails (verify; `verify all` includes the as-written statements "
       "listed by `hyperribbon errata`, which fail by design) or falsify found a counterexample",
    2: "usage error: an invalid or infeasible option value (named), an unknown lemma or figure, "
       "or a flag the chosen lemma does not use; nothing is computed or written",
    3: "internal error (a bug; the traceback is printed)",
    130: "interrupted (Ctrl-C); phase diagrams resume from their checkpoint",
}


def _epilog() -> str:
    import textwrap
    lines = ["\b", "Exit status:"]
    for k, v in EXIT_STATUS.items():
        lines += textwrap.wrap(v, width=78, initial_indent=f"  {k:>3}  ",
                               subsequent_indent=" " * 7)
    return "\n".join(lines)


_EPILOG = _epilog()

#: Chapter 4 figures, dispatched to hyperribbon.experiments.curvature.reproduce when installed.
CH4_FIGURES = ("fig4.1", "fig4.2", "fig4.3", "fig4.11")
CH5_FIGURES = ("fig5.1", "fig5.2", "fig5.3", "fig5.4", "fig5.5")


def echo_json(obj) -> None:
    """Print ``obj`` as JSON: numbers stay numbers, non-finite floats become null."""
    from ._output import json_dumps
    click.echo(json_dumps(obj, indent=2))


def _subject_module(subject: str, name: str) -> str | None:
    """``hyperribbon.experiments.<subject>.<name>`` if that file exists, found without
    importing the subject package (whose ``__init__`` may import heavy modules)."""
    import os
    spec = importlib.util.find_spec(f"hyperribbon.experiments.{subject}")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if os.path.exists(os.path.join(folder, f"{name}.py")):
            return f"hyperribbon.experiments.{subject}.{name}"
    return None


# --------------------------------------------------------------------------- error → flag
def _summary(value) -> str:
    from hyperribbon.theory.errors import _summary as s
    return s(value)


def usage_error(exc, ctx: click.Context | None = None, table: dict | None = None):
    """A :class:`click.UsageError` for an error raised by the Python layer, naming the flag.

    ``InvalidArgument.argument`` (possibly several comma-separated names) is mapped through
    ``table`` (default :data:`hyperribbon.experiments.verify.FLAGS`), else to ``--name-with-
    dashes`` when the command has that option. An argument with no flag keeps its message.
    """
    from hyperribbon.theory.errors import InvalidArgument
    ctx = ctx or click.get_current_context(silent=True)
    if not isinstance(exc, InvalidArgument):
        return click.UsageError(str(exc), ctx)
    table = {**_verify.FLAGS, **(table or {})}
    opts = {o for p in (ctx.command.params if ctx else []) for o in getattr(p, "opts", [])}

    def flag(name):
        f = table.get(name)
        if f is None and opts:
            cand = "--" + str(name).replace("_", "-")
            f = cand if cand in opts else None
        return f if (f is not None and (not opts or f in opts)) else None

    names = [a.strip() for a in str(exc.argument).split(",")]
    flags = [flag(a) for a in names]
    if not names or not all(flags):
        return click.UsageError(str(exc), ctx)
    value = exc.value
    if isinstance(value, dict):
        got = ", ".join(f"{flag(k) or k} {_plain(v)}" for k, v in value.items())
    else:
        got = _plain(value) if isinstance(value, (list, tuple)) else _summary(value)
    rule = re.sub(r"(?<!Argument )`([A-Za-z_][A-Za-z0-9_]*)`", lambda m: flag(m.group(1)) or m.group(0),
                  exc.rule)
    return click.BadParameter(f"must {rule}, got {got}.", ctx=ctx, param_hint=flags)


def _plain(v) -> str:
    """A value as the user typed it: numpy scalars as plain numbers, sequences comma-separated."""
    if isinstance(v, (list, tuple)):
        return ",".join(_plain(x) for x in v)
    if hasattr(v, "item") and getattr(v, "shape", None) == ():
        v = v.item()
    return f"{v:g}" if isinstance(v, float) else str(v)


def _run(fn, *args, **kw):
    """Call the Python layer; its HyperribbonErrors become usage errors naming the flag."""
    from hyperribbon.theory.errors import HyperribbonError
    try:
        return fn(*args, **kw)
    except HyperribbonError as exc:
        raise usage_error(exc) from None


class _Main(click.Group):
    """The top group: maps an unexpected exception to exit status 3 (with its traceback) and
    Ctrl-C to 130, so that 1 only ever means "a statement fails / a counterexample"."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            raise                           # click's main handles a closed pipe (| head)
        except Exception as exc:  # noqa: BLE001 - reported as an internal error
            from hyperribbon.theory.errors import HyperribbonError
            if isinstance(exc, HyperribbonError):
                raise usage_error(exc, ctx) from None
            traceback.print_exc()
            click.echo("hyperribbon: internal error (exit status 3) — please report it with "
                       "the traceback above.", err=True)
            ctx.exit(3)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=_EPILOG)
@click.version_option(package_name="hyperribbon", prog_name="hyperribbon",
                      version=None, message="%(prog)s %(version)s")
def main():
    """hyperribbon: executable theory of the geometry of training trajectories.

    Every size option has an upper limit (shown in its --help) checked before anything is
    allocated; checks estimated to need more memory than is available, or more than a day,
    are refused with the size they would need.
    """


class FiniteFloat(click.ParamType):
    """A finite real number (``nan`` and ``inf`` are rejected, naming the flag)."""

    name = "FLOAT"

    def convert(self, value, param, ctx):
        if isinstance(value, float) and math.isfinite(value):
            return value
        try:
            x = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(x):
            self.fail(f"{value!r} is not finite", param, ctx)
        return x


FLOAT = FiniteFloat()


class FloatList(click.ParamType):
    """Comma-separated finite numbers."""

    name = "LIST"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        parts = [p.strip() for p in str(value).split(",")]
        if not any(parts):
            self.fail(f"{value!r} holds no number", param, ctx)
        if not all(parts):           # '0.2,,0.5' is a typo, not two slopes
            self.fail(f"{value!r} has an empty item (numbers separated by single commas)",
                      param, ctx)
        return tuple(FLOAT.convert(p, param, ctx) for p in parts)


# --------------------------------------------------------------------------- lemmas
@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def lemmas(as_json):
    """List the registered lemmas."""
    rows = _verify.lemma_table()
    if as_json:
        echo_json(rows)
        return
    cols = ("number", "variant", "id")
    w = {c: max([len(c)] + [len(str(r[c])) for r in rows]) for c in cols}
    pad = " " * (sum(w.values()) + 2 * len(cols))
    click.echo("  ".join(f"{c:<{w[c]}}" for c in cols) + "  title")
    for r in rows:
        click.echo("  ".join(f"{str(r[c]):<{w[c]}}" for c in cols) + "  " + r["title"])
        click.echo(f"{pad}{r['provenance']}; {r['symbolic']}")


# --------------------------------------------------------------------------- verify
_FAMILY_HELP = ("Lemma families and the flags they take: Chapter 5 (5.2.x, (5.2.x)): --n --c "
                "--alpha --T --sigma-w2 --sigma-star2 --lambda1 --seed; SGD (5.3-sgd-*): also "
                "--batch-size; weight decay (5.3-wd-*): also --weight-decay; M kernels "
                "(5.3-kernel-pmt, 5.3.2): --n --slopes --alpha --T --sigma-w2 --sigma-star2 "
                "--seed; deep linear (5.3-dln-*, 5.3.3): --n --T --width --seed; Chapters 2–3 "
                "(2.x): --n --seed; Chapter 4 (4.x): --arch --width --data --epochs --seed. "
                "A flag no addressed lemma uses is an error.")


@main.command(epilog=_EPILOG)
@click.argument("key", default="all")
@click.option("--n", type=click.IntRange(1, LIM["n"]), default=DEF["n"], show_default=True,
              help=f"Size n ≤ {LIM['n']}: samples (K is n×n; Chapter 5), samples of the "
                   "ensemble (Remark 2.2.1), number of models (eq. 2.2.9, Thm 2.5.1).")
@click.option("--c", type=FLOAT, default=DEF["c"], show_default=True,
              help="Slope of the sloppy spectrum λ_i = λ1·e^{-c(i-1)}.")
@click.option("--alpha", type=FLOAT, default=DEF["alpha"], show_default=True,
              help="Step size α.")
@click.option("--T", "T", type=click.IntRange(1, LIM["T"]), default=DEF["T"],
              show_default=True,
              help="Training iterations (trajectory length), ≤ 2^53; checks that iterate over "
                   "t < T are estimated first and refused if they would not fit.")
@click.option("--sigma-w2", type=FLOAT, default=DEF["sigma_w2"], show_default=True,
              help="Initialisation variance σw² (prediction space: Cov(r0) = σw²K + yyᵀ).")
@click.option("--sigma-star2", type=FLOAT, default=DEF["sigma_star2"], show_default=True,
              help="Target variance σ*² (E‖y‖² = σ*² tr K).")
@click.option("--lambda1", type=FLOAT, default=DEF["lambda1"], show_default=True,
              help="Largest eigenvalue of K.")
@click.option("--seed", type=click.IntRange(0, LIM["seed"]), default=DEF["seed"],
              show_default=True, help="Seed of the random targets / data.")
@click.option("--batch-size", type=click.IntRange(1, LIM["batch_size"]), default=None,
              help=f"SGD lemmas: batch size b ≤ n [{_verify.VARIANT_DEFAULTS['batch_size']}].")
@click.option("--weight-decay", type=FLOAT, default=None,
              help=f"Weight-decay lemmas: λ ≥ 0 [{_verify.VARIANT_DEFAULTS['weight_decay']}].")
@click.option("--slopes", type=FloatList(), default=None,
              help="Kernel lemmas: comma-separated slopes c^(m) > 0, at most "
                   f"{LIM['slopes']} [0.2,0.3,0.5].")
@click.option("--width", type=click.IntRange(1, LIM["width"]), default=None,
              help=f"Deep-linear lemmas: hidden width p [{_verify.VARIANT_DEFAULTS['width']}]; "
                   "Chapter 4: network width [the curvature experiments' default].")
@click.option("--arch", type=str, default=None, help="Chapter 4: network architecture.")
@click.option("--data", type=str, default=None, help="Chapter 4: data set.")
@click.option("--epochs", type=click.IntRange(1, LIM["epochs"]), default=None,
              help="Chapter 4: training epochs.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def verify(ctx, key, as_json, **params):
    """Check lemma KEY (id, number such as 5.2.3, equation such as 5.2.10, 'ch5' for every
    lemma of a chapter, or 'all'; without KEY: all, which takes minutes because the Chapter 4
    lemmas train networks).

    Prints every parameter each problem was built with. With 'all', a lemma whose problem
    cannot be built (or checked within the memory and a day) for these parameters is reported
    not_applicable with the reason; the others still run.
    """
    from click.core import ParameterSource
    given = {k: v for k, v in params.items()
             if ctx.get_parameter_source(k) is not ParameterSource.DEFAULT and v is not None}
    verdicts = _run(_verify.verify, key, progress=None, **given)
    if as_json:
        echo_json([verdict_record(v) for v in verdicts])
    else:
        shown = None
        for v in verdicts:
            prm = " ".join(f"{k}={_fmt_param(x)}" for k, x in v.problem.items())
            if prm != shown:
                click.echo(f"problem: {prm}")
                shown = prm
            click.echo(v.table())
            click.echo("")
        counts = {}
        for v in verdicts:
            counts[v.status.value] = counts.get(v.status.value, 0) + 1
        if len(verdicts) > 1:
            click.echo("summary: " + ", ".join(f"{counts[s]} {s}" for s in
                                                ("holds", "fails", "undecided", "not_applicable")
                                                if s in counts))
    if any(v.status.value == "fails" for v in verdicts):
        ctx.exit(1)


verify.help = inspect.cleandoc(verify.help or "") + "\n\n" + _FAMILY_HELP


def _fmt_param(x) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, (list, tuple)):
        return ",".join(_fmt_param(v) for v in x)
    return str(x)


def verdict_record(v) -> dict:
    """A verdict as JSON-ready data: numbers are numbers (non-finite → null), the margin is a
    float or null, every comparison with its entries."""
    from ._output import index_list, json_safe
    out = {"lemma": v.lemma_id, "status": v.status.value, "margin": json_safe(v.margin),
           "precision": v.precision, "failed_assumptions": list(v.failed_assumptions),
           "notes": list(v.notes), "problem": json_safe(v.problem), "comparisons": []}
    for c in v.comparisons:
        out["comparisons"].append(json_safe({
            "name": c.name, "relation": c.relation, "index": index_list(c.index), "lhs": c.lhs,
            "rhs": c.rhs,
            "lhs_err": c.lhs_err, "rhs_err": c.rhs_err, "margin": c.margins,
            "status": list(c.statuses)}))
    return out


# --------------------------------------------------------------------------- errata
@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def errata(as_json):
    """Regenerate the errata table (statements that fail as written)."""
    rows = _verify.errata_rows()
    if as_json:
        echo_json(rows)
    else:
        from hyperribbon.theory.errata import to_markdown
        click.echo(to_markdown(rows))


# --------------------------------------------------------------------------- falsify
@main.command(epilog=_EPILOG)
@click.argument("keys", nargs=-1)
@click.option("--examples", type=click.IntRange(1, 10**6), default=200, show_default=True,
              help="Examples per lemma (≤ 10^6).")
@click.option("--seed", type=click.IntRange(0, LIM["seed"]), default=0, show_default=True)
@click.option("--database", type=click.Path(file_okay=False), default=None,
              help="Hypothesis example database kept between runs ('' for none) "
                   "[the user cache: $XDG_CACHE_HOME/hyperribbon/falsify-db].")
@click.option("--out", type=click.Path(file_okay=False), default="out/falsify",
              show_default=True, help="Where falsify.json and falsify.md go.")
@click.option("--small", is_flag=True, help="Smaller problems (quick runs).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def falsify(keys, examples, seed, database, out, small, as_json):
    """Search for counterexamples to every lemma (or to KEYS), shrinking what it finds.

    Exit status 1 if a counterexample was found (by default the search covers the as-written
    statements of the errata, which have counterexamples by design).
    """
    from . import falsify as _f
    db = _f.default_database() if database is None else (database or None)
    rows = _run(_f.falsify, list(keys) or None, examples=examples, seed=seed, database=db,
                small=small, progress=True)
    _f.write_outputs(rows, out, seed=seed, database=db, examples=examples, small=small)
    if as_json:
        echo_json(rows)
    else:
        click.echo(_f.to_markdown(rows))
    if any(r["status"] == "counterexample" for r in rows):
        sys.exit(1)


# --------------------------------------------------------------------------- sgd-compare
@main.command("sgd-compare")
@click.option("--n", type=click.IntRange(1, 500), default=8, show_default=True,
              help="Samples n ≤ 500.")
@click.option("--d", type=click.IntRange(1, 2000), default=16, show_default=True,
              help="Data dimension d ≤ 2000.")
@click.option("--c", type=FLOAT, default=0.3, show_default=True, help="Slope c.")
@click.option("--alpha", type=FLOAT, default=0.2, show_default=True, help="Step size α.")
@click.option("--T", "T", type=click.IntRange(1, 100_000), default=200, show_default=True,
              help="SGD steps T ≤ 10^5.")
@click.option("--batch-size", type=click.IntRange(1, 500), default=2, show_default=True,
              help="Batch size b ≤ n.")
@click.option("--sigma-w2", type=FLOAT, default=0.1, show_default=True, help="σw².")
@click.option("--sigma-star2", type=FLOAT, default=2.0, show_default=True, help="σ*².")
@click.option("--without-replacement", is_flag=True, help="Sample batches without replacement.")
@click.option("--N", "N", type=click.IntRange(2, 10**6), default=2000, show_default=True,
              help="Monte-Carlo SGD runs, 2 ≤ N ≤ 10^6.")
@click.option("--seed", type=click.IntRange(0, LIM["seed"]), default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default="out/sgd-compare",
              show_default=True)
def sgd_compare(n, d, c, alpha, T, batch_size, sigma_w2, sigma_star2, without_replacement, N,
                seed, out):
    """Real minibatch SGD vs the Langevin model, per index of the PCA spectrum."""
    from .linear_models.sgd_compare import compare_sgd_models, write_sgd_comparison
    res = _run(compare_sgd_models, n=n, d=d, c=c, alpha=alpha, T=T, batch_size=batch_size,
               sigma_w2=sigma_w2, sigma_star2=sigma_star2, replacement=not without_replacement,
               N=N, seed=seed, progress=True)
    click.echo(f"wrote {write_sgd_comparison(res, out)}")


# --------------------------------------------------------------------------- demo
@main.command()
@click.option("--out", type=click.Path(file_okay=False), default="out/demo", show_default=True)
@click.option("--quick", is_flag=True, help="Smaller Monte-Carlo ensemble (for tests).")
@click.option("--seed", type=click.IntRange(0, LIM["seed"]), default=0, show_default=True)
def demo(out, quick, seed):
    """Verify every Chapter 5 lemma on the Fig 5.2 setting; write report.md and figures."""
    from .linear_models.demo import run_demo
    report = _run(run_demo, out, quick=quick, seed=seed)
    click.echo(f"wrote {report}")


# --------------------------------------------------------------------------- figures
def _register() -> None:
    from .linear_models.cli_figures import phase_diagram, reproduce
    main.add_command(phase_diagram)
    main.add_command(reproduce)
    for subject in ("curvature", "manifold"):
        mod = _subject_module(subject, "cli")
        if mod is not None:
            importlib.import_module(mod).register(main)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
