"""The fork server of a local runtime's workers, started as early as a command can (issue 13).

`LocalRuntime`'s workers are forks of one `multiprocessing` fork server that imports the
child's stack and warms the model up once (`_preload`, `_preload_default_model`): about half a
second of CPU before the first worker exists. `LocalAsyncInvoker.start` starts that server, but
only once the runtime module and the invoker are imported, and on a 2-core machine the server's
preload is the longest leg of `sweep run`'s start-up. `sweep run` therefore calls
`start_fork_server` right after reading its arguments and request, before it imports the
runtime, the handlers and the contracts: the server preloads on the second core while this
process imports, validates and plans on the first, and the runtime's own `ensure_running` later
finds it running (the server is process-wide; its preload list is fixed when it starts, which is
why the runtime and this module compute it with the same function, `preload_modules`).

This module imports only multiprocessing: it is what runs before the heavy imports. For the
deployment default model it does not even import the model registry (its entry-point scan
imports importlib.metadata: 40-90 ms on the head start's path); another model needs it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from typing import Final

logger = logging.getLogger(__name__)

DEFAULT_MODEL_ENV: Final = "SWEEP_DEFAULT_MODEL"
BUILTIN_DEFAULT_MODEL: Final = "ride_hailing"
"""The registry's names (`models.registry`), repeated so the head start needs no registry."""
PRELOAD: Final = "serverless_sweep.adapters.local._preload"
PRELOAD_DEFAULT_MODEL: Final = "serverless_sweep.adapters.local._preload_default_model"
DEFAULT_START_METHOD: Final = (
    "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
)
"""Workers are forks of one fork server that imported the child's stack once, where the
platform has one; else spawned, each importing it. Never plain "fork": the runtime's process
has threads (the invoker's, the dispatch jobs', a server's) by the time a worker starts, and a
fork copies whatever lock one of them held."""


_started_at: list[float] = []
"""When `start_fork_server` first found a fork server running (`time.time()`)."""


def started_at() -> float | None:
    """When this process's first successful `start_fork_server` call was made (None: never):
    `sweep run --timings` shows it, the head start included."""
    return _started_at[0] if _started_at else None


def preload_modules(model: str) -> tuple[str, ...]:
    """What the fork server imports for the workers of a runtime running `model`: the child's
    stack, and the model warmed up when it is the one the server would pick (the default model
    of this process's environment, which the server inherits); else only the model's module,
    when it can be found (an unknown model is the parent's to report, not the pool's)."""
    from serverless_sweep.models.registry import default_model_name, get_model

    try:
        if model == default_model_name():
            return (PRELOAD_DEFAULT_MODEL,)  # it imports PRELOAD first
        return (type(get_model(model)).__module__, PRELOAD)  # PRELOAD last: it freezes both
    except Exception:
        return (PRELOAD,)


def _preload_for(model: str | None) -> tuple[str, ...]:
    """`preload_modules` of `model` (None: the deployment default), without the registry's
    import when it is the default model of this process's environment."""
    if model is None or model == (os.environ.get(DEFAULT_MODEL_ENV) or BUILTIN_DEFAULT_MODEL):
        return (PRELOAD_DEFAULT_MODEL,)  # _preload_default_model copes with an unknown one
    return preload_modules(model)


def start_fork_server(model: str | None = None, start_method: str | None = None) -> bool:
    """Start the fork server of a runtime running `model` (default: the deployment default)
    with `start_method` (default `DEFAULT_START_METHOD`) now, without waiting for its preload.

    True when a fork server is running afterwards (started now or already), False when the
    start method is not "forkserver" or it could not be started (the runtime tries again and
    reports it). Never raises: this is only a head start.
    """
    if (start_method or DEFAULT_START_METHOD) != "forkserver":
        return False
    began = time.time()
    try:
        from multiprocessing import forkserver

        preload = _preload_for(model)
        forkserver.set_forkserver_preload(["__main__", *preload])
        forkserver.ensure_running()
    except Exception as exc:
        logger.debug("could not start the fork server early: %s", exc)
        return False
    if not _started_at:
        _started_at.append(began)
    return True
