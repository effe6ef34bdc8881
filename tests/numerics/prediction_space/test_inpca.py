"""InPCA: isometry, spectra vs the dense reference, Lanczos, explained stress, out-of-sample,
joint train/test, weighted InPCA, scikit-learn compatibility; unresolved eigenvalues (issue 8 D2),
distance-matrix validation (D3), ARPACK (D5), undefined ratios (D7), stress near 1 (D8)."""
import warnings

import mpmath
import numpy as np
import pytest
import scipy.sparse.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from hyperribbon.numerics.prediction_space import inpca as inpca_module
from hyperribbon.numerics.prediction_space.distances import (UndefinedRatioWarning,
                                                             pairwise_distances)
from hyperribbon.numerics.prediction_space.inpca import (InPCA, centered_matrix,
                                                         explained_pairwise_distances,
                                                         explained_stress, inpca_reference,
                                                         minkowski_distances, rank_tolerance)

EPS = np.finfo(float).eps


def _D(m=20, N=10, C=4, conc=0.2, seed=0):
    """Bhattacharyya distances with a genuinely indefinite W (time-like directions)."""
    P = np.random.default_rng(seed).dirichlet(np.full(C, conc), size=(m, N))
    return pairwise_distances(P), P


@settings(max_examples=30)
@given(st.integers(2, 30), st.integers(2, 12), st.sampled_from([0.1, 0.5, 2.0]),
       st.integers(0, 2 ** 32 - 1))
def test_full_embedding_is_isometric(m, N, conc, seed):
    D, _ = _D(m, N, 4, conc, seed)
    D = np.where(np.isfinite(D), D, 50.0)
    est = InPCA().fit(D)
    np.testing.assert_allclose(est.minkowski_distances(), D, rtol=0,
                               atol=1e-10 * max(1.0, D.max()))


@settings(max_examples=30)
@given(st.integers(2, 25), st.integers(0, 2 ** 32 - 1))
def test_matches_dense_reference(m, seed):
    D, _ = _D(m, seed=seed)
    est = InPCA().fit(D)
    lam, X = inpca_reference(D)
    scale = np.max(np.abs(lam))
    np.testing.assert_allclose(est.eigenvalues_, lam, rtol=0, atol=1e-12 * scale)
    # coordinates agree up to the sign of each (non-degenerate, non-null) column
    gaps = np.abs(np.diff(np.abs(lam)))
    keep = [k for k in range(m) if abs(lam[k]) > 1e-8 * scale
            and (k == 0 or gaps[k - 1] > 1e-6 * scale) and (k == m - 1 or gaps[k] > 1e-6 * scale)]
    for k in keep:
        s = np.sign(X[:, k] @ est.embedding_[:, k])
        np.testing.assert_allclose(s * X[:, k], est.embedding_[:, k], atol=1e-8)


def test_signature_and_explained_stress():
    D, _ = _D(40)
    est = InPCA().fit(D)
    lam = est.eigenvalues_
    p, q = est.signature_
    assert q > 0 and p > 0                                    # genuinely Minkowski
    assert (p, q) == (int(np.sum(lam > 0)), int(np.sum(lam < 0)))
    assert np.all(np.diff(np.abs(lam)) <= 1e-15)
    W = centered_matrix(D)
    assert est.total_stress_ == pytest.approx(float(np.sum(W * W)), rel=1e-13)
    assert est.total_stress_ == pytest.approx(float(np.sum(lam ** 2)), rel=1e-12)
    # eq. (2.2.8) both ways: from the reconstruction residual and from the eigenvalues
    U = est.eigenvectors_
    for d in (1, 3, 10):
        resid = W - (U[:, :d] * lam[:d]) @ U[:, :d].T
        lhs = 1 - np.sqrt(np.sum(resid ** 2) / np.sum(W ** 2))
        assert est.explained_stress_[d - 1] == pytest.approx(lhs, abs=1e-12)
    assert np.all(np.diff(est.explained_stress_) >= -1e-15)
    assert est.explained_stress_[-1] == pytest.approx(1.0, abs=1e-7)
    np.testing.assert_allclose(explained_stress(lam[:3], est.total_stress_),
                               est.explained_stress_[:3])


