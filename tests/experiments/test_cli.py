"""The command line: every subcommand against the Python function it wraps, exit status, flag
names in errors, JSON numbers, output files, lazy imports and the wiring of the other subjects.
"""
import importlib.metadata
import json
import math
import os
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

import hyperribbon.experiments.cli as cli_module
from hyperribbon.experiments.cli import EXIT_STATUS, main
from hyperribbon.experiments.verify import verify


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


def no_string_numbers(obj):
    """True if no JSON value is a string spelling a number ('inf', 'nan', '-inf')."""
    if isinstance(obj, dict):
        return all(no_string_numbers(v) for v in obj.values())
    if isinstance(obj, list):
        return all(no_string_numbers(v) for v in obj)
    return not (isinstance(obj, str) and obj.strip().lower() in ("inf", "-inf", "nan",
                                                                   "infinity"))


def strict_json(text):
    """json.loads that refuses NaN/Infinity literals."""
    def bad(c):
        raise ValueError(f"non-standard JSON constant {c}")
    return json.loads(text, parse_constant=bad)


# ---------------------------------------------------------------------------- lemmas
def test_lemmas_lists_every_registered_lemma_in_aligned_columns():
    from hyperribbon.theory import registry
    rows = json.loads(run("lemmas", "--json").output)
    assert {r["id"] for r in rows} == {lem.id for lem in registry.all_lemmas()}
    lines = run("lemmas").output.splitlines()
    col = lines[0].index("title")
    for lem, line in zip(registry.all_lemmas(), lines[1::2]):
        assert line.index(lem.id) + len(lem.id) <= col - 2, line
        assert line[col:].startswith(lem.title), line
        assert line.startswith(lem.number)


# ---------------------------------------------------------------------------- verify
@pytest.mark.parametrize("key", ["5.2.1", "5.2.2", "5.2.3", "5.2.10", "(5.2.5)", "5.2.7",
                                 "5.2.8", "5.2.4", "5.2.11", "(5.2.2)", "(5.2.3)",
                                 "5.2.3-large-t", "5.2.1-exact-zolotarev"])
def test_verify_every_lemma_by_number(key):
    res = run("verify", key, "--json", "--n", "20", "--T", "30")
    out = strict_json(res.output)
    assert len(out) == 1 and out[0]["status"] in ("holds", "not_applicable")
    assert out[0]["problem"]["n"] == 20 and out[0]["problem"]["T"] == 30
    assert no_string_numbers(out)
    assert out[0]["margin"] is None or isinstance(out[0]["margin"], float)
    assert isinstance(out[0]["problem"]["n"], int)


def test_verify_table_and_exit_status():
    res = run("verify", "5.2.2-mean")
    assert res.exit_code == 1 and "FAILS" in res.output and "λ1^y ≥ ‖y‖²" in res.output
    res = run("verify", "5.2.3", "--c", "0.3", "--seed", "4")
    assert res.exit_code == 0 and "HOLDS" in res.output
    assert set(EXIT_STATUS) == {0, 1, 2, 3, 130}


def test_verify_a_chapter_exits_1_when_a_statement_fails_and_reports_every_lemma():
    from hyperribbon.experiments.verify import chapter_of, select
    from hyperribbon.theory import registry
    res = run("verify", "ch5", "--n", "6", "--T", "8", "--json")
    rows = strict_json(res.output)
    assert {r["lemma"] for r in rows} == {lem.id for lem in registry.all_lemmas()
                                          if chapter_of(lem) == "5"}
    assert any(r["status"] == "fails" for r in rows)       # the errata's as-written statements
    assert res.exit_code == 1
    assert select("all") == registry.all_lemmas()
    assert {chapter_of(lem) for lem in select("all")} >= {"2", "5"}
    res = run("verify", "ch9")
    assert res.exit_code == 2 and "ch5" in res.output


def test_verify_all_reports_unbuildable_problems_as_not_applicable():
    """--n 1 cannot build a premetric space (≥ 2 points): that lemma is not_applicable with
    the reason, every other lemma still runs (issue: `verify all --n 1` aborted). Chapters 2
    and 5 here: Chapter 4's lemmas train networks (minutes) and do not take --n."""
    verdicts = {v.lemma_id: v for v in verify("ch2", n=1) + verify("ch5", n=1, T=10)}
    v = verdicts["thesis-theorem-2.5.1"]
    assert v.status.value == "not_applicable"
    assert "n = 1" in v.notes[0] and "PremetricSpace" in v.notes[0]
    assert verdicts["thesis-lemma-5.2.3"].status.value != "not_applicable" or \
        verdicts["thesis-lemma-5.2.3"].failed_assumptions
    res = run("verify", "ch2", "--n", "1")
    assert res.exit_code in (0, 1) and "its problem cannot be built from n = 1" in res.output
    assert "summary:" in res.output


