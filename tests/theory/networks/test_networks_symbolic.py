"""Every sympy proof of the Chapter-4 identities returns True, and each would notice a wrong
identity (negative controls)."""
import pytest
import sympy as sp

from hyperribbon.theory.networks import symbolic


@pytest.mark.parametrize("name", symbolic.__all__)
def test_symbolic_proof(name):
    assert getattr(symbolic, name)() is True


def test_negative_controls():
    # the Fisher weight is 1 − ‖p‖², not 1 − ‖p‖ (m = 2 on the simplex)
    p1 = sp.Symbol("p1", positive=True)
    p = [p1, 1 - p1]
    lhs = sum(p[y] * sum(((1 if c == y else 0) - p[c]) ** 2 for c in range(2)) for y in range(2))
    assert sp.expand(lhs - (1 - sp.sqrt(p1 ** 2 + (1 - p1) ** 2))) != 0
    # Σ 6δ/(π²k²) over k ≥ 2 is not δ
    k = sp.Symbol("k", integer=True, positive=True)
    assert sp.simplify(sp.summation(6 / (sp.pi ** 2 * k ** 2), (k, 2, sp.oo)) - 1) != 0
