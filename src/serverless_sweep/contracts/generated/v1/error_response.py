# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/error_response.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    """
    One violation.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    pointer: Annotated[str, Field(examples=["/dimensions/num_drivers"])]
    """
    JSON pointer (RFC 6901) to the offending value in the request; '' for the whole document.
    """
    rule: Annotated[str, Field(examples=["required", "type", "minimum", "max_points"])]
    """
    The rule broken, a stable identifier.
    """
    message: str
    """
    What is wrong, naming the field.
    """


class ErrorResponse(BaseModel):
    """
    Body of every 4xx/5xx answer of the API (400 validation, 404 unknown run, 409 run_id reused with another request, 413 body too large, 500 misconfiguration or internal error, 502 dispatch failure). error and message keep the old runtime's wording; details are additions.
    """

    model_config = ConfigDict(
        use_attribute_docstrings=True,
    )
    error: Annotated[
        Literal[
            "validation_error",
            "not_found",
            "conflict",
            "payload_too_large",
            "misconfiguration",
            "dispatch_error",
            "internal_error",
        ],
        Field(examples=["validation_error"]),
    ]
    """
    Error class.
    """
    message: Annotated[str, Field(examples=["Missing required field 'run_id'"])]
    """
    Human-readable message; for validation errors the first violation, worded as the old runtime did.
    """
    details: list[ErrorDetail] | None = None
    """
    Every violation found, machine readable.
    """
    contract_version: Literal["1.0"] | None = None
    """
    Contract version of this response.
    """
    run_id: str | None = None
    """
    Run the error is about, when known.
    """
