"""The `sweep` commands against an HTTP API (`--api URL`, or $SWEEP_API_URL) instead of a store.

`sweep submit|status|wait|redrive|results|runs --api URL` talk to `sweep serve` or the deployed
API through `serverless_sweep.client.SweepClient`, and print what the local commands print for
the same run, with the same exit statuses (0 succeeded, 1 failed/incomplete or a runtime
error, 2 usage error or rejected request, 3 unknown run). Only the local view is missing: a
remote API has no local worker processes, so a run with shards in flight is simply `running`.

Which backend: `--api URL` when given; else `--store DIR` when given (local); else
$SWEEP_API_URL when set; else the local store. Auth: `--auth sigv4` signs with the standard AWS
credential chain (`--profile`, `--region`); the default, `auto`, signs for AWS hosts
(`*.amazonaws.com`) and not for anything else (`sweep serve` has no authentication).

The command modules keep their local code; each calls `remote_args(args)` first and hands the
command over here when it names an API.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from serverless_sweep.entrypoints.console.exit_codes import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNKNOWN_RUN,
    EXIT_USAGE,
)
from serverless_sweep.entrypoints.console.hints import sweep_cmd
from serverless_sweep.entrypoints.console.output import emit
from serverless_sweep.entrypoints.console.reports import failure_lines
from serverless_sweep.entrypoints.console.tables import dumps_json, table_lines

if TYPE_CHECKING:
    from serverless_sweep.client import SweepClient
    from serverless_sweep.contracts import AcceptedResponse, RunList, RunStatus

API_ENV_VAR: Final = "SWEEP_API_URL"
AUTH_CHOICES: Final = ("auto", "none", "sigv4")
DEFAULT_POLL_S: Final = 2.0
NO_ROUTE: Final = "No route for "
"""How the API's 404 for a path it does not serve begins (a 404 that is not an unknown run)."""


def add_api_options(parser: argparse.ArgumentParser) -> None:
    """--api, --auth, --region, --profile: talk to an HTTP API instead of the store."""
    group = parser.add_argument_group(
        "remote API (instead of the store)",
        f"default: ${API_ENV_VAR} when set and --store is not given",
    )
    group.add_argument(
        "--api",
        metavar="URL",
        help="the API's base URL: `sweep serve`'s http://127.0.0.1:8000 or the deployed stage "
        "(https://ID.execute-api.REGION.amazonaws.com/STAGE)",
    )
    group.add_argument(
        "--auth",
        choices=AUTH_CHOICES,
        default="auto",
        help="sigv4: sign requests with the AWS credential chain; none: no auth; auto "
        "(default): sigv4 for *.amazonaws.com hosts only",
    )
    group.add_argument("--region", help="AWS region for SigV4 (default: the profile's, the URL's)")
    group.add_argument("--profile", help="AWS profile for SigV4 credentials (default: the chain)")


def api_url(args: argparse.Namespace) -> str | None:
    """The API the command talks to, or None for the local store (see the module docstring)."""
    explicit = getattr(args, "api", None)
    if explicit:
        return str(explicit)
    if getattr(args, "store", None) is not None:
        return None
    from_env = os.environ.get(API_ENV_VAR, "").strip()
    return from_env or None


def api_hint(args: argparse.Namespace) -> str:
    """The ``--api URL`` to repeat in suggested commands (empty when it came from the env)."""
    explicit = getattr(args, "api", None)
    return f" --api {shlex.quote(str(explicit))}" if explicit else ""


def err(message: str) -> None:
    print(message, file=sys.stderr)


def make_client(args: argparse.Namespace, url: str) -> SweepClient:
    """The client for `url` with the command's auth flags; ValueError/SweepError when unusable."""
    from serverless_sweep.client import SweepClient

    auth = args.auth
    if auth == "auto":
        host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
        auth = (
            "sigv4"
            if host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn")
            else "none"
        )
    return SweepClient(
        url,
        auth="sigv4" if auth == "sigv4" else None,
        region=args.region,
        profile=args.profile,
    )


