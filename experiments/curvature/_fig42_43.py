"""Figs 4.2 and 4.3 of the thesis (private runners; see :mod:`.reproduce`).

Fig 4.2: the eigenvalues of the KFAC approximation of the Gauss–Newton matrix of a two-layer
fully connected network at the mean of the PAC-Bayes posterior, with the effective
dimensionality p(n,ε) of the ε chosen by the analytic PAC-Bayes procedure, and a line fitted to
the sloppy (i > p(n,ε)) eigenvalues.

Fig 4.3: eigenvalues of the FIM, the Hessian and KFAC of a two-layer fully connected network,
and the overlaps |⟨u_i(F), u_j(H)⟩|, |⟨u_i(KFAC), u_j(H)⟩| of their leading eigenvectors against
the overlap of random directions.
"""
from __future__ import annotations

import math

import numpy as np

from ._io import fmt, write_csv
from ._repro import float64_copy, subset
from .models import trained_network

__all__ = ["run_fig42", "run_fig43", "elbow_index"]


def elbow_index(values) -> int:
    """The "elbow" of a decreasing positive sequence on a log scale: the 1-based index of the
    point farthest below the chord from the first to the last point of (i, log10 λ_i)
    (the kneedle construction), used as an independent reference for p(n,ε).

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.concatenate([np.logspace(0, -4, 10), np.logspace(-4.01, -4.5, 90)])
    >>> elbow_index(lam)
    10
    """
    y = np.log10(np.asarray(values, dtype=np.float64))
    i = np.arange(1, y.size + 1, dtype=np.float64)
    chord = y[0] + (y[-1] - y[0]) * (i - 1) / max(1, y.size - 1)
    return int(np.argmax(chord - y)) + 1


def run_fig42(out, v, quick, progress, cache=None):
    import torch

    from hyperribbon.numerics.curvature import (curvature_operator, effective_dimensionality,
                                                full_spectrum)
    from hyperribbon.theory.networks import pac_bayes as pb

    from ._flat import flat_params
    from ._ggn import ggn_eigh, ggn_factor
    from ._plot import new_figure, save_figure
    from .pac_bayes import _pilot_choice, choose_prior
    seed = int(v["seed"])
    net = trained_network("mlp2", int(v["width"]), v["data"], float(v["epochs"]), seed,
                          cache=cache, progress=progress)
    ds = net.data
    X = torch.from_numpy(ds.x_train)
    y = torch.from_numpy(ds.y_train)
    n = int(X.shape[0])
    w = flat_params(net.model, torch.float64).numpy()
    w0 = flat_params(net.model_at(net.init_state), torch.float64).numpy()
    dist2 = float(np.sum((w - w0) ** 2))
    m64 = float64_copy(net.model)
    with torch.no_grad():
        loss_bits = float(torch.nn.functional.cross_entropy(m64(X.double()), y)) / math.log(2)
    lam, V, floor = ggn_eigh(ggn_factor(net.model, X))
    prm = dict(b=100.0, c=0.1, delta=0.025, mc_samples=int(v["mc_samples"]), seed=seed,
               j_max=2000)
    ch = choose_prior(lam, n, dist2, loss_bits, b=prm["b"], c=prm["c"], delta=prm["delta"],
                      j_max=prm["j_max"])
    ch = _pilot_choice(net.model, X, y, w, lam, V, n, dist2, ch, prm)
    eps = ch["eps"]
    thr = eps / (2 * (n - 1))
    op = curvature_operator(m64, "cross_entropy", X.double(), y, kind="kfac",
                            normalisation="thesis")
    kfac = full_spectrum(op, label="KFAC of H̃ (bits)")
    p_k = effective_dimensionality(kfac, n, eps, psd=True)
    p_g = pb.effective_dimension(lam, n, eps)
    vals, res = kfac.values, kfac.resolved
    idx = np.arange(1, vals.size + 1)
    pk = int(p_k.value) if p_k.decided else int(p_k.lower)
    tail = (idx > pk) & res & (vals > 0)
    A = np.vstack([np.ones(tail.sum()), idx[tail]]).T
    coef = np.linalg.lstsq(A, np.log10(vals[tail]), rcond=None)[0] if tail.sum() >= 3 \
        else np.array([math.nan, math.nan])
    elbow = elbow_index(vals[res & (vals > 0)])
    fig = new_figure(figsize=(7.0, 4.6))
    ax = fig.subplots()
    ax.semilogy(idx[res], vals[res], "-", color="C0", label="KFAC eigenvalues (resolved)")
    if np.any(~res):
        ax.hlines(float(np.max(kfac.errors[~res])), idx[~res].min(), idx[~res].max(),
                  colors="grey", linestyles=":", label="noise floor (unresolved not drawn)")
    ax.axvline(pk, color="C2", lw=1.5, label=f"p(n,ε) = {pk} (ε = {fmt(eps, 3)})")
    ax.axhline(thr, color="C2", ls="--", lw=0.8, label=f"ε/(2(n−1)) = {fmt(thr, 3)}")
    if np.all(np.isfinite(coef)):
        xs = idx[tail]
        ax.semilogy(xs, 10 ** (coef[0] + coef[1] * xs), "-", color="C3", lw=1,
                    label=f"fit to the sloppy tail: slope {fmt(-coef[1], 3)} decades/index")
    ax.axvline(elbow, color="k", ls=":", lw=0.8, label=f"elbow (kneedle) at i = {elbow}")
    ax.set_xlabel("index i")
    ax.set_ylabel("eigenvalue of KFAC(H̃) of ĕ (bits)")
    ax.set_title(f"Fig 4.2: mlp2 width {v['width']} (p = {w.size}) on {v['data']}, n = {n}",
                 fontsize=9)
    ax.legend(fontsize=7)
    files = save_figure(fig, out, "fig4_2")
    files.append(write_csv(out / "fig4_2.csv", ["index", "kfac", "error", "resolved"],
                           [idx, vals, kfac.errors, res]))
    numbers = {"eps": eps, "j": ch["j"], "p_kfac": pk, "p_kfac_interval": [p_k.lower, p_k.upper],
               "p_ggn": int(p_g), "threshold": thr, "tail_slope_decades": float(-coef[1]),
               "elbow": elbow, "n": n, "p": int(w.size), "kfac_resolved": kfac.n_resolved,
               **{f"net_{k}": val for k, val in net.metrics.items()}}
    lines = [f"- ε = {fmt(eps)} chosen by the analytic PAC-Bayes procedure (grid index j = "
             f"{ch['j']}, `hyperribbon pac-bayes`), threshold ε/(2(n−1)) = {fmt(thr)}.",
             f"- KFAC: p(n,ε) = {pk} of p = {w.size} ({kfac.n_resolved} eigenvalues resolved); "
             f"the exact Gauss–Newton matrix gives p(n,ε) = {p_g}.",
             f"- The kneedle elbow of the resolved KFAC spectrum is at i = {elbow}, "
             f"{abs(elbow - pk)} indices from p(n,ε) ({fmt(abs(elbow - pk) / max(pk, 1), 3)} "
             "relative).",
             f"- The sloppy tail (i > p(n,ε), resolved) falls by {fmt(-coef[1], 3)} decades per "
             "index (thesis, FC-600-2 on MNIST: slope 0.0004)."]
    checks = {"p(n,ε) of KFAC decided": bool(p_k.decided),
              "network train error": net.metrics["train_error"]}
    return files, numbers, checks, lines


