"""Compaction (handlers/compaction.py): once per run, when its last shard commits; idempotent,
safe under redelivery, concurrent compactors and a compactor that dies half-way."""

from __future__ import annotations

import contextlib
import json
import random
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from handler_helpers import request

from serverless_sweep.handlers import compaction
from serverless_sweep.handlers.compaction import (
    CompactionError,
    committed_key,
    committed_record,
    compact_run,
)
from serverless_sweep.handlers.runs import find_run


def payloads(invoker, start=0):
    return [json.loads(call.payload) for call in invoker.calls[start:]]


def big_request(**overrides):
    return request(
        dimensions={"b": list(range(9)), "a": ["x", "y", "z"]}, shard_count=9, **overrides
    )


def committed(store, parent):
    record = find_run(store, parent.layout, "r1")
    return record, committed_record(store, parent.layout, record)


def run_metrics_table(store, compaction_record):
    tables = [pq.read_table(pa.BufferReader(store.get(p.key))) for p in compaction_record.parts]
    return pa.concat_tables(tables)


def shard_tables(store, parent, record):
    tables = []
    for shard in record.shards:
        key = parent.layout.success_outcome_key(record.run_date, record.run_id, shard.shard_id)
        envelope = json.loads(store.get(key))
        data = store.get(envelope["output_metadata"]["metrics_key"])
        tables.append(pq.read_table(pa.BufferReader(data)))
    return pa.concat_tables(tables).sort_by("point_index")


@pytest.mark.parametrize("group", [64, 2])
def test_the_last_commit_compacts_the_run_in_point_order(
    parent, child, invoker, store, monkeypatch, group
):
    monkeypatch.setattr(compaction, "GROUP", group)  # 2: a tree of several levels
    parent.submit(big_request())
    events = payloads(invoker)
    random.Random(group).shuffle(events)
    for event in events[:-1]:
        child.handle(event)
        assert committed(store, parent)[1] is None  # not before the last shard
    child.handle(events[-1])

    record, result = committed(store, parent)
    assert result is not None and result.rows == record.total_points == 27
    table = run_metrics_table(store, result)
    assert table.column("point_index").to_pylist() == list(range(27))
    assert table.equals(shard_tables(store, parent, record))
    assert result.ledger is not None and result.ledger["invocations"] == 9


def test_redelivery_and_a_second_compaction_change_nothing(parent, child, invoker, store):
    parent.submit(big_request())
    for event in payloads(invoker):
        child.handle(event)
    before = {k: store.get(k) for k in store.list_keys("")}
    for event in payloads(invoker):
        assert child.handle(event)["duplicate"] is True
    record = find_run(store, parent.layout, "r1")
    again = compact_run(store, parent.layout, record)
    after = {k: store.get(k) for k in store.list_keys("")}
    assert after == before
    assert again.key == committed_key(parent.layout, record.run_date, "r1")


def test_concurrent_compactors_write_one_set_of_parts(parent, child, invoker, store, monkeypatch):
    monkeypatch.setattr(compaction, "mark_done_many", lambda *a: False)  # compact by hand below
    parent.submit(big_request())
    for event in payloads(invoker):
        child.handle(event)
    record = find_run(store, parent.layout, "r1")
    results: list[object] = []
    barrier = threading.Barrier(4)

    def compact() -> None:
        barrier.wait()
        results.append(compact_run(store, parent.layout, record, part_rows=10))

    threads = [threading.Thread(target=compact) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    parts = [k for k in store.list_keys("p/dataset=run_metrics/")]
    assert len(parts) == 3  # 27 rows, 10 per part
    docs = {json.dumps([p.sha256 for p in r.parts]) for r in results}  # type: ignore[attr-defined]
    assert len(docs) == 1


class _DiesAfter:
    """A store whose writes of run_metrics parts fail after `n` of them (a compactor killed)."""

    def __init__(self, inner, n):
        self.inner, self.n = inner, n

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def put_if_absent(self, key, data, content_type="application/octet-stream"):
        if "dataset=run_metrics/" in key:
            if self.n == 0:
                raise OSError("killed")
            self.n -= 1
        return self.inner.put_if_absent(key, data, content_type)


def test_a_compactor_killed_half_way_is_finished_by_the_next(
    parent, child, invoker, store, monkeypatch
):
    monkeypatch.setattr(compaction, "mark_done_many", lambda *a: False)
    parent.submit(big_request())
    for event in payloads(invoker):
        child.handle(event)
    record = find_run(store, parent.layout, "r1")
    with pytest.raises(OSError):
        compact_run(_DiesAfter(store, 1), parent.layout, record, part_rows=10)
    assert committed_record(store, parent.layout, record) is None
    [first_part] = store.list_keys("p/dataset=run_metrics/")
    first_bytes = store.get(first_part)

    result = compact_run(store, parent.layout, record, part_rows=10)
    assert result.rows == 27 and len(result.parts) == 3
    assert store.get(first_part) == first_bytes  # adopted, never overwritten


def test_a_later_attempt_that_completes_the_run_compacts_it(parent, child, invoker, store):
    parent.submit(big_request())
    events = payloads(invoker)
    for event in events[1:]:
        child.handle(event)
    record = find_run(store, parent.layout, "r1")
    assert committed_record(store, parent.layout, record) is None
    child.handle({**events[0], "attempt": 2})  # what a redrive sends
    result = committed_record(store, parent.layout, record)
    assert result is not None and result.rows == 27


def test_a_damaged_shard_file_blocks_compaction_but_not_the_shard(
    parent, child, invoker, store, caplog
):
    parent.submit(big_request())
    events = payloads(invoker)
    child.handle(events[0])
    record = find_run(store, parent.layout, "r1")
    key = parent.layout.success_outcome_key(record.run_date, "r1", 0)
    metrics_key = json.loads(store.get(key))["output_metadata"]["metrics_key"]
    store.put(metrics_key, b"PAR1 garbage PAR1")
    for event in events[1:]:
        assert child.handle(event)["status"] == "ok"
    assert committed_record(store, parent.layout, record) is None
    assert "sweep compact r1" in caplog.text and "shard 0" in caplog.text


def test_an_incomplete_run_is_refused_naming_the_shard(parent, child, invoker, store):
    parent.submit(big_request(failure_injection_shards=[4]))
    for event in payloads(invoker):
        with contextlib.suppress(RuntimeError):
            child.handle(event)
    record = find_run(store, parent.layout, "r1")
    with pytest.raises(CompactionError, match="shard 4 has no success record"):
        compact_run(store, parent.layout, record)
