"""Linear-operator plumbing shared by the spectral routines (private; numpy/scipy only).

``as_counted(A)`` wraps an array or a :class:`scipy.sparse.linalg.LinearOperator` so that every
product is counted (columns applied and calls made): the honest cost unit of a curvature method
is the number of operator–vector products (Hessian-vector products, HVPs), and a call with a block
of columns costs one pass over the data.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from hyperribbon.theory import InvalidArgument

__all__ = ["CountingOperator", "as_counted", "operator_eps", "square_dimension", "to_dense"]


class CountingOperator(LinearOperator):
    """A symmetric float64 linear operator that counts the products it performs.

    Attributes
    ----------
    n_products : int
        Number of vectors the operator was applied to (a block of 8 counts 8).
    n_calls : int
        Number of calls (a block of 8 counts 1: one pass over the data for curvature operators).
    """

    def __init__(self, base):
        self._base = base
        self.n_products = 0
        self.n_calls = 0
        super().__init__(dtype=np.dtype(np.float64), shape=base.shape)

    def _matvec(self, x):
        self.n_products += 1
        self.n_calls += 1
        return np.asarray(self._base.matvec(np.asarray(x, dtype=np.float64)),
                          dtype=np.float64).reshape(-1)

    def _matmat(self, X):
        X = np.asarray(X, dtype=np.float64)
        self.n_products += X.shape[1]
        self.n_calls += 1
        return np.asarray(self._base.matmat(X), dtype=np.float64).reshape(X.shape[0], X.shape[1])

    def _rmatvec(self, x):
        return self._matvec(x)

    def _rmatmat(self, X):
        return self._matmat(X)

    def _adjoint(self):
        return self


def square_dimension(A, argument: str, owner: str) -> int:
    shape = getattr(A, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != shape[1] or shape[0] < 1:
        raise InvalidArgument(argument, owner, "be a square matrix or square LinearOperator", A)
    return int(shape[0])


def as_counted(A, argument: str, owner: str) -> CountingOperator:
    """Wrap an array, a LinearOperator or a CurvatureOperator as a counting float64 operator."""
    square_dimension(A, argument, owner)
    if isinstance(A, CountingOperator):
        return A
    if isinstance(A, LinearOperator):
        return CountingOperator(A)
    try:
        arr = np.asarray(A, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidArgument(argument, owner, "be a real square array or LinearOperator",
                              A) from None
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(argument, owner, "be finite (no NaN or ±inf)", arr)
    return CountingOperator(aslinearoperator(arr))


def operator_eps(A) -> float:
    """Machine epsilon of the arithmetic the operator's products are computed in.

    A :class:`~hyperribbon.numerics.curvature.CurvatureOperator` reports its torch dtype
    (``compute_eps``); arrays and other operators are taken to be float64.
    """
    base = A._base if isinstance(A, CountingOperator) else A
    eps = getattr(base, "compute_eps", None)
    if eps is None:
        dtype = getattr(base, "dtype", np.float64)
        try:
            eps = float(np.finfo(np.dtype(dtype)).eps) if np.issubdtype(np.dtype(dtype),
                                                                        np.floating) else None
        except TypeError:
            eps = None
    return float(max(eps or 0.0, np.finfo(np.float64).eps))


def to_dense(A: CountingOperator, block: int = 64) -> np.ndarray:
    """Dense float64 matrix of an operator by products with blocks of unit vectors."""
    p = A.shape[0]
    out = np.empty((p, p), dtype=np.float64)
    for start in range(0, p, block):
        stop = min(p, start + block)
        E = np.zeros((p, stop - start))
        E[np.arange(start, stop), np.arange(stop - start)] = 1.0
        out[:, start:stop] = A.matmat(E)
    return out
