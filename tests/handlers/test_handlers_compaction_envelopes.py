"""Compaction that need not decode the envelopes a chunk lists (issue 13), on the real local
store.

A worker's chunk lists, for each shard, the SHA-256 of the success envelope it committed and
what compaction reads of it (the file's size, the ledger's fields). The compactor still reads
every envelope (it is the commit point) and decodes only those whose bytes no intact chunk
lists. What must hold whatever the chunks say: the claim, the parts, the pages and the commit
record (apart from its time) are those of a compactor that decodes every envelope and reads
every file; an envelope re-pointed after its chunk was written, one the chunk never saw
published, a damaged, forged or missing chunk, and runs that mix shards with and without
chunks all give those outputs."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
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
from serverless_sweep.adapters.memory import FixedClock
from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.handlers import child as child_module
from serverless_sweep.handlers import compaction
from serverless_sweep.handlers.child import ChildHandler
from serverless_sweep.handlers.compaction import (
    CommittedRows,
    chunk_folder,
    claim_key,
    committed_key,
    committed_record,
    compact_run,
    write_chunk,
)
from serverless_sweep.handlers.ledger import compute_ledger, outcome_envelopes
from serverless_sweep.handlers.runs import RunRecord

SHARDS = 40


class WallTickingClock(TickingClock):
    """Every reading of either clock moves it on: each envelope gets other times, so every
    shard's ledger fields differ (a mix-up between shards would show)."""

    def now(self) -> Any:
        from datetime import timedelta

        self._ticks += 0.25
        return super().now() + timedelta(seconds=self._ticks)


class DecodeCountingStore(LocalObjectStore):
    """The local store, counting reads of success envelopes and of shard files."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.envelope_reads = 0
        self.file_reads = 0

    def get(self, key: str) -> bytes | None:
        if "dataset=shard_outcomes/" in key and "/status=success/" in key:
            self.envelope_reads += 1
        if "dataset=shard_metrics/" in key:
            self.file_reads += 1
        return super().get(key)


@pytest.fixture
def store(tmp_path: Path) -> DecodeCountingStore:
    return DecodeCountingStore(tmp_path / "store")


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many envelopes compaction decoded (it takes the ledger fields of each it decodes)."""
    calls: list[int] = []
    real = compaction.ledger_fields

    def counting(envelope: Any) -> Any:
        if envelope.get("status") == "success":
            calls.append(int(envelope["shard_id"]))
        return real(envelope)

    monkeypatch.setattr(compaction, "ledger_fields", counting)
    return calls


def _submit(store: LocalObjectStore, shards: int = SHARDS) -> list[dict[str, Any]]:
    return submit_run(store, shards)


def _child(store: LocalObjectStore, clock: FixedClock | None = None) -> ChildHandler:
    return child_handler(store, clock or WallTickingClock())


def _run_batch(store: LocalObjectStore, events: list[dict[str, Any]], clock: Any = None) -> None:
    run_batch(store, events, clock or WallTickingClock())


def _outputs(store: LocalObjectStore, record: RunRecord) -> dict[str, Any]:
    """Everything a compaction wrote: the claim, the record (without its time), every part and
    page, byte for byte."""
    result = committed_record(store, LAYOUT, record)
    assert result is not None
    doc = json.loads(store.get(committed_key(LAYOUT, record.run_date, record.run_id)) or b"")
    doc.pop("compacted_at")
    keys = [p.key for p in result.parts] + [p.key for p in result.pages]
    return {
        "record": doc,
        "claim": store.get(claim_key(LAYOUT, record.run_date, record.run_id)),
        **{key: store.get(key) for key in keys},
    }


def _reference(store: LocalObjectStore, record: RunRecord, tmp_path: Path) -> dict[str, Any]:
    """The outputs of a compactor that decodes every envelope and reads every file (the
    store copied without its chunks)."""
    copy = tmp_path / "reference"
    shutil.copytree(store.root, copy)
    reference = LocalObjectStore(copy)
    shutil.rmtree(copy / chunk_folder(LAYOUT, record.run_date, record.run_id), ignore_errors=True)
    uncompact(reference, record)
    compact_run(reference, LAYOUT, record)
    return _outputs(reference, record)


def _ledger_of_store(store: LocalObjectStore, record: RunRecord) -> dict[str, Any]:
    return compute_ledger(outcome_envelopes(store, LAYOUT, record), record.manifest["accepted_at"])


def _compact_again(store: DecodeCountingStore, record: RunRecord) -> None:
    uncompact(store, record)
    store.envelope_reads = store.file_reads = 0
    compact_run(store, LAYOUT, record)


def test_envelopes_a_chunk_lists_are_read_not_decoded_with_the_same_outputs(
    store: DecodeCountingStore, decoded: list[int], tmp_path: Path
) -> None:
    events = _submit(store)
    _run_batch(store, events[:25])
    _run_batch(store, events[25:])
    record = run_record(store)
    _compact_again(store, record)
    decoded.clear()
    _compact_again(store, record)
    assert decoded == []  # every envelope found in a chunk by its SHA-256
    assert store.envelope_reads == SHARDS  # ... yet every one was read
    assert store.file_reads == 0
    outputs = _outputs(store, record)
    assert outputs == _reference(store, record, tmp_path)
    assert outputs["record"]["ledger"] == _ledger_of_store(store, record)


