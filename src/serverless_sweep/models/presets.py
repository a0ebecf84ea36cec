"""Presets: named sweep spaces a model ships (`"preset": "pricing_focused"`, `sweep run --preset`).

Why they exist: the upstream experiment tooling had named spaces (comprehensive,
pricing_focused, surge_pricing, matching_focused, supply_demand, minimal) so that a team runs a
vetted sweep by name instead of copying lists around. A preset is the space part of a request:
`dimensions`, and optionally `ranges`, `sampling` and `exclude` (schemas/v1/sweep_request.json),
plus a `description`.

How a request uses one (`expand_preset`, called by the parent before validation, so the
normalized request, its manifest and its fingerprint hold the expanded space and a preset edited
later cannot change a recorded run): the preset's dimensions and ranges are taken, the request's
own `dimensions` and `ranges` are added on top by name (a request dimension replaces a preset
range of the same name and vice versa); `sampling` and `exclude` come from the request when it
gives them, else from the preset. Everything else (shard_count, seed, ...) is the request's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from serverless_sweep.core.errors import ValidationError, Violation, json_pointer

__all__ = ["PRESET_FIELDS", "expand_preset", "load_package_presets", "model_presets"]

PRESET_FIELDS = ("description", "dimensions", "ranges", "sampling", "exclude")
PRESETS_FILE = "presets.json"


def _problems(name: str, preset: object) -> list[str]:
    if not isinstance(preset, dict):
        return [f"preset {name!r} must be an object"]
    out = [f"preset {name!r}: unknown field {key!r}" for key in preset if key not in PRESET_FIELDS]
    for key, kind in (
        ("dimensions", dict),
        ("ranges", dict),
        ("sampling", dict),
        ("exclude", list),
    ):
        if key in preset and not isinstance(preset[key], kind):
            out.append(f"preset {name!r}: {key} must be a JSON {kind.__name__}")
    return out


@cache
def load_package_presets(package: str) -> dict[str, dict[str, Any]]:
    """`presets.json` of a model package ({} when it has none); a malformed file raises
    RuntimeError naming the package, because a model must not start with broken presets."""
    try:
        text = resources.files(package).joinpath(PRESETS_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"{package}/{PRESETS_FILE} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise RuntimeError(f"{package}/{PRESETS_FILE} must be an object: name -> preset")
    problems = [p for name, preset in document.items() for p in _problems(name, preset)]
    if problems:
        raise RuntimeError(f"{package}/{PRESETS_FILE}: " + "; ".join(problems))
    return document


def model_presets(model: object) -> Mapping[str, Mapping[str, Any]]:
    """The presets of a model instance ({} for a model without any)."""
    presets = getattr(model, "presets", None)
    return presets if isinstance(presets, Mapping) else {}


def expand_preset(payload: Mapping[str, Any], model_name: str, model: object) -> dict[str, Any]:
    """The request with its `preset` expanded (see the module docstring); ValidationError when
    the model has no such preset."""
    out = dict(payload)
    name = payload.get("preset")
    if not isinstance(name, str):
        return out  # absent, or the wrong type: normalize_request reports that
    presets = model_presets(model)
    if name not in presets:
        known = ", ".join(sorted(presets)) or "none"
        message = f"preset {name!r} is not a preset of model {model_name}; its presets: {known}"
        raise ValidationError(message, [Violation(json_pointer("preset"), "enum", message)])
    preset = presets[name]
    own_dims = payload.get("dimensions")
    own_ranges = payload.get("ranges")
    own_dims = own_dims if isinstance(own_dims, dict) else {}
    own_ranges = own_ranges if isinstance(own_ranges, dict) else {}
    overridden = set(own_dims) | set(own_ranges)
    dims = {k: v for k, v in preset.get("dimensions", {}).items() if k not in overridden}
    ranges = {k: v for k, v in preset.get("ranges", {}).items() if k not in overridden}
    if "dimensions" not in payload or isinstance(payload["dimensions"], dict):
        out["dimensions"] = {**dims, **own_dims}
    if (ranges or own_ranges) and ("ranges" not in payload or isinstance(payload["ranges"], dict)):
        out["ranges"] = {**ranges, **own_ranges}
    for key in ("sampling", "exclude"):
        if key not in payload and key in preset:
            out[key] = preset[key]
    return out
