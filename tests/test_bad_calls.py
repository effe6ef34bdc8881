"""Bad calls across the public Python API and the command line, one table each.

Python: every call raises :class:`~hyperribbon.theory.errors.InvalidArgument` whose ``argument``
names the parameter (for a value derived from several parameters: all of them) and whose message
shows the value received. CLI: exit status 2 (click usage error), the message names the flag and
the value, no traceback, and no output folder is left behind. A few properties draw whole
families of invalid values (in the style of ``hypothesis.extra.numpy``'s strategies).
"""
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperribbon.experiments.cli import main
from hyperribbon.experiments.falsify import falsify
from hyperribbon.experiments.linear_models.demo import run_demo
from hyperribbon.experiments.linear_models.phase_diagram import run_phase_diagram
from hyperribbon.experiments.linear_models.reproduce import figure_parameters, reproduce
from hyperribbon.experiments.linear_models.sgd_compare import compare_sgd_models
from hyperribbon.experiments.verify import LIMITS, verify
from hyperribbon.numerics import InPCA, centroid, pairwise_distances, progress
from hyperribbon.theory import InvalidArgument, LinearGDProblem, sloppy_spectrum

NAN, INF = float("nan"), float("inf")


def _P6():
    """Six models of 7 samples × 4 classes."""
    return np.random.default_rng(0).dirichlet(np.ones(4), size=(6, 7))


def test_centroid_weights_near_the_float64_maximum_are_normalised_without_overflow():
    # weights (1e308, 1e308, 1, 1, 1, 1) summed to inf and gave an all-zero "distribution";
    # relative to 1e308 the unit weights are 1e-308: the centroid is that of the first two
    P = _P6()
    c = centroid(P, weights=np.array([1e308, 1e308, 1, 1, 1, 1]))
    np.testing.assert_allclose(c, (P[0] + P[1]) / 2, rtol=1e-15, atol=0)


def curvature(name):
    """A public function of hyperribbon.experiments.curvature (skip where it is not installed)."""
    mod = pytest.importorskip(f"hyperribbon.experiments.curvature.{name.split('.')[0]}")
    return getattr(mod, name.split(".")[1])

