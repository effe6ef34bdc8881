r"""Blocked, out-of-core and Dask computation of pairwise distance matrices (thesis §2.2, §3.5.2).

The thesis embeds :math:`m \sim 10^3`–:math:`10^5` models with :math:`NC \sim 10^6`–:math:`10^8`
("Implementing InPCA — or even PCA — for such large matrices requires a large amount of memory.
We reduced the severity of this issue using Numpy's memmap functionality", §2.2). Here:

* :class:`ProbabilityStack` reads an (m, N, C) stack block by block from a ``.npy`` file (with
  positioned reads, so that the resident memory is one block, not the mapped file), a zarr array,
  a Dask array, a memmap or an in-memory array, and validates each block when it is read;
* :func:`pairwise_to_disk` fills an (m, m) matrix in a ``.npy`` file or a zarr store tile by tile
  (:math:`b\times b` tiles, the upper half computed, each tile mirrored). Memory is bounded by
  the block size b (two blocks and one tile per worker). Every finished tile leaves a marker
  file, so an interrupted run resumes where it stopped. Tiles are Dask tasks: the local threaded
  scheduler by default, or any Dask cluster when a ``client`` (``distributed.Client``) is passed;
* :func:`pairwise_dask` returns the matrix as a lazy ``dask.array`` built with ``blockwise``.

Each tile uses the kernels of :mod:`hyperribbon.numerics.prediction_space._tiles`, the same as
:func:`~hyperribbon.numerics.prediction_space.distances.pairwise_distances`, so the results agree to rounding.

Examples
--------
>>> import tempfile, os
>>> from hyperribbon.numerics.prediction_space.distances import pairwise_distances
>>> rng = np.random.default_rng(0)
>>> P = rng.dirichlet(np.ones(3), size=(7, 20))
>>> with tempfile.TemporaryDirectory() as tmp:
...     D = pairwise_to_disk(P, os.path.join(tmp, "D.npy"), block_size=3, progress=False)
...     ok = bool(np.allclose(D, pairwise_distances(P), rtol=0, atol=1e-14))
...     del D
>>> ok
True
"""
from __future__ import annotations

import functools
import hashlib
import json
import numbers
import os
import shutil
import threading
from dataclasses import dataclass

import numpy as np

from hyperribbon.theory.errors import InvalidArgument

from . import _tiles
from .distances import check_metric
from .probabilities import as_probabilities, to_numpy

__all__ = ["ProbabilityStack", "open_stack", "pairwise_to_disk", "pairwise_dask", "tile_status",
           "open_matrix"]


# ---------------------------------------------------------------- sources
class ProbabilityStack:
    r"""A lazily read (m, N, C) stack of probabilities.

    Parameters
    ----------
    source : str or os.PathLike or array-like
        A ``.npy`` file (read with positioned reads), a zarr store directory, a zarr/h5py/Dask
        array, a numpy array or memmap, or a torch tensor.
    atol : float, optional
        Row-sum tolerance used when blocks are validated.
    """

    def __init__(self, source, *, atol: float | None = None):
        self.atol = atol
        self.path = None
        self.offset = 0
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if not os.path.exists(path):
                raise InvalidArgument("source", "ProbabilityStack", "be an existing .npy file or "
                                      "zarr store", path)
            if os.path.isdir(path):
                import zarr
                self.array = zarr.open_array(path, mode="r")
            else:
                self.path = path
                self.array = None
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
                    raise InvalidArgument("source", "ProbabilityStack",
                                          "be stored in C order", path)
                self._shape, self._dtype = tuple(shape), np.dtype(dtype)
        elif isinstance(source, ProbabilityStack):
            self.__dict__.update(source.__dict__)
            return
        else:
            arr = source
            if type(source).__module__.startswith("torch") or isinstance(source, (list, tuple)):
                arr = to_numpy(source, "source", "ProbabilityStack")
            if not all(hasattr(arr, a) for a in ("shape", "dtype", "__getitem__")):
                raise InvalidArgument("source", "ProbabilityStack", "be a path or an array", source)
            self.array = arr
        if self.array is not None:
            self._shape, self._dtype = tuple(self.array.shape), np.dtype(self.array.dtype)
        if len(self._shape) != 3 or min(self._shape) == 0:
            raise InvalidArgument("source", "ProbabilityStack", "hold a non-empty (m, N, C) array",
                                  f"shape {self._shape}")

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
        return np.asarray(block)

    def block(self, start: int, stop: int) -> np.ndarray:
        """Models ``start:stop``, validated (:func:`~.probabilities.as_probabilities`)."""
        return as_probabilities(self.raw(start, stop), f"probabilities[{start}:{stop}]",
                                "ProbabilityStack", atol=self.atol)

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        first = key[0]
        if not isinstance(first, slice) or first.step not in (None, 1):
            raise InvalidArgument("key", "ProbabilityStack", "be a contiguous slice of models", key)
        start, stop, _ = first.indices(len(self))
        return self.block(start, stop)[(slice(None),) + tuple(key[1:])]

    def fingerprint(self) -> str:
        """Shape, dtype and a hash of the first and last models (detects a changed source)."""
        h = hashlib.sha1(f"{self._shape}{self._dtype}".encode())
        for i in (0, len(self) - 1):
            h.update(np.ascontiguousarray(self.raw(i, i + 1)).tobytes())
        return h.hexdigest()


