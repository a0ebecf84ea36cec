"""LambdaInvoker against moto's Lambda API (real Invoke calls over HTTP), with both kinds of
client: the default standard-library `LambdaHttpClient` and an injected botocore client.

moto executes functions only in Docker, which this machine lacks. Two things are still real:
an Invoke of a function that does not exist fails with Lambda's own error, and with moto's
Docker-free backend (`lambda_without_docker`) an Event invoke of an existing function answers
202. The parent's fan-out is exercised with the real invoker and the real S3 store.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3  # type: ignore[import-untyped]
import edge
import pytest
from aws_helpers import CLIENT_KINDS, lambda_client
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from fault_proxy import fault_proxy

from serverless_sweep.adapters.aws._service import AwsErrorAnswer
from serverless_sweep.adapters.aws.lambda_http import LambdaHttpClient
from serverless_sweep.adapters.aws.lambda_invoker import LambdaInvoker
from serverless_sweep.adapters.aws.s3_store import S3ObjectStore
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.ports import InvokeError, Invoker

REGION = "eu-central-1"
MISSING = "arn:aws:lambda:eu-central-1:123456789012:function:sweep-child-missing"


def test_implements_the_invoker_port() -> None:
    assert isinstance(LambdaInvoker(), Invoker)


def test_client_is_built_lazily_once() -> None:
    invoker = LambdaInvoker()
    assert invoker._client is None
    assert invoker.client is invoker.client
    client = invoker.client
    assert isinstance(client, LambdaHttpClient)  # the standard-library client, no botocore
    assert client.service.retry.max_attempts == 1  # the dispatcher retries
    pool = client.service.pool
    assert (pool.connect_timeout, pool.read_timeout) == (5.0, 15.0)
    assert pool.maxsize == 64


def test_pool_is_sized_by_the_constructor() -> None:
    assert LambdaInvoker(max_pool_connections=8).client.service.pool.maxsize == 8
    with pytest.raises(ValueError, match="max_pool_connections"):
        LambdaInvoker(max_pool_connections=0)


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_missing_function_is_a_non_retryable_invoke_error(aws_env: str, kind: str) -> None:
    with pytest.raises(InvokeError) as info:
        LambdaInvoker(lambda_client(kind, aws_env)).invoke_async(MISSING, b'{"shard_id": 0}')
    assert type(info.value) is InvokeError and info.value.retryable is False
    assert MISSING in str(info.value) and "ResourceNotFoundException (HTTP 404)" in str(info.value)
    cause = AwsErrorAnswer if kind == "http" else ClientError
    assert isinstance(info.value.__cause__, cause)


@pytest.mark.usefixtures("lambda_without_docker")
@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_event_invoke_of_an_existing_function_answers_202(
    aws_env: str, moto_url: str, kind: str
) -> None:
    arn = _create_function(aws_env, "sweep-child-ok")
    with fault_proxy(moto_url) as proxy:  # no faults: it records what reached Lambda
        invoker = LambdaInvoker(lambda_client(kind, proxy.url))
        result = invoker.invoke_async(arn, b'{"shard_id": 0}')
    assert result.status_code == 202
    (invoke,) = proxy.invokes()
    assert (invoke.function, invoke.invocation_type, invoke.body) == (
        arn,
        "Event",
        b'{"shard_id": 0}',
    )
    assert invoke.upstream_status == 202


def test_parent_with_a_failing_invoke_answers_502_and_keeps_the_run(bucket: str, s3: Any) -> None:
    parent = ParentHandler(
        invoker=LambdaInvoker(),
        store=S3ObjectStore(bucket),
        config=ParentConfig(child_function=MISSING, default_model="legacy_hash"),
    )
    response = edge.submit(
        parent, {"run_id": "r-502", "dimensions": {"a": [1, 2, 3]}, "shard_count": 3}
    )
    assert response["statusCode"] == 502
    body = json.loads(response["body"])
    assert body["error"] == "dispatch_error"
    assert body["run_id"] == "r-502"
    assert [d["pointer"] for d in body["details"]] == ["/shards/0", "/shards/1", "/shards/2"]
    assert all("ResourceNotFoundException" in d["message"] for d in body["details"])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert "serverless-sweeps/run_index/r-502.json" in keys
    assert any(k.endswith("/run_id=r-502/status=accepted/manifest.json") for k in keys)


@pytest.mark.usefixtures("lambda_without_docker")
def test_parent_fans_out_through_the_real_invoke_api(bucket: str, aws_env: str) -> None:
    arn = _create_function(aws_env, "sweep-child-fanout")
    parent = ParentHandler(
        invoker=LambdaInvoker(),
        store=S3ObjectStore(bucket),
        config=ParentConfig(child_function=arn, default_model="legacy_hash"),
    )
    response = edge.submit(
        parent, {"run_id": "r-202", "dimensions": {"a": [1, 2, 3]}, "shard_count": 3}
    )
    assert response["statusCode"] == 202, response["body"]
    body = json.loads(response["body"])
    assert [d["status_code"] for d in body["dispatches"]] == [202, 202, 202]


def _create_function(endpoint: str, name: str) -> str:
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
    client = boto3.client("lambda", endpoint_url=endpoint, region_name=REGION)
    try:
        return str(client.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
    except ClientError:
        created = client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": code.getvalue()},
        )
        return str(created["FunctionArn"])
