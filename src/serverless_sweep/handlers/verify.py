"""Integrity of what a run committed: which shard results are intact, damaged or orphaned.

A success envelope is the commit point of a shard (handlers/child.py): it names the shard's
Parquet file with the file's size and SHA-256. Everything here is derived from the store alone,
so `sweep verify`, the status of a run, a redrive and the DuckDB views agree on it:

* `check_success_envelope`: is one envelope readable, and is the object it commits intact?
* `damaged_shards`: shard_id -> what is wrong, for every planned shard whose success envelope
  exists but whose commit is damaged (unreadable envelope, missing, truncated or corrupt file).
  Status should count such a shard as not succeeded and a redrive should dispatch it: the child
  then recomputes it under the new attempt and re-points the envelope (nothing intact is
  overwritten).
* `verify_run`: the whole report of one run (damaged shards, damaged failure records, orphaned
  files that no envelope commits, envelopes of shards outside the plan).
* `scan_store`: the intact files of every run, for query engines that must never read a
  damaged or uncommitted file (adapters/local/analytics.py builds its views from it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from serverless_sweep.core.keys import (
    DATASET_RUNS,
    DATASET_SHARD_ERRORS,
    DATASET_SHARD_METRICS,
    DATASET_SHARD_OUTCOMES,
    DETAIL_DATASETS,
    STATUS_FAILURE,
    STATUS_SUCCESS,
    ParsedKey,
    StorageLayout,
)
from serverless_sweep.handlers.parquet import committed_object_problem, parquet_problem
from serverless_sweep.handlers.ports import ObjectStore
from serverless_sweep.handlers.runs import RunRecord


@dataclass(frozen=True, slots=True)
class EnvelopeCheck:
    """One success envelope, read and checked against the object it commits."""

    key: str
    envelope: dict[str, Any] | None  # None when the envelope itself is unreadable
    metrics_key: str | None  # the committed Parquet file (None: the old runtime committed none)
    problem: str | None  # None when intact; else what is wrong, naming the key
    # (dataset, key) of the detail files the envelope commits (issue 11's outputs).
    detail_files: tuple[tuple[str, str], ...] = ()

    @property
    def intact(self) -> bool:
        return self.problem is None


def check_success_envelope(
    store: ObjectStore, layout: StorageLayout, key: str, raw: bytes | None = None
) -> EnvelopeCheck:
    """Read the success envelope at `key` (or its bytes `raw`) and check what it commits.

    The committed file must sit in the envelope's own shard folder (an envelope cannot commit
    another run's file), have the recorded size and SHA-256 (envelopes written before checksums:
    decode as Parquet with `points_processed` rows).
    """
    if raw is None:
        raw = store.get(key)
        if raw is None:
            return EnvelopeCheck(key, None, None, f"envelope {key} is missing")
    try:
        envelope = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return EnvelopeCheck(key, None, None, f"envelope {key} is not valid JSON")
    if not isinstance(envelope, dict):
        return EnvelopeCheck(key, None, None, f"envelope {key} is not a JSON object")
    metadata = envelope.get("output_metadata")
    if not isinstance(metadata, dict):
        return EnvelopeCheck(key, envelope, None, f"envelope {key} has no output_metadata")
    metrics_key = metadata.get("metrics_key")
    if metrics_key is None:
        return EnvelopeCheck(key, envelope, None, None)  # the old runtime: no Parquet file
    if not isinstance(metrics_key, str):
        return EnvelopeCheck(key, envelope, None, f"envelope {key} has no metrics_key string")
    own, committed = layout.parse_key(key), layout.parse_key(metrics_key)
    if (
        own is None
        or committed is None
        or committed.kind != "metrics"
        or (committed.run_date, committed.run_id, committed.shard_id)
        != (own.run_date, own.run_id, own.shard_id)
    ):
        foreign = f"envelope {key} names {metrics_key}, which is not a file of its own shard"
        return EnvelopeCheck(key, envelope, metrics_key, foreign)
    size, digest = metadata.get("metrics_size"), metadata.get("metrics_sha256")
    rows = metadata.get("points_processed")
    problem = committed_object_problem(
        store.get(metrics_key),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        sha256=digest if isinstance(digest, str) else None,
        expected_rows=rows if isinstance(rows, int) and not isinstance(rows, bool) else None,
    )
    if problem is not None:
        return EnvelopeCheck(key, envelope, metrics_key, f"file {metrics_key} {problem}")
    details, detail_problem = _detail_files(store, layout, own, metadata.get("detail_files"))
    return EnvelopeCheck(key, envelope, metrics_key, detail_problem, details)


def _detail_files(
    store: ObjectStore, layout: StorageLayout, own: ParsedKey, entries: object
) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """The detail files an envelope commits (issue 11) and the first problem among them: each
    must be a file of the envelope's own shard, with the committed size and SHA-256."""
    if entries is None:
        return (), None
    if not isinstance(entries, list):
        return (), "its detail_files is not a list"
    found: list[tuple[str, str]] = []
    for entry in entries:
        key = entry.get("key") if isinstance(entry, dict) else None
        parsed = layout.parse_key(key) if isinstance(key, str) else None
        if (
            parsed is None
            or parsed.kind != "detail"
            or (parsed.run_date, parsed.run_id, parsed.shard_id)
            != (own.run_date, own.run_id, own.shard_id)
        ):
            return tuple(found), f"detail file {key!r} is not a file of its own shard"
        assert isinstance(entry, dict) and isinstance(key, str)
        size, digest, rows = entry.get("size"), entry.get("sha256"), entry.get("rows")
        problem = committed_object_problem(
            store.get(key),
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            sha256=digest if isinstance(digest, str) else None,
            expected_rows=rows if isinstance(rows, int) and not isinstance(rows, bool) else None,
        )
        if problem is not None:
            return tuple(found), f"file {key} {problem}"
        found.append((parsed.dataset, key))
    return tuple(found), None


