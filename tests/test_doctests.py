"""Run every docstring example of the installed package (imported as hyperribbon.*, so that the
examples see the same module objects as users do)."""
import doctest
import importlib
import pkgutil

import pytest

import hyperribbon.experiments
import hyperribbon.numerics
import hyperribbon.theory


def _modules():
    """Every module of every layer, sub-packages included."""
    for pkg in (hyperribbon.theory, hyperribbon.numerics, hyperribbon.experiments):
        yield pkg.__name__
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + "."):
            yield info.name


@pytest.mark.parametrize("name", sorted(set(_modules())))
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
