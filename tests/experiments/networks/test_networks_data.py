"""Data sets: digits split and normalisation, sub-tasks, random labels, the user-file readers on
tiny files written here byte by byte in the real formats, and the §2.5.5 synthetic task."""
import gzip
import os
import pickle
import struct

import numpy as np
import pytest

from hyperribbon.experiments.networks import (Dataset, digits, load_cifar10, load_dataset,
                                              load_mnist, normalise, random_labels,
                                              read_cifar_batch, read_idx, sloppy_gaussian,
                                              sloppy_spectrum, subtask)
from hyperribbon.experiments.networks.synthetic import teacher_labels
from hyperribbon.theory import InvalidArgument


def test_digits_split_is_stratified_fixed_and_normalised_by_train_statistics():
    from sklearn.datasets import load_digits
    d = digits(seed=3)
    raw = load_digits()
    assert d.n_train + d.n_test == raw.images.shape[0]
    # every class appears in the test set in proportion (stratified) — within one sample
    full = np.bincount(raw.target, minlength=10) / raw.target.size
    test = np.bincount(d.y_test, minlength=10)
    assert np.all(np.abs(test - full * d.n_test) <= 1)
    # per-channel statistics of the *training* split: recover them from the raw pixel values
    flat_raw = {tuple(im.ravel()) for im in raw.images}
    assert d.x_train.dtype == np.float32 and d.in_shape == (1, 8, 8)
    mean, std = d.info["normalisation"]["mean"][0], d.info["normalisation"]["std"][0]
    back = d.x_train.astype(np.float64) * std + mean
    assert all(tuple(np.round(b.ravel(), 6)) in flat_raw for b in back[:50])
    assert abs(back.mean() - mean) < 1e-9 * 16 * back.size and np.isclose(back.std(), std)
    assert np.array_equal(digits(seed=3).x_test, d.x_test)
    assert not np.array_equal(digits(seed=4).y_test, d.y_test)


def test_pixel_normalisation_keeps_constant_pixels_finite():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 5))
    a[:, 2] = 7.0
    b = rng.normal(size=(4, 5))
    a2, b2, _ = normalise(a, b, "pixel")
    assert np.all(np.isfinite(a2)) and np.allclose(a2[:, 2], 0)
    assert np.allclose(a2[:, [0, 1, 3, 4]].std(axis=0), 1, atol=1e-5)
    assert np.allclose(b2[:, 0], (b[:, 0] - a[:, 0].mean()) / a[:, 0].std(), atol=1e-5)


def test_subtask_keeps_exactly_the_chosen_classes_and_relabels_in_order():
    d = digits()
    s = subtask(d, [7, 2, 5])
    for split in ("train", "test"):
        y = getattr(d, f"y_{split}")
        keep = np.isin(y, [7, 2, 5])
        assert np.array_equal(getattr(s, f"x_{split}"), getattr(d, f"x_{split}")[keep])
        expect = np.select([y[keep] == 7, y[keep] == 2, y[keep] == 5], [0, 1, 2])
        assert np.array_equal(getattr(s, f"y_{split}"), expect)
    assert s.class_ids == (7, 2, 5) and subtask(s, [2, 0]).class_ids == (5, 7)


def test_random_labels_are_uniform_and_seeded():
    d = digits()
    r = random_labels(d, 5)
    counts = np.bincount(np.concatenate([r.y_train, r.y_test]), minlength=10)
    n = counts.sum()
    # chi-square with 9 degrees of freedom; 40 is beyond its 0.9999 quantile (≈ 33.7)
    assert ((counts - n / 10) ** 2 / (n / 10)).sum() < 40
    assert np.array_equal(random_labels(d, 5).y_train, r.y_train)
    assert not np.array_equal(random_labels(d, 6).y_train, r.y_train)
    assert np.array_equal(r.x_train, d.x_train)


