"""Output helpers shared by every experiment (private).

* :func:`atomic_write` (any writer), :func:`atomic_write_text`, :func:`atomic_write_bytes`,
  :func:`atomic_savefig`, :func:`atomic_savez`: write through a temporary file in the same
  folder and ``os.replace``, so a reader never sees half a file; the result gets the permissions
  of an ordinary new file (``0o666`` minus the umask), not the ``0o600`` of
  :func:`tempfile.mkstemp`.
* :func:`output_folder`: a context manager that creates the output folder and removes it again
  if the run fails with a :class:`~hyperribbon.theory.errors.HyperribbonError` (invalid or
  infeasible input) and the folder did not exist before, so invalid input leaves nothing behind.
* :func:`json_safe`: numbers stay JSON numbers (numpy scalars become ``int``/``float``),
  non-finite floats become ``null`` (JSON has no ``inf``/``nan``), tuples become lists.
* :func:`versions`: the library versions line of the reports.

Examples
--------
>>> import math, numpy as np
>>> json_safe({"margin": math.inf, "n": np.int64(3), "x": (np.float32(0.5), math.nan)})
{'margin': None, 'n': 3, 'x': [0.5, None]}
"""
from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_text", "atomic_write_bytes", "atomic_savefig",
           "atomic_savez", "output_folder", "json_safe", "json_dumps", "file_mode", "index_list",
           "versions"]


def file_mode() -> int:
    """The permission bits an ordinary new file gets under the current umask (e.g. 0o644)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _tmp(path: Path, suffix: str = "") -> str:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=suffix)
    os.close(fd)
    os.chmod(tmp, file_mode())
    return tmp


def _replace(tmp: str, path: Path) -> Path:
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write(path, write, *, suffix: str = "", parents: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then ``os.replace`` it onto
    ``path``; the temporary file is removed if ``write`` raises. ``suffix`` is given to the
    temporary name (for writers that infer the format from it); ``parents`` creates missing
    parent folders first.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = atomic_write(Path(d) / "a" / "x.txt", lambda t: Path(t).write_text("hi"),
    ...                      parents=True)
    ...     p.read_text(), oct(p.stat().st_mode & 0o777) == oct(file_mode())
    ('hi', True)
    """
    path = Path(path)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path, suffix)
    try:
        write(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return _replace(tmp, path)


def atomic_write_text(path, text: str, *, parents: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and ``os.replace``."""
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    return atomic_write(path, write, parents=parents)


def atomic_write_bytes(path, data: bytes, *, parents: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    def write(tmp):
        with open(tmp, "wb") as fh:
            fh.write(data)
    return atomic_write(path, write, parents=parents)


def atomic_savefig(fig, path, *, parents: bool = False, **kw) -> Path:
    """``fig.savefig`` to a temporary file in the same folder, then ``os.replace``."""
    path = Path(path)
    return atomic_write(path, lambda tmp: fig.savefig(tmp, **kw), suffix=path.suffix,
                        parents=parents)


def atomic_savez(path, *, parents: bool = False, **arrays) -> Path:
    """``numpy.savez_compressed`` through a temporary file and ``os.replace``."""
    import numpy as np
    return atomic_write(path, lambda tmp: np.savez_compressed(tmp, **arrays), suffix=".npz",
                        parents=parents)


@contextlib.contextmanager
def output_folder(out):
    """Create ``out`` (with parents) for a run; if the run raises a ``HyperribbonError``
    (invalid or infeasible input) remove what this call created, so nothing is left behind.
    Other exceptions (an interruption of a resumable run, a bug) leave the folder as it is."""
    from hyperribbon.theory.errors import HyperribbonError
    out = Path(out)
    first_new = None                    # the top-most folder this call creates
    for p in [out, *out.parents]:
        if p.exists():
            break
        first_new = p
    out.mkdir(parents=True, exist_ok=True)
    try:
        yield out
    except HyperribbonError:
        if first_new is not None:
            shutil.rmtree(first_new, ignore_errors=True)
        raise


def json_safe(obj):
    """A copy of ``obj`` that ``json.dumps`` writes with numbers as numbers (see module doc)."""
    import numpy as np
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "value") and isinstance(getattr(obj, "value"), str):   # enums
        return obj.value
    return str(obj)


def index_list(index) -> list:
    """Indices (stored as floats by comparisons) as JSON integers when they are integral."""
    import numpy as np
    a = np.asarray(index, dtype=float).ravel()
    if a.size and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        return [int(x) for x in a]
    return json_safe(a)


def json_dumps(obj, **kw) -> str:
    """``json.dumps(json_safe(obj))`` with ``allow_nan=False`` (fails loudly, never 'NaN')."""
    import json
    kw.setdefault("ensure_ascii", False)
    return json.dumps(json_safe(obj), allow_nan=False, **kw)


def versions(*distributions: str) -> str:
    """One line with the versions of Python, numpy and ``distributions`` (package names as
    installed, e.g. ``"scipy"``, ``"torch"``), for the reports.

    >>> versions("no-such-distribution").endswith("no-such-distribution (not installed)")
    True
    """
    import importlib.metadata as md
    import platform

    import numpy as np
    parts = [f"python {platform.python_version()}", f"numpy {np.__version__}"]
    for dist in distributions:
        try:
            parts.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)
