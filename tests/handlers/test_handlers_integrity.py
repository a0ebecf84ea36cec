"""Issue 9: the child's commit protocol, checksums, repair, full disks, deadlines, error kinds.

Each test names the item of issue 9 it pins. Stores are the in-memory store of the handler
tests; `FaultyStore` makes chosen writes fail the way a full disk or an S3 503 does.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest

from serverless_sweep.adapters.memory import FixedClock, MemoryObjectStore
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.handlers import child as child_module
from serverless_sweep.handlers.child import (
    ChildConfig,
    ChildHandler,
    ShardTimeout,
    UnrecordedFailure,
)
from serverless_sweep.handlers.ports import CorruptRecord, StoreError
from serverless_sweep.handlers.runs import RunRecord, find_run, register_run
from serverless_sweep.handlers.verify import damaged_shards, scan_store, verify_run
from serverless_sweep.models.base import ModelError

LAYOUT = StorageLayout("p")
DAY = "2026-11-20"


class FaultyStore(MemoryObjectStore):
    """A memory store whose writes to keys containing one of `fail_on` raise `error`.

    `times` limits how many writes fail (None: all). Stands in for a full disk (ENOSPC) or an
    S3 PUT answered 503 — the handler only sees the StoreError the real adapters raise.
    """

    def __init__(self, fail_on: tuple[str, ...], *, times: int | None = None) -> None:
        super().__init__()
        self.fail_on = fail_on
        self.times = times
        self.failed = 0

    def _maybe_fail(self, key: str) -> None:
        if any(part in key for part in self.fail_on) and (
            self.times is None or self.failed < self.times
        ):
            self.failed += 1
            cause = OSError(errno.ENOSPC, "No space left on device")
            raise StoreError(f"cannot write store key {key!r}: No space left on device") from cause

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._maybe_fail(key)
        super().put(key, data, content_type)

    def put_if_absent(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        self._maybe_fail(key)
        super().put_if_absent(key, data, content_type)


@pytest.fixture(autouse=True)
def _fresh_log_dedupe() -> Iterator[None]:
    child_module._LOGGED_CAUSES.clear()
    yield
    child_module._LOGGED_CAUSES.clear()


def payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "run_id": "r1",
        "dimensions": {"a": ["x", "y"], "b": [1, 2, 3]},
        "total_points": 6,
        "shard_id": 0,
        "start_index": 0,
        "end_index": 3,
        "seed": 7,
        "failure_injection_shards": [],
        "run_date": DAY,
        "model": "legacy_hash",
        "attempt": 1,
    }
    body.update(overrides)
    return body


def make_child(store: MemoryObjectStore, **config: Any) -> ChildHandler:
    return ChildHandler(
        store=store,
        config=ChildConfig(results_prefix="p", default_model="legacy_hash", **config),
        clock=FixedClock(),
    )


def keys(store: MemoryObjectStore, dataset: str) -> list[str]:
    return sorted(k for k in store.objects if f"/dataset={dataset}/" in k)


def record_for(store: MemoryObjectStore, shards: int = 2) -> RunRecord:
    """A run manifest with `shards` shards of 3 points (the payloads above)."""
    manifest = {
        "run_id": "r1",
        "run_date": DAY,
        "fingerprint": "f" * 64,
        "model": "legacy_hash",
        "request": {"dimensions": {"a": ["x", "y"], "b": [1, 2, 3]}},
        "total_points": 3 * shards,
        "shards": [
            {"shard_id": i, "start_index": 3 * i, "end_index": 3 * i + 3} for i in range(shards)
        ],
    }
    record, created = register_run(store, LAYOUT, manifest)
    assert created
    return record


def rows_of(store: MemoryObjectStore, key: str) -> list[dict[str, Any]]:
    return pq.read_table(io.BytesIO(store.objects[key])).to_pylist()


# -- item 6: a success is one commit ---------------------------------------------------------------


def test_envelope_records_size_and_checksum_of_the_file_it_commits() -> None:
    """Item 6 (and `sweep verify`): the envelope commits the file with its size and SHA-256."""
    store = MemoryObjectStore()
    result = make_child(store).handle(payload())
    envelope = json.loads(store.objects[result["outcome_key"]])
    meta = envelope["output_metadata"]
    data = store.objects[meta["metrics_key"]]
    assert meta["metrics_key"].endswith("/status=success/part-0-1.parquet")
    assert meta["metrics_size"] == len(data)
    assert meta["metrics_sha256"] == hashlib.sha256(data).hexdigest()


def test_failed_commit_leaves_an_orphan_no_one_counts_and_a_redrive_commits_its_own_rows() -> None:
    """Item 6: the envelope PUT fails (full disk / S3 503) after the Parquet file is written.

    Today's main left `part-0.parquet` under status=success, counted by queries, and the redrive
    committed that stale file (rows saying attempt 1, envelope attempt 2). Now the stale file is
    an orphan nobody reads, and the redrive's envelope commits a file whose rows say attempt 2.
    """
    store = FaultyStore(("/dataset=shard_outcomes/",), times=2)  # the envelope + failure record
    child = make_child(store)
    record = record_for(store, shards=1)
    with pytest.raises(UnrecordedFailure):
        child.handle(payload())
    [orphan] = keys(store, "shard_metrics")
    assert scan_store(store, LAYOUT).metrics == []  # nothing committed: nothing to query
    assert verify_run(store, LAYOUT, record).orphans == [orphan]

    result = child.handle(payload(attempt=2))  # the redrive

    envelope = json.loads(store.objects[result["outcome_key"]])
    committed = envelope["output_metadata"]["metrics_key"]
    assert committed != orphan and envelope["attempt"] == 2
    assert {row["attempt"] for row in rows_of(store, committed)} == {2}
    assert scan_store(store, LAYOUT).metrics == [committed]
    report = verify_run(store, LAYOUT, record)
    assert report.ok and report.intact_shards == {0} and report.orphans == [orphan]


def test_platform_retry_of_the_same_attempt_adopts_the_earlier_file() -> None:
    """Item 6: a Lambda retry (same attempt) after a failed envelope PUT adds no second file."""
    store = FaultyStore(("/status=success/part-0.json",), times=1)
    child = make_child(store)
    with pytest.raises(StoreError):
        child.handle(payload())
    [first] = keys(store, "shard_metrics")
    first_bytes = store.objects[first]

    result = child.handle(payload())

    assert keys(store, "shard_metrics") == [first]
    assert store.objects[first] == first_bytes  # never overwritten
    meta = json.loads(store.objects[result["outcome_key"]])["output_metadata"]
    assert meta["metrics_sha256"] == hashlib.sha256(first_bytes).hexdigest()


# -- item 3 (+ verify, redrive repair) -------------------------------------------------------------


def test_truncated_committed_file_is_found_and_a_new_attempt_repairs_it() -> None:
    """Item 3: a truncated committed Parquet file is reported by verify/damaged_shards (status
    and redrive use that) and a delivery with a new attempt recomputes and re-points the shard;
    the intact shard is never touched."""
    store = MemoryObjectStore()
    child = make_child(store)
    record = record_for(store)
    child.handle(payload())
    child.handle(payload(shard_id=1, start_index=3, end_index=6))
    damaged_key = LAYOUT.attempt_metrics_key(DAY, "r1", 0, 1)
    store.objects[damaged_key] = store.objects[damaged_key][:100]
    intact_key = LAYOUT.attempt_metrics_key(DAY, "r1", 1, 1)
    intact = store.objects[intact_key]

    problems = damaged_shards(store, LAYOUT, record)
    assert list(problems) == [0] and damaged_key in problems[0]
    assert "bytes where its envelope committed" in problems[0]
    scan = scan_store(store, LAYOUT)
    assert scan.metrics == [intact_key]  # queries keep working, without the damaged rows
    assert any(damaged_key in w and "'r1'" in w for w in scan.warnings)

    # a duplicate of the same attempt cannot repair (the damaged key is never overwritten)
    with pytest.raises(StoreError, match="never overwritten"):
        child.handle(payload())
    result = child.handle(payload(attempt=2))  # the redrive

    assert result["duplicate"] is False
    assert damaged_shards(store, LAYOUT, record) == {}
    assert store.objects[intact_key] == intact
    # Athena reads every file of the folder: the undecodable one is quarantined, and an empty
    # Parquet file (no rows) stands in its place
    assert len(store.objects[LAYOUT.quarantine_key(damaged_key)]) == 100
    assert rows_of(store, damaged_key) == []
    assert verify_run(store, LAYOUT, record).orphans == [damaged_key]
    repaired = json.loads(store.objects[result["outcome_key"]])
    assert repaired["attempt"] == 2
    assert sorted(scan_store(store, LAYOUT).metrics) == sorted(
        [intact_key, LAYOUT.attempt_metrics_key(DAY, "r1", 0, 2)]
    )


def test_an_envelope_of_random_bytes_is_damaged_and_repaired() -> None:
    """Item 3/4: random bytes in a success envelope are damage, not a traceback."""
    store = MemoryObjectStore()
    child = make_child(store)
    record = record_for(store, shards=1)
    result = child.handle(payload())
    store.objects[result["outcome_key"]] = b"\x8f\x00garbage"

    assert "not valid JSON" in damaged_shards(store, LAYOUT, record)[0]
    child.handle(payload(attempt=2))
    assert damaged_shards(store, LAYOUT, record) == {}


def test_intact_duplicate_is_answered_without_writing() -> None:
    """Item 3: verifying the commit on a duplicate delivery does not rewrite anything."""
    store = MemoryObjectStore()
    child = make_child(store)
    child.handle(payload())
    writes = len(store.writes)
    assert child.handle(payload(attempt=2))["duplicate"] is True
    assert len(store.writes) == writes


# -- item 4: unreadable manifests and index pointers -----------------------------------------------


@pytest.mark.parametrize("which", ["manifest", "index"])
@pytest.mark.parametrize("junk", [b"\xff\xfe random \x00 bytes", b"[1, 2]", b'{"shards": 3}'])
def test_unreadable_run_records_raise_corrupt_record_naming_key_and_run(
    which: str, junk: bytes
) -> None:
    """Item 4: find_run turns a damaged manifest or index pointer into CorruptRecord."""
    store = MemoryObjectStore()
    record = record_for(store)
    key = record.manifest_key if which == "manifest" else LAYOUT.run_index_key("r1")
    store.objects[key] = junk

    with pytest.raises(CorruptRecord) as caught:
        find_run(store, LAYOUT, "r1")

    assert caught.value.key == key and caught.value.run_id == "r1"
    assert key in str(caught.value) and "'r1'" in str(caught.value)
    assert isinstance(caught.value, StoreError)


def test_child_names_a_damaged_manifest_as_a_storage_failure() -> None:
    """Item 4: a payload by reference to a manifest of random bytes is a named storage error."""
    store = MemoryObjectStore()
    record = record_for(store)
    store.objects[record.manifest_key] = b"\x00\x01 not json"
    event = payload(manifest_key=record.manifest_key)
    del event["dimensions"]
    with pytest.raises(CorruptRecord, match="manifest"):
        make_child(store).handle(event)
    [envelope_key] = keys(store, "shard_outcomes")
    assert json.loads(store.objects[envelope_key])["error_kind"] == "storage"


# -- item 7: a full disk ---------------------------------------------------------------------------


def test_full_disk_gives_one_line_per_cause_and_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Item 7: with every write failing with ENOSPC, each shard raises one UnrecordedFailure
    naming the shard, the run and both causes; the log holds one line per cause, no
    traceback (today: two tracebacks per failed attempt)."""
    store = FaultyStore(("/dataset=",))
    child = make_child(store)
    messages = []
    with caplog.at_level(logging.DEBUG, logger="serverless_sweep.handlers.child"):
        for shard in range(5):
            with pytest.raises(UnrecordedFailure) as caught:
                child.handle(payload(shard_id=shard, start_index=0, end_index=3))
            messages.append(str(caught.value))
    assert store.objects == {}
    for shard, message in enumerate(messages):
        assert f"shard {shard} of run 'r1'" in message and "[storage]" in message
        assert "No space left on device" in message and "redrive" in message
        assert "\n" not in message
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1
    assert all(r.exc_info is None for r in caplog.records)


