"""Per-point detail datasets a request may ask for (`outputs`, issue 11).

`outputs: ["trips", "snapshots"]` makes the child write, beside shard_metrics, one trip_data
row per rider request and one snapshot_counts row per snapshot interval of every point
(column specs in schemas/v1/datasets/). Only a model that says so can produce them: a model
lists the outputs it supports in an optional ``detail_outputs`` attribute (a set of names) and
implements ``run_point_detailed(point, context, outputs) -> (values, {dataset: columns})``.
legacy_hash and plug-ins written before have neither, so a request that asks them for outputs
gets a 400 at ``/outputs`` naming the model, instead of a run that silently writes nothing.

Pure standard library: the parent (no numpy) imports this for the check.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

from serverless_sweep.core.errors import Violation, json_pointer
from serverless_sweep.core.outputs import DATASET_OF_OUTPUT, OUTPUTS, request_outputs

__all__ = [
    "DATASET_OF_OUTPUT",
    "OUTPUTS",
    "DetailModel",
    "output_violations",
    "request_outputs",
    "supported_outputs",
]


class DetailModel(Protocol):
    """What a model that supports outputs has besides `SimulationModel`'s members."""

    detail_outputs: Collection[str]

    def run_point_detailed(
        self, point: Mapping[str, Any], context: Any, outputs: Collection[str]
    ) -> tuple[dict[str, Any], dict[str, dict[str, list[Any]]]]:
        """`run_point`'s values, and dataset -> columns (name -> values) of the point."""


def supported_outputs(model: object) -> frozenset[str]:
    """The outputs a model can produce (none unless it declares `detail_outputs` and has
    `run_point_detailed`)."""
    declared = getattr(model, "detail_outputs", None)
    if not declared or not callable(getattr(model, "run_point_detailed", None)):
        return frozenset()
    return frozenset(str(name) for name in declared)


def output_violations(model: object, model_name: str, outputs: Sequence[str]) -> list[Violation]:
    """One violation at /outputs when the model cannot produce every requested output."""
    missing = [name for name in outputs if name not in supported_outputs(model)]
    if not missing:
        return []
    can = sorted(supported_outputs(model))
    message = (
        f"outputs {missing} cannot be produced by model {model_name!r}: "
        + (f"it supports only {can}" if can else "it writes no per-point detail datasets")
        + "; remove outputs or use a model that supports them (ride_hailing)"
    )
    return [Violation(json_pointer("outputs"), "unsupported_output", message)]
