"""`sweep replay PATH...`: check parity with the old runtime's recorded cases."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from serverless_sweep.entrypoints.replay import DIVERGENCES, load_pins, run_replay

HELP = """\
Load sweep-replay/v1 fixture files (files or directories, searched for *.json), run every case
against this code with the deployment default model set to legacy_hash, print one line per
failing case (its id and what differed), and end with 'N passed, M failed'.

Cases that carry a declared divergence tag and show the declared new behaviour are counted on
their own line, never silently skipped. With --pins (the repository's
tests/replay/divergence_pins.json) each such case must give exactly its pinned outcome
(message and details of the rejection, or the value); a divergence without a pin, or not as
pinned, fails. Declared divergences:
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
    parser.add_argument(
        "--pins",
        type=Path,
        metavar="FILE",
        help="pinned outcomes of the divergent cases (sweep-replay-pins/v1), checked exactly",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        pins = load_pins(args.pins) if args.pins is not None else None
        report = run_replay(args.paths, pins=pins)
    except (FileNotFoundError, ValueError) as exc:
        print(f"sweep replay: {exc}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 0 if not report.failed else 1
