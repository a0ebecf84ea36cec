"""The local API over real HTTP: uvicorn on 127.0.0.1 (a free port) in a background thread, a
LocalRuntime with one worker process and the legacy_hash model, httpx as the client.

Every response is checked against the OpenAPI document: its status must be documented for the
route, its Content-Type JSON and its body valid against the schema of that status (resolved
inside the whole document). Gateway-made answers for unknown routes and methods must still be
ErrorResponse-shaped JSON.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from api_helpers import (
    REDRIVE_ROUTE,
    OpenApiResponses,
    ServerThread,
    legacy_request,
    runtime_env,
)

from serverless_sweep.adapters.local.runtime import LocalRuntime, LocalSettings
from serverless_sweep.contracts import api_schema_name, load_openapi, load_schema, schema_names
from serverless_sweep.entrypoints.local_api import DEFAULT_MAX_BODY_BYTES, create_app

POLL_TIMEOUT_S = 90.0


@dataclass
class Api:
    """An httpx client that validates every response against the OpenAPI document."""

    client: httpx.Client
    runtime: LocalRuntime
    root: Path
    responses: OpenApiResponses

    def call(
        self, method: str, path: str, route: str | None, **kwargs: Any
    ) -> tuple[httpx.Response, Any]:
        """Send; `route` is the documented route template, None when the request has none."""
        response = self.client.request(method, path, **kwargs)
        if route is None:
            body = json.loads(response.content)
            assert response.headers["content-type"] == "application/json"
            assert self.responses.component("ErrorResponse").is_valid(body), body
            return response, body
        body = self.responses.check(
            route, method, response.status_code, response.headers.get("content-type"),
            response.content,
        )  # fmt: skip
        return response, body

    def submit(self, request: object, **kwargs: Any) -> tuple[int, Any]:
        if "content" not in kwargs:
            kwargs["json"] = request
        response, body = self.call("POST", "/sweep-run", "/sweep-run", **kwargs)
        return response.status_code, body

    def status(self, run_id: str) -> tuple[int, Any]:
        response, body = self.call("GET", f"/sweep-run/{segment(run_id)}", "/sweep-run/{run_id}")
        return response.status_code, body

    def redrive(self, run_id: str) -> tuple[int, Any]:
        response, body = self.call("POST", f"/sweep-run/{segment(run_id)}/redrive", REDRIVE_ROUTE)
        return response.status_code, body

    def wait_finished(self, run_id: str) -> dict[str, Any]:
        """Poll GET status until no shard is pending (bounded); the last status."""
        deadline = time.monotonic() + POLL_TIMEOUT_S
        while True:
            code, body = self.status(run_id)
            assert code == 200, body
            if body["state"] != "running":
                assert self.runtime.wait(timeout=30)  # outcome records are in; let retries end
                result: dict[str, Any] = body
                return result
            assert time.monotonic() < deadline, f"run {run_id!r} still running: {body}"
            time.sleep(0.1)

    def files(self) -> set[str]:
        """The store's files once no shard invocation is pending (earlier runs may still write)."""
        assert self.runtime.wait(timeout=60), "shard invocations still pending after 60 s"
        return {
            str(p.relative_to(self.root))
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        }


def segment(run_id: str) -> str:
    """A run_id as one percent-encoded path segment ('/' -> %2F)."""
    return quote(run_id, safe="")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("api-routes-store")
    with runtime_env():
        settings = LocalSettings(root=root, workers=1, default_model="legacy_hash", max_retries=0)
        runtime = LocalRuntime(settings)
        try:
            with (
                ServerThread(create_app(runtime)) as server,
                httpx.Client(base_url=server.url, timeout=60) as client,
            ):
                yield Api(client, runtime, root, OpenApiResponses())
        finally:
            runtime.close()


# -- POST /sweep-run and GET /sweep-run/{run_id} --------------------------------------------------


