"""`sweep run` with hostile request sizes (issue 9, items 1 and 2): exit 2 with the field, the
rule and the limit, no traceback, nothing recorded.

Before: a dimension value nested 254+ levels deep ended `sweep run` with a traceback, and a
failure_injection_shards list of 100,000 entries was accepted and then every dispatch failed.
"""

from __future__ import annotations

from pathlib import Path

from local_helpers import legacy_request, sweep, write_request


def test_deep_dimension_value_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    """Item 1."""
    store = tmp_path / "store"
    value = "[" * 300 + "1" + "]" * 300
    path = tmp_path / "deep.json"
    path.write_text(
        '{"run_id": "deep", "model": "legacy_hash", "dimensions": {"a": [1, ' + value + "]},"
        ' "shard_count": 1}'
    )
    result = sweep("run", path, "--store", store, "--no-progress")
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert "/dimensions/a/1  [max_depth]" in result.err
    assert "at most 32 are allowed" in result.err
    assert not list(store.rglob("manifest.json"))


def test_huge_failure_injection_list_is_a_usage_error(tmp_path: Path) -> None:
    """Item 2 (contract part)."""
    store = tmp_path / "store"
    request = legacy_request("fis", failure_injection_shards=list(range(100_000)))
    result = sweep("run", write_request(tmp_path, request), "--store", store, "--no-progress")
    assert result.code == 2, result.err
    assert "/failure_injection_shards  [max_items]" in result.err
    assert "at most 1000 are allowed" in result.err
    assert not list(store.rglob("manifest.json"))
