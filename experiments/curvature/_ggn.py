r"""The Gauss–Newton matrix of the cross-entropy in bits through its exact square-root factor.

For a softmax classifier with logits :math:`z_k = f(x_k; w) \in \mathbb R^C` and
:math:`p_k = \operatorname{softmax}(z_k)`, the Gauss–Newton (GGN) approximation of the Hessian of
:math:`\breve e(h_w, D_n) = -\frac{1}{n\log 2}\sum_k \log p_w(y_k|x_k)` (thesis §4.2(c)) is

.. math:: \tilde H = \frac{1}{n\log 2}\sum_{k=1}^n J_k^\top(\operatorname{diag}p_k - p_kp_k^\top)J_k
          = S^\top S,\qquad S_k = \frac{M_k^{1/2}J_k}{\sqrt{n\log 2}},\quad
          M_k = \operatorname{diag}p_k - p_kp_k^\top = Q_k\operatorname{diag}(\mu_k)Q_k^\top

with :math:`J_k = \partial z_k/\partial w` (C × p) and :math:`M_k^{1/2} =
\operatorname{diag}(\mu_k)^{1/2}Q_k^\top` restricted to the C − 1 largest eigenvalues of
:math:`M_k` (its last eigenvector is :math:`\mathbb 1/\sqrt C` with eigenvalue 0, because
:math:`\sum p = 1`), so S has n(C − 1) rows. The nonzero eigenpairs of :math:`S^\top S` come from
the smaller of :math:`S^\top S` (p × p) and the Gram matrix :math:`SS^\top = U\Sigma^2U^\top`
(:math:`\lambda_i = \sigma_i^2`, :math:`v_i = S^\top u_i/\sigma_i`); the other eigenvalues are
exactly zero. All in
float64 (the network is evaluated in float64), so a posterior built on these eigenpairs has a KL
divergence that is computed, not estimated.
"""
from __future__ import annotations

import math

import numpy as np

from ._flat import flat_params, flat_spec, logits_at

__all__ = ["ggn_factor", "ggn_eigh"]


def ggn_factor(model, X, chunk: int = 32):
    """The factor S ((n·(C−1), p) float64 ndarray) with GGN(ĕ) = SᵀS, ``model`` in eval mode.

    Parameters
    ----------
    model : torch.nn.Module
    X : (n, ...) tensor
    chunk : int
        Samples per vmapped Jacobian call (memory ∝ chunk·C·p plus the vmapped backward graph).
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
            M = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]       # (b, C, C)
            mu, Q = torch.linalg.eigh(M)                                   # ascending
            mu, Q = mu[:, 1:].clamp_min(0.0), Q[:, :, 1:]                  # drop the null 1/√C
            R = torch.sqrt(mu)[:, :, None] * Q.transpose(1, 2)             # (b, C−1, C)
            blocks.append((R @ J).reshape(-1, J.shape[-1]) * scale)
    return torch.cat(blocks).numpy()


def ggn_eigh(S, rtol: float | None = None):
    """Nonzero eigenpairs of SᵀS from the Gram matrix SSᵀ.

    Parameters
    ----------
    S : (m, p) ndarray
    rtol : float, optional
        Eigenvalues at most ``rtol·λ_max`` are dropped (their eigenvectors are not determined);
        default ``min(m, p)·ε₆₄``.

    Returns
    -------
    values : (r,) ndarray, descending, > 0
    vectors : (p, r) ndarray, orthonormal columns
    floor : float
        The absolute noise floor ``min(m, p)·ε₆₄·λ_max`` of the dense eigensolver (eigenvalues
        below it are not resolved from zero).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).standard_normal((5, 12))
    >>> lam, V, floor = ggn_eigh(S)
    >>> bool(np.allclose(np.sort(lam), np.linalg.eigvalsh(S.T @ S)[-5:]))
    True
    >>> bool(np.allclose(V.T @ V, np.eye(5), atol=1e-10))
    True
    >>> lam2, V2, _ = ggn_eigh(S.T)              # the p ≤ m branch
    >>> bool(np.allclose(lam2, lam)), V2.shape
    (True, (5, 5))
    """
    S = np.asarray(S, dtype=np.float64)
    m, p = S.shape
    k = min(m, p)
    if p <= m:
        w, V = np.linalg.eigh(S.T @ S)
        w, V = w[::-1], V[:, ::-1]
    else:
        w, U = np.linalg.eigh(S @ S.T)
        w, U = w[::-1], U[:, ::-1]
    lam_max = float(max(w[0], 0.0)) if w.size else 0.0
    eps = float(np.finfo(np.float64).eps)
    floor = k * eps * lam_max
    cut = (k * eps if rtol is None else rtol) * lam_max
    keep = w > max(cut, 0.0)
    if p <= m:
        return w[keep], V[:, keep], floor
    w, U = w[keep], U[:, keep]
    V = (S.T @ U) / np.sqrt(w)
    return w, V, floor
