"""Local `Invoker`s with Lambda async ("Event") semantics.

`LocalAsyncInvoker.invoke_async` validates the payload, queues the event and answers
`InvokeResult(202)` at once. A dispatcher thread owns a process pool (started with "spawn" by
default) of `max_concurrency` workers, so at most that many attempts run at a time; each
attempt decodes the JSON payload inside the worker and calls the registered target as
`function(event, context)`.

Speed, because a plain process pool is the bar (issue 13):

* `prefetch` more attempts than workers are handed to the pool, so a worker that finishes one
  finds the next one waiting in its queue instead of a round trip through this process;
* `invoke_async_many` takes a batch of events (the dispatcher's claims) in one lock round trip
  and one wake-up of the dispatcher thread, and finished attempts are counted and reported in
  batches too: each event still has its own answer, request id, retries and callbacks;
* `start()` launches the workers at once (the runtime calls it before the first shard), and
  each worker runs the `warm_up` targets ("module:function", no arguments) before its first
  attempt: imports, the model, its grid. A warm-up that fails is logged and ignored (the shard
  itself then reports the error);
* an attempt that was prefetched but never started when a worker died is not charged an
  attempt: it is queued again as it was (a shared "started" flag per slot tells them apart);
* tiny attempts travel in groups: for a function registered with a batch target
  (`batch_targets`, the local child's durability batch), one pool task carries up to
  `max_group` queued attempts, sized so that a task lasts about `group_target_s` by the
  function's recent attempt durations (one attempt per task until the first ones are timed,
  and groups shrink when the queue runs short so every worker keeps a share). Each attempt
  keeps its own outcome, retries and events; the group shares one round trip and one
  durability barrier (`_worker.run_slotted_group`);
* costliest first, when a `priority` is given (the runtime's: the model's cost estimate of the
  shard): of the events ready at once, the highest priority is handed to the pool first, and
  nothing is handed over before the first worker has warmed up (at most `WARM_GATE_S`), so
  the first choice is made from every event queued by then; prefetched tasks wait in the
  pool's one queue in that order, whichever worker is free takes the next. Longest-first
  leaves the shortest shards for the tail, so the last worker to finish is not alone for a
  whole long shard. The request's shard plan is untouched: only the order in which its
  invocations start changes.

Like Lambda:

* an oversized payload (`payload_limit_bytes`, 256 KiB) raises `PayloadTooLarge`, an unknown
  function `FunctionNotFound` and a payload that is not JSON `InvalidPayload`, synchronously;
* a function that raises (or whose worker process dies) is retried `max_retries` more times
  (0..2, default 2) with the same request id, after `retry_delays` (seconds, short locally);
* the function's return value is discarded; errors are captured (type, message, traceback),
  reported to `on_event` callbacks and counted, never raised to the caller;
* with `duplicate_delivery_rate` > 0 (chaos, seeded by `chaos_seed`) that fraction of events is
  delivered twice (same request id, each delivery with its own retries), to prove idempotency.

Worker processes never outlive the process that owns the invoker: each one exits as soon as
its parent is gone, however it died (SIGKILL included; see `_worker.exit_with_parent`).

Not emulated: the timeout is advisory (the context's remaining time reaches 0, nothing is
killed), events are run in arrival order, and there is no maximum event age.

`InlineInvoker` has the same interface but runs each event synchronously in the caller's
process and thread (still decoding the JSON payload), for tests and debugging.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import logging
import multiprocessing
import os
import random
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, ClassVar, TypedDict, Unpack

from serverless_sweep.adapters.local._worker import (
    AttemptResult,
    WorkerClock,
    init_worker,
    run_attempt,
    run_slotted_attempt,
    run_slotted_group,
)
from serverless_sweep.adapters.local.lambda_context import DEFAULT_TIMEOUT_S
from serverless_sweep.adapters.local.registry import (
    FunctionNotFound,
    FunctionRegistry,
    default_registry,
)
from serverless_sweep.handlers.ports import ASYNC_PAYLOAD_LIMIT_BYTES, InvokeResult

__all__ = [
    "ASYNC_PAYLOAD_LIMIT_BYTES",
    "FunctionNotFound",
    "InlineInvoker",
    "InvalidPayload",
    "InvocationEvent",
    "InvocationFailed",
    "InvokerOptionFields",
    "InvokerOptions",
    "InvokerStats",
    "LocalAsyncInvoker",
    "PayloadTooLarge",
]

logger = logging.getLogger(__name__)

MAX_ASYNC_RETRIES = 2
"""Lambda allows 0, 1 or 2 retries of a failed async invocation."""

MAX_GROUP = 256
"""Most attempts one pool task carries (see `batch_targets`)."""
GROUP_TARGET_S = 0.25
"""About how long a group of attempts should run: long enough to amortize the round trip
and the durability barrier, short enough that progress and the tail stay smooth."""
_DURATION_WEIGHT = 0.2  # weight of the newest attempt in a function's mean duration
WARM_GATE_S = 10.0
"""With a `priority`, the longest the first attempts wait for a worker to finish warming up."""

ACCEPTED = 202
_ACCEPTED_RESULT = InvokeResult(ACCEPTED)


class PayloadTooLarge(ValueError):
    """The payload exceeds the async invocation limit: pass large data by reference instead."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"async payload of {size} bytes exceeds the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class InvalidPayload(ValueError):
    """The payload is not a JSON document (Lambda's InvalidRequestContentException)."""


