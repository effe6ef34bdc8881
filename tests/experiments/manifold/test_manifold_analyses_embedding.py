"""Analyses 1, 2, 3, 11 (InPCA of the train/test manifolds, joint embedding, sample subsets,
other distances) on a tiny synthetic sweep, against independent computations: the explained
stress from a hand-built centred matrix and numpy's eigvalsh, eq. (2.4.2) by hand, the geodesic's
end points, and the probability-domain distances."""
import numpy as np
import pandas as pd
import pytest

from hyperribbon.experiments.manifold.analyses import (Predictions, inpca_manifold,
                                                       joint_embedding, other_distances,
                                                       subset_embeddings, toy_sweep)
from hyperribbon.numerics import pairwise_distances
from hyperribbon.theory import InvalidArgument

EPS = np.finfo(float).eps


@pytest.fixture(scope="module")
def sweep():
    return toy_sweep(n_seeds=2, n_checkpoints=5, n_train=40, n_test=24, widths=(8,),
                     optimizers=("sgd",), seed=1)


@pytest.fixture(scope="module")
def preds(sweep):
    return (Predictions(sweep["train"], sweep["meta"], sweep["labels_train"]),
            Predictions(sweep["test"], sweep["meta"], sweep["labels_test"], split="test"))


def _independent_D(logp, labels, C):
    """Bhattacharyya matrix of the models with P0 and P* from the probability-domain numerics
    (no model has an exact zero here)."""
    P = np.exp(logp)
    P0 = np.full(P.shape[1:], 1.0 / C)
    Ps = np.eye(C)[labels]
    X = np.concatenate([P, P0[None], Ps[None]])
    return pairwise_distances(X)


def test_explained_stress_from_first_principles(sweep, preds):
    tr, _ = preds
    r = inpca_manifold(tr, geodesic_points=0)
    D = _independent_D(sweep["train"], sweep["labels_train"], 4)
    np.testing.assert_allclose(tr.distances(), D, rtol=0, atol=1e-13)
    m = len(D)
    L = np.eye(m) - np.ones((m, m)) / m
    lam = np.linalg.eigvalsh(-L @ D @ L / 2)
    lam = lam[np.argsort(-np.abs(lam))]
    total = np.sum(lam ** 2)
    ex = r.numbers["explained_stress"]
    for d, v in ex.items():
        if d > m:
            assert v is None
            continue
        expected = 1 - np.sqrt(max(0.0, np.sum(lam[d:] ** 2) / total))
        assert v == pytest.approx(expected, abs=1e-10)
    vals = [v for v in ex.values() if v is not None]
    assert all(0.0 <= v <= 1.0 for v in vals)
    assert all(a <= b + 1e-15 for a, b in zip(vals, vals[1:]))
    p, q = r.numbers["signature_top3"]
    assert (p, q) == (int(np.sum(lam[:3] > 0)), int(np.sum(lam[:3] < 0)))
    assert r.numbers["d_ignorance_truth"] == pytest.approx(0.5 * np.log(4), rel=1e-14)
    assert r.numbers["m_models"] == tr.m and r.numbers["points_embedded"] == tr.m + 2


def test_geodesic_curve_ends_at_the_embedded_ignorance_and_truth(preds):
    tr, _ = preds
    r = inpca_manifold(tr, geodesic_points=5)
    curve, ends = r.data["geodesic"], r.data["ends"]
    scale = np.max(np.abs(r.data["inpca"].embedding_))
    np.testing.assert_allclose(curve[0], ends["$P_0$"], atol=1e-9 * scale)
    np.testing.assert_allclose(curve[-1], ends["$P_*$"], atol=1e-9 * scale)


def test_tables_and_files(tmp_path, preds):
    tr, _ = preds
    r = inpca_manifold(tr, geodesic_points=3)
    files = r.write(tmp_path, figures=False)
    names = {f.name for f in files}
    assert {"a01_inpca_train.json", "a01_inpca_train_explained.csv",
            "a01_inpca_train_eigenvalues.csv", "a01_inpca_train_embedding.csv"} <= names
    emb = pd.read_csv(tmp_path / "a01_inpca_train_embedding.csv")
    assert len(emb) == tr.m and "arch" in emb.columns
    np.testing.assert_allclose(emb["x1"], r.data["X"][:, 0], rtol=1e-15)
    assert "explained stress" in r.markdown.lower() or "Explained stress" in r.markdown


