"""Parameter tables and reports shared by the figure reproductions (private): Chapter 5
(:mod:`hyperribbon.experiments.linear_models.reproduce`) and Chapter 4
(:mod:`hyperribbon.experiments.curvature.reproduce`).

Every parameter of a reproduced figure is recorded with its value, its *source* — ``caption``
(stated by the thesis), ``choice`` (chosen here), ``quick`` (reduced for ``--quick``) or ``flag``
(set by the user) — and the reason, and ``report.md`` prints that table beside what was measured.

Examples
--------
>>> spec = {"params": {"n": parameter(50, "caption"), "T": parameter(10, "choice", "not stated")},
...         "quick": {"T": 2}}
>>> prm = resolve_parameters("figX", spec, quick=True, overrides={"n": 20})
>>> [(k, v["value"], v["source"]) for k, v in prm.items()]
[('n', 20, 'flag'), ('T', 2, 'quick')]
>>> prm["n"]["why"]
'set by the user (caption: 50)'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hyperribbon.theory.errors import InvalidArgument

__all__ = ["Reproduction", "parameter", "resolve_parameters", "no_overrides_for_all",
           "report_text"]


@dataclass
class Reproduction:
    """What a ``reproduce(figure, ...)`` call produced for one figure: the output folder, its
    report, the files written, the parameter table, the numbers, the checks and the run time."""

    figure: str
    out: Path
    report: Path
    files: list = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)
    seconds: float = 0.0


def parameter(value, source: str, why: str = "") -> dict:
    """One row of a parameter table: value, source (caption / choice / quick / flag), reason."""
    return {"value": value, "source": source, "why": why}


def resolve_parameters(figure: str, spec: dict, quick: bool, overrides: dict, *,
                       quick_why: str = "reduced for --quick (full run: {full})",
                       lists_as_tuples: bool = False) -> dict:
    """The parameter table of ``spec["params"]`` after ``spec["quick"]`` sizes (with ``quick``)
    and the user's ``overrides`` (source ``flag``; ``None`` values are ignored).

    ``quick_why`` is the note of a reduced value (``{full}``: the full run's value);
    ``lists_as_tuples`` stores list overrides as tuples. An override that is not a parameter of
    the figure is an :class:`InvalidArgument` naming it. Values are not validated here.
    """
    prm = {k: dict(v) for k, v in spec["params"].items()}
    if quick:
        for k, v in spec["quick"].items():
            prm[k] = parameter(v, "quick", quick_why.format(full=prm[k]["value"]))
    for k, v in overrides.items():
        if v is None:
            continue
        if k not in prm:
            raise InvalidArgument(k, f"reproduce({figure!r})",
                                  f"be a parameter of {figure}: {sorted(prm)}", v)
        if lists_as_tuples and isinstance(v, list):
            v = tuple(v)
        prm[k] = parameter(v, "flag", "set by the user" + (
            f" (caption: {prm[k]['value']})" if prm[k]["source"] == "caption" else ""))
    return prm


def no_overrides_for_all(overrides: dict) -> None:
    """``reproduce("all", ...)`` takes no parameter overrides (the tables differ per figure)."""
    if overrides:
        raise InvalidArgument("overrides", "reproduce('all')",
                              "be empty (parameters differ per figure)", sorted(overrides))


def report_text(figure: str, title: str, caption: str, prm: dict, sources: str, lines: list,
                checks: dict, footer: str, files: list) -> str:
    """``report.md`` of a reproduction: title, caption line, parameter table, the meaning of the
    sources, what was measured (``lines``), the checks, a footer line (versions, run time), the
    files written and the figure (the first PNG)."""
    text = [f"# {title}", "", caption, "",
            "## Parameters", "", "| parameter | value | source | note |", "|---|---|---|---|"]
    for k, v in prm.items():
        text.append(f"| {k} | {v['value']} | {v['source']} | {v['why']} |")
    text += ["", sources, "", "## What was measured", ""] + list(lines) + ["", "## Checks", ""]
    for k, v in checks.items():
        text.append(f"- {k}: {v}")
    text += ["", footer, "", "## Files", ""]
    text += [f"- `{Path(f).name}`" for f in files]
    png = [Path(f).name for f in files if str(f).endswith(".png")]
    if png:
        text += ["", f"![{figure}]({png[0]})"]
    return "\n".join(text) + "\n"
