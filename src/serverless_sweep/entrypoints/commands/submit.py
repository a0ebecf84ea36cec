"""`sweep submit REQUEST.json --api URL`: submit a sweep to an HTTP API and return at once.

The deployed API (or `sweep serve`) runs the sweep on its own; `sweep wait RUN --api URL`
follows it, `sweep status RUN --api URL` shows it. Locally there is nothing to submit to
without a server (the local runtime lives as long as the command), which is what `sweep run`
is for.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from serverless_sweep.entrypoints.commands import remote
from serverless_sweep.entrypoints.commands.run import RequestFileError, read_request
from serverless_sweep.entrypoints.console.arguments import positive_float
from serverless_sweep.entrypoints.console.exit_codes import EXIT_STATUS_RUN_HELP, EXIT_USAGE

DESCRIPTION = f"""\
Submit a sweep request to an HTTP API: `sweep serve`, or the deployed API Gateway stage
(signed with SigV4 from your AWS credentials). The request is checked against the published
SweepRequest schema first; the API's warnings (unknown fields, "did you mean") are printed.
The run_id is printed on stdout. --wait follows the run with a progress bar and prints its
status at the end, like `sweep run`.

The API is --api URL, else ${remote.API_ENV_VAR}. Without either, use `sweep run`.
"""

EPILOG = f"""\
examples:
  sweep submit examples/ride_hailing_sweep.json --api http://127.0.0.1:8000
  SWEEP_API_URL=https://ID.execute-api.eu-central-1.amazonaws.com/prod sweep submit req.json
  sweep submit req.json --api http://127.0.0.1:8000 --wait --timeout 600

{EXIT_STATUS_RUN_HELP}
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "submit",
        help="submit a sweep to an HTTP API (sweep serve or the deployed API)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "request", type=Path, metavar="REQUEST.json", help="sweep request (a JSON object)"
    )
    parser.add_argument("--run-id", metavar="ID", help="use this run_id instead of the request's")
    parser.add_argument(
        "--model",
        metavar="NAME",
        help="replace the request's `model` (the API checks the name against the models it "
        "has installed, plug-ins included, and suggests the closest)",
    )
    parser.add_argument(
        "--wait", action="store_true", help="follow the run to its end, then print its status"
    )
    add_wait_options(parser)
    remote.add_api_options(parser)
    parser.set_defaults(func=run, store=None)


def add_wait_options(parser: argparse.ArgumentParser) -> None:
    """--timeout, --poll-interval, --no-progress, --json (shared with `sweep wait`)."""
    parser.add_argument(
        "--timeout",
        type=positive_float,
        metavar="S",
        help="stop waiting after S seconds (exit 1; the run goes on). Default: no limit",
    )
    parser.add_argument(
        "--poll-interval",
        type=positive_float,
        default=remote.DEFAULT_POLL_S,
        metavar="S",
        help=f"seconds between status polls (default {remote.DEFAULT_POLL_S:g})",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print JSON documents")


def run(args: argparse.Namespace) -> int:
    if remote.api_url(args) is None:
        remote.err(
            f"sweep submit: no API to submit to: pass --api URL or set ${remote.API_ENV_VAR} "
            "(`sweep run REQUEST.json` runs a sweep on this machine)"
        )
        return EXIT_USAGE
    try:
        request = read_request(args.request)
    except RequestFileError as exc:
        remote.err(f"sweep submit: {exc}")
        return EXIT_USAGE
    if isinstance(request, dict):
        if args.run_id is not None:
            request["run_id"] = args.run_id
        if args.model is not None:
            request["model"] = args.model
    return remote.submit(args, request)