def test_full_disk_still_writes_the_small_failure_envelope_when_it_fits() -> None:
    """Item 7: a failure record where at all possible — the Parquet writes fail, the small
    envelope fits, so status sees a failed shard (not a missing one)."""
    store = FaultyStore((".parquet",))
    with pytest.raises(StoreError):
        make_child(store).handle(payload())
    [envelope_key] = keys(store, "shard_outcomes")
    envelope = json.loads(store.objects[envelope_key])
    assert envelope["status"] == "failure" and envelope["error_kind"] == "storage"
    assert "errors_key" not in envelope  # its file could not be written: nothing to verify


# -- mutation gaps: error kinds in the envelope AND the Parquet row --------------------------------


def _recorded_kinds(store: MemoryObjectStore) -> tuple[str, list[str]]:
    [envelope_key] = keys(store, "shard_outcomes")
    [errors_key] = keys(store, "shard_errors")
    envelope = json.loads(store.objects[envelope_key])
    assert envelope["errors_key"] == errors_key
    assert envelope["errors_sha256"] == hashlib.sha256(store.objects[errors_key]).hexdigest()
    return envelope["error_kind"], [r["error_kind"] for r in rows_of(store, errors_key)]


def test_storage_error_is_recorded_as_storage_in_envelope_and_row() -> None:
    """Mutation gap: a storage error recorded with another error_kind."""
    store = FaultyStore(("/dataset=shard_metrics/",))
    with pytest.raises(StoreError):
        make_child(store).handle(payload())
    assert _recorded_kinds(store) == ("storage", ["storage"])


