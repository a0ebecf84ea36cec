"""Validation and normalization of a sweep request, as the old runtime did it, plus every violation.

Why it looks like this:

* The old validator's observable behaviour is the contract (replay fixtures `validation_*.json`):
  the order of checks, the exact wording, which value is stripped, how defaults apply. Clients
  match on `message`, so the *first* violation we report is always the one the old runtime
  raised (same order, same text). Unlike the old runtime we keep checking the other fields
  afterwards and return everything in `ValidationError.details` with a JSON pointer and a rule
  name, so a client can fix a request in one round trip.
* Old check order: run_id, dimensions (each entry in insertion order: name, then list, then size
  <= 10000), shard_count, shard_size, max_shards, seed, failure_injection_shards, and only then
  the 200000-point limit. Then the new optional fields (model, tolerated_failure_percentage,
  max_concurrency),
  which the old runtime ignored.
* Missing vs null: shard_count/shard_size null count as absent; max_shards, seed and
  failure_injection_shards set to null are errors (only a missing key gets the default).
* `run_id` is stripped with Python `str.strip()` (its notion of whitespace includes
  U+001C..U+001F and U+0085 but not U+200B/U+FEFF; kept on purpose: run ids are compared across
  runtimes). Dimension names are checked stripped but kept as given.

Declared stricter divergences (replay tags; the new runtime deliberately differs):

* ``bool-as-int``: JSON booleans are rejected wherever an integer is expected (shard_count,
  shard_size, max_shards, seed, failure_injection_shards entries), with the field's old message.
  Python's `True == 1` made `[true, 1]` collapse to `[true]`; nobody means a boolean there.
* ``bigint``: those integers must fit a signed 64-bit integer (counts and shard ids 1 or 0 up to
  2**63-1, seed -2**63..2**63-1), because Parquet, Athena, numpy seeds and every other runtime
  store them as int64. The headline message stays the field's old message; the detail has rule
  ``integer_range`` and names the range. Dimension values are not restricted (any JSON).
* ``non-object-input`` / ``python-exception``: a payload that is not a JSON object answers
  "Request body must be a JSON object" instead of the old TypeError or odd "Missing required
  field" answers.

Size limits (issue 9), checked after every old rule so that the old first message still
wins, each a 400 naming the field (pointer), the rule and the limit. The old runtime bounded
nothing but list lengths and the point count, and hostile requests broke what comes after
validation: a dimension value nested 254+ levels deep made the manifest write fail with a 500
("Maximum serialization depth exceeded") and `sweep run` with a traceback; a
failure_injection_shards list of 100,000 entries was accepted, then every shard payload (which
carries the list) exceeded Lambda's 256 KiB async limit, so every dispatch answered 502 and the
run stayed "running" for good. The released v1 schema cannot gain these bounds as keywords
(maxLength/maxItems/maxProperties would reject documents v1 accepted; the freeze test forbids
it), so its descriptions state them and the parent enforces them:

* ``max_length``: run_id at most MAX_RUN_ID_LENGTH characters (stripped; storage keys hash
  long ids, but each is carried whole in every payload, manifest and record), dimension names
  at most MAX_DIMENSION_NAME_LENGTH, strings inside dimension values (object keys included)
  at most MAX_VALUE_STRING_LENGTH;
* ``max_properties``: at most MAX_DIMENSIONS dimensions;
* ``max_depth``: a dimension value nested at most MAX_VALUE_DEPTH arrays/objects deep (a
  scalar is depth 0, ``[1]`` depth 1); checked without recursion, so any depth is answered;
* ``max_bytes``: the dimensions, as stored (compact JSON), at most MAX_DIMENSIONS_BYTES;
* ``max_items``: failure_injection_shards at most MAX_FAILURE_INJECTION_SHARDS entries.

Every value the replay fixtures hold stays far inside these limits (run_id 500 characters,
names 24, depth 2, 150 failure-injection entries).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from typing import Any, Final, TypeGuard

from serverless_sweep.contracts import MODELS
from serverless_sweep.core.errors import ValidationError, Violation, did_you_mean, json_pointer
from serverless_sweep.core.outputs import normalized_outputs
from serverless_sweep.core.space import SpaceError, SweepSpace, check_space_fields

__all__ = [
    "DEFAULT_MAX_SHARDS",
    "DEFAULT_SEED",
    "INT64_MAX",
    "INT64_MIN",
    "KNOWN_MODELS",
    "MAX_DIMENSIONS",
    "MAX_DIMENSIONS_BYTES",
    "MAX_DIMENSION_NAME_LENGTH",
    "MAX_DIMENSION_VALUES",
    "MAX_FAILURE_INJECTION_SHARDS",
    "MAX_RUN_ID_LENGTH",
    "MAX_TOTAL_POINTS",
    "MAX_VALUE_DEPTH",
    "MAX_VALUE_STRING_LENGTH",
    "is_int",
    "normalize_request",
    "python_type_name",
]

MAX_DIMENSION_VALUES: Final = 10000
MAX_TOTAL_POINTS: Final = 200000
MAX_RUN_ID_LENGTH: Final = 1024
MAX_DIMENSIONS: Final = 64
"""More than 17 dimensions of 2+ values exceed MAX_TOTAL_POINTS; the rest can only be constants."""
MAX_DIMENSION_NAME_LENGTH: Final = 256
MAX_VALUE_DEPTH: Final = 32
MAX_VALUE_STRING_LENGTH: Final = 4096
MAX_DIMENSIONS_BYTES: Final = 2 * 1024 * 1024
"""Compact JSON of all dimensions; the manifest holds them and every child loads it."""
MAX_FAILURE_INJECTION_SHARDS: Final = 1000
"""Every shard payload carries the list: 1000 entries of 19 digits is ~20 KiB of Lambda's
256 KiB async payload limit."""
DEFAULT_MAX_SHARDS: Final = 1000
DEFAULT_SEED: Final = 0
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
#: Models a request may name (from the schemas); the registry (serverless_sweep.models) must
#: provide each of them.
KNOWN_MODELS: Final[tuple[str, ...]] = MODELS

NOT_OBJECT_MESSAGE: Final = "Request body must be a JSON object"
EITHER_SHARD_MESSAGE: Final = "Either shard_count or shard_size is required"
TOO_LARGE_MESSAGE: Final = (
    f"Parameter space is too large for this demo deployment (>{MAX_TOTAL_POINTS} points)"
)
MODEL_MESSAGE: Final = "model must be one of: " + ", ".join(sorted(KNOWN_MODELS))
TOLERATED_MESSAGE: Final = "tolerated_failure_percentage must be a number between 0 and 100"
MAX_CONCURRENCY_MESSAGE: Final = (
    "max_concurrency must be a non-negative integer (0 or absent: no per-run cap)"
)


def is_int(value: object) -> TypeGuard[int]:
    """A JSON integer: a Python `int` that is not a `bool` (bool-as-int divergence)."""
    return isinstance(value, int) and not isinstance(value, bool)


def python_type_name(value: object) -> str:
    """The old runtime's type wording: null -> NoneType, array -> list, object -> dict, ..."""
    return type(value).__name__


