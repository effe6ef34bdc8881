"""Files written by ``hyperribbon pac-bayes --out DIR`` (private; see :mod:`.pac_bayes`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ._io import atomic_write_text, fmt, versions, write_csv, write_json

__all__ = ["write_pac_bayes"]


def write_pac_bayes(res, out) -> list:
    """``pac_bayes.json``, ``eigenvalues.csv``, ``pac_bayes.png/.pdf`` and ``report.md``."""
    from ._plot import new_figure, save_figure
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    a = res.analytic
    lam = np.asarray(res.eigenvalues)
    n, eps = res.n, a["eps"]
    files = [write_json(out / "pac_bayes.json", {**res.to_dict(), "versions": versions()})]
    files.append(write_csv(out / "eigenvalues.csv",
                           ["index", "eigenvalue_bits", "resolved", "posterior_variance"],
                           [np.arange(1, lam.size + 1), lam, lam > res.floor,
                            1.0 / (2 * (n - 1) * lam + eps)]))
    fig = new_figure(figsize=(10.0, 4.2))
    ax, bx = fig.subplots(1, 2)
    idx = np.arange(1, lam.size + 1)
    res_mask = lam > res.floor
    ax.semilogy(idx[res_mask], lam[res_mask], "-", color="C0",
                label=f"eigenvalues of {a['curvature']} (resolved)")
    ax.axhline(a["threshold"], color="C2", ls="--",
               label=f"ε/(2(n−1)) = {fmt(a['threshold'], 3)}")
    ax.axvline(a["p_eff"], color="C2", ls=":", label=f"p(n,ε) = {a['p_eff']}")
    if np.any(~res_mask):
        ax.axhline(res.floor, color="grey", ls=":", lw=1,
                   label="noise floor (unresolved values not drawn)")
    ax.set_xlabel("index i")
    ax.set_ylabel(f"λ_i of {a['curvature']} of ĕ (bits)")
    ax.set_title(f"{res.params['arch']} width {res.params['width']} on {res.params['data']}: "
                 f"numerical rank {res.rank} of p = {res.p}", fontsize=9)
    ax.legend(fontsize=7)
    pil = a.get("pilot", [])
    if pil:
        e = np.array([r["eps"] for r in pil])
        bnd = np.array([r["bound"] for r in pil])
        err = np.array([r["error"] for r in pil])
        bx.semilogx(e, bnd, "o-", color="C0",
                    label=f"analytic bound from pilot error ({a['pilot_samples']} draws, "
                    "no sample bound)")
        bx.semilogx(e, err, "s--", color="C1", label="training error of Q* (pilot)")
    bx.axhline(a["bound"], color="C0", lw=0.8,
               label=f"analytic bound at chosen ε: {fmt(a['bound'], 3)}")
    if res.optimised is not None:
        bx.axhline(res.optimised["bound"], color="C3", lw=1.2,
                   label=f"optimised (Dziugaite & Roy): {fmt(res.optimised['bound'], 3)}")
    bx.axhline(res.test_error, color="k", ls=":",
               label=f"test error of the network: {fmt(res.test_error, 3)}")
    bx.set_xlabel("prior precision ε")
    bx.set_ylabel("error / bound")
    bx.set_ylim(0, 1.05)
    bx.set_title("PAC-Bayes bounds (probability ≥ "
                 f"{fmt(1 - res.params['delta'] - res.params['delta_prime'], 3)})", fontsize=9)
    bx.legend(fontsize=7)
    files += save_figure(fig, out, "pac_bayes")
    from .pac_bayes import PAC_BAYES_WHY
    rows = ["| parameter | value | source | why |", "|---|---|---|---|"]
    for k, v in res.params.items():
        if k in res.sources:
            rows.append(f"| {k} | {v} | {res.sources[k]} | {PAC_BAYES_WHY.get(k, '')} |")
    sentences = [
        f"- The network's test error is {fmt(res.test_error)}; the analytic bound on the error "
        f"of its closed-form posterior Q* is {fmt(a['bound'])} "
        + ("(below 1)." if a["bound"] < 1 else f"(not below 1; n ≥ {res.n_needed} would be "
                                                 "needed with the same posterior)."),
        f"- Q* itself has Monte-Carlo test error {fmt(a['test_error_mc'])} and training error "
        f"{fmt(a['train_error_mc'])}; the quadratic model of §4.7.2.2 predicts a training loss "
        f"ĕ(Q*) = {fmt(res.train_loss_bits)} + {fmt(a['gap'])} bits, which would bound that "
        "error if the model were exact.",
        f"- At ε = {fmt(eps)}: p(n,ε) = {a['p_eff']} of p = {res.p} weights "
        f"({fmt(100 * a['p_eff'] / res.p, 3)}%), s(n,ε) = {fmt(a['s'])}, 1/c(n,ε) = "
        f"{fmt(a['inv_c'])}, ε‖w − w0‖² = {fmt(a['eps_dist2'])}.",
    ]
    if res.optimised is not None:
        o = res.optimised
        rel = "below" if o["bound"] < a["bound"] else "above"
        sentences.append(f"- The optimised bound {fmt(o['bound'])} is {rel} the analytic "
                         f"{fmt(a['bound'])}; its posterior has test error "
                         f"{fmt(o['test_error_mc'])} and KL {fmt(o['kl'])} nats "
                         f"(analytic: {fmt(a['kl'])}).")
    text = ["# PAC-Bayes bounds of a trained network (thesis §4.3.3, §4.4)", "",
            "## Parameters", ""] + rows + [
        "", "## What was measured", "", "```", res.table(), "```", ""] + sentences + [
        "", "Method: see `hyperribbon.experiments.curvature.pac_bayes` (closed-form posterior "
            "(4.3.3)–(4.3.4), exact KL, Monte-Carlo error with the sample bound, kl-inversion of "
            "Thm 4.7.1 with the union bound over ε) and "
            "`hyperribbon.experiments.curvature.dziugaite_roy` (G. K. Dziugaite and D. M. Roy, "
            "UAI 2017, arXiv:1703.11008).", "",
        f"Versions: {versions()}.", "", "![bounds](pac_bayes.png)", ""]
    files.append(atomic_write_text(out / "report.md", "\n".join(text)))
    return files
