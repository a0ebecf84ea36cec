"""Where the wall time of one `sweep run` goes (`sweep run --timings`, issue 13).

A `sweep run` of a few dozen points is a whole command: the interpreter and the CLI's imports,
the parent's validation, plan and records, the workers' start-up (spawn, imports, the model's
warm-up), the shards, the tail where one worker waits for the other, and the closing status,
ranking and shutdown. A plain process pool pays only a part of this, so its fixed costs are
what `sweep run` must cut to be as fast; this module makes each of them visible instead of
guessed. Marks are recorded always (a list append each: nothing to switch on) and printed only
when asked.

Times are wall clock (`time.time()`), so a worker's start-up (reported by the worker with each
attempt, `InvocationEvent.worker`) and the parent's marks share one axis, shown as seconds
since this process started (from /proc, else the import of this module). The module imports
nothing heavy: the CLI imports it before anything else.
"""

from __future__ import annotations

import json
import resource
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from serverless_sweep.adapters.local._worker import WorkerClock


class _Attempt(Protocol):
    """What the timeline reads of an `InvocationEvent` (no import of the invoker needed)."""

    @property
    def pid(self) -> int | None: ...
    @property
    def started_at(self) -> float | None: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def worker(self) -> WorkerClock | None: ...


@dataclass
class _WorkerSpan:
    clock: WorkerClock | None = None
    attempts: int = 0
    busy_s: float = 0.0
    first_start: float = float("inf")
    last_end: float = 0.0


@dataclass
class Timeline:
    """The marks of this process and the attempts its workers ran (thread-safe: attempts are
    reported from the invoker's thread)."""

    origin: float | None = None
    """The process's start (wall clock); looked up when first needed (None: not yet)."""
    created: float = field(default_factory=time.time)
    marks: list[tuple[str, float]] = field(default_factory=list)
    _workers: dict[int, _WorkerSpan] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, *, since_process_start: bool = True) -> None:
        """Forget earlier marks and attempts (a process may run several commands: tests);
        offsets count from the process's start, or from now (`since_process_start=False`,
        for a command run inside a longer-lived process)."""
        with self._lock:
            self.marks.clear()
            self._workers.clear()
            self.created = time.time()
            self.origin = None if since_process_start else self.created

    def mark(self, label: str, at: float | None = None) -> None:
        """Record that `label` happened now (or at `at`, a `time.time()` value)."""
        with self._lock:
            self.marks.append((label, time.time() if at is None else at))

    def on_event(self, event: _Attempt) -> None:
        """An invoker callback: note the attempt's interval and its worker's start-up."""
        if event.started_at is None or event.pid is None:
            return
        end = event.started_at + event.duration_s
        with self._lock:
            span = self._workers.setdefault(event.pid, _WorkerSpan())
            span.clock = span.clock or event.worker
            span.attempts += 1
            span.busy_s += event.duration_s
            span.first_start = min(span.first_start, event.started_at)
            span.last_end = max(span.last_end, end)

    def report(self, extra: Mapping[str, float] | None = None) -> dict[str, Any]:
        """The timeline as offsets from the process start: marks (with `extra` moments, e.g.
        the runtime's, merged in time order), per worker start-up and busy time, and the
        shards' span (first start, last end, the idle tail after each worker's last shard)."""
        if self.origin is None:
            from serverless_sweep.adapters.local._worker import process_started_at

            self.origin = process_started_at() or self.created
        origin = self.origin
        with self._lock:
            moments = [*self.marks, *(extra or {}).items()]
            workers = dict(self._workers)

        def at(moment: float | None) -> float | None:
            return None if moment is None else round(moment - origin, 3)

        doc: dict[str, Any] = {
            "marks": [{"at_s": at(t), "what": label} for label, t in sorted(moments, key=_second)]
        }
        rows = []
        for pid, span in sorted(workers.items(), key=lambda item: item[1].first_start):
            clock = span.clock
            rows.append(
                {
                    "pid": pid,
                    "process_started_s": at(clock.started_at) if clock else None,
                    "init_s": at(clock.init_at) if clock else None,
                    "ready_s": at(clock.warm_at) if clock else None,
                    "attempts": span.attempts,
                    "busy_s": round(span.busy_s, 3),
                    "first_start_s": at(span.first_start),
                    "last_end_s": at(span.last_end),
                }
            )
        doc["workers"] = rows
        own, children = (resource.getrusage(who) for who in _RUSAGE)
        doc["cpu_s"] = {
            "this_process": round(own.ru_utime + own.ru_stime, 3),
            "reaped_children": round(children.ru_utime + children.ru_stime, 3),
        }
        if workers:
            first = min(s.first_start for s in workers.values())
            last = max(s.last_end for s in workers.values())
            span_s = last - first
            busy = sum(s.busy_s for s in workers.values())
            doc["shards"] = {
                "first_start_s": at(first),
                "last_end_s": at(last),
                "span_s": round(span_s, 3),
                "busy_s": round(busy, 3),
                "tail_idle_s": round(sum(last - s.last_end for s in workers.values()), 3),
                "busy_share": round(busy / (span_s * len(workers)), 3) if span_s > 0 else None,
            }
        return doc

    def lines(self, extra: Mapping[str, float] | None = None) -> list[str]:
        """The report as text for a terminal."""
        doc = self.report(extra)
        out = ["timings (wall clock, seconds since this process started):"]
        previous = 0.0
        for mark in doc["marks"]:
            took = mark["at_s"] - previous
            out.append(f"  {mark['at_s']:8.3f}  (+{took:6.3f})  {mark['what']}")
            previous = mark["at_s"]
        for row in doc["workers"]:
            out.append(
                f"  worker {row['pid']}: process {_s(row['process_started_s'])}, initializer "
                f"{_s(row['init_s'])}, warm {_s(row['ready_s'])}; {row['attempts']} attempt(s) "
                f"busy {row['busy_s']:.3f} s from {_s(row['first_start_s'])} to "
                f"{_s(row['last_end_s'])}"
            )
        shards = doc.get("shards")
        if shards:
            out.append(
                f"  shards: first start {_s(shards['first_start_s'])}, last end "
                f"{_s(shards['last_end_s'])}; workers busy {shards['busy_share']} of the span, "
                f"idle tail {shards['tail_idle_s']:.3f} s summed over workers"
            )
        cpu = doc["cpu_s"]
        out.append(
            f"  cpu: this process {cpu['this_process']:.3f} s, its finished child processes "
            f"(workers once stopped) {cpu['reaped_children']:.3f} s"
        )
        return out

    def dumps(self, extra: Mapping[str, float] | None = None) -> str:
        return json.dumps(self.report(extra), sort_keys=True)


_RUSAGE = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)


def _second(item: tuple[str, float]) -> float:
    return item[1]


def _s(value: float | None) -> str:
    return "?" if value is None else f"{value:.3f}"


TIMELINE = Timeline()
"""This process's timeline (the `sweep` CLI marks it; `sweep run --timings` prints it)."""
