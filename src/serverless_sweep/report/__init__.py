"""`sweep report`: one self-contained HTML file describing a run (offline, no external URL).

Sections: the run's summary and state; the best configurations by health score; each swept
parameter's effect on the main metrics (mean per value, min-max band as tooltips); heatmaps of
the mean health score for pairs of swept parameters; the timeline of every attempt per
instance (Lambda execution environment or local worker), retries and failures marked; the
failures; the cost and timing ledger; when the request asked for `"outputs": ["snapshots"]`,
the snapshot series of the best and the worst point (`report.snapshots`). Charts are inline
SVG (`report.svg`), styles inline, and one small inline script that only counts the charts (a
headless-browser test reads it), so the file opens from a laptop's disk, an e-mail or an S3
download alike.

Reads a local store through DuckDB (the ``local`` extra): the points from run_metrics when the
run is compacted, else from its per-shard files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from itertools import combinations
from pathlib import Path
from typing import Any, Final

from serverless_sweep import __version__
from serverless_sweep.core.jsonio import dumps_canonical
from serverless_sweep.handlers.runs import RunRecord
from serverless_sweep.report.svg import heatmap, line_chart, timeline

MAX_PARAMETERS: Final = 6
MAX_METRICS: Final = 4
MAX_PAIRS: Final = 6
MAX_BARS: Final = 20_000
BEST_SHOWN: Final = 10

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;
color:#222;max-width:1280px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.state-succeeded{color:#1a7f37;font-weight:600}.state-failed{color:#cf222e;font-weight:600}
.state-running{color:#9a6700;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:10px}.note{color:#666;font-size:12px}
svg.plot{background:#fff;border:1px solid #eee}svg .t{font-size:13px;font-weight:600}
svg .s{font-size:10px;fill:#444}
svg .frame{fill:none;stroke:#bbb}svg .grid{stroke:#eee}svg .lane{fill:#f6f8fa}
svg .bar.success{fill:#2da44e}svg .bar.retry{fill:#bf8700}svg .bar.failure{fill:#cf222e}
"""

_SCRIPT = """
(function(){var n=document.querySelectorAll('svg.plot').length;
document.body.setAttribute('data-plots',String(n));
document.body.setAttribute('data-rendered','yes');})();
"""