def test_submit_then_poll_until_succeeded(api: Api) -> None:
    request = legacy_request("routes-ok")
    code, accepted = api.submit(request)
    assert code == 202, accepted
    assert accepted["status"] == "dispatch_submitted"
    assert accepted["run_id"] == "routes-ok" and accepted["model"] == "legacy_hash"
    assert accepted["total_points"] == 6
    # the API answers before the fan-out: an asynchronous dispatcher invokes the shards
    assert accepted["shards_dispatched"] == 0 and accepted["dispatches"] == []
    assert accepted["dispatch_state"] == "under_way" and accepted["shards_to_dispatch"] == 3
    status = api.wait_finished("routes-ok")
    assert status["state"] == "succeeded", status
    assert status["points_done"] == 6 and status["coverage"] == 1.0
    assert status["fingerprint"] == accepted["fingerprint"]


def test_resubmitting_the_same_request_dispatches_nothing(api: Api) -> None:
    request = legacy_request("routes-again")
    assert api.submit(request)[0] == 202
    api.wait_finished("routes-again")
    accepted_before, files_before = api.runtime.invoker.stats().accepted, api.files()
    # Key order and surrounding whitespace do not change the request (same fingerprint).
    reordered = dict(reversed(list(request.items())), run_id="  routes-again ")
    code, body = api.submit(reordered)
    assert code == 200, body
    assert body["status"] == "already_submitted"
    assert body["shards_dispatched"] == 0 and body["dispatches"] == []
    assert api.runtime.invoker.stats().accepted == accepted_before
    assert api.files() == files_before


def test_another_request_under_a_used_run_id_is_a_conflict(api: Api) -> None:
    assert api.submit(legacy_request("routes-conflict"))[0] == 202
    files_before = api.files()
    code, body = api.submit(legacy_request("routes-conflict", seed=8))
    assert code == 409, body
    assert body["error"] == "conflict" and body["run_id"] == "routes-conflict"
    assert api.files() == files_before


def test_run_ids_travel_percent_encoded_and_arrive_decoded(api: Api) -> None:
    run_id = "surge/berlin=v2 ü%41?#"
    code, accepted = api.submit(legacy_request(run_id))
    assert code == 202, accepted
    assert accepted["run_id"] == run_id
    status = api.wait_finished(run_id)
    assert status["run_id"] == run_id and status["state"] == "succeeded"
    # The '/' inside the id is a %2F, never a path separator: no such route.
    response, body = api.call("GET", "/sweep-run/surge/berlin=v2", None)
    assert response.status_code == 404 and body["error"] == "not_found"


def test_a_run_id_that_looks_like_a_store_temp_file_works(api: Api) -> None:
    code, body = api.submit(legacy_request(".tmp-run"))
    assert code == 202, body
    assert api.wait_finished(".tmp-run")["state"] == "succeeded"


def test_a_long_run_id_is_accepted_or_refused_but_never_a_server_error(api: Api) -> None:
    code, body = api.submit(legacy_request("r" * 300))
    assert code == 202, body
    assert api.wait_finished("r" * 300)["state"] == "succeeded"


def test_unknown_run_is_404(api: Api) -> None:
    code, body = api.status("no-such-run")
    assert code == 404
    assert body["error"] == "not_found" and body["run_id"] == "no-such-run"


# -- ingress validation (the gateway's request model) and the parent's own 400s -------------------


