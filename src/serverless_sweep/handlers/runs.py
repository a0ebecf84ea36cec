"""Run records in the store: the manifest (dataset=runs) and the run_id index pointer.

The parent writes the manifest and then the index, both create-if-absent, before it dispatches
anything. The index maps a run_id to its run_date (keys are partitioned by date, so without it
a status query on another day could not find the run), and its exclusive create settles races
between two submissions of the same run_id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.core.planning import ShardRange
from serverless_sweep.handlers.ports import AlreadyExists, CorruptRecord, ObjectStore
from serverless_sweep.handlers.settings import JSON_CONTENT


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run as the store knows it: where its manifest is and what it says."""

    run_id: str
    run_date: str
    fingerprint: str
    manifest_key: str
    manifest: dict[str, Any]

    @property
    def model(self) -> str:
        return str(self.manifest["model"])

    @property
    def total_points(self) -> int:
        return int(self.manifest["total_points"])

    @property
    def shards(self) -> list[ShardRange]:
        return [
            ShardRange(int(s["shard_id"]), int(s["start_index"]), int(s["end_index"]))
            for s in self.manifest["shards"]
        ]

    @property
    def request(self) -> dict[str, Any]:
        return dict(self.manifest["request"])


class RunConflict(Exception):
    """The run_id exists with another fingerprint (a different sweep under the same name)."""

    def __init__(self, existing: RunRecord) -> None:
        super().__init__(
            f"run_id {existing.run_id!r} was already accepted on {existing.run_date} for a "
            f"different request (fingerprint {existing.fingerprint[:12]}...); choose a new run_id"
        )
        self.existing = existing


def find_run(store: ObjectStore, layout: StorageLayout, run_id: str) -> RunRecord | None:
    """Look a run up by id through the index pointer; None when unknown.

    Raises `CorruptRecord` naming the key and the run when the index pointer or the manifest
    exists but cannot be read (random bytes, truncated JSON, missing fields): every caller
    (status, results, redrive, run, the API) then reports what is damaged instead of failing
    with a JSON traceback, and "unknown run" keeps meaning that nothing was ever recorded.

    Run ids are stored as the parent normalized them (Python `str.strip()`, the old
    runtime's rule), so an id given with the surrounding whitespace it was submitted with finds
    its run too (issue 9 item 10: `GET` with the submitted id answered 404).
    """
    index_key = layout.run_index_key(run_id)
    raw = store.get(index_key)
    if raw is None and run_id.strip() != run_id and run_id.strip():
        run_id = run_id.strip()
        index_key = layout.run_index_key(run_id)
        raw = store.get(index_key)
    if raw is None:
        return None
    index = _json_object(raw, index_key, run_id)
    manifest_key = index.get("manifest_key")
    run_date = index.get("run_date")
    if not isinstance(manifest_key, str) or not isinstance(run_date, str):
        raise CorruptRecord(
            index_key, run_id, "the run index pointer lacks a manifest_key or run_date string"
        )
    manifest_raw = store.get(manifest_key)
    if manifest_raw is None:
        return None
    manifest = _json_object(manifest_raw, manifest_key, run_id)
    problem = _manifest_problem(manifest)
    if problem is not None:
        raise CorruptRecord(manifest_key, run_id, problem)
    return RunRecord(
        run_id=run_id,
        run_date=run_date,
        fingerprint=str(manifest["fingerprint"]),
        manifest_key=manifest_key,
        manifest=manifest,
    )


def read_json_record(store: ObjectStore, key: str, run_id: str | None) -> dict[str, Any] | None:
    """A JSON object record of the store (None when absent); `CorruptRecord` when unreadable."""
    raw = store.get(key)
    return None if raw is None else _json_object(raw, key, run_id)


