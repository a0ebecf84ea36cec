"""The on-failure recorder: no shard may vanish because its child died without a word.

The child records every failure it sees itself (a failure envelope and a shard_errors row),
but some deaths leave it no chance: the runtime runs out of memory or crashes, the platform's
hard timeout kills it, or the event waits in Lambda's queue past its maximum age and never
runs. Lambda then sends its failure record to the child's on-failure destination, which is this
handler (locally, the runtime calls it when a worker dies or exhausts its retries). It turns
the record into the shard's failure envelope and error row, so the status counts the shard as
failed (redrive reruns it) instead of running for ever.

The record (Lambda's documented destination shape)::

    {"version": "1.0", "timestamp": "...",
     "requestContext": {"requestId": "...", "functionArn": "...",
                        "condition": "RetriesExhausted" | "EventAgeExceeded",
                        "approximateInvokeCount": 3},
     "requestPayload": {... the shard payload ...},
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                         "functionError": "Unhandled"},
     "responsePayload": {"errorMessage": "...", "errorType": "...", "stackTrace": [...]}}

Rules: create-if-absent and never replacing a success. A shard that succeeded, or whose attempt
already has a failure record (the child wrote one before raising), gets nothing new; the record
key is derived from Lambda's request id, so a duplicate delivery of the same failure record
writes nothing either.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from serverless_sweep import __version__
from serverless_sweep.contracts import FailureOutcome
from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers.child import log_once
from serverless_sweep.handlers.parquet import errors_parquet
from serverless_sweep.handlers.ports import (
    AlreadyExists,
    Clock,
    ObjectStore,
    StoreError,
    SystemClock,
)
from serverless_sweep.handlers.responses import CONTRACT_VERSION, contract_body
from serverless_sweep.handlers.settings import JSON_CONTENT, PARQUET_CONTENT

logger = logging.getLogger(__name__)

RECORD_SCHEMA = "v1"
TRACEBACK_LIMIT = 4000

CONDITION_EXPIRED = "EventAgeExceeded"


class NotAFailureRecord(ValueError):
    """The event is not a Lambda on-failure destination record for a shard payload."""


def classify(condition: str, error_type: str, error_message: str) -> str:
    """The error_kind of a failure record: expired, platform_timeout or crashed."""
    if condition == CONDITION_EXPIRED:
        return "expired"
    if "Task timed out" in error_message or error_type in ("Sandbox.Timedout", "Timeout"):
        return "platform_timeout"
    return "crashed"


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """The parts of Lambda's failure record the recorder needs."""

    request_id: str
    condition: str
    invoke_count: int
    payload: dict[str, Any]
    error_type: str
    error_message: str
    stack_trace: str

    @classmethod
    def parse(cls, event: object) -> FailureRecord:
        if not isinstance(event, Mapping):
            raise NotAFailureRecord("the event is not a JSON object")
        context = event.get("requestContext")
        payload = event.get("requestPayload")
        if not isinstance(context, Mapping) or not isinstance(payload, dict):
            raise NotAFailureRecord("requestContext and requestPayload objects are required")
        for name in ("run_id", "shard_id", "start_index", "end_index"):
            if name not in payload:
                raise NotAFailureRecord(f"requestPayload has no {name!r}: not a shard payload")
        response = event.get("responsePayload")
        response = response if isinstance(response, Mapping) else {}
        trace = response.get("stackTrace")
        count = context.get("approximateInvokeCount")
        condition = str(context.get("condition") or "")
        message = str(response.get("errorMessage") or "")
        if not message:
            message = (
                f"the event expired before it ran ({condition})"
                if condition == CONDITION_EXPIRED
                else f"the child ended without a record ({condition or 'no condition'})"
            )
        return cls(
            request_id=str(context.get("requestId") or ""),
            condition=condition,
            invoke_count=count if isinstance(count, int) and not isinstance(count, bool) else 0,
            payload=payload,
            error_type=str(response.get("errorType") or condition or "Unknown"),
            error_message=message,
            stack_trace="\n".join(str(line) for line in trace) if isinstance(trace, list) else "",
        )


