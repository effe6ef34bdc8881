"""Analyses 5 and 8 (trajectory dendrogram, factor importance, tubes, distance to the geodesic)
and the progress of the special points, against independent computations: the slow
trajectory-distance reference on the re-indexed runs, numpy means of the members, and the
geodesic's own parametrisation."""
import numpy as np
import pytest
import scipy.special

from hyperribbon.experiments.manifold.analyses import (Predictions, reindex_runs,
                                                       toy_sweep, trajectory_dendrogram,
                                                       tube_analysis)
from hyperribbon.numerics import geodesic, trajectory_distance_reference
from hyperribbon.theory import InvalidArgument


@pytest.fixture(scope="module")
def pr():
    s = toy_sweep(n_seeds=2, n_checkpoints=6, n_train=30, n_test=12, seed=2)
    return Predictions(s["train"], s["meta"], s["labels_train"])


def test_progress_of_truth_is_one_and_of_ignorance_zero():
    rng = np.random.default_rng(0)
    N, C = 20, 3
    y = rng.integers(0, C, N)
    inner = np.log(rng.dirichlet(np.ones(C), size=(2, N)))
    with np.errstate(divide="ignore"):
        stack = np.concatenate([np.log(np.eye(C)[y])[None], np.full((1, N, C), -np.log(C)),
                                inner])
    p = Predictions(stack, None, y).progress
    eps = np.finfo(float).eps
    assert p[0] == pytest.approx(1.0, abs=64 * eps) and p[1] == pytest.approx(0.0, abs=64 * eps)
    assert np.all((p[2:] >= 0) & (p[2:] <= 1))
    # a point on the geodesic P0 -> P* at alpha has progress alpha (eq. 2.2.4)
    with np.errstate(divide="ignore"):
        g = geodesic(np.full((N, C), 1 / C), np.eye(C)[y], [0.3, 0.8])
        pg = Predictions(np.log(g), None, y).progress
    np.testing.assert_allclose(pg, [0.3, 0.8], atol=1e-9)


def test_reindexed_grid_is_common_and_valid(pr):
    R = reindex_runs(pr, n_grid=9, coverage=1.0)
    assert R["valid"].all() and not R["excluded"]
    starts = [pr.progress[idx].min() for idx in pr.runs.values()]
    ends = [pr.progress[idx].max() for idx in pr.runs.values()]
    assert R["grid"][0] == pytest.approx(max(starts)) and R["grid"][-1] == pytest.approx(min(ends))
    assert np.allclose(scipy.special.logsumexp(R["trajectories"], axis=-1), 0, atol=1e-12)
    R = reindex_runs(pr, n_grid=9, coverage=0.5)              # half the runs may stop short
    kept = [pr.progress[pr.runs[r]].max() for r in R["runs"]]
    assert R["valid"].all() and min(kept) == pytest.approx(R["grid"][-1])
    assert len(kept) >= 0.5 * len(pr.runs)
    assert all(v.startswith("reaches") for v in R["excluded"].values())


def test_dendrogram_leaves_cover_every_configuration_and_average_over_seeds(pr):
    r = trajectory_dendrogram(pr, n_grid=9, n_estimators=20, n_repeats=2, coverage=1.0)
    R = r.data["reindexed"]
    configs = set(pr.configuration())
    assert len(R["runs"]) == len(pr.runs)
    assert sorted(r.numbers["leaves"]) == sorted(configs)
    assert sorted(r.numbers["dendrogram_order"]) == sorted(configs)
    # run matrix against the slow reference on the re-indexed (probability) trajectories
    T = np.exp(R["trajectories"])
    D = r.data["D_runs"]
    for i, j in [(0, 1), (0, 5), (3, 7)]:
        ref = trajectory_distance_reference(T[i], T[j], R["grid"])
        assert D[i, j] == pytest.approx(ref, rel=1e-9, abs=1e-14)
    # configuration matrix: mean of the run pairs
    M, leaves, conf = r.data["D_configurations"], r.numbers["leaves"], R["config"]
    a, b = leaves[0], leaves[1]
    ia, ib = np.flatnonzero(conf == a), np.flatnonzero(conf == b)
    assert M[0, 1] == pytest.approx(np.mean(D[np.ix_(ia, ib)]), rel=1e-14)
    assert np.all(np.diag(M) == 0)
    assert set(r.numbers["importance"]) == set(pr.varying_factors) | {"distance to geodesic"}
    # with runs left out, the leaves are exactly the configurations of the runs kept
    r2 = trajectory_dendrogram(pr, n_grid=9, n_estimators=10, n_repeats=1, coverage=0.5)
    kept = set(r2.data["reindexed"]["config"])
    assert sorted(r2.numbers["leaves"]) == sorted(kept)


def test_tube_widths_against_numpy_means(pr):
    r = tube_analysis(pr, n_grid=7)
    R = reindex_runs(pr, n_grid=7)
    T = np.exp(R["trajectories"])
    conf = R["config"]
    c0 = conf[0]
    sel = np.flatnonzero(conf == c0)
    mean = T[sel].mean(axis=0)
    i = sel[0]
    expected = -np.mean(np.log(np.sum(np.sqrt(T[i] * mean), axis=-1)), axis=-1)
    np.testing.assert_allclose(r.data["widths"][i], expected, rtol=1e-9, atol=1e-15)
    assert r.data["distance_to_geodesic"].shape == (len(R["runs"]), 7)
    assert np.all(r.data["distance_to_geodesic"] >= 0)
    # normalised distances between architectures' means are finite and positive
    for v in r.numbers["normalised_mean_distance"].values():
        assert np.all(np.asarray(v) >= 0)


def test_no_runs_is_a_skip_not_an_error():
    s = toy_sweep(n_seeds=1, n_checkpoints=3, n_train=10, n_test=5)
    p = Predictions(s["train"], None, s["labels_train"])
    assert trajectory_dendrogram(p).skipped
    assert tube_analysis(p).skipped


def test_untrained_runs_are_excluded(pr):
    R = reindex_runs(pr, n_grid=5, max_final_error=0.0)
    finals = {run: pr.meta.loc[idx[-1], "train_error"] for run, idx in pr.runs.items()}
    untrained = {r for r, v in R["excluded"].items() if v.startswith("final")}
    assert untrained == {run for run, e in finals.items() if e > 0.0}


@pytest.mark.parametrize("meta_fn,kwargs,argument", [
    pytest.param(lambda m: m.drop(columns=["run"]), {}, "meta", id="no-run-column"),
    pytest.param(lambda m: m.assign(run=0), {}, "meta", id="one-run-only"),
    pytest.param(lambda m: m, {"coverage": 0.0}, "coverage", id="zero-coverage"),
    pytest.param(lambda m: m, {"coverage": 1.5}, "coverage", id="coverage-above-one"),
])
def test_invalid_metadata(pr, meta_fn, kwargs, argument):
    p = Predictions(pr.logp, meta_fn(pr.meta), pr.labels)
    with pytest.raises(InvalidArgument) as e:
        reindex_runs(p, **kwargs)
    assert e.value.argument == argument
