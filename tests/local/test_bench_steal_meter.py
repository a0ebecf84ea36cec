"""bench/_candidates.StealMeter: the share of CPU time a hypervisor gave to other guests, read
from /proc/stat's first line, which the benches print beside the load average."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import _candidates


def _stat_lines(*ticks: list[int]) -> list[str]:
    return ["cpu  " + " ".join(str(t) for t in values) + " 0 0\n" for values in ticks]


def test_the_share_is_steal_ticks_over_all_ticks_between_two_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads = iter(
        [
            (100, 1_000),  # when the meter is made
            (150, 1_200),  # 50 of 200 ticks since then were stolen
        ]
    )
    monkeypatch.setattr(_candidates, "_cpu_ticks", lambda: next(reads))
    meter = _candidates.StealMeter()
    assert meter.share() == pytest.approx(0.25)


def test_without_proc_stat_the_meter_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_candidates, "_cpu_ticks", lambda: None)
    meter = _candidates.StealMeter()
    assert meter.share() is None
    assert meter.text() == "steal n/a"


def test_cpu_ticks_reads_the_eighth_field_as_steal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stat = tmp_path / "stat"
    stat.write_text(_stat_lines([10, 1, 20, 300, 4, 0, 2, 7])[0] + "cpu0 1 2 3\n")
    real_open = open

    def fake_open(path: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        return real_open(stat if path == "/proc/stat" else path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", fake_open)
    assert _candidates._cpu_ticks() == (7, 10 + 1 + 20 + 300 + 4 + 0 + 2 + 7)


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="no /proc/stat on this system")
def test_on_this_machine_the_share_is_a_fraction() -> None:
    meter = _candidates.StealMeter()
    sum(range(200_000))  # some ticks pass
    share = meter.share()
    assert share is None or 0.0 <= share <= 1.0
    assert meter.text().startswith("steal ")
