"""hyperribbon.experiments.manifold: sweeps of networks on one data set, stored as
log-probabilities along training (thesis Ch. 2 §2.5.2), and the analyses of their training
manifold.

Sweep side: :mod:`.store` (the ``hyperribbon-sweep/1`` zarr format and :func:`open_sweep`),
:mod:`.config` (TOML sweep configurations), :mod:`.batched` (many small networks trained
together), :mod:`.sweep` (Dask execution, resume), :mod:`.cli` (``hyperribbon manifold
run|status``). Names are imported on first use, so that the command line starts fast.
"""
__all__ = ["FORMAT", "STATUS", "Sweep", "create_sweep", "open_sweep", "run_sweep",
           "load_config", "parse_config", "train_batched"]

_LAZY = {"FORMAT": "store", "STATUS": "store", "Sweep": "store", "create_sweep": "store",
         "open_sweep": "store", "run_sweep": "sweep", "load_config": "config",
         "parse_config": "config", "train_batched": "batched"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
