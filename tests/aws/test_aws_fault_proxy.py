"""The fault-injecting proxy (tests/support/fault_proxy.py) in front of a real moto server.

Each fault is checked the way a client meets it: through a real boto3 client (botocore's own
retries off, so every fault reaches the test), parsed into the error code AWS would send.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aws_helpers import REGION, client, create_function
from botocore.exceptions import (  # type: ignore[import-untyped]
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
)
from fault_proxy import FaultPlan, FaultProxy, fault_proxy


@pytest.fixture
def proxy(moto_url: str) -> Iterator[FaultProxy]:
    with fault_proxy(moto_url) as running:
        yield running


@pytest.fixture
def function(aws_env: str, lambda_without_docker: None) -> str:
    return create_function(aws_env, "fault-proxy-target")


def _invoke(lam: Any, function: str, shard_id: int) -> Any:
    return lam.invoke(
        FunctionName=function,
        InvocationType="Event",
        Payload=json.dumps({"shard_id": shard_id}).encode(),
    )


def _new_bucket(s3: Any) -> str:
    name = f"fault-proxy-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def test_forwards_s3_and_logs_every_request(proxy: FaultProxy) -> None:
    s3 = client("s3", proxy.url)
    bucket = _new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="a/b.txt", Body=b"hello")

    assert s3.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"hello"
    methods = [(r.method, r.service, r.status) for r in proxy.log]
    assert methods == [("PUT", "s3", 200), ("PUT", "s3", 200), ("GET", "s3", 200)]
    put = proxy.log[1]
    assert put.path.startswith(f"/{bucket}/a/b.txt")
    assert put.payload_bytes == 5 and put.reached_upstream and put.fault == "none"
    assert [r.index for r in proxy.log] == [0, 1, 2]


def test_logs_the_target_function_and_payload_of_invokes(proxy: FaultProxy, function: str) -> None:
    lam = client("lambda", proxy.url)

    assert _invoke(lam, function, 7)["StatusCode"] == 202
    assert _invoke(lam, "fault-proxy-target", 8)["StatusCode"] == 202

    invokes = proxy.invokes("fault-proxy-target")
    assert [r.function for r in invokes] == [function, "fault-proxy-target"]
    assert {r.invocation_type for r in invokes} == {"Event"}
    assert proxy.invoked_payloads(function) == [{"shard_id": 7}, {"shard_id": 8}]
    assert proxy.invokes("another-function") == []


def test_lambda_throttle_is_a_429_too_many_requests_never_forwarded(
    proxy: FaultProxy, function: str
) -> None:
    proxy.set_plan(throttle_rate=1.0)
    with pytest.raises(ClientError) as info:
        _invoke(client("lambda", proxy.url), function, 1)

    response = info.value.response
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
        "TooManyRequestsException"
    )
    assert response["Reason"] == "CallerRateLimitExceeded"
    (entry,) = proxy.invokes()
    assert (entry.fault, entry.status, entry.upstream_status) == ("throttle", 429, None)
    assert proxy.invoked_payloads() == []


def test_lambda_error_is_a_500_service_exception(proxy: FaultProxy, function: str) -> None:
    proxy.set_plan(error_rate=1.0)
    with pytest.raises(ClientError) as info:
        _invoke(client("lambda", proxy.url), function, 1)

    assert info.value.response["Error"]["Code"] == "ServiceException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


@pytest.mark.parametrize(
    ("plan", "code"),
    [(FaultPlan(error_rate=1.0), "ServiceUnavailable"), (FaultPlan(throttle_rate=1.0), "SlowDown")],
)
def test_s3_faults_are_503_with_the_xml_error_body(
    proxy: FaultProxy, plan: FaultPlan, code: str
) -> None:
    s3 = client("s3", proxy.url)
    bucket = _new_bucket(s3)
    proxy.set_plan(plan)
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")

    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    proxy.set_plan(FaultPlan())
    with pytest.raises(ClientError) as absent:
        s3.head_object(Bucket=bucket, Key="k")
    assert absent.value.response["Error"]["Code"] == "404"


def test_reset_drops_the_connection(proxy: FaultProxy, function: str) -> None:
    proxy.set_plan(reset_rate=1.0)
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        _invoke(client("lambda", proxy.url), function, 1)

    (entry,) = proxy.invokes()
    assert (entry.fault, entry.status, entry.reached_upstream) == ("reset", None, False)


@pytest.mark.parametrize("fault", ["error", "reset"])
def test_phase_after_does_the_work_and_loses_the_answer(
    proxy: FaultProxy, function: str, fault: str
) -> None:
    proxy.set_plan(phase="after", **{f"{fault}_rate": 1.0})
    with pytest.raises((ClientError, ConnectionClosedError, EndpointConnectionError)):
        _invoke(client("lambda", proxy.url), function, 3)

    (entry,) = proxy.invokes()
    assert entry.fault == fault and entry.phase == "after"
    assert entry.upstream_status == 202
    assert proxy.invoked_payloads() == [{"shard_id": 3}]  # in doubt for the client, yet queued


def _fates(proxy: FaultProxy, function: str, shards: range) -> list[str]:
    lam = client("lambda", proxy.url)
    for shard in shards:
        with contextlib.suppress(ClientError, ConnectionClosedError, EndpointConnectionError):
            _invoke(lam, function, shard)
    return [r.fault for r in proxy.invokes()]


def test_faults_are_seeded_and_follow_the_rates(moto_url: str, function: str) -> None:
    plan = FaultPlan(error_rate=0.2, throttle_rate=0.2, reset_rate=0.1, seed=11)
    with fault_proxy(moto_url, plan) as first:
        one = _fates(first, function, range(60))
    with fault_proxy(moto_url, plan) as second:
        two = _fates(second, function, range(60))
    with fault_proxy(moto_url, FaultPlan(error_rate=0.2, throttle_rate=0.2, seed=12)) as other:
        three = _fates(other, function, range(60))

    assert one == two
    assert one != three
    counts = Counter(one)
    assert 3 <= counts["error"] <= 24 and 3 <= counts["throttle"] <= 24
    assert 1 <= counts["reset"] <= 15 and counts["none"] >= 15


def test_retries_of_one_request_get_fresh_draws_and_a_bounded_fault_run(
    moto_url: str, function: str
) -> None:
    with fault_proxy(moto_url, FaultPlan(throttle_rate=1.0, max_consecutive_faults=2)) as proxy:
        for _ in range(3):  # the same request three times: attempts 0, 1, 2
            fates = _fates(proxy, function, range(1))  # the log is cumulative

    assert fates == ["throttle", "throttle", "none"]
    assert [r.attempt for r in proxy.invokes()] == [0, 1, 2]


def test_latency_is_added_to_matching_requests_only(proxy: FaultProxy, function: str) -> None:
    proxy.set_plan(latency_ms=30, jitter_ms=10, match=lambda r: r.is_invoke)
    _invoke(client("lambda", proxy.url), function, 1)
    client("lambda", proxy.url).get_function(FunctionName=function)

    invoke, get = proxy.log
    assert 0.030 <= invoke.latency_s <= 0.040
    assert get.latency_s == 0.0 and get.function is None


def test_pause_after_holds_requests_until_released(proxy: FaultProxy, function: str) -> None:
    proxy.set_plan(match=lambda r: r.is_invoke)
    proxy.pause_after(2)
    lam = client("lambda", proxy.url, pool=4)
    threads = [threading.Thread(target=_invoke, args=(lam, function, i)) for i in range(3)]
    for thread in threads:
        thread.start()

    assert proxy.wait_until(
        lambda log: len(log) == 3 and sum(r.upstream_status == 202 for r in log) == 2, timeout=20
    )
    assert len(proxy.invoked_payloads()) == 2
    proxy.release()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(p["shard_id"] for p in proxy.invoked_payloads()) == [0, 1, 2]


def test_stops_by_itself_after_its_lifetime(moto_url: str) -> None:
    proxy = FaultProxy(moto_url, max_lifetime_s=0.2).start()
    url = proxy.url
    assert proxy._stopped.wait(timeout=10)
    # Refused, or reset when the freed ephemeral port is already another test's listener
    # under `pytest -n`: either way nothing answers there any more.
    with pytest.raises((EndpointConnectionError, ConnectionClosedError)):
        client("s3", url).list_buckets()


def test_refuses_a_non_loopback_upstream_and_bad_rates() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("http://192.0.2.10:5000")
    with pytest.raises(ValueError, match="http://host:port"):
        FaultProxy("https://127.0.0.1:5000")
    with pytest.raises(ValueError, match="add up"):
        FaultPlan(error_rate=0.6, throttle_rate=0.6)
    with FaultProxy("http://127.0.0.1:9") as proxy:
        assert proxy.url.startswith("http://127.0.0.1:")


def test_an_unreachable_upstream_is_a_reset(moto_url: str) -> None:
    with (
        fault_proxy("http://127.0.0.1:9") as proxy,
        pytest.raises((ConnectionClosedError, EndpointConnectionError)),
    ):
        client("s3", proxy.url).list_buckets()
    (entry,) = proxy.log
    assert (entry.fault, entry.status) == ("reset", None)


def test_release_with_drop_resets_the_held_requests(proxy: FaultProxy, function: str) -> None:
    proxy.set_plan(match=lambda r: r.is_invoke)
    proxy.pause_after(1)
    lam = client("lambda", proxy.url, pool=4)
    errors: list[BaseException] = []

    def call(shard: int) -> None:
        try:
            _invoke(lam, function, shard)
        except (ConnectionClosedError, EndpointConnectionError) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    assert proxy.wait_until(lambda log: len(log) == 3 and proxy.held == 2, timeout=20)
    proxy.release(drop=True)
    for thread in threads:
        thread.join(timeout=20)

    assert len(proxy.invoked_payloads()) == 1 and len(errors) == 2 and proxy.held == 0
