"""LocalAsyncInvoker (real worker processes) and InlineInvoker, with targets in local_targets."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serverless_sweep.adapters.local import (
    ASYNC_PAYLOAD_LIMIT_BYTES,
    FunctionNotFound,
    FunctionRegistry,
    InlineInvoker,
    InvalidPayload,
    InvocationEvent,
    InvocationFailed,
    LocalAsyncInvoker,
    LocalLambdaContext,
    PayloadTooLarge,
    default_registry,
    register_function,
)
from serverless_sweep.handlers.ports import Invoker

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # spawned workers inherit sys.path, so they can import local_targets
    sys.path.insert(0, _HERE)

TARGETS = {
    "record": "local_targets:record",
    "always_fail": "local_targets:always_fail",
    "fail_first": "local_targets:fail_first",
    "crash_first": "local_targets:crash_first",
    "import_error": "local_targets:not_a_function_target",
}


@pytest.fixture(autouse=True)
def _targets_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Belt and braces for start methods that do not pass sys.path on to the workers.
    current = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", _HERE + (os.pathsep + current if current else ""))


@pytest.fixture
def registry() -> FunctionRegistry:
    return FunctionRegistry(TARGETS)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    return out


@pytest.fixture
def events() -> list[InvocationEvent]:
    return []


@pytest.fixture
def invoker(
    registry: FunctionRegistry, events: list[InvocationEvent]
) -> Iterator[LocalAsyncInvoker]:
    with LocalAsyncInvoker(
        registry, workers=2, retry_delays=(0.01, 0.02), on_event=events.append
    ) as inv:
        yield inv


def payload(out_dir: Path, **fields: Any) -> bytes:
    return json.dumps({"out_dir": str(out_dir), **fields}).encode()


def records(out_dir: Path) -> list[dict[str, Any]]:
    found = [
        json.loads(p.read_text()) for p in out_dir.glob("*.json") if not p.name.startswith(".")
    ]
    return sorted(found, key=lambda r: r.get("started", 0))


def attempts(out_dir: Path) -> list[Path]:
    return list(out_dir.glob("attempt-*"))


# -- LocalAsyncInvoker ----------------------------------------------------------------------------


def test_is_an_invoker(invoker: LocalAsyncInvoker) -> None:
    assert isinstance(invoker, Invoker)
    assert isinstance(InlineInvoker(), Invoker)


def test_invoke_returns_202_at_once_and_runs_later(
    invoker: LocalAsyncInvoker, out_dir: Path
) -> None:
    started = time.monotonic()
    result = invoker.invoke_async("record", payload(out_dir, sleep=1.0, tag="slow"))
    elapsed = time.monotonic() - started
    assert result.status_code == 202
    assert elapsed < 0.2, elapsed
    assert records(out_dir) == []
    assert invoker.stats().pending == 1
    assert invoker.wait(timeout=30)
    assert len(records(out_dir)) == 1
    stats = invoker.stats()
    assert (stats.accepted, stats.succeeded, stats.queued, stats.running) == (1, 1, 0, 0)


def test_runs_in_a_worker_process_with_the_decoded_payload(
    invoker: LocalAsyncInvoker, out_dir: Path, events: list[InvocationEvent]
) -> None:
    sent = {
        "out_dir": str(out_dir),
        "shard_id": 7,
        "run_id": "pricing-ü-%2F",
        "dimensions": {"commission_rate": [0.1, 0.2], "flag": [True, False, None]},
        "seed": 2**62,
        "nested": [{"a": []}, "ünïcode ✓"],
    }
    invoker.invoke_async("record", json.dumps(sent).encode())
    assert invoker.wait(timeout=30)
    [rec] = records(out_dir)
    assert rec["event"] == sent
    assert rec["pid"] != os.getpid()
    assert rec["function_name"] == "record"
    assert rec["arn"].endswith(":function:record")
    [event] = events
    assert event.ok and event.final
    assert (event.function_name, event.shard_id, event.attempt, event.delivery) == (
        "record",
        7,
        1,
        1,
    )
    assert event.request_id == rec["request_id"]
    assert event.pid == rec["pid"]


@pytest.mark.parametrize("max_retries", [0, 2])
def test_a_failing_function_is_retried_max_retries_times(
    registry: FunctionRegistry, out_dir: Path, max_retries: int
) -> None:
    seen: list[InvocationEvent] = []
    with LocalAsyncInvoker(
        registry, workers=2, max_retries=max_retries, retry_delays=(0.01, 0.02)
    ) as invoker:
        invoker.on_event(seen.append)
        invoker.invoke_async("always_fail", payload(out_dir, tag="t", shard_id=3))
        assert invoker.wait(timeout=30)
        stats = invoker.stats()
    assert len(attempts(out_dir)) == max_retries + 1
    assert stats.failed_attempts == max_retries + 1
    assert stats.failed_final == 1
    assert stats.succeeded == 0
    assert [e.attempt for e in seen] == list(range(1, max_retries + 2))
    assert [e.final for e in seen] == [False] * max_retries + [True]
    assert len({e.request_id for e in seen}) == 1  # retries keep the request id, as on Lambda
    for event in seen:
        assert not event.ok
        assert event.shard_id == 3
        assert event.error_type == "ValueError"
        assert event.error_message == "boom t"
        assert event.error_traceback is not None and "always_fail" in event.error_traceback


def test_a_transient_failure_then_success(
    invoker: LocalAsyncInvoker, out_dir: Path, events: list[InvocationEvent]
) -> None:
    invoker.invoke_async("fail_first", payload(out_dir, fail_times=1, tag="ok"))
    assert invoker.wait(timeout=30)
    stats = invoker.stats()
    assert (stats.succeeded, stats.failed_attempts, stats.failed_final) == (1, 1, 0)
    assert [(e.attempt, e.ok, e.final) for e in events] == [(1, False, False), (2, True, True)]
    assert events[0].error_type == "RuntimeError"
    assert len(records(out_dir)) == 1


def test_a_dying_worker_is_a_failed_attempt_and_the_pool_recovers(
    invoker: LocalAsyncInvoker, out_dir: Path, events: list[InvocationEvent]
) -> None:
    invoker.invoke_async("crash_first", payload(out_dir, tag="crash"))
    assert invoker.wait(timeout=30)
    stats = invoker.stats()
    assert (stats.succeeded, stats.failed_attempts, stats.failed_final) == (1, 1, 0)
    assert events[0].error_type == "BrokenProcessPool"
    invoker.invoke_async("record", payload(out_dir, tag="after"))
    assert invoker.wait(timeout=30)
    assert invoker.stats().succeeded == 2


def test_an_import_error_in_the_worker_is_captured(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    registry.register("missing", "serverless_sweep_no_such_module:handler")
    seen: list[InvocationEvent] = []
    with LocalAsyncInvoker(registry, workers=1, max_retries=0, on_event=seen.append) as invoker:
        invoker.invoke_async("missing", payload(out_dir))
        invoker.invoke_async("import_error", payload(out_dir))
        assert invoker.wait(timeout=30)
        assert invoker.stats().failed_final == 2
    assert {e.error_type for e in seen} == {"ModuleNotFoundError"}


def test_concurrency_never_exceeds_max_concurrency(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    running_seen: list[int] = []
    with LocalAsyncInvoker(registry, workers=4, max_concurrency=2) as invoker:
        assert invoker.max_concurrency == 2
        for i in range(6):
            invoker.invoke_async("record", payload(out_dir, sleep=0.15, shard_id=i))
        while not invoker.wait(timeout=0.01):
            running_seen.append(invoker.stats().running)
        assert invoker.stats().succeeded == 6
    assert max(running_seen) <= 2
    intervals = [(r["started"], r["ended"]) for r in records(out_dir)]
    assert len(intervals) == 6
    overlap = max(sum(1 for s, e in intervals if s <= t < e) for t, _ in intervals)
    assert overlap <= 2
    assert len({r["pid"] for r in records(out_dir)}) <= 2


def test_duplicate_delivery_rate_one_runs_every_event_twice(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    seen: list[InvocationEvent] = []
    with LocalAsyncInvoker(
        registry, workers=2, duplicate_delivery_rate=1.0, on_event=seen.append
    ) as invoker:
        for i in range(3):
            invoker.invoke_async("record", payload(out_dir, shard_id=i))
        assert invoker.wait(timeout=30)
        stats = invoker.stats()
    assert (stats.accepted, stats.duplicates, stats.succeeded, stats.deliveries) == (3, 3, 6, 6)
    shard_ids = sorted(r["event"]["shard_id"] for r in records(out_dir))
    assert shard_ids == [0, 0, 1, 1, 2, 2]
    assert sorted((e.shard_id, e.delivery) for e in seen) == [
        (i, d) for i in range(3) for d in (1, 2)
    ]


def test_a_payload_above_the_limit_is_refused(invoker: LocalAsyncInvoker, out_dir: Path) -> None:
    assert invoker.payload_limit_bytes == ASYNC_PAYLOAD_LIMIT_BYTES == 256 * 1024
    head = payload(out_dir, tag="big", pad="")[:-2]  # ends with `"pad": "`
    fill = ASYNC_PAYLOAD_LIMIT_BYTES - len(head) - 2
    at_limit = head + b"x" * fill + b'"}'
    assert len(at_limit) == ASYNC_PAYLOAD_LIMIT_BYTES
    with pytest.raises(PayloadTooLarge) as caught:
        invoker.invoke_async("record", head + b"x" * (fill + 1) + b'"}')
    assert caught.value.size == ASYNC_PAYLOAD_LIMIT_BYTES + 1
    assert invoker.stats().accepted == 0
    assert invoker.invoke_async("record", at_limit).status_code == 202
    assert invoker.wait(timeout=30)
    [rec] = records(out_dir)
    assert len(rec["event"]["pad"]) == fill


def test_remaining_time_decreases(registry: FunctionRegistry, out_dir: Path) -> None:
    with LocalAsyncInvoker(registry, workers=1, timeout_s=5) as invoker:
        invoker.invoke_async("record", payload(out_dir, sleep=0.1))
        assert invoker.wait(timeout=30)
    [rec] = records(out_dir)
    assert 3000 < rec["remaining_before"] <= 5000
    assert rec["remaining_after"] <= rec["remaining_before"] - 90


def test_bad_invocations_are_refused_synchronously(
    invoker: LocalAsyncInvoker, out_dir: Path
) -> None:
    with pytest.raises(FunctionNotFound, match="nope"):
        invoker.invoke_async("nope", payload(out_dir))
    with pytest.raises(InvalidPayload):
        invoker.invoke_async("record", b"{not json")
    with pytest.raises(InvalidPayload):
        invoker.invoke_async("record", b"\xff\xfe")
    with pytest.raises(TypeError):
        invoker.invoke_async("record", "text")  # type: ignore[arg-type]
    assert invoker.stats().accepted == 0


def test_a_failing_callback_does_not_break_the_invoker(
    invoker: LocalAsyncInvoker, out_dir: Path
) -> None:
    def explode(event: InvocationEvent) -> None:
        raise RuntimeError("callback bug")

    invoker.on_event(explode)
    invoker.invoke_async("record", payload(out_dir))
    assert invoker.wait(timeout=30)
    assert invoker.stats().succeeded == 1


def test_close_refuses_new_work_and_is_idempotent(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    invoker = LocalAsyncInvoker(registry, workers=1)
    invoker.invoke_async("record", payload(out_dir, sleep=0.1))
    invoker.close()  # waits for the queued event
    assert invoker.stats().succeeded == 1
    assert len(records(out_dir)) == 1
    with pytest.raises(RuntimeError, match="closed"):
        invoker.invoke_async("record", payload(out_dir))
    invoker.close()


def test_close_without_wait_drops_queued_events(registry: FunctionRegistry, out_dir: Path) -> None:
    invoker = LocalAsyncInvoker(registry, workers=1)
    for _ in range(5):
        invoker.invoke_async("record", payload(out_dir, sleep=0.2))
    invoker.close(wait=False)
    assert len(records(out_dir)) < 5  # it did not wait for the queued events to run
    stats = invoker.stats()
    # Dropped: the queue and any attempt handed to the pool that no worker had started.
    assert stats.queued == 0 and stats.running <= 1, stats
    assert invoker.wait() is False  # no timeout: it answers at once, the dropped never finish
    with pytest.raises(RuntimeError, match="closed"):
        invoker.invoke_async("record", payload(out_dir))


def test_options_are_validated(registry: FunctionRegistry) -> None:
    with pytest.raises(ValueError):
        LocalAsyncInvoker(registry, max_retries=3)
    with pytest.raises(ValueError):
        LocalAsyncInvoker(registry, workers=0)
    with pytest.raises(ValueError):
        LocalAsyncInvoker(registry, max_concurrency=0)
    with pytest.raises(ValueError):
        InlineInvoker(registry, duplicate_delivery_rate=1.5)
    with pytest.raises(ValueError):
        InlineInvoker(registry, timeout_s=0)


# -- InlineInvoker --------------------------------------------------------------------------------


def test_inline_runs_in_process_with_a_fresh_decode(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    seen: list[InvocationEvent] = []
    invoker = InlineInvoker(registry, on_event=seen.append)
    result = invoker.invoke_async("record", payload(out_dir, shard_id=1, x=[1.5, "y"]))
    assert result.status_code == 202
    [rec] = records(out_dir)
    assert rec["pid"] == os.getpid()
    assert rec["event"] == {"out_dir": str(out_dir), "shard_id": 1, "x": [1.5, "y"]}
    assert [(e.ok, e.final, e.shard_id) for e in seen] == [(True, True, 1)]
    assert invoker.wait() is True
    assert invoker.stats().succeeded == 1


def test_inline_retries_and_captures_errors(registry: FunctionRegistry, out_dir: Path) -> None:
    invoker = InlineInvoker(registry, max_retries=2)
    assert invoker.invoke_async("always_fail", payload(out_dir)).status_code == 202
    stats = invoker.stats()
    assert (stats.failed_attempts, stats.failed_final, stats.queued, stats.running) == (3, 1, 0, 0)
    assert len(attempts(out_dir)) == 3


def test_inline_raise_errors(registry: FunctionRegistry, out_dir: Path) -> None:
    invoker = InlineInvoker(registry, raise_errors=True)
    with pytest.raises(InvocationFailed, match="boom") as caught:
        invoker.invoke_async("always_fail", payload(out_dir, tag=None))
    assert caught.value.event.error_type == "ValueError"
    invoker.invoke_async("record", payload(out_dir))  # successes do not raise


def test_inline_checks_payloads_like_the_async_invoker(registry: FunctionRegistry) -> None:
    invoker = InlineInvoker(registry, payload_limit_bytes=10)
    with pytest.raises(PayloadTooLarge):
        invoker.invoke_async("record", b'{"a": "123456"}')
    with pytest.raises(FunctionNotFound):
        invoker.invoke_async("nope", b"{}")
    with pytest.raises(InvalidPayload):
        invoker.invoke_async("record", b"{")


def test_duplicate_delivery_is_deterministic_per_seed(registry: FunctionRegistry) -> None:
    registry.register("noop", "json:dumps")

    def pattern(seed: int) -> list[int]:
        seen: list[InvocationEvent] = []
        invoker = InlineInvoker(
            registry, duplicate_delivery_rate=0.5, chaos_seed=seed, on_event=seen.append
        )
        for i in range(200):
            invoker.invoke_async("noop", json.dumps({"shard_id": i}).encode())
        assert invoker.stats().duplicates == sum(1 for e in seen if e.delivery == 2)
        return [e.shard_id for e in seen if e.delivery == 2]  # type: ignore[misc]

    first = pattern(1)
    assert pattern(1) == first
    assert pattern(2) != first
    assert 60 < len(first) < 140


# -- registry and context -------------------------------------------------------------------------


def test_registry_checks_targets_and_names() -> None:
    registry = FunctionRegistry()
    with pytest.raises(ValueError):
        registry.register("f", "no_colon")
    with pytest.raises(ValueError):
        registry.register("f", "mod:")
    with pytest.raises(ValueError):
        registry.register("", "mod:f")
    registry.register("f", "pkg.mod:obj.method")
    assert "f" in registry
    assert registry.names() == ["f"]
    assert registry.target_of("f") == "pkg.mod:obj.method"
    registry.unregister("f")
    with pytest.raises(FunctionNotFound):
        registry.target_of("f")


def test_register_function_uses_the_default_registry() -> None:
    register_function("test-local-invoker-default", "local_targets:record")
    try:
        assert default_registry.target_of("test-local-invoker-default") == "local_targets:record"
        assert InlineInvoker().registry is default_registry
    finally:
        default_registry.unregister("test-local-invoker-default")


def test_lambda_context_counts_down() -> None:
    now = [100.0]
    context = LocalLambdaContext("child", "req-1", timeout_s=3, monotonic=lambda: now[0])
    assert context.get_remaining_time_in_millis() == 3000
    now[0] += 1.25
    assert context.get_remaining_time_in_millis() == 1750
    now[0] += 10
    assert context.get_remaining_time_in_millis() == 0
    assert context.aws_request_id == "req-1"
    assert context.function_name == "child"
    assert context.invoked_function_arn == "arn:aws:lambda:local:000000000000:function:child"
    assert context.function_version == "$LATEST"
    assert LocalLambdaContext("c", "r").get_remaining_time_in_millis() > 899_000


def test_workers_ignore_ctrl_c_meant_for_the_parent(
    invoker: LocalAsyncInvoker, out_dir: Path
) -> None:
    """A terminal's SIGINT reaches the whole process group; workers must leave it to the parent."""
    invoker.invoke_async("record", payload(out_dir, tag="sigint"))
    assert invoker.wait(timeout=60)
    [rec] = records(out_dir)
    assert rec["pid"] != os.getpid() and rec["sigint_ignored"] is True


