"""`sweep ... --api URL` against a real `sweep serve` over HTTP (issue 12): submit, status, wait,
redrive with the local commands' output and exit statuses; $SWEEP_API_URL as the default;
`sweep runs` and `sweep wait` on a local store; `sweep submit` without an API."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from serverless_sweep.entrypoints.commands.remote import API_ENV_VAR
from tests.api.api_helpers import ServeProcess, free_port, legacy_request
from tests.local.local_helpers import sweep


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with ServeProcess(store=tmp_path_factory.mktemp("cli") / "store", workers=1) as serving:
        yield serving


@pytest.fixture(autouse=True)
def no_api_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_ENV_VAR, raising=False)


def write(tmp_path: Path, document: object, name: str = "request.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_submit_then_wait_then_status_against_sweep_serve(
    server: ServeProcess, tmp_path: Path
) -> None:
    request = write(tmp_path, legacy_request("cli-run"))
    submitted = sweep("submit", request, "--api", server.url)
    assert submitted.code == 0, submitted.err
    assert submitted.out == "cli-run\n"  # the run_id, for scripts
    assert "accepted run 'cli-run': 6 points in 3 shards" in submitted.err
    assert f"wait cli-run --api {server.url}" in submitted.err

    waited = sweep("wait", "cli-run", "--api", server.url, "--poll-interval", "0.1")
    assert waited.code == 0, waited.err
    assert "state      succeeded" in waited.out
    assert "shards     3 total: 3 succeeded, 0 failed, 0 pending" in waited.out
    assert "coverage   100.0% (6 of 6 points)" in waited.out

    status = sweep("status", "cli-run", "--api", server.url, "--json")
    assert status.code == 0 and status.json()["state"] == "succeeded"
    assert status.json()["succeeded_shards"] == 3

    again = sweep("submit", request, "--api", server.url)
    assert again.code == 0 and "already submitted" in again.err


def test_the_documented_done_when_with_the_example_request(tmp_path: Path) -> None:
    # issue 12: `sweep submit examples/ride_hailing_sweep.json --api URL`, then `sweep status`.
    # Its own server: the example's 48 ride_hailing points must not hold up the other tests
    # (stopping the server drops what is left of it).
    with ServeProcess(store=tmp_path / "store", workers=1, model="ride_hailing") as serving:
        submitted = sweep("submit", "examples/ride_hailing_sweep.json", "--api", serving.url)
        assert submitted.code == 0, submitted.err
        assert submitted.out == "ride-hailing-demo\n"
        status = sweep("status", "ride-hailing-demo", "--api", serving.url)
    assert status.code in (0, 1)  # succeeded, or still running
    assert "run        ride-hailing-demo" in status.out and "model      ride_hailing" in status.out
    assert "shards     " in status.out and "coverage   " in status.out


def test_submit_wait_prints_the_status_and_a_failed_run_exits_1(
    server: ServeProcess, tmp_path: Path
) -> None:
    request = write(tmp_path, legacy_request("cli-fail", failure_injection_shards=[1]))
    result = sweep(
        "submit", request, "--api", server.url, "--wait", "--poll-interval", "0.1", "--no-progress"
    )
    assert result.code == 1
    assert "state      failed" in result.out
    assert "shard 1 attempt" in result.out and "[injected]" in result.out
    assert f"redrive cli-fail --api {server.url}" in result.out
    redrive = sweep("redrive", "cli-fail", "--api", server.url, "--no-progress")
    assert redrive.code == 1  # the injected failure fails again
    assert "dispatching 1 shard(s) of 'cli-fail' again" in redrive.err


def test_warnings_rejections_and_unknown_runs(server: ServeProcess, tmp_path: Path) -> None:
    typo = write(tmp_path, {**legacy_request("cli-typo"), "sed": 5})
    warned = sweep("submit", typo, "--api", server.url)
    assert warned.code == 0
    assert "sweep submit: warning: unknown field 'sed' was ignored; did you mean 'seed'?" in (
        warned.err
    )

    invalid = write(tmp_path, {"run_id": "cli-bad", "dimensions": {"x": [1]}, "shard_count": 0})
    refused = sweep("submit", invalid, "--api", server.url)
    assert refused.code == 2 and "/shard_count" in refused.err  # refused before sending

    huge = legacy_request("cli-huge", dimensions={"a": list(range(1000)), "b": list(range(1000))})
    rejected = sweep("submit", write(tmp_path, huge, "huge.json"), "--api", server.url)
    assert rejected.code == 2 and "validation_error (400)" in rejected.err

    taken = write(tmp_path, legacy_request("cli-typo", seed=99), "taken.json")
    conflict = sweep("submit", taken, "--api", server.url)
    assert conflict.code == 2 and "conflict (409)" in conflict.err

    for command in ("status", "wait", "redrive"):
        missing = sweep(command, "no-such-run", "--api", server.url)
        assert missing.code == 3, command
        assert "not_found (404): No run with run_id 'no-such-run'" in missing.err


def test_runs_against_sweep_serve(server: ServeProcess, tmp_path: Path) -> None:
    for run_id in ("cli-runs-1", "cli-runs-2"):
        assert (
            sweep("submit", write(tmp_path, legacy_request(run_id)), "--api", server.url).code == 0
        )
    listed = sweep("runs", "--api", server.url, "--limit", "1")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert lines[0].split()[:3] == ["run_id", "run_date", "state"]
    assert lines[2].split()[0] == "cli-runs-2"
    assert "--next-token " in lines[-1] and f"--api {server.url}" in lines[-1]
    page = sweep("runs", "--api", server.url, "--json").json()
    ids = [run["run_id"] for run in page["runs"]]
    assert ids.index("cli-runs-2") < ids.index("cli-runs-1")
    bad = sweep("runs", "--api", server.url, "--next-token", "")
    assert bad.code == 2 and "validation_error (400)" in bad.err


def test_sweep_api_url_is_the_default(
    server: ServeProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_ENV_VAR, server.url)
    request = write(tmp_path, legacy_request("cli-env"))
    assert sweep("submit", request).code == 0
    waited = sweep("wait", "cli-env", "--poll-interval", "0.1")
    assert waited.code == 0 and "state      succeeded" in waited.out
    assert "--api" not in waited.out  # suggested commands do not repeat the env's URL
    # an explicit --store still means the local store
    local = sweep("status", "cli-env", "--store", tmp_path / "empty")
    assert local.code == 3 and "no run 'cli-env' in store" in local.err


def test_an_unreachable_api_exits_1_naming_it(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = sweep("status", "r1", "--api", url)
    assert result.code == 1 and url in result.err and "ConnectError" in result.err


def test_submit_without_an_api_is_a_usage_error(tmp_path: Path) -> None:
    result = sweep("submit", write(tmp_path, legacy_request("x")))
    assert result.code == 2 and "--api URL" in result.err and "sweep run" in result.err


def test_local_runs_lists_the_store_newest_first(tmp_path: Path) -> None:
    store = tmp_path / "store"
    flags = ("--store", store, "--workers", "1", "--no-progress")
    for run_id in ("local-a", "local-b", "local-c"):
        assert sweep("run", write(tmp_path, legacy_request(run_id)), *flags).code == 0
    listed = sweep("runs", "--store", store)
    assert listed.code == 0
    lines = listed.out.splitlines()
    assert lines[0].split() == [
        "run_id", "run_date", "state", "model", "shards", "ok", "failed", "pending", "coverage"
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[2:]] == ["local-c", "local-b", "local-a"]
    assert all(" succeeded " in line for line in lines[2:])
    first = sweep("runs", "--store", store, "--limit", "2", "--json").json()
    assert [r["run_id"] for r in first["runs"]] == ["local-c", "local-b"]
    text = sweep("runs", "--store", store, "--limit", "2").out
    assert f"--next-token {shlex.quote(first['next_token'])} --store {store}" in text
    rest = sweep("runs", "--store", store, "--limit", "2", "--next-token", first["next_token"])
    assert [line.split()[0] for line in rest.out.splitlines()[2:]] == ["local-a"]
    bad = sweep("runs", "--store", store, "--next-token", "")
    assert bad.code == 2 and "next_token" in bad.err
    assert sweep("runs", "--store", tmp_path / "nothing").out == "no runs\n"


def test_local_wait_returns_at_once_without_a_local_process(tmp_path: Path) -> None:
    store = tmp_path / "store"
    request = write(tmp_path, legacy_request("local-w"))
    assert sweep("run", request, "--store", store, "--workers", "1", "--no-progress").code == 0
    waited = sweep("wait", "local-w", "--store", store, "--timeout", "5")
    assert waited.code == 0 and "state      succeeded" in waited.out
    assert sweep("wait", "nope", "--store", store).code == 3


def test_submit_model_is_checked_by_the_api_not_by_the_local_install(
    server: ServeProcess, tmp_path: Path
) -> None:
    # The API may have plug-in models this machine lacks, so `--model` is not limited to the
    # local built-ins: the API refuses an unknown name itself and suggests the closest.
    request = write(tmp_path, legacy_request("cli-model"))
    refused = sweep("submit", request, "--model", "legacy_hsh", "--api", server.url)
    assert refused.code == 2, refused.err
    assert "validation_error (400)" in refused.err and "legacy_hsh" in refused.err
    assert "legacy_hash" in refused.err  # did you mean
    accepted = sweep("submit", request, "--model", "legacy_hash", "--api", server.url)
    assert accepted.code == 0 and accepted.out == "cli-model\n", accepted.err
