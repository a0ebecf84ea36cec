"""`sweep runs`: the runs of the store (or of an API), newest first, with their state.

Locally the listing is `handlers.run_listing` over the store folder, the same code behind the
API's `GET /sweep-run`; a run with pending shards and no local process working on it is shown
`incomplete`, as `sweep status` shows it.
"""

from __future__ import annotations

import argparse
import sys

from serverless_sweep.contracts import RunList
from serverless_sweep.entrypoints.commands import remote
from serverless_sweep.entrypoints.console.exit_codes import EXIT_OK, EXIT_USAGE
from serverless_sweep.entrypoints.console.markers import active_pids
from serverless_sweep.entrypoints.console.reports import local_state
from serverless_sweep.entrypoints.console.store import (
    add_store_option,
    open_store,
    store_hint,
    store_root,
)
from serverless_sweep.handlers.run_listing import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    InvalidListing,
    list_runs,
)

DESCRIPTION = f"""\
List runs newest first (by acceptance date and time) with their state, shard counts and
coverage, {DEFAULT_PAGE_SIZE} per page (--limit, at most {MAX_PAGE_SIZE}). When there are
more, the last line gives the command for the next page (--next-token). Against an API
(--api URL or $SWEEP_API_URL) it reads GET /sweep-run.
"""

EPILOG = """\
examples:
  sweep runs
  sweep runs --limit 5 --json | jq '.runs[].run_id'
  sweep runs --api http://127.0.0.1:8000

exit status: 0 listed (also when there are no runs), 1 a runtime error, 2 usage error
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "runs",
        help="list runs, newest first, with their state",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_store_option(parser)
    parser.add_argument(
        "--limit",
        type=_limit,
        default=None,
        metavar="N",
        help=f"runs per page (1-{MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE})",
    )
    parser.add_argument(
        "--next-token", metavar="TOKEN", help="the next page, as the previous page said"
    )
    parser.add_argument("--json", action="store_true", help="print the RunList document")
    remote.add_api_options(parser)
    parser.set_defaults(func=run)


def _limit(text: str) -> int:
    if not text.isdecimal() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"must be an integer from 1 to {MAX_PAGE_SIZE}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    if remote.api_url(args) is not None:
        return remote.runs(args)
    root = store_root(args)
    if not root.is_dir():
        page = RunList(contract_version="1.0", runs=[])
    else:
        store, layout = open_store(root)
        try:
            document = list_runs(
                store, layout, limit=args.limit or DEFAULT_PAGE_SIZE, next_token=args.next_token
            )
        except InvalidListing as exc:
            print(f"sweep runs: {exc}", file=sys.stderr)
            return EXIT_USAGE
        page = RunList.model_validate(document)

    def shown(run_id: str, state: str) -> str:
        return local_state({"state": state}, active_pids(root, run_id))

    remote.print_runs(args, page, hint=store_hint(args), shown_state=shown)
    return EXIT_OK
