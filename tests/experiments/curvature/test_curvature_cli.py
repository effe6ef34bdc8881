"""``hyperribbon spectrum`` and ``hyperribbon pac-bayes`` through click's CliRunner on a local
group; numbers checked against independent dense computations (torch.func)."""
import csv
import json
import math

import click
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from hyperribbon.experiments.curvature.cli import register
from hyperribbon.experiments.curvature.models import build_network, load_data

EPS = np.finfo(np.float64).eps


@pytest.fixture(scope="module")
def group():
    g = click.Group()
    register(g)
    return g


def _run(group, args):
    return CliRunner().invoke(group, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def tiny_state(tmp_path_factory):
    """A user's state dict of mlp1 width 3 on digits-binary (random weights, seed 5)."""
    d = tmp_path_factory.mktemp("user")
    ds = load_data("digits-binary")
    model = build_network("mlp1", ds.in_shape, ds.classes, 3, seed=5)
    path = d / "weights.pt"
    torch.save(model.state_dict(), path)
    init = build_network("mlp1", ds.in_shape, ds.classes, 3, seed=6)
    ipath = d / "init.pt"
    torch.save(init.state_dict(), ipath)
    return path, ipath, model


def _dense_hessian_bits(model, X, y):
    """Hessian of ĕ = −(1/(n ln 2)) Σ log p(y|x) by torch.func.hessian (float64)."""
    m = model.double().eval()
    names = [k for k, _ in m.named_parameters()]
    shapes = [p.shape for p in m.parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in m.parameters()]).double()

    def loss(th):
        parts, i = {}, 0
        for nm, sh in zip(names, shapes):
            k = int(np.prod(sh))
            parts[nm] = th[i:i + k].reshape(sh)
            i += k
        z = torch.func.functional_call(m, parts, (X.double(),))
        return torch.nn.functional.cross_entropy(z, y) / math.log(2)

    return torch.func.hessian(loss)(theta).detach().numpy()


