"""`hyperribbon phase-diagram` / run_phase_diagram: files, numbers vs brute force, CLI = Python,
variants, resume."""
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from hyperribbon.experiments.linear_models import phase_diagram as pdm
from hyperribbon.experiments.linear_models.cli_figures import phase_diagram as pd_command
from hyperribbon.experiments.linear_models.phase_diagram import run_phase_diagram
from hyperribbon.numerics import brute_force_pca
from hyperribbon.numerics.linear_models.phase import AXES, phase_diagram
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem

FIGS = ("heatmaps", "boundaries_3d", "contours", "bound")


def dim_brute(M, f=0.95):
    ev = sorted(np.clip(np.linalg.eigvalsh(M), 0, None), reverse=True)
    total, acc = math.fsum(ev), 0.0
    for k, x in enumerate(ev, start=1):
        acc += x
        if acc >= f * total:
            return k, abs(acc / total - f)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pd")
    return run_phase_diagram(out, quick=True, progress=False)


def test_quick_run_writes_every_output(quick_run):
    out = quick_run.out
    for name in FIGS:
        for ext in ("png", "pdf"):
            assert (out / f"phase_{name}.{ext}").stat().st_size > 1000
    for name in ("phase_grid.npz", "phase_grid.csv", "phase_summary.json", "report.md"):
        assert (out / name).stat().st_size > 0
    report = (out / "report.md").read_text()
    for needle in ("## Parameters", "σ*/σw", "expectation", "Versions", "Lemma 5.2.3",
                   "mean over 2 target draws"):
        assert needle in report
    meta = json.loads((out / "phase_summary.json").read_text())
    assert meta["parameters"]["n"] == 30 and meta["stats"]["eigensolves"] > 0
    assert not any(p.name.startswith(".checkpoint") for p in out.iterdir())


def test_grid_files_hold_the_engine_numbers(quick_run):
    """NPZ = CSV = a direct engine call with the reported parameters."""
    out, prm = quick_run.out, quick_run.parameters
    data = np.load(out / "phase_grid.npz")
    direct = phase_diagram(prm["T"], prm["c"], prm["ratios"], alpha=prm["alpha"], n=prm["n"],
                           d=prm["d"], draws=prm["draws"], seed=prm["seed"])
    for q in ("P", "P1", "bound"):
        np.testing.assert_array_equal(data[f"mean_{q}"], direct.mean[q])
        np.testing.assert_array_equal(data[f"draws_{q}"], direct.per_draw[q])
    for a in AXES:
        np.testing.assert_array_equal(data[f"axis_{a}"], direct.axes[a])
    rows = np.genfromtxt(out / "phase_grid.csv", delimiter=",", names=True)
    assert rows.size == int(np.prod(direct.shape))
    np.testing.assert_allclose(rows["P"], direct.mean["P"].ravel(), rtol=1e-9)
    np.testing.assert_allclose(rows["P_sd"], direct.per_draw["P"].std(axis=-1).ravel(),
                               rtol=1e-9, atol=1e-12)


def test_grid_numbers_against_brute_force_sums(quick_run):
    """Sampled grid points of the written NPZ against sums over t (numerics.reference)."""
    out, prm = quick_run.out, quick_run.parameters
    data = np.load(out / "phase_grid.npz")
    T, c, r = data["axis_T"], data["axis_c"], data["axis_ratio"]
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(12):
        i_r, i_c, i_t = rng.integers(len(r)), rng.integers(len(c)), rng.integers(len(T))
        if T[i_t] > 400:
            continue
        for k in range(prm["draws"]):
            p = LinearGDProblem.sloppy(n=prm["n"], c=float(c[i_c]), alpha=prm["alpha"],
                                       T=int(T[i_t]), sigma_w2=1.0,
                                       sigma_star2=float(r[i_r]) ** 2, seed=prm["seed"] + k)
            ref = brute_force_pca(p)
            for q in ("P", "P1"):
                k_ref, margin = dim_brute(ref[q])
                got = data[f"draws_{q}"][0, 0, 0, 0, i_r, i_c, i_t, k]
                assert got == k_ref or (margin < 1e-9 and abs(got - k_ref) <= 1)
            checked += 1
    assert checked >= 6


