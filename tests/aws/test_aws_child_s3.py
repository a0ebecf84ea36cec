"""The child handler on the real S3 API: artifacts land once, duplicates rewrite nothing."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow.parquet as pq
import pytest

from serverless_sweep.adapters.aws.s3_store import S3ObjectStore
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.ports import StoreError

PREFIX = "serverless-sweeps"
RUN_DIR = "run_date=2026-11-20/run_id=r1"


def payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "run_id": "r1",
        "dimensions": {"a": [1, 2]},
        "total_points": 2,
        "shard_id": 0,
        "start_index": 0,
        "end_index": 2,
        "seed": 7,
        "failure_injection_shards": [],
        "model": "legacy_hash",
        "run_date": "2026-11-20",
    }
    body.update(overrides)
    return body


@pytest.fixture
def child(bucket: str) -> ChildHandler:
    return ChildHandler(store=S3ObjectStore(bucket), config=ChildConfig(results_prefix=PREFIX))


def _snapshot(s3: Any, bucket: str) -> dict[str, tuple[str, Any, int]]:
    """key -> (ETag, LastModified, number of versions): any rewrite changes the count."""
    versions = s3.list_object_versions(Bucket=bucket).get("Versions", [])
    counts: dict[str, int] = {}
    for version in versions:
        counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    snapshot = {}
    for key, count in counts.items():
        head = s3.head_object(Bucket=bucket, Key=key)
        snapshot[key] = (head["ETag"], head["LastModified"], count)
    return snapshot


def test_shard_runs_end_to_end_and_a_duplicate_rewrites_nothing(
    child: ChildHandler, s3: Any, bucket: str
) -> None:
    first = child.handle(payload(), lambda: 900_000)
    metrics_key = f"{PREFIX}/dataset=shard_metrics/{RUN_DIR}/status=success/part-0-1.parquet"
    outcome_key = f"{PREFIX}/dataset=shard_outcomes/{RUN_DIR}/status=success/part-0.json"
    assert first == {
        "status": "ok",
        "shard_id": 0,
        "outcome_key": outcome_key,
        "metrics_key": metrics_key,
        "points_processed": 2,
        "duplicate": False,
    }
    before = _snapshot(s3, bucket)
    assert set(before) == {metrics_key, outcome_key}

    metrics = s3.get_object(Bucket=bucket, Key=metrics_key)
    assert metrics["ContentType"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(metrics["Body"].read()))
    assert table.num_rows == 2
    assert table.column("point_index").to_pylist() == [0, 1]
    envelope = json.loads(s3.get_object(Bucket=bucket, Key=outcome_key)["Body"].read())
    assert envelope["status"] == "success"
    assert envelope["output_metadata"]["metrics_key"] == metrics_key

    again = child.handle(payload(), lambda: 900_000)
    assert again == {**first, "duplicate": True}
    assert _snapshot(s3, bucket) == before  # same ETags, same LastModified, one version each


def test_a_redelivery_racing_a_finished_shard_keeps_the_first_artifacts(
    child: ChildHandler, s3: Any, bucket: str
) -> None:
    """A duplicate that missed the envelope check still cannot overwrite anything."""
    child.handle(payload())
    before = _snapshot(s3, bucket)
    # Skip the "already done?" shortcut, as a twin that started before the first finished would.
    late_twin = ChildHandler(store=child.store, config=child.config)
    late_twin._existing_success = lambda attempt: None  # type: ignore[method-assign]
    result = late_twin.handle(payload())
    assert result["duplicate"] is True
    assert _snapshot(s3, bucket) == before


def test_injected_failure_leaves_a_failure_record_and_reraises(
    child: ChildHandler, s3: Any, bucket: str
) -> None:
    with pytest.raises(RuntimeError, match="Injected shard failure for verification"):
        child.handle(payload(failure_injection_shards=[0]))
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert len(keys) == 2
    errors_key, outcome_key = keys
    assert errors_key.startswith(
        f"{PREFIX}/dataset=shard_errors/{RUN_DIR}/status=failure/part-0-1-"
    )
    assert outcome_key.startswith(
        f"{PREFIX}/dataset=shard_outcomes/{RUN_DIR}/status=failure/part-0-1-"
    )
    envelope = json.loads(s3.get_object(Bucket=bucket, Key=outcome_key)["Body"].read())
    assert envelope["error_kind"] == "injected"


def test_unconfigured_bucket_fails_before_writing(aws_env: str) -> None:
    child = ChildHandler(store=S3ObjectStore(None), config=ChildConfig(results_prefix=PREFIX))
    with pytest.raises(RuntimeError, match=r"^SWEEP_RESULTS_BUCKET must be configured$"):
        child.handle(payload())


def test_missing_bucket_is_a_storage_failure(aws_env: str) -> None:
    child = ChildHandler(
        store=S3ObjectStore("sweep-no-such-bucket-4711"), config=ChildConfig(results_prefix=PREFIX)
    )
    # The "already done?" read fails; the failure record cannot be written either (logged), and
    # the original StoreError reaches Lambda, which retries the event.
    with pytest.raises(StoreError, match=r"s3://sweep-no-such-bucket-4711/.*NoSuchBucket"):
        child.handle(payload())
