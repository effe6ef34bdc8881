"""Real minibatch SGD versus the thesis's Langevin model of it (§5.3), index by index.

For one data set and step size, the exact PCA matrix P(T) of the trajectory ensemble is computed
for full-batch GD, for real minibatch SGD (exact second-moment recursion), for the Langevin
model with the thesis's noise covariance D = XᵀX/n − x̄ᵀx̄, and for the residual-space model
(α²/b)K² that the thesis's closed forms (Pξ) use; a Monte-Carlo ensemble of real SGD runs checks
the exact real-SGD column. The output is a per-index table of eigenvalues and their ratios to
real SGD, i.e. where the model is right and where it is not.

Examples
--------
>>> res = compare_sgd_models(n=6, d=10, T=40, N=400, seed=0)
>>> bool(res["max_rel_err_mc_vs_exact_top3"] < 0.3)
True
"""
from __future__ import annotations

import json
import numbers
import os
from pathlib import Path

import numpy as np

from hyperribbon.numerics import (draw_initial_weights, empirical_pca_matrix, langevin_moments,
                                  pca_matrices, sgd_moments, sgd_second_moment_radius,
                                  simulate_sgd, synthetic_data, thesis_noise_covariance)
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem
from hyperribbon.theory.linear_models.sgd import SGDProblem, sgd_extra_diagonal

from .._output import atomic_savefig, atomic_write_text, json_dumps, output_folder

__all__ = ["compare_sgd_models", "write_sgd_comparison", "LIMITS", "radius_sentence"]

#: Size limits (checked before anything is allocated). n: the second-moment map is assembled
#: densely on the n(n+1)/2 symmetric basis matrices (n = 100: a 5050 × 5050 eigenproblem);
#: N × T × d: the Monte-Carlo ensemble's multiply-adds.
LIMITS = dict(n=100, d=2000, T=100_000, N=10**6, seed=2**63 - 1, work=2e11)


def radius_sentence(rho: float) -> str:
    """What the spectral radius ρ of the real-SGD second-moment map says, computed from ρ."""
    tol = 64 * np.finfo(float).eps
    if rho > 1 + tol:
        return (f"ρ = {rho:.4g} > 1: the second moments E[r_t r_tᵀ] of real SGD grow like ρ^t, "
                "so the ensemble's spread grows even though the mean converges")
    if rho < 1 - tol:
        return (f"ρ = {rho:.4g} < 1: the second moments of real SGD converge (like ρ^t), so "
                "the ensemble's spread stays bounded")
    return f"ρ = {rho:.4g} ≈ 1 (within rounding): the second moments neither grow nor decay"


def _validate(n, d, c, alpha, T, batch_size, sigma_w2, sigma_star2, replacement, N, seed):
    from hyperribbon.theory import LINEAR_GD_DOMAINS as L
    from hyperribbon.theory.domains import size_domain
    owner = "compare_sgd_models"
    here = "LIMITS of hyperribbon.experiments.linear_models.sgd_compare"
    sizes = dict(n=(n, size_domain(LIMITS["n"], here)), d=(d, size_domain(LIMITS["d"], here)),
                 T=(T, size_domain(LIMITS["T"], here)), N=(N, size_domain(LIMITS["N"], here,
                                                                           low=2)),
                 seed=(seed, size_domain(LIMITS["seed"], "2^63 − 1", low=0)),
                 batch_size=(batch_size, size_domain(LIMITS["n"], here)))
    for name, (v, dom) in sizes.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise InvalidArgument(name, owner, "be an integer", v)
        dom.validate(v, name, owner)
    for name, v in (("c", c), ("sigma_w2", sigma_w2), ("sigma_star2", sigma_star2)):
        L[name].validate(v, name, owner)
    L["alpha"].validate(alpha, "alpha", owner, {"lambda1": 1.0})
    if batch_size > n:
        raise InvalidArgument("batch_size", owner, f"be ≤ n = {n}", batch_size)
    if d < n:
        raise InvalidArgument("d", owner, f"be ≥ n = {n} (rank K = n)", d)
    if not isinstance(replacement, bool):
        raise InvalidArgument("replacement", owner, "be True or False", replacement)
    work = float(N) * T * batch_size * d
    if work > LIMITS["work"]:
        raise InvalidArgument("N", owner, f"be small enough for the Monte-Carlo ensemble: N × T "
                              f"× batch size × d = {work:.3g} multiply-adds exceeds "
                              f"{LIMITS['work']:.3g}", N)
    from hyperribbon.theory.domains import check_allocation
    check_allocation(float(N) * d * 2, "N", owner, N, what="the N×d weights (two copies)")