# -- workers never outlive their parent (issue 9, item 5) ---------------------------------------

ORPHAN_SCRIPT = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
from serverless_sweep.adapters.local import FunctionRegistry, LocalAsyncInvoker
registry = FunctionRegistry({"record": "local_targets:record"})
invoker = LocalAsyncInvoker(registry, workers=2, start_method=sys.argv[3])
for i in range(4):
    invoker.invoke_async("record", json.dumps({"out_dir": sys.argv[1], "tag": f"o{i}"}).encode())
assert invoker.wait(timeout=120)
print("ready", flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux /proc")
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_workers_exit_when_the_invoking_process_is_killed(out_dir: Path, method: str) -> None:
    """Item 5: SIGKILL of the process that owns the invoker; its idle workers used to wait on
    their call queue for ever. A fork-server worker's parent is the fork server, which stays
    up while its workers do, so they must watch the invoker's process itself (issue 13: the
    local runtime's default). Bounded poll, no timing assertion."""
    import signal
    import subprocess

    proc = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT, str(out_dir), _HERE, method],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    workers: set[int] = set()
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        workers = {rec["pid"] for rec in records(out_dir)}
        assert workers and proc.pid not in workers
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 60
        while _running(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(workers), f"workers outlived their parent: {_running(workers)}"
    finally:
        proc.kill()
        proc.wait()
        for pid in _running(workers):
            os.kill(pid, signal.SIGKILL)


def _running(pids: set[int]) -> set[int]:
    """Pids that exist and are not zombies (a container's pid 1 may never reap orphans)."""
    alive = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        if stat[stat.rfind(b")") + 2 :].split()[0] not in (b"Z", b"X"):
            alive.add(pid)
    return alive


def test_a_worker_survives_the_exit_of_the_thread_that_started_it() -> None:
    """The death signal (PR_SET_PDEATHSIG) fires when the *thread* that spawned a worker exits
    (the invoker's dispatcher thread), not only its process: the worker must check that its
    parent process is really gone before leaving."""
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    from serverless_sweep.adapters.local._worker import init_worker

    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(os.getpid(),),
    )
    try:
        first: list[int] = []
        starter = threading.Thread(target=lambda: first.append(pool.submit(os.getpid).result()))
        starter.start()
        starter.join()  # the spawning thread is gone; the worker got its death signal
        time.sleep(0.5)  # let the signal be handled (the result below is what is asserted)
        assert pool.submit(os.getpid).result(timeout=60) == first[0]
    finally:
        pool.shutdown()


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_other_start_methods_keep_their_workers(
    registry: FunctionRegistry, out_dir: Path, method: str
) -> None:
    """With "forkserver" a worker's parent is the fork server, not the invoker's process: the
    watchdog must watch the parent it has, not mistake itself for an orphan and exit."""
    with LocalAsyncInvoker(registry, workers=1, start_method=method, max_retries=0) as inv:
        for i in range(3):
            inv.invoke_async("record", payload(out_dir, tag=f"{method}{i}"))
        assert inv.wait(timeout=120)
        stats = inv.stats()
    assert (stats.succeeded, stats.failed_attempts) == (3, 0)
    assert len({rec["pid"] for rec in records(out_dir)}) == 1  # one worker served them all


