r"""Exact dense curvature matrices by torch.func — the slow reference beside every operator.

For small networks (:math:`p` up to a few thousand) :func:`dense_curvature` builds each matrix
of :func:`~hyperribbon.numerics.curvature.curvature_operator` from its definition, by a route
independent of curvlinops:

* ``'hessian'``: :func:`torch.func.hessian` of :math:`\sum_k \ell_k` in the flat parameters;
* ``'ggn'``: per-sample Jacobians :math:`J_k` (:func:`torch.func.jacrev`) and per-sample output
  Hessians :math:`\nabla_f^2\ell_k`, :math:`\sum_k J_k^\top \nabla_f^2\ell_k J_k`;
* ``'fisher'``: the expectation over the model's own output distribution written out —
  cross-entropy: :math:`\sum_k\sum_{y=1}^C p_{ky}\,J_k^\top(p_k-e_y)(p_k-e_y)^\top J_k`
  (enumerating the classes); MSE (Gaussian of variance 1/2):
  :math:`\mathbb E[(2\xi)(2\xi)^\top] = 2I`; BCE: independent Bernoulli outputs,
  :math:`\mathbb E[(\sigma-\tilde y)(\sigma-\tilde y)^\top]` from the two outcomes per output;
* ``'empirical_fisher'``: per-sample gradients by ``vmap(grad)``, :math:`\sum_k g_kg_k^\top`;
* ``'kfac'``: per ``Linear``/``Conv2d`` layer the Kronecker factors from forward inputs
  (``unfold`` patches for convolutions) and per-sample output-to-layer Jacobians by plain
  autograd: weight block :math:`G\otimes A`, bias block :math:`G`, with
  :math:`A = \frac{1}{nT}\sum_{k,t} a_{kt}a_{kt}^\top` and
  :math:`G = \sum_{k,t} B_{kt}^\top\nabla_f^2\ell_k B_{kt}` (``'type-2'``) or
  :math:`\sum_{k,t} g_{kt}g_{kt}^\top` (``'empirical'``), :math:`T` the number of spatial
  positions (KFAC-expand; Martens & Grosse 2015, Grosse & Martens 2016).

All then multiplied by the normalisation constant :math:`c` and restricted to ``blocks``.  The
Monte-Carlo Fisher has no dense reference (it is random; its expectation is ``'fisher'``).
"""
from __future__ import annotations

import numpy as np
import torch
from torch.func import functional_call, grad, hessian, jacrev, vmap

from ._spec import (check_data, check_model, dtype_of, normalisation_scale, resolve_blocks,
                    resolve_loss, resolve_params)
from ._validate import as_choice

__all__ = ["dense_curvature", "flat_parameters"]

_DENSE_KINDS = ("hessian", "ggn", "fisher", "empirical_fisher", "kfac")


def flat_parameters(model, params=None):
    r"""Names, shapes and the flat vector of the selected parameters (the operators' layout).

    Parameters
    ----------
    model : torch.nn.Module
    params : list of str or tensors, optional
        Default: every parameter with ``requires_grad``.

    Returns
    -------
    names : list of str
    shapes : list of tuple
    vector : (p,) torch.Tensor
        Each parameter flattened row-major, concatenated in the model's order (detached copy).
    """
    owner = "flat_parameters"
    model = check_model(model, owner)
    names, tensors = resolve_params(model, params, owner)
    return (names, [tuple(t.shape) for t in tensors],
            torch.cat([t.detach().reshape(-1) for t in tensors]).clone())


def _functional(model, names, shapes):
    base = {k: v.detach() for k, v in model.named_parameters()}
    base.update({k: v for k, v in model.named_buffers()})
    sizes = [int(np.prod(s)) for s in shapes]

    def f(theta, x):
        parts = torch.split(theta, sizes)
        state = dict(base)
        state.update({n: t.reshape(s) for n, t, s in zip(names, parts, shapes)})
        return functional_call(model, state, (x,))

    return f


