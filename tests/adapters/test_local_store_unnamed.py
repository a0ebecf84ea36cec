"""LocalObjectStore's lean write and read paths (issue 13): new files start unnamed (Linux's
O_TMPFILE) and get their key's name in one create-if-absent link, a file system without them
falls back to named temp files, a batch holds a bounded number of unnamed commits open, and a
read is one open. Real files under tmp_path; a SIGKILL for real in a subprocess."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from serverless_sweep.adapters.local import store as store_module
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.handlers.ports import AlreadyExists, StoreError

UNNAMED = store_module._unnamed_files_possible()
needs_unnamed = pytest.mark.skipif(
    not UNNAMED, reason="no O_TMPFILE or no /proc/self/fd here: named temp files are used"
)


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "store")


def _all_entries(root: Path) -> list[str]:
    """Every file under root, temp files included."""
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def links(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, list[str]]]]:
    """(source, the destination folder's entries at that moment) of every link the store
    makes (the real os.link still runs)."""
    seen: list[tuple[str, list[str]]] = []
    real = os.link

    def spy(src: str, dst: str, *args: object, **kwargs: object) -> None:
        seen.append((str(src), sorted(os.listdir(os.path.dirname(dst)))))
        real(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module.os, "link", spy)
    yield seen


def _refuse_unnamed(monkeypatch: pytest.MonkeyPatch, code: int) -> list[int]:
    """Make open(O_TMPFILE) fail with `code`, as a file system (or kernel) without unnamed
    files does; returns the list of refusals."""
    refused: list[int] = []
    real_open = os.open
    tmpfile = getattr(os, "O_TMPFILE", 0)

    def open_(path: str, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        if tmpfile and flags & tmpfile == tmpfile:
            refused.append(flags)
            raise OSError(code, os.strerror(code))
        return real_open(path, flags, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module.os, "open", open_)
    return refused


@needs_unnamed
def test_new_files_have_no_name_until_their_key_is_linked(
    store: LocalObjectStore, links: list[tuple[str, list[str]]]
) -> None:
    store.put_if_absent("run/part-1.parquet", b"rows")
    with store.group_commit() as group:
        store.put_if_absent("run/part-2.parquet", b"rows 2")
        group.commit_if_absent("run/part-2.json", b"{}")
    with store.durability_batch(), store.group_commit() as group:
        store.put_if_absent("run/part-3.parquet", b"rows 3")
        group.commit_if_absent("run/part-3.json", b"{}")
    assert len(links) == 5
    for source, entries in links:
        assert source.startswith("/proc/self/fd/")  # the unnamed file's descriptor
        assert not [e for e in entries if e.startswith(store_module.TEMP_PREFIX)]
    assert _all_entries(store.root) == [
        f"run/part-{n}.{ext}"
        for n in (1, 2, 3)
        for ext in ("json", "parquet")
        if (n, ext) != (1, "json")
    ]
    assert store.get("run/part-3.json") == b"{}"


@needs_unnamed
def test_create_if_absent_refuses_an_existing_key_and_leaves_nothing(
    store: LocalObjectStore,
) -> None:
    store.put_if_absent("run/a", b"first")
    fds = _open_fds()
    for _ in range(3):
        with pytest.raises(AlreadyExists):
            store.put_if_absent("run/a", b"second")
        with store.group_commit() as group, pytest.raises(AlreadyExists):
            group.commit_if_absent("run/a", b"third")
    store.put("run/b/c", b"x")
    with pytest.raises(StoreError, match="a folder of other keys") as caught:
        store.put_if_absent("run/b", b"folder")
    assert not isinstance(caught.value, AlreadyExists)
    assert store.get("run/a") == b"first"
    assert _all_entries(store.root) == ["run/a", "run/b/c"]
    assert _open_fds() == fds  # every unnamed file that lost was closed (and so freed)


@pytest.mark.parametrize("code", [errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL])
def test_without_unnamed_files_the_store_falls_back_to_named_temp_files(
    store: LocalObjectStore,
    monkeypatch: pytest.MonkeyPatch,
    links: list[tuple[str, list[str]]],
    code: int,
) -> None:
    """EOPNOTSUPP: the file system has no O_TMPFILE; EISDIR: a kernel before 3.11 read the
    flag as O_DIRECTORY. The write still happens, atomically, and the store stops trying."""
    store._unnamed = True  # as where O_TMPFILE exists
    refused = _refuse_unnamed(monkeypatch, code)
    store.put_if_absent("run/part-1.parquet", b"rows")
    assert store._unnamed is False and len(refused) == 1
    with pytest.raises(AlreadyExists):
        store.put_if_absent("run/part-1.parquet", b"other")
    with store.durability_batch() as batch:
        for shard in (2, 3):
            with store.group_commit() as group:
                store.put_if_absent(f"run/part-{shard}.parquet", b"rows")
                group.commit_if_absent(f"run/part-{shard}.json", b"{}")
    with store.group_commit() as group:
        group.commit_if_absent("run/part-4.json", b"{}")
    assert batch.problems == {} and len(refused) == 1  # tried once only
    assert [source.startswith(str(store.root)) for source, _ in links] == [True] * len(links)
    assert store.get("run/part-1.parquet") == b"rows"
    assert [store.get(f"run/part-{s}.json") for s in (2, 3, 4)] == [b"{}"] * 3
    assert not [e for e in _all_entries(store.root) if "/.tmp-" in e]


def test_a_process_without_proc_uses_named_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: list[tuple[str, list[str]]]
) -> None:
    monkeypatch.setattr(store_module, "_UNNAMED_POSSIBLE", [False])
    store = LocalObjectStore(tmp_path / "store")
    store.put_if_absent("run/a", b"1")
    assert links and links[0][0].startswith(str(store.root / "run" / store_module.TEMP_PREFIX))
    assert store.get("run/a") == b"1" and _all_entries(store.root) == ["run/a"]


def test_a_real_error_of_an_unnamed_file_is_not_taken_for_a_missing_feature(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store._unnamed = True
    _refuse_unnamed(monkeypatch, errno.ENOSPC)
    with pytest.raises(StoreError, match=r"'run/a'.*free space"):
        store.put_if_absent("run/a", b"1")
    assert store._unnamed is True  # a full disk is no reason to give up unnamed files


@needs_unnamed
@pytest.mark.parametrize("failing", ["write", "fsync"])
def test_a_failed_write_leaves_nothing_and_names_the_key(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    store.put("run/seed", b"x")  # the folder exists
    fds = _open_fds()

    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, failing, full)
    with pytest.raises(StoreError, match=r"'run/part-1\.parquet'.*free space"):
        store.put_if_absent("run/part-1.parquet", b"rows")
    monkeypatch.undo()
    assert _all_entries(store.root) == ["run/seed"]
    assert _open_fds() == fds


@needs_unnamed
def test_a_batch_holds_a_bounded_number_of_unnamed_commits(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch, links: list[tuple[str, list[str]]]
) -> None:
    monkeypatch.setattr(store_module, "MAX_HELD_FILES", 2)
    fds = _open_fds()
    with store.durability_batch() as batch:
        for shard in range(5):
            batch.owner = shard
            with store.group_commit() as group:
                store.put_if_absent(f"run/part-{shard}.parquet", b"rows")
                group.commit_if_absent(f"run/part-{shard}.json", b"{}")
        assert batch.held == 2
        assert _open_fds() == fds + 2  # two unnamed commits wait; three named temp files
        assert len([e for e in _all_entries(store.root) if "/.tmp-" in e]) == 3
    assert batch.problems == {} and batch.held == 0
    commits = [source for source, _ in links if not source.startswith("/proc/self/fd/")]
    assert len(commits) == 3  # the named ones
    assert [store.get(f"run/part-{s}.json") for s in range(5)] == [b"{}"] * 5
    assert not [e for e in _all_entries(store.root) if "/.tmp-" in e]
    assert _open_fds() == fds


@needs_unnamed
def test_dropped_commits_release_their_unnamed_files(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    fds = _open_fds()
    with pytest.raises(RuntimeError, match="boom"), store.durability_batch():
        with store.group_commit() as group:
            group.commit_if_absent("env/0", b"y")
        assert _open_fds() == fds + 1
        raise RuntimeError("boom")
    assert _open_fds() == fds and store.get("env/0") is None

    def broken_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    with store.durability_batch() as batch:
        with store.group_commit() as group:
            group.commit_if_absent("env/1", b"y")
        monkeypatch.setattr(store_module.os, "fsync", broken_fsync)
    monkeypatch.undo()
    assert "Input/output error" in str(batch.problems[0])
    assert _open_fds() == fds and store.get("env/1") is None
    assert _all_entries(store.root) == []


KILLED_WRITER = r"""
import os, signal, sys
from serverless_sweep.adapters.local import store as store_module
from serverless_sweep.adapters.local.store import LocalObjectStore

root, where = sys.argv[1], sys.argv[2]
real_link, real_write = os.link, os.write

def link(src, dst, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # written, not yet named

def write(fd, data):
    real_write(fd, data[: len(data) // 2])
    os.kill(os.getpid(), signal.SIGKILL)  # half written

store = LocalObjectStore(root)
store.put("run/seed", b"x")
if where == "before-link":
    store_module.os.link = link
else:
    store_module.os.write = write
store.put_if_absent("run/part-1.parquet", b"rows" * 10_000)
print("not killed")
"""


@needs_unnamed
@pytest.mark.parametrize("where", ["mid-write", "before-link"])
def test_a_sigkill_mid_write_leaves_no_file_at_all(tmp_path: Path, where: str) -> None:
    """An unnamed file dies with its process: no partial object under the key, and not even
    a temp file to clean up (a named temp file would stay behind)."""
    root = tmp_path / "store"
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(root), where],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)
    assert _all_entries(root) == ["run/seed"]
    store = LocalObjectStore(root)
    assert store.get("run/part-1.parquet") is None
    store.put_if_absent("run/part-1.parquet", b"retry")  # the retry's create succeeds
    assert store.get("run/part-1.parquet") == b"retry"


def test_get_reads_the_whole_object_even_in_short_reads(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = bytes(range(256)) * 4096  # 1 MiB
    store.put("a/big", big)
    store.put("a/empty", b"")
    store.put("a/small", b"x")
    real_read = os.read
    monkeypatch.setattr(store_module.os, "read", lambda fd, n: real_read(fd, min(n, 1000)))
    assert store.get("a/big") == big
    assert store.get("a/empty") == b""
    assert store.get("a/small") == b"x"
    monkeypatch.undo()
    assert store.get("a/big") == big
    assert store.get("a") is None  # a folder of other keys is no object
    assert store.get("a/big/x") is None  # under an object
    assert store.get("a/missing") is None


def test_get_of_a_file_that_grew_past_its_size_reads_it_all(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Published objects never change in place; should one (a foreign writer), the read
    still goes to the end instead of trusting the size it saw."""
    store.put("a/b", b"0123456789")
    real_fstat = os.fstat

    class Shrunk:
        def __init__(self, info: os.stat_result) -> None:
            self.st_mode, self.st_size = info.st_mode, 4

    monkeypatch.setattr(store_module.os, "fstat", lambda fd: Shrunk(real_fstat(fd)))
    assert store.get("a/b") == b"0123456789"


def test_known_folders_give_the_same_paths_as_a_fresh_store(tmp_path: Path) -> None:
    """Remembered folders make a key's path one concatenation: the same text as the checked
    way, for a root of '/' too (where os.path.join does not double the slash)."""
    keys = ["a/b/c.json", "a/b/d", "run_index/x.json", "top"]
    for root in (tmp_path / "store", Path("/")):
        warm = LocalObjectStore(root)
        for key in keys * 2:
            expected = os.path.join(os.fspath(root), key)
            assert warm._file_of(key) == expected
            assert warm._where(key) == (os.path.dirname(expected), expected)
            assert LocalObjectStore(root).path_for(key) == Path(expected)


def test_a_held_commit_is_published_even_when_its_folder_was_made_by_the_batch(
    store: LocalObjectStore,
) -> None:
    """A commit into a folder nobody created yet: the unnamed file's folder is made first."""
    with store.durability_batch() as batch, store.group_commit() as group:
        group.commit_if_absent("new/folder/env.json", json.dumps({"a": 1}).encode())
    assert batch.problems == {}
    assert json.loads(store.get("new/folder/env.json") or b"") == {"a": 1}


def test_short_writes_are_completed(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    monkeypatch.setattr(store_module.os, "write", lambda fd, data: real_write(fd, data[:1000]))
    data = bytes(range(256)) * 40
    store.put_if_absent("a/new", data)
    store.put("a/replaced", data)
    with store.durability_batch(), store.group_commit() as group:
        group.commit_if_absent("a/commit", data)
    monkeypatch.undo()
    assert [store.get(k) for k in ("a/new", "a/replaced", "a/commit")] == [data] * 3


def test_a_batch_commit_sees_a_dangling_symlink_as_taken(store: LocalObjectStore) -> None:
    """Create-if-absent decided at once inside a batch counts any entry, as link would."""
    store.put("a/x", b"1")
    os.symlink(store.root / "nowhere", store.root / "a" / "link")
    with store.durability_batch(), store.group_commit() as group:
        with pytest.raises(AlreadyExists):
            group.commit_if_absent("a/link", b"2")
        group.commit_if_absent("a/free", b"3")
    assert store.get("a/free") == b"3"
    assert os.readlink(store.root / "a" / "link") == str(store.root / "nowhere")


@needs_unnamed
def test_held_commits_stay_within_a_quarter_of_the_descriptor_limit(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    monkeypatch.setattr(store_module, "_FD_QUARTER", [])
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    try:
        assert store_module._held_limit() == 16
        with store.durability_batch() as batch:
            for shard in range(20):
                with store.group_commit() as group:
                    group.commit_if_absent(f"env/{shard}", b"y")
            assert batch.held == 16
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert batch.problems == {}
    assert [store.get(f"env/{s}") for s in range(20)] == [b"y"] * 20
    monkeypatch.setattr(store_module, "_FD_QUARTER", [])
    assert store_module._held_limit() == min(store_module.MAX_HELD_FILES, soft // 4)


def test_any_bytes_like_data_is_written_whole_even_in_short_writes(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import array

    numbers = array.array("i", range(1000))  # 4,000 bytes, 1,000 items
    real_write = os.write
    monkeypatch.setattr(store_module.os, "write", lambda fd, data: real_write(fd, data[:999]))
    store.put_if_absent("a/view", memoryview(numbers))
    store.put_if_absent("a/array", bytearray(numbers.tobytes()))
    monkeypatch.undo()
    assert store.get("a/view") == numbers.tobytes()
    assert store.get("a/array") == numbers.tobytes()
