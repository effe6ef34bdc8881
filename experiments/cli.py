"""The ``hyperribbon`` command line: a thin shell over functions callable from Python.

``hyperribbon lemmas``          the registry (ids, thesis numbers, provenance, symbolic status)
``hyperribbon verify KEY ...``  verdict table(s) for a lemma on a sloppy problem (``all`` checks all)
``hyperribbon errata``          the regenerated errata table
``hyperribbon demo --out DIR``  the main demonstration (report + figures)
"""
from __future__ import annotations

import json
import sys

import click

from hyperribbon.theory.errors import HyperribbonError

from . import verify as _verify

DEF = _verify.DEFAULTS

json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def echo_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """hyperribbon: executable theory of the geometry of training trajectories."""


@main.command()
@json_option
def lemmas(as_json):
    """List the registered lemmas."""
    rows = _verify.lemma_table()
    if as_json:
        echo_json(rows)
        return
    click.echo(f"{'number':<10} {'variant':<20} {'id':<30} title")
    for r in rows:
        click.echo(f"{r['number']:<10} {r['variant']:<20} {r['id']:<30} {r['title']}")
        click.echo(f"{'':<10} {'':<20} {'':<30} {r['provenance']}; {r['symbolic']}")


@main.command()
@click.argument("key", default="all")
@click.option("--n", type=int, default=DEF["n"], show_default=True, help="Number of samples.")
@click.option("--c", type=float, default=DEF["c"], show_default=True,
              help="Slope of the sloppy spectrum λ_i = λ1·e^{-c(i-1)}.")
@click.option("--alpha", type=float, default=DEF["alpha"], show_default=True, help="Step size α.")
@click.option("--T", "T", type=int, default=DEF["T"], show_default=True,
              help="Training iterations (trajectory length).")
@click.option("--sigma-w2", type=float, default=DEF["sigma_w2"], show_default=True,
              help="Initialisation variance σw² (prediction space: Cov(r0) = σw²K + yyᵀ).")
@click.option("--sigma-star2", type=float, default=DEF["sigma_star2"], show_default=True,
              help="Target variance σ*² (E‖y‖² = σ*² tr K).")
@click.option("--lambda1", type=float, default=DEF["lambda1"], show_default=True,
              help="Largest eigenvalue of K.")
@click.option("--seed", type=int, default=DEF["seed"], show_default=True,
              help="Seed of the random targets.")
@click.option("--batch-size", type=int, default=None,
              help="SGD lemmas: batch size b (default 1).")
@click.option("--weight-decay", type=float, default=None,
              help="Weight-decay lemmas: λ (default 0.1).")
@click.option("--slopes", type=str, default=None,
              help="Kernel lemmas: comma-separated slopes c^(m) (default 0.2,0.3,0.5).")
@click.option("--width", type=int, default=None, help="Deep-linear lemmas: width p (default 4).")
@json_option
def verify(key, n, c, alpha, T, sigma_w2, sigma_star2, lambda1, seed, batch_size, weight_decay,
           slopes, width, as_json):
    """Check lemma KEY (id, number such as 5.2.3, equation such as 5.2.10, or 'all')."""
    try:
        slopes_t = None if slopes is None else tuple(float(x) for x in slopes.split(","))
        verdicts = _verify.verify(key, n=n, c=c, alpha=alpha, T=T, sigma_w2=sigma_w2,
                                  sigma_star2=sigma_star2, lambda1=lambda1, seed=seed,
                                  batch_size=batch_size, weight_decay=weight_decay,
                                  slopes=slopes_t, width=width)
    except ValueError as exc:
        if not isinstance(exc, HyperribbonError):
            raise click.UsageError(f"Option --slopes must be comma-separated numbers: {exc}") \
                from None
        raise click.UsageError(str(exc)) from None
    except HyperribbonError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        echo_json([v.to_dict() for v in verdicts])
    else:
        click.echo(f"problem: n={n} c={c} alpha={alpha} T={T} sigma_w2={sigma_w2} "
                   f"sigma_star2={sigma_star2} lambda1={lambda1} seed={seed}")
        for v in verdicts:
            click.echo(v.table())
            click.echo("")
    if any(v.status.value == "fails" for v in verdicts) and key != "all":
        sys.exit(1)


