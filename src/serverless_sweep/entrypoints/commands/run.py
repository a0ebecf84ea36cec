"""`sweep run REQUEST.json`: submit a sweep to the local runtime, show progress, summarize.

The request goes through the same parent handler the Lambda runs (direct-invoke shape), the
shards through worker processes with Lambda's async semantics, the results into the store
folder with the cloud's layout. Rerunning the same request (same run_id, same content) is
answered "already submitted" by the parent and dispatches nothing: the command then shows the
recorded run, so `make run` can be repeated safely.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from serverless_sweep.adapters.local.runtime import LocalRuntime, LocalSettings
from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.jsonio import parse_json_text
from serverless_sweep.entrypoints.progress import (
    BEST_SHOWN,
    EXIT_FAILED,
    EXIT_STATUS_RUN_HELP,
    EXIT_USAGE,
    ShardProgress,
    active_marker,
    active_pids,
    add_store_option,
    best_lines,
    dumps_json,
    emit,
    exit_status_of,
    failure_lines,
    fetch_best,
    hint_lines,
    load_run,
    location_lines,
    positive_float,
    positive_int,
    rate,
    run_folders,
    score_lines,
    status_json,
    status_lines,
    store_hint,
    store_root,
    sweep_cmd,
    terminate_like_interrupt,
)
from serverless_sweep.handlers.ports import StoreNotConfigured
from serverless_sweep.handlers.runs import RunRecord
from serverless_sweep.models.registry import MODEL_NAMES

DESCRIPTION = """\
Run a sweep on this machine exactly as it runs on AWS Lambda: the request is validated and
planned by the parent handler, each shard runs in a worker process through the child handler
(Lambda async semantics: retries, optional duplicate deliveries), and results land in the
store folder as Hive-partitioned Parquet (dataset=shard_metrics/...), the layout Athena reads.

While it runs, a progress bar on stderr shows shards done / failed / pending and points per
second (only on a terminal; --no-progress turns it off; a final line is printed either way).
At the end it prints the run's state, coverage, speed, failures with their messages, the best
configurations by health score, where the files are and how to query them.

The same run_id with the same request is answered "already submitted": nothing is dispatched
and the recorded run is shown (use `sweep redrive` for missing or failed shards, --run-id for a
fresh run). The same run_id with a different request is rejected (409).
"""

EPILOG = f"""\
examples:
  sweep run examples/ride_hailing_sweep.json
  sweep run examples/ride_hailing_sweep.json --run-id pricing-try-2 --workers 2
  sweep run examples/legacy_hash_load.json --store /tmp/load --no-progress --json
  sweep run req.json --chaos-duplicates 1.0     # every shard delivered twice: idempotency check

