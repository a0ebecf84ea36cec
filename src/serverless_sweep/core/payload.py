"""The child's first look at a shard payload: the old runtime's field checks, in its order.

Why it is separate from the JSON Schema (schemas/v1/shard_payload.json): the old child answered
with specific messages in a specific order, and the replay fixtures (`child_*.json`) pin them:

* required keys in the order run_id, dimensions, total_points, shard_id, start_index, end_index,
  seed, failure_injection_shards; for each, "Missing required field 'X'" when absent, else
  "Field 'X' must be T, got U" with Python type names (str, dict, int, list; NoneType, bool,
  float, ...). The first failure is the message; all of them are in `details`.
* Nothing else about the values: total_points is informational, bounds are checked later against
  the real product size, failure_injection_shards entries of other types simply never match a
  shard, and non-list dimension values fail later, when the point product is built (after
  failure injection), as in the old runtime.

New (additive) fields, validated only when present: manifest_key (str; dimensions may then be
absent, the child loads them from the manifest), contract_version ("1.0"), run_date
(YYYY-MM-DD), model (str), fingerprint (64 lowercase hex characters), attempt (integer >= 1).

Declared stricter divergences (replay tags):

* ``bool-as-int``: a boolean where an integer is expected is rejected ("Field 'shard_id' must be
  int, got bool"), including booleans inside failure_injection_shards (the old ``==`` membership
  made ``true`` fail shard 1);
* ``bigint``: integers outside the signed 64-bit range are rejected ("Field 'seed' must be a
  64-bit integer"), as they are everywhere else in the new runtime;
* ``non-object-input``: an event that is not a JSON object gives "Shard payload must be a JSON
  object" instead of a TypeError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from serverless_sweep.contracts import CONTRACT_VERSION
from serverless_sweep.core.errors import ValidationError, Violation, json_pointer
from serverless_sweep.core.keys import format_run_date
from serverless_sweep.core.validation import INT64_MAX, INT64_MIN, is_int, python_type_name

__all__ = ["CONTRACT_VERSION", "REQUIRED_FIELDS", "check_shard_payload"]

NOT_OBJECT_MESSAGE: Final = "Shard payload must be a JSON object"
#: The old child's required keys, in its check order, with the Python type it required.
REQUIRED_FIELDS: Final[tuple[tuple[str, type], ...]] = (
    ("run_id", str),
    ("dimensions", dict),
    ("total_points", int),
    ("shard_id", int),
    ("start_index", int),
    ("end_index", int),
    ("seed", int),
    ("failure_injection_shards", list),
)
_FINGERPRINT_RE: Final = re.compile(r"[0-9a-f]{64}")


def _type_violation(field: str, expected: type, value: object) -> Violation | None:
    """The old "must be T, got U" check, plus the bool and 64-bit divergences for ints."""
    pointer = json_pointer(field)
    if expected is int:
        if not is_int(value):
            got = python_type_name(value)
            return Violation(pointer, "type", f"Field '{field}' must be int, got {got}")
        if not INT64_MIN <= value <= INT64_MAX:
            return Violation(pointer, "integer_range", f"Field '{field}' must be a 64-bit integer")
        return None
    if not isinstance(value, expected):
        message = f"Field '{field}' must be {expected.__name__}, got {python_type_name(value)}"
        return Violation(pointer, "type", message)
    return None


def _failure_entries(shards: list[Any]) -> list[Violation]:
    """Entries that are booleans or out-of-range integers (other junk is tolerated, as before)."""
    field = "failure_injection_shards"
    out: list[Violation] = []
    for i, shard in enumerate(shards):
        pointer = json_pointer(field, i)
        if isinstance(shard, bool):
            out.append(Violation(pointer, "type", f"Field '{field}' must hold int, got bool"))
        elif isinstance(shard, int) and not INT64_MIN <= shard <= INT64_MAX:
            out.append(
                Violation(pointer, "integer_range", f"Field '{field}' must hold 64-bit integers")
            )
    return out


def _is_date_string(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        format_run_date(value)
    except ValueError:
        return False
    return True


def _optional_violations(event: Mapping[str, Any]) -> list[Violation]:
    out: list[Violation] = []
    if "manifest_key" in event:
        violation = _type_violation("manifest_key", str, event["manifest_key"])
        if violation is not None:
            out.append(violation)
    if "contract_version" in event and event["contract_version"] != CONTRACT_VERSION:
        out.append(
            Violation(
                json_pointer("contract_version"),
                "const",
                f"Field 'contract_version' must be '{CONTRACT_VERSION}', "
                f"got {event['contract_version']!r}",
            )
        )
    if "run_date" in event and not _is_date_string(event["run_date"]):
        out.append(
            Violation(
                json_pointer("run_date"),
                "format",
                "Field 'run_date' must be a YYYY-MM-DD date string",
            )
        )
    if "model" in event:
        violation = _type_violation("model", str, event["model"])
        if violation is not None:
            out.append(violation)
    if "fingerprint" in event:
        value = event["fingerprint"]
        if not isinstance(value, str) or not _FINGERPRINT_RE.fullmatch(value):
            out.append(
                Violation(
                    json_pointer("fingerprint"),
                    "pattern",
                    "Field 'fingerprint' must be 64 lowercase hex characters",
                )
            )
    if "attempt" in event:
        value = event["attempt"]
        if not is_int(value) or not 1 <= value <= INT64_MAX:
            out.append(
                Violation(
                    json_pointer("attempt"),
                    "type" if not is_int(value) else "minimum",
                    "Field 'attempt' must be an integer >= 1",
                )
            )
    return out


def check_shard_payload(event: object) -> dict[str, Any]:
    """Check a shard payload; return it (same content, same key order) or raise ValidationError."""
    if not isinstance(event, Mapping):
        raise ValidationError(NOT_OBJECT_MESSAGE, [Violation("", "type", NOT_OBJECT_MESSAGE)])
    violations: list[Violation] = []
    for field, expected in REQUIRED_FIELDS:
        if field not in event:
            if field == "dimensions" and "manifest_key" in event:
                continue
            violations.append(
                Violation(json_pointer(field), "required", f"Missing required field '{field}'")
            )
            continue
        violation = _type_violation(field, expected, event[field])
        if violation is not None:
            violations.append(violation)
        elif field == "failure_injection_shards":
            violations.extend(_failure_entries(event[field]))
    violations.extend(_optional_violations(event))
    if violations:
        raise ValidationError.from_violations(violations)
    return dict(event)
