"""The OpenAPI 3.1 document: valid, complete, and consistent with the JSON Schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from codegen._common import GENERATED_KEY, REPO_ROOT
from serverless_sweep.contracts import load_openapi, schema_names

OPENAPI_PATH = REPO_ROOT / "src/serverless_sweep/contracts/generated/openapi.json"
DOC_URI = "urn:serverless-sweep:openapi"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    with OPENAPI_PATH.open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def component_validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    """Validates against components.schemas[name], resolving refs inside the document."""
    registry: Registry[Any] = Registry().with_resource(
        DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}#/components/schemas/{name}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1.")
    validate(doc)


def test_info_servers_and_notice(doc: dict[str, Any]) -> None:
    assert doc["info"]["version"] == "1.0"
    assert doc["servers"] == [{"url": "http://127.0.0.1:8000"}]
    assert "DO NOT EDIT" in doc[GENERATED_KEY]
    assert "models.ride_hailing.parameters" in doc["info"]["description"]
    assert "Invalid request body" in doc["info"]["description"]


def test_routes_and_status_codes(doc: dict[str, Any]) -> None:
    found = {(path, method): sorted(op["responses"]) for path, method, op in operations(doc)}
    assert found == {
        ("/sweep-run", "get"): ["200", "400", "500"],
        ("/sweep-run", "post"): ["200", "202", "400", "409", "413", "500", "502"],
        ("/sweep-run/{run_id}", "get"): ["200", "404", "500"],
        ("/sweep-run/{run_id}/results", "get"): ["200", "400", "404", "409", "500"],
        ("/sweep-run/{run_id}/redrive", "post"): ["200", "202", "404", "409", "500", "502"],
        ("/openapi.json", "get"): ["200"],
        ("/schemas/{version}/{name}", "get"): ["200", "404", "500"],
    }


def _schema_of(response: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def test_response_bodies(doc: dict[str, Any]) -> None:
    ref = "#/components/schemas/{}".format
    for _, _, op in operations(doc):
        for code, response in op["responses"].items():
            if int(code) >= 400:
                assert _schema_of(response) == {"$ref": ref("ErrorResponse")}
    post = doc["paths"]["/sweep-run"]["post"]
    assert post["requestBody"]["required"] is True
    assert _schema_of(post["requestBody"]) == {"$ref": ref("SweepRequest")}
    for code in ("200", "202"):
        assert _schema_of(post["responses"][code]) == {"$ref": ref("AcceptedResponse")}
    status = doc["paths"]["/sweep-run/{run_id}"]["get"]["responses"]["200"]
    assert _schema_of(status) == {"$ref": ref("RunStatus")}
    redrive = doc["paths"]["/sweep-run/{run_id}/redrive"]["post"]["responses"]["202"]
    assert _schema_of(redrive) == {"$ref": ref("AcceptedResponse")}


def test_links_point_at_existing_operations_and_parameters(doc: dict[str, Any]) -> None:
    by_id = {op["operationId"]: (path, op) for path, _, op in operations(doc)}
    assert len(by_id) == len(list(operations(doc))), "operationIds are unique"
    post = doc["paths"]["/sweep-run"]["post"]
    for code in ("200", "202"):
        links = post["responses"][code]["links"]
        assert {link["operationId"] for link in links.values()} == {"getRunStatus", "redriveRun"}
        for link in links.values():
            path, target = by_id[link["operationId"]]
            names = {p["name"] for p in target["parameters"] if p["in"] == "path"}
            assert set(link["parameters"]) == names == {"run_id"}
            assert link["parameters"]["run_id"] == "$response.body#/run_id"
            assert "{run_id}" in path


def test_schema_route_names_are_the_dotted_schema_names(doc: dict[str, Any]) -> None:
    params = {p["name"]: p for p in doc["paths"]["/schemas/{version}/{name}"]["get"]["parameters"]}
    assert params["version"]["schema"]["enum"] == ["v1"]
    assert params["name"]["schema"]["enum"] == [n.replace("/", ".") for n in schema_names("v1")]
    assert all("/" not in name for name in params["name"]["schema"]["enum"])


def test_components_are_the_json_schemas(
    doc: dict[str, Any], json_schemas: dict[str, dict[str, Any]]
) -> None:
    components = doc["components"]["schemas"]
    titles = {schema["title"] for schema in json_schemas.values()}
    defs = {name for schema in json_schemas.values() for name in schema.get("$defs", {})}
    assert set(components) == titles | defs
    assert {"RideHailingParameters", "LegacyHashParameters", "SweepRequest"} <= set(components)
    assert list(components) == sorted(components)
    text = json.dumps(components)
    assert "#/$defs/" not in text
    for component in components.values():
        assert "$id" not in component and "$schema" not in component


def test_every_ref_resolves(doc: dict[str, Any]) -> None:
    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = list(refs(doc))
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in doc["components"]["schemas"]


def test_component_examples_validate(doc: dict[str, Any]) -> None:
    checked = 0
    for name, component in doc["components"]["schemas"].items():
        validator = component_validator(doc, name)
        for example in component.get("examples", []):
            assert list(validator.iter_errors(example)) == [], name
            checked += 1
    assert checked >= 10


def test_request_examples_and_error_shapes_validate(doc: dict[str, Any]) -> None:
    media = doc["paths"]["/sweep-run"]["post"]["requestBody"]["content"]["application/json"]
    request = component_validator(doc, "SweepRequest")
    assert media["examples"]
    for example in media["examples"].values():
        assert list(request.iter_errors(example["value"])) == []
    errors = component_validator(doc, "ErrorResponse")
    gateway_400 = {"error": "validation_error", "message": "Invalid request body: [...]"}
    assert list(errors.iter_errors(gateway_400)) == []
    assert list(errors.iter_errors({"error": "teapot", "message": "x"})) != []


def test_shard_outcome_component_resolves_hoisted_defs(doc: dict[str, Any]) -> None:
    outcome = component_validator(doc, "ShardOutcome")
    success = {
        "record_schema": "v1",
        "status": "success",
        "run_id": "r",
        "shard_id": 0,
        "start_index": 0,
        "end_index": 2,
        "event_time": "2026-11-27T10:00:00+00:00",
        "output_metadata": {
            "format": "parquet-compatible-json",
            "points_processed": 2,
            "result_key": "k",
            "summary": {
                "run_id": "r",
                "shard_id": 0,
                "start_index": 0,
                "end_index": 2,
                "metrics": {"points_processed": 2},
            },
        },
    }
    assert list(outcome.iter_errors(success)) == []
    broken = json.loads(json.dumps(success))
    del broken["output_metadata"]["summary"]["metrics"]
    assert list(outcome.iter_errors(broken)) != []


def test_load_openapi_returns_the_document_without_the_notice(doc: dict[str, Any]) -> None:
    loaded = load_openapi()
    assert GENERATED_KEY not in loaded
    assert loaded == {k: v for k, v in doc.items() if k != GENERATED_KEY}