@main.command()
@json_option
def errata(as_json):
    """Regenerate the errata table (statements that fail as written)."""
    rows = _verify.errata_rows()
    if as_json:
        echo_json(rows)
    else:
        from hyperribbon.theory.errata import to_markdown
        click.echo(to_markdown(rows))


@main.command()
@click.argument("keys", nargs=-1)
@click.option("--examples", type=click.IntRange(min=1), default=200, show_default=True,
              help="Examples per lemma.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--database", type=click.Path(file_okay=False),
              default=".hyperribbon/falsify-db", show_default=True,
              help="Hypothesis example database kept between runs ('' for none).")
@click.option("--out", type=click.Path(file_okay=False), default="out/falsify",
              show_default=True, help="Where falsify.json and falsify.md go.")
@click.option("--small", is_flag=True, help="Smaller problems (quick runs).")
@json_option
def falsify(keys, examples, seed, database, out, small, as_json):
    """Search for counterexamples to every lemma (or to KEYS), shrinking what it finds."""
    from .falsify import falsify as run, to_markdown, write_outputs
    try:
        rows = run(list(keys) or None, examples=examples, seed=seed, database=database or None,
                   small=small, progress=True)
    except HyperribbonError as exc:
        raise click.UsageError(str(exc)) from None
    write_outputs(rows, out)
    if as_json:
        echo_json(rows)
    else:
        click.echo(to_markdown(rows))


@main.command("sgd-compare")
@click.option("--n", type=int, default=8, show_default=True)
@click.option("--d", type=int, default=16, show_default=True)
@click.option("--c", type=float, default=0.3, show_default=True)
@click.option("--alpha", type=float, default=0.2, show_default=True)
@click.option("--T", "T", type=int, default=200, show_default=True)
@click.option("--batch-size", type=int, default=2, show_default=True)
@click.option("--sigma-w2", type=float, default=0.1, show_default=True)
@click.option("--sigma-star2", type=float, default=2.0, show_default=True)
@click.option("--without-replacement", is_flag=True)
@click.option("--N", "N", type=int, default=2000, show_default=True,
              help="Monte-Carlo SGD runs.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default="out/sgd-compare",
              show_default=True)
def sgd_compare(n, d, c, alpha, T, batch_size, sigma_w2, sigma_star2, without_replacement, N,
                seed, out):
    """Real minibatch SGD vs the Langevin model, per index of the PCA spectrum."""
    from .linear_models.sgd_compare import compare_sgd_models, write_sgd_comparison
    try:
        res = compare_sgd_models(n=n, d=d, c=c, alpha=alpha, T=T, batch_size=batch_size,
                                 sigma_w2=sigma_w2, sigma_star2=sigma_star2,
                                 replacement=not without_replacement, N=N, seed=seed)
    except HyperribbonError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"wrote {write_sgd_comparison(res, out)}")


@main.command()
@click.option("--out", type=click.Path(file_okay=False), default="out/demo", show_default=True)
@click.option("--quick", is_flag=True, help="Smaller Monte-Carlo ensemble (for tests).")
@click.option("--seed", type=int, default=0, show_default=True)
def demo(out, quick, seed):
    """Verify every Chapter 5 lemma on the Fig 5.2 setting; write report.md and figures."""
    from .linear_models.demo import run_demo
    report = run_demo(out, quick=quick, seed=seed)
    click.echo(f"wrote {report}")


def _register_figure_commands() -> None:
    from .linear_models.cli_figures import phase_diagram, reproduce
    main.add_command(phase_diagram)
    main.add_command(reproduce)


_register_figure_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
