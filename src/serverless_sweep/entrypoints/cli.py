"""`sweep`: run parameter sweeps locally, inspect them, query their results, replay old cases.

Subcommands are registered from small modules so that each stays readable on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Sequence

from serverless_sweep import __version__
from serverless_sweep.entrypoints.console.exit_codes import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from serverless_sweep.entrypoints.console.timings import TIMELINE
from serverless_sweep.handlers.ports import StoreError

# Module names under serverless_sweep.entrypoints.commands, in --help order.
COMMANDS: tuple[str, ...] = (
    "run",
    "submit",
    "status",
    "wait",
    "runs",
    "redrive",
    "verify",
    "results",
    "compact",
    "report",
    "query",
    "serve",
    "replay",
    "models",
)

DESCRIPTION = """\
Run a parameter sweep of a simulation model on this machine, exactly as it would run on AWS
Lambda: the same parent and child handlers, worker processes for the async fan-out, a local
folder with the cloud's Hive layout for results, and DuckDB in place of Athena.

Typical session:
  sweep run examples/ride_hailing_sweep.json   # run a sweep, with a progress bar and summary
  sweep status ride-hailing-demo               # succeeded / failed / missing shards
  sweep redrive ride-hailing-demo              # re-run only failed or missing shards
  sweep results ride-hailing-demo              # best configurations by health score
  sweep query "SELECT count(*) FROM shard_metrics"
  sweep serve                                  # local API (API Gateway emulator) on 127.0.0.1
  sweep submit req.json --api URL              # the same against an API (status, wait,
  sweep wait RUN_ID --api URL                  #   redrive, results and runs take --api too)
  sweep replay ../shared/replay                # parity with the old runtime's recorded cases
  sweep models                                 # built-in and plug-in models, their presets
"""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The `sweep` parser; with `only`, just that command's subparser is registered.

    Each command module imports what its command needs (`run`: the local runtime; `query`:
    DuckDB and pyarrow), so registering all of them costs a command the imports of every
    other one: about half a second of `sweep run`'s start-up (issue 13). `main` registers only
    the command it was asked for, and every command when none is named (`sweep --help`, a
    typo: the usage message must list them all).
    """
    parser = argparse.ArgumentParser(
        prog="sweep",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"serverless-sweep {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        try:
            module = importlib.import_module(f"serverless_sweep.entrypoints.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"serverless_sweep.entrypoints.commands.{name}":
                raise
            continue  # not built yet in this checkout
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `sweep` command (`argv`, default: this process's command line); its status.

    When it runs the process's own command line (the console script, `python -m`), every
    object alive when the command is done is frozen (`gc.freeze`) before the interpreter exits:
    its finalization otherwise runs full garbage collections over every object the imports made
    (pydantic's models, pyarrow, DuckDB), about a quarter of a second of CPU for nothing but
    freeing memory the process gives back anyway (issue 13: 0.25-0.34 s -> 0.04-0.08 s with
    `sweep run`'s modules). Files are closed and stores written by then. A caller that passes
    `argv` (a test, an embedding program) goes on living, so its objects are left alone.
    """
    own_command_line = argv is None
    TIMELINE.reset(since_process_start=own_command_line)
    try:
        return _main(argv)
    finally:
        if own_command_line:
            gc.freeze()


def _main(argv: Sequence[str] | None) -> int:
    TIMELINE.mark("sweep main entered (interpreter and CLI imported)")
    words = list(sys.argv[1:] if argv is None else argv)
    named = words[0] if words and words[0] in COMMANDS else None
    parser = build_parser(named)
    args = parser.parse_args(words)
    TIMELINE.mark("arguments parsed (command modules imported)")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except StoreError as exc:  # a damaged store record (CorruptRecord names the key and run)
        print(f"sweep {args.command}: {exc}; `sweep verify RUN_ID` checks a run", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # `sweep query ... | head`: the reader left; that is not an error worth a traceback.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - swallow the final flush
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
