"""Small inline-SVG charts for the run report: line charts, heatmaps and a timeline.

Why hand-written SVG and not a plotting library: the report must open offline as one file, and
the charts are simple. A JS library would have to be inlined (hundreds of KB) and be a new
dependency; matplotlib is 40 MB. These functions return `<svg class="plot">` elements whose
every text is escaped; each mark carries a `<title>` (the browser's tooltip, no script).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
# Viridis at 9 stops (low -> high), for heatmaps.
_VIRIDIS = (
    (68, 1, 84),
    (72, 40, 120),
    (62, 73, 137),
    (49, 104, 142),
    (38, 130, 142),
    (31, 158, 137),
    (53, 183, 121),
    (110, 206, 88),
    (253, 231, 37),
)


def _fmt(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 10_000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.3g}"
    return f"{value:.3g}"


def color_scale(share: float) -> str:
    """Viridis color of a value normalized to 0..1."""
    share = min(1.0, max(0.0, share))
    position = share * (len(_VIRIDIS) - 1)
    low = math.floor(position)
    high = min(low + 1, len(_VIRIDIS) - 1)
    t = position - low
    rgb = [round(a + (b - a) * t) for a, b in zip(_VIRIDIS[low], _VIRIDIS[high], strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg class="plot" role="img" aria-label="{escape(label)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body)
        + "</svg>"
    )


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    y_label: str = "",
    width: int = 420,
    height: int = 240,
) -> str:
    """Values per category (a parameter's values on x), one line per series, with markers."""
    left, right, top, bottom = 56, 12, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, ys in series for v in ys if v is not None and math.isfinite(v)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    n = max(1, len(x_labels))

    def x_at(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y_at(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    body = _framed_value_axis(title, width, left, top, plot_w, plot_h, lo, hi, y_at)
    step = max(1, math.ceil(n / 10))
    for i, label in enumerate(x_labels):
        if i % step == 0:
            body.append(
                f'<text x="{x_at(i):.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f'class="s">{escape(label[:12])}</text>'
            )
    if y_label:
        middle = f"{top + plot_h / 2:.0f}"
        body.append(
            f'<text x="12" y="{middle}" transform="rotate(-90 12 {middle})"'
            f' text-anchor="middle" class="s">{escape(y_label)}</text>'
        )
    for s_index, (name, ys) in enumerate(series):
        color = PALETTE[s_index % len(PALETTE)]
        points = [
            (x_at(i), y_at(v), v) for i, v in enumerate(ys) if v is not None and math.isfinite(v)
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for (x, y, v), label in zip(
            points,
            [x_labels[i] for i, v in enumerate(ys) if v is not None and math.isfinite(v)],
            strict=True,
        ):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}" class="mark">'
                f"<title>{escape(name)} at {escape(label)}: {_fmt(v)}</title></circle>"
            )
    if len(series) > 1:
        for s_index, (name, _) in enumerate(series):
            color = PALETTE[s_index % len(PALETTE)]
            y = height - 8
            x = left + s_index * 120
            body.append(f'<rect x="{x}" y="{y - 8}" width="10" height="10" fill="{color}"/>')
            body.append(f'<text x="{x + 14}" y="{y + 1}" class="s">{escape(name[:16])}</text>')
    return _svg(width, height, body, title)


def heatmap(
    title: str,
    x_name: str,
    x_labels: Sequence[str],
    y_name: str,
    y_labels: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    cell: int = 0,
) -> str:
    """A grid of mean values (rows: y labels, columns: x labels), viridis-colored."""
    nx, ny = max(1, len(x_labels)), max(1, len(y_labels))
    cell = cell or max(10, min(44, 400 // max(nx, ny)))
    left, top = 80, 30
    width = max(left + nx * cell + 70, 8 * len(title) + 20)
    height = top + ny * cell + 40
    flat = [v for row in values for v in row if v is not None and math.isfinite(v)]
    lo, hi = (min(flat), max(flat)) if flat else (0.0, 1.0)
    span = (hi - lo) or 1.0
    body = [
        f'<text x="{width / 2:.0f}" y="16" text-anchor="middle" class="t">{escape(title)}</text>'
    ]
    for j, row in enumerate(values):
        for i, v in enumerate(row):
            x, y = left + i * cell, top + j * cell
            if v is None or not math.isfinite(v):
                fill, text = "#dddddd", "no data"
            else:
                fill, text = color_scale((v - lo) / span), _fmt(v)
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" class="cell">'
                f"<title>{escape(x_name)}={escape(x_labels[i])}, {escape(y_name)}="
                f"{escape(y_labels[j])}: {text}</title></rect>"
            )
    step_x, step_y = max(1, math.ceil(44 / cell)), max(1, math.ceil(12 / cell))
    for i, label in enumerate(x_labels):
        if i % step_x == 0:
            mid = left + i * cell + cell / 2
            body.append(
                f'<text x="{mid:.0f}" y="{top + ny * cell + 12}" text-anchor="middle" class="s">'
                f"{escape(label[:8])}</text>"
            )
    for j, label in enumerate(y_labels):
        if j % step_y == 0:
            body.append(
                f'<text x="{left - 4}" y="{top + j * cell + cell / 2 + 4:.0f}" text-anchor="end" '
                f'class="s">{escape(label[:12])}</text>'
            )
    body.append(
        f'<text x="{left + nx * cell / 2:.0f}" y="{height - 6}" text-anchor="middle" class="s">'
        f"{escape(x_name)}</text>"
    )
    legend_x = left + nx * cell + 12
    for k in range(10):
        body.append(
            f'<rect x="{legend_x}" y="{top + (9 - k) * 12}" width="12" height="12" '
            f'fill="{color_scale(k / 9)}"/>'
        )
    body.append(f'<text x="{legend_x + 16}" y="{top + 10}" class="s">{_fmt(hi)}</text>')
    body.append(f'<text x="{legend_x + 16}" y="{top + 120}" class="s">{_fmt(lo)}</text>')
    return _svg(width, height, body, title)


def timeline(
    title: str,
    lanes: Sequence[str],
    bars: Sequence[tuple[int, float, float, str, str]],
    *,
    span_s: float,
    width: int = 900,
) -> str:
    """Attempts per lane over time: bars are (lane index, start s, end s, kind, tooltip), kind
    one of success / retry (a success after an earlier attempt) / failure."""
    lane_h = max(4, min(18, 480 // max(1, len(lanes))))
    left, top = 150, 28
    plot_w = width - left - 16
    height = top + lane_h * max(1, len(lanes)) + 40
    span = span_s if span_s > 0 else 1.0
    body = [
        f'<text x="{width / 2:.0f}" y="16" text-anchor="middle" class="t">{escape(title)}</text>'
    ]
    for index, lane in enumerate(lanes):
        y = top + index * lane_h
        if index % 2 == 0:
            body.append(
                f'<rect x="{left}" y="{y}" width="{plot_w}" height="{lane_h}" class="lane"/>'
            )
        if lane_h >= 9:
            body.append(
                f'<text x="{left - 4}" y="{y + lane_h - 3}" text-anchor="end" class="s">'
                f"{escape(lane[-22:])}</text>"
            )
    for lane_index, start, end, kind, tip in bars:
        bar_x = left + plot_w * start / span
        w = max(1.0, plot_w * (end - start) / span)
        bar_y = top + lane_index * lane_h + 1
        body.append(
            f'<rect x="{bar_x:.1f}" y="{bar_y}" width="{w:.1f}" height="{lane_h - 2}" '
            f'class="bar {kind}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    for k in range(6):
        x = left + plot_w * k / 5
        body.append(
            f'<text x="{x:.0f}" y="{height - 22}" text-anchor="middle" class="s">'
            f"{_fmt(span * k / 5)} s</text>"
        )
    legend = (
        ("success", "attempt succeeded"),
        ("retry", "succeeded on a retry"),
        ("failure", "attempt failed"),
    )
    for k, (kind, text) in enumerate(legend):
        x = left + k * 170
        body.append(f'<rect x="{x}" y="{height - 12}" width="10" height="10" class="bar {kind}"/>')
        body.append(f'<text x="{x + 14}" y="{height - 3}" class="s">{escape(text)}</text>')
    return _svg(width, height, body, title)


def time_series(
    title: str,
    times_s: Sequence[float],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    y_label: str = "",
    width: int = 620,
    height: int = 280,
) -> str:
    """Counts over simulated time (x: seconds, labelled in hours), one polyline per series,
    each with its `<title>` (name and peak) and a legend below (issue 11's snapshot_counts)."""
    left, right, top = 56, 12, 28
    rows = math.ceil(len(series) / 3)
    bottom = 34 + 14 * rows
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, ys in series for v in ys if math.isfinite(v)]
    lo, hi = 0.0, (max(values) if values else 1.0)
    if hi <= lo:
        hi = lo + 1.0
    t_lo, t_hi = (min(times_s), max(times_s)) if times_s else (0.0, 1.0)
    t_span = (t_hi - t_lo) or 1.0

    def x_at(t: float) -> float:
        return left + plot_w * (t - t_lo) / t_span

    def y_at(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    body = _framed_value_axis(title, width, left, top, plot_w, plot_h, lo, hi, y_at)
    for k in range(7):
        t = t_lo + t_span * k / 6
        body.append(
            f'<text x="{x_at(t):.1f}" y="{top + plot_h + 14}" text-anchor="middle" class="s">'
            f"{t / 3600:.1f} h</text>"
        )
    if y_label:
        middle = f"{top + plot_h / 2:.0f}"
        body.append(
            f'<text x="12" y="{middle}" transform="rotate(-90 12 {middle})"'
            f' text-anchor="middle" class="s">{escape(y_label)}</text>'
        )
    for s_index, (name, ys) in enumerate(series):
        color = PALETTE[s_index % len(PALETTE)]
        points = [(x_at(t), y_at(v)) for t, v in zip(times_s, ys, strict=False) if math.isfinite(v)]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            peak = max((v for v in ys if math.isfinite(v)), default=0.0)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.8" '
                f'class="series"><title>{escape(name)} (peak {_fmt(peak)})</title></polyline>'
            )
        x = left + (s_index % 3) * 190
        y = height - 8 - 14 * (rows - 1 - s_index // 3)
        body.append(f'<rect x="{x}" y="{y - 8}" width="10" height="10" fill="{color}"/>')
        body.append(f'<text x="{x + 14}" y="{y + 1}" class="s">{escape(name[:26])}</text>')
    return _svg(width, height, body, title)


def _framed_value_axis(
    title: str,
    width: int,
    left: int,
    top: int,
    plot_w: int,
    plot_h: int,
    lo: float,
    hi: float,
    y_at: Callable[[float], float],
) -> list[str]:
    """A chart's title, plot frame and five horizontal grid lines with their value labels: the
    part the line charts share, so they read alike."""
    body = [
        f'<text x="{width / 2:.0f}" y="16" text-anchor="middle" class="t">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="frame"/>',
    ]
    for k in range(5):
        y = y_at(lo + (hi - lo) * k / 4)
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        body.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="s">'
            f"{_fmt(lo + (hi - lo) * k / 4)}</text>"
        )
    return body
