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

`write_failure_record` is the one implementation of a failure record (the shard_errors row,
then the failure envelope naming it with its size and checksum), used by this recorder and by
the child for the failures it sees itself; `log_once` keeps a full disk to one log line.

Timing (issue 11's ledger): the child's failure envelopes carry the attempt's started_at,
ended_at, memory_mb, cold_start and instance_id like its success envelopes. The recorder knows
them only for a platform timeout (the message names the duration, the record's timestamp the
end; `FailureRecord.timing`); a crash or an expired event gets none and counts 0 s.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from serverless_sweep import __version__
from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers.contract_docs import contract_document
from serverless_sweep.handlers.parquet import errors_parquet, sha256_hex
from serverless_sweep.handlers.ports import (
    AlreadyExists,
    Clock,
    ObjectStore,
    SystemClock,
)
from serverless_sweep.handlers.responses import CONTRACT_VERSION
from serverless_sweep.handlers.settings import JSON_CONTENT, PARQUET_CONTENT

logger = logging.getLogger(__name__)

RECORD_SCHEMA = "v1"
TRACEBACK_LIMIT = 4000

CONDITION_EXPIRED = "EventAgeExceeded"

# Causes of unwritable records this process already logged in full (see `log_once`).
_LOGGED_CAUSES: set[str] = set()


def log_once(what: str, exc: BaseException, message: str) -> None:
    """Log an unwritable record in one line, no traceback (`what` names the record).

    The same cause (say ENOSPC) is logged in full once per process and at debug level after
    that: a full disk is one problem, not one traceback per write (the re-raised error still
    names each shard). The child, this recorder and the local runtime use it.
    """
    cause = f"{what}:{_cause_key(exc)}"
    if cause in _LOGGED_CAUSES:
        logger.debug("%s", message)
        return
    _LOGGED_CAUSES.add(cause)
    logger.error("%s", message)


def _cause_key(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return f"errno:{errno.errorcode.get(seen.errno, seen.errno)}"
        seen = seen.__cause__ or seen.__context__
    return f"type:{type(exc).__name__}"


@dataclass(frozen=True, slots=True)
class ShardFailure:
    """One failed attempt of a shard, as its failure record states it."""

    run_id: str
    shard_id: int
    start_index: Any
    end_index: Any
    attempt: int
    attempt_id: str
    run_date: str
    model: str | None
    fingerprint: Any
    error_code: str
    error_kind: str
    error_message: str
    traceback: str
    event_time: datetime
    timing: Mapping[str, Any] | None = None
    """The attempt's ledger fields (started_at, ended_at, memory_mb, cold_start, instance_id;
    `handlers.ledger.timing_fields`) where known, so its compute counts in the run's ledger."""


@dataclass(frozen=True, slots=True)
class WrittenFailure:
    """Where a failure record went: the envelope's key, and why its shard_errors row could not
    be written (None when it was, or already existed)."""

    outcome_key: str
    errors_problem: Exception | None


def write_failure_record(
    store: ObjectStore, layout: StorageLayout, failure: ShardFailure, *, exclusive: bool
) -> WrittenFailure:
    """Write the shard_errors row, then the failure envelope naming it (size and SHA-256).

    Both writes are tried whatever happened to the other (on a nearly full disk the small
    envelope may still fit): a failed row write is returned, not raised. `exclusive` writes
    create-if-absent (the recorder, whose attempt id a duplicate delivery repeats): an existing
    row is kept, and an existing envelope raises AlreadyExists. Otherwise the envelope is
    written with `put` (the child: a fresh attempt id). Any error writing the envelope is
    raised: the caller decides what an unrecorded failure means.
    """
    f = failure
    errors_key = layout.errors_key(f.run_date, f.run_id, f.shard_id, f.attempt, f.attempt_id)
    row = {
        "shard_id": f.shard_id,
        "start_index": _int(f.start_index, 0),
        "end_index": _int(f.end_index, 0),
        "attempt": f.attempt,
        "attempt_id": f.attempt_id,
        "model": f.model,
        "error_code": f.error_code,
        "error_kind": f.error_kind,
        "error_message": f.error_message,
        "traceback": f.traceback[-TRACEBACK_LIMIT:],
        "event_time": f.event_time.replace(microsecond=(f.event_time.microsecond // 1000) * 1000),
        "runtime_version": __version__,
    }
    written: bytes | None = None
    named = False  # the envelope names the row: written now, or already there
    problem: Exception | None = None
    try:
        data = errors_parquet(row)
        if exclusive:
            store.put_if_absent(errors_key, data, PARQUET_CONTENT)
        else:
            store.put(errors_key, data, PARQUET_CONTENT)
        written, named = data, True
    except AlreadyExists:
        named = True  # a duplicate delivery of the same record wrote it
    except Exception as exc:  # the envelope below still records the failure
        problem = exc
    envelope: dict[str, Any] = {
        "end_index": f.end_index,
        "error_code": f.error_code,
        "error_message": f.error_message,
        "event_time": f.event_time.isoformat(),
        "record_schema": RECORD_SCHEMA,
        "run_id": f.run_id,
        "shard_id": f.shard_id,
        "start_index": f.start_index,
        "status": "failure",
        "attempt": f.attempt,
        "contract_version": CONTRACT_VERSION,
        "fingerprint": f.fingerprint,
        "model": f.model,
        "run_date": f.run_date,
        "runtime_version": __version__,
        "attempt_id": f.attempt_id,
        "error_kind": f.error_kind,
    }
    if f.timing:
        envelope.update({k: v for k, v in f.timing.items() if k in _TIMING_FIELDS})
    if named:
        envelope["errors_key"] = errors_key
    if written is not None:
        envelope["errors_size"] = len(written)
        envelope["errors_sha256"] = sha256_hex(written)
    try:
        envelope = contract_document("FailureOutcome", envelope)
    except Exception:  # never lose a failure record to a contract bug: keep the raw fields
        logger.exception("failure envelope does not match the FailureOutcome contract")
    outcome_key = layout.failure_outcome_key(
        f.run_date, f.run_id, f.shard_id, f.attempt, f.attempt_id
    )
    body = dumps_canonical(envelope).encode()
    if exclusive:
        store.put_if_absent(outcome_key, body, JSON_CONTENT)
    else:
        store.put(outcome_key, body, JSON_CONTENT)
    return WrittenFailure(outcome_key, problem)


class NotAFailureRecord(ValueError):
    """The event is not a Lambda on-failure destination record for a shard payload."""


_TIMING_FIELDS = frozenset({"started_at", "ended_at", "memory_mb", "cold_start", "instance_id"})
_TIMED_OUT = re.compile(r"Task timed out after (\d+(?:\.\d+)?) seconds")


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
    timestamp: datetime | None = None

    def timing(self) -> dict[str, Any] | None:
        """The failed attempt's times, when the record gives them: a platform timeout names
        its duration ("Task timed out after 900.00 seconds") and the record's timestamp is when
        it ended. A crash or an expired event says nothing of when it started: None.
        The recorder's memory is not the child's, so memory_mb stays null (the ledger prices
        it at its assumed memory and counts it in memory_assumed_invocations)."""
        match = _TIMED_OUT.search(self.error_message)
        if match is None or self.timestamp is None:
            return None
        started = self.timestamp - timedelta(seconds=float(match.group(1)))
        return {
            "started_at": started.isoformat(),
            "ended_at": self.timestamp.isoformat(),
            "memory_mb": None,
        }

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
            timestamp=_timestamp(event.get("timestamp")),
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
        message = (
            f"{record.error_message} (Lambda {record.condition or 'failure'} after "
            f"{record.invoke_count} invocation(s), request id {record.request_id or '?'})"
        )
        model = p.get("model") if isinstance(p.get("model"), str) else None
        failure = ShardFailure(
            run_id=run_id,
            shard_id=shard_id,
            start_index=p["start_index"],
            end_index=p["end_index"],
            attempt=attempt,
            attempt_id=attempt_id,
            run_date=run_date,
            model=model,
            fingerprint=p.get("fingerprint"),
            error_code=record.error_type,
            error_kind=kind,
            error_message=message,
            traceback=record.stack_trace,
            event_time=self.clock.now(),
            timing=record.timing(),
        )
        try:
            written = write_failure_record(self.store, self.layout, failure, exclusive=True)
        except AlreadyExists:
            return {**result, "recorded": False, "reason": "already recorded (duplicate)"}
        if written.errors_problem is not None:
            # one line per cause and process: a full disk is one problem, not one per shard
            log_once(
                "recorder_errors_row",
                written.errors_problem,
                f"could not write the shard_errors row: {written.errors_problem}",
            )
        outcome_key = written.outcome_key
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


def _timestamp(value: object) -> datetime | None:
    """The record's ISO 8601 timestamp (Lambda writes `...Z`), UTC; None when absent or bad."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
