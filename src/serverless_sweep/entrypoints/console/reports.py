"""The text reports of a run: status block, failures, where its files are."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from serverless_sweep.adapters.local.runtime import LOCAL_PREFIX
from serverless_sweep.core.keys import (
    DATASET_RUNS,
    DATASET_SHARD_ERRORS,
    DATASET_SHARD_METRICS,
    DATASET_SHARD_OUTCOMES,
    STATUS_ACCEPTED,
    STATUS_FAILURE,
    STATUS_SUCCESS,
    StorageLayout,
)
from serverless_sweep.core.outputs import DATASET_OF_OUTPUT, request_outputs
from serverless_sweep.handlers.compaction import DATASET_RUN_METRICS
from serverless_sweep.handlers.runs import RunRecord

FAILURES_SHOWN: Final = 10


def local_state(status: Mapping[str, Any], pids: Sequence[int]) -> str:
    """The state to show locally: ``running`` only while a local process works on the run;
    otherwise shards without a record are missing and the run is ``incomplete``."""
    state = str(status.get("state"))
    if state == "running" and not pids:
        return "incomplete"
    return state


def status_json(status: Mapping[str, Any], pids: Sequence[int]) -> dict[str, Any]:
    """The RunStatus document plus the local view: active processes and missing shards."""
    doc = dict(status)
    pending = int(status.get("pending_shards", 0))
    doc["local_state"] = local_state(status, pids)
    doc["active_pids"] = list(pids)
    doc["missing_shards"] = 0 if pids else pending
    return doc


def _pct(value: float) -> str:
    return f"{100.0 * value:.1f}%"


def status_lines(
    record: RunRecord,
    status: Mapping[str, Any],
    pids: Sequence[int],
    redrive_cmd: str,
    extra: Sequence[str] = (),
) -> list[str]:
    """The status block: state, shards, coverage, `extra` lines, then what to do about missing
    or failed shards."""
    pending = int(status["pending_shards"])
    shards = (
        f"{status['shard_count']} total: {status['succeeded_shards']} succeeded, "
        f"{status['failed_shards']} failed, "
    )
    if pids:
        shards += f"{pending} pending"
    else:
        shards += f"{pending} missing"
    request = record.request
    lines = [
        f"run        {record.run_id}",
        f"state      {local_state(status, pids)}",
        f"model      {record.model} (seed {request.get('seed', 0)}, accepted {record.run_date}, "
        f"fingerprint {record.fingerprint[:12]})",
        f"shards     {shards}",
        f"coverage   {_pct(float(status['coverage']))} "
        f"({status['points_done']} of {status['total_points']} points)",
        *extra,
    ]
    tolerated = float(status.get("tolerated_failure_percentage", 0.0))
    if tolerated:
        lines.append(f"tolerated  {tolerated:g}% of shards may fail")
    if pending and pids:
        who = ", ".join(str(p) for p in pids)
        lines.append(f"           still being run by local process {who}")
    elif pending:
        missing = status.get("missing_shard_ids", [])
        shown = ", ".join(str(s) for s in missing[:20])
        more = f", ... ({pending} in all)" if pending > 20 else ""
        lines.append(f"missing    shards {shown}{more}: no record, and no local process is")
        lines.append(f"           working on them; `{redrive_cmd}` dispatches exactly those")
    lost = int(status.get("lost_shards", 0))
    refused = int(status.get("dispatch_failed_shards", 0))
    if lost:
        ids = ", ".join(str(s) for s in status.get("lost_shard_ids", [])[:20])
        more = f", ... ({lost} in all)" if lost > 20 else ""
        lines.append(f"lost       shards {ids}{more}: dispatched so long ago that no record")
        lines.append("           can arrive any more (counted as failed)")
    if refused:
        lines.append(
            f"refused    {refused} shard(s) the invoke API would not take (counted as failed)"
        )
    if (status["failed_shards"] or lost or refused) and not pending:
        lines.append(f"redrive    `{redrive_cmd}` re-runs only the shards without a success")
    return lines


def failure_lines(status: Mapping[str, Any], limit: int = FAILURES_SHOWN) -> list[str]:
    failures = list(status.get("failures", []))
    if not failures:
        return []
    lines = [f"failures (latest attempt of each failed shard, {len(failures)} in all):"]
    for failure in failures[:limit]:
        message = " ".join(str(failure.get("error_message", "")).split())
        if len(message) > 160:
            message = message[:157] + "..."
        lines.append(
            f"  shard {failure['shard_id']} attempt {failure['attempt']} "
            f"[{failure.get('error_kind', '?')}] {failure['error_code']}: {message}"
        )
    if len(failures) > limit:
        lines.append(f"  ... and {len(failures) - limit} more (--json lists them all)")
    return lines


def run_folders(record: RunRecord) -> list[tuple[str, str]]:
    """(dataset, key prefix) of the run's folders in the store: the compacted run_metrics
    (written once every shard has committed) and the detail datasets the request asked for
    (`outputs`) beside the per-shard ones, so a user sees every table the run fills."""
    layout = StorageLayout(LOCAL_PREFIX)
    folders: list[tuple[str, str | None]] = [
        (DATASET_SHARD_METRICS, STATUS_SUCCESS),
        (DATASET_RUN_METRICS, STATUS_SUCCESS),
        *((DATASET_OF_OUTPUT[name], STATUS_SUCCESS) for name in request_outputs(record.request)),
        (DATASET_SHARD_ERRORS, STATUS_FAILURE),
        (DATASET_SHARD_OUTCOMES, None),  # both statuses
        (DATASET_RUNS, STATUS_ACCEPTED),
    ]
    return [
        (dataset, layout.run_prefix(dataset, record.run_date, record.run_id, status))
        for dataset, status in folders
    ]


def location_lines(root: Path, record: RunRecord) -> list[str]:
    lines = [f"results (Hive-partitioned, Athena's layout) under {root}:"]
    folders = run_folders(record)
    width = max(len(name) for name, _ in folders) + 1
    for name, prefix in folders:
        lines.append(f"  {name:<{width}}{prefix}")
    return lines
