"""Retry policy of the AWS HTTP clients: how many attempts, how long to wait between them.

Why this shape: it is botocore's *standard* mode, which the S3 store used before (issue 8
replaced botocore on the Lambda path, not its behaviour): at most 5 attempts in total,
exponential backoff with full jitter (before retry n, a uniform wait in [0, min(20 s, 2^(n-1) s)]),
so many clients hit by the same outage do not come back in lockstep. Lambda invokes use one
attempt: the dispatcher backs off itself and keeps a ledger of every attempt, and retrying here
as well would multiply the attempts and hide throttling from it.

botocore's retry quota (a token bucket that stops retrying during a long outage) is left out:
a Lambda container makes a handful of S3 calls per invocation, and the dispatcher's own backoff
bounds the invokes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

S3_MAX_ATTEMPTS = 5
"""First try + 4 retries, as botocore's standard mode."""
BACKOFF_BASE_S = 1.0
MAX_BACKOFF_S = 20.0

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError"}
)
"""Error codes botocore's standard mode retries whatever their HTTP status."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`max_attempts` counts the first try; `sleep` and `rng` are injectable for tests."""

    max_attempts: int = S3_MAX_ATTEMPTS
    base_s: float = BACKOFF_BASE_S
    max_backoff_s: float = MAX_BACKOFF_S
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    rng: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(
                f"max_attempts counts the first try and must be >= 1, got {self.max_attempts}"
            )

    def delay(self, retry: int) -> float:
        """The wait before retry number `retry` (1 for the first retry): full jitter."""
        return self.rng() * min(self.max_backoff_s, self.base_s * 2.0 ** (retry - 1))

    def backoff(self, retry: int) -> None:
        self.sleep(self.delay(retry))


NO_RETRIES = RetryPolicy(max_attempts=1)


def retryable_answer(status: int, code: str) -> bool:
    """Whether an error answer is worth another attempt (throttling, transient 5xx)."""
    return status in RETRYABLE_STATUS or code in THROTTLING_CODES or code in TRANSIENT_CODES
