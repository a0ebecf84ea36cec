"""`RideHailingModel`: the plug-in the handlers call (see `serverless_sweep.models.base`)."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from serverless_sweep.core.errors import ValidationError, Violation, did_you_mean, json_pointer
from serverless_sweep.models.base import ModelError, ModelRule, PointContext
from serverless_sweep.models.presets import load_package_presets
from serverless_sweep.models.ride_hailing.params import (
    PARAMETER_NAMES,
    PARAMETERS,
    RideHailingParams,
    check_value,
    hungarian_without_batch_violation,
)

MODEL_NAME = "ride_hailing"


def load_presets() -> dict[str, dict[str, Any]]:
    """The presets shipped in this package (read once per process)."""
    return load_package_presets(__package__ or "serverless_sweep.models.ride_hailing")


class RideHailingModel:
    """Discrete-event simulation of a Berlin ride-hailing marketplace, one point per call.

    Construction is free; the grid is built on the first `run_point` of the process.
    Validation (`validate_dimensions`) imports nothing beyond the standard library, the
    contracts and core: numpy, h3 and the simulation are imported by the first `run_point`,
    so the parent (which never simulates) can be packaged without them.
    """

    @property
    def name(self) -> str:
        return MODEL_NAME

    def validate_dimensions(self, dimensions: Mapping[str, Sequence[Any]]) -> list[Violation]:
        violations: list[Violation] = []
        valid: dict[str, list[Any]] = {}
        for name, values in dimensions.items():
            spec = PARAMETERS.get(name)
            if spec is None:
                violations.append(
                    Violation(
                        json_pointer("dimensions", name),
                        "unknown_parameter",
                        f"Dimension '{name}' is not a parameter of model {MODEL_NAME}; "
                        f"allowed names: {', '.join(PARAMETER_NAMES)}"
                        f"{did_you_mean(name, PARAMETER_NAMES)}",
                    )
                )
                continue
            if isinstance(values, str | bytes) or not isinstance(values, Sequence):
                violations.append(
                    Violation(
                        json_pointer("dimensions", name),
                        "type",
                        f"Dimension '{name}' must be a list of values",
                    )
                )
                continue
            good = []
            for index, value in enumerate(values):
                pointer = json_pointer("dimensions", name, index)
                problem = check_value(name, spec, value, pointer, label="Dimension")
                if problem is None:
                    good.append(value)
                else:
                    violations.append(problem)
            valid[name] = good
        # The cross-parameter rule (hungarian needs batch matching) is not a rejection any more:
        # it is a ModelRule (`rules`), so the parent skips exactly the combinations it forbids
        # and refuses only a sweep that has nothing else (issue 14).
        return violations

    @property
    def rules(self) -> tuple[ModelRule, ...]:
        """Combinations never simulated: hungarian matching without batch matching."""
        message = hungarian_without_batch_violation(
            ["hungarian"], [False], "", "every point of the sweep"
        )
        assert message is not None
        return (
            ModelRule(
                when={"matching_algorithm_type": "hungarian", "batch_matching_enabled": False},
                message=message.message,
                pointer_name="batch_matching_enabled",
            ),
        )

    @property
    def parameter_defaults(self) -> dict[str, Any]:
        return {name: spec.default for name, spec in PARAMETERS.items()}

    @property
    def presets(self) -> dict[str, dict[str, Any]]:
        """Named sweep spaces (presets.json beside this module; documented in
        schemas/v1/models/ride_hailing/PRESETS.md)."""
        return load_presets()

    def warm_up(self) -> None:
        """Build the grid now (a local worker calls this before its first shard)."""
        from serverless_sweep.models.ride_hailing.grid import berlin_grid

        berlin_grid()

    def cost_hint(self, point: Mapping[str, Any]) -> float:
        """A point's expected cost, relative (about ms on this machine's 2026-12 build), for
        ordering only: a local runtime starts the costliest shards first so the run's tail
        does not leave a worker idle. Riders, the candidate search (drivers x match radius)
        and surge's quotes, fitted to the 48-point example's compute_ms (issue 13)."""
        defaults = self.parameter_defaults

        def number(name: str) -> float:
            value = point.get(name, defaults.get(name))
            return float(value) if isinstance(value, int | float) else 0.0

        riders, drivers = number("num_riders"), number("num_drivers")
        radius = max(1.0, number("match_radius"))
        surge = 1.0 if point.get("surge_enabled", defaults.get("surge_enabled")) else 0.0
        return 0.03 * riders + 0.06 * drivers * radius + 0.025 * riders * surge

    def run_point(self, point: Mapping[str, Any], context: PointContext) -> dict[str, Any]:
        from serverless_sweep.core.seeding import point_seed_sequence
        from serverless_sweep.models.ride_hailing.sim import simulate

        try:
            params = RideHailingParams.from_point(point)
        except ValidationError as error:
            raise ModelError(f"invalid ride_hailing point: {error.message}") from error
        metrics = simulate(params, point_seed_sequence(context.seed, context.point_index))
        return params.as_dict() | metrics.as_dict()

    #: Issue 11's per-point detail datasets (`serverless_sweep.models.outputs`).
    detail_outputs: frozenset[str] = frozenset({"snapshots", "trips"})

    def run_point_detailed(
        self, point: Mapping[str, Any], context: PointContext, outputs: Collection[str]
    ) -> tuple[dict[str, Any], dict[str, dict[str, list[Any]]]]:
        """`run_point`, plus the requested detail tables (dataset -> columns, without the
        shard/point/attempt keys the child adds); see `ride_hailing.detail`. The metrics are
        the same as `run_point`'s."""
        from serverless_sweep.core.seeding import point_seed_sequence
        from serverless_sweep.models.ride_hailing.detail import DetailRecorder
        from serverless_sweep.models.ride_hailing.sim import simulate

        try:
            params = RideHailingParams.from_point(point)
        except ValidationError as error:
            raise ModelError(f"invalid ride_hailing point: {error.message}") from error
        recorder = DetailRecorder()
        metrics = simulate(params, point_seed_sequence(context.seed, context.point_index), recorder)
        return params.as_dict() | metrics.as_dict(), recorder.tables(outputs)

    def summarize(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        n = len(rows)

        def total(column: str) -> float:
            return math.fsum(float(row[column]) for row in rows)

        return {
            "points_processed": n,
            "total_riders": sum(int(row["total_riders"]) for row in rows),
            "completed_riders": sum(int(row["completed_riders"]) for row in rows),
            "platform_revenue": total("platform_revenue"),
            "total_fares_collected": total("total_fares_collected"),
            "mean_conversion_rate": total("conversion_rate") / n if n else 0.0,
        }
