"""A real S3/Lambda API for the AWS adapter tests: moto in server mode on 127.0.0.1.

The server starts once per session (about a second) and is always stopped by the fixture's
finalizer. Every test gets fake credentials and `AWS_ENDPOINT_URL` pointing at the server, so a
client that forgot its endpoint still talks to moto: nothing here can reach AWS.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto_server import moto_config, moto_server

REGION = "eu-central-1"
_AWS_ENV_TO_CLEAR = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_LAMBDA",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_LOG_LEVEL",
    "SWEEP_RESULTS_BUCKET",
    "SWEEP_RESULTS_PREFIX",
    "SWEEP_DEFAULT_MODEL",
    "CHILD_LAMBDA_ARN",
    "SWEEP_DEADLINE_MARGIN_MS",
)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(autouse=True)
def aws_env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fake credentials, the test region and moto as the endpoint of every AWS client."""
    for name in _AWS_ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_url


@pytest.fixture
def s3(aws_env: str) -> Any:
    """A plain boto3 S3 client on moto, for arranging and inspecting buckets."""
    return boto3.client("s3", endpoint_url=aws_env, region_name=REGION)


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh, empty, versioned bucket per test (versions reveal any rewrite)."""
    name = f"sweep-test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def lambda_without_docker(moto_url: str) -> Iterator[None]:
    """Switch moto's Lambda to its Docker-free backend (invokes succeed without running code).

    This machine has no Docker, so moto cannot execute a function; the simple backend still
    answers the real Invoke API (202 for Event invokes). The switch is process-wide, so it is
    undone afterwards.
    """
    moto_config(moto_url)
    try:
        yield
    finally:
        moto_config(moto_url, {"lambda": {"use_docker": True}})