def test_an_envelope_repaired_after_its_chunk_is_decoded_and_its_new_file_compacted(
    store: DecodeCountingStore, decoded: list[int], tmp_path: Path
) -> None:
    events = _submit(store)
    _run_batch(store, events)
    record = run_record(store)
    uncompact(store, record)
    outcome = LAYOUT.success_outcome_key(record.run_date, record.run_id, 7)
    old = json.loads(store.get(outcome) or b"")
    damaged = old["output_metadata"]["metrics_key"]
    store.path_for(damaged).write_bytes(b"PAR1 not parquet")
    # the redrive that repairs shard 7 re-points its envelope, then compacts the run
    decoded.clear()
    assert _child(store).handle({**events[7], "attempt": 2})["duplicate"] is False
    new = json.loads(store.get(outcome) or b"")
    assert new["output_metadata"]["metrics_key"] != damaged
    assert decoded == [7]  # only the re-pointed envelope is decoded
    claim = json.loads(store.get(claim_key(LAYOUT, record.run_date, record.run_id)) or b"")
    [seven] = [entry for entry in claim["inputs"] if entry[0] == 7]
    assert seven[3] == new["output_metadata"]["metrics_key"]
    assert seven[5] == new["output_metadata"]["metrics_sha256"]
    outputs = _outputs(store, record)
    assert outputs == _reference(store, record, tmp_path)
    assert outputs["record"]["ledger"] == _ledger_of_store(store, record)


def test_an_envelope_the_chunk_never_saw_published_is_decoded(
    store: DecodeCountingStore, decoded: list[int], tmp_path: Path
) -> None:
    """A batch abandoned after its chunk listed an envelope that was never published, and a
    later delivery committed another envelope for the same file (other times)."""
    events = _submit(store)
    _run_batch(store, events)
    record = run_record(store)
    outcome = LAYOUT.success_outcome_key(record.run_date, record.run_id, 3)
    current = store.get(outcome) or b""
    envelope = json.loads(current)
    unpublished = {**envelope, "started_at": "2020-01-01T00:00:00+00:00"}
    body = dumps_canonical(unpublished).encode()
    metadata = envelope["output_metadata"]
    rows = pa.ipc.open_stream(
        store.get(next(iter(store.list_keys(chunk_folder(LAYOUT, *_run(record))))))
    ).read_all()
    shard_rows = [r for r in rows.to_pylist() if r["shard_id"] in (3, 4)]
    four = json.loads(
        store.get(LAYOUT.success_outcome_key(record.run_date, record.run_id, 4)) or b""
    )
    listed = [
        CommittedRows(
            3,
            metadata["metrics_key"],
            metadata["metrics_sha256"],
            shard_rows[:1],
            unpublished,
            body,
        ),
        CommittedRows(
            4,
            four["output_metadata"]["metrics_key"],
            four["output_metadata"]["metrics_sha256"],
            shard_rows[1:],
        ),
    ]
    for folder in (chunk_folder(LAYOUT, *_run(record)),):
        shutil.rmtree(store.root / folder)
    write_chunk(store, LAYOUT, record.run_date, record.run_id, "legacy_hash", listed)
    decoded.clear()
    _compact_again(store, record)
    assert sorted(decoded) == list(range(SHARDS))  # 3 by its bytes, the others: no envelope
    assert store.file_reads == SHARDS - 2  # the rows of 3 and 4 from the chunk
    outputs = _outputs(store, record)
    assert outputs == _reference(store, record, tmp_path)
    assert outputs["record"]["ledger"] == _ledger_of_store(store, record)


def _run(record: RunRecord) -> tuple[str, str]:
    return record.run_date, record.run_id


@pytest.mark.parametrize("damage", ["flipped", "forged", "missing", "foreign"])
def test_a_damaged_forged_or_missing_chunk_changes_nothing(
    store: DecodeCountingStore, decoded: list[int], tmp_path: Path, damage: str
) -> None:
    events = _submit(store)
    _run_batch(store, events)
    record = run_record(store)
    [chunk] = store.list_keys(chunk_folder(LAYOUT, *_run(record)))
    path = store.path_for(chunk)
    data = path.read_bytes()
    if damage == "flipped":  # its bytes no longer match its name
        path.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    elif damage == "missing":
        path.unlink()
    else:
        table = pa.ipc.open_stream(data).read_all()
        metadata = dict(table.schema.metadata or {})
        if damage == "forged":  # named by its own SHA-256, but its listing is not one
            metadata[compaction.CHUNK_SHARDS_KEY] = b"[[0, 1]]"
        else:  # a listing with other columns
            other = pa.table({"shard_id": pa.array([0], pa.int64())})
            metadata[compaction.CHUNK_SHARDS_KEY] = compaction._ipc_bytes(other)
        forged = compaction._ipc_bytes(table.replace_schema_metadata(metadata))
        path.unlink()
        name = f"chunk-{compaction.sha256_hex(forged)}.arrow"
        (path.parent / name).write_bytes(forged)
    decoded.clear()
    _compact_again(store, record)
    assert sorted(decoded) == list(range(SHARDS))
    assert store.file_reads == SHARDS
    assert _outputs(store, record) == _reference(store, record, tmp_path)


