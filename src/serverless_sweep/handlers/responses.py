"""The contract bodies the API answers with: ErrorResponse, and generated models as JSON data.

The HTTP edge (`entrypoints/http`) puts them into responses; handlers never build a response.
Nothing here imports pydantic at module level: error bodies are answered on the Lambda
parent's cold path, so they go through the generated checker first (`contract_docs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

# CONTRACT_VERSION is re-exported: the handlers take it from here.
from serverless_sweep.contracts import CONTRACT_VERSION as CONTRACT_VERSION
from serverless_sweep.core.errors import Violation
from serverless_sweep.handlers.contract_docs import contract_document

if TYPE_CHECKING:
    from pydantic import BaseModel


def error_body(
    error: str,
    message: str,
    details: Sequence[Violation] = (),
    *,
    run_id: str | None = None,
) -> dict[str, Any]:
    """An ErrorResponse body: the old `error`/`message` first, additions after."""

    def model() -> BaseModel:  # the pydantic build, for what the generated checker is unsure of
        from serverless_sweep.contracts import ErrorDetail, ErrorResponse

        return ErrorResponse(
            error=error,
            message=message,
            details=[ErrorDetail(**d.as_dict()) for d in details] or None,
            contract_version=CONTRACT_VERSION,
            run_id=run_id,
        )

    document = {
        "error": error,
        "message": message,
        "details": [d.as_dict() for d in details] or None,
        "contract_version": CONTRACT_VERSION,
        "run_id": run_id,
    }
    return contract_document("ErrorResponse", document, model)


def contract_body(document: BaseModel) -> dict[str, Any]:
    """A generated contract model as a JSON body: schema field order, absent fields left out."""
    return document.model_dump(mode="json", exclude_none=True)
