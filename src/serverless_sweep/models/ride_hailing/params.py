"""Parameters of the ride_hailing model: the schema table, value checks, effective values.

The table is read once, at import, from the packaged parameter schema
(`serverless_sweep.contracts.load_schema("models/ride_hailing/parameters")`, the copy of
`schemas/v1/models/ride_hailing/parameters.json`), so names, types, defaults, bounds and enums
have one source. `RideHailingParams` repeats the defaults as dataclass defaults for
convenience; a test keeps them equal to the schema's.

Type rules (stricter than JSON Schema in one place, on purpose): a boolean is never an integer
or a number; an int is a valid number; a float is never an integer, even 5.0 (a Parquet int64
column never silently receives a float); NaN and ±inf are not numbers; an integer must fit
int64 (only epoch_ms has no schema maximum).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from serverless_sweep.contracts import load_schema
from serverless_sweep.core.errors import ValidationError, Violation, json_pointer

ParamType = Literal["integer", "number", "boolean", "string"]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
REQUEST_WINDOW_HOURS = 1
DRIVER_SPREAD_HOURS = 1
DEFAULT_EXTRA_HOURS = 2


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One property of the parameter schema."""

    type: ParamType
    default: Any
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    enum: tuple[str, ...] | None = None

    def allowed_text(self) -> str:
        """What values are allowed, for messages."""
        if self.enum is not None:
            text = "one of " + ", ".join(repr(e) for e in self.enum)
        else:
            noun = {"integer": "an integer", "number": "a number", "boolean": "a boolean"}.get(
                self.type, "a string"
            )
            bounds = []
            if self.exclusive_minimum is not None:
                bounds.append(f"> {_num(self.exclusive_minimum)}")
            if self.minimum is not None:
                bounds.append(f">= {_num(self.minimum)}")
            if self.maximum is not None:
                bounds.append(f"<= {_num(self.maximum)}")
            text = noun + (" " + " and ".join(bounds) if bounds else "")
        return text + (", or null" if self.nullable else "")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


SCHEMA_NAME = "models/ride_hailing/parameters"
# The JSON Schema keywords `check_value` enforces; a property using any other keyword fails the
# import instead of being half-checked.
_UNDERSTOOD_KEYWORDS = frozenset(
    {"description", "type", "default", "minimum", "maximum", "exclusiveMinimum", "enum"}
)


def spec_from_schema(name: str, prop: Mapping[str, Any]) -> ParamSpec:
    """One property of the parameter schema as a ParamSpec."""
    unknown = set(prop) - _UNDERSTOOD_KEYWORDS
    if unknown:
        raise RuntimeError(
            f"ride_hailing parameter {name!r} uses schema keywords the model does not check: "
            f"{sorted(unknown)}"
        )
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    base = [t for t in types if t != "null"]
    if len(base) != 1 or base[0] not in ("integer", "number", "boolean", "string"):
        raise RuntimeError(f"ride_hailing parameter {name!r} has an unsupported type {types!r}")
    enum = prop.get("enum")
    return ParamSpec(
        type=base[0],
        default=prop.get("default"),
        nullable="null" in types,
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
        exclusive_minimum=prop.get("exclusiveMinimum"),
        enum=tuple(enum) if enum is not None else None,
    )


def _load_parameters() -> dict[str, ParamSpec]:
    schema = load_schema(SCHEMA_NAME)
    return {name: spec_from_schema(name, prop) for name, prop in schema["properties"].items()}


PARAMETERS: dict[str, ParamSpec] = _load_parameters()
PARAMETER_NAMES: tuple[str, ...] = tuple(PARAMETERS)

_JSON_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    type(None): "null",
    list: "array",
    tuple: "array",
    dict: "object",
}


def json_type_name(value: object) -> str:
    """The JSON type of a Python value, for messages (`boolean`, `integer`, `null`...)."""
    for cls, name in _JSON_TYPE_NAMES.items():
        if type(value) is cls:
            return name
    return type(value).__name__