class _Report:
    """Collects violations in check order; the first one added is the one reported first.

    A violation may carry a separate headline (the message `str(error)` shows) when its own
    text is more detailed than the field's established message.
    """

    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.headline: str | None = None

    def add(self, pointer: str, rule: str, message: str, headline: str | None = None) -> None:
        if not self.violations:
            self.headline = headline if headline is not None else message
        self.violations.append(Violation(pointer, rule, message))

    def raise_if_any(self) -> None:
        if self.violations:
            raise ValidationError.from_violations(self.violations, self.headline)


def _range_text(low: int, high: int) -> str:
    return f"from {low} to {high} (a signed 64-bit integer)"


def _check_int(
    report: _Report,
    pointer: str,
    value: object,
    message: str,
    *,
    minimum: int,
    field: str,
) -> bool:
    """Check a 64-bit integer field with a lower bound; True when it is valid.

    `minimum` is 1 for counts, 0 for shard ids, INT64_MIN for the seed. Every failure keeps the
    field's old `message` as headline.
    """
    if not is_int(value):
        report.add(pointer, "type", message)
        return False
    if minimum > INT64_MIN and value < minimum:
        report.add(pointer, "minimum", message)
        return False
    if not INT64_MIN <= value <= INT64_MAX:
        low = max(minimum, INT64_MIN)
        report.add(
            pointer,
            "integer_range",
            f"{field} must be an integer {_range_text(low, INT64_MAX)}",
            headline=message,
        )
        return False
    return True


