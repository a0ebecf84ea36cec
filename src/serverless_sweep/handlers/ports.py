"""The small interfaces the handlers need from the outside world.

Handlers never talk to AWS or the file system directly: they get an `Invoker` (async fan-out),
an `ObjectStore` (keys and bytes) and a `Clock`. Adapters implement them: in memory for tests,
local files and worker processes on a laptop, S3 and Lambda in the cloud.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

ASYNC_PAYLOAD_LIMIT_BYTES = 256 * 1024
"""Lambda's limit for an asynchronous (Event) invocation payload: the most an `Invoker`
accepts (the local invokers refuse more, as Lambda does)."""


class StoreError(Exception):
    """The object store failed (network, permissions, disk). Recorded as error_kind 'storage'."""


class AlreadyExists(StoreError):
    """A create-if-absent write found the key already there: nothing was written."""


class CorruptRecord(StoreError):
    """A record in the store exists but cannot be read (not JSON, wrong shape, truncated).

    Raised instead of a JSON or KeyError traceback, naming the key and the run, so a caller can
    say what is damaged and what to do (`sweep verify RUN_ID`). `key` and `run_id` are kept for
    callers that map it to an answer (the API: a 500 naming the record, never a traceback).
    """

    def __init__(self, key: str, run_id: str | None, problem: str) -> None:
        where = f" of run {run_id!r}" if run_id is not None else ""
        super().__init__(f"store record {key!r}{where} is damaged: {problem}")
        self.key = key
        self.run_id = run_id
        self.problem = problem


class StoreNotConfigured(RuntimeError):
    """The store has no location configured (for example SWEEP_RESULTS_BUCKET unset)."""


class InvokeError(Exception):
    """The invoke API did not accept an event. `retryable` says whether trying again later may
    succeed (throttling, a 5xx, a reset connection) or never will (unknown function, access
    denied, payload too large). Adapters map their library's errors onto these three classes, so
    the dispatcher's backoff never has to know botocore."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable


class InvokeThrottled(InvokeError):
    """429 / TooManyRequestsException: the account or function is at its concurrency limit."""

    retryable = True


class InvokeUnavailable(InvokeError):
    """A 5xx answer or a connection that failed, reset or timed out: the service may be back."""

    retryable = True


@dataclass(frozen=True, slots=True)
class InvokeResult:
    """What an async invoke answered: Lambda's StatusCode (202 when the event was queued)."""

    status_code: int


@runtime_checkable
class Invoker(Protocol):
    """Fire-and-forget invocation of the child function; the JSON payload travels as bytes."""

    def invoke_async(self, function_name: str, payload: bytes) -> InvokeResult: ...


@runtime_checkable
class ObjectStore(Protocol):
    """A flat key -> bytes store with S3 semantics plus an atomic create-if-absent write."""

    def check_configured(self) -> None:
        """Raise StoreNotConfigured when the store cannot be used at all."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Write (or overwrite) a key. Used only for records that never collide (attempt ids)."""

    def put_if_absent(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        """Write only if the key is absent, else raise AlreadyExists (S3 `If-None-Match: *`)."""

    def get(self, key: str) -> bytes | None:
        """The bytes at key, or None when absent."""

    def exists(self, key: str) -> bool:
        """Whether key exists."""

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Every key under prefix, in lexicographic order."""

    def when_published(self, callback: Callable[[], object]) -> None:
        """Run `callback` once this thread's commits so far are visible to other readers.

        Stores whose writes are visible when they return (S3, memory) run it at once. The
        local store defers it to the end of an open durability batch, which publishes a
        group of tiny shards' commits together (issue 13): work that reads what a commit
        published (compaction reads the envelopes) must wait for it.
        """


@runtime_checkable
class DispatchScheduler(Protocol):
    """Starts a dispatch job somewhere else, without waiting for it.

    In the cloud: an asynchronous invocation of the parent function in its dispatch role (Lambda
    retries it when it crashes). Locally: a thread of the local runtime. The job itself is the
    pair (run_id, job name); everything else the dispatcher reads from the store, so a
    continuation, a retry after a crash and a duplicate delivery all resume the same work.
    """

    def schedule(self, run_id: str, job: str) -> None: ...


class Clock(Protocol):
    """Wall-clock time (UTC, timezone-aware) and a monotonic counter for durations and deadlines."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real UTC wall clock and monotonic counter."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()
