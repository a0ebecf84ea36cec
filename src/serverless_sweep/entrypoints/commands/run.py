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
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.jsonio import parse_json_text
from serverless_sweep.entrypoints.commands._common import (
    add_runtime_options,
    err,
    print_rejection,
    runtime_settings,
)
from serverless_sweep.entrypoints.console.exit_codes import (
    EXIT_FAILED,
    EXIT_STATUS_RUN_HELP,
    EXIT_USAGE,
)
from serverless_sweep.entrypoints.console.hints import sweep_cmd
from serverless_sweep.entrypoints.console.signals import terminate_like_interrupt
from serverless_sweep.entrypoints.console.store import (
    add_store_option,
    store_hint,
    store_root,
)
from serverless_sweep.entrypoints.console.timings import TIMELINE
from serverless_sweep.models.registry import model_names

if TYPE_CHECKING:
    from serverless_sweep.adapters.local.runtime import LocalRuntime
    from serverless_sweep.entrypoints.console.progress_bar import ShardProgress
    from serverless_sweep.entrypoints.http.errors import Problem
    from serverless_sweep.handlers.api_results import SubmitResult

# Start-up order (issue 13): this module imports only what the parser and the request file
# need; `run` then starts the workers' fork server (`_preload_server`: it imports the child's
# stack and warms the model up on another core), and only then imports the runtime, the
# handlers and the contracts, while the server preloads. The summary's modules come last, on a
# thread of their own (`_follow.SummaryWarmUp`).

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
  sweep run --preset minimal                    # a sweep space shipped with the model
  sweep run req.json --preset pricing_focused   # the preset's space, the file's other fields

{EXIT_STATUS_RUN_HELP}
"""

PRESET_SHARD_SIZE = 4
"""Points per shard of `sweep run --preset NAME` without a request file."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a sweep locally with a progress bar and a summary",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "request",
        type=Path,
        metavar="REQUEST.json",
        nargs="?",
        help="sweep request (a JSON object); optional with --preset",
    )
    parser.add_argument(
        "--preset",
        metavar="NAME",
        help="sweep the model's preset NAME (`sweep models` lists them): sets the request's "
        "`preset`; without REQUEST.json the request is {run_id: NAME (or --run-id), preset, "
        f"dimensions: {{}}, shard_size: {PRESET_SHARD_SIZE}}}",
    )
    add_store_option(parser)
    parser.add_argument(
        "--run-id",
        metavar="ID",
        help="use this run_id instead of the request's (to run the same sweep again)",
    )
    parser.add_argument(
        "--model",
        choices=model_names(),
        help="run this model: replaces the request's `model` (default: the request's, else "
        "$SWEEP_DEFAULT_MODEL, else ride_hailing)",
    )
    add_runtime_options(parser)
    parser.add_argument(
        "--timings",
        nargs="?",
        const="text",
        choices=("text", "json"),
        help="print on stderr where the command's wall time went (imports, planning, worker "
        "start-up, shards, the idle tail, the summary), as text or one JSON document",
    )
    parser.set_defaults(func=run)


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


@terminate_like_interrupt  # SIGTERM: the KeyboardInterrupt path below, like Ctrl-C
def run(args: argparse.Namespace) -> int:
    root = store_root(args)
    request: object
    if args.request is None and args.preset is None:
        err("sweep run: give a REQUEST.json, or --preset NAME (`sweep models` lists presets)")
        return EXIT_USAGE
    if args.request is None:
        request = {"run_id": args.preset, "dimensions": {}, "shard_size": PRESET_SHARD_SIZE}
    else:
        try:
            request = read_request(args.request)
        except RequestFileError as exc:
            err(f"sweep run: {exc}")
            return EXIT_USAGE
    if isinstance(request, dict) and args.preset is not None:
        request["preset"] = args.preset
        request.setdefault("dimensions", {})
    if isinstance(request, dict):
        if args.run_id is not None:
            request["run_id"] = args.run_id
        if args.model is not None:
            request["model"] = args.model
    TIMELINE.mark("request read")
    from serverless_sweep.adapters.local._preload_server import start_fork_server, started_at

    # Started now unless the console script's head start did already (serverless_sweep/cli.py).
    if start_fork_server(args.model, args.start_method):
        at = started_at()  # the head start's moment; a server of an earlier command: now
        own = TIMELINE.origin is None  # the timeline counts from this process's start
        at = at if at is not None and (own or at >= TIMELINE.created) else None
        TIMELINE.mark("fork server started (preloading the workers' code)", at=at)
    from serverless_sweep.adapters.local.runtime import LocalRuntime
    from serverless_sweep.entrypoints.console.progress_bar import ShardProgress
    from serverless_sweep.handlers.api_results import DispatchNotStarted
    from serverless_sweep.handlers.ports import StoreNotConfigured

    label = request.get("run_id") if isinstance(request, dict) else None
    progress = ShardProgress(str(label or "sweep"), enabled=not args.no_progress and not args.json)
    try:
        runtime = LocalRuntime(runtime_settings(args, root))
    except (StoreNotConfigured, ValueError) as exc:
        err(f"sweep run: {exc}")
        return EXIT_USAGE
    TIMELINE.mark("runtime ready (handlers built, workers launching)")
    runtime.invoker.on_event(progress.on_event)
    if args.timings:  # its per-attempt bookkeeping only when it is printed (~3 us a shard)
        runtime.invoker.on_event(TIMELINE.on_event)
    from serverless_sweep.entrypoints.commands._follow import wait_and_report
    from serverless_sweep.entrypoints.http.errors import problem_for
    from serverless_sweep.entrypoints.http.proxy import event_payload

    try:
        try:
            result = runtime.parent.submit(event_payload(request))  # the direct-invoke shape
            TIMELINE.mark("request submitted (validated, planned, recorded)")
        except DispatchNotStarted as exc:  # the run is recorded; `redrive` starts it again
            problem = problem_of(exc)
            print_rejection("run", problem)
            return wait_and_report(
                args, root, runtime, progress, exc.record, {}, problem.code, "run"
            )
        except Exception as exc:
            refused = problem_for(exc)
            if refused is None:
                raise
            return _refused(args, refused)
        return _follow(args, root, runtime, progress, result)
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
        TIMELINE.mark("workers stopped")
        if args.timings:
            _print_timings(args.timings, runtime)


