r"""Spectra of the Chapter 4 quantities of one network, and their sloppiness summary.

:func:`quantity_spectra` computes, for a torch model and data, any of

=========================  ==================================================================
``hessian``                H of ĕ (loss in bits, thesis §4.2): ``kind='hessian'``, ``'thesis'``
``ggn``                    its Gauss–Newton part H̃ (Thm 4.3.1)
``fisher``                 the FIM F of §4.2 (nats, expectation over the model's outputs)
``empirical-fisher``       F with the labels y_k in place of the expectation (Fig 4.11)
``kfac``                   the Kronecker-factored block-diagonal approximation of H̃ (Fig 4.2)
``inputs``                 E[xxᵀ]
``activations``            E[h^k h^kᵀ] of the input of every Linear/Conv2d layer
``activation-gradients``   E[g^{k+1} g^{k+1ᵀ}], g = ∂ℓ/∂u^{k+1} per layer
``logit-jacobians``        E[dz_i/dw dz_i/dwᵀ] per logit and for Σ_i z_i
=========================  ==================================================================

through :mod:`hyperribbon.numerics.curvature` (curvlinops operators; dense ``eigh`` when the
matrix is small, Lanczos top-k otherwise), each as a ``Spectrum`` with its noise floor and
resolved mask. :func:`summarise` adds the fitted exponential decay rate and the measures
p(n,ε), s(n,ε), c(n,ε) of §4.4 (eqs. 4.4.1–4.4.3).
"""
from __future__ import annotations

import math

import numpy as np

from hyperribbon.theory import InvalidArgument

__all__ = ["QUANTITIES", "CURVATURE_QUANTITIES", "quantity_spectra", "summarise",
           "model_tensors"]

CURVATURE_QUANTITIES = ("hessian", "ggn", "fisher", "empirical-fisher", "kfac")
CORRELATION_QUANTITIES = ("inputs", "activations", "activation-gradients", "logit-jacobians")
QUANTITIES = CURVATURE_QUANTITIES + CORRELATION_QUANTITIES
_KIND = {"hessian": "hessian", "ggn": "ggn", "fisher": "fisher",
         "empirical-fisher": "empirical_fisher", "kfac": "kfac"}
_CORR = {"inputs": "inputs", "activations": "activations",
         "activation-gradients": "activation_gradients", "logit-jacobians": "logit_jacobians"}


def model_tensors(dataset, split: str = "train", samples: int | None = None, dtype=None):
    """``(X, y)`` torch tensors of a Dataset split (first ``samples`` rows), float32 inputs."""
    import torch
    x = getattr(dataset, f"x_{split}")
    y = getattr(dataset, f"y_{split}")
    if samples is not None:
        x, y = x[:samples], y[:samples]
    X = torch.from_numpy(np.ascontiguousarray(x))
    if dtype is not None:
        X = X.to(dtype)
    return X, torch.from_numpy(np.ascontiguousarray(y))


