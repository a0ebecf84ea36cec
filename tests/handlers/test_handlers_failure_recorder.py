"""The on-failure recorder (issue 7 item 4), fed Lambda's documented destination record shape.

The records below follow the AWS Lambda developer guide's "Invocation record" example for an
asynchronous invocation whose retries were exhausted, with the error payloads Lambda writes for
a crashed runtime, an out-of-memory kill and the hard timeout, and an expired event.
"""

from __future__ import annotations

import io
import json
from typing import Any

import edge
import pyarrow.parquet as pq
import pytest

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore, RecordingInvoker
from serverless_sweep.contracts import FailureOutcome
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.entrypoints.lambda_child import failure_handler
from serverless_sweep.handlers.failure_recorder import FailureRecorder, NotAFailureRecord
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.runs import find_run
from serverless_sweep.handlers.status import run_status

CHILD = "arn:aws:lambda:eu-central-1:123456789012:function:sweep-child"


def payload(shard_id: int = 1, attempt: int = 1) -> dict[str, Any]:
    return {
        "attempt": attempt,
        "contract_version": "1.0",
        "dimensions": {"x": [1, 2, 3, 4]},
        "end_index": 2 * shard_id + 2,
        "failure_injection_shards": [],
        "fingerprint": "f" * 64,
        "model": "legacy_hash",
        "run_date": "2026-11-27",
        "run_id": "r1",
        "seed": 0,
        "shard_id": shard_id,
        "start_index": 2 * shard_id,
        "total_points": 4,
    }


def destination(
    condition: str = "RetriesExhausted",
    response: dict[str, Any] | None = None,
    request_id: str = "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
    **payload_args: Any,
) -> dict[str, Any]:
    return {
        "version": "1.0",
        "timestamp": "2019-11-14T18:16:05.568Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": CHILD + ":$LATEST",
            "condition": condition,
            "approximateInvokeCount": 3 if condition == "RetriesExhausted" else 0,
        },
        "requestPayload": payload(**payload_args),
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": response
        if response is not None
        else {
            "errorMessage": "RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Process exited "
            "before completing request"
        },
    }


@pytest.fixture
def store() -> MemoryObjectStore:
    return MemoryObjectStore()


@pytest.fixture
def recorder(store: MemoryObjectStore) -> FailureRecorder:
    return FailureRecorder(store, StorageLayout("p"), FixedClock())


def envelopes(store: MemoryObjectStore) -> list[dict[str, Any]]:
    return [
        json.loads(v)
        for k, v in sorted(store.objects.items())
        if "dataset=shard_outcomes" in k and "status=failure" in k
    ]


def error_rows(store: MemoryObjectStore) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key, value in sorted(store.objects.items()):
        if "dataset=shard_errors" in key:
            rows += pq.read_table(io.BytesIO(value)).to_pylist()
    return rows


@pytest.mark.parametrize(
    ("condition", "response", "kind"),
    [
        ("RetriesExhausted", None, "crashed"),
        (
            "RetriesExhausted",
            {
                "errorType": "Runtime.ExitError",
                "errorMessage": "RequestId: 1 Error: Runtime exited with error: signal: killed",
            },
            "crashed",
        ),
        (
            "RetriesExhausted",
            {"errorMessage": "2026-11-27T10:00:00.000Z 1 Task timed out after 900.10 seconds"},
            "platform_timeout",
        ),
        (
            "RetriesExhausted",
            {"errorType": "Sandbox.Timedout", "errorMessage": "x"},
            "platform_timeout",
        ),
        ("EventAgeExceeded", {}, "expired"),
    ],
)
def test_a_dead_attempt_becomes_a_failure_envelope_and_an_error_row(
    store, recorder, condition, response, kind
):
    result = recorder.handle(destination(condition, response))
    assert result["recorded"] is True and result["error_kind"] == kind
    (envelope,) = envelopes(store)
    FailureOutcome.model_validate(envelope)  # the contract holds
    assert (envelope["shard_id"], envelope["attempt"], envelope["error_kind"]) == (1, 1, kind)
    assert envelope["run_date"] == "2026-11-27" and envelope["status"] == "failure"
    assert condition in envelope["error_message"]
    (row,) = error_rows(store)
    assert (row["shard_id"], row["error_kind"], row["attempt"]) == (1, kind, 1)
    assert row["attempt_id"] == envelope["attempt_id"]


def test_never_replaces_a_success(store, recorder):
    layout = StorageLayout("p")
    store.put(layout.success_outcome_key("2026-11-27", "r1", 1), b"{}")
    result = recorder.handle(destination())
    assert result["recorded"] is False and "succeeded" in result["reason"]
    assert envelopes(store) == [] and error_rows(store) == []


def test_an_attempt_the_child_recorded_itself_gets_nothing_more(store, recorder):
    layout = StorageLayout("p")
    store.put(layout.failure_outcome_key("2026-11-27", "r1", 1, 1, "abc123abc123"), b"{}")
    assert recorder.handle(destination())["recorded"] is False
    assert len(envelopes(store)) == 1
    # ...but a newer attempt of the same shard is recorded
    assert recorder.handle(destination(attempt=2))["recorded"] is True


