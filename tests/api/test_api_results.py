"""GET /sweep-run/{run_id}/results over real HTTP (`sweep serve`'s app on 127.0.0.1, worker
processes), every answer checked against the OpenAPI document."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import OpenApiResponses, ServerThread, legacy_request, runtime_env

from serverless_sweep.adapters.local.runtime import LocalRuntime, LocalSettings
from serverless_sweep.entrypoints.local_api import create_app

ROUTE = "/sweep-run/{run_id}/results"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, LocalRuntime]]:
    root: Path = tmp_path_factory.mktemp("api-results-store")
    with runtime_env():
        settings = LocalSettings(root=root, workers=2, default_model="legacy_hash", max_retries=0)
        runtime = LocalRuntime(settings)
        try:
            with (
                ServerThread(create_app(runtime)) as server,
                httpx.Client(base_url=server.url, timeout=60) as client,
            ):
                yield client, runtime
        finally:
            runtime.close()


def get(client: httpx.Client, path: str, **params: str) -> tuple[int, Any]:
    response = client.get(path, params=params)
    body = OpenApiResponses().check(
        ROUTE, "GET", response.status_code, response.headers.get("content-type"), response.content
    )
    return response.status_code, body


def finish(client: httpx.Client, runtime: LocalRuntime, request: dict[str, Any]) -> None:
    assert client.post("/sweep-run", json=request).status_code == 202
    deadline = time.monotonic() + 90
    while client.get(f"/sweep-run/{request['run_id']}").json()["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert runtime.wait(timeout=60)  # the last worker compacts after its commit


def test_every_point_of_a_finished_run_page_by_page(
    served: tuple[httpx.Client, LocalRuntime],
) -> None:
    client, runtime = served
    request = legacy_request(
        "res-all", dimensions={"a": list(range(9)), "b": ["x", "y"]}, shard_count=6
    )
    finish(client, runtime, request)
    seen: list[int] = []
    token: str | None = None
    while True:
        params = {"limit": "5", **({"page_token": token} if token else {})}
        code, body = get(client, "/sweep-run/res-all/results", **params)
        assert code == 200, body
        seen += [item["point_index"] for item in body["items"]]
        token = body["next_page_token"]
        if token is None:
            break
    assert seen == list(range(18))

    code, body = get(
        client,
        "/sweep-run/res-all/results",
        order_by="-completed_rides",
        fields="completed_rides",
        limit="1000",
    )
    assert code == 200 and len(body["items"]) == 18
    rides = [item["metrics"]["completed_rides"] for item in body["items"]]
    assert rides == sorted(rides, reverse=True)


def test_errors_are_documented_answers(served: tuple[httpx.Client, LocalRuntime]) -> None:
    client, runtime = served
    assert get(client, "/sweep-run/nope/results")[0] == 404
    finish(client, runtime, legacy_request("res-failed", failure_injection_shards=[1]))
    code, body = get(client, "/sweep-run/res-failed/results")
    assert code == 409 and "not compacted" in body["message"]
    code, body = get(client, "/sweep-run/res-failed/results", limit="0")
    assert code == 400 and body["details"][0]["pointer"] == "/limit"
    assert json.dumps(body).count("Traceback") == 0
