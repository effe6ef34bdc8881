r"""Blocked, out-of-core and Dask computation of pairwise distance matrices (thesis §2.2, §3.5.2).

The thesis embeds :math:`m \sim 10^3`–:math:`10^5` models with :math:`NC \sim 10^6`–:math:`10^8`
("Implementing InPCA — or even PCA — for such large matrices requires a large amount of memory.
We reduced the severity of this issue using Numpy's memmap functionality", §2.2). Here:

* :class:`~.stacks.ProbabilityStack` reads an (m, N, C) stack block by block from a ``.npy``
  file, a zarr array, a Dask array, a memmap or an in-memory array, and validates each block when
  it is read (probabilities, or log-probabilities/logits with ``log``);
* :func:`pairwise_to_disk` fills an (m, m) matrix in a ``.npy`` file or a zarr store tile by tile
  (:math:`b\times b` tiles, the upper half computed, each tile mirrored). Memory is bounded by
  the block size b (two blocks and one tile per worker). Every finished tile leaves a marker
  file, so an interrupted run resumes where it stopped. Tiles are Dask tasks: the local threaded
  scheduler by default, or any Dask cluster when a ``client`` (``distributed.Client``) is passed;
* a partial result never reads as complete: the output is created filled with NaN (a ``.npy``
  file is written with NaN once, a zarr store has NaN as fill value), so that any reader sees the
  unfinished tiles as NaN, which :func:`~.distances.check_distance_matrix` (hence InPCA,
  clustering, ...) rejects with its own message; :func:`open_matrix` refuses an incomplete matrix
  unless ``allow_partial=True``;
* :func:`pairwise_dask` returns the matrix as a lazy ``dask.array`` built with ``blockwise``.

Each tile uses the kernels of :mod:`hyperribbon.numerics.prediction_space._tiles`, the same as
:func:`~hyperribbon.numerics.prediction_space.distances.pairwise_distances`, so the results
agree to rounding.

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
import json
import numbers
import os
import shutil
import threading
from dataclasses import dataclass

import numpy as np

from hyperribbon.theory.errors import InvalidArgument

from .distances import _tiles
from .distances import _working_dtype, check_metric
from .probabilities import as_models
from .stacks import ProbabilityStack, open_stack, stack_kind

__all__ = ["ProbabilityStack", "open_stack", "pairwise_to_disk", "pairwise_dask", "tile_status",
           "open_matrix"]          # ProbabilityStack and open_stack live in .stacks


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
    row = np.full(shape[1], np.nan, dtype=dtype).tobytes()
    rows = max(1, 2 ** 24 // max(len(row), 1))
    fd = os.open(path, os.O_WRONLY)
    try:                                   # unfinished tiles read as NaN, never as distances
        chunk = row * rows
        for i in range(0, shape[0], rows):
            k = min(rows, shape[0] - i)
            os.pwrite(fd, chunk if k == rows else row * k, offset + i * len(row))
        os.fsync(fd)
    finally:
        os.close(fd)
    return _Store("npy", path, shape, np.dtype(dtype).str, offset)


def open_matrix(path, *, allow_partial: bool = False):
    """Open a matrix written by :func:`pairwise_to_disk` (read-only memmap or zarr array).

    Parameters
    ----------
    path : str or os.PathLike
    allow_partial : bool
        Also open a matrix whose computation was interrupted; its unfinished tiles read as NaN
        (and every function that takes a distance matrix rejects it until it is finished).

    Raises
    ------
    InvalidArgument
        ``path`` holds no matrix written by :func:`pairwise_to_disk`; its data file is missing;
        or (without ``allow_partial``) some tiles are unfinished — the message says how many
        and that rerunning the same ``pairwise_to_disk`` call finishes them.
    """
    owner = "open_matrix"
    if not isinstance(allow_partial, (bool, np.bool_)):
        raise InvalidArgument("allow_partial", owner, "be True or False", allow_partial)
    path = os.fspath(path)
    meta = _read_meta(path)
    if meta is None:
        raise InvalidArgument("path", owner, "hold a matrix written by pairwise_to_disk (no "
                              f"{_markers(path)}/meta.json)", path)
    if not os.path.exists(path):
        raise InvalidArgument("path", owner, "still hold the data file its tile markers describe",
                              path)
    done, total = tile_status(path)
    if done < total and not allow_partial:
        raise InvalidArgument("path", owner, f"hold a complete matrix ({done} of {total} tiles "
                              "are finished: rerun the same pairwise_to_disk call to finish it, "
                              "or pass allow_partial=True to read it with NaN in the unfinished "
                              "tiles)", path)
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
        pack = _tiles.pack(stack.block(i0, i1, log=cfg["log"]), cfg["metric"], cfg["dtype"],
                           bool(cfg["log"]))
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
        _tiles.pack(stack.block(i0, min(i0 + b, m), log=cfg["log"]), cfg["metric"],
                    cfg["dtype"], bool(cfg["log"]))
    if bi == bj:
        t = _tiles.tile(pa, pa, sample_block=cfg["sample_block"], n_threads=cfg["n_threads"],
                        symmetric=True)
    else:
        B = stack.block(j0, min(j0 + b, m), log=cfg["log"])
        t = _tiles.tile(pa, _tiles.pack(B, cfg["metric"], cfg["dtype"], bool(cfg["log"])),
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
                     atol: float | None = None, log=None):
    r"""Compute the (m, m) distance matrix of a stack into a ``.npy`` file or zarr store.

    .. math:: D_{uv} = \mathrm d(P_u, P_v) \quad\text{(eq. 2.2.2 for d_B)},

    tile by tile; the (m, N, C) stack is never held in memory (two blocks of ``block_size``
    models per worker are). Re-running the same call after an interruption computes only the
    missing tiles.

    Parameters
    ----------
    probs : str, os.PathLike, (m, N, C) array-like or ProbabilityStack
        The stack (see :class:`~.stacks.ProbabilityStack`).
    path : str or os.PathLike
        Output: ``*.zarr`` for a zarr store (chunks = tiles), anything else for a ``.npy`` file.
        Tile markers and parameters live in ``<path>.tiles/``.
    metric : {"bhattacharyya", "geodesic", "symmetric_kl", "euclidean"}
    block_size : int
        Models per block; the tile is ``block_size × block_size``.
    dtype : {None, numpy.float32, numpy.float64}
        Working precision of the per-sample products (see
        :func:`~hyperribbon.numerics.prediction_space.distances.pairwise_distances`).
    out_dtype : {numpy.float64, numpy.float32}
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
    atol : float, optional
        Row-sum tolerance for the blocks.
    log : {None, False, True, "logits"}
        The stack holds probabilities, log-probabilities or logits (None: the kind a stack was
        opened with, else probabilities); part of the parameters a resumed run must match.

    Returns
    -------
    (m, m) numpy.memmap or zarr.Array
        Opened read-only, complete. The file is created filled with NaN, so that an interrupted
        computation never reads as complete (see :func:`open_matrix`).
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
    wdt = _working_dtype(dtype, owner)
    try:
        odt = np.dtype(out_dtype)
    except TypeError:
        odt = None
    if odt not in (np.float32, np.float64):
        raise InvalidArgument("out_dtype", owner, "be float32 or float64 (NaN marks unfinished "
                              "tiles)", str(out_dtype))
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgument("path", owner, "be a file path (str or os.PathLike)", path)
    path = os.fspath(path)
    kind = stack_kind(probs, log, owner)
    stack = open_stack(probs, atol=atol, log=kind)
    m = len(stack)
    store_shape = (m, m)
    params = {"metric": metric, "block_size": block_size, "dtype": np.dtype(wdt).str,
              "source": stack.fingerprint(), "out_dtype": odt.str, "log": kind}
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
        store = _create_store(path, store_shape, odt, block_size)
        _write_atomic(os.path.join(markers, "meta.json"),
                      json.dumps({**params, "store": store.__dict__}))
    nb = -(-m // block_size)
    todo = [(bi, bj) for bi in range(nb) for bj in range(bi, nb)
            if not os.path.exists(os.path.join(markers, f"{bi}_{bj}.done"))]
    cfg = {"block_size": block_size, "metric": metric, "dtype": wdt, "log": kind,
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
class _RawView:
    """A stack read as stored (validation happens in the Dask tasks, in the call's domain)."""

    def __init__(self, stack: ProbabilityStack):
        self.stack, self.shape, self.dtype, self.ndim = stack, stack.shape, stack.dtype, 3

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        start, stop, _ = key[0].indices(len(self.stack))
        return self.stack.raw(start, stop)[(slice(None),) + tuple(key[1:])]


def _block_distances(a, b, *, metric, dtype, sample_block, atol, log):
    a = as_models(a, "probs", "pairwise_dask", log, atol=atol)
    b = as_models(b, "probs", "pairwise_dask", log, atol=atol)
    t = _tiles.tile(_tiles.pack(a, metric, dtype, bool(log)),
                    _tiles.pack(b, metric, dtype, bool(log)), sample_block=sample_block)
    return np.maximum(t / a.shape[1], 0.0)


def pairwise_dask(probs, probs_b=None, *, metric: str = "bhattacharyya", block_size: int = 1024,
                  dtype=None, sample_block: int | None = None, atol: float | None = None,
                  log=None):
    r"""The distance matrix as a lazy ``dask.array`` (one task per pair of model blocks).

    Parameters
    ----------
    probs : (m1, N, C) dask.array.Array, array-like, path or ProbabilityStack
    probs_b : (m2, N, C), optional
        A second set; default ``probs`` (the result is then symmetrised and its diagonal zeroed).
    log : {None, False, True, "logits"}
        Probabilities, log-probabilities or logits (see :func:`pairwise_to_disk`).

    Returns
    -------
    (m1, m2) dask.array.Array
        Compute it with any Dask scheduler, or store it with ``dask.array.to_zarr``.
    """
    import dask.array as da
    owner = "pairwise_dask"
    check_metric(metric, owner)
    block_size = _positive(block_size, "block_size", owner)
    wdt = _working_dtype(dtype, owner)
    kind = stack_kind(probs, log, owner)

    def lazy(x, argument):
        if not isinstance(x, da.Array):
            x = da.from_array(_RawView(open_stack(x)), chunks=(block_size, -1, -1),
                              asarray=False)
        if x.ndim != 3:
            raise InvalidArgument(argument, owner, "be an (m, N, C) array", x)
        return x.rechunk({0: block_size, 1: -1, 2: -1})

    X = lazy(probs, "probs")
    Y = X if probs_b is None else lazy(probs_b, "probs_b")
    if Y.shape[1:] != X.shape[1:]:
        raise InvalidArgument("probs_b", owner, f"have the same (N, C) = {X.shape[1:]}", Y)
    fn = functools.partial(_block_distances, metric=metric, dtype=wdt,
                           sample_block=sample_block, atol=atol, log=kind)
    D = da.blockwise(fn, "ij", X, "ikl", Y, "jkl", dtype=np.float64, concatenate=True)
    if probs_b is None:
        eye = da.eye(X.shape[0], chunks=block_size, dtype=bool)
        D = da.where(eye, 0.0, (D + D.T) / 2)
    return D
