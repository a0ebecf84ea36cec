"""`contracts/generated/<version>/fast.py`: standard-library checkers of the contract documents.

Why: importing pydantic and building the generated models costs the Lambda parent and child
about 0.14 s of CPU on a cold start (issue 8: budgets 0.3 s and 0.5 s), for documents the
handlers built or checked by hand already. A checker here takes a JSON-like value and returns
exactly what `Model.model_validate(value).model_dump(mode="json", exclude_none=True)` would
(same keys, same order, same values), or `None` ("not sure") when the value is invalid OR needs
anything this checker does not reproduce exactly: a bool or a float where an int is declared,
a tuple for a list, a non-finite float, an int beyond the signed 64-bit range, an unusual
pattern. Callers then run today's pydantic code (`handlers/contract_docs.py`), so every error
message stays pydantic's; the checker only has to be right when it says yes.

What it reproduces is the pydantic model datamodel-codegen generates from the same schema
(`codegen/pydantic_models.py` options): required fields; optional ones with a schema default get
it (and are not nullable unless "null" is a listed type); optional ones without get None, which
`exclude_none` drops; `additionalProperties` true keeps unknown keys after the declared fields
(None values dropped), false refuses them, absent ignores them; `number` dumps as a float (an
int input or an int default included); `format: date` keeps its `YYYY-MM-DD` string.

Stricter than the model is always safe (the fallback decides), looser never is. So a schema
keyword this generator does not know makes the document's checker refuse everything (listed in
`UNSUPPORTED`), never guess: a schema addition can cost speed, not correctness. The
differential tests (tests/contracts/test_fast_checkers.py) compare both on many documents.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from codegen._common import GENERATED_DIR, SchemaFile, by_name, python_header
from codegen.pydantic_models import MODULES
from codegen.pyformat import py_literal, ruff_format

# Keywords that never change what the model accepts or dumps.
ANNOTATIONS = frozenset({"title", "description", "examples", "$comment", "$schema", "$id", "$defs"})
INT64 = (-(2**63), 2**63 - 1)
# Ints a float field takes and dumps as float(value) exactly.
FLOAT_INTS = 2**53
# Pattern syntax whose meaning is the same in Python's `re` (what the checker runs) and Rust's
# `regex` (what pydantic runs): ASCII classes, counted repetition, anchors, `\S` (Python's
# whitespace is a superset of Unicode White_Space, so `\S` here is never looser). `$` also
# matches before a final newline in Python: values ending in one are refused.
SAFE_PATTERN = re.compile(r"^(?:[A-Za-z0-9^$\[\]{},\-]|\\S)*$")


class Unsupported(Exception):
    """A schema construct the checker does not reproduce; its document refuses everything."""


@dataclass
class _Emitter:
    """Code of one generated module: helper constants, model functions, public names."""

    document: SchemaFile
    module: str
    constants: dict[str, str] = field(default_factory=dict)  # literal -> constant name
    functions: list[str] = field(default_factory=list)
    done: dict[int, str] = field(default_factory=dict)  # id(schema node) -> function name
    models: dict[str, str] = field(default_factory=dict)  # title -> function
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)
    counter: int = 0
    local: int = 0  # numbers the loop variables: each is annotated once per function

    def names(self, *prefixes: str) -> tuple[str, ...]:
        self.local += 1
        return tuple(f"{p}{self.local}" for p in prefixes)

    def constant(self, code: str) -> str:
        if code not in self.constants:
            self.constants[code] = f"_K{len(self.constants)}"
        return self.constants[code]

    def resolve(self, node: Any) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise Unsupported(f"schema node {node!r} is not an object")
        ref = node.get("$ref")
        if ref is None:
            return node
        if set(node) - ANNOTATIONS - {"$ref"}:
            raise Unsupported(f"keywords beside $ref {ref}")
        prefix = "#/$defs/"
        defs = self.document.document.get("$defs", {})
        if not isinstance(ref, str) or not ref.startswith(prefix) or ref[len(prefix) :] not in defs:
            raise Unsupported(f"$ref {ref!r} (only #/$defs/ of the same document)")
        return self.resolve(defs[ref[len(prefix) :]])

    # -- one value --------------------------------------------------------------------------

    def check(self, node: Any, var: str, depth: int, path: str) -> list[str]:
        """Lines that check `var` in place and `return _NO` from the function when unsure."""
        node = self.resolve(node)
        known = ANNOTATIONS | {
            "type",
            "properties",
            "required",
            "additionalProperties",
            "propertyNames",
            "items",
            "minItems",
            "maxItems",
            "minimum",
            "maximum",
            "minLength",
            "maxLength",
            "pattern",
            "enum",
            "const",
            "format",
            "default",
            "minProperties",
            "maxProperties",
        }
        unknown = sorted(set(node) - known)
        if unknown:
            raise Unsupported(f"{path}: keyword(s) {unknown}")
        types = node.get("type")
        if types is None:
            if set(node) - ANNOTATIONS - {"default"}:
                raise Unsupported(f"{path}: constraints without a type")
            return [f"{var} = _any({var})", f"if {var} is _NO:", "    return _NO"]
        listed = [types] if isinstance(types, str) else list(types)
        concrete = [t for t in listed if t != "null"]
        if len(concrete) != 1:
            raise Unsupported(f"{path}: type {types!r}")
        inner = self._typed(concrete[0], node, var, depth, path)
        if "null" in listed:
            return [f"if {var} is not None:", *("    " + line for line in inner)]
        return inner

    def _typed(self, kind: str, node: dict[str, Any], var: str, depth: int, path: str) -> list[str]:
        if "const" in node or "enum" in node:
            return self._literal(kind, node, var, path)
        if kind == "string":
            return self._string(node, var, path)
        if kind == "integer":
            return self._integer(node, var, path)
        if kind == "number":
            return self._number(node, var, path)
        if kind == "boolean":
            self._only(node, set(), path)
            return [f"if type({var}) is not bool:", "    return _NO"]
        if kind == "array":
            return self._array(node, var, depth, path)
        if kind == "object":
            if "properties" in node:
                function = self.model(node, path)
                return [f"{var} = {function}({var})", f"if {var} is _NO:", "    return _NO"]
            return self._mapping(node, var, depth, path)
        raise Unsupported(f"{path}: type {kind!r}")

    def _only(self, node: dict[str, Any], allowed: set[str], path: str) -> None:
        extra = set(node) - ANNOTATIONS - {"type", "default"} - allowed
        if extra:
            raise Unsupported(f"{path}: keyword(s) {sorted(extra)} with type {node['type']!r}")

    def _literal(self, kind: str, node: dict[str, Any], var: str, path: str) -> list[str]:
        self._only(node, {"const", "enum"}, path)
        values = [node["const"]] if "const" in node else node["enum"]
        if kind != "string" or not values or not all(isinstance(v, str) for v in values):
            raise Unsupported(f"{path}: only string const/enum values are reproduced")
        if "const" in node and "enum" in node:
            raise Unsupported(f"{path}: const and enum together")
        allowed = self.constant(f"frozenset({py_literal(sorted(set(values)))})")
        return [f"if type({var}) is not str or {var} not in {allowed}:", "    return _NO"]

    def _string(self, node: dict[str, Any], var: str, path: str) -> list[str]:
        self._only(node, {"minLength", "maxLength", "pattern", "format"}, path)
        lines = [f"if type({var}) is not str or not _text({var}):", "    return _NO"]
        if "minLength" in node:
            lines += [f"if len({var}) < {int(node['minLength'])}:", "    return _NO"]
        if "maxLength" in node:
            lines += [f"if len({var}) > {int(node['maxLength'])}:", "    return _NO"]
        if "pattern" in node:
            lines += self._pattern(node["pattern"], var, path)
        if "format" in node:
            if node["format"] != "date":
                raise Unsupported(f"{path}: format {node['format']!r}")
            if "default" in node:
                raise Unsupported(f"{path}: a date default (pydantic does not validate it)")
            lines += [f"if not _is_date({var}):", "    return _NO"]
        return lines

    def _pattern(self, pattern: Any, var: str, path: str) -> list[str]:
        if not isinstance(pattern, str) or not SAFE_PATTERN.match(pattern):
            raise Unsupported(f"{path}: pattern {pattern!r}")
        compiled = self.constant(f"re.compile({pattern!r})")
        test = f"{compiled}.search({var}) is None"
        if "$" in pattern:
            test += f" or {var}.endswith('\\n')"
        return [f"if {test}:", "    return _NO"]

    def _bounds(self, node: dict[str, Any], path: str, integer: bool) -> tuple[Any, Any]:
        low, high = node.get("minimum"), node.get("maximum")
        for bound in (low, high):
            if bound is not None and (
                isinstance(bound, bool)
                or not isinstance(bound, int | float)
                or (integer and not isinstance(bound, int))
            ):
                raise Unsupported(f"{path}: bound {bound!r}")
        return low, high

    def _integer(self, node: dict[str, Any], var: str, path: str) -> list[str]:
        self._only(node, {"minimum", "maximum"}, path)
        low, high = self._bounds(node, path, integer=True)
        low = INT64[0] if low is None else max(low, INT64[0])
        high = INT64[1] if high is None else min(high, INT64[1])
        return [f"if type({var}) is not int or not {low} <= {var} <= {high}:", "    return _NO"]

    def _number(self, node: dict[str, Any], var: str, path: str) -> list[str]:
        self._only(node, {"minimum", "maximum"}, path)
        low, high = self._bounds(node, path, integer=False)
        lines = [
            f"if type({var}) is float:",
            f"    if not _finite({var}):",
            "        return _NO",
            f"elif type({var}) is int and -{FLOAT_INTS} <= {var} <= {FLOAT_INTS}:",
            f"    {var} = float({var})",
            "else:",
            "    return _NO",
        ]
        tests = []
        if low is not None:
            tests.append(f"{var} < {float(low)!r}")
        if high is not None:
            tests.append(f"{var} > {float(high)!r}")
        if tests:
            lines += [f"if {' or '.join(tests)}:", "    return _NO"]
        return lines

    def _array(self, node: dict[str, Any], var: str, depth: int, path: str) -> list[str]:
        self._only(node, {"items", "minItems", "maxItems"}, path)
        lines = [f"if type({var}) is not list:", "    return _NO"]
        if "minItems" in node:
            lines += [f"if len({var}) < {int(node['minItems'])}:", "    return _NO"]
        if "maxItems" in node:
            lines += [f"if len({var}) > {int(node['maxItems'])}:", "    return _NO"]
        items = node.get("items", {})
        item, out = self.names("i", "l")
        body = self.check(items, item, depth + 1, f"{path}[]")
        if body == [f"{item} = _any({item})", f"if {item} is _NO:", "    return _NO"]:
            return [*lines, f"{var} = _any({var})", f"if {var} is _NO:", "    return _NO"]
        return [
            *lines,
            f"{out}: list[Any] = []",
            f"for {item} in {var}:",
            *("    " + line for line in body),
            f"    {out}.append({item})",
            f"{var} = {out}",
        ]

    def _keys(self, node: dict[str, Any], key: str, path: str) -> list[str]:
        names = node.get("propertyNames")
        lines = [f"if type({key}) is not str or not _text({key}):", "    return _NO"]
        if names is None:
            return lines
        names = self.resolve(names)
        extra = set(names) - ANNOTATIONS - {"minLength", "maxLength", "pattern", "type"}
        if extra or names.get("type", "string") != "string":
            raise Unsupported(f"{path}: propertyNames {names!r}")
        return self._string({**names, "type": "string"}, key, f"{path} (names)")

    def _mapping(self, node: dict[str, Any], var: str, depth: int, path: str) -> list[str]:
        """An object without properties: pydantic's dict[str, X] (its items keep their None)."""
        self._only(
            node, {"additionalProperties", "propertyNames", "minProperties", "maxProperties"}, path
        )
        values = node.get("additionalProperties", True)
        if values is False:
            raise Unsupported(f"{path}: an object that allows no keys")
        lines = [f"if type({var}) is not dict:", "    return _NO"]
        if "minProperties" in node:
            lines += [f"if len({var}) < {int(node['minProperties'])}:", "    return _NO"]
        if "maxProperties" in node:
            lines += [f"if len({var}) > {int(node['maxProperties'])}:", "    return _NO"]
        key, item, out = self.names("k", "v", "d")
        body = self.check({} if values is True else values, item, depth + 1, f"{path}{{}}")
        return [
            *lines,
            f"{out}: dict[str, Any] = {{}}",
            f"for {key}, {item} in {var}.items():",
            *("    " + line for line in self._keys(node, key, path)),
            *("    " + line for line in body),
            f"    {out}[{key}] = {item}",
            f"{var} = {out}",
        ]

    # -- one model ----------------------------------------------------------------------------

    def model(self, node: dict[str, Any], path: str) -> str:
        """The function checking one object with properties (one pydantic class); its name."""
        if id(node) in self.done:
            return self.done[id(node)]
        self.counter += 1
        title = node.get("title")
        name = f"_m{self.counter}_{re.sub(r'[^A-Za-z0-9]', '_', str(title or path))}"
        self.done[id(node)] = name
        try:
            code = self._model_code(node, name, path)
        except Unsupported as exc:
            self.unsupported[str(title or path)] = str(exc)
            code = [
                f"def {name}(v: Any) -> Any:",
                f"    # not reproduced: {exc}"[:96],
                "    return _NO",
            ]
        self.functions.append("\n".join(code))
        if isinstance(title, str):
            self.models[title] = name
        return name

    def _model_code(self, node: dict[str, Any], name: str, path: str) -> list[str]:
        known = ANNOTATIONS | {"type", "properties", "required", "additionalProperties", "default"}
        unknown = sorted(set(node) - known)
        if unknown:
            raise Unsupported(f"{path}: keyword(s) {unknown} on an object with properties")
        if node.get("type") != "object":
            raise Unsupported(f"{path}: properties without type object")
        properties = node["properties"]
        required = node.get("required", [])
        if not isinstance(properties, dict) or set(required) - set(properties):
            raise Unsupported(f"{path}: required names a field that is not declared")
        extra = node.get("additionalProperties")
        if extra not in (None, True, False):
            raise Unsupported(f"{path}: additionalProperties with a schema")
        import pydantic

        lines = [
            f"def {name}(v: Any) -> Any:",
            "    if type(v) is not dict:",
            "        return _NO",
        ]
        names = self.constant(f"frozenset({py_literal(list(properties))})")
        if extra is False:
            lines += [f"    if not {names}.issuperset(v):", "        return _NO"]
        lines.append("    out: dict[str, Any] = {}")
        for prop, schema in properties.items():
            if (
                not prop.isidentifier()
                or keyword.iskeyword(prop)
                or prop.startswith(("_", "model_"))
                or hasattr(pydantic.BaseModel, prop)
            ):
                raise Unsupported(f"{path}: field {prop!r} is renamed in the model")
            where = f"{path}.{prop}"
            resolved = self.resolve(schema)
            types = resolved.get("type")
            listed = [types] if isinstance(types, str) else list(types or [])
            has_default = "default" in resolved and prop not in required
            nullable = "null" in listed or (prop not in required and not has_default)
            check = self.check(resolved, "x", 0, where)
            if nullable and "null" not in listed:
                check = ["if x is not None:", *("    " + line for line in check)]
            store = [f"out[{prop!r}] = x"]
            if nullable:
                store = ["if x is not None:", "    " + store[0]]
            lines.append(f"    x = v.get({prop!r}, _NO)")
            if prop in required:
                lines += ["    if x is _NO:", "        return _NO"]
                lines += ["    " + line for line in [*check, *store]]
            elif has_default:
                default = self._default(resolved, where)
                lines += ["    if x is _NO:", f"        out[{prop!r}] = {default}"]
                lines += ["    else:", *("        " + line for line in [*check, *store])]
            else:
                lines += ["    if x is not _NO:", *("        " + line for line in [*check, *store])]
        if extra is True:
            lines += [
                f"    if not {names}.issuperset(v):",
                "        for k, x in v.items():",
                f"            if k in {names}:",
                "                continue",
                "            if type(k) is not str or not _text(k):",
                "                return _NO",
                "            x = _any(x)",
                "            if x is _NO:",
                "                return _NO",
                "            if x is not None:",
                "                out[k] = x",
            ]
        lines.append("    return out")
        title = node.get("title")
        if isinstance(title, str):
            self.fields[title] = tuple(properties)
        return lines

    def _default(self, node: dict[str, Any], path: str) -> str:
        """The default as pydantic dumps it (defaults are not validated, only serialized)."""
        value = node["default"]
        kind = node.get("type")
        if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            return repr(float(value))
        ok = (
            (kind == "integer" and type(value) is int)
            or (kind == "boolean" and type(value) is bool)
            or (kind == "string" and type(value) is str and "format" not in node)
            or (kind == "array" and value == [])
        )
        if not ok:
            raise Unsupported(f"{path}: default {value!r}")
        return py_literal(value)


