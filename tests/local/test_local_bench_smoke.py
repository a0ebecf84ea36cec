"""The benchmarks still run (tiny sizes): they are not collected as tests otherwise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _run(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=600, check=False
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


def test_bench_parallel_compares_sweep_run_with_the_pools() -> None:
    out = _run(str(BENCH / "bench_parallel.py"), "--quick", "--workers", "1")

    assert "4 points, 1 worker, 1 round(s), load average" in out
    assert re.search(r"^round 1/1: .*\(load [\d.]+, steal (\d+%|n/a)\)$", out, re.M)
    assert re.search(r"load average [\d. ]+, steal (\d+%|n/a); every candidate", out)
    assert "every candidate's metrics equal the serial loop's for every point" in out
    for name in ("sweep", "serial", "executor", "mp_pool"):
        assert re.search(rf"^{name} +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$", out, re.M), name
    assert re.search(r"^parallel: sweep run / best peer = [\d.]+ \(\w+\)$", out, re.M)
    assert re.search(r"^parallel efficiency: sweep run [\d.]+$", out, re.M)
    assert re.search(r"^cpu: sweep run / best peer = [\d.]+ \(\w+\); sweep run / serial", out, re.M)
    assert "sweep run timeline (s since its process started, median over rounds):" in out
    for moment in ("pool launched", "first shard start", "exited (measured outside)"):
        assert re.search(rf"^ +[\d.]+  {re.escape(moment)}$", out, re.M), moment
    if "joblib: skipped" in out:  # a skip says why
        assert "cannot be imported here" in out


def test_bench_local_load_prints_shards_per_second() -> None:
    out = _run(str(BENCH / "bench_local_load.py"), "--quick", "--workers", "2")

    assert "300 one-point legacy_hash shards, 2 workers, 1 round(s), load average" in out
    assert re.search(r"^300 one-point .*, load average [\d. ]+, steal (\d+%|n/a)$", out, re.M)
    assert re.search(r"^round 1/1: sweep run .*\(steal (\d+%|n/a)\)$", out, re.M)
    assert re.search(r"^load: sweep run \d+ shards/s \([\d.]+ s, median\)$", out, re.M)
    assert re.search(r"^ratio: sweep run / plain pool time = [\d.]+$", out, re.M)
    cpu = r"^cpu: sweep run [\d.]+ ms per shard, plain pool [\d.]+ ms per point \(median"
    assert re.search(cpu, out, re.M)


def test_bench_detail_outputs_prints_the_cost_when_not_asked_and_when_asked() -> None:
    out = _run(str(BENCH / "bench_detail_outputs.py"), "--quick", "--rounds", "1")

    assert re.search(r"not asked: \d+ hook tests = -?[\d.]+ ms of \d+ ms per point", out)
    assert re.search(r"asked: \d+ ms, ratio asked/plain = [\d.]+, \d+ detail rows", out)
