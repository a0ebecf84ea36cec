"""`ObjectStore` over one S3 bucket, with the semantics `adapters/local/store.py` defines.

What the handlers rely on, and how S3 provides it:

* `put_if_absent` is the idempotency primitive (success artifacts, the run index pointer, redrive
  logs). It is a single `PutObject` with `If-None-Match: *` (S3 conditional writes, 2024): S3
  itself refuses to replace an existing key, so of several racing writers exactly one wins and
  there is no check-then-write window. `412 PreconditionFailed` means the key exists ->
  `AlreadyExists`. `409 ConditionalRequestConflict` means another conditional write to the same
  key is in flight; AWS says to retry, so we retry a few times (the retry then answers 412 or
  succeeds) instead of guessing who won. See `put_if_absent` for the retried-request case.
* `get` answers None for a missing key (`NoSuchKey`) and `exists` False (`HeadObject` 404). Both
  need `s3:ListBucket` on the bucket: without it S3 answers 403 for missing keys, which is a
  `StoreError` here (the child's "already done?" check would then fail every shard).
* `list_keys` pages through `ListObjectsV2` and yields keys in the order S3 returns them, which
  is ascending UTF-8 byte order, i.e. Python code point order (the local store's order).
  The client requests URL-encoded keys and decodes them, so any key round-trips.
* every other failure (HTTP errors, timeouts, connection errors, missing credentials) becomes
  `StoreError` naming bucket and key, so the child records it as `error_kind="storage"`.

The client (issue 8): by default `s3_http.S3HttpClient`, signed HTTP over the standard library,
so the Lambda handlers never import botocore (it was about half of their cold start). A
botocore/boto3 client may be injected instead (tools, botocore's Stubber in tests): it is
wrapped by `s3_botocore.BotocoreS3`, and both reach this module as the same answers
(`AwsErrorAnswer` with S3's error code, a transport failure, a refused parameter), so the
semantics below are written once.

Encryption: no `ServerSideEncryption` header is sent by default. S3 encrypts every new object at
rest with the bucket's default encryption (SSE-S3 unless the bucket says otherwise); sending
`AES256` explicitly would silently override a bucket configured for SSE-KMS, which is the more
surprising behaviour. Pass `server_side_encryption=` to force a value.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from serverless_sweep.adapters.aws._environment import NoCredentialsError
from serverless_sweep.adapters.aws._http import TransportError
from serverless_sweep.adapters.aws._service import AwsErrorAnswer, ParamValidationError, SdkError
from serverless_sweep.adapters.aws.s3_http import (
    S3_CONNECT_TIMEOUT_S,
    S3_READ_TIMEOUT_S,
    ListPage,
    S3HttpClient,
)
from serverless_sweep.handlers.ports import AlreadyExists, StoreError, StoreNotConfigured

BUCKET_ENV = "SWEEP_RESULTS_BUCKET"
NOT_CONFIGURED_MESSAGE = f"{BUCKET_ENV} must be configured"
"""The old runtime's exact wording; replay fixtures compare it."""

LIST_PAGE_SIZE = 1000
"""S3's maximum (and default) page size for ListObjectsV2."""

CONFLICT_RETRY_DELAYS_S: tuple[float, ...] = (0.05, 0.2, 0.5, 1.0)
"""Pauses before re-sending a conditional write that got 409 ConditionalRequestConflict."""

_MISSING_KEY_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_PRECONDITION_FAILED = "PreconditionFailed"
_CONDITIONAL_CONFLICT = "ConditionalRequestConflict"
_FAILURES = (TransportError, NoCredentialsError, SdkError)
"""What a request that got no S3 answer raises (after the client's retries)."""

__all__ = [
    "BUCKET_ENV",
    "NOT_CONFIGURED_MESSAGE",
    "S3_CONNECT_TIMEOUT_S",
    "S3_READ_TIMEOUT_S",
    "S3Api",
    "S3ObjectStore",
    "make_s3_client",
    "make_s3_http_client",
]


class S3Api(Protocol):
    """The four S3 operations the store needs (`S3HttpClient`, `s3_botocore.BotocoreS3`)."""

    def get_object(self, bucket: str, key: str) -> bytes: ...

    def head_object(self, bucket: str, key: str) -> dict[str, str]: ...

    def put_object(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        content_type: str = ...,
        if_none_match: str | None = ...,
        server_side_encryption: str | None = ...,
    ) -> dict[str, str]: ...

    def list_objects_v2(
        self,
        bucket: str,
        *,
        prefix: str = ...,
        max_keys: int = ...,
        continuation_token: str | None = ...,
    ) -> ListPage: ...


def make_s3_http_client(
    *, endpoint_url: str | None = None, region_name: str | None = None
) -> S3HttpClient:
    """The S3 client the store uses by default: signed HTTP, botocore's standard retries
    (5 attempts, full-jitter backoff), explicit timeouts, the `AWS_ENDPOINT_URL*` variables."""
    return S3HttpClient(endpoint_url=endpoint_url, region_name=region_name)


