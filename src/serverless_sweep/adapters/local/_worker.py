"""What runs inside a worker process for one invocation attempt (also used in-process), and the
worker's initializer: ignore Ctrl-C, and never outlive the parent process.

Why a worker must watch its parent: a ProcessPoolExecutor worker waits for work on a pipe that
it holds both ends of (the spawned child inherits the queue whole), so when the parent is killed
(SIGKILL of `sweep run` or `sweep serve`) the worker never sees end-of-file. It would finish its
shard, then sleep for ever, about 190 MB each. Two independent guards end it:

* Linux: `prctl(PR_SET_PDEATHSIG, SIGUSR1)`. The kernel sends it when the *thread* that created
  the worker exits (for the local invoker, its dispatcher thread), not only when the process
  does, so the handler exits only when the parent process is really gone (`os.getppid()` is no
  longer the pid the worker was started by; the kernel reparents before it signals).
* Everywhere: a daemon watchdog thread that polls `os.getppid()` every `WATCHDOG_INTERVAL_S`
  (covers other systems and a signal lost to a race) and exits the same way. A fork-server
  worker (the local runtime's default) polls the invoker's process itself instead: its parent
  is the fork server, which outlives the invoker for as long as a worker lives.

Exiting with `os._exit` mid-shard is safe: the store publishes every object atomically
(temporary file, then rename/link), so an abandoned attempt leaves no partial object, and
the shard is simply missing (a redrive dispatches it).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Mapping, MutableSequence, Sequence
from dataclasses import dataclass, replace
from types import FrameType
from typing import Final, cast

from serverless_sweep.adapters.local.lambda_context import LocalLambdaContext
from serverless_sweep.adapters.local.registry import resolve_target

WATCHDOG_INTERVAL_S: Final = 0.25
"""How often the watchdog thread looks at the parent pid."""

ORPHAN_EXIT_STATUS: Final = 1
"""A worker whose parent died leaves with this status (nobody is left to read it)."""

_PR_SET_PDEATHSIG: Final = 1  # <linux/prctl.h>
PARENT_DEATH_SIGNAL: Final = signal.SIGUSR1


@dataclass(frozen=True, slots=True)
class WorkerClock:
    """When a worker process started, began its initializer and finished warming up (wall
    clock, `time.time()`, comparable across processes): what `sweep run --timings` shows of
    the start-up a worker pays before its first shard (issue 13)."""

    started_at: float | None
    """The process's start time from the kernel (None where /proc cannot tell)."""
    init_at: float
    """The initializer began: the interpreter is up and the pool's modules are imported."""
    warm_at: float
    """The warm-up targets returned: the worker is ready for its first attempt."""


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """The outcome of one attempt, sent back to the parent (always picklable)."""

    ok: bool
    pid: int | None
    duration_s: float
    error_type: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    started_at: float | None = None
    """Wall clock (`time.time()`) when the attempt began in its worker (None: never ran)."""
    worker: WorkerClock | None = None
    """The start-up of the worker that ran it (None in the invoker's own process)."""


def ignore_interrupts() -> None:
    """Ctrl-C belongs to the parent process.

    A terminal sends SIGINT to the whole process group; workers that took it would die with
    KeyboardInterrupt tracebacks mid-shard. The parent decides whether to drain or drop work.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_slots_started: MutableSequence[int] | None = None
"""The invoker's shared "started" flags, one per in-flight slot (see `run_slotted_attempt`)."""

_worker_clock: WorkerClock | None = None
"""This worker's start-up times (set by `init_worker`; None in the invoker's process)."""

_environments: dict[str, dict[str, str]] = {}
"""This worker's functions' environment variables (from the registry, via `init_worker`)."""


def function_environment(function_name: str) -> dict[str, str]:
    """The environment a worker was given for `function_name` (empty in the invoker's process
    or for a function registered without one); warm-up targets read their settings here."""
    return dict(_environments.get(function_name, {}))


