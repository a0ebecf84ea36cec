"""Reading many objects of a store in order: on this thread for a local store, in a thread
pool for a remote one.

Compaction and the run ledger read every shard's envelope of a run. On S3 each read is a
network round trip, so a pool of threads keeps several in flight. On a local store a read is
a few microseconds of system calls, and a pool's per-task cost (a future, a lock, a wake-up)
is several times that: the final compaction of a 10,000-shard local run spent 0.8 of its
1.3 s of CPU handing reads to threads (issue 13). A store says its reads are local with a true
`reads_are_local` attribute (the folder and memory stores); any other store is read in a pool.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from serverless_sweep.handlers.ports import ObjectStore


def read_many(store: ObjectStore, keys: Sequence[str], workers: int) -> Iterator[bytes | None]:
    """`store.get(key)` for each key, in order (None for a missing key)."""
    if getattr(store, "reads_are_local", False) is True or workers <= 1 or len(keys) <= 1:
        return map(store.get, keys)
    return _pooled(store, keys, workers)


def _pooled(store: ObjectStore, keys: Sequence[str], workers: int) -> Iterator[bytes | None]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(store.get, keys)
