"""After a dispatch (`sweep run`, `sweep redrive`): wait for the shards with a progress bar,
then print the run's summary (or one JSON document) and choose the exit status."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from serverless_sweep.adapters.local.invoker import InvocationEvent, InvokerStats
from serverless_sweep.adapters.local.runtime import LocalRuntime
from serverless_sweep.entrypoints.commands._common import err
from serverless_sweep.entrypoints.console.exit_codes import EXIT_FAILED, exit_status_of
from serverless_sweep.entrypoints.console.hints import hint_lines, sweep_cmd
from serverless_sweep.entrypoints.console.markers import active_marker, active_pids
from serverless_sweep.entrypoints.console.output import emit
from serverless_sweep.entrypoints.console.progress_bar import ShardProgress
from serverless_sweep.entrypoints.console.ranking import (
    BEST_SHOWN,
    best_lines,
    fetch_best,
    score_lines,
)
from serverless_sweep.entrypoints.console.reports import (
    failure_lines,
    location_lines,
    run_folders,
    status_json,
    status_lines,
)
from serverless_sweep.entrypoints.console.store import open_store, store_hint
from serverless_sweep.entrypoints.console.tables import dumps_json
from serverless_sweep.entrypoints.console.timings import TIMELINE
from serverless_sweep.handlers.runs import RunRecord


class SummaryWarmUp:
    """Imports what the closing summary needs (DuckDB, pyarrow, the ranking) on a thread of its
    own as soon as a worker has fallen idle for good: nothing is waiting for a worker any more
    and fewer attempts run than there are workers.

    The ranking's imports and DuckDB's first connection cost about half a second of CPU, paid
    after the last shard otherwise. From the moment the last shards are all running, one
    worker after the other falls idle (the run's tail), so this work takes a core no shard
    needs. Not sooner (issue 13): started when the last shard is handed out, while every
    worker is still busy, it took a share of their cores on a machine with as many cores as
    workers and the last shards ended later by about as much.
    """

    def __init__(
        self,
        stats: Callable[[], InvokerStats],
        workers: int | None = None,
        dispatching: Callable[[], bool] | None = None,
        worker_idle: Callable[[], bool] | None = None,
    ) -> None:
        self._stats = stats
        self._workers = workers
        self._dispatching = dispatching
        """True while a dispatch job may still invoke shards: until then an empty queue only
        means the next claim has not arrived yet (at the start, before the first invoke)."""
        self._worker_idle = worker_idle
        """The invoker's own word that a worker has nothing left to take, when it has one (the
        local invoker's pool tasks carry groups of attempts, so its attempt counts say little
        about its workers); otherwise the rule on `stats` above."""
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def on_event(self, event: InvocationEvent | None = None) -> None:
        """An invoker callback: start the warm-up once nothing is queued and, with `workers`
        known, fewer than that many attempts run."""
        with self._lock:
            if self._thread is not None:
                return
            if self._worker_idle is not None:
                if not self._worker_idle():  # the usual answer during the run: one lock
                    return
            else:
                stats = self._stats()
                busy = self._workers is not None and stats.running >= self._workers
                if stats.queued > 0 or busy:
                    return
            if self._dispatching is not None and self._dispatching():
                return
            self._thread = threading.Thread(target=_warm_summary, name="summary-warm-up")
            self._thread.start()

    def join(self) -> None:
        """Wait for a started warm-up (the summary needs its modules anyway)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()


def _warm_summary() -> None:
    with contextlib.suppress(Exception):  # only a head start: the summary reports problems
        import duckdb

        from serverless_sweep.adapters.local import analytics  # noqa: F401
        from serverless_sweep.entrypoints.console import ranking  # noqa: F401

        duckdb.connect(":memory:").close()


