r"""Exact dense derivatives of a bias-free multilayer perceptron in numpy (private).

The network of thesis §4.3.1: :math:`h^0 = x`, :math:`u^{k+1} = w^k h^k`,
:math:`h^{k+1} = \sigma_{k+1}(u^{k+1})` for :math:`k < L`, logits :math:`z = u^{L+1} = w^L h^L`,
:math:`w^k \in \mathbb R^{d_{k+1}\times d_k}`. Parameters are flattened layer by layer, each
:math:`w^k` row-major, so that :math:`\partial z_i/\partial w^k = \delta_i^{k+1}\otimes h^k` with
:math:`\delta_i^{k+1} = \partial z_i/\partial u^{k+1}` (the thesis's Kronecker convention, and
PyTorch's ``Linear.weight`` layout).

Every quantity comes with a first-order rounding bound: ``mag`` arrays are computed by the same
recursions on absolute values (with the activation's derivative bounds), so that the float64
rounding error of an entry is at most ``gamma * mag`` with
:math:`\gamma = 4(D+4)\varepsilon` per stage (D the longest inner product), the standard
:math:`|fl(\sum a_ib_i) - \sum a_ib_i| \le \gamma_D\sum|a_i||b_i|` bound with a safety factor 4.

The true Hessian's second-order part (the "H-term" :math:`\sum_i g_i\nabla^2 z_i`) is computed by
Pearlmutter's R-operator applied to every basis direction at once (vectorised over directions).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = float(np.finfo(np.float64).eps)
TINY = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class Forward:
    h: tuple          # h^0..h^L, each (n, d_k)
    u: tuple          # u^1..u^L, each (n, d_k)   (u[k-1] is u^k)
    z: np.ndarray     # (n, m)
    mag_h: tuple      # magnitude bounds of h^k (same shapes)
    mag_u: tuple
    mag_z: np.ndarray
    gamma: float      # per-stage relative rounding factor


def gamma_for(dims) -> float:
    return 4.0 * (max(dims) + 4) * EPS


def forward(weights, acts, X, biases=None) -> Forward:
    L = len(weights) - 1
    dims = [X.shape[0]] + [w.shape[1] for w in weights] + [weights[-1].shape[0]]
    h, mh, us, mus = [X], [np.abs(X)], [], []
    gam = gamma_for(dims)
    for k in range(L):
        b = 0.0 if biases is None else biases[k]
        u = h[-1] @ weights[k].T + b
        # + (d+1)·TINY/γ: each of the d+1 products may lose up to TINY to underflow
        mu = mh[-1] @ np.abs(weights[k]).T + (0.0 if biases is None else np.abs(biases[k])) \
            + (weights[k].shape[1] + 1) * TINY / gam
        act = acts[k]
        hk = act(u)
        us.append(u)
        mus.append(mu)
        h.append(hk)
        mh.append(act.local_lipschitz(u, gam * mu) * mu + np.abs(hk))
    b = 0.0 if biases is None else biases[L]
    z = h[-1] @ weights[L].T + b
    mz = mh[-1] @ np.abs(weights[L]).T + (0.0 if biases is None else np.abs(biases[L])) \
        + (weights[L].shape[1] + 1) * TINY / gam
    return Forward(tuple(h), tuple(us), z, tuple(mh), tuple(mus), mz, gam)


def _d2_bound(act) -> float:
    return {"tanh": 4.0 / (3.0 * np.sqrt(3.0)), "sigmoid": 0.1}.get(act.name, 0.0)


def logit_deltas(weights, acts, fw: Forward):
    """δ^{k+1} = ∂z/∂u^{k+1} for k = 0..L as arrays (n, m, d_{k+1}), and magnitude bounds."""
    L = len(weights) - 1
    n, m = fw.z.shape
    D = np.broadcast_to(np.eye(m), (n, m, m)).copy()
    MD = np.zeros_like(D)
    out, mout = [None] * (L + 1), [None] * (L + 1)
    out[L], mout[L] = D, MD
    for k in range(L, 0, -1):                   # δ^k from δ^{k+1}
        act = acts[k - 1]
        s1 = act.d1(fw.u[k - 1])[:, None, :]
        DW = D @ weights[k]
        absDW = np.abs(D) @ np.abs(weights[k])
        newD = DW * s1
        newMD = ((MD + np.abs(D)) @ np.abs(weights[k])) * np.abs(s1) \
            + absDW * _d2_bound(act) * fw.mag_u[k - 1][:, None, :] \
            + np.where(s1 != 0, (weights[k].shape[0] + 1) * TINY / fw.gamma, 0.0)
        D, MD = newD, newMD
        out[k - 1], mout[k - 1] = D, MD
    return out, mout


def jacobian(weights, acts, fw: Forward, deltas=None):
    """Flat logit Jacobians J (n, m, p) and their rounding bounds (same shape)."""
    if deltas is None:
        deltas = logit_deltas(weights, acts, fw)
    D, MD = deltas
    blocks, errs = [], []
    n, m = fw.z.shape
    for k in range(len(weights)):
        Jk = D[k][:, :, :, None] * fw.h[k][:, None, None, :]
        Ek = fw.gamma * (MD[k][:, :, :, None] * np.abs(fw.h[k])[:, None, None, :]
                         + np.abs(D[k])[:, :, :, None] * fw.mag_h[k][:, None, None, :]) \
            + 2 * EPS * np.abs(Jk)
        blocks.append(Jk.reshape(n, m, -1))
        errs.append(Ek.reshape(n, m, -1))
    return np.concatenate(blocks, axis=2), np.concatenate(errs, axis=2)


def block_slices(weights):
    out, start = [], 0
    for w in weights:
        out.append(slice(start, start + w.size))
        start += w.size
    return out


# ------------------------------------------------------------------------------ H-term
def hterm(weights, acts, fw: Forward, g: np.ndarray, *, magnitude: bool = False):
    r"""The Hessian of :math:`s(w) = \sum_s g_s^\top z_s(w)` with ``g`` (n, m) held fixed, (p, p).

    Pearlmutter's R-operator over all p unit directions at once. With ``magnitude=True`` the same
    recursion runs on absolute values and derivative bounds (a bound on the sum of |terms|).
    """
    L = len(weights) - 1
    p = sum(w.size for w in weights)
    sl = block_slices(weights)
    ab = np.abs if magnitude else (lambda a: a)
    W = [ab(w) for w in weights]
    h = [fw.mag_h[k] if magnitude else fw.h[k] for k in range(L + 1)]
    G = ab(g)
    s1 = [(np.full_like(fw.u[k], acts[k].bound) if magnitude else acts[k].d1(fw.u[k]))
          for k in range(L)]
    s2 = [(np.full_like(fw.u[k], _d2_bound(acts[k])) if magnitude else acts[k].d2(fw.u[k]))
          for k in range(L)]
    # direction tensors: V^k for each unit direction e_q, stacked on axis 0 (p, d_{k+1}, d_k)
    V = []
    for k, w in enumerate(weights):
        Vk = np.zeros((p,) + w.shape)
        idx = np.arange(w.size)
        Vk.reshape(p, -1)[sl[k].start + idx, idx] = 1.0
        V.append(Vk)
    # R-forward: Rh^0 = 0, Ru^{k+1} = h^k V^kᵀ + Rh^k W^kᵀ, Rh^{k+1} = σ'(u^{k+1}) Ru^{k+1}
    Rh = [np.zeros((p,) + h[0].shape)]
    Ru = []
    for k in range(L):
        ru = np.einsum("nj,qaj->qna", h[k], V[k]) + Rh[k] @ W[k].T
        Ru.append(ru)
        Rh.append(s1[k][None] * ru)
    # backward of s with fixed g: b^{L+1} = g, ∂s/∂h^k = b^{k+1} W^k, b^k = σ'(u^k)·∂s/∂h^k
    b = [None] * (L + 2)
    dh = [None] * (L + 1)
    b[L + 1] = G
    for k in range(L, 0, -1):
        dh[k] = b[k + 1] @ W[k]
        b[k] = s1[k - 1] * dh[k]
    # R-backward: Rb^{L+1} = 0; R(∂s/∂h^k) = Rb^{k+1}W^k + b^{k+1}V^k;
    # Rb^k = σ''(u^k)Ru^k·∂s/∂h^k + σ'(u^k)R(∂s/∂h^k); R∇W^k = Σ_s Rb^{k+1}h^kᵀ + b^{k+1}Rh^kᵀ
    Hrows = [None] * (L + 1)
    Rb_next = np.zeros((p,) + G.shape)
    for k in range(L, -1, -1):
        RgW = np.einsum("qna,nj->qaj", Rb_next, h[k]) + np.einsum("na,qnj->qaj", b[k + 1], Rh[k])
        Hrows[k] = RgW.reshape(p, -1)
        if k == 0:
            break
        Rdh = Rb_next @ W[k] + np.einsum("na,qaj->qnj", b[k + 1], V[k])
        Rb_next = s2[k - 1][None] * Ru[k - 1] * dh[k][None] + s1[k - 1][None] * Rdh
    H = np.concatenate(Hrows, axis=1)
    return H if magnitude else 0.5 * (H + H.T)


# ------------------------------------------------------------------------------ losses
def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


LN2 = float(np.log(2.0))


def loss_derivatives(loss: str, z: np.ndarray, y: np.ndarray):
    """Per-sample ``(value, gradient (n, m), Hessian factor)`` of the thesis's losses.

    ``cross_entropy``: :math:`-\\log_2 p_{y}` (§4.2 (c), in bits), gradient
    :math:`(p - e_y)/\\ln 2`, Hessian :math:`(\\mathrm{diag}\\,p - pp^\\top)/\\ln 2`.
    ``mse``: :math:`\\tfrac12\\|z - e_y\\|^2`, gradient :math:`z - e_y`, Hessian I.
    The Hessian is returned as a callable ``apply(J)`` giving :math:`\\Lambda_s J_s` per sample.
    """
    n, m = z.shape
    onehot = np.zeros((n, m))
    onehot[np.arange(n), y] = 1.0
    if loss == "cross_entropy":
        p = softmax(z)
        zmax = z.max(axis=1, keepdims=True)
        lse = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
        value = (lse - z[np.arange(n), y]) / LN2
        return value, (p - onehot) / LN2, p
    value = 0.5 * np.sum((z - onehot) ** 2, axis=1)
    return value, z - onehot, None