def damaged_shards(store: ObjectStore, layout: StorageLayout, record: RunRecord) -> dict[int, str]:
    """Planned shards whose success envelope exists but whose commit is damaged -> the problem.

    For the lead's status (count these as not succeeded) and redrive (dispatch these too: the
    child repairs them). Shards without a success envelope are not listed (status already
    calls them failed or missing).
    """
    planned = {s.shard_id for s in record.shards}
    damaged: dict[int, str] = {}
    for key, parsed in _run_keys(store, layout, record, DATASET_SHARD_OUTCOMES, STATUS_SUCCESS):
        if parsed.kind != "success_outcome" or parsed.shard_id not in planned:
            continue
        check = check_success_envelope(store, layout, key)
        if check.problem is not None:
            damaged[int(parsed.shard_id)] = check.problem
    return damaged


@dataclass
class RunVerification:
    """What `verify_run` found (see the module docstring)."""

    run_id: str
    run_date: str
    shard_count: int
    intact_shards: set[int] = field(default_factory=set)
    damaged: dict[int, str] = field(default_factory=dict)
    # Metrics files no success envelope commits (a commit that failed, an earlier attempt):
    # invisible to queries, safe to delete.
    orphans: list[str] = field(default_factory=list)
    # Envelopes and shard_errors files that cannot be read, and envelopes outside the plan.
    other_problems: list[str] = field(default_factory=list)
    checked_objects: int = 0

    @property
    def ok(self) -> bool:
        return not self.damaged and not self.other_problems

    def as_document(self) -> dict[str, Any]:
        """The findings as JSON (`sweep verify --json`; an API route can answer the same)."""
        return {
            "run_id": self.run_id,
            "run_date": self.run_date,
            "ok": self.ok,
            "shard_count": self.shard_count,
            "intact_shards": len(self.intact_shards),
            "damaged": [{"shard_id": s, "problem": p} for s, p in sorted(self.damaged.items())],
            "orphans": list(self.orphans),
            "other_problems": list(self.other_problems),
            "checked_objects": self.checked_objects,
        }


