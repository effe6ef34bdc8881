"""NetworkProblem: construction, torch import, checked assumptions, and the dense measurements
(Jacobians, Hessian, factor spectra) against independent references: torch.func autodiff, a
50-digit mpmath forward/backward pass (which also checks the stated rounding bounds), and dense
numpy eigen-decompositions."""
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings

from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.networks import NetworkProblem, measure, network_problems, sloppy_inputs
from hyperribbon.theory.networks import _gram, _mlp
from hyperribbon.theory.oracle import Measured

RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((4, 3))
W = (RNG.standard_normal((5, 3)), RNG.standard_normal((2, 5)))


@pytest.mark.parametrize("kwargs, argument", [
    pytest.param(dict(weights=(), X=X3, y=[0] * 4), "weights", id="no-weights"),
    pytest.param(dict(weights=np.ones((2, 3)), X=X3, y=[0] * 4), "weights", id="bare-array"),
    pytest.param(dict(weights=(np.ones((2, 4)),), X=X3, y=[0] * 4), "weights[0]",
                 id="input-dimension"),
    pytest.param(dict(weights=(np.ones((5, 3)), np.ones((2, 4))), X=X3, y=[0] * 4), "weights[1]",
                 id="inner-dimension"),
    pytest.param(dict(weights=(np.full((2, 3), np.nan),), X=X3, y=[0] * 4), "weights[0]",
                 id="nan-weight"),
    pytest.param(dict(weights=W, X=X3[:, :2], y=[0] * 4), "weights[0]", id="X-columns"),
    pytest.param(dict(weights=W, X=np.zeros((0, 3)), y=[]), "X", id="no-samples"),
    pytest.param(dict(weights=W, X=X3, y=[0, 1, 2, 0]), "y", id="label-out-of-range"),
    pytest.param(dict(weights=W, X=X3, y=[0, 1, 0.5, 0]), "y", id="fractional-label"),
    pytest.param(dict(weights=W, X=X3, y=[0, 1]), "y", id="label-count"),
    pytest.param(dict(weights=W, X=X3, y=[0] * 4, loss="hinge"), "loss", id="unknown-loss"),
    pytest.param(dict(weights=W, X=X3, y=[0] * 4, activations="softsign"), "activations",
                 id="unknown-activation-name"),
    pytest.param(dict(weights=W, X=X3, y=[0] * 4, activations=("relu", "relu")), "activations",
                 id="activation-count"),
    pytest.param(dict(weights=W, X=X3, y=[0] * 4, biases=(np.zeros(5),)), "biases",
                 id="bias-count"),
    pytest.param(dict(weights=W, X=X3, y=[0] * 4, biases=(np.zeros(4), np.zeros(2))),
                 "biases[0]", id="bias-shape"),
    pytest.param(dict(weights=W, X=X3, y=[0] * 4, slope=float("inf")), "slope", id="slope-inf"),
])
def test_invalid_arguments(kwargs, argument):
    with pytest.raises(InvalidArgument) as info:
        NetworkProblem(**kwargs)
    assert info.value.argument == argument
    assert "must" in str(info.value) and "got" in str(info.value)


