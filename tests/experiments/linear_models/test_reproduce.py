"""`hyperribbon reproduce fig5.1 … fig5.5`: the written numbers against independent computations
(sums over t, dense recursions in a random data basis, an independent GD simulation, the
lemma's formula re-derived), never against stored images."""
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from hyperribbon.experiments.linear_models.cli_figures import reproduce as repro_command
from hyperribbon.experiments.linear_models.reproduce import FIGURES, figure_parameters, reproduce
from hyperribbon.numerics import brute_force_pca, empirical_pca_matrix, simulate_weight_gd
from hyperribbon.numerics import synthetic_data
from hyperribbon.theory.errors import InvalidArgument
from hyperribbon.theory.linear_models.problems import LinearGDProblem


def read_csv(path):
    return np.genfromtxt(path, delimiter=",", names=True)


def random_basis(n, seed):
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]


def assert_common_outputs(rep, stem):
    for ext in ("png", "pdf"):
        assert (rep.out / f"{stem}.{ext}").stat().st_size > 1000
    report = rep.report.read_text()
    assert "| parameter | value | source | note |" in report and "Versions" in report
    meta = json.loads((rep.out / f"{stem}.json").read_text())
    assert set(meta["parameters"]) == set(rep.parameters)


# ------------------------------------------------------------------ Fig 5.1
def test_fig5_1_against_dense_sums(tmp_path):
    rep = reproduce("fig5.1", tmp_path, quick=True)
    assert_common_outputs(rep, "fig5_1")
    rows = read_csv(tmp_path / "fig5_1.csv")
    prm = {k: v["value"] for k, v in rep.parameters.items()}
    n, c, alpha, sw2 = prm["n"], prm["c"], prm["alpha"], prm["sigma_w2"]
    lam = np.exp(-c * np.arange(n))
    U = random_basis(n, 3)
    K = U @ np.diag(lam) @ U.T
    Kd = np.eye(n) - alpha * K
    for T in prm["T"]:
        sel = rows["T"] == T
        exact, bound = rows["lambda_sigma_w"][sel], rows["bound_5_2_10"][sel]
        if T <= 100:        # σw² Σ_t K_d^t K K_d^t summed as dense matrices in a data basis
            S, power = np.zeros((n, n)), np.eye(n)
            for _ in range(T):
                S += power @ (sw2 * K) @ power
                power = power @ Kd
            ref = np.sort(np.linalg.eigvalsh(S))[::-1]
            np.testing.assert_allclose(exact, ref, rtol=1e-9, atol=1e-13 * ref[0])
        else:               # the scalar sums Σ_t (1 − αλ_i)^{2t} σw² λ_i, term by term
            t = np.arange(T)[:, None]
            ref = np.sum((1 - alpha * lam) ** (2 * t) * sw2 * lam, axis=0)
            np.testing.assert_allclose(exact, ref, rtol=1e-10)
        ref_bound = sw2 / alpha * np.minimum(1, 2 * T * alpha * lam) / (2 - alpha * lam)
        np.testing.assert_allclose(bound, ref_bound, rtol=1e-14)
        assert np.all(bound >= exact * (1 - 1e-13))
    assert rep.checks["bound (5.2.10) ≥ exact everywhere"] is True


# ------------------------------------------------------------------ Fig 5.2
def test_fig5_2_against_brute_force_sums(tmp_path):
    rep = reproduce("fig5.2", tmp_path)               # the thesis's own size (n = 50, T = 50)
    assert_common_outputs(rep, "fig5_2")
    prm = {k: v["value"] for k, v in rep.parameters.items()}
    assert (prm["n"], prm["c"], prm["T"], prm["sigma_w2"], prm["sigma_star2"]) == \
        (50, 0.2, 50, 0.1, 2.0)
    assert rep.parameters["alpha"]["source"] == "choice"
    rows = read_csv(tmp_path / "fig5_2.csv")
    p = LinearGDProblem.sloppy(n=50, c=0.2, alpha=prm["alpha"], T=50, sigma_w2=0.1,
                               sigma_star2=2.0, seed=prm["seed"])
    ref = brute_force_pca(p)
    for col, M in (("P1", ref["P1"]), ("P1_y", ref["S1y"] / 50), ("P1_sigma_w", ref["S1w"] / 50)):
        ev = np.sort(np.linalg.eigvalsh(M))[::-1]
        big = ev > 1e-9 * ev[0]                       # float64 sums resolve these only
        np.testing.assert_allclose(rows[col][big], ev[big], rtol=1e-7)
        assert np.all(rows[col + "_err"] <= 1e-6 * np.abs(rows[col]) + 1e-300)
    # the σw part is diagonal: all 50 eigenvalues to full relative accuracy
    np.testing.assert_allclose(rows["P1_sigma_w"],
                               np.sort(np.diag(ref["S1w"]))[::-1] / 50, rtol=1e-12)
    assert rep.checks["Weyl: λ_i(P1) ≥ max(λ_i(P1^y), λ_n(P1^σw)) for every i"] is True


