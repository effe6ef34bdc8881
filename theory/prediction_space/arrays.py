r"""The one conversion of user-supplied arrays for prediction space (thesis Ch. 2–3).

Every public function of :mod:`hyperribbon.theory.prediction_space` and
:mod:`hyperribbon.numerics.prediction_space` that takes an array passes it through
:func:`as_array` first, so that all of them accept the same things:

* numpy arrays of any real dtype (float16/32/64, integers and booleans such as one-hot arrays),
  contiguous or not, and ``numpy.memmap``;
* torch tensors on any device, also with ``requires_grad`` (detached; float16/bfloat16 become
  float32) — torch is never imported here, tensors are recognised by their module;
* paths (``str`` or ``os.PathLike``) to a ``.npy`` file (memory-mapped) or a zarr store
  directory;
* lazy arrays — zarr, Dask, h5py datasets, and the
  :class:`~hyperribbon.numerics.prediction_space.stacks.ProbabilityStack` that ``open_stack``
  returns — read in full, or returned as they are with ``lazy=True`` for callers that read them
  block by block;
* nested lists and tuples.

Anything else is an :class:`~hyperribbon.theory.errors.InvalidArgument` naming the argument.

Examples
--------
>>> as_array([[0.5, 0.5], [1, 0]], "p", "example").dtype
dtype('float64')
>>> as_array(np.eye(3, dtype=int), "p", "example").dtype.kind
'i'
>>> try:
...     as_array("missing.npy", "p", "example")
... except InvalidArgument as e:
...     print(e.rule)
be an existing .npy file or zarr store
"""
from __future__ import annotations

import os

import numpy as np

from .._validate import from_torch as _from_torch, is_torch as _is_torch
from ..errors import InvalidArgument

__all__ = ["as_array", "is_lazy", "open_path"]


def is_lazy(x) -> bool:
    """Whether ``x`` is an array-like read on demand (memmap, zarr, Dask, h5py, a stack)."""
    if isinstance(x, np.memmap):
        return True
    if isinstance(x, np.ndarray) or _is_torch(x):
        return False
    return all(hasattr(x, a) for a in ("shape", "dtype", "__getitem__"))


def open_path(path, argument: str, owner: str):
    """A ``.npy`` file as a read-only memmap, or a zarr store directory as a zarr array."""
    p = os.fspath(path)
    if not os.path.exists(p):
        raise InvalidArgument(argument, owner, "be an existing .npy file or zarr store", p)
    if os.path.isdir(p):
        import zarr
        try:
            return zarr.open_array(p, mode="r")
        except Exception:                      # zarr raises several types for a non-array
            raise InvalidArgument(argument, owner, "be a zarr array store", p) from None
    try:
        return np.load(p, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError):
        raise InvalidArgument(argument, owner, "be a .npy file", p) from None


def as_array(x, argument: str, owner: str, *, lazy: bool = False, numeric: bool = True):
    """``x`` as a numpy array (or, with ``lazy=True``, a lazy array-like left as it is).

    Parameters
    ----------
    x : array_like, torch.Tensor, str, os.PathLike or lazy array
        See the module docstring.
    argument, owner : str
        Names used in error messages.
    lazy : bool
        Return memmaps, zarr/Dask/h5py arrays and probability stacks unread.
    numeric : bool
        Require real numbers (default). ``False`` keeps categorical arrays (strings, objects)
        as they are, for labels of configuration factors.

    Returns
    -------
    numpy.ndarray, or a lazy array-like with ``shape``, ``dtype`` and ``__getitem__``
        Real (never complex or object) dtype when ``numeric``.

    Raises
    ------
    InvalidArgument
        A missing path, a complex or non-numeric array, or an object numpy cannot convert.
    """
    if isinstance(x, (str, os.PathLike)):
        x = open_path(x, argument, owner)
    if _is_torch(x):
        arr = _from_torch(x, argument, owner)
    elif lazy and is_lazy(x):
        if np.dtype(x.dtype).kind not in "biuf":
            raise InvalidArgument(argument, owner, "be an array of real numbers", x)
        return x
    elif isinstance(x, np.ndarray):
        arr = x
    else:
        if hasattr(x, "compute") and type(x).__module__.split(".")[0] == "dask":
            x = x.compute()
        try:
            arr = np.asarray(x) if numeric else np.asarray(x, dtype=object)
        except (TypeError, ValueError, RuntimeError, InvalidArgument):
            raise InvalidArgument(argument, owner, "be an array of real numbers", x) from None
    if not numeric:
        return arr
    if arr.dtype.kind == "c":
        raise InvalidArgument(argument, owner, "be a real array", arr)
    if arr.dtype.kind not in "biuf":
        try:
            arr = np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidArgument(argument, owner, "be an array of real numbers", x) from None
    return arr
