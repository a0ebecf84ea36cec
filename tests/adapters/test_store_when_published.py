"""`ObjectStore.when_published` is a port method (issue 13): the child calls it on every store
instead of probing for it. The memory store runs the callback at once; the local store at once
outside a durability batch and after the batch publishes its commits inside one (the batch
cases are in test_local_store_batch.py); S3 is tested on moto in tests/aws."""

from __future__ import annotations

from pathlib import Path

from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import MemoryObjectStore
from serverless_sweep.handlers.ports import ObjectStore


def test_memory_store_runs_the_callback_at_once() -> None:
    store = MemoryObjectStore()
    assert isinstance(store, ObjectStore)
    store.put("k", b"v")
    seen: list[bytes | None] = []
    store.when_published(lambda: seen.append(store.get("k")))
    assert seen == [b"v"]


def test_local_store_runs_it_at_once_outside_a_batch_and_after_publication_inside(
    tmp_path: Path,
) -> None:
    store = LocalObjectStore(tmp_path / "store")
    assert isinstance(store, ObjectStore)
    seen: list[bytes | None] = []
    store.when_published(lambda: seen.append(b"now"))
    assert seen == [b"now"]
    with store.durability_batch():
        with store.group_commit() as group:
            group.commit_if_absent("env/1.json", b"commit")
        store.when_published(lambda: seen.append(store.get("env/1.json")))
        assert seen == [b"now"]  # the commit is not published yet: neither is the callback
    assert seen == [b"now", b"commit"]
