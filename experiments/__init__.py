"""hyperribbon.experiments: reproductions, demos and the command-line interface.

``hyperribbon.experiments.__version__`` is the installed distribution's version (read with
:func:`importlib.metadata.version` on first access; ``hyperribbon`` itself is a namespace
package without attributes), the same string ``hyperribbon --version`` prints.

>>> import importlib.metadata, hyperribbon.experiments
>>> hyperribbon.experiments.__version__ == importlib.metadata.version("hyperribbon")
True
"""
__all__ = ["__version__"]


def __getattr__(name):
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version("hyperribbon")
        except PackageNotFoundError:  # pragma: no cover - a bare checkout, not installed
            return "unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
