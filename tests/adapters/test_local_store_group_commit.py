"""LocalObjectStore group commits (issue 13): writes in a group publish at once, the commit
object is made durable together with them and only then published, create-if-absent holds
throughout. The fsync calls are observed with a spy around the real `os.fsync` (it still
runs); the SIGKILL cases are in tests/faults/test_faults_group_commit.py."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from serverless_sweep.adapters.local import store as store_module
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.handlers.ports import AlreadyExists, StoreError


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "store")


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The files fsynced (as store keys seen at the time: which keys existed), in order."""
    seen: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        seen.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(store_module.os, "fsync", spy)
    yield seen


def _has_proc() -> bool:
    return os.path.isdir("/proc/self/fd")


def _unpublished(seen: str) -> bool:
    """Whether an fsynced file had no key's name yet: a named temp file (`.tmp-...`), or an
    unnamed one (O_TMPFILE: /proc shows `<folder>/#<inode> (deleted)`)."""
    name = os.path.basename(seen)
    return name.startswith(store_module.TEMP_PREFIX) or (
        name.startswith("#") and name.endswith(" (deleted)")
    )


pytestmark = pytest.mark.skipif(not _has_proc(), reason="needs /proc/self/fd to name fsynced files")


def test_a_group_publishes_at_once_and_syncs_everything_before_its_commit(
    store: LocalObjectStore, fsyncs: list[str]
) -> None:
    with store.group_commit() as group:
        store.put_if_absent("run/part-1.parquet", b"rows")
        assert store.get("run/part-1.parquet") == b"rows"  # published at once
        assert fsyncs == []  # its fsync is deferred
        with pytest.raises(AlreadyExists):  # create-if-absent decided at once
            store.put_if_absent("run/part-1.parquet", b"other")
        group.commit_if_absent("run/success.json", b"{}")
        assert store.get("run/success.json") == b"{}"
    assert store.get("run/part-1.parquet") == b"rows"  # never overwritten
    # Both files were made durable in one barrier, before the commit key was published: the
    # commit was still a temp file when it was fsynced.
    assert len(fsyncs) == 2
    assert fsyncs[0].endswith("/run/part-1.parquet")
    assert _unpublished(fsyncs[1])
    assert sorted(store.list_keys("run/")) == ["run/part-1.parquet", "run/success.json"]


def test_a_commit_that_exists_is_refused_and_leaves_no_temp_file(
    store: LocalObjectStore,
) -> None:
    store.put_if_absent("run/success.json", b"first")
    with store.group_commit() as group:
        store.put_if_absent("run/part-2.parquet", b"rows")
        with pytest.raises(AlreadyExists):
            group.commit_if_absent("run/success.json", b"second")
    assert store.get("run/success.json") == b"first"
    assert sorted(os.listdir(store.root / "run")) == ["part-2.parquet", "success.json"]


def test_the_group_end_syncs_what_is_pending_even_when_the_block_fails(
    store: LocalObjectStore, fsyncs: list[str]
) -> None:
    with pytest.raises(RuntimeError, match="model broke"), store.group_commit():
        store.put("run/a.json", b"a")
        assert fsyncs == []
        raise RuntimeError("model broke")
    assert [os.path.basename(f) for f in fsyncs] == ["a.json"]
    fsyncs.clear()
    with store.group_commit() as group:
        store.put("run/b.json", b"b")
        group.commit("run/a.json", b"a2")  # an overwriting commit (a repair)
    assert store.get("run/a.json") == b"a2"
    assert os.path.basename(fsyncs[0]) == "b.json" and len(fsyncs) == 2


def test_groups_belong_to_their_thread(store: LocalObjectStore, fsyncs: list[str]) -> None:
    """The parent's dispatcher threads share one store: another thread's writes during a group
    are synced at once, as outside any group."""
    with store.group_commit():
        store.put_if_absent("run/deferred.json", b"x")
        other = threading.Thread(target=store.put_if_absent, args=("run/other.json", b"y"))
        other.start()
        other.join()
        assert len(fsyncs) == 1 and _unpublished(fsyncs[0])
        with pytest.raises(RuntimeError, match="already open"), store.group_commit():
            pass
    assert len(fsyncs) == 2 and fsyncs[1].endswith("/run/deferred.json")


def test_a_failing_barrier_refuses_the_commit(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the data cannot be made durable (EIO), the commit is not published and the error
    names the key."""

    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    with store.group_commit() as group:
        store.put_if_absent("run/part-3.parquet", b"rows")
        monkeypatch.setattr(store_module.os, "fsync", failing)
        with pytest.raises(StoreError, match=r"run/success\.json"):
            group.commit_if_absent("run/success.json", b"{}")
        monkeypatch.undo()
    assert store.get("run/success.json") is None
    assert sorted(os.listdir(store.root / "run")) == ["part-3.parquet"]


def test_without_fsync_a_group_still_publishes(tmp_path: Path, fsyncs: list[str]) -> None:
    store = LocalObjectStore(tmp_path / "store", fsync=False)
    with store.group_commit() as group:
        store.put_if_absent("k/a", b"a")
        group.commit_if_absent("k/b", b"b")
    assert (store.get("k/a"), store.get("k/b"), fsyncs) == (b"a", b"b", [])
