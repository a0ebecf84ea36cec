"""`sweep redrive RUN_ID`: dispatch again exactly the shards without a success record.

The parent's `redrive` finds them from the store (failed and missing shards alike), records the
new attempt numbers, then dispatches; a succeeded shard is never re-run, and the child would
not recompute it anyway (its success envelope answers for it).
"""

from __future__ import annotations

import argparse
import shlex
import sys

from serverless_sweep.adapters.local.runtime import LocalRuntime
from serverless_sweep.entrypoints.commands import remote
from serverless_sweep.entrypoints.commands._common import (
    add_runtime_options,
    err,
    print_rejection,
    runtime_settings,
)
from serverless_sweep.entrypoints.commands._follow import wait_and_report
from serverless_sweep.entrypoints.console.exit_codes import (
    EXIT_FAILED,
    EXIT_STATUS_HELP,
    EXIT_UNKNOWN_RUN,
    EXIT_USAGE,
)
from serverless_sweep.entrypoints.console.hints import sweep_cmd
from serverless_sweep.entrypoints.console.progress_bar import ShardProgress
from serverless_sweep.entrypoints.console.signals import terminate_like_interrupt
from serverless_sweep.entrypoints.console.store import (
    add_store_option,
    load_run,
    store_hint,
    store_root,
)
from serverless_sweep.entrypoints.http.errors import problem_for
from serverless_sweep.entrypoints.http.results import dispatch_problem
from serverless_sweep.handlers.api_results import Accepted, DispatchNotStarted, NotFound
from serverless_sweep.handlers.ports import StoreNotConfigured

DESCRIPTION = """\
Re-run the shards of a run that have no success record (failed ones, and missing ones after
an interrupted `sweep run`), each with the next attempt number, then wait with a progress bar
and print the run's new status. Shards that succeeded are never run again, so a redrive is
always safe to repeat; with nothing left to do it just shows the status.
"""

EPILOG = f"""\
examples:
  sweep redrive ride-hailing-demo
  sweep redrive ride-hailing-demo --max-retries 0 --workers 1

{EXIT_STATUS_HELP}
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "redrive",
        help="re-run only the failed or missing shards of a run",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the run's run_id, as submitted")
    add_store_option(parser)
    add_runtime_options(parser)
    remote.add_api_options(parser)
    parser.set_defaults(func=run)


@terminate_like_interrupt  # SIGTERM: the KeyboardInterrupt path below, like Ctrl-C
def run(args: argparse.Namespace) -> int:
    if remote.api_url(args) is not None:  # --api URL / $SWEEP_API_URL
        return remote.redrive(args)
    root = store_root(args)
    loaded = load_run(root, args.run_id)
    if loaded is None:
        where = "" if root.is_dir() else " (the folder does not exist)"
        print(f"sweep redrive: no run {args.run_id!r} in store {root}{where}", file=sys.stderr)
        return EXIT_UNKNOWN_RUN
    record = loaded[0]
    progress = ShardProgress(record.run_id, enabled=not args.no_progress and not args.json)
    try:
        runtime = LocalRuntime(runtime_settings(args, root))
    except (StoreNotConfigured, ValueError) as exc:
        err(f"sweep redrive: {exc}")
        return EXIT_USAGE
    runtime.invoker.on_event(progress.on_event)
    try:
        try:
            result = runtime.parent.redrive(record.run_id, repair=True)
        except Exception as exc:
            problem = problem_for(exc, run_id=record.run_id)
            if problem is None:
                raise
            print_rejection("redrive", problem)
            if isinstance(exc, NotFound):
                return EXIT_UNKNOWN_RUN
            if not isinstance(exc, DispatchNotStarted):
                return EXIT_FAILED
            # recorded, but its dispatch did not start: nothing went out
            return wait_and_report(
                args, root, runtime, progress, record, {}, problem.code, "redrive"
            )
        problem = dispatch_problem(result) if isinstance(result, Accepted) else None
        if problem is not None:
            print_rejection("redrive", problem)  # some shards could not be dispatched
        submission = "redrive_submitted" if problem is None else problem.code
        redriven: set[int] = set()
        attempts: list[int] = []
        if isinstance(result, Accepted):
            redriven, attempts = result.dispatched_shard_ids, [result.attempt]
        sizes = {s.shard_id: s.end_index - s.start_index for s in record.shards}
        dispatched = {sid: sizes[sid] for sid in sorted(redriven) if sid in sizes}
        if not dispatched and not args.json:
            err(f"sweep redrive: nothing to redrive: every shard of {record.run_id!r} succeeded")
        elif dispatched and not args.json:
            which = ", ".join(str(s) for s in list(dispatched)[:20])
            more = ", ..." if len(dispatched) > 20 else ""
            err(
                f"sweep redrive: dispatching {len(dispatched)} shard(s) ({which}{more}) as "
                f"attempt {', '.join(map(str, attempts)) or '?'}"
            )
        return wait_and_report(
            args, root, runtime, progress, record, dispatched, submission, "redrive"
        )
    except KeyboardInterrupt:
        runtime.invoker.close(wait=False)
        err(
            f"sweep redrive: interrupted; `{sweep_cmd()} status {shlex.quote(record.run_id)}"
            f"{store_hint(args)}` shows what is still missing"
        )
        raise
    finally:
        runtime.close()