def test_a_duplicate_delivery_of_the_record_writes_once(store, recorder):
    assert recorder.handle(destination())["recorded"] is True
    writes = len(store.writes)
    second = recorder.handle(destination())
    assert second["recorded"] is False
    assert len(store.writes) == writes and len(envelopes(store)) == 1


@pytest.mark.parametrize(
    "event",
    [None, [], {}, {"requestContext": {}, "requestPayload": {"x": 1}}, {"requestPayload": "s"}],
)
def test_something_else_is_refused_by_name(recorder, event):
    with pytest.raises(NotAFailureRecord):
        recorder.handle(event)


def test_the_lambda_entry_point_records_and_ignores_junk(monkeypatch, store):
    from serverless_sweep.entrypoints import lambda_services

    class Services:
        def store(self) -> MemoryObjectStore:
            return store

    monkeypatch.setattr(lambda_services, "services", Services())
    monkeypatch.setenv("SWEEP_RESULTS_PREFIX", "p")
    assert failure_handler(destination(), None)["recorded"] is True
    assert failure_handler({"not": "a record"}, None)["recorded"] is False
    assert len(envelopes(store)) == 1


def test_the_status_then_counts_the_shard_as_failed_with_its_kind():
    store = MemoryObjectStore()
    clock = FixedClock()
    parent = ParentHandler(
        invoker=RecordingInvoker(),
        store=store,
        config=ParentConfig(child_function=CHILD, default_model="legacy_hash", results_prefix="p"),
        clock=clock,
    )
    submitted = edge.submit(
        parent, {"run_id": "r1", "dimensions": {"x": [1, 2, 3, 4]}, "shard_count": 2}
    )
    accepted = json.loads(submitted["body"])
    event = destination()
    event["requestPayload"].update(
        run_date=accepted["run_date"], fingerprint=accepted["fingerprint"]
    )
    FailureRecorder(store, parent.layout, clock).handle(event)
    record = find_run(store, parent.layout, "r1")
    assert record is not None
    status = run_status(store, parent.layout, record, now=clock.now())
    assert status["failed_shards"] == 1 and status["pending_shards"] == 1
    assert status["failures"][0]["error_kind"] == "crashed"


def test_a_failed_error_row_write_still_leaves_the_envelope(store):
    from serverless_sweep.handlers.ports import StoreError

    class RowsFail(MemoryObjectStore):
        def put_if_absent(self, key, data, content_type="application/octet-stream"):
            if "dataset=shard_errors" in key:
                raise StoreError("disk full")
            super().put_if_absent(key, data, content_type)

    failing = RowsFail()
    result = FailureRecorder(failing, StorageLayout("p"), FixedClock()).handle(destination())
    assert result["recorded"] is True
    assert len(envelopes(failing)) == 1 and error_rows(failing) == []


def test_a_platform_timeout_records_its_times_and_counts_in_the_ledger(store, recorder):
    """Lambda's message names the timeout and its record's timestamp is when the attempt
    ended: the envelope carries both, so the ledger counts the 900 s the attempt was billed."""
    from datetime import datetime, timedelta

    from serverless_sweep.handlers.ledger import ASSUMED_MEMORY_MB, PRICE_TABLE, compute_ledger

    timeout = {"errorMessage": "2019-11-14T18:01:05.568Z 1 Task timed out after 900.00 seconds"}
    record = destination("RetriesExhausted", timeout)
    recorder.handle(record)
    (envelope,) = envelopes(store)
    FailureOutcome.model_validate(envelope)
    ended = datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(envelope["ended_at"]) == ended
    assert ended - datetime.fromisoformat(envelope["started_at"]) == timedelta(seconds=900)
    assert envelope.get("memory_mb") is None  # the recorder's memory is not the child's
    ledger = compute_ledger([envelope], (ended - timedelta(seconds=1000)).isoformat())
    assert ledger["invocations"] == 1 and ledger["compute_seconds"] == 900
    assert ledger["gb_seconds"] == pytest.approx(900 * ASSUMED_MEMORY_MB / 1024)
    assert ledger["memory_assumed_invocations"] == 1
    usd = (
        ledger["gb_seconds"] * PRICE_TABLE["usd_per_gb_second"]
        + PRICE_TABLE["usd_per_million_requests"] / 1e6
    )
    assert ledger["estimated_usd"] == pytest.approx(usd, rel=1e-6)


@pytest.mark.parametrize(
    ("condition", "response"),
    [("RetriesExhausted", None), ("EventAgeExceeded", {})],  # a crash, an expired event
)
def test_without_times_in_the_record_nothing_is_invented(store, recorder, condition, response):
    from serverless_sweep.handlers.ledger import compute_ledger

    recorder.handle(destination(condition, response))
    (envelope,) = envelopes(store)
    assert "started_at" not in envelope and "instance_id" not in envelope
    ledger = compute_ledger([envelope], "2019-11-14T18:00:00+00:00")
    assert ledger["compute_seconds"] == 0
    # an expired event never ran: Lambda neither invoked nor billed it
    assert ledger["invocations"] == (0 if condition == "EventAgeExceeded" else 1)
