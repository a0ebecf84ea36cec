"""What the local commands (`sweep run`, `redrive`, `status`, `results`, `query`) share: the
progress bar, the exit-status contract, the store option, "is a local process still working on
this run?" markers, and the text reports.

Exit status (every local command):

* 0: the run succeeded (every shard succeeded, or the failed ones stay within the request's
  tolerated_failure_percentage); for `results` and `query`, the answer was printed;
* 1: the run failed, or is incomplete (shards missing or still pending), or a runtime error;
* 2: usage error: bad flags, an unreadable request file, a rejected request (4xx), bad SQL;
* 3: no run with that run_id in the store (`status`, `redrive`, `results`, `query --run`).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import decimal
import functools
import io
import json
import os
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Final, TextIO, TypeVar

from serverless_sweep.adapters.local.invoker import InvocationEvent
from serverless_sweep.adapters.local.runtime import LOCAL_PREFIX
from serverless_sweep.adapters.local.store import (
    STORE_ENV_VAR,
    LocalObjectStore,
    store_root_from_env,
)
from serverless_sweep.core.keys import (
    DATASET_RUNS,
    DATASET_SHARD_ERRORS,
    DATASET_SHARD_METRICS,
    DATASET_SHARD_OUTCOMES,
    STATUS_ACCEPTED,
    STATUS_FAILURE,
    STATUS_SUCCESS,
    StorageLayout,
    encode_run_id,
)
from serverless_sweep.handlers.runs import RunRecord, find_run
from serverless_sweep.handlers.status import run_status

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_UNKNOWN_RUN: Final = 3

_EXIT_LINES: Final = (
    "  0  the run succeeded (all shards, or failures within tolerated_failure_percentage)",
    "  1  the run failed or is incomplete (failed, missing or pending shards), or a runtime error",
    "  2  usage error: bad flags, unreadable request file, rejected request (4xx)",
    "  3  no run with that run_id in the store",
)
EXIT_STATUS_RUN_HELP: Final = "exit status:\n" + "\n".join(_EXIT_LINES[:3])  # never 3
EXIT_STATUS_HELP: Final = "exit status:\n" + "\n".join(_EXIT_LINES)

MARKER_FOLDER: Final = ".sweep-local/active"
"""Under the store root: one file per process running a run (not a key of the layout)."""

FAILURES_SHOWN: Final = 10
BEST_SHOWN: Final = 5


# -- arguments ----------------------------------------------------------------------------------


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help=f"store folder (default: ${STORE_ENV_VAR}, else ./sweep-data)",
    )


def store_root(args: argparse.Namespace) -> Path:
    """--store, else $SWEEP_STORE, else ./sweep-data; absolute, so printed paths are usable."""
    root: Path = args.store if args.store is not None else store_root_from_env()
    return Path(os.path.abspath(root))


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def sweep_cmd() -> str:
    """How to call this program again in a suggested command: ``sweep`` when that is what the
    shell finds, else the path it was started by (``.venv/bin/sweep`` after `make run`)."""
    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0) != "sweep":
        return "sweep"  # run as a module or from a test: the installed name is the best guess
    found = shutil.which("sweep")
    with contextlib.suppress(OSError):
        if found is not None and os.path.samefile(found, argv0):
            return "sweep"
    return shlex.quote(argv0)


def store_hint(args: argparse.Namespace) -> str:
    """The ``--store DIR`` to repeat in suggested commands (empty for the default store)."""
    if args.store is None:
        return ""
    return f" --store {shlex.quote(str(args.store))}"


# -- "is somebody running this run?" ------------------------------------------------------------


def _marker_dir(root: Path, run_id: str) -> Path:
    return root / MARKER_FOLDER / encode_run_id(run_id)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def process_start_time(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (/proc/<pid>/stat field 22).

    A pid alone does not name a process: once the process that wrote a marker has died, the
    kernel may give its pid to any other process, which `kill(pid, 0)` cannot tell apart. The
    pair (pid, start time) is unique for as long as the machine runs. None where /proc is not
    available (not Linux) or the process is gone.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # Field 2 (comm) is parenthesized and may itself contain spaces and ')': split after the
    # last ')'. The fields that follow start at field 3 (state), so field 22 is index 19.
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _marker_is_live(path: Path, pid: int) -> bool:
    """The marker's process still runs: its pid is alive and, when the marker recorded the
    process start time and this system can tell it, it is still the same process."""
    if not _alive(pid):
        return False
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # unreadable (being written?): trust the live pid
    recorded = info.get("proc_start") if isinstance(info, dict) else None
    if not isinstance(recorded, int) or isinstance(recorded, bool):
        return True  # a marker of an older version: the pid is all it has
    current = process_start_time(pid)
    return current is None or current == recorded


def active_pids(root: Path, run_id: str) -> list[int]:
    """Processes of this machine (`sweep run`/`redrive`) dispatching or waiting for the run.

    Locally nothing runs a shard unless such a process is alive, so with none, a shard without
    a record is *missing* (a redrive dispatches it), not pending. Stale markers are removed:
    those of dead processes, and those whose pid now belongs to another process (the start
    time differs from the one recorded).
    """
    folder = _marker_dir(root, run_id)
    pids: list[int] = []
    with contextlib.suppress(OSError):
        for path in folder.glob("*.json"):
            try:
                pid = int(path.stem)
            except ValueError:
                continue
            if _marker_is_live(path, pid):
                pids.append(pid)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
    return sorted(pids)


@contextlib.contextmanager
def active_marker(root: Path, run_id: str, command: str) -> Iterator[None]:
    """Mark this process as working on the run for as long as the block runs."""
    folder = _marker_dir(root, run_id)
    pid = os.getpid()
    path = folder / f"{pid}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        info: dict[str, Any] = {"pid": pid, "command": command, "started": time.time()}
        proc_start = process_start_time(pid)
        if proc_start is not None:
            info["proc_start"] = proc_start
        path.write_text(json.dumps(info))
    except OSError:  # a marker is a courtesy for `sweep status`; never fail a run over it
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


# -- signals ------------------------------------------------------------------------------------


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds exactly like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


F = TypeVar("F", bound=Callable[..., Any])


def terminate_like_interrupt(command: F) -> F:
    """Decorate a command so that SIGTERM while it runs behaves like SIGINT (Ctrl-C).

    Without it SIGTERM (`kill`, `timeout`, a CI runner, a container stop) killed `sweep run`
    at once: exit 143, no hint, the run marker left behind (so `sweep status` said the run was
    still being worked on) and nothing closed. With it the command's KeyboardInterrupt path
    runs: it stops dispatching, drops queued shards, removes its marker, prints which shards
    are missing and how to redrive them, and exits 130 like Ctrl-C. The previous handler is
    put back afterwards (the commands also run in-process, in tests). Only the main thread
    can install a handler; elsewhere the command runs unchanged.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return command(*args, **kwargs)
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
        try:
            return command(*args, **kwargs)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper  # type: ignore[return-value]