#: (call, argument names that must all appear in ``exc.argument``, text of the value)
PYTHON = [
    # verify: sizes
    pytest.param(lambda t: verify("5.2.3", n=0), "n", "0", id="verify-n-zero"),
    pytest.param(lambda t: verify("5.2.3", n=10**10), "n", "10000000000", id="verify-n-1e10"),
    pytest.param(lambda t: verify("5.2.3", n=2**63), "n", "9223372036854775808",
                 id="verify-n-int64-overflow"),
    pytest.param(lambda t: verify("5.2.3", n=1e20), "n", "1e+20", id="verify-n-float-1e20"),
    pytest.param(lambda t: verify("5.2.3", n=2.5), "n", "2.5", id="verify-n-fractional"),
    pytest.param(lambda t: verify("5.2.3", n="50"), "n", "'50'", id="verify-n-string"),
    pytest.param(lambda t: verify("5.2.3", T=0), "T", "0", id="verify-T-zero"),
    pytest.param(lambda t: verify("5.2.3", T=2**60), "T", str(2**60), id="verify-T-2^60"),
    pytest.param(lambda t: verify("(5.2.2)", T=10**12), "T", "1000000000000",
                 id="verify-T-infeasible"),
    pytest.param(lambda t: verify("5.2.3", seed=-1), "seed", "-1", id="verify-seed-negative"),
    pytest.param(lambda t: verify("5.2.3", seed=True), "seed", "True", id="verify-seed-bool"),
    pytest.param(lambda t: verify("5.3-sgd-bound", batch_size=0), "batch_size", "0",
                 id="verify-batch-zero"),
    pytest.param(lambda t: verify("5.3-sgd-bound", n=10, batch_size=11), "batch_size", "11",
                 id="verify-batch-above-n"),
    pytest.param(lambda t: verify("5.3.3", width=0), "width", "0", id="verify-width-zero"),
    pytest.param(lambda t: verify("5.3.3", width=10**6), "width", "1000000",
                 id="verify-width-huge"),
    # verify: reals
    pytest.param(lambda t: verify("5.2.3", alpha=3.0), "alpha", "3.0", id="verify-alpha"),
    pytest.param(lambda t: verify("5.2.3", alpha=NAN), "alpha", "nan", id="verify-alpha-nan"),
    pytest.param(lambda t: verify("5.2.3", c=-0.1), "c", "-0.1", id="verify-c-negative"),
    pytest.param(lambda t: verify("5.2.3", c=INF), "c", "inf", id="verify-c-inf"),
    pytest.param(lambda t: verify("5.2.3", sigma_w2=-1.0), "sigma_w2", "-1.0",
                 id="verify-sigma-w2"),
    pytest.param(lambda t: verify("5.2.3", sigma_star2=NAN), "sigma_star2", "nan",
                 id="verify-sigma-star2-nan"),
    pytest.param(lambda t: verify("5.2.3", lambda1=0.0), "lambda1", "0.0",
                 id="verify-lambda1-zero"),
    pytest.param(lambda t: verify("5.3-wd-pca", weight_decay=-0.1), "weight_decay", "-0.1",
                 id="verify-weight-decay"),
    pytest.param(lambda t: verify("5.3.2", slopes=(0.2, NAN)), "slopes", "nan",
                 id="verify-slopes-nan"),
    pytest.param(lambda t: verify("5.3.2", slopes=()), "slopes", "()", id="verify-slopes-empty"),
    pytest.param(lambda t: verify("5.3.2", slopes="0.2"), "slopes", "'0.2'",
                 id="verify-slopes-string"),
    pytest.param(lambda t: verify("5.3.2", slopes=(0.2, 800.0)), "slopes", "800",
                 id="verify-slopes-underflow"),
    pytest.param(lambda t: verify("5.2.3", lambda1=1e308, alpha=1e-308), "lambda1", "1e+308",
                 id="verify-derived-targets-overflow"),
    # verify: flags a lemma does not use, unknown lemma
    pytest.param(lambda t: verify("5.2.3", batch_size=2), "batch_size", "2",
                 id="verify-unused-batch"),
    pytest.param(lambda t: verify("5.2.3", width=3), "width", "3", id="verify-unused-width"),
    pytest.param(lambda t: verify("5.3.2", c=0.3), "c", "0.3", id="verify-unused-c-kernels"),
    pytest.param(lambda t: verify("7.7.7"), "key", "7.7.7", id="verify-unknown-key"),
    # reproduce
    pytest.param(lambda t: reproduce("fig5.1", t / "o", alpha=3.0), "alpha", "3.0",
                 id="reproduce-alpha"),
    pytest.param(lambda t: figure_parameters("fig5.1", sigma_w2=-1.0), "sigma_w2", "-1.0",
                 id="figure-sigma-w2"),
    pytest.param(lambda t: figure_parameters("fig5.1", sigma_w2=0.0), "sigma_w2", "0.0",
                 id="figure-5.1-sigma-w2-zero"),
    pytest.param(lambda t: figure_parameters("fig5.1", T=(0,)), "T", "got 0", id="figure-T-zero"),
    pytest.param(lambda t: figure_parameters("fig5.1", T=(1, 2**60)), "T", str(2**60),
                 id="figure-T-huge"),
    pytest.param(lambda t: figure_parameters("fig5.1", lambda1=0.0), "lambda1", "0.0",
                 id="figure-lambda1"),
    pytest.param(lambda t: figure_parameters("fig5.5", N=0), "N", "0", id="figure-N-zero"),
    pytest.param(lambda t: figure_parameters("fig5.5", N=10**7), "N", "10000000",
                 id="figure-N-huge"),
    pytest.param(lambda t: figure_parameters("fig5.5", d=10), "d", "10", id="figure-d-below-n"),
    pytest.param(lambda t: figure_parameters("fig5.5", T=(10**6,)), "T", "1000000",
                 id="figure-5.5-T-simulated"),
    pytest.param(lambda t: figure_parameters("fig5.5", normalization="median"), "normalization",
                 "median", id="figure-normalization"),
    pytest.param(lambda t: figure_parameters("fig5.3", fraction=1.5), "fraction", "1.5",
                 id="figure-fraction"),
    pytest.param(lambda t: figure_parameters("fig5.3", draws=0), "draws", "0",
                 id="figure-draws"),
    pytest.param(lambda t: figure_parameters("fig5.3", T_num=10**5), "T_num", "100000",
                 id="figure-T-num"),
    pytest.param(lambda t: figure_parameters("fig5.4", c=(0.2, -1.0)), "c", "-1.0",
                 id="figure-c-negative"),
    pytest.param(lambda t: figure_parameters("fig5.2", seed=-1), "seed", "-1",
                 id="figure-seed"),
    pytest.param(lambda t: figure_parameters("fig5.2", normalization="sum"), "normalization",
                 "sum", id="figure-not-a-parameter"),
    pytest.param(lambda t: figure_parameters("fig9.9"), "figure", "fig9.9",
                 id="figure-unknown"),
    # phase diagrams
    pytest.param(lambda t: run_phase_diagram(t / "o", T_min=100, T_max=10, progress=False),
                 "T_max", "10", id="phase-T-range"),
    pytest.param(lambda t: run_phase_diagram(t / "o", T=[10, 50], T_min=3, progress=False),
                 "T_min", "3", id="phase-T-and-T-min"),
    pytest.param(lambda t: run_phase_diagram(t / "o", quick=True, heatmap_ratios=[3.0],
                                             progress=False), "heatmap_ratios", "3.0",
                 id="phase-heatmap-ratio-off-grid"),
    pytest.param(lambda t: run_phase_diagram(t / "o", quick=True, c_min=0.5, c_max=0.1,
                                             progress=False), "c_max", "0.1",
                 id="phase-c-range"),
    pytest.param(lambda t: run_phase_diagram(t / "o", quick=True, T_num=0, progress=False),
                 "T_num", "0", id="phase-T-num"),
    pytest.param(lambda t: run_phase_diagram(t / "o", quick=True, n=10**5, progress=False),
                 "n", "100000", id="phase-n-huge"),
    pytest.param(lambda t: run_phase_diagram(t / "o", quick=True, draws=10**6, progress=False),
                 "draws", "1000000", id="phase-draws-huge"),
    pytest.param(lambda t: run_phase_diagram(t / "o", quick=True, thresholds=[0],
                                             progress=False), "thresholds", "0",
                 id="phase-threshold-zero"),
    # sgd-compare
    pytest.param(lambda t: compare_sgd_models(n=0), "n", "0", id="sgd-n-zero"),
    pytest.param(lambda t: compare_sgd_models(n=1000), "n", "1000", id="sgd-n-huge"),
    pytest.param(lambda t: compare_sgd_models(n=8, batch_size=9), "batch_size", "9",
                 id="sgd-batch-above-n"),
    pytest.param(lambda t: compare_sgd_models(N=1), "N", "1", id="sgd-N-one"),
    pytest.param(lambda t: compare_sgd_models(alpha=5.0), "alpha", "5.0", id="sgd-alpha"),
    pytest.param(lambda t: compare_sgd_models(n=8, d=4), "d", "4", id="sgd-d-below-n"),
    pytest.param(lambda t: compare_sgd_models(N=10**6, T=10**5), "N", "1000000",
                 id="sgd-work-infeasible"),
    pytest.param(lambda t: compare_sgd_models(sigma_w2=NAN), "sigma_w2", "nan",
                 id="sgd-sigma-w2-nan"),
    # falsify, demo
    pytest.param(lambda t: falsify(examples=0, progress=False), "examples", "0",
                 id="falsify-examples"),
    pytest.param(lambda t: falsify(seed=-5, progress=False), "seed", "-5", id="falsify-seed"),
    pytest.param(lambda t: run_demo(t / "o", seed=-1), "seed", "-1", id="demo-seed"),
    # other subjects, through their public APIs (faults already fixed there)
    pytest.param(lambda t: LinearGDProblem.sloppy(alpha=2.5), "alpha", "2.5",
                 id="problem-alpha"),
    pytest.param(lambda t: sloppy_spectrum(50, 20.0), "c", "20.0", id="spectrum-underflow"),
    pytest.param(lambda t: pairwise_distances(np.full((2, 3, 4), 0.25), metric="nope"),
                 "metric", "nope", id="distances-metric"),
    pytest.param(lambda t: pairwise_distances(np.ones((2, 3, 4))), "A", "(2, 3, 4)",
                 id="distances-not-probabilities"),
    pytest.param(lambda t: InPCA(n_components=2).fit(np.ones((3, 4))), "X", "(3, 4)",
                 id="inpca-not-square"),
    # found by a new-user trial: a 10^9-point grid filled 16 GB; 2^63 raised a raw IndexError
    pytest.param(lambda t: progress(_P6(), _P6()[-1], _P6()[0], grid=10**9), "grid",
                 "1000000000", id="progress-grid-1e9"),
    pytest.param(lambda t: progress(_P6(), _P6()[-1], _P6()[0], grid=2**63), "grid",
                 "9223372036854775808", id="progress-grid-2^63"),
    pytest.param(lambda t: centroid(_P6(), "jeffreys", max_iter=0), "max_iter", "0",
                 id="centroid-keyword-of-another-kind"),
    pytest.param(lambda t: centroid(_P6(), "bhattacharyya", foo=1), "foo", "1",
                 id="centroid-unknown-keyword"),
    pytest.param(lambda t: verify("4.3.1", epochs=0), "epochs", "0", id="verify-ch4-epochs"),
    pytest.param(lambda t: verify("4.3.1", c=0.3), "c", "0.3", id="verify-ch4-unused-c"),
    pytest.param(lambda t: verify("4.3.1", arch=""), "arch", "''", id="verify-ch4-arch-empty"),
    pytest.param(lambda t: curvature("verify.verify_network")("4.3.1", bogus=1), "bogus", "1",
                 id="verify-network-unknown-option"),
    pytest.param(lambda t: curvature("verify.verify_network")("5.2.3"), "key", "5.2.3",
                 id="verify-network-not-a-network-lemma"),
    pytest.param(lambda t: curvature("reproduce.reproduce")("fig4.9", t / "o"), "figure",
                 "fig4.9", id="reproduce-ch4-unknown-figure"),
]


