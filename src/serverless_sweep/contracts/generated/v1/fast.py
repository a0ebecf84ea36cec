# GENERATED FILE - DO NOT EDIT.
# Source: schemas/v1
# Regenerate with `make codegen` (python -m codegen); `make codegen-check` fails when this file is stale.
"""Pydantic-free checkers of the v1 contract documents (issue 8: cold start).

`check(name, value)` returns exactly
`Model.model_validate(value).model_dump(mode="json", exclude_none=True)` for the generated model
class `name`, or None when it is not sure: the value is invalid, or valid only through a coercion
these checkers do not reproduce (a bool or float for an int, a tuple for a list, ...). Callers
then run the pydantic model (`serverless_sweep.handlers.contract_docs`), which owns every error
message. Only the standard library is imported. How and why: codegen/fast_checkers.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Final


class _Unsure:
    """The sentinel a checker returns when the value needs the pydantic model."""

    __slots__ = ()


_NO: Final = _Unsure()
_finite = math.isfinite
_DATE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_date(value: str) -> bool:
    """`YYYY-MM-DD`, a real day of year 1..9999: what pydantic parses and dumps unchanged."""
    if len(value) != 10 or _DATE.fullmatch(value) is None:
        return False
    year, month, day = int(value[:4]), int(value[5:7]), int(value[8:])
    if year == 0 or day > _MONTH_DAYS[month]:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return not (month == 2 and day == 29 and not leap)


def _text(value: str) -> bool:
    """No lone surrogate: pydantic refuses one in a constrained string (its Rust side needs
    UTF-8), so a declared string with one is left to it."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _any(value: Any) -> Any:
    """A JSON value as pydantic's `Any` dumps it (a copy), _NO for anything else.

    Non-finite floats are refused (pydantic dumps them as null), so are non-str keys, lone
    surrogates (pydantic replaces them in keys), tuples and every other Python type.
    """
    kind = type(value)
    if kind is str:
        return value if _text(value) else _NO
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if _finite(value) else _NO
    if kind is list:
        items = []
        for item in value:
            item = _any(item)
            if item is _NO:
                return _NO
            items.append(item)
        return items
    if kind is dict:
        mapping = {}
        for key, item in value.items():
            if type(key) is not str or not _text(key):
                return _NO
            item = _any(item)
            if item is _NO:
                return _NO
            mapping[key] = item
        return mapping
    return _NO