def _desc_eigs(A):
    return np.sort(np.linalg.eigvalsh((A + A.T) / 2))[::-1]


def compare_sgd_models(n: int = 8, d: int = 16, c: float = 0.3, alpha: float = 0.2, T: int = 200,
                       batch_size: int = 2, sigma_w2: float = 0.1, sigma_star2: float = 2.0,
                       replacement: bool = True, N: int = 2000, seed: int = 0,
                       progress: bool = False) -> dict:
    """Per-index spectra of P(T) for GD, real SGD (exact and Monte-Carlo) and two Langevin
    models; see the module docstring. Returns a JSON-ready dict. Every argument is validated
    (sizes up to :data:`LIMITS`) before anything is allocated."""
    _validate(n, d, c, alpha, T, batch_size, sigma_w2, sigma_star2, replacement, N, seed)
    base = LinearGDProblem.sloppy(n=n, c=c, alpha=alpha, T=T, sigma_w2=sigma_w2,
                                  sigma_star2=sigma_star2, seed=seed)
    sgd_problem = SGDProblem(base, batch_size)
    X, w_star, U = synthetic_data(base, d=d, seed=seed)
    y = X @ w_star
    gd = _desc_eigs(pca_matrices(base).P())
    real = sgd_moments(X, y, alpha, T, batch_size, replacement=replacement, sigma_w2=sigma_w2)
    thesis_D = langevin_moments(X, y, alpha, T, batch_size, thesis_noise_covariance(X),
                                sigma_w2=sigma_w2)
    m = pca_matrices(base)
    model_K2 = (m.S1y + np.diag(m.sw + sgd_extra_diagonal(sgd_problem))) / T - m.P2()
    w0 = draw_initial_weights(N, X, sigma_w2, seed=seed + 1)
    R = simulate_sgd(X, y, alpha, T, w0, batch_size, replacement=replacement, seed=seed + 2)
    mc = _desc_eigs(empirical_pca_matrix(R))
    real_e = _desc_eigs(real.pca_matrix())
    exp_mc = _desc_eigs(real.expected_empirical_pca_matrix(N))
    cols = {"gd": gd, "real_sgd_exact": real_e, "real_sgd_monte_carlo": mc,
            "langevin_thesis_D": _desc_eigs(thesis_D.pca_matrix()),
            "langevin_K2_model": _desc_eigs(model_K2)}
    ratios = {k: (v / real_e).tolist() for k, v in cols.items() if k != "real_sgd_exact"}
    return {"parameters": {"n": n, "d": d, "c": c, "alpha": alpha, "T": T,
                           "batch_size": batch_size, "sigma_w2": sigma_w2,
                           "sigma_star2": sigma_star2, "replacement": replacement, "N": N,
                           "seed": seed},
            "second_moment_spectral_radius": float(sgd_second_moment_radius(
                X, alpha, batch_size, replacement=replacement)),
            "eigenvalues": {k: v.tolist() for k, v in cols.items()},
            "ratio_to_real_sgd": ratios,
            "max_rel_err_mc_vs_exact_top3": float(np.max(np.abs(mc[:3] - exp_mc[:3])
                                                         / exp_mc[:3]))}


