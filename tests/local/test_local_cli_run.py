"""`sweep run` end to end: real worker processes, a temporary store, the exit-status contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from local_helpers import (
    files,
    legacy_request,
    matching,
    ride_request,
    sweep,
    write_request,
)

from serverless_sweep.entrypoints.cli import main


def test_legacy_hash_run_succeeds_and_lands_one_file_per_shard(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("leg-ok"))

    result = sweep("run", request, "--store", store, "--workers", "2", "--no-progress")

    assert result.code == 0, result.err
    assert "state      succeeded" in result.out
    assert "shards     5 total: 5 succeeded, 0 failed, 0 missing" in result.out
    assert "coverage   100.0% (10 of 10 points)" in result.out
    assert "best configurations by health score (top 5 of 10 points" in result.out
    assert "sweep results leg-ok --store" in result.out
    assert "dataset=shard_metrics/run_date=" in result.out
    # the final progress line is printed even without a terminal
    assert "leg-ok: 5/5 shards finished: 5 succeeded, 0 failed, 0 pending; 10 points" in (
        result.err
    )
    run_folder = "*/run_id=leg-ok/status=success"
    assert len(matching(store, f"dataset=shard_metrics/{run_folder}/*.parquet")) == 5
    assert len(matching(store, f"dataset=shard_outcomes/{run_folder}/*.json")) == 5
    assert matching(store, "dataset=shard_errors/**/*.parquet") == []


def test_json_output_is_one_document(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("leg-json"))

    result = sweep("run", request, "--store", store, "--workers", "1", "--json")

    assert result.code == 0
    doc = result.json()
    assert doc["run_id"] == "leg-json"
    assert doc["submission"] == {"status": "dispatch_submitted", "shards_dispatched": 5}
    assert doc["status"]["state"] == "succeeded"
    assert doc["status"]["coverage"] == 1.0
    assert doc["status"]["missing_shards"] == 0
    assert doc["exit_status"] == 0
    assert doc["points_per_second"] > 0
    assert len(doc["best_configurations"]) == 5
    assert doc["best_configurations"][0]["rank"] == 1


def test_tiny_ride_hailing_run_in_a_subprocess(tmp_path: Path) -> None:
    """The console entry point in its own process, as `make run` calls it."""
    store = tmp_path / "store"
    request = write_request(tmp_path, ride_request("ride-sub"))
    env = {**os.environ, "SWEEP_STORE": str(store)}

    proc = subprocess.run(
        [sys.executable, "-m", "serverless_sweep.entrypoints.cli", "run", str(request)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )

    assert proc.returncode == 0, proc.stderr
    assert "state      succeeded" in proc.stdout
    # the table shows the dimensions that vary, not the one-value setting num_riders
    header = next(line for line in proc.stdout.splitlines() if line.strip().startswith("rank"))
    assert header.split()[:4] == ["rank", "score", "commission_rate", "num_drivers"]
    assert "conversion" in header
    assert "ride-sub: 2/2 shards finished: 2 succeeded" in proc.stderr
    assert len(matching(store, "dataset=shard_metrics/*/run_id=ride-sub/status=success/*")) == 2


def test_injected_failure_exits_1_and_shows_the_message(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("leg-fail", failure_injection_shards=[3]))

    result = sweep(
        "run", request, "--store", store, "--workers", "1", "--max-retries", "0", "--no-progress"
    )

    assert result.code == 1
    assert "state      failed" in result.out
    assert "4 succeeded, 1 failed, 0 missing" in result.out
    assert "coverage   80.0% (8 of 10 points)" in result.out
    assert (
        "shard 3 attempt 1 [injected] RuntimeError: Injected shard failure for verification"
        in result.out
    )
    assert "sweep redrive leg-fail --store" in result.out


def test_failures_within_the_tolerated_percentage_exit_0(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(
        tmp_path,
        legacy_request("leg-tol", failure_injection_shards=[0], tolerated_failure_percentage=20),
    )

    result = sweep("run", request, "--store", store, "--workers", "1", "--max-retries", "0")

    assert result.code == 0
    assert "state      succeeded" in result.out
    assert "1 failed" in result.out


def test_rejected_request_exits_2_naming_the_field_and_rule(tmp_path: Path) -> None:
    store = tmp_path / "store"
    bad = ride_request("ride-bad")
    bad["dimensions"]["num_drivers"] = [5, -1]
    bad["dimensions"]["speed"] = [1]
    request = write_request(tmp_path, bad)

    result = sweep("run", request, "--store", store, "--workers", "1")

    assert result.code == 2
    assert result.out == ""
    assert "validation_error (400)" in result.err
    assert "/dimensions/num_drivers/1  [minimum]" in result.err
    assert "/dimensions/speed  [unknown_parameter]" in result.err
    assert matching(store, "dataset=*") == []  # nothing recorded


def test_rejected_request_with_json_prints_the_error_body(tmp_path: Path) -> None:
    request = write_request(tmp_path, {"run_id": "x", "dimensions": {}})

    result = sweep("run", request, "--store", tmp_path / "s", "--json")

    assert result.code == 2
    doc = result.json()
    assert doc["status_code"] == 400
    assert doc["error"]["details"][0]["pointer"].startswith("/dimensions")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        ('{"run_id": "x",\n "dimensions": {]}', "is not valid JSON: Expecting property name"),
        ('{"run_id": "x", "run_id": "y", "dimensions": {"a": [1]}}', "duplicate"),
        ('{"run_id": "x", "dimensions": {"a": [NaN]}}', "/dimensions/a/0"),
    ],
)
def test_unreadable_request_file_exits_2_naming_the_file(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "req.json"
    if content is not None:
        path.write_text(content)

    result = sweep("run", path, "--store", tmp_path / "s")

    assert result.code == 2
    assert str(path) in result.err
    assert expected in result.err
    if content is not None and "Expecting" in expected:
        assert "(line 2, column" in result.err


def test_rerunning_the_same_request_dispatches_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("leg-again", failure_injection_shards=[2]))
    args = ("run", request, "--store", store, "--workers", "1", "--max-retries", "0")
    first = sweep(*args, "--no-progress")
    before = files(store)

    again = sweep(*args, "--json")

    assert first.code == again.code == 1  # the same recorded state, the same answer
    assert again.json()["submission"] == {"status": "already_submitted", "shards_dispatched": 0}
    assert again.json()["wall_time_s"] is None
    assert files(store) == before  # not a byte written, not a file touched
    text = sweep(*args)
    assert "was already submitted with this request" in text.err
    assert "nothing was dispatched" in text.err
    assert "state      failed" in text.out


def test_run_id_flag_runs_the_same_request_again(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("leg-base"))

    assert sweep("run", request, "--store", store, "--workers", "1").code == 0
    second = sweep("run", request, "--store", store, "--workers", "1", "--run-id", "leg-2")

    assert second.code == 0
    assert "run        leg-2" in second.out
    assert len(matching(store, "dataset=runs/*/*/status=accepted/manifest.json")) == 2


def test_same_run_id_with_another_request_is_a_409(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = write_request(tmp_path, legacy_request("leg-409"), "a.json")
    other = write_request(tmp_path, legacy_request("leg-409", seed=8), "b.json")
    assert sweep("run", first, "--store", store, "--workers", "1").code == 0

    result = sweep("run", other, "--store", store, "--workers", "1")

    assert result.code == 2
    assert "conflict (409)" in result.err
    assert "choose a new run_id" in result.err


def test_store_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "env-store"
    monkeypatch.setenv("SWEEP_STORE", str(store))
    monkeypatch.chdir(tmp_path)
    request = write_request(tmp_path, legacy_request("leg-env"))

    result = sweep("run", request, "--workers", "1", "--json")

    assert result.code == 0
    assert result.json()["store"] == str(store)
    assert matching(store, "dataset=runs/*/run_id=leg-env/*/manifest.json")
    assert not (tmp_path / "sweep-data").exists()


def test_help_teaches_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    assert "exit status:" in text
    assert "examples:" in text
    assert "--chaos-duplicates RATE" in text


def test_bad_flag_values_are_usage_errors(tmp_path: Path) -> None:
    request = write_request(tmp_path, legacy_request())
    with pytest.raises(SystemExit) as exc:
        sweep("run", request, "--chaos-duplicates", "1.5")
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        sweep("run", request, "--workers", "0")
    assert exc.value.code == 2


def test_summary_json_lists_failures_with_messages(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("leg-fj", failure_injection_shards=[0, 4]))

    result = sweep(
        "run", request, "--store", store, "--workers", "1", "--max-retries", "0", "--json"
    )

    assert result.code == 1
    failures = result.json()["status"]["failures"]
    assert [f["shard_id"] for f in failures] == [0, 4]
    assert {f["error_message"] for f in failures} == {"Injected shard failure for verification"}
    assert json.dumps(result.json())  # plain JSON types only


def test_sweep_run_prints_the_warnings_of_a_typo(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write_request(tmp_path, legacy_request("leg-typo", sed=5))
    result = sweep("run", request, "--store", store, "--workers", "1", "--no-progress")
    assert result.code == 0
    assert "warning: unknown field 'sed' was ignored; did you mean 'seed'?" in result.err


def test_a_typo_in_a_dimension_name_says_did_you_mean_once(tmp_path: Path) -> None:
    bad = ride_request("ride-typo")
    bad["dimensions"]["comission_rate"] = bad["dimensions"].pop("commission_rate", [0.1])
    request = write_request(tmp_path, bad)
    result = sweep("run", request, "--store", tmp_path / "store", "--workers", "1")
    assert result.code == 2
    assert "/dimensions/comission_rate  [unknown_parameter]" in result.err
    assert result.err.count("did you mean 'commission_rate'?") == 1
    assert result.err.count("is not a parameter of model") == 1  # said once, not twice
