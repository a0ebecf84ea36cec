"""The API's one exception -> response mapping.

Route functions (and the handlers under them) raise; this table turns what they raise into the
documented ErrorResponse answer, so every edge (and the CLI, which prints the same problem)
answers a given failure with the same status and body. Modelled on Powertools'
`exception_handler`: a handler per exception type, the most specific class in the exception's
MRO wins, and an exception no handler knows escapes to the edge (which answers it with its own
500; see `routes.resolve`).

| exception | status | error |
|---|---|---|
| `core.errors.ValidationError` | 400 | `validation_error` (message + every violation) |
| `handlers.api_results.NotFound` | 404 | `not_found` |
| `handlers.api_results.Conflict` | 409 | `conflict` |
| `handlers.api_results.Misconfigured` | 500 | `misconfiguration` |
| `handlers.api_results.InternalFailure` | 500 | `internal_error` |
| `handlers.api_results.DispatchNotStarted` | 502 | `dispatch_error` |
| `handlers.ports.StoreNotConfigured` | 500 | `misconfiguration` |
| `handlers.ports.StoreError` (and `CorruptRecord`) | 500 | `internal_error` ("store failed") |

A refusal names the run it carries; a store failure names the run of the request's path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from serverless_sweep.core.errors import ValidationError, Violation
from serverless_sweep.entrypoints.http.routes import Request, Response
from serverless_sweep.handlers.api_results import (
    Conflict,
    DispatchNotStarted,
    InternalFailure,
    Misconfigured,
    NotFound,
    Refusal,
)
from serverless_sweep.handlers.ports import StoreError, StoreNotConfigured
from serverless_sweep.handlers.responses import error_body

__all__ = [
    "ERRORS",
    "ErrorMap",
    "Problem",
    "error",
    "internal_error",
    "problem_for",
    "response_for",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """A failure as the API states it: status, ErrorResponse code, message, details, run."""

    status: int
    code: str
    message: str
    details: tuple[Violation, ...] = ()
    run_id: str | None = None

    def body(self) -> dict[str, Any]:
        """The ErrorResponse document (schemas/v1/error_response.json)."""
        return error_body(self.code, self.message, self.details, run_id=self.run_id)

    def response(self) -> Response:
        return Response.json(self.status, self.body())


E = TypeVar("E", bound=BaseException)
ExceptionHandler = Callable[[E, Request], Problem]


class ErrorMap:
    """Exception type -> the function that states it as a Problem."""

    def __init__(self) -> None:
        self._handlers: dict[type[BaseException], ExceptionHandler[Any]] = {}

    def handler(self, exc_type: type[E]) -> Callable[[ExceptionHandler[E]], ExceptionHandler[E]]:
        """Decorator: answer exceptions of `exc_type` (and subclasses without their own)."""

        def register(function: ExceptionHandler[E]) -> ExceptionHandler[E]:
            self._handlers[exc_type] = function
            return function

        return register

    def problem_for(self, exc: BaseException, request: Request) -> Problem | None:
        for kind in type(exc).__mro__:
            function = self._handlers.get(kind)
            if function is not None:
                problem: Problem = function(exc, request)
                return problem
        return None


ERRORS: Final = ErrorMap()
"""The API's error mapping."""


def response_for(exc: BaseException, request: Request) -> Response | None:
    """The documented answer to `exc`, None when the API has no mapping for it."""
    problem = ERRORS.problem_for(exc, request)
    return None if problem is None else problem.response()


def problem_for(exc: BaseException, *, run_id: str | None = None) -> Problem | None:
    """How the API states `exc` for a request about `run_id` (callers without a Request: the
    CLI prints the very message the API would answer)."""
    params = {"run_id": run_id} if run_id is not None else {}
    return ERRORS.problem_for(exc, Request("", "", path_params=params))


def error(
    status: int,
    code: str,
    message: str,
    details: Sequence[Violation] = (),
    *,
    run_id: str | None = None,
) -> Response:
    """An ErrorResponse answer (schemas/v1/error_response.json)."""
    return Problem(status, code, message, tuple(details), run_id).response()


def internal_error(
    request_id: str | None, *, run_id: str | None = None, where: str = "the parent function's log"
) -> Response:
    """The last-resort 500 for an exception nothing maps: the request id, never internals
    (the traceback goes to the log)."""
    message = f"Internal error (request id {request_id}); see {where}"
    return error(500, "internal_error", message, run_id=run_id)


def _path_run_id(request: Request) -> str | None:
    return request.path_params.get("run_id")


@ERRORS.handler(ValidationError)
def _validation(exc: ValidationError, request: Request) -> Problem:
    return Problem(400, "validation_error", exc.message, exc.details)


REFUSAL_STATUS: Final[dict[type[Refusal], int]] = {
    NotFound: 404,
    Conflict: 409,
    Misconfigured: 500,
    InternalFailure: 500,
    DispatchNotStarted: 502,
}


@ERRORS.handler(Refusal)
def _refusal(exc: Refusal, request: Request) -> Problem:
    status = next((REFUSAL_STATUS[k] for k in type(exc).__mro__ if k in REFUSAL_STATUS), 500)
    return Problem(status, exc.code, exc.message, exc.details, exc.run_id)


@ERRORS.handler(StoreNotConfigured)
def _store_not_configured(exc: StoreNotConfigured, request: Request) -> Problem:
    return Problem(500, "misconfiguration", str(exc), run_id=_path_run_id(request))


@ERRORS.handler(StoreError)
def _store_error(exc: StoreError, request: Request) -> Problem:
    return Problem(500, "internal_error", f"store failed: {exc}", run_id=_path_run_id(request))
