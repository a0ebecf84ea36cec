"""Run status and redrive planning, derived only from what is in the store.

Nothing keeps a separate state table: the manifest says which shards exist, success envelopes
say which are done, failure envelopes say which attempts failed. Anyone with read access to the
bucket (or folder) can therefore recompute the same status the API reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from serverless_sweep.contracts import RunStatus, ShardFailure
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers.ports import ObjectStore, StoreError, StoreNotConfigured
from serverless_sweep.handlers.responses import (
    CONTRACT_VERSION,
    contract_body,
    error_response,
    proxy_response,
)
from serverless_sweep.handlers.runs import RunRecord, find_run

MISSING_LIST_LIMIT = 1000
REDRIVE_PREFIX = "redrive-"


@dataclass
class ShardStates:
    """Per-shard facts gathered from the store."""

    succeeded: set[int] = field(default_factory=set)
    # shard_id -> attempt numbers and failure envelope keys seen
    failures: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    # shard_id -> highest attempt number dispatched by a redrive
    redriven: dict[int, int] = field(default_factory=dict)

    def last_attempt(self, shard_id: int) -> int:
        attempts = [a for a, _ in self.failures.get(shard_id, [])]
        attempts.append(self.redriven.get(shard_id, 1))
        return max(attempts)


def gather_states(store: ObjectStore, layout: StorageLayout, record: RunRecord) -> ShardStates:
    states = ShardStates()
    for status in ("success", "failure"):
        prefix = layout.run_prefix("shard_outcomes", record.run_date, record.run_id, status)
        for key in store.list_keys(prefix):
            parsed = layout.parse_key(key)
            if parsed is None or parsed.shard_id is None:
                continue
            if status == "success":
                states.succeeded.add(parsed.shard_id)
            else:
                attempt = parsed.attempt if parsed.attempt is not None else 1
                states.failures.setdefault(parsed.shard_id, []).append((attempt, key))
    for redrive in _redrive_records(store, layout, record):
        for shard_id, attempt in redrive.get("attempts", {}).items():
            sid = int(shard_id)
            states.redriven[sid] = max(states.redriven.get(sid, 1), int(attempt))
    return states


def _redrive_records(
    store: ObjectStore, layout: StorageLayout, record: RunRecord
) -> Iterator[dict[str, Any]]:
    for key in store.list_keys(redrive_prefix(record)):
        raw = store.get(key)
        if raw is not None:
            yield json.loads(raw)


def redrive_prefix(record: RunRecord) -> str:
    """Redrive logs sit beside the manifest: <manifest folder>/redrive-NNNNNN.json."""
    return record.manifest_key.rsplit("/", 1)[0] + "/" + REDRIVE_PREFIX


def redrive_key(record: RunRecord, sequence: int) -> str:
    return f"{redrive_prefix(record)}{sequence:06d}.json"


def run_status(store: ObjectStore, layout: StorageLayout, record: RunRecord) -> dict[str, Any]:
    """The RunStatus document (schemas/v1/run_status.json)."""
    states = gather_states(store, layout, record)
    shards = record.shards
    shard_ids = {s.shard_id for s in shards}
    succeeded = states.succeeded & shard_ids
    failed = sorted((set(states.failures) & shard_ids) - succeeded)
    missing = sorted(shard_ids - succeeded - set(failed))
    points_done = sum(s.end_index - s.start_index for s in shards if s.shard_id in succeeded)
    tolerated = float(record.request.get("tolerated_failure_percentage", 0))
    if missing:
        state = "running"
    elif not failed or 100.0 * len(failed) / len(shards) <= tolerated:
        state = "succeeded"
    else:
        state = "failed"
    status = RunStatus(
        contract_version=CONTRACT_VERSION,
        run_id=record.run_id,
        run_date=record.run_date,
        model=record.model,
        fingerprint=record.fingerprint,
        state=state,
        total_points=record.total_points,
        shard_count=len(shards),
        succeeded_shards=len(succeeded),
        failed_shards=len(failed),
        pending_shards=len(missing),
        points_done=points_done,
        coverage=points_done / record.total_points if record.total_points else 0.0,
        tolerated_failure_percentage=tolerated,
        failures=[_latest_failure(store, states, sid) for sid in failed],
        missing_shard_ids=missing[:MISSING_LIST_LIMIT],
    )
    return contract_body(status)


def _latest_failure(store: ObjectStore, states: ShardStates, shard_id: int) -> ShardFailure:
    newest: dict[str, Any] | None = None
    for _attempt, key in states.failures[shard_id]:
        raw = store.get(key)
        if raw is None:
            continue
        envelope = json.loads(raw)
        rank = (int(envelope.get("attempt", 1)), str(envelope.get("event_time", "")))
        if newest is None or rank > (
            int(newest.get("attempt", 1)),
            str(newest.get("event_time", "")),
        ):
            newest = envelope
    newest = newest or {}
    return ShardFailure(
        shard_id=shard_id,
        attempt=int(newest.get("attempt", 1)),
        error_kind=str(newest.get("error_kind", "internal")),
        error_code=str(newest.get("error_code", "unknown")),
        error_message=str(newest.get("error_message", "failure record unreadable")),
    )


@dataclass
class StatusHandler:
    """GET /sweep-run/{run_id}."""

    store: ObjectStore
    layout: StorageLayout

    def handle(self, run_id: str) -> dict[str, Any]:
        try:
            self.store.check_configured()
            record = find_run(self.store, self.layout, run_id)
            if record is None:
                message = f"No run with run_id {run_id!r}"
                return error_response(404, "not_found", message, run_id=run_id)
            return proxy_response(200, run_status(self.store, self.layout, record))
        except StoreNotConfigured as exc:
            return error_response(500, "misconfiguration", str(exc), run_id=run_id)
        except StoreError as exc:
            return error_response(500, "internal_error", f"store failed: {exc}", run_id=run_id)
