from __future__ import annotations

import io
import json

import edge
import pyarrow.parquet as pq
import pytest

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore
from serverless_sweep.contracts.generated.v1.arrow_schemas import (
    SHARD_ERRORS_SCHEMA,
    shard_metrics_schema,
)
from serverless_sweep.core.errors import ValidationError
from serverless_sweep.handlers.child import ChildConfig, ChildHandler, ShardTimeout


def payload(**overrides):
    body = {
        "run_id": "r1",
        "dimensions": {"a": ["x", "y"], "b": [1, 2, 3]},
        "total_points": 6,
        "shard_id": 0,
        "start_index": 0,
        "end_index": 3,
        "seed": 7,
        "failure_injection_shards": [],
        "run_date": "2026-11-20",
        "model": "legacy_hash",
        "attempt": 1,
    }
    body.update(overrides)
    return body


def keys(store: MemoryObjectStore, dataset: str) -> list[str]:
    return sorted(k for k in store.objects if f"/dataset={dataset}/" in k)


def test_success_writes_parquet_then_envelope(child, store):
    result = child.handle(payload())
    assert result["status"] == "ok" and result["points_processed"] == 3
    metrics = keys(store, "shard_metrics")
    assert metrics == [
        "p/dataset=shard_metrics/run_date=2026-11-20/run_id=r1/status=success/part-0-1.parquet"
    ]
    table = pq.read_table(io.BytesIO(store.objects[metrics[0]]))
    assert table.schema.equals(shard_metrics_schema("legacy_hash"), check_metadata=False)
    assert table.column("point_index").to_pylist() == [0, 1, 2]
    assert table.column("parameters_json").to_pylist()[0] == '{"a":"x","b":1}'
    envelope = json.loads(store.objects[result["outcome_key"]])
    assert envelope["status"] == "success" and envelope["record_schema"] == "v1"
    assert envelope["output_metadata"]["summary"]["metrics"]["points_processed"] == 3
    assert envelope["output_metadata"]["metrics_key"] == metrics[0]
    assert [w.if_absent for w in store.writes] == [True, True]


def test_duplicate_delivery_changes_nothing(child, store):
    first = child.handle(payload())
    before = dict(store.objects)
    writes = len(store.writes)
    second = child.handle(payload())
    assert second["duplicate"] is True and second["outcome_key"] == first["outcome_key"]
    assert store.objects == before and len(store.writes) == writes


def test_duplicate_of_a_succeeded_injected_shard_does_not_add_a_failure(child, store):
    child.handle(payload())
    child.handle(payload(failure_injection_shards=[0]))
    assert keys(store, "shard_errors") == []


def test_injected_failure_leaves_error_row_and_envelope(child, store):
    with pytest.raises(RuntimeError, match="Injected shard failure for verification"):
        child.handle(payload(shard_id=1, start_index=3, end_index=6, failure_injection_shards=[1]))
    [errors_key] = keys(store, "shard_errors")
    assert "/status=failure/part-1-1-" in errors_key
    row = pq.read_table(io.BytesIO(store.objects[errors_key]))
    assert row.schema.equals(SHARD_ERRORS_SCHEMA, check_metadata=False)
    assert row.column("error_kind").to_pylist() == ["injected"]
    assert row.column("error_code").to_pylist() == ["RuntimeError"]
    [envelope_key] = keys(store, "shard_outcomes")
    envelope = json.loads(store.objects[envelope_key])
    assert envelope["status"] == "failure" and envelope["error_kind"] == "injected"
    assert envelope["errors_key"] == errors_key


def test_two_failed_deliveries_of_one_attempt_keep_both_records(child, store):
    for _ in range(2):
        with pytest.raises(RuntimeError):
            child.handle(payload(failure_injection_shards=[0]))
    assert len(keys(store, "shard_errors")) == 2
    assert len(keys(store, "shard_outcomes")) == 2


def test_bad_bounds_are_recorded_as_invalid_payload(child, store):
    with pytest.raises(ValidationError, match="Invalid shard bounds"):
        child.handle(payload(end_index=7))
    [envelope_key] = keys(store, "shard_outcomes")
    assert json.loads(store.objects[envelope_key])["error_kind"] == "invalid_payload"


def test_invalid_payload_writes_nothing(child, store):
    with pytest.raises(ValidationError):
        child.handle({"run_id": "r1"})
    assert store.writes == []


def test_unconfigured_bucket_raises_runtime_error_and_writes_nothing(clock):
    store = MemoryObjectStore(configured=False)
    handler = ChildHandler(
        store=store, config=ChildConfig(default_model="legacy_hash"), clock=clock
    )
    with pytest.raises(RuntimeError, match="SWEEP_RESULTS_BUCKET must be configured"):
        handler.handle(payload())
    assert store.writes == []