def test_explained_pairwise_distances():
    D, _ = _D(30)
    est = InPCA().fit(D)
    assert est.explained_pairwise_distances(D) == pytest.approx(1.0, abs=1e-10)
    d3 = est.explained_pairwise_distances(D, 3)
    M = minkowski_distances(est.embedding_[:, :3], est.signs_[:3])
    assert d3 == pytest.approx(1 - np.abs(D - M).sum() / D.sum(), rel=1e-14)
    assert d3 < 1
    assert explained_pairwise_distances(D, est.embedding_[:, :3], est.signs_[:3]) == d3


def test_lanczos_top_k_equals_dense(tmp_path):
    D, _ = _D(300, N=30)
    dense = InPCA(solver="dense").fit(D)
    lan = InPCA(n_components=6, solver="lanczos").fit(D)
    assert lan.solver_ == "lanczos"
    np.testing.assert_allclose(lan.eigenvalues_, dense.eigenvalues_[:6], rtol=1e-10)
    np.testing.assert_allclose(np.abs(lan.embedding_), np.abs(dense.embedding_[:, :6]),
                               atol=1e-8)
    assert lan.total_stress_ == pytest.approx(dense.total_stress_, rel=1e-13)
    np.testing.assert_allclose(lan.explained_stress_, dense.explained_stress_[:6], rtol=1e-10)
    # out-of-core D: a memmap goes through the matrix-free centred operator
    np.save(tmp_path / "D.npy", D)
    mm = np.load(tmp_path / "D.npy", mmap_mode="r")
    lazy = InPCA(n_components=6, solver="lanczos").fit(mm)
    np.testing.assert_allclose(lazy.eigenvalues_, dense.eigenvalues_[:6], rtol=1e-10)
    assert lazy.total_stress_ == pytest.approx(dense.total_stress_, rel=1e-12)


def test_out_of_sample_embedding_corrected_and_as_printed():
    D, _ = _D(25)
    est = InPCA().fit(D)
    lam = est.eigenvalues_
    live = np.abs(lam) > 1e-8 * np.abs(lam[0])
    X_new = est.transform(D)                                  # eq. (2.2.9) with sign(Λ)
    np.testing.assert_allclose(X_new[:, live], est.embedding_[:, live], atol=1e-10)
    # the printed |Λ|^{-1/2} flips every time-like coordinate
    W = centered_matrix(D)
    printed = W @ est.eigenvectors_[:, live] / np.sqrt(np.abs(lam[live]))
    neg = lam[live] < 0
    assert neg.any()
    np.testing.assert_allclose(printed[:, neg], -est.embedding_[:, live][:, neg], atol=1e-10)


def test_out_of_sample_point_reproduces_its_distances_when_in_span():
    D, P = _D(30)
    est = InPCA().fit(D[:25, :25])
    X5 = est.transform(D[25:, :25])
    assert X5.shape == (5, 25)
    # a model identical to a fitted one lands on it
    Dcopy = D[3:4, :25]
    np.testing.assert_allclose(est.transform(Dcopy)[0, :10], est.embedding_[3, :10], atol=1e-9)


def test_probability_input_and_joint_embedding():
    D, P = _D(18)
    a = InPCA(n_components=5, metric="bhattacharyya").fit(P)
    b = InPCA(n_components=5).fit(D)
    np.testing.assert_allclose(a.embedding_, b.embedding_, atol=1e-12)
    np.testing.assert_allclose(a.transform(P[:4]), b.transform(D[:4]), atol=1e-12)
    np.testing.assert_allclose(b.transform_joint(D), b.embedding_, atol=1e-10)   # eq. (2.3.1)
    D_test = pairwise_distances(0.9 * P + 0.1 / P.shape[2])
    Xt = b.transform_joint(D_test)
    assert Xt.shape == (18, 5) and np.all(np.isfinite(Xt))


