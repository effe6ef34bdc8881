"""``hyperribbon falsify``: a property-based counterexample search over the lemma registry.

For every lemma, hypothesis draws problems from the strategy of its problem type (generated from
the declared parameter domains, :mod:`hyperribbon.theory.strategies`), checks the lemma, steers
the search towards small margins (``hypothesis.target``), and on a failure shrinks to a minimal
counterexample. Decisions are the lemma's verdicts, which never call a comparison failed from a
difference inside its numerical error bounds, so rounding cannot produce a counterexample. The
example database is kept between runs (``--database``), so a counterexample once found is
replayed first next time; without a database (``--database ''``) the ``--seed`` makes a run
exactly reproducible (hypothesis ignores its database when seeded). The default database lives
in the user's cache folder (:func:`default_database`), never in the working tree.

Every row counts the examples tried, those the lemma does not apply to, and those it decided
(holds) or could not decide (undecided); "no counterexample" is only ever said together with
these counts, and a search that decided nothing reads "inconclusive".

Examples
--------
>>> rows = falsify(["5.2.2-mean"], examples=20, seed=1, database=None, progress=False)
>>> rows[0]["status"], rows[0]["counterexample"] is not None
('counterexample', True)
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Iterable, Optional

from hypothesis import HealthCheck, Phase, given, seed as hyp_seed, settings, target
from hypothesis.database import DirectoryBasedExampleDatabase

import hyperribbon.numerics  # noqa: F401  (installs the measuring oracle)
from hyperribbon.theory import registry
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.strategies import strategy_for
from hyperribbon.theory.verdict import Status

__all__ = ["falsify", "falsify_lemma", "to_markdown", "write_outputs", "default_database"]


def default_database() -> str:
    """``$XDG_CACHE_HOME/hyperribbon/falsify-db`` (``~/.cache/...`` when unset): hypothesis's
    example database between runs, outside any working tree."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hyperribbon", "falsify-db")


class _Counterexample(Exception):
    pass


def _jsonable(params: dict) -> dict:
    from ._output import json_safe
    return json_safe(params)


def falsify_lemma(lemma, examples: int = 200, seed: int = 0, database=None,
                  small: bool = False, on_example=None) -> dict:
    """Search for a counterexample to one lemma; returns its row of the report."""
    stats = {"tried": 0, "applicable": 0, "holds": 0, "undecided": 0, "fails": 0,
             "not_applicable": 0,
             "worst_margin": math.inf, "worst_problem": None}
    failing: list = []

    @settings(max_examples=examples, deadline=None, database=database, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
              print_blob=False)
    @given(strategy_for(lemma.problem_type, small=small))
    def prop(problem):
        v = lemma.check(problem)
        if not failing:
            stats["tried"] += 1
            if on_example is not None:
                on_example()
        if v.status is Status.NOT_APPLICABLE:
            if not failing:
                stats["not_applicable"] += 1
            return
        if not failing:
            stats["applicable"] += 1
            stats[v.status.value if v.status is not Status.FAILS else "fails"] += 1
        m = v.margin
        if math.isfinite(m):
            target(-math.log(max(m, 1e-300)), label="-log margin")
            if m < stats["worst_margin"] and not failing:
                stats["worst_margin"], stats["worst_problem"] = m, problem.parameters()
        if v.status is Status.FAILS:
            failing.append((problem, v))
            raise _Counterexample(lemma.id)

    if database is None:
        # hypothesis ignores its example database under @seed, so a seed only pins a run
        # without a database (exact reproducibility); with one, stored failures replay first.
        prop = hyp_seed(seed)(prop)
    t0 = time.time()
    try:
        prop()
        found = None
    except _Counterexample:
        problem, verdict = failing[-1]          # the last failure is the shrunk one
        w = verdict.worst()
        found = {"parameters": _jsonable(problem.parameters()),
                 "worst_comparison": w[0], "index": float(w[1]), "lhs": float(w[2]),
                 "rhs": float(w[3]), "margin": float(w[4]), "precision": verdict.precision}
    if found:
        status = "counterexample"
    elif stats["holds"] == 0:
        status = "inconclusive"
    else:
        status = "no counterexample"
    return {"lemma": lemma.id, "variant": lemma.variant, "examples": examples,
            "tried": stats["tried"], "applicable": stats["applicable"],
            "not_applicable": stats["not_applicable"],
            "holds": stats["holds"], "undecided": stats["undecided"],
            "status": status, "result": _result_text(status, stats),
            "worst_margin": stats["worst_margin"] if math.isfinite(stats["worst_margin"])
            else None,
            "worst_problem": _jsonable(stats["worst_problem"] or {}),
            "counterexample": found, "seconds": round(time.time() - t0, 2)}