def test_start_warms_each_worker_up_once_before_its_first_attempt(
    registry: FunctionRegistry, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARM_OUT_DIR", str(out_dir))
    with LocalAsyncInvoker(
        registry, workers=2, max_retries=0, warm_up=("local_targets:warm_up",)
    ) as invoker:
        invoker.start()
        deadline = time.monotonic() + 60
        while len(list(out_dir.glob("warm-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        warmed = {p.name.split("-")[1]: float(p.read_text()) for p in out_dir.glob("warm-*")}
        assert len(warmed) == 2, "start() launches and warms every worker before any event"
        for i in range(4):
            invoker.invoke_async("record", payload(out_dir, shard_id=i))
        assert invoker.wait(timeout=60)
    runs = records(out_dir)
    assert len(list(out_dir.glob("warm-*"))) == 2  # once per worker, not per attempt
    assert {str(r["pid"]) for r in runs} <= set(warmed)
    assert all(r["started"] >= warmed[str(r["pid"])] for r in runs)


FORK_SERVER_SCRIPT = """
import json, os, sys
sys.path.insert(0, sys.argv[2])
from serverless_sweep.adapters.local import FunctionRegistry, LocalAsyncInvoker
registry = FunctionRegistry({"report": "local_targets:report_state"})
preload = tuple(json.loads(sys.argv[3]))
modules = ["pyarrow.parquet", "pyarrow.compute", "serverless_sweep.handlers.child"]
with LocalAsyncInvoker(registry, workers=1, start_method="forkserver", preload=preload) as inv:
    inv.start()
    inv.invoke_async("report", json.dumps({"out_dir": sys.argv[1], "modules": modules}).encode())
    assert inv.wait(timeout=120)
    assert inv.stats().succeeded == 1
print(os.getpid())
"""


@pytest.mark.parametrize("warm", [True, False])
def test_fork_server_workers_start_with_the_preloaded_child_and_model(
    out_dir: Path, warm: bool
) -> None:
    """Issue 13: with "forkserver" and the runtime's preload, a worker is a fork of a server
    that imported the child's stack (its lazy imports too) and built the default model's grid,
    with no warm-up of its own, and whose objects are frozen. Without the preload a worker has
    none of it. A fresh process each: the fork server is one per process, started once."""
    from serverless_sweep.adapters.local.runtime import PRELOAD_DEFAULT_MODEL

    preload = [PRELOAD_DEFAULT_MODEL] if warm else []
    env = {k: v for k, v in os.environ.items() if k != "SWEEP_DEFAULT_MODEL"}
    proc = subprocess.run(
        [sys.executable, "-c", FORK_SERVER_SCRIPT, str(out_dir), _HERE, json.dumps(preload)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    [rec] = records(out_dir)
    assert rec["ppid"] != int(proc.stdout.split()[-1])  # its parent is the fork server
    if warm:
        assert all(rec["modules"].values()), rec["modules"]
        assert rec["grid_built"] == 1
        assert rec["frozen"] > 0
    else:
        assert not any(rec["modules"].values()), rec["modules"]
        assert rec["grid_built"] == 0


def test_attempts_report_when_they_started_and_their_worker_started_up(
    registry: FunctionRegistry, out_dir: Path, events: list[InvocationEvent]
) -> None:
    """`sweep run --timings` reads these: each attempt's start (wall clock) and its worker's
    start-up (process start, initializer, warm-up done), in that order."""
    with LocalAsyncInvoker(registry, workers=1, max_retries=0, on_event=events.append) as inv:
        inv.start()
        inv.invoke_async("record", payload(out_dir))
        assert inv.wait(timeout=60)
    [event] = events
    assert event.started_at is not None and event.worker is not None
    clock = event.worker
    assert clock.started_at is not None  # from /proc, to a clock tick: not ordered finer
    assert clock.init_at <= clock.warm_at <= event.started_at
    assert inv.timestamps["pool_launched"] <= inv.timestamps["first_handover"]


def test_a_failing_warm_up_leaves_the_worker_serving(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    with LocalAsyncInvoker(
        registry, workers=1, max_retries=0, warm_up=("local_targets:failing_warm_up",)
    ) as invoker:
        invoker.invoke_async("record", payload(out_dir))
        assert invoker.wait(timeout=60)
        assert invoker.stats().succeeded == 1


def test_prefetch_keeps_more_events_in_flight_but_only_max_concurrency_running(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    seen: list[tuple[int, int]] = []
    with LocalAsyncInvoker(registry, workers=1, prefetch=3, max_retries=0) as invoker:
        assert invoker.in_flight_limit == 4
        for i in range(6):
            invoker.invoke_async("record", payload(out_dir, sleep=0.1, shard_id=i))
        while not invoker.wait(timeout=0.01):
            stats = invoker.stats()
            seen.append((stats.running, stats.queued))
        assert invoker.stats().succeeded == 6
    assert max(running for running, _ in seen) == 1
    assert all(running + queued <= 6 for running, queued in seen)
    intervals = sorted((r["started"], r["ended"]) for r in records(out_dir))
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(intervals))


def test_a_dead_worker_charges_an_attempt_only_to_the_shard_it_was_running(
    registry: FunctionRegistry, out_dir: Path, events: list[InvocationEvent]
) -> None:
    """The crash takes the prefetched events down with the pool; they never started, so they
    run again as attempt 1 and succeed even without retries."""
    with LocalAsyncInvoker(
        registry, workers=1, prefetch=3, max_retries=0, on_event=events.append
    ) as invoker:
        invoker.invoke_async("crash_first", payload(out_dir, tag="crash"))
        for i in range(3):
            invoker.invoke_async("record", payload(out_dir, tag=f"queued{i}", sleep=0.01))
        assert invoker.wait(timeout=60)
        stats = invoker.stats()
    assert (stats.succeeded, stats.failed_attempts, stats.failed_final) == (3, 1, 1)
    failed = [e for e in events if not e.ok]
    assert [e.error_type for e in failed] == ["BrokenProcessPool"]
    assert all(e.attempt == 1 for e in events)


def test_the_runtime_warm_up_builds_the_default_models_grid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serverless_sweep.adapters.local.runtime import warm_child
    from serverless_sweep.models.ride_hailing.grid import berlin_grid

    monkeypatch.setenv("SWEEP_STORE", str(tmp_path))
    monkeypatch.setenv("SWEEP_DEFAULT_MODEL", "ride_hailing")
    # Not cache_clear(): other tests on this worker hold the cached grid and check identity.
    before = berlin_grid.cache_info()
    warm_child()
    after = berlin_grid.cache_info()
    assert after.hits + after.misses > before.hits + before.misses  # the warm-up asked for it
    assert after.currsize == 1


class _HalfBrokenPool:
    """A worker pool caught half-way through breaking: a worker was SIGKILLed, the pool closed
    its pipes, but is not yet marked broken, so `submit` fails with the OSError CI saw. The race
    cannot be produced on demand with a real pool, so this stand-in raises exactly that error."""

    def __init__(self) -> None:
        self.shut_down = False

    def submit(self, *_args: Any, **_kwargs: Any) -> Any:
        raise OSError("handle is closed")

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.shut_down = True


def _break_the_first_pool(
    invoker: LocalAsyncInvoker, monkeypatch: pytest.MonkeyPatch
) -> _HalfBrokenPool:
    broken = _HalfBrokenPool()
    real_ensure = invoker._ensure_pool
    calls = itertools.count()

    def ensure() -> Any:
        if next(calls) == 0:
            invoker._pool = broken  # type: ignore[assignment]
            return broken
        return real_ensure()

    monkeypatch.setattr(invoker, "_ensure_pool", ensure)
    return broken


def test_a_pool_breaking_while_it_starts_early_is_no_error_for_the_user(
    registry: FunctionRegistry,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with LocalAsyncInvoker(registry, workers=1, max_retries=0) as invoker:
        broken = _break_the_first_pool(invoker, monkeypatch)
        invoker.start()
        invoker.invoke_async("record", payload(out_dir))
        assert invoker.wait(timeout=60)
        assert invoker.stats().succeeded == 1
    assert broken.shut_down
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert not [r for r in caplog.records if r.exc_info]


def test_a_pool_breaking_under_a_submit_is_replaced_without_charging_the_shard(
    registry: FunctionRegistry,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    events: list[InvocationEvent],
) -> None:
    with LocalAsyncInvoker(registry, workers=1, max_retries=0, on_event=events.append) as invoker:
        broken = _break_the_first_pool(invoker, monkeypatch)
        invoker.invoke_async("record", payload(out_dir))
        assert invoker.wait(timeout=60)
        stats = invoker.stats()
    assert broken.shut_down
    assert (stats.succeeded, stats.failed_attempts) == (1, 0)
    assert [e.attempt for e in events] == [1]


def test_with_a_priority_the_costliest_queued_events_start_first(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    """Events queued while the worker warms up start costliest first (then in arrival order
    among equals), and none is handed to the worker before it is warm; without a priority
    the same events run in arrival order."""
    import local_targets

    costs = [1, 5, 3, 5, 0, 4]
    with LocalAsyncInvoker(
        registry,
        workers=1,
        max_retries=0,
        warm_up=("local_targets:slow_warm_up",),
        priority=local_targets.cost_of,
    ) as invoker:
        invoker.start()
        for i, cost in enumerate(costs):
            invoker.invoke_async("record", payload(out_dir, shard_id=i, cost=cost))
        assert invoker.wait(timeout=60)
    order = [r["event"]["shard_id"] for r in records(out_dir)]
    assert order == [1, 3, 5, 2, 0, 4], order


def test_without_a_priority_events_run_in_arrival_order(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    with LocalAsyncInvoker(
        registry, workers=1, max_retries=0, warm_up=("local_targets:slow_warm_up",)
    ) as invoker:
        invoker.start()
        for i, cost in enumerate([1, 5, 3]):
            invoker.invoke_async("record", payload(out_dir, shard_id=i, cost=cost))
        assert invoker.wait(timeout=60)
    assert [r["event"]["shard_id"] for r in records(out_dir)] == [0, 1, 2]


def test_the_runtime_ranks_a_ride_hailing_shard_by_its_points_costs() -> None:
    from serverless_sweep.adapters.local.runtime import CHILD_FUNCTION_NAME, shard_cost

    def event(drivers: list[int], start: int, end: int) -> dict[str, Any]:
        return {
            "model": "ride_hailing",
            "dimensions": {"num_drivers": drivers, "num_riders": [1000]},
            "start_index": start,
            "end_index": end,
        }

    cheap = shard_cost(CHILD_FUNCTION_NAME, event([100, 1600], 0, 1))
    costly = shard_cost(CHILD_FUNCTION_NAME, event([100, 1600], 1, 2))
    both = shard_cost(CHILD_FUNCTION_NAME, event([100, 1600], 0, 2))
    assert 0 < cheap < costly and both == pytest.approx(cheap + costly)
    legacy = {**event([1], 0, 1), "model": "legacy_hash"}
    assert shard_cost(CHILD_FUNCTION_NAME, legacy) == 0.0  # no hint: arrival order
    assert shard_cost(CHILD_FUNCTION_NAME, "not an event") == 0.0


def test_request_ids_are_uuid_shaped_and_unique_within_and_across_invokers(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    import uuid

    from serverless_sweep.adapters.local import invoker as invoker_module

    seen: list[str] = []
    for _ in range(2):
        invoker = InlineInvoker(registry, on_event=lambda e: seen.append(e.request_id))
        for shard in range(50):
            invoker.invoke_async("record", payload(out_dir, shard_id=shard))
    assert len(set(seen)) == len(seen) == 100
    assert all(str(uuid.UUID(r)) == r for r in seen)  # canonical UUID text, as Lambda's
    ids = invoker_module._RequestIds()
    ids._counter = itertools.count(0xFFFFFFFFFFFF)  # the counter wraps within its 48 bits
    assert [ids.next()[-12:] for _ in range(2)] == ["ffffffffffff", "000000000000"]


# -- invoke_async_many (the dispatcher's batches, issue 13) -------------------------------------


def test_invoke_async_many_answers_each_payload_and_runs_each_accepted_one_as_its_own_event(
    invoker: LocalAsyncInvoker, out_dir: Path, events: list[InvocationEvent]
) -> None:
    too_big = b'{"pad": "' + b"x" * ASYNC_PAYLOAD_LIMIT_BYTES + b'"}'
    batch = [
        payload(out_dir, shard_id=0),
        b"{not json",
        payload(out_dir, shard_id=2),
        too_big,
        "text",  # type: ignore[list-item]
        payload(out_dir, shard_id=5),
    ]
    answers = invoker.invoke_async_many("record", batch)
    assert [type(a).__name__ for a in answers] == [
        "InvokeResult",
        "InvalidPayload",
        "InvokeResult",
        "PayloadTooLarge",
        "TypeError",
        "InvokeResult",
    ]
    assert all(a.status_code == 202 for a in answers if not isinstance(a, Exception))
    assert invoker.wait(timeout=30)
    assert invoker.stats().accepted == invoker.stats().succeeded == 3
    assert sorted(r["event"]["shard_id"] for r in records(out_dir)) == [0, 2, 5]
    request_ids = [e.request_id for e in events]
    assert len(set(request_ids)) == 3  # one event, one request id each
    assert sorted(e.payload for e in events) == sorted(batch[i] for i in (0, 2, 5))


def test_invoke_async_many_refuses_every_payload_of_an_unknown_function_or_a_closed_invoker(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    with LocalAsyncInvoker(registry, workers=1) as invoker:
        answers = invoker.invoke_async_many("nope", [payload(out_dir), payload(out_dir)])
        assert [type(a) for a in answers] == [FunctionNotFound, FunctionNotFound]
        assert invoker.invoke_async_many("record", []) == []
    answers = invoker.invoke_async_many("record", [payload(out_dir), b"{"])
    assert [type(a) for a in answers] == [RuntimeError, InvalidPayload]
    assert "closed" in str(answers[0])
    assert invoker.stats().accepted == 0
    assert records(out_dir) == []


def test_invoke_async_many_retries_and_duplicates_each_event_on_its_own(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    seen: list[InvocationEvent] = []
    with LocalAsyncInvoker(
        registry,
        workers=2,
        retry_delays=(0.01,),
        duplicate_delivery_rate=1.0,
        on_event=seen.append,
    ) as invoker:
        answers = invoker.invoke_async_many(
            "always_fail", [payload(out_dir, shard_id=i) for i in range(3)]
        )
        assert all(not isinstance(a, Exception) for a in answers)
        assert invoker.wait(timeout=60)
        stats = invoker.stats()
    assert (stats.accepted, stats.duplicates, stats.deliveries) == (3, 3, 6)
    assert (stats.failed_attempts, stats.failed_final) == (18, 6)
    # every delivery of every event has its own attempts 1, 2, 3, the last one final
    by_delivery: dict[tuple[object, int], list[tuple[int, bool]]] = {}
    for e in seen:
        by_delivery.setdefault((e.shard_id, e.delivery), []).append((e.attempt, e.final))
    assert sorted(by_delivery) == [(i, d) for i in range(3) for d in (1, 2)]
    for attempts_seen in by_delivery.values():
        assert sorted(attempts_seen) == [(1, False), (2, False), (3, True)]
    assert len({e.request_id for e in seen}) == 3  # a duplicate keeps its event's request id


def test_invoke_async_many_draws_the_same_duplicates_as_one_call_per_payload(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    payloads = [json.dumps({"shard_id": i}).encode() for i in range(200)]

    def duplicated(batched: bool) -> list[int]:
        invoker = LocalAsyncInvoker(registry, workers=1, duplicate_delivery_rate=0.5, chaos_seed=3)
        try:
            invoker._stopping = True  # nothing is handed to a worker: only the accepting counts
            if batched:
                invoker.invoke_async_many("record", payloads)
            else:
                for p in payloads:
                    invoker.invoke_async("record", p)
            heap = sorted(invoker._heap)
            return [d.shard_id for *_, d in heap if d.delivery == 2]  # type: ignore[misc]
        finally:
            invoker.close(wait=False)

    one_by_one = duplicated(False)
    assert 60 < len(one_by_one) < 140
    assert duplicated(True) == one_by_one


def test_worker_idle_says_when_a_worker_has_nothing_left_to_take(
    registry: FunctionRegistry, out_dir: Path
) -> None:
    with LocalAsyncInvoker(registry, workers=2) as invoker:
        assert invoker.worker_idle()  # nothing queued, nothing running
        invoker.invoke_async_many("record", [payload(out_dir, sleep=0.5) for _ in range(3)])
        assert not invoker.worker_idle()  # queued or running on both workers
        assert invoker.wait(timeout=30)
        assert invoker.worker_idle()