@settings(max_examples=20)
@given(st.lists(st.integers(1, 4), min_size=3, max_size=12), st.integers(0, 2 ** 32 - 1))
def test_weighted_inpca_equals_repeating_models(mult, seed):
    m = len(mult)
    D, _ = _D(m, seed=seed)
    idx = np.repeat(np.arange(m), mult)
    rep = InPCA().fit(D[np.ix_(idx, idx)])
    w = InPCA().fit(D, sample_weight=mult)
    k = min(m, 4)
    lam_rep, lam_w = rep.eigenvalues_[:k], w.eigenvalues_[:k]
    scale = np.abs(rep.eigenvalues_[0])
    np.testing.assert_allclose(lam_w, lam_rep, rtol=0, atol=1e-10 * scale)
    first = np.searchsorted(idx, np.arange(m))
    gaps = np.abs(np.diff(np.abs(rep.eigenvalues_[:k + 1])))
    for j in range(k):
        if abs(lam_rep[j]) < 1e-6 * scale or np.min(gaps[max(j - 1, 0):j + 1]) < 1e-6 * scale:
            continue
        np.testing.assert_allclose(np.abs(w.embedding_[:, j]), np.abs(rep.embedding_[first, j]),
                                   atol=1e-7)
    # the weighted embedding is isometric too
    np.testing.assert_allclose(w.minkowski_distances(), D, atol=1e-9 * max(1, D.max()))


def test_weighted_zero_weight_is_the_out_of_sample_embedding_and_uniform_is_plain():
    D, _ = _D(16)
    mu = np.ones(16)
    mu[[2, 9]] = 0
    w = InPCA().fit(D, sample_weight=mu)
    keep = np.flatnonzero(mu > 0)
    sub = InPCA().fit(D[np.ix_(keep, keep)])
    k = 5
    np.testing.assert_allclose(np.abs(w.embedding_[[2, 9], :k]),
                               np.abs(sub.transform(D[[2, 9]][:, keep])[:, :k]), atol=1e-10)
    plain, uni = InPCA().fit(D), InPCA().fit(D, sample_weight=np.full(16, 3.0))
    np.testing.assert_allclose(uni.embedding_[:, :k], plain.embedding_[:, :k], atol=1e-10)
    np.testing.assert_allclose(uni.eigenvalues_, 3 * plain.eigenvalues_, atol=1e-12)


def test_weighted_centering_as_printed_breaks_the_isometry():
    """Thesis §2.5.3.2: L_uv = δ_uv − μ̂_u with W = −LDL/2 is not a centring."""
    D, _ = _D(12)
    mu = np.arange(1.0, 13.0)
    muh = mu / mu.sum()
    L = np.eye(12) - muh[:, None]                 # as printed
    Wp = -L @ D @ L / 2
    lam, V = np.linalg.eig(Wp * muh[None, :])
    assert np.max(np.abs(Wp - Wp.T)) > 1e-3       # not even symmetric
    Lc = np.eye(12) - np.ones((12, 1)) * muh[None, :]
    Wc = -Lc @ D @ Lc.T / 2
    np.testing.assert_allclose(Wc, centered_matrix(D, mu), atol=1e-14)
    np.testing.assert_allclose(np.diag(Wc)[:, None] + np.diag(Wc)[None] - 2 * Wc, D, atol=1e-13)


def test_sklearn_api():
    D, _ = _D(15)
    est = InPCA(n_components=3)
    X = est.fit_transform(D)
    np.testing.assert_array_equal(X, est.embedding_)
    c = clone(est).set_params(n_components=2)
    assert c.get_params()["n_components"] == 2 and not hasattr(c, "eigenvalues_")
    assert c.fit(D).embedding_.shape == (15, 2)