def init_worker(
    parent_pid: int,
    slots_started: MutableSequence[int] | None = None,
    warm_up: Sequence[str] = (),
    environments: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Worker initializer: ignore Ctrl-C, exit as soon as `parent_pid` is gone, then warm up.

    `environments` are the functions' environment variables (Lithops' `extra_env`): kept in
    this worker and handed to each attempt as `context.environment`, never written into
    `os.environ`. `warm_up` targets ("module:function") are called once, before the first
    attempt, so the imports, the model and its grid are paid while the parent is still
    planning, not inside the first shard; then everything alive is frozen (`gc.freeze`). A
    failing warm-up is reported on stderr and ignored: the shard that needs the same code then
    fails with the same error, recorded like any other.
    """
    global _slots_started, _worker_clock
    init_at = time.time()
    ignore_interrupts()
    exit_with_parent(parent_pid)
    _slots_started = slots_started
    _environments.clear()
    _environments.update({name: dict(env) for name, env in (environments or {}).items()})
    for target in warm_up:
        try:
            resolve_target(target)()
        except Exception:
            print(f"worker warm-up {target} failed (ignored):", file=sys.stderr)
            traceback.print_exc()
    # What the imports and the warm-up made lives as long as the worker: out of the collector's
    # sight (its permanent generation), a shard's full collections walk only the shard's own
    # objects, and a fork-server worker does not copy the server's pages by touching them.
    gc.freeze()
    _worker_clock = WorkerClock(process_started_at(), init_at, time.time())


def worker_clock() -> WorkerClock | None:
    """This worker's start-up times (the invoker's start-up probe returns them)."""
    return _worker_clock


def process_started_at(pid: int | str = "self") -> float | None:
    """When a process started, wall clock, from /proc (Linux; None elsewhere or on error):
    field 22 of /proc/PID/stat is the start in clock ticks since boot, /proc/uptime the time
    since boot now (both to 10 ms; /proc/stat's btime is whole seconds, too coarse for start-up
    phases of a tenth of a second)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
        ticks = int(stat[stat.rfind(b")") + 2 :].split()[19])
        with open("/proc/uptime", "rb") as handle:
            uptime = float(handle.read().split()[0])
        now = time.time()
        return now - (uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


def _pid_running(pid: int) -> bool:
    """The process exists and is not a zombie (a killed parent stays a zombie until its own
    parent reaps it, and `kill(pid, 0)` still succeeds on a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        stat = b""
    if stat:
        return stat[stat.rfind(b")") + 2 :][:1] not in (b"Z", b"X")
    try:  # no /proc: ask the kernel
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _leave() -> None:
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(ORPHAN_EXIT_STATUS)


def _set_parent_death_signal(signum: int) -> bool:
    """prctl(PR_SET_PDEATHSIG) through libc; False where it is not available (not Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _start_ticks(pid: int) -> bytes | None:
    """A live process's start time (field 22 of /proc/PID/stat: with the pid, its identity
    across pid reuse); None when it is gone, a zombie, or /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if len(fields) < 20 or fields[0] in (b"Z", b"X"):
        return None
    return fields[19]


def exit_with_parent(parent_pid: int, interval_s: float = WATCHDOG_INTERVAL_S) -> None:
    """Make this process exit once the invoker's process (`parent_pid`) has died.

    Started by it directly ("spawn", "fork"), that is our parent, and its death shows as a new
    parent pid (the kernel reparents before it sends the death signal). With "forkserver" our
    parent is the fork server, which does not exit with the invoker's process: it lives as long
    as any holder of its "alive" pipe, and every worker holds one. So a fork-server worker
    watches the invoker's process itself, by pid and start time (a reused pid is another
    process), and the death signal (armed against the server) only makes it look sooner. A
    worker whose invoker is already gone when this runs (killed while the worker imported)
    leaves at once. See the module docstring for why both the signal and the watchdog exist.
    """
    watched = os.getppid()
    if watched == parent_pid:

        def orphaned() -> bool:
            return os.getppid() != watched

    else:
        if watched == 1 or not _pid_running(parent_pid):
            _leave()
        identity = _start_ticks(parent_pid)  # None without /proc: then the pid alone

        def orphaned() -> bool:
            if not _pid_running(parent_pid):
                return True
            return identity is not None and _start_ticks(parent_pid) != identity

    def on_parent_death(signum: int, frame: FrameType | None) -> None:
        if orphaned():
            _leave()

    if threading.current_thread() is threading.main_thread():
        signal.signal(PARENT_DEATH_SIGNAL, on_parent_death)
        _set_parent_death_signal(PARENT_DEATH_SIGNAL)

    def watch() -> None:
        while not orphaned():
            time.sleep(interval_s)
        _leave()

    # Checked after arming the signal: a parent that died before prctl sent no signal.
    if orphaned():
        _leave()
    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def run_slotted_attempt(
    slot: int, target: str, function_name: str, payload: bytes, request_id: str, timeout_s: float
) -> AttemptResult:
    """`run_attempt`, first marking `slot` as started: if this worker's pool breaks, the invoker
    charges an attempt only to the shards a worker had begun, not to those still queued."""
    if _slots_started is not None:
        _slots_started[slot] = 1
    return run_attempt(target, function_name, payload, request_id, timeout_s)


def run_slotted_group(
    slots: Sequence[int],
    target: str,
    batch_target: str,
    function_name: str,
    payloads: Sequence[bytes],
    request_ids: Sequence[str],
    timeout_s: float,
) -> list[AttemptResult]:
    """Several attempts of one function in one pool task (tiny shards, issue 13): one round
    trip through the invoker instead of one per attempt, and one durability barrier for all.

    `batch_target` ("module:function") is called with the function's environment and returns
    the context manager of a durability batch (`LocalObjectStore.durability_batch`): every
    attempt runs inside it, each with its own context, deadline and error capture, so each
    attempt's outcome stays its own. The batch's end makes the attempts' writes durable and
    publishes their commits; an attempt whose commit could not be (`batch.problems`) is
    reported failed, so the invoker retries just that one. Each attempt marks its slot as
    started when it begins: if the worker dies mid-task, the invoker charges the attempts that
    had begun (their retry adopts or recomputes what they left uncommitted) and queues the
    others again, uncharged.
    """
    environment = _environments.get(function_name)
    results: list[AttemptResult] = []
    try:
        batch_context = resolve_target(batch_target)(environment)
        with batch_context as batch:
            for index, (slot, payload, request_id) in enumerate(
                zip(slots, payloads, request_ids, strict=True)
            ):
                if _slots_started is not None:
                    _slots_started[slot] = 1
                if batch is not None:
                    batch.owner = index
                results.append(
                    _run(target, function_name, payload, request_id, timeout_s, environment)
                )
        problems: Mapping[int, BaseException] = getattr(batch, "problems", {})
    except Exception as exc:  # the batch itself failed: no attempt of it is known committed
        problems = {index: exc for index in range(len(results))}
    for index, problem in problems.items():
        if index < len(results) and results[index].ok:
            results[index] = _failed_commit(results[index], problem)
    # A batch that could not even be opened ran nothing: run the rest one by one, unbatched.
    for slot, payload, request_id in list(zip(slots, payloads, request_ids, strict=True))[
        len(results) :
    ]:
        results.append(
            run_slotted_attempt(slot, target, function_name, payload, request_id, timeout_s)
        )
    return results


def _failed_commit(result: AttemptResult, problem: BaseException) -> AttemptResult:
    return replace(
        result,
        ok=False,
        error_type=type(problem).__qualname__,
        error_message=f"the attempt's commit was not made durable: {problem}",
        error_traceback="".join(traceback.format_exception(problem)),
    )


def run_attempt(
    target: str,
    function_name: str,
    payload: bytes,
    request_id: str,
    timeout_s: float,
    environment: Mapping[str, str] | None = None,
) -> AttemptResult:
    """Decode the JSON payload, build a context and call the target; never raise.

    `environment`: the function's variables (default: what `init_worker` was given for it)."""
    if environment is None:
        environment = _environments.get(function_name)
    return _run(target, function_name, payload, request_id, timeout_s, environment)


def _run(
    target: str,
    function_name: str,
    payload: bytes,
    request_id: str,
    timeout_s: float,
    environment: Mapping[str, str] | None,
) -> AttemptResult:
    """`run_attempt` with the environment resolved.

    A worker's own environment of the function (`init_worker`'s copy, which never changes)
    is the context's `environment` itself, the same object for every attempt, as one Lambda
    execution environment keeps one `os.environ`: the handler a function keeps per
    environment object (`runtime._child_handler`) is then found at once instead of being
    looked up by its settings per attempt (issue 13: tiny shards cheap). Any other mapping
    (the invoker's own process) is copied into the context, as before."""
    started = time.monotonic()
    started_at = time.time()
    try:
        function = resolve_target(target)
        event = json.loads(payload)
        own = environment is not None and environment is _environments.get(function_name)
        context = LocalLambdaContext(
            function_name, request_id, timeout_s=timeout_s, environment=None if own else environment
        )
        if own:
            context.environment = cast("dict[str, str]", environment)
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
            started_at=started_at,
            worker=_worker_clock,
        )
    return AttemptResult(
        ok=True,
        pid=os.getpid(),
        duration_s=time.monotonic() - started,
        started_at=started_at,
        worker=_worker_clock,
    )
