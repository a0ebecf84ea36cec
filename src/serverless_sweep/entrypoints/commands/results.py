"""`sweep results RUN_ID`: a run's points ranked by health score (DuckDB over the store).

A compacted run (handlers/compaction.py) is ranked from its few run_metrics files, any other
from its per-shard files. The health score is relative to the run: each metric is min-max
normalized across the run's points, so it ranks configurations against each other and says
nothing across runs. Its terms and weights live in `adapters.local.analytics.HEALTH_TERMS`
(printed below the table); the same ranking in Athena SQL is
infra/athena/queries/best_configurations.sql.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from serverless_sweep.adapters.local.analytics import HEALTH_TERMS, health_terms, run_compaction
from serverless_sweep.entrypoints.commands import remote
from serverless_sweep.entrypoints.console.exit_codes import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNKNOWN_RUN,
    EXIT_USAGE,
)
from serverless_sweep.entrypoints.console.output import closed_pipe_ok, emit
from serverless_sweep.entrypoints.console.ranking import (
    best_lines,
    ranked_records,
    score_lines,
)
from serverless_sweep.entrypoints.console.store import (
    add_store_option,
    load_run,
    open_store,
    store_root,
)
from serverless_sweep.entrypoints.console.tables import dumps_json, write_rows
from serverless_sweep.handlers.ports import StoreError
from serverless_sweep.handlers.runs import RunRecord
from serverless_sweep.handlers.verify import damaged_shards


def _weights_help() -> str:
    lines = []
    for model in sorted(HEALTH_TERMS):
        lines.append(f"  {model}:")
        for term in health_terms(model):
            arrow = "higher is better" if term.higher_is_better else "lower is better"
            lines.append(f"    {term.weight:.2f}  {term.name} ({arrow}): {term.why}")
    return "\n".join(lines)


DESCRIPTION = f"""\
Rank a run's points by health score and show the swept parameters next to the key metrics.

Each metric is min-max normalized across the run's points (1 = the run's best value, 0 = its
worst; "lower is better" metrics are flipped), a metric equal at every point counts 0.5 and a
missing value 0; the score is the weighted sum (weights add up to 1). Scores compare points
within one run only. Terms and weights:
{_weights_help()}
"""

EPILOG = """\
examples:
  sweep results ride-hailing-demo
  sweep results ride-hailing-demo --top 0 --format csv > ranked.csv
  sweep results ride-hailing-demo --format json | jq '.[0]'

exit status: 0 results printed, 1 the run has no result rows yet or its records are damaged
(damaged shard files are left out of the ranking with a warning), 2 usage error, 3 no run
with that run_id in the store
"""


def ranked(
    root: Path, record: RunRecord, limit: int | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The run's points ranked by health score, from run_metrics when the run is compacted
    (a few files) and from the per-shard files otherwise; ([], why) when that is impossible."""
    from serverless_sweep.adapters.local.analytics import AnalyticsUnavailable, ranked_points

    if record.model not in HEALTH_TERMS:
        return [], f"no health score is defined for model {record.model}"
    try:
        rows, _view = ranked_points(root, record, limit=limit)
    except AnalyticsUnavailable as exc:
        return [], str(exc)
    except Exception as exc:  # duckdb.Error: a damaged file must not hide the run's status
        return [], f"could not rank the results: {exc}"
    return rows, None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "results",
        help="rank a run's points by health score",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the run's run_id, as submitted")
    add_store_option(parser)
    parser.add_argument(
        "--top",
        type=int,
        default=10,
        metavar="N",
        help="show the N best points (0: all; default 10)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table (key metrics), or csv / json (every column); default table",
    )
    remote.add_api_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if remote.api_url(args) is not None:  # --api URL / $SWEEP_API_URL
        return remote.results(args)
    root = store_root(args)
    if args.top < 0:
        print("sweep results: --top must be 0 (all) or more", file=sys.stderr)
        return EXIT_USAGE
    try:
        loaded = load_run(root, args.run_id)
    except StoreError as exc:  # CorruptRecord names the key and the run
        print(f"sweep results: {exc}; `sweep verify {args.run_id}` checks the run", file=sys.stderr)
        return EXIT_FAILED
    if loaded is None:
        print(f"sweep results: no run {args.run_id!r} in store {root}", file=sys.stderr)
        return EXIT_UNKNOWN_RUN
    record, status = loaded
    store, layout = open_store(root)
    try:
        # A compacted run is ranked from its run_metrics files, checked against their commit
        # record: the per-shard files (and their damage) do not enter the ranking.
        compacted = run_compaction(store, layout, record) is not None
        damaged = {} if compacted else damaged_shards(store, layout, record)
    except StoreError as exc:
        print(f"sweep results: cannot read store {root}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if damaged:
        first = min(damaged)
        print(
            f"sweep results: note: {len(damaged)} shard(s) of run {record.run_id!r} are damaged "
            f"and left out of the ranking (shard {first}: {damaged[first]}); "
            f"`sweep verify {record.run_id}` lists them and `sweep redrive {record.run_id}` "
            "repairs them",
            file=sys.stderr,
        )
    rows, problem = ranked(root, record, args.top or None)
    if problem is not None:
        print(f"sweep results: {problem}", file=sys.stderr)
        return EXIT_FAILED
    if not rows:
        print(
            f"sweep results: run {record.run_id!r} has no result rows yet "
            f"(state {status['state']}, {status['succeeded_shards']} of "
            f"{status['shard_count']} shards succeeded)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if args.format == "table":
        shown = f"top {len(rows)}" if args.top else f"all {len(rows)}"
        lines = [
            f"run {record.run_id} ({record.model}): {shown} of {status['points_done']} points "
            f"by health score"
        ]
        if float(status["coverage"]) < 1.0:
            lines.append(
                f"note: coverage is {100.0 * float(status['coverage']):.1f}%; the ranking covers "
                "the points computed so far"
            )
        lines += ["", *best_lines(rows, record), "", *score_lines(record.model)]
        emit("\n".join(lines))
    else:
        flat = ranked_records(rows, record)
        if args.format == "json":
            emit(dumps_json(flat))
        else:
            names: list[str] = []
            for row in flat:
                names += [k for k in row if k not in names]
            with closed_pipe_ok():
                write_rows(names, [{n: r.get(n) for n in names} for r in flat], "csv", sys.stdout)
    return EXIT_OK
