"""Lazy package exports: a package names its public objects in ``__all__`` and loads the
sub-module that defines one only when the name is first used (PEP 562), so that importing the
package stays cheap (no torch, sklearn or matplotlib until they are needed).

>>> import types, sys
>>> pkg = types.ModuleType("lazy_demo")
>>> sys.modules["lazy_demo"] = pkg
>>> pkg.__getattr__, pkg.__dir__ = lazy_exports("lazy_demo", {"sqrt": "math"}, ["sqrt"],
...                                             relative=False)
>>> pkg.sqrt(4.0), "sqrt" in dir(pkg)
(2.0, True)
>>> del sys.modules["lazy_demo"]
"""
from __future__ import annotations

import importlib
import sys
from typing import Callable, Iterable, Mapping


def lazy_exports(package: str, where: Mapping[str, str], names: Iterable[str], *,
                 relative: bool = True) -> tuple[Callable, Callable]:
    """Module-level ``__getattr__`` and ``__dir__`` for a package with lazily loaded names.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    where : mapping of str to str
        Public name → the sub-module that defines it (relative to ``package`` unless
        ``relative=False``). A name that equals its module's last component is the sub-module
        itself (``{"prediction_space": "prediction_space"}``).
    names : iterable of str
        The package's ``__all__`` (``dir()`` lists them before they are loaded).

    Returns
    -------
    (__getattr__, __dir__)
        Assign them at module level. A loaded name is cached in the package's namespace, so
        ``__getattr__`` runs once per name; an unknown name raises ``AttributeError``.
    """
    listed = frozenset(names)

    def __getattr__(name: str):
        target = where.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{target}" if relative else target)
        value = module if target.rpartition(".")[2] == name else getattr(module, name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | listed)

    return __getattr__, __dir__
