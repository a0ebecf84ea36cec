"""API Gateway REST request models: JSON Schema draft-04, which API Gateway requires.

2020-12 constructs are converted: `$schema` becomes the draft-04 URI; `$id`, `examples` and
`$comment` are dropped; `const` becomes a one-value `enum`; numeric `exclusiveMinimum` /
`exclusiveMaximum` become `minimum` / `maximum` plus the draft-04 boolean; `$defs` becomes
`definitions`. `propertyNames` does not exist in draft-04 and is dropped, so the gateway does not
check dimension names (the parent still does, against the full 2020-12 schema).
"""

from __future__ import annotations

from typing import Any

from codegen._common import GENERATED_DIR, GENERATED_KEY, SchemaFile, by_name, dump_json, notice

DRAFT4 = "http://json-schema.org/draft-04/schema#"

# Request bodies that get a gateway model.
REQUEST_MODELS = ("sweep_request",)

DROPPED = frozenset({"$id", "$schema", "examples", "$comment", "propertyNames"})
# 2020-12 keywords with no draft-04 equivalent that would change validation if silently dropped.
UNSUPPORTED = frozenset(
    {
        "prefixItems",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contains",
        "minContains",
        "maxContains",
        "if",
        "then",
        "else",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
    }
)
# Keywords whose value is a map of name -> schema.
SCHEMA_MAPS = frozenset({"properties", "patternProperties", "definitions", "$defs"})
# Keywords whose value is a schema (or, for items, a schema).
SCHEMA_VALUES = frozenset({"additionalProperties", "items", "not", "additionalItems"})
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})


def to_draft4(node: Any) -> Any:
    """Convert one 2020-12 schema node (recursively) to draft-04."""
    if not isinstance(node, dict):
        return node
    unsupported = sorted(UNSUPPORTED & node.keys())
    if unsupported:
        raise ValueError(f"no draft-04 form for {unsupported}")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROPPED:
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "$ref":
            out[key] = value.replace("#/$defs/", "#/definitions/")
        elif key in SCHEMA_MAPS:
            out["definitions" if key == "$defs" else key] = {
                name: to_draft4(sub) for name, sub in value.items()
            }
        elif key in SCHEMA_VALUES:
            out[key] = to_draft4(value)
        elif key in SCHEMA_LISTS:
            out[key] = [to_draft4(sub) for sub in value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            continue  # handled below, after the inclusive bound is known
        else:
            out[key] = value
    for exclusive, inclusive, tighter in (
        ("exclusiveMinimum", "minimum", max),
        ("exclusiveMaximum", "maximum", min),
    ):
        if exclusive not in node:
            continue
        bound = node[exclusive]
        if isinstance(bound, bool):  # already draft-04 form
            out[exclusive] = bound
            continue
        if inclusive in node and tighter(node[inclusive], bound) == node[inclusive] != bound:
            continue  # the inclusive bound is the tighter one: keep it alone
        out[inclusive] = bound
        out[exclusive] = True
    return out


def build(schema: SchemaFile) -> dict[str, Any]:
    converted = to_draft4(schema.document)
    return {GENERATED_KEY: notice(schema.source), "$schema": DRAFT4, **converted}


def generate(files: list[SchemaFile]) -> dict[str, str]:
    schemas = by_name(files)
    return {
        f"{GENERATED_DIR}/apigateway/{name}.json": dump_json(build(schemas[name]))
        for name in REQUEST_MODELS
    }
