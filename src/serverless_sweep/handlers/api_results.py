"""What the API handlers answer, as types: results returned, refusals raised.

`ParentHandler.submit` / `redrive` and `StatusHandler.handle` return these (or the generated
`RunStatus`), and raise `core.errors.ValidationError` (400) or a `Refusal` below for what they
refuse. Only the HTTP edge (`entrypoints/http`) turns them into status codes and bodies; the CLI
reads them directly (which shards went out, which could not be dispatched), so nothing parses a
response body or a `/shards/N` pointer back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from serverless_sweep.core.errors import Violation

if TYPE_CHECKING:  # status.py imports this module, and the dispatcher imports status.py
    from serverless_sweep.core.planning import ShardRange
    from serverless_sweep.handlers.dispatcher import DispatchOutcome
    from serverless_sweep.handlers.runs import RunRecord

__all__ = [
    "Accepted",
    "AlreadySubmitted",
    "Conflict",
    "DispatchNotStarted",
    "InternalFailure",
    "Misconfigured",
    "NotFound",
    "NothingToRedrive",
    "Refusal",
    "SubmitResult",
]


# -- results -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Accepted:
    """A run (`dispatch_submitted`) or a redrive (`redrive_submitted`) was recorded and its
    dispatch job ran inline (`complete`: `outcomes` holds one per shard, in plan order) or was
    handed to the dispatcher (`under_way`: no outcomes yet).

    `shards` are the job's shards, each at `attempt`. Some may have failed to dispatch inline
    (`failed`): the run is recorded all the same, and a redrive dispatches exactly those.
    """

    record: RunRecord
    status: Literal["dispatch_submitted", "redrive_submitted"]
    dispatch_state: Literal["complete", "under_way"]
    shards: Sequence[ShardRange]
    attempt: int
    outcomes: tuple[DispatchOutcome, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def failed(self) -> list[DispatchOutcome]:
        """The inline invocations the invoke API refused (none when under way)."""
        return [o for o in self.outcomes if not o.ok]

    @property
    def dispatched_shard_ids(self) -> set[int]:
        """The shards that went out (under way: all of them, the dispatcher invokes each)."""
        if self.dispatch_state == "under_way":
            return {s.shard_id for s in self.shards}
        return {o.shard_id for o in self.outcomes if o.ok}


@dataclass(frozen=True, slots=True)
class AlreadySubmitted:
    """The same run_id with the same request was accepted before: nothing was dispatched."""

    record: RunRecord
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NothingToRedrive:
    """Every shard of the run has an intact success: a redrive dispatches nothing."""

    record: RunRecord


SubmitResult = Accepted | AlreadySubmitted


# -- refusals ------------------------------------------------------------------------------------


class Refusal(Exception):
    """A request the handler cannot serve, with the ErrorResponse `error` code that names why.

    The edge maps each subclass to its status (see `entrypoints/http/errors.py`).
    """

    code: ClassVar[str] = "internal_error"

    def __init__(
        self, message: str, details: Sequence[Violation] = (), *, run_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = tuple(details)
        self.run_id = run_id


class NotFound(Refusal):
    """No run with that run_id (404)."""

    code = "not_found"

    @classmethod
    def run(cls, run_id: str) -> NotFound:
        return cls(f"No run with run_id {run_id!r}", run_id=run_id)


class Conflict(Refusal):
    """The run_id was accepted before for a different request (409)."""

    code = "conflict"


class Misconfigured(Refusal):
    """The deployment lacks a setting it needs (500 misconfiguration)."""

    code = "misconfiguration"


class InternalFailure(Refusal):
    """The store failed in a way the message explains (500 internal_error)."""

    code = "internal_error"


class DispatchNotStarted(Refusal):
    """The run (`record`) is recorded but its dispatch job could not be started (502
    dispatch_error); a redrive starts it again."""

    code = "dispatch_error"

    def __init__(self, message: str, *, record: RunRecord) -> None:
        super().__init__(message, run_id=record.run_id)
        self.record = record
