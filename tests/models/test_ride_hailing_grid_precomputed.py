"""The precomputed Berlin grid the child artifact ships (issue 8, cold start).

`write_precomputed` runs at build time (infra/build_lambda.py); `berlin_grid` then loads the
file instead of building the grid with h3. What must hold: the loaded grid equals a fresh build
attribute by attribute (values, dtypes, shapes, read-only flags), loading imports no h3, the
file is byte-reproducible, and a file written from another version of grid.py is ignored.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from serverless_sweep.models.ride_hailing import grid as grid_module
from serverless_sweep.models.ride_hailing.grid import (
    BerlinGrid,
    load_precomputed,
    write_precomputed,
)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_precomputed(tmp_path_factory.mktemp("grid") / "berlin_grid.bin")


def assert_same_grid(loaded: BerlinGrid, fresh: BerlinGrid) -> None:
    assert set(vars(loaded)) == set(vars(fresh))
    for name, expected in vars(fresh).items():
        value = getattr(loaded, name)
        assert type(value) is type(expected), name
        if isinstance(expected, np.ndarray):
            assert value.dtype == expected.dtype, name
            assert value.shape == expected.shape, name
            assert value.flags.writeable == expected.flags.writeable, name
            assert np.array_equal(value, expected), name
        else:
            assert value == expected, name


def test_the_loaded_grid_equals_a_fresh_build(written: Path) -> None:
    loaded = load_precomputed(written)
    assert loaded is not None
    assert_same_grid(loaded, BerlinGrid())
    # and it works: the lazy caches start empty and fill as on a built grid
    assert loaded.disk(9000, 3).tolist() == BerlinGrid().disk(9000, 3).tolist()
    assert loaded.distance(0, loaded.size - 1) == BerlinGrid().distance(0, loaded.size - 1)


def test_the_file_is_reproducible(written: Path, tmp_path: Path) -> None:
    again = write_precomputed(tmp_path / "again.bin")
    assert again.read_bytes() == written.read_bytes()


def test_a_missing_file_or_one_from_another_grid_source_is_not_used(
    written: Path, tmp_path: Path
) -> None:
    assert load_precomputed(tmp_path / "absent.bin") is None
    header, _, body = written.read_bytes().partition(b"\n")
    state = json.loads(header)
    state["source_sha256"] = "0" * 64  # as if grid.py changed after the file was written
    stale = tmp_path / "stale.bin"
    stale.write_bytes(json.dumps(state).encode() + b"\n" + body)
    assert load_precomputed(stale) is None


def test_an_attribute_that_cannot_be_stored_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = BerlinGrid.__init__

    def grows_a_set(self: BerlinGrid) -> None:
        original(self)
        self.extra = {1, 2}  # type: ignore[attr-defined]

    monkeypatch.setattr(BerlinGrid, "__init__", grows_a_set)
    with pytest.raises(TypeError, match=r"BerlinGrid\.extra"):
        write_precomputed(tmp_path / "refused.bin")
    assert not (tmp_path / "refused.bin").exists()


PROBE = """
import json, sys
from pathlib import Path
from serverless_sweep.models.ride_hailing import grid
grid.PRECOMPUTED_FILE = Path(sys.argv[1])
loaded = grid.berlin_grid()
print(json.dumps({"h3": "h3" in sys.modules, "size": loaded.size,
                  "distance": loaded.distance(0, loaded.size - 1)}))
"""


def test_berlin_grid_loads_the_shipped_file_without_h3(written: Path) -> None:
    """In a fresh interpreter (an earlier test's import of h3 cannot hide one)."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(written)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    fresh = BerlinGrid()
    assert result == {
        "h3": False,
        "size": fresh.size,
        "distance": fresh.distance(0, fresh.size - 1),
    }


def test_the_default_location_is_next_to_the_module() -> None:
    assert grid_module.PRECOMPUTED_FILE.parent == Path(grid_module.__file__).parent
