"""`legacy_hash`: the old runtime's synthetic metrics, reproduced exactly.

The old child computed no simulation: per point it hashed `run_id|shard_id|point_json|seed`
(SHA-256, first 8 bytes big-endian) and derived three numbers from that state. Replay parity
needs the same numbers; load tests of the fan-out need a model that costs microseconds.
Because the old formula hashes the shard id, these numbers (unlike ride_hailing's) depend on
the shard layout — that is the legacy behaviour, kept on purpose.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from serverless_sweep.core.errors import Violation
from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.models.base import PointContext


def legacy_state(run_id: str, shard_id: object, point: Mapping[str, Any], seed: object) -> int:
    """The old hash state. shard_id and seed go through str(), as the old code did."""
    text = f"{run_id}|{shard_id}|{dumps_canonical(dict(point))}|{seed}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


class LegacyHashModel:
    """Accepts any dimensions; three integer metrics per point, summed per shard."""

    @property
    def name(self) -> str:
        return "legacy_hash"

    def validate_dimensions(self, dimensions: Mapping[str, Sequence[Any]]) -> list[Violation]:
        return []

    def run_point(self, point: Mapping[str, Any], context: PointContext) -> dict[str, Any]:
        state = legacy_state(context.run_id, context.shard_id, point, context.seed)
        completed = state % 200 + 10
        return {
            "parameters_json": dumps_canonical(dict(point)),
            "completed_rides": completed,
            "abandoned_rides": (state // 10) % 40,
            "platform_revenue_cents": completed * (500 + state % 1200),
        }

    def summarize(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return {
            "abandoned_rides": sum(int(r["abandoned_rides"]) for r in rows),
            "completed_rides": sum(int(r["completed_rides"]) for r in rows),
            "platform_revenue_cents": sum(int(r["platform_revenue_cents"]) for r in rows),
            "points_processed": len(rows),
        }