# ---------------------------------------------------------------- unresolved eigenvalues (D2)
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("solver", ["dense", "lanczos"])
def test_squared_euclidean_distances_of_points_in_the_plane_have_signature_2_0(seed, solver):
    """Issue 8 D2: 12 random points in the plane gave signature (3, 9); W is the centred Gram
    matrix of rank 2, so every other eigenvalue is rounding."""
    rng = np.random.default_rng(seed)
    m = 12 if seed < 3 else 40
    X = rng.standard_normal((m, 2)) * 10.0 ** rng.uniform(-3, 3)
    D = ((X[:, None] - X[None]) ** 2).sum(-1)
    est = InPCA(n_components=6 if solver == "lanczos" else None, solver=solver).fit(D)
    assert est.signature_ == (2, 0) and est.rank_ == 2
    lam = est.eigenvalues_
    assert est.tolerance_ == pytest.approx(np.max(np.abs(lam)) * m * EPS)
    assert np.all(lam[2:] == 0) and np.all(est.signs_[2:] == 0)
    assert np.all(est.embedding_[:, 2:] == 0)
    # the two resolved eigenvalues are those of the centred Gram matrix
    Xc = X - X.mean(0)
    gram = np.sort(np.linalg.eigvalsh(Xc.T @ Xc))[::-1]
    np.testing.assert_allclose(lam[:2], gram, rtol=64 * m * EPS)
    assert est.explained_stress_[1] == 1.0                      # all of the stress in 2 dims


