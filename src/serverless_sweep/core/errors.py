"""Errors raised by the pure core.

`ValidationError` keeps the old runtime's class name (replay fixtures compare it) and its
message (the first violation, worded as before), and adds every violation found as
machine-readable details so that API clients can point at the field and the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: where (RFC 6901 JSON pointer), which rule, a message naming the field."""

    pointer: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "rule": self.rule, "message": self.message}


class ValidationError(ValueError):
    """Bad input. `str(error)` is the first violation's message; `details` lists them all."""

    def __init__(self, message: str, details: Sequence[Violation] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details: tuple[Violation, ...] = tuple(details) or (Violation("", "invalid", message),)

    @classmethod
    def from_violations(
        cls, violations: Sequence[Violation], message: str | None = None
    ) -> ValidationError:
        """Build the error from every violation found, the first one being the one to report.

        `message` overrides the headline when the first violation's own text is more precise
        than the field's established message (for example a 64-bit range detail under the old
        "seed must be an integer" headline that clients already match on).
        """
        if not violations:
            raise ValueError("from_violations needs at least one violation")
        return cls(violations[0].message if message is None else message, violations)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """ "; did you mean 'x'?" naming the closest known name (a typo's likely intent), or "".

    difflib is imported here, on the first unknown name: a Lambda cold start never needs it.
    """
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def json_pointer(*parts: str | int) -> str:
    """Build an RFC 6901 pointer, escaping '~' and '/' inside keys."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + p for p in escaped)


def violations_from_pydantic(
    errors: Iterable[Mapping[str, Any]], root: str = ""
) -> list[Violation]:
    """Turn pydantic's `ValidationError.errors()` into violations (pointer, rule, message).

    The generated contract models validate documents the old-style checks let through; their
    findings must still name the field and the rule like every other rejection.
    """
    violations = []
    for error in errors:
        pointer = root + json_pointer(*error.get("loc", ()))
        rule = str(error.get("type", "invalid"))
        violations.append(
            Violation(pointer, rule, f"{pointer or '/'}: {error.get('msg', 'invalid')}")
        )
    return violations
