"""Chapter-4 errata: every record's counterexample is recomputed and fails as written while the
corrected variant holds; records are well formed and name registered lemmas."""
import re

from hyperribbon.theory import registry
from hyperribbon.theory.errata import Erratum
from hyperribbon.theory.networks import errata


def test_every_counterexample_reproduces():
    rows = errata.regenerate()
    assert [r["id"] for r in rows] == [f"N{k}" for k in range(1, len(rows) + 1)]
    for r in rows:
        assert (r["as_written"], r["corrected"]) == ("fails", "holds"), r
        assert r["measured"] and r["counterexample"]


def test_records_use_the_catalogue_format_and_name_real_lemmas():
    for e in errata.ERRATA:
        assert isinstance(e, Erratum)
        for lemma_id in re.findall(r"thesis-[a-z]+-[0-9.]+(?:-[a-z-]+)?", e.corrected):
            assert registry.get(lemma_id).id == lemma_id