def test_a_noisy_new_point_gets_no_coordinate_on_unresolved_directions():
    """Issue 8 D2: a new point with 1e-3 noise landed at ~5e4 on the noise directions."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 2))
    D = ((X[:, None] - X[None]) ** 2).sum(-1)
    est = InPCA().fit(D)
    x = rng.standard_normal(2)
    d = ((X - x) ** 2).sum(-1)
    Y = est.transform((d + 1e-3 * rng.random(12))[None])
    assert np.all(Y[0, 2:] == 0)
    exact = est.transform(d[None])[0]
    # without noise the new point reproduces its distances to every fitted point
    np.testing.assert_allclose(((est.embedding_ - exact) ** 2).sum(1), d, rtol=1e-10)
    assert np.max(np.abs(Y[0, :2] - exact[:2])) < 1e-2


# ---------------------------------------------------------------- stress near 1 (D8)
def _from_spectrum(lam, seed=0):
    """D with W = -LDL/2 having exactly the eigenvalues ``lam`` (m = len(lam) + 1 models)."""
    m = len(lam) + 1
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(np.column_stack([np.ones(m), rng.standard_normal((m, m - 1))]))
    U = Q[:, 1:]                                                  # orthonormal, ⟂ 1
    W = (U * lam) @ U.T
    d = np.diag(W)
    D = d[:, None] + d[None] - 2 * W
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0.0)
    return np.maximum(D, 0.0)


def test_explained_stress_near_one_keeps_its_digits():
    """Issue 8 D8: 30 models whose last eigenvalue carries 1e-31 of ‖W‖²: the stress one
    dimension short of complete is 1 − 3.2e-16 (a rounding unit of 1), not 0.9999999635."""
    lam = np.concatenate([np.linspace(1.0, 0.1, 28), [0.0]])
    lam[-1] = np.sqrt(1e-31 * np.sum(lam ** 2) / (1 - 1e-31))
    est = InPCA().fit(_from_spectrum(lam))
    assert abs(est.explained_stress_[27] - (1 - np.sqrt(1e-31))) <= 4 * EPS
    assert est.explained_stress_[28] == 1.0
    # the formula it replaces: 1 − sqrt(1 − cumsum/total)
    old = 1 - np.sqrt(np.clip(1 - np.cumsum(lam ** 2) / np.sum(lam ** 2), 0, 1))
    assert old[27] < 1 - 1e-9                                    # off by √ε


def test_explained_stress_near_one_matches_mpmath_when_the_tail_is_resolved():
    lam = np.concatenate([np.linspace(1.0, 0.1, 27), [3e-9, 1e-9]])
    est = InPCA().fit(_from_spectrum(lam, seed=1))
    m = len(lam) + 1
    with mpmath.workdps(40):
        tot = mpmath.fsum(mpmath.mpf(x) ** 2 for x in lam)
        deficit = [mpmath.sqrt(mpmath.fsum(mpmath.mpf(x) ** 2 for x in lam[d:]) / tot)
                   for d in (27, 28)]
    # eigenvalues of W recomputed from D carry an absolute error ~ m·ε·λ1 (the noise floor)
    for k, d in zip((26, 27), deficit):
        got = 1 - est.explained_stress_[k]
        assert abs(got - float(d)) <= 64 * m * EPS * lam[0] / np.sqrt(float(tot))
        assert got > 0
    assert est.signature_ == (29, 0)


# ---------------------------------------------------------------- ARPACK (D5) and zero ratios (D7)
def test_zero_matrix_is_short_circuited_on_every_solver():
    Z = np.zeros((50, 50))
    for solver in ("lanczos", "dense"):
        with pytest.warns(UndefinedRatioWarning, match="explained stress"):
            est = InPCA(n_components=2, solver=solver).fit(Z)
        assert est.signature_ == (0, 0) and np.all(est.eigenvalues_ == 0)
        assert np.all(np.isnan(est.explained_stress_)) and est.total_stress_ == 0.0
        assert np.all(est.embedding_ == 0)


def test_arpack_failure_falls_back_to_dense_or_a_named_error(monkeypatch, tmp_path, check_invalid):
    D, _ = _D(60)
    dense = InPCA(n_components=4, solver="dense").fit(D)

    def fail(*args, **kwargs):
        raise scipy.sparse.linalg.ArpackNoConvergence("no convergence", np.zeros(0),
                                                      np.zeros((60, 0)))

    monkeypatch.setattr(scipy.sparse.linalg, "eigsh", fail)
    est = InPCA(n_components=4, solver="lanczos").fit(D)
    assert est.solver_.startswith("dense (Lanczos failed")
    np.testing.assert_allclose(est.eigenvalues_, dense.eigenvalues_, rtol=1e-12)
    np.save(tmp_path / "D.npy", D)
    lazy = np.load(tmp_path / "D.npy", mmap_mode="r")
    assert InPCA(n_components=4, solver="lanczos").fit(lazy).solver_.startswith("dense")
    monkeypatch.setattr(inpca_module, "DENSE_FALLBACK_MAX", 10)
    check_invalid(lambda: InPCA(n_components=4, solver="lanczos").fit(lazy), "solver",
                  "'lanczos'")


def test_ratios_with_a_zero_denominator_are_nan_with_a_named_warning():
    with pytest.warns(UndefinedRatioWarning):
        assert np.all(np.isnan(explained_stress([0.0, 0.0])))
    with pytest.warns(UndefinedRatioWarning):
        assert np.isnan(explained_stress([0.0], total=0.0)[0])
    with pytest.warns(UndefinedRatioWarning, match="explained pairwise distances"):
        assert np.isnan(explained_pairwise_distances(np.zeros((3, 3)), np.zeros((3, 1)), [1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")                           # nothing when it is defined
        assert explained_stress([1.0, 0.0])[0] == 1.0


def test_rank_tolerance_is_the_matrix_rank_rule():
    A = np.diag([1.0, 1e-3, 5e-15, 1e-17])
    tol = rank_tolerance(np.diag(A), 4)
    assert tol == 4 * EPS
    assert np.linalg.matrix_rank(A) == int(np.sum(np.abs(np.diag(A)) > tol))


# ---------------------------------------------------------------- validation (D3) and log domain
def test_every_distance_matrix_argument_is_validated(check_invalid):
    """D3: one validator everywhere: -D is a named error; rounding-level negatives are 0."""
    D, _ = _D(8)
    est = InPCA().fit(D)
    calls = [(lambda X: InPCA().fit(X), "X"), (lambda X: centered_matrix(X), "D"),
             (lambda X: inpca_reference(X), "D"), (lambda X: est.transform(X), "X"),
             (lambda X: est.transform_joint(X), "D_test"),
             (lambda X: explained_pairwise_distances(X, est.embedding_, est.signs_), "D")]
    Dr = D.copy()
    Dr[0, 1] = Dr[1, 0] = -EPS * D.max()                        # rounding level
    for call, argument in calls:
        err = check_invalid(lambda: call(-D), argument, "(8, 8)")
        assert "non-negative" in err.rule
        call(Dr)
    np.testing.assert_allclose(centered_matrix(Dr), centered_matrix(np.maximum(Dr, 0)),
                               rtol=0, atol=0)


def test_probability_input_in_the_log_domain():
    z = np.random.default_rng(3).standard_normal((10, 30, 5)) * 40
    logp = z - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - z.max(-1, keepdims=True)
    P = np.exp(logp)
    assert np.any(P.astype(np.float32) == 0)
    a = InPCA(metric="bhattacharyya", log=True).fit(logp)
    b = InPCA().fit(pairwise_distances(logp, log=True))
    np.testing.assert_array_equal(a.eigenvalues_, b.eigenvalues_)
    np.testing.assert_allclose(a.transform(logp[:3]), b.transform(
        pairwise_distances(logp[:3], logp, log=True)), atol=1e-9)


@pytest.mark.parametrize("call,argument,value", [
    pytest.param(lambda: InPCA().fit(np.ones((3, 4))), "X", "(3, 4)", id="non-square"),
    pytest.param(lambda: InPCA().fit([[0, 1], [2, 0]]), "X", "(2, 2)", id="asymmetric"),
    pytest.param(lambda: InPCA().fit([[0, np.inf], [np.inf, 0]]), "X", "(2, 2)", id="infinite"),
    pytest.param(lambda: InPCA().fit([[0, np.nan], [np.nan, 0]]), "X", "(2, 2)", id="nan"),
    pytest.param(lambda: InPCA().fit([[1.0, 1], [1, 0]]), "X", "(2, 2)", id="diagonal"),
    pytest.param(lambda: InPCA().fit(-_D(5)[0]), "X", "(5, 5)", id="negative"),
    pytest.param(lambda: InPCA(n_components=0).fit(_D(5)[0]), "n_components", "0", id="k-zero"),
    pytest.param(lambda: InPCA(n_components=9).fit(_D(5)[0]), "n_components", "9",
                 id="k-too-big"),
    pytest.param(lambda: InPCA(solver="arpack").fit(_D(5)[0]), "solver", "'arpack'",
                 id="solver"),
    pytest.param(lambda: InPCA(tol=-1.0).fit(_D(5)[0]), "tol", "-1.0", id="tol"),
    pytest.param(lambda: InPCA(metric="cosine").fit(_D(5)[1]), "metric", "'cosine'",
                 id="metric"),
    pytest.param(lambda: InPCA(metric="geodesic", log="no").fit(_D(5)[1]), "log", "'no'",
                 id="log"),
    pytest.param(lambda: InPCA().fit(_D(5)[0], sample_weight=[1, 1, -1, 1, 1]),
                 "sample_weight", "(5,)", id="negative-weight"),
    pytest.param(lambda: InPCA().transform(_D(5)[0]), "self", "an unfitted InPCA",
                 id="not-fitted"),
    pytest.param(lambda: InPCA().fit(_D(5)[0]).transform(np.zeros((2, 4))), "X", "(2, 4)",
                 id="transform-columns"),
    pytest.param(lambda: InPCA().fit(_D(5)[0]).transform_joint(_D(4)[0]), "D_test", "(4, 4)",
                 id="joint-size"),
    pytest.param(lambda: explained_stress([1.0], total=-1.0), "total", "-1.0", id="total"),
    pytest.param(lambda: explained_stress([np.nan]), "eigenvalues", "(1,)", id="nan-eigenvalue"),
    pytest.param(lambda: minkowski_distances(np.ones((3, 2)), [1.0]), "signs", "(1,)",
                 id="signs-length"),
    pytest.param(lambda: minkowski_distances(np.ones(3), [1.0]), "X", "(3,)", id="1d-coords"),
])
def test_invalid_arguments(check_invalid, call, argument, value):
    check_invalid(call, argument, value)
