"""`ObjectStore.when_published` on S3 (moto): a PUT is visible when it returns, so work that
must follow a commit (the child's compaction) runs at once; it sees the object it follows."""

from __future__ import annotations

import pytest

from serverless_sweep.adapters.aws.s3_store import S3ObjectStore
from serverless_sweep.handlers.ports import ObjectStore


@pytest.fixture
def store(bucket: str) -> S3ObjectStore:
    return S3ObjectStore(bucket)


def test_when_published_runs_at_once_after_the_write(store: S3ObjectStore) -> None:
    assert isinstance(store, ObjectStore)
    store.put_if_absent("env/0.json", b"commit")
    seen: list[bytes | None] = []
    store.when_published(lambda: seen.append(store.get("env/0.json")))
    assert seen == [b"commit"]
