"""`sweep verify RUN_ID`: check every object a run committed against its envelope's checksum.

A success envelope is a shard's commit point and records the size and SHA-256 of the Parquet
file it commits (`handlers/child.py`); `handlers.verify.verify_run` reads them all back. Damaged
shards (missing, truncated or corrupt files, unreadable envelopes) are what a redrive must
recompute; orphaned files (written by an attempt whose commit failed) are invisible to queries
and safe to delete.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from serverless_sweep.entrypoints.console.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_UNKNOWN_RUN
from serverless_sweep.entrypoints.console.hints import sweep_cmd
from serverless_sweep.entrypoints.console.output import emit
from serverless_sweep.entrypoints.console.store import (
    add_store_option,
    open_store,
    store_hint,
    store_root,
)
from serverless_sweep.entrypoints.console.tables import dumps_json
from serverless_sweep.handlers.ports import CorruptRecord, StoreError
from serverless_sweep.handlers.runs import find_run
from serverless_sweep.handlers.verify import RunVerification, verify_run

DESCRIPTION = """\
Check a run's objects in the store: every success envelope must be readable and the Parquet
file it commits must have the size and SHA-256 the envelope recorded (older envelopes without
checksums: the file must decode to the shard's rows). Also lists orphaned files that no envelope
commits (a commit that failed: queries never read them) and unreadable failure records.
"""

EPILOG = """\
examples:
  sweep verify ride-hailing-demo
  sweep verify ride-hailing-demo --json | jq .damaged

exit status: 0 every committed object is intact (orphans alone are fine), 1 damage found (or
the run's manifest is damaged, or the store cannot be read), 3 no run with that run_id
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check a run's committed files against their checksums (damaged, orphaned)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the run's run_id, as submitted")
    add_store_option(parser)
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(func=run)


def _fail(message: str, code: int) -> int:
    print(f"sweep verify: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    root = store_root(args)
    if not root.is_dir():
        where = f"store {root} (the folder does not exist)"
        return _fail(f"no run {args.run_id!r} in {where}", EXIT_UNKNOWN_RUN)
    store, layout = open_store(root)
    try:
        record = find_run(store, layout, args.run_id)
        if record is None:
            return _fail(f"no run {args.run_id!r} in store {root}", EXIT_UNKNOWN_RUN)
        report = verify_run(store, layout, record)
    except CorruptRecord as exc:
        return _fail(
            f"{exc}; the run cannot be checked or redriven without it: restore the file from a "
            "backup, or submit the request again under a new run_id",
            EXIT_FAILED,
        )
    except StoreError as exc:
        return _fail(f"cannot read store {root}: {exc}", EXIT_FAILED)
    redrive = f"{sweep_cmd()} redrive {shlex.quote(record.run_id)}{store_hint(args)}"
    if args.json:
        emit(dumps_json(report.as_document()))
    else:
        emit("\n".join(report_lines(report, redrive)))
    return EXIT_OK if report.ok else EXIT_FAILED


def report_lines(report: RunVerification, redrive: str) -> list[str]:
    verdict = "intact" if report.ok else "DAMAGED"
    lines = [
        f"run {report.run_id} ({report.run_date}): {verdict}; {report.checked_objects} objects "
        f"checked, {len(report.intact_shards)} of {report.shard_count} shards committed and "
        f"intact, {len(report.damaged)} damaged, {len(report.orphans)} orphaned files",
    ]
    for shard_id, problem in sorted(report.damaged.items()):
        lines.append(f"  damaged  shard {shard_id}: {problem}")
    for problem in report.other_problems:
        lines.append(f"  problem  {problem}")
    for key in report.orphans:
        lines.append(f"  orphan   {key} (no envelope commits it; queries never read it)")
    if report.damaged:
        lines.append(
            f"repair: `{redrive}` recomputes the damaged shards under a new attempt; the "
            "intact ones are not touched"
        )
    return lines