def _idx_bytes(array, code):
    """An idx file assembled independently of the package: magic, big-endian dims, data."""
    fmt = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[code]
    return (struct.pack(">BBBB", 0, 0, code, array.ndim)
            + struct.pack(">" + "I" * array.ndim, *array.shape) + array.astype(fmt).tobytes())


@pytest.mark.parametrize("code", [0x08, 0x0C, 0x0D])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_matches_the_format(tmp_path, code, gz):
    rng = np.random.default_rng(code)
    a = rng.integers(0, 250, size=(3, 4, 5)) if code != 0x0D else rng.normal(size=(3, 4, 5))
    p = tmp_path / ("x.idx" + (".gz" if gz else ""))
    raw = _idx_bytes(a, code)
    p.write_bytes(gzip.compress(raw) if gz else raw)
    got = read_idx(p)
    assert got.shape == (3, 4, 5)
    assert np.array_equal(got, a.astype({0x08: np.uint8, 0x0C: np.int32, 0x0D: np.float32}[code]))


def _write_mnist(tmp_path, n_train=12, n_test=5, gz=False):
    rng = np.random.default_rng(1)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, size=(n, 28, 28))
        y = rng.integers(0, 10, size=n)
        y[:2] = [0, 9]
        sfx = ".gz" if gz else ""
        for kind, arr, code in (("images-idx3-ubyte", x, 0x08), ("labels-idx1-ubyte", y, 0x08)):
            raw = _idx_bytes(arr, code)
            (tmp_path / f"{prefix}-{kind}{sfx}").write_bytes(gzip.compress(raw) if gz else raw)
        arrays[prefix] = (x, y)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_from_idx_files(tmp_path, gz):
    arrays = _write_mnist(tmp_path, gz=gz)
    d = load_mnist(str(tmp_path))
    x, y = arrays["train"]
    assert d.in_shape == (1, 28, 28) and d.classes == 10 and not d.flips_allowed
    assert np.array_equal(d.y_train, y) and np.array_equal(d.y_test, arrays["t10k"][1])
    m, s = x.mean(), x.std()
    assert np.allclose(d.x_train[:, 0], (x - m) / s, atol=1e-5)
    assert np.allclose(d.x_test[:, 0], (arrays["t10k"][0] - m) / s, atol=1e-5)
    assert load_dataset("mnist", path=str(tmp_path)).n_test == 5


def _write_cifar(tmp_path, n=(7, 6), test=4):
    rng = np.random.default_rng(2)
    out = []
    names = [f"data_batch_{i + 1}" for i in range(len(n))] + ["test_batch"]
    for name, m in zip(names, list(n) + [test]):
        data = rng.integers(0, 256, size=(m, 3072)).astype(np.uint8)
        labels = rng.integers(0, 10, size=m).tolist()
        with open(tmp_path / name, "wb") as f:
            pickle.dump({b"batch_label": b"x", b"labels": labels, b"data": data,
                         b"filenames": [b"f"] * m}, f, protocol=2)
        out.append((data, labels))
    return out


def test_load_cifar10_from_python_batches(tmp_path):
    sub = tmp_path / "cifar-10-batches-py"
    sub.mkdir()
    batches = _write_cifar(sub)
    d = load_cifar10(str(tmp_path))
    assert d.in_shape == (3, 32, 32) and d.flips_allowed and d.n_train == 13 and d.n_test == 4
    data = np.concatenate([b[0] for b in batches[:2]]).astype(np.float64)
    # pixel (row 5, col 9) of channel c of image i lives at data[i, c*1024 + 5*32 + 9]
    for c in range(3):
        plane = data[:, c * 1024:(c + 1) * 1024]
        mean, std = plane.mean(), plane.std()
        assert np.allclose(d.x_train[:, c, 5, 9], (plane[:, 5 * 32 + 9] - mean) / std, atol=1e-5)
    assert d.y_train.tolist() == batches[0][1] + batches[1][1]
    assert d.y_test.tolist() == batches[2][1]


