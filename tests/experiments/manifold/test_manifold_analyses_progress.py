"""Analyses 4, 6, 7, 9, 10 on a tiny synthetic sweep: R² equals scipy.stats.linregress's, the
larger-vs-smaller comparison equals a direct pandas computation, the away-from-manifold counts
equal a count of half the cross-entropy, the four-point basis' explained pairwise distances
equal eq. (2.4.2) written out, and ensemble errors equal a numpy arithmetic mean."""
import numpy as np
import pytest
import scipy.stats

from hyperribbon.experiments.manifold.analyses import (Predictions, away_from_manifold,
                                                       ensemble_centroids, fit_line,
                                                       four_point_interpretation,
                                                       larger_vs_smaller, progress_vs_error,
                                                       toy_sweep)
from hyperribbon.theory import InvalidArgument


@pytest.fixture(scope="module")
def sweep():
    return toy_sweep(n_seeds=2, n_checkpoints=5, n_train=30, n_test=16, seed=3)


@pytest.fixture(scope="module")
def preds(sweep):
    return (Predictions(sweep["train"], sweep["meta"], sweep["labels_train"]),
            Predictions(sweep["test"], sweep["meta"], sweep["labels_test"], split="test"))


def test_r2_equals_linregress(preds, sweep):
    tr, te = preds
    r = progress_vs_error(tr, te)
    for pr, name in ((tr, "train"), (te, "test")):
        err = np.mean(sweep[name].argmax(-1) != sweep[f"labels_{name}"][None], axis=1)
        np.testing.assert_array_equal(pr.errors, err)
        lr = scipy.stats.linregress(pr.progress, err)
        f = r.numbers["fits"][name]
        assert f["r2"] == pytest.approx(lr.rvalue ** 2, rel=1e-13)
        assert f["slope"] == pytest.approx(lr.slope, rel=1e-13)
    lr = scipy.stats.linregress(tr.progress, te.progress)
    assert r.numbers["fits"]["train_vs_test_progress"]["r2"] == pytest.approx(lr.rvalue ** 2)
    assert fit_line([1, 1, 1], [0, 1, 2]) is None


def test_larger_vs_smaller_matches_a_direct_computation(preds):
    tr, _ = preds
    r = larger_vs_smaller(tr)
    meta = tr.meta.assign(progress=tr.progress)
    mean = meta.groupby(["arch", "optimizer", "lr", "width", "step"])["progress"].mean()
    diffs = []
    for (arch, opt, lr), _ in meta.groupby(["arch", "optimizer", "lr"]):
        big = mean.loc[(arch, opt, lr, 32)]
        small = mean.loc[(arch, opt, lr, 8)]
        for st in big.index:
            if st != 0:
                diffs.append(big[st] - small[st])
    assert r.numbers["n_comparisons"] == len(diffs)
    assert r.numbers["fraction_larger_ahead"] == pytest.approx(np.mean(np.array(diffs) > 0))
    assert r.numbers["mean_difference"] == pytest.approx(np.mean(diffs), rel=1e-12)
    no_width = Predictions(tr.logp, tr.meta.drop(columns=["width"]), tr.labels)
    assert larger_vs_smaller(no_width).skipped


def test_away_counts_equal_half_cross_entropy(preds, sweep):
    tr, te = preds
    r = away_from_manifold(tr, te, threshold=0.4)
    y = sweep["labels_train"]
    half_ce = -0.5 * np.mean(sweep["train"][:, np.arange(y.size), y], axis=1)
    np.testing.assert_allclose(tr.d_truth, half_ce, rtol=1e-12)
    assert r.numbers["train"]["n_away"] == int(np.sum(half_ce > 0.4))
    by = r.numbers["train"].get("away_by_optimizer", {})
    assert sum(by.values()) == r.numbers["train"]["n_away"]
    starts = [tr.d_ignorance[idx[0]] for idx in tr.runs.values()]
    assert r.numbers["train"]["start_d_ignorance_max"] == pytest.approx(max(starts))


