"""API Gateway proxy responses and the error bodies every route shares.

Bodies are `json.dumps` default text (the old runtime's style, which replay compares byte for
byte) and follow the generated ErrorResponse / AcceptedResponse contracts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serverless_sweep.core.errors import ValidationError, Violation
from serverless_sweep.core.jsonio import dumps_response_body

CONTRACT_VERSION = "1.0"
JSON_HEADERS = {"Content-Type": "application/json"}


def proxy_response(status_code: int, body: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway Lambda-proxy response (REST v1 and HTTP API v2 accept the same shape)."""
    return {
        "statusCode": status_code,
        "headers": dict(JSON_HEADERS),
        "body": dumps_response_body(body),
    }


def error_body(
    error: str,
    message: str,
    details: Sequence[Violation] = (),
    *,
    run_id: str | None = None,
) -> dict[str, Any]:
    """An ErrorResponse body: the old `error`/`message` first, additions after."""
    body: dict[str, Any] = {"error": error, "message": message}
    if details:
        body["details"] = [d.as_dict() for d in details]
    body["contract_version"] = CONTRACT_VERSION
    if run_id is not None:
        body["run_id"] = run_id
    return body


def error_response(
    status_code: int,
    error: str,
    message: str,
    details: Sequence[Violation] = (),
    *,
    run_id: str | None = None,
) -> dict[str, Any]:
    return proxy_response(status_code, error_body(error, message, details, run_id=run_id))


def validation_error_response(exc: ValidationError) -> dict[str, Any]:
    return error_response(400, "validation_error", exc.message, exc.details)
