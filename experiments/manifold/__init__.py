"""hyperribbon.experiments.manifold: sweeps of networks on one data set, stored as
log-probabilities along training (thesis Ch. 2 §2.5.2), and the analyses of their training
manifold.

Sweep side (this helper): :mod:`.store` (the ``hyperribbon-sweep/1`` zarr format and
:func:`open_sweep`), :mod:`.config` (TOML sweep configurations), :mod:`.batched` (many small
networks trained together under ``torch.func.vmap``), :mod:`.sweep` (Dask execution, resume),
:mod:`.cli` (``hyperribbon manifold run|status``).
"""
from .store import FORMAT, STATUS, Sweep, create_sweep, open_sweep

__all__ = ["FORMAT", "STATUS", "Sweep", "create_sweep", "open_sweep"]
