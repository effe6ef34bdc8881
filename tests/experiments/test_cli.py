import json

import pytest
from click.testing import CliRunner

from hyperribbon.experiments.cli import main
from hyperribbon.experiments.verify import verify


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_lemmas_lists_every_registered_lemma():
    from hyperribbon.theory import registry
    res = run("lemmas", "--json")
    rows = json.loads(res.output)
    assert {r["id"] for r in rows} == {lem.id for lem in registry.all_lemmas()}
    assert "5.2.3" in run("lemmas").output


@pytest.mark.parametrize("key", ["5.2.1", "5.2.2", "5.2.3", "5.2.10", "(5.2.5)", "5.2.7",
                                 "5.2.8", "5.2.4", "5.2.11", "(5.2.2)", "(5.2.3)",
                                 "5.2.3-large-t", "5.2.1-exact-zolotarev"])
def test_verify_every_lemma_by_number(key):
    res = run("verify", key, "--json", "--n", "20", "--T", "30")
    out = json.loads(res.output)
    assert len(out) == 1 and out[0]["status"] in ("holds", "not_applicable")
    assert out[0]["problem"]["n"] == 20


def test_verify_table_and_failing_variant_exit_code():
    res = run("verify", "5.2.2-mean")
    assert res.exit_code == 1 and "FAILS" in res.output and "λ1^y ≥ ‖y‖²" in res.output
    res = run("verify", "5.2.3", "--c", "0.3", "--seed", "4")
    assert res.exit_code == 0 and "HOLDS" in res.output


@pytest.mark.parametrize("args,needle", [
    pytest.param(["verify", "5.2.3", "--alpha", "3"], "--alpha", id="alpha"),
    pytest.param(["verify", "5.2.3", "--sigma-w2", "-1"], "--sigma-w2", id="variance"),
    pytest.param(["verify", "7.7.7"], "key", id="unknown-lemma"),
])
def test_verify_bad_input_is_a_named_usage_error(args, needle):
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and needle in res.output and "Traceback" not in res.output


def test_errata_command():
    res = run("errata", "--json")
    rows = json.loads(res.output)
    assert [r["id"] for r in rows] == [f"E{k}" for k in range(1, 11)]
    assert all((r["as_written"], r["corrected"]) == ("fails", "holds") for r in rows)


def test_python_api_equals_cli():
    v = verify("5.2.1", n=20, T=30)[0]
    res = json.loads(run("verify", "5.2.1", "--json", "--n", "20", "--T", "30").output)[0]
    assert res["status"] == v.status.value and abs(res["margin"] - v.margin) < 1e-12


def test_demo_quick_writes_report_and_figures(tmp_path):
    res = run("demo", "--out", str(tmp_path), "--quick")
    assert res.exit_code == 0
    for name in ("report.md", "fig5_2.png", "fig5_2.pdf", "spectra.csv", "verdicts.json"):
        assert (tmp_path / name).stat().st_size > 0
    report = (tmp_path / "report.md").read_text()
    assert "thesis-lemma-5.2.3" in report and "Monte-Carlo" in report
    rows = (tmp_path / "spectra.csv").read_text().splitlines()
    assert len(rows) == 51
