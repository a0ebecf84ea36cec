# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1/error_response.json
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    """
    One violation.
    """

    pointer: Annotated[
        str,
        Field(
            description="JSON pointer (RFC 6901) to the offending value in the request; '' for the whole document.",
            examples=["/dimensions/num_drivers"],
        ),
    ]
    rule: Annotated[
        str,
        Field(
            description="The rule broken, a stable identifier.",
            examples=["required", "type", "minimum", "max_points"],
        ),
    ]
    message: Annotated[str, Field(description="What is wrong, naming the field.")]


class ErrorResponse(BaseModel):
    """
    Body of every 4xx/5xx answer of the API (400 validation, 404 unknown run, 409 run_id reused with another request, 413 body too large, 500 misconfiguration or internal error, 502 dispatch failure). error and message keep the old runtime's wording; details are additions.
    """

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
        Field(description="Error class.", examples=["validation_error"]),
    ]
    message: Annotated[
        str,
        Field(
            description="Human-readable message; for validation errors the first violation, worded as the old runtime did.",
            examples=["Missing required field 'run_id'"],
        ),
    ]
    details: Annotated[
        list[ErrorDetail] | None, Field(description="Every violation found, machine readable.")
    ] = None
    contract_version: Annotated[
        Literal["1.0"] | None, Field(description="Contract version of this response.")
    ] = None
    run_id: Annotated[str | None, Field(description="Run the error is about, when known.")] = None
