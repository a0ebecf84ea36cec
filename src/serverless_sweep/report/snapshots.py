"""The report's snapshot series (issue 11): the snapshot_counts of the best and worst points.

Read straight from the files the run's success envelopes commit (`detail_files`), checked
against their recorded size and SHA-256, and only the shard files that hold the two points:
no DuckDB scan of the store. A run without snapshots (no `outputs`) has no such section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from serverless_sweep.core.keys import DATASET_SNAPSHOT_COUNTS
from serverless_sweep.handlers.parquet import committed_object_problem
from serverless_sweep.handlers.ports import ObjectStore
from serverless_sweep.report.svg import time_series

#: The snapshot columns drawn, in legend order.
SERIES: Final[tuple[str, ...]] = (
    "riders_browsing",
    "riders_waiting",
    "riders_awaiting_pickup",
    "riders_in_transit",
    "drivers_idle",
    "drivers_en_route",
)


def snapshot_rows(
    store: ObjectStore,
    envelopes: Sequence[Mapping[str, Any]],
    shard_id: int,
    point_index: int,
) -> list[dict[str, Any]]:
    """The point's snapshot_counts rows in snapshot order ([] when the run wrote none or the
    committed file is damaged)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    for envelope in envelopes:
        if envelope.get("status") != "success" or envelope.get("shard_id") != shard_id:
            continue
        for entry in envelope.get("output_metadata", {}).get("detail_files") or []:
            if not isinstance(entry, dict) or entry.get("dataset") != DATASET_SNAPSHOT_COUNTS:
                continue
            data = store.get(str(entry.get("key")))
            size, digest = entry.get("size"), entry.get("sha256")
            problem = committed_object_problem(
                data,
                size=size if isinstance(size, int) else None,
                sha256=digest if isinstance(digest, str) else None,
            )
            if problem is not None or data is None:
                return []
            table = pq.read_table(pa.BufferReader(data))
            table = table.filter(pc.equal(table["point_index"], point_index))
            rows: list[dict[str, Any]] = table.to_pylist()
            return sorted(rows, key=lambda row: int(row["snapshot_index"]))
    return []


def snapshot_section(
    store: ObjectStore,
    envelopes: Sequence[Mapping[str, Any]],
    ranked: Sequence[Mapping[str, Any]],
) -> str | None:
    """Charts of the best and the worst ranked points' snapshot series, or None when the run
    has no snapshot_counts."""
    if not ranked:
        return None
    picks = [("best", ranked[0])]
    if len(ranked) > 1:
        picks.append(("worst", ranked[-1]))
    charts = []
    for label, row in picks:
        shard_id, point_index = row.get("shard_id"), row.get("point_index")
        if not isinstance(shard_id, int) or not isinstance(point_index, int):
            continue
        rows = snapshot_rows(store, envelopes, shard_id, point_index)
        if not rows:
            continue
        times = [float(r["time_s"]) for r in rows]
        series = [(name, [float(r[name]) for r in rows]) for name in SERIES]
        title = f"{label}: point {point_index} (rank {row.get('rank')}), marketplace over time"
        charts.append(time_series(title, times, series, y_label="count"))
    if not charts:
        return None
    return f'<div class="charts">{"".join(charts)}</div>'
