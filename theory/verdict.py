r"""Verdicts: what a lemma check answers, with both sides, margins and the deciding precision.

A verdict is never ``holds`` or ``fails`` from a difference below the numerical noise floor: each
side of each comparison carries an absolute error bound, and a comparison is decided only when the
error intervals of the two sides are separated. Otherwise the lemma escalates precision and, when
the highest precision cannot separate them either, answers ``undecided``.

Two further rules make sure a verdict is always *about something*:

* **Underflow.** An entry whose two sides both lie below the normal float64 range
  (:math:`|x| < 2^{-1022} \approx 2.2\cdot10^{-308}`: exact zeros or subnormals) with error
  bounds that do not reach that range either compares two quantities that may have underflowed:
  a lost value is not a measured 0. Such entries are ``undecided`` unless the family declares
  ``exact_zeros=True`` (the zeros are structural, or the sign of the difference is certain by
  construction, e.g. a gap formed as a product of non-negative factors).
* **Nothing compared.** :func:`decide` over no entries is ``undecided``, and
  :meth:`~hyperribbon.theory.lemma.Lemma.check` answers ``not_applicable`` (naming why) when a
  lemma makes no comparison at all for a problem: a statement over an empty index set is never
  reported as holding.

Examples
--------
>>> import numpy as np
>>> decide([])                                            # nothing compared: not "holds"
<Status.UNDECIDED: 'undecided'>
>>> Comparison("0 = 0 after underflow", [1], [0.0], [0.0], [0.0], [0.0], "==").statuses.tolist()
['undecided']
>>> Comparison("structural zeros", [1], [0.0], [0.0], [0.0], [0.0], "==",
...            exact_zeros=True).statuses.tolist()
['holds']
"""
from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from .errors import InvalidArgument

__all__ = ["Status", "Comparison", "Verdict", "decide", "entry_count"]


class Status(str, enum.Enum):
    HOLDS = "holds"
    FAILS = "fails"
    NOT_APPLICABLE = "not_applicable"
    UNDECIDED = "undecided"


_RELATIONS = ("<=", ">=", "==")
_TINY = float(np.finfo(np.float64).tiny)      # smallest normal float64, 2^-1022


