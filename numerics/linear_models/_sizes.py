"""Size checks and progress bars shared by the Chapter-5 simulators (private).

Every simulator that records trajectories allocates an ``(..., T, n)`` array up front: the memory
is checked against :data:`hyperribbon.theory.domains.MAX_ALLOCATION_BYTES` *before* allocating,
with a named error on the size argument (``T`` unless said otherwise) and the memory it would need.
"""
from __future__ import annotations

from hyperribbon.theory.domains import check_allocation

#: Above this many multiply-adds a simulator shows a tqdm progress bar (on a terminal).
WORK_PROGRESS = 5 * 10**7


def check_trajectories(shape: tuple, owner: str, *, argument: str = "T", value=None,
                       what: str = "trajectory array") -> None:
    """Refuse the float64 array of ``shape`` (named error on ``argument``) before allocating."""
    entries = 1.0
    for k in shape:
        entries *= float(k)
    dims = ", ".join(str(int(k)) for k in shape)
    check_allocation(entries, argument, owner, value if value is not None else shape[-2],
                     what=f"the ({dims}) float64 {what}")


def steps_bar(total: int, work: float, desc: str):
    """A tqdm bar over ``total`` steps, shown only when ``work`` exceeds :data:`WORK_PROGRESS`."""
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="step", leave=False, mininterval=1.0,
                disable=work < WORK_PROGRESS)