def _result_text(status: str, st: dict) -> str:
    """The result in words, computed from the counts."""
    counts = (f"{st['holds']} held, {st['undecided']} undecided, {st['not_applicable']} not "
              f"applicable, of {st['tried']} tried")
    if status == "counterexample":
        return f"counterexample found (before it: {counts})"
    if status == "inconclusive":
        return f"inconclusive: no example was decided ({counts})"
    return f"no counterexample: {counts}"


def falsify(keys: Optional[Iterable[str]] = None, examples: int = 200, seed: int = 0,
            database: Optional[str] = "default", small: bool = False,
            progress: bool = True) -> list[dict]:
    """Run :func:`falsify_lemma` over the registry (or the lemmas addressed by ``keys``).

    ``database``: a folder for hypothesis's example database, ``"default"`` for
    :func:`default_database`, or ``None`` for none (then ``seed`` makes the run reproducible).
    """
    if isinstance(examples, bool) or not isinstance(examples, int) or not 1 <= examples <= 10**6:
        raise InvalidArgument("examples", "falsify", "be an integer in [1, 1000000]", examples)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**63 - 1:
        raise InvalidArgument("seed", "falsify", "be an integer in [0, 2^63 − 1]", seed)
    if database == "default":
        database = default_database()
    lemmas = registry.all_lemmas() if not keys else [registry.get(k) for k in keys]
    db = DirectoryBasedExampleDatabase(database) if database else None
    rows = []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(lemmas) * examples, unit="ex", desc="falsify", leave=False)
    for lem in lemmas:
        if bar is not None:
            bar.set_postfix_str(lem.id)
        row = falsify_lemma(lem, examples=examples, seed=seed, database=db, small=small,
                            on_example=(lambda: bar.update(1)) if bar is not None else None)
        rows.append(row)
    if bar is not None:
        bar.close()
    return rows


def to_markdown(rows: list[dict]) -> str:
    """The table of ``falsify.md``: per lemma the examples tried, not applicable, held and
    undecided, the worst margin and the result in words."""
    out = ["| lemma | variant | tried | not applicable | held | undecided | worst margin | "
           "result | counterexample |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        wm = "—" if r["worst_margin"] is None else f"{r['worst_margin']:.4g}"
        ce = "—" if not r["counterexample"] else (
            f"{json.dumps(r['counterexample']['parameters'], ensure_ascii=False)}; "
            f"{r['counterexample']['worst_comparison']} at index "
            f"{r['counterexample']['index']:g}: {r['counterexample']['lhs']:.6g} vs "
            f"{r['counterexample']['rhs']:.6g}")
        out.append(f"| {r['lemma']} | {r['variant']} | {r['tried']} | "
                   f"{r.get('not_applicable', r['tried'] - r['applicable'])} | {r['holds']} | "
                   f"{r['undecided']} of {r['tried']} | {wm} | {r['status']} | {ce} |")
    return "\n".join(out)


def write_outputs(rows: list[dict], out: str | os.PathLike, *, seed=None, database=None,
                  examples=None, small=None) -> tuple[Path, Path]:
    """Write ``falsify.json`` and ``falsify.md`` into ``out`` (atomically, ordinary file
    permissions); the run's settings head ``falsify.md``."""
    from ._output import atomic_write_text, json_dumps
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    j, m = out / "falsify.json", out / "falsify.md"
    atomic_write_text(j, json_dumps(rows, indent=1))
    found = [r["lemma"] for r in rows if r["status"] == "counterexample"]
    inconclusive = [r["lemma"] for r in rows if r["status"] == "inconclusive"]
    und = sum(r["undecided"] for r in rows)
    tried = sum(r["tried"] for r in rows)
    head = ["# hyperribbon falsify", "",
            f"- settings: examples per lemma {examples if examples is not None else '—'}, "
            f"seed {seed if seed is not None else '—'}, small problems "
            f"{small if small is not None else '—'}, example database "
            f"{database or 'none (the seed makes the run reproducible)'}",
            f"- {len(rows)} lemmas, {tried} examples tried, {und} of them undecided.",
            f"- counterexamples: {', '.join(found) if found else 'none'}.",
            f"- inconclusive (no example decided): "
            f"{', '.join(inconclusive) if inconclusive else 'none'}.", ""]
    atomic_write_text(m, "\n".join(head) + "\n" + to_markdown(rows) + "\n")
    return j, m