def run_remote(command: str, args: argparse.Namespace, body: Callable[[SweepClient], int]) -> int:
    """Run `body` with a client, mapping the client's errors to messages and exit statuses."""
    from serverless_sweep.client import (
        ApiError,
        BadRequest,
        Conflict,
        PayloadTooLarge,
        RequestInvalid,
        RunNotFound,
        SweepError,
    )

    url = api_url(args)
    assert url is not None
    try:
        client = make_client(args, url)
    except (ValueError, SweepError) as exc:
        err(f"sweep {command}: {exc}")
        return EXIT_USAGE
    try:
        with client:
            return body(client)
    except RequestInvalid as exc:
        err(f"sweep {command}: {exc}")
        for detail in exc.details:
            err(f"  {detail.pointer or '/'}  [{detail.rule}]  {detail.message}")
        return EXIT_USAGE
    except ApiError as exc:
        print_api_error(command, exc)
        if isinstance(exc, RunNotFound) and exc.message.startswith(NO_ROUTE):
            err(f"  hint: {url} does not offer this operation (an older version of the API?)")
            return EXIT_FAILED
        if isinstance(exc, RunNotFound):
            return EXIT_UNKNOWN_RUN
        if isinstance(exc, BadRequest | Conflict | PayloadTooLarge):
            return EXIT_USAGE
        return EXIT_FAILED
    except SweepError as exc:  # transport, unexpected answers
        err(f"sweep {command}: {exc}")
        return EXIT_FAILED


def print_api_error(command: str, exc: Any) -> None:
    """An error answer as the local commands print a rejection: message, then each detail."""
    kind = exc.error.error if exc.error is not None else "error"
    err(f"sweep {command}: {kind} ({exc.status_code}): {exc.message}")
    for detail in exc.details:
        err(f"  {detail.pointer or '/'}  [{detail.rule}]  {detail.message}")
    if exc.status_code in (401, 403):
        err("  hint: the deployed API needs SigV4: --auth sigv4 (and a current AWS session)")


# -- reports ------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100.0 * value:.1f}%"


def status_lines(status: RunStatus, redrive_cmd: str) -> list[str]:
    """The status block of `sweep status`, for a run the API reports on."""
    shards = (
        f"{status.shard_count} total: {status.succeeded_shards} succeeded, "
        f"{status.failed_shards} failed, {status.pending_shards} pending"
    )
    accepted = f"accepted {status.run_date}, " if status.run_date else ""
    fingerprint = f"fingerprint {status.fingerprint[:12]}" if status.fingerprint else ""
    lines = [
        f"run        {status.run_id}",
        f"state      {status.state}",
        f"model      {status.model or '?'} ({accepted}{fingerprint})".replace(" ()", ""),
        f"shards     {shards}",
        f"coverage   {_pct(status.coverage)} "
        f"({status.points_done if status.points_done is not None else '?'} of "
        f"{status.total_points} points)",
    ]
    tolerated = float(status.tolerated_failure_percentage or 0.0)
    if tolerated:
        lines.append(f"tolerated  {tolerated:g}% of shards may fail")
    if status.pending_shards:
        in_flight = status.dispatched_shards or 0
        waiting = status.undispatched_shards or 0
        lines.append(
            f"pending    {in_flight} in flight, {waiting} waiting for the dispatcher"
            if status.dispatched_shards is not None
            else "pending    shards still running"
        )
    lost = int(status.lost_shards or 0)
    refused = int(status.dispatch_failed_shards or 0)
    if lost:
        ids = ", ".join(str(s) for s in (status.lost_shard_ids or [])[:20])
        more = f", ... ({lost} in all)" if lost > 20 else ""
        lines.append(f"lost       shards {ids}{more}: dispatched so long ago that no record")
        lines.append("           can arrive any more (counted as failed)")
    if refused:
        lines.append(
            f"refused    {refused} shard(s) the invoke API would not take (counted as failed)"
        )
    if (status.failed_shards or lost or refused) and not status.pending_shards:
        lines.append(f"redrive    `{redrive_cmd}` re-runs only the shards without a success")
    return lines


