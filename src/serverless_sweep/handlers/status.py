"""Run status and redrive planning, derived only from what is in the store.

Nothing keeps a separate state table: the manifest says which shards exist, success envelopes
say which are done, failure envelopes say which attempts failed. Anyone with read access to the
bucket (or folder) can therefore recompute the same status the API reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers.api_results import NotFound
from serverless_sweep.handlers.contract_docs import contract_document
from serverless_sweep.handlers.dispatch_ledger import (
    JOB_SUBMIT,
    job_items,
    read_ledger,
    redrive_job,
    redrive_log_prefix,
)
from serverless_sweep.handlers.ledger import status_ledger
from serverless_sweep.handlers.ports import Clock, ObjectStore, SystemClock
from serverless_sweep.handlers.responses import CONTRACT_VERSION
from serverless_sweep.handlers.runs import RunRecord, find_run
from serverless_sweep.handlers.settings import DEFAULT_LOST_AFTER_S

if TYPE_CHECKING:
    # Imported where a status is built: the Lambda parent imports this module on its submit
    # path, which needs no pydantic (issue 8).
    from serverless_sweep.contracts import RunStatus

MISSING_LIST_LIMIT = 1000


@dataclass
class ShardStates:
    """Per-shard facts gathered from the store."""

    succeeded: set[int] = field(default_factory=set)
    # shard_id -> attempt numbers and failure envelope keys seen
    failures: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    def last_failed_attempt(self, shard_id: int) -> int:
        return max((a for a, _ in self.failures.get(shard_id, [])), default=0)


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
    return states


def _redrive_records(store: ObjectStore, record: RunRecord) -> Iterator[dict[str, Any]]:
    for key in store.list_keys(redrive_log_prefix(record)):
        raw = store.get(key)
        if raw is not None:
            yield json.loads(raw)


def run_status(
    store: ObjectStore,
    layout: StorageLayout,
    record: RunRecord,
    *,
    now: datetime | None = None,
    lost_after_s: float = DEFAULT_LOST_AFTER_S,
) -> dict[str, Any]:
    """The RunStatus document (schemas/v1/run_status.json) as JSON data (see
    `run_status_fields`): the generated checker's body, the model's dump where it is not sure."""
    fields = run_status_fields(store, layout, record, now=now, lost_after_s=lost_after_s)
    return contract_document("RunStatus", fields, lambda: _run_status_of(fields))


def run_status_model(
    store: ObjectStore,
    layout: StorageLayout,
    record: RunRecord,
    *,
    now: datetime | None = None,
    lost_after_s: float = DEFAULT_LOST_AFTER_S,
) -> RunStatus:
    """The run's status as the generated RunStatus contract model (see `run_status_fields`)."""
    fields = run_status_fields(store, layout, record, now=now, lost_after_s=lost_after_s)
    return _run_status_of(fields)


def _run_status_of(fields: dict[str, Any]) -> RunStatus:
    from serverless_sweep.contracts import RunStatus

    return RunStatus(**fields)


def run_status_fields(
    store: ObjectStore,
    layout: StorageLayout,
    record: RunRecord,
    *,
    now: datetime | None = None,
    lost_after_s: float = DEFAULT_LOST_AFTER_S,
) -> dict[str, Any]:
    """The RunStatus fields, as plain data (the model, or its generated checker, takes them).

    A shard is succeeded (success envelope), failed (a failure envelope, no success), or has no
    record yet; then the dispatch ledger says whether it is in flight, not yet dispatched,
    refused by the invoke API (dispatch_failed), or lost: dispatched (or waiting for a dispatcher
    that shows no sign of life) longer than `lost_after_s` ago. Lost and dispatch-failed shards
    will not get a record by themselves, so they are not pending: they count like failed ones.
    """
    states = gather_states(store, layout, record)
    shards = record.shards
    shard_ids = {s.shard_id for s in shards}
    succeeded = states.succeeded & shard_ids
    with_failures = sorted((set(states.failures) & shard_ids) - succeeded)
    missing = sorted(shard_ids - succeeded - set(with_failures))
    latest = dispatch_states(
        store, record, missing + with_failures, now or datetime.now(UTC), lost_after_s
    )
    # A failed shard whose newer attempt is dispatched (a redrive in progress) is pending again:
    # its old failure is not its outcome any more.
    retrying = [
        s
        for s in with_failures
        if latest[s][1] in ("dispatched", "undispatched")
        and latest[s][0] > states.last_failed_attempt(s)
    ]
    failed = [s for s in with_failures if s not in set(retrying)]
    missing = sorted(missing + retrying)
    dispatch = {s: latest[s][1] for s in missing}
    lost = sorted(s for s in missing if dispatch[s] == "lost")
    dispatch_failed = [s for s in missing if dispatch[s] == "dispatch_failed"]
    in_flight = sum(1 for s in missing if dispatch[s] == "dispatched")
    waiting = sum(1 for s in missing if dispatch[s] == "undispatched")
    pending = in_flight + waiting
    points_done = sum(s.end_index - s.start_index for s in shards if s.shard_id in succeeded)
    tolerated = float(record.request.get("tolerated_failure_percentage", 0))
    unfinished = len(failed) + len(lost) + len(dispatch_failed)
    if pending:
        state = "running"
    elif not unfinished or 100.0 * unfinished / len(shards) <= tolerated:
        state = "succeeded"
    else:
        state = "failed"
    return {
        "contract_version": CONTRACT_VERSION,
        "run_id": record.run_id,
        "run_date": record.run_date,
        "model": record.model,
        "fingerprint": record.fingerprint,
        "state": state,
        "total_points": record.total_points,
        "shard_count": len(shards),
        "succeeded_shards": len(succeeded),
        "failed_shards": len(failed),
        "pending_shards": pending,
        "points_done": points_done,
        "coverage": points_done / record.total_points if record.total_points else 0.0,
        "tolerated_failure_percentage": tolerated,
        "failures": [_latest_failure(store, states, sid) for sid in failed],
        "missing_shard_ids": missing[:MISSING_LIST_LIMIT],
        "dispatched_shards": in_flight,
        "undispatched_shards": waiting,
        "dispatch_failed_shards": len(dispatch_failed),
        "lost_shards": len(lost),
        "lost_shard_ids": lost[:MISSING_LIST_LIMIT],
        "ledger": status_ledger(store, layout, record, finished=not pending),
    }


