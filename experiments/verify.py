"""Python functions behind ``hyperribbon lemmas``, ``verify`` and ``errata`` (the CLI is a thin
shell over these).

Examples
--------
>>> verdicts = verify("5.2.2", n=20, c=0.3, alpha=0.9, T=30, sigma_w2=0.1, sigma_star2=2.0)
>>> [(v.lemma_id, v.status.value) for v in verdicts]
[('thesis-lemma-5.2.2', 'holds')]
"""
from __future__ import annotations

import hyperribbon.numerics  # noqa: F401  (installs the measuring oracle)
from hyperribbon.theory import errata as _errata
from hyperribbon.theory import registry
from hyperribbon.theory.problems import LinearGDProblem
from hyperribbon.theory.verdict import Verdict

__all__ = ["DEFAULTS", "lemma_table", "make_problem", "verify", "errata_rows"]

#: The thesis's Fig 5.2 setting (n = 50, c = 0.2, T = 50, σw² = 0.1, σ*² = 2); α = 0.9 is this
#: toolkit's choice (Fig 5.2 does not state it; it satisfies assumption (iii) α < 1/λ1 = 1).
DEFAULTS = dict(n=50, c=0.2, alpha=0.9, T=50, sigma_w2=0.1, sigma_star2=2.0, seed=0,
                lambda1=1.0)


def lemma_table() -> list[dict]:
    """One row per registered lemma: id, thesis number, variant, provenance, status."""
    return [lem.summary() for lem in registry.all_lemmas()]


def make_problem(**params) -> LinearGDProblem:
    """The sloppy problem of :meth:`LinearGDProblem.sloppy`, defaults :data:`DEFAULTS`."""
    p = dict(DEFAULTS)
    p.update({k: v for k, v in params.items() if v is not None})
    return LinearGDProblem.sloppy(**p)


def verify(key: str = "all", **params) -> list[Verdict]:
    """Check the lemma(s) addressed by ``key`` ("all", an id, a number such as "5.2.3" or
    "(5.2.10)") on the sloppy problem built from ``params`` (defaults :data:`DEFAULTS`)."""
    problem = make_problem(**params)
    lemmas = registry.all_lemmas() if key == "all" else [registry.get(key)]
    return [lem.check(problem) for lem in lemmas]


def errata_rows() -> list[dict]:
    """The regenerated errata table (see :mod:`hyperribbon.theory.errata`)."""
    return _errata.regenerate()
