"""Analyses 12 and 13, which train their own networks, at a tiny size: the reported explained
stress equals an InPCA of the very stacks that were trained (eigvalsh of the hand-centred
distances), the corner split is as requested, imprinting maps every model to all 10 digits, and
the final progress equals the probability-domain progress of the last checkpoints."""
import numpy as np
import pytest
import scipy.special

from hyperribbon.experiments.manifold.analyses import synthetic_manifolds, task_manifold
from hyperribbon.numerics import progress, truth
from hyperribbon.theory import InvalidArgument

TINY_SYNTHETIC = dict(n_train=60, n_test=30, d=8, classes=3, slopes=(0.5, 0.001),
                      archs=("fc1",), width=8, optimizers=("sgd",), seeds=1, epochs=1.0,
                      batch_size=30, lr=0.05, checkpoints=3, corners=(1, 2), corner_pool=2)
TINY_TASKS = dict(tasks={"0,1": (0, 1), "all": tuple(range(10))}, arch="fc2", width=8,
                  optimizer="sgd", batch_size=256, lr=0.05, epochs=1.0, seeds=1, checkpoints=3)


def _stress(D, d):
    m = len(D)
    L = np.eye(m) - np.ones((m, m)) / m
    lam = np.linalg.eigvalsh(-L @ D @ L / 2)
    lam = lam[np.argsort(-np.abs(lam))]
    return 1 - np.sqrt(np.sum(lam[d:] ** 2) / np.sum(lam ** 2))


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_manifolds(show_progress=False, **TINY_SYNTHETIC)


def test_synthetic_explained_stress_of_the_trained_stacks(synthetic):
    r = synthetic
    for name in ("sloppy", "non-sloppy"):
        for split in ("train", "test"):
            pr = r.data["predictions"][(name, split)]
            st = r.numbers["explained_stress"][name][split]
            assert st[3] == pytest.approx(_stress(pr.distances(), 3), abs=1e-10)
            vals = [v for v in st.values() if v is not None]
            assert all(0 <= a <= b + 1e-15 <= 1 + 1e-15 for a, b in zip(vals, vals[1:]))
        corners = r.numbers["corners"][name]
        assert corners[1]["trajectories_per_corner"] == 2
        assert corners[2]["trajectories_per_corner"] == 1
        pr2 = r.data["predictions"][(name, "corners2")]
        assert sorted(pr2.meta["corner"].unique()) == [0, 1]
        assert pr2.meta["run"].nunique() == 2
    assert "sloppy" in r.markdown and "%" in r.markdown


def test_task_manifold_maps_everything_to_all_digits():
    r = task_manifold(show_progress=False, **TINY_TASKS)
    pr = r.data["predictions"]
    assert pr.n_classes == 10
    np.testing.assert_allclose(scipy.special.logsumexp(pr.logp, axis=-1), 0, atol=1e-12)
    assert r.numbers["explained_stress"][3] == pytest.approx(_stress(pr.distances(), 3),
                                                            abs=1e-10)
    meta = pr.meta
    last = meta.groupby("run")["checkpoint"].idxmax()
    P = np.exp(pr.logp[last.to_numpy()])
    s = progress(P, truth(pr.labels, 10))
    tasks = meta.loc[last.to_numpy(), "task"].to_numpy()
    for t in ("0,1", "all"):
        assert r.numbers["final_progress"][t] == pytest.approx(float(np.mean(s[tasks == t])),
                                                               abs=1e-9)
    assert r.numbers["final_progress_relative_to_full"]["all"] == pytest.approx(1.0)
    unseen = r.numbers["per_class_progress_unseen"]
    assert {k for k, v in unseen.items() if v is not None} == {"0,1"}     # 'all' sees every class


@pytest.mark.parametrize("call", [
    pytest.param(lambda: synthetic_manifolds(width_=3), id="synthetic-unknown-setting"),
    pytest.param(lambda: task_manifold(taskz={}), id="tasks-unknown-setting"),
])
def test_invalid_settings(call):
    with pytest.raises(InvalidArgument) as e:
        call()
    assert e.value.argument == "settings"


def test_width_pair_trained_here():
    from hyperribbon.experiments.manifold.analyses.widths import width_comparison
    r = width_comparison(show_progress=False, widths=(4, 16), optimizers=("sgd",), seeds=1,
                         epochs=0.5, batch_size=256, checkpoints=3)
    pr = r.data["predictions"]
    assert sorted(pr.meta["width"].unique()) == [4, 16]
    steps = sorted(set(pr.meta["step"]) - {0})
    assert r.numbers["n_comparisons"] == len(steps)
    s = pr.progress
    big = [s[(pr.meta["width"] == 16) & (pr.meta["step"] == st)].mean() for st in steps]
    small = [s[(pr.meta["width"] == 4) & (pr.meta["step"] == st)].mean() for st in steps]
    assert r.numbers["mean_difference"] == pytest.approx(np.mean(np.subtract(big, small)))
