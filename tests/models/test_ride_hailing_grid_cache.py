"""The Berlin grid cached per machine (issue 13: a local `sweep run`'s fork server loads it
instead of importing h3 and building it).

What must hold: a cached grid equals a fresh build attribute by attribute; a cache file that
does not check out (truncated, corrupt, not a state file at all, written for another key) is
never used and is replaced by a good one; a cache folder that cannot be written still gives
the right grid; concurrent builders on an empty cache all get the right grid and leave one
whole file; `SWEEP_CACHE_DIR=off` writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_ride_hailing_grid_precomputed import assert_same_grid

from serverless_sweep.models.ride_hailing import grid as grid_module
from serverless_sweep.models.ride_hailing.grid import (
    CACHE_DIR_ENV,
    BerlinGrid,
    cache_file,
    cache_key,
    cached_grid,
    decode_state,
)


@pytest.fixture
def fresh() -> BerlinGrid:
    return BerlinGrid()


@pytest.fixture(scope="module")
def fresh_digest() -> str:
    return digest(BerlinGrid())  # of a grid whose lazy caches are still empty


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
    return folder


def digest(grid: BerlinGrid) -> str:
    """Everything a grid holds, attribute by attribute in name order (arrays: dtype, shape,
    read-only flag, bytes; other values: type and repr), as one digest."""
    h = hashlib.sha256()
    for name, value in sorted(vars(grid).items()):
        h.update(f"{name}|{type(value).__name__}|".encode())
        if isinstance(value, np.ndarray):
            h.update(f"{value.dtype.str}|{value.shape}|{value.flags.writeable}|".encode())
            h.update(np.ascontiguousarray(value).tobytes())
        else:
            h.update(repr(value).encode())
    return h.hexdigest()


def the_file(cache: Path) -> Path:
    path = cache_file()
    assert path is not None and path.parent == cache
    return path


def test_a_cached_grid_equals_a_fresh_build(cache: Path, fresh: BerlinGrid) -> None:
    first = cached_grid()  # builds and writes
    path = the_file(cache)
    assert path.is_file()
    written = path.read_bytes()
    second = cached_grid()  # reads
    assert_same_grid(first, fresh)
    assert_same_grid(second, fresh)
    assert second.disk(9000, 3).tolist() == fresh.disk(9000, 3).tolist()
    assert path.read_bytes() == written
    before = path.stat()
    cached_grid()
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # a hit
    # rewrites nothing
    assert sorted(p.name for p in cache.iterdir()) == [path.name]  # no temporary left


def test_berlin_grid_uses_the_cache_without_h3_in_a_fresh_interpreter(
    cache: Path, fresh_digest: str
) -> None:
    cached_grid()
    probe = (
        "import json, sys\n"
        "from serverless_sweep.models.ride_hailing import grid\n"
        "from test_ride_hailing_grid_cache import digest\n"
        "grid.PRECOMPUTED_FILE = grid.PRECOMPUTED_FILE.with_name('absent.bin')\n"
        "print(json.dumps({'h3': 'h3' in sys.modules, 'digest': digest(grid.berlin_grid())}))\n"
    )
    answer = _probe(probe, cache)
    assert answer == {"h3": False, "digest": fresh_digest}


def _damage_truncated(content: bytes) -> bytes:
    return content[: len(content) // 2]


def _damage_flipped(content: bytes) -> bytes:
    middle = len(content) - 1000  # inside the arrays' bytes
    return content[:middle] + bytes([content[middle] ^ 0x01]) + content[middle + 1 :]


def _damage_header_only(content: bytes) -> bytes:
    return content.partition(b"\n")[0]


def _damage_garbage(content: bytes) -> bytes:
    return os.urandom(4096)


def _damage_empty(content: bytes) -> bytes:
    return b""


def _damage_foreign_key(content: bytes) -> bytes:
    """A whole, self-consistent file written for another key (another h3, numpy, machine)."""
    header, _, body = content.partition(b"\n")
    state = json.loads(header)
    state["cache_key"] = "f" * 64
    return json.dumps(state, sort_keys=True).encode() + b"\n" + body


def _damage_other_source(content: bytes) -> bytes:
    header, _, body = content.partition(b"\n")
    state = json.loads(header)
    state["source_sha256"] = "0" * 64
    return json.dumps(state, sort_keys=True).encode() + b"\n" + body


def _damage_lying_checksum(content: bytes) -> bytes:
    """The body changed and its checksum fixed up, but an array's offset points past it."""
    header, _, body = content.partition(b"\n")
    state = json.loads(header)
    state["attributes"]["ci"]["offset"] = len(body)
    return json.dumps(state, sort_keys=True).encode() + b"\n" + body


