"""Atomic output files, version lines and number formatting for the manifold analyses (private).

Every file goes through a temporary file in the same folder and ``os.replace``, so an interrupted
run never leaves a half-written file that reads as complete.
"""
from __future__ import annotations

import json
import math
import os
import platform
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_write_text", "atomic_savefig", "write_json", "write_csv", "jsonable",
           "versions", "fmt", "pct"]


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_savefig(fig, path, **kw) -> Path:
    """``fig.savefig`` into a temporary file of the same suffix, then ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=path.suffix)
    os.close(fd)
    try:
        fig.savefig(tmp, **kw)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def jsonable(o):
    """Convert numpy scalars/arrays, paths and non-finite floats for ``json.dumps``."""
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return [jsonable(v) for v in o.tolist()]
    if isinstance(o, np.generic):
        return jsonable(o.item())
    if isinstance(o, float) and not math.isfinite(o):
        return str(o)
    if isinstance(o, Path):
        return str(o)
    if o is None or isinstance(o, (bool, int, float, str)):
        return o
    return str(o)


def write_json(path, obj) -> Path:
    """``obj`` as indented JSON, atomically."""
    return atomic_write_text(path, json.dumps(jsonable(obj), indent=1, ensure_ascii=False) + "\n")


def write_csv(path, frame) -> Path:
    """A pandas DataFrame as CSV (full float precision), atomically."""
    return atomic_write_text(path, frame.to_csv(index=False, float_format="%.17g"))


def versions() -> str:
    """One line with the versions of Python and the libraries the analyses use."""
    import importlib.metadata as md
    parts = [f"python {platform.python_version()}", f"numpy {np.__version__}"]
    for dist in ("scipy", "scikit-learn", "pandas", "matplotlib", "torch"):
        try:
            parts.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:            # pragma: no cover
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def fmt(x, digits: int = 3) -> str:
    """A number for a sentence: ``digits`` significant digits, integers as integers.

    Examples
    --------
    >>> fmt(0.123456), fmt(7), fmt(None), fmt(float("nan"))
    ('0.123', '7', 'n/a', 'n/a')
    """
    if x is None:
        return "n/a"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}g}"


def pct(x, digits: int = 1) -> str:
    """A fraction as a percentage, e.g. ``pct(0.7612) == '76.1%'``; ``n/a`` for None/NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{100.0 * float(x):.{digits}f}%"
