"""The Markdown report of the manifold analyses, with the measured numbers next to the thesis's.

:func:`write_report` assembles ``report.md`` from :class:`~.analyses.result.AnalysisResult`
objects: parameters, versions, a table putting each measured headline number next to the
thesis's (every entry read from the results' numbers; a quantity that was not measured reads
"not run"), one section per analysis (its text generated from its numbers), and the list of
files written. :data:`THESIS` holds the thesis's numbers with where they come from.

Examples
--------
>>> from hyperribbon.experiments.manifold.analyses.result import AnalysisResult
>>> r = AnalysisResult("a01_inpca_train", 1, "InPCA", numbers={"split": "train",
...     "metric": "bhattacharyya", "explained_stress": {3: 0.8}})
>>> rows = comparison_rows([r])
>>> [(x["quantity"], x["measured"]) for x in rows][:1]
[('explained stress, train, 3 dims', '80.0%')]
"""
from __future__ import annotations

import datetime
from pathlib import Path

from .analyses._io import atomic_write_text, fmt, pct, versions

__all__ = ["THESIS", "comparison_rows", "render_report", "write_report"]

#: The thesis's numbers: (value, where, setting).
THESIS = {
    "explained stress, train, 3 dims": (0.76, "§2.3, Fig. 2.1b", "CIFAR-10, 151,407 models"),
    "explained stress, train, 50 dims": (0.98, "§2.3, Fig. 2.1b", "CIFAR-10"),
    "explained stress, test, 3 dims": (0.63, "§2.3, Fig. 2.4b", "CIFAR-10"),
    "explained stress, test, 50 dims": (0.95, "§2.3, Fig. 2.4b", "CIFAR-10"),
    "explained pairwise test distances, 10 dims, train coordinates": (0.52, "§2.3 (eq. 2.3.1)",
                                                                      "CIFAR-10"),
    "explained pairwise test distances, 10 dims, own embedding": (0.56, "§2.3", "CIFAR-10"),
    "R² of train error on progress": (0.95, "Fig. 2.7a", "CIFAR-10"),
    "R² of test error on progress": (0.88, "Fig. 2.7b", "CIFAR-10"),
    "R² of test progress on train progress": (0.99, "§2.3", "CIFAR-10"),
    "explained stress, synthetic, 10 dims": (0.99, "§2.5.5, Fig. 2.26a",
                                             "sloppy and non-sloppy inputs"),
    "test error of the harmonic-mean ensemble": (0.189, "§2.5.4.4, Fig. 2.24b",
                                                 "AllCNN, 30 seeds"),
    "test error of the arithmetic-mean ensemble": (0.250, "§2.5.4.4, Fig. 2.24b",
                                                   "AllCNN, 30 seeds"),
    "explained stress of the task manifold, 3 dims": (0.8002, "Ch. 3 Result 1, Fig. 3.1b",
                                                      "ImageNet, 2430 models"),
}

_PERCENT = {k for k in THESIS if k.startswith(("explained stress", "test error"))}


def _find(results, key_prefix):
    return [r for r in results if r.key.startswith(key_prefix) and not r.skipped]


