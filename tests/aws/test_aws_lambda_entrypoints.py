"""The Lambda handler functions with API Gateway events, a fake context and S3 on moto.

The child function cannot run inside moto (no Docker), so the parent's fan-out goes to a
recording invoker and the test plays Lambda: it hands every recorded payload to
`child_handler`, exactly as the async invoke would.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aws_helpers import CLIENT_KINDS, s3_client

from serverless_sweep.adapters.aws.json_logging import JsonFormatter
from serverless_sweep.adapters.memory import RecordingInvoker
from serverless_sweep.entrypoints import lambda_services
from serverless_sweep.entrypoints.aws_lambda import (
    Route,
    Services,
    child_handler,
    parent_handler,
    resolve_route,
)
from serverless_sweep.handlers.status import StatusHandler

CHILD_ARN = "arn:aws:lambda:eu-central-1:123456789012:function:sweep-child"
PREFIX = "serverless-sweeps"


class FakeContext:
    """The parts of Lambda's context object the handlers read."""

    def __init__(self, request_id: str = "req-1", remaining_ms: int = 900_000) -> None:
        self.aws_request_id = request_id
        self.function_name = "sweep"
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms


@pytest.fixture
def deployment(bucket: str, monkeypatch: pytest.MonkeyPatch) -> RecordingInvoker:
    """Function configuration as the stack sets it, and a fresh per-container Services."""
    monkeypatch.setenv("SWEEP_RESULTS_BUCKET", bucket)
    monkeypatch.setenv("CHILD_LAMBDA_ARN", CHILD_ARN)
    monkeypatch.setenv("SWEEP_DEFAULT_MODEL", "legacy_hash")
    invoker = RecordingInvoker()
    monkeypatch.setattr(lambda_services, "services", Services(invoker=invoker))
    return invoker


def rest_event(method: str, path: str, body: Any = None, **extra: Any) -> dict[str, Any]:
    """An API Gateway REST API (payload 1.0) proxy event."""
    resource = path
    params = None
    parts = path.strip("/").split("/")
    if len(parts) >= 2:
        params = {"run_id": parts[1]}
        resource = "/sweep-run/{run_id}" + ("/redrive" if len(parts) == 3 else "")
    event: dict[str, Any] = {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", "Authorization": "secret-token"},
        "pathParameters": params,
        "requestContext": {"requestId": "api-req", "stage": "prod"},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }
    event.update(extra)
    return event


