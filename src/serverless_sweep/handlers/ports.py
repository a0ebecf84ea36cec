"""The small interfaces the handlers need from the outside world.

Handlers never talk to AWS or the file system directly: they get an `Invoker` (async fan-out),
an `ObjectStore` (keys and bytes) and a `Clock`. Adapters implement them: in memory for tests,
local files and worker processes on a laptop, S3 and Lambda in the cloud.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


class StoreError(Exception):
    """The object store failed (network, permissions, disk). Recorded as error_kind 'storage'."""


class AlreadyExists(StoreError):
    """A create-if-absent write found the key already there: nothing was written."""


class StoreNotConfigured(RuntimeError):
    """The store has no location configured (for example SWEEP_RESULTS_BUCKET unset)."""


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
