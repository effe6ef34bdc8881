"""Click commands of the Chapter 4 experiments: ``hyperribbon spectrum`` and
``hyperribbon pac-bayes`` (thin shells over :func:`.spectrum_report.run_spectrum` and
:func:`.pac_bayes.pac_bayes`).

:func:`register` adds them to the top-level group; torch and matplotlib are imported only inside
the command bodies, so ``hyperribbon --help`` stays fast.

Examples
--------
>>> import click
>>> from click.testing import CliRunner
>>> g = click.Group()
>>> register(g)
>>> sorted(g.commands)
['pac-bayes', 'spectrum']
>>> res = CliRunner().invoke(g, ["spectrum", "hessian", "--arch", "resnet-9000"])
>>> res.exit_code, "--arch" in res.output
(2, True)
"""
from __future__ import annotations

import json

import click

__all__ = ["register", "spectrum_command", "pac_bayes_command"]

_QUANTITIES = ("hessian", "ggn", "fisher", "empirical-fisher", "kfac", "inputs", "activations",
               "activation-gradients", "logit-jacobians", "all")


def _usage(exc) -> click.UsageError:
    """A UsageError whose message names the flag (``--arch`` for argument ``arch``)."""
    from hyperribbon.theory.errors import InvalidArgument
    if isinstance(exc, InvalidArgument):
        arg = exc.argument
        flag = arg if arg.startswith("-") or arg.isupper() else "--" + arg.replace("_", "-")
        msg = str(exc)
        if flag not in msg:
            msg = f"Option {flag}: {msg}"
        return click.UsageError(msg)
    return click.UsageError(str(exc))