def _output_second_moment(spec, F, y):
    """E_{ỹ~p(·|f_k)}[∇_fℓ ∇_fℓᵀ] per sample, written out from the output distribution."""
    n, C = F.shape
    if spec.name == "cross_entropy":
        P = torch.softmax(F, dim=1)
        eye = torch.eye(C, dtype=F.dtype, device=F.device)
        out = torch.zeros(n, C, C, dtype=F.dtype, device=F.device)
        for c in range(C):                              # enumerate the classes ỹ = c
            g = P - eye[c]                             # ∇_f(−log p_c) = p − e_c
            out += P[:, c, None, None] * g[:, :, None] * g[:, None, :]
        return out
    if spec.name == "mse":
        # ỹ ~ N(f, I/2): ∇_f ℓ = 2(f − ỹ) = −2ξ, ξ ~ N(0, I/2): E = 4·(1/2)·I.
        return 2.0 * torch.eye(C, dtype=F.dtype, device=F.device).expand(n, C, C).clone()
    s = torch.sigmoid(F)                                 # P(ỹ_c = 1); outputs independent
    mean = s * (s - 1) + (1 - s) * s                     # E[σ − ỹ] over ỹ ∈ {0, 1}
    second = s * (s - 1) ** 2 + (1 - s) * s ** 2         # E[(σ − ỹ)²] over ỹ ∈ {0, 1}
    out = mean[:, :, None] * mean[:, None, :]
    idx = torch.arange(C, device=F.device)
    out[:, idx, idx] = second
    return out


def _kfac_dense(model, spec, X, y, names, tensors, fisher_type):
    """Dense KFAC-expand (sum normalisation) in the operators' parameter layout."""
    chosen = {id(t): i for i, t in enumerate(tensors)}
    modules = [(mn, m) for mn, m in model.named_modules()
               if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))
               and any(id(p) in chosen for p in m.parameters(recurse=False))]
    cache = {}

    def hook(mod, inputs, output, name):
        output.retain_grad()
        cache[name] = (inputs[0].detach(), output)

    handles = [m.register_forward_hook(lambda mod, i, o, name=mn: hook(mod, i, o, name))
               for mn, m in modules]
    try:
        F = model(X)
    finally:
        for h in handles:
            h.remove()
    n, C = F.shape
    outs = [cache[mn][1] for mn, _ in modules]
    # B[name][k, c] = ∂f_kc / ∂s_k (samples are independent: row k of the batch gradient)
    B = {mn: torch.zeros((n, C) + tuple(cache[mn][1].shape[1:]), dtype=F.dtype,
                         device=F.device) for mn, _ in modules}
    for k in range(n):
        for c in range(C):
            grads = torch.autograd.grad(F[k, c], outs, retain_graph=True)
            for (mn, _), g in zip(modules, grads):
                B[mn][k, c] = g[k]
    Fd = F.detach()
    H_out = vmap(hessian(spec.per_sample))(Fd, y)                     # (n, C, C)
    g_out = vmap(grad(spec.per_sample))(Fd, y)                        # (n, C)
    p = sum(t.numel() for t in tensors)
    offsets = np.concatenate([[0], np.cumsum([t.numel() for t in tensors])])
    K = np.zeros((p, p))
    for mn, m in modules:
        x = cache[mn][0]
        Bk = B[mn]
        if isinstance(m, torch.nn.Conv2d):
            a = torch.nn.functional.unfold(x, m.kernel_size, dilation=m.dilation,
                                           padding=m.padding, stride=m.stride)   # (n, d, T)
            a = a.transpose(1, 2)                                                 # (n, T, d)
            Bk = Bk.reshape(n, C, Bk.shape[2], -1).permute(0, 3, 1, 2)            # (n,T,C,out)
        else:
            a = x.reshape(n, -1, x.shape[-1])                                     # (n, T, d)
            Bk = Bk.reshape(n, C, -1, Bk.shape[-1]).permute(0, 2, 1, 3)           # (n,T,C,out)
        T = a.shape[1]
        A = torch.einsum("ktd,kte->de", a, a) / (n * T)
        if fisher_type == "type-2":
            G = torch.einsum("ktco,kcd,ktdq->oq", Bk, H_out, Bk)
        else:
            g = torch.einsum("ktco,kc->kto", Bk, g_out)
            G = torch.einsum("kto,ktq->oq", g, g)
        for pname, prm in m.named_parameters(recurse=False):
            if id(prm) not in chosen:
                continue
            i = chosen[id(prm)]
            sl = slice(offsets[i], offsets[i + 1])
            K[sl, sl] = (torch.kron(G.contiguous(), A.contiguous()) if pname == "weight"
                         else G).detach().cpu().numpy()
    return K


