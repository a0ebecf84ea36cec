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
    # the same, counted over the dispatched shards only (kept as events arrive, so a refresh
    # of the bar costs nothing per shard: 10,000 shards were three set operations and a sum
    # over them five times a second, issue 13)
    done_dispatched: int = 0
    failed_dispatched: int = 0
    points_done: int = 0


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
        shard_id = event.shard_id
        if not event.final or not isinstance(shard_id, int):
            return
        with self._lock:
            counts = self._counts
            points = self._shard_points.get(shard_id)
            if event.ok:
                if shard_id in counts.done:
                    return
                counts.done.add(shard_id)
                if shard_id in counts.failed:
                    counts.failed.discard(shard_id)
                    if points is not None:
                        counts.failed_dispatched -= 1
                if points is not None:
                    counts.done_dispatched += 1
                    counts.points_done += points
            elif shard_id not in counts.done and shard_id not in counts.failed:
                counts.failed.add(shard_id)
                if points is not None:
                    counts.failed_dispatched += 1

    def start(self, shard_points: Mapping[int, int]) -> None:
        """The shards that were dispatched (id -> points); opens the bar."""
        with self._lock:
            self._shard_points = dict(shard_points)
            counts = self._counts  # outcomes that arrived before: counted over them once
            done = counts.done & self._shard_points.keys()
            counts.done_dispatched = len(done)
            counts.failed_dispatched = len((counts.failed & self._shard_points.keys()) - done)
            counts.points_done = sum(self._shard_points[s] for s in done)
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
            counts = self._counts
            done, failed = counts.done_dispatched, counts.failed_dispatched
            points = counts.points_done
            dispatched = len(self._shard_points)
        end = self._ended if self._ended is not None else time.monotonic()
        pending = dispatched - done - failed
        return done, failed, pending, points, end - self._started

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
