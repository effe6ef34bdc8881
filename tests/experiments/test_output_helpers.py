"""The shared output helpers (experiments/_output.py) and the experiment modules that use them
(curvature/_io.py, manifold/analyses/_io.py, curvature/_cache.py): atomic writes leave no
temporary file, give ordinary file permissions and create parent folders where asked; JSON
numbers stay numbers and non-finite values are null (never the strings "inf"/"nan")."""
import json
import math
import os

import numpy as np
import pytest

from hyperribbon.experiments import _output
from hyperribbon.experiments.curvature import _io as curvature_io
from hyperribbon.experiments.manifold.analyses import _io as manifold_io

OBJ = {"margin": math.inf, "gap": -math.inf, "ratio": math.nan, "n": np.int64(3),
       "x": (np.float32(0.5), 2.0), "flag": np.bool_(True), "arr": np.arange(3)}
EXPECTED = {"margin": None, "gap": None, "ratio": None, "n": 3, "x": [0.5, 2.0], "flag": True,
            "arr": [0, 1, 2]}


@pytest.mark.parametrize("write_json", [curvature_io.write_json, manifold_io.write_json],
                         ids=["curvature", "manifold"])
def test_json_numbers_stay_numbers(write_json, tmp_path):
    path = write_json(tmp_path / "new" / "sub" / "x.json", OBJ)        # parents created
    text = path.read_text()
    assert json.loads(text) == EXPECTED
    assert "Infinity" not in text and '"inf"' not in text and '"nan"' not in text
    assert os.listdir(path.parent) == ["x.json"]                       # no temporary left


def test_atomic_writers_permissions_and_cleanup(tmp_path):
    mode = _output.file_mode()
    p = _output.atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    assert p.read_bytes() == b"\x00\x01" and (p.stat().st_mode & 0o777) == mode
    z = _output.atomic_savez(tmp_path / "a.npz", v=np.arange(4.0))
    assert np.array_equal(np.load(z)["v"], np.arange(4.0))
    with pytest.raises(FileNotFoundError):                    # no parents unless asked
        _output.atomic_write_text(tmp_path / "missing" / "t.txt", "x")

    def failing(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise RuntimeError("interrupted")
    with pytest.raises(RuntimeError):
        _output.atomic_write(tmp_path / "c.txt", failing)
    assert sorted(os.listdir(tmp_path)) == ["a.npz", "b.bin"]   # no partial file, no temporary


def test_versions_line():
    line = _output.versions("numpy", "no-such-distribution")
    assert line.startswith("python ") and f"numpy {np.__version__}" in line
    assert line.endswith("no-such-distribution (not installed)")
    assert curvature_io.versions().startswith("python ")
