"""In-memory implementations of the handler ports.

Used by unit tests and by `sweep replay`, which must run the handlers against recording fakes
(the replay format says so) rather than real storage. Each records what happened, in order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from serverless_sweep.handlers.ports import (
    AlreadyExists,
    InvokeResult,
    StoreNotConfigured,
)


@dataclass(frozen=True, slots=True)
class RecordedInvocation:
    function_name: str
    payload: bytes


@dataclass
class RecordingInvoker:
    """Answers every async invoke with a fixed status code and records the call."""

    status_code: int = 202
    calls: list[RecordedInvocation] = field(default_factory=list)

    def invoke_async(self, function_name: str, payload: bytes) -> InvokeResult:
        self.calls.append(RecordedInvocation(function_name, payload))
        return InvokeResult(self.status_code)


@dataclass(frozen=True, slots=True)
class RecordedWrite:
    key: str
    data: bytes
    if_absent: bool


class MemoryObjectStore:
    """A dict of key -> bytes with S3-like semantics and a log of every successful write.

    `configured=False` models a deployment whose bucket is unset: `check_configured` raises
    with `not_configured_message` (the old runtime's wording by default).
    """

    reads_are_local = True
    """Bulk reads stay on the calling thread (`handlers.bulk_reads`)."""

    def __init__(
        self,
        *,
        configured: bool = True,
        not_configured_message: str = "SWEEP_RESULTS_BUCKET must be configured",
    ) -> None:
        self.objects: dict[str, bytes] = {}
        self.writes: list[RecordedWrite] = []
        self._configured = configured
        self._not_configured_message = not_configured_message
        self._lock = threading.Lock()

    def check_configured(self) -> None:
        if not self._configured:
            raise StoreNotConfigured(self._not_configured_message)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        with self._lock:
            self.objects[key] = bytes(data)
            self.writes.append(RecordedWrite(key, bytes(data), if_absent=False))

    def put_if_absent(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        with self._lock:
            if key in self.objects:
                raise AlreadyExists(key)
            self.objects[key] = bytes(data)
            self.writes.append(RecordedWrite(key, bytes(data), if_absent=True))

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def exists(self, key: str) -> bool:
        return key in self.objects

    def list_keys(self, prefix: str) -> Iterator[str]:
        with self._lock:
            keys = sorted(k for k in self.objects if k.startswith(prefix))
        yield from keys

    def when_published(self, callback: Callable[[], object]) -> None:
        """Writes are visible when they return: run it at once."""
        callback()


class FixedClock:
    """A clock that stands still unless advanced; deadlines in tests are then exact."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
        self._mono = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self._now += timedelta(seconds=seconds)
        self._mono += seconds
