"""The S3 operations the store uses, over signed HTTP (no botocore): GetObject, HeadObject,
PutObject (with `If-None-Match: *`, content type, server-side encryption) and ListObjectsV2.

Why only these: they are all `s3_store.S3ObjectStore` needs, and the Lambda handlers' cold
start paid about half its time for botocore (issue 8). Behaviour follows botocore's S3 client:

* addressing: path style (`/<bucket>/<key>`) on a custom endpoint (`AWS_ENDPOINT_URL_S3`,
  `AWS_ENDPOINT_URL`: moto, MinIO and LocalStack expect it); virtual-hosted style
  (`https://<bucket>.s3.<region>.amazonaws.com/<key>`) on AWS, which AWS recommends and which
  needs no redirect whatever the bucket's region; buckets whose names are not valid host labels
  (dots break the TLS certificate match) fall back to path style, as botocore does;
* keys are sent percent-encoded (`/` kept), so any key round-trips; listing asks for
  `encoding-type=url` and decodes the keys (unquote_plus, as botocore);
* the body's SHA-256 is signed and sent (`x-amz-content-sha256`): S3 checks it, so an upload
  corrupted on the way is refused rather than stored;
* retries: standard mode's 5 attempts with full-jitter backoff (`_retry.py`) on throttling,
  transient 5xx, resets and timeouts. Error answers are `_service.AwsErrorAnswer` with S3's
  error code (from the XML body; a HEAD answer has none, so its code is the status, `"404"`,
  like botocore's).
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from serverless_sweep.adapters.aws import _sigv4
from serverless_sweep.adapters.aws._environment import (
    Credentials,
    dns_suffix,
    endpoint_from_env,
    region_from_env,
)
from serverless_sweep.adapters.aws._http import Endpoint, Response
from serverless_sweep.adapters.aws._retry import RetryPolicy
from serverless_sweep.adapters.aws._service import (
    AwsErrorAnswer,
    ParamValidationError,
    ServiceClient,
)

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

S3_CONNECT_TIMEOUT_S = 5.0
S3_READ_TIMEOUT_S = 30.0
S3_MAX_POOL_CONNECTIONS = 10
"""botocore's default: enough for the store's few concurrent calls per invocation."""
MAX_LIST_KEYS = 1000

_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
_VIRTUAL_HOSTABLE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_OK = frozenset({200})


@dataclass(frozen=True, slots=True)
class ListPage:
    """One ListObjectsV2 page: its keys in S3's order, and the token of the next page."""

    keys: tuple[str, ...]
    next_token: str | None