@pytest.mark.parametrize(
    ("content", "headers", "message"),
    [
        (b"{", {"Content-Type": "application/json"}, "Invalid request body: not JSON: "),
        (b"", {"Content-Type": "application/json"}, "Invalid request body: the body is empty"),
        (b"[]", {"Content-Type": "application/json"}, "Invalid request body: [] is not of"),
        (
            b'{"dimensions": {"a": [1]}}',
            {"Content-Type": "application/json; charset=utf-8"},
            "Invalid request body: 'run_id' is a required property",
        ),
        (
            b'{"run_id": "r", "dimensions": {"a": [1]}, "shard_count": 0}',
            {},  # no Content-Type: API Gateway assumes application/json
            "Invalid request body: 0 is less than the minimum of 1 (at /shard_count)",
        ),
        (
            b'{"run_id": "r", "dimensions": {"a": []}, "shard_count": 1}',
            {"Content-Type": "Application/JSON"},
            "Invalid request body: [] should be non-empty (at /dimensions/a)",
        ),
        (
            b'{"run_id": "r", "dimensions": {"a": [NaN]}, "shard_count": 1}',
            {"Content-Type": "application/json"},
            "Invalid request body: not JSON: NaN is not a JSON number",
        ),
        (
            # Draft-04 (the gateway model) has no integer 7.0; 2020-12 (the document) has.
            b'{"run_id": "r", "dimensions": {"a": [1]}, "shard_count": 1, "seed": 7.0}',
            {"Content-Type": "application/json"},
            "Invalid request body: 7.0 is not of type 'integer' (at /seed)",
        ),
        (b'{"run_id": "\xff"}', {"Content-Type": "application/json"}, "Invalid request body: the"),
    ],
)
def test_the_gateway_refuses_bad_bodies_before_the_parent(
    api: Api, content: bytes, headers: dict[str, str], message: str
) -> None:
    accepted_before, files_before = api.runtime.invoker.stats().accepted, api.files()
    code, body = api.submit(None, content=content, headers=headers)
    assert code == 400, body
    assert set(body) == {"error", "message"}, "the gateway response template's shape"
    assert body["error"] == "validation_error"
    assert body["message"].startswith(message), body["message"]
    assert api.files() == files_before, "the parent must not have run"
    assert api.runtime.invoker.stats().accepted == accepted_before


def test_other_content_types_pass_through_to_the_parent(api: Api) -> None:
    """API Gateway validates only the media types that have a model; the parent still does."""
    code, body = api.submit(
        None, content=b'{"dimensions": {"a": [1]}}', headers={"Content-Type": "text/plain"}
    )
    assert code == 400, body
    assert body["error"] == "validation_error"
    assert body["contract_version"] == "1.0", "answered by the parent, not the gateway"
    assert {"pointer": "/run_id", "rule": "required"}.items() <= body["details"][0].items()

    request = json.dumps(legacy_request("routes-text-plain")).encode()
    code, body = api.submit(None, content=request, headers={"Content-Type": "text/plain"})
    assert code == 202, body


def test_schema_valid_requests_the_parent_refuses_get_its_details(api: Api) -> None:
    files_before = api.files()
    too_many = legacy_request(
        "routes-too-big", dimensions={name: list(range(100)) for name in ("a", "b", "c")}
    )
    code, body = api.submit(too_many)
    assert code == 400, body
    assert body["error"] == "validation_error" and body["contract_version"] == "1.0"
    assert [(d["pointer"], d["rule"]) for d in body["details"]] == [("/dimensions", "max_points")]

    no_shards = legacy_request("routes-no-shards")
    del no_shards["shard_count"]
    code, body = api.submit(no_shards)
    assert code == 400, body
    assert body["message"] == "Either shard_count or shard_size is required"
    assert api.files() == files_before


def test_an_oversize_body_is_413_and_never_reaches_the_parent(api: Api) -> None:
    files_before = api.files()
    padding = "x" * DEFAULT_MAX_BODY_BYTES
    content = json.dumps(legacy_request("routes-huge", padding=padding)).encode()
    assert len(content) > DEFAULT_MAX_BODY_BYTES
    code, body = api.submit(None, content=content, headers={"Content-Type": "application/json"})
    assert code == 413, body
    assert body["error"] == "payload_too_large"
    assert api.files() == files_before

    # Exactly at the limit is fine for the gateway (the parent then judges the request).
    at_limit = json.dumps(legacy_request("routes-at-limit", padding="")).encode()
    at_limit = at_limit[:-1] + b" " * (DEFAULT_MAX_BODY_BYTES - len(at_limit)) + b"}"
    assert len(at_limit) == DEFAULT_MAX_BODY_BYTES
    code, body = api.submit(None, content=at_limit, headers={"Content-Type": "application/json"})
    assert code == 202, body


# -- POST /sweep-run/{run_id}/redrive -------------------------------------------------------------


