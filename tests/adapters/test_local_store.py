"""LocalObjectStore and LocalClock: real files under tmp_path, real processes for the race."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pytest

from serverless_sweep.adapters.local.clock import LocalClock
from serverless_sweep.adapters.local.store import (
    DEFAULT_STORE_ROOT,
    LocalObjectStore,
    store_root_from_env,
)
from serverless_sweep.handlers.ports import (
    AlreadyExists,
    ObjectStore,
    StoreError,
    StoreNotConfigured,
)

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # spawned processes inherit sys.path, so they can import the targets
    sys.path.insert(0, _HERE)
local_targets = importlib.import_module("local_targets")


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "store")


def _all_files(root: Path) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


def test_is_an_object_store(store: LocalObjectStore) -> None:
    assert isinstance(store, ObjectStore)


def test_round_trip(store: LocalObjectStore) -> None:
    key = "dataset=shard_metrics/run_date=2026-11-27/run_id=a%2Fb/status=success/part-3.parquet"
    assert store.get(key) is None
    assert not store.exists(key)
    store.put(key, b"\x00\x01parquet bytes")
    assert store.get(key) == b"\x00\x01parquet bytes"
    assert store.exists(key)
    assert store.path_for(key).read_bytes() == b"\x00\x01parquet bytes"
    assert store.path_for(key).is_relative_to(store.root)


def test_empty_value_round_trip(store: LocalObjectStore) -> None:
    store.put_if_absent("empty", b"")
    assert store.get("empty") == b""
    assert store.exists("empty")


def test_put_overwrites(store: LocalObjectStore) -> None:
    store.put("k/v.json", b"one")
    store.put("k/v.json", b"two, longer")
    store.put("k/v.json", b"3")
    assert store.get("k/v.json") == b"3"
    assert list(store.list_keys("")) == ["k/v.json"]


def test_put_if_absent_twice_keeps_the_first(store: LocalObjectStore) -> None:
    store.put_if_absent("run_index/r.json", b"first")
    with pytest.raises(AlreadyExists, match=r"run_index/r\.json"):
        store.put_if_absent("run_index/r.json", b"second")
    assert issubclass(AlreadyExists, StoreError)
    assert store.get("run_index/r.json") == b"first"
    assert _all_files(store.root) == [os.path.join("run_index", "r.json")]


def test_put_if_absent_after_put_is_refused(store: LocalObjectStore) -> None:
    store.put("a", b"put")
    with pytest.raises(AlreadyExists):
        store.put_if_absent("a", b"if absent")
    assert store.get("a") == b"put"


def test_racing_put_if_absent_across_processes_has_exactly_one_winner(tmp_path: Path) -> None:
    root = tmp_path / "store"
    key = "dataset=shard_outcomes/status=success/part-0.json"
    writers = 6
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(writers)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=local_targets.race_put_if_absent, args=(str(root), key, i, barrier, results)
        )
        for i in range(writers)
    ]
    for proc in procs:
        proc.start()
    outcomes = dict(results.get(timeout=30) for _ in range(writers))
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    winners = [w for w, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1, outcomes
    assert LocalObjectStore(root).get(key) == f"writer-{winners[0]}-".encode() * 20_000
    assert _all_files(root) == [key.replace("/", os.sep)]  # no temp file left behind


def test_readers_never_see_a_partial_file(store: LocalObjectStore) -> None:
    versions = [bytes([n]) * 300_000 for n in range(1, 4)]
    store.put("hot", versions[0])
    stop = threading.Event()
    seen: set[bytes | None] = set()

    def reader() -> None:
        while not stop.is_set():
            seen.add(store.get("hot"))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(60):
            store.put("hot", versions[i % 3])
    finally:
        stop.set()
        thread.join()
    assert seen <= set(versions)


KEYS = [
    "b",
    "a/x",
    "a-c",
    "a0",
    "ab/y",
    "a/y/z",
    "a/y-z",
    "a/yz",
    "A",
    "é/1",
    "z%2Fq=1",
    "dataset=runs/run_date=2026-11-27/run_id=r1/status=accepted/manifest.json",
    "dataset=runs/run_date=2026-11-27/run_id=r10/status=accepted/manifest.json",
    "dataset=runs/run_date=2026-11-28/run_id=r2/status=accepted/manifest.json",
    "dataset=runs-old/x",
]


def test_list_keys_is_lexicographic_with_plain_string_prefixes(store: LocalObjectStore) -> None:
    for key in reversed(KEYS):
        store.put(key, key.encode())
    assert list(store.list_keys("")) == sorted(KEYS)
    prefixes = {k[:n] for k in KEYS for n in range(len(k) + 1)}
    prefixes |= {"zzz", "a/q", "a//", "/", "/a", "../", "a/../", "dataset=runs/run_date=2026-11-2"}
    for prefix in sorted(prefixes):
        expected = sorted(k for k in KEYS if k.startswith(prefix))
        assert list(store.list_keys(prefix)) == expected, prefix


def test_list_keys_on_a_missing_root_is_empty(tmp_path: Path) -> None:
    assert list(LocalObjectStore(tmp_path / "nowhere").list_keys("")) == []
    assert list(LocalObjectStore(tmp_path / "nowhere").list_keys("a/b")) == []


def test_temp_files_are_invisible(store: LocalObjectStore) -> None:
    store.put("a/b", b"1")
    (store.root / ".tmp-deadbeef").write_bytes(b"partial")
    (store.root / "a" / ".tmp-cafe").write_bytes(b"partial")
    (store.root / ".tmp-dir").mkdir()
    (store.root / ".tmp-dir" / "x").write_bytes(b"partial")
    assert list(store.list_keys("")) == ["a/b"]
    assert list(store.list_keys("a/.")) == []
    assert list(store.list_keys(".tmp")) == []


def test_writes_leave_no_temp_files(store: LocalObjectStore) -> None:
    store.put("a/b", b"1")
    store.put("a/b", b"2")
    store.put_if_absent("a/c", b"3")
    with pytest.raises(AlreadyExists):
        store.put_if_absent("a/c", b"4")
    assert _all_files(store.root) == [os.path.join("a", "b"), os.path.join("a", "c")]


def test_files_are_created_with_the_umask_not_0600(store: LocalObjectStore) -> None:
    store.put("p", b"1")
    store.put_if_absent("q", b"1")
    umask = os.umask(0)
    os.umask(umask)
    for name in ("p", "q"):
        assert (store.root / name).stat().st_mode & 0o777 == 0o666 & ~umask


BAD_KEYS = [
    "",
    "/abs",
    "/",
    "..",
    "a/..",
    "../a",
    "a/../../etc/passwd",
    ".",
    "./a",
    "a/./b",
    "a//b",
    "a/",
    "a\x00b",
    "a\\..\\b",
    ".tmp-1",
    "a/.tmp-2",
    "bad\ud800surrogate",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_rejected_naming_the_key(store: LocalObjectStore, key: str) -> None:
    operations: list[Callable[[], object]] = [
        lambda: store.put(key, b"x"),
        lambda: store.put_if_absent(key, b"x"),
        lambda: store.get(key),
        lambda: store.exists(key),
        lambda: store.path_for(key),
    ]
    for operation in operations:
        with pytest.raises(ValueError) as caught:
            operation()
        assert repr(key) in str(caught.value)
    assert not store.root.exists()
    assert sorted(p.name for p in store.root.parent.iterdir()) == []


def test_a_key_cannot_be_both_an_object_and_a_folder(store: LocalObjectStore) -> None:
    store.put("a", b"object")
    with pytest.raises(StoreError, match="'a/b'"):
        store.put("a/b", b"under an object")
    with pytest.raises(StoreError, match="'a/b'"):
        store.put_if_absent("a/b", b"under an object")
    assert store.get("a/b") is None
    assert not store.exists("a/b")
    store.put("c/d", b"1")
    with pytest.raises(StoreError, match="'c'") as caught:
        store.put_if_absent("c", b"folder")
    assert not isinstance(caught.value, AlreadyExists)
    with pytest.raises(StoreError, match="'c'"):
        store.put("c", b"folder")
    assert store.get("c") is None
    assert not store.exists("c")


def test_os_errors_name_the_key(store: LocalObjectStore) -> None:
    key = "dir/" + "n" * 300  # longer than any file system's name limit
    for operation in (store.put, store.put_if_absent):
        with pytest.raises(StoreError, match=f"'{key}'"):
            operation(key, b"x")
    with pytest.raises(StoreError, match=f"'{key}'"):
        store.get(key)
    with pytest.raises(StoreError, match=f"'{key}'"):
        store.exists(key)


PERMISSION_CHECK = """
import os
import sys
from pathlib import Path