def test_model_error_is_recorded_as_model_error_in_envelope_and_row() -> None:
    """Mutation gap: a model error (ride_hailing refuses a point) with another error_kind."""
    store = MemoryObjectStore()
    event = payload(model="ride_hailing", dimensions={"num_riders": [-5]}, end_index=1)
    event["total_points"] = 1
    with pytest.raises(ModelError):
        make_child(store).handle(event)
    assert _recorded_kinds(store) == ("model_error", ["model_error"])


def test_timeout_is_recorded_as_timeout_in_envelope_and_row() -> None:
    """Mutation gap: the Parquet error row of a timeout with another error_kind."""
    store = MemoryObjectStore()
    with pytest.raises(ShardTimeout):
        make_child(store).handle(payload(), lambda: 0)
    assert _recorded_kinds(store) == ("timeout", ["timeout"])


# -- item 8 and the deadline mutation --------------------------------------------------------------


class PointClock(FixedClock):
    """Each point costs `point_ms`: the model's run brackets it with two monotonic reads."""

    def __init__(self, point_ms: float) -> None:
        super().__init__()
        self.point_ms = point_ms
        self.reads = 0

    def monotonic(self) -> float:
        self.reads += 1
        if self.reads > 1 and self.reads % 2 == 1:  # every end-of-point read
            self.advance(self.point_ms / 1000.0)
        return super().monotonic()