class InvocationFailed(RuntimeError):
    """Raised by `InlineInvoker(raise_errors=True)` when an event failed its last attempt."""

    def __init__(self, event: InvocationEvent) -> None:
        super().__init__(
            f"{event.function_name} failed after {event.attempt} attempt(s): "
            f"{event.error_type}: {event.error_message}\n{event.error_traceback or ''}"
        )
        self.event = event


@dataclass(frozen=True, slots=True)
class InvocationEvent:
    """One finished attempt, as reported to `on_event` callbacks (in the parent process)."""

    function_name: str
    request_id: str
    attempt: int
    """1 for the first try, 2.. for retries."""
    delivery: int
    """1 for the original delivery, 2 for a chaos duplicate."""
    ok: bool
    final: bool
    """No further attempt of this delivery will run (it succeeded or exhausted its retries)."""
    shard_id: int | str | None
    """The payload's top-level "shard_id", when it has one."""
    pid: int | None
    duration_s: float
    error_type: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    payload: bytes = b""
    """The event as invoked (what Lambda's on-failure destination record carries back)."""
    started_at: float | None = None
    """Wall clock (`time.time()`) when the attempt began in its worker (None: never ran)."""
    worker: WorkerClock | None = None
    """The start-up times of the worker that ran it (`sweep run --timings`)."""


@dataclass(frozen=True, slots=True)
class InvokerStats:
    """Counters for progress reporting. Deliveries = accepted + duplicates."""

    accepted: int = 0
    """invoke_async calls that answered 202."""
    queued: int = 0
    """Attempts waiting to run (new events and retries waiting for their delay)."""
    running: int = 0
    succeeded: int = 0
    failed_attempts: int = 0
    """Every failed attempt, including the ones that were retried."""
    failed_final: int = 0
    """Deliveries that failed their last attempt."""
    duplicates: int = 0
    """Extra deliveries added by the chaos option."""

    @property
    def deliveries(self) -> int:
        return self.accepted + self.duplicates

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed_final

    @property
    def pending(self) -> int:
        return self.deliveries - self.finished


@dataclass(slots=True)  # not frozen (never changed all the same): a frozen one cost 1.1 us
class _Delivery:  # more to build, per tiny shard in the parent (issue 13)
    function_name: str
    target: str
    payload: bytes
    request_id: str
    shard_id: int | str | None
    delivery: int
    attempt: int = 1
    priority: float = 0.0


EventCallback = Callable[[InvocationEvent], object]


class _RequestIds:
    """Request ids shaped like Lambda's (UUIDs): one random uuid4 per invoker, its last 48 bits
    replaced by a counter. Unique within the invoker, and across invokers as uuid4s are; a
    uuid4 per event cost more than the rest of accepting a tiny shard's event (issue 13)."""

    def __init__(self) -> None:
        self._prefix = str(uuid.uuid4())[:24]
        self._counter = itertools.count(int(uuid.uuid4().hex[-12:], 16))

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFF:012x}"


def _shard_id_of(event: object) -> int | str | None:
    if isinstance(event, dict):
        shard_id = event.get("shard_id")
        if isinstance(shard_id, int | str) and not isinstance(shard_id, bool):
            return shard_id
    return None


def _failure(exc: BaseException, prefix: str = "") -> AttemptResult:
    return AttemptResult(
        ok=False,
        pid=None,
        duration_s=0.0,
        error_type=type(exc).__qualname__,
        error_message=prefix + str(exc),
        error_traceback="".join(traceback.format_exception(exc)),
    )


