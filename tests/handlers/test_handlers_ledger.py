"""The ledger's cheaper paths (issue 13) give what the plain ones gave.

`compute_ledger` parses each time once and reads an envelope through `ledger_fields` (what a
compaction chunk keeps of an envelope); `timing_fields` reads the environment without
`os.environ.get`'s overhead. Both are compared with frozen copies of the code they replace,
over envelopes and environments chosen to reach every branch."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from serverless_sweep.handlers import ledger
from serverless_sweep.handlers.ledger import (
    LEDGER_FIELDS,
    compute_ledger,
    ledger_fields,
    ledger_of_fields,
    timing_fields,
)

# -- frozen copies of the replaced code -------------------------------------------------------


def _old_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _old_attempt_seconds(envelope: Mapping[str, Any]) -> float | None:
    start, end = _old_time(envelope.get("started_at")), _old_time(envelope.get("ended_at"))
    if start is not None and end is not None and end >= start:
        return (end - start).total_seconds()
    duration = envelope.get("duration_ms")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0:
        return float(duration) / 1000.0
    return None


def _old_compute_ledger(envelopes: Iterable[Mapping[str, Any]], accepted_at: object) -> Any:
    invocations = 0
    compute = 0.0
    gb_seconds = 0.0
    assumed = 0
    cold = 0
    shard_seconds: list[float] = []
    last_end: datetime | None = None
    for envelope in envelopes:
        if envelope.get("status") == "failure" and envelope.get("error_kind") == "expired":
            continue
        invocations += 1
        seconds = _old_attempt_seconds(envelope) or 0.0
        compute += seconds
        memory = envelope.get("memory_mb")
        if not isinstance(memory, int) or isinstance(memory, bool) or memory <= 0:
            memory = ledger.ASSUMED_MEMORY_MB
            assumed += 1
        gb_seconds += seconds * memory / 1024.0
        if envelope.get("cold_start") is True:
            cold += 1
        if envelope.get("status") == "success":
            shard_seconds.append(seconds)
        end = _old_time(envelope.get("ended_at")) or _old_time(envelope.get("event_time"))
        if end is not None and (last_end is None or end > last_end):
            last_end = end
    start = _old_time(accepted_at)
    wall = (last_end - start).total_seconds() if start and last_end and last_end >= start else 0.0
    usd = (
        gb_seconds * float(ledger.PRICE_TABLE["usd_per_gb_second"])
        + invocations * float(ledger.PRICE_TABLE["usd_per_million_requests"]) / 1_000_000
    )
    p50 = round(ledger.percentile(shard_seconds, 0.5), 6) if shard_seconds else 0.0
    p95 = round(ledger.percentile(shard_seconds, 0.95), 6) if shard_seconds else 0.0
    return {
        "invocations": invocations,
        "cold_starts": cold,
        "compute_seconds": round(compute, 6),
        "gb_seconds": round(gb_seconds, 6),
        "shard_seconds_p50": p50,
        "shard_seconds_p95": p95,
        "wall_seconds": round(wall, 3),
        "estimated_usd": round(usd, 8),
        "memory_assumed_invocations": assumed,
        "assumed_memory_mb": ledger.ASSUMED_MEMORY_MB,
        "price_table": dict(ledger.PRICE_TABLE),
    }


def _old_timing_fields(started_at: datetime, ended_at: datetime, cold: bool) -> dict[str, Any]:
    stream = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
    raw = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    return {
        "started_at": started_at.isoformat(),
        "ended_at": ended_at.isoformat(),
        "memory_mb": int(raw) if raw.isdigit() else None,
        "cold_start": cold,
        "instance_id": stream if stream else f"{socket.gethostname()}:{os.getpid()}",
    }


# -- envelopes reaching every branch -----------------------------------------------------------

T0 = datetime(2026, 12, 2, 1, 0, 0, 123456, tzinfo=UTC)


def _at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


ENVELOPES: list[dict[str, Any]] = [
    {"status": "success", "started_at": _at(0), "ended_at": _at(0.5), "memory_mb": 1024},
    {"status": "success", "started_at": _at(1), "ended_at": _at(1.25), "cold_start": True},
    {"status": "success", "started_at": _at(2), "ended_at": _at(1), "duration_ms": 12.5},
    {"status": "success", "duration_ms": 7, "memory_mb": True, "cold_start": 1},
    {"status": "success", "duration_ms": -1.0, "memory_mb": 0, "event_time": _at(90)},
    {"status": "success", "started_at": "2026-12-02T01:00:00", "ended_at": "2026-12-02T01:00:03"},
    {"status": "success", "started_at": "not a time", "ended_at": _at(3), "memory_mb": 512.0},
    {"status": "failure", "error_kind": "expired", "started_at": _at(0), "ended_at": _at(500)},
    {"status": "failure", "error_kind": "crashed", "event_time": _at(120)},
    {"status": "failure", "error_kind": "timeout", "started_at": _at(4), "ended_at": _at(9)},
    {"status": "success", "started_at": _at(5), "ended_at": "2026-12-02T03:00:00+02:00"},
    {"status": "success", "duration_ms": True, "memory_mb": None, "cold_start": False},
    {},
]


@pytest.mark.parametrize("accepted_at", [_at(-10), None, "2026-12-02T01:00:00", _at(1000)])
def test_compute_ledger_is_the_plain_computation(accepted_at: object) -> None:
    for count in range(len(ENVELOPES) + 1):
        envelopes = ENVELOPES[:count]
        expected = _old_compute_ledger(envelopes, accepted_at)
        assert compute_ledger(envelopes, accepted_at) == expected
        assert ledger_of_fields(map(ledger_fields, envelopes), accepted_at) == expected
    many = [{**e, "memory_mb": 128 * (i % 5)} for i, e in enumerate(ENVELOPES * 40)]
    assert compute_ledger(many, accepted_at) == _old_compute_ledger(many, accepted_at)


class _Recording(dict[str, Any]):
    """An envelope that notes which fields were read."""

    read: set[str]

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


def test_ledger_fields_are_all_that_compute_ledger_reads() -> None:
    """A chunk keeps `LEDGER_FIELDS` of an envelope in place of the envelope: compute_ledger
    must read nothing else (and each of them, or the list says too much)."""
    read: set[str] = set()
    envelopes = []
    for envelope in ENVELOPES:
        recording = _Recording(envelope)
        recording.read = read
        envelopes.append(recording)
    compute_ledger(envelopes, _at(0))
    assert read == set(LEDGER_FIELDS)
    assert ledger_fields(ENVELOPES[0]) == tuple(ENVELOPES[0].get(f) for f in LEDGER_FIELDS)


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048"},
        {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048.0", "AWS_LAMBDA_LOG_STREAM_NAME": ""},
        {
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/02/[$LATEST]0123abcd",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "",
        },
        {
            "AWS_LAMBDA_LOG_STREAM_NAME": "stré\u00e6m-\u4e2d",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769",
        },
    ],
)
def test_timing_fields_are_the_plain_ones(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    for name in ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_STREAM_NAME"):
        monkeypatch.delenv(name, raising=False)
    moments = [
        (T0, T0 + timedelta(microseconds=1)),
        (T0.replace(microsecond=0), T0.replace(microsecond=0)),
        (datetime(2026, 12, 2, 3, 4, 5, 6, tzinfo=UTC).astimezone(), T0),
    ]
    for _ in range(2):  # before and after the variables are set
        for started, ended in moments:
            cold = ledger._COLD["first"]
            assert timing_fields(started, ended) == _old_timing_fields(started, ended, cold)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_LAMBDA_LOG_STREAM_NAME", raising=False)
    assert timing_fields(T0, T0) == _old_timing_fields(T0, T0, False)