# -- progress -----------------------------------------------------------------------------------


@dataclass
class _Counts:
    done: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)


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
        if not event.final or not isinstance(event.shard_id, int):
            return
        with self._lock:
            if event.ok:
                self._counts.done.add(event.shard_id)
                self._counts.failed.discard(event.shard_id)
            elif event.shard_id not in self._counts.done:
                self._counts.failed.add(event.shard_id)

    def start(self, shard_points: Mapping[int, int]) -> None:
        """The shards that were dispatched (id -> points); opens the bar."""
        with self._lock:
            self._shard_points = dict(shard_points)
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
            dispatched = set(self._shard_points)
            done = self._counts.done & dispatched
            failed = (self._counts.failed & dispatched) - done
            points = sum(self._shard_points[s] for s in done)
        end = self._ended if self._ended is not None else time.monotonic()
        pending = len(dispatched) - len(done) - len(failed)
        return len(done), len(failed), pending, points, end - self._started

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


# -- the store, read-only -----------------------------------------------------------------------


def open_store(root: Path) -> tuple[LocalObjectStore, StorageLayout]:
    """The local store and its layout, for reading (nothing is created)."""
    return LocalObjectStore(root), StorageLayout(LOCAL_PREFIX)


def load_run(root: Path, run_id: str) -> tuple[RunRecord, dict[str, Any]] | None:
    """The run's record and its RunStatus document, or None when the store has no such run."""
    if not root.is_dir():
        return None
    store, layout = open_store(root)
    record = find_run(store, layout, run_id)
    if record is None:
        return None
    return record, run_status(store, layout, record)


def exit_status_of(status: Mapping[str, Any]) -> int:
    return EXIT_OK if status.get("state") == "succeeded" else EXIT_FAILED