def dispatch_states(
    store: ObjectStore,
    record: RunRecord,
    shard_ids: list[int],
    now: datetime,
    lost_after_s: float,
) -> dict[int, tuple[int, str]]:
    """(latest attempt, dispatched | undispatched | dispatch_failed | lost) of each shard.

    The latest attempt of each shard decides (the highest attempt the ledger or a redrive log
    names). Runs and redrives recorded before the ledger existed have no job records: their
    shards count as dispatched when the run (or the redrive) was accepted.
    """
    if not shard_ids:
        return {}
    wanted = set(shard_ids)
    ledgers = read_ledger(store, record)
    # (attempt, state, ISO time) of the newest known dispatch per shard
    latest: dict[int, tuple[int, str, str]] = {}

    def offer(shard_id: int, attempt: int, state: str, at: str) -> None:
        if shard_id in wanted and (shard_id not in latest or attempt >= latest[shard_id][0]):
            latest[shard_id] = (attempt, state, at)

    if JOB_SUBMIT not in ledgers:
        accepted_at = str(record.manifest.get("accepted_at", ""))
        for shard_id in wanted:
            offer(shard_id, 1, "dispatched", accepted_at)
    for sequence, log in enumerate(_redrive_records(store, record), start=1):
        if redrive_job(sequence) not in ledgers:
            for shard_id, attempt in log.get("attempts", {}).items():
                offer(int(shard_id), int(attempt), "dispatched", str(log.get("at", "")))
    for job, ledger in sorted(ledgers.items()):
        activity = ledger.last_activity() or ""
        items = job_items(store, record, job) or []
        claimed = {sid for sid, _ in ledger.shard_dispatches()}
        for shard, attempt in items:
            if shard.shard_id not in claimed:
                offer(shard.shard_id, attempt, "undispatched", activity)
        for shard_id, dispatch in ledger.shard_dispatches():
            state = "dispatch_failed" if dispatch.state == "failed" else "dispatched"
            offer(shard_id, dispatch.attempt, state, dispatch.at)

    horizon = now - timedelta(seconds=lost_after_s)
    result: dict[int, tuple[int, str]] = {}
    for shard_id in shard_ids:
        attempt, state, at = latest.get(shard_id, (1, "dispatched", ""))
        if state in ("dispatched", "undispatched") and _older_than(at, horizon):
            state = "lost"
        result[shard_id] = (attempt, state)
    return result


def _older_than(at: str, horizon: datetime) -> bool:
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return False  # an unreadable time never makes a shard lost
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment < horizon


def _latest_failure(store: ObjectStore, states: ShardStates, shard_id: int) -> dict[str, Any]:
    """The ShardFailure fields of a shard's newest failure record."""
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
    return {
        "shard_id": shard_id,
        "attempt": int(newest.get("attempt", 1)),
        "error_kind": str(newest.get("error_kind", "internal")),
        "error_code": str(newest.get("error_code", "unknown")),
        "error_message": str(newest.get("error_message", "failure record unreadable")),
    }


@dataclass
class StatusHandler:
    """GET /sweep-run/{run_id}: the typed status; NotFound for an unknown run, store failures
    escape (StoreError / StoreNotConfigured, which the HTTP edge answers)."""

    store: ObjectStore
    layout: StorageLayout
    lost_after_s: float = DEFAULT_LOST_AFTER_S
    clock: Clock = field(default_factory=SystemClock)

    def handle(self, run_id: str) -> RunStatus:
        """The status as the RunStatus model (imports pydantic)."""
        return run_status_model(
            self.store,
            self.layout,
            self._record(run_id),
            now=self.clock.now(),
            lost_after_s=self.lost_after_s,
        )

    def body(self, run_id: str) -> dict[str, Any]:
        """The status as the RunStatus body, what the API answers (no pydantic needed)."""
        return run_status(
            self.store,
            self.layout,
            self._record(run_id),
            now=self.clock.now(),
            lost_after_s=self.lost_after_s,
        )

    def _record(self, run_id: str) -> RunRecord:
        self.store.check_configured()
        record = find_run(self.store, self.layout, run_id)
        if record is None:
            raise NotFound.run(run_id)
        return record
