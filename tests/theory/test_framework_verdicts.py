"""The lemma framework (theory/verdict.py, lemma.py, domains.py): a verdict is always about
something — never ``holds`` over an empty index set, never decided by two sides that underflowed —
and sizes are refused with the memory they would need before anything is allocated."""
import math
import tracemalloc

import numpy as np
import pytest

from hyperribbon.theory.domains import (MAX_ALLOCATION_BYTES, Domain, check_allocation,
                                        format_bytes, size_domain)
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.lemma import Lemma, Precision
from hyperribbon.theory.verdict import Comparison, Status, Verdict, decide, entry_count

TINY = float(np.finfo(np.float64).tiny)
SUB = 5e-324                                          # the smallest subnormal


class _Toy:
    """A problem type for toy lemmas: carries the families the evaluation returns."""

    def __init__(self, families):
        self.families = families

    def parameters(self):
        return {"families": len(self.families)}


def _toy_lemma(**kw):
    return Lemma(id="toy", number="0.0.0", title="toy", provenance="test", statement="x ≤ y",
                 evaluate=lambda p, precision: p.families, problem_type=_Toy,
                 ladder=(Precision.FLOAT64,), **kw)


def _cmp(lhs, rhs, le=0.0, re=0.0, relation="<=", **kw):
    return Comparison("c", np.arange(len(lhs)), lhs, rhs, le, re, relation, **kw)


# ---------------------------------------------------------------- nothing compared (issue D7)
def test_decide_over_nothing_is_undecided_never_holds():
    assert decide([]) is Status.UNDECIDED
    assert decide([_cmp([], [])]) is Status.UNDECIDED
    assert _cmp([], []).status() is Status.UNDECIDED
    assert decide([_cmp([], []), _cmp([1.0], [2.0])]) is Status.HOLDS      # one real entry


@pytest.mark.parametrize("families", [pytest.param([], id="no-family"),
                                      pytest.param([_cmp([], [])], id="one-empty"),
                                      pytest.param([_cmp([], []), _cmp([], [])], id="two-empty")])
def test_a_lemma_over_an_empty_index_set_is_not_applicable_with_a_reason(families):
    v = _toy_lemma().check(_Toy(families))
    assert v.status is Status.NOT_APPLICABLE
    assert "compares nothing" in v.failed_assumptions[0]
    assert math.isnan(v.margin) and entry_count(v.comparisons) == 0
    assert "worst margin" not in v.table()


def test_empty_family_next_to_a_real_one_is_decided_by_the_real_one():
    v = _toy_lemma().check(_Toy([_cmp([], []), _cmp([1.0], [3.0])]))
    assert v.status is Status.HOLDS and v.margin == 3.0


# ---------------------------------------------------------------- underflow (issue J1)
@pytest.mark.parametrize("lhs,rhs,relation", [
    pytest.param(0.0, 0.0, "==", id="zero-eq-zero"),
    pytest.param(0.0, 0.0, "<=", id="zero-le-zero"),
    pytest.param(SUB, 0.0, ">=", id="subnormal-ge-zero"),
    pytest.param(3 * SUB, SUB, "<=", id="subnormals"),
    pytest.param(-SUB, 0.0, "<=", id="negative-subnormal"),
])
def test_two_underflowed_sides_are_undecided(lhs, rhs, relation):
    c = _cmp([lhs], [rhs], 0.0, 0.0, relation)
    assert c.underflowed.tolist() == [True]
    assert c.statuses.tolist() == ["undecided"]
    assert math.isnan(c.margins[0])
    v = _toy_lemma().check(_Toy([c]))
    assert v.status is Status.UNDECIDED and any("underflow" in n for n in v.notes)


def test_exact_zeros_families_are_decided_as_computed():
    assert _cmp([0.0], [0.0], relation="==", exact_zeros=True).statuses.tolist() == ["holds"]
    assert _cmp([SUB], [0.0], relation=">=", exact_zeros=True).statuses.tolist() == ["holds"]


@pytest.mark.parametrize("lhs,rhs,le,re,expected", [
    pytest.param(0.0, 1.0, 0.0, 0.0, "holds", id="one-side-normal"),
    pytest.param(0.0, 0.0, TINY, 0.0, "undecided", id="error-bound-covers-the-underflow"),
    pytest.param(TINY, TINY, 0.0, 0.0, "holds", id="smallest-normals"),
    pytest.param(0.5, 0.0, 0.0, 0.0, "fails", id="normal-fails"),
])
def test_normal_range_entries_are_decided_by_their_intervals(lhs, rhs, le, re, expected):
    c = _cmp([lhs], [rhs], le, re, "<=")
    assert c.underflowed.tolist() == [False]          # the guard is not what decides these
    assert c.statuses.tolist() == [expected]