@dataclass(frozen=True)
class InvokerOptions:
    """How an invoker delivers events: Lambda's async invocation settings, emulated.

    One object for both invokers, so a setting is named, defaulted and checked once; each
    invoker has its own defaults (`LocalAsyncInvoker.DEFAULT_OPTIONS`: Lambda's two retries,
    short pauses; `InlineInvoker.DEFAULT_OPTIONS`: no retries, for tests). The constructors
    also take each field as a keyword argument, which replaces that field of `options`.
    """

    max_retries: int = MAX_ASYNC_RETRIES
    """Retries of a failed attempt, 0..2 as on Lambda."""
    retry_delays: tuple[float, ...] = (0.05, 0.1)
    """Seconds before retry 1, 2 (the last value repeats); short locally."""
    duplicate_delivery_rate: float = 0.0
    """Chaos: the fraction (0..1) of events delivered twice, to prove idempotency."""
    chaos_seed: int | None = 0
    """Seed of the chaos draws (None: a fresh one per invoker)."""
    payload_limit_bytes: int = ASYNC_PAYLOAD_LIMIT_BYTES
    """Largest payload accepted (Lambda's async limit by default)."""
    timeout_s: float = DEFAULT_TIMEOUT_S
    """The function's timeout, as the context's remaining time reports it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "retry_delays", tuple(float(d) for d in self.retry_delays))
        if not 0 <= self.max_retries <= MAX_ASYNC_RETRIES:
            raise ValueError(f"max_retries must be 0..{MAX_ASYNC_RETRIES} (as on Lambda)")
        if self.max_retries and not self.retry_delays:
            raise ValueError("retry_delays must not be empty when max_retries > 0")
        if any(d < 0 for d in self.retry_delays):
            raise ValueError("retry_delays must not be negative")
        if not 0.0 <= self.duplicate_delivery_rate <= 1.0:
            raise ValueError("duplicate_delivery_rate must be between 0.0 and 1.0")
        if self.payload_limit_bytes <= 0:
            raise ValueError("payload_limit_bytes must be positive")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")


class InvokerOptionFields(TypedDict, total=False):
    """The fields of `InvokerOptions` as keyword arguments of the invoker constructors."""

    max_retries: int
    retry_delays: Sequence[float]
    duplicate_delivery_rate: float
    chaos_seed: int | None
    payload_limit_bytes: int
    timeout_s: float


class _InvokerBase:
    """Validation, chaos, counters and callbacks shared by both invokers."""

    DEFAULT_OPTIONS: ClassVar[InvokerOptions] = InvokerOptions()

    def __init__(
        self,
        registry: FunctionRegistry | None,
        options: InvokerOptions | None,
        on_event: EventCallback | None,
        overrides: InvokerOptionFields,
    ) -> None:
        base = self.DEFAULT_OPTIONS if options is None else options
        self.options = replace(base, **overrides) if overrides else base  # type: ignore[arg-type]
        self.registry = default_registry if registry is None else registry
        self._rng = random.Random(self.options.chaos_seed)
        self._cond = threading.Condition()
        self._callbacks: list[EventCallback] = []
        if on_event is not None:
            self._callbacks.append(on_event)
        self._closed = False
        self._accepted = 0
        self._queued = 0
        self._running = 0
        self._succeeded = 0
        self._failed_attempts = 0
        self._failed_final = 0
        self._duplicates = 0
        self._outstanding = 0
        self._request_ids = _RequestIds()

    @property
    def max_retries(self) -> int:
        return self.options.max_retries

    @property
    def retry_delays(self) -> tuple[float, ...]:
        return self.options.retry_delays

    @property
    def duplicate_delivery_rate(self) -> float:
        return self.options.duplicate_delivery_rate

    @property
    def payload_limit_bytes(self) -> int:
        return self.options.payload_limit_bytes

    @property
    def timeout_s(self) -> float:
        return self.options.timeout_s

    # -- public ---------------------------------------------------------------------------------

    def on_event(self, callback: EventCallback) -> EventCallback:
        """Call `callback(InvocationEvent)` after every attempt (usable as a decorator)."""
        with self._cond:
            self._callbacks.append(callback)
        return callback

    def stats(self) -> InvokerStats:
        with self._cond:
            return InvokerStats(
                accepted=self._accepted,
                queued=self._queued,
                running=self._running,
                succeeded=self._succeeded,
                failed_attempts=self._failed_attempts,
                failed_final=self._failed_final,
                duplicates=self._duplicates,
            )

    # -- shared steps ---------------------------------------------------------------------------

    def _accept(
        self, function_name: str, payload: bytes, *, rank: Callable[[object], float] | None = None
    ) -> list[_Delivery]:
        """Validate an invocation like Lambda's Invoke API and return its deliveries.

        `rank`: the deliveries' priority from the decoded event (decoded once here: a second
        decode cost about 20 us per tiny shard in the parent, issue 13)."""
        answers, deliveries = self._accept_many(function_name, [payload], rank=rank)
        if isinstance(answers[0], BaseException):
            raise answers[0]
        return deliveries

    def _accept_many(
        self,
        function_name: str,
        payloads: Sequence[bytes],
        *,
        rank: Callable[[object], float] | None = None,
        queue: Callable[[list[_Delivery]], None] | None = None,
    ) -> tuple[list[InvokeResult | Exception], list[_Delivery]]:
        """`_accept` of each payload, in order, with one lock round trip for them all: per
        payload its answer (202, or the exception its own invoke would have raised) and the
        deliveries of the accepted ones. `queue` is called with those under the same lock
        (the async invoker queues them there). The chaos draws are made in payload order, so
        a seed duplicates the same events as one call per payload would."""
        answers: list[InvokeResult | Exception] = []
        checked: list[tuple[int, bytes, int | str | None, float] | None] = []
        try:
            target = self.registry.target_of(function_name)
        except Exception as exc:  # FunctionNotFound: every invoke of the batch is refused
            return [exc for _ in payloads], []
        limit = self.payload_limit_bytes
        loads = json.loads
        for index, payload in enumerate(payloads):
            try:
                if not isinstance(payload, bytes | bytearray | memoryview):
                    raise TypeError(f"payload must be bytes, not {type(payload).__name__}")
                data = payload if type(payload) is bytes else bytes(payload)
                if len(data) > limit:
                    raise PayloadTooLarge(len(data), limit)
                try:
                    event = loads(data)
                except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                    raise InvalidPayload(f"payload is not a JSON document: {exc}") from exc
            except Exception as exc:
                answers.append(exc)
                checked.append(None)
                continue
            priority = 0.0 if rank is None else rank(event)
            answers.append(_ACCEPTED_RESULT)
            checked.append((index, data, _shard_id_of(event), priority))
        deliveries: list[_Delivery] = []
        next_id = self._request_ids.next
        with self._cond:
            if self._closed:
                closed = RuntimeError("invoker is closed")
                refused = zip(answers, checked, strict=True)
                return [closed if c is not None else a for a, c in refused], []
            chaos = self.duplicate_delivery_rate
            draw = self._rng.random
            for item in checked:
                if item is None:
                    continue
                _, data, shard_id, priority = item
                request_id = next_id()
                copies = 2 if chaos > 0 and draw() < chaos else 1
                self._accepted += 1
                self._duplicates += copies - 1
                self._outstanding += copies
                self._queued += copies
                for n in range(1, copies + 1):
                    deliveries.append(
                        _Delivery(function_name, target, data, request_id, shard_id, n, 1, priority)
                    )
            if queue is not None:
                queue(deliveries)
        return answers, deliveries

    def _retry_delay(self, failed_attempt: int) -> float:
        return self.retry_delays[min(failed_attempt, len(self.retry_delays)) - 1]

    def _record(self, delivery: _Delivery, result: AttemptResult) -> tuple[InvocationEvent, bool]:
        """Count a finished attempt (lock held by the caller); say whether to retry."""
        self._running -= 1
        retry = False
        if result.ok:
            self._succeeded += 1
        else:
            self._failed_attempts += 1
            if delivery.attempt <= self.max_retries:
                retry = True
            else:
                self._failed_final += 1
        event = InvocationEvent(
            function_name=delivery.function_name,
            request_id=delivery.request_id,
            attempt=delivery.attempt,
            delivery=delivery.delivery,
            ok=result.ok,
            final=not retry,
            shard_id=delivery.shard_id,
            pid=result.pid,
            duration_s=result.duration_s,
            error_type=result.error_type,
            error_message=result.error_message,
            error_traceback=result.error_traceback,
            payload=delivery.payload,
            started_at=result.started_at,
            worker=result.worker,
        )
        return event, retry

    def _emit(self, event: InvocationEvent) -> None:
        self._emit_many([event])

    def _emit_many(self, events: Sequence[InvocationEvent]) -> None:
        """Call every callback with each event, in order (the callbacks are copied once)."""
        if not events:
            return
        with self._cond:
            callbacks = list(self._callbacks)
        for event in events:
            for callback in callbacks:
                try:
                    callback(event)
                except Exception:
                    logger.exception("on_event callback %r failed", callback)

    def _finish(self, count: int = 1) -> None:
        """`count` deliveries are done (their last attempt's callbacks have run)."""
        with self._cond:
            self._outstanding -= count
            self._cond.notify_all()


class LocalAsyncInvoker(_InvokerBase):
    """Lambda async invocations run by a pool of worker processes (see the module docstring).

    `workers` defaults to `os.cpu_count()`; the pool has `min(workers, max_concurrency)` worker
    processes, so at most that many attempts run at a time. Up to `prefetch` more (default: as
    many again as workers) wait in the pool's queue; they count as queued in `stats()`. Use as a
    context manager or call `close()`. Delivery settings: `options` (default
    `DEFAULT_OPTIONS`), each field of which a keyword argument of the same name replaces.
    """

    DEFAULT_OPTIONS: ClassVar[InvokerOptions] = InvokerOptions()

    def __init__(
        self,
        registry: FunctionRegistry | None = None,
        *,
        options: InvokerOptions | None = None,
        workers: int | None = None,
        max_concurrency: int | None = None,
        start_method: str = "spawn",
        on_event: EventCallback | None = None,
        prefetch: int | None = None,
        warm_up: Sequence[str] = (),
        batch_targets: Mapping[str, str] | None = None,
        max_group: int = MAX_GROUP,
        group_target_s: float = GROUP_TARGET_S,
        priority: Callable[[str, object], float] | None = None,
        preload: Sequence[str] = (),
        **overrides: Unpack[InvokerOptionFields],
    ) -> None:
        super().__init__(registry, options, on_event, overrides)
        if max_group < 1:
            raise ValueError("max_group must be at least 1")
        self.batch_targets = dict(batch_targets or {})
        self.max_group = max_group if self.batch_targets else 1
        self.group_target_s = group_target_s
        self._mean_s: dict[str, float] = {}  # function -> recent mean attempt duration
        self._tasks = 0  # pool tasks in flight (each carries one attempt or a group)
        self.priority = priority
        self._warming: list[Future[int]] = []  # the no-op tasks that start the workers
        self._warm_until = 0.0
        workers = (os.cpu_count() or 1) if workers is None else workers
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.workers = workers
        self.max_concurrency = min(workers, max_concurrency or workers)
        prefetch = self.max_concurrency if prefetch is None else prefetch
        if prefetch < 0:
            raise ValueError("prefetch must not be negative")
        self.in_flight_limit = self.max_concurrency + prefetch
        """Pool tasks in flight (running or queued in the pool), each one attempt or a group."""
        self.warm_up = tuple(warm_up)
        self.preload = tuple(preload)
        """Modules the fork server imports once ("forkserver" only; see `start`)."""
        # One "started" flag per in-flight attempt slot, shared with the workers (see _on_done).
        slots = self.in_flight_limit * self.max_group
        self._slots_started = self._mp_context_for(start_method).Array("b", slots, lock=False)
        self._free_slots = list(range(slots))
        self._start_requested = False
        self._mp_context = self._mp_context_for(start_method)
        self._pool: ProcessPoolExecutor | None = None
        # (ready at, -priority, sequence, delivery): fresh events are ready at 0.0, so among
        # them the priority decides, then arrival; retries wait for their delay.
        self._heap: list[tuple[float, float, int, _Delivery]] = []
        self._seq = itertools.count()
        self._completions: deque[
            tuple[_Delivery, AttemptResult | None, ProcessPoolExecutor | None]
        ] = deque()
        self._stopping = False
        self.timestamps: dict[str, float] = {}
        """Wall-clock moments of the pool's life (`time.time()`, `sweep run --timings`):
        "pool_launched" (start() reached the dispatcher), "first_handover" (the first task
        given to the pool)."""
        self._thread = threading.Thread(
            target=self._dispatch_loop, name="local-invoker-dispatch", daemon=True
        )
        self._thread.start()

    @staticmethod
    def _mp_context_for(start_method: str) -> multiprocessing.context.BaseContext:
        return multiprocessing.get_context(start_method)

    def start(self) -> None:
        """Launch the worker processes now (they warm up while the caller plans its work).

        With "forkserver" the fork server is started here, in the caller's thread, before the
        caller goes on with its own imports: it imports the `preload` modules once (the child's
        stack: numpy, pyarrow, the model), and every worker is then a fork of it that has them
        already. "spawn" pays those imports in each worker, in parallel with each other and
        with the caller, which on a machine with as many cores as workers is CPU the shards
        wait for (issue 13: about 0.6 s of CPU per worker)."""
        self._start_fork_server()
        with self._cond:
            self._start_requested = True
            self._cond.notify_all()

    def _start_fork_server(self) -> None:
        if self._mp_context.get_start_method() != "forkserver":
            return
        from multiprocessing import forkserver

        if self.preload:  # process-wide; only a server started after this call sees it
            forkserver.set_forkserver_preload(["__main__", *self.preload])
        try:
            forkserver.ensure_running()
        except OSError as exc:  # the pool's first worker tries again and reports the error
            logger.warning("could not start the fork server early: %s", exc)

    def stats(self) -> InvokerStats:
        """As the base class, but attempts waiting in the pool's queue (prefetched) count as
        queued: only `max_concurrency` worker processes can be running one."""
        with self._cond:
            waiting = max(0, self._running - self.max_concurrency)
            return InvokerStats(
                accepted=self._accepted,
                queued=self._queued + waiting,
                running=self._running - waiting,
                succeeded=self._succeeded,
                failed_attempts=self._failed_attempts,
                failed_final=self._failed_final,
                duplicates=self._duplicates,
            )

    def worker_idle(self) -> bool:
        """Whether a worker has nothing left to take: no attempt waits to be handed over (a
        retry waiting for its delay included) and fewer pool tasks are in flight than there
        are workers. `sweep run` starts its summary's imports then (the run's tail)."""
        with self._cond:
            return not self._heap and self._tasks < self.max_concurrency

    # -- Invoker --------------------------------------------------------------------------------

    def invoke_async(self, function_name: str, payload: bytes) -> InvokeResult:
        """Queue the event and return 202 at once (see the module docstring for the errors)."""
        answer = self.invoke_async_many(function_name, [payload])[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def invoke_async_many(
        self, function_name: str, payloads: Sequence[bytes]
    ) -> list[InvokeResult | Exception]:
        """`invoke_async` of each payload, in order, in one lock round trip and one wake-up of
        the dispatcher thread: per payload its 202, or the exception its own `invoke_async`
        would have raised (returned, not raised: the others are queued all the same). Each
        accepted payload is its own event, with its own request id, retries and chaos draw.

        Why (issue 13): the dispatcher hands over a whole claim of shards at once; one call
        per shard through its thread pool cost about 60 us of the parent's CPU per shard."""
        rank = None
        if self.priority is not None:
            rank = functools.partial(self._priority_of, function_name)
        answers, _ = self._accept_many(function_name, payloads, rank=rank, queue=self._queue)
        return answers

    def _queue(self, deliveries: list[_Delivery]) -> None:
        """Queue fresh deliveries and wake the dispatcher thread once (lock held)."""
        if not deliveries:
            return
        for delivery in deliveries:
            self._enqueue(0.0, delivery)
        self._cond.notify_all()

    def _enqueue(self, ready_at: float, delivery: _Delivery) -> None:
        """Queue a delivery (lock held): ready at `ready_at`, then higher priority first, then
        arrival order (the heap's one ordering, see `_heap`)."""
        heapq.heappush(self._heap, (ready_at, -delivery.priority, next(self._seq), delivery))

    def _priority_of(self, function_name: str, event: object) -> float:
        """The event's priority (0.0 when the priority function fails: never the caller's
        problem)."""
        assert self.priority is not None
        try:
            return float(self.priority(function_name, event))
        except Exception as exc:
            logger.debug("no priority for an event of %s: %s", function_name, exc)
            return 0.0

    # -- observability and lifecycle ------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued event (retries and duplicates included) has finished and its
        callbacks have run. Return False on timeout."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("wait() cannot be called from an on_event callback")
        with self._cond:
            self._cond.wait_for(lambda: self._outstanding == 0 or self._stopping, timeout)
            return self._outstanding == 0

    def close(self, wait: bool = True) -> None:
        """Stop accepting events and shut the pool down.

        With `wait` (the default) queued work finishes first; without it, queued events are
        dropped and running attempts are left to finish without being reported.
        """
        with self._cond:
            if self._closed and self._stopping:
                return
            self._closed = True
        if wait:
            self.wait()
        with self._cond:
            self._stopping = True
            self._queued -= len(self._heap)
            self._heap.clear()
            if not wait:
                # Attempts handed to the pool that no worker has started (prefetched) are
                # dropped with the queue: only the started ones are left running, unreported.
                in_flight = set(range(len(self._slots_started))) - set(self._free_slots)
                started = sum(1 for slot in in_flight if self._slots_started[slot])
                self._running = min(self._running, started)
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join()
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalAsyncInvoker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(wait=exc_type is None)

    # -- dispatcher thread ----------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        try:
            while self._dispatch_once():
                pass
        except BaseException:  # pragma: no cover - a bug here must not hang wait() silently
            logger.exception("local invoker dispatcher crashed")
            with self._cond:
                self._closed = True
                self._stopping = True
                self._cond.notify_all()

    def _dispatch_once(self) -> bool:
        with self._cond:
            while not self._stopping and not self._completions and not self._start_requested:
                if self._heap and self._tasks < self.in_flight_limit:
                    delay = max(self._heap[0][0] - time.monotonic(), self._warm_gate())
                    if delay <= 0:
                        break
                    self._cond.wait(delay)
                else:
                    self._cond.wait()
            if self._stopping:
                return False
            completions = list(self._completions)
            self._completions.clear()
            start_requested, self._start_requested = self._start_requested, False
        if start_requested:
            self._launch()
        if completions:
            self._complete_many(completions)
        tasks: list[list[_Delivery]] = []
        with self._cond:
            now = time.monotonic()
            while (
                self._heap
                and self._tasks < self.in_flight_limit
                and self._heap[0][0] <= now
                and self._warm_gate() <= 0
            ):
                first = heapq.heappop(self._heap)[3]
                group = [first]
                size = self._group_size(first.function_name)
                while (
                    len(group) < size
                    and self._heap
                    and self._heap[0][0] <= now
                    and self._heap[0][3].function_name == first.function_name
                ):
                    group.append(heapq.heappop(self._heap)[3])
                self._queued -= len(group)
                self._running += len(group)
                self._tasks += 1
                tasks.append(group)
        for group in tasks:
            self._submit(group)
        return True

    def _warm_gate(self) -> float:
        """Seconds to keep waiting for the first worker to finish warming up (lock held)."""
        if self.priority is None or not self._warming:
            return 0.0
        if any(f.done() for f in self._warming) or time.monotonic() >= self._warm_until:
            self._warming = []
            return 0.0
        return self._warm_until - time.monotonic()

    def _group_size(self, function_name: str) -> int:
        """Attempts for the next task of `function_name` (lock held; see the module docstring)."""
        mean = self._mean_s.get(function_name)
        if function_name not in self.batch_targets or mean is None:
            return 1
        size = min(self.max_group, max(1, int(self.group_target_s / max(mean, 1e-6))))
        share = -(-(len(self._heap) + 1) // self.max_concurrency)  # ceil: every worker a share
        return max(1, min(size, share))

    def _complete_many(
        self,
        completions: list[tuple[_Delivery, AttemptResult | None, ProcessPoolExecutor | None]],
    ) -> None:
        """Count finished attempts, queue their retries, then report each attempt to the
        callbacks and wake the waiters once: one lock round trip for the counting and one for
        the finishing per batch of completions (a pool task's group, or several), instead of
        three per attempt (issue 13). Each attempt keeps its own event, in completion order."""
        for pool in {id(p): p for _, _, p in completions if p is not None}.values():
            self._discard_pool(pool)
        events: list[InvocationEvent] = []
        finals = 0
        with self._cond:
            now = time.monotonic()
            means = self._mean_s
            for delivery, result in ((d, r) for d, r, _ in completions):
                if result is None:  # prefetched, never started, its pool broke: run it again
                    self._running -= 1
                    self._enqueue(now, delivery)
                    self._queued += 1
                    continue
                mean = means.get(delivery.function_name)
                means[delivery.function_name] = (
                    result.duration_s
                    if mean is None
                    else mean + _DURATION_WEIGHT * (result.duration_s - mean)
                )
                event, retry = self._record(delivery, result)
                events.append(event)
                if retry:
                    ready_at = now + self._retry_delay(delivery.attempt)
                    self._enqueue(ready_at, replace(delivery, attempt=delivery.attempt + 1))
                    self._queued += 1
                else:
                    finals += 1
        self._emit_many(events)
        if finals:
            self._finish(finals)

    def _complete(self, delivery: _Delivery, result: AttemptResult | None) -> None:
        """One attempt's `_complete_many` (kept for callers of one result)."""
        self._complete_many([(delivery, result, None)])

    def _submit(self, group: list[_Delivery]) -> None:
        """Hand one pool task to the workers: one attempt, or a group (see the module docs)."""
        with self._cond:
            slots = [self._free_slots.pop() for _ in group]
        self.timestamps.setdefault("first_handover", time.time())
        for slot in slots:
            self._slots_started[slot] = 0
        first = group[0]
        batch_target = self.batch_targets.get(first.function_name)
        broken: BaseException | None = None
        for _ in range(2):
            try:
                pool = self._ensure_pool()
                if len(group) == 1 or batch_target is None:
                    future: Future[Any] = pool.submit(
                        run_slotted_attempt,
                        slots[0],
                        first.target,
                        first.function_name,
                        first.payload,
                        first.request_id,
                        self.timeout_s,
                    )
                else:
                    future = pool.submit(
                        run_slotted_group,
                        slots,
                        first.target,
                        batch_target,
                        first.function_name,
                        [d.payload for d in group],
                        [d.request_id for d in group],
                        self.timeout_s,
                    )
            except (BrokenProcessPool, OSError) as exc:
                # a worker died: the pool is broken, or half-way there (its pipes already
                # closed), so start a fresh pool and try once more
                broken = exc
                self._discard_pool(self._pool)
                continue
            except Exception as exc:
                self._task_done(
                    slots, [(d, _failure(exc, "could not start: "), None) for d in group]
                )
                return
            future.add_done_callback(functools.partial(self._on_done, group, slots, pool=pool))
            return
        failure = _failure(BrokenProcessPool(f"the worker pool keeps breaking ({broken})"))
        self._task_done(slots, [(d, failure, None) for d in group])

    def _on_done(
        self,
        group: list[_Delivery],
        slots: list[int],
        future: Future[Any],
        *,
        pool: ProcessPoolExecutor,
    ) -> None:
        """Runs in the pool's thread: hand the outcomes to the dispatcher. When the pool broke
        (a worker died), only attempts a worker had started are charged; the prefetched ones
        that were still waiting go back to the queue unchanged."""
        started = [bool(self._slots_started[slot]) for slot in slots]
        done: list[tuple[_Delivery, AttemptResult | None, ProcessPoolExecutor | None]] = []
        try:
            answer = future.result()
            results = answer if isinstance(answer, list) else [answer]
            done = [(d, r, None) for d, r in zip(group, results, strict=True)]
        except BrokenProcessPool as exc:
            for delivery, began in zip(group, started, strict=True):
                if began:
                    done.append((delivery, _failure(exc, "a worker process died: "), pool))
                else:
                    done.append((delivery, None, pool))
        except BaseException as exc:
            done = [(d, _failure(exc), None) for d in group]
        self._task_done(slots, done)

    def _task_done(
        self,
        slots: list[int],
        done: list[tuple[_Delivery, AttemptResult | None, ProcessPoolExecutor | None]],
    ) -> None:
        with self._cond:
            self._free_slots.extend(slots)
            self._tasks -= 1
            self._completions.extend(done)
            self._cond.notify_all()

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.max_concurrency,
                mp_context=self._mp_context,
                # ignores Ctrl-C, exits when this process dies, shares the slot flags, warms up
                initializer=init_worker,
                initargs=(
                    os.getpid(),
                    self._slots_started,
                    self.warm_up,
                    self.registry.environments(),  # the functions' settings (h13-speed)
                ),
            )
        return self._pool

    def _launch(self) -> None:
        """Start every worker process now: a spawn pool starts a worker per task submitted while
        none is idle, so one no-op task per worker starts them all."""
        self.timestamps.setdefault("pool_launched", time.time())
        try:
            pool = self._ensure_pool()
            warming = [pool.submit(os.getpid) for _ in range(self.max_concurrency)]
            with self._cond:
                self._warming = warming
                self._warm_until = time.monotonic() + WARM_GATE_S
            for future in warming:
                future.add_done_callback(self._notify)
        except (BrokenProcessPool, OSError) as exc:
            # A worker died while the pool was starting (SIGKILL, the OOM killer): the next
            # shard starts a fresh pool, so this is not the user's problem and gets no traceback.
            logger.debug("the worker pool broke while starting early: %s", exc)
            self._discard_pool(self._pool)
        except Exception as exc:  # the first shard starts the pool again and reports the error
            logger.warning("could not start the worker pool early: %s", exc)
            self._discard_pool(self._pool)

    def _notify(self, _future: Future[int]) -> None:
        with self._cond:
            self._cond.notify_all()

    def _discard_pool(self, pool: ProcessPoolExecutor | None) -> None:
        if pool is not None and pool is self._pool:
            with self._cond:
                self._warming = []
            self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)


class InlineInvoker(_InvokerBase):
    """Runs each event synchronously in the caller's thread, with the same validation, JSON
    decoding, context, retries, chaos, counters and callbacks as `LocalAsyncInvoker`.

    Defaults suit tests: no retries, no retry delay. With `raise_errors` a delivery that fails
    its last attempt raises `InvocationFailed` from `invoke_async` (handy when debugging).
    Delivery settings as for `LocalAsyncInvoker`, with these defaults.
    """

    DEFAULT_OPTIONS: ClassVar[InvokerOptions] = InvokerOptions(max_retries=0, retry_delays=(0.0,))

    def __init__(
        self,
        registry: FunctionRegistry | None = None,
        *,
        options: InvokerOptions | None = None,
        raise_errors: bool = False,
        on_event: EventCallback | None = None,
        **overrides: Unpack[InvokerOptionFields],
    ) -> None:
        super().__init__(registry, options, on_event, overrides)
        self.raise_errors = raise_errors

    def invoke_async(self, function_name: str, payload: bytes) -> InvokeResult:
        for delivery in self._accept(function_name, payload):
            self._run(delivery)
        return InvokeResult(ACCEPTED)

    def _run(self, delivery: _Delivery) -> None:
        while True:
            with self._cond:
                self._queued -= 1
                self._running += 1
            result = run_attempt(
                delivery.target,
                delivery.function_name,
                delivery.payload,
                delivery.request_id,
                self.timeout_s,
                self.registry.environment_of(delivery.function_name),
            )
            with self._cond:
                event, retry = self._record(delivery, result)
                if retry:
                    self._queued += 1
            self._emit(event)
            if not retry:
                self._finish()
                if not event.ok and self.raise_errors:
                    raise InvocationFailed(event)
                return
            time.sleep(self._retry_delay(delivery.attempt))
            delivery = replace(delivery, attempt=delivery.attempt + 1)

    def wait(self, timeout: float | None = None) -> bool:
        """Nothing is ever pending once invoke_async has returned."""
        return True

    def close(self, wait: bool = True) -> None:
        with self._cond:
            self._closed = True

    def __enter__(self) -> InlineInvoker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
