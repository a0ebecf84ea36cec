"""Lambda's Invoke API over signed HTTP (no botocore): what the dispatcher and the dispatch
scheduler call, many threads at once.

Why one attempt per call: the dispatcher backs off itself (exponential, full jitter) and keeps a
per-shard ledger; retrying here as well would multiply the attempts and hide throttling from
its concurrency control (the same choice `lambda_invoker.py` made for botocore). Connections
are pooled (one per concurrent invoke: `max_pool_connections` should match the dispatcher's
concurrency) and reused: an Event invoke is small and answers at once, so a new TLS handshake
per invoke would cost more than the invoke.

Error answers become `_service.AwsErrorAnswer` with the code botocore would report (the
`x-amzn-ErrorType` header, else the body's `__type`/`code`), AWS's message and, for throttling,
the body's `Reason`; `lambda_invoker.classify_invoke_error` decides what is retryable.
"""

from __future__ import annotations

import json

from serverless_sweep.adapters.aws import _sigv4
from serverless_sweep.adapters.aws._environment import (
    Credentials,
    dns_suffix,
    endpoint_from_env,
    region_from_env,
)
from serverless_sweep.adapters.aws._http import Endpoint, Response
from serverless_sweep.adapters.aws._retry import NO_RETRIES, RetryPolicy
from serverless_sweep.adapters.aws._service import (
    AwsErrorAnswer,
    ParamValidationError,
    ServiceClient,
)

LAMBDA_CONNECT_TIMEOUT_S = 5.0
LAMBDA_READ_TIMEOUT_S = 15.0
"""An Event invoke answers as soon as the event is queued; a long wait means trouble."""
API_VERSION = "2015-03-31"
INVOCATION_TYPES = frozenset({"Event", "RequestResponse", "DryRun"})
_INVOKE_OK = frozenset({200, 202, 204})


class LambdaHttpClient:
    """Lambda Invoke over signed HTTP; thread-safe (one pool of `max_pool_connections`)."""

    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        connect_timeout: float = LAMBDA_CONNECT_TIMEOUT_S,
        read_timeout: float = LAMBDA_READ_TIMEOUT_S,
        max_pool_connections: int = 10,
        retry: RetryPolicy = NO_RETRIES,
        credentials: Credentials | None = None,
    ) -> None:
        self.region = region_name or region_from_env()
        url = (
            endpoint_url
            or endpoint_from_env("LAMBDA")
            or f"https://lambda.{self.region}.{dns_suffix(self.region)}"
        )
        self.max_pool_connections = max_pool_connections
        self.service = ServiceClient(
            service="lambda",
            endpoint=Endpoint.parse(url),
            region=self.region,
            retry=retry,
            parse_error=parse_lambda_error,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max_pool_connections,
            credentials=credentials,
        )

    def __repr__(self) -> str:
        return f"LambdaHttpClient({self.service.endpoint.url('')!r}, region={self.region!r})"

    def invoke(
        self,
        function_name: str,
        payload: bytes,
        *,
        invocation_type: str = "Event",
        qualifier: str | None = None,
    ) -> Response:
        """One Invoke call; the answer (status 202 for a queued Event) or AwsErrorAnswer."""
        if not function_name:
            raise ParamValidationError(
                "Invalid length for parameter FunctionName, value: 0, valid min length: 1"
            )
        if invocation_type not in INVOCATION_TYPES:
            raise ParamValidationError(
                f"InvocationType must be one of {sorted(INVOCATION_TYPES)}, got {invocation_type!r}"
            )
        name = _sigv4.uri_encode(function_name, keep_slash=False)
        query = [("Qualifier", qualifier)] if qualifier else []
        return self.service.request(
            "POST",
            f"/{API_VERSION}/functions/{name}/invocations",
            query=query,
            headers={"X-Amz-Invocation-Type": invocation_type},
            body=bytes(payload),
            expected=_INVOKE_OK,
        )

    def close(self) -> None:
        self.service.pool.close()


def parse_lambda_error(response: Response) -> AwsErrorAnswer:
    """Lambda's JSON error answer -> code, message and the throttling Reason."""
    try:
        body = json.loads(response.body or b"{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = response.headers.get("x-amzn-errortype", "").split(":", 1)[0].strip()
    if not code:
        code = str(body.get("__type") or body.get("code") or body.get("Code") or "")
        code = code.rsplit("#", 1)[-1]
    message = str(body.get("message") or body.get("Message") or "").strip()
    extra = {"Reason": str(body["Reason"])} if body.get("Reason") else {}
    return AwsErrorAnswer(
        response.status,
        code or str(response.status),
        message,
        headers=response.headers,
        extra=extra,
    )