def http_event(method: str, route: str, raw_path: str, run_id: str | None = None) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event."""
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": raw_path,
        "pathParameters": {"run_id": run_id} if run_id else None,
        "requestContext": {"http": {"method": method, "path": raw_path}},
        "isBase64Encoded": False,
    }


def request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "run_id": "r1",
        "dimensions": {"a": [1, 2, 3, 4, 5, 6]},
        "shard_count": 3,
        "seed": 7,
    }
    body.update(overrides)
    return body


def body_of(response: dict[str, Any]) -> Any:
    assert response["headers"]["Content-Type"] == "application/json"
    return json.loads(response["body"])


def keys(s3: Any, bucket: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


# -- the whole API on S3 --------------------------------------------------------------------------


def test_submit_run_status_and_redrive(deployment: RecordingInvoker, s3: Any, bucket: str) -> None:
    submitted = parent_handler(
        rest_event("POST", "/sweep-run", request(failure_injection_shards=[1])), FakeContext()
    )
    assert submitted["statusCode"] == 202, submitted["body"]
    accepted = body_of(submitted)
    assert accepted["status"] == "dispatch_submitted"
    assert accepted["shards_dispatched"] == 3
    run_date = accepted["run_date"]
    manifest_key = (
        f"{PREFIX}/dataset=runs/run_date={run_date}/run_id=r1/status=accepted/manifest.json"
    )
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    assert manifest["fingerprint"] == accepted["fingerprint"]
    assert f"{PREFIX}/run_index/r1.json" in keys(s3, bucket)
    assert [c.function_name for c in deployment.calls] == [CHILD_ARN] * 3

    status = parent_handler(rest_event("GET", "/sweep-run/r1"), FakeContext())
    assert status["statusCode"] == 200
    assert body_of(status)["state"] == "running"
    assert body_of(status)["pending_shards"] == 3

    # Play Lambda: deliver each queued event to the child function.
    for call in deployment.calls:
        event = json.loads(call.payload)
        if event["shard_id"] == 1:
            with pytest.raises(RuntimeError, match="Injected shard failure"):
                child_handler(event, FakeContext(f"child-{event['shard_id']}"))
        else:
            result = child_handler(event, FakeContext(f"child-{event['shard_id']}"))
            assert result["status"] == "ok"
            assert result["duplicate"] is False

    status = body_of(parent_handler(rest_event("GET", "/sweep-run/r1"), FakeContext()))
    assert (status["succeeded_shards"], status["failed_shards"], status["pending_shards"]) == (
        2,
        1,
        0,
    )
    assert status["state"] == "failed"
    assert status["failures"][0]["error_kind"] == "injected"
    assert status["points_done"] == 4

    deployment.calls.clear()
    redriven = parent_handler(rest_event("POST", "/sweep-run/r1/redrive"), FakeContext())
    assert redriven["statusCode"] == 202, redriven["body"]
    assert body_of(redriven)["status"] == "redrive_submitted"
    assert body_of(redriven)["dispatches"] == [{"shard_id": 1, "status_code": 202, "attempt": 2}]
    assert json.loads(deployment.calls[0].payload)["attempt"] == 2

    # The same submission again is recognised; nothing is dispatched or rewritten.
    deployment.calls.clear()
    before = keys(s3, bucket)
    again = parent_handler(
        rest_event("POST", "/sweep-run", request(failure_injection_shards=[1])), FakeContext()
    )
    assert again["statusCode"] == 200
    assert body_of(again)["status"] == "already_submitted"
    assert deployment.calls == []
    assert keys(s3, bucket) == before


def test_http_api_events_are_routed(deployment: RecordingInvoker) -> None:
    event = http_event("POST", "POST /sweep-run", "/sweep-run")
    event["body"] = json.dumps(request(run_id="v2"))
    assert parent_handler(event, FakeContext())["statusCode"] == 202
    got = parent_handler(
        http_event("GET", "GET /sweep-run/{run_id}", "/sweep-run/v2", "v2"), FakeContext()
    )
    assert got["statusCode"] == 200
    assert body_of(got)["run_id"] == "v2"
    redrive = parent_handler(
        http_event("POST", "$default", "/prod/sweep-run/v2/redrive"), FakeContext()
    )
    assert redrive["statusCode"] == 202


def test_direct_invoke_is_a_submission(deployment: RecordingInvoker) -> None:
    response = parent_handler(request(run_id="direct"), FakeContext())
    assert response["statusCode"] == 202
    assert len(deployment.calls) == 3


def test_base64_body_is_decoded(deployment: RecordingInvoker) -> None:
    text = json.dumps(request(run_id="b64"))
    event = rest_event("POST", "/sweep-run")
    event.update(body=base64.b64encode(text.encode()).decode(), isBase64Encoded=True)
    assert parent_handler(event, FakeContext())["statusCode"] == 202
    event.update(body="%%% not base64 %%%")
    bad = parent_handler(event, FakeContext())
    assert bad["statusCode"] == 400
    assert body_of(bad)["error"] == "validation_error"


def test_validation_errors_are_400(deployment: RecordingInvoker) -> None:
    response = parent_handler(rest_event("POST", "/sweep-run", {"dimensions": {}}), FakeContext())
    assert response["statusCode"] == 400
    assert body_of(response)["message"] == "Missing required field 'run_id'"


def test_unknown_run_and_unknown_route_are_404(deployment: RecordingInvoker) -> None:
    missing = parent_handler(rest_event("GET", "/sweep-run/nope"), FakeContext())
    assert missing["statusCode"] == 404
    assert body_of(missing) == {
        "error": "not_found",
        "message": "No run with run_id 'nope'",
        "contract_version": "1.0",
        "run_id": "nope",
    }
    assert (
        parent_handler(rest_event("POST", "/sweep-run/nope/redrive"), FakeContext())["statusCode"]
        == 404
    )
    wrong = parent_handler(rest_event("DELETE", "/sweep-run/nope"), FakeContext())
    assert wrong["statusCode"] == 404
    assert body_of(wrong)["message"] == "No route for DELETE /sweep-run/nope"


# -- misconfiguration and failures ----------------------------------------------------------------


def test_unset_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHILD_LAMBDA_ARN", CHILD_ARN)
    monkeypatch.setenv("SWEEP_DEFAULT_MODEL", "legacy_hash")
    monkeypatch.setattr(lambda_services, "services", Services(invoker=RecordingInvoker()))
    for event in (rest_event("POST", "/sweep-run", request()), rest_event("GET", "/sweep-run/r1")):
        response = parent_handler(event, FakeContext())
        assert response["statusCode"] == 500
        assert body_of(response)["error"] == "misconfiguration"
        assert body_of(response)["message"] == "SWEEP_RESULTS_BUCKET must be configured"
    with pytest.raises(RuntimeError, match=r"^SWEEP_RESULTS_BUCKET must be configured$"):
        child_handler(
            {
                "run_id": "r1",
                "dimensions": {"a": [1, 2]},
                "total_points": 2,
                "shard_id": 0,
                "start_index": 0,
                "end_index": 2,
                "seed": 7,
                "failure_injection_shards": [],
            },
            FakeContext(),
        )
    assert lambda_services.services._s3_client is None  # no client for an unconfigured bucket


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_store_failure_on_status_is_a_500_in_contract_shape(
    bucket: str, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv("SWEEP_RESULTS_BUCKET", bucket)
    dead = s3_client(kind, "http://127.0.0.1:9", attempts=1)  # connection refused at once
    monkeypatch.setattr(
        lambda_services, "services", Services(s3_client=dead, invoker=RecordingInvoker())
    )
    response = parent_handler(rest_event("GET", "/sweep-run/r1"), FakeContext())
    assert response["statusCode"] == 500
    body = body_of(response)
    assert body["error"] == "internal_error"
    assert f"s3://{bucket}/" in body["message"]


def test_unexpected_exception_is_a_500_with_the_request_id(
    deployment: RecordingInvoker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: Any, run_id: str) -> dict[str, Any]:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(StatusHandler, "body", boom)  # what GET /sweep-run/{run_id} calls
    response = parent_handler(rest_event("GET", "/sweep-run/r1"), FakeContext("req-42"))
    assert response["statusCode"] == 500
    assert body_of(response)["error"] == "internal_error"
    assert "req-42" in body_of(response)["message"]
    assert "boom" not in response["body"]  # internals stay in the log


def test_default_services_use_the_real_invoke_api(
    bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No injected invoker: LambdaInvoker calls moto's Invoke, which knows no such function."""
    monkeypatch.setenv("SWEEP_RESULTS_BUCKET", bucket)
    monkeypatch.setenv("CHILD_LAMBDA_ARN", CHILD_ARN)
    monkeypatch.setenv("SWEEP_DEFAULT_MODEL", "legacy_hash")
    monkeypatch.setattr(lambda_services, "services", Services())
    response = parent_handler(
        rest_event("POST", "/sweep-run", request(run_id="real")), FakeContext()
    )
    assert response["statusCode"] == 502
    body = body_of(response)
    assert body["error"] == "dispatch_error"
    assert "ResourceNotFoundException" in body["details"][0]["message"]
    services = lambda_services.services
    assert services.s3_client() is services.s3_client()  # built once, reused when warm
    assert services.invoker() is services.invoker()


# -- logging --------------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """JSON lines of everything the package logs during the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    package = logging.getLogger("serverless_sweep")
    previous = package.level
    package.addHandler(handler)
    package.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        package.removeHandler(handler)
        package.setLevel(previous)


def test_log_lines_are_json_with_run_shard_and_request_ids(
    deployment: RecordingInvoker, json_log: io.StringIO
) -> None:
    parent_handler(rest_event("POST", "/sweep-run", request(run_id="logged")), FakeContext("p-1"))
    child_handler(json.loads(deployment.calls[0].payload), FakeContext("c-1"))
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert {
        "timestamp",
        "level",
        "logger",
        "message",
        "run_id",
        "shard_id",
        "aws_request_id",
    } <= set(lines[0])
    response_line = next(x for x in lines if x["message"].startswith("parent response"))
    assert (response_line["run_id"], response_line["aws_request_id"]) == ("logged", "p-1")
    shard_line = next(x for x in lines if x["message"].startswith("shard done"))
    assert (shard_line["run_id"], shard_line["shard_id"], shard_line["aws_request_id"]) == (
        "logged",
        0,
        "c-1",
    )
    assert "secret-token" not in json_log.getvalue()  # events (and their headers) are not logged


# -- routing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"run_id": "x", "dimensions": {}}, Route("submit")),
        ([1, 2], Route("submit")),
        ({"body": "{}"}, Route("submit")),
        (
            {"httpMethod": "POST", "resource": "/sweep-run", "path": "/sweep-run"},
            Route("submit", None, True, "POST", "/sweep-run"),
        ),
        (
            {
                "httpMethod": "GET",
                "resource": "/sweep-run/{run_id}",
                "path": "/sweep-run/a%2Fb",
                "pathParameters": {"run_id": "a/b"},
            },
            Route("status", "a/b", True, "GET", "/sweep-run/a%2Fb"),
        ),
        (
            {"httpMethod": "POST", "resource": "/{proxy+}", "path": "/v1/sweep-run/x/redrive/"},
            Route("redrive", "x", True, "POST", "/v1/sweep-run/x/redrive/"),
        ),
        (
            {"httpMethod": "GET", "resource": "/sweep-run", "path": "/sweep-run"},
            Route("list_runs", None, True, "GET", "/sweep-run"),
        ),
        (
            {"httpMethod": "GET", "resource": "/other", "path": "/other"},
            Route(None, None, True, "GET", "/other"),
        ),
        (
            {"routeKey": "GET /sweep-run/{run_id}", "pathParameters": {"run_id": "r"}},
            Route("status", "r", True, "GET", "/sweep-run/{run_id}"),
        ),
        (
            {
                "routeKey": "$default",
                "rawPath": "/sweep-run",
                "requestContext": {"http": {"method": "post"}},
            },
            Route("submit", None, True, "POST", "/sweep-run"),
        ),
    ],
)
def test_resolve_route(event: Any, expected: Route) -> None:
    assert resolve_route(event) == expected
