r"""Lazily read stacks of predicted probabilities or log-probabilities (thesis §2.2, §3.5.2).

The thesis embeds :math:`m \sim 10^3`–:math:`10^5` models with :math:`NC \sim 10^6`–:math:`10^8`;
such an (m, N, C) stack does not fit in memory. :class:`ProbabilityStack` reads it block by block
from a ``.npy`` file (positioned reads, so that the resident memory is one block, not the mapped
file), a zarr array, a Dask array, a memmap, an in-memory array or a torch tensor, and validates
each block when it is read (:func:`~.probabilities.as_probabilities`, or
:func:`~.probabilities.as_log_probabilities` for a stack opened with ``log=True`` or
``log="logits"``). Every function that takes models accepts a stack (or a path, which it opens
as one); the distance functions read it block by block.

Examples
--------
>>> import tempfile, os
>>> rng = np.random.default_rng(0)
>>> P = rng.dirichlet(np.ones(3), size=(7, 20))
>>> with tempfile.TemporaryDirectory() as tmp:
...     np.save(os.path.join(tmp, "P.npy"), P)
...     s = open_stack(os.path.join(tmp, "P.npy"))
...     ok = s.shape == (7, 20, 3) and bool(np.array_equal(s.block(2, 5), P[2:5]))
>>> ok
True
"""
from __future__ import annotations

import hashlib
import os

import numpy as np

from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.prediction_space.arrays import as_array

from .probabilities import as_models, check_log

__all__ = ["ProbabilityStack", "open_stack"]


class ProbabilityStack:
    r"""A lazily read (m, N, C) stack of probabilities or log-probabilities.

    Parameters
    ----------
    source : str, os.PathLike, array-like, torch.Tensor or ProbabilityStack
        A ``.npy`` file (read with positioned reads), a zarr store directory, a zarr/h5py/Dask
        array, a numpy array or memmap, or a torch tensor.
    atol : float, optional
        Row-sum tolerance used when blocks are validated.
    log : {False, True, "logits"}
        What the stack holds: probabilities, log-probabilities or logits (blocks are then
        returned as exactly normalised float64 log-probabilities).

    Raises
    ------
    InvalidArgument
        A missing or unreadable path, a Fortran-ordered ``.npy`` file, or a source that is not a
        non-empty 3-D array.
    """

    def __init__(self, source, *, atol: float | None = None, log=False):
        self.atol = atol
        self.log = check_log(log, "ProbabilityStack")
        self.path = None
        self.offset = 0
        self.array = None
        if isinstance(source, ProbabilityStack):
            self.__dict__.update({k: v for k, v in source.__dict__.items()
                                  if k not in ("atol", "log")})
            return
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if not os.path.exists(path):
                raise InvalidArgument("source", "ProbabilityStack", "be an existing .npy file or "
                                      "zarr store", path)
            if os.path.isdir(path):
                self.array = as_array(path, "source", "ProbabilityStack", lazy=True)
            else:
                self._read_header(path)
        else:
            arr = as_array(source, "source", "ProbabilityStack", lazy=True)
            self.array = arr
        if self.array is not None:
            self._shape, self._dtype = tuple(self.array.shape), np.dtype(self.array.dtype)
        if len(self._shape) != 3 or min(self._shape) == 0:
            raise InvalidArgument("source", "ProbabilityStack", "hold a non-empty (m, N, C) array",
                                  f"shape {self._shape}")

    def _read_header(self, path):
        self.path = path
        with open(path, "rb") as f:
            try:
                version = np.lib.format.read_magic(f)
                reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                          else np.lib.format.read_array_header_2_0)
                shape, fortran, dtype = reader(f)
            except ValueError:
                raise InvalidArgument("source", "ProbabilityStack", "be a .npy file",
                                      path) from None
            self.offset = f.tell()
        if fortran:
            raise InvalidArgument("source", "ProbabilityStack", "be stored in C order", path)
        if np.dtype(dtype).kind not in "biuf":
            raise InvalidArgument("source", "ProbabilityStack", "hold real numbers", path)
        self._shape, self._dtype = tuple(shape), np.dtype(dtype)

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def ndim(self) -> int:
        return 3

    def __len__(self) -> int:
        return self._shape[0]

    def __repr__(self) -> str:
        kind = {False: "probabilities", True: "log-probabilities", "logits": "logits"}[self.log]
        where = self.path or type(self.array).__name__
        return f"ProbabilityStack({where}, shape={self._shape}, dtype={self._dtype}, {kind})"

    def raw(self, start: int, stop: int) -> np.ndarray:
        """Models ``start:stop`` as stored (not validated)."""
        if self.path is not None:
            m, N, C = self._shape
            out = np.empty((stop - start, N, C), dtype=self._dtype)
            nbytes = out.nbytes
            with open(self.path, "rb", buffering=0) as f:
                f.seek(self.offset + start * N * C * self._dtype.itemsize)
                view, got = memoryview(out).cast("B"), 0
                while got < nbytes:
                    k = f.readinto(view[got:])
                    if not k:
                        raise InvalidArgument("source", "ProbabilityStack", "not be truncated",
                                              self.path)
                    got += k
            return out
        block = self.array[start:stop]
        if hasattr(block, "compute"):
            block = block.compute()
        return as_array(block, "source", "ProbabilityStack")

    def block(self, start: int, stop: int, *, log=None,
              argument: str = "probabilities") -> np.ndarray:
        """Models ``start:stop``, validated (probabilities, or normalised float64 logs).

        ``log`` overrides the kind the stack was opened with (see :class:`ProbabilityStack`);
        errors name ``argument[start:stop]``.
        """
        kind = check_log(log, "ProbabilityStack.block", default=self.log)
        return as_models(self.raw(start, stop), f"{argument}[{start}:{stop}]",
                         "ProbabilityStack", kind, atol=self.atol)

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        first = key[0]
        if not isinstance(first, slice) or first.step not in (None, 1):
            raise InvalidArgument("key", "ProbabilityStack", "be a contiguous slice of models", key)
        start, stop, _ = first.indices(len(self))
        return self.block(start, stop)[(slice(None),) + tuple(key[1:])]

    def __array__(self, dtype=None, copy=None):
        out = self.raw(0, len(self))
        return out if dtype is None else out.astype(dtype, copy=False)

    def fingerprint(self) -> str:
        """Shape, dtype and a hash of the first and last models (detects a changed source)."""
        h = hashlib.sha1(f"{self._shape}{self._dtype}".encode())
        for i in (0, len(self) - 1):
            h.update(np.ascontiguousarray(self.raw(i, i + 1)).tobytes())
        return h.hexdigest()


def open_stack(source, *, atol: float | None = None, log=None) -> ProbabilityStack:
    """A :class:`ProbabilityStack` over ``source`` (see there); a stack is returned as it is
    unless ``atol`` or ``log`` is given."""
    if isinstance(source, ProbabilityStack) and atol is None and log is None:
        return source
    if isinstance(source, ProbabilityStack):
        s = ProbabilityStack(source, atol=atol if atol is not None else source.atol,
                             log=check_log(log, "open_stack", default=source.log))
        return s
    return ProbabilityStack(source, atol=atol, log=check_log(log, "open_stack"))


def stack_kind(x, log, owner: str):
    """The ``log`` kind of a call: explicit ``log``, else the kind of a stack argument, else
    probabilities."""
    default = x.log if isinstance(x, ProbabilityStack) else False
    return check_log(log, owner, default=default)
