"""`Invoker` over AWS Lambda: one asynchronous (`InvocationType="Event"`) invoke per shard.

An Event invoke only queues the payload (Lambda answers 202) and returns; Lambda then runs the
child at least once, retrying failed runs itself. Errors of the Invoke API call (throttling
that outlasts the retries, a wrong function name, missing permission, payload too large) are
*not* caught here: they propagate, and the parent collects them per shard, answers 502 and keeps
the run recorded so that `redrive` can dispatch exactly the missing shards.
"""

from __future__ import annotations

import threading
from typing import Any

from serverless_sweep.adapters.aws._clients import make_client
from serverless_sweep.handlers.ports import InvokeResult

LAMBDA_CONNECT_TIMEOUT_S = 5.0
LAMBDA_READ_TIMEOUT_S = 15.0
"""An Event invoke answers as soon as the event is queued; a long wait means trouble."""


class LambdaInvoker:
    """Fire-and-forget invocation of the child function through the Lambda Invoke API.

    `client` is a boto3 Lambda client; when None one is built on first use (standard retry
    mode, so throttling is retried with backoff; `AWS_ENDPOINT_URL_LAMBDA` / `AWS_ENDPOINT_URL`
    honoured for local testing).
    """

    def __init__(
        self,
        client: Any = None,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
    ) -> None:
        self._client = client
        self._endpoint_url = endpoint_url
        self._region_name = region_name
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "LambdaInvoker()"

    @property
    def client(self) -> Any:
        """The boto3 Lambda client, built on first use (thread-safe)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = make_client(
                        "lambda",
                        endpoint_env_suffix="LAMBDA",
                        connect_timeout=LAMBDA_CONNECT_TIMEOUT_S,
                        read_timeout=LAMBDA_READ_TIMEOUT_S,
                        endpoint_url=self._endpoint_url,
                        region_name=self._region_name,
                    )
        return self._client

    def invoke_async(self, function_name: str, payload: bytes) -> InvokeResult:
        """Queue one event for `function_name` (name or ARN); answer Lambda's StatusCode."""
        response = self.client.invoke(
            FunctionName=function_name, InvocationType="Event", Payload=bytes(payload)
        )
        return InvokeResult(int(response["StatusCode"]))