def _print_timings(form: str, runtime: LocalRuntime) -> None:
    """`--timings`: the timeline, with the runtime's own moments (pool launched, first
    hand-over, dispatch job) merged in."""
    names = {
        "pool_launched": "worker pool launched",
        "first_handover": "first shard handed to the pool",
        "dispatch_started": "dispatch job started",
        "dispatch_done": "dispatch job done (every shard invoked)",
    }
    moments = {**getattr(runtime.invoker, "timestamps", {}), **runtime.timestamps}
    extra = {names.get(key, key): value for key, value in moments.items()}
    if form == "json":
        err(TIMELINE.dumps(extra))
    else:
        for line in TIMELINE.lines(extra):
            err(line)


def _refused(args: argparse.Namespace, problem: Problem) -> int:
    """The parent refused the request: say why; exit 2 for a request error, else 1."""
    from serverless_sweep.entrypoints.console.output import emit
    from serverless_sweep.entrypoints.console.tables import dumps_json

    if args.json:
        emit(dumps_json({"status_code": problem.status, "error": problem.body()}))
    print_rejection("run", problem)
    if 400 <= problem.status < 500:
        if problem.status == 409:
            what = (
                shlex.quote(str(args.request))
                if args.request is not None
                else f"--preset {shlex.quote(args.preset)}"
            )
            again = f"{sweep_cmd()} run {what} --run-id NEW_ID"
            err(f"  hint: `{again}` runs it as a new run")
        return EXIT_USAGE
    return EXIT_FAILED


def problem_of(exc: Exception) -> Problem:
    """How the API states an exception it maps."""
    from serverless_sweep.entrypoints.http.errors import problem_for

    problem = problem_for(exc)
    assert problem is not None
    return problem


def _follow(
    args: argparse.Namespace,
    root: Path,
    runtime: LocalRuntime,
    progress: ShardProgress,
    result: SubmitResult,
) -> int:
    """After the parent accepted the run: wait for the shards that went out, and summarize."""
    from serverless_sweep.entrypoints.commands._follow import wait_and_report
    from serverless_sweep.entrypoints.http.results import dispatch_problem
    from serverless_sweep.handlers.api_results import Accepted, AlreadySubmitted

    record = result.record
    problem = dispatch_problem(result) if isinstance(result, Accepted) else None
    if problem is None:
        for warning in result.warnings:
            err(f"sweep run: warning: {warning}")
    else:
        print_rejection("run", problem)  # some shards could not be dispatched
    if isinstance(result, AlreadySubmitted):
        err(
            f"sweep run: run {record.run_id!r} was already submitted with this request on "
            f"{record.run_date}; nothing was dispatched. Its recorded status follows."
        )
        dispatched: dict[int, int] = {}
        submission = "already_submitted"
    else:
        went_out = result.dispatched_shard_ids
        dispatched = {
            s.shard_id: s.end_index - s.start_index for s in record.shards if s.shard_id in went_out
        }
        submission = problem.code if problem is not None else result.status
    return wait_and_report(args, root, runtime, progress, record, dispatched, submission, "run")
