"""What runs inside a worker process for one invocation attempt (also used in-process)."""

from __future__ import annotations

import json
import os
import signal
import time
import traceback
from dataclasses import dataclass

from serverless_sweep.adapters.local.lambda_context import LocalLambdaContext
from serverless_sweep.adapters.local.registry import resolve_target


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """The outcome of one attempt, sent back to the parent (always picklable)."""

    ok: bool
    pid: int | None
    duration_s: float
    error_type: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None


def ignore_interrupts() -> None:
    """Worker initializer: Ctrl-C belongs to the parent process.

    A terminal sends SIGINT to the whole process group; workers that took it would die with
    KeyboardInterrupt tracebacks mid-shard. The parent decides whether to drain or drop work.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_attempt(
    target: str, function_name: str, payload: bytes, request_id: str, timeout_s: float
) -> AttemptResult:
    """Decode the JSON payload, build a context and call the target; never raise."""
    started = time.monotonic()
    try:
        function = resolve_target(target)
        event = json.loads(payload)
        context = LocalLambdaContext(function_name, request_id, timeout_s=timeout_s)
        function(event, context)
    except BaseException as exc:  # a function error never crashes the worker or the invoker
        if isinstance(exc, KeyboardInterrupt):
            raise
        return AttemptResult(
            ok=False,
            pid=os.getpid(),
            duration_s=time.monotonic() - started,
            error_type=type(exc).__qualname__,
            error_message=str(exc),
            error_traceback="".join(traceback.format_exception(exc)),
        )
    return AttemptResult(ok=True, pid=os.getpid(), duration_s=time.monotonic() - started)