@pytest.mark.parametrize("args,flag", [
    pytest.param(["5.2.3", "--batch-size", "3"], "--batch-size", id="batch-size"),
    pytest.param(["5.2.3", "--weight-decay", "0.2"], "--weight-decay", id="weight-decay"),
    pytest.param(["5.2.3", "--slopes", "0.2,0.3"], "--slopes", id="slopes"),
    pytest.param(["5.2.3", "--width", "3"], "--width", id="width"),
    pytest.param(["5.2.3", "--epochs", "3"], "--epochs", id="epochs"),
    pytest.param(["5.3.2", "--c", "0.3"], "--c", id="kernel-c"),
    pytest.param(["5.3.3", "--alpha", "0.3"], "--alpha", id="dln-alpha"),
])
def test_verify_rejects_flags_the_lemma_does_not_use(args, flag):
    res = run("verify", *args)
    assert res.exit_code == 2 and f"'{flag}'" in res.output and "must be a parameter" in \
        res.output, res.output


def test_verify_prints_every_parameter_it_used():
    out = run("verify", "5.3-sgd-bound", "--batch-size", "3", "--n", "20").output
    assert "batch_size=3" in out and "n=20" in out and "alpha=0.9" in out
    out = run("verify", "5.3.2", "--slopes", "0.2,0.4", "--n", "10").output
    assert "slopes=0.2,0.4" in out and "n=10" in out
    out = run("verify", "5.3.3", "--width", "3", "--n", "6", "--T", "12").output
    assert "width=3" in out and "n=6" in out and "T=12" in out and "alpha=" in out
    out = run("verify", "5.3-wd-pca", "--weight-decay", "0.25", "--n", "8").output
    assert "weight_decay=0.25" in out


@pytest.mark.parametrize("args,flag,value", [
    pytest.param(["5.2.3", "--alpha", "3"], "--alpha", "3", id="alpha"),
    pytest.param(["5.2.3", "--sigma-w2", "-1"], "--sigma-w2", "-1", id="variance"),
    pytest.param(["5.2.3", "--n", "9223372036854775808"], "--n", "9223372036854775808",
                 id="n-int64-overflow"),
    pytest.param(["5.2.3", "--n", "1e20"], "--n", "1e20", id="n-float"),
    pytest.param(["5.2.3", "--n", "10000000000"], "--n", "10000000000", id="n-1e10"),
    pytest.param(["all", "--slopes", "0.2,nan"], "--slopes", "nan", id="slopes-nan"),
    pytest.param(["5.3.2", "--slopes", "0.2,800"], "--slopes", "800", id="slopes-underflow"),
    pytest.param(["5.2.3", "--T", "0"], "--T", "0", id="T-zero"),
    pytest.param(["5.2.3", "--c", "inf"], "--c", "inf", id="c-inf"),
    pytest.param(["5.2.3", "--seed", "-1"], "--seed", "-1", id="seed"),
    pytest.param(["(5.2.2)", "--T", "1000000000000"], "--T", "1000000000000",
                 id="T-infeasible"),
])
def test_verify_bad_values_name_the_flag_and_the_value(args, flag, value):
    res = run("verify", *args)
    assert res.exit_code == 2, res.output
    assert f"'{flag}'" in res.output and value in res.output, res.output
    assert "Traceback" not in res.output


def test_infeasible_T_states_the_memory_or_time_it_would_need():
    res = run("verify", "(5.2.2)", "--T", "1000000000000")
    assert res.exit_code == 2 and "would" in res.output and "fits" in res.output
    res = run("verify", "5.2.3", "--T", "1000000000000", "--json")   # closed form: fine
    assert res.exit_code == 0 and strict_json(res.output)[0]["problem"]["T"] == 10**12


def test_verify_unknown_key_is_a_usage_error():
    res = run("verify", "7.7.7")
    assert res.exit_code == 2 and "7.7.7" in res.output and "Traceback" not in res.output


def test_python_api_equals_cli():
    v = verify("5.2.1", n=20, T=30)[0]
    res = json.loads(run("verify", "5.2.1", "--json", "--n", "20", "--T", "30").output)[0]
    assert res["status"] == v.status.value and abs(res["margin"] - v.margin) < 1e-12


