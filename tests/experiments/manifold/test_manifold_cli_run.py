"""The manifold CLI group: run a tiny TOML config, status, and usage errors naming the key."""
import click
import pytest
from click.testing import CliRunner

from hyperribbon.experiments.manifold.cli import register
from hyperribbon.experiments.manifold.store import open_sweep

TOML = """
name = "cli-tiny"
[data]
name = "digits"
classes = [0, 1]
[training]
epochs = 1
checkpoints = 3
batch_sizes = [32]
seeds = 2
[architectures]
fc = 8
[optimizers.sgd]
weight_decay = [0.0]
"""


def _group():
    g = click.Group()
    register(g)
    return g


def _run_tiny(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(TOML)
    out = tmp_path / "sw"
    res = CliRunner().invoke(_group(), ["manifold", "run", str(cfg), "--out", str(out),
                                        "--scheduler", "sync", "--no-progress"])
    assert res.exit_code == 0, res.output
    return out, res


def test_run_then_status(tmp_path):
    out, res = _run_tiny(tmp_path)
    sw = open_sweep(str(out))
    assert sw.is_complete and len(sw.runs) == 2
    assert "runs 2: 0 pending, 0 running, 2 done, 0 diverged" in res.output
    st = CliRunner().invoke(_group(), ["manifold", "status", str(out)])
    assert st.exit_code == 0 and "complete" in st.output and "fc" in st.output


@pytest.mark.parametrize("text, key", [
    (TOML.replace("epochs = 1", "epochs = -1"), "training.epochs"),
    (TOML.replace("[architectures]\nfc = 8", "[architectures]\nmlp = 8"), "architectures.mlp"),
    (TOML + "\n[execution]\nthreads = 3\n", "execution.threads"),
], ids=["epochs", "arch", "unknown-key"])
def test_invalid_config_is_a_usage_error_naming_the_key(tmp_path, text, key):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    res = CliRunner().invoke(_group(), ["manifold", "run", str(cfg), "--out",
                                        str(tmp_path / "o"), "--scheduler", "sync"])
    assert res.exit_code == 2 and key in res.output
    assert not (tmp_path / "o").exists()


def test_status_of_a_non_sweep_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(_group(), ["manifold", "status", str(tmp_path)])
    assert res.exit_code == 2 and "sweep" in res.output


def test_group_help_lists_the_commands():
    res = CliRunner().invoke(_group(), ["manifold"])
    assert res.exit_code == 0 and "run" in res.output and "status" in res.output


def test_analyze_a_sweep_with_a_stride_and_an_incomplete_sweep_says_so(tmp_path):
    out, _ = _run_tiny(tmp_path)
    a = CliRunner().invoke(_group(), ["manifold", "analyze", str(out), "--analyses", "1",
                                      "--checkpoint-stride", "2", "--no-figures",
                                      "--out", str(tmp_path / "a")])
    assert a.exit_code == 0, a.output
    assert "loaded 4 models" in a.output                # slots 0 and 2 (the last) of 2 runs
    report = (tmp_path / "a" / "report.md").read_text()
    assert "| checkpoint stride | 2 |" in report and "Incomplete sweep" not in report
    sw = open_sweep(str(out))
    sw.root["metrics/done"][1, 1] = False                  # as if killed before this slot
    b = CliRunner().invoke(_group(), ["manifold", "analyze", str(out), "--analyses", "1",
                                      "--no-figures", "--out", str(tmp_path / "b")])
    assert b.exit_code == 0, b.output
    assert "INCOMPLETE sweep" in b.output
    assert "**Incomplete sweep**" in (tmp_path / "b" / "report.md").read_text()
    bad = CliRunner().invoke(_group(), ["manifold", "analyze", str(out), "--checkpoint-stride",
                                        "0", "--out", str(tmp_path / "c")])
    assert bad.exit_code == 2 and "`--checkpoint-stride`" in bad.output