def dense_curvature(model, loss, X, y, *, kind: str = "hessian", params=None,
                    normalisation: str = "mean", blocks=None,
                    kfac_fisher_type: str = "type-2") -> np.ndarray:
    r"""The exact (p, p) curvature matrix from its definition (slow reference).

    Same arguments and meaning as :func:`curvature_operator` (``kind`` without
    ``'fisher_mc'``; ``kfac_fisher_type`` without ``'mc'``).  Computed in the model's dtype,
    returned as float64.

    Returns
    -------
    (p, p) ndarray

    Examples
    --------
    >>> import numpy as np, torch
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(3, 2, bias=False).double()
    >>> X, y = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    >>> H = dense_curvature(model, "mse", X, y, kind="hessian", normalisation="sum")
    >>> # Σ_k ||W x_k − y_k||² has Hessian 2·I₂ ⊗ XᵀX in the row-major layout of W
    >>> bool(np.allclose(H, np.kron(np.eye(2), 2 * (X.T @ X).numpy())))
    True
    """
    owner = "dense_curvature"
    model = check_model(model, owner)
    kind = as_choice(kind, "kind", owner, _DENSE_KINDS)
    normalisation = as_choice(normalisation, "normalisation", owner, ("mean", "sum", "thesis"))
    kfac_fisher_type = as_choice(kfac_fisher_type, "kfac_fisher_type", owner,
                                 ("type-2", "empirical"))
    spec = resolve_loss(loss, owner)
    names, tensors = resolve_params(model, params, owner)
    dtype = dtype_of(tensors, owner)
    n, C = check_data(model, spec, X, y, owner, dtype)
    groups = resolve_blocks(model, names, blocks, owner)
    X, y = X.to(tensors[0].device), y.to(tensors[0].device)
    shapes = [tuple(t.shape) for t in tensors]
    theta = torch.cat([t.detach().reshape(-1) for t in tensors])
    f = _functional(model, names, shapes)
    if kind == "hessian":
        M = hessian(lambda th: spec.total(f(th, X), y))(theta)
    elif kind == "kfac":
        M = torch.as_tensor(_kfac_dense(model, spec, X, y, names, tensors, kfac_fisher_type))
    elif kind == "empirical_fisher":
        def one(th, x, yy):
            return spec.per_sample(f(th, x[None])[0], yy)

        G = vmap(grad(one), in_dims=(None, 0, 0))(theta, X, y)        # (n, p)
        M = G.T @ G
    else:
        J = jacrev(lambda th: f(th, X))(theta)                          # (n, C, p)
        Fd = f(theta, X).detach()
        if kind == "ggn":
            S = vmap(hessian(spec.per_sample))(Fd, y)                   # (n, C, C)
        else:
            S = _output_second_moment(spec, Fd, y)
        M = torch.einsum("kcp,kcd,kdq->pq", J, S, J)
    M = M.detach().to("cpu", torch.float64).numpy() * normalisation_scale(kind, normalisation,
                                                                            n)
    if groups is not None:
        offsets = np.concatenate([[0], np.cumsum([int(np.prod(s)) for s in shapes])])
        index = {nm: i for i, nm in enumerate(names)}
        mask = np.zeros(M.shape, dtype=bool)
        for g in groups:
            idx = np.concatenate([np.arange(offsets[index[nm]], offsets[index[nm] + 1])
                                  for nm in g])
            mask[np.ix_(idx, idx)] = True
        M = np.where(mask, M, 0.0)
    return 0.5 * (M + M.T)
