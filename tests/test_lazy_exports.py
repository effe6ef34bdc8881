"""Packages that load some of their names on first use (hyperribbon.theory._lazy): every
exported name resolves to the object its defining module holds, ``dir()`` lists all of them before
they load, and a plain import does not pull in the heavy dependency the laziness exists for."""
import importlib
import subprocess
import sys

import pytest

from hyperribbon.theory._lazy import lazy_exports

PACKAGES = {
    # package: (the sub-package its lazy names come from, a module the bare import must not load)
    "hyperribbon.numerics": ("hyperribbon.numerics.prediction_space", "sklearn"),
    "hyperribbon.theory.networks": ("hyperribbon.theory.networks.strategies", "hypothesis"),
    "hyperribbon.numerics.curvature": (None, "torch"),
    "hyperribbon.experiments.curvature": (None, "torch"),
}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_exported_name_resolves_and_is_listed(package):
    pkg = importlib.import_module(package)
    listed = set(dir(pkg))
    assert set(pkg.__all__) <= listed
    source, _ = PACKAGES[package]
    if source is not None:
        sub = importlib.import_module(source)
        for name in getattr(sub, "__all__", []):
            if name in pkg.__all__:
                assert getattr(pkg, name) is getattr(sub, name), name


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_bare_import_stays_light(package):
    heavy = PACKAGES[package][1]
    code = (f"import sys, {package}; "
            f"print(any(m == {heavy!r} or m.startswith({heavy!r} + '.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"import {package} loaded {heavy}"


def test_from_import_of_a_lazy_name_and_of_the_subpackage():
    from hyperribbon.numerics import InPCA, prediction_space
    from hyperribbon.numerics.prediction_space.inpca import InPCA as defined
    assert InPCA is defined and prediction_space.InPCA is defined


def test_unknown_name_is_an_attribute_error():
    import hyperribbon.numerics as numerics
    with pytest.raises(AttributeError, match="no_such_name"):
        numerics.no_such_name  # noqa: B018
    assert not hasattr(numerics, "also_missing")


def test_helper_on_a_throwaway_package(monkeypatch):
    import types
    pkg = types.ModuleType("lazy_probe")
    monkeypatch.setitem(sys.modules, "lazy_probe", pkg)
    pkg.__getattr__, pkg.__dir__ = lazy_exports("lazy_probe", {"sqrt": "math", "json": "json"},
                                                ["sqrt", "json"], relative=False)
    import json
    import math
    assert pkg.sqrt is math.sqrt and pkg.json is json     # a name equal to its module: the module
    assert "sqrt" in vars(pkg)                              # cached after the first use
    assert {"sqrt", "json"} <= set(dir(pkg))


def test_the_command_line_module_does_not_load_the_theory_layer():
    # `hyperribbon --help` imports only this; the lemma catalogue (sympy) loads on first use
    code = ("import sys, hyperribbon.experiments.cli; "
            "print(sorted(m for m in ('hyperribbon.theory', 'sympy', 'torch', 'sklearn') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
