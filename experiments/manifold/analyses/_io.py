"""Atomic output files, version lines and number formatting for the manifold analyses (private).

Every file goes through a temporary file in the same folder and ``os.replace``, so an interrupted
run never leaves a half-written file that reads as complete.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from hyperribbon.experiments import _output

__all__ = ["atomic_write_text", "atomic_savefig", "write_json", "write_csv", "versions", "fmt",
           "pct"]


# The shared atomic writers of hyperribbon.experiments._output, creating missing parent folders.
def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and ``os.replace``."""
    return _output.atomic_write_text(path, text, parents=True)


def atomic_savefig(fig, path, **kw) -> Path:
    """``fig.savefig`` into a temporary file of the same suffix, then ``os.replace``."""
    return _output.atomic_savefig(fig, path, parents=True, **kw)


def write_json(path, obj) -> Path:
    """``obj`` as indented JSON, atomically: numbers stay numbers, non-finite floats are
    ``null`` (:func:`hyperribbon.experiments._output.json_safe`)."""
    return atomic_write_text(path, _output.json_dumps(obj, indent=1) + "\n")


def write_csv(path, frame) -> Path:
    """A pandas DataFrame as CSV (full float precision), atomically."""
    return atomic_write_text(path, frame.to_csv(index=False, float_format="%.17g"))


def versions() -> str:
    """One line with the versions of Python and the libraries the analyses use."""
    return _output.versions("scipy", "scikit-learn", "pandas", "matplotlib", "torch")


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
