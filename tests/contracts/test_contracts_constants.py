"""The contract version and the model list have one home each: generated from the schemas.

Everything else (the core's checks, the handlers' records, the Arrow schemas, the model
registry) takes them from `serverless_sweep.contracts`, so a change of the schemas is the only
change to make, and codegen refuses schemas that disagree with themselves.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from codegen._common import SchemaFile
from codegen.constants import contract_version, model_names
from serverless_sweep import contracts
from serverless_sweep.contracts.generated.v1 import arrow_schemas
from serverless_sweep.core import payload, validation
from serverless_sweep.handlers import responses
from serverless_sweep.models.registry import MODEL_NAMES


def _replace(files: list[SchemaFile], name: str, document: dict[str, Any]) -> list[SchemaFile]:
    return [dataclasses.replace(f, document=document) if f.name == name else f for f in files]


def test_every_layer_uses_the_one_contract_version(schema_files: list[SchemaFile]) -> None:
    assert contract_version(schema_files) == contracts.CONTRACT_VERSION
    assert payload.CONTRACT_VERSION is contracts.CONTRACT_VERSION
    assert responses.CONTRACT_VERSION is contracts.CONTRACT_VERSION


def test_every_layer_uses_the_one_model_list(schema_files: list[SchemaFile]) -> None:
    assert model_names(schema_files) == contracts.MODELS
    assert validation.KNOWN_MODELS is contracts.MODELS
    assert arrow_schemas.MODELS is contracts.MODELS
    # The registry names its factories itself; it must provide exactly the schemas' models.
    assert tuple(MODEL_NAMES) == contracts.MODELS


def test_codegen_refuses_schemas_with_two_contract_versions(
    schema_files: list[SchemaFile],
) -> None:
    manifest = copy.deepcopy(next(f for f in schema_files if f.name == "run_manifest").document)
    manifest["properties"]["contract_version"]["const"] = "2.0"
    with pytest.raises(ValueError, match=r"'2\.0' in schemas/v1/run_manifest\.json"):
        contract_version(_replace(schema_files, "run_manifest", manifest))


def test_codegen_refuses_a_model_enum_without_its_folder(schema_files: list[SchemaFile]) -> None:
    request = copy.deepcopy(next(f for f in schema_files if f.name == "sweep_request").document)
    # The request no longer enumerates models (issue 14: plug-ins), but an enum, if one comes
    # back, must still agree with the folders.
    request["properties"]["model"]["enum"] = [*contracts.MODELS, "queueing"]
    with pytest.raises(ValueError, match="model enum"):
        model_names(_replace(schema_files, "sweep_request", request))
    without_columns = [f for f in schema_files if f.name != "models/legacy_hash/columns"]
    with pytest.raises(ValueError, match=r"needs parameters\.json and columns\.json"):
        model_names(without_columns)
