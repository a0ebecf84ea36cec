"""Shard payloads (handlers/payloads.py): the bytes template must give exactly the canonical
text of the whole document, for any request content (issue 13 made the template bytes)."""

from __future__ import annotations

from typing import Any

import pytest

from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.planning import ShardRange
from serverless_sweep.handlers.payloads import CONTRACT_VERSION, PayloadBuilder
from serverless_sweep.handlers.runs import RunRecord


def record(**request: Any) -> RunRecord:
    body = {"seed": 7, "failure_injection_shards": [], "dimensions": {"x": [1, 2]}, **request}
    manifest = {"model": "legacy_hash", "total_points": 12345, "request": body}
    return RunRecord("run-%d{x}", "2026-12-02", "f" * 64, "runs/m%s.json", manifest)


def expected(rec: RunRecord, shard: ShardRange, attempt: int, *, inline: bool = True) -> bytes:
    request = rec.request
    doc: dict[str, Any] = {
        "attempt": attempt,
        "contract_version": CONTRACT_VERSION,
        "end_index": shard.end_index,
        "failure_injection_shards": request["failure_injection_shards"],
        "fingerprint": rec.fingerprint,
        "model": rec.model,
        "run_date": rec.run_date,
        "run_id": rec.run_id,
        "seed": request["seed"],
        "shard_id": shard.shard_id,
        "start_index": shard.start_index,
        "total_points": rec.total_points,
    }
    if request.get("outputs"):
        doc["outputs"] = request["outputs"]
    if inline:
        doc["dimensions"] = request["dimensions"]
        for key in ("sampling", "ranges", "exclude"):
            if key in request:
                doc[key] = request[key]
    else:
        doc["manifest_key"] = rec.manifest_key
    return dumps_canonical(doc).encode()


ODD = {
    "dimensions": {"city": ["100%", "{x}", "%d%s%%", "Köln", 'q"uote\\'], "rate": [0.05, 1e-7]},
    "failure_injection_shards": [3, 9],
    "outputs": ["trips"],
    "ranges": {"a": {"min": 0.1, "max": 2.5, "log": True}},
    "sampling": {"method": "sobol", "count": 8, "seed": 1},
    "exclude": [{"city": "100%"}],
}


@pytest.mark.parametrize("request_fields", [{}, ODD], ids=["plain", "odd-text"])
@pytest.mark.parametrize(
    ("shard", "attempt"),
    [(ShardRange(0, 0, 1), 1), (ShardRange(9_999, 9_999, 10_000), 3), (ShardRange(12, 0, 0), 2)],
)
def test_payloads_are_the_canonical_text_of_the_whole_document(
    request_fields: dict[str, Any], shard: ShardRange, attempt: int
) -> None:
    rec = record(**request_fields)
    builder = PayloadBuilder(rec, 256 * 1024)
    assert builder.build(shard, attempt) == expected(rec, shard, attempt)
    assert builder.build_many([(shard, attempt), (ShardRange(1, 1, 2), 1)]) == [
        expected(rec, shard, attempt),
        expected(rec, ShardRange(1, 1, 2), 1),
    ]


def test_a_payload_over_the_limit_goes_by_reference_and_so_do_the_next_ones() -> None:
    rec = record(**ODD)
    shard = ShardRange(5, 5, 6)
    inline = expected(rec, shard, 1)
    builder = PayloadBuilder(rec, len(inline) - 1)
    assert builder.build(shard, 1) == expected(rec, shard, 1, inline=False)
    small = ShardRange(1, 1, 2)  # shorter digits, would fit inline: still by reference
    assert builder.build(small, 1) == expected(rec, small, 1, inline=False)
    assert PayloadBuilder(rec, len(inline)).build(shard, 1) == inline
