"""How long `make codegen` takes to render every generated file (median over rounds).

Moved out of the test suite (issue 10): a wall-clock limit there failed under `pytest -n 8` on
a loaded machine. This prints the figure instead: `codegen: N files in S s (median of R)`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codegen import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="renders to time (default 3)")
    args = parser.parse_args(argv)
    times = []
    files = 0
    for _ in range(max(1, args.rounds)):
        start = time.perf_counter()
        files = len(render())
        times.append(time.perf_counter() - start)
    print(f"codegen: {files} files in {statistics.median(times):.2f} s (median of {len(times)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