def test_margin_infinity_is_null_in_json():
    rows = strict_json(run("verify", "(5.2.8)", "--json").output)
    comps = [c for r in rows for c in r["comparisons"]]
    assert any(m is None for c in comps for m in c["margin"])     # an infinite margin
    assert no_string_numbers(rows)


# ---------------------------------------------------------------------------- top level
def test_version_and_help_state_the_exit_status():
    res = run("--version")
    assert res.exit_code == 0
    assert res.output.strip() == f"hyperribbon {importlib.metadata.version('hyperribbon')}"
    out = run("--help").output
    assert "Exit status" in out and all(f" {k} " in out for k in EXIT_STATUS)
    rep = run("reproduce", "--help").output
    assert all(f in rep for f in ("fig4.1", "fig4.2", "fig4.3", "fig4.11", "fig5.5"))


def test_importing_the_cli_imports_no_heavy_library():
    code = ("import sys, hyperribbon.experiments.cli; "
            "print([m for m in ('torch', 'matplotlib', 'dask', 'hypothesis', 'sklearn') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", out


def test_internal_errors_exit_3_and_interrupts_130(monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("a bug")
    monkeypatch.setattr(cli_module._verify, "verify", boom)
    res = run("verify", "5.2.3")
    assert res.exit_code == 3 and "internal error" in res.output

    def interrupt(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli_module._verify, "verify", interrupt)
    assert run("verify", "5.2.3").exit_code == 130


# ---------------------------------------------------------------------------- other subjects
def test_subject_clis_are_registered_when_present():
    for subject, command in (("curvature", "spectrum"), ("manifold", "manifold")):
        if cli_module._subject_module(subject, "cli") is not None:
            assert command in main.commands, subject


def test_reproduce_chapter_4_dispatches_to_curvature(monkeypatch, tmp_path):
    if cli_module._subject_module("curvature", "reproduce") is None:
        pytest.skip("hyperribbon.experiments.curvature.reproduce is not installed")
    import hyperribbon.experiments.curvature.reproduce as r4
    calls = []

    def fake(figure, out=None, quick=False, seed=0):
        calls.append((figure, out, quick, seed))
        return tmp_path / "report.md"
    monkeypatch.setattr(r4, "reproduce", fake)
    res = run("reproduce", "fig4.11", "--quick", "--seed", "3", "--out", tmp_path)
    assert res.exit_code == 0, res.output
    assert calls == [("fig4.11", str(tmp_path), True, 3)]
    res = run("reproduce", "fig4.1", "--n", "3")
    assert res.exit_code == 2 and "--n" in res.output


def test_verify_chapter_4_keys_route_to_verify_network(monkeypatch):
    if cli_module._subject_module("curvature", "verify") is None:
        pytest.skip("hyperribbon.experiments.curvature.verify is not installed")
    import hyperribbon.experiments.curvature.verify as v4
    from hyperribbon.theory import Status, Verdict
    calls = []

    def fake(key, **options):
        calls.append((key, options))
        return [Verdict("fake-4", Status.HOLDS, problem={"arch": options.get("arch")})]
    monkeypatch.setattr(v4, "verify_network", fake)
    res = run("verify", "4.99.1", "--arch", "mlp", "--epochs", "2", "--width", "16")
    assert res.exit_code == 0, res.output
    assert calls == [("4.99.1", {"arch": "mlp", "epochs": 2, "width": 16, "seed": 0})]
    res = run("verify", "4.99.1", "--c", "0.3")
    assert res.exit_code == 2 and "'--c'" in res.output


# ---------------------------------------------------------------------------- outputs
def test_errata_command():
    rows = json.loads(run("errata", "--json").output)
    assert [r["id"] for r in rows][:10] == [f"E{k}" for k in range(1, 11)]
    assert all((r["as_written"], r["corrected"]) == ("fails", "holds") for r in rows)


def test_demo_quick_writes_report_and_figures(tmp_path):
    res = run("demo", "--out", tmp_path, "--quick")
    assert res.exit_code == 0, res.output
    for name in ("report.md", "fig5_2.png", "fig5_2.pdf", "spectra.csv", "verdicts.json"):
        assert (tmp_path / name).stat().st_size > 0
    report = (tmp_path / "report.md").read_text()
    assert "thesis-lemma-5.2.3" in report and "Monte-Carlo" in report
    rows = (tmp_path / "spectra.csv").read_text().splitlines()
    assert len(rows) == 51 and "E_P_N_T_exact" in rows[0]
    verdicts = strict_json((tmp_path / "verdicts.json").read_text())
    assert no_string_numbers(verdicts)
    assert (tmp_path / "verdicts.json").stat().st_size < 500_000
    for v in verdicts:         # the compact record keeps the counts of every comparison
        for c in v["comparisons"]:
            assert sum(c["by_status"].values()) == c["entries"]
            assert len(c["smallest_margins"]) == min(12, c["entries"])


def test_outputs_are_ordinary_files_under_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        res = run("sgd-compare", "--n", "4", "--d", "6", "--T", "20", "--N", "50", "--out",
                  tmp_path)
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    for f in tmp_path.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f


def test_sgd_compare_report_sentence_follows_the_measured_radius(tmp_path):
    from hyperribbon.experiments.linear_models.sgd_compare import radius_sentence
    assert "< 1" in radius_sentence(0.9521) and "bounded" in radius_sentence(0.9521)
    assert "> 1" in radius_sentence(1.2) and "grow" in radius_sentence(1.2)
    res = run("sgd-compare", "--n", "4", "--d", "6", "--T", "20", "--N", "50", "--out", tmp_path)
    assert res.exit_code == 0
    rho = json.loads((tmp_path / "sgd_compare.json").read_text())[
        "second_moment_spectral_radius"]
    assert radius_sentence(rho) in (tmp_path / "sgd_compare.md").read_text()


@pytest.mark.parametrize("args", [
    pytest.param(["reproduce", "fig5.1", "--alpha", "3"], id="reproduce-alpha"),
    pytest.param(["reproduce", "fig5.5", "--quick", "--N", "0"], id="reproduce-N"),
    pytest.param(["phase-diagram", "--quick", "--T-min", "100", "--T-max", "10"],
                 id="phase-T-range"),
    pytest.param(["sgd-compare", "--n", "4", "--batch-size", "5"], id="sgd-batch"),
])
def test_invalid_input_leaves_no_output_folder(tmp_path, args):
    out = tmp_path / "new" / "out"
    res = run(*args, "--out", out)
    assert res.exit_code == 2, res.output
    assert not (tmp_path / "new").exists()


def test_falsify_exit_status_and_undecided_counts(tmp_path):
    res = run("falsify", "5.2.2-mean", "--examples", "20", "--database", "", "--small",
              "--out", tmp_path)
    assert res.exit_code == 1 and "counterexample" in res.output
    res = run("falsify", "5.2.3", "--examples", "10", "--database", "", "--small", "--out",
              tmp_path)
    assert res.exit_code == 0
    md = (tmp_path / "falsify.md").read_text()
    row = json.loads((tmp_path / "falsify.json").read_text())[0]
    assert "| undecided |" in md and f"{row['undecided']} of {row['tried']}" in md
    assert row["holds"] + row["undecided"] + row["not_applicable"] == row["tried"]


def test_falsify_default_database_is_outside_the_working_tree(monkeypatch, tmp_path):
    from hyperribbon.experiments.falsify import default_database
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_database() == os.path.join(str(tmp_path), "hyperribbon", "falsify-db")


def test_phase_diagram_refuses_values_it_cannot_honour(tmp_path):
    res = run("phase-diagram", "--T", "10,50", "--c", "0.1,0.2", "--ratios", "1,2",
              "--heatmap-ratios", "3", "--out", tmp_path / "a", "--no-progress")
    assert res.exit_code == 2 and "'--heatmap-ratios'" in res.output and "3" in res.output
    res = run("phase-diagram", "--T", "10,50", "--T-max", "100", "--out", tmp_path / "b")
    assert res.exit_code == 2 and "'--T-max'" in res.output
    res = run("phase-diagram", "--T", "10,50", "--c", "0.1,0.2", "--ratios", "1,2", "--n", "12",
              "--thresholds", "3", "--draws", "1", "--out", tmp_path / "c", "--no-progress")
    assert res.exit_code == 0, res.output
    assert "not on the ratios grid" in res.output          # default heat-map ratios: stated
    meta = json.loads((tmp_path / "c" / "phase_summary.json").read_text())
    prm = meta["parameters"]
    assert prm["T"] == [10, 50] and prm["c"] == [0.1, 0.2]
    assert not {"T_min", "T_max", "T_num", "c_min", "c_max", "c_num"} & set(prm)
    assert prm["heatmap_ratios"] == [2.0, 1.0] and meta["notes"]
    assert math.isfinite(meta["stats"]["seconds"])
