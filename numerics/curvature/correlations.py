r"""Correlation spectra of inputs, activations, activation gradients and logit Jacobians.

Thesis §4.3 and Fig 4.1 (top), Figs 4.5–4.7: for a dataset :math:`D_n` the expectation is the
empirical one, :math:`\mathbb E[xx^\top] = \frac1n\sum_k x_kx_k^\top` (§4.7.3, uncentred).
For a matrix of per-sample rows :math:`A \in \mathbb R^{n\times d}` the correlation
:math:`\frac1nA^\top A` (:math:`d\times d`) and the Gram matrix :math:`\frac1nAA^\top`
(:math:`n\times n`) share their non-zero eigenvalues, and the other :math:`|d-n|` are exactly
zero, so the cheaper side is used (logit Jacobians have :math:`d = p \gg n`).

* inputs: :math:`\mathbb E[xx^\top]` (inputs flattened);
* activations of a layer :math:`w^k`: :math:`\mathbb E[h^kh^{k\top}]` with :math:`h^k` the
  layer's input (Lemma 4.3.2's matrix; forward pre-hooks on every ``Linear``/``Conv2d`` layer by
  default, feature maps flattened);
* activation gradients: :math:`\mathbb E[g^{k+1}g^{k+1\top}]`,
  :math:`g^{k+1} = \partial\ell_k/\partial u^{k+1}` the per-sample loss gradient with respect to
  the layer's output (pre-activation; the factor of Remark 4.7.6 and of KFAC), by tensor hooks
  during one backward pass of the summed loss;
* logit Jacobians: :math:`\mathbb E[\frac{dz_i}{dw}\frac{dz_i}{dw}^\top]` for each logit
  :math:`z_i` (Lemma 4.3.2) and for the sum of logits (Corollary 4.7.7), from per-sample
  Jacobians (:func:`torch.func.jacrev`) accumulated block by block into the Gram matrix
  (memory ``max_bytes``).

Error bounds: when the rows fit in memory the eigenvalues are squared singular values of
:math:`A/\sqrt n` (LAPACK ``gesdd``), :math:`|\hat\sigma_i-\sigma_i| \le \delta =
k(\varepsilon_{64}+\varepsilon_{\text{entries}})\sigma_{\max}`, so
:math:`|\hat\lambda_i - \lambda_i| \le 2\hat\sigma_i\delta + \delta^2` (floor :math:`\delta^2`);
otherwise the Gram matrix's eigenvalues by ``syevd`` with the dense floor
:math:`k(\varepsilon_{64}+\varepsilon_{\text{entries}})\lambda_{\max}`.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from hyperribbon.theory import InvalidArgument

from ._spec import (check_data, check_model, dtype_of, resolve_loss, resolve_params)
from ._validate import as_bool, as_int
from .spectrum import Spectrum

__all__ = ["gram_spectrum", "input_correlation_spectrum", "correlation_spectra"]

_EPS64 = float(np.finfo(np.float64).eps)
_WHICH = ("inputs", "activations", "activation_gradients", "logit_jacobians")


def _rows(A, owner):
    if isinstance(A, torch.Tensor):
        eps = float(torch.finfo(A.dtype).eps) if A.is_floating_point() else _EPS64
        A = A.detach().to("cpu", torch.float64).numpy()
    else:
        A = np.asarray(A)
        eps = float(np.finfo(A.dtype).eps) if np.issubdtype(A.dtype, np.floating) else _EPS64
        A = A.astype(np.float64)
    if A.ndim < 2 or A.shape[0] < 1:
        raise InvalidArgument("A", owner, "have a sample axis and features: shape (n, d, ...)", A)
    A = A.reshape(A.shape[0], -1)
    if not np.all(np.isfinite(A)):
        raise InvalidArgument("A", owner, "be finite", A)
    return A, max(eps, _EPS64)


def gram_spectrum(A, *, label: str = "", entry_eps: float | None = None) -> Spectrum:
    r"""Eigenvalues of :math:`\frac1nA^\top A` for rows :math:`A \in \mathbb R^{n\times d}`.

    .. math:: \operatorname{spec}\bigl(\tfrac1nA^\top A\bigr) =
              \operatorname{spec}\bigl(\tfrac1nAA^\top\bigr) \cup \{0\}^{d-n}
              \quad (n < d)

    Parameters
    ----------
    A : (n, d, ...) array_like or torch.Tensor
        One row per sample (trailing axes flattened).
    label : str
    entry_eps : float, optional
        Relative rounding of the entries (default: epsilon of A's dtype).

    Returns
    -------
    Spectrum
        ``dimension = d``, ``min(n, d)`` values, ``rest_bound = 0`` (the rest are exact zeros),
        ``method = 'svd'``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((5, 40)) * np.exp(-0.2 * np.arange(40))
    >>> s = gram_spectrum(A)
    >>> ref = np.linalg.eigvalsh(A.T @ A / 5)[::-1][:5]
    >>> len(s), s.dimension, bool(np.allclose(s.values, ref, atol=1e-12))
    (5, 40, True)
    """
    owner = "gram_spectrum"
    A, eps = _rows(A, owner)
    if entry_eps is not None:
        from ._validate import as_float

        eps = max(as_float(entry_eps, "entry_eps", owner, positive=True), _EPS64)
    n, d = A.shape
    sv = np.linalg.svd(A / math.sqrt(n), compute_uv=False)
    k = sv.size
    delta = k * (_EPS64 + eps) * (float(sv[0]) if k else 0.0)
    values = sv ** 2
    errors = 2 * sv * delta + delta ** 2
    return Spectrum(values, errors, delta ** 2, d, 0.0, "svd", label,
                    0, {"n_samples": n, "entry_eps": eps})


def _gram_eigh(K, d, n, eps, label, meta):
    """Spectrum of (1/n)·(a symmetric n×n or d×d cross-product), dense floor."""
    values = np.linalg.eigvalsh(0.5 * (K + K.T) / n)
    k = values.size
    floor = k * (_EPS64 + eps) * float(np.max(np.abs(values)))
    return Spectrum(values, np.full(k, floor), floor, d, 0.0, "gram-eigh", label, 0,
                    dict(meta, n_samples=n, entry_eps=eps))


def input_correlation_spectrum(X, *, label: str = "inputs") -> Spectrum:
    r"""Eigenvalues of the input correlation :math:`\mathbb E[xx^\top] = \frac1n\sum_kx_kx_k^\top`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(1).standard_normal((200, 3)) * [3.0, 1.0, 0.1]
    >>> s = input_correlation_spectrum(X)
    >>> bool(np.allclose(s.values, np.linalg.eigvalsh(X.T @ X / 200)[::-1]))
    True
    """
    return gram_spectrum(X, label=label)


def _default_layers(model):
    return [name for name, m in model.named_modules()
            if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]


def _jacobian_spectra(model, X, names, tensors, logits, sum_of_logits, max_bytes, progress):
    from .dense import _functional

    shapes = [tuple(t.shape) for t in tensors]
    f = _functional(model, names, shapes)
    theta = torch.cat([t.detach().reshape(-1) for t in tensors])
    p = int(theta.numel())
    n = int(X.shape[0])
    with torch.no_grad():
        C = int(model(X[:1]).shape[1])
    rows = list(logits) + (["sum"] if sum_of_logits else [])
    r = len(rows)
    itemsize = theta.element_size()
    block = max(1, int(max_bytes // max(1, 2 * r * p * itemsize)))
    block = min(block, n)
    eps = float(torch.finfo(theta.dtype).eps)
    select = torch.tensor([c for c in logits], dtype=torch.long, device=theta.device)

    def jac(idx):
        J = torch.func.jacrev(lambda th: f(th, X[idx]))(theta).detach()    # (b, C, p)
        parts = [J[:, select]] if len(logits) else []
        if sum_of_logits:
            parts.append(J.sum(dim=1, keepdim=True))
        return torch.cat(parts, dim=1).to(torch.float64)                     # (b, r, p)

    from ._gram import blocked_gram

    K, via = blocked_gram(jac, n, r, p, block, joint=False, progress=progress,
                          desc="logit Jacobians")
    out = {}
    for i, which in enumerate(rows):
        key = f"logit_jacobian/{which}"
        label = (f"E[dz_{which}/dw dz_{which}/dwᵀ]" if which != "sum"
                 else "E[d(Σz)/dw d(Σz)/dwᵀ]")
        out[key] = _gram_eigh(K[i], p, n, eps, label,
                              {"via": "gram n×n" if via == "gram" else "p×p", "block": block})
    return out


def correlation_spectra(model, X, y=None, *, loss=None, layers=None, which=_WHICH,
                        logits=None, sum_of_logits: bool = True, params=None,
                        max_bytes: int = 2 ** 28, progress: bool = False) -> dict:
    r"""The correlation spectra of thesis Fig 4.1 (top) for any torch model.

    Parameters
    ----------
    model : torch.nn.Module
        Maps X (n, ...) to logits (n, C); eval mode if it has dropout/batch norm.
    X : (n, ...) torch.Tensor
        Inputs in the parameters' dtype.
    y : torch.Tensor, optional
        Targets; needed for ``'activation_gradients'``.
    loss : str or torch criterion, optional
        Needed for ``'activation_gradients'`` (as in :func:`curvature_operator`).
    layers : list of str, optional
        Module names whose inputs (activations) and output gradients are recorded; default every
        ``Linear``/``Conv2d`` module.
    which : iterable of str
        Subset of ``('inputs', 'activations', 'activation_gradients', 'logit_jacobians')``.
    logits : list of int, optional
        Logits for the per-logit Jacobian spectra (default all); ``[]`` for none.
    sum_of_logits : bool
        Also the Jacobian of :math:`\sum_i z_i` (Corollary 4.7.7).
    params : list, optional
        Parameters of the Jacobians (default all with ``requires_grad``).
    max_bytes : int
        Memory for a block of per-sample Jacobians.
    progress : bool

    Returns
    -------
    dict of str to Spectrum
        Keys ``'inputs'``, ``'activations/<layer>'``, ``'activation_gradients/<layer>'``,
        ``'logit_jacobian/<i>'``, ``'logit_jacobian/sum'``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(),
    ...                           torch.nn.Linear(6, 3)).double()
    >>> X = torch.randn(20, 4, dtype=torch.float64)
    >>> out = correlation_spectra(net, X, which=("inputs", "activations"))
    >>> sorted(out)
    ['activations/0', 'activations/2', 'inputs']
    >>> h = torch.relu(net[0](X)).detach().numpy()          # input of layer '2'
    >>> ref = np.linalg.eigvalsh(h.T @ h / 20)[::-1]
    >>> bool(np.allclose(out["activations/2"].values, ref, atol=1e-12))
    True
    """
    owner = "correlation_spectra"
    model = check_model(model, owner)
    try:
        chosen = tuple(which)
    except TypeError:
        raise InvalidArgument("which", owner, f"be a subset of {_WHICH}", which) from None
    if not chosen or any(w not in _WHICH for w in chosen) or isinstance(which, str):
        raise InvalidArgument("which", owner, f"be a non-empty subset of {_WHICH}", which)
    sum_of_logits = as_bool(sum_of_logits, "sum_of_logits", owner)
    max_bytes = as_int(max_bytes, "max_bytes", owner, minimum=1)
    progress = as_bool(progress, "progress", owner)
    names, tensors = resolve_params(model, params, owner)
    dtype = dtype_of(tensors, owner)
    if not isinstance(X, torch.Tensor) or X.ndim < 1 or X.shape[0] < 1:
        raise InvalidArgument("X", owner, "be a torch.Tensor of inputs (n, ...)", X)
    needs_grad = "activation_gradients" in chosen
    if needs_grad:
        if y is None or loss is None:
            raise InvalidArgument("y", owner, "be given together with `loss` for "
                                  "'activation_gradients'", y)
        spec = resolve_loss(loss, owner)
        check_data(model, spec, X, y, owner, dtype)
    elif X.is_floating_point() and X.dtype != dtype:
        raise InvalidArgument("X", owner, f"have the parameters' dtype {dtype}", X)
    X = X.to(tensors[0].device)
    if y is not None:
        y = y.to(tensors[0].device)
    modules = dict(model.named_modules())
    if layers is None:
        layer_names = _default_layers(model)
    else:
        if isinstance(layers, str) or not hasattr(layers, "__iter__"):
            raise InvalidArgument("layers", owner, "be a list of module names", layers)
        layer_names = list(layers)
        bad = [nm for nm in layer_names if nm not in modules or nm == ""]
        if bad or not layer_names:
            raise InvalidArgument("layers", owner, "name sub-modules of the model", bad or layers)
    with torch.no_grad():
        out1 = model(X[:1])
    if not isinstance(out1, torch.Tensor) or out1.ndim != 2:
        raise InvalidArgument("model", owner, "return a 2-D tensor (n, C) of logits",
                              getattr(out1, "shape", out1))
    C = int(out1.shape[1])
    if logits is None:
        logit_list = list(range(C))
    else:
        if isinstance(logits, (str, bytes)) or not hasattr(logits, "__iter__"):
            raise InvalidArgument("logits", owner, f"be a list of logit indices in [0, {C})",
                                  logits)
        logit_list = [as_int(c, "logits", owner, minimum=0, maximum=C - 1) for c in logits]
    eps = float(torch.finfo(dtype).eps)
    out = {}
    if "inputs" in chosen:
        out["inputs"] = gram_spectrum(X, label="E[x xᵀ]", entry_eps=eps)
    if "activations" in chosen or needs_grad:
        acts, grads, handles = {}, {}, []

        def pre(name):
            def hook(mod, inputs):
                acts[name] = inputs[0].detach()
            return hook

        def post(name):
            def hook(mod, inputs, output):
                if needs_grad and output.requires_grad:
                    output.register_hook(lambda g: grads.__setitem__(name, g.detach()))
            return hook

        for nm in layer_names:
            handles.append(modules[nm].register_forward_pre_hook(pre(nm)))
            handles.append(modules[nm].register_forward_hook(post(nm)))
        try:
            with torch.enable_grad():
                F = model(X)
                if needs_grad:        # fires the output hooks; leaves .grad untouched
                    torch.autograd.grad(spec.total(F, y), tensors)
        finally:
            for h in handles:
                h.remove()
        if "activations" in chosen:
            for nm in layer_names:
                out[f"activations/{nm}"] = gram_spectrum(acts[nm], label=f"E[h hᵀ] input of {nm}",
                                                         entry_eps=eps)
        if needs_grad:
            for nm in layer_names:
                if nm not in grads:
                    raise InvalidArgument("layers", owner, "name layers on the path from the "
                                          "parameters to the loss (no gradient reached it)", nm)
                out[f"activation_gradients/{nm}"] = gram_spectrum(
                    grads[nm], label=f"E[g gᵀ], g = dℓ/d(output of {nm})", entry_eps=eps)
    if "logit_jacobians" in chosen and (logit_list or sum_of_logits):
        out.update(_jacobian_spectra(model, X, names, tensors, logit_list, sum_of_logits,
                                     max_bytes, progress))
    return out
