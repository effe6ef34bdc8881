"""Runtime settings shared by the curvature experiments (private)."""
from __future__ import annotations

import contextlib

__all__ = ["torch_threads"]


@contextlib.contextmanager
def torch_threads(n: int | None = 1):
    """Run the block with ``n`` torch intra-op threads and ``n`` BLAS threads (restored after).

    The networks and matrices here are small: one thread avoids the contention of thread pools
    on a shared machine (on a loaded 2-core machine we measured training 10–100× and a
    2694×2694 ``eigh`` 4× faster with one thread than with two) and makes training runs bitwise
    reproducible across machines with different core counts. ``None`` leaves both alone.
    """
    if n is None:
        yield
        return
    import torch
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:                     # pragma: no cover — a scikit-learn dependency
            limits = contextlib.nullcontext()
        else:
            limits = threadpool_limits(int(n))
        with limits:
            yield
    finally:
        torch.set_num_threads(old)
