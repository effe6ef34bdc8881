r"""``hyperribbon spectrum``: spectra of Chapter 4 quantities of one network, as a Python function.

:func:`run_spectrum` builds the network — a built-in architecture trained on a bundled data set
(cached), or a user's ``state_dict`` loaded with ``torch.load(path, weights_only=True)`` into
the named architecture — computes the requested quantities
(:data:`~hyperribbon.experiments.curvature.spectra.QUANTITIES`), and summarises each spectrum:
leading eigenvalues with their error bounds and resolved flags, the fitted exponential decay rate,
and p(n,ε), s(n,ε), 1/c(n,ε) of §4.4.

The prior precision ε: ``epsilon`` if given; otherwise, for the curvature quantities when
‖w − w0‖ is known (a built-in network, or ``init_state_dict``), the ε on the grid
:math:`\epsilon_j = e^{j/b}/c` (b = 100, c = 0.1) minimising the thesis's closed-form objective
at the optimal posterior, :math:`\min_\epsilon [\sum_i\log(1 + 2(n-1)\lambda_i/\epsilon) +
\epsilon\|w-w_0\|^2]/(4(n-1))` (§4.3.3, "the ε obtained by the same procedure" of Fig 4.2) —
computed on the eigenvalues listed (|λ| for an indefinite Hessian); otherwise the measures are
not computed. n is the number of samples the matrices average over.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hyperribbon.theory import InvalidArgument

from ._io import atomic_write_text, fmt, versions, write_csv, write_json
from ._runtime import torch_threads
from .models import (DATA_NAMES, architecture_names, build_network, load_data,
                     load_state_dict_file, trained_network)
from .spectra import CURVATURE_QUANTITIES, QUANTITIES, quantity_spectra, summarise

__all__ = ["SpectrumReport", "run_spectrum", "loose_epsilon", "format_report",
           "write_spectrum_outputs"]


def loose_epsilon(lam, n: int, dist2: float, b: float = 100.0, c: float = 0.1,
                  j_max: int = 2000) -> float:
    r"""The grid value ε_j = e^{j/b}/c minimising Σ log(1 + 2(n−1)λ_i/ε) + ε‖w − w0‖².

    Examples
    --------
    >>> import numpy as np
    >>> from hyperribbon.theory.networks.pac_bayes import loose_optimum
    >>> lam = np.exp(-0.1 * np.arange(200))
    >>> e = loose_epsilon(lam, 1000, 2.0)
    >>> js = np.arange(1, 2001); grid = np.exp(js / 100) / 0.1
    >>> vals = [loose_optimum(lam, 1000, g, 2.0) for g in grid[::50]]
    >>> bool(loose_optimum(lam, 1000, e, 2.0) <= min(vals) + 1e-15)
    True
    """
    lam = np.abs(np.asarray(lam, dtype=np.float64))
    js = np.arange(1, int(j_max) + 1)
    eps = np.exp(js / b) / c
    obj = np.log1p(2 * (n - 1) * lam[None, :] / eps[:, None]).sum(axis=1) + eps * dist2
    return float(eps[int(np.argmin(obj))])


@dataclass
class SpectrumReport:
    """Spectra and their summaries for one network."""

    network: dict
    n: int
    spectra: dict                      # key -> Spectrum
    summaries: dict                    # key -> dict (see spectra.summarise)
    epsilon: dict = field(default_factory=dict)   # key -> (eps, source)
    files: list = field(default_factory=list)


def _network(arch, width, data, epochs, seed, state_dict, init_state_dict, cache, progress):
    owner = "run_spectrum"
    if arch not in architecture_names():
        raise InvalidArgument("--arch", owner, f"be one of {architecture_names()}", arch)
    if data not in DATA_NAMES:
        raise InvalidArgument("--data", owner, f"be one of {DATA_NAMES}", data)
    if state_dict is None:
        net = trained_network(arch, width, data, epochs, seed, cache=cache, progress=progress)
        init = net.model_at(net.init_state)
        info = {"source": "built-in", "arch": arch, "width": width, "data": data,
                "epochs": epochs, "seed": seed, **net.metrics, "from_cache": net.from_cache}
        return net.model, init, net.data, info
    ds = load_data(data, seed=0)
    model = load_state_dict_file(build_network(arch, ds.in_shape, ds.classes, width, 0),
                                 state_dict, "--state-dict")
    init = None
    if init_state_dict is not None:
        init = load_state_dict_file(build_network(arch, ds.in_shape, ds.classes, width, 0),
                                    init_state_dict, "--init-state-dict")
    info = {"source": f"state_dict {state_dict}", "arch": arch, "width": width, "data": data,
            "init_state_dict": None if init_state_dict is None else str(init_state_dict)}
    return model, init, ds, info


def run_spectrum(quantities=("hessian",), arch: str = "fc", width: int | None = None,
                 data: str = "digits", epochs: float = 20, seed: int = 0, *,
                 state_dict=None, init_state_dict=None, samples: int | None = None,
                 top: int | None = None, epsilon: float | None = None, show: int = 10,
                 out=None, cache=None, progress: bool = False) -> SpectrumReport:
    """Spectra of ``quantities`` for one network (see the module docstring).

    Parameters
    ----------
    quantities : sequence of str
        Names from :data:`~hyperribbon.experiments.curvature.spectra.QUANTITIES` or ``"all"``.
    arch, width, data, epochs, seed
        The built-in network (``width=None``: the family's default; ``epochs`` and ``seed`` are
        ignored with ``state_dict``).
    state_dict : path, optional
        A user's ``torch.save(model.state_dict())`` for ``arch``/``width`` on ``data``.
    init_state_dict : path, optional
        Its initialisation (for ‖w − w0‖ and the default ε).
    samples : int, optional
        Use the first ``samples`` training samples (default all).
    top : int, optional
        Lanczos top-k for the curvature quantities (default dense when p ≤ 5000, else 200).
    epsilon : float, optional
        Prior precision for p, s, c (default: see module docstring).
    show : int
        Eigenvalues listed per spectrum.
    out : path, optional
        Write CSV, JSON, PNG/PDF and report.md there.

    Raises
    ------
    InvalidArgument
        Naming the CLI flag (``--arch``, ``--data``, ``--state-dict``, ...).
    """
    owner = "run_spectrum"
    qs = list(quantities)
    if qs == ["all"]:
        qs = list(QUANTITIES)
    bad = [q for q in qs if q not in QUANTITIES]
    if bad or not qs:
        raise InvalidArgument("QUANTITY", owner, f"be among {QUANTITIES} or 'all'",
                              bad[0] if bad else qs)
    if samples is not None and (not isinstance(samples, (int, np.integer)) or samples < 2):
        raise InvalidArgument("--samples", owner, "be an integer ≥ 2", samples)
    if epsilon is not None and not (isinstance(epsilon, (int, float)) and epsilon > 0
                                    and math.isfinite(epsilon)):
        raise InvalidArgument("--epsilon", owner, "be a positive finite number", epsilon)
    if top is not None and (not isinstance(top, (int, np.integer)) or top < 1):
        raise InvalidArgument("--top", owner, "be a positive integer", top)
    with torch_threads(1):
        import torch

        from ._flat import flat_params
        model, init, ds, info = _network(arch, width, data, epochs, seed, state_dict,
                                         init_state_dict, cache, progress)
        X = torch.from_numpy(ds.x_train)
        y = torch.from_numpy(ds.y_train)
        if samples is not None:
            if samples > ds.n_train:
                raise InvalidArgument("--samples", owner,
                                      f"be at most the {ds.n_train} training samples", samples)
            X, y = X[:samples], y[:samples]
        n = int(X.shape[0])
        dist2 = None
        if init is not None:
            dist2 = float(torch.sum((flat_params(model, torch.float64)
                                     - flat_params(init, torch.float64)) ** 2))
        info.update(n=n, p=int(sum(p.numel() for p in model.parameters())), dist2=dist2)
        spectra, summaries, epsilons = {}, {}, {}
        for q in qs:
            for key, spec in quantity_spectra(q, model, X, y, top=top, seed=seed,
                                              progress=progress).items():
                eps, source = epsilon, "--epsilon"
                if eps is None and q in CURVATURE_QUANTITIES and dist2 is not None:
                    eps = loose_epsilon(spec.values, n, dist2)
                    source = "minimiser of the closed-form objective (§4.3.3)"
                spectra[key] = spec
                summaries[key] = summarise(spec, n, eps, top=show)
                epsilons[key] = (eps, source if eps is not None else None)
    report = SpectrumReport(info, n, spectra, summaries, epsilons)
    if out is not None:
        report.files = write_spectrum_outputs(report, out)
    return report


def _measure(m) -> str:
    """A §4.4 measure: its value when decided; value ± half-width when its error-bar interval is
    narrow (relative width < 1e-6); the interval otherwise."""
    if m is None:
        return "n/a"
    if m["decided"]:
        return fmt(m["value"])
    lo, hi = m["lower"], m["upper"]
    if math.isfinite(lo) and math.isfinite(hi) and hi - lo <= 1e-6 * max(abs(lo), abs(hi)):
        return f"{fmt(0.5 * (lo + hi))} ± {fmt(0.5 * (hi - lo), 2)} (from the error bars)"
    return f"undecided in [{fmt(lo)}, {fmt(hi)}]"


def format_report(report: SpectrumReport) -> str:
    """The text ``hyperribbon spectrum`` prints."""
    N = report.network
    width = N["width"] if N["width"] is not None else "(family default)"
    head = (f"network: {N['arch']} width {width} on {N['data']} ({N['source']}"
            + (f", {fmt(N['epochs'])} epochs, seed {N['seed']}, train error "
               f"{fmt(N['train_error'])}, test error {fmt(N['test_error'])}"
               if N["source"] == "built-in" else "")
            + f"); p = {N['p']} weights, n = {report.n} samples"
            + (f", ‖w − w0‖² = {fmt(N['dist2'])}" if N.get("dist2") is not None else ""))
    lines = [head]
    for key, sm in report.summaries.items():
        lines += ["", f"{key}: {sm['label']} — {sm['method']}, dimension {sm['dimension']}, "
                      f"{sm['listed']} eigenvalues computed, {sm['n_resolved']} resolved "
                      f"(noise floor {fmt(sm['floor'], 3)})"
                      + ("; measures on |λ| (negative eigenvalues)" if sm["magnitudes"] else "")]
        lines.append(f"  {'i':>5} {'eigenvalue':>14} {'± error':>10}  resolved")
        for r in sm["top"]:
            val = f"{r['value']:14.6g}" if r["resolved"] else f"{'< ' + fmt(r['error'], 3):>14}"
            lines.append(f"  {r['index']:>5} {val} {r['error']:10.2g}  "
                         f"{'yes' if r['resolved'] else 'no (below its error bound)'}")
        d = sm["decay"]
        if d is None:
            lines.append("  decay rate: fewer than 3 resolved positive eigenvalues")
        else:
            lines.append(f"  decay rate c = {fmt(d['rate'])} ± {fmt(d['stderr'], 2)} per index "
                         f"(fit log λ_i = a − c·i over {d['used']} resolved eigenvalues, "
                         f"i = {d['first']}..{d['last']}; {fmt(d['log10_per_index'])} decades "
                         "per index)")
        eps, src = report.epsilon.get(key, (None, None))
        if eps is None:
            lines.append("  p(n,ε), s(n,ε): not computed (give --epsilon"
                         + ("" if key.split("/")[0] not in CURVATURE_QUANTITIES else
                            " or a network with a known initialisation") + ")")
        else:
            lines.append(f"  at ε = {fmt(eps)} ({src}), n = {report.n}: p(n,ε) = "
                         f"{_measure(sm['p'])}, s(n,ε) = {_measure(sm['s'])}, 1/c(n,ε) = "
                         f"{_measure(sm['inv_c'])}")
    return "\n".join(lines)


def write_spectrum_outputs(report: SpectrumReport, out) -> list:
    """CSV per spectrum, summary JSON, a PNG/PDF figure and report.md in ``out``."""
    from ._plot import fit_log_ylim, new_figure, plot_spectrum, save_figure
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for key, spec in report.spectra.items():
        stem = "spectrum_" + key.replace("/", "_").replace("-", "_")
        files.append(write_csv(out / f"{stem}.csv", ["index", "value", "error", "resolved"],
                               [np.arange(1, len(spec) + 1), spec.values, spec.errors,
                                spec.resolved]))
    files.append(write_json(out / "spectrum.json", {
        "network": report.network, "n": report.n, "summaries": report.summaries,
        "epsilon": {k: {"value": v[0], "source": v[1]} for k, v in report.epsilon.items()},
        "versions": versions()}))
    fig = new_figure(figsize=(7.0, 4.8))
    ax = fig.subplots()
    import matplotlib
    cmap = matplotlib.colormaps["tab10"]
    for i, (key, spec) in enumerate(report.spectra.items()):
        top = float(np.max(np.abs(spec.values))) if len(spec) else 1.0
        plot_spectrum(ax, spec, scale=1.0 / top if top > 0 else 1.0, label=key,
                      color=cmap(i % 10), max_points=400)
    ax.plot([], [], ":", color="grey", label="noise floor (unresolved values not drawn)")
    fit_log_ylim(ax)
    ax.set_xlabel("index i")
    ax.set_ylabel("|λ_i| / |λ_1|")
    N = report.network
    ax.set_title(f"Spectra: {N['arch']} width {N['width']} on {N['data']}, n = {report.n}",
                 fontsize=9)
    ax.legend(fontsize=7)
    files += save_figure(fig, out, "spectrum")
    text = ["# hyperribbon spectrum", "", "```", format_report(report), "```", "",
            f"Versions: {versions()}.", "", "![spectra](spectrum.png)", ""]
    files.append(atomic_write_text(out / "report.md", "\n".join(text)))
    return files