def open_stack(source, *, atol: float | None = None) -> ProbabilityStack:
    """A :class:`ProbabilityStack` over ``source`` (see there)."""
    return source if isinstance(source, ProbabilityStack) and atol is None \
        else ProbabilityStack(source, atol=atol)


# ---------------------------------------------------------------- outputs
@dataclass(frozen=True)
class _Store:
    kind: str          # "npy" or "zarr"
    path: str
    shape: tuple
    dtype: str
    offset: int = 0

    def write(self, i0: int, j0: int, t: np.ndarray) -> None:
        t = np.ascontiguousarray(t, dtype=np.dtype(self.dtype))
        if self.kind == "zarr":
            import zarr
            zarr.open_array(self.path, mode="r+")[i0:i0 + t.shape[0], j0:j0 + t.shape[1]] = t
            return
        item, m = t.dtype.itemsize, self.shape[1]
        fd = os.open(self.path, os.O_WRONLY)
        try:
            for r in range(t.shape[0]):
                os.pwrite(fd, t[r].tobytes(), self.offset + ((i0 + r) * m + j0) * item)
            os.fsync(fd)
        finally:
            os.close(fd)

    def open(self):
        if self.kind == "zarr":
            import zarr
            return zarr.open_array(self.path, mode="r")
        return np.load(self.path, mmap_mode="r")


def _create_store(path: str, shape: tuple, dtype, block: int) -> _Store:
    if path.endswith(".zarr"):
        import zarr
        zarr.create_array(store=path, shape=shape, chunks=(block, block), dtype=dtype,
                          fill_value=np.nan, overwrite=True)
        return _Store("zarr", path, shape, np.dtype(dtype).str)
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
    offset = mm.offset
    del mm
    return _Store("npy", path, shape, np.dtype(dtype).str, offset)


def open_matrix(path):
    """Open a matrix written by :func:`pairwise_to_disk` (read-only memmap or zarr array)."""
    path = os.fspath(path)
    meta = _read_meta(path)
    if meta is None:
        raise InvalidArgument("path", "open_matrix", "hold a matrix written by pairwise_to_disk",
                              path)
    return _Store(**meta["store"]).open()


def _markers(path: str) -> str:
    return path.rstrip("/") + ".tiles"


def _read_meta(path: str):
    f = os.path.join(_markers(path), "meta.json")
    if not os.path.exists(f):
        return None
    with open(f) as fh:
        meta = json.load(fh)
    meta["store"]["shape"] = tuple(meta["store"]["shape"])
    return meta


