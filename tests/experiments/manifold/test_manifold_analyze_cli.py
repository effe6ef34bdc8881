"""``manifold analyze`` on a user's own .npy stack + metadata CSV + labels (and the run/report
machinery behind it): the numbers it writes equal a direct call of the analysis, the report's
comparison table reads them, and bad input (analyses, metadata rows, non-normalised stacks,
labels) is refused with a message naming the flag."""
import json

import click
import numpy as np
import pytest
from click.testing import CliRunner

from hyperribbon.experiments.manifold.analyses import (Predictions, inpca_manifold,
                                                       parse_analyses, run_analyses, toy_sweep)
from hyperribbon.experiments.manifold.analysis_cli import register_analysis
from hyperribbon.experiments.manifold.report import comparison_rows, render_report
from hyperribbon.theory import InvalidArgument


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("user")
    s = toy_sweep(n_seeds=2, n_checkpoints=4, n_train=24, n_test=12, widths=(8,), seed=4)
    np.save(d / "logp.npy", s["train"].astype(np.float32))
    np.save(d / "logp_test.npy", np.exp(s["test"]))                 # probabilities also work
    s["meta"].drop(columns=["train_error", "test_error"]).to_csv(d / "meta.csv", index=False)
    np.save(d / "y.npy", s["labels_train"])
    (d / "y_test.txt").write_text("\n".join(map(str, s["labels_test"])))
    return d, s


def _group():
    g = click.Group("manifold")
    register_analysis(g)
    return g


def test_analyze_user_stack(files, tmp_path):
    d, s = files
    out = tmp_path / "out"
    res = CliRunner().invoke(_group(), [
        "analyze", str(d / "logp.npy"), "--meta", str(d / "meta.csv"), "--labels",
        str(d / "y.npy"), "--test", str(d / "logp_test.npy"), "--labels-test",
        str(d / "y_test.txt"), "--analyses", "1,6", "--out", str(out), "--no-figures"])
    assert res.exit_code == 0, res.output
    got = json.loads((out / "a01_inpca_train.json").read_text())
    direct = inpca_manifold(s["train"].astype(np.float32), s["meta"], s["labels_train"],
                            geodesic_points=0)
    for dim, v in direct.numbers["explained_stress"].items():
        if v is None:                                  # more dimensions than points
            assert got["explained_stress"][str(dim)] is None
        else:
            assert got["explained_stress"][str(dim)] == pytest.approx(v, rel=1e-12)
    report = (out / "report.md").read_text()
    assert "## Measured next to the thesis" in report
    assert f"{100 * direct.numbers['explained_stress'][3]:.1f}%" in report
    fits = json.loads((out / "a06_progress_error.json").read_text())["fits"]
    assert 0 <= fits["train"]["r2"] <= 1 and 0 <= fits["test"]["r2"] <= 1
    assert "report:" in res.output


def test_run_analyses_writes_files_and_skips_what_needs_test(files, tmp_path):
    d, s = files
    tr = Predictions(s["train"], s["meta"], s["labels_train"])
    results = run_analyses(tr, None, analyses="2,10", out=tmp_path, figures=False,
                           log=lambda *_: None)
    assert [r.skipped is not None for r in results] == [True, True]
    text = render_report(results)
    assert "Not applicable" in text and "not run" in text


def test_comparison_rows_read_the_numbers(files):
    d, s = files
    tr = Predictions(s["train"], s["meta"], s["labels_train"])
    r = inpca_manifold(tr, geodesic_points=0)
    rows = {x["quantity"]: x for x in comparison_rows([r])}
    row = rows["explained stress, train, 3 dims"]
    assert row["thesis"] == "76.0%"
    assert row["measured"] == f"{100 * r.numbers['explained_stress'][3]:.1f}%"


