"""`sweep status RUN_ID`: a run's state, from the store alone.

Nothing keeps a state table: the manifest says which shards exist, outcome envelopes say which
succeeded or failed (`handlers.status.run_status`, the same document the API's GET returns).
Locally, a shard with no record is only *pending* while a `sweep run`/`sweep redrive` process
works on the run; otherwise nothing will ever run it and it is reported *missing*.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Mapping
from typing import Any

from serverless_sweep.entrypoints.commands import remote
from serverless_sweep.entrypoints.console.exit_codes import (
    EXIT_STATUS_HELP,
    EXIT_UNKNOWN_RUN,
    exit_status_of,
)
from serverless_sweep.entrypoints.console.hints import sweep_cmd
from serverless_sweep.entrypoints.console.markers import active_pids
from serverless_sweep.entrypoints.console.output import emit
from serverless_sweep.entrypoints.console.reports import failure_lines, status_json, status_lines
from serverless_sweep.entrypoints.console.store import (
    add_store_option,
    load_run,
    store_hint,
    store_root,
)
from serverless_sweep.entrypoints.console.tables import dumps_json

DESCRIPTION = """\
Show a run's state: succeeded, failed, missing (or pending) shards, coverage, and the latest
failure of each failed shard, computed from the records in the store.

States: succeeded (every shard succeeded, or the failed ones are within the request's
tolerated_failure_percentage), failed (nothing left to run and too many shards failed),
running (a local `sweep run`/`redrive` process is still working on it) and incomplete (shards
without a record and no local process working on them: `sweep redrive` dispatches them).
--json prints the RunStatus document of the API plus local_state, active_pids and
missing_shards.
"""

EPILOG = f"""\
examples:
  sweep status ride-hailing-demo
  sweep status ride-hailing-demo --json | jq .failures

{EXIT_STATUS_HELP}
"""


def ledger_lines(ledger: Mapping[str, Any] | None) -> list[str]:
    """The cost and timing ledger of a finished run (handlers/ledger.py), two lines."""
    if not ledger:
        return []
    prices = ledger.get("price_table", {})
    assumed = int(ledger.get("memory_assumed_invocations", 0))
    memory = (
        f"; {assumed} priced at an assumed {ledger.get('assumed_memory_mb')} MB" if assumed else ""
    )
    return [
        f"ledger     {ledger['invocations']} invocations ({ledger.get('cold_starts', 0)} cold), "
        f"{float(ledger['compute_seconds']):.1f} s compute, shard p50 "
        f"{float(ledger['shard_seconds_p50']):.3f} s / p95 "
        f"{float(ledger['shard_seconds_p95']):.3f} s, wall {float(ledger['wall_seconds']):.1f} s",
        f"cost       ~${float(ledger['estimated_usd']):.4f} on Lambda "
        f"({float(ledger['gb_seconds']):.1f} GB-s{memory}; prices {prices.get('name')} "
        f"as of {prices.get('as_of')})",
    ]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show a run's shards (succeeded / failed / missing), coverage and failures",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the run's run_id, as submitted")
    add_store_option(parser)
    parser.add_argument("--json", action="store_true", help="print the status as JSON")
    remote.add_api_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if remote.api_url(args) is not None:  # --api URL / $SWEEP_API_URL
        return remote.status(args)
    root = store_root(args)
    loaded = load_run(root, args.run_id)
    if loaded is None:
        where = "" if root.is_dir() else " (the folder does not exist)"
        print(f"sweep status: no run {args.run_id!r} in store {root}{where}", file=sys.stderr)
        return EXIT_UNKNOWN_RUN
    record, status = loaded
    pids = active_pids(root, record.run_id)
    if args.json:
        emit(dumps_json(status_json(status, pids)))
    else:
        redrive = f"{sweep_cmd()} redrive {shlex.quote(record.run_id)}{store_hint(args)}"
        lines = status_lines(record, status, pids, redrive) + ledger_lines(status.get("ledger"))
        failures = failure_lines(status)
        if failures:
            lines += ["", *failures]
        emit("\n".join(lines))
    return exit_status_of(status)
