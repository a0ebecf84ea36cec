"""The generated pydantic models: names, examples, rejections, package loaders."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from pydantic import BaseModel, RootModel, ValidationError

import serverless_sweep.contracts as contracts
from codegen._common import REPO_ROOT, SchemaFile
from serverless_sweep.contracts import (
    AcceptedResponse,
    DispatchRecord,
    ErrorDetail,
    ErrorResponse,
    FailureOutcome,
    LegacyHashParameters,
    RideHailingParameters,
    RunManifest,
    RunStatus,
    SchemaNotFoundError,
    ShardOutcome,
    ShardPayload,
    SuccessOutcome,
    SweepRequest,
    api_schema_name,
    load_schema,
    schema_names,
    schema_versions,
)

GENERATED = "serverless_sweep.contracts.generated.v1"

# schema name -> (module, class of the top level)
TOP_LEVEL: dict[str, tuple[str, str]] = {
    "sweep_request": ("sweep_request", "SweepRequest"),
    "shard_payload": ("shard_payload", "ShardPayload"),
    "shard_outcome": ("shard_outcome", "ShardOutcome"),
    "accepted_response": ("accepted_response", "AcceptedResponse"),
    "error_response": ("error_response", "ErrorResponse"),
    "run_status": ("run_status", "RunStatus"),
    "run_list": ("run_list", "RunList"),
    "run_manifest": ("run_manifest", "RunManifest"),
    "results_page": ("results_page", "ResultsPage"),
    "models/ride_hailing/parameters": ("ride_hailing_parameters", "RideHailingParameters"),
    "models/legacy_hash/parameters": ("legacy_hash_parameters", "LegacyHashParameters"),
}

CLASSES = {
    "sweep_request": {"SweepRequest", "Sampling", "ParameterRange"},
    "shard_payload": {"ShardPayload"},
    "shard_outcome": {"ShardOutcome", "SuccessOutcome", "FailureOutcome", "OutputMetadata",
                      "ShardSummary", "Metrics", "DetailFile"},
    "accepted_response": {"AcceptedResponse", "DispatchRecord"},
    "error_response": {"ErrorResponse", "ErrorDetail"},
    "run_status": {"RunStatus", "ShardFailure", "RunLedger", "PriceTable"},
    "run_list": {"RunList", "RunSummary"},
    "results_page": {"ResultsPage", "ResultPoint"},
    "run_manifest": {"RunManifest", "ShardRange"},
    "ride_hailing_parameters": {"RideHailingParameters"},
    "legacy_hash_parameters": {"LegacyHashParameters"},
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(CLASSES))
def test_generated_class_names(module: str) -> None:
    loaded = importlib.import_module(f"{GENERATED}.{module}")
    classes = {
        name
        for name, value in vars(loaded).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == loaded.__name__
        and name.isidentifier()
    }
    assert classes == CLASSES[module]


@pytest.mark.parametrize("name", sorted(TOP_LEVEL))
def test_schema_examples_validate_with_the_models(
    name: str, json_schemas: dict[str, dict[str, Any]]
) -> None:
    module, class_name = TOP_LEVEL[name]
    model = getattr(importlib.import_module(f"{GENERATED}.{module}"), class_name)
    for example in json_schemas[name]["examples"]:
        parsed = model.model_validate(example)
        assert json.loads(parsed.model_dump_json(exclude_unset=True)) == example
        assert model.model_validate_json(json.dumps(example)) == parsed


def test_sweep_request_accepts_examples_with_plain_values(
    json_schemas: dict[str, dict[str, Any]],
) -> None:
    request = SweepRequest.model_validate(
        {"run_id": " r ", "dimensions": {"a": [1, 2]}, "failure_injection_shards": [3, 1]}
    )
    assert request.failure_injection_shards == [3, 1]
    assert all(type(s) is int for s in request.failure_injection_shards)
    assert request.max_shards == 1000 and request.seed == 0 and request.model is None
    assert request.tolerated_failure_percentage == 0
    for example in json_schemas["sweep_request"]["examples"]:
        SweepRequest.model_validate(example)


@pytest.mark.parametrize(
    "document",
    [
        {"dimensions": {"a": [1]}},
        {"run_id": "r"},
        {"run_id": "", "dimensions": {"a": [1]}},
        {"run_id": "  ", "dimensions": {"a": [1]}},
        {"run_id": "r", "dimensions": {"a": []}},
        {"run_id": "r", "dimensions": {"": [1]}},
        {"run_id": "r", "dimensions": {"a": [1]}, "shard_count": "four"},
        {"run_id": "r", "dimensions": {"a": [1]}, "shard_count": 2.5},
        {"run_id": "r", "dimensions": {"a": [1]}, "shard_count": 0},
        {"run_id": "r", "dimensions": {"a": [1]}, "seed": 2**63},
        {"run_id": "r", "dimensions": {"a": [1]}, "model": 7},
        {"run_id": "r", "dimensions": {"a": [1]}, "sampling": {"method": "halton"}},
        {"run_id": "r", "dimensions": {"a": [1]}, "failure_injection_shards": [-1]},
        {"run_id": "r", "dimensions": {"a": [1]}, "tolerated_failure_percentage": 100.5},
    ],
)
def test_sweep_request_rejects_bad_documents(document: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SweepRequest.model_validate(document)


def test_sweep_request_keeps_unknown_fields() -> None:
    request = SweepRequest.model_validate({"run_id": "r", "dimensions": {}, "note": "x"})
    assert request.model_dump()["note"] == "x"


def test_shard_outcome_picks_the_branch_by_status() -> None:
    failure = {
        "record_schema": "v1",
        "status": "failure",
        "run_id": "r",
        "shard_id": 1,
        "start_index": 2,
        "end_index": 4,
        "event_time": "2026-11-27T10:00:00+00:00",
        "error_code": "RuntimeError",
        "error_message": "boom",
    }
    outcome = ShardOutcome.model_validate(failure)
    assert isinstance(outcome, RootModel) and isinstance(outcome.root, FailureOutcome)
    with pytest.raises(ValidationError):
        ShardOutcome.model_validate({**failure, "status": "success"})
    with pytest.raises(ValidationError):
        SuccessOutcome.model_validate(failure)


def test_parameter_models_carry_the_defaults_and_bounds() -> None:
    defaults = RideHailingParameters()
    assert defaults.num_riders == 500 and defaults.matching_algorithm_type == "hungarian"
    with pytest.raises(ValidationError):
        RideHailingParameters.model_validate({"unknown": 1})
    with pytest.raises(ValidationError):
        RideHailingParameters.model_validate({"base_speed_kmh": 0})
    assert LegacyHashParameters.model_validate({"anything": [1]}).model_dump() == {"anything": [1]}


def test_descriptions_reach_the_pydantic_json_schema(
    json_schemas: dict[str, dict[str, Any]],
) -> None:
    generated = SweepRequest.model_json_schema()
    for name, prop in json_schemas["sweep_request"]["properties"].items():
        assert generated["properties"][name]["description"] == prop["description"]


def test_response_models_build_and_serialize() -> None:
    accepted = AcceptedResponse(
        run_id="r",
        total_points=2,
        shards_dispatched=1,
        dispatches=[DispatchRecord(shard_id=0, status_code=202)],
        status="dispatch_submitted",
    )
    assert json.loads(accepted.model_dump_json(exclude_none=True))["dispatches"] == [
        {"shard_id": 0, "status_code": 202}
    ]
    error = ErrorResponse(
        error="validation_error",
        message="m",
        details=[ErrorDetail(pointer="/run_id", rule="required", message="m")],
    )
    assert error.model_dump(exclude_none=True)["details"][0]["rule"] == "required"
    assert RunStatus.model_fields["state"].is_required()
    assert RunManifest.model_fields["shards"].is_required()
    assert ShardPayload.model_fields["attempt"].default == 1


# --- package loaders ------------------------------------------------------------------------


def test_load_schema_returns_the_source_documents(schema_files: list[SchemaFile]) -> None:
    assert schema_versions() == ("v1",)
    assert schema_names("v1") == [f.name for f in schema_files]
    for schema_file in schema_files:
        assert load_schema(schema_file.name) == schema_file.document
        assert load_schema(api_schema_name(schema_file.name), "v1") == schema_file.document


def test_load_schema_returns_independent_copies() -> None:
    first = load_schema("sweep_request")
    first["title"] = "changed"
    assert load_schema("sweep_request")["title"] == "SweepRequest"


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("nope", "v1"),
        ("../sweep_request", "v1"),
        ("sweep_request.json", "v1"),
        ("models/../sweep_request", "v1"),
        ("/sweep_request", "v1"),
        ("SweepRequest", "v1"),
        ("sweep_request", "v2"),
        ("sweep_request", "../v1"),
    ],
)
def test_unknown_names_raise_schema_not_found(name: str, version: str) -> None:
    with pytest.raises(SchemaNotFoundError):
        load_schema(name, version)
    assert issubclass(SchemaNotFoundError, LookupError)


def test_package_exports() -> None:
    for name in contracts.__all__:
        assert hasattr(contracts, name), name
    assert contracts.CONTRACT_VERSION == "1.0"
    packaged = REPO_ROOT / "src/serverless_sweep/contracts/schemas/v1/sweep_request.json"
    assert packaged.is_file()
