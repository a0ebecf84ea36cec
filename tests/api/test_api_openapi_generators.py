"""The served OpenAPI document is usable by client generators (issue 12): every array has
`items`, every operation a tag and its operation id, `servers` is the address the client used,
and the deployed document (the parent Lambda's) carries API Gateway's SigV4 security scheme."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from serverless_sweep.contracts import load_openapi
from serverless_sweep.entrypoints import lambda_parent
from tests.api.api_helpers import ServeProcess

OPERATION_IDS = {"submitSweepRun", "getRunStatus", "redriveRun", "getOpenApi", "getSchema"}


def _arrays_without_items(node: Any, where: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "array" in kinds and "items" not in node and "prefixItems" not in node:
            found.append(where or "/")
        for key, value in node.items():
            found += _arrays_without_items(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _arrays_without_items(value, f"{where}/{index}")
    return found


def test_every_array_in_the_document_has_items() -> None:
    assert _arrays_without_items(load_openapi()) == []


def test_every_operation_has_a_declared_tag_and_its_operation_id() -> None:
    document = load_openapi()
    declared = {tag["name"] for tag in document["tags"]}
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert {op["operationId"] for op in operations} >= OPERATION_IDS
    for operation in operations:
        assert operation["tags"] and set(operation["tags"]) <= declared, operation["operationId"]


def test_sweep_serve_advertises_its_own_address_and_no_auth(tmp_path: Path) -> None:
    with ServeProcess(store=tmp_path / "store", workers=1) as server:
        document = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    assert document["servers"] == [{"url": server.url}]
    assert server.url != "http://127.0.0.1:8000"  # an ephemeral port, not the default
    assert "securitySchemes" not in document["components"]


def test_the_deployed_document_names_the_stage_and_requires_sigv4() -> None:
    event = {
        "resource": "/openapi.json",
        "path": "/openapi.json",
        "httpMethod": "GET",
        "headers": {},
        "requestContext": {
            "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
            "stage": "prod",
        },
    }
    response = lambda_parent.handler(event, None)
    assert response["statusCode"] == 200
    document = json.loads(response["body"])
    assert document["servers"] == [
        {"url": "https://abc123.execute-api.eu-central-1.amazonaws.com/prod"}
    ]
    scheme = document["components"]["securitySchemes"]["sigv4"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header"
    assert scheme["name"] == "Authorization"
    assert scheme["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert document["security"] == [{"sigv4": []}]
