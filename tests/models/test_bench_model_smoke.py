"""bench/bench_model.py still runs (tiny sizes, one round): benchmarks are not collected as
tests otherwise. Its figures are not checked here (no timings in tests); only that it prints
the ladder, the growth exponent and the target ratios."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_model.py"


def test_bench_model_prints_the_ladder_and_the_exponent() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--sizes", "50x10,100x20", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ms per point (CPU, median of 1 rounds), radius 4" in out
    assert "    50x10  " in out and "   100x20  " in out
    assert "growth exponent, candidate: 50->100:" in out
    assert "load average at start: " in out and "load average at end: " in out
    assert re.search(r"during the bench: steal (\d+%|n/a)$", out, re.M)
    # The baseline comes from git history; a checkout without it says so instead.
    assert "baseline: sim+grid+_seeding at 833a1f1" in out or "baseline: unavailable" in out
    if "baseline: sim+" in out:
        assert "growth exponent, baseline" in out


def test_bench_model_compares_with_the_code_of_a_git_ref() -> None:
    """--compare-src REF runs the simulation's modules as they are at REF: against the last
    commit they compute the same rows (unless the working tree changed the model's results,
    which the golden corpus would catch first)."""
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--sizes", "50x10", "--rounds", "1", "--compare-src", "HEAD"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    if "baseline: unavailable" in proc.stdout:
        pytest.skip(f"no git history here: {proc.stdout.splitlines()[2]}")
    assert "baseline: sim+grid+assignment+_seeding at HEAD" in proc.stdout
    row = next(line for line in proc.stdout.splitlines() if line.startswith("    50x10"))
    assert row.endswith("8/8"), row