def test_redrive_dispatches_exactly_the_failed_shard_again(api: Api) -> None:
    request = legacy_request("routes-redrive", failure_injection_shards=[1])
    assert api.submit(request)[0] == 202
    status = api.wait_finished("routes-redrive")
    assert status["state"] == "failed" and status["failed_shards"] == 1, status
    assert [f["shard_id"] for f in status["failures"]] == [1]

    code, body = api.redrive("routes-redrive")
    assert code == 202, body
    assert body["status"] == "redrive_submitted"
    assert body["dispatch_state"] == "under_way" and body["shards_to_dispatch"] == 1
    status = api.wait_finished("routes-redrive")
    assert status["state"] == "failed"  # injected failures fail on every attempt
    assert status["failures"][0]["attempt"] == 2
    assert status["succeeded_shards"] == 2


def test_redrive_of_an_unknown_run_is_404(api: Api) -> None:
    code, body = api.redrive("no-such-run")
    assert code == 404 and body["error"] == "not_found"


def test_redrive_of_a_finished_run_answers_a_documented_status(api: Api) -> None:
    assert api.submit(legacy_request("routes-finished"))[0] == 202
    api.wait_finished("routes-finished")
    files_before = api.files()
    response = api.client.post(f"/sweep-run/{segment('routes-finished')}/redrive")
    body = json.loads(response.content)
    assert body["status"] == "redrive_submitted" and body["dispatches"] == []
    assert api.files() == files_before, "nothing dispatched, nothing written"
    api.responses.check(
        REDRIVE_ROUTE, "POST", response.status_code, response.headers.get("content-type"),
        response.content,
    )  # fmt: skip


# -- the published documents ----------------------------------------------------------------------


def test_openapi_json_is_the_generated_document(api: Api) -> None:
    response, body = api.call("GET", "/openapi.json", "/openapi.json")
    assert response.status_code == 200
    expected = load_openapi()
    expected["servers"] = body["servers"]  # the address the request used (issue 12)
    assert body == expected
    assert body["servers"][0]["url"].startswith("http://")


def test_schemas_are_served_under_their_dotted_names(api: Api) -> None:
    route = "/schemas/{version}/{name}"
    response, body = api.call("GET", "/schemas/v1/sweep_request", route)
    assert response.status_code == 200 and body == load_schema("sweep_request")
    parameters = load_openapi()["paths"][route]["get"]["parameters"]
    documented = next(p for p in parameters if p["name"] == "name")["schema"]["enum"]
    assert sorted(documented) == sorted(api_schema_name(n) for n in schema_names("v1"))
    for name in documented:
        response, body = api.call("GET", f"/schemas/v1/{name}", route)
        assert response.status_code == 200, name
        assert body == load_schema(name), name


@pytest.mark.parametrize(
    "path",
    [
        "/schemas/v1/no_such_schema",
        "/schemas/v2/sweep_request",
        "/schemas/v1/models%2Fride_hailing%2Fparameters",  # the '/' form is not the API's name
        "/schemas/v1/models.ride_hailing",
    ],
)
def test_unknown_schemas_are_404(api: Api, path: str) -> None:
    response, body = api.call("GET", path, "/schemas/{version}/{name}")
    assert response.status_code == 404 and body["error"] == "not_found"


# -- routes and methods the API does not have -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/nope", "/sweep-run/", "/sweep-run//redrive", "/sweep-run/a/b/c", "/schemas/v1"],
)
def test_unknown_routes_are_json_404(api: Api, path: str) -> None:
    response, body = api.call("GET", path, None)
    assert response.status_code == 404 and body["error"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/sweep-run", "GET, POST"),
        ("DELETE", "/sweep-run/x", "GET"),
        ("HEAD", "/sweep-run/x", "GET"),
        ("GET", "/sweep-run/x/redrive", "POST"),
        ("OPTIONS", "/openapi.json", "GET"),
        ("PUT", "/schemas/v1/sweep_request", "GET"),
    ],
)
def test_undeclared_methods_are_405_with_allow(
    api: Api, method: str, path: str, allow: str
) -> None:
    response = api.client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/json"
    if method != "HEAD":
        body = response.json()
        assert api.responses.component("ErrorResponse").is_valid(body)
        assert body["error"] == "not_found" and allow in body["message"]


def test_every_response_names_its_request_id(api: Api) -> None:
    first = api.client.get("/sweep-run/x").headers["x-amzn-requestid"]
    second = api.client.get("/nope").headers["x-amzn-requestid"]
    assert first != second and len(first) == 36
