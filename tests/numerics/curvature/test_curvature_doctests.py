"""Run the docstring examples of every module of hyperribbon.numerics.curvature (the package-wide
doctest runner only walks the top level of each layer), and check the public surface."""
import ast
import doctest
import importlib
import pathlib
import pkgutil

import pytest

import hyperribbon.numerics.curvature as curvature

MODULES = sorted(info.name for info in pkgutil.iter_modules(curvature.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"{curvature.__name__}.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_all_names_resolve():
    for name in curvature.__all__:
        assert getattr(curvature, name) is not None
    with pytest.raises(AttributeError):
        curvature.no_such_name  # noqa: B018


NUMPY_ONLY = ("_linop", "_validate", "spectrum", "sloppiness", "trace", "density")


@pytest.mark.parametrize("name", NUMPY_ONLY)
def test_numpy_parts_do_not_import_torch(name):
    """The spectral and sloppiness modules import neither torch nor a torch-importing sibling."""
    path = pathlib.Path(curvature.__path__[0]) / f"{name}.py"
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not any(a.name.split(".")[0] == "torch" for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] != "torch"
            if node.level == 1:
                assert (node.module or "") in NUMPY_ONLY, node.module
