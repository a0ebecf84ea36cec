"""The embedded default deployment: parent and child handlers wired to local adapters.

`LocalRuntime` is what `sweep run`, `sweep serve` and the tests use: a folder as the object
store (the cloud's exact key layout, empty prefix), worker processes as the async fan-out, and
the same handler code the Lambda functions run. The child runs in a worker through
`local_child`, which finds the store in its function's environment exactly as a Lambda finds its
bucket, except that the variables are handed over explicitly (`context.environment`, from the
runtime's function registry, like Lithops' `extra_env`) instead of through `os.environ`: two
runtimes in one process, with different stores or default models, never see each other's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The start method and the fork server's preload (moved to a light module that `sweep run`
# imports first, to start the server before the heavy imports; issue 13), re-exported here.
from serverless_sweep.adapters.local._preload_server import (
    DEFAULT_START_METHOD as DEFAULT_START_METHOD,
)
from serverless_sweep.adapters.local._preload_server import PRELOAD as PRELOAD
from serverless_sweep.adapters.local._preload_server import (
    PRELOAD_DEFAULT_MODEL as PRELOAD_DEFAULT_MODEL,
)
from serverless_sweep.adapters.local._preload_server import preload_modules
from serverless_sweep.adapters.local._worker import function_environment
from serverless_sweep.adapters.local.clock import LocalClock
from serverless_sweep.adapters.local.invoker import (
    InlineInvoker,
    InvocationEvent,
    LocalAsyncInvoker,
)
from serverless_sweep.adapters.local.lambda_context import LocalLambdaContext
from serverless_sweep.adapters.local.registry import FunctionRegistry
from serverless_sweep.adapters.local.store import (
    STORE_ENV_VAR,
    LocalObjectStore,
    store_root_from_env,
)
from serverless_sweep.core.space import SPACE_FIELDS, SweepSpace, space_of
from serverless_sweep.handlers.settings import RESULTS_PREFIX_ENV
from serverless_sweep.models.registry import DEFAULT_MODEL_ENV, default_model_name, get_model

if TYPE_CHECKING:
    # Imported where they are used: the child's and the recorder's stacks (numpy, pyarrow) are
    # never needed by the parent process; the parent's (the contracts' pydantic models) are
    # imported by LocalRuntime after it has launched its workers, so the workers start up
    # while the parent imports (issue 13: start-up is most of a short `sweep run`).
    from serverless_sweep.handlers.child import ChildConfig, ChildHandler
    from serverless_sweep.handlers.failure_recorder import FailureRecorder

#: The child's "Lambda configuration" variables. LocalRuntime hands them to its workers
#: explicitly (the registry's function environment) and no longer writes them into os.environ;
#: the name stays for tests and embedding programs that clear them from a child's environment.
RUNTIME_ENV = (STORE_ENV_VAR, RESULTS_PREFIX_ENV, DEFAULT_MODEL_ENV)
CHILD_FUNCTION_NAME = "sweep-child"
CHILD_TARGET = "serverless_sweep.adapters.local.runtime:local_child"
WARM_UP_TARGET = "serverless_sweep.adapters.local.runtime:warm_child"
BATCH_TARGET = "serverless_sweep.adapters.local.runtime:child_batch"
LOCAL_PREFIX = ""
LOCAL_FUNCTION_ARN = "arn:aws:lambda:local:000000000000:function:" + CHILD_FUNCTION_NAME
#: Attempts queued in the worker pool ahead of each running one. One is enough for shards of
#: seconds; for one-point shards of a millisecond the parent's round trip (callbacks, the next
#: submit) is longer than the shard, and a worker that finds its queue empty idles. Queued
#: attempts are taken by whichever worker is free first, so a deeper queue never makes a slow
#: shard's neighbours wait, and an attempt queued when a worker dies is not charged.
PREFETCH_PER_WORKER = 4
DISPATCH_RETRIES = 2  # Lambda retries a failed asynchronous invocation (the dispatcher) twice
LOCAL_CLAIM_SIZE = 1024
"""Items per dispatch claim locally (the cloud's default is 256). A local claim's invokes are
one call of the invoker (`invoke_async_many`), so a claim costs mostly its two ledger writes
(about 1-2 ms of the parent's CPU each, with their fsyncs): 20 writes for 10,000 shards instead
of 80. A dispatcher thread dies only with its process, which takes the run's workers with it,
so the larger claims in doubt after a crash change only how the missing shards are counted
(in doubt, then lost, against undispatched, then lost), not what redrive reruns."""
WORKER_DIED = "BrokenProcessPool"

logger = logging.getLogger(__name__)

_preload_modules = preload_modules  # the name the runtime's tests know it by


@contextlib.contextmanager
def preserved_runtime_env() -> Iterator[None]:
    """Put back the runtime's variables after a block (for tests and embedding programs that
    set them; LocalRuntime itself leaves os.environ alone)."""
    saved = {name: os.environ.get(name) for name in RUNTIME_ENV}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_child_handlers: dict[tuple[Path, ChildConfig], ChildHandler] = {}
_last_handler: list[tuple[Mapping[str, str], ChildHandler]] = []
"""The handler of the last environment object seen (a worker is given one per function and
never changes it): reading the settings again per shard cost about 0.15 ms (issue 13)."""


def _child_handler(environment: Mapping[str, str] | None = None) -> ChildHandler:
    """The worker's child handler for a function environment (default: os.environ), built once
    per configuration (a warm Lambda container keeps its handler's objects too). Imported here,
    not at the top: the parent process (`sweep run`) never runs a child, and the child's stack
    (numpy, pyarrow, the contracts' models) is most of the CLI's start-up otherwise."""
    if environment and _last_handler and _last_handler[0][0] is environment:
        return _last_handler[0][1]
    from serverless_sweep.handlers.child import ChildConfig, ChildHandler

    env = environment or os.environ
    key = (store_root_from_env(env), ChildConfig.from_env(env))
    handler = _child_handlers.get(key)
    if handler is None:
        store = LocalObjectStore(key[0])
        handler = _child_handlers[key] = ChildHandler(
            store=store, config=key[1], clock=LocalClock()
        )
    if environment and environment is not os.environ:
        _last_handler[:] = [(environment, handler)]
    return handler


def local_child(event: object, context: LocalLambdaContext) -> dict[str, Any]:
    """The child Lambda, locally: runs in a worker process, store root from SWEEP_STORE of the
    function's environment (`context.environment`; os.environ when it has none)."""
    environment = getattr(context, "environment", None)
    return _child_handler(environment).handle(event, context.get_remaining_time_in_millis)


def child_batch(
    environment: Mapping[str, str] | None = None,
) -> contextlib.AbstractContextManager[Any]:
    """The durability batch around a group of child attempts in one worker task (the invoker's
    `batch_targets`): their group commits share one barrier (see adapters/local/store.py)."""
    store = _child_handler(environment).store
    if isinstance(store, LocalObjectStore):
        return store.durability_batch()
    return contextlib.nullcontext(None)


_SPACES: dict[str, SweepSpace] = {}  # a run's point space by its dimensions' text


def shard_cost(function_name: str, event: object) -> float:
    """The expected relative cost of a child event, for the invoker's costliest-first order:
    the sum of its model's `cost_hint` over the shard's points; 0.0 (arrival order) for a
    model without one (legacy_hash: every shard costs the same) or an event it cannot read."""
    if function_name != CHILD_FUNCTION_NAME or not isinstance(event, dict):
        return 0.0
    name = event.get("model")
    hint = getattr(get_model(name), "cost_hint", None) if isinstance(name, str) else None
    dimensions = event.get("dimensions")
    if not callable(hint) or not isinstance(dimensions, dict):
        return 0.0
    document = {
        "dimensions": dimensions,
        **{k: event[k] for k in SPACE_FIELDS if event.get(k) is not None},
    }
    text = json.dumps(document, sort_keys=True)
    space = _SPACES.get(text)
    if space is None:
        space = _SPACES[text] = space_of(document)
    start, end = int(event["start_index"]), int(event["end_index"])
    return float(sum(hint(point) for _, point in space.iter_points(start, end)))


def warm_child() -> None:
    """Worker warm-up (before its first shard): the child handler and the deployment's default
    model, with the model's own `warm_up()` hook when it has one (ride_hailing builds its grid).
    The settings are the child function's environment this worker was given."""
    handler = _child_handler(function_environment(CHILD_FUNCTION_NAME))
    name = handler.config.default_model
    if name is None:
        return
    hook = getattr(get_model(name), "warm_up", None)
    if callable(hook):
        hook()


class ThreadDispatchScheduler:
    """Local dispatch jobs: each on a thread of its own, as Lambda runs the parent's dispatch
    invocation beside the API. A job that raises is retried twice after a short pause (Lambda's
    async retry policy); the ledger makes a retry resume where the failed run stopped."""

    def __init__(self, run_job: Callable[[str, str], object], retry_delay_s: float = 0.2) -> None:
        self._run_job = run_job
        self._retry_delay_s = retry_delay_s
        self._cond = threading.Condition()
        self._active = 0
        self.failed_jobs: list[tuple[str, str, str]] = []

    def schedule(self, run_id: str, job: str) -> None:
        with self._cond:
            self._active += 1
        thread = threading.Thread(
            target=self._run, args=(run_id, job), name=f"sweep-dispatch-{job}", daemon=True
        )
        thread.start()

    def _run(self, run_id: str, job: str) -> None:
        try:
            for attempt in range(1 + DISPATCH_RETRIES):
                try:
                    self._run_job(run_id, job)
                    return
                except Exception as exc:
                    logger.exception("dispatch job %s of run %r failed", job, run_id)
                    if attempt == DISPATCH_RETRIES:
                        with self._cond:
                            self.failed_jobs.append((run_id, job, f"{type(exc).__name__}: {exc}"))
                    else:
                        time.sleep(self._retry_delay_s)
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    @property
    def active(self) -> int:
        with self._cond:
            return self._active

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no dispatch job is running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._active == 0, timeout)


@dataclass(frozen=True, slots=True)
class LocalSettings:
    """Knobs of the local deployment (CLI flags and environment map onto these)."""

    root: Path
    workers: int | None = None  # None: one per core
    max_concurrency: int | None = None
    max_retries: int = 2
    retry_delays: tuple[float, ...] = (0.2, 0.5)
    duplicate_delivery_rate: float = 0.0
    timeout_s: float = 900.0
    default_model: str | None = None
    inline: bool = False  # run children in-process, synchronously (debugging, tests)
    dispatch_concurrency: int = 4  # a local invoke is a queue push: a few threads suffice
    poll_interval_s: float = 0.2  # how often a capped run (max_concurrency) looks for outcomes
    prefetch_per_worker: int = PREFETCH_PER_WORKER
    """Attempts queued ahead per running worker (see PREFETCH_PER_WORKER)."""
    start_method: str | None = None
    """How worker processes start: None picks DEFAULT_START_METHOD."""


def _running_workers(settings: LocalSettings) -> int:
    """Worker processes the invoker runs: `workers` (default one per core), capped."""
    workers = settings.workers or os.cpu_count() or 1
    return min(workers, settings.max_concurrency) if settings.max_concurrency else workers


class LocalRuntime:
    """Parent + status handlers in this process, children in worker processes."""

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        self.timestamps: dict[str, float] = {}
        """Wall-clock moments of the dispatch jobs (`sweep run --timings`): the first job's
        start ("dispatch_started") and the latest job's end ("dispatch_done")."""
        root = settings.root.resolve()
        model = settings.default_model or default_model_name()
        # The child's "Lambda configuration", handed to each invocation explicitly.
        self.child_environment = {
            STORE_ENV_VAR: str(root),
            RESULTS_PREFIX_ENV: LOCAL_PREFIX,
            DEFAULT_MODEL_ENV: model,
        }
        registry = FunctionRegistry()
        registry.register(CHILD_FUNCTION_NAME, CHILD_TARGET, self.child_environment)
        self.invoker: LocalAsyncInvoker | InlineInvoker
        if settings.inline:
            self.invoker = InlineInvoker(
                registry,
                max_retries=settings.max_retries,
                retry_delays=(0.0,),
                duplicate_delivery_rate=settings.duplicate_delivery_rate,
                timeout_s=settings.timeout_s,
            )
        else:
            self.invoker = LocalAsyncInvoker(
                registry,
                workers=settings.workers,
                max_concurrency=settings.max_concurrency,
                max_retries=settings.max_retries,
                retry_delays=settings.retry_delays,
                duplicate_delivery_rate=settings.duplicate_delivery_rate,
                timeout_s=settings.timeout_s,
                warm_up=(WARM_UP_TARGET,),
                batch_targets={CHILD_FUNCTION_NAME: BATCH_TARGET},
                priority=shard_cost,
                prefetch=settings.prefetch_per_worker * _running_workers(settings),
                start_method=settings.start_method or DEFAULT_START_METHOD,
                preload=_preload_modules(model),
            )
            # Workers spawn, import and warm up while the parent imports, validates and plans.
            self.invoker.start()
        from serverless_sweep.handlers.dispatcher import DispatchSettings
        from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
        from serverless_sweep.handlers.status import StatusHandler

        self.store = LocalObjectStore(root)
        self.store.check_configured()
        self.scheduler = ThreadDispatchScheduler(self._run_dispatch_job)
        self.parent = ParentHandler(
            invoker=self.invoker,
            store=self.store,
            config=ParentConfig(
                child_function=CHILD_FUNCTION_NAME,
                default_model=model,
                results_prefix=LOCAL_PREFIX,
                dispatcher_function="local-dispatcher",
            ),
            clock=LocalClock(),
            scheduler=self.scheduler,
        )
        self.dispatch_settings = DispatchSettings(
            concurrency=settings.dispatch_concurrency,
            chunk_size=LOCAL_CLAIM_SIZE,
            poll_interval_s=settings.poll_interval_s,
            lost_after_s=self.parent.config.lost_after_s,
        )
        self.status = StatusHandler(
            self.store, self.parent.layout, lost_after_s=self.parent.config.lost_after_s
        )
        # Lambda's on-failure destination, emulated: an attempt that died without a record
        # (a killed worker, retries exhausted) is recorded by the same handler code, built on
        # the first failure (it imports the Parquet writer, which a run without one never needs).
        self._recorder: FailureRecorder | None = None
        self.invoker.on_event(self._on_final_failure)

    @property
    def recorder(self) -> FailureRecorder:
        """The on-failure recorder of this runtime's store."""
        if self._recorder is None:
            from serverless_sweep.handlers.failure_recorder import FailureRecorder

            self._recorder = FailureRecorder(self.store, self.parent.layout, LocalClock())
        return self._recorder

    def _run_dispatch_job(self, run_id: str, job: str) -> object:
        self.timestamps.setdefault("dispatch_started", time.time())
        dispatcher = self.parent.dispatcher(self.dispatch_settings)
        dispatcher.idle = self._invoker_idle
        try:
            return dispatcher.run(run_id, job)
        finally:
            self.timestamps["dispatch_done"] = time.time()

    def _invoker_idle(self) -> bool:
        return self.invoker.stats().pending == 0

    def _on_final_failure(self, event: InvocationEvent) -> None:
        if event.ok or not event.final or event.function_name != CHILD_FUNCTION_NAME:
            return
        from serverless_sweep.handlers.failure_recorder import destination_record, log_once

        died = event.error_type == WORKER_DIED
        record = destination_record(
            event.payload,
            request_id=event.request_id or str(uuid.uuid4()),
            function_arn=LOCAL_FUNCTION_ARN,
            condition="RetriesExhausted",
            invoke_count=event.attempt,
            error_type="Runtime.ExitError" if died else str(event.error_type or "Unknown"),
            error_message=(
                f"Runtime exited with error: the worker process (pid {event.pid or '?'}) died "
                f"({event.error_message})"
                if died
                else str(event.error_message or "")
            ),
            stack_trace=(event.error_traceback or "").splitlines(),
            timestamp=LocalClock().now(),
        )
        try:
            self.recorder.handle(record)
        except Exception as exc:  # never break the invoker's callbacks; the shard stays missing
            log_once(
                "recorder", exc, f"could not record the failure of shard {event.shard_id}: {exc}"
            )

    def wait(self, timeout: float | None = None) -> bool:
        """Block until dispatch jobs and every shard invocation they made have finished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self.scheduler.wait(left):
                return False
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self.invoker.wait(left):
                return False
            if self.scheduler.active == 0:  # no job started a new one meanwhile
                return True

    def close(self, wait: bool = True) -> None:
        """Stop the workers; with wait=False, queued shard invocations are dropped (redrive
        dispatches whatever is then missing)."""
        if wait:
            self.scheduler.wait()
        if isinstance(self.invoker, LocalAsyncInvoker):
            self.invoker.close(wait=wait)

    def __enter__(self) -> LocalRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
