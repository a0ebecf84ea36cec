"""LambdaInvoker under faults: real Invoke calls to moto through the fault-injecting proxy.

What the dispatcher relies on: the client does not retry behind its back (the proxy sees
exactly one request per call), every failure arrives as one of the port's three exceptions with
the right `retryable`, and the connection pool is as large as the dispatcher's concurrency.
Invokers built from an endpoint use the default standard-library client (what the parent
Lambda runs); the pool and read-timeout tests run with a botocore client too.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from aws_helpers import CLIENT_KINDS, create_function, lambda_client
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from fault_proxy import FaultPlan, FaultProxy, fault_proxy

from serverless_sweep.adapters.aws.lambda_invoker import (
    LambdaInvoker,
    classify_client_error,
    map_invoke_errors,
)
from serverless_sweep.handlers.ports import InvokeError, InvokeThrottled, InvokeUnavailable

FUNCTION = "sweep-child-faults"


@pytest.fixture
def function(aws_env: str, lambda_without_docker: None) -> str:
    return create_function(aws_env, FUNCTION)


@pytest.fixture
def proxy(moto_url: str, function: str) -> Iterator[FaultProxy]:
    with fault_proxy(moto_url, FaultPlan(match=lambda r: r.is_invoke)) as running:
        yield running


def _payload(shard_id: int) -> bytes:
    return json.dumps({"shard_id": shard_id}).encode()


def test_an_accepted_invoke_reaches_lambda_once(proxy: FaultProxy, function: str) -> None:
    result = LambdaInvoker(endpoint_url=proxy.url).invoke_async(function, _payload(1))

    assert result.status_code == 202
    assert proxy.invoked_payloads(function) == [{"shard_id": 1}]


@pytest.mark.parametrize(
    ("plan", "expected", "code"),
    [
        (FaultPlan(throttle_rate=1.0), InvokeThrottled, "TooManyRequestsException (HTTP 429)"),
        (FaultPlan(error_rate=1.0), InvokeUnavailable, "ServiceException (HTTP 500)"),
        (FaultPlan(reset_rate=1.0), InvokeUnavailable, "got no answer"),
    ],
    ids=["throttle", "5xx", "reset"],
)
def test_faults_map_to_retryable_errors_without_botocore_retries(
    proxy: FaultProxy, function: str, plan: FaultPlan, expected: type[InvokeError], code: str
) -> None:
    proxy.set_plan(plan, match=lambda r: r.is_invoke)
    invoker = LambdaInvoker(endpoint_url=proxy.url)

    with pytest.raises(InvokeError) as info:
        invoker.invoke_async(function, _payload(2))

    assert type(info.value) is expected and info.value.retryable is True
    assert function in str(info.value) and code in str(info.value)
    assert len(proxy.invokes()) == 1, "botocore retried the invoke itself"
    assert proxy.invoked_payloads() == []


def test_a_reset_after_lambda_queued_the_event_says_it_may_be_queued(
    proxy: FaultProxy, function: str
) -> None:
    proxy.set_plan(reset_rate=1.0, phase="after", match=lambda r: r.is_invoke)

    with pytest.raises(InvokeUnavailable, match="may have been queued"):
        LambdaInvoker(endpoint_url=proxy.url).invoke_async(function, _payload(3))
    assert proxy.invoked_payloads() == [{"shard_id": 3}]


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_a_read_timeout_is_unavailable_and_in_doubt(
    proxy: FaultProxy, function: str, kind: str
) -> None:
    proxy.set_plan(latency_ms=1500, match=lambda r: r.is_invoke)
    invoker = LambdaInvoker(lambda_client(kind, proxy.url, read_timeout=0.2))

    with pytest.raises(InvokeUnavailable, match=r"ReadTimeoutError.*may have been queued"):
        invoker.invoke_async(function, _payload(4))


def test_a_refused_connection_is_unavailable_and_not_in_doubt(function: str) -> None:
    invoker = LambdaInvoker(endpoint_url="http://127.0.0.1:9")

    with pytest.raises(InvokeUnavailable) as info:
        invoker.invoke_async(function, _payload(5))
    assert "EndpointConnectionError" in str(info.value)
    assert "may have been queued" not in str(info.value)


def test_an_unknown_function_through_the_proxy_is_not_retryable(moto_url: str) -> None:
    # moto's Docker-free backend accepts any name, so this test keeps the default backend.
    with fault_proxy(moto_url) as proxy, pytest.raises(InvokeError) as info:
        LambdaInvoker(endpoint_url=proxy.url).invoke_async("no-such-function", _payload(6))

    assert info.value.retryable is False and not isinstance(
        info.value, InvokeThrottled | InvokeUnavailable
    )
    assert "no-such-function" in str(info.value)
    assert "ResourceNotFoundException (HTTP 404)" in str(info.value)


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_the_pool_matches_the_concurrency(
    proxy: FaultProxy, function: str, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """32 threads sharing one invoker: connections are reused, and a pool of 32 keeps them all.

    96 invokes over at most 32 connections shows reuse (an unread answer body would pin every
    connection: one per invoke); a pool of 4 has to throw connections away (urllib3's "pool is
    full" warning; the http client's `discarded` counter).
    """
    proxy.set_plan(latency_ms=10, jitter_ms=40, match=lambda r: r.is_invoke)

    def storm(invoker: LambdaInvoker) -> set[int]:
        proxy.clear_log()
        barrier = threading.Barrier(32)

        def worker(base: int) -> None:
            barrier.wait(timeout=30)
            for i in range(3):
                invoker.invoke_async(function, _payload(base * 10 + i))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(proxy.invoked_payloads()) == 96
        return {r.connection for r in proxy.invokes()}

    def discarded(invoker: LambdaInvoker) -> int:
        if kind == "http":
            return int(invoker.client.service.pool.discarded)
        return sum("pool is full" in r.getMessage() for r in caplog.records)

    with caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"):
        wide_invoker = LambdaInvoker(lambda_client(kind, proxy.url, pool=32))
        wide = storm(wide_invoker)
        assert discarded(wide_invoker) == 0
        narrow_invoker = LambdaInvoker(lambda_client(kind, proxy.url, pool=4))
        narrow = storm(narrow_invoker)
        assert discarded(narrow_invoker) > 0

    assert len(wide) <= 32 and len(narrow) <= 32


def _client_error(status: int, code: str, **extra: Any) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return ClientError(response, "Invoke")


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, "TooManyRequestsException", InvokeThrottled),
        (400, "ThrottlingException", InvokeThrottled),
        (502, "EC2ThrottledException", InvokeThrottled),
        (429, "SomethingNew", InvokeThrottled),
        (500, "ServiceException", InvokeUnavailable),
        (503, "ServiceUnavailable", InvokeUnavailable),
        (502, "ResourceNotReadyException", InvokeUnavailable),
        (409, "ResourceConflictException", InvokeUnavailable),
        (504, "GatewayTimeout", InvokeUnavailable),
        (404, "ResourceNotFoundException", InvokeError),
        (403, "AccessDeniedException", InvokeError),
        (413, "RequestTooLargeException", InvokeError),
        (400, "InvalidParameterValueException", InvokeError),
        (502, "KMSDisabledException", InvokeError),
        (502, "InvalidRuntimeException", InvokeError),
    ],
)
def test_classification_of_lambda_error_answers(
    status: int, code: str, expected: type[InvokeError]
) -> None:
    error = classify_client_error("fn-x", _client_error(status, code))

    assert type(error) is expected
    assert error.retryable is (expected is not InvokeError)
    assert str(error).startswith(f"Lambda Invoke of fn-x failed: {code} (HTTP {status})")
    assert f"{code} happened" in str(error)


def test_the_throttle_reason_is_kept_in_the_message() -> None:
    error = classify_client_error(
        "fn",
        _client_error(429, "TooManyRequestsException", Reason="ConcurrentInvocationLimitExceeded"),
    )
    assert "[reason ConcurrentInvocationLimitExceeded]" in str(error)


def test_the_mapper_passes_foreign_exceptions_through() -> None:
    with pytest.raises(KeyError), map_invoke_errors("fn"):
        raise KeyError("a bug, not an invoke failure")


def test_missing_credentials_are_a_clear_non_retryable_error(
    monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it caches the credentials it found
    with pytest.raises(InvokeError) as info:
        LambdaInvoker().invoke_async(function, _payload(7))
    assert info.value.retryable is False and "NoCredentialsError" in str(info.value)
