"""The cost and timing ledger: what a run's shard attempts took, and what that costs on Lambda.

Each outcome envelope records its attempt's `started_at`/`ended_at` (UTC, ISO 8601), the
`memory_mb` configured for the function (Lambda's AWS_LAMBDA_FUNCTION_MEMORY_SIZE; null where
no memory is configured, as on a laptop), `cold_start` (the first attempt this process ran) and
`instance_id` (the Lambda log stream, which names one execution environment; locally the host
and worker pid), so a timeline can be drawn per instance (`timing_fields`, written by the child).

`compute_ledger` sums them into the RunStatus `ledger` object: invocations, compute seconds,
GB-seconds, shard duration percentiles, wall time and an estimate in US dollars from the named,
dated price table below. Attempts without a configured memory (local runs) are priced as if
they had run with `ASSUMED_MEMORY_MB` (the child's Terraform default), and counted in
`memory_assumed_invocations`, so a local run says what it would cost in the cloud.

Failed attempts cost as much as successful ones: the child's failure envelopes carry the same
timing fields, so their seconds count in compute_seconds, gb_seconds and estimated_usd and
each is an invocation (the shard percentiles stay those of successes). What is not known is
not invented: an attempt without times (a crash the recorder saw; older envelopes) counts 0 s.
An event that expired in Lambda's queue (`error_kind` expired) never ran: it is not counted.
"""

from __future__ import annotations

import json
import math
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers.bulk_reads import read_many
from serverless_sweep.handlers.ports import ObjectStore
from serverless_sweep.handlers.runs import RunRecord

#: AWS Lambda list prices, us-east-1, x86_64, on-demand, without the free tier (the figures
#: AWS has published since December 2020; the table's date says when it was last checked).
PRICE_TABLE: Final[dict[str, Any]] = {
    "name": "aws-lambda-us-east-1-x86_64-on-demand",
    "as_of": "2026-12-01",
    "usd_per_gb_second": 0.0000166667,
    "usd_per_million_requests": 0.20,
    "excludes": "free tier, S3 requests and storage, data transfer, the parent function",
}
#: Memory assumed for attempts that recorded none (infra/terraform variable child_memory_mb).
ASSUMED_MEMORY_MB: Final = 1769

_COLD = {"first": True}


def _instance_id() -> str:
    stream = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
    return stream if stream else f"{socket.gethostname()}:{os.getpid()}"


def _memory_mb() -> int | None:
    raw = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or ""
    return int(raw) if raw.isdigit() else None


def timing_fields(started_at: datetime, ended_at: datetime) -> dict[str, Any]:
    """The ledger fields of one attempt's outcome envelope (schemas/v1/shard_outcome.json).

    `cold_start` is true for the first attempt a process records (a Lambda execution
    environment or a local worker) and false after.
    """
    cold = _COLD["first"]
    _COLD["first"] = False
    return {
        "started_at": started_at.isoformat(),
        "ended_at": ended_at.isoformat(),
        "memory_mb": _memory_mb(),
        "cold_start": cold,
        "instance_id": _instance_id(),
    }


#: What `compute_ledger` reads of an outcome envelope, in the order of `ledger_fields` (a
#: compaction chunk keeps these fields of each success envelope it lists, so the compactor
#: need not decode the envelope).
LEDGER_FIELDS: Final = (
    "status",
    "error_kind",
    "started_at",
    "ended_at",
    "duration_ms",
    "memory_mb",
    "cold_start",
    "event_time",
)
LedgerFields = tuple[Any, ...]
"""An envelope's `LEDGER_FIELDS` values in that order (None for an absent field)."""


def ledger_fields(envelope: Mapping[str, Any]) -> LedgerFields:
    """What the ledger reads of an envelope: `compute_ledger(envelopes)` is
    `ledger_of_fields(map(ledger_fields, envelopes))`."""
    get = envelope.get
    return (
        get("status"),
        get("error_kind"),
        get("started_at"),
        get("ended_at"),
        get("duration_ms"),
        get("memory_mb"),
        get("cold_start"),
        get("event_time"),
    )


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def attempt_seconds(envelope: Mapping[str, Any]) -> float | None:
    """An attempt's duration: ended_at - started_at, else duration_ms (older envelopes)."""
    return _seconds(
        _time(envelope.get("started_at")),
        _time(envelope.get("ended_at")),
        envelope.get("duration_ms"),
    )