def _check_run_id(payload: Mapping[str, Any], report: _Report) -> str | None:
    pointer = json_pointer("run_id")
    if "run_id" not in payload:
        report.add(pointer, "required", "Missing required field 'run_id'")
        return None
    raw = payload["run_id"]
    if not isinstance(raw, str):
        report.add(pointer, "type", f"Field 'run_id' must be str, got {python_type_name(raw)}")
        return None
    run_id = raw.strip()
    if not run_id:
        report.add(pointer, "not_empty", "run_id cannot be empty")
        return None
    return run_id


def _check_dimensions(payload: Mapping[str, Any], report: _Report) -> dict[str, Any] | None:
    """Check the dimensions; return them when the point space is well defined (all lists)."""
    pointer = json_pointer("dimensions")
    if "dimensions" not in payload:
        report.add(pointer, "required", "Missing required field 'dimensions'")
        return None
    dimensions = payload["dimensions"]
    if not isinstance(dimensions, dict):
        report.add(
            pointer, "type", f"Field 'dimensions' must be dict, got {python_type_name(dimensions)}"
        )
        return None
    if not dimensions:
        ranges = payload.get("ranges")
        if isinstance(ranges, dict) and ranges:
            return dimensions  # a sampled sweep over ranges only (issue 14)
        report.add(pointer, "not_empty", "dimensions cannot be empty")
        return None
    all_lists = True
    for name, values in dimensions.items():
        entry = json_pointer("dimensions", str(name))
        if not isinstance(name, str) or not name.strip():
            report.add(entry, "not_empty", "dimension names must be non-empty strings")
        if not isinstance(values, list):
            report.add(entry, "type", f"Dimension '{name}' must be a non-empty list")
            all_lists = False
        elif not values:
            report.add(entry, "min_items", f"Dimension '{name}' must be a non-empty list")
        elif len(values) > MAX_DIMENSION_VALUES:
            report.add(
                entry,
                "max_items",
                f"Dimension '{name}' exceeds MAX_DIMENSION_VALUES={MAX_DIMENSION_VALUES}",
            )
    return dimensions if all_lists else None


def _check_failure_injection(payload: Mapping[str, Any], report: _Report) -> list[int]:
    pointer = json_pointer("failure_injection_shards")
    message = "failure_injection_shards must be a list of non-negative integers"
    if "failure_injection_shards" not in payload:
        return []
    shards = payload["failure_injection_shards"]
    if not isinstance(shards, list):
        report.add(pointer, "type", message)
        return []
    valid = [
        shard
        for i, shard in enumerate(shards)
        if _check_int(
            report,
            json_pointer("failure_injection_shards", i),
            shard,
            message,
            minimum=0,
            field="each failure_injection_shards entry",
        )
    ]
    # sorted(set(...)) as the old runtime; without booleans no True/1 collapsing can happen.
    return sorted(set(valid))


def _check_tolerated(value: object, report: _Report) -> None:
    pointer = json_pointer("tolerated_failure_percentage")
    if isinstance(value, bool) or not isinstance(value, int | float):
        report.add(pointer, "type", TOLERATED_MESSAGE)
    elif not (math.isfinite(value) and 0 <= value <= 100):
        report.add(pointer, "range", TOLERATED_MESSAGE)


def _value_problems(value: object) -> tuple[int, int]:
    """(depth, longest string) of one dimension value, without recursion.

    The walk stops descending below MAX_VALUE_DEPTH + 1 (so the depth it returns is at most
    that): a value nested a million levels deep costs no more than one nested just past the
    limit, and no RecursionError.
    """
    deepest = 0
    longest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            longest = max(longest, len(node))
            continue
        if not isinstance(node, list | dict):
            continue
        depth += 1
        deepest = max(deepest, depth)
        if depth > MAX_VALUE_DEPTH:
            continue
        if isinstance(node, dict):
            for key, child in node.items():
                if isinstance(key, str):
                    longest = max(longest, len(key))
                stack.append((child, depth))
        else:
            stack.extend((child, depth) for child in node)
    return deepest, longest