@pytest.mark.parametrize("spec,expected", [
    pytest.param("1,3,5-7", (1, 3, 5, 6, 7), id="list-and-range"),
    pytest.param("all", tuple(range(1, 12)), id="all"),
    pytest.param([13, 12], (12, 13), id="sequence"),
])
def test_parse_analyses(spec, expected):
    assert parse_analyses(spec) == expected


@pytest.mark.parametrize("spec", [
    pytest.param("0", id="zero"), pytest.param("14", id="too-large"),
    pytest.param("1,x", id="not-a-number"), pytest.param("3-", id="open-range"),
])
def test_parse_analyses_invalid(spec):
    with pytest.raises(InvalidArgument) as e:
        parse_analyses(spec)
    assert e.value.argument == "analyses"


def _bad_meta(d, s, tmp):
    s["meta"].iloc[:-2].to_csv(tmp / "short.csv", index=False)
    return ["--meta", str(tmp / "short.csv")], "--meta"


def _bad_stack(d, s, tmp):
    np.save(tmp / "bad.npy", np.exp(s["train"]) * 1.5)
    return ["--stack", str(tmp / "bad.npy")], "SOURCE"


def _bad_labels(d, s, tmp):
    np.save(tmp / "y_short.npy", s["labels_train"][:-1])
    return ["--labels", str(tmp / "y_short.npy")], "--labels"


def _no_labels(d, s, tmp):
    return ["--labels", None], "--labels"


def _bad_analyses(d, s, tmp):
    return ["--analyses", "1,99"], "analyses"


def _test_without_labels(d, s, tmp):
    return ["--test", str(d / "logp_test.npy")], "--labels-test"


def _colour_by_unknown(d, s, tmp):
    return ["--colour-by", "nonexistent"], "--colour-by"


def _stride_on_stack(d, s, tmp):
    return ["--checkpoint-stride", "3"], "--checkpoint-stride"


@pytest.mark.parametrize("case", [
    pytest.param(_bad_analyses, id="bad-analyses"),
    pytest.param(_stride_on_stack, id="stride-on-a-stack"),
    pytest.param(_colour_by_unknown, id="colour-by-unknown-column"),
    pytest.param(_bad_meta, id="meta-rows-mismatch"),
    pytest.param(_bad_stack, id="non-normalised-stack"),
    pytest.param(_bad_labels, id="labels-mismatch"),
    pytest.param(_no_labels, id="labels-missing"),
    pytest.param(_test_without_labels, id="test-without-labels"),
])
def test_invalid_cli_arguments(files, tmp_path, case):
    d, s = files
    change, flag = case(d, s, tmp_path)
    args = {"--meta": str(d / "meta.csv"), "--labels": str(d / "y.npy"),
            "--analyses": "1", "--out": str(tmp_path / "o")}
    stack = str(d / "logp.npy")
    extra = []
    for k, v in zip(change[::2], change[1::2]):
        if k == "--stack":
            stack = v
        elif k in args:
            args[k] = v
        else:
            extra += [k, v]
    argv = ["analyze", stack, "--no-figures"] + extra
    for k, v in args.items():
        if v is not None:
            argv += [k, v]
    res = CliRunner().invoke(_group(), argv)
    assert res.exit_code == 2, res.output
    assert f"`{flag}`" in res.output


def test_zarr_stack_and_text_labels(files, tmp_path):
    import zarr

    from hyperribbon.experiments.manifold.analyses import load_predictions
    d, s = files
    z = zarr.open_array(str(tmp_path / "stack.zarr"), mode="w", shape=s["train"].shape,
                        dtype="float64")
    z[:] = s["train"]
    (tmp_path / "y.txt").write_text(",".join(map(str, s["labels_train"])))
    tr, te, info = load_predictions(tmp_path / "stack.zarr", labels=tmp_path / "y.txt")
    assert te is None and info["kind"] == "stack"
    np.testing.assert_allclose(tr.logp, s["train"], atol=1e-12)
    np.testing.assert_array_equal(tr.labels, s["labels_train"])
    assert list(tr.meta.columns) == ["model"]                 # no metadata: one model per row
