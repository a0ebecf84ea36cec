"""Contract documents without pydantic on the hot paths, with pydantic as the judge of the rest.

The Lambda parent and child validate and build a handful of contract documents per invocation
(the request, the shard payload, the envelopes, the manifest, the API's bodies). Importing
pydantic and building the generated models for them was a quarter of a cold start (issue 8).
So every such call site goes through this module:

1. the generated standard-library checker (`contracts.generated.v1.fast`) is tried first; when
   it accepts, its body is exactly what the model would dump (`model_dump(mode="json",
   exclude_none=True)`), and pydantic is never imported;
2. when it is not sure (an invalid document, or one valid only through a coercion it does not
   reproduce), today's pydantic code runs, imported on first use, so every error message, every
   coercion and every edge case stays the model's own, byte for byte.

`tests/contracts/test_fast_checkers.py` holds the checkers to that: wherever they accept, the
model accepts with an identical dump.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from serverless_sweep.contracts.generated.v1 import fast
from serverless_sweep.core.errors import Violation, violations_from_pydantic

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "ContractRejected",
    "DocumentView",
    "contract_document",
    "model_fields",
    "validated_document",
    "validated_view",
    "view_body",
    "view_from_json",
]

# A `\uD800`-style escape: json.loads makes a lone surrogate of it, pydantic's parser refuses it.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abAB]")


class ContractRejected(ValueError):
    """The generated model refused a document: pydantic's findings as violations.

    `str()` is pydantic's own message (the child quotes it when a manifest is corrupt), so
    callers see what they saw when they caught pydantic's ValidationError themselves.
    """

    def __init__(self, error: Exception, violations: list[Violation]) -> None:
        super().__init__(str(error))
        self.violations = violations


class DocumentView:
    """Read-only attribute access to a contract body, as the model instance would give it.

    A declared field the body leaves out (None, dropped by `exclude_none`) reads as None; an
    undeclared name raises AttributeError. Values are the JSON dump's: a `format: date` field is
    its ISO string, not a `date`.
    """

    __slots__ = ("_body", "_fields")

    def __init__(self, body: dict[str, Any], fields: tuple[str, ...]) -> None:
        self._body = body
        self._fields = fields

    def __getattr__(self, name: str) -> Any:
        try:
            return self._body[name]
        except KeyError:
            if name in self._fields:
                return None
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"DocumentView({self._body!r})"


def view_body(view: object) -> dict[str, Any] | None:
    """The checker's body behind a `DocumentView` (None for a model instance): what a caller
    that validated one document keeps to answer for others that differ only in fields it
    checks itself (the child's shards of one run, issue 13)."""
    return view._body if isinstance(view, DocumentView) else None


def model_class(name: str) -> type[BaseModel]:
    """The generated pydantic class `name` (imports pydantic and that schema's module)."""
    model: type[BaseModel] = getattr(importlib.import_module("serverless_sweep.contracts"), name)
    return model


def model_fields(name: str) -> tuple[str, ...]:
    """The declared fields of model `name`, in schema order (no pydantic needed)."""
    return fast.FIELDS[name]


def _dump(document: BaseModel) -> dict[str, Any]:
    return document.model_dump(mode="json", exclude_none=True)


def contract_document(
    name: str,
    value: Mapping[str, Any],
    fallback: Callable[[], BaseModel] | None = None,
) -> dict[str, Any]:
    """The body of a document the handler builds, as `name`'s model dumps it.

    When the checker is not sure, `fallback` (the call site's own pydantic code, so that it
    stays exactly what it was) or else `Model.model_validate(value)` is dumped; pydantic's
    ValidationError escapes unchanged, as it did.
    """
    body = fast.check(name, value)
    if body is not None:
        return body
    return _dump(fallback() if fallback is not None else model_class(name).model_validate(value))


def _validated_model(name: str, value: object) -> BaseModel:
    from pydantic import ValidationError

    try:
        return model_class(name).model_validate(value)
    except ValidationError as exc:
        raise ContractRejected(exc, violations_from_pydantic(exc.errors())) from None


def validated_document(name: str, value: object) -> dict[str, Any]:
    """The body of a document that came from outside; ContractRejected when the model refuses."""
    body = fast.check(name, value)
    if body is not None:
        return body
    return _dump(_validated_model(name, value))


def validated_view(name: str, value: object) -> Any:
    """The validated document for attribute access: a DocumentView of the checker's body, or
    (when it is not sure) the model instance itself, exactly as before; ContractRejected when
    the model refuses. Typed Any: it stands for the model class at the call site."""
    body = fast.check(name, value)
    if body is not None:
        return DocumentView(body, fast.FIELDS[name])
    return _validated_model(name, value)


def view_from_json(name: str, raw: bytes | str) -> Any:
    """`Model.model_validate_json(raw)` for attribute access: a DocumentView of the checker's
    body, or the model instance when it is not sure; ContractRejected when the model refuses.

    The fast path parses with json.loads only what both parsers read alike: strict UTF-8 text,
    no lone-surrogate escapes (json.loads accepts them, pydantic does not), NaN and infinities
    refused by the checker; anything else goes to pydantic's own parser. Big documents too:
    json.loads and the checker read a 200,000-shard manifest (13 MB) several times faster than
    `model_validate_json`, which builds a model instance per shard.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if _SURROGATE_ESCAPE.search(data) is None:
        try:
            parsed = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):
            parsed = None
        body = fast.check(name, parsed) if isinstance(parsed, dict) else None
        if body is not None:
            return DocumentView(body, fast.FIELDS[name])
    from pydantic import ValidationError

    try:
        return model_class(name).model_validate_json(raw)
    except ValidationError as exc:
        raise ContractRejected(exc, violations_from_pydantic(exc.errors())) from None