def test_spectrum_top_eigenvalue_equals_dense_torch_func_hessian(group, tiny_state, tmp_path):
    path, ipath, model = tiny_state
    res = _run(group, ["spectrum", "hessian", "--arch", "mlp1", "--width", "3", "--data",
                       "digits-binary", "--state-dict", str(path), "--init-state-dict",
                       str(ipath), "--samples", "40", "--json", "--show", "5",
                       "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    body = json.loads(res.output[:res.output.rindex("}") + 1])
    sm = body["summaries"]["hessian"]
    ds = load_data("digits-binary")
    X = torch.from_numpy(ds.x_train[:40])
    y = torch.from_numpy(ds.y_train[:40])
    H = _dense_hessian_bits(build_network("mlp1", ds.in_shape, 2, 3, seed=5), X, y)
    ref = np.linalg.eigvalsh(H)
    ref = ref[np.argsort(-ref)]
    tol = 100 * H.shape[0] * EPS * np.max(np.abs(ref))
    top = [r["value"] for r in sm["top"]]
    assert np.allclose(top, ref[:len(top)], rtol=0, atol=tol)
    assert sm["dimension"] == H.shape[0] == body["network"]["p"]
    # the CSV written by --out holds the same values
    with open(tmp_path / "o" / "spectrum_hessian.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert np.allclose([float(r["value"]) for r in rows[:len(top)]], top, rtol=0, atol=tol)
    for f in ("spectrum.png", "spectrum.pdf", "spectrum.json", "report.md"):
        assert (tmp_path / "o" / f).is_file()


def test_spectrum_text_lists_resolved_flags_and_measures(group, tiny_state):
    path, ipath, _ = tiny_state
    res = _run(group, ["spectrum", "ggn", "inputs", "--arch", "mlp1", "--width", "3", "--data",
                       "digits-binary", "--state-dict", str(path), "--init-state-dict",
                       str(ipath), "--samples", "30", "--show", "3"])
    assert res.exit_code == 0, res.output
    assert "resolved" in res.output and "decay rate c =" in res.output
    assert "p(n,ε) =" in res.output                       # ggn: ε from the §4.3.3 objective
    assert "not computed (give --epsilon)" in res.output  # inputs: no default ε
    # the input eigenvalues printed equal eigvalsh of XᵀX/n
    ds = load_data("digits-binary")
    X = ds.x_train[:30].reshape(30, -1).astype(np.float64)
    ref = np.sort(np.linalg.eigvalsh(X.T @ X / 30))[::-1]
    block = res.output.split("inputs:")[1]
    first = float(block.splitlines()[2].split()[1])
    assert first == pytest.approx(ref[0], rel=1e-5)


def test_spectrum_epsilon_gives_p_from_definition(group, tiny_state):
    path, _, _ = tiny_state
    res = _run(group, ["spectrum", "ggn", "--arch", "mlp1", "--width", "3", "--data",
                       "digits-binary", "--state-dict", str(path), "--samples", "30",
                       "--epsilon", "0.5", "--json"])
    sm = json.loads(res.output)["summaries"]["ggn"]
    # p(n,ε) = #{λ ≥ ε/(2(n−1))} with the dense GGN of the same data
    from hyperribbon.numerics.curvature import dense_curvature
    ds = load_data("digits-binary")
    m = build_network("mlp1", ds.in_shape, 2, 3, seed=5).double().eval()
    G = dense_curvature(m, "cross_entropy", torch.from_numpy(ds.x_train[:30]).double(),
                        torch.from_numpy(ds.y_train[:30]), kind="ggn", normalisation="thesis")
    lam = np.linalg.eigvalsh(G)
    thr = 0.5 / (2 * 29)
    assert sm["p"]["lower"] <= np.sum(lam >= thr) <= sm["p"]["upper"]
    assert sm["eps"] == 0.5


def test_pac_bayes_cli_quick(group, tmp_path):
    res = _run(group, ["pac-bayes", "--quick", "--no-optimise", "--cache", str(tmp_path / "c"),
                       "--json", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    body = json.loads(res.output[:res.output.rindex("}") + 1])
    a = body["analytic"]
    assert a["bound"] >= a["train_error_mc"]
    assert 0 <= body["test_error"] <= 1
    for f in ("pac_bayes.json", "eigenvalues.csv", "pac_bayes.png", "pac_bayes.pdf",
              "report.md"):
        assert (tmp_path / "o" / f).is_file()


@pytest.fixture(scope="module")
def wrong_shape(tmp_path_factory):
    d = tmp_path_factory.mktemp("wrong")
    ds = load_data("digits-binary")
    path = d / "w5.pt"
    torch.save(build_network("mlp1", ds.in_shape, 2, 5, seed=0).state_dict(), path)
    junk = d / "junk.pt"
    junk.write_bytes(b"not a torch file")
    notdict = d / "list.pt"
    torch.save([torch.zeros(2)], notdict)
    return path, junk, notdict


def _invalid_cases():
    return [
        pytest.param(["spectrum", "hessian", "--arch", "resnet-9000"], "--arch", id="bad-arch"),
        pytest.param(["spectrum", "hessian", "--data", "mnist-online"], "--data", id="bad-data"),
        pytest.param(["spectrum", "hessian", "--arch", "mlp1", "--state-dict",
                      "/nonexistent/w.pt"], "--state-dict", id="missing-state-dict"),
        pytest.param(["spectrum", "hessian", "--arch", "mlp1", "--width", "3", "--data",
                      "digits-binary", "--state-dict", "WRONG"], "--state-dict",
                     id="wrong-shape-state-dict"),
        pytest.param(["spectrum", "hessian", "--arch", "mlp1", "--state-dict", "JUNK"],
                     "--state-dict", id="not-a-torch-file"),
        pytest.param(["spectrum", "hessian", "--arch", "mlp1", "--state-dict", "LIST"],
                     "--state-dict", id="not-a-state-dict"),
        pytest.param(["spectrum", "curvature-of-doom"], "QUANTITY", id="bad-quantity"),
        pytest.param(["spectrum", "hessian", "--epsilon", "-1", "--arch", "mlp1"], "--epsilon",
                     id="negative-epsilon"),
        pytest.param(["spectrum", "hessian", "--samples", "1", "--arch", "mlp1"], "--samples",
                     id="too-few-samples"),
        pytest.param(["pac-bayes", "--arch", "fc", "--quick"], "--arch", id="pac-bayes-bn-arch"),
        pytest.param(["pac-bayes", "--prior-c", "-2", "--quick"], "--prior-c",
                     id="pac-bayes-prior-c"),
        pytest.param(["pac-bayes", "--data", "imagenet", "--quick", "--no-optimise"], "--data",
                     id="pac-bayes-data"),
        # zero / negative / non-finite numeric flags: a named error before any training
        pytest.param(["spectrum", "inputs", "--epochs", "-1"], "--epochs", id="negative-epochs"),
        pytest.param(["spectrum", "inputs", "--epochs", "nan"], "--epochs", id="nan-epochs"),
        pytest.param(["spectrum", "inputs", "--epochs", "inf"], "--epochs", id="inf-epochs"),
        pytest.param(["spectrum", "inputs", "--width", "0"], "--width", id="zero-width"),
        pytest.param(["spectrum", "inputs", "--seed", "-1"], "--seed", id="negative-seed"),
        pytest.param(["spectrum", "hessian", "--top", "0"], "--top", id="zero-top"),
        pytest.param(["spectrum", "inputs", "--epsilon", "0"], "--epsilon", id="zero-epsilon"),
        pytest.param(["spectrum", "inputs", "--epsilon", "nan"], "--epsilon", id="nan-epsilon"),
        pytest.param(["pac-bayes", "--quick", "--delta", "0"], "--delta", id="zero-delta"),
        pytest.param(["pac-bayes", "--quick", "--delta", "nan"], "--delta", id="nan-delta"),
        pytest.param(["pac-bayes", "--quick", "--delta-prime", "2"], "--delta-prime",
                     id="delta-prime-above-1"),
        pytest.param(["pac-bayes", "--quick", "--prior-b", "0"], "--prior-b", id="zero-prior-b"),
        pytest.param(["pac-bayes", "--quick", "--prior-b", "nan"], "--prior-b", id="nan-prior-b"),
        pytest.param(["pac-bayes", "--quick", "--mc-samples", "0"], "--mc-samples",
                     id="zero-mc-samples"),
        pytest.param(["pac-bayes", "--quick", "--dr-iterations", "-1"], "--dr-iterations",
                     id="negative-dr-iterations"),
        pytest.param(["pac-bayes", "--quick", "--dr-lr", "inf"], "--dr-lr", id="inf-dr-lr"),
        pytest.param(["pac-bayes", "--quick", "--epochs", "-2"], "--epochs",
                     id="pac-bayes-negative-epochs"),
        pytest.param(["pac-bayes", "--quick", "--width", "0"], "--width", id="pac-bayes-width"),
        # sizes beyond the documented upper ends: named before anything is built
        pytest.param(["spectrum", "inputs", "--width", "1000000000"], "--width",
                     id="width-above-limit"),
        pytest.param(["spectrum", "inputs", "--epochs", "1e12"], "--epochs",
                     id="epochs-above-limit"),
        pytest.param(["pac-bayes", "--quick", "--width", "100000"], "--width",
                     id="pac-bayes-width-above-limit"),
    ]


@pytest.mark.parametrize("args, flag", _invalid_cases())
def test_invalid_arguments_name_the_flag(group, args, flag, wrong_shape, tmp_path):
    path, junk, notdict = wrong_shape
    args = [{"WRONG": str(path), "JUNK": str(junk), "LIST": str(notdict)}.get(a, a)
            for a in args] + ["--cache", str(tmp_path)]
    res = CliRunner().invoke(group, args)
    assert res.exit_code == 2, res.output
    assert flag in res.output