_K0: Final = frozenset(
    [
        "run_id",
        "total_points",
        "shards_dispatched",
        "dispatches",
        "status",
        "contract_version",
        "fingerprint",
        "run_date",
        "model",
        "shard_count",
        "dispatch_state",
        "warnings",
        "shards_to_dispatch",
        "excluded_points",
    ]
)
_K1: Final = frozenset(["shard_id", "status_code", "attempt"])
_K2: Final = frozenset(["already_submitted", "dispatch_submitted", "redrive_submitted"])
_K3: Final = frozenset(["1.0"])
_K4: Final = re.compile("^[0-9a-f]{64}$")
_K5: Final = frozenset(["complete", "none", "under_way"])
_K6: Final = frozenset(["error", "message", "details", "contract_version", "run_id"])
_K7: Final = frozenset(
    [
        "conflict",
        "dispatch_error",
        "internal_error",
        "misconfiguration",
        "not_found",
        "payload_too_large",
        "validation_error",
    ]
)
_K8: Final = frozenset(["pointer", "rule", "message"])
_K9: Final = frozenset(
    [
        "num_riders",
        "num_drivers",
        "match_radius",
        "commission_rate",
        "base_fare",
        "per_km_rate",
        "surge_enabled",
        "surge_radius_k",
        "surge_max_multiplier",
        "epoch_ms",
        "simulation_duration_hours",
        "matching_algorithm_type",
        "batch_matching_enabled",
        "batch_interval_secs",
        "eta_weight",
        "traffic_profile",
        "dynamic_congestion_enabled",
        "base_speed_kmh",
    ]
)
_K10: Final = frozenset(
    [
        "contract_version",
        "run_id",
        "model",
        "total_points",
        "order_by",
        "descending",
        "fields",
        "offset",
        "limit",
        "items",
        "next_page_token",
    ]
)
_K11: Final = frozenset(["point_index", "shard_id", "parameters", "metrics"])
_K12: Final = frozenset(["contract_version", "runs", "damaged", "next_token"])
_K13: Final = frozenset(
    [
        "run_id",
        "run_date",
        "accepted_at",
        "model",
        "state",
        "total_points",
        "shard_count",
        "succeeded_shards",
        "failed_shards",
        "pending_shards",
        "coverage",
    ]
)
_K14: Final = frozenset(["failed", "running", "succeeded"])
_K15: Final = frozenset(
    [
        "contract_version",
        "run_id",
        "run_date",
        "accepted_at",
        "fingerprint",
        "model",
        "request",
        "total_points",
        "shards",
    ]
)
_K16: Final = frozenset(["shard_id", "start_index", "end_index"])
_K17: Final = frozenset(
    [
        "contract_version",
        "run_id",
        "run_date",
        "model",
        "fingerprint",
        "state",
        "total_points",
        "shard_count",
        "succeeded_shards",
        "failed_shards",
        "pending_shards",
        "points_done",
        "coverage",
        "tolerated_failure_percentage",
        "failures",
        "missing_shard_ids",
        "dispatched_shards",
        "undispatched_shards",
        "dispatch_failed_shards",
        "lost_shards",
        "lost_shard_ids",
        "ledger",
    ]
)
_K18: Final = frozenset(["shard_id", "attempt", "error_kind", "error_code", "error_message"])
_K19: Final = frozenset(
    [
        "invocations",
        "cold_starts",
        "compute_seconds",
        "gb_seconds",
        "shard_seconds_p50",
        "shard_seconds_p95",
        "wall_seconds",
        "estimated_usd",
        "memory_assumed_invocations",
        "assumed_memory_mb",
        "price_table",
    ]
)
_K20: Final = frozenset(
    ["name", "as_of", "usd_per_gb_second", "usd_per_million_requests", "excludes"]
)
_K21: Final = frozenset(["run_id", "shard_id", "start_index", "end_index", "metrics"])
_K22: Final = frozenset(["points_processed"])
_K23: Final = frozenset(
    [
        "format",
        "points_processed",
        "result_key",
        "metrics_key",
        "metrics_size",
        "metrics_sha256",
        "summary",
        "detail_files",
    ]
)
_K24: Final = frozenset(["dataset", "key", "size", "sha256", "rows"])
_K25: Final = frozenset(
    [
        "record_schema",
        "contract_version",
        "status",
        "run_id",
        "shard_id",
        "start_index",
        "end_index",
        "event_time",
        "output_metadata",
        "attempt",
        "run_date",
        "model",
        "fingerprint",
        "duration_ms",
        "started_at",
        "ended_at",
        "memory_mb",
        "cold_start",
        "instance_id",
        "runtime_version",
    ]
)
_K26: Final = frozenset(["v1"])
_K27: Final = frozenset(["success"])
_K28: Final = frozenset(
    [
        "record_schema",
        "contract_version",
        "status",
        "run_id",
        "shard_id",
        "start_index",
        "end_index",
        "event_time",
        "error_code",
        "error_message",
        "error_kind",
        "attempt",
        "attempt_id",
        "run_date",
        "model",
        "fingerprint",
        "errors_key",
        "errors_size",
        "errors_sha256",
        "started_at",
        "ended_at",
        "memory_mb",
        "cold_start",
        "instance_id",
        "runtime_version",
    ]
)
_K29: Final = frozenset(["failure"])
_K30: Final = frozenset(
    [
        "crashed",
        "expired",
        "injected",
        "internal",
        "invalid_payload",
        "model_error",
        "platform_timeout",
        "storage",
        "timeout",
    ]
)
_K31: Final = frozenset(
    [
        "contract_version",
        "run_id",
        "dimensions",
        "manifest_key",
        "total_points",
        "shard_id",
        "start_index",
        "end_index",
        "seed",
        "failure_injection_shards",
        "run_date",
        "model",
        "fingerprint",
        "attempt",
        "sampling",
        "ranges",
        "exclude",
        "outputs",
    ]
)
_K32: Final = frozenset(["snapshots", "trips"])
_K33: Final = frozenset(
    [
        "run_id",
        "dimensions",
        "shard_count",
        "shard_size",
        "max_shards",
        "seed",
        "failure_injection_shards",
        "model",
        "tolerated_failure_percentage",
        "max_concurrency",
        "sampling",
        "ranges",
        "exclude",
        "preset",
        "outputs",
    ]
)
_K34: Final = re.compile("\\S")
_K35: Final = frozenset(["method", "count", "seed"])
_K36: Final = frozenset(["grid", "latin_hypercube", "random", "sobol"])
_K37: Final = frozenset(["min", "max", "log", "integer"])


