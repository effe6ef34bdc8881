"""Quick reproductions of Figs 4.1, 4.2, 4.3, 4.11: the numbers they write are checked against
independent dense computations (torch.func references of hyperribbon.numerics.curvature,
numpy eigvalsh) of the same cached networks."""
import csv
import math

import numpy as np
import pytest
import torch

from hyperribbon.experiments.curvature.models import load_data, trained_network
from hyperribbon.experiments.curvature.reproduce import FIGURES, figure_parameters, reproduce
from hyperribbon.numerics.curvature import dense_curvature
from hyperribbon.theory import InvalidArgument

EPS = np.finfo(np.float64).eps


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def _rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def _net(fig, cache, **extra):
    v = {k: p["value"] for k, p in figure_parameters(fig, quick=True).items()}
    return v, trained_network("mlp2", int(v["width"]), v["data"], float(v["epochs"]),
                              int(v["seed"]), cache=cache, **extra)


def _files_ok(rep, stem):
    for ext in ("png", "pdf"):
        assert (rep.out / f"{stem}.{ext}").stat().st_size > 1000
    text = rep.report.read_text()
    assert "## Parameters" in text and ("| caption" in text or "| choice" in text)
    assert "Versions:" in text and "## What was measured" in text


def test_fig4_11_empirical_fim_equals_dense_reference(tmp_path, cache):
    rep = reproduce("fig4.11", tmp_path, quick=True, progress=False, cache=cache)
    _files_ok(rep, "fig4_11")
    rows = _rows(tmp_path / "fig4_11.csv")
    v = {k: p["value"] for k, p in figure_parameters("fig4.11", quick=True).items()}
    for a in v["fractions"]:
        _, net = _net("fig4.11", cache, label_noise=float(a))
        assert net.from_cache
        X = torch.from_numpy(net.data.x_train[:v["samples"]]).double()
        y = torch.from_numpy(net.data.y_train[:v["samples"]])
        E = dense_curvature(net.model.double().eval(), "cross_entropy", X, y,
                            kind="empirical_fisher", normalisation="mean")
        ref = np.sort(np.linalg.eigvalsh(E))[::-1]
        got = np.array([float(r["value"]) for r in rows if float(r["fraction"]) == a])
        tol = 50 * ref.size * EPS * ref[0]
        assert np.allclose(got, ref[:got.size], rtol=0, atol=tol)
        assert rep.numbers[str(a)]["lambda1"] == pytest.approx(ref[0], abs=tol)
    assert set(np.unique([float(r["fraction"]) for r in rows])) == set(v["fractions"])


def test_fig4_3_eigenvalues_and_overlaps(tmp_path, cache):
    rep = reproduce("fig4.3", tmp_path, quick=True, progress=False, cache=cache)
    _files_ok(rep, "fig4_3")
    v, net = _net("fig4.3", cache)
    X = torch.from_numpy(net.data.x_train[:v["samples"]]).double()
    y = torch.from_numpy(net.data.y_train[:v["samples"]])
    m = net.model.double().eval()
    rows = _rows(tmp_path / "fig4_3_eigenvalues.csv")
    for col, kind in (("fim", "fisher"), ("hessian", "hessian")):
        M = dense_curvature(m, "cross_entropy", X, y, kind=kind, normalisation="mean")
        ref = np.linalg.eigvalsh(M)
        ref = ref[np.argsort(-np.abs(ref), kind="stable")]
        got = np.array([float(r[col]) for r in rows])
        tol = 100 * ref.size * EPS * np.max(np.abs(ref))
        big = np.abs(ref) > 1e3 * tol                 # order of near-zero ones is arbitrary
        assert np.allclose(got[big], ref[big], rtol=0, atol=tol)
    # overlaps are |cosines| of unit vectors, and the random baseline is √(2/(πp))
    ov = np.array([float(r["fim_hessian"]) for r in _rows(tmp_path / "fig4_3_overlaps.csv")])
    assert np.all((ov >= 0) & (ov <= 1 + 1e-12))
    p = rep.numbers["p"]
    assert rep.numbers["random_overlap"] == pytest.approx(math.sqrt(2 / (math.pi * p)))
    k = rep.numbers["k"]
    assert rep.numbers["subspace_FH"] == pytest.approx(np.sum(ov ** 2) / k, rel=1e-12)