def test_summary_phase_fractions_are_recomputable(quick_run):
    dg = quick_run.diagram
    for row in quick_run.summary["rows"]:
        P = dg.sel("P", ratio=row["ratio"])
        for k in quick_run.summary["thresholds"]:
            assert row[f"P_le_{k}"] == pytest.approx(np.mean(P <= k))


def test_cli_equals_python(tmp_path, quick_run):
    res = CliRunner().invoke(pd_command, ["--out", str(tmp_path), "--quick", "--no-progress",
                                          "--json"], catch_exceptions=False)
    assert res.exit_code == 0
    assert json.loads(res.output)["report"].endswith("report.md")
    a, b = np.load(tmp_path / "phase_grid.npz"), np.load(quick_run.out / "phase_grid.npz")
    for key in a.files:
        if key != "settings_json":
            np.testing.assert_array_equal(a[key], b[key])


def test_extra_axes_and_variants(tmp_path):
    run = run_phase_diagram(tmp_path, T=[1, 10, 100], c=[0.1, 0.3, 0.6], ratios=[1.0, 4.0],
                            heatmap_ratios=[4.0], alpha=0.9, n=12, batch=[8, math.inf],
                            thresholds=[3], draws=1, quick=True, progress=False)
    names = {p.name for p in tmp_path.iterdir()}
    for b in ("8", "inf"):
        for fig in FIGS:
            assert f"phase_{fig}_batch{b}.png" in names
    dg = run.diagram
    assert dg.shape == (1, 1, 1, 2, 2, 3, 3)
    assert np.all(np.isnan(dg.sel("bound", batch=8)))
    assert np.all(np.isfinite(dg.sel("P", batch=8)))
    assert np.isfinite(dg.sel("bound", batch=math.inf)).any()
    assert np.any(dg.sel("P", batch=8) != dg.sel("P", batch=math.inf))   # the noise matters


def test_user_spectrum_from_file(tmp_path):
    lam = 1.0 / (1.0 + np.arange(20)) ** 2
    np.save(tmp_path / "spec.npy", lam)
    res = CliRunner().invoke(pd_command, ["--out", str(tmp_path / "o"), "--quick", "--no-progress",
                                          "--spectrum", str(tmp_path / "spec.npy"), "--T",
                                          "1,10,100", "--ratios", "0.5,2,8", "--thresholds",
                                          "3,10"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    data = np.load(tmp_path / "o" / "phase_grid.npz")
    assert data["mean_P"].shape == (1, 1, 1, 1, 3, 1, 3) and np.isnan(data["axis_c"][0])
    assert (tmp_path / "o" / "phase_heatmaps.png").exists()
    direct = phase_diagram([1, 10, 100], None, [0.5, 2, 8], spectrum=lam, draws=2)
    np.testing.assert_array_equal(data["mean_P"], direct.mean["P"])


def test_resume_after_an_interrupted_run(tmp_path, monkeypatch):
    kw = dict(T=[1, 10, 100], c=[0.1, 0.5], ratios=[1.0, 3.0], n=10, draws=1, thresholds=[3],
              heatmap_ratios=[3.0], progress=False)

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(pdm, "draw_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_phase_diagram(tmp_path, **kw)
    ckpt = tmp_path / ".checkpoint_phase"
    assert len(list(ckpt.glob("block_*.npz"))) == 2
    monkeypatch.undo()
    run = run_phase_diagram(tmp_path, **kw)
    assert run.diagram.stats["blocks_from_checkpoint"] == 2 and not ckpt.exists()


@pytest.mark.parametrize("kw,argument", [
    pytest.param(dict(thresholds=[3, 40]), "thresholds", id="threshold-above-n"),
    pytest.param(dict(thresholds=[0]), "thresholds", id="threshold-zero"),
    pytest.param(dict(fraction=1.2), "fraction", id="fraction"),
    pytest.param(dict(T=[5, 2]), "T", id="T-order"),
    pytest.param(dict(c_num=0), "c_num", id="c-num"),
])
def test_invalid_arguments(tmp_path, kw, argument):
    with pytest.raises(InvalidArgument) as info:
        run_phase_diagram(tmp_path, quick=True, progress=False, **kw)
    assert info.value.argument == argument


def test_cli_bad_input_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(pd_command, ["--out", str(tmp_path), "--quick", "--ratios", "-1"])
    assert res.exit_code == 2 and "ratio" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(pd_command, ["--out", str(tmp_path), "--quick", "--T", "1,a"])
    assert res.exit_code == 2 and "not a number" in res.output
