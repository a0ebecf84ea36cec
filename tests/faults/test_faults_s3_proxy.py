"""Fault injection on S3 (issue 9): the child handler writes its Parquet and outcome envelopes
to a real S3 API (moto server on loopback) through the fault-injecting proxy
(tests/support/fault_proxy.py), which answers a seeded share of S3 requests with 503
ServiceUnavailable / SlowDown or resets the connection, before forwarding or after S3 did the
work (the in-doubt case). Each delivery gets Lambda's two retries; `redrive` runs until the
run succeeded. Then the objects in the bucket are counted: every point exactly once in the
success Parquet (read with pyarrow), and the figure (faults injected, records lost: 0,
duplicates: 0) is printed and asserted.
"""

from __future__ import annotations

import io
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import edge
import pyarrow.parquet as pq
import pytest
from fault_proxy import FaultPlan, fault_proxy
from moto_server import moto_server

from serverless_sweep.adapters.aws.s3_store import (
    S3ObjectStore,
    make_s3_client,
    make_s3_http_client,
)
from serverless_sweep.adapters.memory import RecordingInvoker
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.runs import find_run
from serverless_sweep.handlers.status import run_status

REGION = "eu-central-1"
PREFIX = "serverless-sweeps"
TOTAL_POINTS = 120
LAMBDA_ATTEMPTS = 3


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fake credentials and moto as every client's endpoint: nothing here can reach AWS."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "SWEEP_RESULTS_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    return moto_url


def _success_rows(s3: Any, bucket: str) -> Counter[int]:
    rows: Counter[int] = Counter()
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{PREFIX}/dataset=shard_metrics/"
    )
    for page in pages:
        for obj in page.get("Contents", []):
            if "/status=success/" in obj["Key"] and obj["Key"].endswith(".parquet"):
                body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                table = pq.read_table(io.BytesIO(body), columns=["point_index"])
                rows.update(table.column(0).to_pylist())
    return rows


@pytest.mark.parametrize("phase", ["before", "after"])
def test_s3_faults_lose_and_duplicate_nothing(aws: str, phase: str) -> None:
    s3 = boto3.client("s3", endpoint_url=aws, region_name=REGION)
    bucket = f"sweep-faults-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    run_id = f"s3-faults-{phase}"
    plan = FaultPlan(
        error_rate=0.12,
        throttle_rate=0.05,
        reset_rate=0.08,
        phase=phase,
        seed=11,
        services=frozenset({"s3"}),
        max_consecutive_faults=3,
    )
    with fault_proxy(aws, plan) as proxy:
        # the child Lambda's own client (standard-library HTTP, no botocore: issue 8)
        faulty = S3ObjectStore(bucket, client=make_s3_http_client(endpoint_url=proxy.url))
        healthy = S3ObjectStore(bucket, client=make_s3_client(endpoint_url=aws))
        invoker = RecordingInvoker()
        parent = ParentHandler(
            invoker=invoker,
            store=healthy,
            config=ParentConfig(
                child_function="sweep-child", default_model="legacy_hash", results_prefix=PREFIX
            ),
        )
        child = ChildHandler(store=faulty, config=ChildConfig(results_prefix=PREFIX))
        request = {
            "run_id": run_id,
            "model": "legacy_hash",
            "dimensions": {"a": list(range(12)), "b": list(range(10))},
            "shard_count": 24,
        }
        assert edge.submit(parent, request)["statusCode"] == 202
        delivered = 0
        state = "running"
        for _round in range(10):
            for call in invoker.calls[delivered:]:
                event = json.loads(call.payload)
                for _ in range(LAMBDA_ATTEMPTS):
                    try:
                        child.handle(event)
                        break
                    except Exception:  # the attempt failed; Lambda retries the event
                        continue
            delivered = len(invoker.calls)
            record = find_run(healthy, parent.layout, run_id)
            assert record is not None
            status = run_status(healthy, parent.layout, record)
            state = str(status["state"])
            if state == "succeeded":
                break
            assert edge.redrive(parent, run_id)["statusCode"] in (200, 202)
        faults = sum(1 for entry in proxy.log if entry.fault != "none")

    rows = _success_rows(s3, bucket)
    lost = TOTAL_POINTS - len(rows)
    duplicates = sum(rows.values()) - len(rows)
    print(
        f"\nS3 faults ({phase} forwarding): faults injected: {faults}, records lost: {lost}, "
        f"duplicates: {duplicates} ({len(rows)} of {TOTAL_POINTS} points)"
    )
    assert faults > 0
    assert state == "succeeded", status
    assert status["points_done"] == TOTAL_POINTS
    assert (lost, duplicates) == (0, 0)
