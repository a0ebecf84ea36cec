"""The dispatch ledger: what the dispatcher has handed to the invoke API, kept in the store.

Why a ledger: the dispatcher runs after the API has answered, possibly across several
invocations (continuations before its deadline, Lambda's retries after a crash, a duplicate
delivery of its own event). Each of them must resume exactly where the others stopped, never
invoke a shard twice, and leave enough behind for the status to say which shards are
dispatched, which are not yet, and which were dispatched so long ago that they must be lost.

Layout, beside the run's manifest (`<manifest folder>` is `.../status=accepted/`):

```
<manifest folder>dispatch-<job>/job.json              the job exists (created_at)
<manifest folder>dispatch-<job>/claim-<start>.json    items [start, end) taken (create-if-absent)
<manifest folder>dispatch-<job>/done-<start>.json     how each invoke of that claim ended
<manifest folder>dispatch-<job>/heartbeat.json        the dispatcher is alive (a capped run waits)
```

A job is `submit` (every shard of the plan, attempt 1) or `redrive-NNNNNN` (the shards and
attempts of that redrive log). Its items are in a fixed order; claims form a chain: a claim
starts where the previous one ended, and the create-if-absent write of `claim-<start>` decides
which dispatcher invokes those items. A claim without its `done` record belongs to a dispatcher
that stopped in the middle: its items are *in doubt*, never invoked again by a dispatcher; the
status counts them as dispatched and, when no record arrives in time, as lost (redrive reruns
them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.planning import ShardRange
from serverless_sweep.handlers.ports import AlreadyExists, ObjectStore
from serverless_sweep.handlers.runs import RunRecord
from serverless_sweep.handlers.settings import JSON_CONTENT

JOB_SUBMIT = "submit"
REDRIVE_JOB_PREFIX = "redrive-"
JOB_NAME = re.compile(r"^(?:submit|redrive-\d{6})$")
LEDGER_FOLDER_PREFIX = "dispatch-"

#: One item of a job: (shard, attempt number sent with it).
JobItem = tuple[ShardRange, int]


def redrive_job(sequence: int) -> str:
    """The job name of redrive log number `sequence`."""
    return f"{REDRIVE_JOB_PREFIX}{sequence:06d}"


def is_job_name(value: object) -> bool:
    return isinstance(value, str) and JOB_NAME.match(value) is not None


def manifest_folder(record: RunRecord) -> str:
    return record.manifest_key.rsplit("/", 1)[0] + "/"


def redrive_log_prefix(record: RunRecord) -> str:
    """Redrive logs sit beside the manifest: <manifest folder>redrive-NNNNNN.json."""
    return manifest_folder(record) + REDRIVE_JOB_PREFIX


def redrive_log_key(record: RunRecord, job: str) -> str:
    """The redrive log of job `redrive-NNNNNN` (the job is named after its log)."""
    return f"{manifest_folder(record)}{job}.json"


def job_prefix(record: RunRecord, job: str) -> str:
    return f"{manifest_folder(record)}{LEDGER_FOLDER_PREFIX}{job}/"


def job_key(record: RunRecord, job: str) -> str:
    return job_prefix(record, job) + "job.json"


def claim_key(record: RunRecord, job: str, start: int) -> str:
    return f"{job_prefix(record, job)}claim-{start:08d}.json"


def done_key(record: RunRecord, job: str, start: int) -> str:
    return f"{job_prefix(record, job)}done-{start:08d}.json"


def heartbeat_key(record: RunRecord, job: str) -> str:
    return job_prefix(record, job) + "heartbeat.json"


def create_job(store: ObjectStore, record: RunRecord, job: str, created_at: datetime) -> bool:
    """Record that `job` exists (create-if-absent); False when it already did."""
    document = {"job": job, "run_id": record.run_id, "created_at": created_at.isoformat()}
    try:
        store.put_if_absent(job_key(record, job), dumps_canonical(document).encode(), JSON_CONTENT)
    except AlreadyExists:
        return False
    return True


def job_items(store: ObjectStore, record: RunRecord, job: str) -> list[JobItem] | None:
    """The job's items in dispatch order, or None when the job names nothing known."""
    if job == JOB_SUBMIT:
        return [(shard, 1) for shard in record.shards]
    if not job.startswith(REDRIVE_JOB_PREFIX):
        return None
    raw = store.get(redrive_log_key(record, job))
    if raw is None:
        return None
    attempts = {int(k): int(v) for k, v in json.loads(raw).get("attempts", {}).items()}
    return [
        (shard, attempts[shard.shard_id]) for shard in record.shards if shard.shard_id in attempts
    ]


@dataclass(frozen=True, slots=True)
class ShardDispatch:
    """What the ledger says about the latest dispatch of one shard."""

    attempt: int
    state: str
    """accepted (the invoke API took it), in_doubt (claimed, the claimer stopped before saying),
    failed (the invoke API refused it for good), waiting (its job has not reached it yet)."""
    at: str
    """ISO time of the claim, the invoke result or (waiting) the job's latest sign of life."""
    error: str | None = None


