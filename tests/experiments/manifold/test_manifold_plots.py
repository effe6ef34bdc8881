"""Figures of the manifold analyses: every plot function on small user arrays returns a figure
whose axes are labelled and whose colours are explained (legend or colour bar); figures are
written as PNG and PDF."""
import numpy as np
import pytest
from scipy.cluster.hierarchy import linkage

from hyperribbon.experiments.manifold import plots


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _labelled(fig):
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        assert ax.get_xlabel() and ax.get_ylabel(), "unlabelled axis"
    return True


def _explained(fig):
    return any(ax.get_legend() is not None for ax in fig.axes) or \
        any(ax.get_label() == "<colorbar>" for ax in fig.axes)


def test_embedding_3d_categorical_and_numeric(rng):
    X = rng.standard_normal((20, 4))
    fig = plots.plot_embedding_3d(X, np.repeat(["a", "b"], 10), colour_name="arch",
                                  signs=[1, -1, 1, 1], explained=0.5,
                                  marks={"$P_0$": X[0]}, curve=X[:5],
                                  curves={"a": X[5:9]}, extra={"test": X[10:12]})
    ax = fig.axes[0]
    assert ax.get_xlabel() == "InPCA 1 (space-like)" and ax.get_ylabel() == "InPCA 2 (time-like)"
    assert ax.get_zlabel() == "InPCA 3 (space-like)"
    assert "50.0%" in ax.get_title()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "arch = a" in texts and "arch = b" in texts and "mean: a" in texts
    fig = plots.plot_embedding_3d(X, rng.random(20), colour_name="loss")
    assert _explained(fig)
    fig = plots.plot_embedding_3d(X[:, :2], None)              # two coordinates: a 2-D plot
    assert _labelled(fig)


def test_pairs_and_curves(rng):
    X = rng.standard_normal((15, 3))
    fig = plots.plot_embedding_pairs(X, np.arange(15) % 3, colour_name="seed", signs=[1, 1, -1])
    assert len([a for a in fig.axes if a.get_label() != "<colorbar>"]) == 3
    assert _labelled(fig) and _explained(fig)
    fig = plots.plot_explained_stress({"train": (np.arange(1, 6), np.linspace(0.2, 1, 5))},
                                      reference={"thesis": ([3], [0.76])})
    assert _labelled(fig) and _explained(fig)
    fig = plots.plot_eigenvalues(np.array([3.0, -1.0, 0.5, 1e-17]), noise_floor=1e-14,
                                 explained=np.array([0.5, 0.8, 0.9, 1.0]))
    assert _labelled(fig) and _explained(fig)
    fig = plots.plot_curves(np.arange(4), {"x": np.arange(4.0), "y": (np.arange(3), np.ones(3))},
                            xlabel="s", ylabel="d", title="t", hline=1.0, hline_label="one")
    assert _labelled(fig) and _explained(fig)


def test_scatter_bars_and_trees(rng):
    s, e = rng.random(30), rng.random(30)
    fig = plots.plot_progress_vs_error(s, e, colour=np.repeat(["x", "y", "z"], 10),
                                       colour_name="arch", fit=(1.0, 0.0, 0.5))
    assert "R^2" in fig.axes[0].get_title() and _labelled(fig) and _explained(fig)
    fig = plots.plot_along_training(np.tile(np.arange(5), 4), rng.random(20),
                                    np.repeat(np.arange(4), 5), colour=np.repeat(["a", "b"], 10),
                                    colour_name="arch", hline=0.5, hline_label="thr")
    assert _labelled(fig) and _explained(fig)
    import pandas as pd
    t = pd.DataFrame({"sgd": [1, 2], "adam": [0, 3]}, index=["mlp", "cnn"])
    assert _labelled(plots.plot_counts(t, xlabel="arch")) and _explained(
        plots.plot_counts(t, xlabel="arch"))
    Z = linkage(rng.random((5, 2)))
    fig = plots.plot_dendrogram(Z, list("abcde"), label_colours={"a": "red"},
                                legend={"arch = x": "red"})
    assert _labelled(fig) and _explained(fig)
    fig = plots.plot_importance(["arch", "lr"], [0.5, 0.1], [0.01, 0.02], r2=0.9)
    assert _labelled(fig) and _explained(fig)
    W = rng.random((4, 6))
    W[0, 0] = np.nan
    fig = plots.plot_tube_widths(np.linspace(0, 1, 6), W)
    assert _labelled(fig) and _explained(fig)
    fig = plots.plot_bars(["AM", "HM"], [0.2, 0.1], ylabel="error", title="t", highlight="HM")
    assert _labelled(fig) and _explained(fig)


def test_categorical_rule():
    assert plots.categorical(["a", "b"]) and plots.categorical(np.arange(5))
    assert not plots.categorical(np.linspace(0, 1, 50))


def test_save_figure_writes_png_and_pdf(tmp_path, rng):
    fig = plots.plot_embedding_3d(rng.standard_normal((10, 3)))
    paths = plots.save_figure(fig, tmp_path, "emb")
    assert sorted(p.name for p in paths) == ["emb.pdf", "emb.png"]
    assert (tmp_path / "emb.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "emb.pdf").read_bytes()[:4] == b"%PDF"
