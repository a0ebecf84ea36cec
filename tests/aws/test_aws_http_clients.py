"""The standard-library AWS clients (adapters/aws/s3_http.py, lambda_http.py) against moto,
directly and through the fault-injecting proxy.

These are the clients the Lambda handlers run (issue 8: no botocore). What is checked here is
what botocore used to provide: the S3 operations' answers and error codes, pagination, retries
that recover from 5xx / throttling / resets and give up after 5 attempts with a typed error,
no retries at all for Lambda invokes, keep-alive connections that are reused, and a closed idle
connection noticed before it is reused. Every count comes from the proxy's log (what reached
moto), never from the client under test.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aws_helpers import FAST_BACKOFF_S, REGION, create_function
from fault_proxy import FaultPlan, FaultProxy, fault_proxy

from serverless_sweep.adapters.aws._environment import NoCredentialsError
from serverless_sweep.adapters.aws._http import (
    ConnectionClosedError,
    ConnectionPool,
    Endpoint,
    EndpointConnectionError,
    ReadTimeoutError,
)
from serverless_sweep.adapters.aws._retry import RetryPolicy
from serverless_sweep.adapters.aws._service import AwsErrorAnswer, ParamValidationError
from serverless_sweep.adapters.aws.lambda_http import LambdaHttpClient
from serverless_sweep.adapters.aws.s3_http import S3HttpClient, virtual_hostable
from serverless_sweep.adapters.aws.s3_store import S3ObjectStore
from serverless_sweep.handlers.ports import AlreadyExists, StoreError


@pytest.fixture
def proxy(moto_url: str) -> Iterator[FaultProxy]:
    with fault_proxy(moto_url) as running:
        yield running


def _s3(url: str, sleeps: list[float] | None = None, **kwargs: Any) -> S3HttpClient:
    retry = RetryPolicy(
        base_s=FAST_BACKOFF_S, sleep=sleeps.append if sleeps is not None else lambda _: None
    )
    return S3HttpClient(endpoint_url=url, region_name=REGION, retry=retry, **kwargs)


def _s3_requests(proxy: FaultProxy, method: str | None = None) -> list[Any]:
    return [r for r in proxy.log if r.service == "s3" and method in (None, r.method)]


# -- S3 operations on moto ------------------------------------------------------------------------


def test_put_get_head_round_trip(bucket: str, aws_env: str) -> None:
    client = _s3(aws_env)
    key = "space and + plus/ümlaut-é-中文-😀.bin"
    client.put_object(bucket, key, b"\x00data\xff", content_type="application/x-test")
    assert client.get_object(bucket, key) == b"\x00data\xff"
    head = client.head_object(bucket, key)
    assert head["content-type"] == "application/x-test" and head["content-length"] == "6"


def test_conditional_create_refuses_an_existing_key_with_412(bucket: str, aws_env: str) -> None:
    client = _s3(aws_env)
    client.put_object(bucket, "once", b"first", if_none_match="*")
    with pytest.raises(AwsErrorAnswer) as info:
        client.put_object(bucket, "once", b"second", if_none_match="*")
    assert (info.value.status, info.value.code) == (412, "PreconditionFailed")
    assert info.value.attempts == 1 and not info.value.retried  # a 412 is never retried
    assert client.get_object(bucket, "once") == b"first"


def test_missing_things_answer_the_codes_botocore_reported(bucket: str, aws_env: str) -> None:
    client = _s3(aws_env)
    with pytest.raises(AwsErrorAnswer) as missing_key:
        client.get_object(bucket, "nope")
    assert (missing_key.value.status, missing_key.value.code) == (404, "NoSuchKey")
    with pytest.raises(AwsErrorAnswer) as missing_head:
        client.head_object(bucket, "nope")
    assert (missing_head.value.status, missing_head.value.code) == (404, "404")
    with pytest.raises(AwsErrorAnswer) as missing_bucket:
        client.list_objects_v2("sweep-no-such-bucket-4711")
    assert missing_bucket.value.code == "NoSuchBucket"


def test_empty_names_are_refused_before_anything_is_sent(proxy: FaultProxy) -> None:
    client = _s3(proxy.url)
    with pytest.raises(ParamValidationError, match="Key"):
        client.get_object("b", "")
    with pytest.raises(ParamValidationError, match="Bucket"):
        client.list_objects_v2("")
    assert proxy.log == []


def test_list_pages_with_a_small_max_keys(bucket: str, aws_env: str, proxy: FaultProxy) -> None:
    writer = _s3(aws_env)
    keys = sorted(f"p/{i:03d}-{suffix}" for i in range(23) for suffix in ("a b", "é+"))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: writer.put_object(bucket, k, b""), keys))
    writer.put_object(bucket, "q/other", b"")

    client = _s3(proxy.url)
    listed: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = client.list_objects_v2(bucket, prefix="p/", max_keys=5, continuation_token=token)
        listed += page.keys
        pages += 1
        if page.next_token is None:
            break
        token = page.next_token
    assert listed == keys  # every key, decoded, in S3's order
    assert pages == len(_s3_requests(proxy, "GET")) == 10  # 46 keys in pages of 5


def test_the_store_pages_through_more_than_1000_keys(
    bucket: str, aws_env: str, proxy: FaultProxy
) -> None:
    writer = _s3(aws_env, max_pool_connections=16)
    keys = [f"many/part-{i:05d}.json" for i in range(1005)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: writer.put_object(bucket, k, b"{}"), keys))

    store = S3ObjectStore(bucket, client=_s3(proxy.url))
    assert list(store.list_keys("many/")) == keys
    assert len(_s3_requests(proxy, "GET")) == 2  # S3's 1000-key pages
    assert "max-keys=1000" in _s3_requests(proxy, "GET")[0].path


# -- S3 retries through the fault proxy -----------------------------------------------------------


@pytest.mark.parametrize("fault", ["error_rate", "throttle_rate", "reset_rate"])
def test_s3_retries_recover_from_transient_faults(
    bucket: str, proxy: FaultProxy, fault: str
) -> None:
    sleeps: list[float] = []
    client = _s3(proxy.url, sleeps)
    proxy.set_plan(FaultPlan(max_consecutive_faults=3, **{fault: 1.0}))

    client.put_object(bucket, "k", b"v")
    proxy.set_plan(FaultPlan())
    assert client.get_object(bucket, "k") == b"v"

    puts = _s3_requests(proxy, "PUT")
    assert [r.fault for r in puts] == [fault.removesuffix("_rate")] * 3 + ["none"]
    assert len(sleeps) == 3  # full jitter: each wait below base * 2^(retry - 1)
    assert all(0 <= s <= FAST_BACKOFF_S * 2**n for n, s in enumerate(sleeps))


def test_s3_gives_up_after_five_attempts_with_a_typed_error(bucket: str, proxy: FaultProxy) -> None:
    proxy.set_plan(FaultPlan(error_rate=1.0))
    with pytest.raises(AwsErrorAnswer) as info:
        _s3(proxy.url).put_object(bucket, "k", b"v")
    assert (info.value.status, info.value.code, info.value.attempts) == (
        503,
        "ServiceUnavailable",
        5,
    )
    assert len(_s3_requests(proxy)) == 5

    proxy.clear_log()
    proxy.set_plan(FaultPlan(reset_rate=1.0))
    store = S3ObjectStore(bucket, client=_s3(proxy.url))
    with pytest.raises(StoreError) as failed:
        store.get("k")
    message = str(failed.value)
    assert f"S3 GetObject s3://{bucket}/k failed: ConnectionClosedError" in message
    assert "(after 5 attempts)" in message
    assert isinstance(failed.value.__cause__, ConnectionClosedError)
    assert len(_s3_requests(proxy)) == 5


def test_a_non_retryable_answer_is_not_retried(bucket: str, proxy: FaultProxy) -> None:
    with pytest.raises(AwsErrorAnswer):
        _s3(proxy.url).get_object(bucket, "missing")
    assert len(_s3_requests(proxy)) == 1


def test_read_timeouts_are_retried_then_raised_in_doubt(bucket: str, proxy: FaultProxy) -> None:
    proxy.set_plan(FaultPlan(latency_ms=1500))
    client = S3HttpClient(
        endpoint_url=proxy.url,
        region_name=REGION,
        read_timeout=0.2,
        retry=RetryPolicy(max_attempts=2, base_s=FAST_BACKOFF_S),
    )
    with pytest.raises(ReadTimeoutError) as info:
        client.head_object(bucket, "k")
    assert info.value.in_doubt and info.value.attempts == 2


def test_create_if_absent_whose_answer_was_lost_is_still_ours(
    bucket: str, s3: Any, proxy: FaultProxy
) -> None:
    """The PUT is stored, its answer reset; the retry gets 412 for our own object, and the
    store recognises it (same bytes) instead of reporting AlreadyExists."""
    proxy.set_plan(
        FaultPlan(reset_rate=1.0, phase="after", max_consecutive_faults=1, match=_is_put)
    )
    store = S3ObjectStore(bucket, client=_s3(proxy.url))
    store.put_if_absent("claim.json", b'{"mine": true}')

    puts = _s3_requests(proxy, "PUT")
    assert [(r.fault, r.upstream_status) for r in puts] == [("reset", 200), ("none", 412)]
    with pytest.raises(AlreadyExists):  # somebody else's bytes: refused as before
        store.put_if_absent("claim.json", b'{"mine": false}')
    versions = s3.list_object_versions(Bucket=bucket, Prefix="claim.json").get("Versions", [])
    assert len(versions) == 1


def _is_put(request: Any) -> bool:
    return bool(request.service == "s3" and request.method == "PUT")


def test_an_unreachable_endpoint_is_not_in_doubt() -> None:
    client = S3HttpClient(
        endpoint_url="http://127.0.0.1:9", region_name=REGION, retry=RetryPolicy(max_attempts=1)
    )
    with pytest.raises(EndpointConnectionError) as info:
        client.get_object("b", "k")
    assert not info.value.in_doubt and "127.0.0.1:9" in str(info.value)


def test_missing_credentials_are_refused_before_sending(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    with pytest.raises(NoCredentialsError, match="AWS_ACCESS_KEY_ID"):
        _s3(proxy.url).get_object("b", "k")
    assert proxy.log == []


def test_requests_are_signed_with_the_environment_as_it_is_now(
    bucket: str, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _s3(proxy.url)
    for access_key in ("AKIAFIRSTFIRSTFIRST0", "AKIASECONDSECONDSEC0"):
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", access_key)
        client.list_objects_v2(bucket)
    credentials = [r.headers["Authorization"].split("Credential=")[1][:20] for r in proxy.log]
    assert credentials == ["AKIAFIRSTFIRSTFIRST0", "AKIASECONDSECONDSEC0"]
    assert all(r.headers["X-Amz-Security-Token"] == "testing" for r in proxy.log)


# -- addressing -----------------------------------------------------------------------------------


def test_aws_endpoints_are_virtual_hosted_unless_the_name_cannot_be_a_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    client = S3HttpClient(region_name="eu-central-1")
    service, path = client._route("sweep-results", "a b/c")
    assert service.endpoint.host == "sweep-results.s3.eu-central-1.amazonaws.com"
    assert path == "/a%20b/c"
    service, path = client._route("dotted.bucket.name", "k")
    assert service.endpoint.host == "s3.eu-central-1.amazonaws.com"
    assert path == "/dotted.bucket.name/k"
    china = S3HttpClient(region_name="cn-north-1")._route("b-1", "k")[0]
    assert china.endpoint.host == "b-1.s3.cn-north-1.amazonaws.com.cn"
    assert [virtual_hostable(n) for n in ("ab", "abc", "Abc", "a.b.c", "a-b-c")] == [
        False,
        True,
        False,
        False,
        True,
    ]


def test_custom_endpoints_are_path_style_and_keep_their_port(aws_env: str) -> None:
    service, path = _s3(aws_env)._route("sweep-results", "k")
    assert service.endpoint.url("") == aws_env and path == "/sweep-results/k"
    assert Endpoint.parse("https://s3.example:443").host_header == "s3.example"
    with pytest.raises(ValueError, match="http"):
        S3HttpClient(endpoint_url="ftp://x")


# -- Lambda Invoke ---------------------------------------------------------------------------------


@pytest.fixture
def function(aws_env: str, lambda_without_docker: None) -> str:
    return create_function(aws_env, "http-client-target")


def _lambda(url: str, **kwargs: Any) -> LambdaHttpClient:
    return LambdaHttpClient(endpoint_url=url, region_name=REGION, **kwargs)


def test_invoke_queues_an_event(proxy: FaultProxy, function: str) -> None:
    response = _lambda(proxy.url).invoke(function, b'{"shard_id": 1}')
    assert response.status == 202
    (invoke,) = proxy.invokes()
    assert (invoke.function, invoke.invocation_type) == (function, "Event")
    assert proxy.invoked_payloads() == [{"shard_id": 1}]


@pytest.mark.parametrize(
    ("plan", "status", "code"),
    [
        (FaultPlan(error_rate=1.0), 500, "ServiceException"),
        (FaultPlan(throttle_rate=1.0), 429, "TooManyRequestsException"),
    ],
)
def test_invoke_errors_are_never_retried(
    proxy: FaultProxy, function: str, plan: FaultPlan, status: int, code: str
) -> None:
    proxy.set_plan(plan)
    with pytest.raises(AwsErrorAnswer) as info:
        _lambda(proxy.url).invoke(function, b"{}")
    assert (info.value.status, info.value.code, info.value.attempts) == (status, code, 1)
    if status == 429:
        assert info.value.extra == {"Reason": "CallerRateLimitExceeded"}
    assert len(proxy.invokes()) == 1


def test_an_invoke_reset_is_in_doubt_and_not_retried(proxy: FaultProxy, function: str) -> None:
    proxy.set_plan(FaultPlan(reset_rate=1.0, phase="after"))
    with pytest.raises(ConnectionClosedError) as info:
        _lambda(proxy.url).invoke(function, b'{"shard_id": 2}')
    assert info.value.in_doubt
    assert proxy.invoked_payloads() == [{"shard_id": 2}]  # queued although the answer was lost


def test_qualifier_and_arn_reach_lambda(proxy: FaultProxy, function: str) -> None:
    _lambda(proxy.url).invoke(function, b"{}", qualifier="$LATEST")
    (invoke,) = proxy.invokes()
    assert invoke.function == function and "Qualifier=%24LATEST" in invoke.path


def test_connections_are_kept_alive_and_shared_by_threads(proxy: FaultProxy, function: str) -> None:
    client = _lambda(proxy.url, max_pool_connections=4)
    for shard in range(10):
        client.invoke(function, b'{"shard_id": %d}' % shard)
    assert {r.connection for r in proxy.invokes()} == {proxy.invokes()[0].connection}

    proxy.clear_log()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda s: client.invoke(function, b'{"shard_id": %d}' % s), range(40)))
    pool_stats = client.service.pool
    assert len({r.connection for r in proxy.invokes()}) <= 5
    assert pool_stats.created <= 5 and pool_stats.discarded == 0


# -- connection pool -------------------------------------------------------------------------------


class _ClosingHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 that closes every connection after its answer without saying so: what a server
    does to a keep-alive connection that sat idle past its timeout."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ClosingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        pool = ConnectionPool(
            Endpoint("http", str(host), int(port)), maxsize=2, connect_timeout=5, read_timeout=5
        )
        for _ in range(3):
            answer = pool.send("GET", "/", {"Host": f"{host}:{port}"}, b"")
            assert (answer.status, answer.body) == (200, b"ok")
            threading.Event().wait(0.05)  # let the server's FIN arrive
        assert pool.created == 3 and pool.reused == 0
    finally:
        server.shutdown()
        server.server_close()