DAMAGES = [
    _damage_truncated,
    _damage_flipped,
    _damage_header_only,
    _damage_garbage,
    _damage_empty,
    _damage_foreign_key,
    _damage_other_source,
    _damage_lying_checksum,
]


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda f: f.__name__.removeprefix("_damage_"))
def test_a_cache_file_that_does_not_check_out_is_rebuilt_never_used(
    cache: Path, fresh: BerlinGrid, damage: object
) -> None:
    cached_grid()
    path = the_file(cache)
    good = path.read_bytes()
    assert callable(damage)
    path.write_bytes(damage(good))

    assert decode_state(path.read_bytes(), {"cache_key": cache_key()}) is None
    assert_same_grid(cached_grid(), fresh)
    assert path.read_bytes() == good  # replaced by a whole, good file


READ_ONLY_FS = Path("/sys/serverless-sweep-grid-cache")
"""A folder on a read-only file system (sysfs): nobody, root included, can create it."""


def test_a_read_only_cache_folder_gives_the_right_grid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh: BerlinGrid
) -> None:
    """A folder that cannot be written: a miss builds the grid and writes nothing. Root ignores
    a folder's mode, so as root (this suite in a container) the folder is on a read-only file
    system; else a folder of mode 0555, which a file already there is also read from."""
    if os.geteuid() == 0:
        assert not READ_ONLY_FS.exists()
        monkeypatch.setenv(CACHE_DIR_ENV, str(READ_ONLY_FS))
        assert_same_grid(cached_grid(), fresh)
        assert not READ_ONLY_FS.exists()
        return
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
    try:
        assert_same_grid(cached_grid(), fresh)
        assert list(folder.iterdir()) == []
        folder.chmod(0o755)
        cached_grid()  # the folder filled while it could be written
        folder.chmod(0o555)
        assert_same_grid(cached_grid(), BerlinGrid())
        assert len(list(folder.iterdir())) == 1
    finally:
        folder.chmod(0o755)


def test_a_cache_folder_that_cannot_be_created_gives_the_right_grid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh: BerlinGrid
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocker / "cache"))
    assert_same_grid(cached_grid(), fresh)
    assert blocker.read_text() == "not a folder"


def test_concurrent_builders_each_get_the_right_grid_and_leave_one_whole_file(
    cache: Path, fresh_digest: str
) -> None:
    """Several fresh interpreters released together on an empty cache: each misses or finds a
    file another one published, and every one gets the built grid."""
    probe = (
        "import json, sys\n"
        "from serverless_sweep.models.ride_hailing import grid\n"
        "from test_ride_hailing_grid_cache import digest\n"
        "sys.stdin.read()\n"  # released together
        "print(json.dumps({'digest': digest(grid.cached_grid())}))\n"
    )
    procs = [_start(probe, cache) for _ in range(6)]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()
    answers = []
    for proc in procs:
        assert proc.stdout is not None and proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()
        assert proc.wait(timeout=180) == 0, err
        answers.append(json.loads(out.splitlines()[-1])["digest"])
    assert answers == [fresh_digest] * len(procs)
    path = the_file(cache)
    assert sorted(p.name for p in cache.iterdir()) == [path.name]  # no temporary left
    assert decode_state(path.read_bytes(), {"cache_key": cache_key()}) is not None


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, "off")
    assert cache_file() is None
    monkeypatch.chdir(tmp_path)
    cached_grid()
    assert list(tmp_path.iterdir()) == []


def test_the_default_folder_is_the_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert grid_module.cache_dir() == Path("/somewhere/cache/serverless-sweep")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert grid_module.cache_dir() == Path.home() / ".cache" / "serverless-sweep"


def test_the_key_names_what_the_grid_depends_on(monkeypatch: pytest.MonkeyPatch) -> None:
    key = cache_key()
    assert key == cache_key()
    monkeypatch.setattr(grid_module, "_h3_version", lambda: "h3-0.0.0.dist-info")
    assert cache_key() != key
    monkeypatch.undo()
    monkeypatch.setattr(np, "__version__", "0.0.0")
    assert cache_key() != key


def _env(cache: Path) -> dict[str, str]:
    tests = str(Path(__file__).parent)
    path = os.pathsep.join(p for p in (tests, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, CACHE_DIR_ENV: str(cache), "PYTHONPATH": path}


def _start(code: str, cache: Path) -> subprocess.Popen[str]:
    """A fresh interpreter running `code` with `cache` as its cache folder (the folder is
    also its first argument)."""
    return subprocess.Popen(
        [sys.executable, "-c", code, str(cache)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(cache) | {"PYTHONDONTWRITEBYTECODE": "1"},
    )


def _probe(code: str, cache: Path) -> dict[str, object]:
    proc = _start(code, cache)
    out, err = proc.communicate("", timeout=180)
    assert proc.returncode == 0, err
    answer: dict[str, object] = json.loads(out.splitlines()[-1])
    return answer