@dataclass
class FailureRecorder:
    """Writes the failure envelope and shard_errors row a dead attempt could not write."""

    store: ObjectStore
    layout: StorageLayout
    clock: Clock = field(default_factory=SystemClock)

    def handle(self, event: object) -> dict[str, Any]:
        """Record the failure; answer what was done (recorded / skipped and why)."""
        record = FailureRecord.parse(event)
        p = record.payload
        run_id, shard_id = str(p["run_id"]), int(p["shard_id"])
        attempt = _int(p.get("attempt"), 1)
        run_date = str(p.get("run_date") or self.clock.now().date().isoformat())
        kind = classify(record.condition, record.error_type, record.error_message)
        result: dict[str, Any] = {"run_id": run_id, "shard_id": shard_id, "attempt": attempt}
        if self.store.exists(self.layout.success_outcome_key(run_date, run_id, shard_id)):
            return {**result, "recorded": False, "reason": "the shard succeeded"}
        if self._attempt_has_record(run_date, run_id, shard_id, attempt):
            return {**result, "recorded": False, "reason": "the attempt has a failure record"}
        seed = record.request_id or dumps_canonical(p)
        attempt_id = hashlib.sha256(seed.encode()).hexdigest()[:12]
        now = self.clock.now()
        errors_key = self.layout.errors_key(run_date, run_id, shard_id, attempt, attempt_id)
        outcome_key = self.layout.failure_outcome_key(
            run_date, run_id, shard_id, attempt, attempt_id
        )
        message = (
            f"{record.error_message} (Lambda {record.condition or 'failure'} after "
            f"{record.invoke_count} invocation(s), request id {record.request_id or '?'})"
        )
        model = p.get("model") if isinstance(p.get("model"), str) else None
        envelope = contract_body(
            FailureOutcome.model_validate(
                {
                    "end_index": p["end_index"],
                    "error_code": record.error_type,
                    "error_message": message,
                    "event_time": now.isoformat(),
                    "record_schema": RECORD_SCHEMA,
                    "run_id": run_id,
                    "shard_id": shard_id,
                    "start_index": p["start_index"],
                    "status": "failure",
                    "attempt": attempt,
                    "contract_version": CONTRACT_VERSION,
                    "fingerprint": p.get("fingerprint"),
                    "model": model,
                    "run_date": run_date,
                    "runtime_version": __version__,
                    "attempt_id": attempt_id,
                    "error_kind": kind,
                    "errors_key": errors_key,
                }
            )
        )
        row = {
            "shard_id": shard_id,
            "start_index": _int(p["start_index"], 0),
            "end_index": _int(p["end_index"], 0),
            "attempt": attempt,
            "attempt_id": attempt_id,
            "model": model,
            "error_code": record.error_type,
            "error_kind": kind,
            "error_message": message,
            "traceback": record.stack_trace[-TRACEBACK_LIMIT:],
            "event_time": now.replace(microsecond=(now.microsecond // 1000) * 1000),
            "runtime_version": __version__,
        }
        try:
            self.store.put_if_absent(errors_key, errors_parquet(row), PARQUET_CONTENT)
        except AlreadyExists:
            pass  # a duplicate delivery of the same record
        except StoreError as exc:  # the envelope below still records the failure
            # one line per cause and process: a full disk is one problem, not one per shard
            log_once("recorder_errors_row", exc, f"could not write the shard_errors row: {exc}")
        try:
            self.store.put_if_absent(outcome_key, dumps_canonical(envelope).encode(), JSON_CONTENT)
        except AlreadyExists:
            return {**result, "recorded": False, "reason": "already recorded (duplicate)"}
        logger.warning(
            "recorded %s failure of shard %s attempt %s of run %r", kind, shard_id, attempt, run_id
        )
        return {**result, "recorded": True, "error_kind": kind, "outcome_key": outcome_key}

    def _attempt_has_record(self, run_date: str, run_id: str, shard_id: int, attempt: int) -> bool:
        prefix = self.layout.run_prefix("shard_outcomes", run_date, run_id, "failure")
        for key in self.store.list_keys(prefix):
            parsed = self.layout.parse_key(key)
            if parsed is None or parsed.shard_id != shard_id:
                continue
            if (parsed.attempt if parsed.attempt is not None else 1) == attempt:
                return True
        return False


def destination_record(
    payload: bytes,
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    error_type: str,
    error_message: str,
    stack_trace: list[str],
    timestamp: datetime,
) -> dict[str, Any]:
    """Lambda's on-failure destination record, for runtimes that emulate Lambda (local)."""
    try:
        request_payload: object = json.loads(payload)
    except ValueError:
        request_payload = None
    return {
        "version": "1.0",
        "timestamp": timestamp.isoformat(),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": request_payload,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {
            "errorMessage": error_message,
            "errorType": error_type,
            "stackTrace": stack_trace,
        },
    }


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
