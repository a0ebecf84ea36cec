"""Shared request builders for the handler tests."""

from __future__ import annotations

from typing import Any

CHILD = "arn:aws:lambda:eu-central-1:123456789012:function:sweep-child"


def request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "run_id": "r1",
        "dimensions": {"b": [1, 2, 3], "a": ["x", "y"]},
        "shard_count": 3,
        "seed": 7,
    }
    body.update(overrides)
    return body