def _seconds(start: datetime | None, end: datetime | None, duration: object) -> float | None:
    if start is not None and end is not None and end >= start:
        return (end - start).total_seconds()
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0:
        return float(duration) / 1000.0
    return None


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (0 < share <= 1) of non-empty values."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def compute_ledger(envelopes: Iterable[Mapping[str, Any]], accepted_at: object) -> dict[str, Any]:
    """The RunStatus `ledger` of a run's outcome envelopes (success and failure ones)."""
    return ledger_of_fields(map(ledger_fields, envelopes), accepted_at)


def ledger_of_fields(attempts: Iterable[LedgerFields], accepted_at: object) -> dict[str, Any]:
    """`compute_ledger` of the envelopes whose `ledger_fields` are `attempts`."""
    invocations = 0
    compute = 0.0
    gb_seconds = 0.0
    assumed = 0
    cold = 0
    shard_seconds: list[float] = []
    last_end: datetime | None = None
    for (
        status,
        error_kind,
        started_at,
        ended_at,
        duration_ms,
        memory,
        cold_start,
        event_time,
    ) in attempts:
        if status == "failure" and error_kind == "expired":
            continue  # never invoked, never billed
        invocations += 1
        ended = _time(ended_at)  # parsed once: the duration's end and the run's end
        seconds = _seconds(_time(started_at), ended, duration_ms) or 0.0
        compute += seconds
        if not isinstance(memory, int) or isinstance(memory, bool) or memory <= 0:
            memory = ASSUMED_MEMORY_MB
            assumed += 1
        gb_seconds += seconds * memory / 1024.0
        if cold_start is True:
            cold += 1
        if status == "success":
            shard_seconds.append(seconds)
        end = ended if ended is not None else _time(event_time)
        if end is not None and (last_end is None or end > last_end):
            last_end = end
    start = _time(accepted_at)
    wall = (last_end - start).total_seconds() if start and last_end and last_end >= start else 0.0
    usd = (
        gb_seconds * float(PRICE_TABLE["usd_per_gb_second"])
        + invocations * float(PRICE_TABLE["usd_per_million_requests"]) / 1_000_000
    )
    return {
        "invocations": invocations,
        "cold_starts": cold,
        "compute_seconds": round(compute, 6),
        "gb_seconds": round(gb_seconds, 6),
        "shard_seconds_p50": round(percentile(shard_seconds, 0.5), 6) if shard_seconds else 0.0,
        "shard_seconds_p95": round(percentile(shard_seconds, 0.95), 6) if shard_seconds else 0.0,
        "wall_seconds": round(wall, 3),
        "estimated_usd": round(usd, 8),
        "memory_assumed_invocations": assumed,
        "assumed_memory_mb": ASSUMED_MEMORY_MB,
        "price_table": dict(PRICE_TABLE),
    }


def _read_all(store: ObjectStore, keys: Sequence[str], workers: int = 8) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for raw in read_many(store, keys, workers):
        if raw is None:
            continue
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            continue  # a damaged record is reported by status and verify, not here
        if isinstance(doc, dict):
            found.append(doc)
    return found


def failure_envelopes(
    store: ObjectStore, layout: StorageLayout, record: RunRecord
) -> list[dict[str, Any]]:
    """Every readable failure envelope of the run (one per failed attempt)."""
    prefix = layout.run_prefix("shard_outcomes", record.run_date, record.run_id, "failure")
    return _read_all(store, [k for k in store.list_keys(prefix) if k.endswith(".json")])


def outcome_envelopes(
    store: ObjectStore, layout: StorageLayout, record: RunRecord
) -> list[dict[str, Any]]:
    """Every readable outcome envelope of the run (success and failure), for timelines."""
    prefix = layout.run_prefix("shard_outcomes", record.run_date, record.run_id, "success")
    successes = _read_all(store, [k for k in store.list_keys(prefix) if k.endswith(".json")])
    return successes + failure_envelopes(store, layout, record)


def status_ledger(
    store: ObjectStore, layout: StorageLayout, record: RunRecord, *, finished: bool
) -> dict[str, Any] | None:
    """The RunStatus `ledger`: None while shards are pending (it would only be a snapshot);
    then `run_ledger` (one read once compacted, one read per attempt before)."""
    return run_ledger(store, layout, record) if finished else None


def run_ledger(store: ObjectStore, layout: StorageLayout, record: RunRecord) -> dict[str, Any]:
    """The run's ledger: from its compaction record when compacted (one read), else from every
    outcome envelope (one read each: the CLI and finished runs; see handlers/status.py)."""
    from serverless_sweep.handlers.compaction import committed_record

    compaction = committed_record(store, layout, record)
    if compaction is not None and compaction.ledger is not None:
        return compaction.ledger
    return compute_ledger(
        outcome_envelopes(store, layout, record), record.manifest.get("accepted_at")
    )
