"""S3ObjectStore against a real S3 API (moto server), plus stubbed answers moto cannot give.

The store's own tests run with both kinds of client (`store` fixture): the standard-library
`S3HttpClient` it builds by default (what the Lambda handlers use) and an injected botocore
client.

moto 5.2.5 implements `If-None-Match: *` on PutObject (moto/s3/responses.py `put_object`: an
existing key answers 412 PreconditionFailed), so the create-if-absent tests run against the
server for real. moto never answers 409 ConditionalRequestConflict (it has no concurrent
conditional writes) and its check-then-write is not atomic, so the 409 handling and races are
tested with botocore's Stubber on a real client instead.
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import boto3  # type: ignore[import-untyped]
import pytest
from aws_helpers import CLIENT_KINDS, s3_client
from botocore.stub import Stubber  # type: ignore[import-untyped]
from fault_proxy import fault_proxy

from serverless_sweep.adapters.aws._clients import endpoint_from_env
from serverless_sweep.adapters.aws.s3_store import S3ObjectStore
from serverless_sweep.handlers.ports import (
    AlreadyExists,
    ObjectStore,
    StoreError,
    StoreNotConfigured,
)

REGION = "eu-central-1"


@pytest.fixture(params=CLIENT_KINDS)
def store(bucket: str, aws_env: str, request: pytest.FixtureRequest) -> S3ObjectStore:
    if request.param == "http":
        # No client given: the store builds its own, honouring AWS_ENDPOINT_URL (moto).
        return S3ObjectStore(bucket)
    return S3ObjectStore(bucket, client=s3_client("botocore", aws_env))


def _versions(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    response = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return [v for v in response.get("Versions", []) if v["Key"] == key]


# -- protocol and configuration -------------------------------------------------------------------


def test_implements_the_object_store_port(store: S3ObjectStore) -> None:
    assert isinstance(store, ObjectStore)


@pytest.mark.parametrize("bucket_name", [None, "", "   "])
def test_unconfigured_bucket_raises_the_old_message(bucket_name: str | None) -> None:
    store = S3ObjectStore(bucket_name)
    with pytest.raises(StoreNotConfigured) as info:
        store.check_configured()
    assert str(info.value) == "SWEEP_RESULTS_BUCKET must be configured"
    # Every operation refuses the same way, before any client is built.
    with pytest.raises(StoreNotConfigured, match=r"^SWEEP_RESULTS_BUCKET must be configured$"):
        store.get("k")
    with pytest.raises(StoreNotConfigured):
        store.put("k", b"x")
    with pytest.raises(StoreNotConfigured):
        store.put_if_absent("k", b"x")
    with pytest.raises(StoreNotConfigured):
        store.exists("k")
    with pytest.raises(StoreNotConfigured):
        list(store.list_keys(""))
    assert store._client is None


def test_configured_check_makes_no_call(bucket: str) -> None:
    client = boto3.client("s3", region_name=REGION)
    with Stubber(client):  # any API call would fail: the stubber has no responses queued
        S3ObjectStore(bucket, client=client).check_configured()


def test_endpoint_from_env_prefers_the_service_variable() -> None:
    env = {"AWS_ENDPOINT_URL": "http://general:1", "AWS_ENDPOINT_URL_S3": " http://s3:2 "}
    assert endpoint_from_env("S3", env) == "http://s3:2"
    assert endpoint_from_env("LAMBDA", env) == "http://general:1"
    assert endpoint_from_env("S3", {}) is None


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_service_endpoint_variable_wins(
    bucket: str, aws_env: str, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # The general endpoint points nowhere; only AWS_ENDPOINT_URL_S3 reaches moto.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws_env)
    if kind == "http":
        store = S3ObjectStore(bucket)
    else:
        from serverless_sweep.adapters.aws.s3_store import make_s3_client

        store = S3ObjectStore(bucket, client=make_s3_client())
    store.put("k", b"v")
    assert store.get("k") == b"v"


def test_page_size_is_bounded() -> None:
    with pytest.raises(ValueError, match="page_size"):
        S3ObjectStore("b", page_size=1001)


# -- round trips ----------------------------------------------------------------------------------


KEYS = [
    "plain.json",
    "serverless-sweeps/dataset=runs/run_date=2026-11-20/run_id=surge%2Fberlin%3Dv2/m.json",
    "run_index/%2E%2E.json",
    "space and + plus/ümlaut-é-中文-😀.bin",
    "a/b/c/~tilde&amp;?query#hash",
]


@pytest.mark.parametrize("key", KEYS)
def test_put_get_round_trip(store: S3ObjectStore, s3: Any, bucket: str, key: str) -> None:
    data = bytes(range(256)) * 3
    store.put(key, data, "application/vnd.apache.parquet")
    assert store.get(key) == data
    assert store.exists(key)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentType"] == "application/vnd.apache.parquet"
    assert list(store.list_keys(key)) == [key]


def test_put_overwrites_and_empty_bodies_survive(store: S3ObjectStore) -> None:
    store.put("k", b"first")
    store.put("k", b"")
    assert store.get("k") == b""
    assert store.exists("k")


def test_default_content_type(store: S3ObjectStore, s3: Any, bucket: str) -> None:
    store.put("k", b"x")
    assert s3.head_object(Bucket=bucket, Key="k")["ContentType"] == "application/octet-stream"


def test_server_side_encryption_is_the_bucket_default_unless_asked(bucket: str, s3: Any) -> None:
    S3ObjectStore(bucket).put("default", b"x")
    S3ObjectStore(bucket, server_side_encryption="AES256").put("forced", b"x")
    assert s3.head_object(Bucket=bucket, Key="forced")["ServerSideEncryption"] == "AES256"
    # No header sent: whatever the bucket's default encryption says applies.
    assert "ServerSideEncryption" not in _last_put_params(bucket, "default")


def test_the_http_client_sends_the_encryption_header_only_when_asked(
    bucket: str, moto_url: str
) -> None:
    with fault_proxy(moto_url) as proxy:  # no faults: it records the headers that were sent
        S3ObjectStore(bucket, client=s3_client("http", proxy.url)).put("default", b"x")
        forced = S3ObjectStore(
            bucket, client=s3_client("http", proxy.url), server_side_encryption="aws:kms"
        )
        forced.put("forced", b"x")
    sent = [{k.lower(): v for k, v in r.headers.items()} for r in proxy.log]
    assert [h.get("x-amz-server-side-encryption") for h in sent] == [None, "aws:kms"]
    assert all(h["x-amz-content-sha256"] == hashlib.sha256(b"x").hexdigest() for h in sent)


def _last_put_params(bucket: str, key: str) -> dict[str, Any]:
    client = boto3.client("s3", region_name=REGION)
    seen: dict[str, Any] = {}

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.update(params)

    client.meta.events.register("provide-client-params.s3.PutObject", record)
    S3ObjectStore(bucket, client=client).put(key, b"x")
    return seen


def test_non_bytes_data_is_refused(store: S3ObjectStore) -> None:
    with pytest.raises(TypeError, match="must be bytes"):
        store.put("k", "text")  # type: ignore[arg-type]


def test_empty_key_is_a_caller_error(store: S3ObjectStore) -> None:
    with pytest.raises(ValueError, match="invalid store key ''"):
        store.put("", b"x")


# -- missing things -------------------------------------------------------------------------------


def test_get_missing_is_none_and_exists_false(store: S3ObjectStore) -> None:
    assert store.get("nope/never.json") is None
    assert store.exists("nope/never.json") is False
    assert list(store.list_keys("nope/")) == []


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_missing_bucket_is_a_store_error_naming_it(aws_env: str, kind: str) -> None:
    store = S3ObjectStore("sweep-no-such-bucket-4711", client=s3_client(kind, aws_env))
    for call in (
        lambda: store.get("some/key.json"),
        lambda: store.put("some/key.json", b"x"),
        lambda: store.put_if_absent("some/key.json", b"x"),
        lambda: list(store.list_keys("some/")),
    ):
        with pytest.raises(StoreError) as info:
            call()
        assert not isinstance(info.value, AlreadyExists)
        message = str(info.value)
        assert "s3://sweep-no-such-bucket-4711/some/" in message
        assert "NoSuchBucket" in message
    # HEAD answers carry no error body: a missing bucket reads as a missing key (documented).
    assert store.exists("some/key.json") is False


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_unreachable_endpoint_is_a_store_error(bucket: str, kind: str) -> None:
    # Port 9 (discard) on loopback: connection refused at once; one attempt keeps it fast.
    store = S3ObjectStore(bucket, client=s3_client(kind, "http://127.0.0.1:9", attempts=1))
    with pytest.raises(StoreError, match=f"s3://{bucket}/k.*EndpointConnectionError"):
        store.get("k")
    with pytest.raises(StoreError, match=f"s3://{bucket}/k"):
        store.put_if_absent("k", b"x")
    with pytest.raises(StoreError, match=f"s3://{bucket}/p/"):
        list(store.list_keys("p/"))


# -- listing --------------------------------------------------------------------------------------


def test_list_keys_pages_through_more_than_1000_keys(
    bucket: str, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [f"many/part-{i:05d}.json" for i in range(1005)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"{}"), keys))
    s3.put_object(Bucket=bucket, Key="other/x", Body=b"")

    requests: list[dict[str, Any]] = []
    lock = threading.Lock()

    def count(params: dict[str, Any], **_: Any) -> None:
        with lock:
            requests.append(dict(params))

    client = boto3.client("s3", region_name=REGION)
    client.meta.events.register("provide-client-params.s3.ListObjectsV2", count)

    assert list(S3ObjectStore(bucket, client=client).list_keys("many/")) == keys
    assert len(requests) == 2  # S3's 1000-key pages

    requests.clear()
    small_pages = S3ObjectStore(bucket, client=client, page_size=250)
    assert list(small_pages.list_keys("many/part-00")) == keys[:1000]
    assert len(requests) == 4
    assert all(r["MaxKeys"] == 250 for r in requests)


def test_list_keys_order_is_code_point_order(store: S3ObjectStore) -> None:
    keys = ["p/a-b", "p/a/b", "p/a0", "p/A", "p/z", "p/é", "p/中", "p/😀", "p/a%2F", "p/~"]
    for key in keys:
        store.put(key, b"")
    listed = list(store.list_keys("p/"))
    assert listed == sorted(keys)  # '-' < '/' < '0', ASCII < Latin-1 < CJK < astral
    assert list(store.list_keys("p/a")) == sorted(k for k in keys if k.startswith("p/a"))


def test_list_keys_prefix_is_a_plain_string_prefix(store: S3ObjectStore) -> None:
    for key in ("run/x-1", "run/x-10", "run/x-2", "run/y", "runner"):
        store.put(key, b"")
    assert list(store.list_keys("run/x-1")) == ["run/x-1", "run/x-10"]
    assert list(store.list_keys("run")) == ["run/x-1", "run/x-10", "run/x-2", "run/y", "runner"]


# -- create if absent (real conditional writes on moto) ------------------------------------------


def test_put_if_absent_twice_raises_and_keeps_the_first(
    store: S3ObjectStore, s3: Any, bucket: str
) -> None:
    store.put_if_absent("once.json", b"first", "application/json")
    with pytest.raises(AlreadyExists):
        store.put_if_absent("once.json", b"second", "application/json")
    assert store.get("once.json") == b"first"
    assert len(_versions(s3, bucket, "once.json")) == 1  # nothing was written the second time


def test_put_if_absent_sends_if_none_match(bucket: str) -> None:
    client = boto3.client("s3", region_name=REGION)
    seen: list[bytes | str] = []
    client.meta.events.register(
        "before-send.s3.PutObject",
        lambda request, **_: seen.append(request.headers.get("If-None-Match")),
    )
    S3ObjectStore(bucket, client=client).put_if_absent("k", b"x")
    assert [v.decode() if isinstance(v, bytes) else v for v in seen] == ["*"]


def test_put_if_absent_after_put_is_refused(store: S3ObjectStore) -> None:
    store.put("k", b"plain")
    with pytest.raises(AlreadyExists):
        store.put_if_absent("k", b"other")
    assert store.get("k") == b"plain"


# -- answers moto cannot give: Stubber on a real client -------------------------------------------


def _stubbed(bucket: str = "stub-bucket") -> tuple[S3ObjectStore, Stubber, list[float]]:
    client = boto3.client("s3", region_name=REGION)
    stubber = Stubber(client)
    sleeps: list[float] = []
    store = S3ObjectStore(
        bucket, client=client, conflict_retry_delays=(0.01, 0.02), sleep=sleeps.append
    )
    return store, stubber, sleeps


PUT_IF_ABSENT = {
    "Bucket": "stub-bucket",
    "Key": "k",
    "Body": b"data",
    "ContentType": "application/octet-stream",
    "IfNoneMatch": "*",
}


def _conflict(stubber: Stubber) -> None:
    stubber.add_client_error(
        "put_object",
        service_error_code="ConditionalRequestConflict",
        service_message="A conflicting conditional operation is currently in progress",
        http_status_code=409,
        expected_params=PUT_IF_ABSENT,
    )


def _precondition_failed(stubber: Stubber, retry_attempts: int = 0) -> None:
    stubber.add_client_error(
        "put_object",
        service_error_code="PreconditionFailed",
        service_message="At least one of the pre-conditions you specified did not hold",
        http_status_code=412,
        expected_params=PUT_IF_ABSENT,
        response_meta={"RetryAttempts": retry_attempts},
    )


def test_conflict_is_retried_until_the_write_succeeds() -> None:
    store, stubber, sleeps = _stubbed()
    _conflict(stubber)
    stubber.add_response("put_object", {"ETag": '"e"'}, PUT_IF_ABSENT)
    with stubber:
        store.put_if_absent("k", b"data")
        stubber.assert_no_pending_responses()
    assert sleeps == [0.01]


def test_conflict_then_precondition_failed_is_already_exists() -> None:
    store, stubber, sleeps = _stubbed()
    _conflict(stubber)
    _precondition_failed(stubber)
    with stubber, pytest.raises(AlreadyExists):
        store.put_if_absent("k", b"data")
    assert sleeps == [0.01]


def test_persistent_conflict_is_a_store_error_not_a_guess() -> None:
    store, stubber, sleeps = _stubbed()
    for _ in range(3):
        _conflict(stubber)
    with stubber, pytest.raises(StoreError) as info:
        store.put_if_absent("k", b"data")
    assert not isinstance(info.value, AlreadyExists)
    assert "s3://stub-bucket/k" in str(info.value)
    assert sleeps == [0.01, 0.02]


def test_precondition_failed_on_a_retried_request_checks_whose_object_it_is() -> None:
    # botocore re-sent the PUT after a lost answer: the object may be our own first attempt.
    store, stubber, _ = _stubbed()
    _precondition_failed(stubber, retry_attempts=1)
    stubber.add_response(
        "get_object", {"Body": _body(b"data")}, {"Bucket": "stub-bucket", "Key": "k"}
    )
    _precondition_failed(stubber, retry_attempts=2)
    stubber.add_response(
        "get_object", {"Body": _body(b"theirs")}, {"Bucket": "stub-bucket", "Key": "k"}
    )
    with stubber:
        store.put_if_absent("k", b"data")  # same bytes: our write landed
        with pytest.raises(AlreadyExists):
            store.put_if_absent("k", b"data")  # other bytes: somebody else's object


def test_first_try_precondition_failed_needs_no_read() -> None:
    store, stubber, _ = _stubbed()
    _precondition_failed(stubber)
    with stubber, pytest.raises(AlreadyExists):
        store.put_if_absent("k", b"data")
    stubber.assert_no_pending_responses()


def test_access_denied_is_a_store_error() -> None:
    store, stubber, _ = _stubbed()
    for method in ("get_object", "head_object"):
        stubber.add_client_error(
            method,
            service_error_code="AccessDenied",
            service_message="Access Denied",
            http_status_code=403,
        )
    with stubber:
        with pytest.raises(StoreError, match=r"GetObject s3://stub-bucket/k .*403 AccessDenied"):
            store.get("k")
        with pytest.raises(StoreError, match="HeadObject s3://stub-bucket/k"):
            store.exists("k")


def test_botocore_without_conditional_writes_fails_clearly() -> None:
    class Shape:
        members: ClassVar[dict[str, Any]] = {"Bucket": None, "Key": None}

    class Operation:
        input_shape = Shape()

    class Model:
        def operation_model(self, name: str) -> Operation:
            return Operation()

    class Meta:
        service_model = Model()

    class OldClient:
        meta = Meta()

        def put_object(self, **kwargs: Any) -> None:  # pragma: no cover - must not be reached
            raise AssertionError("called")

    store = S3ObjectStore("b", client=OldClient())
    with pytest.raises(StoreError, match="IfNoneMatch"):
        store.put_if_absent("k", b"x")


def _body(data: bytes) -> Any:
    from io import BytesIO

    from botocore.response import StreamingBody  # type: ignore[import-untyped]

    return StreamingBody(BytesIO(data), len(data))
