"""What every analysis returns: numbers, tables, figure builders and a Markdown section.

An :class:`AnalysisResult` holds the measured numbers (JSON-serialisable), tables (pandas
DataFrames, written as CSV), figure builders (called only when writing, so that computing an
analysis never needs matplotlib) and the Markdown text of its report section, which is generated
from the numbers. ``result.write(out)`` writes ``<key>.json``, ``<key>_<table>.csv`` and
``<key>_<figure>.png/.pdf`` into ``out``; a skipped analysis (not applicable to the data, e.g. no
``width`` column for the larger-vs-smaller comparison) says why in ``skipped`` and in its section.

Examples
--------
>>> import pandas as pd
>>> r = AnalysisResult(key="demo", number=0, title="Demo", numbers={"x": 1.5},
...                    tables={"t": pd.DataFrame({"a": [1, 2]})}, markdown="x is 1.5.")
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     sorted(p.name for p in r.write(d))
['demo.json', 'demo_t.csv']
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

from ._io import atomic_savefig, write_csv, write_json

__all__ = ["AnalysisResult", "skipped"]


@dataclasses.dataclass
class AnalysisResult:
    """The outcome of one analysis.

    Attributes
    ----------
    key : str
        File-name stem, e.g. ``"a01_inpca_train"``.
    number : int
        The analysis number (1–13, issue 11).
    title : str
    numbers : dict
        Measured numbers (written to ``<key>.json``).
    tables : dict of str to pandas.DataFrame
    figures : dict of str to callable
        ``name -> () -> matplotlib.figure.Figure``.
    markdown : str
        The report section's body (computed from ``numbers``).
    skipped : str or None
        Why the analysis did not apply, if it did not.
    data : dict
        Python objects for further use, not written (fitted estimators, coordinates).
    files : list of Path
        Filled by :meth:`write`.
    """

    key: str
    number: int
    title: str
    numbers: dict = dataclasses.field(default_factory=dict)
    tables: dict = dataclasses.field(default_factory=dict)
    figures: dict = dataclasses.field(default_factory=dict)
    markdown: str = ""
    skipped: str | None = None
    data: dict = dataclasses.field(default_factory=dict)
    files: list = dataclasses.field(default_factory=list)

    def write(self, out, *, figures: bool = True, dpi: int = 130) -> list:
        """Write numbers, tables and (when ``figures``) PNG+PDF figures into ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        files = [write_json(out / f"{self.key}.json",
                            {"title": self.title, "number": self.number, "skipped": self.skipped,
                             **self.numbers})]
        for name, frame in self.tables.items():
            files.append(write_csv(out / f"{self.key}_{name}.csv", frame))
        if figures and self.figures:
            for name, build in self.figures.items():
                fig = build()                      # a matplotlib Figure without pyplot state
                for ext in ("png", "pdf"):
                    files.append(atomic_savefig(fig, out / f"{self.key}_{name}.{ext}",
                                                dpi=dpi, bbox_inches="tight"))
        self.files = files
        return files

    def section(self, level: int = 2) -> str:
        """The Markdown section: heading, body, embedded figures."""
        head = "#" * level + f" {self.number}. {self.title}\n\n"
        if self.skipped:
            return head + f"Not applicable to these data: {self.skipped}\n"
        body = self.markdown.rstrip() + "\n"
        for name in self.figures:
            body += f"\n![{self.title}: {name}]({self.key}_{name}.png)\n"
        return head + body


def skipped(key: str, number: int, title: str, reason: str) -> AnalysisResult:
    """An :class:`AnalysisResult` for an analysis that does not apply, with the reason."""
    return AnalysisResult(key=key, number=number, title=title, skipped=reason,
                          numbers={"reason": reason})


BuildFigure = Callable[[], object]