@pytest.mark.parametrize("call,argument,value", PYTHON)
def test_python_bad_call(call, argument, value, tmp_path):
    with pytest.raises(InvalidArgument) as info:
        call(tmp_path)
    names = [a.strip() for a in str(info.value.argument).split(",")]
    assert argument in names, (info.value.argument, str(info.value))
    assert value in str(info.value), str(info.value)
    assert not (tmp_path / "o").exists()          # nothing written for invalid input


#: (CLI arguments, flag, text of the value)
CLI = [
    pytest.param(["verify", "5.2.3", "--n", "0"], "--n", "0", id="verify-n-zero"),
    pytest.param(["verify", "5.2.3", "--n", "9223372036854775808"], "--n",
                 "9223372036854775808", id="verify-n-int64"),
    pytest.param(["verify", "5.2.3", "--n", "1e20"], "--n", "1e20", id="verify-n-1e20"),
    pytest.param(["verify", "5.2.3", "--T", "0"], "--T", "0", id="verify-T-zero"),
    pytest.param(["verify", "(5.2.2)", "--T", "1000000000000"], "--T", "1000000000000",
                 id="verify-T-infeasible"),
    pytest.param(["verify", "5.2.3", "--alpha", "3"], "--alpha", "3", id="verify-alpha"),
    pytest.param(["verify", "5.2.3", "--alpha", "nan"], "--alpha", "nan", id="verify-alpha-nan"),
    pytest.param(["verify", "5.2.3", "--c", "inf"], "--c", "inf", id="verify-c-inf"),
    pytest.param(["verify", "5.2.3", "--sigma-w2", "-1"], "--sigma-w2", "-1",
                 id="verify-sigma-w2"),
    pytest.param(["verify", "5.2.3", "--lambda1", "0"], "--lambda1", "0", id="verify-lambda1"),
    # a subnormal λ1 blamed --c with a negative "largest c" (new-user trial)
    pytest.param(["verify", "5.2.3", "--lambda1", "1e-320"], "--lambda1", "1e-320",
                 id="verify-lambda1-subnormal"),
    pytest.param(["verify", "5.3.2", "--slopes", "0.2,,0.5"], "--slopes", "0.2,,0.5",
                 id="verify-slopes-empty-item"),
    pytest.param(["verify", "5.2.3", "--seed", "-1"], "--seed", "-1", id="verify-seed"),
    pytest.param(["verify", "5.2.3", "--batch-size", "3"], "--batch-size", "3",
                 id="verify-unused-flag"),
    pytest.param(["verify", "all", "--slopes", "0.2,nan"], "--slopes", "nan",
                 id="verify-slopes-nan"),
    pytest.param(["verify", "5.3.2", "--slopes", "0.2,800"], "--slopes", "800",
                 id="verify-slopes-underflow"),
    pytest.param(["verify", "5.2.3", "--lambda1", "1e308", "--alpha", "1e-308"], "--lambda1",
                 "1e+308", id="verify-derived-overflow"),
    pytest.param(["verify", "5.3-wd-pca", "--weight-decay", "-1"], "--weight-decay", "-1",
                 id="verify-weight-decay"),
    pytest.param(["verify", "5.3.3", "--width", "0"], "--width", "0", id="verify-width"),
    pytest.param(["reproduce", "fig5.1", "--alpha", "3"], "--alpha", "3", id="fig5.1-alpha"),
    pytest.param(["reproduce", "fig5.1", "--sigma-w2", "-1"], "--sigma-w2", "-1",
                 id="fig5.1-sigma-w2"),
    pytest.param(["reproduce", "fig5.1", "--T", "0"], "--T", "0", id="fig5.1-T-zero"),
    pytest.param(["reproduce", "fig5.5", "--quick", "--N", "0"], "--N", "0", id="fig5.5-N"),
    pytest.param(["reproduce", "fig5.2", "--d", "10"], "--d", "10", id="fig5.2-d"),
    pytest.param(["reproduce", "fig5.3", "--fraction", "2"], "--fraction", "2",
                 id="fig5.3-fraction"),
    pytest.param(["reproduce", "fig5.2", "--T", "5,6"], "--T", "5,6", id="fig5.2-T-list"),
    pytest.param(["phase-diagram", "--T-min", "100", "--T-max", "10"], "--T-max", "10",
                 id="phase-T-range"),
    pytest.param(["phase-diagram", "--T", "10,50", "--c", "0.1,0.2", "--ratios", "1,2",
                  "--heatmap-ratios", "3"], "--heatmap-ratios", "3", id="phase-heatmap"),
    pytest.param(["phase-diagram", "--T-num", "0"], "--T-num", "0", id="phase-T-num"),
    pytest.param(["phase-diagram", "--draws", "0"], "--draws", "0", id="phase-draws"),
    pytest.param(["phase-diagram", "--c-num", "5000"], "--c-num", "5000", id="phase-c-num"),
    pytest.param(["phase-diagram", "--quick", "--fraction", "1.5"], "--fraction", "1.5",
                 id="phase-fraction"),
    pytest.param(["sgd-compare", "--n", "0"], "--n", "0", id="sgd-n"),
    pytest.param(["sgd-compare", "--N", "1"], "--N", "1", id="sgd-N"),
    pytest.param(["sgd-compare", "--n", "8", "--batch-size", "9"], "--batch-size", "9",
                 id="sgd-batch"),
    pytest.param(["sgd-compare", "--alpha", "nan"], "--alpha", "nan", id="sgd-alpha-nan"),
    pytest.param(["falsify", "--examples", "0"], "--examples", "0", id="falsify-examples"),
    pytest.param(["falsify", "--seed", "-1"], "--seed", "-1", id="falsify-seed"),
    pytest.param(["demo", "--seed", "-1"], "--seed", "-1", id="demo-seed"),
    pytest.param(["verify", "4.3.1", "--epochs", "0"], "--epochs", "0", id="verify-ch4-epochs"),
    pytest.param(["verify", "4.3.1", "--c", "0.3"], "--c", "0.3", id="verify-ch4-unused-c"),
    pytest.param(["reproduce", "fig4.1", "--seed", "-1"], "--seed", "-1", id="fig4.1-seed"),
    pytest.param(["reproduce", "fig4.2", "--seed", "1,2"], "--seed", "one value",
                 id="fig4.2-two-seeds"),
]


