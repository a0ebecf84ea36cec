"""The plug-in protocol every simulation model implements.

A model owns its parameter schema (`schemas/v1/models/<name>/parameters.json`) and its Parquet
columns (`schemas/v1/models/<name>/columns.json`). The parent asks it to vet a request's
dimensions; the child asks it to compute one row per point and to summarize a shard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from serverless_sweep.core.errors import Violation


@dataclass(frozen=True, slots=True)
class PointContext:
    """Everything about a point besides its parameter values.

    `seed` is the request's root seed; models that need randomness derive their streams from
    (seed, point_index) only (`serverless_sweep.core.seeding`), never from the shard layout.
    `run_id` and `shard_id` exist for `legacy_hash`, whose old formula hashed them.
    """

    run_id: str
    shard_id: int
    seed: int
    point_index: int


@dataclass(frozen=True, slots=True)
class ModelRule:
    """A combination the model never runs: every point whose parameters equal all of `when`.

    The parent turns a model's rules into exclusions of the request's space (issue 14): a sweep
    that lists both sides of a rule runs the valid points only, numbered without gaps, and the
    202 says how many were skipped; only a sweep whose every point breaks the rule is refused,
    with `message` at `/dimensions/<pointer_name>`. A name the sweep does not list takes the
    model's default (`SimulationModel.parameter_defaults`).
    """

    when: Mapping[str, Any]
    message: str
    pointer_name: str


class ModelError(Exception):
    """A model could not compute a point (recorded as error_kind 'model_error')."""


class SimulationModel(Protocol):
    """What the handlers need from a model."""

    @property
    def name(self) -> str:
        """Registry name, also the `model` column value."""

    def validate_dimensions(self, dimensions: Mapping[str, Sequence[Any]]) -> list[Violation]:
        """Vet dimension names and values (and cross-parameter rules) before anything is dispatched.

        Pointers look like `/dimensions/<name>` or `/dimensions/<name>/<value index>`.
        """

    def run_point(self, point: Mapping[str, Any], context: PointContext) -> dict[str, Any]:
        """Compute one point. Returns the model's own columns (its columns.json), in order."""

    def summarize(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Shard-level metrics for the outcome envelope; must include `points_processed`."""


# Optional members a model may have (looked up with getattr, so the built-in legacy_hash and
# plug-ins written before issue 14 keep working):
#
# * ``rules: Sequence[ModelRule]`` and ``parameter_defaults: Mapping[str, Any]``: combinations
#   never run (see ModelRule);
# * ``presets: Mapping[str, Mapping[str, Any]]``: named sweep spaces (dimensions, ranges,
#   sampling, exclude) a request selects with `preset` (`serverless_sweep.models.presets`);
# * ``column_spec: Mapping[str, Any]`` and ``parameters_schema: Mapping[str, Any]``: what a
#   plug-in model ships instead of files under schemas/v1/models/ (`models.plugin`);
# * ``warm_up()``: build caches before the first shard (local workers call it);
# * ``cost_hint(point) -> float``: a point's expected relative cost; the local runtime starts
#   the costliest shards first so the run's tail does not leave a worker idle.
