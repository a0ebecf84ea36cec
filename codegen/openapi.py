"""OpenAPI 3.1 document of the HTTP API (contracts/generated/openapi.json)."""

from __future__ import annotations

import copy
from typing import Any

from codegen._common import (
    GENERATED_DIR,
    SchemaFile,
    by_name,
    dump_json,
    with_notice,
)
from codegen.constants import contract_version

SERVER_URL = "http://127.0.0.1:8000"
"""`sweep serve`'s default address; the serving side replaces `servers` with the URL the
request came in on (contracts.openapi_document)."""
JSON = "application/json"

RUNS_TAG = "runs"
CONTRACTS_TAG = "contracts"
TAGS: list[dict[str, str]] = [
    {"name": RUNS_TAG, "description": "Submit sweeps, list them, read their state, redrive them."},
    {"name": CONTRACTS_TAG, "description": "The published contracts: this document, the schemas."},
]


def api_schema_name(name: str) -> str:
    """URL form of a schema name: path segments joined by dots (models.ride_hailing.parameters)."""
    return name.replace("/", ".")


def _rewrite_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith("#/$defs/"):
                    raise ValueError(f"unsupported $ref {value!r}")
                out[key] = prefix + value.removeprefix("#/$defs/")
            elif key == "$defs":
                raise ValueError("nested $defs are not supported")
            else:
                out[key] = _rewrite_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, prefix) for v in node]
    return node


def components(files: list[SchemaFile]) -> dict[str, Any]:
    """components.schemas: every JSON Schema under its title, its $defs hoisted beside it.

    `$schema` and `$id` are dropped (an `$id` would make `#/...` references inside the component
    resolve against the schema's own URI instead of this document); `#/$defs/X` becomes
    `#/components/schemas/X`.
    """
    found: dict[str, tuple[str, Any]] = {}

    def add(name: str, schema: Any, source: str) -> None:
        if name in found:
            raise ValueError(f"component {name!r} defined by {found[name][0]} and {source}")
        found[name] = (source, schema)

    prefix = "#/components/schemas/"
    for schema_file in files:
        if not schema_file.is_json_schema:
            continue
        document = copy.deepcopy(schema_file.document)
        definitions = document.pop("$defs", {})
        for key in ("$schema", "$id"):
            document.pop(key, None)
        add(document["title"], _rewrite_refs(document, prefix), schema_file.source)
        for def_name, definition in definitions.items():
            add(def_name, _rewrite_refs(definition, prefix), schema_file.source)
    return {name: found[name][1] for name in sorted(found)}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _response(description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def _error(description: str) -> dict[str, Any]:
    return _response(description, _ref("ErrorResponse"))


RUN_ID_PARAMETER: dict[str, Any] = {
    "name": "run_id",
    "in": "path",
    "required": True,
    "description": (
        "The run id as accepted (whitespace-stripped). Percent-encode it as a path segment: "
        "'/' is %2F, so 'surge/berlin=v2' is 'surge%2Fberlin%3Dv2'."
    ),
    "schema": {"type": "string", "minLength": 1},
    "examples": {"plain": {"value": "pricing-2026-11"}},
}

LIST_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Runs per page, 1 to 100 (default 20).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
    {
        "name": "next_token",
        "in": "query",
        "required": False,
        "description": (
            "The next_token of the previous page (run_date~accepted_at~run_id of its last "
            "run): the page holds the runs older than that."
        ),
        "schema": {"type": "string", "minLength": 1},
    },
]

LINKS: dict[str, Any] = {
    "GetRunStatus": {
        "operationId": "getRunStatus",
        "parameters": {"run_id": "$response.body#/run_id"},
        "description": "The run_id in the response names the run whose state GET returns.",
    },
    "RedriveRun": {
        "operationId": "redriveRun",
        "parameters": {"run_id": "$response.body#/run_id"},
        "description": "The run_id in the response names the run to redrive.",
    },
}