def check_value(
    name: str, spec: ParamSpec, value: object, pointer: str, label: str = "Parameter"
) -> Violation | None:
    """The first schema rule `value` breaks as the value of parameter `name`, or None.

    `label` starts the message ("Parameter" for a point, "Dimension" for a request).
    """
    shown = _show(value)

    def violation(rule: str, problem: str) -> Violation:
        return Violation(
            pointer,
            rule,
            f"{label} '{name}': value {shown} {problem}; allowed: {spec.allowed_text()}",
        )

    if value is None:
        return None if spec.nullable else violation("type", "is null")
    if spec.type == "boolean":
        return None if isinstance(value, bool) else violation("type", _wrong_type(value))
    if spec.type == "string":
        if not isinstance(value, str):
            return violation("type", _wrong_type(value))
        if spec.enum is not None and value not in spec.enum:
            return violation("enum", "is not one of the allowed values")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return violation("type", _wrong_type(value))
    if spec.type == "integer" and not isinstance(value, int):
        return violation("type", _wrong_type(value))
    if isinstance(value, float) and not math.isfinite(value):
        return violation("type", "is not a finite number")
    if spec.exclusive_minimum is not None and not value > spec.exclusive_minimum:
        return violation("exclusiveMinimum", f"is not above {_num(spec.exclusive_minimum)}")
    if spec.minimum is not None and value < spec.minimum:
        return violation("minimum", f"is below the minimum {_num(spec.minimum)}")
    if spec.maximum is not None and value > spec.maximum:
        return violation("maximum", f"is above the maximum {_num(spec.maximum)}")
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        rule = "maximum" if value > 0 else "minimum"
        return violation(rule, "does not fit the int64 column")
    return None


def _wrong_type(value: object) -> str:
    return f"has the wrong type ({json_type_name(value)})"


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def hungarian_without_batch_violation(
    algorithms: Sequence[object], batch_flags: Sequence[object], pointer: str, swept: str
) -> Violation | None:
    """The cross-parameter rule: hungarian needs batch matching."""
    if "hungarian" in algorithms and any(flag is False for flag in batch_flags):
        return Violation(
            pointer,
            "incompatible_parameters",
            "matching_algorithm_type 'hungarian' requires batch_matching_enabled true, but "
            f"{swept} would combine 'hungarian' with batch_matching_enabled false; use "
            "matching_algorithm_type 'simple' or 'cost_based' for one-by-one matching",
        )
    return None


@dataclass(frozen=True, slots=True)
class RideHailingParams:
    """Effective parameters of one point: defaults resolved, values checked on construction.

    epoch_ms null resolves to 0 and simulation_duration_hours null to the request window plus
    2 h (3); base_speed_kmh stays None (each driver then draws a speed from 20 to 60 km/h).
    """

    num_riders: int = 500
    num_drivers: int = 100
    match_radius: int = 0
    commission_rate: float = 0.0
    base_fare: float = 2.5
    per_km_rate: float = 1.5
    surge_enabled: bool = False
    surge_radius_k: int = 1
    surge_max_multiplier: float = 2.0
    epoch_ms: int = 0
    simulation_duration_hours: int = REQUEST_WINDOW_HOURS + DEFAULT_EXTRA_HOURS
    matching_algorithm_type: str = "hungarian"
    batch_matching_enabled: bool = True
    batch_interval_secs: int = 5
    eta_weight: float = 0.1
    traffic_profile: str = "none"
    dynamic_congestion_enabled: bool = False
    base_speed_kmh: float | None = None

    def __post_init__(self) -> None:
        violations = []
        for f in fields(self):
            value = getattr(self, f.name)
            spec = PARAMETERS[f.name]
            problem = check_value(f.name, spec, value, json_pointer(f.name))
            if problem is not None:
                violations.append(problem)
            elif spec.type == "number" and isinstance(value, int):
                object.__setattr__(self, f.name, float(value))
        if self.epoch_ms is None or self.simulation_duration_hours is None:
            violations.append(
                Violation("", "type", "epoch_ms and simulation_duration_hours must be resolved")
            )
        cross = hungarian_without_batch_violation(
            [self.matching_algorithm_type], [self.batch_matching_enabled], "", "this point"
        )
        if cross is not None:
            violations.append(cross)
        if violations:
            raise ValidationError.from_violations(violations)

    @classmethod
    def from_point(cls, point: Mapping[str, Any]) -> RideHailingParams:
        """Effective parameters of a point (a subset of the names; the rest take defaults)."""
        unknown = [name for name in point if name not in PARAMETERS]
        if unknown:
            raise ValidationError.from_violations(
                [
                    Violation(
                        json_pointer(name),
                        "unknown_parameter",
                        f"Unknown parameter '{name}'; allowed: {', '.join(PARAMETER_NAMES)}",
                    )
                    for name in unknown
                ]
            )
        values = {name: point.get(name, spec.default) for name, spec in PARAMETERS.items()}
        if values["epoch_ms"] is None:
            values["epoch_ms"] = 0
        if values["simulation_duration_hours"] is None:
            values["simulation_duration_hours"] = REQUEST_WINDOW_HOURS + DEFAULT_EXTRA_HOURS
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The effective values in column order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
