"""run_quick end to end: a tiny sweep configuration (fast) and the real quick run (slow). The
report's sentences and its comparison table carry the numbers the analyses wrote."""
import json

import numpy as np
import pytest

from hyperribbon.experiments.manifold.quick import run_quick
from hyperribbon.theory import InvalidArgument

TINY = {"name": "tiny", "data": {"name": "digits", "seed": 0},
        "training": {"epochs": 1.0, "checkpoints": 4, "batch_sizes": [128], "seeds": 2},
        "architectures": {"fc": 8}, "optimizers": {"sgd": {"lr_per_batch": 2e-3}},
        "execution": {"batched": False}}


def _check_report(out, results):
    report = (out / "report.md").read_text()
    by_key = {r.key: r for r in results}
    for key, split in (("a01_inpca_train", "train"), ("a02_inpca_test", "test")):
        got = json.loads((out / f"{key}.json").read_text())
        v = got["explained_stress"]["3"]
        assert 0 <= v <= 1
        assert f"{split} {100 * v:.1f}%" in report              # the preamble's sentence
        assert f"| explained stress, {split}, 3 dims | " in report
        assert by_key[key].numbers["explained_stress"][3] == pytest.approx(v)
    assert "76.0%" in report and "63.0%" in report               # the thesis's numbers
    return report


def test_run_quick_with_a_tiny_sweep(tmp_path):
    out = tmp_path / "quick"
    results, report = run_quick(out, config=TINY, scheduler="sync", analyses="1,2,6",
                                figures=False, log=lambda *_: None)
    assert report == out / "report.md"
    text = _check_report(out, results)
    assert "The quick sweep has 2 runs" in text
    fits = json.loads((out / "a06_progress_error.json").read_text())["fits"]
    assert np.isfinite(fits["train"]["r2"])
    # a second call reuses the finished sweep store instead of training again
    results2, _ = run_quick(out, sweep=out / "sweep", analyses="1", figures=False,
                            log=lambda *_: None)
    assert results2[0].numbers["explained_stress"] == results[0].numbers["explained_stress"]
    from hyperribbon.experiments.manifold.analyses import load_predictions
    with pytest.raises(InvalidArgument) as e:                 # a sweep carries its own labels
        load_predictions(out / "sweep", labels=out / "y.npy")
    assert e.value.argument == "--labels"


def test_run_quick_rejects_bad_analyses(tmp_path):
    with pytest.raises(InvalidArgument) as e:
        run_quick(tmp_path, analyses="0", log=lambda *_: None)
    assert e.value.argument == "analyses"


@pytest.mark.slow
def test_the_quick_run(tmp_path):
    out = tmp_path / "quick"
    results, report = run_quick(out, log=lambda *_: None)
    _check_report(out, results)
    assert {r.number for r in results} == set(range(1, 14))
    assert not [r.key for r in results if r.skipped and r.number in (1, 2, 4, 5, 6, 8, 9, 10,
                                                                     11, 12, 13)]
    assert len(list(out.glob("*.png"))) >= 30
