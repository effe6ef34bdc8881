"""Shared machinery of the Chapter 4 reproductions (private; see :mod:`.reproduce`).

Parameter tables (value, source, reason), the :class:`Reproduction` record, the report writer,
and fast exact spectra used by several figures:

* :func:`fim_spectrum` — the FIM :math:`F = \\frac1n\\sum_k J_k^\\top(\\operatorname{diag}p_k -
  p_kp_k^\\top)J_k` (nats, §4.2) from its exact square-root factor (the Gauss–Newton factor of
  :mod:`._ggn` times √ln 2): all its nonzero eigenvalues from an n(C−1)-dimensional Gram matrix,
  the other p − n(C−1) exactly zero;
* :func:`empirical_fim_spectrum` — :math:`\\frac1n\\sum_k g_kg_k^\\top` from per-sample
  gradients (Gram matrix, exact zeros beyond rank n);
* :func:`hessian_top` — the largest-magnitude eigenvalues of the Hessian of ĕ by Lanczos.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from hyperribbon.experiments import _figures
from hyperribbon.experiments._figures import Reproduction, parameter

from ._io import atomic_write_text, fmt, versions, write_json

__all__ = ["P", "Reproduction", "resolve_parameters", "write_report", "fim_spectrum",
           "empirical_fim_spectrum", "hessian_top", "float64_copy", "subset"]


P = parameter   # one row of a parameter table (hyperribbon.experiments._figures)


def resolve_parameters(figure: str, spec: dict, quick: bool, overrides: dict) -> dict:
    """The parameter table after ``--quick`` sizes and user overrides (source ``flag``)."""
    return _figures.resolve_parameters(figure, spec, quick, overrides)


def write_report(out: Path, figure: str, spec: dict, prm: dict, lines: list, checks: dict,
                 files: list, seconds: float) -> Path:
    """``report.md``: caption, parameter table, what was measured, checks, versions, files."""
    sources = ("Sources: *caption* = stated by the thesis (caption or §4.7.1); *choice* = "
               "chosen here (the thesis's networks and data sets are too large for a CPU run, or "
               "it does not say), change it with the parameter of the same name; *quick* = "
               "reduced for `--quick`; *flag* = set by the user.")
    text = _figures.report_text(figure, spec["title"], f"Thesis caption: {spec['caption']}", prm,
                                sources, lines, checks,
                                f"Versions: {versions()}. Run time {fmt(seconds, 3)} s.", files)
    return atomic_write_text(Path(out) / "report.md", text)


def write_meta(out: Path, figure: str, prm: dict, checks: dict, seconds: float) -> Path:
    return write_json(Path(out) / f"{figure.replace('.', '_')}.json",
                      {"figure": figure, "parameters": prm, "checks": checks,
                       "versions": versions(), "seconds": seconds})


def float64_copy(model):
    """A float64 deep copy of ``model`` in eval mode."""
    import copy
    return copy.deepcopy(model).double().eval()


def subset(dataset, samples: int | None, split: str = "train"):
    """The first ``samples`` rows of a split as float64 / int64 torch tensors."""
    import torch
    x = getattr(dataset, f"x_{split}")
    y = getattr(dataset, f"y_{split}")
    if samples is not None:
        x, y = x[:samples], y[:samples]
    return (torch.from_numpy(np.ascontiguousarray(x)).double(),
            torch.from_numpy(np.ascontiguousarray(y)))


def _gram_values(S: np.ndarray, scale: float, label: str):
    """Spectrum of scale·SᵀS from the Gram matrix S Sᵀ (or SᵀS when smaller)."""
    from hyperribbon.numerics.curvature import spectrum_from_values

    from ._ggn import ggn_eigh
    m, p = S.shape
    lam, _, _ = ggn_eigh(S, rtol=0.0)
    k = min(m, p)
    lam_all = np.zeros(k)
    lam_all[:lam.size] = lam
    vals = scale * lam_all
    eps = float(np.finfo(np.float64).eps)
    floor = k * 2 * eps * float(np.max(np.abs(vals), initial=0.0))
    return spectrum_from_values(vals, floor=floor, dimension=p, rest_bound=0.0, label=label,
                                method="gram-eigh")


def fim_spectrum(model, X, label: str = "F (FIM, nats)"):
    """Every eigenvalue of the FIM of ``model`` (eval mode) on inputs X (a Spectrum of
    dimension p; the unlisted p − n(C−1) eigenvalues are exact zeros, ``rest_bound = 0``)."""
    from ._ggn import ggn_factor
    S = ggn_factor(model, X)
    return _gram_values(S, math.log(2.0), label)


def empirical_fim_spectrum(model, X, y, label: str = "empirical FIM (nats)"):
    """Every eigenvalue of (1/n)Σ_k ∇ℓ_k∇ℓ_kᵀ (ℓ the cross-entropy in nats) from per-sample
    gradients (torch.func, float64)."""
    import torch

    from ._flat import flat_params, flat_spec, logits_at
    m64 = float64_copy(model)
    spec = flat_spec(m64)
    theta = flat_params(m64)
    X = X.double()

    def loss_one(th, x, t):
        return torch.nn.functional.cross_entropy(logits_at(m64, th, x[None], spec), t[None])

    G = torch.func.vmap(torch.func.grad(loss_one), in_dims=(None, 0, 0))(theta, X, y)
    n = G.shape[0]
    return _gram_values(G.detach().numpy() / math.sqrt(n), 1.0, label)


def hessian_top(model, X, y, k: int, seed: int = 0, label: str = "|H| (Hessian of ĕ, bits)"):
    """The ``k`` largest-magnitude eigenvalues of the Hessian of ĕ (Lanczos, float64)."""
    from hyperribbon.numerics.curvature import curvature_operator, top_eigenvalues
    op = curvature_operator(float64_copy(model), "cross_entropy", X.double(), y,
                            kind="hessian", normalisation="thesis")
    k = min(int(k), op.shape[0] - 1)
    return top_eigenvalues(op, k, which="LM", seed=seed, label=label)


class Timer:
    """Seconds per named step (for reports)."""

    def __init__(self):
        self.t0 = time.time()
        self.steps = {}

    def mark(self, name):
        now = time.time()
        self.steps[name] = now - self.t0
        self.t0 = now
