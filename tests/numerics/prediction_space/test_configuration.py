"""Hierarchical clustering of trajectory distances and random-forest factor importance."""
import numpy as np
import pytest
import scipy.cluster.hierarchy as sch
from scipy.spatial.distance import squareform

from hyperribbon.numerics.prediction_space.configuration import (cluster_trajectories,
                                                                 factor_importance, pair_features)
from hyperribbon.theory.errors import InvalidArgument


def _planted(seed=0, noise=0.05):
    rng = np.random.default_rng(seed)
    arch = np.repeat(["fc", "cnn", "vit"], 8)
    opt = np.tile(["sgd", "adam"], 12)
    pos = {"fc": 0.0, "cnn": 1.0, "vit": 2.5}
    x = np.array([pos[a] for a in arch]) + noise * rng.standard_normal(24)
    D = np.abs(x[:, None] - x[None, :])
    return D, arch, opt, x


def test_planted_clusters_are_recovered_and_match_scipy():
    D, arch, _, _ = _planted()
    res = cluster_trajectories(D, n_clusters=3)
    for a in np.unique(arch):
        assert len(set(res.labels[arch == a])) == 1
    assert len(set(res.labels)) == 3
    Z = sch.linkage(squareform(D, checks=False), method="average")
    np.testing.assert_allclose(res.linkage, Z)
    assert sorted(res.order) == list(range(24))
    assert res.cophenetic_correlation > 0.9
    th = cluster_trajectories(D, threshold=0.5, method="complete")
    assert len(set(th.labels)) == 3


def test_factor_importance_finds_the_factor_that_matters():
    D, arch, opt, x = _planted(noise=0.02)
    out = factor_importance(D, np.stack([arch, opt], axis=1), factor_names=["arch", "opt"],
                            covariates=np.random.default_rng(1).random(24),
                            covariate_names=["noise"], n_estimators=60, n_repeats=5)
    imp = out["importance"]
    assert out["r2"] > 0.8
    assert imp["arch"][0] > 0.3
    assert imp["arch"][0] > 5 * max(imp["opt"][0], imp["noise"][0], 0.01)


def test_pair_features_encoding():
    X, groups, pairs = pair_features(["a", "b", "a"], covariates=[1.0, 2.0, 4.0])
    assert pairs.tolist() == [[0, 1], [0, 2], [1, 2]]
    assert groups == [[0], [1, 2]]
    assert X[0, 0] == X[2, 0] != X[1, 0]                      # {a,b} == {b,a} != {a,a}
    np.testing.assert_allclose(X[:, 1], [3, 5, 6])
    np.testing.assert_allclose(X[:, 2], [1, 3, 2])


@pytest.mark.parametrize("call,argument", [
    pytest.param(lambda: cluster_trajectories(np.ones((3, 3))), "D", id="diagonal"),
    pytest.param(lambda: cluster_trajectories(_planted()[0], method="ward2"), "method",
                 id="method"),
    pytest.param(lambda: cluster_trajectories(_planted()[0], n_clusters=0), "n_clusters",
                 id="n-clusters"),
    pytest.param(lambda: cluster_trajectories(_planted()[0], n_clusters=2, threshold=1),
                 "threshold", id="both"),
    pytest.param(lambda: factor_importance(_planted()[0], ["a"] * 3), "factors", id="rows"),
    pytest.param(lambda: factor_importance(_planted()[0], _planted()[1], factor_names=["a", "b"]),
                 "factor_names", id="names"),
    pytest.param(lambda: pair_features(["a", "b"], covariates=[1.0, np.nan]), "covariates",
                 id="nan-covariate"),
])
def test_invalid_arguments(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument
