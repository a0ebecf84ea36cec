"""The gateway layer alone: the proxy event an integration receives and how its proxy response
becomes the HTTP response, with recording integrations behind `ApiGateway` (over real HTTP on
127.0.0.1, so the raw path and the client address are what a server really provides)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_helpers import OpenApiResponses, ServerThread
from starlette.applications import Starlette

from serverless_sweep.entrypoints.local_api import (
    STAGE,
    ApiGateway,
    GatewayRoute,
    Method,
    Resource,
)

EVENTS: list[dict[str, Any]] = []
REPLY: dict[str, Any] = {}


def recording(event: dict[str, Any]) -> dict[str, Any]:
    EVENTS.append(event)
    if "raise" in REPLY:
        raise RuntimeError(REPLY["raise"])
    return dict(REPLY) or {"statusCode": 200, "body": "{}"}


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    gateway = ApiGateway(
        [
            Resource("/things/{thing_id}/parts", {"POST": Method(recording)}),
            Resource("/things", {"GET": Method(recording)}),
        ],
        max_body_bytes=64,
    )
    app = Starlette(routes=[GatewayRoute(gateway)])
    with ServerThread(app) as server, httpx.Client(base_url=server.url) as http:
        yield http


@pytest.fixture(autouse=True)
def _reset() -> None:
    EVENTS.clear()
    REPLY.clear()


def test_a_request_becomes_a_rest_proxy_event(client: httpx.Client) -> None:
    response = client.post(
        "/things/a%2Fb%20c/parts?x=1&x=2&y=",
        content='{"k": "ü"}'.encode(),
        headers=[("Content-Type", "text/plain"), ("X-Twice", "1"), ("X-Twice", "2")],
    )
    assert response.status_code == 200
    (event,) = EVENTS
    assert event["resource"] == "/things/{thing_id}/parts"
    assert event["path"] == "/things/a%2Fb%20c/parts"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"thing_id": "a/b c"}
    assert event["queryStringParameters"] == {"x": "2", "y": ""}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": [""]}
    assert event["headers"]["content-type"] == "text/plain"
    assert event["headers"]["x-twice"] == "2"
    assert event["multiValueHeaders"]["x-twice"] == ["1", "2"]
    assert event["body"] == '{"k": "ü"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == STAGE
    assert context["resourcePath"] == "/things/{thing_id}/parts"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] == response.headers["x-amzn-requestid"]


def test_a_request_without_body_or_query_has_nulls(client: httpx.Client) -> None:
    assert client.get("/things").status_code == 200
    (event,) = EVENTS
    assert event["body"] is None
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None


def test_the_proxy_response_becomes_the_http_response(client: httpx.Client) -> None:
    REPLY.update(
        statusCode=201,
        headers={"X-One": "1", "Content-Length": "999"},
        multiValueHeaders={"X-Many": ["a", "b"]},
        body=base64.b64encode(b"\x00binary").decode(),
        isBase64Encoded=True,
    )
    response = client.get("/things")
    assert response.status_code == 201
    assert response.content == b"\x00binary"
    assert response.headers["x-one"] == "1"
    assert response.headers.get_list("x-many") == ["a", "b"]
    assert response.headers["content-type"] == "application/json"  # the gateway's default
    assert response.headers["content-length"] == "7"  # recomputed, never the Lambda's


@pytest.mark.parametrize(
    "reply",
    [
        {"statusCode": "teapot", "body": "{}"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "headers": ["x"], "body": ""},
        {"raise": "integration bug"},
    ],
)
def test_a_failing_integration_is_a_json_500(client: httpx.Client, reply: dict[str, Any]) -> None:
    REPLY.update(reply)
    response = client.get("/things")
    assert response.status_code == 500
    body = response.json()
    assert OpenApiResponses().component("ErrorResponse").is_valid(body)
    assert body["error"] == "internal_error"


def test_the_size_limit_is_the_gateways(client: httpx.Client) -> None:
    assert client.post("/things/t/parts", content=b"x" * 64).status_code == 200
    response = client.post("/things/t/parts", content=b"x" * 65)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert len(EVENTS) == 1


def test_a_newline_in_the_path_still_gets_the_gateways_json_404(client: httpx.Client) -> None:
    response = client.get("/things/%0A")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_non_utf8_body_is_replaced_for_routes_without_a_model(client: httpx.Client) -> None:
    assert client.post("/things/t/parts", content=b"\xff{}").status_code == 200
    assert json.dumps(EVENTS[0]["body"]) == '"\\ufffd{}"'
