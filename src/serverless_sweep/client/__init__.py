"""A Python client of the serverless-sweep HTTP API (`sweep serve` or the deployed API).

    from serverless_sweep.client import SweepClient

    with SweepClient("http://127.0.0.1:8000") as api:            # auth="sigv4" for AWS
        accepted = api.submit({"run_id": "demo", "dimensions": {"a": [1, 2]}, "shard_count": 2})
        status = api.wait(accepted.run_id, timeout=600)           # progress bar on a terminal
        print(status.state, status.coverage)

Install with `pip install 'serverless-sweep[client]'` (httpx), plus `sigv4` (botocore) to sign
requests for the deployed API. Importing this package imports neither numpy, pyarrow nor
botocore (botocore only once SigV4 is asked for).
"""

from serverless_sweep.client._client import ApiWarning, ProgressBar, SweepClient, validate_request
from serverless_sweep.client.errors import (
    AccessDenied,
    ApiError,
    BadRequest,
    Conflict,
    PayloadTooLarge,
    RequestInvalid,
    RunNotFound,
    ServerError,
    SweepError,
    Throttled,
    TransportError,
    UnexpectedResponse,
    Violation,
    WaitTimeout,
)

__all__ = [
    "AccessDenied",
    "ApiError",
    "ApiWarning",
    "BadRequest",
    "Conflict",
    "PayloadTooLarge",
    "ProgressBar",
    "RequestInvalid",
    "RunNotFound",
    "ServerError",
    "SweepClient",
    "SweepError",
    "Throttled",
    "TransportError",
    "UnexpectedResponse",
    "Violation",
    "WaitTimeout",
    "validate_request",
]
