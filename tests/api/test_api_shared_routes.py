"""One route table for both edges: a route registered on the shared table (`entrypoints.http`)
is served by `sweep serve`'s app over real HTTP on 127.0.0.1 and by the parent Lambda's handler
from an API Gateway proxy event, through the same route function and the same error mapping.

The probe route records every call, so the test sees that the very function registered here is
what each edge ran (not a copy of it), with the request each edge translated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import ServerThread, runtime_env

from serverless_sweep.adapters.local.runtime import LocalRuntime, LocalSettings
from serverless_sweep.core.errors import ValidationError, Violation
from serverless_sweep.entrypoints import lambda_parent
from serverless_sweep.entrypoints.http import ROUTER, Api, Request, Response, Route
from serverless_sweep.entrypoints.local_api import create_app
from serverless_sweep.handlers.ports import StoreError

CALLS: list[tuple[str, Request]] = []


def probe(request: Request, api: Api) -> Response:
    """GET /probe/{thing}: echoes what it was asked; `?fail=` raises a mapped exception."""
    CALLS.append((type(api).__name__, request))
    fail = request.query.get("fail", [""])[-1]
    if fail == "validation":
        raise ValidationError("thing is bad", [Violation("/thing", "probe", "thing is bad")])
    if fail == "store":
        raise StoreError("disk on fire")
    return Response.json(200, {"thing": request.param("thing"), "template": request.template})


def local_probe(request: Request, api: Api) -> Response:
    return Response.json(200, {"local": True})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """`sweep serve`'s app, created while the probe routes are on the shared table."""
    root: Path = tmp_path_factory.mktemp("shared-routes-store")
    with (
        runtime_env(),
        ROUTER.registered(Route("GET", "/probe/{thing}", "probe", probe)),
        ROUTER.registered(
            Route("GET", "/local-probe", "local_probe", local_probe, local_only=True)
        ),
    ):
        runtime = LocalRuntime(LocalSettings(root=root, workers=1, default_model="legacy_hash"))
        try:
            with (
                ServerThread(create_app(runtime)) as server,
                httpx.Client(base_url=server.url, timeout=30) as client,
            ):
                yield client
        finally:
            runtime.close()


@pytest.fixture(autouse=True)
def _calls() -> Iterator[None]:
    CALLS.clear()
    yield
    CALLS.clear()


@pytest.fixture
def probe_routed() -> Iterator[None]:
    """The probe route on the shared table while the Lambda handler runs."""
    if any(r.name == "probe" for r in ROUTER.routes):  # the module fixture holds it already
        yield
        return
    with ROUTER.registered(Route("GET", "/probe/{thing}", "probe", probe)):
        yield


def rest_event(path: str, resource: str, params: dict[str, str] | None, fail: str = "") -> Any:
    return {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "abc.execute-api.eu-central-1.amazonaws.com"},
        "queryStringParameters": {"fail": fail} if fail else None,
        "multiValueQueryStringParameters": {"fail": [fail]} if fail else None,
        "pathParameters": params,
        "requestContext": {"requestId": "req-probe", "stage": "prod"},
        "body": None,
        "isBase64Encoded": False,
    }


class Context:
    aws_request_id = "req-probe"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def lambda_answer(event: Any) -> tuple[int, dict[str, Any]]:
    response = lambda_parent.handler(event, Context())
    return response["statusCode"], json.loads(response["body"])


def test_a_route_on_the_shared_table_is_served_by_sweep_serve_and_by_the_lambda(
    served: httpx.Client, probe_routed: None
) -> None:
    over_http = served.get("/probe/a%2Fb")
    assert (over_http.status_code, over_http.json()) == (
        200,
        {"thing": "a/b", "template": "/probe/{thing}"},
    )
    templated = lambda_answer(rest_event("/probe/a%2Fb", "/probe/{thing}", {"thing": "a/b"}))
    catch_all = lambda_answer(rest_event("/prod/probe/zz", "/{proxy+}", {"proxy": "probe/zz"}))
    assert templated == (200, {"thing": "a/b", "template": "/probe/{thing}"})
    assert catch_all == (200, {"thing": "zz", "template": "/probe/{thing}"})
    # the one function ran for every request, against each edge's deployment
    assert [(edge, r.param("thing")) for edge, r in CALLS] == [
        ("LocalApi", "a/b"),
        ("LambdaApi", "a/b"),
        ("LambdaApi", "zz"),
    ]


@pytest.mark.parametrize(
    ("fail", "status", "body"),
    [
        (
            "validation",
            400,
            {
                "error": "validation_error",
                "message": "thing is bad",
                "details": [{"pointer": "/thing", "rule": "probe", "message": "thing is bad"}],
                "contract_version": "1.0",
            },
        ),
        (
            "store",
            500,
            {
                "error": "internal_error",
                "message": "store failed: disk on fire",
                "contract_version": "1.0",
            },
        ),
    ],
)
def test_both_edges_answer_a_route_error_through_the_one_error_map(
    served: httpx.Client, probe_routed: None, fail: str, status: int, body: dict[str, Any]
) -> None:
    over_http = served.get("/probe/x", params={"fail": fail})
    assert (over_http.status_code, over_http.json()) == (status, body)
    event = rest_event("/probe/x", "/probe/{thing}", {"thing": "x"}, fail)
    assert lambda_answer(event) == (status, body)
    assert len(CALLS) == 2


def test_local_only_routes_are_not_served_by_the_lambda(served: httpx.Client) -> None:
    assert served.get("/local-probe").json() == {"local": True}
    status, body = lambda_answer(rest_event("/local-probe", "/local-probe", None))
    assert (status, body["error"], body["message"]) == (
        404,
        "not_found",
        "No route for GET /local-probe",
    )


def test_a_route_removed_from_the_table_is_gone() -> None:
    late = Route("GET", "/late/{thing}", "late", probe)
    with ROUTER.registered(late):
        assert lambda_answer(rest_event("/late/y", "/late/{thing}", {"thing": "y"}))[0] == 200
    status, body = lambda_answer(rest_event("/late/y", "/late/{thing}", {"thing": "y"}))
    assert (status, body["message"]) == (404, "No route for GET /late/y")
