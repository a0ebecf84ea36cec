"""`sweep report`: a self-contained HTML file, checked in a real headless Chromium.

Chromium comes from the system packages (`apt-get install -y chromium`); without it the browser
tests are skipped and say so. The browser checks: the page renders (its inline script ran and
counted the charts), every chart is there, the console stayed silent (no error, no warning),
and a screenshot shows the charts' colors (the line marks, the heatmap scale, the timeline bars).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from local_helpers import legacy_request, ride_request, runtime_env, sweep, write_request

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)
RUN_FLAGS = ("--workers", "2", "--max-retries", "0", "--no-progress")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A ride_hailing run (two swept parameters), the same with snapshot_counts (issue 11's
    outputs) and a legacy_hash run with a failed shard."""
    folder = tmp_path_factory.mktemp("report")
    store = folder / "store"
    out: dict[str, Path] = {}
    with runtime_env():
        ride = write_request(folder, ride_request("ride-rep"), "ride.json")
        assert sweep("run", ride, "--store", store, *RUN_FLAGS).code == 0
        snap = write_request(folder, ride_request("snap-rep", outputs=["snapshots"]), "snap.json")
        assert sweep("run", snap, "--store", store, *RUN_FLAGS).code == 0
        legacy = write_request(
            folder, legacy_request("leg-rep", failure_injection_shards=[1]), "leg.json"
        )
        assert sweep("run", legacy, "--store", store, *RUN_FLAGS).code == 1
    for run_id in ("ride-rep", "snap-rep", "leg-rep"):
        target = folder / f"{run_id}.html"
        result = sweep("report", run_id, "--store", store, "-o", target)
        assert result.code == 0, result.err
        out[run_id] = target
    return out


def test_the_report_has_every_section_and_no_external_resource(reports: dict[str, Path]) -> None:
    html = reports["ride-rep"].read_text()
    for section in ("summary", "best", "effects", "heatmaps", "timeline", "failures", "ledger"):
        assert f'id="{section}"' in html
    # The only URL is the SVG namespace, which no browser fetches.
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"'<>)]*", html))
    assert urls == {"http://www.w3.org/2000/svg"}
    assert (
        not re.search(r"\b(?:src|href)\s*=", html) and "url(" not in html and "@import" not in html
    )
    assert html.count('<svg class="plot"') >= 2 * 3 + 1 + 1  # effects, a heatmap, the timeline


def test_the_snapshot_series_of_the_best_and_worst_points(reports: dict[str, Path]) -> None:
    """Only a run that wrote snapshot_counts has the section: one chart per point, one line
    per state."""
    assert 'id="snapshots"' not in reports["ride-rep"].read_text()
    html = reports["snap-rep"].read_text()
    assert 'id="snapshots"' in html
    assert re.search(r"best: point \d+ \(rank 1\)", html)
    assert re.search(r"worst: point \d+ \(rank 4\)", html)
    assert html.count('class="series"') == 2 * 6
    assert "riders_waiting (peak" in html and "drivers_idle (peak" in html


def test_failures_and_retries_are_marked(reports: dict[str, Path]) -> None:
    html = reports["leg-rep"].read_text()
    assert 'class="bar failure"' in html and "injected" in html
    # the failed attempt carries its times and instance like a success: drawn on its worker's
    # lane with its duration, not as an instant on an "unknown instance"
    assert re.search(r"shard 1 attempt 1 on [^:<]+:\d+: \d+\.\d{3} s, injected", html), html
    assert "Injected shard failure" in html  # the failures table
    assert "estimated USD" in html and "aws-lambda-us-east-1" in html


def test_unknown_run_and_unwritable_output(tmp_path: Path, reports: dict[str, Path]) -> None:
    store = reports["ride-rep"].parent / "store"
    assert sweep("report", "nope", "--store", store).code == 3
    result = sweep(
        "report", "ride-rep", "--store", store, "-o", tmp_path / "no" / "such" / "r.html"
    )
    assert result.code == 1 and "cannot write" in result.err and "Traceback" not in result.err


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def render(page: Path) -> tuple[str, list[str]]:
    """The DOM after scripts ran, and the console messages the page produced."""
    done = _chromium("--dump-dom", page.resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, _console_lines(done.stderr)


@needs_chromium
def test_the_console_check_catches_a_broken_page(tmp_path: Path) -> None:
    """The check below can fail: a page whose script throws is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>not_defined_anywhere();</script></body></html>")
    _, console = render(page)
    assert any("Uncaught ReferenceError" in line for line in console)


@needs_chromium
@pytest.mark.parametrize("run_id", ["ride-rep", "snap-rep", "leg-rep"])
def test_chromium_renders_the_report_without_console_messages(
    reports: dict[str, Path], run_id: str
) -> None:
    page = reports[run_id]
    dom, console = render(page)
    assert console == []
    match = re.search(r'<body[^>]*data-plots="(\d+)"', dom)
    assert match is not None and 'data-rendered="yes"' in dom
    assert int(match.group(1)) == page.read_text().count('<svg class="plot"') > 0
    if run_id == "snap-rep":  # the snapshot series are in the rendered DOM
        assert dom.count('class="series"') == 12


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) into rows of pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        filter_type = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if filter_type == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filter_type == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filter_type == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif filter_type == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(
            bytes(line) if channels == 3 else bytes(b for j, b in enumerate(line) if j % 4 != 3)
        )
        previous = line
    return width, height, rows


def _near(rows: list[bytes], rgb: tuple[int, int, int], tolerance: int = 12) -> int:
    count = 0
    for row in rows[::2]:
        for x in range(0, len(row) - 2, 6):
            if all(abs(row[x + k] - rgb[k]) <= tolerance for k in range(3)):
                count += 1
    return count


@needs_chromium
def test_a_screenshot_shows_the_charts(reports: dict[str, Path], tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    page = reports["ride-rep"].resolve().as_uri()
    done = _chromium("--window-size=1000,2200", f"--screenshot={shot}", page)
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 2200)
    assert _near(rows, (31, 119, 180)) > 20  # the effect lines and their markers (#1f77b4)
    assert _near(rows, (45, 164, 78)) > 5  # timeline bars of successful attempts (#2da44e)
    assert _near(rows, (253, 231, 37), tolerance=40) + _near(rows, (68, 1, 84), tolerance=40) > 5
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body></body></html>")
    _chromium("--window-size=300,300", f"--screenshot={tmp_path / 'blank.png'}", blank.as_uri())
    _, _, blank_rows = _png_pixels((tmp_path / "blank.png").read_bytes())
    assert _near(blank_rows, (31, 119, 180)) == 0  # the color check fails on an empty page
    assert _near(blank_rows, (148, 103, 189)) == 0


@needs_chromium
def test_a_screenshot_shows_the_snapshot_series(reports: dict[str, Path], tmp_path: Path) -> None:
    """riders_in_transit is drawn in the palette's purple (#9467bd), which no other chart of
    the report uses: the plain report has none of it, the one with snapshots does."""
    counts = {}
    for run_id in ("ride-rep", "snap-rep"):
        shot = tmp_path / f"{run_id}.png"
        done = _chromium(
            "--window-size=1000,3600", f"--screenshot={shot}", reports[run_id].as_uri()
        )
        assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
        counts[run_id] = _near(_png_pixels(shot.read_bytes())[2], (148, 103, 189))
    assert counts["ride-rep"] == 0 and counts["snap-rep"] > 5
