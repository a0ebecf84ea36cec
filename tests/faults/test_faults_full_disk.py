"""Fault injection: a full file system (issue 9). The store is a 300 KiB tmpfs, mounted in a
private mount namespace (`unshare -m`, so nothing outlives the test and the machine's mounts are
untouched). `sweep run` fills it and most shards fail; the tmpfs is then grown and `sweep
redrive` recovers the run. After recovery every point has exactly one row in the success
Parquet: the figure (shards hit by the full disk, records lost: 0, duplicates: 0) is printed
and asserted. Where mounting is not allowed the test skips and says so; the failing-writes
test covers the same path without a mount.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from faults_helpers import SWEEP, env_for, tally

RUN_ID = "full-disk"
TOTAL_POINTS = 1000
NO_MOUNT = 97

SCRIPT = """
set -u
sweep="$1"; work="$2"; store="$work/store"
mount -t tmpfs -o size=300k tmpfs "$store" || exit 97
"$sweep" run "$work/request.json" --store "$store" --workers 2 --no-progress \\
    > "$work/run.out" 2> "$work/run.err"
echo "$?" > "$work/run.code"
"$sweep" status full-disk --store "$store" --json > "$work/status-full.json" 2> /dev/null
mount -o remount,size=64m "$store"
for round in 1 2 3; do
    "$sweep" redrive full-disk --store "$store" --workers 2 --no-progress \\
        > "$work/redrive$round.out" 2> "$work/redrive$round.err"
done
"$sweep" status full-disk --store "$store" --json > "$work/status.json"
cp -a "$store/." "$work/kept/"
"""


@dataclass(frozen=True)
class FullDisk:
    work: Path
    run_err: str
    redrive_err: str
    during: dict[str, object]
    after: dict[str, object]


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory: pytest.TempPathFactory) -> FullDisk:
    if shutil.which("unshare") is None:
        pytest.skip("no `unshare` to mount a private tmpfs; test_faults_store_writes covers this")
    work = tmp_path_factory.mktemp("full-disk")
    (work / "store").mkdir()
    (work / "kept").mkdir()
    request = {
        "run_id": RUN_ID,
        "model": "legacy_hash",
        "dimensions": {"a": list(range(20)), "b": list(range(50))},
        "shard_count": 200,
        "seed": 3,
    }
    (work / "request.json").write_text(json.dumps(request))
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", SCRIPT, "sh", str(SWEEP), str(work)],
        env=env_for(work / "store"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode == NO_MOUNT or "unshare failed" in proc.stderr:
        pytest.skip(f"cannot mount a private tmpfs here ({proc.stderr.strip()[-200:]})")
    assert proc.returncode == 0, proc.stderr
    return FullDisk(
        work=work,
        run_err=(work / "run.err").read_text(),
        redrive_err="".join((work / f"redrive{i}.err").read_text() for i in (1, 2, 3)),
        during=json.loads((work / "status-full.json").read_text()),
        after=json.loads((work / "status.json").read_text()),
    )


def test_a_full_disk_loses_and_duplicates_nothing_after_redrive(full_disk: FullDisk) -> None:
    hit = int(str(full_disk.during["shard_count"])) - int(str(full_disk.during["succeeded_shards"]))
    counted = tally(full_disk.work / "kept", RUN_ID, TOTAL_POINTS)
    print(counted.figure(hit, "full file system (shards hit)"))
    assert hit > 0, "the tmpfs never filled: the test proved nothing"
    assert full_disk.after["state"] == "succeeded", full_disk.after
    assert full_disk.after["points_done"] == TOTAL_POINTS
    assert (counted.lost, counted.duplicates) == (0, 0)
    assert "Traceback" not in full_disk.redrive_err


def test_a_full_disk_prints_no_traceback(full_disk: FullDisk) -> None:
    assert "Traceback" not in full_disk.run_err, full_disk.run_err.count("Traceback")
