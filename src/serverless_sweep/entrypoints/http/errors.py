"""The API's one exception -> response mapping.

Route functions (and the handlers under them) raise; this table turns what they raise into the
documented ErrorResponse answer, so every edge answers a given failure with the same status
and body. Modelled on Powertools' `exception_handler`: a handler per exception type, the most
specific class in the exception's MRO wins, and an exception no handler knows escapes to the
edge (which answers it with its own 500; see `resolve`).

| exception | status | error |
|---|---|---|
| `core.errors.ValidationError` | 400 | `validation_error` (message + every violation) |
| `handlers.ports.StoreNotConfigured` | 500 | `misconfiguration` |
| `handlers.ports.StoreError` (and `CorruptRecord`) | 500 | `internal_error` ("store failed") |

Errors that concern a run name it (`run_id`: the path's, when the route has one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from serverless_sweep.core.errors import ValidationError, Violation
from serverless_sweep.entrypoints.http.routes import Request, Response
from serverless_sweep.handlers.ports import StoreError, StoreNotConfigured
from serverless_sweep.handlers.responses import error_body

__all__ = ["ERRORS", "ErrorMap", "error", "internal_error", "response_for"]

E = TypeVar("E", bound=BaseException)
ExceptionHandler = Callable[[E, Request], Response]


class ErrorMap:
    """Exception type -> the function that answers it."""

    def __init__(self) -> None:
        self._handlers: dict[type[BaseException], ExceptionHandler[BaseException]] = {}

    def handler(self, exc_type: type[E]) -> Callable[[ExceptionHandler[E]], ExceptionHandler[E]]:
        """Decorator: answer exceptions of `exc_type` (and subclasses without their own)."""

        def register(function: ExceptionHandler[E]) -> ExceptionHandler[E]:
            self._handlers[exc_type] = function  # type: ignore[assignment]
            return function

        return register

    def response_for(self, exc: BaseException, request: Request) -> Response | None:
        for kind in type(exc).__mro__:
            function = self._handlers.get(kind)
            if function is not None:
                return function(exc, request)
        return None


ERRORS: Final = ErrorMap()
"""The API's error mapping."""


def response_for(exc: BaseException, request: Request) -> Response | None:
    """The documented answer to `exc`, None when the API has no mapping for it."""
    return ERRORS.response_for(exc, request)


def error(
    status: int,
    code: str,
    message: str,
    details: Sequence[Violation] = (),
    *,
    run_id: str | None = None,
) -> Response:
    """An ErrorResponse answer (schemas/v1/error_response.json)."""
    return Response.json(status, error_body(code, message, details, run_id=run_id))


def internal_error(
    request_id: str | None, *, run_id: str | None = None, where: str = "the parent function's log"
) -> Response:
    """The last-resort 500 for an exception nothing maps: the request id, never internals
    (the traceback goes to the log)."""
    return error(
        500,
        "internal_error",
        f"Internal error (request id {request_id}); see {where}",
        run_id=run_id,
    )


@ERRORS.handler(ValidationError)
def _validation(exc: ValidationError, request: Request) -> Response:
    return error(400, "validation_error", exc.message, exc.details)


@ERRORS.handler(StoreNotConfigured)
def _store_not_configured(exc: StoreNotConfigured, request: Request) -> Response:
    return error(500, "misconfiguration", str(exc), run_id=request.path_params.get("run_id"))


@ERRORS.handler(StoreError)
def _store_error(exc: StoreError, request: Request) -> Response:
    return error(
        500, "internal_error", f"store failed: {exc}", run_id=request.path_params.get("run_id")
    )
