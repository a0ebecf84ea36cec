"""`sweep status` and `sweep redrive`: state from the store, missing vs pending, redrive safety."""

from __future__ import annotations

import json
import os
from pathlib import Path

import edge
import pyarrow.parquet as pq
from local_helpers import files, legacy_request, matching, sweep, write_request

from serverless_sweep.adapters.local.store import LocalObjectStore
from serverless_sweep.adapters.memory import RecordingInvoker
from serverless_sweep.entrypoints.console.markers import active_marker, active_pids
from serverless_sweep.handlers.parent import ParentConfig, ParentHandler

RUN_FLAGS = ("--workers", "1", "--max-retries", "0", "--no-progress")


def _success_files(root: Path, run_id: str) -> dict[str, tuple[int, int, bytes]]:
    return {
        key: value
        for key, value in files(root).items()
        if f"run_id={run_id}/status=success/" in key
    }


def _accept_without_running(root: Path, request: dict[str, object]) -> None:
    """Record a run as the parent does, with an invoker that runs nothing (a crashed session)."""
    parent = ParentHandler(
        invoker=RecordingInvoker(),
        store=LocalObjectStore(root),
        config=ParentConfig(
            child_function="sweep-child", default_model="legacy_hash", results_prefix=""
        ),
    )
    assert edge.submit(parent, request)["statusCode"] == 202


def test_status_of_a_failed_run(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("st-fail", failure_injection_shards=[1]))
    assert sweep("run", request, "--store", store, *RUN_FLAGS).code == 1

    text = sweep("status", "st-fail", "--store", store)
    doc = sweep("status", "st-fail", "--store", store, "--json")

    assert text.code == doc.code == 1
    assert "state      failed" in text.out
    assert "shards     5 total: 4 succeeded, 1 failed, 0 missing" in text.out
    assert "coverage   80.0% (8 of 10 points)" in text.out
    assert "shard 1 attempt 1 [injected] RuntimeError" in text.out
    status = doc.json()
    assert (status["state"], status["local_state"]) == ("failed", "failed")
    assert status["failures"][0]["error_kind"] == "injected"
    assert status["active_pids"] == [] and status["missing_shards"] == 0


def test_status_of_a_succeeded_run_exits_0(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("st-ok"))
    assert sweep("run", request, "--store", store, *RUN_FLAGS).code == 0

    result = sweep("status", "st-ok", "--store", store)

    assert result.code == 0
    assert "state      succeeded" in result.out


def test_status_of_an_unknown_run_exits_3(tmp_path: Path) -> None:
    result = sweep("status", "nope", "--store", tmp_path / "nowhere")

    assert result.code == 3
    assert "no run 'nope'" in result.err
    assert "does not exist" in result.err
    assert not (tmp_path / "nowhere").exists()  # reading never creates the store


def test_shards_without_a_record_are_missing_when_nothing_runs_them(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _accept_without_running(store, legacy_request("st-missing"))

    result = sweep("status", "st-missing", "--store", store)
    doc = sweep("status", "st-missing", "--store", store, "--json").json()

    assert result.code == 1
    assert "state      incomplete" in result.out
    assert "0 succeeded, 0 failed, 5 missing" in result.out
    assert "sweep redrive st-missing --store" in result.out
    assert (doc["state"], doc["local_state"], doc["missing_shards"]) == ("running", "incomplete", 5)


def test_shards_are_pending_while_a_local_process_works_on_the_run(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _accept_without_running(store, legacy_request("st-pending"))

    with active_marker(store, "st-pending", "sweep run"):
        assert active_pids(store, "st-pending") == [os.getpid()]
        result = sweep("status", "st-pending", "--store", store)
    after = active_pids(store, "st-pending")

    assert result.code == 1
    assert "state      running" in result.out
    assert "5 pending" in result.out
    assert f"still being run by local process {os.getpid()}" in result.out
    assert after == []


def test_stale_markers_of_dead_processes_are_ignored(tmp_path: Path) -> None:
    folder = tmp_path / ".sweep-local" / "active" / "r"
    folder.mkdir(parents=True)
    (folder / "999999999.json").write_text("{}")

    assert active_pids(tmp_path, "r") == []
    assert not (folder / "999999999.json").exists()


def test_redrive_reruns_only_failed_shards_and_never_touches_successes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("rd", failure_injection_shards=[1, 3]))
    assert sweep("run", request, "--store", store, *RUN_FLAGS).code == 1
    successes = _success_files(store, "rd")
    assert len(successes) == 6  # 3 Parquet files + 3 envelopes

    result = sweep("redrive", "rd", "--store", store, *RUN_FLAGS)

    # the injected failures fire again, now as attempt 2
    assert result.code == 1
    assert "dispatching 2 shard(s) (1, 3) as attempt 2" in result.err
    assert "rd: 2/2 shards finished: 0 succeeded, 2 failed" in result.err
    assert "shard 1 attempt 2 [injected]" in result.out
    assert _success_files(store, "rd") == successes  # same bytes, mtimes and inodes
    errors = matching(store, "dataset=shard_errors/*/run_id=rd/status=failure/*.parquet")
    assert [Path(e).name.rsplit("-", 1)[0] for e in errors] == [
        "part-1-1",
        "part-1-2",
        "part-3-1",
        "part-3-2",
    ]
    attempts = sorted(pq.read_table(store / e).column("attempt")[0].as_py() for e in errors)
    assert attempts == [1, 1, 2, 2]
    envelopes = matching(store, "dataset=shard_outcomes/*/run_id=rd/status=failure/*.json")
    assert sorted(json.loads((store / e).read_text())["attempt"] for e in envelopes) == [
        1,
        1,
        2,
        2,
    ]


def test_redrive_runs_missing_shards_to_completion(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _accept_without_running(store, legacy_request("rd-missing"))

    result = sweep("redrive", "rd-missing", "--store", store, *RUN_FLAGS)

    assert result.code == 0
    assert "dispatching 5 shard(s) (0, 1, 2, 3, 4) as attempt 2" in result.err
    assert "state      succeeded" in result.out
    assert "coverage   100.0%" in result.out
    assert sweep("status", "rd-missing", "--store", store).code == 0


def test_redrive_of_a_succeeded_run_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("rd-ok"))
    assert sweep("run", request, "--store", store, *RUN_FLAGS).code == 0
    before = files(store)

    result = sweep("redrive", "rd-ok", "--store", store, *RUN_FLAGS)

    assert result.code == 0
    assert "nothing to redrive" in result.err
    assert "state      succeeded" in result.out
    # nothing dispatched, nothing written (not even a redrive log)
    assert files(store) == before


def test_redrive_of_an_unknown_run_exits_3(tmp_path: Path) -> None:
    result = sweep("redrive", "nope", "--store", tmp_path / "store", *RUN_FLAGS)

    assert result.code == 3
    assert "no run 'nope'" in result.err
    assert not (tmp_path / "store").exists()