def test_five_second_timeout_does_not_fail_every_shard() -> None:
    """Item 8: a 5 s invocation with the default 5,000 ms margin computes its shard (today:
    'a point takes up to 0 ms' and every shard failed)."""
    store = MemoryObjectStore()
    clock = FixedClock()
    child = ChildHandler(store=store, config=ChildConfig(results_prefix="p"), clock=clock)
    child.config = ChildConfig(results_prefix="p", default_model="legacy_hash")
    assert child.config.deadline_margin_ms == 5000
    result = child.handle(payload(), lambda: 4998)
    assert result["status"] == "ok" and result["points_processed"] == 3
    assert child.deadline_margin_ms(5000) == 1000 and child.deadline_margin_ms(900_000) == 5000


def test_deadline_counts_the_slowest_point() -> None:
    """Mutation gap: the deadline check must reserve the slowest point seen so far.

    Points take 400 ms and the invocation has 1,300 ms, of which 260 ms (a fifth) are kept as
    the margin. After two points 500 ms are left: 240 ms past the margin, less than the slowest
    point, so the child must stop before the third point (a check that ignores the slowest
    point would start it and overrun the invocation).
    """
    store = MemoryObjectStore()
    clock = PointClock(point_ms=400.0)
    child = ChildHandler(
        store=store,
        config=ChildConfig(results_prefix="p", default_model="legacy_hash", deadline_margin_ms=500),
        clock=clock,
    )
    end = FixedClock.monotonic(clock) + 1.3

    def remaining() -> int:
        return round((end - FixedClock.monotonic(clock)) * 1000)

    with pytest.raises(ShardTimeout) as caught:
        child.handle(payload(end_index=6, dimensions={"a": list(range(6))}), remaining)
    message = str(caught.value)
    assert "stopped before point 2 of [0, 6) (2 of 6 points done)" in message
    assert "500 ms of the invocation left, 260 ms of them kept" in message
    assert "the slowest point so far took 400 ms" in message