def test_a_mixed_run_gives_the_outputs_of_the_files(
    store: DecodeCountingStore, decoded: list[int], tmp_path: Path
) -> None:
    """Shards in chunks with their envelopes, one by one (no chunk), in a chunk without
    envelopes (a child that does not pass them), and an envelope whose fields a chunk cannot
    keep exactly (an integer duration_ms), over parts that straddle them."""
    events = _submit(store)
    _run_batch(store, events[:12])
    child = _child(store)
    for event in events[12:20]:
        child.handle(event)  # no batch: no chunk
    with pytest.MonkeyPatch.context() as patch:  # a child that passes no envelopes
        patch.setattr(child_module, "CommittedRows", lambda *args: CommittedRows(*args[:4]))
        _run_batch(store, events[20:30])
    original = compaction.write_chunk

    def integer_duration(*args: Any) -> Any:
        shards = args[-1]
        changed = []
        for shard in shards:
            envelope = {**shard.envelope, "duration_ms": 2}
            changed.append(
                CommittedRows(
                    shard.shard_id,
                    shard.metrics_key,
                    shard.sha256,
                    shard.rows,
                    envelope,
                    shard.envelope_body,
                )
            )
        return original(*args[:-1], changed)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compaction, "write_chunk", integer_duration)
        _run_batch(store, events[30:])
    record = run_record(store)
    decoded.clear()
    _compact_again(store, record)
    assert sorted(decoded) == list(range(12, SHARDS))
    assert store.file_reads == 8  # the shards committed one by one
    for part_rows in (7, 100_000):
        uncompact(store, record)
        compact_run(store, LAYOUT, record, part_rows=part_rows)
        outputs = _outputs(store, record)
        copy = tmp_path / f"reference-{part_rows}"
        shutil.copytree(store.root, copy)
        reference = LocalObjectStore(copy)
        shutil.rmtree(copy / chunk_folder(LAYOUT, *_run(record)))
        uncompact(reference, record)
        compact_run(reference, LAYOUT, record, part_rows=part_rows)
        assert outputs == _outputs(reference, record)
        assert outputs["record"]["ledger"] == _ledger_of_store(store, record)


def test_a_later_compactor_follows_an_earlier_claim_with_rows_from_the_chunks(
    store: DecodeCountingStore,
) -> None:
    """A compactor that finds another's claim, made before shard 7 was repaired, writes that
    claim's parts: the claimed (old) file's rows still come from the chunk that holds them,
    found by the file the claim names (the envelope now names another)."""
    events = _submit(store)
    _run_batch(store, events)
    record = run_record(store)
    claim = claim_key(LAYOUT, *_run(record))
    earlier = _outputs(store, record)
    outcome = LAYOUT.success_outcome_key(record.run_date, record.run_id, 7)
    damaged = json.loads(store.get(outcome) or b"")["output_metadata"]["metrics_key"]
    store.path_for(damaged).write_bytes(b"PAR1 not parquet")
    uncompact(store, record)
    store.put_if_absent(claim, earlier["claim"])
    assert _child(store).handle({**events[7], "attempt": 2})["duplicate"] is False
    uncompact(store, record)  # what the repair compacted, to compact once more below
    store.put_if_absent(claim, earlier["claim"])
    store.file_reads = 0
    compact_run(store, LAYOUT, record)
    assert store.file_reads == 0
    later = _outputs(store, record)
    assert {k: v for k, v in later.items() if k != "record"} == {
        k: v for k, v in earlier.items() if k != "record"
    }
    assert later["record"]["parts"] == earlier["record"]["parts"]
    assert later["record"]["ledger"] == _ledger_of_store(store, record)  # the new envelope's


def test_results_pages_from_columns_are_the_rows_as_before() -> None:
    """`_column_values` (one conversion per column) gives `Table.to_pylist`'s values, with
    NaN and infinities as None in every column type that can hold a float."""
    table = pa.table(
        {
            "i": pa.array([1, None, -(2**63)], pa.int64()),
            "f": pa.array([1.5, math.nan, -math.inf], pa.float64()),
            "g": pa.array([math.inf, None, 0.0], pa.float32()),
            "s": pa.array(["a", None, '\u00e9"x'], pa.string()),
            "b": pa.array([True, False, None], pa.bool_()),
            "d": pa.array([1.0, math.nan, 2.0], pa.float64()).dictionary_encode(),
            "l": pa.array([[1.0], [], None], pa.list_(pa.float64())),
        }
    )
    before = [[compaction._json_value(v) for v in row.values()] for row in table.to_pylist()]
    columns = compaction._column_values(table)
    assert [list(row) for row in zip(*columns, strict=True)] == before
    assert dumps_canonical(list(zip(*columns, strict=True))) == dumps_canonical(before)
