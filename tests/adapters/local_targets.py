"""Target functions for the local adapter tests, imported by name in worker processes.

Each writes what it saw as a JSON file under `event["out_dir"]`, so the test process can check
what happened in other processes.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any


def _write_record(event: dict[str, Any], context: Any, **extra: Any) -> None:
    out = Path(event["out_dir"])
    record = {
        "pid": os.getpid(),
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
        **extra,
    }
    name = f"{event.get('tag', 'x')}-{uuid.uuid4().hex}.json"
    tmp = out / f".{name}"
    tmp.write_text(json.dumps(record))
    os.replace(tmp, out / name)


def record(event: dict[str, Any], context: Any) -> str:
    """Sleep `event["sleep"]` seconds and record pid, event, context and timing."""
    started = time.time()
    remaining_before = context.get_remaining_time_in_millis()
    time.sleep(event.get("sleep", 0))
    remaining_after = context.get_remaining_time_in_millis()
    _write_record(
        event,
        context,
        started=started,
        ended=time.time(),
        remaining_before=remaining_before,
        remaining_after=remaining_after,
        sigint_ignored=signal.getsignal(signal.SIGINT) == signal.SIG_IGN,
    )
    return "the return value is discarded"


def _attempts_so_far(event: dict[str, Any], context: Any) -> int:
    out = Path(event["out_dir"])
    return len(list(out.glob(f"attempt-{context.aws_request_id}-*")))


def _mark_attempt(event: dict[str, Any], context: Any) -> None:
    out = Path(event["out_dir"])
    (out / f"attempt-{context.aws_request_id}-{uuid.uuid4().hex}").write_text(str(os.getpid()))


def always_fail(event: dict[str, Any], context: Any) -> None:
    """Record the attempt, then raise."""
    _mark_attempt(event, context)
    raise ValueError(f"boom {event.get('tag')}")


def fail_first(event: dict[str, Any], context: Any) -> None:
    """Raise on the first `event["fail_times"]` attempts, then record like `record`."""
    failed_before = _attempts_so_far(event, context)
    _mark_attempt(event, context)
    if failed_before < event["fail_times"]:
        raise RuntimeError(f"transient failure {failed_before + 1}")
    record(event, context)


def crash_first(event: dict[str, Any], context: Any) -> None:
    """Kill the worker process on the first attempt, then record like `record`."""
    failed_before = _attempts_so_far(event, context)
    _mark_attempt(event, context)
    if failed_before == 0:
        os._exit(3)
    record(event, context)


def not_a_function_target(event: dict[str, Any], context: Any) -> None:
    """Import a module that does not exist (an import error inside the worker)."""
    import importlib

    importlib.import_module("serverless_sweep_no_such_module")


def race_put_if_absent(root: str, key: str, writer: int, barrier: Any, results: Any) -> None:
    """Wait for every writer, then try to create `key`; report the outcome."""
    from serverless_sweep.adapters.local.store import LocalObjectStore
    from serverless_sweep.handlers.ports import AlreadyExists

    store = LocalObjectStore(root)
    data = f"writer-{writer}-".encode() * 20_000
    barrier.wait()
    try:
        store.put_if_absent(key, data)
    except AlreadyExists:
        results.put((writer, "lost"))
    else:
        results.put((writer, "won"))


def warm_up() -> None:
    """A worker warm-up hook: record the pid and time it ran at (`WARM_OUT_DIR`)."""
    out = Path(os.environ["WARM_OUT_DIR"])
    (out / f"warm-{os.getpid()}-{uuid.uuid4().hex}").write_text(str(time.time()))


def failing_warm_up() -> None:
    """A warm-up hook that raises: the worker must still serve attempts."""
    raise RuntimeError("warm-up boom")


def slow_warm_up() -> None:
    """A warm-up hook that takes a second: every event a test sends meanwhile is queued."""
    time.sleep(1.0)


def cost_of(function_name: str, event: object) -> float:
    """A priority function: the event's own "cost" field."""
    return float(event["cost"]) if isinstance(event, dict) else 0.0


def report_state(event: dict[str, Any], context: Any) -> None:
    """Record what this worker had before its attempt: the child's lazily imported modules,
    whether ride_hailing's grid is built, frozen objects, and its parent pid."""
    import gc
    import sys

    grid = sys.modules.get("serverless_sweep.models.ride_hailing.grid")
    built = grid.berlin_grid.cache_info().currsize if grid is not None else 0
    _write_record(
        event,
        context,
        modules={name: name in sys.modules for name in event["modules"]},
        grid_built=built,
        frozen=gc.get_freeze_count(),
        ppid=os.getppid(),
    )