def _measured(results) -> dict:
    out = {}
    for r in _find(results, "a01_inpca_train") + _find(results, "a02_inpca_test"):
        if r.numbers.get("metric") != "bhattacharyya":
            continue
        sp = r.numbers["split"]
        for d in (3, 50):
            v = r.numbers["explained_stress"].get(d)
            if v is not None:
                out[f"explained stress, {sp}, {d} dims"] = (v, f"{r.numbers.get('m_models')} "
                                                            f"models, N = "
                                                            f"{r.numbers.get('n_samples')}")
    for r in _find(results, "a02_joint"):
        ep = r.numbers["explained_pairwise"].get(10)
        if ep:
            out["explained pairwise test distances, 10 dims, train coordinates"] = (ep["joint"], "")
            out["explained pairwise test distances, 10 dims, own embedding"] = (ep["own"], "")
    for r in _find(results, "a06_progress_error"):
        f = r.numbers["fits"]
        for k, name in (("train", "R² of train error on progress"),
                        ("test", "R² of test error on progress"),
                        ("train_vs_test_progress", "R² of test progress on train progress")):
            if f.get(k):
                out[name] = (f[k]["r2"], f"{f[k]['n']} models")
    for r in _find(results, "a12_synthetic"):
        for name, v in r.numbers["explained_stress"].items():
            val = v["train"].get(10)
            if val is not None:
                out[f"explained stress, synthetic, 10 dims ({name})"] = (val, f"c = {v['c']}, "
                                                                           "train")
    for r in _find(results, "a10_ensembles"):
        fe = r.numbers["final_test_error"]
        for kind, name in (("harmonic", "test error of the harmonic-mean ensemble"),
                           ("arithmetic", "test error of the arithmetic-mean ensemble")):
            if fe.get(kind) is not None:
                out[name] = (fe[kind], f"{r.numbers['n_configurations']} configurations")
    for r in _find(results, "a13_tasks"):
        v = r.numbers["explained_stress"].get(3)
        if v is not None:
            out["explained stress of the task manifold, 3 dims"] = (v, f"{r.numbers['m_models']} "
                                                                    "models")
    return out


def _value(name, v):
    base = name.split(" (")[0]
    return pct(v) if base in _PERCENT else fmt(v)


def comparison_rows(results) -> list:
    """Rows ``{quantity, thesis, thesis_where, thesis_setting, measured, measured_setting}``."""
    meas = _measured(results)
    rows = []
    for name, (val, where, setting) in THESIS.items():
        matches = {k: v for k, v in meas.items() if k == name or k.startswith(name + " (")}
        if not matches:
            rows.append({"quantity": name, "thesis": _value(name, val), "thesis_where": where,
                         "thesis_setting": setting, "measured": "not run",
                         "measured_setting": ""})
        for k, (v, s) in matches.items():
            rows.append({"quantity": k, "thesis": _value(name, val), "thesis_where": where,
                         "thesis_setting": setting, "measured": _value(name, v),
                         "measured_setting": s})
    return rows


def render_report(results, *, title: str = "Training manifold analyses", parameters=None,
                  info=None, preamble: str = "", seconds: float | None = None,
                  files=None) -> str:
    """The report's Markdown text (see :func:`write_report`)."""
    lines = [f"# {title}", "",
             f"Generated by hyperribbon on {datetime.datetime.now().isoformat(timespec='seconds')}"
             + ("" if seconds is None else f" in {seconds:.0f} s") + ".", "",
             f"Versions: {versions()}.", ""]
    if preamble:
        lines += [preamble.rstrip(), ""]
    if parameters or info:
        lines += ["## Parameters", "", "| parameter | value |", "|---|---|"]
        for k, v in {**(info or {}), **(parameters or {})}.items():
            lines.append(f"| {k} | {v} |")
        lines.append("")
    rows = comparison_rows(results)
    lines += ["## Measured next to the thesis", "",
              "| quantity | thesis | where | thesis setting | measured | measured setting |",
              "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['quantity']} | {r['thesis']} | {r['thesis_where']} | "
                     f"{r['thesis_setting']} | {r['measured']} | {r['measured_setting']} |")
    lines.append("")
    skipped = [r for r in results if r.skipped]
    ran = sorted({r.number for r in results if not r.skipped})
    lines.append(f"Analyses run: {', '.join(map(str, ran)) or 'none'}"
                 + (f"; not applicable: " + ", ".join(f"{r.number} ({r.key})" for r in skipped)
                    if skipped else "") + ".")
    lines.append("")
    for r in results:
        lines.append(r.section(level=2))
    written = files if files is not None else [f for r in results for f in r.files]
    if written:
        lines += ["## Files", ""] + [f"- `{Path(f).name}`" for f in written] + [""]
    return "\n".join(lines)


def write_report(results, out, **kwargs) -> Path:
    """Write ``out/report.md`` (atomically) from analysis results; returns its path.

    Keyword arguments are those of :func:`render_report` (``title``, ``parameters``, ``info``,
    ``preamble``, ``seconds``).
    """
    out = Path(out)
    return atomic_write_text(out / "report.md", render_report(results, **kwargs))