def make_s3_client(*, endpoint_url: str | None = None, region_name: str | None = None) -> Any:
    """A botocore S3 client with the same retries and timeouts, for tools and tests that want
    botocore (it imports botocore: never on the Lambda path)."""
    from serverless_sweep.adapters.aws._clients import make_client

    return make_client(
        "s3",
        endpoint_env_suffix="S3",
        connect_timeout=S3_CONNECT_TIMEOUT_S,
        read_timeout=S3_READ_TIMEOUT_S,
        endpoint_url=endpoint_url,
        region_name=region_name,
    )


class S3ObjectStore:
    """A flat key -> bytes store in one S3 bucket (see the module docstring for the semantics).

    `client` is an `S3HttpClient` (or anything with its four operations) or a botocore S3
    client; when None an `S3HttpClient` is built on first use (standard retries, explicit
    timeouts, `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` honoured), so creating the store costs
    nothing and an unconfigured store never builds a client.
    """

    def __init__(
        self,
        bucket: str | None,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        page_size: int = LIST_PAGE_SIZE,
        server_side_encryption: str | None = None,
        conflict_retry_delays: Sequence[float] = CONFLICT_RETRY_DELAYS_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= page_size <= LIST_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {LIST_PAGE_SIZE}, got {page_size}")
        self._bucket = (bucket or "").strip()
        self._client = client
        self._api: S3Api | None = None
        self._endpoint_url = endpoint_url
        self._region_name = region_name
        self._page_size = page_size
        self._sse = server_side_encryption
        self._conflict_retry_delays = tuple(conflict_retry_delays)
        self._sleep = sleep
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3ObjectStore({self._bucket!r})"

    @property
    def bucket(self) -> str:
        """The bucket name ('' when unconfigured)."""
        return self._bucket

    @property
    def client(self) -> Any:
        """The S3 client (as injected, or the `S3HttpClient` built on first use; thread-safe)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = make_s3_http_client(
                        endpoint_url=self._endpoint_url, region_name=self._region_name
                    )
        return self._client

    @property
    def api(self) -> S3Api:
        """The client as the four operations (a botocore client wrapped)."""
        if self._api is None:
            client = self.client
            if isinstance(client, S3HttpClient):
                self._api = client
            else:
                from serverless_sweep.adapters.aws.s3_botocore import (
                    BotocoreS3,
                    is_botocore_client,
                )

                self._api = BotocoreS3(client) if is_botocore_client(client) else client
        return self._api

    # -- ObjectStore ----------------------------------------------------------------------------

    def check_configured(self) -> None:
        """Raise StoreNotConfigured when no bucket is set. No network call: this runs per shard."""
        if not self._bucket:
            raise StoreNotConfigured(NOT_CONFIGURED_MESSAGE)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Write (or overwrite) key. Used only for records that never collide (attempt ids)."""
        self._put(key, data, content_type, if_absent=False)

    def put_if_absent(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        """Create key only if absent, else raise AlreadyExists; S3 decides atomically.

        One subtlety of retries: if a first attempt was stored but its answer was lost (read
        timeout, connection reset), the client's retry finds our own object and gets 412. When
        the 412 came from a retried request, the stored bytes are compared with ours: equal
        means the write is ours (or an identical one) and counts as done. Treating it as
        AlreadyExists could make the parent believe another submission registered the run and
        skip dispatching it; a duplicate dispatch, by contrast, is harmless.
        """
        self._require_bucket()
        delays = iter(self._conflict_retry_delays)
        while True:
            try:
                self._put(key, data, content_type, if_absent=True)
                return
            except _Conflict as conflict:
                delay = next(delays, None)
                if delay is None:
                    raise StoreError(
                        f"S3 PutObject (create-if-absent) s3://{self._bucket}/{key} failed: "
                        f"another conditional write to the key stayed in progress after "
                        f"{len(self._conflict_retry_delays)} retries"
                    ) from conflict.cause
                self._sleep(delay)
            except _PreconditionFailed as failed:
                if failed.retried and self.get(key) == bytes(data):
                    return
                raise AlreadyExists(f"store key {key!r} already exists") from failed.cause

    def get(self, key: str) -> bytes | None:
        """The bytes at key, or None when the key does not exist."""
        bucket = self._require_bucket()
        try:
            with self._map_errors("GetObject", key, answer=_missing_object):
                return self.api.get_object(bucket, key)
        except _Missing:
            return None

    def exists(self, key: str) -> bool:
        """Whether key exists (HeadObject).

        A HEAD error has no body, so S3 cannot say *which* thing is missing: a missing bucket
        also reads as False here. `get`, `put` and `list_keys` do report a missing bucket.
        """
        bucket = self._require_bucket()
        try:
            with self._map_errors("HeadObject", key, answer=_missing_head):
                self.api.head_object(bucket, key)
        except _Missing:
            return False
        return True

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Every key starting with prefix, in S3's (code point) order, one page at a time."""
        bucket = self._require_bucket()
        token: str | None = None
        while True:
            with self._map_errors("ListObjectsV2", prefix, shown_key=f"{prefix}*"):
                page = self.api.list_objects_v2(
                    bucket, prefix=prefix, max_keys=self._page_size, continuation_token=token
                )
            yield from page.keys
            if page.next_token is None:
                return
            token = page.next_token

    def when_published(self, callback: Callable[[], object]) -> None:
        """A PUT is visible when it returns (S3 is strongly consistent): run it at once."""
        callback()

    # -- helpers --------------------------------------------------------------------------------

    def _require_bucket(self) -> str:
        self.check_configured()
        return self._bucket

    def _put(self, key: str, data: bytes, content_type: str, *, if_absent: bool) -> None:
        bucket = self._require_bucket()
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"store data for key {key!r} must be bytes, not {type(data).__name__}")
        operation = "PutObject (create-if-absent)" if if_absent else "PutObject"
        conditional = _conditional_write_refused if if_absent else None
        with self._map_errors(operation, key, answer=conditional):
            self.api.put_object(
                bucket,
                key,
                bytes(data),
                content_type=content_type,
                if_none_match="*" if if_absent else None,
                server_side_encryption=self._sse,
            )

    @contextlib.contextmanager
    def _map_errors(
        self,
        operation: str,
        key: str,
        *,
        answer: Callable[[AwsErrorAnswer], Exception | None] | None = None,
        shown_key: str | None = None,
    ) -> Iterator[None]:
        """The one place the clients' failures become the store's (as httpx's
        `map_httpcore_exceptions` does for httpcore's).

        `answer` picks the S3 answers an operation expects (a missing key, a refused
        conditional write) and returns the internal exception its caller handles, or None;
        every other error answer and every failure to get one (timeouts, connection errors,
        missing credentials, after the client's retries) becomes a `StoreError` naming the
        operation, bucket and key; parameters S3 would never accept are a caller's bug:
        ValueError.
        """
        try:
            yield
        except AwsErrorAnswer as exc:
            expected = answer(exc) if answer is not None else None
            raise expected or self._store_error(operation, shown_key or key, exc) from exc
        except ParamValidationError as exc:
            raise _invalid_key(key, exc) from exc
        except _FAILURES as exc:
            raise self._store_error(operation, shown_key or key, exc) from exc

    def _store_error(self, operation: str, key: str, exc: Exception) -> StoreError:
        return StoreError(f"S3 {operation} s3://{self._bucket}/{key} failed: {_describe(exc)}")


class _Missing(Exception):
    """Internal: S3 says the key does not exist (`get` answers None, `exists` False)."""


def _missing_object(exc: AwsErrorAnswer) -> Exception | None:
    """GetObject: only NoSuchKey means a missing key (a missing bucket is a StoreError)."""
    return _Missing() if exc.code == "NoSuchKey" else None


def _missing_head(exc: AwsErrorAnswer) -> Exception | None:
    """HeadObject: any 404 (a HEAD error has no body to tell key and bucket apart)."""
    if exc.status == 404 or exc.code in _MISSING_KEY_CODES:
        return _Missing()
    return None


def _conditional_write_refused(exc: AwsErrorAnswer) -> Exception | None:
    """PutObject with If-None-Match: 412 (the key exists) or 409 (a concurrent write)."""
    if exc.code == _PRECONDITION_FAILED or exc.status == 412:
        return _PreconditionFailed(exc)
    if exc.code == _CONDITIONAL_CONFLICT or exc.status == 409:
        return _Conflict(exc)
    return None


class _PreconditionFailed(Exception):
    """Internal: the conditional write found the key (412)."""

    def __init__(self, cause: AwsErrorAnswer) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.retried = cause.retried


class _Conflict(Exception):
    """Internal: a concurrent conditional write to the same key is in progress (409)."""

    def __init__(self, cause: AwsErrorAnswer) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _describe(exc: Exception) -> str:
    if isinstance(exc, AwsErrorAnswer):
        where = f"HTTP {exc.status} " if exc.status else ""
        return f"{where}{exc.code or 'unknown'}: {exc.message}".rstrip(": ")
    if isinstance(exc, SdkError):
        return str(exc)
    text = f"{type(exc).__name__}: {exc}"
    attempts = getattr(exc, "attempts", 1)
    return f"{text} (after {attempts} attempts)" if attempts > 1 else text


def _invalid_key(key: str, exc: Exception) -> ValueError:
    """Parameters S3 would never accept (empty key, ...): a caller bug, as in the local store."""
    return ValueError(f"invalid store key {key!r}: {exc}")