def _json_object(raw: bytes, key: str, run_id: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptRecord(key, run_id, f"not valid JSON ({exc})") from None
    except RecursionError:
        raise CorruptRecord(key, run_id, "JSON nested too deeply to read") from None
    if not isinstance(value, dict):
        raise CorruptRecord(key, run_id, f"a JSON {type(value).__name__}, not an object")
    return value


def _manifest_problem(manifest: dict[str, Any]) -> str | None:
    """What makes a manifest unusable for status and redrive (None when it is fine)."""
    for name, kind in (("fingerprint", str), ("model", str), ("request", dict)):
        if not isinstance(manifest.get(name), kind):
            return f"the manifest has no {name} ({kind.__name__})"
    total = manifest.get("total_points")
    if isinstance(total, bool) or not isinstance(total, int):
        return "the manifest has no integer total_points"
    shards = manifest.get("shards")
    if not isinstance(shards, list):
        return "the manifest has no shards list"
    for i, shard in enumerate(shards):
        if not isinstance(shard, dict) or not all(
            isinstance(shard.get(f), int) and not isinstance(shard.get(f), bool)
            for f in ("shard_id", "start_index", "end_index")
        ):
            return f"shards[{i}] of the manifest is not a shard range"
    return None


def register_run(
    store: ObjectStore, layout: StorageLayout, manifest: dict[str, Any], *, planned: bool = False
) -> tuple[RunRecord, bool]:
    """Record a new run; return (record, created).

    created is False when the same run_id was already accepted with the same fingerprint (the
    caller then dispatches nothing). Raises RunConflict for another fingerprint.
    """
    run_id = str(manifest["run_id"])
    existing = find_run(store, layout, run_id)
    if existing is not None:
        return _same_or_conflict(existing, manifest)

    manifest_key = layout.manifest_key(manifest["run_date"], run_id)
    try:
        store.put_if_absent(
            manifest_key, manifest_text(manifest, planned=planned).encode(), JSON_CONTENT
        )
    except AlreadyExists:
        # Same day, same run_id: somebody (maybe a duplicate delivery) wrote it first.
        other = read_json_record(store, manifest_key, run_id)
        if other is None:  # pragma: no cover - a store that loses writes
            raise
        if not isinstance(other.get("fingerprint"), str):
            raise CorruptRecord(manifest_key, run_id, "the manifest has no fingerprint") from None
        if other["fingerprint"] != manifest["fingerprint"]:
            raise RunConflict(_record(run_id, manifest_key, other)) from None
        manifest = other

    index = {"run_id": run_id, "run_date": manifest["run_date"], "manifest_key": manifest_key}
    try:
        store.put_if_absent(
            layout.run_index_key(run_id), dumps_canonical(index).encode(), JSON_CONTENT
        )
    except AlreadyExists:
        winner = find_run(store, layout, run_id)
        if winner is None:  # pragma: no cover - index without manifest
            raise
        # Only the writer of the index dispatches; a racing twin reports "already submitted".
        return _same_or_conflict(winner, manifest)
    return _record(run_id, manifest_key, manifest), True


_SHARD_KEYS = ("shard_id", "start_index", "end_index")


def manifest_text(manifest: dict[str, Any], *, planned: bool = False) -> str:
    """`dumps_canonical(manifest)`, rendering the shard list directly.

    The generic encoder sorts the keys of every one of up to 200,000 shard entries; the
    planner's entries are three integers under fixed keys, so their canonical text is written
    with one format string each. `planned` says the caller built the list from the planner
    (`build_manifest`), which skips the per-entry checks; otherwise anything unusual falls back
    to `dumps_canonical`. Both agree byte for byte (tests/handlers pin it).
    """
    shards = manifest.get("shards")
    if not isinstance(shards, list):
        return dumps_canonical(manifest)
    if not planned and not all(_planned_entry(s) for s in shards):
        return dumps_canonical(manifest)
    entries = ",".join(
        [
            f'{{"end_index":{s["end_index"]},"shard_id":{s["shard_id"]},'
            f'"start_index":{s["start_index"]}}}'
            for s in shards
        ]
    )
    fields = []
    for key in sorted(manifest):
        value = "[" + entries + "]" if key == "shards" else dumps_canonical(manifest[key])
        fields.append(dumps_canonical(key) + ":" + value)
    return "{" + ",".join(fields) + "}"


def _planned_entry(entry: object) -> bool:
    if type(entry) is not dict or len(entry) != 3:
        return False
    values = (entry.get("shard_id"), entry.get("start_index"), entry.get("end_index"))
    return all(type(v) is int for v in values)


def _record(run_id: str, manifest_key: str, manifest: dict[str, Any]) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        run_date=str(manifest["run_date"]),
        fingerprint=str(manifest["fingerprint"]),
        manifest_key=manifest_key,
        manifest=manifest,
    )


def _same_or_conflict(existing: RunRecord, manifest: dict[str, Any]) -> tuple[RunRecord, bool]:
    if existing.fingerprint != manifest["fingerprint"]:
        raise RunConflict(existing)
    return existing, False