class SlowClock(FixedClock):
    """Every monotonic read advances time, so each point 'takes' 0.5 s."""

    def monotonic(self) -> float:
        self.advance(0.25)
        return super().monotonic()


def test_deadline_records_a_timeout_before_the_platform_kills_us():
    store = MemoryObjectStore()
    clock = SlowClock()
    handler = ChildHandler(
        store=store,
        config=ChildConfig(
            results_prefix="p", default_model="legacy_hash", deadline_margin_ms=1000
        ),
        clock=clock,
    )
    budget_end = clock.monotonic() + 2.4

    def remaining_ms() -> int:
        return int((budget_end - clock.monotonic()) * 1000)

    with pytest.raises(ShardTimeout):
        handler.handle(
            payload(end_index=6, dimensions={"a": list(range(6))}, total_points=6), remaining_ms
        )
    [envelope_key] = keys(store, "shard_outcomes")
    envelope = json.loads(store.objects[envelope_key])
    assert envelope["error_kind"] == "timeout" and envelope["error_code"] == "ShardTimeout"
    assert keys(store, "shard_metrics") == []


def test_non_list_dimension_is_rejected_with_a_failure_record(child, store):
    with pytest.raises(ValidationError, match="/dimensions/a: Input should be a valid list") as err:
        child.handle(payload(dimensions={"a": "xy"}, end_index=2))
    assert err.value.details[0].pointer == "/dimensions/a"
    [key] = keys(store, "shard_outcomes")
    assert json.loads(store.objects[key])["error_kind"] == "invalid_payload"


def test_payload_by_reference_reads_dimensions_from_the_manifest(parent, child, invoker, store):
    from serverless_sweep.handlers.parent import ParentConfig

    parent.config = ParentConfig(
        child_function="c", default_model="legacy_hash", results_prefix="p", payload_limit_bytes=300
    )
    edge.submit(parent, {"run_id": "big", "dimensions": {"a": list(range(100))}, "shard_count": 2})
    events = [json.loads(c.payload) for c in invoker.calls]
    assert all("dimensions" not in e for e in events)
    results = [child.handle(e) for e in events]
    assert [r["points_processed"] for r in results] == [50, 50]


def test_parquet_bytes_are_identical_for_identical_rows():
    from serverless_sweep.handlers.parquet import metrics_parquet

    rows = [
        {
            "shard_id": 0,
            "point_index": i,
            "point_seed": i,
            "model": "legacy_hash",
            "attempt": 1,
            "compute_ms": 0.5,
            "parameters_json": "{}",
            "completed_rides": 1,
            "abandoned_rides": 2,
            "platform_revenue_cents": 3,
        }
        for i in range(4)
    ]
    assert metrics_parquet("legacy_hash", rows) == metrics_parquet("legacy_hash", rows)


def test_a_failed_attempt_records_its_timing_and_the_ledger_counts_it(monkeypatch):
    """A failure envelope carries started_at/ended_at/memory_mb/cold_start/instance_id like a
    success, so the failed attempt's seconds count in the run's ledger (issue 11)."""
    from datetime import datetime

    from serverless_sweep.handlers.ledger import compute_ledger

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
    store = MemoryObjectStore()
    clock = SlowClock()
    handler = ChildHandler(
        store=store,
        config=ChildConfig(
            results_prefix="p", default_model="legacy_hash", deadline_margin_ms=1000
        ),
        clock=clock,
    )
    budget_end = clock.monotonic() + 2.4
    accepted_at = clock.now().isoformat()
    with pytest.raises(ShardTimeout):
        handler.handle(
            payload(end_index=6, dimensions={"a": list(range(6))}, total_points=6),
            lambda: int((budget_end - clock.monotonic()) * 1000),
        )
    [envelope_key] = keys(store, "shard_outcomes")
    envelope = json.loads(store.objects[envelope_key])
    assert envelope["status"] == "failure"
    started = datetime.fromisoformat(envelope["started_at"])
    ended = datetime.fromisoformat(envelope["ended_at"])
    seconds = (ended - started).total_seconds()
    assert seconds > 0 and ended <= clock.now()
    assert isinstance(envelope["cold_start"], bool) and envelope["instance_id"]
    assert envelope["memory_mb"] == 2048
    ledger = compute_ledger([envelope], accepted_at)
    assert ledger["invocations"] == 1 and ledger["memory_assumed_invocations"] == 0
    assert ledger["compute_seconds"] == pytest.approx(seconds)
    assert ledger["gb_seconds"] == pytest.approx(2 * seconds)
    assert ledger["estimated_usd"] > 0
