"""Hierarchical clustering of trajectory distances and random-forest factor importance."""
import numpy as np
import pytest
import scipy.cluster.hierarchy as sch
from scipy.spatial.distance import squareform

from hyperribbon.numerics.prediction_space.configuration import (cluster_trajectories,
                                                                 factor_importance, pair_features)


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


def test_rounding_level_negative_distances_reach_scipy_clamped(check_invalid):
    """Issue 8 D3: [[0, −2e−17, 1], …] reached scipy's linkage and raised its raw ValueError."""
    D = np.array([[0, -2e-17, 1], [-2e-17, 0, 1], [1, 1, 0]])
    res = cluster_trajectories(D, n_clusters=2)
    ref = sch.linkage(squareform(np.maximum(D, 0)), method="average")
    np.testing.assert_array_equal(res.linkage, ref)
    np.testing.assert_array_equal(res.labels, [1, 1, 2])
    err = check_invalid(lambda: cluster_trajectories(-D), "D", "(3, 3)")
    assert "non-negative" in err.rule
    check_invalid(lambda: factor_importance(-_planted()[0], _planted()[1]), "D", "(24, 24)")


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: cluster_trajectories(np.ones((3, 3))), "D", "(3, 3)", id="diagonal"),
    pytest.param(lambda: cluster_trajectories(np.zeros((1, 1))), "D", "(1, 1)", id="one"),
    pytest.param(lambda: cluster_trajectories(_planted()[0], method="ward2"), "method",
                 "'ward2'", id="method"),
    pytest.param(lambda: cluster_trajectories(_planted()[0], n_clusters=0), "n_clusters", "0",
                 id="n-clusters"),
    pytest.param(lambda: cluster_trajectories(_planted()[0], n_clusters=2, threshold=1),
                 "threshold", "1", id="both"),
    pytest.param(lambda: cluster_trajectories(_planted()[0], threshold=-1.0), "threshold",
                 "-1.0", id="negative-threshold"),
    pytest.param(lambda: factor_importance(_planted()[0], ["a"] * 3), "factors",
                 "['a', 'a', 'a']", id="rows"),
    pytest.param(lambda: factor_importance(_planted()[0], _planted()[1], factor_names=["a", "b"]),
                 "factor_names", "'a', 'b'", id="names"),
    pytest.param(lambda: pair_features(["a", "b"], covariates=[1.0, np.nan]), "covariates",
                 "(2, 1)", id="nan-covariate"),
    pytest.param(lambda: pair_features(["a"]), "factors", "(1, 1)", id="one-factor-row"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)


def test_r2_of_constant_held_out_distances_is_nan_with_a_named_warning():
    """Issue 8 D7: R² divides by the variance of the held-out distances."""
    from hyperribbon.numerics.prediction_space.distances import UndefinedRatioWarning
    D = np.ones((8, 8)) - np.eye(8)
    with pytest.warns(UndefinedRatioWarning, match="R²"):
        out = factor_importance(D, np.arange(8) % 2, n_estimators=5, n_repeats=2)
    assert np.isnan(out["r2"]) and all(np.isnan(v[0]) for v in out["importance"].values())
