"""Fig 4.1 of the thesis (private runner; see :mod:`.reproduce`).

Top: spectra of the input correlations, activations, activation gradients, logit Jacobians, FIM
(initialisation, middle and end of training) and Hessian (end) for a small wide ResNet and a
fully connected network on the digits, scaled by the largest input eigenvalue. Bottom left:
input, FIM and Hessian spectra at initialisation and end of training of a student on sloppy
(c = 0.1) and non-sloppy (c = 1e-3) synthetic Gaussian inputs. Bottom right: validation error of
students of several widths on teacher-labelled synthetic data of varying sloppiness.
"""
from __future__ import annotations

import math

import numpy as np

from ._io import fmt, write_csv
from ._repro import fim_spectrum, float64_copy, hessian_top, subset
from .models import trained_network

__all__ = ["run_fig41"]


def _decay(spec):
    from hyperribbon.numerics.curvature import decay_rate
    try:
        return decay_rate(spec.magnitudes() if np.any(spec.values < -spec.errors) else spec)
    except Exception:                       # noqa: BLE001 — fewer than 3 resolved values
        return None


def _orders(spec, k: int = 100) -> float:
    """log10(λ_1/λ_j), j the last resolved index ≤ k: decades spanned by the top of a spectrum."""
    vals, res = np.abs(spec.values), spec.resolved
    j = min(k, int(np.max(np.nonzero(res)[0])) + 1) if np.any(res) else 0
    if j < 2 or vals[j - 1] <= 0:
        return math.nan
    return float(np.log10(vals[0] / vals[j - 1]))


