"""`sweep replay PATH...`: check parity with the old runtime's recorded cases."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from serverless_sweep.entrypoints.replay import DIVERGENCES, run_replay

HELP = """\
Load sweep-replay/v1 fixture files (files or directories, searched for *.json), run every case
against this code with the deployment default model set to legacy_hash, print one line per
failing case (its id and what differed), and end with 'N passed, M failed'.

Cases that carry a declared divergence tag and show the declared new behaviour are counted on
their own line, never silently skipped. Declared divergences:
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    divergences = "\n".join(f"  {tag}: {why}" for tag, why in DIVERGENCES.items())
    parser = subparsers.add_parser(
        "replay",
        help="replay the old runtime's recorded cases and report parity",
        description=HELP + divergences,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="fixture file or directory"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = run_replay(args.paths)
    except (FileNotFoundError, ValueError) as exc:
        print(f"sweep replay: {exc}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 0 if not report.failed else 1