def local_state(status: Mapping[str, Any], pids: Sequence[int]) -> str:
    """The state to show locally: ``running`` only while a local process works on the run;
    otherwise shards without a record are missing and the run is ``incomplete``."""
    state = str(status.get("state"))
    if state == "running" and not pids:
        return "incomplete"
    return state


def status_json(status: Mapping[str, Any], pids: Sequence[int]) -> dict[str, Any]:
    """The RunStatus document plus the local view: active processes and missing shards."""
    doc = dict(status)
    pending = int(status.get("pending_shards", 0))
    doc["local_state"] = local_state(status, pids)
    doc["active_pids"] = list(pids)
    doc["missing_shards"] = 0 if pids else pending
    return doc


# -- text reports -------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100.0 * value:.1f}%"


def status_lines(
    record: RunRecord,
    status: Mapping[str, Any],
    pids: Sequence[int],
    redrive_cmd: str,
    extra: Sequence[str] = (),
) -> list[str]:
    """The status block: state, shards, coverage, `extra` lines, then what to do about missing
    or failed shards."""
    pending = int(status["pending_shards"])
    shards = (
        f"{status['shard_count']} total: {status['succeeded_shards']} succeeded, "
        f"{status['failed_shards']} failed, "
    )
    if pids:
        shards += f"{pending} pending"
    else:
        shards += f"{pending} missing"
    request = record.request
    lines = [
        f"run        {record.run_id}",
        f"state      {local_state(status, pids)}",
        f"model      {record.model} (seed {request.get('seed', 0)}, accepted {record.run_date}, "
        f"fingerprint {record.fingerprint[:12]})",
        f"shards     {shards}",
        f"coverage   {_pct(float(status['coverage']))} "
        f"({status['points_done']} of {status['total_points']} points)",
        *extra,
    ]
    tolerated = float(status.get("tolerated_failure_percentage", 0.0))
    if tolerated:
        lines.append(f"tolerated  {tolerated:g}% of shards may fail")
    if pending and pids:
        who = ", ".join(str(p) for p in pids)
        lines.append(f"           still being run by local process {who}")
    elif pending:
        missing = status.get("missing_shard_ids", [])
        shown = ", ".join(str(s) for s in missing[:20])
        more = f", ... ({pending} in all)" if pending > 20 else ""
        lines.append(f"missing    shards {shown}{more}: no record, and no local process is")
        lines.append(f"           working on them; `{redrive_cmd}` dispatches exactly those")
    lost = int(status.get("lost_shards", 0))
    refused = int(status.get("dispatch_failed_shards", 0))
    if lost:
        ids = ", ".join(str(s) for s in status.get("lost_shard_ids", [])[:20])
        more = f", ... ({lost} in all)" if lost > 20 else ""
        lines.append(f"lost       shards {ids}{more}: dispatched so long ago that no record")
        lines.append("           can arrive any more (counted as failed)")
    if refused:
        lines.append(
            f"refused    {refused} shard(s) the invoke API would not take (counted as failed)"
        )
    if (status["failed_shards"] or lost or refused) and not pending:
        lines.append(f"redrive    `{redrive_cmd}` re-runs only the shards without a success")
    return lines


def failure_lines(status: Mapping[str, Any], limit: int = FAILURES_SHOWN) -> list[str]:
    failures = list(status.get("failures", []))
    if not failures:
        return []
    lines = [f"failures (latest attempt of each failed shard, {len(failures)} in all):"]
    for failure in failures[:limit]:
        message = " ".join(str(failure.get("error_message", "")).split())
        if len(message) > 160:
            message = message[:157] + "..."
        lines.append(
            f"  shard {failure['shard_id']} attempt {failure['attempt']} "
            f"[{failure.get('error_kind', '?')}] {failure['error_code']}: {message}"
        )
    if len(failures) > limit:
        lines.append(f"  ... and {len(failures) - limit} more (--json lists them all)")
    return lines


def run_folders(record: RunRecord) -> list[tuple[str, str]]:
    """(dataset, key prefix) of the run's folders in the store."""
    layout = StorageLayout(LOCAL_PREFIX)
    folders = [
        (DATASET_SHARD_METRICS, STATUS_SUCCESS),
        (DATASET_SHARD_ERRORS, STATUS_FAILURE),
        (DATASET_SHARD_OUTCOMES, None),  # both statuses
        (DATASET_RUNS, STATUS_ACCEPTED),
    ]
    return [
        (dataset, layout.run_prefix(dataset, record.run_date, record.run_id, status))
        for dataset, status in folders
    ]