def _epd(D, X, signs):
    """Eq. (2.4.2) written out."""
    M = np.array([[np.sum(signs * (X[i] - X[j]) ** 2) for j in range(len(X))]
                  for i in range(len(X))])
    return 1 - np.sum(np.abs(D - M)) / np.sum(D)


def test_joint_embedding_against_a_hand_written_eq_2_3_1(preds):
    tr, te = preds
    r = joint_embedding(tr, te, dims=(3,))
    Dtr, Dte = tr.distances(), te.distances()
    m = len(Dtr)
    L = np.eye(m) - np.ones((m, m)) / m
    lam, U = np.linalg.eigh(-L @ Dtr @ L / 2)
    order = np.argsort(-np.abs(lam))[:3]
    lam, U = lam[order], U[:, order]
    row = Dtr.mean(axis=1)
    W = -0.5 * (Dte - row[None, :] - row[:, None] + Dtr.mean())       # eq. (2.3.1)
    X = W @ U * (np.sign(lam) / np.sqrt(np.abs(lam)))                   # corrected eq. (2.2.9)
    expected = _epd(Dte, X, np.sign(lam))
    assert r.numbers["explained_pairwise"][3]["joint"] == pytest.approx(expected, abs=1e-10)


def test_subset_rows_include_the_full_embedding(preds):
    tr, _ = preds
    r = subset_embeddings(tr, sizes=[10], dims=(2, 3))
    t = r.tables["explained_pairwise"]
    assert set(t["n_samples"]) == {tr.n_samples, 10}
    full = inpca_manifold(tr, geodesic_points=0).data["inpca"]
    D = tr.distances()
    for d in (2, 3):
        got = float(t[(t.n_samples == tr.n_samples) & (t.dims == d)]["explained_pairwise"].iloc[0])
        assert got == pytest.approx(_epd(D, full.embedding_[:, :d], full.signs_[:d]), abs=1e-10)
    assert r.numbers["sizes"] == [10]


def test_other_distances_equal_single_metric_runs(preds):
    tr, _ = preds
    r = other_distances(tr, dims=(1, 3))
    for metric in ("geodesic", "symmetric_kl"):
        single = inpca_manifold(tr, metric=metric, dims=(1, 3), geodesic_points=0)
        assert r.numbers["explained_stress"][metric] == single.numbers["explained_stress"]
    # IsKL leaves P* out: it is infinitely far
    assert tr.distances("symmetric_kl").shape[0] == tr.m + 1
    assert inpca_manifold(tr, metric="symmetric_kl", geodesic_points=0).numbers[
        "d_ignorance_truth"] is None


def test_works_without_metadata(sweep):
    r = inpca_manifold(sweep["train"][:12], labels=sweep["labels_train"], geodesic_points=0)
    assert r.numbers["m_models"] == 12


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda s: inpca_manifold(s["train"], s["meta"], s["labels_train"],
                                          metric="hellinger"), "metric", id="unknown-metric"),
    pytest.param(lambda s: inpca_manifold(s["train"], s["meta"], s["labels_train"],
                                          dims=[0, 3]), "dims", id="zero-dims"),
    pytest.param(lambda s: inpca_manifold(s["train"], s["meta"].iloc[:-1], s["labels_train"]),
                 "meta", id="meta-rows-mismatch"),
    pytest.param(lambda s: inpca_manifold(s["train"], s["meta"], s["labels_train"][:-1]),
                 "labels", id="labels-mismatch"),
    pytest.param(lambda s: inpca_manifold(s["train"], s["meta"], None), "labels",
                 id="labels-missing"),
    pytest.param(lambda s: inpca_manifold(s["train"], s["meta"], s["labels_train"],
                                          colour_by="colour"), "colour", id="unknown-column"),
    pytest.param(lambda s: inpca_manifold(np.exp(s["train"]) * 1.2, s["meta"],
                                          s["labels_train"]), "logp", id="not-normalised"),
    pytest.param(lambda s: joint_embedding(s["train"], s["test"][:-1], meta=s["meta"],
                                           labels_train=s["labels_train"],
                                           labels_test=s["labels_test"]), "meta",
                 id="joint-mismatched-models"),
])
def test_invalid_arguments(sweep, call, argument):
    with pytest.raises(InvalidArgument) as e:
        call(sweep)
    assert e.value.argument == argument