class S3HttpClient:
    """S3 over signed HTTP; thread-safe, connections pooled per endpoint.

    `endpoint_url` None means `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, else AWS itself;
    `region_name` None means `AWS_REGION` / `AWS_DEFAULT_REGION`. `credentials` None means the
    environment's, read at each request.
    """

    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        connect_timeout: float = S3_CONNECT_TIMEOUT_S,
        read_timeout: float = S3_READ_TIMEOUT_S,
        max_pool_connections: int = S3_MAX_POOL_CONNECTIONS,
        retry: RetryPolicy | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.region = region_name or region_from_env()
        url = endpoint_url or endpoint_from_env("S3")
        self.custom_endpoint = url is not None
        self._endpoint_url = url or f"https://s3.{self.region}.{dns_suffix(self.region)}"
        Endpoint.parse(self._endpoint_url)  # refuse a malformed URL now, not on first use
        self.retry = retry or RetryPolicy()
        self._settings = (connect_timeout, read_timeout, max_pool_connections)
        self._credentials = credentials
        self._services: dict[str, ServiceClient] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3HttpClient({self._endpoint_url!r}, region={self.region!r})"

    # -- operations -----------------------------------------------------------------------------

    def get_object(self, bucket: str, key: str) -> bytes:
        """The object's bytes; AwsErrorAnswer NoSuchKey when it does not exist."""
        service, path = self._route(bucket, key)
        return service.request("GET", path, expected=_OK).body

    def head_object(self, bucket: str, key: str) -> dict[str, str]:
        """The object's headers (lower-case names); AwsErrorAnswer "404" when it is missing."""
        service, path = self._route(bucket, key)
        return service.request("HEAD", path, expected=_OK).headers

    def put_object(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_none_match: str | None = None,
        server_side_encryption: str | None = None,
    ) -> dict[str, str]:
        """Store the object; `if_none_match="*"` creates it only if absent (412 otherwise)."""
        service, path = self._route(bucket, key)
        headers = {"Content-Type": content_type}
        if if_none_match is not None:
            headers["If-None-Match"] = if_none_match
        if server_side_encryption:
            headers["x-amz-server-side-encryption"] = server_side_encryption
        return service.request("PUT", path, headers=headers, body=bytes(body), expected=_OK).headers

    def list_objects_v2(
        self,
        bucket: str,
        *,
        prefix: str = "",
        max_keys: int = MAX_LIST_KEYS,
        continuation_token: str | None = None,
    ) -> ListPage:
        """One page of the keys under `prefix` (at most `max_keys`, S3's cap is 1000)."""
        _require("Bucket", bucket)
        if not 1 <= max_keys <= MAX_LIST_KEYS:
            raise ParamValidationError(
                f"max_keys must be between 1 and {MAX_LIST_KEYS}, got {max_keys}"
            )
        service, path = self._route(bucket, None)
        query = [("list-type", "2"), ("encoding-type", "url"), ("max-keys", str(max_keys))]
        if prefix:
            query.append(("prefix", prefix))
        if continuation_token:
            query.append(("continuation-token", continuation_token))
        return parse_list_page(service.request("GET", path, query=query, expected=_OK).body)

    def close(self) -> None:
        """Close every pooled connection (the client stays usable)."""
        with self._lock:
            services = list(self._services.values())
        for service in services:
            service.pool.close()

    # -- addressing -----------------------------------------------------------------------------

    def _route(self, bucket: str, key: str | None) -> tuple[ServiceClient, str]:
        """The endpoint for `bucket` and the encoded path of `key` (None: the bucket itself)."""
        _require("Bucket", bucket)
        if key is not None:
            _require("Key", key)
        encoded_key = "" if key is None else _sigv4.uri_encode(key, keep_slash=True)
        if self.custom_endpoint or not virtual_hostable(bucket):
            prefix = f"/{_sigv4.uri_encode(bucket, keep_slash=False)}"
            path = f"{prefix}/{encoded_key}" if key is not None else prefix
            return self._service(self._endpoint_url), path
        url = f"https://{bucket}.s3.{self.region}.{dns_suffix(self.region)}"
        return self._service(url), f"/{encoded_key}"

    def _service(self, url: str) -> ServiceClient:
        service = self._services.get(url)
        if service is None:
            with self._lock:
                service = self._services.get(url)
                if service is None:
                    connect_timeout, read_timeout, pool = self._settings
                    service = ServiceClient(
                        service="s3",
                        endpoint=Endpoint.parse(url),
                        region=self.region,
                        retry=self.retry,
                        parse_error=parse_s3_error,
                        connect_timeout=connect_timeout,
                        read_timeout=read_timeout,
                        max_pool_connections=pool,
                        credentials=self._credentials,
                    )
                    self._services[url] = service
        return service

    @property
    def services(self) -> Sequence[ServiceClient]:
        """The per-endpoint clients built so far (tests read their pools' counters)."""
        with self._lock:
            return tuple(self._services.values())


def virtual_hostable(bucket: str) -> bool:
    """Whether the bucket name can be a TLS-safe host label (no dots, no upper case)."""
    return bool(_VIRTUAL_HOSTABLE.match(bucket))


def parse_s3_error(response: Response) -> AwsErrorAnswer:
    """S3's XML error body -> code and message; without one (HEAD), the status is the code.

    ElementTree is imported on first use: a process that never lists nor fails does not pay
    for it."""
    code, message = str(response.status), http.client.responses.get(response.status, "")
    if response.body.lstrip().startswith(b"<"):
        from xml.etree import ElementTree

        try:
            root = ElementTree.fromstring(response.body)
        except ElementTree.ParseError:
            root = None
        if root is not None:
            code = _text(root, "Code") or code
            message = _text(root, "Message") or message
    return AwsErrorAnswer(response.status, code, message, headers=response.headers)


def parse_list_page(body: bytes) -> ListPage:
    """A ListObjectsV2 answer (keys URL-encoded, as asked) -> ListPage."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(body)
    keys = tuple(unquote_plus(element.text or "") for element in root.iter(f"{_NS}Key")) or tuple(
        unquote_plus(element.text or "") for element in root.iter("Key")
    )
    truncated = (_text(root, "IsTruncated") or "false").lower() == "true"
    token = _text(root, "NextContinuationToken") if truncated else None
    return ListPage(keys, token or None)


def _text(root: Element, name: str) -> str:
    """The stripped text of the child element `name` (S3's namespace or none), '' if absent."""
    element = root.find(f"{_NS}{name}")
    if element is None:
        element = root.find(name)
    return (element.text or "").strip() if element is not None else ""


def _require(name: str, value: str) -> None:
    """botocore's parameter check (min length 1): an empty name is a caller's bug."""
    if not isinstance(value, str) or not value:
        raise ParamValidationError(
            f"Invalid length for parameter {name}, value: 0, valid min length: 1"
        )