@pytest.mark.parametrize("call, argument", [
    pytest.param(lambda: NetworkProblem.random(widths=(3,)), "widths", id="random-widths"),
    pytest.param(lambda: NetworkProblem.random(widths=(3, 2), scale=(1.0, 2.0)), "scale",
                 id="random-scales"),
    pytest.param(lambda: NetworkProblem.random(widths=(3, 2), scale=-1.0), "scale",
                 id="random-negative-scale"),
    pytest.param(lambda: NetworkProblem.random(widths=(3, 2), labels="teachers"), "labels",
                 id="random-labels"),
    pytest.param(lambda: NetworkProblem.random(widths=(3, 4, 2), activation="other:GELU"),
                 "labels", id="teacher-with-unknown-activation"),
    pytest.param(lambda: sloppy_inputs(3, 2, c=-1.0), "c", id="inputs-negative-decay"),
    pytest.param(lambda: sloppy_inputs(0, 2, c=1.0), "n", id="inputs-no-samples"),
])
def test_invalid_constructor_arguments(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument


def test_shapes_and_assumption_predicates():
    p = NetworkProblem(W, X3, [0, 1, 1, 0], "tanh")
    assert (p.depth, p.n, p.m, p.widths, p.n_params) == (1, 4, 2, (3, 5, 2), 25)
    assert p.activation_bound == 1.0 and p.activation_assumption and p.biases_zero
    assert [b.stop - b.start for b in p.blocks] == [15, 10]
    leaky = NetworkProblem(W, X3, [0] * 4, "leaky_relu", slope=-3.0)
    assert leaky.activation_bound == 3.0 and leaky.activation_assumption
    sig = NetworkProblem(W, X3, [0] * 4, "sigmoid")
    assert not sig.activation_assumption and "sigmoid" in sig.activation_detail()
    other = NetworkProblem(W, X3, [0] * 4, "other:GELU")
    assert not other.activation_assumption and math.isnan(other.activation_bound)
    zero_b = NetworkProblem(W, X3, [0] * 4, biases=(np.zeros(5), np.zeros(2)))
    nonzero_b = NetworkProblem(W, X3, [0] * 4, biases=(np.zeros(5), np.array([0.0, 1e-300])))
    assert zero_b.biases_zero and not nonzero_b.biases_zero
    np.testing.assert_allclose(p.input_correlation(), X3.T @ X3 / 4)
    np.testing.assert_allclose(p.weight_norms, [np.linalg.svd(w, compute_uv=False)[0] for w in W])


def test_sloppy_inputs_have_the_declared_spectrum():
    X = sloppy_inputs(20000, 4, c=0.7, seed=3, scale=2.0)
    lam = 2.0 * np.exp(-0.7 * np.arange(4))
    # sample variance of a Gaussian: relative standard error sqrt(2/n) ≈ 0.01; allow 6 sigma
    np.testing.assert_allclose(np.var(X, axis=0), lam, rtol=0.06)


# ------------------------------------------------------------------ torch import
def test_from_model_reads_sequential_and_matches_torch_forward():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 4, bias=False),
                                torch.nn.Tanh(), torch.nn.Linear(4, 4, bias=False),
                                torch.nn.Linear(4, 2, bias=False))
    X = torch.randn(6, 3)
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    p = NetworkProblem.from_model(model, X, y)
    assert [a.name for a in p.activations] == ["tanh", "identity"]
    assert p.biases is None and p.activation_assumption
    with torch.no_grad():
        z_torch = model.double()(X.double()).numpy()
    np.testing.assert_allclose(p.forward.z, z_torch, rtol=1e-12, atol=1e-12)


def test_from_model_records_unknown_activations_and_biases():
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.GELU(), torch.nn.Linear(4, 2))
    p = NetworkProblem.from_model(model, np.zeros((2, 3)), [0, 1])
    assert p.activations[0].name == "other:GELU" and not p.activation_assumption
    assert p.biases is not None and not p.biases_zero


@pytest.mark.parametrize("build", [
    pytest.param(lambda nn: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)),
                 id="batchnorm"),
    pytest.param(lambda nn: nn.Sequential(nn.ReLU(), nn.Linear(3, 2)), id="leading-activation"),
    pytest.param(lambda nn: nn.Sequential(nn.Linear(3, 2), nn.ReLU()), id="trailing-activation"),
])
def test_from_model_invalid_architectures(build):
    torch = pytest.importorskip("torch")
    with pytest.raises(InvalidArgument) as info:
        NetworkProblem.from_model(build(torch.nn), np.zeros((2, 3)), [0, 1])
    assert info.value.argument == "model"


def test_from_model_rejects_non_modules():
    with pytest.raises(InvalidArgument):
        NetworkProblem.from_model("not a model", np.zeros((2, 3)), [0, 1])


