r"""Every non-zero eigenvalue of the Gauss–Newton / Fisher / empirical Fisher, by the Gram route.

The Gauss–Newton matrix and (for the losses supported) the true Fisher are
:math:`c\sum_k J_k^\top H_k J_k = c\,B^\top B` with rows :math:`B_k = S_k^\top J_k`
(:math:`S_kS_k^\top = H_k = \nabla_f^2\ell_k`, :math:`C` rows per sample), and the empirical
Fisher is :math:`c\,B^\top B` with rows :math:`B_k = (J_k^\top\nabla_f\ell_k)^\top`
(one row per sample).  :math:`B^\top B` (:math:`p\times p`) and :math:`BB^\top`
(:math:`nC\times nC`, resp. :math:`n\times n`) share their non-zero eigenvalues and the other
:math:`p - nC` are exactly zero, so for :math:`p \gg nC` the whole spectrum — all eigenvalues
that are not structurally zero, as thesis Fig 4.1/4.4/4.11 plot for the FIM and empirical FIM —
comes from one dense symmetric eigenproblem of size :math:`nC`, with the per-sample Jacobians
(``torch.func.jacrev``) formed block by block within ``max_bytes``.

:math:`S_k` is the symmetric square root of :math:`H_k` from its eigendecomposition (float64;
eigenvalues of :math:`H_k` below zero by rounding are set to zero).  Noise floor
:math:`m(\varepsilon_{64}+\varepsilon_c)\lambda_{\max}` for the :math:`m\times m` Gram matrix,
:math:`\varepsilon_c` the epsilon of the model's dtype.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.func import grad, hessian, jacrev, vmap

from ._gram import blocked_gram
from ._spec import (check_data, check_model, dtype_of, normalisation_scale, resolve_loss,
                    resolve_params)
from ._validate import as_bool, as_choice, as_int
from .spectrum import Spectrum

__all__ = ["gram_curvature_spectrum"]

_EPS64 = float(np.finfo(np.float64).eps)


def _sqrt_psd(H):
    w, U = torch.linalg.eigh(H)
    return (U * torch.sqrt(torch.clamp(w, min=0.0))[..., None, :]) @ U.transpose(-1, -2)


def gram_curvature_spectrum(model, loss, X, y, *, kind: str = "fisher", params=None,
                            normalisation: str = "mean", max_bytes: int = 2 ** 28,
                            progress: bool = False, label: str = "") -> Spectrum:
    r"""All eigenvalues of the GGN, true Fisher or empirical Fisher via the Gram matrix.

    .. math:: \operatorname{spec}(c\,B^\top B) = \operatorname{spec}(c\,BB^\top)
              \cup \{0\}^{p - \operatorname{rows}(B)}

    Parameters
    ----------
    model, loss, X, y, params, normalisation
        As in :func:`curvature_operator`.
    kind : {'fisher', 'ggn', 'empirical_fisher'}
        ``'fisher'`` and ``'ggn'`` are the same matrix for these losses (see
        :mod:`~hyperribbon.numerics.curvature.operators`) but differ under
        ``normalisation='thesis'`` (:math:`1/n` vs :math:`1/(n\ln 2)`).
    max_bytes : int
        Memory for one block of per-sample Jacobians.
    progress : bool
    label : str

    Returns
    -------
    Spectrum
        ``dimension = p``, ``min(rows, p)`` values (rows = :math:`nC`, or :math:`n` for the
        empirical Fisher), ``rest_bound = 0``, ``method = 'gram'``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from hyperribbon.numerics.curvature import dense_curvature
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(),
    ...                           torch.nn.Linear(8, 2)).double()
    >>> X, y = torch.randn(6, 3, dtype=torch.float64), torch.randint(0, 2, (6,))
    >>> s = gram_curvature_spectrum(net, "cross_entropy", X, y, kind="fisher")
    >>> ref = np.linalg.eigvalsh(dense_curvature(net, "cross_entropy", X, y, kind="fisher"))
    >>> len(s), s.dimension, bool(np.allclose(s.values, ref[::-1][:12], atol=1e-13))
    (12, 50, True)
    """
    owner = "gram_curvature_spectrum"
    model = check_model(model, owner)
    kind = as_choice(kind, "kind", owner, ("fisher", "ggn", "empirical_fisher"))
    normalisation = as_choice(normalisation, "normalisation", owner, ("mean", "sum", "thesis"))
    spec = resolve_loss(loss, owner)
    names, tensors = resolve_params(model, params, owner)
    dtype = dtype_of(tensors, owner)
    n, C = check_data(model, spec, X, y, owner, dtype)
    max_bytes = as_int(max_bytes, "max_bytes", owner, minimum=1)
    progress = as_bool(progress, "progress", owner)
    X, y = X.to(tensors[0].device), y.to(tensors[0].device)
    from .dense import _functional

    shapes = [tuple(t.shape) for t in tensors]
    f = _functional(model, names, shapes)
    theta = torch.cat([t.detach().reshape(-1) for t in tensors])
    p = int(theta.numel())
    r = 1 if kind == "empirical_fisher" else C
    block = max(1, min(n, int(max_bytes // max(1, 2 * C * p * 8))))

    def rows(idx):
        Xb, yb = X[idx], y[idx]
        J = jacrev(lambda th: f(th, Xb))(theta).detach()                 # (b, C, p)
        Fb = f(theta, Xb).detach()
        if kind == "empirical_fisher":
            g = vmap(grad(spec.per_sample))(Fb, yb)                       # (b, C)
            return torch.einsum("bc,bcp->bp", g, J).to(torch.float64)[:, None, :]
        S = _sqrt_psd(vmap(hessian(spec.per_sample))(Fb, yb).to(torch.float64))
        return torch.einsum("bcd,bcp->bdp", S, J.to(torch.float64))      # rows Sᵀ J (S = Sᵀ)

    K, via = blocked_gram(rows, n, r, p, block, joint=True, progress=progress,
                          desc=f"{kind} Gram rows")
    scale = normalisation_scale(kind, normalisation, n)
    values = np.linalg.eigvalsh(0.5 * (K + K.T)) * scale
    m = values.size
    eps = float(torch.finfo(dtype).eps)
    floor = m * (_EPS64 + eps) * float(np.max(np.abs(values)))
    return Spectrum(values, np.full(m, floor), floor, p, 0.0, "gram",
                    label or f"{kind} ({spec.name}, {normalisation}, p={p})", 0,
                    {"kind": kind, "normalisation": normalisation, "scale": scale,
                     "n_samples": n, "rows": n * r, "via": via, "block": block,
                     "entry_eps": eps})
