r"""Deep linear networks trained by GD, with their effective kernel and balancedness along
training (thesis §5.3, "Deep linear networks", eq. 5.3.3).

Two layers: :math:`\hat y = u^\top vx`, :math:`u \in \mathbb{R}^p`, :math:`v \in \mathbb{R}^{p\times
d}`; L layers: :math:`\hat y = W_L\cdots W_1x`, :math:`W_l \in \mathbb{R}^{h_l\times h_{l-1}}`,
:math:`h_0 = d`, :math:`h_L = 1` (two layers: :math:`W_1 = v`, :math:`W_2 = u^\top`).

Loss normalisation (argument ``loss``): ``"mean"`` is the project's
:math:`C = \frac1{2n}\sum_i r_i^2` (c = 1/n), ``"sum"`` the thesis's §5.3 choice
:math:`C = \frac12\sum_i r_i^2` (c = 1). GD on it (thesis §5.3, with c = 1):

.. math:: u_{t+1} = u_t - \alpha c\,v_tX^\top r_t, \qquad
   v_{t+1} = v_t - \alpha c\,u_t(X^\top r_t)^\top.

Exactly, with :math:`\hat y_t = Xv_t^\top u_t` and the effective kernel
:math:`K(u,v) = c\,X(v^\top v + \|u\|^2I)X^\top` (the thesis's :math:`x_i^\top(v^\top v +
u^\top u)x_j` with c = 1, :math:`u^\top u = \|u\|^2`),

.. math:: r_{t+1} = r_t - \alpha K(u_t,v_t)r_t + \alpha^2c^2(\hat y_t^\top r_t)\,XX^\top r_t,
   \qquad \Delta(vv^\top - uu^\top) = \alpha^2c^2\big(\|X^\top r\|^2uu^\top -
   vX^\top rr^\top Xv^\top\big):

eq. (5.3.3) holds up to a term that is exactly second order, and balancedness
:math:`vv^\top - uu^\top` (conserved by the gradient flow) drifts by :math:`O(\alpha^2)` per step,
i.e. :math:`O(\alpha)` per unit time :math:`\alpha t`. The kernel itself is *not* invariant, even
for balanced initialisations: with :math:`v_0v_0^\top = u_0u_0^\top` (which forces
:math:`v = uq^\top`, :math:`\|q\| = 1`, for a scalar output) :math:`K = \|w\|\,X(I + \hat w\hat
w^\top)X^\top` changes with :math:`w = v^\top u`. The diagnostics of :class:`DeepLinearRun` measure
both.

Examples
--------
>>> X = np.random.default_rng(0).standard_normal((5, 3)); y = X @ np.array([1.0, -1.0, 0.5])
>>> u0, v0 = balanced_init(4, 3, 0.1, N=2, seed=1)
>>> run = simulate_two_layer(X, y, 0.2, 2000, u0, v0)
>>> bool(np.abs(run.residuals[:, -1]).max() < 1e-5)            # fits
True
>>> bool(run.balance_drift_rel[:, -1].max() < 0.05)            # stays nearly balanced ...
True
>>> bool(run.kernel_drift[:, -1].min() > 10)                    # ... but K(u, v) is not fixed
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hyperribbon.theory._validate import (as_float64_array, as_int, as_nonnegative, as_positive,
                                          as_real_matrix)
from hyperribbon.theory.errors import InvalidArgument

from ._sizes import check_residuals, check_trajectories, gd_arguments, steps_bar


__all__ = ["balanced_init", "gaussian_init", "balanced_deep_init", "two_layer_kernel",
           "effective_kernel", "simulate_two_layer", "simulate_deep_linear", "DeepLinearRun",
           "LOSS_NORMALIZATIONS"]

#: Loss normalisations: "mean" C = Σr²/(2n) (project), "sum" C = Σr²/2 (thesis §5.3).
LOSS_NORMALIZATIONS = ("mean", "sum")


def _loss_factor(loss, n, owner) -> float:
    if loss not in LOSS_NORMALIZATIONS:
        raise InvalidArgument("loss", owner, f"be one of {LOSS_NORMALIZATIONS}", loss)
    return 1.0 / n if loss == "mean" else 1.0


def _rng(seed, owner):
    return np.random.default_rng(as_int(seed, "seed", owner, minimum=0))


def _unit_rows(rng, N, m):
    q = rng.standard_normal((N, m))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


# ---------------------------------------------------------------- initialisations
def balanced_init(p: int, d: int, scale: float, N: int, seed: int = 0):
    r"""Balanced two-layer initialisations :math:`v_0v_0^\top = u_0u_0^\top`.

    :math:`u_0` has i.i.d. :math:`N(0, \text{scale}^2)` entries and :math:`v_0 = u_0q^\top` with
    q uniform on the unit sphere of :math:`\mathbb{R}^d` (for a scalar output every balanced
    pair has this form), so :math:`\|v_0\|_F = \|u_0\|` and :math:`w_0 = v_0^\top u_0 =
    \|u_0\|^2q`.

    Returns
    -------
    u0 : (N, p) ndarray
    v0 : (N, p, d) ndarray

    Examples
    --------
    >>> u, v = balanced_init(3, 5, 0.5, N=4, seed=0)
    >>> bool(np.allclose(np.einsum("npd,nqd->npq", v, v), np.einsum("np,nq->npq", u, u)))
    True
    """
    owner = "balanced_init"
    p = as_int(p, "p", owner, minimum=1)
    d = as_int(d, "d", owner, minimum=1)
    scale = as_positive(scale, "scale", owner)
    N = as_int(N, "N", owner, minimum=1)
    rng = _rng(seed, owner)
    u = scale * rng.standard_normal((N, p))
    q = _unit_rows(rng, N, d)
    return u, u[:, :, None] * q[:, None, :]


def gaussian_init(p: int, d: int, scale_u: float, scale_v: float, N: int, seed: int = 0):
    r"""Independent (unbalanced) initialisations: :math:`u_0` entries :math:`N(0,
    \text{scale\_u}^2)`, :math:`v_0` entries :math:`N(0, \text{scale\_v}^2)`.

    Returns
    -------
    u0 : (N, p) ndarray
    v0 : (N, p, d) ndarray

    Examples
    --------
    >>> u, v = gaussian_init(200, 300, 1.0, 0.1, N=1, seed=0)
    >>> bool(abs(u.std() - 1.0) < 0.15 and abs(v.std() - 0.1) < 0.005)
    True
    """
    owner = "gaussian_init"
    p = as_int(p, "p", owner, minimum=1)
    d = as_int(d, "d", owner, minimum=1)
    su = as_nonnegative(scale_u, "scale_u", owner)
    sv = as_nonnegative(scale_v, "scale_v", owner)
    N = as_int(N, "N", owner, minimum=1)
    rng = _rng(seed, owner)
    return su * rng.standard_normal((N, p)), sv * rng.standard_normal((N, p, d))


def balanced_deep_init(widths, scale: float, N: int, seed: int = 0) -> list:
    r"""Balanced L-layer initialisations :math:`W_{l+1}^\top W_{l+1} = W_lW_l^\top`
    (Arora et al., 2018), scalar output.

    ``widths = [d, h_1, ..., h_{L-1}]``. :math:`W_L = g^\top` with g of i.i.d.
    :math:`N(0, \text{scale}^2)` entries and :math:`W_l = \|g\|\,q_lq_{l-1}^\top` for unit
    vectors :math:`q_l` (:math:`q_{L-1} = g/\|g\|`, the others uniform): with a scalar output
    every balanced net is such a rank-one chain. L = 2 is :func:`balanced_init` (same draws).

    Returns
    -------
    list of L arrays, shapes (N, h_l, h_{l-1})

    Examples
    --------
    >>> Ws = balanced_deep_init([4, 3, 2], 0.7, N=2, seed=0)
    >>> [W.shape for W in Ws]
    [(2, 3, 4), (2, 2, 3), (2, 1, 2)]
    >>> all(np.allclose(np.einsum("nki,nkj->nij", Ws[l + 1], Ws[l + 1]),
    ...                 np.einsum("nik,njk->nij", Ws[l], Ws[l])) for l in range(2))
    True
    """
    owner = "balanced_deep_init"
    try:
        widths = [as_int(h, "widths", owner, minimum=1) for h in widths]
    except TypeError:
        raise InvalidArgument("widths", owner, "be a sequence of integers [d, h1, ...]",
                              widths) from None
    if len(widths) < 2:
        raise InvalidArgument("widths", owner, "list d and at least one hidden width", widths)
    scale = as_positive(scale, "scale", owner)
    N = as_int(N, "N", owner, minimum=1)
    rng = _rng(seed, owner)
    g = scale * rng.standard_normal((N, widths[-1]))
    s = np.linalg.norm(g, axis=1)
    qs = [_unit_rows(rng, N, h) for h in widths[:-1]] + [g / s[:, None]]
    Ws = [s[:, None, None] * qs[l][:, :, None] * qs[l - 1][:, None, :]
          for l in range(1, len(widths))]
    return Ws + [g[:, None, :]]


# ---------------------------------------------------------------- kernels
def two_layer_kernel(X, u, v, *, loss: str = "mean") -> np.ndarray:
    r"""Effective kernel :math:`K(u,v)_{ij} = c\,x_i^\top(v^\top v + \|u\|^2I)x_j` of eq.
    (5.3.3), c = 1/n (``loss="mean"``) or 1 (``"sum"``), written out for two layers.

    Parameters
    ----------
    X : (n, d) array_like
    u : (N, p) array_like
    v : (N, p, d) array_like

    Returns
    -------
    (N, n, n) ndarray

    Examples
    --------
    >>> X = np.eye(2); u = np.array([[1.0, 1.0]]); v = np.zeros((1, 2, 2))
    >>> two_layer_kernel(X, u, v, loss="sum")[0].tolist()     # ‖u‖² XXᵀ
    [[2.0, 0.0], [0.0, 2.0]]
    """
    owner = "two_layer_kernel"
    X = as_real_matrix(X, "X", owner)
    u, v = _two_layer(u, v, X.shape[1], owner)
    c = _loss_factor(loss, X.shape[0], owner)
    inner = np.einsum("Npd,Npe->Nde", v, v) + np.einsum("Np,Np->N", u, u)[:, None, None] \
        * np.eye(X.shape[1])
    return c * np.einsum("id,Nde,je->Nij", X, inner, X)


def effective_kernel(X, weights, *, loss: str = "mean") -> np.ndarray:
    r"""Effective (tangent) kernel of an L-layer linear net,

    .. math:: K_{ij} = c\sum_{l=1}^L \|W_L\cdots W_{l+1}\|^2\,(W_{l-1}\cdots W_1x_i)^\top
       (W_{l-1}\cdots W_1x_j),

    the Gram matrix of the parameter gradients of :math:`\hat y(x_i)`; for two layers
    :func:`two_layer_kernel`.

    Parameters
    ----------
    X : (n, d) array_like
    weights : list of L arrays (N, h_l, h_{l-1})
    loss : {"mean", "sum"}

    Returns
    -------
    (N, n, n) ndarray

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((4, 3))
    >>> u, v = gaussian_init(2, 3, 1.0, 1.0, N=2, seed=1)
    >>> bool(np.allclose(effective_kernel(X, [v, u[:, None, :]]), two_layer_kernel(X, u, v)))
    True
    """
    owner = "effective_kernel"
    X = as_real_matrix(X, "X", owner)
    Ws = _deep_weights(weights, X.shape[1], owner)
    c = _loss_factor(loss, X.shape[0], owner)
    return c * _kernel(X, Ws)


def _kernel(X, Ws):
    N = Ws[0].shape[0]
    H = [np.broadcast_to(X, (N,) + X.shape)]
    for W in Ws[:-1]:
        H.append(np.einsum("Nik,Nhk->Nih", H[-1], W))
    A = np.ones((N, 1, 1))
    K = np.zeros((N, X.shape[0], X.shape[0]))
    for l in range(len(Ws) - 1, -1, -1):                 # layer l+1 in 1-based terms
        a2 = np.einsum("Nij,Nij->N", A, A)
        K += a2[:, None, None] * np.einsum("Nih,Njh->Nij", H[l], H[l])
        A = np.einsum("Nij,Njk->Nik", A, Ws[l])
    return K


# ---------------------------------------------------------------- validation
def _two_layer(u, v, d, owner, names=("u", "v")):
    u = as_float64_array(u, names[0], owner)
    v = as_float64_array(v, names[1], owner)
    if u.ndim == 1:
        u = u[None]
    if v.ndim == 2:
        v = v[None]
    if u.ndim != 2 or not np.all(np.isfinite(u)):
        raise InvalidArgument(names[0], owner,
                              "be a finite (N, p) or (p,) array", u)
    N, p = u.shape
    if v.shape != (N, p, d) or not np.all(np.isfinite(v)):
        raise InvalidArgument(names[1], owner,
                              f"be a finite array of shape (N, p, d) = ({N}, {p}, {d})", v)
    return u, v


def _deep_weights(weights, d, owner):
    rule = "be a list of (N, h_l, h_{l-1}) arrays"
    try:
        Ws = [as_float64_array(W, "weights", owner, rule) for W in weights]
    except TypeError:                                   # not iterable
        raise InvalidArgument("weights", owner, rule, weights) from None
    if len(Ws) < 1:
        raise InvalidArgument("weights", owner, "contain at least one layer", weights)
    prev = d
    N = Ws[0].shape[0] if Ws[0].ndim == 3 else None
    for l, W in enumerate(Ws):
        if W.ndim != 3 or W.shape[0] != N or W.shape[2] != prev or not np.all(np.isfinite(W)):
            raise InvalidArgument("weights", owner,
                                  f"have layer {l + 1} of shape (N, h, {prev}) with the same N "
                                  "as layer 1, finite", W)
        prev = W.shape[1]
    if prev != 1:
        raise InvalidArgument("weights", owner, "end with a layer of one output (h_L = 1)",
                              Ws[-1])
    return Ws


# ---------------------------------------------------------------- simulators
@dataclass(frozen=True)
class DeepLinearRun:
    r"""GD trajectories of an ensemble of deep linear nets, with diagnostics at every step.

    Attributes
    ----------
    residuals : (N, T, n) ndarray
        :math:`r_t = \hat y_t - y`.
    kernel0 : (N, n, n) ndarray
        Effective kernel at t = 0 (same normalisation c as the loss).
    kernel_drift : (N, T) ndarray
        :math:`\|K_t - K_0\|_F / \|K_0\|_F`.
    balance_drift : (N, T) ndarray
        :math:`\big(\sum_{l<L}\|D_l(t) - D_l(0)\|_F^2\big)^{1/2}` with
        :math:`D_l = W_{l+1}^\top W_{l+1} - W_lW_l^\top` (two layers: :math:`uu^\top - vv^\top`).
    balance_drift_rel : (N, T) ndarray
        ``balance_drift`` divided by :math:`\sum_l\|W_l(t)\|_F^2` (two layers:
        :math:`\|u_t\|^2 + \|v_t\|_F^2`), the scale of the :math:`D_l` themselves.
    weights : list of L arrays (N, h_l, h_{l-1})
        Weights after the last recorded step (:math:`W_1 = v`, :math:`W_2 = u^\top`).
    kernels : (N, T, n, n) ndarray or None
        Effective kernels at every step, when asked for.
    """

    residuals: np.ndarray
    kernel0: np.ndarray
    kernel_drift: np.ndarray
    balance_drift: np.ndarray
    balance_drift_rel: np.ndarray
    weights: list
    kernels: np.ndarray | None = None

    @property
    def u(self) -> np.ndarray:
        """(N, p) second-layer weights of a two-layer run."""
        self._two_layer_only("u")
        return self.weights[1][:, 0, :]

    @property
    def v(self) -> np.ndarray:
        """(N, p, d) first-layer weights of a two-layer run."""
        self._two_layer_only("v")
        return self.weights[0]

    def _two_layer_only(self, name):
        if len(self.weights) != 2:
            raise InvalidArgument(name, "DeepLinearRun", "be asked of a two-layer run only",
                                  len(self.weights))


def _imbalances(Ws):
    return [np.einsum("Nki,Nkj->Nij", Ws[l + 1], Ws[l + 1]) - np.einsum("Nik,Njk->Nij", Ws[l],
                                                                          Ws[l])
            for l in range(len(Ws) - 1)]


def _member_scale(*weight_lists) -> np.ndarray:
    """(N,) powers of two at the scale of every member's weights (over all lists given)."""
    big = np.zeros(weight_lists[0][0].shape[0])
    for Ws in weight_lists:
        for W in Ws:
            big = np.maximum(big, np.max(np.abs(W), axis=(1, 2)))
    big = np.where((big > 0) & np.isfinite(big), big, 1.0)
    return np.ldexp(1.0, np.frexp(big)[1])