def test_timeout_before_any_point_says_no_time_is_left() -> None:
    """Item 8: the message no longer claims 'a point takes up to 0 ms'."""
    with pytest.raises(ShardTimeout) as caught:
        make_child(MemoryObjectStore()).handle(payload(), lambda: 0)
    assert "no time is left for even one point" in str(caught.value)
    assert "up to 0 ms" not in str(caught.value)


def test_per_attempt_metrics_keys_parse_back_and_quarantine_stays_outside_the_datasets() -> None:
    """Item 6: the per-attempt key reads back (shard, attempt); quarantine is no dataset."""
    key = LAYOUT.attempt_metrics_key(DAY, "a/b", -3, 12)
    assert (
        key
        == f"p/dataset=shard_metrics/run_date={DAY}/run_id=a%2Fb/status=success/part--3-12.parquet"
    )
    parsed = LAYOUT.parse_key(key)
    assert parsed is not None
    assert (parsed.kind, parsed.run_id, parsed.shard_id, parsed.attempt) == (
        "metrics",
        "a/b",
        -3,
        12,
    )
    assert LAYOUT.parse_key(key.replace("-12.parquet", "-012.parquet")) is None
    assert LAYOUT.parse_key(key.replace("-12.parquet", "-12.json")) is None
    with pytest.raises(ValueError, match="attempt"):
        LAYOUT.attempt_metrics_key(DAY, "r", 0, 0)
    quarantined = LAYOUT.quarantine_key(key)
    assert quarantined == "p/quarantine/" + key.removeprefix("p/")
    assert LAYOUT.parse_key(quarantined) is None


def test_verify_reports_failure_records_and_envelopes_outside_the_plan() -> None:
    """`sweep verify`: a damaged shard_errors file, a failure envelope of random bytes and a
    success envelope of a shard the plan does not have are reported (status ignores the last
    one, and so do queries)."""
    store = MemoryObjectStore()
    child = make_child(store)
    record = record_for(store, shards=1)
    with pytest.raises(RuntimeError):
        child.handle(payload(failure_injection_shards=[0]))
    child.handle(payload(attempt=2))
    child.handle(payload(shard_id=7, start_index=3, end_index=6))  # not in the plan
    [errors_key] = keys(store, "shard_errors")
    store.objects[errors_key] += b"x"
    store.objects[LAYOUT.failure_outcome_key(DAY, "r1", 0, 1, "zz")] = b"\x00junk"

    report = verify_run(store, LAYOUT, record)

    assert not report.ok and report.damaged == {} and report.intact_shards == {0}
    problems = "\n".join(report.other_problems)
    assert f"shard_errors file {errors_key}" in problems and "bytes" in problems
    assert "part-0-1-zz.json is not a readable JSON object" in problems
    assert "shard 7, which is not in the run's plan" in problems
    doc = report.as_document()
    assert doc["ok"] is False and doc["intact_shards"] == 1 and len(doc["other_problems"]) == 3
    assert LAYOUT.attempt_metrics_key(DAY, "r1", 7, 1) not in scan_store(store, LAYOUT).metrics
