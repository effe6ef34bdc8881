r"""Curvature matrices of any torch model as matrix-free linear operators (curvlinops).

One entry point, :func:`curvature_operator`, returns a :class:`CurvatureOperator`: a
:class:`scipy.sparse.linalg.LinearOperator` with a float64 interface (products are computed in
the model's dtype by curvlinops-for-pytorch and cast), that counts its products and carries a
:class:`CurvatureInfo` stating exactly which matrix it is.

Kinds (per-sample loss :math:`\ell_k = \ell(f(x_k), y_k)` summed over output entries, outputs
:math:`f_k \in \mathbb R^C`, Jacobians :math:`J_k = \partial f_k/\partial w`, constant
:math:`c` from ``normalisation``):

============================  ===============================================================
``'hessian'``                 :math:`c\sum_k \nabla^2_w \ell_k`
``'ggn'``                     :math:`c\sum_k J_k^\top \nabla^2_f\ell_k\,J_k` (Gauss–Newton H̃)
``'fisher'``                  :math:`c\sum_k \mathbb E_{\tilde y\sim p(\cdot|f_k)}[\nabla_w
                              \ell(f_k,\tilde y)\nabla_w\ell(f_k,\tilde y)^\top]` — the true
                              Fisher, exact: for these losses (negative log-likelihoods of
                              exponential families in their natural parameter: softmax
                              categorical, Gaussian with variance 1/2, Bernoulli logits)
                              :math:`\mathbb E_{\tilde y}[\nabla_f\ell\nabla_f\ell^\top] =
                              \nabla_f^2\ell`, so it is computed as the GGN (Martens 2020,
                              *New insights and perspectives on the natural gradient*, §9.2)
``'fisher_mc'``               the same expectation by ``mc_samples`` draws per sample (seeded)
``'empirical_fisher'``        :math:`c\sum_k \nabla_w\ell_k\nabla_w\ell_k^\top` (labels
                              :math:`y_k` instead of the expectation)
``'kfac'``                    Kronecker-factored block-diagonal approximation per
                              ``Linear``/``Conv2d`` layer (Martens & Grosse 2015, KFAC-expand of
                              Eschenhagen et al. 2023) of the GGN (``kfac_fisher_type='type-2'``),
                              MC Fisher (``'mc'``) or empirical Fisher (``'empirical'``)
============================  ===============================================================

Normalisation (``normalisation``): ``'sum'`` :math:`c = 1`; ``'mean'`` :math:`c = 1/n`
(``reduction='mean'`` of cross-entropy; for MSE/BCE the mean over *samples* of the loss summed
over outputs, not torch's mean over all n·C entries); ``'thesis'``: :math:`c = 1/(n\ln 2)` for
``'hessian'``, ``'ggn'`` and ``'kfac'`` — the Hessian :math:`H` of
:math:`\breve e = -\frac{1}{n\ln 2}\sum_k\log p_w(y_k|x_k)` of thesis §4.2, whose eigenvalues
enter eqs. (4.4.1)–(4.4.4) — and :math:`c = 1/n` for the Fisher kinds: the thesis's FIM
:math:`F` (§4.2) in nats.  With cross-entropy, ``kind='fisher'`` with ``'mean'`` or ``'thesis'``
*is* the thesis's :math:`F`, and ``kind='hessian'`` with ``'thesis'`` *is* its :math:`H`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator

from hyperribbon.theory import InvalidArgument

from ._spec import (KINDS, NORMALISATIONS, as_batch_size, check_data, check_model, dtype_of,
                    normalisation_scale, parameter_blocks, resolve_blocks, resolve_loss,
                    resolve_params)
from ._validate import as_bool, as_choice, as_int, as_seed

__all__ = ["CurvatureInfo", "CurvatureOperator", "curvature_operator", "parameter_blocks",
           "KINDS", "NORMALISATIONS"]

_KFAC_TYPES = ("type-2", "mc", "empirical")


@dataclass(frozen=True)
class CurvatureInfo:
    """What matrix a :class:`CurvatureOperator` multiplies with.

    Attributes
    ----------
    kind, loss, normalisation : str
        See :func:`curvature_operator`.
    scale : float
        The constant :math:`c` multiplying the sum over samples.
    n_samples, n_params, batch_size : int
        :math:`n`, :math:`p` and the mini-batch size of one pass.
    param_names : tuple of str
        Parameters the matrix is taken with respect to, in order (vector layout: each parameter
        flattened row-major, concatenated in this order).
    param_shapes : tuple of tuple
    blocks : tuple of tuple of str or None
        Diagonal blocks kept (``None``: the full matrix).
    compute_dtype : str
        torch dtype of the products.
    mc_samples, seed : int
        For ``'fisher_mc'`` and KFAC with ``'mc'``.
    kfac_fisher_type : str or None
    definition : str
        The matrix in one line.
    """

    kind: str
    loss: str
    normalisation: str
    scale: float
    n_samples: int
    n_params: int
    batch_size: int
    param_names: tuple
    param_shapes: tuple
    blocks: tuple | None
    compute_dtype: str
    mc_samples: int
    seed: int
    kfac_fisher_type: str | None
    definition: str

    @property
    def label(self) -> str:
        extra = f", blocks={len(self.blocks)}" if self.blocks else ""
        return f"{self.kind} ({self.loss}, {self.normalisation}, p={self.n_params}{extra})"

    @property
    def offsets(self) -> np.ndarray:
        """Start index of each parameter in the flat vector (length ``len(param_names)+1``)."""
        sizes = [int(np.prod(s)) for s in self.param_shapes]
        return np.concatenate([[0], np.cumsum(sizes)]).astype(int)


class _BlockDiagonal:
    """Block-diagonal torch operator from operators on disjoint parameter subsets (list format)."""

    SELF_ADJOINT = True

    def __init__(self, ops, positions, shapes):
        from curvlinops._torch_base import PyTorchLinearOperator

        class _Op(PyTorchLinearOperator):
            SELF_ADJOINT = True

            def _matmat(inner, M):
                out = [None] * len(M)
                for op, pos in zip(ops, positions):
                    res = op._matmat([M[i] for i in pos])
                    for i, r in zip(pos, res):
                        out[i] = r
                return out

            @property
            def device(inner):
                return ops[0].device

            @property
            def dtype(inner):
                return ops[0].dtype

        self.op = _Op(shapes, shapes)


class CurvatureOperator(LinearOperator):
    """A symmetric curvature matrix as a float64 scipy LinearOperator.

    Products with a block of K columns (``A @ V`` with V of shape (p, K), or ``matmat``) take
    one pass over the data for all K columns.  ``n_products`` counts columns, ``n_calls``
    passes.  ``torch_operator`` is the underlying curvlinops operator (torch tensors in and out).

    Attributes
    ----------
    info : CurvatureInfo
    parts : tuple of (curvlinops operator, list of int)
        The unscaled curvlinops operators and the positions (in ``info.param_names``) of the
        parameters each acts on (one part, or one per diagonal block).
    compute_eps : float
        Machine epsilon of the compute dtype (for noise floors).
    """

    def __init__(self, torch_operator, info: CurvatureInfo, device, parts=()):
        self.torch_operator = torch_operator
        self.info = info
        # (unscaled curvlinops operator, positions of its parameters in info.param_names)
        self.parts = tuple(parts)
        self._device = device
        self._tdtype = getattr(torch, info.compute_dtype.replace("torch.", ""))
        self.compute_eps = float(torch.finfo(self._tdtype).eps)
        self.n_products = 0
        self.n_calls = 0
        super().__init__(dtype=np.dtype(np.float64), shape=(info.n_params, info.n_params))

    @property
    def label(self) -> str:
        return self.info.label

    def _matmat(self, X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        self.n_products += X.shape[1]
        self.n_calls += 1
        T = torch.as_tensor(X, dtype=self._tdtype, device=self._device)
        out = self.torch_operator @ T
        return out.detach().to("cpu", torch.float64).numpy().reshape(X.shape)

    def _matvec(self, x):
        return self._matmat(np.asarray(x, dtype=np.float64).reshape(-1, 1)).reshape(-1)

    def _rmatvec(self, x):
        return self._matvec(x)

    def _rmatmat(self, X):
        return self._matmat(X)

    def _adjoint(self):
        return self

    def to_dense(self, block: int = 64) -> np.ndarray:
        """The (p, p) float64 matrix, by ``p`` products in blocks of ``block`` columns."""
        from ._linop import to_dense

        block = as_int(block, "block", "CurvatureOperator.to_dense", minimum=1)
        return to_dense(self, block=block)

    def __repr__(self) -> str:
        return f"<CurvatureOperator {self.info.label}: {self.info.definition}>"


_DEFINITIONS = {
    "hessian": "c·Σ_k ∇²_w ℓ(f(x_k), y_k)",
    "ggn": "c·Σ_k J_kᵀ ∇²_f ℓ J_k (generalized Gauss–Newton)",
    "fisher": "c·Σ_k E_{ỹ~p(·|f_k)}[∇_w ℓ(f_k,ỹ) ∇_w ℓ(f_k,ỹ)ᵀ] (true Fisher, exact = GGN)",
    "fisher_mc": "c·Σ_k (1/M)·Σ_m ∇_w ℓ(f_k,ỹ_km) ∇_w ℓ(f_k,ỹ_km)ᵀ, ỹ_km ~ p(·|f_k)",
    "empirical_fisher": "c·Σ_k ∇_w ℓ(f_k,y_k) ∇_w ℓ(f_k,y_k)ᵀ",
    "kfac": "per Linear/Conv2d layer: (c·Σ_k g_k g_kᵀ) ⊗ ((1/n)·Σ_k a_k a_kᵀ), block-diagonal",
}


def _build(kind, model, crit, params, data, n, *, progress, check, mc_samples, seed,
           kfac_fisher_type):
    import curvlinops as cl

    common = dict(progressbar=progress, check_deterministic=check, num_data=n)
    if kind == "hessian":
        return cl.HessianLinearOperator(model, crit, params, data, **common)
    if kind in ("ggn", "fisher"):
        return cl.GGNLinearOperator(model, crit, params, data, **common)
    if kind == "fisher_mc":
        return cl.FisherMCLinearOperator(model, crit, params, data, seed=seed,
                                         mc_samples=mc_samples, **common)
    if kind == "empirical_fisher":
        return cl.EFLinearOperator(model, crit, params, data, **common)
    unsupported = [type(m).__name__ for m in model.modules()
                   if any(p.requires_grad for p in m.parameters(recurse=False))
                   and not isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))
                   and any(q is p for q in params for p in m.parameters(recurse=False))]
    if unsupported:
        raise InvalidArgument("params", "curvature_operator", "belong to Linear or Conv2d layers "
                              "for kind='kfac'", sorted(set(unsupported)))
    op = cl.KFACLinearOperator(model, crit, params, data, seed=seed,
                               fisher_type=kfac_fisher_type,
                               mc_samples=mc_samples if kfac_fisher_type == "mc" else 1,
                               kfac_approx="expand", **common)
    op.compute_kronecker_factors()          # once, at construction (curvlinops caches them)
    return op


def curvature_operator(model, loss, X, y, *, kind: str = "hessian", params=None,
                       normalisation: str = "mean", batch_size: int | None = None,
                       blocks=None, mc_samples: int = 1, seed: int = 0,
                       kfac_fisher_type: str = "type-2", progress: bool = False,
                       check_deterministic: bool = False) -> CurvatureOperator:
    r"""A curvature matrix of ``model`` on the data ``(X, y)`` as a linear operator.

    Parameters
    ----------
    model : torch.nn.Module
        Any module mapping ``X`` (n, ...) to outputs (n, C); in eval mode if it has dropout or
        batch norm.  Products are computed in its parameters' dtype.
    loss : {'cross_entropy', 'mse', 'bce_logits'} or torch criterion
        The per-sample loss :math:`\ell(f, y)`, summed over output entries (an
        ``nn.CrossEntropyLoss``/``nn.MSELoss``/``nn.BCEWithLogitsLoss`` instance selects the
        type; its ``reduction`` is not used — ``normalisation`` sets the sample average).
    X : (n, ...) torch.Tensor
        Inputs, in the parameters' dtype.
    y : (n,) integer tensor (cross-entropy) or (n, C) float tensor
        Targets.
    kind : {'hessian', 'ggn', 'fisher', 'fisher_mc', 'empirical_fisher', 'kfac'}
        See the module docstring for the exact matrices.
    params : list of str or list of torch.nn.Parameter, optional
        Restrict to these parameters (the diagonal block of the full matrix); default every
        parameter with ``requires_grad``.  Vector layout follows the model's parameter order.
    normalisation : {'mean', 'sum', 'thesis'}
        Constant :math:`c`: ``1/n``, ``1``, or the thesis's (``1/(n ln 2)`` for
        hessian/ggn/kfac = :math:`H` of :math:`\breve e`, ``1/n`` for the Fisher kinds =
        :math:`F`).
    batch_size : int, optional
        Samples per mini-batch of a pass (default all n at once); the matrix does not depend
        on it.
    blocks : None, 'module', 'parameter' or list of lists of parameter names
        Keep only these diagonal blocks (e.g. the layer-block-diagonal approximation of
        thesis §4.3.1, Lemma 4.3.2); ``None`` keeps the full matrix.
    mc_samples : int
        Draws per sample for ``'fisher_mc'`` (and KFAC with ``'mc'``).
    seed : int
        Seed of the Monte-Carlo draws (the operator is a fixed matrix for a fixed seed).
    kfac_fisher_type : {'type-2', 'mc', 'empirical'}
        What KFAC approximates.
    progress : bool
        Show a progress bar per pass.
    check_deterministic : bool
        Let curvlinops verify that two passes agree (costs extra passes).

    Returns
    -------
    CurvatureOperator
        Float64 scipy LinearOperator, ``.info`` a :class:`CurvatureInfo`.

    Raises
    ------
    InvalidArgument
        Bad model, loss, data, parameter selection, blocks or options.

    Examples
    --------
    >>> import numpy as np, torch
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
    ...                             torch.nn.Linear(4, 2)).double()
    >>> X, y = torch.randn(10, 3, dtype=torch.float64), torch.randint(0, 2, (10,))
    >>> H = curvature_operator(model, "cross_entropy", X, y, kind="hessian")
    >>> H.shape, H.info.normalisation, round(H.info.scale, 3)
    ((26, 26), 'mean', 0.1)
    >>> v = np.random.default_rng(0).standard_normal(26)
    >>> loss = lambda: torch.nn.functional.cross_entropy(model(X), y)
    >>> # directional second derivative by central differences of the gradient
    >>> w = torch.nn.utils.parameters_to_vector(model.parameters()).detach()
    >>> def grad_at(t):
    ...     torch.nn.utils.vector_to_parameters(w + t * torch.as_tensor(v), model.parameters())
    ...     g = torch.autograd.grad(loss(), list(model.parameters()))
    ...     return torch.cat([gi.reshape(-1) for gi in g]).numpy()
    >>> fd = (grad_at(1e-5) - grad_at(-1e-5)) / 2e-5
    >>> torch.nn.utils.vector_to_parameters(w, model.parameters())
    >>> bool(np.allclose(H @ v, fd, atol=1e-6))
    True
    """
    owner = "curvature_operator"
    model = check_model(model, owner)
    kind = as_choice(kind, "kind", owner, KINDS)
    normalisation = as_choice(normalisation, "normalisation", owner, NORMALISATIONS)
    spec = resolve_loss(loss, owner)
    names, tensors = resolve_params(model, params, owner)
    dtype = dtype_of(tensors, owner)
    n, _ = check_data(model, spec, X, y, owner, dtype)
    bs = as_batch_size(batch_size, n, owner)
    groups = resolve_blocks(model, names, blocks, owner)
    mc_samples = as_int(mc_samples, "mc_samples", owner, minimum=1)
    seed = as_seed(seed, "seed", owner)
    kfac_fisher_type = as_choice(kfac_fisher_type, "kfac_fisher_type", owner, _KFAC_TYPES)
    progress = as_bool(progress, "progress", owner)
    check = as_bool(check_deterministic, "check_deterministic", owner)
    device = tensors[0].device
    X = X.to(device)
    y = y.to(device)
    data = list(zip(X.split(bs), y.split(bs)))
    crit = spec.module()
    scale = normalisation_scale(kind, normalisation, n)
    opts = dict(progress=progress, check=check, mc_samples=mc_samples, seed=seed,
                kfac_fisher_type=kfac_fisher_type)
    shapes = [tuple(t.shape) for t in tensors]
    if groups is None:
        base = _build(kind, model, crit, tensors, data, n, **opts)
        parts = [(base, list(range(len(names))))]
    else:
        index = {nm: i for i, nm in enumerate(names)}
        positions = [[index[nm] for nm in g] for g in groups]
        ops = [_build(kind, model, crit, [tensors[i] for i in pos], data, n, **opts)
               for pos in positions]
        base = _BlockDiagonal(ops, positions, shapes).op
        parts = list(zip(ops, positions))
    op = base * scale if scale != 1.0 else base
    info = CurvatureInfo(kind, spec.name, normalisation, scale, n, int(sum(t.numel()
                                                                        for t in tensors)),
                         bs, tuple(names), tuple(shapes),
                         None if groups is None else tuple(tuple(g) for g in groups),
                         str(dtype), mc_samples, seed,
                         kfac_fisher_type if kind == "kfac" else None,
                         _DEFINITIONS[kind] + f", c = {scale:.6g}")
    return CurvatureOperator(op, info, device, parts)
