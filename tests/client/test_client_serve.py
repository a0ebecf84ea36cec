"""`SweepClient` against a real `sweep serve` over real HTTP on 127.0.0.1 (issue 12): submit,
wait (progress bar) until succeeded, the already-submitted answer, warnings for unknown fields,
each error as its typed exception, and requests refused before they are sent."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from serverless_sweep.client import (
    ApiWarning,
    BadRequest,
    Conflict,
    RequestInvalid,
    RunNotFound,
    SweepClient,
    TransportError,
    UnexpectedResponse,
    WaitTimeout,
)
from serverless_sweep.contracts import AcceptedResponse, ResultsPage, RunList, RunStatus
from tests.api.api_helpers import ServeProcess, free_port, legacy_request


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with ServeProcess(store=tmp_path_factory.mktemp("client") / "store", workers=1) as serving:
        yield serving


@pytest.fixture
def api(server: ServeProcess) -> Iterator[SweepClient]:
    with SweepClient(server.url, timeout=60) as client:
        yield client


def test_submit_wait_until_succeeded_with_a_progress_bar(api: SweepClient) -> None:
    accepted = api.submit(legacy_request("client-ok"))
    assert isinstance(accepted, AcceptedResponse)
    assert accepted.run_id == "client-ok" and accepted.status == "dispatch_submitted"
    out = io.StringIO()
    seen: list[RunStatus] = []
    status = api.wait(
        "client-ok",
        timeout=120,
        poll_interval=0.1,
        progress=True,
        stream=out,
        on_status=seen.append,
    )
    assert isinstance(status, RunStatus) and status.state == "succeeded"
    assert status.succeeded_shards == status.shard_count == 3 and status.coverage == 1.0
    drawn = out.getvalue()
    assert "client-ok: [" in drawn and "3/3 shards" in drawn and drawn.endswith("succeeded\n")
    assert seen[-1] == status
    # the same request again: 200 already_submitted, nothing dispatched
    again = api.submit(legacy_request("client-ok"))
    assert again.status == "already_submitted" and again.shards_dispatched == 0
    assert api.redrive("client-ok").shards_dispatched == 0  # nothing left to redrive
    # a finished run is compacted: its results page holds every point, typed
    page = _results_once_compacted(api, "client-ok", limit=2)
    assert isinstance(page, ResultsPage) and page.total_points == status.total_points
    assert len(page.items) == 2 and page.next_page_token is not None
    rest = api.results("client-ok", page_token=page.next_page_token)
    indices = [item.point_index for item in page.items + rest.items]
    assert sorted(indices) == list(range(status.total_points))


def _results_once_compacted(api: SweepClient, run_id: str, **params: str | int) -> ResultsPage:
    """The first results page: the last shard's worker compacts the run just after its commit,
    so a status that says succeeded may come a moment before the compacted copy (409)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return api.results(run_id, **params)
        except Conflict:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_list_runs_pages_newest_first_with_state(api: SweepClient) -> None:
    for run_id in ("client-list-1", "client-list-2", "client-list-3"):
        api.submit(legacy_request(run_id))
    api.wait("client-list-3", timeout=120, poll_interval=0.1, progress=False)
    first = api.list_runs(limit=2)
    assert isinstance(first, RunList) and len(first.runs) == 2 and first.next_token
    assert [r.run_id for r in first.runs] == ["client-list-3", "client-list-2"]
    assert first.runs[0].state == "succeeded" and first.runs[0].shard_count == 3
    everything = [r.run_id for r in api.iter_runs(page_size=2)]
    assert everything[:3] == ["client-list-3", "client-list-2", "client-list-1"]
    assert len(everything) == len(set(everything))
    with pytest.raises(BadRequest, match="next_token"):
        api.list_runs(next_token="")
    with pytest.raises(BadRequest, match="limit"):
        api.list_runs(limit=1000)


def test_an_unknown_field_is_accepted_with_a_warning_naming_the_field(api: SweepClient) -> None:
    with pytest.warns(ApiWarning, match=r"'sed'.*did you mean 'seed'") as caught:
        accepted = api.submit({**legacy_request("client-typo"), "sed": 5})
    assert accepted.warnings and "seed" in accepted.warnings[0]
    assert len(caught) == 1