def _write_atomic(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def tile_status(path) -> tuple[int, int]:
    """``(finished tiles, total tiles)`` of a (possibly interrupted) :func:`pairwise_to_disk`."""
    path = os.fspath(path)
    meta = _read_meta(path)
    if meta is None:
        return 0, 0
    nb = -(-meta["store"]["shape"][0] // meta["block_size"])
    done = sum(1 for f in os.listdir(_markers(path)) if f.endswith(".done"))
    return done, nb * (nb + 1) // 2


# ---------------------------------------------------------------- tiles
class _PackCache:
    """The last row block packed by each worker thread, for one :func:`pairwise_to_disk` call
    (tiles of the same block row reuse it). Not a container, so Dask passes it through as is."""

    def __init__(self):
        self.lock = threading.Lock()
        self.packs = {}

    def row(self, stack: ProbabilityStack, i0: int, i1: int, cfg: dict) -> dict:
        me = threading.get_ident()
        with self.lock:
            hit = self.packs.get(me)
            if hit is not None and hit[0] == (i0, i1):
                return hit[1]
            self.packs.pop(me, None)                      # free the old one first
        pack = _tiles.pack(stack.block(i0, i1), cfg["metric"], cfg["dtype"])
        with self.lock:
            self.packs[me] = ((i0, i1), pack)
        return pack

    def __getstate__(self):                              # shipped to a cluster: start empty
        return {}

    def __setstate__(self, state):
        self.__init__()


def _compute_tile(stack: ProbabilityStack, store: _Store, bi: int, bj: int, cfg: dict) -> str:
    """Compute tile (bi, bj) and its mirror, write them, then leave the marker file."""
    b, m = cfg["block_size"], len(stack)
    i0, j0 = bi * b, bj * b
    cache = cfg.get("cache")
    pa = cache.row(stack, i0, min(i0 + b, m), cfg) if cache is not None else \
        _tiles.pack(stack.block(i0, min(i0 + b, m)), cfg["metric"], cfg["dtype"])
    if bi == bj:
        t = _tiles.tile(pa, pa, sample_block=cfg["sample_block"], n_threads=cfg["n_threads"],
                        symmetric=True)
    else:
        B = stack.block(j0, min(j0 + b, m))
        t = _tiles.tile(pa, _tiles.pack(B, cfg["metric"], cfg["dtype"]),
                        sample_block=cfg["sample_block"], n_threads=cfg["n_threads"])
    t = np.maximum(t / stack.shape[1], 0.0)
    if bi == bj:
        np.fill_diagonal(t, 0.0)
    store.write(i0, j0, t)
    if bi != bj:
        store.write(j0, i0, t.T)
    marker = os.path.join(cfg["markers"], f"{bi}_{bj}.done")
    _write_atomic(marker, "")
    return marker


def _positive(x, argument, owner):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 1:
        raise InvalidArgument(argument, owner, "be a positive integer", x)
    return int(x)


def pairwise_to_disk(probs, path, *, metric: str = "bhattacharyya", block_size: int = 1024,
                     dtype=None, out_dtype=np.float64, sample_block: int | None = None,
                     scheduler="threads", n_workers: int = 1, tile_threads: int | None = None,
                     client=None, progress: bool = True, overwrite: bool = False,
                     atol: float | None = None):
    r"""Compute the (m, m) distance matrix of a stack into a ``.npy`` file or zarr store.

    .. math:: D_{uv} = \mathrm d(P_u, P_v) \quad\text{(eq. 2.2.2 for d_B)},

    tile by tile; the (m, N, C) stack is never held in memory (two blocks of ``block_size``
    models per worker are). Re-running the same call after an interruption computes only the
    missing tiles.

    Parameters
    ----------
    probs : str, os.PathLike, (m, N, C) array-like or ProbabilityStack
        The stack (see :class:`ProbabilityStack`).
    path : str or os.PathLike
        Output: ``*.zarr`` for a zarr store (chunks = tiles), anything else for a ``.npy`` file.
        Tile markers and parameters live in ``<path>.tiles/``.
    metric : {"bhattacharyya", "geodesic", "symmetric_kl", "euclidean"}
    block_size : int
        Models per block; the tile is ``block_size × block_size``.
    dtype : {None, numpy.float32, numpy.float64}
        Working precision of the per-sample products (see
        :func:`~hyperribbon.numerics.prediction_space.distances.pairwise_distances`).
    out_dtype : numpy dtype
        Stored precision (float64 by default).
    scheduler : str, callable or concurrent.futures.Executor
        Dask scheduler for the local run (``"threads"``, ``"sync"``, ``"processes"``, ...).
    n_workers : int
        Dask worker threads/processes for the local schedulers.
    tile_threads : int, optional
        Threads inside each tile (default: the CPUs divided by ``n_workers``).
    client : distributed.Client, optional
        Run the tile tasks on this Dask cluster (``path`` and a path-valued ``probs`` must then be
        on storage the workers share).
    progress : bool
        Show a tqdm progress bar over tiles (local schedulers).
    overwrite : bool
        Start afresh even if ``path`` holds a (possibly partial) computation.

    Returns
    -------
    (m, m) numpy.memmap or zarr.Array
        Opened read-only.
    """
    owner = "pairwise_to_disk"
    check_metric(metric, owner)
    block_size = _positive(block_size, "block_size", owner)
    n_workers = _positive(n_workers, "n_workers", owner)
    if sample_block is not None:
        sample_block = _positive(sample_block, "sample_block", owner)
    if tile_threads is None:
        tile_threads = max(1, _tiles.default_threads() // n_workers) if client is None else None
    else:
        tile_threads = _positive(tile_threads, "tile_threads", owner)
    wdt = np.float64 if dtype is None else np.dtype(dtype).type
    if wdt not in (np.float32, np.float64):
        raise InvalidArgument("dtype", owner, "be float32 or float64", str(dtype))
    path = os.fspath(path)
    stack = open_stack(probs, atol=atol)
    m = len(stack)
    store_shape = (m, m)
    params = {"metric": metric, "block_size": block_size, "dtype": np.dtype(wdt).str,
              "source": stack.fingerprint(), "out_dtype": np.dtype(out_dtype).str}
    markers = _markers(path)
    meta = _read_meta(path)
    if meta is not None and not overwrite:
        same = all(meta.get(k) == v for k, v in params.items())
        if not same or meta["store"]["shape"] != store_shape:
            raise InvalidArgument("path", owner, "be a new path or hold a computation with the "
                                  "same source and parameters (pass overwrite=True to start "
                                  "afresh)", path)
        store = _Store(**meta["store"])
    else:
        if os.path.isdir(markers):
            shutil.rmtree(markers)
        os.makedirs(markers)
        store = _create_store(path, store_shape, out_dtype, block_size)
        _write_atomic(os.path.join(markers, "meta.json"),
                      json.dumps({**params, "store": store.__dict__}))
    nb = -(-m // block_size)
    todo = [(bi, bj) for bi in range(nb) for bj in range(bi, nb)
            if not os.path.exists(os.path.join(markers, f"{bi}_{bj}.done"))]
    cfg = {"block_size": block_size, "metric": metric, "dtype": wdt,
           "sample_block": sample_block, "n_threads": tile_threads, "markers": markers,
           "cache": _PackCache()}
    if todo:
        _run(todo, stack, store, cfg, scheduler=scheduler, n_workers=n_workers, client=client,
             progress=progress)
    return store.open()


def _run(todo, stack, store, cfg, *, scheduler, n_workers, client, progress):
    import dask
    tasks = [dask.delayed(_compute_tile, pure=False)(stack, store, bi, bj, cfg,
                                                      dask_key_name=f"tile-{bi}-{bj}")
             for bi, bj in todo]
    if client is not None:
        dask.compute(*tasks, scheduler=client)
        return
    from dask.callbacks import Callback
    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), desc="distance tiles", disable=not progress, unit="tile")

    class _Progress(Callback):
        def _posttask(self, key, result, dsk, state, id):
            if str(key).startswith("tile-"):
                bar.update(1)

    try:
        with _Progress():
            kwargs = {"num_workers": n_workers} if isinstance(scheduler, str) else {}
            dask.compute(*tasks, scheduler=scheduler, **kwargs)
    finally:
        bar.close()


# ---------------------------------------------------------------- lazy dask array
def _block_distances(a, b, *, metric, dtype, sample_block, atol):
    a = as_probabilities(a, "probabilities", "pairwise_dask", atol=atol)
    b = as_probabilities(b, "probabilities", "pairwise_dask", atol=atol)
    t = _tiles.tile(_tiles.pack(a, metric, dtype), _tiles.pack(b, metric, dtype),
                    sample_block=sample_block)
    return np.maximum(t / a.shape[1], 0.0)


def pairwise_dask(probs, probs_b=None, *, metric: str = "bhattacharyya", block_size: int = 1024,
                  dtype=None, sample_block: int | None = None, atol: float | None = None):
    r"""The distance matrix as a lazy ``dask.array`` (one task per pair of model blocks).

    Parameters
    ----------
    probs : (m1, N, C) dask.array.Array, array-like, path or ProbabilityStack
    probs_b : (m2, N, C), optional
        A second set; default ``probs`` (the result is then symmetrised and its diagonal zeroed).

    Returns
    -------
    (m1, m2) dask.array.Array
        Compute it with any Dask scheduler, or store it with ``dask.array.to_zarr``.
    """
    import dask.array as da
    owner = "pairwise_dask"
    check_metric(metric, owner)
    block_size = _positive(block_size, "block_size", owner)
    wdt = np.float64 if dtype is None else np.dtype(dtype).type

    def lazy(x):
        if not isinstance(x, da.Array):
            x = da.from_array(open_stack(x), chunks=(block_size, -1, -1), asarray=False)
        if x.ndim != 3:
            raise InvalidArgument("probs", owner, "be an (m, N, C) array", x)
        return x.rechunk({0: block_size, 1: -1, 2: -1})

    X = lazy(probs)
    Y = X if probs_b is None else lazy(probs_b)
    if Y.shape[1:] != X.shape[1:]:
        raise InvalidArgument("probs_b", owner, f"have the same (N, C) = {X.shape[1:]}", Y)
    fn = functools.partial(_block_distances, metric=metric, dtype=wdt,
                           sample_block=sample_block, atol=atol)
    D = da.blockwise(fn, "ij", X, "ikl", Y, "jkl", dtype=np.float64, concatenate=True)
    if probs_b is None:
        eye = da.eye(X.shape[0], chunks=block_size, dtype=bool)
        D = da.where(eye, 0.0, (D + D.T) / 2)
    return D
