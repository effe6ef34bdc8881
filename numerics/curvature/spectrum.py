r"""Eigenvalues of curvature matrices with an honest noise floor.

A :class:`Spectrum` carries, beside the eigenvalues, an absolute error bound per eigenvalue and a
global noise floor; an eigenvalue whose magnitude does not exceed its error bound is
*unresolved*: it is shown as ``< floor`` and is never reported as measured
(:meth:`Spectrum.reported`, :meth:`Spectrum.to_frame`).

* :func:`full_spectrum` — every eigenvalue of a small symmetric matrix or operator (dense
  LAPACK ``syevd``).  Noise floor :math:`p\,\varepsilon\,|\lambda|_{\max}` with
  :math:`\varepsilon = \varepsilon_{64} + \varepsilon_{\text{entries}}` (backward stability of the
  symmetric eigensolver, Weyl's inequality, plus the rounding of the entries when they were
  computed in lower precision, e.g. a float32 network).
* :func:`top_eigenvalues` — the extreme eigenvalues by implicitly restarted Lanczos (ARPACK,
  :func:`scipy.sparse.linalg.eigsh`), either end (``'LA'``/``'SA'``), both ends (``'BE'``) or
  largest magnitude (``'LM'``); Hessians are indefinite.  Each Ritz pair :math:`(\theta, v)`
  comes with its residual :math:`r = \|Av-\theta v\|` (one extra block product), and for a
  symmetric :math:`A` some eigenvalue lies in :math:`[\theta - r, \theta + r]`
  (Parlett, *The Symmetric Eigenvalue Problem*, Thm 4.5.1); the error bound is
  :math:`\max(r, \sqrt{p}\,\varepsilon_{\text{op}}|\theta|_{\max})`, the second term an
  estimate of the operator's own rounding.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse.linalg import eigsh

from hyperribbon.theory import InvalidArgument

from ._linop import as_counted, operator_eps, square_dimension, to_dense
from ._validate import as_choice, as_float, as_int, as_seed, as_spectrum_values

__all__ = ["Spectrum", "full_spectrum", "top_eigenvalues", "spectrum_from_values"]

_EPS64 = float(np.finfo(np.float64).eps)


@dataclass(frozen=True, repr=False, eq=False)
class Spectrum:
    r"""Eigenvalues with error bounds, a noise floor and a resolved mask.

    Parameters
    ----------
    values : (k,) ndarray
        Eigenvalues, in descending algebraic order.
    errors : (k,) ndarray
        Absolute error bound of each eigenvalue (≥ ``floor``).
    floor : float
        Global absolute noise floor: no magnitude below it is distinguishable from zero.
    dimension : int
        Size :math:`p` of the matrix (``k ≤ p``).
    rest_bound : float or None
        What is known about the :math:`p-k` eigenvalues not listed: ``0.0`` means they are
        exactly zero (e.g. the zero eigenvalues a Gram-matrix identity leaves out), a positive
        number bounds their magnitudes, ``None`` means nothing is known (a partial Lanczos
        spectrum of an indefinite matrix).  Irrelevant when ``k == p``.
    method : str
        How the values were computed (``'dense-eigh'``, ``'lanczos'``, ``'gram'``, ...).
    label : str
        What matrix this is the spectrum of (free text, used in reports and plots).
    n_products : int
        Operator–vector products spent (0 for a dense input).
    meta : dict
        Anything else worth recording (tolerances, seeds, normalisation).
    """

    values: np.ndarray
    errors: np.ndarray
    floor: float
    dimension: int
    rest_bound: float | None = None
    method: str = ""
    label: str = ""
    n_products: int = 0
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        values = np.asarray(self.values, dtype=np.float64).reshape(-1)
        errors = np.broadcast_to(np.asarray(self.errors, dtype=np.float64), values.shape).copy()
        order = np.argsort(-values, kind="stable")
        values, errors = values[order], errors[order]
        errors = np.maximum(errors, float(self.floor))
        values.setflags(write=False)
        errors.setflags(write=False)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "errors", errors)
        object.__setattr__(self, "floor", float(self.floor))
        object.__setattr__(self, "dimension", int(self.dimension))
        if values.size > self.dimension:
            raise InvalidArgument("values", "Spectrum", f"have at most dimension={self.dimension} "
                                  "entries", values)

    # ------------------------------------------------------------------ views
    @property
    def resolved(self) -> np.ndarray:
        """Boolean mask: ``|λ_i| > error_i`` (the eigenvalue is distinguishable from zero)."""
        return np.abs(self.values) > self.errors

    @property
    def complete(self) -> bool:
        """All :math:`p` eigenvalues are known (listed, or the unlisted ones are exact zeros)."""
        return self.values.size == self.dimension or self.rest_bound == 0.0

    @property
    def n_resolved(self) -> int:
        return int(np.count_nonzero(self.resolved))

    def reported(self) -> np.ndarray:
        """The values, every unresolved one replaced by NaN (never shown as measured)."""
        out = self.values.copy()
        out[~self.resolved] = np.nan
        return out

    def magnitudes(self) -> "Spectrum":
        """The spectrum of :math:`|A|`: magnitudes in descending order (thesis Fig 4.10 plots
        :math:`|\\lambda_i(H)|`)."""
        return Spectrum(np.abs(self.values), self.errors, self.floor, self.dimension,
                        self.rest_bound, self.method, f"|{self.label}|" if self.label else "",
                        self.n_products, dict(self.meta, magnitudes=True))

    def scaled(self, factor: float) -> "Spectrum":
        """The spectrum of ``factor · A`` (``factor > 0``), e.g. Fig 4.1's scaling by the largest
        input eigenvalue."""
        factor = as_float(factor, "factor", "Spectrum.scaled", positive=True)
        rest = None if self.rest_bound is None else self.rest_bound * factor
        return Spectrum(self.values * factor, self.errors * factor, self.floor * factor,
                        self.dimension, rest, self.method, self.label, self.n_products,
                        dict(self.meta, scaled_by=factor * self.meta.get("scaled_by", 1.0)))

    def to_frame(self):
        """A pandas DataFrame: index (1-based), value, error, resolved, reported (NaN if not)."""
        import pandas as pd

        return pd.DataFrame({"index": np.arange(1, self.values.size + 1), "value": self.values,
                             "error": self.errors, "resolved": self.resolved,
                             "reported": self.reported()})

    def to_dict(self) -> dict:
        """JSON-ready dictionary (unresolved values as ``None`` under ``reported``)."""
        rep = self.reported()
        return {"label": self.label, "method": self.method, "dimension": self.dimension,
                "floor": self.floor, "rest_bound": self.rest_bound,
                "n_products": self.n_products, "values": self.values.tolist(),
                "errors": self.errors.tolist(), "resolved": self.resolved.tolist(),
                "reported": [None if np.isnan(v) else float(v) for v in rep],
                "meta": {k: v for k, v in self.meta.items()
                         if isinstance(v, (int, float, str, bool, type(None)))}}

    def __len__(self) -> int:
        return int(self.values.size)

    def __repr__(self) -> str:
        head = (f"Spectrum({self.label + ', ' if self.label else ''}{self.method}, "
                f"p={self.dimension}, k={self.values.size}, floor={self.floor:.3g}, "
                f"resolved={self.n_resolved}/{self.values.size})")
        shown = []
        idx = list(range(min(6, self.values.size)))
        if self.values.size > 8:
            idx += [self.values.size - 2, self.values.size - 1]
        elif self.values.size > 6:
            idx += list(range(6, self.values.size))
        for i in idx:
            if self.resolved[i]:
                shown.append(f"  λ{i + 1} = {self.values[i]: .6g} ± {self.errors[i]:.2g}")
            else:
                shown.append(f"  λ{i + 1}: |λ| ≤ {self.errors[i]:.2g} (unresolved)")
        if self.values.size > 8:
            shown.insert(6, "  ...")
        return "\n".join([head] + shown)


def spectrum_from_values(values, *, floor: float | None = None, dimension: int | None = None,
                         rest_bound: float | None = None, entry_eps: float = _EPS64,
                         label: str = "", method: str = "given") -> Spectrum:
    r"""Wrap eigenvalues computed elsewhere as a :class:`Spectrum`.

    Parameters
    ----------
    values : (k,) array_like
        Eigenvalues (any order).
    floor : float, optional
        Absolute noise floor; default :math:`k\,\varepsilon\,|\lambda|_{\max}` with
        ``entry_eps`` as ε (the dense-eigensolver floor).
    dimension : int, optional
        Matrix size :math:`p \ge k` (default ``k``).
    rest_bound : float or None
        Bound on the magnitudes of the :math:`p-k` unlisted eigenvalues (0: exact zeros).

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.exp(-np.arange(40.0))
    >>> s = spectrum_from_values(lam)          # floor 40·ε·λ_max = 8.9e-15
    >>> bool(s.n_resolved == np.count_nonzero(lam > 40 * np.finfo(float).eps)), bool(s.resolved[-1])
    (True, False)
    """
    owner = "spectrum_from_values"
    vals = as_spectrum_values(values, "values", owner)
    k = vals.size
    dim = k if dimension is None else as_int(dimension, "dimension", owner, minimum=k)
    eps = as_float(entry_eps, "entry_eps", owner, positive=True)
    if floor is None:
        floor = dim * eps * float(np.max(np.abs(vals)))
    floor = as_float(floor, "floor", owner, nonnegative=True)
    if rest_bound is not None:
        rest_bound = as_float(rest_bound, "rest_bound", owner, nonnegative=True)
    return Spectrum(vals, np.full(k, floor), floor, dim, rest_bound, method, label)


def full_spectrum(A, *, label: str = "", entry_eps: float | None = None,
                  block: int = 64) -> Spectrum:
    r"""Every eigenvalue of a symmetric matrix or operator (dense, for small :math:`p`).

    Parameters
    ----------
    A : (p, p) array_like or LinearOperator
        Symmetric matrix, or an operator (a :class:`CurvatureOperator` or any
        :class:`scipy.sparse.linalg.LinearOperator`), densified by ``p`` products in blocks of
        ``block`` columns (one pass over the data per block).
    label : str
        Stored on the result.
    entry_eps : float, optional
        Relative rounding of the entries; default: machine epsilon of the operator's compute
        dtype (float32 networks: :math:`1.2\times10^{-7}`), float64 for arrays.
    block : int
        Columns per product when densifying an operator.

    Returns
    -------
    Spectrum
        ``method='dense-eigh'``, noise floor :math:`p(\varepsilon_{64}+\varepsilon_{\text{entries}})
        |\lambda|_{\max}`.

    Raises
    ------
    InvalidArgument
        If ``A`` is not square, not finite or visibly not symmetric.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Q, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    >>> lam = np.exp(-0.5 * np.arange(30))
    >>> s = full_spectrum((Q * lam) @ Q.T)
    >>> bool(np.allclose(s.values[s.resolved], lam[s.resolved], rtol=0, atol=s.floor))
    True
    >>> bool(np.all(lam[~s.resolved] < 2 * s.floor))
    True
    """
    owner = "full_spectrum"
    p = square_dimension(A, "A", owner)
    block = as_int(block, "block", owner, minimum=1)
    from scipy.sparse.linalg import LinearOperator

    from ._validate import as_symmetric_matrix

    n_products = 0
    if isinstance(A, LinearOperator):
        counted = as_counted(A, "A", owner)
        before = counted.n_products
        dense = to_dense(counted, block=block)
        n_products = counted.n_products - before
        eps_entries = operator_eps(A) if entry_eps is None else entry_eps
    else:
        dense = A
        eps_entries = _EPS64 if entry_eps is None else entry_eps
    eps_entries = as_float(eps_entries, "entry_eps", owner, positive=True)
    dense = as_symmetric_matrix(dense, "A", owner)
    values = np.linalg.eigvalsh(dense)
    lam_max = float(np.max(np.abs(values))) if values.size else 0.0
    floor = p * (_EPS64 + eps_entries) * lam_max
    meta = {"entry_eps": eps_entries}
    info = getattr(A, "info", None)
    if info is not None:
        meta["operator"] = repr(info)
    return Spectrum(values, np.full(p, floor), floor, p, None, "dense-eigh",
                    label or getattr(info, "label", ""), n_products, meta)


def top_eigenvalues(A, k: int, *, which: str = "LA", tol: float | None = None,
                    ncv: int | None = None, maxiter: int | None = None, seed: int = 0,
                    return_vectors: bool = False, label: str = ""):
    r"""Extreme eigenvalues of a symmetric operator by implicitly restarted Lanczos.

    Parameters
    ----------
    A : (p, p) LinearOperator or array_like
        Symmetric operator, e.g. from :func:`curvature_operator`.
    k : int
        Number of eigenvalues, ``1 ≤ k < p``.
    which : {'LA', 'SA', 'BE', 'LM'}
        Largest algebraic, smallest algebraic, both ends (``k//2`` from the bottom, the rest from
        the top) or largest magnitude.  Hessians are indefinite: use ``'LA'`` and ``'SA'`` (or
        ``'BE'``) to see both signs.
    tol : float, optional
        ARPACK's relative accuracy of the Ritz values; default ``max(1e-8, 10·ε_op)``
        (``ε_op`` the epsilon of the operator's compute dtype).
    ncv, maxiter : int, optional
        Lanczos basis size and restart limit (ARPACK defaults).
    seed : int
        Seeds the starting vector (the result is reproducible).
    return_vectors : bool
        Also return the (p, k) Ritz vectors, columns in the order of ``Spectrum.values``.

    Returns
    -------
    Spectrum or (Spectrum, ndarray)
        ``method='lanczos'``; ``errors`` are :math:`\max(\|Av_i-\theta_iv_i\|,
        \sqrt p\,\varepsilon_{\text{op}}|\theta|_{\max})`; ``n_products`` counts every
        operator–vector product including the residual check; ``rest_bound`` is the smallest
        listed magnitude for ``'LM'`` and ``None`` otherwise.

    Raises
    ------
    InvalidArgument
        Bad ``A``, ``k``, ``which``, ``tol``, ``ncv``, ``maxiter`` or ``seed``.
    scipy.sparse.linalg.ArpackNoConvergence
        If ARPACK does not converge within ``maxiter`` restarts (its ``eigenvalues`` attribute
        holds the Ritz values that did; raise ``maxiter``/``ncv`` or loosen ``tol``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> Q, _ = np.linalg.qr(rng.standard_normal((200, 200)))
    >>> lam = np.concatenate([np.exp(-0.1 * np.arange(190)), -np.arange(1.0, 11.0)])
    >>> A = (Q * lam) @ Q.T
    >>> top = top_eigenvalues(A, 3, which="LA", tol=1e-10)
    >>> bottom = top_eigenvalues(A, 2, which="SA", tol=1e-10)
    >>> bool(np.allclose(top.values, [1, np.exp(-0.1), np.exp(-0.2)], atol=1e-8))
    True
    >>> bool(np.allclose(bottom.values, [-9, -10], atol=1e-8))
    True
    """
    owner = "top_eigenvalues"
    p = square_dimension(A, "A", owner)
    k = as_int(k, "k", owner, minimum=1, maximum=max(1, p - 1))
    if p < 2:
        raise InvalidArgument("A", owner, "have dimension ≥ 2 for Lanczos (use full_spectrum)", A)
    which = as_choice(which, "which", owner, ("LA", "SA", "BE", "LM"))
    if which == "BE" and k < 2:
        raise InvalidArgument("k", owner, "be ≥ 2 when which='BE'", k)
    seed = as_seed(seed, "seed", owner)
    counted = as_counted(A, "A", owner)
    eps_op = operator_eps(A)
    if tol is None:
        tol = max(1e-8, 10 * eps_op)
    tol = as_float(tol, "tol", owner, nonnegative=True)
    if ncv is not None:
        ncv = as_int(ncv, "ncv", owner, minimum=k + 1, maximum=p)
    if maxiter is not None:
        maxiter = as_int(maxiter, "maxiter", owner, minimum=1)
    before = counted.n_products
    v0 = np.random.default_rng(seed).standard_normal(p)
    vals, vecs = eigsh(counted, k=k, which=which, tol=tol, v0=v0, ncv=ncv, maxiter=maxiter)
    order = np.argsort(-vals, kind="stable")
    vals, vecs = vals[order], vecs[:, order]
    residual = np.linalg.norm(counted.matmat(vecs) - vecs * vals, axis=0)
    rounding = np.sqrt(p) * eps_op * float(np.max(np.abs(vals)))
    errors = np.maximum(residual, rounding)
    rest = float(np.min(np.abs(vals))) if which == "LM" else None
    info = getattr(A, "info", None)
    meta = {"which": which, "tol": tol, "seed": seed, "max_residual": float(residual.max()),
            "compute_eps": eps_op}
    if info is not None:
        meta["operator"] = repr(info)
    spec = Spectrum(vals, errors, rounding, p, rest, "lanczos",
                    label or getattr(info, "label", ""), counted.n_products - before, meta)
    return (spec, vecs) if return_vectors else spec
