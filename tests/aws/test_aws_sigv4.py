"""Our SigV4 signer (adapters/aws/_sigv4.py) against botocore's, on the same requests.

botocore's `SigV4Auth` (Lambda) and `S3SigV4Auth` (S3) are the reference: AWS accepts what they
sign. Each case signs one request both ways at the same instant and compares the Authorization
header (and the other headers the signers add) byte for byte: keys and query values that need
percent-encoding, session tokens, custom ports, virtual-hosted S3, Lambda ARNs (whose path
botocore encodes twice).
"""

from __future__ import annotations

import datetime
from typing import Any

import botocore.auth  # type: ignore[import-untyped]
import pytest
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials as BotoCredentials  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from serverless_sweep.adapters.aws import _sigv4
from serverless_sweep.adapters.aws._environment import Credentials
from serverless_sweep.adapters.aws._http import Endpoint

NOW = datetime.datetime(2026, 12, 1, 20, 30, 5, tzinfo=datetime.UTC)
REGION = "eu-central-1"
TEMPORARY = Credentials(
    "ASIAEXAMPLEEXAMPLE01", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "tok/+="
)
LONG_LIVED = Credentials("AKIAEXAMPLEEXAMPLE01", "secret+/=key")
SIGNER_ADDED = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256")


def _ours(
    method: str,
    base: str,
    path: str,
    params: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
    service: str,
    credentials: Credentials,
) -> dict[str, str]:
    return _sigv4.sign(
        method=method,
        path=path,
        query=_sigv4.canonical_query(params),
        headers={"Host": Endpoint.parse(base).host_header, **headers},
        body_sha256=_sigv4.payload_hash(body),
        credentials=credentials,
        region=REGION,
        service=service,
        now=NOW,
    )


def _botocore(
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    base: str,
    path: str,
    params: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
    service: str,
    credentials: Credentials,
) -> dict[str, str]:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW.replace(tzinfo=None))
    request = AWSRequest(
        method=method, url=f"{base}{path}", headers=dict(headers), data=body, params=params
    )
    signer_class: Any = botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth
    creds = BotoCredentials(credentials.access_key, credentials.secret_key, credentials.token)
    signer_class(creds, service, REGION).add_auth(request)
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}


def _assert_same(monkeypatch: pytest.MonkeyPatch, *args: Any) -> None:
    ours = _ours(*args)
    theirs = _botocore(monkeypatch, *args)
    for name in SIGNER_ADDED:
        assert ours.get(name) == theirs.get(name), name
    assert ours["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=")


def _s3_path(bucket: str | None, key: str) -> str:
    encoded = _sigv4.uri_encode(key, keep_slash=True)
    return f"/{bucket}/{encoded}" if bucket else f"/{encoded}"


KEYS = [
    "plain.json",
    "serverless-sweeps/dataset=runs/run_date=2026-11-20/run_id=surge%2Fberlin%3Dv2/m.json",
    "space and + plus/ümlaut-é-中文-😀.bin",
    "a/b/c/~tilde&amp;?query#hash",
    "run_index/%2E%2E.json",
    "double//slash/./dot/../key",
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("credentials", [TEMPORARY, LONG_LIVED], ids=["temporary", "long-lived"])
def test_s3_put_path_style_on_a_custom_port(
    monkeypatch: pytest.MonkeyPatch, key: str, credentials: Credentials
) -> None:
    headers = {
        "Content-Type": "application/vnd.apache.parquet",
        "If-None-Match": "*",
        "x-amz-server-side-encryption": "AES256",
    }
    _assert_same(
        monkeypatch,
        "PUT",
        "http://127.0.0.1:5000",
        _s3_path("sweep-bucket", key),
        [],
        headers,
        bytes(range(256)),
        "s3",
        credentials,
    )


@pytest.mark.parametrize("key", KEYS)
def test_s3_get_and_head_virtual_hosted_https(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    base = f"https://sweep-bucket.s3.{REGION}.amazonaws.com"
    for method in ("GET", "HEAD"):
        _assert_same(monkeypatch, method, base, _s3_path(None, key), [], {}, b"", "s3", TEMPORARY)


def test_s3_list_query_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    params = [
        ("list-type", "2"),
        ("encoding-type", "url"),
        ("max-keys", "250"),
        ("prefix", "serverless-sweeps/dataset=runs/run_id=a b+c/é~"),
        ("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="),
    ]
    _assert_same(
        monkeypatch,
        "GET",
        "http://localhost:4566",
        "/sweep-bucket",
        params,
        {},
        b"",
        "s3",
        TEMPORARY,
    )


@pytest.mark.parametrize(
    "function",
    [
        "sweep-child",
        "arn:aws:lambda:eu-central-1:123456789012:function:sweep-child",
        "arn:aws:lambda:eu-central-1:123456789012:function:sweep-child:live",
    ],
)
@pytest.mark.parametrize("qualifier", [None, "$LATEST", "7"])
def test_lambda_invoke(
    monkeypatch: pytest.MonkeyPatch, function: str, qualifier: str | None
) -> None:
    name = _sigv4.uri_encode(function, keep_slash=False)
    params = [("Qualifier", qualifier)] if qualifier else []
    for base, credentials in (
        (f"https://lambda.{REGION}.amazonaws.com", TEMPORARY),
        ("http://127.0.0.1:5000", LONG_LIVED),
    ):
        _assert_same(
            monkeypatch,
            "POST",
            base,
            f"/2015-03-31/functions/{name}/invocations",
            params,
            {"X-Amz-Invocation-Type": "Event"},
            b'{"shard_id": 7, "text": "\\u00e9"}',
            "lambda",
            credentials,
        )


@settings(max_examples=150, deadline=None)
@given(
    key=st.text(min_size=1, max_size=40),
    prefix=st.text(max_size=20),
    body=st.binary(max_size=64),
)
def test_any_key_and_query_value_signs_like_botocore(key: str, prefix: str, body: bytes) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        for surrogate in (key, prefix):
            try:
                surrogate.encode()
            except UnicodeEncodeError:
                return  # lone surrogates are not valid keys for either signer
        _assert_same(
            monkeypatch,
            "PUT",
            "http://127.0.0.1:5000",
            _s3_path("b-1", key),
            [("prefix", prefix)] if prefix else [],
            {"Content-Type": "application/octet-stream"},
            body,
            "s3",
            TEMPORARY,
        )


def test_canonical_uri_of_other_services_drops_dot_segments_like_botocore() -> None:
    assert _sigv4.canonical_uri("/a/./b/../c//d/", service="lambda") == "/a/c/d/"
    assert _sigv4.canonical_uri("/x%3Ay", service="lambda") == "/x%253Ay"
    assert _sigv4.canonical_uri("/a/./b", service="s3") == "/a/./b"  # S3: as sent
    assert _sigv4.canonical_uri("", service="lambda") == "/"


def test_credentials_never_print_the_secret() -> None:
    assert "wJalr" not in repr(TEMPORARY) and "secret" not in repr(LONG_LIVED)
