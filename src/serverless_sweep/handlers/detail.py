"""The child's per-point detail datasets (issue 11): trip_data and snapshot_counts.

When a shard payload carries `outputs`, the child runs each point through the model's
`run_point_detailed` (`serverless_sweep.models.outputs`) instead of `run_point`, gathers the
tables here with the shard/point/attempt keys in front, and writes one Parquet file per
dataset beside its shard_metrics file, under the same rules (handlers/child.py):

* keys are per attempt (``part-<shard>-<attempt>.parquet``, `StorageLayout.detail_key`),
  written create-if-absent; a platform retry of the same attempt adopts an earlier delivery's
  intact file, and a damaged one fails the attempt (nothing is overwritten, a redrive is a
  new attempt and a new key);
* the success envelope commits them: ``output_metadata.detail_files`` names each file with its
  size, SHA-256 and row count, so queries read only committed files and `sweep verify` checks
  them like the metrics file. Without outputs nothing here runs and the envelope is unchanged.

Rows are in point order, then in the model's own order (riders, snapshots), so a dataset's
rows are the same for any shard layout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from serverless_sweep.core.errors import ValidationError
from serverless_sweep.core.keys import StorageLayout
from serverless_sweep.core.outputs import DATASET_OF_OUTPUT
from serverless_sweep.handlers.parquet import encode_table, sha256_hex
from serverless_sweep.models.base import PointContext, SimulationModel
from serverless_sweep.models.outputs import DetailModel, output_violations

__all__ = ["DetailRows", "detail_rows", "write_detail_files"]

#: key, bytes, expected rows -> the bytes at the key (the child's create-if-absent write).
WriteRows = Callable[[str, bytes, int], bytes]


@dataclass
class DetailRows:
    """The detail tables of one shard attempt, filled point by point."""

    outputs: tuple[str, ...]
    shard_id: int
    attempt: int
    # dataset -> column -> values, keys first.
    columns: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def run_point(
        self, model: SimulationModel, point: Mapping[str, Any], context: PointContext
    ) -> dict[str, Any]:
        """The model's values of the point (as `run_point`), its detail rows kept here."""
        detailed = cast(DetailModel, model)  # detail_rows checked that it is one
        values, tables = detailed.run_point_detailed(point, context, self.outputs)
        for output in self.outputs:
            dataset = DATASET_OF_OUTPUT[output]
            table = tables[dataset]
            rows = len(next(iter(table.values()))) if table else 0
            target = self.columns.setdefault(dataset, {})
            for name, value in (
                ("shard_id", self.shard_id),
                ("point_index", context.point_index),
                ("attempt", self.attempt),
            ):
                target.setdefault(name, []).extend([value] * rows)
            for name, values_ in table.items():
                target.setdefault(name, []).extend(values_)
        return dict(values)

    def encoded(self) -> dict[str, tuple[bytes, int]]:
        """dataset -> (Parquet bytes, rows), in dataset order; every requested dataset gets a
        file, an empty one when its points produced no rows."""
        import pyarrow as pa

        from serverless_sweep.contracts.generated.v1.arrow_schemas import DATASET_SCHEMAS

        files: dict[str, tuple[bytes, int]] = {}
        for dataset in sorted(DATASET_OF_OUTPUT[o] for o in self.outputs):
            schema = DATASET_SCHEMAS[dataset]
            columns = self.columns.get(dataset, {})
            data = {name: columns.get(name, []) for name in schema.names}
            table = pa.Table.from_pydict(data, schema=schema)
            files[dataset] = (encode_table(table), table.num_rows)
        return files


def detail_rows(
    outputs: Sequence[str] | None, model: SimulationModel, shard_id: int, attempt: int
) -> DetailRows | None:
    """Collector of the payload's outputs, or None when it asks for none (the usual case).

    A payload asking a model for outputs it cannot produce (the parent refuses such requests,
    so only a hand-made payload does) is an invalid payload."""
    if not outputs:
        return None
    violations = output_violations(model, model.name, outputs)
    if violations:
        raise ValidationError.from_violations(violations)
    return DetailRows(tuple(sorted(set(outputs))), shard_id, attempt)


def write_detail_files(
    detail: DetailRows | None,
    layout: StorageLayout,
    run_date: str,
    run_id: str,
    write: WriteRows,
) -> dict[str, Any]:
    """Write the shard's detail files (create-if-absent through `write`) and return the
    envelope's ``output_metadata`` additions: ``{"detail_files": [...]}``, or {} without
    outputs (the envelope is then what it was before issue 11)."""
    if detail is None:
        return {}
    files = []
    for dataset, (data, rows) in detail.encoded().items():
        key = layout.detail_key(dataset, run_date, run_id, detail.shard_id, detail.attempt)
        stored = write(key, data, rows)
        files.append(
            {
                "dataset": dataset,
                "key": key,
                "rows": rows,
                "sha256": sha256_hex(stored),
                "size": len(stored),
            }
        )
    return {"detail_files": files}