def verify_run(store: ObjectStore, layout: StorageLayout, record: RunRecord) -> RunVerification:
    """Check every object of one run against the envelopes that commit it."""
    report = RunVerification(record.run_id, record.run_date, len(record.shards))
    planned = {s.shard_id for s in record.shards}
    committed: set[str] = set()
    for key, parsed in _run_keys(store, layout, record, DATASET_SHARD_OUTCOMES, STATUS_SUCCESS):
        if parsed.kind != "success_outcome" or parsed.shard_id is None:
            continue
        report.checked_objects += 1
        check = check_success_envelope(store, layout, key)
        if check.metrics_key is not None:
            committed.add(check.metrics_key)
            report.checked_objects += 1
        committed.update(key for _, key in check.detail_files)
        report.checked_objects += len(check.detail_files)
        if parsed.shard_id not in planned:
            report.other_problems.append(
                f"envelope {key} is for shard {parsed.shard_id}, which is not in the run's plan "
                "(status and queries ignore it)"
            )
        elif check.problem is None:
            report.intact_shards.add(parsed.shard_id)
        else:
            report.damaged[parsed.shard_id] = check.problem
    for dataset in (DATASET_SHARD_METRICS, *DETAIL_DATASETS):
        for key, _parsed in _run_keys(store, layout, record, dataset, STATUS_SUCCESS):
            if key not in committed:
                report.orphans.append(key)
    errors_checked: set[str] = set()
    for key, _seen in _run_keys(store, layout, record, DATASET_SHARD_OUTCOMES, STATUS_FAILURE):
        report.checked_objects += 1
        problem, errors_key = _failure_record_problem(store, key)
        if errors_key is not None:
            errors_checked.add(errors_key)
        if problem is not None:
            report.other_problems.append(problem)
    for key, _ in _run_keys(store, layout, record, DATASET_SHARD_ERRORS, STATUS_FAILURE):
        if key in errors_checked:
            continue
        report.checked_objects += 1
        problem = parquet_problem(store.get(key))
        if problem is not None:
            report.other_problems.append(f"shard_errors file {key} {problem}")
    return report


def _failure_record_problem(store: ObjectStore, key: str) -> tuple[str | None, str | None]:
    """(problem, errors_key checked) of one failure envelope and the shard_errors file it names."""
    raw = store.get(key)
    try:
        envelope = json.loads(raw) if raw is not None else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        envelope = None
    if not isinstance(envelope, dict):
        return f"failure envelope {key} is not a readable JSON object", None
    errors_key = envelope.get("errors_key")
    if not isinstance(errors_key, str):
        return None, None
    size, digest = envelope.get("errors_size"), envelope.get("errors_sha256")
    data = store.get(errors_key)
    if data is None and size is None:
        return None, errors_key  # before checksums the file was not always written
    problem = committed_object_problem(
        data,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        sha256=digest if isinstance(digest, str) else None,
        expected_rows=1,
    )
    return (None if problem is None else f"shard_errors file {errors_key} {problem}"), errors_key


def _run_keys(
    store: ObjectStore, layout: StorageLayout, record: RunRecord, dataset: str, status: str
) -> Iterator[tuple[str, ParsedKey]]:
    prefix = layout.run_prefix(dataset, record.run_date, record.run_id, status)
    for key in store.list_keys(prefix):
        parsed = layout.parse_key(key)
        if parsed is not None and parsed.shard_id is not None:
            yield key, parsed


# -- the whole store, for query engines ----------------------------------------------------------


@dataclass
class StoreScan:
    """The files of a store a query engine may read, and why others were left out."""

    metrics: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    # Issue 11's detail datasets: dataset -> committed, intact files.
    details: dict[str, list[str]] = field(default_factory=dict)
    # One line per file left out, naming the file and its run and saying what to do.
    warnings: list[str] = field(default_factory=list)