def _dense_eigh(op):
    """Eigenpairs of a symmetric operator densified (descending by magnitude), and the floor."""
    A = op.to_dense()
    A = 0.5 * (A + A.T)
    vals, vecs = np.linalg.eigh(A)
    order = np.argsort(-np.abs(vals), kind="stable")
    vals, vecs = vals[order], vecs[:, order]
    floor = A.shape[0] * 2 * float(np.finfo(np.float64).eps) * float(np.max(np.abs(vals)))
    return vals, vecs, floor


def run_fig43(out, v, quick, progress, cache=None):
    from hyperribbon.numerics.curvature import curvature_operator

    from ._plot import new_figure, save_figure
    seed = int(v["seed"])
    net = trained_network("mlp2", int(v["width"]), v["data"], float(v["epochs"]), seed,
                          cache=cache, progress=progress)
    X, y = subset(net.data, int(v["samples"]))
    m64 = float64_copy(net.model)
    mats = {}
    for name, kind in (("FIM", "fisher"), ("Hessian", "hessian"), ("KFAC", "kfac")):
        op = curvature_operator(m64, "cross_entropy", X, y, kind=kind, normalisation="mean")
        mats[name] = _dense_eigh(op)
    p = mats["FIM"][1].shape[0]
    k = int(v["k"])
    UH = mats["Hessian"][1][:, :k]
    O_FH = np.abs(mats["FIM"][1][:, :k].T @ UH)
    O_KH = np.abs(mats["KFAC"][1][:, :k].T @ UH)
    rand = math.sqrt(2 / (math.pi * p))          # E|⟨u, v⟩| for independent random unit vectors
    sub_FH = float(np.sum(O_FH ** 2) / k)         # ‖U_Fᵀ U_H‖_F²/k: shared fraction of top-k
    sub_KH = float(np.sum(O_KH ** 2) / k)
    fig = new_figure(figsize=(13.0, 4.4))
    ax, bx, cx = fig.subplots(1, 3)
    idx = np.arange(1, p + 1)
    for (name, (vals, _, floor)), col in zip(mats.items(), ("C3", "C0", "C2")):
        res = np.abs(vals) > floor
        ax.semilogy(idx[res], np.abs(vals[res]), "-", color=col, label=f"{name} (|λ|, resolved)")
        if np.any(~res):
            ax.hlines(floor, idx[~res].min(), idx[~res].max(), colors=col, linestyles=":")
    ax.plot([], [], ":", color="grey", label="noise floors (unresolved not drawn)")
    ax.set_xlabel("index i (by |λ|)")
    ax.set_ylabel("|eigenvalue| (mean cross-entropy in nats)")
    ax.set_title(f"mlp2 width {v['width']} (p = {p}) on {v['data']}, n = {X.shape[0]}",
                 fontsize=9)
    ax.legend(fontsize=7)
    for axx, O, title in ((bx, O_FH, "|⟨u_i(FIM), u_j(Hessian)⟩|"),
                          (cx, O_KH, "|⟨u_i(KFAC), u_j(Hessian)⟩|")):
        im = axx.imshow(O, vmin=0, vmax=1, cmap="viridis", origin="upper",
                        extent=(0.5, k + 0.5, k + 0.5, 0.5))
        axx.set_xlabel("Hessian eigenvector j")
        axx.set_ylabel("eigenvector i")
        axx.set_title(f"{title}; random ≈ {fmt(rand, 2)}", fontsize=9)
        fig.colorbar(im, ax=axx, shrink=0.8)
    files = save_figure(fig, out, "fig4_3")
    files.append(write_csv(out / "fig4_3_eigenvalues.csv",
                           ["index", "fim", "hessian", "kfac"],
                           [idx, mats["FIM"][0], mats["Hessian"][0], mats["KFAC"][0]]))
    ii, jj = np.meshgrid(np.arange(1, k + 1), np.arange(1, k + 1), indexing="ij")
    files.append(write_csv(out / "fig4_3_overlaps.csv", ["i", "j", "fim_hessian", "kfac_hessian"],
                           [ii.ravel(), jj.ravel(), O_FH.ravel(), O_KH.ravel()]))
    best_FH = O_FH.max(axis=1)
    best_KH = O_KH.max(axis=1)
    rel = [float(abs(mats["KFAC"][0][i] - mats["Hessian"][0][i]) / abs(mats["Hessian"][0][i]))
           for i in range(k)]
    relF = [float(abs(mats["FIM"][0][i] - mats["Hessian"][0][i]) / abs(mats["Hessian"][0][i]))
            for i in range(k)]
    numbers = {"p": p, "k": k, "random_overlap": rand, "subspace_FH": sub_FH,
               "subspace_KH": sub_KH, "subspace_random": k / p,
               "mean_best_overlap_FH": float(best_FH.mean()),
               "mean_best_overlap_KH": float(best_KH.mean()),
               "median_rel_eig_diff_KFAC_H": float(np.median(rel)),
               "median_rel_eig_diff_FIM_H": float(np.median(relF))}
    lines = [f"- Leading k = {k} eigenvectors (by |λ|) of dense float64 matrices on n = "
             f"{X.shape[0]} samples, p = {p}; all three matrices of the mean cross-entropy in "
             "nats (F = GGN exactly for softmax cross-entropy; KFAC approximates it).",
             f"- FIM vs Hessian: mean over i of max_j |⟨u_i(F), u_j(H)⟩| = "
             f"{fmt(best_FH.mean(), 3)}; shared fraction of the top-{k} subspaces "
             f"‖U_Fᵀ U_H‖²_F/k = {fmt(sub_FH, 3)} (random subspaces: k/p = {fmt(k / p, 3)}; "
             f"random directions: E|⟨u, v⟩| ≈ {fmt(rand, 3)}).",
             f"- KFAC vs Hessian: mean best overlap {fmt(best_KH.mean(), 3)}, shared subspace "
             f"fraction {fmt(sub_KH, 3)}.",
             f"- Eigenvalues, median relative difference to the Hessian over the top {k}: KFAC "
             f"{fmt(np.median(rel), 3)}, FIM {fmt(np.median(relF), 3)}."]
    checks = {"FIM ⪰ 0 within its floor": bool(np.all(mats["FIM"][0] >= -mats["FIM"][2])),
              "network train error": net.metrics["train_error"]}
    return files, numbers, checks, lines