@dataclass
class JobLedger:
    """Everything the store holds about one job."""

    job: str
    created_at: str | None = None
    heartbeat_at: str | None = None
    claims: dict[int, dict[str, Any]] = field(default_factory=dict)
    dones: dict[int, dict[str, Any]] = field(default_factory=dict)

    def next_start(self) -> int:
        """Where the next claim starts: the end of the chain of claims from 0."""
        start = 0
        while start in self.claims:
            start = int(self.claims[start]["end"])
        return start

    def last_activity(self) -> str | None:
        """The newest time anything of this job was written."""
        times = [self.created_at, self.heartbeat_at]
        times += [c.get("claimed_at") for c in self.claims.values()]
        times += [d.get("done_at") for d in self.dones.values()]
        present = [t for t in times if isinstance(t, str)]
        return max(present) if present else None

    def shard_dispatches(self) -> Iterator[tuple[int, ShardDispatch]]:
        for start, claim in self.claims.items():
            done = self.dones.get(start)
            if done is None:
                for shard_id, attempt in claim.get("items", []):
                    yield (
                        int(shard_id),
                        ShardDispatch(int(attempt), "in_doubt", str(claim.get("claimed_at", ""))),
                    )
                continue
            at = str(done.get("done_at", ""))
            for shard_id, attempt, _status in done.get("accepted", []):
                yield int(shard_id), ShardDispatch(int(attempt), "accepted", at)
            for shard_id, attempt, error in done.get("failed", []):
                yield int(shard_id), ShardDispatch(int(attempt), "failed", at, str(error))


def read_job(store: ObjectStore, record: RunRecord, job: str) -> JobLedger:
    ledger = JobLedger(job)
    _fill(store, ledger, store.list_keys(job_prefix(record, job)))
    return ledger


def read_ledger(store: ObjectStore, record: RunRecord) -> dict[str, JobLedger]:
    """Every job of the run, by name (one listing plus one read per record)."""
    jobs: dict[str, list[str]] = {}
    base = manifest_folder(record) + LEDGER_FOLDER_PREFIX
    for key in store.list_keys(base):
        job = key[len(base) :].split("/", 1)[0]
        if is_job_name(job):
            jobs.setdefault(job, []).append(key)
    ledgers = {}
    for job, keys in jobs.items():
        ledgers[job] = JobLedger(job)
        _fill(store, ledgers[job], keys)
    return ledgers


_RECORD = re.compile(r"/(claim|done)-(\d{8})\.json$")


def _fill(store: ObjectStore, ledger: JobLedger, keys: Iterable[str]) -> None:
    for key in keys:
        raw = store.get(key)
        if raw is None:
            continue
        document = _loads(raw)
        if document is None:
            continue
        if key.endswith("/job.json"):
            ledger.created_at = _str(document.get("created_at"))
        elif key.endswith("/heartbeat.json"):
            ledger.heartbeat_at = _str(document.get("at"))
        else:
            match = _RECORD.search(key)
            if match is None:
                continue
            target = ledger.claims if match.group(1) == "claim" else ledger.dones
            target[int(match.group(2))] = document


def _loads(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None  # a damaged ledger record: its items count as in doubt (see shard_dispatches)
    return value if isinstance(value, dict) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def claim_redrive(
    store: ObjectStore,
    record: RunRecord,
    shards: list[ShardRange],
    now: datetime,
    *,
    generation: int = 0,
) -> int:
    """Write the next redrive log create-if-absent and return its sequence number.

    The attempt number of every shard in redrive N is N + 1 (the submission is attempt 1): the
    create-if-absent write hands each sequence to one redrive, so concurrent redrives can never
    reuse an attempt number, and it is always above every earlier attempt of the shard (each
    earlier redrive k < N gave at most k + 1). `generation` > 0 marks a follow-up job the
    dispatcher created for invokes it had to give up on (see `Dispatcher`).
    """
    sequence = 1 + sum(1 for _ in store.list_keys(redrive_log_prefix(record)))
    while True:
        log: dict[str, Any] = {
            "attempts": {str(s.shard_id): sequence + 1 for s in shards},
            "at": now.isoformat(),
        }
        if generation:
            log["generation"] = generation
        try:
            store.put_if_absent(
                redrive_log_key(record, redrive_job(sequence)),
                dumps_canonical(log).encode(),
                JSON_CONTENT,
            )
            return sequence
        except AlreadyExists:
            sequence += 1


def job_generation(store: ObjectStore, record: RunRecord, job: str) -> int:
    """How many follow-up jobs separate `job` from the submission or redrive a person started."""
    if not job.startswith(REDRIVE_JOB_PREFIX):
        return 0
    raw = store.get(redrive_log_key(record, job))
    document = _loads(raw) if raw is not None else None
    value = (document or {}).get("generation", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
