"""API Gateway proxy responses and the error bodies every route shares.

Bodies are `json.dumps` default text (the old runtime's style, which replay compares byte for
byte) and follow the generated ErrorResponse / AcceptedResponse contracts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

# CONTRACT_VERSION is re-exported: the handlers take it from here.
from serverless_sweep.contracts import CONTRACT_VERSION as CONTRACT_VERSION
from serverless_sweep.contracts import ErrorDetail, ErrorResponse
from serverless_sweep.core.errors import ValidationError, Violation
from serverless_sweep.core.jsonio import dumps_response_body

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
    response = ErrorResponse(
        error=error,
        message=message,
        details=[ErrorDetail(**d.as_dict()) for d in details] or None,
        contract_version=CONTRACT_VERSION,
        run_id=run_id,
    )
    return contract_body(response)


def contract_body(document: BaseModel) -> dict[str, Any]:
    """A generated contract model as a JSON body: schema field order, absent fields left out."""
    return document.model_dump(mode="json", exclude_none=True)


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