DESCRIPTION = """\
Schema-first parameter sweeps: POST a SweepRequest, poll the run's status, redrive failed shards.

Every error answer (4xx/5xx) is an ErrorResponse. A 400 also comes from API Gateway's request \
validation of the body against the SweepRequest model; the deployed gateway response template \
maps it to the same shape: {"error": "validation_error", "message": "Invalid request body: ..."}.

Schema names in GET /schemas/{version}/{name} are the schema's path under schemas/<version>/ \
without .json, with '/' replaced by '.': sweep_request, models.ride_hailing.parameters, \
datasets.shard_metrics. (A '/' inside a path parameter would need %2F, which proxies and API \
Gateway decode inconsistently, so the dotted form is the only one.)

run_id path parameters are percent-encoded path segments.

Generated from schemas/@VERSION@; the JSON Schemas are components.schemas under their titles."""


def build(files: list[SchemaFile], version: str) -> dict[str, Any]:
    schemas = by_name(files)
    request_examples = schemas["sweep_request"].document.get("examples", [])
    names = [api_schema_name(f.name) for f in files]
    post_links = {"links": copy.deepcopy(LINKS)}
    paths: dict[str, Any] = {
        "/sweep-run": {
            "get": {
                "tags": [RUNS_TAG],
                "operationId": "listRuns",
                "summary": "List runs, newest first",
                "description": (
                    "One page of the runs in the store, newest first (run_date, acceptance "
                    "time, run_id), each with its state and shard counts. Pass the page's "
                    "next_token to get the next, older page; a run accepted in between never "
                    "shifts the pages that follow."
                ),
                "parameters": copy.deepcopy(LIST_PARAMETERS),
                "responses": {
                    "200": _response("A page of runs.", _ref("RunList")),
                    "400": _error(
                        "A limit that is not an integer from 1 to 100, or an empty next_token "
                        "(error validation_error)."
                    ),
                    "500": _error(
                        "Misconfiguration or internal error (error misconfiguration or "
                        "internal_error)."
                    ),
                },
            },
            "post": {
                "tags": [RUNS_TAG],
                "operationId": "submitSweepRun",
                "summary": "Submit a sweep",
                "description": (
                    "Validate the request, record the run and dispatch one async invocation "
                    "per shard. The same run_id with the same normalized request answers 200 "
                    "already_submitted without dispatching again; with another request, 409."
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {
                            "schema": _ref("SweepRequest"),
                            "examples": {
                                f"example{i + 1}": {"value": example}
                                for i, example in enumerate(request_examples)
                            },
                        }
                    },
                },
                "responses": {
                    "200": _response(
                        "Already submitted: the run exists with the same fingerprint; nothing "
                        "was dispatched (status already_submitted).",
                        _ref("AcceptedResponse"),
                        **copy.deepcopy(post_links),
                    ),
                    "202": _response(
                        "Accepted: the shards were dispatched (status dispatch_submitted).",
                        _ref("AcceptedResponse"),
                        **copy.deepcopy(post_links),
                    ),
                    "400": _error(
                        "Invalid request (error validation_error): not a JSON object, violates "
                        "SweepRequest or the selected model's parameter schema, breaks a limit "
                        "JSON Schema cannot express, or rejected by API Gateway's request "
                        "validation ('Invalid request body: ...')."
                    ),
                    "409": _error(
                        "The run_id was already used by a different request (error conflict)."
                    ),
                    "413": _error("The request body is too large (error payload_too_large)."),
                    "500": _error(
                        "Misconfiguration or internal error (error misconfiguration or "
                        "internal_error)."
                    ),
                    "502": _error("Dispatching the shards failed (error dispatch_error)."),
                },
            },
        },
        "/sweep-run/{run_id}": {
            "get": {
                "tags": [RUNS_TAG],
                "operationId": "getRunStatus",
                "summary": "State of a run",
                "parameters": [copy.deepcopy(RUN_ID_PARAMETER)],
                "responses": {
                    "200": _response(
                        "The run's state, derived from its manifest and outcome records.",
                        _ref("RunStatus"),
                    ),
                    "404": _error("No run with this run_id (error not_found)."),
                    "500": _error("Internal error (error internal_error)."),
                },
            }
        },
        "/sweep-run/{run_id}/redrive": {
            "post": {
                "tags": [RUNS_TAG],
                "operationId": "redriveRun",
                "summary": "Redrive failed and missing shards",
                "description": (
                    "Dispatch again every shard without a success record, with the next "
                    "attempt number (status redrive_submitted)."
                ),
                "parameters": [copy.deepcopy(RUN_ID_PARAMETER)],
                "responses": {
                    "200": _response(
                        "Nothing to redrive: every shard already succeeded (shards_dispatched 0).",
                        _ref("AcceptedResponse"),
                    ),
                    "202": _response(
                        "The failed or missing shards were dispatched again.",
                        _ref("AcceptedResponse"),
                    ),
                    "404": _error("No run with this run_id (error not_found)."),
                    "409": _error("The run cannot be redriven now (error conflict)."),
                    "500": _error(
                        "Misconfiguration or internal error (error misconfiguration or "
                        "internal_error)."
                    ),
                    "502": _error("Dispatching the shards failed (error dispatch_error)."),
                },
            }
        },
        "/sweep-run/{run_id}/results": {
            "get": {
                "tags": [RUNS_TAG],
                "operationId": "getRunResults",
                "summary": "A page of a compacted run's results",
                "description": (
                    "Each point's parameters and metrics, once the run is compacted (its last "
                    "shard committed). Follow next_page_token (as page_token) for the next page; "
                    "a page_token carries the order and fields of the first request."
                ),
                "parameters": [
                    copy.deepcopy(RUN_ID_PARAMETER),
                    {
                        "name": "order_by",
                        "in": "query",
                        "required": False,
                        "description": (
                            "Column to order by (point_index, shard_id or a column of the "
                            "model); prefix '-' for descending. Default point_index."
                        ),
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "fields",
                        "in": "query",
                        "required": False,
                        "description": "Comma-separated parameter and metric columns to return.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "description": "Most points per page (default 100).",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                    {
                        "name": "page_token",
                        "in": "query",
                        "required": False,
                        "description": "The next_page_token of the page before.",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": _response("A page of the run's points.", _ref("ResultsPage")),
                    "400": _error(
                        "A query parameter is invalid: the message names it (error "
                        "validation_error)."
                    ),
                    "404": _error("No run with this run_id (error not_found)."),
                    "409": _error("The run is not compacted yet (error conflict)."),
                    "500": _error("Internal error (error internal_error)."),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "tags": [CONTRACTS_TAG],
                "operationId": "getOpenApi",
                "summary": "This OpenAPI document",
                "responses": {
                    "200": _response("The OpenAPI 3.1 document.", {"type": "object"}),
                },
            }
        },
        "/schemas/{version}/{name}": {
            "get": {
                "tags": [CONTRACTS_TAG],
                "operationId": "getSchema",
                "summary": "A contract document (JSON Schema or column spec)",
                "parameters": [
                    {
                        "name": "version",
                        "in": "path",
                        "required": True,
                        "description": "Schema version.",
                        "schema": {"type": "string", "enum": [version]},
                    },
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "description": (
                            "Path of the document under schemas/<version>/ without .json, "
                            "'/' replaced by '.' (models.ride_hailing.parameters)."
                        ),
                        "schema": {"type": "string", "enum": names},
                    },
                ],
                "responses": {
                    "200": _response("The document, as in schemas/<version>/.", {"type": "object"}),
                    "404": _error("No such version or document (error not_found)."),
                    "500": _error("Internal error (error internal_error)."),
                },
            }
        },
    }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "serverless-sweep API",
            "version": contract_version(files),
            "description": DESCRIPTION.replace("@VERSION@", version),
        },
        "servers": [{"url": SERVER_URL}],
        "tags": copy.deepcopy(TAGS),
        "paths": paths,
        "components": {"schemas": components(files)},
    }
    return with_notice(document, f"schemas/{version}/*.json")


def generate(files: list[SchemaFile], version: str) -> dict[str, str]:
    return {f"{GENERATED_DIR}/openapi.json": dump_json(build(files, version))}
