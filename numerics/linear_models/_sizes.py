"""Argument checks, size checks and progress bars shared by the Chapter-5 simulators (private).

Every simulator that records trajectories allocates an ``(..., T, n)`` array up front: the memory
is checked against :data:`hyperribbon.theory.domains.MAX_ALLOCATION_BYTES` *before* allocating,
with a named error on the size argument (``T`` unless said otherwise) and the memory it would need.
"""
from __future__ import annotations

from hyperribbon.theory._validate import as_data, as_int, as_positive
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


def gd_arguments(X, y, alpha, T, owner: str):
    """``(X, y, alpha, T)`` of a GD-type simulator, validated: X a finite (n, d) matrix, y a
    finite (n,) vector, α > 0 finite, T ≥ 1 an integer (named errors otherwise)."""
    X, y = as_data(X, y, owner)
    return X, y, as_positive(alpha, "alpha", owner), as_int(T, "T", owner, minimum=1)


def check_residuals(N: int, T: int, n: int, owner: str) -> None:
    """Refuse the (N, T, n) float64 residual trajectories before allocating (error on ``T``)."""
    check_trajectories((N, T, n), owner, value=T, what="residual trajectories (N, T, n)")


def steps_bar(total: int, work: float, desc: str):
    """A tqdm bar over ``total`` steps, shown only when ``work`` exceeds :data:`WORK_PROGRESS`."""
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="step", leave=False, mininterval=1.0,
                disable=work < WORK_PROGRESS)
