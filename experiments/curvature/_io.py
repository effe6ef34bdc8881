"""Atomic output files, version lines and small formatting helpers of the curvature experiments.

Every file an experiment writes goes through a temporary file in the same folder and
``os.replace``, so an interrupted run never leaves a half-written file that reads as complete.
"""
from __future__ import annotations

import io
import json
import math
import os
import platform
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_write_text", "atomic_write_bytes", "atomic_savefig", "atomic_savez",
           "write_csv", "write_json", "versions", "jsonable", "fmt"]


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_savefig(fig, path, **kw) -> Path:
    """``fig.savefig`` into a temporary file, then ``os.replace`` onto ``path``."""
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


def atomic_savez(path, **arrays) -> Path:
    """``np.savez_compressed`` atomically."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return atomic_write_bytes(path, buf.getvalue())


def write_csv(path, header, columns) -> Path:
    """Columns of equal length as a CSV with a header row; numbers at full precision.

    Non-numeric columns (strings, booleans) are written as text.
    """
    cols = [np.asarray(c) for c in columns]
    n = {c.shape[0] for c in cols}
    if len(n) != 1:
        raise ValueError(f"columns have different lengths {sorted(n)}")
    lines = [",".join(header)]
    for row in zip(*cols):
        lines.append(",".join(_cell(v) for v in row))
    return atomic_write_text(path, "\n".join(lines) + "\n")


def _cell(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v)) if math.isfinite(v) else str(float(v))
    return str(v)


def jsonable(o):
    """``json.dumps(default=...)`` hook for numpy scalars/arrays and paths."""
    if isinstance(o, np.generic):
        o = o.item()
        if isinstance(o, float) and not math.isfinite(o):
            return str(o)
        return o
    if isinstance(o, np.ndarray):
        return [jsonable(x) if isinstance(x, np.generic) else x for x in o.tolist()]
    if isinstance(o, Path):
        return str(o)
    return str(o)


def write_json(path, obj) -> Path:
    """``obj`` as indented JSON (numpy values converted), atomically."""
    return atomic_write_text(path, json.dumps(_finite(obj), indent=1, default=jsonable,
                                              ensure_ascii=False))


def _finite(o):
    if isinstance(o, float) and not math.isfinite(o):
        return str(o)
    if isinstance(o, dict):
        return {str(k): _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, np.ndarray):
        return [_finite(v) for v in o.tolist()]
    return o


def versions() -> str:
    """One line with the versions of Python and the numerical libraries used here."""
    import importlib.metadata as md
    parts = [f"python {platform.python_version()}", f"numpy {np.__version__}"]
    for dist in ("scipy", "torch", "curvlinops-for-pytorch", "matplotlib"):
        try:
            parts.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:            # pragma: no cover
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def fmt(x, digits: int = 4) -> str:
    """A number for a report sentence: ``4`` significant digits, integers as integers."""
    if x is None:
        return "n/a"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}"
