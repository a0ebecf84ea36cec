"""What `sweep run` and `sweep redrive` share: the local runtime's flags, the settings
they make, and how a refused request is printed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from serverless_sweep.entrypoints.console.arguments import positive_float, positive_int, rate

if TYPE_CHECKING:  # the HTTP edge imports the contracts: not needed to start `sweep run`;
    # the runtime module is imported by `runtime_settings`, after `sweep run` has started the
    # workers' fork server (issue 13)
    from serverless_sweep.adapters.local.runtime import LocalSettings
    from serverless_sweep.entrypoints.http.errors import Problem

RUNTIME_OPTIONS_HELP = "local runtime (the Lambda settings, emulated)"


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
    group.add_argument(
        "--start-method",
        choices=("forkserver", "spawn"),
        help="how worker processes start: forkserver (the default where the platform has it) "
        "imports the child's code and warms the model up once in a fork server, and every "
        "worker is a fork of it; spawn starts each worker as a fresh interpreter that imports "
        "it all itself (more CPU: about half a second per worker)",
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
    from serverless_sweep.adapters.local.runtime import LocalSettings

    return LocalSettings(
        root=root,
        default_model=getattr(args, "model", None),
        workers=args.workers,
        max_concurrency=args.max_concurrency,
        max_retries=args.max_retries,
        duplicate_delivery_rate=args.chaos_duplicates,
        timeout_s=args.timeout_s,
        start_method=args.start_method,
    )


def err(message: str) -> None:
    print(message, file=sys.stderr)


def print_rejection(command: str, problem: Problem) -> None:
    """A refusal, as the API states it: the message, then each detail's pointer, rule and
    message."""
    err(f"sweep {command}: {problem.code} ({problem.status}): {problem.message}")
    for detail in problem.details:
        # the headline is the first detail's message: say it once (issue 12)
        said = detail.message == problem.message
        err(f"  {detail.pointer or '/'}  [{detail.rule}]" + ("" if said else f"  {detail.message}"))
