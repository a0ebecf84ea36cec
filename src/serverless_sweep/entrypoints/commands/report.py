"""`sweep report RUN_ID [-o report.html]`: one self-contained HTML file about a run.

The summary and state, the best configurations, each swept parameter's effect on the main
metrics, heatmaps for pairs of swept parameters, the timeline of every attempt per instance,
the failures and the cost and timing ledger (serverless_sweep.report). The file has no
external resource: it opens offline, from disk or as an attachment.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from serverless_sweep.entrypoints.console.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_UNKNOWN_RUN
from serverless_sweep.entrypoints.console.output import emit
from serverless_sweep.entrypoints.console.store import add_store_option, load_run, store_root
from serverless_sweep.handlers.ports import StoreError

EPILOG = """\
examples:
  sweep report ride-hailing-demo                 # writes ride-hailing-demo.html
  sweep report ride-hailing-demo -o /tmp/r.html

exit status: 0 written, 1 the store or the output file could not be read or written,
3 no run with that run_id in the store
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report of a run (plots, timeline, ledger)",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the run's run_id, as submitted")
    add_store_option(parser)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write the HTML (default: <run_id>.html in the current folder)",
    )
    parser.set_defaults(func=run)


def _default_name(run_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id).strip(".") or "run"
    return Path(f"{safe[:100]}.html")


def run(args: argparse.Namespace) -> int:
    from serverless_sweep.report import write_report

    root = store_root(args)
    try:
        loaded = load_run(root, args.run_id)
    except StoreError as exc:
        print(f"sweep report: {exc}; `sweep verify {args.run_id}` checks the run", file=sys.stderr)
        return EXIT_FAILED
    if loaded is None:
        print(f"sweep report: no run {args.run_id!r} in store {root}", file=sys.stderr)
        return EXIT_UNKNOWN_RUN
    record, status = loaded
    output: Path = args.output or _default_name(record.run_id)
    try:
        write_report(root, record, status, output)
    except OSError as exc:
        print(f"sweep report: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # duckdb.Error over a damaged file: say so, no traceback
        print(
            f"sweep report: could not read the results of run {record.run_id!r}: {exc}; "
            f"`sweep verify {record.run_id}` checks the run",
            file=sys.stderr,
        )
        return EXIT_FAILED
    emit(f"report of run {record.run_id} written to {output}")
    return EXIT_OK
