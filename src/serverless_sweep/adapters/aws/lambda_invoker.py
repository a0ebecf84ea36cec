"""`Invoker` over AWS Lambda: one asynchronous (`InvocationType="Event"`) invoke per shard.

An Event invoke only queues the payload (Lambda answers 202) and returns; Lambda then runs the
child at least once, retrying failed runs itself.

Built for the dispatcher, which calls `invoke_async` from many threads at once:

* one client shared by every thread: by default `lambda_http.LambdaHttpClient` (signed HTTP,
  no botocore: the parent's cold start, issue 8), else an injected botocore client; its
  connection pool sized to the dispatcher's concurrency (`max_pool_connections`), so threads do
  not queue for a connection nor churn through new TCP/TLS handshakes;
* the client's own retries are *off*: the dispatcher backs off itself (exponential, full
  jitter) and keeps a per-shard ledger. Retrying inside the client as well would multiply the
  attempts (5 x the dispatcher's), hide throttling from the dispatcher's concurrency control
  and blur what the ledger says about each attempt;
* every failure of the Invoke call leaves through ONE classification, `classify_invoke_error`
  (error answers of either client), plus `map_invoke_errors` for botocore's own exceptions,
  onto the port's exceptions, so the dispatcher never has to know the client:

  - `InvokeThrottled`: HTTP 429, TooManyRequestsException, ThrottlingException,
    EC2ThrottledException (Lambda itself throttled by EC2);
  - `InvokeUnavailable`: other 5xx answers, connection errors (refused, reset, closed), connect
    and read timeouts, plus ResourceConflictException / ResourceNotReadyException (the function
    is being updated, initialised or re-activated: it will be back). After a reset or a read
    timeout the event *may* have been queued: the message says so;
  - `InvokeError(retryable=False)`: everything else Lambda answers (ResourceNotFound,
    AccessDenied, RequestTooLarge, InvalidParameterValue, ...), including the 502 configuration
    errors no retry can fix (a KMS key, subnet or security group that is gone or disabled, a
    broken runtime or zip), and the client's own refusals (no credentials, bad parameters).

  Each message names the function and the AWS error code (plus HTTP status and AWS's message),
  because it ends up in the shard's dispatch record that a person reads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from serverless_sweep.adapters.aws._environment import NoCredentialsError
from serverless_sweep.adapters.aws._http import TransportError
from serverless_sweep.adapters.aws._retry import RetryPolicy
from serverless_sweep.adapters.aws._service import (
    AwsErrorAnswer,
    ParamValidationError,
    answer_from_client_error,
)
from serverless_sweep.adapters.aws.lambda_http import (
    LAMBDA_CONNECT_TIMEOUT_S,
    LAMBDA_READ_TIMEOUT_S,
    LambdaHttpClient,
)
from serverless_sweep.handlers.ports import (
    InvokeError,
    InvokeResult,
    InvokeThrottled,
    InvokeUnavailable,
)

__all__ = [
    "LAMBDA_CONNECT_TIMEOUT_S",
    "LAMBDA_READ_TIMEOUT_S",
    "LambdaInvoker",
    "classify_client_error",
    "classify_invoke_error",
    "map_invoke_errors",
]

DEFAULT_MAX_POOL_CONNECTIONS = 64
"""Matches the dispatcher's default concurrency (SWEEP_DISPATCH_CONCURRENCY)."""

INVOKE_ATTEMPTS = 1
"""The client's attempts per invoke: one, the dispatcher does the retrying."""

THROTTLING_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "EC2ThrottledException",
    }
)
"""Error codes that mean "slow down" whatever their HTTP status (EC2ThrottledException is 502)."""

TRANSIENT_CODES = frozenset(
    {
        "ServiceException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServerError",
        "ResourceConflictException",
        "ResourceNotReadyException",
        "RequestTimeout",
        "RequestTimeoutException",
        "SnapStartNotReadyException",
    }
)
"""Codes worth retrying even when their HTTP status is not 5xx (409 while a function updates)."""

PERMANENT_5XX_CODES = frozenset(
    {
        "InvalidRuntimeException",
        "InvalidZipFileException",
        "InvalidSecurityGroupIDException",
        "InvalidSubnetIDException",
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
    }
)
"""Lambda's 502 answers about the function's configuration: retrying cannot fix them."""