def test_verdict_margin_skips_underflowed_entries():
    c = _cmp([0.0, 1.0], [0.0, 4.0], 0.0, 0.0, "<=")
    v = Verdict("x", decide([c]), (c,))
    assert v.status is Status.UNDECIDED
    assert v.margin == 4.0 and v.worst()[1] == 1


# ---------------------------------------------------------------- invalid arguments
BAD = [
    pytest.param(lambda: _cmp([1.0], [1.0], relation="<"), "relation", id="relation"),
    pytest.param(lambda: Comparison("c", [1, 2], [1.0, 2.0], [1.0, 2.0, 3.0], 0.0, 0.0), "rhs",
                 id="length-mismatch"),
    pytest.param(lambda: _cmp([1.0], [1.0], le=-1e-3), "lhs_err", id="negative-error"),
    pytest.param(lambda: size_domain(100, "the limit").validate(101, "n", "f"), "n",
                 id="size-above-bound"),
    pytest.param(lambda: size_domain(100, "the limit").validate(2.5, "n", "f"), "n",
                 id="size-fractional"),
    pytest.param(lambda: size_domain(100, "the limit").validate(2**200, "n", "f"), "n",
                 id="size-huge-int"),
    pytest.param(lambda: size_domain(100, "the limit").validate(float("nan"), "n", "f"), "n",
                 id="size-nan"),
    pytest.param(lambda: check_allocation(1e12, "T", "f", 10**12, what="x"), "T",
                 id="allocation"),
    pytest.param(lambda: Domain(low=0.0).coerce(-1.0, "alpha", "f"), "alpha", id="coerce"),
]


@pytest.mark.parametrize("call,argument", BAD)
def test_invalid_arguments_are_named(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument and "got" in str(info.value)


# ---------------------------------------------------------------- sizes (issue J3)
@pytest.mark.parametrize("value", [2**63, 10**20, 1e20, 1e10, 2**1100])
def test_size_domain_names_the_bound_and_the_memory_it_would_need(value):
    d = size_domain(2**24, "MAX_N", unit_bytes=8)
    with pytest.raises(InvalidArgument) as info:
        d.validate(value, "n", "f")
    msg = str(info.value)
    assert "[1, 16777216]" in msg and "upper end: MAX_N" in msg
    need = float(value) * 8 if value < 2**1000 else math.inf
    assert f"would need {format_bytes(need)}" in msg


def test_check_allocation_refuses_before_allocating_and_reports_the_need():
    tracemalloc.start()
    try:
        with pytest.raises(InvalidArgument) as info:
            check_allocation(float(10**6) ** 2, "n", "f", 10**6, what="an n×n float64 matrix")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20                                      # nothing near 8 TB was touched
    assert format_bytes(8e12) in str(info.value)
    assert format_bytes(MAX_ALLOCATION_BYTES) in str(info.value)
    check_allocation(MAX_ALLOCATION_BYTES // 8, "n", "f", 1, what="fits exactly")


def test_domain_coerce_and_integral_comparisons_are_exact():
    d = Domain(low=1, high=2**53, low_closed=True, high_closed=True, integer=True)
    assert d.coerce(1e3, "T", "f") == 1000 and isinstance(d.coerce(1e3, "T", "f"), int)
    assert d.contains(2**53) and not d.contains(2**53 + 1)     # exact, not via float rounding
    assert format_bytes(1536) == "1.5 KiB" and format_bytes(3) == "3 B"


def test_integer_ends_beyond_2_53_are_exact():
    # 2^63 − 1 as a float is 2^63: the end must stay an int, in the comparison and the message
    d = size_domain(2**63 - 1, "2^63 − 1", low=0)
    assert d.contains(2**63 - 1) and not d.contains(2**63)
    with pytest.raises(InvalidArgument) as info:
        d.validate(2**63, "seed", "f")
    assert "[0, 9223372036854775807]" in str(info.value)
    assert d.bounds() == (0, 2**63 - 1) and isinstance(d.bounds()[1], int)
    assert Domain(low=0.5, high=2.0).bounds() == (0.5, 2.0)     # real ends stay floats
