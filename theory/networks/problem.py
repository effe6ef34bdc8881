r"""The problem type of Chapter 4: a fully connected network at given weights, on a finite input
set, with labels and a loss (thesis §4.2–§4.3.1).

The network is the thesis's :math:`h^0 = x`, :math:`h^{k} = \sigma(w^{k-1}h^{k-1})`,
:math:`z = w^L h^L` with weights :math:`w^k\in\mathbb R^{d_{k+1}\times d_k}` (L hidden layers,
L + 1 weight matrices). Expectations :math:`\mathbb E` are over the empirical distribution of the
n inputs, :math:`x\sim\frac1n\sum_i\delta_{x_i}` (§4.7.3), so :math:`\mathbb E[xx^\top] =
X^\top X/n` and the FIM carries the 1/n of §4.2. Curvature is taken with respect to the weight
matrices; bias vectors, when present, are held fixed (the statements need them to be zero).

Assumptions of the statements are *checked predicates* here (never silently assumed):
:attr:`NetworkProblem.activation_assumption` (|σ'| ≤ a with σ(0) = 0, from a table of exactly
known activations), :attr:`NetworkProblem.biases_zero`, :attr:`NetworkProblem.softmax_cross_entropy`
and :meth:`NetworkProblem.is_local_minimum` (Hessian PSD within its noise floor).

Examples
--------
>>> p = NetworkProblem.random(widths=(3, 4, 2), activation="tanh", n=5, seed=0)
>>> p.depth, p.n_params, p.activation_bound
(1, 20, 1.0)
>>> p.activation_assumption and p.biases_zero
True
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Optional, Sequence

import numpy as np

from .._validate import as_int, as_real_matrix
from ..domains import Domain
from ..errors import AssumptionViolated, InvalidArgument
from . import _mlp
from ._activations import KNOWN, Activation, from_torch_module

__all__ = ["NetworkProblem", "NETWORK_DOMAINS", "LOSSES", "sloppy_inputs"]

LOSSES = ("cross_entropy", "mse")

#: Declared parameter domains; the hypothesis strategies draw from their typical ranges.
NETWORK_DOMAINS = {
    "depth": Domain(low=0, high=8, low_closed=True, high_closed=True, integer=True, typical=(0, 2),
                    note="number of hidden layers L (L + 1 weight matrices)"),
    "width": Domain(low=1, low_closed=True, integer=True, typical=(1, 8)),
    "n": Domain(low=1, low_closed=True, integer=True, typical=(1, 12)),
    "classes": Domain(low=1, low_closed=True, integer=True, typical=(2, 4)),
    "weight_scale": Domain(low=0.0, typical=(0.01, 3.0), log=True,
                           note="standard deviation × sqrt(fan-in) of the Gaussian weights"),
    "input_decay": Domain(low=0.0, low_closed=True, typical=(0.0, 2.0),
                          note="c of the input spectrum λ_i = e^{-c(i-1)}"),
    "slope": Domain(low=0.0, low_closed=True, typical=(0.0, 0.5), note="leaky-ReLU slope"),
}


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


def sloppy_inputs(n: int, d: int, c: float, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    r"""n Gaussian inputs with covariance :math:`\mathrm{diag}(\lambda_i)`,
    :math:`\lambda_i = \text{scale}\cdot e^{-c(i-1)}` (the sloppy inputs of §4.7.1), shape (n, d)."""
    n = as_int(n, "n", "sloppy_inputs", minimum=1)
    d = as_int(d, "d", "sloppy_inputs", minimum=1)
    NETWORK_DOMAINS["input_decay"].validate(c, "c", "sloppy_inputs")
    Domain(low=0.0).validate(scale, "scale", "sloppy_inputs")
    rng = np.random.default_rng(seed)
    lam = scale * np.exp(-c * np.arange(d))
    return rng.standard_normal((n, d)) * np.sqrt(lam)


@dataclass(frozen=True, eq=False)
class NetworkProblem:
    r"""A bias-free (or fixed-bias) fully connected network, data and loss.

    Parameters
    ----------
    weights : sequence of 2-D array_like
        :math:`w^0,\dots,w^L`, shapes :math:`(d_{k+1}, d_k)` with matching inner dimensions;
        :math:`d_{L+1} = m` is the number of logits (classes).
    X : (n, d_0) array_like
        The inputs (rows are samples).
    y : (n,) array_like of int
        Labels in {0, …, m − 1}.
    activations : sequence of str or Activation, or str
        The L hidden activations (one name is broadcast): ``relu``, ``leaky_relu``, ``tanh``,
        ``identity``, ``sigmoid`` (which violates σ(0) = 0) or ``other:<Name>`` for an
        activation whose derivative bound is not known (the assumption then fails, named).
    biases : sequence of 1-D array_like, optional
        :math:`b^0, …, b^L` (held fixed; statements need them zero). ``None``: no bias terms.
    loss : {"cross_entropy", "mse"}
        ``cross_entropy`` is the thesis's ĕ of §4.2 (c), in bits:
        :math:`-\frac{1}{n\log 2}\sum_i\log p_w(y_i|x_i)` with softmax outputs;
        ``mse`` is :math:`\frac1{2n}\sum_i\|z_i - e_{y_i}\|^2`.
    slope : float
        Negative slope of ``leaky_relu`` activations given by name.
    seed : int, optional
        Recorded provenance of random problems.
    source : str
        How the problem was built (for reports).
    """

    weights: tuple
    X: np.ndarray
    y: np.ndarray
    activations: tuple = "relu"
    biases: Optional[tuple] = None
    loss: str = "cross_entropy"
    slope: float = 0.01
    seed: Optional[int] = None
    source: str = field(default="weights", compare=False)

    def __post_init__(self):
        owner = "NetworkProblem"
        if isinstance(self.weights, np.ndarray) or not isinstance(self.weights, Sequence) \
                or len(self.weights) == 0:
            raise InvalidArgument("weights", owner, "be a non-empty sequence of 2-D arrays",
                                  self.weights)
        Ws = tuple(_frozen(as_real_matrix(w, f"weights[{k}]", owner))
                   for k, w in enumerate(self.weights))
        X = as_real_matrix(self.X, "X", owner)
        if X.shape[0] < 1:
            raise InvalidArgument("X", owner, "have at least one row (sample)", X)
        if Ws[0].shape[1] != X.shape[1]:
            raise InvalidArgument("weights[0]", owner, f"have {X.shape[1]} columns (the input "
                                  "dimension d_0 of X)", Ws[0])
        for k in range(1, len(Ws)):
            if Ws[k].shape[1] != Ws[k - 1].shape[0]:
                raise InvalidArgument(f"weights[{k}]", owner, f"have {Ws[k - 1].shape[0]} "
                                      f"columns (the rows of weights[{k - 1}])", Ws[k])
        m = Ws[-1].shape[0]
        y = np.asarray(self.y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise InvalidArgument("y", owner, f"be a 1-D array of {X.shape[0]} labels", y)
        if y.size and (not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y))
                       or np.any(y != np.round(y)) or y.min() < 0 or y.max() >= m):
            raise InvalidArgument("y", owner, f"hold integer labels in {{0, …, {m - 1}}}", y)
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise InvalidArgument("loss", owner, f"be one of {LOSSES}", self.loss)
        if isinstance(self.slope, bool) or not isinstance(self.slope, numbers.Real) \
                or not math.isfinite(self.slope):
            raise InvalidArgument("slope", owner, "be a finite real number", self.slope)
        acts = self._parse_activations(self.activations, len(Ws) - 1, owner)
        biases = None
        if self.biases is not None:
            if not isinstance(self.biases, Sequence) or len(self.biases) != len(Ws):
                raise InvalidArgument("biases", owner, f"be None or a sequence of {len(Ws)} "
                                      "vectors", self.biases)
            biases = []
            for k, (b, w) in enumerate(zip(self.biases, Ws)):
                b = np.asarray(b, dtype=np.float64)
                if b.shape != (w.shape[0],) or not np.all(np.isfinite(b)):
                    raise InvalidArgument(f"biases[{k}]", owner, f"be a finite vector of length "
                                          f"{w.shape[0]}", b)
                biases.append(_frozen(b))
            biases = tuple(biases)
        yi = _frozen(y).astype(np.int64)
        yi.setflags(write=False)
        for name, value in (("weights", Ws), ("X", _frozen(X)), ("y", yi), ("activations", acts),
                            ("biases", biases), ("slope", float(self.slope))):
            object.__setattr__(self, name, value)

    def _parse_activations(self, acts, L, owner):
        if isinstance(acts, (str, Activation)):
            acts = (acts,) * L
        if not isinstance(acts, Sequence) or len(acts) != L:
            raise InvalidArgument("activations", owner, f"be a name or a sequence of {L} names "
                                  "(one per hidden layer)", acts)
        out = []
        for a in acts:
            if isinstance(a, Activation):
                out.append(a)
            elif isinstance(a, str) and a in KNOWN:
                out.append(Activation(a, float(self.slope)))
            elif isinstance(a, str) and a.startswith("other:"):
                out.append(Activation(a))
            else:
                raise InvalidArgument("activations", owner, f"name activations among {KNOWN} "
                                      "or 'other:<Name>'", a)
        return tuple(out)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_model(cls, model, X, y, loss: str = "cross_entropy") -> "NetworkProblem":
        """Read a torch ``nn.Sequential`` of ``Linear`` layers and element-wise activations.

        ``Flatten`` and ``Dropout`` (identity at evaluation) are skipped; two consecutive
        ``Linear`` layers get an ``identity`` activation between them. Activation modules outside
        the known table are recorded as ``other:<Name>``, so every statement that assumes
        |σ'| ≤ a, σ(0) = 0 answers ``not_applicable`` naming it. Parameters are copied to float64
        exactly. Anything else (convolutions, normalisation layers) is an :class:`InvalidArgument`.
        """
        import torch  # lazy: the theory layer does not import torch at module import
        owner = "NetworkProblem.from_model"
        if not isinstance(model, torch.nn.Module):
            raise InvalidArgument("model", owner, "be a torch.nn.Module", type(model).__name__)
        modules = list(model) if isinstance(model, torch.nn.Sequential) else [model]
        weights, biases, acts, pending = [], [], [], False
        for mod in modules:
            kind = type(mod).__name__
            if isinstance(mod, torch.nn.Linear):
                if weights and not pending:
                    acts.append("identity")
                weights.append(mod.weight.detach().to(torch.float64).cpu().numpy())
                biases.append(None if mod.bias is None
                              else mod.bias.detach().to(torch.float64).cpu().numpy())
                pending = False
            elif kind in ("Flatten", "Dropout"):
                continue
            elif weights and not pending and kind not in ("Linear",) and \
                    sum(1 for _ in mod.parameters()) == 0:
                act = from_torch_module(mod)
                acts.append(act if act is not None else f"other:{kind}")
                pending = True
            else:
                raise InvalidArgument("model", owner, "be an nn.Sequential of Linear layers "
                                      "alternating with parameter-free element-wise activations "
                                      f"(found {kind})", kind)
        if not weights or pending:
            raise InvalidArgument("model", owner, "start with a Linear layer (after Flatten) and "
                                  "end with a Linear layer giving the logits",
                                  [type(m).__name__ for m in modules])
        if all(b is None for b in biases):
            bias = None
        else:
            bias = tuple(np.zeros(w.shape[0]) if b is None else b for w, b in zip(weights, biases))
        if hasattr(X, "detach"):
            X = X.detach().to(torch.float64).cpu().numpy()
        if hasattr(y, "detach"):
            y = y.detach().cpu().numpy()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim > 2:
            X = X.reshape(X.shape[0], -1)
        return cls(tuple(weights), X, y, tuple(acts), bias, loss,
                   source=f"from_model({type(model).__name__})")

    @classmethod
    def random(cls, widths=(4, 6, 3), activation="relu", n: int = 8, *, scale=1.0,
               input_decay: float = 0.5, input_scale: float = 1.0, slope: float = 0.01,
               loss: str = "cross_entropy", labels: str = "teacher", bias_scale: float = 0.0,
               seed: int = 0) -> "NetworkProblem":
        r"""A random network with Gaussian weights :math:`w^k_{ab}\sim N(0,\text{scale}_k^2/d_k)`
        on sloppy inputs (:func:`sloppy_inputs` with decay ``input_decay`` and top variance
        ``input_scale``).

        ``widths`` = (d_0, d_1, …, d_L, m); ``scale`` is one number or one per weight matrix.
        ``labels``: ``"teacher"`` (argmax of the network's own logits — a perfectly fitting,
        confident network when the scale is large) or ``"random"``. ``bias_scale > 0`` adds fixed
        Gaussian biases (which the statements' zero-bias assumption rejects).
        """
        owner = "NetworkProblem.random"
        if not isinstance(widths, Sequence) or len(widths) < 2:
            raise InvalidArgument("widths", owner, "be a sequence (d_0, …, m) of length ≥ 2",
                                  widths)
        dims = [as_int(w, "widths", owner, minimum=1) for w in widths]
        n = as_int(n, "n", owner, minimum=1)
        scales = [scale] * (len(dims) - 1) if not isinstance(scale, Sequence) else list(scale)
        if len(scales) != len(dims) - 1:
            raise InvalidArgument("scale", owner, f"be a number or {len(dims) - 1} numbers (one "
                                  "per weight matrix)", scale)
        for sc in scales:
            NETWORK_DOMAINS["weight_scale"].validate(sc, "scale", owner)
        Domain(low=0.0).validate(input_scale, "input_scale", owner)
        if labels not in ("teacher", "random"):
            raise InvalidArgument("labels", owner, "be 'teacher' or 'random'", labels)
        Domain(low=0.0, low_closed=True).validate(bias_scale, "bias_scale", owner)
        rng = np.random.default_rng(seed)
        Ws = tuple(rng.standard_normal((dims[k + 1], dims[k])) * scales[k] / math.sqrt(dims[k])
                   for k in range(len(dims) - 1))
        X = sloppy_inputs(n, dims[0], input_decay, seed=int(rng.integers(2**31)),
                          scale=input_scale)
        biases = None
        if bias_scale > 0:
            biases = tuple(rng.standard_normal(d) * bias_scale for d in dims[1:])
        acts = activation if isinstance(activation, str) else tuple(activation)
        proto = cls(Ws, X, np.zeros(n, dtype=int), acts, biases, loss, slope, seed)
        if labels == "teacher" and not all(act.known for act in proto.activations):
            raise InvalidArgument("labels", owner, "be 'random' for an activation that cannot "
                                  "be evaluated ('other:…')", labels)
        if labels == "teacher":
            y = np.argmax(proto.forward.z, axis=1)
        else:
            y = rng.integers(0, dims[-1], size=n)
        return replace(proto, y=y, source="random")

    def replace(self, **changes) -> "NetworkProblem":
        return replace(self, **changes)

    # ------------------------------------------------------------------ shape facts
    @property
    def depth(self) -> int:
        """L, the number of hidden layers (the network has L + 1 weight matrices)."""
        return len(self.weights) - 1

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def m(self) -> int:
        return int(self.weights[-1].shape[0])

    @property
    def widths(self) -> tuple:
        return (int(self.X.shape[1]),) + tuple(int(w.shape[0]) for w in self.weights)

    @property
    def n_params(self) -> int:
        return int(sum(w.size for w in self.weights))

    @property
    def blocks(self) -> list:
        """Slices of the flat parameter vector, one per weight matrix w^k."""
        return _mlp.block_slices(self.weights)

    # ------------------------------------------------------------------ assumptions
    @property
    def activation_bound(self) -> float:
        """a = max_k sup|σ_k'| (1.0 for a linear model, nan if some activation is unknown)."""
        if not self.activations:
            return 1.0
        return max(act.bound for act in self.activations) \
            if all(act.known for act in self.activations) else math.nan

    @property
    def activation_assumption(self) -> bool:
        """|σ'| ≤ a (with a known) and σ(0) = 0 for every hidden activation (§4.3.1)."""
        return all(act.known and act.zero_at_zero for act in self.activations)

    def activation_detail(self) -> str:
        bad = [act.describe() for act in self.activations
               if not (act.known and act.zero_at_zero)]
        names = ", ".join(sorted({act.describe() for act in self.activations})) or "none (linear)"
        return f"activations: {names}" + (f"; violating: {', '.join(bad)}" if bad else
                                          f"; a = {self.activation_bound:g}")

    @property
    def piecewise_linear(self) -> bool:
        return all(act.piecewise_linear for act in self.activations)

    @property
    def biases_zero(self) -> bool:
        return self.biases is None or all(not np.any(b) for b in self.biases)

    @property
    def softmax_cross_entropy(self) -> bool:
        return self.loss == "cross_entropy"

    def is_local_minimum(self) -> bool:
        """Whether the loss Hessian (w.r.t. the weights) is PSD within its noise floor."""
        from .measure import get
        Hm = get().hessian(self)
        lam = np.linalg.eigvalsh(Hm.values)
        floor = float(np.linalg.norm(Hm.abs_err, 2)) + 8 * lam.size * _mlp.EPS * \
            float(np.max(np.abs(lam), initial=0.0))
        return bool(lam[0] >= -floor)

    # ------------------------------------------------------------------ cached computations
    @cached_property
    def forward(self) -> _mlp.Forward:
        """Activations, pre-activations and logits with rounding bounds (:mod:`._mlp`).

        Raises :class:`~hyperribbon.theory.AssumptionViolated` for an ``other:…`` activation,
        whose formula the theory layer does not know."""
        unknown = [a.name for a in self.activations if not a.known]
        if unknown:
            raise AssumptionViolated("known activation", "NetworkProblem.forward",
                                     f"{unknown[0]} cannot be evaluated (its formula and "
                                     "derivative bound are unknown)")
        return _mlp.forward(self.weights, self.activations, self.X, self.biases)

    @cached_property
    def weight_norms(self) -> np.ndarray:
        """Spectral norms ‖w^k‖₂, k = 0..L, with relative error ≤ 8(d)ε (LAPACK SVD)."""
        return np.array([np.linalg.norm(w, 2) for w in self.weights])

    def input_correlation(self) -> np.ndarray:
        """E[xxᵀ] = XᵀX/n, shape (d_0, d_0)."""
        return self.X.T @ self.X / self.n

    def parameters(self) -> dict:
        return {"widths": list(self.widths), "depth": self.depth, "n": self.n,
                "activations": [a.describe() for a in self.activations], "loss": self.loss,
                "biases": "none" if self.biases is None else
                ("zero" if self.biases_zero else "nonzero"),
                "weight_norms": [round(float(v), 6) for v in self.weight_norms],
                "seed": self.seed, "source": self.source}