class LambdaInvoker:
    """Fire-and-forget invocation of the child function through the Lambda Invoke API.

    `client` is a `LambdaHttpClient` or a boto3/botocore Lambda client; when None a
    `LambdaHttpClient` is built on first use (no retries, a pool of `max_pool_connections`
    connections, short timeouts, `AWS_ENDPOINT_URL_LAMBDA` / `AWS_ENDPOINT_URL` honoured for
    local testing). An injected client is used as it is: its pool and retries are the
    caller's choice.
    """

    def __init__(
        self,
        client: Any = None,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        max_pool_connections: int = DEFAULT_MAX_POOL_CONNECTIONS,
    ) -> None:
        if max_pool_connections < 1:
            raise ValueError(f"max_pool_connections must be >= 1, got {max_pool_connections}")
        self._client = client
        self._endpoint_url = endpoint_url
        self._region_name = region_name
        self.max_pool_connections = max_pool_connections
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LambdaInvoker(max_pool_connections={self.max_pool_connections})"

    @property
    def client(self) -> Any:
        """The Lambda client, built on first use (thread-safe)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = LambdaHttpClient(
                        endpoint_url=self._endpoint_url,
                        region_name=self._region_name,
                        max_pool_connections=self.max_pool_connections,
                        retry=RetryPolicy(max_attempts=INVOKE_ATTEMPTS),
                    )
        return self._client

    def invoke_async(self, function_name: str, payload: bytes) -> InvokeResult:
        """Queue one event for `function_name` (name or ARN); answer Lambda's StatusCode.

        Raises `InvokeThrottled`, `InvokeUnavailable` (both retryable) or a non-retryable
        `InvokeError`; see the module docstring for which is which.
        """
        client = self.client
        if not isinstance(client, LambdaHttpClient):
            return _invoke_botocore(client, function_name, payload)
        try:
            response = client.invoke(function_name, bytes(payload), invocation_type="Event")
        except AwsErrorAnswer as answer:
            raise classify_invoke_error(function_name, answer) from answer
        except TransportError as failure:
            raise InvokeUnavailable(_connection_message(function_name, failure)) from failure
        except (NoCredentialsError, ParamValidationError) as refused:
            raise InvokeError(
                f"Lambda Invoke of {function_name} was not sent: "
                f"{type(refused).__name__}: {refused}",
                retryable=False,
            ) from refused
        return InvokeResult(response.status)


def _invoke_botocore(client: Any, function_name: str, payload: bytes) -> InvokeResult:
    with map_invoke_errors(function_name):
        response = client.invoke(
            FunctionName=function_name, InvocationType="Event", Payload=bytes(payload)
        )
        # The answer's body is a stream; until it is read, urllib3 cannot put the
        # connection back in the pool, and every invoke would open a new one.
        body = response.get("Payload")
        if body is not None:
            body.read()
            body.close()
    return InvokeResult(int(response["StatusCode"]))


@contextmanager
def map_invoke_errors(function_name: str) -> Iterator[None]:
    """Turn botocore's exceptions raised inside the block into the port's `InvokeError`s.

    The original exception is kept as `__cause__` for the logs; anything that is not a botocore
    exception (a bug) passes through untouched. botocore is imported only when something was
    raised (this module must not import it: the parent Lambda never loads botocore).
    """
    try:
        yield
    except Exception as error:
        try:
            from botocore.exceptions import (  # type: ignore[import-untyped]
                BotoCoreError,
                ClientError,
                ConnectionClosedError,
                HTTPClientError,
                ReadTimeoutError,
            )
            from botocore.exceptions import ConnectionError as BotoConnectionError
        except ImportError:
            raise error from None
        if isinstance(error, ClientError):
            raise classify_client_error(function_name, error) from error
        if isinstance(error, BotoConnectionError | HTTPClientError):
            in_doubt = isinstance(error, ConnectionClosedError | ReadTimeoutError)
            raise InvokeUnavailable(
                _connection_message(function_name, error, in_doubt=in_doubt)
            ) from error
        if isinstance(error, BotoCoreError):
            raise InvokeError(
                f"Lambda Invoke of {function_name} was not sent: {type(error).__name__}: {error}",
                retryable=False,
            ) from error
        raise


def classify_client_error(function_name: str, error: Any) -> InvokeError:
    """The port exception for a botocore `ClientError` of the Invoke API."""
    return classify_invoke_error(function_name, answer_from_client_error(error))


def classify_invoke_error(function_name: str, answer: AwsErrorAnswer) -> InvokeError:
    """The port exception for an error answer of the Invoke API (see the module docstring)."""
    code = answer.code or "Unknown"
    status = answer.status
    text = f"Lambda Invoke of {function_name} failed: {code} (HTTP {status or '?'})"
    if answer.message:
        text += f": {answer.message}"
    reason = answer.extra.get("Reason")
    if reason:
        text += f" [reason {reason}]"
    if status == 429 or code in THROTTLING_CODES:
        return InvokeThrottled(text + "; retry later with backoff")
    if code in PERMANENT_5XX_CODES:
        return InvokeError(text + "; fix the function's configuration", retryable=False)
    if status >= 500 or code in TRANSIENT_CODES:
        return InvokeUnavailable(text + "; retry later")
    return InvokeError(text, retryable=False)


def _connection_message(
    function_name: str, error: Exception, *, in_doubt: bool | None = None
) -> str:
    if in_doubt is None:
        in_doubt = bool(getattr(error, "in_doubt", False))
    text = f"Lambda Invoke of {function_name} got no answer: {type(error).__name__}: {error}"
    if in_doubt:
        text += " (the request was sent: the event may have been queued)"
    return text
