r"""Every source file of the repository compiles without a warning (an invalid escape such as
``"\lambda"`` in a non-raw docstring is a DeprecationWarning today and a SyntaxWarning from
Python 3.12 on; it would also change what the docstring says)."""
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("theory", "numerics", "experiments", "tests", "benchmarks")
FILES = sorted(p for d in FOLDERS for p in (ROOT / d).rglob("*.py"))


def test_the_scan_finds_the_layers():
    assert {d for d in FOLDERS if any(p.is_relative_to(ROOT / d) for p in FILES)} == set(FOLDERS)


def test_an_invalid_escape_is_detected():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile('"""\\lambda"""', "<probe>", "exec")
    assert any("invalid escape" in str(w.message) for w in caught)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiles_without_warnings(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    assert not caught, [f"{path.name}:{w.lineno}: {w.message}" for w in caught]