@click.command("spectrum", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("quantities", nargs=-1, required=True, metavar="QUANTITY...")
@click.option("--arch", default="fc", show_default=True,
              help="Architecture (fc, fc1, fc2, allcnn, wrn, wrn-small, wrn-large, convmixer, "
                   "vit, or the plain batch-norm-free mlp, mlp1, mlp2).")
@click.option("--width", type=int, default=None,
              help="Width parameter of the family (default: the family's own, e.g. 128 for fc, "
                   "64 for mlp*, 8 for wrn).")
@click.option("--data", default="digits", show_default=True,
              help="digits, digits-binary, sloppy (λ_i = 50c·e^(−ci), c = 0.1) or isotropic.")
@click.option("--epochs", type=float, default=20, show_default=True,
              help="Training epochs of the built-in network (Adam, cosine, lr 1e-3).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--state-dict", "state_dict", type=click.Path(dir_okay=False), default=None,
              help="Your own weights: torch.save(model.state_dict()) of --arch/--width on --data "
                   "(loaded with torch.load(weights_only=True)); --epochs is then ignored.")
@click.option("--init-state-dict", "init_state_dict", type=click.Path(dir_okay=False),
              default=None, help="The initialisation of --state-dict (for ‖w − w0‖ and ε).")
@click.option("--samples", type=int, default=None,
              help="Use the first N training samples (default all).")
@click.option("--top", type=int, default=None,
              help="Lanczos top-k for curvature quantities (default: dense when p ≤ 5000).")
@click.option("--epsilon", type=float, default=None,
              help="Prior precision ε for p(n,ε), s(n,ε), c(n,ε) (default: §4.3.3 optimum).")
@click.option("--show", type=click.IntRange(min=1), default=10, show_default=True,
              help="Eigenvalues printed per spectrum.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Write CSV/JSON/PNG/PDF and report.md here.")
@click.option("--cache", type=click.Path(file_okay=False), default=None,
              help="Cache folder of trained networks (default ~/.cache/hyperribbon).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summaries.")
def spectrum_command(quantities, arch, width, data, epochs, seed, state_dict, init_state_dict,
                     samples, top, epsilon, show, out, cache, no_cache, as_json):
    """Eigenvalues of QUANTITY... (hessian, ggn, fisher, empirical-fisher, kfac, inputs,
    activations, activation-gradients, logit-jacobians, or all) for one network: the top
    eigenvalues with resolved/unresolved flags, the decay rate, p(n,ε), s(n,ε), 1/c(n,ε)."""
    from hyperribbon.theory.errors import HyperribbonError

    from .spectrum_report import format_report, run_spectrum
    for q in quantities:
        if q not in _QUANTITIES:
            raise click.BadParameter(f"{q!r} is not one of {', '.join(_QUANTITIES)}",
                                     param_hint="QUANTITY")
    try:
        rep = run_spectrum(quantities, arch, width, data, epochs, seed, state_dict=state_dict,
                           init_state_dict=init_state_dict, samples=samples, top=top,
                           epsilon=epsilon, show=show, out=out,
                           cache=False if no_cache else cache)
    except HyperribbonError as exc:
        raise _usage(exc) from None
    if as_json:
        click.echo(json.dumps({"network": rep.network, "summaries": rep.summaries},
                              indent=1, default=str))
    else:
        click.echo(format_report(rep))
    if rep.files:
        click.echo(f"wrote {len(rep.files)} files to {out}")


@click.command("pac-bayes", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--arch", default=None, help="mlp1 (default) or mlp2, mlp: plain ReLU networks.")
@click.option("--width", type=int, default=None, help="Hidden width (default 100).")
@click.option("--data", default=None, help="digits-binary (default: 0–4 vs 5–9) or digits.")
@click.option("--epochs", type=float, default=None, help="Training epochs (default 60).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--curvature", type=click.Choice(["ggn", "hessian"]), default=None,
              help="Curvature of the closed-form posterior (default ggn).")
@click.option("--delta", type=float, default=None, help="Confidence δ (default 0.025).")
@click.option("--delta-prime", "delta_prime", type=float, default=None,
              help="Monte-Carlo confidence δ' (default 0.01).")
@click.option("--prior-b", "b", type=float, default=None,
              help="Prior grid λ = c·e^(−j/b): b (default 100).")
@click.option("--prior-c", "c", type=float, default=None, help="Prior grid: c (default 0.1).")
@click.option("--mc-samples", "mc_samples", type=int, default=None,
              help="Weight draws for the Monte-Carlo error (default 4000).")
@click.option("--dr-iterations", "dr_iterations", type=int, default=None,
              help="Optimisation steps of the Dziugaite–Roy bound (default 8000).")
@click.option("--dr-lr", "dr_lr", type=float, default=None,
              help="RMSprop learning rate of the optimisation (default 3e-3).")
@click.option("--no-optimise", is_flag=True, help="Skip the Dziugaite–Roy optimisation.")
@click.option("--quick", is_flag=True, help="Small sizes (tests).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Write pac_bayes.json, eigenvalues.csv, figure and report.md here.")
@click.option("--cache", type=click.Path(file_okay=False), default=None)
@click.option("--no-cache", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
def pac_bayes_command(arch, width, data, epochs, seed, curvature, delta, delta_prime, b, c,
                      mc_samples, dr_iterations, dr_lr, no_optimise, quick, out, cache,
                      no_cache, as_json):
    """Analytic PAC-Bayes bound (thesis §4.3.3 closed form) of a fully connected network on the
    binary digits, beside its test error and a bound optimised as by Dziugaite & Roy (2017)."""
    from hyperribbon.theory.errors import HyperribbonError

    from .pac_bayes import pac_bayes, write_pac_bayes
    opts = {k: v for k, v in dict(curvature=curvature, delta=delta, delta_prime=delta_prime,
                                  b=b, c=c, mc_samples=mc_samples, dr_iterations=dr_iterations,
                                  dr_lr=dr_lr).items() if v is not None}
    try:
        res = pac_bayes(arch, width, data, epochs, seed, quick=quick, optimise=not no_optimise,
                        cache=False if no_cache else cache, **opts)
    except HyperribbonError as exc:
        raise _usage(_rename(exc)) from None
    if as_json:
        click.echo(json.dumps(res.to_dict(), indent=1, default=str))
    else:
        click.echo(res.table())
    if out is not None:
        files = write_pac_bayes(res, out)
        click.echo(f"wrote {len(files)} files to {out}")


def _rename(exc):
    """Map option names of :func:`pac_bayes` to the CLI's flags (b → --prior-b, c → --prior-c)."""
    from hyperribbon.theory.errors import InvalidArgument
    if isinstance(exc, InvalidArgument) and exc.argument in ("b", "c"):
        return InvalidArgument(f"--prior-{exc.argument}", exc.owner, exc.rule, exc.value)
    return exc


def register(main: click.Group) -> None:
    """Add ``spectrum`` and ``pac-bayes`` to the ``hyperribbon`` group ``main``."""
    main.add_command(spectrum_command)
    main.add_command(pac_bayes_command)
