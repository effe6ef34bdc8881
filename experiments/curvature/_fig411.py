"""Fig 4.11 of the thesis (private runner; see :mod:`.reproduce`): spectra of the empirical FIM
at the end of training for training sets with a fraction of random labels."""
from __future__ import annotations

import numpy as np

from ._io import fmt, write_csv
from ._repro import empirical_fim_spectrum, subset
from .models import trained_network

__all__ = ["run_fig411"]


def run_fig411(out, v, quick, progress, cache=None):
    from hyperribbon.numerics.curvature import decay_rate

    from ._plot import fit_log_ylim, new_figure, plot_spectrum, save_figure
    seed = int(v["seed"])
    specs, metrics = {}, {}
    for a in v["fractions"]:
        net = trained_network("mlp2", int(v["width"]), v["data"], float(v["epochs"]), seed,
                              cache=cache, label_noise=float(a), progress=progress)
        X, y = subset(net.data, v["samples"])
        specs[a] = empirical_fim_spectrum(net.model, X, y)
        metrics[a] = dict(net.metrics)
    fig = new_figure(figsize=(7.5, 5.0))
    ax = fig.subplots()
    ins = ax.inset_axes([0.55, 0.52, 0.42, 0.42])
    cols, rows, numbers = [], [], {}
    for k, (a, spec) in enumerate(specs.items()):
        col = f"C{k}"
        plot_spectrum(ax, spec, label=f"Fraction={a:g}", color=col, max_points=800)
        top = min(15, len(spec))
        r = spec.resolved[:top]
        ins.semilogy(np.arange(1, top + 1)[r], spec.values[:top][r], "o-", ms=2.5, color=col)
        try:
            fit = decay_rate(spec, first=1, last=min(len(spec), int(v["fit_last"])))
            rate = fit.rate
        except Exception:                   # noqa: BLE001 — fewer than 3 resolved values
            rate = float("nan")
        numbers[a] = {"lambda1": float(spec.values[0]), "decay_rate": rate,
                      "n_resolved": spec.n_resolved, "trace": float(np.sum(spec.values)),
                      **metrics[a]}
        for i, (val, err, ok) in enumerate(zip(spec.values, spec.errors, spec.resolved)):
            rows.append((a, i + 1, val, err, bool(ok)))
    fit_log_ylim(ax)
    ins.set_title("top 15", fontsize=7)
    ins.tick_params(labelsize=6)
    ax.plot([], [], ":", color="grey", label="noise floor (unresolved not drawn)")
    ax.set_xlabel("index i")
    ax.set_ylabel("eigenvalue of the empirical FIM (nats)")
    ax.set_title(f"Fig 4.11: mlp2 width {v['width']} on {v['data']}, {v['epochs']} epochs; "
                 "fraction of random training labels", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    files = save_figure(fig, out, "fig4_11")
    files.append(write_csv(out / "fig4_11.csv", ["fraction", "index", "value", "error",
                                                 "resolved"], list(zip(*rows))))
    fr = list(specs)
    lam1 = [numbers[a]["lambda1"] for a in fr]
    rates = [numbers[a]["decay_rate"] for a in fr]

    def trend(xs):
        if all(b > a for a, b in zip(xs, xs[1:])):
            return "increases"
        if all(b < a for a, b in zip(xs, xs[1:])):
            return "decreases"
        return "is not monotone"
    lines = [f"- Empirical FIM (1/n)Σ∇ℓ_k∇ℓ_kᵀ (nats) at the end of training, all eigenvalues "
             f"(rank ≤ n) from per-sample gradients on {v['samples'] or 'all'} training samples.",
             "- λ1 " + trend(lam1) + " with the fraction of random labels: " + ", ".join(
                 f"{a:g}: {fmt(x)}" for a, x in zip(fr, lam1)) + ".",
             f"- Decay rate over the first {v['fit_last']} indices " + trend(rates) + ": "
             + ", ".join(f"{a:g}: {fmt(x)}" for a, x in zip(fr, rates)) + " (a smaller rate is "
             "a less sloppy spectrum).",
             "- Training errors at the end: " + ", ".join(
                 f"{a:g}: {fmt(metrics[a]['train_error'], 3)}" for a in fr) + "."]
    checks = {"empirical FIM ⪰ 0 within error bars": bool(all(
        np.all(s.values >= -s.errors) for s in specs.values()))}
    return files, {str(a): numbers[a] for a in fr}, checks, lines
