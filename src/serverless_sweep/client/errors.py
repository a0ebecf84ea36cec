"""The client's exceptions, in httpx's style: one base class, transport vs. status errors.

    SweepError
    ├── RequestInvalid        the request breaks the published schema; nothing was sent
    ├── TransportError        no answer: connection refused or reset, timeout, bad URL
    ├── UnexpectedResponse    an answer that is not the documented contract (not JSON, ...)
    ├── WaitTimeout           `wait` gave up before the run finished (the run goes on)
    └── ApiError              the API answered 4xx/5xx (`status_code`, `error`, `message`)
        ├── BadRequest        400 validation_error (`details` name the fields)
        ├── AccessDenied      401/403: API Gateway refused the SigV4 signature or the caller
        ├── RunNotFound       404 not_found
        ├── Conflict          409 conflict (run_id used by another request)
        ├── PayloadTooLarge   413 payload_too_large
        ├── Throttled         429 (API Gateway stage throttling)
        └── ServerError       5xx (misconfiguration, dispatch_error, internal_error)

Callers catch what they can act on (`RunNotFound`, `Conflict`) and let the rest surface with a
message that already names the status, the error class and what the API said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverless_sweep.contracts import ErrorResponse, RunStatus

__all__ = [
    "AccessDenied",
    "ApiError",
    "BadRequest",
    "Conflict",
    "PayloadTooLarge",
    "RequestInvalid",
    "RunNotFound",
    "ServerError",
    "SweepError",
    "Throttled",
    "TransportError",
    "UnexpectedResponse",
    "Violation",
    "WaitTimeout",
    "error_class_for",
]


class SweepError(Exception):
    """Base class of every error the client raises."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule of a request: JSON pointer, the schema keyword, what is wrong."""

    pointer: str
    rule: str
    message: str


class RequestInvalid(SweepError):
    """The request breaks the published SweepRequest schema; it was not sent.

    `details` lists every violation (the API would answer 400 naming the first one).
    """

    def __init__(self, message: str, details: Sequence[Violation]) -> None:
        super().__init__(message)
        self.details = tuple(details)


class TransportError(SweepError):
    """The API could not be reached or did not answer in time (`__cause__` is httpx's error)."""


class UnexpectedResponse(SweepError):
    """The API answered something that is not its documented contract."""

    def __init__(self, message: str, *, status_code: int, body: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class WaitTimeout(SweepError):
    """`wait` reached its timeout; `status` is the last RunStatus seen (the run goes on)."""

    def __init__(self, message: str, status: RunStatus) -> None:
        super().__init__(message)
        self.status = status


class ApiError(SweepError):
    """The API answered with an error status.

    `error` is the parsed ErrorResponse when the body is one (every answer of the handlers and
    of the gateway's customized responses is); API Gateway's own IAM denials carry only
    `{"message": ...}`, so `error` is None there and `message` holds their text.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error: ErrorResponse | None = None,
        request_id: str | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        kind = error.error if error is not None else "error"
        where = f" ({method} {url})" if method else ""
        super().__init__(f"{status_code} {kind}: {message}{where}")
        self.status_code = status_code
        self.message = message
        self.error = error
        self.request_id = request_id
        self.method = method
        self.url = url

    @property
    def details(self) -> list[Violation]:
        """The violations of a 400 (pointer, rule, message); empty for other errors."""
        if self.error is None or not self.error.details:
            return []
        return [Violation(d.pointer, d.rule, d.message) for d in self.error.details]


class BadRequest(ApiError):
    """400 validation_error."""


class AccessDenied(ApiError):
    """401/403: the gateway refused the request (missing or bad SigV4 signature, IAM policy)."""


class RunNotFound(ApiError):
    """404 not_found: no run with that run_id (or no such route on this API)."""


class Conflict(ApiError):
    """409 conflict: the run_id belongs to another request, or the run cannot be redriven now."""


class PayloadTooLarge(ApiError):
    """413 payload_too_large."""


class Throttled(ApiError):
    """429: the stage's throttling limit; try again later."""


class ServerError(ApiError):
    """5xx: misconfiguration, dispatch_error (502) or internal_error."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: AccessDenied,
    403: AccessDenied,
    404: RunNotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: Throttled,
}


def error_class_for(status_code: int) -> type[ApiError]:
    """The ApiError subclass of an HTTP error status."""
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, ApiError)
