"""`read_many`: a local store's objects are read on the calling thread, in order; any other
store's in a pool of threads, in order (issue 13: the pool's per-read cost dwarfed a local
read in the final compaction of a 10,000-shard run)."""

from __future__ import annotations

import threading
from pathlib import Path

from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import MemoryObjectStore
from serverless_sweep.handlers.bulk_reads import read_many


class ThreadNoting(LocalObjectStore):
    """The folder store, noting the thread of every read."""

    def __init__(self, root: Path, *, local: bool) -> None:
        super().__init__(root)
        self.reads_are_local = local  # type: ignore[misc]
        self.threads: set[str] = set()

    def get(self, key: str) -> bytes | None:
        self.threads.add(threading.current_thread().name)
        return super().get(key)


def _filled(store: LocalObjectStore, n: int) -> list[str]:
    keys = [f"env/{i:04d}.json" for i in range(n)]
    for i, key in enumerate(keys):
        if i % 7:
            store.put(key, b"%d" % i)
    return keys


def test_a_local_store_is_read_on_the_calling_thread_in_order(tmp_path: Path) -> None:
    store = ThreadNoting(tmp_path, local=True)
    keys = _filled(store, 50)
    found = list(read_many(store, keys, workers=8))
    assert found == [None if i % 7 == 0 else b"%d" % i for i in range(50)]
    assert store.threads == {threading.current_thread().name}


def test_a_remote_store_is_read_in_a_pool_in_order(tmp_path: Path) -> None:
    store = ThreadNoting(tmp_path, local=False)
    keys = _filled(store, 50)
    found = list(read_many(store, keys, workers=4))
    assert found == [None if i % 7 == 0 else b"%d" % i for i in range(50)]
    assert threading.current_thread().name not in store.threads


def test_the_shipped_local_stores_say_their_reads_are_local(tmp_path: Path) -> None:
    assert LocalObjectStore(tmp_path).reads_are_local is True
    assert MemoryObjectStore().reads_are_local is True
