"""`sweep compact RUN_ID`: write a finished run's dataset=run_metrics (handlers/compaction.py).

Runs compact themselves when their last shard commits; this command is for runs finished
before compaction existed, and for a compaction that did not complete (its child was killed,
a shard file was damaged and has since been repaired by `sweep redrive`). Idempotent: a run
already compacted is reported as such and nothing is written.
"""

from __future__ import annotations

import argparse
import sys

from serverless_sweep.entrypoints.console.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_UNKNOWN_RUN
from serverless_sweep.entrypoints.console.output import emit
from serverless_sweep.entrypoints.console.store import add_store_option, open_store, store_root
from serverless_sweep.handlers.compaction import (
    CompactionError,
    committed_record,
    compact_run,
    intact_parts,
)
from serverless_sweep.handlers.ports import StoreError
from serverless_sweep.handlers.runs import find_run

EPILOG = """\
examples:
  sweep compact ride-hailing-demo
  sweep query "SELECT count(*) FROM run_metrics WHERE run_id = 'ride-hailing-demo'"

exit status: 0 compacted (or already compacted), 1 the run is not complete or a shard file is
damaged (the message says which and what to do), 3 no run with that run_id in the store
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "compact",
        help="write a finished run's results as a few run_metrics files",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the run's run_id, as submitted")
    add_store_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root = store_root(args)
    if not root.is_dir():
        print(f"sweep compact: no run {args.run_id!r} in store {root}", file=sys.stderr)
        return EXIT_UNKNOWN_RUN
    store, layout = open_store(root)
    try:
        record = find_run(store, layout, args.run_id)
        if record is None:
            print(f"sweep compact: no run {args.run_id!r} in store {root}", file=sys.stderr)
            return EXIT_UNKNOWN_RUN
        before = committed_record(store, layout, record)
        result = before or compact_run(store, layout, record)
        problem = intact_parts(store, result)
    except CompactionError as exc:
        print(f"sweep compact: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except StoreError as exc:
        print(f"sweep compact: {exc}; `sweep verify {args.run_id}` checks the run", file=sys.stderr)
        return EXIT_FAILED
    if problem is not None:
        print(
            f"sweep compact: run {record.run_id!r} was compacted but {problem}; queries read its "
            "per-shard files instead",
            file=sys.stderr,
        )
        return EXIT_FAILED
    verb = "was already compacted" if before is not None else "compacted"
    folder = result.parts[0].key.rsplit("/", 1)[0] + "/" if result.parts else "(no files)"
    emit(
        f"run {record.run_id} {verb}: {result.rows} rows in {len(result.parts)} run_metrics "
        f"file(s) under {folder}"
    )
    return EXIT_OK
