r"""The Gauss–Newton matrix of the cross-entropy in bits through its exact square-root factor.

For a softmax classifier with logits :math:`z_k = f(x_k; w) \in \mathbb R^C` and
:math:`p_k = \operatorname{softmax}(z_k)`, the Gauss–Newton (GGN) approximation of the Hessian of
:math:`\breve e(h_w, D_n) = -\frac{1}{n\log 2}\sum_k \log p_w(y_k|x_k)` (thesis §4.2(c)) is

.. math:: \tilde H = \frac{1}{n\log 2}\sum_{k=1}^n J_k^\top(\operatorname{diag}p_k - p_kp_k^\top)J_k
          = S^\top S,\qquad S_k = \frac{A_k^\top J_k}{\sqrt{n\log 2}},\quad
          A_k = \operatorname{diag}\sqrt{p_k} - p_k\sqrt{p_k}^\top

(:math:`A_kA_k^\top = \operatorname{diag}p_k - p_kp_k^\top` because :math:`\sum p = 1`), with
:math:`J_k = \partial z_k/\partial w` (C × p). The nonzero eigenpairs of :math:`S^\top S` come
from the (nC × nC) Gram matrix :math:`SS^\top = U\Sigma^2U^\top`: :math:`\lambda_i = \sigma_i^2`,
:math:`v_i = S^\top u_i/\sigma_i`; the other :math:`p - nC` eigenvalues are exactly zero. All in
float64 (the network is evaluated in float64), so a posterior built on these eigenpairs has a KL
divergence that is computed, not estimated.
"""
from __future__ import annotations

import math

import numpy as np

from ._flat import flat_params, flat_spec, logits_at

__all__ = ["ggn_factor", "ggn_eigh"]


def ggn_factor(model, X, chunk: int = 256):
    """The factor S ((n·C, p) float64 ndarray) with GGN(ĕ) = SᵀS, for ``model`` in eval mode.

    Parameters
    ----------
    model : torch.nn.Module
    X : (n, ...) tensor
    chunk : int
        Samples per vmapped Jacobian call.
    """
    import copy

    import torch
    m64 = copy.deepcopy(model).double().eval()
    spec = flat_spec(m64)
    theta = flat_params(m64)
    X = X.double()
    n = X.shape[0]

    def logits_one(th, x):
        return logits_at(m64, th, x[None], spec)[0]

    jac = torch.func.vmap(torch.func.jacrev(logits_one), in_dims=(None, 0))
    blocks = []
    scale = 1.0 / math.sqrt(n * math.log(2.0))
    with torch.no_grad():
        for s in range(0, n, chunk):
            xb = X[s:s + chunk]
            J = jac(theta, xb)                                     # (b, C, p)
            p = torch.softmax(logits_at(m64, theta, xb, spec), dim=-1)   # (b, C)
            sq = torch.sqrt(p)
            A = torch.diag_embed(sq) - p[:, :, None] * sq[:, None, :]     # (b, C, C)
            blocks.append((A.transpose(1, 2) @ J).reshape(-1, J.shape[-1]) * scale)
    return torch.cat(blocks).numpy()


def ggn_eigh(S, rtol: float | None = None):
    """Nonzero eigenpairs of SᵀS from the Gram matrix SSᵀ.

    Parameters
    ----------
    S : (m, p) ndarray
    rtol : float, optional
        Eigenvalues of SSᵀ at most ``rtol·λ_max`` are dropped (their eigenvectors are not
        determined); default ``m·ε₆₄``.

    Returns
    -------
    values : (r,) ndarray, descending, > 0
    vectors : (p, r) ndarray, orthonormal columns
    floor : float
        The absolute noise floor ``m·ε₆₄·λ_max`` of the Gram eigensolver (eigenvalues below it
        are not resolved from zero).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).standard_normal((5, 12))
    >>> lam, V, floor = ggn_eigh(S)
    >>> bool(np.allclose(np.sort(lam), np.linalg.eigvalsh(S.T @ S)[-5:]))
    True
    >>> bool(np.allclose(V.T @ V, np.eye(5), atol=1e-10))
    True
    """
    S = np.asarray(S, dtype=np.float64)
    m = S.shape[0]
    G = S @ S.T
    w, U = np.linalg.eigh(G)
    w, U = w[::-1], U[:, ::-1]
    lam_max = float(max(w[0], 0.0)) if w.size else 0.0
    eps = float(np.finfo(np.float64).eps)
    floor = m * eps * lam_max
    cut = (m * eps if rtol is None else rtol) * lam_max
    keep = w > max(cut, 0.0)
    w, U = w[keep], U[:, keep]
    V = (S.T @ U) / np.sqrt(w)
    return w, V, floor
