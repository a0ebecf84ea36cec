"""The v1 contracts: the JSON Schemas (as packaged copies), their generated models, OpenAPI.

Everything under `contracts/generated/` and `contracts/schemas/` is written by `make codegen`
from `schemas/` and never edited by hand; this module is the hand-written entry point.

Schema names are paths under `schemas/<version>/` without `.json`, "/"-separated
(`sweep_request`, `models/ride_hailing/parameters`, `datasets/shard_metrics`). The HTTP API's
`GET /schemas/{version}/{name}` uses the dotted form (`models.ride_hailing.parameters`);
`load_schema` accepts both, and `api_schema_name` converts.

Arrow schemas live in `serverless_sweep.contracts.generated.v1.arrow_schemas` (not imported here,
so importing the contracts does not import pyarrow).

The models are imported lazily (PEP 562 `__getattr__`, through the generated index
`contracts.generated.v1.MODEL_MODULES`): `from serverless_sweep.contracts import SweepRequest`
imports and builds only sweep_request's models. Building every model of every schema at import
was a fifth of the Lambda parent's cold start (issue 8). Any generated model is reachable here,
a new schema's included; the names below are the ones typed for mypy.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

from serverless_sweep.contracts.generated.v1.constants import CONTRACT_VERSION, MODELS

if TYPE_CHECKING:
    from serverless_sweep.contracts.generated.v1.accepted_response import (
        AcceptedResponse,
        DispatchRecord,
    )
    from serverless_sweep.contracts.generated.v1.error_response import ErrorDetail, ErrorResponse
    from serverless_sweep.contracts.generated.v1.legacy_hash_parameters import LegacyHashParameters
    from serverless_sweep.contracts.generated.v1.ride_hailing_parameters import (
        RideHailingParameters,
    )
    from serverless_sweep.contracts.generated.v1.run_list import RunList, RunSummary
    from serverless_sweep.contracts.generated.v1.run_manifest import RunManifest, ShardRange
    from serverless_sweep.contracts.generated.v1.run_status import RunStatus, ShardFailure
    from serverless_sweep.contracts.generated.v1.shard_outcome import (
        FailureOutcome,
        OutputMetadata,
        ShardOutcome,
        ShardSummary,
        SuccessOutcome,
    )
    from serverless_sweep.contracts.generated.v1.shard_payload import ShardPayload
    from serverless_sweep.contracts.generated.v1.sweep_request import SweepRequest

__all__ = [
    "CONTRACT_VERSION",
    "DEFAULT_VERSION",
    "GENERATED_KEY",
    "MODELS",
    "AcceptedResponse",
    "DispatchRecord",
    "ErrorDetail",
    "ErrorResponse",
    "FailureOutcome",
    "LegacyHashParameters",
    "OutputMetadata",
    "RideHailingParameters",
    "RunList",
    "RunManifest",
    "RunStatus",
    "RunSummary",
    "SchemaNotFoundError",
    "ShardFailure",
    "ShardOutcome",
    "ShardPayload",
    "ShardRange",
    "ShardSummary",
    "SuccessOutcome",
    "SweepRequest",
    "api_schema_name",
    "load_apigateway_model",
    "load_openapi",
    "load_schema",
    "openapi_document",
    "schema_names",
    "schema_versions",
]

DEFAULT_VERSION = "v1"

# Top-level key holding the do-not-edit notice in the generated JSON files; the loaders drop it.
GENERATED_KEY = "x-generated"

_NAME = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$")
_VERSION = re.compile(r"^v[0-9]+$")


def __getattr__(name: str) -> Any:
    """A generated model, imported (with only its own schema's module) on first access."""
    from serverless_sweep.contracts.generated import v1

    if name not in v1.MODEL_MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(v1, name)
    globals()[name] = value
    return value


class SchemaNotFoundError(LookupError):
    """No such schema version or schema name (the API answers 404 not_found)."""


def _package() -> Traversable:
    return resources.files(__name__)


def _read_json(resource: Traversable) -> dict[str, Any]:
    document = json.loads(resource.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{resource.name}: expected a JSON object")
    document.pop(GENERATED_KEY, None)
    return document


def _walk(directory: Traversable, prefix: str) -> list[str]:
    names: list[str] = []
    for entry in directory.iterdir():
        if entry.is_dir():
            names += _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".json"):
            names.append(prefix + entry.name.removesuffix(".json"))
    return names


@cache
def schema_versions() -> tuple[str, ...]:
    """Packaged schema versions, sorted ("v1", ...)."""
    root = _package() / "schemas"
    return tuple(sorted(e.name for e in root.iterdir() if e.is_dir() and _VERSION.match(e.name)))


@cache
def _names(version: str) -> tuple[str, ...]:
    if version not in schema_versions():
        raise SchemaNotFoundError(f"unknown schema version {version!r}")
    return tuple(sorted(_walk(_package() / "schemas" / version, "")))


def schema_names(version: str = DEFAULT_VERSION) -> list[str]:
    """Every document of a version ("/"-separated names, sorted), column specs included."""
    return list(_names(version))


def api_schema_name(name: str) -> str:
    """The dotted name used in GET /schemas/{version}/{name}: models.ride_hailing.parameters."""
    return name.replace("/", ".")


@cache
def _schema(name: str, version: str) -> dict[str, Any]:
    path = name.replace(".", "/")
    if not _NAME.match(path) or path not in _names(version):
        raise SchemaNotFoundError(f"no schema {name!r} in version {version!r}")
    resource = _package() / "schemas" / version
    for part in path.split("/")[:-1]:
        resource = resource / part
    return _read_json(resource / f"{path.rsplit('/', 1)[-1]}.json")


def load_schema(name: str, version: str = DEFAULT_VERSION) -> dict[str, Any]:
    """A document of schemas/<version>/ as written there (a fresh copy, safe to mutate).

    name: "sweep_request", "models/ride_hailing/parameters" or the dotted API form
    "models.ride_hailing.parameters". Raises SchemaNotFoundError for an unknown version or name.
    """
    return copy.deepcopy(_schema(name, version))


@cache
def _openapi() -> dict[str, Any]:
    return _read_json(_package() / "generated" / "openapi.json")


def load_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the HTTP API (a fresh copy)."""
    return copy.deepcopy(_openapi())


SIGV4_SCHEME = "sigv4"
SIGV4_SECURITY_SCHEME: dict[str, Any] = {
    "type": "apiKey",
    "name": "Authorization",
    "in": "header",
    "x-amazon-apigateway-authtype": "awsSigv4",
    "description": (
        "AWS Signature Version 4 (IAM authorization of the deployed API Gateway): sign every "
        "request for service execute-api with credentials from the standard AWS chain; "
        "serverless_sweep.client.SweepClient(url, auth='sigv4') does it."
    ),
}
"""API Gateway's convention for IAM (SigV4) authorization in an OpenAPI document."""


def openapi_document(server_url: str | None = None, *, sigv4: bool = False) -> dict[str, Any]:
    """The OpenAPI document as served: `servers` naming the URL the client used, and, for the
    deployed API (IAM auth), a SigV4 security scheme required by every operation.

    The generated file names `sweep serve`'s default address; a client generator run against
    `sweep serve --port 8012` or a deployed stage must see that address instead, and must know
    that the deployed API wants signed requests.
    """
    document = load_openapi()
    if server_url:
        document["servers"] = [{"url": server_url.rstrip("/")}]
    if sigv4:
        document["components"]["securitySchemes"] = {
            SIGV4_SCHEME: copy.deepcopy(SIGV4_SECURITY_SCHEME)
        }
        document["security"] = [{SIGV4_SCHEME: []}]
    return document


@cache
def _apigateway_model(name: str) -> dict[str, Any]:
    directory = _package() / "generated" / "apigateway"
    available = sorted(
        e.name.removesuffix(".json") for e in directory.iterdir() if e.name.endswith(".json")
    )
    if name not in available:
        raise SchemaNotFoundError(f"no API Gateway model {name!r} (have {available})")
    return _read_json(directory / f"{name}.json")


def load_apigateway_model(name: str) -> dict[str, Any]:
    """An API Gateway REST request model (JSON Schema draft-04), e.g. "sweep_request"."""
    return copy.deepcopy(_apigateway_model(name))