def wait_and_report(
    args: argparse.Namespace,
    root: Path,
    runtime: LocalRuntime,
    progress: ShardProgress,
    record: RunRecord,
    dispatched: dict[int, int],
    submission: str,
    command: str,
) -> int:
    """Wait for the dispatched shards (progress bar), then print the summary; exit status."""
    idle = True
    warm_up = SummaryWarmUp(
        runtime.invoker.stats,
        getattr(runtime.invoker, "max_concurrency", None),
        lambda: runtime.scheduler.active > 0,
        getattr(runtime.invoker, "worker_idle", None),
    )
    if dispatched:
        runtime.invoker.on_event(warm_up.on_event)
        warm_up.on_event()  # the queue may have emptied before the callback was registered
        with active_marker(root, record.run_id, f"sweep {command}"):
            progress.start(dispatched)
            idle = progress.wait(runtime.wait)
        TIMELINE.mark("every dispatched shard finished (wait returned)")
        err(progress.final_line())
        if not idle:
            err(f"sweep {command}: the local invoker stopped before every shard finished")
    # the record in hand (the parent's, as it wrote it): its manifest of every shard is not
    # read and checked again (about 0.05-0.08 s of CPU after the last shard at 10,000 shards)
    from serverless_sweep.handlers.status import run_status

    store, layout = open_store(root)
    status = run_status(store, layout, record)
    pids = active_pids(root, record.run_id)
    TIMELINE.mark("run status loaded")
    warm_up.join()
    best, best_problem = fetch_best(root, record, BEST_SHOWN)
    TIMELINE.mark("best configurations ranked")
    code = exit_status_of(status) if idle else EXIT_FAILED
    if args.json:
        doc = {
            "run_id": record.run_id,
            "submission": {
                "status": submission,
                "shards_dispatched": len(dispatched),
            },
            "status": status_json(status, pids),
            "wall_time_s": round(progress.elapsed_s, 3) if dispatched else None,
            "points_per_second": round(progress.points_per_second, 3) if dispatched else None,
            "best_configurations": best,
            "store": str(root),
            "folders": {name: str(root / prefix) for name, prefix in run_folders(record)},
            "exit_status": code,
        }
        emit(dumps_json(doc))
        TIMELINE.mark("summary printed")
        return code
    shown = progress if dispatched else None
    print_summary(args, root, record, status, pids, shown, best, best_problem)
    TIMELINE.mark("summary printed")
    return code


def print_summary(
    args: argparse.Namespace,
    root: Path,
    record: RunRecord,
    status: dict[str, Any],
    pids: list[int],
    progress: ShardProgress | None,
    best: list[dict[str, Any]],
    best_problem: str | None,
) -> None:
    opt = store_hint(args)
    extra = []
    if progress is not None:
        extra.append(
            f"wall time  {progress.elapsed_s:.1f} s ({progress.points_per_second:.1f} points/s "
            f"with {runtime_workers(args)})"
        )
    redrive = f"{sweep_cmd()} redrive {shlex.quote(record.run_id)}{opt}"
    lines = ["", *status_lines(record, status, pids, redrive, extra)]
    failures = failure_lines(status)
    if failures:
        lines += ["", *failures]
    lines.append("")
    if best:
        lines.append(
            f"best configurations by health score (top {len(best)} of {status['points_done']} "
            f"points; `{sweep_cmd()} results {shlex.quote(record.run_id)}{opt}` ranks them all):"
        )
        lines += ["  " + line for line in best_lines(best, record)]
        lines += ["  " + line for line in score_lines(record.model)]
    elif best_problem:
        lines.append(f"best configurations: {best_problem}")
    else:
        lines.append("best configurations: no points have results yet")
    lines += ["", *location_lines(root, record), "", *hint_lines(record, opt)]
    emit("\n".join(lines))


def runtime_workers(args: argparse.Namespace) -> str:
    workers = args.workers or os.cpu_count() or 1
    if args.max_concurrency and args.max_concurrency < workers:
        return f"{args.max_concurrency} of {workers} workers"
    return f"{workers} worker{'s' if workers != 1 else ''}"
