"""Lemmas as objects: statement, assumptions, bound evaluator, check, provenance, variants.

A :class:`Lemma` bundles

* an ``id`` (``"thesis-lemma-5.2.3"``) and the thesis ``number`` it is addressed by (``"5.2.3"``;
  equations are ``"(5.2.10)"``), its provenance and its ``variant`` ("as written", "corrected",
  or a named branch) with links to related variants;
* its ``statement`` as sympy relations (rendered by :meth:`Lemma.latex`);
* its ``assumptions`` as named predicates (:class:`Assumption`);
* an ``evaluate(problem, precision)`` function returning :class:`~.verdict.Comparison` families with
  error bounds, and the precision ladder it escalates along;
* a :class:`SymbolicStatus`: identities sympy re-proves (checked in the tests) or "numerically
  checked".

:meth:`Lemma.check` turns all this into a :class:`~.verdict.Verdict`.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import sympy as sp

from .errors import InvalidArgument, PrecisionExhausted
from .verdict import Comparison, Status, Verdict, decide, entry_count

__all__ = ["Precision", "Assumption", "SymbolicStatus", "Lemma"]


class Precision(str, enum.Enum):
    """Rungs of the precision ladder, in escalation order."""

    FLOAT64 = "float64"          #: dense float64 linear algebra; absolute error ~ n·ε·‖A‖
    STRUCTURED = "structured"    #: structured algorithms with high *relative* accuracy
    MPMATH = "mpmath"            #: mpmath at 60 significant digits (small n only)


DEFAULT_LADDER = (Precision.FLOAT64, Precision.STRUCTURED, Precision.MPMATH)


@dataclass(frozen=True)
class Assumption:
    """A named, checkable assumption.

    Parameters
    ----------
    name : str
        Short name used in verdicts, e.g. ``"0 < α < 1/λ1(K)"``.
    predicate : callable
        ``predicate(problem) -> bool``.
    source : str
        Where the thesis makes it, e.g. ``"§5.2 assumption (iii)"``.
    explain : callable, optional
        ``explain(problem) -> str``: the values involved, for the verdict's report.
    """

    name: str
    predicate: Callable[[Any], bool]
    source: str = ""
    explain: Optional[Callable[[Any], str]] = None

    def holds(self, problem) -> bool:
        return bool(self.predicate(problem))

    def describe(self, problem) -> str:
        detail = f" ({self.explain(problem)})" if self.explain is not None else ""
        return f"{self.name}{detail}"


@dataclass(frozen=True)
class SymbolicStatus:
    """What sympy proves about a lemma.

    ``proofs`` maps a description to a zero-argument callable returning ``True`` when sympy
    proves it; the tests call every one. An empty mapping means "numerically checked".
    """

    proofs: tuple = ()

    @property
    def label(self) -> str:
        return "symbolically proved identities: " + str(len(self.proofs)) if self.proofs \
            else "numerically checked"

    def verify(self) -> dict:
        """Run every symbolic proof; returns ``{description: bool}``."""
        return {desc: bool(fn()) for desc, fn in self.proofs}


@dataclass(frozen=True, eq=False)
class Lemma:
    """An executable statement of the thesis (see module docstring)."""

    id: str
    number: str
    title: str
    provenance: str
    statement: Any
    evaluate: Callable[[Any, Precision], Sequence[Comparison]]
    problem_type: type
    assumptions: tuple = ()
    variant: str = "as written"
    related: tuple = ()
    normalization: str = ""
    symbolic: SymbolicStatus = field(default_factory=SymbolicStatus)
    ladder: tuple = DEFAULT_LADDER
    description: str = ""

    # ------------------------------------------------------------------ presentation
    def latex(self) -> str:
        """The statement in LaTeX (one relation per line)."""
        rels = self.statement if isinstance(self.statement, (list, tuple)) else [self.statement]
        return r" \\ ".join(r if isinstance(r, str) else sp.latex(r) for r in rels)

    def summary(self) -> dict:
        return {"id": self.id, "number": self.number, "title": self.title,
                "variant": self.variant, "provenance": self.provenance,
                "assumptions": [a.name for a in self.assumptions],
                "normalization": self.normalization, "symbolic": self.symbolic.label,
                "related": list(self.related), "statement": self.latex()}

    def __repr__(self) -> str:
        return f"<Lemma {self.id} ({self.variant}): {self.title}>"

    # ------------------------------------------------------------------ checking
    def failed_assumptions(self, problem) -> list[str]:
        return [a.describe(problem) for a in self.assumptions if not a.holds(problem)]

    def check(self, problem, *, ladder: Optional[Sequence[Precision]] = None) -> Verdict:
        """Check the lemma on ``problem``.

        Returns ``not_applicable`` (naming the violated assumptions) when an assumption fails,
        and also when the statement makes no comparison at all for this problem (every family
        is empty, e.g. "for 2 ≤ i ≤ n" with n = 1): a verdict over nothing is never ``holds``.
        Otherwise evaluates both sides at increasing precision until every comparison is decided
        by separated error intervals, and answers ``undecided`` if the top of the ladder cannot
        separate them.
        """
        if not isinstance(problem, self.problem_type):
            raise InvalidArgument("problem", f"{self.id}.check",
                                  f"be a {self.problem_type.__name__}", type(problem).__name__)
        params = problem.parameters() if hasattr(problem, "parameters") else {}
        failed = self.failed_assumptions(problem)
        if failed:
            return Verdict(self.id, Status.NOT_APPLICABLE, failed_assumptions=tuple(failed),
                           problem=params)
        ladder = tuple(ladder) if ladder is not None else self.ladder
        comparisons, used, notes = (), "", []
        for level in ladder:
            try:
                comparisons = tuple(self.evaluate(problem, level))
            except PrecisionExhausted as exc:
                notes.append(f"{level.value}: {exc}")
                continue
            used = level.value
            if entry_count(comparisons) == 0:
                names = "; ".join(c.name for c in comparisons) or "no comparison families"
                return Verdict(self.id, Status.NOT_APPLICABLE, comparisons=comparisons,
                               precision=used, failed_assumptions=(
                                   "the statement compares nothing for this problem (empty "
                                   f"index set: {names})",), notes=tuple(notes), problem=params)
            if decide(comparisons) is not Status.UNDECIDED:
                break
        if not used:
            return Verdict(self.id, Status.UNDECIDED, precision="none available",
                           notes=tuple(notes), problem=params)
        status = decide(comparisons)
        lost = sum(int(c.underflowed.sum()) for c in comparisons)
        if lost:
            notes.append(f"{lost} entr{'y compares' if lost == 1 else 'ies compare'} two sides "
                         "below the normal float64 range (possibly lost to underflow, not "
                         "measured zeros): not decided")
        if status is Status.UNDECIDED:
            notes.append("some comparisons are within their numerical error bounds at the "
                         "highest precision available: not decided")
        return Verdict(self.id, status, comparisons=comparisons, precision=used,
                       notes=tuple(notes), problem=params)
