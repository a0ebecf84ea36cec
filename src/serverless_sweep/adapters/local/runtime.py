"""The embedded default deployment: parent and child handlers wired to local adapters.

`LocalRuntime` is what `sweep run`, `sweep serve` and the tests use: a folder as the object
store (the cloud's exact key layout, empty prefix), worker processes as the async fan-out, and
the same handler code the Lambda functions run. The child runs in a worker through
`local_child`, which finds the store from the environment exactly as a Lambda finds its bucket.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverless_sweep.adapters.local.clock import LocalClock
from serverless_sweep.adapters.local.invoker import InlineInvoker, LocalAsyncInvoker
from serverless_sweep.adapters.local.lambda_context import LocalLambdaContext
from serverless_sweep.adapters.local.registry import FunctionRegistry
from serverless_sweep.adapters.local.store import (
    STORE_ENV_VAR,
    LocalObjectStore,
    store_root_from_env,
)
from serverless_sweep.handlers.child import ChildConfig, ChildHandler
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler
from serverless_sweep.handlers.settings import RESULTS_PREFIX_ENV
from serverless_sweep.handlers.status import StatusHandler
from serverless_sweep.models.registry import DEFAULT_MODEL_ENV, default_model_name

#: Variables LocalRuntime writes into os.environ: its workers' "Lambda configuration".
RUNTIME_ENV = (STORE_ENV_VAR, RESULTS_PREFIX_ENV, DEFAULT_MODEL_ENV)
CHILD_FUNCTION_NAME = "sweep-child"
CHILD_TARGET = "serverless_sweep.adapters.local.runtime:local_child"
LOCAL_PREFIX = ""


@contextlib.contextmanager
def preserved_runtime_env() -> Iterator[None]:
    """Put back the variables a LocalRuntime overwrites (for tests and embedding programs)."""
    saved = {name: os.environ.get(name) for name in RUNTIME_ENV}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def local_child(event: object, context: LocalLambdaContext) -> dict[str, Any]:
    """The child Lambda, locally: runs in a worker process, store root from SWEEP_STORE."""
    store = LocalObjectStore(store_root_from_env())
    handler = ChildHandler(store=store, config=ChildConfig.from_env(), clock=LocalClock())
    return handler.handle(event, context.get_remaining_time_in_millis)


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


class LocalRuntime:
    """Parent + status handlers in this process, children in worker processes."""

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        root = settings.root.resolve()
        # Workers inherit the environment when they start: this is their "Lambda configuration".
        os.environ[STORE_ENV_VAR] = str(root)
        os.environ[RESULTS_PREFIX_ENV] = LOCAL_PREFIX
        model = settings.default_model or default_model_name()
        os.environ[DEFAULT_MODEL_ENV] = model
        registry = FunctionRegistry({CHILD_FUNCTION_NAME: CHILD_TARGET})
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
            )
        self.store = LocalObjectStore(root)
        self.store.check_configured()
        self.parent = ParentHandler(
            invoker=self.invoker,
            store=self.store,
            config=ParentConfig(
                child_function=CHILD_FUNCTION_NAME,
                default_model=model,
                results_prefix=LOCAL_PREFIX,
            ),
            clock=LocalClock(),
        )
        self.status = StatusHandler(self.store, self.parent.layout)

    def wait(self, timeout: float | None = None) -> bool:
        return self.invoker.wait(timeout)

    def close(self, wait: bool = True) -> None:
        """Stop the workers; with wait=False, queued shard invocations are dropped (redrive
        dispatches whatever is then missing)."""
        if isinstance(self.invoker, LocalAsyncInvoker):
            self.invoker.close(wait=wait)

    def __enter__(self) -> LocalRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
