r"""Reproductions of the thesis's Chapter 4 figures (Figs 4.1, 4.2, 4.3, 4.11), one call each.

``hyperribbon reproduce fig4.1 [--quick]`` is dispatched to :func:`reproduce`. Each figure has
the parameters its caption (or §4.7.1) pins — source ``caption`` — and the ones chosen here —
source ``choice`` (the thesis trains on MNIST/CIFAR-10 for hours on GPUs; these runs use the
bundled 8×8 digits and synthetic Gaussian inputs on a CPU); every parameter can be overridden
(source ``flag``). Each run writes into ``out`` the figure (PNG and PDF), its numbers (CSV, JSON)
and ``report.md``: the parameter table, what was measured (every sentence computed from the
numbers), checks, versions and run time. Trained networks are cached (see
:mod:`~hyperribbon.experiments.curvature.models`), so a second run only recomputes spectra.

=========  ==========================================================================
fig4.1     spectra of inputs, activations, activation gradients, logit Jacobians, FIM
           and Hessian (wide ResNet and fully connected net on digits); synthetic
           sloppy vs non-sloppy inputs; student error vs sloppiness
fig4.2     KFAC spectrum of a two-layer network with p(n,ε) at the elbow
fig4.3     FIM vs Hessian vs KFAC eigenvalues and eigenvector overlaps
fig4.11    empirical FIM spectra vs the fraction of random labels
=========  ==========================================================================

Examples
--------
>>> sorted(FIGURES)
['fig4.1', 'fig4.11', 'fig4.2', 'fig4.3']
>>> figure_parameters("fig4.2", quick=True)["width"]["source"]
'quick'
"""
from __future__ import annotations

import time
from pathlib import Path

from hyperribbon.experiments._figures import no_overrides_for_all
from hyperribbon.theory import InvalidArgument

from ._repro import P, Reproduction, resolve_parameters, write_meta, write_report
from ._runtime import torch_threads

__all__ = ["FIGURES", "reproduce", "figure_parameters"]

_DIGITS = "scikit-learn's 8×8 digits (1347 train / 450 test) instead of MNIST / CIFAR-10"
_ADAM = "§4.7.1: Adam with a cosine schedule from 1e-3"

FIGURES: dict = {
    "fig4.1": dict(
        title="Fig 4.1: sloppy spectra of inputs, activations, gradients, Jacobians, FIM and "
              "Hessian; synthetic sloppy inputs; student error vs sloppiness",
        caption="Top: eigenspectra of the correlations of the inputs, activations, activation "
                "gradients, logit Jacobians, FIM and Hessian at the end of training (FIM also at "
                "initialisation and the middle of training), scaled by the largest input "
                "eigenvalue, for WRN-10-8 on CIFAR-10. Bottom left: input, FIM and Hessian "
                "spectra at the beginning and end of training for c = 1e-3 and c = 0.1. Bottom "
                "right: validation error of students S(k) on data labelled by teachers T(k) vs "
                "the sloppiness c; all students interpolate.",
        params=dict(
            wrn_width=P(2, "choice", "a small wide ResNet (wrn family, base width 2: channels "
                        "8/16/32, p = 19402) instead of WRN-10-8"),
            fc_width=P(64, "choice", "fully connected family fc (hidden 64/32/16/8, batch norm)"
                       ", as Fig 4.4's FC on MNIST"),
            epochs=P(20, "choice", f"on {_DIGITS}; {_ADAM}"),
            top_samples=P(128, "choice", "training samples for activation gradients, logit "
                          "Jacobians, FIM and Hessian (inputs and activations use all)"),
            hessian_k=P(20, "choice", "the thesis also computes only the top eigenvalues of "
                        "large Hessians (§4.5); Lanczos, largest magnitude"),
            d=P(200, "caption", "§4.7.1: x ∈ R^200"),
            c_values=P((0.1, 1e-3), "caption", "bottom left: c = 0.1 (green), 1e-3 (orange)"),
            classes=P(10, "caption", "§4.7.1: teacher with ten output classes"),
            teacher_width=P(20, "choice", "bottom left: not stated (bottom right uses 20)"),
            n_train=P(2000, "choice", "thesis 50 000 samples"),
            n_test=P(1000, "choice", "thesis 10 000 validation samples"),
            student_width=P(32, "choice", "not stated for the bottom left panel"),
            syn_epochs=P(50, "caption", "§4.7.1: 50 epochs"),
            syn_samples=P(256, "choice", "samples for the FIM and Hessian of the students"),
            c_grid=P((1e-3, 0.01, 0.1, 0.5), "choice", "x-axis of the bottom right panel; the "
                     "caption mentions c = 0.1 and 0.5"),
            pairs=P(((10, 20), (500, 20), (100, 100)), "choice",
                    "caption mentions S(10)/T(20) and S(500)/T(20)"),
            br_n_train=P(1000, "choice", "students must interpolate on CPU time"),
            br_epochs=P(100, "choice", "until interpolation (train error 0) where possible"),
            seed=P(0, "choice", "initialisations, batches, synthetic data")),
        quick=dict(wrn_width=1, fc_width=16, epochs=2, top_samples=24, hessian_k=4, d=30,
                   n_train=200, n_test=100, student_width=8, syn_epochs=3, syn_samples=24,
                   c_grid=(1e-3, 0.5), pairs=((8, 8),), br_n_train=200, br_epochs=3)),
    "fig4.2": dict(
        title="Fig 4.2: KFAC spectrum of a two-layer network with the effective dimensionality "
              "p(n,ε)",
        caption="FC-600-2: eigenspectrum of the KFAC approximation of the Hessian at the mean of "
                "the posterior Q; p(n,ε) with ε from the same procedure (green); linear decay of "
                "the sloppy eigenvalues (red, slope 0.0004); the green line is close to the "
                "elbow.",
        params=dict(
            width=P(32, "choice", "FC-600-2 → mlp2 (two hidden ReLU layers, no batch norm) of "
                    "width 32 on 64 inputs"),
            data=P("digits-binary", "choice", "the PAC-Bayes task of §4.7.1 (binary MNIST) on "
                   "the digits"),
            epochs=P(60, "choice", "as hyperribbon pac-bayes"),
            mc_samples=P(1000, "choice", "Monte-Carlo draws for the choice of ε"),
            seed=P(0, "choice", "initialisation and batches")),
        quick=dict(width=8, epochs=3, mc_samples=60)),
    "fig4.3": dict(
        title="Fig 4.3: FIM, Hessian and KFAC eigenvalues and eigenvector overlaps",
        caption="Eigenspectra of FIM, Hessian and a KFAC approximation of the Gauss-Newton "
                "matrix for a two-layer fully connected network on MNIST; FIM eigenvectors "
                "overlap strongly with the Hessian's (far more than random), KFAC's do not.",
        params=dict(
            width=P(24, "choice", "two hidden ReLU layers (mlp2) of width 24: dense matrices "
                    "of p = 2410"),
            data=P("digits", "choice", f"{_DIGITS}, 10 classes as MNIST"),
            epochs=P(20, "choice", _ADAM),
            samples=P(512, "choice", "training samples averaged in the matrices"),
            k=P(20, "choice", "leading eigenvectors compared"),
            seed=P(0, "choice", "initialisation and batches")),
        quick=dict(width=6, epochs=2, samples=64, k=6)),
    "fig4.11": dict(
        title="Fig 4.11: empirical FIM spectra at the end of training vs the fraction of random "
              "labels",
        caption="Eigenspectra of the empirical FIM at the end of training, FC-600-2 on MNIST, "
                "'Fraction=a' of random labels; inset: top 15 eigenvalues; less sloppy and "
                "larger top eigenvalues with more random labels.",
        params=dict(
            fractions=P((0.0, 0.25, 0.5, 0.75, 1.0), "choice", "the fractions are not stated"),
            width=P(32, "choice", "FC-600-2 → mlp2 width 32"),
            data=P("digits", "choice", _DIGITS),
            epochs=P(60, "choice", "long enough to fit most random labels"),
            samples=P(None, "choice", "all training samples"),
            fit_last=P(100, "choice", "decay rate fitted over the first 100 indices"),
            seed=P(0, "choice", "initialisation, batches and the random labels")),
        quick=dict(fractions=(0.0, 1.0), width=8, epochs=2, samples=64, fit_last=20)),
}


