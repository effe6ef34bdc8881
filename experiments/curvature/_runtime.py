"""Runtime settings shared by the curvature experiments (private)."""
from __future__ import annotations

import contextlib

__all__ = ["torch_threads"]


@contextlib.contextmanager
def torch_threads(n: int | None = 1):
    """Run the block with ``torch.set_num_threads(n)`` (restored afterwards).

    The networks here are small: one intra-op thread avoids the contention of a thread pool on
    a shared machine (10–100× faster training measured on a loaded 2-core machine) and makes the
    runs bitwise reproducible across machines with different core counts. ``None`` leaves the
    setting alone.
    """
    if n is None:
        yield
        return
    import torch
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)
