"""Stateless randomness of a training run: mini-batches, augmentation, schedules.

Everything a run draws at step ``t`` is a pure function of ``(seed, t)``, so a run resumed from
saved weights at step ``t`` sees exactly the batches an uninterrupted run would, and the batched
(vmap) trainer reproduces the one-run loop sample for sample.
"""
from __future__ import annotations

import functools
import math

import numpy as np

_BATCH, _AUGMENT = 1, 2


@functools.lru_cache(maxsize=256)
def epoch_permutation(seed: int, epoch: int, n: int) -> np.ndarray:
    """The sample order of epoch ``epoch`` (a permutation of ``range(n)``; cached, read-only)."""
    perm = np.random.default_rng([int(seed), _BATCH, int(epoch)]).permutation(int(n))
    perm.flags.writeable = False
    return perm


def batch_indices(seed: int, step: int, batch_size: int, n: int) -> np.ndarray:
    """Indices of the mini-batch at ``step``: consecutive chunks of a stream of epoch
    permutations, so each epoch uses every sample exactly once (without replacement); a batch
    that straddles two epochs takes the end of one permutation and the start of the next."""
    start = step * batch_size
    first, last = start // n, (start + batch_size - 1) // n
    if first == last:
        off = start - first * n
        return epoch_permutation(seed, first, n)[off:off + batch_size]
    stream = np.concatenate([epoch_permutation(seed, e, n) for e in range(first, last + 1)])
    off = start - first * n
    return stream[off:off + batch_size]


def augment_batch(x: np.ndarray, seed: int, step: int, pad: int, flips: bool) -> np.ndarray:
    """Random crops after zero padding by ``pad`` pixels, and horizontal flips with probability
    1/2 when ``flips`` (§2.5.2), for ``x`` of shape ``(B, C, H, W)``."""
    b, c, h, w = x.shape
    rng = np.random.default_rng([int(seed), _AUGMENT, int(step)])
    dy = rng.integers(0, 2 * pad + 1, b)
    dx = rng.integers(0, 2 * pad + 1, b)
    flip = rng.random(b) < 0.5
    padded = np.zeros((b, c, h + 2 * pad, w + 2 * pad), dtype=x.dtype)
    padded[:, :, pad:pad + h, pad:pad + w] = x
    rows = dy[:, None] + np.arange(h)[None, :]                       # (B, H)
    cols = dx[:, None] + np.arange(w)[None, :]                       # (B, W)
    if flips:
        cols = np.where(flip[:, None], cols[:, ::-1], cols)
    bi = np.arange(b)[:, None, None, None]
    ci = np.arange(c)[None, :, None, None]
    return padded[bi, ci, rows[:, None, :, None], cols[:, None, None, :]]


def default_pad(in_shape) -> int:
    """Crop padding: 4 pixels for 32×32 images as in the thesis, scaled as H/8 (1 for 8×8)."""
    return max(1, int(in_shape[1]) // 8)


def cosine_lr(lr: float, step: int, total: int) -> float:
    """Cosine annealing to zero over ``total`` steps: ``lr·(1 + cos(π t/T))/2``."""
    return lr * 0.5 * (1.0 + math.cos(math.pi * step / total))


def checkpoint_steps(total_steps: int, k: int) -> np.ndarray:
    """``min(k, total_steps + 1)`` distinct steps in ``[0, total_steps]``, log-spaced (dense
    early), always containing 0 and ``total_steps``."""
    total_steps, k = int(total_steps), int(k)
    if total_steps + 1 <= k:
        return np.arange(total_steps + 1, dtype=np.int64)
    m = k - 1                                        # points in [1, T]
    grid = np.geomspace(1, total_steps, m) if m > 1 else np.array([float(total_steps)])
    s = np.empty(m, dtype=np.int64)
    for j in range(m):
        s[j] = max(int(round(grid[j])), (s[j - 1] + 1) if j else 1)
    for j in range(m - 1, -1, -1):                   # push back below the end if needed
        s[j] = min(s[j], total_steps - (m - 1 - j))
    return np.concatenate([[0], s]).astype(np.int64)
