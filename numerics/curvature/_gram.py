"""Blocked Gram matrices of per-sample rows that do not fit in memory at once (private; torch).

``blocked_gram(rows, n, block)``: ``rows(slice)`` returns a float64 tensor (b, r, q) — r rows of
length q for each of the b samples of the slice (recomputed on demand).  With ``joint=False``
the result is r separate (n, n) Gram matrices ``K[i, a, b] = <row_a^i, row_b^i>``; with
``joint=True`` one (n·r, n·r) Gram matrix of all rows (sample-major).  When ``q`` is smaller
than the Gram side the cross-product (q, q) matrices are accumulated instead (one pass).
"""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["blocked_gram"]


def blocked_gram(rows, n: int, r: int, q: int, block: int, *, joint: bool, progress: bool,
                 desc: str):
    """Returns (matrix, via): via 'gram' (Gram side) or 'cross' (q × q cross products)."""
    side = n * r if joint else n
    blocks = [slice(s, min(n, s + block)) for s in range(0, n, block)]
    iterator = range(len(blocks))
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc=desc)
    if q < side:
        K = np.zeros((q, q)) if joint else np.zeros((r, q, q))
        for a in iterator:
            R = rows(blocks[a])
            if joint:
                M = R.reshape(-1, q)
                K += (M.T @ M).cpu().numpy()
            else:
                K += torch.einsum("bip,biq->ipq", R, R).cpu().numpy()
        return K, "cross"
    K = np.zeros((side, side)) if joint else np.zeros((r, n, n))

    def put(a, b, Ra, Rb):
        sa, sb = blocks[a], blocks[b]
        if joint:
            ia = slice(sa.start * r, sa.stop * r)
            ib = slice(sb.start * r, sb.stop * r)
            cross = (Ra.reshape(-1, q) @ Rb.reshape(-1, q).T).cpu().numpy()
            K[ia, ib] = cross
            K[ib, ia] = cross.T
        else:
            cross = torch.einsum("aip,bip->iab", Ra, Rb).cpu().numpy()
            K[:, sa, sb] = cross
            K[:, sb, sa] = np.transpose(cross, (0, 2, 1))

    for a in iterator:
        Ra = rows(blocks[a])
        put(a, a, Ra, Ra)
        for b in range(a + 1, len(blocks)):
            put(a, b, Ra, rows(blocks[b]))
    return K, "gram"