def quantity_spectra(quantity: str, model, X, y, *, top: int | None = None,
                     dense_limit: int = 5000, seed: int = 0, batch_size: int | None = None,
                     float64: bool = True, progress: bool = False) -> dict:
    """Spectra of ``quantity`` for ``model`` on ``(X, y)``.

    Parameters
    ----------
    quantity : str
        One of :data:`QUANTITIES`.
    model : torch.nn.Module
        In eval mode (batch norm uses its running statistics).
    X : (n, ...) tensor in the parameters' dtype; y : (n,) int64 tensor
    top : int, optional
        Curvature quantities: compute only the ``top`` largest eigenvalues by Lanczos (default:
        every eigenvalue when p ≤ ``dense_limit``, else the top 200).
    dense_limit : int
        Largest p for a dense eigendecomposition.
    seed : int
        Lanczos starting vector.
    float64 : bool
        Evaluate a float64 copy of the model (default): the noise floor of a dense spectrum is
        then ≈ p·2ε₆₄·λ₁ instead of p·ε₃₂·λ₁ for a float32 network, so many more of the small
        eigenvalues of a sloppy spectrum are resolved.

    Returns
    -------
    dict of str to Spectrum
        ``{quantity: Spectrum}`` for curvature quantities; one entry per layer or logit
        (``'activations/<layer>'``, ``'logit_jacobian/<i>'``, ...) for correlations.
    """
    from hyperribbon.numerics.curvature import (correlation_spectra, curvature_operator,
                                                full_spectrum, top_eigenvalues)
    owner = "quantity_spectra"
    if quantity not in QUANTITIES:
        raise InvalidArgument("quantity", owner, f"be one of {QUANTITIES}", quantity)
    import torch
    if float64:
        import copy
        model = copy.deepcopy(model).double().eval()
        X = X.to(torch.float64)
    if quantity in CURVATURE_QUANTITIES:
        params = None
        if quantity == "kfac":
            # KFAC is defined for Linear/Conv2d layers: other parameters (batch norm, layer norm,
            # embeddings) are left out of the matrix, and the label says so
            params = [f"{mn}.{pn}" if mn else pn for mn, mod in model.named_modules()
                      if isinstance(mod, (torch.nn.Linear, torch.nn.Conv2d))
                      for pn, _ in mod.named_parameters(recurse=False)]
        op = curvature_operator(model, "cross_entropy", X, y, kind=_KIND[quantity],
                                params=params, normalisation="thesis", batch_size=batch_size,
                                seed=seed, progress=progress)
        p = op.shape[0]
        label = {"hessian": "H (Hessian of ĕ, bits)", "ggn": "H̃ (Gauss–Newton of ĕ, bits)",
                 "fisher": "F (FIM, nats)", "empirical-fisher": "empirical FIM (nats)",
                 "kfac": "KFAC of H̃ (bits)"}[quantity]
        if params is not None and len(params) < sum(1 for _ in model.parameters()):
            label += ", Linear/Conv2d parameters only"
        if top is None and p <= dense_limit:
            spec = full_spectrum(op, label=label)
        else:
            k = min(top or 200, p - 1)
            which = "LM" if quantity == "hessian" else "LA"
            spec = top_eigenvalues(op, k, which=which, seed=seed, label=label)
        return {quantity: spec}
    with_grad = quantity == "activation-gradients"
    return correlation_spectra(model, X, y if with_grad else None,
                               loss="cross_entropy" if with_grad else None,
                               which=(_CORR[quantity],), progress=progress)


def _psd_view(spec):
    """The spectrum itself if no eigenvalue is negative beyond its error, else its magnitudes."""
    if np.any(spec.values < -spec.errors):
        return spec.magnitudes(), True
    return spec, False


def summarise(spec, n: int, eps: float | None = None, *, top: int = 10) -> dict:
    r"""Top eigenvalues, decay rate and §4.4 measures of one spectrum.

    Parameters
    ----------
    spec : Spectrum
    n : int
        Number of samples the matrix averages over (n of eqs. 4.4.1–4.4.4).
    eps : float, optional
        Prior precision ε; without it p, s, c are not computed.
    top : int
        Number of leading eigenvalues listed.

    Returns
    -------
    dict
        ``top`` (list of dicts: index, value, error, resolved), ``n_resolved``, ``dimension``,
        ``floor``, ``decay`` (rate, stderr, range, used) or None, and when ``eps`` is given ``p``,
        ``s``, ``c`` (value, lower, upper, decided) and ``inv_c``; ``magnitudes`` says whether
        the measures were taken on |λ| (a matrix with negative eigenvalues: §4.4 assumes a local
        minimum, H ⪰ 0; Fig 4.10 plots |λ|).
    """
    from hyperribbon.numerics.curvature import decay_rate, sloppiness_summary
    view, mags = _psd_view(spec)
    k = min(top, len(spec))
    rows = [{"index": i + 1, "value": float(spec.values[i]), "error": float(spec.errors[i]),
             "resolved": bool(spec.resolved[i])} for i in range(k)]
    out = {"label": spec.label, "method": spec.method, "dimension": spec.dimension,
           "listed": len(spec), "n_resolved": spec.n_resolved, "floor": spec.floor,
           "top": rows, "magnitudes": mags, "n": int(n)}
    try:
        fit = decay_rate(view)
        out["decay"] = {"rate": fit.rate, "stderr": fit.stderr, "first": int(fit.indices[0]),
                        "last": int(fit.indices[-1]), "used": fit.n_used,
                        "log10_per_index": fit.log10_slope}
    except InvalidArgument:
        out["decay"] = None
    if eps is not None:
        m = sloppiness_summary(view, int(n), float(eps))
        out["eps"] = float(eps)
        for key in ("p", "s", "c"):
            meas = m[key]
            out[key] = {"value": meas.value, "lower": meas.lower, "upper": meas.upper,
                        "decided": meas.decided}
        c = m["c"]
        out["inv_c"] = {"value": _inv(c.value), "lower": _inv(c.upper),
                        "upper": _inv(c.lower), "decided": c.decided}
    return out


def _inv(c: float) -> float:
    """1/c with 1/0 = inf, 1/inf = 0 and nan kept."""
    if math.isnan(c):
        return math.nan
    if c == 0:
        return math.inf
    return 0.0 if math.isinf(c) else 1.0 / c
