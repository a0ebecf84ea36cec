"""Helpers shared by the AWS adapter tests: boto3 clients and a Lambda function on moto."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

REGION = "eu-central-1"


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