import pytest

from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.handlers.ports import StoreError

# Everything is imported first: the interpreter and its libraries may live where the
# unprivileged user cannot read (a pyenv under /root). Then drop to that user for good.
uid, gid = int(sys.argv[2]), int(sys.argv[3])
if uid >= 0:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
assert os.geteuid() != 0, "still root: the permission check would prove nothing"

store = LocalObjectStore(Path(sys.argv[1]) / "store")
store.put("locked/x", b"1")
(store.root / "locked").chmod(0o500)
try:
    with pytest.raises(StoreError, match="'locked/y'"):
        store.put("locked/y", b"2")
    with pytest.raises(StoreError, match="'locked/z'.*permission denied"):
        store.put_if_absent("locked/z", b"3")  # an unnamed file (O_TMPFILE) where supported
    with pytest.raises(StoreError, match="'locked/w'"):
        with store.durability_batch(), store.group_commit() as group:
            group.commit_if_absent("locked/w", b"4")
    (store.root / "locked" / "x").chmod(0o000)
    with pytest.raises(StoreError, match="'locked/x'"):
        store.get("locked/x")
finally:
    (store.root / "locked").chmod(0o700)
print("permission check passed as uid", os.geteuid())
"""

UNPRIVILEGED = "nobody"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_os_errors_become_store_errors(tmp_path: Path) -> None:
    """Unreadable and unwritable folders give StoreErrors naming the key (issue 9: this test
    was skipped for root, and CI runs as root, so it never ran).

    Root ignores file modes, so the check runs in a subprocess that, as root, drops to
    `nobody` (setgroups/setgid/setuid once its imports are loaded: the interpreter may sit
    where `nobody` cannot read), on a store in a folder that user owns and can reach
    (tmp_path itself sits under root's private 0700 pytest folder). As any other user the
    same subprocess runs without the drop.
    """
    import pwd
    import shutil
    import subprocess
    import tempfile

    uid = gid = -1
    base = tmp_path
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam(UNPRIVILEGED)
        except KeyError:
            pytest.skip(f"running as root and there is no {UNPRIVILEGED!r} user to drop to")
        uid, gid = user.pw_uid, user.pw_gid
        base = Path(tempfile.mkdtemp(prefix="sweep-store-perm-", dir="/tmp"))
        os.chown(base, uid, gid)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", PERMISSION_CHECK, str(base), str(uid), str(gid)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
    finally:
        if base != tmp_path:
            shutil.rmtree(base, ignore_errors=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "permission check passed as uid" in proc.stdout
    assert f"uid {os.geteuid() if uid < 0 else uid}" in proc.stdout


def test_check_configured_creates_the_root(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "deep" / "root")
    store.check_configured()
    assert store.root.is_dir()
    assert list(store.root.iterdir()) == []
    store.check_configured()


def test_check_configured_fails_when_the_root_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"not a folder")
    with pytest.raises(StoreNotConfigured):
        LocalObjectStore(tmp_path / "file").check_configured()
    with pytest.raises(StoreNotConfigured):
        LocalObjectStore(tmp_path / "file" / "root").check_configured()


def test_relative_roots_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = LocalObjectStore("rel")
    assert store.root == tmp_path / "rel"
    store.put("k", b"v")
    assert (tmp_path / "rel" / "k").read_bytes() == b"v"


def test_store_root_from_env() -> None:
    assert store_root_from_env({}) == DEFAULT_STORE_ROOT == Path("sweep-data")
    assert store_root_from_env({"SWEEP_STORE": "  "}) == DEFAULT_STORE_ROOT
    assert store_root_from_env({"SWEEP_STORE": "/data/sweeps"}) == Path("/data/sweeps")


def test_without_fsync_writes_still_land(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path, fsync=False)
    store.put("a", b"1")
    store.put_if_absent("b", b"2")
    assert [store.get("a"), store.get("b")] == [b"1", b"2"]


def test_local_clock() -> None:
    clock = LocalClock()
    now = clock.now()
    assert now.tzinfo is UTC
    first = clock.monotonic()
    assert clock.monotonic() >= first


def test_non_bytes_data_is_a_type_error(store: LocalObjectStore) -> None:
    with pytest.raises(TypeError):
        store.put("a", "text")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    ["", ".", "..", ".tmp-x", "a\\b", "a\x00b"],
)
def test_a_bad_last_segment_is_refused_in_a_folder_already_found_valid(
    store: LocalObjectStore, name: str
) -> None:
    """Key folders found valid are remembered (tiny shards, issue 13): the last segment is
    still checked on every key."""
    store.put("runs/r1/ok.json", b"{}")  # the folder "runs/r1" is now known valid
    with pytest.raises(ValueError, match="invalid store key"):
        store.put(f"runs/r1/{name}", b"x")
    with pytest.raises(ValueError, match="invalid store key"):
        store.get(f"runs/r1/{name}")
    assert store.get("runs/r1/ok.json") == b"{}"


def test_unusual_but_valid_last_segments_still_work_in_a_known_folder(
    store: LocalObjectStore,
) -> None:
    store.put("runs/r1/a.json", b"1")
    for name in ["ü.json", "a b", "x%2E", "...", ".hidden"]:
        store.put(f"runs/r1/{name}", name.encode())
        assert store.get(f"runs/r1/{name}") == name.encode()
    assert store.path_for("runs/r1/a.json") == store.root / "runs" / "r1" / "a.json"
