"""The progress of one dispatch: shards done / failed / pending, points per second."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from serverless_sweep.adapters.local.invoker import InvocationEvent


@dataclass
class _Counts:
    done: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)


class ShardProgress:
    """Shards done / failed / pending and points per second, for one dispatch.

    Outcomes come from the invoker's `on_event` callbacks (dispatcher thread; only the final
    attempt of a delivery counts, and a shard counts once however many deliveries it got). The
    bar is drawn from the waiting thread. It is a tqdm bar on stderr, off when stderr is not a
    terminal or `enabled` is False; `final_line` is printed either way.
    """

    def __init__(self, label: str, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and _isatty(self.stream)
        self._lock = threading.Lock()
        self._counts = _Counts()
        self._shard_points: dict[int, int] = {}
        self._started = time.monotonic()
        self._ended: float | None = None
        self._bar: Any = None

    def on_event(self, event: InvocationEvent) -> None:
        """Invoker callback: note a delivery's final outcome."""
        if not event.final or not isinstance(event.shard_id, int):
            return
        with self._lock:
            if event.ok:
                self._counts.done.add(event.shard_id)
                self._counts.failed.discard(event.shard_id)
            elif event.shard_id not in self._counts.done:
                self._counts.failed.add(event.shard_id)

    def start(self, shard_points: Mapping[int, int]) -> None:
        """The shards that were dispatched (id -> points); opens the bar."""
        with self._lock:
            self._shard_points = dict(shard_points)
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=len(shard_points),
                desc=self.label,
                unit="shard",
                file=self.stream,
                dynamic_ncols=True,
                leave=True,
            )
        self.refresh()

    def snapshot(self) -> tuple[int, int, int, int, float]:
        """(done, failed, pending, points done, elapsed seconds), for the dispatched shards."""
        with self._lock:
            dispatched = set(self._shard_points)
            done = self._counts.done & dispatched
            failed = (self._counts.failed & dispatched) - done
            points = sum(self._shard_points[s] for s in done)
        end = self._ended if self._ended is not None else time.monotonic()
        pending = len(dispatched) - len(done) - len(failed)
        return len(done), len(failed), pending, points, end - self._started

    def refresh(self) -> None:
        if self._bar is None:
            return
        done, failed, pending, points, elapsed = self.snapshot()
        if done + failed > self._bar.n:  # update(), not n=: tqdm's rate estimate needs it
            self._bar.update(done + failed - self._bar.n)
        self._bar.set_postfix_str(
            f"ok {done}, failed {failed}, pending {pending}, "
            f"{points / elapsed if elapsed > 0 else 0.0:.1f} points/s",
            refresh=False,
        )
        self._bar.refresh()

    def wait(self, wait_idle: Callable[[float], bool], poll_s: float = 0.2) -> bool:
        """Block until `wait_idle` (an invoker's `wait(timeout)`) says every event finished.

        Returns False when the invoker stopped without finishing (it answers False at once
        instead of after the timeout: its dispatcher is gone).
        """
        quick_false = 0
        try:
            while True:
                t0 = time.monotonic()
                if wait_idle(poll_s):
                    return True
                quick_false = quick_false + 1 if time.monotonic() - t0 < poll_s / 4 else 0
                if quick_false >= 3:
                    return False
                self.refresh()
        finally:
            self._ended = time.monotonic()
            self.refresh()
            if self._bar is not None:
                self._bar.close()
                self._bar = None

    def final_line(self) -> str:
        done, failed, pending, points, elapsed = self.snapshot()
        total = done + failed + pending
        speed = points / elapsed if elapsed > 0 else 0.0
        return (
            f"{self.label}: {done + failed}/{total} shards finished: {done} succeeded, "
            f"{failed} failed, {pending} pending; {points} points in {elapsed:.1f} s "
            f"({speed:.1f} points/s)"
        )

    @property
    def points_per_second(self) -> float:
        _, _, _, points, elapsed = self.snapshot()
        return points / elapsed if elapsed > 0 else 0.0

    @property
    def elapsed_s(self) -> float:
        return self.snapshot()[4]


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
