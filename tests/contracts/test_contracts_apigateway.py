"""The API Gateway request model (draft-04) and the 2020-12 -> draft-04 conversion."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft4Validator

from codegen._common import GENERATED_KEY, REPO_ROOT
from codegen.apigateway import DRAFT4, to_draft4
from serverless_sweep.contracts import SchemaNotFoundError, load_apigateway_model

MODEL_PATH = REPO_ROOT / "src/serverless_sweep/contracts/generated/apigateway/sweep_request.json"


@pytest.fixture(scope="module")
def model() -> dict[str, Any]:
    with MODEL_PATH.open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


@pytest.fixture(scope="module")
def gateway(model: dict[str, Any]) -> Draft4Validator:
    return Draft4Validator(model)


def test_model_is_a_valid_draft_04_schema(model: dict[str, Any]) -> None:
    assert model["$schema"] == DRAFT4
    Draft4Validator.check_schema(model)
    text = json.dumps(model)
    for keyword in ('"$id"', '"examples"', '"const"', '"propertyNames"', '"$defs"'):
        assert keyword not in text, keyword


def test_loader_drops_the_notice(model: dict[str, Any]) -> None:
    loaded = load_apigateway_model("sweep_request")
    assert GENERATED_KEY in model and GENERATED_KEY not in loaded
    assert loaded == {k: v for k, v in model.items() if k != GENERATED_KEY}
    with pytest.raises(SchemaNotFoundError):
        load_apigateway_model("run_status")


def test_accepts_the_request_examples(
    gateway: Draft4Validator, json_schemas: dict[str, dict[str, Any]]
) -> None:
    schema = json_schemas["sweep_request"]
    examples = list(schema["examples"])
    for prop, sub in schema["properties"].items():
        for value in sub.get("examples", []):
            examples.append({"run_id": "r", "dimensions": {"a": [1]}, prop: value})
    assert len(examples) > 5
    for example in examples:
        assert list(gateway.iter_errors(example)) == [], example


@pytest.mark.parametrize(
    "document",
    [
        {"dimensions": {"a": [1]}},
        {"run_id": "r"},
        {"run_id": "r", "dimensions": {"a": [1]}, "shard_count": "4"},
        {"run_id": "r", "dimensions": {"a": [1]}, "shard_count": 2.5},
        {"run_id": "r", "dimensions": {"a": [1]}, "shard_count": 0},
        {"run_id": "", "dimensions": {"a": [1]}},
        {"run_id": "   ", "dimensions": {"a": [1]}},
        {"run_id": 7, "dimensions": {"a": [1]}},
        {"run_id": "r", "dimensions": {"a": []}},
        {"run_id": "r", "dimensions": {"a": 1}},
        {"run_id": "r", "dimensions": {"a": [1]}, "model": 7},
        {"run_id": "r", "dimensions": {"a": [1]}, "sampling": {"method": "halton"}},
        {"run_id": "r", "dimensions": {"a": [1]}, "ranges": {"x": {"min": 0}}},
        {"run_id": "r", "dimensions": {"a": [1]}, "exclude": [{}]},
        {"run_id": "r", "dimensions": {"a": [1]}, "failure_injection_shards": [-1]},
        {"run_id": "r", "dimensions": {"a": [1]}, "tolerated_failure_percentage": 101},
        [],
    ],
)
def test_rejects_bad_requests(gateway: Draft4Validator, document: Any) -> None:
    assert list(gateway.iter_errors(document)) != []


def test_nulls_and_extra_fields_pass_like_the_2020_12_schema(gateway: Draft4Validator) -> None:
    document = {"run_id": "r", "dimensions": {"a": [1]}, "shard_count": None, "extra": True}
    assert list(gateway.iter_errors(document)) == []


def test_conversion_rules() -> None:
    source = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.test/x.json",
        "examples": [{}],
        "type": "object",
        "properties": {
            "version": {"type": "string", "const": "1.0", "examples": ["1.0"]},
            "speed": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 200},
            "tight": {"type": "number", "minimum": 5, "exclusiveMinimum": 1},
            "upper": {"type": "number", "exclusiveMaximum": 10},
            "ref": {"$ref": "#/$defs/Thing"},
            "examples": {"description": "a property named like a keyword stays"},
        },
        "propertyNames": {"minLength": 1},
        "$defs": {"Thing": {"type": "integer", "const": 3}},
    }
    converted = to_draft4(source)
    assert "$id" not in converted and "examples" not in converted
    assert "propertyNames" not in converted
    props = converted["properties"]
    assert props["version"] == {"type": "string", "enum": ["1.0"]}
    assert props["speed"] == {
        "type": ["number", "null"],
        "maximum": 200,
        "minimum": 0,
        "exclusiveMinimum": True,
    }
    assert props["tight"] == {"type": "number", "minimum": 5}
    assert props["upper"] == {"type": "number", "maximum": 10, "exclusiveMaximum": True}
    assert props["ref"] == {"$ref": "#/definitions/Thing"}
    assert "examples" in props
    assert converted["definitions"] == {"Thing": {"type": "integer", "enum": [3]}}
    Draft4Validator.check_schema({"$schema": DRAFT4, **converted})
    validator = Draft4Validator(converted)
    assert list(validator.iter_errors({"speed": 0})) != []
    assert list(validator.iter_errors({"speed": 0.1, "ref": 3, "upper": 9.9})) == []


def test_constructs_without_a_draft_04_form_fail_loudly() -> None:
    with pytest.raises(ValueError, match="prefixItems"):
        to_draft4({"type": "array", "prefixItems": [{"type": "integer"}]})