def test_the_api_errors_are_typed_exceptions(api: SweepClient) -> None:
    with pytest.raises(RunNotFound) as missing:
        api.status("no-such-run")
    assert missing.value.status_code == 404 and missing.value.error is not None
    assert missing.value.error.error == "not_found" and "no-such-run" in missing.value.message
    assert missing.value.request_id  # the gateway's x-amzn-RequestId
    api.submit(legacy_request("client-taken"))
    with pytest.raises(Conflict) as conflict:
        api.submit(legacy_request("client-taken", seed=8))
    assert conflict.value.status_code == 409 and "client-taken" in str(conflict.value)
    # the schema lets this through; the parent's point limit does not
    huge = legacy_request(
        "client-huge", dimensions={"a": list(range(1000)), "b": list(range(1000))}
    )
    with pytest.raises(BadRequest) as bad:
        api.submit(huge)
    assert bad.value.status_code == 400 and bad.value.details
    assert bad.value.error is not None and bad.value.error.error == "validation_error"
    with pytest.raises(RunNotFound):
        api.redrive("no-such-run")


def test_a_request_the_schema_rejects_is_never_sent(server: ServeProcess, api: SweepClient) -> None:
    with pytest.raises(RequestInvalid) as invalid:
        api.submit({"run_id": "client-bad", "dimensions": {"x": [1]}, "shard_count": "2"})
    assert invalid.value.details[0].pointer == "/shard_count"
    assert "shard_count" in str(invalid.value)
    with pytest.raises(RunNotFound):  # nothing reached the API
        api.status("client-bad")
    # without the check the API itself answers 400 for the same document
    with SweepClient(server.url, validate=False) as unchecked, pytest.raises(BadRequest) as bad:
        unchecked.submit({"run_id": "client-bad", "dimensions": {"x": [1]}, "shard_count": "2"})
    assert "shard_count" in bad.value.message


def test_wait_gives_up_at_its_timeout_with_the_last_status() -> None:
    # A run that never finishes, on a clock that moves only when wait sleeps (no real time).
    running = {
        "run_id": "slow",
        "state": "running",
        "total_points": 4,
        "shard_count": 4,
        "succeeded_shards": 1,
        "failed_shards": 0,
        "pending_shards": 3,
        "coverage": 0.25,
    }
    polls: list[float] = []
    now = [0.0]

    def handler(request: httpx.Request) -> httpx.Response:
        polls.append(now[0])
        return httpx.Response(200, json=running)

    def sleep(seconds: float) -> None:
        now[0] += seconds

    client = SweepClient("http://api.test", transport=httpx.MockTransport(handler))
    with pytest.raises(WaitTimeout) as timed_out:
        client.wait(
            "slow",
            timeout=10,
            poll_interval=4,
            progress=False,
            sleep=sleep,
            monotonic=lambda: now[0],
        )
    assert timed_out.value.status.succeeded_shards == 1
    assert "still running after 10 s" in str(timed_out.value)
    assert polls == [0.0, 4.0, 8.0, 10.0]  # the last pause is cut to the deadline, then one poll


def test_an_unreachable_api_is_a_transport_error() -> None:
    client = SweepClient(f"http://127.0.0.1:{free_port()}", timeout=5)
    with client, pytest.raises(TransportError, match="ConnectError"):
        client.status("r1")


def test_an_answer_outside_the_contract_is_unexpected_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"run_id": "r1"})  # no state, no counts

    client = SweepClient("http://api.test", transport=httpx.MockTransport(handler))
    with pytest.raises(UnexpectedResponse, match="not a RunStatus"):
        client.status("r1")


def test_run_ids_travel_as_one_percent_encoded_segment() -> None:
    paths: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path)
        return httpx.Response(404, json={"error": "not_found", "message": "No run"})

    client = SweepClient("http://api.test/prod/", transport=httpx.MockTransport(handler))
    with pytest.raises(RunNotFound):
        client.status("surge/berlin=v2")
    assert paths == [b"/prod/sweep-run/surge%2Fberlin%3Dv2"]


def test_importing_the_client_loads_no_numpy_pyarrow_or_botocore() -> None:
    code = (
        "import sys, json; import serverless_sweep.client; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('numpy', 'pyarrow', 'botocore', 'boto3', 'starlette', 'duckdb', 'scipy'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path.cwd()
    )
    assert json.loads(result.stdout) == []
