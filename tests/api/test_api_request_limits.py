"""Hostile request sizes over real HTTP (issue 9, items 1 and 2): 400s naming the field, the
rule and the limit, valid against the OpenAPI document, nothing recorded, never a 5xx.

Before: dimension values nested 254-989 levels deep answered 500 (the manifest could not be
serialized), and failure_injection_shards with 100,000 entries was accepted (202) and then
every dispatch failed with PayloadTooLarge (502).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_helpers import OpenApiResponses, ServerThread, legacy_request, runtime_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serverless_sweep.adapters.local.runtime import LocalRuntime, LocalSettings
from serverless_sweep.entrypoints.local_api import create_app


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path]]:
    root = tmp_path_factory.mktemp("api-limits-store")
    with runtime_env():
        runtime = LocalRuntime(
            LocalSettings(root=root, workers=1, default_model="legacy_hash", max_retries=0)
        )
        try:
            with (
                ServerThread(create_app(runtime)) as server,
                httpx.Client(base_url=server.url, timeout=60) as client,
            ):
                yield client, root
        finally:
            runtime.close()


def deep_body(run_id: str, depth: int) -> bytes:
    """A request whose one dimension value is nested `depth` arrays deep (as text: any depth)."""
    value = "[" * depth + "1" + "]" * depth
    return (
        f'{{"run_id": "{run_id}", "dimensions": {{"a": [1, {value}]}}, "shard_count": 1}}'
    ).encode()


def post(client: httpx.Client, body: bytes) -> tuple[int, dict[str, object]]:
    response = client.post("/sweep-run", content=body, headers={"Content-Type": "application/json"})
    document = OpenApiResponses().check(
        "/sweep-run", "post", response.status_code, response.headers.get("content-type"),
        response.content,
    )  # fmt: skip
    return response.status_code, document


def nothing_recorded(client: httpx.Client, run_id: str) -> bool:
    return client.get(f"/sweep-run/{run_id}").status_code == 404


@pytest.mark.parametrize("depth", [254, 500])
def test_deeply_nested_dimension_values_answer_400_not_500(
    api: tuple[httpx.Client, Path], depth: int
) -> None:
    """Item 1: the depths that answered 500 now answer 400 naming the value and the rule."""
    client, _ = api
    run_id = f"deep-{depth}"
    code, body = post(client, deep_body(run_id, depth))
    assert code == 400, body
    assert body["error"] == "validation_error"
    assert body["details"] == [
        {"pointer": "/dimensions/a/1", "rule": "max_depth", "message": body["message"]}
    ]
    assert "at most 32" in str(body["message"])
    assert nothing_recorded(client, run_id)


@pytest.mark.parametrize("depth", [989, 5000])
def test_nesting_near_the_decoder_limit_is_a_400_too(
    api: tuple[httpx.Client, Path], depth: int
) -> None:
    """Item 1, upper end: the gateway's own JSON parse may give up first (it runs with less
    stack); either way a 400 that says the nesting is the problem, and nothing recorded."""
    client, _ = api
    code, body = post(client, deep_body(f"deeper-{depth}", depth))
    assert code == 400, body
    assert body["error"] == "validation_error"
    assert "nest" in str(body["message"])
    assert nothing_recorded(client, f"deeper-{depth}")


def test_100000_failure_injection_shards_answer_400(api: tuple[httpx.Client, Path]) -> None:
    """Item 2 (contract part): refused up front instead of 202 and a 502 on every dispatch."""
    client, root = api
    request = legacy_request("fis-huge", failure_injection_shards=list(range(100_000)))
    code, body = post(client, json.dumps(request).encode())
    assert code == 400, body
    assert body["details"] == [
        {"pointer": "/failure_injection_shards", "rule": "max_items", "message": body["message"]}
    ]
    assert "at most 1000" in str(body["message"])
    assert nothing_recorded(client, "fis-huge")
    assert not list(root.rglob("*fis-huge*"))


@pytest.mark.parametrize(
    ("change", "pointer", "rule"),
    [
        ({"run_id": "r" * 1025}, "/run_id", "max_length"),
        ({"dimensions": {f"d{i}": [i] for i in range(65)}}, "/dimensions", "max_properties"),
        ({"dimensions": {"n" * 257: [1]}}, "/dimensions/" + "n" * 257, "max_length"),
        ({"dimensions": {"a": [1, "s" * 4097]}}, "/dimensions/a/1", "max_length"),
    ],
)
def test_other_size_limits_answer_400_naming_pointer_and_rule(
    api: tuple[httpx.Client, Path], change: dict[str, object], pointer: str, rule: str
) -> None:
    client, _ = api
    request = {**legacy_request("limits"), **change}
    code, body = post(client, json.dumps(request).encode())
    assert code == 400, body
    details = body["details"]
    assert isinstance(details, list)
    assert [(d["pointer"], d["rule"]) for d in details] == [(pointer, rule)]


def _nest(depth: int, leaf: object) -> object:
    for _ in range(depth):
        leaf = {"k": leaf} if depth % 2 else [leaf]
    return leaf


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    depth=st.integers(min_value=0, max_value=120),
    length=st.sampled_from([0, 10, 4096, 4097, 20_000]),
    entries=st.sampled_from([0, 1, 1000, 1001, 5000]),
    run_id_length=st.sampled_from([40, 1024, 1025]),
)
def test_hostile_sizes_never_answer_5xx(
    api: tuple[httpx.Client, Path], depth: int, length: int, entries: int, run_id_length: int
) -> None:
    """Items 1 and 2: whatever the nesting and sizes, a client gets 202 or a 400 that names a
    documented rule, never a 5xx; an accepted run can be read back."""
    client, _ = api
    run_id = f"h-{uuid.uuid4().hex}-".ljust(run_id_length, "x")  # a fresh run every time
    request = {
        "run_id": run_id,
        "dimensions": {"a": [1, _nest(depth, "s" * length)]},
        "shard_count": 1,
        "failure_injection_shards": list(range(entries)),
    }
    code, body = post(client, json.dumps(request).encode())
    assert code in (200, 202, 400), body
    if code == 400:
        rules = {d["rule"] for d in body["details"]}  # type: ignore[union-attr]
        assert rules <= {"max_depth", "max_length", "max_items", "max_bytes"}, body
    else:
        assert client.get(f"/sweep-run/{run_id}").status_code == 200