# ------------------------------------------------------------------ Fig 5.3
def test_fig5_3_quick_against_brute_force(tmp_path):
    rep = reproduce("fig5.3", tmp_path, quick=True, progress=False)
    for name in ("heatmaps", "boundaries_3d", "contours", "bound"):
        assert (tmp_path / f"fig5_3_{name}.png").exists()
        assert (tmp_path / f"fig5_3_{name}.pdf").exists()
    data = np.load(tmp_path / "fig5_3_grid.npz")
    prm = {k: v["value"] for k, v in rep.parameters.items()}
    T, c, r = data["axis_T"], data["axis_c"], data["axis_ratio"]
    assert len(T) == prm["T_num"] and len(c) == prm["c_num"]
    for i_t in (0, 3, 5):
        for i_c in (0, len(c) - 1):
            for i_r in range(len(r)):
                vals = []
                for k in range(prm["draws"]):
                    p = LinearGDProblem.sloppy(n=prm["n"], c=float(c[i_c]), alpha=prm["alpha"],
                                               T=int(T[i_t]), sigma_w2=1.0,
                                               sigma_star2=float(r[i_r]) ** 2, seed=k)
                    ev = np.sort(np.clip(np.linalg.eigvalsh(brute_force_pca(p)["P"]), 0,
                                         None))[::-1]
                    vals.append(int(np.argmax(np.cumsum(ev) >= 0.95 * ev.sum()) + 1))
                assert data["mean_P"][0, 0, 0, 0, i_r, i_c, i_t] == pytest.approx(np.mean(vals))
    report = rep.report.read_text()
    assert "draws" in report and "choice" in report and "fig5_3_grid.npz" in report


# ------------------------------------------------------------------ Fig 5.4
def lemma_5_2_3_rhs(lam, c, alpha, T, y_norm2, sigma_w2):
    """Lemma 5.2.3 as printed (k* = min{ln(2Tα)/(2c), n/2}, indices ⌊k*⌋), entry by entry."""
    n = len(lam)
    rho = math.exp(math.pi**2 / (2 * math.log(8 * lam[0] / lam[-1] - 4)))
    q = sigma_w2 / (alpha * y_norm2)
    ks = min(math.log(2 * T * alpha) / (2 * c), n / 2)
    k = max(int(math.floor(ks)), 1)
    out = []
    for i in range(1, n + 1):
        if i <= 2 * ks:
            out.append(min(1.0, 4 * rho ** (-(i - 1)) + q))
        else:
            j = min(max(i - k + 1, 1), n)
            out.append(4 * rho ** (-(k - 1)) + q * min(1.0, 2 * alpha * T * lam[j - 1]))
    return np.array(out)


def test_fig5_4_bound_and_ratios(tmp_path):
    rep = reproduce("fig5.4", tmp_path, quick=True)
    assert_common_outputs(rep, "fig5_4")
    prm = {k: v["value"] for k, v in rep.parameters.items()}
    rows = read_csv(tmp_path / "fig5_4.csv")
    for T in prm["T"]:
        for c in prm["c"]:
            sel = (rows["T"] == T) & (rows["c"] == c)
            p = LinearGDProblem.sloppy(n=prm["n"], c=c, alpha=prm["alpha"], T=T,
                                       sigma_w2=prm["sigma_w2"], sigma_star2=prm["sigma_star2"],
                                       seed=prm["seed"])
            rhs = lemma_5_2_3_rhs(p.lam, c, p.alpha, T, float(np.sum(p.yhat**2)), p.sigma_w2)
            np.testing.assert_allclose(rows["bound_5_2_3"][sel], rhs, rtol=1e-12)
            ev = np.sort(np.linalg.eigvalsh(brute_force_pca(p)["P1"]))[::-1]
            big = ev > 1e-9 * ev[0]
            np.testing.assert_allclose(rows["ratio"][sel][big], (ev / ev[0])[big], rtol=1e-7)
            measured = rows["ratio"][sel] > 2 * rows["ratio_err"][sel]
            assert np.all(rows["ratio"][sel][measured] <= rhs[measured] * (1 + 1e-9))
    assert rep.checks["measured ratios above the bound (beyond their error)"] == 0
    assert all(v.startswith("holds") for v in rep.checks["verdicts of thesis-lemma-5.2.3"]
               .values())