def _epd(D, X, signs):
    M = ((X[:, None, :] - X[None, :, :]) ** 2 * signs).sum(-1)
    return 1 - np.abs(D - M).sum() / D.sum()


def test_four_point_basis_explained_pairwise_distances(preds):
    tr, _ = preds
    r = four_point_interpretation(tr, max_d_truth=None)
    X4 = r.data["X_four_point"]
    D = tr.distances(ends=False)
    signs = np.asarray(r.numbers["signs_four_point"])
    assert X4.shape == (tr.m, 3)
    assert r.numbers["explained_pairwise_four_point"] == pytest.approx(_epd(D, X4, signs),
                                                                      abs=1e-10)
    ep = list(r.numbers["explained_pairwise_original"].values())
    assert ep[-1] >= ep[0] - 1e-12
    assert r.numbers["rmsd_after_alignment"] >= 0
    # the 4 basis points are rank-3: their 4th eigenvalue vanishes
    assert len(r.numbers["basis_eigenvalues"]) == 3


def test_ensemble_arithmetic_mean_error_by_hand(preds, sweep):
    tr, te = preds
    r = ensemble_centroids(tr, te, kinds=("arithmetic", "harmonic"))
    meta = sweep["meta"]
    conf = meta["arch"] + "/" + meta["width"].astype(str) + "/" + meta["optimizer"] \
        + "/" + meta["lr"].astype(str)
    last = meta["checkpoint"] == meta["checkpoint"].max()
    errs, herrs = [], []
    y = sweep["labels_test"]
    for c in conf.unique():
        idx = np.flatnonzero((conf == c) & last)
        P = np.exp(sweep["test"][idx])
        errs.append(np.mean(P.mean(0).argmax(-1) != y))
        h = 1 / np.mean(1 / P, axis=0)
        herrs.append(np.mean(h.argmax(-1) != y))
    assert r.numbers["final_test_error"]["arithmetic"] == pytest.approx(np.mean(errs))
    assert r.numbers["final_test_error"]["harmonic"] == pytest.approx(np.mean(herrs))
    assert r.numbers["n_configurations"] == conf.nunique()


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda tr, te: ensemble_centroids(tr, te, kinds=("median",)), "kinds",
                 id="unknown-centroid"),
    pytest.param(lambda tr, te: four_point_interpretation(tr, s1=1.5), "s1", id="s1-outside"),
    pytest.param(lambda tr, te: progress_vs_error(tr, Predictions(te.logp[:-1], None,
                                                                   te.labels)), "test",
                 id="test-with-other-models"),
])
def test_invalid_arguments(preds, call, argument):
    with pytest.raises(InvalidArgument) as e:
        call(*preds)
    assert e.value.argument == argument


def test_small_and_large_architecture_names_are_two_sizes(preds):
    tr, _ = preds
    meta = tr.meta.copy()
    meta["arch"] = np.where(meta["width"] == 32, meta["arch"] + "-large", meta["arch"] + "-small")
    meta = meta.drop(columns=["width"])
    r = larger_vs_smaller(Predictions(tr.logp, meta, tr.labels))
    direct = larger_vs_smaller(tr)
    assert r.numbers["size_column"] == "size_rank"
    assert r.numbers["n_comparisons"] == direct.numbers["n_comparisons"]
    assert r.numbers["mean_difference"] == pytest.approx(direct.numbers["mean_difference"])


def test_spearman_of_a_monotone_curve_is_one():
    x = np.linspace(0, 1, 20)
    f = fit_line(x, np.exp(-5 * x))
    assert f["spearman"] == pytest.approx(-1.0) and f["r2"] < 1
    assert f["r2"] == pytest.approx(scipy.stats.linregress(x, np.exp(-5 * x)).rvalue ** 2)
