"""The benchmarks still run (tiny sizes): they are not collected as tests otherwise."""

from __future__ import annotations

import re
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


def test_bench_dispatch_prints_the_rate_the_ratio_and_the_submit_time() -> None:
    out = _run(
        str(BENCH / "bench_dispatch.py"),
        *("--shards", "300", "--rounds", "1", "--latency-ms", "2"),
        *("--baseline-shards", "20", "--submit-shards", "500"),
    )

    assert re.search(
        r"^dispatch: 300 shards in [\d.]+ s \(\d+ shards/s\) at 2 ms per invoke$", out, re.M
    )
    assert re.search(r"^sequential baseline: 20 shards in [\d.]+ s", out, re.M)
    assert re.search(r"ratio: dispatcher = [\d.]+x the sequential baseline", out)
    assert "submit: POST /sweep-run of 500 shards answered 202 in" in out


def test_bench_parallel_prints_the_efficiency(tmp_path: Path) -> None:
    request = write_request(tmp_path, ride_request("bench-smoke"))

    out = _run(str(BENCH / "bench_parallel.py"), "--request", str(request), "--workers", "1")

    assert "4 points, 1 worker" in out
    assert "parallel efficiency" in out