@dataclass(frozen=True)
class Comparison:
    """One family of scalar comparisons ``lhs REL rhs``, one entry per index.

    Parameters
    ----------
    name : str
        What is compared, e.g. ``"λ_{1+2i}/λ_1 ≤ 4ρ^{-2i}/(1+ρ^{-4i})²"``.
    index : (m,) array_like
        The label of each entry (e.g. the eigenvalue index i, 1-based).
    lhs, rhs : (m,) array_like
        The two sides.
    lhs_err, rhs_err : (m,) array_like
        Absolute error bounds of the two sides at the precision used.
    relation : {"<=", ">=", "=="}
        For ``"=="`` (identities) an entry holds when the discrepancy is within the sum of the
        error bounds, and fails when it exceeds ``fail_factor`` times that sum.
    fail_factor : float
        See ``relation``.
    exact_zeros : bool
        Whether entries with both sides below the normal float64 range are decided as computed
        (their zeros are structural or the sign of their difference is certain by construction).
        By default such entries are ``undecided`` (see the module docstring: *Underflow*).
    """

    name: str
    index: np.ndarray
    lhs: np.ndarray
    rhs: np.ndarray
    lhs_err: np.ndarray
    rhs_err: np.ndarray
    relation: str = "<="
    fail_factor: float = 100.0
    exact_zeros: bool = False

    def __post_init__(self):
        if self.relation not in _RELATIONS:
            raise InvalidArgument("relation", "Comparison", f"be one of {_RELATIONS}",
                                  self.relation)
        arrays = {}
        for name in ("index", "lhs", "rhs", "lhs_err", "rhs_err"):
            arrays[name] = np.atleast_1d(np.asarray(getattr(self, name), dtype=float)).ravel()
        m = arrays["lhs"].size
        for name, a in arrays.items():
            if a.size == 1 and m != 1:              # a scalar broadcasts (also to no entries)
                a = np.full(m, a.item())
            if a.size != m:
                raise InvalidArgument(name, "Comparison", f"have one entry per compared entry "
                                      f"({m}, the length of lhs) or a single entry", a)
            object.__setattr__(self, name, a)
        for name in ("lhs_err", "rhs_err"):
            e = getattr(self, name)
            if np.any(e < 0):
                raise InvalidArgument(name, "Comparison", "be non-negative (an absolute error "
                                      "bound)", float(np.min(e)))

    @property
    def statuses(self) -> np.ndarray:
        """Per-entry status strings."""
        lo_l, hi_l = self.lhs - self.lhs_err, self.lhs + self.lhs_err
        lo_r, hi_r = self.rhs - self.rhs_err, self.rhs + self.rhs_err
        out = np.full(self.lhs.size, Status.UNDECIDED.value, dtype=object)
        if self.relation == "<=":
            out[hi_l <= lo_r] = Status.HOLDS.value
            out[lo_l > hi_r] = Status.FAILS.value
        elif self.relation == ">=":
            out[lo_l >= hi_r] = Status.HOLDS.value
            out[hi_l < lo_r] = Status.FAILS.value
        else:
            gap = np.abs(self.lhs - self.rhs)
            tol = self.lhs_err + self.rhs_err
            out[gap <= tol] = Status.HOLDS.value
            out[gap > self.fail_factor * tol] = Status.FAILS.value
        nan = ~(np.isfinite(self.lhs) & np.isfinite(self.rhs))
        out[nan] = Status.UNDECIDED.value
        out[self.underflowed] = Status.UNDECIDED.value
        return out

    @property
    def underflowed(self) -> np.ndarray:
        """(m,) bool: entries comparing two sides below the normal float64 range whose error
        bounds do not reach it either (possibly lost to underflow), unless ``exact_zeros``."""
        if self.exact_zeros:
            return np.zeros(self.lhs.size, dtype=bool)
        with np.errstate(invalid="ignore"):
            low = ((np.abs(self.lhs) < _TINY) & (np.abs(self.rhs) < _TINY)
                   & (self.lhs_err < _TINY) & (self.rhs_err < _TINY))
        return low

    @property
    def margins(self) -> np.ndarray:
        """Per-entry margin as a ratio; > 1 means the comparison holds with room to spare.

        ``<=``: rhs/lhs; ``>=``: lhs/rhs; ``==``: (error bound)/(discrepancy); NaN for entries
        lost to underflow (:attr:`underflowed`), which carry no information.
        """
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.relation == "<=":
                m = np.where(self.lhs > 0, self.rhs / self.lhs, np.inf)
                m = np.where((self.lhs > 0) & (self.rhs <= 0), 0.0, m)
            elif self.relation == ">=":
                m = np.where(self.rhs > 0, self.lhs / self.rhs, np.inf)
                m = np.where((self.rhs > 0) & (self.lhs <= 0), 0.0, m)
            else:
                gap = np.abs(self.lhs - self.rhs)
                m = np.where(gap > 0, (self.lhs_err + self.rhs_err) / gap, np.inf)
        return np.where(self.underflowed, np.nan, m)

    def status(self) -> Status:
        return _combine(self.statuses)

    def to_dict(self) -> dict:
        return {"name": self.name, "relation": self.relation,
                "index": _jsonable(self.index), "lhs": _jsonable(self.lhs),
                "rhs": _jsonable(self.rhs), "lhs_err": _jsonable(self.lhs_err),
                "rhs_err": _jsonable(self.rhs_err), "status": list(self.statuses),
                "margin": _jsonable(self.margins), "exact_zeros": bool(self.exact_zeros)}


def _combine(statuses: Sequence[str]) -> Status:
    statuses = list(statuses)
    if any(s == Status.FAILS.value for s in statuses):
        return Status.FAILS
    if statuses and all(s == Status.HOLDS.value for s in statuses):
        return Status.HOLDS
    return Status.UNDECIDED          # including "nothing compared": never holds over nothing