def location_lines(root: Path, record: RunRecord) -> list[str]:
    lines = [f"results (Hive-partitioned, Athena's layout) under {root}:"]
    for name, prefix in run_folders(record):
        lines.append(f"  {name:<15}{prefix}")
    return lines


def hint_lines(record: RunRecord, store_opt: str) -> list[str]:
    literal = record.run_id.replace("'", "''")
    sql = (
        f"SELECT model, count(*) AS points, avg(compute_ms) AS avg_ms "
        f"FROM shard_metrics WHERE run_id = '{literal}' GROUP BY model"
    )
    run_arg = shlex.quote(record.run_id)
    cmd = sweep_cmd()
    return [
        "query them:",
        f"  {cmd} results {run_arg}{store_opt}          # every point ranked by health score",
        f"  {cmd} query{store_opt} {shell_quote(sql)}",
        f"  {cmd} query{store_opt} --run {run_arg} --file infra/athena/queries/run_profile.sql",
    ]


def shell_quote(text: str) -> str:
    """Quote for a POSIX shell, preferring double quotes (SQL holds single quotes)."""
    if not any(c in text for c in '"$`\\!'):
        return f'"{text}"'
    return shlex.quote(text)


# -- output -------------------------------------------------------------------------------------


def _silence_stdout() -> None:
    """The reader of our pipe went away (`sweep query ... | head`): send the rest to /dev/null,
    so neither later writes nor the interpreter's final flush raise."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def emit(text: str) -> None:
    """Print a report to stdout; a closed pipe ends the output quietly, not with a traceback."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _silence_stdout()


@contextlib.contextmanager
def closed_pipe_ok() -> Iterator[None]:
    """`emit` for a block that writes to stdout itself."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()


# -- tables -------------------------------------------------------------------------------------


def format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value == int(value) and abs(value) < 1e15:
            return f"{value:.1f}"
        return f"{value:.6g}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def _numeric(value: object) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def table_lines(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    max_width: int = 60,
    formatters: Mapping[int, Callable[[object], str]] | None = None,
) -> list[str]:
    """Plain aligned columns (numbers right-aligned); cells longer than max_width are cut."""
    formatters = formatters or {}
    texts: list[list[str]] = []
    right = [False] * len(headers)
    for row in rows:
        line = []
        for i, value in enumerate(row):
            text = formatters[i](value) if i in formatters else format_cell(value)
            if len(text) > max_width:
                text = text[: max_width - 3] + "..."
            line.append(text)
            right[i] = right[i] or _numeric(value)
        texts.append(line)
    widths = [max([len(h), *(len(r[i]) for r in texts)]) for i, h in enumerate(headers)]

    def join(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return [join(headers), join(["-" * w for w in widths]), *(join(t) for t in texts)]


def json_default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def dumps_json(value: object) -> str:
    return json.dumps(value, indent=2, default=json_default)


def write_rows(
    names: Sequence[str], rows: Sequence[Mapping[str, Any]], fmt: str, out: TextIO
) -> None:
    """Rows as an aligned table, CSV (header + rows) or a JSON array of objects."""
    if fmt == "json":
        out.write(dumps_json([dict(r) for r in rows]) + "\n")
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(_csv_cell(row[n]) for n in names)
        out.write(buffer.getvalue())
    else:
        lines = table_lines(names, [[row[n] for n in names] for row in rows])
        out.write("\n".join(lines) + "\n")
        out.write(f"({len(rows)} row{'' if len(rows) == 1 else 's'})\n")


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=json_default)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


# -- best configurations ------------------------------------------------------------------------


def _as_pct(value: object) -> str:
    return "" if value is None else f"{100.0 * float(value):.1f}%"  # type: ignore[arg-type]


def _as_money(value: object) -> str:
    return "" if value is None else f"{float(value):,.0f}"  # type: ignore[arg-type]


def _as_seconds(value: object) -> str:
    return "" if value is None else f"{float(value) / 1000.0:.0f}"  # type: ignore[arg-type]


def _as_int(value: object) -> str:
    return "" if value is None else f"{int(value):,}"  # type: ignore[call-overload]


# model -> (column of a health_scores row, header, formatter): the metrics worth a glance.
DISPLAY_METRICS: Final[dict[str, tuple[tuple[str, str, Callable[[object], str]], ...]]] = {
    "ride_hailing": (
        ("conversion_rate", "conversion", _as_pct),
        ("platform_revenue", "revenue_eur", _as_money),
        ("driver_payouts", "payouts_eur", _as_money),
        ("avg_time_to_match_ms", "match_s", _as_seconds),
        ("avg_time_to_pickup_ms", "pickup_s", _as_seconds),
        ("term_cancel_rate", "cancelled", _as_pct),
        ("term_quote_abandon_rate", "quote_lost", _as_pct),
    ),
    "legacy_hash": (
        ("completed_rides", "completed", _as_int),
        ("platform_revenue_cents", "revenue_cents", _as_int),
        ("abandoned_rides", "abandoned", _as_int),
    ),
}


def swept_parameters(record: RunRecord) -> list[str]:
    """The request's dimension names, in enumeration order (sorted by code point)."""
    dimensions = record.request.get("dimensions", {})
    return sorted(dimensions) if isinstance(dimensions, dict) else []