def print_status(args: argparse.Namespace, status: RunStatus) -> None:
    if getattr(args, "json", False):
        emit(dumps_json(status.model_dump(mode="json", exclude_none=True)))
        return
    redrive = f"{sweep_cmd()} redrive {shlex.quote(status.run_id)}{api_hint(args)}"
    document = status.model_dump(mode="json", exclude_none=True)
    lines = status_lines(status, redrive)
    failures = failure_lines(document)
    if failures:
        lines += ["", *failures]
    emit("\n".join(lines))


def exit_status_of(status: RunStatus) -> int:
    return EXIT_OK if status.state == "succeeded" else EXIT_FAILED


def wait_for(
    client: SweepClient, args: argparse.Namespace, run_id: str, command: str
) -> RunStatus | None:
    """Poll until the run finishes (progress bar unless --no-progress/--json); None on timeout
    (the message is printed)."""
    from serverless_sweep.client import WaitTimeout

    no_bar = getattr(args, "no_progress", False) or getattr(args, "json", False)
    try:
        return client.wait(
            run_id,
            timeout=getattr(args, "timeout", None),
            poll_interval=getattr(args, "poll_interval", None) or DEFAULT_POLL_S,
            progress=False if no_bar else None,
        )
    except WaitTimeout as exc:
        err(f"sweep {command}: {exc}")
        print_status(args, exc.status)
        return None


# -- the commands -------------------------------------------------------------------------------


def submit(args: argparse.Namespace, request: object) -> int:
    """`sweep submit REQUEST.json --api URL`: POST it; with --wait, follow it to the end."""

    def body(client: SweepClient) -> int:
        from serverless_sweep.client import ApiWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ApiWarning)  # printed below, as `sweep run` does
            accepted = client.submit(request)  # type: ignore[arg-type]
        for warning in accepted.warnings or []:
            err(f"sweep submit: warning: {warning}")
        if args.json and not args.wait:
            emit(dumps_json(accepted.model_dump(mode="json", exclude_none=True)))
        elif not args.json:
            _submission_line(accepted, args)
        if not args.wait:
            return EXIT_OK
        status = wait_for(client, args, accepted.run_id, "submit")
        if status is None:
            return EXIT_FAILED
        print_status(args, status)
        return exit_status_of(status)

    if not isinstance(request, Mapping):
        err("sweep submit: the request must be a JSON object")
        return EXIT_USAGE
    return run_remote("submit", args, body)


def _submission_line(accepted: AcceptedResponse, args: argparse.Namespace) -> None:
    run = shlex.quote(accepted.run_id)
    if accepted.status == "already_submitted":
        err(
            f"sweep submit: run {accepted.run_id!r} was already submitted with this request"
            f"{f' on {accepted.run_date}' if accepted.run_date else ''}; nothing was dispatched"
        )
    else:
        shards = accepted.shard_count if accepted.shard_count is not None else "?"
        err(
            f"sweep submit: accepted run {accepted.run_id!r}: {accepted.total_points} points in "
            f"{shards} shards (dispatch {accepted.dispatch_state or 'complete'})"
        )
    if not args.wait:
        err(f"  follow it: `{sweep_cmd()} wait {run}{api_hint(args)}`")
    print(accepted.run_id, flush=True)


def status(args: argparse.Namespace) -> int:
    def body(client: SweepClient) -> int:
        found = client.status(args.run_id)
        print_status(args, found)
        return exit_status_of(found)

    return run_remote("status", args, body)


def wait(args: argparse.Namespace) -> int:
    def body(client: SweepClient) -> int:
        found = wait_for(client, args, args.run_id, "wait")
        if found is None:
            return EXIT_FAILED
        print_status(args, found)
        return exit_status_of(found)

    return run_remote("wait", args, body)