def decide(comparisons: Sequence[Comparison]) -> Status:
    """The overall status of several comparison families (fails beats undecided beats holds).

    No entries at all (no families, or only empty ones) is ``undecided``: a statement checked
    over nothing is not shown to hold.
    """
    return _combine([s for c in comparisons for s in c.statuses])


def entry_count(comparisons: Sequence[Comparison]) -> int:
    """Total number of compared entries over every family."""
    return int(sum(c.lhs.size for c in comparisons))


def _jsonable(a):
    out = []
    for x in np.asarray(a, dtype=float).ravel():
        out.append(x if math.isfinite(x) else ("inf" if x > 0 else "-inf" if x < 0 else "nan"))
    return out


@dataclass(frozen=True)
class Verdict:
    """The answer of :meth:`hyperribbon.theory.lemma.Lemma.check`.

    Attributes
    ----------
    lemma_id : str
    status : Status
    comparisons : tuple of Comparison
        Both sides of every comparison, with error bounds (empty when not applicable).
    precision : str
        The precision level that decided (or the highest tried, when undecided).
    failed_assumptions : tuple of str
        Names of the assumptions the problem violates (``not_applicable`` verdicts).
    notes : tuple of str
    problem : dict
        The problem's parameters.
    """

    lemma_id: str
    status: Status
    comparisons: tuple = ()
    precision: str = ""
    failed_assumptions: tuple = ()
    notes: tuple = ()
    problem: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return self.status is Status.HOLDS

    @property
    def margin(self) -> float:
        """Worst margin over every entry (a ratio; < 1 only if some entry fails or is tight);
        NaN when nothing was compared (entries lost to underflow are skipped)."""
        ms = [float(np.nanmin(c.margins)) for c in self.comparisons
              if c.lhs.size and not np.all(np.isnan(c.margins))]
        return min(ms) if ms else math.nan

    def worst(self) -> Optional[tuple]:
        """``(comparison name, index, lhs, rhs, margin)`` of the entry with the smallest margin."""
        best = None
        for c in self.comparisons:
            if not c.lhs.size or np.all(np.isnan(c.margins)):
                continue
            k = int(np.nanargmin(c.margins))
            cand = (c.name, c.index[k], c.lhs[k], c.rhs[k], c.margins[k])
            if best is None or cand[4] < best[4]:
                best = cand
        return best

    def to_dict(self) -> dict:
        return {"lemma": self.lemma_id, "status": self.status.value,
                "margin": _jsonable([self.margin])[0], "precision": self.precision,
                "failed_assumptions": list(self.failed_assumptions), "notes": list(self.notes),
                "problem": {k: (v if not isinstance(v, float) or math.isfinite(v) else str(v))
                            for k, v in self.problem.items()},
                "comparisons": [c.to_dict() for c in self.comparisons]}

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def table(self, max_rows: int = 12) -> str:
        """A plain-text table of the verdict: one row per compared entry (worst first)."""
        lines = [f"{self.lemma_id}: {self.status.value.upper()}"
                 + (f"  (worst margin {self.margin:.4g}, decided at {self.precision})"
                    if entry_count(self.comparisons) else "")]
        for a in self.failed_assumptions:
            lines.append(f"  assumption violated: {a}")
        for c in self.comparisons:
            lines.append(f"  {c.name}")
            lines.append(f"    {'index':>6}  {'lhs':>12}  {'rhs':>12}  {'margin':>10}  status")
            order = np.argsort(c.margins, kind="stable")[:max_rows]
            st = c.statuses
            for k in sorted(order):
                lines.append(f"    {c.index[k]:>6.0f}  {c.lhs[k]:>12.5g}  {c.rhs[k]:>12.5g}  "
                             f"{c.margins[k]:>10.4g}  {st[k]}")
            if c.lhs.size > max_rows:
                lines.append(f"    ... {c.lhs.size - max_rows} more entries (the {max_rows} "
                             "with the smallest margins are shown)")
        for n in self.notes:
            lines.append(f"  note: {n}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()
