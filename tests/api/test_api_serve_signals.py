"""SIGKILL of `sweep serve` with shards in flight (issue 9, item 5): no worker survives it.

Before the fix the server's worker processes were orphaned and slept for ever once their
shard was done. Checked with /proc within a bounded poll (not a timing assertion).
"""

from __future__ import annotations

import json
import signal
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from api_helpers import ServeProcess

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "local"))
from proc_helpers import (
    HAVE_PROC,
    SKIP_REASON,
    descendants,
    kill_all,
    survivors,
    wait_for,
)

pytestmark = pytest.mark.skipif(not HAVE_PROC, reason=SKIP_REASON)

WORKERS = 2
BOUND_S = 60.0


def test_sigkill_of_sweep_serve_leaves_no_worker_behind(tmp_path: Path) -> None:
    """Item 5: SIGKILL of `sweep serve` while shards run: every worker exits on its own."""
    request = {
        "run_id": "kill-serve",
        "model": "ride_hailing",
        "dimensions": {
            "num_riders": [3000],
            "num_drivers": [100, 200, 300, 400],
            "commission_rate": [0.1, 0.2, 0.3, 0.4],
        },
        "shard_count": 16,
    }
    seen: set[int] = set()
    try:
        with ServeProcess(tmp_path / "store", workers=WORKERS) as serve:
            assert serve.process is not None
            pid = serve.process.pid
            post = urllib.request.Request(
                f"{serve.url}/sweep-run",
                data=json.dumps(request).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(post, timeout=BOUND_S) as answer:
                assert answer.status == 202

            def busy() -> bool:
                seen.update(descendants(pid))
                return len(descendants(pid)) >= WORKERS

            assert wait_for(busy, BOUND_S), "sweep serve never started its workers"
            workers = descendants(pid)
            seen.update(workers)
            time.sleep(0.5)  # let the workers settle into their shards (not asserted)
            assert serve.stop(signal.SIGKILL) == -signal.SIGKILL

        assert wait_for(lambda: not survivors(workers), BOUND_S), (
            f"workers outlived their killed server: {survivors(workers)}"
        )
    finally:
        kill_all(survivors(seen))
