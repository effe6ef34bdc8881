"""Atomic output files, version lines and small formatting helpers of the curvature experiments.

Every file an experiment writes goes through a temporary file in the same folder and
``os.replace``, so an interrupted run never leaves a half-written file that reads as complete.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from hyperribbon.experiments import _output

__all__ = ["atomic_write_text", "atomic_write_bytes", "atomic_savefig", "atomic_savez",
           "write_csv", "write_json", "versions", "fmt"]


# The shared atomic writers of hyperribbon.experiments._output, creating missing parent folders.
def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    return _output.atomic_write_bytes(path, data, parents=True)


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return _output.atomic_write_text(path, text, parents=True)


def atomic_savefig(fig, path, **kw) -> Path:
    """``fig.savefig`` into a temporary file, then ``os.replace`` onto ``path``."""
    return _output.atomic_savefig(fig, path, parents=True, **kw)


def atomic_savez(path, **arrays) -> Path:
    """``np.savez_compressed`` atomically."""
    return _output.atomic_savez(path, parents=True, **arrays)


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


def write_json(path, obj) -> Path:
    """``obj`` as indented JSON, atomically: numbers stay numbers, non-finite floats are
    ``null`` (:func:`hyperribbon.experiments._output.json_safe`)."""
    return atomic_write_text(path, _output.json_dumps(obj, indent=1) + "\n")


def versions() -> str:
    """One line with the versions of Python and the numerical libraries used here."""
    return _output.versions("scipy", "torch", "curvlinops-for-pytorch", "matplotlib")


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
