"""A stand-in for the AWS Lambda context object handed to local invocations."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

DEFAULT_TIMEOUT_S = 900.0
"""Lambda's maximum (and the local default) time budget per invocation."""

LOCAL_REGION = "local"
LOCAL_ACCOUNT_ID = "000000000000"


class LocalLambdaContext:
    """What handlers read from Lambda's context: request id, names, ARN and the time budget.

    The deadline starts when the context is created (right before the function is called).
    Locally the budget is advisory: nothing kills a function that overruns it.

    `environment` (local only) holds the function's configured environment variables, which
    Lambda would put into `os.environ`; locally they are handed over explicitly so that two
    runtimes in one process cannot read each other's settings (see `registry`).
    """

    function_version = "$LATEST"
    identity = None
    client_context = None

    def __init__(
        self,
        function_name: str,
        aws_request_id: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        memory_limit_in_mb: int = 1024,
        monotonic: Callable[[], float] = time.monotonic,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.function_name = function_name
        self.environment: dict[str, str] = dict(environment or {})
        self.aws_request_id = aws_request_id
        self.memory_limit_in_mb = memory_limit_in_mb
        self.invoked_function_arn = (
            f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{function_name}"
        )
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{aws_request_id.replace('-', '')}"
        self._monotonic = monotonic
        self._deadline = monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._monotonic()) * 1000))

    def __repr__(self) -> str:
        return (
            f"LocalLambdaContext(function_name={self.function_name!r}, "
            f"aws_request_id={self.aws_request_id!r})"
        )