def redrive(args: argparse.Namespace) -> int:
    def body(client: SweepClient) -> int:
        accepted = client.redrive(args.run_id)
        shards = accepted.shards_to_dispatch or accepted.shards_dispatched
        if not shards and accepted.dispatch_state != "under_way":
            if not args.json:
                err(f"sweep redrive: nothing to redrive: every shard of {args.run_id!r} succeeded")
        elif not args.json:
            err(f"sweep redrive: dispatching {shards} shard(s) of {args.run_id!r} again")
        found = wait_for(client, args, args.run_id, "redrive")
        if found is None:
            return EXIT_FAILED
        print_status(args, found)
        return exit_status_of(found)

    return run_remote("redrive", args, body)


def results(args: argparse.Namespace) -> int:
    """`sweep results RUN --api URL`: the API's results page of the run."""

    def body(client: SweepClient) -> int:
        params: dict[str, str | int] = {}
        if args.top:
            params["limit"] = args.top
        document = client.results(args.run_id, **params).model_dump(mode="json")
        rows = _result_rows(document)
        if args.format == "json" or rows is None:
            emit(dumps_json(rows if rows is not None and args.format == "json" else document))
            return EXIT_OK
        if not rows:
            err(f"sweep results: run {args.run_id!r} has no result rows yet")
            return EXIT_FAILED
        names: list[str] = []
        for row in rows:
            names += [k for k in row if k not in names]
        if args.format == "csv":
            from serverless_sweep.entrypoints.console.output import closed_pipe_ok
            from serverless_sweep.entrypoints.console.tables import write_rows

            with closed_pipe_ok():
                write_rows(names, rows, "csv", sys.stdout)
        else:
            emit("\n".join(table_lines(names, [[row.get(n) for n in names] for row in rows])))
        return EXIT_OK

    return run_remote("results", args, body)


def _result_rows(document: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The points of a results page (ResultsPage `items`: point_index, parameters, metrics)
    as flat rows, or None when the document holds no list of points."""
    items = document.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return None
    rows = []
    for item in items:
        row: dict[str, Any] = {"point_index": item.get("point_index")}
        for part in ("parameters", "metrics"):
            values = item.get(part)
            if isinstance(values, dict):
                row.update(values)
        rows.append(row)
    return rows


def runs(args: argparse.Namespace) -> int:
    def body(client: SweepClient) -> int:
        page = client.list_runs(limit=args.limit, next_token=args.next_token)
        print_runs(args, page)
        return EXIT_OK

    return run_remote("runs", args, body)


def print_runs(
    args: argparse.Namespace,
    page: RunList,
    hint: str | None = None,
    shown_state: Callable[[str, str], str] | None = None,
) -> None:
    """The page as a table (or JSON), with the command for the next page. `shown_state` maps
    (run_id, state) to the state to show (locally: `incomplete` without a local process)."""
    if args.json:
        emit(dumps_json(page.model_dump(mode="json", exclude_none=True)))
        return
    for problem in page.damaged or []:
        err(f"sweep runs: skipped a damaged record: {problem}")
    if not page.runs:
        emit("no runs")
        return
    headers = [
        "run_id",
        "run_date",
        "state",
        "model",
        "shards",
        "ok",
        "failed",
        "pending",
        "coverage",
    ]
    rows = [
        [
            run.run_id,
            str(run.run_date),
            shown_state(run.run_id, run.state) if shown_state else run.state,
            run.model,
            run.shard_count,
            run.succeeded_shards,
            run.failed_shards,
            run.pending_shards,
            _pct(run.coverage),
        ]
        for run in page.runs
    ]
    lines = table_lines(headers, rows)
    if page.next_token:
        where = hint if hint is not None else api_hint(args)
        limit = f" --limit {args.limit}" if args.limit else ""
        lines += [
            "",
            f"older runs: `{sweep_cmd()} runs{limit} --next-token "
            f"{shlex.quote(page.next_token)}{where}`",
        ]
    emit("\n".join(lines))