{EXIT_STATUS_RUN_HELP}
"""

RUNTIME_OPTIONS_HELP = "local runtime (the Lambda settings, emulated)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a sweep locally with a progress bar and a summary",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "request", type=Path, metavar="REQUEST.json", help="sweep request (a JSON object)"
    )
    add_store_option(parser)
    parser.add_argument(
        "--run-id",
        metavar="ID",
        help="use this run_id instead of the request's (to run the same sweep again)",
    )
    parser.add_argument(
        "--model",
        choices=MODEL_NAMES,
        help="run this model: replaces the request's `model` (default: the request's, else "
        "$SWEEP_DEFAULT_MODEL, else ride_hailing)",
    )
    add_runtime_options(parser)
    parser.set_defaults(func=run)


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    """Flags of the local deployment, shared by `run` and `redrive`."""
    group = parser.add_argument_group(RUNTIME_OPTIONS_HELP)
    group.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="worker processes (default: one per core)",
    )
    group.add_argument(
        "--max-concurrency",
        type=positive_int,
        metavar="N",
        help="shards running at once, like Lambda reserved concurrency (default: --workers)",
    )
    group.add_argument(
        "--max-retries",
        type=int,
        choices=(0, 1, 2),
        default=2,
        help="retries of a failed shard invocation, as Lambda's async retries (default: 2)",
    )
    group.add_argument(
        "--chaos-duplicates",
        type=rate,
        default=0.0,
        metavar="RATE",
        help="fraction (0..1) of shard events delivered twice, to prove idempotency (default: 0)",
    )
    group.add_argument(
        "--timeout-s",
        type=positive_float,
        default=900.0,
        metavar="S",
        help="the child's Lambda timeout: a shard that would outlive it records a timeout "
        "failure (default: 900)",
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--no-progress", action="store_true", help="no progress bar (the final line stays)"
    )
    out.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document (submission, status, speed, best points, folders) "
        "instead of the text summary",
    )


def runtime_settings(args: argparse.Namespace, root: Path) -> LocalSettings:
    return LocalSettings(
        root=root,
        default_model=getattr(args, "model", None),
        workers=args.workers,
        max_concurrency=args.max_concurrency,
        max_retries=args.max_retries,
        duplicate_delivery_rate=args.chaos_duplicates,
        timeout_s=args.timeout_s,
    )


class RequestFileError(Exception):
    """The request file cannot be read or is not strict JSON (message names the file)."""


def read_request(path: Path) -> object:
    """The request document of a file, parsed as strictly as the API parses a body."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RequestFileError(f"request file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise RequestFileError(f"request file {str(path)!r} is a directory") from None
    except UnicodeDecodeError as exc:
        raise RequestFileError(f"request file {str(path)!r} is not UTF-8 text: {exc}") from None
    except OSError as exc:
        raise RequestFileError(f"cannot read request file {str(path)!r}: {exc}") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestFileError(
            f"request file {str(path)!r} is not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError:
        pass  # e.g. an over-long integer: parse_json_text words it
    try:
        return parse_json_text(text)
    except ValidationError as exc:
        where = "; ".join(f"{d.pointer or '/'}: {d.message}" for d in exc.details)
        raise RequestFileError(f"request file {str(path)!r}: {where}") from None


def err(message: str) -> None:
    print(message, file=sys.stderr)


def print_rejection(command: str, status_code: int, body: dict[str, Any]) -> None:
    """A 4xx/5xx answer: the message, then each detail's pointer, rule and message."""
    err(f"sweep {command}: {body.get('error', 'error')} ({status_code}): {body.get('message')}")
    for detail in body.get("details", []):
        pointer = detail.get("pointer") or "/"
        err(f"  {pointer}  [{detail.get('rule')}]  {detail.get('message')}")


@terminate_like_interrupt  # SIGTERM: the KeyboardInterrupt path below, like Ctrl-C
def run(args: argparse.Namespace) -> int:
    root = store_root(args)
    try:
        request = read_request(args.request)
    except RequestFileError as exc:
        err(f"sweep run: {exc}")
        return EXIT_USAGE
    if isinstance(request, dict):
        if args.run_id is not None:
            request["run_id"] = args.run_id
        if args.model is not None:
            request["model"] = args.model
    label = request.get("run_id") if isinstance(request, dict) else None
    progress = ShardProgress(str(label or "sweep"), enabled=not args.no_progress and not args.json)
    try:
        runtime = LocalRuntime(runtime_settings(args, root))
    except (StoreNotConfigured, ValueError) as exc:
        err(f"sweep run: {exc}")
        return EXIT_USAGE
    runtime.invoker.on_event(progress.on_event)
    try:
        response = runtime.parent.handle(request)
        return _follow(args, root, runtime, progress, response)
    except KeyboardInterrupt:
        runtime.invoker.close(wait=False)
        run_arg = shlex.quote(progress.label)
        err(
            "sweep run: interrupted; shards without a record are missing now: "
            f"`{sweep_cmd()} status {run_arg}{store_hint(args)}` lists them and "
            f"`{sweep_cmd()} redrive {run_arg}{store_hint(args)}` dispatches them"
        )
        raise
    finally:
        runtime.close()


def _follow(
    args: argparse.Namespace,
    root: Path,
    runtime: LocalRuntime,
    progress: ShardProgress,
    response: dict[str, Any],
) -> int:
    """After the parent answered: report a rejection, or wait for the shards and summarize."""
    status_code = int(response["statusCode"])
    body: dict[str, Any] = json.loads(response["body"])
    if 400 <= status_code < 500:
        if args.json:
            emit(dumps_json({"status_code": status_code, "error": body}))
        print_rejection("run", status_code, body)
        if status_code == 409:
            again = f"{sweep_cmd()} run {shlex.quote(str(args.request))} --run-id NEW_ID"
            err(f"  hint: `{again}` runs it as a new run")
        return EXIT_USAGE
    if status_code >= 500 and status_code != 502:
        if args.json:
            emit(dumps_json({"status_code": status_code, "error": body}))
        print_rejection("run", status_code, body)
        return EXIT_FAILED
    for warning in body.get("warnings", []):
        err(f"sweep run: warning: {warning}")
    run_id = str(body["run_id"])
    loaded = load_run(root, run_id)
    if loaded is None:  # pragma: no cover - the parent recorded it a moment ago
        err(f"sweep run: run {run_id!r} was accepted but its manifest cannot be read")
        return EXIT_FAILED
    record = loaded[0]
    already = status_code == 200 and body.get("status") == "already_submitted"
    if status_code == 502:
        print_rejection("run", status_code, body)  # some shards could not be dispatched
    if already:
        err(
            f"sweep run: run {run_id!r} was already submitted with this request on "
            f"{record.run_date}; nothing was dispatched. Its recorded status follows."
        )
        dispatched: dict[int, int] = {}
    elif body.get("dispatch_state") == "under_way":  # the dispatcher invokes every shard
        dispatched = {s.shard_id: s.end_index - s.start_index for s in record.shards}
    else:
        undispatched = {
            int(d["pointer"].rsplit("/", 1)[1])
            for d in body.get("details", [])
            if str(d.get("pointer", "")).startswith("/shards/")
        }
        dispatched = {
            s.shard_id: s.end_index - s.start_index
            for s in record.shards
            if s.shard_id not in undispatched
        }
    return wait_and_report(args, root, runtime, progress, record, dispatched, body, "run")


def wait_and_report(
    args: argparse.Namespace,
    root: Path,
    runtime: LocalRuntime,
    progress: ShardProgress,
    record: RunRecord,
    dispatched: dict[int, int],
    submission: dict[str, Any],
    command: str,
) -> int:
    """Wait for the dispatched shards (progress bar), then print the summary; exit status."""
    idle = True
    if dispatched:
        with active_marker(root, record.run_id, f"sweep {command}"):
            progress.start(dispatched)
            idle = progress.wait(runtime.wait)
        err(progress.final_line())
        if not idle:
            err(f"sweep {command}: the local invoker stopped before every shard finished")
    loaded = load_run(root, record.run_id)
    assert loaded is not None
    record, status = loaded
    pids = active_pids(root, record.run_id)
    best, best_problem = fetch_best(root, record, BEST_SHOWN)
    code = exit_status_of(status) if idle else EXIT_FAILED
    if args.json:
        doc = {
            "run_id": record.run_id,
            "submission": {
                "status": submission.get("status") or submission.get("error"),
                "shards_dispatched": len(dispatched),
            },
            "status": status_json(status, pids),
            "wall_time_s": round(progress.elapsed_s, 3) if dispatched else None,
            "points_per_second": round(progress.points_per_second, 3) if dispatched else None,
            "best_configurations": best,
            "store": str(root),
            "folders": {name: str(root / prefix) for name, prefix in run_folders(record)},
            "exit_status": code,
        }
        emit(dumps_json(doc))
        return code
    shown = progress if dispatched else None
    print_summary(args, root, record, status, pids, shown, best, best_problem)
    return code


def print_summary(
    args: argparse.Namespace,
    root: Path,
    record: RunRecord,
    status: dict[str, Any],
    pids: list[int],
    progress: ShardProgress | None,
    best: list[dict[str, Any]],
    best_problem: str | None,
) -> None:
    opt = store_hint(args)
    extra = []
    if progress is not None:
        extra.append(
            f"wall time  {progress.elapsed_s:.1f} s ({progress.points_per_second:.1f} points/s "
            f"with {runtime_workers(args)})"
        )
    redrive = f"{sweep_cmd()} redrive {shlex.quote(record.run_id)}{opt}"
    lines = ["", *status_lines(record, status, pids, redrive, extra)]
    failures = failure_lines(status)
    if failures:
        lines += ["", *failures]
    lines.append("")
    if best:
        lines.append(
            f"best configurations by health score (top {len(best)} of {status['points_done']} "
            f"points; `{sweep_cmd()} results {shlex.quote(record.run_id)}{opt}` ranks them all):"
        )
        lines += ["  " + line for line in best_lines(best, record)]
        lines += ["  " + line for line in score_lines(record.model)]
    elif best_problem:
        lines.append(f"best configurations: {best_problem}")
    else:
        lines.append("best configurations: no points have results yet")
    lines += ["", *location_lines(root, record), "", *hint_lines(record, opt)]
    emit("\n".join(lines))


def runtime_workers(args: argparse.Namespace) -> str:
    workers = args.workers or os.cpu_count() or 1
    if args.max_concurrency and args.max_concurrency < workers:
        return f"{args.max_concurrency} of {workers} workers"
    return f"{workers} worker{'s' if workers != 1 else ''}"