def _run(X, y, alpha, T, Ws, c, keep_kernels, owner):
    N, n = Ws[0].shape[0], X.shape[0]
    check_residuals(N, T, n, owner)
    if keep_kernels:
        check_trajectories((N, T, n, n), owner, value=T, what="kernels (N, T, n, n)")
    out = np.empty((N, T, n))
    kdrift, bdrift, brel = np.empty((N, T)), np.empty((N, T)), np.empty((N, T))
    kernels = np.empty((N, T, n, n)) if keep_kernels else None
    W0 = [W.copy() for W in Ws]
    K0 = c * _kernel(X, Ws)
    L = len(Ws)
    work = float(T) * N * (n * sum(W.shape[1] * W.shape[2] for W in Ws) * 4 + L * n * n * X.shape[1])
    bar = steps_bar(T, work, "deep linear GD")
    for t in range(T):
        H = [np.broadcast_to(X, (N, n, X.shape[1]))]
        for W in Ws:
            H.append(np.einsum("Nik,Nhk->Nih", H[-1], W))
        r = H[-1][:, :, 0] - y
        out[:, t] = r
        if keep_kernels:
            kernels[:, t] = K0 if t == 0 else c * _kernel(X, Ws)
        # K is homogeneous of degree 2(L−1) and D_l of degree 2 in the weights: both are formed
        # from the weights divided by a common power of two per member, so tiny (or huge)
        # weights give the true relative drifts instead of 0/0 after underflow
        sc = _member_scale(Ws, W0)[:, None, None]
        Wt, W0t = [W / sc for W in Ws], [W / sc for W in W0]
        Kt_s, K0_s = _kernel(X, Wt), _kernel(X, W0t)
        with np.errstate(divide="ignore", invalid="ignore"):
            kdrift[:, t] = np.linalg.norm(Kt_s - K0_s, axis=(1, 2)) \
                / np.linalg.norm(K0_s, axis=(1, 2))
        D, D0 = _imbalances(Wt), _imbalances(W0t)
        b2 = sum(np.einsum("Nij,Nij->N", Dl - D0l, Dl - D0l) for Dl, D0l in zip(D, D0))
        b_s = np.sqrt(b2) if L > 1 else np.zeros(N)
        with np.errstate(under="ignore", over="ignore"):
            bdrift[:, t] = b_s * sc[:, 0, 0] ** 2
        brel[:, t] = b_s / sum(np.einsum("Nij,Nij->N", W, W) for W in Wt)
        bar.update(1)
        if t == T - 1:
            break
        G = c * r[:, :, None]                                # ∂C/∂(output), (N, n, 1)
        grads = [None] * len(Ws)
        for l in range(len(Ws) - 1, -1, -1):
            grads[l] = np.einsum("Nih,Nik->Nhk", G, H[l])
            G = np.einsum("Nih,Nhk->Nik", G, Ws[l])
        Ws = [W - alpha * g for W, g in zip(Ws, grads)]
    bar.close()
    return DeepLinearRun(residuals=out, kernel0=K0, kernel_drift=kdrift, balance_drift=bdrift,
                         balance_drift_rel=brel, weights=Ws, kernels=kernels)


