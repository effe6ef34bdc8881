"""Networks, data, cache and spectrum summaries of the curvature experiments."""
import math

import numpy as np
import pytest
import torch

from hyperribbon.experiments.curvature import models
from hyperribbon.experiments.curvature._cache import cache_key, cache_load
from hyperribbon.experiments.curvature._runtime import torch_threads
from hyperribbon.experiments.curvature.spectra import quantity_spectra, summarise
from hyperribbon.experiments.curvature.spectrum_report import loose_epsilon
from hyperribbon.theory import InvalidArgument
from hyperribbon.theory.networks import pac_bayes as pb


def test_training_is_cached_and_deterministic(tmp_path):
    a = models.trained_network("mlp1", 5, "digits-binary", 1, 3, cache=tmp_path)
    b = models.trained_network("mlp1", 5, "digits-binary", 1, 3, cache=tmp_path)
    c = models.trained_network("mlp1", 5, "digits-binary", 1, 3, cache=False)
    assert not a.from_cache and b.from_cache and not c.from_cache
    for sa, sb, sc in zip(a.model.state_dict().values(), b.model.state_dict().values(),
                          c.model.state_dict().values()):
        assert torch.equal(sa, sb) and torch.equal(sa, sc)
    assert b.metrics == a.metrics
    assert len(list(tmp_path.glob("*.pt"))) == 1 and not list(tmp_path.glob("*.tmp"))
    # the initial weights are those of a fresh build with the same seed
    fresh = models.build_network("mlp1", (1, 8, 8), 2, 5, seed=3)
    for k, v in fresh.state_dict().items():
        assert torch.equal(b.init_state[k], v)


def test_cache_key_depends_on_every_parameter():
    base = dict(arch="mlp1", width=5, epochs=1.0, seed=0)
    keys = {cache_key(base)} | {cache_key({**base, k: v}) for k, v in
                                (("width", 6), ("epochs", 2.0), ("seed", 1), ("arch", "mlp2"))}
    assert len(keys) == 5
    assert cache_load("/nonexistent-folder", "abc") is None


def test_snapshot_is_the_state_at_its_step(tmp_path):
    net = models.trained_network("mlp1", 4, "digits-binary", 2, 0, cache=tmp_path,
                                 snapshot_fractions=(0.5,))
    (step,) = net.snapshots
    assert 0 < step < net.metrics["steps"]
    again = models.trained_network("mlp1", 4, "digits-binary", 2, 0, cache=tmp_path,
                                   snapshot_fractions=(0.5,))
    assert again.from_cache and list(again.snapshots) == [step]
    for k, v in net.snapshots[step].items():
        assert torch.equal(again.snapshots[step][k], v)


def test_digits_binary_and_random_label_fraction():
    d = models.load_data("digits")
    b = models.load_data("digits-binary")
    assert np.array_equal(b.y_train, (d.y_train >= 5).astype(np.int64))
    assert np.array_equal(b.x_train, d.x_train)
    r = models.with_random_labels(d, 0.3, seed=2)
    changed_at_most = int(round(0.3 * d.n_train))
    assert (r.y_train != d.y_train).sum() <= changed_at_most
    assert np.array_equal(r.y_test, d.y_test)
    assert np.array_equal(models.with_random_labels(d, 0.0).y_train, d.y_train)


def test_plain_networks_have_no_batch_norm_and_optional_bias():
    m = models.build_network("mlp", (64,), 10, 32, seed=0, bias=False)
    kinds = [type(x).__name__ for x in m]
    assert "BatchNorm1d" not in kinds and kinds.count("Linear") == 5
    assert all(x.bias is None for x in m if isinstance(x, torch.nn.Linear))
    assert [x.out_features for x in m if isinstance(x, torch.nn.Linear)] == [32, 16, 8, 4, 10]


def test_load_state_dict_file_round_trip(tmp_path):
    m = models.build_network("mlp1", (1, 8, 8), 2, 3, seed=1)
    torch.save(m.state_dict(), tmp_path / "w.pt")
    other = models.load_state_dict_file(models.build_network("mlp1", (1, 8, 8), 2, 3, seed=9),
                                        tmp_path / "w.pt")
    for a, b in zip(m.parameters(), other.parameters()):
        assert torch.equal(a, b)
    assert not other.training


def test_summary_measures_equal_the_theory_formulas():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    X = torch.randn(40, 6)
    y = torch.randint(0, 3, (40,))
    with torch_threads(1):
        spec = quantity_spectra("ggn", net.eval(), X, y)["ggn"]
    eps = 0.7
    sm = summarise(spec, 40, eps)
    lam = np.clip(spec.values, 0, None)
    assert sm["p"]["lower"] <= pb.effective_dimension(lam, 40, eps) <= sm["p"]["upper"]
    assert sm["s"]["lower"] - 1e-9 <= pb.strength(lam, 40, eps) <= sm["s"]["upper"] + 1e-9
    assert sm["top"][0]["value"] == pytest.approx(spec.values[0])
    e = loose_epsilon(spec.values[spec.resolved], 40, 0.5)
    grid = np.exp(np.arange(1, 2001) / 100) / 0.1
    vals = [pb.loose_optimum(np.clip(spec.values[spec.resolved], 0, None), 40, g, 0.5)
            for g in grid[::25]]
    assert pb.loose_optimum(np.clip(spec.values[spec.resolved], 0, None), 40, e, 0.5) \
        <= min(vals) + 1e-12


def test_torch_threads_restores_the_setting():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


INVALID = [
    pytest.param(lambda: models.build_network("resnet", (64,), 2), "arch", id="arch"),
    pytest.param(lambda: models.load_data("mnist"), "data", id="data"),
    pytest.param(lambda: models.with_random_labels(models.load_data(), 1.5), "fraction",
                 id="fraction"),
    pytest.param(lambda: models.trained_network("mlp1", 0, "digits", 1), "width", id="width"),
    pytest.param(lambda: models.trained_network("mlp1", 4, "digits", math.inf), "epochs",
                 id="epochs"),
    pytest.param(lambda: models.trained_network("mlp1", 4, "digits", 1, -1), "seed", id="seed"),
    pytest.param(lambda: models.trained_network("mlp1", 10**9, "digits", 1), "width",
                 id="width-above-limit"),
    pytest.param(lambda: models.trained_network("mlp1", 4, "digits", 1e12), "epochs",
                 id="epochs-above-limit"),
    pytest.param(lambda: models.trained_network("mlp1", 4, "digits", -0.5), "epochs",
                 id="negative-epochs"),
    pytest.param(lambda: models.trained_network("mlp1", 4, "digits", 1, momentum=0.9),
                 "momentum", id="train-option"),
    pytest.param(lambda: models.trained_network("mlp1", 4, "digits", 1,
                                                snapshot_fractions=(1.5,)),
                 "snapshot_fractions", id="snapshot"),
    pytest.param(lambda: models.load_state_dict_file(
        models.build_network("mlp1", (1, 8, 8), 2, 3), "/no/such/file.pt"), "--state-dict",
        id="missing-file"),
    pytest.param(lambda: quantity_spectra("curvature", None, None, None), "quantity",
                 id="quantity"),
]


@pytest.mark.parametrize("call, argument", INVALID)
def test_invalid_arguments(call, argument):
    with pytest.raises(InvalidArgument) as err:
        call()
    assert err.value.argument == argument
