r"""Stochastic trace estimation with standard errors: Hutchinson and Hutch++.

* Hutchinson (1989): :math:`\widehat{\operatorname{tr}}A = \frac1m\sum_{j=1}^m v_j^\top A v_j`
  with Rademacher :math:`v_j` (:math:`\mathbb E[vv^\top] = I`); unbiased, standard error
  :math:`\hat\sigma/\sqrt m` from the sample standard deviation of the :math:`m` terms.
* Hutch++ (Meyer, Musco, Musco & Woodruff 2021, *Hutch++: optimal stochastic trace
  estimation*, Alg. 1): with a budget of :math:`3m` products, :math:`Q = \operatorname{orth}(AS)`
  for a Rademacher :math:`S \in \mathbb R^{p\times m}`,
  :math:`\widehat{\operatorname{tr}}A = \operatorname{tr}(Q^\top AQ) + \frac1m\sum_j
  g_j^\top(I-QQ^\top)A(I-QQ^\top)g_j`.  The standard error reported is that of the
  Hutchinson part given :math:`Q` (the first term is exact given :math:`Q`).

Products are taken in blocks of ``block`` columns (one pass over the data per block for
curvature operators).  Both are seeded and reproducible.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._linop import as_counted, square_dimension
from ._validate import as_int, as_seed

__all__ = ["TraceEstimate", "hutchinson_trace", "hutchpp_trace"]


@dataclass(frozen=True)
class TraceEstimate:
    """A trace estimate with its standard error.

    Attributes
    ----------
    value : float
    stderr : float
        Standard error (see the method); ``value ± 2·stderr`` is a ≈95% interval for a
        Gaussian-like sampling distribution.
    n_products : int
        Operator–vector products spent.
    method : str
        ``'hutchinson'`` or ``'hutch++'``.
    seed : int
    """

    value: float
    stderr: float
    n_products: int
    method: str
    seed: int

    def __str__(self) -> str:
        return (f"tr ≈ {self.value:.6g} ± {self.stderr:.2g} ({self.method}, "
                f"{self.n_products} products, seed {self.seed})")


def _rademacher(rng, p, m):
    return rng.integers(0, 2, size=(p, m)).astype(np.float64) * 2.0 - 1.0


def _blocked(A, V, block):
    out = np.empty_like(V)
    for s in range(0, V.shape[1], block):
        out[:, s:s + block] = A.matmat(V[:, s:s + block])
    return out


def hutchinson_trace(A, n_vectors: int = 30, *, seed: int = 0, block: int = 8) -> TraceEstimate:
    r"""Hutchinson's trace estimator with Rademacher probes.

    .. math:: \widehat{\operatorname{tr}}A = \frac1m\sum_{j=1}^m v_j^\top A v_j

    Parameters
    ----------
    A : (p, p) LinearOperator or array_like
    n_vectors : int
        Number of probes :math:`m \ge 2`.
    seed : int
    block : int
        Probes per product call.

    Returns
    -------
    TraceEstimate
        ``stderr`` :math:`= \mathrm{std}(v_j^\top Av_j)/\sqrt m`.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag(np.arange(1.0, 101.0)) + 0.01
    >>> est = hutchinson_trace(A, 200, seed=1)
    >>> bool(abs(est.value - np.trace(A)) < 4 * est.stderr)
    True
    """
    owner = "hutchinson_trace"
    p = square_dimension(A, "A", owner)
    m = as_int(n_vectors, "n_vectors", owner, minimum=2)
    seed = as_seed(seed, "seed", owner)
    block = as_int(block, "block", owner, minimum=1)
    Ac = as_counted(A, "A", owner)
    before = Ac.n_products
    V = _rademacher(np.random.default_rng(seed), p, m)
    terms = np.einsum("ij,ij->j", V, _blocked(Ac, V, block))
    return TraceEstimate(float(terms.mean()), float(terms.std(ddof=1) / math.sqrt(m)),
                         Ac.n_products - before, "hutchinson", seed)


def hutchpp_trace(A, n_products: int = 30, *, seed: int = 0, block: int = 8) -> TraceEstimate:
    r"""Hutch++ trace estimator (Meyer et al. 2021) with a budget of ``n_products``.

    .. math:: \widehat{\operatorname{tr}}A = \operatorname{tr}(Q^\top AQ) + \frac1m\sum_{j=1}^m
              g_j^\top(I-QQ^\top)A(I-QQ^\top)g_j,\quad Q=\operatorname{orth}(AS)

    Parameters
    ----------
    A : (p, p) LinearOperator or array_like
    n_products : int
        Total budget :math:`3m`, a multiple of 3 with :math:`m \ge 2` (``6 ≤ n_products``).
    seed : int
    block : int

    Returns
    -------
    TraceEstimate
        ``stderr``: the Hutchinson part's standard error given :math:`Q`.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag(np.exp(-0.2 * np.arange(200)))     # fast decay: Hutch++ is nearly exact
    >>> est = hutchpp_trace(A, 60, seed=0)
    >>> bool(abs(est.value - np.trace(A)) < 1e-2 * np.trace(A))
    True
    """
    owner = "hutchpp_trace"
    p = square_dimension(A, "A", owner)
    budget = as_int(n_products, "n_products", owner, minimum=6)
    if budget % 3:
        from hyperribbon.theory import InvalidArgument

        raise InvalidArgument("n_products", owner, "be a multiple of 3 (S, Q and G thirds)",
                              budget)
    seed = as_seed(seed, "seed", owner)
    block = as_int(block, "block", owner, minimum=1)
    m = budget // 3
    Ac = as_counted(A, "A", owner)
    before = Ac.n_products
    rng = np.random.default_rng(seed)
    S = _rademacher(rng, p, m)
    G = _rademacher(rng, p, m)
    Q, _ = np.linalg.qr(_blocked(Ac, S, block))
    head = float(np.trace(Q.T @ _blocked(Ac, Q, block)))
    Gp = G - Q @ (Q.T @ G)
    terms = np.einsum("ij,ij->j", Gp, _blocked(Ac, Gp, block))
    return TraceEstimate(head + float(terms.mean()), float(terms.std(ddof=1) / math.sqrt(m)),
                         Ac.n_products - before, "hutch++", seed)