def _cell(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return f"<td>{escape(str(value).lower() if value is not None else '')}</td>"
    if isinstance(value, int):
        return f'<td class="n">{value:,}</td>'
    if isinstance(value, float):
        text = (
            "n/a"
            if not math.isfinite(value)
            else (f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}")
        )
        return f'<td class="n">{text}</td>'
    return f"<td>{escape(value if isinstance(value, str) else dumps_canonical(value))}</td>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _label(value: object) -> str:
    return value if isinstance(value, str) else dumps_canonical(value)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(float(value)):
        return float(value)
    return None


def swept(record: RunRecord) -> list[tuple[str, list[object]]]:
    """The request's dimensions with two or more values, in enumeration order."""
    dimensions = record.request.get("dimensions", {})
    if not isinstance(dimensions, dict):
        return []
    return [
        (name, list(dimensions[name])) for name in sorted(dimensions) if len(dimensions[name]) > 1
    ]


def main_metrics(record: RunRecord, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """health_score, then the health score's terms that are columns (the model's key metrics)."""
    from serverless_sweep.adapters.local.analytics import HEALTH_TERMS

    names = ["health_score"]
    if rows:
        for term in HEALTH_TERMS.get(record.model, ()):
            if term.name in rows[0] and term.name not in names:
                names.append(term.name)
    return names[:MAX_METRICS]


def _effects(
    record: RunRecord,
    points: Sequence[tuple[dict[str, Any], Mapping[str, Any]]],
    metrics: Sequence[str],
) -> str:
    charts = []
    for name, values in swept(record)[:MAX_PARAMETERS]:
        labels = [_label(v) for v in values]
        for metric in metrics:
            groups: dict[str, list[float]] = {label: [] for label in labels}
            for params, row in points:
                number = _number(row.get(metric))
                key = _label(params.get(name))
                if number is not None and key in groups:
                    groups[key].append(number)
            means = [_mean(groups[label]) for label in labels]
            charts.append(
                line_chart(
                    f"{metric} by {name}", labels, [(f"mean {metric}", means)], y_label=metric
                )
            )
    if not charts:
        return '<p class="note">No parameter was swept over more than one value.</p>'
    return f'<div class="charts">{"".join(charts)}</div>'


def _heatmaps(record: RunRecord, points: Sequence[tuple[dict[str, Any], Mapping[str, Any]]]) -> str:
    dims = swept(record)[:MAX_PARAMETERS]
    maps = []
    for (x_name, x_values), (y_name, y_values) in list(combinations(dims, 2))[:MAX_PAIRS]:
        x_labels, y_labels = [_label(v) for v in x_values], [_label(v) for v in y_values]
        cells: dict[tuple[str, str], list[float]] = {}
        for params, row in points:
            number = _number(row.get("health_score"))
            if number is not None:
                cells.setdefault(
                    (_label(params.get(x_name)), _label(params.get(y_name))), []
                ).append(number)
        grid = [[_mean(cells.get((x, y), [])) for x in x_labels] for y in y_labels]
        maps.append(
            heatmap(
                f"mean health score: {y_name} x {x_name}", x_name, x_labels, y_name, y_labels, grid
            )
        )
    if not maps:
        return '<p class="note">Heatmaps need two swept parameters.</p>'
    return f'<div class="charts">{"".join(maps)}</div>'


def _time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timeline(record: RunRecord, envelopes: Sequence[Mapping[str, Any]]) -> str:
    attempts = []
    for envelope in envelopes:
        end = _time(envelope.get("ended_at")) or _time(envelope.get("event_time"))
        start = _time(envelope.get("started_at"))
        if start is None and end is not None:
            duration = envelope.get("duration_ms")
            start = (
                end
                if not isinstance(duration, int | float)
                else end - _seconds(float(duration) / 1000)
            )
        if start is None or end is None:
            continue
        attempts.append((start, end, envelope))
    if not attempts:
        return (
            '<p class="note">No attempt recorded its start and end times '
            "(runs from before the ledger).</p>"
        )
    origin = _time(record.manifest.get("accepted_at")) or min(a[0] for a in attempts)
    origin = min(origin, min(a[0] for a in attempts))
    lanes: dict[str, int] = {}
    bars = []
    attempts.sort(key=lambda a: a[0])
    for start, end, envelope in attempts[:MAX_BARS]:
        lane = str(envelope.get("instance_id") or "unknown instance")
        index = lanes.setdefault(lane, len(lanes))
        failed = envelope.get("status") == "failure"
        attempt = int(envelope.get("attempt", 1) or 1)
        kind = "failure" if failed else ("retry" if attempt > 1 else "success")
        what = (
            f"{envelope.get('error_kind', 'failed')}: {envelope.get('error_message', '')}"[:160]
            if failed
            else "ok"
        )
        tip = (
            f"shard {envelope.get('shard_id')} attempt {attempt} on {lane}: "
            f"{(end - start).total_seconds():.3f} s, {what}"
        )
        bars.append(
            (index, (start - origin).total_seconds(), (end - origin).total_seconds(), kind, tip)
        )
    span = max(b[2] for b in bars)
    note = (
        f'<p class="note">{len(attempts):,} attempts on {len(lanes)} instance(s); '
        f"time from the run's acceptance.</p>"
    )
    if len(attempts) > MAX_BARS:
        note += f'<p class="note">Only the first {MAX_BARS:,} attempts are drawn.</p>'
    return timeline("attempts per instance over time", list(lanes), bars, span_s=span) + note


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)


def _snapshots(charts: str | None) -> str:
    if charts is None:
        return ""
    return (
        '<h2 id="snapshots">Marketplace over time</h2>\n<p class="note">snapshot_counts '
        "(the request's outputs) of the best and the worst point: riders and drivers per state "
        "every 60 simulated seconds.</p>\n" + charts
    )


def _ledger(ledger: Mapping[str, Any] | None) -> str:
    if not ledger:
        return '<p class="note">The ledger is computed once no shard is pending.</p>'
    prices = ledger.get("price_table", {})
    rows = [
        ("invocations", ledger.get("invocations")),
        ("cold starts", ledger.get("cold_starts")),
        ("compute seconds", ledger.get("compute_seconds")),
        ("GB-seconds", ledger.get("gb_seconds")),
        ("shard seconds p50", ledger.get("shard_seconds_p50")),
        ("shard seconds p95", ledger.get("shard_seconds_p95")),
        ("wall seconds", ledger.get("wall_seconds")),
        ("estimated USD", ledger.get("estimated_usd")),
        ("attempts priced at an assumed memory", ledger.get("memory_assumed_invocations")),
        ("assumed memory (MB)", ledger.get("assumed_memory_mb")),
        ("price table", f"{prices.get('name')} as of {prices.get('as_of')}"),
        (
            "USD per GB-second / per million requests",
            f"{prices.get('usd_per_gb_second')} / {prices.get('usd_per_million_requests')}",
        ),
        ("not included", prices.get("excludes")),
    ]
    return _table(["", "value"], rows)


def build_report(
    record: RunRecord,
    status: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    envelopes: Sequence[Mapping[str, Any]],
    *,
    source: str,
    generated_at: datetime | None = None,
    snapshots: str | None = None,
) -> str:
    """The report's HTML text. `rows` are the run's points ranked by health score (every
    column, `ranked_points`), `envelopes` its outcome envelopes, `source` the view read,
    `snapshots` the charts of the best and worst points' snapshot series
    (`report.snapshots.snapshot_section`; None: the run wrote no snapshot_counts)."""
    from serverless_sweep.handlers.results import split_point

    points = [(split_point(row, record.model)[0], row) for row in rows]
    metrics = main_metrics(record, rows)
    dims = [name for name, _ in swept(record)]
    state = str(status.get("state", "unknown"))
    summary = _table(
        ["", ""],
        [
            ("run", record.run_id),
            ("state", state),
            ("model", record.model),
            ("accepted", str(record.manifest.get("accepted_at", ""))),
            ("fingerprint", record.fingerprint),
            (
                "points",
                f"{status.get('points_done', 0):,} of {record.total_points:,} computed "
                f"(coverage {100 * float(status.get('coverage', 0)):.1f}%)",
            ),
            (
                "shards",
                f"{status.get('shard_count')} total: {status.get('succeeded_shards')} succeeded, "
                f"{status.get('failed_shards')} failed, {status.get('pending_shards')} pending, "
                f"{status.get('lost_shards', 0)} lost",
            ),
            (
                "swept parameters",
                ", ".join(f"{n} ({len(v)} values)" for n, v in swept(record)) or "none",
            ),
            ("results read from", source),
        ],
    )
    best_headers = ["rank", "score", *dims, *[m for m in metrics if m != "health_score"]]
    best_rows = [
        [
            row.get("rank"),
            row.get("health_score"),
            *[params.get(d) for d in dims],
            *[row.get(m) for m in metrics if m != "health_score"],
        ]
        for params, row in points[:BEST_SHOWN]
    ]
    failures = list(status.get("failures", []))
    failure_html = (
        _table(
            ["shard", "attempt", "kind", "error", "message"],
            [
                [
                    f.get("shard_id"),
                    f.get("attempt"),
                    f.get("error_kind"),
                    f.get("error_code"),
                    str(f.get("error_message", ""))[:300],
                ]
                for f in failures[:200]
            ],
        )
        if failures
        else '<p class="note">No shard failed for good.</p>'
    )
    failed_attempts = sum(1 for e in envelopes if e.get("status") == "failure")
    moment = (generated_at or datetime.now(UTC)).isoformat(timespec="seconds")
    title = f"sweep report: {record.run_id}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="note">serverless-sweep {escape(__version__)}, generated {escape(moment)};
one file, no external resources.</p>
<p>State: <span class="state-{escape(state)}">{escape(state)}</span></p>
<h2 id="summary">Summary</h2>{summary}
<h2 id="best">Best configurations</h2>
<p class="note">By health score (relative to this run: each metric min-max normalized
across its points).</p>
{_table(best_headers, best_rows) if best_rows else '<p class="note">No result rows yet.</p>'}
<h2 id="effects">Parameter effects</h2>
<p class="note">Mean of each main metric per value of a swept parameter, over every other
parameter.</p>
{_effects(record, points, metrics)}
<h2 id="heatmaps">Heatmaps</h2>
{_heatmaps(record, points)}
<h2 id="timeline">Timeline</h2>
{_timeline(record, envelopes)}
{_snapshots(snapshots)}
<h2 id="failures">Failures</h2>
<p class="note">{failed_attempts} failed attempt(s) recorded; the latest failure of each shard
that has not succeeded:</p>
{failure_html}
<h2 id="ledger">Cost and timing ledger</h2>
{_ledger(status.get("ledger"))}
<script>{_SCRIPT}</script>
</body></html>
"""


def write_report(root: Path, record: RunRecord, status: Mapping[str, Any], output: Path) -> Path:
    """Gather the run's data from the local store at `root` and write the report to `output`."""
    from serverless_sweep.adapters.local.analytics import HEALTH_TERMS, ranked_points
    from serverless_sweep.adapters.local.runtime import LOCAL_PREFIX
    from serverless_sweep.adapters.local.store import LocalObjectStore
    from serverless_sweep.core.keys import StorageLayout
    from serverless_sweep.handlers.ledger import outcome_envelopes
    from serverless_sweep.report.snapshots import snapshot_section

    rows: list[dict[str, Any]] = []
    source = "no health score for this model"
    if record.model in HEALTH_TERMS:
        rows, source = ranked_points(root, record)
    store = LocalObjectStore(root)
    envelopes = outcome_envelopes(store, StorageLayout(LOCAL_PREFIX), record)
    snapshots = snapshot_section(store, envelopes, rows)
    text = build_report(record, status, rows, envelopes, source=source, snapshots=snapshots)
    output.write_text(text, encoding="utf-8")
    return output


__all__ = ["build_report", "write_report"]
