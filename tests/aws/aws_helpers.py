"""Helpers shared by the AWS adapter tests: clients of both kinds and a Lambda function on moto.

Two kinds of client reach the adapters: `http` (the standard-library clients the Lambda
handlers use, `adapters/aws/s3_http.py` / `lambda_http.py`) and `botocore` (an injected boto3
client, what tools may pass). Suites that build clients run over both (`CLIENT_KINDS`).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from serverless_sweep.adapters.aws._retry import RetryPolicy
from serverless_sweep.adapters.aws.lambda_http import LambdaHttpClient
from serverless_sweep.adapters.aws.s3_http import S3HttpClient

REGION = "eu-central-1"
CLIENT_KINDS = ("http", "botocore")
FAST_BACKOFF_S = 0.01
"""Backoff base of the http clients' retries in tests (botocore's standard mode: 1 s)."""


def s3_client(kind: str, endpoint: str, *, attempts: int = 5, read_timeout: float = 30) -> Any:
    """An S3 client of `kind` on `endpoint` with `attempts` total attempts."""
    if kind == "http":
        return S3HttpClient(
            endpoint_url=endpoint,
            region_name=REGION,
            read_timeout=read_timeout,
            retry=RetryPolicy(max_attempts=attempts, base_s=FAST_BACKOFF_S),
        )
    return client("s3", endpoint, attempts=attempts, read_timeout=read_timeout)


def lambda_client(kind: str, endpoint: str, *, pool: int = 10, read_timeout: float = 15) -> Any:
    """A Lambda client of `kind` on `endpoint`, retries off (the dispatcher retries)."""
    if kind == "http":
        return LambdaHttpClient(
            endpoint_url=endpoint,
            region_name=REGION,
            max_pool_connections=pool,
            read_timeout=read_timeout,
        )
    return client("lambda", endpoint, attempts=1, pool=pool, read_timeout=read_timeout)


def client(
    service: str, endpoint: str, *, attempts: int = 1, pool: int = 10, read_timeout: float = 15
) -> Any:
    """A boto3 client on `endpoint` with `attempts` total attempts (1: botocore retries off)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        config=Config(
            retries={"mode": "standard", "total_max_attempts": attempts},
            max_pool_connections=pool,
            connect_timeout=5,
            read_timeout=read_timeout,
        ),
    )


def create_function(endpoint: str, name: str) -> str:
    """Create (or find) a Python 3.12 function `name` on moto; answer its ARN."""
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION)
    try:
        role = iam.get_role(RoleName="sweep-test-role")["Role"]["Arn"]
    except ClientError:
        role = iam.create_role(RoleName="sweep-test-role", AssumeRolePolicyDocument="{}")["Role"][
            "Arn"
        ]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    lam = boto3.client("lambda", endpoint_url=endpoint, region_name=REGION)
    try:
        return str(lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
    except ClientError:
        created = lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": code.getvalue()},
        )
        return str(created["FunctionArn"])
