"""LocalObjectStore durability batches (issue 13): several group commits of one worker task
share one barrier. A commit object is neither durable nor visible before the batch's end,
create-if-absent still holds, a duplicate commit in the same batch is dropped, work that must
follow a commit runs after publication, and a failed barrier publishes nothing and says whose
commit it was. The SIGKILL cases are in tests/faults/test_faults_group_batch.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from serverless_sweep.adapters.local import store as store_module
from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.handlers.ports import AlreadyExists, StoreError


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "store")


def _temps(store: LocalObjectStore) -> list[str]:
    return [
        name
        for _, _, files in os.walk(store.root)
        for name in files
        if name.startswith(store_module.TEMP_PREFIX)
    ]


def test_commits_are_published_at_the_batch_end_after_their_files(
    store: LocalObjectStore,
) -> None:
    seen_in_callbacks: list[bytes | None] = []
    with store.durability_batch() as batch:
        for shard in range(3):
            batch.owner = shard
            with store.group_commit() as group:
                store.put_if_absent(f"data/{shard}.parquet", b"rows %d" % shard)
                group.commit_if_absent(f"env/{shard}.json", b"commit %d" % shard)
            store.when_published(
                lambda s=shard: seen_in_callbacks.append(store.get(f"env/{s}.json"))
            )
            assert store.get(f"data/{shard}.parquet") == b"rows %d" % shard  # published at once
            assert store.get(f"env/{shard}.json") is None  # not before the barrier
        assert seen_in_callbacks == []
    assert [store.get(f"env/{s}.json") for s in range(3)] == [b"commit %d" % s for s in range(3)]
    assert seen_in_callbacks == [b"commit 0", b"commit 1", b"commit 2"]
    assert batch.problems == {}
    assert _temps(store) == []


def test_create_if_absent_is_decided_at_once_and_a_duplicate_in_the_batch_is_dropped(
    store: LocalObjectStore,
) -> None:
    store.put_if_absent("env/old.json", b"first")
    with store.durability_batch() as batch:
        with store.group_commit() as group, pytest.raises(AlreadyExists):
            group.commit_if_absent("env/old.json", b"second")
        with store.group_commit() as group:
            group.commit_if_absent("env/new.json", b"one")
        batch.owner = 1
        with store.group_commit() as group:
            group.commit_if_absent("env/new.json", b"two")  # not yet visible: queued too
    assert store.get("env/old.json") == b"first"
    assert store.get("env/new.json") == b"one"  # the first commit won, nothing overwritten
    assert batch.problems == {}
    assert _temps(store) == []


def test_a_failed_barrier_publishes_nothing_and_names_the_commits_owners(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with store.durability_batch() as batch:
        for shard in range(3):
            batch.owner = shard
            with store.group_commit() as group:
                store.put_if_absent(f"data/{shard}", b"x")
                group.commit_if_absent(f"env/{shard}", b"y")
        monkeypatch.setattr(store_module.os, "fsync", broken_fsync)
    assert sorted(batch.problems) == [0, 1, 2]
    assert all(isinstance(p, StoreError) for p in batch.problems.values())
    assert "free space" in str(batch.problems[0])
    assert [store.get(f"env/{s}") for s in range(3)] == [None, None, None]
    assert _temps(store) == []


def test_an_error_in_the_block_publishes_none_of_its_commits(store: LocalObjectStore) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.durability_batch():
        with store.group_commit() as group:
            group.commit_if_absent("env/0", b"y")
        raise RuntimeError("boom")
    assert store.get("env/0") is None
    assert _temps(store) == []


def test_outside_a_batch_work_after_a_commit_runs_at_once(store: LocalObjectStore) -> None:
    ran: list[int] = []
    store.when_published(lambda: ran.append(1))
    assert ran == [1]
    with (
        store.durability_batch(),
        pytest.raises(RuntimeError, match="already open"),
        store.durability_batch(),
    ):
        pass


def test_an_empty_marker_is_one_exclusive_create(store: LocalObjectStore) -> None:
    store.put_if_absent("done/0/1", b"")
    with pytest.raises(AlreadyExists):
        store.put_if_absent("done/0/1", b"")
    with store.durability_batch():
        store.put_if_absent("done/0/2", b"")
        assert store.get("done/0/2") == b""  # visible at once, whole
    assert sorted(store.list_keys("done/0/")) == ["done/0/1", "done/0/2"]
    store.put("file", b"x")
    with pytest.raises(StoreError, match="cannot write"):
        store.put_if_absent("file/marker", b"")  # a key cannot also be a folder


def _batch_of(store: LocalObjectStore, shards: int) -> store_module.DurabilityBatch:
    with store.durability_batch() as batch:
        for shard in range(shards):
            batch.owner = shard
            with store.group_commit() as group:
                store.put_if_absent(f"data/{shard}", b"x")
                group.commit_if_absent(f"env/{shard}", b"y")
    return batch


def test_a_large_barrier_syncs_the_file_system_once_instead_of_each_file(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store_module._syncfs_function() is None:
        pytest.skip("syncfs cannot be trusted on this system (not Linux 5.8+): fsyncs are used")
    synced: list[int] = []
    fsynced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(store_module, "_SYNCFS", [lambda fd: synced.append(os.fstat(fd).st_dev)])
    monkeypatch.setattr(store_module.os, "fsync", lambda fd: fsynced.append(fd) or real_fsync(fd))
    shards = store_module.SYNCFS_MIN_FILES  # 2 files each: above the threshold
    batch = _batch_of(store, shards)
    assert batch.problems == {}
    assert synced == [os.stat(store.root).st_dev]  # one call for the store's file system
    assert fsynced == []
    assert [store.get(f"env/{s}") for s in range(shards)] == [b"y"] * shards

    synced.clear()
    small = LocalObjectStore(store.root / "small")
    batch = _batch_of(small, 2)  # 4 files: below the threshold, each fsynced
    assert synced == [] and len(fsynced) == 4


def test_a_failed_file_system_sync_publishes_nothing_and_names_every_owner(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_syncfs(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(store_module, "_SYNCFS", [failing_syncfs])
    shards = store_module.SYNCFS_MIN_FILES
    batch = _batch_of(store, shards)
    assert sorted(batch.problems) == list(range(shards))
    assert "cannot make the batch's writes durable" in str(batch.problems[0])
    assert "Input/output error" in str(batch.problems[0])
    assert [store.get(f"env/{s}") for s in range(shards)] == [None] * shards
    assert _temps(store) == []


def test_syncfs_is_refused_where_it_does_not_report_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    class Uname:
        sysname = "Linux"
        release = "5.4.0-150-generic"

    monkeypatch.setattr(store_module.sys, "platform", "linux")
    monkeypatch.setattr(store_module.os, "uname", lambda: Uname())
    assert store_module._load_syncfs() is None  # before 5.8, write-back errors went unreported
    Uname.release = "6.1.0"
    assert store_module._load_syncfs() is not None
    monkeypatch.setattr(store_module.sys, "platform", "darwin")
    assert store_module._load_syncfs() is None


def test_a_long_batch_flushes_early_and_its_barrier_still_syncs_after_the_last_write(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store_module._syncfs_function()
    if real is None:
        pytest.skip("syncfs cannot be trusted on this system (not Linux 5.8+): no early flush")
    written: list[str] = []
    seen_at_sync: list[int] = []  # how many commits had been written when each syncfs ran

    def recording_syncfs(fd: int) -> None:
        seen_at_sync.append(len(written))
        real(fd)

    monkeypatch.setattr(store_module, "_SYNCFS", [recording_syncfs])
    shards = store_module.EARLY_FLUSH_FILES  # 2 files each: the early flush starts half-way
    with store.durability_batch() as batch:
        for shard in range(shards):
            batch.owner = shard
            with store.group_commit() as group:
                store.put_if_absent(f"data/{shard}", b"x")
                group.commit_if_absent(f"env/{shard}", b"y")
            written.append(f"env/{shard}")
            assert store.get(f"env/{shard}") is None  # an early flush publishes nothing
    assert batch.problems == {}
    assert len(seen_at_sync) >= 2  # at least one early flush, then the barrier
    assert seen_at_sync[-1] == shards  # the barrier's sync came after every write
    assert [store.get(f"env/{s}") for s in range(shards)] == [b"y"] * shards


def test_a_failed_early_flush_is_left_to_the_barrier(
    store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store_module._syncfs_function() is None:
        pytest.skip("syncfs cannot be trusted on this system (not Linux 5.8+): no early flush")
    calls: list[int] = []

    def first_fails(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(store_module, "_SYNCFS", [first_fails])
    batch = _batch_of(store, store_module.EARLY_FLUSH_FILES)
    assert len(calls) >= 2
    assert batch.problems == {}  # the barrier's own sync succeeded: every commit published
    shards = store_module.EARLY_FLUSH_FILES
    assert [store.get(f"env/{s}") for s in range(shards)] == [b"y"] * shards