def _dimensions_bytes(dimensions: Mapping[str, Any]) -> int | None:
    """Size of the dimensions as stored (compact, ASCII JSON); None when not JSON-encodable."""
    try:
        text = json.dumps(dimensions, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        return None
    return len(text)


def _check_limits(payload: Mapping[str, Any], run_id: str | None, report: _Report) -> None:
    """The size limits of the module docstring, after every other rule."""
    if run_id is not None and len(run_id) > MAX_RUN_ID_LENGTH:
        report.add(
            json_pointer("run_id"),
            "max_length",
            f"run_id is {len(run_id)} characters long; at most {MAX_RUN_ID_LENGTH} are allowed",
        )
    dimensions = payload.get("dimensions")
    if isinstance(dimensions, dict):
        if len(dimensions) > MAX_DIMENSIONS:
            report.add(
                json_pointer("dimensions"),
                "max_properties",
                f"dimensions has {len(dimensions)} entries; at most {MAX_DIMENSIONS} are allowed",
            )
        deep_or_long = False
        for name, values in dimensions.items():
            entry = json_pointer("dimensions", str(name))
            if isinstance(name, str) and len(name) > MAX_DIMENSION_NAME_LENGTH:
                report.add(
                    entry,
                    "max_length",
                    f"dimension name {name[:40]!r}... is {len(name)} characters long; at most "
                    f"{MAX_DIMENSION_NAME_LENGTH} are allowed",
                )
            if not isinstance(values, list):
                continue
            deep: int | None = None
            long: tuple[int, int] | None = None
            for index, value in enumerate(values):
                depth, longest = _value_problems(value)
                if deep is None and depth > MAX_VALUE_DEPTH:
                    deep = index
                if long is None and longest > MAX_VALUE_STRING_LENGTH:
                    long = (index, longest)
            if deep is not None:
                report.add(
                    json_pointer("dimensions", str(name), deep),
                    "max_depth",
                    f"Dimension '{name}' value {deep} nests arrays/objects more than "
                    f"{MAX_VALUE_DEPTH} levels deep; at most {MAX_VALUE_DEPTH} are allowed",
                )
            if long is not None:
                index, longest = long
                report.add(
                    json_pointer("dimensions", str(name), index),
                    "max_length",
                    f"Dimension '{name}' value {index} holds a string of {longest} characters; "
                    f"at most {MAX_VALUE_STRING_LENGTH} are allowed",
                )
            deep_or_long = deep_or_long or deep is not None or long is not None
        if not deep_or_long:
            size = _dimensions_bytes(dimensions)
            if size is not None and size > MAX_DIMENSIONS_BYTES:
                report.add(
                    json_pointer("dimensions"),
                    "max_bytes",
                    f"dimensions take {size} bytes as JSON; at most {MAX_DIMENSIONS_BYTES} "
                    "are allowed",
                )
    shards = payload.get("failure_injection_shards")
    if isinstance(shards, list) and len(shards) > MAX_FAILURE_INJECTION_SHARDS:
        report.add(
            json_pointer("failure_injection_shards"),
            "max_items",
            f"failure_injection_shards has {len(shards)} entries; at most "
            f"{MAX_FAILURE_INJECTION_SHARDS} are allowed (every shard payload carries the list)",
        )


def _check_space(
    payload: Mapping[str, Any],
    dimensions: dict[str, Any] | None,
    seed: object,
    raw_points: int,
    report: _Report,
) -> tuple[dict[str, Any], int, int]:
    """sampling / ranges / exclude (issue 14): their normalized form, the kept point count and
    the excluded count. Only counts are computed here: the parent never generates a sample."""
    space = check_space_fields(payload, dimensions, seed, report.add)
    if dimensions is None or report.violations or raw_points > MAX_TOTAL_POINTS:
        return space, raw_points, 0
    try:
        points = SweepSpace(
            {name: dimensions[name] for name in sorted(dimensions)},
            space.get("sampling"),
            space.get("ranges"),
            space.get("exclude"),
        )
    except SpaceError as exc:
        report.add(json_pointer("exclude"), "max_terms", str(exc))
        return space, raw_points, 0
    if points.size > MAX_TOTAL_POINTS:
        report.add(
            json_pointer("sampling", "count"),
            "max_points",
            f"{TOO_LARGE_MESSAGE}: {points.kept_grid_points} grid points x {points.count} samples",
            headline=TOO_LARGE_MESSAGE,
        )
    elif points.size == 0:
        report.add(
            json_pointer("exclude"),
            "no_points",
            f"exclude removes every one of the {raw_points} points of the dimensions",
        )
    return space, points.size, points.excluded_points


def normalize_request(
    payload: object, known_models: Collection[str] | None = None
) -> dict[str, Any]:
    """Validate a sweep request and return its normalized form, or raise `ValidationError`.

    The result's keys, in order: run_id (stripped), dimensions (names sorted by code point,
    values as given), total_points, max_shards (default 1000), seed (default 0),
    failure_injection_shards (deduplicated, sorted), then shard_count and/or shard_size when
    given non-null, then model, tolerated_failure_percentage and max_concurrency when present,
    then (issue 14) sampling (non-grid only, seed filled in), ranges (sorted, log/integer
    filled in), exclude (entries sorted by name, duplicates dropped), excluded_points and
    preset when present, then (issue 11) outputs when non-empty (sorted, deduplicated).
    total_points counts the kept points. `known_models`: the model names
    a request may give (the registry's, plug-ins included); the built-in ones by default.
    """
    models = KNOWN_MODELS if known_models is None else tuple(known_models)
    if not isinstance(payload, Mapping):
        raise ValidationError(NOT_OBJECT_MESSAGE, [Violation("", "type", NOT_OBJECT_MESSAGE)])
    report = _Report()

    run_id = _check_run_id(payload, report)
    dimensions = _check_dimensions(payload, report)

    shard_count = payload.get("shard_count")
    shard_size = payload.get("shard_size")
    if shard_count is None and shard_size is None:
        report.add("", "required", EITHER_SHARD_MESSAGE)
    for field, value in (("shard_count", shard_count), ("shard_size", shard_size)):
        if value is not None:
            _check_int(
                report,
                json_pointer(field),
                value,
                f"{field} must be a positive integer",
                minimum=1,
                field=field,
            )

    max_shards = payload.get("max_shards", DEFAULT_MAX_SHARDS)
    _check_int(
        report,
        json_pointer("max_shards"),
        max_shards,
        "max_shards must be a positive integer",
        minimum=1,
        field="max_shards",
    )
    seed = payload.get("seed", DEFAULT_SEED)
    _check_int(
        report,
        json_pointer("seed"),
        seed,
        "seed must be an integer",
        minimum=INT64_MIN,
        field="seed",
    )
    failure_shards = _check_failure_injection(payload, report)

    total_points = 0
    if dimensions is not None:
        total_points = math.prod(len(values) for values in dimensions.values())
        if total_points > MAX_TOTAL_POINTS:
            report.add(json_pointer("dimensions"), "max_points", TOO_LARGE_MESSAGE)

    if "model" in payload:
        model = payload["model"]
        message = "model must be one of: " + ", ".join(sorted(models))
        if not isinstance(model, str):
            report.add(json_pointer("model"), "type", message)
        elif model not in models:
            # Name what was sent and the likely intent: a model installed on the caller's
            # machine may be missing where the API runs (plug-ins are per deployment).
            got = f" (got {model!r}{did_you_mean(model, models)})"
            report.add(json_pointer("model"), "enum", message + got)
    if "tolerated_failure_percentage" in payload:
        _check_tolerated(payload["tolerated_failure_percentage"], report)
    if "max_concurrency" in payload:
        _check_int(
            report,
            json_pointer("max_concurrency"),
            payload["max_concurrency"],
            MAX_CONCURRENCY_MESSAGE,
            minimum=0,
            field="max_concurrency",
        )

    _check_limits(payload, run_id, report)

    # Issue 14's fields come last, so every older rule keeps its place as the first message.
    space, total_points, excluded = _check_space(payload, dimensions, seed, total_points, report)
    if "preset" in payload and not (
        isinstance(payload["preset"], str) and payload["preset"].strip()
    ):
        report.add(json_pointer("preset"), "type", "preset must be a non-empty string")
    # Issue 11's detail datasets, after everything else for the same reason.
    outputs: list[str] = []
    if "outputs" in payload:
        outputs, problem = normalized_outputs(payload["outputs"])
        if problem is not None:
            report.add(json_pointer("outputs"), "enum", problem)

    report.raise_if_any()
    assert run_id is not None and dimensions is not None

    normalized: dict[str, Any] = {
        "run_id": run_id,
        "dimensions": {name: list(dimensions[name]) for name in sorted(dimensions)},
        "total_points": total_points,
        "max_shards": max_shards,
        "seed": seed,
        "failure_injection_shards": failure_shards,
    }
    if shard_count is not None:
        normalized["shard_count"] = shard_count
    if shard_size is not None:
        normalized["shard_size"] = shard_size
    for optional in ("model", "tolerated_failure_percentage", "max_concurrency"):
        if optional in payload:
            normalized[optional] = payload[optional]
    normalized.update(space)
    if "exclude" in space:
        normalized["excluded_points"] = excluded
    if "preset" in payload:
        normalized["preset"] = payload["preset"]
    if outputs:  # none (absent or []) leaves the request, and its fingerprint, as before
        normalized["outputs"] = outputs
    return normalized
