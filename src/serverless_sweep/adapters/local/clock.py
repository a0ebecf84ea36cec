"""The real `Clock`: UTC wall time and `time.monotonic`."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class LocalClock:
    """Wall-clock time (timezone-aware UTC) and a monotonic counter."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()
