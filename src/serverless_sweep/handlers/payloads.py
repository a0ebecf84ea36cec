"""Shard payloads: the JSON text the dispatcher sends each child.

Kept apart from the parent and the dispatcher because both build payloads (inline dispatch in the
request, asynchronous dispatch in a job) and the text must be byte-identical either way: the
replay fixtures pin the old runtime's compact, sorted-key form.
"""

from __future__ import annotations

from typing import Any

from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.planning import ShardRange
from serverless_sweep.core.space import SPACE_FIELDS

# Re-exported: the parent's config and the tests take the limit from here.
from serverless_sweep.handlers.responses import CONTRACT_VERSION
from serverless_sweep.handlers.runs import RunRecord


class PayloadBuilder:
    """Builds each shard's payload text: compact, sorted keys, like the old runtime.

    Everything but four integers is the same for every shard of a run, so the canonical text is
    rendered once into a format template and each shard only fills in attempt, shard_id and its
    bounds: with 10,000 shards that is most of the parent's work. Payloads over the async limit
    carry the manifest key instead of the dimensions.
    """

    _PER_SHARD = ("attempt", "end_index", "shard_id", "start_index")

    def __init__(self, record: RunRecord, limit_bytes: int) -> None:
        request = record.request
        self._limit = limit_bytes
        fixed: dict[str, Any] = {
            "contract_version": CONTRACT_VERSION,
            "failure_injection_shards": request["failure_injection_shards"],
            "fingerprint": record.fingerprint,
            "model": record.model,
            "run_date": record.run_date,
            "run_id": record.run_id,
            "seed": request["seed"],
            "total_points": record.total_points,
        }
        # Sampling, ranges and exclude define the points with the dimensions (issue 14); plain
        # grids have none of them, so their payload text is unchanged.
        space: dict[str, Any] = {key: request[key] for key in SPACE_FIELDS if key in request}
        if request.get("outputs"):  # issue 11's detail datasets; absent: the payload as before
            fixed["outputs"] = request["outputs"]
        self._inline = _template(
            {**fixed, "dimensions": request["dimensions"], **space}, self._PER_SHARD
        )
        self._by_reference = _template(
            {**fixed, "manifest_key": record.manifest_key}, self._PER_SHARD
        )
        self._use_reference = False

    def build(self, shard: ShardRange, attempt: int) -> bytes:
        values = {
            "attempt": attempt,
            "end_index": shard.end_index,
            "shard_id": shard.shard_id,
            "start_index": shard.start_index,
        }
        if not self._use_reference:
            data = self._inline.format_map(values).encode()
            if len(data) <= self._limit:
                return data
            self._use_reference = True  # same dimensions for every shard: all go by reference
        return self._by_reference.format_map(values).encode()


def _template(fixed: dict[str, Any], per_shard: tuple[str, ...]) -> str:
    """A str.format template equal to dumps_canonical(fixed + per-shard integers)."""
    fields = []
    for key in sorted([*fixed, *per_shard]):
        if key in per_shard:
            value = "{" + key + "}"
        else:
            value = dumps_canonical(fixed[key]).replace("{", "{{").replace("}", "}}")
        fields.append(dumps_canonical(key) + ":" + value)
    return "{{" + ",".join(fields) + "}}"