def figure_parameters(figure: str, *, quick: bool = False, **overrides) -> dict:
    """The parameter table of ``figure`` after ``quick`` sizes and ``overrides``."""
    if figure not in FIGURES:
        raise InvalidArgument("figure", "figure_parameters", f"be one of {tuple(FIGURES)}",
                              figure)
    return resolve_parameters(figure, FIGURES[figure], quick, overrides)


def _runner(figure):
    if figure == "fig4.1":
        from ._fig41 import run_fig41
        return run_fig41
    if figure == "fig4.2":
        from ._fig42_43 import run_fig42
        return run_fig42
    if figure == "fig4.3":
        from ._fig42_43 import run_fig43
        return run_fig43
    from ._fig411 import run_fig411
    return run_fig411


def reproduce(figure: str, out=None, quick: bool = False, seed: int | None = None, *,
              progress: bool = True, cache=None, **overrides):
    """Reproduce ``figure`` ("fig4.1", "fig4.2", "fig4.3", "fig4.11" or "all") into ``out``
    (default ``out/<figure>``; for "all" one sub-folder per figure).

    Parameters
    ----------
    figure : str
    out : path, optional
    quick : bool
        Test sizes (each figure < 30 s on an idle 2-core machine).
    seed : int, optional
        Overrides the figure's seed.
    progress : bool
        Progress bars while training.
    cache : path, False or None
        Cache of trained networks (None: ``~/.cache/hyperribbon/curvature``).
    overrides
        Any parameter of the figure's table.

    Returns
    -------
    Reproduction, or a list of them for "all".
    """
    if figure == "all":
        no_overrides_for_all(overrides)
        root = Path(out or "out")
        return [reproduce(f, root / f.replace(".", "_"), quick, seed, progress=progress,
                          cache=cache) for f in FIGURES]
    if seed is not None:
        overrides = {**overrides, "seed": seed}
    prm = figure_parameters(figure, quick=quick, **overrides)
    out = Path(out or Path("out") / figure.replace(".", "_"))
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    values = {k: v["value"] for k, v in prm.items()}
    with torch_threads(1):
        files, numbers, checks, lines = _runner(figure)(out, values, quick, progress, cache)
    seconds = time.time() - t0
    files.append(write_meta(out, figure, prm, checks, seconds))
    report = write_report(out, figure, FIGURES[figure], prm, lines, checks, files, seconds)
    files.append(report)
    return Reproduction(figure=figure, out=out, report=report, files=files, parameters=prm,
                        numbers=numbers, checks=checks, seconds=seconds)
