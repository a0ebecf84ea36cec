"""SigV4 signing of the client (issue 12): for a fixed request and time, the headers the client
sends are exactly the ones botocore's own SigV4Auth computes for that request, temporary
credentials add their session token, and the algorithm meets AWS's published test vector.

The time is fixed by patching botocore's clock (`botocore.auth.get_current_datetime`) on both
sides; nothing else is replaced: the client's requests are real httpx requests, signed by its
real auth flow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import httpx
import pytest

from serverless_sweep.client import SweepClient
from serverless_sweep.client.sigv4 import SigV4Auth, SigV4Unavailable, region_from_url

FIXED = dt.datetime(2026, 12, 1, 14, 30, 5)
KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
API = "https://abc123.execute-api.eu-central-1.amazonaws.com/prod"


@pytest.fixture
def fixed_time() -> Iterator[None]:
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=FIXED):
        yield


def botocore_headers(
    method: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
    credentials: botocore.credentials.Credentials,
    region: str,
    service: str = "execute-api",
) -> dict[str, str]:
    """What botocore itself signs for this request (its own AWSRequest, its own signer)."""
    request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers)
    botocore.auth.SigV4Auth(credentials, service, region).add_auth(request)
    return dict(request.headers.items())


def signed(auth: SigV4Auth, request: httpx.Request) -> httpx.Request:
    flow = auth.sync_auth_flow(request)
    out = next(flow)
    flow.close()
    return out


@pytest.mark.parametrize("temporary", [False, True])
def test_a_signed_submit_equals_botocores_signature(fixed_time: None, temporary: bool) -> None:
    token = "IQoJb3JpZ2luX2VjEXAMPLETOKEN" if temporary else None
    credentials = botocore.credentials.Credentials(KEY, SECRET, token)
    auth = SigV4Auth(credentials=credentials, region="eu-central-1")
    body = b'{"run_id": "r1", "dimensions": {"x": [1, 2]}, "shard_count": 2}'
    request = httpx.Request(
        "POST",
        f"{API}/sweep-run?dry=1&a=b%20c",
        content=body,
        headers={"Content-Type": "application/json", "User-Agent": "tests"},
    )
    out = signed(auth, request)
    expected = botocore_headers(
        "POST",
        f"{API}/sweep-run?dry=1&a=b%20c",
        body,
        {
            "host": "abc123.execute-api.eu-central-1.amazonaws.com",
            "content-type": "application/json",
        },
        credentials,
        "eu-central-1",
    )
    assert out.headers["Authorization"] == expected["Authorization"]
    assert out.headers["X-Amz-Date"] == expected["X-Amz-Date"] == "20261201T143005Z"
    signed_headers = "content-type;host;x-amz-date" + (";x-amz-security-token" if temporary else "")
    assert f"SignedHeaders={signed_headers}," in out.headers["Authorization"]  # not User-Agent
    if temporary:
        assert out.headers["X-Amz-Security-Token"] == token
    else:
        assert "X-Amz-Security-Token" not in out.headers


def test_a_percent_encoded_run_id_is_signed_as_sent(fixed_time: None) -> None:
    credentials = botocore.credentials.Credentials(KEY, SECRET)
    auth = SigV4Auth(credentials=credentials, region="eu-central-1")
    url = f"{API}/sweep-run/surge%2Fberlin%3Dv2"
    out = signed(auth, httpx.Request("GET", url))
    assert out.url.raw_path == b"/prod/sweep-run/surge%2Fberlin%3Dv2"  # httpx keeps the %2F
    expected = botocore_headers(
        "GET",
        url,
        b"",
        {"host": "abc123.execute-api.eu-central-1.amazonaws.com"},
        credentials,
        "eu-central-1",
    )
    assert out.headers["Authorization"] == expected["Authorization"]
    # another path gives another signature: the path is part of what is signed
    other = signed(auth, httpx.Request("GET", f"{API}/sweep-run/surge-berlin"))
    assert other.headers["Authorization"] != out.headers["Authorization"]


def test_the_algorithm_meets_the_aws_get_vanilla_test_vector() -> None:
    # AWS SigV4 test suite, "get-vanilla": GET / at example.amazonaws.com, 20150830T123600Z.
    at = dt.datetime(2015, 8, 30, 12, 36, 0)
    credentials = botocore.credentials.Credentials(KEY, SECRET)
    auth = SigV4Auth(credentials=credentials, region="us-east-1", service="service")
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=at):
        out = signed(auth, httpx.Request("GET", "https://example.amazonaws.com/"))
    assert out.headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_credentials_come_from_the_standard_chain(
    monkeypatch: pytest.MonkeyPatch, fixed_time: None
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "chain-token")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    auth = SigV4Auth(api_url=API)  # the region from the execute-api host
    assert auth.region == "eu-central-1"
    out = signed(auth, httpx.Request("GET", f"{API}/sweep-run/r1"))
    assert out.headers["X-Amz-Security-Token"] == "chain-token"
    assert (
        "Credential=AKIDEXAMPLE/20261201/eu-central-1/execute-api/aws4_request"
        in (out.headers["Authorization"])
    )


def test_no_credentials_or_no_region_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    with pytest.raises(SigV4Unavailable, match="no AWS credentials"):
        SweepClient(API, auth="sigv4")
    credentials = botocore.credentials.Credentials(KEY, SECRET)
    with pytest.raises(SigV4Unavailable, match="no AWS region"):
        SigV4Auth(credentials=credentials, api_url="http://127.0.0.1:8000")


def test_region_from_url() -> None:
    assert region_from_url(API) == "eu-central-1"
    assert region_from_url("https://x1.execute-api.cn-north-1.amazonaws.com.cn/p") == "cn-north-1"
    assert region_from_url("http://127.0.0.1:8000") is None