# ------------------------------------------------------------------ measurements vs references
def _torch_reference(p: NetworkProblem):
    """Jacobians (n, m, p) and the loss Hessian of ĕ (bits) by torch.func, float64."""
    torch = pytest.importorskip("torch")
    fns = {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda u: u,
           "leaky_relu": lambda u: torch.nn.functional.leaky_relu(u, p.slope)}
    shapes = [w.shape for w in p.weights]
    X = torch.tensor(p.X, dtype=torch.float64)

    def logits(theta):
        h, i = X, 0
        ws = []
        for s in shapes:
            ws.append(theta[i:i + s[0] * s[1]].reshape(s))
            i += s[0] * s[1]
        for w, act in zip(ws[:-1], p.activations):
            h = fns[act.name](h @ w.T)
        return h @ ws[-1].T

    def loss(theta):
        return torch.nn.functional.cross_entropy(logits(theta), torch.tensor(p.y)) / math.log(2)

    theta = torch.tensor(np.concatenate([w.ravel() for w in p.weights]))
    J = torch.func.jacrev(logits)(theta).numpy()
    H = torch.func.hessian(loss)(theta).numpy()
    return J, H


@pytest.mark.parametrize("act", ["relu", "tanh", "leaky_relu", "identity"])
def test_jacobians_and_hessian_match_torch_autodiff(act):
    p = NetworkProblem.random((4, 5, 3, 3), act, n=6, scale=1.3, slope=0.2, labels="random",
                              seed=11)
    J_ref, H_ref = _torch_reference(p)
    J = measure.get().jacobians(p)
    H = measure.get().hessian(p)
    scale_J = float(np.max(np.abs(J_ref)))
    np.testing.assert_allclose(J.values, J_ref, atol=64 * p.n_params * _mlp.EPS * scale_J)
    np.testing.assert_allclose(H.values, H_ref,
                               atol=64 * p.n_params * _mlp.EPS * float(np.max(np.abs(H_ref))))
    assert J.values.shape == (6, 3, p.n_params) and H.values.shape == (p.n_params,) * 2


def _mp_jacobian(p: NetworkProblem, dps: int = 50):
    """Logit Jacobians by mpmath at ``dps`` digits from the float64 weights and inputs."""
    with mpmath.workdps(dps):
        Ws = [mpmath.matrix(w.tolist()) for w in p.weights]
        out = np.zeros((p.n, p.m, p.n_params))
        for s in range(p.n):
            h = [mpmath.matrix(p.X[s].tolist())]
            us = []
            for k, act in enumerate(p.activations):
                u = Ws[k] * h[-1]
                us.append(u)
                f = {"relu": lambda v: max(v, 0), "tanh": mpmath.tanh,
                     "identity": lambda v: v}[act.name]
                h.append(mpmath.matrix([f(v) for v in u]))
            for i in range(p.m):
                delta = mpmath.matrix([[1 if c == i else 0 for c in range(p.m)]])
                cols = [None] * len(Ws)
                for k in range(len(Ws) - 1, -1, -1):
                    cols[k] = [delta[0, a] * h[k][j] for a in range(Ws[k].rows)
                               for j in range(Ws[k].cols)]
                    if k == 0:
                        break
                    g = delta * Ws[k]
                    act = p.activations[k - 1]
                    d1 = {"relu": lambda v: 1 if v > 0 else 0,
                          "tanh": lambda v: 1 - mpmath.tanh(v) ** 2,
                          "identity": lambda v: 1}[act.name]
                    delta = mpmath.matrix([[g[0, a] * d1(us[k - 1][a]) for a in range(g.cols)]])
                out[s, i] = [float(v) for blk in cols for v in blk]
        return out


@pytest.mark.parametrize("act", ["relu", "tanh", "identity"])
def test_jacobian_rounding_bounds_contain_the_mpmath_truth(act):
    p = NetworkProblem.random((3, 4, 3, 2), act, n=3, scale=2.0, labels="random", seed=5)
    J = measure.get().jacobians(p)
    truth = _mp_jacobian(p)
    err = np.abs(J.values - truth)
    assert np.all(err <= J.abs_err + 1e-300)
    # and the bounds are not vacuous: a few hundred ulps of the entries' scale at most
    assert float(np.max(J.abs_err)) <= 1e-11 * max(1.0, float(np.max(np.abs(truth))))


