"""Every array argument accepts what users pass (issue 8 D10): torch tensors (also with
requires_grad), float32, integer one-hot arrays, non-contiguous views, lists, .npy and zarr paths,
memmaps and the stacks open_stack returns — through the one conversion helper — and gives the
result of the same values as a float64 ndarray."""
import numpy as np
import pytest
import torch
import zarr

from hyperribbon.numerics import (InPCA, centered_matrix, centroid, check_distance_matrix,
                                  cluster_trajectories, distance, distance_to_geodesic,
                                  explained_pairwise_distances, four_point_basis,
                                  geodesic_objective, open_stack, pairwise_dask,
                                  pairwise_distances, pairwise_to_disk, per_sample_distances,
                                  progress, project_classes, projection_distortion,
                                  random_stochastic_matrix, reindex_by_progress, riemann_length,
                                  trajectory_distance_matrix, truth, tube_widths)
from hyperribbon.theory.prediction_space.infogeo import PremetricSpace, ProbabilityEnsemble

M, N, C = 5, 6, 3
END = truth(np.arange(N) % C, C, smoothing=0.1)
MIX = random_stochastic_matrix(C, 2, seed=0)


def _float_models():
    return np.random.default_rng(0).dirichlet(np.ones(C), size=(M, N))


def _onehot_models():
    return np.eye(C, dtype=np.int64)[np.random.default_rng(1).integers(0, C, size=(M, N))]


def _as_kind(X, kind, tmp_path):
    """(what a user passes, the float64 values it stands for)."""
    if kind == "float32":
        X = X.astype(np.float32)
        return X, X.astype(np.float64)
    if kind == "torch grad":
        return torch.tensor(X, dtype=torch.float64, requires_grad=True), X
    if kind == "torch float32":
        t = torch.tensor(X, dtype=torch.float32)
        return t, t.double().numpy()
    if kind == "non-contiguous":
        big = np.zeros(X.shape[:-1] + (2 * X.shape[-1],), dtype=X.dtype)
        big[..., ::2] = X
        view = big[..., ::2]
        assert not view.flags.c_contiguous
        return view, X.astype(np.float64)
    if kind == "list":
        return X.tolist(), X.astype(np.float64)
    if kind in (".npy path", "open_stack", "memmap"):
        path = tmp_path / f"X{X.ndim}.npy"
        np.save(path, X)
        if kind == "memmap":
            return np.load(path, mmap_mode="r"), X.astype(np.float64)
        return (open_stack(path) if kind == "open_stack" else path), X.astype(np.float64)
    if kind == "zarr path":
        path = tmp_path / f"X{X.ndim}.zarr"
        zarr.create_array(store=str(path), data=X)
        return str(path), X.astype(np.float64)
    return X, X.astype(np.float64)


KINDS = ["ndarray", "float32", "torch grad", "torch float32", "non-contiguous", "list",
         ".npy path", "zarr path", "memmap", "open_stack"]

MODEL_CALLS = {
    "pairwise_distances": lambda X: pairwise_distances(X),
    "pairwise_distances B": lambda X: pairwise_distances(_float_models(), X,
                                                         metric="geodesic"),
    "distance": lambda X: distance(X, END, "geodesic"),
    "per_sample_distances": lambda X: per_sample_distances(X, END, "euclidean"),
    "pairwise_to_disk": lambda X: np.asarray(pairwise_to_disk(X, _OUT[0] / "D.npy", block_size=2,
                                                              progress=False, overwrite=True)),
    "pairwise_dask": lambda X: pairwise_dask(X, block_size=2).compute(scheduler="sync"),
    "progress": lambda X: progress(X, END),
    "geodesic_objective": lambda X: geodesic_objective(X, END, alpha=[0.2, 0.8]),
    "distance_to_geodesic": lambda X: distance_to_geodesic(X, END, metric="geodesic")[0],
    "centroid": lambda X: centroid(X, "arithmetic"),
    "InPCA": lambda X: InPCA(metric="euclidean").fit(X).eigenvalues_,
    "reindex_by_progress": lambda X: reindex_by_progress(X, [0.3, 0.6], END).probabilities,
    "riemann_length": lambda X: riemann_length(X, metric="geodesic"),
    "four_point_basis": lambda X: four_point_basis(X, np.linspace(0, 1, M), END),
    "project_classes": lambda X: project_classes(X, MIX),
    "projection_distortion": lambda X: projection_distortion(X, MIX, metric="euclidean").D,
    "ProbabilityEnsemble": lambda X: ProbabilityEnsemble(X).probabilities,
}
_OUT = [None]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("data", ["float", "one-hot"])
def test_model_arguments_accept_every_kind(tmp_path, kind, data):
    _OUT[0] = tmp_path
    X = _float_models() if data == "float" else _onehot_models()
    given, values = _as_kind(X, kind, tmp_path)
    # float32 rows are renormalised in float32: their values move by ~ε₃₂
    rtol, atol = (1e-6, 1e-7) if "float32" in kind else (1e-12, 1e-300)
    for name, call in MODEL_CALLS.items():
        if name == "ProbabilityEnsemble" and "float32" in kind:
            continue                                   # its declared domain: rows within 1e-9
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = np.asarray(call(values), dtype=np.float64)
        got = np.asarray(call(given), dtype=np.float64)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=name)


def test_trajectory_stacks_accept_every_kind(tmp_path):
    T = np.stack([_float_models(), _float_models()[::-1]])            # (2, M, N, C)
    for kind in ("ndarray", "float32", "torch grad", "list", ".npy path", "zarr path"):
        given, values = _as_kind(T, kind, tmp_path)
        rtol, atol = (1e-6, 1e-7) if kind == "float32" else (1e-12, 0.0)
        np.testing.assert_allclose(trajectory_distance_matrix(given, np.linspace(0, 1, M)),
                                   trajectory_distance_matrix(values, np.linspace(0, 1, M)),
                                   rtol=rtol, atol=atol, err_msg=kind)
        np.testing.assert_allclose(tube_widths(given), tube_widths(values), rtol=rtol,
                                   atol=atol, err_msg=kind)


MATRIX_CALLS = {
    "check_distance_matrix": lambda D: np.asarray(check_distance_matrix(D)[:]),
    "InPCA": lambda D: InPCA().fit(D).eigenvalues_,
    "centered_matrix": lambda D: centered_matrix(D),
    "cluster_trajectories": lambda D: cluster_trajectories(D).linkage,
    "explained_pairwise_distances": lambda D: explained_pairwise_distances(
        D, np.eye(M)[:, :2], [1.0, 1.0]),
    "PremetricSpace": lambda D: PremetricSpace(D).D,
}


@pytest.mark.parametrize("kind", ["ndarray", "float32", "torch grad", "torch float32",
                                  "non-contiguous", "list", ".npy path", "zarr path", "memmap"])
def test_distance_matrix_arguments_accept_every_kind(tmp_path, kind):
    D = pairwise_distances(_float_models())
    given, values = _as_kind(D, kind, tmp_path)
    rtol = 1e-6 if "float32" in kind else 1e-12
    for name, call in MATRIX_CALLS.items():
        np.testing.assert_allclose(np.asarray(call(given), dtype=np.float64), call(values),
                                   rtol=rtol, atol=1e-12 if "float32" not in kind else 1e-7,
                                   err_msg=name)
    Di = np.array([[0, 2, 3], [2, 0, 1], [3, 1, 0]])                 # an integer matrix
    np.testing.assert_allclose(InPCA().fit(Di).eigenvalues_, InPCA().fit(Di * 1.0).eigenvalues_)