def simulate_two_layer(X, y, alpha: float, T: int, u0, v0, *, loss: str = "mean",
                       keep_kernels: bool = False) -> DeepLinearRun:
    r"""GD on the two-layer linear net :math:`\hat y = u^\top vx` from each (u0, v0) pair.

    .. math:: u_{t+1} = u_t - \alpha c\sum_i r_iv_tx_i, \qquad
       v_{t+1} = v_t - \alpha c\sum_i r_iu_tx_i^\top

    (thesis §5.3 with c = 1; both from the same :math:`(u_t, v_t)`).

    Parameters
    ----------
    X : (n, d) array_like
    y : (n,) array_like
    alpha : float
        > 0.
    T : int
        Iterates recorded, t = 0..T-1.
    u0 : (N, p) or (p,) array_like
    v0 : (N, p, d) or (p, d) array_like
    loss : {"mean", "sum"}
        "mean": :math:`C = \frac1{2n}\sum r_i^2` (the project's, default); "sum":
        :math:`C = \frac12\sum r_i^2` (the thesis's §5.3).
    keep_kernels : bool
        Also store the (N, T, n, n) kernels.

    Returns
    -------
    DeepLinearRun

    Examples
    --------
    The residual update is eq. (5.3.3) plus an exactly second-order term:

    >>> rng = np.random.default_rng(3)
    >>> X, y = rng.standard_normal((4, 3)), rng.standard_normal(4)
    >>> u0, v0 = gaussian_init(2, 3, 0.5, 0.5, N=1, seed=4)
    >>> run = simulate_two_layer(X, y, 0.1, 2, u0, v0, loss="sum")
    >>> r0, r1 = run.residuals[0]
    >>> K = two_layer_kernel(X, u0, v0, loss="sum")[0]
    >>> bool(np.allclose(r1, r0 - 0.1 * K @ r0 + 0.1**2 * ((r0 + y) @ r0) * X @ X.T @ r0))
    True
    """
    owner = "simulate_two_layer"
    X, y, alpha, T = gd_arguments(X, y, alpha, T, owner)
    n, d = X.shape
    u, v = _two_layer(u0, v0, d, owner, names=("u0", "v0"))
    c = _loss_factor(loss, n, owner)
    return _run(X, y, alpha, T, [v, u[:, None, :]], c, bool(keep_kernels), owner)


