"""`sweep wait RUN_ID`: wait until a run has finished, with a progress bar, then its status.

Against an API (`--api URL`, $SWEEP_API_URL) it polls `GET /sweep-run/{run_id}`. Locally it
polls the store while a `sweep run`/`sweep redrive` process works on the run; without one,
nothing will finish the run's missing shards, so it reports the run at once (`incomplete`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

from serverless_sweep.entrypoints.commands import remote
from serverless_sweep.entrypoints.commands.submit import add_wait_options
from serverless_sweep.entrypoints.console.exit_codes import (
    EXIT_FAILED,
    EXIT_STATUS_HELP,
    EXIT_UNKNOWN_RUN,
    exit_status_of,
)
from serverless_sweep.entrypoints.console.hints import sweep_cmd
from serverless_sweep.entrypoints.console.markers import active_pids
from serverless_sweep.entrypoints.console.output import emit
from serverless_sweep.entrypoints.console.reports import (
    failure_lines,
    local_state,
    status_json,
    status_lines,
)
from serverless_sweep.entrypoints.console.store import (
    add_store_option,
    load_run,
    store_hint,
    store_root,
)
from serverless_sweep.entrypoints.console.tables import dumps_json

DESCRIPTION = """\
Wait until a run is finished (succeeded or failed), showing a progress bar on a terminal, then
print its status as `sweep status` does. --timeout gives up after that many seconds (exit 1;
the run itself goes on).

Against an API (--api URL or $SWEEP_API_URL) it polls the API. Locally it waits while a
`sweep run` or `sweep redrive` process works on the run, and returns at once when none does.
"""

EPILOG = f"""\
examples:
  sweep wait pricing-2026-11 --api http://127.0.0.1:8000
  sweep wait pricing-2026-11 --api http://127.0.0.1:8000 --timeout 600 --json

{EXIT_STATUS_HELP}
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "wait",
        help="wait until a run has finished, then show its status",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the run's run_id, as submitted")
    add_store_option(parser)
    add_wait_options(parser)
    remote.add_api_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if remote.api_url(args) is not None:
        return remote.wait(args)
    root = store_root(args)
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    while True:
        loaded = load_run(root, args.run_id)
        if loaded is None:
            where = "" if root.is_dir() else " (the folder does not exist)"
            print(f"sweep wait: no run {args.run_id!r} in store {root}{where}", file=sys.stderr)
            return EXIT_UNKNOWN_RUN
        record, status = loaded
        pids = active_pids(root, record.run_id)
        if local_state(status, pids) != "running":
            break
        if deadline is not None and time.monotonic() >= deadline:
            print(
                f"sweep wait: run {record.run_id!r} is still running after {args.timeout:g} s; "
                "it goes on",
                file=sys.stderr,
            )
            emit("\n".join(status_lines(record, status, pids, "")))
            return EXIT_FAILED
        time.sleep(args.poll_interval)
    if args.json:
        emit(dumps_json(status_json(status, pids)))
    else:
        redrive = f"{sweep_cmd()} redrive {shlex.quote(record.run_id)}{store_hint(args)}"
        lines = status_lines(record, status, pids, redrive)
        failures = failure_lines(status)
        if failures:
            lines += ["", *failures]
        emit("\n".join(lines))
    return exit_status_of(status)
