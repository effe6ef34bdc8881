"""A small on-disk cache of trained networks, keyed by every parameter of the run.

Entries live under ``$HYPERRIBBON_CACHE`` or ``$XDG_CACHE_HOME/hyperribbon`` (default
``~/.cache/hyperribbon``), sub-folder ``curvature/``, one ``<key>.pt`` file per run holding the
final and initial state dicts and a JSON description of the run. Files are written to a temporary
name and moved into place (``os.replace``), so a crashed run never leaves a partial entry, and are
read with ``torch.load(weights_only=True)``.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

__all__ = ["default_cache_dir", "cache_key", "cache_load", "cache_store"]

#: Bump when the meaning of a cached entry changes (training loop, data split, ...).
CACHE_VERSION = 2


def default_cache_dir() -> Path:
    """``$HYPERRIBBON_CACHE`` or ``${XDG_CACHE_HOME:-~/.cache}/hyperribbon``, + ``curvature``."""
    root = os.environ.get("HYPERRIBBON_CACHE")
    if not root:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hyperribbon"
    return Path(root) / "curvature"


def cache_key(params: dict) -> str:
    """A stable hex key of a JSON-serialisable parameter dict (sorted keys)."""
    text = json.dumps({"cache_version": CACHE_VERSION, **params}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cache_load(cache_dir, key: str):
    """The cached entry ``{"final", "init", "snapshots", "meta"}`` (state dicts, ``{step:
    state_dict}``, dict) or None.

    A file that cannot be read (e.g. from an incompatible version) counts as a miss.
    """
    import torch
    path = Path(cache_dir) / f"{key}.pt"
    if not path.is_file():
        return None
    try:
        entry = torch.load(path, weights_only=True, map_location="cpu")
        entry["meta"] = json.loads(entry["meta"])
        return entry
    except Exception:                 # noqa: BLE001 — any unreadable entry is a cache miss
        return None


def cache_store(cache_dir, key: str, final: dict, init: dict, meta: dict,
                snapshots: dict | None = None) -> Path:
    """Write an entry atomically; returns its path. ``snapshots`` maps steps to state dicts."""
    import torch
    from hyperribbon.experiments._output import atomic_write
    entry = {"final": final, "init": init, "meta": json.dumps(meta, default=str),
             "snapshots": {str(k): v for k, v in (snapshots or {}).items()}}
    return atomic_write(Path(cache_dir) / f"{key}.pt", lambda tmp: torch.save(entry, tmp),
                        parents=True)