def write_sgd_comparison(result: dict, out: str | os.PathLike) -> Path:
    """Write ``sgd_compare.json``, ``sgd_compare.csv``, ``sgd_compare.md`` and a figure
    (PNG and PDF); every sentence of the report is computed from ``result``."""
    with output_folder(out) as out:
        return _write(result, out)


_LABELS = {"gd": "full-batch GD (exact)", "real_sgd_exact": "real SGD (exact moments)",
           "real_sgd_monte_carlo": "real SGD (Monte-Carlo, N runs)",
           "langevin_thesis_D": "Langevin, noise D = XᵀX/n − x̄ᵀx̄",
           "langevin_K2_model": "Langevin, residual noise (α²/b)K² (thesis Pξ)"}


def _write(result: dict, out: Path) -> Path:
    from matplotlib.figure import Figure
    atomic_write_text(out / "sgd_compare.json", json_dumps(result, indent=1))
    ev = result["eigenvalues"]
    keys = list(ev)
    rows = ["i," + ",".join(keys)]
    for i in range(len(ev[keys[0]])):
        rows.append(f"{i + 1}," + ",".join(f"{ev[k][i]:.10g}" for k in keys))
    atomic_write_text(out / "sgd_compare.csv", "\n".join(rows) + "\n")
    prm = result["parameters"]
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.subplots()
    idx = np.arange(1, len(ev[keys[0]]) + 1)
    for k, style in zip(keys, ["k-", "C0-", "C0o", "C3--", "C2-."]):
        lab = _LABELS.get(k, k).replace("N runs", f"N = {prm['N']} runs")
        vals = np.asarray(ev[k], dtype=float)
        ax.semilogy(idx, np.where(vals > 0, vals, np.nan), style, label=lab, mfc="none")
    ax.set_xlabel("index i of the eigenvalue")
    ax.set_ylabel("eigenvalue of P(T)  (eq. 5.2.5)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"Real minibatch SGD vs its Langevin models (§5.3): n = {prm['n']}, "
                 f"d = {prm['d']}, b = {prm['batch_size']}, α = {prm['alpha']:g}, "
                 f"T = {prm['T']}\n(non-positive eigenvalues are not drawn)", fontsize=9)
    ax.legend(fontsize=7)
    for ext in ("png", "pdf"):
        atomic_savefig(fig, out / f"sgd_compare.{ext}", dpi=150)
    rho = result["second_moment_spectral_radius"]
    ratios = result["ratio_to_real_sgd"]
    worst = {k: float(np.max(np.abs(np.log(np.abs(np.asarray(v, dtype=float))))))
             for k, v in ratios.items() if np.all(np.asarray(v, dtype=float) > 0)}
    lines = ["# Real minibatch SGD vs the Langevin model (§5.3)", "",
             f"Parameters: `{json.dumps(prm)}`", "",
             f"Spectral radius of the real-SGD second-moment map: {radius_sentence(rho)}.", "",
             f"Monte-Carlo check: the top-3 eigenvalues of {prm['N']} simulated SGD runs differ "
             f"from the exact expectation by at most "
             f"{100 * result['max_rel_err_mc_vs_exact_top3']:.2g}% (relative).", "",
             "| i | " + " | ".join(keys) + " |", "|" + "---|" * (len(keys) + 1)]
    for i in range(len(idx)):
        lines.append(f"| {i + 1} | " + " | ".join(f"{ev[k][i]:.4g}" for k in keys) + " |")
    lines += ["", "Ratios to exact real SGD (per index):", ""]
    for k, v in ratios.items():
        lines.append(f"- {k}: " + ", ".join(f"{x:.3g}" for x in v))
    if worst:
        best = min(worst, key=worst.get)
        lines += ["", "Largest deviation from exact real SGD over all indices, as a factor: "
                  + ", ".join(f"{k} ×{np.exp(w):.3g}" for k, w in worst.items())
                  + f"; closest: {best}."]
    lines += ["", "![spectra](sgd_compare.png)"]
    report = out / "sgd_compare.md"
    atomic_write_text(report, "\n".join(lines) + "\n")
    return report