def _m2_DispatchRecord(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("shard_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["shard_id"] = x
    x = v.get("status_code", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["status_code"] = x
    x = v.get("attempt", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 1 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["attempt"] = x
    return out


def _m1_AcceptedResponse(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("run_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["run_id"] = x
    x = v.get("total_points", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 1 <= x <= 9223372036854775807:
        return _NO
    out["total_points"] = x
    x = v.get("shards_dispatched", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["shards_dispatched"] = x
    x = v.get("dispatches", _NO)
    if x is _NO:
        return _NO
    if type(x) is not list:
        return _NO
    l1: list[Any] = []
    for i1 in x:
        i1 = _m2_DispatchRecord(i1)
        if i1 is _NO:
            return _NO
        l1.append(i1)
    x = l1
    out["dispatches"] = x
    x = v.get("status", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or x not in _K2:
        return _NO
    out["status"] = x
    x = v.get("contract_version", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or x not in _K3:
                return _NO
        if x is not None:
            out["contract_version"] = x
    x = v.get("fingerprint", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
            if _K4.search(x) is None or x.endswith("\n"):
                return _NO
        if x is not None:
            out["fingerprint"] = x
    x = v.get("run_date", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
            if not _is_date(x):
                return _NO
        if x is not None:
            out["run_date"] = x
    x = v.get("model", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["model"] = x
    x = v.get("shard_count", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 1 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["shard_count"] = x
    x = v.get("dispatch_state", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or x not in _K5:
                return _NO
        if x is not None:
            out["dispatch_state"] = x
    x = v.get("warnings", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l2: list[Any] = []
            for i2 in x:
                if type(i2) is not str or not _text(i2):
                    return _NO
                l2.append(i2)
            x = l2
        if x is not None:
            out["warnings"] = x
    x = v.get("shards_to_dispatch", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["shards_to_dispatch"] = x
    x = v.get("excluded_points", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["excluded_points"] = x
    return out


def _m102_ErrorDetail(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("pointer", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["pointer"] = x
    x = v.get("rule", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["rule"] = x
    x = v.get("message", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["message"] = x
    return out


def _m101_ErrorResponse(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("error", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or x not in _K7:
        return _NO
    out["error"] = x
    x = v.get("message", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["message"] = x
    x = v.get("details", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l1: list[Any] = []
            for i1 in x:
                i1 = _m102_ErrorDetail(i1)
                if i1 is _NO:
                    return _NO
                l1.append(i1)
            x = l1
        if x is not None:
            out["details"] = x
    x = v.get("contract_version", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or x not in _K3:
                return _NO
        if x is not None:
            out["contract_version"] = x
    x = v.get("run_id", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["run_id"] = x
    return out


def _m301_RideHailingParameters(v: Any) -> Any:
    # not reproduced: models/ride_hailing/parameters.epoch_ms: default None
    return _NO


def _m402_ResultPoint(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("point_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["point_index"] = x
    x = v.get("shard_id", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["shard_id"] = x
    x = v.get("parameters", _NO)
    if x is _NO:
        return _NO
    if type(x) is not dict:
        return _NO
    d3: dict[str, Any] = {}
    for k3, v3 in x.items():
        if type(k3) is not str or not _text(k3):
            return _NO
        v3 = _any(v3)
        if v3 is _NO:
            return _NO
        d3[k3] = v3
    x = d3
    out["parameters"] = x
    x = v.get("metrics", _NO)
    if x is _NO:
        return _NO
    if type(x) is not dict:
        return _NO
    d4: dict[str, Any] = {}
    for k4, v4 in x.items():
        if type(k4) is not str or not _text(k4):
            return _NO
        v4 = _any(v4)
        if v4 is _NO:
            return _NO
        d4[k4] = v4
    x = d4
    out["metrics"] = x
    return out


def _m401_ResultsPage(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("contract_version", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or x not in _K3:
                return _NO
        if x is not None:
            out["contract_version"] = x
    x = v.get("run_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["run_id"] = x
    x = v.get("model", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["model"] = x
    x = v.get("total_points", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["total_points"] = x
    x = v.get("order_by", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["order_by"] = x
    x = v.get("descending", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not bool:
                return _NO
        if x is not None:
            out["descending"] = x
    x = v.get("fields", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l1: list[Any] = []
            for i1 in x:
                if type(i1) is not str or not _text(i1):
                    return _NO
                l1.append(i1)
            x = l1
        if x is not None:
            out["fields"] = x
    x = v.get("offset", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["offset"] = x
    x = v.get("limit", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 1 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["limit"] = x
    x = v.get("items", _NO)
    if x is _NO:
        return _NO
    if type(x) is not list:
        return _NO
    l2: list[Any] = []
    for i2 in x:
        i2 = _m402_ResultPoint(i2)
        if i2 is _NO:
            return _NO
        l2.append(i2)
    x = l2
    out["items"] = x
    x = v.get("next_page_token", _NO)
    if x is _NO:
        return _NO
    if x is not None:
        if type(x) is not str or not _text(x):
            return _NO
    if x is not None:
        out["next_page_token"] = x
    return out


def _m502_RunSummary(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("run_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["run_id"] = x
    x = v.get("run_date", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    if not _is_date(x):
        return _NO
    out["run_date"] = x
    x = v.get("accepted_at", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["accepted_at"] = x
    x = v.get("model", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["model"] = x
    x = v.get("state", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or x not in _K14:
        return _NO
    out["state"] = x
    x = v.get("total_points", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["total_points"] = x
    x = v.get("shard_count", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["shard_count"] = x
    x = v.get("succeeded_shards", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["succeeded_shards"] = x
    x = v.get("failed_shards", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["failed_shards"] = x
    x = v.get("pending_shards", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["pending_shards"] = x
    x = v.get("coverage", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    if x < 0.0 or x > 1.0:
        return _NO
    out["coverage"] = x
    return out


def _m501_RunList(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("contract_version", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or x not in _K3:
                return _NO
        if x is not None:
            out["contract_version"] = x
    x = v.get("runs", _NO)
    if x is _NO:
        return _NO
    if type(x) is not list:
        return _NO
    l1: list[Any] = []
    for i1 in x:
        i1 = _m502_RunSummary(i1)
        if i1 is _NO:
            return _NO
        l1.append(i1)
    x = l1
    out["runs"] = x
    x = v.get("damaged", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l2: list[Any] = []
            for i2 in x:
                if type(i2) is not str or not _text(i2):
                    return _NO
                l2.append(i2)
            x = l2
        if x is not None:
            out["damaged"] = x
    x = v.get("next_token", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["next_token"] = x
    return out


def _m602_ShardRange(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("shard_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["shard_id"] = x
    x = v.get("start_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["start_index"] = x
    x = v.get("end_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 1 <= x <= 9223372036854775807:
        return _NO
    out["end_index"] = x
    return out


def _m601_RunManifest(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("contract_version", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or x not in _K3:
        return _NO
    out["contract_version"] = x
    x = v.get("run_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["run_id"] = x
    x = v.get("run_date", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    if not _is_date(x):
        return _NO
    out["run_date"] = x
    x = v.get("accepted_at", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["accepted_at"] = x
    x = v.get("fingerprint", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    if _K4.search(x) is None or x.endswith("\n"):
        return _NO
    out["fingerprint"] = x
    x = v.get("model", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["model"] = x
    x = v.get("request", _NO)
    if x is _NO:
        return _NO
    if type(x) is not dict:
        return _NO
    d1: dict[str, Any] = {}
    for k1, v1 in x.items():
        if type(k1) is not str or not _text(k1):
            return _NO
        v1 = _any(v1)
        if v1 is _NO:
            return _NO
        d1[k1] = v1
    x = d1
    out["request"] = x
    x = v.get("total_points", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 1 <= x <= 9223372036854775807:
        return _NO
    out["total_points"] = x
    x = v.get("shards", _NO)
    if x is _NO:
        return _NO
    if type(x) is not list:
        return _NO
    l2: list[Any] = []
    for i2 in x:
        i2 = _m602_ShardRange(i2)
        if i2 is _NO:
            return _NO
        l2.append(i2)
    x = l2
    out["shards"] = x
    return out


def _m702_ShardFailure(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("shard_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["shard_id"] = x
    x = v.get("attempt", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["attempt"] = x
    x = v.get("error_kind", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["error_kind"] = x
    x = v.get("error_code", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["error_code"] = x
    x = v.get("error_message", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["error_message"] = x
    return out


def _m704_PriceTable(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("name", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["name"] = x
    x = v.get("as_of", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    if not _is_date(x):
        return _NO
    out["as_of"] = x
    x = v.get("usd_per_gb_second", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    if x < 0.0:
        return _NO
    out["usd_per_gb_second"] = x
    x = v.get("usd_per_million_requests", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    if x < 0.0:
        return _NO
    out["usd_per_million_requests"] = x
    x = v.get("excludes", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["excludes"] = x
    return out


def _m703_RunLedger(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("invocations", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["invocations"] = x
    x = v.get("cold_starts", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["cold_starts"] = x
    x = v.get("compute_seconds", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    if x < 0.0:
        return _NO
    out["compute_seconds"] = x
    x = v.get("gb_seconds", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    if x < 0.0:
        return _NO
    out["gb_seconds"] = x
    x = v.get("shard_seconds_p50", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    if x < 0.0:
        return _NO
    out["shard_seconds_p50"] = x
    x = v.get("shard_seconds_p95", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    if x < 0.0:
        return _NO
    out["shard_seconds_p95"] = x
    x = v.get("wall_seconds", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    if x < 0.0:
        return _NO
    out["wall_seconds"] = x
    x = v.get("estimated_usd", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    if x < 0.0:
        return _NO
    out["estimated_usd"] = x
    x = v.get("memory_assumed_invocations", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["memory_assumed_invocations"] = x
    x = v.get("assumed_memory_mb", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["assumed_memory_mb"] = x
    x = v.get("price_table", _NO)
    if x is _NO:
        return _NO
    x = _m704_PriceTable(x)
    if x is _NO:
        return _NO
    out["price_table"] = x
    return out


def _m701_RunStatus(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("contract_version", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or x not in _K3:
                return _NO
        if x is not None:
            out["contract_version"] = x
    x = v.get("run_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["run_id"] = x
    x = v.get("run_date", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
            if not _is_date(x):
                return _NO
        if x is not None:
            out["run_date"] = x
    x = v.get("model", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["model"] = x
    x = v.get("fingerprint", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["fingerprint"] = x
    x = v.get("state", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or x not in _K14:
        return _NO
    out["state"] = x
    x = v.get("total_points", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["total_points"] = x
    x = v.get("shard_count", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["shard_count"] = x
    x = v.get("succeeded_shards", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["succeeded_shards"] = x
    x = v.get("failed_shards", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["failed_shards"] = x
    x = v.get("pending_shards", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["pending_shards"] = x
    x = v.get("points_done", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["points_done"] = x
    x = v.get("coverage", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    if x < 0.0 or x > 1.0:
        return _NO
    out["coverage"] = x
    x = v.get("tolerated_failure_percentage", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is float:
                if not _finite(x):
                    return _NO
            elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
                x = float(x)
            else:
                return _NO
            if x < 0.0 or x > 100.0:
                return _NO
        if x is not None:
            out["tolerated_failure_percentage"] = x
    x = v.get("failures", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l1: list[Any] = []
            for i1 in x:
                i1 = _m702_ShardFailure(i1)
                if i1 is _NO:
                    return _NO
                l1.append(i1)
            x = l1
        if x is not None:
            out["failures"] = x
    x = v.get("missing_shard_ids", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l2: list[Any] = []
            for i2 in x:
                if type(i2) is not int or not -9223372036854775808 <= i2 <= 9223372036854775807:
                    return _NO
                l2.append(i2)
            x = l2
        if x is not None:
            out["missing_shard_ids"] = x
    x = v.get("dispatched_shards", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["dispatched_shards"] = x
    x = v.get("undispatched_shards", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["undispatched_shards"] = x
    x = v.get("dispatch_failed_shards", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["dispatch_failed_shards"] = x
    x = v.get("lost_shards", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["lost_shards"] = x
    x = v.get("lost_shard_ids", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l3: list[Any] = []
            for i3 in x:
                if type(i3) is not int or not -9223372036854775808 <= i3 <= 9223372036854775807:
                    return _NO
                l3.append(i3)
            x = l3
        if x is not None:
            out["lost_shard_ids"] = x
    x = v.get("ledger", _NO)
    if x is not _NO:
        if x is not None:
            x = _m703_RunLedger(x)
            if x is _NO:
                return _NO
        if x is not None:
            out["ledger"] = x
    return out


def _m802_shard_outcome_metrics(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("points_processed", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["points_processed"] = x
    if not _K22.issuperset(v):
        for k, x in v.items():
            if k in _K22:
                continue
            if type(k) is not str or not _text(k):
                return _NO
            x = _any(x)
            if x is _NO:
                return _NO
            if x is not None:
                out[k] = x
    return out


def _m801_ShardSummary(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("run_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["run_id"] = x
    x = v.get("shard_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["shard_id"] = x
    x = v.get("start_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["start_index"] = x
    x = v.get("end_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["end_index"] = x
    x = v.get("metrics", _NO)
    if x is _NO:
        return _NO
    x = _m802_shard_outcome_metrics(x)
    if x is _NO:
        return _NO
    out["metrics"] = x
    return out


def _m804_DetailFile(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    if not _K24.issuperset(v):
        return _NO
    out: dict[str, Any] = {}
    x = v.get("dataset", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["dataset"] = x
    x = v.get("key", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["key"] = x
    x = v.get("size", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["size"] = x
    x = v.get("sha256", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    if _K4.search(x) is None or x.endswith("\n"):
        return _NO
    out["sha256"] = x
    x = v.get("rows", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["rows"] = x
    return out


def _m803_OutputMetadata(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("format", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["format"] = x
    x = v.get("points_processed", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["points_processed"] = x
    x = v.get("result_key", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["result_key"] = x
    x = v.get("metrics_key", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["metrics_key"] = x
    x = v.get("metrics_size", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["metrics_size"] = x
    x = v.get("metrics_sha256", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
            if _K4.search(x) is None or x.endswith("\n"):
                return _NO
        if x is not None:
            out["metrics_sha256"] = x
    x = v.get("summary", _NO)
    if x is _NO:
        return _NO
    x = _m801_ShardSummary(x)
    if x is _NO:
        return _NO
    out["summary"] = x
    x = v.get("detail_files", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l1: list[Any] = []
            for i1 in x:
                i1 = _m804_DetailFile(i1)
                if i1 is _NO:
                    return _NO
                l1.append(i1)
            x = l1
        if x is not None:
            out["detail_files"] = x
    return out


def _m805_SuccessOutcome(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("record_schema", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or x not in _K26:
        return _NO
    out["record_schema"] = x
    x = v.get("contract_version", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or x not in _K3:
                return _NO
        if x is not None:
            out["contract_version"] = x
    x = v.get("status", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or x not in _K27:
        return _NO
    out["status"] = x
    x = v.get("run_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["run_id"] = x
    x = v.get("shard_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["shard_id"] = x
    x = v.get("start_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["start_index"] = x
    x = v.get("end_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["end_index"] = x
    x = v.get("event_time", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["event_time"] = x
    x = v.get("output_metadata", _NO)
    if x is _NO:
        return _NO
    x = _m803_OutputMetadata(x)
    if x is _NO:
        return _NO
    out["output_metadata"] = x
    x = v.get("attempt", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 1 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["attempt"] = x
    x = v.get("run_date", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
            if not _is_date(x):
                return _NO
        if x is not None:
            out["run_date"] = x
    x = v.get("model", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["model"] = x
    x = v.get("fingerprint", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["fingerprint"] = x
    x = v.get("duration_ms", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is float:
                if not _finite(x):
                    return _NO
            elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
                x = float(x)
            else:
                return _NO
            if x < 0.0:
                return _NO
        if x is not None:
            out["duration_ms"] = x
    x = v.get("started_at", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["started_at"] = x
    x = v.get("ended_at", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["ended_at"] = x
    x = v.get("memory_mb", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["memory_mb"] = x
    x = v.get("cold_start", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not bool:
                return _NO
        if x is not None:
            out["cold_start"] = x
    x = v.get("instance_id", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["instance_id"] = x
    x = v.get("runtime_version", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["runtime_version"] = x
    return out


def _m806_FailureOutcome(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("record_schema", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or x not in _K26:
        return _NO
    out["record_schema"] = x
    x = v.get("contract_version", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or x not in _K3:
                return _NO
        if x is not None:
            out["contract_version"] = x
    x = v.get("status", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or x not in _K29:
        return _NO
    out["status"] = x
    x = v.get("run_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["run_id"] = x
    x = v.get("shard_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["shard_id"] = x
    x = v.get("start_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["start_index"] = x
    x = v.get("end_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["end_index"] = x
    x = v.get("event_time", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["event_time"] = x
    x = v.get("error_code", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["error_code"] = x
    x = v.get("error_message", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["error_message"] = x
    x = v.get("error_kind", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or x not in _K30:
                return _NO
        if x is not None:
            out["error_kind"] = x
    x = v.get("attempt", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 1 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["attempt"] = x
    x = v.get("attempt_id", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["attempt_id"] = x
    x = v.get("run_date", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
            if not _is_date(x):
                return _NO
        if x is not None:
            out["run_date"] = x
    x = v.get("model", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["model"] = x
    x = v.get("fingerprint", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["fingerprint"] = x
    x = v.get("errors_key", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["errors_key"] = x
    x = v.get("errors_size", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["errors_size"] = x
    x = v.get("errors_sha256", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
            if _K4.search(x) is None or x.endswith("\n"):
                return _NO
        if x is not None:
            out["errors_sha256"] = x
    x = v.get("started_at", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["started_at"] = x
    x = v.get("ended_at", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["ended_at"] = x
    x = v.get("memory_mb", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 0 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["memory_mb"] = x
    x = v.get("cold_start", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not bool:
                return _NO
        if x is not None:
            out["cold_start"] = x
    x = v.get("instance_id", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["instance_id"] = x
    x = v.get("runtime_version", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["runtime_version"] = x
    return out


def _m901_ShardPayload(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("contract_version", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or x not in _K3:
                return _NO
        if x is not None:
            out["contract_version"] = x
    x = v.get("run_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    out["run_id"] = x
    x = v.get("dimensions", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not dict:
                return _NO
            d1: dict[str, Any] = {}
            for k1, v1 in x.items():
                if type(k1) is not str or not _text(k1):
                    return _NO
                if type(v1) is not list:
                    return _NO
                v1 = _any(v1)
                if v1 is _NO:
                    return _NO
                d1[k1] = v1
            x = d1
        if x is not None:
            out["dimensions"] = x
    x = v.get("manifest_key", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["manifest_key"] = x
    x = v.get("total_points", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not 0 <= x <= 9223372036854775807:
        return _NO
    out["total_points"] = x
    x = v.get("shard_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["shard_id"] = x
    x = v.get("start_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["start_index"] = x
    x = v.get("end_index", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["end_index"] = x
    x = v.get("seed", _NO)
    if x is _NO:
        return _NO
    if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
        return _NO
    out["seed"] = x
    x = v.get("failure_injection_shards", _NO)
    if x is _NO:
        return _NO
    if type(x) is not list:
        return _NO
    x = _any(x)
    if x is _NO:
        return _NO
    out["failure_injection_shards"] = x
    x = v.get("run_date", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
            if not _is_date(x):
                return _NO
        if x is not None:
            out["run_date"] = x
    x = v.get("model", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["model"] = x
    x = v.get("fingerprint", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
            if _K4.search(x) is None or x.endswith("\n"):
                return _NO
        if x is not None:
            out["fingerprint"] = x
    x = v.get("attempt", _NO)
    if x is _NO:
        out["attempt"] = 1
    else:
        if type(x) is not int or not 1 <= x <= 9223372036854775807:
            return _NO
        out["attempt"] = x
    x = v.get("sampling", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not dict:
                return _NO
            d4: dict[str, Any] = {}
            for k4, v4 in x.items():
                if type(k4) is not str or not _text(k4):
                    return _NO
                v4 = _any(v4)
                if v4 is _NO:
                    return _NO
                d4[k4] = v4
            x = d4
        if x is not None:
            out["sampling"] = x
    x = v.get("ranges", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not dict:
                return _NO
            d5: dict[str, Any] = {}
            for k5, v5 in x.items():
                if type(k5) is not str or not _text(k5):
                    return _NO
                v5 = _any(v5)
                if v5 is _NO:
                    return _NO
                d5[k5] = v5
            x = d5
        if x is not None:
            out["ranges"] = x
    x = v.get("exclude", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l6: list[Any] = []
            for i6 in x:
                if type(i6) is not dict:
                    return _NO
                d7: dict[str, Any] = {}
                for k7, v7 in i6.items():
                    if type(k7) is not str or not _text(k7):
                        return _NO
                    v7 = _any(v7)
                    if v7 is _NO:
                        return _NO
                    d7[k7] = v7
                i6 = d7
                l6.append(i6)
            x = l6
        if x is not None:
            out["exclude"] = x
    x = v.get("outputs", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l8: list[Any] = []
            for i8 in x:
                if type(i8) is not str or i8 not in _K32:
                    return _NO
                l8.append(i8)
            x = l8
        if x is not None:
            out["outputs"] = x
    if not _K31.issuperset(v):
        for k, x in v.items():
            if k in _K31:
                continue
            if type(k) is not str or not _text(k):
                return _NO
            x = _any(x)
            if x is _NO:
                return _NO
            if x is not None:
                out[k] = x
    return out


def _m1002_sweep_request_sampling(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    if not _K35.issuperset(v):
        return _NO
    out: dict[str, Any] = {}
    x = v.get("method", _NO)
    if x is _NO:
        out["method"] = "grid"
    else:
        if type(x) is not str or x not in _K36:
            return _NO
        out["method"] = x
    x = v.get("count", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 1 <= x <= 200000:
                return _NO
        if x is not None:
            out["count"] = x
    x = v.get("seed", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["seed"] = x
    return out


def _m1003_ParameterRange(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    if not _K37.issuperset(v):
        return _NO
    out: dict[str, Any] = {}
    x = v.get("min", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    out["min"] = x
    x = v.get("max", _NO)
    if x is _NO:
        return _NO
    if type(x) is float:
        if not _finite(x):
            return _NO
    elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        x = float(x)
    else:
        return _NO
    out["max"] = x
    x = v.get("log", _NO)
    if x is _NO:
        out["log"] = False
    else:
        if type(x) is not bool:
            return _NO
        out["log"] = x
    x = v.get("integer", _NO)
    if x is _NO:
        out["integer"] = False
    else:
        if type(x) is not bool:
            return _NO
        out["integer"] = x
    return out


def _m1001_SweepRequest(v: Any) -> Any:
    if type(v) is not dict:
        return _NO
    out: dict[str, Any] = {}
    x = v.get("run_id", _NO)
    if x is _NO:
        return _NO
    if type(x) is not str or not _text(x):
        return _NO
    if len(x) < 1:
        return _NO
    if _K34.search(x) is None:
        return _NO
    out["run_id"] = x
    x = v.get("dimensions", _NO)
    if x is _NO:
        return _NO
    if type(x) is not dict:
        return _NO
    d1: dict[str, Any] = {}
    for k1, v1 in x.items():
        if type(k1) is not str or not _text(k1):
            return _NO
        if len(k1) < 1:
            return _NO
        if _K34.search(k1) is None:
            return _NO
        if type(v1) is not list:
            return _NO
        if len(v1) < 1:
            return _NO
        if len(v1) > 10000:
            return _NO
        v1 = _any(v1)
        if v1 is _NO:
            return _NO
        d1[k1] = v1
    x = d1
    out["dimensions"] = x
    x = v.get("shard_count", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 1 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["shard_count"] = x
    x = v.get("shard_size", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not int or not 1 <= x <= 9223372036854775807:
                return _NO
        if x is not None:
            out["shard_size"] = x
    x = v.get("max_shards", _NO)
    if x is _NO:
        out["max_shards"] = 1000
    else:
        if type(x) is not int or not 1 <= x <= 9223372036854775807:
            return _NO
        out["max_shards"] = x
    x = v.get("seed", _NO)
    if x is _NO:
        out["seed"] = 0
    else:
        if type(x) is not int or not -9223372036854775808 <= x <= 9223372036854775807:
            return _NO
        out["seed"] = x
    x = v.get("failure_injection_shards", _NO)
    if x is _NO:
        out["failure_injection_shards"] = []
    else:
        if type(x) is not list:
            return _NO
        l3: list[Any] = []
        for i3 in x:
            if type(i3) is not int or not 0 <= i3 <= 9223372036854775807:
                return _NO
            l3.append(i3)
        x = l3
        out["failure_injection_shards"] = x
    x = v.get("model", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
        if x is not None:
            out["model"] = x
    x = v.get("tolerated_failure_percentage", _NO)
    if x is _NO:
        out["tolerated_failure_percentage"] = 0.0
    else:
        if type(x) is float:
            if not _finite(x):
                return _NO
        elif type(x) is int and -9007199254740992 <= x <= 9007199254740992:
            x = float(x)
        else:
            return _NO
        if x < 0.0 or x > 100.0:
            return _NO
        out["tolerated_failure_percentage"] = x
    x = v.get("max_concurrency", _NO)
    if x is _NO:
        out["max_concurrency"] = 0
    else:
        if type(x) is not int or not 0 <= x <= 9223372036854775807:
            return _NO
        out["max_concurrency"] = x
    x = v.get("sampling", _NO)
    if x is not _NO:
        if x is not None:
            x = _m1002_sweep_request_sampling(x)
            if x is _NO:
                return _NO
        if x is not None:
            out["sampling"] = x
    x = v.get("ranges", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not dict:
                return _NO
            d4: dict[str, Any] = {}
            for k4, v4 in x.items():
                if type(k4) is not str or not _text(k4):
                    return _NO
                if len(k4) < 1:
                    return _NO
                if _K34.search(k4) is None:
                    return _NO
                v4 = _m1003_ParameterRange(v4)
                if v4 is _NO:
                    return _NO
                d4[k4] = v4
            x = d4
        if x is not None:
            out["ranges"] = x
    x = v.get("exclude", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not list:
                return _NO
            l5: list[Any] = []
            for i5 in x:
                if type(i5) is not dict:
                    return _NO
                if len(i5) < 1:
                    return _NO
                d6: dict[str, Any] = {}
                for k6, v6 in i5.items():
                    if type(k6) is not str or not _text(k6):
                        return _NO
                    v6 = _any(v6)
                    if v6 is _NO:
                        return _NO
                    d6[k6] = v6
                i5 = d6
                l5.append(i5)
            x = l5
        if x is not None:
            out["exclude"] = x
    x = v.get("preset", _NO)
    if x is not _NO:
        if x is not None:
            if type(x) is not str or not _text(x):
                return _NO
            if len(x) < 1:
                return _NO
        if x is not None:
            out["preset"] = x
    x = v.get("outputs", _NO)
    if x is _NO:
        out["outputs"] = []
    else:
        if type(x) is not list:
            return _NO
        l7: list[Any] = []
        for i7 in x:
            if type(i7) is not str or i7 not in _K32:
                return _NO
            l7.append(i7)
        x = l7
        out["outputs"] = x
    if not _K33.issuperset(v):
        for k, x in v.items():
            if k in _K33:
                continue
            if type(k) is not str or not _text(k):
                return _NO
            x = _any(x)
            if x is _NO:
                return _NO
            if x is not None:
                out[k] = x
    return out


CHECKERS: Final[dict[str, Callable[[Any], Any]]] = {
    "AcceptedResponse": _m1_AcceptedResponse,
    "DetailFile": _m804_DetailFile,
    "DispatchRecord": _m2_DispatchRecord,
    "ErrorDetail": _m102_ErrorDetail,
    "ErrorResponse": _m101_ErrorResponse,
    "FailureOutcome": _m806_FailureOutcome,
    "OutputMetadata": _m803_OutputMetadata,
    "ParameterRange": _m1003_ParameterRange,
    "PriceTable": _m704_PriceTable,
    "ResultPoint": _m402_ResultPoint,
    "ResultsPage": _m401_ResultsPage,
    "RideHailingParameters": _m301_RideHailingParameters,
    "RunLedger": _m703_RunLedger,
    "RunList": _m501_RunList,
    "RunManifest": _m601_RunManifest,
    "RunStatus": _m701_RunStatus,
    "RunSummary": _m502_RunSummary,
    "ShardFailure": _m702_ShardFailure,
    "ShardPayload": _m901_ShardPayload,
    "ShardRange": _m602_ShardRange,
    "ShardSummary": _m801_ShardSummary,
    "SuccessOutcome": _m805_SuccessOutcome,
    "SweepRequest": _m1001_SweepRequest,
}
"""Model class name -> its checker (classes with a title; nested untitled ones have none)."""

FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "AcceptedResponse": (
        "run_id",
        "total_points",
        "shards_dispatched",
        "dispatches",
        "status",
        "contract_version",
        "fingerprint",
        "run_date",
        "model",
        "shard_count",
        "dispatch_state",
        "warnings",
        "shards_to_dispatch",
        "excluded_points",
    ),
    "DetailFile": ("dataset", "key", "size", "sha256", "rows"),
    "DispatchRecord": ("shard_id", "status_code", "attempt"),
    "ErrorDetail": ("pointer", "rule", "message"),
    "ErrorResponse": ("error", "message", "details", "contract_version", "run_id"),
    "FailureOutcome": (
        "record_schema",
        "contract_version",
        "status",
        "run_id",
        "shard_id",
        "start_index",
        "end_index",
        "event_time",
        "error_code",
        "error_message",
        "error_kind",
        "attempt",
        "attempt_id",
        "run_date",
        "model",
        "fingerprint",
        "errors_key",
        "errors_size",
        "errors_sha256",
        "started_at",
        "ended_at",
        "memory_mb",
        "cold_start",
        "instance_id",
        "runtime_version",
    ),
    "OutputMetadata": (
        "format",
        "points_processed",
        "result_key",
        "metrics_key",
        "metrics_size",
        "metrics_sha256",
        "summary",
        "detail_files",
    ),
    "ParameterRange": ("min", "max", "log", "integer"),
    "PriceTable": ("name", "as_of", "usd_per_gb_second", "usd_per_million_requests", "excludes"),
    "ResultPoint": ("point_index", "shard_id", "parameters", "metrics"),
    "ResultsPage": (
        "contract_version",
        "run_id",
        "model",
        "total_points",
        "order_by",
        "descending",
        "fields",
        "offset",
        "limit",
        "items",
        "next_page_token",
    ),
    "RunLedger": (
        "invocations",
        "cold_starts",
        "compute_seconds",
        "gb_seconds",
        "shard_seconds_p50",
        "shard_seconds_p95",
        "wall_seconds",
        "estimated_usd",
        "memory_assumed_invocations",
        "assumed_memory_mb",
        "price_table",
    ),
    "RunList": ("contract_version", "runs", "damaged", "next_token"),
    "RunManifest": (
        "contract_version",
        "run_id",
        "run_date",
        "accepted_at",
        "fingerprint",
        "model",
        "request",
        "total_points",
        "shards",
    ),
    "RunStatus": (
        "contract_version",
        "run_id",
        "run_date",
        "model",
        "fingerprint",
        "state",
        "total_points",
        "shard_count",
        "succeeded_shards",
        "failed_shards",
        "pending_shards",
        "points_done",
        "coverage",
        "tolerated_failure_percentage",
        "failures",
        "missing_shard_ids",
        "dispatched_shards",
        "undispatched_shards",
        "dispatch_failed_shards",
        "lost_shards",
        "lost_shard_ids",
        "ledger",
    ),
    "RunSummary": (
        "run_id",
        "run_date",
        "accepted_at",
        "model",
        "state",
        "total_points",
        "shard_count",
        "succeeded_shards",
        "failed_shards",
        "pending_shards",
        "coverage",
    ),
    "ShardFailure": ("shard_id", "attempt", "error_kind", "error_code", "error_message"),
    "ShardPayload": (
        "contract_version",
        "run_id",
        "dimensions",
        "manifest_key",
        "total_points",
        "shard_id",
        "start_index",
        "end_index",
        "seed",
        "failure_injection_shards",
        "run_date",
        "model",
        "fingerprint",
        "attempt",
        "sampling",
        "ranges",
        "exclude",
        "outputs",
    ),
    "ShardRange": ("shard_id", "start_index", "end_index"),
    "ShardSummary": ("run_id", "shard_id", "start_index", "end_index", "metrics"),
    "SuccessOutcome": (
        "record_schema",
        "contract_version",
        "status",
        "run_id",
        "shard_id",
        "start_index",
        "end_index",
        "event_time",
        "output_metadata",
        "attempt",
        "run_date",
        "model",
        "fingerprint",
        "duration_ms",
        "started_at",
        "ended_at",
        "memory_mb",
        "cold_start",
        "instance_id",
        "runtime_version",
    ),
    "SweepRequest": (
        "run_id",
        "dimensions",
        "shard_count",
        "shard_size",
        "max_shards",
        "seed",
        "failure_injection_shards",
        "model",
        "tolerated_failure_percentage",
        "max_concurrency",
        "sampling",
        "ranges",
        "exclude",
        "preset",
        "outputs",
    ),
}
"""Model class name -> its declared fields, in schema (= dump) order."""

UNSUPPORTED: Final[dict[str, str]] = {
    "RideHailingParameters": "models/ride_hailing/parameters.epoch_ms: default None",
}
"""Models whose checker refuses everything, with the construct it does not reproduce."""


def check(name: str, value: object) -> dict[str, Any] | None:
    """The contract body of `value` as model `name` dumps it, or None when not sure."""
    try:
        body = CHECKERS[name](value)
    except RecursionError:
        return None
    return None if body is _NO else body