def point_parameters(row: Mapping[str, Any], record: RunRecord) -> dict[str, Any]:
    """The swept parameter values of one ranked point.

    legacy_hash keeps a point as JSON text (it accepts any names and values); ride_hailing has
    a column per parameter.
    """
    if record.model == "legacy_hash":
        text = row.get("parameters_json")
        point = json.loads(text) if isinstance(text, str) else {}
        return dict(point) if isinstance(point, dict) else {}
    return {name: row.get(name) for name in swept_parameters(record)}


def ranked_records(rows: Sequence[Mapping[str, Any]], record: RunRecord) -> list[dict[str, Any]]:
    """health_scores rows flattened for CSV/JSON: rank, score, parameters, then the rest."""
    out = []
    for row in rows:
        flat: dict[str, Any] = {"rank": row["rank"], "health_score": row["health_score"]}
        params = point_parameters(row, record)
        flat.update(params)
        for key, value in row.items():
            if key not in flat and key not in params:
                flat[key] = value
        out.append(flat)
    return out


def best_lines(rows: Sequence[Mapping[str, Any]], record: RunRecord) -> list[str]:
    """The ranked points as a table: rank, score, swept parameters, the key metrics."""
    if not rows:
        return []
    dimensions = record.request.get("dimensions", {})
    # Only the dimensions that vary tell configurations apart; one-value ones are settings.
    params = [p for p in swept_parameters(record) if len(dimensions.get(p, ())) > 1]
    metrics = DISPLAY_METRICS.get(record.model, ())
    headers = ["rank", "score", *params, *(h for _, h, _ in metrics)]
    table: list[list[object]] = []
    for row in rows:
        point = point_parameters(row, record)
        table.append(
            [
                row["rank"],
                row["health_score"],
                *(point.get(p) for p in params),
                *(row.get(c) for c, _, _ in metrics),
            ]
        )
    formatters: dict[int, Callable[[object], str]] = {1: lambda v: f"{float(v):.3f}"}  # type: ignore[arg-type]
    for i, (_, _, fmt) in enumerate(metrics):
        formatters[2 + len(params) + i] = fmt
    return table_lines(headers, table, formatters=formatters)


def score_lines(model: str) -> list[str]:
    """How the health score is computed, in one or two lines."""
    from serverless_sweep.adapters.local.analytics import health_terms

    terms = health_terms(model)
    parts = [f"{t.weight:.2f} {t.name} {'(up)' if t.higher_is_better else '(down)'}" for t in terms]
    return [
        "health score = " + " + ".join(parts),
        "  (each metric min-max normalized across the run's points, best = 1; a metric equal "
        "at every point counts 0.5)",
    ]


def fetch_best(
    root: Path, record: RunRecord, limit: int | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Ranked points of the run via DuckDB; ([], reason) when that is not possible."""
    from serverless_sweep.adapters.local.analytics import (
        HEALTH_TERMS,
        AnalyticsUnavailable,
        health_scores,
        open_duckdb,
    )

    if record.model not in HEALTH_TERMS:
        return [], f"no health score is defined for model {record.model}"
    try:
        con = open_duckdb(root)
    except AnalyticsUnavailable as exc:
        return [], str(exc)
    try:
        return health_scores(con, record.run_id, record.model, limit=limit), None
    except Exception as exc:  # duckdb.Error: a damaged file must not hide the run's status
        return [], f"could not rank the results: {exc}"
    finally:
        con.close()
