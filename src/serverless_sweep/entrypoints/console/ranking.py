"""A run's points ranked by health score, and the table of the best ones."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from serverless_sweep.entrypoints.console.tables import table_lines
from serverless_sweep.handlers.runs import RunRecord

BEST_SHOWN: Final = 5


def _as_pct(value: object) -> str:
    return "" if value is None else f"{100.0 * float(value):.1f}%"  # type: ignore[arg-type]


def _as_money(value: object) -> str:
    return "" if value is None else f"{float(value):,.0f}"  # type: ignore[arg-type]


def _as_seconds(value: object) -> str:
    return "" if value is None else f"{float(value) / 1000.0:.0f}"  # type: ignore[arg-type]


def _as_int(value: object) -> str:
    return "" if value is None else f"{int(value):,}"  # type: ignore[call-overload]


# model -> (column of a health_scores row, header, formatter): the metrics worth a glance.
DISPLAY_METRICS: Final[dict[str, tuple[tuple[str, str, Callable[[object], str]], ...]]] = {
    "ride_hailing": (
        ("conversion_rate", "conversion", _as_pct),
        ("platform_revenue", "revenue_eur", _as_money),
        ("driver_payouts", "payouts_eur", _as_money),
        ("avg_time_to_match_ms", "match_s", _as_seconds),
        ("avg_time_to_pickup_ms", "pickup_s", _as_seconds),
        ("term_cancel_rate", "cancelled", _as_pct),
        ("term_quote_abandon_rate", "quote_lost", _as_pct),
    ),
    "legacy_hash": (
        ("completed_rides", "completed", _as_int),
        ("platform_revenue_cents", "revenue_cents", _as_int),
        ("abandoned_rides", "abandoned", _as_int),
    ),
}


def swept_parameters(record: RunRecord) -> list[str]:
    """The request's dimension names, in enumeration order (sorted by code point)."""
    dimensions = record.request.get("dimensions", {})
    return sorted(dimensions) if isinstance(dimensions, dict) else []


def point_parameters(row: Mapping[str, Any], record: RunRecord) -> dict[str, Any]:
    """The swept parameter values of one ranked point.

    legacy_hash keeps a point as JSON text (it accepts any names and values); ride_hailing has
    a column per parameter.
    """
    if record.model == "legacy_hash":
        text = row.get("parameters_json")
        point = json.loads(text) if isinstance(text, str) else {}
        return dict(point) if isinstance(point, dict) else {}
    return {name: row.get(name) for name in swept_parameters(record)}


def ranked_records(rows: Sequence[Mapping[str, Any]], record: RunRecord) -> list[dict[str, Any]]:
    """health_scores rows flattened for CSV/JSON: rank, score, parameters, then the rest."""
    out = []
    for row in rows:
        flat: dict[str, Any] = {"rank": row["rank"], "health_score": row["health_score"]}
        params = point_parameters(row, record)
        flat.update(params)
        for key, value in row.items():
            if key not in flat and key not in params:
                flat[key] = value
        out.append(flat)
    return out


def best_lines(rows: Sequence[Mapping[str, Any]], record: RunRecord) -> list[str]:
    """The ranked points as a table: rank, score, swept parameters, the key metrics."""
    if not rows:
        return []
    dimensions = record.request.get("dimensions", {})
    # Only the dimensions that vary tell configurations apart; one-value ones are settings.
    params = [p for p in swept_parameters(record) if len(dimensions.get(p, ())) > 1]
    metrics = DISPLAY_METRICS.get(record.model, ())
    headers = ["rank", "score", *params, *(h for _, h, _ in metrics)]
    table: list[list[object]] = []
    for row in rows:
        point = point_parameters(row, record)
        table.append(
            [
                row["rank"],
                row["health_score"],
                *(point.get(p) for p in params),
                *(row.get(c) for c, _, _ in metrics),
            ]
        )
    formatters: dict[int, Callable[[object], str]] = {1: lambda v: f"{float(v):.3f}"}  # type: ignore[arg-type]
    for i, (_, _, fmt) in enumerate(metrics):
        formatters[2 + len(params) + i] = fmt
    return table_lines(headers, table, formatters=formatters)


def score_lines(model: str) -> list[str]:
    """How the health score is computed, in one or two lines."""
    from serverless_sweep.adapters.local.analytics import health_terms

    terms = health_terms(model)
    parts = [f"{t.weight:.2f} {t.name} {'(up)' if t.higher_is_better else '(down)'}" for t in terms]
    return [
        "health score = " + " + ".join(parts),
        "  (each metric min-max normalized across the run's points, best = 1; a metric equal "
        "at every point counts 0.5)",
    ]


def fetch_best(
    root: Path, record: RunRecord, limit: int | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Ranked points of the run via DuckDB; ([], reason) when that is not possible.

    A compacted run (the usual case once `sweep run` has waited for its last shard) is ranked
    from its few run_metrics files, checked against their commit record, instead of views over
    every file of the store (seconds for a 10,000-shard run: each envelope and file checked).
    """
    from serverless_sweep.adapters.local.analytics import (
        HEALTH_TERMS,
        AnalyticsUnavailable,
        ranked_points,
    )

    if record.model not in HEALTH_TERMS:
        return [], f"no health score is defined for model {record.model}"
    try:
        rows, _view = ranked_points(root, record, limit=limit)
    except AnalyticsUnavailable as exc:
        return [], str(exc)
    except Exception as exc:  # duckdb.Error: a damaged file must not hide the run's status
        return [], f"could not rank the results: {exc}"
    return rows, None
