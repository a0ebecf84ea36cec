"""One AWS service endpoint: sign each request, send it on the pool, retry what is transient.

The S3 and Lambda clients (`s3_http.py`, `lambda_http.py`) describe their operations; this
module does what every operation shares, so the retry rules live in one place:

* every attempt is signed afresh (a new timestamp: a request retried minutes later must not be
  refused as expired), with the credentials of the environment as it is now;
* an answer whose status is not one the operation expects becomes `AwsErrorAnswer` (the
  service's error code and message, parsed by the service's own `parse_error`), retried first
  when it is throttling or a transient 5xx;
* a transport failure (refused, reset, timeout) is retried too, then raised as it is, with
  `attempts` set; so is an answer after the last attempt. A caller can tell from `attempts > 1`
  that an earlier attempt may have taken effect (the store's create-if-absent needs that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from serverless_sweep.adapters.aws import _sigv4
from serverless_sweep.adapters.aws._environment import Credentials, credentials_from_env
from serverless_sweep.adapters.aws._http import (
    USER_AGENT,
    ConnectionPool,
    Endpoint,
    Response,
    TransportError,
)
from serverless_sweep.adapters.aws._retry import RetryPolicy, retryable_answer


class AwsErrorAnswer(Exception):
    """The service answered with an error: HTTP status, AWS error code and message.

    `extra` holds service-specific fields of the error body (Lambda's throttling `Reason`);
    `attempts` how many requests were sent (more than one: an earlier one may have landed)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, str] | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(f"HTTP {status} {code}: {message}".rstrip(": "))
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        self.attempts = attempts

    @property
    def retried(self) -> bool:
        return self.attempts > 1


class ParamValidationError(ValueError):
    """A parameter the service would never accept (an empty key): a caller's bug, refused
    before anything is sent. Named like botocore's, whose message it keeps."""


class SdkError(Exception):
    """A failure another SDK reported (botocore, for an injected client), already described
    as `<its type>: <its message>` so the store's messages name it as before."""


def answer_from_client_error(exc: Any) -> AwsErrorAnswer:
    """A botocore `ClientError` (its `response` dict) as the same error answer, so an injected
    botocore client's errors are judged by the same rules as ours (no botocore import here)."""
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    metadata = response.get("ResponseMetadata") or {}
    extra = {"Reason": str(response["Reason"])} if response.get("Reason") else {}
    return AwsErrorAnswer(
        int(metadata.get("HTTPStatusCode") or 0),
        str(error.get("Code") or ""),
        str(error.get("Message") or response.get("message") or "").strip(),
        headers=metadata.get("HTTPHeaders") or {},
        extra=extra,
        attempts=int(metadata.get("RetryAttempts", 0) or 0) + 1,
    )


ErrorParser = Callable[[Response], AwsErrorAnswer]


class ServiceClient:
    """Signed requests to one endpoint of one service (thread-safe: the pool is)."""

    def __init__(
        self,
        *,
        service: str,
        endpoint: Endpoint,
        region: str,
        retry: RetryPolicy,
        parse_error: ErrorParser,
        connect_timeout: float,
        read_timeout: float,
        max_pool_connections: int,
        credentials: Credentials | None = None,
    ) -> None:
        self.service = service
        self.endpoint = endpoint
        self.region = region
        self.retry = retry
        self._parse_error = parse_error
        self._credentials = credentials
        self.pool = ConnectionPool(
            endpoint,
            maxsize=max_pool_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    def __repr__(self) -> str:
        return f"ServiceClient({self.service!r}, {self.endpoint.url('')!r}, {self.region!r})"

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Iterable[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        expected: frozenset[int] = frozenset({200}),
    ) -> Response:
        """Send until an expected status, a non-retryable error or the last attempt.

        `path` is the encoded path below the endpoint's base path.
        """
        query_string = _sigv4.canonical_query(query)
        full_path = self.endpoint.base_path + path
        target = full_path + (f"?{query_string}" if query_string else "")
        body_sha256 = _sigv4.payload_hash(body)
        attempt = 0
        while True:
            attempt += 1
            credentials = self._credentials or credentials_from_env()
            signed = _sigv4.sign(
                method=method,
                path=full_path,
                query=query_string,
                headers={"Host": self.endpoint.host_header, **(headers or {})},
                body_sha256=body_sha256,
                credentials=credentials,
                region=self.region,
                service=self.service,
            )
            signed["User-Agent"] = USER_AGENT
            try:
                response = self.pool.send(method, target, signed, body)
            except TransportError as failure:
                failure.attempts = attempt
                if attempt >= self.retry.max_attempts:
                    raise
                self.retry.backoff(attempt)
                continue
            if response.status in expected:
                return response
            error = self._parse_error(response)
            error.attempts = attempt
            if attempt >= self.retry.max_attempts or not retryable_answer(error.status, error.code):
                raise error
            self.retry.backoff(attempt)
