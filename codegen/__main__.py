"""`python -m codegen [--check | --release VERSION]`."""

from __future__ import annotations

import argparse
import sys
import time

from codegen import compat, pipeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen",
        description="Regenerate everything derived from schemas/ (make codegen).",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temp dir and exit 1 when a generated file is stale",
    )
    mode.add_argument(
        "--release",
        metavar="VERSION",
        help="freeze schemas/VERSION into schemas/released/VERSION.lock.json (once)",
    )
    parser.add_argument(
        "--force", action="store_true", help="with --release: overwrite an existing lock"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()

    if args.release:
        try:
            path = compat.write_lock(args.release, force=args.force)
        except FileExistsError as error:
            print(f"codegen: {error}", file=sys.stderr)
            return 1
        print(f"codegen: wrote {path.relative_to(compat.SCHEMAS_ROOT.parent)}")
        return 0

    if args.check:
        problems = pipeline.check()
        if problems:
            print(
                "codegen: generated files are out of date with schemas/ "
                f"({len(problems)} file(s)):",
                file=sys.stderr,
            )
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            print("Run `make codegen` (python -m codegen) and commit the result.", file=sys.stderr)
            return 1
        print(f"codegen: generated files are up to date ({time.perf_counter() - start:.1f} s)")
        return 0

    changes = pipeline.generate()
    for change in changes:
        print(f"codegen: {change}")
    print(f"codegen: {len(changes)} file(s) changed ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
