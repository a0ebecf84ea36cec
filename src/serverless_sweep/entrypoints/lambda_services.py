"""The per-container AWS clients the Lambda entry points share.

Built on first use and reused while the container is warm, so their pooled connections are
reused. Both are the standard-library HTTP clients (`adapters/aws/s3_http.py`,
`lambda_http.py`): neither handler imports botocore (issue 8), and the zips do not ship it.
Tests replace `services` with one built from their own client and invoker
(`monkeypatch.setattr(lambda_services, "services", Services(...))`); the entry points read it
at call time.

Cold start (issue 8): this module imports only the S3 store. The Lambda invoker (and the
dispatcher's settings) are imported when the parent first asks for `invoker()`: the child and
the failure recorder never invoke anything, and importing them was a quarter of a second of
the child's cold start (the dispatcher pulls in the run ledger and its contracts).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from serverless_sweep.adapters.aws.s3_store import BUCKET_ENV, S3ObjectStore, make_s3_http_client

if TYPE_CHECKING:
    from serverless_sweep.handlers.ports import Invoker


class LambdaContext(Protocol):
    """What the handlers read from Lambda's context object."""

    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int: ...


class Services:
    """The per-container clients: built on first use, reused by every warm invocation.

    Tests replace the module's `services` with one built from their own client and invoker
    (an `S3HttpClient` or a botocore S3 client: the store accepts both).
    """

    def __init__(self, *, s3_client: Any = None, invoker: Invoker | None = None) -> None:
        self._s3_client = s3_client
        self._invoker = invoker
        self._lock = threading.Lock()

    def s3_client(self) -> Any:
        if self._s3_client is None:
            with self._lock:
                if self._s3_client is None:
                    self._s3_client = make_s3_http_client()
        return self._s3_client

    def invoker(self) -> Invoker:
        if self._invoker is None:
            with self._lock:
                if self._invoker is None:
                    from serverless_sweep.adapters.aws.lambda_invoker import LambdaInvoker
                    from serverless_sweep.handlers.dispatcher import DEFAULT_DISPATCH_CONCURRENCY
                    from serverless_sweep.handlers.settings import (
                        DISPATCH_CONCURRENCY_ENV,
                        positive_int_setting,
                    )

                    # One pooled connection per concurrent dispatcher invoke: a smaller pool
                    # opens and throws away connections under load.
                    concurrency = positive_int_setting(
                        os.environ, DISPATCH_CONCURRENCY_ENV, DEFAULT_DISPATCH_CONCURRENCY
                    )
                    self._invoker = LambdaInvoker(max_pool_connections=concurrency)
        return self._invoker

    def store(self, environ: Mapping[str, str] | None = None) -> S3ObjectStore:
        """The results store; the bucket is read per call, the client is shared."""
        env = os.environ if environ is None else environ
        bucket = env.get(BUCKET_ENV)
        if not (bucket or "").strip():
            return S3ObjectStore(bucket)  # unconfigured: never builds a client
        return S3ObjectStore(bucket, client=self.s3_client())


services = Services()


def response_run_id(response: Mapping[str, Any]) -> str | None:
    """The run_id a response body names (submissions learn it only from the request)."""
    try:
        body = json.loads(response.get("body") or "{}")
    except (TypeError, ValueError):
        return None
    run_id = body.get("run_id") if isinstance(body, dict) else None
    return run_id if isinstance(run_id, str) else None


def request_id(context: object) -> str | None:
    value = getattr(context, "aws_request_id", None)
    return value if isinstance(value, str) else None


def loggable(value: object) -> str | int | None:
    """Only plain ids go into the log context (a hostile payload cannot inject structures)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return value[:256]
    return None
