"""JSON text in and out, with the exact conventions the old runtime used on the wire.

Reading (`parse_json_text`) is the stdlib decoder, because its error wording is part of the
contract: a syntax error answers 400 ``Malformed JSON body: <decoder msg>`` where ``<decoder msg>``
is `json.JSONDecodeError.msg` (only the message, without the ``: line 1 column 1 (char 0)`` tail
that `str(error)` adds; that is what the recorded fixtures show). Python `dict`s keep key order
and Python `int`s keep integers apart from floats and any size the interpreter converts
(CPython's default limit is 4300 digits, far beyond the 64-bit fields; see below).

On top of the stdlib, the new runtime is deliberately stricter (declared divergences, replay tags
``duplicate-keys`` and ``nonstandard-json``):

* a repeated object key is rejected (rule ``duplicate_key``) instead of "last value wins, first
  position kept", because a body whose meaning depends on which duplicate a parser keeps is
  ambiguous between JSON implementations (API Gateway, pydantic, Athena, browsers);
* ``NaN``, ``Infinity``, ``-Infinity`` and numbers that overflow a double (``1e400``) are
  rejected (rule ``nonstandard_number``): they are not JSON, other tools cannot read them back,
  and writing them again would make the payload and record texts invalid JSON;
* integer literals longer than the interpreter's int/str conversion limit (CPython's guard
  against quadratic-time conversions) give a clean 400 (rule ``number_too_long``) instead of
  escaping as a bare `ValueError`;
* nesting deeper than the decoder's recursion limit gives a clean 400 (rule ``nesting_depth``).

Writing has two styles, both ``ensure_ascii`` with CPython's float repr (``100.0``, ``1e-05``,
``-0.0``) and exact integers, and both refuse NaN/Infinity (``allow_nan=False``) so that no
record or payload we write is ever non-standard JSON:

* `dumps_response_body`: the `json.dumps` default look (``", "`` / ``": "``, insertion order),
  used for HTTP response bodies;
* `dumps_canonical`: compact (``","`` / ``":"``), keys sorted at every level; the old payload and
  S3 record text style, and the input of fingerprints and hashes (so it must never change).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any, Final

from serverless_sweep.core.errors import ValidationError, Violation, json_pointer

__all__ = [
    "dumps_canonical",
    "dumps_response_body",
    "json_matcher",
    "parse_json_text",
    "same_json_value",
]

MALFORMED_PREFIX: Final = "Malformed JSON body: "


class _Flag:
    """Stand-in the decoder hooks leave where a rejected number stood, to find its pointer."""

    __slots__ = ("rule", "text")

    def __init__(self, rule: str, text: str) -> None:
        self.rule = rule
        self.text = text


class _Collector:
    """Decoder hooks that note duplicate keys and non-standard numbers instead of failing at once.

    The hooks cannot know where in the document they are, so they only record what they saw
    (the dict that had a duplicate, the stand-in placed for a bad number); `parse_json_text`
    then walks the finished tree once to give each finding its JSON pointer.
    """

    def __init__(self) -> None:
        self.duplicates: list[tuple[dict[str, Any], str]] = []
        self.flags: list[_Flag] = []

    def object_pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in pairs:
            if key in obj:
                self.duplicates.append((obj, key))
            obj[key] = value
        return obj

    def constant(self, text: str) -> _Flag:
        flag = _Flag("nonstandard_number", text)
        self.flags.append(flag)
        return flag

    def float_(self, text: str) -> float | _Flag:
        value = float(text)
        if math.isinf(value):
            flag = _Flag("nonstandard_number", text)
            self.flags.append(flag)
            return flag
        return value


def _locate(root: Any, collector: _Collector) -> list[Violation]:
    """Walk the parsed tree (iteratively: it may be deep) and turn the findings into violations.

    Findings that are no longer reachable (inside a value a later duplicate key replaced) are
    still reported, at the document root, so that nothing is silently accepted.
    """
    dup_by_obj: dict[int, list[str]] = {}
    for obj, key in collector.duplicates:
        dup_by_obj.setdefault(id(obj), []).append(key)
    seen_dups: set[tuple[int, str]] = set()
    seen_flags: set[int] = set()
    violations: list[Violation] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key in dup_by_obj.get(id(node), ()):
                if (id(node), key) in seen_dups:
                    continue
                seen_dups.add((id(node), key))
                violations.append(_duplicate_violation(key, path))
            children = [(v, (*path, k)) for k, v in node.items()]
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(reversed([(v, (*path, i)) for i, v in enumerate(node)]))
        elif isinstance(node, _Flag):
            seen_flags.add(id(node))
            violations.append(_number_violation(node, path))
    for obj, key in collector.duplicates:
        if (id(obj), key) not in seen_dups:
            seen_dups.add((id(obj), key))
            violations.append(_duplicate_violation(key, None))
    for flag in collector.flags:
        if id(flag) not in seen_flags:
            violations.append(_number_violation(flag, None))
    return violations


def _where(path: tuple[str | int, ...] | None) -> str:
    if path is None:
        return "inside a value replaced by a duplicate key"
    pointer = json_pointer(*path)
    return f"at JSON pointer {json.dumps(pointer)}" if pointer else "at the top level"


def _duplicate_violation(key: str, obj_path: tuple[str | int, ...] | None) -> Violation:
    where = "in the object " + _where(obj_path)
    pointer = json_pointer(*obj_path, key) if obj_path is not None else ""
    message = f"{MALFORMED_PREFIX}duplicate key {json.dumps(key)} {where}"
    return Violation(pointer, "duplicate_key", message)


def _number_violation(flag: _Flag, path: tuple[str | int, ...] | None) -> Violation:
    pointer = json_pointer(*path) if path is not None else ""
    message = (
        f"{MALFORMED_PREFIX}non-standard number {flag.text} {_where(path)} "
        "(NaN, Infinity and numbers beyond the double range are not JSON)"
    )
    return Violation(pointer, flag.rule, message)


def parse_json_text(text: str) -> Any:
    """Parse a request body strictly (see the module docstring); raise `ValidationError` if bad.

    Objects come back as `dict` in document order, integers as `int`, other numbers as `float`.
    """
    collector = _Collector()
    try:
        value = json.loads(
            text,
            object_pairs_hook=collector.object_pairs,
            parse_constant=collector.constant,
            parse_float=collector.float_,
        )
    except json.JSONDecodeError as exc:
        message = MALFORMED_PREFIX + exc.msg
        raise ValidationError(message, [Violation("", "json_syntax", message)]) from exc
    except RecursionError as exc:
        message = MALFORMED_PREFIX + "nesting is too deep"
        raise ValidationError(message, [Violation("", "nesting_depth", message)]) from exc
    except ValueError as exc:
        # Only int() raises a plain ValueError here: a literal beyond sys.get_int_max_str_digits().
        message = (
            f"{MALFORMED_PREFIX}an integer literal has more than "
            f"{sys.get_int_max_str_digits()} digits"
        )
        raise ValidationError(message, [Violation("", "number_too_long", message)]) from exc
    if collector.duplicates or collector.flags:
        raise ValidationError.from_violations(_locate(value, collector))
    return value


def dumps_response_body(obj: Any) -> str:
    """HTTP response body text: `json.dumps` defaults (``", "``/``": "``, key order, ASCII)."""
    return json.dumps(obj, allow_nan=False)


def dumps_canonical(obj: Any) -> str:
    """Canonical compact text: sorted keys at every level, ``","``/``":"``, ASCII-only escapes.

    Byte-identical to the old runtime's payload and S3 record texts; the fingerprint and the
    legacy hash are computed over it, so its output for a given value must never change.
    """
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, allow_nan=False)


def same_json_value(a: Any, b: Any) -> bool:
    """Whether two decoded JSON values are the same value, type for type: unlike `==`, the
    numbers 1, 1.0 and true differ, and so do 0.0 and -0.0 (each writes, hashes and decodes
    differently); objects must also list their keys in the same order. A NaN, which is not
    JSON, is only the same as itself (the very object), as list `==` has it.

    Why not `repr(a) == repr(b)`: the child compares each shard's payload with the run's
    (issue 13), about 70 values per shard, and `==` plus the element types of each list
    (both C loops) cost a fraction of the floats' repr.
    """
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is list:
        if len(a) != len(b) or a != b:
            return False
        kinds = list(map(type, a))
        if kinds != list(map(type, b)):
            return False
        # `==` takes -0.0 for 0.0 (`0.0 in a` finds 0 and false too: only floats are compared)
        if (
            float in kinds
            and 0.0 in a
            and any(
                k is float and _sign(x) != _sign(y) for k, x, y in zip(kinds, a, b, strict=True)
            )
        ):
            return False
        if list in kinds or dict in kinds:
            return all(
                same_json_value(x, y)
                for k, x, y in zip(kinds, a, b, strict=True)
                if k is list or k is dict
            )
        return True
    if kind is dict:
        if len(a) != len(b) or list(a) != list(b):
            return False
        return all(same_json_value(value, b[key]) for key, value in a.items())
    if kind is float:
        return a == b and _sign(a) == _sign(b)
    return bool(a == b)


def _sign(value: float) -> float:
    return math.copysign(1.0, value)


def json_matcher(value: Any) -> Callable[[Any], bool]:
    """`same_json_value(x, value)` for many `x` against one `value`, for an `x` already known
    to be `== value`: what `==` cannot tell (types, the sign of a zero, key order) is worked
    out once here, so each test only compares the types of `x`'s items (C loops) with the
    ones recorded. `value` must not change afterwards (pass a copy).

    The child tests every shard's payload against its run's with `x == value and
    matcher(x)` (issue 13): a few microseconds for a payload of 70 values."""
    kind = type(value)
    if kind is list:
        kinds = list(map(type, value))
        signs = [(i, _sign(v)) for i, v in enumerate(value) if type(v) is float and v == 0.0]
        nested = [(i, json_matcher(v)) for i, v in enumerate(value) if type(v) in (list, dict)]

        def same_list(x: Any) -> bool:
            if type(x) is not list or list(map(type, x)) != kinds:
                return False
            return all(_sign(x[i]) == sign for i, sign in signs) and all(
                match(x[i]) for i, match in nested
            )

        return same_list
    if kind is dict:
        keys = list(value)
        items = [(key, json_matcher(item)) for key, item in value.items()]

        def same_dict(x: Any) -> bool:
            return type(x) is dict and list(x) == keys and all(m(x[k]) for k, m in items)

        return same_dict
    if kind is float and value == 0.0:
        sign = _sign(value)
        return lambda x: type(x) is float and _sign(x) == sign
    return lambda x: type(x) is kind
