"""`sweep query SQL`: DuckDB SQL over the local store, one view per dataset.

The views have the Athena tables' columns (see `adapters.local.analytics`), so a query tried
here runs on Athena too when it keeps to the SQL both engines share. Query templates (the files
in infra/athena/queries/) use ``${name}`` placeholders; --run fills the run's own values.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from serverless_sweep.adapters.local.analytics import (
    PARTITION_COLUMNS,
    VIEW_NAMES,
    AnalyticsUnavailable,
    fetch_dicts,
    open_duckdb,
    render_query,
    template_placeholders,
)
from serverless_sweep.entrypoints.console.exit_codes import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNKNOWN_RUN,
    EXIT_USAGE,
)
from serverless_sweep.entrypoints.console.output import closed_pipe_ok
from serverless_sweep.entrypoints.console.store import add_store_option, load_run, store_root
from serverless_sweep.entrypoints.console.tables import write_rows
from serverless_sweep.handlers.ports import StoreError

_PARTITIONS = ", ".join(f"{name} {sql_type}" for name, sql_type in PARTITION_COLUMNS)

DESCRIPTION = f"""\
Run SQL (DuckDB dialect) over the store. Views, one per dataset:

  shard_metrics   one row per computed point: shard_id, point_index, point_seed, model,
                  attempt, compute_ms, then every model's parameter and metric columns
                  (NULL where another model ran)
  shard_errors    one row per failed shard attempt: shard_id, attempt, attempt_id,
                  error_kind, error_code, error_message, traceback, event_time, ...
  shard_outcomes  one row per outcome envelope (status success: one per shard; failure: one
                  per failed attempt): shard_id, start_index, end_index, attempt, duration_ms,
                  error_kind, output_metadata (struct), ... as the Athena table
  runs            one row per accepted run: its manifest (request JSON, total_points,
                  shards list, shard_count, fingerprint, accepted_at)

Every view also has the partition columns {_PARTITIONS}. run_id holds the run
id as submitted (DuckDB percent-decodes the folder name; Athena's run_id holds the encoded
form, e.g. 'surge%2Fberlin%3Dv2' for 'surge/berlin=v2'). Views of datasets without files are
empty with the same columns, so queries work on a fresh store. `DESCRIBE shard_metrics` lists
a view's columns.

Templates: ${{name}} placeholders are filled from --param NAME=VALUE and, with --run RUN_ID,
from the run's manifest (run_id, run_date, total_points, shard_count, model). String values
are escaped for single-quoted SQL literals; see infra/athena/queries/README.md.
"""

EPILOG = """\
examples:
  sweep query "SELECT run_id, model, total_points, accepted_at FROM runs"
  sweep query "SELECT num_drivers, avg(conversion_rate) FROM shard_metrics
               WHERE run_id = 'ride-hailing-demo' GROUP BY 1 ORDER BY 1"
  sweep query --format csv "SELECT * FROM shard_errors" > errors.csv
  sweep query --run ride-hailing-demo --file infra/athena/queries/shard_coverage.sql

exit status: 0 the result was printed, 1 the store cannot be read (a damaged manifest, a file
that changed during the query; damaged files found before it are skipped with a warning),
2 bad SQL, a missing template value or bad flags, 3 --run names no run in the store
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "query",
        help="run SQL over the results (DuckDB views shard_metrics, shard_errors, ...)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sql", nargs="?", metavar="SQL", help="the query (or use --file)")
    parser.add_argument(
        "-f", "--file", type=Path, metavar="PATH", help="read the query from a file"
    )
    parser.add_argument(
        "--run",
        metavar="RUN_ID",
        help="fill template placeholders from this run's manifest",
    )
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fill the ${NAME} placeholder (repeatable; wins over --run)",
    )
    add_store_option(parser)
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default: table; cells over 60 characters are cut, csv and json "
        "keep everything)",
    )
    parser.set_defaults(func=run)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"sweep query: {message}", file=sys.stderr)
    return code


def _is_store_problem(exc: Exception, root: Path) -> bool:
    """Whether a DuckDB error is about a file of the store (exit 1), not the SQL (exit 2).

    The views list only files that were intact when the query started, so this is a file that
    changed meanwhile; the user's SQL may also read a store file itself (`read_parquet(...)`).
    """
    return str(root) in str(exc)


def run(args: argparse.Namespace) -> int:
    if (args.sql is None) == (args.file is None):
        return _fail("give the SQL as an argument or with --file (one of the two)")
    if args.file is not None:
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return _fail(f"cannot read {str(args.file)!r}: {exc}")
    else:
        text = args.sql
    root = store_root(args)
    values: dict[str, Any] = {}
    if args.run is not None:
        try:
            loaded = load_run(root, args.run)
        except StoreError as exc:  # CorruptRecord names the key and the run
            return _fail(f"{exc}; `sweep verify {args.run}` checks the run", EXIT_FAILED)
        if loaded is None:
            return _fail(f"no run {args.run!r} in store {root}", EXIT_UNKNOWN_RUN)
        record = loaded[0]
        values.update(
            run_id=record.run_id,
            run_date=record.run_date,
            total_points=record.total_points,
            shard_count=len(record.shards),
            model=record.model,
        )
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            return _fail(f"--param wants NAME=VALUE, got {item!r}")
        values[name] = value
    placeholders = template_placeholders(text)
    if placeholders or values:
        try:
            text = render_query(text, values)
        except KeyError as exc:
            hint = " (--run RUN_ID fills run_id, run_date, total_points, shard_count, model)"
            return _fail(f"no value for template placeholder(s) {exc.args[0]}{hint}")
        except ValueError as exc:
            return _fail(str(exc))
    if not root.is_dir():
        note = f"sweep query: note: store {root} is not a folder (yet); every view is empty"
        print(note, file=sys.stderr)
    skipped: list[str] = []
    try:
        con = open_duckdb(root, warnings=skipped)
    except AnalyticsUnavailable as exc:
        return _fail(str(exc), EXIT_FAILED)
    except StoreError as exc:
        return _fail(f"cannot read store {root}: {exc}", EXIT_FAILED)
    for line in skipped:
        print(f"sweep query: warning: {line}", file=sys.stderr)
    try:
        names, rows = fetch_dicts(con, text)
    except Exception as exc:  # duckdb.Error and friends: the user's SQL, or a damaged file
        message = " ".join(str(exc).split())
        if _is_store_problem(exc, root):
            return _fail(
                f"the store has a damaged file: {message}; `sweep verify RUN_ID` finds it",
                EXIT_FAILED,
            )
        if "does not exist" in message and not any(v in text for v in VIEW_NAMES):
            message += f"\n(views: {', '.join(VIEW_NAMES)})"
        return _fail(message)
    finally:
        con.close()
    if names:
        with closed_pipe_ok():
            write_rows(names, rows, args.format, sys.stdout)
    return EXIT_OK