def test_cifar_reader_refuses_code_in_pickles(tmp_path):
    p = tmp_path / "data_batch_1"

    class Evil:
        def __reduce__(self):
            return (os.getcwd, ())
    with open(p, "wb") as f:
        pickle.dump({b"data": Evil(), b"labels": []}, f)
    with pytest.raises(InvalidArgument, match="CIFAR-10 python batch"):
        read_cifar_batch(p)


def test_sloppy_task_spectrum_and_teacher():
    lam = sloppy_spectrum(200, 0.5)
    assert np.isclose(lam[0], 25 * np.exp(-0.5)) and np.allclose(np.diff(np.log(lam)), -0.5)
    s = sloppy_gaussian(n_train=3000, n_test=10, d=6, c=0.5, seed=1)
    assert np.all(np.abs(s.x_train.var(axis=0) / sloppy_spectrum(6, 0.5) - 1) < 0.1)
    iso = sloppy_gaussian(n_train=3000, n_test=10, d=6, c=None, seed=1)
    assert np.all(np.abs(iso.x_train.var(axis=0) - 1) < 0.1)
    # labels are the argmax of a one-hidden-layer ReLU teacher (recomputed from its weights)
    rng = np.random.default_rng(9)
    x = rng.normal(size=(50, 6))
    y, logits = teacher_labels(x, 5, 50, np.random.default_rng(4), return_logits=True)
    g = np.random.default_rng(4)
    w1 = g.uniform(-6 ** -0.5, 6 ** -0.5, (6, 50)); c1 = g.uniform(-6 ** -0.5, 6 ** -0.5, 50)
    w2 = g.uniform(-50 ** -0.5, 50 ** -0.5, (50, 5)); c2 = g.uniform(-50 ** -0.5, 50 ** -0.5, 5)
    assert np.array_equal(y, (np.maximum(x @ w1 + c1, 0) @ w2 + c2).argmax(1))
    assert len(set(s.y_train.tolist())) >= 3


def _bad_dataset():
    x = np.zeros((3, 2), np.float32)
    return Dataset("bad", x, np.array([0, 1, 5]), x, np.zeros(3, np.int64), 3)


INVALID = [
    pytest.param(lambda: digits(test_fraction=1.0), "test_fraction", id="digits-fraction"),
    pytest.param(lambda: digits(seed=-1), "seed", id="digits-seed"),
    pytest.param(lambda: normalise(np.zeros((3, 2)), np.zeros((3, 2)), "global"), "mode",
                 id="normalise-mode"),
    pytest.param(lambda: subtask(digits(), [1, 1]), "classes", id="subtask-duplicate"),
    pytest.param(lambda: subtask(digits(), [3, 10]), "classes", id="subtask-range"),
    pytest.param(lambda: random_labels(digits(), -2), "seed", id="random-labels-seed"),
    pytest.param(lambda: load_dataset("imagenet"), "name", id="load-unknown"),
    pytest.param(lambda: load_dataset("cifar10"), "path", id="load-no-path"),
    pytest.param(lambda: load_mnist("/nonexistent/dir"), "path", id="mnist-missing"),
    pytest.param(lambda: sloppy_spectrum(5, -1.0), "c", id="spectrum-c"),
    pytest.param(lambda: sloppy_gaussian(classes=1), "classes", id="sloppy-classes"),
    pytest.param(_bad_dataset, "y_train", id="dataset-labels"),
]


@pytest.mark.parametrize("call, argument", INVALID)
def test_invalid_arguments_name_the_argument(call, argument):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument


def test_read_idx_rejects_wrong_magic_and_length(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"\x00\x00\x07\x01" + struct.pack(">I", 2) + b"ab")
    with pytest.raises(InvalidArgument, match="idx file"):
        read_idx(p)
    p.write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"ab")
    with pytest.raises(InvalidArgument, match="data bytes"):
        read_idx(p)
