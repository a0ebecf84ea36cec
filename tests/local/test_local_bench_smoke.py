"""The benchmarks still run (tiny sizes): they are not collected as tests otherwise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from local_helpers import ride_request, write_request

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _run(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_bench_dispatch_prints_a_ratio() -> None:
    out = _run(str(BENCH / "bench_dispatch.py"), "--shards", "300", "--rounds", "1")

    assert "parent dispatch of 300 shards" in out
    assert "dispatch = " in out and "x json" in out


def test_bench_parallel_prints_the_efficiency(tmp_path: Path) -> None:
    request = write_request(tmp_path, ride_request("bench-smoke"))

    out = _run(str(BENCH / "bench_parallel.py"), "--request", str(request), "--workers", "1")

    assert "4 points, 1 worker" in out
    assert "parallel efficiency" in out