def scan_store(store: ObjectStore, layout: StorageLayout) -> StoreScan:
    """Every readable, committed file of the store, per dataset (keys, in key order).

    * shard_metrics: only files an intact success envelope of a planned shard commits (orphans
      of a failed commit, earlier attempts and damaged files are left out);
    * shard_outcomes: every readable envelope, except success envelopes whose commit is damaged
      or whose shard is outside the plan (so SQL counts the shards status counts);
    * shard_errors: every shard_errors file that decodes;
    * runs: every readable manifest.
    A damaged file never stops the scan: it is left out with a warning naming it and its run.
    """
    scan = StoreScan()
    plans: dict[tuple[str, str], set[int] | None] = {}
    for key in store.list_keys(layout.dataset_prefix(DATASET_RUNS)):
        parsed = layout.parse_key(key)
        if parsed is None or parsed.kind != "manifest":
            continue
        plan = _readable_plan(store.get(key))
        plans[(parsed.run_date, parsed.run_id)] = plan
        if plan is None:
            scan.warnings.append(_skipped(key, parsed.run_id, "is not a readable run manifest", ""))
        else:
            scan.manifests.append(key)
    for key in store.list_keys(layout.dataset_prefix(DATASET_SHARD_OUTCOMES)):
        parsed = layout.parse_key(key)
        if parsed is None or parsed.shard_id is None:
            continue
        if parsed.kind == "failure_outcome":
            if _readable_object(store.get(key)):
                scan.outcomes.append(key)
            else:
                scan.warnings.append(_skipped(key, parsed.run_id, "is not valid JSON", ""))
            continue
        plan = plans.get((parsed.run_date, parsed.run_id))
        if plan is not None and parsed.shard_id not in plan:
            continue  # status ignores shards outside the plan; so does SQL
        check = check_success_envelope(store, layout, key)
        if check.problem is not None:
            scan.warnings.append(
                _skipped(
                    check.metrics_key or key,
                    parsed.run_id,
                    _after(check.problem, check.metrics_key or key),
                    f" (shard {parsed.shard_id}, its rows and envelope are left out)",
                )
            )
            continue
        scan.outcomes.append(key)
        if check.metrics_key is not None:
            scan.metrics.append(check.metrics_key)
        for dataset, detail_key in check.detail_files:
            scan.details.setdefault(dataset, []).append(detail_key)
    scan.metrics.sort()
    for keys in scan.details.values():
        keys.sort()
    for key in store.list_keys(layout.dataset_prefix(DATASET_SHARD_ERRORS)):
        parsed = layout.parse_key(key)
        if parsed is None or parsed.kind != "errors":
            continue
        problem = parquet_problem(store.get(key))
        if problem is None:
            scan.errors.append(key)
        else:
            scan.warnings.append(_skipped(key, parsed.run_id, problem, ""))
    return scan


def _after(problem: str, key: str) -> str:
    """The problem text without its leading "file KEY " / "envelope KEY " (the key is named)."""
    for lead in (f"file {key} ", f"envelope {key} "):
        if problem.startswith(lead):
            return problem[len(lead) :]
    return problem


def _skipped(key: str, run_id: str, problem: str, detail: str) -> str:
    return (
        f"skipped {key} of run {run_id!r}{detail}: it {problem}; "
        f"`sweep verify {run_id}` reports the damage and `sweep redrive {run_id}` repairs it"
    )


def _readable_object(raw: bytes | None) -> bool:
    if raw is None:
        return False
    try:
        return isinstance(json.loads(raw), dict)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


def _readable_plan(raw: bytes | None) -> set[int] | None:
    """The shard ids of a manifest, or None when it is not a readable manifest."""
    if raw is None:
        return None
    try:
        manifest = json.loads(raw)
        shards = manifest["shards"]
        return {int(s["shard_id"]) for s in shards}
    except (UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError):
        return None