_PREAMBLE = '''"""Pydantic-free checkers of the @VERSION@ contract documents (issue 8: cold start).

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
'''

_EPILOGUE = '''

CHECKERS: Final[dict[str, Callable[[Any], Any]]] = {
@CHECKERS@
}
"""Model class name -> its checker (classes with a title; nested untitled ones have none)."""

FIELDS: Final[dict[str, tuple[str, ...]]] = {
@FIELDS@
}
"""Model class name -> its declared fields, in schema (= dump) order."""

UNSUPPORTED: Final[dict[str, str]] = {
@UNSUPPORTED@
}
"""Models whose checker refuses everything, with the construct it does not reproduce."""


def check(name: str, value: object) -> dict[str, Any] | None:
    """The contract body of `value` as model `name` dumps it, or None when not sure."""
    try:
        body = CHECKERS[name](value)
    except RecursionError:
        return None
    return None if body is _NO else body
'''


def render(files: list[SchemaFile], version: str) -> str:
    """The module's text: every titled model of every schema in MODULES."""
    schemas = by_name(files)
    functions: list[str] = []
    constants: dict[str, str] = {}
    checkers: dict[str, str] = {}
    fields: dict[str, tuple[str, ...]] = {}
    unsupported: dict[str, str] = {}
    clashes: set[str] = set()
    for number, schema_name in enumerate(sorted(MODULES)):
        document = schemas[schema_name]
        emitter = _Emitter(document, MODULES[schema_name], counter=number * 100)
        emitter.constants = constants  # shared: one constant per literal in the module
        roots = [document.document] if "properties" in document.document else []
        roots += list(document.document.get("$defs", {}).values())
        for root in roots:
            try:
                emitter.model(emitter.resolve(root), document.name)
            except Unsupported as exc:
                unsupported[str(root.get("title", document.name))] = str(exc)
        functions += emitter.functions
        for title, function in emitter.models.items():
            if title in checkers:
                clashes.add(title)
            checkers[title] = function
        fields.update(emitter.fields)
        unsupported.update(emitter.unsupported)
    for title in clashes:  # which document's class would be meant? (the model index agrees)
        checkers.pop(title)
        fields.pop(title, None)
    constant_lines = [f"{name}: Final = {code}" for code, name in constants.items()]
    code = (
        python_header(f"schemas/{version}")
        + _PREAMBLE.replace("@VERSION@", version)
        + "\n\n"
        + "\n".join(constant_lines)
        + "\n\n\n"
        + "\n\n\n".join(functions)
        + _EPILOGUE.replace(
            "@CHECKERS@", "".join(f"    {t!r}: {f},\n" for t, f in sorted(checkers.items()))
        )
        .replace(
            "@FIELDS@", "".join(f"    {t!r}: {py_literal(f)},\n" for t, f in sorted(fields.items()))
        )
        .replace(
            "@UNSUPPORTED@",
            "".join(f"    {t!r}: {json.dumps(r)},\n" for t, r in sorted(unsupported.items())),
        )
    )
    return ruff_format(code)


def generate(files: list[SchemaFile], version: str) -> dict[str, str]:
    return {f"{GENERATED_DIR}/{version}/fast.py": render(files, version)}