@settings(max_examples=25, deadline=None)
@given(network_problems(max_width=4, max_n=4,
                        activations=("relu", "tanh", "leaky_relu", "identity")))
def test_factor_spectra_and_traces_match_dense_eigendecompositions(p):
    meas = measure.get()
    for k in range(p.depth + 1):
        fac = _gram.fim_factor(p, meas, layer=k)
        A, _ = fac.gram()
        ref = np.sort(np.linalg.eigvalsh(A))[::-1]
        mid, half = fac.eigenvalues()
        tol = half + 16 * A.shape[0] * _mlp.EPS * max(float(np.max(np.abs(ref))), 1e-300)
        assert np.all(np.abs(mid - ref) <= tol)
        t, te = fac.trace()
        assert abs(t - float(np.trace(A))) <= te + 8 * A.shape[0] * _mlp.EPS * abs(t)
    # the FIM factor is the FIM of §4.2: (1/n)Σ_s Σ_y p_y ∇log p_y ∇log p_yᵀ, formed directly
    if p.activation_assumption and p.biases_zero:
        J = meas.jacobians(p).values
        pr = _mlp.softmax(p.forward.z)
        F = np.zeros((p.n_params,) * 2)
        for s in range(p.n):
            for yy in range(p.m):
                g = J[s, yy] - pr[s] @ J[s]
                F += pr[s, yy] * np.outer(g, g) / p.n
        Ff, _ = _gram.fim_factor(p, meas).gram()
        np.testing.assert_allclose(Ff, F, atol=64 * p.n_params * _mlp.EPS
                                   * max(float(np.max(np.abs(F))), 1e-300))


def test_structural_zeros_of_dead_relu_units_are_exact():
    # the second hidden unit is off for every input: its weights' Jacobian columns are exact 0
    W0 = np.array([[1.0, 0.0], [-1.0, -1.0]])
    X = np.array([[1.0, 2.0], [0.5, 0.1]])
    p = NetworkProblem((W0, np.array([[1.0, 1.0], [0.5, -1.0]])), X, [0, 1], "relu")
    J = measure.get().jacobians(p)
    dead = [p.blocks[0].start + 2, p.blocks[0].start + 3, p.blocks[1].start + 1,
            p.blocks[1].start + 3]
    assert np.all(J.values[:, :, dead] == 0) and np.all(J.abs_err[:, :, dead] == 0)
    mid, half = _gram.activation_factor(p, 1).eigenvalues()
    assert mid[-1] == 0 and half[-1] == 0


def test_local_minimum_predicate():
    # a linear softmax model has a convex loss: its Hessian is PSD at any weights
    lin = NetworkProblem.random((3, 4), n=6, seed=1)
    assert lin.is_local_minimum()
    # a random ReLU network at initialisation has negative curvature
    deep = NetworkProblem.random((3, 6, 4), "tanh", n=6, scale=2.0, labels="random", seed=2)
    lam = np.linalg.eigvalsh(measure.get().hessian(deep).values)
    assert deep.is_local_minimum() == bool(lam[0] >= -1e-10 * np.max(np.abs(lam)))


class _Recording:
    """A measure that delegates to the dense one and records calls (the protocol in use)."""

    def __init__(self):
        self.calls = []
        self.base = measure.DenseMeasure()

    def jacobians(self, problem) -> Measured:
        self.calls.append("jacobians")
        return self.base.jacobians(problem)

    def hessian(self, problem) -> Measured:
        self.calls.append("hessian")
        return self.base.hessian(problem)


def test_installed_measure_is_used_and_validated():
    from hyperribbon.theory.networks import trace_bounds
    rec = _Recording()
    before = list(measure._INSTALLED)
    try:
        measure.install(rec)
        assert measure.get() is rec
        p = NetworkProblem.random((3, 4, 2), n=4, seed=0)
        assert trace_bounds.THEOREM_4_3_1.check(p).status.value == "holds"
        assert "jacobians" in rec.calls
        with pytest.raises(InvalidArgument):
            measure.install(object())
    finally:
        measure._INSTALLED[:] = before