def _network_spectra(arch, width, v, seed, cache, progress):
    """All top-panel spectra of one architecture (dict name -> Spectrum) and its metrics."""
    from hyperribbon.numerics.curvature import correlation_spectra
    net = trained_network(arch, width, "digits", float(v["epochs"]), seed, cache=cache,
                          snapshot_fractions=(0.5,), progress=progress)
    ds = net.data
    Xall, yall = subset(ds, None)
    X, y = subset(ds, int(v["top_samples"]))
    m64 = float64_copy(net.model)
    out = {}
    corr = correlation_spectra(m64, Xall, which=("inputs", "activations"))
    out["inputs"] = corr["inputs"]
    layers = [k for k in corr if k.startswith("activations/")]
    mid = layers[len(layers) // 2]
    out["activations"] = corr[mid]
    layer = mid.split("/", 1)[1]
    # small Jacobian blocks: jacrev vmaps the backward pass over block·C cotangents, whose
    # intermediate activations dominate the memory of a convolutional network
    grads = correlation_spectra(m64, X, y, loss="cross_entropy",
                                which=("activation_gradients", "logit_jacobians"),
                                layers=[layer], logits=[0], sum_of_logits=False,
                                max_bytes=2 ** 24)
    out["activation gradients"] = grads[f"activation_gradients/{layer}"]
    out["logit Jacobian (z_0)"] = grads["logit_jacobian/0"]
    mid_step = sorted(net.snapshots)[0] if net.snapshots else None
    out["FIM (init)"] = fim_spectrum(net.model_at(net.init_state), X)
    if mid_step is not None:
        out["FIM (middle)"] = fim_spectrum(net.model_at(net.snapshots[mid_step]), X)
    out["FIM (end)"] = fim_spectrum(net.model, X)
    out["Hessian (end)"] = hessian_top(net.model, X, y, int(v["hessian_k"]), seed=seed)
    meta = {"arch": arch, "width": width, "p": int(sum(p.numel() for p in net.model.parameters())),
            "layer": layer, "mid_step": mid_step, **net.metrics}
    return out, meta


def _synthetic(c, v, seed, cache, progress):
    """Inputs, FIM and Hessian spectra at initialisation and end for one sloppiness c."""
    opts = dict(c=float(c), n_train=int(v["n_train"]), n_test=int(v["n_test"]), d=int(v["d"]),
                classes=int(v["classes"]), teacher_width=int(v["teacher_width"]))
    net = trained_network("mlp1", int(v["student_width"]), "sloppy", float(v["syn_epochs"]), seed,
                          cache=cache, data_options=opts, progress=progress)
    from hyperribbon.numerics.curvature import input_correlation_spectrum
    Xall, _ = subset(net.data, None)
    X, y = subset(net.data, int(v["syn_samples"]))
    init = net.model_at(net.init_state)
    k = int(v["hessian_k"])
    out = {"inputs": input_correlation_spectrum(Xall),
           "FIM (init)": fim_spectrum(init, X), "FIM (end)": fim_spectrum(net.model, X),
           "Hessian (init)": hessian_top(init, X, y, k, seed=seed),
           "Hessian (end)": hessian_top(net.model, X, y, k, seed=seed)}
    return out, dict(net.metrics)


def _student_errors(v, seed, cache, progress):
    rows = []
    for c in v["c_grid"]:
        for s_w, t_w in v["pairs"]:
            opts = dict(c=float(c), n_train=int(v["br_n_train"]), n_test=int(v["n_test"]),
                        d=int(v["d"]), classes=int(v["classes"]), teacher_width=int(t_w))
            net = trained_network("mlp1", int(s_w), "sloppy", float(v["br_epochs"]), seed,
                                  cache=cache, data_options=opts, progress=progress)
            rows.append({"c": float(c), "student": int(s_w), "teacher": int(t_w),
                         "train_error": net.metrics["train_error"],
                         "test_error": net.metrics["test_error"]})
    return rows


def run_fig41(out, v, quick, progress, cache=None):
    from ._plot import fit_log_ylim, new_figure, plot_spectrum, save_figure
    seed = int(v["seed"])
    top, metas = {}, {}
    for name, arch, width in (("wide ResNet", "wrn", int(v["wrn_width"])),
                              ("fully connected", "fc", int(v["fc_width"]))):
        top[name], metas[name] = _network_spectra(arch, width, v, seed, cache, progress)
    syn, syn_meta = {}, {}
    for c in v["c_values"]:
        syn[c], syn_meta[c] = _synthetic(c, v, seed, cache, progress)
    rows = _student_errors(v, seed, cache, progress)

    fig = new_figure(figsize=(12.0, 9.0))
    axes = fig.subplots(2, 2)
    colours = {"inputs": "k", "activations": "C0", "activation gradients": "C1",
               "logit Jacobian (z_0)": "C2", "FIM (init)": "C4", "FIM (middle)": "C5",
               "FIM (end)": "C3", "Hessian (end)": "C9"}
    styles = {"FIM (init)": ":", "FIM (middle)": "--"}
    csv_rows, numbers, checks, lines = [], {}, {}, []
    grad_scales = {}
    for ax, (name, specs) in zip(axes[0], top.items()):
        lam1 = float(specs["inputs"].values[0])
        g1 = float(np.max(np.abs(specs["activation gradients"].values)))
        kexp = int(round(math.log10(lam1 / g1))) if g1 > 0 else 0
        grad_scales[name] = kexp
        for q, spec in specs.items():
            scale = 1.0 / lam1 * (10.0 ** kexp if q == "activation gradients" else 1.0)
            lab = q + (f" × 1e{kexp}" if q == "activation gradients" and kexp else "")
            plot_spectrum(ax, spec, scale=scale, label=lab, color=colours.get(q),
                          style=styles.get(q, "-"), max_points=600)
            fit = _decay(spec)
            numbers[f"{name}/{q}"] = {"decay_rate": None if fit is None else fit.rate,
                                      "n_resolved": spec.n_resolved, "listed": len(spec),
                                      "dimension": spec.dimension, "lambda1": float(
                                          np.max(np.abs(spec.values))),
                                      "decades_top100": _orders(spec)}
            for i, (val, err, ok) in enumerate(zip(spec.values, spec.errors, spec.resolved)):
                csv_rows.append((name, q, i + 1, val, err, bool(ok)))
        m = metas[name]
        ax.plot([], [], ":", color="grey", label="noise floor (unresolved not drawn)")
        ax.set_title(f"{name} ({m['arch']}, width {m['width']}, p = {m['p']}) on digits: "
                     f"train err {fmt(m['train_error'], 3)}, test err {fmt(m['test_error'], 3)}",
                     fontsize=8)
        fit_log_ylim(ax)
        ax.set_xlabel("index i")
        ax.set_ylabel("λ_i / λ_1(E[xxᵀ])")
        ax.legend(fontsize=6, ncol=2)
    ax = axes[1, 0]
    cmap = {v["c_values"][0]: "C2", v["c_values"][-1]: "C1"}
    for c, specs in syn.items():
        col = cmap.get(c, "C0")
        for q, spec in specs.items():
            st = {"inputs": ":", "FIM (init)": "--", "FIM (end)": "-", "Hessian (init)": (0, (1, 3)),
                  "Hessian (end)": "-."}[q]
            plot_spectrum(ax, spec, label=f"c = {c:g}: {q}", color=col, style=st,
                          lw=1.8 if "end" in q else 1.0, max_points=600)
            fit = _decay(spec)
            numbers[f"synthetic c={c:g}/{q}"] = {
                "decay_rate": None if fit is None else fit.rate, "n_resolved": spec.n_resolved,
                "lambda1": float(np.max(np.abs(spec.values))), "decades_top100": _orders(spec)}
            for i, (val, err, ok) in enumerate(zip(spec.values, spec.errors, spec.resolved)):
                csv_rows.append((f"synthetic c={c:g}", q, i + 1, val, err, bool(ok)))
    fit_log_ylim(ax)
    ax.set_xlabel("index i")
    ax.set_ylabel("eigenvalue (inputs: E[xxᵀ]; F in nats; |H| of ĕ in bits)")
    ax.set_title(f"synthetic inputs λ_i = 50c·e^(−ci), d = {v['d']}, student mlp1 width "
                 f"{v['student_width']}: init (thin) and end (thick)", fontsize=8)
    ax.legend(fontsize=6, ncol=2)
    ax = axes[1, 1]
    markers = "osD^v<>"
    for k, (s_w, t_w) in enumerate(v["pairs"]):
        sel = [r for r in rows if r["student"] == s_w and r["teacher"] == t_w]
        cs = np.array([r["c"] for r in sel])
        errs = np.array([r["test_error"] for r in sel])
        interp = np.array([r["train_error"] == 0 for r in sel])
        line = ax.semilogx(cs, errs, "-", color=f"C{k}", label=f"S({s_w})/T({t_w})")[0]
        ax.scatter(cs[interp], errs[interp], marker=markers[k % 7], color=line.get_color())
        ax.scatter(cs[~interp], errs[~interp], marker=markers[k % 7], facecolors="none",
                   edgecolors=line.get_color())
    ax.scatter([], [], marker="o", color="grey", label="interpolates (train error 0)")
    ax.scatter([], [], marker="o", facecolors="none", edgecolors="grey",
               label="train error > 0")
    ax.set_xlabel("sloppiness c of the inputs")
    ax.set_ylabel("validation error of the student")
    ax.set_title(f"students on teacher-labelled data (n = {v['br_n_train']}, "
                 f"{v['br_epochs']} epochs)", fontsize=8)
    ax.legend(fontsize=7)
    files = save_figure(fig, out, "fig4_1")
    files.append(write_csv(out / "fig4_1_spectra.csv",
                           ["panel", "quantity", "index", "value", "error", "resolved"],
                           list(zip(*csv_rows))))
    files.append(write_csv(out / "fig4_1_students.csv",
                           ["c", "student_width", "teacher_width", "train_error", "test_error"],
                           [[r[k] for r in rows] for k in ("c", "student", "teacher",
                                                           "train_error", "test_error")]))
    # ---------------------------------------------------------------- sentences from numbers
    for name in top:
        d_in = numbers[f"{name}/inputs"]["decay_rate"]
        d_f = numbers[f"{name}/FIM (end)"]["decay_rate"]
        d_h = numbers[f"{name}/Hessian (end)"]["decay_rate"]
        lines.append(f"- {name}: fitted decay rates (log λ_i = a − c·i over resolved "
                     f"eigenvalues) inputs {fmt(d_in)}, FIM at the end {fmt(d_f)}, Hessian top-"
                     f"{v['hessian_k']} {fmt(d_h)} per index; the FIM's resolved eigenvalues "
                     f"span {fmt(numbers[f'{name}/FIM (end)']['decades_top100'], 3)} decades "
                     "over its first 100 indices. Activation gradients are drawn × "
                     f"1e{grad_scales[name]}.")
        m = metas[name]
        if m["mid_step"] is not None:
            lines.append(f"  middle-of-training FIM taken at step {m['mid_step']} of "
                         f"{m['steps']}.")
    for c in syn:
        f0 = numbers[f"synthetic c={c:g}/FIM (init)"]
        f_end = numbers[f"synthetic c={c:g}/FIM (end)"]
        h_end = numbers[f"synthetic c={c:g}/Hessian (end)"]
        s0, s1 = syn[c]["FIM (init)"], syn[c]["FIM (end)"]
        lines.append(f"- synthetic c = {c:g}: the FIM spans {fmt(f0['decades_top100'], 3)} "
                     f"(init) and {fmt(f_end['decades_top100'], 3)} (end) decades over its first "
                     f"100 eigenvalues, {fmt(_orders(s0, 1000), 3)} and "
                     f"{fmt(_orders(s1, 1000), 3)} over its first 1000; decay rates "
                     f"{fmt(f0['decay_rate'])} (init), {fmt(f_end['decay_rate'])} (end); the "
                     f"Hessian's top {v['hessian_k']} span {fmt(h_end['decades_top100'], 3)} "
                     f"decades at the end; student train error "
                     f"{fmt(syn_meta[c]['train_error'], 3)}, test error "
                     f"{fmt(syn_meta[c]['test_error'], 3)}.")
    for s_w, t_w in v["pairs"]:
        sel = sorted((r for r in rows if r["student"] == s_w and r["teacher"] == t_w),
                     key=lambda r: r["c"])
        errs = [r["test_error"] for r in sel]
        trend = ("decreases" if all(b <= a for a, b in zip(errs, errs[1:])) else
                 "increases" if all(b >= a for a, b in zip(errs, errs[1:])) else
                 "is not monotone")
        lines.append(f"- S({s_w})/T({t_w}): validation error {trend} with c: " + ", ".join(
            f"c = {r['c']:g}: {fmt(r['test_error'], 3)} (train {fmt(r['train_error'], 3)})"
            for r in sel) + ".")
    checks["FIM spectra: smallest listed eigenvalue ≥ −error (PSD)"] = bool(all(
        np.all(s.values >= -s.errors) for specs in list(top.values()) + list(syn.values())
        for q, s in specs.items() if q.startswith("FIM")))
    checks["Hessian Lanczos: largest residual bound"] = float(max(
        float(np.max(s.errors)) for specs in list(top.values()) + list(syn.values())
        for q, s in specs.items() if q.startswith("Hessian")))
    checks["students that interpolate (train error 0)"] = \
        f"{sum(r['train_error'] == 0 for r in rows)} of {len(rows)}"
    numbers["students"] = rows
    numbers["networks"] = metas
    return files, numbers, checks, lines