def test_fig4_2_p_eff_equals_count_over_dense_kfac(tmp_path, cache):
    rep = reproduce("fig4.2", tmp_path, quick=True, progress=False, cache=cache)
    _files_ok(rep, "fig4_2")
    v, net = _net("fig4.2", cache)
    X = torch.from_numpy(net.data.x_train).double()
    y = torch.from_numpy(net.data.y_train)
    K = dense_curvature(net.model.double().eval(), "cross_entropy", X, y, kind="kfac",
                        normalisation="thesis")
    lam = np.linalg.eigvalsh(K)
    n = X.shape[0]
    thr = rep.numbers["eps"] / (2 * (n - 1))
    assert rep.numbers["threshold"] == pytest.approx(thr)
    assert rep.numbers["p_kfac"] == int(np.sum(lam >= thr))
    rows = _rows(tmp_path / "fig4_2.csv")
    got = np.array([float(r["kfac"]) for r in rows])
    tol = 100 * lam.size * EPS * np.max(np.abs(lam))
    assert np.allclose(got, np.sort(lam)[::-1], rtol=0, atol=tol)


def test_fig4_1_inputs_and_fim_equal_independent_computations(tmp_path, cache):
    rep = reproduce("fig4.1", tmp_path, quick=True, progress=False, cache=cache)
    _files_ok(rep, "fig4_1")
    v = {k: p["value"] for k, p in figure_parameters("fig4.1", quick=True).items()}
    rows = _rows(tmp_path / "fig4_1_spectra.csv")

    def col(panel, q):
        return np.array([float(r["value"]) for r in rows
                         if r["panel"] == panel and r["quantity"] == q])
    ds = load_data("digits")
    Xn = ds.x_train.reshape(ds.n_train, -1).astype(np.float64)
    ref = np.sort(np.linalg.eigvalsh(Xn.T @ Xn / ds.n_train))[::-1]
    got = col("fully connected", "inputs")
    assert np.allclose(got[:10], ref[:10], rtol=1e-10)
    net = trained_network("fc", int(v["fc_width"]), "digits", float(v["epochs"]),
                          int(v["seed"]), cache=cache, snapshot_fractions=(0.5,))
    assert net.from_cache
    X = torch.from_numpy(ds.x_train[:v["top_samples"]]).double()
    y = torch.from_numpy(ds.y_train[:v["top_samples"]])
    F = dense_curvature(net.model.double().eval(), "cross_entropy", X, y, kind="fisher",
                        normalisation="thesis")
    refF = np.sort(np.linalg.eigvalsh(F))[::-1]
    gotF = col("fully connected", "FIM (end)")
    tol = 100 * refF.size * EPS * refF[0]
    assert np.allclose(gotF, refF[:gotF.size], rtol=0, atol=tol)
    # the student table has one row per (c, pair)
    students = _rows(tmp_path / "fig4_1_students.csv")
    assert len(students) == len(v["c_grid"]) * len(v["pairs"])


INVALID = [
    pytest.param(("fig9.9",), {}, "figure", id="unknown-figure"),
    pytest.param(("fig4.2",), {"depth": 3}, "depth", id="unknown-parameter"),
    pytest.param(("all",), {"width": 3}, "overrides", id="overrides-with-all"),
]


@pytest.mark.parametrize("args, kwargs, argument", INVALID)
def test_invalid_arguments(args, kwargs, argument, tmp_path):
    with pytest.raises(InvalidArgument) as err:
        reproduce(*args, out=tmp_path, quick=True, progress=False, cache=False, **kwargs)
    assert err.value.argument == argument


def test_every_figure_declares_caption_and_choice_sources():
    for fig, spec in FIGURES.items():
        sources = {p["source"] for p in spec["params"].values()}
        assert sources <= {"caption", "choice"}
        assert set(spec["quick"]) <= set(spec["params"]), fig