def simulate_deep_linear(X, y, alpha: float, T: int, weights, *, loss: str = "mean",
                         keep_kernels: bool = False) -> DeepLinearRun:
    r"""GD on the L-layer linear net :math:`\hat y = W_L\cdots W_1x` (scalar output) from each
    ensemble member's weights; all layers updated from the same iterate,
    :math:`W_l \leftarrow W_l - \alpha\,\partial C/\partial W_l`.

    Parameters
    ----------
    X : (n, d) array_like
    y : (n,) array_like
    alpha : float
    T : int
    weights : list of L arrays (N, h_l, h_{l-1})
        :math:`h_0 = d`, :math:`h_L = 1` (e.g. :func:`balanced_deep_init`).
    loss : {"mean", "sum"}
    keep_kernels : bool

    Returns
    -------
    DeepLinearRun

    Examples
    --------
    L = 2 is :func:`simulate_two_layer`:

    >>> rng = np.random.default_rng(5)
    >>> X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    >>> u0, v0 = balanced_init(4, 3, 0.5, N=2, seed=6)
    >>> a = simulate_deep_linear(X, y, 0.1, 30, [v0, u0[:, None, :]])
    >>> b = simulate_two_layer(X, y, 0.1, 30, u0, v0)
    >>> bool(np.array_equal(a.residuals, b.residuals))
    True
    """
    owner = "simulate_deep_linear"
    X, y, alpha, T = gd_arguments(X, y, alpha, T, owner)
    n, d = X.shape
    Ws = _deep_weights(weights, d, owner)
    c = _loss_factor(loss, n, owner)
    return _run(X, y, alpha, T, Ws, c, bool(keep_kernels), owner)
