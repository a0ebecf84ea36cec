"""Compaction after a durability batch of tiny shards (issue 13), on the real local store.

The shards of one batch are marked done together (one marker per run of consecutive shards,
one listing per completion group) and their rows are written once more as one chunk, so the
compactor need not decode one tiny file per shard. What must still hold: run_metrics has
exactly the committed files' rows, byte for byte the parts a compactor reading only the files
writes; a chunk that is damaged, or lists another file than the one committed (a retry that
adopted an earlier delivery's file), is never used."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from compaction_helpers import (
    LAYOUT,
    TickingClock,
    child_handler,
    run_batch,
    run_record,
    submit_run,
    uncompact,
)

from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore
from serverless_sweep.handlers import child as child_module
from serverless_sweep.handlers import compaction
from serverless_sweep.handlers.child import ChildHandler
from serverless_sweep.handlers.compaction import (
    CommittedRows,
    chunk_folder,
    committed_record,
    compact_run,
    mark_done_many,
    write_chunk,
)
from serverless_sweep.handlers.runs import RunRecord, find_run

SHARDS = 150  # three completion groups of 64 at level 0: 64, 64 and 22 shards


class CountingStore(LocalObjectStore):
    """The local store, counting reads of shard files and the completion markers written."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.shard_file_reads: Counter[str] = Counter()
        self.markers: list[str] = []

    def get(self, key: str) -> bytes | None:
        if "dataset=shard_metrics/" in key:
            self.shard_file_reads[key] += 1
        return super().get(key)

    def put_if_absent(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        super().put_if_absent(key, data, content_type)
        if "/compaction/done/" in key:
            self.markers.append(key.rpartition("/compaction/done/")[2])


@pytest.fixture
def store(tmp_path: Path) -> CountingStore:
    return CountingStore(tmp_path / "store")


def _submit(store: LocalObjectStore, shards: int = SHARDS) -> list[dict[str, Any]]:
    return submit_run(store, shards)


def _child(store: object, clock: FixedClock | None = None) -> ChildHandler:
    return child_handler(store, clock or FixedClock())  # type: ignore[arg-type]


def _run_batch(store: LocalObjectStore, events: list[dict[str, Any]]) -> None:
    run_batch(store, events, FixedClock())


def _committed_rows(store: LocalObjectStore, record: RunRecord) -> pa.Table:
    """Every shard's committed file, as the envelopes name them, in point order."""
    tables = []
    for shard in record.shards:
        key = LAYOUT.success_outcome_key(record.run_date, record.run_id, shard.shard_id)
        envelope = json.loads(LocalObjectStore.get(store, key) or b"")
        data = LocalObjectStore.get(store, envelope["output_metadata"]["metrics_key"])
        tables.append(pq.read_table(pa.BufferReader(data)))
    return pa.concat_tables(tables).sort_by("point_index")


def _run_metrics(store: LocalObjectStore, record: RunRecord) -> pa.Table:
    result = committed_record(store, LAYOUT, record)
    assert result is not None
    tables = [pq.read_table(pa.BufferReader(store.get(p.key))) for p in result.parts]
    return pa.concat_tables(tables)


def _outputs(store: LocalObjectStore, record: RunRecord) -> dict[str, bytes | None]:
    result = committed_record(store, LAYOUT, record)
    assert result is not None
    keys = [p.key for p in result.parts] + [p.key for p in result.pages]
    return {key: store.get(key) for key in keys}


def test_one_batch_writes_a_marker_per_group_and_one_chunk_and_reads_no_shard_file(
    store: CountingStore,
) -> None:
    events = _submit(store)
    _run_batch(store, events)
    # level 0: the three groups' runs of shards; level 1: groups 0-2 in one marker
    assert sorted(store.markers) == ["0-0/0-63", "0-1/64-127", "0-2/128-149", "1-0/0-2"]
    record = run_record(store)
    assert _run_metrics(store, record).equals(_committed_rows(store, record))
    chunks = list(store.list_keys(chunk_folder(LAYOUT, record.run_date, record.run_id)))
    assert len(chunks) == 1
    # the compactor took every row from the chunk (the reads above are the test's own)
    store.shard_file_reads.clear()
    uncompact(store, record)
    compact_run(store, LAYOUT, record)
    assert store.shard_file_reads == Counter()


def test_batches_of_scattered_shards_complete_the_run_once(store: CountingStore) -> None:
    events = _submit(store)
    _run_batch(store, events[0::2])
    _run_batch(store, events[1::3])
    record = run_record(store)
    assert committed_record(store, LAYOUT, record) is None  # a third of the odd ones missing
    rest = [e for i, e in enumerate(events) if i % 2 == 1 and i % 3 != 1]
    _run_batch(store, rest)
    assert _run_metrics(store, record).equals(_committed_rows(store, record))
    assert len(store.markers) == len(set(store.markers))  # every marker written once


@pytest.mark.parametrize("part_rows", [40, 100_000])
def test_parts_from_chunks_are_byte_identical_to_parts_from_the_files(
    store: CountingStore, part_rows: int
) -> None:
    events = _submit(store)
    _run_batch(store, events[:100])
    _run_batch(store, events[100:])  # two chunks; parts of 40 rows straddle them
    record = run_record(store)
    uncompact(store, record)
    compact_run(store, LAYOUT, record, part_rows=part_rows)
    from_chunks = _outputs(store, record)
    assert store.shard_file_reads == Counter()

    chunks = store.root / chunk_folder(LAYOUT, record.run_date, record.run_id)
    shutil.rmtree(chunks)
    uncompact(store, record)
    compact_run(store, LAYOUT, record, part_rows=part_rows)
    assert _outputs(store, record) == from_chunks
    assert sum(store.shard_file_reads.values()) == SHARDS  # each file read once


def test_a_damaged_chunk_is_ignored_and_the_files_are_read(store: CountingStore) -> None:
    events = _submit(store)
    _run_batch(store, events)
    record = run_record(store)
    expected = _outputs(store, record)
    [chunk] = store.list_keys(chunk_folder(LAYOUT, record.run_date, record.run_id))
    path = store.path_for(chunk)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped bit: the bytes no longer match the name
    path.write_bytes(bytes(data))
    store.shard_file_reads.clear()
    uncompact(store, record)
    compact_run(store, LAYOUT, record)
    assert _outputs(store, record) == expected
    assert sum(store.shard_file_reads.values()) == SHARDS


def test_a_chunk_that_lists_another_checksum_is_not_used(store: CountingStore) -> None:
    events = _submit(store, shards=4)
    child = _child(store)
    for event in events:
        child.handle(event)  # one by one: no batch, no chunk
    record = run_record(store)
    expected = _outputs(store, record)
    real = _committed_rows(store, record).to_pylist()
    forged = [
        CommittedRows(row["shard_id"], f"not/{row['shard_id']}", "0" * 64, [row])
        for row in ({**r, "compute_ms": 99.0} for r in real)
    ]
    write_chunk(store, LAYOUT, record.run_date, record.run_id, "legacy_hash", forged)
    uncompact(store, record)
    compact_run(store, LAYOUT, record)
    assert _outputs(store, record) == expected


def test_a_retry_that_adopted_an_earlier_file_gets_its_rows_from_that_file(
    store: CountingStore,
) -> None:
    events = _submit(store, shards=6)
    # An earlier delivery of shard 2 wrote its file (other compute_ms) but no envelope.
    earlier = MemoryObjectStore()
    _child(earlier, TickingClock()).handle(events[2])
    [key] = [k for k in earlier.list_keys("") if "dataset=shard_metrics/" in k]
    adopted = earlier.get(key)
    assert adopted is not None
    store.put_if_absent(key, adopted)
    _run_batch(store, events)
    record = run_record(store)
    assert LocalObjectStore.get(store, key) == adopted  # adopted, never overwritten
    table = _run_metrics(store, record)
    assert table.equals(_committed_rows(store, record))
    row = table.filter(pa.compute.equal(table.column("shard_id"), 2)).to_pylist()[0]
    assert row["compute_ms"] > 0  # the adopted file's value, not the batch's (0 here)


def test_mark_done_many_counts_single_and_range_markers() -> None:
    store = MemoryObjectStore()
    _submit(store, shards=10)  # type: ignore[arg-type]
    record = find_run(store, LAYOUT, "r1")
    assert record is not None
    run = (record.run_date, record.run_id)
    assert not compaction.mark_done(store, LAYOUT, *run, 3)  # a lone shard: "3"
    assert not mark_done_many(store, LAYOUT, *run, [0, 1, 2, 5, 6, 42, -1])  # not planned: 42, -1
    assert not mark_done_many(store, LAYOUT, *run, [4, 5, 7, 8])
    done = compaction.compaction_folder(LAYOUT, *run) + "done/0-0/"
    assert sorted(k[len(done) :] for k in store.list_keys(done)) == [
        "0-2",
        "3",
        "4-5",
        "5-6",
        "7-8",
    ]
    assert mark_done_many(store, LAYOUT, *run, [9])  # the last one completes the run


def test_a_repair_of_the_last_shard_completes_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shard that would complete the run was committed by a delivery killed before it
    marked itself done, and its file was damaged since: the redrive that repairs it marks it
    done, so the run is compacted (a repair used to return without marking the shard)."""
    store = MemoryObjectStore()
    events = _submit(store, shards=3)  # type: ignore[arg-type]
    child = _child(store)
    for event in events[:2]:
        child.handle(event)
    real = child_module.compact_if_complete
    monkeypatch.setattr(child_module, "compact_if_complete", lambda *a, **k: None)
    first = child.handle(events[2])  # committed, then "killed" before it was marked done
    monkeypatch.setattr(child_module, "compact_if_complete", real)
    record = find_run(store, LAYOUT, "r1")
    assert record is not None
    assert committed_record(store, LAYOUT, record) is None
    envelope = json.loads(store.objects[first["outcome_key"]])
    damaged = envelope["output_metadata"]["metrics_key"]
    store.objects[damaged] = store.objects[damaged][:40]

    repaired = child.handle({**events[2], "attempt": 2})

    assert repaired["duplicate"] is False
    result = committed_record(store, LAYOUT, record)
    assert result is not None, "the repaired shard was not marked done: the run never compacts"
    tables = [pq.read_table(pa.BufferReader(store.get(p.key))) for p in result.parts]
    assert sorted(pa.concat_tables(tables).column("shard_id").to_pylist()) == [0, 1, 2]