# ------------------------------------------------------------------ Fig 5.5
def test_fig5_5_simulation_and_exact_columns(tmp_path):
    rep = reproduce("fig5.5", tmp_path, quick=True)
    assert_common_outputs(rep, "fig5_5")
    prm = {k: v["value"] for k, v in rep.parameters.items()}
    n, d, N, seed = prm["n"], prm["d"], prm["N"], prm["seed"]
    rows = read_csv(tmp_path / "fig5_5.csv")
    base = LinearGDProblem.sloppy(n=n, c=prm["c"], alpha=prm["alpha"], T=max(prm["T"]),
                                  sigma_w2=prm["sigma_w2"], sigma_star2=prm["sigma_star2"],
                                  seed=seed)
    X, w_star, _ = synthetic_data(base, d=d, seed=seed + 1)
    w0 = np.random.default_rng(seed + 2).standard_normal((N, d)) * math.sqrt(prm["sigma_w2"] / n)
    traj = simulate_weight_gd(X, X @ w_star, prm["alpha"], max(prm["T"]), w0)   # (N, T, n)
    for T in prm["T"]:
        sel = rows["T"] == T
        # an independent simulation (numerics.gd) with the same seeds: same numbers
        emp = np.sort(np.linalg.eigvalsh(empirical_pca_matrix(traj[:, :T])))[::-1]
        np.testing.assert_allclose(rows["simulated"][sel], emp, rtol=1e-7,
                                   atol=1e-10 * emp[0])
        # exact E[P(N,T)] = P(T) − (σw²/N) K_T K K_T from sums over t
        ref = brute_force_pca(base.replace(T=T))
        exact = ref["P"] - prm["sigma_w2"] / N * ref["KT"] @ np.diag(base.lam) @ ref["KT"]
        ev = np.sort(np.linalg.eigvalsh(exact))[::-1]
        np.testing.assert_allclose(rows["exact_E_P_N_T"][sel], ev, rtol=1e-8, atol=1e-13 * ev[0])
        # simulation vs exact: statistical agreement of the total variance (N = 200 runs)
        assert abs(emp.sum() / ev.sum() - 1) < 0.15
    assert rep.parameters["normalization"]["value"] == "sum"


# ------------------------------------------------------------------ API and CLI
def test_cli_equals_python_and_flags_are_recorded(tmp_path):
    res = CliRunner().invoke(repro_command, ["fig5.1", "--quick", "--out", str(tmp_path / "cli"),
                                             "--c", "0.3", "--T", "1,50"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    rep = reproduce("fig5.1", tmp_path / "py", quick=True, c=0.3, T=(1, 50))
    a, b = read_csv(tmp_path / "cli" / "fig5_1.csv"), read_csv(tmp_path / "py" / "fig5_1.csv")
    np.testing.assert_array_equal(a["lambda_sigma_w"], b["lambda_sigma_w"])
    assert rep.parameters["c"]["source"] == "flag" and "caption: 0.5" in rep.parameters["c"]["why"]
    assert "| c | 0.3 | flag |" in (tmp_path / "cli" / "report.md").read_text()


@pytest.mark.parametrize("args,needle", [
    pytest.param(["fig5.2", "--N", "3"], "not a parameter", id="unknown-parameter"),
    pytest.param(["all", "--n", "4"], "cannot be combined", id="all-with-flag"),
    pytest.param(["fig5.2", "--T", "5,6"], "one value", id="scalar-parameter"),
    pytest.param(["fig5.7"], "fig5.1", id="unknown-figure"),
])
def test_cli_bad_input(args, needle, tmp_path):
    res = CliRunner().invoke(repro_command, args + ["--out", str(tmp_path)])
    assert res.exit_code == 2 and needle in res.output and "Traceback" not in res.output


def test_python_bad_input():
    with pytest.raises(InvalidArgument) as info:
        figure_parameters("fig5.9")
    assert info.value.argument == "figure"
    with pytest.raises(InvalidArgument) as info:
        reproduce("fig5.1", quick=True, draws=3)
    assert info.value.argument == "draws"


def test_every_figure_states_its_parameters():
    for fig, spec in FIGURES.items():
        for name, p in spec["params"].items():
            assert p["source"] in ("caption", "choice"), (fig, name)
            if p["source"] == "choice":
                assert p["why"], (fig, name)
        assert set(spec["quick"]) <= set(spec["params"])