@pytest.mark.parametrize("args,flag,value", CLI)
def test_cli_bad_call(args, flag, value, tmp_path):
    out = tmp_path / "out"
    extra = [] if args[0] in ("verify",) else ["--out", str(out)]
    res = CliRunner().invoke(main, args + extra)
    assert res.exit_code == 2, res.output
    assert f"'{flag}'" in res.output, res.output
    assert value in res.output, res.output
    assert "Traceback" not in res.output
    assert not out.exists()


# ---------------------------------------------------------------- families of invalid values
OUTSIDE_N = st.one_of(st.integers(max_value=0), st.integers(min_value=LIMITS["n"] + 1))
OUTSIDE_ALPHA = st.one_of(st.floats(max_value=0.0), st.floats(min_value=2.0),
                          st.just(NAN), st.just(INF))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(OUTSIDE_N)
def test_every_invalid_n_is_named(n):
    with pytest.raises(InvalidArgument) as info:
        verify("5.2.3", n=n)
    assert info.value.argument == "n" and str(n) in str(info.value)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(OUTSIDE_ALPHA)
def test_every_invalid_alpha_is_named(alpha):
    with pytest.raises(InvalidArgument) as info:
        verify("5.2.3", alpha=alpha)
    assert info.value.argument == "alpha"
    assert (repr(alpha) in str(info.value)) or (math.isnan(alpha) and "nan" in str(info.value))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(st.floats(max_value=0.0), st.just(NAN), st.just(INF)), min_size=1,
                max_size=3))
def test_every_invalid_slope_list_is_named(bad):
    with pytest.raises(InvalidArgument) as info:
        verify("5.3.2", slopes=(0.2, *bad))
    assert info.value.argument == "slopes"


def test_at_least_sixty_bad_calls():
    assert len(PYTHON) + len(CLI) >= 60
