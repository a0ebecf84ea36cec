"""AWS Signature Version 4 (header authorization), the part botocore's `SigV4Auth` /
`S3SigV4Auth` do for the requests these adapters send.

Why our own: the Lambda handlers need four S3 operations and one Lambda operation; importing
botocore for its signer (and building clients from JSON service models) was about half of a
cold start (issue 8). The algorithm is small and fixed; `tests/aws/test_aws_sigv4.py` checks
that the Authorization header equals botocore's, byte for byte, on the same requests (keys that
need percent-encoding, query strings, session tokens, both services).

What differs by service, as in botocore:

* S3 signs the path exactly as sent (no normalisation, no second encoding) and sends the
  payload's SHA-256 as `x-amz-content-sha256`, which S3 requires and checks against the body
  (a corrupted upload is refused, so no extra checksum header is needed);
* every other service (Lambda) signs the path percent-encoded once more (`%3A` -> `%253A`),
  after removing `.`/`..` segments.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from serverless_sweep.adapters.aws._environment import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_HEADERS = frozenset({"expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"})
"""Headers never signed (botocore's SIGNED_HEADERS_BLACKLIST): proxies may change them."""


def payload_hash(body: bytes) -> str:
    """Hex SHA-256 of the body, as the canonical request wants it."""
    return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256


def uri_encode(value: str, *, keep_slash: bool) -> str:
    """Percent-encode as AWS does: unreserved characters (letters, digits, `-_.~`) stay."""
    return quote(value, safe="/~" if keep_slash else "~")


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """The canonical query string, which is also what we send: encoded, sorted by key, value."""
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_uri(path: str, *, service: str) -> str:
    """The path as signed: S3's as sent; other services' with dot segments and repeated
    slashes removed (RFC 3986 5.2.4, as botocore does), then encoded again."""
    if service == "s3":
        return path or "/"
    return quote(remove_dot_segments(path) if path else "/", safe="/~")


def remove_dot_segments(path: str) -> str:
    """RFC 3986's dot-segment removal, empty segments dropped too (AWS's rule)."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and kept else ""
    return first + "/".join(kept) + last


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret_key}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def sign(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body_sha256: str,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime.datetime | None = None,
) -> dict[str, str]:
    """The request's headers plus `X-Amz-Date`, the session token, `x-amz-content-sha256`
    (S3) and `Authorization`.

    `headers` must contain `Host` as it will be sent (with the port unless it is the scheme's
    default); `path` and `query` are exactly what goes on the request line.
    """
    moment = now or datetime.datetime.now(datetime.UTC)
    timestamp = moment.strftime(TIMESTAMP_FORMAT)
    date = timestamp[:8]
    signed = dict(headers)
    signed["X-Amz-Date"] = timestamp
    if credentials.token:
        signed["X-Amz-Security-Token"] = credentials.token
    if service == "s3":
        signed["X-Amz-Content-SHA256"] = body_sha256

    to_sign: dict[str, list[str]] = {}
    for name, value in signed.items():
        lower = name.lower()
        if lower not in UNSIGNED_HEADERS:
            to_sign.setdefault(lower, []).append(" ".join(str(value).split()))
    names = sorted(to_sign)
    canonical_headers = "".join(f"{n}:{','.join(to_sign[n])}\n" for n in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        (
            method.upper(),
            canonical_uri(path, service=service),
            query,
            canonical_headers,
            signed_headers,
            body_sha256,
        )
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        (ALGORITHM, timestamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest())
    )
    key = signing_key(credentials.secret_key, date, region, service)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    signed["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return signed


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()
