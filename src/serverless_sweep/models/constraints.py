"""A model's own rules as exclusions of a request's space (issue 14).

Why exclusions and not a rejection: a sweep over matching_algorithm_type x
batch_matching_enabled has valid and invalid combinations (hungarian needs batch matching).
The upstream tooling skipped the invalid ones; refusing the whole sweep made users split it by
hand. Each `ModelRule` that can match a point of the request becomes one more `exclude` entry
(restricted to the listed dimensions; a parameter the sweep does not list takes the model's
default), so the points are numbered without gaps, the count is known before dispatch and the
202 reports `excluded_points`. A sweep whose every point breaks a rule is still refused, with
the rule's message.

The entries are added to the normalized request's `exclude` (after the request's own), so the
manifest records the effective space and a child needs nothing from the model to decode it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from serverless_sweep.core.errors import ValidationError, Violation, json_pointer
from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.core.space import SpaceError, SweepSpace
from serverless_sweep.models.base import ModelRule

__all__ = ["apply_model_rules"]


def _rule_entry(
    rule: ModelRule, normalized: Mapping[str, Any], defaults: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]] | None:
    """The exclude entry of one rule ({} when every point breaks it) and the names it matched
    through their defaults; None when no point can break it."""
    dimensions = normalized["dimensions"]
    ranges = normalized.get("ranges") or {}
    entry: dict[str, Any] = {}
    by_default: list[str] = []
    for name, value in rule.when.items():
        text = dumps_canonical(value)
        if name in dimensions:
            if text not in {dumps_canonical(v) for v in dimensions[name]}:
                return None
            if {dumps_canonical(v) for v in dimensions[name]} != {text}:
                entry[name] = value  # a single listed value matches every point anyway
        elif name in ranges or name not in defaults or dumps_canonical(defaults[name]) != text:
            return None
        else:
            by_default.append(f"{name} defaults to {dumps_canonical(defaults[name])}")
    return {name: entry[name] for name in sorted(entry)}, by_default


def _refusal(rule: ModelRule, by_default: list[str]) -> ValidationError:
    pointer = json_pointer("dimensions", rule.pointer_name)
    message = rule.message + (f" ({'; '.join(by_default)})" if by_default else "")
    return ValidationError(message, [Violation(pointer, "incompatible_parameters", message)])


def apply_model_rules(normalized: Mapping[str, Any], model: object) -> dict[str, Any]:
    """The normalized request with the model's rules added to `exclude` and the counts updated;
    ValidationError when a rule leaves no point."""
    rules: tuple[ModelRule, ...] = tuple(getattr(model, "rules", ()) or ())
    out = dict(normalized)
    if not rules:
        return out
    defaults: Mapping[str, Any] = getattr(model, "parameter_defaults", None) or {}
    exclude = list(normalized.get("exclude") or [])
    seen = {dumps_canonical(entry) for entry in exclude}
    added: list[tuple[ModelRule, list[str]]] = []
    for rule in rules:
        found = _rule_entry(rule, normalized, defaults)
        if found is None:
            continue
        entry, by_default = found
        if not entry:
            raise _refusal(rule, by_default)
        if dumps_canonical(entry) not in seen:
            seen.add(dumps_canonical(entry))
            exclude.append(entry)
            added.append((rule, by_default))
    if not added:
        return out
    try:
        space = SweepSpace(
            normalized["dimensions"], normalized.get("sampling"), normalized.get("ranges"), exclude
        )
    except SpaceError as exc:
        violation = Violation(json_pointer("exclude"), "max_terms", str(exc))
        raise ValidationError(str(exc), [violation]) from None
    if space.size == 0:
        raise _refusal(*added[0])
    out["exclude"] = exclude
    out["total_points"] = space.size
    out["excluded_points"] = space.excluded_points
    return out


def validate_space(model: Any, normalized: Mapping[str, Any]) -> list[Violation]:
    """The model's verdict on the listed dimensions and on the bounds of the ranges.

    A range is checked as the two values it spans (floats unless it is an integer range, so an
    integer parameter sampled without `"integer": true` is refused up front, not point by point
    in the children); the pointers of those violations name the range's min or max.
    """
    dimensions: dict[str, Any] = dict(normalized["dimensions"])
    ranges: Mapping[str, Mapping[str, Any]] = normalized.get("ranges") or {}
    for name, spec in ranges.items():
        low, high = spec["min"], spec["max"]
        dimensions[name] = [low, high] if spec["integer"] else [float(low), float(high)]
    violations: list[Violation] = list(model.validate_dimensions(dimensions))
    out = []
    for violation in violations:
        for name in ranges:
            for index, bound in enumerate(("min", "max")):
                if violation.pointer == json_pointer("dimensions", name, index):
                    violation = Violation(
                        json_pointer("ranges", name, bound), violation.rule, violation.message
                    )
            if violation.pointer == json_pointer("dimensions", name):
                violation = Violation(
                    json_pointer("ranges", name), violation.rule, violation.message
                )
        out.append(violation)
    return out
