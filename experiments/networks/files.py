"""Readers for a user's own MNIST (idx) and CIFAR-10 (python batches) files.

Nothing is downloaded: the user names a directory that already holds the files.

* **idx** (LeCun's MNIST format): 2 zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16,
  0x0C int32, 0x0D float32, 0x0E float64), a byte with the number of dimensions n, then n
  big-endian uint32 sizes, then the data in big-endian C order. Images have magic 0x00000803,
  labels 0x00000801. Files may be gzip-compressed (``.gz``).
* **CIFAR-10 python batches** (``data_batch_1..5``, ``test_batch``): pickled dicts with
  ``b'data'`` a ``(10000, 3072)`` uint8 array (rows: 1024 red, 1024 green, 1024 blue values of a
  32×32 image in row-major order) and ``b'labels'`` a list of ints in 0..9. Unpickling is
  restricted to numpy arrays and plain containers (a pickle cannot run code here).
"""
from __future__ import annotations

import gzip
import io
import os
import pickle

import numpy as np

from hyperribbon.theory import InvalidArgument

from .data import Dataset, normalise

__all__ = ["read_idx", "write_idx", "load_mnist", "read_cifar_batch", "load_cifar10",
           "IDX_TYPES"]

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open(path):
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def read_idx(path) -> np.ndarray:
    """Read one idx file (optionally ``.gz``) into a native-endian ndarray.

    Raises
    ------
    InvalidArgument
        If the magic number, the type byte or the file length is wrong.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    >>> p = os.path.join(tempfile.mkdtemp(), "x-idx3-ubyte")
    >>> write_idx(p, a); bool(np.array_equal(read_idx(p), a))
    True
    """
    owner = "read_idx"
    with _open(path) as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise InvalidArgument("path", owner,
                              "be an idx file (magic 0x0000TTNN, TT in 08,09,0B,0C,0D,0E)",
                              f"{path} starting with {raw[:4].hex()}")
    dtype, ndim = np.dtype(IDX_TYPES[raw[2]]), raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise InvalidArgument("path", owner, f"hold {ndim} dimension sizes", str(path))
    dims = tuple(int(d) for d in np.frombuffer(raw[4:head], dtype=">u4"))
    count = int(np.prod(dims)) if dims else 1
    if len(raw) - head != count * dtype.itemsize:
        raise InvalidArgument("path", owner,
                              f"hold {count * dtype.itemsize} data bytes for dims {dims}",
                              f"{path} with {len(raw) - head}")
    return np.frombuffer(raw[head:], dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write an array in idx format (used by the tests; inverse of :func:`read_idx`)."""
    a = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}
    code = codes.get(a.dtype.newbyteorder("="))
    if code is None:
        raise InvalidArgument("array", "write_idx", "have an idx dtype (u1,i1,i2,i4,f4,f8)",
                              a.dtype)
    body = (bytes([0, 0, code, a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes()
            + a.astype(np.dtype(IDX_TYPES[code])).tobytes())
    with (gzip.open(path, "wb") if str(path).endswith(".gz") else open(path, "wb")) as f:
        f.write(body)


def _find(directory, stems):
    for stem in stems:
        for suffix in ("", ".gz"):
            p = os.path.join(directory, stem + suffix)
            if os.path.exists(p):
                return p
    raise InvalidArgument("path", "load_mnist", f"contain one of {stems} (or .gz)", directory)


def load_mnist(path, normalisation: str = "channel", limit: int | None = None) -> Dataset:
    """MNIST (or Fashion-MNIST) from the four idx files in a directory.

    Parameters
    ----------
    path : str
        Directory with ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (optionally ``.gz``; the dotted
        names ``train-images.idx3-ubyte`` are accepted too).
    normalisation : {"channel", "pixel", "none"}
    limit : int, optional
        Keep only the first ``limit`` training and test samples (for CPU-sized runs).

    Returns
    -------
    Dataset with ``(1, 28, 28)`` inputs and 10 classes; no flips (digits are not symmetric).
    """
    owner = "load_mnist"
    if not os.path.isdir(path):
        raise InvalidArgument("path", owner, "be an existing directory", path)
    arrays = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        xi = read_idx(_find(path, [f"{prefix}-images-idx3-ubyte", f"{prefix}-images.idx3-ubyte"]))
        yi = read_idx(_find(path, [f"{prefix}-labels-idx1-ubyte", f"{prefix}-labels.idx1-ubyte"]))
        if xi.ndim != 3 or yi.ndim != 1 or xi.shape[0] != yi.shape[0]:
            raise InvalidArgument("path", owner,
                                  "hold (N, H, W) images and (N,) labels of equal N",
                                  f"{xi.shape} and {yi.shape}")
        if limit is not None:
            xi, yi = xi[:limit], yi[:limit]
        arrays[split] = (xi[:, None].astype(np.float64), yi.astype(np.int64))
    classes = int(max(arrays["train"][1].max(), arrays["test"][1].max())) + 1
    x_tr, x_te, stats = normalise(arrays["train"][0], arrays["test"][0], normalisation)
    return Dataset("mnist", x_tr, arrays["train"][1], x_te, arrays["test"][1], max(classes, 2),
                   flips_allowed=False, info={"source": os.path.abspath(path),
                                              "normalisation": stats})


class _SafeUnpickler(pickle.Unpickler):
    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("builtins", "bytes"),
                ("_codecs", "encode")}   # protocol-2 pickles encode bytes through it

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")


def read_cifar_batch(path):
    """One CIFAR-10 python batch → ``(x (n, 3, 32, 32) uint8, y (n,) int64)``.

    Examples
    --------
    >>> import pickle, tempfile, os, numpy as np
    >>> p = os.path.join(tempfile.mkdtemp(), "test_batch")
    >>> data = np.arange(2 * 3072, dtype=np.int64).astype(np.uint8).reshape(2, 3072)
    >>> with open(p, "wb") as f:
    ...     pickle.dump({b"data": data, b"labels": [3, 7]}, f)
    >>> x, y = read_cifar_batch(p)
    >>> x.shape, y.tolist(), int(x[0, 1, 0, 0]) == int(data[0, 1024])   # plane 1 is green
    ((2, 3, 32, 32), [3, 7], True)
    """
    owner = "read_cifar_batch"
    with open(path, "rb") as f:
        try:
            d = _SafeUnpickler(io.BytesIO(f.read()), encoding="bytes").load()
        except (pickle.UnpicklingError, EOFError) as exc:
            raise InvalidArgument("path", owner, "be a CIFAR-10 python batch", f"{path}: {exc}")
    if not isinstance(d, dict) or b"data" not in d or b"labels" not in d:
        raise InvalidArgument("path", owner, "hold a dict with b'data' and b'labels'", str(path))
    data = np.asarray(d[b"data"], dtype=np.uint8)
    labels = np.asarray(d[b"labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or labels.shape != (data.shape[0],):
        raise InvalidArgument("path", owner, "hold b'data' (n, 3072) and n b'labels'",
                              f"{path}: {data.shape}, {labels.shape}")
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar10(path, normalisation: str = "channel", limit: int | None = None) -> Dataset:
    """CIFAR-10 from the python batches in ``path`` (or in ``path/cifar-10-batches-py``).

    Parameters
    ----------
    path : str
        Directory with ``data_batch_1`` … ``data_batch_5`` (any present, at least one) and
        ``test_batch``.
    normalisation : {"channel", "pixel", "none"}
        ``"channel"`` is the thesis's per-channel mean/std of the training images (§2.5.2).
    limit : int, optional
        Keep only the first ``limit`` training and test images.

    Returns
    -------
    Dataset with ``(3, 32, 32)`` inputs, 10 classes, horizontal flips allowed.
    """
    owner = "load_cifar10"
    if os.path.isdir(os.path.join(path, "cifar-10-batches-py")):
        path = os.path.join(path, "cifar-10-batches-py")
    if not os.path.isdir(path):
        raise InvalidArgument("path", owner, "be an existing directory", path)
    train = [os.path.join(path, f"data_batch_{i}") for i in range(1, 6)]
    train = [p for p in train if os.path.exists(p)]
    test = os.path.join(path, "test_batch")
    if not train or not os.path.exists(test):
        raise InvalidArgument("path", owner, "contain data_batch_1..5 and test_batch", path)
    parts = [read_cifar_batch(p) for p in train]
    x_tr = np.concatenate([p[0] for p in parts])
    y_tr = np.concatenate([p[1] for p in parts])
    x_te, y_te = read_cifar_batch(test)
    if limit is not None:
        x_tr, y_tr, x_te, y_te = x_tr[:limit], y_tr[:limit], x_te[:limit], y_te[:limit]
    x_tr, x_te, stats = normalise(x_tr.astype(np.float64), x_te.astype(np.float64),
                                  normalisation)
    return Dataset("cifar10", x_tr, y_tr, x_te, y_te, 10, flips_allowed=True,
                   info={"source": os.path.abspath(path), "normalisation": stats})
