"""Fault injection: corrupt objects (issue 9). One success Parquet of run A is truncated and
run A's manifest gets random bytes, next to an intact run B. What must hold: nothing of run B is
touched or lost, and no command shows a traceback. Issue 9 items 3 and 4 add: queries about run B
still work (the damaged file is skipped with a warning), and redrive repairs run A (records
lost: 0, duplicates: 0): still xfail strict until redrive dispatches the shards that
`handlers.verify.damaged_shards` reports.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from faults_helpers import tally
from local_helpers import files, legacy_request, sweep, write_request

from serverless_sweep.core.keys import encode_run_id

TOTAL_POINTS = 10  # of each legacy_request run


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """Runs A and B succeeded; then one Parquet of A is truncated (1 fault)."""
    store = tmp_path / "store"
    for run_id in ("A", "B"):
        request = write_request(tmp_path, legacy_request(run_id), f"{run_id}.json")
        assert sweep("run", request, "--store", store, "--workers", "1", "--no-progress").code == 0
    (victim,) = sorted(
        store.glob(f"dataset=shard_metrics/*/run_id={encode_run_id('A')}/status=success/*")
    )[:1]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    return store


def _b_files(store: Path) -> dict[str, tuple[int, int, bytes]]:
    return {k: v for k, v in files(store).items() if "run_id=B/" in k}


def _scramble_manifest(store: Path, run_id: str) -> None:
    (manifest,) = store.glob(f"dataset=runs/*/run_id={encode_run_id(run_id)}/*/manifest.json")
    manifest.write_bytes(os.urandom(512))


def _try(*argv: str | Path) -> str:
    """Run a command; what it printed, or the exception that escaped it (items 3, 4)."""
    try:
        result = sweep(*argv)
    except Exception as exc:
        return f"Traceback (escaped): {type(exc).__name__}: {exc}"
    return result.out + result.err


def test_damaged_objects_of_one_run_never_change_another(damaged: Path) -> None:
    """Nothing overwritten, nothing lost: every file of run B keeps its bytes, inode and mtime
    whatever the commands on the damaged run A do, and B's status stays right."""
    before = _b_files(damaged)
    for argv in (("status", "A"), ("redrive", "A", "--no-progress"), ("results", "A")):
        _try(*argv, "--store", damaged)
    _scramble_manifest(damaged, "A")
    for argv in (("status", "A"), ("redrive", "A", "--no-progress"), ("results", "A")):
        _try(*argv, "--store", damaged)
    assert _b_files(damaged) == before
    assert sweep("status", "B", "--store", damaged, "--json").json()["state"] == "succeeded"
    counted = tally(damaged, "B", TOTAL_POINTS)
    print(counted.figure(2, "corrupt objects of another run"))
    assert (counted.lost, counted.duplicates) == (0, 0)


def test_commands_on_a_damaged_run_print_no_traceback(damaged: Path) -> None:
    outputs = [_try(cmd, "A", "--store", damaged) for cmd in ("status", "results")]
    outputs.append(_try("redrive", "A", "--store", damaged, "--no-progress"))
    _scramble_manifest(damaged, "A")
    outputs += [_try(cmd, "A", "--store", damaged) for cmd in ("status", "results")]
    assert not [o for o in outputs if "Traceback" in o]


def test_queries_about_another_run_survive_a_damaged_file(damaged: Path) -> None:
    result = sweep(
        "query", "--store", damaged, "--format", "json",
        "SELECT count(*) AS n FROM shard_metrics WHERE run_id = 'B'",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()[0]["n"] == TOTAL_POINTS


def test_redrive_repairs_a_truncated_parquet(damaged: Path) -> None:
    sweep("redrive", "A", "--store", damaged, "--no-progress")
    counted = tally(damaged, "A", TOTAL_POINTS)
    print(counted.figure(1, "truncated Parquet"))
    assert (counted.lost, counted.duplicates) == (0, 0)
